/**
 * Errors that are fatal to the device model. QEMU calls hw_error() (abort)
 * for these; acpidm throws a DmFatalError, the DM loop catches it, stops the
 * device model, and publishes code and message. The domain and the ring are
 * left as they were, for inspection. Messages are QEMU's.
 */
import { hex } from '../trace/trace.js';

export type DmFatalCode =
  | 'PIO_BAD_SIZE' | 'INP_BAD_SIZE' | 'OUTP_BAD_SIZE' | 'MMIO_BAD_SIZE' | 'PCI_BAD_SIZE' | 'PCI_BAD_COUNT'
  | 'INVALID_TYPE' | 'INCOMPLETE_QUAD_WORD' | 'BAD_EVENT' | 'DEVICE_ERROR';

export class DmFatalError extends Error {
  override name = 'DmFatalError';
  constructor(readonly code: DmFatalCode, message: string, readonly vcpu = -1) {
    super(message);
  }
}

// QEMU hw/xen/xen-hvm-common.c
export const pioBadSize = (size: number): DmFatalError => new DmFatalError('PIO_BAD_SIZE', `PIO: bad size (${size})`);
export const inpBadSize = (addr: number, size: number): DmFatalError =>
  new DmFatalError('INP_BAD_SIZE', `inp: bad size: ${hex(addr, 4)} ${size}`);
export const outpBadSize = (addr: number, size: number): DmFatalError =>
  new DmFatalError('OUTP_BAD_SIZE', `outp: bad size: ${hex(addr, 4)} ${size}`);
export const mmioBadSize = (size: number): DmFatalError => new DmFatalError('MMIO_BAD_SIZE', `MMIO: bad size (${size})`);
export const pciBadSize = (size: number): DmFatalError => new DmFatalError('PCI_BAD_SIZE', `PCI config access: bad size (${size})`);
export const pciBadCount = (count: number): DmFatalError => new DmFatalError('PCI_BAD_COUNT', `PCI config access: bad count (${count})`);
// QEMU hw/i386/xen/xen-hvm.c arch_handle_ioreq
export const invalidType = (type: number): DmFatalError => new DmFatalError('INVALID_TYPE', `Invalid ioreq type 0x${hex(type)}`);
export const incompleteQuadWord = (): DmFatalError => new DmFatalError('INCOMPLETE_QUAD_WORD', 'Incomplete quad word buffered ioreq');
export const badEvent = (port: number): DmFatalError =>
  new DmFatalError('BAD_EVENT', `Fatal error while trying to get io event! (port ${port})`);

/**
 * The memory both sides of the ring share: what Xen maps into qemu-dm's
 * address space (ioreq-server resource frame 1 = shared iopage, frame 0 =
 * buffered iopage), plus one control page acpidm adds for its event
 * channels, the hypercall mailbox and the device model's status.
 *
 *   [0, 4096 * sharedPages)      shared iopage(s): ioreq_t of vCPU n at 32 * n
 *   [bufPage, bufPage + 4096)    buffered iopage
 *   [ctlPage, ctlPage + 4096)    control words (Int32, indices CTL_* below)
 *
 * Barriers: the words both sides race on (ioreq state byte, read/write
 * pointers, control words) are only touched with Atomics, which are
 * sequentially consistent. A seq-cst store after plain writes is Xen's
 * smp_wmb()+store; a seq-cst load before plain reads is the load+smp_rmb().
 * Atomics work on a plain ArrayBuffer too, so the in-thread transport runs
 * the same code on non-shared memory.
 */
import { IOREQ_SIZE, IOREQS_PER_PAGE, PAGE_SIZE } from './abi.js';

// ---- control page words (Int32 indices inside the control page) -------------------
export const CTL_DM_BELL = 0; // bumped on every notification towards the device model
export const CTL_DM_SLEEPING = 1; // 1 while the DM sits in Atomics.wait on CTL_DM_BELL
export const CTL_XEN_BELL = 2; // bumped on every notification towards the vCPUs (hypervisor side)
export const CTL_XEN_SLEEPING = 3;
export const CTL_DM_STATUS = 4; // DmStatus below
export const CTL_STOP = 5; // set by the hypervisor side to end the DM loop
export const CTL_HC_STATE = 6; // hypercall mailbox: 0 idle, 1 request posted, 2 answer posted
export const CTL_HC_OP = 7;
export const CTL_HC_RET = 8;
export const CTL_HC_ARGS = 9; // 6 argument words: 9..14
export const HC_MAX_ARGS = 6;
export const CTL_STRAY = 15; // an event was raised on a channel the DM never bound
export const CTL_ERR_CODE_LEN = 16; // length of the UTF-8 error code at CTL_ERR_TEXT
export const CTL_ERR_MSG_LEN = 17; // length of the UTF-8 message following it
export const CTL_ERR_TEXT = 32; // 128 words = 512 bytes of text
export const CTL_ERR_TEXT_BYTES = 512;
export const CTL_CHAN_BASE = 160; // per channel c: [160 + 2c] pending towards DM, [161 + 2c] pending towards Xen
export const MAX_CHANNELS = (PAGE_SIZE / 4 - CTL_CHAN_BASE) >> 1; // 432

export const DmStatus = { NotStarted: 0, Running: 1, Fatal: 2, Stopped: 3, Exited: 4 } as const;
export type DmStatus = (typeof DmStatus)[keyof typeof DmStatus];
export const DM_STATUS_NAMES = ['not-started', 'running', 'fatal', 'stopped', 'exited'] as const;

export class RingMemoryError extends Error {
  override name = 'RingMemoryError';
}

export class RingMemory {
  readonly view: DataView;
  readonly u8: Uint8Array;
  readonly u32: Uint32Array;
  /** The buffered iopage's pointer pair as one 64-bit word (Xen `union bufioreq_pointers`). */
  readonly u64: BigUint64Array;
  /** Control page words. */
  readonly ctl: Int32Array;
  readonly sharedPages: number;
  readonly bufPage: number;
  readonly ctlPage: number;
  readonly shared: boolean;

  private constructor(readonly buffer: ArrayBuffer | SharedArrayBuffer, readonly vcpus: number) {
    this.sharedPages = RingMemory.sharedPagesFor(vcpus);
    this.bufPage = this.sharedPages * PAGE_SIZE;
    this.ctlPage = this.bufPage + PAGE_SIZE;
    if (buffer.byteLength < this.ctlPage + PAGE_SIZE) {
      throw new RingMemoryError(`ring memory for ${vcpus} vCPUs needs ${this.ctlPage + PAGE_SIZE} bytes, got ${buffer.byteLength}`);
    }
    this.view = new DataView(buffer);
    this.u8 = new Uint8Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.u64 = new BigUint64Array(buffer, this.bufPage, 1);
    this.ctl = new Int32Array(buffer, this.ctlPage, PAGE_SIZE / 4);
    this.shared = typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
  }

  static sharedPagesFor(vcpus: number): number {
    return Math.max(1, Math.ceil(vcpus / IOREQS_PER_PAGE));
  }

  static byteLengthFor(vcpus: number): number {
    return (RingMemory.sharedPagesFor(vcpus) + 2) * PAGE_SIZE;
  }

  /** Fresh, zeroed memory. `shared` selects a SharedArrayBuffer (for the cross-thread transport). */
  static create(vcpus: number, shared: boolean): RingMemory {
    if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus + 1 > MAX_CHANNELS) {
      throw new RingMemoryError(`vCPU count must be 1..${MAX_CHANNELS - 1}, got ${vcpus}`);
    }
    const n = RingMemory.byteLengthFor(vcpus);
    if (shared && typeof SharedArrayBuffer === 'undefined') throw new RingMemoryError('SharedArrayBuffer is not available here');
    return new RingMemory(shared ? new SharedArrayBuffer(n) : new ArrayBuffer(n), vcpus);
  }

  /** The other side's view of memory created with `create`. */
  static attach(buffer: ArrayBuffer | SharedArrayBuffer, vcpus: number): RingMemory {
    return new RingMemory(buffer, vcpus);
  }

  /** Byte offset of vCPU n's ioreq_t. */
  slot(vcpu: number): number {
    return vcpu * IOREQ_SIZE;
  }

  dmStatus(): DmStatus {
    return Atomics.load(this.ctl, CTL_DM_STATUS) as DmStatus;
  }

  /** The DM's fatal error as published in the control page (code and message), or null. */
  dmError(): { code: string; message: string } | null {
    const cl = Atomics.load(this.ctl, CTL_ERR_CODE_LEN);
    const ml = Atomics.load(this.ctl, CTL_ERR_MSG_LEN);
    if (cl === 0) return null;
    const base = this.ctlPage + CTL_ERR_TEXT * 4;
    const dec = new TextDecoder();
    // TextDecoder refuses views on shared memory: copy out first.
    return { code: dec.decode(this.u8.slice(base, base + cl)), message: dec.decode(this.u8.slice(base + cl, base + cl + ml)) };
  }

  /** Publish a fatal error (DM side). Text is truncated to the 512-byte area. */
  publishDmError(code: string, message: string): void {
    const enc = new TextEncoder();
    const c = enc.encode(code).subarray(0, 64);
    const m = enc.encode(message).subarray(0, CTL_ERR_TEXT_BYTES - c.length);
    const base = this.ctlPage + CTL_ERR_TEXT * 4;
    this.u8.set(c, base);
    this.u8.set(m, base + c.length);
    Atomics.store(this.ctl, CTL_ERR_MSG_LEN, m.length);
    Atomics.store(this.ctl, CTL_ERR_CODE_LEN, c.length);
  }
}

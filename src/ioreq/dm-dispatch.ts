/**
 * QEMU handle_ioreq() and what it dispatches to (hw/xen/xen-hvm-common.c:
 * cpu_ioreq_pio, cpu_ioreq_move, cpu_ioreq_config, rw_phys_req_item), on a
 * copy of the request. Only `data` of the copy changes. Malformed requests
 * throw DmFatalError (QEMU hw_error). No allocation on the PIO/COPY paths.
 */
import { hex, Trace } from '../trace/trace.js';
import type { AccessSize } from '../ioports/region.js';
import {
  IOREQ_READ, IOREQ_TYPE_COPY, IOREQ_TYPE_INVALIDATE, IOREQ_TYPE_PCI_CONFIG, IOREQ_TYPE_PIO, IOREQ_TYPE_TIMEOFFSET, IOREQ_WRITE,
} from './abi.js';
import { DmFatalError, inpBadSize, invalidType, mmioBadSize, outpBadSize, pciBadCount, pciBadSize, pioBadSize } from './dm-errors.js';
import type { DmDevices } from './dm-types.js';
import type { Ioreq } from './ioreq-codec.js';
import { ioreqTrace as tr } from './ioreq-trace.js';

const TWO32 = 0x1_0000_0000;
const MASK = [0, 0xff, 0xffff, 0xffffff, 0xffffffff] as const;

export class IoreqDispatcher {
  /** One item of a string/pointer transfer, little-endian (QEMU's tmp). */
  private readonly tmp = new Uint8Array(8);
  private readonly tmpView = new DataView(this.tmp.buffer);
  /** qemu-trad's time_offset (seconds), accumulated from TIMEOFFSET requests. */
  timeOffset = 0n;
  readonly counts = { pio: 0, copy: 0, pci: 0, timeoffset: 0, invalidate: 0, outsideRam: 0 };

  constructor(readonly devices: DmDevices, readonly trace: Trace, private readonly log: (line: string) => void) {}

  /** QEMU handle_ioreq(state, req). */
  handle(req: Ioreq): void {
    // QEMU masks written values to `size` bytes (target_ulong is 8 bytes on x86-64).
    if (req.dataIsPtr === 0 && req.dir === IOREQ_WRITE && req.size < 8) {
      if (req.size <= 4) {
        req.dataLo = (req.dataLo & MASK[req.size]!) >>> 0;
        req.dataHi = 0;
      } else {
        req.dataHi = (req.dataHi & MASK[req.size - 4]!) >>> 0;
      }
    }
    if (this.trace.on(tr.handle)) {
      this.trace.emit(tr.handle, { type: req.type, dir: req.dir, ptr: req.dataIsPtr, addr: req.addrHi * TWO32 + req.addrLo,
        data: req.dataHi * TWO32 + req.dataLo, count: req.count, size: req.size });
    }
    switch (req.type) {
      case IOREQ_TYPE_PIO: this.pio(req); break;
      case IOREQ_TYPE_COPY: this.move(req); break;
      case IOREQ_TYPE_TIMEOFFSET: this.timeoffset(req); break;
      case IOREQ_TYPE_INVALIDATE: this.counts.invalidate++; this.devices.invalidate?.(); break;
      case IOREQ_TYPE_PCI_CONFIG: this.config(req); break;
      default: throw invalidType(req.type);
    }
  }

  // ---- PIO ------------------------------------------------------------------------
  // Beyond the 64 KiB I/O space nothing answers: reads are all-ones, writes are dropped.
  private inp(addr: number, size: number): number {
    if (size !== 1 && size !== 2 && size !== 4) throw inpBadSize(addr, size);
    return addr > 0xffff ? MASK[size]! : this.devices.pio.read(addr, size);
  }
  private outp(addr: number, size: number, v: number): void {
    if (size !== 1 && size !== 2 && size !== 4) throw outpBadSize(addr, size);
    if (addr <= 0xffff) this.devices.pio.write(addr, v >>> 0, size as AccessSize);
  }

  /** QEMU cpu_ioreq_pio. A non-pointer out is done once, whatever `count` says. */
  private pio(req: Ioreq): void {
    this.counts.pio++;
    if (req.size > 4) throw pioBadSize(req.size);
    const port = req.addrHi !== 0 ? 0x1_0000 : req.addrLo;
    if (req.dir === IOREQ_READ) {
      if (!req.dataIsPtr) {
        req.dataLo = this.inp(port, req.size) >>> 0;
        req.dataHi = 0;
      } else {
        const base = req.dataHi * TWO32 + req.dataLo;
        for (let i = 0; i < req.count; i++) {
          this.tmpView.setUint32(0, this.inp(port, req.size), true);
          this.rwItem(base, req, i, true);
        }
      }
    } else if (!req.dataIsPtr) {
      this.outp(port, req.size, req.dataLo);
    } else {
      const base = req.dataHi * TWO32 + req.dataLo;
      for (let i = 0; i < req.count; i++) {
        this.tmpView.setUint32(0, 0, true);
        this.rwItem(base, req, i, false);
        this.outp(port, req.size, this.tmpView.getUint32(0, true));
      }
    }
  }

  // ---- COPY -----------------------------------------------------------------------
  /** QEMU cpu_ioreq_move: `count` items of `size` (<= 8) bytes between addr and data (or the buffer data points to). */
  private move(req: Ioreq): void {
    this.counts.copy++;
    if (req.size > 8) throw mmioBadSize(req.size);
    const addr = req.addrHi * TWO32 + req.addrLo;
    const tv = this.tmpView;
    if (!req.dataIsPtr) {
      // The item lands in / comes from the low `size` bytes of data itself.
      tv.setUint32(0, req.dataLo, true);
      tv.setUint32(4, req.dataHi, true);
      for (let i = 0; i < req.count; i++) this.rwItem(addr, req, i, req.dir !== IOREQ_READ);
      if (req.dir === IOREQ_READ) {
        req.dataLo = tv.getUint32(0, true);
        req.dataHi = tv.getUint32(4, true);
      }
    } else {
      const buf = req.dataHi * TWO32 + req.dataLo;
      for (let i = 0; i < req.count; i++) {
        if (req.dir === IOREQ_READ) {
          this.rwItem(addr, req, i, false);
          this.rwItem(buf, req, i, true);
        } else {
          this.rwItem(buf, req, i, false);
          this.rwItem(addr, req, i, true);
        }
      }
    }
  }

  /**
   * QEMU rw_phys_req_item: item i is at base + i*size, or base - i*size when
   * df=1. write=true stores tmp[0..size) to guest memory; false loads it.
   * Unbacked addresses read all-ones and drop writes (traced).
   */
  private rwItem(base: number, req: Ioreq, i: number, write: boolean): void {
    const off = req.size * i;
    const addr = req.df ? base - off : base + off;
    const size = req.size;
    const ok = addr >= 0 && addr <= Number.MAX_SAFE_INTEGER &&
      (write ? this.devices.mem.write(addr, this.tmp, size) : this.devices.mem.read(addr, this.tmp, size));
    if (!ok) {
      this.counts.outsideRam++;
      if (!write) this.tmp.fill(0xff, 0, size);
      if (this.trace.on(tr.outsideRam)) this.trace.emit(tr.outsideRam, { addr, size, write });
    }
  }

  // ---- PCI_CONFIG -----------------------------------------------------------------
  /** QEMU cpu_ioreq_config: sbdf = addr >> 32, reg = low 32 bits; size 1/2/4 and count 1. */
  private config(req: Ioreq): void {
    this.counts.pci++;
    const size = req.size;
    if (size !== 1 && size !== 2 && size !== 4) throw pciBadSize(size);
    if (req.count !== 1) throw pciBadCount(req.count);
    const pci = this.devices.pci;
    const sbdf = req.addrHi;
    const reg = req.addrLo;
    if (!pci || !pci.has(sbdf)) return; // no device with that SBDF: nothing happens
    if (!req.dataIsPtr) {
      if (req.dir === IOREQ_READ) {
        req.dataLo = pci.read(sbdf, reg, size) >>> 0;
        req.dataHi = 0;
      } else {
        pci.write(sbdf, reg, req.dataLo, size);
      }
    } else {
      const buf = req.dataHi * TWO32 + req.dataLo;
      if (req.dir === IOREQ_READ) {
        this.tmpView.setUint32(0, pci.read(sbdf, reg, size), true);
        this.rwItem(buf, req, 0, true);
      } else {
        this.tmpView.setUint32(0, 0, true);
        this.rwItem(buf, req, 0, false);
        pci.write(sbdf, reg, this.tmpView.getUint32(0, true), size);
      }
    }
  }

  // ---- TIMEOFFSET -----------------------------------------------------------------
  /**
   * Upstream QEMU ignores TIMEOFFSET; acpidm follows qemu-trad
   * (i386-dm/helper2.c cpu_ioreq_timeoffset): add the signed offset to the
   * running time offset, log it, and hand it to the devices (which may store
   * rtc/timeoffset in xenstore as qemu-trad does).
   */
  private timeoffset(req: Ioreq): void {
    this.counts.timeoffset++;
    const added = BigInt.asIntN(64, (BigInt(req.dataHi) << 32n) | BigInt(req.dataLo));
    this.timeOffset = BigInt.asIntN(64, this.timeOffset + added);
    this.log(`Time offset set ${this.timeOffset}, added offset ${added}`);
    this.devices.timeOffset?.(added, this.timeOffset);
  }
}

/** Wrap anything a device threw into a DmFatalError naming the request. */
export function asDmFatal(e: unknown, req: Ioreq): DmFatalError {
  if (e instanceof DmFatalError) return e;
  const why = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new DmFatalError('DEVICE_ERROR',
    `device threw while serving type ${req.type} addr 0x${hex(req.addrHi * TWO32 + req.addrLo)} size ${req.size}: ${why}`);
}

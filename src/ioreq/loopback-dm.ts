/**
 * A loopback device model: deterministic devices that check, on the DM side,
 * that every request arrives exactly once and in order. Used by the ring's
 * tests, stress test and benchmarks on both transports. Its counters and
 * memory live in shared buffers, so the hypervisor side reads the results
 * without a message.
 *
 * - Stream ports 0x1000-0x10FF: write n to port p must carry streamLo(n, size)
 *   (masked to size); read n from port p returns streamRead(p, n).
 * - COPY stream window 0xA0000 + 8k (k < 64; the VGA hole, below 1 MiB so the
 *   ring may carry it): write n must carry streamLo/streamHi(n, size); read n
 *   returns streamRead(0x10000 + k, n) (high half 0).
 * - Scratch port 0x80: reads return the last value written.
 * - Port 0xB004: a write with SLP_EN (bit 13) requests a shutdown; the
 *   beforeResponse hook then issues hypercall LOOPBACK_HC_SHUTDOWN before the
 *   response is posted (what qemu-dm's destroy_hvm_domain does).
 * - Guest RAM: the shared buffer `ram`, from 0, with the hole 0xA0000-0xBFFFF.
 * - PCI: one device at 00:01.0 with 256 bytes of config space.
 * - Option `delay`: { seed, max, stallEvery?, stallSpins? } spins a seeded random 0..max-1 iterations per
 *   request, and about once every `stallEvery` requests stalls for `stallSpins` iterations (fuzzing: lets the ring fill).
 */
import type { PortIO } from '../ioports/port-bus.js';
import type { AccessSize } from '../ioports/region.js';
import { pciSbdf } from './abi.js';
import type { CreateDeviceModel, DmModule, DmModuleContext, GuestMemory, PciConfigHandler } from './dm-types.js';

export const LOOPBACK_SCRATCH_PORT = 0x80;
export const LOOPBACK_STREAM_PORT = 0x1000;
export const LOOPBACK_STREAMS = 256;
export const LOOPBACK_SHUTDOWN_PORT = 0xb004;
export const LOOPBACK_SLP_EN = 0x2000;
export const LOOPBACK_MMIO_BASE = 0xa0000;
export const LOOPBACK_MMIO_STREAMS = 64;
export const LOOPBACK_HOLE_END = 0xc0000;
export const LOOPBACK_PCI_SBDF = pciSbdf(0, 0, 1, 0);
export const LOOPBACK_HC_SHUTDOWN = 0x7f01;

// stats words (Int32 indices in the shared `stats` buffer)
export const LS_SERVED = 0; // stream requests served
export const LS_VIOLATIONS = 1; // stream requests with the wrong sequence value
export const LS_BAD_WHERE = 2; // first violation: port, or 0x10000 + k for the COPY window
export const LS_BAD_GOT = 3;
export const LS_BAD_WANT = 4;
export const LS_INVALIDATE = 5;
export const LS_TIMEOFFSET = 6;
export const LS_SHUTDOWN_REQS = 7;
export const LS_HC_RET = 8;
export const LS_SCRATCH = 9;
export const LS_PIO_WRITES = 10; // every PIO write the device saw (counts repeats of one `out`)
export const LS_SEQ_W = 64; // 256 port streams, then 64 COPY streams
export const LS_SEQ_R = LS_SEQ_W + LOOPBACK_STREAMS + LOOPBACK_MMIO_STREAMS;
export const LS_PCI = LS_SEQ_R + LOOPBACK_STREAMS + LOOPBACK_MMIO_STREAMS; // 64 words = 256 bytes of config space
export const LOOPBACK_STATS_BYTES = (LS_PCI + 64) * 4;

const MASK = [0, 0xff, 0xffff, 0xffffff, 0xffffffff] as const;

/** The low word the nth write of a stream must carry (before masking to its size). */
export const streamLo = (n: number): number => Math.imul(n, 0x9e3779b1) >>> 0;
/** The high word of an 8-byte stream write. */
export const streamHi = (n: number): number => (n ^ 0x5a5a5a5a) >>> 0;
/** What the nth read of stream `where` returns (before masking to its size). */
export const streamRead = (where: number, n: number): number => (Math.imul(n + 1, 0x85ebca6b) ^ Math.imul(where, 0xc2b2ae35)) >>> 0;

export function createLoopbackStats(shared: boolean): SharedArrayBuffer | ArrayBuffer {
  return shared ? new SharedArrayBuffer(LOOPBACK_STATS_BYTES) : new ArrayBuffer(LOOPBACK_STATS_BYTES);
}

export const createDeviceModel: CreateDeviceModel = (ctx: DmModuleContext): DmModule => {
  const statsBuf = ctx.shared.stats;
  if (!statsBuf) throw new Error('loopback device model needs a shared buffer named "stats" (createLoopbackStats)');
  const st = new Int32Array(statsBuf);
  const ram = ctx.shared.ram ? new Uint8Array(ctx.shared.ram) : new Uint8Array(0);
  const pciCfg = new Uint8Array(statsBuf, LS_PCI * 4, 256);
  const pciView = new DataView(statsBuf, LS_PCI * 4, 256);
  pciView.setUint16(0, 0x8086, true); // PIIX4 ACPI function, for something recognisable
  pciView.setUint16(2, 0x7113, true);
  const opts = (ctx.options ?? {}) as { delay?: { seed: number; max: number; stallEvery?: number; stallSpins?: number } };
  let rnd = (opts.delay?.seed ?? 1) >>> 0 || 1;
  const maxDelay = opts.delay?.max ?? 0;
  const stallEvery = opts.delay?.stallEvery ?? 0;
  const stallSpins = opts.delay?.stallSpins ?? 0;
  let sink = 0;
  const delay = (): void => {
    if (maxDelay <= 0) return;
    rnd ^= rnd << 13; rnd ^= rnd >>> 17; rnd ^= rnd << 5; rnd >>>= 0;
    let n = rnd % maxDelay;
    if (stallEvery > 0 && (rnd >>> 8) % stallEvery === 0) n += stallSpins;
    for (let i = 0; i < n; i++) sink = (sink + i) | 0;
  };
  let shutdownPending = false;

  const violation = (where: number, got: number, want: number): void => {
    if (Atomics.add(st, LS_VIOLATIONS, 1) === 0) {
      st[LS_BAD_WHERE] = where;
      st[LS_BAD_GOT] = got | 0;
      st[LS_BAD_WANT] = want | 0;
    }
  };

  const pio: PortIO = {
    read(port: number, size: AccessSize): number {
      delay();
      const k = port - LOOPBACK_STREAM_PORT;
      if (k >= 0 && k < LOOPBACK_STREAMS) {
        const n = st[LS_SEQ_R + k]!;
        st[LS_SEQ_R + k] = n + 1;
        st[LS_SERVED]!++;
        return (streamRead(port, n) & MASK[size]) >>> 0;
      }
      if (port === LOOPBACK_SCRATCH_PORT) return (st[LS_SCRATCH]! & MASK[size]) >>> 0;
      return MASK[size]; // unassigned: all-ones
    },
    write(port: number, value: number, size: AccessSize): void {
      delay();
      st[LS_PIO_WRITES]!++;
      const k = port - LOOPBACK_STREAM_PORT;
      if (k >= 0 && k < LOOPBACK_STREAMS) {
        const n = st[LS_SEQ_W + k]!;
        st[LS_SEQ_W + k] = n + 1;
        st[LS_SERVED]!++;
        const want = (streamLo(n) & MASK[size]) >>> 0;
        if (value >>> 0 !== want) violation(port, value, want);
      } else if (port === LOOPBACK_SCRATCH_PORT) {
        st[LS_SCRATCH] = value;
      } else if (port === LOOPBACK_SHUTDOWN_PORT && (value & LOOPBACK_SLP_EN) !== 0) {
        st[LS_SHUTDOWN_REQS]!++;
        shutdownPending = true;
      }
    },
  };

  const mem: GuestMemory = {
    read(addr: number, dst: Uint8Array, size: number): boolean {
      delay();
      if (addr >= LOOPBACK_MMIO_BASE && addr < LOOPBACK_HOLE_END) {
        const k = (addr - LOOPBACK_MMIO_BASE) >>> 3;
        if (k >= LOOPBACK_MMIO_STREAMS || (addr & 7) !== 0) return false;
        const n = st[LS_SEQ_R + LOOPBACK_STREAMS + k]!;
        st[LS_SEQ_R + LOOPBACK_STREAMS + k] = n + 1;
        st[LS_SERVED]!++;
        const v = streamRead(0x10000 + k, n);
        for (let i = 0; i < size; i++) dst[i] = i < 4 ? (v >>> (8 * i)) & 0xff : 0;
        return true;
      }
      if (addr + size > ram.length) return false;
      for (let i = 0; i < size; i++) dst[i] = ram[addr + i]!;
      return true;
    },
    write(addr: number, src: Uint8Array, size: number): boolean {
      delay();
      if (addr >= LOOPBACK_MMIO_BASE && addr < LOOPBACK_HOLE_END) {
        const k = (addr - LOOPBACK_MMIO_BASE) >>> 3;
        if (k >= LOOPBACK_MMIO_STREAMS || (addr & 7) !== 0) return false;
        const n = st[LS_SEQ_W + LOOPBACK_STREAMS + k]!;
        st[LS_SEQ_W + LOOPBACK_STREAMS + k] = n + 1;
        st[LS_SERVED]!++;
        let lo = 0;
        let hi = 0;
        for (let i = 0; i < size; i++) {
          if (i < 4) lo |= src[i]! << (8 * i);
          else hi |= src[i]! << (8 * (i - 4));
        }
        const wantLo = (streamLo(n) & MASK[Math.min(size, 4)]!) >>> 0;
        const wantHi = size > 4 ? (streamHi(n) & MASK[size - 4]!) >>> 0 : 0;
        if (lo >>> 0 !== wantLo) violation(0x10000 + k, lo, wantLo);
        else if (hi >>> 0 !== wantHi) violation(0x20000 + k, hi, wantHi);
        return true;
      }
      if (addr + size > ram.length) return false;
      for (let i = 0; i < size; i++) ram[addr + i] = src[i]!;
      return true;
    },
  };

  const pci: PciConfigHandler = {
    has: (sbdf) => sbdf === LOOPBACK_PCI_SBDF,
    read(_sbdf, reg, size) {
      if (reg + size > 256) return MASK[size];
      return size === 1 ? pciCfg[reg]! : size === 2 ? pciView.getUint16(reg, true) : pciView.getUint32(reg, true);
    },
    write(_sbdf, reg, value, size) {
      if (reg + size > 256) return;
      if (size === 1) pciCfg[reg] = value;
      else if (size === 2) pciView.setUint16(reg, value, true);
      else pciView.setUint32(reg, value, true);
    },
  };

  return {
    devices: {
      pio, mem, pci,
      timeOffset: () => { st[LS_TIMEOFFSET]!++; },
      invalidate: () => { st[LS_INVALIDATE]!++; },
    },
    hooks: {
      beforeResponse: () => {
        if (!shutdownPending) return;
        shutdownPending = false; // consumed, as qemu-trad does
        st[LS_HC_RET] = ctx.hypercall.call(LOOPBACK_HC_SHUTDOWN, [0 /* SHUTDOWN_poweroff */]);
      },
    },
  };
};

/**
 * The PIIX4 as the device model sees it under Xen (qemu-xen-traditional
 * hw/piix4acpi.c; QEMU with Xen: SMM off, so ACPI-only and SCI_EN=1 from
 * reset). Xen keeps PM1a_STS/EN and the timer (pmtimer.ts); only PM1a_CNT,
 * and the PCI configuration ports are here; the DM's 0xCF9 and i8042 are src/piix4's (qemu-dm-model.ts).
 *
 * PM1a_CNT (qemu-trad):
 *  - a word write stores the value without SLP_EN (and GBL_RLS) and may trigger;
 *  - a byte write at +1 merges with the stored low byte and may trigger;
 *  - a byte write at +0 stores the low byte and never triggers;
 *  - reads hide GBL_RLS and SLP_EN.
 * Sleep decode is src/acpi's decodeSleep with QEMU_XEN_TRADITIONAL_POLICY: hvmloader's values (Xen tools/libacpi
 * dsdt.asl, ssdt_s3/s4: _S5 = 0, _S3 = 1, _S4 = 0) and the old V0 values S3 = 5, S4 = 6, S5 = 7.
 */
import { GBL_RLS, SCI_EN, SLP_EN } from '../acpi/pm-regs.js';
import { decodeSleep, QEMU_XEN_TRADITIONAL_POLICY, type SleepPolicy } from '../acpi/sleep-decode.js';
import type { RegionOps } from '../ioports/region.js';
import { defineEvent, hex, type Trace } from '../trace/trace.js';

/** Board policy: which SLP_TYP values mean what (src/acpi's SleepPolicy; default qemu-xen-traditional's table). */
export type XenSleepPolicy = SleepPolicy;

export type XenSleep = { kind: 'none' } | { kind: 'S3' | 'S4' | 'S5'; typ: number };

/** src/acpi's pure decoder with the board's policy, in the shape the DM's callbacks take. */
function decodeXenSleep(val: number, p: SleepPolicy): XenSleep {
  const d = decodeSleep(val, p);
  return d.kind === 'none' ? { kind: 'none' } : { kind: d.state, typ: d.typ };
}

export const tr = {
  cnt: defineEvent('qemu-dm', 'piix4acpi_pm1_cnt_write', (a: { off: number; size: number; value: number; stored: number; sleep: string }) =>
    `PM1a_CNT+${a.off} size ${a.size} <== 0x${hex(a.value)} stored 0x${hex(a.stored, 4)}${a.sleep !== 'none' ? ` -> ${a.sleep}` : ''}`),
};

export interface Piix4XenState {
  pm1Cnt: number;
  /** PCI config address latch (0xCF8). */
  confAddr: number;
  /** Config space of 00:01.3 (PIIX4 ACPI) and 00:00.0 (i440FX), 256 bytes each. */
  pmConf: Uint8Array;
  hostConf: Uint8Array;
  isaConf: Uint8Array;
  policy: XenSleepPolicy;
  trace: Trace;
  /** The DM queues its requests here (qemu_system_shutdown_request / reset request). */
  onSleep: (s: XenSleep, value: number, port: number) => void;
  pmBase: number;
}

export const piix4XenStateFields = { name: 'piix4acpi', version: 1, fields: ['pm1Cnt', 'confAddr', 'pmConf'] } as const;

function conf(vendor: number, device: number, cls: number): Uint8Array {
  const c = new Uint8Array(256);
  const v = new DataView(c.buffer);
  v.setUint16(0, vendor, true);
  v.setUint16(2, device, true);
  v.setUint16(0x0a, cls, true);
  return c;
}

export function newPiix4Xen(o: { trace: Trace; policy?: XenSleepPolicy; pmBase?: number; onSleep: Piix4XenState['onSleep']}): Piix4XenState {
  const pmBase = o.pmBase ?? 0xb000;
  const pmConf = conf(0x8086, 0x7113, 0x0680);
  const v = new DataView(pmConf.buffer);
  // As hvmloader leaves it: PMBA = base | 1, PMREGMISC = 1, interrupt line 9.
  v.setUint32(0x40, pmBase | 1, true);
  pmConf[0x80] = 1;
  pmConf[0x3c] = 9;
  pmConf[0x3d] = 1;
  return {
    pm1Cnt: SCI_EN, confAddr: 0, pmConf, hostConf: conf(0x8086, 0x1237, 0x0600), isaConf: conf(0x8086, 0x7000, 0x0601),
    policy: o.policy ?? QEMU_XEN_TRADITIONAL_POLICY, trace: o.trace, onSleep: o.onSleep, pmBase,
  };
}

function cntTrigger(s: Piix4XenState, val: number, off: number, size: number, raw: number): void {
  const sleep = decodeXenSleep(val, s.policy);
  if (s.trace.on(tr.cnt)) s.trace.emit(tr.cnt, { off, size, value: raw, stored: s.pm1Cnt, sleep: sleep.kind === 'none' ? 'none' : `${sleep.kind} (SLP_TYP ${sleep.typ})` });
  if (sleep.kind !== 'none') s.onSleep(sleep, val, s.pmBase + 4 + off);
}

/** PM1a_CNT at PMBA + 4. */
export const pm1CntXenOps: RegionOps<Piix4XenState> = {
  name: 'piix4acpi-pm1a-cnt', size: 2,
  valid: { min: 1, max: 2 }, impl: { min: 1, max: 2 },
  read: (s, off, size) => {
    const v = s.pm1Cnt & ~(GBL_RLS | SLP_EN);
    return size === 2 ? v : (v >>> (off * 8)) & 0xff;
  },
  write(s, off, value, size) {
    if (size === 2) {
      s.pm1Cnt = value & ~(GBL_RLS | SLP_EN);
      cntTrigger(s, value, off, size, value);
    } else if (off === 1) {
      const val = ((value & 0xff) << 8) | (s.pm1Cnt & 0xff);
      s.pm1Cnt = val & ~(GBL_RLS | SLP_EN);
      cntTrigger(s, val, off, size, value);
    } else {
      s.pm1Cnt = (s.pm1Cnt & 0xff00) | (value & 0xff); // never triggers
      if (s.trace.on(tr.cnt)) s.trace.emit(tr.cnt, { off, size, value, stored: s.pm1Cnt, sleep: 'none' });
    }
  },
};

function confSpace(s: Piix4XenState): Uint8Array | null {
  const a = s.confAddr;
  if ((a & 0x8000_0000) === 0) return null;
  const bus = (a >>> 16) & 0xff;
  const dev = (a >>> 11) & 0x1f;
  const fn = (a >>> 8) & 7;
  if (bus !== 0) return null;
  if (dev === 0 && fn === 0) return s.hostConf;
  if (dev === 1 && fn === 0) return s.isaConf;
  if (dev === 1 && fn === 3) return s.pmConf;
  return null;
}

/** 0xCF8: the configuration address latch (dword only). */
export const pciConfAddrOps: RegionOps<Piix4XenState> = {
  name: 'pci-conf-addr', size: 4, valid: { min: 4, max: 4 }, impl: { min: 4, max: 4 },
  read: (s) => s.confAddr >>> 0,
  write: (s, _off, v) => void (s.confAddr = v >>> 0),
};

/** 0xCFC-0xCFF: configuration data. Absent functions read all-ones. Writes are read-only here except the PM base. */
export const pciConfDataOps: RegionOps<Piix4XenState> = {
  name: 'pci-conf-data', size: 4, valid: { min: 1, max: 4, unaligned: true }, impl: { min: 1, max: 4 },
  read(s, off, size) {
    const c = confSpace(s);
    if (!c) return size === 4 ? 0xffff_ffff : (1 << (size * 8)) - 1;
    const reg = (s.confAddr & 0xfc) + off;
    let v = 0;
    for (let i = 0; i < size; i++) v |= (c[(reg + i) & 0xff]! << (8 * i));
    return v >>> 0;
  },
  write(s, off, value, size) {
    const c = confSpace(s);
    if (!c) return;
    const reg = (s.confAddr & 0xfc) + off;
    for (let i = 0; i < size; i++) {
      const r = (reg + i) & 0xff;
      if (r < 0x10) continue; // identity registers are read-only
      c[r] = (value >>> (8 * i)) & 0xff;
    }
  },
};


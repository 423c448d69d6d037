// fw_cfg as SeaBIOS reads it (QEMU hw/nvram/fw_cfg.c; SeaBIOS src/fw/paravirt.c qemu_cfg_init / qemu_cfg_read_entry)
// and the BIOS linker/loader script QEMU builds (hw/acpi/bios-linker-loader.c), driven through the ports and a
// small loader that does what SeaBIOS's romfile_loader.c does with the commands.
import { describe, expect, it } from 'vitest';
import { buildTableLoader } from '../../src/acpi/install/table-loader.js';
import { walkGuestTables } from '../../src/acpi/install/walk-tables.js';
import { qemuPcProfile } from '../../src/acpi/profiles/qemu-pc.js';
import { decodeLoader, encodeLoader } from '../../src/acpi/tables/bios-linker-loader.js';
import { PcSystem } from '../../src/machine/pc-system.js';
import { systemStatesFile } from '../../src/machine/fw-cfg-pc.js';
import { linuxFwCfg } from '../../src/machine/linux-fw-cfg.js';
import { newFwCfg } from '../../src/piix4/fw-cfg.js';
import { Trace } from '../../src/trace/trace.js';

const rom = (): Uint8Array => new Uint8Array(0x20000).fill(0xff);

function machine(o: { disableS3?: boolean; disableS4?: boolean; s4Val?: number } = {}): PcSystem {
  return new PcSystem({ bios: rom(), debugcon: [], ...o }).powerOn();
}

function readItem(sys: PcSystem, key: number, len: number): Uint8Array {
  const bus = sys.machine.bus;
  bus.write(0x510, key, 2);
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = bus.read(0x511, 1);
  return out;
}

/** The file directory: name -> { select, size }. */
function fileDir(sys: PcSystem): Map<string, { select: number; size: number }> {
  const count = new DataView(readItem(sys, 0x19, 4).buffer).getUint32(0, false);
  const dir = readItem(sys, 0x19, 4 + 64 * count);
  const v = new DataView(dir.buffer);
  const m = new Map<string, { select: number; size: number }>();
  for (let i = 0; i < count; i++) {
    const o = 4 + 64 * i;
    let name = '';
    for (let j = 0; j < 56 && dir[o + 8 + j] !== 0; j++) name += String.fromCharCode(dir[o + 8 + j]!);
    m.set(name, { size: v.getUint32(o, false), select: v.getUint16(o + 4, false) });
  }
  return m;
}

/** A DMA read the way SeaBIOS's qemu_cfg_dma_transfer issues it: descriptor in RAM, outl of its big-endian address. */
function dmaRead(sys: PcSystem, control: number, length: number, to: number): number {
  const desc = 0x7000;
  const d = new DataView(sys.mem.ram.buffer, sys.mem.ram.byteOffset + desc, 16);
  d.setUint32(0, control, false);
  d.setUint32(4, length, false);
  d.setBigUint64(8, BigInt(to), false);
  const be = ((desc & 0xff) << 24) | ((desc & 0xff00) << 8) | ((desc >>> 8) & 0xff00) | (desc >>> 24);
  sys.machine.bus.write(0x518, be >>> 0, 4);
  return d.getUint32(0, false);
}

describe('fw_cfg ports (fw_cfg_io: 0x510 selector, 0x511 data, 0x514 DMA)', () => {
  it('signature "QEMU", ID 3 (traditional + DMA), RAM size, one CPU', () => {
    const sys = machine();
    expect(new TextDecoder().decode(readItem(sys, 0x00, 4))).toBe('QEMU');
    expect(new DataView(readItem(sys, 0x01, 4).buffer).getUint32(0, true)).toBe(3);
    expect(new DataView(readItem(sys, 0x03, 8).buffer).getBigUint64(0, true)).toBe(128n << 20n);
    expect(new DataView(readItem(sys, 0x05, 2).buffer).getUint16(0, true)).toBe(1);
    expect(new DataView(readItem(sys, 0x0f, 2).buffer).getUint16(0, true)).toBe(1);
    // past the end of an item and an unknown key read as zeros
    expect([...readItem(sys, 0x00, 6)].slice(4)).toEqual([0, 0]);
    expect([...readItem(sys, 0x1234, 2)]).toEqual([0, 0]);
  });

  it('file directory: sorted by name, keys from 0x20, the files QEMU 7.2 gives SeaBIOS for acpidm\'s tables', () => {
    const dir = fileDir(machine());
    expect([...dir.keys()]).toEqual(['etc/acpi/rsdp', 'etc/acpi/tables', 'etc/boot-fail-wait', 'etc/e820', 'etc/system-states', 'etc/table-loader']);
    expect([...dir.values()].map((f) => f.select)).toEqual([0x20, 0x21, 0x22, 0x23, 0x24, 0x25]);
    expect(dir.get('etc/acpi/tables')!.size).toBe(131072); // ACPI_BUILD_TABLE_SIZE, as QEMU's trace shows
    expect(dir.get('etc/table-loader')!.size).toBe(4096);
    expect(dir.get('etc/acpi/rsdp')!.size).toBe(20);
  });

  it('DMA: select + read of etc/e820 (one RAM entry), control cleared; a skip then a read continues the item', () => {
    const sys = machine();
    const e820 = fileDir(sys).get('etc/e820')!;
    const ctl = dmaRead(sys, (e820.select << 16) | 0x08 | 0x02, 20, 0x8000);
    expect(ctl).toBe(0);
    const v = new DataView(sys.mem.ram.buffer, sys.mem.ram.byteOffset + 0x8000, 20);
    expect([v.getBigUint64(0, true), v.getBigUint64(8, true), v.getUint32(16, true)]).toEqual([0n, 128n << 20n, 1]);
    expect(dmaRead(sys, (0x00 << 16) | 0x08 | 0x04, 2, 0)).toBe(0); // select the signature, skip "QE"
    expect(dmaRead(sys, 0x02, 4, 0x8100)).toBe(0); // read "MU" and two zeros past the end
    expect([...sys.mem.ram.subarray(0x8100, 0x8104)]).toEqual([0x4d, 0x55, 0, 0]);
    expect(dmaRead(sys, (0x00 << 16) | 0x08 | 0x10, 4, 0x8100)).toBe(1); // writes: ERROR, nothing is writable
  });

  // hw/acpi/core.c acpi_pm1_cnt_init: { S0..S5 }, bit 7 = enabled, low bits = SLP_TYP
  it.each([
    [{}, [128, 0, 0, 129, 130, 128]],
    [{ disableS3: true }, [128, 0, 0, 1, 130, 128]],
    [{ disableS4: true, s4Val: 3 }, [128, 0, 0, 129, 3, 128]],
  ])('etc/system-states for %o', (o, bytes) => {
    expect([...systemStatesFile({ disableS3: false, disableS4: false, s4Val: 2, ...o })]).toEqual(bytes);
    const sys = machine(o);
    expect([...readItem(sys, fileDir(sys).get('etc/system-states')!.select, 6)]).toEqual(bytes);
  });
});

describe('BIOS linker/loader (etc/table-loader)', () => {
  it('commands round-trip through the 128-byte encoding', () => {
    const cmds = [
      { command: 'allocate', file: 'etc/acpi/tables', align: 64, zone: 'high' },
      { command: 'add-pointer', destFile: 'etc/acpi/rsdp', srcFile: 'etc/acpi/tables', offset: 16, size: 4 },
      { command: 'add-checksum', file: 'etc/acpi/rsdp', offset: 8, start: 0, length: 20 },
    ] as const;
    const bytes = encodeLoader(cmds);
    expect(bytes.length).toBe(384);
    expect([bytes[0], bytes[60], bytes[64], bytes[128], bytes[248], bytes[256]]).toEqual([1, 64, 1, 2, 4, 3]);
    expect(decodeLoader(bytes)).toEqual(cmds);
  });

  it('executed as SeaBIOS romfile_loader does, the tables are valid and the guest finds the profile\'s values', () => {
    const profile = qemuPcProfile({ s4_val: 2, disable_s3: false, disable_s4: true, smm: true, ramBelow4g: 128 << 20 });
    const b = buildTableLoader(profile);
    const mem = new Uint8Array(2 << 20);
    const files: Record<string, Uint8Array> = { 'etc/acpi/tables': b.tables, 'etc/acpi/rsdp': b.rsdp };
    const at: Record<string, number> = {};
    let high = 0x180000;
    let fseg = 0xf5000;
    for (const c of decodeLoader(b.loader)) {
      if (!('file' in c || 'destFile' in c)) throw new Error(`unexpected command ${JSON.stringify(c)}`);
      if (c.command === 'allocate') {
        const a = c.zone === 'fseg' ? (fseg = Math.ceil(fseg / c.align) * c.align) : (high = Math.ceil(high / c.align) * c.align);
        mem.set(files[c.file]!, a);
        at[c.file] = a;
        if (c.zone === 'fseg') fseg += files[c.file]!.length; else high += files[c.file]!.length;
      } else if (c.command === 'add-pointer') {
        const v = new DataView(mem.buffer, mem.byteOffset + at[c.destFile]! + c.offset, c.size);
        if (c.size === 4) v.setUint32(0, v.getUint32(0, true) + at[c.srcFile]!, true);
        else v.setBigUint64(0, v.getBigUint64(0, true) + BigInt(at[c.srcFile]!), true);
      } else if (c.command === 'add-checksum') {
        const base = at[c.file]!;
        let sum = 0;
        for (let i = c.start; i < c.start + c.length; i++) sum += mem[base + i]!;
        mem[base + c.offset] = (mem[base + c.offset]! - sum) & 0xff;
      }
    }
    const t = walkGuestTables(mem);
    expect(t.rsdpAddress).toBe(at['etc/acpi/rsdp']);
    expect(t.tables.every((x) => x.checksumValid)).toBe(true);
    expect(t.pm.facs % 64).toBe(0);
    expect(t.pm.pm1aCntBlk).toBe(0x604);
    expect(Object.keys(t.sleepTypes).sort()).toEqual(['S3', 'S5']);
  });
});

describe('-kernel bzImage for linuxboot_dma.bin (QEMU hw/i386/x86.c x86_load_linux)', () => {
  /** A minimal protocol-2.15 bzImage: 4 setup sectors + the boot sector, then 4 KiB of "kernel". */
  function bzImage(): Uint8Array {
    const b = new Uint8Array(5 * 512 + 4096);
    const v = new DataView(b.buffer);
    b[0x1f1] = 4; // setup_sects
    v.setUint16(0x1fe, 0xaa55, true);
    b[0x201] = 0x62; // jump: header length
    v.setUint32(0x202, 0x53726448, true); // "HdrS"
    v.setUint16(0x206, 0x020f, true);
    b[0x211] = 0x01; // LOADED_HIGH
    v.setUint32(0x214, 0x100000, true);
    v.setUint32(0x22c, 0x37ffffff, true); // initrd_addr_max
    v.setUint32(0x238, 2047, true); // cmdline_size
    b.fill(0x90, 5 * 512);
    return b;
  }
  const i32 = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset).getUint32(0, true);

  it('setup at 0x10000 with the header patched, kernel at 1 MiB, command line at 0x20000, initrd below RAM - 160 KiB', () => {
    const s = newFwCfg(new Trace());
    const initrd = new Uint8Array(10_000).fill(7);
    linuxFwCfg(s, bzImage(), { cmdline: 'console=ttyS0', initrd, ramBelow4g: 128 << 20 });
    const it = (k: number) => s.items.get(k)!;
    expect(i32(it(0x16))).toBe(0x10000); // SETUP_ADDR
    expect(i32(it(0x17))).toBe(5 * 512); // SETUP_SIZE
    expect(i32(it(0x07))).toBe(0x100000); // KERNEL_ADDR
    expect(i32(it(0x08))).toBe(4096); // KERNEL_SIZE
    expect(i32(it(0x13))).toBe(0x20000); // CMDLINE_ADDR
    expect(new TextDecoder().decode(it(0x15))).toBe('console=ttyS0\0');
    const initrdAt = Math.floor(((128 << 20) - 0x28000 - 1 - 10_000) / 4096) * 4096;
    expect(i32(it(0x0a))).toBe(initrdAt);
    expect(it(0x12)).toBe(initrd);
    const setup = new DataView(it(0x18).buffer);
    expect(setup.getUint8(0x210)).toBe(0xb0); // type_of_loader
    expect(setup.getUint8(0x211)).toBe(0x81); // LOADED_HIGH | CAN_USE_HEAP
    expect(setup.getUint16(0x224, true)).toBe(0xfe00); // heap_end_ptr = cmdline - real - 0x200
    expect(setup.getUint32(0x228, true)).toBe(0x20000); // cmd_line_ptr
    expect([setup.getUint32(0x218, true), setup.getUint32(0x21c, true)]).toEqual([initrdAt, 10_000]);
  });
});

// The Linux x86 boot protocol loader (src/machine/linux-boot.ts) on synthetic bzImages: the setup header checks
// name the field that is wrong, the zero page carries what boot.rst and QEMU's x86_load_linux put there, the
// initrd lands page-aligned below min(initrd_addr_max, the ACPI tables), and the e820 map reserves the tables.
// The real kernel boots in test/linux/.
import { describe, expect, it } from 'vitest';
import {
  E820_RAM, E820_RESERVED, LINUX_BOOT_PARAMS_ADDR, LINUX_CMDLINE_ADDR, LinuxBootError, isLinuxImage, loadLinux, parseLinuxImage,
} from '../../src/machine/linux-boot.js';
import { PcSystem } from '../../src/machine/pc-system.js';

/** A bzImage-shaped file: setup_sects sectors of setup + the header, then `kernelBytes` of "protected-mode kernel". */
function fakeBzImage(o: { version?: number; setupSects?: number; kernelBytes?: number; loadflags?: number; initrdAddrMax?: number; cmdlineSize?: number; initSize?: number } = {}): Uint8Array {
  const setupSects = o.setupSects ?? 4;
  const kernelBytes = o.kernelBytes ?? 0x1000;
  const img = new Uint8Array((setupSects + 1) * 512 + kernelBytes);
  const dv = new DataView(img.buffer);
  img[0x1f1] = setupSects;
  dv.setUint32(0x1f4, Math.ceil(kernelBytes / 16), true);
  dv.setUint16(0x1fe, 0xaa55, true);
  img[0x200] = 0xeb; img[0x201] = 0x6a; // jmp short: header ends at 0x26C
  dv.setUint32(0x202, 0x53726448, true);
  dv.setUint16(0x206, o.version ?? 0x020f, true);
  img[0x211] = o.loadflags ?? 0x01;
  dv.setUint32(0x214, 0x100000, true);
  dv.setUint32(0x22c, o.initrdAddrMax ?? 0x7fffffff, true);
  dv.setUint32(0x230, 0x200000, true);
  dv.setUint32(0x238, o.cmdlineSize ?? 2047, true);
  dv.setUint32(0x260, o.initSize ?? 0x8000, true);
  // The "kernel": a recognisable pattern.
  for (let i = 0; i < kernelBytes; i++) img[(setupSects + 1) * 512 + i] = (i * 7) & 0xff;
  return img;
}

describe('parseLinuxImage: the setup header is checked and every problem names its field', () => {
  it('reads a good header', () => {
    const img = parseLinuxImage(fakeBzImage({ setupSects: 0x1e }));
    expect(img).toMatchObject({ version: 0x020f, setupSects: 0x1e, kernelOffset: 0x1f * 512, kernelSize: 0x1000, cmdlineSize: 2047, initSize: 0x8000 });
    expect(isLinuxImage(fakeBzImage())).toBe(true);
    expect(isLinuxImage(new Uint8Array(0x300))).toBe(false);
  });
  it.each<[string, (b: Uint8Array) => Uint8Array, RegExp]>([
    ['a file too short for the header', (b) => b.subarray(0, 0x200), /truncated.*setup header/],
    ['boot_flag', (b) => { b[0x1fe] = 0; return b; }, /'boot_flag' is 0xaa00/],
    ['version', (b) => { b[0x206] = 0x01; b[0x207] = 0x02; return b; }, /'version' is 0x201/],
    ['loadflags', (b) => { b[0x211] = 0; return b; }, /'loadflags'.*LOADED_HIGH/],
    ['setup_sects', (b) => { b[0x1f1] = 200; return b; }, /'setup_sects' is 200/],
    ['syssize (a truncated bzImage)', (b) => b.subarray(0, b.length - 0x800), /truncated: setup header field 'syssize'/],
    ['code32_start', (b) => { b[0x216] = 0x20; return b; }, /'code32_start' is 0x200000/],
  ])('%s', (_n, mutate, msg) => {
    const bad = mutate(fakeBzImage());
    expect(() => parseLinuxImage(bad)).toThrow(LinuxBootError);
    expect(() => parseLinuxImage(bad)).toThrow(msg);
  });
});

describe('loadLinux: zero page, command line, initrd, e820, GDT', () => {
  const ramTop = 64 << 20;
  const acpiStart = ramTop - 0x1000;

  it('copies the kernel to 1 MiB and fills boot_params as QEMU does', () => {
    const ram = new Uint8Array(ramTop);
    const image = fakeBzImage();
    const initrd = new Uint8Array(0x2345).fill(0x5a);
    const e = loadLinux(ram, image, { cmdline: 'console=ttyS0 panic=-1', initrd, acpiStart, ramTop });
    const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
    expect(ram.subarray(0x100000, 0x101000)).toEqual(image.subarray(5 * 512));
    const bp = LINUX_BOOT_PARAMS_ADDR;
    expect(e.bootParams).toBe(bp);
    expect(dv.getUint32(bp + 0x202, true)).toBe(0x53726448); // setup header copied
    expect(ram[bp + 0x210]).toBe(0xb0); // type_of_loader: QEMU
    expect(ram[bp + 0x211]! & 0x81).toBe(0x81); // LOADED_HIGH | CAN_USE_HEAP
    expect(dv.getUint32(bp + 0x228, true)).toBe(LINUX_CMDLINE_ADDR);
    expect(new TextDecoder().decode(ram.subarray(LINUX_CMDLINE_ADDR, LINUX_CMDLINE_ADDR + 23))).toBe('console=ttyS0 panic=-1\0');
    // initrd: page-aligned, ends at or below the ACPI tables, ramdisk_image/size point at it.
    expect(e.initrd!.addr % 0x1000).toBe(0);
    expect(e.initrd!.addr + initrd.length).toBeLessThanOrEqual(acpiStart);
    expect(acpiStart - (e.initrd!.addr + initrd.length)).toBeLessThan(0x1000);
    expect(dv.getUint32(bp + 0x218, true)).toBe(e.initrd!.addr);
    expect(dv.getUint32(bp + 0x21c, true)).toBe(initrd.length);
    expect(ram[e.initrd!.addr]).toBe(0x5a);
    // e820 in the zero page: the ACPI tables are reserved, RAM above 1 MiB stops below them.
    const n = ram[bp + 0x1e8]!;
    const map = Array.from({ length: n }, (_, i) => {
      const p = bp + 0x2d0 + i * 20;
      return { addr: dv.getUint32(p, true), size: dv.getUint32(p + 8, true), type: dv.getUint32(p + 16, true) };
    });
    expect(map).toContainEqual({ addr: 0x100000, size: acpiStart - 0x100000, type: E820_RAM });
    expect(map).toContainEqual({ addr: acpiStart, size: 0x1000, type: E820_RESERVED });
    expect(map).toContainEqual({ addr: 0, size: 0x9fc00, type: E820_RAM });
    expect(map.find((m) => m.addr <= 0xf5a00 && 0xf5a00 < m.addr + m.size)?.type).toBe(E820_RESERVED); // the RSDP
    // GDT: 0x10 flat code, 0x18 flat data.
    expect(dv.getUint32(e.gdt.base + 0x14, true)).toBe(0x00cf9b00);
    expect(dv.getUint32(e.gdt.base + 0x1c, true)).toBe(0x00cf9300);
  });

  it('honours initrd_addr_max', () => {
    const ram = new Uint8Array(ramTop);
    const e = loadLinux(ram, fakeBzImage({ initrdAddrMax: 0x01ffffff }), { initrd: new Uint8Array(0x1800), acpiStart, ramTop });
    expect(e.initrd!.addr).toBe(0x01ffe000);
  });

  it('refuses what does not fit, naming the limit', () => {
    const ram = new Uint8Array(ramTop);
    expect(() => loadLinux(ram, fakeBzImage(), { initrd: new Uint8Array(ramTop), acpiStart, ramTop })).toThrow(/initrd of \d+ bytes does not fit/);
    expect(() => loadLinux(ram, fakeBzImage({ cmdlineSize: 8 }), { cmdline: 'console=ttyS0', acpiStart, ramTop })).toThrow(/cmdline_size allows 8/);
    expect(() => loadLinux(ram, fakeBzImage({ initSize: ramTop }), { acpiStart, ramTop })).toThrow(/'init_size'/);
  });
});

describe('the built-in firmware picks the Linux loader for a bzImage', () => {
  it('enters at 1 MiB in flat 32-bit mode with CS=0x10, DS=0x18, ESI=boot_params, IF=0', () => {
    const sys = new PcSystem({ memoryMiB: 32, kernel: fakeBzImage(), cmdline: 'x', initrd: new Uint8Array(100) });
    sys.powerOn();
    const c = sys.cpu;
    expect(c.getReg('eip')).toBe(0x100000);
    expect(c.getReg('cs')).toBe(0x10);
    for (const s of ['ds', 'es', 'ss']) expect(c.getReg(s)).toBe(0x18);
    expect(c.getReg('esi')).toBe(LINUX_BOOT_PARAMS_ADDR);
    for (const r of ['ebx', 'ebp', 'edi']) expect(c.getReg(r)).toBe(0);
    expect(c.getReg('eflags') & 0x200).toBe(0);
    expect(c.getReg('cr0') & 0x80000001).toBe(1);
    expect(sys.post!.linux!.initrd!.addr + 100).toBeLessThanOrEqual(sys.post!.tables.region.start);
    expect(sys.post!.kernel).toBeNull();
  });
  it('S3 resume redoes what SeaBIOS s3_resume does (8259s, LAPIC LINT0, PIIX4 PM window), then enters the FACS waking vector', () => {
    const sys = new PcSystem({ memoryMiB: 32, kernel: fakeBzImage(), cmdline: 'x' });
    sys.powerOn();
    const m = sys.machine;
    m.start();
    // The guest's own setup before it sleeps: 8259 bases 0x30/0x38 with IRQs unmasked, and the FACS waking vector.
    for (const [cmd, base, icw3] of [[0x20, 0x30, 4], [0xa0, 0x38, 2]] as const) {
      m.bus.write(cmd, 0x11, 1); m.bus.write(cmd + 1, base, 1); m.bus.write(cmd + 1, icw3, 1); m.bus.write(cmd + 1, 1, 1);
      m.bus.write(cmd + 1, 0, 1);
    }
    sys.mem.write(sys.post!.tables.facs + 12, 0x9a120, 4);
    m.bus.write(0x602, 0x0100, 2); // PWRBTN_EN
    m.bus.write(0x604, 0x2401, 2); // SLP_TYP 1 (S3) | SLP_EN | SCI_EN
    m.runState.service();
    expect(m.runState.state).toBe('suspended');
    m.runState.requestWakeup('other');
    m.runState.service();
    expect(m.runState.log.map((e) => e.event)).toEqual(['RESUME', 'SUSPEND', 'WAKEUP']);
    // Real mode at the vector: CS = vector >> 4, IP = vector & 0xF.
    expect([sys.cpu.getReg('cs'), sys.cpu.getReg('eip'), sys.cpu.getReg('cr0') & 1]).toEqual([0x9a12, 0, 0]);
    // pic_setup: BIOS vector bases, everything masked but the cascade.
    expect([m.pic.master.irqBase, m.pic.master.imr, m.pic.slave.irqBase, m.pic.slave.imr]).toEqual([0x08, 0xfb, 0x70, 0xff]);
    // smp_resume: LINT0 ExtINT again (the CPU reset masked it), so 8259 interrupts reach a kernel that never touches the APIC.
    expect(sys.cpu.lapic.lint0).toBe(0x8700);
    expect(sys.cpu.lapic.acceptsPicIntr()).toBe(true);
    // pci_resume: the PM block is back at 0x600, holding the wakeup's WAK_STS | PWRBTN_STS.
    expect(m.bus.read(0x600, 2) & 0x8100).toBe(0x8100);
  });
  it('S3 with no waking vector set: a hard reboot (SeaBIOS s3_resume returns, handle_resume32 → tryReboot), then the kernel again', () => {
    const sys = new PcSystem({ memoryMiB: 32, kernel: fakeBzImage(), cmdline: 'x' });
    sys.powerOn();
    const m = sys.machine;
    m.start();
    expect(sys.run(1)).toEqual({ kind: 'budget', insns: 1 }); // the CPU ran after POST: a later reset is a warm entry
    m.bus.write(0x604, 0x2401, 2);
    m.runState.service();
    m.runState.requestWakeup('other');
    m.runState.service();
    expect([sys.cpu.getReg('cs'), sys.cpu.getReg('eip')]).toEqual([0xf000, 0xfff0]);
    // the firmware's own code: clear HaveRunPost, 0x02 and 0x06 to 0xCF9 (6 instructions), then POST
    expect(sys.run(6)).toEqual({ kind: 'budget', insns: 6 });
    expect(m.runState.log.filter((e) => e.event === 'RESET').map((e) => e.data)).toEqual([{ guest: true, reason: 'guest-reset' }]);
    expect([sys.cpu.getReg('cs'), sys.cpu.getReg('eip')]).toEqual([0x10, 0x100000]);
  });
  it('-initrd with a Multiboot kernel is an error', () => {
    const mb = new Uint8Array(64);
    const dv = new DataView(mb.buffer);
    dv.setUint32(0, 0x1badb002, true); dv.setUint32(4, 0, true); dv.setUint32(8, -0x1badb002 >>> 0, true);
    expect(() => new PcSystem({ kernel: mb, initrd: new Uint8Array(1) }).powerOn()).toThrow(/-initrd needs a Linux kernel/);
  });
});

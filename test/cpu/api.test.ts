// The CPU's machine-facing API, driven from outside: reset vector from a mapped BIOS, requestStop from inside an
// OUT handler, the Xen hooks (VMCALL, CPUID 0x40000000, MSRs), the triple-fault hook, the Multiboot entry state,
// and the virtual clock. Guest code bytes carry their disassembly in comments.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { PortBus } from '../../src/ioports/port-bus.js';
import { PortRegion } from '../../src/ioports/region.js';
import { PhysMemory, PhysMemoryError } from '../../src/memory/phys-memory.js';
import { Cpu } from '../../src/cpu/cpu.js';

function setup(bus: PortBus = new PortBus()) {
  const mem = new PhysMemory(2 << 20);
  const clock = new VirtualClock();
  const cpu = new Cpu({ mem, io: bus, clock });
  return { mem, cpu, clock };
}
function realAt(cpu: Cpu, mem: PhysMemory, addr: number, code: number[]): void {
  mem.load(addr, new Uint8Array(code));
  cpu.setReg('cs', addr >>> 4);
  cpu.setReg('ip', addr & 15);
  cpu.halted = false;
}

describe('PhysMemory', () => {
  it('maps a BIOS at the top of 4 GiB and its last 128 KiB at 0xE0000, read-only (QEMU x86_bios_rom_init)', () => {
    const mem = new PhysMemory(1 << 20);
    const rom = new Uint8Array(0x40000);
    rom[0] = 0x11; rom[0x3fff0] = 0xea; rom[0x20000] = 0x22;
    mem.mapBios(rom);
    expect(mem.read8(0xfffc0000)).toBe(0x11);
    expect(mem.read8(0xfffffff0)).toBe(0xea);
    expect(mem.read8(0xffff0)).toBe(0xea);
    expect(mem.read8(0xe0000)).toBe(0x22);
    mem.write8(0xffff0, 0);
    expect(mem.read8(0xffff0)).toBe(0xea);
    expect(mem.isRamPage(0xe0000)).toBe(false);
  });
  it('PAM shadowing (QEMU hw/pci-host/pam.c): copy the BIOS to RAM, then read it from RAM', () => {
    const mem = new PhysMemory(1 << 20);
    const rom = new Uint8Array(0x20000);
    rom[0x10000] = 0xaa; // appears at 0xF0000
    mem.mapBios(rom);
    expect(mem.read8(0xc0000)).toBe(0xff); // PCI side, no option ROM
    mem.setPam(0xf0000, 0x10000, false, true); // write-only to RAM: reads still see the ROM
    mem.write8(0xf0000, mem.read8(0xf0000) + 1);
    expect(mem.read8(0xf0000)).toBe(0xaa);
    mem.setPam(0xf0000, 0x10000, true, false); // read RAM, writes dropped (locked shadow)
    expect(mem.read8(0xf0000)).toBe(0xab);
    mem.write8(0xf0000, 0);
    expect(mem.read8(0xf0000)).toBe(0xab);
    expect(mem.directRead(0xf0000)).toBe(true);
    expect(mem.directWrite(0xf0000)).toBe(false);
    expect(() => mem.setPam(0xf1000, 0x1000, true, true)).toThrow(/16 KiB/);
  });
  it('reads all-ones where nothing is mapped', () => {
    const mem = new PhysMemory(1 << 20);
    expect(mem.read(0xc0000000, 4)).toBe(0xffffffff);
    expect(mem.read(0x100000, 2)).toBe(0xffff);
  });
  it('rejects bad sizes with clear errors', () => {
    expect(() => new PhysMemory(1000)).toThrow(PhysMemoryError);
    expect(() => new PhysMemory(1 << 20).mapBios(new Uint8Array(1000))).toThrow(/multiple of 64 KiB/);
  });
});

describe('Cpu', () => {
  it('starts at F000:FFF0 (linear 0xFFFFFFF0) and executes the BIOS reset vector', () => {
    const { mem, cpu } = setup();
    const rom = new Uint8Array(0x10000);
    // FFF0: jmp f000:e000 ; E000: mov ax,0x1234 / cli / hlt
    rom.set([0xea, 0x00, 0xe0, 0x00, 0xf0], 0xfff0);
    rom.set([0xb8, 0x34, 0x12, 0xfa, 0xf4], 0xe000);
    mem.mapBios(rom);
    cpu.reset();
    expect(cpu.getReg('cs')).toBe(0xf000);
    expect(cpu.getReg('eip')).toBe(0xfff0);
    expect(cpu.run(100)).toBe('halted-cli');
    expect(cpu.getReg('ax')).toBe(0x1234);
  });

  it('requestStop() from an OUT handler stops before the next instruction (Xen/QEMU vCPU exit)', () => {
    const bus = new PortBus();
    const { mem, cpu } = setup(bus);
    bus.map(new PortRegion({ name: 'stopper', size: 1, read: () => 0, write: () => cpu.requestStop() }, null), 0x604);
    // out 0x04? no: mov dx,0x604 / out dx,al / mov bx,0x5555 / hlt
    realAt(cpu, mem, 0x1000, [0xba, 0x04, 0x06, 0xee, 0xbb, 0x55, 0x55, 0xf4]);
    expect(cpu.run(100)).toBe('stopped');
    expect(cpu.getReg('bx')).toBe(0);
    expect(cpu.getReg('ip')).toBe(4);
    expect(cpu.run(100)).toBe('halted-cli'); // IF=0 after reset
    expect(cpu.getReg('bx')).toBe(0x5555);
  });

  it('VMCALL calls onVmcall; without a hook it is #UD', () => {
    const { mem, cpu } = setup();
    // vmcall / hlt ; IVT[6] -> 0000:0500: mov cx,0x66 / hlt
    realAt(cpu, mem, 0x1000, [0x0f, 0x01, 0xc1, 0xf4]);
    mem.load(0x500, new Uint8Array([0xb9, 0x66, 0x00, 0xf4]));
    mem.load(6 * 4, new Uint8Array([0x00, 0x05, 0x00, 0x00]));
    const seen: number[] = [];
    cpu.onVmcall = (c) => { seen.push(c.getReg('eax')); c.setReg('eax', 0); };
    cpu.setReg('eax', 29);
    cpu.run(10);
    expect(seen).toEqual([29]);
    expect(cpu.getReg('ip')).toBe(4);
    cpu.onVmcall = null;
    realAt(cpu, mem, 0x1000, [0x0f, 0x01, 0xc1, 0xf4]);
    cpu.run(10);
    expect(cpu.getReg('cx')).toBe(0x66);
  });

  it('CPUID leaves 0x40000000+ come from cpuidHook; unknown MSRs from msrHook, else #GP', () => {
    const { mem, cpu } = setup();
    cpu.cpuidHook = (leaf) => (leaf === 0x40000000 ? [0x40000002, 0x566e6558, 0x65584d4d, 0x4d4d566e] : null);
    const writes: [number, number][] = [];
    cpu.msrHook = { read: () => null, write: (msr, v) => { writes.push([msr, v]); return msr === 0x40000000; } };
    // mov eax,0x40000000 / cpuid / mov ecx,0x40000000 / mov eax,0x1000 / xor edx,edx / wrmsr / hlt
    realAt(cpu, mem, 0x1000, [0x66, 0xb8, 0, 0, 0, 0x40, 0x0f, 0xa2, 0x66, 0xb9, 0, 0, 0, 0x40, 0x66, 0xb8, 0, 0x10, 0, 0,
      0x66, 0x31, 0xd2, 0x0f, 0x30, 0xf4]);
    expect(cpu.run(20)).toBe('halted-cli');
    expect(cpu.getReg('ebx')).toBe(0x566e6558); // "XenV"
    expect(writes).toEqual([[0x40000000, 0x1000]]);
  });

  it('a triple fault calls onTripleFault and ends the run', () => {
    const { mem, cpu } = setup();
    let calls = 0;
    cpu.onTripleFault = () => { calls++; };
    // lidt [0x600] (limit 0) / int3
    mem.load(0x600, new Uint8Array(6));
    realAt(cpu, mem, 0x1000, [0x0f, 0x01, 0x1e, 0x00, 0x06, 0xcc]);
    cpu.setReg('ds', 0);
    expect(cpu.run(100)).toBe('triple-fault');
    expect(calls).toBe(1);
  });

  it('setFlatProtectedMode gives the Multiboot entry state (EAX=0x2BADB002, EBX=info, flat 32-bit)', () => {
    const { mem, cpu } = setup();
    // mov [ebx+4], eax / hlt   (32-bit code at 1 MiB)
    mem.load(0x100000, new Uint8Array([0x89, 0x43, 0x04, 0xf4]));
    cpu.setFlatProtectedMode(0x100000, { eax: 0x2badb002, ebx: 0x9000 });
    expect(cpu.getReg('cr0') & 0x80000001).toBe(1);
    expect(cpu.segment('ds')).toMatchObject({ base: 0, limit: 0xffffffff, usable: true });
    cpu.run(10);
    expect(new DataView(mem.ram.buffer, mem.ram.byteOffset, mem.ram.byteLength).getUint32(0x9004, true)).toBe(0x2badb002);
  });

  it('DIV r/m32 takes a divisor >= 2^31 as unsigned (Linux 6.1 hit #DE here in mul_u64_u64_div_u64)', () => {
    const { mem, cpu } = setup();
    // div esi / hlt   (EDX:EAX = 0:0xFFFFFFFF, ESI = 0xE89246D2 → quotient 1, remainder 0x176DB92D)
    mem.load(0x100000, new Uint8Array([0xf7, 0xf6, 0xf4]));
    cpu.setFlatProtectedMode(0x100000, { eax: 0xffffffff, edx: 0, esi: 0xe89246d2 });
    cpu.run(10);
    expect(cpu.getReg('eip')).toBe(0x100003);
    expect(cpu.getReg('eax')).toBe(1);
    expect(cpu.getReg('edx')).toBe(0x176db92d);
  });

  it('setFlatProtectedMode takes the selectors and GDTR of the Linux 32-bit boot protocol (0x10/0x18)', () => {
    const { mem, cpu } = setup();
    // mov ax, ds / hlt
    mem.load(0x100000, new Uint8Array([0x66, 0x8c, 0xd8, 0xf4]));
    cpu.setFlatProtectedMode(0x100000, { esi: 0x10000 }, { cs: 0x10, ds: 0x18, gdtBase: 0x800, gdtLimit: 0x1f });
    cpu.run(10);
    expect(cpu.getReg('cs')).toBe(0x10);
    expect(cpu.getReg('eax') & 0xffff).toBe(0x18);
    expect(cpu.segment('ss')).toMatchObject({ base: 0, limit: 0xffffffff });
  });

  it('gives retired instructions to the virtual clock; RDTSC reads it', () => {
    const { mem, cpu, clock } = setup();
    // l: dec cx / jnz l / rdtsc / hlt
    realAt(cpu, mem, 0x1000, [0x49, 0x75, 0xfd, 0x0f, 0x31, 0xf4]);
    cpu.setReg('cx', 100);
    cpu.run(1000);
    expect(clock.instructions).toBe(202); // 100 x (dec, jnz) + rdtsc + hlt
    expect(cpu.getReg('eax')).toBe(200);
  });
});

describe('interrupt delivery without a local APIC (lapic: false)', () => {
  it('a PIC-only machine takes INTR as soon as IF=1 (qemu-pm.md §13, PIC-only variant)', () => {
    const mem = new PhysMemory(1 << 20);
    let pending = 0x20;
    const cpu = new Cpu({ mem, io: new PortBus(), clock: new VirtualClock(), lapic: false,
      intr: { intr: () => pending >= 0, ack: () => { const v = pending; pending = -1; return v; } } });
    // IVT[0x20] -> 0000:0600: mov dx,0x77 / iret ; main: sti / hlt / hlt
    mem.load(0x20 * 4, new Uint8Array([0x00, 0x06, 0x00, 0x00]));
    mem.load(0x600, new Uint8Array([0xba, 0x77, 0x00, 0xcf]));
    mem.load(0x1000, new Uint8Array([0xfb, 0xf4, 0xf4]));
    cpu.setReg('cs', 0); cpu.setReg('ip', 0x1000); cpu.setReg('ss', 0); cpu.setReg('sp', 0x8000);
    cpu.run(100);
    expect(cpu.getReg('dx')).toBe(0x77);
    expect(pending).toBe(-1);
  });
});

describe('canTakeInterrupt', () => {
  it('is false while the LAPIC masks LINT0 even though the PIC asserts INTR (qemu-pm.md §13)', () => {
    const mem = new PhysMemory(1 << 20);
    const cpu = new Cpu({ mem, io: new PortBus(), clock: new VirtualClock(), intr: { intr: () => true, ack: () => 0x20 } });
    mem.load(0x1000, new Uint8Array([0xfb, 0xf4])); // sti / hlt
    cpu.setReg('cs', 0); cpu.setReg('ip', 0x1000);
    expect(cpu.run(10)).toBe('halted');
    expect(cpu.canTakeInterrupt()).toBe(false);
    cpu.lapic.write(0x350, 0x700, 4); // LINT0 = ExtINT, unmasked (what SeaBIOS programs)
    expect(cpu.canTakeInterrupt()).toBe(true);
  });
});

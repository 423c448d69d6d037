// CPU models (src/cpu/cpu-model.ts): CPUID reports exactly what is implemented, and the instructions of a feature a
// model does not report are #UD. Values: Intel SDM Vol. 2A CPUID (Table 3-11 feature bits), RDTSC/RDMSR/CMPXCHG8B/
// CMOVcc ("#UD if CPUID.01H:EDX.<feature> = 0"), MOV CR4 ("#GP(0) if an attempt is made to set reserved bits").
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { PortBus } from '../../src/ioports/port-bus.js';
import { PhysMemory } from '../../src/memory/phys-memory.js';
import { Cpu } from '../../src/cpu/cpu.js';
import { Trace } from '../../src/trace/trace.js';
import { CPU_MODELS, findCpuModel } from '../../src/cpu/cpu-model.js';

/** Run `code` in flat 32-bit ring 0 until HLT; returns the CPU and the first exception vector (-1: none). */
function run(code: number[], model?: string, regs: Record<string, number> = {}) {
  const mem = new PhysMemory(2 << 20);
  const trace = new Trace();
  trace.enable('cpu_exception');
  const cpu = new Cpu({ mem, io: new PortBus(), clock: new VirtualClock(), trace, ...(model ? { model } : {}) });
  mem.load(0x1000, new Uint8Array([...code, 0xf4]));
  cpu.setFlatProtectedMode(0x1000, { esp: 0x8000, ...regs });
  cpu.run(100);
  const exc = trace.find('cpu_exception');
  return { cpu, vec: exc.length ? (exc[0]!.args.vec as number) : -1, err: exc.length ? (exc[0]!.args.err as number) : -1 };
}
const CPUID = [0x0f, 0xa2];

describe('CPU models', () => {
  it('acpidm (default): family 6 model 1, CPUID.1:EDX = FPU PSE TSC MSR CX8 APIC PGE CMOV, reset EDX = signature', () => {
    const { cpu } = run(CPUID, undefined, { eax: 1 });
    expect(cpu.getReg('eax')).toBe(0x610);
    expect(cpu.getReg("edx")).toBe((1 << 0) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 8) | (1 << 9) | (1 << 13) | (1 << 15));
    cpu.reset();
    expect(cpu.getReg('edx')).toBe(0x610);
  });
  it('no VME, DE, PAE, MCE, SEP, MTRR, PAT in any model (not implemented)', () => {
    for (const m of Object.keys(CPU_MODELS)) {
      const { cpu } = run(CPUID, m, { eax: 1 });
      expect(cpu.getReg('edx') & ((1 << 1) | (1 << 2) | (1 << 6) | (1 << 7) | (1 << 11) | (1 << 12) | (1 << 16)), m).toBe(0);
    }
  });
  it('486: family 4 model 8; RDTSC, RDMSR, CMPXCHG8B and CMOVcc are #UD (features it does not report)', () => {
    expect(run(CPUID, '486', { eax: 1 }).cpu.getReg('eax')).toBe(0x480);
    expect(run([0x0f, 0x31], '486').vec).toBe(6); //                      rdtsc
    expect(run([0x0f, 0x32], '486').vec).toBe(6); //                      rdmsr
    expect(run([0x0f, 0xc7, 0x0d, 0, 0x20, 0, 0], '486').vec).toBe(6); // cmpxchg8b [0x2000]
    expect(run([0x0f, 0x44, 0xc1], '486').vec).toBe(6); //                cmove eax,ecx
    expect(run([0x0f, 0x31]).vec).toBe(-1); //                           the default model has them
    expect(run([0x0f, 0x44, 0xc1]).vec).toBe(-1);
  });
  it('MOV CR4: implemented bits load, others #GP(0) (VME, PAE, OSFXSR)', () => {
    // mov cr4,eax
    expect(run([0x0f, 0x22, 0xe0], undefined, { eax: 0x94 }).vec).toBe(-1); // TSD PSE PGE
    for (const bit of [0, 5, 9]) {
      const r = run([0x0f, 0x22, 0xe0], undefined, { eax: 1 << bit });
      expect([r.vec, r.err], `CR4 bit ${bit}`).toEqual([13, 0]);
    }
    expect(run([0x0f, 0x22, 0xe0], '486', { eax: 0x80 }).vec).toBe(13); // no PGE on the 486 model
  });
  it('RDMSR/WRMSR of an unknown MSR: #GP(0); the P6 microcode-revision MSR 0x8B reads 0', () => {
    expect(run([0x0f, 0x32], undefined, { ecx: 0x1234 })).toMatchObject({ vec: 13, err: 0 });
    expect(run([0x0f, 0x30], undefined, { ecx: 0xc0000080 })).toMatchObject({ vec: 13, err: 0 }); // EFER: no long mode
    const r = run([0x0f, 0x30, 0x0f, 0x32], undefined, { ecx: 0x8b, eax: 0, edx: 0 });
    expect(r.vec).toBe(-1);
    expect(r.cpu.getReg('edx')).toBe(0);
  });
  it('an unknown model is refused with the list of models', () => {
    expect(() => findCpuModel('core2duo')).toThrow(/'core2duo' is not implemented; available: .*acpidm/);
  });
});

// The WebAssembly interpreter (src/cpu/jit/wasm/interpreter.ts) against the JavaScript interpreter it stands in for:
// the same guest code on two CPUs, one with it and one without, must end in the same registers, EFLAGS, EIP, memory
// and instruction count, and with the same blocks compiled. Random bytes (faults into random handlers included),
// generated programs that use every form it knows with operands in RAM, and the ways it hands an instruction back
// (a page crossing, MMIO, code written just before it runs, an ADC it does not know).
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { PortBus } from '../../src/ioports/port-bus.js';
import { PortRegion } from '../../src/ioports/region.js';
import { PhysMemory } from '../../src/memory/phys-memory.js';
import { Cpu } from '../../src/cpu/cpu.js';
import { clearModuleCache } from '../../src/cpu/jit/wasm/module-cache.js';
import { clearInterpreterModule, EXIT_BLOCK } from '../../src/cpu/jit/wasm/interpreter.js';
import { setCache } from '../../src/cpu/segments.js';
import { enterRandomFlat, fillRandom } from './random-flat-machine.js';
import { runPaged } from './paged-machine.js';
import { runRing3Machine, toRing3 } from './ring3-machine.js';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

/** A CPU with the WebAssembly tier; each compiles its own modules (none kept from the run it is compared with). */
function machine(wasmInterp: boolean, jitThreshold?: number): { cpu: Cpu; mem: PhysMemory; clock: VirtualClock } {
  clearModuleCache();
  const mem = new PhysMemory(4 << 20), clock = new VirtualClock();
  const cpu = new Cpu({ mem, io: new PortBus(), clock, wasmInterp, ...(jitThreshold ? { jitThreshold } : {}) });
  cpu.onTripleFault = () => {};
  return { cpu, mem, clock };
}

/** everything the two runs must agree on */
function state(m: { cpu: Cpu; mem: PhysMemory; clock: VirtualClock }, ramBytes = 1 << 20): Record<string, unknown> {
  const c = m.cpu;
  let h = 0x811c9dc5;
  const ram = m.mem.ram;
  for (let i = 0; i < ramBytes; i++) h = Math.imul(h ^ ram[i]!, 0x01000193);
  return {
    regs: ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip', 'eflags', 'cs', 'ss'].map((r) => c.getReg(r).toString(16)),
    insns: m.clock.instructions, ramHash: h >>> 0, blocks: c.blocksCompiled, inBlocks: c.insnsInBlocks,
  };
}

const le = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];

// ---------------------------------------------------------------- a program generator
const REGS = [0, 1, 2, 5, 6, 7]; // EAX ECX EDX EBP ESI EDI: free for the program (EBX: the data base, ESP: the stack)
const DATA = 0x200000, LOG = DATA + 0x800, STACK = 0x300000, CODE = 0x100000;

function program(next: () => number, length: number): number[] {
  const pick = <T>(a: readonly T[]): T => a[next() % a.length]!;
  const imm32 = (): number[] => { const v = next(); return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]; };
  const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
  let log = 0;
  /** a ModRM operand: a free register (mod 3) or memory in the data area through EBX, SIB with EDI, or disp32 */
  const rm = (reg: number, regOnly = false): number[] => {
    const k = regOnly ? 0 : next() % 5;
    if (k === 0) return [0xc0 | (reg << 3) | pick(REGS)];
    if (k === 1) return [0x40 | (reg << 3) | 3, next() & 0x7c]; // [ebx+disp8]
    if (k === 2) return [0x80 | (reg << 3) | 3, ...u32(0x100 + (next() & 0x3fc))]; // [ebx+disp32]
    if (k === 3) return [0x44 | (reg << 3), ((next() % 4) << 6) | (7 << 3) | 3, next() & 0x3c]; // [ebx+edi*s+disp8]
    return [0x05 | (reg << 3), ...u32(DATA + 0x400 + (next() & 0x3fc))]; // [disp32]
  };
  const forms: (() => number[])[] = [
    () => [pick([0x89, 0x8b, 0x88, 0x8a, 0x85, 0x84]), ...rm(pick(REGS))],
    () => [pick([0x00, 0x01, 0x02, 0x03, 0x08, 0x09, 0x0a, 0x0b, 0x20, 0x21, 0x22, 0x23, 0x28, 0x29, 0x2a, 0x2b, 0x30, 0x31,
      0x32, 0x33, 0x38, 0x39, 0x3a, 0x3b, 0x10, 0x11, 0x12, 0x13, 0x18, 0x19, 0x1a, 0x1b]), ...rm(pick(REGS))],
    () => [pick([0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0xa8]), next() & 0xff],
    () => [pick([0x05, 0x0d, 0x25, 0x2d, 0x35, 0x3d, 0xa9]), ...imm32()],
    () => [0x83, ...rm(next() % 8), next() & 0xff],
    () => [0x81, ...rm(next() % 8), ...imm32()],
    () => [0x80, ...rm(next() % 8), next() & 0xff],
    () => [0xc7, ...rm(0), ...imm32()],
    () => [0xc6, ...rm(0), next() & 0xff],
    () => [0xb8 + pick(REGS), ...imm32()],
    () => [0x8d, 0x44 | (pick(REGS) << 3), ((next() % 4) << 6) | (7 << 3) | 3, next() & 0xff], // LEA with SIB
    () => [0x8d, 0x40 | (pick(REGS) << 3) | 3, next() & 0xff],
    () => [0x40 + pick(REGS)], () => [0x48 + pick(REGS)],
    () => [0xff, ...rm(next() % 2)], // INC/DEC Ev
    () => [0xc1, ...rm(pick([0, 1, 2, 4, 5, 7])), pick([0, 1, 2, 7, 31, 32, 33, next() & 0xff])], // RCL: handed back
    () => [0x66, pick([0x89, 0x8b]), ...rm(pick(REGS))], () => [0x66, 0xc7, ...rm(0), next() & 0xff, next() & 0xff],
    // 16-bit ALU forms, INC/DEC, TEST NOT NEG, shifts (SHL SHR SAR by imm8, 1 and CL; the rotates: handed back), 66 90
    () => [0x66, pick([0x01, 0x03, 0x09, 0x0b, 0x11, 0x13, 0x19, 0x1b, 0x21, 0x23, 0x29, 0x2b, 0x31, 0x33, 0x39, 0x3b, 0x85]), ...rm(pick(REGS))],
    () => [0x66, pick([0x05, 0x0d, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0xa9]), next() & 0xff, next() & 0xff],
    () => [0x66, 0x83, ...rm(next() % 8), next() & 0xff], () => [0x66, 0x81, ...rm(next() % 8), next() & 0xff, next() & 0xff],
    () => [0x66, pick([0x40, 0x48]) + pick(REGS)], () => [0x66, 0xff, ...rm(next() % 2)], () => [0x66, 0xc1, ...rm(pick([0, 4, 5, 6, 7])), pick([0, 1, 3, 15, 16, 17, 31, 32, next() & 0xff])],
    () => [0x66, pick([0xd1, 0xd3]), ...rm(pick([1, 4, 5, 7]))], () => [0x66, 0x90],
    () => { const r = pick([0, 2, 3]); return [0x66, 0xf7, ...rm(r), ...(r === 0 ? [next() & 0xff, next() & 0xff] : [])]; },
    () => [0xb0 + (next() & 7), next() & 0xff], () => [0xf3, 0x90], // MOV r8,imm8; PAUSE
    () => [0x69, ...rm(pick(REGS)), ...imm32()], () => [0x6b, ...rm(pick(REGS)), next() & 0xff], // IMUL
    () => [0x0f, pick([0xc1, 0xb1]), ...rm(pick(REGS))], // XADD, CMPXCHG
    () => [0x83, 0xe7, 0x3f, 0x0f, pick([0xa3, 0xab, 0xb3, 0xbb]), ...rm(7)], // BT* Ev,Gv with a bit offset below 64
    () => [0x6a, next() & 0xff, 0x8f, 0x44, 0x24, pick([0x00, 0x04, 0x08, 0xfc])], // POP [esp+disp8]: ESP moves first
    // MOVS CMPS STOS LODS SCAS (byte, word, dword) in the data area, either direction; CLI
    () => [0xbe, ...u32(DATA + 0x400 + (next() & 0x3fc)), 0xbf, ...u32(DATA + 0x800 + (next() & 0x3fc)),
      ...(next() % 3 === 0 ? [0x66] : []), pick([0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf]), 0x83, 0xe7, 0x3f],
    // REP MOVS / REP STOS (bytes and dwords, a few elements) anywhere in the data page (runs across its end are handed
    // back), copies that overlap either way, STOSD of four equal bytes (a fill) or of any EAX
    () => [0xbe, ...u32(DATA + (next() & 0xfff)), 0xbf, ...u32(DATA + (next() & 0xfff)), 0xb9, ...u32(next() % 48),
      0xf3, pick([0xa4, 0xa5, 0xaa, 0xab]), 0x83, 0xe7, 0x3f],
    () => [0xbe, ...u32(DATA + 0x400 + (next() & 0x3ff)), 0x8d, 0x7e, pick([1, 2, 3, 4, 7, 0xfc, 0xff]), 0xb9, ...u32(next() % 48),
      0xf3, pick([0xa4, 0xa5]), 0x83, 0xe7, 0x3f],
    () => { const b = next() & 0xff; return [0xb8, b, b, b, b, 0xbf, ...u32(DATA + (next() & 0xfff)), 0xb9, ...u32(next() % 48), 0xf3, 0xab, 0x83, 0xe7, 0x3f]; },
    // a segment prefix: ES, SS, DS (flat: nothing changes), FS (flat but for its base 0x1000), GS (a 4 MiB limit:
    // handed back), before a form of the list above; FS and GS also before a string form or LEA (handed back)
    () => { const f = pick(forms.slice(0, 12)); return [pick([0x26, 0x36, 0x3e, 0x64, 0x64, 0x65]), ...f()]; },
    () => [pick([0x64, 0x3e]), pick([0xa1, 0xa3]), ...u32(DATA - (next() % 2) * 0x1000 + 0x400 + (next() & 0x3fc))],
    () => [0x64, 0x66, pick([0x89, 0x8b]), ...rm(pick(REGS))], () => [0x64, 0x8d, 0x43, next() & 0x7c],
    () => [0xbe, ...u32(DATA + 0x400 + (next() & 0x3fc)), 0xbf, ...u32(DATA + 0x800 + (next() & 0x3fc)),
      0x64, ...(next() % 2 ? [0x66] : []), pick([0xa5, 0xad]), 0x83, 0xe7, 0x3f], // FS:ESI the source
    () => [pick([0xfc, 0xfd])], () => [0xfa],
    () => [0xd1, ...rm(pick([0, 1, 4, 5, 7]))],
    () => [0xd3, ...rm(pick([0, 1, 4, 5, 7]))],
    () => [0xf7, ...rm(0), ...imm32()], () => [0xf6, ...rm(0), next() & 0xff],
    () => [pick([0xf6, 0xf7]), ...rm(pick([2, 3, 4, 5]))], // NOT NEG MUL IMUL (the byte MUL and IMUL: handed back)
    () => [0x0f, 0xaf, ...rm(pick(REGS))], // IMUL Gv,Ev
    // DIV with EDX below a divisor of 2^16 or more; IDIV after CDQ by an even divisor with bit 8 set (never 0 or -1)
    () => [0xba, ...u32(next() & 0xffff), 0xc7, 0x43, 0x10, ...u32(next() | 0x10000), 0xf7, 0x73, 0x10],
    () => [0x99, 0xc7, 0x43, 0x14, ...u32((next() | 0x100) & ~1), 0xf7, 0x7b, 0x14],
    () => [0x90 + pick([1, 2, 5, 6, 7])], () => [pick([0x98, 0x99])], // XCHG EAX,r; CWDE, CDQ
    () => [0x55, 0x89, 0xe5, 0x6a, next() & 0xff, 0xc9], // push ebp / mov ebp, esp / push imm8 / leave
    () => [0x0f, pick([0xbc, 0xbd]), ...rm(pick(REGS))], // BSF BSR (a zero source leaves the destination)
    () => [0x0f, 0x40 + (next() & 15), ...rm(pick(REGS))], // CMOVcc
    () => [0x0f, 0xc8 + pick(REGS)], () => [0x0f, 0x31], // BSWAP, RDTSC
    // CMPXCHG8B [ebx+disp8] with or without LOCK, EDX:EAX now and then the qword itself (equal: ECX:EBX stored)
    () => { const d = next() & 0x78; const eq = next() % 2 === 0 ? [0x8b, 0x43, d, 0x8b, 0x53, d + 4] : [];
      return [...eq, ...(next() % 2 ? [0xf0] : []), 0x0f, 0xc7, 0x4b, d]; },
    // LOCK before forms it may precede (memory operands): ADD/OR/AND/SUB/XOR Ev,Gv, group 1, INC/DEC, NOT/NEG, XADD,
    // CMPXCHG, BTS/BTR/BTC
    () => [0xf0, pick([0x01, 0x09, 0x21, 0x29, 0x31, 0x11, 0x19]), 0x43 | (pick(REGS) << 3), next() & 0x7c],
    () => [0xf0, 0x83, 0x43 | (pick([0, 1, 4, 5, 6]) << 3), next() & 0x7c, next() & 0xff],
    () => [0xf0, 0xff, 0x43 | (pick([0, 1]) << 3), next() & 0x7c], () => [0xf0, 0xf7, 0x43 | (pick([2, 3]) << 3), next() & 0x7c],
    () => [0xf0, 0x0f, pick([0xc1, 0xb1]), 0x43 | (pick(REGS) << 3), next() & 0x7c],
    () => [0xf0, 0x0f, 0xba, 0x43 | (pick([5, 6, 7]) << 3), next() & 0x7c, next() & 0xff],
    () => [0x0f, pick([0xa4, 0xac]), ...rm(pick(REGS)), pick([0, 1, 5, 31, 32, 33, next() & 0xff])], // SHLD SHRD by imm8
    () => [0x0f, pick([0xa5, 0xad]), ...rm(pick(REGS))], // ... and by CL
    // REPE / REPNE SCASB and CMPSB, a few elements anywhere in the data page (runs across its end are handed back),
    // AL one of its bytes
    () => [0xbe, ...u32(DATA + (next() & 0xfff)), 0xbf, ...u32(DATA + (next() & 0xfff)), 0xb9, ...u32(next() % 64),
      0xa0, ...u32(DATA + (next() & 0xfff)), pick([0xf2, 0xf3]), pick([0xae, 0xa6]), 0x83, 0xe7, 0x3f],
    () => [0x0f, pick([0xb6, 0xb7, 0xbe, 0xbf]), ...rm(pick(REGS))],
    () => [0x0f, 0x90 + (next() & 15), ...rm(0)],
    () => [0x0f, 0xba, ...rm(pick([4, 5, 6, 7])), next() & 0xff],
    () => [0xa1, ...u32(DATA + (next() & 0x3fc))], () => [0xa3, ...u32(DATA + 0x400 + (next() & 0x3fc))],
    () => [0xa0, ...u32(DATA + (next() & 0x3ff))], () => [0xa2, ...u32(DATA + 0x400 + (next() & 0x3ff))],
    () => [0x50 + pick(REGS), 0x58 + pick(REGS)], // PUSH / POP
    () => [pick([0x6a]), next() & 0xff, 0x58 + pick(REGS)], () => [0x68, ...imm32(), 0x58 + pick(REGS)],
    () => [0xff, 0x73, next() & 0x7c, 0x58 + pick(REGS)], // PUSH [ebx+disp8]; POP
    () => [0x70 + (next() & 15), 0x01, 0x40 + pick(REGS)], // Jcc over an INC
    () => [0x0f, 0x80 + (next() & 15), 0x01, 0x00, 0x00, 0x00, 0x48 + pick(REGS)],
    () => [0xeb, 0x01, 0x90], () => [0xe9, 0x01, 0x00, 0x00, 0x00, 0x90], () => [0x90],
    () => [0xe8, 0x02, 0x00, 0x00, 0x00, 0xeb, 0x01, 0xc3], // call over a jmp to a ret, which returns to the jmp
    () => [0xe8, 0x00, 0x00, 0x00, 0x00, 0x58 + pick(REGS)], // call the next instruction, pop the return address
    () => [0x83, 0xe7, 0x3f], // and edi, 0x3f: keep the SIB index in the data area
  ];
  const out: number[] = [];
  for (let i = 0; i < length; i++) {
    out.push(...pick(forms)());
    if (next() % 3 === 0) out.push(0x9c, 0x8f, 0x83, ...u32(LOG - DATA + (log++ & 0x1ff) * 4)); // pushfd; pop [ebx+log]
  }
  out.push(0xf4);
  return out;
}

function runProgram(code: number[], wasmInterp: boolean, seed: number): ReturnType<typeof machine> {
  const m = machine(wasmInterp, 1 << 15);
  const next = rng(seed * 7 + 3);
  for (let i = 0; i < 0x1000; i++) m.mem.ram[DATA + i] = next() & 0xff;
  m.mem.load(CODE, new Uint8Array(code));
  m.cpu.setFlatProtectedMode(CODE, { esp: STACK, ebx: DATA, edi: 8, eax: next(), ecx: next(), edx: next(), ebp: next(), esi: next() });
  // FS: a 4 GiB data segment at base 0x1000 (as Linux's per-CPU segment); GS: base 0, limit 4 MiB
  setCache(m.cpu, 4, 0x10, 0x1000ffff, 0x00cf9300);
  setCache(m.cpu, 5, 0x10, 0x000003ff, 0x00c09300);
  m.cpu.run(100_000);
  return m;
}

/** `code` at CODE in flat protected mode with `regs`, run to its HLT (or a triple fault: there is no IDT) without and with the interpreter */
function both(code: number[], regs: Record<string, number> = {}): [ReturnType<typeof machine>, ReturnType<typeof machine>] {
  const run = (wasmInterp: boolean): ReturnType<typeof machine> => {
    const m = machine(wasmInterp);
    m.mem.load(CODE, new Uint8Array(code));
    m.cpu.setFlatProtectedMode(CODE, { esp: STACK, ...regs });
    m.cpu.run(100);
    return m;
  };
  return [run(false), run(true)];
}

describe('the WebAssembly interpreter against the JavaScript interpreter', () => {
  it('generated programs over every form it runs: the same registers, EFLAGS (logged after many instructions), memory and count', () => {
    let inWasm = 0, total = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const code = program(rng(seed), 120);
      const a = runProgram(code, false, seed), b = runProgram(code, true, seed);
      expect(state(b, 4 << 20), `seed ${seed}`).toEqual(state(a, 4 << 20));
      expect(a.cpu.halted && b.cpu.halted).toBe(true);
      expect(a.cpu.insnsInWasmInterp).toBe(0);
      inWasm += b.cpu.insnsInWasmInterp; total += b.clock.instructions;
    }
    // most of them ran in WebAssembly (the rest: MUL, RCL, 16-bit shifts, CLD/STD, the HLT, TLB misses)
    expect(inWasm / total).toBeGreaterThan(0.7);
  });

  it('random code in flat protected mode (faults into random handlers): the same state after every run', () => {
    let inWasm = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const ra = rng(seed), rb = rng(seed);
      const a = machine(false), b = machine(true);
      for (let round = 0; round < 40; round++) {
        fillRandom(a.mem.ram, ra); fillRandom(b.mem.ram, rb);
        a.cpu.reset(); b.cpu.reset();
        enterRandomFlat(a.cpu, a.mem.ram, ra, { esp: 0x80000 }); enterRandomFlat(b.cpu, b.mem.ram, rb, { esp: 0x80000 });
        const ea = a.cpu.run(3000), eb = b.cpu.run(3000);
        expect(eb, `seed ${seed} round ${round}`).toBe(ea);
        expect(state(b), `seed ${seed} round ${round}`).toEqual(state(a));
      }
      inWasm += b.cpu.insnsInWasmInterp;
    }
    expect(inWasm).toBeGreaterThan(10_000);
  });

  it('hands back what it cannot finish: an operand across a page, MMIO, code written just before it runs, instructions across a page', () => {
    const far = CODE + 0x1ff0; // 16 bytes before a page's end
    const code = [
      0xb8, 0x44, 0x33, 0x22, 0x11, // mov eax, 0x11223344
      0x89, 0x83, 0xfe, 0x0f, 0x00, 0x00, // mov [ebx+0xffe], eax: across the data page's end
      0x8b, 0x0d, 0x20, 0x00, 0xe0, 0xfe, // mov ecx, [0xfee00020]: the local APIC's ID register (MMIO)
      0xc6, 0x05, ...le(CODE + 25), 0x07, // mov byte [CODE+25], 7: the immediate of the next instruction
      0xb2, 0x01, // mov dl, 1 (runs as mov dl, 7)
      0xe9, ...le(far - (CODE + 31)), // jmp far
    ];
    const run = (wasmInterp: boolean): ReturnType<typeof machine> => {
      const m = machine(wasmInterp);
      m.mem.load(CODE, new Uint8Array(code));
      m.mem.load(far, new Uint8Array([...Array<number>(20).fill(0x42), 0xf4])); // 20 x inc edx across the page's end; hlt
      m.cpu.setFlatProtectedMode(CODE, { esp: STACK, ebx: DATA });
      m.cpu.run(1000);
      return m;
    };
    const a = run(false), b = run(true);
    expect(state(b, 4 << 20)).toEqual(state(a, 4 << 20));
    expect(b.cpu.getReg('edx') & 0xff).toBe(27); // 7 from the written immediate, then 20 INCs
    const dv = new DataView(b.mem.ram.buffer, b.mem.ram.byteOffset);
    expect(dv.getUint32(DATA + 0xffe, true)).toBe(0x11223344);
    expect(b.cpu.insnsInWasmInterp).toBeGreaterThanOrEqual(5);
  });

  it('hands back an FS or GS access unless the segment is flat but for its base: a GS limit faults as in JavaScript', () => {
    // mov eax, [0x2000] (the page into the TLB) / inc edx / inc edx / mov eax, gs:[0x2000] (beyond a 4 KiB GS
    // limit: #GP; no IDT, so a triple fault) / inc edx / hlt
    const code = [0xa1, ...le(0x2000), 0x42, 0x42, 0x65, 0x8b, 0x05, ...le(0x2000), 0x42, 0xf4];
    const run = (wasmInterp: boolean): ReturnType<typeof machine> => {
      const m = machine(wasmInterp);
      m.mem.load(CODE, new Uint8Array(code));
      m.cpu.setFlatProtectedMode(CODE, { esp: STACK, edx: 0 });
      setCache(m.cpu, 5, 0x10, 0x00000fff, 0x00409300); // GS: base 0, limit 0xFFF (bytes)
      m.cpu.run(1000);
      return m;
    };
    const a = run(false), b = run(true);
    expect(state(b)).toEqual(state(a));
    expect(b.cpu.getReg('edx')).toBe(2);
    expect(b.cpu.insnsInWasmInterp).toBeGreaterThan(0); // the second INC (the first fills the TLB in JavaScript)
  });

  it('stops after a segment load it hands back: a MOV through a null DS right after it is #GP, as in JavaScript', () => {
    // mov ecx, [ebx] (the data page into the TLB) / mov ecx, 0x1234 / xor eax, eax / mov ds, ax (handed back) /
    // mov ecx, [ebx] (#GP(0): DS is null; no IDT, so a triple fault) / inc edx
    const code = [0x8b, 0x0b, 0xb9, ...le(0x1234), 0x31, 0xc0, 0x8e, 0xd8, 0x8b, 0x0b, 0x42, 0xf4];
    const run = (wasmInterp: boolean): ReturnType<typeof machine> => {
      const m = machine(wasmInterp);
      m.mem.load(CODE, new Uint8Array(code));
      m.cpu.setFlatProtectedMode(CODE, { esp: STACK, ebx: DATA, edx: 0 });
      m.cpu.idtLimit = 0;
      m.cpu.run(1000);
      return m;
    };
    const a = run(false), b = run(true);
    expect(state(b, 4 << 20)).toEqual(state(a, 4 << 20));
    expect(b.cpu.getReg('ecx')).toBe(0x1234);
    expect(b.cpu.getReg('edx')).toBe(0);
    expect(b.cpu.insnsInWasmInterp).toBeGreaterThan(0);
  });

  it('runs a page\'s last 15 bytes from a copy when the next page is RAM it may read, and hands them back when not', () => {
    // a loop of 7 instructions, the first four in a page's last 12 bytes (the fourth across its end); before the copy,
    // all four went to the JavaScript interpreter on every pass
    const at = CODE + 0x2ff4;
    const loop = [0x42, 0xb8, ...le(0x01020304), 0x05, ...le(0x10), 0x01, 0xc3, 0x81, 0xc6, ...le(3), 0x49, 0x75, 0x100 - 22, 0xf4];
    const run = (wasmInterp: boolean): ReturnType<typeof machine> => {
      const m = machine(wasmInterp, 1 << 30); // no blocks: the loop stays interpreted
      m.mem.load(at, new Uint8Array(loop));
      m.cpu.setFlatProtectedMode(at, { esp: STACK, ecx: 5000, edx: 0 });
      m.cpu.run(1_000_000);
      return m;
    };
    const a = run(false), b = run(true);
    expect(state(b, 4 << 20)).toEqual(state(a, 4 << 20));
    expect(b.cpu.halted && b.cpu.getReg('edx')).toBe(5000);
    expect(b.cpu.insnsInWasmInterp).toBeGreaterThan(0.99 * b.clock.instructions);
    // with paging, the page after is not present: the instruction across the end faults (#PF, CR2 the next page),
    // as the JavaScript interpreter finds, after the INCs before it; a short loop first, so the page is the one the
    // interpreter's last instruction came from when it reaches the page's end
    const paged = (wasmInterp: boolean) => runPaged([0xb8, ...le(0x102fe8), 0xff, 0xe0], { // mov eax, 0x102fe8; jmp eax
      notPresent: [0x103000], jit: true, jitThreshold: 1 << 30, wasmInterp,
      // mov ecx, 3 / L: dec ecx / jnz L / nop / 11 x inc edx / mov eax, imm32 (across the page's end) / hlt
      setup: (ram) => ram.set([0xb9, 3, 0, 0, 0, 0x49, 0x75, 0xfd, 0x90, ...Array<number>(11).fill(0x42), 0xb8, 1, 2, 3, 4, 0xf4], 0x102fe8),
    });
    const pa = paged(false), pb = paged(true);
    expect(pb.vector).toBe(14);
    expect(pa.vector).toBe(14);
    expect(pb.cpu.getReg('cr2')).toBe(0x103000);
    expect(pb.cpu.getReg('edx')).toBe(pa.cpu.getReg('edx'));
    expect(pb.cpu.getReg('esp')).toBe(pa.cpu.getReg('esp'));
  });

  it('runs REP MOVS and REP STOS a slice at a time, as JavaScript does: a page-sized copy, 5,000 bytes in two runs', () => {
    // mov edi, DATA+0x1000 / mov ecx, 5000 / mov al, 0x5a / rep stosb (4,096 bytes, then the instruction again for
    // 904) / mov esi, DATA+0x1000 / mov edi, DATA+0x3000 / mov ecx, 1024 / rep movsd (a page) / mov eax, 0x01020304 /
    // mov edi, DATA+0x2800 / mov ecx, 100 / rep stosd (not a fill) / hlt
    // (first a byte into each page, so the TLB holds them: a REP starts in WebAssembly only on pages it holds)
    const code = [0xc6, 0x05, ...le(DATA + 0x1000), 1, 0xc6, 0x05, ...le(DATA + 0x2000), 1, 0xc6, 0x05, ...le(DATA + 0x3000), 1,
      0xbf, ...le(DATA + 0x1000), 0xb9, ...le(5000), 0xb0, 0x5a, 0xf3, 0xaa,
      0xbe, ...le(DATA + 0x1000), 0xbf, ...le(DATA + 0x3000), 0xb9, ...le(1024), 0xf3, 0xa5,
      0xb8, ...le(0x01020304), 0xbf, ...le(DATA + 0x2800), 0xb9, ...le(100), 0xf3, 0xab, 0xf4];
    const [a, b] = both(code);
    expect(a.cpu.halted).toBe(true);
    expect(state(b, 4 << 20)).toEqual(state(a, 4 << 20));
    expect(b.clock.instructions).toBe(17); // 15 instructions, the HLT, and the REP STOSB run again
    expect(b.cpu.insnsInWasmInterp).toBe(13); // all but the three TLB misses and the HLT
    const ram = b.mem.ram;
    expect([ram[DATA + 0x1000], ram[DATA + 0x2387], ram[DATA + 0x2388], ram[DATA + 0x3fff], ram[DATA + 0x2800 + 397]]).toEqual([0x5a, 0x5a, 0, 0x5a, 3]);
  });

  it('runs REPE/REPNE SCASB and CMPSB a slice at a time, as JavaScript does, and hands back a run across a page', () => {
    const code = [
      // 5,000 bytes of 0x5a from DATA+0x1000, and both pages read once (a REP starts in WebAssembly on pages the TLB holds)
      0xbf, ...le(DATA + 0x1000), 0xb9, ...le(5000), 0xb0, 0x5a, 0xf3, 0xaa, 0x8a, 0x15, ...le(DATA + 0x1000), 0x8a, 0x15, ...le(DATA + 0x2000),
      // repe scasb over 6,000: a whole slice of 4,096 (then the instruction again), and it stops at the first 0 after
      0xbf, ...le(DATA + 0x1000), 0xb9, ...le(6000), 0xf3, 0xae,
      // repne scasb for a 0 among 100 bytes of 0x5a: none, ECX runs out
      0xbf, ...le(DATA + 0x1000), 0xb9, ...le(100), 0xb0, 0x00, 0xf2, 0xae,
      // repe cmpsb of two equal runs of 300, then of two that differ at their 0x50th byte
      0xbe, ...le(DATA + 0x1000), 0xbf, ...le(DATA + 0x1100), 0xb9, ...le(300), 0xf3, 0xa6,
      0xc6, 0x05, ...le(DATA + 0x1150), 0x01,
      0xbe, ...le(DATA + 0x1000), 0xbf, ...le(DATA + 0x1100), 0xb9, ...le(300), 0xf3, 0xa6,
      // repne scasb from 16 bytes before the page's end, for 100: handed back, nothing changed before
      0xbf, ...le(DATA + 0x1ff0), 0xb9, ...le(100), 0xf2, 0xae,
      // and with ECX 0: nothing at all
      0xb9, ...le(0), 0xf3, 0xae, 0xf4];
    const [a, b] = both(code);
    expect(a.cpu.halted).toBe(true);
    expect(state(b, 4 << 20)).toEqual(state(a, 4 << 20));
    expect(b.clock.instructions).toBe(30); // 28 instructions, the HLT, and the first REPE SCASB run again
    // all but the first instruction (its code page not yet in the TLB), both runs of the REP STOSB (its pages not
    // yet in the TLB), the page-crossing REPNE SCASB and the HLT
    expect(b.cpu.insnsInWasmInterp).toBe(25);
    expect([b.cpu.getReg('ecx'), b.cpu.getReg('edi')]).toEqual([0, DATA + 0x1ff0 + 100]); // the crossing run, done in JavaScript
  });

  it('DIV and IDIV: quotients and remainders of either sign as JavaScript has them; #DE (and IDIV by -1) left to it', () => {
    // mov edx, hi / mov eax, lo / mov ecx, d / div or idiv ecx / hlt; no IDT: a #DE ends in a triple fault
    const cases: [number, number, number, number][] = [
      [6, 0, 0x12345678, 0x9abcdef0], [6, 0x1234, 0x5678, 0x10000], [6, 0, 0, 5], // DIV
      [6, 0, 5, 0], [6, 7, 0, 7], [6, 0xffffffff, 0, 0xfffffffe], // DIV: by 0, quotient of 2^32 and more
      [7, -1, -7, 2], [7, 0, 7, -2], [7, -1, -0x80000000, 1], [7, 0, 0x7fffffff, -1], // IDIV (by -1: handed back)
      [7, 0, 5, 0], [7, 0x100, 0, 2], [7, -1, -0x80000000, -1], [7, 0, 0x80000000, 1], // IDIV: by 0, overflows
    ];
    for (const [op, hi, lo, d] of cases) {
      const [a, b] = both([0xba, ...le(hi), 0xb8, ...le(lo), 0xb9, ...le(d), 0xf7, 0xc0 | (op << 3) | 1, 0xf4]);
      expect(state(b), `${op === 6 ? 'div' : 'idiv'} ${hi}:${lo} / ${d}`).toEqual(state(a));
    }
  });

  it('CMOVcc and CMPXCHG8B on a CPU model without them are #UD, as in JavaScript (one interpreter for every model)', () => {
    // mov eax, 1 / cmp eax, eax / cmove ecx, eax (ECX 1), or mov [ebx], edx (the page in the TLB) / cmpxchg8b [ebx] /
    // mov ecx, eax (EDX:EAX loaded: ECX 0) / hlt: a 486 takes #UD (no IDT: a triple fault) with ECX unchanged
    const cases = [[[0x0f, 0x44, 0xc8], 1], [[0x89, 0x13, 0x0f, 0xc7, 0x0b, 0x89, 0xc1], 0]] as const;
    for (const [code, model, ecx] of cases.flatMap(([ins, v]) => ['acpidm', '486'].map((m) => [[0xb8, ...le(1), 0x39, 0xc0, ...ins, 0xf4], m, v] as const))) {
      const run = (wasmInterp: boolean): { cpu: Cpu; mem: PhysMemory; clock: VirtualClock } => {
        clearModuleCache();
        const mem = new PhysMemory(4 << 20), clock = new VirtualClock();
        const cpu = new Cpu({ mem, io: new PortBus(), clock, wasmInterp, model });
        cpu.onTripleFault = () => {};
        mem.load(CODE, new Uint8Array(code));
        cpu.setFlatProtectedMode(CODE, { esp: STACK, ecx: 7, edx: 0, ebx: DATA + 0x2000 });
        cpu.run(100);
        return { cpu, mem, clock };
      };
      const a = run(false), b = run(true);
      expect(state(b), model).toEqual(state(a));
      expect(b.cpu.getReg('ecx'), model).toBe(model === '486' ? 7 : ecx);
    }
  });

  it('BSF and BSR: ZF set and the destination kept for a zero source, else ZF clear and the bit\'s index', () => {
    for (const v of [0, 1, 0x80000000, 0x00f0, -1]) {
      // mov ecx, v / mov eax, 0x1234 / bsf eax, ecx / setz bl / mov edx, 0x5678 / bsr edx, ecx / setz bh / hlt
      const [a, b] = both([0xb9, ...le(v), 0xb8, ...le(0x1234), 0x0f, 0xbc, 0xc1, 0x0f, 0x94, 0xc3,
        0xba, ...le(0x5678), 0x0f, 0xbd, 0xd1, 0x0f, 0x94, 0xc7, 0xf4]);
      expect(state(b), `${v}`).toEqual(state(a));
      expect(b.cpu.getReg('ebx') & 0xffff, `${v}`).toBe(v === 0 ? 0x0101 : 0);
      expect(b.cpu.insnsInWasmInterp, `${v}`).toBeGreaterThan(5);
    }
  });

  it('RDTSC reads what the JavaScript interpreter reads: a TSC set far past 2^32, 4 ns an instruction', () => {
    // mov ecx, 300 / loop: rdtsc / mov [ebx+ecx*8], eax / mov [ebx+ecx*8+4], edx / dec ecx / jnz loop / hlt
    const code = [0xb9, ...le(300), 0x0f, 0x31, 0x89, 0x04, 0xcb, 0x89, 0x54, 0xcb, 0x04, 0x49, 0x75, 0xf4, 0xf4];
    const run = (wasmInterp: boolean): ReturnType<typeof machine> => {
      const m = machine(wasmInterp);
      m.clock.setShift(2);
      m.mem.load(CODE, new Uint8Array(code));
      m.cpu.setFlatProtectedMode(CODE, { esp: STACK, ebx: DATA });
      m.cpu.tsc = 0x1234_5678_9abc;
      m.cpu.run(10_000);
      return m;
    };
    const a = run(false), b = run(true);
    expect(state(b, 4 << 20)).toEqual(state(a, 4 << 20));
    expect(b.cpu.insnsInWasmInterp).toBeGreaterThan(300);
    const ram = new DataView(b.mem.ram.buffer, b.mem.ram.byteOffset);
    // 5 instructions a round at 4 ns each: the TSC moves 20 from one RDTSC to the next
    expect(ram.getUint32(DATA + 8 * 100, true) - ram.getUint32(DATA + 8 * 101, true)).toBe(20);
    expect(ram.getUint32(DATA + 8 * 100 + 4, true)).toBe(0x1234);
  });

  it('more code pages than the TLB tracks: every block goes stale for the interpreter too, so a store into a page it no longer protects takes effect', () => {
    // at CODE: mov ecx, 200 / L: call F / dec ecx / jnz L / hlt, F: add eax, 1 / ret (F compiled, entered by the
    // interpreter through the chaining table); then more code pages marked than tlb.ts tracks (LIST): all are
    // forgotten, F's page too; at P2: mov byte [F+2], 2 / mov ecx, 100 / L2: call F / dec ecx / jnz L2 / hlt.
    // The interpreter alone ends with EAX 400. (The interpreter kept entering the old F by its epoch: 300.)
    const F = CODE + 0x1000, P2 = CODE + 0x2000;
    const call = (from: number, to: number): number[] => [0xe8, ...le(to - (from + 5))];
    const run = (jit: boolean): Cpu => {
      clearModuleCache();
      const mem = new PhysMemory(40 << 20);
      const cpu = new Cpu({ mem, io: new PortBus(), clock: new VirtualClock(), jit, jitThreshold: 4, wasmInterp: jit });
      mem.load(CODE, new Uint8Array([0xb9, ...le(200), ...call(CODE + 5, F), 0x49, 0x75, 0xf8, 0xf4]));
      mem.load(F, new Uint8Array([0x83, 0xc0, 0x01, 0xc3]));
      mem.load(P2, new Uint8Array([0xc6, 0x05, ...le(F + 2), 0x02, 0xb9, ...le(100), ...call(P2 + 12, F), 0x49, 0x75, 0xf8, 0xf4]));
      cpu.setFlatProtectedMode(CODE, { esp: STACK, eax: 0 });
      cpu.run(100_000);
      for (let p = 0; p < 8192; p++) cpu.tlb.markCode(1024 + p);
      cpu.halted = false; cpu.eip = P2;
      cpu.run(100_000);
      return cpu;
    };
    const a = run(false), b = run(true);
    expect(a.getReg('eax')).toBe(400);
    expect(b.getReg('eax')).toBe(400);
    expect(b.insnsInWasmInterp).toBeGreaterThan(0);
    expect(b.wasmBlocks).toBeGreaterThan(0);
  });

  it('LOCK: #UD before a register operand, a reg field it may not precede, or an instruction it never may, as in JavaScript', () => {
    // each: mov eax, 1 / the locked instruction / mov eax, 2 / hlt; no IDT: #UD ends in a triple fault with EAX 1
    // (the last one is allowed: LOCK ADD [ebx], eax)
    const cases = [[0x01, 0xc1], [0x39, 0x03], [0x83, 0x3b, 1], [0x0f, 0xc7, 0xc9], [0x0f, 0xc7, 0x13], [0x8b, 0x03], [0x0f, 0xba, 0x23, 1], [0x01, 0x03]];
    for (const ins of cases) {
      const [a, b] = both([0xb8, ...le(1), 0xf0, ...ins, 0xb8, ...le(2), 0xf4], { ebx: DATA, ecx: 3 });
      expect(state(b, 4 << 20), ins.map((x) => x.toString(16)).join(' ')).toEqual(state(a, 4 << 20));
    }
  });

  it('enters a block itself, and a fault in it counts what the call ran before: the same count and state as JavaScript', () => {
    // mov esi, 0x200000 / L: mov eax, [esi] / add esi, 4 / xadd edx, eax / jmp L: the block at L stops at the XADD
    // (the block tier lacks it), which the WebAssembly interpreter runs, and the JMP, and then it enters the block at
    // L itself; the walk reaches the page at 0x20c000, not present (#PF), inside the block
    const code = [0xbe, ...le(0x200000), 0x8b, 0x06, 0x83, 0xc6, 0x04, 0x0f, 0xc1, 0xc2, 0xeb, 0xf6, 0xf4];
    const run = (wasmInterp: boolean) => {
      clearModuleCache();
      return runPaged(code, {
        notPresent: [0x20c000], jit: true, jitThreshold: 64, wasmInterp,
        setup: (ram) => { for (let i = 0; i < 0xc000; i++) ram[0x200000 + i] = (i * 7) & 0xff; },
      });
    };
    const a = run(false), b = run(true);
    expect(a.vector).toBe(14);
    expect(b.vector).toBe(14);
    expect(b.cpu.getReg('cr2')).toBe(0x20c000);
    for (const r of ['eax', 'edx', 'esi', 'esp', 'eflags']) expect(b.cpu.getReg(r), r).toBe(a.cpu.getReg(r));
    expect(b.cpu.clock.instructions).toBe(a.cpu.clock.instructions);
    expect(b.cpu.insnsInBlocks).toBe(a.cpu.insnsInBlocks);
    expect(b.cpu.insnsInBlocks).toBeGreaterThan(10_000);
    expect(b.cpu.insnsInWasmInterp).toBeGreaterThan(10_000);
  });

  it('does not enter a block whose code was written since (the chaining table\'s entry is from an older TLB epoch)', () => {
    // edx = 3 / outer: mov ecx, 3000 / L: add eax, 1 / dec ecx / jnz L / mov byte [L+2], 2 (the ADD's immediate) /
    // dec edx / jnz outer / hlt: the block at L is compiled in the first pass; the second and third must add 2
    const L = CODE + 5;
    const code = [0xb9, ...le(3000), 0x83, 0xc0, 0x01, 0x49, 0x75, 0xfa, 0xc6, 0x05, ...le(L + 2), 0x02, 0x4a, 0x75, 0xe9, 0xf4];
    const run = (wasmInterp: boolean): ReturnType<typeof machine> => {
      const m = machine(wasmInterp, 64);
      m.mem.load(CODE, new Uint8Array(code));
      m.cpu.setFlatProtectedMode(CODE, { esp: STACK, eax: 0, edx: 3 });
      while (!m.cpu.halted) m.cpu.run(1000);
      return m;
    };
    const a = run(false), b = run(true);
    expect(state(b, 4 << 20)).toEqual(state(a, 4 << 20));
    expect(b.cpu.getReg('eax')).toBe(3000 + 2 * 3000 + 2 * 3000);
    expect(b.cpu.insnsInBlocks).toBeGreaterThan(3000);
  });

  it('CLI where CPL <= IOPL clears IF; at CPL 3 with IOPL 0 it is #GP, as the JavaScript interpreter has it', () => {
    // 0x1000 at CPL 0: lidt, paging, ltr, then IRETD to 0x4000 at CPL 3 with EFLAGS
    // `flags`; there DS and ES get the user data selector (IRET nulled them: the JavaScript interpreter runs until a
    // block start after that), a loop of 20 x INC EDX, then CLI, HLT (#GP at CPL 3 whatever IOPL); the #GP handler
    // pops its error code, EIP, CS and EFLAGS
    const run = (flags: number, wasmInterp: boolean) => runRing3Machine({
      jit: true, jitThreshold: 1 << 30, wasmInterp, main: toRing3(0x4000, 0x20000, flags), vector: 13,
      load: [[0x4000, [0x66, 0xb8, 0x23, 0x00, 0x8e, 0xd8, 0x8e, 0xc0, 0xb9, ...le(20), 0x42, 0x49, 0x75, 0xfc, 0xfa, 0xf4]], [0x5000, [0x58, 0x5b, 0x59, 0x5e, 0xf4]]],
    });
    for (const [flags, eip, ifSet] of [[0x202, 0x4011, 0x200], [0x3202, 0x4012, 0]] as const) {
      const a = run(flags, false), b = run(flags, true);
      for (const m of [a, b]) expect({ err: m.cpu.getReg('eax'), eip: m.cpu.getReg('ebx') }).toEqual({ err: 0, eip });
      expect(b.cpu.getReg('edx')).toBe(a.cpu.getReg('edx'));
      // the flags the #GP pushed: IF as CLI left it
      expect(b.cpu.getReg('esi') & 0x200).toBe(ifSet);
      expect(b.cpu.getReg('esi')).toBe(a.cpu.getReg('esi'));
      expect(b.cpu.insnsInWasmInterp).toBeGreaterThanOrEqual(20);
    }
  });

  it('IN and OUT: the same values at the same instruction counts as in JavaScript; a write that stops the CPU ends the call after it', () => {
    // port 0xe0 reads the clock (its instruction count); 0xe4 logs what is written there and when; a byte to 0xe8 asks
    // the CPU to stop. The loop: IN EAX,imm8 / OUT imm8,EAX / IN AL,DX / OUT DX,AX (66) / IN AX,imm8 (66), 60 times;
    // then the stop, and five INC ESI after it that must not run
    const code = [0xb9, ...le(60),
      0xe5, 0xe0, 0xe7, 0xe4, 0x66, 0xba, 0xe0, 0x00, 0xec, 0x66, 0xba, 0xe4, 0x00, 0x66, 0xef, 0x66, 0xe5, 0xe0, 0x01, 0xc7,
      0x49, 0x75, 0xe9,
      0xb0, 0x01, 0xe6, 0xe8, 0x46, 0x46, 0x46, 0x46, 0x46, 0xf4];
    const run = (wasmInterp: boolean) => {
      const m = machine(wasmInterp, 1 << 30);
      const log: number[] = [];
      const bus = m.cpu.io as PortBus;
      bus.map(new PortRegion({ name: 'clock', size: 4, read: () => m.clock.instructions & 0xffff, write: () => {} }, null), 0xe0);
      bus.map(new PortRegion({ name: 'log', size: 4, read: () => 0, write: (_s, _o, v, size) => { log.push(v, size, m.clock.instructions); } }, null), 0xe4);
      bus.map(new PortRegion({ name: 'stop', size: 1, read: () => 0, write: () => m.cpu.requestStop() }, null), 0xe8);
      m.mem.load(CODE, new Uint8Array(code));
      m.cpu.setFlatProtectedMode(CODE, { esp: STACK });
      const exit = m.cpu.run(10_000);
      return { m, log, exit };
    };
    const a = run(false), b = run(true);
    expect(state(b.m)).toEqual(state(a.m));
    expect(b.log).toEqual(a.log);
    expect(b.log.length).toBe(2 * 60 * 3);
    for (const r of [a, b]) {
      expect(r.exit).toBe('stopped');
      expect(r.m.cpu.getReg('esi')).toBe(0); // stopped right after the OUT
      expect(r.m.cpu.getReg('eip')).toBe(CODE + code.length - 6);
    }
    // the loop ran in the WebAssembly interpreter, not handed back an access at a time
    expect(b.m.cpu.insnsInWasmInterp).toBeGreaterThan(60 * 7);
    // each access at its own instruction count: 10 instructions a round, the last round's after 1 + 59 x 10. Its OUT
    // DX,AX (the 6th) writes AH from the IN EAX (the 1st) and AL from the IN AL,DX (the 4th); the IN AX (the 7th)
    // leaves AH (AL: the 1 written to 0xe8 after it)
    const r = 1 + 59 * 10;
    expect(b.log.slice(-3)).toEqual([(r & 0xff00) | ((r + 3) & 0xff), 2, r + 5]);
    expect(b.m.cpu.getReg('eax') & 0xffff).toBe(((r + 6) & 0xff00) | 1);
  });

  it('IN at CPL 3 above IOPL: the TSS\'s permission bitmap decides (JavaScript\'s), as the JavaScript interpreter has it', () => {
    // the CLI test's ring-3 loop with IN AL,port where CLI was, then HLT (#GP at CPL 3). The TSS's I/O map base is 0 and
    // its limit 0x67, so its own bytes are the bitmap: port 0x44 is bit 4 of SS0 (0x10), denied; port 0x80 allowed.
    // At IOPL 3 no bitmap is read and the interpreter makes the access itself.
    const run = (flags: number, port: number, wasmInterp: boolean) => runRing3Machine({
      jit: true, jitThreshold: 1 << 30, wasmInterp, main: toRing3(0x4000, 0x20000, flags), vector: 13,
      load: [[0x4000, [0x66, 0xb8, 0x23, 0x00, 0x8e, 0xd8, 0x8e, 0xc0, 0xb9, ...le(20), 0x42, 0x49, 0x75, 0xfc, 0xe4, port, 0xf4]], [0x5000, [0x58, 0x5b, 0x59, 0x5e, 0xf4]]],
    });
    for (const [flags, port, eip] of [[0x202, 0x44, 0x4011], [0x202, 0x80, 0x4013], [0x3202, 0x44, 0x4013]] as const) {
      const a = run(flags, port, false), b = run(flags, port, true);
      for (const m of [a, b]) expect({ err: m.cpu.getReg('eax') & 0xffff, eip: m.cpu.getReg('ebx') }, `${flags} ${port}`).toEqual({ err: 0, eip });
      expect(b.cpu.getReg('esi')).toBe(a.cpu.getReg('esi'));
      expect(b.cpu.getReg('eax')).toBe(a.cpu.getReg('eax'));
      expect(b.cpu.insnsInWasmInterp).toBeGreaterThanOrEqual(20);
    }
  });

  it('RDTSC at CPL 3 with CR4.TSD set is #GP, as the JavaScript interpreter has it (the interpreter hands it back)', () => {
    // CR4.TSD set at CPL 0, then the CLI test's ring-3 loop with RDTSC where CLI was: #GP at 0x4011
    const main = [0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x04, 0x0f, 0x22, 0xe0, ...toRing3(0x4000, 0x20000, 0x202)];
    const run = (wasmInterp: boolean) => runRing3Machine({
      jit: true, jitThreshold: 1 << 30, wasmInterp, main, vector: 13,
      load: [[0x4000, [0x66, 0xb8, 0x23, 0x00, 0x8e, 0xd8, 0x8e, 0xc0, 0xb9, ...le(20), 0x42, 0x49, 0x75, 0xfc, 0x0f, 0x31, 0xf4]], [0x5000, [0x58, 0x5b, 0x59, 0x5e, 0xf4]]],
    });
    const a = run(false), b = run(true);
    for (const m of [a, b]) expect({ err: m.cpu.getReg('eax'), eip: m.cpu.getReg('ebx') }).toEqual({ err: 0, eip: 0x4011 });
    expect(b.cpu.insnsInWasmInterp).toBeGreaterThanOrEqual(20);
  });

  it('keeps the run loop\'s visit counts: a hot loop compiles the same blocks at the same instruction counts', () => {
    // ecx = 400000: a loop of a PAUSE (after which a block may start, as after any REP), ALU work and a memory add,
    // then HLT (its blocks wait for a batch, then run)
    const code = [0xb9, ...le(400_000), 0x31, 0xc0, 0xf3, 0x90, 0x01, 0xc8, 0x01, 0x43, 0x10, 0xd1, 0xe0, 0x49, 0x75, 0xf4, 0xf4];
    const run = (wasmInterp: boolean): ReturnType<typeof machine> => {
      const m = machine(wasmInterp);
      m.mem.load(CODE, new Uint8Array(code));
      m.cpu.setFlatProtectedMode(CODE, { esp: STACK, ebx: DATA });
      // short runs, as a machine's timers make them: the tier looks for finished batches after each
      while (!m.cpu.halted) m.cpu.run(1000);
      return m;
    };
    const a = run(false), b = run(true);
    expect(state(b, 4 << 20)).toEqual(state(a, 4 << 20));
    expect(a.cpu.insnsInBlocks).toBeGreaterThan(1_200_000);
    expect(b.cpu.insnsInWasmInterp).toBeGreaterThan(0);
  });

  it('goes on past no block start and past a block waiting for its batch, as the run loop does, without returning to it', () => {
    // ebx = 60000 / L: mov edi, DATA / mov ecx, 4 / rep stosb / add edx, ebx / dec ebx / jnz L / hlt: no block starts
    // at the REP STOSB (no block can: an empty block marks it), and the blocks at L and after the REP wait ~262 k
    // instructions for their batch (the default thresholds); the run loop interprets past both
    const code = [0xbb, ...le(60_000), 0xbf, ...le(DATA), 0xb9, ...le(4), 0xf3, 0xaa, 0x01, 0xda, 0x4b, 0x75, 0xef, 0xf4];
    const run = (wasmInterp: boolean): { m: ReturnType<typeof machine>; returns: number } => {
      const m = machine(wasmInterp);
      m.mem.load(CODE, new Uint8Array(code));
      m.cpu.setFlatProtectedMode(CODE, { esp: STACK, edx: 0 });
      const tier = m.cpu.wasmTier!, interpret = tier.interpret;
      let returns = 0;
      // how often the interpreter returned for the run loop to look at a block start (EXIT_BLOCK)
      (tier as { interpret: typeof interpret }).interpret = (c, max, ns) => {
        const done = interpret(c, max, ns);
        if (c.interpExit === EXIT_BLOCK) returns++;
        return done;
      };
      while (!m.cpu.halted) m.cpu.run(100_000);
      return { m, returns };
    };
    const a = run(false), b = run(true);
    expect(state(b.m, 4 << 20)).toEqual(state(a.m, 4 << 20));
    expect(b.m.cpu.insnsInWasmInterp).toBeGreaterThan(200_000);
    expect(b.m.cpu.wasmBlocks).toBeGreaterThan(0);
    // once per iteration at the REP and at the waiting blocks' starts before; now when a batch is due, or a block
    // starts to run
    expect(b.returns).toBeLessThan(100);
  });

  it('looks again at a start it went on past once the TLB has changed, as the run loop does', () => {
    // the page at X holds, through phys A, `R: rep stosb / dec ebx / jnz R / ret` (no block starts at R: an empty
    // block marks it), called once; then X maps phys B, `R: add edx, ebx / dec ebx / jnz R / ret`, and is called
    // again: the run loop finds the empty block stale (another physical page) and counts R's visits, so R's loop
    // compiles; the interpreter must not go on past R on the old mark
    const X = 0x105000, A = 0x105000, B = 0x106000, PTE = 0x11000 + 4 * (X >>> 12);
    const code = [
      0xbe, ...le(X), 0xbf, ...le(DATA), 0x31, 0xc9, 0x31, 0xd2, 0xbb, ...le(20_000), 0xff, 0xd6, // esi, edi, ecx = edx = 0, ebx / call X
      0xc7, 0x05, ...le(PTE), ...le(B | 3), 0x0f, 0x20, 0xd8, 0x0f, 0x22, 0xd8, // X -> phys B / mov eax, cr3 / mov cr3, eax
      0xbb, ...le(20_000), 0xff, 0xd6, 0xf4, //                                  mov ebx / call esi / hlt
    ];
    const run = (wasmInterp: boolean) => {
      clearModuleCache();
      return runPaged(code, {
        notPresent: [], jit: true, jitThreshold: 64, wasmInterp,
        setup: (ram) => { ram.set([0xf3, 0xaa, 0x4b, 0x75, 0xfb, 0xc3], A); ram.set([0x01, 0xda, 0x4b, 0x75, 0xfb, 0xc3], B); },
      });
    };
    const a = run(false), b = run(true);
    expect(a.exit).toBe('halted-cli');
    const st = (r: ReturnType<typeof runPaged>) => ({
      regs: ['eax', 'ebx', 'edx', 'eip'].map((x) => r.cpu.getReg(x)), insns: r.cpu.clock.instructions,
      blocks: r.cpu.blocksCompiled, inBlocks: r.cpu.insnsInBlocks,
    });
    expect(st(b)).toEqual(st(a));
    expect(a.cpu.getReg('edx')).toBe((20_000 * 20_001) / 2);
    expect(b.cpu.insnsInWasmInterp).toBeGreaterThan(0);
  });

  it('goes on past only the start it marked: another address in the same block slot is counted', () => {
    // R = 0x108000: `rep stosb / dec ebx / jnz R / ret` (an empty block marks R); S = 0x118004, in R's slot
    // (jit/block.ts blockSlot): `add edx, ebx / dec ebx / jnz S / ret`, called after it: S's loop compiles only if
    // its visits are counted
    const R = 0x108000, S = 0x118004;
    const code = [
      0xbe, ...le(R), 0xbf, ...le(DATA), 0x31, 0xc9, 0x31, 0xd2, 0xbb, ...le(20_000), 0xff, 0xd6, // call R (ecx = 0)
      0xbe, ...le(S), 0xbb, ...le(20_000), 0xff, 0xd6, 0xf4, //                                    call S / hlt
    ];
    const run = (wasmInterp: boolean): ReturnType<typeof machine> => {
      const m = machine(wasmInterp, 64);
      m.mem.load(CODE, new Uint8Array(code));
      m.mem.load(R, new Uint8Array([0xf3, 0xaa, 0x4b, 0x75, 0xfb, 0xc3]));
      m.mem.load(S, new Uint8Array([0x01, 0xda, 0x4b, 0x75, 0xfb, 0xc3]));
      m.cpu.setFlatProtectedMode(CODE, { esp: STACK });
      while (!m.cpu.halted) m.cpu.run(100_000);
      return m;
    };
    const a = run(false), b = run(true);
    expect(state(b, 4 << 20)).toEqual(state(a, 4 << 20));
    expect(a.cpu.getReg('edx')).toBe((20_000 * 20_001) / 2);
    expect(a.cpu.insnsInBlocks).toBeGreaterThan(20_000);
  });

  it('counts a visit where a block it entered itself leaves, as the run loop does where one it entered leaves', () => {
    // ecx = 200000 / L: add eax, ecx / test cl, 3 / jz M / dec ecx / jnz L / hlt, and on the next page M: inc edx /
    // dec ecx / jnz L / hlt: the block at L leaves for M every fourth pass (M is on another page, so the block cannot
    // take it in), and M is reached only from there; the WebAssembly interpreter enters the block at L after running
    // M, so M warms up (and compiles) only if it counts those visits too
    const code = new Array<number>(0x1009).fill(0x90);
    code.splice(0, 20, 0xb9, ...le(200_000), 0x01, 0xc8, 0xf6, 0xc1, 0x03, 0x0f, 0x84, ...le(0x1000 - 16), 0x49, 0x75, 0xf2, 0xf4);
    code.splice(0x1000, 9, 0x42, 0x49, 0x0f, 0x85, ...le(5 - 0x1008), 0xf4);
    const run = (wasmInterp: boolean): ReturnType<typeof machine> => {
      const m = machine(wasmInterp);
      m.mem.load(CODE, new Uint8Array(code));
      m.cpu.setFlatProtectedMode(CODE, { esp: STACK, edx: 0 });
      while (!m.cpu.halted) m.cpu.run(1000);
      return m;
    };
    const a = run(false), b = run(true);
    expect(state(b, 4 << 20)).toEqual(state(a, 4 << 20));
    expect(b.cpu.getReg('edx')).toBe(50_000);
    expect(a.cpu.blocksCompiled).toBeGreaterThanOrEqual(2); // L's block and M's
  });

  it('where the host refuses a synchronous compile (a browser main thread): JavaScript alone until the module arrives', async () => {
    const code = [0xb9, 0xa0, 0x86, 0x01, 0x00, 0x31, 0xc0, 0x01, 0xc8, 0x01, 0x43, 0x10, 0xd1, 0xe0, 0x49, 0x75, 0xf6, 0xf4];
    const start = (wasmInterp: boolean): ReturnType<typeof machine> => {
      const m = machine(wasmInterp);
      m.mem.load(CODE, new Uint8Array(code));
      m.cpu.setFlatProtectedMode(CODE, { esp: STACK, ebx: DATA });
      return m;
    };
    const a = start(false);
    a.cpu.run(1_000_000);
    clearInterpreterModule();
    const Module = WebAssembly.Module;
    let refused = 0;
    // as Chrome's main thread refuses a synchronous compile above 4 KB
    (WebAssembly as { Module: typeof WebAssembly.Module }).Module = function (bytes: BufferSource) {
      if ((bytes as Uint8Array).byteLength > 4096) { refused++; throw new RangeError('WebAssembly.Module(): Buffer size is over the limit'); }
      return new Module(bytes);
    } as unknown as typeof WebAssembly.Module;
    try {
      const b = start(true);
      b.cpu.run(10_000);
      expect(refused).toBeGreaterThan(0);
      expect(b.cpu.insnsInWasmInterp).toBe(0);
      await new Promise((r) => setTimeout(r, 100)); // the host compiles in the background meanwhile
      b.cpu.run(1_000_000);
      expect(b.cpu.insnsInWasmInterp).toBeGreaterThan(0);
      const arch = (m: ReturnType<typeof machine>): unknown => { const { blocks, inBlocks, ...rest } = state(m, 4 << 20); void blocks; void inBlocks; return rest; };
      expect(arch(b)).toEqual(arch(a));
    } finally {
      (WebAssembly as { Module: typeof WebAssembly.Module }).Module = Module;
    }
  });
});

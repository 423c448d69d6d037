// A read-modify-write instruction whose destination page can be read but not written (a read-only page with CR0.WP:
// what a copy-on-write page is to Linux) takes #PF before it changes anything (SDM Vol. 3A 6.5: a fault reports
// the state before the faulting instruction): the EFLAGS in the frame are the ones from before the instruction, the
// memory is unchanged, and the error code says write + protection. Restarted after the fault, ADC/SBB/RCL would
// otherwise see the carry their first attempt produced. Checked interpreted and in a compiled block.
import { describe, expect, it } from 'vitest';
import { le32, runPaged } from './paged-machine.js';

const W = 0x200000, RO = 0x201000, DATA = 0x80000001;

const FORMS: Record<string, number[]> = {
  'add [esi], eax': [0x01, 0x06],
  'adc [esi], eax': [0x11, 0x06],
  'sbb [esi], eax': [0x19, 0x06],
  'sub dword [esi], 0x7f': [0x83, 0x2e, 0x7f],
  'adc dword [esi], 0x7f': [0x83, 0x16, 0x7f],
  'add byte [esi], al': [0x00, 0x06],
  'adc word [esi], ax': [0x66, 0x11, 0x06],
  'inc dword [esi]': [0xff, 0x06],
  'dec byte [esi]': [0xfe, 0x0e],
  'neg dword [esi]': [0xf7, 0x1e],
  'shl dword [esi], 1': [0xd1, 0x26],
  'rcl dword [esi], 1': [0xd1, 0x16],
  'sar dword [esi], 3': [0xc1, 0x3e, 3],
  'bts dword [esi], 1': [0x0f, 0xba, 0x2e, 1],
  'btc [esi], eax': [0x0f, 0xbb, 0x06],
};

function run(insn: number[], jit: boolean) {
  const code = [
    0x0f, 0x20, 0xc0, 0x0d, ...le32(0x10000), 0x0f, 0x22, 0xc0, // CR0.WP = 1
    // three passes: ESI = W, W + 0x800 (the block compiles at its second visit, cpu.ts runChunk), then RO, where the
    // third runs the compiled block
    0xbe, ...le32(W),               // mov esi, W
    0xbf, ...le32(3),               // mov edi, 3
    // top:
    0xf9,                           // stc
    0x9c, 0x5b,                     // pushfd / pop ebx: EFLAGS before the instruction
    0xeb, 16, ...new Array(16).fill(0x90), // jmp next: more than 15 bytes forward, so a block start (cpu.ts runChunk)
    // next:
    0xb8, ...le32(5),               // mov eax, 5
    ...insn,
    0x81, 0xc6, ...le32(0x800),     // add esi, 0x800
    0x4f,                           // dec edi
    0x75, -(2 + 1 + 5 + insn.length + 6 + 18 + 3) & 0xff, // jnz top
    0xf4,
  ];
  const r = runPaged(code, {
    notPresent: [], jit,
    setup: (ram) => {
      ram.set(le32(DATA), W); ram.set(le32(DATA), W + 0x800); ram.set(le32(DATA), RO);
      ram.set(le32(RO | 1), 0x11000 + 4 * (RO >>> 12)); // present, read-only
    },
  });
  const esp = r.cpu.getReg('esp');
  const rd = (a: number): number => (r.ram[a]! | (r.ram[a + 1]! << 8) | (r.ram[a + 2]! << 16) | (r.ram[a + 3]! << 24)) >>> 0;
  return { r, err: rd(esp), eflags: rd(esp + 12), before: r.cpu.getReg('ebx'), ro: rd(RO), w: rd(W), cr2: r.cpu.getReg('cr2') };
}

describe('a read-modify-write into a read-only page faults with no effect', () => {
  for (const jit of [false, true]) {
    it.each(Object.keys(FORMS))(`%s (${jit ? 'compiled block' : 'interpreted'})`, (name) => {
      const o = run(FORMS[name]!, jit);
      expect(o.r.vector).toBe(14);
      expect(o.err).toBe(3); // write, protection, supervisor
      expect(o.cr2).toBe(RO);
      expect(o.ro).toBe(DATA);
      expect(o.w).not.toBe(DATA); // the first pass did write
      // RF (bit 16) is set in a fault's saved EFLAGS; every other bit as before the instruction
      expect((o.eflags & ~0x10000) >>> 0).toBe(o.before >>> 0);
      if (jit) expect(o.r.cpu.insnsInBlocks).toBeGreaterThan(0); // the faulting instruction ran in the block
    });
  }
});

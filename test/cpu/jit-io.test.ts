// IN/OUT inside compiled blocks (src/cpu/jit/emit-io.ts) on the whole PC: a guest loop that writes PM1_EN and
// reads the PIIX4 PM timer must read, at every pass, the value QEMU's formula gives for the virtual time of that
// IN (hw/acpi/core.c acpi_pm_tmr_get: muldiv64(virtual ns, 3579545, 10^9) & 0xFFFFFF; with -icount shift=N the
// virtual clock is instructions << N), with compiled blocks on (the loop compiles after 4096 passes, or at once;
// the default threshold, 16384 visits, is more passes than these loops make)
// and off. The fault side (the I/O bitmap at CPL 3 in a compiled loop) is test/guest-asm/src/ioloop.asm.
import { describe, expect, it } from 'vitest';
import { PcSystem } from '../../src/machine/pc-system.js';
import { runRing3Machine, toRing3 } from './ring3-machine.js';

const PM_BASE = 0xb000;
const N = 6000;
const SHIFT = 7; // 128 ns per instruction: the timer moves ~4 ticks per pass, so an off-by-one instruction shows
const BUF = 0x1000;

/** Real-mode ROM: program the PM function, then N passes of out PM1_EN / in PM_TMR / store, then S5. */
function rom(): Uint8Array {
  const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  const u16 = (v: number) => [v & 0xff, (v >>> 8) & 0xff];
  const cfg = 0x80000000 | (1 << 11) | (3 << 8); // 00:01.3, PIIX4 PM
  const code = [
    0xfa, //                                                   cli
    0x31, 0xc0, 0x8e, 0xd8, //                                 xor ax,ax / mov ds,ax
    0x66, 0xb8, ...u32(cfg | 0x40), 0xba, ...u16(0xcf8), 0x66, 0xef, // PMBA = PM_BASE | 1
    0x66, 0xb8, ...u32(PM_BASE | 1), 0xba, ...u16(0xcfc), 0x66, 0xef,
    0x66, 0xb8, ...u32(cfg | 0x80), 0xba, ...u16(0xcf8), 0x66, 0xef, // PMREGMISC = 1
    0xb0, 0x01, 0xba, ...u16(0xcfc), 0xee,
    0x66, 0xb9, ...u32(N), //                                  mov ecx, N
    0xbe, ...u16(0x0100), //                                   mov si, PWRBTN_EN
    0xbf, ...u16(BUF), //                                      mov di, BUF
    // loop: 9 instructions, the IN is the fifth
    0xba, ...u16(PM_BASE + 2), //                              mov dx, PM1_EN
    0x89, 0xf0, //                                             mov ax, si
    0xef, //                                                   out dx, ax
    0xb2, (PM_BASE + 8) & 0xff, //                             mov dl, PM_TMR
    0x66, 0xed, //                                             in eax, dx
    0x66, 0x89, 0x05, //                                       mov [di], eax
    0x83, 0xc7, 0x04, //                                       add di, 4
    0x66, 0x49, //                                             dec ecx
    0x75, 0xeb, //                                             jnz loop
    0xba, ...u16(PM_BASE + 4), 0xb8, ...u16(0x2000), 0xef, //  PM1a_CNT = SLP_EN, S5
    0xf4, 0xeb, 0xfd,
  ];
  const r = new Uint8Array(0x10000).fill(0xff);
  r.set(code, 0);
  r.set([0xea, 0x00, 0x00, 0x00, 0xf0], 0xfff0); // jmp F000:0000
  return r;
}
/** Instructions before the first pass: the far JMP, CLI, 2 for DS, four port writes of 3, mov ecx/si/di. */
const BEFORE_LOOP = 1 + 1 + 2 + 12 + 3;

function run(jit: boolean, jitThreshold?: number) {
  const sys = new PcSystem({ bios: rom(), memoryMiB: 8, debugcon: [], icountShift: SHIFT });
  sys.cpu.jit = jit;
  if (jitThreshold !== undefined) sys.cpu.jitThreshold = jitThreshold;
  sys.powerOn();
  sys.machine.start();
  const r = sys.run(10_000_000);
  const reads = Array.from(new Uint32Array(sys.mem.ram.slice(BUF, BUF + 4 * N).buffer));
  return { kind: r.kind, reads, insns: sys.machine.clock.instructions, compiled: sys.cpu.insnsCompiled };
}

describe('port IO in compiled blocks reads the virtual clock exactly', () => {
  // the value QEMU's acpi_pm_tmr_get computes for the IN of pass k
  const expected = Array.from({ length: N }, (_, k) => {
    const ns = BigInt(BEFORE_LOOP + 9 * k + 4) << BigInt(SHIFT);
    return Number(((ns * 3_579_545n) / 1_000_000_000n) & 0xffffffn);
  });
  it.each([
    ['interpreter', false, undefined],
    ['compiled after 4096 passes', true, 4096],
    ['compiled at once', true, 0],
  ] as const)('%s: every PM_TMR read is QEMU\'s value for that instruction', (_name, jit, threshold) => {
    const r = run(jit, threshold);
    expect(r.kind).toBe('exit'); // the S5 write after the loop
    if (jit) expect(r.compiled).toBeGreaterThan(0);
    expect(r.reads).toEqual(expected);
    expect(r.insns).toBe(BEFORE_LOOP + 9 * N + 3); // the loop, then the S5 write; the machine stops after that OUT
  });
});

// An OUT that raises an interrupt the CPU can take must end the compiled block at once: the SDM (Vol. 3A 6.7,
// interrupts are taken at instruction boundaries) and the interpreter take it right after that OUT. The loop
// rewrites PM1_EN; on one pass it sets TMR_EN while TMR_STS is set (it is after reset: QEMU acpi_pm_tmr_reset
// leaves the overflow point at 0), so the SCI rises (hw/acpi/core.c acpi_update_sci) on IRQ 9 through the 8259s.
describe('an OUT that raises an interrupt leaves the compiled block', () => {
  const SCI_PASS = 1000; // ECX when TMR_EN is written
  function sciRom(): { rom: Uint8Array; decIp: number } {
    const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    const u16 = (v: number) => [v & 0xff, (v >>> 8) & 0xff];
    const cfg = 0x80000000 | (1 << 11) | (3 << 8);
    const outb = (port: number, v: number) => [0xb0, v, 0xe6, port];
    const head = [
      0xfa, 0x31, 0xc0, 0x8e, 0xd8, //                         cli / xor ax,ax / mov ds,ax
      0x66, 0xb8, ...u32(cfg | 0x40), 0xba, ...u16(0xcf8), 0x66, 0xef,
      0x66, 0xb8, ...u32(PM_BASE | 1), 0xba, ...u16(0xcfc), 0x66, 0xef,
      0x66, 0xb8, ...u32(cfg | 0x80), 0xba, ...u16(0xcf8), 0x66, 0xef,
      0xb0, 0x01, 0xba, ...u16(0xcfc), 0xee,
      // 8259s: ICW1-4 (master base 0x08, slave base 0x70, cascade on IRQ 2), then only IRQ 2 and IRQ 9 unmasked
      ...outb(0x20, 0x11), ...outb(0xa0, 0x11), ...outb(0x21, 0x08), ...outb(0xa1, 0x70),
      ...outb(0x21, 0x04), ...outb(0xa1, 0x02), ...outb(0x21, 0x01), ...outb(0xa1, 0x01),
      ...outb(0x21, 0xfb), ...outb(0xa1, 0xfd),
      // IA32_APIC_BASE bit 11 clear: the 8259's INTR goes straight to the CPU (LINT0 is masked at reset)
      0x66, 0xb9, ...u32(0x1b), 0x0f, 0x32, 0x80, 0xe4, 0xf7, 0x0f, 0x30, // mov ecx,0x1B / rdmsr / and ah,~8 / wrmsr
      0xc7, 0x06, ...u16(0x71 * 4), 0, 0, //                   mov word [vector 0x71 offset], handler (patched)
      0xc7, 0x06, ...u16(0x71 * 4 + 2), ...u16(0xf000), //     mov word [vector 0x71 segment], 0xF000
      0x66, 0xb9, ...u32(6000), //                             mov ecx, 6000
      0xfb, //                                                 sti
    ];
    const loop = [
      0xba, ...u16(PM_BASE + 2), //                            mov dx, PM1_EN
      0x31, 0xc0, //                                           xor ax, ax
      0x66, 0x81, 0xf9, ...u32(SCI_PASS), //                   cmp ecx, SCI_PASS
      0x0f, 0x94, 0xc0, //                                     sete al: TMR_EN on that pass
      0xef, //                                                 out dx, ax
    ];
    const decAt = head.length + loop.length;
    const tail = [0x66, 0x49, 0x75, (-(loop.length + 4)) & 0xff]; // dec ecx / jnz loop
    const spin = [0xeb, 0xfe]; //                              jmp $ (not reached)
    const handlerAt = decAt + tail.length + spin.length;
    const handler = [
      0x66, 0x89, 0x0e, ...u16(0x600), //                      mov [0x600], ecx
      0x58, 0xa3, ...u16(0x604), //                            pop ax / mov [0x604], ax (the interrupted IP)
      0xba, ...u16(PM_BASE + 4), 0xb8, ...u16(0x2000), 0xef, // S5
      0xf4,
    ];
    const code = [...head, ...loop, ...tail, ...spin, ...handler];
    const at = head.indexOf(0xc7) + 4; // the handler offset in the first MOV word
    code[at] = handlerAt & 0xff; code[at + 1] = handlerAt >> 8;
    const r = new Uint8Array(0x10000).fill(0xff);
    r.set(code, 0);
    r.set([0xea, 0x00, 0x00, 0x00, 0xf0], 0xfff0);
    return { rom: r, decIp: decAt };
  }
  function runSci(jit: boolean, jitThreshold?: number) {
    const { rom: image, decIp } = sciRom();
    const sys = new PcSystem({ bios: image, memoryMiB: 8, debugcon: [] });
    sys.cpu.jit = jit;
    if (jitThreshold !== undefined) sys.cpu.jitThreshold = jitThreshold;
    sys.powerOn();
    sys.machine.start();
    const r = sys.run(10_000_000);
    const ram = sys.mem.ram;
    return {
      kind: r.kind, decIp, ecx: ram[0x600]! | (ram[0x601]! << 8) | (ram[0x602]! << 16) | (ram[0x603]! << 24),
      ip: ram[0x604]! | (ram[0x605]! << 8), insns: sys.machine.clock.instructions, compiled: sys.cpu.insnsCompiled,
    };
  }
  it.each([
    ['interpreter', false, undefined],
    ['compiled after 4096 passes', true, 4096],
    ['compiled at once', true, 0],
  ] as const)('%s: the interrupt comes right after the OUT that raised the SCI', (_name, jit, threshold) => {
    const r = runSci(jit, threshold);
    expect(r.kind).toBe('exit');
    if (jit) expect(r.compiled).toBeGreaterThan(0);
    expect(r.ecx).toBe(SCI_PASS); // DEC ECX of that pass has not run
    expect(r.ip).toBe(r.decIp);   // the interrupted IP is the instruction after the OUT
    expect(r.insns).toBe(runSci(false).insns);
  });
});

describe('IN in a compiled block at CPL 3: the I/O permission check (transfers.ts ioCheck) as the interpreter makes it', () => {
  // 0x4000 at CPL 3: edx = 0x61, ecx = 200; a loop of IN AL,DX whose last pass reads port 0x62 instead; then HLT
  // (#GP at CPL 3). The TSS's I/O bitmap (at 0x668, limit 0xe8) allows port 0x61 alone. With IOPL 0 the bitmap
  // decides: the last IN is #GP; with IOPL 3 nothing is checked and the loop ends at the HLT. The #GP handler pops
  // its error code and EIP and halts.
  const user = [0xba, 0x61, 0, 0, 0, 0xb9, 200, 0, 0, 0, 0x83, 0xf9, 0x01, 0x75, 0x02, 0xb2, 0x62, 0xec, 0x49, 0x75, 0xf5, 0xf4];
  const bitmap = new Array<number>(0x81).fill(0xff);
  bitmap[0x61 >> 3] = 0xff & ~(1 << (0x61 & 7));
  const run = (flags: number, jit: boolean) => runRing3Machine({
    jit, main: toRing3(0x4000, 0x20000, flags), vector: 13, tssLimit: 0xe8,
    load: [[0x4000, user], [0x5000, [0x58, 0x5b, 0xf4]], [0x666, [0x68, 0x00]], [0x668, bitmap]],
  });
  for (const [flags, eip, ecx] of [[0x202, 0x4011, 1], [0x3202, 0x4015, 0]] as const) {
    it(`IOPL ${flags >> 12}: #GP at ${eip.toString(16)}, with the loop compiled as interpreted`, () => {
      const a = run(flags, false), b = run(flags, true);
      for (const m of [a, b]) {
        expect({ err: m.cpu.getReg('eax'), eip: m.cpu.getReg('ebx'), ecx: m.cpu.getReg('ecx') }).toEqual({ err: 0, eip, ecx });
      }
      expect(b.cpu.insnsInBlocks).toBeGreaterThan(500);
      expect(b.cpu.clock.instructions).toBe(a.cpu.clock.instructions);
    });
  }
});

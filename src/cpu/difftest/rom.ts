/**
 * The differential-test ROM around a generated instruction sequence (NASM source). It is a BIOS image mapped at
 * the top of 4 GiB: real-mode code at the reset vector loads a GDT/IDT, turns on protected mode and paging
 * (identity map of 0-4 MiB and of the ROM's own 4 MiB), runs the ring-0 part of the sequence, IRETs to ring 3
 * (IOPL 3, so the dump can use OUT) for the ring-3 part, and ends through INT 0x40. The GDT, IDT and TSS are
 * copied to RAM first (the gates class writes gate descriptors there); the TSS's SS0:ESP0 is the top of the ring-0
 * stack window, so frames pushed on a switch from ring 3 are in the records' memory checksum.
 *
 * Debug port 0xE9 stream (what the comparison reads):
 * - `H` + a 4-byte hash of the R fields (HASH_MUL) after every tested instruction; with the ROM's `dump_mode` byte
 *   set (withFullRecords), instead
 * - `R` + 48 bytes after every tested instruction: x87 checksum, checksum of the memory windows (data, stack,
 *   ring-0 stack), EDI ESI EBP ESP EBX EDX ECX EAX
 *   (PUSHAD order; ESP is the sequence's own), EFLAGS, return address (= where the sequence goes on).
 * - `F` + the 108-byte FSAVE image after an R record, when `dump_mode` bit 1 is set (withFullRecords fsave).
 * - `X` + vector (bit 16: RF in the pushed EFLAGS, FAULT_RF), error code, EIP (4 bytes each) for an exception;
 *   the handler resumes at the address the sequence stored in RESUME before an instruction that may fault, and
 *   ends the run for any other fault.
 * - `E` at the end. Then the three ways to stop: port 0xF4 (QEMU isa-debug-exit), "Shutdown" to port 0x8900
 *   (Bochs, iodev/unmapped.cc), CLI/HLT (acpidm: halted for good).
 */

export const WIN = 0x8000; // data window, 256 bytes
export const WIN_SIZE = 0x100;
export const STK_LO = 0x8800; // stack window, 128 bytes; ESP stays in [STK_LO + 0x10, STK_TOP]
export const STK_TOP = 0x8880;
/** Ring-0 stack window (TSS SS0:ESP0 points at its top): gate, interrupt and fault frames pushed on a switch from ring 3. */
export const ISTK_LO = 0x8a00;
export const ISTK_TOP = 0x8a80;
/** Where the block start calls `reinit` from (above every window it clears). */
export const REINIT_ESP = ISTK_TOP + 0x40;
export const RESUME = 0x9100;
/**
 * Trampolines for 16-bit gates (whose offsets and return IPs are 16 bits): TRAMP is `jmp [cs:TGT_PTR]`, RET_TRAMP
 * `jmp [cs:RET_PTR]` (7 bytes each); the sequence stores the real 32-bit targets there.
 */
export const TRAMP = 0x9300;
export const RET_TRAMP = 0x9308;
export const TGT_PTR = 0x9310;
export const RET_PTR = 0x9314;
/** The GDT, IDT and TSS are copied to RAM, so the sequence can write gate descriptors (gen.ts `gates`). */
export const GDT_RAM = 0x9400;
export const IDT_RAM = 0x9600;
export const TSS_RAM = 0x9900;
/** The second task's TSS (gen-tasks.ts; GDT selector SEL.tssB) and its ESP, in the ring-0 stack window. */
export const TSS_B = 0x9a00;
export const TSS_B_ESP = ISTK_LO + 0x40;
/** The handler task's TSS (gen-tasks.ts writes it whole before use; not in the checksum). */
export const TSS_C = 0x9b00;
/** The dwords of a 32-bit TSS a task switch writes (back link, EIP..LDT): in the records' checksum. */
const TSS_DYNAMIC = [0, ...Array.from({ length: 17 }, (_, i) => 0x20 + 4 * i)];
export const RECORD_BYTES = 49;
export const HASH_BYTES = 5;
/** The hash of a record (hash mode): per dword, h = rol(h, 7) ^ d, h *= HASH_MUL (mod 2^32). */
export const HASH_MUL = 0x01000193;
/** Where the sequence leaves ~(undefined flags) for the next dump's hash. */
export const DUMP_NMASK = 0x9108;
/** Where the sequence leaves ~(undefined x87 condition codes) for the next dump. */
export const DUMP_FSW_NMASK = 0x910c;
const FSAVE = 0x9200;
/** Scratch for the sequence's FNSTENV/FLDENV (gen.ts clearCc), 28 bytes. */
export const FENV = 0x9280;
/** Where the fault handler keeps the interrupted DS. */
const DS_SAVE = 0x9110;
/** FSW bits the record's fpu field carries as they are (DE, C1), beside the checksum of the rest of the FSAVE image. */
export const FPU_FSW_BITS = 0x202;
/**
 * GDT selectors beyond the flat ones, for the segment-load and far-transfer class (gen.ts `system`): data segments
 * over the data window (base WIN, limit 0xFF) at DPL 0 and 3, a read-only flat data segment, a not-present data
 * segment, an execute-only code segment and a not-present code segment (all DPL 3, accessed bits preset: the GDT
 * is in ROM).
 */
export const SEL = {
  code0: 0x08, data0: 0x10, code3: 0x18, data3: 0x20, win0: 0x30, win3: 0x38, ro3: 0x40, np3: 0x48, xo3: 0x50, npCode3: 0x58,
  /** conforming code, flat, DPL 0 and DPL 3 */
  conf0: 0x60, conf3: 0x68,
  /** two slots the sequence fills with gate descriptors */
  gateA: 0x70, gateB: 0x78,
  /** the sequence's TSS (busy: TR; DPL 3, so a task at CPL 3 can JMP back to it) and a second task's TSS (32-bit,
   * DPL 3; the sequence writes its attributes and limit) */
  tssA: 0x28, tssB: 0x80,
  /** flat code and data at DPL 1 (gen-inner-stack.ts: gates from ring 3 to ring 1, whose stack is the TSS's SS1:ESP1) */
  code1: 0x88, data1: 0x90,
  /** a slot the sequence fills with a stack segment descriptor (gen-inner-stack.ts) or an LDT descriptor (gen-tasks.ts) */
  ssSlot: 0x98,
  /** three 32-bit TSS descriptors (DPL 0) of one handler task, TSS_C: gen-tasks.ts points IDT vectors 10, 11, 12
   * (#TS, #NP, #SS) at them through task gates; the handler tells the vector by STR */
  tssC10: 0xa0, tssC11: 0xa8, tssC12: 0xb0,
} as const;
/** The GDT's size in bytes (a selector at or past it is #GP(selector)). */
export const GDT_BYTES = 0xb8;
/** IDT vectors the sequence fills with interrupt/trap gates (the IDT has vectors 0..0x40). */
export const SCRATCH_VEC = [0x30, 0x31] as const;
export const IDT_VECTORS = 0x41;
const DUMP_MODE_FROM_END = 0x20;

/** The 32-bit protected-mode FSAVE image (SDM vol. 1 figure 8-9): the `F` record's payload. */
export const FSAVE_BYTES = 108;

/**
 * The same ROM with full R records instead of hashes (the byte `dump_mode`); with `fsave`, each R record is
 * followed by an F record holding the FSAVE image the fpu checksum was made from.
 */
export function withFullRecords(rom: Uint8Array, opts: { fsave?: boolean } = {}): Uint8Array {
  const r = rom.slice();
  r[r.length - DUMP_MODE_FROM_END] = opts.fsave ? 3 : 1;
  return r;
}
/** "\0DTSTART\0": written once at the protected-mode entry, so output before it (BIOS noise, Bochs's debugger) is skipped. */
export const START_MARK = new Uint8Array([0, 0x44, 0x54, 0x53, 0x54, 0x41, 0x52, 0x54, 0]);
export const FAULT_BYTES = 13;
/** Bit 16 of an X record's vector: EFLAGS.RF as the exception pushed it. */
export const FAULT_RF = 0x10000;

/** Vectors that push an error code. */
export const ERR = new Set([8, 10, 11, 12, 13, 14, 17]);

export interface RomParts {
  /** 32-bit code run at CPL 0 (must keep ESP in the stack window). */
  ring0: string;
  /** 32-bit code run at CPL 3. */
  ring3: string;
  /** Initial contents of the data window (256 bytes). */
  window: Uint8Array;
  /** ROM size in bytes: a power of two, 64 KiB .. 4 MiB. */
  romSize: number;
}

const hex4 = (v: number): string => v.toString(16).padStart(4, '0');

export function romSource(p: RomParts): string {
  const base = 0x1_0000_0000 - p.romSize;
  const L: string[] = [];
  const o = (s: string): void => { L.push(s); };
  o(`; generated by src/cpu/difftest/rom.ts`);
  o(`bits 32`);
  o(`org 0x${base.toString(16)}`);
  o(`WIN equ 0x${WIN.toString(16)}`);
  o(`STK_LO equ 0x${STK_LO.toString(16)}`);
  o(`STK_TOP equ 0x${STK_TOP.toString(16)}`);
  o(`ISTK_TOP equ 0x${ISTK_TOP.toString(16)}`);
  o(`RESUME equ 0x${RESUME.toString(16)}`);
  o(`DUMP_ESP equ 0x${(RESUME + 4).toString(16)}`);
  o(`DUMP_STACK equ 0xa000`);
  o(`DUMP_NMASK equ 0x${DUMP_NMASK.toString(16)}`);
  o(`DUMP_FSW_NMASK equ 0x${DUMP_FSW_NMASK.toString(16)}`);
  o(`%define ADDR(l) ((l) - $$ + 0x${base.toString(16)})`);
  // ---- protected-mode entry (CPL 0) ----
  o(`pm_entry:`);
  o(`  mov ax, 0x10`);
  o(`  mov ds, ax`);
  o(`  mov es, ax`);
  o(`  mov fs, ax`);
  o(`  mov gs, ax`);
  o(`  mov ss, ax`);
  o(`  mov esp, 0x7000`);
  // GDT, IDT and TSS to RAM (the sequence writes gate descriptors; the CPU writes accessed and busy bits)
  o(`  cld`);
  for (const [from, to, at] of [['gdt', 'gdt_end', GDT_RAM], ['idt', 'idt_end', IDT_RAM], ['tss', 'tss_end', TSS_RAM]] as const) {
    o(`  mov esi, ${from}`);
    o(`  mov edi, 0x${at.toString(16)}`);
    o(`  mov ecx, (${to} - ${from}) / 4`);
    o(`  rep movsd`);
  }
  // both PICs masked (QEMU and Bochs have them; acpidm's difftest machine has none): the sequence may run with
  // IF = 1 (gen-gates.ts makes interrupt vs trap gates observable that way) and no IRQ comes
  o(`  mov al, 0xff`);
  o(`  out 0x21, al`);
  o(`  out 0xa1, al`);
  o(`  lgdt [gdtr_ram]`);
  o(`  lidt [idtr_ram]`);
  // the trampolines of 16-bit gates: jmp [cs:TGT_PTR], jmp [cs:RET_PTR] (2E FF 25 disp32: through CS, as a return
  // to ring 3 may have nulled DS)
  for (const [at, ptr] of [[TRAMP, TGT_PTR], [RET_TRAMP, RET_PTR]] as const) {
    o(`  mov dword [0x${at.toString(16)}], 0x${((((ptr & 0xff) << 24) | 0x25ff2e) >>> 0).toString(16)}`);
    o(`  mov dword [0x${(at + 4).toString(16)}], 0x${(ptr >>> 8).toString(16)}`);
  }
  o(`  mov esi, start_mark`);
  o(`  mov ecx, ${START_MARK.length}`);
  o(`  mov dx, 0xe9`);
  o(`  cld`);
  o(`  rep outsb`);
  // page tables: PD 0x2000, PT for 0-4 MiB at 0x3000, PT for the top 4 MiB at 0x4000 (P|W|U everywhere)
  o(`  mov edi, 0x2000`);
  o(`  xor eax, eax`);
  o(`  mov ecx, 0xc00`);
  o(`  cld`);
  o(`  rep stosd`);
  o(`  mov dword [0x2000], 0x3007`);
  o(`  mov dword [0x2000 + 1023*4], 0x4007`);
  o(`  mov edi, 0x3000`);
  o(`  mov eax, 7`);
  o(`.pt0: stosd`);
  o(`  add eax, 0x1000`);
  o(`  cmp edi, 0x4000`);
  o(`  jne .pt0`);
  o(`  mov eax, 0xffc00007`);
  o(`.pt1: stosd`);
  o(`  add eax, 0x1000`);
  o(`  cmp edi, 0x5000`);
  o(`  jne .pt1`);
  o(`  mov eax, 0x2000`);
  o(`  mov cr3, eax`);
  o(`  mov eax, cr0`);
  o(`  and eax, ~0x0c`); // x87 on: EM=0, TS=0; MP=1, NE=1 (#MF, not FERR#)
  o(`  or eax, 0x80000022`);
  o(`  mov cr0, eax`);
  o(`  jmp .paged`);
  o(`.paged:`);
  o(`  mov ax, 0x28`);
  o(`  ltr ax`);
  // data window from the ROM
  o(`  mov esi, window_init`);
  o(`  mov edi, WIN`);
  o(`  mov ecx, ${WIN_SIZE / 4}`);
  o(`  rep movsd`);
  o(`  xor eax, eax`);
  o(`  mov edi, STK_LO - 0x100`);
  o(`  mov ecx, 0x60`);
  o(`  rep stosd`);
  o(`  mov dword [DUMP_NMASK], -1`);
  o(`  mov dword [DUMP_FSW_NMASK], -1`);
  o(`  mov esp, STK_TOP`);
  o(`  push dword 0x3002`);
  o(`  popfd`);
  o(`; ---- ring 0 sequence ----`);
  o(p.ring0);
  o(`  mov esp, STK_TOP`);
  o(`  push dword 0x23`);
  o(`  push dword STK_TOP`);
  o(`  push dword 0x3002`);
  o(`  push dword 0x1b`);
  o(`  push dword ring3_entry`);
  o(`  iretd`);
  o(`ring3_entry:`);
  o(`  mov ax, 0x23`);
  o(`  mov ds, ax`);
  o(`  mov es, ax`);
  o(`  mov fs, ax`);
  o(`  mov gs, ax`);
  o(`; ---- ring 3 sequence ----`);
  o(p.ring3);
  o(`  int 0x40`);
  // ---- block start: the windows back to their initial bytes ----
  o(`reinit:`);
  // FNINIT leaves the data registers as they are (FSAVE still stores them): zero all eight first
  o(`  fninit`);
  for (let i = 0; i < 8; i++) o(`  fldz`);
  o(`  fninit`);
  o(`  cld`);
  o(`  mov esi, window_init`);
  o(`  mov edi, WIN`);
  o(`  mov ecx, ${WIN_SIZE / 4}`);
  o(`  rep movsd`);
  o(`  xor eax, eax`);
  o(`  mov edi, STK_LO - 0x100`);
  o(`  mov ecx, ${(ISTK_TOP - STK_LO + 0x100) / 4}`);
  o(`  rep stosd`);
  // both TSS images back (task switches write them), the sequence's TSS busy (it is TR)
  for (const [from, at] of [['tss', TSS_RAM], ['tss_b', TSS_B]] as const) {
    o(`  mov esi, ${from}`);
    o(`  mov edi, 0x${at.toString(16)}`);
    o(`  mov ecx, 0x68 / 4`);
    o(`  rep movsd`);
  }
  o(`  mov byte [0x${(GDT_RAM + SEL.tssA + 5).toString(16)}], 0xeb`);
  o(`  ret`);
  // ---- the dump ----
  // The dump runs on its own stack, so nothing it pushes (EFLAGS with undefined bits) stays in the stack window.
  o(`dump:`);
  o(`  mov [DUMP_ESP], esp`);
  o(`  mov esp, DUMP_STACK`);
  o(`  lea esp, [esp - 4]`); // slot for the return address
  o(`  pushfd`);
  o(`  pushad`);
  o(`  mov eax, [DUMP_ESP]`);
  o(`  mov ebx, [eax]`);
  o(`  mov [esp + 36], ebx`); // (PUSHAD is 32 bytes, EFLAGS at +32, the return-address slot at +36)
  o(`  add eax, 4`);
  o(`  mov [esp + 12], eax`); // ESP as the sequence sees it
  o(`  cld`);
  o(`  xor eax, eax`);
  for (let a = WIN; a < WIN + WIN_SIZE; a += 4) o(`  rol eax, 5\n  add eax, [0x${a.toString(16)}]`);
  for (let a = STK_LO; a < STK_TOP; a += 4) o(`  rol eax, 5\n  add eax, [0x${a.toString(16)}]`);
  for (let a = ISTK_LO; a < ISTK_TOP; a += 4) o(`  rol eax, 5\n  add eax, [0x${a.toString(16)}]`);
  for (const d of TSS_DYNAMIC) o(`  rol eax, 5\n  add eax, [0x${(TSS_RAM + d).toString(16)}]`);
  // all of TSS B: a 16-bit TSS (gen-tasks.ts) keeps IP, FLAGS and AX..SI below 0x20
  for (let d = 0; d < 0x68; d += 4) o(`  rol eax, 5\n  add eax, [0x${(TSS_B + d).toString(16)}]`);
  o(`  push eax`);
  // x87: FNSAVE (which reinitialises the FPU) and FRSTOR, then control, status (undefined condition codes masked),
  // tag word and the eight registers; not FIP/FDP, whose upkeep differs between implementations
  o(`  fnsave [0x${FSAVE.toString(16)}]`);
  o(`  frstor [0x${FSAVE.toString(16)}]`);
  o(`  movzx eax, word [0x${FSAVE.toString(16)}]`);
  o(`  movzx ebx, word [0x${(FSAVE + 4).toString(16)}]`);
  o(`  and ebx, [DUMP_FSW_NMASK]`);
  o(`  and ebx, ~0x${FPU_FSW_BITS.toString(16)}`);
  o(`  rol eax, 5\n  xor eax, ebx`);
  o(`  movzx ebx, word [0x${(FSAVE + 8).toString(16)}]`);
  o(`  rol eax, 5\n  xor eax, ebx`);
  for (let a = FSAVE + 28; a < FSAVE + 108; a += 4) o(`  rol eax, 5\n  add eax, [0x${a.toString(16)}]`);
  // bits 1 and 9 of the field are FSW.DE and FSW.C1 themselves (not hashed), so a difference there is recognisable
  o(`  and eax, ~0x${FPU_FSW_BITS.toString(16)}`);
  o(`  movzx ebx, word [0x${(FSAVE + 4).toString(16)}]`);
  o(`  and ebx, [DUMP_FSW_NMASK]`);
  o(`  and ebx, 0x${FPU_FSW_BITS.toString(16)}`);
  o(`  or eax, ebx`);
  o(`  push eax`); // frame: fpu checksum, memory checksum, PUSHAD, EFLAGS, return address
  o(`  mov dx, 0xe9`);
  o(`  test byte [dump_mode], 1`);
  o(`  jnz .full`);
  // hash mode: one dword per record, EFLAGS with the undefined flags (DUMP_NMASK) cleared first
  o(`  xor eax, eax`);
  for (let k = 0; k < 12; k++) {
    o(`  rol eax, 7`);
    if (k === 10) o(`  mov ebx, [esp + 40]\n  and ebx, [DUMP_NMASK]\n  xor eax, ebx`);
    else o(`  xor eax, [esp + ${k * 4}]`);
    o(`  imul eax, eax, 0x${HASH_MUL.toString(16)}`);
  }
  o(`  push eax`);
  o(`  mov al, 'H'`);
  o(`  out dx, al`);
  o(`  mov esi, esp`);
  o(`  mov ecx, 4`);
  o(`  rep outsb`);
  o(`  add esp, 4`);
  o(`  jmp .done`);
  o(`.full:`);
  o(`  mov al, 'R'`);
  o(`  out dx, al`);
  o(`  mov esi, esp`);
  o(`  mov ecx, 48`);
  o(`  rep outsb`);
  // dump_mode bit 1: the FSAVE image itself after the record (F), so a difference in the fpu checksum can be named
  o(`  test byte [dump_mode], 2`);
  o(`  jz .done`);
  o(`  mov al, 'F'`);
  o(`  out dx, al`);
  o(`  mov esi, 0x${FSAVE.toString(16)}`);
  o(`  mov ecx, ${FSAVE_BYTES}`);
  o(`  rep outsb`);
  o(`.done:`);
  o(`  mov dword [DUMP_NMASK], -1`);
  o(`  mov dword [DUMP_FSW_NMASK], -1`);
  o(`  add esp, 8`);
  o(`  popad`);
  o(`  popfd`);
  o(`  mov esp, [DUMP_ESP]`);
  o(`  ret`);
  // ---- exception handlers ----
  for (let v = 0; v < 32; v++) {
    o(`isr${v}:`);
    if (!ERR.has(v)) o(`  push dword 0`);
    o(`  push dword ${v}`);
    o(`  jmp fault`);
  }
  o(`fault:`);
  o(`  pushad`);
  // the upper halves of the CS and (from an outer ring) SS slots of a 32-bit frame are undefined (SDM Vol. 3A
  // 6.12.1, Figure 6-4: some processors write 16 bits): cleared, so the frame left in a stack window compares
  o(`  mov word [ss:esp + 46], 0`);
  o(`  test byte [ss:esp + 44], 3`);
  o(`  jz .same_ring`);
  o(`  mov word [ss:esp + 58], 0`);
  o(`.same_ring:`);
  // EFLAGS.RF of the frame (set for a fault, SDM Vol. 3B 17.3.1.1) goes into bit 16 of the X record's vector and
  // out of the frame and the stack windows, so a difference there shows as that bit alone
  o(`  mov ebx, [ss:esp + 48]`);
  o(`  and ebx, 0x${FAULT_RF.toString(16)}`);
  o(`  and dword [ss:esp + 48], ~0x${FAULT_RF.toString(16)}`);
  // the sequence may have left DS on a small or read-only segment (segment tests): the flat one while here
  // (saved in memory through SS, which is flat: a PUSH DS writes 2 or 4 bytes depending on the CPU, SDM PUSH)
  o(`  mov [ss:0x${DS_SAVE.toString(16)}], ds`);
  o(`  mov ax, 0x10`);
  o(`  mov ds, ax`);
  o(`  cld`);
  o(`  push dword [esp + 40]`); // EIP
  o(`  push dword [esp + 40]`); // error code
  o(`  push dword [esp + 40]`); // vector
  o(`  or [esp], ebx`);
  o(`  mov dx, 0xe9`);
  o(`  mov al, 'X'`);
  o(`  out dx, al`);
  o(`  mov esi, esp`);
  o(`  mov ecx, 12`);
  o(`  rep outsb`);
  o(`  and dword [esp], ~0x${FAULT_RF.toString(16)}`);
  o(`  add esp, 12`);
  // #NM: a task switch set CR0.TS and the dump's FNSAVE met it; CLTS and run the FNSAVE again (the X record shows it)
  o(`  cmp dword [esp + 32], 7`);
  o(`  jne .not_nm`);
  o(`  clts`);
  o(`  mov ds, [ss:0x${DS_SAVE.toString(16)}]`);
  o(`  popad`);
  o(`  add esp, 8`);
  o(`  iretd`);
  o(`.not_nm:`);
  o(`  mov ebx, [RESUME]`);
  o(`  sub ebx, [esp + 40]`);
  o(`  cmp ebx, 160`); // a tested group (segment load and access, or a gate call with its target code) is at most 160 bytes
  o(`  ja finish`);
  o(`  mov eax, [RESUME]`);
  o(`  mov [esp + 40], eax`);
  o(`  mov dword [RESUME], 0`);
  o(`  mov ds, [ss:0x${DS_SAVE.toString(16)}]`);
  o(`  popad`);
  o(`  add esp, 8`);
  o(`  iretd`);
  o(`finish:`);
  o(`  cld`); // the sequence may have left DF set
  o(`  mov dx, 0xe9`);
  o(`  mov al, 'E'`);
  o(`  out dx, al`);
  o(`  mov dx, 0xf4`);
  o(`  xor eax, eax`);
  o(`  out dx, al`);
  o(`  mov dx, 0x8900`);
  o(`  mov esi, shutdown_msg`);
  o(`  mov ecx, 8`);
  o(`  rep outsb`);
  o(`  cli`);
  o(`  hlt`);
  o(`  jmp finish`);
  o(`shutdown_msg: db 'Shutdown'`);
  o(`start_mark: db ${Array.from(START_MARK).join(',')}`);
  // ---- tables ----
  o(`align 8`);
  o(`gdt:`);
  o(`  dq 0`);
  o(`  dq 0x00cf9b000000ffff`); // 0x08 code DPL0 (accessed bit preset: the table is in ROM)
  o(`  dq 0x00cf93000000ffff`); // 0x10 data DPL0
  o(`  dq 0x00cffb000000ffff`); // 0x18 code DPL3
  o(`  dq 0x00cff3000000ffff`); // 0x20 data DPL3
  o(`  dw 0x67, 0x${(TSS_RAM & 0xffff).toString(16)}`); // 0x28 32-bit TSS, available (its copy in RAM)
  o(`  db 0x${((TSS_RAM >> 16) & 0xff).toString(16)}, 0xe9, 0, 0x${(TSS_RAM >>> 24).toString(16)}`);
  o(`  dq 0x00409300${hex4(WIN)}00ff`); // 0x30 data DPL0, base WIN, limit 0xFF bytes
  o(`  dq 0x0040f300${hex4(WIN)}00ff`); // 0x38 data DPL3, base WIN, limit 0xFF bytes
  o(`  dq 0x00cff1000000ffff`); // 0x40 read-only data DPL3, flat
  o(`  dq 0x00cf73000000ffff`); // 0x48 data DPL3, not present
  o(`  dq 0x00cff9000000ffff`); // 0x50 execute-only code DPL3, flat
  o(`  dq 0x00cf7b000000ffff`); // 0x58 code DPL3, not present
  o(`  dq 0x00cf9f000000ffff`); // 0x60 conforming code DPL0, flat
  o(`  dq 0x00cfff000000ffff`); // 0x68 conforming code DPL3, flat
  o(`  dq 0, 0`); // 0x70, 0x78 gate slots, filled by the sequence
  o(`  dw 0x67, 0x${(TSS_B & 0xffff).toString(16)}`); // 0x80 32-bit TSS of the second task, DPL 3, available
  o(`  db 0x${((TSS_B >> 16) & 0xff).toString(16)}, 0xe9, 0, 0x${(TSS_B >>> 24).toString(16)}`);
  o(`  dq 0x00cfbb000000ffff`); // 0x88 code DPL1, flat
  o(`  dq 0x00cfb3000000ffff`); // 0x90 data DPL1, flat
  o(`  dq 0`); // 0x98 stack segment slot, filled by the sequence
  for (let i = 0; i < 3; i++) {
    o(`  dw 0x67, 0x${(TSS_C & 0xffff).toString(16)}`); // 0xa0, 0xa8, 0xb0: the handler task (TSS_C), DPL 0
    o(`  db 0x${((TSS_C >> 16) & 0xff).toString(16)}, 0x89, 0, 0x${(TSS_C >>> 24).toString(16)}`);
  }
  o(`gdt_end:`);
  o(`gdtr_ram: dw gdt_end - gdt - 1`);
  o(`  dd 0x${GDT_RAM.toString(16)}`);
  o(`idtr_ram: dw idt_end - idt - 1`);
  o(`  dd 0x${IDT_RAM.toString(16)}`);
  // the flat data selector of each ring, read through CS to put DS/ES/FS/GS/SS back after a segment test
  o(`flat_sel0: dw 0x10`);
  o(`flat_sel3: dw 0x23`);
  o(`align 8`);
  o(`idt:`);
  for (let v = 0; v <= 0x40; v++) {
    const tgt = v < 32 ? `isr${v}` : v === 0x40 ? 'finish' : null;
    if (!tgt) { o(`  dq 0`); continue; }
    const dpl = v === 0x40 || v === 3 || v === 4 ? 0xee : 0x8e;
    o(`  dw ADDR(${tgt}) & 0xffff, 0x08`);
    o(`  db 0, 0x${dpl.toString(16)}`);
    o(`  dw ADDR(${tgt}) >> 16`);
  }
  o(`idt_end:`);
  o(`align 4`);
  o(`tss: dd 0, ISTK_TOP, 0x10`); // SS0:ESP0 at the top of the ring-0 stack window
  o(`  times 0x1c - 12 db 0`);
  o(`  dd 0x2000`); // CR3 (a task switch does not save it: a switch back to this task loads it)
  o(`  times 0x68 - 0x20 db 0`);
  o(`tss_end:`);
  // the second task's TSS: CR3 as the sequence's, SS0:ESP0, the rest written by the sequence (gen-tasks.ts)
  o(`tss_b: dd 0, ISTK_TOP, 0x10`); // SS0:ESP0 (32-bit layout) for a task B at CPL 3
  o(`  times 0x1c - 12 db 0`);
  o(`  dd 0x2000`);
  o(`  times 0x68 - 0x20 db 0`);
  o(`window_init:`);
  for (let i = 0; i < p.window.length; i += 16) o(`  db ${Array.from(p.window.subarray(i, i + 16), (b) => '0x' + b.toString(16)).join(',')}`);
  // ---- real mode, in the last 64 KiB ----
  o(`times 0x${(p.romSize - 0x10000 + 0xf000).toString(16)} - ($ - $$) db 0xcc`);
  o(`bits 16`);
  o(`rm_entry:`);
  o(`  cli`);
  o(`  xor ax, ax`);
  o(`  mov ds, ax`);
  o(`  mov ss, ax`);
  o(`  mov sp, 0x7000`);
  o(`  o32 lgdt [cs:gdtr - $$ - 0x${(p.romSize - 0x10000).toString(16)}]`);
  o(`  o32 lidt [cs:idtr - $$ - 0x${(p.romSize - 0x10000).toString(16)}]`);
  o(`  mov eax, cr0`);
  o(`  or al, 1`);
  o(`  mov cr0, eax`);
  o(`  jmp dword 0x08:pm_entry`);
  // the pseudo-descriptors live here, where real mode can address them
  o(`gdtr: dw gdt_end - gdt - 1`);
  o(`  dd gdt`);
  o(`idtr: dw idt_end - idt - 1`);
  o(`  dd idt`);
  o(`times 0x${(p.romSize - DUMP_MODE_FROM_END).toString(16)} - ($ - $$) db 0xcc`);
  o(`dump_mode: db 0`); // patched to 1 by the host for full records (withFullRecords)
  o(`times 0x${(p.romSize - 16).toString(16)} - ($ - $$) db 0xcc`);
  o(`  jmp 0xf000:rm_entry - $$ - 0x${(p.romSize - 0x10000).toString(16)}`);
  o(`times 0x${p.romSize.toString(16)} - ($ - $$) db 0xcc`);
  return L.join('\n') + '\n';
}

// An idle guest costs nothing (issue 13): a 64 KiB ROM halts with interrupts on and is woken by a timer, counts the
// wake-ups in its interrupt handler and powers off (S5) after 60 guest seconds. Two wake-up sources: the RTC's
// update-ended interrupt (once a second, IRQ 8) and the PIT at 100 Hz (IRQ 0, a tickful kernel's idle loop).
// A halted CPU with IF=1 warps the virtual clock to the next timer that can wake it (PcMachine.runSlice), so the
// figure is host CPU time (user + system, process.cpuUsage) per guest second: the run of LONG guest seconds minus the
// run of 1 (machine construction and power-on cost the same in both), medians of 5. LONG is an hour for the 1 Hz RTC
// and ten minutes for the 100 Hz PIT: with 60 s the 59 extra RTC wake-ups cost less than the noise of two CPU
// readings, and the figure came out negative. The guest seconds come from the virtual clock at the S5 write.
import { biosRom, median, outb, PM_BASE, pmEnable, runOnAcpidm, u16, u32 } from './bios-rom.js';

/**
 * Real mode: program the PM function (for the S5 exit) and the 8259s, let the 8259 reach the CPU (IA32_APIC_BASE
 * bit 11 clear), start the timer, then `sti; hlt` until the handler has counted `wakes` interrupts; then S5.
 */
export function idleRom(source, wakes) {
  const vector = source === 'rtc' ? 0x70 : 0x08; // IRQ 8 (slave base 0x70) or IRQ 0 (master base 0x08)
  const timer = source === 'rtc'
    ? [...outb(0x70, 0x0b), ...outb(0x71, 0x12), ...outb(0x70, 0x0c), 0xe4, 0x71] // reg B = UIE | 24h, read C
    : [...outb(0x43, 0x34), ...outb(0x40, 11932 & 0xff), ...outb(0x40, 11932 >> 8)]; // ch 0 mode 2, 100 Hz
  const ack = source === 'rtc'
    ? [...outb(0x70, 0x0c), 0xe4, 0x71, ...outb(0xa0, 0x20), ...outb(0x20, 0x20)] // read reg C, EOI slave + master
    : [...outb(0x20, 0x20)];
  const head = [
    0xfa, 0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xd0, 0xbc, ...u16(0x7000), // cli / ds = ss = 0 / sp = 0x7000
    ...pmEnable(),
    ...outb(0x20, 0x11), ...outb(0xa0, 0x11), ...outb(0x21, 0x08), ...outb(0xa1, 0x70),
    ...outb(0x21, 0x04), ...outb(0xa1, 0x02), ...outb(0x21, 0x01), ...outb(0xa1, 0x01),
    ...outb(0x21, source === 'rtc' ? 0xfb : 0xfe), ...outb(0xa1, source === 'rtc' ? 0xfe : 0xff),
    0x66, 0xb9, ...u32(0x1b), 0x0f, 0x32, 0x80, 0xe4, 0xf7, 0x0f, 0x30, // rdmsr / clear APIC global enable / wrmsr
    0xc7, 0x06, ...u16(0x500), 0, 0, //                                    mov word [0x500], 0 (wake-up count)
    0xc7, 0x06, ...u16(vector * 4), 0, 0, //                               IVT offset (patched below)
    0xc7, 0x06, ...u16(vector * 4 + 2), ...u16(0xf000),
    ...timer,
  ];
  const wait = [
    0xfb, 0xf4, //                                                         sti / hlt (STI's shadow covers the HLT)
    0x81, 0x3e, ...u16(0x500), ...u16(wakes), //                           cmp word [0x500], wakes
    0x72, 0xf6, //                                                         jb wait
    0xfa, 0xba, ...u16(PM_BASE + 4), 0xb8, ...u16(0x2000), 0xef, //        cli / PM1a_CNT = SLP_EN: S5
    0xf4, 0xeb, 0xfd,
  ];
  const handlerAt = head.length + wait.length;
  const handler = [0x50, 0xff, 0x06, ...u16(0x500), ...ack, 0x58, 0xcf]; // push ax / inc word [0x500] / ack / pop ax / iret
  const code = [...head, ...wait, ...handler];
  const patch = head.length - timer.length - 8; // the immediate of the MOV that sets the IVT offset
  code[patch] = handlerAt & 0xff; code[patch + 1] = handlerAt >> 8;
  return biosRom(code);
}

/** Run to the S5 write: CPU ms, guest seconds at the end, instructions retired. */
export const idleRun = (rom) => runOnAcpidm(rom, { memoryMiB: 8, bench: 'idle' });

export default async function (h) {
  for (const [source, perS, what, secs] of [['rtc', 1, 'RTC update interrupt, 1 Hz', 3600], ['pit', 100, 'PIT channel 0, 100 Hz', 600]]) {
    const long = idleRom(source, secs * perS), short = idleRom(source, perS); // at most 65,535 wake-ups (a word count)
    idleRun(long); idleRun(short); // warm-up
    const l = [], s = [];
    for (let i = 0; i < 5; i++) { s.push(idleRun(short)); l.push(idleRun(long)); }
    // marginal cost of the longer run's extra guest seconds: the machine's construction and power-on are in both runs
    const dMs = median(l.map((r) => r.ms)) - median(s.map((r) => r.ms));
    const dS = l[0].guestS - s[0].guestS;
    h.report(`idle guest: HLT woken by the ${what}, host CPU per guest second`, (dMs / dS) * 1e6, 'ns', undefined,
      `${l[0].guestS.toFixed(1)} guest s in ${median(l.map((r) => r.ms)).toFixed(0)} ms CPU with start-up, ${l[0].insns} instructions; ` +
      `(t(${secs} s) - t(1 s)) / ${secs - 1} s, median of 5`);
  }
}

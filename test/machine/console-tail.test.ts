// The cause chain reaches into the guest: the last lines the guest printed on its console, with their virtual
// times, are evidence on the link of the request that followed (the poweroff guest prints "reboot: Power down"
// before its PM1a_CNT write, as Linux does), and a guest that halts for good without ACPI gets a link that says so.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConsoleTail } from '../../src/machine/console-tail.js';
import { PcSystem } from '../../src/machine/pc-system.js';

const guest = (name: string) => new Uint8Array(readFileSync(new URL(`../../firmware/guests/${name}.bin`, import.meta.url)));

describe('ConsoleTail', () => {
  it('keeps the last lines with the time of their first byte', () => {
    const c = new ConsoleTail(2);
    const put = (s: string, t: number) => { for (const ch of s) c.push(ch.charCodeAt(0), t); };
    put('one\r\n', 10);
    put('two\n', 20);
    put('three\n', 30);
    put('four', 40);
    expect(c.tail()).toEqual([{ tNs: 30, text: 'three' }, { tNs: 40, text: 'four' }]);
    expect(c.evidence()).toMatchObject({ consoleLast: 'four', consoleLastNs: 40 });
    c.clear();
    expect(c.evidence()).toEqual({});
  });
});

describe('cause chain evidence from the guest console', () => {
  it('the S5 link carries the last lines the guest printed before its write, with their virtual times', () => {
    const sys = new PcSystem({ kernel: guest('poweroff') }).powerOn();
    sys.machine.start();
    expect(sys.run(10_000_000)).toEqual({ kind: 'exit', status: 0 });
    const link = sys.machine.runState.chain.last((l) => l.mechanism === 'pm1a-cnt')!;
    // The guest logs each PM1a_CNT write just before doing it (firmware/expected/poweroff.qemu.txt).
    expect(link.evidence!.consoleLast).toBe('PM1a_CNT 0x0604 <- 0x2000 (write 2: SLP_TYP | SLP_EN)');
    expect(String(link.evidence!.console)).toMatch(/^[\d.]+ ms: GPE0_EN .* \| [\d.]+ ms: PM1a_CNT 0x0604 -> 0x0000 \| /);
    expect(link.evidence!.consoleLastNs as number).toBeLessThanOrEqual(link.evidence!.tNs as number);
  });
  it('a guest halting with interrupts off and ACPI never enabled gets a hlt-all-cpus link saying so', () => {
    const sys = new PcSystem({ kernel: guest('halt') }).powerOn();
    sys.machine.start();
    expect(sys.run(10_000_000).kind).toBe('halted-cli');
    const link = sys.machine.runState.chain.last()!;
    expect(link).toMatchObject({ requester: 'guest', mechanism: 'hlt-all-cpus', evidence: { sciEn: false, consoleLast: 'reboot: System halted' } });
    expect(link.what).toMatch(/without ACPI/);
  });
});

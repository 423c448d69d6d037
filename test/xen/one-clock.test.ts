// One virtual clock for the whole Xen host (issue 12): a CPU guest's instructions advance the host's clock
// (1 ns each), and the hypervisor's timers, xenstored, libxl/xl and xend read the same clock, so the timeline
// has real virtual times and the toolstack's timeouts fire when their sources say:
//  - libxl waits 60 s for the guest's control/shutdown ack (Xen tools/libs/light/libxl_domain.c,
//    `pvcontrol->timeout_ms = 60 * 1000`);
//  - xend logs "Domain shutdown timeout expired" after 300 s (Xen tools/python/xen/xend/XendConstants.py,
//    `SHUTDOWN_TIMEOUT = (60.0 * 5)`).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CpuGuest } from '../../src/xen-hvm/cpu-guest.js';
import { formatTimeline, kernelGuestFactory, runXenDomain, type RunXenResult, type XenAction } from '../../src/xen-hvm/run-xen-domain.js';

const load = (p: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../${p}`, import.meta.url)));

function runKernel(kernel: string, actions: XenAction[] = [], limitNs = 30e9): RunXenResult {
  return runXenDomain({
    configText: `name = "guest"\nmemory = 32\nvcpus = 1\nkernel = "firmware/guests/${kernel}.bin"\n`,
    guestFactory: kernelGuestFactory(load), actions, limitNs,
  });
}

const at = (r: RunXenResult, pred: (text: string) => boolean): number => {
  const e = r.timeline.find((x) => pred(x.text));
  if (!e) throw new Error('timeline entry not found');
  return e.t;
};

describe('one virtual clock for guest, hypervisor and toolstack', () => {
  it('the guest\'s instructions are the host\'s time: the timeline moves forward with the code the guest ran', () => {
    const r = runKernel('poweroff');
    const times = r.timeline.map((e) => e.t);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]!);
    // Nothing in this run sleeps or waits for a timer: all the time there is was spent executing the guest.
    const guest = [...r.libxl.records.values()][0]!.hd.guest as CpuGuest;
    expect(guest.cpu!.clock).toBe(r.host.clock);
    expect(r.endNs).toBe(r.host.clock.instructions);
    expect(r.endNs).toBeGreaterThan(1000);
    // The guest printed its banner after executing some code, and its S5 write came later still.
    const banner = at(r, (t) => t === '(d1) acpidm guest: poweroff');
    const s5 = at(r, (t) => t.startsWith('xen_ioreq_send d1v0 PIO write port 0xb004 size 2 data 0x2001'));
    expect(banner).toBeGreaterThan(0);
    expect(s5).toBeGreaterThan(banner);
    // The toolstack's reaction is at (not before) the time of the write.
    expect(at(r, (t) => t.startsWith('VIRQ_DOM_EXC #1'))).toBeGreaterThanOrEqual(s5);
  });

  it('a timer-driven event reaches a CPU guest at its virtual time: xl shutdown -F at 1.5 s, the S5 write right after', () => {
    const r = runKernel('pwrbtn', [{ at: 1.5e9, xl: ['shutdown', '-F', 'guest'] }]);
    const press = at(r, (t) => t === 'xl shutdown -F guest');
    const s5 = at(r, (t) => t.startsWith('xen_ioreq_send d1v0 PIO write port 0xb004 size 2 data 0x2001'));
    expect(press).toBe(1.5e9);
    // The guest idled in hlt until the SCI, then ran its handler: microseconds of instructions, not a slice of 1 µs each.
    expect(s5).toBeGreaterThan(1.5e9);
    expect(s5 - 1.5e9).toBeLessThan(1e6);
  });

  it('libxl gives up on an unacknowledged control/shutdown exactly 60 s after writing it', () => {
    const r = runXenDomain({ guest: 'pv-ignore', actions: [{ at: 2.5e9, xl: ['shutdown', '-w', 'guest'] }], limitNs: 100e9, runToLimit: true });
    const asked = at(r, (t) => t === 'xl shutdown -w guest');
    const gaveUp = at(r, (t) => t.includes("guest didn't acknowledge control request: -9"));
    expect(asked).toBe(2.5e9);
    expect(gaveUp - asked).toBe(60e9);
    expect(r.commands[1]!.code).toBe(1);
    expect(r.commands[1]!.err.at(-1)).toBe('shutdown failed (rc=-9)');
  });

  it('xend logs its shutdown timeout 300 s after the request and leaves the domain running', () => {
    const r = runXenDomain({ guest: 'ignore-button', actions: [{ at: 2.5e9, xl: ['shutdown', '-F', 'guest'] }], limitNs: 400e9, runToLimit: true });
    const asked = at(r, (t) => t === 'xl shutdown -F guest');
    const expired = at(r, (t) => t === 'Domain shutdown timeout expired: name=guest id=1');
    expect(expired - asked).toBe(300e9);
    expect(r.host.hv.domains.has(1)).toBe(true);
    expect(r.cause).toBe('timeout');
  });

  it('replays exactly: two runs print the same timeline, times included', () => {
    const a = formatTimeline(runKernel('pwrbtn', [{ at: 0.25e9, xl: ['shutdown', '-F', 'guest'] }]).timeline);
    const b = formatTimeline(runKernel('pwrbtn', [{ at: 0.25e9, xl: ['shutdown', '-F', 'guest'] }]).timeline);
    expect(a.length).toBeGreaterThan(50);
    expect(b).toEqual(a);
  });
});

// `acpidm run --xen` ends with every domain's chain, folded, and one verdict (issue 14): a restart loop is one line.
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/cli-io.js';
import { printXenSummary, xenVerdict, xlAnswer } from '../../src/cli/commands/run-xen-summary.js';
import { runXenDomain } from '../../src/xen-hvm/run-xen-domain.js';

const LOOP = 'name = "guest"\nmemory = 128\nvcpus = 1\nkernel = "scripted:reboot"\non_reboot = "restart"\n';

describe('acpidm run --xen summary', () => {
  it('a reboot loop with on_reboot=restart: all domains in the summary, folded into one line; the limit is said, not silent', () => {
    const limit = 21e9;
    // xl restarts the domain 2 s after each reboot (xen.md §12): about ten domains in 21 s of virtual time
    const r = runXenDomain({ configText: LOOP, limitNs: limit, runToLimit: true });
    const n = r.libxl.records.size;
    expect(n).toBeGreaterThan(5);
    const io = captureIo();
    printXenSummary(r, io, { json: false, quiet: false }, limit, 0);
    const lines = io.out.split('\n');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
    expect(lines.length).toBeLessThan(25);
    // libxl's events: one folded line for every domain (each rebooted; xl's restart of the last is still pending)
    expect(io.out).toMatch(new RegExp(`\\(DOMAIN_SHUTDOWN reason 1, DOMAIN_DEATH\\) d1\\.\\.d${n} ×${n}, last at`));
    // the per-domain chains: the same guest reboot for every domain, one line and the chain of the last
    expect(io.out).toContain(`d1..d${n} ×${n} (the chain of d${n}): guest-reboot [xl: DOMAIN_SHUTDOWN reason 1 (reboot), DOMAIN_DEATH]`);
    const v = xenVerdict(r, limit);
    expect(v.domains).toBe(n);
    expect(v.limitHit).toBe(true);
    expect(v.sentence).toContain(`${n} domains in all (d1..d${n})`);
    expect(v.sentence).toContain('the virtual time limit of 21 s ended the run with xl about to restart the domain');
    const json = captureIo();
    printXenSummary(r, json, { json: true, quiet: false }, limit, 0);
    const rec = JSON.parse(json.out) as { kind: string; domainRecords: unknown[]; timelineDropped: number };
    expect(rec.kind).toBe('verdict');
    expect(rec.domainRecords).toHaveLength(n);
    expect(rec.timelineDropped).toBe(0);
  });

  it('the timeline says when it dropped lines and how many', () => {
    const r = runXenDomain({ configText: LOOP, limitNs: 9e9, runToLimit: true, host: {} });
    const io = captureIo();
    r.host.timelineLimit = 10; // as if the run had been long: the next notes drop the oldest half
    for (let i = 0; i < 25; i++) r.host.note('test', `line ${i}`);
    expect(r.host.timelineDropped).toBeGreaterThan(0);
    printXenSummary(r, io, { json: false, quiet: false }, 9e9, 0);
    expect(io.out).toContain(`(the timeline above lost its ${r.host.timelineDropped} oldest lines: the host keeps the last 10)`);
  });

  it('xl\'s answer per domain: the shutdown code, or DEATH only for a destroy', () => {
    expect(xlAnswer([{ type: 'DOMAIN_SHUTDOWN', domid: 1, reason: 0, t: 0 }, { type: 'DOMAIN_DEATH', domid: 1, t: 0 }])).toBe('DOMAIN_SHUTDOWN reason 0 (poweroff), DOMAIN_DEATH');
    expect(xlAnswer([{ type: 'DOMAIN_DEATH', domid: 1, t: 0 }])).toBe('DOMAIN_DEATH only');
    expect(xlAnswer([])).toBe('no libxl event');
  });
});

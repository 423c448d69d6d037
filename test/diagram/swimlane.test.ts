// The swimlane diagram (issue 17): drawn from the one trace stream and the cause chain, written as SVG by
// `acpidm run --diagram` and `acpidm xen scenario --diagram`. The SVG is parsed as XML (it must be well-formed);
// its lanes and message order are checked against the trace records of the same run, and against the order
// Xen itself gives the teardown (seed 003: xen/common/domain.c, xenstored_domain.c, libxl_domain.c).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';
import { buildSwimlane } from '../../src/diagram/build.js';
import { DiagramRecorder } from '../../src/diagram/recorder.js';
import { pcGuestSite, portIoInstruction } from '../../src/diagram/pc-site.js';
import { escapeXml, renderSvg } from '../../src/diagram/svg.js';
import type { DiagramRecord, Swimlane } from '../../src/diagram/swimlane.js';
import { PcSystem } from '../../src/machine/pc-system.js';
import { kernelGuestFactory, runXenDomain } from '../../src/xen-hvm/run-xen-domain.js';
import { domainVerdict } from '../../src/xen-hvm/domain-verdict.js';
import { tempDir } from '../tmp-dir.js';
import { findAll, hasClass, parseXml, type XmlElement } from './xml.js';

const root = join(import.meta.dirname, '../..');
const guest = (name: string) => new Uint8Array(readFileSync(join(root, 'firmware/guests', `${name}.bin`)));

async function cli(...argv: string[]) {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

interface Drawn { lanes: string[]; msgs: { seq: number; from: string; to: string; title: string; path: boolean; cls: string }[]; svg: XmlElement }

/** Parse an SVG (throws when not well-formed) into its lane titles and messages in document order. */
function drawn(svgText: string): Drawn {
  const svg = parseXml(svgText);
  expect(svg.name).toBe('svg');
  const lanes = findAll(svg, (e) => hasClass(e, 'lane-head')).map((e) => e.children.find((c) => c.name === 'text')!.text);
  const msgs = findAll(svg, (e) => e.name === 'g' && hasClass(e, 'msg')).map((e) => ({
    seq: Number(e.attrs['data-seq']), from: e.attrs['data-from']!, to: e.attrs['data-to']!,
    title: e.children.find((c) => c.name === 'title')!.text, path: hasClass(e, 'path'), cls: e.attrs['class']!,
  }));
  return { lanes, msgs, svg };
}

/** The index of each step (a substring of a message's title), each after the previous one. */
function inOrder(msgs: Drawn['msgs'], steps: readonly (string | RegExp)[]): number[] {
  const at: number[] = [];
  let from = 0;
  for (const s of steps) {
    const i = msgs.findIndex((m, k) => k >= from && (typeof s === 'string' ? m.title.includes(s) : s.test(m.title)));
    if (i < 0) throw new Error(`step not found after message ${from}: ${String(s)}\n${msgs.slice(from).map((m) => m.title).join('\n')}`);
    at.push(i);
    from = i + 1;
  }
  return at;
}

/** A QEMU-mode run recorded for the diagram; `host` acts when the guest waits for it (the power button). */
function qemuRun(name: string, host?: (sys: PcSystem) => void, o: { noReboot?: boolean; maxInsns?: number } = {}): { s: Swimlane; sys: PcSystem } {
  const sys = new PcSystem({ kernel: guest(name), memoryMiB: 64, debugcon: [{ iobase: 0xe9 }], noReboot: o.noReboot ?? false });
  const rec = new DiagramRecorder(sys.machine.trace, { site: pcGuestSite(sys) });
  sys.powerOn();
  sys.machine.start();
  let acted = false;
  const budget = o.maxInsns ?? 50_000_000;
  while (sys.machine.clock.instructions < budget) {
    const out = sys.run(budget - sys.machine.clock.instructions);
    if (out.kind === 'halted' && host && !acted) {
      acted = true;
      host(sys);
      continue;
    }
    if (out.kind !== 'budget') break;
  }
  const rs = sys.machine.runState;
  return { s: buildSwimlane({ mode: 'qemu', title: name, records: rec.all(), chains: [{ links: rs.chain.links }], verdict: rs.verdict(), dropped: rec.dropped }), sys };
}

describe('swimlane diagram, QEMU mode', () => {
  it('acpidm run --diagram: the default poweroff run, lanes and arrows in the order of the trace records, the S5 write on the cause path', async () => {
    const dir = tempDir('acpidm-diagram');
    const out = join(dir, 'run.svg');
    const traceFile = join(dir, 'trace.jsonl');
    const r = await cli('run', '--quiet', '--diagram', out, '-trace', 'acpi_pm1_*', '-trace', 'machine_event', '-trace', 'machine_request', '-D', traceFile);
    expect(r.code, r.err).toBe(0);
    const d = drawn(readFileSync(out, 'utf8'));
    expect(d.lanes).toEqual(['firmware (SeaBIOS part)', 'guest CPU', 'PIIX4 / ACPI PM', 'run state (main loop)', 'QMP clients']);
    // Every traced PM write, request and QMP event is an arrow, with the trace's own sequence numbers, in its order.
    const trace = readFileSync(traceFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seq: number; event: string });
    const drawnSeqs = d.msgs.map((m) => m.seq);
    expect(trace.length).toBeGreaterThan(4);
    expect(drawnSeqs.filter((s) => trace.some((t) => t.seq === s))).toEqual(trace.map((t) => t.seq));
    expect(drawnSeqs).toEqual([...drawnSeqs].sort((a, b) => a - b));
    // The guest's console lines sit on the guest lane, before its PM1a_CNT write (firmware/guests/poweroff.asm).
    const idx = inOrder(d.msgs, ['PCI config 00:01.3: PMBA 0x600', 'Multiboot kernel: jump to', 'RESUME', 'reboot: Power down', 'PM1a_CNT <== 0x2000 SLP_EN: S5',
      'shutdown request (guest-shutdown)', 'SHUTDOWN {guest: true, reason: guest-shutdown}']);
    expect(d.msgs[idx[3]!]).toMatchObject({ from: 'guest', to: 'guest' });
    // QEMU hw/acpi/core.c acpi_pm1_cnt_write → qemu_system_shutdown_request(GUEST_SHUTDOWN) → SHUTDOWN: the path, end to end.
    expect(d.msgs.filter((m) => m.path).map((m) => `${m.from}>${m.to}`)).toEqual(['guest>pm', 'pm>runstate', 'runstate>qmp']);
    expect(d.msgs[idx[4]!]!.title).toContain('cause link #1');
    // ...with the guest's OUT: the CS:EIP the verdict names (src/machine verdict: "at 0008:xxxxxxxx")
    const at = /at (0008:[0-9a-f]{8})/.exec(r.err)![1]!;
    expect(d.msgs[idx[4]!]!.title).toMatch(new RegExp(`guest instruction ${at} \\((66 )?ef`));
    expect(r.err).toContain('verdict: shut down');
    expect(findAll(d.svg, (e) => hasClass(e, 'verdict'))[0]!.text).toMatch(/^verdict: shut down \[SHUTDOWN/);
  });

  it('the power-button run: host press → POWERDOWN → PIIX4 SCI → the guest\'s S5 answering it, all on the path', () => {
    const { s } = qemuRun('pwrbtn', (sys) => {
      sys.machine.runState.requestPowerdown({ requester: 'host', mechanism: 'acpi-power-button', what: 'system_powerdown' });
    });
    const d = drawn(renderSvg(s));
    expect(d.lanes).toEqual(['firmware (SeaBIOS part)', 'guest CPU', 'PIIX4 / ACPI PM', 'run state (main loop)', 'QMP clients']);
    inOrder(d.msgs, ['waiting for the power button', 'powerdown request (system_powerdown)', 'POWERDOWN', 'PWRBTN_STS set: SCI', 'power button pressed',
      /PM1a_CNT <== 0x20[0-9a-f]{2} SLP_EN: S5/, 'SHUTDOWN {guest: true, reason: guest-shutdown}']);
    const path = d.msgs.filter((m) => m.path);
    // #1 host press, #2 the PIIX4 latching it, #3 the guest's S5 answering #2 (src/machine/cause-chain.ts)
    expect(path.map((m) => `${m.from}>${m.to}`)).toEqual(['qmp>runstate', 'pm>guest', 'guest>pm', 'pm>runstate', 'runstate>qmp']);
    expect(path.map((m) => /cause link (#\d+)/.exec(m.title)?.[1] ?? '-')).toEqual(['#1', '#2', '#3', '-', '-']);
    // Every message is a record of the machine's trace, in trace order.
    expect(s.messages.map((m) => m.record.seq)).toEqual([...s.messages.map((m) => m.record.seq)].sort((a, b) => a - b));
    // The S5 write carries the guest's instruction: an OUT at the CS:EIP the cause link names.
    const s5 = s.messages.find((m) => m.links.includes(3))!;
    const link = s.chain.find((l) => l.id === 3)!;
    expect(s5.record.site).toMatchObject({ cs: link.evidence!['cs'], eip: link.evidence!['eip'] });
    const io = portIoInstruction(s5.record.site!.bytes!, s5.record.site!.code32);
    expect(io?.text).toMatch(/^out dx, (ax|eax|al)$/);
  });

  it('a reboot loop folds into one box with the count of its cycles (= the guest\'s RESET events in the trace)', () => {
    const { s, sys } = qemuRun('reboot-cf9', undefined, { maxInsns: 1_500_000 });
    // Each guest reboot is two RESETs: the guest's, then the built-in firmware's hard reboot (SeaBIOS's warm entry).
    const resets = sys.machine.runState.log.filter((e) => e.event === 'RESET').length;
    const guestResets = sys.machine.runState.log.filter((e) => e.event === 'RESET' && e.cause?.evidence?.['firmware'] === undefined).length;
    expect(guestResets).toBeGreaterThan(3);
    expect(resets - guestResets).toBeGreaterThanOrEqual(guestResets - 1);
    expect(s.folds).toHaveLength(1);
    // The first boot differs from the later ones (it starts from prelaunch): all the reboots but the first fold.
    expect(s.folds[0]!.count).toBeGreaterThanOrEqual(guestResets - 2);
    expect(s.folds[0]!.count).toBeLessThanOrEqual(guestResets);
    const d = drawn(renderSvg(s));
    const box = findAll(d.svg, (e) => hasClass(e, 'fold') && e.attrs['data-count'] !== undefined);
    expect(box.map((e) => Number(e.attrs['data-count']))).toEqual([s.folds[0]!.count]);
    expect(d.msgs.length).toBeLessThan(s.messages.length / 2);
    inOrder(d.msgs, ['0xCF9 <== 0x0e (reset)', 'RESET']);
  });

  it('text is escaped: markup in a guest console line stays text, and the SVG stays well-formed', () => {
    const rec = (seq: number, name: string, args: Record<string, unknown>): DiagramRecord => ({ seq, t: seq, ns: 'guest', name, args });
    const s = buildSwimlane({ mode: 'qemu', title: 'a <b> & "c"', records: [rec(1, 'guest_console_line', { port: 0xe9, line: '</svg><script>alert(1)</script> & \u0001' })], chains: [] });
    const text = renderSvg(s);
    const d = drawn(text);
    expect(d.msgs[0]!.title).toContain('</svg><script>alert(1)</script> & \ufffd');
    expect(text).not.toContain('<script>');
    expect(escapeXml(`<'&">`)).toBe('&lt;&apos;&amp;&quot;&gt;');
    expect(() => parseXml('<svg><g></svg>')).toThrow(/not well-formed/);
  });
});

describe('swimlane diagram, Xen mode', () => {
  const XEN_LANES = ['guest CPU (HVM domain)', 'ioreq ring', 'qemu-dm (dom0)', 'hypervisor', 'xenstored', 'libxl / xl', 'xend'];

  it('acpidm xen scenario --diagram: the seed-003 teardown, lanes and arrows in the trace\'s order and in Xen\'s', async () => {
    const dir = tempDir('acpidm-diagram');
    const out = join(dir, 'seed003.svg');
    const r = await cli('xen', 'scenario', '--diagram', out, join(root, 'scenarios/xen/real-kernel-poweroff.json'));
    expect(r.code, r.out + r.err).toBe(0);
    const d = drawn(readFileSync(out, 'utf8'));
    expect(d.lanes).toEqual(XEN_LANES);
    const seqs = d.msgs.map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // Seed 003 (test/xen/seed-003.test.ts, xen.md §8): guest → ioreq → qemu-dm → hypervisor → xenstored → xl → hypervisor.
    const steps = inOrder(d.msgs, [
      'ioreq d1v0 PIO write 0xb004 <== 0x2001', 'cpu_handle_ioreq write 0xb004 <== 0x2001', 'PIIX4 PM1a_CNT <== 0x2001 -> S5',
      'SCHEDOP_remote_shutdown d1 reason 0 = 0', 'Issued domain 1 poweroff', 'IORESP_READY', 'd1 is_shut_down (code 0)',
      'VIRQ_DOM_EXC #1 (d1)', 'rescan: dom1 shut down', 'watch @releaseDomain (domain-death)', 'getdomaininfo d1 -> flags 0x6 shutdown code 0',
      // 32 MiB: domain_kill frees it without being preempted (128 MiB gives seed 003's -ERESTART continuation)
      'DOMAIN_SHUTDOWN(0) domid 1', 'Action for shutdown reason code 0 is destroy', 'XEN_DOMCTL_pausedomain d1 = 0',
      'domain_kill d1 dead rc 0', 'domain_destroy d1', 'VIRQ_DOM_EXC #2 (d1)', 'XEN_DOMCTL_destroydomain d1 = 0', 'd1 freed (complete_domain_destroy)', 'VIRQ_DOM_EXC #3 (d1)', 'rescan: dom1 gone',
      'watch @releaseDomain (domain-death)', 'getdomaininfo d1 -> no such domain', 'DOMAIN_DEATH domid 1',
    ]);
    const lanesOf = (i: number) => `${d.msgs[steps[i]!]!.from}>${d.msgs[steps[i]!]!.to}`;
    expect([0, 1, 3, 7, 9, 10, 13].map(lanesOf), 'lanes of the ioreq, handle, SCHEDOP, VIRQ, watch, getdomaininfo, pausedomain').toEqual(['guest>ring', 'ring>qemu-dm', 'qemu-dm>xen', 'xen>xenstored', 'xenstored>xl', 'xl>xen', 'xl>xen']);
    // The cause path end to end: the S5 ioreq (#1), qemu-dm's remote shutdown (#2), the VIRQ, @releaseDomain,
    // libxl's event, xl's destroy (#3) down to domain_destroy and DOMAIN_DEATH.
    expect(d.msgs.filter((m) => m.path).map((m) => m.title.replace(/^\s*[\d.]+ ms\s+/, '').replace(/\s+\[.*$/, ''))).toEqual([
      'ioreq d1v0 PIO write 0xb004 <== 0x2001', 'cpu_handle_ioreq write 0xb004 <== 0x2001', 'SCHEDOP_remote_shutdown d1 reason 0 = 0',
      'VIRQ_DOM_EXC #1 (d1)', 'watch @releaseDomain (domain-death)', 'DOMAIN_SHUTDOWN(0) domid 1', 'XEN_DOMCTL_pausedomain d1 = 0',
      'domain_destroy d1', 'DOMAIN_DEATH domid 1',
    ]);
  });

  it('acpidm run --xen --diagram: the guest\'s S5 ioreq carries the OUT that made it (CS:EIP, bytes)', async () => {
    const out = join(tempDir('acpidm-diagram'), 'xen.svg');
    const r = await cli('run', '--xen', '--quiet', '--diagram', out);
    expect(r.code, r.err).toBe(0);
    const d = drawn(readFileSync(out, 'utf8'));
    expect(d.lanes).toEqual(XEN_LANES);
    const s5 = d.msgs.find((m) => m.title.includes('ioreq d1v0 PIO write 0xb004 <== 0x2001'))!;
    expect(s5.path).toBe(true);
    expect(s5.title).toMatch(/cause link #1  guest instruction [0-9a-f]{4}:[0-9a-f]{8} \((66 )?ef/);
  });

  it('the Xen poweroff to domain_destroy: every drawn message is a trace record of the run, none left out', () => {
    const r = runXenDomain({
      configText: 'name = "guest"\nmemory = 32\nkernel = "firmware/guests/poweroff.bin"\n',
      guestFactory: kernelGuestFactory((p) => new Uint8Array(readFileSync(join(root, p)))),
    });
    const rec = [...r.libxl.records.values()][0]!;
    const s = buildSwimlane({ mode: 'xen', title: 'xen', records: r.host.trace.history, chains: [{ domid: rec.domid, name: rec.name, links: rec.hd.chain.links }], verdict: domainVerdict(rec), verdictDomid: rec.domid });
    const names = new Set(['xen_ioreq_send', 'cpu_handle_ioreq', 'cpu_ioreq_respond', 'xen_ioreq_complete', 'xen_send_global_virq', 'xenstored_watch_event', 'libxl_event', 'xen_domain_destroy']);
    const wanted = r.host.trace.history.filter((t) => names.has(t.name)).map((t) => t.seq);
    expect(wanted.length).toBeGreaterThan(10);
    expect(s.messages.filter((m) => names.has(m.record.name)).map((m) => m.record.seq)).toEqual(wanted);
    expect(s.lanes.map((l) => l.title)).toEqual(XEN_LANES);
    const d = drawn(renderSvg(s));
    expect(d.msgs.at(-1)!.title).toContain('DOMAIN_DEATH domid 1');
    expect(d.msgs.find((m) => m.title.includes('domain_destroy d1'))!.path).toBe(true);
  });
});

// The power-button run as a user drives it: the pwrbtn kernel behind a real QMP socket and `acpidm domain shutdown
// --mode acpi` (libvirt's part, src/lifecycle) sending system_powerdown from "another terminal". The diagram shows
// the QMP client's command reaching the run state, POWERDOWN back to the clients, the PIIX4's SCI, the guest's S5
// answering it, and SHUTDOWN: the path from the host's command to the guest's OUT (QEMU qmp_system_powerdown →
// acpi_pm1_evt_power_down → the guest's acpi_power_off).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';
import { buildSwimlane } from '../../src/diagram/build.js';
import { DiagramRecorder } from '../../src/diagram/recorder.js';
import { pcGuestSite } from '../../src/diagram/pc-site.js';
import { renderSvg } from '../../src/diagram/svg.js';
import { PcSystem } from '../../src/machine/pc-system.js';
import { pollUntil, serveQmp } from '../qmp-vm.js';
import { findAll, hasClass, parseXml } from './xml.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('swimlane of a QMP-driven power-button run', () => {
  it('acpidm domain shutdown --mode acpi: QMP client → run state → PIIX4 SCI → guest S5 → SHUTDOWN, in trace order, on the path', async () => {
    const sys = new PcSystem({ kernel: new Uint8Array(readFileSync(join(import.meta.dirname, '../../firmware/guests/pwrbtn.bin'))), noShutdown: true });
    const rec = new DiagramRecorder(sys.machine.trace, { site: pcGuestSite(sys) });
    sys.powerOn();
    const { path, close } = await serveQmp(sys, { name: 'pwrbtn', agent: true, start: true });
    cleanups.push(close);
    await pollUntil(() => sys.machine.debugconOutput.includes('waiting for the power button'));
    const io = captureIo();
    expect(await main(['domain', path, 'shutdown', '--mode', 'acpi'], io), io.err).toBe(0);
    const rs = sys.machine.runState;
    const s = buildSwimlane({ mode: 'qemu', title: 'pwrbtn over QMP', records: rec.all(), chains: [{ links: rs.chain.links }], verdict: rs.verdict() });
    const svg = parseXml(renderSvg(s));
    const msgs = findAll(svg, (e) => e.name === 'g' && hasClass(e, 'msg')).map((e) => ({
      from: e.attrs['data-from']!, to: e.attrs['data-to']!, seq: Number(e.attrs['data-seq']), path: hasClass(e, 'path'),
      title: e.children.find((c) => c.name === 'title')!.text,
    }));
    const seqs = msgs.map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // Every QMP command the client sent is an arrow from the QMP clients' lane, in the order of the trace's qmp_command records.
    const commands = sys.machine.trace.history.filter((r) => r.name === 'qmp_command');
    expect(commands.map((r) => r.args['command'])).toContain('system_powerdown');
    expect(msgs.filter((m) => m.title.includes('[qmp_command')).map((m) => m.seq)).toEqual(commands.map((r) => r.seq));
    const path_ = msgs.filter((m) => m.path);
    // The client's command, the run state's request (#1), the PIIX4's SCI (#2), the guest's S5 (#3), SHUTDOWN; then
    // the follow-up: libvirt's part ends the shut-down VM with `quit` (#4), as libvirt ends QEMU (verdict.ts followUp).
    expect(path_.map((m) => `${m.from}>${m.to}`)).toEqual(['qmp>runstate', 'qmp>runstate', 'pm>guest', 'guest>pm', 'pm>runstate', 'runstate>qmp', 'qmp>runstate', 'qmp>runstate']);
    expect(path_[0]!.title).toMatch(/system_powerdown \(session \d+\)  \[qmp_command/);
    expect(path_[1]!.title).toMatch(/powerdown request .*cause link #1/);
    expect(path_[3]!.title).toMatch(/PM1a_CNT <== 0x20[0-9a-f]{2} SLP_EN: S5.*cause link #3/);
    expect(path_[5]!.title).toContain('SHUTDOWN {guest: true, reason: guest-shutdown}');
    expect(path_[6]!.title).toMatch(/quit \(session \d+\)  \[qmp_command/);
    expect(path_[7]!.title).toMatch(/host-qmp-quit.*cause link #4/);
    expect(msgs.some((m) => m.from === 'runstate' && m.to === 'qmp' && m.title.includes('POWERDOWN'))).toBe(true);
  });
});

// src/ is isomorphic (src/README.md): proved in a real browser. web/build.mjs bundles the page (web/main.ts) and
// every src/ module outside src/cli and *-node.ts for the browser platform; headless Chromium (Debian package
// `chromium`) loads the page from a loopback server, and the test drives it over the DevTools protocol pipe.
// The guests are the real firmware/guests kernels; the browser's results must equal the same run in Node
// (deterministic virtual clock), and match what QEMU does (firmware/guests/*.asm "Expected on QEMU").
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSession, type EventView, type LinkView, type Snapshot } from '../../web/session.js';
import { XenWebSession } from '../../web/xen-session.js';
import { CHROMIUM, Chromium, type Page } from './chromium.js';
import { serveStatic, type StaticServer } from '../../web/serve.mjs';

const CI = process.env['CI'] === 'true';
const hasChromium = existsSync(CHROMIUM);
const root = fileURLToPath(new URL('../..', import.meta.url));

if (!hasChromium && CI) {
  describe('web page in headless Chromium', () => {
    it(`needs ${CHROMIUM} (Debian package chromium) under CI`, () => {
      expect.fail(`${CHROMIUM} is missing: apt-get install -y chromium`);
    });
  });
} else if (!hasChromium) {
  console.warn(`test/web/browser.test.ts: skipped: ${CHROMIUM} is missing (apt-get install -y chromium, or set CHROMIUM=/path)`);
  describe.skip(`web page in headless Chromium (skipped: ${CHROMIUM} is missing; apt-get install -y chromium)`, () => {
    it('loads', () => {});
  });
} else {
  describe('web page in headless Chromium', () => {
    let dir = '';
    let sources: string[] = [];
    let server: StaticServer;
    let browser: Chromium;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'acpidm-web-'));
      const { buildWeb } = await import('../../web/build.mjs');
      ({ sources } = await buildWeb({ outDir: join(dir, 'dist'), quiet: true }));
      server = await serveStatic(join(dir, 'dist'), 0);
      browser = await Chromium.launch();
    });

    const pages: Page[] = [];
    const newPage = async () => {
      const p = await browser.newPage();
      pages.push(p);
      return p;
    };
    afterEach(async () => {
      for (const p of pages.splice(0)) await p.close();
    });

    afterAll(async () => {
      await browser?.close();
      await server?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const state = (p: Page) => p.evaluate<string>(`document.getElementById('status').textContent`);
    const json = <T>(p: Page, id: string) => p.evaluate<string>(`document.getElementById('${id}').dataset.json`).then((s) => JSON.parse(s) as T);
    /** Waits until the run stops or waits for the host, then expects `want` (the status line explains a mismatch). */
    const settled = async (p: Page, want: string) => {
      const got = await p.waitFor<string>(`(() => { const ph = document.getElementById('status').dataset.phase; return ph !== 'loading' && ph !== 'running' && ph; })()`,
        15_000, () => state(p));
      expect(got, `${await state(p)}\n${p.errors.join('\n')}`).toBe(want);
    };
    const eventsOf = (evs: EventView[]) => evs.map((e) => (e.data ? { event: e.event, data: e.data } : { event: e.event }));

    /** The same guest run in Node, with the same host actions, for the isomorphism comparison. */
    function nodeRun(name: string, act: (s: WebSession) => void = () => {}): Snapshot {
      const s = new WebSession({ name, kernel: new Uint8Array(readFileSync(join(root, 'firmware/guests', `${name}.bin`))) });
      let acted = false;
      for (let i = 0; i < 10_000; i++) {
        const ph = s.step(50_000);
        if (ph === 'running') continue;
        if (acted) break;
        acted = true;
        act(s);
        if (s.phase !== 'running') break;
      }
      return s.snapshot();
    }

    it('poweroff guest: \\_S5_ read from the AML, then SHUTDOWN {guest: true, reason: guest-shutdown} from the PM1a_CNT write', async () => {
      const page = await newPage();
      await page.navigate(`${server.url}?guest=poweroff`);
      await settled(page, 'exited');
      const status = await page.evaluate<Record<string, string>>(`({ ...document.getElementById('status').dataset })`);
      expect(status).toMatchObject({ guest: 'poweroff', exitStatus: '0' });
      const guestOut = await json<string>(page, 'console');
      expect(guestOut).toContain('AML: \\_S5_ Package(4) {0, 0, 0, 0}');
      const events = await json<EventView[]>(page, 'events');
      // QEMU hw/acpi/core.c acpi_pm1_cnt_write → qemu_system_shutdown_request(SHUTDOWN_CAUSE_GUEST_SHUTDOWN)
      expect(eventsOf(events)).toEqual([{ event: 'RESUME' }, { event: 'SHUTDOWN', data: { guest: true, reason: 'guest-shutdown' } }]);
      const chain = await json<LinkView[]>(page, 'chain');
      expect(chain).toHaveLength(1);
      expect(chain[0]).toMatchObject({ requester: 'guest', mechanism: 'pm1a-cnt' });
      expect(chain[0]!.what).toMatch(/^outw 0x0604 <== 0x20[0-9a-f]{2} \(S5\)$/);
      expect(events[1]!.cause).toBe(chain[0]!.id);
      expect(await page.evaluate<string>(`document.getElementById('chain').textContent`)).toContain(`#1 guest via pm1a-cnt: ${chain[0]!.what}`);
      // The page shows the machine's verdict, the sentence `acpidm run` prints: guest code's own OUT, with its CS:EIP.
      const verdict = await page.evaluate<string>(`document.getElementById('chain').dataset.verdict`);
      expect(verdict).toMatch(/^shut down \[SHUTDOWN \{guest: true, reason: guest-shutdown\}\] by the guest: outw 0x0604 <== 0x20[0-9a-f]{2} \(S5\) at 0008:[0-9a-f]{8}, insn [\d,]+ \(#1\), answering none/);
      // Isomorphic: the browser run is the Node run, byte for byte and nanosecond for nanosecond.
      const node = nodeRun('poweroff');
      expect({ guestOut, events, chain, verdict }).toEqual({ guestOut: node.console, events: node.events, chain: node.chain, verdict: node.verdict });
      expect(page.errors).toEqual([]);
    });

    it('pwrbtn guest: the Power button gives POWERDOWN, then the guest\'s S5 (answering the press) gives SHUTDOWN guest-shutdown', async () => {
      const page = await newPage();
      await page.navigate(`${server.url}?guest=pwrbtn`);
      await settled(page, 'waiting');
      expect(await json<string>(page, 'console')).toContain('waiting for the power button');
      expect(eventsOf(await json<EventView[]>(page, 'events'))).toEqual([{ event: 'RESUME' }]);
      expect(await page.evaluate<boolean>(`document.getElementById('power').disabled`)).toBe(false);
      await page.evaluate(`document.getElementById('power').click()`);
      await settled(page, 'exited');
      const guestOut = await json<string>(page, 'console');
      expect(guestOut).toContain('power button pressed');
      const events = await json<EventView[]>(page, 'events');
      // QEMU: system_powerdown → POWERDOWN (acpi_pm1_evt_power_down sets PWRBTN_STS, SCI); the guest's S5 → SHUTDOWN
      expect(eventsOf(events)).toEqual([
        { event: 'RESUME' }, { event: 'POWERDOWN' }, { event: 'SHUTDOWN', data: { guest: true, reason: 'guest-shutdown' } },
      ]);
      const chain = await json<LinkView[]>(page, 'chain');
      // host press → the PIIX4 latches PWRBTN_STS → the guest's S5 answers the latched press
      expect(chain.map((l) => `${l.requester}/${l.mechanism}`)).toEqual(['host/acpi-power-button', 'hypervisor/acpi-power-button', 'guest/pm1a-cnt']);
      expect(chain[1]!.answers).toBe(chain[0]!.id);
      expect(chain[2]!.answers).toBe(chain[1]!.id);
      expect(chain[2]!.what).toMatch(/^outw 0x0604 <== 0x20[0-9a-f]{2} \(S5\)$/);
      const shot = await page.screenshot();
      expect([...shot.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]); // a PNG came back (its content is for people)
      writeFileSync(process.env['ACPIDM_WEB_SCREENSHOT'] ?? join(dir, 'pwrbtn.png'), shot);
      await keepScreenshot(page, 'qemu-pwrbtn');
      const node = nodeRun('pwrbtn', (s) => s.pressPowerButton());
      expect({ guestOut, events, chain }).toEqual({ guestOut: node.console, events: node.events, chain: node.chain });
      expect(page.errors).toEqual([]);
    });

    it('suspend guest: S3 gives SUSPEND; Wake up gives WAKEUP, then the resumed guest powers off', async () => {
      const page = await newPage();
      await page.navigate(`${server.url}?guest=suspend`);
      await settled(page, 'suspended');
      expect(await page.evaluate<boolean>(`document.getElementById('wakeup').disabled`)).toBe(false);
      await page.evaluate(`document.getElementById('wakeup').click()`);
      await settled(page, 'exited');
      expect(eventsOf(await json<EventView[]>(page, 'events'))).toEqual([
        { event: 'RESUME' }, { event: 'SUSPEND' }, { event: 'WAKEUP' }, { event: 'SHUTDOWN', data: { guest: true, reason: 'guest-shutdown' } },
      ]);
      expect((await json<LinkView[]>(page, 'chain')).map((l) => `${l.requester}/${l.mechanism}: ${l.what}`))
        .toEqual([expect.stringMatching(/^guest\/pm1a-cnt: outw 0x0604 <== 0x2[4-7][0-9a-f]{2} \(S3\)$/), expect.stringMatching(/\(S5\)$/)]);
      expect(page.errors).toEqual([]);
    });

    it('halt guest (cli; hlt): the Power button gives POWERDOWN only and the guest never runs again', async () => {
      const page = await newPage();
      await page.navigate(`${server.url}?guest=halt`);
      await settled(page, 'halted');
      expect(await json<string>(page, 'console')).toContain('reboot: System halted');
      const before = await page.evaluate<string>(`document.getElementById('status').dataset.insns`);
      await page.evaluate(`document.getElementById('power').click()`);
      // QEMU: POWERDOWN is emitted by the main loop whatever the guest does; a halted guest never answers it.
      await page.waitFor<boolean>(`JSON.parse(document.getElementById('events').dataset.json).length === 2`, 10_000, () => state(page));
      await settled(page, 'halted');
      expect(eventsOf(await json<EventView[]>(page, 'events'))).toEqual([{ event: 'RESUME' }, { event: 'POWERDOWN' }]);
      expect((await json<LinkView[]>(page, 'chain')).map((l) => `${l.requester}/${l.mechanism}`)).toEqual(['guest/hlt-all-cpus', 'host/acpi-power-button', 'hypervisor/acpi-power-button']); // the halt (no ACPI), the press and the PIIX4's record of it; nothing answers
      expect(await page.evaluate<string>(`document.getElementById('status').dataset.insns`)).toBe(before);
      expect(page.errors).toEqual([]);
    });

    it.each([
      // firmware/guests/hibernate.asm: Expected on QEMU: SUSPEND_DISK, SHUTDOWN {"guest": true, "reason": "guest-shutdown"}
      ['hibernate', [{ event: 'RESUME' }, { event: 'SUSPEND_DISK' }, { event: 'SHUTDOWN', data: { guest: true, reason: 'guest-shutdown' } }], 'pm1a-cnt'],
      // firmware/guests/reboot-cf9.asm: Expected on QEMU with -no-reboot: SHUTDOWN {"guest": true, "reason": "guest-reset"}
      ['reboot-cf9', [{ event: 'RESUME' }, { event: 'SHUTDOWN', data: { guest: true, reason: 'guest-reset' } }], 'reset-cf9'],
    ])('%s guest picked from the menu: QEMU\'s events', async (name, expected, mechanism) => {
      const page = await newPage();
      await page.navigate(`${server.url}?guest=halt`);
      await settled(page, 'halted');
      await page.evaluate(`(() => { const s = document.getElementById('guest'); s.value = ${JSON.stringify(name)}; s.dispatchEvent(new Event('change')); })()`);
      await page.waitFor<boolean>(`document.getElementById('status').dataset.guest === ${JSON.stringify(name)}`, 10_000, () => state(page));
      await settled(page, 'exited');
      expect(eventsOf(await json<EventView[]>(page, 'events'))).toEqual(expected);
      expect((await json<LinkView[]>(page, 'chain')).every((l) => l.requester === 'guest' && l.mechanism === mechanism)).toBe(true);
      expect(page.errors).toEqual([]);
    });

    type DrawnMsg = { i: number; seq: number; name: string; t: number; from: string; to: string; label: string; path: boolean; links: number[] };
    const diagramOf = async (p: Page) => ({
      lanes: JSON.parse(await p.evaluate<string>(`document.getElementById('diagram').dataset.lanes`)) as string[],
      msgs: JSON.parse(await p.evaluate<string>(`document.getElementById('diagram').dataset.json`)) as DrawnMsg[],
    });
    /** The same model in Node: lanes and messages, as the page's data attributes carry them. */
    const nodeDiagram = (s: WebSession | XenWebSession) => {
      const d = s.diagram();
      return { lanes: d.lanes.map((l) => l.title), msgs: d.messages.map((m) => ({ i: m.i, seq: m.record.seq, name: m.record.name, t: m.t, from: m.from, to: m.to, label: m.label, path: m.path, links: m.links })) };
    };
    /** With ACPIDM_WEB_SCREENSHOTS=DIR, keep a PNG of the page (web/README.md's pictures come from here). */
    const keepScreenshot = async (p: Page, name: string) => {
      const dirOut = process.env['ACPIDM_WEB_SCREENSHOTS'];
      if (!dirOut) return;
      const png = await p.screenshot({ width: 1280, height: 1250 });
      expect([...png.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
      writeFileSync(join(dirOut, `${name}.png`), png);
    };
    const detail = (p: Page) => p.evaluate<{ i: string; text: string; json: string }>(`(() => { const d = document.getElementById('detail'); return { i: d.dataset.i, text: d.textContent, json: d.dataset.json }; })()`);

    it('swimlane (issue 17): the poweroff run drawn in the page equals the Node diagram; step forward/back; a click shows the trace record and the guest\'s OUT', async () => {
      const page = await newPage();
      await page.navigate(`${server.url}?guest=poweroff`);
      await settled(page, 'exited');
      // issue 15: an exited run is not reported "exited | run state running"
      expect(await state(page)).not.toMatch(/exited \| run state running/);
      expect(await state(page)).toContain('exit status 0');
      const drawn = await diagramOf(page);
      const node = new WebSession({ name: 'poweroff', kernel: new Uint8Array(readFileSync(join(root, 'firmware/guests/poweroff.bin'))) });
      while (node.step(50_000) === 'running');
      expect(drawn).toEqual(nodeDiagram(node));
      expect(drawn.lanes).toEqual(['firmware (SeaBIOS part)', 'guest CPU', 'PIIX4 / ACPI PM', 'run state (main loop)', 'QMP clients']);
      // The lanes' messages are the trace's records in the trace's order (the Node trace of the same run).
      const seqs = drawn.msgs.map((m) => m.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      const traced = node.sys.machine.trace.history.filter((r) => r.name === 'acpi_pm1_cnt_write' || r.name === 'machine_event').map((r) => r.seq);
      expect(drawn.msgs.filter((m) => m.name === 'acpi_pm1_cnt_write' || m.name === 'machine_event').map((m) => m.seq)).toEqual(traced);
      // When the run stops the page points at the deciding message: the guest's S5 write, cause link #1.
      const s5 = drawn.msgs.find((m) => m.links.includes(1))!;
      expect(s5).toMatchObject({ name: 'acpi_pm1_cnt_write', from: 'guest', to: 'pm', path: true });
      expect((await detail(page)).i).toBe(String(s5.i));
      // Step: back goes to the message drawn before it, forward returns.
      await page.evaluate(`document.getElementById('step-back').click()`);
      expect((await detail(page)).i).toBe(String(s5.i - 1));
      await page.evaluate(`document.getElementById('step-forward').click()`);
      await page.evaluate(`document.getElementById('step-forward').click()`);
      expect((await detail(page)).i).toBe(String(s5.i + 1));
      // Click through every message: each shows its own record.
      for (const m of drawn.msgs) {
        await page.evaluate(`document.querySelector('#diagram g#m${m.i} rect.hit').dispatchEvent(new MouseEvent('click', { bubbles: true }))`);
        const d = await detail(page);
        expect(d.i).toBe(String(m.i));
        expect(JSON.parse(d.json)).toMatchObject({ seq: m.seq, name: m.name });
      }
      await page.evaluate(`document.querySelector('#diagram g#m${s5.i}').dispatchEvent(new MouseEvent('click', { bubbles: true }))`);
      const d = await detail(page);
      // The instruction the cause link names (verdict: "at 0008:xxxxxxxx"), with its bytes: an OUT to PM1a_CNT.
      const at = /at (0008:[0-9a-f]{8})/.exec(node.snapshot().verdict)![1]!;
      expect(d.text).toContain(`guest instruction: CS:EIP ${at}`);
      expect(d.text).toMatch(/bytes (66 )?ef \(out dx, (ax|eax)\)/);
      expect(d.text).toContain('cause link #1: guest via pm1a-cnt');
      await keepScreenshot(page, 'qemu-poweroff');
      expect(page.errors).toEqual([]);
    });

    it('swimlane in Xen mode: pwrbtn waits; the Power button is `xl trigger guest power`; guest → ioreq ring → qemu-dm → hypervisor → xenstored → xl, as in Node', async () => {
      const page = await newPage();
      await page.navigate(`${server.url}?mode=xen&guest=pwrbtn`);
      await settled(page, 'waiting');
      expect(await page.evaluate<boolean>(`document.getElementById('xl-shutdown').disabled`)).toBe(false);
      await page.evaluate(`document.getElementById('power').click()`);
      await settled(page, 'exited');
      const drawn = await diagramOf(page);
      expect(drawn.lanes).toEqual(['guest CPU (HVM domain)', 'ioreq ring', 'qemu-dm (dom0)', 'hypervisor', 'xenstored', 'libxl / xl', 'xend']);
      const path = drawn.msgs.filter((m) => m.path).map((m) => `${m.from}>${m.to}`);
      // xl trigger power (#1) → the guest's S5 as an ioreq (#2) → qemu-dm's SCHEDOP_remote_shutdown (#3) → VIRQ → @releaseDomain → xl
      expect(path.slice(0, 7)).toEqual(['xl>xen', 'guest>ring', 'ring>qemu-dm', 'qemu-dm>xen', 'xen>xenstored', 'xenstored>xl', 'xl>xl']);
      const node = new XenWebSession({ name: 'pwrbtn', kernel: new Uint8Array(readFileSync(join(root, 'firmware/guests/pwrbtn.bin'))), maxInsns: 50_000_000 });
      while (node.step(50_000) === 'running');
      node.pressPowerButton();
      while (node.step(50_000) === 'running');
      expect(drawn).toEqual(nodeDiagram(node));
      expect(await page.evaluate<string>(`document.getElementById('chain').dataset.verdict`)).toBe(node.snapshot().verdict);
      // The guest's S5 ioreq: clicking it shows the OUT that made it (the CPU guest's CS:EIP and bytes).
      const s5 = drawn.msgs.find((m) => m.name === 'xen_ioreq_send' && m.path)!;
      await page.evaluate(`document.querySelector('#diagram g#m${s5.i}').dispatchEvent(new MouseEvent('click', { bubbles: true }))`);
      const d = await detail(page);
      expect(d.text).toMatch(/guest instruction: CS:EIP [0-9a-f]{4}:[0-9a-f]{8}, bytes (66 )?ef \(out dx, (ax|eax)\)/);
      expect(d.text).toContain('cause link #2: guest via pm1a-cnt');
      await keepScreenshot(page, 'xen-pwrbtn');
      expect(page.errors).toEqual([]);
    });

    it('swimlane in Xen mode: the poweroff guest down to domain_destroy and DOMAIN_DEATH, the path highlighted end to end', async () => {
      const page = await newPage();
      await page.navigate(`${server.url}?mode=xen&guest=poweroff`);
      await settled(page, 'exited');
      const drawn = await diagramOf(page);
      // xen.md §8 / seed 003: guest ioreq → qemu-dm → SCHEDOP_remote_shutdown → VIRQ_DOM_EXC → @releaseDomain → libxl → xl destroy
      expect(drawn.msgs.filter((m) => m.path).map((m) => m.name)).toEqual([
        'xen_ioreq_send', 'cpu_handle_ioreq', 'xen_hypercall', 'xen_send_global_virq', 'xenstored_watch_event', 'libxl_event', 'xen_hypercall',
        'xen_domain_destroy', 'libxl_event',
      ]);
      expect(drawn.msgs.at(-1)!.label).toBe('DOMAIN_DEATH domid 1');
      await keepScreenshot(page, 'xen-poweroff');
      expect(page.errors).toEqual([]);
    });

    it('an unknown ?guest= or ?mode= is an error on the page, naming what exists (issue 15)', async () => {
      const page = await newPage();
      await page.navigate(`${server.url}?guest=nosuchguest`);
      await settled(page, 'error');
      expect(await state(page)).toMatch(/unknown guest 'nosuchguest'.*poweroff, pwrbtn/);
      await page.navigate(`${server.url}?mode=kvm`);
      await settled(page, 'error');
      expect(await state(page)).toContain("unknown mode 'kvm'");
      expect(page.errors).toEqual([]);
    });

    it('every isomorphic src/ module (all but src/cli and *-node.ts) loads in the browser', async () => {
      const page = await newPage();
      await page.navigate(`${server.url}?guest=halt`);
      const loaded = await page.evaluate<{ names: string[]; exports: number }>(
        `import('./src-all.js').then((m) => ({ names: Object.keys(m.modules), exports: Object.values(m.modules).reduce((n, ns) => n + Object.keys(ns).length, 0) }))`);
      expect(sources.length).toBeGreaterThan(100);
      expect(loaded.names).toEqual(sources);
      expect(loaded.exports).toBeGreaterThan(sources.length);
      expect(page.errors).toEqual([]);
    });

    it('Xen mode runs in the browser too: xl create → PM1a_CNT ioreq → qemu-dm → SCHEDOP_remote_shutdown → xl destroys, as in Node', async () => {
      const page = await newPage();
      await page.navigate(`${server.url}?guest=halt`);
      const pick = `(r, x) => JSON.parse(JSON.stringify({ cause: r.cause, events: r.libxlEvents, chain: r.chain, timeline: x.formatTimeline(r.timeline) }))`;
      type XenView = { cause: string; events: { type: string; domid: number; reason?: number }[]; chain: LinkView[]; timeline: string[] };
      const inBrowser = await page.evaluate<XenView>(
        `import('./src-all.js').then((m) => { const x = m.modules['src/xen-hvm/run-xen-domain.ts']; return (${pick})(x.runXenDomain(), x); })`);
      const x = await import('../../src/xen-hvm/run-xen-domain.js');
      const r = x.runXenDomain();
      const nodeView = JSON.parse(JSON.stringify({ cause: r.cause, events: r.libxlEvents, chain: r.chain, timeline: x.formatTimeline(r.timeline) })) as XenView;
      // xen.md: the guest's S5 write reaches qemu-dm as an ioreq; xl sees DOMAIN_SHUTDOWN(poweroff = 0), then DOMAIN_DEATH
      expect(inBrowser.events.map((e) => `${e.type}${e.reason !== undefined ? `(${e.reason})` : ''}`)).toEqual(['DOMAIN_SHUTDOWN(0)', 'DOMAIN_DEATH']);
      expect(inBrowser.chain.map((l) => `${l.requester}/${l.mechanism}`).slice(0, 2)).toEqual(['guest/pm1a-cnt', 'hypervisor/schedop-remote-shutdown']);
      expect(inBrowser).toEqual(nodeView);
      expect(page.errors).toEqual([]);
    });
  });
}

// acpidm as a management stack starts its emulator (issue 18), as real processes: libvirt's capability probe
// (-machine none, -daemonize, -pidfile: QEMU os_daemonize — the parent exits 0 once the monitor listens), and a
// domain whose monitor and guest-agent sockets are listening descriptors made and passed by the parent
// (-chardev socket,fd=N), the agent answered by acpidm's modelled agent with qemu-ga's wire protocol.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { connectQmp } from '../../src/qmp/client-node.js';
import { tempDir } from '../tmp-dir.js';

const BIN = join(import.meta.dirname, '../../bin/acpidm-qemu.js');
const PWRBTN = join(import.meta.dirname, '../../firmware/guests/pwrbtn.bin');
const dir = tempDir('acpidm-managed-');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
async function until(pred: () => boolean, what: string): Promise<void> {
  for (let i = 0; !pred(); i++) {
    if (i > 300) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Listening unix sockets made here and passed to the emulator as fds 3, 4, ... (what libvirt does); returns its pid. */
function launchWithListeners(paths: string[], args: string[]): number {
  const launcher = `const net=require('net'),{spawn}=require('child_process');const ps=JSON.parse(process.argv[1]);const ss=ps.map(()=>net.createServer());
let n=0;ss.forEach((s,i)=>s.listen(ps[i],()=>{if(++n<ss.length)return;const c=spawn(process.execPath,process.argv.slice(2),{stdio:['ignore','ignore','ignore',...ss.map(x=>x._handle.fd)],detached:true});
process.stdout.write(String(c.pid));process.exit(0)}))`; // exit without close(): the socket files stay, the child holds them
  return Number(execFileSync(process.execPath, ['-e', launcher, JSON.stringify(paths), BIN, ...args], { encoding: 'utf8' }));
}

describe('acpidm run as libvirt starts it', () => {
  it("libvirt's probe: -machine none -daemonize -pidfile: exit 0 once QMP listens, the pid file names the daemon, quit ends it", async () => {
    const qmp = join(dir, 'probe.qmp');
    const pidfile = join(dir, 'probe.pid');
    const r = await promisify(execFile)(process.execPath, [BIN, '-S', '-no-user-config', '-nodefaults', '-nographic', '-machine', 'none,accel=kvm:tcg',
      '-qmp', `unix:${qmp},server=on,wait=off`, '-pidfile', pidfile, '-daemonize']);
    expect(r.stdout + r.stderr).toBe('');
    const pid = Number(readFileSync(pidfile, 'utf8').trim());
    expect(alive(pid)).toBe(true);
    const c = await connectQmp(qmp);
    expect(c.greeting.QMP.version.qemu).toEqual({ major: 7, minor: 2, micro: 0 });
    expect(await c.execute('query-status')).toEqual({ running: false, status: 'prelaunch' });
    expect(await c.execute('query-cpus-fast')).toEqual([]);
    await c.execute('quit');
    await until(() => !alive(pid), 'the daemon to exit');
    expect(existsSync(pidfile)).toBe(false);
  }, 30_000);

  it('-daemonize: an error in the daemon reaches the parent, which exits non-zero', async () => {
    const err = await promisify(execFile)(process.execPath, [BIN, '-machine', 'none', '-qmp', `unix:${join(dir, 'no/such/dir/x.qmp')},server=on,wait=off`, '-daemonize'])
      .then(() => null, (e: { code: number; stderr: string }) => e);
    expect(err?.code).toBe(2);
    expect(err?.stderr).toMatch(/cannot listen on .*no\/such\/dir\/x\.qmp: (ENOENT|EACCES)/);
  }, 30_000);

  it('monitor and guest agent on inherited descriptors; guest-shutdown is the modelled agent, recorded as host code', async () => {
    const mon = join(dir, 'dom.monitor');
    const ga = join(dir, 'dom.agent');
    const con = join(dir, 'dom.debugcon');
    const pid = launchWithListeners([mon, ga], ['-name', 'guest=dom', '-machine', 'pc-i440fx-7.2,usb=off', '-m', '32', '-kernel', PWRBTN,
      '-nodefaults', '-no-shutdown', '-debugcon', `file:${con}`,
      '-chardev', 'socket,id=charmonitor,fd=3,server=on,wait=off', '-mon', 'chardev=charmonitor,id=monitor,mode=control',
      '-chardev', 'socket,id=charchannel0,fd=4,server=on,wait=off',
      '-device', 'virtserialport,bus=virtio-serial0.0,nr=1,chardev=charchannel0,id=channel0,name=org.qemu.guest_agent.0']);
    try {
      const c = await connectQmp(mon);
      const events: string[] = [];
      c.onEvent((e) => events.push(`${e.event}${e.data ? ` ${JSON.stringify(e.data)}` : ''}`));
      expect(await c.execute('query-chardev')).toEqual(expect.arrayContaining([expect.objectContaining({ label: 'charchannel0', filename: 'fd:4,server=on' })]));
      await until(() => existsSync(con) && readFileSync(con, 'latin1').includes('waiting for the power button'), 'the guest to boot');

      // qemu-ga's protocol: 0xFF resets the parser; guest-sync-delimited answers after a 0xFF of its own
      const sock = createConnection(ga);
      const got: number[] = [];
      sock.on('data', (b: Buffer) => got.push(...b));
      const reply = async (n: number) => { await until(() => got.filter((x) => x === 0x0a).length >= n, `agent reply ${n}`); };
      sock.write(new Uint8Array([0xff]));
      sock.write('{"execute":"guest-sync-delimited","arguments":{"id":4242}}\n');
      await reply(1);
      expect(got[0]).toBe(0xff);
      expect(JSON.parse(Buffer.from(got.slice(1)).toString())).toEqual({ return: 4242 });
      got.length = 0;
      sock.write('{"execute":"guest-info"}\n');
      await reply(1);
      const info = JSON.parse(Buffer.from(got).toString()) as { return: { supported_commands: { name: string; 'success-response': boolean }[] } };
      expect(info.return.supported_commands).toContainEqual({ name: 'guest-shutdown', enabled: true, 'success-response': false });
      got.length = 0;
      sock.write('{"execute":"guest-shutdown","arguments":{"mode":"powerdown"}}\n');
      await until(() => events.some((e) => e.startsWith('SHUTDOWN')), 'SHUTDOWN');
      expect(events).toContain('SHUTDOWN {"guest":true,"reason":"guest-shutdown"}');
      expect(got).toEqual([]); // no reply to guest-shutdown (success-response: false)
      const cause = await c.execute<{ last: { chain: { requester: string; mechanism: string; what: string }[] } }>('x-acpidm-query-cause');
      expect(cause.last.chain[0]).toMatchObject({ requester: 'host', mechanism: 'agent' });
      expect(cause.last.chain[0]!.what).toMatch(/guest agent guest-shutdown on channel org\.qemu\.guest_agent\.0 \(modelled agent: host code\)$/);
      expect(cause.last.chain.some((l) => l.requester === 'guest')).toBe(false);
      sock.destroy();
      await c.execute('quit').catch(() => {});
      await until(() => !alive(pid), 'the VM to exit');
    } finally {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 60_000);
});

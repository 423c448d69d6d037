// The command line libvirt 9.0 passes its emulator (observed in its domain log, issue 18): parsed for real where it
// means something, accepted with a note where it does not, anything else still a clear error.
import { describe, expect, it } from 'vitest';
import { parseRunArgs } from '../../src/cli/qemu-args.js';

// What libvirt 9.0 ran for a domain with the guest-agent channel (fds as libvirt passed them).
const LIBVIRT_START = [
  '-name', 'guest=pwra,debug-threads=on', '-S',
  '-object', 'secret,id=masterKey0,format=raw,file=/var/lib/libvirt/qemu/domain-2-pwra/master-key.aes',
  '-machine', 'pc-i440fx-7.2,usb=off,dump-guest-core=off,memory-backend=pc.ram', '-accel', 'tcg', '-m', '32',
  '-object', '{"qom-type":"memory-backend-ram","id":"pc.ram","size":33554432}', '-overcommit', 'mem-lock=off',
  '-smp', '1,sockets=1,cores=1,threads=1', '-uuid', '66d11531-74ff-43c2-a4be-564b1a5a7f7a', '-display', 'none',
  '-no-user-config', '-nodefaults', '-chardev', 'socket,id=charmonitor,fd=27,server=on,wait=off',
  '-mon', 'chardev=charmonitor,id=monitor,mode=control', '-rtc', 'base=utc', '-no-shutdown', '-boot', 'strict=on',
  '-kernel', 'firmware/guests/pwrbtn.bin', '-device', 'virtio-serial-pci,id=virtio-serial0,bus=pci.0,addr=0x2', '-usb',
  '-chardev', 'null,id=charserial0', '-device', '{"driver":"isa-serial","chardev":"charserial0","id":"serial0","index":0}',
  '-chardev', 'socket,id=charchannel0,fd=26,server=on,wait=off',
  '-device', 'virtserialport,bus=virtio-serial0.0,nr=1,chardev=charchannel0,id=channel0,name=org.qemu.guest_agent.0',
  '-audiodev', '{"id":"audio1","driver":"none"}', '-sandbox', 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny',
  '-msg', 'timestamp=on',
];

describe("libvirt's command line", () => {
  it('a domain start: RAM from the memory backend, monitor and agent on inherited fds, COM1 on null, the rest noted', () => {
    const c = parseRunArgs(LIBVIRT_START);
    expect(c.name).toBe('pwra');
    expect(c.memoryMiB).toBe(32);
    expect(c.startPaused).toBe(true);
    expect(c.noShutdown).toBe(true);
    expect(c.managed.uuid).toBe('66d11531-74ff-43c2-a4be-564b1a5a7f7a');
    expect(c.managed.qmpSockets).toEqual([{ kind: 'fd', fd: 27, wait: false }]);
    expect(c.managed.agentSocket).toEqual({ kind: 'fd', fd: 26, wait: false });
    expect(c.serials).toEqual([{ kind: 'null' }]);
    expect(c.managed.peripherals).toEqual([{ id: 'virtio-serial0', driver: 'virtio-serial-pci' }, { id: 'serial0', driver: 'isa-serial' }, { id: 'channel0', driver: 'virtserialport' }]);
    const noted = c.managed.notes.map((n) => n.split(/[ :,]/)[0]);
    for (const o of ['-object', '-machine', '-overcommit', '-no-user-config', '-rtc', '-boot', '-device', '-usb', '-audiodev', '-sandbox', '-msg']) expect(noted).toContain(o);
  });

  it('-rtc base=DATE sets the RTC start (QEMU configure_rtc); utc and localtime keep the fixed epoch, noted', () => {
    expect(parseRunArgs(['-rtc', 'base=2006-06-17T16:01:21']).managed.rtcBaseMs).toBe(Date.UTC(2006, 5, 17, 16, 1, 21));
    expect(parseRunArgs(['-rtc', 'base=2006-06-17']).managed.rtcBaseMs).toBe(Date.UTC(2006, 5, 17));
    const utc = parseRunArgs(['-rtc', 'base=utc']).managed;
    expect(utc.rtcBaseMs).toBeNull();
    expect(utc.notes.join('\n')).toMatch(/fixed epoch/);
  });

  it('the capability probe: -machine none,accel=kvm:tcg with -qmp, -pidfile and -daemonize', () => {
    const c = parseRunArgs(['-S', '-no-user-config', '-nodefaults', '-nographic', '-machine', 'none,accel=kvm:tcg',
      '-qmp', 'unix:/var/lib/libvirt/qemu/qmp-X/qmp.monitor,server=on,wait=off', '-pidfile', '/var/lib/libvirt/qemu/qmp-X/qmp.pid', '-daemonize']);
    expect(c.managed.noneMachine).toBe(true);
    expect(c.managed.daemonize).toBe(true);
    expect(c.managed.pidfile).toBe('/var/lib/libvirt/qemu/qmp-X/qmp.pid');
    expect(c.qmp).toEqual(['unix:/var/lib/libvirt/qemu/qmp-X/qmp.monitor,server=on,wait=off']);
  });

  it.each([
    [['-machine', 'none,accel=kvm'], /only tcg/],
    [['-machine', 'pc,usb=on'], /no USB controller/],
    [['-m', '64', '-machine', 'pc,memory-backend=r', '-object', 'memory-backend-ram,id=r,size=33554432'], /does not match -m 64M/],
    [['-machine', 'pc,memory-backend=r'], /no -object memory-backend-ram with id=r/],
    [['-object', 'memory-backend-file,id=f,size=1,mem-path=/dev/shm'], /memory-backend-ram and secret/],
    [['-mon', 'chardev=m,mode=readline', '-chardev', 'socket,id=m,path=/tmp/m,server=on'], /mode=control/],
    [['-mon', 'chardev=m,mode=control'], /no -chardev with id=m/],
    [['-mon', 'chardev=m,mode=control', '-chardev', 'null,id=m'], /must be a socket/],
    [['-chardev', 'socket,id=s,path=/tmp/s', '-mon', 'chardev=s,mode=control'], /only listens \(server=on\)/],
    [['-chardev', 'socket,id=s,fd=1,server=on', '-mon', 'chardev=s,mode=control'], /fd=1 is not an inherited descriptor/],
    [['-chardev', 'socket,id=s,fd=5,path=/tmp/x,server=on', '-mon', 'chardev=s,mode=control'], /exactly one of path=P or fd=N/],
    [['-device', 'virtserialport,name=com.example.0,chardev=c'], /only the guest agent's port/],
    [['-device', '{"driver":"virtio-blk-pci","id":"d0"}'], /supported devices are/],
    [['-device', '{"driver":"isa-serial"'], /not valid JSON/],
    [['-audiodev', 'pa,id=a'], /only driver 'none'/],
    [['-uuid', 'not-a-uuid'], /not a UUID/],
    [['-rtc', 'base=2026-02-30'], /not a date/],
    [['-rtc', 'base=yesterday'], /use utc, localtime or a date/],
  ])('%j is refused: %s', (argv, msg) => {
    expect(() => parseRunArgs(argv as string[])).toThrow(msg as RegExp);
  });
});

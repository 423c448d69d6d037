// The QMP introspection libvirt's probe and start make (issue 18), answered for what acpidm is. Error classes and
// texts for "not here" are real QEMU 7.2's (observed with -machine none: DeviceNotFound for unknown devices and
// classes, GenericError "KVM not enabled" for SEV, "CPU model 'X' not found").
import { describe, expect, it } from 'vitest';
import { connectInProcess } from '../../src/qmp/connection.js';
import { VmDriver } from '../../src/qmp/driver.js';
import { QmpMonitor } from '../../src/qmp/monitor.js';
import { noneMachineVm } from '../../src/qmp/none-vm.js';
import type { QmpVm } from '../../src/qmp/vm.js';
import { bareVm } from './bare-vm.js';

function client(vm: QmpVm) {
  return connectInProcess(new QmpMonitor(vm, new VmDriver(vm)));
}

type Info = { name: string; 'meta-type': string; 'arg-type'?: string; members?: { name: string; type: string; default?: null }[] };

describe('QMP introspection', () => {
  it('query-qmp-schema is generated from the command table: every command, the events, their argument types', async () => {
    const c = client(bareVm());
    const schema = await c.execute<Info[]>('query-qmp-schema');
    const commands = (await c.execute<{ name: string }[]>('query-commands')).map((x) => x.name);
    const inSchema = schema.filter((i) => i['meta-type'] === 'command').map((i) => i.name);
    expect(inSchema.sort()).toEqual([...commands].sort());
    expect(inSchema).toContain('query-qmp-schema');
    const byName = new Map(schema.map((i) => [i.name, i]));
    // every reference resolves
    for (const i of schema) for (const t of [i['arg-type'], ...(i.members ?? []).map((m) => m.type)]) if (t) expect(byName.has(t), `${i.name} -> ${t}`).toBe(true);
    const events = schema.filter((i) => i['meta-type'] === 'event').map((i) => i.name);
    expect(events).toEqual(['SHUTDOWN', 'RESET', 'POWERDOWN', 'STOP', 'RESUME', 'SUSPEND', 'SUSPEND_DISK', 'WAKEUP']);
    expect(byName.get(byName.get('SHUTDOWN')!['arg-type']!)!.members).toEqual([{ name: 'guest', type: 'bool' }, { name: 'reason', type: 'ShutdownCause' }]);
    // set-action's arguments are optional enums, as in QEMU's schema
    const sa = byName.get(byName.get('set-action')!['arg-type']!)!;
    expect(sa.members!.map((m) => [m.name, m.default])).toEqual([['reboot', null], ['shutdown', null]]);
    // nothing acpidm does not answer: no blockdev-add, no device_add, no VSERPORT_CHANGE
    for (const absent of ['blockdev-add', 'device_add', 'VSERPORT_CHANGE', 'MIGRATION']) expect(byName.has(absent)).toBe(false);
  });

  it('target, machines (pc-i440fx-7.2 alias pc, and none), no KVM, the CPU models acpidm implements', async () => {
    const c = client(bareVm());
    expect(await c.execute('query-target')).toEqual({ arch: 'x86_64' });
    expect(await c.execute('query-kvm')).toEqual({ enabled: false, present: false });
    const machines = await c.execute<{ name: string; alias?: string }[]>('query-machines');
    expect(machines.map((m) => [m.name, m.alias])).toEqual([['pc-i440fx-7.2', 'pc'], ['none', undefined]]);
    const cpus = await c.execute<{ name: string; typename: string }[]>('query-cpu-definitions');
    expect(cpus.map((x) => x.name).sort()).toEqual(['486', 'acpidm']);
    // static expansion names `base`, as QEMU's x86 does; the features are the model's CPUID.1:EDX (+ APIC on pc)
    const p6 = await c.execute<{ model: { name: string; props: Record<string, boolean> } }>('query-cpu-model-expansion', { type: 'static', model: { name: 'acpidm' } });
    expect(p6.model.name).toBe('base');
    expect(p6.model.props).toMatchObject({ fpu: true, cmov: true, cx8: true, tsc: true, apic: true });
    const i486 = await c.execute<{ model: { name: string; props: Record<string, boolean> } }>('query-cpu-model-expansion', { type: 'full', model: { name: '486' } });
    expect(i486.model).toMatchObject({ name: '486', props: { fpu: true, cmov: false, tsc: false, cx8: false } });
    await expect(c.execute('query-cpu-model-expansion', { type: 'static', model: { name: 'host' } })).rejects.toMatchObject({ errorClass: 'GenericError', desc: "CPU model 'host' not found" });
    await expect(c.execute('query-cpu-model-expansion', { type: 'static', model: { name: '486', props: { cmov: true } } })).rejects.toMatchObject({ errorClass: 'GenericError' });
  });

  it('types and properties that exist; DeviceNotFound for those that do not', async () => {
    const c = client(bareVm());
    const types = (await c.execute<{ name: string }[]>('qom-list-types')).map((t) => t.name);
    expect(types).toEqual(expect.arrayContaining(['tcg-accel', 'pc-i440fx-7.2-machine', 'none-machine', 'acpidm-x86_64-cpu', 'PIIX4_PM', 'isa-serial', 'memory-backend-ram']));
    for (const absent of ['kvm-accel', 'virtio-blk-pci', 'piix3-usb-uhci', 'memory-backend-file']) expect(types).not.toContain(absent);
    expect(await c.execute('device-list-properties', { typename: 'PIIX4_PM' })).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'disable_s3' }), expect.objectContaining({ name: 'disable_s4' })]));
    await expect(c.execute('device-list-properties', { typename: 'virtio-blk-pci' })).rejects.toMatchObject({ errorClass: 'DeviceNotFound', desc: "Device 'virtio-blk-pci' not found" });
    await expect(c.execute('qom-list-properties', { typename: 'nvdimm' })).rejects.toMatchObject({ errorClass: 'DeviceNotFound', desc: "Class 'nvdimm' not found" });
    // libvirt 9.0 crashes on DeviceNotFound here (observed): an empty list, while qom-list-types still omits it
    expect(await c.execute('qom-list-properties', { typename: 'memory-backend-file' })).toEqual([]);
    await expect(c.execute('query-sev-capabilities')).rejects.toMatchObject({ errorClass: 'GenericError', desc: 'KVM not enabled' });
    expect(await c.execute('query-tpm-models')).toEqual([]);
    expect(await c.execute('query-block')).toEqual([]);
  });

  it('migration: only the events capability, which libvirt switches on; anything else is refused', async () => {
    const c = client(bareVm());
    expect(await c.execute('query-migrate-capabilities')).toEqual([{ capability: 'events', state: false }]);
    await c.execute('migrate-set-capabilities', { capabilities: [{ capability: 'events', state: true }] });
    expect(await c.execute('query-migrate-capabilities')).toEqual([{ capability: 'events', state: true }]);
    await expect(c.execute('migrate-set-capabilities', { capabilities: [{ capability: 'postcopy-ram', state: true }] })).rejects.toMatchObject({ errorClass: 'GenericError' });
  });

  it('-machine none has no CPU: query-cpus-fast is empty, the CPU path does not exist', async () => {
    const c = client(noneMachineVm('probe'));
    expect(await c.execute('query-cpus-fast')).toEqual([]);
    await expect(c.execute('qom-list', { path: '/machine/unattached/device[0]' })).rejects.toMatchObject({ errorClass: 'DeviceNotFound' });
    expect(await c.execute('qom-list', { path: '/machine/peripheral' })).toEqual([{ name: 'type', type: 'string' }]);
    expect(await c.execute('query-status')).toEqual({ running: false, status: 'prelaunch' });
  });
});

/**
 * The QMP queries a management stack makes before and while it starts a VM (libvirt's capability probe and
 * qemuProcessLaunch), answered for what acpidm is: one x86 target, the `pc` machine (and `none`), the CPU models
 * of src/cpu/cpu-model.ts, the devices that exist, no KVM, no migration, no block devices, no TPM/SEV/SGX.
 * Where QEMU answers "not here" with an error, the error class and text are QEMU 7.2's (observed).
 */
import { CPU_MODELS, FEAT_APIC, FEAT_CMOV, FEAT_CX8, FEAT_FPU, FEAT_MSR, FEAT_PGE, FEAT_PSE, FEAT_TSC } from '../cpu/cpu-model.js';
import type { ArgSpec } from './args.js';
import { genericError, QmpError } from './errors.js';
import type { JsonValue } from './json-stream.js';
import type { QmpVm, VmInventory } from './vm.js';

type Cmd = { name: string; args: readonly ArgSpec[]; run(ctx: { vm: QmpVm }, a: { readonly [k: string]: JsonValue }): JsonValue };

/** The machine type acpidm models and its alias (query-machines, -machine). */
export const PC_MACHINE = 'pc-i440fx-7.2';
const CPU_PATH = '/machine/unattached/device[0]';
const cpuType = (model: string) => `${model}-x86_64-cpu`;

/** CPUID.1:EDX feature bits acpidm can report, by QEMU's property name (target/i386/cpu.c feature_word_info). */
const CPU_FEATURES: readonly [string, number][] = [
  ['fpu', FEAT_FPU], ['pse', FEAT_PSE], ['tsc', FEAT_TSC], ['msr', FEAT_MSR], ['cx8', FEAT_CX8], ['apic', FEAT_APIC],
  ['pge', FEAT_PGE], ['cmov', FEAT_CMOV],
];

/** A model's features as QOM bool properties (the machine adds APIC: pc always has a local APIC). */
function cpuProps(model: string): Record<string, boolean> {
  const m = CPU_MODELS[model]!;
  const edx = m.edx | FEAT_APIC;
  return Object.fromEntries(CPU_FEATURES.map(([n, bit]) => [n, (edx & bit) !== 0]));
}

/** Device types a `-device` or the machine builds, with their properties (device-list-properties). */
const DEVICES: Record<string, { name: string; type: string; 'default-value'?: JsonValue }[]> = {
  // hw/acpi/piix4.c properties acpidm implements (-global PIIX4_PM.*)
  PIIX4_PM: [{ name: 'disable_s3', type: 'uint8', 'default-value': 0 }, { name: 'disable_s4', type: 'uint8', 'default-value': 0 }, { name: 's4_val', type: 'uint8', 'default-value': 2 }],
  'isa-serial': [{ name: 'index', type: 'uint32' }, { name: 'chardev', type: 'str' }],
  'isa-debugcon': [{ name: 'iobase', type: 'uint32', 'default-value': 0xe9 }, { name: 'chardev', type: 'str' }],
  'isa-debug-exit': [{ name: 'iobase', type: 'uint32', 'default-value': 0x501 }, { name: 'iosize', type: 'uint32', 'default-value': 2 }],
  'pc-testdev': [],
};

/** QOM types that exist in acpidm (qom-list-types): machines, CPU models, devices, the objects -object takes. */
function types(): { name: string; parent?: string }[] {
  return [
    { name: `${PC_MACHINE}-machine`, parent: 'generic-pc-machine' },
    { name: 'none-machine', parent: 'machine' },
    ...Object.keys(CPU_MODELS).map((m) => ({ name: cpuType(m), parent: 'x86_64-cpu' })),
    ...Object.keys(DEVICES).map((d) => ({ name: d, parent: d.startsWith('isa-') ? 'isa-device' : d === 'PIIX4_PM' ? 'pci-device' : 'device' })),
    // the one accelerator: acpidm interprets the guest (-accel tcg); libvirt reads TCG support from this type
    { name: 'tcg-accel', parent: 'accel' },
    { name: 'memory-backend-ram', parent: 'memory-backend' },
    { name: 'secret', parent: 'secret_common' },
  ];
}

/** qom-list-properties for the types -machine and -object take. */
const CLASS_PROPS: Record<string, { name: string; type: string }[]> = {
  'none-machine': [{ name: 'type', type: 'string' }, { name: 'memory-backend', type: 'link<memory-backend>' }],
  [`${PC_MACHINE}-machine`]: [
    { name: 'type', type: 'string' }, { name: 'memory-backend', type: 'link<memory-backend>' }, { name: 'smm', type: 'OnOffAuto' },
    { name: 'usb', type: 'bool' }, { name: 'dump-guest-core', type: 'bool' },
  ],
  'memory-backend-ram': [{ name: 'size', type: 'int' }],
  secret: [{ name: 'format', type: 'QCryptoSecretFormat' }, { name: 'file', type: 'string' }, { name: 'data', type: 'string' }],
};

/** Classes libvirt 9.0's probe assumes exist (see qom-list-properties). */
const LIBVIRT_ASSUMED_CLASSES: readonly string[] = ['memory-backend-file', 'memory-backend-memfd'];

/** Options parsed for real, with their QemuOpts parameters (query-command-line-options). Accepted-only ones are absent. */
const CLI_OPTIONS: Record<string, string[]> = {
  machine: ['type', 'accel', 'smm', 'usb', 'dump-guest-core', 'memory-backend'],
  name: ['guest', 'debug-threads'],
  chardev: ['backend', 'id', 'path', 'fd', 'server', 'wait'],
  mon: ['chardev', 'mode'],
  smp: ['cpus', 'sockets', 'dies', 'cores', 'threads', 'maxcpus'],
  icount: ['shift', 'sleep', 'align'],
  rtc: ['base', 'clock', 'driftfix'],
  boot: ['strict', 'order', 'once', 'menu', 'reboot-timeout', 'splash-time'],
  trace: ['enable', 'file'],
};

/** The `events` migration capability, per VM. */
const migrationEvents = new WeakMap<QmpVm, boolean>();

const inv = (vm: QmpVm): VmInventory =>
  vm.inventory ?? { machine: 'pc', cpuModel: 'acpidm', memoryBytes: 0, uuid: null, chardevs: [], peripherals: [] };

export const INTROSPECT_COMMANDS: readonly Cmd[] = [
  // qemu-system-x86_64's target: acpidm stands in for that binary (its CPU models are 32-bit ones)
  { name: 'query-target', args: [], run: () => ({ arch: 'x86_64' }) },
  {
    name: 'query-machines',
    args: [{ name: 'compat-props', type: 'bool', optional: true }],
    run: (): JsonValue[] => [
      {
        name: PC_MACHINE, alias: 'pc', 'is-default': true, 'cpu-max': 1, 'hotpluggable-cpus': false, 'numa-mem-supported': false,
        // no default-cpu-type: libvirt would then name it in <cpu>, and its CPU map knows QEMU's models, not
        // `acpidm`; without one libvirt passes no -cpu and acpidm runs its default model
        deprecated: false, 'default-ram-id': 'pc.ram', acpi: true,
      },
      { name: 'none', 'cpu-max': 1, 'hotpluggable-cpus': false, 'numa-mem-supported': false, deprecated: false, acpi: false },
    ],
  },
  { name: 'query-kvm', args: [], run: () => ({ enabled: false, present: false }) },
  {
    name: 'query-cpu-definitions',
    args: [],
    run: () => Object.keys(CPU_MODELS).map((m) => ({ name: m, typename: cpuType(m), 'unavailable-features': [], static: false, 'migration-safe': true, deprecated: false })),
  },
  {
    // target/i386/cpu.c qmp_query_cpu_model_expansion: static expands to `base` + props; full keeps the name
    name: 'query-cpu-model-expansion',
    args: [{ name: 'type', type: 'str', values: ['static', 'full'] }, { name: 'model', type: 'dict' }],
    run: (_ctx, a) => {
      const model = a['model'] as { [k: string]: JsonValue };
      const name = String(model['name']);
      if (!(name in CPU_MODELS)) throw genericError(`CPU model '${name}' not found`);
      const given = (model['props'] ?? {}) as { [k: string]: JsonValue };
      const props = cpuProps(name);
      for (const [k, v] of Object.entries(given)) {
        if (!(k in props)) throw genericError(`Property '${k}' not found`);
        if (v !== props[k]) throw genericError(`CPU model '${name}': feature '${k}' cannot be changed (acpidm reports exactly what it implements)`);
      }
      return { model: { name: a['type'] === 'static' ? 'base' : name, props } };
    },
  },
  { name: 'qom-list-types', args: [{ name: 'implements', type: 'str', optional: true }, { name: 'abstract', type: 'bool', optional: true }], run: () => types() },
  {
    name: 'device-list-properties',
    args: [{ name: 'typename', type: 'str' }],
    run: (_ctx, a) => {
      const t = a['typename'] as string;
      const props = DEVICES[t];
      // qdev-monitor.c / qom-qmp-cmds.c: an unknown type is DeviceNotFound
      if (!props) throw new QmpError('DeviceNotFound', `Device '${t}' not found`);
      return props;
    },
  },
  {
    name: 'qom-list-properties',
    args: [{ name: 'typename', type: 'str' }],
    run: (_ctx, a) => {
      const t = a['typename'] as string;
      const props = CLASS_PROPS[t] ?? (t in DEVICES ? DEVICES[t]!.map((p) => ({ name: p.name, type: p.type })) : undefined);
      // libvirt 9.0 dereferences a NULL property list (libvirtd segfaults, observed) when these two answer
      // DeviceNotFound, as real QEMU never does. They get an empty list instead; qom-list-types still does not
      // list them, which is what libvirt decides support by, so no memory-backend-file is ever passed to acpidm.
      if (!props && LIBVIRT_ASSUMED_CLASSES.includes(t)) return [];
      if (!props) throw new QmpError('DeviceNotFound', `Class '${t}' not found`);
      return props;
    },
  },
  {
    name: 'query-command-line-options',
    args: [{ name: 'option', type: 'str', optional: true }],
    run: (_ctx, a) => {
      const entries = Object.entries(CLI_OPTIONS).filter(([o]) => a['option'] === undefined || o === a['option']);
      if (a['option'] !== undefined && entries.length === 0) throw genericError(`invalid option name: ${String(a['option'])}`);
      return entries.map(([option, ps]) => ({ option, parameters: ps.map((name) => ({ name, type: 'string' })) }));
    },
  },
  // acpidm cannot migrate. The one capability is `events` (MIGRATION events), which libvirt 9.0 always switches
  // on at start: with no migration there is never such an event, so it is kept and reported, nothing more.
  { name: 'query-migrate-capabilities', args: [], run: (ctx) => [{ capability: 'events', state: migrationEvents.get(ctx.vm) ?? false }] },
  {
    name: 'migrate-set-capabilities',
    args: [{ name: 'capabilities', type: 'list' }],
    run: (ctx, a) => {
      for (const c of a['capabilities'] as JsonValue[]) {
        const cap = (c ?? {}) as { [k: string]: JsonValue };
        if (cap['capability'] !== 'events') throw genericError(`Parameter 'capability' does not accept value '${String(cap['capability'])}'`);
        if (typeof cap['state'] !== 'boolean') throw genericError("Invalid parameter type for 'state', expected: boolean");
        migrationEvents.set(ctx.vm, cap['state']);
      }
      return {};
    },
  },
  { name: 'query-tpm-models', args: [], run: () => [] },
  { name: 'query-tpm-types', args: [], run: () => [] },
  { name: 'query-tpm', args: [], run: () => [] },
  // QEMU 7.2 without KVM (observed): these report absence as GenericError
  { name: 'query-sev-capabilities', args: [], run: () => { throw genericError('KVM not enabled'); } },
  { name: 'query-sgx-capabilities', args: [], run: () => { throw genericError('SGX is not enabled in KVM'); } },
  {
    name: 'query-chardev',
    args: [],
    run: (ctx) => inv(ctx.vm).chardevs.map((c) => ({ label: c.label, filename: c.filename, 'frontend-open': c.open })),
  },
  // Not a CPU-hotplug machine (query-machines: hotpluggable-cpus false): QEMU's QERR_FEATURE_DISABLED
  { name: 'query-hotpluggable-cpus', args: [], run: () => { throw genericError("The feature 'query-hotpluggable-cpus' is not enabled"); } },
  {
    // One CPU on `pc`, none on `none`. thread-id: the host thread that runs the vCPU (acpidm: the main thread).
    name: 'query-cpus-fast',
    args: [],
    run: (ctx) => {
      const i = inv(ctx.vm);
      if (i.cpuModel === null) return [];
      return [{ 'cpu-index': 0, 'qom-path': CPU_PATH, 'thread-id': ctx.vm.hostThreadId ?? 0, props: { 'core-id': 0, 'thread-id': 0, 'socket-id': 0 }, target: 'x86_64' }];
    },
  },
  {
    name: 'qom-list',
    args: [{ name: 'path', type: 'str' }],
    run: (ctx, a) => {
      const i = inv(ctx.vm);
      const path = a['path'] as string;
      if (path === '/machine/peripheral') return [{ name: 'type', type: 'string' }, ...i.peripherals.map((p) => ({ name: p.id, type: `child<${p.driver}>` }))];
      if (path === CPU_PATH && i.cpuModel !== null) return [{ name: 'type', type: 'string' }, ...CPU_FEATURES.map(([n]) => ({ name: n, type: 'bool' })), { name: 'unavailable-features', type: 'strList' }];
      throw new QmpError('DeviceNotFound', `Device '${path}' not found`);
    },
  },
  {
    name: 'qom-get',
    args: [{ name: 'path', type: 'str' }, { name: 'property', type: 'str' }],
    run: (ctx, a) => {
      const i = inv(ctx.vm);
      const path = a['path'] as string;
      const prop = a['property'] as string;
      if (path !== CPU_PATH || i.cpuModel === null) throw new QmpError('DeviceNotFound', `Device '${path}' not found`);
      if (prop === 'type') return cpuType(i.cpuModel);
      if (prop === 'unavailable-features') return [];
      const props = cpuProps(i.cpuModel);
      if (!(prop in props)) throw genericError(`Property '${cpuType(i.cpuModel)}.${prop}' not found`);
      return props[prop]!;
    },
  },
  { name: 'query-uuid', args: [], run: (ctx) => ({ UUID: inv(ctx.vm).uuid ?? '00000000-0000-0000-0000-000000000000' }) },
  // QEMU qmp_query_memory_size_summary: the machine's RAM; plugged-memory is absent without memory devices.
  { name: 'query-memory-size-summary', args: [], run: (ctx) => ({ 'base-memory': inv(ctx.vm).memoryBytes }) },
  // No iothreads, no block layer: empty lists, as QEMU answers for a VM without them.
  { name: 'query-iothreads', args: [], run: () => [] },
  { name: 'query-named-block-nodes', args: [{ name: 'flat', type: 'bool', optional: true }], run: () => [] },
  { name: 'query-block', args: [], run: () => [] },
];

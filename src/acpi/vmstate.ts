/**
 * A vmstate-like descriptor: the list of named fields that make up a
 * device's state (QEMU VMStateDescription). It documents what *is* state and
 * drives a plain snapshot; devices declare one next to their state type.
 */
export interface VmStateDescriptor {
  readonly name: string;
  readonly version: number;
  /** Dotted paths into the state object. */
  readonly fields: readonly string[];
}

export type VmStateValue = number | boolean | string | number[];

function get(obj: unknown, path: string): unknown {
  let o: unknown = obj;
  for (const k of path.split('.')) o = (o as Record<string, unknown> | undefined)?.[k];
  return o;
}

/** Copy the described fields out of `state` (typed arrays become number arrays). */
export function vmstateSave(desc: VmStateDescriptor, state: object): { name: string; version: number; fields: Record<string, VmStateValue> } {
  const fields: Record<string, VmStateValue> = {};
  for (const f of desc.fields) {
    const v = get(state, f);
    if (v instanceof Uint8Array || Array.isArray(v)) fields[f] = Array.from(v as ArrayLike<number>);
    else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') fields[f] = v;
    else throw new Error(`vmstate ${desc.name}: field ${f} is missing or not plain data`);
  }
  return { name: desc.name, version: desc.version, fields };
}

/** Write a snapshot back into `state`; the name and version must match. */
export function vmstateLoad(desc: VmStateDescriptor, state: object, snap: { name: string; version: number; fields: Record<string, VmStateValue> }): void {
  if (snap.name !== desc.name || snap.version !== desc.version) {
    throw new Error(`vmstate: snapshot ${snap.name} v${snap.version} does not match ${desc.name} v${desc.version}`);
  }
  for (const f of desc.fields) {
    const v = snap.fields[f];
    if (v === undefined) throw new Error(`vmstate ${desc.name}: snapshot lacks ${f}`);
    const keys = f.split('.');
    const last = keys.pop()!;
    const target = keys.length ? get(state, keys.join('.')) : state;
    if (typeof target !== 'object' || target === null) throw new Error(`vmstate ${desc.name}: ${f} has no parent object`);
    const cur = (target as Record<string, unknown>)[last];
    if (cur instanceof Uint8Array) cur.set(v as number[]);
    else (target as Record<string, unknown>)[last] = v;
  }
}

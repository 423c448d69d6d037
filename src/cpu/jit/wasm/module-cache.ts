/**
 * The WebAssembly tier's compiled modules, kept for the process by their bytes: a machine that forms the same batch
 * of blocks as an earlier one (the same guest code, the same batch: a guest booted again, the next test, the next
 * Xen domain of the same kernel) instantiates the module compiled then instead of compiling it again. What it gets is
 * the engine's code for the module as it is now, the optimising tier included: V8 compiles a module with its
 * baseline compiler and then each hot function again in the background, and that second compile is most of what the
 * tier costs (a Linux boot: 281 of its 349 functions, ~0.64 s of CPU, under --trace-wasm-compilation-times).
 *
 * Same bytes, same module: a module is code only (no state), and whatever it links to comes from the imports of
 * each instance (the CPU's memory, the dispatcher's flags and table). V8 shares a module's code between identical bytes only
 * while the first module is alive; a second boot in a process that had dropped the first one's machine compiled
 * everything again (2.0-2.6 s of CPU against 1.4-1.8 s when it was kept).
 *
 * It also knows which block each function is (the tier's code key), so a machine whose start reaches its first try
 * with a block a kept module holds runs it compiled from then on (wasm-block.ts WasmTier.form and adopt), instead of
 * interpreting it until it warms up to a compile again.
 *
 * Bounded by the bytes kept (least recently used first out): a Linux boot to its poweroff compiles ~0.9 MB, and four
 * boots in one process left its RSS 9 MB above the same four without the cache (175 against 166 MB).
 */

/** WebAssembly bytes kept; the engine's code for them is a few times as much */
export const MODULE_CACHE_BYTES = 4 << 20;

interface Entry {
  readonly key: string;
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly module: WebAssembly.Module;
  /** the blocks compiled into it: the WebAssembly tier's code key of each, and its function's index */
  readonly blocks: [string, number][];
}

/** by hash (FNV-1a over the bytes) and length, in least-recently-used order (a Map keeps insertion order) */
const cache = new Map<string, Entry>();
/** the module holding each block kept, by the tier's code key (wasm-block.ts compile: bytes, place, CPU model) */
const blocks = new Map<string, { entry: Entry; index: number }>();
let kept = 0;
let blockHits = 0;
let compiles = 0;

function keyOf(bytes: Uint8Array<ArrayBuffer>): string {
  return `${(fnv1a(bytes) >>> 0).toString(16)}:${bytes.length}`;
}

/**
 * FNV-1a over `bytes`, alone in its function: nothing follows the loop. With the key's text made after the loop in
 * the same function, V8 ran each module's hash in the loop's on-stack-replaced code and left it at that text (no
 * type feedback there yet) on every call: 50 deoptimisations and 17 ms of a first Linux boot for ~0.5 MB hashed.
 */
function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function touch(e: Entry): void {
  cache.delete(e.key); cache.set(e.key, e); // most recently used
}

function addBlocks(e: Entry, keys: readonly string[]): void {
  keys.forEach((k, i) => {
    if (blocks.get(k)?.entry === e) return;
    e.blocks.push([k, i]);
    blocks.set(k, { entry: e, index: i });
  });
}

function drop(e: Entry): void {
  cache.delete(e.key);
  kept -= e.bytes.length;
  for (const [k] of e.blocks) if (blocks.get(k)?.entry === e) blocks.delete(k);
}

function lookup(key: string, bytes: Uint8Array<ArrayBuffer>, keys: readonly string[]): WebAssembly.Module | null {
  const e = cache.get(key);
  if (e === undefined || !same(e.bytes, bytes)) return null;
  touch(e);
  addBlocks(e, keys); // equal bodies may be other blocks (the same code at another physical address)
  return e.module;
}

function keep(key: string, bytes: Uint8Array<ArrayBuffer>, module: WebAssembly.Module, keys: readonly string[]): void {
  const old = cache.get(key);
  if (old !== undefined) drop(old); // a hash collision: the newer wins
  if (bytes.length > MODULE_CACHE_BYTES) return;
  const e: Entry = { key, bytes, module, blocks: [] };
  cache.set(key, e);
  kept += bytes.length;
  addBlocks(e, keys);
  for (const first of cache.values()) {
    if (kept <= MODULE_CACHE_BYTES) break;
    drop(first);
  }
}

/** The key of `bytes`, and the module kept for them (null: compile it, then `remember`). */
function find(bytes: Uint8Array<ArrayBuffer>, blocks: readonly string[]): { key: string; module: WebAssembly.Module | null } {
  const key = keyOf(bytes);
  return { key, module: lookup(key, bytes, blocks) };
}

function remember(key: string, bytes: Uint8Array<ArrayBuffer>, module: WebAssembly.Module, blocks: readonly string[]): WebAssembly.Module {
  compiles++;
  keep(key, bytes, module, blocks);
  return module;
}

/**
 * The module for `bytes`: the one compiled before for the same bytes, else compiled now (synchronously). `blocks`:
 * the code key of the block behind each of its functions, in order (for keptBlock).
 */
export function moduleFor(bytes: Uint8Array<ArrayBuffer>, blocks: readonly string[] = []): WebAssembly.Module {
  const f = find(bytes, blocks);
  return f.module ?? remember(f.key, bytes, new WebAssembly.Module(bytes), blocks);
}

/** The same, compiled in the background when not kept (a browser's main thread compiles only small modules). */
export async function moduleForAsync(bytes: Uint8Array<ArrayBuffer>, blocks: readonly string[] = []): Promise<WebAssembly.Module> {
  const f = find(bytes, blocks);
  return f.module ?? remember(f.key, bytes, await WebAssembly.compile(bytes), blocks);
}

/**
 * The kept module holding the block with code key `key`, and the function index of every block in it (so a tier
 * that instantiates it can enter them all); null if none is kept. Counts as a use of the module.
 */
export function keptBlock(key: string): { module: WebAssembly.Module; blocks: readonly (readonly [string, number])[] } | null {
  const b = blocks.get(key);
  if (b === undefined) return null;
  touch(b.entry);
  blockHits++;
  return { module: b.entry.module, blocks: b.entry.blocks };
}

/** What the cache holds and has done (for benchmarks and tests). */
export function moduleCacheStats(): { modules: number; bytes: number; compiles: number; blocks: number; blockHits: number } {
  return { modules: cache.size, bytes: kept, compiles, blocks: blocks.size, blockHits };
}

/** Forget every module (tests and benches that need a cold tier); the counts go on. */
export function clearModuleCache(): void {
  cache.clear();
  blocks.clear();
  kept = 0;
}

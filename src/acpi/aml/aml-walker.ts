/**
 * A namespace-level AML walker: it follows Scope/Device/Processor/PowerResource/ThermalZone nesting and
 * If/Else/While blocks, skips Method bodies and every other opcode by its extent (PkgLength where the opcode
 * has one, else its argument list from opcodes.ts), and hands each Name() definition to a visitor.
 *
 * Method invocations inside expressions need the method's argument count, which AML does not encode at the
 * call site; like ACPICA's disassembler we take it from Method and External definitions collected in a first
 * pass (`collectMethods`), plus the predefined \_OSI (one argument).
 */
import { AmlError } from './aml-error.js';
import { readNameString, resolvePath, startsName, formatNameString, type NameString } from './name-string.js';
import {
  AML_OPS, ARG6, DEVICE_OP, ELSE_OP, EXT_PREFIX, EXTERNAL_OP, IF_OP, LOCAL0, METHOD_OP, NAME_OP, POWER_RES_OP,
  PROCESSOR_OP, SCOPE_OP, THERMAL_ZONE_OP, WHILE_OP,
} from './opcodes.js';
import { decodePkgLength } from './pkg-length.js';

/**
 * Block kinds as the ASL+ disassembler prints them: an Else whose first term is an If is shown as ElseIf (and
 * that If's own Else moves up beside it), as ACPICA's dmopcode.c AcpiDmConvertToElseIf does.
 */
export type AmlContextKind = 'Scope' | 'Device' | 'Processor' | 'PowerResource' | 'ThermalZone' | 'Method' | 'If' | 'ElseIf' | 'Else' | 'While';
export interface AmlContext {
  kind: AmlContextKind;
  /** The NameString as written (iasl style, e.g. `\`, `_SB`, `\_SB.PCI0`); absent for If/Else/While. */
  name?: string;
}

export interface AmlWarning {
  offset: number;
  message: string;
}

export interface NameVisit {
  /** Table offset of the NameOp. */
  offset: number;
  name: NameString;
  /** Absolute path segments. */
  path: string[];
  /** Where the object (DataRefObject) starts, and the end of the enclosing block. */
  objectAt: number;
  limit: number;
  context: readonly AmlContext[];
  conditional: boolean;
}

export interface WalkOptions {
  /** Added to every offset reported (36 for a DSDT/SSDT body). */
  base?: number;
  /** Throw on the first problem instead of skipping the enclosing block with a warning. */
  strict?: boolean;
  /**
   * Declared objects (absolute path, segments joined by '.') → the method's argument count, or -1 for any
   * other object. Non-methods matter too: the nearest declaration of a NameSeg shadows a method further up.
   */
  methods?: Map<string, number>;
  /** Limit on nesting depth. */
  maxDepth?: number;
  /**
   * Also walk Method bodies (context kind 'Method'). Names there are method-local objects that exist only while
   * the method runs, so an OS never sees them as \_Sn_; off by default.
   */
  includeMethods?: boolean;
  /** Record declarations into `methods` (the first pass does; the second reuses its map). Default true. */
  collect?: boolean;
}

const NESTED: ReadonlyMap<number, [AmlContextKind, number]> = new Map([
  [SCOPE_OP, ['Scope', 0]],
  [DEVICE_OP, ['Device', 0]],
  [PROCESSOR_OP, ['Processor', 6]], //    ProcID(1) PblkAddr(4) PblkLen(1)
  [POWER_RES_OP, ['PowerResource', 3]], // SystemLevel(1) ResourceOrder(2)
  [THERMAL_ZONE_OP, ['ThermalZone', 0]],
]);

const PREDEFINED_METHODS: [string, number][] = [['_OSI', 1]];

/** Opcodes that declare a name, and which of their 'n' arguments it is (ACPI 6.5 §20.2.5). */
const DECLARES: ReadonlyMap<number, number> = new Map([
  [0x06, 1], // Alias (source, alias)
  [0x8a, 0], [0x8b, 0], [0x8c, 0], [0x8d, 0], [0x8f, 0], [0x5b13, 0], // Create*Field (..., name)
  [0x5b01, 0], [0x5b02, 0], [0x5b80, 0], [0x5b88, 0], // Mutex, Event, OperationRegion, DataRegion
]);

export class AmlWalker {
  readonly base: number;
  readonly strict: boolean;
  readonly methods: Map<string, number>;
  readonly warnings: AmlWarning[] = [];
  private readonly maxDepth: number;
  private readonly includeMethods: boolean;
  private readonly collect: boolean;

  constructor(
    readonly b: Uint8Array,
    private readonly visit: (v: NameVisit) => void,
    opts: WalkOptions = {},
    private readonly onBlockAbandoned?: (from: number, end: number, scope: string[], ctx: readonly AmlContext[], cond: boolean) => void,
  ) {
    this.base = opts.base ?? 0;
    this.strict = opts.strict ?? false;
    this.methods = opts.methods ?? new Map(PREDEFINED_METHODS);
    this.maxDepth = opts.maxDepth ?? 64;
    this.includeMethods = opts.includeMethods ?? false;
    this.collect = opts.collect ?? true;
  }

  err(msg: string, p: number): AmlError {
    return new AmlError(msg, this.base + p);
  }

  run(): void {
    this.termList(0, this.b.length, [], [], false, 0);
  }

  /** Reads the opcode at p: [opcode, length of the opcode bytes]. */
  private op(p: number, end: number): [number, number] {
    const c = this.b[p]!;
    if (c !== EXT_PREFIX) return [c, 1];
    if (p + 1 >= end) throw this.err('truncated: extended opcode', p);
    return [0x5b00 | this.b[p + 1]!, 2];
  }

  private pkg(p: number, end: number): { end: number; next: number } {
    const r = decodePkgLength(this.b, p, end, this.base);
    if (r.end > end) throw this.err(`PkgLength 0x${(r.end - p).toString(16)} runs past the end of the enclosing block (0x${(this.base + end).toString(16)})`, p);
    if (r.end < r.next) throw this.err(`PkgLength 0x${(r.end - p).toString(16)} is shorter than its own encoding`, p);
    return r;
  }

  private name(p: number, end: number): NameString {
    return readNameString(this.b, p, end, this.base);
  }

  termList(p: number, end: number, scope: string[], ctx: readonly AmlContext[], cond: boolean, depth: number): void {
    if (depth > this.maxDepth) throw this.err(`nesting deeper than ${this.maxDepth}`, p);
    while (p < end) {
      const start = p;
      try {
        p = this.term(p, end, scope, ctx, cond, depth);
      } catch (e) {
        // Lenient mode: the enclosing block's PkgLength is trusted, so abandon only the rest of this block.
        if (this.strict || depth === 0 || !(e instanceof AmlError)) throw e;
        this.warnings.push({ offset: e.offset, message: e.message });
        this.onBlockAbandoned?.(start, end, scope, ctx, cond);
        return;
      }
      if (p <= start) throw this.err('walker made no progress', start);
    }
  }

  private term(p: number, end: number, scope: string[], ctx: readonly AmlContext[], cond: boolean, depth: number): number {
    const [op, ol] = this.op(p, end);
    const nested = NESTED.get(op);
    if (nested) {
      const pk = this.pkg(p + ol, end);
      const ns = this.name(pk.next, pk.end);
      const inner = ns.next + nested[1];
      if (inner > pk.end) throw this.err(`truncated ${nested[0]} header`, p);
      const path = resolvePath(scope, ns);
      if (op !== SCOPE_OP) this.declare(path, -1);
      this.termList(inner, pk.end, path, [...ctx, { kind: nested[0], name: formatNameString(ns) }], cond, depth + 1);
      return pk.end;
    }
    switch (op) {
      case NAME_OP: {
        const ns = this.name(p + 1, end);
        const path = resolvePath(scope, ns);
        this.declare(path, -1);
        this.visit({ offset: this.base + p, name: ns, path, objectAt: ns.next, limit: end, context: ctx, conditional: cond });
        return this.dataRefObject(ns.next, end, scope);
      }
      case METHOD_OP: {
        const pk = this.pkg(p + 1, end);
        const ns = this.name(pk.next, pk.end);
        if (ns.next >= pk.end) throw this.err('truncated Method header', p);
        const path = resolvePath(scope, ns);
        this.declare(path, this.b[ns.next]! & 7);
        // Bodies are executable code: walked only on request, as a block of their own.
        if (this.includeMethods) this.termList(ns.next + 1, pk.end, path, [...ctx, { kind: 'Method', name: formatNameString(ns) }], cond, depth + 1);
        return pk.end;
      }
      case EXTERNAL_OP: {
        const ns = this.name(p + 1, end);
        if (ns.next + 2 > end) throw this.err('truncated External', p);
        this.declare(resolvePath(scope, ns), this.b[ns.next] === 8 ? this.b[ns.next + 1]! & 7 : -1);
        return ns.next + 2;
      }
      case IF_OP:
      case WHILE_OP:
        return this.conditionalBlock(p, end, scope, ctx, op === IF_OP ? 'If' : 'While', depth);
      case ELSE_OP: {
        const pk = this.pkg(p + 1, end);
        if (pk.next < pk.end && this.b[pk.next] === IF_OP) {
          // Else { If (..) {..} [Else {..}] rest } reads as ElseIf (..) {..} [Else {..}]: the carrier Else
          // disappears from the context and a trailing Else sits beside the ElseIf.
          let q = this.conditionalBlock(pk.next, pk.end, scope, ctx, 'ElseIf', depth);
          if (q < pk.end && this.b[q] === ELSE_OP) q = this.term(q, pk.end, scope, ctx, true, depth + 1);
          this.termList(q, pk.end, scope, [...ctx, { kind: 'Else' }], true, depth + 1);
        } else {
          this.termList(pk.next, pk.end, scope, [...ctx, { kind: 'Else' }], true, depth + 1);
        }
        return pk.end;
      }
      default:
        // Executable statements at namespace level (Store, Notify, CreateField, OperationRegion, Field, ...).
        return this.termArg(p, end, scope);
    }
  }

  /** If/While (or the If of an ElseIf): predicate, then the body as conditional. Returns the block's end. */
  private conditionalBlock(p: number, end: number, scope: string[], ctx: readonly AmlContext[], kind: AmlContextKind, depth: number): number {
    const pk = this.pkg(p + 1, end);
    let body: number;
    try {
      body = this.termArg(pk.next, pk.end, scope);
    } catch (e) {
      if (this.strict || !(e instanceof AmlError)) throw e;
      this.warnings.push({ offset: e.offset, message: `${kind} predicate not understood, block skipped: ${e.message}` });
      this.onBlockAbandoned?.(pk.next, pk.end, scope, [...ctx, { kind }], true);
      return pk.end;
    }
    this.termList(body, pk.end, scope, [...ctx, { kind }], true, depth + 1);
    return pk.end;
  }

  /** Skips a DataRefObject (a Name's value): a data object, or a name used as a reference (never a call). */
  dataRefObject(p: number, end: number, scope: string[]): number {
    if (p >= end) throw this.err('truncated: object expected', p);
    return startsName(this.b[p]!) ? this.name(p, end).next : this.termArg(p, end, scope);
  }

  /** Skips one TermArg (or any opcode with its operands); returns the offset after it. */
  termArg(p: number, end: number, scope: string[]): number {
    if (p >= end) throw this.err('truncated: operand expected', p);
    const c = this.b[p]!;
    if (c >= LOCAL0 && c <= ARG6) return p + 1; // Local0-7, Arg0-6
    if (startsName(c)) {
      const ns = this.name(p, end);
      let q = ns.next;
      for (let i = this.argCount(scope, ns); i > 0; i--) q = this.termArg(q, end, scope);
      return q;
    }
    const [op, ol] = this.op(p, end);
    const def = AML_OPS.get(op);
    if (!def) throw this.err(`unknown opcode 0x${op.toString(16)}`, p);
    let q = p + ol;
    const declares = DECLARES.get(op);
    for (let i = 0, names = 0; i < def.args.length; i++) {
      const a = def.args[i]!;
      if (a === 'P') return this.pkg(q, end).end;
      if (a === 'n' && names++ === declares) {
        const ns = this.name(q, end);
        this.declare(resolvePath(scope, ns), -1);
        q = ns.next;
        continue;
      }
      q = this.arg(a, q, end, scope);
    }
    if (q > end) throw this.err(`truncated ${def.name}`, p);
    return q;
  }

  private arg(a: string, q: number, end: number, scope: string[]): number {
    switch (a) {
      case 'n': return this.name(q, end).next;
      case 'b': return this.fixed(q, 1, end);
      case 'w': return this.fixed(q, 2, end);
      case 'd': return this.fixed(q, 4, end);
      case 'q': return this.fixed(q, 8, end);
      case 'a': {
        const z = this.b.indexOf(0, q);
        if (z < 0 || z >= end) throw this.err('unterminated string', q);
        return z + 1;
      }
      case 't': return this.termArg(q, end, scope);
      case 's': return this.superName(q, end, scope);
      case 'o': return this.dataRefObject(q, end, scope);
      default: throw this.err(`opcode table: bad argument kind '${a}'`, q);
    }
  }

  private fixed(q: number, n: number, end: number): number {
    if (q + n > end) throw this.err('truncated: data runs past the end', q);
    return q + n;
  }

  /** SuperName or Target: NullName, Local/Arg, Debug, a name (not a call), or a reference opcode. */
  private superName(p: number, end: number, scope: string[]): number {
    if (p >= end) throw this.err('truncated: target expected', p);
    const c = this.b[p]!;
    if (c === 0x00) return p + 1;
    if (c >= LOCAL0 && c <= ARG6) return p + 1;
    if (startsName(c)) return this.name(p, end).next;
    return this.termArg(p, end, scope);
  }

  /** Records a declared object; a method's argument count is never replaced by a plain name. */
  private declare(path: readonly string[], argCount: number): void {
    if (!this.collect) return;
    const k = path.join('.');
    if (argCount >= 0 || !((this.methods.get(k) ?? -1) >= 0)) this.methods.set(k, argCount);
  }

  private argCount(scope: string[], ns: NameString): number {
    if (ns.root || ns.parents > 0 || ns.segs.length !== 1) return Math.max(0, this.methods.get(resolvePath(scope, ns).join('.')) ?? 0);
    // A single NameSeg is searched for in the current scope, then each parent up to the root (§5.3);
    // the nearest declaration wins, whatever kind of object it is.
    for (let i = scope.length; i >= 0; i--) {
      const n = this.methods.get([...scope.slice(0, i), ns.segs[0]!].join('.'));
      if (n !== undefined) return Math.max(0, n);
    }
    return 0;
  }
}

/**
 * The QMP input stream: QEMU's JSON lexer + streamer + parser
 * (qobject/json-lexer.c, json-streamer.c, json-parser.c) in one small class.
 *
 * QMP input is a stream of JSON values, not lines: QEMU accepts several
 * objects on one line and one object over several lines (the `qemu-qmp` npm
 * client sends commands with no newline at all). A value ends when its
 * brackets balance. QEMU's extension of single-quoted strings is accepted.
 * A parse error reports once and resynchronises at the next top-level
 * newline, so the connection stays usable.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

/** Bare tokens JSON allows inside a value. */
const BARE = /^(true|false|null|-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)$/;

export type JsonItem = { ok: true; value: JsonValue } | { ok: false; error: string };

/** QEMU json-streamer.c: MAX_NESTING / MAX_TOKEN_SIZE. */
export const MAX_NESTING = 1024;
export const MAX_VALUE_CHARS = 64 << 20;

export class JsonStream {
  private buf = '';
  private depth = 0;
  private quote = '';       // '"' or "'" while inside a string
  private escape = false;
  private scalar = false;   // collecting a top-level scalar token
  private skipping = false; // after an error: drop input up to the next newline
  private word = '';        // bare token inside a container (checked early so a typo cannot swallow later lines)

  /** Feed characters; returns every complete value (or error) they finish, in order. */
  push(chunk: string): JsonItem[] {
    const out: JsonItem[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.skipping) {
        if (c === '\n') this.skipping = false;
        continue;
      }
      if (this.quote) {
        if (c < ' ') {
          // json-lexer.c: a raw control character cannot be inside a string; an unterminated
          // string therefore ends at the line end instead of swallowing the next commands.
          this.fail(out, 'JSON parse error, control character in string (missing closing quote?)');
          if (c === '\n') this.skipping = false;
          continue;
        }
        this.buf += c;
        if (this.escape) this.escape = false;
        else if (c === '\\') this.escape = true;
        else if (c === this.quote) {
          this.quote = '';
          if (this.depth === 0) this.finish(out); // a top-level string is a complete value
        }
        continue;
      }
      if (this.scalar) {
        if (/[\s{}[\]"',:]/.test(c)) {
          this.finish(out);
          i--; // re-read the delimiter at top level
          continue;
        }
        this.buf += c;
        continue;
      }
      if (this.depth === 0 && /\s/.test(c)) continue;
      if (this.depth > 0) {
        if (/[A-Za-z0-9_.+-]/.test(c)) {
          this.word += c;
          this.buf += c;
          continue;
        }
        if (this.word) {
          const w = this.word;
          this.word = '';
          if (!BARE.test(w)) {
            this.fail(out, /^[A-Za-z]/.test(w) ? `JSON parse error, invalid keyword '${w}'` : `JSON parse error, invalid number '${w}'`);
            if (c === '\n') this.skipping = false;
            continue;
          }
        }
      }
      this.buf += c;
      if (c === '"' || c === "'") this.quote = c;
      else if (c === '{' || c === '[') {
        if (++this.depth > MAX_NESTING) this.fail(out, 'JSON parse error, nesting too deep');
      } else if (c === '}' || c === ']') {
        if (this.depth === 0) this.fail(out, `JSON parse error, stray '${c}'`);
        else if (--this.depth === 0) this.finish(out);
      } else if (this.depth === 0) this.scalar = true;
      if (this.buf.length > MAX_VALUE_CHARS) this.fail(out, 'JSON parse error, input too large');
    }
    return out;
  }

  private finish(out: JsonItem[]): void {
    const text = this.buf;
    this.reset();
    try {
      out.push({ ok: true, value: parseJson(text) });
    } catch (e) {
      out.push({ ok: false, error: (e as Error).message });
    }
  }

  private fail(out: JsonItem[], error: string): void {
    this.reset();
    this.skipping = true;
    out.push({ ok: false, error });
  }

  private reset(): void {
    this.buf = '';
    this.depth = 0;
    this.quote = '';
    this.escape = false;
    this.scalar = false;
    this.word = '';
  }
}

/** Parse one JSON value; QEMU's single-quoted strings allowed. Throws "JSON parse error, ..." text. */
export function parseJson(text: string): JsonValue {
  const p = new Parser(text);
  const v = p.value();
  p.ws();
  if (p.i < text.length) throw p.err(`stray '${text[p.i]}'`);
  return v;
}

class Parser {
  i = 0;
  constructor(private readonly s: string) {}

  err(what: string): Error {
    return new Error(`JSON parse error, ${what}`);
  }

  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }

  value(): JsonValue {
    this.ws();
    const c = this.s[this.i];
    if (c === undefined) throw this.err('expecting value');
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"' || c === "'") return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i))?.[0];
    if (word === 'true' || word === 'false' || word === 'null') {
      this.i += word.length;
      return word === 'null' ? null : word === 'true';
    }
    if (word) throw this.err(`invalid keyword '${word}'`);
    throw this.err(`stray '${c}'`);
  }

  object(): { [k: string]: JsonValue } {
    const o: { [k: string]: JsonValue } = {};
    this.i++; // {
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return o;
    }
    for (;;) {
      this.ws();
      const q = this.s[this.i];
      if (q !== '"' && q !== "'") throw this.err('key is not a string in object');
      const k = this.string();
      this.ws();
      if (this.s[this.i] !== ':') throw this.err("missing ':' in object pair");
      this.i++;
      if (Object.prototype.hasOwnProperty.call(o, k)) throw this.err(`duplicate key '${k}'`);
      o[k] = this.value();
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return o;
      if (c !== ',') throw this.err("expected separator in dict");
    }
  }

  array(): JsonValue[] {
    const a: JsonValue[] = [];
    this.i++; // [
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return a;
    }
    for (;;) {
      a.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return a;
      if (c !== ',') throw this.err('expected separator in list');
    }
  }

  string(): string {
    const q = this.s[this.i++]!;
    let out = '';
    for (;;) {
      const c = this.s[this.i++];
      if (c === undefined) throw this.err('missing closing quote');
      if (c === q) return out;
      if (c < ' ') throw this.err('control character in string');
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s[this.i++];
      switch (e) {
        case '"': case "'": case '\\': case '/': out += e; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const h = this.s.slice(this.i, this.i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) throw this.err('invalid hex escape sequence in string');
          out += String.fromCharCode(parseInt(h, 16));
          this.i += 4;
          break;
        }
        default: throw this.err('invalid escape sequence in string');
      }
    }
  }

  number(): number {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.s.slice(this.i));
    if (!m) throw this.err('invalid number');
    this.i += m[0].length;
    return Number(m[0]);
  }
}

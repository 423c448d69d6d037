/**
 * The last lines a guest printed on its consoles (serial ports, debug console), each with the virtual time its
 * first byte arrived: the evidence that puts "who did it" inside the guest ("reboot: Power down" right before the
 * PM1a_CNT write). Bytes go into a fixed buffer; a string is made only when a line ends.
 */
export interface ConsoleLine {
  /** Virtual time (ns) of the line's first byte. */
  tNs: number;
  text: string;
}

const MAX_LINE = 512;

export class ConsoleTail {
  private readonly lines: ConsoleLine[] = [];
  private readonly cur = new Uint8Array(MAX_LINE);
  private len = 0;
  private start = 0;

  constructor(readonly keep = 4) {}

  push(byte: number, tNs: number): void {
    if (byte === 0x0a) {
      this.endLine();
      return;
    }
    if (byte === 0x0d) return;
    if (this.len === 0) this.start = tNs;
    if (this.len < MAX_LINE) this.cur[this.len++] = byte;
  }

  private endLine(): void {
    if (this.len === 0) return;
    let text = '';
    for (let i = 0; i < this.len; i++) text += String.fromCharCode(this.cur[i]!);
    this.len = 0;
    this.lines.push({ tNs: this.start, text });
    if (this.lines.length > this.keep) this.lines.shift();
  }

  /** The last complete lines, oldest first, plus the line being written (if any). */
  tail(): ConsoleLine[] {
    const out = this.lines.slice();
    if (this.len > 0) {
      let text = '';
      for (let i = 0; i < this.len; i++) text += String.fromCharCode(this.cur[i]!);
      out.push({ tNs: this.start, text });
    }
    return out.slice(-this.keep);
  }

  /** Cause-chain evidence: `consoleLast` (the last line), `consoleLastNs`, and `console` (the tail, " | " between lines). */
  evidence(): Record<string, string | number> {
    const t = this.tail();
    if (t.length === 0) return {};
    const last = t[t.length - 1]!;
    return {
      consoleLast: last.text,
      consoleLastNs: last.tNs,
      console: t.map((l) => `${(l.tNs / 1e6).toFixed(3)} ms: ${l.text}`).join(' | '),
    };
  }

  clear(): void {
    this.lines.length = 0;
    this.len = 0;
  }
}

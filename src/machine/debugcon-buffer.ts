/** A growable byte buffer for debug-console output: one store per byte, no allocation until it grows. */
export class DebugconBuffer {
  private buf = new Uint8Array(4096);
  private len = 0;
  /** Cap (bytes); older output is dropped beyond it. */
  limit = 64 * 1024 * 1024;

  push(b: number): void {
    if (this.len === this.buf.length) {
      if (this.len >= this.limit) {
        this.buf.copyWithin(0, this.len >> 1);
        this.len -= this.len >> 1;
      } else {
        const n = new Uint8Array(this.buf.length * 2);
        n.set(this.buf);
        this.buf = n;
      }
    }
    this.buf[this.len++] = b;
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  text(): string {
    let s = '';
    for (let i = 0; i < this.len; i += 8192) s += String.fromCharCode(...this.buf.subarray(i, Math.min(this.len, i + 8192)));
    return s;
  }

  clear(): void {
    this.len = 0;
  }
}

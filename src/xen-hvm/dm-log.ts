/**
 * The device model's log file (`qemu-dm-NAME.log`), in memory so it works in
 * a browser too. dm-log-node.ts mirrors it to a file.
 */
export class DmLog {
  readonly lines: string[] = [];
  private readonly subs: ((line: string) => void)[] = [];

  constructor(readonly name: string) {}

  get fileName(): string {
    return `qemu-dm-${this.name}.log`;
  }

  /** One line, without its newline (qemu-trad fprintf(logfile, "...\n")). */
  write(line: string): void {
    this.lines.push(line);
    for (const s of this.subs) s(line);
  }

  subscribe(fn: (line: string) => void): () => void {
    this.subs.push(fn);
    return () => {
      const i = this.subs.indexOf(fn);
      if (i >= 0) this.subs.splice(i, 1);
    };
  }

  text(): string {
    return this.lines.map((l) => l + '\n').join('');
  }
}

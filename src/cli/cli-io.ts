/** Output and errors for CLI commands, injectable so tests can capture them. */
/** A readable byte stream: process.stdin, a socket, a test's PassThrough. */
export interface ByteSource {
  on(ev: 'data' | 'end', fn: (chunk: Uint8Array | string) => void): unknown;
  off(ev: 'data' | 'end', fn: (chunk: Uint8Array | string) => void): unknown;
  pause?(): unknown;
  resume?(): unknown;
}

export interface CliIo {
  stdout(s: string): void;
  stderr(s: string): void;
  /** Standard input, for a serial port on stdio (absent: the guest gets no input). */
  stdin?: ByteSource;
}

export function nodeIo(): CliIo {
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    stdin: process.stdin,
  };
}

export function captureIo(): CliIo & { out: string; err: string } {
  const io = { out: '', err: '', stdout: (s: string) => void (io.out += s), stderr: (s: string) => void (io.err += s) };
  return io;
}

/** An error that ends a command with a clear message and a non-zero exit code. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string, readonly exitCode = 2) {
    super(message);
  }
}

/** Output and errors for CLI commands, injectable so tests can capture them. */
export interface CliIo {
  stdout(s: string): void;
  stderr(s: string): void;
}

export function nodeIo(): CliIo {
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
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

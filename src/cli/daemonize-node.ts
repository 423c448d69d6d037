/**
 * `-daemonize` and `-pidfile`, as QEMU does them (os-posix.c os_daemonize / qemu_write_pidfile): the parent
 * exits 0 only once the child is ready (its monitors listen), or with the child's error; the child runs the VM
 * detached, with the standard streams on /dev/null, and the pid file names the child. Node cannot fork, so the
 * "fork" is a re-exec of the same command line with a status pipe on fd 3 (ACPIDM_DAEMON_FD): the child sends
 * its error text down it until it is ready, then `READY`.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { CliError, type CliIo } from './cli-io.js';

const ENV = 'ACPIDM_DAEMON_FD';

let statusFd: number | null = process.env[ENV] ? Number(process.env[ENV]) : null;

/** This process is the daemon child of a `-daemonize` parent. */
export function isDaemonChild(): boolean {
  return statusFd !== null;
}

/**
 * In the parent: start the child and wait for READY (exit 0) or its end (its error, its status).
 * Returns the parent's exit status.
 */
export async function runDaemonParent(io: CliIo): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    detached: true, // setsid: the VM outlives the parent's session, as after QEMU's fork + setsid
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    env: { ...process.env, [ENV]: '3' },
  });
  const pipe = child.stdio[3] as NodeJS.ReadableStream;
  pipe.setEncoding('utf8');
  let text = '';
  let ready = false;
  const done = new Promise<number>((resolve) => {
    pipe.on('data', (chunk: string) => {
      text += chunk;
      if (/(^|\n)READY\n/.test(text)) {
        ready = true;
        resolve(0);
      }
    });
    child.on('exit', (code, sig) => resolve(code ?? (sig ? 1 : 0)));
    child.on('error', (e) => {
      io.stderr(`acpidm: -daemonize: cannot start the daemon: ${e.message}\n`);
      resolve(1);
    });
  });
  const status = await done;
  const message = text.replace(/(^|\n)READY\n[\s\S]*$/, '$1');
  if (message) io.stderr(message);
  if (ready) {
    child.unref();
    (pipe as unknown as { destroy(): void }).destroy();
    return 0;
  }
  return status === 0 ? 1 : status; // a child that ended without READY never became a VM
}

/** The child's output streams: its messages go to the parent until READY, then nowhere (QEMU: /dev/null). */
export function daemonChildIo(): CliIo {
  const send = (s: string) => {
    if (statusFd === null) return;
    try {
      writeSync(statusFd, s);
    } catch {
      statusFd = null; // the parent is gone
    }
  };
  return { stdout: () => {}, stderr: send };
}

/** Tell the parent the VM is up (monitors listening); the parent exits 0. A no-op outside a daemon child. */
export function signalDaemonReady(): void {
  if (statusFd === null) return;
  try {
    writeSync(statusFd, 'READY\n');
    closeSync(statusFd);
  } catch {
    // the parent went away: nothing to tell
  }
  statusFd = null;
}

/** QEMU qemu_write_pidfile: the pid of the process that runs the VM; removed again at exit. */
export function writePidfile(path: string): () => void {
  try {
    const fd = openSync(path, 'w');
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
  } catch (e) {
    throw new CliError(`cannot write pid file '${path}': ${(e as Error).message}`, 1);
  }
  return () => {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  };
}

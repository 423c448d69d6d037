// One in-process `acpidm xen host` per test file and an `xl(...)` that runs `acpidm xl --socket SOCK ...` against
// it, capturing its output (test/xen/cli, test/xen/xl-cause, test/cli/xl-commands share it).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { captureIo } from '../src/cli/cli-io.js';
import { main } from '../src/cli/main.js';
import { startXenHostServer, type XenHostServer } from '../src/xen-hvm/xen-host-node.js';
import { tempDir } from './tmp-dir.js';

export interface XlHost {
  /** The test file's folder (removed after it); configs are written here. */
  readonly dir: string;
  /** The host's xl control socket and its xenstored socket. */
  readonly sock: string;
  readonly xsSock: string;
  /** The running host (after beforeAll). */
  readonly srv: XenHostServer;
  xl(...args: string[]): Promise<{ code: number; out: string; err: string }>;
}

/**
 * Starts the host before the file's tests (xenstored socket and log folder in `dir`, speed 200) with `configs`
 * (file name → xl config text) written to `dir`, and closes it after them.
 */
export function useXlHost(prefix: string, configs: Record<string, string> = {}): XlHost {
  const dir = tempDir(prefix);
  const sock = join(dir, 'xl.sock');
  const xsSock = join(dir, 'xenstored.sock');
  let srv: XenHostServer | undefined;
  beforeAll(async () => {
    srv = await startXenHostServer({ socketPath: sock, xenstoredPath: xsSock, logDir: join(dir, 'log'), speed: 200 });
    for (const [name, text] of Object.entries(configs)) writeFileSync(join(dir, name), text);
  });
  afterAll(async () => {
    await srv?.close();
  });
  return {
    dir, sock, xsSock,
    get srv() {
      if (!srv) throw new Error('useXlHost: the host starts in beforeAll');
      return srv;
    },
    async xl(...args: string[]) {
      const io = captureIo();
      const code = await main(['xl', '--socket', sock, ...args], io);
      return { code, out: io.out, err: io.err };
    },
  };
}

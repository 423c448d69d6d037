/** `acpidm run --xen`: wired to src/xen-hvm once its domain runner lands. */
import { CliError, type CliIo } from '../cli-io.js';
import type { RunConfig } from '../qemu-args.js';

export async function runXen(_cfg: RunConfig, _io: CliIo): Promise<number> {
  throw new CliError('--xen is not wired yet', 1);
}

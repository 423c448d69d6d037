/**
 * `acpidm conformance FOLDER [STEM...]`: run SingleStepTests-format vectors (.json.gz) on acpidm's CPU and
 * print `N passed, M failed` (what `npm run conformance` does). Exit 0 when all pass, 1 otherwise.
 */
import { CliError, type CliIo } from '../cli-io.js';
import { isHelp } from '../help.js';
import type { CliCommand } from '../main.js';

const USAGE = `usage: acpidm conformance FOLDER [STEM...]
  FOLDER   a folder of SingleStepTests .json.gz files (e.g. ../shared/corpus/singlestep/80286/v1_real_mode)
  STEM     only these opcode files (e.g. 00 0F01.4)
`;

export const command: CliCommand = {
  async run(argv: string[], io: CliIo): Promise<number> {
    if (argv.some(isHelp)) {
      io.stdout(USAGE);
      return 0;
    }
    const [folder, ...only] = argv;
    if (!folder) throw new CliError(`missing FOLDER\n${USAGE}`);
    const bad = only.find((a) => a.startsWith('-'));
    if (bad) throw new CliError(`unknown option '${bad}'\n${USAGE}`);
    const { formatReport, runCorpusFolder } = await import('../../cpu/conformance/corpus-node.js');
    let r;
    try {
      r = runCorpusFolder(folder, only.length ? { only } : {});
    } catch (e) {
      throw new CliError(`${(e as Error).message}`, 1);
    }
    io.stdout(formatReport(r) + '\n');
    return r.failed === 0 ? 0 : 1;
  },
};

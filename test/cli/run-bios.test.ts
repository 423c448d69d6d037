import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';
import { tempDir } from '../tmp-dir.js';

const ROM = join(__dirname, '../../firmware/roms/poweroff-rom.bin');
const haveQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0;
const CI = process.env.CI === 'true';

describe('acpidm run -bios ROM (real mode from the reset vector)', () => {
  it('a ROM that programs PIIX4 through 0xCF8/0xCFC and writes 0x2000 to PMBA+4 powers off: SHUTDOWN guest-shutdown, exit 0', async () => {
    const dir = tempDir('acpidm-bios-');
    const io = captureIo();
    const rc = await main(['run', '-M', 'pc', '-accel', 'tcg', '-bios', ROM, '-display', 'none',
      '-debugcon', `file:${dir}/con.txt`, '-D', `${dir}/trace.jsonl`, '-trace', 'machine_event', '--quiet'], io);
    expect(rc).toBe(0);
    const events = readFileSync(`${dir}/trace.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.event === 'machine_event');
    expect(events.map((e) => e.args)).toContainEqual({ event: 'SHUTDOWN', guest: true, reason: 'guest-shutdown' });
    expect(readFileSync(`${dir}/con.txt`, 'latin1')).not.toContain('still running');
  });

  it.skipIf(!haveQemu && !CI)('the same ROM prints the same debug-console bytes on real QEMU', async () => {
    const dir = tempDir('acpidm-bios-q-');
    const q = spawnSync('qemu-system-x86_64', ['-M', 'pc', '-accel', 'tcg', '-display', 'none', '-nodefaults', '-bios', ROM,
      '-debugcon', `file:${dir}/qemu.txt`], { timeout: 20_000 });
    expect(q.status, `qemu-system-x86_64 failed: ${q.stderr}`).toBe(0);
    const io = captureIo();
    expect(await main(['run', '-bios', ROM, '-debugcon', `file:${dir}/acpidm.txt`, '--quiet'], io)).toBe(0);
    expect(readFileSync(`${dir}/acpidm.txt`, 'latin1')).toBe(readFileSync(`${dir}/qemu.txt`, 'latin1'));
  });
});

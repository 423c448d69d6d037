// Output a person reads (issue 15): no "(1 handlers)" / "1 instructions", the PM block is not reported unmapped
// before it is first mapped, debug-console lines appear once with -debugcon stdio, and a line says where the
// guest's console goes.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';
import { tempDir } from '../tmp-dir.js';

const poweroff = join(import.meta.dirname, '../../firmware/guests/poweroff.bin');
async function run(...argv: string[]) {
  const io = captureIo();
  const code = await main(['run', ...argv], io);
  return { code, out: io.out };
}

describe('acpidm run output', () => {
  it('singular counts read as singular', async () => {
    const r = await run('-kernel', poweroff, '--max-insns', '1');
    expect(r.code).toBe(4);
    expect(r.out).toContain('devices reset (1 handler)');
    expect(r.out).toContain('the instruction budget of 1 instruction (--max-insns)');
    expect(r.out).not.toMatch(/\b1 (handlers|instructions)\b/);
  });

  it('the PM block appears once, mapped at 0x600, with no "unmapped" before it', async () => {
    const r = await run();
    const pm = r.out.split('\n').filter((l) => l.includes('piix4_pm_io_space_update'));
    expect(pm[0]).toContain('PM block at 0x0600');
    expect(r.out.indexOf('PM block unmapped')).toBe(-1);
  });

  it('-debugcon stdio: each guest line once, and the console destination is said', async () => {
    const r = await run('-kernel', poweroff, '-debugcon', 'stdio');
    expect(r.code).toBe(0);
    expect(r.out.match(/multiboot: magic 0x2BADB002/g)).toHaveLength(1);
    expect(r.out).toContain('guest debug console (port 0xe9) -> standard output');
    const f = await run('-kernel', poweroff, '-debugcon', 'null');
    expect(f.out).toContain('guest debug console (port 0xe9) -> the timeline only');
  });

  it('the firmware steps come after the reset that runs them, each step before what it does (power-on and a guest reset)', async () => {
    const r = await run('-kernel', join(import.meta.dirname, '../../firmware/guests/reboot-cf9.bin'), '--max-insns', '8000');
    const lines = r.out.split('\n');
    const at = (re: RegExp, from = 0) => lines.findIndex((l, i) => i >= from && re.test(l));
    // A reset after POST is SeaBIOS's warm entry: the firmware hard-reboots (its own line, at that reset's time),
    // and POST runs after the reset its 0xCF9 write requests (QEMU + SeaBIOS: "Attempting a hard reboot").
    const guestReset = at(/machine_request reset requested/);
    const warm = at(/machine_reset devices reset/, guestReset);
    const hard = at(/seabios_hard_reboot warm entry after POST/, guestReset);
    expect([guestReset < warm, warm < hard, at(/seabios_piix4_pm_config_setup/, guestReset) > hard]).toEqual([true, true, true]);
    const time = (i: number) => lines[i]!.trim().split(/\s+/)[0];
    expect(time(hard)).toBe(time(warm));
    for (const start of [0, at(/machine_request reset requested/, hard)]) {
      expect(start).toBeGreaterThanOrEqual(0);
      const reset = at(/machine_reset devices reset/, start);
      const setup = at(/seabios_piix4_pm_config_setup/, start);
      const mapped = at(/PM block at 0x0600/, start);
      const kernel = at(/multiboot_load/, start);
      expect(reset).toBeGreaterThanOrEqual(0);
      expect([reset < setup, setup < mapped, mapped < kernel]).toEqual([true, true, true]);
      // each step at the virtual time of the reset it follows
      const t = (i: number) => lines[i]!.trim().split(/\s+/)[0];
      expect(new Set([reset, setup, mapped, kernel].map(t)).size).toBe(1);
    }
  });

  it('a line says where each serial console goes', async () => {
    const f = join(tempDir('acpidm-runout-'), 'com2.txt');
    const r = await run('-kernel', poweroff, '-serial', 'null', '-serial', `file:${f}`);
    expect(r.out).toContain('guest serial console COM1 (port 0x3f8) -> the timeline only');
    expect(r.out).toContain(`guest serial console COM2 (port 0x2f8) -> file ${f} (and the timeline)`);
    expect((await run('-kernel', poweroff, '-nographic')).out).toContain('guest serial console COM1 (port 0x3f8) -> standard output (not repeated in the timeline)');
    expect((await run('-kernel', poweroff, '-nodefaults')).out).not.toContain('serial console');
  });
});

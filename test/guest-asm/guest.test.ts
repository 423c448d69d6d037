// NASM guest tests (sources in test/guest-asm/src, binaries committed in bin/, rebuilt by build.sh). Each guest
// checks itself with the mac.inc assertions and prints through port 0xE9; the test compares that output byte for
// byte with the committed expected/<name>.txt and checks how the run ended.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { guestBin, guestExpected, runGuest } from './harness.js';
import { tempDir } from '../tmp-dir.js';

describe('NASM guest tests', () => {
  it.each(['alu32', 'privilege', 'paging', 'exceptions', 'strings', 'misc486', 'unreal', 'pm16'])('%s prints its expected output and exits 0', (name) => {
    const r = runGuest(guestBin(name));
    expect(r.out).toBe(guestExpected(name));
    expect(r.exit).toBe('stopped');
    expect(r.exitCode).toBe(0);
  });
  it('triple: a fault with an empty IDT ends in a triple fault (reset request)', () => {
    const r = runGuest(guestBin('triple'));
    expect(r.out).toBe(guestExpected('triple'));
    expect(r.exit).toBe('triple-fault');
    expect(r.exitCode).toBe(null);
  });
  it('intr: INTR through the LAPIC gate, HLT wake-up, STI shadow, then halted with IF=0', () => {
    const r = runGuest(guestBin('intr'));
    expect(r.out).toBe(guestExpected('intr'));
    expect(r.exit).toBe('halted-cli');
    expect(r.acked).toEqual([0x30, 0x30, 0x30]);
  });
});

describe('committed guest binaries match their sources', () => {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const hasNasm = spawnSync('nasm', ['-v']).status === 0;
  const sources = readdirSync(join(here, 'src')).filter((f) => f.endsWith('.asm'));
  it.runIf(!hasNasm && process.env.CI === 'true')('nasm is required in CI', () => {
    expect.fail('nasm is not installed: it is needed to check test/guest-asm/bin against the sources');
  });
  it.skipIf(!hasNasm).each(sources)('%s', (src) => {
    const out = join(tempDir('acpidm-guest-'), 'out.bin');
    const r = spawnSync('nasm', ['-f', 'bin', '-I', join(here, 'src') + '/', '-o', out, join(here, 'src', src)], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const committed = readFileSync(join(here, 'bin', src.replace(/\.asm$/, '.bin')));
    expect(Buffer.compare(readFileSync(out), committed), `bin/${src.replace(/\.asm$/, '.bin')} is stale: run test/guest-asm/build.sh`).toBe(0);
  });
});

// The committed guest binaries are loadable Multiboot v1 kernels (Multiboot spec §3.1, and what
// QEMU hw/i386/multiboot.c checks: header in the first 8 KiB, 4-byte aligned, checksum, a.out
// kludge fields), and every kernel has its source, its scenario and its expected QEMU output.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCENARIOS, scenarioKernel } from '../../firmware/tools/scenarios.mjs';

const guests = join(import.meta.dirname, '../../firmware/guests');
const expectedDir = join(import.meta.dirname, '../../firmware/expected');
const names = readdirSync(guests).filter((f) => f.endsWith('.bin')).map((b) => b.slice(0, -4)).sort();

function findHeader(img: Uint8Array): number {
  const v = new DataView(img.buffer, img.byteOffset, img.byteLength);
  for (let off = 0; off + 32 <= Math.min(img.length, 8192); off += 4) {
    if (v.getUint32(off, true) === 0x1badb002) return off;
  }
  return -1;
}

describe('firmware guest binaries', () => {
  it('there is one binary per source, a scenario per kernel, and a kernel per scenario', () => {
    const sources = readdirSync(guests).filter((f) => f.endsWith('.asm')).map((f) => f.slice(0, -4)).sort();
    expect(names.length).toBeGreaterThan(0);
    expect(names).toEqual(sources);
    for (const n of names) expect(SCENARIOS[n], `scenario for ${n}`).toBeDefined();
    for (const s of Object.keys(SCENARIOS)) expect(names).toContain(scenarioKernel(s));
  });

  it.each(names)('%s.bin has a valid Multiboot a.out-kludge header and parameter block', (name) => {
    const img = new Uint8Array(readFileSync(join(guests, `${name}.bin`)));
    const v = new DataView(img.buffer);
    const off = findHeader(img);
    expect(off).toBe(0);
    const magic = v.getUint32(0, true);
    const flags = v.getUint32(4, true);
    const checksum = v.getUint32(8, true);
    expect((magic + flags + checksum) >>> 0).toBe(0);
    expect(flags & 0x10000).toBe(0x10000);
    const [headerAddr, loadAddr, loadEnd, bssEnd, entry] = [12, 16, 20, 24, 28].map((o) => v.getUint32(o, true)) as [number, number, number, number, number];
    expect(loadAddr).toBe(0x100000);
    expect(headerAddr - loadAddr).toBe(off);
    expect(loadEnd - loadAddr).toBe(img.length);
    expect(bssEnd).toBeGreaterThanOrEqual(loadEnd);
    expect(entry).toBeGreaterThanOrEqual(loadAddr);
    expect(entry).toBeLessThan(loadEnd);
    expect(new TextDecoder().decode(img.subarray(0x20, 0x28))).toBe('ACPIDMK1');
    const nameEnd = img.indexOf(0, 0x30);
    expect(new TextDecoder().decode(img.subarray(0x30, nameEnd))).toBe(name);
  });

  it.each(Object.keys(SCENARIOS))('scenario %s has committed expected QEMU output and events', (name) => {
    expect(existsSync(join(expectedDir, `${name}.qemu.txt`))).toBe(true);
    const events = JSON.parse(readFileSync(join(expectedDir, `${name}.qemu-events.json`), 'utf8')) as { event: string }[];
    expect(events[0]?.event).toBe('RESUME');
    expect(events.length).toBeGreaterThan(1);
  });
});

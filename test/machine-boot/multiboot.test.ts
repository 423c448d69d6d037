import { describe, expect, it } from 'vitest';
import { loadMultiboot, MultibootError, parseMultiboot } from '../../src/machine/multiboot.js';

/** A minimal a.out-kludge kernel image: header at offset 0, loaded at 1 MiB. */
function kernel(body: number[], bss = 16): Uint8Array {
  const hdrLen = 32;
  const img = new Uint8Array(hdrLen + body.length);
  const dv = new DataView(img.buffer);
  const flags = 0x00010003;
  dv.setUint32(0, 0x1badb002, true);
  dv.setUint32(4, flags, true);
  dv.setUint32(8, (-(0x1badb002 + flags)) >>> 0, true);
  dv.setUint32(12, 0x100000, true); // header_addr
  dv.setUint32(16, 0x100000, true); // load_addr
  dv.setUint32(20, 0x100000 + img.length, true); // load_end_addr
  dv.setUint32(24, 0x100000 + img.length + bss, true); // bss_end_addr
  dv.setUint32(28, 0x100000 + hdrLen, true); // entry
  img.set(body, hdrLen);
  return img;
}

describe('Multiboot v1 loader (QEMU -kernel)', () => {
  it('loads an a.out-kludge image at its load address and builds the info structure', () => {
    const ram = new Uint8Array(32 << 20).fill(0xaa);
    const e = loadMultiboot(ram, kernel([0xf4, 0x90]), { cmdline: 'console=ttyS0' });
    expect(e).toMatchObject({ entry: 0x100020, eax: 0x2badb002, format: 'aout-kludge' });
    expect(ram[0x100020]).toBe(0xf4);
    expect(ram[0x100022]).toBe(0); // BSS zeroed
    const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
    const flags = dv.getUint32(e.ebx, true);
    expect(flags & 0x245).toBe(0x245); // memory, cmdline, mmap, boot loader name
    expect(dv.getUint32(e.ebx + 4, true)).toBe(640);
    expect(dv.getUint32(e.ebx + 8, true)).toBe(32 * 1024 - 1024);
    const str = (a: number) => { let s = ''; while (ram[a]) s += String.fromCharCode(ram[a++]!); return s; };
    expect(str(dv.getUint32(e.ebx + 16, true))).toBe('console=ttyS0');
    expect(str(dv.getUint32(e.ebx + 64, true))).toBe('acpidm');
  });

  it('refuses images without a valid header, with a clear error', () => {
    const bad = kernel([0x90]);
    bad[8] ^= 1; // break the checksum
    expect(() => parseMultiboot(bad)).toThrow(MultibootError);
    expect(() => parseMultiboot(new Uint8Array(100))).toThrow(/no Multiboot header/);
  });

  it('refuses a kernel that does not fit in guest RAM', () => {
    expect(() => loadMultiboot(new Uint8Array(1 << 20), kernel([0x90]))).toThrow(/needs RAM up to/);
  });
});

/**
 * A Multiboot v1 image around 32-bit flat `code` for the CLI tests: an a.out-kludge header (flags bit 16) loading
 * the whole file at 1 MiB and entering at 0x100020, the code right after the 32-byte header.
 */
export function multibootImage(code: readonly number[]): Uint8Array {
  const img = new Uint8Array(32 + code.length);
  const dv = new DataView(img.buffer);
  const base = 0x100000, magic = 0x1badb002, flags = 0x00010000;
  // magic, flags, checksum, header_addr, load_addr, load_end_addr (0: whole file), bss_end_addr, entry
  const header = [magic, flags, (-(magic + flags)) >>> 0, base, base, 0, 0, base + 32];
  header.forEach((v, k) => dv.setUint32(k * 4, v, true));
  img.set(code, 32);
  return img;
}

/**
 * QEMU's BIOS linker/loader script (`etc/table-loader`, hw/acpi/bios-linker-loader.c): 128-byte commands a
 * firmware executes to place fw_cfg blobs in its memory and patch the pointers and checksums between them.
 * SeaBIOS runs it in src/fw/romfile_loader.c. Layout of a command (all integers little-endian):
 *   +0  u32 command: 1 ALLOCATE, 2 ADD_POINTER, 3 ADD_CHECKSUM
 *   ALLOCATE:     +4 file[56], +60 u32 align, +64 u8 zone (1 HIGH, 2 FSEG)
 *   ADD_POINTER:  +4 dest_file[56], +60 src_file[56], +116 u32 offset, +120 u8 size (1, 2, 4 or 8)
 *                 (the `size`-byte field at dest+offset holds an offset into src; the loader adds src's address)
 *   ADD_CHECKSUM: +4 file[56], +60 u32 offset, +64 u32 start, +68 u32 length
 *                 (the loader subtracts the byte sum of [start, start+length) from the byte at offset)
 */
import { AcpiError } from './acpi-error.js';

export const LOADER_COMMAND_SIZE = 128;
export const LOADER_FILESZ = 56;
export const enum LoaderCommand { Allocate = 1, AddPointer = 2, AddChecksum = 3 }
export const enum LoaderZone { High = 1, Fseg = 2 }

export type LoaderEntry =
  | { command: 'allocate'; file: string; align: number; zone: 'high' | 'fseg' }
  | { command: 'add-pointer'; destFile: string; srcFile: string; offset: number; size: 1 | 2 | 4 | 8 }
  | { command: 'add-checksum'; file: string; offset: number; start: number; length: number };

function putName(b: Uint8Array, at: number, name: string): void {
  if (name.length === 0 || name.length >= LOADER_FILESZ) throw new AcpiError(`loader file name '${name}' must be 1..55 characters`);
  for (let i = 0; i < name.length; i++) b[at + i] = name.charCodeAt(i) & 0xff;
}

function getName(b: Uint8Array, at: number): string {
  let s = '';
  for (let i = 0; i < LOADER_FILESZ && b[at + i] !== 0; i++) s += String.fromCharCode(b[at + i]!);
  return s;
}

/** Encodes the script, one 128-byte command per entry. */
export function encodeLoader(entries: readonly LoaderEntry[]): Uint8Array {
  const out = new Uint8Array(entries.length * LOADER_COMMAND_SIZE);
  const v = new DataView(out.buffer);
  entries.forEach((e, i) => {
    const o = i * LOADER_COMMAND_SIZE;
    switch (e.command) {
      case 'allocate':
        if (!(e.align > 0 && (e.align & (e.align - 1)) === 0)) throw new AcpiError(`ALLOCATE ${e.file}: alignment ${e.align} is not a power of two`);
        v.setUint32(o, LoaderCommand.Allocate, true);
        putName(out, o + 4, e.file);
        v.setUint32(o + 60, e.align, true);
        out[o + 64] = e.zone === 'high' ? LoaderZone.High : LoaderZone.Fseg;
        break;
      case 'add-pointer':
        v.setUint32(o, LoaderCommand.AddPointer, true);
        putName(out, o + 4, e.destFile);
        putName(out, o + 60, e.srcFile);
        v.setUint32(o + 116, e.offset, true);
        out[o + 120] = e.size;
        break;
      case 'add-checksum':
        v.setUint32(o, LoaderCommand.AddChecksum, true);
        putName(out, o + 4, e.file);
        v.setUint32(o + 60, e.offset, true);
        v.setUint32(o + 64, e.start, true);
        v.setUint32(o + 68, e.length, true);
        break;
    }
  });
  return out;
}

/** Decodes a script (commands it does not know, such as WRITE_POINTER, are reported by number). */
export function decodeLoader(bytes: Uint8Array): (LoaderEntry | { command: number })[] {
  if (bytes.length % LOADER_COMMAND_SIZE !== 0) throw new AcpiError(`table-loader of ${bytes.length} bytes is not a whole number of 128-byte commands`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: (LoaderEntry | { command: number })[] = [];
  for (let o = 0; o < bytes.length; o += LOADER_COMMAND_SIZE) {
    const cmd = v.getUint32(o, true);
    if (cmd === LoaderCommand.Allocate) {
      out.push({ command: 'allocate', file: getName(bytes, o + 4), align: v.getUint32(o + 60, true), zone: bytes[o + 64] === LoaderZone.Fseg ? 'fseg' : 'high' });
    } else if (cmd === LoaderCommand.AddPointer) {
      out.push({ command: 'add-pointer', destFile: getName(bytes, o + 4), srcFile: getName(bytes, o + 60), offset: v.getUint32(o + 116, true), size: bytes[o + 120] as 1 | 2 | 4 | 8 });
    } else if (cmd === LoaderCommand.AddChecksum) {
      out.push({ command: 'add-checksum', file: getName(bytes, o + 4), offset: v.getUint32(o + 60, true), start: v.getUint32(o + 64, true), length: v.getUint32(o + 68, true) });
    } else if (cmd !== 0) {
      out.push({ command: cmd });
    }
  }
  return out;
}

/**
 * ResourceTemplate () and the resource descriptors a PC's DSDT uses (ACPI 6.5 §6.4): IO, IRQNoFlags,
 * WordBusNumber, WordIO, DWordMemory, the End Tag. The same bytes iasl emits for the ASL macros of those
 * names (checksum byte 0 in the End Tag, as iasl writes it). `resourceTemplate(...)` wraps them in a Buffer.
 */
import { BUFFER_OP } from './opcodes.js';
import { encodePkgLength } from './pkg-length.js';
import { cat, integer, type Aml } from './encode.js';

const le16 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff];
const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

function check16(what: string, ...vs: number[]): void {
  for (const v of vs) if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`${what}: ${v} is not a 16-bit value`);
}

/** IO (Decode16, min, max, alignment, length): small item 0x47 (§6.4.2.5). */
export function io(min: number, max: number, alignment: number, length: number): Aml {
  check16('IO', min, max);
  return Uint8Array.of(0x47, 0x01, ...le16(min), ...le16(max), alignment & 0xff, length & 0xff);
}

/** IRQNoFlags () {irqs}: small item 0x22, a 16-bit mask (§6.4.2.1). */
export function irqNoFlags(...irqs: number[]): Aml {
  let mask = 0;
  for (const i of irqs) {
    if (!Number.isInteger(i) || i < 0 || i > 15) throw new RangeError(`IRQ ${i} is not 0..15`);
    mask |= 1 << i;
  }
  return Uint8Array.of(0x22, ...le16(mask));
}

// Address space descriptors (§6.4.3.5): general flags for ResourceProducer, MinFixed, MaxFixed, PosDecode.
const PRODUCER_MINFIXED_MAXFIXED = 0x0c;

/** WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, min, max, 0, length): large item 0x88, type 2. */
export function wordBusNumber(min: number, max: number): Aml {
  check16('WordBusNumber', min, max);
  return Uint8Array.of(0x88, ...le16(13), 2, PRODUCER_MINFIXED_MAXFIXED, 0, ...le16(0), ...le16(min), ...le16(max), ...le16(0), ...le16(max - min + 1));
}

/** WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, min, max, 0, length): type 1. */
export function wordIo(min: number, max: number): Aml {
  check16('WordIO', min, max);
  return Uint8Array.of(0x88, ...le16(13), 1, PRODUCER_MINFIXED_MAXFIXED, 0x03, ...le16(0), ...le16(min), ...le16(max), ...le16(0), ...le16(max - min + 1));
}

/** DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable|NonCacheable, ReadWrite, 0, min, max, 0, length). */
export function dwordMemory(min: number, max: number, cacheable: boolean): Aml {
  if (!(min >= 0 && max <= 0xffffffff && max >= min)) throw new RangeError(`DWordMemory range 0x${min.toString(16)}-0x${max.toString(16)} is not a 32-bit range`);
  // Type-specific flags: bit 0 ReadWrite, bits 1-2 memory attribute (1 = Cacheable, 0 = NonCacheable).
  const flags = 0x01 | (cacheable ? 0x02 : 0);
  return Uint8Array.of(0x87, ...le16(23), 0, PRODUCER_MINFIXED_MAXFIXED, flags, ...le32(0), ...le32(min), ...le32(max), ...le32(0), ...le32(max - min + 1));
}

/** ResourceTemplate () { descriptors } → Buffer (size) { descriptors, EndTag (0x79, checksum 0) }. */
export function resourceTemplate(...descriptors: Aml[]): Aml {
  const bytes = cat(...descriptors, Uint8Array.of(0x79, 0x00));
  const body = cat(integer(bytes.length), bytes);
  return cat(Uint8Array.of(BUFFER_OP), encodePkgLength(body.length), body);
}

/** Generic Address Structure, 12 bytes (ACPI 6.5 §5.2.3.2, Table 5.1). */
import { getU64, setU64 } from './bytes.js';

export const GAS_SIZE = 12;

export const ADDRESS_SPACE = { SystemMemory: 0, SystemIo: 1, PciConfig: 2, EmbeddedController: 3, Smbus: 4, FixedHardware: 0x7f } as const;

export interface Gas {
  spaceId: number; //    +0 u8 (ADDRESS_SPACE)
  bitWidth: number; //   +1 u8
  bitOffset: number; //  +2 u8
  accessSize: number; // +3 u8 (0 undefined, 1 byte, 2 word, 3 dword, 4 qword; "reserved" in ACPI 2.0)
  address: bigint; //    +4 u64
}

export const readGas = (v: DataView, o: number): Gas => ({
  spaceId: v.getUint8(o),
  bitWidth: v.getUint8(o + 1),
  bitOffset: v.getUint8(o + 2),
  accessSize: v.getUint8(o + 3),
  address: getU64(v, o + 4),
});

export function writeGas(v: DataView, o: number, g: Gas): void {
  v.setUint8(o, g.spaceId);
  v.setUint8(o + 1, g.bitWidth);
  v.setUint8(o + 2, g.bitOffset);
  v.setUint8(o + 3, g.accessSize);
  setU64(v, o + 4, g.address);
}

export const ioGas = (port: number, bitWidth: number): Gas => ({ spaceId: ADDRESS_SPACE.SystemIo, bitWidth, bitOffset: 0, accessSize: 0, address: BigInt(port) });
export const zeroGas = (): Gas => ({ spaceId: 0, bitWidth: 0, bitOffset: 0, accessSize: 0, address: 0n });

// PIIX4 PM and chipset register access through the port bus of a CPU-less
// PC machine, against a plain function-table call as the floor.
import { PcMachine } from '../dist/machine/pc-machine.js';
import { pciConfigAddress } from '../dist/piix4/pci-host.js';

export default async function (h) {
  const m = new PcMachine({ debugcon: [] });
  m.start();
  const bus = m.bus;
  // Firmware PM setup through mechanism #1: PMBA = 0x601, PMREGMISC = 1.
  bus.write(0xcf8, pciConfigAddress(0x0b, 0x40), 4); bus.write(0xcfc, 0x601, 4);
  bus.write(0xcf8, pciConfigAddress(0x0b, 0x80), 4); bus.write(0xcfc, 1, 1);
  const table = new Array(0x10000).fill(() => 0xff);
  const regs = { en: 0 };
  table[0x602] = (v) => { regs.en = v; return regs.en; };
  let sink = 0;
  const N = 1000;
  const floor = h.measure('piix4 floor: function table call', () => {
    for (let i = 0; i < N; i++) sink ^= table[0x602](i);
  }, { perOp: N, unit: 'accesses/s' });
  h.measure('PM1_EN outw+inw (SCI re-evaluated per write)', () => {
    for (let i = 0; i < N; i += 2) { bus.write(0x602, i & 0x0400, 2); sink ^= bus.read(0x602, 2); }
  }, { perOp: N, unit: 'accesses/s', floor });
  h.measure('PM1_STS inw (TMR_STS latch check)', () => {
    for (let i = 0; i < N; i++) sink ^= bus.read(0x600, 2);
  }, { perOp: N, unit: 'accesses/s', floor });
  h.measure('PM_TMR inl (24-bit counter from the virtual clock)', () => {
    for (let i = 0; i < N; i++) { m.clock.advance(1); sink ^= bus.read(0x608, 4); }
  }, { perOp: N, unit: 'accesses/s', floor, note: 'includes one clock.advance per read' });
  h.measure('PM1_CNT outb at +1 (widened, merged, decoded; no SLP_EN)', () => {
    for (let i = 0; i < N; i++) bus.write(0x605, 0x04, 1);
  }, { perOp: N, unit: 'accesses/s', floor });
  h.measure('GPE0 outl split into 4 byte writes', () => {
    for (let i = 0; i < N; i++) bus.write(0xafe0, 0, 4);
  }, { perOp: N, unit: 'accesses/s', floor });
  h.measure('PCI config dword read (outl 0xCF8 + inl 0xCFC)', () => {
    for (let i = 0; i < N; i += 2) { bus.write(0xcf8, 0x80000b00, 4); sink ^= bus.read(0xcfc, 4); }
  }, { perOp: N, unit: 'accesses/s', floor });
  // Heap growth per million PM accesses (target: zero on hot paths).
  if (globalThis.gc) globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 1_000_000; i++) { bus.write(0x602, i & 0x0100, 2); sink ^= bus.read(0x600, 2); }
  if (globalThis.gc) globalThis.gc();
  const grown = process.memoryUsage().heapUsed - before;
  h.report('heap growth per 1M PM1 accesses', grown, 'bytes', undefined, globalThis.gc ? 'after gc' : 'no --expose-gc: includes garbage');
  if (sink === 0.5) console.log(sink);
}

// Port dispatch through the bus, against a plain function-table call as the floor.
import { PortBus, PortRegion } from '../dist/ioports/index.js';

export default async function (h) {
  const state = { v: 0 };
  const ops = {
    name: 'bench-reg', size: 4, valid: { min: 1, max: 4 }, impl: { min: 1, max: 4 },
    read: (s, off) => s.v >>> (off * 8), write: (s, _off, v) => { s.v = v; },
  };
  const narrow = { ...ops, name: 'bench-byte', impl: { min: 1, max: 1 } };
  const wide = { ...ops, name: 'bench-word', size: 2, valid: { min: 1, max: 2 }, impl: { min: 2, max: 2 } };
  const bus = new PortBus();
  bus.map(new PortRegion(ops, state), 0x600);
  bus.map(new PortRegion(narrow, state), 0x700);
  bus.map(new PortRegion(wide, state), 0x800);
  // Floor: a 65,536-entry table of plain functions, as v86's io.js does it.
  const table = new Array(0x10000).fill(() => 0xff);
  table[0x600] = (v) => { state.v = v; return state.v; };
  let sink = 0;
  const N = 1000;
  const floor = h.measure('port dispatch floor: function table call', () => {
    for (let i = 0; i < N; i++) sink ^= table[0x600](i);
  }, { perOp: N, unit: 'accesses/s' });
  h.measure('bus outb+inb, impl matches', () => {
    for (let i = 0; i < N; i += 2) { bus.write(0x600, i & 0xff, 1); sink ^= bus.read(0x600, 1); }
  }, { perOp: N, unit: 'accesses/s', floor });
  h.measure('bus outl+inl split into bytes', () => {
    for (let i = 0; i < N; i += 2) { bus.write(0x700, i, 4); sink ^= bus.read(0x700, 4); }
  }, { perOp: N, unit: 'accesses/s', floor });
  h.measure('bus outb+inb widened to words', () => {
    for (let i = 0; i < N; i += 2) { bus.write(0x800, i & 0xff, 1); sink ^= bus.read(0x801, 1); }
  }, { perOp: N, unit: 'accesses/s', floor });
  h.measure('bus inb unassigned', () => {
    for (let i = 0; i < N; i++) sink ^= bus.read(0x1234, 1);
  }, { perOp: N, unit: 'accesses/s', floor });
  if (sink === 0.5) console.log(sink);
}

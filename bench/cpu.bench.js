// Interpreter speed: MIPS on a 16-bit real-mode and a 32-bit protected-mode ALU loop (register ALU, a load, a
// store, a taken branch), a 32-bit loop calling a subroutine (CALL, Jcc, RET), and guest IN/OUT per second
// through a PortBus with one region.
import { VirtualClock } from '../dist/clock/index.js';
import { PortBus, PortRegion } from '../dist/ioports/index.js';
import { PhysMemory } from '../dist/memory/index.js';
import { Cpu } from '../dist/cpu/index.js';

// start: mov cx,1000 / l: add ax,bx / xor dx,ax / mov [si],dx / add bx,[si+2] / inc bx / dec cx / jnz l / jmp start
const LOOP16 = [0xb9, 0xe8, 0x03, 0x01, 0xd8, 0x31, 0xc2, 0x89, 0x14, 0x03, 0x5c, 0x02, 0x43, 0x49, 0x75, 0xf3, 0xeb, 0xee];
// the same in 32-bit code (ecx, eax, ebx, edx, [esi], [esi+4])
const LOOP32 = [0xb9, 0xe8, 0x03, 0x00, 0x00, 0x01, 0xd8, 0x31, 0xc2, 0x89, 0x16, 0x03, 0x5e, 0x04, 0x43, 0x49, 0x75, 0xf3, 0xeb, 0xec];
// l: call f / dec ecx / jnz l / jmp l    f: add eax,ebx / cmp eax,5 / jz s / inc edx / s: ret
const CALL32 = [0xe8, 0x05, 0x00, 0x00, 0x00, 0x49, 0x75, 0xf8, 0xeb, 0xf6, 0x01, 0xd8, 0x83, 0xf8, 0x05, 0x74, 0x01, 0x42, 0xc3];
// l: fld qword [esi] / fmul qword [esi+8] / fadd qword [esi] / fstp qword [esi+16] / jmp l   (x87, 80-bit)
const FPU32 = [0xdd, 0x06, 0xdc, 0x4e, 0x08, 0xdc, 0x06, 0xdd, 0x5e, 0x10, 0xeb, 0xf4];
// l: out dx,al / in al,dx / out dx,ax / in ax,dx / jmp l   (4 port accesses per 5 instructions)
const IOLOOP = [0xee, 0xec, 0x66, 0xef, 0x66, 0xed, 0xeb, 0xf8];

function machine(bus = new PortBus(), jit = true) {
  const mem = new PhysMemory(16 << 20);
  const cpu = new Cpu({ mem, io: bus, clock: new VirtualClock(), jit });
  return { mem, cpu };
}

export default async function (h) {
  const N = 1_000_000;
  for (const jit of [false, true]) {
    const tag = jit ? 'compiled blocks' : 'interpreter only';
    {
      const { mem, cpu } = machine(new PortBus(), jit);
      mem.load(0x1000, new Uint8Array(LOOP16));
      cpu.setReg('cs', 0); cpu.setReg('ip', 0x1000); cpu.setReg('si', 0x8000);
      h.measure(`cpu 16-bit real-mode ALU loop (${tag})`, () => { cpu.run(N); }, { perOp: N / 1e6, unit: 'MIPS' });
    }
    {
      const { mem, cpu } = machine(new PortBus(), jit);
      mem.load(0x100000, new Uint8Array(LOOP32));
      cpu.setFlatProtectedMode(0x100000, { esi: 0x200000 });
      h.measure(`cpu 32-bit protected-mode ALU loop (${tag})`, () => { cpu.run(N); }, { perOp: N / 1e6, unit: 'MIPS' });
    }
    {
      const { mem, cpu } = machine(new PortBus(), jit);
      mem.load(0x100000, new Uint8Array(CALL32));
      cpu.setFlatProtectedMode(0x100000, { esp: 0x300000 });
      h.measure(`cpu 32-bit CALL/Jcc/RET loop (${tag})`, () => { cpu.run(N); }, { perOp: N / 1e6, unit: 'MIPS' });
    }
  }
  {
    // x87 loads, arithmetic and stores (normal numbers: the fast path of src/cpu/fpu/f80-fast.ts), interpreter
    const { mem, cpu } = machine(new PortBus(), false);
    mem.load(0x100000, new Uint8Array(FPU32));
    const data = new DataView(mem.store.buffer, mem.store.byteOffset + 0x200000, 24);
    data.setFloat64(0, 1.5, true); data.setFloat64(8, 0.75, true);
    cpu.setFlatProtectedMode(0x100000, { esi: 0x200000 });
    const M = 100_000;
    h.measure('cpu 32-bit x87 loop: FLD/FMUL/FADD/FSTP m64 (interpreter)', () => { cpu.run(M); }, { perOp: M / 1e6, unit: 'MIPS' });
  }
  {
    const state = { v: 0 };
    const bus = new PortBus();
    bus.map(new PortRegion({ name: 'bench-port', size: 4, read: (s) => s.v, write: (s, _o, v) => { s.v = v; } }, state), 0x600);
    const { mem, cpu } = machine(bus);
    mem.load(0x100000, new Uint8Array(IOLOOP));
    cpu.setFlatProtectedMode(0x100000, { edx: 0x600 });
    const M = 500_000;
    h.measure('cpu guest IN/OUT through a PortBus', () => { cpu.run(M); }, { perOp: (M * 4) / 5, unit: 'accesses/s' });
  }
}

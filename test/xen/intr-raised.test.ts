// Xen's vPIC tells the vCPU when its INTR output goes up, as the PC's 8259 does (test/machine/intr-raised.test.ts):
// the HVM guest's interrupt line forwards the CPU's IntrLine.onIntr to the vPIC, so an interrupt one of Xen's own
// port handlers raises during an IN is taken right after that IN, not when the vCPU's slice ends (on real Xen the
// emulated IN completes and the next VM entry injects the pending interrupt: vmx_intr_assist). Here a Multiboot
// kernel programs the vPIC and LINT0, takes an IN from a port Xen itself serves (register_portio_handler, as the vPIT
// and vRTC are) whose read asserts ISA IRQ 5, and halts in the handler; the IP it pushed says where it was taken.
import { describe, expect, it } from 'vitest';
import type { RegionOps } from '../../src/ioports/region.js';
import { CpuGuest } from '../../src/xen-hvm/cpu-guest.js';
import type { GuestCtx } from '../../src/xen-hvm/guest.js';
import { runXenDomain } from '../../src/xen-hvm/run-xen-domain.js';
import { multibootImage } from '../multiboot-image.js';

const ENTRY = 0x100020, STACK = 0x90000, DEV_PORT = 0x510, VECTOR = 0x25; // IRQ 5 at the vPIC's base 0x20
const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];

/** The guest: vPIC at 0x20 with only IRQ 5 unmasked, LINT0 as ExtINT, a GDT and an IDT gate for 0x25, then sti / in / 32 nops / hlt. */
function program(): { code: number[]; afterIn: number } {
  const gate = 0x8000 + VECTOR * 8, idtr = 0x7ff0, gdt = 0x7f00, gdtr = 0x7fe0;
  const head = [
    0xbc, ...u32(STACK), // mov esp, STACK
    0xb0, 0x11, 0xe6, 0x20, 0xb0, 0x20, 0xe6, 0x21, // ICW1, ICW2: vectors 0x20-0x27
    0xb0, 0x04, 0xe6, 0x21, 0xb0, 0x01, 0xe6, 0x21, // ICW3, ICW4
    0xb0, 0xdf, 0xe6, 0x21, // OCW1: IRQ 5 alone unmasked
    0xc7, 0x05, ...u32(0xfee00350), ...u32(0x700), // LVT LINT0 = ExtINT (the local APIC masks the PIC after reset)
    // a GDT of its own (Multiboot 3.2: GDTR may be invalid at entry) whose 0x08 is the flat code segment CS holds
    0xc7, 0x05, ...u32(gdt + 8), ...u32(0x0000ffff), 0xc7, 0x05, ...u32(gdt + 12), ...u32(0x00cf9b00),
    0x66, 0xc7, 0x05, ...u32(gdtr), 0x0f, 0x00, // GDTR limit 0x0f
    0xc7, 0x05, ...u32(gdtr + 2), ...u32(gdt), // GDTR base
    0x0f, 0x01, 0x15, ...u32(gdtr), // lgdt [gdtr]
  ];
  const gateAt = (handler: number): number[] => [
    0xb8, ...u32(handler), // mov eax, handler
    0x66, 0xa3, ...u32(gate), // mov [gate], ax
    0x66, 0xc7, 0x05, ...u32(gate + 2), 0x08, 0x00, // selector 0x08
    0x66, 0xc7, 0x05, ...u32(gate + 4), 0x00, 0x8e, // 32-bit interrupt gate, present
    0xc1, 0xe8, 0x10, // shr eax, 16
    0x66, 0xa3, ...u32(gate + 6), // mov [gate+6], ax
    0x66, 0xc7, 0x05, ...u32(idtr), 0xff, 0x07, // IDTR limit 0x7ff
    0xc7, 0x05, ...u32(idtr + 2), ...u32(0x8000), // IDTR base 0x8000
    0x0f, 0x01, 0x1d, ...u32(idtr), // lidt [idtr]
  ];
  const tail = [0xfb, 0x66, 0xba, DEV_PORT & 0xff, DEV_PORT >> 8, 0xec]; // sti; mov dx, DEV_PORT; in al, dx
  const rest = [...Array<number>(32).fill(0x90), 0xf4]; // 32 x nop; hlt
  const setupLen = head.length + gateAt(0).length;
  const afterIn = ENTRY + setupLen + tail.length;
  const handler = afterIn + rest.length;
  return { code: [...head, ...gateAt(handler), ...tail, ...rest, 0xfa, 0xf4], afterIn }; // handler: cli; hlt
}

/** An HVM guest with one more port Xen serves itself: reading it asserts ISA IRQ 5 at the vPIC. */
class IrqOnReadGuest extends CpuGuest {
  reads = 0;
  override boot(ctx: GuestCtx): void {
    super.boot(ctx);
    const ops: RegionOps<IrqOnReadGuest> = {
      name: 'irq-on-read', size: 1,
      read: (g) => { g.reads++; ctx.d.hooks.setIsaIrq!(5, true); return 0; },
      write: () => {},
    };
    ctx.io.addIntercept(DEV_PORT, 1, ops, this);
  }
}

describe('INTR going up reaches the vCPU in Xen mode', () => {
  it('an IRQ raised by one of Xen\'s port handlers during an IN is taken right after the IN', () => {
    const { code, afterIn } = program();
    let guest: IrqOnReadGuest | null = null;
    const r = runXenDomain({
      configText: 'name = "guest"\nmemory = 16\nvcpus = 1\nkernel = "intr.bin"\nacpi = 0\n',
      guestFactory: (cfg) => (guest = new IrqOnReadGuest({ kernel: multibootImage(code), memoryMb: cfg.memory, name: 'intr', noAcpi: true })),
      limitNs: 1e9,
    });
    expect(guest).not.toBeNull();
    const g = guest!;
    expect(g.reads).toBe(1);
    // the handler's cli; hlt: all vCPUs down, so Xen shuts the domain down (reason 0), as for an acpi=off halt
    expect(r.xenConsole).toContain('(XEN) d1v0 All CPUs offline -- powering off.');
    // the interrupt frame: EIP, CS, EFLAGS below STACK. EIP is the instruction after the IN, not the HLT after the
    // NOPs (where the vCPU would take it if it only looked at INTR when its slice ends)
    const dv = new DataView(g.ram.buffer, g.ram.byteOffset);
    expect(dv.getUint32(STACK - 12, true)).toBe(afterIn);
    expect(dv.getUint32(STACK - 4, true) & 0x200).toBe(0x200); // IF was set when it was taken
  });
});

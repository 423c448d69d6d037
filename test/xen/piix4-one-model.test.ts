// One PIIX4 / ACPI PM model for both modes (issue 12): Xen mode's qemu-dm is src/piix4 (PCI host, PIIX4 PM function
// with its write masks) and src/acpi (PM1a_CNT with QEMU mode's access-size rules) under the board policy
// QEMU_XEN_TRADITIONAL_POLICY. These drive the device model through its port bus, as an ioreq does.
import { describe, expect, it } from 'vitest';
import { QEMU_XEN_TRADITIONAL_POLICY, SLP_EN } from '../../src/acpi/index.js';
import { Trace } from '../../src/trace/trace.js';
import { buildQemuDmModel, type QemuDmSink } from '../../src/xen-hvm/qemu-dm-model.js';
import { HVM_PARAM_ACPI_S_STATE, HYPERVISOR_dm_op, XEN_DMOP_set_isa_irq_level } from '../../src/xen-hvm/xen-abi.js';

function model() {
  const sleeps: string[] = [];
  const out = { text: '' };
  const calls: number[][] = [];
  const sink: QemuDmSink = {
    log: () => {}, reset: () => {}, issued: () => {}, fatal: () => {}, serial: (t) => void (out.text += t),
    sleep: (kind, typ, value, port) => void sleeps.push(`${kind} typ ${typ} value 0x${value.toString(16)} port 0x${port.toString(16)}`),
  };
  const m = buildQemuDmModel({ call: (op, args) => (calls.push([op, ...Array.from(args)]), 0) }, { domid: 1, trace: new Trace(), sink });
  return { m, sleeps, calls, out };
}

const cfg = (m: ReturnType<typeof model>['m'], devfn: number, reg: number, size: 1 | 2 | 4): number => {
  m.bus.write(0xcf8, (0x8000_0000 | (devfn << 8) | (reg & 0xfc)) >>> 0, 4);
  return m.bus.read(0xcfc + (reg & 3), size);
};

describe('Xen mode\'s qemu-dm uses src/piix4 and src/acpi', () => {
  it('every SLP_TYP with SLP_EN, as a word write to 0xB004, decodes by QEMU_XEN_TRADITIONAL_POLICY (V1 and V0 values)', () => {
    // Xen tools/libacpi: \_S5 = 0, \_S3 = 1, \_S4 = 0 (V1); the old V0 tables: S3 = 5, S4 = 6, S5 = 7.
    const want = ['S5', 'S3', null, null, null, 'S3', 'S4', 'S5'];
    for (let typ = 0; typ < 8; typ++) {
      const { m, sleeps } = model();
      expect(m.acpi.policy).toBe(QEMU_XEN_TRADITIONAL_POLICY);
      m.bus.write(0xb004, (typ << 10) | 1, 2); // SLP_TYP alone: never a request
      expect(sleeps).toEqual([]);
      m.bus.write(0xb004, (typ << 10) | SLP_EN | 1, 2);
      expect(sleeps).toEqual(want[typ] ? [`${want[typ]} typ ${typ} value 0x${((typ << 10) | SLP_EN | 1).toString(16)} port 0xb004`] : []);
      // SLP_EN never reads back; SCI_EN stays (ACPI-only: set from reset).
      expect(m.bus.read(0xb004, 2) & (SLP_EN | 1)).toBe(1);
    }
  });

  it('the access-size rules of QEMU mode\'s acpi-cnt: a byte at +1 merges and triggers, a byte at +0 never does', () => {
    const a = model();
    a.m.bus.write(0xb005, 0x20, 1); // SLP_EN | SLP_TYP 0 in the high byte, SCI_EN kept from the low byte
    expect(a.sleeps).toEqual(['S5 typ 0 value 0x2001 port 0xb005']);
    expect(a.m.pending.shutdown).toBe(true);
    const b = model();
    b.m.bus.write(0xb004, 0x01, 1);
    expect(b.sleeps).toEqual([]);
  });

  it('S3 sets HVM_PARAM_ACPI_S_STATE = 3 through the DM\'s hypercall and leaves no shutdown pending', () => {
    const { m, sleeps, calls } = model();
    m.bus.write(0xb004, (1 << 10) | SLP_EN | 1, 2);
    expect(sleeps).toEqual(['S3 typ 1 value 0x2401 port 0xb004']);
    expect(m.pending.shutdown).toBe(false);
    expect(calls.some((c) => c.includes(HVM_PARAM_ACPI_S_STATE) && c.at(-1) === 3)).toBe(true);
    expect(m.takeCmosShutdownStatus()).toBe(0xfe);
  });

  it('PCI config is src/piix4\'s: hvmloader\'s PMBA 0xB000|1, read-only identity, write masks on the PIIX4 PM function', () => {
    const { m } = model();
    const PM = (1 << 3) | 3;
    expect(cfg(m, PM, 0x00, 4)).toBe(0x7113_8086);
    expect(cfg(m, PM, 0x40, 4)).toBe(0xb001);
    expect(cfg(m, PM, 0x80, 1)).toBe(1);
    expect(cfg(m, PM, 0x3c, 1)).toBe(9);
    // The vendor/device ids do not change on a write (the old Xen-only copy had no write masks at all).
    m.bus.write(0xcf8, 0x8000_0000 | (PM << 8), 4);
    m.bus.write(0xcfc, 0x1234_5678, 4);
    expect(cfg(m, PM, 0x00, 4)).toBe(0x7113_8086);
    // The PM block moves with PMBA as in QEMU mode: PM1a_CNT follows it.
    m.bus.write(0xcf8, 0x8000_0000 | (PM << 8) | 0x40, 4);
    m.bus.write(0xcfc, 0xc001, 4);
    expect(m.piix4.window).toEqual({ base: 0xc000, enabled: true });
    expect(m.bus.read(0xc004, 2) & 1).toBe(1);
    // An empty slot reads all-ones.
    expect(cfg(m, 5 << 3, 0, 4)).toBe(0xffff_ffff);
  });

  it('COM1 is qemu-dm\'s: transmitted bytes reach the sink, the interrupt line goes to Xen as XEN_DMOP_set_isa_irq_level', () => {
    const { m, calls, out } = model();
    m.bus.write(0x3f9, 0x02, 1); // IER: THRI
    m.bus.write(0x3fc, 0x08, 1); // MCR: OUT2
    m.bus.write(0x3f8, 0x41, 1);
    // IRQ 4 through the dm_op hypercall (__HYPERVISOR_dm_op 41, XEN_DMOP_set_isa_irq_level 9), on each change:
    // THRI enabled with THR empty raises it, the THR write lowers it, the (immediate) transmit raises it again.
    const irq = () => calls.filter((c) => c[0] === HYPERVISOR_dm_op && c[1] === XEN_DMOP_set_isa_irq_level).map((c) => c.slice(2));
    expect(irq()).toEqual([[1, 4, 1], [1, 4, 0], [1, 4, 1]]);
    // The text goes to the sink when the ioreq is answered (beforeResponse), not byte by byte.
    m.hooks!.beforeResponse!(0, { dataLo: 0 } as never);
    expect(out.text).toBe('A');
    // Reading IIR acknowledges the THRE interrupt: the line drops, one more call.
    m.bus.read(0x3fa, 1);
    expect(irq()).toEqual([[1, 4, 1], [1, 4, 0], [1, 4, 1], [1, 4, 0]]);
  });
});

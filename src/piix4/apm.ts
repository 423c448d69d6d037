/**
 * APM control/status at 0xB2/0xB3 (QEMU hw/isa/apm.c): a write to 0xB2 stores
 * the value and calls the chipset's callback; 0xB3 only stores. Both read
 * back. impl 1..1, so wider accesses are split into bytes. Not reset.
 */
import type { RegionOps } from '../ioports/region.js';
import { defineEvent, hex } from '../trace/trace.js';

export const APM_CNT_PORT = 0xb2;
export const APM_STS_PORT = 0xb3;
/** PIIX4 ACPI_ENABLE / ACPI_DISABLE values (hw/acpi/piix4.c). ICH9 uses 0x02/0x03. */
export const ACPI_ENABLE = 0xf1;
export const ACPI_DISABLE = 0xf0;

export const tr = {
  write: defineEvent('piix4', 'apm_io_write', (a: { addr: number; val: number }) => `addr 0x${hex(a.addr)} <== 0x${hex(a.val, 2)}`),
};

export interface ApmState {
  apmc: number;
  apms: number;
  /** Chipset callback on APM_CNT writes (PIIX4 `apm_ctrl_changed`). */
  callback: (val: number) => void;
  readonly trace: import('../trace/trace.js').Trace;
}

export const apmVmState = { name: 'APM State', version: 1, fields: ['apmc', 'apms'] } as const;

export const apmOps: RegionOps<ApmState> = {
  name: 'apm-io',
  size: 2,
  impl: { min: 1, max: 1 },
  read: (s, off) => ((off & 1) === 0 ? s.apmc : s.apms),
  write: (s, off, val) => {
    if (s.trace.on(tr.write)) s.trace.emit(tr.write, { addr: off & 1, val });
    if ((off & 1) === 0) {
      s.apmc = val;
      s.callback(val);
    } else {
      s.apms = val;
    }
  },
};

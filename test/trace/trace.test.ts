import createDebug from 'debug';
import { afterEach, describe, expect, it } from 'vitest';
import { qtestMachine } from '../../src/machine/qtest.js';
import { attachDebug } from '../../src/trace/debug-sink.js';
import { jsonLine, Trace } from '../../src/trace/trace.js';

describe('one structured trace, rendered through debug namespaces and as JSON lines', () => {
  const saved = createDebug.log;
  afterEach(() => {
    createDebug.log = saved;
    createDebug.disable();
  });

  it('DEBUG=acpidm:acpi shows the PM1_CNT write of a guest S5 and nothing from other layers', () => {
    createDebug.enable('acpidm:acpi');
    const lines: string[] = [];
    createDebug.log = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
    const trace = new Trace();
    attachDebug(trace);
    const q = qtestMachine({ pmBase: 0x600, trace });
    q.outw(0x604, 0x2000);
    const text = lines.join('\n');
    expect(text).toMatch(/acpidm:acpi .*acpi_pm1_cnt_write val 0x2000 <== typ 0 SLP_EN -> S5/);
    expect(text).not.toMatch(/acpidm:ioport|acpidm:machine/);
  });

  it('records are JSON lines with the namespace, the event name, virtual time and typed arguments', () => {
    const trace = new Trace().recordEverything();
    const q = qtestMachine({ pmBase: 0x600, trace });
    q.clockStep(1000);
    q.outw(0x604, 0x2000);
    const rec = trace.find('acpi_pm1_cnt_write').at(-1)!;
    const j = JSON.parse(jsonLine(rec));
    expect(j).toMatchObject({ ns: 'acpidm:acpi', event: 'acpi_pm1_cnt_write', args: { val: 0x2000, typ: 0 } });
    expect(j.t).toBeGreaterThanOrEqual(1000);
  });

  it('a disabled event costs no record', () => {
    const trace = new Trace();
    const q = qtestMachine({ pmBase: 0x600, trace });
    q.outw(0x604, 0x2000);
    expect(trace.history).toHaveLength(0);
  });
});

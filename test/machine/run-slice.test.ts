// PcMachine.runSlice and the CPU seam (src/machine/cpu-port.ts), with a
// scripted test CPU that honours the CpuPort contract: one op per
// instruction, clock advanced before each port access, stop at the next
// boundary after requestStop(), HLT until INTR.
import { describe, expect, it } from 'vitest';
import type { CpuExitReason, CpuPort } from '../../src/machine/cpu-port.js';
import { PcMachine } from '../../src/machine/pc-machine.js';
import { qtestMachine } from '../../src/machine/qtest.js';

type Op = { out: [port: number, value: number, size: 1 | 2 | 4] } | { in: [port: number, size: 1 | 2 | 4] } | 'nop' | 'hlt' | 'cli-hlt' | 'triple';

class ScriptCpu implements CpuPort {
  pc = 0;
  retired = 0;
  halted = false;
  ifFlag = true;
  stop = false;
  resets = 0;
  executed: number[] = [];
  reads: number[] = [];
  vectors: number[] = [];
  onTripleFault: ((cpu: never) => void) | null = null;
  constructor(private readonly m: PcMachine, private readonly prog: Op[]) {}
  requestStop(): void { this.stop = true; }
  reset(): void { this.pc = 0; this.halted = false; this.ifFlag = true; this.resets++; }
  run(max: number): CpuExitReason {
    this.retired = 0;
    this.stop = false;
    while (this.retired < max) {
      if (this.ifFlag && this.m.pic.intr()) { this.halted = false; this.vectors.push(this.m.pic.ack()); }
      if (this.halted) return this.ifFlag ? 'halted' : 'halted-cli';
      const op = this.prog[this.pc] ?? 'nop';
      this.m.clock.addInstructions(1); // sync before the I/O
      this.retired++;
      this.executed.push(this.pc++);
      if (op === 'hlt') this.halted = true;
      else if (op === 'cli-hlt') { this.ifFlag = false; this.halted = true; }
      else if (op === 'triple') { this.onTripleFault?.(this as never); return 'triple-fault'; }
      else if (op !== 'nop' && 'out' in op) this.m.bus.write(op.out[0], op.out[1], op.out[2]);
      else if (op !== 'nop' && 'in' in op) this.reads.push(this.m.bus.read(op.in[0], op.in[1]));
      if (this.stop) return 'stopped';
    }
    return 'budget';
  }
}

function boot(prog: Op[], opts: ConstructorParameters<typeof PcMachine>[0] = {}) {
  const q = qtestMachine({ pmBase: 0x600, ...opts });
  const cpu = new ScriptCpu(q.machine, prog);
  q.machine.attachCpu(cpu);
  return { q, m: q.machine, cpu };
}

describe('runSlice', () => {
  it('without a CPU it only services the run state', () => {
    const q = qtestMachine({ pmBase: 0x600 });
    expect(q.machine.runSlice(1000)).toBe('idle');
    q.outw(0x604, 0x2000);
    expect(q.machine.runSlice(1000)).toBe('exit');
  });

  it('S5: the shutdown does not stop the vCPU, the slice ends at its budget, then exit; evidence has the instruction count', () => {
    const { m, cpu } = boot(['nop', 'nop', { out: [0x604, 0x2000, 2] }, 'nop', 'nop', 'nop']);
    m.trace.enable('machine_insns_after_request');
    expect(m.runSlice(5)).toBe('exit');
    expect(cpu.executed).toEqual([0, 1, 2, 3, 4]);
    const e = m.runState.log.find((x) => x.event === 'SHUTDOWN')!;
    expect(e.cause!.evidence).toMatchObject({ insns: 3, tNs: 3, port: 0x604 });
    // the trace records how many instructions ran after the write (2 here: the slice budget was 5)
    expect(m.trace.find('machine_insns_after_request').map((r) => r.args)).toEqual([{ event: 'SHUTDOWN', mechanism: 'pm1a-cnt', insns: 2 }]);
  });

  it('S3: the suspend request stops the vCPU after the OUT; SUSPEND; then idle while suspended', () => {
    const { m, cpu } = boot(['nop', { out: [0x604, 0x2400, 2] }, 'nop', 'nop']);
    expect(m.runSlice(100)).toBe('budget');
    expect(cpu.executed).toEqual([0, 1]);
    expect(m.runState.state).toBe('suspended');
    expect(m.runSlice(100)).toBe('idle');
  });

  it('0xCF9 reset: vCPU stopped after the OUT, machine and CPU reset, RESET emitted, execution restarts at 0', () => {
    const { m, cpu } = boot(['nop', { out: [0xcf9, 0x06, 1] }, 'nop']);
    expect(m.runSlice(100)).toBe('budget');
    expect(cpu.executed).toEqual([0, 1]);
    expect(cpu.resets).toBe(1);
    expect(cpu.pc).toBe(0);
    expect(m.runState.log.at(-1)).toMatchObject({ event: 'RESET', data: { guest: true, reason: 'guest-reset' } });
  });

  it('a triple fault becomes RESET {guest, guest-reset} with mechanism triple-fault', () => {
    const { m } = boot(['nop', 'triple']);
    m.runSlice(100);
    expect(m.runState.log.at(-1)).toMatchObject({ event: 'RESET', data: { guest: true, reason: 'guest-reset' }, cause: { mechanism: 'triple-fault' } });
  });

  it('the PM timer moves inside a slice (the CPU syncs the clock before each IN)', () => {
    const { m, cpu } = boot([{ in: [0x608, 4] }, 'nop', 'nop', 'nop', { in: [0x608, 4] }], { icountShift: 10 });
    m.runSlice(5);
    // 4 instructions at 1024 ns each between the reads
    expect(cpu.reads[1]! - cpu.reads[0]!).toBe(Math.floor(5 * 1024 * 3_579_545 / 1e9) - Math.floor(1024 * 3_579_545 / 1e9));
  });

  it('HLT with IF=1 warps to the next timer: a TMR_EN overflow SCI wakes the CPU through the PICs', () => {
    const prog: Op[] = [
      // PIC init: master base 0x08, slave base 0x70, unmask cascade and IRQ 9; ELCR IRQ 9 level
      { out: [0x20, 0x11, 1] }, { out: [0x21, 0x08, 1] }, { out: [0x21, 0x04, 1] }, { out: [0x21, 0x01, 1] },
      { out: [0xa0, 0x11, 1] }, { out: [0xa1, 0x70, 1] }, { out: [0xa1, 0x02, 1] }, { out: [0xa1, 0x01, 1] },
      { out: [0x21, 0xfb, 1] }, { out: [0xa1, 0xfd, 1] }, { out: [0x4d1, 0x02, 1] },
      { out: [0x600, 0x0001, 2] }, { out: [0x602, 0x0001, 2] }, // clear TMR_STS, TMR_EN
      'hlt', { in: [0x600, 2] }, { out: [0x604, 0x2000, 2] },
    ];
    const { m, cpu } = boot(prog);
    let r = m.runSlice(1000);
    for (let i = 0; i < 10 && r === 'budget' && cpu.vectors.length === 0; i++) r = m.runSlice(1000);
    expect(cpu.vectors).toEqual([0x71]);
    expect(m.clock.ns()).toBeGreaterThanOrEqual(Math.floor(0x800000 * 1e9 / 3_579_545));
    for (let i = 0; i < 10 && r !== 'exit'; i++) r = m.runSlice(1000);
    expect(r).toBe('exit');
    expect(cpu.reads[0]! & 0x0001).toBe(1); // TMR_STS
  });

  it('HLT with IF=0 is idle forever and says so', () => {
    const { m } = boot(['nop', 'cli-hlt']);
    expect(m.runSlice(100)).toBe('idle');
    expect(m.haltedForever).toBe(true);
    m.runState.requestPowerdown({ requester: 'host', mechanism: 'qmp', what: 'system_powerdown' });
    expect(m.runSlice(100)).toBe('idle');
    expect(m.runState.log.at(-1)!.event).toBe('POWERDOWN');
    expect(m.runState.state).toBe('running');
  });
});

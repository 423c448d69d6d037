/** `-device isa-debug-exit` and `-device pc-testdev` mapped on a PcSystem's port bus (src/piix4 has the models). */
import { PortRegion } from '../ioports/region.js';
import type { PcSystem } from '../machine/pc-system.js';
import { debugExitOps, type DebugExitState } from '../piix4/debug-exit.js';
import {
  PC_TESTDEV_FLUSH, PC_TESTDEV_IOPORT, PC_TESTDEV_IOPORT_BYTE, PC_TESTDEV_IRQ, type PcTestdevState,
  testdevFlushOps, testdevIoportByteOps, testdevIoportOps, testdevIrqOps,
} from '../piix4/pc-testdev.js';
import type { RunConfig } from './qemu-args.js';

export function attachTestDevices(sys: PcSystem, cfg: Pick<RunConfig, 'debugExit' | 'pcTestdev'>): void {
  const m = sys.machine;
  if (cfg.debugExit) {
    const st: DebugExitState = {
      iobase: cfg.debugExit.iobase,
      trace: m.trace,
      exit: (status) => {
        // QEMU debug_exit_write calls exit() at once: the process ends with this status, whatever the run state.
        m.runState.exitStatus = status;
        sys.cpu.requestStop();
      },
    };
    m.bus.map(new PortRegion(debugExitOps(cfg.debugExit.iosize), st), cfg.debugExit.iobase);
  }
  if (cfg.pcTestdev) {
    const st: PcTestdevState = {
      data: 0,
      setIrq: (line, level) => { if (line < 16) m.pic.setIrq(line, level); }, // 16..23 go to the IOAPIC, not modelled
      flushPage: () => sys.cpu.invalidateCode(),
    };
    m.bus.map(new PortRegion(testdevIoportOps, st), PC_TESTDEV_IOPORT);
    m.bus.map(new PortRegion(testdevFlushOps, st), PC_TESTDEV_FLUSH);
    m.bus.map(new PortRegion(testdevIoportByteOps, st), PC_TESTDEV_IOPORT_BYTE);
    m.bus.map(new PortRegion(testdevIrqOps, st), PC_TESTDEV_IRQ);
  }
}

/**
 * V8's tiering, tuned for an emulator. Every Node entry point (bin/acpidm.js, bin/acpidm-qemu.js, the bench's
 * processes) applies it before the emulator's modules load; a browser runs the engine's defaults.
 *
 * V8 counts the bytecode a function runs against an interrupt budget (66 KiB in Node 20's V8) and, after a few
 * budgets, compiles it with TurboFan from the type feedback gathered so far. An emulator's hot set moves as the guest
 * goes from its decompressor to the kernel's start, its initcalls and user space, and each new phase reaches paths of
 * the run loop, the block compiler and the devices that the earlier ones never took: functions optimised early on
 * little feedback were deoptimised and compiled again. In a first Linux boot (bench/linux-boot, 221 M instructions)
 * V8 ran 191 TurboFan compiles; with three times the budget, 89 (`--trace-opt`). Measured on 8 alternating
 * processes each: first boot CPU time -7% to -16%, the main thread's within +6% (it runs unoptimised code a little
 * longer); a second boot in the same process pays +8-12% (src/cpu/README, "V8's tiering").
 */
import { setFlagsFromString } from 'node:v8';

/** The flags, each as `--name=value`. */
export const ENGINE_FLAGS: readonly string[] = ['--interrupt-budget=200000'];

/**
 * The flags to set: ENGINE_FLAGS less those whose name the user already gave node (`node --interrupt-budget=N
 * bin/acpidm.js ...` keeps N).
 */
export function engineFlags(execArgv: readonly string[]): string[] {
  const given = new Set(execArgv.map((a) => a.split('=')[0]!.replace(/_/g, '-')));
  return ENGINE_FLAGS.filter((f) => !given.has(f.split('=')[0]!));
}

/** Sets engineFlags(process.execArgv); the names of those set. */
export function tuneEngine(): string[] {
  const flags = engineFlags(process.execArgv);
  for (const f of flags) setFlagsFromString(f);
  return flags;
}

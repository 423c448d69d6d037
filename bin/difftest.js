#!/usr/bin/env node
// npm run difftest -- [--n N] [--seed S] [--per-rom K] [--oracles qemu,bochs] [--interpreter] [--all] [--explained]:
// random instruction sequences on acpidm vs real QEMU and Bochs, summary per instruction form.
// The driver lives in src/cpu/difftest (built into dist/ by `npm run build`).
import { main } from '../dist/cpu/difftest/difftest-node.js';

try {
  process.exit(main(process.argv.slice(2), (s) => process.stdout.write(s + '\n')));
} catch (e) {
  process.stderr.write(`difftest: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
}

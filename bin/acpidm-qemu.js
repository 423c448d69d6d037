#!/usr/bin/env node
// `acpidm run` under the name a management stack expects of an emulator: it takes qemu-system-x86_64's
// command line directly (no `run` word), so libvirt's <emulator> can exec this file as it execs QEMU.
import { loadCli } from './load-cli.js';

const main = await loadCli('acpidm-qemu');
process.exitCode = await main(['run', ...process.argv.slice(2)]);

// ACPI: \_S5_ extraction from a real DSDT (the walker, against a naive byte scan as the floor) and the
// rate at which a machine's complete table set is built and installed.
import { existsSync, readFileSync } from 'node:fs';
import { findSleepPackages } from '../dist/acpi/aml/index.js';
import { installTables, layoutTables } from '../dist/acpi/install/index.js';
import { qemuPcProfile, xenHvmloaderProfile } from '../dist/acpi/profiles/index.js';
import { buildFadt, parseFadt } from '../dist/acpi/tables/index.js';

const REAL = new URL('../../shared/corpus/acpi/real/', import.meta.url);

/** The hobby-OS approach: find 08 ['\'] "_S5_" 12 anywhere and read the first element. No scopes, no If. */
function naiveS5(b) {
  for (let i = 36; i + 10 < b.length; i++) {
    if (b[i] === 0x5f && b[i + 1] === 0x53 && b[i + 2] === 0x35 && b[i + 3] === 0x5f && b[i + 4] === 0x12 && (b[i - 1] === 0x08 || (b[i - 1] === 0x5c && b[i - 2] === 0x08))) {
      const p = i + 5 + ((b[i + 5] >> 6) + 1) + 1;
      return b[p] === 0x0a ? b[p + 1] : b[p];
    }
  }
  return -1;
}

export default async function (h) {
  let sink = 0;
  for (const [label, file] of [
    ['HUAWEI BOD-WXX9, 244 KB', 'Notebook_HUAWEI_BOD-WXX9_2052EC1EF02F.DSDT.aml'],
    ['Apple Macmini6,2, 17 KB', 'Mini_Pc_Apple_Macmini6_2_11618970C18C.DSDT.aml'],
  ]) {
    const url = new URL(file, REAL);
    if (!existsSync(url)) {
      h.report(`acpi: \\_S5_ extraction (${label})`, 0, 'tables/s', undefined, 'corpus absent: skipped');
      continue;
    }
    const dsdt = new Uint8Array(readFileSync(url));
    const floor = h.measure(`acpi: naive _S5_ byte scan (${label})`, () => { sink ^= naiveS5(dsdt); }, { unit: 'tables/s' });
    const rate = h.measure(`acpi: \\_S5_ extraction, full walk (${label})`, () => { sink ^= findSleepPackages(dsdt).packages.length; }, { unit: 'tables/s', floor });
    h.report(`acpi: \\_S5_ extraction throughput (${label})`, (rate * dsdt.length) / 1e6, 'MB/s');
  }
  h.measure('acpi: build pc table set (profile + layout, 5 tables)', () => { sink ^= layoutTables(qemuPcProfile(), 128 << 20).tables.length; }, { unit: 'sets/s' });
  h.measure('acpi: build xen table set (profile + layout, 9 tables)', () => { sink ^= layoutTables(xenHvmloaderProfile(), 128 << 20).tables.length; }, { unit: 'sets/s' });
  const fadt = xenHvmloaderProfile().tables.fadt;
  const fadtBytes = buildFadt(fadt);
  h.measure('acpi: FADT rev 4 build + parse', () => { sink ^= parseFadt(buildFadt(fadt)).sciInt; sink ^= fadtBytes[9]; }, { unit: 'ops/s' });
  const mem = new Uint8Array(32 << 20);
  const pc = qemuPcProfile();
  h.measure('acpi: installTables(pc) into 32 MiB guest RAM', () => { sink ^= installTables(mem, pc).rsdp; }, { unit: 'installs/s' });
  if (sink === 0.5) console.log(sink);
}

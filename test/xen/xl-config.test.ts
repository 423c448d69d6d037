// xl config files (tools/xl/xl_parse.c, libxlu cfg syntax) and xl's on_* handling (xl_vmcontrol.c handle_domain_death).
import { describe, expect, it } from 'vitest';
import { parseXlConfig, XlConfigError } from '../../src/xen-hvm/xl-config.js';
import { handleDomainDeath } from '../../src/xen-hvm/xl.js';

describe('parseXlConfig', () => {
  it('reads the keys acpidm uses, with xl\'s defaults for the on_* actions', () => {
    const c = parseXlConfig('# a guest\nname = "g1"\nmemory = 256\nvcpus = 2; acpi = 0\nkernel = \'k.bin\'\nvif = [ "bridge=xenbr0" ]\n');
    expect(c).toMatchObject({ name: 'g1', memory: 256, vcpus: 2, acpi: false, kernel: 'k.bin',
      on_poweroff: 'destroy', on_reboot: 'restart', on_watchdog: 'destroy', on_crash: 'destroy', on_soft_reset: 'soft-reset' });
    expect(c.extra.vif).toEqual(['bridge=xenbr0']);
  });

  it.each([
    ['name = "g"\non_poweroff = "explode"', 'Unknown on_poweroff action "explode" specified'],
    ['name = "g"\non_crash = "reboot"', 'Unknown on_crash action "reboot" specified'],
    ['memory = 64', 'Domain name must be specified.'],
    ['name = g', "config line 1: cannot parse value 'g' (strings need quotes)"],
    ['name = "g"\nvcpus = 0', 'vcpus must be an integer 1..128, got 0'],
    ['name = "g\n', 'config line 1: unterminated string'],
  ])('%j → %s', (text, msg) => {
    expect(() => parseXlConfig(text)).toThrow(XlConfigError);
    expect(() => parseXlConfig(text)).toThrow(msg);
  });
});

describe('handleDomainDeath (xl monitor)', () => {
  const cfg = parseXlConfig('name = "g"\non_crash = "coredump-restart"\non_watchdog = "preserve"\non_reboot = "rename-restart"');
  it.each([
    [0, ['Action for shutdown reason code 0 is destroy'], { destroy: true, restart: false }],
    [1, ['Action for shutdown reason code 1 is rename-restart'], { destroy: false, restart: true, preserveRename: true }],
    [2, ['Domain has suspended.'], { suspended: true }],
    [3, ['Action for shutdown reason code 3 is coredump-restart'], { destroy: true, restart: true, coredump: true }],
    [4, ['Action for shutdown reason code 4 is preserve'], { destroy: false, restart: false }],
    [9, ['Unknown shutdown reason code 9. Destroying domain.', 'Action for shutdown reason code 9 is destroy'], { destroy: true }],
  ])('code %i', (code, lines, want) => {
    const log: string[] = [];
    expect(handleDomainDeath(cfg, code, (l) => log.push(l))).toMatchObject(want);
    expect(log).toEqual(lines);
  });
});

// Seed 003: every step between a guest's ACPI poweroff and the domain's end appears on the `run --xen` timeline,
// in Xen's order (xen.md §8.2, §8.3, §11, §12; Xen xen/common/domain.c domain_kill/put_domain/domain_destroy,
// tools/xenstore xenstored_domain.c domain_cleanup, tools/libs/light libxl_domain.c domain_death_xswatch_callback).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kernelGuestFactory, runXenDomain, type RunXenResult, type XenAction } from '../../src/xen-hvm/run-xen-domain.js';

const load = (p: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../${p}`, import.meta.url)));
const run = (actions: XenAction[] = []): RunXenResult => runXenDomain({
  configText: 'name = "guest"\nmemory = 128\nkernel = "firmware/guests/poweroff.bin"\n', guestFactory: kernelGuestFactory(load), actions,
  limitNs: 5e9,
});

/** The index of each step, each found after the previous one; fails naming the first step missing. */
function inOrder(r: RunXenResult, steps: readonly (string | RegExp)[]): number[] {
  const lines = r.timeline.map((e) => `${e.layer} ${e.text}`);
  const at: number[] = [];
  let from = 0;
  for (const s of steps) {
    const i = lines.findIndex((l, k) => k >= from && (typeof s === 'string' ? l.includes(s) : s.test(l)));
    if (i < 0) throw new Error(`step not found after line ${from}: ${String(s)}\n${lines.slice(from).join('\n')}`);
    at.push(i);
    from = i + 1;
  }
  return at;
}

describe('seed 003 on the timeline', () => {
  it('guest poweroff → VIRQ → xenstored rescan → @releaseDomain → libxl getdomaininfo → on_poweroff → domain_kill (preempted) → destroy → 2nd/3rd VIRQ → watch → DEATH', () => {
    const r = run();
    const idx = inOrder(r, [
      'qemu-dm [guest] shutdown requested in cpu_handle_ioreq',
      'xen_hypercall d0v0 SCHEDOP_remote_shutdown d1 reason 0 = 0',
      'qemu-dm [guest] Issued domain 1 poweroff',
      'cpu_ioreq_respond d1v0 IORESP_READY',
      'xen_vcpu_paused_for_shutdown d1v0',
      'xen d1 is_shut_down (code 0)',
      'xen VIRQ_DOM_EXC #1 for d1',
      'xenstored_domain_cleanup VIRQ_DOM_EXC: rescan 1 domain(s): dom1 shut down; fire @releaseDomain',
      'xenstored_watch_event dom0 ==> @releaseDomain token domain-death',
      'libxl_death_watch domain_death_xswatch_callback: getdomaininfo d1 -> flags 0x6 shutdown code 0',
      'libxl DOMAIN_SHUTDOWN(0) domid 1',
      'xl [guest] Action for shutdown reason code 0 is destroy',
      'xen_hypercall d0v0 XEN_DOMCTL_pausedomain d1 = 0',
      'xen d1 dying',
      /xen_domain_kill d1 dying rc -85 /, // -ERESTART: preempted, libxl's hypercall continues
      'xen_hypercall d0v0 XEN_DOMCTL_destroydomain d1 = -ERESTART',
      /xen_domain_kill d1 dead rc 0 /,
      // domain_kill drops the domain's self-reference (put_domain); nothing else holds one, so domain_destroy runs
      // inside it, before the second VIRQ_DOM_EXC (Xen domain.c: put_domain, then send_global_virq).
      'xen_domain_destroy d1 last reference dropped: domain_destroy',
      'xen VIRQ_DOM_EXC #2 for d1',
      'xen_hypercall d0v0 XEN_DOMCTL_destroydomain d1 (continuation 1) = 0',
      'xen d1 freed (complete_domain_destroy)',
      'xen VIRQ_DOM_EXC #3 for d1',
      // xenstored's event channel coalesces the 2nd and 3rd VIRQ: one rescan, one more @releaseDomain.
      'xenstored_domain_cleanup VIRQ_DOM_EXC: rescan 1 domain(s): dom1 gone; fire @releaseDomain',
      'xenstored_watch_event dom0 ==> @releaseDomain token domain-death',
      'libxl_death_watch domain_death_xswatch_callback: getdomaininfo d1 -> no such domain',
      'libxl DOMAIN_DEATH domid 1',
    ]);
    expect(idx).toHaveLength(26);
    // Only the plain @releaseDomain fires (Xen 4.17's xenstored has no per-domain @releaseDomain/<domid>).
    expect(r.timeline.filter((e) => e.text.includes('@releaseDomain/'))).toEqual([]);
    expect(r.virqDomExc).toBe(3);
  });

  it('a late unmap: a backend holds guest pages past domain_kill, so domain_destroy comes after kill returned, with the 3rd VIRQ', () => {
    const r = run([{ at: 10_000, backend: 'map', pages: 16 }, { at: 1e9, backend: 'unmap' }]);
    inOrder(r, [
      'backend dom0 backend maps 16 pages of d1',
      'xen VIRQ_DOM_EXC #1 for d1',
      'libxl DOMAIN_SHUTDOWN(0) domid 1',
      'xl [guest] Action for shutdown reason code 0 is destroy',
      /xen_domain_kill d1 dead rc 0 freed \d+ pages, 16 left/,
      'xen VIRQ_DOM_EXC #2 for d1',
      'xen_hypercall d0v0 XEN_DOMCTL_destroydomain d1 (continuation 1) = 0', // domain_kill has returned
      'xenstored_domain_cleanup VIRQ_DOM_EXC: rescan 1 domain(s): dom1 dying; fire @releaseDomain',
      'xenstored_watch_event dom0 ==> @releaseDomain token domain-death',
      /libxl_death_watch domain_death_xswatch_callback: getdomaininfo d1 -> flags 0x[0-9a-f]+ dying/,
      'libxl DOMAIN_DEATH domid 1',
      'backend dom0 backend unmaps d1',
      'xen_domain_destroy d1 last reference dropped: domain_destroy',
      'xen d1 freed (complete_domain_destroy)',
      'xen VIRQ_DOM_EXC #3 for d1',
    ]);
    const t = (s: string): number => r.timeline.find((e) => e.text.includes(s))!.t;
    expect(t('xen_domain_destroy d1')).toBe(1e9);
    expect(t('XEN_DOMCTL_destroydomain d1 (continuation 1) = 0')).toBeLessThan(1e9);
    expect(r.virqDomExc).toBe(3);
  });
});

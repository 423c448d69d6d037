// The TLB's bookkeeping of pages that hold compiled code (src/cpu/tlb.ts): a guest write makes only its page's
// blocks stale, and the list of protected pages holds each page once however often it is written and compiled.
import { describe, expect, it } from 'vitest';
import { Tlb } from '../../src/cpu/tlb.js';

describe('Tlb code pages', () => {
  it('a guest write to a code page moves that page generation only, and unprotects it', () => {
    const t = new Tlb();
    t.markCode(0x10); t.markCode(0x20);
    const gen = t.codeGen, epoch = t.epoch;
    t.codeWritten(0x10);
    expect(t.pageGen[0x10]).toBe(1);
    expect(t.pageGen[0x20]).toBe(0);
    expect(t.codeGen).toBe(gen);
    expect(t.epoch).toBe(epoch + 1); // a looping block on that page stops at its iteration's end
    expect(t.codePage[0x10]).toBe(0);
    expect(t.codePage[0x20]).toBe(1);
  });

  it('a page written and compiled again 20,000 times does not fill the list (other pages stay protected)', () => {
    const t = new Tlb();
    t.markCode(0x10);
    const gen = t.codeGen;
    for (let i = 0; i < 20_000; i++) { t.markCode(0x20); t.codeWritten(0x20); }
    expect(t.codeGen).toBe(gen);
    expect(t.codePage[0x10]).toBe(1);
  });

  it('more distinct code pages than the list holds: every page is forgotten and every block goes stale', () => {
    const t = new Tlb();
    const gen = t.codeGen;
    for (let p = 0; p < 8192; p++) t.markCode(p);
    expect(t.codeGen).toBe(gen);
    t.markCode(8192);
    expect(t.codeGen).toBe(gen + 1);
    expect(t.codePage[0]).toBe(0);
    expect(t.codePage[8192]).toBe(1);
    t.clearCode(); // the host changed RAM: nothing listed any more, so page 0 is listed again when marked
    t.markCode(0);
    expect(t.codePage[0]).toBe(1);
  });
});

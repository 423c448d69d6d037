/**
 * Memory sites of a looping block whose address cannot change from one iteration to the next, translated once
 * before the loop. compile.ts's rdMem/wrMem give every access site a one-entry translation cache (the offset it
 * used last, MOk, and its host word, MPk): each iteration recomputes the offset and compares it. A site whose
 * effective address reads only registers that no instruction of the block writes (or none: a moffs or disp32
 * operand) uses the same offset every iteration, so the block's prologue translates it once, with the same fast
 * path the cache fills from (segment limit, a TLB entry cached as RAM, alignment), and the loop reads or writes
 * `view[IPk]` with no address arithmetic and no compare. A translation that fails there (TLB miss, a code page
 * for a write, unaligned, past the limit) leaves IPk = -1 and the site uses its cache as before.
 *
 * Why a translation made at entry stays right: segment state cannot change inside a block; a TLB entry is only
 * dropped by a flush, which no compiled instruction causes (a slow path that writes a code page bumps Tlb.epoch,
 * and the back edge leaves when it did); a page becomes a code page only when a block is compiled, never while
 * one runs (the same reasoning as the per-site cache, see compile.ts).
 */

/** An access site as rdMem/wrMem emitted it: `ea` is the offset expression (registers as `r[i]`/`w[2i]`). */
export interface MemSite {
  readonly k: number;
  readonly size: number;
  readonly seg: number;
  readonly write: boolean;
  readonly ea: string;
}

/** Placed where the site's code starts; replaced by the hoisted fast path, or removed. */
export const siteMarker = (k: number): string => `/*IV${k}*/`;

const VIEW = ['', 'ram', 'ram16', '', 'ram32'];
const SHIFT = [0, 0, 1, 0, 2];
/** CL/DL/BL and AH/CH/DH/BH: the byte views (CpuState.r8) of registers 0-3 */
const BYTE_OF = [[0, 1], [4, 5], [8, 9], [12, 13]];

/** Does `code` assign register `i` through any of its views (32-, 16- or 8-bit)? */
function writes(code: string, i: number): boolean {
  const asg = '\\s*(?:[-+*/%&|^]|<<|>>>?)?=(?!=)';
  const views = [`r\\[${i}\\]`, `c\\.regs\\[${i}\\]`, `w\\[${2 * i}\\]`, `w\\[${2 * i + 1}\\]`, ...(BYTE_OF[i] ?? []).map((b) => `b\\[${b}\\]`)];
  return new RegExp(`(?:^|[^\\w.])(?:${views.join('|')})${asg}`).test(code);
}

/** The registers an effective-address expression reads, or null when it reads anything else. */
function eaRegisters(ea: string): number[] | null {
  const regs = new Set<number>();
  const rest = ea.replace(/\br\[([0-7])\]/g, (_, i: string) => { regs.add(Number(i)); return '0'; })
    .replace(/\bw\[(\d+)\]/g, (_, i: string) => { regs.add(Number(i) >> 1); return '0'; });
  return /^[-+()|&<>0-9\s]*$/.test(rest.replace(/0x[0-9a-f]+/g, '0')) ? [...regs] : null;
}

/**
 * Hoist the invariant sites of `code` (a block's instructions, registers still as arrays) when the block loops;
 * otherwise only remove the markers. Returns the code and the prologue statement that translates the hoisted sites
 * (it reads SLxs_n / SBs, which the sites' fallback paths keep in the code, so segLocals declares them first).
 */
export function hoistInvariantSites(code: string, sites: readonly MemSite[], loops: boolean): { code: string; decl: string } {
  const decl: string[] = [];
  for (const s of sites) {
    const mark = siteMarker(s.k);
    if (!code.includes(mark)) continue;
    const regs = loops ? eaRegisters(s.ea) : null;
    // ESP moves with every PUSH/POP/CALL/RET and CPU stack helper: never hoisted
    if (regs === null || regs.includes(4) || regs.some((i) => writes(code, i))) {
      code = code.replace(mark, '');
      continue;
    }
    const view = VIEW[s.size]!, ip = `IP${s.k}`;
    const aligned = s.size === 1 ? '' : `&&(la&${s.size - 1})===0`;
    decl.push(`${ip}=(o=(${s.ea})|0,(o>>>0)<=SL${s.write ? 'W' : 'R'}${s.seg}_${s.size}&&((e=${s.write ? 'tw' : 'tr'}[(la=(SB${s.seg}+o)|0)>>>12])&acc)!==0${aligned}` +
      `?((e&~0xfff)|(la&0xfff))>>${SHIFT[s.size]!}:-1)`);
    code = code.replace(mark, s.write ? `if(${ip}>=0)${view}[${ip}]=v;else ` : `${ip}>=0?${view}[${ip}]:`);
  }
  return { code, decl: decl.length > 0 ? `const ${decl.join(',')};` : '' };
}

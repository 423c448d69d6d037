/**
 * CPU models: what CPUID reports and which optional instructions exist.
 * Every feature bit a model reports is implemented, and an instruction whose
 * feature a model does not report raises #UD (RDTSC without TSC, RDMSR/WRMSR
 * without MSR, CMPXCHG8B without CX8, CMOVcc without CMOV), so CPUID tells the
 * truth both ways. Leaf layout after QEMU's `-cpu` models (target/i386/cpu.c
 * builtin_x86_defs: vendor in EBX-EDX-ECX of leaf 0, family/model/stepping in
 * leaf 1 EAX, the same value in EDX at reset).
 *
 * Not implemented, so never reported: VME, DE, PAE, MCE, SEP, MTRR, MCA, PAT,
 * PSE-36, and everything after CMOV (MMX, FXSR, SSE...). Every model has the
 * x87 (fpu/), so FPU is always reported.
 */

// CPUID.1:EDX bits (Intel SDM Vol. 2A Table 3-11)
export const FEAT_FPU = 1 << 0, FEAT_PSE = 1 << 3, FEAT_TSC = 1 << 4, FEAT_MSR = 1 << 5, FEAT_CX8 = 1 << 8,
  FEAT_APIC = 1 << 9, FEAT_PGE = 1 << 13, FEAT_CMOV = 1 << 15;

export interface CpuModel {
  readonly name: string;
  readonly description: string;
  readonly family: number;
  readonly model: number;
  readonly stepping: number;
  /** CPUID.1:EDX without APIC (added when the machine has a local APIC) */
  readonly edx: number;
  /** CR4 bits MOV CR4 accepts (others: #GP(0)) */
  readonly cr4: number;
}

/** CR4.TSD: RDTSC is #GP at CPL > 0 (Intel SDM Vol. 2B RDTSC) */
export const CR4_TSD = 1 << 2;
const CR4_PSE = 1 << 4, CR4_PGE = 1 << 7;

export const CPU_MODELS: Readonly<Record<string, CpuModel>> = {
  // P6-class: CMOV first appeared with family 6 (Pentium Pro), so that is the family we claim.
  // QEMU's `pentiumpro` (family 6 model 1 stepping 0) is the layout; we report only what is modelled.
  acpidm: {
    name: 'acpidm',
    description: 'P6-class, family 6 model 1 stepping 0: FPU PSE PGE TSC MSR CX8 CMOV (+APIC)',
    family: 6, model: 1, stepping: 0,
    edx: FEAT_FPU | FEAT_PSE | FEAT_TSC | FEAT_MSR | FEAT_CX8 | FEAT_PGE | FEAT_CMOV,
    cr4: CR4_TSD | CR4_PSE | CR4_PGE,
  },
  // QEMU's `486` (family 4 model 8 stepping 0) less VME, which is not modelled: FPU and PSE; no TSC/MSR/CX8/CMOV.
  '486': {
    name: '486',
    description: '486-class, family 4 model 8 stepping 0: FPU PSE (no TSC, MSR, CX8, CMOV, PGE)',
    family: 4, model: 8, stepping: 0,
    edx: FEAT_FPU | FEAT_PSE,
    cr4: CR4_PSE,
  },
};

export const DEFAULT_CPU_MODEL = 'acpidm';

/** The model called `name`, or an Error listing the ones there are. */
export function findCpuModel(name: string): CpuModel {
  const m = CPU_MODELS[name];
  if (m === undefined) {
    throw new Error(`CPU model '${name}' is not implemented; available: ${Object.keys(CPU_MODELS).join(', ')}`);
  }
  return m;
}

/** CPUID.1:EAX and the reset value of EDX. */
export function signature(m: CpuModel): number {
  return (m.family << 8) | (m.model << 4) | m.stepping;
}

// Architectural constants the hypervisor uses (registers themselves are
// reached by name through CpuCore.regs, core/cpu/registers.ts).

// HCR_EL2 (Arm ARM D13.2.48)
export const HCR_VM = 1n << 0n;
export const HCR_SWIO = 1n << 1n;
export const HCR_FMO = 1n << 3n;
export const HCR_IMO = 1n << 4n;
export const HCR_AMO = 1n << 5n;
export const HCR_FB = 1n << 9n;
export const HCR_BSU_IS = 1n << 10n;
export const HCR_TWI = 1n << 13n;
/** Trap WFE: set only while a pCPU is shared, so a vCPU spinning in WFE yields to the vCPU it waits for (KVM does the same). */
export const HCR_TWE = 1n << 14n;
export const HCR_TSC = 1n << 19n;
export const HCR_RW = 1n << 31n;
/** What the hypervisor runs its guests with (KVM's HCR_GUEST_FLAGS minus what the model lacks). */
export const HCR_GUEST = HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | HCR_BSU_IS | HCR_TWI | HCR_TSC | HCR_RW;

// CNTHCTL_EL2 (D13.8.x): EL1PCTEN (bit 0), EL1PCEN (bit 1): EL1 may use the physical counter and timer.
export const CNTHCTL_GUEST = 3n;
// CPTR_EL2 (nVHE): RES1 bits 13:12, 9:0; TFP (bit 10) = 0: FP/SIMD not trapped (switched eagerly).
export const CPTR_GUEST = 0x33ffn;

// ESR_ELx exception classes (D13.2.37)
export const EC_UNKNOWN = 0x00;
export const EC_WFX = 0x01;
export const EC_HVC64 = 0x16;
export const EC_SMC64 = 0x17;
export const EC_SYSREG = 0x18;
export const EC_IABT_LOW = 0x20;
export const EC_IABT_CUR = 0x21;
export const EC_DABT_LOW = 0x24;
export const EC_DABT_CUR = 0x25;

/** SPSR/PSTATE value for EL1h with D, A, I, F masked. */
export const PSTATE_EL1H_MASKED = 0x3c5;

/** VTCR_EL2: T0SZ = 32 (4 GiB IPA space), SL0 = 1 (start at level 1: 4 entries),
 *  IRGN0/ORGN0 = WBWA, SH0 = inner shareable, TG0 = 4 KB, PS = 40 bits (D13.2.151). */
export const VTCR_VALUE = 32n | (1n << 6n) | (1n << 8n) | (1n << 10n) | (3n << 12n) | (2n << 16n) | (1n << 31n);
export const IPA_BITS = 32;

export const hex = (v: bigint): string => '0x' + v.toString(16);

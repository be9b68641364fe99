// The SMC Calling Convention 1.2 (ARM DEN0028 C/D) as the EL3 firmware's
// services see it: a call is its function identifier and x0-x17 (SMCCC 1.2
// "Argument passing": SMC64 calls may pass arguments and return results in
// x1-x17, SMC32 calls use the W views of x1-x7), the answer lists only the
// registers the call defines as results; every other register returns to
// the caller unchanged ("registers ... must be preserved unless they contain
// results": Linux and pKVM keep live values in x8-x17 across an SMC).
// Services are pure functions of a call (and the platform they drive), so
// the dispatch can be tested without a CPU and extended by the SPMD relay.

/** Function identifier fields (DEN0028 "Function Identifiers"; bits 23:16 of a fast call must be zero, else it is unknown). */
export const FID_FAST = 0x8000_0000; // bit 31: fast call (0: yielding)
export const FID_SMC64 = 0x4000_0000; // bit 30: SMC64/HVC64 calling convention
export const FID_OEN_SHIFT = 24; // bits 29:24: owning entity number
export const FID_OEN_MASK = 0x3f;
export const FID_FUNC_MASK = 0xffff; // bits 15:0: function number

/** Owning entity numbers the firmware answers for. */
export const OEN_ARM_ARCH = 0;
export const OEN_STANDARD_SECURE = 4; // PSCI (function numbers 0x00-0x1f), FF-A (0x60-0xff)

/** Arm Architecture Service calls (DEN0028 "Arm Architecture Calls"). */
export const SMCCC_VERSION = 0x8000_0000;
export const SMCCC_ARCH_FEATURES = 0x8000_0001;
export const SMCCC_ARCH_WORKAROUND_1 = 0x8000_8000;
export const SMCCC_ARCH_WORKAROUND_2 = 0x8000_7fff;
export const SMCCC_ARCH_WORKAROUND_3 = 0x8000_3fff;

/** SMCCC_VERSION's answer: major 1 (bits 30:16), minor 2 (bits 15:0). */
export const SMCCC_VERSION_1_2 = 0x0001_0002;

/** Return codes of the Arm Architecture calls. */
export const SMCCC_SUCCESS = 0;
export const SMCCC_NOT_SUPPORTED = -1;

/** The answer to an unknown function identifier: NOT_SUPPORTED, -1
 *  sign-extended to 64 bits in x0 (DEN0028 "Unknown Function Identifier";
 *  TF-A's SMC_UNK, KVM), for SMC32 calls too. */
export const UNKNOWN_FUNCTION = 0xffff_ffff_ffff_ffffn;

/** A value as a result register holds it: sign-extended to 64 bits (as KVM and TF-A return codes). */
export function smcccValue(v: number): bigint {
  return BigInt.asUintN(64, BigInt(v));
}

export type SmcccWorld = 'ns' | 's';

/** What a service sees of a call: the identifier and x0-x17, read only. */
export interface SmcccCall {
  readonly cpu: number;
  /** The EL the call came from (SPSR_EL3.M[3:2]). */
  readonly callerEl: number;
  /** The caller's Security state (SCR_EL3.NS). */
  readonly world: SmcccWorld;
  /** x0-x17 as the caller left them (x[0] holds the function identifier). */
  readonly x: readonly bigint[];
}

/** Registers a call reads and may write (SMCCC 1.2: x0-x17). */
export const SMCCC_REGS = 18;

/** How a service answers. */
export type SmcccAnswer =
  /** Return to the caller with x0..x(results.length-1) set; every other register unchanged. */
  | { kind: 'return'; results: readonly bigint[] }
  /** The call does not return to the caller (CPU_OFF, SYSTEM_OFF, SYSTEM_RESET). */
  | { kind: 'no-return' }
  /** To the Secure world's S-EL2 software (the SPMD relay of FF-A calls). */
  | { kind: 'to-secure' };

export function answer(...results: bigint[]): SmcccAnswer {
  return { kind: 'return', results };
}

/** The function identifier of a call (w0). */
export function fidOf(call: SmcccCall): number {
  return Number((call.x[0] ?? 0n) & 0xffff_ffffn);
}

export function isSmc64(fid: number): boolean {
  return (fid & FID_SMC64) !== 0;
}

/** Argument `n` (1..17): the W view for SMC32 calls. */
export function argOf(call: SmcccCall, n: number): bigint {
  const v = call.x[n] ?? 0n;
  return isSmc64(fidOf(call)) ? v : v & 0xffff_ffffn;
}

/** FF-A function identifiers: standard secure service, fast, function numbers 0x60-0xff (DEN0077 §13.1, TF-A is_ffa_fid). */
export function isFfaFid(fid: number): boolean {
  const num = fid & FID_FUNC_MASK;
  return (fid & FID_FAST) !== 0 && ((fid >>> FID_OEN_SHIFT) & FID_OEN_MASK) === OEN_STANDARD_SECURE && (fid & 0x00ff_0000) === 0 && num >= 0x60 && num <= 0xff;
}

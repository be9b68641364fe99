// FF-A error status codes (DEN0077 v1.1; NOT_READY was added by v1.2).
// FFA_ERROR carries one in w2 as a signed 32-bit value.

export const NOT_SUPPORTED = -1;
export const INVALID_PARAMETERS = -2;
export const NO_MEMORY = -3;
export const BUSY = -4;
export const INTERRUPTED = -5;
export const DENIED = -6;
export const RETRY = -7;
export const ABORTED = -8;
export const NO_DATA = -9;
export const NOT_READY = -10;

const NAMES = {
  NOT_SUPPORTED, INVALID_PARAMETERS, NO_MEMORY, BUSY, INTERRUPTED, DENIED, RETRY, ABORTED, NO_DATA, NOT_READY,
} as const;

export type FfaErrorName = keyof typeof NAMES;
export type FfaErrorCode = (typeof NAMES)[FfaErrorName];

export const FFA_ERROR_CODES: readonly FfaErrorCode[] = Object.values(NAMES);

/** The spec name of an error code, or null. */
export function ffaErrorName(code: number): FfaErrorName | null {
  for (const [name, value] of Object.entries(NAMES)) if (value === code) return name as FfaErrorName;
  return null;
}

/** w2 of FFA_ERROR as a code: the low 32 bits read as signed. */
export function ffaErrorCodeOfW2(w2: bigint): number {
  return Number(BigInt.asIntN(32, w2));
}

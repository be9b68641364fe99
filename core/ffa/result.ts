// The answer to an FF-A call: the return registers x0-x17 (SMCCC 1.2 lets
// FF-A return results in x0-x17) and, for a refusal, the reason it was
// refused, for the trace. Hafnium's `struct ffa_value` plus the dlog line
// it prints before `ffa_error()` is the model. Results are plain data.
import { FFA_ERROR, FFA_MEM_FRAG_RX, FFA_MEM_RETRIEVE_RESP, FFA_SUCCESS_32, FFA_SUCCESS_64, FFA_VERSION_NOT_SUPPORTED_X0, ffaFunctionName, isFfaSmc64 } from './functionIds.js';
import { ffaErrorCodeOfW2, ffaErrorName, type FfaErrorCode } from './errors.js';

/** Registers an FF-A answer may set (x0-x17). */
export const FFA_RESULT_REGS = 18;

export interface FfaResult {
  /** x0-x17, each a 64-bit value; x0 holds the function ID of the answer. */
  readonly x: readonly bigint[];
  /** Why the call was refused ('' unless x0 is FFA_ERROR or the version's NOT_SUPPORTED). */
  readonly reason: string;
}

/** A decoded value, or the FF-A error the decoder answers with. */
export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: FfaResult };

const MASK32 = 0xffff_ffffn;
const MASK64 = 0xffff_ffff_ffff_ffffn;

/** An answer with x0 = `fid` and x1.. = `args`, zero elsewhere. For a 32-bit `fid` every argument is cut to its W view. */
export function ffaValue(fid: number, args: readonly (bigint | number)[] = [], reason = ''): FfaResult {
  const wide = isFfaSmc64(fid);
  const x = new Array<bigint>(FFA_RESULT_REGS).fill(0n);
  x[0] = BigInt(fid >>> 0);
  args.slice(0, FFA_RESULT_REGS - 1).forEach((a, i) => {
    const v = BigInt.asUintN(64, BigInt(a));
    x[i + 1] = wide ? v : v & MASK32;
  });
  return { x, reason };
}

/** FFA_ERROR with `code` in w2 (zero-extended, as SMCCC wants 32-bit results). */
export function ffaError(code: FfaErrorCode, reason: string): FfaResult {
  return ffaValue(FFA_ERROR, [0, code], reason);
}

/** A refusal as a Checked value. */
export function reject<T>(code: FfaErrorCode, reason: string): Checked<T> {
  return { ok: false, error: ffaError(code, reason) };
}

export function accept<T>(value: T): Checked<T> {
  return { ok: true, value };
}

/** FFA_SUCCESS_32 with w1.. = `args`. */
export function ffaSuccess32(...args: (bigint | number)[]): FfaResult {
  return ffaValue(FFA_SUCCESS_32, args);
}

/** FFA_SUCCESS_64 with x1.. = `args`. */
export function ffaSuccess64(...args: (bigint | number)[]): FfaResult {
  return ffaValue(FFA_SUCCESS_64, args);
}

/** FFA_VERSION's refusal: -1 in all of x0 (see FFA_VERSION_NOT_SUPPORTED_X0). */
export function ffaVersionNotSupported(reason: string): FfaResult {
  const x = new Array<bigint>(FFA_RESULT_REGS).fill(0n);
  x[0] = FFA_VERSION_NOT_SUPPORTED_X0;
  return { x, reason };
}

/** FFA_VERSION's success: the implemented version in w0. */
export function ffaVersionAnswer(version: number): FfaResult {
  const x = new Array<bigint>(FFA_RESULT_REGS).fill(0n);
  x[0] = BigInt(version >>> 0);
  return { x, reason: '' };
}

/** A memory handle split over two W registers: low word first (as Linux's PACK_HANDLE reads it back). */
export function handleWords(handle: bigint): [bigint, bigint] {
  const h = BigInt.asUintN(64, handle);
  return [h & MASK32, h >> 32n];
}

/** FFA_SUCCESS_32 for a completed DONATE/LEND/SHARE: the handle in w2 (low) and w3 (high). */
export function ffaMemSuccess(handle: bigint): FfaResult {
  const [lo, hi] = handleWords(handle);
  return ffaSuccess32(0, lo, hi);
}

/** FFA_MEM_FRAG_RX asking the sender for the next fragment: handle in w1/w2, bytes received so far in w3, sender ID in w4[31:16] (0 unless relayed for a VM). */
export function ffaMemFragRx(handle: bigint, offset: number, senderId = 0): FfaResult {
  const [lo, hi] = handleWords(handle);
  return ffaValue(FFA_MEM_FRAG_RX, [lo, hi, offset, (senderId & 0xffff) << 16]);
}

/** FFA_MEM_RETRIEVE_RESP: total length in w1, this fragment's length in w2. */
export function ffaMemRetrieveResp(totalLength: number, fragmentLength: number): FfaResult {
  return ffaValue(FFA_MEM_RETRIEVE_RESP, [totalLength, fragmentLength]);
}

/** x0's function ID (its low 32 bits). */
export function resultFid(r: FfaResult): number {
  return Number((r.x[0] ?? 0n) & MASK32);
}

export function isFfaError(r: FfaResult): boolean {
  return resultFid(r) === FFA_ERROR || (r.x[0] ?? 0n) === FFA_VERSION_NOT_SUPPORTED_X0;
}

/** The error code of a refusal, or null for any other answer. */
export function errorCodeOf(r: FfaResult): number | null {
  if ((r.x[0] ?? 0n) === FFA_VERSION_NOT_SUPPORTED_X0) return -1;
  return resultFid(r) === FFA_ERROR ? ffaErrorCodeOfW2(r.x[2] ?? 0n) : null;
}

/** "DENIED: reason" for traces, or '' for a success. */
export function describeRefusal(r: FfaResult): string {
  const code = errorCodeOf(r);
  if (code === null) return '';
  return `${ffaErrorName(code) ?? `error ${code}`}${r.reason ? `: ${r.reason}` : ''}`;
}

/** Register `n` as the caller's W view (low 32 bits). */
export function wView(r: FfaResult, n: number): number {
  return Number((r.x[n] ?? 0n) & MASK32);
}

/** The registers to write back, x0..x17; every value already within 64 bits. */
export function resultRegisters(r: FfaResult): bigint[] {
  return Array.from({ length: FFA_RESULT_REGS }, (_, i) => (r.x[i] ?? 0n) & MASK64);
}

/** One line for traces: "FFA_SUCCESS_32(0, 0x3, 0x18)", "FFA_ERROR(DENIED: reason)", or the
 *  bare version word FFA_VERSION answers with ("0x10001"). Arguments up to the last non-zero of x1-x7. */
export function resultText(r: FfaResult): string {
  if (isFfaError(r)) return resultFid(r) === FFA_ERROR ? `FFA_ERROR(${describeRefusal(r)})` : `FFA_VERSION(${describeRefusal(r)})`;
  const name = ffaFunctionName(resultFid(r));
  if (!name) return `0x${(r.x[0] ?? 0n).toString(16)}`;
  const args = r.x.slice(1, 8);
  let last = args.length;
  while (last > 0 && args[last - 1] === 0n) last--;
  return `${name}(${args.slice(0, last).map((v) => (v < 10n ? v.toString() : `0x${v.toString(16)}`)).join(', ')})`;
}

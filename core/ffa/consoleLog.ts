// FFA_CONSOLE_LOG (v1.2): w1 the character count, the characters packed
// little-endian in the argument registers: w2-w7 for the 32-bit call (24
// characters), x2-x7 for the 64-bit one (48), x2-x17 for a v1.2 caller's
// 64-bit call (128), as Hafnium's api_ffa_console_log reads them.
import { FFA_CONSOLE_LOG_32, FFA_VERSION_1_2 } from './functionIds.js';
import { INVALID_PARAMETERS } from './errors.js';
import { accept, reject, type Checked } from './result.js';

/** The most characters one call carries. */
export function consoleLogMaxChars(fid: number, version: number): number {
  if ((fid >>> 0) === FFA_CONSOLE_LOG_32) return 6 * 4;
  return version >= FFA_VERSION_1_2 ? 16 * 8 : 6 * 8;
}

/** The bytes logged by a call with registers `x` (x[0] the function ID). */
export function decodeConsoleLog(x: readonly bigint[], version: number): Checked<Uint8Array> {
  const fid = Number((x[0] ?? 0n) & 0xffff_ffffn);
  const count = Number((x[1] ?? 0n) & 0xffff_ffffn);
  const max = consoleLogMaxChars(fid, version);
  if (count === 0 || count > max) return reject(INVALID_PARAMETERS, `character count ${count} must be 1..${max}`);
  const width = fid === FFA_CONSOLE_LOG_32 ? 4 : 8;
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const reg = x[2 + Math.floor(i / width)] ?? 0n;
    out[i] = Number((reg >> BigInt(8 * (i % width))) & 0xffn);
  }
  return accept(out);
}

/** The registers x1.. for logging `bytes` (clients and tests): count, then packed characters. */
export function encodeConsoleLog(bytes: Uint8Array, wide: boolean): bigint[] {
  const width = wide ? 8 : 4;
  const regs: bigint[] = [BigInt(bytes.length)];
  for (let i = 0; i < bytes.length; i++) {
    const r = 1 + Math.floor(i / width);
    regs[r] = (regs[r] ?? 0n) | (BigInt(bytes[i] as number) << BigInt(8 * (i % width)));
  }
  return regs;
}

// Test support: Normal-world programs (NS-EL1 machine code) that make a
// list of FF-A calls over SMC and store each answer's x0-x17 in RAM, and
// readers for those answers.
import type { Machine } from '../machine.js';

export const NS_RESULTS = 0x4040_0000;
const CALL_BYTES = 18 * 8;

export interface NsCall {
  fid: number;
  args?: readonly (bigint | number)[];
  /** Assembly run before the call (e.g. to fill a buffer). */
  before?: string;
}

function callBlock(c: NsCall): string {
  const lines = c.before ? [c.before] : [];
  lines.push(`  ldr x0, =0x${(c.fid >>> 0).toString(16)}`);
  for (let n = 1; n <= 17; n++) lines.push(`  ldr x${n}, =0x${BigInt.asUintN(64, BigInt(c.args?.[n - 1] ?? 0)).toString(16)}`);
  lines.push('  smc #0');
  for (let n = 0; n < 18; n += 2) lines.push(`  stp x${n}, x${n + 1}, [x20, #${n * 8}]`);
  lines.push(`  add x20, x20, #${CALL_BYTES}`);
  return lines.join('\n');
}

/** The calls in order, then PSCI SYSTEM_OFF (or `tail`). */
export function nsProgram(calls: readonly NsCall[], tail = '  ldr x0, =0x84000008\n  smc #0\n  b .'): string {
  return `  ldr x20, =${NS_RESULTS}\n${calls.map(callBlock).join('\n')}\n${tail}\n`;
}

export function readU64(m: Machine, pa: number): bigint {
  const b = m.core.readPhys(pa, 8);
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}

/** x0-x17 of the answer to call `i`. */
export function nsResult(m: Machine, i: number): bigint[] {
  return Array.from({ length: 18 }, (_, n) => readU64(m, NS_RESULTS + i * CALL_BYTES + 8 * n));
}

/** The FF-A error code in an answer's w2 (signed), or null for a non-error. */
export function errorOf(x: readonly bigint[]): number | null {
  return (x[0]! & 0xffff_ffffn) === 0x8400_0060n ? Number(BigInt.asIntN(32, x[2]! & 0xffff_ffffn)) : null;
}

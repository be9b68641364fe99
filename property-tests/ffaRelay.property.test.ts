// The EL3 firmware's SPMD never answers a Normal-world FF-A call with
// anything but an FF-A answer (DEN0077A): random FF-A function IDs (32- and
// 64-bit, the whole 0x60-0xff range) with random arguments, issued by NS-EL1
// machine code on a machine with the S-EL2 test plug-in and its partition,
// each get FFA_ERROR with a defined error code, FFA_SUCCESS, a direct
// response, FFA_INTERRUPT or (FFA_VERSION) a version or NOT_SUPPORTED; the
// run never halts; x8-x17 always come back unchanged (FF-A v1.1 SPMC).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bootSecureTestMachine, PARTITION_ID } from '../core/firmware/sel2TestPlugin.js';
import { suiteSeed } from './seed.js';

const RUNS = Number(process.env.HVRR_FFA_RUNS ?? 6);
const CALLS = 24;
const SEED = suiteSeed('FF-A relay property', 'HVRR_FFA_SEED', 20261205, { runs: RUNS, calls: CALLS });
const RES = 0x4040_0000;
const CALL_BYTES = 18 * 8;
const marker = (n: number): bigint => 0x7e7e_0000_0000_0000n | (BigInt(n) << 32n) | 0xc0den;

/** FF-A error codes DEN0077A Table 11.4 defines (w2 of FFA_ERROR). */
const ERROR_CODES = new Set([-1, -2, -3, -4, -5, -6, -7, -8, -9].map((c) => BigInt.asUintN(32, BigInt(c))));

interface Call { fid: number; args: bigint[] }

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const call: fc.Arbitrary<Call> = fc.record({
  fid: fc.tuple(fc.boolean(), fc.integer({ min: 0x60, max: 0xff })).map(([w, n]) => ((w ? 0xc400_0000 : 0x8400_0000) | n) >>> 0),
  args: fc.array(u64, { minLength: 7, maxLength: 7 }),
}).map((c) => {
  // Direct requests mostly to the partition, with a command that ends (0: add, 1: read, 2: dump).
  if ((c.fid & 0xffff) === 0x6f && (c.args[0]! & 1n) === 0n) {
    const args = [...c.args];
    args[0] = BigInt(PARTITION_ID);
    args[2] = args[2]! % 3n;
    return { fid: c.fid, args };
  }
  return c;
});

function program(calls: Call[]): string {
  const lines = [`  ldr x20, =${RES}`];
  for (const c of calls) {
    lines.push(`  ldr x0, =0x${c.fid.toString(16)}`);
    c.args.forEach((a, i) => lines.push(`  ldr x${i + 1}, =0x${a.toString(16)}`));
    for (let n = 8; n <= 17; n++) lines.push(`  ldr x${n}, =0x${marker(n).toString(16)}`);
    lines.push('  smc #0');
    for (let n = 0; n < 18; n += 2) lines.push(`  stp x${n}, x${n + 1}, [x20, #${n * 8}]`);
    lines.push(`  add x20, x20, #${CALL_BYTES}`);
  }
  lines.push('  ldr x0, =0x84000008', '  smc #0', '  b .');
  return lines.join('\n');
}

describe('SPMD relay property', () => {
  it('every FF-A call from the Normal world gets an FF-A answer; x8-x17 preserved; no halt', () => {
    fc.assert(fc.property(fc.array(call, { minLength: CALLS, maxLength: CALLS }), (calls) => {
      const { m } = bootSecureTestMachine(program(calls));
      expect(m.run(5_000_000)).toEqual({ kind: 'system-off' });
      calls.forEach((c, i) => {
        const b = m.core.readPhys(RES + i * CALL_BYTES, CALL_BYTES).slice();
        const dv = new DataView(b.buffer);
        const x = Array.from({ length: 18 }, (_, n) => dv.getBigUint64(n * 8, true));
        const ctx = `call ${i} 0x${c.fid.toString(16)}`;
        const w0 = Number(x[0]! & 0xffff_ffffn) >>> 0;
        if (c.fid === 0x8400_0063) expect(x[0] === 0x1_0001n || x[0] === BigInt.asUintN(64, -1n), ctx).toBe(true);
        else if (w0 === 0x8400_0060) expect(ERROR_CODES.has(x[2]! & 0xffff_ffffn), `${ctx}: error code ${x[2]}`).toBe(true);
        else expect([0x8400_0061, 0xc400_0061, 0x8400_0070, 0xc400_0070, 0x8400_0062], ctx).toContain(w0);
        for (let n = 8; n <= 17; n++) expect(x[n], `${ctx} x${n}`).toBe(marker(n));
      });
    }), { seed: SEED, numRuns: RUNS });
  });
});

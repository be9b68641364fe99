// With no planted defect, a bounded campaign of every fuzzer finds nothing:
// two to three minutes of CI time in all, from the rotating seed (printed
// first, with the runs), through the CLI so that a finding prints its seed,
// path and repro line like any campaign. HVRR_FUZZ_CLEAN_SCALE multiplies
// the runs (an overnight campaign: HVRR_FUZZ_CLEAN_SCALE=100).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/testing.js';
import { suiteSeed } from '../property-tests/seed.js';
import { FUZZ_KINDS, type FuzzKind } from './targets.js';

const SCALE = Number(process.env['HVRR_FUZZ_CLEAN_SCALE'] ?? 1);
if (!Number.isFinite(SCALE) || SCALE <= 0) throw new Error(`HVRR_FUZZ_CLEAN_SCALE=${process.env['HVRR_FUZZ_CLEAN_SCALE']}: want a positive number`);
/** Runs per fuzzer at scale 1: 20 s to a minute and a half of CI time each. */
const BASE_RUNS: Record<FuzzKind, number> = { ffa: 60_000, 'ffa-machine': 80, 'ffa-vm': 2_000, sched: 48, abi: 72 };
const runsOf = (kind: FuzzKind): number => Math.max(1, Math.round(BASE_RUNS[kind] * SCALE));
const SEED = suiteSeed('fuzz (bounded clean campaigns)', 'HVRR_FUZZ_CLEAN_SEED', 20261205, Object.fromEntries(FUZZ_KINDS.map((k) => [k, runsOf(k)])));
const out = mkdtempSync(join(tmpdir(), 'hvrr-fuzz-clean-'));

describe('bounded clean campaigns', () => {
  it.each(FUZZ_KINDS.map((k) => [k, runsOf(k)] as const))('hvrr fuzz %s: %i runs from the rotating seed find nothing', async (kind, runs) => {
    const r = await runCli(['fuzz', kind, '--seed', String(SEED), '--runs', String(runs), '--out', out]);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(new RegExp(`${runs} runs .*no invariant broken; covered `));
    console.log(`fuzz ${kind}: ${runs} runs from seed ${SEED}, nothing found`);
  }, 600_000);
});

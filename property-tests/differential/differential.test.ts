// Differential tier: hvrr's CPU core against QEMU TCG on generated and
// handcrafted bare-metal instruction sequences (see docs/differential.md).
//   HVRR_DIFF_SEQUENCES  number of generated sequences (default 10000)
//   HVRR_DIFF_SEED       fast-check seed (default: from the commit, else DEFAULT_SEED)
import { describe, it, expect } from 'vitest';
import { hasQemu, QEMU_CPU } from './harness.js';
import { runCampaign, formatMismatch, DEFAULT_SEED, type CampaignResult } from './campaign.js';
import { REGRESSIONS } from './regressions.js';
import { suiteSeed } from '../seed.js';

const qemu = hasQemu();
if (!qemu) console.log('differential: qemu-system-aarch64 not found; skipping the QEMU differential tier (apt-get install qemu-system-arm)');

const count = Number(process.env.HVRR_DIFF_SEQUENCES ?? 10_000);
const seed = suiteSeed('differential', 'HVRR_DIFF_SEED', DEFAULT_SEED, { sequences: count, cpu: QEMU_CPU });

function report(r: CampaignResult): string {
  return [...r.mismatches.slice(0, 10).map(formatMismatch), ...r.failures].join('\n\n');
}

describe.skipIf(!qemu)('differential: hvrr vs QEMU TCG', () => {
  it('handcrafted regression sequences', async () => {
    const r = await runCampaign({ seed, count: 0, extra: REGRESSIONS.map((x) => x.seq) });
    console.log(`differential: ${r.sequences} regression sequences, ${r.mismatches.length} mismatches`);
    expect(report(r)).toBe('');
    expect(r.mismatches).toHaveLength(0);
  }, 120_000);

  it(`${count} generated sequences (seed ${seed})`, async () => {
    const t0 = Date.now(); // progress reporting only
    const r = await runCampaign({ seed, count, batchSize: 500, parallel: 2 });
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    console.log(`differential: seed ${seed}, ${r.sequences} sequences in ${r.batches} binaries (QEMU -cpu ${QEMU_CPU}), ${r.mismatches.length} mismatches, ${secs} s`);
    console.log(`differential: classes ${[...r.classCounts].sort().map(([k, v]) => `${k}=${v}`).join(' ')}`);
    if (r.mismatches.length > 0 || r.failures.length > 0) console.log(report(r));
    expect(r.failures).toEqual([]);
    expect(report(r)).toBe('');
    expect(r.sequences).toBe(count);
  }, 900_000);
});

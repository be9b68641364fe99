// Differential tier, FP/SIMD class: random scalar FP and AdvSIMD sequences on
// random FP bit patterns and FPCR settings (fp-generator.ts), hvrr vs QEMU TCG
// (softfloat), comparing V0-V7, FPSR, FP->integer results and NZCV.
//   HVRR_DIFF_FP_SEQUENCES  number of sequences (default 3000)
//   HVRR_DIFF_FP_SEED       seed (default 0xf10a7)
import { describe, it, expect } from 'vitest';
import { hasQemu, QEMU_CPU } from './harness.js';
import { runCampaign, formatMismatch, type CampaignResult } from './campaign.js';
import { fpSequence } from './fp-generator.js';

const qemu = hasQemu();
const count = Number(process.env.HVRR_DIFF_FP_SEQUENCES ?? 3000);
const seed = Number(process.env.HVRR_DIFF_FP_SEED ?? 0xf10a7);
const BATCH = 500;

describe.skipIf(!qemu)('differential: FP/SIMD, hvrr vs QEMU TCG', () => {
  it(`${count} FP/SIMD sequences (seed ${seed})`, async () => {
    const t0 = Date.now();
    const chunks: number[][] = [];
    for (let i = 0; i < count; i += BATCH) chunks.push(Array.from({ length: Math.min(BATCH, count - i) }, (_, k) => i + k));
    const results: CampaignResult[] = [];
    for (let i = 0; i < chunks.length; i += 2) {
      results.push(...await Promise.all(chunks.slice(i, i + 2).map((ids) =>
        runCampaign({ seed, count: 0, extra: ids.map((id) => fpSequence(seed, id)) }))));
    }
    const mismatches = results.flatMap((r) => r.mismatches);
    const failures = results.flatMap((r) => r.failures);
    const classes = new Map<string, number>();
    for (const r of results) for (const [k, v] of r.classCounts) classes.set(k, (classes.get(k) ?? 0) + v);
    console.log(`differential fp: seed ${seed}, ${count} sequences (QEMU -cpu ${QEMU_CPU}), ${mismatches.length} mismatches, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    console.log(`differential fp: classes ${[...classes].sort().map(([k, v]) => `${k}=${v}`).join(' ')}`);
    const report = [...mismatches.slice(0, 6).map(formatMismatch), ...failures].join('\n\n');
    if (report) console.log(report);
    expect(failures).toEqual([]);
    expect(mismatches.length).toBe(0);
  }, 900_000);
});

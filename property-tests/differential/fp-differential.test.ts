// Differential tier, FP/SIMD class: random scalar FP and AdvSIMD sequences on
// random FP bit patterns and FPCR settings (fp-generator.ts), hvrr vs QEMU TCG
// (softfloat) with `-cpu cortex-a57`, comparing V0-V7, FPSR, FP->integer
// results, NZCV, the scratch memory digest and exceptions.
//   HVRR_DIFF_FP_SEQUENCES  number of sequences (default 3000)
//   HVRR_DIFF_FP_SEED       seed (default 0xf10a7)
//   HVRR_DIFF_FP_CPU        QEMU CPU model (default cortex-a57)
import { describe, it, expect } from 'vitest';
import { hasQemu, buildProgram, runHvrr, compareOutputs } from './harness.js';
import { runQemuImage } from '../../scripts/qemu.js';
import { describeSequence } from './campaign.js';
import { fpSequence } from './fp-generator.js';

const qemu = hasQemu();
const count = Number(process.env.HVRR_DIFF_FP_SEQUENCES ?? 3000);
const seed = Number(process.env.HVRR_DIFF_FP_SEED ?? 0xf10a7);
const cpu = process.env.HVRR_DIFF_FP_CPU ?? 'cortex-a57';
const BATCH = 500;

function runQemuCpu(bytes: Uint8Array): Promise<{ output: string; stop: string }> {
  return runQemuImage(bytes, { cpu, timeoutMs: 120_000 });
}

describe.skipIf(!qemu)('differential: FP/SIMD, hvrr vs QEMU TCG', () => {
  it(`${count} FP/SIMD sequences (seed ${seed}, -cpu ${cpu})`, async () => {
    const t0 = Date.now();
    const reports: string[] = [];
    const failures: string[] = [];
    const classes = new Map<string, number>();
    let mismatches = 0;
    const batches: number[][] = [];
    for (let i = 0; i < count; i += BATCH) batches.push(Array.from({ length: Math.min(BATCH, count - i) }, (_, k) => i + k));
    const runOne = async (ids: number[]) => {
      const seqs = ids.map((id) => fpSequence(seed, id));
      for (const s of seqs) for (const item of s.items) classes.set(item.cls, (classes.get(item.cls) ?? 0) + 1);
      const prog = buildProgram(seqs, ids);
      const q = runQemuCpu(prog.bytes);
      const h = runHvrr(prog.bytes, ids.length);
      const qr = await q;
      if (h.stop !== 'system-off') failures.push(`hvrr stopped with ${h.stop}`);
      if (qr.stop !== 'system-off') failures.push(`qemu stopped with ${qr.stop}`);
      for (const m of compareOutputs(ids, h.output, qr.output)) {
        mismatches++;
        if (reports.length < 6) {
          const d = describeSequence(seqs[ids.indexOf(m.id)]!);
          reports.push(`MISMATCH seq ${m.id} (seed ${seed}): first difference in ${m.what}: hvrr=${m.hvrr} qemu=${m.qemu}\n` +
            d.encodings.split('\n').map((l) => `    ${l}`).join('\n') +
            `\n  reproduce: HVRR_DIFF_FP_SEED=${seed} HVRR_DIFF_FP_SEQUENCES=${m.id + 1} npx vitest run property-tests/differential/fp-differential.test.ts`);
        }
      }
    };
    for (let i = 0; i < batches.length; i += 2) await Promise.all(batches.slice(i, i + 2).map(runOne));
    console.log(`differential fp: seed ${seed}, ${count} sequences (QEMU -cpu ${cpu}), ${mismatches} mismatches, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    console.log(`differential fp: classes ${[...classes].sort().map(([k, v]) => `${k}=${v}`).join(' ')}`);
    if (reports.length) console.log(reports.join('\n\n'));
    expect(failures).toEqual([]);
    expect(mismatches).toBe(0);
  }, 900_000);
});

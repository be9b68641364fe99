// CLI for the differential tier (reproducing one sequence, or a quick run):
//   HVRR_DIFF_SEED=<seed> HVRR_DIFF_START=<index> HVRR_DIFF_SEQUENCES=<n> npx tsx property-tests/differential/run.ts
// Prints every mismatch with its sequence, encodings and init state.
import { runCampaign, formatMismatch, DEFAULT_SEED, sequenceAt, minimise, describeSequence } from './campaign.js';

const seed = Number(process.env.HVRR_DIFF_SEED ?? DEFAULT_SEED);
const count = Number(process.env.HVRR_DIFF_SEQUENCES ?? 1000);
const start = Number(process.env.HVRR_DIFF_START ?? 0);
const batchSize = Number(process.env.HVRR_DIFF_BATCH ?? 500);
const t0 = Date.now(); // progress reporting only
const r = await runCampaign({ seed, count, start, batchSize, log: (l) => process.stderr.write(l + '\n') });
for (const m of r.mismatches.slice(0, 20)) {
  console.log(formatMismatch(m));
  const s = sequenceAt(seed, m.index);
  console.log(`  init: nzcv=${s.init.nzcv.toString(2).padStart(4, '0')} memSeed=0x${s.init.memSeed.toString(16)}`);
  console.log(`  regs: ${s.init.regs.map((v, i) => `x${i}=0x${v.toString(16)}`).join(' ')}`);
  if (process.env.HVRR_DIFF_MINIMISE) {
    const small = await minimise(s);
    console.log(`  minimised:\n${describeSequence(small).encodings.split('\n').map((l) => `    ${l}`).join('\n')}`);
  }
}
for (const f of r.failures) console.log(`FAILURE ${f}`);
console.log(`seed ${seed}: ${r.sequences} sequences in ${r.batches} binaries, ${r.mismatches.length} mismatches, ${r.failures.length} failures, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
console.log([...r.classCounts].sort().map(([k, v]) => `${k}=${v}`).join(' '));
process.exitCode = r.mismatches.length + r.failures.length > 0 ? 1 : 0;

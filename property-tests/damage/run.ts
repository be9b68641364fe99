// The full `hvrr verify` damage campaign (the issue asks for at least 300):
//   npx tsx property-tests/damage/run.ts
//   HVRR_DAMAGE_SEED=<seed> HVRR_DAMAGE_COUNT=<n> HVRR_DAMAGE_START=<i> npx tsx property-tests/damage/run.ts
// Prints the seed first, a line per missed damage (seed, index, what was
// done, what verify said), then the figures. Exit 1 if any damage was missed
// or an undamaged file drew a complaint.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_DAMAGE_SEED } from './damage.js';
import { recordFiles, runDamage, verifyClean } from './campaign.js';
import { suiteSeed } from '../seed.js';

const count = Number(process.env.HVRR_DAMAGE_COUNT ?? 300);
const start = Number(process.env.HVRR_DAMAGE_START ?? 0);
const seed = suiteSeed('damage campaign', 'HVRR_DAMAGE_SEED', DEFAULT_DAMAGE_SEED, { damages: `${start}..${start + count - 1}` });

const t0 = Date.now(); // figures only
const dir = mkdtempSync(join(tmpdir(), 'hvrr-damage-'));
try {
  const files = await recordFiles(dir);
  console.log(`files: ${files.targets.map((t) => `${t.name} (${t.bytes.length} bytes${t.chunks.length ? `, ${t.chunks.length} chunks` : ''})`).join(', ')}`);
  let falsePositives = 0;
  for (const c of await verifyClean(files)) {
    if (c.outcome.code !== 0 || c.outcome.problems.length > 0) {
      falsePositives++;
      console.log(`FALSE POSITIVE on undamaged ${c.target}: exit ${c.outcome.code}: ${c.outcome.problems.join(' / ')} ${c.outcome.err.trim()}`);
    }
  }
  const t1 = Date.now();
  const byKind = new Map<string, [number, number]>();
  const byTarget = new Map<string, number>();
  let found = 0;
  const missedOnes: string[] = [];
  for (let i = start; i < start + count; i++) {
    const r = await runDamage(files, seed, i);
    const k = byKind.get(r.damage.kind) ?? [0, 0];
    k[0]++;
    byTarget.set(r.damage.target, (byTarget.get(r.damage.target) ?? 0) + 1);
    if (r.miss === null) {
      found++;
      k[1]++;
    } else {
      const line = `MISSED seed ${seed} damage ${i}: ${r.damage.target}: ${r.damage.what}: ${r.miss}`;
      missedOnes.push(line);
      console.log(line);
    }
    byKind.set(r.damage.kind, k);
    if (process.env.HVRR_DAMAGE_VERBOSE) console.log(`#${i} ${r.damage.target}: ${r.damage.what} -> exit ${r.outcome.code}, ${r.outcome.problems.length} problem(s): ${r.outcome.problems[0] ?? ''}`);
    else if ((i - start + 1) % 50 === 0) process.stderr.write(`damage campaign: ${i - start + 1}/${count}\n`);
  }
  const secs = (Date.now() - t1) / 1000;
  console.log(`kinds: ${[...byKind].map(([k, [n, f]]) => `${k} ${f}/${n}`).join(', ')}; targets: ${[...byTarget].map(([t, n]) => `${t} ${n}`).join(', ')}`);
  console.log(`seed ${seed}: ${count} damages, ${found} found, ${count - found} missed; ${falsePositives} false positives on ${files.targets.length} undamaged files; ${secs.toFixed(1)} s verifying (${(secs / count).toFixed(2)} s per damage), ${((Date.now() - t0) / 1000).toFixed(1)} s in all`);
  process.exitCode = missedOnes.length > 0 || falsePositives > 0 ? 1 : 0;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

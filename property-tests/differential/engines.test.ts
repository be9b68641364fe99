// The differential tier's generated programs (integer/memory/branch/exception
// and FP/SIMD sequences, plus the handcrafted regressions) run under every CPU
// engine, with the translator's threshold at 1 so every block it can hold is
// translated before its first execution: the console output (register and
// memory dumps), the instruction count and the trace digest must be those of
// the one-instruction-at-a-time interpreter. No QEMU needed.
//   HVRR_ENGINES_SEQUENCES  generated sequences of each kind (default 1500)
//   HVRR_ENGINES_DIFF_SEED  seed (default: rotates with the commit; printed first)
import { describe, expect, it } from 'vitest';
import { CPU_ENGINES } from '../../core/cpu/cpu.js';
import { buildProgram, runHvrr } from './harness.js';
import { sequenceAt, describeSequence } from './campaign.js';
import { fpSequence } from './fp-generator.js';
import { REGRESSIONS } from './regressions.js';
import type { Sequence } from './generator.js';
import { suiteSeed } from '../seed.js';

const count = Number(process.env.HVRR_ENGINES_SEQUENCES ?? 1500);
const BATCH = 250;
const seed = suiteSeed('engines differential', 'HVRR_ENGINES_DIFF_SEED', 0x5eed_e9, { sequences: count, batch: BATCH, engines: CPU_ENGINES.join(','), jitThreshold: 1 });

/** Run one program under every engine; the first difference from the interpreter, or ''. */
function compareEngines(seqs: readonly Sequence[], ids: readonly number[]): string {
  const prog = buildProgram(seqs, ids);
  const ref = runHvrr(prog.bytes, seqs.length, { name: 'interp' });
  if (ref.stop !== 'system-off') return `interpreter stopped with ${ref.stop}`;
  for (const name of CPU_ENGINES) {
    if (name === 'interp') continue;
    const r = runHvrr(prog.bytes, seqs.length, { name, jitThreshold: 1 });
    if (r.output === ref.output && r.instructions === ref.instructions && r.digest === ref.digest && r.stop === ref.stop) continue;
    // Name the first sequence whose dump differs.
    const a = ref.output.split('\n');
    const b = r.output.split('\n');
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    let id = -1;
    for (let j = i; j >= 0; j--) if (a[j]?.startsWith('S')) { id = parseInt(a[j]!.slice(1), 16); break; }
    const k = ids.indexOf(id);
    const where = k >= 0 ? `sequence ${id}:\n${describeSequence(seqs[k]!).encodings}` : '(before the first sequence)';
    return `${name}: line ${i}: interp '${a[i]}' vs ${name} '${b[i]}'; instructions ${ref.instructions} vs ${r.instructions}; ` +
      `digest ${ref.digest === r.digest ? 'same' : 'differs'}; stop ${r.stop}\n${where}`;
  }
  return '';
}

describe('differential programs under every CPU engine', () => {
  it('handcrafted regression sequences', () => {
    const seqs = REGRESSIONS.map((x) => x.seq);
    expect(compareEngines(seqs, seqs.map((_, i) => 0x7fff_0000 + i))).toBe('');
  }, 120_000);

  it(`${count} generated integer/memory/branch sequences (seed ${seed})`, () => {
    for (let i = 0; i < count; i += BATCH) {
      const ids = Array.from({ length: Math.min(BATCH, count - i) }, (_, k) => i + k);
      expect(compareEngines(ids.map((id) => sequenceAt(seed, id)), ids), `seed ${seed}, batch at ${i}`).toBe('');
    }
  }, 900_000);

  it(`${count} generated FP/SIMD sequences (seed ${seed})`, () => {
    for (let i = 0; i < count; i += BATCH) {
      const ids = Array.from({ length: Math.min(BATCH, count - i) }, (_, k) => i + k);
      expect(compareEngines(ids.map((id) => fpSequence(seed, id)), ids), `seed ${seed}, batch at ${i}`).toBe('');
    }
  }, 900_000);
});

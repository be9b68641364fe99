// Every CPU engine gives the same run (docs/cpu-speed.md): on every scenario
// of scenarios.ts, for random configurations, the one-instruction-at-a-time
// interpreter and each fast path (the block cache; the translator at its
// default threshold and at threshold 1, where every block is translated
// before it first runs) produce the identical trace digest,
// instruction count, virtual time and console output, and byte-identical
// snapshots at a random point; a snapshot taken under one engine restored
// under another continues exactly as an uninterrupted run.
//
// HVRR_ENGINES_SEED=<seed> HVRR_PROP_RUNS=<n> npx vitest run property-tests/engines.property.test.ts
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CPU_ENGINES, type CpuEngine } from '../core/cpu/cpu.js';
import type { Machine } from '../core/machine.js';
import { saveFull, restoreInto } from '../snapshots/index.js';
import { SCENARIOS, type Scenario } from './scenarios.js';
import { suiteSeed } from './seed.js';

const RUNS = Number(process.env.HVRR_PROP_RUNS ?? 2);
/** Engine configurations compared with the interpreter (the first). */
interface EngineConfig { name: string; engine: CpuEngine; jitThreshold?: number }
const CONFIGS: readonly EngineConfig[] = [
  ...CPU_ENGINES.map((engine) => ({ name: engine, engine })),
  { name: 'jit@1', engine: 'jit', jitThreshold: 1 },
];
const SEED = suiteSeed('engines property', 'HVRR_ENGINES_SEED', 20261121, { runs: RUNS, engines: CONFIGS.map((c) => c.name).join(',') });
const params = { seed: SEED, numRuns: RUNS, endOnFailure: true };

interface Outcome { digest: string; instructions: number; tick: number; console: string; stop: string }

function build(s: Scenario, cfg: { numCpus: number; seed: bigint; quantumTicks: number }, c: EngineConfig): { m: Machine; out: () => string } {
  const m = s.build(cfg);
  m.core.setEngine(c.engine);
  if (c.jitThreshold !== undefined) m.core.setJitThreshold(c.jitThreshold);
  let text = '';
  const prev = m.onConsole;
  m.onConsole = (b) => {
    text += String.fromCharCode(b);
    prev(b);
  };
  return { m, out: () => text };
}

function outcome(m: Machine, text: string, stop: string): Outcome {
  return { digest: m.trace.digest(), instructions: m.instructions, tick: m.nowTick, console: text, stop };
}

const config = (s: Scenario) => fc.record({
  numCpus: fc.constantFrom(...s.cpus),
  seed: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  quantumTicks: fc.constantFrom(1_000, 7_777, 10_000, 25_000),
});

for (const s of SCENARIOS) {
  describe(`scenario: ${s.name}`, () => {
    it('every engine gives the identical run, snapshots included', () => {
      fc.assert(fc.property(config(s), fc.integer({ min: 1, max: 3_000_000 }), (cfg, split) => {
        const results = new Map<string, Outcome>();
        const snaps = new Map<string, Uint8Array>();
        for (const c of CONFIGS) {
          const { m, out } = build(s, cfg, c);
          m.run(split);
          snaps.set(c.name, saveFull(m).bytes);
          const r = m.run(s.maxInstructions);
          results.set(c.name, outcome(m, out(), r.kind));
          // The fast paths really ran (a property that never used them could not fail).
          if (c.jitThreshold === 1) expect(m.core.jit.stats.translations).toBeGreaterThan(0);
          if (c.engine !== 'interp') expect(m.core.codeStats().blocksBuilt).toBeGreaterThan(0);
        }
        const ref = results.get('interp')!;
        for (const c of CONFIGS) {
          expect({ engine: c.name, ...results.get(c.name)! }).toEqual({ engine: c.name, ...ref });
          expect(Buffer.from(snaps.get(c.name)!).equals(Buffer.from(snaps.get('interp')!)), `${c.name} snapshot bytes`).toBe(true);
        }
        // A snapshot from the interpreter, continued under every other engine (and back).
        for (const c of CONFIGS) {
          const from = c.name === 'interp' ? 'jit@1' : 'interp';
          const { m, out } = build(s, cfg, c);
          restoreInto(m, snaps.get(from)!);
          const r = m.run(s.maxInstructions);
          expect({ engine: c.name, from, digest: m.trace.digest(), instructions: m.instructions, tick: m.nowTick, stop: r.kind })
            .toEqual({ engine: c.name, from, digest: ref.digest, instructions: ref.instructions, tick: ref.tick, stop: ref.stop });
          expect(ref.console.endsWith(out())).toBe(true);
        }
      }), params);
    }, 600_000);
  });
}

// Every CPU engine gives the same run (docs/cpu-speed.md): on every scenario
// of scenarios.ts, for random configurations, the one-instruction-at-a-time
// interpreter and each fast path produce the identical trace digest,
// instruction count, virtual time and console output, and byte-identical
// snapshots at a random point; a snapshot taken under one engine restored
// under another continues exactly as an uninterrupted run.
//
// HVRR_PROP_SEED=<seed> HVRR_PROP_RUNS=<n> npx vitest run property-tests/engines.property.test.ts
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CPU_ENGINES, type CpuEngine } from '../core/cpu/cpu.js';
import type { Machine } from '../core/machine.js';
import { saveFull, restoreInto } from '../snapshots/index.js';
import { SCENARIOS, type Scenario } from './scenarios.js';

/** The default seed rotates with the commit, so CI explores; it is printed first. */
function defaultSeed(): number {
  try {
    return parseInt(execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).slice(0, 7), 16);
  } catch {
    return 20261121;
  }
}
const SEED = Number(process.env.HVRR_PROP_SEED ?? defaultSeed());
const RUNS = Number(process.env.HVRR_PROP_RUNS ?? 2);
console.log(`engines property: seed ${SEED}, ${RUNS} runs per scenario, engines ${CPU_ENGINES.join(', ')}`);
const params = { seed: SEED, numRuns: RUNS, endOnFailure: true };

interface Outcome { digest: string; instructions: number; tick: number; console: string; stop: string }

function build(s: Scenario, cfg: { numCpus: number; seed: bigint; quantumTicks: number }, engine: CpuEngine): { m: Machine; out: () => string } {
  const m = s.build(cfg);
  m.core.setEngine(engine);
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
        const results = new Map<CpuEngine, Outcome>();
        const snaps = new Map<CpuEngine, Uint8Array>();
        for (const engine of CPU_ENGINES) {
          const { m, out } = build(s, cfg, engine);
          m.run(split);
          snaps.set(engine, saveFull(m).bytes);
          const r = m.run(s.maxInstructions);
          results.set(engine, outcome(m, out(), r.kind));
          // The fast paths really ran (a property that never used them could not fail).
          if (engine === 'jit') expect(m.core.jit.stats.translations).toBeGreaterThan(0);
          if (engine !== 'interp') expect(m.core.codeStats().blocksBuilt).toBeGreaterThan(0);
        }
        const ref = results.get('interp')!;
        for (const engine of CPU_ENGINES) {
          expect({ engine, ...results.get(engine)! }).toEqual({ engine, ...ref });
          expect(Buffer.from(snaps.get(engine)!).equals(Buffer.from(snaps.get('interp')!)), `${engine} snapshot bytes`).toBe(true);
        }
        // A snapshot from the interpreter, continued under every other engine (and back).
        for (const engine of CPU_ENGINES) {
          const from = engine === 'interp' ? CPU_ENGINES[CPU_ENGINES.length - 1]! : 'interp';
          const { m, out } = build(s, cfg, engine);
          restoreInto(m, snaps.get(from)!);
          const r = m.run(s.maxInstructions);
          expect({ engine, from, digest: m.trace.digest(), instructions: m.instructions, tick: m.nowTick, stop: r.kind })
            .toEqual({ engine, from, digest: ref.digest, instructions: ref.instructions, tick: ref.tick, stop: ref.stop });
          expect(ref.console.endsWith(out())).toBe(true);
        }
      }), params);
    }, 600_000);
  });
}

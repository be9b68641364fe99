// Record/replay and snapshot properties, on every scenario in scenarios.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Machine } from '../core/machine.js';
import { formatEvent } from '../core/trace/events.js';
import { TraceReader, TraceWriter } from '../replay/traceFile.js';
import { Recorder } from '../replay/recorder.js';
import { Replayer } from '../replay/replayer.js';
import { saveFull, restoreInto, decodeSnapshot, SnapshotError } from '../snapshots/index.js';
import { SCENARIOS, type Scenario } from './scenarios.js';
import { runCli } from '../cli/testing.js';
import { suiteSeed } from './seed.js';

const dir = mkdtempSync(join(tmpdir(), 'hvrr-prop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const RUNS = Number(process.env.HVRR_PROP_RUNS ?? 4);
const SEED = suiteSeed('record/replay property', 'HVRR_REPLAY_SEED', 20261121, { runs: RUNS, scenarios: SCENARIOS.length });
const params = { seed: SEED, numRuns: RUNS, endOnFailure: true };

function events(m: Machine): string[] {
  const out: string[] = [];
  m.trace.subscribe((e) => out.push(formatEvent(e)));
  return out;
}

const config = (s: Scenario) => fc.record({
  numCpus: fc.constantFrom(...s.cpus),
  seed: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  quantumTicks: fc.constantFrom(1_000, 7_777, 10_000, 25_000),
});

const cli = runCli;

for (const s of SCENARIOS) {
  describe(`scenario: ${s.name}`, () => {
    it('record then replay gives the identical event stream', () => {
      let n = 0;
      fc.assert(fc.property(config(s), (cfg) => {
        const path = join(dir, `rr-${n++}.hvrr`);
        const a = s.build(cfg);
        const w = TraceWriter.create(path, { hvrrVersion: 't', machine: {}, images: [], seed: cfg.seed.toString(), stateHashInterval: 97, snapshotInterval: 150_000 }, { chunkEvents: 256 });
        const rec = new Recorder(a, w, { stateHashEvery: 97, snapshotEveryTicks: 150_000 });
        a.run(s.maxInstructions);
        rec.finish();
        const reader = TraceReader.open(path);
        const b = s.build(cfg);
        const r = new Replayer(reader).run(b, { kind: 'end' }, { useSnapshots: false });
        reader.close();
        expect(r.status).toBe('end-of-recording');
        expect(r.checked).toBe(a.trace.count);
        expect(b.trace.digest()).toBe(a.trace.digest());
      }), params);
    });

    it('N ticks, snapshot, restore, M more gives exactly the events of N+M', () => {
      fc.assert(fc.property(config(s), fc.integer({ min: 1, max: 2_000_000 }), (cfg, nInsns) => {
        const full = s.build(cfg);
        const fullEvents = events(full);
        full.run(s.maxInstructions);
        const a = s.build(cfg);
        const aEvents = events(a);
        a.run(nInsns);
        const blob = saveFull(a).bytes;
        const b = s.build(cfg);
        const bEvents = events(b);
        restoreInto(b, blob);
        b.run(s.maxInstructions);
        expect([...aEvents, ...bEvents]).toEqual(fullEvents);
        expect(b.trace.digest()).toBe(full.trace.digest());
        expect(b.nowTick).toBe(full.nowTick);
      }), params);
    });

    it('snapshot, restore, snapshot gives byte-identical files', () => {
      fc.assert(fc.property(config(s), fc.integer({ min: 1, max: 2_000_000 }), (cfg, nInsns) => {
        const a = s.build(cfg);
        a.run(nInsns);
        const first = saveFull(a).bytes;
        const b = s.build(cfg);
        restoreInto(b, first);
        const second = saveFull(b).bytes;
        expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
        // and the decoded state is the same record
        expect(decodeSnapshot(second).machine).toEqual(decodeSnapshot(first).machine);
      }), params);
    });
  });
}

describe('damaged trace and snapshot files', () => {
  const s = SCENARIOS[0]!;
  const tracePath = join(dir, 'good.hvrr');
  const snapPath = join(dir, 'good.hvsnap');
  const goodTrace = (() => {
    const m = s.build({ numCpus: 2, seed: 1n, quantumTicks: 10_000 });
    const w = TraceWriter.create(tracePath, { hvrrVersion: 't', machine: {}, images: [], seed: '1', stateHashInterval: 50, snapshotInterval: 0 }, { chunkEvents: 128 });
    const rec = new Recorder(m, w, { stateHashEvery: 50 });
    m.run(s.maxInstructions);
    rec.finish();
    writeFileSync(snapPath, saveFull(m).bytes);
    return readFileSync(tracePath);
  })();
  const goodSnap = readFileSync(snapPath);

  const damage = fc.oneof(
    fc.record({ kind: fc.constant('cut' as const), at: fc.double({ min: 0, max: 0.999, noNaN: true }) }),
    fc.record({ kind: fc.constant('flip' as const), at: fc.double({ min: 0, max: 0.999, noNaN: true }), bits: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('version' as const), v: fc.integer({ min: 2, max: 0xffff }) }),
  );
  const apply = (src: Buffer, d: fc.Arbitrary<unknown> extends never ? never : { kind: 'cut'; at: number } | { kind: 'flip'; at: number; bits: number } | { kind: 'version'; v: number }): Buffer => {
    const b = Buffer.from(src);
    if (d.kind === 'cut') return b.subarray(0, Math.floor(d.at * b.length));
    if (d.kind === 'flip') {
      const i = Math.floor(d.at * b.length);
      b[i] = b[i]! ^ d.bits;
      return b;
    }
    b.writeUInt32LE(d.v, 8); // the format version follows the 8-byte magic in both formats
    return b;
  };

  it('a damaged trace gives a one-line error (or a clean recovered prefix), never a crash or a partial output file', async () => {
    let n = 0;
    const outcomes = { recovered: 0, refused: 0 };
    await fc.assert(fc.asyncProperty(damage, async (d) => {
      const p = join(dir, `bad-${n}.hvrr`);
      const out = join(dir, `bad-${n++}.hvsnap`);
      writeFileSync(p, apply(goodTrace, d));
      const r = await cli(['replay', p, '--print', 'regs', '--snapshot', out]);
      expect(r.code === 0 || r.code === 2, `exit ${r.code}: ${r.err}`).toBe(true);
      outcomes[r.code === 0 ? 'recovered' : 'refused']++;
      expect(r.err).not.toMatch(/internal error|\n\s+at /);
      if (r.code !== 0) {
        // One error line (a truncated file is also said in one warning line before it).
        const lines = r.err.trim().split('\n');
        expect(lines.filter((l) => !l.startsWith('hvrr: warning: ')), r.err).toHaveLength(1);
        expect(lines.length, r.err).toBeLessThanOrEqual(2);
        expect(existsSync(out)).toBe(false);
      }
    }), { seed: SEED, numRuns: 40 });
    expect(outcomes.refused).toBeGreaterThan(10);
  });

  it('a damaged snapshot gives a one-line error, never a crash', async () => {
    let n = 0;
    await fc.assert(fc.asyncProperty(damage, async (d) => {
      const p = join(dir, `badsnap-${n++}.hvsnap`);
      const bad = apply(goodSnap, d);
      writeFileSync(p, bad);
      expect(() => {
        try {
          decodeSnapshot(bad);
        } catch (e) {
          if (!(e instanceof SnapshotError)) throw e;
        }
      }).not.toThrow();
      const r = await cli(['run', '--restore', p, '--max-insns', '1000']);
      if (r.code !== 0) {
        expect(r.code).toBe(2);
        expect(r.err.trim().split('\n')).toHaveLength(1);
      }
      expect(r.err).not.toMatch(/internal error|\n\s+at /);
    }), { seed: SEED, numRuns: 40 });
  });
});

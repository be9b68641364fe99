import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Machine } from '../core/machine.js';
import { bootKernel } from '../core/firmware/boot.js';
import { selftestImage } from '../guests/selftest/index.js';
import { TraceReader, TraceWriter } from './traceFile.js';
import { Recorder } from './recorder.js';
import { Replayer, snapshotFileProblem } from './replayer.js';

const dir = mkdtempSync(join(tmpdir(), 'hvrr-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SEED = 5n;
function machine(numCpus: number, quantumTicks = 10_000): Machine {
  const m = new Machine({ numCpus, ramBytes: 64 << 20, seed: SEED, quantumTicks });
  bootKernel(m, { kernel: selftestImage() });
  return m;
}

function fingerprint(m: Machine): string {
  const regs = Array.from({ length: m.numCpus }, (_, c) => [m.core.getPc(c), m.core.pstate(c), ...Array.from({ length: 31 }, (_, i) => m.core.getX(c, i))].join(','));
  return `${m.nowTick}/${m.instructions}/${m.trace.count}/${m.trace.digest()}/${regs.join('|')}`;
}

function record(path: string, numCpus: number, snapshotEveryTicks: number, input?: string, snapshotPath?: string): { m: Machine; stats: Recorder['stats'] } {
  const m = machine(numCpus);
  const header = { hvrrVersion: 'test', machine: { numCpus }, images: [], seed: SEED.toString(), stateHashInterval: 50, snapshotInterval: snapshotEveryTicks };
  const w = TraceWriter.create(path, header, { chunkEvents: 200 });
  const snapshotWriter = snapshotPath !== undefined ? TraceWriter.create(snapshotPath, header) : undefined;
  const rec = new Recorder(m, w, { stateHashEvery: 50, snapshotEveryTicks, ...(snapshotWriter ? { snapshotWriter } : {}) });
  if (input) rec.queueInput(Buffer.from(input));
  const r = m.run(100_000_000);
  expect(r.kind).toBe('system-off');
  rec.finish();
  return { m, stats: rec.stats };
}

describe('record and replay', () => {
  const path = join(dir, 'selftest-2cpu.hvrr');
  const recorded = record(path, 2, 200_000, 'hello\n');

  it('records events, inputs, state hashes and snapshots', () => {
    expect(recorded.stats.events).toBeGreaterThan(100);
    expect(recorded.stats.inputs).toBeGreaterThanOrEqual(1); // the guest never reads: flow control holds the rest
    expect(recorded.stats.stateHashes).toBeGreaterThan(2);
    expect(recorded.stats.snapshots).toBeGreaterThan(2);
  });

  it('replays the whole run identically (every event and state hash checked)', () => {
    const reader = TraceReader.open(path);
    const m = machine(2);
    const r = new Replayer(reader).run(m, { kind: 'end' }, { useSnapshots: false });
    expect(r.status).toBe('end-of-recording');
    expect(r.checked).toBe(recorded.stats.events);
    expect(r.stateHashesChecked).toBe(recorded.stats.stateHashes);
    expect(fingerprint(m)).toBe(fingerprint(recorded.m));
    reader.close();
  });

  it('--until exception N lands on the same state with and without snapshots, every time', () => {
    const reader = TraceReader.open(path);
    const total = reader.index.kindCounts?.['exception'] ?? recorded.m.getMachineState().exceptionCount;
    expect(total).toBeGreaterThan(10);
    for (const n of [1, Math.floor(total / 3), Math.floor((2 * total) / 3), total]) {
      const a = machine(2);
      const ra = new Replayer(reader).run(a, { kind: 'exception', n }, { useSnapshots: false });
      const b = machine(2);
      const rb = new Replayer(reader).run(b, { kind: 'exception', n }, { useSnapshots: true });
      expect(ra.status).toBe('reached');
      expect(rb.status).toBe('reached');
      const last = a.trace.last(1)[0];
      expect(last?.kind === 'exception' && last.n === n).toBe(true);
      expect(fingerprint(b)).toBe(fingerprint(a));
      if (n > total / 2) expect(rb.startedFrom).not.toBeNull();
    }
    reader.close();
  });

  it('reports the first divergent event when the replaying machine differs', () => {
    const reader = TraceReader.open(path);
    const m = machine(2, 9_999); // a different quantum changes the interleaving
    const r = new Replayer(reader).run(m, { kind: 'end' }, { useSnapshots: false });
    expect(r.status).toBe('diverged');
    expect(r.divergence!.recorded).not.toBe(r.divergence!.replayed);
    expect(r.divergence!.seq).toBeGreaterThanOrEqual(0);
    reader.close();
  });
});

describe('snapshots in a file beside the trace', () => {
  const path = join(dir, 'side.hvrr');
  const snapPath = join(dir, 'side.hvrr.snap');
  const recorded = record(path, 2, 200_000, 'hi\n', snapPath);

  it('keeps the snapshots out of the trace and seeks with them to the same state', () => {
    const reader = TraceReader.open(path);
    const snaps = TraceReader.open(snapPath);
    expect(reader.snapshots()).toHaveLength(0);
    expect(snaps.snapshots()).toHaveLength(recorded.stats.snapshots);
    expect(snaps.eventCount).toBe(0);
    expect(snapshotFileProblem(reader, snaps)).toBeNull();
    const total = recorded.m.getMachineState().exceptionCount;
    const n = Math.floor((3 * total) / 4);
    const a = machine(2);
    const ra = new Replayer(reader).run(a, { kind: 'exception', n });
    const b = machine(2);
    const rb = new Replayer(reader, snaps).run(b, { kind: 'exception', n });
    expect(ra.startedFrom).toBeNull(); // nothing to seek with in the trace itself
    expect(rb.startedFrom).not.toBeNull();
    expect(rb.status).toBe('reached');
    expect(fingerprint(b)).toBe(fingerprint(a));
    reader.close();
    snaps.close();
  });

  it('refuses a snapshot file recorded with another run', () => {
    const other = join(dir, 'other.hvrr');
    record(other, 1, 200_000, undefined, join(dir, 'other.hvrr.snap'));
    const reader = TraceReader.open(path);
    const snaps = TraceReader.open(join(dir, 'other.hvrr.snap'));
    expect(snapshotFileProblem(reader, snaps)).toMatch(/another machine/);
    const trace = TraceReader.open(other);
    expect(snapshotFileProblem(reader, trace)).toMatch(/another machine|holds events/);
    reader.close();
    snaps.close();
    trace.close();
  });
});

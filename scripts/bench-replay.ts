// `npm run bench:replay`: what recording costs, how fast replay runs, how
// long `--until exception N` takes with snapshots, snapshot save/restore
// times and sizes, and trace bytes per simulated second. Printed, never
// asserted. Wall time is fine here: benchmarks are outside the simulation.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Machine } from '../core/machine.js';
import { bootKernel } from '../core/firmware/boot.js';
import { cpuBenchBinary } from '../guests/bench/cpuBench.js';
import { selftestImage } from '../guests/selftest/index.js';
import { TraceReader, TraceWriter } from '../replay/traceFile.js';
import { Recorder } from '../replay/recorder.js';
import { Replayer } from '../replay/replayer.js';
import { saveFull, saveIncremental, restoreInto } from '../snapshots/index.js';

const dir = mkdtempSync(join(tmpdir(), 'hvrr-bench-replay-'));
const SNAPSHOT_EVERY = Number(process.env.HVRR_BENCH_SNAPSHOT_EVERY ?? 100_000_000);

interface Workload { name: string; build(): Machine }
const workloads: Workload[] = [
  {
    name: 'cpu-bench (1 CPU, MMU on, 150M instructions)',
    build: () => {
      const m = new Machine({ numCpus: 1, ramBytes: 256 << 20, seed: 1n });
      bootKernel(m, { kernel: cpuBenchBinary(20_000) });
      return m;
    },
  },
  {
    name: 'selftest x4 (4 CPUs, timers, IPIs, exclusives)',
    build: () => {
      const m = new Machine({ numCpus: 4, ramBytes: 256 << 20, seed: 1n });
      bootKernel(m, { kernel: selftestImage() });
      return m;
    },
  },
];

const time = <T>(f: () => T): [T, number] => {
  const t0 = performance.now();
  const r = f();
  return [r, (performance.now() - t0) / 1000];
};
const fmt = (n: number): string => n.toLocaleString('en-US');
const best = (xs: number[]): number => Math.min(...xs);

for (const w of workloads) {
  console.log(`\n== ${w.name}`);
  // warm-up
  w.build().run(2e9);
  const plain: number[] = [];
  let insns = 0;
  for (let i = 0; i < 3; i++) {
    const m = w.build();
    const [, s] = time(() => m.run(2e9));
    plain.push(s);
    insns = m.instructions;
  }
  const path = join(dir, 'trace.hvrr');
  const rec: number[] = [];
  let size = 0, events = 0, snaps = 0, ticks = 0, exceptions = 0;
  for (let i = 0; i < 3; i++) {
    const m = w.build();
    const wr = TraceWriter.create(path, { hvrrVersion: 'bench', machine: {}, images: [], seed: '1', stateHashInterval: 10_000, snapshotInterval: SNAPSHOT_EVERY });
    const r = new Recorder(m, wr, { stateHashEvery: 10_000, snapshotEveryTicks: SNAPSHOT_EVERY });
    const [, s] = time(() => {
      m.run(2e9);
      r.finish();
    });
    rec.push(s);
    size = statSync(path).size;
    events = r.stats.events;
    snaps = r.stats.snapshots;
    ticks = m.nowTick;
    exceptions = m.getMachineState().exceptionCount;
  }
  const reader = TraceReader.open(path);
  const rep: number[] = [];
  for (let i = 0; i < 3; i++) {
    const m = w.build();
    const [r, s] = time(() => new Replayer(reader).run(m, { kind: 'end' }, { useSnapshots: false }));
    if (r.status !== 'end-of-recording') throw new Error(`replay ${r.status}`);
    rep.push(s);
  }
  const p = best(plain), rc = best(rec), rp = best(rep);
  console.log(`plain run      : ${p.toFixed(3)} s (${fmt(insns)} instructions, ${(insns / p / 1e6).toFixed(1)} MIPS)`);
  console.log(`record         : ${rc.toFixed(3)} s, overhead ${(((rc - p) / p) * 100).toFixed(1)}% (${fmt(events)} events, ${snaps} snapshots)`);
  console.log(`replay (full)  : ${rp.toFixed(3)} s, ${(rc / rp).toFixed(2)}x recording speed`);
  console.log(`trace          : ${fmt(size)} bytes, ${fmt(Math.round(size / (ticks / 1e9)))} bytes per simulated second`);
  if (exceptions > 0) {
    const ns = [1, Math.ceil(exceptions / 4), Math.ceil(exceptions / 2), Math.ceil((3 * exceptions) / 4), exceptions];
    const parts: string[] = [];
    for (const n of ns) {
      const m = w.build();
      const [r, s] = time(() => new Replayer(reader).run(m, { kind: 'exception', n }));
      if (r.status !== 'reached') throw new Error(`--until exception ${n}: ${r.status}`);
      parts.push(`N=${n}: ${s.toFixed(3)} s`);
    }
    console.log(`--until exc N  : ${parts.join(', ')} (snapshots every ${fmt(SNAPSHOT_EVERY)} ticks)`);
  }
  reader.close();
}

// Snapshot save/restore on a 512 MiB guest.
{
  console.log('\n== snapshots, 512 MiB guest (cpu-bench)');
  const m = new Machine({ numCpus: 1, ramBytes: 512 << 20, seed: 1n });
  bootKernel(m, { kernel: cpuBenchBinary(2_000) });
  m.run(5_000_000);
  const [full, tFull] = time(() => saveFull(m));
  m.run(m.instructions + 2_000_000);
  const [inc, tInc] = time(() => saveIncremental(m, { id: full.meta.id }));
  const target = new Machine({ numCpus: 1, ramBytes: 512 << 20, seed: 1n });
  const [, tRestore] = time(() => restoreInto(target, full.bytes));
  console.log(`full save      : ${(tFull * 1000).toFixed(1)} ms, ${fmt(full.bytes.length)} bytes`);
  console.log(`incremental    : ${(tInc * 1000).toFixed(1)} ms, ${fmt(inc.bytes.length)} bytes (${m.core.dirtyRamPages().length} pages dirty after it)`);
  console.log(`full restore   : ${(tRestore * 1000).toFixed(1)} ms into a fresh machine`);
}
rmSync(dir, { recursive: true, force: true });

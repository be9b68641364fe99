// `npm run bench:gdb [TRACE]`: what the gdb stub's execution commands cost
// on a recording (default: a bare self-test on 2 CPUs recorded here; pass a
// trace, e.g. a boot-linux recording with its .snap, for the Linux figures):
// stepi, reverse-stepi at random points, reverse-continue from the end of the
// recording to a breakpoint near its start; and what an armed data watchpoint
// costs a live run when its pages are hot (the CPU benchmark guest, its
// copy loop reading pages under a write watch that never triggers). Printed,
// never asserted; wall time is fine outside the simulation.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../cli/main.js';
import { machineForRecording, snapshotFileFor } from '../cli/commands/record.js';
import { TraceReader } from '../replay/traceFile.js';
import { DebugSession } from '../replay/debugSession.js';
import { Machine } from '../core/machine.js';
import { bootKernel } from '../core/firmware/boot.js';
import { cpuBenchBinary } from '../guests/bench/cpuBench.js';

const dir = mkdtempSync(join(tmpdir(), 'hvrr-bench-gdb-'));
let trace = process.argv[2];
if (!trace) {
  trace = join(dir, 'selftest.hvrr');
  const sink = { write: () => true };
  await main(['record', 'selftest', '--bare', '--smp', '2', '--mem', '64M', '-o', trace], { stdout: sink, stderr: sink, stdin: null, env: {}, handleSignals: false });
}
const reader = TraceReader.open(trace);
const snapFile = snapshotFileFor(trace);
const snaps = existsSync(snapFile) ? TraceReader.open(snapFile) : reader;
const session = new DebugSession(machineForRecording(reader.header, trace), { reader, snapshots: snaps });
const secs = (t0: number): number => (performance.now() - t0) / 1000;
const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (s: number): string => (s < 0.001 ? `${(s * 1e6).toFixed(0)} us` : `${(s * 1000).toFixed(1)} ms`);
const fmt = (n: number): string => n.toLocaleString('en-US');

// The end: replay forward to the last event.
let t0 = performance.now();
session.goTo(0);
while (session.resume(null, 50_000_000, true) === null);
const end = session.position;
console.log(`${trace}: ${fmt(end)} instructions, ${snaps.snapshots().length} snapshots; replay to the end ${secs(t0).toFixed(2)} s (load ${loadavg()[0]!.toFixed(1)})`);

// stepi: 200 in a row from the middle.
session.goTo(Math.floor(end / 2));
const steps: number[] = [];
for (let i = 0; i < 200; i++) {
  t0 = performance.now();
  session.resume(0);
  steps.push(secs(t0));
}
console.log(`stepi: median ${ms(median(steps))}`);

// reverse-stepi at 4 points spread over the recording: the first there (a
// snapshot decoded, maybe a checkpoint taken), then 4 more in a row.
const cold: number[] = [];
const warm: number[] = [];
for (let i = 1; i <= 4; i++) {
  session.goTo(Math.floor((end * i) / 5));
  session.resume(0);
  for (let j = 0; j < 5; j++) {
    t0 = performance.now();
    session.reverseStep(0);
    (j === 0 ? cold : warm).push(secs(t0));
  }
}
console.log(`reverse-stepi: first at a point median ${ms(median(cold))} (max ${ms(Math.max(...cold))}); the next ones median ${ms(median(warm))} (max ${ms(Math.max(...warm))}); ${session.stats.checkpoints} checkpoints`);

// reverse-continue from the end to a breakpoint near the start (the pc at 1% of the recording).
session.goTo(Math.floor(end / 100));
const pc = session.machine.core.getPc(0);
session.goTo(end);
session.setBreakpoints([{ va: pc, cpuMask: (1 << session.machine.numCpus) - 1, elMask: 0xf }]);
const before = { ...session.stats };
t0 = performance.now();
const cpu0 = process.cpuUsage();
const stop = session.reverseContinue();
const took = secs(t0);
const cpu = process.cpuUsage(cpu0);
console.log(`reverse-continue from the end to the last hit of 0x${pc.toString(16)}: ${took.toFixed(2)} s (CPU time ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s, load ${loadavg()[0]!.toFixed(1)}), landed at ${fmt(session.position)} (${stop.kind}); ` +
  `${session.stats.restores - before.restores} restores (${session.stats.derivedImages - before.derivedImages} from derived images), ${fmt(session.stats.replayedInstructions - before.replayedInstructions)} instructions replayed`);

// A live watchpoint on hot pages: the benchmark's 16 source pages (read by every
// copy, written only at the start) under a write watch of 8 bytes each.
const benchRun = (pages: number): number => {
  const m = new Machine({ numCpus: 1, ramBytes: 256 << 20, seed: 1n });
  bootKernel(m, { kernel: cpuBenchBinary(4_000) });
  m.run(1_000_000); // past the buffer fill
  m.core.setDataWatches(Array.from({ length: pages }, (_, i) => ({ pa: 0x4040_0000 + i * 0x1000 + 0x800, len: 8, read: false, write: true })));
  const t = performance.now();
  const r = m.run(40_000_000);
  if (r.kind !== 'instruction-limit' && r.kind !== 'system-off') throw new Error(`watch bench stopped: ${r.kind}`);
  return (m.instructions - 1_000_000) / ((performance.now() - t) / 1000) / 1e6;
};
benchRun(0);
const rounds = [0, 1, 16].map((p) => ({ p, mips: [] as number[] }));
for (let i = 0; i < 3; i++) for (const r of rounds) r.mips.push(benchRun(r.p));
console.log(`live run, CPU benchmark (jit), MIPS medians of 3 (load ${loadavg()[0]!.toFixed(1)}): ` +
  rounds.map((r) => `${r.p === 0 ? 'no watch' : `write watch on ${r.p} hot page${r.p === 1 ? '' : 's'}`} ${median(r.mips).toFixed(0)}`).join(', '));
rmSync(dir, { recursive: true, force: true });

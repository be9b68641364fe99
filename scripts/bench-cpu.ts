// `npm run bench`: MIPS of hvrr's CPU on a CPU-bound bare-metal guest with
// the MMU on, side by side with QEMU TCG (when installed) on the same binary.
// Rounds are interleaved (hvrr, then QEMU, then hvrr...) so a change in the
// machine's load hits both sides alike; each figure is the median over the
// rounds, and the load average is printed with it. Figures are printed, never
// asserted. Wall time is fine here: this is a benchmark, outside the simulation.
//
// Every CPU engine runs in every round (the fastest is the default; 'interp'
// is the one-instruction-at-a-time interpreter, for comparison).
//
//   npm run bench [-- --rounds N] [--iterations N] [--no-qemu] [--engine NAME]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Machine } from '../core/machine.js';
import { CPU_ENGINES, type CpuEngine } from '../core/cpu/cpu.js';
import { bootKernel } from '../core/firmware/boot.js';
import { cpuBenchBinary } from '../guests/bench/cpuBench.js';
import { QEMU_BIN, qemuVirtArgs } from './qemu.js';
import { loadText, median } from './benchStats.js';

function argValue(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) {
    console.error(`bench: --${name} needs a whole number >= 1`);
    process.exit(2);
  }
  return v;
}

const HVRR_ITERATIONS = argValue('iterations', 20000);
const QEMU_ITERATIONS = HVRR_ITERATIONS * 10;
const ROUNDS = argValue('rounds', 5);
const WITH_QEMU = !process.argv.includes('--no-qemu');
const engineArg = process.argv.indexOf('--engine');
const ENGINES: readonly CpuEngine[] = engineArg < 0 ? [...CPU_ENGINES].reverse() : [process.argv[engineArg + 1] as CpuEngine];
if (!ENGINES.every((e) => CPU_ENGINES.includes(e))) {
  console.error(`bench: --engine must be one of ${CPU_ENGINES.join(', ')}`);
  process.exit(2);
}

/** seconds: wall time; cpuSeconds: CPU time (user + system) of the emulator. */
interface Timed { seconds: number; cpuSeconds: number }
interface HvrrRun extends Timed { instructions: number; output: string }

function runHvrr(iterations: number, engine: CpuEngine = CPU_ENGINES[CPU_ENGINES.length - 1]!): HvrrRun {
  const m = new Machine({ numCpus: 1, ramBytes: 256 << 20, seed: 1n });
  m.core.setEngine(engine);
  let output = '';
  m.onConsole = (b) => { output += String.fromCharCode(b); };
  bootKernel(m, { kernel: cpuBenchBinary(iterations) });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const stop = m.run(1e11);
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  if (stop.kind !== 'system-off') throw new Error(`benchmark guest did not finish: ${JSON.stringify(stop)}`);
  return { instructions: m.instructions, seconds, cpuSeconds: (c.user + c.system) / 1e6, output: output.trim() };
}

function qemuAvailable(): boolean {
  return spawnSync(QEMU_BIN, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** QEMU's wall time and CPU time (all its threads, from the shell's `times`). */
function runQemu(bin: string): Timed & { output: string } {
  const t0 = performance.now();
  const r = spawnSync('bash', ['-c', '"$@"; s=$?; times >&2; exit $s', 'bash', QEMU_BIN, ...qemuVirtArgs(bin, 'stdio', { cpu: 'cortex-a57' })],
    { timeout: 300_000, encoding: 'latin1' });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`qemu failed (${r.status ?? r.signal}): ${r.stderr.trim().split('\n').pop() ?? ''}`);
  // `times`: the shell's user/system line, then its children's ("0m1.234s 0m0.056s").
  const t = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(r.stderr.trim());
  const cpuSeconds = t ? Number(t[1]) * 60 + Number(t[2]) + Number(t[3]) * 60 + Number(t[4]) : NaN;
  return { seconds, cpuSeconds, output: r.stdout.trim() };
}

const fmt = (n: number): string => n.toLocaleString('en-US');
const load = loadText;

// Instruction count is exactly linear in the iteration count: a + b * N.
const c1 = runHvrr(1).instructions;
const c2 = runHvrr(2).instructions;
const perIteration = c2 - c1;
const fixed = c1 - perIteration;
const countFor = (n: number): number => fixed + perIteration * n;

const qemu = WITH_QEMU && qemuAvailable();
const dir = mkdtempSync(join(tmpdir(), 'hvrr-bench-'));
try {
  const big = join(dir, 'bench-big.bin');
  const one = join(dir, 'bench-1.bin');
  writeFileSync(big, cpuBenchBinary(QEMU_ITERATIONS));
  writeFileSync(one, cpuBenchBinary(1));
  const loadStart = load();
  for (const e of ENGINES) runHvrr(200, e); // warm-up (wasm tier-up)
  const hvrrBy = new Map<CpuEngine, HvrrRun[]>(ENGINES.map((e) => [e, []]));
  const qemuRuns: Timed[] = [];
  const qemuInsns = countFor(QEMU_ITERATIONS) - countFor(1);
  for (let r = 0; r < ROUNDS; r++) {
    for (const e of ENGINES) hvrrBy.get(e)!.push(runHvrr(HVRR_ITERATIONS, e));
    if (qemu) {
      // The 1-iteration run measures QEMU's start-up and shutdown, subtracted.
      const startup = runQemu(one);
      const q = runQemu(big);
      qemuRuns.push({ seconds: q.seconds - startup.seconds, cpuSeconds: q.cpuSeconds - startup.cpuSeconds });
    }
  }
  const loadEnd = load();
  const first = hvrrBy.get(ENGINES[0]!)![0]!;
  const insns = first.instructions;
  const mipsOf = (runs: readonly Timed[], n: number, key: keyof Timed): number[] => runs.map((t) => n / t[key] / 1e6);
  const show = (xs: number[]): string => `median ${median(xs).toFixed(1)} MIPS (rounds: ${xs.map((x) => x.toFixed(0)).join(' ')})`;
  console.log(`bench: ${ROUNDS} interleaved rounds; load average ${loadStart} at start, ${loadEnd} at end (node ${process.version})`);
  console.log(`hvrr  : ${fmt(insns)} instructions, checksum ${first.output}`);
  for (const [e, runs] of hvrrBy) {
    const same = runs.every((r) => r.instructions === insns && r.output === first.output) ? '' : ' (DIFFERENT RESULT)';
    console.log(`  ${e.padEnd(6)} CPU time ${show(mipsOf(runs, insns, 'cpuSeconds'))}${same}`);
    console.log(`  ${''.padEnd(6)} wall     ${show(mipsOf(runs, insns, 'seconds'))}`);
  }
  if (!qemu) {
    console.log(WITH_QEMU ? 'qemu  : qemu-system-aarch64 not installed (apt-get install qemu-system-arm); ratio not measured' : 'qemu  : not run (--no-qemu)');
  } else {
    // Same binary as hvrr ran: the checksums must agree.
    const same = join(dir, 'bench-same.bin');
    writeFileSync(same, cpuBenchBinary(HVRR_ITERATIONS));
    const check = runQemu(same).output;
    const agree = check === first.output ? 'same checksum as hvrr' : `checksum ${check} DIFFERS from hvrr`;
    console.log(`qemu  : ${fmt(qemuInsns)} instructions (TCG, cortex-a57, start-up subtracted), ${agree}`);
    console.log(`         CPU time ${show(mipsOf(qemuRuns, qemuInsns, 'cpuSeconds'))}`);
    console.log(`         wall     ${show(mipsOf(qemuRuns, qemuInsns, 'seconds'))}`);
    for (const [e, runs] of hvrrBy) {
      const ratio = (key: keyof Timed): string => (median(mipsOf(runs, insns, key)) / median(mipsOf(qemuRuns, qemuInsns, key))).toFixed(3);
      console.log(`ratio : hvrr (${e}) runs at ${ratio('cpuSeconds')}x QEMU TCG's speed on this guest by CPU time, ${ratio('seconds')}x by wall time (medians)`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

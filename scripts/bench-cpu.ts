// `npm run bench`: MIPS of hvrr's CPU on a CPU-bound bare-metal guest with
// the MMU on, side by side with QEMU TCG (when installed) on the same binary.
// Figures are printed, never asserted. Wall time is fine here: this is a
// benchmark, outside the simulation.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Machine } from '../core/machine.js';
import { bootKernel } from '../core/firmware/boot.js';
import { cpuBenchBinary } from '../guests/bench/cpuBench.js';
import { QEMU_BIN, qemuVirtArgs } from './qemu.js';

const HVRR_ITERATIONS = Number(process.env.HVRR_BENCH_ITERATIONS ?? 20000);
const QEMU_ITERATIONS = HVRR_ITERATIONS * 10;
const REPEATS = Number(process.env.HVRR_BENCH_REPEATS ?? 3);

interface HvrrRun { instructions: number; seconds: number; output: string }

function runHvrr(iterations: number): HvrrRun {
  const m = new Machine({ numCpus: 1, ramBytes: 256 << 20, seed: 1n });
  let output = '';
  m.onConsole = (b) => { output += String.fromCharCode(b); };
  bootKernel(m, { kernel: cpuBenchBinary(iterations) });
  const t0 = performance.now();
  const stop = m.run(1e11);
  const seconds = (performance.now() - t0) / 1000;
  if (stop.kind !== 'system-off') throw new Error(`benchmark guest did not finish: ${JSON.stringify(stop)}`);
  return { instructions: m.instructions, seconds, output: output.trim() };
}

function qemuAvailable(): boolean {
  return spawnSync('qemu-system-aarch64', ['--version'], { stdio: 'ignore' }).status === 0;
}

function runQemu(bin: string): { seconds: number; output: string } {
  const t0 = performance.now();
  const out = execFileSync(QEMU_BIN, qemuVirtArgs(bin, 'stdio', { cpu: 'cortex-a57' }), { timeout: 300_000 }).toString();
  return { seconds: (performance.now() - t0) / 1000, output: out.trim() };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number): string => n.toLocaleString('en-US');

// Instruction count is exactly linear in the iteration count: a + b * N.
const c1 = runHvrr(1).instructions;
const c2 = runHvrr(2).instructions;
const perIteration = c2 - c1;
const fixed = c1 - perIteration;
const countFor = (n: number): number => fixed + perIteration * n;

runHvrr(200); // warm-up (wasm tier-up)
const runs: HvrrRun[] = [];
for (let i = 0; i < REPEATS; i++) runs.push(runHvrr(HVRR_ITERATIONS));
const hvrrSeconds = median(runs.map((r) => r.seconds));
const hvrrMips = runs[0]!.instructions / hvrrSeconds / 1e6;
console.log(`hvrr  : ${fmt(runs[0]!.instructions)} instructions, ${hvrrSeconds.toFixed(3)} s (median of ${REPEATS}), ${hvrrMips.toFixed(1)} MIPS, checksum ${runs[0]!.output}`);

if (!qemuAvailable()) {
  console.log('qemu  : qemu-system-aarch64 not installed (apt-get install qemu-system-arm); ratio not measured');
} else {
  const dir = mkdtempSync(join(tmpdir(), 'hvrr-bench-'));
  try {
    const big = join(dir, 'bench-big.bin');
    const zero = join(dir, 'bench-1.bin');
    writeFileSync(big, cpuBenchBinary(QEMU_ITERATIONS));
    writeFileSync(zero, cpuBenchBinary(1));
    const startup = median(Array.from({ length: REPEATS }, () => runQemu(zero).seconds));
    const qruns = Array.from({ length: REPEATS }, () => runQemu(big));
    const qemuSeconds = median(qruns.map((r) => r.seconds)) - startup;
    const qemuInsns = countFor(QEMU_ITERATIONS) - countFor(1);
    const qemuMips = qemuInsns / qemuSeconds / 1e6;
    // Same binary as hvrr ran: the checksums must agree.
    const same = join(dir, 'bench-same.bin');
    writeFileSync(same, cpuBenchBinary(HVRR_ITERATIONS));
    const check = runQemu(same).output;
    const agree = check === runs[0]!.output ? 'same checksum as hvrr' : `checksum ${check} DIFFERS from hvrr`;
    console.log(`qemu  : ${fmt(qemuInsns)} instructions, ${qemuSeconds.toFixed(3)} s (median, minus ${startup.toFixed(3)} s start-up), ${qemuMips.toFixed(1)} MIPS (TCG, cortex-a57), ${agree}`);
    console.log(`ratio : hvrr runs at ${(hvrrMips / qemuMips).toFixed(3)}x QEMU TCG's speed on this guest`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

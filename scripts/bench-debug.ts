// `npm run bench:debug`: what the guest's own armed debug registers cost a
// live run (core/cpu/as/debugArch.ts). The CPU benchmark guest (MMU on, the
// default engine) runs with MDSCR_EL1.MDE and one comparator enabled, the way
// a guest arms them; it runs with PSTATE.D set, so nothing fires and only the
// cost is measured: a write watchpoint on one of its hot source pages, one on
// a page nothing touches, and a breakpoint at an address never executed
// (that CPU then runs in the checking interpreter). MIPS by CPU time after a
// warm-up, medians of interleaved rounds. Printed, never asserted.
import { loadavg } from 'node:os';
import { Machine } from '../core/machine.js';
import { bootKernel } from '../core/firmware/boot.js';
import { cpuBenchBinary } from '../guests/bench/cpuBench.js';

type Armed = 'nothing' | 'watchpoint on a hot page' | 'watchpoint on a cold page' | 'breakpoint';
const WARMUP = 20_000_000;
const MEASURED = 150_000_000;

function mips(what: Armed): number {
  const m = new Machine({ numCpus: 1, ramBytes: 256 << 20, seed: 1n });
  m.core.setEngine('jit');
  bootKernel(m, { kernel: cpuBenchBinary(1_000_000) });
  m.run(WARMUP); // past the buffer fill, the hot code translated
  const regs = m.core.regs(0);
  if (what !== 'nothing') regs.set('MDSCR_EL1', 1n << 15n);
  if (what === 'watchpoint on a hot page' || what === 'watchpoint on a cold page') {
    regs.set('DBGWVR0_EL1', what === 'watchpoint on a hot page' ? 0x4040_0800n : 0x4070_0800n);
    regs.set('DBGWCR0_EL1', 1n | (3n << 1n) | (2n << 3n) | (0xffn << 5n)); // stores at EL0/EL1, 8 bytes
  }
  if (what === 'breakpoint') {
    regs.set('DBGBVR0_EL1', 0x4070_0000n);
    regs.set('DBGBCR0_EL1', 1n | (3n << 1n) | (0xfn << 5n));
  }
  const c0 = process.cpuUsage();
  const r = m.run(MEASURED);
  const c = process.cpuUsage(c0);
  if (r.kind !== 'instruction-limit') throw new Error(`bench stopped: ${r.kind}`);
  return MEASURED / ((c.user + c.system) / 1e6) / 1e6;
}

const rounds = (['nothing', 'watchpoint on a hot page', 'watchpoint on a cold page', 'breakpoint'] as const).map((w) => ({ w, mips: [] as number[] }));
for (let i = 0; i < 3; i++) for (const r of rounds) r.mips.push(mips(r.w));
const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`guest debug registers armed, CPU benchmark (jit), ${MEASURED / 1e6}M instructions, MIPS by CPU time, medians of 3 (load ${loadavg()[0]!.toFixed(1)}):`);
for (const r of rounds) console.log(`  ${r.w.padEnd(26)} ${median(r.mips).toFixed(0)}`);

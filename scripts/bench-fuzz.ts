// `npm run bench:fuzz`: how fast the fuzzers run, in cases per second of
// host CPU time (and of wall time, with the load average beside it): the
// module-level FF-A fuzzer (command sequences and commands per second), the
// machine-level FF-A fuzzer (sequences and steps per second), the VM-to-VM FF-A fuzzer (sequences and commands per second), the scheduler fuzzer (hypervisor, 1-8 vCPUs, chaos) and the hostile-guest
// fuzzer, each from a fixed seed so rounds compare. Printed, never asserted.
// Arguments name the fuzzers to run (`npm run bench:fuzz -- ffa ffa-machine`); none: all.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runCampaign, type FuzzTarget } from '../fuzz/campaign.js';
import { fuzzerFor, type FuzzKind } from '../fuzz/targets.js';
import fc from 'fast-check';
import { FFA_MAX_COMMANDS, ffaCaseArb, ffaTarget } from '../fuzz/ffa/target.js';
import { ffaMachineTarget } from '../fuzz/ffaMachine/target.js';
import { ffaVmTarget } from '../fuzz/ffaVm/target.js';
import { VmWorld } from '../fuzz/ffaVm/world.js';
import { captureMachine, restoreMachine } from '../core/snapshot.js';

const RUNS: Record<FuzzKind, number> = { ffa: 3000, 'ffa-machine': 20, 'ffa-vm': 300, sched: 20, abi: 40 };
const KINDS = ['ffa', 'ffa-machine', 'ffa-vm', 'sched', 'abi'] as const;
const wanted = process.argv.slice(2);
const bad = wanted.find((k) => !(KINDS as readonly string[]).includes(k));
if (bad !== undefined) {
  console.error(`bench:fuzz: unknown fuzzer ${bad} (want ${KINDS.join(', ')})`);
  process.exit(2);
}
const runs = (kind: FuzzKind): boolean => wanted.length === 0 || wanted.includes(kind);
const dir = mkdtempSync(join(tmpdir(), 'hvrr-bench-fuzz-'));

function bench(kind: FuzzKind, target: FuzzTarget<unknown> = fuzzerFor(kind, { dir })): { runs: number; cpuPerSecond: number; wallPerSecond: number } {
  const c0 = process.cpuUsage();
  const r = runCampaign(target, { seed: 20261205, runs: RUNS[kind], shard: { index: 0, count: 1 }, now: () => performance.now() });
  const c = process.cpuUsage(c0);
  if (r.finding) throw new Error(`bench:fuzz ${kind} found a failure: ${r.finding.message} (case seed ${r.finding.caseSeed})`);
  return { runs: r.runs, cpuPerSecond: r.runs / ((c.user + c.system) / 1e6), wallPerSecond: r.runs / r.seconds };
}

/** A command that does nothing, drawn from one integer: the cheapest fc.commands can generate. */
class NoCommand implements fc.Command<object, object> {
  constructor(readonly n: number) {}
  check(): boolean { return true; }
  run(): void {}
  toString(): string { return String(this.n); }
}

/** Cases per second of CPU time fast-check needs just to generate cases and walk their command
 *  lists, from the same case seeds as the campaign, one fc.check per case: the module-level FF-A
 *  cases themselves (the fuzzer's ceiling), or as many one-integer commands (fast-check's own). */
function fastCheckCeiling(arbitrary: fc.Arbitrary<{ commands: Iterable<unknown> }>): number {
  let commands = 0;
  const c0 = process.cpuUsage();
  for (let k = 0; k < RUNS.ffa; k++) {
    fc.check(fc.property(arbitrary, (v) => {
      for (const _ of v.commands) commands++;
      return true;
    }), { seed: (20261205 + k) >>> 0, numRuns: 1 });
  }
  const c = process.cpuUsage(c0);
  if (commands === 0) throw new Error('bench:fuzz: fast-check generated no commands');
  return RUNS.ffa / ((c.user + c.system) / 1e6);
}

console.log(`bench:fuzz: seed 20261205, load average ${loadavg()[0]!.toFixed(2)} at start (2-core machine)`);
/** A command-sequence fuzzer's sequences and commands per second (its target counts them). */
function benchCommands(kind: FuzzKind, target: FuzzTarget<unknown> & { stats: { cases: number; commands: number } }, label: string): void {
  const c0 = process.cpuUsage();
  const r = bench(kind, target);
  const cpu = process.cpuUsage(c0);
  const commandsPerSecond = target.stats.commands / ((cpu.user + cpu.system) / 1e6);
  console.log(`  fuzz ${label}: ${r.runs} command sequences (${(target.stats.commands / target.stats.cases).toFixed(1)} commands each), ${r.cpuPerSecond.toFixed(0)} sequences/s by CPU time ` +
    `(${commandsPerSecond.toFixed(0)} commands/s), ${r.wallPerSecond.toFixed(0)} by wall time (load ${loadavg()[0]!.toFixed(2)})`);
}

if (runs('ffa')) {
  benchCommands('ffa', ffaTarget({}) as FuzzTarget<unknown> & { stats: { cases: number; commands: number } }, 'ffa (module level)');
  const same = fastCheckCeiling(ffaCaseArb());
  const cheapest = fastCheckCeiling(fc.record({ commands: fc.commands([fc.nat().map((n) => new NoCommand(n))], { maxCommands: FFA_MAX_COMMANDS, size: 'medium' }) }));
  console.log(`    fast-check alone (cases generated and their commands walked, one fc.check per case as the campaign runs them, nothing called): ` +
    `${same.toFixed(0)} sequences/s by CPU time on these cases, the ceiling of any run of them; ${cheapest.toFixed(0)}/s with commands of one integer each`);
}
if (runs('ffa-machine')) {
  const machine = ffaMachineTarget({ dir });
  const c0 = process.cpuUsage();
  const r = bench('ffa-machine', machine as FuzzTarget<unknown>);
  const cpu = process.cpuUsage(c0);
  const stepsPerSecond = machine.stats.steps / ((cpu.user + cpu.system) / 1e6);
  console.log(`  fuzz ffa --machine (machine level): ${r.runs} command sequences (${(machine.stats.steps / machine.stats.cases).toFixed(1)} checked steps each), ${r.cpuPerSecond.toFixed(2)} sequences/s by CPU time ` +
    `(${stepsPerSecond.toFixed(0)} steps/s), ${r.wallPerSecond.toFixed(2)} by wall time (load ${loadavg()[0]!.toFixed(2)})`);
}
if (runs('ffa-vm')) {
  benchCommands('ffa-vm', ffaVmTarget({}) as FuzzTarget<unknown> & { stats: { cases: number; commands: number } }, 'ffa --vm (VM-to-VM proxy, one machine restored per case)');
  // Why one machine per campaign: building one per case, restoring a full capture, or resetting the record and written pages.
  const ms = (n: number, f: () => void): number => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) f();
    return (performance.now() - t0) / n;
  };
  const world = new VmWorld('');
  const capture = captureMachine(world.m);
  const saved = { ...capture, ram: capture.ram.slice(), secureRam: capture.secureRam.slice() };
  const build = ms(5, () => new VmWorld(''));
  const full = ms(10, () => restoreMachine(world.m, saved));
  const reset = ms(100, () => {
    world.call(1, [0n]);
    world.reset();
  });
  console.log(`    its machine: built ${build.toFixed(1)} ms, restored from a full capture ${full.toFixed(1)} ms, reset to its initial state (hypervisor loadState + written pages) ${reset.toFixed(2)} ms`);
}
for (const kind of ['sched', 'abi'] as const) {
  if (!runs(kind)) continue;
  const r = bench(kind);
  console.log(`  fuzz ${kind}: ${r.runs} cases, ${r.cpuPerSecond.toFixed(2)} cases/s by CPU time, ${r.wallPerSecond.toFixed(2)} by wall time (load ${loadavg()[0]!.toFixed(2)})`);
}
rmSync(dir, { recursive: true, force: true });

// `npm run bench:world`: the host cost of a world switch on a machine with
// two Security states (the EL3 firmware's SPMD, the S-EL2 test plug-in and
// its S-EL1 partition: core/firmware/sel2TestPlugin.ts). Three NS-EL1 loops:
//   direct  N FFA_MSG_SEND_DIRECT_REQ_32 to the partition, each answered
//           with FFA_MSG_SEND_DIRECT_RESP_32: NS -> EL3 -> S-EL2 -> S-EL1 ->
//           S-EL2 -> EL3 -> NS, two world switches per round trip
//   smc     N FFA_ID_GET, answered at EL3 (an SMC round trip without a switch)
//   none    the same loop without any SMC (the loop's own cost)
// Per round trip: (time(direct) - time(none)) / N, and the same for smc.
// Rounds are interleaved; medians of CPU time (wall beside), with the load
// average. Printed, never asserted (wall time is fine in a benchmark). No
// QEMU figure beside it: that needs TF-A and an SPMC built for QEMU, which
// this project does not have (a cost of QEMU's own world switch is TF-A
// code, not something QEMU does).
//
//   npm run bench:world [-- --rounds N] [--engine jit|blocks|interp]...
import { CPU_ENGINES, type CpuEngine } from '../core/cpu/cpu.js';
import { bootSecureTestMachine, PARTITION_ID } from '../core/firmware/sel2TestPlugin.js';
import { loadText, median } from './benchStats.js';

const arg = (name: string): string[] => process.argv.flatMap((a, i) => (a === `--${name}` ? [process.argv[i + 1] ?? ''] : a.startsWith(`--${name}=`) ? [a.slice(name.length + 3)] : []));
const ROUNDS = Number(arg('rounds')[0] ?? 5);
const ENGINES = (arg('engine').length > 0 ? arg('engine') : ['jit']) as CpuEngine[];
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || !ENGINES.every((e) => CPU_ENGINES.includes(e))) {
  console.error(`bench:world: --rounds N (>= 1), --engine one of ${CPU_ENGINES.join(', ')}`);
  process.exit(2);
}
const CALLS = Number(process.env.HVRR_WORLD_CALLS ?? 20_000);

const CALL: Record<string, string> = {
  direct: `  ldr x0, =0x8400006f\n  ldr x1, =${PARTITION_ID}\n  mov x2, #0\n  mov x3, #0\n  mov x4, x20\n  smc #0`,
  smc: '  ldr x0, =0x84000069\n  smc #0',
  none: '  ldr x0, =0x84000069\n  mov x1, #0',
};

interface Result { instructions: number; cpu: number; wall: number }

function run(kind: string, engine: CpuEngine): Result {
  const { m } = bootSecureTestMachine(`  ldr x20, =${CALLS}\n1:\n${CALL[kind]!}\n  subs x20, x20, #1\n  b.ne 1b\n  ldr x0, =0x84000008\n  smc #0\n  b .\n`);
  m.core.setEngine(engine);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const stop = m.run(1e9);
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  if (stop.kind !== 'system-off') throw new Error(`${kind}: did not finish: ${JSON.stringify(stop)}`);
  return { instructions: m.instructions, cpu: (c.user + c.system) / 1e6, wall };
}

const load = loadText;

const loadStart = load();
const kinds = Object.keys(CALL);
for (const e of ENGINES) for (const k of kinds) run(k, e); // warm-up
const results = new Map<string, Result[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const e of ENGINES) for (const k of kinds) results.set(`${e}/${k}`, [...(results.get(`${e}/${k}`) ?? []), run(k, e)]);
}
console.log(`bench:world: ${ROUNDS} interleaved rounds, ${CALLS} calls per loop; load average ${loadStart} at start, ${load()} at end (node ${process.version})`);
for (const e of ENGINES) {
  const get = (k: string) => results.get(`${e}/${k}`)!;
  const per = (k: string, key: 'cpu' | 'wall') => median(get(k).map((r, i) => (r[key] - get('none')[i]![key]) / CALLS * 1e9));
  console.log(`\n[${e}]`);
  for (const k of kinds) console.log(`  ${k.padEnd(6)} ${get(k)[0]!.instructions.toLocaleString('en-US').padStart(12)} instructions, ${median(get(k).map((r) => r.cpu * 1e3)).toFixed(1)} ms CPU`);
  console.log(`  NS -> S -> NS round trip (direct request to the S-EL1 partition and its response): ${per('direct', 'cpu').toFixed(0)} ns of host CPU time (${per('direct', 'wall').toFixed(0)} ns wall)`);
  console.log(`  SMC answered at EL3 without a world switch (FFA_ID_GET): ${per('smc', 'cpu').toFixed(0)} ns CPU (${per('smc', 'wall').toFixed(0)} ns wall)`);
}

// `npm run bench:traps`: the host cost of the trap and event paths, beside
// the CPU-bound speed, for a guest under the hypervisor (one vCPU):
//   cpu    a CPU-bound loop (no traps): the reference speed
//   hvc    the same loop with an HVC #0 (GET_HV_ID) per iteration: the host
//          time of one guest HVC -> TypeScript hypervisor -> guest round
//          trip is (time(hvc) - time(cpu)) / HVCs
//   timer  the loop with the virtual timer interrupting every PERIOD ticks
//          (handler re-arms it): the event-heavy speed
//   poll   a delay loop polling CNTVCT_EL0, with the timer interrupting: the
//          shape of a bare-metal timer test
// and, without the hypervisor, the bare core+machine part of a trap (an HVC
// answered by a minimal EL2 handler). Rounds are interleaved; figures are
// medians of CPU time (wall beside), with the load average. Printed, never
// asserted. Wall time is fine here: this is a benchmark.
//
//   npm run bench:traps [-- --rounds N] [--engine jit|blocks|interp]...
import { Machine } from '../core/machine.js';
import { CPU_ENGINES, TICKS_PER_COUNTER, type CpuEngine } from '../core/cpu/cpu.js';
import { PsciStandIn } from '../core/firmware/standIn.js';
import { assemble } from '../core/asm/assembler.js';
import { bootKernel } from '../core/firmware/boot.js';
import { Hypervisor, machineRamFor, type HypervisorConfig } from '../core/hypervisor/hypervisor.js';
import { guestSource, LOAD_IPA } from '../core/hypervisor/testGuest.js';
import { loadText, median } from './benchStats.js';

const arg = (name: string): string[] => process.argv.flatMap((a, i) => (a === `--${name}` ? [process.argv[i + 1] ?? ''] : a.startsWith(`--${name}=`) ? [a.slice(name.length + 3)] : []));
const ROUNDS = Number(arg('rounds')[0] ?? 5);
const ENGINES = (arg('engine').length > 0 ? arg('engine') : ['jit', 'interp']) as CpuEngine[];
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || !ENGINES.every((e) => CPU_ENGINES.includes(e))) {
  console.error(`bench:traps: --rounds N (>= 1), --engine one of ${CPU_ENGINES.join(', ')}`);
  process.exit(2);
}

const ITERATIONS = Number(process.env.HVRR_TRAPS_ITERATIONS ?? 2_000_000); // loop iterations of every guest
const HVCS = ITERATIONS / 4; // HVCs in the hvc guest (one every ITERATIONS / HVCS iterations)
const PERIOD_COUNTS = 625; // timer period in counter ticks (10 us = 10,000 instructions of virtual time)

// The CPU-bound body: a hashing step over registers (x9..x12), 8 instructions.
const BODY = `
    eor x9, x9, x10
    ror x9, x9, #27
    add x9, x9, x10, lsr #3
    mul x11, x9, x10
    add x10, x10, x11
    add x12, x12, #1
`;
const LOOP = (extra: string) => `
    ldr x9, =0x9e3779b97f4a7c15
    mov x10, #7
    ldr x20, =${ITERATIONS}
    mov x21, #0
1:
${BODY}
${extra}
    subs x20, x20, #1
    b.ne 1b
`;
const HVC_EVERY = ITERATIONS / HVCS;
const ARM_TIMER = `
    mov x1, #0
    bl gic_init
    mrs x1, cntvct_el0
    add x1, x1, #${PERIOD_COUNTS}
    msr cntv_cval_el0, x1
    mov x1, #1
    msr cntv_ctl_el0, x1
    msr daifclr, #2
`;
const REARM = `
    cmp x0, #27
    b.ne 7f
    mrs x1, cntvct_el0
    add x1, x1, #${PERIOD_COUNTS}
    msr cntv_cval_el0, x1
    mov x1, #1
    msr cntv_ctl_el0, x1
7:
`;

const GUESTS: Record<string, { main: string; onIrq?: string }> = {
  cpu: { main: LOOP('') },
  hvc: {
    main: LOOP(`
    add x21, x21, #1
    cmp x21, #${HVC_EVERY}
    b.ne 2f
    mov x21, #0
    mov x0, #0
    hvc #0
2:`),
  },
  timer: { main: ARM_TIMER + LOOP(''), onIrq: REARM },
  poll: {
    main: ARM_TIMER + `
    ldr x20, =${ITERATIONS / 20}
1:  mrs x1, cntvct_el0
    add x1, x1, #2           // wait 2 counts (32 ticks)
2:  mrs x2, cntvct_el0
    cmp x2, x1
    b.lo 2b
    subs x20, x20, #1
    b.ne 1b
`,
    onIrq: REARM,
  },
};

interface Result { instructions: number; cpu: number; wall: number; traps: number; irqs: number }

function runGuest(name: string, engine: CpuEngine): Result {
  const kernel = assemble(guestSource(GUESTS[name]!), { baseAddress: LOAD_IPA }).bytes;
  const cfg: HypervisorConfig = { vms: [{ numVcpus: 1, ramBytes: 32 << 20, kernel }] };
  const m = new Machine({ numCpus: 1, ramBytes: machineRamFor(cfg), seed: 1n });
  m.core.setEngine(engine);
  const hv = new Hypervisor(m, cfg);
  let irqs = 0;
  m.trace.subscribe((e) => { if (e.kind === 'exception' && e.type === 'irq') irqs++; });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const stop = m.run(2e9);
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  if (stop.kind !== 'system-off') throw new Error(`${name}: guest did not finish: ${JSON.stringify(stop)}`);
  return { instructions: m.instructions, cpu: (c.user + c.system) / 1e6, wall, traps: hv.s.counters['traps'] ?? 0, irqs };
}

/** Bare machine (no hypervisor): HVC answered by a minimal EL2 handler (x0 = 0, ERET). */
function runBareHvc(engine: CpuEngine, hvcs: number): Result {
  const src = `
    ldr x20, =${hvcs}
  1: mov x0, #1
    hvc #1
    subs x20, x20, #1
    b.ne 1b
    ldr x0, =0x84000008
    hvc #0
  `;
  const m = new Machine({ numCpus: 1, ramBytes: 64 << 20, seed: 1n });
  m.core.setEngine(engine);
  bootKernel(m, { kernel: assemble(src, { baseAddress: 0x4008_0000n }).bytes });
  let traps = 0;
  const standIn = new PsciStandIn();
  m.software.install('el2-ns', {
    handle(mm, cpu, toEl) {
      const iss = Number(mm.core.regs(cpu).get('ESR_EL2') & 0xffffn);
      if (toEl === 2 && iss === 1) {
        traps++;
        mm.core.setX(cpu, 0, 0n);
        mm.core.eret(cpu);
        return;
      }
      standIn.handle(mm, cpu, toEl);
    },
  });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const stop = m.run(1e9);
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  if (stop.kind !== 'system-off') throw new Error(`bare hvc: did not finish: ${JSON.stringify(stop)}`);
  return { instructions: m.instructions, cpu: (c.user + c.system) / 1e6, wall, traps, irqs: 0 };
}

const load = loadText;

const loadStart = load();
const names = Object.keys(GUESTS);
const BARE_HVCS = 100_000;
for (const e of ENGINES) for (const n of names) runGuest(n, e); // warm-up (wasm tier-up, translations)
const results = new Map<string, Result[]>();
const put = (k: string, r: Result): void => { results.set(k, [...(results.get(k) ?? []), r]); };
for (let round = 0; round < ROUNDS; round++) {
  for (const e of ENGINES) {
    for (const n of names) put(`${e}/${n}`, runGuest(n, e));
    put(`${e}/bare-hvc`, runBareHvc(e, BARE_HVCS));
    put(`${e}/bare-nohvc`, runBareHvc(e, 1));
  }
}
console.log(`bench:traps: ${ROUNDS} interleaved rounds; load average ${loadStart} at start, ${load()} at end (node ${process.version})`);
console.log(`guests under the hypervisor, 1 vCPU; loop of ${ITERATIONS} iterations; timer period ${PERIOD_COUNTS} counts (${PERIOD_COUNTS * TICKS_PER_COUNTER} ticks)`);
for (const e of ENGINES) {
  const get = (n: string) => results.get(`${e}/${n}`)!;
  const mips = (n: string, key: 'cpu' | 'wall') => median(get(n).map((r) => r.instructions / r[key] / 1e6));
  console.log(`\n[${e}]`);
  for (const n of names) {
    const r = get(n)[0]!;
    console.log(`  ${n.padEnd(6)} ${r.instructions.toLocaleString('en-US').padStart(12)} instructions, ${String(r.traps).padStart(6)} traps, ${String(r.irqs).padStart(6)} IRQs: ` +
      `${mips(n, 'cpu').toFixed(1)} MIPS by CPU time (${mips(n, 'wall').toFixed(1)} by wall)`);
  }
  const hvcTraps = get('hvc')[0]!.traps - get('cpu')[0]!.traps;
  const trapUs = (key: 'cpu' | 'wall') => {
    // Per-round pairs, so both sides of a difference saw the same load.
    const d = get('hvc').map((r, i) => (r[key] - get('cpu')[i]![key]) / hvcTraps * 1e6);
    return median(d);
  };
  console.log(`  trap round trip (guest HVC -> TypeScript hypervisor -> guest): ${trapUs('cpu').toFixed(2)} us of host CPU time (${trapUs('wall').toFixed(2)} us wall), ${hvcTraps} HVCs`);
  const bareD = (key: 'cpu' | 'wall') => median(get('bare-hvc').map((r, i) => (r[key] - get('bare-nohvc')[i]![key]) / BARE_HVCS * 1e6));
  console.log(`  bare trap round trip (no hypervisor: core exit, minimal EL2 handler, ERET): ${bareD('cpu').toFixed(2)} us CPU (${bareD('wall').toFixed(2)} us wall)`);
  console.log(`  event-heavy (timer) vs CPU-bound: ${(mips('timer', 'cpu') / mips('cpu', 'cpu')).toFixed(2)}x; polling timer test: ${mips('poll', 'cpu').toFixed(1)} MIPS`);
}

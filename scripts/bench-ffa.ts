// `npm run bench:ffa`: FF-A on the whole machine, real guest code on both
// sides: the bundled FF-A client (guests/ffa-client) in a Normal-world VM
// under the NS-EL2 hypervisor's FF-A proxy, on a `--secure` machine with the
// EL3 firmware's SPMD, the S-EL2 SPMC (core/spmc) and the bundled S-EL1
// partitions (guests/sp); and the same client bare at NS-EL1 (`--bare
// --secure`: its SMCs reach the SPMD directly). One loop per machine run,
// after the client's set-up checks (version, ID, RX/TX map):
//   direct  FFA_MSG_SEND_DIRECT_REQ_64 ECHO to SP1, its direct response
//           checked: VM -> EL2 -> EL3 -> S-EL2 -> SP1 and back
//   share   one page: FFA_MEM_SHARE_64 to SP1, SP1's MEM_CHECK (retrieve,
//           check every byte, mark, relinquish), FFA_MEM_RECLAIM, the mark
//           checked and undone
//   id      FFA_ID_GET: answered by the proxy (VM) or the SPMD (bare)
//   spm-id  FFA_SPM_ID_GET: answered by the SPMD at EL3 (forwarded by the
//           proxy under the hypervisor): an SMC without a world switch
//   count   FFA_PARTITION_INFO_GET, count only: answered by the SPMC itself,
//           no partition runs: an SMC with two world switches
// Per operation: (time(loop of N) - time(the same program with 0)) / N, so
// boot and set-up cancel out. A world switch is estimated two ways: the
// SPMD's own save/restore (worldContext.ts saveWorld + restoreWorld on a
// booted PE, timed in a host loop), and (time(count) - time(spm-id)) / 2
// (one switch plus the SPMC's dispatch of a trivial call). Rounds are
// interleaved; medians of CPU time (wall beside), with the load average.
// Every loop checks every answer in the guest; a run whose client reports a
// failure stops the bench. Printed, never asserted. No QEMU figure: QEMU TCG
// would need TF-A and an SPMC (Hafnium) built for its virt board, which
// this environment does not have.
//
//   npm run bench:ffa [-- --rounds N] [--engine jit|blocks|interp]
import * as F from '../core/ffa/functionIds.js';
import { CPU_ENGINES, type CpuEngine } from '../core/cpu/cpu.js';
import { Machine } from '../core/machine.js';
import { Hypervisor, machineRamFor, type HypervisorConfig } from '../core/hypervisor/hypervisor.js';
import { installSpmc, SPMC_BOOT_INFO } from '../core/spmc/installSpmc.js';
import { bootSpmcMachine } from '../core/spmc/spmcTesting.js';
import { secureColdBoot } from '../core/firmware/secureBoot.js';
import { restoreWorld, saveWorld, WORLD_CONTEXT_BYTES } from '../core/firmware/worldContext.js';
import { bundledPartitions } from '../guests/sp/index.js';
import { CMD_ECHO, CMD_MEM_CHECK, SP1_ID } from '../guests/sp/protocol.js';
import { CLIENT_SHARE_AREA, CLIENT_SUMMARY_PREFIX, clientSource, ffaClientImage, type ClientCheck } from '../guests/ffa-client/index.js';
import type { CheckAsm } from '../guests/ffa-client/kit.js';
import { loadText, median } from './benchStats.js';

const arg = (name: string): string[] => process.argv.flatMap((a, i) => (a === `--${name}` ? [process.argv[i + 1] ?? ''] : a.startsWith(`--${name}=`) ? [a.slice(name.length + 3)] : []));
const ROUNDS = Number(arg('rounds')[0] ?? 5);
const ENGINE = (arg('engine')[0] ?? 'jit') as CpuEngine;
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || !CPU_ENGINES.includes(ENGINE)) {
  console.error(`bench:ffa: --rounds N (>= 1), --engine one of ${CPU_ENGINES.join(', ')}`);
  process.exit(2);
}

const SHARE_PAGE = CLIENT_SHARE_AREA + 0x40_000n; // one page no client check uses
const PATTERN = 0x3c;
/** Iterations of each loop (the share cycle is longer: SP1 checks 4 KiB byte by byte). */
const ITERATIONS: Record<Kind, number> = { direct: 4000, share: 1000, id: 8000, 'spm-id': 8000, count: 4000 };
type Kind = 'direct' | 'share' | 'id' | 'spm-id' | 'count';
type World = 'vm' | 'bare';
const KINDS: Kind[] = ['direct', 'share', 'id', 'spm-id', 'count'];

/** The loop's body (x22 counts down; x19-x21 are free; the client's routines clobber x0-x18). */
const BODY: Record<Kind, (c: CheckAsm) => void> = {
  direct: (c) => {
    c.direct(64, SP1_ID, CMD_ECHO, 'x22', 0x55aa, 7, 'x28');
    c.expectReg('x4', 'x22', 'echoed x4');
  },
  share: (c) => {
    c.asm(`    ldr x0, =0x${F.FFA_MEM_SHARE_64.toString(16)}\n    ldr x1, =0x${SP1_ID.toString(16)}\n    ldr x2, =0x${SHARE_PAGE.toString(16)}\n    mov x3, #1\n    adr x4, share_template\n    mov x5, #0\n    mov x6, x28\n    mov x7, #0\n    bl mem_send`);
    c.expectSuccess('FFA_MEM_SHARE_64 refused');
    c.asm('    mov w19, w2\n    orr x19, x19, x3, lsl #32');
    c.directOk(64, SP1_ID, CMD_MEM_CHECK, 'x19', PATTERN, 1);
    c.expectReg('x4', 1, 'pages SP1 checked');
    c.asm('    mov w21, w19\n    lsr x20, x19, #32');
    c.call(F.FFA_MEM_RECLAIM, 'x21', 'x20', 0);
    c.expectSuccess('FFA_MEM_RECLAIM refused');
    // SP1 marked the page's first byte pattern + 1: check it and put the pattern back for the next cycle.
    c.asm(`    ldr x9, =0x${SHARE_PAGE.toString(16)}\n    ldrb w10, [x9]\n    cmp w10, #${PATTERN + 1}`);
    c.failUnless('eq', 'SP1 did not mark the page', 'x10');
    c.asm(`    mov w10, #${PATTERN}\n    strb w10, [x9]`);
  },
  id: (c) => {
    c.call(F.FFA_ID_GET);
    c.expectSuccess('FFA_ID_GET');
  },
  'spm-id': (c) => {
    c.call(F.FFA_SPM_ID_GET);
    c.expectSuccess('FFA_SPM_ID_GET');
  },
  count: (c) => {
    c.call(F.FFA_PARTITION_INFO_GET, 0, 0, 0, 0, 1);
    c.expectSuccess('FFA_PARTITION_INFO_GET (count only)');
    c.expectReg('x2', 3, 'partitions counted');
  },
};

function benchCheck(kind: Kind, iterations: number): ClientCheck {
  return {
    name: `bench-${kind}`,
    body: (c) => {
      if (kind === 'share') c.asm(`    ldr x0, =0x${SHARE_PAGE.toString(16)}\n    mov x1, #1\n    mov x2, #${PATTERN}\n    bl fill_pages`);
      const l = `bench_${kind.replace('-', '_')}`;
      c.asm(`    ldr x22, =${iterations}\n    cbz x22, ${l}_done\n${l}_loop:`);
      BODY[kind](c);
      c.asm(`    subs x22, x22, #1\n    b.ne ${l}_loop\n${l}_done:`);
    },
  };
}

const SETUP = ['ffa-version', 'id-get', 'rxtx-map'];

/** A booted machine (not run yet) whose client runs the set-up checks and the loop. */
function machine(world: World, kind: Kind, iterations: number): Machine {
  const opts = { conduit: 'smc' as const, only: SETUP, extra: [benchCheck(kind, iterations)] };
  const packages = bundledPartitions().map((p) => p.package);
  if (world === 'bare') return bootSpmcMachine(clientSource(opts), packages, { ramBytes: 64 << 20 }).m;
  const cfg: HypervisorConfig = { vms: [{ numVcpus: 1, ramBytes: 64 << 20, kernel: ffaClientImage(opts) }] };
  const m = new Machine({ numCpus: 1, ramBytes: machineRamFor(cfg), seed: 7n, secure: true });
  new Hypervisor(m, cfg);
  installSpmc(m, packages);
  secureColdBoot(m, SPMC_BOOT_INFO);
  return m;
}

interface Result { instructions: number; cpu: number; wall: number }

function run(world: World, kind: Kind, iterations: number): Result {
  const m = machine(world, kind, iterations);
  m.core.setEngine(ENGINE);
  const out: number[] = [];
  m.onConsole = (b) => out.push(b);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const stop = m.run(2e9);
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const lines = Buffer.from(out).toString('latin1').split('\n');
  const summary = `${CLIENT_SUMMARY_PREFIX} pass=${SETUP.length + 1} fail=0`;
  if (stop.kind !== 'system-off' || !lines.includes(summary)) {
    console.error(`bench:ffa: ${world}/${kind} (${iterations} iterations) did not pass: ${JSON.stringify(stop)}; ${lines.filter((l) => l.startsWith('FAIL') || l.startsWith(CLIENT_SUMMARY_PREFIX)).join(' | ')}`);
    process.exit(1);
  }
  return { instructions: m.instructions, cpu: (c.user + c.system) / 1e6, wall };
}

/** The SPMD's save of one world and restore of the other, on a booted PE: ns per pair (CPU, wall). */
function switchCost(): { cpu: number; wall: number } {
  const m = machine('bare', 'id', 0);
  m.run(2e9);
  const a = new Uint8Array(WORLD_CONTEXT_BYTES);
  const b = new Uint8Array(WORLD_CONTEXT_BYTES);
  saveWorld(m, 0, a);
  const n = 200_000;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    saveWorld(m, 0, b);
    restoreWorld(m, 0, a);
  }
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) * 1e3 / n, wall: wall * 1e6 / n };
}

const WORLDS: World[] = ['vm', 'bare'];
const loadStart = loadText();
for (const w of WORLDS) for (const k of KINDS) run(w, k, ITERATIONS[k] / 10); // warm-up
switchCost();
const results = new Map<string, Array<{ n: Result; zero: Result }>>();
const switches: Array<{ cpu: number; wall: number }> = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const w of WORLDS) {
    for (const k of KINDS) {
      const key = `${w}/${k}`;
      results.set(key, [...(results.get(key) ?? []), { n: run(w, k, ITERATIONS[k]), zero: run(w, k, 0) }]);
    }
  }
  switches.push(switchCost());
}

/** Median per-operation figure (ns) of `key` by CPU or wall time; instructions per operation. */
const per = (key: string, by: 'cpu' | 'wall'): number => {
  const k = key.split('/')[1] as Kind;
  return median(results.get(key)!.map((r) => (r.n[by] - r.zero[by]) / ITERATIONS[k] * 1e9));
};
const insns = (key: string): number => {
  const r = results.get(key)![0]!;
  return (r.n.instructions - r.zero.instructions) / ITERATIONS[key.split('/')[1] as Kind];
};
const us = (ns: number): string => `${(ns / 1000).toFixed(2)} us`;
const rate = (ns: number): string => `${Math.round(1e9 / ns).toLocaleString('en-US')}/s`;

console.log(`bench:ffa: ${ROUNDS} interleaved rounds (engine ${ENGINE}); per operation = (run with N iterations - the same run with 0) / N; load average ${loadStart} at start, ${loadText()} at end (node ${process.version})`);
console.log('No QEMU figure: QEMU TCG cannot run this stack here (it needs TF-A and an SPMC such as Hafnium built for its virt board; this environment has neither).');
for (const w of WORLDS) {
  console.log(`\n[${w === 'vm' ? 'VM under the NS-EL2 hypervisor (FF-A proxy), secure machine, SPMC + SP1-SP3' : 'bare NS-EL1 (--bare --secure), SPMC + SP1-SP3'}]`);
  const row = (k: Kind, what: string): void => {
    const key = `${w}/${k}`;
    const cpu = per(key, 'cpu');
    console.log(`  ${k.padEnd(7)} ${what}: ${us(cpu)} CPU (${us(per(key, 'wall'))} wall) = ${rate(cpu)} by CPU time; ${Math.round(insns(key)).toLocaleString('en-US')} instructions each; N = ${ITERATIONS[k]}`);
  };
  row('direct', 'direct request round trip (ECHO to SP1)');
  row('share', 'share/retrieve/relinquish/reclaim cycle (one page, SP1 MEM_CHECK)');
  row('id', `FFA_ID_GET answered by the ${w === 'vm' ? 'proxy (trap to EL2 and back)' : 'SPMD (SMC to EL3 and back)'}`);
  row('spm-id', `FFA_SPM_ID_GET answered by the SPMD${w === 'vm' ? ' (proxy forwards: SMC from EL2)' : ''}, no world switch`);
  row('count', 'FFA_PARTITION_INFO_GET count-only answered by the SPMC: two world switches');
  const sw = (per(`${w}/count`, 'cpu') - per(`${w}/spm-id`, 'cpu')) / 2;
  console.log(`  one world switch, from the round trips: (count - spm-id) / 2 = ${us(sw)} CPU (includes the SPMC's dispatch of the call)`);
}
console.log(`\n[SPMD save + restore of a world context (worldContext.ts), host loop on a booted PE]`);
console.log(`  ${median(switches.map((s) => s.cpu)).toFixed(0)} ns CPU (${median(switches.map((s) => s.wall)).toFixed(0)} ns wall) per save + restore (x0-x30, ${WORLD_CONTEXT_BYTES / 8} words with the system, FP/SIMD and GIC registers)`);
const overhead = per('vm/direct', 'cpu') - per('bare/direct', 'cpu');
console.log(`  the hypervisor's share of a direct round trip: vm - bare = ${us(overhead)} CPU`);

// The SPMC's record: a snapshot taken anywhere in a run (while partitions
// relay requests, while one is preempted by a Non-secure interrupt)
// restores and continues to the same trace digest; a damaged record is
// refused in one line. Secondary PEs: an MP partition's context on the
// second PE initialises at CPU_ON and serves requests made there.
import { describe, expect, it } from 'vitest';
import * as F from '../ffa/functionIds.js';
import type { Machine } from '../machine.js';
import { restoreInto, saveFull } from '../../snapshots/index.js';
import { el3FirmwareOf } from '../firmware/secureBoot.js';
import { bootSpmcMachine } from './spmcTesting.js';
import { nsProgram, nsResult, readU64 } from './nsCalls.js';
import { testPartitionPackage } from './testPartition.js';
import { SPMC_COMPONENT } from './spmc.js';

const SP1 = 0x8001;
const SP3 = 0x8003;
const req = (to: number, cmd: number, ...payload: (bigint | number)[]) => ({ fid: F.FFA_MSG_SEND_DIRECT_REQ_32, args: [to, 0, cmd, ...payload] });

const PREEMPT = `
  mov x2, #7
  msr icc_sre_el1, x2
  isb
  ldr x1, =0x08000000
  mov w2, #0x12
  str w2, [x1]
  ldr x1, =0x080b0100
  mov w2, #0x40000000
  str w2, [x1]
  mov x2, #1
  msr icc_igrpen1_el1, x2
  mrs x1, cntpct_el0
  add x1, x1, #300
  msr cntp_cval_el0, x1
  mov x1, #1
  msr cntp_ctl_el0, x1`;

function build(): Machine {
  // The Non-secure timer is armed just before the second request (a spin), so that request is preempted.
  const program = nsProgram([
    req(SP3, 1, 0x10, SP1, 0),
    { ...req(SP1, 4, 20_000), before: PREEMPT },
    { fid: F.FFA_RUN, args: [SP1 << 16], before: '  msr cntp_ctl_el0, xzr' },
    req(SP3, 6, 0x43),
    req(SP1, 0, 5),
  ]);
  return bootSpmcMachine(program, [testPartitionPackage({ id: SP1 }), testPartitionPackage({ id: SP3 })]).m;
}

describe('SPMC state in snapshots', () => {
  it('restores anywhere in a run (relays, a preempted partition) and continues to the same digest', () => {
    const whole = build();
    expect(whole.run(3_000_000)).toEqual({ kind: 'system-off' });
    expect(nsResult(whole, 1)[0]).toBe(BigInt(F.FFA_INTERRUPT)); // the spin was preempted
    expect(nsResult(whole, 2)[4]).toBe(0n); // FFA_RUN resumed it to its response
    expect(nsResult(whole, 4)[4]).toBe(0x1005n);
    const total = whole.instructions;
    // Find an instruction count at which SP1 is preempted.
    const probe = build();
    let preemptedAt = -1;
    for (let at = 5; at < total; at += 5) {
      probe.run(at); // an absolute instruction count
      if ((probe.component(SPMC_COMPONENT).getState() as { partitions: Array<{ vcpus: Array<{ state: string }> }> }).partitions[0]!.vcpus[0]!.state === 'preempted') {
        preemptedAt = at;
        break;
      }
    }
    expect(preemptedAt).toBeGreaterThan(0);
    for (const at of [50, preemptedAt, Math.floor(total / 2), total - 10]) {
      const a = build();
      expect(a.run(at).kind).toBe('instruction-limit');
      const file = saveFull(a).bytes;
      const b = build();
      restoreInto(b, file);
      expect(b.run(3_000_000)).toEqual({ kind: 'system-off' });
      expect(b.trace.digest(), `snapshot at ${at}`).toBe(whole.trace.digest());
    }
  });

  it('a record with a damaged context, another PE count or a dangling current context is refused in one line', () => {
    const m = build();
    m.run(2000);
    const c = m.component(SPMC_COMPONENT);
    const good = c.getState() as { cpus: Array<{ current: unknown }>; partitions: Array<{ vcpus: Array<{ ctx: Uint8Array }> }> };
    const bad = structuredClone(good);
    bad.partitions[0]!.vcpus[0]!.ctx = new Uint8Array(16);
    expect(() => c.loadState(bad)).toThrow(/^SPMC state: partition 0x8001 has a context of the wrong size/);
    expect(() => c.loadState({ ...good, cpus: [] })).toThrow(/has 0 PEs, the machine 1$/);
    const dangling = structuredClone(good);
    dangling.cpus[0]!.current = [7, 0];
    expect(() => c.loadState(dangling)).toThrow(/names no partition context/);
    expect(() => c.loadState({ ...good, version: 9 })).toThrow();
    c.loadState(good);
  });
});

describe('SPMC on secondary PEs', () => {
  it('CPU_ON: the MP partition\'s second context initialises first, then serves a request made on PE 1; CPU_OFF reaches the SPMC', () => {
    const FLAG = 0x4030_0000;
    const { m, spmc } = bootSpmcMachine(`
  ldr x0, =0xc4000003
  mov x1, #1
  ldr x2, =secondary
  mov x3, #0
  smc #0
  ldr x21, =${FLAG}
wait_flag:
  ldr x22, [x21]
  cbz x22, wait_flag
wait_off:
  ldr x0, =0xc4000004
  mov x1, #1
  mov x2, #0
  smc #0
  cmp x0, #1
  b.ne wait_off
  ldr x0, =0x84000008
  smc #0
  b .
secondary:
  ldr x0, =0x8400006f
  ldr x1, =${SP1}
  mov x2, #0
  mov x3, #0
  mov x4, #0x22
  smc #0
  ldr x21, =${FLAG}
  stp x0, x4, [x21, #8]
  mrs x5, mpidr_el1
  mov x22, #1
  str x22, [x21]
  ldr x0, =0x84000002
  smc #0
  b .
`, [testPartitionPackage({ id: SP1, contexts: 2 })], { numCpus: 2 });
    expect(m.run(4_000_000)).toEqual({ kind: 'system-off' });
    expect(readU64(m, FLAG + 8)).toBe(BigInt(F.FFA_MSG_SEND_DIRECT_RESP_32));
    expect(readU64(m, FLAG + 16)).toBe(0x1022n);
    const p = spmc.partition(SP1)!;
    expect(p.vcpus.map((v) => v.state)).toEqual(['waiting', 'off']); // context 1 off with its PE
    expect(spmc.s.cpus[1]!.phase).toBe('off');
    expect(el3FirmwareOf(m).spmd.spmcState(1)).toBe('off');
    expect(m.cpuState(1)).toBe('off');
  });
});

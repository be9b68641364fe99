// Interrupts through the SPMC on a whole machine: a partition owns the
// interrupts of its manifest's device regions (here the secure physical
// timer, INTID 29); a Secure interrupt reaches its owner as a virtual IRQ
// (HCR_EL2.VI + HF_INTERRUPT_GET), whether the owner runs, waits, or the
// Normal world ran; a Non-secure interrupt preempts a running partition
// (FFA_INTERRUPT to the Normal world, FFA_RUN resumes it).
import { describe, expect, it } from 'vitest';
import type { Machine } from '../machine.js';
import { HOST_OK } from '../cpu/cpu.js';
import { KEY_CNTPS_CTL_EL1, KEY_CNTPS_CVAL_EL1 } from '../devices/timer/genericTimer.js';
import * as F from '../ffa/functionIds.js';
import { bootSpmcMachine } from './spmcTesting.js';
import { errorOf, nsProgram, nsResult, readU64, NS_RESULTS } from './nsCalls.js';
import { interruptRegion, testPartitionPackage, TP_DATA } from './testPartition.js';
import { HF_INTERRUPT_DEACTIVATE, HF_INTERRUPT_ENABLE } from './spmc.js';

const SP1 = 0x8001;
const SP2 = 0x8002;
const RESP32 = BigInt(F.FFA_MSG_SEND_DIRECT_RESP_32);
const req = (to: number, cmd: number, ...payload: (bigint | number)[]) => ({ fid: F.FFA_MSG_SEND_DIRECT_REQ_32, args: [to, 0, cmd, ...payload] });
const pair = () => [testPartitionPackage({ id: SP1 }), testPartitionPackage({ id: SP2, deviceRegions: [interruptRegion([29])] })];
const SP2_BASE = 0x0e50_0000;

/** Program the secure physical timer (CNTPS) of PE 0 from EL3 to fire at counter `cval` (S-EL1 cannot with Secure EL2 enabled). */
function armSecureTimer(m: Machine, cval: bigint): void {
  const pstate = m.core.pstate(0);
  m.core.setPstate(0, 0x3cd);
  expect(m.timer.write(0, KEY_CNTPS_CVAL_EL1, cval)).toBe(HOST_OK);
  expect(m.timer.write(0, KEY_CNTPS_CTL_EL1, 1n)).toBe(HOST_OK);
  m.core.setPstate(0, pstate);
}
const SPIN = (n: number): string => `  ldr x5, =${n}\n1:\n  subs x5, x5, #1\n  b.ne 1b`;

describe('SPMC interrupts', () => {
  it('the secure timer fires while its owner waits for it: a virtual IRQ, its INTID from HF_INTERRUPT_GET; it stays disabled until HF_INTERRUPT_DEACTIVATE', () => {
    const { m, spmc } = bootSpmcMachine(nsProgram([
      req(SP2, 3),
      req(SP1, 8, HF_INTERRUPT_ENABLE, 29, 1), // not SP1's: -1
      req(SP2, 8, HF_INTERRUPT_DEACTIVATE, 30, 30), // not SP2's
      req(SP2, 8, HF_INTERRUPT_DEACTIVATE, 29, 29),
    ]), pair());
    armSecureTimer(m, 3000n);
    // The timer stays asserted: after the deactivate it fires again, while the Normal world turns off.
    expect(m.run(3_000_000)).toEqual({ kind: 'system-off' });
    expect(nsResult(m, 0).slice(0, 5)).toEqual([RESP32, BigInt(SP2) << 16n, 0n, 3n, 29n]);
    expect(nsResult(m, 1)[3]).toBe(0xffff_ffff_ffff_ffffn);
    expect(nsResult(m, 2)[3]).toBe(0xffff_ffff_ffff_ffffn);
    expect(nsResult(m, 3)[3]).toBe(0n);
    expect(spmc.partition(SP2)!.interrupts).toEqual([29]);
    const irqs = m.trace.last(10_000).flatMap((e) => (e.kind === 'exception' && e.type === 'irq' ? [`EL${e.fromEl}->EL${e.toEl}`] : []));
    expect(irqs.slice(0, 2)).toEqual(['EL1->EL2', 'EL1->EL1']); // physical to S-EL2, then the virtual one at S-EL1
  });

  it('the secure timer fires while another partition runs and its owner waits: cross-partition preemption, the owner handles it, the preempted one resumes', () => {
    const { m, spmc } = bootSpmcMachine(nsProgram([req(SP1, 4, 200_000), req(SP2, 8, HF_INTERRUPT_DEACTIVATE, 29, 29)]), pair());
    armSecureTimer(m, 3000n);
    expect(m.run(5_000_000)).toEqual({ kind: 'system-off' });
    expect(nsResult(m, 0).slice(0, 5)).toEqual([RESP32, BigInt(SP1) << 16n, 0n, 4n, 0n]); // the spin ran to its end
    expect(readU64(m, SP2_BASE + TP_DATA + 0x10)).toBe(29n);
    expect(readU64(m, SP2_BASE + TP_DATA + 0x18)).toBe(1n);
    expect(nsResult(m, 1)[3]).toBe(0n); // then it re-enables the interrupt
    expect(spmc.s.cpus[0]!.interrupted).toBe(null);
    const ffa = m.trace.last(10_000).flatMap((e) => (e.kind === 'ffa' && e.world === 's' ? [`${e.fid.toString(16)}:${e.src.toString(16)}`] : []));
    expect(ffa).toContain('8400006b:8002'); // the owner's FFA_MSG_WAIT ends its handling
  });

  it('the secure timer fires while its owner is blocked in a call chain: queued, delivered when it next unmasks', () => {
    const { m, spmc } = bootSpmcMachine(nsProgram([req(SP2, 1, 200_000, SP1, 4), req(SP2, 3)]), pair());
    armSecureTimer(m, 3000n);
    expect(m.run(5_000_000)).toEqual({ kind: 'system-off' });
    const relay = nsResult(m, 0);
    expect([relay[3], relay[4]]).toEqual([RESP32, 0n]); // SP1's spin answered through SP2
    expect(nsResult(m, 1).slice(0, 5)).toEqual([RESP32, BigInt(SP2) << 16n, 0n, 3n, 29n]);
    expect(spmc.partition(SP2)!.vcpus[0]!.pendingVirqs).toEqual([]);
  });

  it('the secure timer fires while the Normal world runs: FFA_INTERRUPT to the SPMC, the waiting owner handles it, the Normal world resumes', () => {
    const { m, spmc } = bootSpmcMachine(`${SPIN(200_000)}\n  mov x6, #7\n  ldr x0, =0x84000008\n  smc #0\n  b .`, pair());
    armSecureTimer(m, 3000n);
    expect(m.run(5_000_000)).toEqual({ kind: 'system-off' });
    expect(m.core.getX(0, 6)).toBe(7n);
    expect(readU64(m, SP2_BASE + TP_DATA + 0x10)).toBe(29n); // the INTID its vector got
    expect(readU64(m, SP2_BASE + TP_DATA + 0x18)).toBe(1n); // once
    expect(spmc.partition(SP2)!.vcpus[0]!.state).toBe('waiting');
    expect(spmc.s.cpus[0]!.savedPmr).toBe(null); // Non-secure interrupts unmasked again
    const ffa = m.trace.last(10_000).filter((e) => e.kind === 'ffa').map((e) => `${e.fid.toString(16)}:${e.world ?? 'ns'}`);
    expect(ffa.slice(-3)).toEqual(['84000062:ns', '8400006b:s', '8400007c:s']); // FFA_INTERRUPT in, the owner's MSG_WAIT, NORMAL_WORLD_RESUME
  });

  it('a Non-secure interrupt preempts a running partition: FFA_INTERRUPT, a request meanwhile BUSY, FFA_RUN resumes it to its response', () => {
    const after = (i: number) => `  ldr x20, =${NS_RESULTS + i * 18 * 8}`;
    const { m, spmc } = bootSpmcMachine(`
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
  add x1, x1, #200
  msr cntp_cval_el0, x1
  mov x1, #1
  msr cntp_ctl_el0, x1
${nsProgram([req(SP1, 4, 200_000)], '').replace(/\n$/, '')}
  msr cntp_ctl_el0, xzr
${after(1)}
${nsProgram([req(SP1, 0, 1), { fid: F.FFA_RUN, args: [SP1 << 16] }, { fid: F.FFA_RUN, args: [(SP1 << 16) | 1] }, { fid: F.FFA_RUN, args: [0x8009 << 16] }]).replace(/^ {2}ldr x20, =\d+\n/, '')}`, pair());
    expect(m.run(5_000_000)).toEqual({ kind: 'system-off' });
    expect(nsResult(m, 0).slice(0, 2)).toEqual([BigInt(F.FFA_INTERRUPT), BigInt(SP1) << 16n]);
    expect(errorOf(nsResult(m, 1))).toBe(-4);
    expect(nsResult(m, 2).slice(0, 5)).toEqual([RESP32, BigInt(SP1) << 16n, 0n, 4n, 0n]); // the spin ran to its end
    expect(errorOf(nsResult(m, 3))).toBe(-2); // no context 1
    expect(errorOf(nsResult(m, 4))).toBe(-2); // no such partition
    expect(spmc.partition(SP1)!.vcpus[0]!.state).toBe('waiting');
  });
});

// Whole-machine runs of guests/selftest under the hypervisor: 1 vCPU, SMP on
// one pCPU (time-sliced) and 1:1 on 4 pCPUs, two VMs on one pCPU.
import { describe, expect, it } from 'vitest';
import { checkSchedInvariants, hvMachine, type HvRun } from './testing.js';
import { selftestImage, SELFTEST_PASS_LINE } from '../../guests/selftest/index.js';

const MiB = 1 << 20;

function run(numVcpus: number, numCpus: number, numVms = 1, seed = 7n): HvRun {
  const r = hvMachine({ vms: Array.from({ length: numVms }, () => ({ numVcpus, ramBytes: 64 * MiB, kernel: selftestImage() })) }, { numCpus, seed });
  r.m.run(200_000_000);
  return r;
}

const passLines = (s: string): string[] => s.split('\n').filter((l) => l.endsWith('... PASS'));

describe('selftest under the hypervisor', () => {
  it('1 vCPU on 1 pCPU: every check passes (trap-and-emulate GIC, vtimer, vPL011, PSCI)', () => {
    const r = run(1, 1);
    expect(r.m.stopped).toEqual({ kind: 'system-off' });
    expect(r.diagnostics).toEqual([]);
    const out = r.console();
    expect(out).not.toContain('FAIL');
    expect(out.trimEnd().split('\n').at(-1)).toBe(SELFTEST_PASS_LINE);
    expect(out).toContain('hvrr self-test: CurrentEL = EL1 ... PASS');
    expect(out).toMatch(/GICv3 \+ virtual timer \(PPI 27\): 5 interrupts in \d+ counter ticks \.\.\. PASS/);
    expect(passLines(out)).toHaveLength(13);
    expect(r.hv.s.counters['mmio']).toBeGreaterThan(100);
    checkSchedInvariants(r.decisions);
  });

  it('4 vCPUs on 1 pCPU (time-sliced)', () => {
    const r = run(4, 1);
    expect(r.m.stopped).toEqual({ kind: 'system-off' });
    const out = r.console();
    expect(out).not.toContain('FAIL');
    for (let c = 1; c < 4; c++) expect(out).toContain(`cpu${c} online: MPIDR_EL1 = 0x8000000${c}, EL1, MMU on, calling CPU_OFF ... PASS`);
    expect(out).toContain('= 20000 ... PASS');
    checkSchedInvariants(r.decisions);
    expect(new Set(r.decisions.map((d) => d.cpu))).toEqual(new Set([0]));
  });

  it('4 vCPUs on 4 pCPUs (1:1, secondaries started by PSCI CPU_ON at EL2)', () => {
    const r = run(4, 4);
    expect(r.m.stopped).toEqual({ kind: 'system-off' });
    const out = r.console();
    expect(out).not.toContain('FAIL');
    expect(out).toContain('= 20000 ... PASS');
    checkSchedInvariants(r.decisions);
    for (const d of r.decisions) expect(d.cpu).toBe(d.vcpu);
  });

  it('2 VMs on 1 pCPU each print their report', () => {
    const r = run(1, 1, 2);
    expect(r.m.stopped).toEqual({ kind: 'system-off' });
    const out = r.console();
    expect(out).not.toContain('FAIL');
    for (const vm of ['vm0', 'vm1']) expect(out).toContain(`[${vm}] ${SELFTEST_PASS_LINE}`);
    checkSchedInvariants(r.decisions);
    expect(new Set(r.decisions.map((d) => d.vm))).toEqual(new Set([0, 1]));
  });

  it('2 VMs x 2 vCPUs on 1 pCPU', () => {
    const r = run(2, 1, 2);
    expect(r.m.stopped).toEqual({ kind: 'system-off' });
    const out = r.console();
    expect(out).not.toContain('FAIL');
    for (const vm of ['vm0', 'vm1']) expect(out).toContain(`[${vm}] hvrr self-test: shared counter after 2 CPU(s) x 5000 LDAXR/STLXR increments = 10000 ... PASS`);
    checkSchedInvariants(r.decisions);
  });

  it('same seed: identical trace digest (4 vCPUs on 4 pCPUs, and 2 VMs)', () => {
    expect(run(4, 4).m.trace.digest()).toBe(run(4, 4).m.trace.digest());
    expect(run(2, 1, 2).m.trace.digest()).toBe(run(2, 1, 2).m.trace.digest());
  });
});

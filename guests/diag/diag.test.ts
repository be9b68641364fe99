// The diagnostic guest: bare mode (hypercalls answered NOT_SUPPORTED by the
// firmware stand-in), QEMU when installed (a non-PSCI HVC is UNDEFINED there),
// and under the hypervisor (every hypercall, trap and PAUSE).
import { describe, expect, it } from 'vitest';
import { parseReport } from '../conformance/runtime.js';
import { hasQemu, runOnHvrr, runOnQemu } from '../conformance/run.js';
import { hvMachine } from '../../core/hypervisor/testing.js';
import { HV_ID } from '../../core/hypervisor/hypercalls.js';
import { DIAG_BARE_LINE, DIAG_CONSOLE_MESSAGE, DIAG_DONE_LINE, diagImage, diagSource } from './index.js';

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

describe('diagnostic guest, bare mode', () => {
  it.each([1, 2, 4])('runs every non-hypercall check and ends with the done line on %i CPU(s)', (n) => {
    const r = runOnHvrr(diagImage(), n);
    expect(r.stop, r.output).toBe('system-off');
    const out = lines(r.output);
    expect(out[0]).toBe(`diag: hvrr diagnostic guest starting; CPUs in the device tree: ${n}`);
    expect(out).toContain(DIAG_BARE_LINE);
    expect(out.at(-1)).toBe(DIAG_DONE_LINE);
    const rep = parseReport(r.output);
    expect(rep.fail).toEqual([]);
    expect(rep.summary).toEqual({ tests: rep.pass.length, failures: 0 });
    for (const name of ['svc-esr-ec-0x15', 'brk-esr-ec-0x3c', 'undef-esr-ec-0x0', 'dabt-unmapped-va-esr-ec-0x25', 'dabt-unmapped-ipa-esr-ec-0x25', 'mmio-uart-periphid0-0x11', 'mmio-gicd-pidr2-gicv3', 'sgi-to-self-delivered', 'wfi-wakes-on-virtual-timer', 'psci-version-at-least-1.0']) {
      expect(rep.pass).toContain(name);
    }
    if (n > 1) expect(rep.pass).toEqual(expect.arrayContaining(['psci-cpu-on-cpu1', 'cpu1-online', 'psci-cpu-off-cpu1']));
    // no hypercall check runs in bare mode
    expect(rep.pass.filter((p) => p.startsWith('hypercall-'))).toEqual([]);
    expect(out).toContain('diag: report: ' + rep.pass.length + ' checks, 0 failed, hypercalls not available');
  });

  it('is deterministic', () => {
    const a = runOnHvrr(diagImage(), 2, { seed: 3n });
    const b = runOnHvrr(diagImage(), 2, { seed: 3n });
    expect(a.output).toBe(b.output);
    expect(a.machine.trace.digest()).toBe(b.machine.trace.digest());
  });

  it('the PAUSE variant skips PAUSE in bare mode and still finishes', () => {
    expect(diagSource({ pause: true })).toContain('bl hypercall');
    const r = runOnHvrr(diagImage({ pause: true }), 1);
    expect(r.stop).toBe('system-off');
    expect(lines(r.output).at(-1)).toBe(DIAG_DONE_LINE);
    expect(r.output).not.toContain('PAUSE');
  });

  it.skipIf(!hasQemu())('prints the same checks on QEMU (HVC outside PSCI is UNDEFINED there: also bare mode)', async () => {
    const q = await runOnQemu(diagImage(), 2);
    const h = runOnHvrr(diagImage(), 2);
    expect(q.stop).toBe('system-off');
    expect(parseReport(q.output).results).toEqual(parseReport(h.output).results);
    expect(lines(q.output).at(-1)).toBe(DIAG_DONE_LINE);
  });
});

describe('diagnostic guest, under the hypervisor', () => {
  it.each([
    [1, 1],
    [2, 2],
    [4, 1],
  ])('exercises every hypercall and trap (%i vCPU(s) on %i pCPU(s))', (v, p) => {
    const r = hvMachine({ vms: [{ numVcpus: v, ramBytes: 64 << 20, kernel: diagImage() }] }, { numCpus: p });
    const stop = r.m.run(1_000_000_000);
    const out = lines(r.console());
    expect(stop.kind, r.console()).toBe('system-off');
    expect(out).not.toContain(DIAG_BARE_LINE);
    expect(out).toContain(DIAG_CONSOLE_MESSAGE.trimEnd());
    expect(out).toContain('INFO: GET_HV_ID = 0x' + HV_ID.toString(16));
    const rep = parseReport(r.console());
    expect(rep.fail).toEqual([]);
    for (const name of ['get-hv-id', 'get-status', 'guest-console-write', 'guest-console-write-bad-ipa-refused', 'dump-log', 'report-exception-svc', 'report-exception-brk', 'report-exception-undef', 'report-exception-dabt-unmapped-va', 'report-exception-dabt-unmapped-ipa']) {
      expect(rep.pass).toContain('hypercall-' + name);
    }
    // DUMP_LOG shows the five exceptions the guest reported, with their ESRs
    for (const esr of ['0x5600005a', '0xf2000003', '0x2000000', '0x96000005', '0x96000010']) {
      expect(out.some((l) => l.startsWith('hv: vm0 vcpu0: exception ESR=' + esr))).toBe(true);
    }
    expect(out.at(-1)).toBe(DIAG_DONE_LINE);
    expect(r.hv.s.counters['hvc']).toBeGreaterThanOrEqual(9);
    expect(r.hv.s.counters['wfi']).toBeGreaterThan(0);
    expect(r.hv.s.counters['mmio']).toBeGreaterThan(10);
  });

  it('PAUSE calls the hypervisor onPause hook with the VM and vCPU, then resumes', () => {
    const r = hvMachine({ vms: [{ numVcpus: 1, ramBytes: 64 << 20, kernel: diagImage({ pause: true }) }] });
    const pauses: string[] = [];
    r.hv.onPause = (vm, vcpu) => pauses.push(`${vm.name}/${vcpu}`);
    expect(r.m.run(1_000_000_000).kind).toBe('system-off');
    expect(pauses).toEqual(['vm0/0']);
    expect(parseReport(r.console()).pass).toContain('hypercall-pause-resumed');
    expect(lines(r.console()).at(-1)).toBe(DIAG_DONE_LINE);
  });
});

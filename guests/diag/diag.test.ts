// The diagnostic guest: bare mode now (hypercalls answered NOT_SUPPORTED by
// the firmware stand-in), QEMU when installed, and under the hypervisor once
// core/hypervisor/hypervisor.ts exists.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseReport } from '../conformance/runtime.js';
import { hasQemu, runOnHvrr, runOnQemu } from '../conformance/run.js';
import { DIAG_BARE_LINE, DIAG_DONE_LINE, diagImage, diagSource } from './index.js';

const HYPERVISOR_MODULE = fileURLToPath(new URL('../../core/hypervisor/hypervisor.ts', import.meta.url));
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
  it.skipIf(!existsSync(HYPERVISOR_MODULE))('exercises every hypercall (needs core/hypervisor/hypervisor.ts)', async () => {
    // Filled in once the hypervisor's API is committed (see guests/diag/hypervisor.test.ts).
    expect(existsSync(HYPERVISOR_MODULE)).toBe(true);
  });
  it.runIf(!existsSync(HYPERVISOR_MODULE))('skipped: core/hypervisor/hypervisor.ts does not exist yet', () => {
    expect(existsSync(HYPERVISOR_MODULE)).toBe(false);
  });
});

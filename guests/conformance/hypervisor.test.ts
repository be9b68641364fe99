// The conformance programs as guests of the hvrr hypervisor (one VM with N
// vCPUs on N pCPUs, the `--smp N` shape, and overcommitted on one pCPU):
// they must print the same checks as on bare hvrr, all passing, except the
// hypervisor bugs listed below (found by these programs; reported, owned by
// core/hypervisor). A failure outside the list fails the test; a listed bug
// that gets fixed does not.
import { describe, expect, it } from 'vitest';
import { hvMachine } from '../../core/hypervisor/testing.js';
import { CONFORMANCE_SUITE_NAMES, conformanceImage, parseReport, type ConformanceSuite } from './index.js';
import { runOnHvrr } from './run.js';
import { HYPERVISOR_KNOWN_BUGS } from './knownBugs.js';

const known = (name: string): boolean => HYPERVISOR_KNOWN_BUGS.some((r) => r.test(name));

function runUnderHypervisor(suite: ConformanceSuite, numVcpus: number, numCpus: number, maxInstructions = 2_000_000_000) {
  const r = hvMachine({ vms: [{ numVcpus, ramBytes: 256 << 20, kernel: conformanceImage(suite) }] }, { numCpus });
  const stop = r.m.run(maxInstructions);
  return { stop, output: r.console(), diagnostics: r.diagnostics };
}

describe.each(CONFORMANCE_SUITE_NAMES)('conformance suite %s under the hypervisor', (suite: ConformanceSuite) => {
  it.each([
    [1, 1],
    [2, 2],
    [4, 4],
  ])('%i vCPU(s) on %i pCPU(s): same checks as bare, all passing', (v, p) => {
    const r = runUnderHypervisor(suite, v, p);
    expect(r.stop.kind, r.output).toBe('system-off');
    const rep = parseReport(r.output);
    const bare = parseReport(runOnHvrr(conformanceImage(suite), v).output);
    expect(rep.results.map((l) => l.slice(6))).toEqual(bare.results.map((l) => l.slice(6)));
    expect(rep.fail.filter((f) => !known(f)), r.output).toEqual([]);
    expect(rep.summary?.tests).toBe(rep.results.length);
  });
});

describe('conformance suites overcommitted', () => {
  it.each(['timer', 'gic-ipi'] as const)('%s with 3 vCPUs on 2 pCPUs (a pCPU whose other vCPU is off: the slice must be renewed, not re-armed in the past)', (suite) => {
    const r = runUnderHypervisor(suite, 3, 2, 3_000_000_000);
    expect(r.stop.kind, r.output).toBe('system-off');
    const rep = parseReport(r.output);
    expect(rep.fail, r.output).toEqual([]);
    expect(rep.summary?.failures).toBe(0);
  });

  it.each(['psci', 'gic-ipi'] as const)('%s with 4 vCPUs time-sliced on 1 pCPU', (suite) => {
    const r = runUnderHypervisor(suite, 4, 1, 3_000_000_000);
    expect(r.stop.kind, r.output).toBe('system-off');
    const rep = parseReport(r.output);
    expect(rep.fail, r.output).toEqual([]);
    expect(rep.pass.length).toBeGreaterThan(40);
  });
});

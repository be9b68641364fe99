// Seeded chaos on whole machines (core/clock/chaos.ts): real guests still
// pass every check under every level, bare and under the hypervisor; the
// same seed gives the same run; seeds give different interleavings; a
// snapshot taken mid-run under chaos continues to the same digest.
import { describe, expect, it } from 'vitest';
import { Machine } from './machine.js';
import { bootKernel } from './firmware/boot.js';
import { captureMachine, restoreMachine } from './snapshot.js';
import { hvMachine, checkSchedInvariants } from './hypervisor/testing.js';
import { selftestImage, SELFTEST_PASS_LINE } from '../guests/selftest/index.js';
import { conformanceImage, parseReport } from '../guests/conformance/index.js';
import { runOnHvrr } from '../guests/conformance/run.js';
import { HYPERVISOR_KNOWN_BUGS } from '../guests/conformance/knownBugs.js';
import { suiteSeed } from '../property-tests/seed.js';

const SEED = BigInt(suiteSeed('machine chaos', 'HVRR_CHAOS_SEED', 20261205, { levels: '1,2,3' }));

function selftest(chaos: number, seed: bigint, numCpus = 4): { m: Machine; out: () => string } {
  const m = new Machine({ numCpus, ramBytes: 256 << 20, seed, chaos });
  const bytes: number[] = [];
  m.onConsole = (b) => bytes.push(b);
  bootKernel(m, { kernel: selftestImage() });
  return { m, out: () => Buffer.from(bytes).toString('latin1') };
}

describe('seeded chaos, bare', () => {
  it.each([1, 2, 3])('level %i: the 4-CPU self-test passes; the same seed twice gives the same events', (level) => {
    const a = selftest(level, SEED);
    expect(a.m.run(100_000_000).kind, a.out()).toBe('system-off');
    expect(a.out()).not.toContain('FAIL');
    expect(a.out().trim().split('\n').at(-1)).toBe(SELFTEST_PASS_LINE);
    const b = selftest(level, SEED);
    b.m.run(100_000_000);
    expect(b.m.trace.digest()).toBe(a.m.trace.digest());
    expect(b.m.instructions).toBe(a.m.instructions);
  });

  it('different seeds interleave differently; level 0 ignores the seed', () => {
    const digests = new Set<string>();
    for (let i = 0n; i < 4n; i++) {
      const r = selftest(3, SEED + i);
      r.m.run(100_000_000);
      digests.add(r.m.trace.digest());
    }
    expect(digests.size).toBeGreaterThan(1);
    const plain = new Set<string>();
    for (const seed of [1n, 2n]) {
      const r = selftest(0, seed);
      r.m.run(100_000_000);
      plain.add(r.m.trace.digest());
    }
    expect(plain.size).toBe(1);
  });

  it('a snapshot mid-run restores and continues to the same digest (level 3)', () => {
    const full = selftest(3, SEED);
    full.m.run(100_000_000);
    const a = selftest(3, SEED);
    // Stop mid-window (a pause inside a rotated window is machine state too).
    expect(a.m.run({ maxInstructions: 1_234_567 }).kind).toBe('instruction-limit');
    const snap = structuredClone({ ...captureMachine(a.m), ram: new Uint8Array(0), secureRam: new Uint8Array(0) });
    const ram = a.m.core.ramView().slice();
    const secureRam = a.m.core.secureRamView().slice();
    const b = selftest(3, 0n + SEED);
    restoreMachine(b.m, { ...snap, ram, secureRam });
    b.m.run(100_000_000);
    expect(b.m.trace.digest()).toBe(full.m.trace.digest());
  });

  it('a snapshot taken with chaos does not restore into a machine without it', () => {
    const a = selftest(2, SEED);
    a.m.run(100_000);
    const plain = selftest(0, SEED);
    expect(() => restoreMachine(plain.m, captureMachine(a.m))).toThrow(/chaos = 2.*has false/);
  });
});

describe('seeded chaos under the hypervisor', () => {
  const known = (name: string): boolean => HYPERVISOR_KNOWN_BUGS.some((r) => r.test(name));
  it.each([
    ['gic-ipi', 4, 2],
    ['timer', 3, 2],
    ['psci', 4, 4],
  ] as const)('conformance %s, %i vCPUs on %i pCPUs, level 3: every check passes, scheduling invariants hold', (suite, vcpus, pcpus) => {
    const r = hvMachine({ vms: [{ numVcpus: vcpus, ramBytes: 256 << 20, kernel: conformanceImage(suite) }] }, { numCpus: pcpus, seed: SEED, chaos: 3 });
    const stop = r.m.run(3_000_000_000);
    const out = r.console();
    expect(stop.kind, out).toBe('system-off');
    const rep = parseReport(out);
    const bare = parseReport(runOnHvrr(conformanceImage(suite), vcpus).output);
    expect(rep.results.map((l) => l.slice(6))).toEqual(bare.results.map((l) => l.slice(6)));
    expect(rep.fail.filter((f) => !known(f)), out).toEqual([]);
    checkSchedInvariants(r.decisions);
  });
});

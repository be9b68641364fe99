// The embedded self-test guest, run through the Machine API.
import { describe, expect, it } from 'vitest';
import { Machine, type StopReason } from '../../core/machine.js';
import { bootKernel } from '../../core/firmware/boot.js';
import { assemble } from '../../core/asm/assembler.js';
import { SELFTEST_LOAD_ADDRESS, SELFTEST_PARAMS, SELFTEST_PASS_LINE, expectedChecksum, selftestImage, selftestSource } from './index.js';

interface Outcome {
  stop: StopReason;
  console: string;
  digest: string;
  events: number;
  instructions: number;
  diagnostics: string[];
}

function runSelftest(numCpus: number, opts: { seed?: bigint; quantum?: number; image?: Uint8Array } = {}): Outcome {
  const m = new Machine({ numCpus, ramBytes: 256 << 20, seed: opts.seed ?? 7n, ...(opts.quantum ? { quantumTicks: opts.quantum } : {}) });
  const bytes: number[] = [];
  const diagnostics: string[] = [];
  m.onConsole = (b) => bytes.push(b);
  m.onDiagnostic = (d) => diagnostics.push(d);
  bootKernel(m, { kernel: opts.image ?? selftestImage() });
  const stop = m.run(50_000_000);
  return { stop, console: Buffer.from(bytes).toString('latin1'), digest: m.trace.digest(), events: m.trace.count, instructions: m.instructions, diagnostics };
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

describe('self-test guest', () => {
  it('expected checksum is the known value (guards the TS model of the loop)', () => {
    expect(expectedChecksum()).toBe(0xbaca8f33829bf447n);
  });

  it('runs to SYSTEM_OFF on 1 CPU with every check passing', () => {
    const r = runSelftest(1);
    expect(r.stop).toEqual({ kind: 'system-off' });
    expect(r.diagnostics).toEqual([]);
    const out = lines(r.console);
    expect(out.every((l) => l.startsWith('hvrr self-test: '))).toBe(true);
    expect(r.console).not.toContain('FAIL');
    expect(out.at(-1)).toBe(SELFTEST_PASS_LINE);
    expect(out).toContain('hvrr self-test: CurrentEL = EL1 ... PASS');
    expect(out).toContain('hvrr self-test: MIDR_EL1 = 0x411fd073');
    expect(out).toContain('hvrr self-test: MPIDR_EL1 = 0x80000000 ... PASS');
    expect(out).toContain(`hvrr self-test: checksum loop, ${SELFTEST_PARAMS.checksumIterations} iterations = 0x${expectedChecksum().toString(16)} ... PASS`);
    expect(out).toContain('hvrr self-test: SVC #0x42: ESR_EL1.EC = 0x15, ISS = 0x42 ... PASS');
    expect(out).toContain('hvrr self-test: BRK #0x7: ESR_EL1.EC = 0x3c, ISS = 0x7 ... PASS');
    expect(out.some((l) => /^hvrr self-test: GICv3 \+ virtual timer \(PPI 27\): 5 interrupts in \d+ counter ticks \.\.\. PASS$/.test(l))).toBe(true);
    expect(out).toContain('hvrr self-test: PSCI VERSION = 1.0 ... PASS');
    expect(out).toContain('hvrr self-test: PSCI AFFINITY_INFO: 1 CPU(s) present ... PASS');
    expect(out).toContain('hvrr self-test: shared counter after 1 CPU(s) x 5000 LDAXR/STLXR increments = 5000 ... PASS');
    expect(out.filter((l) => l.endsWith('... PASS'))).toHaveLength(13);
  });

  it('brings up every secondary on 4 CPUs and counts all their increments', () => {
    const r = runSelftest(4);
    expect(r.stop).toEqual({ kind: 'system-off' });
    expect(r.console).not.toContain('FAIL');
    const out = lines(r.console);
    expect(out).toContain('hvrr self-test: PSCI AFFINITY_INFO: 4 CPU(s) present ... PASS');
    for (let c = 1; c < 4; c++) {
      expect(out).toContain(`hvrr self-test: cpu${c} online: MPIDR_EL1 = 0x8000000${c}, EL1, MMU on, calling CPU_OFF ... PASS`);
    }
    // secondaries print in order, one at a time
    const order = out.filter((l) => l.includes(' online: ')).map((l) => l.slice(16, 20));
    expect(order).toEqual(['cpu1', 'cpu2', 'cpu3']);
    expect(out).toContain('hvrr self-test: shared counter after 4 CPU(s) x 5000 LDAXR/STLXR increments = 20000 ... PASS');
    expect(out.at(-1)).toBe(SELFTEST_PASS_LINE);
  });

  it('passes on 8 CPUs and with a small scheduling quantum', () => {
    const r8 = runSelftest(8);
    expect(r8.stop).toEqual({ kind: 'system-off' });
    expect(r8.console).toContain('= 40000 ... PASS');
    const rq = runSelftest(3, { quantum: 7 });
    expect(rq.stop).toEqual({ kind: 'system-off' });
    expect(rq.console).toContain('= 15000 ... PASS');
  });

  it('is deterministic: same seed, same trace digest and console, on 1 and 4 CPUs', () => {
    for (const n of [1, 4]) {
      const a = runSelftest(n, { seed: 42n });
      const b = runSelftest(n, { seed: 42n });
      expect(a.stop).toEqual({ kind: 'system-off' });
      expect(b.digest).toBe(a.digest);
      expect(b.console).toBe(a.console);
      expect(b.instructions).toBe(a.instructions);
      expect(b.events).toBe(a.events);
      expect(a.events).toBeGreaterThan(10);
    }
  });

  it('different CPU counts give different traces', () => {
    expect(runSelftest(2).digest).not.toBe(runSelftest(4).digest);
  });

  it('a failed check prints FAIL and ends with SYSTEM_RESET, not SYSTEM_OFF', () => {
    const bad = assemble(selftestSource({ expectedChecksum: 1n }), { baseAddress: SELFTEST_LOAD_ADDRESS }).bytes;
    const r = runSelftest(1, { image: bad });
    expect(r.stop).toEqual({ kind: 'system-reset' });
    expect(r.console).toContain('hvrr self-test: FAIL: checksum differs from the expected value');
    expect(r.console).not.toContain(SELFTEST_PASS_LINE);
  });
});

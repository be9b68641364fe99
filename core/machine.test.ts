import { describe, expect, it } from 'vitest';
import { Machine } from './machine.js';
import { bootKernel } from './firmware/boot.js';
import { selftestImage, SELFTEST_PASS_LINE } from '../guests/selftest/index.js';
import { assemble } from './asm/assembler.js';

function boot(numCpus: number, quantumTicks?: number): { m: Machine; out: () => string } {
  const m = new Machine({ numCpus, ramBytes: 64 << 20, seed: 9n, quantumTicks });
  let out = '';
  m.onConsole = (b) => { out += String.fromCharCode(b); };
  bootKernel(m, { kernel: selftestImage() });
  return { m, out: () => out };
}

describe('machine run loop', () => {
  it('a run split into many small calls executes exactly as one call', () => {
    const one = boot(4);
    expect(one.m.run(50_000_000).kind).toBe('system-off');
    const split = boot(4);
    let calls = 0;
    for (;;) {
      const r = split.m.run(split.m.instructions + 12_345);
      calls++;
      if (r.kind !== 'instruction-limit') {
        expect(r.kind).toBe('system-off');
        break;
      }
    }
    expect(calls).toBeGreaterThan(10);
    expect(split.m.instructions).toBe(one.m.instructions);
    expect(split.m.nowTick).toBe(one.m.nowTick);
    expect(split.m.trace.digest()).toBe(one.m.trace.digest());
    expect(split.out()).toBe(one.out());
  });

  it('load/store-exclusive loops on several CPUs make progress even with a 1-instruction quantum', () => {
    const { m, out } = boot(2, 1);
    expect(m.run(50_000_000).kind).toBe('system-off');
    expect(out()).toContain(SELFTEST_PASS_LINE);
  });

  it('idle is not final: input that arrives later wakes the machine', () => {
    const { m } = boot(1);
    expect(m.run(50_000_000).kind).toBe('system-off');
    // A stopped machine stays stopped; an idle one would have returned 'idle' and could go on.
    expect(m.stopped?.kind).toBe('system-off');
  });

  it('UDF #0 (encoding 0) is UNDEFINED without being reported as an unimplemented encoding', () => {
    const m = new Machine({ numCpus: 1, ramBytes: 16 << 20, seed: 1n });
    const diags: string[] = [];
    m.onDiagnostic = (d) => diags.push(d);
    const src = `adr x0, v
  msr vbar_el1, x0
  .inst 0
  ldr x0, =0x84000008
  hvc #0
  .align 11
v: .skip 0x200
  mrs x1, elr_el1
  add x1, x1, #4
  msr elr_el1, x1
  eret
`;
    bootKernel(m, { kernel: assemble(src, { baseAddress: 0x40080000n }).bytes });
    expect(m.run(1_000_000).kind).toBe('system-off');
    expect(m.getMachineState().exceptionCount).toBe(2); // the UNDEFINED one, then the HVC
    expect(diags).toEqual([]);
    expect(m.trace.kindCounts()['undef'] ?? 0).toBe(0);
  });
});

describe('a CPU at EL2 handed to its EL2 software', () => {
  /** ERET from EL3 to EL2h of PE 0 in the given Security state (what a world switch at EL3 does). */
  function eretToEl2(m: Machine, nonSecure: boolean): void {
    const regs = m.core.regs(0);
    regs.set('SCR_EL3', (1n << 10n) | (1n << 8n) | (1n << 18n) | (nonSecure ? 1n : 0n));
    regs.set('ELR_EL3', m.core.getPc(0));
    regs.set('SPSR_EL3', 0x3c9n);
    m.core.setPstate(0, 0x3cd);
    m.core.eret(0);
  }
  /** A machine with two Security states whose PE 0 sits at Secure EL2. */
  function atSecureEl2(): Machine {
    const m = new Machine({ numCpus: 1, ramBytes: 16 << 20, seed: 1n, secure: true });
    eretToEl2(m, false);
    return m;
  }
  const toNonSecure = (m: Machine): void => eretToEl2(m, true);

  it('goes on to the other world\'s EL2 software when a world switch left it there (the SPMC\'s secondary init, then the hypervisor)', () => {
    const m = atSecureEl2();
    const seen: string[] = [];
    // No code runs at EL2 in between: an exception there would reach handle().
    const handle = (mm: Machine): void => mm.stop({ kind: 'halt', message: 'an exception to EL2' });
    m.software.install('el2-s', { handle, resume: (mm) => { seen.push('s'); toNonSecure(mm); } });
    m.software.install('el2-ns', { handle, resume: (mm) => { seen.push('ns'); mm.stop({ kind: 'system-off' }); } });
    expect(m.run(1000)).toEqual({ kind: 'system-off' });
    expect(seen).toEqual(['s', 'ns']);
  });

  it('halts when one software leaves it at EL2 without sleeping, or the two pass it back and forth without running it', () => {
    const m = atSecureEl2();
    m.software.install('el2-s', { handle: () => {}, resume: () => {} });
    expect(m.run(1000)).toEqual({ kind: 'halt', message: 'cpu0: EL2 software left the CPU at EL2 without sleeping' });

    const p = atSecureEl2();
    let resumes = 0;
    p.software.install('el2-s', { handle: () => {}, resume: (mm) => { resumes++; toNonSecure(mm); } });
    p.software.install('el2-ns', {
      handle: () => {},
      resume: (mm) => {
        resumes++;
        eretToEl2(mm, false);
      },
    });
    expect(p.run(1000)).toEqual({ kind: 'halt', message: 'cpu0: the two worlds\' EL2 software handed the CPU back and forth 64 times without running it' });
    expect(resumes).toBe(64);
  });
});

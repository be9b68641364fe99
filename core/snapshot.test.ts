import { describe, expect, it } from 'vitest';
import { Machine, type MachineConfig } from './machine.js';
import { bootKernel } from './firmware/boot.js';
import { captureMachine, restoreMachine, type MachineSnapshot } from './snapshot.js';
import { cpuBenchBinary } from '../guests/bench/cpuBench.js';
import { assemble } from './asm/assembler.js';

const CFG: MachineConfig = { numCpus: 1, ramBytes: 64 << 20, seed: 42n, quantumTicks: 3000 };

/** An independent copy (capture holds views into the live machine). */
function detach(s: MachineSnapshot): MachineSnapshot {
  const { ram, secureRam, ...rest } = s;
  return { ...structuredClone(rest), ram: ram.slice(), secureRam: secureRam.slice() };
}

function machineWith(kernel: Uint8Array, cfg = CFG): { m: Machine; out: () => string } {
  const m = new Machine(cfg);
  let out = '';
  m.onConsole = (b) => { out += String.fromCharCode(b); };
  bootKernel(m, { kernel });
  return { m, out: () => out };
}

function fingerprint(m: Machine): string {
  const regs = Array.from({ length: m.numCpus }, (_, c) => [m.core.getPc(c), m.core.pstate(c), ...Array.from({ length: 31 }, (_, i) => m.core.getX(c, i))].join(','));
  return `${m.nowTick}/${m.instructions}/${m.trace.count}/${m.trace.digest()}/${regs.join('|')}`;
}

// Two CPUs, a timer interrupt on each, SGIs between them, WFI: exercises the
// window bookkeeping, the GIC, the timers and the event queue.
const SMP_GUEST = `
_start:
  mrs x19, mpidr_el1
  and x19, x19, #0xff
  cbnz x19, secondary
  // CPU 0: start CPU 1 at 'secondary'
  ldr x0, =0xc4000003
  mov x1, #1
  adr x2, secondary
  mov x3, #0
  hvc #0
secondary:
  mrs x19, mpidr_el1
  and x19, x19, #0xff
  adr x0, vectors
  msr vbar_el1, x0
  mov x0, #1
  msr icc_sre_el1, x0
  isb
  // distributor (once is enough; both write it) and this CPU's redistributor
  ldr x1, =0x08000000
  mov w2, #0x12
  str w2, [x1]
  ldr x1, =0x080a0000
  lsl x3, x19, #17
  add x1, x1, x3
  str wzr, [x1, #0x14]          // GICR_WAKER: wake
  add x1, x1, #0x10000          // SGI_base
  mov w2, #-1
  str w2, [x1, #0x80]           // IGROUPR0: all group 1
  ldr w2, =0x08000003
  str w2, [x1, #0x100]          // ISENABLER0: SGI0, SGI1, PPI27
  mov x0, #0xff
  msr icc_pmr_el1, x0
  mov x0, #1
  msr icc_igrpen1_el1, x0
  mov x0, #3000
  msr cntv_tval_el0, x0
  mov x0, #1
  msr cntv_ctl_el0, x0
  msr daifclr, #2
  mov x20, #0                   // interrupts seen
  mov x21, #0x1234
loop:
  add x21, x21, x20
  eor x21, x21, x21, lsl #3
  cmp x20, #12
  b.hs done
  wfi
  b loop
done:
  cbnz x19, off
  // CPU 0 waits for CPU 1 to be off, then powers the system off
1: ldr x0, =0xc4000004
  mov x1, #1
  mov x2, #0
  hvc #0
  cmp x0, #1
  b.ne 1b
  ldr x0, =0x84000008
  hvc #0
off:
  ldr x0, =0x84000002
  hvc #0
  b .
irq:
  mrs x0, icc_iar1_el1
  add x20, x20, #1
  cmp x0, #27
  b.ne 2f
  mov x1, #2000
  msr cntv_tval_el0, x1
  // poke the other CPU with SGI 1
  eor x2, x19, #1
  mov x3, #1
  lsl x3, x3, x2
  mov x4, #1
  lsl x4, x4, #24
  orr x3, x3, x4
  msr icc_sgi1r_el1, x3
2: msr icc_eoir1_el1, x0
  eret
  .align 11
vectors:
  .skip 0x280
  b irq
  .skip 0x7c
  b .
`;

describe('machine snapshot', () => {
  it('capture, keep running, restore elsewhere and run: the same events and state (1 CPU, MMU on)', () => {
    const kernel = cpuBenchBinary(30);
    const a = machineWith(kernel);
    expect(a.m.run(100_000).kind).toBe('instruction-limit');
    const snap = detach(captureMachine(a.m));
    const outBefore = a.out();
    expect(a.m.run().kind).toBe('system-off');
    const b = machineWith(new Uint8Array(16));
    restoreMachine(b.m, snap);
    expect(b.m.run().kind).toBe('system-off');
    expect(outBefore + b.out()).toBe(a.out());
    expect(fingerprint(b.m)).toBe(fingerprint(a.m));
  });

  it('pausing at exception N and restoring there continues exactly (2 CPUs, timers, SGIs, WFI)', () => {
    const kernel = assemble(SMP_GUEST, { baseAddress: 0x40080000n }).bytes;
    const cfg = { ...CFG, numCpus: 2 };
    const full = machineWith(kernel, cfg);
    expect(full.m.run(5_000_000).kind).toBe('system-off');
    const exceptions = full.m.trace.kindCounts()['exception'] ?? 0;
    expect(exceptions).toBeGreaterThan(20);

    for (const target of [3, Math.floor(exceptions / 2), exceptions - 1]) {
      const a = machineWith(kernel, cfg);
      const unsub = a.m.trace.subscribe((e) => {
        if (e.kind === 'exception' && e.n === target) a.m.requestPause();
      });
      expect(a.m.run(5_000_000).kind).toBe('paused');
      unsub();
      const last = a.m.trace.last(1)[0];
      expect(last?.kind === 'exception' && last.n === target).toBe(true);
      const snap = detach(captureMachine(a.m));
      const b = machineWith(new Uint8Array(16), cfg);
      restoreMachine(b.m, snap);
      expect(b.m.run(5_000_000).kind).toBe('system-off');
      expect(fingerprint(b.m)).toBe(fingerprint(full.m));
      expect(a.m.run(5_000_000).kind).toBe('system-off');
      expect(fingerprint(a.m)).toBe(fingerprint(full.m));
    }
  });

  it('refuses a snapshot from a different configuration, naming the field', () => {
    const a = machineWith(cpuBenchBinary(1));
    const snap = detach(captureMachine(a.m));
    const b = new Machine({ ...CFG, seed: 7n });
    expect(() => restoreMachine(b, snap)).toThrow(/seed = 42.*has 7/);
  });
});

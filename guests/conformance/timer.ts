// Conformance suite `timer`: both EL1 generic timers, the virtual one
// (CNTV_*_EL0, counts CNTVCT, PPI 27) and the physical one (CNTP_*_EL0,
// counts CNTPCT, PPI 30) — Arm ARM D11.2.4: the timer condition is
// counter >= CVAL, the output is ENABLE && !IMASK && ISTATUS, level-sensitive.
//
// For each timer on CPU 0 (and the virtual timer on every secondary):
//   - armed 10 ms ahead: ISTATUS clear and nothing pending in the GIC;
//   - the interrupt arrives, and not before CVAL (the counter read in the
//     handler is >= CVAL); ISTATUS set afterwards;
//   - TVAL: writing sets CVAL = counter + TVAL, reading counts down, and reads
//     negative (signed 32-bit) once the deadline has passed;
//   - IMASK: with the condition met, no interrupt and nothing pending, while
//     ISTATUS still reads 1;
//   - disabling (ENABLE = 0) deasserts a pending level: GICR_ISPENDR0 clears
//     and no interrupt is taken after unmasking.
import { Asm, MAX_CONFORMANCE_CPUS, PC, buildProgram } from './runtime.js';

interface TimerRegs {
  name: string;
  ctl: string;
  cval: string;
  tval: string;
  cnt: string;
  intid: number;
  stamp: number; // per-CPU slot holding the counter read in the IRQ handler
}

const VIRT: TimerRegs = { name: 'virt', ctl: 'cntv_ctl_el0', cval: 'cntv_cval_el0', tval: 'cntv_tval_el0', cnt: 'cntvct_el0', intid: 27, stamp: PC.irqVct };
const PHYS: TimerRegs = { name: 'phys', ctl: 'cntp_ctl_el0', cval: 'cntp_cval_el0', tval: 'cntp_tval_el0', cnt: 'cntpct_el0', intid: 30, stamp: PC.irqPct };

/** The checks for one timer as a function (`timer_checks_<name>`) returning a
 *  bitmask of passed checks in x0, so secondaries can run it too. */
function timerFunction(t: TimerRegs): string {
  const bit = (n: number): string => `    orr x28, x28, #${1 << n}\n`;
  return `
timer_checks_${t.name}:
    stp x29, x30, [sp, #-96]!
    stp x19, x20, [sp, #16]
    stp x21, x22, [sp, #32]
    stp x23, x24, [sp, #48]
    stp x27, x28, [sp, #64]
    mov x28, #0
    msr daifset, #2
${Asm.percpu('x19', 'x1')}
    bl gicr_sgi_base
    mov x27, x0
    ldr x20, =cntfrq
    ldr x20, [x20]
    mov x1, #100
    udiv x20, x20, x1               // x20 = 10 ms of counter
    // (0) armed ahead: ISTATUS clear, nothing pending
    msr ${t.ctl}, xzr
    isb
    mrs x21, ${t.cnt}
    add x21, x21, x20
    msr ${t.cval}, x21
    mov x0, #1
    msr ${t.ctl}, x0
    isb
    mrs x0, ${t.ctl}
    ldr w1, [x27, #0x200]           // GICR_ISPENDR0
    tst x0, #4
    b.ne 1f
    tst w1, #${1 << t.intid}
    b.ne 1f
${bit(0)}
1:  // (1) the interrupt comes, not before CVAL
    ldr x22, [x19, #${PC.irqCount + 8 * t.intid}]
    msr daifclr, #2
    ldr x23, =cntfrq
    ldr x23, [x23]
    mrs x0, ${t.cnt}
    add x23, x23, x0                // give up after 1 s
2:  ldr x0, [x19, #${PC.irqCount + 8 * t.intid}]
    cmp x0, x22
    b.ne 3f
    mrs x0, ${t.cnt}
    cmp x0, x23
    b.hs 4f
    wfi
    b 2b
3:
${bit(1)}
    ldr x0, [x19, #${t.stamp}]
    cmp x0, x21
    b.lo 4f
${bit(2)}
4:  mrs x0, ${t.ctl}
    tst x0, #4
    b.eq 5f
${bit(3)}
5:  // (2) TVAL
    msr daifset, #2
    msr ${t.ctl}, xzr
    lsl x24, x20, #2                // 40 ms
    mrs x21, ${t.cnt}
    msr ${t.tval}, x24
    isb
    mrs x22, ${t.cnt}
    mrs x0, ${t.cval}
    add x1, x21, x24
    cmp x0, x1
    b.lo 6f
    add x1, x22, x24
    cmp x0, x1
    b.hi 6f
${bit(4)}
6:  mrs x0, ${t.tval}
    sxtw x0, w0
    cmp x0, #0
    b.le 7f
    cmp x0, x24
    b.gt 7f
${bit(5)}
7:  mrs x0, ${t.cnt}
    sub x0, x0, x20
    msr ${t.cval}, x0               // deadline 10 ms in the past
    isb
    mrs x0, ${t.tval}
    sxtw x0, w0
    cmp x0, #0
    b.ge 8f
    neg x1, x0
    cmp x1, x20
    b.lo 8f
${bit(6)}
8:  // (3) IMASK: condition met, no interrupt, ISTATUS still 1
    mov x0, #3                      // ENABLE | IMASK
    msr ${t.ctl}, x0
    isb
    ldr x22, [x19, #${PC.irqCount + 8 * t.intid}]
    msr daifclr, #2
    mov x0, x20
    lsr x0, x0, #2
    bl delay
    msr daifset, #2
    ldr x0, [x19, #${PC.irqCount + 8 * t.intid}]
    cmp x0, x22
    b.ne 9f
    ldr w1, [x27, #0x200]
    tst w1, #${1 << t.intid}
    b.ne 9f
    mrs x0, ${t.ctl}
    tst x0, #4
    b.eq 9f
${bit(7)}
9:  // (4) disabling deasserts: pending with IRQs masked, then ENABLE = 0
    mov x0, #1
    msr ${t.ctl}, x0
    isb
    mov x0, #200
    bl delay
    ldr w1, [x27, #0x200]
    tst w1, #${1 << t.intid}
    b.eq 10f
${bit(8)}
10: msr ${t.ctl}, xzr
    isb
    mov x0, #200
    bl delay
    ldr w1, [x27, #0x200]
    tst w1, #${1 << t.intid}
    b.ne 11f
${bit(9)}
11: ldr x22, [x19, #${PC.irqCount + 8 * t.intid}]
    msr daifclr, #2
    mov x0, x20
    lsr x0, x0, #2
    bl delay
    ldr x0, [x19, #${PC.irqCount + 8 * t.intid}]
    cmp x0, x22
    b.ne 12f
${bit(10)}
12: msr ${t.ctl}, xzr
    mov x0, x28
    ldp x27, x28, [sp, #64]
    ldp x23, x24, [sp, #48]
    ldp x21, x22, [sp, #32]
    ldp x19, x20, [sp, #16]
    ldp x29, x30, [sp], #96
    ret
`;
}

const CHECKS = [
  'armed-ahead-istatus-clear-not-pending',
  'interrupt-arrives',
  'interrupt-not-before-cval',
  'istatus-set-after-expiry',
  'tval-write-sets-cval',
  'tval-reads-remaining-time',
  'tval-negative-after-expiry',
  'imask-suppresses-interrupt-istatus-still-set',
  'pending-in-gic-while-irqs-masked',
  'disable-deasserts-pending-level',
  'no-interrupt-after-disable',
];

function reportBits(a: Asm, prefix: string): string {
  return CHECKS.map((c, i) => `    ubfx x1, x20, #${i}, #1\n    ldr x0, =${a.str(`${prefix}-${c}`)}\n    bl result\n`).join('');
}

export function timerSource(): string {
  const a = new Asm('tm_');
  let main = `
    mrs x0, cntfrq_el0
    cmp x0, #0
${a.check('ne', 'cntfrq-nonzero')}
    mrs x20, cntvct_el0
    mov x0, #1000
    bl delay
    mrs x21, cntvct_el0
    cmp x21, x20
${a.check('hi', 'cntvct-advances')}
    mrs x20, cntpct_el0
    mov x0, #1000
    bl delay
    mrs x21, cntpct_el0
    cmp x21, x20
${a.check('hi', 'cntpct-advances')}
    bl timer_checks_virt
    mov x20, x0
${reportBits(a, 'cpu0-virt')}
    bl timer_checks_phys
    mov x20, x0
${reportBits(a, 'cpu0-phys')}
`;
  for (let i = 1; i < MAX_CONFORMANCE_CPUS; i++) {
    main += `
    ldr x1, =ncpus
    ldr x1, [x1]
    cmp x1, #${i}
    b.ls 1f
    mov x1, #${i}
    ldr x2, =secondary_entry
    mov x3, #${i}
    ldr x0, =0xc4000003
    hvc #0
    ldr x0, =alive + ${8 * i}
    mov x1, #1
    bl wait_eq
${a.checkReg('x0', `cpu${i}-online`)}
    mov x0, #${i}
    ldr x1, =timer_checks_virt
    bl run_on
    mov x20, x1
    cbnz x0, 2f
    mov x20, #0
2:
${reportBits(a, `cpu${i}-virt`)}
1:
`;
  }
  return buildProgram({ name: 'timer', main, code: timerFunction(VIRT) + timerFunction(PHYS), asm: a });
}

// Exception generation and return: SVC/BRK/HVC/UDF syndromes, ELR/SPSR and
// vector offsets, EL0 <-> EL1 round trips, illegal exception return, WFI,
// DAIF masking of a GIC SPI, and UNDEFINED system-register accesses.
import { describe, expect, it } from 'vitest';
import { run, END, CODE_BASE, VEC, skipAndEret } from './testing.js';
import * as L from './layout.js';

const EL1H_MASKED = 0x3c5;
const ec = (esr: bigint) => Number(esr >> 26n);

describe('synchronous exceptions to EL1', () => {
  it('svc from EL1 with SP_EL1: EC 0x15, ISS = imm16, ELR = next instruction, offset 0x200', () => {
    const r = run(`
      mov x1, #0x60000000
      msr nzcv, x1
      svc #0x1234
      ${END}`);
    expect(r.vector).toBe(VEC.curSpxSync);
    expect(r.sysreg(L.SLOT_ESR_EL1)).toBe((0x15n << 26n) | (1n << 25n) | 0x1234n);
    expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(CODE_BASE + 12n);
    expect(r.sysreg(L.SLOT_SPSR_EL1)).toBe(0x6000_0000n | BigInt(EL1H_MASKED));
    // PSTATE on entry: EL1h with all of DAIF masked.
    expect(r.m.core.sysreg(0, L.SLOT_SPSR_EL2) & 0x3cfn).toBe(BigInt(EL1H_MASKED));
  });
  it('svc from EL1 with SP_EL0: offset 0x000, SPSR.M = EL1t, entry switches to SP_EL1', () => {
    const r = run(`
      mov x1, sp
      msr spsel, #0
      mov x2, #0x40600000
      mov sp, x2
      msr daifclr, #4
      svc #1
      ${END}`);
    expect(r.vector).toBe(VEC.curSp0Sync);
    expect(r.sysreg(L.SLOT_SPSR_EL1)).toBe(0x2c4n); // EL1t, D I F masked, A clear
    expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(CODE_BASE + 24n);
    // The vector ran on SP_EL1 (hvc marker saved PSTATE to SPSR_EL2: EL1h).
    expect(r.m.core.sysreg(0, L.SLOT_SPSR_EL2) & 0xfn).toBe(5n);
  });
  it('brk: EC 0x3c, ISS = imm16, ELR = the brk itself', () => {
    const r = run(`nop\nbrk #0xbeef\n${END}`);
    expect(r.vector).toBe(VEC.curSpxSync);
    expect(r.sysreg(L.SLOT_ESR_EL1)).toBe((0x3cn << 26n) | (1n << 25n) | 0xbeefn);
    expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(CODE_BASE + 4n);
  });
  it('udf: EC 0, ELR = the udf, logged as an undef event', () => {
    const r = run(`nop\nudf #7\n${END}`);
    expect(r.vector).toBe(VEC.curSpxSync);
    expect(r.sysreg(L.SLOT_ESR_EL1)).toBe(1n << 25n);
    expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(CODE_BASE + 4n);
    expect(r.events('exception')[0]).toMatchObject({ type: 'sync', fromEl: 1, toEl: 1, ec: 0, elr: '0x40080004' });
  });
  it('hvc from EL1 goes to EL2: EC 0x16, ELR_EL2 = next, SPSR_EL2 = EL1h', () => {
    const r = run(`
      mov x1, #0x90000000
      msr nzcv, x1
      hvc #0x42
      ${END}`, { onEl2: (m) => { m.core.eret(0); return true; } });
    expect(r.ended).toBe(true);
    expect(r.el2Exits).toHaveLength(1);
    const e = r.el2Exits[0]!;
    expect(e.esr).toBe((0x16n << 26n) | (1n << 25n) | 0x42n);
    expect(e.elr).toBe(CODE_BASE + 12n);
    expect(e.spsr).toBe(0x9000_0000n | BigInt(EL1H_MASKED));
    expect(r.events('exception').find((x) => x.kind === 'exception' && x.toEl === 2)).toMatchObject({ fromEl: 1, ec: 0x16 });
  });
  it('smc from EL1 goes to EL3: EC 0x17, ELR_EL3 = next', () => {
    const r = run(`smc #0x77\n${END}`);
    expect(r.el2Exits).toHaveLength(1);
    expect(r.el2Exits[0]).toMatchObject({ toEl: 3, ec: 0x17, iss: 0x77, elr: CODE_BASE + 4n });
  });
  it('HCR_EL2.TSC traps smc to EL2 with ELR = the smc', () => {
    const r = run(`smc #1\n${END}`, { setup: (m) => m.core.setSysregSlot(0, L.SLOT_HCR_EL2, m.core.sysreg(0, L.SLOT_HCR_EL2) | (1n << 19n)) });
    expect(r.el2Exits[0]).toMatchObject({ toEl: 2, ec: 0x17, elr: CODE_BASE });
  });
});

describe('EL0 and lower-EL vectors', () => {
  const EL0_SETUP = `
      adr x1, el0_code
      msr elr_el1, x1
      msr spsr_el1, xzr       // EL0t, DAIF clear
      mov x2, #0x40500000
      msr sp_el0, x2
      eret
  `;
  it('eret to EL0, svc from EL0: lower-EL sync vector (0x400), SPSR = EL0t', () => {
    const r = run(`
      ${EL0_SETUP}
    el0_code:
      mov x3, sp
      mrs x4, nzcv
      svc #0x55
      ${END}`);
    expect(r.vector).toBe(VEC.lowerSync);
    expect(r.x(3)).toBe(0x4050_0000n);
    expect(r.sysreg(L.SLOT_ESR_EL1)).toBe((0x15n << 26n) | (1n << 25n) | 0x55n);
    expect(r.sysreg(L.SLOT_SPSR_EL1)).toBe(0n);
    expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(r.syms.get('el0_code')! + 12n);
  });
  it('EL0 -> EL1 -> EL0 round trip via svc and eret, twice', () => {
    const r = run(`
      adr x9, vec
      msr vbar_el1, x9
      ${EL0_SETUP}
    el0_code:
      mov x10, #1
      svc #1
      add x10, x10, #10
      svc #2
      add x10, x10, #100
      svc #3
      .balign 0x800
    vec:
      .skip 0x400
      // lower EL sync: count, and stop at svc #3
      mrs x11, esr_el1
      and x11, x11, #0xffff
      add x12, x12, #1
      cmp x11, #3
      b.eq 1f
      mrs x13, currentel
      eret
    1:
      ${END}
    `);
    expect(r.ended).toBe(true);
    expect(r.x(10)).toBe(111n);
    expect(r.x(12)).toBe(3n);
    expect(r.x(13)).toBe(4n); // CurrentEL = EL1
    expect(r.sysreg(L.SLOT_SPSR_EL2) & 0xfn).toBe(5n); // END was reached at EL1h
  });
  it('EL0 access to an EL1 system register is UNDEFINED (not logged as unimplemented)', () => {
    const r = run(`
      ${EL0_SETUP}
    el0_code:
      mrs x0, sctlr_el1
      ${END}`);
    expect(r.vector).toBe(VEC.lowerSync);
    expect(r.sysreg(L.SLOT_ESR_EL1)).toBe(1n << 25n);
    expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(r.syms.get('el0_code')!);
    expect(r.events('undef')).toHaveLength(0);
  });
  it('hvc at EL0 is UNDEFINED', () => {
    const r = run(`
      ${EL0_SETUP}
    el0_code:
      hvc #1
      ${END}`);
    expect(r.vector).toBe(VEC.lowerSync);
    expect(ec(r.sysreg(L.SLOT_ESR_EL1))).toBe(0);
  });
  it('wfi at EL0 traps to EL1 when SCTLR_EL1.nTWI = 0 (EC 0x01)', () => {
    const r = run(`
      mrs x1, sctlr_el1
      bic x1, x1, #(1 << 16)
      msr sctlr_el1, x1
      ${EL0_SETUP}
    el0_code:
      wfi
      ${END}`);
    expect(r.vector).toBe(VEC.lowerSync);
    expect(r.sysreg(L.SLOT_ESR_EL1)).toBe((0x01n << 26n) | (1n << 25n) | (1n << 24n) | (0xen << 20n));
    expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(r.syms.get('el0_code')!);
  });
  it('svc from EL0 with HCR_EL2.TGE goes to EL2', () => {
    const r = run(`
      ${EL0_SETUP}
    el0_code:
      svc #9
      ${END}`, { setup: (m) => m.core.setSysregSlot(0, L.SLOT_HCR_EL2, m.core.sysreg(0, L.SLOT_HCR_EL2) | (1n << 27n)) });
    expect(r.el2Exits[0]).toMatchObject({ toEl: 2, ec: 0x15, iss: 9, spsr: 0n });
  });
});

describe('illegal exception return', () => {
  it('eret at EL1 with SPSR naming EL2: PSTATE.IL, EC 0x0e at the target, EL unchanged', () => {
    const r = run(`
      adr x1, target
      msr elr_el1, x1
      mov x2, #0x3c9           // EL2h
      movk x2, #0x8000, lsl #16 // N
      msr spsr_el1, x2
      eret
      nop
    target:
      nop
      ${END}`);
    expect(r.vector).toBe(VEC.curSpxSync);
    expect(r.sysreg(L.SLOT_ESR_EL1)).toBe((0x0en << 26n) | (1n << 25n));
    expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(r.syms.get('target')!);
    const spsr = r.sysreg(L.SLOT_SPSR_EL1);
    expect((spsr >> 20n) & 1n).toBe(1n); // IL
    expect(spsr & 0xfn).toBe(5n); // still EL1h
    expect(spsr >> 28n).toBe(8n); // NZCV from the SPSR
  });
  it('eret to AArch32 (SPSR.M[4] = 1) is an illegal return', () => {
    const r = run(`
      adr x1, t
      msr elr_el1, x1
      mov x2, #0x10
      msr spsr_el1, x2
      eret
    t:
      ${END}`);
    expect(r.vector).toBe(VEC.curSpxSync);
    expect(ec(r.sysreg(L.SLOT_ESR_EL1))).toBe(0x0e);
  });
});

describe('illegal exception return (more)', () => {
  it('eret to EL0 with SPSR.M[0] = 1 (no EL0h) is an illegal return', () => {
    const r = run(`
      adr x1, t
      msr elr_el1, x1
      mov x2, #1
      msr spsr_el1, x2
      eret
    t:
      ${END}`);
    expect(r.vector).toBe(VEC.curSpxSync);
    expect(ec(r.sysreg(L.SLOT_ESR_EL1))).toBe(0x0e);
    expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(r.syms.get('t')!);
    expect((r.sysreg(L.SLOT_SPSR_EL1) >> 20n) & 1n).toBe(1n);
  });
});

describe('FP/SIMD access traps', () => {
  it('CPACR_EL1.FPEN = 0 traps FP/SIMD at EL1 with EC 0x07', () => {
    const r = run(`nop\nfmov d0, x1\n${END}`, { setup: (m) => m.core.setSysregSlot(0, L.SLOT_CPACR_EL1, 0n) });
    expect(r.vector).toBe(VEC.curSpxSync);
    expect(r.sysreg(L.SLOT_ESR_EL1)).toBe((0x07n << 26n) | (1n << 25n));
    expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(CODE_BASE + 4n);
  });
  it('CPACR_EL1.FPEN = 01 traps EL0 only', () => {
    const r = run(`
      movi v1.2d, #0
      adr x1, el0
      msr elr_el1, x1
      msr spsr_el1, xzr
      eret
    el0:
      ldr q0, [x2]
      ${END}`, { regs: { 2: 0x4010_0000n }, setup: (m) => m.core.setSysregSlot(0, L.SLOT_CPACR_EL1, 1n << 20n) });
    expect(r.vector).toBe(VEC.lowerSync);
    expect(ec(r.sysreg(L.SLOT_ESR_EL1))).toBe(0x07);
  });
  it('CPTR_EL2.TFP traps FP/SIMD at EL1 to EL2 (EC 0x07)', () => {
    const r = run(`mrs x1, fpcr\n${END}`, { setup: (m) => m.core.setSysregSlot(0, L.SLOT_CPTR_EL2, 1n << 10n) });
    expect(r.el2Exits[0]).toMatchObject({ toEl: 2, ec: 0x07, elr: CODE_BASE });
  });
});

describe('external aborts', () => {
  it('a load from an unmapped physical address (no device) is a synchronous external abort (DFSC 0x10)', () => {
    const r = run(`ldr w1, [x0]\n${END}`, { regs: { 0: 0x0a00_0000n } });
    expect(r.vector).toBe(VEC.curSpxSync);
    const esr = r.sysreg(L.SLOT_ESR_EL1);
    expect(ec(esr)).toBe(0x25);
    expect(Number(esr & 0x3fn)).toBe(0x10);
    expect(r.sysreg(L.SLOT_FAR_EL1)).toBe(0x0a00_0000n);
  });
  it('an instruction fetch from a non-RAM address is a synchronous external abort on fetch (EC 0x21, IFSC 0x10)', () => {
    const r = run(`ldr x1, =0x0a000000\nbr x1\n${END}\n.ltorg`);
    expect(r.vector).toBe(VEC.curSpxSync);
    const esr = r.sysreg(L.SLOT_ESR_EL1);
    expect(ec(esr)).toBe(0x21);
    expect(Number(esr & 0x3fn)).toBe(0x10);
    expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(0x0a00_0000n);
  });
});

describe('PC alignment', () => {
  it('br to a misaligned address: EC 0x22, ELR = FAR = the target', () => {
    const r = run(`
      ldr x1, =0x40080102
      br x1
      ${END}
      .ltorg`);
    expect(r.vector).toBe(VEC.curSpxSync);
    expect(ec(r.sysreg(L.SLOT_ESR_EL1))).toBe(0x22);
    expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(0x4008_0102n);
    expect(r.sysreg(L.SLOT_FAR_EL1)).toBe(0x4008_0102n);
  });
});

describe('WFI', () => {
  it('WFI with nothing pending ends the batch and the machine goes idle', () => {
    const r = run(`
      mov x1, #1
      wfi
      mov x1, #2
      ${END}`);
    expect(r.ended).toBe(false);
    expect(r.stop.kind).toBe('idle');
    expect(r.m.cpuState(0)).toBe('wfi');
    expect(r.x(1)).toBe(1n);
    expect(r.pc()).toBe(CODE_BASE + 8n);
  });
  it('WFI with HCR_EL2.TWI traps to EL2 (EC 0x01, ELR = the wfi)', () => {
    const r = run(`nop\nwfi\n${END}`, { setup: (m) => m.core.setSysregSlot(0, L.SLOT_HCR_EL2, m.core.sysreg(0, L.SLOT_HCR_EL2) | (1n << 13n)) });
    expect(r.el2Exits[0]).toMatchObject({ toEl: 2, ec: 0x01, elr: CODE_BASE + 4n });
  });
});

/** SPI 33 enabled, Group 1, routed to CPU 0; the CPU interface's Group 1 on (at EL1 or EL2). */
const GIC_SETUP = `
      ldr x1, =0x08000000
      mov w2, #0x13                  // GICD_CTLR: ARE | EnableGrp1 | EnableGrp0 (DS = 1)
      str w2, [x1]
      mov w2, #2
      str w2, [x1, #0x84]            // GICD_IGROUPR1: INTID 33 -> Group 1
      mov w2, #0x80
      strb w2, [x1, #0x421]          // GICD_IPRIORITYR: INTID 33 priority 0x80
      add x3, x1, #0x6000
      str xzr, [x3, #0x108]          // GICD_IROUTER33 -> affinity 0.0.0.0
      mov w2, #2
      str w2, [x1, #0x104]           // GICD_ISENABLER1: enable INTID 33
      ldr x1, =0x080a0000
      ldr w2, [x1, #0x14]            // GICR_WAKER
      bic w2, w2, #2
      str w2, [x1, #0x14]
      mov x0, #7
      msr icc_sre_el1, x0
      mov x0, #0xff
      msr icc_pmr_el1, x0
      mov x0, #1
      msr icc_igrpen1_el1, x0
      isb
`;

describe('interrupts and DAIF', () => {
  const VECTORS = `
      .balign 0x800
    vec:
      .skip 0x200
      ${END}                          // current EL SPx sync: unexpected
      .balign 0x80
      mrs x20, icc_iar1_el1           // current EL SPx IRQ
      mrs x21, elr_el1
      mrs x22, spsr_el1
      msr icc_eoir1_el1, x20
      ${END}
  `;
  it('a pending SPI is held off while PSTATE.I is set and taken after daifclr', () => {
    const r = run(`
      adr x9, vec
      msr vbar_el1, x9
      ${GIC_SETUP}
      mov x5, #0
      add x5, x5, #1
      add x5, x5, #1
      mrs x6, isr_el1
      msr daifclr, #2
    taken_here:
      add x5, x5, #100
      ${END}
      .ltorg
      ${VECTORS}
    `, { setup: (m) => m.gic.setSpiLevel(33, true) });
    expect(r.ended).toBe(true);
    expect(r.x(5)).toBe(2n);
    expect(r.x(6)).toBe(0x80n); // ISR_EL1.I
    expect(r.x(20)).toBe(33n);
    expect(r.x(21)).toBe(r.syms.get('taken_here')!);
    expect(r.x(22)).toBe(0x345n); // EL1h, D A F masked, I clear
    const irqEv = r.events('exception').find((e) => e.kind === 'exception' && e.type === 'irq');
    expect(irqEv).toMatchObject({ fromEl: 1, toEl: 1, ec: 0 });
  });
  it('WFI with a masked pending interrupt completes without taking it', () => {
    const r = run(`
      ${GIC_SETUP}
      wfi
      mov x5, #7
      ${END}
      .ltorg
    `, { setup: (m) => m.gic.setSpiLevel(33, true) });
    expect(r.ended).toBe(true);
    expect(r.x(5)).toBe(7n);
  });
  it('HCR_EL2.IMO routes the physical IRQ to EL2 even when PSTATE.I is set at EL1', () => {
    const r = run(`
      ${GIC_SETUP}
      hvc #1                         // EL2 sets HCR_EL2.IMO (ICC_* at EL1 would go virtual after that)
    after_hvc:
      nop
      nop
      ${END}
      .ltorg
    `, {
      setup: (m) => m.gic.setSpiLevel(33, true),
      onEl2: (m, e) => {
        if (e.kind !== L.EXC_SYNC) return false;
        m.core.setSysregSlot(0, L.SLOT_HCR_EL2, m.core.sysreg(0, L.SLOT_HCR_EL2) | (1n << 4n));
        m.core.flushTlb(0);
        m.core.eret(0);
        return true;
      },
    });
    expect(r.el2Exits.map((e) => e.kind)).toEqual([L.EXC_SYNC, L.EXC_IRQ]);
    // Taken at the first boundary after the ERET, with PSTATE.I still set at EL1.
    expect(r.el2Exits[1]!.elr).toBe(r.syms.get('after_hvc')!);
    expect(r.el2Exits[1]!.spsr).toBe(BigInt(EL1H_MASKED));
  });
});

describe('physical interrupt routing at EL2 and under TGE (ARM ARM D1.3.6, R_VRSJX)', () => {
  const EL2H_UNMASKED = 0x9;
  const setHcr = (bits: bigint) => (m: import('../machine.js').Machine) => {
    m.core.setSysregSlot(0, L.SLOT_HCR_EL2, (m.core.sysreg(0, L.SLOT_HCR_EL2) & ~((1n << 4n) | (1n << 27n))) | bits);
    m.gic.setSpiLevel(33, true);
  };

  it('at EL2 with HCR_EL2.IMO = 0 and TGE = 0 an IRQ targets EL1: not taken, whatever PSTATE.I', () => {
    const r = run(`${GIC_SETUP}
 nop
 nop
 mov x5, #5
 ${END}
 .ltorg`, { pstate: EL2H_UNMASKED, setup: setHcr(0n) });
    expect(r.ended).toBe(true);
    expect(r.x(5)).toBe(5n);
    expect(r.events('exception').filter((e) => e.kind === 'exception' && e.type === 'irq')).toEqual([]);
  });

  it('at EL2 with HCR_EL2.IMO = 1 the IRQ is taken at EL2 once PSTATE.I is clear', () => {
    const r = run(`${GIC_SETUP}
 after_setup:
 nop
 ${END}
 .ltorg`, { pstate: EL2H_UNMASKED, setup: setHcr(1n << 4n), onEl2: () => false });
    expect(r.el2Exits.map((e) => e.kind)).toEqual([L.EXC_IRQ]);
    expect(r.el2Exits[0]!.spsr & 0xfn).toBe(0x9n); // from EL2h
  });

  it('HCR_EL2.TGE = 1 routes a physical IRQ from EL0 to EL2 (IMO clear)', () => {
    const r = run(`
      ${GIC_SETUP}
      hvc #1                         // EL2 sets TGE and returns to EL0 with IRQs unmasked
    at_el0:
      nop
      nop
      ${END}
      .ltorg
    `, {
      setup: (m) => m.gic.setSpiLevel(33, true),
      onEl2: (m, e) => {
        if (e.kind !== L.EXC_SYNC) return false;
        m.core.setSysregSlot(0, L.SLOT_HCR_EL2, m.core.sysreg(0, L.SLOT_HCR_EL2) | (1n << 27n));
        m.core.setSysregSlot(0, L.SLOT_SPSR_EL2, 0n); // EL0t, DAIF clear
        m.core.flushTlb(0);
        m.core.eret(0);
        return true;
      },
    });
    expect(r.vector).toBeUndefined(); // not to EL1's vectors
    expect(r.el2Exits.map((e) => e.kind)).toEqual([L.EXC_SYNC, L.EXC_IRQ]);
    expect(r.el2Exits[1]!.elr).toBe(r.syms.get('at_el0')!);
    expect(r.el2Exits[1]!.spsr & 0xfn).toBe(0n);
  });
});

describe('virtual interrupts from HCR_EL2', () => {
  const hcrSet = (bits: bigint) => (m: import('../machine.js').Machine) =>
    m.core.setSysregSlot(0, L.SLOT_HCR_EL2, m.core.sysreg(0, L.SLOT_HCR_EL2) | bits);
  it('HCR_EL2.VI with IMO raises a virtual IRQ at EL1 once PSTATE.I is clear', () => {
    const r = run(`
      nop
      mrs x1, isr_el1
      msr daifclr, #2
    here:
      nop
      ${END}`, { setup: hcrSet((1n << 4n) | (1n << 7n)) });
    expect(r.vector).toBe(VEC.curSpxIrq);
    expect(r.x(1)).toBe(0x80n);
    expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(r.syms.get('here')!);
  });
  it('HCR_EL2.VF with FMO raises a virtual FIQ at EL1', () => {
    const r = run(`
      msr daifclr, #1
    here:
      nop
      ${END}`, { setup: hcrSet((1n << 3n) | (1n << 6n)) });
    expect(r.vector).toBe(VEC.curSpxFiq);
    expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(r.syms.get('here')!);
  });
  it('HCR_EL2.VSE with AMO raises a virtual SError at EL1 and clears VSE', () => {
    const r = run(`
      msr daifclr, #4
    here:
      nop
      ${END}`, { setup: hcrSet((1n << 5n) | (1n << 8n)) });
    expect(r.vector).toBe(VEC.curSpxSError);
    expect((r.sysreg(L.SLOT_HCR_EL2) >> 8n) & 1n).toBe(0n);
  });
});

describe('system register accesses', () => {
  it('an unimplemented system register is UNDEFINED and logged as an undef event', () => {
    const r = run(`nop\nmrs x0, s3_0_c15_c2_7\n${END}`);
    expect(r.vector).toBe(VEC.curSpxSync);
    expect(r.sysreg(L.SLOT_ESR_EL1)).toBe(1n << 25n);
    expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(CODE_BASE + 4n);
    const u = r.events('undef');
    expect(u).toHaveLength(1);
    expect(u[0]).toMatchObject({ insn: 0xd538f2e0, pc: '0x40080004' });
  });
  it('an EL2 register accessed from EL1 is UNDEFINED', () => {
    const r = run(`msr vttbr_el2, x0\n${END}`);
    expect(r.vector).toBe(VEC.curSpxSync);
    expect(r.sysreg(L.SLOT_ESR_EL1)).toBe(1n << 25n);
  });
  it('writing a read-only register (MIDR_EL1) is UNDEFINED', () => {
    const r = run(`msr midr_el1, x0\n${END}`);
    expect(r.vector).toBe(VEC.curSpxSync);
    expect(ec(r.sysreg(L.SLOT_ESR_EL1))).toBe(0);
  });
  it('HCR_EL2.TVM traps SCTLR_EL1 writes to EL2 with EC 0x18 and the register in the ISS', () => {
    const r = run(`mov x3, #0\nmsr sctlr_el1, x3\n${END}`, {
      setup: (m) => m.core.setSysregSlot(0, L.SLOT_HCR_EL2, m.core.sysreg(0, L.SLOT_HCR_EL2) | (1n << 26n)),
      onEl2: (m) => { skipAndEret(m); return true; },
    });
    expect(r.ended).toBe(true);
    const e = r.el2Exits[0]!;
    expect(e.ec).toBe(0x18);
    // op0=3 op2=0 op1=0 CRn=1 Rt=3 CRm=0 direction=write
    expect(e.iss).toBe((3 << 20) | (0 << 17) | (0 << 14) | (1 << 10) | (3 << 5) | (0 << 1) | 0);
    expect(e.elr).toBe(CODE_BASE + 4n);
    expect(r.sysreg(L.SLOT_SCTLR_EL1)).not.toBe(0n);
  });
  it('SPSel, CurrentEL, DAIF, NZCV read back', () => {
    const r = run(`
      mrs x1, currentel
      mrs x2, spsel
      mrs x3, daif
      msr daifclr, #0xf
      mrs x4, daif
      msr daifset, #0x5
      mrs x5, daif
      mov x6, #0xf0000000
      msr nzcv, x6
      mrs x7, nzcv
      ${END}`);
    expect([r.x(1), r.x(2), r.x(3), r.x(4), r.x(5), r.x(7)]).toEqual([4n, 1n, 0x3c0n, 0n, 0x140n, 0xf000_0000n]);
  });
});

// The guest-visible self-hosted debug architecture (core/cpu/as/debugArch.ts),
// by real guest machine code: each register and each debug exception kind
// (ARM ARM D2), their ESR/FAR/ELR, routing to EL2 (MDCR_EL2.TDE, TDA) and
// the conditions that suppress them (OS lock, KDE, PSTATE.D, privilege
// filters). Breakpoints and watchpoints hit identically under every engine.
import { describe, expect, it } from 'vitest';
import * as L from './layout.js';
import { CPU_ENGINES } from './cpu.js';
import { run, newMachine, END, DATA, type RunOptions } from './testing.js';
import { captureMachine, restoreMachine } from '../snapshot.js';

const ESR = (ec: number, iss: number): bigint => (BigInt(ec) << 26n) | (1n << 25n) | BigInt(iss);
const BCR_EL0 = (1 << 0) | (2 << 1) | (0xf << 5); // E, PMC = EL0 only, BAS = 0b1111
const BCR_EL1 = (1 << 0) | (1 << 1) | (0xf << 5); // E, PMC = EL1 only
const WCR = (lsc: number, bas = 0xff, pac = 3, mask = 0): number => 1 | (pac << 1) | (lsc << 3) | (bas << 5) | (mask << 24);

// EL1 code that unlocks the OS lock, points VBAR_EL1 at `vec` (a table whose
// every entry ends the run), then ERETs to `el0_code` at EL0 with SPSR.SS
// from x20 (so the tests can program the debug registers first).
const PRELUDE = `
      msr oslar_el1, xzr
      adr x9, vec
      msr vbar_el1, x9
`;
const TO_EL0 = `
      adr x9, el0_code
      msr elr_el1, x9
      msr spsr_el1, x20
      ldr x9, =0x40500000
      msr sp_el0, x9
      isb
      eret
`;
const VECTORS = `
      .balign 0x800
    vec:
${Array.from({ length: 16 }, () => `
      .balign 0x80
      mrs x21, esr_el1
      mrs x22, elr_el1
      mrs x23, far_el1
      mrs x24, spsr_el1
      ${END}`).join('\n')}
`;

function runDbg(source: string, opts: RunOptions = {}): ReturnType<typeof run> {
  return run(source, { regs: { 20: 0n, ...opts.regs }, ...opts });
}

describe('debug registers', () => {
  it('ID_AA64DFR0_EL1 advertises 6 breakpoints (2 context-aware) and 4 watchpoints; OSLSR_EL1 starts locked', () => {
    const r = runDbg(`
      mrs x0, id_aa64dfr0_el1
      mrs x1, oslsr_el1
      mov x9, #1
      msr oslar_el1, xzr
      mrs x2, oslsr_el1
      msr oslar_el1, x9
      mrs x3, oslsr_el1
      ldr x9, =0x1234567
      msr dbgbvr5_el1, x9
      mrs x4, dbgbvr5_el1
      ldr x9, =0x0001800000000007
      msr dbgwvr3_el1, x9
      mrs x5, dbgwvr3_el1
      mov x9, #(1 | (1 << 5) | (1 << 7))
      msr dbgbcr0_el1, x9
      mrs x6, dbgbcr0_el1
      ${END}`);
    expect(r.ended).toBe(true);
    expect(r.x(0)).toBe(0x1030_5006n); // CTX_CMPs 1, WRPs 3, BRPs 5, DebugVer 6
    expect(r.x(1)).toBe(0xan); // OSLM 0b10, OSLK 1
    expect(r.x(2)).toBe(0x8n);
    expect(r.x(3)).toBe(0xan);
    expect(r.x(4)).toBe(0x1234567n);
    expect(r.x(5)).toBe(0xffff_8000_0000_0004n); // bits [1:0] RES0, [63:49] copies of bit 48
    expect(r.x(6)).toBe(BigInt(1 | (3 << 5) | (3 << 7))); // BAS[1] = BAS[0], BAS[3] = BAS[2]
  });

  it('MDCR_EL2.TDA traps EL1 accesses to the debug registers to EL2 (EC 0x18); TDOSA the OS lock ones', () => {
    const r = runDbg(`
      mrs x0, dbgbcr0_el1
      msr oslar_el1, xzr
      ${END}`, {
      setup: (m) => m.core.setSysregSlot(0, L.SLOT_MDCR_EL2, (1n << 9n) | (1n << 10n)),
      onEl2: (m, e) => { m.core.setSysregSlot(0, L.SLOT_ELR_EL2, e.elr + 4n); m.core.eret(0); return true; },
    });
    expect(r.ended).toBe(true);
    expect(r.el2Exits.map((e) => e.ec)).toEqual([0x18, 0x18]);
    expect(r.el2Exits[0]!.iss & 1).toBe(1); // a read
    expect(r.el2Exits[1]!.iss & 1).toBe(0);
  });
});

describe('BRK', () => {
  it('EC 0x3C with the comment, ELR = the BRK; MDCR_EL2.TDE routes it from EL1 to EL2', () => {
    const plain = runDbg(`${PRELUDE}\n bp: brk #0x1234\n  ${END}\n${VECTORS}`);
    expect(plain.x(21)).toBe(ESR(0x3c, 0x1234));
    expect(plain.x(22)).toBe(plain.syms.get('bp')!);
    // (TDE also traps the debug registers themselves: no OSLAR write here.)
    const tde = runDbg(`bp: brk #0x77\n  ${END}`, {
      setup: (m) => m.core.setSysregSlot(0, L.SLOT_MDCR_EL2, 1n << 8n),
    });
    expect(tde.el2Exits).toHaveLength(1);
    expect(tde.el2Exits[0]!.esr).toBe(ESR(0x3c, 0x77));
    expect(tde.el2Exits[0]!.elr).toBe(tde.syms.get('bp')!);
  });
});

describe('hardware breakpoints', () => {
  const EL0_BP = (bcr: number, mdscr: number) => `
      ${PRELUDE}
      adr x9, target
      msr dbgbvr0_el1, x9
      ldr x9, =${bcr}
      msr dbgbcr0_el1, x9
      ldr x9, =${mdscr}
      msr mdscr_el1, x9
      ${TO_EL0}
    el0_code:
      mov x1, #1
    target:
      mov x2, #2
      svc #0
    ${VECTORS}`;

  it('an EL0 address match: EC 0x30 (from a lower EL), ISS 0x22, ELR = the address, FAR 0, the instruction not executed', () => {
    for (const engine of CPU_ENGINES) {
      const r = runDbg(EL0_BP(BCR_EL0, 1 << 15), { setup: (m) => { m.core.setEngine(engine); m.core.setJitThreshold(1); } });
      expect({ engine, esr: r.x(21), elr: r.x(22), far: r.x(23), x1: r.x(1), x2: r.x(2) })
        .toEqual({ engine, esr: ESR(0x30, 0x22), elr: r.syms.get('target')!, far: 0n, x1: 1n, x2: 0n });
    }
  });

  it('no exception without MDSCR_EL1.MDE, with the OS lock set, or when PMC does not select EL0', () => {
    for (const [bcr, mdscr, lock] of [[BCR_EL0, 0, false], [BCR_EL0, 1 << 15, true], [BCR_EL1, 1 << 15, false]] as const) {
      const src = EL0_BP(bcr, mdscr).replace('msr oslar_el1, xzr', lock ? 'nop' : 'msr oslar_el1, xzr');
      const r = runDbg(src);
      expect(r.x(21)).toBe(ESR(0x15, 0)); // the svc: the breakpoint did not fire
      expect(r.x(2)).toBe(2n);
    }
  });

  it('at EL1 (same EL) only with MDSCR_EL1.KDE and PSTATE.D clear: EC 0x31', () => {
    const src = (daifclr: string) => `
      ${PRELUDE}
      adr x9, target
      msr dbgbvr1_el1, x9
      ldr x9, =${BCR_EL1}
      msr dbgbcr1_el1, x9
      ldr x9, =${(1 << 15) | (1 << 13)}
      msr mdscr_el1, x9
      ${daifclr}
      isb
    target:
      mov x2, #2
      svc #0
    ${VECTORS}`;
    const masked = runDbg(src('nop')); // the harness starts with DAIF all set
    expect(masked.x(21)).toBe(ESR(0x15, 0));
    // The breakpoint is programmed in the block that reaches it: every engine ends the block at the write.
    for (const engine of CPU_ENGINES) {
      const open = runDbg(src('msr daifclr, #8'), { setup: (m) => { m.core.setEngine(engine); m.core.setJitThreshold(1); } });
      expect({ engine, esr: open.x(21), elr: open.x(22) }).toEqual({ engine, esr: ESR(0x31, 0x22), elr: open.syms.get('target')! });
    }
  });

  it('a linked address breakpoint fires only while its context breakpoint matches CONTEXTIDR_EL1', () => {
    const src = (ctx: number) => `
      ${PRELUDE}
      mov x9, #${ctx}
      msr contextidr_el1, x9
      mov x9, #0x42
      msr dbgbvr4_el1, x9
      ldr x9, =${1 | (3 << 1) | (0xf << 5) | (3 << 20)}
      msr dbgbcr4_el1, x9
      adr x9, target
      msr dbgbvr0_el1, x9
      ldr x9, =${BCR_EL0 | (1 << 20) | (4 << 16)}
      msr dbgbcr0_el1, x9
      ldr x9, =${1 << 15}
      msr mdscr_el1, x9
      ${TO_EL0}
    el0_code:
      nop
    target:
      mov x2, #2
      svc #0
    ${VECTORS}`;
    expect(runDbg(src(0x42)).x(21)).toBe(ESR(0x30, 0x22));
    expect(runDbg(src(0x43)).x(21)).toBe(ESR(0x15, 0));
  });

  it('MDCR_EL2.TDE routes a breakpoint from EL1 to EL2 (EC 0x30: from a lower EL, without KDE)', () => {
    // TDE also traps the debug registers: the EL2 software (here the test) programs them.
    const r = runDbg(`
      nop
    target:
      nop
      ${END}`, {
      setup: (m, syms) => {
        const set = (name: string, v: bigint): void => m.core.regs(0).set(name, v);
        set('MDCR_EL2', 1n << 8n);
        set('OSLSR_EL1', 0x8n);
        set('DBGBVR0_EL1', syms.get('target')!);
        set('DBGBCR0_EL1', BigInt(BCR_EL1));
        set('MDSCR_EL1', 1n << 15n);
      },
    });
    expect(r.el2Exits).toHaveLength(1);
    expect(r.el2Exits[0]!.esr).toBe(ESR(0x30, 0x22));
    expect(r.el2Exits[0]!.elr).toBe(r.syms.get('target')!);
  });
});

describe('routing to EL2 by MDCR_EL2.TDE', () => {
  // TDE also traps the debug registers: the EL2 software (here the test) programs them.
  const tde = (extra: Record<string, bigint>) => (m: Parameters<NonNullable<RunOptions['setup']>>[0]): void => {
    const regs = m.core.regs(0);
    regs.set('MDCR_EL2', 1n << 8n);
    regs.set('OSLSR_EL1', 0x8n);
    for (const [n, v] of Object.entries(extra)) regs.set(n, v);
  };

  it('a watchpoint hit at EL1: EC 0x34 to EL2 with FAR_EL2, the store not done', () => {
    const r = runDbg(`
      ldr x1, =${DATA}
      mov x3, #0x55
    st: str x3, [x1, #16]
      ${END}`, { setup: tde({ DBGWVR1_EL1: DATA + 16n, DBGWCR1_EL1: BigInt(WCR(2, 0xff, 1)), MDSCR_EL1: 1n << 15n }) });
    expect(r.el2Exits).toHaveLength(1);
    expect(r.el2Exits[0]).toMatchObject({ esr: ESR(0x34, 0x22 | (1 << 6)), far: DATA + 16n, elr: r.syms.get('st')! });
    expect(r.u64(DATA + 16n)).toBe(0n);
  });

  it('software step of EL1 without KDE: active-pending at once (EC 0x32 to EL2)', () => {
    const r = runDbg(`
    first: mov x1, #1
      ${END}`, { setup: tde({ MDSCR_EL1: 1n }) });
    expect(r.el2Exits).toHaveLength(1);
    expect(r.el2Exits[0]).toMatchObject({ esr: ESR(0x32, 0x22), elr: r.syms.get('first')! });
    expect(r.x(1)).toBe(0n);
  });
});

describe('watchpoints', () => {
  const EL0_WP = (wvr: bigint, wcr: number, body: string) => `
      ${PRELUDE}
      ldr x9, =${wvr}
      msr dbgwvr2_el1, x9
      ldr x9, =${wcr}
      msr dbgwcr2_el1, x9
      ldr x9, =${1 << 15}
      msr mdscr_el1, x9
      ldr x1, =${DATA}
      mov x3, #0x55
      ${TO_EL0}
    el0_code:
      ${body}
      svc #0
    ${VECTORS}`;

  it('a store: EC 0x34, WnR = 1, FAR = the address, before the store; a load of a store-only watch passes', () => {
    for (const engine of CPU_ENGINES) {
      const r = runDbg(EL0_WP(DATA + 8n, WCR(2), 'ldr x4, [x1, #8]\n str x3, [x1, #8]'), { setup: (m) => { m.core.setEngine(engine); m.core.setJitThreshold(1); } });
      expect({ engine, esr: r.x(21), far: r.x(23), mem: r.u64(DATA + 8n), elr: r.x(22) - r.syms.get('el0_code')! })
        .toEqual({ engine, esr: ESR(0x34, 0x22 | (1 << 6)), far: DATA + 8n, mem: 0n, elr: 4n });
    }
  });

  it('a load: WnR = 0; BAS selects bytes (an 8-byte load reports the first watched byte); MASK watches 2^MASK bytes', () => {
    const bas = runDbg(EL0_WP(DATA + 8n, WCR(1, 0x08), 'ldr x4, [x1, #8]'));
    expect(bas.x(21)).toBe(ESR(0x34, 0x22));
    expect(bas.x(23)).toBe(DATA + 11n);
    const miss = runDbg(EL0_WP(DATA + 8n, WCR(1, 0x08), 'ldr w4, [x1, #12]'));
    expect(miss.x(21)).toBe(ESR(0x15, 0));
    const masked = runDbg(EL0_WP(DATA + 0x1000n, WCR(3, 0, 3, 12), 'ldr x4, [x1, #0x10]\n strb w3, [x1, #0xff8]\n ldr x9, =0x40101ff0\n strb w3, [x9]'));
    expect(masked.x(21)).toBe(ESR(0x34, 0x22 | (1 << 6)));
    expect(masked.x(23)).toBe(DATA + 0x1ff0n);
  });

  it('PAC = EL1 only: an EL0 access passes', () => {
    expect(runDbg(EL0_WP(DATA + 8n, WCR(3, 0xff, 1), 'str x3, [x1, #8]')).x(21)).toBe(ESR(0x15, 0));
  });

  it('an LDTR at EL1 matches as an EL0 access (same EL watch needs KDE: here it goes through PAC = EL0)', () => {
    const r = runDbg(`
      ${PRELUDE}
      ldr x9, =${DATA}
      msr dbgwvr0_el1, x9
      ldr x9, =${WCR(1, 0xff, 2)}
      msr dbgwcr0_el1, x9
      ldr x9, =${(1 << 15) | (1 << 13)}
      msr mdscr_el1, x9
      msr daifclr, #8
      ldr x1, =${DATA}
      ldr x4, [x1]
    unpriv:
      ldtr x5, [x1]
      ${END}
    ${VECTORS}`);
    expect(r.x(21)).toBe(ESR(0x35, 0x22));
    expect(r.x(22)).toBe(r.syms.get('unpriv')!); // the plain load at EL1 passed (PAC = EL0 only)
    expect(r.x(23)).toBe(DATA);
  });
});

describe('software step', () => {
  const STEP = (spsrSs: boolean, body: string, mdscr = 1) => `
      ${PRELUDE}
      mov x9, #${mdscr}
      msr mdscr_el1, x9
      ${TO_EL0}
    el0_code:
      ${body}
    ${VECTORS}`;

  it('active-not-pending (SPSR.SS = 1): one instruction, then EC 0x32 with ISV = 1, ELR = the next one, SPSR.SS = 0', () => {
    for (const engine of CPU_ENGINES) {
      const r = runDbg(STEP(true, 'mov x1, #7\n mov x2, #8\n svc #0'), { regs: { 20: 1n << 21n }, setup: (m) => m.core.setEngine(engine) });
      expect({ engine, esr: r.x(21), elr: r.x(22) - r.syms.get('el0_code')!, x1: r.x(1), x2: r.x(2), ss: (r.x(24) >> 21n) & 1n })
        .toEqual({ engine, esr: ESR(0x32, 0x22 | (1 << 24)), elr: 4n, x1: 7n, x2: 0n, ss: 0n });
    }
  });

  it('active-pending (SPSR.SS = 0): the step exception comes first, ISV = 0, nothing executed', () => {
    const r = runDbg(STEP(false, 'mov x1, #7\n svc #0'));
    expect(r.x(21)).toBe(ESR(0x32, 0x22));
    expect(r.x(22)).toBe(r.syms.get('el0_code')!);
    expect(r.x(1)).toBe(0n);
  });

  it('a stepped load-exclusive sets EX', () => {
    const r = runDbg(STEP(true, 'ldxr x4, [x1]\n svc #0').replace('mov x9, #1', `ldr x1, =${DATA}\n mov x9, #1`), { regs: { 20: 1n << 21n } });
    expect(r.x(21)).toBe(ESR(0x32, 0x22 | (1 << 24) | (1 << 6)));
  });

  it('a stepped SVC completes: the SVC is taken with SPSR.SS = 0; without MDSCR_EL1.SS nothing steps', () => {
    const svc = runDbg(STEP(true, 'svc #5'), { regs: { 20: 1n << 21n } });
    expect(svc.x(21)).toBe(ESR(0x15, 5));
    expect((svc.x(24) >> 21n) & 1n).toBe(0n);
    const off = runDbg(STEP(true, 'mov x1, #7\n svc #6', 0), { regs: { 20: 1n << 21n } });
    expect(off.x(21)).toBe(ESR(0x15, 6));
    expect(off.x(1)).toBe(7n);
  });

  it('at EL1 with KDE and PSTATE.D clear: EC 0x33; a stepped WFI completes at once (the step exception, no sleep)', () => {
    const r = runDbg(`
      ${PRELUDE}
      mov x9, #${1 | (1 << 13)}
      msr mdscr_el1, x9
      adr x9, el1_code
      msr elr_el1, x9
      ldr x9, =${0x5 | (1 << 21)}
      msr spsr_el1, x9
      isb
      eret
    el1_code:
      wfi
      mov x1, #7
      svc #0
    ${VECTORS}`);
    expect(r.x(21)).toBe(ESR(0x33, 0x22 | (1 << 24)));
    expect(r.x(22)).toBe(r.syms.get('el1_code')! + 4n);
    expect(r.x(1)).toBe(0n);
  });

  it('the OS double lock (OSDLR_EL1.DLK, DBGPRCR_EL1.CORENPDRQ clear) blocks it too', () => {
    const r = runDbg(STEP(true, 'mov x1, #7\n svc #6').replace('msr oslar_el1, xzr', 'msr oslar_el1, xzr\n mov x9, #1\n msr osdlr_el1, x9'), { regs: { 20: 1n << 21n } });
    expect(r.x(21)).toBe(ESR(0x15, 6));
    const corenpdrq = runDbg(STEP(true, 'mov x1, #7\n svc #6').replace('msr oslar_el1, xzr', 'msr oslar_el1, xzr\n mov x9, #1\n msr osdlr_el1, x9\n msr dbgprcr_el1, x9'), { regs: { 20: 1n << 21n } });
    expect(corenpdrq.x(21)).toBe(ESR(0x32, 0x22 | (1 << 24)));
  });

  it('the OS lock blocks software step', () => {
    const r = runDbg(STEP(true, 'mov x1, #7\n svc #6').replace('msr oslar_el1, xzr', 'nop'), { regs: { 20: 1n << 21n } });
    expect(r.x(21)).toBe(ESR(0x15, 6));
  });
});

describe('state', () => {
  it('a snapshot taken with a watchpoint armed restores into a machine that continues identically (every engine)', () => {
    const src = `
      ${PRELUDE}
      ldr x9, =${DATA + 8n}
      msr dbgwvr0_el1, x9
      ldr x9, =${WCR(2)}
      msr dbgwcr0_el1, x9
      ldr x9, =${1 << 15}
      msr mdscr_el1, x9
      ldr x1, =${DATA}
      ${TO_EL0}
    el0_code:
      add x3, x3, #1
      str x3, [x1, #8]
      str x3, [x1, #0x800]
      b el0_code
      .balign 0x800
    vec:
      .skip 0x400
      add x5, x5, #1            // lower EL sync: count the hit, skip the store
      mrs x9, elr_el1
      add x9, x9, #4
      msr elr_el1, x9
      eret`;
    for (const engine of CPU_ENGINES) {
      const r = runDbg(src, { maxInstructions: 5_000, setup: (m) => { m.core.setEngine(engine); m.core.setJitThreshold(1); } });
      expect(r.stop.kind).toBe('instruction-limit');
      const copy = newMachine();
      copy.core.setEngine(engine);
      copy.core.setJitThreshold(1);
      restoreMachine(copy, captureMachine(r.m));
      const state = (m: typeof copy) => ({ x3: m.core.getX(0, 3), x5: m.core.getX(0, 5), pc: m.core.getPc(0), n: m.instructions, digest: m.trace.digest() });
      r.m.run(20_000);
      copy.run(20_000);
      expect(state(copy)).toEqual(state(r.m));
      expect(r.x(5) > 1000n).toBe(true); // every iteration hit the watchpoint
      expect(r.u64(DATA + 8n)).toBe(0n);
      expect(r.x(3) - r.u64(DATA + 0x800n)).toBeLessThanOrEqual(1n); // the unwatched store is done (or just about to be)
    }
  });

  it('the debug registers are in the CPU record; a record without them loads their reset values', async () => {
    const { saveCpu, loadCpu } = await import('./cpuState.js');
    const r = runDbg(`
      msr oslar_el1, xzr
      mov x9, #0x40
      msr dbgbvr3_el1, x9
      ${END}`);
    const rec = saveCpu(r.m.core, 0);
    expect(rec.sysregs['DBGBVR3_EL1']).toBe('0x40');
    expect(rec.sysregs['OSLSR_EL1']).toBe('0x8');
    const old = { ...rec, sysregs: { ...rec.sysregs } };
    delete old.sysregs['DBGBVR3_EL1'];
    delete old.sysregs['DBGWCR3_EL1'];
    loadCpu(r.m.core, 0, old);
    expect(r.m.core.reg(0, 'DBGBVR3_EL1')).toBe(0n);
    expect(r.m.core.reg(0, 'OSLSR_EL1')).toBe(0x8n);
  });
});

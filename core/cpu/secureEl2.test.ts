// Secure EL2 (Armv8.4-SecEL2) and the two physical address spaces, on a
// whole machine configured with two Security states (`secure: true`), by
// real machine code: EL3 code sets SCR_EL3 and ERETs into Secure EL2, whose
// code sets up the secure stage 2 and ERETs into Secure EL1 (or EL3 enters
// EL1 of either world directly). Every exception is handled by the machine
// code's own vectors (the TypeScript software at EL3 and EL2 only passes
// them through), which record the syndrome in x20-x24 and end the run with
// `smc #0xfff`. Each case runs under every engine (the translator at
// threshold 1) and must give the interpreter's registers, count and trace.
import { describe, expect, it } from 'vitest';
import { Machine } from '../machine.js';
import { assemble } from '../asm/assembler.js';
import { CPU_ENGINES } from './cpu.js';
import * as L from './layout.js';
import { saveFull, restoreInto } from '../../snapshots/index.js';
import { SECURE_UART_BASE, UART_BASE } from '../machine.js';
import { CODE_BASE, MAIR, PTE, PT_POOL, S1_NORMAL, S2_RW, Tables, poke64, tcr } from './testing.js';
import type { ExceptionSoftware } from '../software/software.js';

const SECURE_POOL = L.SECURE_RAM_PA + 0x10_0000; // secure tables live in secure RAM
const SECURE_DATA = BigInt(L.SECURE_RAM_PA + 0x1000);
/** Outside the code's 2 MB and the Non-secure table pool. */
const NS_DATA = 0x4060_0000n;
const END_IMM = 0xfff;

// SCR_EL3 bits (D13.2.117).
const SCR_NS = 1n;
const SCR_HCE = 1n << 8n;
const SCR_RW = 1n << 10n;
const SCR_EEL2 = 1n << 18n;
const SCR_SECURE_EL2 = SCR_RW | SCR_HCE | SCR_EEL2;
const SPSR_EL2H = 0x3c9;
const SPSR_EL1H = 0x3c5;
const HCR_VM_RW = (1n << 31n) | 1n;
/** VSTCR_EL2 / VTCR_EL2: T0SZ = 32 (4 GB IPA space), SL0 = 1 (walk from level 1), 4 KB granule. */
const S2_TCR = 32n | (1n << 6n);
const S2_NS = 1n << 29n | 1n << 30n; // VTCR_EL2.NSW | NSA (VSTCR_EL2.SW | SA)
const NS_BIT = 1n << 5n; // stage 1 block/page descriptor NS
const NSTABLE = 1n << 63n;

/** EC and the fields tests look at of a syndrome. */
const ec = (esr: bigint): number => Number((esr >> 26n) & 0x3fn);
const dfsc = (esr: bigint): number => Number(esr & 0x3fn);

/** 16 vector entries for `el`: record ESR, FAR, HPFAR (EL2), ELR and the
 *  entry number (0x100 * el + index) in x20..x24. An exception from a lower
 *  EL continues at x27 (EL3) or x28 (EL2) when it is set (a step of that
 *  level's program); at EL1, when x26 is set, the handler returns past the
 *  faulting instruction. */
function vectors(el: 1 | 2 | 3): string {
  const out = [`.balign 0x800`, `el${el}_vectors:`];
  for (let i = 0; i < 16; i++) {
    out.push(`.balign 0x80`, `mrs x20, esr_el${el}`, `mrs x21, far_el${el}`);
    if (el === 2) out.push(`mrs x22, hpfar_el2`);
    out.push(`mrs x23, elr_el${el}`, `mov x24, #${0x100 * el + i}`);
    if (el >= 2 && i >= 8) {
      const next = el === 3 ? 'x27' : 'x28';
      out.push(`cbz ${next}, el${el}_end_${i}`, `br ${next}`, `el${el}_end_${i}:`);
    }
    if (el === 1) out.push(`cbz x26, el1_end_${i}`, `add x25, x23, #4`, `msr elr_el1, x25`, `eret`, `el1_end_${i}:`);
    out.push(`smc #${END_IMM}`);
  }
  return out.join('\n');
}

/** ERET from the current EL (`from`) to `label` with `spsr`. */
function eretTo(from: 2 | 3, spsr: number, label: string): string {
  return `
    mov x0, #${spsr}
    msr spsr_el${from}, x0
    ldr x0, =${label}
    msr elr_el${from}, x0
    eret`;
}

/** EL3 prologue: vectors, SCR_EL3. */
function el3Setup(scr: bigint): string {
  return `
    ldr x0, =el3_vectors
    msr vbar_el3, x0
    ldr x0, =el1_vectors
    msr vbar_el1, x0
    mov x27, #0
    ldr x0, =${scr}
    msr scr_el3, x0`;
}

/** EL3 -> Secure EL2, which sets up its secure stage 2 (plus `extra`) and
 *  enters Secure EL1 at the label `sel1`. */
function enterSel1(vstcr = S2_TCR, extra = ''): string {
  return `
    ${el3Setup(SCR_SECURE_EL2)}
    ${eretTo(3, SPSR_EL2H, 'sel2')}
  sel2:
    ${sel2Stage2(vstcr)}
    ${extra}
    ${eretTo(2, SPSR_EL1H, 'sel1')}`;
}

/** Secure EL2 prologue: vectors, secure stage 2 (VSTTBR_EL2 = `vsttbr`, VSTCR_EL2), HCR_EL2.VM. */
function sel2Stage2(vstcr = S2_TCR, vsttbr = 'x9'): string {
  return `
    ldr x0, =el2_vectors
    msr vbar_el2, x0
    ldr x0, =${vstcr}
    msr vstcr_el2, x0
    ldr x0, =${HCR_VM_RW}
    msr hcr_el2, x0
    msr vsttbr_el2, ${vsttbr}`;
}

interface Result {
  m: Machine;
  ended: boolean;
  x(n: number): bigint;
  el: number;
  nonSecure: boolean;
}

interface RunOptions {
  secure?: boolean;
  setup?: (m: Machine) => void;
  maxInstructions?: number;
  /** A snapshot to restore instead of loading `source` (and calling `setup`). */
  restore?: Uint8Array;
  /** Called after the restore (console hooks and the like). */
  attach?: (m: Machine) => void;
}

/** Run `source` (entered at EL3) on a fresh machine under `engine`. */
function runOnce(source: string, engine: (typeof CPU_ENGINES)[number], opts: RunOptions): Result {
  const m = new Machine({ numCpus: 1, ramBytes: 64 << 20, seed: 1n, secure: opts.secure ?? true, traceVerbosity: 1 });
  m.core.setEngine(engine);
  m.core.setJitThreshold(1);
  let ended = false;
  // Exceptions to EL2/EL3 are handled by the machine code's vectors (the
  // core has already entered them); only the end marker stops the run.
  const passThrough: ExceptionSoftware = {
    handle(mm, cpu, toEl) {
      const esr = mm.core.sysreg(cpu, toEl === 3 ? L.SLOT_ESR_EL3 : L.SLOT_ESR_EL2);
      if (toEl === 3 && mm.core.excKind(cpu) === L.EXC_SYNC && ec(esr) === 0x17 && (esr & 0xffffn) === BigInt(END_IMM)) {
        ended = true;
        mm.stop({ kind: 'system-off' });
      }
    },
  };
  m.software.install('el3', passThrough);
  m.software.install('el2-ns', passThrough);
  m.software.install('el2-s', passThrough);
  if (opts.restore) {
    restoreInto(m, opts.restore);
    opts.attach?.(m);
  } else {
    const full = `${source}\n.text\n${vectors(3)}\n${vectors(2)}\n${vectors(1)}\n`;
    m.core.writePhys(Number(CODE_BASE), assemble(full, { baseAddress: CODE_BASE }).bytes);
    m.core.setPstate(0, 0x3cd); // EL3h, DAIF masked
    m.core.setPc(0, CODE_BASE);
    opts.setup?.(m);
  }
  m.run({ maxInstructions: opts.maxInstructions ?? 100_000 });
  return { m, ended, x: (n) => m.core.getX(0, n), el: m.core.el(0), nonSecure: m.core.isNonSecure(0) };
}

/** Run under every engine; the interpreter's result, after checking the others agree with it. */
function run(source: string, opts: RunOptions = {}): Result {
  const results = CPU_ENGINES.map((engine) => ({ engine, r: runOnce(source, engine, opts) }));
  const ref = results[0]!.r;
  const view = (r: Result) => ({
    regs: Array.from({ length: 31 }, (_, i) => r.x(i).toString(16)), insns: r.m.instructions, digest: r.m.trace.digest(), ended: r.ended,
  });
  for (const { engine, r } of results) expect({ engine, ...view(r) }).toEqual({ engine, ...view(ref) });
  expect(ref.ended).toBe(true);
  return ref;
}

/** Secure stage 2 tables (in secure RAM): the code's 2 MB identity-mapped, plus `pages` (IPA -> PA, attrs). */
function secureStage2(m: Machine, pages: Array<[bigint, bigint, bigint]> = []): Tables {
  const t = new Tables(m, 1, 32, SECURE_POOL);
  t.block(CODE_BASE & ~0x1f_ffffn, CODE_BASE & ~0x1f_ffffn, 2, S2_RW);
  for (const [ipa, pa, attrs] of pages) t.page(ipa, pa, attrs);
  return t;
}

/** EL1 stage 1 on with TTBR0_EL1 = `root`: TCR/MAIR written, SCTLR_EL1.M/C/I
 *  set. (EL2 and EL3 code runs through the same tables: their own regimes
 *  are not modelled.) */
function stage1On(m: Machine, root: number): void {
  m.core.setSysregSlot(0, L.SLOT_TTBR0_EL1, BigInt(root));
  m.core.setSysregSlot(0, L.SLOT_MAIR_EL1, MAIR);
  m.core.setSysregSlot(0, L.SLOT_TCR_EL1, tcr());
  m.core.setSysregSlot(0, L.SLOT_SCTLR_EL1, m.core.sysreg(0, L.SLOT_SCTLR_EL1) | 1n | (1n << 2n) | (1n << 12n));
}

/** Stage 1 tables with the RAM GB identity-mapped (its NS bit per `ns`), from `pool`. */
function stage1Tables(m: Machine, pool: number, ns = false): Tables {
  const t = new Tables(m, 1, 39, pool);
  t.block(0x4000_0000n, 0x4000_0000n, 1, S1_NORMAL | (ns ? NS_BIT : 0n));
  return t;
}

describe('Secure EL2: entering it (ERET legality, ARM ARM D1.11.2)', () => {
  it('EL3 -> S-EL2 with SCR_EL3.EEL2 = 1, then S-EL2 -> S-EL1; HVC from S-EL1 is taken to S-EL2', () => {
    const r = run(`
      ${el3Setup(SCR_SECURE_EL2)}
      ${eretTo(3, SPSR_EL2H, 'sel2')}
    sel2:
      mrs x1, currentel
      mrs x2, id_aa64pfr0_el1
      ldr x0, =el2_vectors
      msr vbar_el2, x0
      ${eretTo(2, SPSR_EL1H, 'sel1')}
    sel1:
      mrs x3, currentel
      hvc #0x42
      smc #${END_IMM}
    `);
    expect(r.x(1)).toBe(8n); // CurrentEL: EL2
    expect((r.x(2) >> 36n) & 0xfn).toBe(1n); // ID_AA64PFR0_EL1.SEL2
    expect(r.x(3)).toBe(4n); // CurrentEL: EL1
    expect(ec(r.x(20))).toBe(0x16); // HVC, at the S-EL2 vector for a lower EL
    expect(r.x(20) & 0xffffn).toBe(0x42n);
    expect(r.x(24)).toBe(0x208n);
    expect(r.nonSecure).toBe(false);
  });

  it('ERET from EL3 to EL2 with SCR_EL3.NS = 0 and EEL2 = 0 is an illegal return', () => {
    const r = run(`
      ${el3Setup(SCR_RW | SCR_HCE)}
      ${eretTo(3, SPSR_EL2H, 'sel2')}
    sel2:
      mov x1, #1
      smc #${END_IMM}
    `);
    // Illegal Execution state, taken at EL3 itself (current EL, SP_EL3): EC 0x0e.
    expect(ec(r.x(20))).toBe(0x0e);
    expect(r.x(24)).toBe(0x304n);
    expect(r.x(1)).toBe(0n); // never ran at EL2
  });

  it('without two Security states SCR_EL3.EEL2 does nothing: the same ERET is illegal, VSTTBR_EL2 UNDEFINED', () => {
    const r = run(`
      ${el3Setup(SCR_SECURE_EL2)}
      mrs x2, id_aa64pfr0_el1
      ${eretTo(3, SPSR_EL2H, 'sel2')}
    sel2:
      mov x1, #1
      smc #${END_IMM}
    `, { secure: false });
    expect(ec(r.x(20))).toBe(0x0e);
    expect(r.x(1)).toBe(0n);
    expect((r.x(2) >> 36n) & 0xfn).toBe(0n);
    const u = run(`
      ${el3Setup(SCR_RW | SCR_HCE | SCR_NS)}
      mrs x1, vsttbr_el2
      smc #${END_IMM}
    `, { secure: false });
    expect(ec(u.x(20))).toBe(0x00); // UNDEFINED at EL3
  });
});

describe('secure stage 2 (VSTTBR_EL2/VSTCR_EL2)', () => {
  it('confines S-EL1: mapped IPAs reach secure RAM, others fault to S-EL2 with ESR_EL2/FAR_EL2/HPFAR_EL2', () => {
    const r = run(`
      ${enterSel1()}
    sel1:
      ldr x2, =${NS_DATA}
      ldr x1, [x2]
      ldr x3, =${NS_DATA + 0x4000n}
      ldr x4, [x3]
      smc #${END_IMM}
    `, {
      setup: (m) => {
        poke64(m, SECURE_DATA, 0x5ec_0001n);
        poke64(m, NS_DATA, 0x0a5_0001n);
        // IPA NS_DATA -> secure RAM; IPA NS_DATA + 0x4000 unmapped (in the same level 3 table: a level 3 fault).
        const t = secureStage2(m, [[NS_DATA, SECURE_DATA, S2_RW], [NS_DATA + 0x5000n, SECURE_DATA, S2_RW]]);
        m.core.setX(0, 9, BigInt(t.root));
      },
    });
    expect(r.x(1)).toBe(0x5ec_0001n); // through the secure stage 2, from secure RAM
    // Data abort from a lower EL (EC 0x24) at S-EL2's lower-EL sync vector:
    // ISV, 64-bit, Rt = x4, translation fault level 3, WnR 0.
    const esr = r.x(20);
    expect(r.x(24)).toBe(0x208n);
    expect(ec(esr)).toBe(0x24);
    expect((esr >> 24n) & 1n).toBe(1n); // ISV
    expect((esr >> 16n) & 0x1fn).toBe(4n); // SRT
    expect(dfsc(esr)).toBe(0x07);
    expect(r.x(21)).toBe(NS_DATA + 0x4000n); // FAR_EL2: the VA
    expect(r.x(22)).toBe(((NS_DATA + 0x4000n) >> 12n) << 4n); // HPFAR_EL2: the IPA, NS = 0 (Secure IPA space)
  });

  it('a write to a read-only secure stage 2 page is a permission fault (WnR = 1); S2AP are enforced', () => {
    const r = run(`
      ${enterSel1()}
    sel1:
      ldr x2, =${NS_DATA}
      ldr x1, [x2]
      str x1, [x2]
      smc #${END_IMM}
    `, {
      setup: (m) => {
        poke64(m, SECURE_DATA, 0x77n);
        m.core.setX(0, 9, BigInt(secureStage2(m, [[NS_DATA, SECURE_DATA, S2_RW & ~PTE.S2AP_W]]).root));
      },
    });
    expect(r.x(1)).toBe(0x77n);
    expect(ec(r.x(20))).toBe(0x24);
    expect(dfsc(r.x(20))).toBe(0x0f); // permission fault, level 3
    expect((r.x(20) >> 6n) & 1n).toBe(1n); // WnR
    expect(r.x(22)).toBe((NS_DATA >> 12n) << 4n);
  });

  it('VSTCR_EL2.SA: every output of the secure stage 2 is Non-secure, so secure RAM is out of reach', () => {
    const r = run(`
      ${enterSel1(S2_TCR | (1n << 30n))}
    sel1:
      ldr x2, =${NS_DATA}
      ldr x1, [x2]
      smc #${END_IMM}
    `, {
      setup: (m) => {
        poke64(m, SECURE_DATA, 0x77n);
        m.core.setX(0, 9, BigInt(secureStage2(m, [[NS_DATA, SECURE_DATA, S2_RW]]).root));
        m.core.setX(0, 1, 0xdeadn);
      },
    });
    // A Non-secure access to secure-only memory: synchronous external abort,
    // taken to S-EL1 (a stage 1 style abort), x1 unchanged.
    expect(r.x(1)).toBe(0xdeadn);
    expect(r.x(24)).toBe(0x104n);
    expect(ec(r.x(20))).toBe(0x25);
    expect(dfsc(r.x(20))).toBe(0x10);
  });
});

describe('two physical address spaces', () => {
  it('the Non-secure world cannot read or write secure RAM (synchronous external abort); the Secure world can', () => {
    const r = run(`
      ${el3Setup(SCR_RW | SCR_HCE | SCR_NS)}
      ldr x27, =el3_step2
      ${eretTo(3, SPSR_EL1H, 'ns_el1')}
    ns_el1:
      ldr x2, =${SECURE_DATA}
      mov x1, #0x99
      str x1, [x2]
      mov x10, x20
      mov x11, x21
      ldr x1, [x2]
      mov x13, x20
      smc #0
    el3_step2:
      mov x12, x20
      mov x27, #0
      ldr x0, =${SCR_RW | SCR_HCE}
      msr scr_el3, x0
      ${eretTo(3, SPSR_EL1H, 's_el1')}
    s_el1:
      ldr x3, [x2]
      smc #${END_IMM}
    `, {
      setup: (m) => {
        poke64(m, SECURE_DATA, 0x5ec_0002n);
        m.core.setX(0, 26, 1n); // EL1 aborts return past the instruction
      },
    });
    // The store aborted (EC 0x25, synchronous external abort, WnR = 1), and so did the load (WnR = 0).
    expect(ec(r.x(10))).toBe(0x25);
    expect(dfsc(r.x(10))).toBe(0x10);
    expect((r.x(10) >> 6n) & 1n).toBe(1n);
    expect(r.x(11)).toBe(SECURE_DATA);
    expect(ec(r.x(13))).toBe(0x25);
    expect(dfsc(r.x(13))).toBe(0x10);
    expect((r.x(13) >> 6n) & 1n).toBe(0n);
    expect(r.x(1)).toBe(0x99n); // the load did not complete: x1 kept the stored value
    expect(ec(r.x(12))).toBe(0x17); // then the SMC reached EL3
    expect(r.x(3)).toBe(0x5ec_0002n); // secure RAM unchanged, read by Secure EL1
  });

  it('the NS bit of a Secure stage 1 descriptor (and NSTable) selects the Non-secure space', () => {
    const r = run(`
      ${el3Setup(SCR_RW | SCR_HCE)}
      ${eretTo(3, SPSR_EL1H, 's_el1')}
    s_el1:
      ldr x2, =0x80000000
      ldr x1, [x2]
      ldr x2, =0x80001000
      ldr x3, [x2]
      mov x4, #0xbad
      ldr x2, =0x80002000
      ldr x4, [x2]
      mov x10, x20
      mov x11, x21
      mov x5, #0xbad
      ldr x2, =0x80200000
      ldr x5, [x2]
      mov x12, x20
      mov x13, x21
      smc #${END_IMM}
    `, {
      setup: (m) => {
        poke64(m, SECURE_DATA, 0x5ec_0003n);
        poke64(m, NS_DATA, 0x0a5_0003n);
        const t = stage1Tables(m, PT_POOL);
        stage1On(m, t.root);
        t.page(0x8000_0000n, SECURE_DATA, S1_NORMAL); // NS = 0: secure RAM
        t.page(0x8000_1000n, NS_DATA, S1_NORMAL | NS_BIT); // NS = 1: Non-secure RAM
        t.page(0x8000_2000n, SECURE_DATA, S1_NORMAL | NS_BIT); // NS = 1: secure RAM is not in that space
        // Under an NSTable = 1 table descriptor the leaf's NS = 0 counts for nothing.
        t.slot(0x8020_0000n, 3, NSTABLE);
        t.page(0x8020_0000n, SECURE_DATA, S1_NORMAL);
        m.core.setX(0, 26, 1n); // EL1 aborts return past the instruction
      },
    });
    expect(r.x(1)).toBe(0x5ec_0003n);
    expect(r.x(3)).toBe(0x0a5_0003n);
    for (const [esr, far, va, reg] of [[r.x(10), r.x(11), 0x8000_2000n, 4], [r.x(12), r.x(13), 0x8020_0000n, 5]] as const) {
      expect(ec(esr)).toBe(0x25);
      expect(dfsc(esr)).toBe(0x10); // synchronous external abort (not on a walk)
      expect(far).toBe(va);
      expect(r.x(reg)).toBe(0xbadn);
    }
  });

  it('a Secure stage 1 NS = 1 output is a Non-secure IPA: translated by VTTBR_EL2/VTCR_EL2, its faults report HPFAR_EL2.NS', () => {
    const r = run(`
      ${enterSel1(S2_TCR, `ldr x0, =${S2_TCR | S2_NS}\nmsr vtcr_el2, x0\nmsr vttbr_el2, x8`)}
    sel1:
      ldr x2, =0x80000000
      ldr x1, [x2]
      ldr x2, =0x80001000
      ldr x3, [x2]
      ldr x2, =0x80002000
      ldr x4, [x2]
      smc #${END_IMM}
    `, {
      setup: (m) => {
        const NS_OTHER = NS_DATA + 0x2000n;
        poke64(m, SECURE_DATA, 0x5ec_0004n);
        poke64(m, NS_OTHER, 0x0a5_0004n);
        // Stage 1 (in secure RAM): code and tables identity; three data pages, all at IPA NS_DATA..+0x2000.
        const s1 = stage1Tables(m, SECURE_POOL);
        stage1On(m, s1.root);
        s1.page(0x8000_0000n, NS_DATA, S1_NORMAL); // Secure IPA NS_DATA
        s1.page(0x8000_1000n, NS_DATA, S1_NORMAL | NS_BIT); // Non-secure IPA NS_DATA
        s1.page(0x8000_2000n, NS_DATA + 0x1000n, S1_NORMAL | NS_BIT); // Non-secure IPA, unmapped at stage 2
        // Secure IPA space: code, tables (identity), NS_DATA -> secure RAM.
        const s2 = secureStage2(m, [[NS_DATA, SECURE_DATA, S2_RW]]);
        for (let pa = L.SECURE_RAM_PA; pa < L.SECURE_RAM_PA + L.SECURE_RAM_BYTES; pa += 0x20_0000) s2.block(BigInt(pa), BigInt(pa), 2, S2_RW);
        // Non-secure IPA space (VTTBR_EL2, NSW = NSA = 1): NS_DATA -> another Non-secure page.
        const ns2 = new Tables(m, 1, 32, PT_POOL);
        ns2.page(NS_DATA, NS_OTHER, S2_RW);
        m.core.setX(0, 9, BigInt(s2.root));
        m.core.setX(0, 8, BigInt(ns2.root) | (1n << 48n));
      },
    });
    expect(r.x(1)).toBe(0x5ec_0004n); // Secure IPA -> secure RAM
    expect(r.x(3)).toBe(0x0a5_0004n); // Non-secure IPA -> VTTBR_EL2's mapping
    expect(ec(r.x(20))).toBe(0x24);
    expect(dfsc(r.x(20))).toBe(0x07);
    expect(r.x(22)).toBe(((NS_DATA + 0x1000n) >> 12n) << 4n | (1n << 63n)); // HPFAR_EL2.NS: Non-secure IPA space
  });
});

describe('TLBs are tagged by Security state', () => {
  /** EL3 steps: switch EL1 to world `w` (SCR_EL3.NS, its TTBR0_EL1: x9 Secure, x8 Non-secure), run `label` there, continue at `next`. */
  const world = (w: 's' | 'ns', next: string, label: string): string => `
      ldr x0, =${SCR_RW | SCR_HCE | (w === 'ns' ? SCR_NS : 0n)}
      msr scr_el3, x0
      msr ttbr0_el1, ${w === 'ns' ? 'x8' : 'x9'}
      ldr x27, =${next}
      ${eretTo(3, SPSR_EL1H, label)}`;
  it('one VA, one ASID, one TTBR0_EL1 slot: each world gets its own translation; a Secure TLBI leaves Non-secure entries', () => {
    const r = run(`
      ${el3Setup(SCR_RW | SCR_HCE)}
      ldr x27, =step2
      ${eretTo(3, SPSR_EL1H, 'el1_load')}
    el1_load:
      ldr x2, =0x80000000
      ldr x1, [x2]
      smc #0
    el1_tlbi:
      tlbi vmalle1
      dsb sy
      isb
      smc #0
    el1_tlbi_load:
      tlbi vmalle1
      dsb sy
      isb
      b el1_load
    step2:
      mov x10, x1
      ${world('ns', 'step3', 'el1_load')}
    step3:
      mov x11, x1
      str x5, [x6]
      ${world('s', 'step4', 'el1_tlbi')}
    step4:
      ${world('ns', 'step5', 'el1_load')}
    step5:
      mov x12, x1
      ldr x27, =step6
      ${eretTo(3, SPSR_EL1H, 'el1_tlbi_load')}
    step6:
      mov x13, x1
      ${world('s', 'step7', 'el1_load')}
    step7:
      mov x14, x1
      smc #${END_IMM}
    `, {
      setup: (m) => {
        poke64(m, SECURE_DATA, 0x5ec_0005n);
        poke64(m, NS_DATA, 0x0a5_0005n);
        poke64(m, NS_DATA + 0x1000n, 0x0a5_0006n);
        const sec = stage1Tables(m, SECURE_POOL);
        sec.page(0x8000_0000n, SECURE_DATA, S1_NORMAL);
        const ns = stage1Tables(m, PT_POOL, true);
        ns.page(0x8000_0000n, NS_DATA, S1_NORMAL);
        stage1On(m, sec.root);
        m.core.setX(0, 9, BigInt(sec.root));
        m.core.setX(0, 8, BigInt(ns.root));
        // The Non-secure leaf for the VA, rewritten by EL3 (without a Non-secure TLBI) to the next page.
        m.core.setX(0, 6, BigInt(ns.slot(0x8000_0000n, 3)));
        m.core.setX(0, 5, (NS_DATA + 0x1000n) | S1_NORMAL | PTE.PAGE);
      },
    });
    expect(r.x(10)).toBe(0x5ec_0005n); // Secure EL1
    expect(r.x(11)).toBe(0x0a5_0005n); // Non-secure EL1: not the Secure entry for the same VA and ASID
    // Secure EL1 did TLBI VMALLE1 after the Non-secure leaf changed: the
    // Non-secure entry outlived it (this model keeps it; the architecture
    // lets a TLB keep an entry until a TLBI that applies to it).
    expect(r.x(12)).toBe(0x0a5_0005n);
    expect(r.x(13)).toBe(0x0a5_0006n); // a Non-secure TLBI VMALLE1: the new mapping
    expect(r.x(14)).toBe(0x5ec_0005n); // Secure EL1 still reaches its own page
  });
  it('one VA holding different code in each world (secure RAM / Non-secure RAM): each world runs its own, under every engine', () => {
    const code = (imm: number): Uint8Array => assemble(`mov x1, #${imm}\nadd x1, x1, #1\nsmc #0`, { baseAddress: 0x8000_0000n }).bytes;
    const r = run(`
      ${el3Setup(SCR_RW | SCR_HCE)}
      ldr x27, =step2
      ${eretTo(3, SPSR_EL1H, '0x80000000')}
    step2:
      mov x10, x1
      ${world('ns', 'step3', '0x80000000')}
    step3:
      mov x11, x1
      ${world('s', 'step4', '0x80000000')}
    step4:
      mov x12, x1
      smc #${END_IMM}
    `, {
      setup: (m) => {
        m.core.writePhys(Number(SECURE_DATA), code(0x5e));
        m.core.writePhys(Number(NS_DATA), code(0xa5));
        const sec = stage1Tables(m, SECURE_POOL);
        sec.page(0x8000_0000n, SECURE_DATA, S1_NORMAL);
        const ns = stage1Tables(m, PT_POOL, true);
        ns.page(0x8000_0000n, NS_DATA, S1_NORMAL);
        stage1On(m, sec.root);
        m.core.setX(0, 9, BigInt(sec.root));
        m.core.setX(0, 8, BigInt(ns.root));
      },
    });
    expect([r.x(10), r.x(11), r.x(12)]).toEqual([0x5fn, 0xa6n, 0x5fn]);
  });
  it('TLBI VMALLS12E1 at Secure EL2 drops the Secure EL1&0 entries only', () => {
    const r = run(`
      ${el3Setup(SCR_RW | SCR_HCE | SCR_NS)}
      msr ttbr0_el1, x8
      ldr x27, =step2
      ${eretTo(3, SPSR_EL1H, 'ns_load')}
    ns_load:
      ldr x2, =0x80005000
      ldr x1, [x2]
      smc #0
    step2:
      mov x10, x1
      str x5, [x6]
      ldr x0, =${SCR_SECURE_EL2}
      msr scr_el3, x0
      msr ttbr0_el1, x9
      ldr x27, =step3
      ${eretTo(3, SPSR_EL2H, 'sel2')}
    sel2:
      ${sel2Stage2(S2_TCR, 'x7')}
      ldr x28, =sel2_cont
      ${eretTo(2, SPSR_EL1H, 'sel1')}
    sel1:
      ldr x2, =0x80000000
      ldr x1, [x2]
      mov x11, x1
      hvc #0
      ldr x1, [x2]
      mov x12, x1
      smc #0
    sel2_cont:
      str x3, [x4]
      tlbi vmalls12e1
      dsb sy
      isb
      eret
    step3:
      ldr x0, =${1n << 31n}
      msr hcr_el2, x0
      ${world('ns', 'step4', 'ns_load')}
    step4:
      mov x13, x1
      smc #${END_IMM}
    `, {
      setup: (m) => {
        poke64(m, SECURE_DATA, 0x5ec_0007n);
        poke64(m, SECURE_DATA + 0x1000n, 0x5ec_0008n);
        poke64(m, NS_DATA, 0x0a5_0007n);
        poke64(m, NS_DATA + 0x1000n, 0x0a5_0008n);
        // Secure stage 1 (in secure RAM): RAM and the low GB (secure RAM) identity, VA 0x80000000 -> IPA NS_DATA.
        const sec = stage1Tables(m, SECURE_POOL);
        sec.block(0n, 0n, 1, S1_NORMAL);
        sec.page(0x8000_0000n, NS_DATA, S1_NORMAL);
        // Secure stage 2: code and secure RAM identity, IPA NS_DATA -> SECURE_DATA (then SECURE_DATA + 0x1000).
        const s2 = secureStage2(m, [[NS_DATA, SECURE_DATA, S2_RW]]);
        for (let pa = L.SECURE_RAM_PA; pa < L.SECURE_RAM_PA + L.SECURE_RAM_BYTES; pa += 0x20_0000) s2.block(BigInt(pa), BigInt(pa), 2, S2_RW);
        // Non-secure stage 1: VA 0x80005000 -> NS_DATA (then, without a Non-secure TLBI, NS_DATA + 0x1000).
        const ns = stage1Tables(m, PT_POOL, true);
        ns.page(0x8000_5000n, NS_DATA, S1_NORMAL);
        stage1On(m, ns.root);
        m.core.setX(0, 9, BigInt(sec.root));
        m.core.setX(0, 8, BigInt(ns.root));
        m.core.setX(0, 7, BigInt(s2.root));
        m.core.setX(0, 6, BigInt(ns.slot(0x8000_5000n, 3)));
        m.core.setX(0, 5, (NS_DATA + 0x1000n) | S1_NORMAL | PTE.PAGE);
        m.core.setX(0, 4, BigInt(s2.slot(NS_DATA, 3)));
        m.core.setX(0, 3, (SECURE_DATA + 0x1000n) | S2_RW | PTE.PAGE);
      },
    });
    expect(r.x(10)).toBe(0x0a5_0007n);
    expect(r.x(11)).toBe(0x5ec_0007n);
    expect(r.x(12)).toBe(0x5ec_0008n); // the new secure stage 2 mapping after S-EL2's TLBI
    expect(r.x(13)).toBe(0x0a5_0007n); // the Non-secure entry outlived it
  });
});

describe('the secure physical timer (CNTPS_*_EL1, PPI 29)', () => {
  const SCR_ST = 1n << 11n;
  it('EL3 and Secure EL1 (SCR_EL3.ST) run it; with Secure EL2 enabled Secure EL1 access is UNDEFINED', () => {
    const r = run(`
      ${el3Setup(SCR_RW | SCR_HCE | SCR_ST)}
      mov x0, #100
      msr cntps_tval_el1, x0
      mov x0, #1
      msr cntps_ctl_el1, x0
    spin:
      mrs x1, cntps_ctl_el1
      tbz x1, #2, spin
      ldr x27, =step2
      ${eretTo(3, SPSR_EL1H, 's_el1')}
    s_el1:
      mrs x2, cntps_ctl_el1
      smc #0
    step2:
      ldr x0, =${SCR_SECURE_EL2 | SCR_ST}
      msr scr_el3, x0
      mov x27, #0
      mov x3, #0x77
      ${eretTo(3, SPSR_EL1H, 's_el1_undef')}
    s_el1_undef:
      mrs x3, cntps_ctl_el1
      smc #${END_IMM}
    `);
    expect(r.x(1)).toBe(5n); // ENABLE | ISTATUS, at EL3, once CNTPCT passed CVAL
    expect(r.x(2)).toBe(5n); // Secure EL1 with ST = 1
    expect(r.x(3)).toBe(0x77n); // not read:
    expect(ec(r.x(20))).toBe(0x00); // UNDEFINED, at Secure EL1
    expect(r.x(24)).toBe(0x104n);
  });
});

describe('the secure UART (PL011 at 0x09040000, secure-only)', () => {
  it('Secure EL1 writes reach its own console stream (world=s events); the Non-secure world gets a bus error there', () => {
    const secureOut: number[] = [];
    const nsOut: number[] = [];
    const worlds: string[] = [];
    const r = run(`
      ${el3Setup(SCR_RW | SCR_HCE)}
      ldr x27, =step2
      ${eretTo(3, SPSR_EL1H, 's_el1')}
    s_el1:
      ldr x2, =${SECURE_UART_BASE}
      mov x1, #'S'
      str w1, [x2]
      ldr x2, =${UART_BASE}
      mov x1, #'n'
      str w1, [x2]
      smc #0
    step2:
      ldr x0, =${SCR_RW | SCR_HCE | SCR_NS}
      msr scr_el3, x0
      mov x27, #0
      ${eretTo(3, SPSR_EL1H, 'ns_el1')}
    ns_el1:
      ldr x2, =${SECURE_UART_BASE}
      mov x1, #'X'
      str w1, [x2]
      smc #${END_IMM}
    `, {
      setup: (m) => {
        m.onSecureConsole = (b) => secureOut.push(b);
        m.onConsole = (b) => nsOut.push(b);
        m.trace.subscribe((e) => void (e.kind === 'uart-out' && worlds.push(`${String.fromCharCode(e.byte)}:${e.world ?? 'ns'}`)));
      },
    });
    const n = CPU_ENGINES.length;
    expect(String.fromCharCode(...secureOut)).toBe('S'.repeat(n));
    expect(String.fromCharCode(...nsOut)).toBe('n'.repeat(n)); // the Secure space reaches Non-secure devices too
    expect(worlds.slice(0, 2)).toEqual(['S:s', 'n:ns']);
    expect(ec(r.x(20))).toBe(0x25); // Non-secure store: synchronous external abort
    expect(dfsc(r.x(20))).toBe(0x10);
    expect(r.x(21)).toBe(BigInt(SECURE_UART_BASE));
  });

  it('a machine with two Security states saves and restores the secure UART and its registers, and continues identically', () => {
    const source = `
      ${enterSel1()}
    sel1:
      ldr x2, =${SECURE_UART_BASE}
      mov x1, #'a'
      str w1, [x2]
      mov x1, #'b'
      str w1, [x2]
      smc #${END_IMM}
    `;
    const out: number[] = [];
    const setup = (m: Machine): void => {
      const device = PTE.S2AP_R | PTE.S2AP_W | PTE.S2_DEVICE | PTE.AF;
      m.core.setX(0, 9, BigInt(secureStage2(m, [[BigInt(SECURE_UART_BASE), BigInt(SECURE_UART_BASE), device]]).root));
      m.onSecureConsole = (c) => out.push(c);
    };
    const whole = runOnce(source, 'interp', { setup });
    expect(whole.ended).toBe(true);
    expect(whole.x(24)).toBe(0n); // no vector was entered
    expect(String.fromCharCode(...out)).toBe('ab');
    // Stop in Secure EL1 between the two bytes, snapshot, restore into a fresh secure machine, finish.
    const first = runOnce(source, 'interp', { setup, maxInstructions: whole.m.instructions - 3 });
    expect(first.el).toBe(1);
    expect(first.nonSecure).toBe(false);
    const snap = saveFull(first.m).bytes;
    out.length = 0;
    const b = runOnce('', 'interp', { restore: snap, attach: (m) => void (m.onSecureConsole = (c) => out.push(c)) });
    expect(b.ended).toBe(true);
    expect(String.fromCharCode(...out)).toBe('b');
    expect(b.m.instructions).toBe(whole.m.instructions);
    expect(b.m.trace.digest()).toBe(whole.m.trace.digest());
    expect(b.m.core.sysreg(0, L.SLOT_VSTTBR_EL2)).toBe(whole.m.core.sysreg(0, L.SLOT_VSTTBR_EL2));
    const plain = new Machine({ numCpus: 1, ramBytes: 64 << 20, seed: 1n, traceVerbosity: 1 });
    expect(() => restoreInto(plain, snap)).toThrow(/secure/);
  });
});

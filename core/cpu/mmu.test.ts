// Stage 1 (4 KB granule) and stage 2 translation: blocks and pages, TTBR0/1
// split, TxSZ, fault syndromes per level, permissions, access flag, ASID
// tagging, TLB maintenance, AT, TBI, DC ZVA, and stage 2 faults to EL2.
import { describe, expect, it } from 'vitest';
import {
  run, END, DATA, CODE_BASE, VEC, PTE, S1_NORMAL, S2_RW, Tables, poke64, stage1, stage2, skipAndEret,
  type RunOptions, type El2Exit,
} from './testing.js';
import type { Machine } from '../machine.js';
import * as L from './layout.js';

const PA_A = 0x4010_1000n; // DATA + 0x1000
const PA_B = 0x4010_2000n;
const PA_C = 0x4010_3000n;
const VAL_A = 0xaaaa_0000_0000_0001n;
const VAL_B = 0xbbbb_0000_0000_0002n;
const VAL_C = 0xcccc_0000_0000_0003n;

function seed(m: Machine): void {
  poke64(m, PA_A, VAL_A, VAL_A + 1n);
  poke64(m, PA_B, VAL_B, VAL_B + 1n);
  poke64(m, PA_C, VAL_C, VAL_C + 1n);
  poke64(m, DATA, 0x1234_5678n);
  poke64(m, 0x4040_0000n + 0x123458n, 0x5151_5151n);
}

function go(src: string, opts: RunOptions = {}) {
  return run(`${src}\n${END}\n.ltorg`, opts);
}
function expectEnded(r: ReturnType<typeof run>) {
  expect(r.ended, `did not reach END (stop ${JSON.stringify(r.stop)}, vector ${r.vector}, ESR_EL1 0x${r.sysreg(L.SLOT_ESR_EL1).toString(16)})`).toBe(true);
}
const esr1 = (r: ReturnType<typeof run>) => r.sysreg(L.SLOT_ESR_EL1);
/** The RAM GB read-only for EL0 and EL1 (AP = 11): executable at both levels. */
const CODE_RO = S1_NORMAL | PTE.AP_EL0 | PTE.AP_RO;

describe('stage 1 mappings', () => {
  it('L1 block, L2 block and L3 page translate to the right PAs', () => {
    const r = go(`
      ldr x1, =0x80100000
      ldr x2, [x1]              // L1 block 0x80000000 -> 0x40000000
      ldr x1, =0xc0323458
      ldr x3, [x1]              // L2 block 0xc0200000 -> 0x40400000
      mov x1, #0x5008
      ldr x4, [x1]              // L3 page 0x5000 -> PA_A
      mov x5, #0x77
      str x5, [x1]
    `, {
      setup: (m) => {
        seed(m);
        const { ttbr0 } = stage1(m);
        ttbr0.block(0x8000_0000n, 0x4000_0000n, 1, S1_NORMAL);
        ttbr0.block(0xc020_0000n, 0x4040_0000n, 2, S1_NORMAL);
        ttbr0.page(0x5000n, PA_A, S1_NORMAL);
      },
    });
    expectEnded(r);
    expect(r.x(2)).toBe(0x1234_5678n);
    expect(r.x(3)).toBe(0x5151_5151n);
    expect(r.x(4)).toBe(VAL_A + 1n);
    expect(r.u64(PA_A + 8n)).toBe(0x77n);
  });
  it('TTBR1 translates the upper range (T1SZ = 25) and TTBR0 the lower', () => {
    const r = go(`
      ldr x1, =0xffffff8000003000
      ldr x2, [x1]
      ldr x1, =0xffffffffffe01000
      ldr x3, [x1]
      mov x1, #0x3000
      ldr x4, [x1]
    `, {
      setup: (m) => {
        seed(m);
        const { ttbr0, ttbr1 } = stage1(m);
        ttbr1.page(0xffff_ff80_0000_3000n, PA_A, S1_NORMAL);
        ttbr1.page(0xffff_ffff_ffe0_1000n, PA_B, S1_NORMAL);
        ttbr0.page(0x3000n, PA_C, S1_NORMAL);
      },
    });
    expectEnded(r);
    expect([r.x(2), r.x(3), r.x(4)]).toEqual([VAL_A, VAL_B, VAL_C]);
  });
  it('T0SZ = 16 starts the walk at level 0 (48-bit VAs)', () => {
    const r = go(`
      ldr x1, =0x0000800000007000
      ldr x2, [x1]
    `, {
      setup: (m) => {
        seed(m);
        const { ttbr0 } = stage1(m, { t0sz: 16 });
        ttbr0.block(0x4000_0000n, 0x4000_0000n, 1, S1_NORMAL);
        ttbr0.page(0x0000_8000_0000_7000n, PA_B, S1_NORMAL);
      },
    });
    expectEnded(r);
    expect(r.x(2)).toBe(VAL_B);
  });
  it('T0SZ = 34 (30-bit VAs) starts the walk at level 2; a VA above 2^30 faults at level 0', () => {
    const r = go(`
      adr x9, .
      mov x1, #0x9000
      movk x1, #0x20, lsl #16
      ldr x2, [x1]
      mov x1, #0x40000000
    fault_here:
      ldr x3, [x1]
    `, {
      setup: (m, syms) => {
        seed(m);
        // Run from VA 0x80000: an L2 block maps VA 0..2 MB to the code's PA 0x40000000.
        const t = new Tables(m, 2, 30);
        t.block(0x0000_0000n, 0x4000_0000n, 2, S1_NORMAL);
        t.page(0x20_9000n, PA_C, S1_NORMAL);
        m.core.setSysregSlot(0, L.SLOT_MAIR_EL1, 0xffn);
        m.core.setSysregSlot(0, L.SLOT_TCR_EL1, 34n | (1n << 23n) | (2n << 30n) | (2n << 32n));
        m.core.setSysregSlot(0, L.SLOT_TTBR0_EL1, BigInt(t.root));
        m.core.setSysregSlot(0, L.SLOT_SCTLR_EL1, m.core.sysreg(0, L.SLOT_SCTLR_EL1) | 1n);
        m.core.setSysregSlot(0, L.SLOT_VBAR_EL1, syms.get('__trap_vectors')! - 0x4000_0000n);
        m.core.setPc(0, CODE_BASE - 0x4000_0000n);
        m.core.flushTlb(0);
      },
    });
    expect(r.x(9)).toBe(0x8_0000n);
    expect(r.x(2)).toBe(VAL_C);
    expect(r.vector).toBe(VEC.curSpxSync);
    expect(Number(esr1(r) & 0x3fn)).toBe(0x04);
    expect(r.sysreg(L.SLOT_FAR_EL1)).toBe(0x4000_0000n);
    expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(r.syms.get('fault_here')! - 0x4000_0000n);
  });
});

describe('stage 1 faults', () => {
  const faultCase = (name: string, insn: string, va: bigint, dfsc: number, wnr: number, map: (t: { ttbr0: Tables; ttbr1: Tables }, m: Machine) => void, opts: { t0sz?: number } = {}) =>
    it(name, () => {
      const r = go(`
        ldr x1, =0x${va.toString(16)}
        mov x2, #5
      fault_here:
        ${insn}
      `, {
        setup: (m) => {
          seed(m);
          map(stage1(m, opts), m);
        },
      });
      expect(r.vector).toBe(VEC.curSpxSync);
      const esr = esr1(r);
      expect(Number(esr >> 26n)).toBe(0x25);
      expect(Number(esr & 0x3fn)).toBe(dfsc);
      expect(Number((esr >> 6n) & 1n)).toBe(wnr);
      expect(r.sysreg(L.SLOT_FAR_EL1)).toBe(va);
      expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(r.syms.get('fault_here')!);
    });
  faultCase('translation fault, level 1 (invalid L1 entry)', 'ldr x3, [x1]', 0x8000_0010n, 0x05, 0, () => {});
  faultCase('translation fault, level 2 (invalid L2 entry)', 'str x2, [x1]', 0x0020_0000n, 0x06, 1, ({ ttbr0 }) => ttbr0.page(0x1000n, PA_A, S1_NORMAL));
  faultCase('translation fault, level 3 (invalid L3 entry)', 'ldr w3, [x1]', 0x2004n, 0x07, 0, ({ ttbr0 }) => ttbr0.page(0x1000n, PA_A, S1_NORMAL));
  faultCase('translation fault, level 0 (T0SZ = 16, invalid L0 entry)', 'ldr x3, [x1]', 0x0000_8000_0000_0000n, 0x04, 0, ({ ttbr0 }) => ttbr0.block(0x4000_0000n, 0x4000_0000n, 1, S1_NORMAL), { t0sz: 16 });
  faultCase('VA above the T0SZ range: translation fault, level 0', 'ldr x3, [x1]', 0x0000_0080_0000_0000n, 0x04, 0, () => {});
  faultCase('VA in the hole between TTBR0 and TTBR1: translation fault, level 0', 'ldr x3, [x1]', 0xffff_0000_0000_0000n, 0x04, 0, () => {});
  faultCase('permission fault: write to a read-only page (level 3)', 'str x2, [x1]', 0x5000n, 0x0f, 1, ({ ttbr0 }) => ttbr0.page(0x5000n, PA_A, S1_NORMAL | PTE.AP_RO));
  faultCase('permission fault: write to a read-only L2 block (level 2)', 'str x2, [x1]', 0x0020_0008n, 0x0e, 1, ({ ttbr0 }) => ttbr0.block(0x0020_0000n, 0x4040_0000n, 2, S1_NORMAL | PTE.AP_RO));
  faultCase('access flag fault (level 3)', 'ldr x3, [x1]', 0x6000n, 0x0b, 0, ({ ttbr0 }) => ttbr0.page(0x6000n, PA_A, S1_NORMAL & ~PTE.AF));
  faultCase('access flag fault on an L2 block (level 2)', 'str x2, [x1]', 0x0040_0000n, 0x0a, 1, ({ ttbr0 }) => ttbr0.block(0x0040_0000n, 0x4040_0000n, 2, S1_NORMAL & ~PTE.AF));
  faultCase('APTable[1] in a table descriptor makes the subtree read-only', 'str x2, [x1]', 0x0060_5000n, 0x0f, 1, ({ ttbr0 }, m) => {
    ttbr0.page(0x0060_5000n, PA_A, S1_NORMAL);
    const l1 = ttbr0.slot(0x0060_5000n, 1);
    const d = new DataView(m.core.readPhys(l1, 8).slice().buffer).getBigUint64(0, true);
    poke64(m, l1, d | (1n << 62n));
  });

  it('permission fault: EL0 access to an EL1-only page (lower-EL data abort, EC 0x24)', () => {
    const r = go(`
      adr x1, el0
      msr elr_el1, x1
      msr spsr_el1, xzr
      eret
    el0:
      mov x1, #0x5000
      ldr x2, [x1, #8]
    `, {
      setup: (m) => {
        seed(m);
        const { ttbr0 } = stage1(m);
        // Code must be EL0-executable: remap the code's 2 MB as an EL0 RO block.
        ttbr0.block(0x4000_0000n, 0x4000_0000n, 1, CODE_RO);
        ttbr0.page(0x5000n, PA_A, S1_NORMAL);
      },
    });
    expect(r.vector).toBe(VEC.lowerSync);
    const esr = esr1(r);
    expect(Number(esr >> 26n)).toBe(0x24);
    expect(Number(esr & 0x3fn)).toBe(0x0f);
    expect(r.sysreg(L.SLOT_FAR_EL1)).toBe(0x5008n);
  });
  it('EL0 can use an EL0 page; LDTR at EL1 uses EL0 permissions', () => {
    const r = go(`
      mov x1, #0x5000
      ldtr x9, [x1]             // EL0-accessible: fine
      mov x1, #0x6000
      ldr x10, [x1]             // EL1-only: fine at EL1
    ldtr_here:
      ldtr x11, [x1]            // EL1-only with EL0 permissions: permission fault
    `, {
      setup: (m) => {
        seed(m);
        const { ttbr0 } = stage1(m);
        ttbr0.page(0x5000n, PA_A, S1_NORMAL | PTE.AP_EL0);
        ttbr0.page(0x6000n, PA_B, S1_NORMAL);
      },
    });
    expect(r.x(9)).toBe(VAL_A);
    expect(r.x(10)).toBe(VAL_B);
    expect(r.vector).toBe(VEC.curSpxSync);
    expect(Number(esr1(r) & 0x3fn)).toBe(0x0f);
    expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(r.syms.get('ldtr_here')!);
  });
  it('LDTR at EL0 cannot read an EL1-only page', () => {
    const r = go(`
      adr x1, el0
      msr elr_el1, x1
      msr spsr_el1, xzr
      eret
    el0:
      mov x1, #0x6000
      ldtr x2, [x1]
    `, {
      setup: (m) => {
        seed(m);
        const { ttbr0 } = stage1(m);
        ttbr0.block(0x4000_0000n, 0x4000_0000n, 1, CODE_RO);
        ttbr0.page(0x6000n, PA_B, S1_NORMAL);
      },
    });
    expect(r.vector).toBe(VEC.lowerSync);
    expect(Number(esr1(r) >> 26n)).toBe(0x24);
    expect(Number(esr1(r) & 0x3fn)).toBe(0x0f);
    expect(r.x(2)).toBe(0n);
  });

  const execCase = (name: string, attrs: bigint, atEl0: boolean, ec: number, sctlrExtra = 0n) =>
    it(name, () => {
      const r = go(`
        mov x1, #0x7000
        ${atEl0 ? 'msr elr_el1, x1\nmsr spsr_el1, xzr\neret' : 'br x1'}
      `, {
        setup: (m) => {
          seed(m);
          const { ttbr0 } = stage1(m, { sctlrExtra });
          // Code read-only at EL0 and EL1 so that it stays executable under WXN and at EL0.
          if (atEl0 || sctlrExtra !== 0n) ttbr0.block(0x4000_0000n, 0x4000_0000n, 1, CODE_RO);
          ttbr0.page(0x7000n, PA_A, attrs);
        },
      });
      expect(r.vector).toBe(atEl0 ? VEC.lowerSync : VEC.curSpxSync);
      const esr = esr1(r);
      expect(Number(esr >> 26n)).toBe(ec);
      expect(Number(esr & 0x3fn)).toBe(0x0f);
      expect(r.sysreg(L.SLOT_FAR_EL1)).toBe(0x7000n);
      expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(0x7000n);
    });
  execCase('PXN: EL1 instruction fetch faults (EC 0x21)', S1_NORMAL | PTE.PXN, false, 0x21);
  execCase('UXN: EL0 instruction fetch faults (EC 0x20)', S1_NORMAL | PTE.AP_EL0 | PTE.UXN, true, 0x20);
  execCase('EL0-writable memory is never executable at EL1', S1_NORMAL | PTE.AP_EL0, false, 0x21);
  execCase('SCTLR_EL1.WXN: writable memory is execute-never at EL1', S1_NORMAL, false, 0x21, 1n << 19n);
  execCase('SCTLR_EL1.WXN: EL0-writable memory is execute-never at EL0', S1_NORMAL | PTE.AP_EL0, true, 0x20, 1n << 19n);
  it('without XN bits, EL0 executes an EL0 RO page and EL1 executes its own page', () => {
    const r = go(`
      mov x1, #0x7000
      br x1
    `, {
      setup: (m) => {
        const { ttbr0 } = stage1(m);
        // PA_A holds: mov x5, #42; hvc #0xfff
        poke64(m, PA_A, 0xd401_ffe2_d280_0545n);
        ttbr0.page(0x7000n, PA_A, S1_NORMAL | PTE.AP_RO);
      },
    });
    expectEnded(r);
    expect(r.x(5)).toBe(42n);
  });
});

describe('ASIDs and TLB maintenance', () => {
  /** Two TTBR0 trees, each with the RAM identity block, mapping VA 0x5000 nG to different PAs. */
  function twoTrees(m: Machine): { a: bigint; b: bigint } {
    seed(m);
    const { ttbr0 } = stage1(m, { asid: 1n });
    ttbr0.page(0x5000n, PA_A, S1_NORMAL | PTE.NG);
    const other = new Tables(m, 1);
    other.block(0x4000_0000n, 0x4000_0000n, 1, S1_NORMAL);
    other.page(0x5000n, PA_B, S1_NORMAL | PTE.NG);
    return { a: BigInt(ttbr0.root) | (1n << 48n), b: BigInt(other.root) | (2n << 48n) };
  }
  it('nG entries are tagged by ASID: switching TTBR0 (no TLBI) selects the right mapping', () => {
    let roots = { a: 0n, b: 0n };
    const r = go(`
      mov x1, #0x5000
      ldr x2, [x1]          // ASID 1 -> PA_A
      msr ttbr0_el1, x11
      isb
      ldr x3, [x1]          // ASID 2 -> PA_B
      msr ttbr0_el1, x10
      isb
      ldr x4, [x1]          // ASID 1 again -> PA_A (from the TLB or a walk)
      msr ttbr0_el1, x11
      isb
      ldr x5, [x1]
    `, {
      setup: (m) => {
        roots = twoTrees(m);
        m.core.setX(0, 10, roots.a);
        m.core.setX(0, 11, roots.b);
      },
    });
    expectEnded(r);
    expect([r.x(2), r.x(3), r.x(4), r.x(5)]).toEqual([VAL_A, VAL_B, VAL_A, VAL_B]);
  });
  it('16-bit ASIDs (TCR_EL1.AS): ASIDs 0x101 and 0x201 are distinct', () => {
    const r = go(`
      mov x1, #0x5000
      ldr x2, [x1]
      msr ttbr0_el1, x11
      isb
      ldr x3, [x1]
    `, {
      setup: (m) => {
        seed(m);
        const { ttbr0 } = stage1(m, { asid: 0x101n, as16: true });
        ttbr0.page(0x5000n, PA_A, S1_NORMAL | PTE.NG);
        const other = new Tables(m, 1);
        other.block(0x4000_0000n, 0x4000_0000n, 1, S1_NORMAL);
        other.page(0x5000n, PA_B, S1_NORMAL | PTE.NG);
        m.core.setX(0, 11, BigInt(other.root) | (0x201n << 48n));
      },
    });
    expectEnded(r);
    expect([r.x(2), r.x(3)]).toEqual([VAL_A, VAL_B]);
  });
  const remap = (tlbi: string) => `
      mov x1, #0x5000
      ldr x2, [x1]              // fill the TLB
      str x21, [x20]            // rewrite the L3 descriptor: 0x5000 -> PA_B
      dsb ishst
      ldr x3, [x1]              // stale or new: both allowed
      ${tlbi}
      dsb ish
      isb
      ldr x4, [x1]              // must be the new mapping
  `;
  const remapSetup = (nG: boolean, asid = 0n) => (m: Machine) => {
    seed(m);
    const { ttbr0 } = stage1(m, { asid });
    const attrs = S1_NORMAL | (nG ? PTE.NG : 0n);
    ttbr0.page(0x5000n, PA_A, attrs);
    m.core.setX(0, 20, BigInt(ttbr0.slot(0x5000n, 3)));
    m.core.setX(0, 21, PA_B | attrs | 3n);
  };
  for (const [name, tlbi, nG, asid] of [
    ['TLBI VAE1 (VA, ASID 0, global entry)', 'mov x9, #5\ntlbi vae1, x9', false, 0n],
    ['TLBI VAE1IS with the matching ASID (nG entry)', 'mov x9, #5\nmovk x9, #7, lsl #48\ntlbi vae1is, x9', true, 7n],
    ['TLBI VALE1 (last level)', 'mov x9, #5\ntlbi vale1, x9', false, 0n],
    ['TLBI VAAE1 (any ASID)', 'mov x9, #5\ntlbi vaae1, x9', true, 3n],
    ['TLBI ASIDE1 (nG entries of the ASID)', 'mov x9, #9\nlsl x9, x9, #48\ntlbi aside1, x9', true, 9n],
    ['TLBI VMALLE1', 'tlbi vmalle1', false, 0n],
    ['TLBI VMALLE1IS', 'tlbi vmalle1is', true, 4n],
  ] as const) {
    it(`${name}: after the TLBI the new mapping is used`, () => {
      const r = go(remap(tlbi), { setup: remapSetup(nG, asid) });
      expectEnded(r);
      expect(r.x(2)).toBe(VAL_A);
      expect([VAL_A, VAL_B]).toContain(r.x(3));
      expect(r.x(4)).toBe(VAL_B);
    });
  }
});

describe('AT and PAR_EL1', () => {
  const setup = (m: Machine) => {
    seed(m);
    const { ttbr0 } = stage1(m);
    ttbr0.page(0x5000n, PA_A, S1_NORMAL);
    ttbr0.page(0x6000n, PA_B, S1_NORMAL | PTE.AP_RO);
    ttbr0.page(0x8000n, PA_C, S1_NORMAL | PTE.AP_EL0);
  };
  it('AT S1E1R success gives the PA; faults give F=1 and the FST', () => {
    const r = go(`
      mov x1, #0x5123
      at s1e1r, x1
      isb
      mrs x2, par_el1
      mov x1, #0x9000
      at s1e1r, x1
      mrs x3, par_el1
      mov x1, #0x6000
      at s1e1w, x1
      mrs x4, par_el1
      at s1e1r, x1
      mrs x5, par_el1
      mov x1, #0x5000
      at s1e0r, x1
      mrs x6, par_el1
      mov x1, #0x8000
      at s1e0w, x1
      mrs x7, par_el1
    `, { setup });
    expectEnded(r);
    expect(r.x(2) & 1n).toBe(0n);
    expect(r.x(2) & 0x0000_ffff_ffff_f000n).toBe(PA_A);
    expect(r.x(2) >> 56n).toBe(0xffn); // ATTR: Normal WB (MAIR index 0 = 0xff)
    expect(r.x(3) & 0x7fn).toBe(1n | (0x07n << 1n)); // F, translation fault level 3
    expect(r.x(4) & 0x7fn).toBe(1n | (0x0fn << 1n)); // permission fault level 3
    expect(r.x(5) & 0x0000_ffff_ffff_f001n).toBe(PA_B);
    expect(r.x(6) & 0x7fn).toBe(1n | (0x0fn << 1n)); // EL0 cannot read an EL1 page
    expect(r.x(7) & 0x0000_ffff_ffff_f001n).toBe(PA_C);
  });
  it('AT does not raise an exception and does not change ESR/FAR', () => {
    const r = go(`
      msr far_el1, xzr
      mov x1, #0x9000
      at s1e1r, x1
      mrs x2, far_el1
    `, { setup });
    expectEnded(r);
    expect(r.x(2)).toBe(0n);
  });
});

describe('TBI and DC ZVA', () => {
  it('TCR_EL1.TBI0 ignores the top byte; without it the tagged VA faults', () => {
    const src = `
      ldr x1, =0xab00000000005008
      ldr x2, [x1]
    `;
    const map = (tbi0: boolean) => (m: Machine) => {
      seed(m);
      const { ttbr0 } = stage1(m, { tbi0 });
      ttbr0.page(0x5000n, PA_A, S1_NORMAL);
    };
    const on = go(src, { setup: map(true) });
    expectEnded(on);
    expect(on.x(2)).toBe(VAL_A + 1n);
    const off = go(src, { setup: map(false) });
    expect(off.vector).toBe(VEC.curSpxSync);
    expect(Number(esr1(off) & 0x3fn)).toBe(0x04);
    expect(off.sysreg(L.SLOT_FAR_EL1)).toBe(0xab00_0000_0000_5008n);
  });
  it('DC ZVA zeroes the aligned 64-byte block (DCZID_EL0.BS = 4)', () => {
    const r = go(`
      mrs x9, dczid_el0
      mov x1, #0x5045
      dc zva, x1
    `, {
      setup: (m) => {
        poke64(m, PA_A, ...Array.from({ length: 32 }, (_, i) => 0x0101_0101_0101_0101n * BigInt(i + 1)));
        const { ttbr0 } = stage1(m);
        ttbr0.page(0x5000n, PA_A, S1_NORMAL);
      },
    });
    expectEnded(r);
    expect(r.x(9)).toBe(4n);
    expect(r.u64(PA_A + 0x38n)).toBe(0x0808_0808_0808_0808n);
    for (let i = 0x40n; i < 0x80n; i += 8n) expect(r.u64(PA_A + i)).toBe(0n);
    expect(r.u64(PA_A + 0x80n)).toBe(0x1111_1111_1111_1111n);
  });
  it('DC ZVA to a read-only page is a permission fault with WnR = 1', () => {
    const r = go(`
      mov x1, #0x6000
      dc zva, x1
    `, {
      setup: (m) => {
        const { ttbr0 } = stage1(m);
        ttbr0.page(0x6000n, PA_B, S1_NORMAL | PTE.AP_RO);
      },
    });
    expect(r.vector).toBe(VEC.curSpxSync);
    expect(Number(esr1(r) & 0x7fn)).toBe(0x4f);
  });
});

describe('cache maintenance by VA', () => {
  const cm = (insn: string, va: bigint, dfsc: number) =>
    it(`'${insn}' faults with CM = 1 and WnR = 1 (DFSC 0x${dfsc.toString(16)})`, () => {
      const r = go(`
        ldr x1, =0x${va.toString(16)}
      here:
        ${insn}
      `, {
        setup: (m) => {
          const { ttbr0 } = stage1(m);
          ttbr0.page(0x6000n, PA_B, S1_NORMAL | PTE.AP_RO);
        },
      });
      expect(r.vector).toBe(VEC.curSpxSync);
      const esr = esr1(r);
      expect(Number(esr >> 26n)).toBe(0x25);
      expect(Number(esr & 0x1ffn)).toBe(0x100 | 0x40 | dfsc);
      expect(r.sysreg(L.SLOT_FAR_EL1)).toBe(va);
      expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(r.syms.get('here')!);
    });
  cm('dc ivac, x1', 0x6008n, 0x0f); // needs write permission
  cm('dc civac, x1', 0x9000n, 0x07); // unmapped
  cm('dc cvac, x1', 0x9040n, 0x07);
  it('dc cvac / ic ivau on a read-only mapped page do not fault', () => {
    const r = go(`
      ldr x1, =0x6008
      dc cvac, x1
      dc civac, x1
      ic ivau, x1
      dc cvau, x1
      ic iallu
    `, {
      setup: (m) => {
        const { ttbr0 } = stage1(m);
        ttbr0.page(0x6000n, PA_B, S1_NORMAL | PTE.AP_RO);
      },
    });
    expectEnded(r);
  });
});

describe('stage 2', () => {
  function s2setup(extra?: (t: Tables, m: Machine) => void, withStage1 = false) {
    return (m: Machine) => {
      seed(m);
      if (withStage1) {
        const { ttbr0 } = stage1(m);
        ttbr0.block(0x0000_0000n, 0x0000_0000n, 1, S1_NORMAL); // VA = IPA for the low GB
      }
      const t = stage2(m, { vmid: 3n });
      t.page(0x1000_0000n, PA_A, S2_RW);
      t.block(0x2000_0000n, 0x4040_0000n, 2, S2_RW);
      t.page(0x1000_1000n, PA_B, PTE.S2AP_R | PTE.S2_NORMAL | PTE.AF);
      extra?.(t, m);
    };
  }
  it('IPA -> PA through a 4 KB page and a 2 MB block (stage 1 off)', () => {
    const r = go(`
      ldr x1, =0x10000008
      ldr x2, [x1]
      ldr x1, =0x20123458
      ldr x3, [x1]
      ldr x1, =0x10000000
      mov x4, #0x99
      str x4, [x1]
    `, { setup: s2setup() });
    expectEnded(r);
    expect(r.x(2)).toBe(VAL_A + 1n);
    expect(r.x(3)).toBe(0x5151_5151n);
    expect(r.u64(PA_A)).toBe(0x99n);
  });
  it('stage 1 and stage 2 combined', () => {
    const r = go(`
      ldr x1, =0x10000008
      ldr x2, [x1]
    `, { setup: s2setup(undefined, true) });
    expectEnded(r);
    expect(r.x(2)).toBe(VAL_A + 1n);
  });

  /** An EL2 handler emulating MMIO: records exits, answers loads with a value, skips the instruction. */
  function mmioHandler(exits: El2Exit[], value: bigint) {
    return (m: Machine, e: El2Exit): boolean => {
      exits.push(e);
      if (e.ec !== 0x24) return false;
      const isv = (e.iss >> 24) & 1;
      const wnr = (e.iss >> 6) & 1;
      if (isv && !wnr) {
        const sas = (e.iss >> 22) & 3;
        const sse = (e.iss >> 21) & 1;
        const srt = (e.iss >> 16) & 31;
        const sf = (e.iss >> 15) & 1;
        const bits = 8 << sas;
        let v = value & ((1n << BigInt(bits)) - 1n);
        if (sse) v = BigInt.asUintN(sf ? 64 : 32, BigInt.asIntN(bits, v));
        m.core.setX(0, srt, v);
      }
      skipAndEret(m);
      return true;
    };
  }
  it('stage 2 translation fault goes to EL2 with ESR/FAR/HPFAR and a valid ISS (MMIO-like accesses)', () => {
    const exits: El2Exit[] = [];
    const r = go(`
      ldr x1, =0x30000010
      mov w5, #0x5a5a
    s_str:
      str w5, [x1]
    s_ldrh:
      ldrh w7, [x1, #2]
    s_ldrsb:
      ldrsb x8, [x1, #1]
    s_ldr:
      ldr x9, [x1, #8]
    `, { setup: s2setup(), onEl2: mmioHandler(exits, 0x8182_8384_8586_8788n) });
    expectEnded(r);
    expect(exits).toHaveLength(4);
    const [st, ldh, ldsb, ld] = exits as [El2Exit, El2Exit, El2Exit, El2Exit];
    for (const e of exits) {
      expect(e.ec).toBe(0x24);
      expect(e.iss & 0x3f).toBe(0x06); // translation fault, level 2 (no L2 entry for 0x30000000)
      expect((e.iss >> 24) & 1).toBe(1); // ISV
    }
    // str w5: SAS=2, SSE=0, SRT=5, SF=0, WnR=1
    expect(st.iss >> 14).toBe((1 << 10) | (2 << 8) | (0 << 7) | (5 << 2) | (0 << 1) | 0);
    expect((st.iss >> 6) & 1).toBe(1);
    expect(st.far).toBe(0x3000_0010n);
    expect(st.hpfar).toBe((0x3000_0010n >> 12n) << 4n);
    expect(st.elr).toBe(r.syms.get('s_str')!);
    // ldrh w7: SAS=1, SRT=7, WnR=0
    expect(ldh.iss >> 14).toBe((1 << 10) | (1 << 8) | (7 << 2));
    expect((ldh.iss >> 6) & 1).toBe(0);
    expect(ldh.far).toBe(0x3000_0012n);
    // ldrsb x8: SAS=0, SSE=1, SRT=8, SF=1
    expect(ldsb.iss >> 14).toBe((1 << 10) | (0 << 8) | (1 << 7) | (8 << 2) | (1 << 1));
    // ldr x9: SAS=3, SRT=9, SF=1
    expect(ld.iss >> 14).toBe((1 << 10) | (3 << 8) | (9 << 2) | (1 << 1));
    expect(ld.hpfar).toBe((0x3000_0018n >> 12n) << 4n);
    expect(r.x(7)).toBe(0x8788n);
    expect(r.x(8)).toBe(0xffff_ffff_ffff_ff88n);
    expect(r.x(9)).toBe(0x8182_8384_8586_8788n);
  });
  it('stage 2 translation fault at level 3 (unmapped page next to a mapped one)', () => {
    const exits: El2Exit[] = [];
    const r = go(`
      ldr x1, =0x10002000
      ldr x2, [x1]
    `, { setup: s2setup(), onEl2: mmioHandler(exits, 0n) });
    expectEnded(r);
    expect(exits[0]!.iss & 0x3f).toBe(0x07);
    expect(exits[0]!.hpfar).toBe(0x10002n << 4n);
  });
  it('stage 2 permission fault: write to an S2AP read-only page', () => {
    const exits: El2Exit[] = [];
    const r = go(`
      ldr x1, =0x10001000
      ldr x2, [x1]
      str x2, [x1, #8]
    `, { setup: s2setup(), onEl2: mmioHandler(exits, 0n) });
    expectEnded(r);
    expect(r.x(2)).toBe(VAL_B);
    expect(exits).toHaveLength(1);
    expect(exits[0]!.ec).toBe(0x24);
    expect(exits[0]!.iss & 0x7f).toBe(0x40 | 0x0f);
    expect(r.u64(PA_B + 8n)).toBe(VAL_B + 1n);
  });
  it('stage 2 fault on a stage 1 table walk sets S1PTW and reports the table IPA', () => {
    const exits: El2Exit[] = [];
    let l2Entry = 0n;
    const r = go(`
      ldr x1, =0x10000008
      ldr x2, [x1]
    `, {
      setup: (m) => {
        seed(m);
        // Stage 1 tables live in RAM; stage 2 maps RAM only in 2 MB blocks that exclude the table pool.
        const s1 = stage1(m);
        s1.ttbr0.page(0x1000_0000n, 0x1000_0000n, S1_NORMAL);
        l2Entry = BigInt(s1.ttbr0.slot(0x1000_0000n, 2));
        const t = stage2(m, { identityRam: false });
        t.block(0x4000_0000n, 0x4000_0000n, 2, S2_RW); // code and data
        t.page(BigInt(s1.ttbr0.root), BigInt(s1.ttbr0.root), S2_RW); // the stage 1 root, but not the L2 table
        t.page(0x1000_0000n, PA_A, S2_RW);
      },
      onEl2: mmioHandler(exits, 0n),
    });
    expect(exits.length).toBeGreaterThanOrEqual(1);
    const e = exits[0]!;
    expect(e.ec).toBe(0x24);
    expect((e.iss >> 7) & 1).toBe(1); // S1PTW
    expect((e.iss >> 24) & 1).toBe(0); // no ISV for a walk
    expect(e.hpfar >> 4n).toBe(l2Entry >> 12n); // the level 2 table's IPA page
    expect(e.iss & 0x3f).toBe(0x07); // stage 2 translation fault at level 3 (its neighbour, the root, is mapped)
    expect(e.far).toBe(0x1000_0008n);
    expect(r.stop.kind).toBeDefined();
  });
  it('AT S1E1R with stage 2 enabled reports the IPA, not the PA', () => {
    const r = go(`
      ldr x1, =0x10000008
      at s1e1r, x1
      isb
      mrs x2, par_el1
    `, { setup: s2setup(undefined, true) });
    expectEnded(r);
    expect(r.x(2) & 1n).toBe(0n);
    expect(r.x(2) & 0x0000_ffff_ffff_f000n).toBe(0x1000_0000n);
  });
  it('the VMID tags stage 2 TLB entries (changing VTTBR_EL2 VMID without TLBI)', () => {
    let second = 0;
    const r = go(`
      ldr x1, =0x10000000
      ldr x2, [x1]
      hvc #1
      ldr x3, [x1]
    `, {
      setup: (m) => {
        s2setup()(m);
        const t2 = new Tables(m, 1);
        t2.block(0x4000_0000n, 0x4000_0000n, 1, S2_RW);
        t2.page(0x1000_0000n, PA_C, S2_RW);
        second = t2.root;
      },
      onEl2: (m, e) => {
        if (e.ec !== 0x16) return false;
        m.core.setSysregSlot(0, L.SLOT_VTTBR_EL2, BigInt(second) | (4n << 48n));
        m.core.eret(0);
        return true;
      },
    });
    expectEnded(r);
    expect([r.x(2), r.x(3)]).toEqual([VAL_A, VAL_C]);
    expect(CODE_BASE).toBe(0x4008_0000n);
  });
});

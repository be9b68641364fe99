// Loads and stores: addressing modes, sizes, sign extension, writeback,
// pairs (incl. LDPSW and SIMD pairs), literals, alignment (Normal vs Device),
// LD1/ST1 multiple structures, SIMD moves.
import { describe, expect, it } from 'vitest';
import { run, END, DATA, CODE_BASE, poke64, pokeBytes, stage1, u, s, leBytes, VEC, type RunResult, type RunOptions } from './testing.js';
import type { Machine } from '../machine.js';
import * as L from './layout.js';

function exec(src: string, regs: Record<number, bigint> = {}, setup?: RunOptions['setup']): RunResult {
  const r = run(`${src}\n${END}`, { regs, setup });
  expect(r.ended, `snippet did not reach END (stop ${JSON.stringify(r.stop)}, vector ${r.vector})`).toBe(true);
  return r;
}

const PATTERN = Array.from({ length: 1024 }, (_, i) => (i * 0x47 + 0x81) & 0xff);
const fill = (m: Machine) => pokeBytes(m, DATA, PATTERN);
const le = (off: number, n: number) => {
  let v = 0n;
  for (let i = 0; i < n; i++) v |= BigInt(PATTERN[off + i]!) << BigInt(8 * i);
  return v;
};

describe('single-register loads: sizes and sign extension', () => {
  for (const off of [0, 8, 0x10, 0x18]) {
    it(`ldr/ldrb/ldrh/ldrsb/ldrsh/ldrsw at +${off}`, () => {
      const r = exec(`
        ldr x1, [x0, #${off}]
        ldr w2, [x0, #${off}]
        ldrh w3, [x0, #${off}]
        ldrb w4, [x0, #${off}]
        ldrsb x5, [x0, #${off}]
        ldrsb w6, [x0, #${off}]
        ldrsh x7, [x0, #${off}]
        ldrsh w8, [x0, #${off}]
        ldrsw x9, [x0, #${off}]
      `, { 0: DATA, 2: -1n, 3: -1n, 4: -1n, 6: -1n, 8: -1n }, fill);
      expect(r.x(1)).toBe(le(off, 8));
      expect(r.x(2)).toBe(le(off, 4));
      expect(r.x(3)).toBe(le(off, 2));
      expect(r.x(4)).toBe(le(off, 1));
      expect(r.x(5)).toBe(u(s(le(off, 1), 8)));
      expect(r.x(6)).toBe(u(s(le(off, 1), 8), 32));
      expect(r.x(7)).toBe(u(s(le(off, 2), 16)));
      expect(r.x(8)).toBe(u(s(le(off, 2), 16), 32));
      expect(r.x(9)).toBe(u(s(le(off, 4), 32)));
    });
  }
  it('stores of each size write exactly their bytes', () => {
    const v = 0x1122_3344_5566_7788n;
    const r = exec(`
      str x1, [x0]
      str w1, [x0, #16]
      strh w1, [x0, #32]
      strb w1, [x0, #48]
      stur x1, [x0, #65]
    `, { 0: DATA, 1: v }, (m) => {
      pokeBytes(m, DATA, new Array(96).fill(0xee));
      stage1(m); // Normal memory: the unaligned stur is allowed
    });
    expect([...r.mem(DATA, 9)]).toEqual([...leBytes(v, 8), 0xee]);
    expect([...r.mem(DATA + 16n, 5)]).toEqual([...leBytes(v, 4), 0xee]);
    expect([...r.mem(DATA + 32n, 3)]).toEqual([...leBytes(v, 2), 0xee]);
    expect([...r.mem(DATA + 48n, 2)]).toEqual([0x88, 0xee]);
    expect([...r.mem(DATA + 64n, 10)]).toEqual([0xee, ...leBytes(v, 8), 0xee]);
  });
});

describe('addressing modes', () => {
  it('unsigned offset scaling and maximum offsets', () => {
    const r = exec(`
      ldr x1, [x0, #32760]    // max scaled imm12 for X
      ldr w2, [x0, #16380]    // max for W
      ldrb w3, [x0, #4095]    // max for B
    `, { 0: DATA }, (m) => {
      pokeBytes(m, DATA + 0x7ff8n, leBytes(0xa1a2_a3a4_a5a6_a7a8n, 8));
      pokeBytes(m, DATA + 0x3ffcn, leBytes(0xb1b2_b3b4n, 4));
      pokeBytes(m, DATA + 4095n, [0xc5]);
    });
    expect(r.x(1)).toBe(0xa1a2_a3a4_a5a6_a7a8n);
    expect(r.x(2)).toBe(0xb1b2_b3b4n);
    expect(r.x(3)).toBe(0xc5n);
  });
  it('unscaled (ldur/stur) negative and odd offsets', () => {
    const r = exec(`
      ldur x1, [x0, #-256]
      ldur w2, [x0, #255]
      ldursh x3, [x0, #-3]
      sturh w4, [x0, #-1]
      ldurb w5, [x0, #-1]
    `, { 0: DATA + 0x100n, 4: 0xabcdn }, (m) => {
      fill(m);
      stage1(m);
    });
    expect(r.x(1)).toBe(le(0, 8));
    expect(r.x(2)).toBe(le(0x1ff, 4) & 0xffff_ffffn);
    expect(r.x(3)).toBe(u(s(le(0xfd, 2), 16)));
    expect(r.x(5)).toBe(0xcdn);
  });
  it('pre-index and post-index writeback (incl. SP base)', () => {
    const r = exec(`
      ldr x1, [x0, #8]!
      mov x10, x0
      ldr x2, [x0], #-8
      mov x11, x0
      ldrb w3, [x0, #-1]!
      mov x12, x0
      str x4, [x5], #16
      str x4, [x5, #8]!
      mov x9, sp
      mov sp, x6
      str x4, [sp, #-16]!
      mov x13, sp
      ldr x7, [sp], #16
      mov x14, sp
      mov sp, x9
    `, { 0: DATA + 0x10n, 4: 0x5555_6666_7777_8888n, 5: DATA + 0x80n, 6: DATA + 0xc0n }, fill);
    expect(r.x(1)).toBe(le(0x18, 8));
    expect(r.x(10)).toBe(DATA + 0x18n);
    expect(r.x(2)).toBe(le(0x18, 8));
    expect(r.x(11)).toBe(DATA + 0x10n);
    expect(r.x(3)).toBe(BigInt(PATTERN[0xf]!));
    expect(r.x(12)).toBe(DATA + 0xfn);
    expect(r.u64(DATA + 0x80n)).toBe(0x5555_6666_7777_8888n);
    expect(r.u64(DATA + 0x98n)).toBe(0x5555_6666_7777_8888n);
    expect(r.x(5)).toBe(DATA + 0x98n);
    expect(r.x(13)).toBe(DATA + 0xb0n);
    expect(r.x(7)).toBe(0x5555_6666_7777_8888n);
    expect(r.x(14)).toBe(DATA + 0xc0n);
  });
  it('register offset: lsl, uxtw, sxtw, sxtx with and without scaling', () => {
    const r = exec(`
      ldr x1, [x0, x2, lsl #3]
      ldr x3, [x0, x2]
      ldr w4, [x0, w5, sxtw #2]
      ldrh w6, [x0, w7, uxtw #1]
      ldrb w8, [x0, x9, sxtx]
      ldrsw x10, [x0, w11, uxtw]
      str x12, [x0, x13, lsl #3]
    `, { 0: DATA + 0x80n, 2: 3n, 5: 0xffff_fffen, 7: 0x8000_0001n - 0x8000_0000n, 9: u(-5n), 11: 0x10n, 12: 0x1234n, 13: u(-16n) }, (m) => {
      fill(m);
      stage1(m);
    });
    expect(r.x(1)).toBe(le(0x80 + 24, 8));
    expect(r.x(3)).toBe(le(0x83, 8));
    expect(r.x(4)).toBe(le(0x80 - 8, 4));
    expect(r.x(6)).toBe(le(0x82, 2));
    expect(r.x(8)).toBe(le(0x7b, 1));
    expect(r.x(10)).toBe(u(s(le(0x90, 4), 32)));
    expect(r.u64(DATA)).toBe(0x1234n);
  });
  it('uxtw register offset ignores the upper word of Wm', () => {
    const r = exec('ldr x1, [x0, w2, uxtw #3]', { 0: DATA, 2: 0xffff_ffff_0000_0002n }, fill);
    expect(r.x(1)).toBe(le(16, 8));
  });
  it('unprivileged ldtr/sttr at EL1 with the MMU off behave like ldr/str', () => {
    const r = exec(`
      ldtr x1, [x0, #8]
      sttrb w2, [x0, #1]
      ldtrsh x3, [x0]
    `, { 0: DATA, 2: 0x99n }, fill);
    expect(r.x(1)).toBe(le(8, 8));
    expect(r.mem(DATA + 1n, 1)[0]).toBe(0x99);
    expect(r.x(3)).toBe(u(s(BigInt(PATTERN[0]!) | (0x99n << 8n), 16)));
  });
});

describe('pairs', () => {
  it('ldp/stp x and w: offset, pre, post', () => {
    const r = exec(`
      ldp x1, x2, [x0, #16]
      ldp w3, w4, [x0, #-8]
      ldp x5, x6, [x0, #16]!
      mov x20, x0
      ldp w7, w8, [x0], #-16
      mov x21, x0
      stp x1, x2, [x10]
      stp w3, w4, [x10, #16]!
      stp x5, x6, [x10], #32
      mov x22, x10
    `, { 0: DATA + 0x40n, 10: DATA + 0x100n }, fill);
    expect([r.x(1), r.x(2)]).toEqual([le(0x50, 8), le(0x58, 8)]);
    expect([r.x(3), r.x(4)]).toEqual([le(0x38, 4), le(0x3c, 4)]);
    expect([r.x(5), r.x(6)]).toEqual([le(0x50, 8), le(0x58, 8)]);
    expect(r.x(20)).toBe(DATA + 0x50n);
    expect([r.x(7), r.x(8)]).toEqual([le(0x50, 4), le(0x54, 4)]);
    expect(r.x(21)).toBe(DATA + 0x40n);
    expect(r.u64(DATA + 0x100n)).toBe(le(0x50, 8));
    expect(r.u64(DATA + 0x108n)).toBe(le(0x58, 8));
    expect(r.u64(DATA + 0x110n)).toBe(le(0x50, 8)); // the post-indexed stp overwrote the w pair
    expect(r.u64(DATA + 0x118n)).toBe(le(0x58, 8));
    expect(r.x(22)).toBe(DATA + 0x130n);
  });
  it('ldpsw sign-extends both words (offset, pre, post)', () => {
    const r = exec(`
      ldpsw x1, x2, [x0]
      ldpsw x3, x4, [x0, #8]!
      ldpsw x5, x6, [x0], #-8
    `, { 0: DATA }, (m) => poke64(m, DATA, 0x8000_0000_7fff_ffffn, 0x0000_0001_ffff_fffen));
    expect([r.x(1), r.x(2)]).toEqual([0x7fff_ffffn, 0xffff_ffff_8000_0000n]);
    expect([r.x(3), r.x(4)]).toEqual([0xffff_ffff_ffff_fffen, 1n]);
    expect([r.x(5), r.x(6)]).toEqual([0xffff_ffff_ffff_fffen, 1n]);
    expect(r.x(0)).toBe(DATA);
  });
  it('SIMD pairs: q, d, s with writeback', () => {
    const r = exec(`
      ldp q0, q1, [x0]
      ldp d2, d3, [x0, #32]!
      ldp s4, s5, [x0], #8
      stp q1, q0, [x1, #-32]!
      stp d3, d2, [x1, #32]
      stp s5, s4, [x1, #48]
    `, { 0: DATA, 1: DATA + 0x120n }, fill);
    expect(r.q(0)).toBe(le(0, 8) | (le(8, 8) << 64n));
    expect(r.q(1)).toBe(le(16, 8) | (le(24, 8) << 64n));
    expect(r.v(2)).toEqual([le(32, 8), 0n]);
    expect(r.v(3)).toEqual([le(40, 8), 0n]);
    expect(r.v(4)).toEqual([le(32, 4), 0n]);
    expect(r.v(5)).toEqual([le(36, 4), 0n]);
    expect(r.x(0)).toBe(DATA + 40n);
    expect(r.x(1)).toBe(DATA + 0x100n);
    expect([...r.mem(DATA + 0x100n, 32)]).toEqual([...PATTERN.slice(16, 32), ...PATTERN.slice(0, 16)]);
    expect([...r.mem(DATA + 0x120n, 16)]).toEqual([...PATTERN.slice(40, 48), ...PATTERN.slice(32, 40)]);
    expect([...r.mem(DATA + 0x130n, 8)]).toEqual([...PATTERN.slice(36, 40), ...PATTERN.slice(32, 36)]);
  });
  it('a faulting second access of ldp leaves both registers unchanged', () => {
    // MMU off: the pair straddles the end of RAM (0x40000000 + 64 MB).
    const end = 0x4000_0000n + (64n << 20n);
    const r = run(`ldp x1, x2, [x0]\n${END}`, { regs: { 0: end - 8n, 1: 0x11n, 2: 0x22n } });
    expect(r.vector).toBe(VEC.curSpxSync);
    expect(Number(r.sysreg(L.SLOT_ESR_EL1) >> 26n)).toBe(0x25);
    expect(r.sysreg(L.SLOT_FAR_EL1)).toBe(end);
    expect([r.x(1), r.x(2)]).toEqual([0x11n, 0x22n]);
  });
});

describe('literal loads', () => {
  it('ldr x/w/ldrsw/q/d/s (literal)', () => {
    const r = exec(`
      ldr x1, lit64
      ldr w2, lit32
      ldrsw x3, lit32
      ldr q4, lit128
      ldr d5, lit64
      ldr s6, lit32
      ldr x7, =0x123456789abcdef0
      b 1f
      .balign 16
    lit128: .quad 0x0f0e0d0c0b0a0908, 0x1f1e1d1c1b1a1918
    lit64: .quad 0x8877665544332211
    lit32: .word 0x80000001
    1:
    `);
    expect(r.x(1)).toBe(0x8877_6655_4433_2211n);
    expect(r.x(2)).toBe(0x8000_0001n);
    expect(r.x(3)).toBe(0xffff_ffff_8000_0001n);
    expect(r.v(4)).toEqual([0x0f0e_0d0c_0b0a_0908n, 0x1f1e_1d1c_1b1a_1918n]);
    expect(r.v(5)).toEqual([0x8877_6655_4433_2211n, 0n]);
    expect(r.v(6)).toEqual([0x8000_0001n, 0n]);
    expect(r.x(7)).toBe(0x1234_5678_9abc_def0n);
  });
});

describe('alignment', () => {
  it('unaligned accesses to Normal memory (MMU on) succeed, including across a page', () => {
    const r = exec(`
      ldr x1, [x0, #1]
      ldr w2, [x0, #3]
      ldrh w3, [x0, #7]
      add x4, x0, #0xffd
      ldr x5, [x4]         // crosses into the next page
      add x10, x0, #0x7fe
      str x6, [x10]
      add x11, x0, #4
      ldp x7, x8, [x11]
    `, { 0: DATA, 6: 0x0102_0304_0506_0708n }, (m) => {
      pokeBytes(m, DATA, PATTERN);
      pokeBytes(m, DATA + 0xffdn, [1, 2, 3, 4, 5, 6, 7, 8]);
      stage1(m);
    });
    expect(r.x(1)).toBe(le(1, 8));
    expect(r.x(2)).toBe(le(3, 4));
    expect(r.x(3)).toBe(le(7, 2));
    expect(r.x(5)).toBe(0x0807_0605_0403_0201n);
    expect([...r.mem(DATA + 0x7fen, 8)]).toEqual(leBytes(0x0102_0304_0506_0708n, 8));
    expect([r.x(7), r.x(8)]).toEqual([le(4, 8), le(12, 8)]);
  });
  for (const [insn, wnr, sas] of [['ldr x1, [x0, #1]', 0, 3], ['ldur w1, [x0, #2]', 0, 2], ['strh w1, [x0, #1]', 1, 1], ['str x1, [x0, #4]', 1, 3]] as const) {
    it(`MMU off (Device memory): '${insn}' raises an alignment fault with ESR/FAR`, () => {
      const r = run(`${insn}\n${END}`, { regs: { 0: DATA } });
      expect(r.vector).toBe(VEC.curSpxSync);
      const esr = r.sysreg(L.SLOT_ESR_EL1);
      expect(Number(esr >> 26n)).toBe(0x25);
      expect(Number(esr & 0x3fn)).toBe(0x21);
      expect(Number((esr >> 6n) & 1n)).toBe(wnr);
      expect(Number((esr >> 25n) & 1n)).toBe(1); // IL
      expect(r.sysreg(L.SLOT_FAR_EL1)).toBe(DATA + (insn.includes('#1') ? 1n : insn.includes('#2') ? 2n : 4n));
      expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(CODE_BASE);
      expect(sas).toBeGreaterThanOrEqual(0);
    });
  }
  it('MMU off: an unaligned access after an aligned one to the same page still faults', () => {
    const r = run(`
      ldr x1, [x0]
      ldr x2, [x0, #8]
      ldr x3, [x0, #1]
      ${END}`, { regs: { 0: DATA } });
    expect(r.vector).toBe(VEC.curSpxSync);
    const esr = r.sysreg(L.SLOT_ESR_EL1);
    expect(Number(esr >> 26n)).toBe(0x25);
    expect(Number(esr & 0x3fn)).toBe(0x21);
    expect(r.sysreg(L.SLOT_FAR_EL1)).toBe(DATA + 1n);
    expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(CODE_BASE + 8n);
  });
  it('MMU off: an unaligned store after an aligned store to the same page still faults', () => {
    const r = run(`
      str x1, [x0]
      str w1, [x0, #2]
      ${END}`, { regs: { 0: DATA } });
    expect(r.vector).toBe(VEC.curSpxSync);
    expect(Number(r.sysreg(L.SLOT_ESR_EL1) & 0x7fn)).toBe(0x61); // WnR | alignment
  });
  it('SCTLR_EL1.A makes unaligned Normal accesses fault', () => {
    const r = run(`ldr w1, [x0, #2]\n${END}`, { regs: { 0: DATA }, setup: (m) => stage1(m, { sctlrExtra: 2n }) });
    expect(r.vector).toBe(VEC.curSpxSync);
    expect(Number(r.sysreg(L.SLOT_ESR_EL1) & 0x3fn)).toBe(0x21);
  });
});

describe('LD1/ST1 (multiple structures)', () => {
  for (const n of [1, 2, 3, 4]) {
    const regs = Array.from({ length: n }, (_, i) => `v${i + 4}.16b`).join(', ');
    it(`ld1/st1 {${n} x 16b} with immediate post-index`, () => {
      const r = exec(`
        ld1 {${regs}}, [x0], #${16 * n}
        st1 {${regs}}, [x1], #${16 * n}
      `, { 0: DATA, 1: DATA + 0x100n }, fill);
      for (let i = 0; i < n; i++) expect(r.q(4 + i)).toBe(le(16 * i, 8) | (le(16 * i + 8, 8) << 64n));
      expect(r.x(0)).toBe(DATA + BigInt(16 * n));
      expect(r.x(1)).toBe(DATA + 0x100n + BigInt(16 * n));
      expect([...r.mem(DATA + 0x100n, 16 * n)]).toEqual(PATTERN.slice(0, 16 * n));
    });
  }
  it('ld1 64-bit arrangements zero the upper halves; register post-index', () => {
    const r = exec(`
      movi v0.2d, #0xffffffffffffffff
      movi v1.2d, #0xffffffffffffffff
      ld1 {v0.4h, v1.4h}, [x0], x2
      ld1 {v2.2d}, [x0]
    `, { 0: DATA, 2: 0x30n }, fill);
    expect(r.v(0)).toEqual([le(0, 8), 0n]);
    expect(r.v(1)).toEqual([le(8, 8), 0n]);
    expect(r.x(0)).toBe(DATA + 0x30n);
    expect(r.v(2)).toEqual([le(0x30, 8), le(0x38, 8)]);
  });
  it('ld2/st2 de-interleave and re-interleave', () => {
    const r = exec(`
      ld2 {v0.8h, v1.8h}, [x0]
      st1 {v0.8h}, [x1]
      st2 {v0.8h, v1.8h}, [x2]
    `, { 0: DATA, 1: DATA + 0x100n, 2: DATA + 0x200n }, fill);
    // v0 holds the even halfwords.
    const even: number[] = [];
    for (let i = 0; i < 8; i++) even.push(PATTERN[4 * i]!, PATTERN[4 * i + 1]!);
    expect([...r.mem(DATA + 0x100n, 16)]).toEqual(even);
    expect([...r.mem(DATA + 0x200n, 32)]).toEqual(PATTERN.slice(0, 32));
  });
});

describe('SIMD register moves', () => {
  it('fmov between general and SIMD registers', () => {
    const r = exec(`
      fmov d0, x1
      fmov s1, w1
      fmov v0.d[1], x2
      fmov x3, d0
      fmov x4, v0.d[1]
      fmov w5, s1
      fmov d2, #1.5
      fmov s3, #-2.0
      fmov d4, d0
    `, { 1: 0x1122_3344_5566_7788n, 2: 0x99aa_bbcc_ddee_ff00n });
    expect(r.v(0)).toEqual([0x1122_3344_5566_7788n, 0x99aa_bbcc_ddee_ff00n]);
    expect(r.v(1)).toEqual([0x5566_7788n, 0n]);
    expect(r.x(3)).toBe(0x1122_3344_5566_7788n);
    expect(r.x(4)).toBe(0x99aa_bbcc_ddee_ff00n);
    expect(r.x(5)).toBe(0x5566_7788n);
    expect(r.v(2)).toEqual([0x3ff8_0000_0000_0000n, 0n]);
    expect(r.v(3)).toEqual([0xc000_0000n, 0n]);
    expect(r.v(4)).toEqual([0x1122_3344_5566_7788n, 0n]);
  });
  it('dup/ins/umov/smov/mov element', () => {
    const r = exec(`
      fmov d0, x1
      fmov v0.d[1], x2
      dup v1.4s, w3
      dup v2.8h, v0.h[5]
      dup v3.8b, w3
      ins v1.s[2], w4
      mov v1.b[15], v0.b[0]
      umov w5, v0.h[3]
      mov x6, v0.d[1]
      smov x7, v0.b[7]
      smov w8, v0.h[7]
      umov w9, v0.b[15]
    `, { 1: 0x8877_6655_4433_2211n, 2: 0xffee_ddcc_bbaa_0099n, 3: 0x1234_5678_9abc_def0n, 4: 0xcafe_f00dn });
    expect(r.q(1)).toBe((0x11bc_def0n << 96n) | (0xcafe_f00dn << 64n) | 0x9abc_def0_9abc_def0n);
    expect(r.v(2)).toEqual([0xbbaa_bbaa_bbaa_bbaan, 0xbbaa_bbaa_bbaa_bbaan]);
    expect(r.v(3)).toEqual([0xf0f0_f0f0_f0f0_f0f0n, 0n]);
    expect(r.x(5)).toBe(0x8877n);
    expect(r.x(6)).toBe(0xffee_ddcc_bbaa_0099n);
    expect(r.x(7)).toBe(u(s(0x88n, 8)));
    expect(r.x(8)).toBe(0xffff_ffeen);
    expect(r.x(9)).toBe(0xffn);
  });
  it('movi/mvni/orr/bic (vector immediate)', () => {
    const r = exec(`
      movi v0.2d, #0xff00ff0000ff00ff
      movi v1.4s, #0x12, lsl #8
      mvni v2.8h, #0x34
      movi v3.16b, #0xa5
      movi d4, #0xffff0000ffff0000
      movi v5.4s, #0x56, msl #16
      movi v6.4s, #0x1
      orr v6.4s, #0x80, lsl #24
      mvni v7.4s, #0
      bic v7.8h, #0xff
      movi v8.2s, #0x7
    `);
    expect(r.v(0)).toEqual([0xff00_ff00_00ff_00ffn, 0xff00_ff00_00ff_00ffn]);
    expect(r.v(1)).toEqual([0x0000_1200_0000_1200n, 0x0000_1200_0000_1200n]);
    expect(r.v(2)).toEqual([0xffcb_ffcb_ffcb_ffcbn, 0xffcb_ffcb_ffcb_ffcbn]);
    expect(r.v(3)).toEqual([0xa5a5_a5a5_a5a5_a5a5n, 0xa5a5_a5a5_a5a5_a5a5n]);
    expect(r.v(4)).toEqual([0xffff_0000_ffff_0000n, 0n]);
    expect(r.v(5)).toEqual([0x0056_ffff_0056_ffffn, 0x0056_ffff_0056_ffffn]);
    expect(r.v(6)).toEqual([0x8000_0001_8000_0001n, 0x8000_0001_8000_0001n]);
    expect(r.v(7)).toEqual([0xff00_ff00_ff00_ff00n, 0xff00_ff00_ff00_ff00n]);
    expect(r.v(8)).toEqual([0x0000_0007_0000_0007n, 0n]);
  });
  it('SIMD&FP loads/stores of b/h/s/d/q single registers', () => {
    const r = exec(`
      movi v0.2d, #0xffffffffffffffff
      ldr b0, [x0, #3]
      ldr h1, [x0, #2]
      ldr s2, [x0, #4]
      ldr d3, [x0, #8]
      ldr q4, [x0, #16]
      str q4, [x1]
      str d3, [x1, #16]
      str s2, [x1, #24]
      str h1, [x1, #28]
      str b0, [x1, #30]
      ldr q5, [x0, x2, lsl #4]
      ldur q6, [x0, #1]
    `, { 0: DATA, 1: DATA + 0x100n, 2: 2n }, (m) => {
      pokeBytes(m, DATA, PATTERN);
      stage1(m);
    });
    expect(r.v(0)).toEqual([le(3, 1), 0n]);
    expect(r.v(1)).toEqual([le(2, 2), 0n]);
    expect(r.v(2)).toEqual([le(4, 4), 0n]);
    expect(r.v(3)).toEqual([le(8, 8), 0n]);
    expect(r.v(4)).toEqual([le(16, 8), le(24, 8)]);
    expect([...r.mem(DATA + 0x100n, 31)]).toEqual([...PATTERN.slice(16, 32), ...PATTERN.slice(8, 16), ...PATTERN.slice(4, 8), PATTERN[2], PATTERN[3], PATTERN[3]]);
    expect(r.v(5)).toEqual([le(32, 8), le(40, 8)]);
    expect(r.v(6)).toEqual([le(1, 8), le(9, 8)]);
  });
});

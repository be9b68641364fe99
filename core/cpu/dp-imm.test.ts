// Data processing (immediate): add/sub, logical, move wide, bitfield, extract,
// PC-relative addressing. Expected values come from hand calculation or the
// BigInt reference helpers in testing.ts.
import { describe, expect, it } from 'vitest';
import { run, END, CODE_BASE, addWithCarry, u, s, mask, VEC } from './testing.js';
import * as L from './layout.js';

function exec(src: string, regs: Record<number, bigint> = {}) {
  const r = run(`${src}\n${END}`, { regs });
  expect(r.ended, `snippet did not reach END (stop ${JSON.stringify(r.stop)}, vector ${r.vector})`).toBe(true);
  return r;
}

describe('add/sub (immediate)', () => {
  const cases: Array<[string, bigint, bigint, boolean, 32 | 64]> = [
    // op, a, imm, isSub, bits
    ['adds', 0x7fff_ffff_ffff_ffffn, 1n, false, 64],
    ['adds', 0xffff_ffff_ffff_ffffn, 1n, false, 64],
    ['adds', 0n, 0n, false, 64],
    ['subs', 0n, 1n, true, 64],
    ['subs', 5n, 5n, true, 64],
    ['subs', 0x8000_0000_0000_0000n, 1n, true, 64],
    ['adds', 0x7fff_ffffn, 1n, false, 32],
    ['adds', 0xffff_ffffn, 0xfffn, false, 32],
    ['subs', 0n, 0xfffn, true, 32],
    ['subs', 0x8000_0000n, 1n, true, 32],
    ['subs', 0x1_0000_0005n, 5n, true, 32],
  ];
  for (const [op, a, imm, isSub, bits] of cases) {
    it(`${op} ${bits}-bit 0x${a.toString(16)}, #0x${imm.toString(16)}`, () => {
      const reg = bits === 64 ? 'x' : 'w';
      const r = exec(`${op} ${reg}2, ${reg}1, #0x${imm.toString(16)}`, { 1: a, 2: 0xdead_beef_dead_beefn });
      const ref = isSub ? addWithCarry(a, ~imm, 1n, bits) : addWithCarry(a, imm, 0n, bits);
      expect(r.x(2)).toBe(ref.result);
      expect(r.nzcv()).toBe(ref.nzcv);
    });
  }

  it('add/sub with LSL #12 and 32-bit zero extension', () => {
    const r = exec(`
      add x2, x1, #0xabc, lsl #12
      sub w3, w1, #1, lsl #12
      add w4, w1, #0
    `, { 1: 0xffff_ffff_0000_0800n });
    expect(r.x(2)).toBe(u(0xffff_ffff_0000_0800n + 0xabc000n));
    expect(r.x(3)).toBe(u(0x0000_0800n - 0x1000n, 32));
    expect(r.x(4)).toBe(0x800n);
  });

  it('SP forms: add/sub use SP as base and destination; adds writes XZR (cmn)', () => {
    const r = exec(`
      mov x9, sp
      sub sp, sp, #0x40
      mov x10, sp
      add x11, sp, #8
      add sp, sp, #0x40
      mov x12, sp
      cmn x1, #1
      mov w13, wsp
    `, { 1: 0xffff_ffff_ffff_ffffn });
    const sp = r.x(9);
    expect(r.x(10)).toBe(sp - 0x40n);
    expect(r.x(11)).toBe(sp - 0x38n);
    expect(r.x(12)).toBe(sp);
    expect(r.nzcv()).toBe(0b0110); // Z and C
    expect(r.x(13)).toBe(sp & 0xffff_ffffn);
  });

  it('add w-form to WSP zero-extends into SP', () => {
    const r = exec(`
      mov x1, #0x40000000
      movk x1, #0x1234, lsl #48
      mov sp, x1
      add wsp, wsp, #0x10
      mov x2, sp
      mov x3, #0x40700000
      mov sp, x3
    `);
    expect(r.x(2)).toBe(0x4000_0010n);
  });
});

describe('logical (immediate)', () => {
  const imms64 = [
    0x5555_5555_5555_5555n, 0xaaaa_aaaa_aaaa_aaaan, 0x0000_ffff_0000_ffffn, 0xffff_ffff_ffff_fffen,
    0x8000_0000_0000_0000n, 0x7fff_ffff_ffff_ffffn, 0x00ff_00ff_00ff_00ffn, 1n, 0x0101_0101_0101_0101n,
    0xffff_ffff_0000_0000n, 0x3ffc_0000_0000_0000n, 0xe000_0000_0000_0003n, 0x0f0f_0f0f_0f0f_0f0fn,
  ];
  for (const imm of imms64) {
    it(`and/orr/eor/ands x with #0x${imm.toString(16)}`, () => {
      const a = 0x0123_4567_89ab_cdefn;
      const r = exec(`
        and x2, x1, #0x${imm.toString(16)}
        orr x3, x1, #0x${imm.toString(16)}
        eor x4, x1, #0x${imm.toString(16)}
        orr x5, xzr, #0x${imm.toString(16)}
        ands x6, x1, #0x${imm.toString(16)}
      `, { 1: a });
      expect(r.x(2)).toBe(a & imm);
      expect(r.x(3)).toBe(a | imm);
      expect(r.x(4)).toBe(a ^ imm);
      expect(r.x(5)).toBe(imm);
      expect(r.x(6)).toBe(a & imm);
      const res = a & imm;
      expect(r.nzcv()).toBe(((res >> 63n) === 1n ? 8 : 0) | (res === 0n ? 4 : 0));
    });
  }
  const imms32 = [0x5555_5555n, 0xffff_fffen, 0x8000_0000n, 0x0000_ffffn, 0xc000_0001n, 0x0003_fff0n];
  for (const imm of imms32) {
    it(`w-form logical with #0x${imm.toString(16)} zero-extends`, () => {
      const a = 0xffff_ffff_8765_4321n;
      const r = exec(`
        and w2, w1, #0x${imm.toString(16)}
        orr w3, w1, #0x${imm.toString(16)}
        eor w4, w1, #0x${imm.toString(16)}
        ands w5, w1, #0x${imm.toString(16)}
      `, { 1: a });
      const a32 = a & 0xffff_ffffn;
      expect(r.x(2)).toBe(a32 & imm);
      expect(r.x(3)).toBe(a32 | imm);
      expect(r.x(4)).toBe(a32 ^ imm);
      expect(r.x(5)).toBe(a32 & imm);
      const res = a32 & imm;
      expect(r.nzcv()).toBe(((res >> 31n) === 1n ? 8 : 0) | (res === 0n ? 4 : 0));
    });
  }

  it('ands clears C and V; tst sets Z', () => {
    const r = exec(`
      mov x1, #-1
      adds x1, x1, #1       // C=1, Z=1
      mov x2, #0xf0
      tst x2, #0xf
    `);
    expect(r.nzcv()).toBe(0b0100);
  });

  it('orr to SP (mov sp, #imm form)', () => {
    const r = exec(`
      mov x9, sp
      orr sp, xzr, #0x40000000
      mov x2, sp
      mov sp, x9
    `);
    expect(r.x(2)).toBe(0x4000_0000n);
  });

  it('reserved bitmask encodings (imms all ones for the element) are UNDEFINED', () => {
    // AND X0, X1, #<N=1, immr=0, imms=0b111111>
    const r = run(`.inst 0x9240fc20\n${END}`);
    expect(r.vector).toBe(VEC.curSpxSync);
    expect(Number(r.sysreg(L.SLOT_ESR_EL1) >> 26n)).toBe(0);
    expect(r.sysreg(L.SLOT_ELR_EL1)).toBe(CODE_BASE);
  });
});

describe('move wide', () => {
  it('movz/movn/movk 64 and 32', () => {
    const r = exec(`
      movz x1, #0x1234, lsl #48
      movn x2, #0x1234, lsl #16
      mov x3, #-1
      movk x3, #0xbeef, lsl #32
      movz w4, #0xabcd, lsl #16
      movn w5, #0
      mov x6, #-1
      movk w6, #0x5555
      movn w7, #0x1, lsl #16
    `);
    expect(r.x(1)).toBe(0x1234_0000_0000_0000n);
    expect(r.x(2)).toBe(u(~(0x1234n << 16n)));
    expect(r.x(3)).toBe(0xffff_beef_ffff_ffffn);
    expect(r.x(4)).toBe(0xabcd_0000n);
    expect(r.x(5)).toBe(0xffff_ffffn);
    expect(r.x(6)).toBe(0xffff_5555n);
    expect(r.x(7)).toBe(0xfffe_ffffn);
  });
});

// Reference bitfield operations (ARM ARM aliases).
const ubfx = (x: bigint, lsb: number, w: number, bits: number) => (u(x, bits) >> BigInt(lsb)) & mask(w);
const sbfx = (x: bigint, lsb: number, w: number, bits: number) => u(s(ubfx(x, lsb, w, bits), w), bits);
const bfi = (d: bigint, x: bigint, lsb: number, w: number, bits: number) =>
  u((u(d, bits) & ~(mask(w) << BigInt(lsb))) | ((x & mask(w)) << BigInt(lsb)), bits);
const bfxil = (d: bigint, x: bigint, lsb: number, w: number, bits: number) =>
  u((u(d, bits) & ~mask(w)) | ((u(x, bits) >> BigInt(lsb)) & mask(w)), bits);

describe('bitfield', () => {
  const A = 0xfedc_ba98_7654_3210n;
  const D = 0x0123_4567_89ab_cdefn;
  const fields: Array<[number, number]> = [[0, 1], [0, 8], [4, 8], [60, 4], [1, 63], [31, 2], [32, 32], [63, 1], [0, 64], [7, 13]];
  for (const [lsb, w] of fields) {
    it(`ubfx/sbfx/bfi/bfxil/ubfiz/sbfiz x lsb=${lsb} width=${w}`, () => {
      const r = exec(`
        ubfx x2, x1, #${lsb}, #${w}
        sbfx x3, x1, #${lsb}, #${w}
        mov x4, x0
        bfi x4, x1, #${lsb}, #${w}
        mov x5, x0
        bfxil x5, x1, #${lsb}, #${w}
        ${lsb > 0 ? `ubfiz x6, x1, #${lsb}, #${w}` : `ubfx x6, x1, #0, #${w}`}
        ${lsb > 0 ? `sbfiz x7, x1, #${lsb}, #${w}` : `sbfx x7, x1, #0, #${w}`}
      `, { 0: D, 1: A });
      expect(r.x(2)).toBe(ubfx(A, lsb, w, 64));
      expect(r.x(3)).toBe(sbfx(A, lsb, w, 64));
      expect(r.x(4)).toBe(bfi(D, A, lsb, w, 64));
      expect(r.x(5)).toBe(bfxil(D, A, lsb, w, 64));
      expect(r.x(6)).toBe(u((A & mask(w)) << BigInt(lsb)));
      expect(r.x(7)).toBe(u(s(A & mask(w), w) << BigInt(lsb)));
    });
  }
  const fields32: Array<[number, number]> = [[0, 1], [0, 16], [4, 8], [28, 4], [1, 31], [31, 1], [0, 32], [9, 11]];
  for (const [lsb, w] of fields32) {
    it(`w-form ubfx/sbfx/bfi/bfxil lsb=${lsb} width=${w}`, () => {
      const r = exec(`
        ubfx w2, w1, #${lsb}, #${w}
        sbfx w3, w1, #${lsb}, #${w}
        mov x4, x0
        bfi w4, w1, #${lsb}, #${w}
        mov x5, x0
        bfxil w5, w1, #${lsb}, #${w}
        ${lsb > 0 ? `sbfiz w7, w1, #${lsb}, #${w}` : `sbfx w7, w1, #0, #${w}`}
      `, { 0: D, 1: A });
      expect(r.x(2)).toBe(ubfx(A, lsb, w, 32));
      expect(r.x(3)).toBe(sbfx(A, lsb, w, 32));
      expect(r.x(4)).toBe(bfi(D, A, lsb, w, 32));
      expect(r.x(5)).toBe(bfxil(D, A, lsb, w, 32));
      expect(r.x(7)).toBe(u(s(A & mask(w), w) << BigInt(lsb), 32));
    });
  }

  it('shift and extend aliases', () => {
    const a = 0x8000_0000_8000_80f1n;
    const r = exec(`
      lsl x2, x1, #4
      lsr x3, x1, #63
      asr x4, x1, #60
      lsl w5, w1, #31
      lsr w6, w1, #4
      asr w7, w1, #31
      sxtb x8, w1
      sxth x9, w1
      sxtw x10, w1
      uxtb w11, w1
      uxth w12, w1
      sxtb w13, w1
      lsl x14, x1, #0
      asr w15, w1, #0
    `, { 1: a });
    expect(r.x(2)).toBe(u(a << 4n));
    expect(r.x(3)).toBe(1n);
    expect(r.x(4)).toBe(u(s(a) >> 60n));
    expect(r.x(5)).toBe(0x8000_0000n);
    expect(r.x(6)).toBe(0x0800_080fn);
    expect(r.x(7)).toBe(0xffff_ffffn);
    expect(r.x(8)).toBe(u(s(0xf1n, 8)));
    expect(r.x(9)).toBe(u(s(0x80f1n, 16)));
    expect(r.x(10)).toBe(u(s(0x8000_80f1n, 32)));
    expect(r.x(11)).toBe(0xf1n);
    expect(r.x(12)).toBe(0x80f1n);
    expect(r.x(13)).toBe(0xffff_fff1n);
    expect(r.x(14)).toBe(a);
    expect(r.x(15)).toBe(0x8000_80f1n);
  });
});

describe('extract and rotate', () => {
  it('extr/ror 64 and 32', () => {
    const a = 0x0123_4567_89ab_cdefn;
    const b = 0xfedc_ba98_7654_3210n;
    const r = exec(`
      extr x2, x1, x0, #12
      ror x3, x1, #1
      ror x4, x1, #63
      extr w5, w1, w0, #12
      ror w6, w1, #8
      extr x7, x1, x0, #0
      extr w8, w1, w0, #31
    `, { 0: b, 1: a });
    const rot = (v: bigint, n: bigint, bits: bigint) => u((v >> n) | (v << (bits - n)), Number(bits));
    expect(r.x(2)).toBe(u((b >> 12n) | (a << 52n)));
    expect(r.x(3)).toBe(rot(a, 1n, 64n));
    expect(r.x(4)).toBe(rot(a, 63n, 64n));
    expect(r.x(5)).toBe(u(((b & 0xffff_ffffn) >> 12n) | ((a & 0xffff_ffffn) << 20n), 32));
    expect(r.x(6)).toBe(rot(a & 0xffff_ffffn, 8n, 32n));
    expect(r.x(7)).toBe(b);
    expect(r.x(8)).toBe(u(((b & 0xffff_ffffn) >> 31n) | ((a & 0xffff_ffffn) << 1n), 32));
  });
});

describe('PC-relative addressing', () => {
  it('adr forward/backward and adrp page arithmetic', () => {
    const r = exec(`
      .equ far_page, 0x40080000 + 0x123456
    back:
      nop
    here:
      adr x1, back
      adr x2, fwd
      adrp x3, here
      adrp x4, far_page
      adr x5, .
    fwd:
      nop
    `);
    const here = CODE_BASE + 4n;
    expect(r.x(1)).toBe(CODE_BASE);
    expect(r.x(2)).toBe(here + 20n);
    expect(r.x(3)).toBe(here & ~0xfffn);
    expect(r.x(4)).toBe((CODE_BASE + 0x123456n) & ~0xfffn);
    expect(r.x(5)).toBe(here + 16n);
  });

  it('adrp with a negative page offset', () => {
    const r = exec(`
      adrp x1, 0x40000000
      adr x2, -0x80000 + 0x40080000 + 4
    `);
    expect(r.x(1)).toBe(0x4000_0000n);
    expect(r.x(2)).toBe(0x4000_0004n);
  });
});

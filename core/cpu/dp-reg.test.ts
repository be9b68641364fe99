// Data processing (register): shifted/extended operands, carry arithmetic,
// conditional compare/select, multiply/divide, bit manipulation, variable
// shifts and CRC32. Expected values from BigInt references or known vectors.
import { describe, expect, it } from 'vitest';
import { run, END, addWithCarry, conditionHolds, COND_NAMES, u, s, mask, VEC } from './testing.js';
import * as L from './layout.js';

function exec(src: string, regs: Record<number, bigint> = {}, opts: { lse?: boolean } = {}) {
  const r = run(`${src}\n${END}`, { regs, ...opts });
  expect(r.ended, `snippet did not reach END (stop ${JSON.stringify(r.stop)}, vector ${r.vector})`).toBe(true);
  return r;
}

const A = 0xfedc_ba98_7654_3210n;
const B = 0x8000_0000_0000_0001n;

const shiftRef = (v: bigint, type: string, amt: number, bits: number): bigint => {
  const x = u(v, bits);
  const n = BigInt(amt);
  switch (type) {
    case 'lsl': return u(x << n, bits);
    case 'lsr': return x >> n;
    case 'asr': return u(s(x, bits) >> n, bits);
    default: return amt === 0 ? x : u((x >> n) | (x << (BigInt(bits) - n)), bits);
  }
};

describe('shifted register operands', () => {
  for (const type of ['lsl', 'lsr', 'asr', 'ror']) {
    for (const amt of [0, 1, 31, 63]) {
      it(`logical/arith with ${type} #${amt}`, () => {
        const arith = type !== 'ror';
        const r = exec(`
          and x3, x1, x2, ${type} #${amt}
          orr x4, x1, x2, ${type} #${amt}
          eor x5, x1, x2, ${type} #${amt}
          bic x6, x1, x2, ${type} #${amt}
          orn x7, x1, x2, ${type} #${amt}
          eon x8, x1, x2, ${type} #${amt}
          ${arith ? `add x9, x1, x2, ${type} #${amt}` : 'nop'}
          ${arith ? `sub x10, x1, x2, ${type} #${amt}` : 'nop'}
          ${arith ? `subs x11, x1, x2, ${type} #${amt}` : 'nop'}
        `, { 1: A, 2: B });
        const m = shiftRef(B, type, amt, 64);
        expect(r.x(3)).toBe(A & m);
        expect(r.x(4)).toBe(A | m);
        expect(r.x(5)).toBe(A ^ m);
        expect(r.x(6)).toBe(A & u(~m));
        expect(r.x(7)).toBe(A | u(~m));
        expect(r.x(8)).toBe(u(A ^ ~m));
        if (arith) {
          expect(r.x(9)).toBe(u(A + m));
          expect(r.x(10)).toBe(u(A - m));
          const ref = addWithCarry(A, ~m, 1n, 64);
          expect(r.x(11)).toBe(ref.result);
          expect(r.nzcv()).toBe(ref.nzcv);
        }
      });
    }
  }
  it('32-bit shifted forms and ands/bics flags', () => {
    const r = exec(`
      add w3, w1, w2, lsl #31
      sub w4, w1, w2, asr #3
      orr w5, w1, w2, ror #8
      adds w6, w1, w2, lsr #1
      mov x9, x1
      bics w7, w1, w1
    `, { 1: 0xffff_ffff_8000_0001n, 2: 0x1234_5678_8765_4321n });
    const a = 0x8000_0001n, b = 0x8765_4321n;
    expect(r.x(3)).toBe(u(a + (b << 31n), 32));
    expect(r.x(4)).toBe(u(a - u(s(b, 32) >> 3n, 32), 32));
    expect(r.x(5)).toBe(a | shiftRef(b, 'ror', 8, 32));
    expect(r.x(6)).toBe(addWithCarry(a, b >> 1n, 0n, 32).result);
    expect(r.x(7)).toBe(0n);
    expect(r.nzcv()).toBe(0b0100);
  });
});

describe('extended register operands', () => {
  const ext: Array<[string, (v: bigint) => bigint]> = [
    ['uxtb', (v) => v & 0xffn], ['uxth', (v) => v & 0xffffn], ['uxtw', (v) => v & 0xffff_ffffn], ['uxtx', (v) => v],
    ['sxtb', (v) => u(s(v & 0xffn, 8))], ['sxth', (v) => u(s(v & 0xffffn, 16))], ['sxtw', (v) => u(s(v & 0xffff_ffffn, 32))], ['sxtx', (v) => v],
  ];
  for (const [name, f] of ext) {
    for (const sh of [0, 4]) {
      it(`add/sub/adds/cmp x, ${name} #${sh}`, () => {
        const m = 0x0000_0000_8000_8081n;
        const reg = name.endsWith('x') ? 'x2' : 'w2';
        const r = exec(`
          add x3, x1, ${reg}, ${name} #${sh}
          sub x4, x1, ${reg}, ${name} #${sh}
          adds x5, x1, ${reg}, ${name} #${sh}
        `, { 1: A, 2: m });
        const e = u(f(m) << BigInt(sh));
        expect(r.x(3)).toBe(u(A + e));
        expect(r.x(4)).toBe(u(A - e));
        const ref = addWithCarry(A, e, 0n, 64);
        expect(r.x(5)).toBe(ref.result);
        expect(r.nzcv()).toBe(ref.nzcv);
      });
    }
  }
  it('extended forms with SP base/destination and the 32-bit form', () => {
    const r = exec(`
      mov x9, sp
      add x3, sp, w1, uxtw #2
      sub sp, sp, x2, lsl #3
      mov x4, sp
      mov sp, x9
      add w5, w6, w1, sxtb #1
      cmp x1, w1, uxtw
    `, { 1: 0xffff_ffff_0000_0010n, 2: 2n, 6: 0x1_0000_0001n });
    const sp = r.x(9);
    expect(r.x(3)).toBe(sp + 0x40n);
    expect(r.x(4)).toBe(sp - 16n);
    expect(r.x(5)).toBe(u(1n + 0x20n, 32));
    const ref = addWithCarry(0xffff_ffff_0000_0010n, ~0x10n, 1n, 64);
    expect(r.nzcv()).toBe(ref.nzcv);
  });
});

describe('add/subtract with carry', () => {
  const vals = [0n, 1n, 0x7fff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n, 0xffff_ffff_ffff_ffffn, 0x7fff_ffffn, 0xffff_ffffn];
  for (const carry of [0n, 1n]) {
    for (const a of vals) {
      for (const b of [0n, 1n, 0xffff_ffff_ffff_ffffn, 0x8000_0000n]) {
        it(`adcs/sbcs C=${carry} a=0x${a.toString(16)} b=0x${b.toString(16)}`, () => {
          // Set C first: cmp x9, x9 sets C=1 (x9 = 0); cmn with 0 clears it.
          const setC = carry ? 'cmp xzr, xzr' : 'cmn xzr, xzr';
          const r = exec(`
            ${setC}
            adc x3, x1, x2
            sbc x4, x1, x2
            adc w5, w1, w2
            ${setC}
            adcs x6, x1, x2
            mrs x10, nzcv
            ${setC}
            sbcs x7, x1, x2
            mrs x11, nzcv
            ${setC}
            adcs w8, w1, w2
            mrs x12, nzcv
            ${setC}
            sbcs w13, w1, w2
            mrs x14, nzcv
            ${setC}
            ngcs x15, x2
            mrs x16, nzcv
          `, { 1: a, 2: b });
          expect(r.x(3)).toBe(u(a + b + carry));
          expect(r.x(4)).toBe(u(a - b - 1n + carry));
          expect(r.x(5)).toBe(u(a + b + carry, 32));
          const adcs = addWithCarry(a, b, carry, 64);
          expect([r.x(6), Number(r.x(10) >> 28n)]).toEqual([adcs.result, adcs.nzcv]);
          const sbcs = addWithCarry(a, ~b, carry, 64);
          expect([r.x(7), Number(r.x(11) >> 28n)]).toEqual([sbcs.result, sbcs.nzcv]);
          const adcs32 = addWithCarry(a, b, carry, 32);
          expect([r.x(8), Number(r.x(12) >> 28n)]).toEqual([adcs32.result, adcs32.nzcv]);
          const sbcs32 = addWithCarry(a, ~b, carry, 32);
          expect([r.x(13), Number(r.x(14) >> 28n)]).toEqual([sbcs32.result, sbcs32.nzcv]);
          const ngcs = addWithCarry(0n, ~b, carry, 64);
          expect([r.x(15), Number(r.x(16) >> 28n)]).toEqual([ngcs.result, ngcs.nzcv]);
        });
      }
    }
  }
  it('adc without S leaves flags alone', () => {
    const r = exec(`
      mov x1, #-1
      cmp xzr, xzr      // Z=1 C=1
      adc x2, x1, x1
    `);
    expect(r.x(2)).toBe(u(-1n + -1n + 1n));
    expect(r.nzcv()).toBe(0b0110);
  });
});

describe('conditional compare and select', () => {
  for (let nz = 0; nz < 16; nz++) {
    it(`ccmp/ccmn/csel family with NZCV=${nz.toString(2).padStart(4, '0')}`, () => {
      const lines: string[] = [];
      // For each condition: set NZCV, then ccmp, read flags into x(…); and csel/csinc/csinv/csneg into memory.
      for (let c = 0; c < 16; c++) {
        const cn = COND_NAMES[c]!;
        lines.push(`mov x9, #0x${(nz * 0x1000_0000).toString(16)}`, 'msr nzcv, x9', `ccmp x1, x2, #0b1010, ${cn}`, 'mrs x10, nzcv', `str x10, [x20], #8`);
        lines.push('msr nzcv, x9', `ccmn x1, #5, #0b0101, ${cn}`, 'mrs x10, nzcv', `str x10, [x20], #8`);
        lines.push('msr nzcv, x9', `csel x11, x1, x2, ${cn}`, `csinc x12, x1, x2, ${cn}`, `csinv x13, x1, x2, ${cn}`, `csneg w14, w1, w2, ${cn}`);
        lines.push('stp x11, x12, [x20], #16', 'stp x13, x14, [x20], #16');
      }
      const r = exec(lines.join('\n'), { 1: 7n, 2: 0xffff_ffff_ffff_fff9n, 20: 0x4010_0000n });
      const a = 7n, b = 0xffff_ffff_ffff_fff9n;
      let p = 0x4010_0000n;
      for (let c = 0; c < 16; c++) {
        const holds = conditionHolds(c, nz);
        const ccmp = holds ? addWithCarry(a, ~b, 1n, 64).nzcv : 0b1010;
        const ccmn = holds ? addWithCarry(a, 5n, 0n, 64).nzcv : 0b0101;
        expect(Number(r.u64(p) >> 28n), `ccmp ${COND_NAMES[c]}`).toBe(ccmp);
        expect(Number(r.u64(p + 8n) >> 28n), `ccmn ${COND_NAMES[c]}`).toBe(ccmn);
        expect(r.u64(p + 16n), `csel ${COND_NAMES[c]}`).toBe(holds ? a : b);
        expect(r.u64(p + 24n), `csinc ${COND_NAMES[c]}`).toBe(holds ? a : u(b + 1n));
        expect(r.u64(p + 32n), `csinv ${COND_NAMES[c]}`).toBe(holds ? a : u(~b));
        expect(r.u64(p + 40n), `csneg ${COND_NAMES[c]}`).toBe(holds ? a : u(-b, 32));
        p += 48n;
      }
    });
  }
  it('cset/csetm/cinc/cneg aliases and ccmp 32-bit', () => {
    const r = exec(`
      cmp x1, x2          // 5 vs 9: lt, ne, cc
      cset x3, lt
      csetm w4, cc
      cinc x5, x1, ne
      cneg x6, x1, ge
      cset w7, eq
      ccmp w1, w2, #0, ne // 5 - 9 as 32-bit
      mrs x8, nzcv
    `, { 1: 5n, 2: 9n });
    expect(r.x(3)).toBe(1n);
    expect(r.x(4)).toBe(0xffff_ffffn);
    expect(r.x(5)).toBe(6n);
    expect(r.x(6)).toBe(5n);
    expect(r.x(7)).toBe(0n);
    expect(Number(r.x(8) >> 28n)).toBe(addWithCarry(5n, ~9n, 1n, 32).nzcv);
  });
});

describe('multiply', () => {
  const pairs: Array<[bigint, bigint]> = [
    [A, B], [0xffff_ffff_ffff_ffffn, 0xffff_ffff_ffff_ffffn], [0x8000_0000_0000_0000n, 0x8000_0000_0000_0000n],
    [0x8000_0000_0000_0000n, 0xffff_ffff_ffff_ffffn], [0x1234_5678_9abc_def0n, 0x0fed_cba9_8765_4321n], [0n, A], [0x7fff_ffff_ffff_ffffn, 2n],
  ];
  for (const [a, b] of pairs) {
    it(`mul/madd/msub/smull/umull/smulh/umulh 0x${a.toString(16)} * 0x${b.toString(16)}`, () => {
      const c = 0x1111_2222_3333_4444n;
      const r = exec(`
        mul x3, x1, x2
        madd x4, x1, x2, x0
        msub x5, x1, x2, x0
        smull x6, w1, w2
        umull x7, w1, w2
        smulh x8, x1, x2
        umulh x9, x1, x2
        smaddl x10, w1, w2, x0
        umsubl x11, w1, w2, x0
        mneg x12, x1, x2
        mul w13, w1, w2
        madd w14, w1, w2, w0
        smnegl x15, w1, w2
      `, { 0: c, 1: a, 2: b });
      const a32 = a & 0xffff_ffffn, b32 = b & 0xffff_ffffn;
      const sa32 = s(a32, 32), sb32 = s(b32, 32);
      expect(r.x(3)).toBe(u(a * b));
      expect(r.x(4)).toBe(u(c + a * b));
      expect(r.x(5)).toBe(u(c - a * b));
      expect(r.x(6)).toBe(u(sa32 * sb32));
      expect(r.x(7)).toBe(u(a32 * b32));
      expect(r.x(8)).toBe(u((s(a) * s(b)) >> 64n));
      expect(r.x(9)).toBe((a * b) >> 64n);
      expect(r.x(10)).toBe(u(c + sa32 * sb32));
      expect(r.x(11)).toBe(u(c - a32 * b32));
      expect(r.x(12)).toBe(u(-(a * b)));
      expect(r.x(13)).toBe(u(a32 * b32, 32));
      expect(r.x(14)).toBe(u((c & 0xffff_ffffn) + a32 * b32, 32));
      expect(r.x(15)).toBe(u(-(sa32 * sb32)));
    });
  }
});

describe('divide', () => {
  const cases: Array<[bigint, bigint]> = [
    [100n, 7n], [u(-100n), 7n], [100n, u(-7n)], [u(-100n), u(-7n)], [123n, 0n], [0x8000_0000_0000_0000n, u(-1n)],
    [0xffff_ffff_ffff_ffffn, 1n], [0xffff_ffff_ffff_ffffn, 0xffff_ffff_ffff_fffen],
  ];
  const trunc = (n: bigint, d: bigint) => (d === 0n ? 0n : n / d); // BigInt division truncates toward zero
  for (const [n, d] of cases) {
    it(`udiv/sdiv 0x${n.toString(16)} / 0x${d.toString(16)}`, () => {
      const r = exec(`
        udiv x3, x1, x2
        sdiv x4, x1, x2
        udiv w5, w1, w2
        sdiv w6, w1, w2
      `, { 1: n, 2: d });
      expect(r.x(3)).toBe(trunc(n, d));
      expect(r.x(4)).toBe(u(trunc(s(n), s(d))));
      const n32 = n & 0xffff_ffffn, d32 = d & 0xffff_ffffn;
      expect(r.x(5)).toBe(trunc(n32, d32));
      expect(r.x(6)).toBe(u(trunc(s(n32, 32), s(d32, 32)), 32));
    });
  }
  it('sdiv w INT_MIN / -1 = INT_MIN', () => {
    const r = exec('sdiv w3, w1, w2', { 1: 0x8000_0000n, 2: 0xffff_ffffn });
    expect(r.x(3)).toBe(0x8000_0000n);
  });
});

const rbitRef = (v: bigint, bits: number) => {
  let r = 0n;
  for (let i = 0; i < bits; i++) if ((v >> BigInt(i)) & 1n) r |= 1n << BigInt(bits - 1 - i);
  return r;
};
const revBytes = (v: bigint, containerBytes: number, totalBytes: number) => {
  let r = 0n;
  for (let c = 0; c < totalBytes; c += containerBytes) {
    for (let i = 0; i < containerBytes; i++) {
      const byte = (v >> BigInt(8 * (c + i))) & 0xffn;
      r |= byte << BigInt(8 * (c + containerBytes - 1 - i));
    }
  }
  return r;
};
const clzRef = (v: bigint, bits: number) => {
  for (let i = bits - 1; i >= 0; i--) if ((v >> BigInt(i)) & 1n) return BigInt(bits - 1 - i);
  return BigInt(bits);
};
const clsRef = (v: bigint, bits: number) => {
  const top = (v >> BigInt(bits - 1)) & 1n;
  let n = 0n;
  for (let i = bits - 2; i >= 0; i--) {
    if (((v >> BigInt(i)) & 1n) !== top) break;
    n++;
  }
  return n;
};

describe('bit manipulation', () => {
  const vals = [0n, 1n, A, B, 0xffff_ffff_ffff_ffffn, 0x0000_0000_8000_0000n, 0x0000_0001_0000_0000n, 0x00f0_0000_0000_0003n, 0xffff_ffff_7fff_ffffn];
  for (const v of vals) {
    it(`clz/cls/rbit/rev/rev16/rev32 of 0x${v.toString(16)}`, () => {
      const r = exec(`
        clz x2, x1
        cls x3, x1
        rbit x4, x1
        rev x5, x1
        rev16 x6, x1
        rev32 x7, x1
        clz w8, w1
        cls w9, w1
        rbit w10, w1
        rev w11, w1
        rev16 w12, w1
      `, { 1: v });
      const v32 = v & 0xffff_ffffn;
      expect(r.x(2)).toBe(clzRef(v, 64));
      expect(r.x(3)).toBe(clsRef(v, 64));
      expect(r.x(4)).toBe(rbitRef(v, 64));
      expect(r.x(5)).toBe(revBytes(v, 8, 8));
      expect(r.x(6)).toBe(revBytes(v, 2, 8));
      expect(r.x(7)).toBe(revBytes(v, 4, 8));
      expect(r.x(8)).toBe(clzRef(v32, 32));
      expect(r.x(9)).toBe(clsRef(v32, 32));
      expect(r.x(10)).toBe(rbitRef(v32, 32));
      expect(r.x(11)).toBe(revBytes(v32, 4, 4));
      expect(r.x(12)).toBe(revBytes(v32, 2, 4));
    });
  }
});

describe('variable shifts', () => {
  for (const amt of [0n, 1n, 31n, 32n, 63n, 64n, 65n, 0xffff_ffff_ffff_ffc1n]) {
    it(`lslv/lsrv/asrv/rorv by 0x${amt.toString(16)}`, () => {
      const r = exec(`
        lsl x3, x1, x2
        lsr x4, x1, x2
        asr x5, x1, x2
        ror x6, x1, x2
        lsl w7, w1, w2
        lsr w8, w1, w2
        asr w9, w1, w2
        ror w10, w1, w2
      `, { 1: A, 2: amt });
      const a64 = Number(amt & 63n), a32 = Number(amt & 31n);
      expect(r.x(3)).toBe(shiftRef(A, 'lsl', a64, 64));
      expect(r.x(4)).toBe(shiftRef(A, 'lsr', a64, 64));
      expect(r.x(5)).toBe(shiftRef(A, 'asr', a64, 64));
      expect(r.x(6)).toBe(shiftRef(A, 'ror', a64, 64));
      expect(r.x(7)).toBe(shiftRef(A, 'lsl', a32, 32));
      expect(r.x(8)).toBe(shiftRef(A, 'lsr', a32, 32));
      expect(r.x(9)).toBe(shiftRef(A, 'asr', a32, 32));
      expect(r.x(10)).toBe(shiftRef(A, 'ror', a32, 32));
    });
  }
});

describe('CRC32', () => {
  const msg = new TextEncoder().encode('123456789');
  const word = (off: number, n: number) => {
    let v = 0n;
    for (let i = 0; i < n; i++) v |= BigInt(msg[off + i]!) << BigInt(8 * i);
    return v;
  };
  // Check value of CRC-32 and CRC-32C for "123456789" (standard catalogue).
  for (const [c, check] of [['', 0xcbf4_3926n], ['c', 0xe306_9283n]] as const) {
    it(`crc32${c}b over "123456789" gives the catalogue check value`, () => {
      const lines = ['mov w0, #-1'];
      for (let i = 0; i < 9; i++) lines.push(`mov w1, #${msg[i]}`, `crc32${c}b w0, w0, w1`);
      lines.push('mvn w0, w0');
      expect(exec(lines.join('\n')).x(0)).toBe(check);
    });
    it(`crc32${c}x + crc32${c}b, crc32${c}w x2 + b, crc32${c}h x4 + b agree on "123456789"`, () => {
      const r = exec(`
        mov w0, #-1
        crc32${c}x w0, w0, x1
        crc32${c}b w0, w0, w2
        mvn w0, w0
        mov w3, #-1
        crc32${c}w w3, w3, w4
        crc32${c}w w3, w3, w5
        crc32${c}b w3, w3, w2
        mvn w3, w3
        mov w6, #-1
        crc32${c}h w6, w6, w7
        crc32${c}h w6, w6, w8
        crc32${c}h w6, w6, w9
        crc32${c}h w6, w6, w10
        crc32${c}b w6, w6, w2
        mvn w6, w6
      `, {
        1: word(0, 8), 2: word(8, 1) | 0xff00n, 4: word(0, 4) | (0xdeadn << 32n), 5: word(4, 4),
        7: word(0, 2) | 0xffff_0000n, 8: word(2, 2), 9: word(4, 2), 10: word(6, 2),
      });
      expect(r.x(0)).toBe(check);
      expect(r.x(3)).toBe(check);
      expect(r.x(6)).toBe(check);
    });
  }
  it('crc32 accumulator upper bits are ignored and the result zero-extends', () => {
    const r = exec('crc32cw w0, w1, w2', { 1: 0xffff_ffff_0000_0000n, 2: 0n });
    // CRC32C of four zero bytes from a zero accumulator is zero.
    expect(r.x(0)).toBe(0n);
  });
});

describe('undefined data-processing encodings', () => {
  it('32-bit shifted register with imm6 >= 32 is UNDEFINED', () => {
    // ADD W0, W1, W2, LSL #32 (sf=0, imm6=100000)
    const r = run(`.inst 0x0b028020\n${END}`);
    expect(r.vector).toBe(VEC.curSpxSync);
    expect(r.sysreg(L.SLOT_ESR_EL1) >> 26n).toBe(0n);
  });
  it('shift type ROR in add (shifted register) is UNDEFINED', () => {
    const r = run(`.inst 0x8bc20020\n${END}`); // ADD X0, X1, X2, ROR #0
    expect(r.vector).toBe(VEC.curSpxSync);
  });
  it('crc32x with sf=0 is UNDEFINED', () => {
    const r = run(`.inst 0x1ac24c20\n${END}`); // CRC32X encoding with sf=0
    expect(r.vector).toBe(VEC.curSpxSync);
    expect(mask(1)).toBe(1n);
  });
});

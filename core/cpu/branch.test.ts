// Branches: B/BL, B.cond for all 16 conditions against the NZCV table,
// CBZ/CBNZ, TBZ/TBNZ, BR/BLR/RET.
import { describe, expect, it } from 'vitest';
import { run, END, CODE_BASE, conditionHolds, COND_NAMES } from './testing.js';

function exec(src: string, regs: Record<number, bigint> = {}) {
  const r = run(`${src}\n${END}`, { regs });
  expect(r.ended, `snippet did not reach END (stop ${JSON.stringify(r.stop)}, vector ${r.vector})`).toBe(true);
  return r;
}

describe('b.cond', () => {
  for (let nz = 0; nz < 16; nz++) {
    it(`all conditions with NZCV=${nz.toString(2).padStart(4, '0')}`, () => {
      const lines = [`mov x9, #0x${(nz * 0x1000_0000).toString(16)}`, 'msr nzcv, x9', 'mov x0, #0'];
      for (let c = 0; c < 16; c++) {
        lines.push(`b.${COND_NAMES[c]} 1f`, 'b 2f', `1: orr x0, x0, #${1 << c}`, '2:');
      }
      const r = exec(lines.join('\n'));
      let expected = 0n;
      for (let c = 0; c < 16; c++) if (conditionHolds(c, nz)) expected |= 1n << BigInt(c);
      expect(r.x(0)).toBe(expected);
      expect(r.nzcv()).toBe(nz);
    });
  }
  it('backward conditional branch loops', () => {
    const r = exec(`
      mov x0, #10
      mov x1, #0
    1:
      add x1, x1, x0
      subs x0, x0, #1
      b.ne 1b
    `);
    expect(r.x(1)).toBe(55n);
  });
});

describe('b and bl', () => {
  it('bl writes the return address, b skips', () => {
    const r = exec(`
      bl func
      b 1f
      mov x5, #99
    1:
      mov x6, #1
      b done
    func:
      mov x7, x30
      ret
    done:
    `);
    expect(r.x(7)).toBe(CODE_BASE + 4n);
    expect(r.x(30)).toBe(CODE_BASE + 4n);
    expect(r.x(5)).toBe(0n);
    expect(r.x(6)).toBe(1n);
  });
  it('long forward and backward branch offsets', () => {
    const r = exec(`
      b fwd
    back:
      mov x1, #2
      b done
      .skip 0x100000
    fwd:
      mov x0, #1
      b back
    done:
    `);
    expect(r.x(0)).toBe(1n);
    expect(r.x(1)).toBe(2n);
  });
});

describe('cbz/cbnz/tbz/tbnz', () => {
  it('compare-and-branch on 64- and 32-bit views', () => {
    const r = exec(`
      mov x0, #0
      cbz x1, 1f
      orr x0, x0, #1
    1: cbnz x1, 2f
      orr x0, x0, #2
    2: cbz w1, 3f          // low word zero: taken
      orr x0, x0, #4
    3: cbnz w1, 4f         // not taken
      orr x0, x0, #8
    4: cbz x2, 5f
      orr x0, x0, #16
    5: cbnz w2, 6f
      orr x0, x0, #32
    6:
    `, { 1: 0x1_0000_0000n, 2: 0n });
    // x1 != 0: cbz not taken (bit0 set), cbnz taken; w1 == 0: cbz taken, cbnz not taken (bit3);
    // x2 == 0: cbz taken, cbnz w2 not taken (bit5)
    expect(r.x(0)).toBe(1n | 8n | 32n);
  });
  for (const bit of [0, 1, 31, 32, 40, 63]) {
    it(`tbz/tbnz bit ${bit}`, () => {
      const v = (1n << BigInt(bit)) | 0x10n;
      const r = exec(`
        mov x0, #0
        tbz x1, #${bit}, 1f
        orr x0, x0, #1
      1: tbnz x1, #${bit}, 2f
        orr x0, x0, #2
      2: tbz x2, #${bit}, 3f
        orr x0, x0, #4
      3: tbnz x2, #${bit}, 4f
        orr x0, x0, #8
      4:
      `, { 1: v, 2: ~v & 0xffff_ffff_ffff_ffffn });
      expect(r.x(0)).toBe(1n | 8n);
    });
  }
});

describe('register branches', () => {
  it('br/blr/ret with computed targets and ret xN', () => {
    const r = exec(`
      adr x1, target
      blr x1
    after:
      adr x3, t2
      br x3
      mov x9, #1
    t2:
      adr x4, t3
      ret x4
      mov x9, #2
    t3:
      b done
    target:
      mov x2, x30
      ret
    done:
    `);
    expect(r.x(2)).toBe(r.syms.get('after'));
    expect(r.x(9)).toBe(0n);
  });
  it('blr x30 branches to the old x30 and links', () => {
    const r = exec(`
      adr x30, t
      blr x30
    ret_here:
      b done
    t:
      mov x5, x30
    done:
    `);
    expect(r.x(5)).toBe(r.syms.get('ret_here'));
  });
});

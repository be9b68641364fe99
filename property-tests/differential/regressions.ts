// Handcrafted differential sequences: every divergence found by the
// generated campaign, plus edge cases worth pinning down explicitly.
import { DATA_REGS, type Sequence } from './generator.js';

function seq(lines: string[], regs: Record<number, bigint> = {}, nzcv = 0, memSeed = 0x1234_5678_9abc_def1n): Sequence {
  const init = Array.from({ length: DATA_REGS }, (_, i) => regs[i] ?? BigInt(i) * 0x0101_0101_0101_0101n + 0x1357n);
  return { items: lines.map((l) => ({ cls: 'regression', lines: [l] })), init: { regs: init, nzcv, memSeed } };
}

const INT64_MIN = 0x8000_0000_0000_0000n;
const MINUS1 = 0xffff_ffff_ffff_ffffn;

export const REGRESSIONS: { name: string; seq: Sequence }[] = [
  {
    // Found by the campaign: LDADDAL/LDCLRAL/LDEORAL/LDSETAL/LD{S,U}{MAX,MIN}AL/SWPAL
    // of W and X size decoded as UNDEFINED (A:R = 11 read as size:opc).
    name: 'LSE acquire+release atomics, W and X',
    seq: seq([
      'sub x26, x28, #496', 'ldaddal x2, x24, [x26]', 'swpal w3, w8, [x26]', 'ldclral x4, x20, [x26]',
      'ldeoral w1, w0, [x26]', 'ldsetal x17, x3, [x26]', 'ldsmaxal w11, w5, [x26]', 'ldsminal x6, x7, [x26]',
      'ldumaxal x17, x9, [x26]', 'lduminal w22, w14, [x26]', 'ldclral x16, xzr, [x26]', 'ldsmaxal wzr, w15, [x26]',
      'ldaddalb w1, w10, [x26]', 'ldaddalh w2, w12, [x26]', 'casal x4, x0, [x26]',
    ]),
  },
  {
    // Found by the campaign: faulting LSE atomics reported WnR=1; a read of the
    // address takes the same fault, so the ARM ARM (and QEMU) say WnR=0.
    name: 'faulting LSE atomics report WnR=0',
    seq: seq([
      'movz x27, #0x7000, lsl #16', 'ldadd x9, x7, [x27]', 'cas x1, x2, [x27]',
      'movz x27, #0xc000, lsl #16', 'swpal w3, w4, [x27]', 'casp x4, x5, x6, x7, [x27]',
      'add x27, x28, #3', 'ldaddal x1, x2, [x27]',
    ]),
  },
  {
    // Found by the campaign: PAR_EL1 lacked its RES1 bit 11.
    name: 'AT S1E1R/S1E1W and PAR_EL1 (success and fault formats)',
    seq: seq(['sub x27, x28, #8', 'at s1e1r, x27', 'isb', 'mrs x1, par_el1', 'movz x27, #0xc000, lsl #16', 'at s1e1w, x27', 'isb', 'mrs x2, par_el1']),
  },
  {
    name: 'division edge cases: by zero, INT_MIN / -1',
    seq: seq(
      ['sdiv x5, x0, x1', 'sdiv w6, w0, w1', 'udiv x7, x0, x2', 'sdiv x8, x0, x2', 'udiv w9, w3, w2', 'sdiv w10, w3, w1', 'udiv x11, x1, x1', 'sdiv x12, x4, x1'],
      { 0: INT64_MIN, 1: MINUS1, 2: 0n, 3: 0x8000_0000n, 4: 7n },
    ),
  },
  {
    name: 'flag-setting arithmetic at the overflow boundaries',
    seq: seq(
      ['adds x5, x0, x1', 'mrs x6, nzcv', 'subs x7, x0, x2', 'mrs x8, nzcv', 'adcs w9, w3, w4', 'mrs x10, nzcv', 'sbcs x11, x2, x0', 'mrs x12, nzcv', 'negs x13, x0', 'ngcs w14, w3', 'ccmn x0, #31, #15, vs', 'cset x15, hi'],
      { 0: INT64_MIN, 1: MINUS1, 2: 0x7fff_ffff_ffff_ffffn, 3: 0x7fff_ffffn, 4: 1n },
      0b0010,
    ),
  },
  {
    name: 'exclusives: success, clrex failure, misaligned load-exclusive fault',
    seq: seq([
      'sub x26, x28, #64', 'ldaxr x1, [x26]', 'add x1, x1, #1', 'stlxr w2, x1, [x26]',
      'ldxr w3, [x26]', 'clrex', 'stxr w4, w5, [x26]',
      'ldxp x6, x7, [x26]', 'stxp w8, x7, x6, [x26]',
      'add x27, x28, #3', 'ldxr x9, [x27]',
    ]),
  },
  {
    name: 'exceptions: svc, brk, udf, external abort, translation fault',
    seq: seq([
      'svc #0x1234', 'brk #0x42', 'udf #7',
      'movz x27, #0x7000, lsl #16', 'ldr x1, [x27, #8]', 'ldp x2, x3, [x27], #16',
      'movz x27, #0xc000, lsl #16', 'strb w4, [x27, #1]',
    ]),
  },
  {
    name: 'register-offset loads with junk in the upper index bits',
    seq: seq(
      ['ldr x25, =0xdeadbeef00000010', 'ldr x1, [x28, w25, uxtw #3]', 'ldr x25, =0x12345678fffffff0', 'ldrsh x2, [x28, w25, sxtw #1]', 'ldrsb w3, [x28, w25, sxtw]', 'ldr x25, =0xfffffffffffffe00', 'ldr w4, [x28, x25, sxtx]'],
    ),
  },
];

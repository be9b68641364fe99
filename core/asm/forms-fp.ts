/**
 * Floating point and Advanced SIMD, C4.1.96 / C4.1.97: scalar FP data
 * processing (1/2/3-source, compare, select, conversions, fmov), AdvSIMD
 * copy (dup/ins/umov/smov), modified immediate (movi/mvni/orr/bic/fmov),
 * vector logical, LD1..LD4/ST1..ST4 (multiple structures), and the common
 * integer vector operations.
 */
import { type Form, type OpKind, fld, form } from "./form.js";
import { K, cond, fpr, gpr, hex, immVal, uimm, vec, type GprSize } from "./kinds.js";
import type { Operand } from "./operand.js";

const b2 = (v: number, n: number): string => v.toString(2).padStart(n, "0");

/** FP type field -> register class: 00 single, 01 double, 11 half. */
const FTYPES: ReadonlyArray<readonly [type: string, cls: "s" | "d" | "h"]> = [
  ["00", "s"],
  ["01", "d"],
  ["11", "h"],
];

/** ARM ARM VFPExpandImm: imm8 -> value. */
export function vfpExpandImm(imm8: number): number {
  const sign = imm8 & 0x80 ? -1 : 1;
  const b = (imm8 >> 6) & 1;
  const cd = (imm8 >> 4) & 3;
  const frac = imm8 & 15;
  const exp = b ? cd - 3 : cd + 1;
  return sign * (1 + frac / 16) * 2 ** exp;
}

/** objdump prints FP immediates with printf("%.18e"). */
export function fmtFloat(v: number): string {
  const s = v.toExponential(18);
  return s.replace(/e([+-])(\d)$/, "e$10$2");
}

const fpImm = (lsb: number): OpKind =>
  K(
    (op, c) => {
      let v: number;
      if (op?.k === "fimm") v = op.v;
      else {
        const n = immVal(op, c);
        if (typeof n === "string") return n;
        v = Number(n);
      }
      for (let i = 0; i < 256; i++) if (vfpExpandImm(i) === v) return i << lsb;
      return `${v} cannot be encoded as an 8-bit floating-point immediate`;
    },
    (i) => `#${fmtFloat(vfpExpandImm(fld(i, lsb, 8)))}`,
  );

const zeroFp: OpKind = K(
  (op, c) => {
    if (op?.k === "fimm") return op.v === 0 ? 0 : "expected #0.0";
    const v = immVal(op, c);
    return v === 0n ? 0 : "expected #0.0";
  },
  () => "#0.0",
);

function scalarFp(): Form[] {
  const out: Form[] = [];
  for (const [type, r] of FTYPES) {
    const d = fpr(0, r);
    const n = fpr(5, r);
    const m = fpr(16, r);
    // 1-source
    const one: ReadonlyArray<readonly [string, string]> = [
      ["fmov", "000000"], ["fabs", "000001"], ["fneg", "000010"], ["fsqrt", "000011"],
      ["frintn", "001000"], ["frintp", "001001"], ["frintm", "001010"], ["frintz", "001011"],
      ["frinta", "001100"], ["frintx", "001110"], ["frinti", "001111"],
    ];
    for (const [mn, opc] of one) out.push(form(mn, `00011110 ${type} 1 ${opc} 10000 xxxxx xxxxx`, [d, n]));
    // FCVT between precisions
    for (const [to, cls] of FTYPES) {
      if (to === type) continue;
      out.push(form("fcvt", `00011110 ${type} 1 0001 ${to} 10000 xxxxx xxxxx`, [fpr(0, cls), n]));
    }
    // 2-source
    const two: ReadonlyArray<readonly [string, string]> = [
      ["fmul", "0000"], ["fdiv", "0001"], ["fadd", "0010"], ["fsub", "0011"], ["fmax", "0100"],
      ["fmin", "0101"], ["fmaxnm", "0110"], ["fminnm", "0111"], ["fnmul", "1000"],
    ];
    for (const [mn, opc] of two) out.push(form(mn, `00011110 ${type} 1 xxxxx ${opc} 10 xxxxx xxxxx`, [d, n, m]));
    // 3-source
    const three: ReadonlyArray<readonly [string, string, string]> = [
      ["fmadd", "0", "0"], ["fmsub", "0", "1"], ["fnmadd", "1", "0"], ["fnmsub", "1", "1"],
    ];
    for (const [mn, o1, o0] of three) out.push(form(mn, `00011111 ${type} ${o1} xxxxx ${o0} xxxxx xxxxx xxxxx`, [d, n, m, fpr(10, r)]));
    // compare
    out.push(
      form("fcmp", `00011110 ${type} 1 00000 001000 xxxxx 01000`, [n, zeroFp]),
      form("fcmp", `00011110 ${type} 1 xxxxx 001000 xxxxx 00000`, [n, m]),
      form("fcmpe", `00011110 ${type} 1 00000 001000 xxxxx 11000`, [n, zeroFp]),
      form("fcmpe", `00011110 ${type} 1 xxxxx 001000 xxxxx 10000`, [n, m]),
      form("fccmp", `00011110 ${type} 1 xxxxx xxxx 01 xxxxx 0 xxxx`, [n, m, uimm(0, 4, "hex"), cond(12)]),
      form("fccmpe", `00011110 ${type} 1 xxxxx xxxx 01 xxxxx 1 xxxx`, [n, m, uimm(0, 4, "hex"), cond(12)]),
      form("fcsel", `00011110 ${type} 1 xxxxx xxxx 11 xxxxx xxxxx`, [d, n, m, cond(12)]),
      form("fmov", `00011110 ${type} 1 xxxxxxxx 100 00000 xxxxx`, [d, fpImm(13)]),
    );
    // conversions to/from general registers
    for (const [sf, g] of [["0", "w"], ["1", "x"]] as const) {
      const cv: ReadonlyArray<readonly [string, string, string, boolean]> = [
        ["fcvtns", "00", "000", false], ["fcvtnu", "00", "001", false], ["scvtf", "00", "010", true], ["ucvtf", "00", "011", true],
        ["fcvtas", "00", "100", false], ["fcvtau", "00", "101", false], ["fcvtps", "01", "000", false], ["fcvtpu", "01", "001", false],
        ["fcvtms", "10", "000", false], ["fcvtmu", "10", "001", false], ["fcvtzs", "11", "000", false], ["fcvtzu", "11", "001", false],
      ];
      for (const [mn, rmode, opc, toFp] of cv) {
        const p = `${sf}0011110 ${type} 1 ${rmode} ${opc} 000000 xxxxx xxxxx`;
        out.push(form(mn, p, toFp ? [d, gpr(5, g)] : [gpr(0, g), n]));
      }
      // fixed-point: fbits = 64 - scale
      const fbits = K(
        (op, c) => {
          const v = immVal(op, c);
          if (typeof v === "string") return v;
          const max = sf === "1" ? 64 : 32;
          if (v < 1n || v > BigInt(max)) return `fbits ${v} out of range 1..${max}`;
          return (64 - Number(v)) << 10;
        },
        (i) => (sf === "0" && fld(i, 15, 1) === 0 ? null : `#${64 - fld(i, 10, 6)}`),
      );
      const fx: ReadonlyArray<readonly [string, string, string, boolean]> = [
        ["scvtf", "00", "010", true], ["ucvtf", "00", "011", true], ["fcvtzs", "11", "000", false], ["fcvtzu", "11", "001", false],
      ];
      for (const [mn, rmode, opc, toFp] of fx) {
        const p = `${sf}0011110 ${type} 0 ${rmode} ${opc} xxxxxx xxxxx xxxxx`;
        out.push(form(mn, p, toFp ? [d, gpr(5, g), fbits] : [gpr(0, g), n, fbits]));
      }
    }
  }
  // FMOV general <-> FP (C6.2 FMOV (general))
  const moves: ReadonlyArray<readonly [string, string, GprSize, "s" | "d" | "h"]> = [
    ["0", "00", "w", "s"], ["1", "01", "x", "d"], ["0", "11", "w", "h"], ["1", "11", "x", "h"],
  ];
  for (const [sf, type, g, r] of moves) {
    out.push(
      form("fmov", `${sf}0011110 ${type} 1 00 110 000000 xxxxx xxxxx`, [gpr(0, g), fpr(5, r)]),
      form("fmov", `${sf}0011110 ${type} 1 00 111 000000 xxxxx xxxxx`, [fpr(0, r), gpr(5, g)]),
    );
  }
  const top = (lsb: number): OpKind =>
    K(
      (op) => (op?.k === "vreg" && op.el === "d" && op.idx === 1 ? op.n << lsb : "expected v<n>.d[1]"),
      (i) => `v${fld(i, lsb, 5)}.d[1]`,
    );
  out.push(
    form("fmov", "10011110 10 1 01 110 000000 xxxxx xxxxx", [gpr(0, "x"), top(5)]),
    form("fmov", "10011110 10 1 01 111 000000 xxxxx xxxxx", [top(0), gpr(5, "x")]),
  );
  return out;
}

// ---- AdvSIMD helpers ----

const ARR = ["8b", "16b", "4h", "8h", "2s", "4s", "1d", "2d"] as const;
const arrOf = (size: number, q: number): string => ARR[size * 2 + q]!;
const EL = ["b", "h", "s", "d"] as const;

/** Element v<n>.<T>[i] whose size/index live in imm5 ([20:16]). */
const imm5Elem = (lsb: number, size: number): OpKind =>
  K(
    (op) => {
      if (op?.k !== "vreg" || op.el !== EL[size] || op.idx === undefined) return `expected v<n>.${EL[size]}[i]`;
      if (op.idx >= 16 >> size) return `index ${op.idx} out of range`;
      return (op.n << lsb) | ((((op.idx << 1) | 1) << size) << 16);
    },
    (i) => `v${fld(i, lsb, 5)}.${EL[size]}[${fld(i, 16, 5) >> (size + 1)}]`,
  );

/** Source element of INS (element): index in imm4 ([14:11]) scaled by size. */
const imm4Elem = (size: number): OpKind =>
  K(
    (op) => {
      if (op?.k !== "vreg" || op.el !== EL[size] || op.idx === undefined) return `expected v<n>.${EL[size]}[i]`;
      if (op.idx >= 16 >> size) return `index ${op.idx} out of range`;
      return (op.n << 5) | ((op.idx << size) << 11);
    },
    (i) => `v${fld(i, 5, 5)}.${EL[size]}[${fld(i, 11, 4) >> size}]`,
  );

const imm5For = (size: number): string => "x".repeat(4 - size) + "1" + "0".repeat(size);

function copy(): Form[] {
  const out: Form[] = [];
  for (let size = 0; size < 4; size++) {
    const i5 = imm5For(size);
    for (let q = 0; q < 2; q++) {
      if (size === 3 && q === 0) continue;
      const arr = arrOf(size, q);
      out.push(
        form("dup", `0${q}001110000 ${i5} 0 0000 1 xxxxx xxxxx`, [vec(0, arr), imm5Elem(5, size)]),
        form("dup", `0${q}001110000 ${i5} 0 0001 1 xxxxx xxxxx`, [vec(0, arr), gpr(5, size === 3 ? "x" : "w")]),
      );
    }
    // scalar DUP (element) prints as mov
    out.push(
      form("mov", `01011110000 ${i5} 0 0000 1 xxxxx xxxxx`, [fpr(0, EL[size]!), imm5Elem(5, size)]),
      form("dup", `01011110000 ${i5} 0 0000 1 xxxxx xxxxx`, [fpr(0, EL[size]!), imm5Elem(5, size)], { only: "asm" }),
    );
    // INS (general) / INS (element), printed as mov
    const g: GprSize = size === 3 ? "x" : "w";
    for (const mn of ["mov", "ins"]) {
      const o = mn === "ins" ? { only: "asm" as const } : {};
      out.push(
        form(mn, `01001110000 ${i5} 0 0011 1 xxxxx xxxxx`, [imm5Elem(0, size), gpr(5, g)], o),
        form(mn, `01101110000 ${i5} 0 ${"x".repeat(4 - size)}${"0".repeat(size)} 1 xxxxx xxxxx`, [imm5Elem(0, size), imm4Elem(size)], o),
      );
    }
    // UMOV (mov alias for 32/64-bit elements) and SMOV
    const uq = size === 3 ? "1" : "0";
    if (size >= 2) out.push(form("mov", `0${uq}001110000 ${i5} 0 0111 1 xxxxx xxxxx`, [gpr(0, g), imm5Elem(5, size)]));
    out.push(form("umov", `0${uq}001110000 ${i5} 0 0111 1 xxxxx xxxxx`, [gpr(0, g), imm5Elem(5, size)]));
    if (size < 3) {
      out.push(form("smov", `01001110000 ${i5} 0 0101 1 xxxxx xxxxx`, [gpr(0, "x"), imm5Elem(5, size)]));
      if (size < 2) out.push(form("smov", `00001110000 ${i5} 0 0101 1 xxxxx xxxxx`, [gpr(0, "w"), imm5Elem(5, size)]));
    }
  }
  return out;
}

// ---- modified immediate (C4.1.97 AdvSIMD modified immediate) ----

/** abc:defgh split at [18:16] and [9:5]. */
const abcdefgh = (v: number): number => (((v >> 5) & 7) << 16) | ((v & 31) << 5);
const getImm8 = (i: number): number => (fld(i, 16, 3) << 5) | fld(i, 5, 5);

const imm8Op = (): OpKind =>
  K(
    (op, c) => {
      const v = immVal(op, c);
      if (typeof v === "string") return v;
      if (v < 0n || v > 255n) return `immediate ${v} out of range 0..255`;
      return abcdefgh(Number(v));
    },
    (i) => hex(getImm8(i)),
  );

/** 64-bit byte mask immediate of MOVI (cmode 1110, op 1): each bit of imm8 is a byte of 00 or ff. */
const byteMask = (): OpKind =>
  K(
    (op, c) => {
      const v0 = immVal(op, c);
      if (typeof v0 === "string") return v0;
      const v = BigInt.asUintN(64, v0);
      if (v0 < -(1n << 63n) || v0 >= 1n << 64n) return "immediate out of range";
      let imm8 = 0;
      for (let b = 0; b < 8; b++) {
        const byte = (v >> BigInt(8 * b)) & 0xffn;
        if (byte === 0xffn) imm8 |= 1 << b;
        else if (byte !== 0n) return "each byte of the immediate must be 0x00 or 0xff";
      }
      return abcdefgh(imm8);
    },
    (i) => {
      const imm8 = getImm8(i);
      let v = 0n;
      for (let b = 0; b < 8; b++) if ((imm8 >> b) & 1) v |= 0xffn << BigInt(8 * b);
      return hex(v);
    },
  );

/** Optional "lsl #n" (or "msl #n") selecting cmode bits; `amounts[k]` = amount encoded by cmode<2:1> or cmode<0>. */
const immShift = (kind: "lsl" | "msl", amounts: readonly number[], lsb: number): OpKind =>
  K(
    (op, c) => {
      if (op === undefined) return amounts[0] === 0 ? 0 : "missing shift";
      if (op.k !== "shift" || op.op !== kind || op.amt === undefined) return `expected ${kind} #n`;
      const a = c.value({ k: "imm", e: op.amt, hash: true, text: "" });
      if (typeof a === "string") return a;
      const idx = amounts.indexOf(Number(a));
      if (idx < 0) return `shift must be one of ${amounts.join(", ")}`;
      return idx << lsb;
    },
    (i) => {
      const a = amounts[fld(i, lsb, amounts.length === 4 ? 2 : 1)]!;
      return kind === "lsl" && a === 0 ? "" : `${kind} #${a}`;
    },
    amounts[0] === 0,
  );

function modImm(): Form[] {
  const out: Form[] = [];
  const p = (q: number, op: number, cmode: string): string => `0${q}${op}0111100000 xxx ${cmode} 0 1 xxxxx xxxxx`;
  for (let q = 0; q < 2; q++) {
    const s32 = q ? "4s" : "2s";
    const s16 = q ? "8h" : "4h";
    for (const [mn, op, low] of [["movi", 0, "0"], ["mvni", 1, "0"], ["orr", 0, "1"], ["bic", 1, "1"]] as const) {
      out.push(
        form(mn, p(q, op, `0xx${low}`), [vec(0, s32), imm8Op(), immShift("lsl", [0, 8, 16, 24], 13)]),
        form(mn, p(q, op, `10x${low}`), [vec(0, s16), imm8Op(), immShift("lsl", [0, 8], 13)]),
      );
    }
    out.push(
      form("movi", p(q, 0, "110x"), [vec(0, s32), imm8Op(), immShift("msl", [8, 16], 12)]),
      form("mvni", p(q, 1, "110x"), [vec(0, s32), imm8Op(), immShift("msl", [8, 16], 12)]),
      form("movi", p(q, 0, "1110"), [vec(0, q ? "16b" : "8b"), imm8Op(), immShift("lsl", [0], 31)]),
      form("fmov", p(q, 0, "1111"), [vec(0, s32), fpImm8Split()]),
    );
  }
  out.push(
    form("movi", p(0, 1, "1110"), [fpr(0, "d"), byteMask()]),
    form("movi", p(1, 1, "1110"), [vec(0, "2d"), byteMask()]),
    form("fmov", p(1, 1, "1111"), [vec(0, "2d"), fpImm8Split()]),
  );
  return out;
}

function fpImm8Split(): OpKind {
  const inner = fpImm(0);
  return K(
    (op, c) => {
      const r = inner.enc(op, c);
      return typeof r === "string" ? r : abcdefgh(r);
    },
    (i) => inner.dec(getImm8(i), 0n),
  );
}

// ---- three same / two-reg misc / across lanes / permute / shifts ----

function arrs(filter: (size: number, q: number) => boolean): Array<[number, number, string]> {
  const out: Array<[number, number, string]> = [];
  for (let size = 0; size < 4; size++) for (let q = 0; q < 2; q++) if (filter(size, q)) out.push([size, q, arrOf(size, q)]);
  return out;
}
const notD1 = (size: number, q: number): boolean => !(size === 3 && q === 0);

function vectorOps(): Form[] {
  const out: Form[] = [];
  // logical (three same, size field selects the operation)
  const logic: ReadonlyArray<readonly [string, number, number]> = [
    ["and", 0, 0], ["bic", 0, 1], ["orr", 0, 2], ["orn", 0, 3], ["eor", 1, 0], ["bsl", 1, 1], ["bit", 1, 2], ["bif", 1, 3],
  ];
  for (let q = 0; q < 2; q++) {
    const a = q ? "16b" : "8b";
    const p = (u: number, sz: number): string => `0${q}${u}01110 ${b2(sz, 2)} 1 xxxxx 00011 1 xxxxx xxxxx`;
    out.push(
      form("mov", p(0, 2), [vec(0, a), K(
        (op, c) => {
          const r = vec(5, a).enc(op, c);
          return typeof r === "string" ? r : r | ((r >>> 5) << 16);
        },
        (i) => `v${fld(i, 5, 5)}.${a}`,
      )], { when: (i) => fld(i, 5, 5) === fld(i, 16, 5) }),
    );
    for (const [mn, u, sz] of logic) out.push(form(mn, p(u, sz), [vec(0, a), vec(5, a), vec(16, a)]));
    out.push(
      form("mvn", `0${q}101110 00 10000 00101 10 xxxxx xxxxx`, [vec(0, a), vec(5, a)]),
      form("not", `0${q}101110 00 10000 00101 10 xxxxx xxxxx`, [vec(0, a), vec(5, a)], { only: "asm" }),
      form("cnt", `0${q}001110 00 10000 00101 10 xxxxx xxxxx`, [vec(0, a), vec(5, a)]),
    );
  }
  // integer three same
  const same: ReadonlyArray<readonly [string, number, string, boolean]> = [
    ["add", 0, "10000", true], ["sub", 1, "10000", true], ["cmeq", 1, "10001", true], ["cmtst", 0, "10001", true],
    ["cmhi", 1, "00110", true], ["cmhs", 1, "00111", true], ["cmgt", 0, "00110", true], ["cmge", 0, "00111", true],
    ["mul", 0, "10011", false], ["umax", 1, "01100", false], ["umin", 1, "01101", false],
    ["smax", 0, "01100", false], ["smin", 0, "01101", false], ["addp", 0, "10111", true],
  ];
  for (const [mn, u, opc, d2] of same) {
    for (const [size, q, a] of arrs((s, q) => notD1(s, q) && (d2 || s < 3))) {
      out.push(form(mn, `0${q}${u}01110 ${b2(size, 2)} 1 xxxxx ${opc} 1 xxxxx xxxxx`, [vec(0, a), vec(5, a), vec(16, a)]));
    }
  }
  // across lanes
  const across: ReadonlyArray<readonly [string, number, string]> = [
    ["addv", 0, "11011"], ["smaxv", 0, "01010"], ["sminv", 0, "11010"], ["umaxv", 1, "01010"], ["uminv", 1, "11010"],
  ];
  for (const [mn, u, opc] of across) {
    for (const [size, q, a] of arrs((s, q) => s < 2 || (s === 2 && q === 1))) {
      out.push(form(mn, `0${q}${u}01110 ${b2(size, 2)} 11000 ${opc} 10 xxxxx xxxxx`, [fpr(0, EL[size]!), vec(5, a)]));
    }
  }
  // permute
  const perm: ReadonlyArray<readonly [string, string]> = [
    ["uzp1", "001"], ["trn1", "010"], ["zip1", "011"], ["uzp2", "101"], ["trn2", "110"], ["zip2", "111"],
  ];
  for (const [mn, opc] of perm) {
    for (const [size, q, a] of arrs(notD1)) {
      out.push(form(mn, `0${q}001110 ${b2(size, 2)} 0 xxxxx 0 ${opc} 10 xxxxx xxxxx`, [vec(0, a), vec(5, a), vec(16, a)]));
    }
  }
  // EXT
  for (let q = 0; q < 2; q++) {
    const a = q ? "16b" : "8b";
    out.push(form("ext", `0${q}101110 00 0 xxxxx 0 ${q ? "x" : "0"}xxx 0 xxxxx xxxxx`, [vec(0, a), vec(5, a), vec(16, a), uimm(11, 4, "dec")]));
  }
  // TBL / TBX
  for (let q = 0; q < 2; q++) {
    const a = q ? "16b" : "8b";
    for (let len = 0; len < 4; len++) {
      for (const [mn, op] of [["tbl", "0"], ["tbx", "1"]] as const) {
        out.push(form(mn, `0${q}001110 000 xxxxx 0 ${b2(len, 2)} ${op} 00 xxxxx xxxxx`, [vec(0, a), vlist(5, len + 1, "16b"), vec(16, a)]));
      }
    }
  }
  // shifts by immediate: immh selects the element size
  const shifts: ReadonlyArray<readonly [string, number, string, boolean]> = [
    ["sshr", 0, "00000", true], ["ushr", 1, "00000", true], ["shl", 0, "01010", false],
  ];
  for (const [mn, u, opc, right] of shifts) {
    for (const [size, q, a] of arrs(notD1)) {
      const esize = 8 << size;
      const immh = "0".repeat(3 - size) + "1" + "x".repeat(size);
      const amt = K(
        (op, c) => {
          const v = immVal(op, c);
          if (typeof v === "string") return v;
          const n = Number(v);
          if (right ? n < 1 || n > esize : n < 0 || n >= esize) return `shift ${v} out of range`;
          return (right ? 2 * esize - n : esize + n) << 16;
        },
        (i) => {
          const v = fld(i, 16, 7);
          return `#${right ? 2 * esize - v : v - esize}`;
        },
      );
      out.push(form(mn, `0${q}${u}011110 ${immh} ${"x".repeat(7 - 4 + 0).slice(0, 3)} ${opc} 1 xxxxx xxxxx`, [vec(0, a), vec(5, a), amt]));
    }
  }
  return out;
}

// ---- LD1..LD4 / ST1..ST4 (multiple structures) ----

/** Register list of `count` consecutive registers starting at the field at lsb. */
function vlist(lsb: number, count: number, arr: string): OpKind {
  return K(
    (op: Operand | undefined) => {
      if (op?.k !== "vlist" || op.idx !== undefined || op.arr !== arr || op.regs.length !== count) {
        return `expected a list of ${count} registers with arrangement .${arr}`;
      }
      return op.regs[0]! << lsb;
    },
    (i) => {
      const first = fld(i, lsb, 5);
      const regs = Array.from({ length: count }, (_, k) => `v${(first + k) % 32}.${arr}`);
      // objdump uses a range unless the list wraps past v31
      return count > 2 && first + count <= 32 ? `{${regs[0]}-${regs[count - 1]}}` : `{${regs.join(", ")}}`;
    },
  );
}

const memBaseOnly: OpKind = K(
  (op) => {
    if (op?.k !== "mem" || op.wb || op.off !== undefined || op.ext !== undefined) return "expected [Xn]";
    const b = op.base;
    if (b.k !== "reg" || b.cls !== "x" || (b.n === 31 && !b.sp)) return "base must be an X register or sp";
    return b.n << 5;
  },
  (i) => `[${fld(i, 5, 5) === 31 ? "sp" : `x${fld(i, 5, 5)}`}]`,
);

/** Post-index of LD1..: #<total bytes> (Rm = 31) or an X register. */
const postIdx = (bytes: number, reg: boolean): OpKind =>
  K(
    (op, c) => {
      if (reg) {
        if (op?.k !== "reg" || op.cls !== "x" || op.n === 31) return "expected an X register (not xzr)";
        return op.n << 16;
      }
      const v = immVal(op, c);
      if (typeof v === "string") return v;
      return v === BigInt(bytes) ? 31 << 16 : `post-index immediate must be #${bytes}`;
    },
    (i) => (reg ? (fld(i, 16, 5) === 31 ? null : `x${fld(i, 16, 5)}`) : `#${bytes}`),
  );

function structures(): Form[] {
  const out: Form[] = [];
  const kinds: ReadonlyArray<readonly [string, number, string]> = [
    ["1", 1, "0111"], ["1", 2, "1010"], ["1", 3, "0110"], ["1", 4, "0010"],
    ["2", 2, "1000"], ["3", 3, "0100"], ["4", 4, "0000"],
  ];
  for (const [n, count, opcode] of kinds) {
    for (const [l, base] of [["1", "ld"], ["0", "st"]] as const) {
      for (const [size, q, a] of arrs((s, q) => n === "1" || notD1(s, q))) {
        const mn = `${base}${n}`;
        const bytes = count * (q ? 16 : 8);
        const list = vlist(0, count, a);
        const p = (post: string, rm: string): string => `0${q}001100${post}${l} 0 ${rm} ${opcode} ${b2(size, 2)} xxxxx xxxxx`;
        out.push(
          form(mn, `0${q}0011000${l} 000000 ${opcode} ${b2(size, 2)} xxxxx xxxxx`, [list, memBaseOnly]),
          form(mn, p("1", "11111"), [list, memBaseOnly, postIdx(bytes, false)]),
          form(mn, p("1", "xxxxx"), [list, memBaseOnly, postIdx(bytes, true)]),
        );
      }
    }
  }
  return out;
}

export function fpSimdForms(): Form[] {
  return [...scalarFp(), ...copy(), ...modImm(), ...vectorOps(), ...structures()];
}

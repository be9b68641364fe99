/**
 * Integer data processing: C4.1.92 (immediate) and C4.1.95 (register)
 * encoding groups: PC-relative addressing, add/sub, logical, move wide,
 * bitfield, extract, conditional compare/select, 1-, 2- and 3-source.
 */
import { decodeBitmask, encodeBitmask } from "./bitmask.js";
import { type Form, type OpKind, fld, form } from "./form.js";
import { K, cond, dec, gpr, gprDup, hex, immVal, regShift, uimm, type GprSize } from "./kinds.js";

const SIZES: ReadonlyArray<readonly [sf: string, r: GprSize, w: 32 | 64]> = [
  ["0", "w", 32],
  ["1", "x", 64],
];

// ---- PC-relative (C6.2 ADR / ADRP) ----

const adrTarget = (page: boolean): OpKind =>
  K(
    (op, c) => {
      const v = immVal(op, c);
      if (typeof v === "string") return v;
      const delta = page
        ? BigInt.asIntN(52, (BigInt.asUintN(64, v) >> 12n) - (BigInt.asUintN(64, c.pc) >> 12n))
        : BigInt.asIntN(64, v - c.pc);
      if (delta < -(1n << 20n) || delta >= 1n << 20n) return "target out of range";
      const u = Number(BigInt.asUintN(21, delta));
      return (((u & 3) << 29) | ((u >> 2) << 5)) >>> 0;
    },
    (i, pc) => {
      const raw = (fld(i, 5, 19) << 2) | fld(i, 29, 2);
      const d = BigInt.asIntN(21, BigInt(raw));
      const t = page ? ((pc >> 12n) + d) << 12n : pc + d;
      return `0x${BigInt.asUintN(64, t).toString(16)}`;
    },
  );

// ---- add/sub immediate ----

/** imm12 with optional "lsl #12"; GNU also accepts an unshifted multiple of 4096 and :lo12: relocations. */
const addImm = (negate: boolean): OpKind =>
  K(
    (op, c) => {
      let v = immVal(op, c, ["lo12"]);
      if (typeof v === "string") return v;
      if (negate) {
        if (v >= 0n) return "not negative";
        v = -v;
      }
      if (v >= 0n && v < 4096n) return Number(v) << 10;
      if (v >= 0n && (v & 0xfffn) === 0n && v >> 12n < 4096n) {
        c.v.autoShift = 1;
        return (1 << 22) | (Number(v >> 12n) << 10);
      }
      return `immediate ${v} out of range for add/sub (0..4095, optionally lsl #12)`;
    },
    (i) => hex(fld(i, 10, 12)),
  );

const addShift: OpKind = K(
  (op, c) => {
    if (op === undefined) return 0;
    if (op.k !== "shift" || op.op !== "lsl" || op.amt === undefined) return "expected lsl #0 or lsl #12";
    const a = c.value({ k: "imm", e: op.amt, hash: true, text: "" });
    if (typeof a === "string") return a;
    if (c.v.autoShift) return "immediate already shifted";
    if (a === 0n) return 0;
    if (a === 12n) return 1 << 22;
    return "shift must be lsl #0 or lsl #12";
  },
  (i) => (fld(i, 22, 1) ? "lsl #12" : ""),
  true,
);

function addSubImm(): Form[] {
  const out: Form[] = [];
  for (const [sf, r] of SIZES) {
    const sp = gpr(0, r, "sp");
    const spn = gpr(5, r, "sp");
    const zr = gpr(0, r, "zr");
    // aliases first (preferred disassembly)
    out.push(
      form("mov", `${sf}00100010 0 000000000000 xxxxx xxxxx`, [sp, spn], {
        when: (i) => fld(i, 0, 5) === 31 || fld(i, 5, 5) === 31,
        check: (i) => (fld(i, 0, 5) === 31 || fld(i, 5, 5) === 31 ? undefined : "mov between general registers uses orr"),
      }),
      form("cmn", `${sf}01100010 x xxxxxxxxxxxx xxxxx 11111`, [spn, addImm(false), addShift]),
      form("cmp", `${sf}11100010 x xxxxxxxxxxxx xxxxx 11111`, [spn, addImm(false), addShift]),
      form("cmn", `${sf}11100010 x xxxxxxxxxxxx xxxxx 11111`, [spn, addImm(true), addShift], { only: "asm" }),
      form("cmp", `${sf}01100010 x xxxxxxxxxxxx xxxxx 11111`, [spn, addImm(true), addShift], { only: "asm" }),
      form("add", `${sf}00100010 x xxxxxxxxxxxx xxxxx xxxxx`, [sp, spn, addImm(false), addShift]),
      form("adds", `${sf}01100010 x xxxxxxxxxxxx xxxxx xxxxx`, [zr, spn, addImm(false), addShift]),
      form("sub", `${sf}10100010 x xxxxxxxxxxxx xxxxx xxxxx`, [sp, spn, addImm(false), addShift]),
      form("subs", `${sf}11100010 x xxxxxxxxxxxx xxxxx xxxxx`, [zr, spn, addImm(false), addShift]),
      // GNU: add with a negative immediate becomes sub, and vice versa
      form("add", `${sf}10100010 x xxxxxxxxxxxx xxxxx xxxxx`, [sp, spn, addImm(true), addShift], { only: "asm" }),
      form("adds", `${sf}11100010 x xxxxxxxxxxxx xxxxx xxxxx`, [zr, spn, addImm(true), addShift], { only: "asm" }),
      form("sub", `${sf}00100010 x xxxxxxxxxxxx xxxxx xxxxx`, [sp, spn, addImm(true), addShift], { only: "asm" }),
      form("subs", `${sf}01100010 x xxxxxxxxxxxx xxxxx xxxxx`, [zr, spn, addImm(true), addShift], { only: "asm" }),
    );
  }
  return out;
}

// ---- logical immediate ----

const bitmaskImm = (w: 32 | 64, invert = false): OpKind =>
  K(
    (op, c) => {
      const v = immVal(op, c);
      if (typeof v === "string") return v;
      if (w === 32 && (v < -(1n << 31n) || v >= 1n << 32n)) return `immediate ${v} out of range for a 32-bit operation`;
      if (w === 64 && (v < -(1n << 63n) || v >= 1n << 64n)) return `immediate ${v} out of range`;
      const f = encodeBitmask(invert ? ~v : v, w);
      if (!f) return `immediate 0x${BigInt.asUintN(w, v).toString(16)} is not a valid bitmask immediate`;
      return (f.n << 22) | (f.immr << 16) | (f.imms << 10);
    },
    (i) => {
      const v = decodeBitmask(fld(i, 22, 1), fld(i, 10, 6), fld(i, 16, 6), w);
      return v === undefined ? null : hex(invert ? BigInt.asUintN(w, ~v) : v);
    },
  );

/** Can MOVZ or MOVN build this value? (decides between the mov and orr spellings, like objdump) */
function wideEncodable(v: bigint | undefined, w: 32 | 64): boolean {
  if (v === undefined) return false;
  for (const x of [v, BigInt.asUintN(w, ~v)]) {
    for (let hw = 0; hw < w / 16; hw++) if ((x & ~(0xffffn << BigInt(16 * hw))) === 0n) return true;
  }
  return false;
}

function logicalImm(): Form[] {
  const out: Form[] = [];
  for (const [sf, r, w] of SIZES) {
    const nbit = sf === "1" ? "x" : "0";
    const bm = bitmaskImm(w);
    out.push(
      form("tst", `${sf}11100100 ${nbit} xxxxxx xxxxxx xxxxx 11111`, [gpr(5, r), bm]),
      form("and", `${sf}00100100 ${nbit} xxxxxx xxxxxx xxxxx xxxxx`, [gpr(0, r, "sp"), gpr(5, r), bm]),
      form("orr", `${sf}01100100 ${nbit} xxxxxx xxxxxx xxxxx xxxxx`, [gpr(0, r, "sp"), gpr(5, r), bm]),
      form("eor", `${sf}10100100 ${nbit} xxxxxx xxxxxx xxxxx xxxxx`, [gpr(0, r, "sp"), gpr(5, r), bm]),
      form("ands", `${sf}11100100 ${nbit} xxxxxx xxxxxx xxxxx xxxxx`, [gpr(0, r), gpr(5, r), bm]),
      // GNU accepts bic/bics/orn/eon with an immediate, encoding the inverted value
      form("bic", `${sf}00100100 ${nbit} xxxxxx xxxxxx xxxxx xxxxx`, [gpr(0, r, "sp"), gpr(5, r), bitmaskImm(w, true)], { only: "asm" }),
      form("bics", `${sf}11100100 ${nbit} xxxxxx xxxxxx xxxxx xxxxx`, [gpr(0, r), gpr(5, r), bitmaskImm(w, true)], { only: "asm" }),
    );
  }
  return out;
}

// ---- move wide ----

/** mov alias value for MOVZ (invert=false) / MOVN (invert=true). */
const movWideImm = (w: 32 | 64, invert: boolean): OpKind =>
  K(
    (op, c) => {
      const v0 = immVal(op, c);
      if (typeof v0 === "string") return v0;
      const lo = w === 32 ? -(1n << 31n) : -(1n << 63n);
      if (v0 < lo || v0 >= 1n << BigInt(w)) return `immediate ${v0} out of range`;
      const v = BigInt.asUintN(w, invert ? ~v0 : v0);
      for (let hw = 0; hw < w / 16; hw++) {
        const sh = BigInt(hw * 16);
        if ((v & ~(0xffffn << sh)) === 0n) {
          if (invert && w === 32 && v >> sh === 0xffffn) continue;
          return (hw << 21) | (Number(v >> sh) << 5);
        }
      }
      return `immediate 0x${BigInt.asUintN(w, v0).toString(16)} cannot be built with one movz/movn/orr`;
    },
    (i) => {
      const v = BigInt(fld(i, 5, 16)) << BigInt(fld(i, 21, 2) * 16);
      return hex(BigInt.asUintN(w, invert ? ~v : v));
    },
  );

const imm16 = uimm(5, 16, "hex");
/** "lsl #n" for move wide; absent = 0. */
const hwShift = (w: 32 | 64): OpKind =>
  K(
    (op, c) => {
      if (op === undefined) return 0;
      if (op.k !== "shift" || op.op !== "lsl" || op.amt === undefined) return "expected lsl #0/16/32/48";
      const a = c.value({ k: "imm", e: op.amt, hash: true, text: "" });
      if (typeof a === "string") return a;
      if (a % 16n !== 0n || a < 0n || a >= BigInt(w)) return "shift must be lsl #0, #16" + (w === 64 ? ", #32 or #48" : "");
      return Number(a / 16n) << 21;
    },
    (i) => (fld(i, 21, 2) ? `lsl #${fld(i, 21, 2) * 16}` : ""),
    true,
  );

function moveWide(): Form[] {
  const out: Form[] = [];
  for (const [sf, r, w] of SIZES) {
    const hwOk = (i: number): boolean => w === 64 || fld(i, 22, 1) === 0;
    const notZeroShift = (i: number): boolean => !(fld(i, 5, 16) === 0 && fld(i, 21, 2) !== 0);
    out.push(
      form("mov", `${sf}10100101 xx xxxxxxxxxxxxxxxx xxxxx`, [gpr(0, r), movWideImm(w, false)], {
        when: (i) => hwOk(i) && notZeroShift(i),
      }),
      form("mov", `${sf}00100101 xx xxxxxxxxxxxxxxxx xxxxx`, [gpr(0, r), movWideImm(w, true)], {
        when: (i) => hwOk(i) && notZeroShift(i) && (w === 64 || fld(i, 5, 16) !== 0xffff),
      }),
      form("mov", `${sf}01100100 ${sf === "1" ? "x" : "0"} xxxxxx xxxxxx 11111 xxxxx`, [gpr(0, r, "sp"), bitmaskImm(w)], {
        // objdump: mov unless the value could be built by movz/movn (which cannot write wsp/sp)
        when: (i) => fld(i, 0, 5) === 31 || !wideEncodable(decodeBitmask(fld(i, 22, 1), fld(i, 10, 6), fld(i, 16, 6), w), w),
      }),
      form("movn", `${sf}00100101 xx xxxxxxxxxxxxxxxx xxxxx`, [gpr(0, r), imm16, hwShift(w)], { when: hwOk }),
      form("movz", `${sf}10100101 xx xxxxxxxxxxxxxxxx xxxxx`, [gpr(0, r), imm16, hwShift(w)], { when: hwOk }),
      form("movk", `${sf}11100101 xx xxxxxxxxxxxxxxxx xxxxx`, [gpr(0, r), imm16, hwShift(w)], { when: hwOk }),
    );
  }
  return out;
}

// ---- bitfield (C6.2 SBFM/BFM/UBFM and aliases) ----

/** ARM ARM BFXPreferred(sf, uns, imms, immr). */
function bfxPreferred(sf: number, uns: number, imms: number, immr: number): boolean {
  if (imms < immr) return false;
  if (imms === (sf ? 63 : 31)) return false;
  if (immr === 0) {
    if (sf === 0 && (imms === 7 || imms === 15)) return false;
    if (sf === 1 && uns === 0 && (imms === 7 || imms === 15 || imms === 31)) return false;
  }
  return true;
}

type BfKind = "immr" | "imms" | "shl" | "ins-lsb" | "ins-width" | "x-lsb" | "x-width" | "shr";

/** Bitfield immediates in the spellings of the aliases; they compute immr/imms. */
const bfImm = (w: number, kind: BfKind): OpKind =>
  K(
    (op, c) => {
      const v0 = immVal(op, c);
      if (typeof v0 === "string") return v0;
      const v = Number(v0);
      switch (kind) {
        case "immr":
        case "imms":
          if (v0 < 0n || v0 >= BigInt(w)) return `immediate ${v0} out of range 0..${w - 1}`;
          return v << (kind === "immr" ? 16 : 10);
        case "shr":
          if (v0 < 0n || v0 >= BigInt(w)) return `shift ${v0} out of range 0..${w - 1}`;
          return v << 16;
        case "shl":
          if (v0 < 0n || v0 >= BigInt(w)) return `shift ${v0} out of range 0..${w - 1}`;
          return (((w - v) % w) << 16) | ((w - 1 - v) << 10);
        case "ins-lsb":
        case "x-lsb":
          if (v0 < 0n || v0 >= BigInt(w)) return `lsb ${v0} out of range 0..${w - 1}`;
          c.v.lsb = v;
          return kind === "ins-lsb" ? ((w - v) % w) << 16 : v << 16;
        case "ins-width":
        case "x-width": {
          const lsb = c.v.lsb ?? 0;
          if (v0 < 1n || v0 > BigInt(w - lsb)) return `width ${v0} out of range 1..${w - lsb}`;
          return (kind === "ins-width" ? v - 1 : lsb + v - 1) << 10;
        }
      }
    },
    (i) => {
      const immr = fld(i, 16, 6);
      const imms = fld(i, 10, 6);
      switch (kind) {
        case "immr":
        case "shr":
          return dec(immr);
        case "imms":
          return dec(imms);
        case "shl":
          return dec(w - 1 - imms);
        case "ins-lsb":
          return dec((w - immr) % w);
        case "ins-width":
          return dec(imms + 1);
        case "x-lsb":
          return dec(immr);
        case "x-width":
          return dec(imms - immr + 1);
      }
    },
  );

function bitfield(): Form[] {
  const out: Form[] = [];
  for (const [sf, r, w] of SIZES) {
    const n = sf;
    const base = (opc: string): string => `${sf}${opc}100110 ${n} xxxxxx xxxxxx xxxxx xxxxx`;
    const valid = (i: number): boolean => w === 64 || (fld(i, 21, 1) === 0 && fld(i, 15, 1) === 0);
    const immr = (i: number): number => fld(i, 16, 6);
    const imms = (i: number): number => fld(i, 10, 6);
    const d = gpr(0, r);
    const s = gpr(5, r);
    const bf = (k: BfKind): OpKind => bfImm(w, k);
    const fixed = (opc: string, rr: number, ss: number): string =>
      `${sf}${opc}100110 ${n} ${rr.toString(2).padStart(6, "0")} ${ss.toString(2).padStart(6, "0")} xxxxx xxxxx`;
    const shiftPat = (opc: string, ss: number): string =>
      `${sf}${opc}100110 ${n} xxxxxx ${ss.toString(2).padStart(6, "0")} xxxxx xxxxx`;
    // SBFM aliases
    out.push(
      form("asr", shiftPat("00", w - 1), [d, s, bf("shr")], { when: valid }),
      form("sbfiz", base("00"), [d, s, bf("ins-lsb"), bf("ins-width")], {
        when: (i) => valid(i) && imms(i) < immr(i),
        check: (i) => (imms(i) < immr(i) ? undefined : "bad sbfiz"),
      }),
      form("sbfx", base("00"), [d, s, bf("x-lsb"), bf("x-width")], {
        when: (i) => valid(i) && bfxPreferred(Number(sf), 0, imms(i), immr(i)),
      }),
      form("sxtb", fixed("00", 0, 7), [d, gpr(5, "w")]),
      form("sxth", fixed("00", 0, 15), [d, gpr(5, "w")]),
    );
    if (w === 64) out.push(form("sxtw", fixed("00", 0, 31), [d, gpr(5, "w")]));
    out.push(form("sbfm", base("00"), [d, s, bf("immr"), bf("imms")], { when: valid }));
    // BFM aliases
    out.push(
      form("bfc", base("01").replace(/xxxxx xxxxx$/, "11111 xxxxx"), [d, bf("ins-lsb"), bf("ins-width")], {
        when: (i) => valid(i) && imms(i) < immr(i),
      }),
      form("bfi", base("01"), [d, s, bf("ins-lsb"), bf("ins-width")], {
        when: (i) => valid(i) && imms(i) < immr(i),
        check: (i) => (fld(i, 5, 5) === 31 ? "bfi with wzr/xzr source: use bfc" : undefined),
      }),
      form("bfxil", base("01"), [d, s, bf("x-lsb"), bf("x-width")], { when: (i) => valid(i) && imms(i) >= immr(i) }),
      form("bfm", base("01"), [d, s, bf("immr"), bf("imms")], { when: valid }),
    );
    // UBFM aliases
    out.push(
      form("lsl", base("10"), [d, s, bf("shl")], {
        when: (i) => valid(i) && imms(i) !== w - 1 && imms(i) + 1 === immr(i),
      }),
      form("lsr", shiftPat("10", w - 1), [d, s, bf("shr")], { when: valid }),
      form("ubfiz", base("10"), [d, s, bf("ins-lsb"), bf("ins-width")], {
        when: (i) => valid(i) && imms(i) < immr(i),
        check: (i) => (imms(i) < immr(i) ? undefined : "bad ubfiz"),
      }),
      form("ubfx", base("10"), [d, s, bf("x-lsb"), bf("x-width")], {
        when: (i) => valid(i) && bfxPreferred(Number(sf), 1, imms(i), immr(i)),
      }),
    );
    if (w === 32) {
      out.push(form("uxtb", fixed("10", 0, 7), [d, s]), form("uxth", fixed("10", 0, 15), [d, s]));
    }
    out.push(form("ubfm", base("10"), [d, s, bf("immr"), bf("imms")], { when: valid }));
  }
  return out;
}

// ---- extract ----

function extract(): Form[] {
  const out: Form[] = [];
  for (const [sf, r, w] of SIZES) {
    const lsb = uimm(10, w === 64 ? 6 : 5, "dec");
    const p = `${sf}00100111 ${sf} 0 xxxxx ${w === 64 ? "x" : "0"}xxxxx xxxxx xxxxx`;
    out.push(
      form("ror", p, [gpr(0, r), gprDup([5, 16], r), lsb], { when: (i) => fld(i, 5, 5) === fld(i, 16, 5) }),
      form("extr", p, [gpr(0, r), gpr(5, r), gpr(16, r), lsb]),
    );
  }
  return out;
}

// ---- logical (shifted register) ----

function logicalReg(): Form[] {
  const out: Form[] = [];
  for (const [sf, r, w] of SIZES) {
    const sh = regShift(w, true);
    const p = (opc: string, nb: string, rn = "xxxxx", rd = "xxxxx"): string => `${sf}${opc}01010 xx ${nb} xxxxx xxxxxx ${rn} ${rd}`;
    const d = gpr(0, r);
    const n = gpr(5, r);
    const m = gpr(16, r);
    const imm6ok = (i: number): boolean => w === 64 || fld(i, 15, 1) === 0;
    out.push(
      form("mov", `${sf}0101010 00 0 xxxxx 000000 11111 xxxxx`, [d, m]),
      form("mvn", p("01", "1", "11111"), [d, m, sh]),
      form("tst", p("11", "0", "xxxxx", "11111"), [n, m, sh]),
    );
    const names: ReadonlyArray<readonly [string, string, string]> = [
      ["and", "00", "0"], ["bic", "00", "1"], ["orr", "01", "0"], ["orn", "01", "1"],
      ["eor", "10", "0"], ["eon", "10", "1"], ["ands", "11", "0"], ["bics", "11", "1"],
    ];
    for (const [mn, opc, nb] of names) out.push(form(mn, p(opc, nb), [d, n, m, sh], { when: imm6ok }));
  }
  return out;
}

// ---- add/sub (shifted register, extended register, with carry) ----

const EXTENDS = ["uxtb", "uxth", "uxtw", "uxtx", "sxtb", "sxth", "sxtw", "sxtx"];

/** Rm of an extended-register add/sub: W or X, chosen by the extend that follows. */
const extRm = (w: 32 | 64): OpKind =>
  K(
    (op, c) => {
      if (op?.k !== "reg" || (op.cls !== "x" && op.cls !== "w") || (op.n === 31 && op.sp)) return "expected a general register";
      if (w === 32 && op.cls !== "w") return "expected a W register";
      c.v.rmx = op.cls === "x" ? 1 : 0;
      return op.n << 16;
    },
    (i) => {
      const x = w === 64 && (fld(i, 13, 3) & 3) === 3;
      const n = fld(i, 16, 5);
      return n === 31 ? (x ? "xzr" : "wzr") : `${x ? "x" : "w"}${n}`;
    },
  );

/** extend operand; `lslOk(i)` says when the default extend prints as lsl. */
const extOp = (w: 32 | 64, lslOk: (i: number) => boolean): OpKind =>
  K(
    (op, c) => {
      const dflt = w === 64 ? 3 : 2;
      let option: number;
      let amt = 0n;
      if (op === undefined) {
        option = dflt;
      } else {
        if (op.k !== "shift") return "expected an extend";
        if (op.amt !== undefined) {
          const a = c.value({ k: "imm", e: op.amt, hash: true, text: "" });
          if (typeof a === "string") return a;
          amt = a;
        }
        if (op.op === "lsl") {
          if (op.amt === undefined) return "lsl needs an amount";
          option = dflt;
        } else {
          option = EXTENDS.indexOf(op.op);
          if (option < 0) return `bad extend ${op.op}`;
        }
      }
      const needX = w === 64 && (option & 3) === 3;
      if ((c.v.rmx === 1) !== needX) return needX ? "extend needs an X register" : "extend needs a W register";
      if (amt < 0n || amt > 4n) return `extend amount ${amt} out of range 0..4`;
      return (option << 13) | (Number(amt) << 10);
    },
    (i) => {
      const option = fld(i, 13, 3);
      const amt = fld(i, 10, 3);
      if (amt > 4) return null;
      if (option === (w === 64 ? 3 : 2) && lslOk(i)) return amt ? `lsl #${amt}` : "";
      return amt ? `${EXTENDS[option]} #${amt}` : EXTENDS[option]!;
    },
    true,
  );

function addSubReg(): Form[] {
  const out: Form[] = [];
  for (const [sf, r, w] of SIZES) {
    const sh = regShift(w, false);
    const p = (op: string, rn = "xxxxx", rd = "xxxxx"): string => `${sf}${op}01011 xx 0 xxxxx xxxxxx ${rn} ${rd}`;
    const pe = (op: string, rd = "xxxxx"): string => `${sf}${op}01011 00 1 xxxxx xxxxxx xxxxx ${rd}`;
    const d = gpr(0, r);
    const n = gpr(5, r);
    const m = gpr(16, r);
    const dsp = gpr(0, r, "sp");
    const nsp = gpr(5, r, "sp");
    const rdOrRn = (i: number): boolean => fld(i, 0, 5) === 31 || fld(i, 5, 5) === 31;
    const rnOnly = (i: number): boolean => fld(i, 5, 5) === 31;
    out.push(
      form("cmn", p("01", "xxxxx", "11111"), [n, m, sh]),
      form("cmp", p("11", "xxxxx", "11111"), [n, m, sh]),
      form("neg", p("10", "11111"), [d, m, sh]),
      form("negs", p("11", "11111"), [d, m, sh]),
      form("add", p("00"), [d, n, m, sh]),
      form("adds", p("01"), [d, n, m, sh]),
      form("sub", p("10"), [d, n, m, sh]),
      form("subs", p("11"), [d, n, m, sh]),
      form("cmn", pe("01", "11111"), [nsp, extRm(w), extOp(w, rnOnly)]),
      form("cmp", pe("11", "11111"), [nsp, extRm(w), extOp(w, rnOnly)]),
      form("add", pe("00"), [dsp, nsp, extRm(w), extOp(w, rdOrRn)]),
      form("adds", pe("01"), [d, nsp, extRm(w), extOp(w, rnOnly)]),
      form("sub", pe("10"), [dsp, nsp, extRm(w), extOp(w, rdOrRn)]),
      form("subs", pe("11"), [d, nsp, extRm(w), extOp(w, rnOnly)]),
    );
    const pc = (op: string, rn = "xxxxx"): string => `${sf}${op}11010000 xxxxx 000000 ${rn} xxxxx`;
    out.push(
      form("ngc", pc("10", "11111"), [d, m]),
      form("ngcs", pc("11", "11111"), [d, m]),
      form("adc", pc("00"), [d, n, m]),
      form("adcs", pc("01"), [d, n, m]),
      form("sbc", pc("10"), [d, n, m]),
      form("sbcs", pc("11"), [d, n, m]),
    );
  }
  return out;
}

// ---- conditional compare / select ----

function condOps(): Form[] {
  const out: Form[] = [];
  for (const [sf, r] of SIZES) {
    const d = gpr(0, r);
    const n = gpr(5, r);
    const m = gpr(16, r);
    const nzcv = uimm(0, 4, "hex");
    for (const [mn, op] of [["ccmn", "0"], ["ccmp", "1"]] as const) {
      out.push(
        form(mn, `${sf}${op}1 11010010 xxxxx xxxx 0 0 xxxxx 0 xxxx`, [n, m, nzcv, cond(12)]),
        form(mn, `${sf}${op}1 11010010 xxxxx xxxx 1 0 xxxxx 0 xxxx`, [n, uimm(16, 5, "hex"), nzcv, cond(12)]),
      );
    }
    const p = (op: string, o2: string): string => `${sf}${op}0 11010100 xxxxx xxxx 0 ${o2} xxxxx xxxxx`;
    const same = (i: number): boolean => fld(i, 5, 5) === fld(i, 16, 5);
    const notAl = (i: number): boolean => fld(i, 13, 3) !== 7;
    const both31 = (i: number): boolean => fld(i, 5, 5) === 31 && fld(i, 16, 5) === 31;
    const rnrm = gprDup([5, 16], r);
    const z = `${sf}00 11010100 11111 xxxx 0 1 11111 xxxxx`;
    const zm = `${sf}10 11010100 11111 xxxx 0 0 11111 xxxxx`;
    out.push(
      form("cset", z, [d, cond(12, true)], { when: notAl }),
      form("cinc", p("0", "1"), [d, rnrm, cond(12, true)], { when: (i) => same(i) && notAl(i) && !both31(i) }),
      form("csinc", p("0", "1"), [d, n, m, cond(12)]),
      form("csetm", zm, [d, cond(12, true)], { when: notAl }),
      form("cinv", p("1", "0"), [d, rnrm, cond(12, true)], { when: (i) => same(i) && notAl(i) && !both31(i) }),
      form("csinv", p("1", "0"), [d, n, m, cond(12)]),
      form("cneg", p("1", "1"), [d, rnrm, cond(12, true)], { when: (i) => same(i) && notAl(i) }),
      form("csneg", p("1", "1"), [d, n, m, cond(12)]),
      form("csel", p("0", "0"), [d, n, m, cond(12)]),
    );
  }
  return out;
}

// ---- data processing 1/2/3 source ----

function dp1(): Form[] {
  const out: Form[] = [];
  const ops: ReadonlyArray<readonly [string, string, string]> = [
    ["rbit", "0", "000000"], ["rev16", "0", "000001"], ["rev", "0", "000010"], ["clz", "0", "000100"], ["cls", "0", "000101"],
    ["rbit", "1", "000000"], ["rev16", "1", "000001"], ["rev32", "1", "000010"], ["rev", "1", "000011"], ["clz", "1", "000100"], ["cls", "1", "000101"],
    ["rev64", "1", "000011"],
  ];
  for (const [mn, sf, opc] of ops) {
    const r: GprSize = sf === "1" ? "x" : "w";
    out.push(
      form(mn, `${sf}1011010110 00000 ${opc} xxxxx xxxxx`, [gpr(0, r), gpr(5, r)], mn === "rev64" ? { only: "asm" } : {}),
    );
  }
  return out;
}

function dp2(): Form[] {
  const out: Form[] = [];
  for (const [sf, r] of SIZES) {
    const o = [gpr(0, r), gpr(5, r), gpr(16, r)];
    const p = (opc: string): string => `${sf}0011010110 xxxxx ${opc} xxxxx xxxxx`;
    out.push(form("udiv", p("000010"), o), form("sdiv", p("000011"), o));
    const shifts: ReadonlyArray<readonly [string, string]> = [["lsl", "00"], ["lsr", "01"], ["asr", "10"], ["ror", "11"]];
    for (const [mn, op2] of shifts) {
      out.push(form(mn, p(`0010${op2}`), o), form(`${mn}v`, p(`0010${op2}`), o, { only: "asm" }));
    }
  }
  const crc: ReadonlyArray<readonly [string, string, string]> = [["b", "0", "00"], ["h", "0", "01"], ["w", "0", "10"], ["x", "1", "11"]];
  for (const c of ["", "c"]) {
    for (const [suf, sf, sz] of crc) {
      out.push(
        form(`crc32${c}${suf}`, `${sf}0011010110 xxxxx 010${c ? "1" : "0"}${sz} xxxxx xxxxx`, [
          gpr(0, "w"),
          gpr(5, "w"),
          gpr(16, sf === "1" ? "x" : "w"),
        ]),
      );
    }
  }
  return out;
}

function dp3(): Form[] {
  const out: Form[] = [];
  for (const [sf, r] of SIZES) {
    const p = (op31: string, o0: string, ra = "xxxxx"): string => `${sf}0011011 ${op31} xxxxx ${o0} ${ra} xxxxx xxxxx`;
    const d = gpr(0, r);
    out.push(
      form("mul", p("000", "0", "11111"), [d, gpr(5, r), gpr(16, r)]),
      form("madd", p("000", "0"), [d, gpr(5, r), gpr(16, r), gpr(10, r)]),
      form("mneg", p("000", "1", "11111"), [d, gpr(5, r), gpr(16, r)]),
      form("msub", p("000", "1"), [d, gpr(5, r), gpr(16, r), gpr(10, r)]),
    );
  }
  const wide: ReadonlyArray<readonly [string, string, string, string]> = [
    ["smull", "smaddl", "001", "0"], ["smnegl", "smsubl", "001", "1"],
    ["umull", "umaddl", "101", "0"], ["umnegl", "umsubl", "101", "1"],
  ];
  for (const [alias, mn, op31, o0] of wide) {
    const p = (ra: string): string => `10011011 ${op31} xxxxx ${o0} ${ra} xxxxx xxxxx`;
    out.push(
      form(alias, p("11111"), [gpr(0, "x"), gpr(5, "w"), gpr(16, "w")]),
      form(mn, p("xxxxx"), [gpr(0, "x"), gpr(5, "w"), gpr(16, "w"), gpr(10, "x")]),
    );
  }
  // SMULH/UMULH: Ra is should-be-one; assemble it as 11111, disassemble whatever is there
  for (const [mn, u] of [["smulh", "0"], ["umulh", "1"]] as const) {
    const o = [gpr(0, "x"), gpr(5, "x"), gpr(16, "x")];
    out.push(
      form(mn, `10011011 ${u}10 xxxxx 0 11111 xxxxx xxxxx`, o, { only: "asm" }),
      form(mn, `10011011 ${u}10 xxxxx 0 xxxxx xxxxx xxxxx`, o, { only: "dis" }),
    );
  }
  return out;
}

export function dataProcessingForms(): Form[] {
  return [
    form("adr", "0 xx 10000 xxxxxxxxxxxxxxxxxxx xxxxx", [gpr(0, "x"), adrTarget(false)]),
    form("adrp", "1 xx 10000 xxxxxxxxxxxxxxxxxxx xxxxx", [gpr(0, "x"), adrTarget(true)]),
    ...addSubImm(),
    ...moveWide(), // before logicalImm: mov (bitmask immediate) is preferred over orr
    ...logicalImm(),
    ...bitfield(),
    ...extract(),
    ...logicalReg(),
    ...addSubReg(),
    ...condOps(),
    ...dp1(),
    ...dp2(),
    ...dp3(),
  ];
}

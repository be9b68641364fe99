/** Operand kinds shared by many instruction classes. */
import { type EncCtx, type EncResult, type OpKind, fld } from "./form.js";
import type { Operand } from "./operand.js";
import { COND_NAMES, parseCond } from "./sys-ops.js";

export const hex = (v: number | bigint): string => `#0x${v.toString(16)}`;
export const dec = (v: number | bigint): string => `#${v.toString()}`;

/** Generic kind from two functions. */
export function K(
  enc: (op: Operand | undefined, c: EncCtx) => EncResult,
  dec: (i: number, pc: bigint) => string | null,
  opt = false,
): OpKind {
  return opt ? { enc, dec, opt } : { enc, dec };
}

export type GprSize = "x" | "w";

/** General-purpose register in [lsb+4:lsb]; register 31 is SP (mode "sp") or ZR (mode "zr"). */
export function gpr(lsb: number, size: GprSize, mode: "sp" | "zr" = "zr"): OpKind {
  return K(
    (op) => {
      if (op?.k !== "reg" || op.cls !== size) return `expected ${size === "x" ? "an X" : "a W"} register`;
      if (op.n === 31 && op.sp !== (mode === "sp")) return mode === "sp" ? `${size}zr not allowed here` : "sp not allowed here";
      return op.n << lsb;
    },
    (i) => {
      const n = fld(i, lsb, 5);
      if (n === 31) return mode === "sp" ? (size === "x" ? "sp" : "wsp") : `${size}zr`;
      return `${size}${n}`;
    },
  );
}

/** Same register encoded in two fields (Rt2 = Rt for CASP pairs etc. is not this; this is for aliases with Rn == Rm). */
export function gprDup(lsbs: readonly number[], size: GprSize, mode: "sp" | "zr" = "zr"): OpKind {
  const first = gpr(lsbs[0]!, size, mode);
  return K(
    (op, c) => {
      const r = first.enc(op, c);
      if (typeof r === "string") return r;
      const n = (r >>> lsbs[0]!) & 31;
      let bits = 0;
      for (const l of lsbs) bits |= n << l;
      return bits;
    },
    (i, pc) => first.dec(i, pc),
  );
}

/** Scalar FP/SIMD register (b/h/s/d/q) in [lsb+4:lsb]. */
export function fpr(lsb: number, cls: "b" | "h" | "s" | "d" | "q"): OpKind {
  return K(
    (op) => (op?.k === "reg" && op.cls === cls ? op.n << lsb : `expected a ${cls} register`),
    (i) => `${cls}${fld(i, lsb, 5)}`,
  );
}

/** Vector register with a fixed arrangement, e.g. v3.16b. */
export function vec(lsb: number, arr: string): OpKind {
  return K(
    (op) => (op?.k === "vreg" && op.arr === arr ? op.n << lsb : `expected v register with arrangement .${arr}`),
    (i) => `v${fld(i, lsb, 5)}.${arr}`,
  );
}

/** Vector element v<n>.<el>[idx]; idx bits are placed by `place`, decoded by `get`. */
export function velem(lsb: number, el: string, maxIdx: number, place: (idx: number) => number, get: (i: number) => number): OpKind {
  return K(
    (op) => {
      if (op?.k !== "vreg" || op.el !== el || op.idx === undefined) return `expected element v<n>.${el}[i]`;
      if (op.idx > maxIdx) return `element index ${op.idx} out of range 0..${maxIdx}`;
      return (op.n << lsb) | place(op.idx);
    },
    (i) => `v${fld(i, lsb, 5)}.${el}[${get(i)}]`,
  );
}

/** Evaluate an immediate operand that may be written with or without '#'. */
export function immVal(op: Operand | undefined, c: EncCtx, reloc?: readonly string[]): bigint | string {
  return c.value(op, reloc ? { bare: true, reloc } : { bare: true });
}

/** Unsigned immediate field printed in hex or decimal. */
export function uimm(lsb: number, width: number, style: "hex" | "dec" = "hex", opt = false, dflt = 0): OpKind {
  return K(
    (op, c) => {
      if (op === undefined) return opt ? dflt << lsb : "missing immediate";
      const v = immVal(op, c);
      if (typeof v === "string") return v;
      if (v < 0n || v >= 1n << BigInt(width)) return `immediate ${v} out of range 0..${(1 << width) - 1}`;
      return Number(v) << lsb;
    },
    (i) => {
      const v = fld(i, lsb, width);
      if (opt && v === dflt) return "";
      return style === "hex" ? hex(v) : dec(v);
    },
    opt,
  );
}

/** Condition code field. invert: printed/parsed condition is the inverse of the encoded one (cset etc.). */
export function cond(lsb: number, invert = false): OpKind {
  return K(
    (op) => {
      const name = op?.k === "imm" && !op.hash && op.e.t === "sym" ? op.e.name : undefined;
      const cc = name === undefined ? undefined : parseCond(name);
      if (cc === undefined) return "expected a condition code";
      if (invert && cc >= 14) return "condition al/nv not allowed here";
      return (invert ? cc ^ 1 : cc) << lsb;
    },
    (i) => {
      const cc = fld(i, lsb, 4);
      return COND_NAMES[invert ? cc ^ 1 : cc]!;
    },
  );
}

/** PC-relative target: signed field of `width` bits at lsb, scaled by 1<<scale. */
export function label(lsb: number, width: number, scale: number): OpKind {
  return K(
    (op, c) => {
      if (op === undefined) return "missing target";
      const v = immVal(op, c);
      if (typeof v === "string") return v;
      const delta = BigInt.asIntN(64, v - c.pc);
      if (delta & ((1n << BigInt(scale)) - 1n)) return `target not ${1 << scale}-byte aligned`;
      const q = delta >> BigInt(scale);
      const lim = 1n << BigInt(width - 1);
      if (q < -lim || q >= lim) return `target out of range`;
      return (Number(BigInt.asUintN(width, q)) << lsb) >>> 0;
    },
    (i, pc) => {
      const raw = fld(i, lsb, width);
      const sx = BigInt.asIntN(width, BigInt(raw)) << BigInt(scale);
      return `0x${BigInt.asUintN(64, pc + sx).toString(16)}`;
    },
  );
}

/** Shift operand for shifted-register forms: shift type at [23:22], amount at [15:10]. */
export function regShift(datasize: 32 | 64, allowRor: boolean): OpKind {
  const names = ["lsl", "lsr", "asr", "ror"];
  return K(
    (op, c) => {
      if (op === undefined) return 0;
      if (op.k !== "shift") return "expected a shift";
      const t = names.indexOf(op.op);
      if (t < 0 || (t === 3 && !allowRor)) return `shift ${op.op} not allowed here`;
      if (op.amt === undefined) return "missing shift amount";
      const v = c.value({ k: "imm", e: op.amt, hash: true, text: "" });
      if (typeof v === "string") return v;
      if (v < 0n || v >= BigInt(datasize)) return `shift amount ${v} out of range`;
      return (t << 22) | (Number(v) << 10);
    },
    (i) => {
      const t = fld(i, 22, 2);
      const a = fld(i, 10, 6);
      if (t === 3 && !allowRor) return null;
      if (a >= datasize) return null;
      if (t === 0 && a === 0) return "";
      return `${names[t]} #${a}`;
    },
    true,
  );
}


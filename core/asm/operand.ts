/**
 * Operand syntax of GNU as for A64: registers, immediates, memory references,
 * register lists, shifts/extends and bare expressions (labels, condition
 * codes, barrier options, system register names).
 */
import { type Expr, ExprError, parseExpr } from "./expr.js";

/** General-purpose / scalar FP register class as written. */
export type RegClass = "x" | "w" | "b" | "h" | "s" | "d" | "q";

export type Operand =
  /** n = 31 with sp=true means sp/wsp, with sp=false means xzr/wzr. */
  | { readonly k: "reg"; readonly cls: RegClass; readonly n: number; readonly sp: boolean }
  /** v<n>, v<n>.<arr>, v<n>.<el>, v<n>.<el>[idx] */
  | { readonly k: "vreg"; readonly n: number; readonly arr?: string; readonly el?: string; readonly idx?: number }
  | { readonly k: "vlist"; readonly regs: readonly number[]; readonly arr: string; readonly idx?: number }
  | { readonly k: "imm"; readonly e: Expr; readonly hash: boolean; readonly reloc?: string; readonly text: string }
  | { readonly k: "fimm"; readonly v: number }
  | { readonly k: "lit"; readonly e: Expr; readonly text: string }
  | { readonly k: "shift"; readonly op: string; readonly amt?: Expr }
  | {
      readonly k: "mem";
      readonly base: Operand;
      readonly off?: Operand;
      readonly ext?: Operand;
      readonly wb: boolean;
    };

export class OperandError extends Error {}

/** Split on commas that are not inside [] {} () or quotes. */
export function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  let quote = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      cur += c;
      if (c === "\\") {
        cur += s[++i] ?? "";
      } else if (c === quote) quote = "";
      continue;
    }
    if (c === '"') quote = c;
    if (c === "[" || c === "{" || c === "(") depth++;
    if (c === "]" || c === "}" || c === ")") depth--;
    if (c === "," && depth === 0) {
      out.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  if (cur.trim() !== "" || out.length > 0) out.push(cur.trim());
  return out;
}

const SHIFT_NAMES = new Set([
  "lsl", "lsr", "asr", "ror", "msl",
  "uxtb", "uxth", "uxtw", "uxtx", "sxtb", "sxth", "sxtw", "sxtx",
]);

const ARRANGEMENTS = new Set(["8b", "16b", "4h", "8h", "2s", "4s", "1d", "2d", "1q"]);

/** Parse a register name, or return undefined when `s` is not one. */
export function parseReg(s0: string): Operand | undefined {
  const s = s0.toLowerCase();
  if (s === "sp") return { k: "reg", cls: "x", n: 31, sp: true };
  if (s === "wsp") return { k: "reg", cls: "w", n: 31, sp: true };
  if (s === "xzr") return { k: "reg", cls: "x", n: 31, sp: false };
  if (s === "wzr") return { k: "reg", cls: "w", n: 31, sp: false };
  let m = /^([xwbhsdq])(\d{1,2})$/.exec(s);
  if (m) {
    const n = Number(m[2]);
    const cls = m[1] as RegClass;
    if ((cls === "x" || cls === "w") && n > 30) return undefined;
    if (n > 31) return undefined;
    return { k: "reg", cls, n, sp: false };
  }
  m = /^v(\d{1,2})(?:\.(\w+))?(?:\s*\[\s*(\d+)\s*\])?$/.exec(s);
  if (m) {
    const n = Number(m[1]);
    if (n > 31) return undefined;
    const suf = m[2];
    const idx = m[3] === undefined ? undefined : Number(m[3]);
    if (suf === undefined) return idx === undefined ? { k: "vreg", n } : undefined;
    if (ARRANGEMENTS.has(suf)) return idx === undefined ? { k: "vreg", n, arr: suf } : undefined;
    if (/^[bhsdq]$/.test(suf)) return idx === undefined ? { k: "vreg", n, el: suf } : { k: "vreg", n, el: suf, idx };
    return undefined;
  }
  return undefined;
}

function expr(text: string): Expr {
  return parseExpr(text.trim());
}

function parseImmBody(body: string, hash: boolean, text: string): Operand {
  const b = body.trim();
  const rel = /^:([a-z0-9_]+):(.*)$/i.exec(b);
  if (rel) return { k: "imm", e: expr(rel[2]!), hash, reloc: rel[1]!.toLowerCase(), text };
  // floating-point literal: has a '.', or an exponent, and is not hex
  if (/^[+-]?(\d+\.\d*|\.\d+|\d+)(e[+-]?\d+)?$/i.test(b) && /[.eE]/.test(b) && !/^[+-]?0x/i.test(b)) {
    return { k: "fimm", v: Number(b) };
  }
  return { k: "imm", e: expr(b), hash, text };
}

function parseShift(s: string): Operand | undefined {
  const m = /^([a-z]+)(?:\s+#?(.*))?$/i.exec(s);
  if (!m || !SHIFT_NAMES.has(m[1]!.toLowerCase())) return undefined;
  const op = m[1]!.toLowerCase();
  const rest = m[2]?.trim();
  if (rest === undefined || rest === "") return { k: "shift", op };
  return { k: "shift", op, amt: expr(rest) };
}

/** Parse one operand (already split at top-level commas). */
export function parseOperand(s0: string): Operand {
  const s = s0.trim();
  if (s === "") throw new OperandError("empty operand");
  try {
    if (s[0] === "[") {
      let wb = false;
      let body = s;
      if (body.endsWith("!")) {
        wb = true;
        body = body.slice(0, -1).trim();
      }
      if (!body.endsWith("]")) throw new OperandError(`missing ']' in '${s}'`);
      const parts = splitTop(body.slice(1, -1));
      const base = parseReg(parts[0] ?? "");
      if (!base || base.k !== "reg") throw new OperandError(`bad base register in '${s}'`);
      if (parts.length > 3) throw new OperandError(`too many parts in '${s}'`);
      const off = parts[1] === undefined ? undefined : parseOperand(parts[1]);
      const ext = parts[2] === undefined ? undefined : parseOperand(parts[2]);
      if (ext && ext.k !== "shift") throw new OperandError(`bad shift/extend in '${s}'`);
      return { k: "mem", base, wb, ...(off ? { off } : {}), ...(ext ? { ext } : {}) };
    }
    if (s[0] === "{") {
      const close = s.indexOf("}");
      if (close < 0) throw new OperandError(`missing '}' in '${s}'`);
      const inner = s.slice(1, close).trim();
      const after = s.slice(close + 1).trim();
      let idx: number | undefined;
      if (after !== "") {
        const m = /^\[\s*(\d+)\s*\]$/.exec(after);
        if (!m) throw new OperandError(`bad register list '${s}'`);
        idx = Number(m[1]);
      }
      const regs: number[] = [];
      let arr: string | undefined;
      const items = inner.includes("-") ? inner.split("-") : splitTop(inner);
      const parsed = items.map((it) => {
        const r = parseReg(it.trim());
        if (!r || r.k !== "vreg") throw new OperandError(`bad register '${it.trim()}' in list`);
        return r;
      });
      for (const r of parsed) {
        const a = r.arr ?? r.el;
        if (a === undefined || (arr !== undefined && a !== arr)) throw new OperandError(`inconsistent register list '${s}'`);
        arr = a;
      }
      if (inner.includes("-")) {
        if (parsed.length !== 2) throw new OperandError(`bad register range '${s}'`);
        const a = parsed[0]!.n;
        const b = parsed[1]!.n;
        const count = ((b - a + 32) % 32) + 1;
        for (let i = 0; i < count; i++) regs.push((a + i) % 32);
      } else {
        for (const r of parsed) regs.push(r.n);
      }
      for (let i = 1; i < regs.length; i++) {
        if (regs[i] !== (regs[i - 1]! + 1) % 32) throw new OperandError(`registers in list must be consecutive: '${s}'`);
      }
      if (regs.length < 1 || regs.length > 4 || arr === undefined) throw new OperandError(`bad register list '${s}'`);
      return idx === undefined ? { k: "vlist", regs, arr } : { k: "vlist", regs, arr, idx };
    }
    if (s[0] === "#") return parseImmBody(s.slice(1), true, s);
    if (s[0] === "=") return { k: "lit", e: expr(s.slice(1)), text: s };
    if (s[0] === ":") return parseImmBody(s, false, s);
    const r = parseReg(s);
    if (r) return r;
    const sh = parseShift(s);
    if (sh) return sh;
    if (/^[+-]?(\d+\.\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return { k: "fimm", v: Number(s) };
    return { k: "imm", e: expr(s), hash: false, text: s };
  } catch (e) {
    if (e instanceof ExprError) throw new OperandError(e.message);
    throw e;
  }
}

/** The identifier a bare operand names (condition code, barrier option, sysreg...), lowercased. */
export function identOf(op: Operand): string | undefined {
  if (op.k === "imm" && !op.hash && op.reloc === undefined && op.e.t === "sym") return op.e.name.toLowerCase();
  if (op.k === "reg") {
    // names like "c7" "s3_..." never parse as registers, but b0/h1... may collide with nothing we use
    return undefined;
  }
  return undefined;
}

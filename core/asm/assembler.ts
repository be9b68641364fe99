/**
 * Two-pass A64 assembler with GNU as syntax. Pass 1 sizes every statement
 * and places labels; pass 2 encodes, checking that nothing moved. Sections
 * .text and .data are laid out text first, then data (16-byte aligned, or
 * more if the data section asks for it).
 */
import { AsmError } from "./errors.js";
import { type Expr, ExprError, evalExpr, exprSymbols, parseExpr } from "./expr.js";
import type { EncCtx, Form } from "./form.js";
import { type Operand, OperandError, parseOperand, splitTop } from "./operand.js";
import { FORMS_BY_MNEMONIC } from "./table.js";

export { AsmError } from "./errors.js";

export interface AssembleResult {
  bytes: Uint8Array;
  symbols: Map<string, bigint>;
  /** The named labels (not numeric locals, not .equ), by address, for symbol tables (elf.ts). */
  labels: AsmLabel[];
}

/**
 * A label: `data` when the first statement after it that lays out bytes is a
 * data directive (.quad, .space, .asciz...), else `code`; its size runs to
 * the next label of its section or the section's end.
 */
export interface AsmLabel {
  name: string;
  address: bigint;
  kind: "code" | "data";
  size: number;
}

export interface AssembleOptions {
  baseAddress?: bigint;
}

type SectionName = "text" | "data";

interface Section {
  bytes: number[];
  /** literal pool entries waiting for .ltorg or the end of the section */
  pending: PoolEntry[];
  maxAlign: number;
}

interface PoolEntry {
  readonly id: number;
  readonly key: string;
  readonly e: Expr;
  readonly size: number;
  readonly line: number;
}

/** Where a label or pool entry was placed in pass 1: section-relative. */
interface Place {
  readonly sec: SectionName;
  readonly off: number;
}

interface Statement {
  readonly line: number;
  readonly labels: readonly string[];
  readonly op: string;
  readonly args: string;
}

const NOP = 0xd503201f;

/** Remove comments (// and C-style), keeping line numbers; split on newlines and ';'. */
function statements(source: string): Statement[] {
  const out: Statement[] = [];
  const lines = source.split("\n");
  let inBlock = false;
  for (let ln = 0; ln < lines.length; ln++) {
    const raw = lines[ln]!;
    let text = "";
    let quote = false;
    const pieces: string[] = [];
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i]!;
      if (inBlock) {
        if (c === "*" && raw[i + 1] === "/") {
          inBlock = false;
          i++;
          text += " ";
        }
        continue;
      }
      if (quote) {
        text += c;
        if (c === "\\") text += raw[++i] ?? "";
        else if (c === '"') quote = false;
        continue;
      }
      if (c === '"') {
        quote = true;
        text += c;
        continue;
      }
      if (c === "/" && raw[i + 1] === "/") break;
      if (c === "/" && raw[i + 1] === "*") {
        inBlock = true;
        i++;
        continue;
      }
      if (c === ";") {
        pieces.push(text);
        text = "";
        continue;
      }
      text += c;
    }
    pieces.push(text);
    for (const p of pieces) {
      let s = p.trim();
      if (s === "" || s.startsWith("#")) continue;
      const labels: string[] = [];
      for (;;) {
        const m = /^([A-Za-z_.$][A-Za-z0-9_.$]*|\d+)\s*:(?!:)\s*/.exec(s);
        if (!m) break;
        labels.push(m[1]!);
        s = s.slice(m[0].length);
      }
      const m = /^(\S+)\s*(.*)$/.exec(s);
      const op = m ? m[1]! : "";
      let args = m ? m[2]! : "";
      let opName = op;
      // "name = expr" is .set
      const eq = /^([A-Za-z_.$][A-Za-z0-9_.$]*)\s*=\s*(.+)$/.exec(s);
      if (eq && !s.startsWith(".")) {
        opName = ".set";
        args = `${eq[1]}, ${eq[2]}`;
      }
      out.push({ line: ln + 1, labels, op: opName, args });
    }
  }
  return out;
}

function parseString(s: string, line: number): number[] {
  const t = s.trim();
  if (!t.startsWith('"') || !t.endsWith('"') || t.length < 2) throw new AsmError(line, `expected a string, got '${s}'`);
  const out: number[] = [];
  const body = t.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== "\\") {
      const code = c.codePointAt(0)!;
      if (code > 0x7f) {
        for (const b of new TextEncoder().encode(c)) out.push(b);
      } else out.push(code);
      continue;
    }
    const n = body[++i];
    if (n === undefined) throw new AsmError(line, "bad escape at end of string");
    const simple: Record<string, number> = { n: 10, t: 9, r: 13, b: 8, f: 12, v: 11, a: 7, "\\": 92, '"': 34, "'": 39 };
    if (simple[n] !== undefined) out.push(simple[n]);
    else if (n === "x") {
      const m = /^[0-9a-fA-F]{1,2}/.exec(body.slice(i + 1));
      if (!m) throw new AsmError(line, "bad \\x escape");
      out.push(parseInt(m[0], 16));
      i += m[0].length;
    } else if (/[0-7]/.test(n)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i))!;
      out.push(parseInt(m[0], 8) & 0xff);
      i += m[0].length - 1;
    } else throw new AsmError(line, `unknown escape \\${n}`);
  }
  return out;
}

const DATA_SIZES: Readonly<Record<string, number>> = {
  ".byte": 1, ".hword": 2, ".short": 2, ".2byte": 2, ".word": 4, ".long": 4, ".int": 4, ".4byte": 4,
  ".quad": 8, ".xword": 8, ".dword": 8, ".8byte": 8,
};

const IGNORED = new Set([
  ".global", ".globl", ".local", ".weak", ".hidden", ".type", ".size", ".file", ".ident", ".arch", ".cpu",
  ".arch_extension", ".p2alignw", ".end", ".protected", ".loc", ".previous",
]);

/** Directives that lay out nothing of their own: a label before them names what follows. */
const TRANSPARENT = new Set([...IGNORED, ".align", ".p2align", ".balign", ".equ", ".set", ".equiv", ".text", ".data", ".bss", ".rodata", ".section"]);
const DATA_OPS = new Set([...Object.keys(DATA_SIZES), ".ascii", ".asciz", ".string", ".skip", ".space", ".zero", ".ltorg", ".pool"]);

interface PassState {
  readonly pass: 1 | 2;
  sec: SectionName;
  readonly sections: Record<SectionName, Section>;
  /** local label definitions seen so far, by number */
  readonly localCount: Map<string, number>;
  poolCounter: number;
}

/** Assembles A64 source in GNU as syntax. */
export function assemble(source: string, opts: AssembleOptions = {}): AssembleResult {
  const base = opts.baseAddress ?? 0n;
  const stmts = statements(source);
  const labelPlace = new Map<string, Place>();
  const poolPlace = new Map<number, Place>();
  const equs = new Map<string, bigint>();
  /** Section offset where each named label's content ends (before any alignment padding after it). */
  const contentEnd = new Map<string, number>();
  let sectionBase: Record<SectionName, bigint> = { text: base, data: base };

  const addrOf = (p: Place): bigint => sectionBase[p.sec] + BigInt(p.off);
  const lookup = (name: string): bigint | undefined => {
    const e = equs.get(name);
    if (e !== undefined) return e;
    const p = labelPlace.get(name);
    return p === undefined ? undefined : addrOf(p);
  };

  const runPass = (pass: 1 | 2): PassState => {
    const st: PassState = {
      pass,
      sec: "text",
      sections: { text: { bytes: [], pending: [], maxAlign: 4 }, data: { bytes: [], pending: [], maxAlign: 16 } },
      localCount: new Map(),
      poolCounter: 0,
    };
    if (pass === 2) equs.clear();
    let open: string[] = []; // named labels whose content the statements so far lay out
    for (const s of stmts) {
      for (const l of s.labels) defineLabel(st, s.line, l);
      const named = s.labels.filter((l) => !/^\d+$/.test(l));
      if (named.length > 0) open = named;
      if (s.op === "") continue;
      statement(st, s);
      if (pass === 2 && !TRANSPARENT.has(s.op) && !s.op.startsWith(".cfi_")) {
        for (const l of open) if (labelPlace.get(l)?.sec === st.sec) contentEnd.set(l, st.sections[st.sec].bytes.length);
      }
    }
    for (const name of ["text", "data"] as const) flushPool(st, name);
    return st;
  };

  const here = (st: PassState): Place => ({ sec: st.sec, off: st.sections[st.sec].bytes.length });
  const dot = (st: PassState): bigint => addrOf(here(st));

  const defineLabel = (st: PassState, line: number, l: string): void => {
    let name = l;
    if (/^\d+$/.test(l)) {
      const n = st.localCount.get(l) ?? 0;
      st.localCount.set(l, n + 1);
      name = `\u0001${l}#${n}\u0001`;
    }
    const p = here(st);
    if (st.pass === 1) {
      if (labelPlace.has(name) || equs.has(name)) throw new AsmError(line, `symbol '${l}' is already defined`);
      labelPlace.set(name, p);
    } else {
      const old = labelPlace.get(name);
      if (!old || old.off !== p.off || old.sec !== p.sec) {
        throw new AsmError(line, `label '${l}' moved between passes (a size depends on a forward reference)`);
      }
    }
  };

  /** Rewrite 1b / 1f references into the unique local label names. */
  const localRefs = (st: PassState, text: string): string =>
    text.replace(/(?<![\w.$])(\d+)([bf])(?![\w.$])/g, (_m, n: string, dir: string) => {
      const cnt = st.localCount.get(n) ?? 0;
      const k = dir === "b" ? cnt - 1 : cnt;
      return `\u0001${n}#${k}\u0001`;
    });

  const expr = (line: number, text: string): Expr => {
    try {
      return parseExpr(text.trim());
    } catch (e) {
      if (e instanceof ExprError) throw new AsmError(line, e.message);
      throw e;
    }
  };

  const evalAt = (st: PassState, line: number, e: Expr): bigint => {
    try {
      return evalExpr(e, lookup, dot(st));
    } catch (err) {
      if (err instanceof ExprError) throw new AsmError(line, err.message);
      throw err;
    }
  };

  const emit = (st: PassState, bytes: readonly number[]): void => {
    const b = st.sections[st.sec].bytes;
    for (const x of bytes) b.push(x & 0xff);
  };
  const le = (v: bigint, size: number): number[] => {
    const out: number[] = [];
    for (let i = 0; i < size; i++) out.push(Number((v >> BigInt(8 * i)) & 0xffn));
    return out;
  };

  const alignTo = (st: PassState, line: number, n: number, fill?: number): void => {
    if (n <= 0 || (n & (n - 1)) !== 0) throw new AsmError(line, `alignment ${n} is not a power of two`);
    const sec = st.sections[st.sec];
    sec.maxAlign = Math.max(sec.maxAlign, n);
    while (sec.bytes.length % n !== 0) {
      if (fill === undefined && st.sec === "text" && sec.bytes.length % 4 === 0 && n >= 4) emit(st, le(BigInt(NOP), 4));
      else emit(st, [fill ?? 0]);
    }
  };

  const flushPool = (st: PassState, name: SectionName): void => {
    const sec = st.sections[name];
    if (sec.pending.length === 0) return;
    const saved = st.sec;
    st.sec = name;
    const maxSize = Math.max(...sec.pending.map((p) => p.size));
    alignTo(st, sec.pending[0]!.line, maxSize, 0);
    for (const p of sec.pending) {
      alignTo(st, p.line, p.size, 0);
      const place = here(st);
      if (st.pass === 1) poolPlace.set(p.id, place);
      else {
        const old = poolPlace.get(p.id);
        if (!old || old.off !== place.off || old.sec !== place.sec) throw new AsmError(p.line, "literal pool moved between passes");
      }
      const v = st.pass === 2 ? evalAt(st, p.line, p.e) : 0n;
      if (st.pass === 2) checkRange(p.line, v, p.size);
      emit(st, le(BigInt.asUintN(p.size * 8, v), p.size));
    }
    sec.pending = [];
    st.sec = saved;
  };

  const checkRange = (line: number, v: bigint, size: number): void => {
    const bits = BigInt(size * 8);
    if (v < -(1n << (bits - 1n)) || v >= 1n << bits) throw new AsmError(line, `value ${v} does not fit in ${size} byte(s)`);
  };

  const statement = (st: PassState, s: Statement): void => {
    const op = s.op.toLowerCase();
    const line = s.line;
    if (op.startsWith(".") && !FORMS_BY_MNEMONIC.has(op)) {
      directive(st, s, op);
      return;
    }
    instruction(st, line, op, localRefs(st, s.args));
  };

  const directive = (st: PassState, s: Statement, op: string): void => {
    const line = s.line;
    const args = s.args.trim();
    const size = DATA_SIZES[op];
    if (size !== undefined || op === ".inst") {
      const sz = size ?? 4;
      if (op === ".inst") alignTo(st, line, 4);
      for (const a of splitTop(localRefs(st, args))) {
        if (a === "") throw new AsmError(line, `empty value in ${op}`);
        if (st.pass === 1) emit(st, new Array<number>(sz).fill(0));
        else {
          const v = evalAt(st, line, expr(line, a));
          checkRange(line, v, sz);
          emit(st, le(BigInt.asUintN(sz * 8, v), sz));
        }
      }
      return;
    }
    switch (op) {
      case ".text":
        st.sec = "text";
        return;
      case ".data":
      case ".bss":
      case ".rodata":
        st.sec = "data";
        return;
      case ".section": {
        const name = (splitTop(args)[0] ?? "").trim();
        if (name === ".text" || name.startsWith(".text.")) st.sec = "text";
        else if (/^\.(data|rodata|bss)(\.|$)/.test(name)) st.sec = "data";
        else throw new AsmError(line, `unsupported section '${name}' (use .text, .data, .rodata or .bss)`);
        return;
      }
      case ".ascii":
      case ".asciz":
      case ".string":
        for (const a of splitTop(args)) {
          emit(st, parseString(a, line));
          if (op !== ".ascii") emit(st, [0]);
        }
        return;
      case ".skip":
      case ".space":
      case ".zero": {
        const parts = splitTop(localRefs(st, args));
        const n = evalAt(st, line, expr(line, parts[0] ?? ""));
        if (n < 0n || n > 1n << 28n) throw new AsmError(line, `bad size ${n} for ${op}`);
        const fill = parts[1] === undefined ? 0n : evalAt(st, line, expr(line, parts[1]));
        emit(st, new Array<number>(Number(n)).fill(Number(fill & 0xffn)));
        return;
      }
      case ".align":
      case ".p2align":
      case ".balign": {
        const parts = splitTop(args);
        const n = Number(evalAt(st, line, expr(line, parts[0] ?? "")));
        const fill = parts[1] === undefined || parts[1] === "" ? undefined : Number(evalAt(st, line, expr(line, parts[1])) & 0xffn);
        if (op === ".balign") alignTo(st, line, n, fill);
        else {
          if (n < 0 || n > 16) throw new AsmError(line, `alignment 2^${n} out of range`);
          alignTo(st, line, 1 << n, fill);
        }
        return;
      }
      case ".org": {
        const parts = splitTop(localRefs(st, args));
        const e = expr(line, parts[0] ?? "");
        let v = evalAt(st, line, e);
        const rel = exprSymbols(e).length > 0 || usesDot(e);
        if (rel) v -= sectionBase[st.sec];
        const cur = BigInt(st.sections[st.sec].bytes.length);
        if (v < cur) throw new AsmError(line, `.org moves backwards (to offset ${v}, already at ${cur})`);
        const fill = parts[1] === undefined ? 0 : Number(evalAt(st, line, expr(line, parts[1])) & 0xffn);
        emit(st, new Array<number>(Number(v - cur)).fill(fill));
        return;
      }
      case ".equ":
      case ".set":
      case ".equiv": {
        const parts = splitTop(localRefs(st, args));
        const name = (parts[0] ?? "").trim();
        if (!/^[A-Za-z_.$][A-Za-z0-9_.$]*$/.test(name) || parts.length !== 2) throw new AsmError(line, `bad ${op}: expected 'name, value'`);
        if (labelPlace.has(name)) throw new AsmError(line, `symbol '${name}' is already defined as a label`);
        if (op === ".equiv" && st.pass === 1 && equs.has(name)) throw new AsmError(line, `symbol '${name}' is already defined`);
        const e = expr(line, parts[1]!);
        if (st.pass === 1) {
          try {
            equs.set(name, evalExpr(e, lookup, dot(st)));
          } catch (err) {
            if (!(err instanceof ExprError)) throw err;
          }
        } else equs.set(name, evalAt(st, line, e));
        return;
      }
      case ".ltorg":
      case ".pool":
        flushPool(st, st.sec);
        return;
      default:
        if (IGNORED.has(op) || op.startsWith(".cfi_")) return;
        throw new AsmError(line, `unknown directive '${s.op}'`);
    }
  };

  const instruction = (st: PassState, line: number, mn: string, args: string): void => {
    const sec = st.sections[st.sec];
    if (sec.bytes.length % 4 !== 0) throw new AsmError(line, "instruction is not 4-byte aligned (add .align 2)");
    const pc = dot(st);
    let ops: Operand[];
    try {
      ops = args.trim() === "" ? [] : splitTop(args).map(parseOperand);
    } catch (e) {
      if (e instanceof OperandError) throw new AsmError(line, e.message);
      throw e;
    }
    // ldr <reg>, =value: allocate a literal pool entry and load it PC-relative
    const lit = ops[1];
    if (lit?.k === "lit") {
      const r = ops[0];
      if ((mn !== "ldr" && mn !== "ldrsw") || ops.length !== 2 || r?.k !== "reg") throw new AsmError(line, `'=' literal only works with ldr <reg>, =value`);
      const size = mn === "ldrsw" ? 4 : ({ x: 8, w: 4, s: 4, d: 8, q: 16, b: 0, h: 0 } as const)[r.cls];
      if (!size || (size === 16 && r.cls !== "q")) throw new AsmError(line, `no literal load for ${r.cls} registers`);
      const key = `${size}:${lit.text}`;
      let entry = sec.pending.find((p) => p.key === key);
      if (!entry) {
        entry = { id: st.poolCounter++, key, e: lit.e, size, line };
        sec.pending.push(entry);
      }
      if (st.pass === 1) {
        emit(st, [0, 0, 0, 0]);
        return;
      }
      const place = poolPlace.get(entry.id);
      if (!place) throw new AsmError(line, "internal: literal pool entry not placed");
      ops[1] = { k: "imm", e: { t: "num", v: addrOf(place) }, hash: false, text: "" };
    } else {
      // the pool counter must advance identically in both passes; nothing to do otherwise
    }
    if (st.pass === 1) {
      if (!FORMS_BY_MNEMONIC.has(mn)) throw new AsmError(line, `unknown instruction '${mn}'`);
      emit(st, [0, 0, 0, 0]);
      return;
    }
    const word = encodeInstruction(line, mn, ops, pc);
    emit(st, le(BigInt(word), 4));
  };

  const encodeInstruction = (line: number, mn: string, ops: readonly Operand[], pc: bigint): number => {
    const forms = FORMS_BY_MNEMONIC.get(mn);
    if (!forms) throw new AsmError(line, `unknown instruction '${mn}'`);
    let best = { depth: -1, msg: "invalid operands" };
    const value: EncCtx["value"] = (op, o = {}) => {
      if (op === undefined) return "missing operand";
      if (op.k !== "imm") return op.k === "fimm" ? "expected an integer immediate" : "expected an immediate";
      if (!op.hash && !o.bare) return "expected '#' before the immediate";
      if (op.reloc !== undefined && !(o.reloc ?? []).includes(op.reloc)) return `relocation :${op.reloc}: not allowed here`;
      let v: bigint;
      try {
        v = evalExpr(op.e, lookup, pc);
      } catch (e) {
        if (e instanceof ExprError) return e.message;
        throw e;
      }
      if (op.reloc === "lo12") v = BigInt.asUintN(64, v) & 0xfffn;
      return v;
    };
    for (const f of forms) {
      const r = tryForm(f, ops, pc, value);
      if (typeof r === "number") return r;
      // report the form that got furthest; at equal depth a range/value problem beats a type mismatch
      const score = r.depth * 2 + (r.msg.startsWith("expected") ? 0 : 1);
      if (score > best.depth * 2 + (best.msg.startsWith("expected") ? 0 : 1)) best = r;
    }
    throw new AsmError(line, `${mn}: ${best.msg}`);
  };

  // pass 1: sizes and label places, then lay out sections, then pass 2
  const p1 = runPass(1);
  const textLen = p1.sections.text.bytes.length;
  const dataAlign = BigInt(p1.sections.data.maxAlign);
  const dataStart = ((base + BigInt(textLen) + dataAlign - 1n) / dataAlign) * dataAlign;
  sectionBase = { text: base, data: dataStart };
  const p2 = runPass(2);
  if (p2.sections.text.bytes.length !== textLen) throw new AsmError(stmts.at(-1)?.line ?? 0, "text size changed between passes");
  const data = p2.sections.data.bytes;
  const pad = data.length ? Number(dataStart - base) - textLen : 0;
  const bytes = new Uint8Array(textLen + pad + data.length);
  bytes.set(p2.sections.text.bytes, 0);
  bytes.set(data, textLen + pad);
  const symbols = new Map<string, bigint>();
  for (const [name, p] of labelPlace) if (!name.startsWith("\u0001")) symbols.set(name, addrOf(p));
  for (const [name, v] of equs) symbols.set(name, v);
  return { bytes, symbols, labels: labelList(stmts, labelPlace, addrOf, contentEnd) };
}


function labelList(stmts: readonly Statement[], places: ReadonlyMap<string, Place>, addrOf: (p: Place) => bigint, contentEnd: ReadonlyMap<string, number>): AsmLabel[] {
  const kinds = new Map<string, AsmLabel["kind"]>();
  let pending: string[] = [];
  for (const s of stmts) {
    pending.push(...s.labels.filter((l) => !/^\d+$/.test(l)));
    if (s.op === "" || TRANSPARENT.has(s.op) || s.op.startsWith(".cfi_")) continue;
    for (const l of pending) kinds.set(l, DATA_OPS.has(s.op) ? "data" : "code");
    pending = [];
  }
  const out: AsmLabel[] = [];
  for (const [name, p] of places) {
    if (name.startsWith("\u0001")) continue;
    out.push({ name, address: addrOf(p), kind: kinds.get(name) ?? "data", size: Math.max(0, (contentEnd.get(name) ?? p.off) - p.off) });
  }
  return out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

function tryForm(
  f: Form,
  ops: readonly Operand[],
  pc: bigint,
  value: EncCtx["value"],
): number | { depth: number; msg: string } {
  if (ops.length > f.ops.length) return { depth: f.ops.length, msg: "too many operands" };
  const ctx: EncCtx = { pc, value, v: {} };
  let bits = f.bits;
  for (let k = 0; k < f.ops.length; k++) {
    const kind = f.ops[k]!;
    const op = ops[k];
    if (op === undefined && !kind.opt) return { depth: k, msg: "missing operand" };
    const r = kind.enc(op, ctx);
    if (typeof r === "string") return { depth: k, msg: r };
    bits = (bits | r) >>> 0;
  }
  if (((bits & f.mask) >>> 0) !== f.bits) return { depth: f.ops.length, msg: "operands not valid for this instruction" };
  if (f.check) {
    const m = f.check(bits);
    if (m !== undefined) return { depth: f.ops.length, msg: m };
  }
  return bits;
}

function usesDot(e: Expr): boolean {
  if (e.t === "dot") return true;
  if (e.t === "un") return usesDot(e.a);
  if (e.t === "bin") return usesDot(e.a) || usesDot(e.b);
  return false;
}

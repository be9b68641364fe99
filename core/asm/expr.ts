/**
 * Assembler expressions: integer constants, symbols, `.` (current location),
 * unary - ~ + and binary * / % << >> & | ^ + - with C-like precedence.
 */

export type Expr =
  | { readonly t: "num"; readonly v: bigint }
  | { readonly t: "sym"; readonly name: string }
  | { readonly t: "dot" }
  | { readonly t: "un"; readonly op: string; readonly a: Expr }
  | { readonly t: "bin"; readonly op: string; readonly a: Expr; readonly b: Expr };

/** Thrown by the expression parser; the caller wraps it with the line number. */
export class ExprError extends Error {}

const BIN_PREC: Readonly<Record<string, number>> = {
  "|": 1,
  "^": 2,
  "&": 3,
  "<<": 4,
  ">>": 4,
  "+": 5,
  "-": 5,
  "*": 6,
  "/": 6,
  "%": 6,
};

const SYM_START = /[A-Za-z_.$]/;
const SYM_CHAR = /[A-Za-z0-9_.$]/;

/** Parse a whole string as one expression. */
export function parseExpr(text: string): Expr {
  let pos = 0;
  const s = text;
  const ws = (): void => {
    while (pos < s.length && (s[pos] === " " || s[pos] === "\t")) pos++;
  };
  const primary = (): Expr => {
    ws();
    const c = s[pos];
    if (c === undefined) throw new ExprError(`missing operand in expression '${text}'`);
    if (c === "(") {
      pos++;
      const e = binary(0);
      ws();
      if (s[pos] !== ")") throw new ExprError(`missing ')' in expression '${text}'`);
      pos++;
      return e;
    }
    if (c === "-" || c === "~" || c === "+" || c === "!") {
      pos++;
      return { t: "un", op: c, a: primary() };
    }
    if (c === "'") {
      // character constant 'a' (GNU also accepts a lone 'a)
      const ch = s[pos + 1];
      if (ch === undefined) throw new ExprError(`bad character constant in '${text}'`);
      pos += s[pos + 2] === "'" ? 3 : 2;
      return { t: "num", v: BigInt(ch.charCodeAt(0)) };
    }
    if (c >= "0" && c <= "9") {
      const m = /^(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|[0-9][0-9_]*)/.exec(s.slice(pos));
      if (!m) throw new ExprError(`bad number in '${text}'`);
      const lit = m[1]!;
      // numeric local-label references like 1b / 1f are handled by the caller's rewriting
      pos += lit.length;
      if (pos < s.length && SYM_CHAR.test(s[pos]!)) throw new ExprError(`bad number in '${text}'`);
      const clean = lit.replace(/_/g, "");
      const v = /^0[0-7]+$/.test(clean) && clean.length > 1 ? BigInt("0o" + clean.slice(1)) : BigInt(clean);
      return { t: "num", v };
    }
    if (SYM_START.test(c)) {
      let end = pos + 1;
      while (end < s.length && SYM_CHAR.test(s[end]!)) end++;
      const name = s.slice(pos, end);
      pos = end;
      if (name === ".") return { t: "dot" };
      return { t: "sym", name };
    }
    if (c === "\u0001") {
      // rewritten local label reference: \u0001name\u0001
      const end = s.indexOf("\u0001", pos + 1);
      const name = s.slice(pos, end + 1);
      pos = end + 1;
      return { t: "sym", name };
    }
    throw new ExprError(`unexpected '${c}' in expression '${text}'`);
  };
  const binary = (minPrec: number): Expr => {
    let lhs = primary();
    for (;;) {
      ws();
      const two = s.slice(pos, pos + 2);
      const op = two === "<<" || two === ">>" ? two : (s[pos] ?? "");
      const prec = BIN_PREC[op];
      if (prec === undefined || prec < minPrec) return lhs;
      pos += op.length;
      const rhs = binary(prec + 1);
      lhs = { t: "bin", op, a: lhs, b: rhs };
    }
  };
  const e = binary(0);
  ws();
  if (pos !== s.length) throw new ExprError(`junk '${s.slice(pos)}' after expression`);
  return e;
}

/** Symbol lookup: returns undefined when the symbol is not (yet) defined. */
export type SymLookup = (name: string) => bigint | undefined;

/** Evaluate; throws ExprError naming the first undefined symbol. */
export function evalExpr(e: Expr, lookup: SymLookup, dot: bigint): bigint {
  switch (e.t) {
    case "num":
      return e.v;
    case "dot":
      return dot;
    case "sym": {
      const v = lookup(e.name);
      if (v === undefined) throw new ExprError(`undefined symbol '${displaySym(e.name)}'`);
      return v;
    }
    case "un": {
      const a = evalExpr(e.a, lookup, dot);
      if (e.op === "-") return -a;
      if (e.op === "~") return ~a;
      if (e.op === "!") return a === 0n ? 1n : 0n;
      return a;
    }
    case "bin": {
      const a = evalExpr(e.a, lookup, dot);
      const b = evalExpr(e.b, lookup, dot);
      switch (e.op) {
        case "+":
          return a + b;
        case "-":
          return a - b;
        case "*":
          return a * b;
        case "/":
        case "%":
          if (b === 0n) throw new ExprError("division by zero");
          return e.op === "/" ? a / b : a % b;
        case "<<":
          return b >= 0n && b < 128n ? BigInt.asIntN(128, a << b) : 0n;
        case ">>":
          return b >= 0n ? a >> b : 0n;
        case "&":
          return a & b;
        case "|":
          return a | b;
        default:
          return a ^ b;
      }
    }
  }
}

/** Does the expression mention any symbol other than constants? */
export function exprSymbols(e: Expr, out: string[] = []): string[] {
  if (e.t === "sym") out.push(e.name);
  else if (e.t === "un") exprSymbols(e.a, out);
  else if (e.t === "bin") {
    exprSymbols(e.a, out);
    exprSymbols(e.b, out);
  }
  return out;
}

/** Local numeric labels are stored as \u0001N#k\u0001; show them as the user wrote them. */
export function displaySym(name: string): string {
  const m = /^\u0001(\d+)#\d+\u0001$/.exec(name);
  return m ? `local label ${m[1]}` : name;
}

/**
 * Loads and stores, C4.1.94: register (unsigned offset, unscaled, pre/post
 * index, unprivileged, register offset, literal), pairs (offset, pre/post,
 * non-temporal), exclusive and acquire/release, compare-and-swap, and the
 * v8.1 LSE atomic memory operations with their ST* aliases.
 */
import { type EncCtx, type Form, type OpKind, fld, form } from "./form.js";
import { K, gpr, fpr, immVal, label, type GprSize } from "./kinds.js";
import type { Operand } from "./operand.js";
import { parsePrfop, prfopName } from "./sys-ops.js";

type RegCls = "w" | "x" | "b" | "h" | "s" | "d" | "q";

const rt = (cls: RegCls, lsb = 0): OpKind => (cls === "w" || cls === "x" ? gpr(lsb, cls) : fpr(lsb, cls));

const baseName = (i: number): string => {
  const n = fld(i, 5, 5);
  return n === 31 ? "sp" : `x${n}`;
};

/** Base register of a memory operand: an X register or SP. */
function baseReg(op: Operand & { k: "mem" }): number | string {
  const b = op.base;
  if (b.k !== "reg" || b.cls !== "x" || (b.n === 31 && !b.sp)) return "base register must be an X register or sp";
  return b.n << 5;
}

function offsetValue(off: Operand | undefined, c: EncCtx, reloc?: readonly string[]): bigint | string {
  if (off === undefined) return 0n;
  if (off.k !== "imm") return "expected an immediate offset";
  return c.value(off, reloc ? { bare: true, reloc } : { bare: true });
}

/** [Xn|SP{, #pimm}] — unsigned offset scaled by 1<<scale (imm12 at [21:10]). */
const memUoff = (scale: number): OpKind =>
  K(
    (op, c) => {
      if (op?.k !== "mem" || op.wb || op.ext) return "expected [Xn{, #imm}]";
      const b = baseReg(op);
      if (typeof b === "string") return b;
      const v = offsetValue(op.off, c, ["lo12"]);
      if (typeof v === "string") return v;
      if (v < 0n || (v & ((1n << BigInt(scale)) - 1n)) !== 0n || v >> BigInt(scale) > 4095n) {
        return `offset ${v} must be a multiple of ${1 << scale} in 0..${4095 << scale}`;
      }
      return b | (Number(v >> BigInt(scale)) << 10);
    },
    (i) => {
      const v = fld(i, 10, 12) << scale;
      return v ? `[${baseName(i)}, #${v}]` : `[${baseName(i)}]`;
    },
  );

/** [Xn|SP{, #simm9}] (unscaled / unprivileged) or [Xn|SP, #simm9]! (pre-index). */
const memSimm9 = (pre: boolean): OpKind =>
  K(
    (op, c) => {
      if (op?.k !== "mem" || op.wb !== pre || op.ext) return pre ? "expected [Xn, #imm]!" : "expected [Xn{, #imm}]";
      const b = baseReg(op);
      if (typeof b === "string") return b;
      const v = offsetValue(op.off, c);
      if (typeof v === "string") return v;
      if (v < -256n || v > 255n) return `offset ${v} out of range -256..255`;
      return b | ((Number(v) & 0x1ff) << 12);
    },
    (i) => {
      const v = (fld(i, 12, 9) << 23) >> 23;
      if (pre) return `[${baseName(i)}, #${v}]!`;
      return v ? `[${baseName(i)}, #${v}]` : `[${baseName(i)}]`;
    },
  );

/** [Xn|SP] with nothing else (post-index base, exclusives, atomics). `zeroOk`: also accept [Xn, #0]. */
const memBase = (zeroOk: boolean): OpKind =>
  K(
    (op, c) => {
      if (op?.k !== "mem" || op.wb || op.ext) return "expected [Xn]";
      const b = baseReg(op);
      if (typeof b === "string") return b;
      if (op.off !== undefined) {
        if (!zeroOk) return "expected [Xn] without offset";
        const v = offsetValue(op.off, c);
        if (v !== 0n) return "offset must be 0";
      }
      return b;
    },
    (i) => `[${baseName(i)}]`,
  );

/** Post-index immediate #simm9 at [20:12]. */
const postSimm9: OpKind = K(
  (op, c) => {
    const v = immVal(op, c);
    if (typeof v === "string") return v;
    if (v < -256n || v > 255n) return `offset ${v} out of range -256..255`;
    return (Number(v) & 0x1ff) << 12;
  },
  (i) => `#${(fld(i, 12, 9) << 23) >> 23}`,
);

const EXT_NAMES = ["", "", "uxtw", "lsl", "", "", "sxtw", "sxtx"];

/** [Xn|SP, Rm{, extend {#amount}}] register offset; amount is 0 or scale. */
const memReg = (scale: number): OpKind =>
  K(
    (op, c) => {
      if (op?.k !== "mem" || op.wb) return "expected [Xn, Rm{, extend}]";
      const b = baseReg(op);
      if (typeof b === "string") return b;
      const m = op.off;
      if (m?.k !== "reg" || (m.cls !== "x" && m.cls !== "w") || (m.n === 31 && m.sp)) return "expected an index register";
      let option = 3;
      let s = 0;
      const e = op.ext;
      if (e !== undefined) {
        if (e.k !== "shift") return "expected an extend";
        const idx = EXT_NAMES.indexOf(e.op);
        if (idx < 0 || e.op === "") return `extend ${e.op} not allowed for an index register`;
        option = idx;
        if (e.amt !== undefined) {
          const a = c.value({ k: "imm", e: e.amt, hash: true, text: "" });
          if (typeof a === "string") return a;
          if (a !== 0n && a !== BigInt(scale)) return `shift amount must be 0 or ${scale}`;
          s = 1;
          if (a === 0n && scale !== 0) s = 0;
        } else if (e.op === "lsl") return "lsl needs an amount";
      }
      const needX = (option & 1) === 1;
      if ((m.cls === "x") !== needX) return needX ? "index register must be X for lsl/sxtx" : "index register must be W for uxtw/sxtw";
      return b | (m.n << 16) | (option << 13) | (s << 12);
    },
    (i) => {
      const option = fld(i, 13, 3);
      if ((option & 2) === 0) return null;
      const s = fld(i, 12, 1);
      const mn = fld(i, 16, 5);
      const rm = (option & 1 ? "x" : "w") + (mn === 31 ? "zr" : mn);
      const name = EXT_NAMES[option]!;
      if (option === 3 && !s) return `[${baseName(i)}, ${rm}]`;
      return `[${baseName(i)}, ${rm}, ${name}${s ? ` #${scale}` : ""}]`;
    },
  );

/** Pair addressing: [Xn{, #imm}], [Xn, #imm]!, or [Xn] followed by #imm; imm7 at [21:15] scaled. */
const memPair = (scale: number, mode: "off" | "pre" | "post"): OpKind =>
  K(
    (op, c) => {
      if (op?.k !== "mem" || op.ext || op.wb !== (mode === "pre")) return "bad pair addressing";
      const b = baseReg(op);
      if (typeof b === "string") return b;
      if (mode === "post") {
        if (op.off !== undefined) return "post-index takes [Xn], #imm";
        return b;
      }
      const v = offsetValue(op.off, c);
      if (typeof v === "string") return v;
      const imm = pairImm(v, scale);
      return typeof imm === "string" ? imm : b | imm;
    },
    (i) => {
      if (mode === "post") return `[${baseName(i)}]`;
      const v = ((fld(i, 15, 7) << 25) >> 25) * (1 << scale);
      if (mode === "pre") return `[${baseName(i)}, #${v}]!`;
      return v ? `[${baseName(i)}, #${v}]` : `[${baseName(i)}]`;
    },
  );

function pairImm(v: bigint, scale: number): number | string {
  const unit = 1n << BigInt(scale);
  if (v % unit !== 0n || v / unit < -64n || v / unit > 63n) return `offset ${v} must be a multiple of ${unit} in ${-64n * unit}..${63n * unit}`;
  return (Number(v / unit) & 0x7f) << 15;
}

const postPair = (scale: number): OpKind =>
  K(
    (op, c) => {
      const v = immVal(op, c);
      if (typeof v === "string") return v;
      return pairImm(v, scale);
    },
    (i) => `#${((fld(i, 15, 7) << 25) >> 25) * (1 << scale)}`,
  );

const prfop: OpKind = K(
  (op, c) => {
    if (op?.k === "imm" && !op.hash && op.e.t === "sym") {
      const v = parsePrfop(op.e.name.toLowerCase());
      return v === undefined ? `unknown prefetch operation '${op.e.name}'` : v;
    }
    const v = immVal(op, c);
    if (typeof v === "string") return v;
    if (v < 0n || v > 31n) return "prefetch operation out of range 0..31";
    return Number(v);
  },
  (i) => prfopName(fld(i, 0, 5)) ?? `#0x${fld(i, 0, 5).toString(16).padStart(2, "0")}`,
);

/** (mnemonic, size, V, opc, register class, scale) for single-register loads/stores. */
const SINGLE: ReadonlyArray<readonly [string, number, number, number, RegCls | "prfm", number]> = [
  ["strb", 0, 0, 0, "w", 0], ["ldrb", 0, 0, 1, "w", 0], ["ldrsb", 0, 0, 2, "x", 0], ["ldrsb", 0, 0, 3, "w", 0],
  ["strh", 1, 0, 0, "w", 1], ["ldrh", 1, 0, 1, "w", 1], ["ldrsh", 1, 0, 2, "x", 1], ["ldrsh", 1, 0, 3, "w", 1],
  ["str", 2, 0, 0, "w", 2], ["ldr", 2, 0, 1, "w", 2], ["ldrsw", 2, 0, 2, "x", 2], ["prfm", 3, 0, 2, "prfm", 3],
  ["str", 3, 0, 0, "x", 3], ["ldr", 3, 0, 1, "x", 3],
  ["str", 0, 1, 0, "b", 0], ["ldr", 0, 1, 1, "b", 0], ["str", 1, 1, 0, "h", 1], ["ldr", 1, 1, 1, "h", 1],
  ["str", 2, 1, 0, "s", 2], ["ldr", 2, 1, 1, "s", 2], ["str", 3, 1, 0, "d", 3], ["ldr", 3, 1, 1, "d", 3],
  ["str", 0, 1, 2, "q", 4], ["ldr", 0, 1, 3, "q", 4],
];

const b2 = (v: number, n: number): string => v.toString(2).padStart(n, "0");

function unscaledName(mn: string, kind: "ur" | "tr"): string {
  if (mn === "prfm") return "prfum";
  return mn.replace(/^(st|ld)r/, `$1${kind}`);
}

function singles(): Form[] {
  const out: Form[] = [];
  for (const [mn, size, v, opc, cls, scale] of SINGLE) {
    const t = cls === "prfm" ? prfop : rt(cls);
    const head = `${b2(size, 2)}111${v}`;
    const o = b2(opc, 2);
    out.push(form(mn, `${head}01${o} xxxxxxxxxxxx xxxxx xxxxx`, [t, memUoff(scale)]));
    // GNU picks the unscaled encoding for ldr/str offsets the scaled form cannot express
    out.push(form(mn, `${head}00${o}0 xxxxxxxxx 00 xxxxx xxxxx`, [t, memSimm9(false)], { only: "asm" }));
    out.push(form(unscaledName(mn, "ur"), `${head}00${o}0 xxxxxxxxx 00 xxxxx xxxxx`, [t, memSimm9(false)]));
    if (cls !== "prfm") {
      out.push(
        form(mn, `${head}00${o}0 xxxxxxxxx 11 xxxxx xxxxx`, [t, memSimm9(true)]),
        form(mn, `${head}00${o}0 xxxxxxxxx 01 xxxxx xxxxx`, [t, memBase(false), postSimm9]),
      );
      if (v === 0) out.push(form(unscaledName(mn, "tr"), `${head}00${o}0 xxxxxxxxx 10 xxxxx xxxxx`, [t, memSimm9(false)]));
    }
    out.push(form(mn, `${head}00${o}1 xxxxx xxx x 10 xxxxx xxxxx`, [t, memReg(scale)]));
  }
  // literal (C6.2 LDR (literal), LDRSW (literal), PRFM (literal))
  const lits: ReadonlyArray<readonly [string, string, string, RegCls | "prfm"]> = [
    ["ldr", "00", "0", "w"], ["ldr", "01", "0", "x"], ["ldrsw", "10", "0", "x"], ["prfm", "11", "0", "prfm"],
    ["ldr", "00", "1", "s"], ["ldr", "01", "1", "d"], ["ldr", "10", "1", "q"],
  ];
  for (const [mn, opc, v, cls] of lits) {
    out.push(form(mn, `${opc}011${v}00 xxxxxxxxxxxxxxxxxxx xxxxx`, [cls === "prfm" ? prfop : rt(cls), label(5, 19, 2)]));
  }
  return out;
}

function pairs(): Form[] {
  const out: Form[] = [];
  const list: ReadonlyArray<readonly [string, number, number, number, RegCls, number]> = [
    ["stp", 0, 0, 0, "w", 2], ["ldp", 0, 0, 1, "w", 2], ["ldpsw", 1, 0, 1, "x", 2],
    ["stp", 2, 0, 0, "x", 3], ["ldp", 2, 0, 1, "x", 3],
    ["stp", 0, 1, 0, "s", 2], ["ldp", 0, 1, 1, "s", 2], ["stp", 1, 1, 0, "d", 3], ["ldp", 1, 1, 1, "d", 3],
    ["stp", 2, 1, 0, "q", 4], ["ldp", 2, 1, 1, "q", 4],
  ];
  for (const [mn, opc, v, l, cls, scale] of list) {
    const p = (mode: string): string => `${b2(opc, 2)}101${v}${mode}${l} xxxxxxx xxxxx xxxxx xxxxx`;
    const r1 = rt(cls);
    const r2 = rt(cls, 10);
    // objdump rejects LDPSW with Rt == Rt2, or writeback into a transfer register
    const ok = (wb: boolean) => (i: number): boolean => {
      if (mn !== "ldpsw") return true;
      const t = fld(i, 0, 5);
      const t2 = fld(i, 10, 5);
      const n = fld(i, 5, 5);
      return t !== t2 && !(wb && n !== 31 && (n === t || n === t2));
    };
    out.push(
      form(mn, p("010"), [r1, r2, memPair(scale, "off")], { when: ok(false) }),
      form(mn, p("011"), [r1, r2, memPair(scale, "pre")], { when: ok(true) }),
      form(mn, p("001"), [r1, r2, memPair(scale, "post"), postPair(scale)], { when: ok(true) }),
    );
    if (mn !== "ldpsw") out.push(form(mn.replace("p", "np"), p("000"), [r1, r2, memPair(scale, "off")]));
  }
  return out;
}

const SZ = ["b", "h", "", ""];

function exclusives(): Form[] {
  const out: Form[] = [];
  for (let size = 0; size < 4; size++) {
    const r: GprSize = size === 3 ? "x" : "w";
    const s = SZ[size]!;
    const p = (o2: string, l: string, o1: string, rs: string, o0: string, rt2: string): string =>
      `${b2(size, 2)}001000 ${o2}${l}${o1} ${rs} ${o0} ${rt2} xxxxx xxxxx`;
    const base = memBase(true);
    out.push(
      form(`stxr${s}`, p("0", "0", "0", "xxxxx", "0", "11111"), [gpr(16, "w"), gpr(0, r), base]),
      form(`stlxr${s}`, p("0", "0", "0", "xxxxx", "1", "11111"), [gpr(16, "w"), gpr(0, r), base]),
      form(`ldxr${s}`, p("0", "1", "0", "11111", "0", "11111"), [gpr(0, r), base]),
      form(`ldaxr${s}`, p("0", "1", "0", "11111", "1", "11111"), [gpr(0, r), base]),
      form(`stllr${s}`, p("1", "0", "0", "11111", "0", "11111"), [gpr(0, r), base]),
      form(`stlr${s}`, p("1", "0", "0", "11111", "1", "11111"), [gpr(0, r), base]),
      form(`ldlar${s}`, p("1", "1", "0", "11111", "0", "11111"), [gpr(0, r), base]),
      form(`ldar${s}`, p("1", "1", "0", "11111", "1", "11111"), [gpr(0, r), base]),
    );
    // CAS (C6.2 CAS, CASB, CASH): L = acquire, o0 = release
    for (const [l, o0, ar] of [["0", "0", ""], ["1", "0", "a"], ["0", "1", "l"], ["1", "1", "al"]] as const) {
      out.push(form(`cas${ar}${s}`, p("1", l, "1", "xxxxx", o0, "11111"), [gpr(16, r), gpr(0, r), base]));
    }
    if (size >= 2) {
      out.push(
        form("stxp", p("0", "0", "1", "xxxxx", "0", "xxxxx"), [gpr(16, "w"), gpr(0, r), gpr(10, r), base]),
        form("stlxp", p("0", "0", "1", "xxxxx", "1", "xxxxx"), [gpr(16, "w"), gpr(0, r), gpr(10, r), base]),
        form("ldxp", p("0", "1", "1", "11111", "0", "xxxxx"), [gpr(0, r), gpr(10, r), base]),
        form("ldaxp", p("0", "1", "1", "11111", "1", "xxxxx"), [gpr(0, r), gpr(10, r), base]),
      );
    } else {
      // CASP: sz = size<0>; register pairs must start at an even register
      const pr: GprSize = size === 1 ? "x" : "w";
      const pairReg = (lsb: number): OpKind =>
        K(
          (op, c) => {
            const e = gpr(lsb, pr).enc(op, c);
            if (typeof e === "string") return e;
            return ((e >>> lsb) & 1) === 0 && ((e >>> lsb) & 31) !== 31 ? e : "register pair must start at an even register";
          },
          (i) => {
            const n = fld(i, lsb, 5);
            return n & 1 || n === 31 ? null : `${pr}${n}`;
          },
        );
      const next = (lsb: number): OpKind =>
        K(
          (op, c) => {
            const e = gpr(lsb, pr).enc(op, c);
            if (typeof e === "string") return e;
            return 0; // register number checked against the first of the pair by checkPairs
          },
          (i) => {
            const n = fld(i, lsb, 5) + 1;
            return n === 31 ? `${pr}zr` : `${pr}${n}`;
          },
        );
      for (const [l, o0, ar] of [["0", "0", ""], ["1", "0", "a"], ["0", "1", "l"], ["1", "1", "al"]] as const) {
        out.push(
          form(`casp${ar}`, `0${size}001000 0${l}1 xxxxx ${o0} 11111 xxxxx xxxxx`, [pairReg(16), next(16), pairReg(0), next(0), base], {
            check: (i) => (fld(i, 16, 1) || fld(i, 0, 1) ? "register pair must start at an even register" : undefined),
          }),
        );
      }
    }
  }
  return out.map((f) => (f.mn.startsWith("casp") ? checkPairs(f) : f));
}

/** CASP: the second register of each pair must be the first plus one. */
function checkPairs(f: Form): Form {
  const ops = f.ops;
  return {
    ...f,
    ops: ops.map((k, idx) =>
      idx === 1 || idx === 3
        ? K(
            (op, c) => {
              const prevLsb = idx === 1 ? 16 : 0;
              if (op?.k !== "reg") return "expected a register";
              const want = (c.v[`r${prevLsb}`] ?? -1) + 1;
              return op.n === want ? 0 : "second register of a pair must follow the first";
            },
            (i, pc) => k.dec(i, pc),
          )
        : idx === 0 || idx === 2
          ? K(
              (op, c) => {
                const r = k.enc(op, c);
                if (typeof r === "number") c.v[`r${idx === 0 ? 16 : 0}`] = (r >>> (idx === 0 ? 16 : 0)) & 31;
                return r;
              },
              (i, pc) => k.dec(i, pc),
            )
          : k,
    ),
  };
}

const LSE_OPS = ["add", "clr", "eor", "set", "smax", "smin", "umax", "umin"];

function atomics(): Form[] {
  const out: Form[] = [];
  for (let size = 0; size < 4; size++) {
    const r: GprSize = size === 3 ? "x" : "w";
    const s = SZ[size]!;
    for (const [a, rr, ar] of [["0", "0", ""], ["1", "0", "a"], ["0", "1", "l"], ["1", "1", "al"]] as const) {
      const p = (o3: string, opc: string, rtf = "xxxxx"): string => `${b2(size, 2)}111000 ${a}${rr}1 xxxxx ${o3}${opc} 00 xxxxx ${rtf}`;
      LSE_OPS.forEach((name, opc) => {
        if (a === "0") {
          out.push(form(`st${name}${rr === "1" ? "l" : ""}${s}`, p("0", b2(opc, 3), "11111"), [gpr(16, r), memBase(true)]));
        }
        out.push(form(`ld${name}${ar}${s}`, p("0", b2(opc, 3)), [gpr(16, r), gpr(0, r), memBase(true)]));
      });
      out.push(form(`swp${ar}${s}`, p("1", "000"), [gpr(16, r), gpr(0, r), memBase(true)]));
    }
    // LDAPR (v8.3 RCpc)
    out.push(form(`ldapr${s}`, `${b2(size, 2)}111000 101 11111 1100 00 xxxxx xxxxx`, [gpr(0, r), memBase(true)]));
  }
  return out;
}

export function loadStoreForms(): Form[] {
  return [...singles(), ...pairs(), ...exclusives(), ...atomics()];
}

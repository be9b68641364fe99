/**
 * Branches, exception generation and system instructions: C4.1.93
 * (branches, exception generating and system instructions): B, BL, B.cond,
 * CBZ/CBNZ, TBZ/TBNZ, BR/BLR/RET/ERET/DRPS, SVC/HVC/SMC/BRK/HLT/DCPS, UDF,
 * HINT (and its named forms), barriers, CLREX, MSR (immediate), SYS/SYSL
 * with the DC/IC/AT/TLBI aliases, MRS/MSR (register).
 */
import { type Form, type OpKind, fld, form } from "./form.js";
import { K, gpr, immVal, label, uimm } from "./kinds.js";
import type { Operand } from "./operand.js";
import { SYSREG_NAME_BY_KEY, genericSysregName, parseSysreg, sysregKey } from "./sysreg-names.js";

const DBGDTRTX_KEY = sysregKey(2, 3, 0, 5, 0);
import { BARRIER_NAMES, COND_NAMES, HINT_NAMES, PSTATE_FIELDS, SYS_ALIASES } from "./sys-ops.js";

const ident = (op: Operand | undefined): string | undefined =>
  op?.k === "imm" && !op.hash && op.reloc === undefined && op.e.t === "sym" ? op.e.name.toLowerCase() : undefined;

/** A fixed keyword operand (e.g. "csync", "c" for bti c, a DC operation name). */
const word = (w: string): OpKind => K((op) => (ident(op) === w ? 0 : `expected '${w}'`), () => w);

/** TBZ/TBNZ bit number: b5 at [31], b40 at [23:19]. */
const testBit = (lo: number, hi: number): OpKind =>
  K(
    (op, c) => {
      const v = immVal(op, c);
      if (typeof v === "string") return v;
      if (v < BigInt(lo) || v > BigInt(hi)) return `bit number ${v} out of range ${lo}..${hi}`;
      return ((Number(v) & 31) << 19) >>> 0;
    },
    (i) => `#${(fld(i, 31, 1) << 5) | fld(i, 19, 5)}`,
  );

const retReg: OpKind = K(
  (op) => {
    if (op === undefined) return 30 << 5;
    if (op.k !== "reg" || op.cls !== "x" || op.sp) return "expected an X register";
    return op.n << 5;
  },
  (i) => {
    const n = fld(i, 5, 5);
    return n === 30 ? "" : n === 31 ? "xzr" : `x${n}`;
  },
  true,
);

/** DMB/DSB option: name or #imm; unnamed values print as two-digit hex. */
const barrierOpt: OpKind = K(
  (op, c) => {
    const id = ident(op);
    if (id !== undefined) {
      for (const [v, n] of BARRIER_NAMES) if (n === id) return v << 8;
      return `unknown barrier option '${id}'`;
    }
    const v = immVal(op, c);
    if (typeof v === "string") return v;
    if (v < 0n || v > 15n) return "barrier option out of range 0..15";
    return Number(v) << 8;
  },
  (i) => {
    const v = fld(i, 8, 4);
    return BARRIER_NAMES.get(v) ?? `#0x${v.toString(16).padStart(2, "0")}`;
  },
);

const pstateField: OpKind = K(
  (op) => {
    const id = ident(op);
    const f = id === undefined ? undefined : PSTATE_FIELDS.get(id);
    if (f === undefined) return "expected a PSTATE field (spsel, daifset, daifclr, pan, uao, dit, ssbs)";
    return ((f >> 3) << 16) | ((f & 7) << 5);
  },
  (i) => {
    const f = (fld(i, 16, 3) << 3) | fld(i, 5, 3);
    for (const [n, v] of PSTATE_FIELDS) {
      // single-bit fields take #0 or #1 only
      if (v === f) return n.startsWith("daif") || fld(i, 8, 4) < 2 ? n : null;
    }
    return null;
  },
);

/** Cn / Cm operand of SYS/SYSL. */
const crOp = (lsb: number): OpKind =>
  K(
    (op) => {
      const m = /^c(\d+)$/.exec(ident(op) ?? "");
      const n = m ? Number(m[1]) : -1;
      if (n < 0 || n > 15) return "expected C0..C15";
      return n << lsb;
    },
    (i) => `C${fld(i, lsb, 4)}`,
  );

const sysreg = (dir: "r" | "w"): OpKind =>
  K(
    (op) => {
      const id = ident(op);
      const k = id === undefined ? undefined : parseSysreg(id);
      if (k === undefined) return id === undefined ? "expected a system register" : `unknown system register '${id}'`;
      if (k >> 15 !== 1) return "system register op0 must be 2 or 3";
      return k << 5;
    },
    (i) => {
      const key = fld(i, 5, 16);
      // objdump names registers whatever the direction; only DBGDTRRX/TX share a key
      if (dir === "w" && key === DBGDTRTX_KEY) return "dbgdtrtx_el0";
      return SYSREG_NAME_BY_KEY.get(key) ?? genericSysregName(key);
    },
  );

function branches(): Form[] {
  const out: Form[] = [
    form("b", "000101 xxxxxxxxxxxxxxxxxxxxxxxxxx", [label(0, 26, 2)]),
    form("bl", "100101 xxxxxxxxxxxxxxxxxxxxxxxxxx", [label(0, 26, 2)]),
  ];
  COND_NAMES.forEach((c, n) => {
    out.push(form(`b.${c}`, `01010100 xxxxxxxxxxxxxxxxxxx 0 ${n.toString(2).padStart(4, "0")}`, [label(5, 19, 2)]));
  });
  out.push(
    form("b.hs", "01010100 xxxxxxxxxxxxxxxxxxx 0 0010", [label(5, 19, 2)], { only: "asm" }),
    form("b.lo", "01010100 xxxxxxxxxxxxxxxxxxx 0 0011", [label(5, 19, 2)], { only: "asm" }),
  );
  for (const [sf, r] of [["0", "w"], ["1", "x"]] as const) {
    out.push(
      form("cbz", `${sf}0110100 xxxxxxxxxxxxxxxxxxx xxxxx`, [gpr(0, r), label(5, 19, 2)]),
      form("cbnz", `${sf}0110101 xxxxxxxxxxxxxxxxxxx xxxxx`, [gpr(0, r), label(5, 19, 2)]),
    );
  }
  for (const [mn, op] of [["tbz", "0"], ["tbnz", "1"]] as const) {
    out.push(
      form(mn, `0011011${op} xxxxx xxxxxxxxxxxxxx xxxxx`, [gpr(0, "w"), testBit(0, 31), label(5, 14, 2)]),
      form(mn, `0011011${op} xxxxx xxxxxxxxxxxxxx xxxxx`, [gpr(0, "x"), testBit(0, 31), label(5, 14, 2)], { only: "asm" }),
      form(mn, `1011011${op} xxxxx xxxxxxxxxxxxxx xxxxx`, [gpr(0, "x"), testBit(32, 63), label(5, 14, 2)]),
    );
  }
  out.push(
    form("br", "1101011 0000 11111 000000 xxxxx 00000", [gpr(5, "x")]),
    form("blr", "1101011 0001 11111 000000 xxxxx 00000", [gpr(5, "x")]),
    form("ret", "1101011 0010 11111 000000 xxxxx 00000", [retReg]),
    form("eret", "1101011 0100 11111 000000 11111 00000", []),
    form("drps", "1101011 0101 11111 000000 11111 00000", []),
  );
  return out;
}

function exceptions(): Form[] {
  const imm = uimm(5, 16, "hex");
  const p = (opc: string, ll: string): string => `11010100 ${opc} xxxxxxxxxxxxxxxx 000 ${ll}`;
  return [
    form("svc", p("000", "01"), [imm]),
    form("hvc", p("000", "10"), [imm]),
    form("smc", p("000", "11"), [imm]),
    form("brk", p("001", "00"), [imm]),
    form("hlt", p("010", "00"), [imm]),
    form("dcps1", p("101", "01"), [uimm(5, 16, "hex", true)]),
    form("dcps2", p("101", "10"), [uimm(5, 16, "hex", true)]),
    form("dcps3", p("101", "11"), [uimm(5, 16, "hex", true)]),
    form("udf", "0000000000000000 xxxxxxxxxxxxxxxx", [uimm(0, 16, "dec")]),
  ];
}

function system(): Form[] {
  const out: Form[] = [];
  // HINT space (C6.2 HINT): named hints first
  for (const [v, name] of HINT_NAMES) {
    const [mn, arg] = name.split(" ") as [string, string | undefined];
    const p = `11010101000000110010 ${v.toString(2).padStart(7, "0")} 11111`;
    out.push(form(mn, p, arg ? [word(arg)] : []));
  }
  out.push(form("hint", "11010101000000110010 xxxxxxx 11111", [uimm(5, 7, "hex")]));
  // barriers (C6.2 CLREX, DSB, DMB, ISB, SB, SSBB, PSSBB)
  const bar = (crm: string, op2: string): string => `11010101000000110011 ${crm} ${op2} 11111`;
  out.push(
    form("clrex", bar("1111", "010"), []),
    form("clrex", bar("xxxx", "010"), [uimm(8, 4, "hex")]),
    form("ssbb", bar("0000", "100"), []),
    form("pssbb", bar("0100", "100"), []),
    form("dsb", bar("xxxx", "100"), [barrierOpt]),
    form("dmb", bar("xxxx", "101"), [barrierOpt]),
    form("isb", bar("1111", "110"), []),
    form("isb", bar("xxxx", "110"), [uimm(8, 4, "hex")]),
    form("sb", bar("0000", "111"), []),
  );
  // MSR (immediate)
  out.push(
    form("msr", "1101010100000 xxx 0100 xxxx xxx 11111", [pstateField, uimm(8, 4, "hex")]),
    // anything else in the op0=0 PSTATE space prints as a generic register write of xzr
    form("msr", "1101010100000 xxx 0100 xxxx xxx 11111", [
      K(() => "use a PSTATE field name", (i) => `s0_${fld(i, 16, 3)}_c4_c${fld(i, 8, 4)}_${fld(i, 5, 3)}`),
      K(() => "", () => "xzr"),
    ], { only: "dis" }),
  );
  // SYS aliases, then SYS / SYSL
  for (const [mn, list] of SYS_ALIASES) {
    for (const o of list) {
      const p =
        `1101010100001 ${o.op1.toString(2).padStart(3, "0")} ${o.crn.toString(2).padStart(4, "0")} ` +
        `${o.crm.toString(2).padStart(4, "0")} ${o.op2.toString(2).padStart(3, "0")} ${o.rt ? "xxxxx" : "11111"}`;
      out.push(form(mn, p, o.rt ? [word(o.name), gpr(0, "x")] : [word(o.name)]));
    }
  }
  const sysRt: OpKind = K(
    (op) => {
      if (op === undefined) return 31;
      if (op.k !== "reg" || op.cls !== "x" || op.sp) return "expected an X register";
      return op.n;
    },
    (i) => (fld(i, 0, 5) === 31 ? "" : `x${fld(i, 0, 5)}`),
    true,
  );
  out.push(
    form("sys", "1101010100001 xxx xxxx xxxx xxx xxxxx", [uimm(16, 3, "dec"), crOp(12), crOp(8), uimm(5, 3, "dec"), sysRt]),
    form("sysl", "1101010100101 xxx xxxx xxxx xxx xxxxx", [gpr(0, "x"), uimm(16, 3, "dec"), crOp(12), crOp(8), uimm(5, 3, "dec")]),
    form("mrs", "1101010100 1 1 xxxxxxxxxxxxxxx xxxxx", [gpr(0, "x"), sysreg("r")]),
    form("msr", "1101010100 0 1 xxxxxxxxxxxxxxx xxxxx", [sysreg("w"), gpr(0, "x")]),
  );
  return out;
}

export function branchSystemForms(): Form[] {
  return [...branches(), ...exceptions(), ...system()];
}

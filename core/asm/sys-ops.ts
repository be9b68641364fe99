/**
 * Named operands of system and control instructions: condition codes (C1.2.4),
 * barrier options (C6.2 DMB/DSB), prefetch operations (C6.2 PRFM), PSTATE
 * fields for MSR (immediate), hint names, and the SYS aliases DC/IC/AT/TLBI
 * (C5.3 / D13 system instruction tables).
 */

export const COND_NAMES = ["eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al", "nv"] as const;

/** Condition code by name, accepting the hs/lo synonyms. */
export function parseCond(name: string): number | undefined {
  const n = name.toLowerCase();
  if (n === "hs") return 2;
  if (n === "lo") return 3;
  const i = (COND_NAMES as readonly string[]).indexOf(n);
  return i < 0 ? undefined : i;
}

/** DMB/DSB CRm option names; unnamed values print as #imm. */
export const BARRIER_NAMES: ReadonlyMap<number, string> = new Map([
  [1, "oshld"], [2, "oshst"], [3, "osh"],
  [5, "nshld"], [6, "nshst"], [7, "nsh"],
  [9, "ishld"], [10, "ishst"], [11, "ish"],
  [13, "ld"], [14, "st"], [15, "sy"],
]);

/** PRFM prfop names: type (pld/pli/pst) level (l1..l3) policy (keep/strm). */
export function prfopName(v: number): string | undefined {
  const type = ["pld", "pli", "pst"][v >> 3];
  const target = (v >> 1) & 3;
  if (type === undefined || target === 3) return undefined;
  return `${type}l${target + 1}${v & 1 ? "strm" : "keep"}`;
}
export function parsePrfop(name: string): number | undefined {
  for (let v = 0; v < 32; v++) if (prfopName(v) === name) return v;
  return undefined;
}

/** MSR (immediate) PSTATE fields: op1<<3 | op2. */
export const PSTATE_FIELDS: ReadonlyMap<string, number> = new Map([
  ["spsel", (0 << 3) | 5],
  ["daifset", (3 << 3) | 6],
  ["daifclr", (3 << 3) | 7],
  ["uao", (0 << 3) | 3],
  ["pan", (0 << 3) | 4],
  ["dit", (3 << 3) | 2],
  ["ssbs", (3 << 3) | 1],
  ["tco", (3 << 3) | 4],
]);

/** HINT CRm:op2 values that have their own mnemonic. */
export const HINT_NAMES: ReadonlyMap<number, string> = new Map([
  [0, "nop"], [1, "yield"], [2, "wfe"], [3, "wfi"], [4, "sev"], [5, "sevl"],
  [7, "xpaclri"], [8, "pacia1716"], [10, "pacib1716"], [12, "autia1716"], [14, "autib1716"],
  [16, "esb"], [17, "psb csync"], [18, "tsb csync"], [20, "csdb"],
  [24, "paciaz"], [25, "paciasp"], [26, "pacibz"], [27, "pacibsp"],
  [28, "autiaz"], [29, "autiasp"], [30, "autibz"], [31, "autibsp"],
  [32, "bti"], [34, "bti c"], [36, "bti j"], [38, "bti jc"],
]);

/** A SYS alias operation: op1, CRn, CRm, op2 and whether it takes Xt. */
export interface SysOp {
  readonly name: string;
  readonly op1: number;
  readonly crn: number;
  readonly crm: number;
  readonly op2: number;
  readonly rt: boolean;
}

function ops(lines: string): SysOp[] {
  const out: SysOp[] = [];
  for (const l of lines.trim().split("\n")) {
    const [name, op1, crn, crm, op2, rt] = l.trim().split(/\s+/);
    out.push({ name: name!, op1: Number(op1), crn: Number(crn), crm: Number(crm), op2: Number(op2), rt: rt === "t" });
  }
  return out;
}

export const DC_OPS = ops(`
ivac 0 7 6 1 t
isw 0 7 6 2 t
csw 0 7 10 2 t
cisw 0 7 14 2 t
zva 3 7 4 1 t
cvac 3 7 10 1 t
cvau 3 7 11 1 t
cvap 3 7 12 1 t
cvadp 3 7 13 1 t
civac 3 7 14 1 t`);

export const IC_OPS = ops(`
ialluis 0 7 1 0 -
iallu 0 7 5 0 -
ivau 3 7 5 1 t`);

export const AT_OPS = ops(`
s1e1r 0 7 8 0 t
s1e1w 0 7 8 1 t
s1e0r 0 7 8 2 t
s1e0w 0 7 8 3 t
s1e1rp 0 7 9 0 t
s1e1wp 0 7 9 1 t
s1e2r 4 7 8 0 t
s1e2w 4 7 8 1 t
s12e1r 4 7 8 4 t
s12e1w 4 7 8 5 t
s12e0r 4 7 8 6 t
s12e0w 4 7 8 7 t
s1e3r 6 7 8 0 t
s1e3w 6 7 8 1 t`);

export const TLBI_OPS = ops(`
vmalle1os 0 8 1 0 -
vae1os 0 8 1 1 t
aside1os 0 8 1 2 t
vaae1os 0 8 1 3 t
vale1os 0 8 1 5 t
vaale1os 0 8 1 7 t
vmalle1is 0 8 3 0 -
vae1is 0 8 3 1 t
aside1is 0 8 3 2 t
vaae1is 0 8 3 3 t
vale1is 0 8 3 5 t
vaale1is 0 8 3 7 t
vmalle1 0 8 7 0 -
vae1 0 8 7 1 t
aside1 0 8 7 2 t
vaae1 0 8 7 3 t
vale1 0 8 7 5 t
vaale1 0 8 7 7 t
ipas2e1is 4 8 0 1 t
ipas2le1is 4 8 0 5 t
alle2os 4 8 1 0 -
vae2os 4 8 1 1 t
alle1os 4 8 1 4 -
vale2os 4 8 1 5 t
vmalls12e1os 4 8 1 6 -
alle2is 4 8 3 0 -
vae2is 4 8 3 1 t
alle1is 4 8 3 4 -
vale2is 4 8 3 5 t
vmalls12e1is 4 8 3 6 -
ipas2e1os 4 8 4 0 t
ipas2e1 4 8 4 1 t
ipas2le1os 4 8 4 4 t
ipas2le1 4 8 4 5 t
alle2 4 8 7 0 -
vae2 4 8 7 1 t
alle1 4 8 7 4 -
vale2 4 8 7 5 t
vmalls12e1 4 8 7 6 -
alle3os 6 8 1 0 -
vae3os 6 8 1 1 t
vale3os 6 8 1 5 t
alle3is 6 8 3 0 -
vae3is 6 8 3 1 t
vale3is 6 8 3 5 t
alle3 6 8 7 0 -
vae3 6 8 7 1 t
vale3 6 8 7 5 t`);

/** The four SYS alias families. */
export const SYS_ALIASES: ReadonlyArray<readonly [string, readonly SysOp[]]> = [
  ["dc", DC_OPS],
  ["ic", IC_OPS],
  ["at", AT_OPS],
  ["tlbi", TLBI_OPS],
];

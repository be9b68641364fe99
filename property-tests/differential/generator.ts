// fast-check arbitraries for random A64 instruction sequences used by the
// differential tier (hvrr vs QEMU TCG). Sequences are assembly text for
// core/asm. Every generated instruction is architecturally defined for both
// sides: no CONSTRAINED UNPREDICTABLE encodings (writeback with Rt == Rn, load
// pairs with Rt == Rt2, store-exclusive status overlapping data or base), and
// nothing whose result is IMPLEMENTATION DEFINED (see docs/differential.md).
//
// Register discipline (shared with harness.ts):
//   x0..x24  data registers, freely read and written by sequences
//   x25      index register, set right before a register-offset access
//   x26, x27 base registers, set right before each memory access
//   x28      scratch + 512, never written by sequences
// Memory accesses always land inside the 1 KiB scratch area, except the
// deliberate fault cases (unmapped PA, invalid translation, misalignment).
import fc from 'fast-check';
import { decodeBitmask } from '../../core/asm/bitmask.js';

export const SCRATCH = 1024;
/** Offset of x28 from the scratch start. */
const MID = 512;
export const DATA_REGS = 25;

/** One generated step: some assembly lines, optionally ending in a forward branch. */
export interface Item {
  /** Class name (for statistics and reports). */
  cls: string;
  lines: string[];
  /** A forward branch appended after `lines`; `%L` in `insn` is the target label. */
  branch?: { insn: string; skip: number };
}

export interface InitState {
  /** Initial x0..x24. */
  regs: bigint[];
  /** NZCV in bits 3..0. */
  nzcv: number;
  /** Nonzero xorshift64 seed for the scratch contents. */
  memSeed: bigint;
}

export interface Sequence {
  items: Item[];
  init: InitState;
}

/** Assembly lines of a sequence; labels are made unique with `prefix`. */
export function renderSequence(s: Sequence, prefix: string): string[] {
  const out: string[] = [];
  const labelsAt = new Map<number, string[]>();
  s.items.forEach((it, i) => {
    for (const l of labelsAt.get(i) ?? []) out.push(`${l}:`);
    out.push(...it.lines);
    if (it.branch) {
      const label = `${prefix}b${i}`;
      const at = Math.min(i + 1 + it.branch.skip, s.items.length);
      labelsAt.set(at, [...(labelsAt.get(at) ?? []), label]);
      out.push(...it.branch.insn.replace('%L', label).split('\n'));
    }
  });
  for (const l of labelsAt.get(s.items.length) ?? []) out.push(`${l}:`);
  return out;
}

// ---- operands ----

type Sz = 'w' | 'x';
const reg = (n: number, sz: Sz): string => (n === 31 ? `${sz}zr` : `${sz}${n}`);
const hex = (v: bigint | number): string => `#0x${v.toString(16)}`;

const dataReg = fc.integer({ min: 0, max: DATA_REGS - 1 });
/** A data register or the zero register (only where encoding 31 means ZR). */
const regOrZr = fc.oneof({ weight: 9, arbitrary: dataReg }, { weight: 1, arbitrary: fc.constant(31) });
const size = fc.constantFrom<Sz>('w', 'x');
const bits = (sz: Sz): 32 | 64 => (sz === 'w' ? 32 : 64);
export const CONDS = ['eq', 'ne', 'cs', 'cc', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le', 'al', 'nv'] as const;
const cond = fc.constantFrom(...CONDS);
/** Conditions for csel-family aliases (cset/cinc/...) which forbid al/nv. */
const condNoAl = fc.constantFrom(...CONDS.slice(0, 14));

const item = (cls: string, ...lines: string[]): Item => ({ cls, lines });

// ---- integer data processing ----

const addSubImm = fc
  .record({ op: fc.constantFrom('add', 'adds', 'sub', 'subs'), sz: size, d: dataReg, n: dataReg, imm: fc.integer({ min: 0, max: 4095 }), sh: fc.boolean(), cmp: fc.boolean() })
  .map(({ op, sz, d, n, imm, sh, cmp }) => {
    const rd = op.endsWith('s') && cmp ? reg(31, sz) : reg(d, sz);
    return item('addsub-imm', `${op} ${rd}, ${reg(n, sz)}, #${imm}${sh ? ', lsl #12' : ''}`);
  });

const addSubShifted = fc
  .record({ op: fc.constantFrom('add', 'adds', 'sub', 'subs'), sz: size, d: regOrZr, n: regOrZr, m: regOrZr, sh: fc.constantFrom('lsl', 'lsr', 'asr'), amt: fc.integer({ min: 0, max: 63 }) })
  .map(({ op, sz, d, n, m, sh, amt }) => item('addsub-shifted', `${op} ${reg(d, sz)}, ${reg(n, sz)}, ${reg(m, sz)}, ${sh} #${amt % bits(sz)}`));

const EXTENDS = ['uxtb', 'uxth', 'uxtw', 'uxtx', 'sxtb', 'sxth', 'sxtw', 'sxtx'] as const;
const addSubExt = fc
  .record({ op: fc.constantFrom('add', 'adds', 'sub', 'subs'), sz: size, d: dataReg, n: dataReg, m: regOrZr, ext: fc.constantFrom(...EXTENDS), amt: fc.integer({ min: 0, max: 4 }) })
  .map(({ op, sz, d, n, m, ext, amt }) => {
    const msz: Sz = sz === 'x' && ext.endsWith('x') ? 'x' : 'w';
    return item('addsub-ext', `${op} ${reg(d, sz)}, ${reg(n, sz)}, ${reg(m, msz)}, ${ext} #${amt}`);
  });

/** A valid logical immediate for the size, from N:immr:imms. */
const bitmaskImm = (sz: Sz) =>
  fc
    .record({ n: sz === 'x' ? fc.integer({ min: 0, max: 1 }) : fc.constant(0), immr: fc.integer({ min: 0, max: 63 }), imms: fc.integer({ min: 0, max: 63 }) })
    .map(({ n, immr, imms }) => decodeBitmask(n, sz === 'w' ? imms & 31 : imms, sz === 'w' ? immr & 31 : immr, bits(sz)))
    .filter((v): v is bigint => v !== undefined);

const logicalImm = size.chain((sz) =>
  fc
    .record({ op: fc.constantFrom('and', 'orr', 'eor', 'ands'), d: dataReg, n: regOrZr, imm: bitmaskImm(sz), tst: fc.boolean() })
    .map(({ op, d, n, imm, tst }) => item('logical-imm', `${op} ${reg(op === 'ands' && tst ? 31 : d, sz)}, ${reg(n, sz)}, ${hex(imm)}`)),
);

const logicalShifted = fc
  .record({ op: fc.constantFrom('and', 'bic', 'orr', 'orn', 'eor', 'eon', 'ands', 'bics'), sz: size, d: regOrZr, n: regOrZr, m: regOrZr, sh: fc.constantFrom('lsl', 'lsr', 'asr', 'ror'), amt: fc.integer({ min: 0, max: 63 }) })
  .map(({ op, sz, d, n, m, sh, amt }) => item('logical-shifted', `${op} ${reg(d, sz)}, ${reg(n, sz)}, ${reg(m, sz)}, ${sh} #${amt % bits(sz)}`));

const moveWide = fc
  .record({ op: fc.constantFrom('movz', 'movn', 'movk'), sz: size, d: dataReg, imm: fc.integer({ min: 0, max: 0xffff }), hw: fc.integer({ min: 0, max: 3 }) })
  .map(({ op, sz, d, imm, hw }) => item('move-wide', `${op} ${reg(d, sz)}, ${hex(imm)}, lsl #${(sz === 'w' ? hw & 1 : hw) * 16}`));

const bitfield = fc.oneof(
  fc
    .record({ op: fc.constantFrom('ubfm', 'sbfm', 'bfm'), sz: size, d: dataReg, n: regOrZr, r: fc.integer({ min: 0, max: 63 }), s: fc.integer({ min: 0, max: 63 }) })
    .map(({ op, sz, d, n, r, s }) => item('bitfield', `${op} ${reg(d, sz)}, ${reg(n, sz)}, #${r % bits(sz)}, #${s % bits(sz)}`)),
  fc
    .record({ op: fc.constantFrom('ubfx', 'sbfx', 'bfi', 'bfxil', 'ubfiz', 'sbfiz'), sz: size, d: dataReg, n: dataReg, lsb: fc.integer({ min: 0, max: 63 }), w: fc.integer({ min: 1, max: 64 }) })
    .map(({ op, sz, d, n, lsb, w }) => {
      const l = lsb % bits(sz);
      const width = 1 + ((w - 1) % (bits(sz) - l));
      // core/asm rejects ubfiz/sbfiz with lsb 0 (GNU as accepts it): use the ubfm/sbfm form.
      if (l === 0 && op.endsWith('fiz')) return item('bitfield', `${op.slice(0, 3)}m ${reg(d, sz)}, ${reg(n, sz)}, #0, #${width - 1}`);
      return item('bitfield', `${op} ${reg(d, sz)}, ${reg(n, sz)}, #${l}, #${width}`);
    }),
  fc
    .record({ op: fc.constantFrom('lsl', 'lsr', 'asr', 'ror'), sz: size, d: dataReg, n: dataReg, amt: fc.integer({ min: 0, max: 63 }) })
    .map(({ op, sz, d, n, amt }) => item('bitfield', `${op} ${reg(d, sz)}, ${reg(n, sz)}, #${amt % bits(sz)}`)),
  fc
    .record({ op: fc.constantFrom('sxtb', 'sxth', 'sxtw', 'uxtb', 'uxth'), sz: size, d: dataReg, n: dataReg })
    .map(({ op, sz, d, n }) => {
      const dsz: Sz = op === 'sxtw' ? 'x' : op.startsWith('u') ? 'w' : sz;
      return item('bitfield', `${op} ${reg(d, dsz)}, ${reg(n, 'w')}`);
    }),
);

const extr = fc
  .record({ sz: size, d: dataReg, n: regOrZr, m: regOrZr, lsb: fc.integer({ min: 0, max: 63 }) })
  .map(({ sz, d, n, m, lsb }) => item('extr', `extr ${reg(d, sz)}, ${reg(n, sz)}, ${reg(m, sz)}, #${lsb % bits(sz)}`));

const adcSbc = fc
  .record({ op: fc.constantFrom('adc', 'adcs', 'sbc', 'sbcs', 'ngc', 'ngcs'), sz: size, d: regOrZr, n: regOrZr, m: regOrZr })
  .map(({ op, sz, d, n, m }) =>
    item('adc-sbc', op.startsWith('ngc') ? `${op} ${reg(d, sz)}, ${reg(m, sz)}` : `${op} ${reg(d, sz)}, ${reg(n, sz)}, ${reg(m, sz)}`),
  );

const condCompare = fc
  .record({ op: fc.constantFrom('ccmp', 'ccmn'), sz: size, n: regOrZr, m: regOrZr, imm: fc.integer({ min: 0, max: 31 }), useImm: fc.boolean(), nzcv: fc.integer({ min: 0, max: 15 }), c: cond })
  .map(({ op, sz, n, m, imm, useImm, nzcv, c }) => item('cond-compare', `${op} ${reg(n, sz)}, ${useImm ? `#${imm}` : reg(m, sz)}, #${nzcv}, ${c}`));

const condSelect = fc.oneof(
  fc
    .record({ op: fc.constantFrom('csel', 'csinc', 'csinv', 'csneg'), sz: size, d: regOrZr, n: regOrZr, m: regOrZr, c: cond })
    .map(({ op, sz, d, n, m, c }) => item('cond-select', `${op} ${reg(d, sz)}, ${reg(n, sz)}, ${reg(m, sz)}, ${c}`)),
  fc
    .record({ op: fc.constantFrom('cset', 'csetm'), sz: size, d: dataReg, c: condNoAl })
    .map(({ op, sz, d, c }) => item('cond-select', `${op} ${reg(d, sz)}, ${c}`)),
  fc
    .record({ op: fc.constantFrom('cinc', 'cinv', 'cneg'), sz: size, d: dataReg, n: dataReg, c: condNoAl })
    .map(({ op, sz, d, n, c }) => item('cond-select', `${op} ${reg(d, sz)}, ${reg(n, sz)}, ${c}`)),
);

const mulDiv = fc.oneof(
  fc
    .record({ op: fc.constantFrom('madd', 'msub'), sz: size, d: regOrZr, n: regOrZr, m: regOrZr, a: regOrZr })
    .map(({ op, sz, d, n, m, a }) => item('mul', `${op} ${reg(d, sz)}, ${reg(n, sz)}, ${reg(m, sz)}, ${reg(a, sz)}`)),
  fc
    .record({ op: fc.constantFrom('mul', 'mneg'), sz: size, d: dataReg, n: regOrZr, m: regOrZr })
    .map(({ op, sz, d, n, m }) => item('mul', `${op} ${reg(d, sz)}, ${reg(n, sz)}, ${reg(m, sz)}`)),
  fc
    .record({ op: fc.constantFrom('smulh', 'umulh'), d: dataReg, n: regOrZr, m: regOrZr })
    .map(({ op, d, n, m }) => item('mul', `${op} ${reg(d, 'x')}, ${reg(n, 'x')}, ${reg(m, 'x')}`)),
  fc
    .record({ op: fc.constantFrom('smaddl', 'smsubl', 'umaddl', 'umsubl'), d: dataReg, n: regOrZr, m: regOrZr, a: regOrZr })
    .map(({ op, d, n, m, a }) => item('mul', `${op} ${reg(d, 'x')}, ${reg(n, 'w')}, ${reg(m, 'w')}, ${reg(a, 'x')}`)),
  fc
    .record({ op: fc.constantFrom('smull', 'umull', 'smnegl', 'umnegl'), d: dataReg, n: regOrZr, m: regOrZr })
    .map(({ op, d, n, m }) => item('mul', `${op} ${reg(d, 'x')}, ${reg(n, 'w')}, ${reg(m, 'w')}`)),
  fc
    .record({ op: fc.constantFrom('udiv', 'sdiv'), sz: size, d: dataReg, n: regOrZr, m: regOrZr })
    .map(({ op, sz, d, n, m }) => item('div', `${op} ${reg(d, sz)}, ${reg(n, sz)}, ${reg(m, sz)}`)),
);

const oneSource = fc.oneof(
  fc
    .record({ op: fc.constantFrom('clz', 'cls', 'rbit', 'rev', 'rev16'), sz: size, d: dataReg, n: regOrZr })
    .map(({ op, sz, d, n }) => item('one-source', `${op} ${reg(d, sz)}, ${reg(n, sz)}`)),
  fc.record({ d: dataReg, n: regOrZr }).map(({ d, n }) => item('one-source', `rev32 ${reg(d, 'x')}, ${reg(n, 'x')}`)),
);

const shiftVar = fc
  .record({ op: fc.constantFrom('lslv', 'lsrv', 'asrv', 'rorv'), sz: size, d: dataReg, n: regOrZr, m: regOrZr })
  .map(({ op, sz, d, n, m }) => item('shift-var', `${op} ${reg(d, sz)}, ${reg(n, sz)}, ${reg(m, sz)}`));

const crc = fc
  .record({ op: fc.constantFrom('crc32b', 'crc32h', 'crc32w', 'crc32x', 'crc32cb', 'crc32ch', 'crc32cw', 'crc32cx'), d: dataReg, n: regOrZr, m: regOrZr })
  .map(({ op, d, n, m }) => item('crc32', `${op} ${reg(d, 'w')}, ${reg(n, 'w')}, ${reg(m, op.endsWith('x') ? 'x' : 'w')}`));

const flagOps = fc.oneof(
  fc.record({ sz: size, n: regOrZr, m: regOrZr }).map(({ sz, n, m }) => item('flags', `cmp ${reg(n, sz)}, ${reg(m, sz)}`)),
  fc.record({ sz: size, n: regOrZr, m: regOrZr }).map(({ sz, n, m }) => item('flags', `tst ${reg(n, sz)}, ${reg(m, sz)}`)),
  fc.record({ d: dataReg }).map(({ d }) => item('flags', `mrs ${reg(d, 'x')}, nzcv`)),
  fc.record({ n: dataReg }).map(({ n }) => item('flags', `msr nzcv, ${reg(n, 'x')}`)),
);

// ---- memory ----

/** Lines setting base register `b` to scratch + `off` (relative to the scratch start), via x28. */
function setBase(b: string, off: bigint): string[] {
  const d = off - BigInt(MID);
  if (d >= 0n && d < 4096n) return [`add ${b}, x28, #${d}`];
  if (d < 0n && d > -4096n) return [`sub ${b}, x28, #${-d}`];
  return [`ldr ${b}, =0x${BigInt.asUintN(64, d).toString(16)}`, `add ${b}, x28, ${b}`];
}

interface LdSt {
  mn: string;
  /** Unscaled / unprivileged mnemonics. */
  umn: string;
  size: number;
  rt: Sz;
  store: boolean;
}
const LDST: LdSt[] = [
  { mn: 'ldrb', umn: 'ldurb', size: 1, rt: 'w', store: false },
  { mn: 'ldrh', umn: 'ldurh', size: 2, rt: 'w', store: false },
  { mn: 'ldr', umn: 'ldur', size: 4, rt: 'w', store: false },
  { mn: 'ldr', umn: 'ldur', size: 8, rt: 'x', store: false },
  { mn: 'ldrsb', umn: 'ldursb', size: 1, rt: 'w', store: false },
  { mn: 'ldrsb', umn: 'ldursb', size: 1, rt: 'x', store: false },
  { mn: 'ldrsh', umn: 'ldursh', size: 2, rt: 'w', store: false },
  { mn: 'ldrsh', umn: 'ldursh', size: 2, rt: 'x', store: false },
  { mn: 'ldrsw', umn: 'ldursw', size: 4, rt: 'x', store: false },
  { mn: 'strb', umn: 'sturb', size: 1, rt: 'w', store: true },
  { mn: 'strh', umn: 'sturh', size: 2, rt: 'w', store: true },
  { mn: 'str', umn: 'stur', size: 4, rt: 'w', store: true },
  { mn: 'str', umn: 'stur', size: 8, rt: 'x', store: true },
];
const log2 = (n: number): number => 31 - Math.clz32(n);

const base = fc.constantFrom('x26', 'x27');

const ldstSingle = fc
  .record({
    op: fc.constantFrom(...LDST),
    t: dataReg,
    tz: fc.integer({ min: 0, max: 9 }),
    b: base,
    mode: fc.constantFrom('uoff', 'unscaled', 'pre', 'post', 'reg', 'unpriv'),
    eaRaw: fc.integer({ min: 0, max: SCRATCH - 8 }),
    aligned: fc.boolean(),
    k: fc.integer({ min: 0, max: 4095 }),
    simm9: fc.integer({ min: -256, max: 255 }),
    ext: fc.constantFrom('lsl', 'uxtw', 'sxtw', 'sxtx'),
    scaled: fc.boolean(),
    idx: fc.integer({ min: -600, max: 600 }),
    junk: fc.bigInt({ min: 0n, max: 0xffffffffn }),
  })
  .map(({ op, t, tz, b, mode, eaRaw, aligned, k, simm9, ext, scaled, idx, junk }) => {
    // Stores may write xzr/wzr as data.
    const rt = reg(op.store && tz === 0 ? 31 : t, op.rt);
    let ea = aligned ? eaRaw - (eaRaw % op.size) : eaRaw;
    const lines: string[] = [];
    switch (mode) {
      case 'uoff': {
        ea -= ea % op.size;
        const off = BigInt(k * op.size);
        lines.push(...setBase(b, BigInt(ea) - off), `${op.mn} ${rt}, [${b}, #${off}]`);
        break;
      }
      case 'unscaled':
        lines.push(...setBase(b, BigInt(ea - simm9)), `${op.umn} ${rt}, [${b}, #${simm9}]`);
        break;
      case 'unpriv': {
        const mn = op.mn.replace(/^ldr|^str/, (p) => `${p.slice(0, 2)}tr`);
        lines.push(...setBase(b, BigInt(ea - simm9)), `${mn} ${rt}, [${b}, #${simm9}]`);
        break;
      }
      case 'pre':
        lines.push(...setBase(b, BigInt(ea - simm9)), `${op.mn} ${rt}, [${b}, #${simm9}]!`);
        break;
      case 'post':
        lines.push(...setBase(b, BigInt(ea)), `${op.mn} ${rt}, [${b}], #${simm9}`);
        break;
      case 'reg': {
        const s = scaled ? log2(op.size) : 0;
        let x25: bigint;
        let scaledIdx: bigint;
        if (ext === 'uxtw') {
          const v = BigInt(Math.abs(idx));
          x25 = (junk << 32n) | v;
          scaledIdx = v << BigInt(s);
        } else if (ext === 'sxtw') {
          x25 = (junk << 32n) | BigInt.asUintN(32, BigInt(idx));
          scaledIdx = BigInt(idx) << BigInt(s);
        } else {
          x25 = BigInt.asUintN(64, BigInt(idx));
          scaledIdx = BigInt(idx) << BigInt(s);
        }
        const ir = ext === 'uxtw' || ext === 'sxtw' ? 'w25' : 'x25';
        const amount = scaled ? ` #${s}` : '';
        const extText = ext === 'lsl' ? (scaled ? `, lsl #${s}` : '') : `, ${ext}${amount}`;
        lines.push(`ldr x25, =0x${x25.toString(16)}`, ...setBase(b, BigInt(ea) - scaledIdx), `${op.mn} ${rt}, [${b}, ${ir}${extText}]`);
        break;
      }
    }
    return item(`ldst-${mode}`, ...lines);
  });

const ldstPair = fc
  .record({
    op: fc.constantFrom('ldp', 'stp', 'ldpsw', 'ldnp', 'stnp'),
    sz: size,
    t: dataReg,
    t2: dataReg,
    b: base,
    mode: fc.constantFrom('off', 'pre', 'post'),
    eaRaw: fc.integer({ min: 0, max: SCRATCH - 16 }),
    aligned: fc.boolean(),
    k: fc.integer({ min: -64, max: 63 }),
  })
  .filter(({ op, t, t2 }) => !op.startsWith('ld') || t !== t2)
  .map(({ op, sz: sz0, t, t2, b, mode: mode0, eaRaw, aligned, k }) => {
    const sz: Sz = op === 'ldpsw' ? 'x' : sz0;
    const esize = op === 'ldpsw' || sz === 'w' ? 4 : 8;
    const mode = op.endsWith('np') ? 'off' : mode0;
    const ea = aligned ? eaRaw - (eaRaw % esize) : eaRaw;
    const off = k * esize;
    const operands = `${reg(t, sz)}, ${reg(t2, sz)}`;
    if (mode === 'off') return item('ldst-pair', ...setBase(b, BigInt(ea - off)), `${op} ${operands}, [${b}, #${off}]`);
    if (mode === 'pre') return item('ldst-pair', ...setBase(b, BigInt(ea - off)), `${op} ${operands}, [${b}, #${off}]!`);
    return item('ldst-pair', ...setBase(b, BigInt(ea)), `${op} ${operands}, [${b}], #${off}`);
  });

const literalLoad = fc
  .record({ d: dataReg, v: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) })
  .map(({ d, v }) => item('literal', `ldr ${reg(d, 'x')}, =0x${v.toString(16)}`));

// ---- exclusives and acquire/release ----

const EXCL_SIZES = [
  { sfx: 'b', size: 1, sz: 'w' as Sz },
  { sfx: 'h', size: 2, sz: 'w' as Sz },
  { sfx: '', size: 4, sz: 'w' as Sz },
  { sfx: '', size: 8, sz: 'x' as Sz },
];

/** ALU filler allowed between a load-exclusive and its store-exclusive (no memory access). */
const aluFiller = fc.oneof(addSubImm, logicalShifted, moveWide, mulDiv, condSelect);

const exclusivePair = fc
  .record({
    es: fc.constantFrom(...EXCL_SIZES),
    acq: fc.boolean(),
    rel: fc.boolean(),
    t: dataReg,
    t2: dataReg,
    s: dataReg,
    b: base,
    slot: fc.integer({ min: 0, max: SCRATCH / 8 - 1 }),
    filler: fc.array(aluFiller, { maxLength: 2 }),
    clrex: fc.integer({ min: 0, max: 4 }),
  })
  .filter(({ t, t2, s }) => s !== t2 && s !== t)
  .map(({ es, acq, rel, t, t2, s, b, slot, filler, clrex }) => {
    const ea = slot * 8;
    const lines = [...setBase(b, BigInt(ea)), `ld${acq ? 'a' : ''}xr${es.sfx} ${reg(t, es.sz)}, [${b}]`];
    for (const f of filler) lines.push(...f.lines);
    // The fillers must not clobber the status register's role: it is written by stxr anyway.
    if (clrex === 0) lines.push('clrex');
    lines.push(`st${rel ? 'l' : ''}xr${es.sfx} ${reg(s, 'w')}, ${reg(t2, es.sz)}, [${b}]`);
    return item(clrex === 0 ? 'exclusive-clrex' : 'exclusive', ...lines);
  });

const exclusivePairPair = fc
  .record({ sz: size, acq: fc.boolean(), rel: fc.boolean(), t: dataReg, t2: dataReg, u: dataReg, u2: dataReg, s: dataReg, b: base, slot: fc.integer({ min: 0, max: SCRATCH / 16 - 1 }) })
  .filter(({ t, t2, u, u2, s }) => t !== t2 && s !== u && s !== u2)
  .map(({ sz, acq, rel, t, t2, u, u2, s, b, slot }) => {
    const lines = [
      ...setBase(b, BigInt(slot * 16)),
      `ld${acq ? 'a' : ''}xp ${reg(t, sz)}, ${reg(t2, sz)}, [${b}]`,
      `st${rel ? 'l' : ''}xp ${reg(s, 'w')}, ${reg(u, sz)}, ${reg(u2, sz)}, [${b}]`,
    ];
    return item('exclusive-pair', ...lines);
  });

const acquireRelease = fc
  .record({ es: fc.constantFrom(...EXCL_SIZES), load: fc.boolean(), t: regOrZr, b: base, slot: fc.integer({ min: 0, max: SCRATCH / 8 - 1 }) })
  .map(({ es, load, t, b, slot }) =>
    item('acq-rel', ...setBase(b, BigInt(slot * 8)), `${load ? 'ldar' : 'stlr'}${es.sfx} ${reg(load && t === 31 ? 0 : t, es.sz)}, [${b}]`),
  );

// ---- LSE ----

const LSE_OPS = ['add', 'clr', 'eor', 'set', 'smax', 'smin', 'umax', 'umin'] as const;
const ordering = fc.constantFrom('', 'a', 'l', 'al');

const lseAtomic = fc
  .record({ op: fc.constantFrom(...LSE_OPS, 'swp'), ord: ordering, es: fc.constantFrom(...EXCL_SIZES), s: regOrZr, t: regOrZr, b: base, slot: fc.integer({ min: 0, max: SCRATCH / 8 - 1 }) })
  .map(({ op, ord, es, s, t, b, slot }) => {
    const mn = op === 'swp' ? `swp${ord}${es.sfx}` : `ld${op}${ord}${es.sfx}`;
    return item('lse-atomic', ...setBase(b, BigInt(slot * 8)), `${mn} ${reg(s, es.sz)}, ${reg(t, es.sz)}, [${b}]`);
  });

const lseCas = fc
  .record({ ord: ordering, es: fc.constantFrom(...EXCL_SIZES), s: dataReg, t: regOrZr, b: base, slot: fc.integer({ min: 0, max: SCRATCH / 8 - 1 }), match: fc.boolean() })
  .map(({ ord, es, s, t, b, slot, match }) => {
    const lines = setBase(b, BigInt(slot * 8));
    // Half the time make the comparison succeed by loading the current value first.
    if (match) lines.push(`ldr${es.sfx === '' ? '' : es.sfx} ${reg(s, es.sz)}, [${b}]`);
    lines.push(`cas${ord}${es.sfx} ${reg(s, es.sz)}, ${reg(t, es.sz)}, [${b}]`);
    return item('lse-cas', ...lines);
  });

const evenReg = fc.integer({ min: 0, max: 11 }).map((n) => n * 2);
const lseCasp = fc
  .record({ ord: ordering, sz: size, s: evenReg, t: evenReg, b: base, slot: fc.integer({ min: 0, max: SCRATCH / 16 - 1 }), match: fc.boolean() })
  .filter(({ s, t }) => s !== t)
  .map(({ ord, sz, s, t, b, slot, match }) => {
    const lines = setBase(b, BigInt(slot * 16));
    if (match) lines.push(`ldp ${reg(s, sz)}, ${reg(s + 1, sz)}, [${b}]`);
    lines.push(`casp${ord} ${reg(s, sz)}, ${reg(s + 1, sz)}, ${reg(t, sz)}, ${reg(t + 1, sz)}, [${b}]`);
    return item('lse-casp', ...lines);
  });

// ---- branches ----

const skip = fc.integer({ min: 0, max: 3 });
const branch: fc.Arbitrary<Item> = fc.oneof(
  fc.record({ c: cond, skip }).map(({ c, skip }) => ({ cls: 'branch', lines: [], branch: { insn: `b.${c} %L`, skip } })),
  fc.record({ op: fc.constantFrom('cbz', 'cbnz'), sz: size, t: dataReg, skip }).map(({ op, sz, t, skip }) => ({ cls: 'branch', lines: [], branch: { insn: `${op} ${reg(t, sz)}, %L`, skip } })),
  fc
    .record({ op: fc.constantFrom('tbz', 'tbnz'), sz: size, t: dataReg, bit: fc.integer({ min: 0, max: 63 }), skip })
    .map(({ op, sz, t, bit, skip }) => ({ cls: 'branch', lines: [], branch: { insn: `${op} ${reg(t, sz)}, #${bit % bits(sz)}, %L`, skip } })),
  skip.map((skip) => ({ cls: 'branch', lines: [], branch: { insn: 'b %L', skip } })),
);

// ---- exceptions ----

const exception = fc.oneof(
  fc.record({ op: fc.constantFrom('svc', 'brk', 'udf'), imm: fc.integer({ min: 0, max: 0xffff }) }).map(({ op, imm }) => item(`exc-${op}`, `${op} ${hex(imm)}`)),
  // Misaligned load-exclusive: alignment fault (DFSC 0b100001) whatever
  // SCTLR_EL1.A says. Misaligned store-exclusives are not generated: whether
  // the alignment check comes before the monitor check is IMPLEMENTATION
  // DEFINED (QEMU fails the monitor check first and takes no fault).
  fc
    .record({ es: fc.constantFrom(...EXCL_SIZES.slice(1)), t: dataReg, acq: fc.boolean(), mis: fc.integer({ min: 1, max: 7 }), slot: fc.integer({ min: 0, max: SCRATCH / 8 - 2 }) })
    .filter(({ es, mis }) => mis % es.size !== 0)
    .map(({ es, t, acq, mis, slot }) =>
      item('exc-align', ...setBase('x27', BigInt(slot * 8 + mis)), `ld${acq ? 'a' : ''}xr${es.sfx} ${reg(t, es.sz)}, [x27]`),
    ),
  // Unmapped physical address (beyond RAM): synchronous external abort.
  // Invalid level-1 descriptor: translation fault, level 1.
  fc
    .record({ op: fc.constantFrom(...LDST), t: dataReg, pa: fc.constantFrom(0x7000n, 0x5000n, 0xc000n, 0xf000n), off: fc.integer({ min: 0, max: 255 }) })
    .map(({ op, t, pa, off }) =>
      item(pa >= 0x8000n ? 'exc-translation' : 'exc-extabort', `movz x27, #0x${pa.toString(16)}, lsl #16`, `${op.mn} ${reg(t, op.rt)}, [x27, #${off - (off % op.size)}]`),
    ),
);

// ---- more classes: division edges, hints, system registers, PC-relative, indirect branches, faulting writeback ----

const EDGE = [0n, 1n, 0xffffffffffffffffn, 0x8000000000000000n, 0x7fffffffffffffffn, 0x80000000n, 0xffffffffn, 0x7fffffffn, 0xffffffff80000000n];
const divEdge = fc
  .record({ op: fc.constantFrom('udiv', 'sdiv'), sz: size, d: dataReg, n: dataReg, m: dataReg, a: fc.constantFrom(...EDGE), b: fc.constantFrom(...EDGE) })
  .filter(({ n, m }) => n !== m)
  .map(({ op, sz, d, n, m, a, b }) =>
    item('div-edge', `ldr ${reg(n, 'x')}, =0x${a.toString(16)}`, `ldr ${reg(m, 'x')}, =0x${b.toString(16)}`, `${op} ${reg(d, sz)}, ${reg(n, sz)}, ${reg(m, sz)}`),
  );

/** Hints (all NOPs here except the ones that wait: WFE and WFI are not generated) and barriers. */
const hint = fc.oneof(
  fc.integer({ min: 0, max: 127 }).filter((h) => h !== 2 && h !== 3).map((h) => item('hint', `hint #${h}`)),
  fc.constantFrom('nop', 'yield', 'sev', 'sevl', 'isb', 'dsb sy', 'dsb ish', 'dmb ishld', 'dmb oshst', 'dmb sy', 'csdb', 'ssbb', 'pssbb').map((t) => item('hint', t)),
);

const sysreg = fc.oneof(
  fc.record({ d: dataReg, r: fc.constantFrom('currentel', 'daif', 'spsel', 'nzcv') }).map(({ d, r }) => item('sysreg', `mrs ${reg(d, 'x')}, ${r}`)),
  fc
    .record({ n: regOrZr, d: dataReg, r: fc.constantFrom('tpidr_el0', 'tpidr_el1', 'tpidrro_el0', 'contextidr_el1') })
    .map(({ n, d, r }) => item('sysreg', `msr ${r}, ${reg(n, 'x')}`, `mrs ${reg(d, 'x')}, ${r}`)),
);

const pcRel = fc.oneof(
  fc.record({ d: dataReg, off: fc.integer({ min: -1000, max: 1000 }) }).map(({ d, off }) => item('pc-rel', `adr ${reg(d, 'x')}, . + ${off}`)),
  fc.record({ d: dataReg, off: fc.integer({ min: -8, max: 8 }) }).map(({ d, off }) => item('pc-rel', `adrp ${reg(d, 'x')}, . + ${off * 4096}`)),
);

/** Indirect forward branch: br/blr/ret to a forward label through a data register. */
const indirect: fc.Arbitrary<Item> = fc
  .record({ op: fc.constantFrom('br', 'blr', 'ret'), t: dataReg, skip: fc.integer({ min: 0, max: 2 }) })
  .map(({ op, t, skip }) => ({ cls: 'branch-indirect', lines: [], branch: { insn: `adr ${reg(t, 'x')}, %L\n${op} ${reg(t, 'x')}`, skip } }));

/** Faulting accesses of other shapes: no writeback, no partial register update on a fault. */
const faultShapes = fc
  .record({
    kind: fc.constantFrom('post', 'pre', 'pair', 'pair-post', 'atomic', 'cas', 'excl', 'ldar', 'misaligned-atomic', 'misaligned-cas', 'misaligned-ldar'),
    t: dataReg,
    t2: dataReg,
    pa: fc.constantFrom(0x7000n, 0xc000n),
    off: fc.integer({ min: -16, max: 16 }).map((v) => v * 8),
  })
  .filter(({ t, t2 }) => t !== t2)
  .map(({ kind, t, t2, pa, off }) => {
    const x = (n: number) => reg(n, 'x');
    const body: Record<string, string> = {
      post: `ldr ${x(t)}, [x27], #${off}`,
      pre: `str ${x(t)}, [x27, #${off}]!`,
      pair: `ldp ${x(t)}, ${x(t2)}, [x27, #${off}]`,
      'pair-post': `stp ${x(t)}, ${x(t2)}, [x27], #${off}`,
      atomic: `ldadd ${x(t)}, ${x(t2)}, [x27]`,
      cas: `cas ${x(t)}, ${x(t2)}, [x27]`,
      excl: `ldxr ${x(t)}, [x27]`,
      ldar: `ldar ${x(t)}, [x27]`,
      'misaligned-atomic': `swpal ${x(t)}, ${x(t2)}, [x27]`,
      'misaligned-cas': `casa ${reg(t, 'w')}, ${reg(t2, 'w')}, [x27]`,
      'misaligned-ldar': `stlr ${reg(t, 'w')}, [x27]`,
    };
    if (kind.startsWith('misaligned')) return item('exc-align', ...setBase('x27', BigInt(8 * (t + 1) + 1 + (t2 % 3))), body[kind]!);
    return item(pa === 0x7000n ? 'exc-extabort' : 'exc-translation', `movz x27, #0x${pa.toString(16)}, lsl #16`, body[kind]!);
  });

/** Cache maintenance (by VA, to the point of coherency/unification), DC ZVA, prefetch, AT + PAR_EL1. */
const cacheAt = fc.oneof(
  fc
    .record({ op: fc.constantFrom('dc civac', 'dc cvac', 'dc cvau', 'ic ivau', 'dc zva'), b: base, slot: fc.integer({ min: 0, max: SCRATCH - 1 }) })
    .map(({ op, b, slot }) => item('cache-maint', ...setBase(b, BigInt(slot)), `${op}, ${b}`)),
  fc
    .record({ op: fc.constantFrom('pldl1keep', 'pldl2strm', 'pstl1keep', 'plil3strm'), b: base, slot: fc.integer({ min: 0, max: 127 }) })
    .map(({ op, b, slot }) => item('prefetch', ...setBase(b, 0n), `prfm ${op}, [${b}, #${slot * 8}]`)),
  // Not at Device memory: PAR_EL1.SH for Device is an implementation choice
  // (QEMU returns the descriptor's SH, 0b00 here; hvrr a fixed 0b11).
  fc
    .record({ op: fc.constantFrom('s1e1r', 's1e1w', 's1e0r', 's1e0w'), d: dataReg, where: fc.constantFrom('scratch', 'unmapped-pa', 'invalid') })
    .map(({ op, d, where }) => {
      const set = where === 'scratch' ? setBase('x27', 40n) : [`movz x27, #0x${where === 'invalid' ? 'c000' : '7000'}, lsl #16`];
      return item('at-par', ...set, `at ${op}, x27`, 'isb', `mrs ${reg(d, 'x')}, par_el1`);
    }),
);

// ---- sequences ----

export interface GenOptions {
  /** Include LSE atomics (needs a QEMU CPU with FEAT_LSE). */
  lse?: boolean;
  minLength?: number;
  maxLength?: number;
}

export function itemArb(opts: GenOptions = {}): fc.Arbitrary<Item> {
  const w = (weight: number, arbitrary: fc.Arbitrary<Item>) => ({ weight, arbitrary });
  const classes = [
    w(4, addSubImm), w(4, addSubShifted), w(3, addSubExt), w(3, logicalImm), w(3, logicalShifted), w(3, moveWide),
    w(4, bitfield), w(2, extr), w(3, adcSbc), w(3, condCompare), w(3, condSelect), w(4, mulDiv), w(2, oneSource),
    w(2, shiftVar), w(2, crc), w(2, flagOps), w(8, ldstSingle), w(4, ldstPair), w(1, literalLoad),
    w(2, exclusivePair), w(1, exclusivePairPair), w(1, acquireRelease), w(4, branch), w(2, exception),
    w(1, divEdge), w(1, hint), w(1, sysreg), w(1, pcRel), w(1, indirect), w(1, faultShapes), w(1, cacheAt),
  ];
  if (opts.lse !== false) classes.push(w(3, lseAtomic), w(2, lseCas), w(1, lseCasp));
  return fc.oneof(...classes);
}

const INTERESTING = [
  0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n,
  0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0xfffffffffffffffen, 0xffffffff80000000n, 0x8000000000000001n,
];
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
export const regValue = fc.oneof(
  { weight: 3, arbitrary: u64 },
  { weight: 2, arbitrary: fc.constantFrom(...INTERESTING) },
  { weight: 2, arbitrary: fc.integer({ min: -64, max: 64 }).map((v) => BigInt.asUintN(64, BigInt(v))) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 0xffffffffn }) },
);

export const initArb: fc.Arbitrary<InitState> = fc.record({
  regs: fc.array(regValue, { minLength: DATA_REGS, maxLength: DATA_REGS }),
  nzcv: fc.integer({ min: 0, max: 15 }),
  memSeed: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }),
});

export function sequenceArb(opts: GenOptions = {}): fc.Arbitrary<Sequence> {
  return fc.record({
    items: fc.array(itemArb(opts), { minLength: opts.minLength ?? 1, maxLength: opts.maxLength ?? 12 }),
    init: initArb,
  });
}

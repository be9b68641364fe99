// Test harness for the CPU core: assemble a snippet with core/asm, run it in
// a fresh single-CPU Machine at EL1 (MMU off), stop at an end marker, and
// expose registers, memory, system registers and trace events. Also builds
// 4 KB-granule translation tables (stage 1 and stage 2) in emulated RAM, and
// provides small BigInt reference helpers for expected values.
//
// End markers (all HVC, handled by the harness's EL2 software):
//   `hvc #0xfff`          END: the snippet finished (result.ended)
//   `hvc #0x100 + n`      the n-th EL1 vector of the trap table was entered
//                         (the table is appended to every snippet; VBAR_EL1
//                         points at it unless the test sets its own)
//   `hvc #0` (x0 = PSCI)  forwarded to the PSCI firmware stand-in
// Any other exception to EL2/EL3 is recorded in `el2Exits` and stops the run,
// unless `onEl2` asks to resume (after it has adjusted state and called eret).
import { Machine, type StopReason } from '../machine.js';
import { assemble } from '../asm/assembler.js';
import * as L from './layout.js';
import { PsciStandIn } from '../firmware/standIn.js';
import { SOFTWARE_SLOTS, type ExceptionSoftware } from '../software/software.js';
import type { TraceEvent } from '../trace/events.js';

export const CODE_BASE = 0x4008_0000n;
/** A scratch data area tests may use freely (PA = VA with the MMU off). */
export const DATA = 0x4010_0000n;
export const STACK_TOP = 0x4070_0000n;
/** Translation tables are allocated from here. */
export const PT_POOL = 0x4020_0000;
export const END = 'hvc #0xfff';
export const END_IMM = 0xfff;
export const VECTOR_IMM_BASE = 0x100;

/** Vector offsets (D1.10.2): index = offset / 0x80. */
export const VEC = {
  curSp0Sync: 0, curSp0Irq: 1, curSp0Fiq: 2, curSp0SError: 3,
  curSpxSync: 4, curSpxIrq: 5, curSpxFiq: 6, curSpxSError: 7,
  lowerSync: 8, lowerIrq: 9, lowerFiq: 10, lowerSError: 11,
} as const;

export interface El2Exit {
  toEl: number;
  /** L.EXC_SYNC / EXC_IRQ / EXC_FIQ / EXC_SERROR (ESR is only meaningful for sync). */
  kind: number;
  esr: bigint;
  ec: number;
  iss: number;
  elr: bigint;
  far: bigint;
  hpfar: bigint;
  spsr: bigint;
}

export interface RunOptions {
  lse?: boolean;
  maxInstructions?: number;
  /** Initial X registers. */
  regs?: Record<number, bigint>;
  /** Initial PSTATE (SPSR format); default EL1h with DAIF masked (0x3c5). */
  pstate?: number;
  /** Append the trap vector table and point VBAR_EL1 at it (default true). */
  trapVectors?: boolean;
  /** Called after loading, before running. */
  setup?: (m: Machine, syms: Map<string, bigint>) => void;
  /** Exceptions to EL2/EL3 other than the markers: return true to keep running
   *  (the handler must have made the CPU runnable, usually via m.core.eret). */
  onEl2?: (m: Machine, exit: El2Exit) => boolean;
}

export interface RunResult {
  m: Machine;
  stop: StopReason;
  /** Reached `hvc #0xfff`. */
  ended: boolean;
  /** Index of the trap vector entered (VEC.*), when one was. */
  vector: number | undefined;
  el2Exits: El2Exit[];
  syms: Map<string, bigint>;
  x(n: number): bigint;
  w(n: number): bigint;
  sp(): bigint;
  pc(): bigint;
  /** NZCV as a 4-bit number (N=8, Z=4, C=2, V=1). */
  nzcv(): number;
  pstate(): number;
  el(): number;
  v(n: number): [bigint, bigint];
  /** V register as a 128-bit value. */
  q(n: number): bigint;
  sysreg(slot: number): bigint;
  mem(pa: bigint | number, len: number): Uint8Array;
  u64(pa: bigint | number): bigint;
  u32(pa: bigint | number): number;
  events(kind?: string): TraceEvent[];
}

const TRAP_VECTORS = Array.from({ length: 16 }, (_, i) => `.balign 0x80\n  hvc #${VECTOR_IMM_BASE + i}`).join('\n');

export function newMachine(lse = true): Machine {
  return new Machine({ numCpus: 1, ramBytes: 64 << 20, seed: 1n, lse, traceVerbosity: 1 });
}

/** Assemble `source` at CODE_BASE (with the trap vector table appended as `__trap_vectors`). */
export function assembleSnippet(source: string, trapVectors = true): { bytes: Uint8Array; syms: Map<string, bigint> } {
  const full = trapVectors ? `${source}\n.text\n.balign 0x800\n__trap_vectors:\n${TRAP_VECTORS}\n` : source;
  const r = assemble(full, { baseAddress: CODE_BASE });
  return { bytes: r.bytes, syms: r.symbols };
}

/** Load a snippet into a fresh machine, run it, and report. */
export function run(source: string, opts: RunOptions = {}): RunResult {
  const m = newMachine(opts.lse ?? true);
  const trapVectors = opts.trapVectors ?? true;
  const { bytes, syms } = assembleSnippet(source, trapVectors);
  m.core.writePhys(Number(CODE_BASE), bytes);
  const cpu = 0;
  m.core.setPc(cpu, CODE_BASE);
  if (trapVectors) m.core.setSysregSlot(cpu, L.SLOT_VBAR_EL1, syms.get('__trap_vectors')!);
  // FP/SIMD enabled at EL0/EL1 (CPACR_EL1.FPEN = 0b11).
  m.core.setSysregSlot(cpu, L.SLOT_CPACR_EL1, 3n << 20n);
  if (opts.pstate !== undefined) m.core.setPstate(cpu, opts.pstate);
  m.core.setSp(cpu, STACK_TOP);
  for (const [n, v] of Object.entries(opts.regs ?? {})) m.core.setX(cpu, Number(n), v);
  let ended = false;
  let vector: number | undefined;
  const el2Exits: El2Exit[] = [];
  const standIn = new PsciStandIn();
  const software: ExceptionSoftware = {
    handle(mm, c, toEl) {
      const core = mm.core;
      const esr = core.sysreg(c, toEl === 2 ? L.SLOT_ESR_EL2 : L.SLOT_ESR_EL3);
      const ec = Number((esr >> 26n) & 0x3fn);
      const iss = Number(esr & 0x1ff_ffffn);
      const sync = core.excKind(c) === L.EXC_SYNC;
      if (sync && toEl === 2 && ec === 0x16) {
        const imm = iss & 0xffff;
        if (imm === END_IMM) {
          ended = true;
          mm.stop({ kind: 'system-off' });
          return;
        }
        if (imm >= VECTOR_IMM_BASE && imm < VECTOR_IMM_BASE + 16) {
          vector = imm - VECTOR_IMM_BASE;
          mm.stop({ kind: 'halt', message: `trap vector ${vector}` });
          return;
        }
        if (imm === 0) {
          standIn.handle(mm, c, toEl);
          return;
        }
      }
      const exit: El2Exit = {
        toEl, kind: core.excKind(c), esr, ec, iss,
        elr: core.sysreg(c, toEl === 2 ? L.SLOT_ELR_EL2 : L.SLOT_ELR_EL3),
        far: core.sysreg(c, toEl === 2 ? L.SLOT_FAR_EL2 : L.SLOT_FAR_EL3),
        hpfar: core.sysreg(c, L.SLOT_HPFAR_EL2),
        spsr: core.sysreg(c, toEl === 2 ? L.SLOT_SPSR_EL2 : L.SLOT_SPSR_EL3),
      };
      el2Exits.push(exit);
      if (opts.onEl2 && opts.onEl2(mm, exit)) return;
      mm.stop({ kind: 'halt', message: `exception to EL${toEl} EC 0x${ec.toString(16)}` });
    },
  };
  // The harness sees every exception to EL2 and EL3.
  for (const slot of SOFTWARE_SLOTS) m.software.install(slot, software);
  opts.setup?.(m, syms);
  const stop = m.run(opts.maxInstructions ?? 200_000);
  const off = (pa: bigint | number) => Number(pa);
  return {
    m, stop, ended, vector, el2Exits, syms,
    x: (n) => m.core.getX(cpu, n),
    w: (n) => m.core.getX(cpu, n) & 0xffff_ffffn,
    sp: () => m.core.getSp(cpu),
    pc: () => m.core.getPc(cpu),
    nzcv: () => (m.core.pstate(cpu) >>> 28) & 0xf,
    pstate: () => m.core.pstate(cpu),
    el: () => m.core.el(cpu),
    v: (n) => m.core.getV(cpu, n),
    q: (n) => {
      const [lo, hi] = m.core.getV(cpu, n);
      return (hi << 64n) | lo;
    },
    sysreg: (slot) => m.core.sysreg(cpu, slot),
    mem: (pa, len) => m.core.readPhys(off(pa), len).slice(),
    u64: (pa) => new DataView(m.core.readPhys(off(pa), 8).slice().buffer).getBigUint64(0, true),
    u32: (pa) => new DataView(m.core.readPhys(off(pa), 4).slice().buffer).getUint32(0, true),
    events: (kind) => m.trace.last(64).filter((e) => kind === undefined || e.kind === kind),
  };
}

/** Resume at ELR_EL2 + 4 after a trapped instruction (for onEl2 handlers). */
export function skipAndEret(m: Machine): void {
  m.core.setSysregSlot(0, L.SLOT_ELR_EL2, m.core.sysreg(0, L.SLOT_ELR_EL2) + 4n);
  m.core.eret(0);
}

/** Write little-endian 64-bit words at a physical address. */
export function poke64(m: Machine, pa: bigint | number, ...words: bigint[]): void {
  const b = new Uint8Array(words.length * 8);
  const dv = new DataView(b.buffer);
  words.forEach((w, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, w), true));
  m.core.writePhys(Number(pa), b);
}

export function pokeBytes(m: Machine, pa: bigint | number, bytes: number[]): void {
  m.core.writePhys(Number(pa), Uint8Array.from(bytes));
}

// ---- translation tables (VMSAv8-64, 4 KB granule) ----

export const PTE = {
  VALID: 1n,
  TABLE: 3n,
  PAGE: 3n,
  BLOCK: 1n,
  ATTR: (idx: number) => BigInt(idx) << 2n,
  AP_EL0: 1n << 6n, // AP[1]: EL0 access
  AP_RO: 2n << 6n, // AP[2]: read-only
  SH_INNER: 3n << 8n,
  AF: 1n << 10n,
  NG: 1n << 11n,
  PXN: 1n << 53n,
  UXN: 1n << 54n,
  // stage 2
  S2AP_R: 1n << 6n,
  S2AP_W: 2n << 6n,
  S2_NORMAL: 0xfn << 2n, // MemAttr Normal, Inner/Outer Write-Back
  S2_DEVICE: 0x1n << 2n, // MemAttr Device-nGnRE
  XN: 1n << 54n,
} as const;

/** MAIR_EL1: index 0 Normal WB, index 1 Device-nGnRnE. */
export const MAIR = 0x00ffn;
/** Default stage 1 leaf attributes: Normal, inner shareable, AF set, EL1 RW. */
export const S1_NORMAL = PTE.ATTR(0) | PTE.SH_INNER | PTE.AF;
export const S1_DEVICE = PTE.ATTR(1) | PTE.AF;
export const S2_RW = PTE.S2AP_R | PTE.S2AP_W | PTE.S2_NORMAL | PTE.SH_INNER | PTE.AF;

const poolCursor = new WeakMap<Machine, Map<number, number>>();

/** Allocate a zeroed, 4 KB-aligned table (or `bytes` of tables) from the
 *  pool starting at `pool` (PT_POOL, or another, e.g. in secure RAM). */
export function allocTable(m: Machine, bytes = 0x1000, pool = PT_POOL): number {
  let cursors = poolCursor.get(m);
  if (!cursors) poolCursor.set(m, (cursors = new Map()));
  let cur = cursors.get(pool) ?? pool;
  cur = Math.ceil(cur / bytes) * bytes;
  m.core.writePhys(cur, new Uint8Array(bytes));
  cursors.set(pool, cur + bytes);
  return cur;
}

/** Translation table tree rooted at `root`, walked from `startLevel` (4 KB
 *  granule), its tables allocated from `pool`. */
export class Tables {
  readonly root: number;
  constructor(readonly m: Machine, readonly startLevel: number, readonly inputBits = 39, readonly pool = PT_POOL) {
    this.root = allocTable(m, 0x1000, pool);
  }
  private shift(level: number): bigint {
    return BigInt(12 + 9 * (3 - level));
  }
  private readDesc(pa: number): bigint {
    return new DataView(this.m.core.readPhys(pa, 8).slice().buffer).getBigUint64(0, true);
  }
  /** The descriptor slot for `va` at `level`, creating tables on the way. */
  slot(va: bigint, level: number, tableBits = 0n): number {
    let table = this.root;
    for (let l = this.startLevel; ; l++) {
      const width = l === this.startLevel ? BigInt(this.inputBits) - this.shift(l) : 9n;
      const idx = Number((va >> this.shift(l)) & ((1n << width) - 1n));
      const pa = table + idx * 8;
      if (l === level) return pa;
      let d = this.readDesc(pa);
      if ((d & 3n) !== 3n) {
        const t = allocTable(this.m, 0x1000, this.pool);
        d = BigInt(t) | 3n | tableBits;
        poke64(this.m, pa, d);
      }
      table = Number(d & 0x0000_ffff_ffff_f000n);
    }
  }
  /** Map one 4 KB page (level 3). */
  page(va: bigint, pa: bigint, attrs: bigint): this {
    poke64(this.m, this.slot(va, 3), pa | attrs | PTE.PAGE);
    return this;
  }
  /** Map a block at level 1 (1 GB) or 2 (2 MB). */
  block(va: bigint, pa: bigint, level: 1 | 2, attrs: bigint): this {
    poke64(this.m, this.slot(va, level), pa | attrs | PTE.BLOCK);
    return this;
  }
  /** Overwrite the raw descriptor for `va` at `level`. */
  raw(va: bigint, level: number, desc: bigint): this {
    poke64(this.m, this.slot(va, level), desc);
    return this;
  }
}

/** TCR_EL1 with 4 KB granules, T0SZ = T1SZ = 25 (39-bit VAs, walks start at level 1), 40-bit IPS. */
export function tcr(opts: { t0sz?: number; t1sz?: number; tbi0?: boolean; as16?: boolean; epd1?: boolean } = {}): bigint {
  const t0 = BigInt(opts.t0sz ?? 25);
  const t1 = BigInt(opts.t1sz ?? 25);
  let v = t0 | (t1 << 16n) | (1n << 8n) | (1n << 10n) | (3n << 12n) | (1n << 24n) | (1n << 26n) | (3n << 28n) | (2n << 30n) | (2n << 32n);
  if (opts.tbi0) v |= 1n << 37n;
  if (opts.as16) v |= 1n << 36n;
  if (opts.epd1) v |= 1n << 23n;
  return v;
}

/** Level a walk starts at for a TxSZ (4 KB granule). */
export function startLevel(txsz: number): number {
  const bits = 64 - txsz;
  return bits > 39 ? 0 : bits > 30 ? 1 : 2;
}

/**
 * Stage 1 set-up from TypeScript: TTBR0 tables with the 1 GB of RAM at
 * 0x40000000 identity-mapped (so the snippet keeps running) and MAIR/TCR
 * written; the MMU is switched on when `enable` (SCTLR_EL1.M, plus C and I).
 */
export function stage1(m: Machine, opts: { t0sz?: number; t1sz?: number; tbi0?: boolean; as16?: boolean; asid?: bigint; enable?: boolean; sctlrExtra?: bigint } = {}): { ttbr0: Tables; ttbr1: Tables } {
  const t0sz = opts.t0sz ?? 25;
  const t1sz = opts.t1sz ?? 25;
  const ttbr0 = new Tables(m, startLevel(t0sz), 64 - t0sz);
  const ttbr1 = new Tables(m, startLevel(t1sz), 64 - t1sz);
  if (startLevel(t0sz) <= 1) ttbr0.block(0x4000_0000n, 0x4000_0000n, 1, S1_NORMAL);
  const core = m.core;
  core.setSysregSlot(0, L.SLOT_MAIR_EL1, MAIR);
  core.setSysregSlot(0, L.SLOT_TCR_EL1, tcr(opts));
  core.setSysregSlot(0, L.SLOT_TTBR0_EL1, BigInt(ttbr0.root) | ((opts.asid ?? 0n) << 48n));
  core.setSysregSlot(0, L.SLOT_TTBR1_EL1, BigInt(ttbr1.root));
  if (opts.enable ?? true) {
    const sctlr = core.sysreg(0, L.SLOT_SCTLR_EL1);
    core.setSysregSlot(0, L.SLOT_SCTLR_EL1, sctlr | 1n | (1n << 2n) | (1n << 12n) | (opts.sctlrExtra ?? 0n));
  }
  core.flushTlb(0);
  return { ttbr0, ttbr1 };
}

/**
 * Stage 2 set-up: VTCR_EL2 T0SZ = 25 (39-bit IPA), SL0 = 1 (start at level 1),
 * 4 KB granule; the RAM GB at IPA 0x40000000 mapped to itself unless
 * `identityRam` is false; HCR_EL2.VM set.
 */
export function stage2(m: Machine, opts: { vmid?: bigint; identityRam?: boolean } = {}): Tables {
  const t = new Tables(m, 1);
  if (opts.identityRam ?? true) t.block(0x4000_0000n, 0x4000_0000n, 1, S2_RW);
  const core = m.core;
  const vtcr = 25n | (1n << 6n) | (1n << 8n) | (1n << 10n) | (3n << 12n) | (2n << 16n) | (1n << 31n);
  core.setSysregSlot(0, L.SLOT_VTCR_EL2, vtcr);
  core.setSysregSlot(0, L.SLOT_VTTBR_EL2, BigInt(t.root) | ((opts.vmid ?? 1n) << 48n));
  core.setSysregSlot(0, L.SLOT_HCR_EL2, core.sysreg(0, L.SLOT_HCR_EL2) | 1n);
  core.flushTlb(0);
  return t;
}

// ---- BigInt reference helpers ----

export const mask = (bits: number): bigint => (1n << BigInt(bits)) - 1n;
export const u = (v: bigint, bits = 64): bigint => BigInt.asUintN(bits, v);
export const s = (v: bigint, bits = 64): bigint => BigInt.asIntN(bits, v);

/** AddWithCarry (ARM ARM shared pseudocode): result and NZCV (N=8 Z=4 C=2 V=1). */
export function addWithCarry(x: bigint, y: bigint, carry: bigint, bits: 32 | 64): { result: bigint; nzcv: number } {
  const ux = u(x, bits), uy = u(y, bits);
  const usum = ux + uy + carry;
  const ssum = s(x, bits) + s(y, bits) + carry;
  const result = u(usum, bits);
  const n = (result >> BigInt(bits - 1)) & 1n;
  const z = result === 0n ? 1 : 0;
  const c = result === usum ? 0 : 1;
  const v = s(result, bits) === ssum ? 0 : 1;
  return { result, nzcv: (Number(n) << 3) | (z << 2) | (c << 1) | v };
}

/** ConditionHolds for a 4-bit NZCV. */
export function conditionHolds(cond: number, nzcv: number): boolean {
  const n = (nzcv >> 3) & 1, z = (nzcv >> 2) & 1, c = (nzcv >> 1) & 1, v = nzcv & 1;
  let r: boolean;
  switch (cond >> 1) {
    case 0: r = z === 1; break;
    case 1: r = c === 1; break;
    case 2: r = n === 1; break;
    case 3: r = v === 1; break;
    case 4: r = c === 1 && z === 0; break;
    case 5: r = n === v; break;
    case 6: r = n === v && z === 0; break;
    default: r = true;
  }
  return (cond & 1) === 1 && cond !== 15 ? !r : r;
}

export const COND_NAMES = ['eq', 'ne', 'cs', 'cc', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le', 'al', 'nv'] as const;

/** Bytes of a bigint, little-endian. */
export function leBytes(v: bigint, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
}

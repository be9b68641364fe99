// One PE's register file by architectural name: what software outside the
// core (the EL2/EL3 TypeScript software, the machine, devices) reads and
// writes, so that only core/cpu knows where anything lives in the wasm
// memory. Names are the ARM ARM's: every system register of the sysreg table
// that holds a value (SCTLR_EL1, ESR_EL2, HCR_EL2, VTTBR_EL2, SCR_EL3...),
// plus SP_EL0..SP_EL3, FPCR, FPSR. General-purpose and SIMD registers have
// their own accessors. A write is what an MSR from a higher EL leaves in the
// register; it does not by itself flush translation caches (flushTlb does).
import * as L from './layout.js';
import type { SysregInfo } from './sysregs.js';

/** The registers by name: a byte offset in the CPU's state block, or a banked stack pointer. */
export interface RegisterMap {
  /** Offset of a name's 64-bit value in a CPU state block; SP_ELn are the banks (see get). */
  readonly offsets: ReadonlyMap<string, number>;
  readonly resets: ReadonlyMap<string, bigint>;
}

const SP_BANKS = ['SP_EL0', 'SP_EL1', 'SP_EL2', 'SP_EL3'] as const;

export function registerMap(sysregs: readonly SysregInfo[]): RegisterMap {
  const offsets = new Map<string, number>();
  const resets = new Map<string, bigint>();
  for (const r of sysregs) {
    if (r.kind !== 'rw' && r.kind !== 'ro' && r.kind !== 'wo') continue;
    offsets.set(r.name, L.ST_SYSREG + r.slot * 8);
    resets.set(r.name, r.reset);
  }
  SP_BANKS.forEach((n, i) => {
    offsets.set(n, L.ST_SP_EL0 + i * 8);
    resets.set(n, 0n);
  });
  offsets.set('FPCR', L.ST_FPCR);
  offsets.set('FPSR', L.ST_FPSR);
  resets.set('FPCR', 0n);
  resets.set('FPSR', 0n);
  return { offsets, resets };
}

/** What a register file needs of the core's memory. */
export interface RegisterMemory {
  readonly u32: Uint32Array;
  readonly u64: BigUint64Array;
  base(cpu: number): number;
}

export class RegisterFile {
  private readonly base: number;
  /** Bulk-copy plans: each name's state-block offset (-1: not implemented). Derived, not state. */
  private readonly plans = new Map<readonly string[], Int32Array>();

  constructor(private readonly mem: RegisterMemory, private readonly map: RegisterMap, readonly cpu: number) {
    this.base = mem.base(cpu);
  }

  /** Does the CPU implement a register of this name? */
  has(name: string): boolean {
    return this.map.offsets.has(name);
  }

  /** The register's value. SP_ELn reads the live stack pointer when PSTATE selects that bank. */
  get(name: string): bigint {
    return this.mem.u64[this.index(name)]!;
  }

  set(name: string, value: bigint): void {
    this.mem.u64[this.index(name)] = BigInt.asUintN(64, value);
  }

  /** Its value at an architectural reset (before the machine sets MPIDR, SCR_EL3 and the like). */
  resetValue(name: string): bigint {
    const v = this.map.resets.get(name);
    if (v === undefined) throw new Error(`no register ${name}`);
    return v;
  }

  /** X0..X30; 31 reads as XZR. */
  x(n: number): bigint {
    return n === 31 ? 0n : this.mem.u64[(this.base + L.ST_X + n * 8) / 8]!;
  }
  /** Writes to 31 (XZR) are ignored. */
  setX(n: number, v: bigint): void {
    if (n !== 31) this.mem.u64[(this.base + L.ST_X + n * 8) / 8] = BigInt.asUintN(64, v);
  }

  /** V<n> as [bits 63:0, bits 127:64]. */
  v(n: number): [bigint, bigint] {
    const i = (this.base + L.ST_V + n * 16) / 8;
    return [this.mem.u64[i]!, this.mem.u64[i + 1]!];
  }
  setV(n: number, lo: bigint, hi: bigint): void {
    const i = (this.base + L.ST_V + n * 16) / 8;
    this.mem.u64[i] = BigInt.asUintN(64, lo);
    this.mem.u64[i + 1] = BigInt.asUintN(64, hi);
  }

  // Bulk copies for context switches (the EL3 firmware's world switch): raw
  // 64-bit values as pairs of 32-bit words (low first), no BigInt per register.

  /** x0-x30 into out[at .. at + 62). */
  readGprWords(out: Uint32Array, at: number): void {
    const i = (this.base + L.ST_X) / 4;
    out.set(this.mem.u32.subarray(i, i + 62), at);
  }
  writeGprWords(from: Uint32Array, at: number): void {
    const i = (this.base + L.ST_X) / 4;
    this.mem.u32.set(from.subarray(at, at + 62), i);
  }
  /** V0-V31 (128 bits each) into out[at .. at + 128). */
  readVectorWords(out: Uint32Array, at: number): void {
    const i = (this.base + L.ST_V) / 4;
    out.set(this.mem.u32.subarray(i, i + 128), at);
  }
  writeVectorWords(from: Uint32Array, at: number): void {
    const i = (this.base + L.ST_V) / 4;
    this.mem.u32.set(from.subarray(at, at + 128), i);
  }
  /** The named registers into out[at + 2k], out[at + 2k + 1]; a name the CPU lacks reads as 0. */
  readNamedWords(names: readonly string[], out: Uint32Array, at: number): void {
    const u32 = this.mem.u32;
    const plan = this.plan(names);
    for (let k = 0; k < plan.length; k++) {
      const off = plan[k]!;
      const i = off < 0 ? -1 : this.indexOf(off) * 2;
      out[at + 2 * k] = i < 0 ? 0 : u32[i]!;
      out[at + 2 * k + 1] = i < 0 ? 0 : u32[i + 1]!;
    }
  }
  /** The named registers from from[at + 2k..]; names the CPU lacks are skipped. */
  writeNamedWords(names: readonly string[], from: Uint32Array, at: number): void {
    const u32 = this.mem.u32;
    const plan = this.plan(names);
    for (let k = 0; k < plan.length; k++) {
      const off = plan[k]!;
      if (off < 0) continue;
      const i = this.indexOf(off) * 2;
      u32[i] = from[at + 2 * k]!;
      u32[i + 1] = from[at + 2 * k + 1]!;
    }
  }

  private plan(names: readonly string[]): Int32Array {
    let p = this.plans.get(names);
    if (!p) {
      p = Int32Array.from(names, (n) => this.map.offsets.get(n) ?? -1);
      this.plans.set(names, p);
    }
    return p;
  }

  /** CLREX: drop the local exclusive monitor (a context switch must not carry one across). */
  clearExclusive(): void {
    this.mem.u32[(this.base + L.ST_EXCL_VALID) / 4] = 0;
  }

  private index(name: string): number {
    const off = this.map.offsets.get(name);
    if (off === undefined) throw new Error(`no register ${name}`);
    return this.indexOf(off);
  }

  /** The u64 index of the register at state-block offset `off`. */
  private indexOf(off: number): number {
    if (off >= L.ST_SP_EL0 && off <= L.ST_SP_EL3) {
      // The live SP is slot 31 while PSTATE selects the bank (SPSel = 1 at EL n, or SP_EL0).
      const el = this.mem.u32[(this.base + L.ST_EL) / 4]!;
      const sel = this.mem.u32[(this.base + L.ST_SPSEL) / 4]!;
      const live = L.ST_SP_EL0 + (sel !== 0 ? el * 8 : 0);
      if (off === live) return (this.base + L.ST_X + 31 * 8) / 8;
    }
    return (this.base + off) / 8;
  }
}

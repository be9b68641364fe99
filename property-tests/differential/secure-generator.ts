// Generated Secure EL1 sequences for the secure differential tier
// (secure-el1.test.ts): loads, stores and address translations (AT S1E1R/W
// + PAR_EL1) through windows of a secure stage 1 whose descriptors select
// the Secure or the Non-secure physical address space (the NS bit of a block
// descriptor, NSTable of a table descriptor), into secure RAM and
// Non-secure RAM, plus EL1 system register writes and reads and a little
// ALU work so stored values vary. Deterministic in (seed, index).
//
// Register discipline (shared with secure-harness.ts): x0..x15 data,
// x26 the address register set right before each access; x29 the record
// pointer, x30 the link register and SP the handler stack are never named.

/** A translation window: where a VA range goes and what an access there does. */
export interface Window {
  name: string;
  /** First VA of the window (1 KiB of scratch behind it, when it maps any). */
  va: bigint;
  /** 'secure' / 'ns': the scratch area reached; 'abort': a Non-secure access
   *  to secure RAM, a bus error (synchronous external abort). */
  reaches: 'secure' | 'ns' | 'abort';
}

/** The windows the harness's tables set up (secure-harness.ts tables()). */
export const WINDOWS: readonly Window[] = [
  { name: 'sec-ns0', va: 0xc000_0000n, reaches: 'secure' }, // block NS = 0 -> secure RAM
  { name: 'sec-ns1', va: 0xc020_0000n, reaches: 'abort' }, // block NS = 1 -> secure RAM's PA in the Non-secure space
  { name: 'ns-ns0', va: 0xc040_0000n, reaches: 'ns' }, // block NS = 0 -> Non-secure RAM through the Secure space
  { name: 'ns-ns1', va: 0xc060_0000n, reaches: 'ns' }, // block NS = 1 -> Non-secure RAM
  { name: 'nstable-ns', va: 0x8000_0000n, reaches: 'ns' }, // NSTable = 1, leaf NS = 0 (ignored) -> Non-secure RAM
  { name: 'nstable-sec', va: 0x8020_0000n, reaches: 'abort' }, // NSTable = 1 -> secure RAM's PA, Non-secure: abort
  { name: 'sec-flat', va: 0x0e40_0000n, reaches: 'secure' }, // the identity map of secure RAM
];

export const SCRATCH_BYTES = 1024;
export const DATA_REGS = 16;

/** EL1/EL0 registers a sequence may write and read back: none changes how
 *  the sequence's own code and data are translated or trapped. Left out:
 *  AMAIR_EL1, AFSR0_EL1, AFSR1_EL1, whose contents are IMPLEMENTATION
 *  DEFINED (QEMU makes them RAZ/WI, hvrr keeps what is written:
 *  docs/differential.md "Secure EL1"). */
export const SYSREGS: readonly string[] = [
  'tpidr_el1', 'tpidr_el0', 'tpidrro_el0', 'contextidr_el1', 'far_el1', 'elr_el1', 'spsr_el1', 'par_el1',
  'sp_el0', 'cntkctl_el1',
];

export interface SecureItem {
  cls: string;
  lines: string[];
}

export interface SecureSequence {
  items: SecureItem[];
  regs: bigint[];
  nzcv: number;
  memSeed: bigint;
}

/** splitmix64: the sequence's random source. */
class Rng {
  private s: bigint;
  constructor(seed: number, index: number) {
    this.s = BigInt.asUintN(64, (BigInt(seed) << 32n) ^ BigInt(index) ^ 0x5ec0_e1d1_ff00_0000n);
  }
  next(): bigint {
    this.s = BigInt.asUintN(64, this.s + 0x9e37_79b9_7f4a_7c15n);
    let z = this.s;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58_476d_1ce4_e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d0_49bb_1331_11ebn);
    return z ^ (z >> 31n);
  }
  int(n: number): number {
    return Number(this.next() % BigInt(n));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  /** An interesting 64-bit value: random, small, all ones, sign bits. */
  value(): bigint {
    switch (this.int(6)) {
      case 0: return BigInt(this.int(256));
      case 1: return 0xffff_ffff_ffff_ffffn;
      case 2: return 1n << BigInt(this.int(64));
      case 3: return BigInt.asUintN(64, -BigInt(this.int(1000)));
      default: return this.next();
    }
  }
}

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;
const LOADS: Record<number, readonly string[]> = { 1: ['ldrb w', 'ldrsb x'], 2: ['ldrh w', 'ldrsh x'], 4: ['ldr w', 'ldrsw x'], 8: ['ldr x'] };
const STORES: Record<number, string> = { 1: 'strb w', 2: 'strh w', 4: 'str w', 8: 'str x' };

function access(r: Rng): SecureItem {
  const w = r.pick(WINDOWS);
  const size = r.pick([1, 2, 4, 8, 16]);
  const off = r.int(SCRATCH_BYTES / size) * size;
  const lines = [`ldr x26, =${hex(w.va + BigInt(off))}`];
  const rt = r.int(DATA_REGS);
  const store = r.int(2) === 0;
  if (size === 16) {
    let rt2 = r.int(DATA_REGS);
    if (!store && rt2 === rt) rt2 = (rt + 1) % DATA_REGS; // LDP with Rt == Rt2 is CONSTRAINED UNPREDICTABLE
    lines.push(`${store ? 'stp' : 'ldp'} x${rt}, x${rt2}, [x26]`);
  } else {
    lines.push(store ? `${STORES[size]}${rt}, [x26]` : `${r.pick(LOADS[size]!)}${rt}, [x26]`);
  }
  return { cls: `${store ? 'st' : 'ld'}-${w.name}`, lines };
}

function translate(r: Rng): SecureItem {
  const w = r.pick(WINDOWS);
  const off = r.int(SCRATCH_BYTES);
  const op = r.pick(['s1e1r', 's1e1w']);
  return { cls: `at-${w.name}`, lines: [`ldr x26, =${hex(w.va + BigInt(off))}`, `at ${op}, x26`, 'isb', `mrs x${r.int(DATA_REGS)}, par_el1`] };
}

function sysreg(r: Rng): SecureItem {
  const name = r.pick(SYSREGS);
  const src = r.int(DATA_REGS);
  const dst = r.int(DATA_REGS);
  return { cls: `sysreg-${name}`, lines: [`msr ${name}, x${src}`, `mrs x${dst}, ${name}`] };
}

function alu(r: Rng): SecureItem {
  const d = r.int(DATA_REGS);
  const a = r.int(DATA_REGS);
  const b = r.int(DATA_REGS);
  const line = r.pick([
    `add x${d}, x${a}, x${b}`, `eor x${d}, x${a}, x${b}, ror #${r.int(64)}`, `mul x${d}, x${a}, x${b}`,
    `movk x${d}, #${hex(r.int(0x10000))}, lsl #${16 * r.int(4)}`, `adds x${d}, x${a}, #${r.int(4096)}`,
  ]);
  return { cls: 'alu', lines: [line] };
}

/** Sequence `index` of `seed`: 4..16 items. */
export function secureSequence(seed: number, index: number): SecureSequence {
  const r = new Rng(seed, index);
  const n = 4 + r.int(13);
  const items: SecureItem[] = [];
  for (let i = 0; i < n; i++) {
    const k = r.int(10);
    items.push(k < 5 ? access(r) : k < 7 ? translate(r) : k < 9 ? sysreg(r) : alu(r));
  }
  return {
    items,
    regs: Array.from({ length: DATA_REGS }, () => r.value()),
    nzcv: r.int(16),
    memSeed: r.next() | 1n,
  };
}

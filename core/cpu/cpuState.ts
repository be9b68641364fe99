// A CPU's architectural and model state as a named-field record (for
// snapshots), and back. Everything in the CPU's block of wasm memory that
// outlives a run() call is here; per-call scratch (exit reason, host value,
// executed count) is not. The TLB is saved as its raw image: it is a cache,
// but a guest that skips a TLBI can observe stale entries, so an exact
// restore keeps them.
import * as L from './layout.js';
import type { CpuCore } from './cpu.js';
import { upgradeRecord, type RecordSchema } from '../stateRecord.js';

export const CPU_RECORD_VERSION = 1;

/** Versions read (stateRecord.ts). A register added to the CPU after a record
 *  was written is absent from it and loads with its reset value. */
const CPU_RECORD_SCHEMA: RecordSchema = { name: 'CPU record', version: CPU_RECORD_VERSION, optional: ['sysregs.*'] };

export interface CpuRecord {
  version: typeof CPU_RECORD_VERSION;
  /** X0..X30 as hex strings. */
  x: string[];
  pc: string;
  /** PSTATE in SPSR format. */
  pstate: number;
  nonSecure: boolean;
  spEl0: string;
  spEl1: string;
  spEl2: string;
  spEl3: string;
  /** V0..V31, each [low 64 bits, high 64 bits] as hex strings. */
  v: Array<[string, string]>;
  fpcr: string;
  fpsr: string;
  /** Every register of the sysreg table that has a value slot, by name. */
  sysregs: Record<string, string>;
  irqLines: number;
  eventRegister: number;
  exclusive: { valid: boolean; hostAddress: string; sizeBytes: number; value: string; value2: string };
  features: number;
  counters: { exceptions: string; undefined: string; lastUndefInsn: number; tlbMisses: string; tlbFlushes: number };
  /** Raw image of the CPU's TLB arrays. */
  tlb: Uint8Array;
}

const hex = (v: bigint): string => '0x' + v.toString(16);
const big = (s: string): bigint => BigInt(s);

export function saveCpu(core: CpuCore, cpu: number): CpuRecord {
  const b = core.base(cpu);
  const u64 = (off: number): bigint => core.u64[(b + off) / 8]!;
  const u32 = (off: number): number => core.u32[(b + off) / 4]!;
  const pstate = core.pstate(cpu);
  // Bank the live SP so the SP_ELx fields are complete (slot 31 is the live one).
  const el = (pstate >> 2) & 3;
  const spsel = pstate & 1;
  const banks = [u64(L.ST_SP_EL0), u64(L.ST_SP_EL1), u64(L.ST_SP_EL2), u64(L.ST_SP_EL3)];
  banks[spsel ? el : 0] = core.getSp(cpu);
  const sysregs: Record<string, string> = {};
  for (const r of core.sysregs) {
    if (r.kind === 'rw' || r.kind === 'ro' || r.kind === 'wo') sysregs[r.name] = hex(core.sysregSlot(cpu, r.slot));
  }
  const tlbStart = L.TLB_BASE + cpu * L.TLB_PER_CPU_BYTES;
  return {
    version: CPU_RECORD_VERSION,
    x: Array.from({ length: 31 }, (_, i) => hex(core.getX(cpu, i))),
    pc: hex(core.getPc(cpu)),
    pstate,
    nonSecure: core.isNonSecure(cpu),
    spEl0: hex(banks[0]!),
    spEl1: hex(banks[1]!),
    spEl2: hex(banks[2]!),
    spEl3: hex(banks[3]!),
    v: Array.from({ length: 32 }, (_, i) => {
      const [lo, hi] = core.getV(cpu, i);
      return [hex(lo), hex(hi)] as [string, string];
    }),
    fpcr: hex(u64(L.ST_FPCR)),
    fpsr: hex(u64(L.ST_FPSR)),
    sysregs,
    irqLines: u32(L.ST_IRQ_LINES),
    eventRegister: u32(L.ST_EVENT_REG),
    exclusive: {
      valid: u32(L.ST_EXCL_VALID) !== 0, hostAddress: hex(u64(L.ST_EXCL_ADDR)), sizeBytes: u32(L.ST_EXCL_SIZE),
      value: hex(u64(L.ST_EXCL_VALUE)), value2: hex(u64(L.ST_EXCL_VALUE2)),
    },
    features: u32(L.ST_FEATURES),
    counters: {
      exceptions: hex(u64(L.ST_EXC_COUNT)),
      undefined: hex(u64(L.ST_UNDEF_COUNT)),
      lastUndefInsn: u32(L.ST_LAST_UNDEF_INSN),
      tlbMisses: hex(u64(L.ST_TLB_MISSES)),
      tlbFlushes: u32(L.ST_TLB_GEN),
    },
    tlb: core.bytes.slice(tlbStart, tlbStart + L.TLB_PER_CPU_BYTES),
  };
}

/** Load a record into `cpu`. Whatever the record lacks (a register or field
 *  added since it was written) takes the value of the CPU's architectural reset. */
export function loadCpu(core: CpuCore, cpu: number, record: CpuRecord): void {
  core.reset(cpu);
  const r = upgradeRecord<CpuRecord>(CPU_RECORD_SCHEMA, record, saveCpu(core, cpu));
  if (r.x.length !== 31 || r.v.length !== 32) throw new Error('CPU record has the wrong number of registers');
  if (!(r.tlb instanceof Uint8Array) || r.tlb.length !== L.TLB_PER_CPU_BYTES) throw new Error('CPU record has a TLB image of the wrong size');
  const b = core.base(cpu);
  const set64 = (off: number, v: bigint): void => {
    core.u64[(b + off) / 8] = BigInt.asUintN(64, v);
  };
  const set32 = (off: number, v: number): void => {
    core.u32[(b + off) / 4] = v >>> 0;
  };
  core.bytes.fill(0, b, b + L.CPU_STATE_BYTES);
  set32(L.ST_CPU_INDEX, cpu);
  set32(L.ST_FEATURES, r.features);
  for (const reg of core.sysregs) {
    if (reg.kind !== 'rw' && reg.kind !== 'ro' && reg.kind !== 'wo') continue;
    core.setSysregSlot(cpu, reg.slot, big(r.sysregs[reg.name]!)); // present: the defaults hold every register
  }
  set32(L.ST_NS, r.nonSecure ? 1 : 0);
  // PSTATE first (it re-banks the live SP), then the banks and the live SP.
  core.setPstate(cpu, r.pstate);
  const banks = [big(r.spEl0), big(r.spEl1), big(r.spEl2), big(r.spEl3)];
  set64(L.ST_SP_EL0, banks[0]!);
  set64(L.ST_SP_EL1, banks[1]!);
  set64(L.ST_SP_EL2, banks[2]!);
  set64(L.ST_SP_EL3, banks[3]!);
  const el = (r.pstate >> 2) & 3;
  core.setSp(cpu, banks[(r.pstate & 1) !== 0 ? el : 0]!);
  r.x.forEach((v, i) => core.setX(cpu, i, big(v)));
  core.setPc(cpu, big(r.pc));
  r.v.forEach(([lo, hi], i) => {
    set64(L.ST_V + i * 16, big(lo));
    set64(L.ST_V + i * 16 + 8, big(hi));
  });
  set64(L.ST_FPCR, big(r.fpcr));
  set64(L.ST_FPSR, big(r.fpsr));
  set32(L.ST_IRQ_LINES, r.irqLines);
  set32(L.ST_EVENT_REG, r.eventRegister);
  set32(L.ST_EXCL_VALID, r.exclusive.valid ? 1 : 0);
  set64(L.ST_EXCL_ADDR, big(r.exclusive.hostAddress));
  set32(L.ST_EXCL_SIZE, r.exclusive.sizeBytes);
  set64(L.ST_EXCL_VALUE, big(r.exclusive.value));
  set64(L.ST_EXCL_VALUE2, big(r.exclusive.value2));
  set64(L.ST_EXC_COUNT, big(r.counters.exceptions));
  set64(L.ST_UNDEF_COUNT, big(r.counters.undefined));
  set32(L.ST_LAST_UNDEF_INSN, r.counters.lastUndefInsn);
  set64(L.ST_TLB_MISSES, big(r.counters.tlbMisses));
  set32(L.ST_TLB_GEN, r.counters.tlbFlushes);
  core.bytes.set(r.tlb, L.TLB_BASE + cpu * L.TLB_PER_CPU_BYTES);
  // A restore replaces memory and TLBs: no cached block may outlive it.
  core.flushCode();
}

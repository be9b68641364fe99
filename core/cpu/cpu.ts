// TypeScript face of the wasm CPU core: instantiation with a fixed-size
// memory, register access through typed views created once, and the host
// calls the core makes into devices. It holds no simulation state of its
// own: everything lives in the wasm memory (saved by snapshots).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as L from './layout.js';
import { sysregTable, descriptorOf, type CpuFeatures, type SysregInfo } from './sysregs.js';
import type { CpuView } from './ports.js';
import { Jit } from './jit/jit.js';
import { RegisterFile, registerMap, type RegisterMap } from './registers.js';

// The core's contract with its host, for code outside core/cpu (which never
// imports layout.js): exit reasons of run(), the kind of the exception taken
// to EL2/EL3, host-call statuses, interrupt line bits, limits and timing
// (one tick per instruction, 1 ns; the system counter advances once per
// TICKS_PER_COUNTER ticks).
export {
  EXIT_BUDGET, EXIT_EL2, EXIT_EL3, EXIT_WFI, EXIT_WFE, EXIT_HOST, EXIT_HALT, EXIT_BREAK, EXIT_WATCH, EXIT_DATA_WATCH, DW_MAX,
  EXC_SYNC, EXC_IRQ, EXC_FIQ, EXC_SERROR,
  HOST_OK, HOST_UNDEF, HOST_ABORT, HOST_TRAP_EL2, HOST_TRAP_EL1, HOST_TRAP_EL3,
  LINE_IRQ, LINE_FIQ, LINE_VIRQ, LINE_VFIQ, LINE_VSERROR, LINE_G1S, LINE_G1NS,
  MAX_CPUS, TICKS_PER_COUNTER, COUNTER_HZ, SECURE_RAM_PA, SECURE_RAM_BYTES,
} from './layout.js';

/** Bytes of wasm memory after RAM: the ROM-device window (flash contents,
 *  virtual memory the host only backs where a flash image is), then the
 *  block cache (codecache.ts lays it out the same way): lookup table, a
 *  record per page from secure RAM to the end of the ROM-device window, the
 *  arena, and up to 64 KiB of alignment. */
function afterRamBytes(ramBytes: number): number {
  const pages = (L.RAM_HOST_BASE + ramBytes + L.ROMD_BYTES - L.SECURE_RAM_HOST_BASE) / 4096;
  return L.ROMD_BYTES + L.CODE_LOOKUP_BYTES + pages * L.CODE_PAGE_REC_BYTES + L.CODE_ARENA_BYTES + L.WASM_PAGE_BYTES;
}

/** The largest Non-secure RAM a core can hold (wasm memory is 4 GiB: the
 *  host area, RAM, the ROM-device window, then the block cache), a whole
 *  number of MiB. */
export const MAX_RAM_BYTES = ((): number => {
  let r = Math.floor((0x1_0000_0000 - L.RAM_HOST_BASE - L.WASM_PAGE_BYTES) / 0x100000) * 0x100000;
  while (L.RAM_HOST_BASE + r + afterRamBytes(r) > 0x1_0000_0000) r -= 0x100000;
  return r;
})();

/** What the core asks of the machine. Implementations must not throw for
 *  guest-caused conditions: they answer with HOST_* statuses. */
export interface CoreHost {
  /** A device access. `secure`: it is in the Secure physical address space
   *  (which also reaches every Non-secure device); otherwise Non-secure. */
  mmioRead(cpu: number, pa: number, size: number, secure: boolean): { status: number; value: bigint };
  mmioWrite(cpu: number, pa: number, size: number, value: bigint, secure: boolean): number;
  sysreg(cpu: number, key: number, isRead: boolean, value: bigint): { status: number; value: bigint };
  undef(cpu: number, insn: number, pc: bigint): void;
  /** Returns non-zero to end the current batch right after this exception. */
  exception(cpu: number, fromEl: number, toEl: number, kind: number): number;
  /** After a device or system register access: must the current batch end
   *  right after this instruction (a pause was requested, the machine
   *  stopped)? Without it, every such access ends the batch. */
  endBatch?(cpu: number): boolean;
}

export interface CoreOptions {
  numCpus: number;
  ramBytes: number;
  ramPa?: number;
  features?: Partial<CpuFeatures>;
}

interface CoreExports {
  init(cpus: number, ramPaLo: number, ramPaHi: number, ramSizeLo: number, ramSizeHi: number): void;
  run(cpu: number, budget: number, startLo: number, startHi: number): number;
  eret(cpu: number): void;
  writePstate(cpu: number, value: number): void;
  readPstate(cpu: number): number;
  flushTlb(cpu: number): void;
  setRomd(mask: number): void;
  invalidateVmid(cpuMask: number, vmid: number, secure: number): void;
  resetDirty(): void;
  setEngine(mode: number): void;
  setJitThreshold(n: number): void;
  codeWritten(host: number, len: number): void;
  flushCode(): void;
  codeStat(which: number): number;
  codePageRec(host: number): number;
  jitInterp: unknown;
  jitLoad: unknown;
  jitStore: unknown;
  clearBreakSkips(cpus: number): void;
  clearDataWatchSkips(cpus: number): void;
  dataWatchesChanged(): void;
}

/** How the core executes guest code; every engine gives identical results. */
export type CpuEngine = 'interp' | 'blocks' | 'jit';
/** Slowest to fastest; the last is the default. */
export const CPU_ENGINES: readonly CpuEngine[] = ['interp', 'blocks', 'jit'];
const ENGINE_IDS: Record<CpuEngine, number> = { interp: L.ENGINE_INTERP, blocks: L.ENGINE_BLOCKS, jit: L.ENGINE_JIT };


/** A PC breakpoint: stop before the instruction at `va` on the CPUs in
 *  `cpuMask` (bit n = CPU n) at the exception levels in `elMask` (bit n = ELn). */
export interface Breakpoint {
  va: bigint;
  cpuMask: number;
  elMask: number;
}

/** A data watchpoint: loads (`read`) and/or stores (`write`) touching the
 *  physical range [pa, pa + len) by any CPU stop run() before the accessing
 *  instruction (EXIT_DATA_WATCH). The range must lie in RAM or secure RAM. */
export interface DataWatch {
  pa: number;
  len: number;
  read: boolean;
  write: boolean;
}

// build/cpu.wasm at the package root, reached from core/cpu (sources) or dist/core/cpu (compiled).
const here = dirname(fileURLToPath(import.meta.url));
const wasmCandidates = [join(here, '../../build/cpu.wasm'), join(here, '../../../build/cpu.wasm')];
let cachedModule: WebAssembly.Module | undefined;

function coreModule(): WebAssembly.Module {
  if (!cachedModule) {
    let bytes: Buffer | undefined;
    for (const p of wasmCandidates) {
      try {
        bytes = readFileSync(p);
        break;
      } catch {
        // try the next location
      }
    }
    if (!bytes) throw new Error(`CPU core not built (build/cpu.wasm missing): run 'npm run build'`);
    cachedModule = new WebAssembly.Module(new Uint8Array(bytes));
  }
  return cachedModule;
}

export class CpuCore implements CpuView {
  readonly numCpus: number;
  readonly ramPa: number;
  readonly ramBytes: number;
  readonly memory: WebAssembly.Memory;
  readonly bytes: Uint8Array;
  readonly u32: Uint32Array;
  readonly u64: BigUint64Array;
  readonly sysregs: readonly SysregInfo[];
  readonly sysregByName: ReadonlyMap<string, SysregInfo>;
  readonly features: CpuFeatures;
  /** Every register outside the core by name (registers.ts). */
  readonly registers: RegisterMap;
  private readonly files: RegisterFile[];
  private readonly x: CoreExports;
  /** Translations of hot pages (engine 'jit'). */
  readonly jit = new Jit();
  private host: CoreHost;
  /** No guest or loader has written memory since instantiation (all RAM is zero). */
  private pristine = true;
  /** No resetDirty() since the instance was created (see writesTracked). */
  private dirtySinceCreation = true;

  constructor(opts: CoreOptions, host: CoreHost) {
    if (!Number.isInteger(opts.numCpus) || opts.numCpus < 1 || opts.numCpus > L.MAX_CPUS) {
      throw new Error(`number of CPUs must be 1..${L.MAX_CPUS}, got ${opts.numCpus}`);
    }
    if (opts.ramBytes < 0x100000 || opts.ramBytes > MAX_RAM_BYTES || opts.ramBytes % 0x100000 !== 0) {
      throw new Error(`RAM size must be a multiple of 1 MiB between 1 MiB and ${MAX_RAM_BYTES / 0x100000} MiB`);
    }
    this.numCpus = opts.numCpus;
    this.ramPa = opts.ramPa ?? L.RAM_PA_DEFAULT;
    this.ramBytes = opts.ramBytes;
    this.features = { lse: opts.features?.lse ?? true, crc32: opts.features?.crc32 ?? true, sel2: opts.features?.sel2 ?? false };
    this.host = host;
    const pages = Math.ceil((L.RAM_HOST_BASE + opts.ramBytes + afterRamBytes(opts.ramBytes)) / L.WASM_PAGE_BYTES);
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const imports = {
      env: {
        memory: this.memory,
        abort: () => {
          throw new Error('CPU core aborted');
        },
        mmioRead: (cpu: number, lo: number, hi: number, size: number): number => {
          // Bit 31 of the high word marks a Secure physical access (mmu.ts).
          const r = this.host.mmioRead(cpu, (hi & 0x7fff_ffff) * 0x1_0000_0000 + (lo >>> 0), size, hi < 0);
          this.u64[(this.base(cpu) + L.ST_HOST_VALUE) / 8] = r.value;
          return r.status | this.endBatchFlag(cpu);
        },
        mmioWrite: (cpu: number, lo: number, hi: number, size: number): number => {
          const v = this.u64[(this.base(cpu) + L.ST_HOST_VALUE) / 8]!;
          return this.host.mmioWrite(cpu, (hi & 0x7fff_ffff) * 0x1_0000_0000 + (lo >>> 0), size, v, hi < 0) | this.endBatchFlag(cpu);
        },
        sysreg: (cpu: number, key: number, isRead: number): number => {
          const idx = (this.base(cpu) + L.ST_HOST_VALUE) / 8;
          const r = this.host.sysreg(cpu, key, isRead !== 0, this.u64[idx]!);
          if (isRead !== 0) this.u64[idx] = r.value;
          return r.status | this.endBatchFlag(cpu);
        },
        undef: (cpu: number, insn: number, lo: number, hi: number): void => {
          this.host.undef(cpu, insn >>> 0, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
        },
        exception: (cpu: number, fromEl: number, toEl: number, kind: number): number => this.host.exception(cpu, fromEl, toEl, kind),
        jitCompile: (block: number): number => this.jit.compile(block),
        table: this.jit.table,
      },
    };
    const instance = new WebAssembly.Instance(coreModule(), imports);
    this.x = instance.exports as unknown as CoreExports;

    this.bytes = new Uint8Array(this.memory.buffer);
    this.u32 = new Uint32Array(this.memory.buffer);
    this.u64 = new BigUint64Array(this.memory.buffer);
    const x = this.x;
    this.jit.attach({
      memory: this.memory, u32: this.u32, u64: this.u64,
      helpers: { jitInterp: x.jitInterp, jitLoad: x.jitLoad, jitStore: x.jitStore },
      pageRec: (host) => x.codePageRec(host),
      flushes: () => x.codeStat(1),
    });
    this.sysregs = sysregTable(this.features);
    this.sysregByName = new Map(this.sysregs.map((r) => [r.name, r]));
    this.registers = registerMap(this.sysregs);
    this.files = Array.from({ length: this.numCpus }, (_, c) => new RegisterFile(this, this.registers, c));
    this.x.init(this.numCpus, this.ramPa >>> 0, Math.floor(this.ramPa / 0x1_0000_0000), this.ramBytes >>> 0, Math.floor(this.ramBytes / 0x1_0000_0000));
    const table = new Uint32Array(this.memory.buffer, L.SYSREG_TABLE_BASE, L.SYSREG_TABLE_ENTRIES);
    for (const r of this.sysregs) table[r.key] = descriptorOf(r);
    for (let c = 0; c < this.numCpus; c++) this.reset(c);
    // The instance starts in its own default engine: make it the one `engine` reports.
    this.setEngine(this.engineName);
  }

  private endBatchFlag(cpu: number): number {
    return this.host.endBatch === undefined || this.host.endBatch(cpu) ? L.HOST_END_BATCH : 0;
  }

  /** Replace the host (used when a machine is rebuilt around an existing core). */
  setHost(host: CoreHost): void {
    this.host = host;
  }

  base(cpu: number): number {
    return L.CPU_STATE_BASE + cpu * L.CPU_STATE_BYTES;
  }

  /** Architectural reset of one CPU: EL3-owned state set up for a Non-secure
   *  EL1 entry, as firmware would leave it (SCR_EL3.NS/HCE/RW, HCR_EL2.RW). */
  reset(cpu: number): void {
    const b = this.base(cpu);
    this.bytes.fill(0, b, b + L.CPU_STATE_BYTES);
    this.u32[(b + L.ST_CPU_INDEX) / 4] = cpu;
    let feats = L.FEAT_EL2 | L.FEAT_EL3;
    if (this.features.lse) feats |= L.FEAT_LSE;
    if (this.features.crc32) feats |= L.FEAT_CRC32;
    if (this.features.sel2) feats |= L.FEAT_SEL2;
    this.u32[(b + L.ST_FEATURES) / 4] = feats;
    for (const r of this.sysregs) {
      if (r.kind === 'rw' || r.kind === 'ro' || r.kind === 'wo') this.setSysregSlot(cpu, r.slot, r.reset);
    }
    this.setSysregSlot(cpu, L.SLOT_MPIDR_EL1, 0x8000_0000n | BigInt(cpu));
    this.setSysregSlot(cpu, L.SLOT_VMPIDR_EL2, 0x8000_0000n | BigInt(cpu));
    this.setSysregSlot(cpu, L.SLOT_VPIDR_EL2, this.sysregSlot(cpu, L.SLOT_MIDR_EL1));
    // SCR_EL3: NS=1, SMD=0, HCE=1, RW=1 (D13.2.117); HCR_EL2.RW=1 (EL1 is AArch64).
    this.setSysregSlot(cpu, L.SLOT_SCR_EL3, (1n << 0n) | (1n << 8n) | (1n << 10n));
    this.setSysregSlot(cpu, L.SLOT_HCR_EL2, 1n << 31n);
    this.u32[(b + L.ST_NS) / 4] = 1;
    // EL1h, all interrupts masked.
    this.x.writePstate(cpu, 0x3c5);
  }

  run(cpu: number, budget: number, startTick: number): number {
    this.pristine = false;
    return this.x.run(cpu, budget, startTick >>> 0, Math.floor(startTick / 0x1_0000_0000));
  }
  executed(cpu: number): number {
    return this.u32[(this.base(cpu) + L.ST_EXECUTED) / 4]!;
  }
  eret(cpu: number): void {
    this.x.eret(cpu);
  }
  flushTlb(cpu: number): void {
    this.x.flushTlb(cpu);
  }
  /** TLBI VMALLS12E1(IS) for the EL1&0 regime of the Non-secure (default) or Secure state. */
  invalidateVmid(cpuMask: number, vmid: number, secure = false): void {
    this.x.invalidateVmid(cpuMask, vmid, secure ? 1 : 0);
  }

  /** True while RAM is known to be all zero (fresh instance, nothing run or loaded). */
  get memoryPristine(): boolean {
    return this.pristine;
  }
  /** Memory was filled from outside (e.g. a snapshot restore). */
  memoryWritten(): void {
    this.pristine = false;
    this.x.flushCode();
  }

  // ---- execution engine (not simulation state: any engine gives the same run) ----
  private engineName: CpuEngine = 'jit';
  get engine(): CpuEngine {
    return this.engineName;
  }
  setEngine(engine: CpuEngine): void {
    const id = ENGINE_IDS[engine];
    if (id === undefined) throw new Error(`unknown CPU engine '${String(engine)}' (one of ${CPU_ENGINES.join(', ')})`);
    this.engineName = engine;
    this.x.setEngine(id);
  }
  /** Executions of a block before its page is translated (engine 'jit'); tests
   *  use 1 so every instruction goes through the translator. */
  setJitThreshold(n: number): void {
    this.x.setJitThreshold(n);
    this.jit.threshold = Math.max(1, n);
  }
  /** Drop every cached block (memory was replaced from outside). */
  flushCode(): void {
    this.x.flushCode();
  }
  /** Block cache statistics since instantiation. */
  codeStats(): { blocksBuilt: number; flushes: number; pagesInvalidated: number; translatedCalls: number } {
    return { blocksBuilt: this.x.codeStat(0), flushes: this.x.codeStat(1), pagesInvalidated: this.x.codeStat(2), translatedCalls: this.x.codeStat(3) >>> 0 };
  }

  // ---- debugger stops (host-side: never saved, never change execution) ----
  /** Arm PC breakpoints (replacing any armed ones); run() then ends with
   *  EXIT_BREAK before executing an instruction at one of them. */
  setBreakpoints(list: readonly Breakpoint[]): void {
    if (list.length > L.BP_MAX) throw new RangeError(`at most ${L.BP_MAX} breakpoints, got ${list.length}`);
    const g = L.MACHINE_GLOBALS_BASE;
    list.forEach((b, i) => {
      const e = g + L.MG_BP_TABLE + i * L.BP_ENTRY_BYTES;
      this.u64[e / 8] = BigInt.asUintN(64, b.va);
      this.u32[(e + 8) / 4] = b.cpuMask >>> 0;
      this.u32[(e + 12) / 4] = b.elMask >>> 0;
    });
    this.u32[(g + L.MG_BP_COUNT) / 4] = list.length;
    this.x.clearBreakSkips(this.numCpus);
  }
  /** Let `cpu` execute the instruction at its PC once even if a breakpoint
   *  is armed there (resuming after stopping at it). */
  passBreakpoint(cpu: number): void {
    this.u64[(L.MACHINE_GLOBALS_BASE + L.MG_BP_SKIP + cpu * 8) / 8] = this.getPc(cpu);
  }
  /** Watch MRS/MSR accesses to these sysreg keys (replacing any watched ones):
   *  run() ends with EXIT_WATCH right after an access completes. */
  setSysregWatches(keys: readonly number[]): void {
    if (keys.length > L.WATCH_MAX) throw new RangeError(`at most ${L.WATCH_MAX} watched system registers, got ${keys.length}`);
    const g = L.MACHINE_GLOBALS_BASE;
    keys.forEach((k, i) => {
      this.u32[(g + L.MG_WATCH_TABLE + i * 4) / 4] = k & 0xffff;
    });
    this.u32[(g + L.MG_WATCH_COUNT) / 4] = keys.length;
  }
  /** Arm data watchpoints (replacing any armed ones). Pages they cover lose
   *  their TLB fast path until no watch covers them; nothing else changes. */
  setDataWatches(list: readonly DataWatch[]): void {
    if (list.length > L.DW_MAX) throw new RangeError(`at most ${L.DW_MAX} data watches, got ${list.length}`);
    const g = L.MACHINE_GLOBALS_BASE;
    list.forEach((w, i) => {
      if (!(w.len >= 1 && w.len <= 0x1000_0000)) throw new RangeError(`data watch length must be 1..256 MiB, got ${w.len}`);
      let host = this.ramOffset(w.pa, w.len);
      if (host < 0) host = this.secureRamOffset(w.pa, w.len);
      if (host < 0) throw new RangeError(`data watch 0x${w.pa.toString(16)}+${w.len} is not in RAM`);
      const e = g + L.MG_DW_TABLE + i * L.DW_ENTRY_BYTES;
      this.u64[e / 8] = BigInt(host);
      this.u32[(e + 8) / 4] = w.len;
      this.u32[(e + 12) / 4] = (w.read ? L.DW_READ : 0) | (w.write ? L.DW_WRITE : 0);
    });
    this.u32[(g + L.MG_DW_COUNT) / 4] = list.length;
    this.x.dataWatchesChanged();
  }
  /** After EXIT_DATA_WATCH: the physical address accessed (the first watched
   *  byte of the access) and whether the access writes. */
  dataWatchHit(cpu: number): { pa: number; isWrite: boolean } {
    const v = this.u64[(this.base(cpu) + L.ST_HOST_AUX) / 8]!;
    const host = Number(v & 0xffff_ffff_ffffn);
    const pa = host >= L.RAM_HOST_BASE ? host - L.RAM_HOST_BASE + this.ramPa : host - L.SECURE_RAM_HOST_BASE + L.SECURE_RAM_PA;
    return { pa, isWrite: (v >> 63n) !== 0n };
  }
  /** Forget the data watch hits CPUs passed (the instruction that stopped at
   *  one executes when resumed): after the machine's state was replaced. */
  clearDataWatchSkips(): void {
    this.x.clearDataWatchSkips(this.numCpus);
  }
  /** After EXIT_WATCH: the key accessed and whether it was a read (MRS). */
  watchHit(cpu: number): { key: number; isRead: boolean } {
    const v = Number(this.u64[(this.base(cpu) + L.ST_HOST_AUX) / 8]! & 0x1ffffn);
    return { key: v & 0xffff, isRead: (v >> 16) !== 0 };
  }

  /** True while the dirty map lists every page written since the memory was
   *  all zero (no resetDirty() since the instance was created): every page it
   *  does not list is still zero. */
  get writesTracked(): boolean {
    return this.dirtySinceCreation;
  }

  // ---- dirty-page tracking (incremental snapshots) ----
  /** Start a new epoch: forget which pages were written. */
  resetDirty(): void {
    this.dirtySinceCreation = false;
    this.x.resetDirty();
  }
  /** Indexes (from the RAM base, in 4 KiB pages) of RAM pages written since the last reset. */
  dirtyRamPages(): number[] {
    const first = L.RAM_HOST_BASE >>> 12;
    const count = this.ramBytes >>> 12;
    const map = this.bytes.subarray(L.DIRTY_MAP_BASE + first, L.DIRTY_MAP_BASE + first + count);
    const out: number[] = [];
    for (let i = map.indexOf(1); i !== -1; i = map.indexOf(1, i + 1)) out.push(i);
    return out;
  }
  /** Indexes (from the secure RAM base, in 4 KiB pages) of secure RAM pages written since the last reset. */
  dirtySecureRamPages(): number[] {
    const first = L.SECURE_RAM_HOST_BASE >>> 12;
    const map = this.bytes.subarray(L.DIRTY_MAP_BASE + first, L.DIRTY_MAP_BASE + first + (L.SECURE_RAM_BYTES >>> 12));
    const out: number[] = [];
    for (let i = map.indexOf(1); i !== -1; i = map.indexOf(1, i + 1)) out.push(i);
    return out;
  }
  /** Mark RAM written by the TypeScript side (loaders, EL2 software, DMA). */
  private markDirty(hostOffset: number, len: number): void {
    if (len <= 0) return;
    this.bytes.fill(1, L.DIRTY_MAP_BASE + (hostOffset >>> 12), L.DIRTY_MAP_BASE + ((hostOffset + len - 1) >>> 12) + 1);
  }

  // ---- registers ----
  /** Views of CPU `cpu`'s architectural state for a state hash: registers,
   *  PSTATE, SP banks, exclusive monitor, interrupt lines, V/FPCR/FPSR and
   *  every system register; not statistics or per-call scratch, which depend
   *  on how the run was observed. */
  hashableState(cpu: number): Uint8Array[] {
    const b = this.base(cpu);
    // The bank PSTATE selects is stale while its SP is live in slot 31 (it is
    // written back only on an EL or SPSel change): hash the live value there,
    // so a state reached another way (a restore banks the live SP) hashes the same.
    const regs = this.bytes.slice(b, b + L.ST_EXIT_REASON);
    const el = this.u32[(b + L.ST_EL) / 4]!;
    const live = L.ST_SP_EL0 + (this.u32[(b + L.ST_SPSEL) / 4]! !== 0 ? el * 8 : 0);
    regs.copyWithin(live, L.ST_X + 31 * 8, L.ST_X + 32 * 8);
    return [
      regs, // X, PC, PSTATE, SP banks (the live one as slot 31), exclusive values
      this.bytes.subarray(b + L.ST_IRQ_LINES, b + L.ST_EXCL_ADDR + 8), // lines, event register, monitor
      this.bytes.subarray(b + L.ST_V, b + L.ST_FPSR + 8), // V0-V31, FPCR, FPSR
      this.bytes.subarray(b + L.ST_SYSREG, b + L.ST_SYSREG + L.SYSREG_SLOTS * 8),
    ];
  }
  /** CPU `cpu`'s register file by architectural name: the one way software outside core/cpu reaches registers. */
  regs(cpu: number): RegisterFile {
    const f = this.files[cpu];
    if (!f) throw new RangeError(`no CPU ${cpu}`);
    return f;
  }
  /** A register of `cpu` by name (CpuView). */
  reg(cpu: number, name: string): bigint {
    return this.regs(cpu).get(name);
  }
  getX(cpu: number, n: number): bigint {
    if (n === 31) return 0n;
    return this.u64[(this.base(cpu) + L.ST_X + n * 8) / 8]!;
  }
  setX(cpu: number, n: number, v: bigint): void {
    if (n === 31) return;
    this.u64[(this.base(cpu) + L.ST_X + n * 8) / 8] = BigInt.asUintN(64, v);
  }
  /** The current stack pointer (slot 31). */
  getSp(cpu: number): bigint {
    return this.u64[(this.base(cpu) + L.ST_X + 31 * 8) / 8]!;
  }
  setSp(cpu: number, v: bigint): void {
    this.u64[(this.base(cpu) + L.ST_X + 31 * 8) / 8] = BigInt.asUintN(64, v);
  }
  getPc(cpu: number): bigint {
    return this.u64[(this.base(cpu) + L.ST_PC) / 8]!;
  }
  setPc(cpu: number, v: bigint): void {
    this.u64[(this.base(cpu) + L.ST_PC) / 8] = BigInt.asUintN(64, v);
  }
  pstate(cpu: number): number {
    return this.x.readPstate(cpu) >>> 0;
  }
  setPstate(cpu: number, v: number): void {
    this.x.writePstate(cpu, v | 0);
  }
  el(cpu: number): number {
    return this.u32[(this.base(cpu) + L.ST_EL) / 4]!;
  }
  isNonSecure(cpu: number): boolean {
    return this.u32[(this.base(cpu) + L.ST_NS) / 4] !== 0;
  }
  sysreg(cpu: number, slot: number): bigint {
    return this.sysregSlot(cpu, slot);
  }
  sysregSlot(cpu: number, slot: number): bigint {
    return this.u64[(this.base(cpu) + L.ST_SYSREG + slot * 8) / 8]!;
  }
  setSysregSlot(cpu: number, slot: number, v: bigint): void {
    this.u64[(this.base(cpu) + L.ST_SYSREG + slot * 8) / 8] = BigInt.asUintN(64, v);
  }
  // The tick as two 32-bit halves (ticks stay below 2^53): no BigInt on
  // the trap path, which reads and writes it several times per trap.
  nowTick(cpu: number): number {
    const i = (this.base(cpu) + L.ST_NOW_TICK) / 4;
    return this.u32[i + 1]! * 0x1_0000_0000 + this.u32[i]!;
  }
  setNowTick(cpu: number, tick: number): void {
    const i = (this.base(cpu) + L.ST_NOW_TICK) / 4;
    this.u32[i] = tick >>> 0;
    this.u32[i + 1] = Math.floor(tick / 0x1_0000_0000);
  }
  irqLines(cpu: number): number {
    return this.u32[(this.base(cpu) + L.ST_IRQ_LINES) / 4]!;
  }
  setIrqLines(cpu: number, lines: number): void {
    this.u32[(this.base(cpu) + L.ST_IRQ_LINES) / 4] = lines;
  }
  excKind(cpu: number): number {
    return this.u32[(this.base(cpu) + L.ST_EXC_KIND) / 4]!;
  }
  /** Record the kind of an exception TypeScript software takes on the PE's
   *  behalf (an SMC executed by the TypeScript software at EL2). */
  setExcKind(cpu: number, kind: number): void {
    this.u32[(this.base(cpu) + L.ST_EXC_KIND) / 4] = kind;
  }
  undefCount(cpu: number): number {
    return Number(this.u64[(this.base(cpu) + L.ST_UNDEF_COUNT) / 8]!);
  }
  /** 128-bit V register as [lo, hi]. */
  getV(cpu: number, n: number): [bigint, bigint] {
    const i = (this.base(cpu) + L.ST_V + n * 16) / 8;
    return [this.u64[i]!, this.u64[i + 1]!];
  }

  // ---- physical memory (RAM only; for loaders and EL2/EL3 software) ----
  /** The Non-secure RAM's bytes (a live view, ramBytes long; snapshots read and fill it). */
  ramView(): Uint8Array {
    return this.bytes.subarray(L.RAM_HOST_BASE, L.RAM_HOST_BASE + this.ramBytes);
  }
  /** The secure RAM's bytes (a live view, SECURE_RAM_BYTES long at SECURE_RAM_PA). */
  secureRamView(): Uint8Array {
    return this.bytes.subarray(L.SECURE_RAM_HOST_BASE, L.SECURE_RAM_HOST_BASE + L.SECURE_RAM_BYTES);
  }
  /** Host offset of a RAM physical address range, or -1 when not all RAM. */
  ramOffset(pa: number, len: number): number {
    const off = pa - this.ramPa;
    if (off < 0 || off + len > this.ramBytes) return -1;
    return L.RAM_HOST_BASE + off;
  }
  secureRamOffset(pa: number, len: number): number {
    const off = pa - L.SECURE_RAM_PA;
    if (off < 0 || off + len > L.SECURE_RAM_BYTES) return -1;
    return L.SECURE_RAM_HOST_BASE + off;
  }
  writePhys(pa: number, data: Uint8Array): void {
    let off = this.ramOffset(pa, data.length);
    if (off < 0) off = this.secureRamOffset(pa, data.length);
    if (off < 0) throw new Error(`physical range 0x${pa.toString(16)}+0x${data.length.toString(16)} is not RAM`);
    this.bytes.set(data, off);
    this.markDirty(off, data.length);
    this.x.codeWritten(off, data.length);
    this.pristine = false;
  }
  readPhys(pa: number, len: number): Uint8Array {
    let off = this.ramOffset(pa, len);
    if (off < 0) off = this.secureRamOffset(pa, len);
    if (off < 0) throw new Error(`physical range 0x${pa.toString(16)}+0x${len.toString(16)} is not RAM`);
    return this.bytes.subarray(off, off + len);
  }

  // ---- ROM devices in romd mode (the flash banks: core/devices/flashBanks.ts) ----
  /** The ROM-device window's physical base, size and unit (one flash bank). */
  static readonly ROMD = { pa: L.ROMD_PA, bytes: L.ROMD_BYTES, unitBytes: L.ROMD_UNIT_BYTES } as const;
  /** The device's contents at window offset `off`, as reads and fetches in
   *  romd mode see them: a copy the device keeps equal to its contents. Not
   *  state (the device's record holds the contents); cached code over the
   *  range is dropped. */
  writeRomd(off: number, data: Uint8Array): void {
    if (off < 0 || off + data.length > L.ROMD_BYTES) throw new RangeError(`ROM-device range 0x${off.toString(16)}+0x${data.length.toString(16)} is outside the window`);
    const host = L.RAM_HOST_BASE + this.ramBytes + off;
    this.bytes.set(data, host);
    this.x.codeWritten(host, data.length);
  }
  /** The copy writeRomd keeps (a live view of `len` bytes at window offset `off`). */
  romdView(off: number, len: number): Uint8Array {
    const host = L.RAM_HOST_BASE + this.ramBytes + off;
    return this.bytes.subarray(host, host + len);
  }
  /** Which units are in romd mode (bit n: unit n): reads and fetches of an
   *  enabled unit are served from the copy, everything else reaches the bus;
   *  TLB entries of units leaving romd mode are dropped on every CPU. */
  setRomd(mask: number): void {
    this.x.setRomd(mask);
  }
}

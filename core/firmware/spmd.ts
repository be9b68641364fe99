// The SPM Dispatcher of the EL3 firmware (TF-A services/std_svc/spmd is the
// model): it owns the per-PE world switch and relays FF-A calls between the
// Normal world and the SPMC at Secure EL2.
//
// - Cold boot: the SPMC runs first on the primary PE (x0 = its manifest
//   address, x4 = the PE's linear index, as TF-A's SPMD enters BL32) and
//   ends its initialisation with FFA_MSG_WAIT; only then does the Normal
//   world start where it was set to boot. FFA_ERROR instead stops the
//   machine, as TF-A panics when spmd_init fails.
// - FF-A calls from the Normal world go to the SPMC with x0-x7 (x0-x17 for
//   SMC64 calls when the SPMC speaks FF-A v1.2, SMCCC 1.2); the SPMC's answer (direct
//   response, FFA_SUCCESS, FFA_ERROR, FFA_INTERRUPT, FFA_MSG_WAIT, ...)
//   goes back to the caller the same way. Registers a call does not carry
//   keep the receiving world's own values.
// - The SPMD answers itself: FFA_VERSION (to the Normal world the SPMC's
//   answer to an SPMD framework message, or its manifest version for a 1.0
//   SPMC; its own to the Secure world), FFA_ID_GET, FFA_SPM_ID_GET,
//   FFA_FEATURES from the Secure world, FFA_SECONDARY_EP_REGISTER_64,
//   FFA_EL3_INTR_HANDLE (a Group 0 interrupt the Secure world took).
//   Secure-only calls from the Normal world and unknown FF-A functions are
//   answered FFA_ERROR(NOT_SUPPORTED); a call the SPMC makes when nothing
//   in the Normal world waits for it gets FFA_ERROR(DENIED).
// - Secondary PEs: PSCI CPU_ON enters the SPMC at its registered secondary
//   entry first (TF-A spmd_cpu_on_finish_handler); CPU_OFF is told to the
//   SPMC as a power-management framework message (FF-A v1.1 §18.3) before
//   the PE goes off (spmd_cpu_off_handler).
// - A Secure interrupt while the Normal world runs is an FIQ to EL3
//   (SCR_EL3.FIQ of the Normal context): the SPMC is entered with
//   FFA_INTERRUPT and gives the PE back with FFA_NORMAL_WORLD_RESUME.
//
// Every relay and SPMD answer is an `ffa` trace event carrying the caller's
// world. The state (each PE's two saved contexts and where its SPMC stands)
// is one versioned record (state is data).
import type { Machine } from '../machine.js';
import { StateRecordError, upgradeRecord, type RecordSchema } from '../stateRecord.js';
import { hex64, type FfaDir } from '../trace/events.js';
import { errorText, ffaEvent, isFfaAnswer, type FfaEventDetails } from '../trace/ffaEvent.js';
import { PSCI_CPU_OFF } from './psci.js';
import { takeGroup0 } from './el3Interrupts.js';
import * as E from '../ffa/errors.js';
import * as F from './ffaIds.js';
import { resetContext, restoreWorld, saveWorld, setContextWord, sysWord, WORLD_CONTEXT_BYTES } from './worldContext.js';
import { SMCCC_REGS, isSmc64, type SmcccCall } from './smccc.js';

/** Where the SPMC's execution context on one PE stands (TF-A spmd_spm_core_context_t.state, and why it runs). */
export type SpmcCpuState =
  | 'off' // never entered on this PE, or turned off
  | 'booting' // entered at its (primary or secondary) entry, its init not ended
  | 'waiting' // in FFA_MSG_WAIT: the Normal world runs
  | 'call' // running an FF-A call of the Normal world, which waits for the answer
  | 'interrupt' // handling a Secure interrupt that preempted the Normal world
  | 'cpu-off' // handling the CPU_OFF power-management message
  | 'version'; // answering the Normal world's FFA_VERSION (an SPMD framework message)

export interface SpmdCpuRecord {
  spmc: SpmcCpuState;
  /** Saved contexts (worldContext.ts) of the Normal and Secure world: the one
   *  not running on the PE; empty until the PE first switches. */
  ns: Uint8Array;
  s: Uint8Array;
}

export interface SpmdState {
  version: 1;
  cpus: SpmdCpuRecord[];
  /** The SPMC's secondary entry (FFA_SECONDARY_EP_REGISTER_64), hex, or null. */
  secondaryEntry: string | null;
  /** From the SPMC's manifest (TF-A spmc_attrs): its endpoint ID and FF-A version. */
  spmcId: number;
  spmcVersion: number;
}

const SPMD_SCHEMA: RecordSchema = { name: 'EL3 firmware (SPMD) state', version: 1 };

/** What the SPMD is told of the SPMC at cold boot (TF-A reads it from TOS_FW_CONFIG). */
export interface SpmcBootInfo {
  /** Its entry at Secure EL2 (BL32_BASE). */
  entry: bigint;
  /** x0 at entry: the manifest's address. */
  manifestAddress: bigint;
  /** Its FF-A endpoint ID (0x8000: Hafnium's and TF-A's default). */
  spmcId?: number;
  /** The FF-A version its manifest declares. */
  spmcVersion?: number;
}

// SCR_EL3 bits (ARM ARM D13.2.117).
const SCR_NS = 1n;
const SCR_FIQ = 1n << 2n;
const SCR_HCE = 1n << 8n;
const SCR_RW = 1n << 10n;
const SCR_EEL2 = 1n << 18n;
/** The Secure world's SCR_EL3: AArch64 below, HVC enabled, Secure EL2 enabled; interrupts stay below EL3. */
const SCR_SECURE = SCR_RW | SCR_HCE | SCR_EEL2;
/** SPSR for an entry at EL2h with every exception masked (TF-A DISABLE_ALL_EXCEPTIONS). */
const SPSR_EL2H_MASKED = 0x3c9n;
/** PSTATE while the firmware runs: EL3h, masked. */
const PSTATE_EL3H = 0x3cd;

/** Calls the Secure world may make and the Normal world may not (TF-A rejects them from the Normal world). */
const SECURE_ONLY: ReadonlySet<number> = new Set([
  F.FFA_MSG_WAIT, F.FFA_YIELD, F.FFA_NORMAL_WORLD_RESUME, F.FFA_SECONDARY_EP_REGISTER_64, F.FFA_INTERRUPT,
]);

/** Calls relayed to the other world as they are (TF-A spmd_smc_handler's
 *  forwarded cases): exact function IDs, so an SMC64 variant a function does
 *  not have, or a function only partitions call (FFA_MEM_PERM_*,
 *  FFA_CONSOLE_LOG), is NOT_SUPPORTED at EL3. */
const RELAYED: ReadonlySet<number> = new Set([
  F.FFA_ERROR, F.FFA_SUCCESS_32, F.FFA_SUCCESS_64, F.FFA_FEATURES, F.FFA_RX_RELEASE, F.FFA_RXTX_MAP_32,
  F.FFA_RXTX_MAP_64, F.FFA_RXTX_UNMAP, F.FFA_RX_ACQUIRE, F.FFA_PARTITION_INFO_GET, F.FFA_RUN, F.FFA_MSG_SEND_DIRECT_REQ_32,
  F.FFA_MSG_SEND_DIRECT_REQ_64, F.FFA_MSG_SEND_DIRECT_RESP_32, F.FFA_MSG_SEND_DIRECT_RESP_64,
  0x8400_0071, 0xc400_0071, 0x8400_0072, 0xc400_0072, 0x8400_0073, 0xc400_0073, 0x8400_0074, 0xc400_0074, // MEM_DONATE/LEND/SHARE/RETRIEVE_REQ
  0x8400_0075, 0x8400_0076, 0x8400_0077, 0x8400_007a, 0x8400_007b, // MEM_RETRIEVE_RESP, RELINQUISH, RECLAIM, FRAG_RX, FRAG_TX
  0x8400_007d, 0x8400_007e, 0x8400_007f, 0x8400_0080, 0x8400_0081, 0x8400_0082, 0x8400_0083, 0xc400_0083, // NOTIFICATION_*
  0x8400_0086, 0xc400_008b, F.FFA_MSG_SEND_DIRECT_REQ2, F.FFA_MSG_SEND_DIRECT_RESP2, // MSG_SEND2, PARTITION_INFO_GET_REGS
]);
function relayed(fid: number): boolean {
  return RELAYED.has(fid >>> 0);
}

/** What the SPMD itself implements, for FFA_FEATURES from the Secure world. */
const SPMD_FEATURES: ReadonlySet<number> = new Set([
  F.FFA_ERROR, F.FFA_SUCCESS_32, F.FFA_SUCCESS_64, F.FFA_INTERRUPT, F.FFA_VERSION, F.FFA_FEATURES, F.FFA_ID_GET,
  F.FFA_SPM_ID_GET, F.FFA_MSG_WAIT, F.FFA_MSG_SEND_DIRECT_RESP_32, F.FFA_MSG_SEND_DIRECT_RESP_64,
  F.FFA_NORMAL_WORLD_RESUME, F.FFA_SECONDARY_EP_REGISTER_64, F.FFA_EL3_INTR_HANDLE,
]);

const u64 = (v: number): bigint => BigInt.asUintN(64, BigInt(v));
const ffaError = (code: number): bigint[] => [u64(F.FFA_ERROR), 0n, u64(code) & 0xffff_ffffn, 0n, 0n, 0n, 0n, 0n];
const ffaSuccess = (w2: bigint = 0n): bigint[] => [u64(F.FFA_SUCCESS_32), 0n, w2, 0n, 0n, 0n, 0n, 0n];

function initialState(numCpus: number): SpmdState {
  return {
    version: 1,
    cpus: Array.from({ length: numCpus }, () => ({ spmc: 'off' as const, ns: new Uint8Array(0), s: new Uint8Array(0) })),
    secondaryEntry: null,
    spmcId: 0x8000,
    spmcVersion: F.FFA_VERSION_1_1,
  };
}

export class Spmd {
  private s: SpmdState;

  constructor(private readonly numCpus: number) {
    this.s = initialState(numCpus);
  }

  getState(): SpmdState {
    return structuredClone(this.s);
  }
  loadState(st: unknown): void {
    const s = upgradeRecord<SpmdState>(SPMD_SCHEMA, st, initialState(this.numCpus));
    // Fresh buffers: a decoded record's bytes may sit at any offset; contexts are read as 32-bit words.
    if (s.cpus.length !== this.numCpus) throw new StateRecordError(`${SPMD_SCHEMA.name} has ${s.cpus.length} PEs, the machine ${this.numCpus}`);
    for (const c of s.cpus) {
      for (const ctx of [c.ns, c.s]) {
        if (!(ctx instanceof Uint8Array) || (ctx.length !== 0 && ctx.length !== WORLD_CONTEXT_BYTES)) {
          throw new StateRecordError(`${SPMD_SCHEMA.name} has a world context of the wrong size (a context is ${WORLD_CONTEXT_BYTES} bytes)`);
        }
      }
      c.ns = new Uint8Array(c.ns);
      c.s = new Uint8Array(c.s);
    }
    this.s = s;
  }
  /** A snapshot made before the firmware kept a record: the state of a machine whose SPMC never ran. */
  resetState(): void {
    this.s = initialState(this.numCpus);
  }

  /** The SPMC's state on `cpu` (tests, the TUI). */
  spmcState(cpu: number): SpmcCpuState {
    return this.s.cpus[cpu]!.spmc;
  }

  // ---- boot ----

  /**
   * Cold boot of a machine with S-EL2 software, on the primary PE at its
   * Normal-world entry (pc, x0-x3 and PSTATE as the boot loader set them):
   * keep that entry as the Normal world's context and enter the SPMC first.
   */
  coldBoot(m: Machine, cpu: number, info: SpmcBootInfo): void {
    this.s.spmcId = info.spmcId ?? 0x8000;
    this.s.spmcVersion = info.spmcVersion ?? F.FFA_VERSION_1_1;
    this.bootSecure(m, cpu, info.entry, [info.manifestAddress, 0n, 0n, 0n, BigInt(cpu)]);
  }

  /** CPU_ON finished on `cpu` (now at its Normal-world entry): the SPMC's secondary entry first, when registered. */
  cpuOnFinish(m: Machine, cpu: number): void {
    if (this.s.secondaryEntry === null) return;
    this.bootSecure(m, cpu, BigInt(this.s.secondaryEntry), [0n, 0n, 0n, 0n, BigInt(cpu)]);
  }

  private bootSecure(m: Machine, cpu: number, entry: bigint, args: bigint[]): void {
    const regs = m.core.regs(cpu);
    const r = this.s.cpus[cpu]!;
    // The PE at its Normal-world entry becomes the saved Normal context: it
    // resumes there (ELR_EL3/SPSR_EL3) once the SPMC waits.
    regs.set('ELR_EL3', m.core.getPc(cpu));
    regs.set('SPSR_EL3', BigInt(m.core.pstate(cpu)));
    regs.set('SCR_EL3', regs.get('SCR_EL3') | SCR_NS | SCR_FIQ);
    m.core.setPstate(cpu, PSTATE_EL3H);
    r.ns = new Uint8Array(WORLD_CONTEXT_BYTES);
    saveWorld(m, cpu, r.ns);
    r.s = resetContext(m, cpu);
    setContextWord(r.s, sysWord('SCR_EL3'), SCR_SECURE);
    setContextWord(r.s, sysWord('ELR_EL3'), entry);
    setContextWord(r.s, sysWord('SPSR_EL3'), SPSR_EL2H_MASKED);
    restoreWorld(m, cpu, r.s);
    args.forEach((v, i) => regs.setX(i, v));
    r.spmc = 'booting';
    // An entry of the SPMD's own, not a call: function 0, from the SPMD, x0 (the manifest or 0).
    this.event(m, cpu, false, 0, F.SPMD_DIRECT_MSG_ENDPOINT_ID, this.s.spmcId, args.slice(0, 1));
    m.core.eret(cpu);
  }

  // ---- runtime ----

  /** An FF-A SMC (the firmware has read it into `call`); the PE is at EL3. */
  smc(m: Machine, cpu: number, call: SmcccCall): void {
    const fid = Number(call.x[0]! & 0xffff_ffffn) >>> 0;
    if (call.world === 'ns') this.fromNormal(m, cpu, fid, call);
    else this.fromSecure(m, cpu, fid, call);
  }

  private fromNormal(m: Machine, cpu: number, fid: number, call: SmcccCall): void {
    const r = this.s.cpus[cpu]!;
    const up = r.spmc === 'waiting';
    switch (fid) {
      case F.FFA_VERSION:
        return this.normalWorldVersion(m, cpu, call, up);
      case F.FFA_ID_GET:
        return this.answer(m, cpu, call, ffaSuccess(BigInt(F.FFA_NS_ENDPOINT_ID)));
      case F.FFA_SPM_ID_GET:
        return this.answer(m, cpu, call, ffaSuccess(BigInt(this.s.spmcId)));
    }
    if (!relayed(fid)) return this.answer(m, cpu, call, ffaError(E.NOT_SUPPORTED));
    if (!up) return this.answer(m, cpu, call, ffaError(E.NOT_SUPPORTED));
    r.spmc = 'call';
    this.switchTo(m, cpu, 's', call, fid);
  }

  private fromSecure(m: Machine, cpu: number, fid: number, call: SmcccCall): void {
    const r = this.s.cpus[cpu]!;
    switch (fid) {
      case F.FFA_VERSION:
        return this.answer(m, cpu, call, [(call.x[1]! & 0x8000_0000n) !== 0n ? u64(E.NOT_SUPPORTED) : BigInt(F.SPMD_FFA_VERSION), 0n, 0n, 0n, 0n, 0n, 0n, 0n]);
      case F.FFA_ID_GET:
        return this.answer(m, cpu, call, ffaSuccess(BigInt(this.s.spmcId)));
      case F.FFA_SPM_ID_GET:
        return this.answer(m, cpu, call, ffaSuccess(BigInt(F.SPMD_DIRECT_MSG_ENDPOINT_ID)));
      case F.FFA_FEATURES:
        return this.answer(m, cpu, call, SPMD_FEATURES.has(Number(call.x[1]! & 0xffff_ffffn) >>> 0) ? ffaSuccess() : ffaError(E.NOT_SUPPORTED));
      case F.FFA_SECONDARY_EP_REGISTER_64:
        return this.answer(m, cpu, call, this.registerSecondary(m, call.x[1]!));
      case F.FFA_EL3_INTR_HANDLE:
        // A Group 0 interrupt the Secure world took (it is EL3's): handled here, then back (TF-A spmd_handle_group0_intr_swd).
        return this.answer(m, cpu, call, takeGroup0(m, cpu) ? ffaSuccess() : ffaError(E.DENIED));
      case F.FFA_ERROR:
        if (r.spmc === 'booting') {
          m.stop({ kind: 'halt', message: `cpu${cpu}: the SPMC failed its initialisation (FFA_ERROR ${Number(BigInt.asIntN(32, call.x[2]! & 0xffff_ffffn))})` });
          return;
        }
        break;
      case F.FFA_MSG_WAIT:
        if (r.spmc === 'booting') {
          // Init done: the Normal world starts at its entry, nothing written to it.
          r.spmc = 'waiting';
          this.switchTo(m, cpu, 'ns', null, fid);
          return;
        }
        break;
      case F.FFA_NORMAL_WORLD_RESUME:
        if (r.spmc !== 'interrupt') return this.answer(m, cpu, call, ffaError(E.DENIED));
        // The preempted Normal world continues where the interrupt stopped it.
        r.spmc = 'waiting';
        this.switchTo(m, cpu, 'ns', null, fid);
        return;
      case F.FFA_MSG_SEND_DIRECT_RESP_32:
      case F.FFA_MSG_SEND_DIRECT_RESP_64:
        if (r.spmc === 'cpu-off') return this.cpuOffDone(m, cpu, call);
        if (r.spmc === 'version') {
          // The SPMC's version for the Normal world, if it answered the message as one (TF-A: NOT_SUPPORTED otherwise).
          const ok = fid === F.FFA_MSG_SEND_DIRECT_RESP_32 && (call.x[2]! & 0xffff_ffffn) === BigInt((F.FFA_FWK_MSG_BIT | F.SPMD_FWK_MSG_FFA_VERSION_RESP) >>> 0);
          r.spmc = 'waiting';
          // NOT_SUPPORTED (bit 31 set) as the 64-bit -1 callers compare with (Linux's ffa_version_check).
          const version = ok && (call.x[3]! & 0x8000_0000n) === 0n ? call.x[3]! & 0xffff_ffffn : u64(E.NOT_SUPPORTED);
          this.switchTo(m, cpu, 'ns', { ...call, x: [version, 0n, 0n, 0n, 0n, 0n, 0n, 0n] }, F.FFA_VERSION, this.s.spmcId);
          return;
        }
        break;
    }
    if (!relayed(fid) && !SECURE_ONLY.has(fid)) {
      return this.answer(m, cpu, call, ffaError(E.NOT_SUPPORTED));
    }
    // An answer (or a call) for the Normal world: only when it waits for one on this PE.
    if (r.spmc !== 'call') return this.answer(m, cpu, call, ffaError(E.DENIED));
    r.spmc = 'waiting';
    this.switchTo(m, cpu, 'ns', call, fid);
  }

  /**
   * FFA_VERSION from the Normal world (DEN0077A §13.2; TF-A spmd_smc_handler):
   * bit 31 of the version asked for must be zero; an SPMC of version 1.0
   * is answered for from its manifest; a later one gets the version as an
   * SPMD framework message and answers it (so it learns the Normal world's).
   */
  private normalWorldVersion(m: Machine, cpu: number, call: SmcccCall, up: boolean): void {
    const asked = call.x[1]! & 0xffff_ffffn;
    if ((asked & 0x8000_0000n) !== 0n || !up) return this.answer(m, cpu, call, [u64(E.NOT_SUPPORTED), 0n, 0n, 0n, 0n, 0n, 0n, 0n]);
    if (this.s.spmcVersion === F.FFA_VERSION_1_0) return this.answer(m, cpu, call, [BigInt(F.FFA_VERSION_1_0), 0n, 0n, 0n, 0n, 0n, 0n, 0n]);
    this.s.cpus[cpu]!.spmc = 'version';
    const msg: bigint[] = [
      u64(F.FFA_MSG_SEND_DIRECT_REQ_32), BigInt(((F.SPMD_DIRECT_MSG_ENDPOINT_ID << 16) | this.s.spmcId) >>> 0),
      BigInt((F.FFA_FWK_MSG_BIT | F.SPMD_FWK_MSG_FFA_VERSION_REQ) >>> 0), asked, 0n, 0n, 0n, 0n,
    ];
    this.switchTo(m, cpu, 's', { ...call, x: msg }, F.FFA_MSG_SEND_DIRECT_REQ_32, F.SPMD_DIRECT_MSG_ENDPOINT_ID);
  }

  /** FFA_SECONDARY_EP_REGISTER_64: an entry in RAM the SPMC can run from (TF-A checks it lies in the SPMC's image). */
  private registerSecondary(m: Machine, entry: bigint): bigint[] {
    const pa = Number(entry & 0xffff_ffff_ffffn);
    const inRam = entry % 4n === 0n && entry < 1n << 48n && (m.core.secureRamOffset(pa, 4) >= 0 || m.core.ramOffset(pa, 4) >= 0);
    if (!inRam) return ffaError(E.INVALID_PARAMETERS);
    this.s.secondaryEntry = hex64(entry);
    return ffaSuccess();
  }

  /**
   * CPU_OFF from the Normal world on `cpu`: tell the SPMC first (a direct
   * request framework message from the SPMD, w3 = the PSCI function), and
   * power off when it answers. Returns false when there is no SPMC context
   * to tell (the caller powers off as before).
   */
  cpuOff(m: Machine, cpu: number, call: SmcccCall): boolean {
    const r = this.s.cpus[cpu]!;
    if (r.spmc !== 'waiting') return false;
    r.spmc = 'cpu-off';
    const msg: bigint[] = [
      u64(F.FFA_MSG_SEND_DIRECT_REQ_32), BigInt(((F.SPMD_DIRECT_MSG_ENDPOINT_ID << 16) | this.s.spmcId) >>> 0),
      BigInt((F.FFA_FWK_MSG_BIT | F.FFA_FWK_MSG_PSCI) >>> 0), BigInt(PSCI_CPU_OFF), 0n, 0n, 0n, 0n,
    ];
    this.switchTo(m, cpu, 's', { ...call, x: msg }, F.FFA_MSG_SEND_DIRECT_REQ_32, F.SPMD_DIRECT_MSG_ENDPOINT_ID);
    return true;
  }

  private cpuOffDone(m: Machine, cpu: number, call: SmcccCall): void {
    const r = this.s.cpus[cpu]!;
    this.event(m, cpu, false, Number(call.x[0]! & 0xffff_ffffn), this.s.spmcId, F.SPMD_DIRECT_MSG_ENDPOINT_ID, call.x.slice(1, 4));
    // The SPMC's context on this PE is gone; the PE powers off (TF-A: state OFF, then psci_do_cpu_off).
    saveWorld(m, cpu, r.s);
    r.spmc = 'off';
    m.cpuOff(cpu);
  }

  /**
   * A Secure interrupt signalled as FIQ to EL3 while the Normal world ran
   * (SCR_EL3.FIQ): enter the SPMC with FFA_INTERRUPT. Returns false when no
   * SPMC waits on this PE to take it.
   */
  secureInterrupt(m: Machine, cpu: number): boolean {
    const r = this.s.cpus[cpu]!;
    if (r.spmc !== 'waiting' || !m.core.isNonSecure(cpu)) return false;
    r.spmc = 'interrupt';
    const x = [u64(F.FFA_INTERRUPT), 0n, 0n, 0n, 0n, 0n, 0n, 0n];
    this.switchTo(m, cpu, 's', { cpu, callerEl: 3, world: 'ns', x }, F.FFA_INTERRUPT, F.SPMD_DIRECT_MSG_ENDPOINT_ID);
    return true;
  }

  // ---- the switch ----

  /** Answer the caller in its own world: x0-x7 set, x8-x17 as they were (SMCCC 1.2). */
  private answer(m: Machine, cpu: number, call: SmcccCall, results: readonly bigint[]): void {
    const regs = m.core.regs(cpu);
    results.forEach((v, i) => regs.setX(i, v));
    const fid = Number(call.x[0]! & 0xffff_ffffn) >>> 0;
    this.event(m, cpu, call.world === 'ns', fid, 0, 0, results.slice(0, 3), { dir: 'answer', of: fid, ...refusal(fid, results) });
    m.core.eret(cpu);
  }

  /**
   * Save the running world, load world `to` and pass it the call's x0-x7
   * (x0-x17 for an SMC64 function, FF-A v1.2 / TF-A spmd_smc_forward), or
   * nothing (`call` null: the world resumes where it stopped); then ERET.
   */
  private switchTo(m: Machine, cpu: number, to: 'ns' | 's', call: SmcccCall | null, fid: number, src?: number): void {
    const r = this.s.cpus[cpu]!;
    const fromNs = to === 's';
    if (r.ns.length === 0) r.ns = new Uint8Array(WORLD_CONTEXT_BYTES);
    if (r.s.length === 0) r.s = new Uint8Array(WORLD_CONTEXT_BYTES);
    saveWorld(m, cpu, fromNs ? r.ns : r.s);
    const target = fromNs ? r.s : r.ns;
    restoreWorld(m, cpu, target);
    const regs = m.core.regs(cpu);
    if (call) {
      // x8-x17 too for SMC64 calls between FF-A v1.2 endpoints (TF-A spmd_smc_forward).
      const n = isSmc64(fid) && this.s.spmcVersion >= F.FFA_VERSION_1_2 ? SMCCC_REGS : 8;
      for (let i = 0; i < n; i++) regs.setX(i, call.x[i] ?? 0n);
    }
    const x1 = call ? Number(call.x[1]! & 0xffff_ffffn) : 0;
    const direct = call !== null && (fid & 0xffff) >= 0x6f && (fid & 0xffff) <= 0x70;
    // Endpoints: a direct message's own; else the Normal world (0) and the SPMC, or the SPMD for the SPMC's
    // answers to the SPMD's own entries (its boot-time FFA_MSG_WAIT, FFA_NORMAL_WORLD_RESUME), so answers pair with calls.
    const nwdSide = call === null ? F.SPMD_DIRECT_MSG_ENDPOINT_ID : 0;
    this.event(m, cpu, fromNs, fid, src ?? (direct ? x1 >>> 16 : fromNs ? 0 : this.s.spmcId), direct ? x1 & 0xffff : fromNs ? this.s.spmcId : nwdSide, call ? call.x.slice(1, 8) : [], { dir: relayDirection(to, fid) });
    // The world's SCR_EL3 (restored) decides the Security state the ERET enters.
    m.core.eret(cpu);
  }

  private event(m: Machine, cpu: number, nonSecure: boolean, fid: number, src: number, dst: number, args: readonly bigint[], d: FfaEventDetails = {}): void {
    if (!m.trace.wants('ffa')) return;
    m.trace.emitNumbered(ffaEvent(m.core.nowTick(cpu), cpu, nonSecure ? undefined : 's', fid, src, dst, args, d));
  }
}

/** The error an answer of the SPMD's own carries: FFA_ERROR's code (w2), or FFA_VERSION's NOT_SUPPORTED in w0. */
function refusal(fid: number, results: readonly bigint[]): { error?: string } {
  const w0 = Number(results[0]! & 0xffff_ffffn) >>> 0;
  if (w0 === F.FFA_ERROR) return { error: errorText(E.ffaErrorCodeOfW2(results[2] ?? 0n)) };
  if (fid === F.FFA_VERSION && w0 === 0xffff_ffff) return { error: 'NOT_SUPPORTED' };
  return {};
}

/** Whether a message the SPMD passes to world `to` calls or answers: what goes to the Normal world answers its
 *  call (the SPMC's results, FFA_MSG_WAIT at boot, FFA_NORMAL_WORLD_RESUME) unless it is a direct request; what
 *  goes to the SPMC is a call (FFA_INTERRUPT included: it signals an interrupt) unless it is an answer's function. */
function relayDirection(to: 'ns' | 's', fid: number): FfaDir {
  const request = fid === F.FFA_MSG_SEND_DIRECT_REQ_32 || fid === F.FFA_MSG_SEND_DIRECT_REQ_64 || fid === F.FFA_MSG_SEND_DIRECT_REQ2;
  if (to === 'ns') return request ? 'call' : 'answer';
  return fid !== F.FFA_INTERRUPT && isFfaAnswer(fid) ? 'answer' : 'call';
}

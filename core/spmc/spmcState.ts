// The SPMC's whole state as one versioned record (state is data): the
// partitions with their execution contexts and runtime states, each PE's
// call chain and what the Normal world waits for there, the RX/TX
// registry, the page heap's use, the Normal world's FF-A version. No Maps,
// no closures; contexts are byte arrays, addresses hex strings.
import { StateRecordError, upgradeRecord, type RecordSchema } from '../stateRecord.js';
import type { NsInterruptsAction } from './manifest.js';
import { PARTITION_CONTEXT_BYTES } from './partitionContext.js';
import type { RxtxPair } from './rxtxRegistry.js';
import type { RuntimeModel, VcpuState } from './runtimeModel.js';
import type { MemoryLedgerState } from './memoryLedger.js';
import type { NotificationTableState } from './notificationTable.js';
import type { MailboxState } from './mailbox.js';

/** What a direct request the context handles was (the response must match it, Hafnium direct_request_origin). */
export type RequestKind = 'req' | 'req2' | 'framework';

export interface VcpuRecord {
  state: VcpuState;
  model: RuntimeModel;
  /** Saved registers (partitionContext.ts) while it does not run; empty before its first run. */
  ctx: Uint8Array;
  /** The endpoint whose direct request it handles, or null. */
  requester: number | null;
  requestKind: RequestKind | null;
  /** Blocked by its own FFA_YIELD (FFA_RUN resumes it). */
  yielded: boolean;
  /** The PE it runs or last ran on. */
  cpu: number;
  /** Virtual interrupts waiting for HF_INTERRUPT_GET, oldest first. */
  pendingVirqs: number[];
  /** Physical interrupts disabled while this context handles them (until its HF_INTERRUPT_DEACTIVATE). */
  handling: number[];
}

export interface PartitionRecord {
  id: number;
  /** UUIDs as text, and the messaging method of each. */
  uuids: string[];
  messaging: number[];
  notificationSupport: boolean;
  aarch64: boolean;
  contexts: number;
  /** Entry and the secondary entry it registered (hex), the image placement. */
  entry: string;
  secondaryEntry: string | null;
  imageBase: string;
  imageBytes: number;
  /** Secure memory the partition owns (IPA = PA), [base, bytes] hex/number: image and Secure memory regions. */
  ownedSecure: Array<{ base: string; bytes: number }>;
  /** Roots of its stage-2 tables: Secure IPA space (VSTTBR_EL2), Non-secure IPA space (VTTBR_EL2). */
  s2Secure: string;
  s2NonSecure: string;
  vmid: number;
  /** Its FF-A version: null until it calls FFA_VERSION (then fixed with its first other call). */
  version: number | null;
  versionFixed: boolean;
  interrupts: number[];
  nsAction: NsInterruptsAction;
  aborted: { esr: string; far: string; hpfar: string; reason: string } | null;
  /** FFA_CONSOLE_LOG characters not yet ended by a newline. */
  consoleLine: string;
  vcpus: VcpuRecord[];
}

export type NwdWait = 'call' | 'interrupt' | 'framework' | null;

export interface SpmcCpuRecord {
  phase: 'off' | 'booting' | 'up';
  /** Partitions (indices) still to initialise on this PE, in boot order. */
  bootQueue: number[];
  /** What the Normal world waits for on this PE. */
  nwd: NwdWait;
  /** The partition context loaded on this PE: [partition index, context index], or null. */
  current: [number, number] | null;
  /** ICC_PMR_EL1 to restore when a Secure interrupt's handling ends (hex), or null when not masked. */
  savedPmr: string | null;
  /** The context preempted on this PE so another partition could handle its Secure interrupt; it resumes after. */
  interrupted: [number, number] | null;
}

export interface SpmcState {
  version: 1;
  spmcId: number;
  /** The FF-A version this SPMC implements. */
  implemented: number;
  booted: boolean;
  /** The SPMC's secondary entry was given to the SPMD. */
  secondaryEpRegistered: boolean;
  cpus: SpmcCpuRecord[];
  partitions: PartitionRecord[];
  rxtx: RxtxPair[];
  heapUsed: number;
  /** Next free address in the partition area (hex). */
  areaNext: string;
  /** The Normal world's negotiated FF-A version (from the SPMD framework message), fixed by its first other call. */
  nwdVersion: number | null;
  nwdVersionFixed: boolean;
  /** Refusals and aborts, newest last (bounded), as "fid: reason" lines. */
  log: string[];
}

/** The saved record: the SPMC's own state with its memory ledger, notification table and mailbox (their own versioned records) inside. */
export interface SpmcRecord extends SpmcState {
  ledger: MemoryLedgerState;
  notifications: NotificationTableState;
  mailbox: MailboxState;
}

export const SPMC_SCHEMA: RecordSchema = { name: 'SPMC state', version: 1 };
export const SPMC_LOG_LINES = 64;

export function initialSpmcState(numCpus: number, spmcId: number, implemented: number, areaNext: number): SpmcState {
  return {
    version: 1,
    spmcId,
    implemented,
    booted: false,
    secondaryEpRegistered: false,
    cpus: Array.from({ length: numCpus }, () => ({ phase: 'off' as const, bootQueue: [], nwd: null, current: null, savedPmr: null, interrupted: null })),
    partitions: [],
    rxtx: [],
    heapUsed: 0,
    areaNext: '0x' + areaNext.toString(16),
    nwdVersion: null,
    nwdVersionFixed: false,
    log: [],
  };
}

/** A record from a snapshot (outside input): upgraded, checked, its contexts in fresh aligned buffers. */
export function loadSpmcRecord(st: unknown, numCpus: number, defaults: SpmcRecord): SpmcRecord {
  const s = upgradeRecord<SpmcRecord>(SPMC_SCHEMA, st, defaults);
  if (!Array.isArray(s.cpus) || s.cpus.length !== numCpus) throw new StateRecordError(`${SPMC_SCHEMA.name} has ${Array.isArray(s.cpus) ? s.cpus.length : '?'} PEs, the machine ${numCpus}`);
  if (!Array.isArray(s.partitions)) throw new StateRecordError(`${SPMC_SCHEMA.name}: partitions is not a list`);
  const out = structuredClone(s);
  out.partitions.forEach((p, i) => {
    if (!Array.isArray(p.vcpus)) throw new StateRecordError(`${SPMC_SCHEMA.name}: partition ${i} has no contexts`);
    for (const v of p.vcpus) {
      if (!(v.ctx instanceof Uint8Array) || (v.ctx.length !== 0 && v.ctx.length !== PARTITION_CONTEXT_BYTES)) {
        throw new StateRecordError(`${SPMC_SCHEMA.name}: partition 0x${Number(p.id).toString(16)} has a context of the wrong size (a context is ${PARTITION_CONTEXT_BYTES} bytes)`);
      }
      v.ctx = new Uint8Array(v.ctx);
    }
  });
  for (const c of out.cpus) {
    for (const ref of [c.current, c.interrupted]) {
      if (ref !== null && (!Array.isArray(ref) || out.partitions[ref[0]]?.vcpus[ref[1]] === undefined)) {
        throw new StateRecordError(`${SPMC_SCHEMA.name}: a PE's current or interrupted context names no partition context`);
      }
    }
  }
  return out;
}

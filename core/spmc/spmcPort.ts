// What the SPMC's pure ABI modules (memoryAbi.ts, notificationTable.ts,
// mailbox.ts) need from the S-EL2 SPMC that owns the machine state: which
// endpoints exist, each endpoint's negotiated FF-A version, its RX/TX
// buffer pair (the SPMC keeps the registry: addresses, size, RX state) and,
// for memory sharing, the partitions' Stage-2 tables. The modules decide;
// the port only reads and writes. Every method answers any argument without
// throwing; the ones that return void are commit steps the modules call only
// once every check has passed, so they have no failure path.
import type { Checked } from '../ffa/result.js';
import type { Constituent } from '../ffa/memory/transaction.js';
import type { PageAccess } from './memoryLedger.js';

/** What an endpoint ID names, as the SPMC sees it. */
export type EndpointKind =
  /** A Secure Partition the SPMC runs. */
  | 'partition'
  /** The Normal world: the hypervisor (ID 0) or a VM it runs (bit 15 clear). */
  | 'normal-world'
  /** Neither: a Secure ID no partition has, the SPMC's own ID. */
  | 'unknown';

/**
 * An RX buffer's state (DEN0077 v1.1 §7.2 "RX buffer ownership"; Hafnium
 * `enum mailbox_state`): no buffer mapped; empty (the producers, SPMC or
 * hypervisor, may write it); full (the receiver owns it until FFA_RX_RELEASE);
 * owned by the other world (the hypervisor took a VM's buffer with
 * FFA_RX_ACQUIRE until its FFA_RX_RELEASE).
 */
export type RxState = 'unmapped' | 'empty' | 'full' | 'other-world-owned';

export interface SpmcBufferPort {
  endpointKind(id: number): EndpointKind;
  /** The FF-A version `id` negotiated (the SPMC's own when it never called FFA_VERSION). */
  ffaVersion(id: number): number;
  /** Bytes in `id`'s RX buffer (its TX buffer has the same size), 0 when it has none mapped. */
  bufferBytes(id: number): number;
  /** A copy of the first `length` bytes of `id`'s TX buffer, so nothing is read
   *  twice from guest memory. INVALID_PARAMETERS when no TX buffer is mapped or
   *  `length` exceeds it; ABORTED when the copy faults. */
  readTx(id: number, length: number): Checked<Uint8Array>;
  rxState(id: number): RxState;
  /** Writes `bytes` at the start of `id`'s RX buffer, zeroes the rest of it,
   *  and marks it full: the receiver owns it until FFA_RX_RELEASE. Called only when rxState(id) is
   *  'empty' and bytes.length <= bufferBytes(id). */
  writeRx(id: number, bytes: Uint8Array): void;
  /** An RX state change of FFA_RX_RELEASE or FFA_RX_ACQUIRE (never to or from 'unmapped'). */
  setRxState(id: number, state: Exclude<RxState, 'unmapped'>): void;
}

/** Which physical address space a page is in: a partition reaches Secure
 *  memory through its Secure Stage-2 table (VSTTBR_EL2) and Normal-world
 *  memory through its Non-secure IPA space table (VTTBR_EL2). */
export type MemorySecurity = 'secure' | 'non-secure';

export interface Stage2Permissions {
  /** 'none' unmaps. */
  access: PageAccess;
  executable: boolean;
}

export interface SpmcMemoryPort extends SpmcBufferPort {
  memorySecurity(address: bigint): MemorySecurity;
  /**
   * Makes sure setStage2 on `ranges` of `partition` cannot fail later
   * (allocates the table pages the mapping or a block split needs);
   * NO_MEMORY when it cannot. Called before the ledger commits, with ranges
   * the ledger may still refuse: it must not change any mapping.
   */
  prepareStage2(partition: number, ranges: readonly Constituent[]): Checked<void>;
  /** Maps (or, access 'none', unmaps) `range` identity-mapped in `partition`'s
   *  Stage-2 table for `space`. Only after prepareStage2 accepted the range. */
  setStage2(partition: number, range: Constituent, space: MemorySecurity, permissions: Stage2Permissions): void;
  /** Writes zeros over `range` (physical addresses; the FF-A clear-memory flags). */
  zeroMemory(range: Constituent): void;
}

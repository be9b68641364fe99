// The FF-A proxy's part of the hypervisor's state record (state.ts holds it
// as `ffa`): per VM its negotiated version and RX/TX buffers, per pCPU the
// call it has forwarded to the SPMC and waits for, the hypervisor's own RX/TX
// buffers, and the ledger of VM-to-VM memory transactions (core/spmc's
// MemoryLedger with hypervisor-allocated handles, over physical addresses).
// Plain data: numbers, strings, arrays, plain objects.
import type { MemoryLedgerState } from '../../spmc/memoryLedger.js';

/** A VM's RX/TX buffer pair (FFA_RXTX_MAP): IPAs as the VM gave them, PAs behind them. */
export interface VmRxtx {
  txIpa: number;
  rxIpa: number;
  txPa: number;
  rxPa: number;
  pageCount: number;
}

/** A retrieve response being delivered to a VM in fragments (rebuilt on each FFA_MEM_FRAG_RX). */
export interface VmRetrieveResponse {
  handle: string;
  /** The permissions granted (encoded, core/ffa/memory/attributes.ts). */
  permissions: number;
  /** Bytes delivered so far. */
  delivered: number;
  /** Memory a partition sent (an SPMC handle): the whole response as the VM sees it (hex), fetched from the SPMC
   *  and rewritten once; absent for a VM-to-VM handle (rebuilt from the ledger). */
  response?: string;
  /** Its fragments' lengths (with `response`). */
  fragmentLengths?: number[];
}

export interface VmFfaState {
  /** The version the VM works at (0: it never called FFA_VERSION; it is served the proxy's). */
  version: number;
  /** Another FF-A call fixed the version (a later FFA_VERSION asking another is refused). */
  fixed: boolean;
  rxtx: VmRxtx | null;
  /** The RX buffer holds a message for the VM until it calls FFA_RX_RELEASE. */
  rxFull: boolean;
  retrieve: VmRetrieveResponse | null;
  /** The SPMC holds the VM's notification bitmap (the hypervisor created it on the VM's behalf: notifications.ts). */
  spmcBitmap: boolean;
  /** The SPMC has the VM's RX/TX pair too (spmcRxtx.ts): it may write partitions' messages into the RX buffer. */
  spmcRxtx: boolean;
  /** The hypervisor holds the VM's RX buffer at the SPMC (FFA_RX_ACQUIRE) until the VM releases it. */
  rxAcquired: boolean;
}

/** An FF-A call a vCPU made that the proxy forwarded to the SPMC; the pCPU is
 *  in the Secure world until the answer comes back (resume). */
export interface FfaPendingCall {
  vm: number;
  vcpu: number;
  fid: number;
  /** A call the proxy serves in several SPMC calls of its own (partitionInfo.ts): the step
   *  whose answer comes back, and the VM's arguments (hex); absent for a call forwarded as it is. */
  step?: 'version' | 'map' | 'get' | 'release' | 'notif-create' | RxtxStep | SpStep;
  args?: string[];
  /** The VM's own call this step serves (for the answer's trace event); absent in older records. */
  vmFid?: number;
}

/** The steps of the VM's buffers at the SPMC (spmcRxtx.ts). */
export type RxtxStep = 'rx-hvmap' | 'rx-map' | 'rx-unmap' | 'rx-release' | 'rx-acquire' | 'rx-giveback';

/** The steps of VM-to-SP memory sharing (spMemory.ts). */
export type SpStep = 'sp-map' | 'sp-send' | 'sp-frag' | 'sp-abort' | 'sp-retrieve' | 'sp-release' | 'sp-fragrx' | 'sp-reclaim'
  | BorrowStep;

/** The steps of memory a partition sends to a VM (spBorrow.ts). */
export type BorrowStep = 'sb-map' | 'sb-retrieve' | 'sb-release' | 'sb-fragrx' | 'sb-undo' | 'sb-relinquish';

/** Memory a partition sent that a VM retrieved (an SPMC handle): its pages (PAs) in the VM's Stage 2 with `access`
 *  (a donate's pages are the VM's: OWNED, RW). */
export interface SpBorrow {
  handle: string;
  vm: number;
  op: 'share' | 'lend' | 'donate';
  access: 'ro' | 'rw';
  pages: number[];
}

/** Memory a VM sent to partitions: the SPMC's handle (null while the send is in flight), its pages (PAs). */
export interface SpShare {
  handle: string | null;
  vm: number;
  op: 'share' | 'lend' | 'donate';
  pages: number[];
  /** A send the VM makes in fragments: constituents still to come in its FFA_MEM_FRAG_TX (absent once complete). */
  missing?: number;
  /** Bytes of the VM's descriptor received so far (its FFA_MEM_FRAG_RX offset), while `missing`. */
  vmOffset?: number;
}

/** The hypervisor's own RX/TX buffers (two pages of its reserve), registered with the SPMC once. */
export interface HvRxtx {
  txPa: number;
  rxPa: number;
  mapped: boolean;
}

export interface FfaProxyState {
  version: 1;
  vms: VmFfaState[];
  /** Per pCPU: the forwarded call it waits for, or null. */
  pending: Array<FfaPendingCall | null>;
  /** VM-to-VM memory transactions, by physical address (owners are VM IDs). */
  ledger: MemoryLedgerState;
  /** The hypervisor's RX/TX buffers, null until first needed. */
  hvRxtx: HvRxtx | null;
  /** VM memory sent to partitions through the SPMC. */
  spShares: SpShare[];
  /** Memory partitions sent that VMs retrieved (hypervisor record version 6; older records: none). */
  spBorrows: SpBorrow[];
  /** The FF-A version the hypervisor negotiated with the SPMC (through the SPMD) before its first call there:
   *  0 not yet asked, -1 refused (no SPMC; asked once). */
  spmcVersion: number;
}

export function initialVmFfa(): VmFfaState {
  return { version: 0, fixed: false, rxtx: null, rxFull: false, retrieve: null, spmcBitmap: false, spmcRxtx: false, rxAcquired: false };
}

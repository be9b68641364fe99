// The real side of `hvrr fuzz ffa` at module level: the SPMC's memory ABIs
// (core/spmc/memoryAbi.ts handleMemoryCall) over the real ledger
// (core/spmc/memoryLedger.ts) and the real core/ffa codecs, with no machine:
// the port is core/spmc's FakePort (RX/TX buffers as byte arrays, partitions'
// Stage-2 tables as maps of pages), extended here so that
// - a partition's own regions start mapped read-write without a map entry
//   per page (a case's world is built in microseconds);
// - the TX buffer can be scribbled on right after the ABI copied it (another
//   vCPU changing the descriptor during the call: a second read would see it).
//
// The proxy's VM-to-VM side (core/hypervisor/ffa/vmMemory.ts) is not driven
// here: it works on the hypervisor's whole state (Hv: the VMs' Stage 2,
// guest memory), so it runs on a machine (fuzz/ffaVm, `fuzz ffa --vm`).
import { isSecureEndpoint } from '../../core/ffa/endpoints.js';
import { FFA_VERSION_1_0, FFA_VERSION_1_1, FFA_VERSION_1_2 } from '../../core/ffa/functionIds.js';
import type { Checked } from '../../core/ffa/result.js';
import type { Constituent } from '../../core/ffa/memory/transaction.js';
import type { MutationName } from '../../core/mutations.js';
import { MemoryLedger, NORMAL_WORLD_OWNER, type PageAccess } from '../../core/spmc/memoryLedger.js';
import { FakePort } from '../../core/spmc/portTesting.js';
import type { MemorySecurity, Stage2Permissions } from '../../core/spmc/spmcPort.js';

/** The Normal world's caller ID (the hypervisor, acting for its VMs). */
export const NWD = 0;
export const VM1 = 1;
export const VM2 = 2;
export const SP1 = 0x8001;
export const SP2 = 0x8002;
export const SP3 = 0x8003;
/** A Secure ID no partition has. */
export const UNKNOWN_SP = 0x8009;
export const PARTITIONS = [SP1, SP2, SP3] as const;
export const ENDPOINTS = [VM1, VM2, SP1, SP2, SP3] as const;
/** Who makes calls: the Normal world (for VM1 and VM2) and each partition. */
export const CALLERS = [NWD, SP1, SP2, SP3] as const;
export const VERSIONS = [FFA_VERSION_1_0, FFA_VERSION_1_1, FFA_VERSION_1_2] as const;

export const callerOf = (endpoint: number): number => (isSecureEndpoint(endpoint) ? endpoint : NWD);

export const PAGE = 0x1000n;
const NS_BASE = 0x4000_0000n;
const SEC_BASE = 0x0e00_0000n;
const BIG_BASE = 0x0e10_0000n;
/** SP2's large region: a send of one constituent per page has a descriptor
 *  and a retrieve response larger than one 4 KiB buffer (FRAG_TX, FRAG_RX). */
export const BIG_PAGES = 256;
export const bigPage = (i: number): bigint => BIG_BASE + BigInt(i) * PAGE;

export interface Region {
  owner: number;
  base: bigint;
  pages: number;
}

// Pages 0-3 VM1's, 4-7 the Normal world's as a whole (any VM may send them), 8-11 SP1's, 12-15 SP2's; SP3 owns none.
export const REGIONS: readonly Region[] = [
  { owner: VM1, base: NS_BASE, pages: 4 },
  { owner: NORMAL_WORLD_OWNER, base: NS_BASE + 4n * PAGE, pages: 4 },
  { owner: SP1, base: SEC_BASE, pages: 4 },
  { owner: SP2, base: SEC_BASE + 4n * PAGE, pages: 4 },
  { owner: SP2, base: BIG_BASE, pages: BIG_PAGES },
];

/** The 16 small pages, then the first page past each small area (memory nobody owns). */
export const SMALL_PAGES: readonly bigint[] = [
  ...Array.from({ length: 8 }, (_, i) => NS_BASE + BigInt(i) * PAGE),
  ...Array.from({ length: 8 }, (_, i) => SEC_BASE + BigInt(i) * PAGE),
  NS_BASE + 8n * PAGE,
  SEC_BASE + 8n * PAGE,
];

/** Pages a sender picks ranges from: its own first (a coherent send), then anything. */
export function ownPages(sender: number): readonly bigint[] {
  switch (sender) {
    case VM1: return SMALL_PAGES.slice(0, 8);
    case VM2: return SMALL_PAGES.slice(4, 8);
    case SP1: return SMALL_PAGES.slice(8, 12);
    case SP2: return [...SMALL_PAGES.slice(12, 16), bigPage(0), bigPage(1), bigPage(2)];
    default: return SMALL_PAGES;
  }
}

const REGION_ENDS = REGIONS.map((r) => r.base + BigInt(r.pages) * PAGE);

export function regionOf(address: bigint): Region | null {
  for (let i = 0; i < REGIONS.length; i++) if (address >= REGIONS[i]!.base && address < REGION_ENDS[i]!) return REGIONS[i]!;
  return null;
}

/** FakePort with default Stage-2 mappings and a TX buffer another vCPU may change. */
export class FuzzPort extends FakePort {
  /** partition -> page -> access written by setStage2 (absent: the region default). */
  readonly written = new Map<number, Map<bigint, PageAccess>>();
  /** After the next TX copy, overwrite the TX buffer (then clear this). */
  scribbleAfterRead = false;
  /** TX copies made (a call copies its descriptor once). */
  txReads = 0;
  /** Pages setStage2 wrote since the invariants last looked (invariants.ts). */
  readonly dirty = new Set<bigint>();
  /** Stage-2 entries written, ever (a refused call writes none, not even an entry's old value). */
  tableWrites = 0;

  override readTx(id: number, length: number): Checked<Uint8Array> {
    const r = super.readTx(id, length);
    this.txReads++;
    if (this.scribbleAfterRead) {
      this.endpoints.get(id)?.tx.fill(0xa5);
      this.scribbleAfterRead = false;
    }
    return r;
  }

  override setStage2(partition: number, range: Constituent, _space: MemorySecurity, permissions: Stage2Permissions): void {
    if (this.tablesExhausted) throw new Error('setStage2 without a successful prepareStage2');
    let pages = this.written.get(partition);
    if (!pages) this.written.set(partition, (pages = new Map()));
    for (let i = 0; i < range.pageCount; i++) {
      const page = range.address + BigInt(i) * PAGE;
      pages.set(page, permissions.access);
      this.dirty.add(page);
    }
    this.tableWrites += range.pageCount;
  }

  override access(partition: number, address: bigint): PageAccess {
    const w = this.written.get(partition)?.get(address);
    if (w !== undefined) return w;
    return regionOf(address)?.owner === partition ? 'rw' : 'none';
  }

  /** Everything a call may change in the port, as text (a refused call must leave it as it was):
   *  the RX buffers' states and sizes, the table entries written and the ranges zeroed, counted. */
  snapshot(): string {
    let rx = '';
    for (const [id, e] of this.endpoints) rx += `${id}:${e.rxState}:${e.rx.length},`;
    return `${rx}#${this.tableWrites}#${this.zeroed.length}`;
  }
}

export interface RealWorld {
  ledger: MemoryLedger;
  port: FuzzPort;
  versions: ReadonlyMap<number, number>;
  /** The ledger's write count and the model's moves when their records last matched (invariants.ts). */
  checkedWrites: number;
  checkedModel: number;
  /** Page addresses' and handles' keys in the ledger's record (hex), made once each. */
  keys: Map<bigint, string>;
}

/** A fresh SPMC memory world: the regions above, every caller with a one-page RX/TX pair at its `versions` entry. */
export function createWorld(versions: readonly number[], mutation: MutationName | ''): RealWorld {
  const ledger = new MemoryLedger('spmc', mutation);
  for (const r of REGIONS) ledger.declareRegion(r.owner, r.base, r.pages);
  const port = new FuzzPort([...PARTITIONS], [NWD, VM1, VM2], 0);
  const v = new Map<number, number>();
  CALLERS.forEach((id, i) => {
    const version = versions[i] ?? FFA_VERSION_1_1;
    v.set(id, version);
    port.map(id, 1, version);
  });
  return { ledger, port, versions: v, checkedWrites: -1, checkedModel: -1, keys: new Map() };
}

// The port the SPMC's pure ABI modules (memoryAbi.ts, notificationTable.ts,
// mailbox.ts; spmcPort.ts says what they need) act through, over this
// SPMC's state and the machine: endpoints are the partitions and the Normal
// world (IDs with bit 15 clear); RX/TX buffers are the registry's pairs
// (rxtxRegistry.ts), read and written at the physical addresses resolved
// when they were mapped; a partition's memory is reached through its two
// stage-2 tables (Secure IPA space for secure RAM, Non-secure IPA space for
// Normal-world RAM), identity-mapped, built in secure RAM from the page heap.
// A view: it holds no state of its own.
import type { Machine } from '../machine.js';
import { INVALID_PARAMETERS, NO_MEMORY } from '../ffa/errors.js';
import { FFA_VERSION_1_1 } from '../ffa/functionIds.js';
import { accept, reject, type Checked } from '../ffa/result.js';
import type { Constituent } from '../ffa/memory/transaction.js';
import { endpointText } from '../ffa/endpoints.js';
import type { EndpointKind, MemorySecurity, RxState, SpmcMemoryPort, Stage2Permissions } from './spmcPort.js';
import { findPair } from './rxtxRegistry.js';
import type { SpmcState } from './spmcState.js';
import { PageHeap } from './pageHeap.js';
import { mapPages, prepareTables, unmapPages } from './stage2Table.js';
import { tableMemory } from './partitionLoader.js';
import { PAGE_BYTES, S2_HEAP_BASE, S2_HEAP_PAGES, SECURE_RAM_BYTES, SECURE_RAM_PA } from './secureLayout.js';

/** The Normal world's endpoint whose RX/TX pair the SPMC keeps (the hypervisor's, or a bare kernel's): ID 0. */
export const NWD_ENDPOINT = 0;

export class MachinePort implements SpmcMemoryPort {
  constructor(private readonly m: Machine, private readonly s: SpmcState) {}

  private heap(): PageHeap {
    return new PageHeap(S2_HEAP_BASE, S2_HEAP_PAGES, this.s, (pa) => this.m.core.writePhys(pa, new Uint8Array(PAGE_BYTES)));
  }

  private partition(id: number) {
    return this.s.partitions.find((p) => p.id === id);
  }

  endpointKind(id: number): EndpointKind {
    if (this.partition(id)) return 'partition';
    return Number.isInteger(id) && id >= 0 && id < 0x8000 ? 'normal-world' : 'unknown';
  }

  ffaVersion(id: number): number {
    const p = this.partition(id);
    if (p) return p.version ?? this.s.implemented;
    return this.s.nwdVersion ?? FFA_VERSION_1_1;
  }

  bufferBytes(id: number): number {
    const pair = findPair(this.s.rxtx, id);
    return pair ? pair.pageCount * PAGE_BYTES : 0;
  }

  readTx(id: number, length: number): Checked<Uint8Array> {
    const pair = findPair(this.s.rxtx, id);
    if (!pair) return reject(INVALID_PARAMETERS, `${endpointText(id)} has no TX buffer`);
    if (!Number.isInteger(length) || length < 0 || length > pair.pageCount * PAGE_BYTES) return reject(INVALID_PARAMETERS, `${length} bytes exceed ${endpointText(id)}'s TX buffer`);
    return accept(this.m.core.readPhys(Number(pair.txPa), length).slice());
  }

  rxState(id: number): RxState {
    return findPair(this.s.rxtx, id)?.rx ?? 'unmapped';
  }

  writeRx(id: number, bytes: Uint8Array): void {
    const pair = findPair(this.s.rxtx, id);
    if (!pair) return;
    const all = new Uint8Array(pair.pageCount * PAGE_BYTES);
    all.set(bytes.subarray(0, all.length));
    this.m.core.writePhys(Number(pair.rxPa), all);
    pair.rx = 'full';
  }

  setRxState(id: number, state: Exclude<RxState, 'unmapped'>): void {
    const pair = findPair(this.s.rxtx, id);
    if (pair) pair.rx = state;
  }

  memorySecurity(address: bigint): MemorySecurity {
    return address >= BigInt(SECURE_RAM_PA) && address < BigInt(SECURE_RAM_PA + SECURE_RAM_BYTES) ? 'secure' : 'non-secure';
  }

  private root(partition: number, space: MemorySecurity): number | null {
    const p = this.partition(partition);
    if (!p) return null;
    return Number(space === 'secure' ? p.s2Secure : p.s2NonSecure);
  }

  prepareStage2(partition: number, ranges: readonly Constituent[]): Checked<void> {
    const mem = tableMemory(this.m);
    const heap = this.heap();
    for (const r of ranges) {
      const root = this.root(partition, this.memorySecurity(r.address));
      if (root === null) return reject(INVALID_PARAMETERS, `${endpointText(partition)} is not a partition`);
      if (r.address > BigInt(Number.MAX_SAFE_INTEGER) || !prepareTables(mem, heap, root, Number(r.address), r.pageCount)) {
        return reject(NO_MEMORY, `no stage-2 table memory for ${r.pageCount} pages at 0x${r.address.toString(16)} (or outside the IPA space)`);
      }
    }
    return accept(undefined);
  }

  setStage2(partition: number, range: Constituent, space: MemorySecurity, permissions: Stage2Permissions): void {
    const root = this.root(partition, space);
    if (root === null) return;
    const mem = tableMemory(this.m);
    const ipa = Number(range.address);
    if (permissions.access === 'none') unmapPages(mem, this.heap(), root, ipa, range.pageCount);
    else mapPages(mem, this.heap(), root, ipa, ipa, range.pageCount, { read: true, write: permissions.access === 'rw', execute: permissions.executable, device: false });
    // TLBI VMALLS12E1IS for the Secure EL1&0 regime on every PE (VMIDs are not tracked per table).
    this.m.core.invalidateVmid((1 << this.m.numCpus) - 1, -1, true);
  }

  zeroMemory(range: Constituent): void {
    const zero = new Uint8Array(PAGE_BYTES);
    for (let i = 0; i < range.pageCount; i++) this.m.core.writePhys(Number(range.address) + i * PAGE_BYTES, zero);
  }
}

// A fake SPMC port for the ABI modules' tests (unit and property): endpoints
// with RX/TX buffers as plain byte arrays, per-partition Stage-2 state as a
// map of pages, and memory below SECURE_END Secure. Test support only.
import { NO_MEMORY, INVALID_PARAMETERS } from '../ffa/errors.js';
import { FFA_VERSION_1_1 } from '../ffa/functionIds.js';
import { accept, reject, type Checked } from '../ffa/result.js';
import type { Constituent } from '../ffa/memory/transaction.js';
import type { PageAccess } from './memoryLedger.js';
import type { EndpointKind, MemorySecurity, RxState, SpmcMemoryPort, Stage2Permissions } from './spmcPort.js';

/** Addresses below this are Secure memory (QEMU virt's secure RAM sits at 0x0e000000). */
export const SECURE_END = 0x4000_0000n;

export interface FakeEndpoint {
  version: number;
  tx: Uint8Array;
  rx: Uint8Array;
  rxState: RxState;
}

export interface MappedPage extends Stage2Permissions {
  space: MemorySecurity;
}

export class FakePort implements SpmcMemoryPort {
  readonly endpoints = new Map<number, FakeEndpoint>();
  /** partition -> page address (hex) -> mapping. */
  readonly stage2 = new Map<number, Map<string, MappedPage>>();
  readonly zeroed: Constituent[] = [];
  /** prepareStage2 answers NO_MEMORY while set. */
  tablesExhausted = false;

  constructor(readonly partitions: readonly number[], normalWorld: readonly number[], bufferPages = 1) {
    for (const id of [...partitions, ...normalWorld]) this.map(id, bufferPages);
  }

  /** Gives `id` an RX/TX pair of `pages` pages (0: none). */
  map(id: number, pages: number, version = FFA_VERSION_1_1): void {
    const bytes = pages * 4096;
    this.endpoints.set(id, { version, tx: new Uint8Array(bytes), rx: new Uint8Array(bytes), rxState: pages === 0 ? 'unmapped' : 'empty' });
  }

  /** Puts `bytes` at the start of `id`'s TX buffer. */
  writeTx(id: number, bytes: Uint8Array): void {
    const e = this.endpoints.get(id)!;
    e.tx.fill(0);
    e.tx.set(bytes.subarray(0, e.tx.length));
  }

  /** The endpoint's RX buffer, emptied as FFA_RX_RELEASE would. */
  release(id: number): Uint8Array {
    const e = this.endpoints.get(id)!;
    e.rxState = 'empty';
    return e.rx.slice();
  }

  access(partition: number, address: bigint): PageAccess {
    return this.stage2.get(partition)?.get(address.toString(16))?.access ?? 'none';
  }

  page(partition: number, address: bigint): MappedPage | undefined {
    return this.stage2.get(partition)?.get(address.toString(16));
  }

  endpointKind(id: number): EndpointKind {
    if (this.partitions.includes(id)) return 'partition';
    return id >= 0 && id < 0x8000 ? 'normal-world' : 'unknown';
  }

  ffaVersion(id: number): number {
    return this.endpoints.get(id)?.version ?? FFA_VERSION_1_1;
  }

  bufferBytes(id: number): number {
    return this.endpoints.get(id)?.rx.length ?? 0;
  }

  readTx(id: number, length: number): Checked<Uint8Array> {
    const e = this.endpoints.get(id);
    if (!e || e.tx.length === 0 || length > e.tx.length) return reject(INVALID_PARAMETERS, 'no TX buffer, or a length past it');
    return accept(e.tx.slice(0, length));
  }

  rxState(id: number): RxState {
    return this.endpoints.get(id)?.rxState ?? 'unmapped';
  }

  writeRx(id: number, bytes: Uint8Array): void {
    const e = this.endpoints.get(id)!;
    if (e.rxState !== 'empty' || bytes.length > e.rx.length) throw new Error(`writeRx to ${id} in state ${e.rxState} (${bytes.length} bytes)`);
    e.rx.fill(0);
    e.rx.set(bytes);
    e.rxState = 'full';
  }

  setRxState(id: number, state: Exclude<RxState, 'unmapped'>): void {
    const e = this.endpoints.get(id)!;
    if (e.rxState === 'unmapped') throw new Error(`setRxState on ${id} with no RX buffer`);
    e.rxState = state;
  }

  memorySecurity(address: bigint): MemorySecurity {
    return address < SECURE_END ? 'secure' : 'non-secure';
  }

  prepareStage2(partition: number, ranges: readonly Constituent[]): Checked<void> {
    if (!this.partitions.includes(partition)) throw new Error(`prepareStage2 for ${partition}, not a partition`);
    void ranges;
    return this.tablesExhausted ? reject(NO_MEMORY, 'no page-table memory') : accept(undefined);
  }

  setStage2(partition: number, range: Constituent, space: MemorySecurity, permissions: Stage2Permissions): void {
    if (this.tablesExhausted) throw new Error('setStage2 without a successful prepareStage2');
    let pages = this.stage2.get(partition);
    if (!pages) this.stage2.set(partition, (pages = new Map()));
    for (let i = 0; i < range.pageCount; i++) {
      const key = (range.address + BigInt(i) * 4096n).toString(16);
      if (permissions.access === 'none') pages.delete(key);
      else pages.set(key, { ...permissions, space });
    }
  }

  zeroMemory(range: Constituent): void {
    this.zeroed.push({ ...range });
  }
}

/** Registers x0.. of a call. */
export const regs = (...v: (number | bigint)[]): bigint[] => v.map((x) => BigInt.asUintN(64, BigInt(x)));

/** A handle's two W registers, low first. */
export const handleRegs = (handle: bigint): [bigint, bigint] => [handle & 0xffff_ffffn, handle >> 32n];

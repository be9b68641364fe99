// The model `hvrr fuzz ffa --vm` holds the hypervisor's VM-to-VM memory
// sharing to (core/hypervisor/ffa/vmMemory.ts over its own MemoryLedger):
// the ledger's records (../ffa/ledgerModel.ts: per page its owner and
// transaction, per handle its operation, sender, receivers, access,
// constituents received and to come, per borrower its grant and how much of
// its retrieve response it fetched), keyed by physical address as the
// proxy's ledger is; per VM its RX/TX pair, whether its RX buffer is full
// and which retrieve response it is being delivered; and from those, each
// VM's Stage-2 entry for every page (ownership.ts's table: state bits and
// S2AP). Written from DEN0077 v1.1 chapter 10 and the choices vmMemory.ts,
// rxtx.ts and core/ffa document: each predict* says what a call must
// answer (success, or the FF-A error code, in the order the proxy checks)
// and, on success, how the model moves.
import { BUSY, DENIED, INVALID_PARAMETERS, NO_MEMORY } from '../../core/ffa/errors.js';
import { isSecureEndpoint } from '../../core/ffa/endpoints.js';
import { handleAllocator } from '../../core/ffa/memory/handle.js';
import { COMPOSITE_SIZE, CONSTITUENT_SIZE, emadSize, headerSize, layoutOfVersion } from '../../core/ffa/memory/layout.js';
import type { Constituent } from '../../core/ffa/memory/transaction.js';
import { PAGE_DONATED, PAGE_OWNED, PAGE_SHARED_BORROWED, PAGE_SHARED_OWNED, type PageState } from '../../core/hypervisor/ffa/ownership.js';
import { LEDGER_MAX_FRAGMENTS, LEDGER_MAX_TRANSACTIONS, type PageAccess } from '../../core/spmc/memoryLedger.js';
import { fail, LedgerModel, ok, overlaps, pagesOf, retrieveRefusal, totalPages, type Expect, type ModelBorrower, type RetrieveSpec, type SendSpec } from '../ffa/ledgerModel.js';
import { GUEST_RAM_IPA as GUEST_RAM } from '../../core/hypervisor/hypervisor.js';
import { AREA_IPA, BORROW_IPA_BASE, PAGE, RAM_BASE, VM_RAM_BYTES, VMS } from './world.js';

/** What a VM's Stage 2 holds for a page (ownership.ts): its state bits and S2AP (3 RW, 1 RO, 0 none); null: no entry. */
export interface EntryModel {
  state: PageState;
  s2ap: number;
}

export interface VmRx {
  version: number;
  /** The RX/TX pair's IPAs (one page each), or null when unmapped. */
  rxtx: { tx: number; rx: number } | null;
  rxFull: boolean;
  /** The handle whose retrieve response is being delivered to the VM (FFA_MEM_FRAG_RX), or null. */
  delivering: bigint | null;
}

/** A send as the VM writes it (its ranges the caller's IPAs), and the registers' defect:
 *  x3 non-zero or a fragment length above the total, refused before the descriptor is read. */
export interface VmSendSpec extends SendSpec {
  argsDefect: boolean;
}

const s2apOf = (a: PageAccess): number => (a === 'rw' ? 3 : a === 'ro' ? 1 : 0);

export class VmModel extends LedgerModel {
  readonly vms = new Map<number, VmRx>();

  /** @param backing each VM's RAM's PA. */
  constructor(private readonly backing: ReadonlyMap<number, number>, versions: readonly number[]) {
    super((pa) => {
      for (const [id, base] of backing) if (pa >= BigInt(base) && pa < BigInt(base + VM_RAM_BYTES)) return id;
      return null;
    }, 'hypervisor');
    VMS.forEach((id, i) => this.vms.set(id, { version: versions[i]!, rxtx: null, rxFull: false, delivering: null }));
  }

  vm(id: number): VmRx {
    return this.vms.get(id)!;
  }

  ownRam(id: number, pa: number): boolean {
    const b = this.backing.get(id)!;
    return pa >= b && pa < b + VM_RAM_BYTES;
  }

  /** The PA of VM `id`'s small page `i`. */
  paOfArea(id: number, i: number): number {
    return this.backing.get(id)! + (AREA_IPA - GUEST_RAM) + i * PAGE;
  }

  /** The IPA at which VM `id` sees `pa` (its RAM, else the borrow window: ownership.ts ipaOfPage). */
  ipaOf(id: number, pa: number): number {
    return this.ownRam(id, pa) ? GUEST_RAM + (pa - this.backing.get(id)!) : BORROW_IPA_BASE + (pa - RAM_BASE);
  }

  /** The PA VM `id`'s `ipa` names if it maps it (the model's entry), else null. */
  translate(id: number, ipa: number): number | null {
    let pa: number;
    if (ipa >= GUEST_RAM && ipa < GUEST_RAM + VM_RAM_BYTES) pa = this.backing.get(id)! + (ipa - GUEST_RAM);
    else if (ipa >= BORROW_IPA_BASE && ipa < 2 ** 32) {
      pa = RAM_BASE + (ipa - BORROW_IPA_BASE);
      if (this.ownRam(id, pa)) return null;
    } else return null;
    return this.entry(id, pa) ? pa : null;
  }

  /** VM `id`'s Stage-2 entry for `pa` by the model (ownership.ts wantedDescriptor's table). */
  entry(id: number, pa: number): EntryModel | null {
    const p = this.page(BigInt(pa));
    const access = this.access(id, BigInt(pa));
    if (p.owner === id) {
      const op = p.handle === null ? null : this.txs.get(p.handle)?.op ?? null;
      return { state: op === null ? PAGE_OWNED : op === 'donate' ? PAGE_DONATED : PAGE_SHARED_OWNED, s2ap: s2apOf(access) };
    }
    return access === 'none' ? null : { state: PAGE_SHARED_BORROWED, s2ap: s2apOf(access) };
  }

  private bufferPage(id: number, pa: number): boolean {
    const b = this.vm(id).rxtx;
    return b !== null && (pa === this.translateOwn(id, b.tx) || pa === this.translateOwn(id, b.rx));
  }

  private translateOwn(id: number, ipa: number): number {
    return this.backing.get(id)! + (ipa - GUEST_RAM);
  }

  /** The sender's IPA ranges as PA ranges (vmMemory.ts toPhysical), or null when a page does not translate,
   *  is not physically contiguous with the range, or is an RX/TX page (DENIED). */
  toPhysical(id: number, ranges: readonly Constituent[]): Constituent[] | null {
    const out: Constituent[] = [];
    for (const c of ranges) {
      if (c.address + BigInt(c.pageCount * PAGE) > 1n << 32n) return null;
      const ipa = Number(c.address);
      const pa0 = this.translate(id, ipa);
      if (pa0 === null) return null;
      for (let i = 0; i < c.pageCount; i++) {
        const pa = this.translate(id, ipa + i * PAGE);
        if (pa !== pa0 + i * PAGE || this.bufferPage(id, pa)) return null;
      }
      out.push({ address: BigInt(pa0), pageCount: c.pageCount });
    }
    return out;
  }

  predictSend(s: VmSendSpec): Expect & { phys?: Constituent[] } {
    const me = s.caller;
    if (!this.vm(me).rxtx) return fail(INVALID_PARAMETERS, 'no TX buffer');
    if (s.argsDefect) return fail(INVALID_PARAMETERS, 'descriptor registers (address in x3, fragment above the total)');
    if (s.decodeDefect) return fail(INVALID_PARAMETERS, `malformed descriptor (${s.decodeDefect})`);
    const complete = s.firstCount === s.ranges.length;
    if (complete && overlaps(s.ranges)) return fail(INVALID_PARAMETERS, 'overlapping constituents (the decoder checks a whole descriptor)');
    if (s.sender !== me) return fail(DENIED, 'the descriptor\'s sender is not the caller');
    if (s.receivers.some(isSecureEndpoint)) return fail(INVALID_PARAMETERS, 'a partition among VM receivers');
    if (s.receivers.some((r) => !(VMS as readonly number[]).includes(r))) return fail(INVALID_PARAMETERS, 'a receiver is no VM');
    if (s.receivers.includes(me)) return fail(INVALID_PARAMETERS, 'the sender is a receiver');
    const phys = this.toPhysical(me, s.ranges.slice(0, s.firstCount));
    if (!phys) return fail(DENIED, 'a page does not translate, is not contiguous, or is an RX/TX page');
    if (s.nonZeroHandle) return fail(INVALID_PARAMETERS, 'a send names a handle');
    if (s.op === 'share' && s.clear) return fail(INVALID_PARAMETERS, 'a share cannot be cleared');
    if (overlaps(phys)) return fail(INVALID_PARAMETERS, 'overlapping constituents');
    if (this.txs.size >= LEDGER_MAX_TRANSACTIONS) return fail(NO_MEMORY, 'the share table is full');
    if (complete && !this.transitionOk(me, phys)) return fail(DENIED, 'a page is not the sender\'s or already in a transaction');
    return { ...ok(complete ? 'sent' : 'first fragment taken'), phys };
  }

  predictFragTx(caller: number, handle: bigint, more: readonly Constituent[], f: { reservedBits: boolean; endpointBits: boolean; length: number; garbage: boolean }): Expect & { phys?: Constituent[] } {
    if (f.reservedBits) return fail(INVALID_PARAMETERS, 'w4[15:0] set');
    if (f.endpointBits) return fail(INVALID_PARAMETERS, 'w4[31:16] set by a VM');
    if (handleAllocator(handle) !== 'hypervisor') return fail(INVALID_PARAMETERS, 'an SPMC handle: no send of this VM in progress');
    if (!this.vm(caller).rxtx) return fail(INVALID_PARAMETERS, 'no TX buffer');
    if (f.length > PAGE) return fail(INVALID_PARAMETERS, 'fragment longer than the TX buffer');
    const t = this.txs.get(handle);
    if (!t || t.pending.length === 0) return fail(INVALID_PARAMETERS, 'no send in progress');
    if (t.sender !== caller) return fail(INVALID_PARAMETERS, 'not the sender');
    if (f.length === 0 || f.length % CONSTITUENT_SIZE !== 0) return fail(INVALID_PARAMETERS, 'fragment length not a non-zero multiple of 16');
    if (more.length > t.pending.length) return fail(INVALID_PARAMETERS, 'more constituents than remain');
    if (f.garbage) return fail(INVALID_PARAMETERS, 'a constituent\'s reserved field is set');
    const phys = this.toPhysical(caller, more);
    if (!phys) return fail(DENIED, 'a page does not translate (the send stays open)');
    if (t.fragments >= LEDGER_MAX_FRAGMENTS) return fail(NO_MEMORY, 'too many fragments', handle);
    const all = [...t.received, ...phys];
    const complete = more.length === t.pending.length;
    if (overlaps(all) || (complete && totalPages(all) !== totalPages([...t.received, ...t.pending]))) return fail(INVALID_PARAMETERS, 'constituents overlap or do not add up', handle);
    if (complete && !this.transitionOk(t.sender, all)) return fail(DENIED, 'a page is not the sender\'s or already in a transaction', handle);
    return { ...ok(complete ? 'send complete' : 'fragment taken'), phys };
  }

  /** The bytes of `id`'s retrieve response of `handle` (its view merges pages adjacent in its IPA space: vmMemory.ts toVmView). */
  responseBytes(id: number, handle: bigint): number {
    const t = this.txs.get(handle)!;
    let runs = 0;
    let next = -1;
    for (const pa of pagesOf(t.received)) {
      const ipa = this.ipaOf(id, Number(pa));
      if (ipa !== next) runs++;
      next = ipa + PAGE;
    }
    const layout = layoutOfVersion(this.vm(id).version);
    return headerSize(layout) + emadSize(layout) + COMPOSITE_SIZE + CONSTITUENT_SIZE * runs;
  }

  predictRetrieve(r: RetrieveSpec): Expect {
    const v = this.vm(r.caller);
    if (!v.rxtx) return fail(INVALID_PARAMETERS, 'no RX/TX buffers');
    if (r.receivers.length === 0) return fail(INVALID_PARAMETERS, 'a request with no receivers is the hypervisor\'s');
    if (handleAllocator(r.handle) !== 'hypervisor') return fail(INVALID_PARAMETERS, 'an SPMC handle, and no SPMC');
    if (v.rxFull || v.delivering !== null) return fail(BUSY, 'the RX buffer is not free');
    const t = this.txs.get(r.handle);
    if (!t || t.pending.length > 0) return fail(INVALID_PARAMETERS, 'no complete transaction with this handle');
    const refused = retrieveRefusal(t, r, r.caller);
    if (refused) return refused;
    if (t.borrowers.find((x) => x.id === r.caller)!.granted !== null) return fail(DENIED, 'already retrieved');
    return ok('retrieved');
  }

  commitRetrieve(id: number, handle: bigint, access: 'ro' | 'rw', totalBytes: number, firstBytes: number): void {
    const v = this.vm(id);
    v.rxFull = true;
    v.delivering = firstBytes < totalBytes ? handle : null;
    this.grant(handle, id, access, totalBytes, firstBytes);
  }

  predictFragRx(caller: number, handle: bigint, offset: number, f: { reservedBits: boolean; endpointBits: boolean }): Expect & { who?: ModelBorrower } {
    if (f.reservedBits) return fail(INVALID_PARAMETERS, 'w4[15:0] set');
    if (f.endpointBits) return fail(INVALID_PARAMETERS, 'w4[31:16] set by a VM');
    if (handleAllocator(handle) !== 'hypervisor') return fail(INVALID_PARAMETERS, 'an SPMC handle: no response in progress');
    const v = this.vm(caller);
    if (v.delivering !== handle) return fail(INVALID_PARAMETERS, 'no retrieve response of this handle in progress');
    const who = this.txs.get(handle)!.borrowers.find((b) => b.id === caller)!;
    if (offset !== who.fetched) return fail(INVALID_PARAMETERS, `offset ${offset}, ${who.fetched} bytes delivered`);
    if (v.rxFull) return fail(BUSY, 'the RX buffer is not free');
    return { ...ok('next fragment'), who };
  }

  commitFragRx(caller: number, handle: bigint, who: ModelBorrower, bytes: number): void {
    const v = this.vm(caller);
    v.rxFull = true;
    if (who.fetched + bytes >= who.total) v.delivering = null;
    this.fetch(handle, who, bytes);
  }

  /** `endpoints` the relinquish descriptor names, `flags` its flags. */
  predictRelinquish(caller: number, handle: bigint, endpoints: readonly number[], flags: number): Expect {
    if (!this.vm(caller).rxtx) return fail(INVALID_PARAMETERS, 'no TX buffer');
    if ((flags & ~1) !== 0) return fail(INVALID_PARAMETERS, 'relinquish flags (reserved or time slicing)');
    if (endpoints.length === 0) return fail(INVALID_PARAMETERS, 'no endpoint');
    if (endpoints.length !== 1 || endpoints[0] !== caller) return fail(INVALID_PARAMETERS, 'a VM relinquishes for itself alone');
    if (handleAllocator(handle) !== 'hypervisor') return fail(INVALID_PARAMETERS, 'an SPMC handle: nothing retrieved from a partition');
    const t = this.txs.get(handle);
    if (!t || t.pending.length > 0) return fail(INVALID_PARAMETERS, 'no complete transaction with this handle');
    const me = t.borrowers.find((b) => b.id === caller);
    if (!me) return fail(INVALID_PARAMETERS, 'not a borrower');
    if (me.granted === null) return fail(INVALID_PARAMETERS, 'not retrieved');
    if (me.fetched !== me.total) return fail(INVALID_PARAMETERS, 'the retrieve response is not all fetched');
    // DEN0077 v1.1 FFA_MEM_RELINQUISH flags bit 0 (as core/spmc/memoryAbi.ts and Hafnium): no zeroing of shared memory, nor by a read-only borrower.
    if ((flags & 1) !== 0 && t.op === 'share') return fail(INVALID_PARAMETERS, 'shared memory cannot be zeroed on relinquish');
    if ((flags & 1) !== 0 && me.granted === 'ro') return fail(DENIED, 'a read-only borrower cannot zero the memory');
    return ok('relinquished');
  }

  predictReclaim(caller: number, handle: bigint, flags: number): Expect {
    if ((flags & ~1) !== 0) return fail(INVALID_PARAMETERS, 'reclaim flags (reserved or time slicing)');
    if (handleAllocator(handle) !== 'hypervisor') return fail(INVALID_PARAMETERS, 'an SPMC handle: nothing this VM sent to a partition');
    const t = this.txs.get(handle);
    if (!t || t.pending.length > 0) return fail(INVALID_PARAMETERS, 'no complete transaction with this handle');
    if (t.sender !== caller) return fail(INVALID_PARAMETERS, 'not the sender');
    if (t.op === 'donate') return fail(DENIED, 'a donate is irrevocable');
    if (t.borrowers.some((b) => b.granted !== null)) return fail(DENIED, 'a borrower still holds the memory');
    return ok('reclaimed');
  }

  predictRxRelease(caller: number): Expect {
    const v = this.vm(caller);
    if (!v.rxtx) return fail(DENIED, 'no RX buffer');
    if (!v.rxFull) return fail(DENIED, 'nothing to release');
    return ok('released');
  }

  predictUnmap(caller: number, idBits: number): Expect {
    if (idBits !== 0 && idBits !== caller) return fail(INVALID_PARAMETERS, 'w1 names another endpoint');
    const v = this.vm(caller);
    if (!v.rxtx) return fail(INVALID_PARAMETERS, 'nothing mapped');
    if (v.delivering !== null) return fail(DENIED, 'a retrieve response is being delivered');
    return ok('unmapped');
  }

  predictMap(caller: number, tx: number, rx: number): Expect {
    if (tx === rx) return fail(INVALID_PARAMETERS, 'TX and RX overlap');
    if (this.vm(caller).rxtx) return fail(DENIED, 'already mapped');
    for (const ipa of [tx, rx]) {
      const e = this.entry(caller, this.translateOwn(caller, ipa));
      if (!e || e.state !== PAGE_OWNED || e.s2ap !== 3) return fail(INVALID_PARAMETERS, 'a buffer page is not owned exclusively');
    }
    return ok('mapped');
  }

  /** Which PAs a successful call zeroes: a send's (LEND/DONATE with the clear flag, at completion), a relinquish's, a reclaim's. */
  zeroes(ranges: readonly Constituent[]): number[] {
    return [...pagesOf(ranges)].map(Number);
  }
}

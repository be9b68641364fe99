// The model `hvrr fuzz ffa` holds the SPMC's memory sharing to: the
// ledger's records (ledgerModel.ts: per page its owner and transaction, per
// handle the operation, sender, receivers, access sent, constituents
// received and still to come, per borrower its grant and how much of its
// retrieve response it has fetched); per caller its RX buffer (mapped,
// empty or full). Written from DEN0077 v1.1 chapter 10
// and the choices core/spmc/memoryAbi.ts and memoryLedger.ts document
// (Hafnium's), independently of that code: each predict* says what a call
// must answer (success, or the FF-A error code, in the order the checks are
// documented) and, on success, how the model moves.
import { BUSY, DENIED, INVALID_PARAMETERS, NO_MEMORY } from '../../core/ffa/errors.js';
import { isSecureEndpoint } from '../../core/ffa/endpoints.js';
import { LEDGER_MAX_FRAGMENTS, LEDGER_MAX_RECEIVERS, LEDGER_MAX_TRANSACTIONS } from '../../core/spmc/memoryLedger.js';
import { SECURE_END } from '../../core/spmc/portTesting.js';
import { FFA_PAGE_SIZE } from '../../core/ffa/memory/layout.js';
import type { Constituent } from '../../core/ffa/memory/transaction.js';
import { fail, LedgerModel, ok, overlaps, retrieveRefusal, totalPages, type Expect, type ModelBorrower, type ModelTx, type RetrieveSpec, type SendSpec } from './ledgerModel.js';
import { CALLERS, NWD, PAGE, regionOf, UNKNOWN_SP } from './world.js';

export { pagesOf, overlaps, type Expect, type ModelBorrower, type ModelPage, type ModelTx, type RetrieveSpec, type SendSpec } from './ledgerModel.js';

export type RxModel = 'unmapped' | 'empty' | 'full';

const isSecureMemory = (a: bigint): boolean => a < SECURE_END;
/** A range's first and last pages (regions of different security never touch). */
const anySecure = (ranges: readonly Constituent[]): boolean => ranges.some((k) => isSecureMemory(k.address) || isSecureMemory(k.address + BigInt(k.pageCount - 1) * PAGE));
const total = totalPages;

export class FfaModel extends LedgerModel {
  readonly rx = new Map<number, RxModel>(CALLERS.map((c) => [c, 'empty']));
  /** The partitions' page-table memory is exhausted: preparing a Stage-2 change gives NO_MEMORY
   *  (checked before the ledger, so even a call the ledger would refuse gets NO_MEMORY). */
  tablesExhausted = false;

  constructor() {
    super((address) => regionOf(address)?.owner ?? null, 'spmc');
  }

  mapped(caller: number): boolean {
    return this.rx.get(caller) !== 'unmapped';
  }

  predictSend(s: SendSpec): Expect {
    if (!this.mapped(s.caller)) return fail(INVALID_PARAMETERS, 'no TX buffer');
    if (s.decodeDefect) return fail(INVALID_PARAMETERS, `malformed descriptor (${s.decodeDefect})`);
    const complete = s.firstCount === s.ranges.length;
    if (complete && overlaps(s.ranges)) return fail(INVALID_PARAMETERS, 'overlapping constituents (the decoder checks a whole descriptor)');
    const nwd = s.caller === NWD;
    if (nwd && isSecureEndpoint(s.sender)) return fail(DENIED, 'the Normal world sends as a partition');
    let partitions = 0;
    for (const r of s.receivers) {
      if (r === UNKNOWN_SP) return fail(INVALID_PARAMETERS, 'a receiver is not an endpoint');
      if (isSecureEndpoint(r)) partitions++;
      else if (nwd && s.op !== 'share') return fail(DENIED, 'a Normal-world lend/donate to a VM is the hypervisor\'s');
    }
    if (nwd && partitions === 0) return fail(DENIED, 'a Normal-world send with no partition');
    const first = s.ranges.slice(0, s.firstCount);
    if (s.receivers.some((r) => !isSecureEndpoint(r)) && anySecure(first)) return fail(DENIED, 'Secure memory to a Normal-world endpoint');
    const acting = nwd ? s.sender : s.caller;
    if (this.tablesExhausted && complete && s.op !== 'share' && isSecureEndpoint(acting) && this.transitionOk(acting, s.ranges)) return fail(NO_MEMORY, 'no page-table memory for the lender\'s Stage-2 change');
    if (!nwd && s.sender !== s.caller) return fail(DENIED, 'the sender is not the caller');
    if (s.nonZeroHandle) return fail(INVALID_PARAMETERS, 'a send names a handle');
    if (s.op === 'share' && s.clear) return fail(INVALID_PARAMETERS, 'a share cannot be cleared');
    if (s.op === 'donate' && s.receivers.length !== 1) return fail(INVALID_PARAMETERS, 'a donate has one receiver');
    if (s.receivers.includes(s.sender)) return fail(INVALID_PARAMETERS, 'the sender is a receiver');
    if (s.receivers.length > LEDGER_MAX_RECEIVERS) return fail(NO_MEMORY, 'too many receivers');
    if (overlaps(first)) return fail(INVALID_PARAMETERS, 'overlapping constituents');
    if (this.txs.size >= LEDGER_MAX_TRANSACTIONS) return fail(NO_MEMORY, 'the share table is full');
    if (complete && !this.transitionOk(s.sender, first)) return fail(DENIED, 'a page is not the sender\'s or already in a transaction');
    return ok(complete ? 'sent' : 'first fragment taken');
  }

  /** The sender a Normal-world call on `t` acts for. */
  private acting(caller: number, t: ModelTx | undefined): number {
    return caller === NWD && t && !isSecureEndpoint(t.sender) ? t.sender : caller;
  }

  predictFragTx(caller: number, handle: bigint, more: readonly Constituent[], f: { badLength: boolean; garbage: boolean }): Expect {
    if (!this.mapped(caller)) return fail(INVALID_PARAMETERS, 'no TX buffer');
    if (f.badLength) return fail(INVALID_PARAMETERS, 'fragment length not a multiple of 16');
    const t = this.txs.get(handle);
    const sender = this.acting(caller, t);
    const open = t !== undefined && t.pending.length > 0;
    if (open && t.sender === sender && !f.garbage) {
      if (t.receivers.some((r) => !isSecureEndpoint(r)) && anySecure(more)) return fail(DENIED, 'Secure memory to a Normal-world endpoint');
      const all = [...t.received, ...more];
      if (this.tablesExhausted && t.op !== 'share' && isSecureEndpoint(t.sender) && total(all) === total([...t.received, ...t.pending]) && this.transitionOk(t.sender, all)) return fail(NO_MEMORY, 'no page-table memory for the lender\'s Stage-2 change');
    }
    if (!t) return fail(INVALID_PARAMETERS, 'no such handle');
    if (!open) return fail(INVALID_PARAMETERS, 'already complete');
    if (t.sender !== sender) return fail(INVALID_PARAMETERS, 'not the sender');
    if (t.fragments >= LEDGER_MAX_FRAGMENTS) return fail(NO_MEMORY, 'too many fragments', handle);
    if (f.garbage || more.length > t.pending.length) return fail(INVALID_PARAMETERS, 'malformed fragment', handle);
    const all = [...t.received, ...more];
    const complete = more.length === t.pending.length;
    if (overlaps(all) || (complete && total(all) !== total([...t.received, ...t.pending]))) return fail(INVALID_PARAMETERS, 'constituents overlap or do not add up', handle);
    if (complete && !this.transitionOk(t.sender, all)) return fail(DENIED, 'a page is not the sender\'s or already in a transaction', handle);
    return ok(complete ? 'send complete' : 'fragment taken');
  }

  predictRetrieve(r: RetrieveSpec): Expect & { borrower?: number } {
    if (!this.mapped(r.caller)) return fail(INVALID_PARAMETERS, 'no TX buffer');
    if (this.rx.get(r.caller) !== 'empty') return fail(BUSY, 'the RX buffer is full');
    if (r.receivers.length === 0) return fail(INVALID_PARAMETERS, 'a request with no receivers is the hypervisor\'s (and names only a handle)');
    let borrower = r.caller;
    if (r.caller === NWD) {
      const vms = r.receivers.filter((e) => !isSecureEndpoint(e));
      if (vms.length !== 1) return fail(INVALID_PARAMETERS, 'a Normal-world request names exactly one VM');
      borrower = vms[0]!;
    }
    const t = this.txs.get(r.handle);
    if (this.tablesExhausted && t && t.pending.length === 0 && t.receivers.includes(borrower) && isSecureEndpoint(borrower)) return fail(NO_MEMORY, 'no page-table memory for the borrower\'s Stage-2 change');
    if (!t || t.pending.length > 0) return fail(INVALID_PARAMETERS, 'no complete transaction with this handle');
    const refused = retrieveRefusal(t, r, borrower);
    if (refused) return refused;
    const ranges = t.received;
    if (isSecureEndpoint(borrower) && !anySecure(ranges) && r.instruction === 'x') return fail(INVALID_PARAMETERS, 'Non-secure memory is never executable for a partition');
    if (t.borrowers.find((x) => x.id === borrower)!.granted !== null) return fail(DENIED, 'already retrieved');
    return { ...ok('retrieved'), borrower };
  }

  /** After a successful retrieve: `totalBytes` the response's length, `firstBytes` the first fragment's. */
  commitRetrieve(caller: number, handle: bigint, borrower: number, access: 'ro' | 'rw', totalBytes: number, firstBytes: number): void {
    this.rx.set(caller, 'full');
    this.grant(handle, borrower, access, totalBytes, firstBytes);
  }

  predictFragRx(caller: number, handle: bigint, offset: number): Expect & { who?: ModelBorrower } {
    if (this.rx.get(caller) !== 'empty') return fail(BUSY, 'the RX buffer is not free');
    const t = this.txs.get(handle);
    if (!t || t.pending.length > 0) return fail(INVALID_PARAMETERS, 'no complete transaction with this handle');
    const mine = t.borrowers.filter((b) => (caller === NWD ? !isSecureEndpoint(b.id) : b.id === caller) && b.granted !== null && b.fetched < b.total);
    if (mine.length !== 1) return fail(INVALID_PARAMETERS, `${mine.length} retrieve responses in progress for the caller`);
    const who = mine[0]!;
    if (offset !== who.fetched) return fail(INVALID_PARAMETERS, `offset ${offset}, ${who.fetched} bytes fetched`);
    if (this.tablesExhausted && t.op === 'donate' && who.total - who.fetched <= FFA_PAGE_SIZE && isSecureEndpoint(who.id)) return fail(NO_MEMORY, 'no page-table memory for the donate\'s last fragment');
    return { ...ok('next fragment'), who };
  }

  commitFragRx(caller: number, handle: bigint, who: ModelBorrower, bytes: number): void {
    this.rx.set(caller, 'full');
    this.fetch(handle, who, bytes);
  }

  predictRelinquish(caller: number, endpoint: number, handle: bigint, clear: boolean): Expect {
    if (!this.mapped(caller)) return fail(INVALID_PARAMETERS, 'no TX buffer');
    if (caller === NWD ? isSecureEndpoint(endpoint) : endpoint !== caller) return fail(INVALID_PARAMETERS, 'the endpoint is not the caller');
    const t = this.txs.get(handle);
    const me = t?.borrowers.find((b) => b.id === endpoint);
    const others = t?.borrowers.some((b) => b.id !== endpoint && b.granted !== null) ?? false;
    if (clear && !others && t && t.pending.length === 0 && me?.granted && me.fetched === me.total) {
      if (t.op === 'share') return fail(INVALID_PARAMETERS, 'shared memory cannot be zeroed on relinquish');
      if (me.granted === 'ro') return fail(DENIED, 'memory granted read-only cannot be zeroed');
    }
    if (this.tablesExhausted && me?.granted && isSecureEndpoint(endpoint)) return fail(NO_MEMORY, 'no page-table memory to unmap');
    if (!t || t.pending.length > 0) return fail(INVALID_PARAMETERS, 'no complete transaction with this handle');
    if (!me) return fail(INVALID_PARAMETERS, 'not a borrower');
    if (me.granted === null) return fail(INVALID_PARAMETERS, 'not retrieved');
    if (me.fetched !== me.total) return fail(INVALID_PARAMETERS, 'the retrieve response is not all fetched');
    return ok('relinquished');
  }

  predictReclaim(caller: number, handle: bigint, flags: number): Expect {
    if ((flags & ~3) !== 0 || (flags & 2) !== 0) return fail(INVALID_PARAMETERS, 'reclaim flags');
    const t = this.txs.get(handle);
    const sender = this.acting(caller, t);
    if (this.tablesExhausted && t && t.sender === sender && isSecureEndpoint(sender)) return fail(NO_MEMORY, 'no page-table memory to map the lender\'s pages back');
    if (!t || t.pending.length > 0) return fail(INVALID_PARAMETERS, 'no complete transaction with this handle');
    if (t.sender !== sender) return fail(INVALID_PARAMETERS, 'not the sender');
    if (t.op === 'donate') return fail(DENIED, 'a donate is irrevocable');
    if (t.borrowers.some((b) => b.granted !== null)) return fail(DENIED, 'a borrower still holds the memory');
    return ok('reclaimed');
  }

}

// The SPMC's memory-sharing ledger (DEN0077 v1.1 chapter 10): who owns each
// page, which pages are in which transaction, which borrowers retrieved
// them, and the transactions still being sent in fragments. Every operation
// runs in Hafnium's phases (src/ffa_memory.c): validate the request, check
// the transition of every page it names, prepare (reserve the transaction
// slot), then commit, a step with no failure path, so a refused call leaves
// the ledger exactly as it was.
//
// Pages are 4 KiB. Memory is owned by the regions declared at boot (a
// partition's memory, the Normal world's RAM); a page whose state differs
// from its region's (in a transaction, or donated away) has an entry in
// `pages`. The state is one plain, versioned record (getState/setState).
//
// Choices where the spec leaves room, Hafnium's unless said otherwise:
// - handles are SPMC-allocated (bit 63 clear), from a counter never reused;
// - a borrower retrieves once (a second retrieve is DENIED: Hafnium finds
//   the pages already mapped) and must have fetched its whole retrieve
//   response (FFA_MEM_FRAG_RX) to relinquish (INVALID_PARAMETERS); access
//   is granted at the retrieve, as Hafnium maps every fragment then;
// - a refused FFA_MEM_FRAG_TX, or a completed fragmented send whose pages
//   fail the transition check, abandons the whole transaction (its handle is
//   freed), as Hafnium frees the share state;
// - a donate is irrevocable (seeds 001/003): at the retrieve the pages
//   become the borrower's, and the handle is freed with the response's last
//   fragment; RECLAIM of a donate is DENIED (Hafnium would let the donor
//   reclaim one nobody retrieved yet; we follow the seeds);
// - the hypervisor's retrieve request is only for memory a VM sent
//   (INVALID_PARAMETERS for a partition's): the hypervisor owns no other;
// - memory declared as the Normal world's (NORMAL_WORLD_OWNER) may be sent
//   by any Normal-world endpoint and stays the Normal world's;
// - limits (NO_MEMORY when exhausted): LEDGER_MAX_TRANSACTIONS live
//   handles, LEDGER_MAX_RECEIVERS borrowers per transaction,
//   LEDGER_MAX_FRAGMENTS fragments per send.
import { DENIED, INVALID_PARAMETERS, NO_MEMORY } from '../ffa/errors.js';
import { FFA_HYPERVISOR_ID, endpointText, isSecureEndpoint } from '../ffa/endpoints.js';
import { accept, reject, type Checked } from '../ffa/result.js';
import { FFA_DATA_ACCESS_RO, decodePermissions, encodePermissions, type MemoryAccessPermissions } from '../ffa/memory/attributes.js';
import { checkConstituentSet, decodeConstituentFragment } from '../ffa/memory/constituents.js';
import { handleAllocator, handleText, makeHandle, type HandleAllocator } from '../ffa/memory/handle.js';
import { FFA_PAGE_SIZE } from '../ffa/memory/layout.js';
import { checkRetrieveAgainstSent, type RetrieveContext } from '../ffa/memory/retrieve.js';
import { checkRetrieveRequest, checkSend, type SendOp } from '../ffa/memory/rules.js';
import { transactionLength, type Constituent, type MemoryTransaction } from '../ffa/memory/transaction.js';
import { upgradeRecord, type RecordSchema } from '../stateRecord.js';
import type { MutationName } from '../mutations.js';
import { checkLedgerRecord } from './ledgerRecord.js';
import { hex64, transactionFromRecord, transactionToRecord, type TransactionRecord } from './transactionRecord.js';

export const LEDGER_MAX_TRANSACTIONS = 64;
/** The owner of Normal-world memory as a whole (the hypervisor's ID): any
 *  Normal-world endpoint may send it, since the SPMC cannot tell VMs' memory
 *  apart and the hypervisor checks its VMs' (Hafnium's SPMC: the other world
 *  owns all Non-secure memory). It returns to the Normal world on reclaim. */
export const NORMAL_WORLD_OWNER = FFA_HYPERVISOR_ID;
export const LEDGER_MAX_RECEIVERS = 4;
export const LEDGER_MAX_FRAGMENTS = 20;

const PAGE = BigInt(FFA_PAGE_SIZE);

export interface OwnedRegionRecord {
  base: string;
  pageCount: number;
  owner: number;
}

/** A page whose state differs from its region's. */
export interface PageRecord {
  owner: number;
  /** The transaction holding the page, or null (owned exclusively). */
  handle: string | null;
}

export interface BorrowerRecord {
  id: number;
  /** Encoded permissions granted at retrieve; null while not retrieved. */
  granted: number | null;
  clearOnRelinquish: boolean;
  /** Fragments of the retrieve response: how many, and how many delivered
   *  (FFA_MEM_RETRIEVE_RESP, then FFA_MEM_FRAG_RX); both 0 while not retrieved. */
  responseFragments: number;
  deliveredFragments: number;
}

export interface LedgerTransactionRecord {
  handle: string;
  op: SendOp;
  /** The descriptor as sent (constituents received so far). */
  tx: TransactionRecord;
  missingConstituents: number;
  fragments: number;
  borrowers: BorrowerRecord[];
  /** The hypervisor's retrieve response being fetched (both 0 when none). */
  hypervisorResponse: { responseFragments: number; deliveredFragments: number };
}

export interface MemoryLedgerState {
  version: 1;
  nextHandleIndex: number;
  regions: OwnedRegionRecord[];
  pages: Record<string, PageRecord>;
  transactions: LedgerTransactionRecord[];
}

const SCHEMA: RecordSchema = { name: 'memory ledger state', version: 1 };

export type PageAccess = 'none' | 'ro' | 'rw';

/** A record type with every field, at every depth, read-only. */
export type DeepReadonly<T> = T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

export interface SendOutcome {
  handle: bigint;
  /** False while fragments are outstanding (answer FFA_MEM_FRAG_RX). */
  complete: boolean;
  /** Descriptor bytes received so far (FFA_MEM_FRAG_RX's fragment offset). */
  receivedLength: number;
}

export interface FragRxOutcome {
  /** The response fragment to deliver now (1 for the second). */
  fragmentIndex: number;
  /** The last fragment: the retrieve is complete. */
  complete: boolean;
}

export interface SentTransaction {
  handle: bigint;
  op: SendOp;
  sent: MemoryTransaction;
}

export interface RetrieveOutcome extends SentTransaction {
  /** What the borrower was granted. */
  permissions: MemoryAccessPermissions;
}

/** A transaction as the ABI layer reads it (memoryAbi.ts): to build retrieve
 *  responses, find whom a Normal-world call acts for, and prepare Stage-2 changes. */
export interface TransactionInfo extends SentTransaction {
  /** All fragments sent (FFA_MEM_FRAG_TX done). */
  complete: boolean;
  borrowers: readonly {
    id: number;
    /** Null while not retrieved. */
    granted: MemoryAccessPermissions | null;
    responseFragments: number;
    deliveredFragments: number;
  }[];
  hypervisorResponse: { responseFragments: number; deliveredFragments: number };
}

export interface ReleaseOutcome {
  constituents: Constituent[];
  /** The memory must be zeroed (a borrower asked at retrieve, or the reclaimer asks). */
  clear: boolean;
}

const pageKey = (address: bigint): string => hex64(address);

function* pagesOf(constituents: readonly Constituent[]): Generator<bigint> {
  for (const c of constituents) for (let i = 0; i < c.pageCount; i++) yield c.address + BigInt(i) * PAGE;
}

/** `tx` and everything in it, read-only from now on. */
function freezeTransaction(tx: MemoryTransaction): MemoryTransaction {
  for (const r of tx.receivers) {
    Object.freeze(r.permissions);
    Object.freeze(r.impdef);
    Object.freeze(r);
  }
  Object.freeze(tx.receivers);
  if (tx.composite) {
    for (const k of tx.composite.constituents) Object.freeze(k);
    Object.freeze(tx.composite.constituents);
    Object.freeze(tx.composite);
  }
  Object.freeze(tx.attributes);
  return Object.freeze(tx);
}

const regionBounds = (r: OwnedRegionRecord): { base: bigint; end: bigint; owner: number } => ({ base: BigInt(r.base), end: BigInt(r.base) + BigInt(r.pageCount) * PAGE, owner: r.owner });

export class MemoryLedger {
  private st: MemoryLedgerState = { version: 1, nextHandleIndex: 1, regions: [], pages: {}, transactions: [] };
  /** The regions' bounds, parsed once (derived from st.regions, rebuilt when they change; not state). */
  private bounds: { base: bigint; end: bigint; owner: number }[] = [];
  /** Each transaction record decoded once (records are replaced, never changed in place), frozen
   *  since callers share it: a derived cache, not state. */
  private decoded = new WeakMap<TransactionRecord, MemoryTransaction>();
  /** Live transactions by handle, for the list and length it was made from (a derived cache, not state). */
  private byHandle: { list: readonly LedgerTransactionRecord[] | null; length: number; index: Map<string, LedgerTransactionRecord> } = { list: null, length: 0, index: new Map() };
  /** Writes to `st` so far (not state: the fuzzer's cheap test that a refused call wrote nothing). */
  private writes = 0;

  /** @param allocator who allocates its handles: the SPMC (bit 63 clear), or the
   *  NS hypervisor keeping its own ledger of VM-to-VM transactions (bit 63 set).
   *  @param mutation test only: a planted defect (core/mutations.ts) for `hvrr fuzz ffa`; '' for none. */
  constructor(private readonly allocator: HandleAllocator = 'spmc', readonly mutation: MutationName | '' = '') {}

  getState(): MemoryLedgerState {
    return structuredClone(this.st);
  }

  /** How many times the state was written since construction: every write counts, even of a value
   *  already there, so a call that leaves it unchanged changed nothing (not saved with the state). */
  changes(): number {
    return this.writes;
  }

  /** The live state record, not a copy (a checker reading it after every call, where
   *  getState's deep copy would cost more than the call): read it, never change or keep it. */
  peekState(): DeepReadonly<MemoryLedgerState> {
    return this.st;
  }

  setState(record: MemoryLedgerState): void {
    const upgraded = upgradeRecord<MemoryLedgerState>(SCHEMA, record);
    checkLedgerRecord(upgraded);
    this.st = structuredClone(upgraded);
    this.bounds = this.st.regions.map(regionBounds);
    this.writes++;
  }

  /** Boot configuration: `owner` owns `pageCount` pages at `base`. Overlaps are a configuration error. */
  declareRegion(owner: number, base: bigint, pageCount: number): void {
    if (base % PAGE !== 0n || !Number.isInteger(pageCount) || pageCount < 1) throw new Error(`memory region ${hex64(base)} x ${pageCount} pages: want an aligned, non-empty region`);
    const end = base + BigInt(pageCount) * PAGE;
    for (const r of this.st.regions) {
      const b = BigInt(r.base);
      if (base < b + BigInt(r.pageCount) * PAGE && b < end) throw new Error(`memory region ${hex64(base)} overlaps ${r.base} (owner ${endpointText(r.owner)})`);
    }
    this.st.regions.push({ base: hex64(base), pageCount, owner });
    this.bounds.push(regionBounds(this.st.regions.at(-1)!));
    this.writes++;
  }

  /** The page's owner, or null for memory no region declares. */
  ownerOf(address: bigint): number | null {
    const page = this.st.pages[pageKey(address - (address % PAGE))];
    return page ? page.owner : this.regionOwner(address);
  }

  /** What `endpoint` may do with the page at `address`, by the ledger. */
  accessOf(endpoint: number, address: bigint): PageAccess {
    const page = this.st.pages[pageKey(address - (address % PAGE))];
    const owner = page ? page.owner : this.regionOwner(address);
    if (owner === null) return 'none';
    const t = page && page.handle !== null ? this.find(page.handle) : undefined;
    const b = t?.borrowers.find((x) => x.id === endpoint);
    if (b && b.granted !== null) return decodePermissions(b.granted).dataAccess === FFA_DATA_ACCESS_RO ? 'ro' : 'rw';
    // The owner keeps its access to memory it shares, not to memory it lends or donates.
    return owner === endpoint && (!t || t.op === 'share') ? 'rw' : 'none';
  }

  /** Live handles, in allocation order. */
  handles(): bigint[] {
    return this.st.transactions.map((t) => BigInt(t.handle));
  }

  /** A live transaction's state (a copy), or null for an unknown handle. */
  transactionInfo(handle: bigint): TransactionInfo | null {
    const t = this.find(hex64(handle));
    if (!t) return null;
    return {
      handle, op: t.op, sent: this.sentOf(t.tx), complete: t.missingConstituents === 0,
      borrowers: t.borrowers.map((b) => ({ id: b.id, granted: b.granted === null ? null : decodePermissions(b.granted), responseFragments: b.responseFragments, deliveredFragments: b.deliveredFragments })),
      hypervisorResponse: { ...t.hypervisorResponse },
    };
  }

  /** Constituents a fragmented send still expects (0 once complete), or null for an unknown handle. */
  missingConstituents(handle: bigint): number | null {
    return this.find(hex64(handle))?.missingConstituents ?? null;
  }

  /**
   * FFA_MEM_SHARE/LEND/DONATE from `caller`: `tx` is the decoded first
   * fragment (core/ffa decodeTransaction), `missingConstituents` what the
   * decoder says is still to come.
   */
  send(op: SendOp, caller: number, tx: MemoryTransaction, missingConstituents = 0): Checked<SendOutcome> {
    // Validate.
    const checked = checkSend(tx, op, { callerId: caller });
    if (!checked.ok) return checked;
    const stored = checked.value;
    // The decoder refuses a borrower named twice; a transaction built in code must not slip one past.
    const twice = stored.receivers.find((r, i) => stored.receivers.findIndex((x) => x.receiver === r.receiver) !== i);
    if (twice) return reject(INVALID_PARAMETERS, `${endpointText(twice.receiver)} is named twice as a borrower`);
    if (stored.receivers.length > LEDGER_MAX_RECEIVERS) return reject(NO_MEMORY, `${stored.receivers.length} borrowers: at most ${LEDGER_MAX_RECEIVERS} per transaction`);
    const constituents = stored.composite?.constituents ?? [];
    const set = missingConstituents === 0 ? checkConstituentSet(stored.composite?.pageCount ?? 0, constituents) : this.checkPartialSet(constituents);
    if (!set.ok) return set;
    // Prepare.
    if (this.st.transactions.length >= LEDGER_MAX_TRANSACTIONS) return reject(NO_MEMORY, `the share table is full (${LEDGER_MAX_TRANSACTIONS} transactions)`);
    const handle = makeHandle(this.st.nextHandleIndex, this.allocator);
    const record: LedgerTransactionRecord = {
      handle: hex64(handle), op, tx: transactionToRecord({ ...stored, handle }), missingConstituents, fragments: 1,
      borrowers: stored.receivers.map((r) => ({ id: r.receiver, granted: null, clearOnRelinquish: false, responseFragments: 0, deliveredFragments: 0 })),
      hypervisorResponse: { responseFragments: 0, deliveredFragments: 0 },
    };
    if (missingConstituents === 0) {
      // Check the transition, then commit.
      const transition = this.checkSendTransition(stored.sender, constituents);
      if (!transition.ok) {
        // Planted defect (core/mutations.ts): the pages checked before the refusal stay marked.
        if (this.mutation === 'ownership-not-restored-on-failed-share') this.markCheckedPrefix(stored.sender, constituents, record.handle);
        return transition;
      }
      this.st.nextHandleIndex++;
      this.st.transactions.push(record);
      this.writes++;
      this.markPages(constituents, record.handle);
      return accept({ handle, complete: true, receivedLength: transactionLength(stored) });
    }
    this.st.nextHandleIndex++;
    this.st.transactions.push(record);
    this.writes++;
    return accept({ handle, complete: false, receivedLength: transactionLength(stored) });
  }

  /** FFA_MEM_FRAG_TX: the next fragment (whole constituents) of a send in progress. */
  fragTx(caller: number, handle: bigint, fragment: Uint8Array): Checked<SendOutcome> {
    const t = this.find(hex64(handle));
    if (!t) return reject(INVALID_PARAMETERS, `FRAG_TX: no transaction with handle ${handleText(handle)}`);
    if (t.missingConstituents === 0) return reject(INVALID_PARAMETERS, `FRAG_TX: ${handleText(handle)} is already complete`);
    if (t.tx.sender !== caller) return reject(INVALID_PARAMETERS, `FRAG_TX: ${endpointText(caller)} is not the sender of ${handleText(handle)}`);
    const sent = this.sentOf(t.tx);
    const before = sent.composite!.constituents;
    const abandon = <T>(r: Checked<T>): Checked<T> => {
      this.st.transactions = this.st.transactions.filter((x) => x !== t);
      this.writes++;
      return r;
    };
    if (t.fragments >= LEDGER_MAX_FRAGMENTS) return abandon(reject(NO_MEMORY, `${handleText(handle)}: more than ${LEDGER_MAX_FRAGMENTS} fragments`));
    const decoded = decodeConstituentFragment(fragment, t.missingConstituents, before.length);
    if (!decoded.ok) return abandon(decoded);
    const constituents = [...before, ...decoded.value];
    const missing = t.missingConstituents - decoded.value.length;
    const set = missing === 0 ? checkConstituentSet(sent.composite!.pageCount, constituents) : this.checkPartialSet(constituents);
    if (!set.ok) return abandon(set);
    if (missing === 0) {
      const transition = this.checkSendTransition(sent.sender, constituents);
      if (!transition.ok) return abandon(transition);
      this.markPages(constituents, t.handle);
    }
    const now: MemoryTransaction = { ...sent, composite: { pageCount: sent.composite!.pageCount, constituents } };
    t.tx = transactionToRecord(now);
    // `now` is what decoding the new record gives (the decoded `sent` plus decoded constituents, same shapes):
    // no need to decode every constituent back from hex at the next sentOf.
    this.decoded.set(t.tx, freezeTransaction(now));
    t.missingConstituents = missing;
    t.fragments++;
    this.writes++;
    return accept({ handle, complete: missing === 0, receivedLength: transactionLength(now) });
  }

  /** FFA_MEM_RETRIEVE_REQ from a borrower; `request` decoded with the caller's
   *  `version`. The access is granted now; a response too large for the
   *  borrower's RX buffer goes out in `responseFragments` fragments, the rest
   *  fetched with FFA_MEM_FRAG_RX (fragRx). */
  retrieve(caller: number, request: MemoryTransaction, version: number, responseFragments = 1, ctx: RetrieveContext = {}): Checked<RetrieveOutcome> {
    const own = checkRetrieveRequest(request, version);
    if (!own.ok) return own;
    const t = this.lookupComplete(request.handle, 'retrieve');
    if (!t.ok) return t;
    const sent = this.sentOf(t.value.tx);
    const grant = checkRetrieveAgainstSent(request, sent, t.value.op, caller, ctx);
    if (!grant.ok) return grant;
    const borrower = t.value.borrowers[grant.value.receiverIndex];
    if (!borrower) return reject(INVALID_PARAMETERS, `${endpointText(caller)} is not a borrower of ${handleText(request.handle)}`);
    // Hafnium finds the pages already mapped for this borrower: DENIED.
    if (borrower.granted !== null) return reject(DENIED, `${endpointText(caller)} already retrieved ${handleText(request.handle)}`);
    if (!Number.isInteger(responseFragments) || responseFragments < 1) throw new Error(`retrieve: ${responseFragments} response fragments`);
    // Commit.
    if (t.value.op === 'donate') {
      // Ownership moves to the borrower now; the handle goes when the response is complete (irrevocable).
      for (const p of pagesOf(sent.composite!.constituents)) this.st.pages[pageKey(p)] = { owner: caller, handle: t.value.handle };
    }
    this.writes++;
    borrower.granted = encodePermissions(grant.value.permissions);
    borrower.clearOnRelinquish = grant.value.clearOnRelinquish;
    borrower.responseFragments = responseFragments;
    borrower.deliveredFragments = 1;
    this.completeRetrieve(t.value, borrower);
    return accept({ handle: request.handle, op: t.value.op, sent, permissions: grant.value.permissions });
  }

  /** FFA_MEM_FRAG_RX from a borrower, or (`hypervisor`, by default for the
   *  hypervisor's ID) the next fragment of the hypervisor's retrieve response.
   *  A Normal-world borrower with ID 0 (a kernel with no hypervisor) passes false. */
  fragRx(caller: number, handle: bigint, hypervisor = caller === FFA_HYPERVISOR_ID): Checked<FragRxOutcome> {
    const t = this.lookupComplete(handle, 'FRAG_RX');
    if (!t.ok) return t;
    if (hypervisor) {
      const h = t.value.hypervisorResponse;
      if (h.deliveredFragments >= h.responseFragments) return reject(INVALID_PARAMETERS, `FRAG_RX: the hypervisor has no retrieve response of ${handleText(handle)} in progress`);
      const fragmentIndex = h.deliveredFragments++;
      this.writes++;
      const complete = h.deliveredFragments === h.responseFragments;
      if (complete) Object.assign(h, { responseFragments: 0, deliveredFragments: 0 });
      return accept({ fragmentIndex, complete });
    }
    const b = t.value.borrowers.find((x) => x.id === caller);
    if (!b || b.granted === null || b.deliveredFragments >= b.responseFragments) return reject(INVALID_PARAMETERS, `FRAG_RX: ${endpointText(caller)} has no retrieve response of ${handleText(handle)} in progress`);
    const fragmentIndex = b.deliveredFragments++;
    this.writes++;
    this.completeRetrieve(t.value, b);
    return accept({ fragmentIndex, complete: b.deliveredFragments === b.responseFragments });
  }

  /** The hypervisor's retrieve request (no receivers; pKVM before a reclaim):
   *  the transaction as sent, in `responseFragments` fragments (the rest by
   *  fragRx with the hypervisor's ID). One at a time: another request while
   *  fragments are outstanding is DENIED, as Hafnium. */
  hypervisorRetrieve(handle: bigint, responseFragments = 1): Checked<SentTransaction> {
    const t = this.lookupComplete(handle, 'retrieve');
    if (!t.ok) return t;
    const sent = this.sentOf(t.value.tx);
    if (isSecureEndpoint(sent.sender)) return reject(INVALID_PARAMETERS, `${handleText(handle)} was sent by partition ${endpointText(sent.sender)}, not by a VM`);
    const h = t.value.hypervisorResponse;
    if (h.responseFragments !== 0) return reject(DENIED, `the hypervisor is still fetching ${handleText(handle)}'s retrieve response (${h.deliveredFragments} of ${h.responseFragments} fragments)`);
    if (!Number.isInteger(responseFragments) || responseFragments < 1) throw new Error(`hypervisorRetrieve: ${responseFragments} response fragments`);
    if (responseFragments > 1) {
      Object.assign(h, { responseFragments, deliveredFragments: 1 });
      this.writes++;
    }
    return accept({ handle, op: t.value.op, sent });
  }

  /** Whether `caller` may ask FFA_MEM_RELINQUISH to zero `handle`'s memory (flags bit 0, DEN0077 v1.1; Hafnium):
   *  not shared memory (its owner still has it: INVALID_PARAMETERS), not by a borrower granted read-only access,
   *  whatever was sent (it may not write the memory: DENIED). Accepted when `relinquish` itself would refuse, so
   *  its answer comes first. Writes nothing. */
  checkRelinquishClear(caller: number, handle: bigint): Checked<void> {
    const t = handleAllocator(handle) === this.allocator ? this.find(hex64(handle)) : undefined;
    const b = t?.borrowers.find((x) => x.id === caller);
    if (!t || t.missingConstituents !== 0 || !b || b.granted === null || b.deliveredFragments !== b.responseFragments) return accept(undefined);
    if (t.op === 'share') return reject(INVALID_PARAMETERS, 'shared memory cannot be zeroed on relinquish: its owner still has it');
    if (decodePermissions(b.granted).dataAccess === FFA_DATA_ACCESS_RO) return reject(DENIED, 'memory granted read-only cannot be zeroed on relinquish');
    return accept(undefined);
  }

  /** FFA_MEM_RELINQUISH by `caller` (the relinquish descriptor's one endpoint). */
  relinquish(caller: number, handle: bigint): Checked<ReleaseOutcome> {
    const t = this.lookupComplete(handle, 'relinquish');
    if (!t.ok) return t;
    const b = t.value.borrowers.find((x) => x.id === caller);
    // Planted defect (core/mutations.ts): a non-borrower's relinquish is accepted.
    if (!b && this.mutation === 'relinquish-from-non-borrower') return accept({ constituents: this.sentOf(t.value.tx).composite!.constituents, clear: false });
    if (!b) return reject(INVALID_PARAMETERS, `${endpointText(caller)} is not a borrower of ${handleText(handle)}`);
    if (b.granted === null) return reject(INVALID_PARAMETERS, `${endpointText(caller)} has not retrieved ${handleText(handle)}`);
    if (b.deliveredFragments !== b.responseFragments) return reject(INVALID_PARAMETERS, `${endpointText(caller)} has not fetched all of ${handleText(handle)}'s retrieve response (${b.deliveredFragments} of ${b.responseFragments} fragments)`);
    const clear = b.clearOnRelinquish;
    Object.assign(b, { granted: null, clearOnRelinquish: false, responseFragments: 0, deliveredFragments: 0 });
    this.writes++;
    return accept({ constituents: this.sentOf(t.value.tx).composite!.constituents, clear });
  }

  /** FFA_MEM_RECLAIM by `caller`: only the sender, only when no borrower holds the memory. */
  reclaim(caller: number, handle: bigint, clear = false): Checked<ReleaseOutcome> {
    // Planted defect (core/mutations.ts): a send still missing fragments may be reclaimed.
    const t = this.mutation === 'reclaim-before-all-fragments' ? this.lookupLive(handle, 'reclaim') : this.lookupComplete(handle, 'reclaim');
    if (!t.ok) return t;
    const sent = this.sentOf(t.value.tx);
    if (sent.sender !== caller) return reject(INVALID_PARAMETERS, `${endpointText(caller)} did not send ${handleText(handle)} (${endpointText(sent.sender)} did)`);
    if (t.value.op === 'donate') return reject(DENIED, `${handleText(handle)} is a donate: irrevocable`);
    const holding = t.value.borrowers.filter((b) => b.granted !== null).map((b) => endpointText(b.id));
    // Planted defect (core/mutations.ts): reclaim while borrowers hold the memory.
    if (holding.length > 0 && this.mutation !== 'reclaim-while-retrieved') return reject(DENIED, `${handleText(handle)} is still retrieved by ${holding.join(', ')}`);
    const constituents = sent.composite!.constituents;
    this.st.transactions = this.st.transactions.filter((x) => x !== t.value);
    this.writes++;
    for (const p of pagesOf(constituents)) this.setPage(p, this.ownerOf(p)!, null);
    return accept({ constituents, clear });
  }

  /** A donate whose borrower has the whole response is finished: the handle is freed. */
  private completeRetrieve(t: LedgerTransactionRecord, b: BorrowerRecord): void {
    if (t.op !== 'donate' || b.deliveredFragments !== b.responseFragments) return;
    this.st.transactions = this.st.transactions.filter((x) => x !== t);
    this.writes++;
    for (const p of pagesOf(this.sentOf(t.tx).composite!.constituents)) this.setPage(p, b.id, null);
  }

  /** The transaction a record holds, decoded (transactionFromRecord) at most once per record. */
  private sentOf(record: TransactionRecord): MemoryTransaction {
    let tx = this.decoded.get(record);
    if (!tx) this.decoded.set(record, (tx = freezeTransaction(transactionFromRecord(record))));
    return tx;
  }

  private find(handle: string): LedgerTransactionRecord | undefined {
    const list = this.st.transactions;
    // The list only grows by push or is replaced (filter, setState), and a record's handle never changes.
    if (this.byHandle.list !== list || this.byHandle.length !== list.length) {
      const index = new Map<string, LedgerTransactionRecord>();
      for (const t of list) if (!index.has(t.handle)) index.set(t.handle, t);
      this.byHandle = { list, length: list.length, index };
    }
    return this.byHandle.index.get(handle);
  }

  private lookupLive(handle: bigint, what: string): Checked<LedgerTransactionRecord> {
    if (handleAllocator(handle) !== this.allocator) return reject(INVALID_PARAMETERS, `${what}: ${handleText(handle)} was allocated by the ${handleAllocator(handle) === 'spmc' ? 'SPMC' : 'hypervisor'}`);
    const t = this.find(hex64(handle));
    return t ? accept(t) : reject(INVALID_PARAMETERS, `${what}: no transaction with handle ${handleText(handle)}`);
  }

  private lookupComplete(handle: bigint, what: string): Checked<LedgerTransactionRecord> {
    const live = this.lookupLive(handle, what);
    if (!live.ok) return live;
    const t = live.value;
    if (t.missingConstituents !== 0) return reject(INVALID_PARAMETERS, `${what}: ${handleText(handle)} is still being sent (${t.missingConstituents} constituents missing)`);
    return accept(t);
  }

  private regionOwner(address: bigint): number | null {
    for (const r of this.bounds) if (address >= r.base && address < r.end) return r.owner;
    return null;
  }

  /** Constituents of an incomplete send: each valid and no two overlapping (the page total is checked at the end). */
  private checkPartialSet(constituents: readonly Constituent[]): Checked<void> {
    const pages = constituents.reduce((n, c) => n + c.pageCount, 0);
    return checkConstituentSet(pages, constituents);
  }

  /** Every page owned by the sender and in no other transaction (Hafnium ffa_send_check_transition).
   *  Public so the ABI layer can check before it prepares page tables for a range: a refusal
   *  costs one page, an acceptance is bounded by the memory the sender owns. */
  checkSendTransition(sender: number, constituents: readonly Constituent[]): Checked<void> {
    for (const p of pagesOf(constituents)) {
      const key = pageKey(p);
      const page = this.st.pages[key];
      const owner = page ? page.owner : this.regionOwner(p);
      if (owner !== sender && !(owner === NORMAL_WORLD_OWNER && !isSecureEndpoint(sender))) return reject(DENIED, `page ${key} is ${owner === null ? 'not memory any endpoint owns' : `owned by ${endpointText(owner)}`}, not the sender ${endpointText(sender)}`);
      // Planted defect (core/mutations.ts): a page already in a transaction may join another.
      if (page?.handle && this.mutation !== 'overlap-check-skipped') return reject(DENIED, `page ${key} is already in transaction ${page.handle}`);
    }
    return accept(undefined);
  }

  /** Planted defect only (ownership-not-restored-on-failed-share): marks the pages the transition check passed before refusing. */
  private markCheckedPrefix(sender: number, constituents: readonly Constituent[], handle: string): void {
    for (const p of pagesOf(constituents)) {
      if (!this.checkSendTransition(sender, [{ address: p, pageCount: 1 }]).ok) return;
      this.setPage(p, this.ownerOf(p)!, handle);
    }
  }

  /** The pages join transaction `handle`; each keeps its owner (the sender, or the Normal world for memory it sends). */
  private markPages(constituents: readonly Constituent[], handle: string): void {
    for (const p of pagesOf(constituents)) this.setPage(p, this.ownerOf(p)!, handle);
  }

  /** Records a page's state; a page back in its region's default state loses its entry. */
  private setPage(address: bigint, owner: number, handle: string | null): void {
    const key = pageKey(address);
    this.writes++;
    if (handle === null && this.regionOwner(address) === owner) delete this.st.pages[key];
    else this.st.pages[key] = { owner, handle };
  }
}

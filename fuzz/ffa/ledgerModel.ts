// The part of the FF-A fuzzers' models that is MemoryLedger's alone (DEN0077
// v1.1 chapter 10 and the choices core/spmc/memoryLedger.ts documents),
// whoever drives the ledger: per page its owner and the transaction holding
// it; per handle the operation, sender, receivers and the access sent, the
// constituents received and still to come, and per borrower what it was
// granted and how much of its retrieve response it has fetched; handles
// counting up, never reused. `hvrr fuzz ffa` (model.ts: the SPMC's ABIs)
// and `hvrr fuzz ffa --vm` (../ffaVm/model.ts: the hypervisor's VM-to-VM
// proxy) add the checks of the layer in front of the ledger.
import { DENIED, INVALID_PARAMETERS } from '../../core/ffa/errors.js';
import { isSecureEndpoint } from '../../core/ffa/endpoints.js';
import { makeHandle, type HandleAllocator } from '../../core/ffa/memory/handle.js';
import { FFA_PAGE_SIZE } from '../../core/ffa/memory/layout.js';
import type { SendOp } from '../../core/ffa/memory/rules.js';
import type { Constituent } from '../../core/ffa/memory/transaction.js';
import { NORMAL_WORLD_OWNER, type PageAccess } from '../../core/spmc/memoryLedger.js';

const PAGE = BigInt(FFA_PAGE_SIZE);

export interface ModelBorrower {
  id: number;
  granted: 'ro' | 'rw' | null;
  /** Response bytes: total, and fetched so far (both 0 while not retrieved). */
  total: number;
  fetched: number;
}

export interface ModelTx {
  handle: bigint;
  op: SendOp;
  sender: number;
  receivers: number[];
  /** The data access sent to every receiver (none: a donate's, unspecified). */
  access: PageAccess;
  received: Constituent[];
  /** Constituents the sender has still to send (FFA_MEM_FRAG_TX). */
  pending: Constituent[];
  fragments: number;
  borrowers: ModelBorrower[];
}

export interface ModelPage {
  owner: number | null;
  handle: bigint | null;
}

/** What a call must answer: success (code null) or an FF-A error; `abandons` a
 *  refused FRAG_TX that frees its incomplete send (Hafnium frees the share state). */
export interface Expect {
  code: number | null;
  abandons?: bigint;
  why: string;
}

export const ok = (why: string): Expect => ({ code: null, why });
export const fail = (code: number, why: string, abandons?: bigint): Expect => ({ code, why, ...(abandons !== undefined ? { abandons } : {}) });

export function* pagesOf(ranges: readonly Constituent[]): Generator<bigint> {
  for (const c of ranges) for (let i = 0; i < c.pageCount; i++) yield c.address + BigInt(i) * PAGE;
}

export function overlaps(ranges: readonly Constituent[]): boolean {
  const s = [...ranges].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  for (let i = 1; i < s.length; i++) if (s[i - 1]!.address + BigInt(s[i - 1]!.pageCount) * PAGE > s[i]!.address) return true;
  return false;
}

export const totalPages = (ranges: readonly Constituent[]): number => ranges.reduce((n, k) => n + k.pageCount, 0);

export interface SendSpec {
  caller: number;
  op: SendOp;
  sender: number;
  receivers: number[];
  access: 'ro' | 'rw';
  ranges: Constituent[];
  /** Constituents in the first fragment (the rest follow by FFA_MEM_FRAG_TX). */
  firstCount: number;
  clear: boolean;
  nonZeroHandle: boolean;
  /** A defect the decoder refuses (reserved field, bad layout, ...), or null. */
  decodeDefect: string | null;
}

export interface RetrieveSpec {
  caller: number;
  handle: bigint;
  sender: number;
  receivers: number[];
  access: 'ro' | 'rw';
  instruction: 'unspecified' | 'nx' | 'x';
  type: SendOp | null;
  tag: bigint;
}

/** The ledger's refusal of a retrieve request by `borrower` of the complete transaction `t`
 *  (core/ffa checkRetrieveAgainstSent, then the ledger's own checks, in their order), or null. */
export function retrieveRefusal(t: ModelTx, r: RetrieveSpec, borrower: number): Expect | null {
  if (r.sender !== t.sender) return fail(DENIED, 'the request names another sender');
  if (r.type !== null && r.type !== t.op) return fail(INVALID_PARAMETERS, 'the request names another transaction type');
  if (r.tag !== 0n) return fail(INVALID_PARAMETERS, 'the tag differs');
  const b = t.borrowers.find((x) => x.id === borrower);
  if (!b) return fail(INVALID_PARAMETERS, 'not a borrower');
  if (r.receivers.length !== t.receivers.length) return fail(INVALID_PARAMETERS, 'the request lists another number of borrowers');
  const exclusive = t.op === 'donate' || (t.op === 'lend' && t.receivers.length === 1);
  if (t.access === 'ro' && r.access === 'rw') return fail(DENIED, 'more access than sent');
  if (!exclusive && r.instruction !== 'unspecified') return fail(INVALID_PARAMETERS, 'a shared or multi-borrower lend is never executable');
  if (exclusive && r.instruction === 'unspecified') return fail(INVALID_PARAMETERS, 'the only borrower states the instruction access');
  return null;
}

/** The ledger's records as a model keeps them, and its moves (each commit*). */
export class LedgerModel {
  readonly pages = new Map<bigint, ModelPage>();
  readonly txs = new Map<bigint, ModelTx>();
  /** Every handle answered so far, live or not (handle reuse after reclaim is tried with these). */
  readonly seen: bigint[] = [];
  nextIndex = 1;
  /** Moves made (every commit* and abandon counts one): the invariants compare handles, borrowers
   *  and page records again only when the model or the ledger moved. */
  changes = 0;
  /** Pages whose record, or a borrower's access to which, changed since the invariants last looked. */
  readonly dirty = new Set<bigint>();

  /** @param regionOwner the owner of a page in no transaction, as the ledger's regions declare it. */
  constructor(private readonly regionOwner: (address: bigint) => number | null, private readonly allocator: HandleAllocator) {}

  page(address: bigint): ModelPage {
    return this.pages.get(address) ?? { owner: this.regionOwner(address), handle: null };
  }

  /** What `endpoint` may do with the page (the owner keeps a page it shares, not one it lends or donates). */
  access(endpoint: number, address: bigint): PageAccess {
    const p = this.page(address);
    if (p.owner === null) return 'none';
    const t = p.handle === null ? undefined : this.txs.get(p.handle);
    const b = t?.borrowers.find((x) => x.id === endpoint);
    if (b?.granted) return b.granted;
    return p.owner === endpoint && (!t || t.op === 'share') ? 'rw' : 'none';
  }

  protected setPage(address: bigint, owner: number | null, handle: bigint | null): void {
    this.dirty.add(address);
    if (handle === null && this.regionOwner(address) === owner) this.pages.delete(address);
    else this.pages.set(address, { owner, handle });
  }

  /** Hafnium's send transition: every page the sender's (or the Normal world's, for a VM) and in no transaction. */
  transitionOk(sender: number, ranges: readonly Constituent[]): boolean {
    for (const a of pagesOf(ranges)) {
      const p = this.page(a);
      if (p.owner !== sender && !(p.owner === NORMAL_WORLD_OWNER && !isSecureEndpoint(sender))) return false;
      if (p.handle !== null) return false;
    }
    return true;
  }

  /** The handle the next accepted send gets (handles count up, never reused). */
  nextHandle(): bigint {
    return makeHandle(this.nextIndex, this.allocator);
  }

  /** An accepted send of `s` (its ranges as the ledger keeps them). */
  commitSend(s: SendSpec): bigint {
    this.changes++;
    const handle = this.nextHandle();
    this.nextIndex++;
    this.seen.push(handle);
    const t: ModelTx = {
      handle, op: s.op, sender: s.sender, receivers: [...s.receivers], access: s.op === 'donate' ? 'none' : s.access,
      received: s.ranges.slice(0, s.firstCount), pending: s.ranges.slice(s.firstCount), fragments: 1,
      borrowers: s.receivers.map((id) => ({ id, granted: null, total: 0, fetched: 0 })),
    };
    this.txs.set(handle, t);
    if (t.pending.length === 0) for (const a of pagesOf(t.received)) this.setPage(a, this.page(a).owner, handle);
    return handle;
  }

  commitFragTx(handle: bigint, more: readonly Constituent[]): void {
    this.changes++;
    const t = this.txs.get(handle)!;
    t.received = [...t.received, ...more];
    t.pending = t.pending.slice(more.length);
    t.fragments++;
    if (t.pending.length === 0) for (const a of pagesOf(t.received)) this.setPage(a, this.page(a).owner, handle);
  }

  abandon(handle: bigint): void {
    this.changes++;
    this.txs.delete(handle);
  }

  /** A successful retrieve by `borrower`: `totalBytes` the response's length, `firstBytes` the first fragment's. */
  grant(handle: bigint, borrower: number, access: 'ro' | 'rw', totalBytes: number, firstBytes: number): void {
    this.changes++;
    const t = this.txs.get(handle)!;
    const b = t.borrowers.find((x) => x.id === borrower)!;
    Object.assign(b, { granted: access, total: totalBytes, fetched: firstBytes });
    for (const a of pagesOf(t.received)) this.dirty.add(a);
    if (t.op === 'donate') {
      for (const a of pagesOf(t.received)) this.setPage(a, borrower, handle);
      this.finishDonate(t, b);
    }
  }

  /** The next `bytes` of `who`'s retrieve response fetched (FFA_MEM_FRAG_RX). */
  fetch(handle: bigint, who: ModelBorrower, bytes: number): void {
    this.changes++;
    who.fetched += bytes;
    this.finishDonate(this.txs.get(handle)!, who);
  }

  /** A donate's borrower with its whole response owns the pages; the handle is gone (irrevocable). */
  private finishDonate(t: ModelTx, b: ModelBorrower): void {
    if (t.op !== 'donate' || b.fetched < b.total) return;
    this.txs.delete(t.handle);
    for (const a of pagesOf(t.received)) this.setPage(a, b.id, null);
  }

  commitRelinquish(endpoint: number, handle: bigint): void {
    this.changes++;
    const t = this.txs.get(handle)!;
    const b = t.borrowers.find((x) => x.id === endpoint)!;
    Object.assign(b, { granted: null, total: 0, fetched: 0 });
    for (const a of pagesOf(t.received)) this.dirty.add(a);
  }

  commitReclaim(handle: bigint): void {
    this.changes++;
    const t = this.txs.get(handle)!;
    this.txs.delete(handle);
    for (const a of pagesOf(t.received)) this.setPage(a, this.page(a).owner, null);
  }
}

// `hvrr fuzz ffa-machine`'s command lists and model. A case is a list of
// raw FF-A memory-sharing commands among one VM (under the hypervisor's
// FF-A proxy) and two test partitions (under the SPMC); compile() walks it
// through the model, which resolves each command's handle (handles count up
// from the SPMC's allocator, never reused: DEN0077 v1.1 §5.10.2), says what
// the call must answer (success or the FF-A error code, DEN0077 chapter 10
// and the choices core/spmc/memoryLedger.ts documents, as fuzz/ffa/model.ts
// does at module level) and how pages and grants move. The result is a list
// of concrete steps (the guest code is generated from it, guest.ts) with the
// model's state after each (the checks compare the machine with it).
//
// The module-level model (fuzz/ffa/model.ts) is tied to its machine-free
// world's page map and checks every error path of the SPMC's ABI; this one
// has the real machine's pages and the calls real guests make, through the
// hypervisor (VM sends to partitions, the hypervisor's retrieve request on
// a VM's reclaim) as well as between partitions.
import fc from 'fast-check';
import { DENIED, INVALID_PARAMETERS } from '../../core/ffa/errors.js';
import { FFA_VERSION_1_2 } from '../../core/ffa/functionIds.js';
import { fragmentLengths } from '../../core/ffa/memory/fragments.js';
import { makeHandle } from '../../core/ffa/memory/handle.js';
import { CONSTITUENT_SIZE, FFA_PAGE_SIZE, layoutOfVersion } from '../../core/ffa/memory/layout.js';
import { buildRetrieveResponse } from '../../core/ffa/memory/retrieve.js';
import type { SendOp } from '../../core/ffa/memory/rules.js';
import { encodeTransaction, type MemoryTransaction } from '../../core/ffa/memory/transaction.js';
import { sendTx } from '../../core/spmc/ledgerTesting.js';

/** The endpoints: the VM (FF-A ID 1) and two test partitions (0x8004, 0x8005: the bundled partitions have 0x8001-0x8003). */
export const VM_ID = 1;
export const SP_IDS = [0x8004, 0x8005] as const;
export const ENDPOINT_IDS = [VM_ID, ...SP_IDS] as const;
/** Steps one partition makes at most (its image holds that many command-10 records, guest.ts). */
export const SP_MAX_STEPS = 32;
/** Pages each endpoint may send: the VM's four area pages, each partition's two. */
export const PAGES_OF = [4, 2, 2] as const;
/** The VM's bulk region: pages 4.. of home 0, sent whole one constituent per page (a descriptor and a retrieve response
 *  larger than a 4 KiB buffer: the send goes in FFA_MEM_FRAG_TX fragments, a partition's retrieve in FFA_MEM_FRAG_RX). */
export const BULK_FIRST_PAGE = 4;
export const BULK_PAGES = 256;

export type Access = 'ro' | 'rw' | 'none';

/** A page by its owner at the start (endpoint index) and its index among that owner's pages. */
export interface PageRef {
  home: number;
  page: number;
}

/** A raw command: endpoints by index (0 the VM, 1-2 the partitions), handles by index into those seen. */
export type MachineCmd =
  /** `split`: a partition's two-page send goes in two fragments (the last constituent by FFA_MEM_FRAG_TX). */
  /** `early`: between a split send's two fragments its sender tries to reclaim it (refused: still being sent). */
  /** `bulk`: the VM sends its bulk region (BULK_PAGES single-page constituents), always in fragments. */
  | { k: 'send'; by: number; op: SendOp; to: number[]; access: 'ro' | 'rw'; pages: PageRef[]; split?: boolean; early?: boolean; w32?: boolean; bulk?: boolean }
  /** `bad`: a response in fragments is first asked for at a wrong FFA_MEM_FRAG_RX offset (1: 0, 2: 16 short, 3: 16 past). */
  | { k: 'retrieve'; by: number; h: number; w32?: boolean; bad?: number }
  | { k: 'relinquish'; by: number; h: number }
  | { k: 'reclaim'; by: number; h: number };

/** A concrete call: who makes it, what it is, and what the model says it answers. */
export interface Step {
  /** Endpoint index of the caller. */
  by: number;
  /** A split send is a 'send' with `first` set (answered FFA_MEM_FRAG_RX), then a 'frag-tx' with its last constituent. */
  call: 'send' | 'frag-tx' | 'retrieve' | 'frag-rx' | 'rx-release' | 'relinquish' | 'reclaim';
  first?: boolean;
  /** frag-rx: the offset asked for (answered with the next fragment only where the previous one ended). */
  offset?: number;
  /** The SMC32 function ID (FFA_MEM_SHARE_32, FFA_MEM_RETRIEVE_REQ_32...) instead of the SMC64 one. */
  w32?: boolean;
  op: SendOp;
  handle: bigint;
  /** The transaction's sender (ID; the caller's own when there is no such transaction). */
  sender: number;
  /** send: the receivers' IDs and pages; retrieve: the transaction's receivers. */
  receivers: number[];
  access: 'ro' | 'rw';
  pages: PageRef[];
  /** A VM's granted retrieve: it then reads its pages and, granted RW, writes a mark in each (checked at the next stop). */
  touch?: 'ro' | 'rw';
  /** null: success (a send's handle is `handle`); else the FF-A error code. */
  expect: number | null;
  why: string;
}

export interface ModelTx {
  handle: bigint;
  op: SendOp;
  sender: number;
  receivers: number[];
  access: 'ro' | 'rw';
  pages: PageRef[];
  /** Receivers (IDs) holding the memory, with what they were granted. */
  held: Map<number, 'ro' | 'rw'>;
}

/** The model's state: every page's owner (endpoint ID) and transaction, the live transactions. */
export interface ModelState {
  owners: Map<string, number>;
  inTx: Map<string, bigint>;
  txs: Map<bigint, ModelTx>;
  /** The VM's donates a partition has retrieved, with the pages still away: the hypervisor keeps their record (spShares)
   *  until a partition donates the pages back (core/hypervisor/ffa/spBorrow.ts: then they are the VM's as before). */
  donatedByVm: Array<{ handle: bigint; pages: string[] }>;
  /** Pages of a VM send still in fragments that the proxy marked (the first fragment's): the SPMC's ledger has them
   *  in no transaction until the send completes, the VM's Stage 2 has them as sent. */
  marked: Map<string, bigint>;
}

export const pageKey = (p: PageRef): string => `${p.home}:${p.page}`;

/** The pages the generic sends name: the VM's area pages and the partitions'. */
export function areaPages(): PageRef[] {
  return PAGES_OF.flatMap((n, home) => Array.from({ length: n }, (_, page) => ({ home, page })));
}

export function bulkPages(): PageRef[] {
  return Array.from({ length: BULK_PAGES }, (_, i) => ({ home: 0, page: BULK_FIRST_PAGE + i }));
}

/** Every page in play: the area pages and the bulk region. */
export function allPages(): PageRef[] {
  return [...areaPages(), ...bulkPages()];
}

/** A send's descriptor as the guests write it (the sender's addresses by `address`). */
export function sendDescriptor(op: SendOp, sender: number, receivers: readonly number[], pages: readonly PageRef[], access: 'ro' | 'rw', address: (p: PageRef) => bigint): MemoryTransaction {
  return sendTx(op, sender, receivers, pages.map((p) => ({ address: address(p), pageCount: 1 })), access);
}

/** The bytes of a split send's first fragment: what fits a 4 KiB TX buffer, at least its last constituent short. */
export function firstFragmentBytes(tx: MemoryTransaction): number {
  const total = encodeTransaction(tx).length;
  const lengths = fragmentLengths(tx, total, FFA_PAGE_SIZE);
  return Math.min(total - CONSTITUENT_SIZE, lengths.ok ? lengths.value[0]! : total);
}

/** The fragment lengths of the retrieve response borrower `by` gets of `t` (core/spmc/memoryAbi.ts: its own access
 *  descriptor, in its version's layout, in fragments of one FF-A page). */
export function responseLengths(t: ModelTx, by: number): number[] {
  const sent = sendDescriptor(t.op, t.sender, t.receivers, t.pages, t.access, () => 0x4000_0000n);
  const tx = buildRetrieveResponse({ sent, op: t.op, handle: t.handle, layout: layoutOfVersion(FFA_VERSION_1_2), receivers: sent.receivers.filter((r) => r.receiver === by), nonSecure: by !== VM_ID });
  const total = encodeTransaction(tx).length;
  const lengths = fragmentLengths(tx, total, FFA_PAGE_SIZE);
  return lengths.ok ? lengths.value : [total];
}

/** What endpoint `id` may do with page `p` in state `s` (the owner keeps a page it shares, not one it lends or donates). */
export function accessOf(s: ModelState, id: number, p: PageRef): Access {
  const key = pageKey(p);
  const h = s.inTx.get(key) ?? s.marked.get(key);
  const t = h === undefined ? undefined : s.txs.get(h);
  const held = t?.held.get(id);
  if (held) return held;
  return s.owners.get(key) === id && (!t || t.op === 'share') ? 'rw' : 'none';
}

function copyState(s: ModelState): ModelState {
  return {
    owners: new Map(s.owners),
    inTx: new Map(s.inTx),
    txs: new Map([...s.txs].map(([h, t]) => [h, { ...t, held: new Map(t.held) }])),
    donatedByVm: s.donatedByVm.map((d) => ({ ...d, pages: [...d.pages] })),
    marked: new Map(s.marked),
  };
}

export function initialState(): ModelState {
  return { owners: new Map(allPages().map((p) => [pageKey(p), ENDPOINT_IDS[p.home]!])), inTx: new Map(), txs: new Map(), donatedByVm: [], marked: new Map() };
}

/**
 * A partition's send to the VM needs Non-secure memory the partition owns: the VM donates a page, the partition
 * retrieves it, then sends it. An SP-to-VM command naming the VM's page 1 or 2 while no partition owns any of the VM's
 * pages makes the next link of that chain instead: the partition retrieves a VM donate still open to a partition, or
 * else the VM donates it a free page. (Page 3 keeps the command: a partition's own Secure pages to the VM, DENIED.)
 */
function towardSpToVm(c: MachineCmd, s: ModelState): MachineCmd {
  if (c.k !== 'send' || c.bulk || c.by === 0 || c.to[0] !== 0 || c.pages.length === 0 || c.pages[0]!.home !== 0 || c.pages[0]!.page < 1 || c.pages[0]!.page > 2) return c;
  if (areaPages().some((p) => p.home === 0 && (s.owners.get(pageKey(p)) ?? 0) >= 0x8000)) return c;
  // The retrieve command follows the part at index i of the open parts when its h is 4i + 1 (compile's `follow`).
  const parts = [...s.txs.values()].flatMap((t) => t.receivers.filter((r) => !t.held.has(r)).map((r) => [t, r] as const));
  const i = parts.findIndex(([t]) => t.sender === VM_ID && t.op === 'donate');
  if (i >= 0) return { k: 'retrieve', by: SP_IDS.indexOf(parts[i]![1] as (typeof SP_IDS)[number]) + 1, h: 4 * i + 1 };
  const free = areaPages().find((p) => p.home === 0 && p.page >= 1 && s.owners.get(pageKey(p)) === VM_ID && !s.inTx.has(pageKey(p)));
  return free ? { k: 'send', by: 0, op: 'donate', to: [c.by - 1], access: 'rw', pages: [free] } : c;
}

/** A compiled case: its steps and the model's state after each. */
export interface Compiled {
  steps: Step[];
  after: ModelState[];
}

/** Walk `cmds` through the model. */
export function compile(cmds: readonly MachineCmd[]): Compiled {
  let s = initialState();
  const seen: bigint[] = [];
  let next = 1;
  const steps: Step[] = [];
  const after: ModelState[] = [];
  const push = (step: Step, next: ModelState): void => {
    steps.push(step);
    after.push(next);
    s = next;
  };
  const pick = (h: number): bigint => (seen.length === 0 ? 0x7777n : h % 8 === 7 ? 0x7777n : seen[h % seen.length]!);
  // One command's steps; `return` ends it.
  const one = (raw: MachineCmd): void => {
    const c = towardSpToVm(raw, s);
    let by: number = ENDPOINT_IDS[c.by]!;
    const n = copyState(s);
    if (c.k === 'send') {
      // A VM names only its own pages (by IPA); a partition names partitions' pages (by PA), mostly its own (home 0),
      // and for three in four of those the VM's pages it got by donation, if it has any (Non-secure memory: it may send
      // them to the VM). A partition asked for those that has none while the other has: the other sends.
      const vmPagesOf = (id: number): PageRef[] => areaPages().filter((p) => p.home === 0 && s.owners.get(pageKey(p)) === id);
      const wantsNs = (p: PageRef): boolean => p.home === 0 && p.page >= 1;
      const other = c.by === 0 ? 0 : 3 - c.by;
      const sb = c.bulk ? 0 : c.by !== 0 && wantsNs(c.pages[0]!) && vmPagesOf(by).length === 0 && vmPagesOf(ENDPOINT_IDS[other]!).length > 0 ? other : c.by;
      by = ENDPOINT_IDS[sb]!;
      const ownVm = sb === 0 ? [] : vmPagesOf(by);
      const pages = c.bulk ? bulkPages() : [...new Map(c.pages.map((p) => (sb === 0 ? { home: 0, page: p.page % 4 } : wantsNs(p) && ownVm.length > 0 ? ownVm[p.page % ownVm.length]! : { home: p.home === 0 ? sb : p.home, page: p.page % 2 })).map((p) => [pageKey(p), p])).values()];
      // A partition's send of Non-secure pages goes to the VM when its first receiver index is 0 (SP-to-VM).
      const toVm = sb !== 0 && pages.every((p) => p.home === 0) && c.to[0] === 0;
      const receivers = toVm ? [VM_ID] : [...new Set(c.to.map((i) => SP_IDS[i % 2]!))].filter((r) => r !== by);
      if (receivers.length === 0) return;
      const to = c.op === 'donate' ? receivers.slice(0, 1) : receivers;
      const handle = makeHandle(next, 'spmc');
      const step: Step = { by: sb, call: 'send', op: c.op, handle, sender: by, receivers: to, access: c.access, pages, expect: null, why: 'sent', ...(c.w32 ? { w32: true } : {}) };
      if (pages.some((p) => s.owners.get(pageKey(p)) !== by || s.inTx.has(pageKey(p)))) {
        // A bulk send's descriptor does not fit the TX buffer whole: its first fragment is refused.
        push({ ...step, ...(c.bulk ? { first: true } : {}), expect: DENIED, why: 'a page is not the sender\'s or already in a transaction' }, n);
        return;
      }
      next++;
      seen.push(handle);
      n.txs.set(handle, { handle, op: c.op, sender: by, receivers: to, access: c.access, pages, held: new Map() });
      const split = c.bulk === true || (c.split === true && sb !== 0 && pages.length === 2);
      // A split send's first fragment: the transaction exists, its pages are not in the SPMC's ledger until the last
      // constituent arrives; the proxy marks the VM's first-fragment pages at once (core/hypervisor/ffa/spMemory.ts).
      const f = copyState(n);
      if (split && sb === 0) {
        const tx = sendDescriptor(c.op, by, to, pages, c.access, () => 0n);
        const firstCount = pages.length - (encodeTransaction(tx).length - firstFragmentBytes(tx)) / CONSTITUENT_SIZE;
        for (const p of pages.slice(0, firstCount)) f.marked.set(pageKey(p), handle);
      }
      if (split) push({ ...step, first: true, why: 'first fragment taken' }, f);
      // A transaction takes no reclaim until its last fragment arrives (core/spmc/memoryLedger.ts, lookupComplete; the
      // proxy's spMemory.ts for the VM's).
      if (split && c.early === true) push({ ...step, call: 'reclaim', expect: INVALID_PARAMETERS, why: 'the send is still in fragments' }, copyState(f));
      for (const p of pages) n.inTx.set(pageKey(p), handle);
      push(split ? { ...step, call: 'frag-tx', why: 'send complete' } : step, n);
      return;
    }
    // Mostly a transaction and an endpoint that has a part in it (a receiver that has not retrieved it, a holder, its
    // sender), as an endpoint told of it would call; else the command's caller and any handle seen, or a bogus one.
    const parts = [...s.txs.values()].flatMap((t) => (c.k === 'reclaim' ? [[t, t.sender] as const] : t.receivers.filter((r) => (c.k === 'retrieve' ? !t.held.has(r) : t.held.has(r))).map((r) => [t, r] as const)));
    // Half the time the VM's part, when it has one (a partition's send to it is rarer than the others).
    const vmParts = c.k === 'reclaim' || c.h % 2 === 1 ? [] : parts.filter(([, r]) => r === VM_ID);
    // A partition's retrieve with a `bad` offset prefers a bulk send's part (its response comes in FRAG_RX fragments).
    const bulkParts = c.k === 'retrieve' && (c.bad ?? 0) > 0 ? parts.filter(([t, r]) => r !== VM_ID && t.pages.length > PAGES_OF[0]) : [];
    const choice = vmParts.length > 0 ? vmParts : bulkParts.length > 0 ? bulkParts : parts;
    const follow = c.h % 4 !== 3 && choice.length > 0 ? choice[(c.h >> 2) % choice.length]! : null;
    const handle = follow ? follow[0].handle : pick(c.h);
    if (follow) by = follow[1];
    const byIx = ENDPOINT_IDS.indexOf(by as (typeof ENDPOINT_IDS)[number]);
    const t = s.txs.get(handle);
    const base: Step = { ...(c.k === 'retrieve' && c.w32 ? { w32: true } : {}), by: byIx, call: c.k, op: t?.op ?? 'share', handle, sender: t?.sender ?? by, receivers: t?.receivers ?? [by], access: t?.access ?? 'rw', pages: t?.pages ?? [], expect: null, why: '' };
    if (c.k === 'retrieve') {
      // The VM retrieves (through the proxy) only what a partition sent it.
      if (byIx === 0 && !follow) return;
      const e = !t ? [INVALID_PARAMETERS, 'no such transaction'] as const
        : !t.receivers.includes(by) ? [INVALID_PARAMETERS, 'not a borrower'] as const
          : t.held.has(by) ? [DENIED, 'already retrieved'] as const : null;
      if (e) {
        // A request naming the caller as the only receiver (the transaction's receivers are not its to list).
        push({ ...base, receivers: t && t.receivers.includes(by) ? t.receivers : [by], expect: e[0], why: e[1] }, n);
        return;
      }
      const nt = n.txs.get(handle)!;
      nt.held.set(by, t!.op === 'donate' ? 'rw' : t!.access);
      if (t!.op === 'donate') {
        // A donate's borrower owns the pages once it has the whole response (one fragment here); the handle is gone.
        for (const p of t!.pages) {
          n.owners.set(pageKey(p), by);
          n.inTx.delete(pageKey(p));
        }
        n.txs.delete(handle);
        if (t!.sender === VM_ID) n.donatedByVm.push({ handle, pages: t!.pages.map(pageKey) });
        // Donated back to the VM: its own again, sendable on like any page it owns; its donate's record lets go of them.
        if (by === VM_ID) {
          const back = new Set(t!.pages.map(pageKey));
          n.donatedByVm = n.donatedByVm.map((d) => ({ ...d, pages: d.pages.filter((k) => !back.has(k)) })).filter((d) => d.pages.length > 0);
        }
      }
      push({ ...base, why: 'retrieved', ...(byIx === 0 ? { touch: nt.held.get(by)! } : {}) }, n);
      push({ ...base, call: 'rx-release', why: 'the response is read' }, copyState(n));
      // A partition's response larger than its RX buffer: the rest by FFA_MEM_FRAG_RX at the offset delivered so far
      // (sometimes first at a wrong one: INVALID_PARAMETERS, DEN0077 v1.1 FFA_MEM_FRAG_RX), each fragment released.
      const lengths = byIx === 0 ? [] : responseLengths(t!, by);
      for (let i = 1, at = lengths[0]!; i < lengths.length; at += lengths[i]!, i++) {
        if (i === 1 && (c.bad ?? 0) > 0) push({ ...base, call: 'frag-rx', offset: [0, 0, at - CONSTITUENT_SIZE, at + CONSTITUENT_SIZE][c.bad!]!, expect: INVALID_PARAMETERS, why: `the offset is not ${at}, where the previous fragment ended` }, copyState(n));
        push({ ...base, call: 'frag-rx', offset: at, why: 'next fragment' }, copyState(n));
        push({ ...base, call: 'rx-release', why: 'the fragment is read' }, copyState(n));
      }
      return;
    }
    if (c.k === 'relinquish') {
      if (byIx === 0 && !follow) return;
      if (!t || !t.held.has(by)) {
        push({ ...base, expect: INVALID_PARAMETERS, why: !t ? 'no such transaction' : 'not holding it' }, n);
        return;
      }
      n.txs.get(handle)!.held.delete(by);
      push({ ...base, why: 'relinquished' }, n);
      return;
    }
    const e = !t ? [INVALID_PARAMETERS, 'no such transaction'] as const
      : t.sender !== by ? [INVALID_PARAMETERS, 'not the sender'] as const
        : t.op === 'donate' ? [DENIED, 'a donate is irrevocable'] as const
          : t.held.size > 0 ? [DENIED, 'a borrower still holds the memory'] as const : null;
    if (e) {
      push({ ...base, expect: e[0], why: e[1] }, n);
      return;
    }
    n.txs.delete(handle);
    for (const p of t!.pages) n.inTx.delete(pageKey(p));
    push({ ...base, why: 'reclaimed' }, n);
  };
  for (const raw of cmds) {
    // A command that would give a partition more steps than its image holds records for ends the case before it.
    const before = { steps: steps.length, s, next, seen: seen.length };
    one(raw);
    if (SP_IDS.every((_, i) => steps.filter((x) => x.by === i + 1).length <= SP_MAX_STEPS)) continue;
    steps.length = after.length = before.steps;
    s = before.s;
    next = before.next;
    seen.length = before.seen;
    break;
  }
  return { steps, after };
}

const endpointIx = fc.integer({ min: 0, max: 2 });
/** Mostly the sender's own page (home 0), sometimes a partition's (1, 2). */
const pageRef = fc.record({ home: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }) }), page: fc.nat(3) });
const handleIx = fc.nat(15);
const cmdArb: fc.Arbitrary<MachineCmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('send' as const), by: endpointIx, op: fc.constantFrom<SendOp>('share', 'lend', 'donate'), to: fc.array(fc.nat(1), { minLength: 1, maxLength: 2 }), access: fc.constantFrom<'ro' | 'rw'>('ro', 'rw'), pages: fc.array(pageRef, { minLength: 1, maxLength: 2 }), split: fc.boolean(), early: fc.boolean(), w32: fc.boolean() }) },
  // The VM donating a page to a partition: how a partition comes to own Non-secure memory it may send to the VM.
  { weight: 3, arbitrary: fc.record({ k: fc.constant('send' as const), by: fc.constant(0), op: fc.constant<SendOp>('donate'), to: fc.array(fc.nat(1), { minLength: 1, maxLength: 1 }), access: fc.constant<'ro' | 'rw'>('rw'), pages: fc.array(pageRef, { minLength: 1, maxLength: 2 }) }) },
  // A partition sending Non-secure memory it owns (the VM's pages it got by donation) to the VM (SP-to-VM).
  { weight: 4, arbitrary: fc.record({ k: fc.constant('send' as const), by: fc.integer({ min: 1, max: 2 }), op: fc.constantFrom<SendOp>('share', 'lend', 'donate'), to: fc.constant<number[]>([0]), access: fc.constantFrom<'ro' | 'rw'>('ro', 'rw'), pages: fc.array(fc.record({ home: fc.constant(0), page: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 2 }), split: fc.boolean(), w32: fc.boolean() }) },
  // The VM sending its bulk region to partitions (a send in FRAG_TX fragments, a retrieve response in FRAG_RX ones).
  { weight: 2, arbitrary: fc.record({ k: fc.constant('send' as const), by: fc.constant(0), op: fc.constantFrom<SendOp>('share', 'lend'), to: fc.array(fc.nat(1), { minLength: 1, maxLength: 2 }), access: fc.constantFrom<'ro' | 'rw'>('ro', 'rw'), pages: fc.constant<PageRef[]>([]), early: fc.boolean(), bulk: fc.constant(true) }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('retrieve' as const), by: fc.integer({ min: 1, max: 2 }), h: handleIx, w32: fc.boolean(), bad: fc.nat(3) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('relinquish' as const), by: fc.integer({ min: 1, max: 2 }), h: handleIx }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('reclaim' as const), by: endpointIx, h: handleIx }) },
);

/** Commands per case at most. */
export const MACHINE_MAX_COMMANDS = 16;

export function machineCmdsArb(maxCommands = MACHINE_MAX_COMMANDS): fc.Arbitrary<MachineCmd[]> {
  return fc.array(cmdArb, { minLength: 1, maxLength: maxCommands, size: 'max' });
}

const NAMES = ['VM1', 'SP 0x8004', 'SP 0x8005'];

export function stepText(s: Step): string {
  const h = `0x${s.handle.toString(16)}`;
  const who = NAMES[s.by]!;
  switch (s.call) {
    case 'send': {
      const pages = s.pages.length > 4 ? `${NAMES[0]}#${s.pages[0]!.page}..#${s.pages[s.pages.length - 1]!.page}` : s.pages.map((p) => `${NAMES[p.home]}#${p.page}`).join(' ');
      return `${who} ${s.op}${s.first ? ' (first fragment)' : ''} ${s.access} [${pages}] to ${s.receivers.map((r) => `0x${r.toString(16)}`).join('+')}`;
    }
    case 'frag-rx':
      return `${who} FRAG_RX ${h} at ${s.offset}`;
    case 'rx-release':
      return `${who} RX_RELEASE`;
    case 'frag-tx':
      return `${who} FRAG_TX ${h}`;
    default:
      return `${who} ${s.call} ${h}`;
  }
}

// The SPMC's memory-sharing ledger (core/spmc/memoryLedger.ts) against a
// small independent model, under fast-check's model-based testing
// (fc.commands + fc.modelRun): random SHARE/LEND/DONATE (whole or in
// fragments), FFA_MEM_FRAG_TX, retrieves (asking read-only or read-write,
// the response in one to three fragments) and FFA_MEM_FRAG_RX (by
// borrowers and by the hypervisor), the hypervisor's retrieve request, RELINQUISH and RECLAIM by random
// callers with random (sometimes stale or bogus) handles, and save/restore
// of the ledger's record through JSON. After every command the ledger's
// answer (success, or the FF-A error code) matches the model's, and so do
// every endpoint's access to every page and every page's owner.
// The model knows only FF-A's rules as the ledger documents them: pages
// owned by regions; a send needs pages its sender owns exclusively; a share
// leaves the owner access, a lend or donate removes it; a donate moves
// ownership at retrieve and frees its handle once the response is complete;
// a relinquish needs the whole response fetched; a reclaim needs every
// borrower to have relinquished.
// The seed and run count print first; a failure replays with
// HVRR_LEDGER_SEED=<seed> HVRR_PROP_RUNS=<n> npx vitest run property-tests/memoryLedger.property.test.ts
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DENIED, INVALID_PARAMETERS } from '../core/ffa/errors.js';
import { errorCodeOf, type Checked } from '../core/ffa/result.js';
import { FFA_HYPERVISOR_ID } from '../core/ffa/endpoints.js';
import { CONSTITUENT_SIZE } from '../core/ffa/memory/layout.js';
import { encodeTransaction, type Constituent } from '../core/ffa/memory/transaction.js';
import type { SendOp } from '../core/ffa/memory/rules.js';
import { MemoryLedger, type PageAccess } from '../core/spmc/memoryLedger.js';
import { TEST_VERSION, retrieveTx, sendTx, type DataAccess } from '../core/spmc/ledgerTesting.js';
import { suiteSeed } from './seed.js';

const RUNS = Number(process.env.HVRR_PROP_RUNS ?? 200);
const MAX_COMMANDS = 40;
const SEED = suiteSeed('memory ledger model', 'HVRR_LEDGER_SEED', 20261205, { runs: RUNS, maxCommands: MAX_COMMANDS });

// Four endpoints, each owning four pages; page 16 belongs to nobody.
const ENDPOINTS = [1, 2, 0x8001, 0x8002] as const;
const PAGES_PER_ENDPOINT = 4;
const PAGE_COUNT = ENDPOINTS.length * PAGES_PER_ENDPOINT + 1;
const BASE = 0x4000_0000n;
const address = (page: number): bigint => BASE + BigInt(page) * 0x1000n;

interface ModelTransaction {
  handle: bigint;
  op: SendOp;
  sender: number;
  receivers: number[];
  access: DataAccess;
  /** Constituents as page lists (received so far). */
  constituents: number[][];
  missing: number;
  /** Borrowers that retrieved: the access asked, response fragments in all and delivered. */
  retrieved: Map<number, { access: DataAccess; total: number; delivered: number }>;
  /** The hypervisor's retrieve response being fetched. */
  hypervisor: { total: number; delivered: number } | null;
}

interface Model {
  owner: (number | null)[];
  /** The complete transaction holding each page. */
  holder: (bigint | null)[];
  transactions: Map<bigint, ModelTransaction>;
  /** Every handle ever answered, plus bogus ones, for commands to pick from. */
  seen: bigint[];
}

interface Real {
  ledger: MemoryLedger;
}

function initialModel(): Model {
  return {
    owner: Array.from({ length: PAGE_COUNT }, (_, i) => ENDPOINTS[Math.floor(i / PAGES_PER_ENDPOINT)] ?? null),
    holder: new Array<bigint | null>(PAGE_COUNT).fill(null),
    transactions: new Map(),
    seen: [0x7777n, 1n << 63n],
  };
}

function initialReal(): Real {
  const ledger = new MemoryLedger();
  ENDPOINTS.forEach((e, i) => ledger.declareRegion(e, address(i * PAGES_PER_ENDPOINT), PAGES_PER_ENDPOINT));
  return { ledger };
}

function modelAccess(m: Model, endpoint: number, page: number): PageAccess {
  const owner = m.owner[page];
  const h = m.holder[page];
  const t = h === null || h === undefined ? undefined : m.transactions.get(h);
  const b = t?.retrieved.get(endpoint);
  if (b) return b.access;
  return owner === endpoint && (!t || t.op === 'share') ? 'rw' : 'none';
}

/** The ledger's answer: null for success, else the error code. */
function codeOf<T>(r: Checked<T>): number | null {
  return r.ok ? null : errorCodeOf(r.error);
}

function checkAgreement(m: Model, r: Real): void {
  for (let p = 0; p < PAGE_COUNT; p++) {
    expect(r.ledger.ownerOf(address(p)), `owner of page ${p}`).toBe(m.owner[p]);
    for (const e of ENDPOINTS) expect(r.ledger.accessOf(e, address(p)), `access of ${e} to page ${p}`).toBe(modelAccess(m, e, p));
  }
  expect(r.ledger.handles().sort()).toEqual([...m.transactions.keys()].sort());
}

const overlaps = (lists: number[][]): boolean => new Set(lists.flat()).size !== lists.flat().length;

function pick<T>(items: readonly T[], index: number): T | undefined {
  return items.length === 0 ? undefined : items[index % items.length];
}

/** Live handles twice as often as stale or bogus ones. */
function pickHandle(m: Model, index: number): bigint {
  const live = [...m.transactions.keys()];
  return pick([...live, ...live, ...m.seen], index)!;
}

const constituentOf = (pages: number[]): Constituent => ({ address: address(pages[0]!), pageCount: pages.length });

/** Marks a completed transaction's pages, or says why the transition is refused. */
function completeTransition(m: Model, t: ModelTransaction): boolean {
  const pages = t.constituents.flat();
  if (!pages.every((p) => m.owner[p] === t.sender && m.holder[p] === null)) return false;
  for (const p of pages) m.holder[p] = t.handle;
  return true;
}

function release(m: Model, t: ModelTransaction, newOwner: number): void {
  for (const p of t.constituents.flat()) {
    m.holder[p] = null;
    m.owner[p] = newOwner;
  }
  m.transactions.delete(t.handle);
}

class SendCommand implements fc.Command<Model, Real> {
  constructor(
    readonly op: SendOp, readonly senderIndex: number, readonly receiverIndexes: number[], readonly access: DataAccess,
    readonly ranges: { region: number; offset: number; length: number }[], readonly firstFragment: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const sender = ENDPOINTS[this.senderIndex]!;
    const receivers = [...new Set(this.receiverIndexes.map((i) => ENDPOINTS[i]!))];
    const lists = this.ranges.map(({ region, offset, length }) => {
      const start = (region < 0 ? this.senderIndex : region) * PAGES_PER_ENDPOINT + offset;
      return Array.from({ length: Math.min(length, PAGE_COUNT - start) }, (_, i) => start + i);
    });
    const tx = sendTx(this.op, sender, receivers, lists.map(constituentOf), this.access);
    const first = Math.min(this.firstFragment, lists.length);
    const fragmented = first < lists.length;
    const sent = fragmented ? { ...tx, composite: { pageCount: tx.composite!.pageCount, constituents: tx.composite!.constituents.slice(0, first) } } : tx;
    const result = r.ledger.send(this.op, sender, sent, lists.length - first);

    let expected: number | null = null;
    if (receivers.includes(sender) || (this.op === 'donate' && receivers.length > 1) || overlaps(lists.slice(0, first))) expected = INVALID_PARAMETERS;
    const t: ModelTransaction = { handle: 0n, op: this.op, sender, receivers, access: this.access, constituents: lists.slice(0, first), missing: lists.length - first, retrieved: new Map(), hypervisor: null };
    if (expected === null && !fragmented) {
      const pages = lists.flat();
      if (!pages.every((p) => m.owner[p] === sender && m.holder[p] === null)) expected = DENIED;
    }
    expect(codeOf(result), result.ok ? 'accepted' : result.error.reason).toBe(expected);
    if (!result.ok) return;
    expect(result.value.complete).toBe(!fragmented);
    t.handle = result.value.handle;
    t.constituents = fragmented ? lists.slice(0, first) : lists;
    m.transactions.set(t.handle, t);
    m.seen.push(t.handle);
    if (!fragmented) completeTransition(m, t);
    // Keep the rest of the descriptor for FRAG_TX.
    pendingTails.set(t.handle, lists.slice(first));
  }
  toString(): string {
    return `send(${this.op}, ${this.senderIndex} -> [${this.receiverIndexes}], ${this.access}, ${JSON.stringify(this.ranges)}, first ${this.firstFragment})`;
  }
}

// Constituents a fragmented send has yet to deliver, by handle (the sender's
// side of the conversation; not ledger state).
const pendingTails = new Map<bigint, number[][]>();

class FragTxCommand implements fc.Command<Model, Real> {
  constructor(readonly handleIndex: number, readonly count: number, readonly wrongCaller: boolean) {}
  check(m: Model): boolean {
    return [...m.transactions.values()].some((t) => t.missing > 0);
  }
  run(m: Model, r: Real): void {
    const t = pick([...m.transactions.values()].filter((x) => x.missing > 0), this.handleIndex)!;
    const tail = pendingTails.get(t.handle)!;
    const next = tail.slice(0, Math.min(this.count, t.missing));
    const bytes = encodeTransaction(sendTx(t.op, t.sender, t.receivers, next.map(constituentOf), t.access));
    const fragment = bytes.subarray(bytes.length - next.length * CONSTITUENT_SIZE);
    if (this.wrongCaller) {
      const other = ENDPOINTS.find((e) => e !== t.sender)!;
      expect(codeOf(r.ledger.fragTx(other, t.handle, fragment))).toBe(INVALID_PARAMETERS);
      return;
    }
    const result = r.ledger.fragTx(t.sender, t.handle, fragment);
    const all = [...t.constituents, ...next];
    let expected: number | null = null;
    if (overlaps(all)) expected = INVALID_PARAMETERS;
    const complete = next.length === t.missing;
    if (expected === null && complete && !all.flat().every((p) => m.owner[p] === t.sender && m.holder[p] === null)) expected = DENIED;
    expect(codeOf(result), result.ok ? 'accepted' : result.error.reason).toBe(expected);
    if (!result.ok) {
      m.transactions.delete(t.handle); // abandoned
      return;
    }
    expect(result.value.complete).toBe(complete);
    t.constituents = all;
    t.missing -= next.length;
    pendingTails.set(t.handle, tail.slice(next.length));
    if (complete) completeTransition(m, t);
  }
  toString(): string {
    return `fragTx(${this.handleIndex}, ${this.count}${this.wrongCaller ? ', wrong caller' : ''})`;
  }
}

class RetrieveCommand implements fc.Command<Model, Real> {
  constructor(readonly handleIndex: number, readonly callerIndex: number, readonly access: DataAccess, readonly responseFragments: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const handle = pickHandle(m, this.handleIndex);
    const caller = ENDPOINTS[this.callerIndex]!;
    const t = m.transactions.get(handle);
    // A request in the shape the borrower would write (a stranger copies the real receiver list).
    const request = retrieveTx(t?.op ?? 'share', t?.sender ?? 1, t?.receivers ?? [caller], handle, this.access);
    const result = r.ledger.retrieve(caller, request, TEST_VERSION, this.responseFragments);
    let expected: number | null = null;
    if (!t || t.missing > 0 || !t.receivers.includes(caller)) expected = INVALID_PARAMETERS;
    else if (t.op !== 'donate' && t.access === 'ro' && this.access === 'rw') expected = DENIED;
    else if (t.retrieved.has(caller)) expected = DENIED;
    expect(codeOf(result), result.ok ? 'accepted' : result.error.reason).toBe(expected);
    if (!result.ok || !t) return;
    t.retrieved.set(caller, { access: this.access, total: this.responseFragments, delivered: 1 });
    if (t.op === 'donate') {
      for (const p of t.constituents.flat()) m.owner[p] = caller;
      if (this.responseFragments === 1) release(m, t, caller);
    }
  }
  toString(): string {
    return `retrieve(${this.handleIndex}, by ${this.callerIndex}, ${this.access}, ${this.responseFragments} fragments)`;
  }
}

class FragRxCommand implements fc.Command<Model, Real> {
  constructor(readonly handleIndex: number, readonly callerIndex: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const handle = pickHandle(m, this.handleIndex);
    const t = m.transactions.get(handle);
    if (this.callerIndex === ENDPOINTS.length) {
      // The hypervisor (ID 0) fetching its own retrieve response.
      const h = t?.hypervisor;
      const result = r.ledger.fragRx(FFA_HYPERVISOR_ID, handle);
      expect(codeOf(result), result.ok ? 'accepted' : result.error.reason).toBe(!t || t.missing > 0 || !h ? INVALID_PARAMETERS : null);
      if (!result.ok) return;
      expect(result.value.fragmentIndex).toBe(h!.delivered);
      h!.delivered++;
      expect(result.value.complete).toBe(h!.delivered === h!.total);
      if (h!.delivered === h!.total) t!.hypervisor = null;
      return;
    }
    const caller = ENDPOINTS[this.callerIndex]!;
    const b = t?.retrieved.get(caller);
    const result = r.ledger.fragRx(caller, handle);
    const expected = !t || t.missing > 0 || !b || b.delivered >= b.total ? INVALID_PARAMETERS : null;
    expect(codeOf(result), result.ok ? 'accepted' : result.error.reason).toBe(expected);
    if (!result.ok) return;
    expect(result.value.fragmentIndex).toBe(b!.delivered);
    b!.delivered++;
    expect(result.value.complete).toBe(b!.delivered === b!.total);
    if (t!.op === 'donate' && b!.delivered === b!.total) release(m, t!, caller);
  }
  toString(): string {
    return `fragRx(${this.handleIndex}, by ${this.callerIndex})`;
  }
}

class RelinquishCommand implements fc.Command<Model, Real> {
  constructor(readonly handleIndex: number, readonly callerIndex: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const handle = pickHandle(m, this.handleIndex);
    const caller = ENDPOINTS[this.callerIndex]!;
    const t = m.transactions.get(handle);
    const result = r.ledger.relinquish(caller, handle);
    const b = t?.retrieved.get(caller);
    const expected = !t || t.missing > 0 || !b || b.delivered !== b.total ? INVALID_PARAMETERS : null;
    expect(codeOf(result), result.ok ? 'accepted' : result.error.reason).toBe(expected);
    if (result.ok) t!.retrieved.delete(caller);
  }
  toString(): string {
    return `relinquish(${this.handleIndex}, by ${this.callerIndex})`;
  }
}

class ReclaimCommand implements fc.Command<Model, Real> {
  constructor(readonly handleIndex: number, readonly callerIndex: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const handle = pickHandle(m, this.handleIndex);
    const t = m.transactions.get(handle);
    // Mostly the sender reclaims; sometimes another endpoint tries.
    const caller = this.callerIndex < ENDPOINTS.length ? ENDPOINTS[this.callerIndex]! : (t?.sender ?? 1);
    const result = r.ledger.reclaim(caller, handle);
    let expected: number | null = null;
    if (!t || t.missing > 0 || t.sender !== caller) expected = INVALID_PARAMETERS;
    else if (t.op === 'donate' || t.retrieved.size > 0) expected = DENIED;
    expect(codeOf(result), result.ok ? 'accepted' : result.error.reason).toBe(expected);
    if (result.ok) release(m, t!, t!.sender);
  }
  toString(): string {
    return `reclaim(${this.handleIndex}, by ${this.callerIndex})`;
  }
}

class HypervisorRetrieveCommand implements fc.Command<Model, Real> {
  constructor(readonly handleIndex: number, readonly responseFragments: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const handle = pickHandle(m, this.handleIndex);
    const t = m.transactions.get(handle);
    const result = r.ledger.hypervisorRetrieve(handle, this.responseFragments);
    let expected: number | null = null;
    if (!t || t.missing > 0 || (t.sender & 0x8000) !== 0) expected = INVALID_PARAMETERS;
    else if (t.hypervisor) expected = DENIED;
    expect(codeOf(result), result.ok ? 'accepted' : result.error.reason).toBe(expected);
    if (result.ok) {
      if (this.responseFragments > 1) t!.hypervisor = { total: this.responseFragments, delivered: 1 };
      expect(result.value.op).toBe(t!.op);
      expect(result.value.sent.composite!.constituents).toEqual(t!.constituents.map(constituentOf));
    }
  }
  toString(): string {
    return `hypervisorRetrieve(${this.handleIndex}, ${this.responseFragments} fragments)`;
  }
}

class SaveRestoreCommand implements fc.Command<Model, Real> {
  check(): boolean {
    return true;
  }
  run(_m: Model, r: Real): void {
    const fresh = new MemoryLedger();
    fresh.setState(JSON.parse(JSON.stringify(r.ledger.getState())));
    r.ledger = fresh;
  }
  toString(): string {
    return 'saveRestore';
  }
}

const endpointIndex = fc.integer({ min: 0, max: ENDPOINTS.length - 1 });
const range = fc.record({
  region: fc.oneof({ weight: 6, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: ENDPOINTS.length }) }),
  offset: fc.integer({ min: 0, max: PAGES_PER_ENDPOINT - 1 }),
  length: fc.integer({ min: 1, max: 2 }),
}).map((x) => ({ ...x, length: x.region === ENDPOINTS.length ? 1 : Math.min(x.length, PAGES_PER_ENDPOINT - x.offset) }))
  .map((x) => (x.region === ENDPOINTS.length ? { ...x, offset: 0 } : x));
const access = fc.constantFrom<DataAccess>('ro', 'rw');
// Receivers relative to the sender: offset 0 (the sender itself, refused) now and then.
const receiverOffsets = fc.oneof(
  { weight: 8, arbitrary: fc.uniqueArray(fc.integer({ min: 1, max: ENDPOINTS.length - 1 }), { minLength: 1, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.uniqueArray(fc.integer({ min: 0, max: ENDPOINTS.length - 1 }), { minLength: 1, maxLength: 3 }) },
);
const handleIndex = fc.nat(64);
// Retrieve responses mostly in one fragment.
const fragmentCount = fc.oneof({ weight: 3, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 3 }) });

const commands = [
  fc.tuple(fc.constantFrom<SendOp>('share', 'lend', 'donate'), endpointIndex, receiverOffsets, access,
    fc.array(range, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 4 }))
    .map(([op, s, offsets, a, ranges, first]) => new SendCommand(op, s, (op === 'donate' && offsets.length > 1 && offsets[0] !== 0 ? offsets.slice(0, 1) : offsets).map((o) => (s + o) % ENDPOINTS.length), a, ranges, first)),
  fc.tuple(handleIndex, fc.integer({ min: 1, max: 2 }), fc.boolean()).map(([h, c, w]) => new FragTxCommand(h, c, w)),
  fc.tuple(handleIndex, endpointIndex, access, fragmentCount).map(([h, c, a, f]) => new RetrieveCommand(h, c, a, f)),
  // Index ENDPOINTS.length is the hypervisor.
  fc.tuple(handleIndex, fc.integer({ min: 0, max: ENDPOINTS.length })).map(([h, c]) => new FragRxCommand(h, c)),
  fc.tuple(handleIndex, endpointIndex).map(([h, c]) => new RelinquishCommand(h, c)),
  fc.tuple(handleIndex, fc.integer({ min: 0, max: ENDPOINTS.length + 2 })).map(([h, c]) => new ReclaimCommand(h, c)),
  fc.tuple(handleIndex, fragmentCount).map(([h, f]) => new HypervisorRetrieveCommand(h, f)),
  fc.constant(new SaveRestoreCommand()),
];

describe('memory ledger against its model', () => {
  it('agrees on every answer, every page\'s owner and every endpoint\'s access', () => {
    const outcomes = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: MAX_COMMANDS, size: 'max' }), (cmds) => {
        pendingTails.clear();
        const setup = () => ({ model: initialModel(), real: initialReal() });
        fc.modelRun(setup, [...cmds].map((c) => new CheckedCommand(c, outcomes)));
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    // The generators reach both sides of the rules.
    console.log(`memory ledger model: ${outcomes.accepted} commands changed the ledger, ${outcomes.refused} left it as it was`);
    expect(outcomes.accepted).toBeGreaterThan(RUNS);
    expect(outcomes.refused).toBeGreaterThan(RUNS);
  });
});

/** Runs a command, then compares the whole ledger with the model. */
class CheckedCommand implements fc.Command<Model, Real> {
  constructor(readonly inner: fc.Command<Model, Real>, readonly outcomes: { accepted: number; refused: number }) {}
  check(m: Readonly<Model>): boolean {
    return this.inner.check(m);
  }
  run(m: Model, r: Real): void {
    const before = JSON.stringify(r.ledger.getState());
    this.inner.run(m, r);
    const after = JSON.stringify(r.ledger.getState());
    if (after === before) this.outcomes.refused++;
    else this.outcomes.accepted++;
    checkAgreement(m, r);
  }
  toString(): string {
    return this.inner.toString();
  }
}

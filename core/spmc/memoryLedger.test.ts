import { describe, expect, it } from 'vitest';
import { DENIED, INVALID_PARAMETERS, NO_MEMORY } from '../ffa/errors.js';
import { errorCodeOf, type Checked } from '../ffa/result.js';
import { encodeTransaction } from '../ffa/memory/transaction.js';
import { CONSTITUENT_SIZE } from '../ffa/memory/layout.js';
import { makeHandle } from '../ffa/memory/handle.js';
import { FFA_MEMORY_REGION_FLAG_CLEAR_RELINQUISH } from '../ffa/memory/flags.js';
import { FFA_VERSION_1_2 } from '../ffa/functionIds.js';
import { LEDGER_MAX_FRAGMENTS, LEDGER_MAX_RECEIVERS, LEDGER_MAX_TRANSACTIONS, MemoryLedger, NORMAL_WORLD_OWNER, type MemoryLedgerState } from './memoryLedger.js';
import { TEST_VERSION, pages, retrieveTx, sendTx } from './ledgerTesting.js';

const VM1 = 1;
const VM2 = 2;
const SP1 = 0x8001;
const SP2 = 0x8002;
const SP3 = 0x8003;
const NS = 0x4000_0000n; // VM1's memory: 16 pages
const SEC = 0x0e40_0000n; // SP1's memory: 16 pages
const P = 0x1000n;

function ledger(): MemoryLedger {
  const l = new MemoryLedger();
  l.declareRegion(VM1, NS, 16);
  l.declareRegion(VM2, NS + 16n * P, 16);
  l.declareRegion(SP1, SEC, 16);
  return l;
}

function ok<T>(r: Checked<T>): T {
  if (!r.ok) throw new Error(`refused: ${r.error.reason}`);
  return r.value;
}

function refused<T>(r: Checked<T>): { code: number | null; reason: string } {
  expect(r.ok).toBe(false);
  return r.ok ? { code: null, reason: '' } : { code: errorCodeOf(r.error), reason: r.error.reason };
}

/** The ledger's record and its JSON round trip, compared. */
function snapshot(l: MemoryLedger): string {
  return JSON.stringify(l.getState());
}

describe('memory ledger', () => {
  it('Normal-world memory as a whole: any VM may send it, it stays the Normal world\'s', () => {
    const l = new MemoryLedger();
    l.declareRegion(NORMAL_WORLD_OWNER, NS, 4);
    l.declareRegion(SP1, SEC, 4);
    const { handle } = ok(l.send('lend', VM1, sendTx('lend', VM1, [SP1], [pages(NS, 1)])));
    expect(l.ownerOf(NS)).toBe(NORMAL_WORLD_OWNER);
    expect(refused(l.send('share', VM2, sendTx('share', VM2, [SP1], [pages(NS, 1)]))).code).toBe(DENIED); // in a transaction
    expect(refused(l.send('share', SP1, sendTx('share', SP1, [SP2], [pages(NS + P, 1)]))).code).toBe(DENIED); // a partition does not own it
    expect(refused(l.reclaim(VM2, handle)).code).toBe(INVALID_PARAMETERS);
    ok(l.reclaim(VM1, handle));
    expect(l.getState().pages).toEqual({});
    ok(l.send('share', VM2, sendTx('share', VM2, [SP1], [pages(NS, 1)])));
    // A donate to a partition makes it the partition's.
    const d = ok(l.send('donate', VM1, sendTx('donate', VM1, [SP1], [pages(NS + P, 1)])));
    ok(l.retrieve(SP1, retrieveTx('donate', VM1, [SP1], d.handle), TEST_VERSION));
    expect(l.ownerOf(NS + P)).toBe(SP1);
  });

  it('shares VM memory with a partition: retrieve, relinquish, reclaim', () => {
    const l = ledger();
    const { handle, complete } = ok(l.send('share', VM1, sendTx('share', VM1, [SP1], [pages(NS, 2)])));
    expect(complete).toBe(true);
    expect(handle >> 63n).toBe(0n); // SPMC-allocated
    expect(l.accessOf(VM1, NS)).toBe('rw'); // a share leaves the owner its access
    expect(l.accessOf(SP1, NS)).toBe('none'); // until retrieved
    const r = ok(l.retrieve(SP1, retrieveTx('share', VM1, [SP1], handle), TEST_VERSION));
    expect(r.op).toBe('share');
    expect(l.accessOf(SP1, NS + P)).toBe('rw');
    expect(l.accessOf(SP1, NS + 2n * P)).toBe('none');
    expect(refused(l.reclaim(VM1, handle)).code).toBe(DENIED); // still borrowed
    ok(l.relinquish(SP1, handle));
    expect(l.accessOf(SP1, NS)).toBe('none');
    const back = ok(l.reclaim(VM1, handle));
    expect(back.constituents).toEqual([pages(NS, 2)]);
    expect(l.handles()).toEqual([]);
    expect(l.getState().pages).toEqual({});
  });

  it('a lend takes the lender\'s access until reclaimed; read-only grants stay read-only', () => {
    const l = ledger();
    const { handle } = ok(l.send('lend', VM1, sendTx('lend', VM1, [SP1, SP2], [pages(NS, 1)], 'ro')));
    expect(l.accessOf(VM1, NS)).toBe('none');
    expect(refused(l.retrieve(SP1, retrieveTx('lend', VM1, [SP1, SP2], handle, 'rw'), TEST_VERSION)).code).toBe(DENIED);
    ok(l.retrieve(SP1, retrieveTx('lend', VM1, [SP1, SP2], handle, 'ro'), TEST_VERSION));
    ok(l.retrieve(SP2, retrieveTx('lend', VM1, [SP1, SP2], handle, 'ro'), TEST_VERSION));
    expect(l.accessOf(SP2, NS)).toBe('ro');
    ok(l.relinquish(SP1, handle));
    expect(refused(l.reclaim(VM1, handle)).reason).toContain('still retrieved by');
    ok(l.relinquish(SP2, handle));
    ok(l.reclaim(VM1, handle));
    expect(l.accessOf(VM1, NS)).toBe('rw');
  });

  it('a donate moves ownership at retrieve and cannot be reclaimed', () => {
    const l = ledger();
    const { handle } = ok(l.send('donate', SP1, sendTx('donate', SP1, [SP2], [pages(SEC, 3)])));
    expect(l.accessOf(SP1, SEC)).toBe('none');
    expect(refused(l.reclaim(SP1, handle)).code).toBe(DENIED);
    ok(l.retrieve(SP2, retrieveTx('donate', SP1, [SP2], handle), TEST_VERSION));
    expect(l.ownerOf(SEC + 2n * P)).toBe(SP2);
    expect(l.accessOf(SP2, SEC)).toBe('rw');
    expect(l.handles()).toEqual([]);
    expect(refused(l.relinquish(SP2, handle)).code).toBe(INVALID_PARAMETERS);
    // The new owner may pass it on; the old one may not.
    expect(refused(l.send('share', SP1, sendTx('share', SP1, [SP3], [pages(SEC, 1)]))).code).toBe(DENIED);
    ok(l.send('share', SP2, sendTx('share', SP2, [SP3], [pages(SEC, 1)])));
  });

  it('refuses memory the sender does not own exclusively', () => {
    const l = ledger();
    expect(refused(l.send('share', VM1, sendTx('share', VM1, [SP1], [pages(SEC, 1)]))).reason).toContain('owned by');
    expect(refused(l.send('share', VM1, sendTx('share', VM1, [SP1], [pages(0x9000_0000n, 1)]))).reason).toContain('not memory any endpoint owns');
    ok(l.send('share', VM1, sendTx('share', VM1, [SP1], [pages(NS + 4n * P, 2)])));
    const before = snapshot(l);
    const again = refused(l.send('lend', VM1, sendTx('lend', VM1, [SP2], [pages(NS, 5)])));
    expect(again.code).toBe(DENIED);
    expect(again.reason).toContain('already in transaction');
    expect(snapshot(l)).toBe(before); // nothing half-done
    expect(refused(l.send('share', VM2, sendTx('share', VM1, [SP1], [pages(NS, 1)]))).code).toBe(DENIED); // sender is not the caller
  });

  it('refuses a borrower named twice', () => {
    expect(refused(ledger().send('share', VM1, sendTx('share', VM1, [SP1, SP1], [pages(NS, 1)]))).reason).toContain('named twice');
  });

  it('matches retrieve requests written in another layout than the send', () => {
    const l = ledger();
    const { handle } = ok(l.send('share', VM1, { ...sendTx('share', VM1, [SP1], [pages(NS, 1)]), layout: 'v1.0', receiversOffset: 32 }));
    ok(l.retrieve(SP1, { ...retrieveTx('share', VM1, [SP1], handle), layout: 'v1.2' }, FFA_VERSION_1_2));
    expect(l.accessOf(SP1, NS)).toBe('rw');
  });

  it('a borrower that asked for zeroing on relinquish gets clear: true back', () => {
    const l = ledger();
    const { handle } = ok(l.send('lend', VM1, sendTx('lend', VM1, [SP1], [pages(NS, 1)])));
    ok(l.retrieve(SP1, { ...retrieveTx('lend', VM1, [SP1], handle), flags: FFA_MEMORY_REGION_FLAG_CLEAR_RELINQUISH }, TEST_VERSION));
    expect(ok(l.relinquish(SP1, handle)).clear).toBe(true);
    expect(ok(l.reclaim(VM1, handle, true))).toEqual({ constituents: [pages(NS, 1)], clear: true });
  });

  it('refuses overlapping and duplicate ranges', () => {
    const l = ledger();
    expect(refused(l.send('share', VM1, sendTx('share', VM1, [SP1], [pages(NS, 2), pages(NS + P, 1)]))).code).toBe(INVALID_PARAMETERS);
    expect(refused(l.send('share', VM1, sendTx('share', VM1, [SP1], [pages(NS, 1), pages(NS, 1)]))).code).toBe(INVALID_PARAMETERS);
    expect(l.handles()).toEqual([]);
  });

  it('retrieve rules: borrowers only, once, complete transactions only, ours only', () => {
    const l = ledger();
    const { handle } = ok(l.send('share', VM1, sendTx('share', VM1, [SP1], [pages(NS, 1)])));
    expect(refused(l.retrieve(SP2, retrieveTx('share', VM1, [SP1], handle), TEST_VERSION)).code).toBe(INVALID_PARAMETERS);
    expect(refused(l.retrieve(SP1, retrieveTx('share', VM1, [SP1], handle + 7n), TEST_VERSION)).reason).toContain('no transaction');
    expect(refused(l.retrieve(SP1, retrieveTx('share', VM1, [SP1], makeHandle(1, 'hypervisor')), TEST_VERSION)).reason).toContain('hypervisor');
    ok(l.retrieve(SP1, retrieveTx('share', VM1, [SP1], handle), TEST_VERSION));
    expect(refused(l.retrieve(SP1, retrieveTx('share', VM1, [SP1], handle), TEST_VERSION)).code).toBe(DENIED);
    expect(refused(l.relinquish(SP2, handle)).code).toBe(INVALID_PARAMETERS);
    expect(refused(l.reclaim(VM2, handle)).code).toBe(INVALID_PARAMETERS); // not the sender
  });

  it('the hypervisor retrieve request answers the transaction as sent, for VM senders only', () => {
    const l = ledger();
    const vm = ok(l.send('lend', VM1, sendTx('lend', VM1, [SP1], [pages(NS, 1)])));
    const sp = ok(l.send('share', SP1, sendTx('share', SP1, [SP2], [pages(SEC, 1)])));
    const got = ok(l.hypervisorRetrieve(vm.handle));
    expect(got.op).toBe('lend');
    expect(got.sent.receivers.map((r) => r.receiver)).toEqual([SP1]);
    expect(got.sent.composite?.constituents).toEqual([pages(NS, 1)]);
    expect(refused(l.hypervisorRetrieve(sp.handle)).code).toBe(INVALID_PARAMETERS);
  });

  it('the hypervisor fetches a fragmented retrieve response one request at a time', () => {
    const l = ledger();
    const { handle } = ok(l.send('lend', VM1, sendTx('lend', VM1, [SP1], [pages(NS, 1)])));
    expect(refused(l.fragRx(0, handle)).code).toBe(INVALID_PARAMETERS);
    ok(l.hypervisorRetrieve(handle, 2));
    expect(refused(l.hypervisorRetrieve(handle)).code).toBe(DENIED);
    expect(ok(l.fragRx(0, handle))).toEqual({ fragmentIndex: 1, complete: true });
    ok(l.hypervisorRetrieve(handle));
    ok(l.hypervisorRetrieve(handle));
    ok(l.reclaim(VM1, handle));
  });

  it('fragmented sends: pages checked when complete, no retrieve or reclaim before', () => {
    const l = ledger();
    const tx = sendTx('share', VM1, [SP1], [pages(NS, 1), pages(NS + 2n * P, 1), pages(NS + 4n * P, 2)]);
    const bytes = encodeTransaction(tx);
    const first = { ...tx, composite: { pageCount: 4, constituents: tx.composite!.constituents.slice(0, 1) } };
    const tail = bytes.subarray(bytes.length - 2 * CONSTITUENT_SIZE);
    const { handle, complete } = ok(l.send('share', VM1, first, 2));
    expect(complete).toBe(false);
    expect(l.missingConstituents(handle)).toBe(2);
    expect(l.accessOf(VM1, NS)).toBe('rw');
    expect(refused(l.retrieve(SP1, retrieveTx('share', VM1, [SP1], handle), TEST_VERSION)).reason).toContain('still being sent');
    expect(refused(l.reclaim(VM1, handle)).reason).toContain('still being sent');
    expect(refused(l.fragTx(VM2, handle, tail.subarray(0, CONSTITUENT_SIZE))).code).toBe(INVALID_PARAMETERS);
    expect(ok(l.fragTx(VM1, handle, tail.subarray(0, CONSTITUENT_SIZE))).complete).toBe(false);
    expect(ok(l.fragTx(VM1, handle, tail.subarray(CONSTITUENT_SIZE))).complete).toBe(true);
    expect(refused(l.fragTx(VM1, handle, tail.subarray(CONSTITUENT_SIZE))).reason).toContain('already complete');
    // The transaction the ledger keeps after FRAG_TX (not decoded again from its record) is the record's.
    const restored = new MemoryLedger();
    restored.setState(JSON.parse(JSON.stringify(l.getState())) as MemoryLedgerState);
    expect(l.transactionInfo(handle)).toEqual(restored.transactionInfo(handle));
    expect(l.transactionInfo(handle)!.sent.composite).toEqual(tx.composite);
    ok(l.retrieve(SP1, retrieveTx('share', VM1, [SP1], handle), TEST_VERSION));
    expect(l.accessOf(SP1, NS + 5n * P)).toBe('rw');
  });

  it('FFA_MEM_FRAG_TX answers carry the bytes received so far', () => {
    const l = ledger();
    const tx = sendTx('share', VM1, [SP1], [pages(NS, 1), pages(NS + 2n * P, 1)]);
    const bytes = encodeTransaction(tx);
    const first = { ...tx, composite: { pageCount: 2, constituents: tx.composite!.constituents.slice(0, 1) } };
    const sent = ok(l.send('share', VM1, first, 1));
    expect(sent.receivedLength).toBe(bytes.length - CONSTITUENT_SIZE);
    expect(ok(l.fragTx(VM1, sent.handle, bytes.subarray(bytes.length - CONSTITUENT_SIZE))).receivedLength).toBe(bytes.length);
  });

  it('a retrieve response in fragments: FRAG_RX in order, relinquish only once all are fetched', () => {
    const l = ledger();
    const { handle } = ok(l.send('lend', VM1, sendTx('lend', VM1, [SP1], [pages(NS, 1)])));
    expect(refused(l.fragRx(SP1, handle)).code).toBe(INVALID_PARAMETERS); // nothing retrieved yet
    ok(l.retrieve(SP1, retrieveTx('lend', VM1, [SP1], handle), TEST_VERSION, 3));
    expect(l.accessOf(SP1, NS)).toBe('rw'); // mapped at the retrieve, as Hafnium
    expect(refused(l.relinquish(SP1, handle)).reason).toContain('1 of 3 fragments');
    expect(refused(l.reclaim(VM1, handle)).code).toBe(DENIED);
    expect(refused(l.fragRx(SP2, handle)).code).toBe(INVALID_PARAMETERS);
    expect(ok(l.fragRx(SP1, handle))).toEqual({ fragmentIndex: 1, complete: false });
    expect(ok(l.fragRx(SP1, handle))).toEqual({ fragmentIndex: 2, complete: true });
    expect(refused(l.fragRx(SP1, handle)).code).toBe(INVALID_PARAMETERS);
    ok(l.relinquish(SP1, handle));
    ok(l.reclaim(VM1, handle));
  });

  it('a donate whose response is fragmented keeps its handle until the last fragment', () => {
    const l = ledger();
    const { handle } = ok(l.send('donate', VM1, sendTx('donate', VM1, [SP1], [pages(NS, 1)])));
    ok(l.retrieve(SP1, retrieveTx('donate', VM1, [SP1], handle), TEST_VERSION, 2));
    expect(l.ownerOf(NS)).toBe(SP1);
    expect(l.handles()).toEqual([handle]);
    expect(refused(l.reclaim(VM1, handle)).code).toBe(DENIED);
    ok(l.fragRx(SP1, handle));
    expect(l.handles()).toEqual([]);
    expect(l.accessOf(SP1, NS)).toBe('rw');
    expect(l.getState().pages).toEqual({ [`0x${NS.toString(16)}`]: { owner: SP1, handle: null } });
  });

  it('a refused fragment abandons the transaction', () => {
    const l = ledger();
    const tx = sendTx('lend', VM1, [SP1], [pages(NS, 1), pages(NS, 1)]); // the duplicate arrives in the second fragment
    const first = { ...tx, composite: { pageCount: 2, constituents: tx.composite!.constituents.slice(0, 1) } };
    const bytes = encodeTransaction(tx);
    const { handle } = ok(l.send('lend', VM1, first, 1));
    expect(refused(l.fragTx(VM1, handle, bytes.subarray(bytes.length - CONSTITUENT_SIZE))).code).toBe(INVALID_PARAMETERS);
    expect(l.handles()).toEqual([]);
    expect(l.accessOf(VM1, NS)).toBe('rw');
  });

  it('a fragmented send whose pages are taken is DENIED when complete and abandoned', () => {
    const l = ledger();
    const tx = sendTx('share', VM1, [SP1], [pages(NS, 1), pages(NS + P, 1)]);
    const first = { ...tx, composite: { pageCount: 2, constituents: tx.composite!.constituents.slice(0, 1) } };
    const bytes = encodeTransaction(tx);
    const { handle } = ok(l.send('share', VM1, first, 1));
    ok(l.send('lend', VM1, sendTx('lend', VM1, [SP2], [pages(NS + P, 1)])));
    expect(refused(l.fragTx(VM1, handle, bytes.subarray(bytes.length - CONSTITUENT_SIZE))).code).toBe(DENIED);
    expect(l.missingConstituents(handle)).toBe(null);
  });

  it('limits give NO_MEMORY: borrowers, the share table, fragments', () => {
    const l = ledger();
    const many = Array.from({ length: LEDGER_MAX_RECEIVERS + 1 }, (_, i) => 0x8001 + i);
    expect(refused(l.send('share', VM1, sendTx('share', VM1, many, [pages(NS, 1)]))).code).toBe(NO_MEMORY);
    const big = new MemoryLedger();
    big.declareRegion(VM1, NS, LEDGER_MAX_TRANSACTIONS + 1);
    for (let i = 0; i < LEDGER_MAX_TRANSACTIONS; i++) ok(big.send('share', VM1, sendTx('share', VM1, [SP1], [pages(NS + BigInt(i) * P, 1)])));
    const full = refused(big.send('share', VM1, sendTx('share', VM1, [SP1], [pages(NS + BigInt(LEDGER_MAX_TRANSACTIONS) * P, 1)])));
    expect(full.code).toBe(NO_MEMORY);
    const frag = ledger();
    const n = LEDGER_MAX_FRAGMENTS + 1;
    const tx = sendTx('share', VM1, [SP1], Array.from({ length: n }, (_, i) => pages(NS + BigInt(i % 16) * P + (i >= 16 ? 16n * P : 0n), 1)));
    const bytes = encodeTransaction(tx);
    const { handle } = ok(frag.send('share', VM1, { ...tx, composite: { pageCount: n, constituents: tx.composite!.constituents.slice(0, 1) } }, n - 1));
    let last: Checked<unknown> | null = null;
    for (let i = 1; i < n; i++) {
      const at = bytes.length - (n - i) * CONSTITUENT_SIZE;
      last = frag.fragTx(VM1, handle, bytes.subarray(at, at + CONSTITUENT_SIZE));
      if (!last.ok) break;
    }
    expect(refused(last!).code).toBe(NO_MEMORY);
  });

  it('changes() moves with every call that writes the state and with no refusal; peekState is the record getState copies', () => {
    const l = ledger();
    /** Makes a call; its state and write count change together (a refusal writes nothing). */
    const step = <T>(call: () => Checked<T>): Checked<T> => {
      const [state, writes] = [snapshot(l), l.changes()];
      const r = call();
      expect(l.changes() > writes, snapshot(l)).toBe(r.ok);
      expect(snapshot(l) !== state).toBe(r.ok);
      expect(l.peekState()).toEqual(l.getState());
      return r;
    };
    const { handle } = ok(step(() => l.send('lend', VM1, sendTx('lend', VM1, [SP1, SP2], [pages(NS, 2)]))));
    step(() => l.send('share', VM1, sendTx('share', VM1, [SP1], [pages(NS + P, 1)]))); // DENIED: in a transaction
    step(() => l.reclaim(VM2, handle));
    ok(step(() => l.retrieve(SP1, retrieveTx('lend', VM1, [SP1, SP2], handle), TEST_VERSION, 2)));
    step(() => l.retrieve(SP1, retrieveTx('lend', VM1, [SP1, SP2], handle), TEST_VERSION)); // DENIED: retrieved already
    step(() => l.relinquish(SP1, handle)); // response not fetched
    ok(step(() => l.fragRx(SP1, handle)));
    step(() => l.fragRx(SP1, handle));
    step(() => l.reclaim(VM1, handle)); // DENIED: SP1 holds it
    ok(step(() => l.relinquish(SP1, handle)));
    ok(step(() => l.reclaim(VM1, handle)));
    const tx = sendTx('share', VM1, [SP1], [pages(NS, 1), pages(NS, 1)]);
    const bytes = encodeTransaction(tx);
    const frag = ok(step(() => l.send('share', VM1, { ...tx, composite: { pageCount: 2, constituents: tx.composite!.constituents.slice(0, 1) } }, 1)));
    // A refused FRAG_TX abandons the send: one write, the transaction gone.
    const writes = l.changes();
    expect(refused(l.fragTx(VM1, frag.handle, bytes.subarray(bytes.length - CONSTITUENT_SIZE))).code).toBe(INVALID_PARAMETERS);
    expect([l.changes(), l.handles()]).toEqual([writes + 1, []]);
  });

  it('state is a plain record that survives JSON and restores', () => {
    const l = ledger();
    const { handle } = ok(l.send('lend', VM1, sendTx('lend', VM1, [SP1], [pages(NS, 2)])));
    ok(l.retrieve(SP1, retrieveTx('lend', VM1, [SP1], handle), TEST_VERSION));
    const record = JSON.parse(JSON.stringify(l.getState()));
    const copy = new MemoryLedger();
    copy.setState(record);
    expect(copy.getState()).toEqual(l.getState());
    ok(copy.relinquish(SP1, handle));
    ok(copy.reclaim(VM1, handle));
    expect(l.accessOf(SP1, NS)).toBe('rw'); // the original is independent
    expect(() => copy.setState({ ...record, version: 2 })).toThrow();
  });

  it('refuses overlapping boot regions', () => {
    expect(() => ledger().declareRegion(SP2, NS + 15n * P, 2)).toThrow('overlaps');
  });
});

describe('memory ledger: the Normal world\'s RAM as one region (owner 0)', () => {
  it('any Normal-world endpoint (a VM behind the hypervisor) may send it, a partition may not; reclaim gives it back to the region', () => {
    const l = new MemoryLedger();
    l.declareRegion(0, NS, 16);
    l.declareRegion(SP1, SEC, 16);
    const share = l.send('share', VM2, sendTx('share', VM2, [SP1], [pages(NS, 2)]));
    expect(share.ok).toBe(true);
    if (!share.ok) return;
    expect(l.ownerOf(NS)).toBe(0); // the Normal world's as a whole, in VM2's transaction
    // Held by VM2's transaction: nobody else may send it meanwhile.
    const again = l.send('share', VM1, sendTx('share', VM1, [SP1], [pages(NS, 1)]));
    expect(again.ok ? null : errorCodeOf(again.error)).toBe(DENIED);
    const sp = l.send('lend', SP1, sendTx('lend', SP1, [SP2], [pages(NS + 4n * P, 1)]));
    expect(sp.ok ? null : errorCodeOf(sp.error)).toBe(DENIED);
    expect(l.reclaim(VM2, share.value.handle).ok).toBe(true);
    expect(l.ownerOf(NS)).toBe(0);
    expect(l.getState().pages).toEqual({});
    expect(l.send('lend', VM1, sendTx('lend', VM1, [SP1], [pages(NS, 1)])).ok).toBe(true);
  });
});

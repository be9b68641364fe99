import { describe, expect, it } from 'vitest';
import { BUSY, DENIED, INVALID_PARAMETERS, NOT_SUPPORTED, NO_MEMORY } from '../ffa/errors.js';
import {
  FFA_MEM_DONATE_32, FFA_MEM_FRAG_RX, FFA_MEM_FRAG_TX, FFA_MEM_LEND_32, FFA_MEM_LEND_64, FFA_MEM_RECLAIM, FFA_MEM_RELINQUISH,
  FFA_MEM_RETRIEVE_REQ_32, FFA_MEM_RETRIEVE_REQ_64, FFA_MEM_RETRIEVE_RESP, FFA_MEM_SHARE_32, FFA_MEM_SHARE_64, FFA_SUCCESS_32, FFA_VERSION_1_2,
  FFA_ID_GET,
} from '../ffa/functionIds.js';
import { errorCodeOf, resultFid, wView, type FfaResult } from '../ffa/result.js';
import { FFA_DATA_ACCESS_RO, FFA_INSTRUCTION_ACCESS_NX, FFA_INSTRUCTION_ACCESS_X } from '../ffa/memory/attributes.js';
import { decodeTransaction } from '../ffa/memory/decode.js';
import { FFA_MEMORY_REGION_FLAG_CLEAR } from '../ffa/memory/flags.js';
import { HEADER_HANDLE, headerSize } from '../ffa/memory/layout.js';
import { encodeRelinquish } from '../ffa/memory/relinquish.js';
import type { SendOp } from '../ffa/memory/rules.js';
import { encodeTransaction, type Constituent, type MemoryTransaction } from '../ffa/memory/transaction.js';
import { LEDGER_MAX_TRANSACTIONS, MemoryLedger } from './memoryLedger.js';
import { handleMemoryCall, isMemoryCall } from './memoryAbi.js';
import { pages, retrieveTx, sendTx, type DataAccess } from './ledgerTesting.js';
import { FakePort, handleRegs, regs } from './portTesting.js';

const NWD = 0; // the Normal world as the SPMC sees its calls
const VM1 = 1;
const SP1 = 0x8001;
const SP2 = 0x8002;
const SP3 = 0x8003;
const NS = 0x4000_0000n; // VM1's memory
const SEC1 = 0x0e10_0000n; // SP1's memory
const SEC2 = 0x0e20_0000n; // SP2's memory
const P = 0x1000n;

function world() {
  const ledger = new MemoryLedger();
  ledger.declareRegion(VM1, NS, 1024);
  ledger.declareRegion(SP1, SEC1, 16);
  ledger.declareRegion(SP2, SEC2, 16);
  const port = new FakePort([SP1, SP2, SP3], [NWD, VM1]);
  port.setStage2(SP1, pages(SEC1, 16), 'secure', { access: 'rw', executable: false });
  port.setStage2(SP2, pages(SEC2, 16), 'secure', { access: 'rw', executable: false });
  const call = (caller: number, r: bigint[]): FfaResult => handleMemoryCall(ledger, port, caller, r);
  const withTx = (caller: number, bytes: Uint8Array): number => {
    port.writeTx(caller, bytes);
    return bytes.length;
  };
  const send = (caller: number, fid: number, tx: MemoryTransaction): FfaResult => {
    const n = withTx(caller, encodeTransaction(tx));
    return call(caller, regs(fid, n, n));
  };
  const retrieve = (caller: number, tx: MemoryTransaction): FfaResult => {
    const n = withTx(caller, encodeTransaction(tx));
    return call(caller, regs(FFA_MEM_RETRIEVE_REQ_32, n, n));
  };
  const relinquish = (caller: number, handle: bigint, endpoints: number[], flags = 0): FfaResult => {
    withTx(caller, encodeRelinquish({ handle, flags, endpoints }));
    return call(caller, regs(FFA_MEM_RELINQUISH));
  };
  const reclaim = (caller: number, handle: bigint, flags = 0): FfaResult => call(caller, regs(FFA_MEM_RECLAIM, ...handleRegs(handle), flags));
  return { ledger, port, call, send, retrieve, relinquish, reclaim, withTx };
}

const fidFor: Record<SendOp, number> = { share: FFA_MEM_SHARE_32, lend: FFA_MEM_LEND_32, donate: FFA_MEM_DONATE_32 };

function handleOf(r: FfaResult): bigint {
  expect(resultFid(r), r.reason).toBe(FFA_SUCCESS_32);
  return (BigInt(wView(r, 3)) << 32n) | BigInt(wView(r, 2));
}

const code = (r: FfaResult): number | null => errorCodeOf(r);

function shareToSp(w: ReturnType<typeof world>, op: SendOp, sender: number, receivers: number[], ranges: Constituent[], access: DataAccess = 'rw'): bigint {
  return handleOf(w.send(sender >= 0x8000 ? sender : NWD, fidFor[op], sendTx(op, sender, receivers, ranges, access)));
}

/** Everything a refused call must leave alone. */
function snapshot(w: ReturnType<typeof world>): string {
  const tables = [...w.port.stage2].map(([id, m]) => [id, [...m].sort()]);
  const rx = [...w.port.endpoints].map(([id, e]) => [id, e.rxState]);
  return JSON.stringify({ ledger: w.ledger.getState(), tables, rx, zeroed: w.port.zeroed.length });
}

describe('memory ABIs over the ledger', () => {
  it('NWd shares with a partition: retrieve maps it in the NS IPA space, relinquish unmaps, the NWd reclaims', () => {
    const w = world();
    const handle = shareToSp(w, 'share', VM1, [SP1], [pages(NS, 2)]);
    expect(w.port.access(SP1, NS)).toBe('none');
    const r = w.retrieve(SP1, retrieveTx('share', VM1, [SP1], handle));
    expect(resultFid(r), r.reason).toBe(FFA_MEM_RETRIEVE_RESP);
    const total = wView(r, 1);
    expect(wView(r, 2)).toBe(total);
    const rx = w.port.release(SP1);
    const resp = decodeTransaction(rx.subarray(0, total), { kind: 'retrieve-response', version: w.port.ffaVersion(SP1), totalLength: total });
    expect(resp.ok).toBe(true);
    if (!resp.ok) return;
    expect(resp.value.tx.handle).toBe(handle);
    expect(resp.value.tx.attributes.security).toBe(1); // Non-secure memory retrieved by a partition
    expect(resp.value.tx.receivers.map((e) => e.receiver)).toEqual([SP1]);
    expect(resp.value.tx.composite?.constituents).toEqual([pages(NS, 2)]);
    expect(w.port.page(SP1, NS + P)).toEqual({ access: 'rw', executable: false, space: 'non-secure' });
    expect(resultFid(w.relinquish(SP1, handle, [SP1]))).toBe(FFA_SUCCESS_32);
    expect(w.port.access(SP1, NS)).toBe('none');
    expect(resultFid(w.reclaim(NWD, handle))).toBe(FFA_SUCCESS_32);
    expect(w.ledger.handles()).toEqual([]);
  });

  it('SP-to-SP lend: the lender loses its pages until the reclaim, the borrower maps them in the secure space', () => {
    const w = world();
    const handle = shareToSp(w, 'lend', SP1, [SP2], [pages(SEC1, 2)]);
    expect(w.port.access(SP1, SEC1)).toBe('none');
    expect(w.port.access(SP1, SEC1 + 2n * P)).toBe('rw');
    expect(resultFid(w.retrieve(SP2, retrieveTx('lend', SP1, [SP2], handle, 'ro')))).toBe(FFA_MEM_RETRIEVE_RESP);
    expect(w.port.page(SP2, SEC1)).toEqual({ access: 'ro', executable: false, space: 'secure' });
    expect(code(w.reclaim(SP1, handle))).toBe(DENIED); // still borrowed
    expect(resultFid(w.relinquish(SP2, handle, [SP2]))).toBe(FFA_SUCCESS_32);
    expect(w.port.access(SP2, SEC1)).toBe('none');
    expect(resultFid(w.reclaim(SP1, handle))).toBe(FFA_SUCCESS_32);
    expect(w.port.page(SP1, SEC1 + P)).toEqual({ access: 'rw', executable: false, space: 'secure' });
  });

  it('a sole borrower of a lend granted execute access maps the pages executable', () => {
    const w = world();
    const handle = shareToSp(w, 'lend', SP1, [SP2], [pages(SEC1, 1)]);
    const req = retrieveTx('lend', SP1, [SP2], handle);
    req.receivers[0]!.permissions = { dataAccess: FFA_DATA_ACCESS_RO, instructionAccess: FFA_INSTRUCTION_ACCESS_X };
    expect(resultFid(w.retrieve(SP2, req))).toBe(FFA_MEM_RETRIEVE_RESP);
    expect(w.port.page(SP2, SEC1)).toEqual({ access: 'ro', executable: true, space: 'secure' });
  });

  it('a partition cannot make Non-secure memory executable for itself', () => {
    const w = world();
    const handle = shareToSp(w, 'lend', VM1, [SP1], [pages(NS, 1)]);
    const req = retrieveTx('lend', VM1, [SP1], handle);
    req.receivers[0]!.permissions = { dataAccess: FFA_DATA_ACCESS_RO, instructionAccess: FFA_INSTRUCTION_ACCESS_X };
    const before = snapshot(w);
    expect(code(w.retrieve(SP1, req))).toBe(INVALID_PARAMETERS);
    expect(snapshot(w)).toBe(before);
  });

  it('donate: the borrower owns the pages once its response is complete; a reclaim is DENIED', () => {
    const w = world();
    const handle = shareToSp(w, 'donate', SP1, [SP2], [pages(SEC1, 1)]);
    expect(w.port.access(SP1, SEC1)).toBe('none');
    const req = retrieveTx('donate', SP1, [SP2], handle, 'ro');
    expect(resultFid(w.retrieve(SP2, req))).toBe(FFA_MEM_RETRIEVE_RESP);
    expect(w.ledger.ownerOf(SEC1)).toBe(SP2);
    expect(w.port.access(SP2, SEC1)).toBe(w.ledger.accessOf(SP2, SEC1));
    expect(code(w.reclaim(SP1, handle))).toBe(INVALID_PARAMETERS); // the handle is gone
    expect(w.port.access(SP1, SEC1)).toBe('none');
  });

  it('refuses descriptors by address, a missing or too small TX buffer, with INVALID_PARAMETERS and no change', () => {
    const w = world();
    const tx = encodeTransaction(sendTx('share', VM1, [SP1], [pages(NS, 1)]));
    w.port.writeTx(NWD, tx);
    const before = snapshot(w);
    expect(code(w.call(NWD, regs(FFA_MEM_SHARE_64, tx.length, tx.length, 0x4800_0000n, 1)))).toBe(INVALID_PARAMETERS);
    expect(code(w.call(NWD, regs(FFA_MEM_SHARE_32, tx.length, tx.length + 16)))).toBe(INVALID_PARAMETERS); // fragment > total
    expect(code(w.call(NWD, regs(FFA_MEM_SHARE_32, 8192, 8192)))).toBe(INVALID_PARAMETERS); // past the 4 KiB TX buffer
    w.port.map(NWD, 0);
    expect(code(w.call(NWD, regs(FFA_MEM_SHARE_32, tx.length, tx.length)))).toBe(INVALID_PARAMETERS);
    expect(code(w.call(NWD, regs(FFA_MEM_RETRIEVE_REQ_64, 48, 48)))).toBe(INVALID_PARAMETERS);
    expect(code(w.call(NWD, regs(FFA_MEM_RELINQUISH)))).toBe(INVALID_PARAMETERS);
    expect(snapshot(w).replace(/"rx".*?\]\]/, '')).toBe(before.replace(/"rx".*?\]\]/, ''));
  });

  it('checks the sender and the receivers', () => {
    const w = world();
    const before = snapshot(w);
    // A partition sending as someone else; the NWd sending as a partition.
    expect(code(w.send(SP1, FFA_MEM_SHARE_32, sendTx('share', SP2, [SP3], [pages(SEC2, 1)])))).toBe(DENIED);
    expect(code(w.send(NWD, FFA_MEM_SHARE_32, sendTx('share', SP1, [SP2], [pages(SEC1, 1)])))).toBe(DENIED);
    // A Secure receiver that is no partition; the NWd lending to a VM; the NWd sharing with nobody in the Secure world.
    expect(code(w.send(NWD, FFA_MEM_SHARE_32, sendTx('share', VM1, [0x8009], [pages(NS, 1)])))).toBe(INVALID_PARAMETERS);
    expect(code(w.send(NWD, FFA_MEM_LEND_32, sendTx('lend', VM1, [SP1, 2], [pages(NS, 1)])))).toBe(DENIED);
    expect(code(w.send(NWD, FFA_MEM_SHARE_32, sendTx('share', VM1, [2], [pages(NS, 1)])))).toBe(DENIED);
    // A partition's Secure memory to the Normal world.
    expect(code(w.send(SP1, FFA_MEM_SHARE_32, sendTx('share', SP1, [VM1], [pages(SEC1, 1)])))).toBe(DENIED);
    // Pages the sender does not own.
    expect(code(w.send(SP1, FFA_MEM_LEND_32, sendTx('lend', SP1, [SP2], [pages(SEC2, 1)])))).toBe(DENIED);
    expect(snapshot(w)).toBe(before);
    // The NWd may share with a partition and a VM together (v1.2 mixed borrowers).
    shareToSp(w, 'share', VM1, [SP1, 2], [pages(NS, 1)]);
  });

  it('a partition may lend the Normal world Non-secure memory it was donated', () => {
    const w = world();
    const donated = shareToSp(w, 'donate', VM1, [SP1], [pages(NS, 1)]);
    expect(resultFid(w.retrieve(SP1, retrieveTx('donate', VM1, [SP1], donated)))).toBe(FFA_MEM_RETRIEVE_RESP);
    w.port.release(SP1);
    expect(w.port.page(SP1, NS)).toEqual({ access: 'rw', executable: false, space: 'non-secure' });
    const handle = shareToSp(w, 'lend', SP1, [VM1], [pages(NS, 1)]);
    expect(w.port.access(SP1, NS)).toBe('none');
    // The NWd retrieves for VM1.
    expect(resultFid(w.retrieve(NWD, retrieveTx('lend', SP1, [VM1], handle)))).toBe(FFA_MEM_RETRIEVE_RESP);
    w.port.release(NWD);
    expect(resultFid(w.relinquish(NWD, handle, [VM1]))).toBe(FFA_SUCCESS_32);
    expect(resultFid(w.reclaim(SP1, handle))).toBe(FFA_SUCCESS_32);
    expect(w.port.access(SP1, NS)).toBe('rw');
  });

  it('a retrieve into an RX buffer that is full or unmapped is BUSY and changes nothing', () => {
    const w = world();
    const handle = shareToSp(w, 'share', VM1, [SP1], [pages(NS, 1)]);
    w.port.endpoints.get(SP1)!.rxState = 'full';
    const before = snapshot(w);
    expect(code(w.retrieve(SP1, retrieveTx('share', VM1, [SP1], handle)))).toBe(BUSY);
    expect(snapshot(w)).toBe(before);
    w.port.endpoints.get(SP1)!.rxState = 'unmapped';
    expect(code(w.retrieve(SP1, retrieveTx('share', VM1, [SP1], handle)))).toBe(BUSY);
  });

  it('refuses a fragmented retrieve request, a second retrieve, and more access than granted', () => {
    const w = world();
    const handle = shareToSp(w, 'share', VM1, [SP1], [pages(NS, 1)], 'ro');
    const bytes = encodeTransaction(retrieveTx('share', VM1, [SP1], handle));
    w.port.writeTx(SP1, bytes);
    expect(code(w.call(SP1, regs(FFA_MEM_RETRIEVE_REQ_32, bytes.length + 16, bytes.length)))).toBe(INVALID_PARAMETERS);
    expect(code(w.retrieve(SP1, retrieveTx('share', VM1, [SP1], handle, 'rw')))).toBe(DENIED);
    expect(resultFid(w.retrieve(SP1, retrieveTx('share', VM1, [SP1], handle, 'ro')))).toBe(FFA_MEM_RETRIEVE_RESP);
    w.port.release(SP1);
    expect(code(w.retrieve(SP1, retrieveTx('share', VM1, [SP1], handle, 'ro')))).toBe(DENIED);
  });

  it('NO_MEMORY when the Stage-2 tables cannot grow; nothing changes', () => {
    const w = world();
    w.port.tablesExhausted = true;
    const before = snapshot(w);
    expect(code(w.send(SP1, FFA_MEM_LEND_32, sendTx('lend', SP1, [SP2], [pages(SEC1, 1)])))).toBe(NO_MEMORY);
    expect(snapshot(w)).toBe(before);
    w.port.tablesExhausted = false;
    const handle = shareToSp(w, 'share', VM1, [SP1], [pages(NS, 1)]);
    w.port.tablesExhausted = true;
    const again = snapshot(w);
    expect(code(w.retrieve(SP1, retrieveTx('share', VM1, [SP1], handle)))).toBe(NO_MEMORY);
    expect(snapshot(w)).toBe(again);
  });

  it('never prepares tables for a range the sender does not own (a lend of 2^31 pages is DENIED at once)', () => {
    const w = world();
    const huge = { address: 0x1_0000_0000n, pageCount: 0x7fff_0000 };
    expect(code(w.send(SP1, FFA_MEM_LEND_32, sendTx('lend', SP1, [SP2], [pages(SEC1, 1), huge])))).toBe(DENIED);
    expect(w.port.preparedPages).toBe(0);
  });

  it('NO_MEMORY when the share table is full', () => {
    const w = world();
    for (let i = 0; i < LEDGER_MAX_TRANSACTIONS; i++) shareToSp(w, 'share', VM1, [SP1], [pages(NS + BigInt(i) * P, 1)]);
    expect(code(w.send(NWD, FFA_MEM_SHARE_32, sendTx('share', VM1, [SP1], [pages(NS + 100n * P, 1)])))).toBe(NO_MEMORY);
  });

  it('fragmented both ways: FRAG_TX in, FRAG_RX out, with offsets checked', () => {
    const w = world();
    const ranges = Array.from({ length: 300 }, (_, i) => pages(NS + 2n * BigInt(i) * P, 1));
    const bytes = encodeTransaction(sendTx('lend', VM1, [SP1], ranges));
    expect(bytes.length).toBeGreaterThan(4096);
    const first = 4096 - ((4096 - 80) % 16);
    w.port.writeTx(NWD, bytes.subarray(0, first));
    const r1 = w.call(NWD, regs(FFA_MEM_LEND_32, bytes.length, first));
    expect(resultFid(r1), r1.reason).toBe(FFA_MEM_FRAG_RX);
    const handle = (BigInt(wView(r1, 2)) << 32n) | BigInt(wView(r1, 1));
    expect(wView(r1, 3)).toBe(first);
    expect(wView(r1, 4) >>> 16).toBe(VM1);
    // The transaction cannot be retrieved or reclaimed while incomplete.
    expect(code(w.retrieve(SP1, retrieveTx('lend', VM1, [SP1], handle)))).toBe(INVALID_PARAMETERS);
    expect(code(w.reclaim(NWD, handle))).toBe(INVALID_PARAMETERS);
    const rest = bytes.subarray(first);
    w.port.writeTx(NWD, rest);
    expect(code(w.call(SP1, regs(FFA_MEM_FRAG_TX, ...handleRegs(handle), rest.length, 0)))).toBe(INVALID_PARAMETERS); // SP1 is not the sender
    expect(code(w.call(NWD, regs(FFA_MEM_FRAG_TX, ...handleRegs(handle), rest.length, 1)))).toBe(INVALID_PARAMETERS); // w4[15:0] MBZ
    const r2 = w.call(NWD, regs(FFA_MEM_FRAG_TX, ...handleRegs(handle), rest.length, 0));
    expect(handleOf(r2)).toBe(handle);

    // The retrieve response is larger than a page: RETRIEVE_RESP, then FRAG_RX.
    const r3 = w.retrieve(SP1, retrieveTx('lend', VM1, [SP1], handle));
    expect(resultFid(r3)).toBe(FFA_MEM_RETRIEVE_RESP);
    const total = wView(r3, 1);
    const len1 = wView(r3, 2);
    expect(len1).toBeLessThan(total);
    const part1 = w.port.release(SP1).slice(0, len1);
    expect(w.port.access(SP1, NS)).toBe('rw'); // mapped at the retrieve, as Hafnium
    expect(code(w.relinquish(SP1, handle, [SP1]))).toBe(INVALID_PARAMETERS); // response not fetched
    expect(code(w.call(SP1, regs(FFA_MEM_FRAG_RX, ...handleRegs(handle), len1 + 16, 0)))).toBe(INVALID_PARAMETERS); // wrong offset
    expect(code(w.call(SP1, regs(FFA_MEM_FRAG_RX, ...handleRegs(handle), len1, SP1 << 16)))).toBe(INVALID_PARAMETERS); // a partition names no sender
    w.port.endpoints.get(SP1)!.rxState = 'full';
    expect(code(w.call(SP1, regs(FFA_MEM_FRAG_RX, ...handleRegs(handle), len1, 0)))).toBe(BUSY);
    w.port.release(SP1);
    const r4 = w.call(SP1, regs(FFA_MEM_FRAG_RX, ...handleRegs(handle), len1, 0));
    expect(resultFid(r4), r4.reason).toBe(FFA_MEM_FRAG_TX);
    const len2 = wView(r4, 3);
    expect(len1 + len2).toBe(total);
    const all = new Uint8Array(total);
    all.set(part1);
    all.set(w.port.release(SP1).subarray(0, len2), len1);
    const resp = decodeTransaction(all, { kind: 'retrieve-response', version: w.port.ffaVersion(SP1), totalLength: total });
    expect(resp.ok && resp.value.tx.composite?.constituents.length).toBe(300);
    expect(code(w.call(SP1, regs(FFA_MEM_FRAG_RX, ...handleRegs(handle), total, 0)))).toBe(INVALID_PARAMETERS); // nothing left
    expect(resultFid(w.relinquish(SP1, handle, [SP1]))).toBe(FFA_SUCCESS_32);
    expect(resultFid(w.reclaim(NWD, handle))).toBe(FFA_SUCCESS_32);
  });

  it('a Normal-world borrower with ID 0 (no hypervisor) fetches a fragmented response with FRAG_RX', () => {
    const w = world();
    const ranges = Array.from({ length: 260 }, (_, i) => pages(NS + 2n * BigInt(i) * P, 1));
    /** A send in two fragments (the first as long as a page allows), answered with the handle. */
    const sendInTwo = (caller: number, op: SendOp, tx: MemoryTransaction): bigint => {
      const bytes = encodeTransaction(tx);
      const first = 80 + 251 * 16;
      w.port.writeTx(caller, bytes.subarray(0, first));
      const r1 = w.call(caller, regs(fidFor[op], bytes.length, first));
      expect(resultFid(r1), r1.reason).toBe(FFA_MEM_FRAG_RX);
      const h = (BigInt(wView(r1, 2)) << 32n) | BigInt(wView(r1, 1));
      w.port.writeTx(caller, bytes.subarray(first));
      return handleOf(w.call(caller, regs(FFA_MEM_FRAG_TX, ...handleRegs(h), bytes.length - first, 0)));
    };
    /** A retrieve whose response comes in two fragments, both fetched. */
    const retrieveInTwo = (caller: number, req: MemoryTransaction, handle: bigint): void => {
      const r = w.retrieve(caller, req);
      expect(resultFid(r), r.reason).toBe(FFA_MEM_RETRIEVE_RESP);
      w.port.release(caller);
      const f = w.call(caller, regs(FFA_MEM_FRAG_RX, ...handleRegs(handle), wView(r, 2), 0));
      expect(resultFid(f), f.reason).toBe(FFA_MEM_FRAG_TX);
      expect(wView(r, 2) + wView(f, 3)).toBe(wView(r, 1));
      w.port.release(caller);
    };
    const donated = sendInTwo(NWD, 'donate', sendTx('donate', VM1, [SP1], ranges));
    retrieveInTwo(SP1, retrieveTx('donate', VM1, [SP1], donated), donated);
    expect(w.ledger.ownerOf(NS)).toBe(SP1);
    expect(w.port.access(SP1, NS + 2n * 259n * P)).toBe('rw');
    const lent = sendInTwo(SP1, 'lend', sendTx('lend', SP1, [NWD], ranges));
    expect(w.port.access(SP1, NS)).toBe('none');
    retrieveInTwo(NWD, retrieveTx('lend', SP1, [NWD], lent), lent);
    expect(resultFid(w.relinquish(NWD, lent, [NWD]))).toBe(FFA_SUCCESS_32);
    expect(resultFid(w.reclaim(SP1, lent))).toBe(FFA_SUCCESS_32);
    expect(w.port.access(SP1, NS)).toBe('rw');
  });

  it('answers the hypervisor retrieve request with the whole transaction, only from the Normal world', () => {
    const w = world();
    const handle = shareToSp(w, 'lend', VM1, [SP1, SP2], [pages(NS, 3)]);
    const hyp = new Uint8Array(headerSize('v1.1'));
    new DataView(hyp.buffer).setBigUint64(HEADER_HANDLE, handle, true);
    w.port.writeTx(NWD, hyp);
    const r = w.call(NWD, regs(FFA_MEM_RETRIEVE_REQ_32, hyp.length, hyp.length));
    expect(resultFid(r), r.reason).toBe(FFA_MEM_RETRIEVE_RESP);
    const resp = decodeTransaction(w.port.release(NWD).subarray(0, wView(r, 1)), { kind: 'retrieve-response', version: w.port.ffaVersion(NWD), totalLength: wView(r, 1) });
    expect(resp.ok && resp.value.tx.receivers.map((e) => e.receiver)).toEqual([SP1, SP2]);
    expect(resp.ok && resp.value.tx.attributes.security).toBe(0);
    w.port.writeTx(SP1, hyp);
    expect(code(w.call(SP1, regs(FFA_MEM_RETRIEVE_REQ_32, hyp.length, hyp.length)))).toBe(INVALID_PARAMETERS);
    new DataView(hyp.buffer).setBigUint64(16, 5n, true); // a tag
    w.port.writeTx(NWD, hyp);
    expect(code(w.call(NWD, regs(FFA_MEM_RETRIEVE_REQ_32, hyp.length, hyp.length)))).toBe(INVALID_PARAMETERS);
    // pKVM's sequence: the request, then the reclaim.
    expect(resultFid(w.reclaim(NWD, handle))).toBe(FFA_SUCCESS_32);
  });

  it('relinquish: one endpoint, the caller, no clearing of shared memory', () => {
    const w = world();
    const handle = shareToSp(w, 'share', VM1, [SP1, SP2], [pages(NS, 1)]);
    expect(resultFid(w.retrieve(SP1, retrieveTx('share', VM1, [SP1, SP2], handle)))).toBe(FFA_MEM_RETRIEVE_RESP);
    w.port.release(SP1);
    const before = snapshot(w);
    expect(code(w.relinquish(SP1, handle, [SP1, SP2]))).toBe(INVALID_PARAMETERS);
    expect(code(w.relinquish(SP1, handle, [SP2]))).toBe(INVALID_PARAMETERS);
    expect(code(w.relinquish(SP1, handle, [SP1], FFA_MEMORY_REGION_FLAG_CLEAR))).toBe(INVALID_PARAMETERS);
    expect(code(w.relinquish(SP1, handle, [SP1], 1 << 5))).toBe(INVALID_PARAMETERS);
    expect(code(w.relinquish(SP2, handle, [SP2]))).toBe(INVALID_PARAMETERS); // never retrieved
    expect(snapshot(w)).toBe(before);
  });

  it('relinquish with the clear flag: only the last holder zeroes; memory granted read-only cannot be zeroed', () => {
    const w = world();
    const both = shareToSp(w, 'lend', SP1, [SP2, SP3], [pages(SEC1, 1)]);
    for (const sp of [SP2, SP3]) {
      expect(resultFid(w.retrieve(sp, retrieveTx('lend', SP1, [SP2, SP3], both)))).toBe(FFA_MEM_RETRIEVE_RESP);
      w.port.release(sp);
    }
    expect(resultFid(w.relinquish(SP2, both, [SP2], FFA_MEMORY_REGION_FLAG_CLEAR))).toBe(FFA_SUCCESS_32);
    expect(w.port.zeroed).toEqual([]); // SP3 still holds it
    expect(resultFid(w.relinquish(SP3, both, [SP3], FFA_MEMORY_REGION_FLAG_CLEAR))).toBe(FFA_SUCCESS_32);
    expect(w.port.zeroed).toEqual([pages(SEC1, 1)]);
    const ro = shareToSp(w, 'lend', SP1, [SP2], [pages(SEC1 + P, 1)], 'ro');
    expect(resultFid(w.retrieve(SP2, retrieveTx('lend', SP1, [SP2], ro, 'ro')))).toBe(FFA_MEM_RETRIEVE_RESP);
    const before = snapshot(w);
    expect(code(w.relinquish(SP2, ro, [SP2], FFA_MEMORY_REGION_FLAG_CLEAR))).toBe(DENIED);
    expect(snapshot(w)).toBe(before);
    // Lent read-write but retrieved read-only: the borrower may not write it, so it may not zero it either.
    const rw = shareToSp(w, 'lend', SP1, [SP3], [pages(SEC1 + 2n * P, 1)], 'rw');
    expect(resultFid(w.retrieve(SP3, retrieveTx('lend', SP1, [SP3], rw, 'ro')))).toBe(FFA_MEM_RETRIEVE_RESP);
    const held = snapshot(w);
    expect(code(w.relinquish(SP3, rw, [SP3], FFA_MEMORY_REGION_FLAG_CLEAR))).toBe(DENIED);
    expect(snapshot(w)).toBe(held);
    expect(resultFid(w.relinquish(SP3, rw, [SP3]))).toBe(FFA_SUCCESS_32);
  });

  it('reclaim: flags checked, only the sender, memory zeroed when asked', () => {
    const w = world();
    const handle = shareToSp(w, 'lend', SP1, [SP2], [pages(SEC1, 2)]);
    expect(code(w.reclaim(SP1, handle, 4))).toBe(INVALID_PARAMETERS);
    expect(code(w.reclaim(SP2, handle))).toBe(INVALID_PARAMETERS);
    expect(code(w.reclaim(NWD, handle))).toBe(INVALID_PARAMETERS);
    expect(resultFid(w.reclaim(SP1, handle, FFA_MEMORY_REGION_FLAG_CLEAR))).toBe(FFA_SUCCESS_32);
    expect(w.port.zeroed).toEqual([pages(SEC1, 2)]);
    expect(w.port.access(SP1, SEC1)).toBe('rw');
    const shared = shareToSp(w, 'share', SP1, [SP2], [pages(SEC1 + 4n * P, 1)]);
    expect(resultFid(w.reclaim(SP1, shared, FFA_MEMORY_REGION_FLAG_CLEAR))).toBe(FFA_SUCCESS_32); // a share too, as Hafnium
    expect(w.port.zeroed).toEqual([pages(SEC1, 2), pages(SEC1 + 4n * P, 1)]);
  });

  it('a lend with the clear flag zeroes the pages at the send', () => {
    const w = world();
    const tx = sendTx('lend', SP1, [SP2], [pages(SEC1, 1)]);
    tx.flags = FFA_MEMORY_REGION_FLAG_CLEAR;
    handleOf(w.send(SP1, FFA_MEM_LEND_64, tx));
    expect(w.port.zeroed).toEqual([pages(SEC1, 1)]);
  });

  it('reads the caller\'s version for the layout: a v1.2 caller gets a v1.2 response', () => {
    const w = world();
    w.port.map(SP1, 1, FFA_VERSION_1_2);
    const handle = shareToSp(w, 'share', VM1, [SP1], [pages(NS, 1)]);
    const r = w.retrieve(SP1, retrieveTx('share', VM1, [SP1], handle));
    expect(resultFid(r), r.reason).toBe(FFA_MEM_RETRIEVE_RESP);
    const resp = decodeTransaction(w.port.release(SP1).subarray(0, wView(r, 1)), { kind: 'retrieve-response', version: FFA_VERSION_1_2, totalLength: wView(r, 1) });
    expect(resp.ok && resp.value.tx.layout).toBe('v1.2');
    expect(resp.ok && resp.value.tx.receivers[0]?.permissions.instructionAccess).toBe(FFA_INSTRUCTION_ACCESS_NX);
  });

  it('other calls are NOT_SUPPORTED; an unknown caller INVALID_PARAMETERS', () => {
    const w = world();
    expect(isMemoryCall(FFA_MEM_FRAG_RX)).toBe(true);
    expect(isMemoryCall(FFA_ID_GET)).toBe(false);
    expect(code(w.call(SP1, regs(FFA_ID_GET)))).toBe(NOT_SUPPORTED);
    expect(code(w.call(0x8009, regs(FFA_MEM_RECLAIM)))).toBe(INVALID_PARAMETERS);
  });
});

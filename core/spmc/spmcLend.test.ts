// Partition-to-partition memory sharing on a whole machine (memoryAbi over
// the SPMC's port, real partition code making the calls): SP1 lends a page
// of its own secure memory to SP2. The page leaves SP1's Secure stage-2
// table at the lend, enters SP2's (read-write, never executable) at its
// retrieve, a reclaim while SP2 holds it is DENIED, SP2 relinquishes
// (unmapped), SP1 reclaims (mapped again read-write); a donate moves the page
// for good; a partition lends the Normal world memory it was donated. The
// tables are checked by walking them in secure RAM.
import { describe, expect, it } from 'vitest';
import * as F from '../ffa/functionIds.js';
import { encodeTransaction } from '../ffa/memory/transaction.js';
import { encodeRelinquish } from '../ffa/memory/relinquish.js';
import { handleWords } from '../ffa/result.js';
import { makeHandle } from '../ffa/memory/handle.js';
import { bootSpmcMachine } from './spmcTesting.js';
import { errorOf, nsProgram, nsResult, type NsCall } from './nsCalls.js';
import { ffaCall, testPartitionPackage } from './testPartition.js';
import { pages, retrieveTx, sendTx } from './ledgerTesting.js';
import { lookup } from './stage2Table.js';
import { tableMemory } from './partitionLoader.js';
import { PageHeap } from './pageHeap.js';
import type { Spmc } from './spmc.js';
import type { Machine } from '../machine.js';

const SP1 = 0x8001;
const SP2 = 0x8002;
const BASE1 = 0x0e40_0000; // the test partitions' default load addresses
const BASE2 = 0x0e50_0000;
const PAGE = BigInt(BASE1 + 0xc000); // a page of SP1's image it does not otherwise use
const HANDLE = makeHandle(1n, 'spmc');
const [LO, HI] = handleWords(HANDLE);
const lend = encodeTransaction(sendTx('lend', SP1, [SP2], [pages(PAGE, 1)]));
const retrieve = encodeTransaction(retrieveTx('lend', SP1, [SP2], HANDLE));
const relinquish = encodeRelinquish({ handle: HANDLE, flags: 0, endpoints: [SP2] });
/** A direct request asking partition `sp` (command 7) to make FF-A call `fid` with x1-x3; it answers x3-x7 = the call's x0-x4. */
const call = (sp: number, fid: number, ...a: (number | bigint)[]): NsCall => ({ fid: F.FFA_MSG_SEND_DIRECT_REQ_64, args: [sp, 0, 7, fid, ...a] });
/** The call's x0-x4 as the partition reported them. */
const answer = (m: Machine, i: number): bigint[] => nsResult(m, i).slice(3, 8);

function secureMapping(m: Machine, spmc: Spmc, sp: number, ipa: bigint) {
  return lookup(tableMemory(m), new PageHeap(0, 0, { heapUsed: 0 }, () => {}), Number(spmc.partition(sp)!.s2Secure), Number(ipa));
}

describe('SPMC partition-to-partition lend (whole machine)', () => {
  it('the page moves from the lender\'s Secure stage 2 to the borrower\'s and back', () => {
    const sp1 = testPartitionPackage({ id: SP1, init: ffaCall(F.FFA_RXTX_MAP_64, [BASE1 + 0xa000, BASE1 + 0xb000, 1]), data: [{ offset: 0xa000, bytes: lend }] });
    const sp2 = testPartitionPackage({
      id: SP2,
      init: ffaCall(F.FFA_RXTX_MAP_64, [BASE2 + 0xa000, BASE2 + 0xb000, 1]),
      data: [{ offset: 0xa000, bytes: retrieve }, { offset: 0xd000, bytes: relinquish }],
    });
    const { m, spmc } = bootSpmcMachine(nsProgram([
      call(SP1, F.FFA_MEM_LEND_32, lend.length, lend.length), // 0
      call(SP2, F.FFA_MEM_RETRIEVE_REQ_32, retrieve.length, retrieve.length), // 1
      call(SP1, F.FFA_MEM_RECLAIM, LO, HI, 0), // 2: DENIED, SP2 holds it
      call(SP2, F.FFA_RX_RELEASE), // 3
      call(SP2, F.FFA_RXTX_UNMAP), // 4
      call(SP2, F.FFA_RXTX_MAP_64, BASE2 + 0xd000, BASE2 + 0xb000, 1), // 5
      call(SP2, F.FFA_MEM_RELINQUISH), // 6
      call(SP1, F.FFA_MEM_RECLAIM, LO, HI, 0), // 7
    ]), [sp1, sp2]);
    expect(m.run(5_000_000)).toEqual({ kind: 'system-off' });
    expect(answer(m, 0).slice(0, 4), spmc.s.log.join(' / ')).toEqual([BigInt(F.FFA_SUCCESS_32), 0n, LO, HI]);
    expect(answer(m, 1)[0], spmc.s.log.join(' / ')).toBe(BigInt(F.FFA_MEM_RETRIEVE_RESP));
    expect(errorOf(answer(m, 2))).toBe(-6);
    for (const i of [3, 4, 5, 6, 7]) expect(answer(m, i)[0], `call ${i}: ${spmc.s.log.join(' / ')}`).toBe(BigInt(F.FFA_SUCCESS_32));
    // After the run: SP2 no longer maps the page, SP1 does again (read-write, as the ledger says), the handle is gone.
    expect(secureMapping(m, spmc, SP2, PAGE)).toBe(null);
    expect(secureMapping(m, spmc, SP1, PAGE)).toEqual({ pa: Number(PAGE), read: true, write: true, execute: false, device: false });
    expect(spmc.ledger.handles()).toEqual([]);
    expect(spmc.ledger.accessOf(SP1, PAGE)).toBe('rw');
  });

  it('while lent: out of the lender\'s table, in the borrower\'s read-write and not executable', () => {
    const sp1 = testPartitionPackage({ id: SP1, init: ffaCall(F.FFA_RXTX_MAP_64, [BASE1 + 0xa000, BASE1 + 0xb000, 1]), data: [{ offset: 0xa000, bytes: lend }] });
    const sp2 = testPartitionPackage({ id: SP2, init: ffaCall(F.FFA_RXTX_MAP_64, [BASE2 + 0xa000, BASE2 + 0xb000, 1]), data: [{ offset: 0xa000, bytes: retrieve }] });
    const { m, spmc } = bootSpmcMachine(nsProgram([
      call(SP1, F.FFA_MEM_LEND_32, lend.length, lend.length),
      call(SP2, F.FFA_MEM_RETRIEVE_REQ_32, retrieve.length, retrieve.length),
    ]), [sp1, sp2]);
    expect(m.run(5_000_000)).toEqual({ kind: 'system-off' });
    expect(answer(m, 1)[0], spmc.s.log.join(' / ')).toBe(BigInt(F.FFA_MEM_RETRIEVE_RESP));
    expect(secureMapping(m, spmc, SP1, PAGE)).toBe(null);
    expect(secureMapping(m, spmc, SP2, PAGE)).toEqual({ pa: Number(PAGE), read: true, write: true, execute: false, device: false });
    expect(spmc.ledger.accessOf(SP2, PAGE)).toBe('rw');
  });

  it('a donate is irrevocable: the page is SP2\'s once retrieved, the handle gone, SP1\'s reclaim refused', () => {
    const donate = encodeTransaction(sendTx('donate', SP1, [SP2], [pages(PAGE, 1)]));
    const take = encodeTransaction(retrieveTx('donate', SP1, [SP2], HANDLE));
    const sp1 = testPartitionPackage({ id: SP1, init: ffaCall(F.FFA_RXTX_MAP_64, [BASE1 + 0xa000, BASE1 + 0xb000, 1]), data: [{ offset: 0xa000, bytes: donate }] });
    const sp2 = testPartitionPackage({ id: SP2, init: ffaCall(F.FFA_RXTX_MAP_64, [BASE2 + 0xa000, BASE2 + 0xb000, 1]), data: [{ offset: 0xa000, bytes: take }] });
    const { m, spmc } = bootSpmcMachine(nsProgram([
      call(SP1, F.FFA_MEM_DONATE_32, donate.length, donate.length),
      call(SP2, F.FFA_MEM_RETRIEVE_REQ_32, take.length, take.length),
      call(SP1, F.FFA_MEM_RECLAIM, LO, HI, 0),
    ]), [sp1, sp2]);
    expect(m.run(5_000_000)).toEqual({ kind: 'system-off' });
    const log = spmc.s.log.join(' / ');
    expect(answer(m, 0)[0], log).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(answer(m, 1)[0], log).toBe(BigInt(F.FFA_MEM_RETRIEVE_RESP));
    expect(errorOf(answer(m, 2))).toBe(-2); // the handle went with the donate
    expect(spmc.ledger.ownerOf(PAGE)).toBe(SP2);
    expect(secureMapping(m, spmc, SP1, PAGE)).toBe(null);
    expect(secureMapping(m, spmc, SP2, PAGE)).toEqual({ pa: Number(PAGE), read: true, write: true, execute: false, device: false });
  });

  it('SP to the Normal world: memory donated to SP1 is lent back, retrieved, relinquished and reclaimed', () => {
    const NS_PAGE = 0x4060_0000n;
    const TX = 0x4050_0000;
    const RX = 0x4050_1000;
    const STAGING = 0x4052_0000; // descriptors the Normal world copies into its TX buffer when it needs them
    const DONATED = makeHandle(1n, 'spmc');
    const LENT = makeHandle(2n, 'spmc');
    const [dLo, dHi] = handleWords(DONATED);
    const [lLo, lHi] = handleWords(LENT);
    const donate = encodeTransaction(sendTx('donate', 0, [SP1], [pages(NS_PAGE, 1)]));
    const take = encodeTransaction(retrieveTx('donate', 0, [SP1], DONATED));
    const lendBack = encodeTransaction(sendTx('lend', SP1, [0], [pages(NS_PAGE, 1)]));
    const borrow = encodeTransaction(retrieveTx('lend', SP1, [0], LENT));
    const giveBack = encodeRelinquish({ handle: LENT, flags: 0, endpoints: [0] });
    const copy = (from: number, bytes: number): string => `
  ldr x1, =0x${from.toString(16)}
  ldr x2, =0x${TX.toString(16)}
  mov x3, #${Math.ceil(bytes / 16)}
1:
  ldp x4, x5, [x1], #16
  stp x4, x5, [x2], #16
  subs x3, x3, #1
  b.ne 1b`;
    const sp1 = testPartitionPackage({
      id: SP1,
      init: ffaCall(F.FFA_RXTX_MAP_64, [BASE1 + 0xa000, BASE1 + 0xb000, 1]),
      data: [{ offset: 0xa000, bytes: take }, { offset: 0xd000, bytes: lendBack }],
    });
    const { m, spmc } = bootSpmcMachine(nsProgram([
      { fid: F.FFA_RXTX_MAP_64, args: [TX, RX, 1] }, // 0
      { fid: F.FFA_MEM_DONATE_32, args: [donate.length, donate.length] }, // 1
      call(SP1, F.FFA_MEM_RETRIEVE_REQ_32, take.length, take.length), // 2: SP1 owns the page now
      call(SP1, F.FFA_RXTX_UNMAP), // 3
      call(SP1, F.FFA_RXTX_MAP_64, BASE1 + 0xd000, BASE1 + 0xe000, 1), // 4
      call(SP1, F.FFA_MEM_LEND_32, lendBack.length, lendBack.length), // 5: to the Normal world
      { fid: F.FFA_MEM_RETRIEVE_REQ_32, args: [borrow.length, borrow.length], before: copy(STAGING, borrow.length) }, // 6
      { fid: F.FFA_RX_RELEASE }, // 7
      { fid: F.FFA_MEM_RELINQUISH, before: copy(STAGING + 0x100, giveBack.length) }, // 8
      call(SP1, F.FFA_MEM_RECLAIM, lLo, lHi, 0), // 9
    ]), [sp1]);
    m.core.writePhys(TX, donate);
    m.core.writePhys(STAGING, borrow);
    m.core.writePhys(STAGING + 0x100, giveBack);
    expect(m.run(5_000_000)).toEqual({ kind: 'system-off' });
    const log = spmc.s.log.join(' / ');
    expect(nsResult(m, 1).slice(0, 4), log).toEqual([BigInt(F.FFA_SUCCESS_32), 0n, dLo, dHi]);
    expect(answer(m, 2)[0], log).toBe(BigInt(F.FFA_MEM_RETRIEVE_RESP));
    expect(answer(m, 5).slice(0, 4), log).toEqual([BigInt(F.FFA_SUCCESS_32), 0n, lLo, lHi]);
    expect(nsResult(m, 6)[0], log).toBe(BigInt(F.FFA_MEM_RETRIEVE_RESP));
    for (const i of [7, 8]) expect(nsResult(m, i)[0], `call ${i}: ${log}`).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(answer(m, 9)[0], log).toBe(BigInt(F.FFA_SUCCESS_32));
    // SP1 owns the page and maps it read-write again, in its Non-secure IPA space.
    expect(spmc.ledger.ownerOf(NS_PAGE)).toBe(SP1);
    const ns = lookup(tableMemory(m), new PageHeap(0, 0, { heapUsed: 0 }, () => {}), Number(spmc.partition(SP1)!.s2NonSecure), Number(NS_PAGE));
    expect(ns).toEqual({ pa: Number(NS_PAGE), read: true, write: true, execute: false, device: false });
  });
});

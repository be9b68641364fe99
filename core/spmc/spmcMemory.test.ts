// Memory sharing through the SPMC on a whole machine (helper B's memoryAbi
// over this SPMC's port): the Normal world shares a page of its RAM with a
// partition, the partition retrieves it (mapped in its Non-secure IPA space
// table), a reclaim while it holds the page is DENIED, it relinquishes
// (unmapped), the Normal world reclaims.
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
const BASE = 0x0e40_0000;
const TX = 0x4050_0000;
const RX = 0x4050_1000;
const PAGE = 0x4060_0000n;
const HANDLE = makeHandle(1n, 'spmc');
const [LO, HI] = handleWords(HANDLE);
const share = encodeTransaction(sendTx('share', 0, [SP1], [pages(PAGE, 1)]));
const retrieve = encodeTransaction(retrieveTx('share', 0, [SP1], HANDLE));
const relinquish = encodeRelinquish({ handle: HANDLE, flags: 0, endpoints: [SP1] });
const spCall = (fid: number, ...a: (number | bigint)[]): NsCall => ({ fid: F.FFA_MSG_SEND_DIRECT_REQ_64, args: [SP1, 0, 7, fid, ...a] });

function machine(calls: NsCall[]): { m: Machine; spmc: Spmc } {
  const sp = testPartitionPackage({
    id: SP1,
    init: ffaCall(F.FFA_RXTX_MAP_64, [BASE + 0xa000, BASE + 0xb000, 1]),
    data: [{ offset: 0xa000, bytes: retrieve }, { offset: 0xd000, bytes: relinquish }],
  });
  const r = bootSpmcMachine(nsProgram(calls), [sp]);
  r.m.core.writePhys(TX, share);
  return r;
}

function nsMapping(m: Machine, spmc: Spmc, ipa: bigint) {
  const p = spmc.partition(SP1)!;
  return lookup(tableMemory(m), new PageHeap(0, 0, { heapUsed: 0 }, () => {}), Number(p.s2NonSecure), Number(ipa));
}

const setup: NsCall[] = [
  { fid: F.FFA_RXTX_MAP_64, args: [TX, RX, 1] },
  { fid: F.FFA_MEM_SHARE_32, args: [share.length, share.length] },
  spCall(F.FFA_MEM_RETRIEVE_REQ_32, retrieve.length, retrieve.length),
];

describe('SPMC memory sharing (whole machine)', () => {
  it('a Normal-world share retrieved by a partition is mapped read-write in its Non-secure IPA space', () => {
    const { m, spmc } = machine(setup);
    expect(m.run(3_000_000)).toEqual({ kind: 'system-off' });
    expect(nsResult(m, 1).slice(0, 4)).toEqual([BigInt(F.FFA_SUCCESS_32), 0n, LO, HI]);
    const r = nsResult(m, 2);
    expect(r[3], `${r[5]} ${spmc.s.log.join(" / ")}`).toBe(BigInt(F.FFA_MEM_RETRIEVE_RESP));
    expect(r[4]).toBe(r[5]); // one fragment
    expect(nsMapping(m, spmc, PAGE)).toEqual({ pa: Number(PAGE), read: true, write: true, execute: false, device: false });
    expect(spmc.ledger.accessOf(SP1, PAGE)).toBe('rw');
  });

  it('reclaim is DENIED while the partition holds the page; after its relinquish (unmapped) the Normal world reclaims', () => {
    const { m, spmc } = machine([
      ...setup,
      { fid: F.FFA_MEM_RECLAIM, args: [LO, HI, 0] },
      spCall(F.FFA_RX_RELEASE),
      spCall(F.FFA_RXTX_UNMAP),
      spCall(F.FFA_RXTX_MAP_64, BASE + 0xd000, BASE + 0xb000, 1),
      spCall(F.FFA_MEM_RELINQUISH),
      { fid: F.FFA_MEM_RECLAIM, args: [LO, HI, 0] },
      { fid: F.FFA_MEM_RECLAIM, args: [LO, HI, 0] },
    ]);
    expect(m.run(3_000_000)).toEqual({ kind: 'system-off' });
    expect(errorOf(nsResult(m, 3))).toBe(-6);
    for (const i of [4, 5, 6, 7]) expect(nsResult(m, i)[3], `call ${i}`).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(nsResult(m, 8)[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(errorOf(nsResult(m, 9))).toBe(-2); // the handle is gone
    expect(nsMapping(m, spmc, PAGE)).toBe(null);
    expect(spmc.ledger.handles()).toEqual([]);
  });
});

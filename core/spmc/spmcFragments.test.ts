// Fragmented memory transactions on a whole machine (memoryAbi over the
// SPMC's port, real Normal-world and partition code making the calls): the
// Normal world shares 260 pages, one constituent each, so the descriptor
// needs FFA_MEM_FRAG_TX and SP1's retrieve response FFA_MEM_FRAG_RX; SP1
// relinquishes, the Normal world reclaims. A snapshot taken while the
// share is half sent (and one while the response is half fetched) restores
// and continues to the same trace digest.
import { describe, expect, it } from 'vitest';
import * as F from '../ffa/functionIds.js';
import { encodeTransaction } from '../ffa/memory/transaction.js';
import { encodeRelinquish } from '../ffa/memory/relinquish.js';
import { handleWords } from '../ffa/result.js';
import { makeHandle } from '../ffa/memory/handle.js';
import type { Machine } from '../machine.js';
import { restoreInto, saveFull } from '../../snapshots/index.js';
import { bootSpmcMachine } from './spmcTesting.js';
import { errorOf, nsProgram, nsResult, type NsCall } from './nsCalls.js';
import { ffaCall, testPartitionPackage } from './testPartition.js';
import { pages, retrieveTx, sendTx } from './ledgerTesting.js';
import { SPMC_COMPONENT } from './spmc.js';
import type { MemoryLedgerState } from './memoryLedger.js';

const SP1 = 0x8001;
const BASE = 0x0e40_0000;
const TX = 0x4050_0000;
const RX = 0x4050_1000;
const REST = 0x4052_0000; // where the test leaves the second fragment for the Normal world to copy into its TX buffer
const FIRST_PAGE = 0x4100_0000n;
const COUNT = 260;
const HANDLE = makeHandle(1n, 'spmc');
const [LO, HI] = handleWords(HANDLE);
const share = encodeTransaction(sendTx('share', 0, [SP1], Array.from({ length: COUNT }, (_, i) => pages(FIRST_PAGE + BigInt(i) * 0x1000n, 1))));
const FIRST = 80 + 251 * 16; // header, one EMAD, the composite and as many constituents as a page holds
const rest = share.subarray(FIRST);
const retrieve = encodeTransaction(retrieveTx('share', 0, [SP1], HANDLE));
const relinquish = encodeRelinquish({ handle: HANDLE, flags: 0, endpoints: [SP1] });
const call = (fid: number, ...a: (number | bigint)[]): NsCall => ({ fid: F.FFA_MSG_SEND_DIRECT_REQ_64, args: [SP1, 0, 7, fid, ...a] });
/** Copies the second fragment into the TX buffer (16 bytes a step). */
const COPY_REST = `
  ldr x1, =0x${REST.toString(16)}
  ldr x2, =0x${TX.toString(16)}
  mov x3, #${rest.length / 16}
1:
  ldp x4, x5, [x1], #16
  stp x4, x5, [x2], #16
  subs x3, x3, #1
  b.ne 1b`;

function build(): Machine {
  const sp = testPartitionPackage({
    id: SP1,
    init: ffaCall(F.FFA_RXTX_MAP_64, [BASE + 0xa000, BASE + 0xb000, 1]),
    data: [{ offset: 0xa000, bytes: retrieve }, { offset: 0xd000, bytes: relinquish }],
  });
  const { m } = bootSpmcMachine(nsProgram([
    { fid: F.FFA_RXTX_MAP_64, args: [TX, RX, 1] }, // 0
    { fid: F.FFA_MEM_SHARE_32, args: [share.length, FIRST] }, // 1: FRAG_RX
    { fid: F.FFA_MEM_FRAG_TX, args: [LO, HI, rest.length, 0], before: COPY_REST }, // 2: the handle
    call(F.FFA_MEM_RETRIEVE_REQ_32, retrieve.length, retrieve.length), // 3: RETRIEVE_RESP, first fragment
    call(F.FFA_MEM_RELINQUISH), // 4: refused, the response is not all fetched (and the TX holds the request)
    call(F.FFA_RX_RELEASE), // 5
    call(F.FFA_MEM_FRAG_RX, LO, HI, 4096), // 6: FRAG_TX, the rest
    call(F.FFA_RX_RELEASE), // 7
    call(F.FFA_RXTX_UNMAP), // 8
    call(F.FFA_RXTX_MAP_64, BASE + 0xd000, BASE + 0xb000, 1), // 9
    call(F.FFA_MEM_RELINQUISH), // 10
    { fid: F.FFA_MEM_RECLAIM, args: [LO, HI, 0] }, // 11
  ]), [sp], { ramBytes: 32 << 20 });
  m.core.writePhys(TX, share.subarray(0, FIRST));
  m.core.writePhys(REST, rest);
  return m;
}

const ledgerOf = (m: Machine): MemoryLedgerState => (m.component(SPMC_COMPONENT).getState() as { ledger: MemoryLedgerState }).ledger;

describe('SPMC fragmented memory transactions (whole machine)', () => {
  it('FRAG_TX in, FRAG_RX out, then relinquish and reclaim', () => {
    const m = build();
    expect(m.run(20_000_000)).toEqual({ kind: 'system-off' });
    const log = (m.component(SPMC_COMPONENT).getState() as { log: string[] }).log.join(' / ');
    expect(nsResult(m, 1).slice(0, 4), log).toEqual([BigInt(F.FFA_MEM_FRAG_RX), LO, HI, BigInt(FIRST)]);
    expect(nsResult(m, 2).slice(0, 4), log).toEqual([BigInt(F.FFA_SUCCESS_32), 0n, LO, HI]);
    const resp = nsResult(m, 3).slice(3, 8); // the partition's x0-x4
    expect(resp[0], log).toBe(BigInt(F.FFA_MEM_RETRIEVE_RESP));
    expect(resp[1]).toBeGreaterThan(4096n); // the same 260 constituents, in the partition's layout
    expect(resp[2]).toBe(4096n);
    expect(errorOf(nsResult(m, 4).slice(3, 8))).toBe(-2);
    const frag = nsResult(m, 6).slice(3, 8);
    expect(frag.slice(0, 4), log).toEqual([BigInt(F.FFA_MEM_FRAG_TX), LO, HI, resp[1]! - 4096n]);
    for (const i of [7, 8, 9, 10]) expect(nsResult(m, i)[3], `call ${i}: ${log}`).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(nsResult(m, 11)[0], log).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(ledgerOf(m).transactions).toEqual([]);
  });

  it('a snapshot while the share is half sent, or the response half fetched, continues to the same digest', () => {
    const whole = build();
    expect(whole.run(20_000_000)).toEqual({ kind: 'system-off' });
    const total = whole.instructions;
    // The first instruction counts (probing in steps) at which the share is half sent, and at which the response is half fetched.
    const probe = build();
    let halfSent = -1;
    let halfFetched = -1;
    for (let at = 5; at < total && halfFetched < 0; at += 5) {
      probe.run(at);
      const t = ledgerOf(probe).transactions[0];
      if (halfSent < 0 && t && t.missingConstituents > 0) halfSent = at;
      const b = t?.borrowers[0];
      if (b && b.responseFragments > b.deliveredFragments) halfFetched = at;
    }
    expect(halfSent).toBeGreaterThan(0);
    expect(halfFetched).toBeGreaterThan(halfSent);
    for (const at of [halfSent, halfFetched]) {
      const a = build();
      expect(a.run(at).kind).toBe('instruction-limit');
      const file = saveFull(a).bytes;
      const b = build();
      restoreInto(b, file);
      expect(b.run(20_000_000)).toEqual({ kind: 'system-off' });
      expect(b.trace.digest(), `snapshot at ${at}`).toBe(whole.trace.digest());
      expect(nsResult(b, 11)[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    }
  });
});

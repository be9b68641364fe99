// VM-to-VM transactions larger than one buffer, through the proxy's entry
// point with the registers a trapped call would have: a send in FRAG_TX
// fragments and a retrieve response fetched with FRAG_RX.
import { describe, expect, it } from 'vitest';
import * as F from '../../ffa/functionIds.js';
import { BUSY, INVALID_PARAMETERS } from '../../ffa/errors.js';
import { decodeTransaction } from '../../ffa/memory/decode.js';
import { fragmentLengths } from '../../ffa/memory/fragments.js';
import { encodeRelinquish } from '../../ffa/memory/relinquish.js';
import { encodeTransaction } from '../../ffa/memory/transaction.js';
import { pages, retrieveTx, sendTx } from '../../spmc/ledgerTesting.js';
import type { Hypervisor } from '../hypervisor.js';
import { hvMachine } from '../testing.js';
import { BORROW_IPA_BASE, pageAt, PAGE_SHARED_BORROWED } from './ownership.js';
import { ffaCall } from './proxy.js';

const MiB = 1 << 20;
const TX = 0x4030_0000;
const RX = 0x4030_1000;

function call(hv: Hypervisor, vm: number, ...x: Array<number | bigint>): bigint[] {
  const regs = hv.m.core.regs(0);
  for (let i = 0; i < 18; i++) regs.setX(i, BigInt.asUintN(64, BigInt(x[i] ?? 0)));
  const v = hv.s.vms[vm]!;
  ffaCall(hv, 0, v, v.vcpus[0]!);
  return Array.from({ length: 8 }, (_, i) => regs.x(i));
}
const toTx = (hv: Hypervisor, vm: number, b: Uint8Array): void => hv.m.core.writePhys(hv.s.ffa.vms[vm]!.rxtx!.txPa, b);
const rxBytes = (hv: Hypervisor, vm: number, n: number): Uint8Array => hv.m.core.readPhys(hv.s.ffa.vms[vm]!.rxtx!.rxPa, n).slice();

describe('FF-A proxy: VM-to-VM fragments', () => {
  it('a 300-page share sent in FRAG_TX fragments, retrieved in FRAG_RX fragments; relinquish only once the whole response is fetched', () => {
    const image = new Uint8Array(16);
    const { hv } = hvMachine({ vms: [0, 1].map(() => ({ numVcpus: 1, ramBytes: 8 * MiB, kernel: image })) });
    for (const vm of [0, 1]) {
      expect(call(hv, vm, F.FFA_VERSION, F.FFA_VERSION_1_1)[0]).toBe(BigInt(F.FFA_VERSION_1_2));
      expect(call(hv, vm, F.FFA_RXTX_MAP_64, TX, RX, 1)[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    }
    // 300 separate pages (every other one from 0x40400000): 4,864 bytes, two fragments of VM 0's 4 KiB TX buffer.
    const ranges = Array.from({ length: 300 }, (_, k) => pages(BigInt(0x4040_0000 + 2 * k * 0x1000), 1));
    const share = sendTx('share', 1, [2], ranges, 'ro');
    const bytes = encodeTransaction(share);
    const lengths = fragmentLengths(share, bytes.length, 0x1000);
    expect(lengths.ok && lengths.value.length).toBe(2);
    if (!lengths.ok) return;
    toTx(hv, 0, bytes.subarray(0, lengths.value[0]));
    const first = call(hv, 0, F.FFA_MEM_SHARE_32, bytes.length, lengths.value[0]!, 0, 0);
    expect(first[0]).toBe(BigInt(F.FFA_MEM_FRAG_RX));
    expect(first[3]).toBe(BigInt(lengths.value[0]!));
    const handle = (first[2]! << 32n) | first[1]!;
    expect(handle >> 63n).toBe(1n);
    // The retrieve cannot start before the send is complete.
    const req = encodeTransaction(retrieveTx('share', 1, [2], handle, 'ro'));
    toTx(hv, 1, req);
    expect(call(hv, 1, F.FFA_MEM_RETRIEVE_REQ_32, req.length, req.length, 0, 0).slice(0, 3)).toEqual([BigInt(F.FFA_ERROR), 0n, BigInt(INVALID_PARAMETERS >>> 0)]);
    toTx(hv, 0, bytes.subarray(lengths.value[0]));
    const done = call(hv, 0, F.FFA_MEM_FRAG_TX, first[1]!, first[2]!, lengths.value[1]!, 0);
    expect(done.slice(0, 4)).toEqual([BigInt(F.FFA_SUCCESS_32), 0n, first[1], first[2]]);

    // VM 1 retrieves: the response (300 constituents) needs two fragments of its RX buffer.
    const resp = call(hv, 1, F.FFA_MEM_RETRIEVE_REQ_32, req.length, req.length, 0, 0);
    expect(resp[0]).toBe(BigInt(F.FFA_MEM_RETRIEVE_RESP));
    const total = Number(resp[1]);
    const firstLen = Number(resp[2]);
    expect(firstLen).toBeLessThan(total);
    const got = new Uint8Array(total);
    got.set(rxBytes(hv, 1, firstLen), 0);
    // The RX buffer is full until released; a relinquish before the whole response is refused.
    expect(call(hv, 1, F.FFA_MEM_FRAG_RX, first[1]!, first[2]!, firstLen, 0).slice(0, 3)).toEqual([BigInt(F.FFA_ERROR), 0n, BigInt(BUSY >>> 0)]);
    expect(call(hv, 1, F.FFA_RX_RELEASE)[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    toTx(hv, 1, encodeRelinquish({ handle, flags: 0, endpoints: [2] }));
    expect(call(hv, 1, F.FFA_MEM_RELINQUISH).slice(0, 3)).toEqual([BigInt(F.FFA_ERROR), 0n, BigInt(INVALID_PARAMETERS >>> 0)]);
    expect(call(hv, 1, F.FFA_MEM_FRAG_RX, first[1]!, first[2]!, 16, 0)[0]).toBe(BigInt(F.FFA_ERROR)); // wrong offset
    const frag = call(hv, 1, F.FFA_MEM_FRAG_RX, first[1]!, first[2]!, firstLen, 0);
    expect(frag.slice(0, 3)).toEqual([BigInt(F.FFA_MEM_FRAG_TX), first[1], first[2]]);
    expect(firstLen + Number(frag[3])).toBe(total);
    got.set(rxBytes(hv, 1, Number(frag[3])), firstLen);
    // The reassembled response: the borrower's view of the 300 pages, read-only.
    const decoded = decodeTransaction(got, { kind: 'retrieve-response', version: F.FFA_VERSION_1_1, totalLength: total });
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const cs = decoded.value.tx.composite!.constituents;
    const vm0 = hv.s.vms[0]!;
    expect(cs).toHaveLength(300);
    expect(cs[1]).toEqual({ address: BigInt(BORROW_IPA_BASE + vm0.backingPa + 0x40_2000 - 0x4000_0000), pageCount: 1 });
    expect(pageAt(hv, hv.s.vms[1]!, Number(cs[299]!.address))).toMatchObject({ state: PAGE_SHARED_BORROWED, s2ap: 1 });
    expect(call(hv, 1, F.FFA_RX_RELEASE)[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    toTx(hv, 1, encodeRelinquish({ handle, flags: 0, endpoints: [2] }));
    expect(call(hv, 1, F.FFA_MEM_RELINQUISH)[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(pageAt(hv, hv.s.vms[1]!, Number(cs[299]!.address))).toBeNull();
    expect(call(hv, 0, F.FFA_MEM_RECLAIM, first[1]!, first[2]!, 0)[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(hv.s.ffa.ledger.transactions).toEqual([]);
  });
});

// Memory a partition sends to a VM with a descriptor too long for one
// buffer, through the proxy in front of the real SPMC (whole machine, real
// guest and partition code). The VM donates 260 pages of its RAM to SP1 (every
// other page, so nothing merges them), one constituent each (4,240 bytes: FFA_MEM_FRAG_TX through the proxy); SP1
// retrieves them (its response in two fragments: FFA_MEM_FRAG_RX) and lends
// them back to the VM read-write in two fragments (FFA_MEM_FRAG_TX). The VM's
// retrieve then takes both paths no other test reaches: the proxy fetches
// the SPMC's response past its first page (FFA_MEM_FRAG_RX naming the VM),
// and delivers it to the VM in two fragments (the VM's FFA_MEM_FRAG_RX).
// The reassembled response names every page at the VM's IPA; the first and
// last pages are mapped read-write and read back; the VM relinquishes and
// SP1 reclaims.
import { describe, expect, it } from 'vitest';
import * as F from '../../ffa/functionIds.js';
import { decodeTransaction } from '../../ffa/memory/decode.js';
import { makeHandle } from '../../ffa/memory/handle.js';
import { encodeRelinquish } from '../../ffa/memory/relinquish.js';
import { encodeTransaction } from '../../ffa/memory/transaction.js';
import { handleWords } from '../../ffa/result.js';
import { Machine } from '../../machine.js';
import { secureColdBoot } from '../../firmware/secureBoot.js';
import { installSpmc, SPMC_BOOT_INFO } from '../../spmc/installSpmc.js';
import { retrieveTx, sendTx } from '../../spmc/ledgerTesting.js';
import { ffaCall, testPartitionPackage } from '../../spmc/testPartition.js';
import { Hypervisor, machineRamFor, type HypervisorConfig } from '../hypervisor.js';
import { guestImage, res } from '../testGuest.js';
import { pageAt, PAGE_SHARED_BORROWED } from './ownership.js';
import { atPartitionAsm, bytesAsm, copyAsm, ffaAsm, storeAsm } from './testing.js';

const MiB = 1 << 20;
const PAGE = 0x1000;
const TX = 0x4030_0000;
const RX = 0x4030_1000;
/** Where the VM keeps a copy of each response fragment (its RX buffer is reused). */
const SAVE = [0x4080_0000, 0x4080_1000];
const SP1 = 0x8001;
const BASE1 = 0x0e40_0000; // the test partition's default load address
const P = 0x4050_0000; // the VM's first page (IPA)
const COUNT = 260;
const MARK_FIRST = 0x1111_2222_3333_4444n;
const MARK_LAST = 0x5555_6666_7777_8888n;
const DONATED = makeHandle(1n, 'spmc');
const LENT = makeHandle(2n, 'spmc');
const [dLo, dHi] = handleWords(DONATED);
const [lLo, lHi] = handleWords(LENT);
/** Every other page, one constituent each, as the VM (IPAs) or SP1 (physical addresses) names them: pages
 *  that do not touch, so no one merges them into fewer constituents (the proxy's response to the VM would). */
const each = (base: number): { address: bigint; pageCount: number }[] => Array.from({ length: COUNT }, (_, i) => ({ address: BigInt(base + 2 * i * PAGE), pageCount: 1 }));
const LAST = P + 2 * (COUNT - 1) * PAGE;
/** A descriptor's first fragment fills a page up to a whole constituent; the rest is the second. */
const split = (bytes: Uint8Array): [Uint8Array, Uint8Array] => {
  const first = bytes.length - 16 * Math.ceil((bytes.length - PAGE) / 16);
  return [bytes.subarray(0, first), bytes.subarray(first)];
};
/** SP1's lend descriptor's length and its first fragment's (whatever the pages' addresses). */
const LEND_BYTES = encodeTransaction(sendTx('lend', SP1, [1], each(0), 'rw')).length;
const LEND_FIRST = split(new Uint8Array(LEND_BYTES))[0].length;
/** SP1 makes FF-A call `fid` with x1-x3 at the VM's direct request; it answers x3-x7 = the call's x0-x4. */
const atSp1 = (fid: number, ...a: Array<number | bigint | string>): string => atPartitionAsm(SP1, fid, ...a);

describe('FF-A proxy: a partition\'s send to a VM longer than one buffer', () => {
  it('sent and fetched in fragments on both sides, mapped in the VM\'s Stage 2, relinquished and reclaimed', () => {
    const donate = encodeTransaction(sendTx('donate', 1, [SP1], each(P)));
    const [donate1, donate2] = split(donate);
    const take = encodeTransaction(retrieveTx('donate', 1, [SP1], DONATED));
    const want = encodeTransaction(retrieveTx('lend', SP1, [1], LENT, 'rw'));
    const giveBack = encodeRelinquish({ handle: LENT, flags: 0, endpoints: [1] });
    const image = guestImage({
      main: `
${ffaAsm('smc', F.FFA_VERSION, F.FFA_VERSION_1_1)}
${ffaAsm('smc', F.FFA_RXTX_MAP_64, TX, RX, 1)}
    ldr x10, =${P}
    ldr x11, =0x${MARK_FIRST.toString(16)}
    str x11, [x10]
    ldr x10, =${LAST}
    ldr x11, =0x${MARK_LAST.toString(16)}
    str x11, [x10]
${copyAsm('donate1', TX, donate1.length)}${ffaAsm('smc', F.FFA_MEM_DONATE_32, donate.length, donate1.length, 0, 0)}${storeAsm(0, 'x0', 'x1', 'x2', 'x3')}
${copyAsm('donate2', TX, donate2.length)}${ffaAsm('smc', F.FFA_MEM_FRAG_TX, dLo, dHi, donate2.length, 0)}${storeAsm(4, 'x0', 'x2', 'x3')}
${atSp1(F.FFA_MEM_RETRIEVE_REQ_32, take.length, take.length)}${storeAsm(7, 'x3', 'x4', 'x5')}
    mov x20, x5
${atSp1(F.FFA_RX_RELEASE, 0, 0, 0)}
${atSp1(F.FFA_MEM_FRAG_RX, dLo, dHi, 'x20')}${storeAsm(10, 'x3', 'x6')}
${atSp1(F.FFA_RX_RELEASE, 0, 0, 0)}
${atSp1(F.FFA_RXTX_UNMAP, 0, 0, 0)}${storeAsm(12, 'x3')}
${atSp1(F.FFA_RXTX_MAP_64, BASE1 + 0xd000, BASE1 + 0xe000, 1)}${storeAsm(13, 'x3')}
${atSp1(F.FFA_MEM_LEND_32, LEND_BYTES, LEND_FIRST, 0)}${storeAsm(14, 'x3', 'x4', 'x5', 'x6')}
${atSp1(F.FFA_RXTX_UNMAP, 0, 0, 0)}
${atSp1(F.FFA_RXTX_MAP_64, BASE1 + 0xc000, BASE1 + 0xe000, 1)}${storeAsm(18, 'x3')}
${atSp1(F.FFA_MEM_FRAG_TX, lLo, lHi, LEND_BYTES - LEND_FIRST)}${storeAsm(19, 'x3', 'x5', 'x6')}
${copyAsm('want', TX, want.length)}${ffaAsm('smc', F.FFA_MEM_RETRIEVE_REQ_32, want.length, want.length, 0, 0)}${storeAsm(22, 'x0', 'x1', 'x2')}
    mov x24, x2
${copyAsm(`0x${RX.toString(16)}`, SAVE[0]!, PAGE)}
${ffaAsm('smc', F.FFA_RX_RELEASE)}
${ffaAsm('smc', F.FFA_MEM_FRAG_RX, lLo, lHi, 'x24', 0)}${storeAsm(25, 'x0', 'x1', 'x2', 'x3')}
${copyAsm(`0x${RX.toString(16)}`, SAVE[1]!, PAGE)}
${ffaAsm('smc', F.FFA_RX_RELEASE)}
    ldr x10, =${P}
    ldr x11, [x10]
    ldr x10, =${LAST}
    ldr x12, [x10]
${storeAsm(29, 'x11', 'x12')}
    mov x23, #1
${storeAsm(31, 'x23')}
    ldr x12, =20000
2:  subs x12, x12, #1
    b.ne 2b
${copyAsm('giveBack', TX, giveBack.length)}${ffaAsm('smc', F.FFA_MEM_RELINQUISH)}${storeAsm(32, 'x0')}
${atSp1(F.FFA_MEM_RECLAIM, lLo, lHi, 0)}${storeAsm(33, 'x3')}
`,
      extra: bytesAsm('donate1', donate1) + bytesAsm('donate2', donate2) + bytesAsm('want', want) + bytesAsm('giveBack', giveBack) + '    .balign 8\n',
    });
    const cfg: HypervisorConfig = { vms: [{ numVcpus: 1, ramBytes: 32 * MiB, kernel: image }] };
    const m = new Machine({ numCpus: 1, ramBytes: machineRamFor(cfg), seed: 7n, secure: true });
    const hv = new Hypervisor(m, cfg);
    const vm = hv.s.vms[0]!;
    const pa = vm.backingPa + (P - vm.ramIpa);
    // SP1 lends the pages back by physical address (its Non-secure IPA space is the PA space), in two fragments.
    const lend = encodeTransaction(sendTx('lend', SP1, [1], each(pa), 'rw'));
    const [lend1, lend2] = split(lend);
    const sp1 = testPartitionPackage({
      id: SP1,
      init: ffaCall(F.FFA_RXTX_MAP_64, [BASE1 + 0xa000, BASE1 + 0xb000, 1]),
      data: [{ offset: 0xa000, bytes: take }, { offset: 0xd000, bytes: lend1 }, { offset: 0xc000, bytes: lend2 }],
    });
    // Who calls FFA_MEM_FRAG_RX (the trace's FF-A events).
    const fragRx: number[] = [];
    m.trace.subscribe((e) => {
      if (e.kind === 'ffa' && e.name === 'FFA_MEM_FRAG_RX' && e.dir === 'call') fragRx.push(e.src);
    });
    const spmc = installSpmc(m, [sp1]);
    secureColdBoot(m, SPMC_BOOT_INFO);
    expect([lend.length, lend1.length, lend2.length]).toEqual([LEND_BYTES, LEND_FIRST, LEND_BYTES - LEND_FIRST]);
    while (res(hv, 31) === 0n && !m.stopped) m.run(m.instructions + 20);
    const log = spmc.s.log.join(' / ');
    // The VM's donate: FRAG_RX at the first fragment's end, then FFA_SUCCESS with the handle.
    expect([res(hv, 0), res(hv, 1), res(hv, 2), res(hv, 3)], log).toEqual([BigInt(F.FFA_MEM_FRAG_RX), dLo, dHi, BigInt(donate1.length)]);
    expect([res(hv, 4), res(hv, 5), res(hv, 6)], log).toEqual([BigInt(F.FFA_SUCCESS_32), dLo, dHi]);
    // SP1's retrieve: a response longer than its RX buffer, the rest fetched with FRAG_RX.
    expect(res(hv, 7), log).toBe(BigInt(F.FFA_MEM_RETRIEVE_RESP));
    expect(res(hv, 9)).toBeLessThan(res(hv, 8));
    expect(res(hv, 10), log).toBe(BigInt(F.FFA_MEM_FRAG_TX));
    expect(res(hv, 9) + res(hv, 11)).toBe(res(hv, 8));
    // SP1's lend back in two fragments.
    for (const i of [12, 13, 18]) expect(res(hv, i), `call ${i}: ${log}`).toBe(BigInt(F.FFA_SUCCESS_32));
    expect([res(hv, 14), res(hv, 15), res(hv, 16), res(hv, 17)], log).toEqual([BigInt(F.FFA_MEM_FRAG_RX), lLo, lHi, BigInt(lend1.length)]);
    expect([res(hv, 19), res(hv, 20), res(hv, 21)], log).toEqual([BigInt(F.FFA_SUCCESS_32), lLo, lHi]);
    // The VM's retrieve: the proxy delivers the response in two fragments.
    const total = Number(res(hv, 23));
    const first = Number(res(hv, 24));
    expect(res(hv, 22), log).toBe(BigInt(F.FFA_MEM_RETRIEVE_RESP));
    expect(first).toBeLessThan(total);
    expect([res(hv, 25), res(hv, 26), res(hv, 27)], log).toEqual([BigInt(F.FFA_MEM_FRAG_TX), lLo, lHi]);
    expect(first + Number(res(hv, 28))).toBe(total);
    // SP1 for its retrieve, the hypervisor for the VM's (fetching the SPMC's response), the VM for its own.
    expect(fragRx).toEqual([SP1, 0, 1]);
    const saved = (i: number): Uint8Array => m.core.readPhys(vm.backingPa + (SAVE[i]! - vm.ramIpa), PAGE).slice();
    const bytes = new Uint8Array(total);
    bytes.set(saved(0).subarray(0, first));
    bytes.set(saved(1).subarray(0, total - first), first);
    const response = decodeTransaction(bytes, { kind: 'retrieve-response', version: F.FFA_VERSION_1_1, totalLength: total });
    expect(response.ok).toBe(true);
    if (!response.ok) return;
    expect(response.value.tx.composite!.constituents).toEqual(each(P));
    expect(response.value.tx.receivers.map((r) => [r.receiver, r.permissions.dataAccess])).toEqual([[1, 2]]);
    // Mapped read-write at the VM's IPAs, its contents kept.
    expect([res(hv, 29), res(hv, 30)]).toEqual([MARK_FIRST, MARK_LAST]);
    for (const ipa of [P, LAST]) expect(pageAt(hv, vm, ipa)).toMatchObject({ state: PAGE_SHARED_BORROWED, s2ap: 3 });
    expect(m.run(m.instructions + 50_000_000)).toEqual({ kind: 'system-off' });
    expect(res(hv, 32), log).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(res(hv, 33), log).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(hv.s.ffa.spBorrows).toEqual([]);
  });
});

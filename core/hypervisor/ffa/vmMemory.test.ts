// VM-to-VM memory sharing, whole machine: two VMs running machine code on
// two pCPUs share, lend and donate pages through the proxy, synchronising
// through a page VM 0 shares for the whole run; the test walks both VMs'
// Stage-2 tables at each step.
import { describe, expect, it } from 'vitest';
import * as F from '../../ffa/functionIds.js';
import { DENIED, INVALID_PARAMETERS } from '../../ffa/errors.js';
import { encodeRelinquish } from '../../ffa/memory/relinquish.js';
import { encodeTransaction, type MemoryTransaction } from '../../ffa/memory/transaction.js';
import { makeHandle } from '../../ffa/memory/handle.js';
import { RAM_BASE } from '../../machine.js';
import { retrieveTx, sendTx, pages } from '../../spmc/ledgerTesting.js';
import type { Hypervisor } from '../hypervisor.js';
import { hvMachine } from '../testing.js';
import { EXC_LOG, guestImage, readGuest64, res } from '../testGuest.js';
import { ffaCall } from './proxy.js';
import { BORROW_IPA_BASE, pageAt, PAGE_OWNED, PAGE_SHARED_BORROWED, PAGE_SHARED_OWNED } from './ownership.js';
import { errW2, ffaAsm, storeAsm, copyAsm, bytesAsm } from './testing.js';

const MiB = 1 << 20;
const TX = 0x4030_0000;
const RX = 0x4030_1000;
const M = 0x4050_0000; // VM 0's mailbox page, shared RW with VM 1 all along
const P = 0x4050_1000; // lent
const Q = 0x4050_2000; // donated
const H = (n: number): bigint => makeHandle(n, 'hypervisor');
const lo = (h: bigint): bigint => h & 0xffff_ffffn;
const hi = (h: bigint): bigint => h >> 32n;

const txLen = (t: MemoryTransaction): number => encodeTransaction(t).length;
const toTx = (label: string, len: number): string => copyAsm(label, TX, len);
/** Spin until the word at [xN + off] equals `v` (x14 clobbered; the test writes some of them). */
const waitWord = (base: string, off: number, v: number): string => `
1:  ldr x14, [${base}, #${off}]
    cmp x14, #${v}
    b.ne 1b
`;
/** Call until x0 is `fid` (x15 clobbered). */
const until = (call: string, fid: number): string => `
1:
${call}    ldr x15, =${fid}
    cmp x0, x15
    b.ne 1b
`;

const share = sendTx('share', 1, [2], [pages(BigInt(M), 1)]);
const lend = sendTx('lend', 1, [2], [pages(BigInt(P), 1)]);
const donate = sendTx('donate', 1, [2], [pages(BigInt(Q), 1)]);
const ret = (op: 'share' | 'lend' | 'donate', h: bigint): MemoryTransaction => retrieveTx(op, 1, [2], h);
const relinquish = (h: bigint): Uint8Array => encodeRelinquish({ handle: h, flags: 0, endpoints: [2] });

const lender = `
${ffaAsm('smc', F.FFA_RXTX_MAP_64, TX, RX, 1)}${storeAsm(0, 'x0')}
    ldr x19, =${M}
    ldr x20, =${P}
    ldr x21, =${Q}
    ldr x1, =0x1111
    str x1, [x20]
${toTx('share', txLen(share))}${ffaAsm('smc', F.FFA_MEM_SHARE_32, txLen(share), txLen(share), 0, 0)}${storeAsm(1, 'x0', 'x2', 'x3')}
${toTx('lend', txLen(lend))}${ffaAsm('smc', F.FFA_MEM_LEND_32, txLen(lend), txLen(lend), 0, 0)}${storeAsm(4, 'x0', 'x2')}
    mov x1, #1
    str x1, [x19]
    ldr x22, [x20]
${storeAsm(6, 'x22')}
${waitWord('x19', 8, 1)}
${ffaAsm('smc', F.FFA_MEM_RECLAIM, lo(H(2)), hi(H(2)), 0)}${storeAsm(7, 'x0')}
    ldr x22, [x20]
${storeAsm(8, 'x22')}
${toTx('donate', txLen(donate))}${ffaAsm('hvc', F.FFA_MEM_DONATE_32, txLen(donate), txLen(donate), 0, 0)}${storeAsm(9, 'x0', 'x2')}
    mov x1, #2
    str x1, [x19]
${waitWord('x19', 8, 2)}
${ffaAsm('smc', F.FFA_MEM_RECLAIM, lo(H(3)), hi(H(3)), 0)}${storeAsm(11, 'x0', 'x2')}
    mov x22, #7
    ldr x22, [x21]
${storeAsm(13, 'x22')}
    mov x1, #3
    str x1, [x19]
${until(ffaAsm('smc', F.FFA_MEM_RECLAIM, lo(H(1)), hi(H(1)), 0), F.FFA_SUCCESS_32)}${storeAsm(14, 'x0')}
`;

const borrower = `
${ffaAsm('smc', F.FFA_RXTX_MAP_64, TX, RX, 1)}${storeAsm(0, 'x0')}
${toTx('ret1', txLen(ret('share', H(1))))}
${until(ffaAsm('smc', F.FFA_MEM_RETRIEVE_REQ_32, txLen(ret('share', H(1))), txLen(ret('share', H(1))), 0, 0), F.FFA_MEM_RETRIEVE_RESP)}
    ldr x9, =${RX}
    ldr x19, [x9, #80]
${storeAsm(1, 'x19')}
${ffaAsm('smc', F.FFA_RX_RELEASE)}
${waitWord('x19', 0, 1)}
${toTx('ret2', txLen(ret('lend', H(2))))}${ffaAsm('smc', F.FFA_MEM_RETRIEVE_REQ_32, txLen(ret('lend', H(2))), txLen(ret('lend', H(2))), 0, 0)}${storeAsm(2, 'x0')}
    ldr x9, =${RX}
    ldr x20, [x9, #80]
${ffaAsm('smc', F.FFA_RX_RELEASE)}
    ldr x22, [x20]
${storeAsm(3, 'x20', 'x22')}
${waitWord('x19', 16, 1)}
    ldr x1, =0x5678
    str x1, [x20]
${toTx('rel2', relinquish(H(2)).length)}${ffaAsm('smc', F.FFA_MEM_RELINQUISH)}${storeAsm(5, 'x0')}
    mov x22, #7
    ldr x22, [x20]
${storeAsm(6, 'x22')}
    mov x1, #1
    str x1, [x19, #8]
${waitWord('x19', 0, 2)}
${toTx('ret3', txLen(ret('donate', H(3))))}${ffaAsm('smc', F.FFA_MEM_RETRIEVE_REQ_64, txLen(ret('donate', H(3))), txLen(ret('donate', H(3))), 0, 0)}${storeAsm(7, 'x0')}
    ldr x9, =${RX}
    ldr x21, [x9, #80]
${ffaAsm('smc', F.FFA_RX_RELEASE)}
    ldr x1, =0x9abc
    str x1, [x21]
    ldr x22, [x21]
${storeAsm(8, 'x21', 'x22')}
    mov x1, #2
    str x1, [x19, #8]
${waitWord('x19', 0, 3)}
    mov x1, #3
    str x1, [x19, #8]
${toTx('rel1', relinquish(H(1)).length)}${ffaAsm('smc', F.FFA_MEM_RELINQUISH)}${storeAsm(10, 'x0')}
`;

const data = bytesAsm('share', encodeTransaction(share)) + bytesAsm('lend', encodeTransaction(lend)) + bytesAsm('donate', encodeTransaction(donate)) +
  bytesAsm('ret1', encodeTransaction(ret('share', H(1)))) + bytesAsm('ret2', encodeTransaction(ret('lend', H(2)))) +
  bytesAsm('ret3', encodeTransaction(ret('donate', H(3)))) + bytesAsm('rel1', relinquish(H(1))) + bytesAsm('rel2', relinquish(H(2)));

/** Both VMs run the same image: VM 0 the lender's part, VM 1 the borrower's (by GET_STATUS's VM ID). */
const main = `
${ffaAsm('smc', F.FFA_VERSION, F.FFA_VERSION_1_1)}
    ldr x0, =2
    hvc #0
    cbnz x1, borrower_main
${lender}
    b done
borrower_main:
${borrower}
`;

/** Where VM 1 sees VM 0's page at `ipa`: the borrow window. */
const window = (hv: Hypervisor, ipa: number): number => BORROW_IPA_BASE + (hv.s.vms[0]!.backingPa + (ipa - 0x4000_0000) - RAM_BASE);
const excCount = (hv: Hypervisor, vm: number): bigint => readGuest64(hv, vm, EXC_LOG);

describe('FF-A proxy: VM-to-VM memory sharing', () => {
  it('SHARE, LEND and DONATE between two VMs: Stage-2 ownership bits and access follow every step', () => {
    const r = hvMachine({ vms: [0, 1].map(() => ({ numVcpus: 1, ramBytes: 32 * MiB, kernel: guestImage({ main, extra: data }) })) }, { numCpus: 2 });
    const { m, hv } = r;
    const step = (pred: () => boolean): void => {
      while (!pred() && !m.stopped) m.run(m.instructions + 500);
      expect(m.stopped).toBeFalsy();
    };
    const vm0 = hv.s.vms[0]!;
    const vm1 = hv.s.vms[1]!;
    // The share is retrieved: the lender keeps RW (shared-owned), the borrower has RW in its window.
    step(() => res(hv, 1, 1) !== 0n);
    expect(res(hv, 1, 1)).toBe(BigInt(window(hv, M)));
    expect(pageAt(hv, vm0, M)).toMatchObject({ state: PAGE_SHARED_OWNED, s2ap: 3 });
    expect(pageAt(hv, vm1, window(hv, M))).toMatchObject({ state: PAGE_SHARED_BORROWED, s2ap: 3, pa: vm0.backingPa + 0x50_0000 });
    // The lend is retrieved: the lender has no access, the borrower RW.
    step(() => res(hv, 3, 1) !== 0n);
    expect(pageAt(hv, vm0, P)).toMatchObject({ state: PAGE_SHARED_OWNED, s2ap: 0 });
    expect(pageAt(hv, vm1, window(hv, P))).toMatchObject({ state: PAGE_SHARED_BORROWED, s2ap: 3 });
    m.core.writePhys(vm0.backingPa + (M - 0x4000_0000) + 16, new Uint8Array([1])); // the test lets the borrower go on
    // The donate is retrieved: ownership moved; the donor's page is gone from its Stage 2.
    step(() => res(hv, 8, 1) !== 0n);
    expect(pageAt(hv, vm0, Q)).toBeNull();
    expect(pageAt(hv, vm1, window(hv, Q))).toMatchObject({ state: PAGE_OWNED, s2ap: 3, pa: vm0.backingPa + 0x50_2000 });
    expect(m.run(m.instructions + 20_000_000)).toEqual({ kind: 'system-off' });

    // The lender's answers.
    expect(res(hv, 0)).toBe(BigInt(F.FFA_SUCCESS_32));
    expect([res(hv, 1), res(hv, 2), res(hv, 3)]).toEqual([BigInt(F.FFA_SUCCESS_32), lo(H(1)), hi(H(1))]); // handle bit 63: the hypervisor's
    expect([res(hv, 4), res(hv, 5)]).toEqual([BigInt(F.FFA_SUCCESS_32), lo(H(2))]);
    expect(res(hv, 6)).toBe(0n); // reading lent memory aborted (x22 kept its 0)
    expect(res(hv, 7)).toBe(BigInt(F.FFA_SUCCESS_32)); // reclaimed after the borrower relinquished
    expect(res(hv, 8)).toBe(0x5678n); // what the borrower wrote
    expect([res(hv, 9), res(hv, 10)]).toEqual([BigInt(F.FFA_SUCCESS_32), lo(H(3))]);
    expect([res(hv, 11), res(hv, 12)]).toEqual([BigInt(F.FFA_ERROR), errW2(INVALID_PARAMETERS)]); // a retrieved donate is gone
    expect(res(hv, 13)).toBe(7n); // the donated page aborts
    expect(res(hv, 14)).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(excCount(hv, 0)).toBe(2n);
    // The borrower's.
    expect(res(hv, 2, 1)).toBe(BigInt(F.FFA_MEM_RETRIEVE_RESP));
    expect([res(hv, 3, 1), res(hv, 4, 1)]).toEqual([BigInt(window(hv, P)), 0x1111n]);
    expect(res(hv, 5, 1)).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(res(hv, 6, 1)).toBe(7n); // relinquished: unmapped
    expect(res(hv, 7, 1)).toBe(BigInt(F.FFA_MEM_RETRIEVE_RESP));
    expect([res(hv, 8, 1), res(hv, 9, 1)]).toEqual([BigInt(window(hv, Q)), 0x9abcn]);
    expect(res(hv, 10, 1)).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(excCount(hv, 1)).toBe(1n);
    // At the end: the lender owns M and P again, the borrower owns Q; nothing else is borrowed.
    expect(pageAt(hv, vm0, M)).toMatchObject({ state: PAGE_OWNED, s2ap: 3 });
    expect(pageAt(hv, vm0, P)).toMatchObject({ state: PAGE_OWNED, s2ap: 3 });
    expect(pageAt(hv, vm1, window(hv, M))).toBeNull();
    expect(pageAt(hv, vm1, window(hv, P))).toBeNull();
    expect(hv.s.ffa.ledger.transactions).toEqual([]);
  });
});

// Found by `hvrr fuzz ffa --vm` (property-tests/regressions/ffa-vm-5.json): a borrower's relinquish with the
// clear flag zeroed shared memory, and memory it held read-only. DEN0077 v1.1 FFA_MEM_RELINQUISH flags bit 0.
describe('VM-to-VM relinquish with the clear flag (calls made as the VMs would, no guest code)', () => {
  const call = (hv: Hypervisor, vm: number, x: (number | bigint)[], tx?: Uint8Array): bigint[] => {
    const f = hv.s.ffa.vms[vm]!;
    if (tx) hv.m.core.writePhys(f.rxtx!.txPa, tx);
    const regs = hv.m.core.regs(0);
    for (let i = 0; i < 18; i++) regs.setX(i, BigInt(x[i] ?? 0));
    ffaCall(hv, 0, hv.s.vms[vm]!, hv.s.vms[vm]!.vcpus[0]!);
    return [0, 1, 2, 3].map((i) => regs.x(i));
  };
  const PAGE_IPA = 0x4010_0000;
  const send = (hv: Hypervisor, op: 'share' | 'lend', access: 'ro' | 'rw'): bigint => {
    const d = encodeTransaction(sendTx(op, 1, [2], [{ address: BigInt(PAGE_IPA), pageCount: 1 }], access));
    const r = call(hv, 0, [op === 'share' ? F.FFA_MEM_SHARE_32 : F.FFA_MEM_LEND_32, d.length, d.length], d);
    expect(r[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    const handle = (r[3]! << 32n) | r[2]!;
    const q = encodeTransaction(retrieveTx(op, 1, [2], handle, access));
    expect(call(hv, 1, [F.FFA_MEM_RETRIEVE_REQ_32, q.length, q.length], q)[0]).toBe(BigInt(F.FFA_MEM_RETRIEVE_RESP));
    expect(call(hv, 1, [F.FFA_RX_RELEASE])[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    return handle;
  };
  const relinquish = (hv: Hypervisor, handle: bigint, flags: number): bigint[] => call(hv, 1, [F.FFA_MEM_RELINQUISH], encodeRelinquish({ handle, flags, endpoints: [2] }));
  const pa = (hv: Hypervisor): number => hv.s.vms[0]!.backingPa + (PAGE_IPA - 0x4000_0000);

  it('is INVALID_PARAMETERS for shared memory and DENIED for a read-only borrower, the memory untouched; a read-write borrower of a lend zeroes it', () => {
    const { hv } = hvMachine({ vms: [0, 1].map(() => ({ numVcpus: 1, ramBytes: 4 * MiB, kernel: new Uint8Array(16) })) });
    for (const vm of [0, 1]) expect(call(hv, vm, [F.FFA_RXTX_MAP_64, TX, RX, 1])[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    hv.m.core.writePhys(pa(hv), new Uint8Array(16).fill(0x5a));
    const shared = send(hv, 'share', 'rw');
    expect(relinquish(hv, shared, 1).slice(0, 3)).toEqual([BigInt(F.FFA_ERROR), 0n, errW2(INVALID_PARAMETERS)]);
    expect(hv.m.core.readPhys(pa(hv), 1)[0]).toBe(0x5a);
    expect(relinquish(hv, shared, 0)[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(call(hv, 0, [F.FFA_MEM_RECLAIM, lo(shared), hi(shared), 0])[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    const lentRo = send(hv, 'lend', 'ro');
    expect(relinquish(hv, lentRo, 1).slice(0, 3)).toEqual([BigInt(F.FFA_ERROR), 0n, errW2(DENIED)]);
    expect(hv.m.core.readPhys(pa(hv), 1)[0]).toBe(0x5a);
    expect(pageAt(hv, hv.s.vms[1]!, window(hv, PAGE_IPA))).toMatchObject({ state: PAGE_SHARED_BORROWED, s2ap: 1 }); // still held
    expect(relinquish(hv, lentRo, 0)[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(call(hv, 0, [F.FFA_MEM_RECLAIM, lo(lentRo), hi(lentRo), 0])[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    const lentRw = send(hv, 'lend', 'rw');
    expect(relinquish(hv, lentRw, 1)[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(hv.m.core.readPhys(pa(hv), 1)[0]).toBe(0);
  });
});

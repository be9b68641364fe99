// Memory a partition sends to a VM, through the proxy in front of the real
// SPMC (whole machine, real guest and partition code): the VM donates a page
// of its RAM to SP1, SP1 retrieves it and lends it back to the VM read-only;
// the VM's retrieve naming another VM, asking for more access than was
// granted, or naming a handle that is not for it is refused; the granted
// retrieve maps the page in the VM's Stage 2 read-only (walked) with the
// response's address rewritten to the VM's IPA; the VM reads it,
// relinquishes (unmapped: a read faults), a second relinquish is refused,
// and SP1 reclaims; SP1 then donates the page back: the VM retrieves it
// (its own again, read-write), and its relinquish is refused; owned, the VM
// lends it on to SP1 and reclaims it. Then lent read-write to a second VM on another pCPU:
// a retrieve the proxy cannot map once the SPMC granted it (the reserve
// exhausted) is NO_MEMORY and relinquished at the SPMC, leaving nothing;
// then mapped in its borrow window, written there, SP1's reclaim refused
// until the VM relinquished.
import { describe, expect, it } from 'vitest';
import * as F from '../../ffa/functionIds.js';
import { DENIED, INVALID_PARAMETERS, NO_MEMORY } from '../../ffa/errors.js';
import { decodeTransaction } from '../../ffa/memory/decode.js';
import { makeHandle } from '../../ffa/memory/handle.js';
import { encodeRelinquish } from '../../ffa/memory/relinquish.js';
import { encodeTransaction } from '../../ffa/memory/transaction.js';
import { handleWords } from '../../ffa/result.js';
import { Machine, RAM_BASE } from '../../machine.js';
import { secureColdBoot } from '../../firmware/secureBoot.js';
import { installSpmc, SPMC_BOOT_INFO } from '../../spmc/installSpmc.js';
import { pages, retrieveTx, sendTx } from '../../spmc/ledgerTesting.js';
import { ffaCall, testPartitionPackage } from '../../spmc/testPartition.js';
import { Hypervisor, machineRamFor, type HypervisorConfig } from '../hypervisor.js';
import { EXC_LOG, guestImage, readGuest64, res } from '../testGuest.js';
import { BORROW_IPA_BASE, pageAt, PAGE_DONATED, PAGE_OWNED, PAGE_SHARED_BORROWED, PAGE_SHARED_OWNED } from './ownership.js';
import { atPartitionAsm, errW2, ffaAsm, storeAsm, copyAsm, bytesAsm } from './testing.js';

const MiB = 1 << 20;
const TX = 0x4030_0000;
const RX = 0x4030_1000;
const SP1 = 0x8001;
const BASE1 = 0x0e40_0000; // the test partition's default load address
const P = 0x4050_0000; // the VM's page (IPA)
const MARK = 0x1234_5678_9abc_def0n;
const DONATED = makeHandle(1n, 'spmc');
const LENT = makeHandle(2n, 'spmc');
const [lLo, lHi] = handleWords(LENT);
const BACK = makeHandle(3n, 'spmc');
const ONWARD = makeHandle(4n, 'spmc');
/** SP1's lend descriptor's length (whatever the page's address). */
const LEND_BYTES = encodeTransaction(sendTx('lend', SP1, [1], [pages(0n, 1)], 'ro')).length;

const toTx = (label: string, len: number): string => copyAsm(label, TX, len);
/** SP1 makes FF-A call `fid` with x1-x3 at the VM's direct request; it answers x3-x7 = the call's x0-x4. */
const atSp1 = (fid: number, ...a: Array<number | bigint | string>): string => atPartitionAsm(SP1, fid, ...a);

describe('FF-A proxy: memory a partition sends to a VM', () => {
  it('retrieved through the SPMC into the VM\'s Stage 2 with the granted access, relinquished (unmapped), reclaimed by the partition', () => {
    const donate = encodeTransaction(sendTx('donate', 1, [SP1], [pages(BigInt(P), 1)]));
    const take = encodeTransaction(retrieveTx('donate', 1, [SP1], DONATED));
    const forVm2 = encodeTransaction(retrieveTx('lend', SP1, [2], LENT, 'ro'));
    const asRw = encodeTransaction(retrieveTx('lend', SP1, [1], LENT, 'rw'));
    const notMine = encodeTransaction(retrieveTx('donate', 1, [1], DONATED, 'rw'));
    const asRo = encodeTransaction(retrieveTx('lend', SP1, [1], LENT, 'ro'));
    const giveBack = encodeRelinquish({ handle: LENT, flags: 0, endpoints: [1] });
    // Then SP1 donates the page back to VM 1 (handle 3): the VM's own again, and a donate cannot be relinquished.
    const back = encodeTransaction(retrieveTx('donate', SP1, [1], BACK, 'rw'));
    const giveBack2 = encodeRelinquish({ handle: BACK, flags: 0, endpoints: [1] });
    // Owned again, the VM lends the page on to SP1 like any page of its own, and reclaims it.
    const onward = encodeTransaction(sendTx('lend', 1, [SP1], [pages(BigInt(P), 1)]));
    const [oLo, oHi] = handleWords(ONWARD);
    const image = guestImage({
      main: `
${ffaAsm('smc', F.FFA_VERSION, F.FFA_VERSION_1_1)}
${ffaAsm('smc', F.FFA_RXTX_MAP_64, TX, RX, 1)}
    ldr x10, =${P}
    ldr x11, =0x${MARK.toString(16)}
    str x11, [x10]
${toTx('donate', donate.length)}${ffaAsm('smc', F.FFA_MEM_DONATE_32, donate.length, donate.length, 0, 0)}${storeAsm(0, 'x0', 'x2', 'x3')}
${atSp1(F.FFA_MEM_RETRIEVE_REQ_32, take.length, take.length)}${storeAsm(3, 'x3')}
${atSp1(F.FFA_RXTX_UNMAP)}${storeAsm(4, 'x3')}
${atSp1(F.FFA_RXTX_MAP_64, BASE1 + 0xd000, BASE1 + 0xe000, 1)}${storeAsm(5, 'x3')}
${atSp1(F.FFA_MEM_LEND_32, LEND_BYTES, LEND_BYTES)}${storeAsm(6, 'x3', 'x5', 'x6')}
${toTx('forVm2', forVm2.length)}${ffaAsm('smc', F.FFA_MEM_RETRIEVE_REQ_32, forVm2.length, forVm2.length, 0, 0)}${storeAsm(9, 'x0', 'x2')}
${toTx('asRw', asRw.length)}${ffaAsm('smc', F.FFA_MEM_RETRIEVE_REQ_32, asRw.length, asRw.length, 0, 0)}${storeAsm(11, 'x0', 'x2')}
${toTx('notMine', notMine.length)}${ffaAsm('smc', F.FFA_MEM_RETRIEVE_REQ_32, notMine.length, notMine.length, 0, 0)}${storeAsm(23, 'x0', 'x2')}
${toTx('asRo', asRo.length)}${ffaAsm('smc', F.FFA_MEM_RETRIEVE_REQ_32, asRo.length, asRo.length, 0, 0)}${storeAsm(13, 'x0', 'x1', 'x2')}
    ldr x10, =${P}
    ldr x11, [x10]
${storeAsm(16, 'x11')}
    mov x23, #1
${storeAsm(17, 'x23')}
    ldr x12, =20000
2:  subs x12, x12, #1
    b.ne 2b
${ffaAsm('smc', F.FFA_RX_RELEASE)}${storeAsm(18, 'x0')}
${toTx('giveBack', giveBack.length)}${ffaAsm('smc', F.FFA_MEM_RELINQUISH)}${storeAsm(19, 'x0')}
${ffaAsm('smc', F.FFA_MEM_RELINQUISH)}${storeAsm(20, 'x0', 'x2')}
    ldr x10, =${P}
    ldr x11, [x10]
${atSp1(F.FFA_MEM_RECLAIM, lLo, lHi, 0)}${storeAsm(22, 'x3')}
    mov x23, #1
${storeAsm(25, 'x23')}
    ldr x12, =20000
3:  subs x12, x12, #1
    b.ne 3b
${atSp1(F.FFA_RXTX_UNMAP)}${storeAsm(26, 'x3')}
${atSp1(F.FFA_RXTX_MAP_64, BASE1 + 0xc000, BASE1 + 0xb000, 1)}${storeAsm(27, 'x3')}
${atSp1(F.FFA_MEM_DONATE_32, LEND_BYTES, LEND_BYTES)}${storeAsm(28, 'x3', 'x5', 'x6')}
${toTx('back', back.length)}${ffaAsm('smc', F.FFA_MEM_RETRIEVE_REQ_32, back.length, back.length, 0, 0)}${storeAsm(31, 'x0')}
${ffaAsm('smc', F.FFA_RX_RELEASE)}
    ldr x10, =${P}
    ldr x11, =0x77
    str x11, [x10]
    ldr x11, [x10]
${storeAsm(32, 'x11')}
${toTx('giveBack2', giveBack2.length)}${ffaAsm('smc', F.FFA_MEM_RELINQUISH)}${storeAsm(33, 'x0', 'x2')}
${toTx('onward', onward.length)}${ffaAsm('smc', F.FFA_MEM_LEND_32, onward.length, onward.length, 0, 0)}${storeAsm(35, 'x0', 'x2', 'x3')}
    mov x23, #1
${storeAsm(38, 'x23')}
    ldr x12, =20000
4:  subs x12, x12, #1
    b.ne 4b
${ffaAsm('smc', F.FFA_MEM_RECLAIM, oLo, oHi, 0)}${storeAsm(39, 'x0')}
`,
      extra: bytesAsm('donate', donate) + bytesAsm('forVm2', forVm2) + bytesAsm('asRw', asRw) + bytesAsm('notMine', notMine) + bytesAsm('asRo', asRo)
        + bytesAsm('giveBack', giveBack) + bytesAsm('back', back) + bytesAsm('giveBack2', giveBack2) + bytesAsm('onward', onward) + '    .balign 8\n',
    });
    const cfg: HypervisorConfig = { vms: [{ numVcpus: 1, ramBytes: 32 * MiB, kernel: image }] };
    const m = new Machine({ numCpus: 1, ramBytes: machineRamFor(cfg), seed: 7n, secure: true });
    const hv = new Hypervisor(m, cfg);
    const vm = hv.s.vms[0]!;
    const pa = vm.backingPa + (P - vm.ramIpa);
    // SP1 lends the page (a physical address: the partition's Non-secure IPA space is the PA space) read-only to VM 1.
    const lend = encodeTransaction(sendTx('lend', SP1, [1], [pages(BigInt(pa), 1)], 'ro'));
    const sp1 = testPartitionPackage({
      id: SP1,
      init: ffaCall(F.FFA_RXTX_MAP_64, [BASE1 + 0xa000, BASE1 + 0xb000, 1]),
      data: [{ offset: 0xa000, bytes: take }, { offset: 0xd000, bytes: lend }, { offset: 0xc000, bytes: encodeTransaction(sendTx('donate', SP1, [1], [pages(BigInt(pa), 1)])) }],
    });
    const spmc = installSpmc(m, [sp1]);
    secureColdBoot(m, SPMC_BOOT_INFO);
    // While the VM holds the page: mapped read-only, borrowed, at its IPA.
    while (res(hv, 17) === 0n && !m.stopped) m.run(m.instructions + 20);
    expect(pageAt(hv, vm, P)).toEqual({ state: PAGE_SHARED_BORROWED, s2ap: 1, pa });
    expect(hv.s.ffa.spBorrows).toEqual([{ handle: '0x' + LENT.toString(16), vm: 0, op: 'lend', access: 'ro', pages: [pa] }]);
    const total = Number(res(hv, 14));
    const response = decodeTransaction(m.core.readPhys(vm.backingPa + (RX - vm.ramIpa), total).slice(), { kind: 'retrieve-response', version: F.FFA_VERSION_1_1, totalLength: total });
    expect(response.ok).toBe(true);
    if (!response.ok) return;
    expect(response.value.tx.composite!.constituents).toEqual([{ address: BigInt(P), pageCount: 1 }]);
    expect(response.value.tx.receivers.map((r) => [r.receiver, r.permissions.dataAccess])).toEqual([[1, 1]]);
    // After the relinquish and SP1's reclaim the page is out of the VM's reach again (donated to SP1).
    while (res(hv, 25) === 0n && !m.stopped) m.run(m.instructions + 20);
    expect(pageAt(hv, vm, P)).toMatchObject({ state: PAGE_DONATED, s2ap: 0 });
    expect(hv.s.ffa.spBorrows).toEqual([]);
    // Lent on after it came back: the VM's own page in its lend (no access), its first donate's record gone.
    while (res(hv, 38) === 0n && !m.stopped) m.run(m.instructions + 20);
    expect(pageAt(hv, vm, P)).toEqual({ state: PAGE_SHARED_OWNED, s2ap: 0, pa });
    expect(hv.s.ffa.spBorrows).toEqual([]);
    expect(hv.s.ffa.spShares).toEqual([{ handle: '0x' + ONWARD.toString(16), vm: 0, op: 'lend', pages: [pa] }]);
    expect(m.run(m.instructions + 50_000_000)).toEqual({ kind: 'system-off' });
    const log = spmc.s.log.join(' / ');
    expect(res(hv, 0), log).toBe(BigInt(F.FFA_SUCCESS_32));
    expect([res(hv, 1), res(hv, 2)]).toEqual(handleWords(DONATED));
    expect(res(hv, 3), log).toBe(BigInt(F.FFA_MEM_RETRIEVE_RESP));
    for (const i of [4, 5, 6]) expect(res(hv, i), `call ${i}: ${log}`).toBe(BigInt(F.FFA_SUCCESS_32));
    expect([res(hv, 7), res(hv, 8)]).toEqual([lLo, lHi]);
    expect([res(hv, 9), res(hv, 10)]).toEqual([BigInt(F.FFA_ERROR), errW2(INVALID_PARAMETERS)]); // names VM 2
    expect([res(hv, 11), res(hv, 12)], log).toEqual([BigInt(F.FFA_ERROR), errW2(DENIED)]); // RW asked, RO granted
    expect([res(hv, 23), res(hv, 24)], log).toEqual([BigInt(F.FFA_ERROR), errW2(INVALID_PARAMETERS)]); // SP1's donate
    expect(res(hv, 13), log).toBe(BigInt(F.FFA_MEM_RETRIEVE_RESP));
    expect(res(hv, 15)).toBe(res(hv, 14)); // one fragment
    expect(res(hv, 16)).toBe(MARK);
    for (const i of [18, 19]) expect(res(hv, i), `call ${i}: ${log}`).toBe(BigInt(F.FFA_SUCCESS_32));
    expect([res(hv, 20), res(hv, 21)]).toEqual([BigInt(F.FFA_ERROR), errW2(INVALID_PARAMETERS)]); // not retrieved (any more)
    expect(res(hv, 22), log).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(res(hv, 25)).toBe(1n);
    // The read after the relinquish faulted.
    expect(readGuest64(hv, 0, EXC_LOG)).toBe(1n); // and nothing else faulted
    expect(readGuest64(hv, 0, EXC_LOG + 16)).toBe(BigInt(P));
    expect(hv.s.ffa.vms[0]!.retrieve).toBe(null);
    // Donated back: the VM's page, read-write, for good (its relinquish refused).
    for (const i of [26, 27, 28]) expect(res(hv, i), `call ${i}: ${log}`).toBe(BigInt(F.FFA_SUCCESS_32));
    expect([res(hv, 29), res(hv, 30)]).toEqual(handleWords(BACK));
    expect(res(hv, 31), log).toBe(BigInt(F.FFA_MEM_RETRIEVE_RESP));
    expect(res(hv, 32)).toBe(0x77n);
    expect([res(hv, 33), res(hv, 34)]).toEqual([BigInt(F.FFA_ERROR), errW2(INVALID_PARAMETERS)]);
    expect([res(hv, 35), res(hv, 36), res(hv, 37)], log).toEqual([BigInt(F.FFA_SUCCESS_32), oLo, oHi]);
    expect(res(hv, 39), log).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(pageAt(hv, vm, P)).toEqual({ state: PAGE_OWNED, s2ap: 3, pa });
    expect(hv.s.ffa.spBorrows).toEqual([]);
    expect(hv.s.ffa.spShares).toEqual([]);
    expect(spmc.ledger.ownerOf(BigInt(pa))).toBe(1);
    expect(spmc.getState().ledger.transactions).toEqual([]);
  });

  it('lent read-write to another VM: mapped in its borrow window, written there, relinquished; the partition reclaims (two VMs, two pCPUs)', () => {
    const donate = encodeTransaction(sendTx('donate', 1, [SP1], [pages(BigInt(P), 1)]));
    const take = encodeTransaction(retrieveTx('donate', 1, [SP1], DONATED));
    const borrow = encodeTransaction(retrieveTx('lend', SP1, [2], LENT, 'rw'));
    const giveBack = encodeRelinquish({ handle: LENT, flags: 0, endpoints: [2] });
    const lendBytes = encodeTransaction(sendTx('lend', SP1, [2], [pages(0n, 1)], 'rw')).length;
    /** Repeat `call` until x0 (or x3 for a call through SP1) is `fid`, at most 1000 times (x16 counts; labels 5, 6, 9: `call` may use others). */
    const until = (call: string, reg: string, fid: number): string => `
    mov x16, #1000
5:
${call}    ldr x15, =${fid}
    cmp ${reg}, x15
    b.eq 6f
    ldr x12, =2000
9:  subs x12, x12, #1
    b.ne 9b
    subs x16, x16, #1
    b.ne 5b
6:
`;
    const main = `
${ffaAsm('smc', F.FFA_VERSION, F.FFA_VERSION_1_1)}
${ffaAsm('smc', F.FFA_RXTX_MAP_64, TX, RX, 1)}
    ldr x0, =2
    hvc #0
    cbnz x1, borrower_main
    ldr x10, =${P}
    ldr x11, =0x${MARK.toString(16)}
    str x11, [x10]
${toTx('donate', donate.length)}${ffaAsm('smc', F.FFA_MEM_DONATE_32, donate.length, donate.length, 0, 0)}${storeAsm(0, 'x0')}
${atSp1(F.FFA_MEM_RETRIEVE_REQ_32, take.length, take.length)}${storeAsm(1, 'x3')}
${atSp1(F.FFA_RXTX_UNMAP)}${storeAsm(2, 'x3')}
${atSp1(F.FFA_RXTX_MAP_64, BASE1 + 0xd000, BASE1 + 0xe000, 1)}${storeAsm(3, 'x3')}
${atSp1(F.FFA_MEM_LEND_32, lendBytes, lendBytes)}${storeAsm(4, 'x3')}
    ldr x12, =1000000
4:  subs x12, x12, #1
    b.ne 4b
${until(atSp1(F.FFA_MEM_RECLAIM, lLo, lHi, 0), 'x3', F.FFA_SUCCESS_32)}${storeAsm(5, 'x3', 'x16')}
    b done
borrower_main:
${until(toTx('borrow', borrow.length) + ffaAsm('smc', F.FFA_MEM_RETRIEVE_REQ_32, borrow.length, borrow.length, 0, 0) + storeAsm(5, 'x16', 'x0', 'x2'), 'x0', F.FFA_MEM_RETRIEVE_RESP)}${storeAsm(0, 'x0')}
    ldr x9, =${RX}
    ldr x20, [x9, #80]
${storeAsm(1, 'x20')}
${ffaAsm('smc', F.FFA_RX_RELEASE)}
    ldr x21, [x20]
    ldr x22, =0x5a5a
    str x22, [x20]
    mov x23, #1
${storeAsm(2, 'x21', 'x23')}
    ldr x12, =20000
2:  subs x12, x12, #1
    b.ne 2b
${toTx('giveBack', giveBack.length)}${ffaAsm('smc', F.FFA_MEM_RELINQUISH)}${storeAsm(4, 'x0')}
`;
    const image = guestImage({ main, extra: bytesAsm('donate', donate) + bytesAsm('borrow', borrow) + bytesAsm('giveBack', giveBack) + '    .balign 8\n' });
    const cfg: HypervisorConfig = { vms: [0, 1].map(() => ({ numVcpus: 1, ramBytes: 32 * MiB, kernel: image })) };
    const m = new Machine({ numCpus: 2, ramBytes: machineRamFor(cfg), seed: 7n, secure: true });
    const hv = new Hypervisor(m, cfg);
    const vm0 = hv.s.vms[0]!;
    const vm1 = hv.s.vms[1]!;
    const pa = vm0.backingPa + (P - vm0.ramIpa);
    const windowIpa = BORROW_IPA_BASE + (pa - RAM_BASE);
    const lend = encodeTransaction(sendTx('lend', SP1, [2], [pages(BigInt(pa), 1)], 'rw'));
    const sp1 = testPartitionPackage({
      id: SP1,
      init: ffaCall(F.FFA_RXTX_MAP_64, [BASE1 + 0xa000, BASE1 + 0xb000, 1]),
      data: [{ offset: 0xa000, bytes: take }, { offset: 0xd000, bytes: lend }],
    });
    const spmc = installSpmc(m, [sp1]);
    secureColdBoot(m, SPMC_BOOT_INFO);
    const log = (): string => spmc.s.log.join(' / ');
    // Once VM 1's donate made the hypervisor's buffers, the hypervisor reserve exhausted: VM 2's borrow window
    // cannot get its Stage-2 table page after the SPMC granted the retrieve: NO_MEMORY, relinquished there for VM 2.
    for (let i = 0; i < 40_000 && res(hv, 0) === 0n && !m.stopped; i++) m.run(m.instructions + 50);
    expect(res(hv, 0), log()).toBe(BigInt(F.FFA_SUCCESS_32));
    const saved = hv.s.reserveNext;
    hv.s.reserveNext = hv.s.reserveBase + hv.s.reserveBytes;
    for (let i = 0; i < 400_000 && !(res(hv, 7, 1) === errW2(NO_MEMORY) && hv.s.ffa.pending.every((p) => p === null)) && !m.stopped; i++) m.run(m.instructions + 50);
    expect([res(hv, 6, 1), res(hv, 7, 1)], log()).toEqual([BigInt(F.FFA_ERROR), errW2(NO_MEMORY)]);
    expect(hv.s.ffa.spBorrows).toEqual([]);
    expect(hv.s.ffa.vms[1]!.retrieve).toBe(null);
    expect(pageAt(hv, vm1, windowIpa)).toBe(null);
    expect(spmc.ledger.handles()).toEqual([LENT]);
    expect(spmc.ledger.transactionInfo(LENT)!.borrowers.map((b) => b.granted)).toEqual([null]); // nothing granted any more
    hv.s.reserveNext = saved;
    for (let i = 0; i < 40_000 && res(hv, 3, 1) === 0n && !m.stopped; i++) m.run(m.instructions + 500);
    expect(res(hv, 3, 1), log()).toBe(1n);
    expect(m.stopped, log()).toBeFalsy();
    // VM 2 holds the page: read-write in its borrow window; VM 1 has no access (donated).
    expect(pageAt(hv, vm1, windowIpa)).toEqual({ state: PAGE_SHARED_BORROWED, s2ap: 3, pa });
    expect(pageAt(hv, vm0, P)).toMatchObject({ state: PAGE_DONATED, s2ap: 0 });
    expect(m.run(m.instructions + 100_000_000)).toEqual({ kind: 'system-off' });
    for (const i of [0, 2, 3, 4]) expect(res(hv, i), `VM 1 call ${i}: ${log()}`).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(res(hv, 1), log()).toBe(BigInt(F.FFA_MEM_RETRIEVE_RESP));
    expect(res(hv, 5), log()).toBe(BigInt(F.FFA_SUCCESS_32)); // reclaimed once VM 2 relinquished,
    expect(res(hv, 6)).toBeLessThan(1000n); // refused (DENIED) while it held the page
    expect(res(hv, 0, 1), log()).toBe(BigInt(F.FFA_MEM_RETRIEVE_RESP));
    expect(res(hv, 1, 1)).toBe(BigInt(windowIpa)); // the response names the window's IPA
    expect(res(hv, 2, 1)).toBe(MARK);
    expect(res(hv, 4, 1), log()).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(readGuest64(hv, 0, P)).toBe(0x5a5an); // VM 2's write, in VM 1's (donated) page
    expect(pageAt(hv, vm1, windowIpa)).toBe(null);
    expect(hv.s.ffa.spBorrows).toEqual([]);
    expect(spmc.ledger.ownerOf(BigInt(pa))).toBe(SP1);
    expect(spmc.getState().ledger.transactions).toEqual([]);
  });
});

// A VM's own fragmented send to a partition (FFA_MEM_FRAG_TX with an SPMC
// handle) through the proxy in front of the real SPMC: each fragment is
// translated, its pages marked, and forwarded through the hypervisor's TX
// buffer; a reclaim before the last fragment is refused; a fragment the
// proxy refuses abandons the send at the SPMC too, leaving nothing behind.
import { describe, expect, it } from 'vitest';
import * as F from '../../ffa/functionIds.js';
import { DENIED, INVALID_PARAMETERS } from '../../ffa/errors.js';
import { encodeTransaction } from '../../ffa/memory/transaction.js';
import { Machine } from '../../machine.js';
import { secureColdBoot } from '../../firmware/secureBoot.js';
import { installSpmc, SPMC_BOOT_INFO } from '../../spmc/installSpmc.js';
import { pages, sendTx } from '../../spmc/ledgerTesting.js';
import { testPartitionPackage } from '../../spmc/testPartition.js';
import { Hypervisor, machineRamFor, type HypervisorConfig } from '../hypervisor.js';
import { guestImage, res } from '../testGuest.js';
import { pageAt, PAGE_OWNED, PAGE_SHARED_OWNED } from './ownership.js';
import { errW2, ffaAsm, storeAsm, copyAsm, bytesAsm } from './testing.js';

const MiB = 1 << 20;
const TX = 0x4030_0000;
const RX = 0x4030_1000;
const SP1 = 0x8001;
const P = 0x4050_0000;
const Q = 0x4060_0000;

const toTx = (label: string, len: number): string => copyAsm(label, TX, len);
/** One constituent's 16 bytes. */
function constituent(address: number): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, BigInt(address), true);
  dv.setUint32(8, 1, true);
  return b;
}

describe('FF-A proxy: a VM\'s fragmented send to a partition', () => {
  it('FRAG_TX forwarded fragment by fragment (pages marked as they arrive), RECLAIM refused until complete; a refused fragment abandons the send at the SPMC too', () => {
    // Three one-page constituents at P, P + 2 pages, P + 4 pages: the first fragment holds the header and the first.
    const three = encodeTransaction(sendTx('share', 1, [SP1], [pages(BigInt(P), 1), pages(BigInt(P + 0x2000), 1), pages(BigInt(P + 0x4000), 1)]));
    const first = three.length - 32;
    const two = encodeTransaction(sendTx('lend', 1, [SP1], [pages(BigInt(Q), 1), pages(BigInt(Q + 0x2000), 1)]));
    const firstOfTwo = two.length - 16;
    const image = guestImage({
      main: `
${ffaAsm('smc', F.FFA_VERSION, F.FFA_VERSION_1_1)}
${ffaAsm('smc', F.FFA_RXTX_MAP_64, TX, RX, 1)}
${ffaAsm('smc', F.FFA_MEM_FRAG_TX, 0xbeef, 0, 16, 0)}${storeAsm(0, 'x0', 'x2')}
${toTx('three', three.length)}${ffaAsm('smc', F.FFA_MEM_SHARE_32, three.length, first, 0, 0)}${storeAsm(2, 'x0', 'x1', 'x2', 'x3')}
    mov x19, x1
    mov x20, x2
${ffaAsm('smc', F.FFA_MEM_RECLAIM, 'x19', 'x20', 0)}${storeAsm(6, 'x0', 'x2')}
${toTx('c1', 16)}${ffaAsm('smc', F.FFA_MEM_FRAG_TX, 'x19', 'x20', 16, 0)}${storeAsm(8, 'x0', 'x3')}
    mov x23, #1
${storeAsm(10, 'x23')}
${toTx('c2', 16)}${ffaAsm('smc', F.FFA_MEM_FRAG_TX, 'x19', 'x20', 16, 0)}${storeAsm(11, 'x0', 'x2', 'x3')}
${ffaAsm('smc', F.FFA_MEM_FRAG_TX, 'x19', 'x20', 16, 0)}${storeAsm(14, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_MEM_RECLAIM, 'x19', 'x20', 0)}${storeAsm(16, 'x0')}
${toTx('two', two.length)}${ffaAsm('smc', F.FFA_MEM_LEND_32, two.length, firstOfTwo, 0, 0)}${storeAsm(17, 'x0')}
    mov x21, x1
    mov x22, x2
${toTx('bad', 16)}${ffaAsm('smc', F.FFA_MEM_FRAG_TX, 'x21', 'x22', 16, 0)}${storeAsm(18, 'x0', 'x2')}
${toTx('c3', 16)}${ffaAsm('smc', F.FFA_MEM_FRAG_TX, 'x21', 'x22', 16, 0)}${storeAsm(20, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_MEM_RECLAIM, 'x21', 'x22', 0)}${storeAsm(22, 'x0', 'x2')}
    mov x23, #1
${storeAsm(24, 'x23')}
`,
      extra: bytesAsm('three', three) + bytesAsm('c1', constituent(P + 0x2000)) + bytesAsm('c2', constituent(P + 0x4000)) + bytesAsm('two', two)
        + bytesAsm('bad', constituent(0x1000_0000)) + bytesAsm('c3', constituent(Q + 0x2000)) + '    .balign 8\n',
    });
    const cfg: HypervisorConfig = { vms: [{ numVcpus: 1, ramBytes: 32 * MiB, kernel: image }] };
    const m = new Machine({ numCpus: 1, ramBytes: machineRamFor(cfg), seed: 7n, secure: true });
    const hv = new Hypervisor(m, cfg);
    const spmc = installSpmc(m, [testPartitionPackage({ id: SP1 })]);
    secureColdBoot(m, SPMC_BOOT_INFO);
    const vm = hv.s.vms[0]!;
    // After the second fragment: the first two pages are marked, the third not yet.
    while (res(hv, 10) === 0n && !m.stopped) m.run(m.instructions + 20);
    expect(pageAt(hv, vm, P)).toMatchObject({ state: PAGE_SHARED_OWNED, s2ap: 3 });
    expect(pageAt(hv, vm, P + 0x2000)).toMatchObject({ state: PAGE_SHARED_OWNED, s2ap: 3 });
    expect(pageAt(hv, vm, P + 0x4000)).toMatchObject({ state: PAGE_OWNED });
    expect(m.run(m.instructions + 50_000_000)).toEqual({ kind: 'system-off' });
    expect([res(hv, 0), res(hv, 1)]).toEqual([BigInt(F.FFA_ERROR), errW2(INVALID_PARAMETERS)]); // FRAG_TX of no send
    expect([res(hv, 2), res(hv, 5)]).toEqual([BigInt(F.FFA_MEM_FRAG_RX), BigInt(first)]); // the VM's own offset
    expect(res(hv, 4) >> 31n).toBe(0n); // the SPMC's handle (bit 63 clear)
    expect([res(hv, 6), res(hv, 7)]).toEqual([BigInt(F.FFA_ERROR), errW2(INVALID_PARAMETERS)]); // reclaim while incomplete
    expect([res(hv, 8), res(hv, 9)]).toEqual([BigInt(F.FFA_MEM_FRAG_RX), BigInt(first + 16)]);
    expect(res(hv, 11)).toBe(BigInt(F.FFA_SUCCESS_32));
    expect([res(hv, 12), res(hv, 13)]).toEqual([res(hv, 3), res(hv, 4)]); // the same handle
    expect([res(hv, 14), res(hv, 15)]).toEqual([BigInt(F.FFA_ERROR), errW2(INVALID_PARAMETERS)]); // the send is complete
    expect(res(hv, 16)).toBe(BigInt(F.FFA_SUCCESS_32));
    // The lend's second fragment names memory outside the VM: DENIED, and the send is gone at both ends.
    expect(res(hv, 17)).toBe(BigInt(F.FFA_MEM_FRAG_RX));
    expect([res(hv, 18), res(hv, 19)]).toEqual([BigInt(F.FFA_ERROR), errW2(DENIED)]);
    expect([res(hv, 20), res(hv, 21)]).toEqual([BigInt(F.FFA_ERROR), errW2(INVALID_PARAMETERS)]);
    expect([res(hv, 22), res(hv, 23)]).toEqual([BigInt(F.FFA_ERROR), errW2(INVALID_PARAMETERS)]);
    expect(res(hv, 24)).toBe(1n);
    expect(hv.s.ffa.spShares).toEqual([]);
    expect(spmc.getState().ledger.transactions).toEqual([]);
    for (const ipa of [P, P + 0x2000, P + 0x4000, Q, Q + 0x2000]) expect(pageAt(hv, vm, ipa)).toMatchObject({ state: PAGE_OWNED, s2ap: 3 });
  });
});

// The proxy in front of the real SPMC (core/spmc, S-EL2) with three test
// partitions: a VM under the hypervisor discovers them with
// FFA_PARTITION_INFO_GET (through the hypervisor's own RX/TX buffers) and
// sends them direct requests.
import { describe, expect, it } from 'vitest';
import * as F from '../../ffa/functionIds.js';
import { BUSY } from '../../ffa/errors.js';
import { Machine } from '../../machine.js';
import { secureColdBoot } from '../../firmware/secureBoot.js';
import { installSpmc, SPMC_BOOT_INFO } from '../../spmc/installSpmc.js';
import { testPartitionPackage } from '../../spmc/testPartition.js';
import { Hypervisor, machineRamFor, type HypervisorConfig } from '../hypervisor.js';
import { guestImage, readGuest64, res } from '../testGuest.js';
import { errW2, ffaAsm, storeAsm, copyAsm, bytesAsm } from './testing.js';
import { encodeTransaction } from '../../ffa/memory/transaction.js';
import { pages, sendTx } from '../../spmc/ledgerTesting.js';
import { INVALID_PARAMETERS } from '../../ffa/errors.js';
import { pageAt, PAGE_OWNED, PAGE_SHARED_OWNED } from './ownership.js';
import { uuidFromText, uuidToX2 } from '../../ffa/uuid.js';

const MiB = 1 << 20;
const TX = 0x4030_0000;
const RX = 0x4030_1000;
const SP1 = 0x8001;

function spmcHvMachine(main: string, vms = 1) {
  const image = guestImage({ main });
  const cfg: HypervisorConfig = { vms: Array.from({ length: vms }, () => ({ numVcpus: 1, ramBytes: 32 * MiB, kernel: image })) };
  const m = new Machine({ numCpus: 1, ramBytes: machineRamFor(cfg), seed: 7n, secure: true });
  const hv = new Hypervisor(m, cfg);
  installSpmc(m, [testPartitionPackage({ id: SP1 }), testPartitionPackage({ id: 0x8002, messaging: 0x1 }), testPartitionPackage({ id: 0x8003 })]);
  secureColdBoot(m, SPMC_BOOT_INFO);
  return { m, hv };
}

describe('FF-A proxy in front of the SPMC', () => {
  it('FFA_PARTITION_INFO_GET through the hypervisor\'s buffers (count only, v1.1 descriptors, BUSY while the VM\'s RX is full); direct requests', () => {
    const { m, hv } = spmcHvMachine(`
${ffaAsm('smc', F.FFA_VERSION, F.FFA_VERSION_1_1)}
${ffaAsm('smc', F.FFA_PARTITION_INFO_GET, 0, 0, 0, 0, 1)}${storeAsm(0, 'x0', 'x2', 'x3')}
${ffaAsm('smc', F.FFA_PARTITION_INFO_GET, 0, 0, 0, 0, 0)}${storeAsm(3, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_RXTX_MAP_64, TX, RX, 1)}
${ffaAsm('hvc', F.FFA_PARTITION_INFO_GET, 0, 0, 0, 0, 0)}${storeAsm(5, 'x0', 'x2', 'x3')}
${ffaAsm('smc', F.FFA_PARTITION_INFO_GET, 0, 0, 0, 0, 0)}${storeAsm(8, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_RX_RELEASE)}${storeAsm(10, 'x0')}
${ffaAsm('smc', F.FFA_PARTITION_INFO_GET, 0, 0, 0, 0, 0)}${storeAsm(11, 'x0', 'x2')}
    ldr x12, =${(1 << 16) | SP1}
${ffaAsm('smc', F.FFA_MSG_SEND_DIRECT_REQ_32, 'x12', 0, 0, 5)}${storeAsm(13, 'x0', 'x1', 'x4')}
`, 1);
    expect(m.run(30_000_000)).toEqual({ kind: 'system-off' });
    expect([res(hv, 0), res(hv, 1), res(hv, 2)]).toEqual([BigInt(F.FFA_SUCCESS_32), 3n, 0n]); // count only: no size
    expect([res(hv, 3), res(hv, 4)]).toEqual([BigInt(F.FFA_ERROR), errW2(BUSY)]); // no RX buffer yet
    expect([res(hv, 5), res(hv, 6), res(hv, 7)]).toEqual([BigInt(F.FFA_SUCCESS_32), 3n, 24n]);
    const ids = [0, 1, 2].map((i) => Number(readGuest64(hv, 0, RX + 24 * i) & 0xffffn));
    expect(ids).toEqual([0x8001, 0x8002, 0x8003]);
    expect([res(hv, 8), res(hv, 9)]).toEqual([BigInt(F.FFA_ERROR), errW2(BUSY)]); // the VM's RX is full
    expect(res(hv, 10)).toBe(BigInt(F.FFA_SUCCESS_32));
    expect([res(hv, 11), res(hv, 12)]).toEqual([BigInt(F.FFA_SUCCESS_32), 3n]);
    expect([res(hv, 13), res(hv, 14), res(hv, 15)]).toEqual([BigInt(F.FFA_MSG_SEND_DIRECT_RESP_32), BigInt(((SP1 << 16) | 1) >>> 0), 0x1005n]);
    expect(hv.s.ffa.hvRxtx?.mapped).toBe(true);
  });

  it('VM-to-SP SHARE and LEND: the lender\'s pages marked, the descriptor forwarded (in FRAG_TX fragments when larger than the hypervisor\'s TX page), SPMC handles; RECLAIM after a hypervisor retrieve request restores the pages', () => {
    const P = 0x4050_0000;
    const share = encodeTransaction(sendTx('share', 1, [SP1], [pages(BigInt(P), 1)]));
    const lend = encodeTransaction(sendTx('lend', 1, [SP1], [pages(BigInt(P + 0x1000), 2)]));
    // 300 separate pages: a descriptor of 4,864 bytes, more than one page.
    const big = encodeTransaction(sendTx('share', 1, [SP1], Array.from({ length: 300 }, (_, k) => pages(BigInt(0x4060_0000 + 2 * k * 0x1000), 1))));
    const toTx = (label: string, len: number): string => copyAsm(label, TX, len);
    const image = guestImage({
      main: `
${ffaAsm('smc', F.FFA_VERSION, F.FFA_VERSION_1_1)}
${ffaAsm('smc', F.FFA_RXTX_MAP_64, TX, RX + 0x1000, 2)}${storeAsm(0, 'x0')}
${toTx('share', share.length)}${ffaAsm('smc', F.FFA_MEM_SHARE_32, share.length, share.length, 0, 0)}${storeAsm(1, 'x0', 'x2', 'x3')}
    mov x19, x2
    mov x20, x3
${toTx('lend', lend.length)}${ffaAsm('smc', F.FFA_MEM_LEND_32, lend.length, lend.length, 0, 0)}${storeAsm(4, 'x0', 'x2', 'x3')}
    mov x21, x2
    mov x22, x3
    mov x23, #7
    ldr x9, =${P + 0x1000}
    ldr x23, [x9]
${storeAsm(7, 'x23')}
${toTx('big', big.length)}${ffaAsm('smc', F.FFA_MEM_SHARE_32, big.length, big.length, 0, 0)}${storeAsm(8, 'x0', 'x2', 'x3')}
    mov x24, x2
    mov x25, x3
${ffaAsm('smc', F.FFA_MEM_RECLAIM, 'x21', 'x22', 0)}${storeAsm(11, 'x0')}
${ffaAsm('smc', F.FFA_MEM_RECLAIM, 'x19', 'x20', 0)}${storeAsm(12, 'x0')}
${ffaAsm('smc', F.FFA_MEM_RECLAIM, 'x24', 'x25', 0)}${storeAsm(13, 'x0')}
${ffaAsm('smc', F.FFA_MEM_RECLAIM, 'x19', 'x20', 0)}${storeAsm(14, 'x0', 'x2')}
    ldr x9, =${P + 0x1000}
    ldr x23, [x9]
${storeAsm(16, 'x23')}
`,
      extra: bytesAsm('share', share) + bytesAsm('lend', lend) + bytesAsm('big', big) + '    .balign 8\n',
    });
    const cfg: HypervisorConfig = { vms: [{ numVcpus: 1, ramBytes: 32 * MiB, kernel: image }] };
    const m = new Machine({ numCpus: 1, ramBytes: machineRamFor(cfg), seed: 7n, secure: true });
    const hv = new Hypervisor(m, cfg);
    installSpmc(m, [testPartitionPackage({ id: SP1 })]);
    secureColdBoot(m, SPMC_BOOT_INFO);
    const vm = hv.s.vms[0]!;
    // Stop after the lend (the reclaims follow): the lender's Stage 2.
    while (res(hv, 7) === 0n && !m.stopped) m.run(m.instructions + 2_000);
    expect(pageAt(hv, vm, P)).toMatchObject({ state: PAGE_SHARED_OWNED, s2ap: 3 });
    expect(pageAt(hv, vm, P + 0x1000)).toMatchObject({ state: PAGE_SHARED_OWNED, s2ap: 0 });
    expect(m.run(m.instructions + 50_000_000)).toEqual({ kind: 'system-off' });
    expect(res(hv, 0)).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(res(hv, 1)).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(res(hv, 3) >> 31n).toBe(0n); // the SPMC's handle: bit 63 clear
    expect(res(hv, 4)).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(res(hv, 7)).toBe(7n); // the lent page aborted
    expect(res(hv, 8)).toBe(BigInt(F.FFA_SUCCESS_32)); // forwarded in two fragments
    expect([res(hv, 11), res(hv, 12), res(hv, 13)]).toEqual([BigInt(F.FFA_SUCCESS_32), BigInt(F.FFA_SUCCESS_32), BigInt(F.FFA_SUCCESS_32)]);
    expect([res(hv, 14), res(hv, 15)]).toEqual([BigInt(F.FFA_ERROR), errW2(INVALID_PARAMETERS)]); // reclaimed already
    expect(res(hv, 16)).toBe(0n); // the lend's page is the VM's again
    expect(pageAt(hv, vm, P)).toMatchObject({ state: PAGE_OWNED, s2ap: 3 });
    expect(pageAt(hv, vm, P + 0x2000)).toMatchObject({ state: PAGE_OWNED, s2ap: 3 });
    expect(hv.s.ffa.spShares).toEqual([]);
  });

  it('the hypervisor negotiates v1.2 with the SPMC first; FFA_MSG_SEND_DIRECT_REQ2 by UUID from a v1.2 VM carries x4-x17 both ways', () => {
    const [lo, hi] = uuidToX2(uuidFromText('5e5e0000-0000-4000-8000-000000008001')!);
    const payload = Array.from({ length: 14 }, (_, i) => BigInt(0x100 + i));
    const { m, hv } = spmcHvMachine(`
${ffaAsm('smc', F.FFA_VERSION, F.FFA_VERSION_1_2)}
${ffaAsm('smc', F.FFA_MSG_SEND_DIRECT_REQ2, (1 << 16) | SP1, lo, hi, ...payload)}
${storeAsm(0, 'x0', 'x1', 'x4', 'x8', 'x9', 'x10', 'x11', 'x12', 'x13', 'x14', 'x15', 'x16', 'x17')}
${ffaAsm('smc', F.FFA_MSG_SEND_DIRECT_REQ2, (1 << 16) | SP1, lo + 1n, hi, ...payload)}${storeAsm(13, 'x0', 'x2')}
`);
    expect(m.run(30_000_000)).toEqual({ kind: 'system-off' });
    expect(hv.s.ffa.spmcVersion).toBe(F.FFA_VERSION_1_2);
    expect([res(hv, 0), res(hv, 1), res(hv, 2)]).toEqual([BigInt(F.FFA_MSG_SEND_DIRECT_RESP2), BigInt(((SP1 << 16) | 1) >>> 0), 0x1100n]);
    // x8 is stored after x9 was used as the results pointer: compare x10-x17 (payload words 6-13).
    expect(Array.from({ length: 8 }, (_, i) => res(hv, 5 + i))).toEqual(payload.slice(6));
    expect([res(hv, 13), res(hv, 14)]).toEqual([BigInt(F.FFA_ERROR), errW2(-2)]); // no partition with that UUID
  });

  it('FFA_PARTITION_INFO_GET_REGS forwarded for a v1.2 VM (the answer in x0-x17); NOT_SUPPORTED below v1.2', () => {
    const { m, hv } = spmcHvMachine(`
${ffaAsm('smc', F.FFA_VERSION, F.FFA_VERSION_1_2)}
${ffaAsm('smc', F.FFA_PARTITION_INFO_GET_REGS, 0, 0, 0)}    mov x23, x9
${storeAsm(0, 'x0', 'x2', 'x3', 'x6', 'x23')}
${ffaAsm('smc', F.FFA_PARTITION_INFO_GET_REGS, 0, 0, 1 << 16)}${storeAsm(5, 'x0', 'x2')}
`);
    expect(m.run(30_000_000)).toEqual({ kind: 'system-off' });
    expect(res(hv, 0)).toBe(BigInt(F.FFA_SUCCESS_64));
    expect(res(hv, 1) & 0xffff_ffffn).toBe((2n << 16n) | 2n); // current and last index: three partitions
    expect([res(hv, 2), res(hv, 3), res(hv, 4)].map((v) => Number(v & 0xffffn))).toEqual([SP1, 0x8002, 0x8003]);
    expect([res(hv, 5), res(hv, 6)]).toEqual([BigInt(F.FFA_ERROR), errW2(INVALID_PARAMETERS)]); // a tag: the SPMC issues none
    const { m: m1, hv: hv1 } = spmcHvMachine(`
${ffaAsm('smc', F.FFA_VERSION, F.FFA_VERSION_1_1)}
${ffaAsm('smc', F.FFA_PARTITION_INFO_GET_REGS, 0, 0, 0)}${storeAsm(0, 'x0', 'x2')}
`);
    expect(m1.run(30_000_000)).toEqual({ kind: 'system-off' });
    expect([res(hv1, 0), res(hv1, 1)]).toEqual([BigInt(F.FFA_ERROR), errW2(-1)]);
  });
});

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
import { errW2, ffaAsm, storeAsm } from './testing.js';

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
});

// FFA_RXTX_MAP from the hypervisor for a VM (the endpoint RX/TX descriptor in
// the hypervisor's TX buffer, address and page-count arguments zero): the
// pair registered under the VM's ID; every refusal.
import { describe, expect, it } from 'vitest';
import * as F from '../ffa/functionIds.js';
import { DENIED, INVALID_PARAMETERS } from '../ffa/errors.js';
import { encodeEndpointRxtx } from '../ffa/endpointRxtxDescriptor.js';
import { bootSpmcMachine } from './spmcTesting.js';
import { errorOf, nsProgram, nsResult } from './nsCalls.js';
import { testPartitionPackage } from './testPartition.js';

const HV_TX = 0x4050_0000;
const HV_RX = 0x4050_1000;
const VM_TX = 0x4060_0000;
const VM_RX = 0x4060_1000;
/** Set the descriptor's endpoint ID in the hypervisor's TX buffer before a call. */
const endpoint = (id: number): string => `  ldr x9, =${HV_TX}\n  ldr x10, =${id}\n  strh w10, [x9]`;

describe('SPMC: a VM\'s RX/TX pair mapped by the hypervisor', () => {
  it('registered under the VM\'s ID from the descriptor; refused without the hypervisor\'s pair, with w3 set, for the hypervisor\'s or a partition\'s ID, twice (the proxy\'s unmap: core/hypervisor/ffa/spmcRxtx.test.ts)', () => {
    const { m, spmc } = bootSpmcMachine(nsProgram([
      { fid: F.FFA_RXTX_MAP_64 }, // 0: the hypervisor has no pair: INVALID_PARAMETERS
      { fid: F.FFA_RXTX_MAP_64, args: [HV_TX, HV_RX, 1] }, // 1
      { fid: F.FFA_RXTX_MAP_64, args: [0, 0, 1] }, // 2: w3 set
      { fid: F.FFA_RXTX_MAP_64, before: endpoint(0) }, // 3: the hypervisor's own ID
      { fid: F.FFA_RXTX_MAP_64, before: endpoint(0x8001) }, // 4: a partition's
      { fid: F.FFA_RXTX_MAP_64, before: endpoint(2) }, // 5
      { fid: F.FFA_RXTX_MAP_64 }, // 6: VM 2 has one: DENIED
    ]), [testPartitionPackage({ id: 0x8001 })]);
    m.core.writePhys(HV_TX, encodeEndpointRxtx({ endpoint: 2, rx: BigInt(VM_RX), tx: BigInt(VM_TX), pageCount: 1 }));
    expect(m.run(20_000_000)).toEqual({ kind: 'system-off' });
    expect(errorOf(nsResult(m, 0))).toBe(INVALID_PARAMETERS);
    expect(nsResult(m, 1)[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    expect([2, 3, 4].map((i) => errorOf(nsResult(m, i)))).toEqual([INVALID_PARAMETERS, INVALID_PARAMETERS, INVALID_PARAMETERS]);
    expect(nsResult(m, 5)[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(errorOf(nsResult(m, 6))).toBe(DENIED);
    expect(spmc.getState().rxtx.find((p) => p.endpoint === 2)).toMatchObject({ txPa: '0x' + VM_TX.toString(16), rxPa: '0x' + VM_RX.toString(16), pageCount: 1, nonSecure: true, rx: 'empty' });
  });
});

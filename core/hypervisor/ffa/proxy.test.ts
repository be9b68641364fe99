// Whole-machine tests of the proxy's own ABIs: a VM running machine code
// calls FF-A by SMC (trapped) and HVC.
import { describe, expect, it } from 'vitest';
import * as F from '../../ffa/functionIds.js';
import { DENIED, INVALID_PARAMETERS, NOT_SUPPORTED } from '../../ffa/errors.js';
import { hvMachine } from '../testing.js';
import { guestImage, res } from '../testGuest.js';
import { errW2, ffaAsm, neg, storeAsm } from './testing.js';
import { PROXY_FFA_VERSION } from './proxy.js';

const MiB = 1 << 20;
const TX = 0x4030_0000;
const RX = 0x4030_1000;

function boot(main: string, vms = 1) {
  const image = guestImage({ main });
  const r = hvMachine({ vms: Array.from({ length: vms }, () => ({ numVcpus: 1, ramBytes: 32 * MiB, kernel: image })) });
  const stop = r.m.run(5_000_000);
  return { ...r, stop };
}

describe('FF-A proxy: version, IDs, features, RX/TX', () => {
  it('answers each VM over SMC and HVC with the spec\'s values and errors', () => {
    const r = boot(`
${ffaAsm('smc', F.FFA_VERSION, F.FFA_VERSION_1_1)}${storeAsm(2, 'x0')}
${ffaAsm('smc', F.FFA_RX_RELEASE)}${storeAsm(0, 'x0', 'x2')}
${ffaAsm('hvc', F.FFA_ID_GET)}${storeAsm(3, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_VERSION, F.FFA_VERSION_1_0)}${storeAsm(5, 'x0')}
${ffaAsm('smc', F.FFA_VERSION, 0x2_0000)}${storeAsm(6, 'x0')}
${ffaAsm('smc', F.FFA_FEATURES, F.FFA_RXTX_MAP_64)}${storeAsm(7, 'x0')}
${ffaAsm('smc', F.FFA_FEATURES, F.FFA_MSG_WAIT)}${storeAsm(8, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_FEATURES, F.FFA_FEATURE_NPI)}${storeAsm(10, 'x2')}
${ffaAsm('smc', F.FFA_RXTX_MAP_64, TX, RX, 1)}${storeAsm(11, 'x0')}
${ffaAsm('hvc', F.FFA_RXTX_MAP_64, TX, RX, 1)}${storeAsm(12, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_RX_RELEASE)}${storeAsm(14, 'x2')}
${ffaAsm('smc', F.FFA_RXTX_UNMAP, 0x5_0000)}${storeAsm(15, 'x2')}
${ffaAsm('smc', F.FFA_RXTX_UNMAP)}${storeAsm(16, 'x0')}
${ffaAsm('smc', F.FFA_RXTX_MAP_64, 0x0e00_0000, RX, 1)}${storeAsm(17, 'x2')}
${ffaAsm('smc', F.FFA_RXTX_MAP_64, TX, TX, 1)}${storeAsm(18, 'x2')}
${ffaAsm('smc', F.FFA_RXTX_MAP_32, TX, RX, 1)}${storeAsm(19, 'x0')}
${ffaAsm('smc', F.FFA_MSG_WAIT)}${storeAsm(20, 'x2')}
${ffaAsm('smc', F.FFA_MSG_SEND_DIRECT_REQ_32, 0x2_8001)}${storeAsm(21, 'x2')}
${ffaAsm('smc', F.FFA_MSG_SEND_DIRECT_REQ_32, 0x1_0002)}${storeAsm(22, 'x2')}
${ffaAsm('smc', F.FFA_FEATURES, F.FFA_PARTITION_INFO_GET_REGS)}${storeAsm(23, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_FEATURES, F.FFA_MSG_SEND2)}${storeAsm(25, 'x0')}
`, 2);
    expect(r.stop).toEqual({ kind: 'system-off' });
    const hv = r.hv;
    for (const vm of [0, 1]) {
      expect([res(hv, 0, vm), res(hv, 1, vm)]).toEqual([BigInt(F.FFA_ERROR), errW2(DENIED)]); // nothing to release
      expect(res(hv, 2, vm)).toBe(BigInt(PROXY_FFA_VERSION)); // the proxy's version; the VM works at 1.1
      expect([res(hv, 3, vm), res(hv, 4, vm)]).toEqual([BigInt(F.FFA_SUCCESS_32), BigInt(vm + 1)]); // VM k is k + 1
      expect(res(hv, 5, vm)).toBe(neg(-1)); // fixed at 1.1 once other calls were made
      expect(res(hv, 6, vm)).toBe(neg(-1)); // another major
      expect(res(hv, 7, vm)).toBe(BigInt(F.FFA_SUCCESS_32));
      expect([res(hv, 8, vm), res(hv, 9, vm)]).toEqual([BigInt(F.FFA_ERROR), errW2(NOT_SUPPORTED)]);
      expect(res(hv, 10, vm)).toBe(errW2(NOT_SUPPORTED)); // no notifications for VMs
      expect(res(hv, 11, vm)).toBe(BigInt(F.FFA_SUCCESS_32));
      expect(res(hv, 12, vm)).toBe(BigInt(F.FFA_ERROR)); // mapped already
      expect(res(hv, 13, vm)).toBe(errW2(DENIED));
      expect(res(hv, 14, vm)).toBe(errW2(DENIED)); // RX empty
      expect(res(hv, 15, vm)).toBe(errW2(INVALID_PARAMETERS)); // another endpoint's ID
      expect(res(hv, 16, vm)).toBe(BigInt(F.FFA_SUCCESS_32));
      expect(res(hv, 17, vm)).toBe(errW2(INVALID_PARAMETERS)); // secure RAM is not the VM's
      expect(res(hv, 18, vm)).toBe(errW2(INVALID_PARAMETERS)); // TX and RX overlap
      expect(res(hv, 19, vm)).toBe(BigInt(F.FFA_SUCCESS_32));
      expect(res(hv, 20, vm)).toBe(errW2(NOT_SUPPORTED)); // Secure-world call
      expect(res(hv, 21, vm)).toBe(errW2(INVALID_PARAMETERS)); // sender is not the caller (for VM 0) ...
      expect(res(hv, 22, vm)).toBe(errW2(INVALID_PARAMETERS)); // ... receiver is a VM
      // A v1.2 function is NOT_SUPPORTED to a VM at 1.1 (Linux's driver at 1.1 would otherwise use it); a v1.1 one is served.
      expect([res(hv, 23, vm), res(hv, 24, vm)]).toEqual([BigInt(F.FFA_ERROR), errW2(NOT_SUPPORTED)]);
      expect(res(hv, 25, vm)).toBe(BigInt(F.FFA_SUCCESS_32));
    }
    expect(hv.s.ffa.vms[0]!.rxtx).toMatchObject({ txIpa: TX, rxIpa: RX, pageCount: 1, txPa: hv.s.vms[0]!.backingPa + 0x30_0000 });
  });
});

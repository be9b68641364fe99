// Notifications for VMs through the proxy, in front of the real SPMC and the
// bundled partitions: the VM's bitmap created by the hypervisor on its
// behalf, the VM's ID checked in BIND/UNBIND/SET/GET, INFO_GET for the
// primary VM; and without a Secure world, the refusals the proxy makes
// itself.
import { describe, expect, it } from 'vitest';
import * as F from '../../ffa/functionIds.js';
import { DENIED, INVALID_PARAMETERS, NO_DATA, NOT_SUPPORTED } from '../../ffa/errors.js';
import { FFA_NOTIFICATION_FLAG_BITMAP_HYP, FFA_NOTIFICATION_FLAG_BITMAP_SP, FFA_NOTIFICATION_FLAG_BITMAP_VM } from '../../ffa/notifications.js';
import { Machine } from '../../machine.js';
import { secureColdBoot } from '../../firmware/secureBoot.js';
import { installSpmc, SPMC_BOOT_INFO } from '../../spmc/installSpmc.js';
import { bundledPartitions } from '../../../guests/sp/index.js';
import { Hypervisor, machineRamFor, type HypervisorConfig } from '../hypervisor.js';
import { guestImage, res } from '../testGuest.js';
import { hvMachine } from '../testing.js';
import { ffaCall } from './proxy.js';
import { errW2, ffaAsm, storeAsm } from './testing.js';

const MiB = 1 << 20;
const SP1 = 0x8001;
const VM1 = 1;
const ERR = BigInt(F.FFA_ERROR);
const OK = BigInt(F.FFA_SUCCESS_32);
const ids = (sender: number, receiver: number): number => ((sender << 16) | receiver) >>> 0;

describe('FF-A proxy: notifications for VMs', () => {
  it('against the SPMC: the bitmap created on the VM\'s behalf at its first BIND; the VM\'s ID checked; GET of the hypervisor\'s bitmaps answered by the proxy', () => {
    const image = guestImage({
      main: `
${ffaAsm('smc', F.FFA_VERSION, F.FFA_VERSION_1_1)}
${ffaAsm('smc', F.FFA_NOTIFICATION_BITMAP_CREATE, VM1, 1)}${storeAsm(0, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_NOTIFICATION_BIND, ids(SP1, 2), 0, 1 << 3, 0)}${storeAsm(2, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_NOTIFICATION_BIND, ids(2, VM1), 0, 1 << 3, 0)}${storeAsm(4, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_NOTIFICATION_BIND, ids(SP1, VM1), 0, 1 << 3, 0)}${storeAsm(6, 'x0')}
${ffaAsm('hvc', F.FFA_NOTIFICATION_SET, ids(2, SP1), 0, 1 << 3, 0)}${storeAsm(7, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_NOTIFICATION_SET, ids(VM1, 2), 0, 1 << 3, 0)}${storeAsm(9, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_NOTIFICATION_SET, ids(VM1, SP1), 0, 1 << 9, 0)}${storeAsm(11, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_NOTIFICATION_GET, 2, FFA_NOTIFICATION_FLAG_BITMAP_SP)}${storeAsm(13, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_NOTIFICATION_GET, VM1, FFA_NOTIFICATION_FLAG_BITMAP_VM | FFA_NOTIFICATION_FLAG_BITMAP_HYP)}${storeAsm(15, 'x0', 'x2', 'x4', 'x6', 'x7')}
${ffaAsm('smc', F.FFA_NOTIFICATION_GET, VM1, FFA_NOTIFICATION_FLAG_BITMAP_SP | FFA_NOTIFICATION_FLAG_BITMAP_HYP)}${storeAsm(20, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_NOTIFICATION_GET, VM1 | (1 << 16), FFA_NOTIFICATION_FLAG_BITMAP_SP)}${storeAsm(22, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_NOTIFICATION_INFO_GET_64)}${storeAsm(24, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_NOTIFICATION_UNBIND, ids(SP1, VM1), 0, 1 << 3, 0)}${storeAsm(26, 'x0')}
${ffaAsm('smc', F.FFA_NOTIFICATION_BITMAP_DESTROY, VM1)}${storeAsm(27, 'x0', 'x2')}
`,
    });
    const cfg: HypervisorConfig = { vms: [{ numVcpus: 1, ramBytes: 32 * MiB, kernel: image }] };
    const m = new Machine({ numCpus: 1, ramBytes: machineRamFor(cfg), seed: 7n, secure: true });
    const hv = new Hypervisor(m, cfg);
    const spmc = installSpmc(m, bundledPartitions().map((p) => p.package));
    secureColdBoot(m, SPMC_BOOT_INFO);
    expect(m.run(30_000_000)).toEqual({ kind: 'system-off' });
    expect([res(hv, 0), res(hv, 1)]).toEqual([ERR, errW2(NOT_SUPPORTED)]); // the hypervisor's call
    expect([res(hv, 2), res(hv, 3)]).toEqual([ERR, errW2(INVALID_PARAMETERS)]); // binding for another receiver
    expect([res(hv, 4), res(hv, 5)]).toEqual([ERR, errW2(NOT_SUPPORTED)]); // a VM sender
    expect(res(hv, 6)).toBe(OK);
    expect(hv.s.ffa.vms[0]!.spmcBitmap).toBe(true);
    expect([res(hv, 7), res(hv, 8)]).toEqual([ERR, errW2(INVALID_PARAMETERS)]); // setting as another VM
    expect([res(hv, 9), res(hv, 10)]).toEqual([ERR, errW2(NOT_SUPPORTED)]); // to a VM
    expect([res(hv, 11), res(hv, 12)]).toEqual([ERR, errW2(DENIED)]); // SP1 bound nothing to the VM: the SPMC's answer
    expect([res(hv, 13), res(hv, 14)]).toEqual([ERR, errW2(INVALID_PARAMETERS)]); // another receiver
    expect([res(hv, 15), res(hv, 16), res(hv, 17), res(hv, 18), res(hv, 19)]).toEqual([OK, 0n, 0n, 0n, 0n]);
    expect([res(hv, 20), res(hv, 21)]).toEqual([OK, 0n]);
    expect([res(hv, 22), res(hv, 23)]).toEqual([ERR, errW2(INVALID_PARAMETERS)]); // vCPU 1 of a 1-vCPU VM
    expect([res(hv, 24), res(hv, 25)]).toEqual([ERR, errW2(NO_DATA)]);
    expect(res(hv, 26)).toBe(OK);
    expect([res(hv, 27), res(hv, 28)]).toEqual([ERR, errW2(NOT_SUPPORTED)]);
    expect(spmc.getState().notifications).toBeDefined();
  });

  it('without a Secure world: INFO_GET for VM 0 only; no SPMC keeps notifications, NOT_SUPPORTED', () => {
    const { hv } = hvMachine({ vms: [0, 1].map(() => ({ numVcpus: 1, ramBytes: 8 * MiB, kernel: new Uint8Array(16) })) });
    const call = (vm: number, ...x: number[]): bigint[] => {
      const regs = hv.m.core.regs(0);
      for (let i = 0; i < 18; i++) regs.setX(i, BigInt(x[i] ?? 0));
      const v = hv.s.vms[vm]!;
      ffaCall(hv, 0, v, v.vcpus[0]!);
      return [regs.x(0), regs.x(2)];
    };
    expect(call(1, F.FFA_NOTIFICATION_INFO_GET_64)).toEqual([ERR, errW2(NOT_SUPPORTED)]);
    expect(call(0, F.FFA_NOTIFICATION_BIND, ids(SP1, VM1), 0, 1)).toEqual([ERR, errW2(NOT_SUPPORTED)]);
    expect(hv.s.ffa.spmcVersion).toBe(-1);
    expect(hv.s.ffa.vms[0]!.spmcBitmap).toBe(false);
  });
});

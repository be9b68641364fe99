// The VM's RX buffer as the proxy writes it (rxtx.ts writeRx). Found by `hvrr fuzz ffa --vm`
// (property-tests/regressions/ffa-vm-152.json): a retrieve response's second, shorter fragment
// left the first fragment's bytes past its length.
import { describe, expect, it } from 'vitest';
import * as F from '../../ffa/functionIds.js';
import { hvMachine } from '../testing.js';
import { ffaCall } from './proxy.js';
import { writeRx } from './rxtx.js';

describe('writeRx', () => {
  it('zeroes the RX buffer past the message: nothing of an earlier, longer message stays', () => {
    const { hv } = hvMachine({ vms: [{ numVcpus: 1, ramBytes: 4 << 20, kernel: new Uint8Array(16) }] });
    const regs = hv.m.core.regs(0);
    [F.FFA_RXTX_MAP_64, 0x4030_0000, 0x4030_1000, 1].forEach((v, i) => regs.setX(i, BigInt(v)));
    ffaCall(hv, 0, hv.s.vms[0]!, hv.s.vms[0]!.vcpus[0]!);
    expect(regs.x(0)).toBe(BigInt(F.FFA_SUCCESS_32));
    const f = hv.s.ffa.vms[0]!;
    writeRx(hv, f, new Uint8Array(4096).fill(0xf0));
    f.rxFull = false;
    writeRx(hv, f, new Uint8Array(64).fill(0x11));
    const rx = hv.m.core.readPhys(f.rxtx!.rxPa, 4096);
    expect(rx.subarray(0, 64).every((b) => b === 0x11)).toBe(true);
    expect(rx.subarray(64).every((b) => b === 0)).toBe(true);
    expect(f.rxFull).toBe(true);
  });
});

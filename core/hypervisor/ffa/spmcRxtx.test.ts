// A VM's RX/TX pair at the SPMC and indirect messages, through the proxy in
// front of the real SPMC and the bundled partitions: the pair mapped at the
// SPMC under the VM's ID, FFA_MSG_SEND2's checks, a partition's message in
// the VM's RX buffer making the proxy's own RX writes BUSY until released,
// a call that writes nothing giving the RX buffer back, unmap forwarded.
import { describe, expect, it } from 'vitest';
import * as F from '../../ffa/functionIds.js';
import { BUSY, DENIED, INVALID_PARAMETERS, NOT_SUPPORTED } from '../../ffa/errors.js';
import { FFA_NOTIFICATION_FLAG_BITMAP_SPM } from '../../ffa/notifications.js';
import { Machine } from '../../machine.js';
import { secureColdBoot } from '../../firmware/secureBoot.js';
import { installSpmc, SPMC_BOOT_INFO } from '../../spmc/installSpmc.js';
import { bundledPartitions } from '../../../guests/sp/index.js';
import { Hypervisor, machineRamFor, type HypervisorConfig } from '../hypervisor.js';
import { guestImage, res } from '../testGuest.js';
import { errW2, ffaAsm, storeAsm, copyAsm, bytesAsm } from './testing.js';

const MiB = 1 << 20;
const TX = 0x4030_0000;
const RX = 0x4030_1000;
const SP1 = 0x8001;
const SP2 = 0x8002;
const ERR = BigInt(F.FFA_ERROR);
const OK = BigInt(F.FFA_SUCCESS_32);

/** A v1.1 partition message header (20 bytes) and payload. */
function message(sender: number, receiver: number, payload: string): Uint8Array {
  const b = new Uint8Array(20 + payload.length);
  const dv = new DataView(b.buffer);
  dv.setUint32(8, 20, true);
  dv.setUint16(12, receiver, true);
  dv.setUint16(14, sender, true);
  dv.setUint32(16, payload.length, true);
  b.set(Buffer.from(payload, 'latin1'), 20);
  return b;
}
const toTx = (label: string, len: number): string => copyAsm(label, TX, len);

describe('FF-A proxy: a VM\'s buffers at the SPMC and indirect messages', () => {
  it('RXTX_MAP forwarded with the endpoint RX/TX descriptor; MSG_SEND2 checked and forwarded; a partition\'s message makes the proxy\'s RX writes BUSY until released; RXTX_UNMAP forwarded', () => {
    const ping = message(1, SP1, 'ping');
    const image = guestImage({
      main: `
${ffaAsm('smc', F.FFA_VERSION, F.FFA_VERSION_1_1)}
${ffaAsm('smc', F.FFA_RXTX_MAP_64, TX, RX, 1)}${storeAsm(0, 'x0')}
${toTx('ping', ping.length)}
${ffaAsm('smc', F.FFA_MSG_SEND2, 1 << 16)}${storeAsm(1, 'x0', 'x2')}
${toTx('fromOther', 21)}${ffaAsm('smc', F.FFA_MSG_SEND2, 0, 0)}${storeAsm(3, 'x0', 'x2')}
${toTx('toVm', 21)}${ffaAsm('smc', F.FFA_MSG_SEND2, 0, 0)}${storeAsm(5, 'x0', 'x2')}
${toTx('toSp2', 21)}${ffaAsm('smc', F.FFA_MSG_SEND2, 0, 0)}${storeAsm(7, 'x0', 'x2')}
${toTx('ping', ping.length)}${ffaAsm('smc', F.FFA_MSG_SEND2, 0, 0)}${storeAsm(9, 'x0')}
${ffaAsm('smc', F.FFA_RUN, SP1 << 16)}${storeAsm(10, 'x0')}
${ffaAsm('smc', F.FFA_PARTITION_INFO_GET, 0, 0, 0, 0, 0)}${storeAsm(11, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_RX_RELEASE)}${storeAsm(13, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_NOTIFICATION_GET, 1, FFA_NOTIFICATION_FLAG_BITMAP_SPM)}${storeAsm(15, 'x0', 'x6')}
    ldr x9, =${RX}
    ldr w10, [x9, #8]
    ldr w23, [x9, x10]
${storeAsm(17, 'x23')}
${ffaAsm('smc', F.FFA_RX_RELEASE)}${storeAsm(18, 'x0')}
${ffaAsm('smc', F.FFA_PARTITION_INFO_GET, 0x1234, 0, 0, 0, 0)}${storeAsm(19, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_RX_RELEASE)}${storeAsm(21, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_PARTITION_INFO_GET, 0, 0, 0, 0, 0)}${storeAsm(23, 'x0', 'x2')}
${ffaAsm('smc', F.FFA_RX_RELEASE)}${storeAsm(25, 'x0')}
${ffaAsm('smc', F.FFA_RXTX_UNMAP)}${storeAsm(26, 'x0')}
${toTx('ping', ping.length)}${ffaAsm('smc', F.FFA_MSG_SEND2, 0, 0)}${storeAsm(27, 'x0', 'x2')}
`,
      extra: bytesAsm('ping', ping) + bytesAsm('fromOther', message(2, SP1, 'x')) + bytesAsm('toVm', message(1, 2, 'x')) + bytesAsm('toSp2', message(1, SP2, 'x')) + '    .balign 8\n',
    });
    const cfg: HypervisorConfig = { vms: [{ numVcpus: 1, ramBytes: 32 * MiB, kernel: image }] };
    const m = new Machine({ numCpus: 1, ramBytes: machineRamFor(cfg), seed: 7n, secure: true });
    const hv = new Hypervisor(m, cfg);
    const spmc = installSpmc(m, bundledPartitions().map((p) => p.package));
    secureColdBoot(m, SPMC_BOOT_INFO);
    // Right after the map: the SPMC has the VM's pair (physical addresses) and its bitmap.
    while (res(hv, 0) === 0n && !m.stopped) m.run(m.instructions + 20);
    const pair = spmc.getState().rxtx.find((p) => p.endpoint === 1);
    const f = hv.s.ffa.vms[0]!;
    expect(pair).toMatchObject({ txPa: '0x' + f.rxtx!.txPa.toString(16), rxPa: '0x' + f.rxtx!.rxPa.toString(16), pageCount: 1, rx: 'empty' });
    expect([f.spmcRxtx, f.spmcBitmap]).toEqual([true, true]);
    expect(m.run(m.instructions + 50_000_000)).toEqual({ kind: 'system-off' });
    expect(res(hv, 0)).toBe(OK);
    expect([res(hv, 1), res(hv, 2)]).toEqual([ERR, errW2(INVALID_PARAMETERS)]); // w1 names a sender
    expect([res(hv, 3), res(hv, 4)]).toEqual([ERR, errW2(INVALID_PARAMETERS)]); // the header names another sender
    expect([res(hv, 5), res(hv, 6)]).toEqual([ERR, errW2(NOT_SUPPORTED)]); // to a VM
    expect([res(hv, 7), res(hv, 8)]).toEqual([ERR, errW2(DENIED)]); // SP2 has no indirect messaging (the SPMC)
    expect(res(hv, 9)).toBe(OK);
    expect([BigInt(F.FFA_MSG_WAIT), OK]).toContain(res(hv, 10)); // SP1 echoed and waits
    expect([res(hv, 11), res(hv, 12)]).toEqual([ERR, errW2(BUSY)]); // SP1's message is in the RX buffer
    expect([res(hv, 13), res(hv, 14)]).toEqual([ERR, errW2(DENIED)]); // its RX-full notification not fetched yet
    expect(res(hv, 15)).toBe(OK);
    expect(res(hv, 16) & 1n).toBe(1n); // the SPM's RX-buffer-full notification
    expect(res(hv, 17)).toBe(BigInt(Buffer.from('ping', 'latin1').readUInt32LE(0))); // SP1's echo, in the VM's RX buffer
    expect(res(hv, 18)).toBe(OK);
    expect([res(hv, 19), res(hv, 20)]).toEqual([ERR, errW2(INVALID_PARAMETERS)]); // no such UUID: the RX buffer given back
    expect([res(hv, 21), res(hv, 22)]).toEqual([ERR, errW2(DENIED)]); // so there is nothing to release
    expect([res(hv, 23), res(hv, 24)]).toEqual([OK, 3n]);
    expect(res(hv, 25)).toBe(OK);
    expect(res(hv, 26)).toBe(OK);
    expect([res(hv, 27), res(hv, 28)]).toEqual([ERR, errW2(DENIED)]); // no pair at the SPMC any more
    expect(spmc.getState().rxtx.find((p) => p.endpoint === 1)).toBeUndefined();
    const g = hv.s.ffa.vms[0]!;
    expect([g.rxtx, g.spmcRxtx, g.rxAcquired, g.rxFull]).toEqual([null, false, false, false]);
  });
});

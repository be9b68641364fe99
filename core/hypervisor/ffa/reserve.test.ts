// The hypervisor reserve exhausted when the FF-A proxy needs a page of it: a
// Stage-2 table page for a VM's borrow window (a retrieve), or the
// hypervisor's own RX/TX buffers: NO_MEMORY, with nothing changed, never a
// host exception.
import { describe, expect, it } from 'vitest';
import * as F from '../../ffa/functionIds.js';
import { NO_MEMORY } from '../../ffa/errors.js';
import { encodeTransaction } from '../../ffa/memory/transaction.js';
import { pages, retrieveTx, sendTx } from '../../spmc/ledgerTesting.js';
import { RAM_BASE } from '../../machine.js';
import type { Hypervisor } from '../hypervisor.js';
import { hvMachine } from '../testing.js';
import { BORROW_IPA_BASE, pageAt, PAGE_SHARED_BORROWED } from './ownership.js';
import { ffaCall } from './proxy.js';

const MiB = 1 << 20;
const TX = 0x4030_0000;
const RX = 0x4030_1000;
const ERR = BigInt(F.FFA_ERROR);
const NO_MEMORY_W2 = BigInt(NO_MEMORY >>> 0);

function call(hv: Hypervisor, vm: number, ...x: Array<number | bigint>): bigint[] {
  const regs = hv.m.core.regs(0);
  for (let i = 0; i < 18; i++) regs.setX(i, BigInt.asUintN(64, BigInt(x[i] ?? 0)));
  const v = hv.s.vms[vm]!;
  ffaCall(hv, 0, v, v.vcpus[0]!);
  return Array.from({ length: 4 }, (_, i) => regs.x(i));
}

describe('FF-A proxy: the hypervisor reserve exhausted', () => {
  it('a retrieve whose borrow window needs a table page: NO_MEMORY, the ledger unchanged; the same retrieve succeeds once the reserve has pages; the hypervisor\'s buffers for PARTITION_INFO_GET: NO_MEMORY', () => {
    const { hv } = hvMachine({ vms: [0, 1].map(() => ({ numVcpus: 1, ramBytes: 8 * MiB, kernel: new Uint8Array(16) })) });
    for (const vm of [0, 1]) expect(call(hv, vm, F.FFA_RXTX_MAP_64, TX, RX, 1)[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    const send = encodeTransaction(sendTx('share', 1, [2], [pages(0x4040_0000n, 1)]));
    hv.m.core.writePhys(hv.s.ffa.vms[0]!.rxtx!.txPa, send);
    const ok = call(hv, 0, F.FFA_MEM_SHARE_32, send.length, send.length, 0, 0);
    expect(ok[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    const handle = (ok[3]! << 32n) | ok[2]!;
    const req = encodeTransaction(retrieveTx('share', 1, [2], handle));
    hv.m.core.writePhys(hv.s.ffa.vms[1]!.rxtx!.txPa, req);
    const saved = hv.s.reserveNext;
    hv.s.reserveNext = hv.s.reserveBase + hv.s.reserveBytes; // every page of the reserve in use
    const ledger = structuredClone(hv.s.ffa.ledger);
    expect(call(hv, 1, F.FFA_MEM_RETRIEVE_REQ_32, req.length, req.length, 0, 0).slice(0, 3)).toEqual([ERR, 0n, NO_MEMORY_W2]);
    expect(hv.s.ffa.ledger).toEqual(ledger);
    expect(hv.s.ffa.vms[1]!.rxFull).toBe(false);
    // No SPMC behind (asked once), and no page for the hypervisor's own buffers either.
    expect(call(hv, 1, F.FFA_PARTITION_INFO_GET, 0, 0, 0, 0, 0).slice(0, 3)).toEqual([ERR, 0n, NO_MEMORY_W2]);
    expect(hv.s.ffa.hvRxtx).toBeNull();
    hv.s.reserveNext = saved;
    expect(call(hv, 1, F.FFA_MEM_RETRIEVE_REQ_32, req.length, req.length, 0, 0)[0]).toBe(BigInt(F.FFA_MEM_RETRIEVE_RESP));
    const vm0 = hv.s.vms[0]!;
    const pa = vm0.backingPa + (0x4040_0000 - vm0.ramIpa);
    expect(pageAt(hv, hv.s.vms[1]!, BORROW_IPA_BASE + (pa - RAM_BASE))).toMatchObject({ state: PAGE_SHARED_BORROWED, pa });
  });
});

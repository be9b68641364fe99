// The SPMC on a whole machine: boot from SP packages in secure RAM,
// partitions in boot order, direct messages from the Normal world.
import { describe, expect, it } from 'vitest';
import * as F from '../ffa/functionIds.js';
import { el3FirmwareOf } from '../firmware/secureBoot.js';
import { bootSpmcMachine } from './spmcTesting.js';
import { errorOf, nsProgram, nsResult } from './nsCalls.js';
import { ffaCall, store, testPartitionPackage, TP_DATA } from './testPartition.js';
import { readU64 } from './nsCalls.js';

const SP1 = 0x8001;
const SP2 = 0x8002;
const req = (to: number, cmd: number, arg: bigint | number, wide = false) => ({
  fid: wide ? F.FFA_MSG_SEND_DIRECT_REQ_64 : F.FFA_MSG_SEND_DIRECT_REQ_32,
  args: [to, 0, cmd, arg],
});

describe('SPMC boot', () => {
  it('loads two partitions, initialises them in boot order, and the Normal world starts', () => {
    const { m, spmc } = bootSpmcMachine(nsProgram([req(SP1, 0, 0x1234), req(SP2, 0, 0xabcd_0000_0000n, true)]), [
      testPartitionPackage({ id: SP1, bootOrder: 2, first: `${ffaCall(F.FFA_VERSION, [F.FFA_VERSION_1_1])}\n${store(0)}`, init: `${ffaCall(F.FFA_VERSION, [F.FFA_VERSION_1_2])}\n${store(1)}` }),
      testPartitionPackage({ id: SP2, bootOrder: 1 }),
    ]);
    expect(m.run(2_000_000)).toEqual({ kind: 'system-off' });
    expect(spmc.s.partitions.map((p) => p.id)).toEqual([SP2, SP1]);
    expect(spmc.s.log).toEqual([expect.stringContaining('FFA_VERSION from partition 0x8001: FFA_VERSION(NOT_SUPPORTED: the version is fixed at v1.1')]);
    expect(nsResult(m, 0).slice(0, 5)).toEqual([BigInt(F.FFA_MSG_SEND_DIRECT_RESP_32), BigInt(SP1) << 16n, 0n, 0n, 0x2234n]);
    expect(nsResult(m, 1).slice(0, 5)).toEqual([BigInt(F.FFA_MSG_SEND_DIRECT_RESP_64), BigInt(SP2) << 16n, 0n, 0n, 0xabcd_0000_1000n]);
    // SP1's FFA_VERSION at init: the SPMC's version; it works at 1.1 from then on.
    expect(readU64(m, 0x0e40_0000 + TP_DATA + 0x100)).toBe(BigInt(F.FFA_VERSION_1_2));
    expect(spmc.partition(SP1)!.version).toBe(F.FFA_VERSION_1_1);
    // Asking again for another version after other calls: refused (-1 in x0), the version stays.
    expect(readU64(m, 0x0e40_0000 + TP_DATA + 0x120)).toBe(0xffff_ffff_ffff_ffffn);
    expect(spmc.s.partitions.every((p) => p.vcpus[0]!.state === 'waiting')).toBe(true);
    expect(el3FirmwareOf(m).spmd.spmcState(0)).toBe('waiting');
  });

  it('refuses a request to an unknown partition or from a Secure sender ID', () => {
    const { m } = bootSpmcMachine(nsProgram([req(0x8005, 0, 1), { fid: F.FFA_MSG_SEND_DIRECT_REQ_32, args: [(0x8003 << 16) | SP1, 0, 0, 1] }]), [testPartitionPackage({ id: SP1 })]);
    expect(m.run(2_000_000)).toEqual({ kind: 'system-off' });
    expect(errorOf(nsResult(m, 0))).toBe(-2);
    expect(errorOf(nsResult(m, 1))).toBe(-2);
  });

  it('places a position-independent partition and a region without an address itself, after every fixed one', () => {
    const pie = testPartitionPackage({
      id: SP2, loadAddress: null,
      memoryRegions: [{ name: 'heap', description: null, base: { kind: 'any' }, pageCount: 2, attributes: 0x3 }],
    }, 0x0e41_0000n); // linked where the SPMC will put it: after SP1's 64 KiB image
    const { m, spmc } = bootSpmcMachine(nsProgram([req(SP2, 0, 5), req(SP1, 0, 6)]), [testPartitionPackage({ id: SP1 }), pie]);
    expect(m.run(2_000_000)).toEqual({ kind: 'system-off' });
    expect(nsResult(m, 0)[4]).toBe(0x1005n);
    expect(nsResult(m, 1)[4]).toBe(0x1006n);
    expect(spmc.partition(SP2)!.imageBase).toBe('0xe410000');
    expect(spmc.partition(SP2)!.ownedSecure).toEqual([{ base: '0xe410000', bytes: 0x10000 }, { base: '0xe420000', bytes: 0x2000 }]);
  });

  it('a package damaged in secure RAM after it was checked: the SPMC fails its initialisation and the firmware stops the machine', () => {
    const { m, spmc } = bootSpmcMachine(nsProgram([req(SP1, 0, 1)]), [testPartitionPackage({ id: SP1 })]);
    m.core.writePhys(0x0ec0_0000, new Uint8Array(4)); // the first package's magic
    const stop = m.run(2_000_000);
    expect(stop.kind).toBe('halt');
    expect(JSON.stringify(stop)).toContain('the SPMC failed its initialisation (FFA_ERROR -2)');
    expect(spmc.s.log).toEqual([expect.stringMatching(/^boot: SPMC: package 0: SP package magic/)]);
  });

  it('at init: FFA_SECONDARY_EP_REGISTER inside the image only; a partition ending its init with FFA_ERROR is marked failed, the others boot, requests to it are ABORTED', () => {
    const base = 0x0e40_0000;
    const { m, spmc } = bootSpmcMachine(nsProgram([req(SP2, 0, 1), req(SP1, 0, 2)]), [
      testPartitionPackage({ id: SP1, init: [ffaCall(F.FFA_SECONDARY_EP_REGISTER_64, [base - 0x1000]), store(0), ffaCall(F.FFA_SECONDARY_EP_REGISTER_64, [base + 0x40]), store(1)].join('\n') }),
      testPartitionPackage({ id: SP2, init: ffaCall(F.FFA_ERROR, [0, 0xffff_fffe]) }),
    ]);
    expect(m.run(2_000_000)).toEqual({ kind: 'system-off' });
    expect(readU64(m, base + TP_DATA + 0x100 + 16)).toBe(0xffff_fffen);
    expect(readU64(m, base + TP_DATA + 0x120)).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(spmc.partition(SP1)!.secondaryEntry).toBe('0xe400040');
    expect(spmc.partition(SP2)!.aborted!.reason).toBe('its initialisation failed (FFA_ERROR -2)');
    expect(errorOf(nsResult(m, 0))).toBe(-8);
    expect(nsResult(m, 1)[4]).toBe(0x1002n);
  });
});

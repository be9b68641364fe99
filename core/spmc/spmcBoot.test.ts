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
});

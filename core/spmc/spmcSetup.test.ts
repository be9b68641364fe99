// Setup and discovery ABIs through the SPMC on a whole machine: FFA_VERSION
// (the Normal world's as an SPMD framework message), FFA_FEATURES, the
// RX/TX registry, FFA_PARTITION_INFO_GET(_REGS), FFA_MEM_PERM_GET/SET at init.
import { describe, expect, it } from 'vitest';
import * as F from '../ffa/functionIds.js';
import { decodePartitionInfo, decodePartitionInfoRegs } from '../ffa/partitionInfo.js';
import { uuidFromText, uuidToText, uuidToWords } from '../ffa/uuid.js';
import { bootSpmcMachine } from './spmcTesting.js';
import { errorOf, nsProgram, nsResult, readU64 } from './nsCalls.js';
import { ffaCall, store, testPartitionPackage, TP_DATA } from './testPartition.js';

const SP1 = 0x8001;
const SP2 = 0x8002;
const SP3 = 0x8003;
const TX = 0x4050_0000;
const RX = 0x4050_1000;
const three = () => [testPartitionPackage({ id: SP1 }), testPartitionPackage({ id: SP2, messaging: 0x1 }), testPartitionPackage({ id: SP3 })];
const uuidOf = (id: number) => uuidFromText(`5e5e0000-0000-4000-8000-00000000${id.toString(16)}`)!;

describe('SPMC setup and discovery', () => {
  it('FFA_PARTITION_INFO_GET into the caller\'s RX buffer with RX ownership; count flag; UUID filter; errors', () => {
    const { m } = bootSpmcMachine(nsProgram([
      { fid: F.FFA_PARTITION_INFO_GET }, // 0: no RX buffer: BUSY
      { fid: F.FFA_RXTX_MAP_64, args: [TX, RX, 1] }, // 1
      { fid: F.FFA_PARTITION_INFO_GET }, // 2: all three, v1.1 layout
      { fid: F.FFA_PARTITION_INFO_GET }, // 3: RX still the caller's: BUSY
      { fid: F.FFA_RX_RELEASE }, // 4
      { fid: F.FFA_RX_RELEASE }, // 5: nothing to release: DENIED
      { fid: F.FFA_PARTITION_INFO_GET, args: [...uuidToWords(uuidOf(SP2)), 0] }, // 6: one
      { fid: F.FFA_RX_RELEASE }, // 7
      { fid: F.FFA_PARTITION_INFO_GET, args: [0, 0, 0, 0, 1] }, // 8: count only
      { fid: F.FFA_PARTITION_INFO_GET, args: [1, 2, 3, 4, 0] }, // 9: unknown UUID
      { fid: F.FFA_PARTITION_INFO_GET, args: [0, 0, 0, 0, 2] }, // 10: flags bit 1
      { fid: F.FFA_RXTX_MAP_64, args: [TX + 0x2000, RX + 0x2000, 1] }, // 11: a second pair: DENIED
      { fid: F.FFA_RXTX_UNMAP }, // 12
      { fid: F.FFA_RXTX_UNMAP }, // 13: none: INVALID_PARAMETERS
      { fid: F.FFA_RXTX_MAP_64, args: [TX + 8, RX, 1] }, // 14: misaligned
      { fid: F.FFA_RXTX_MAP_64, args: [0x0e40_0000, RX, 1] }, // 15: secure memory
      { fid: F.FFA_RXTX_MAP_64, args: [TX, TX, 1] }, // 16: overlapping
      { fid: F.FFA_RXTX_MAP_64, args: [TX, RX, 0] }, // 17: no pages
      { fid: F.FFA_RX_ACQUIRE, args: [0] }, // 18: no pair: INVALID_PARAMETERS
    ]), three());
    expect(m.run(3_000_000)).toEqual({ kind: 'system-off' });
    const r = (i: number) => nsResult(m, i);
    expect(errorOf(r(0))).toBe(-4);
    expect(r(1)[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(r(2).slice(0, 4)).toEqual([BigInt(F.FFA_SUCCESS_32), 0n, 3n, 24n]);
    const info = decodePartitionInfo(m.core.readPhys(RX, 72).slice(), 3, 24);
    // The RX buffer as the last call left it: call 6 wrote SP2's descriptor over the first of call 2's three.
    expect(info.ok && info.value.map((p) => [p.id, p.executionContexts, p.properties, uuidToText(p.uuid)])).toEqual([
      [SP2, 1, 0x1 | 0x100, uuidToText(uuidOf(SP2))],
      [SP2, 1, 0x1 | 0x100, uuidToText(uuidOf(SP2))],
      [SP3, 1, 0x603 | 0x100, uuidToText(uuidOf(SP3))],
    ].map(([id, n, props, u]) => [id, n, (props as number) & 0x1ff, u]));
    expect(errorOf(r(3))).toBe(-4);
    expect(r(4)[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(errorOf(r(5))).toBe(-6);
    expect(r(6).slice(2, 4)).toEqual([1n, 24n]);
    expect(r(8).slice(0, 4)).toEqual([BigInt(F.FFA_SUCCESS_32), 0n, 3n, 0n]);
    expect([9, 10].map((i) => errorOf(r(i)))).toEqual([-2, -2]);
    expect(errorOf(r(11))).toBe(-6);
    expect(r(12)[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    expect([13, 14, 15, 16, 17, 18].map((i) => errorOf(r(i)))).toEqual([-2, -2, -2, -2, -2, -2]);
  });

  it('the Normal world\'s FFA_VERSION reaches the SPMC as a framework message; v1.2 unlocks FFA_PARTITION_INFO_GET_REGS; v1.0 gets 8-byte descriptors', () => {
    const { m, spmc } = bootSpmcMachine(nsProgram([
      { fid: F.FFA_PARTITION_INFO_GET_REGS }, // 0: default v1.1: NOT_SUPPORTED
      { fid: F.FFA_VERSION, args: [F.FFA_VERSION_1_2] }, // 1
      { fid: F.FFA_PARTITION_INFO_GET_REGS }, // 2
      { fid: F.FFA_PARTITION_INFO_GET_REGS, args: [0, 0, 3] }, // 3: start past the end
      { fid: F.FFA_PARTITION_INFO_GET_REGS, args: [0, 0, 1 << 16] }, // 4: a tag
      { fid: F.FFA_VERSION, args: [F.FFA_VERSION_1_0] }, // 5: fixed by the calls since: refused
      { fid: F.FFA_VERSION, args: [0x2_0000] }, // 6: major 2: refused
    ]), three());
    expect(m.run(3_000_000)).toEqual({ kind: 'system-off' });
    expect(errorOf(nsResult(m, 0))).toBe(-1);
    expect(nsResult(m, 1)[0]).toBe(BigInt(F.FFA_VERSION_1_2));
    const regs = decodePartitionInfoRegs(nsResult(m, 2), 0);
    expect([regs.last, regs.current, regs.size]).toEqual([2, 2, 24]);
    expect(regs.entries.map((e) => [e.id, uuidToText(e.uuid)])).toEqual([SP1, SP2, SP3].map((id) => [id, uuidToText(uuidOf(id))]));
    expect(errorOf(nsResult(m, 3))).toBe(-2);
    expect(errorOf(nsResult(m, 4))).toBe(-2);
    expect(nsResult(m, 5)[0]).toBe(0xffff_ffff_ffff_ffffn);
    expect(nsResult(m, 6)[0]).toBe(0xffff_ffff_ffff_ffffn);
    expect(spmc.s.nwdVersion).toBe(F.FFA_VERSION_1_2);

    const old = bootSpmcMachine(nsProgram([
      { fid: F.FFA_VERSION, args: [F.FFA_VERSION_1_0] },
      { fid: F.FFA_RXTX_MAP_64, args: [TX, RX, 1] },
      { fid: F.FFA_PARTITION_INFO_GET },
    ]), three());
    expect(old.m.run(3_000_000)).toEqual({ kind: 'system-off' });
    expect(nsResult(old.m, 2).slice(0, 4)).toEqual([BigInt(F.FFA_SUCCESS_32), 0n, 3n, 0n]);
    const v10 = decodePartitionInfo(old.m.core.readPhys(RX, 24).slice(), 3, 8);
    expect(v10.ok && v10.value.map((p) => [p.id, p.properties])).toEqual([[SP1, 0x3], [SP2, 0x1], [SP3, 0x3]]);
  });

  it('FFA_FEATURES: what each side may call; the schedule receiver interrupt (SGI 8) for the Normal world; unknown feature IDs', () => {
    const { m } = bootSpmcMachine(nsProgram([
      { fid: F.FFA_FEATURES, args: [F.FFA_MSG_SEND_DIRECT_REQ_32] },
      { fid: F.FFA_FEATURES, args: [F.FFA_RXTX_MAP_64] },
      { fid: F.FFA_FEATURES, args: [F.FFA_MSG_WAIT] },
      { fid: F.FFA_FEATURES, args: [F.FFA_FEATURE_SRI] },
      { fid: F.FFA_FEATURES, args: [0x100] },
      { fid: F.FFA_FEATURES, args: [F.FFA_MEM_SHARE_64] },
      { fid: F.FFA_MEM_SHARE_64 },
    ]), three());
    expect(m.run(3_000_000)).toEqual({ kind: 'system-off' });
    expect(nsResult(m, 0)[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(nsResult(m, 1).slice(0, 3)).toEqual([BigInt(F.FFA_SUCCESS_32), 0n, 0n]);
    expect(errorOf(nsResult(m, 2))).toBe(-1); // FFA_MSG_WAIT is a partition's
    expect(nsResult(m, 3).slice(0, 3)).toEqual([BigInt(F.FFA_SUCCESS_32), 0n, 8n]);
    expect(errorOf(nsResult(m, 4))).toBe(-1);
    expect(nsResult(m, 5)[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(errorOf(nsResult(m, 6))).toBe(-2); // no TX buffer mapped
  });

  it('a partition maps its own RX/TX (in memory it owns) and reads partition information; FFA_MEM_PERM_GET/SET at init on its secure stage 2', () => {
    const base = 0x0e40_0000;
    const init = [
      ffaCall(F.FFA_RXTX_MAP_64, [base + 0xa000, base + 0xb000, 1]), store(0),
      ffaCall(F.FFA_PARTITION_INFO_GET), store(1),
      ffaCall(F.FFA_RXTX_MAP_64, [0x0e50_0000, 0x0e50_1000, 1]), store(2), // another partition's memory
      ffaCall(F.FFA_MEM_PERM_GET_64, [base]), store(3),
      ffaCall(F.FFA_MEM_PERM_SET_64, [base + 0xc000, 2, 0x7]), store(4),
      ffaCall(F.FFA_MEM_PERM_GET_64, [base + 0xd000]), store(5),
      ffaCall(F.FFA_MEM_PERM_SET_64, [base + 0xc000, 1, 0x1]), store(6), // RWX: not a permission value
      ffaCall(F.FFA_MEM_PERM_SET_64, [0x0e50_0000, 1, 0x5]), store(7), // not its memory
      ffaCall(F.FFA_MEM_PERM_GET_64, [base + 0x10_0000]), store(8),
      ffaCall(F.FFA_RX_RELEASE), store(9),
      ffaCall(F.FFA_RX_RELEASE, [1]), store(10), // w1 must be 0 for a partition
    ].join('\n');
    // After init the read-only page faults a write: the request's store aborts the partition.
    const { m, spmc } = bootSpmcMachine(nsProgram([{ fid: F.FFA_MSG_SEND_DIRECT_REQ_32, args: [SP1, 0, 7, F.FFA_MEM_PERM_GET_64, base] }, { fid: F.FFA_MSG_SEND_DIRECT_REQ_32, args: [SP1, 0, 0, 1] }]), [
      testPartitionPackage({ id: SP1, init }), testPartitionPackage({ id: SP2, messaging: 0x1 }),
    ]);
    expect(m.run(3_000_000)).toEqual({ kind: 'system-off' });
    const res = (n: number) => [0, 1, 2, 3].map((k) => readU64(m, base + TP_DATA + 0x100 + 32 * n + 8 * k));
    expect(res(0)[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(res(1).slice(0, 4)).toEqual([BigInt(F.FFA_SUCCESS_32), 0n, 2n, 24n]);
    const info = decodePartitionInfo(m.core.readPhys(base + 0xb000, 48).slice(), 2, 24);
    expect(info.ok && info.value.map((p) => p.id)).toEqual([SP1, SP2]);
    expect(res(2).slice(0, 3)).toEqual([BigInt(F.FFA_ERROR), 0n, 0xffff_fffen]);
    expect(res(3).slice(0, 3)).toEqual([BigInt(F.FFA_SUCCESS_32), 0n, 0x1n]); // its image: RWX
    expect(res(4)[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(res(5).slice(0, 3)).toEqual([BigInt(F.FFA_SUCCESS_32), 0n, 0x7n]); // read-only now
    expect([6, 7, 8].map((n) => res(n)[2])).toEqual([0xffff_fffen, 0xffff_fffen, 0xffff_fffen]);
    expect(res(9)[0]).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(res(10)[2]).toBe(0xffff_fffen);
    // At run time FFA_MEM_PERM_GET is refused (DENIED) and the partition still answers.
    const r = nsResult(m, 0);
    expect([r[3], r[5]]).toEqual([BigInt(F.FFA_ERROR), 0xffff_fffan]);
    expect(nsResult(m, 1)[4]).toBe(0x1001n);
    expect(spmc.partition(SP1)!.aborted).toBe(null);
  });
});

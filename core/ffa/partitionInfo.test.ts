import { describe, expect, it } from 'vitest';
import { FFA_SUCCESS_64, FFA_VERSION_1_0, FFA_VERSION_1_1, FFA_VERSION_1_2 } from './functionIds.js';
import { INVALID_PARAMETERS } from './errors.js';
import {
  FFA_PARTITION_AARCH64_EXEC, FFA_PARTITION_DIRECT_REQ2_RECV, FFA_PARTITION_DIRECT_REQ_RECV, PARTITION_INFO_SIZE_V1_0, PARTITION_INFO_SIZE_V1_1,
  decodePartitionInfo, decodePartitionInfoGetFlags, decodePartitionInfoRegs, encodePartitionInfo, partitionInfoGetSuccess, partitionInfoRegsAnswer,
  type PartitionInfo,
} from './partitionInfo.js';
import { errorCodeOf, resultFid } from './result.js';
import { uuidFromText, uuidToText } from './uuid.js';

const sp = (id: number, n: number): PartitionInfo => ({
  id, executionContexts: 1, properties: FFA_PARTITION_DIRECT_REQ_RECV | FFA_PARTITION_AARCH64_EXEC | FFA_PARTITION_DIRECT_REQ2_RECV,
  uuid: uuidFromText(`00000000-0000-0000-0000-00000000000${n}`) as Uint8Array,
});

describe('partition information descriptors', () => {
  // Offsets verified against Hafnium's struct ffa_partition_info_v1_0 / _v1_1 and Linux's struct ffa_partition_info:
  // vm_id/id u16 @0, vcpu_count/exec_ctxt u16 @2, properties u32 @4, uuid u32[4] @8; sizes 8 and 24.
  it('lay out as the C structs do', () => {
    const bytes = encodePartitionInfo([sp(0x8001, 1)], FFA_VERSION_1_1);
    expect(bytes.length).toBe(PARTITION_INFO_SIZE_V1_1);
    const dv = new DataView(bytes.buffer);
    expect(dv.getUint16(0, true)).toBe(0x8001);
    expect(dv.getUint16(2, true)).toBe(1);
    expect(dv.getUint32(4, true)).toBe(0x101); // v1.1 keeps bits 8:0, drops v1.2's bit 9
    expect(bytes[23]).toBe(1);
    const v10 = encodePartitionInfo([sp(0x8001, 1)], FFA_VERSION_1_0);
    expect(v10.length).toBe(PARTITION_INFO_SIZE_V1_0);
    expect(new DataView(v10.buffer).getUint32(4, true)).toBe(1); // v1.0 defines bits 2:0 only
  });

  it('round-trip in both forms', () => {
    const list = [sp(0x8001, 1), sp(0x8002, 2), sp(0x8003, 3)];
    const back = decodePartitionInfo(encodePartitionInfo(list, FFA_VERSION_1_2), 3, 24);
    expect(back.ok && back.value.map((p) => [p.id, p.properties, uuidToText(p.uuid)])).toEqual(list.map((p) => [p.id, p.properties, uuidToText(p.uuid)]));
    const short = decodePartitionInfo(encodePartitionInfo(list, FFA_VERSION_1_0), 3, 8);
    expect(short.ok && short.value.map((p) => p.id)).toEqual([0x8001, 0x8002, 0x8003]);
  });

  it('refuse sizes and counts that do not fit', () => {
    const bytes = encodePartitionInfo([sp(0x8001, 1)], FFA_VERSION_1_1);
    for (const [count, size] of [[2, 24], [1, 12], [-1, 24], [1.5, 24]] as const) {
      const r = decodePartitionInfo(bytes, count, size);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(errorCodeOf(r.error)).toBe(INVALID_PARAMETERS);
    }
  });

  it('FFA_PARTITION_INFO_GET flags: count-only bit, the rest MBZ, nothing for v1.0', () => {
    expect(decodePartitionInfoGetFlags(1, FFA_VERSION_1_1)).toEqual({ ok: true, value: { countOnly: true } });
    expect(decodePartitionInfoGetFlags(2, FFA_VERSION_1_1).ok).toBe(false);
    expect(decodePartitionInfoGetFlags(1, FFA_VERSION_1_0).ok).toBe(false);
    expect(partitionInfoGetSuccess(3, FFA_VERSION_1_1, false).x.slice(2, 4)).toEqual([3n, 24n]);
    expect(partitionInfoGetSuccess(3, FFA_VERSION_1_1, true).x.slice(2, 4)).toEqual([3n, 0n]);
    expect(partitionInfoGetSuccess(3, FFA_VERSION_1_0, false).x.slice(2, 4)).toEqual([3n, 0n]);
  });

  it('FFA_PARTITION_INFO_GET_REGS: five per call, indices and size in x2', () => {
    const all = Array.from({ length: 7 }, (_, i) => sp(0x8001 + i, (i % 9) + 1));
    const first = partitionInfoRegsAnswer(all, 0, 0);
    expect(resultFid(first)).toBe(FFA_SUCCESS_64);
    const d = decodePartitionInfoRegs(first.x, 0);
    expect([d.last, d.current, d.size, d.entries.length]).toEqual([6, 4, 24, 5]);
    expect(d.entries[4]?.id).toBe(0x8005);
    const rest = decodePartitionInfoRegs(partitionInfoRegsAnswer(all, 5, 7).x, 5);
    expect([rest.current, rest.tag, rest.entries.map((e) => e.id)]).toEqual([6, 7, [0x8006, 0x8007]]);
    expect(uuidToText(rest.entries[1]?.uuid as Uint8Array)).toBe(uuidToText(all[6]?.uuid as Uint8Array));
    expect(errorCodeOf(partitionInfoRegsAnswer(all, 7, 0))).toBe(INVALID_PARAMETERS);
  });
});

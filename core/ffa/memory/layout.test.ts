// The offsets below were read from the C structs and checked by hand:
// Hafnium inc/vmapi/hf/ffa.h (struct ffa_memory_region, ffa_memory_access,
// ffa_composite_memory_region, ffa_memory_region_constituent,
// ffa_mem_relinquish), inc/vmapi/hf/ffa_v1_0.h (ffa_memory_region_v1_0,
// ffa_memory_access_v1_0) and Linux include/linux/arm_ffa.h (ffa_mem_region,
// ffa_mem_region_attributes, ffa_composite_mem_region, ffa_mem_region_addr_range).
// The same offsets, sizes and bit-field positions were confirmed with gcc's
// offsetof/sizeof on the structs retyped with <stdint.h> types (Hafnium's
// ffa_memory_attributes_t with shareability 3, cacheability 3, type 2,
// security 1 reads 0x6f; ffa_memory_access_permissions_t with data access 2,
// instruction access 1 reads 0x06). Each test encodes a descriptor and reads
// the field back at the C offset.
import { describe, expect, it } from 'vitest';
import * as L from './layout.js';
import { encodeTransaction } from './transaction.js';
import { encodeAttributes, encodePermissions } from './attributes.js';
import { sampleShare } from './testing.js';

/** [field, offset, size] of each C struct, as the headers declare them. */
const HEADER_V1_1: readonly [string, number, number][] = [
  ['sender / sender_id', 0, 2], ['attributes (u16)', 2, 2], ['flags', 4, 4], ['handle', 8, 8], ['tag', 16, 8],
  ['memory_access_desc_size / ep_mem_size', 24, 4], ['receiver_count / ep_count', 28, 4], ['receivers_offset / ep_mem_offset', 32, 4],
  ['reserved[3]', 36, 12],
];
const HEADER_V1_0: readonly [string, number, number][] = [
  ['sender', 0, 2], ['attributes (u8)', 2, 1], ['reserved_0', 3, 1], ['flags', 4, 4], ['handle', 8, 8], ['tag', 16, 8],
  ['reserved_1', 24, 4], ['receiver_count', 28, 4],
];
const EMAD_V1_0: readonly [string, number, number][] = [
  ['receiver', 0, 2], ['permissions / attrs', 2, 1], ['flags / flag', 3, 1], ['composite_memory_region_offset / composite_off', 4, 4], ['reserved_0', 8, 8],
];
const EMAD_V1_2: readonly [string, number, number][] = [
  ['receiver', 0, 2], ['permissions', 2, 1], ['flags', 3, 1], ['composite_memory_region_offset', 4, 4], ['impdef.val[2]', 8, 16], ['reserved_0', 24, 8],
];
const COMPOSITE: readonly [string, number, number][] = [['page_count / total_pg_cnt', 0, 4], ['constituent_count / addr_range_cnt', 4, 4], ['reserved_0', 8, 8]];
const CONSTITUENT: readonly [string, number, number][] = [['address', 0, 8], ['page_count / pg_cnt', 8, 4], ['reserved', 12, 4]];

const end = (t: readonly [string, number, number][]): number => Math.max(...t.map(([, o, s]) => o + s));

describe('descriptor layouts match the C structs', () => {
  it('sizes', () => {
    expect(L.headerSize('v1.1')).toBe(end(HEADER_V1_1));
    expect(L.headerSize('v1.2')).toBe(48);
    expect(L.headerSize('v1.0')).toBe(end(HEADER_V1_0));
    expect(L.emadSize('v1.0')).toBe(end(EMAD_V1_0));
    expect(L.emadSize('v1.1')).toBe(16);
    expect(L.emadSize('v1.2')).toBe(end(EMAD_V1_2));
    expect(L.COMPOSITE_SIZE).toBe(end(COMPOSITE));
    expect(L.CONSTITUENT_SIZE).toBe(end(CONSTITUENT));
  });

  it('offsets', () => {
    expect([L.HEADER_SENDER, L.HEADER_ATTRIBUTES, L.HEADER_FLAGS, L.HEADER_HANDLE, L.HEADER_TAG, L.HEADER_EMAD_SIZE, L.HEADER_RECEIVER_COUNT, L.HEADER_RECEIVERS_OFFSET, L.HEADER_RESERVED_V1_1])
      .toEqual(HEADER_V1_1.map(([, o]) => o));
    expect(L.HEADER_RESERVED_0_V1_0).toBe(3);
    expect([L.EMAD_RECEIVER, L.EMAD_PERMISSIONS, L.EMAD_FLAGS, L.EMAD_COMPOSITE_OFFSET, L.EMAD_RESERVED_V1_0]).toEqual(EMAD_V1_0.map(([, o]) => o));
    expect([L.EMAD_IMPDEF_V1_2, L.EMAD_RESERVED_V1_2]).toEqual([8, 24]);
    expect([L.COMPOSITE_PAGE_COUNT, L.COMPOSITE_CONSTITUENT_COUNT, L.COMPOSITE_RESERVED]).toEqual(COMPOSITE.map(([, o]) => o));
    expect([L.CONSTITUENT_ADDRESS, L.CONSTITUENT_PAGE_COUNT, L.CONSTITUENT_RESERVED]).toEqual(CONSTITUENT.map(([, o]) => o));
  });

  it('an encoded v1.1 share reads back at the C offsets', () => {
    const tx = sampleShare('v1.1', 2);
    tx.flags = 1;
    tx.tag = 0x1234n;
    const b = encodeTransaction(tx);
    const dv = new DataView(b.buffer);
    expect(dv.getUint16(0, true)).toBe(1);
    expect(dv.getUint16(2, true)).toBe(0x2f); // normal (2<<4) | write-back (3<<2) | inner (3)
    expect(dv.getUint32(4, true)).toBe(1);
    expect(dv.getBigUint64(16, true)).toBe(0x1234n);
    expect([dv.getUint32(24, true), dv.getUint32(28, true), dv.getUint32(32, true)]).toEqual([16, 2, 48]);
    // Receivers at 48 and 64, composite at 80 (Linux: ep_mem_offset + count * ep_mem_size).
    expect([dv.getUint16(48, true), dv.getUint16(64, true)]).toEqual([0x8001, 0x8002]);
    expect(b[50]).toBe(2); // RW
    expect([dv.getUint32(52, true), dv.getUint32(68, true)]).toEqual([80, 80]);
    expect([dv.getUint32(80, true), dv.getUint32(84, true)]).toEqual([7, 3]);
    expect([dv.getBigUint64(96, true), dv.getUint32(104, true)]).toEqual([0x4010_0000n, 2]);
    expect(b.length).toBe(96 + 3 * 16);
  });

  it('an encoded v1.0 share: the EMAD array at 32 (Linux COMPOSITE_OFFSET(0)), a one-byte attributes field', () => {
    const b = encodeTransaction(sampleShare('v1.0'));
    const dv = new DataView(b.buffer);
    expect([b[2], b[3], dv.getUint32(24, true)]).toEqual([0x2f, 0, 0]);
    expect(dv.getUint16(32, true)).toBe(0x8001);
    expect(dv.getUint32(36, true)).toBe(48);
    expect(dv.getUint32(52, true)).toBe(3);
  });

  it('an encoded v1.2 share: 32-byte EMADs with the implementation-defined words at 8', () => {
    const b = encodeTransaction(sampleShare('v1.2', 2));
    const dv = new DataView(b.buffer);
    expect(dv.getUint32(24, true)).toBe(32);
    expect([dv.getBigUint64(48 + 8, true), dv.getBigUint64(48 + 16, true), dv.getBigUint64(80 + 8, true)]).toEqual([0x11n, 0x22n, 0x22n]);
    expect(dv.getUint32(52, true)).toBe(112);
  });

  it('bit fields sit where the C bit-fields put them', () => {
    expect(encodeAttributes({ shareability: 3, cacheability: 3, type: 2, security: 1 })).toBe(0x6f);
    expect(encodePermissions({ dataAccess: 2, instructionAccess: 1 })).toBe(0x06);
  });

  it('layoutFor: the EMAD size must suit the version', () => {
    expect(L.layoutFor(0x10000, 99)).toBe('v1.0');
    expect(L.layoutFor(0x10001, 16)).toBe('v1.1');
    expect(L.layoutFor(0x10001, 32)).toBeNull();
    expect(L.layoutFor(0x10002, 16)).toBe('v1.1');
    expect(L.layoutFor(0x10002, 32)).toBe('v1.2');
    expect(L.layoutFor(0x10002, 24)).toBeNull();
  });
});

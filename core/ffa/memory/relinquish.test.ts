import { describe, expect, it } from 'vitest';
import { INVALID_PARAMETERS } from '../errors.js';
import { errorCodeOf } from '../result.js';
import { decodeReclaimFlags, decodeRelinquish, encodeRelinquish } from './relinquish.js';

describe('relinquish descriptor', () => {
  // Hafnium struct ffa_mem_relinquish: handle u64 @0, flags u32 @8, endpoint_count u32 @12, endpoints[] @16.
  it('lays out as Hafnium\'s struct and round-trips', () => {
    const r = { handle: 0x8000_0000_0000_0002n, flags: 1, endpoints: [0x8001] };
    const bytes = encodeRelinquish(r);
    const dv = new DataView(bytes.buffer);
    expect([dv.getBigUint64(0, true), dv.getUint32(8, true), dv.getUint32(12, true), dv.getUint16(16, true), bytes.length]).toEqual([r.handle, 1, 1, 0x8001, 18]);
    const page = new Uint8Array(4096);
    page.set(bytes);
    expect(decodeRelinquish(page)).toEqual({ ok: true, value: r });
  });

  it('refuses reserved flags, time slicing, no endpoints, endpoints past the buffer', () => {
    const base = encodeRelinquish({ handle: 1n, flags: 0, endpoints: [1, 2] });
    const bad = (f: (dv: DataView) => void, len = base.length): number | null => {
      const b = new Uint8Array(len);
      b.set(base.subarray(0, Math.min(len, base.length)));
      f(new DataView(b.buffer));
      const r = decodeRelinquish(b);
      return r.ok ? null : errorCodeOf(r.error);
    };
    expect(bad((dv) => dv.setUint32(8, 4, true))).toBe(INVALID_PARAMETERS);
    expect(bad((dv) => dv.setUint32(8, 2, true))).toBe(INVALID_PARAMETERS);
    expect(bad((dv) => dv.setUint32(12, 0, true))).toBe(INVALID_PARAMETERS);
    expect(bad((dv) => dv.setUint32(12, 0xffff_ffff, true))).toBe(INVALID_PARAMETERS);
    expect(bad(() => undefined, 10)).toBe(INVALID_PARAMETERS);
    expect(bad(() => undefined)).toBeNull();
  });

  it('reclaim flags: zero memory, nothing else', () => {
    expect(decodeReclaimFlags(1)).toEqual({ ok: true, value: { clear: true } });
    expect(decodeReclaimFlags(0).ok).toBe(true);
    expect(decodeReclaimFlags(2).ok).toBe(false);
    expect(decodeReclaimFlags(0x8000_0000).ok).toBe(false);
  });
});

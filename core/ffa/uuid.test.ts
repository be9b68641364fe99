import { describe, expect, it } from 'vitest';
import { uuidEqual, uuidFromText, uuidFromWords, uuidFromX2, uuidIsNull, uuidToText, uuidToWords, uuidToX2 } from './uuid.js';

describe('UUIDs', () => {
  const text = 'b4b5671e-4a90-4fe1-b81f-fb13dae1dacb';

  it('round-trips text and canonical bytes', () => {
    const u = uuidFromText(text);
    expect(u).not.toBeNull();
    expect(uuidToText(u as Uint8Array)).toBe(text);
    expect(u?.[0]).toBe(0xb4);
    expect(uuidFromText('not-a-uuid')).toBeNull();
    expect(uuidFromText(`${text}0`)).toBeNull();
  });

  it('words are little-endian readings of byte groups (Linux export_uuid into u32[4])', () => {
    const u = uuidFromText(text) as Uint8Array;
    expect(uuidToWords(u)).toEqual([0x1e67b5b4, 0xe14f904a, 0x13fb1fb8, 0xcbdae1da]);
    expect(uuidEqual(uuidFromWords(uuidToWords(u)), u)).toBe(true);
  });

  it('64-bit pairs put the lower word low (Hafnium ffa_uuid_to_u64x2)', () => {
    const u = uuidFromText(text) as Uint8Array;
    const [lo, hi] = uuidToX2(u);
    expect(lo).toBe(0xe14f904a_1e67b5b4n);
    expect(hi).toBe(0xcbdae1da_13fb1fb8n);
    expect(uuidEqual(uuidFromX2(lo, hi), u)).toBe(true);
    expect(uuidIsNull(new Uint8Array(16))).toBe(true);
    expect(uuidIsNull(u)).toBe(false);
  });
});

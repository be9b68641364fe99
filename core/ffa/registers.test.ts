import { describe, expect, it } from 'vitest';
import { INVALID_PARAMETERS, NOT_SUPPORTED } from './errors.js';
import { FFA_FEATURES, FFA_FEATURE_SRI, FFA_MEM_PERM_SET_64, FFA_MEM_RETRIEVE_REQ_64, FFA_RXTX_MAP_32, FFA_RXTX_MAP_64 } from './functionIds.js';
import { decodeFeaturesArgs } from './features.js';
import { decodeMemPermSetArgs } from './memPerm.js';
import { errorCodeOf, type Checked } from './result.js';
import { decodeRxtxMapArgs } from './rxtx.js';

const code = <T>(r: Checked<T>): number | 'ok' => (r.ok ? 'ok' : (errorCodeOf(r.error) as number));
const regs = (...v: (number | bigint)[]): bigint[] => v.map((n) => BigInt(n));

describe('FFA_RXTX_MAP arguments', () => {
  it('reads TX, RX and the page count (W views for the 32-bit call)', () => {
    expect(decodeRxtxMapArgs(regs(FFA_RXTX_MAP_64, 0x1_4000_0000n, 0x1_4000_1000n, 1), 64)).toEqual({ ok: true, value: { tx: 0x1_4000_0000n, rx: 0x1_4000_1000n, pageCount: 1 } });
    expect(decodeRxtxMapArgs(regs(FFA_RXTX_MAP_32, 0x1_4000_0000n, 0x4000_4000, 2), 64)).toEqual({ ok: true, value: { tx: 0x4000_0000n, rx: 0x4000_4000n, pageCount: 2 } });
  });

  it('refuses reserved bits, bad counts, misaligned, overlapping or wrapping buffers', () => {
    for (const x of [
      regs(FFA_RXTX_MAP_64, 0x4000_0000, 0x4000_1000, 0x41),
      regs(FFA_RXTX_MAP_64, 0x4000_0000, 0x4000_1000, 0),
      regs(FFA_RXTX_MAP_64, 0x4000_0000, 0x4000_1000, 5),
      regs(FFA_RXTX_MAP_64, 0x4000_0800, 0x4000_2000, 1),
      regs(FFA_RXTX_MAP_64, 0x4000_0000, 0x4000_1000, 2),
      regs(FFA_RXTX_MAP_64, 0xffff_ffff_ffff_f000n, 0x4000_1000, 2),
    ]) expect(code(decodeRxtxMapArgs(x, 4))).toBe(INVALID_PARAMETERS);
  });
});

describe('FFA_MEM_PERM_SET arguments', () => {
  it('accepts RO, RW and RX on aligned non-empty ranges', () => {
    expect(decodeMemPermSetArgs(regs(FFA_MEM_PERM_SET_64, 0x1000, 2, 0x3))).toEqual({ ok: true, value: { base: 0x1000n, pageCount: 2, permission: 'RX' } });
    expect(code(decodeMemPermSetArgs(regs(FFA_MEM_PERM_SET_64, 0x1000, 2, 0x5)))).toBe('ok');
    expect(code(decodeMemPermSetArgs(regs(FFA_MEM_PERM_SET_64, 0x1000, 2, 0x7)))).toBe('ok');
  });

  it('refuses writable-executable, reserved encodings, misaligned, empty or wrapping ranges', () => {
    for (const x of [
      regs(FFA_MEM_PERM_SET_64, 0x1000, 1, 0x1), regs(FFA_MEM_PERM_SET_64, 0x1000, 1, 0x2), regs(FFA_MEM_PERM_SET_64, 0x1000, 1, 0xf),
      regs(FFA_MEM_PERM_SET_64, 0x1800, 1, 0x7), regs(FFA_MEM_PERM_SET_64, 0x1000, 0, 0x7), regs(FFA_MEM_PERM_SET_64, 0xffff_ffff_ffff_f000n, 2, 0x7),
    ]) expect(code(decodeMemPermSetArgs(x))).toBe(INVALID_PARAMETERS);
  });
});

describe('FFA_FEATURES arguments', () => {
  it('tells function IDs from feature IDs by bit 31', () => {
    expect(decodeFeaturesArgs(regs(FFA_FEATURES, FFA_MEM_RETRIEVE_REQ_64, 2))).toEqual({ ok: true, value: { kind: 'function', fid: FFA_MEM_RETRIEVE_REQ_64, inputProperties: 2 } });
    expect(decodeFeaturesArgs(regs(FFA_FEATURES, FFA_FEATURE_SRI))).toEqual({ ok: true, value: { kind: 'feature', id: FFA_FEATURE_SRI } });
  });

  it('answers NOT_SUPPORTED to feature IDs with bits 30:8 or input properties (as Hafnium)', () => {
    expect(code(decodeFeaturesArgs(regs(FFA_FEATURES, 0x100)))).toBe(NOT_SUPPORTED);
    expect(code(decodeFeaturesArgs(regs(FFA_FEATURES, FFA_FEATURE_SRI, 1)))).toBe(NOT_SUPPORTED);
  });
});

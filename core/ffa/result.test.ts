import { describe, expect, it } from 'vitest';
import { ABORTED, DENIED, FFA_ERROR_CODES, INVALID_PARAMETERS, NOT_READY, NOT_SUPPORTED, ffaErrorName } from './errors.js';
import { FFA_ERROR, FFA_MEM_FRAG_RX, FFA_SUCCESS_32, FFA_SUCCESS_64 } from './functionIds.js';
import {
  describeRefusal, errorCodeOf, resultText, ffaError, ffaMemFragRx, ffaMemRetrieveResp, ffaMemSuccess, ffaSuccess32, ffaSuccess64, ffaValue,
  ffaVersionAnswer, ffaVersionNotSupported, isFfaError, resultFid, resultRegisters, wView,
} from './result.js';

describe('error codes', () => {
  it('are -1..-10 with their spec names', () => {
    expect(FFA_ERROR_CODES).toEqual([-1, -2, -3, -4, -5, -6, -7, -8, -9, -10]);
    expect(ffaErrorName(DENIED)).toBe('DENIED');
    expect(ffaErrorName(NOT_READY)).toBe('NOT_READY');
    expect(ffaErrorName(-11)).toBeNull();
  });
});

describe('FfaResult', () => {
  it('FFA_ERROR puts the code in w2 zero-extended, with the reason', () => {
    const r = ffaError(INVALID_PARAMETERS, 'bad offset');
    expect(r.x[0]).toBe(BigInt(FFA_ERROR));
    expect(r.x[2]).toBe(0xffff_fffen);
    expect(errorCodeOf(r)).toBe(INVALID_PARAMETERS);
    expect(isFfaError(r)).toBe(true);
    expect(describeRefusal(r)).toBe('INVALID_PARAMETERS: bad offset');
    expect(resultRegisters(r)).toHaveLength(18);
  });

  it('32-bit answers keep only the W view; 64-bit ones keep x', () => {
    const r32 = ffaSuccess32(0, 0x1_2345_6789n);
    expect(r32.x[2]).toBe(0x2345_6789n);
    expect(resultFid(r32)).toBe(FFA_SUCCESS_32);
    const r64 = ffaSuccess64(0, 0x1_2345_6789n, -1);
    expect(r64.x[2]).toBe(0x1_2345_6789n);
    expect(r64.x[3]).toBe(0xffff_ffff_ffff_ffffn);
    expect(resultFid(r64)).toBe(FFA_SUCCESS_64);
    expect(wView(r64, 2)).toBe(0x2345_6789);
    expect(errorCodeOf(r64)).toBeNull();
    expect(describeRefusal(r64)).toBe('');
  });

  it("FFA_VERSION's NOT_SUPPORTED is -1 in all 64 bits of x0 (Linux compares x0 with -1L)", () => {
    const r = ffaVersionNotSupported('major 2');
    expect(r.x[0]).toBe(0xffff_ffff_ffff_ffffn);
    expect(errorCodeOf(r)).toBe(NOT_SUPPORTED);
    expect(ffaVersionAnswer(0x10001).x[0]).toBe(0x10001n);
    expect(isFfaError(ffaVersionAnswer(0x10001))).toBe(false);
  });

  it('memory answers split the handle low word first', () => {
    const h = 0x8000_0000_0000_0007n;
    const s = ffaMemSuccess(h);
    expect([s.x[2], s.x[3]]).toEqual([7n, 0x8000_0000n]);
    const f = ffaMemFragRx(h, 4096, 0x8003);
    expect(resultFid(f)).toBe(FFA_MEM_FRAG_RX);
    expect([f.x[1], f.x[2], f.x[3], f.x[4]]).toEqual([7n, 0x8000_0000n, 4096n, 0x8003_0000n]);
    expect(ffaMemRetrieveResp(100, 48).x.slice(1, 3)).toEqual([100n, 48n]);
  });

  it('reads as one trace line', () => {
    expect(resultText(ffaSuccess32(0, 3, 24))).toBe('FFA_SUCCESS_32(0, 3, 0x18)');
    expect(resultText(ffaError(DENIED, 'not the owner'))).toBe('FFA_ERROR(DENIED: not the owner)');
    expect(resultText(ffaVersionNotSupported('major 2'))).toBe('FFA_VERSION(NOT_SUPPORTED: major 2)');
    expect(resultText(ffaVersionAnswer(0x10001))).toBe('0x10001');
    expect(resultText(ffaMemSuccess(0x8000_0000_0000_0001n))).toBe('FFA_SUCCESS_32(0, 1, 0x80000000)');
  });

  it('a value never carries more than x17 or more than 64 bits', () => {
    const r = ffaValue(FFA_SUCCESS_64, Array.from({ length: 30 }, () => -1n << 70n));
    expect(r.x).toHaveLength(18);
    expect(errorCodeOf(ffaError(ABORTED, ''))).toBe(ABORTED);
  });
});

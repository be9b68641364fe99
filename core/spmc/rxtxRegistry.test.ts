import { describe, expect, it } from 'vitest';
import { errorCodeOf } from '../ffa/result.js';
import { findPair, registerPair, rxWritable, unregisterPair, type RxtxPair } from './rxtxRegistry.js';

const pair = (endpoint: number, tx: number, rx: number, nonSecure = true, pageCount = 1): RxtxPair => ({
  endpoint, txPa: `0x${tx.toString(16)}`, rxPa: `0x${rx.toString(16)}`, txIpa: `0x${tx.toString(16)}`, rxIpa: `0x${rx.toString(16)}`, pageCount, nonSecure, rx: 'empty',
});
const code = (a: { ok: true } | { ok: false; error: Parameters<typeof errorCodeOf>[0] }): number | null => (a.ok ? null : errorCodeOf(a.error));

describe('RX/TX registry', () => {
  it('one pair per endpoint (DENIED twice), no overlap with another endpoint\'s buffers in the same space (DENIED)', () => {
    const pairs: RxtxPair[] = [];
    expect(code(registerPair(pairs, pair(0, 0x4000_0000, 0x4000_1000)))).toBe(null);
    expect(code(registerPair(pairs, pair(0, 0x4100_0000, 0x4100_1000)))).toBe(-6);
    expect(code(registerPair(pairs, pair(1, 0x4000_1000, 0x4200_0000)))).toBe(-6);
    expect(code(registerPair(pairs, pair(0x8001, 0x4000_1000, 0x4000_2000, false)))).toBe(null); // another PA space
    expect(findPair(pairs, 0x8001)?.rxPa).toBe('0x40002000');
  });

  it('unmap: INVALID_PARAMETERS without a pair; the RX buffer is writable only when empty', () => {
    const pairs = [pair(0, 0x4000_0000, 0x4000_1000)];
    expect(rxWritable(pairs, 0)).toBe(pairs[0]);
    pairs[0]!.rx = 'full';
    expect(rxWritable(pairs, 0)).toBe('busy');
    expect(rxWritable(pairs, 5)).toBe('no-buffer');
    expect(code(unregisterPair(pairs, 0))).toBe(null);
    expect(code(unregisterPair(pairs, 0))).toBe(-2);
  });
});

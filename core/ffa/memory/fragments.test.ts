import { describe, expect, it } from 'vitest';
import { FFA_VERSION_1_1 } from '../functionIds.js';
import { checkConstituentSet, decodeConstituentFragment } from './constituents.js';
import { decodeTransaction } from './decode.js';
import { checkFragmentOffset, fragmentAt, fragmentLengths, splitFragments } from './fragments.js';
import { handleAllocator, handleFromWords, handleIndex, makeHandle, FFA_MEMORY_HANDLE_INVALID } from './handle.js';
import { encodeTransaction } from './transaction.js';
import { sampleShare } from './testing.js';

describe('fragments', () => {
  // 300 one-page ranges: 48 + 16 + 16 + 300 * 16 = 4880 bytes, more than a 4 KiB TX buffer (Linux's FRAG_TX case).
  const ranges = Array.from({ length: 300 }, (_, i) => ({ address: 0x4000_0000n + BigInt(i) * 0x2000n, pageCount: 1 }));
  const tx = sampleShare('v1.1', 1, ranges);
  const bytes = encodeTransaction(tx);

  it('split at constituent boundaries and reassemble to the same transaction', () => {
    const lengths = fragmentLengths(tx, bytes.length, 4096);
    expect(lengths.ok && lengths.value).toEqual([4096, bytes.length - 4096]);
    const parts = splitFragments(bytes, lengths.ok ? lengths.value : []);
    const first = decodeTransaction(parts[0] as Uint8Array, { kind: 'send', version: FFA_VERSION_1_1, totalLength: bytes.length });
    if (!first.ok) throw new Error(first.error.reason);
    const got = [...(first.value.tx.composite?.constituents ?? [])];
    const rest = decodeConstituentFragment(parts[1] as Uint8Array, first.value.missingConstituents, got.length);
    if (!rest.ok) throw new Error(rest.error.reason);
    got.push(...rest.value);
    expect(got).toEqual(ranges);
    expect(checkConstituentSet(300, got).ok).toBe(true);
  });

  it('a continuation fragment holds whole constituents, no more than remain', () => {
    expect(decodeConstituentFragment(new Uint8Array(0), 3).ok).toBe(false);
    expect(decodeConstituentFragment(new Uint8Array(24), 3).ok).toBe(false);
    const two = bytes.subarray(bytes.length - 32);
    expect(decodeConstituentFragment(two, 1).ok).toBe(false);
    expect(decodeConstituentFragment(two, 2).ok).toBe(true);
  });

  it('overlap across fragments is caught when the set is complete', () => {
    const dup = [...ranges.slice(0, 299), { address: 0x4000_0000n, pageCount: 1 }];
    const r = checkConstituentSet(300, dup);
    expect(!r.ok && r.error.reason).toMatch(/constituents 0 and 299 overlap/);
  });

  it('FRAG_RX serves the fragment at an offset where one ended, nothing else', () => {
    const lengths = fragmentLengths(tx, bytes.length, 4096);
    const l = lengths.ok ? lengths.value : [];
    expect(fragmentAt(bytes, l, 0).ok && (fragmentAt(bytes, l, 0) as { value: Uint8Array }).value.length).toBe(4096);
    const second = fragmentAt(bytes, l, 4096);
    expect(second.ok && second.value.length).toBe(bytes.length - 4096);
    expect(fragmentAt(bytes, l, 4080).ok).toBe(false);
    expect(fragmentAt(bytes, l, bytes.length).ok).toBe(false);
  });

  it('offsets must continue where the last fragment ended; tiny buffers are refused', () => {
    expect(checkFragmentOffset(4096, 4096).ok).toBe(true);
    expect(checkFragmentOffset(4080, 4096).ok).toBe(false);
    expect(fragmentLengths(tx, bytes.length, 64).ok).toBe(false);
  });
});

describe('handles', () => {
  it('bit 63 names the allocator; the W pair is low word first', () => {
    const h = makeHandle(5, 'hypervisor');
    expect(h).toBe(0x8000_0000_0000_0005n);
    expect([handleAllocator(h), handleIndex(h)]).toEqual(['hypervisor', 5n]);
    expect(handleAllocator(makeHandle(5, 'spmc'))).toBe('spmc');
    expect(handleFromWords(5, 0x8000_0000)).toBe(h);
    expect(FFA_MEMORY_HANDLE_INVALID).toBe((1n << 64n) - 1n);
  });
});

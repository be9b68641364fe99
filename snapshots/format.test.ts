import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Machine, type MachineConfig } from '../core/machine.js';
import { xorshift32 } from '../core/clock/xorshift32.js';
import { captureMachine } from '../core/snapshot.js';
import { cborDecode, cborEncode } from './cbor.js';
import { computeId, frame, unframe, TRAILER_BYTES, sha256, SECTION_ORDER, type SnapshotMeta } from './format.js';
import {
  decodeSnapshot, describeSnapshot, encodeFull, encodeIncremental, readMeta, restoreInto,
  SnapshotError, type ResolveBase,
} from './index.js';

const CFG: MachineConfig = { numCpus: 1, ramBytes: 16 << 20, seed: 5n, quantumTicks: 3000 };
const RAM = 0x40000000;

/** Deterministic pseudo-random bytes (xorshift32). */
function noise(n: number, seed: number): Uint8Array {
  const next = xorshift32(seed);
  return Uint8Array.from({ length: n }, () => next() & 0xff);
}

function machineWithPages(): Machine {
  const m = new Machine(CFG);
  for (let i = 0; i < 5; i++) m.core.writePhys(RAM + 0x100000 + i * 4096, noise(4096, 100 + i));
  const dup = noise(4096, 7);
  for (let i = 0; i < 10; i++) m.core.writePhys(RAM + 0x200000 + i * 0x3000, dup);
  const almost = dup.slice();
  almost[4095] = almost[4095]! ^ 1; // differs from the duplicate in one byte: stored separately
  m.core.writePhys(RAM + 0x300000, almost);
  return m;
}

/** SnapshotError with a one-line message, or success; anything else fails the property. */
function attempt(f: () => unknown): 'ok' | 'error' {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (!(e instanceof SnapshotError)) throw new Error(`not a SnapshotError: ${String(e)}`);
    if (/[\r\n]/.test(e.message) || e.message.length === 0) throw new Error(`message is not one line: ${JSON.stringify(e.message)}`);
    return 'error';
  }
}

/** Rebuild a file with new section payloads, recomputing the id and the trailer. */
function reseal(bytes: Uint8Array, mutate: (payloads: Uint8Array[]) => void): Uint8Array {
  const c = unframe(bytes);
  const payloads: Uint8Array[] = c.sections.map((s) => s.payload.slice());
  mutate(payloads);
  const meta = cborDecode(payloads[0]!, 'meta') as SnapshotMeta;
  const tmp = frame(c.kind, SECTION_ORDER.map((type, i) => ({ type, parts: [payloads[i]!] })));
  const framed = unframe(tmp);
  meta.id = computeId(c.kind, meta.baseId, [tmp.subarray(framed.sections[1]!.start, tmp.length - TRAILER_BYTES)]);
  payloads[0] = cborEncode(meta);
  return frame(c.kind, SECTION_ORDER.map((type, i) => ({ type, parts: [payloads[i]!] })));
}

describe('snapshot format', () => {
  const m = machineWithPages();
  const full = encodeFull(captureMachine(m));
  const fullMeta = readMeta(full);
  m.core.writePhys(RAM + 0x100000, noise(4096, 999));
  m.core.writePhys(RAM + 0x200000, new Uint8Array(4096)); // becomes zero
  const inc = encodeIncremental(captureMachine(m), fullMeta, [0x100, 0x200]);
  const resolve: ResolveBase = (id) => (id === fullMeta.id ? full : undefined);

  it('elides zero pages and stores duplicate pages once', () => {
    const info = describeSnapshot(full);
    expect(info.ram).toMatchObject({ pages: 4096, zero: 4096 - 16, unchanged: 0, stored: 16, blobs: 7 });
    // 7 incompressible 4 KiB blobs; the 4080 zero pages cost next to nothing.
    expect(info.ram.blobBytes).toBeGreaterThan(7 * 4096);
    expect(info.ram.blobBytes).toBeLessThan(7 * 4096 + 512);
    expect(info.ram.tableBytes).toBeLessThan(200);
    expect(info.secure).toMatchObject({ zero: 4096, stored: 0, blobs: 0 });
    expect(info.sectionBytes.secure).toBeLessThan(100);
    // 1 CPU: state (with its 128 KiB TLB image) compresses to a few KiB.
    expect(info.sectionBytes.state).toBeLessThan(16 * 1024);
    expect(info.fileBytes).toBeLessThan(7 * 4096 + 16 * 1024);
    const back = decodeSnapshot(full);
    expect(Buffer.compare(back.ram, captureMachine(machineWithPages()).ram)).toBe(0);
  });

  it('incremental: only the listed pages, the others unchanged from base', () => {
    const info = describeSnapshot(inc);
    expect(info.meta.kind).toBe('incremental');
    expect(info.meta.baseId).toBe(fullMeta.id);
    expect(info.ram).toMatchObject({ unchanged: 4094, zero: 1, stored: 1, blobs: 1 });
    expect(info.secure.unchanged).toBe(0); // no secure dirty list: secure RAM stored whole
    const back = decodeSnapshot(inc, resolve);
    expect(Buffer.compare(back.ram, captureMachine(m).ram)).toBe(0);
  });

  it('ids: content-derived, stable, and distinct for different content or bases', () => {
    expect(fullMeta.id).toMatch(/^[0-9a-f]{64}$/);
    expect(readMeta(encodeFull(captureMachine(machineWithPages()))).id).toBe(fullMeta.id);
    expect(readMeta(inc).id).not.toBe(fullMeta.id);
    const other = encodeIncremental(captureMachine(m), { id: 'ab'.repeat(32) }, [0x100, 0x200]);
    expect(readMeta(other).id).not.toBe(readMeta(inc).id);
  });

  it('missing, wrong and unresolvable bases are SnapshotErrors', () => {
    expect(() => decodeSnapshot(inc)).toThrow(/no base resolver/);
    expect(() => decodeSnapshot(inc, () => undefined)).toThrow(/base snapshot [0-9a-f]{64} is missing/);
    expect(() => decodeSnapshot(inc, () => { throw new Error('gone'); })).toThrow(SnapshotError);
    const other = encodeFull(captureMachine(new Machine(CFG)));
    expect(() => decodeSnapshot(inc, () => other)).toThrow(/base snapshot id mismatch/);
    expect(() => decodeSnapshot(inc, () => inc)).toThrow(SnapshotError);
    expect(() => encodeIncremental(captureMachine(m), { id: 'nope' }, [])).toThrow(SnapshotError);
    expect(() => encodeIncremental(captureMachine(m), fullMeta, [5, 3])).toThrow(/strictly increasing/);
    expect(() => encodeIncremental(captureMachine(m), fullMeta, [4096])).toThrow(/out of range/);
  });

  it('rejects bad magic, other versions, truncation, stray bytes with one-line SnapshotErrors', () => {
    const bad = full.slice();
    bad[0] = 0x41;
    expect(() => readMeta(bad)).toThrow(/bad magic/);
    const v2 = full.slice();
    new DataView(v2.buffer).setUint32(8, 2, true);
    expect(() => decodeSnapshot(v2)).toThrow(/format version 2 is not supported/);
    expect(() => readMeta(full.subarray(0, full.length - 1))).toThrow(/checksum/);
    expect(() => readMeta(full.subarray(0, 10))).toThrow(/truncated/);
    expect(() => readMeta(new Uint8Array(0))).toThrow(SnapshotError);
    expect(() => restoreInto(new Machine(CFG), full.subarray(0, 100))).toThrow(SnapshotError);
  });

  it('property: byte flips, truncation and wrong versions always give a SnapshotError', () => {
    const files = [full, inc];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        (which, flips) => {
          const b = files[which]!.slice();
          for (const [at, x] of flips) b[at % b.length] = b[at % b.length]! ^ x;
          expect(attempt(() => decodeSnapshot(b, resolve))).toBe('error');
          expect(attempt(() => readMeta(b))).toBe('error');
        },
      ),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 }), fc.nat(), (which, cut) => {
        const f = files[which]!;
        const b = f.subarray(0, cut % f.length);
        expect(attempt(() => decodeSnapshot(b, resolve))).toBe('error');
        expect(attempt(() => readMeta(b))).toBe('error');
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 0xffffffff }).filter((v) => v !== 1), (which, v) => {
        const b = files[which]!.slice();
        new DataView(b.buffer).setUint32(8, v, true);
        // Re-sealed too, so it is the version check (not the checksum) that refuses it.
        b.set(sha256(b.subarray(0, b.length - TRAILER_BYTES)), b.length - TRAILER_BYTES);
        expect(() => decodeSnapshot(b, resolve)).toThrow(/format version/);
      }),
      { numRuns: 100 },
    );
  });

  it('property: corrupted sections behind a valid checksum and id give a SnapshotError or a snapshot, nothing else', () => {
    // Garbage CBOR, zstd frames, page tables and block lengths reach the parsers.
    const files = [full, inc];
    let errors = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
        fc.option(fc.nat(), { nil: undefined }),
        (which, section, flips, cut) => {
          const b = reseal(files[which]!, (p) => {
            let s = p[section]!;
            for (const [at, x] of flips) if (s.length) s[at % s.length] = s[at % s.length]! ^ x;
            if (cut !== undefined && s.length) s = s.subarray(0, cut % s.length);
            p[section] = s;
          });
          if (attempt(() => decodeSnapshot(b, resolve)) === 'error') errors++;
          attempt(() => describeSnapshot(b));
        },
      ),
      { numRuns: 300 },
    );
    expect(errors).toBeGreaterThan(100);
    // The meta section itself: flips anywhere (then re-checksummed).
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (which, at, x) => {
        const b = files[which]!.slice();
        const c = unframe(b);
        const start = c.sections[0]!.start + 12;
        const i = start + (at % c.sections[0]!.payload.length);
        b[i] = b[i]! ^ x;
        b.set(sha256(b.subarray(0, b.length - TRAILER_BYTES)), b.length - TRAILER_BYTES);
        attempt(() => decodeSnapshot(b, resolve));
        attempt(() => readMeta(b));
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes with a valid magic and checksum are refused', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (body) => {
        const b = new Uint8Array(24 + body.length + 32);
        b.set(full.subarray(0, 12), 0);
        b.set(body, 24);
        b.set(sha256(b.subarray(0, b.length - 32)), b.length - 32);
        expect(attempt(() => decodeSnapshot(b, resolve))).toBe('error');
      }),
      { numRuns: 200 },
    );
  });
});

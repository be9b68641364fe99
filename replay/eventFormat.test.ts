// Event format 2 (the world of an event): the reader takes files of event
// format 1 and 2, refuses others, and checks the world field; state hashes
// compare only over records of the same shapes.
import { describe, expect, it } from 'vitest';
import { TRACE_FORMAT_VERSION } from '../core/trace/events.js';
import { decodeFileHeader, encodeFileHeader, eventProblem, FILE_FORMAT_VERSION, FILE_HEADER_FIXED, TraceFormatError, type TraceHeader } from './format.js';
import { compareStateHashes, machineStateHash } from './stateHash.js';
import { Machine } from '../core/machine.js';

function header(traceFormatVersion: number): TraceHeader {
  return {
    hvrrVersion: 'test', formatVersion: FILE_FORMAT_VERSION, traceFormatVersion, machine: {}, images: [], seed: '0',
    stateHashInterval: 0, snapshotInterval: 0, firstSeq: 0,
  };
}
function roundTrip(h: TraceHeader): TraceHeader {
  const b = encodeFileHeader(h);
  return decodeFileHeader(b.subarray(0, FILE_HEADER_FIXED), b.subarray(FILE_HEADER_FIXED));
}

describe('event format versions', () => {
  it('reads files of event format 1 and 2 and refuses others by number', () => {
    expect(TRACE_FORMAT_VERSION).toBe(2);
    expect(roundTrip(header(1)).traceFormatVersion).toBe(1);
    expect(roundTrip(header(2)).traceFormatVersion).toBe(2);
    expect(() => roundTrip(header(3))).toThrow(TraceFormatError);
    expect(() => roundTrip(header(3))).toThrow('unsupported trace event format version 3 (this hvrr reads versions 1 to 2)');
    expect(() => roundTrip(header(0))).toThrow(/version 0/);
  });

  it('an event may carry world s or ns, nothing else', () => {
    const e = { seq: 0, tick: 0, cpu: 0, kind: 'uart-out', byte: 65 };
    expect(eventProblem(e)).toBeNull();
    expect(eventProblem({ ...e, world: 's' })).toBeNull();
    expect(eventProblem({ ...e, world: 'ns' })).toBeNull();
    expect(eventProblem({ ...e, world: 'secure' })).toBe("world is neither 's' nor 'ns'");
  });
});

describe('state hashes', () => {
  it('start with a fingerprint of the records they cover; only equal fingerprints compare', () => {
    const m = new Machine({ numCpus: 1, ramBytes: 16 << 20, seed: 1n });
    const h = machineStateHash(m);
    expect(h).toMatch(/^[0-9a-f]{48}$/);
    expect(compareStateHashes(h, h)).toBe('same');
    const other = h.slice(0, 16) + (h[16] === '0' ? '1' : '0') + h.slice(17);
    expect(compareStateHashes(other, h)).toBe('different');
    const otherShape = (h[0] === '0' ? '1' : '0') + h.slice(1);
    expect(compareStateHashes(otherShape, h)).toBe('not-comparable');
    // Before fingerprints: 32 digits, compared when they match, otherwise not comparable.
    expect(compareStateHashes(h.slice(16), h)).toBe('same');
    expect(compareStateHashes(other.slice(16), h)).toBe('not-comparable');
  });

  it('a component record of another shape changes the fingerprint, not a value', () => {
    const m = new Machine({ numCpus: 1, ramBytes: 16 << 20, seed: 1n });
    const s: { version: number; n: number; extra?: number } = { version: 1, n: 0 };
    m.registerComponent('widget', { getState: () => ({ ...s }), loadState: () => {} });
    const a = machineStateHash(m);
    s.n = 5;
    const b = machineStateHash(m);
    expect(b.slice(0, 16)).toBe(a.slice(0, 16));
    expect(compareStateHashes(a, b)).toBe('different');
    s.extra = 1;
    expect(compareStateHashes(a, machineStateHash(m))).toBe('not-comparable');
  });
});

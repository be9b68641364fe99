// Event formats 2 (the world of an event) and 3 (the decoded 'ffa' fields):
// the reader takes files of event format 1 to 3, refuses others, and checks
// the world field; a format-2 file's 'ffa' events load and render as they
// did; state hashes compare only over records of the same shapes.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { formatEvent, TRACE_FORMAT_VERSION, type FfaEvent } from '../core/trace/events.js';
import { TraceReader, TraceWriter } from './traceFile.js';
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
  it('reads files of event format 1 to 3 and refuses others by number', () => {
    expect(TRACE_FORMAT_VERSION).toBe(3);
    expect(roundTrip(header(1)).traceFormatVersion).toBe(1);
    expect(roundTrip(header(2)).traceFormatVersion).toBe(2);
    expect(roundTrip(header(3)).traceFormatVersion).toBe(3);
    expect(() => roundTrip(header(4))).toThrow(TraceFormatError);
    expect(() => roundTrip(header(4))).toThrow('unsupported trace event format version 4 (this hvrr reads versions 1 to 3)');
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

describe("a file of event format 2 with 'ffa' events", () => {
  const dir = mkdtempSync(join(tmpdir(), 'hvrr-eventformat-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // What the hypervisor and the SPMC recorded before format 3: fid, src, dst, args only.
  const OLD: FfaEvent[] = [
    { seq: 0, tick: 5, cpu: 0, kind: 'ffa', fid: 0xc4000073, src: 1, dst: 0, args: ['0x50', '0x50', '0x0', '0x0', '0x0', '0x0', '0x0'] },
    { seq: 1, tick: 9, cpu: 0, kind: 'ffa', fid: 0x84000061, src: 0, dst: 1, args: ['0x0', '0x2', '0x80000000'], world: 's' },
  ];

  /** A file written by this hvrr, its header then turned into one of event format 2 (same length: CBOR 2 and 3 are one byte). */
  function formatTwoFile(): string {
    const path = join(dir, 'v2.hvrr');
    const w = TraceWriter.create(path, { hvrrVersion: 'test', machine: {}, images: [], seed: '0', stateHashInterval: 0, snapshotInterval: 0 });
    for (const e of OLD) w.addEvent(e);
    w.close();
    const bytes = readFileSync(path);
    const len = bytes.readUInt32LE(12);
    const h = decodeFileHeader(bytes.subarray(0, FILE_HEADER_FIXED), bytes.subarray(FILE_HEADER_FIXED, FILE_HEADER_FIXED + len));
    const old = encodeFileHeader({ ...h, traceFormatVersion: 2 });
    expect(old.length).toBe(FILE_HEADER_FIXED + len);
    writeFileSync(path, Buffer.concat([old, bytes.subarray(old.length)]));
    return path;
  }

  it('loads, and its events render as format 2 rendered them (no dir, name or decoded fields)', () => {
    const r = TraceReader.open(formatTwoFile());
    try {
      expect(r.header.traceFormatVersion).toBe(2);
      const events = [...r.eventsInRange(0, 10)];
      expect(events).toEqual(OLD);
      expect(events.map(formatEvent)).toEqual([
        '#0 @5 cpu0 ffa fid=0xc4000073 src=0x1 dst=0x0 args=[0x50,0x50,0x0,0x0,0x0,0x0,0x0]',
        '#1 @9 cpu0 ffa fid=0x84000061 src=0x0 dst=0x1 args=[0x0,0x2,0x80000000] world=s',
      ]);
    } finally {
      r.close();
    }
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

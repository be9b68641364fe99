import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { hex64, TRACE_KINDS } from '../core/trace/events.js';
import type { TraceEvent, TraceEventInput, TraceKind } from '../core/trace/events.js';
import {
  CHUNK_EVENTS,
  CHUNK_HEADER_SIZE,
  FILE_HEADER_FIXED,
  FLAG_ZSTD,
  FOOTER_SIZE,
  crc32c,
  encodeChunkHeader,
  encodeFooter,
  zstdCompress,
} from './format.js';
import type { InputRecord, SnapshotMeta, StateHashRecord, TraceHeaderInput, TraceRecord } from './format.js';
import { TraceFormatError, TraceReader, TraceWriter } from './traceFile.js';
import type { TraceWriterOptions } from './traceFile.js';

const dir = mkdtempSync(join(tmpdir(), 'hvrr-tracefile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const tmp = (): string => join(dir, `t${fileNo++}.hvrr`);

export const HEADER: TraceHeaderInput = {
  hvrrVersion: '0.1.0',
  machine: { numCpus: 2, ramBytes: 256 << 20, seed: '0x2a', quantum: 10000, scenario: 'unit', cli: ['--smp', '2'] },
  images: [{ name: 'kernel', sha256: 'ab'.repeat(32), size: 1234 }],
  seed: '0x2a',
  stateHashInterval: 1000,
  snapshotInterval: 0,
};

// ---- arbitraries ----

const hexArb = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => hex64(v));
const smallHexArb = fc.nat({ max: 0xffff }).map((v) => hex64(v));
const tickArb = fc.oneof(fc.nat({ max: 1_000_000 }), fc.nat({ max: Number.MAX_SAFE_INTEGER }));
const cpuArb = fc.integer({ min: -1, max: 7 });
const timerArb = fc.constantFrom('phys' as const, 'virt' as const, 'hyp' as const, 'sec' as const);

function base<K extends TraceKind>(kind: K) {
  return { kind: fc.constant(kind), tick: tickArb, cpu: cpuArb };
}

const eventInputArb: fc.Arbitrary<TraceEventInput> = fc.oneof(
  fc.record({ ...base('exception'), n: fc.nat({ max: 1000 }), type: fc.constantFrom('sync' as const, 'irq' as const, 'fiq' as const, 'serror' as const), fromEl: fc.nat({ max: 3 }), toEl: fc.nat({ max: 3 }), ec: fc.nat({ max: 63 }), esr: hexArb, elr: hexArb, far: hexArb }),
  fc.record({ kind: fc.constantFrom('irq-raise' as const, 'irq-ack' as const, 'irq-eoi' as const), tick: tickArb, cpu: cpuArb, intid: fc.nat({ max: 1023 }), target: fc.nat({ max: 7 }) }),
  fc.record({ ...base('timer-program'), timer: timerArb, ctl: fc.nat({ max: 7 }), cval: hexArb }),
  fc.record({ ...base('timer-fire'), timer: timerArb, cval: hexArb }),
  fc.record({ kind: fc.constantFrom('uart-out' as const, 'uart-in' as const), tick: tickArb, cpu: cpuArb, byte: fc.nat({ max: 255 }) }),
  fc.record({ ...base('psci'), fn: fc.constantFrom(0x84000000, 0xc4000003, 0x84000008), args: fc.array(smallHexArb, { maxLength: 3 }), result: hexArb }),
  fc.record({ ...base('halt'), reason: fc.string() }),
  fc.record({ ...base('undef'), insn: fc.nat({ max: 0xffffffff }), pc: hexArb }),
  fc.record({ ...base('sched'), vm: fc.nat({ max: 3 }), vcpu: fc.nat({ max: 7 }), dir: fc.constantFrom('in' as const, 'out' as const) }),
  fc.record({ ...base('ffa'), fid: fc.nat({ max: 0xffffffff }), src: fc.nat({ max: 0xffff }), dst: fc.nat({ max: 0xffff }), args: fc.array(hexArb, { maxLength: 8 }) }),
  // Event format 3: the decoded FF-A fields, each optional.
  fc.record(
    {
      ...base('ffa'), fid: fc.nat({ max: 0xffffffff }), src: fc.nat({ max: 0xffff }), dst: fc.nat({ max: 0xffff }), args: fc.array(hexArb, { maxLength: 7 }),
      dir: fc.constantFrom('call' as const, 'answer' as const), name: fc.constantFrom('FFA_MEM_SHARE_64', 'FFA_SUCCESS_32', '0x0'), of: fc.constant('FFA_MEM_SHARE_64'),
      error: fc.constantFrom('DENIED', 'code -20'), handle: hexArb, receivers: fc.array(fc.nat({ max: 0xffff }), { maxLength: 4 }), pages: fc.nat(),
    },
    { requiredKeys: ['kind', 'cpu', 'tick', 'fid', 'src', 'dst', 'args', 'dir', 'name'] },
  ),
  fc.record({ ...base('mmio'), pa: hexArb, size: fc.constantFrom(1, 2, 4, 8), write: fc.boolean(), value: hexArb }),
) as fc.Arbitrary<TraceEventInput>;

type Item = { t: 'e'; e: TraceEventInput } | { t: 'i'; tick: number; byte: number } | { t: 'h'; hash: string; tick: number } | { t: 's'; size: number };

const itemArb: fc.Arbitrary<Item> = fc.oneof(
  { weight: 12, arbitrary: eventInputArb.map((e) => ({ t: 'e' as const, e })) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('i' as const), tick: tickArb, byte: fc.nat({ max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('h' as const), hash: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')), tick: tickArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('s' as const), size: fc.nat({ max: 300 }) }) },
);

interface Written {
  path: string;
  records: TraceRecord[];
  snapshots: Array<{ meta: SnapshotMeta; blob: Uint8Array }>;
}

function blobOf(size: number, salt: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + salt * 7) & 0xff;
  return b;
}

/** Writes the items; `close` false leaves the file as a killed recording would. */
function writeItems(items: Item[], opts: TraceWriterOptions, close = true, path = tmp()): Written {
  const w = TraceWriter.create(path, HEADER, opts);
  const records: TraceRecord[] = [];
  const snapshots: Written['snapshots'] = [];
  let seq = 0;
  let exc = 0;
  for (const it of items) {
    if (it.t === 'e') {
      const e = { seq: seq++, ...it.e } as TraceEvent;
      if (e.kind === 'exception') exc = e.n;
      w.addEvent(e);
      records.push(e);
    } else if (it.t === 'i') {
      const r: InputRecord = { input: 'uart-rx', tick: it.tick, byte: it.byte };
      w.addInput(r);
      records.push(r);
    } else if (it.t === 'h') {
      const r: StateHashRecord = { stateHash: it.hash, seq: seq - 1, tick: it.tick };
      w.addStateHash(r);
      records.push(r);
    } else {
      const meta: SnapshotMeta = { id: `s${snapshots.length}`, baseId: snapshots.length ? `s${snapshots.length - 1}` : null, afterSeq: seq - 1, tick: seq * 10, instructions: seq * 100, exceptions: exc };
      const blob = blobOf(it.size, snapshots.length);
      w.addSnapshot(blob, meta);
      snapshots.push({ meta, blob });
    }
  }
  if (close) w.close();
  else {
    w.flush();
    w.abandon();
  }
  return { path, records, snapshots };
}

function readAll(path: string): { records: TraceRecord[]; r: TraceReader } {
  const r = TraceReader.open(path);
  return { records: [...r.events()], r };
}

const isEvent = (x: TraceRecord): x is TraceEvent => 'kind' in x;

/** Records after event fromSeq-1 (all of them when fromSeq <= 0). */
function expectedFrom(records: TraceRecord[], fromSeq: number): TraceRecord[] {
  if (fromSeq <= 0) return records;
  const p = records.findIndex((x) => isEvent(x) && x.seq === fromSeq - 1);
  return p < 0 ? [] : records.slice(p + 1);
}

const optsArb = fc.record({ chunkEvents: fc.integer({ min: 1, max: 40 }), chunkBytes: fc.integer({ min: 16, max: 4000 }) });

describe('crc32c', () => {
  it('matches the standard check value', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
  });
  it('is incremental', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(), (b, k) => {
        const cut = b.length ? k % b.length : 0;
        expect(crc32c(b.subarray(cut), crc32c(b.subarray(0, cut)))).toBe(crc32c(b));
      }),
    );
  });
});

describe('TraceWriter / TraceReader round trip', () => {
  it('random records, chunk sizes and snapshots come back identical', () => {
    fc.assert(
      fc.property(fc.array(itemArb, { maxLength: 150 }), optsArb, fc.boolean(), (items, opts, close) => {
        const w = writeItems(items, opts, close);
        const { records, r } = readAll(w.path);
        try {
          expect(records).toEqual(w.records);
          expect(r.recovered).toBe(!close);
          expect(r.header.machine).toEqual(HEADER.machine);
          expect(r.header.images).toEqual(HEADER.images);
          expect(r.header.seed).toBe('0x2a');
          const events = w.records.filter(isEvent);
          expect(r.eventCount).toBe(events.length);
          for (const k of TRACE_KINDS) expect(r.index.kindCounts[k]).toBe(events.filter((e) => e.kind === k).length);
          expect(r.inputs()).toEqual(w.records.filter((x) => 'input' in x));
          expect(r.stateHashes()).toEqual(w.records.filter((x) => 'stateHash' in x));
          expect(r.snapshots().map((s) => ({ id: s.id, baseId: s.baseId, afterSeq: s.afterSeq, tick: s.tick, instructions: s.instructions, exceptions: s.exceptions }))).toEqual(w.snapshots.map((s) => s.meta));
          r.snapshots().forEach((s, i) => expect(Buffer.from(r.snapshotBlob(s)).equals(Buffer.from(w.snapshots[i]!.blob))).toBe(true));
          for (const c of r.index.chunks) if (c.kind === 'events') expect(c.eventCount).toBeLessThanOrEqual(opts.chunkEvents);
        } finally {
          r.close();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('seeks by seq, exception number and tick', () => {
    fc.assert(
      fc.property(fc.array(itemArb, { minLength: 1, maxLength: 150 }), optsArb, fc.nat(), fc.nat(), (items, opts, a, b) => {
        const w = writeItems(items, opts);
        const r = TraceReader.open(w.path);
        try {
          const events = w.records.filter(isEvent);
          const n = events.length;
          const from = n ? a % (n + 2) : a % 3;
          expect([...r.events(from)]).toEqual(expectedFrom(w.records, from));
          const to = n ? b % (n + 2) : 0;
          expect([...r.eventsInRange(from, to)]).toEqual(events.filter((e) => e.seq >= from && e.seq < to));
          const kinds: TraceKind[] = [TRACE_KINDS[a % TRACE_KINDS.length]!, TRACE_KINDS[b % TRACE_KINDS.length]!];
          expect([...r.eventsInRange(0, Infinity, kinds)]).toEqual(events.filter((e) => kinds.includes(e.kind)));
          if (n) {
            const e = events[a % n]!;
            expect(r.event(e.seq)).toEqual(e);
            expect(r.findSeq(e.seq)?.seq).toBe(e.seq);
            const t = e.tick;
            const first = events.find((x) => x.tick >= t)!;
            expect(r.findTick(t)?.seq).toBe(first.seq);
          }
          expect(r.event(n)).toBeUndefined();
          expect(r.findTick(Number.MAX_SAFE_INTEGER + 1)).toBeUndefined();
          for (const e of events) {
            if (e.kind !== 'exception') continue;
            const first = events.find((x) => x.kind === 'exception' && x.n === e.n)!;
            const hit = r.findException(e.n);
            expect(hit?.seq).toBe(first.seq);
            expect(r.index.chunks[hit!.chunk]!.firstSeq).toBeLessThanOrEqual(first.seq);
          }
          expect(r.findException(5000)).toBeUndefined();
        } finally {
          r.close();
        }
      }),
      { numRuns: 120 },
    );
  });

  it('records after a snapshot are the ones written after it', () => {
    const items: Item[] = [];
    for (let i = 0; i < 30; i++) items.push({ t: 'e', e: { kind: 'uart-out', tick: i, cpu: 0, byte: 65 + i } });
    items.push({ t: 'i', tick: 99, byte: 1 });
    items.push({ t: 's', size: 10 });
    items.push({ t: 'i', tick: 100, byte: 2 });
    for (let i = 30; i < 40; i++) items.push({ t: 'e', e: { kind: 'uart-out', tick: i, cpu: 0, byte: 65 } });
    const w = writeItems(items, { chunkEvents: 7 });
    const r = TraceReader.open(w.path);
    const s = r.snapshots()[0]!;
    expect(s.afterSeq).toBe(29);
    expect(r.snapshotBefore(30)).toEqual(s);
    expect(r.snapshotBefore(29)).toBeUndefined();
    expect([...r.recordsAfterSnapshot(s)]).toEqual(w.records.slice(31));
    r.close();
  });

  it('an empty recording reads back empty, with or without close', () => {
    for (const close of [true, false]) {
      const w = writeItems([], {}, close);
      const r = TraceReader.open(w.path);
      expect([...r.events()]).toEqual([]);
      expect(r.eventCount).toBe(0);
      expect(r.recovered).toBe(!close);
      r.close();
    }
  });

  it('writes default-size chunks and many of them', () => {
    const items: Item[] = [];
    for (let i = 0; i < 70000; i++) items.push({ t: 'e', e: { kind: 'irq-raise', tick: i, cpu: i % 4, intid: 27, target: i % 4 } });
    const w = writeItems(items, {});
    const r = TraceReader.open(w.path);
    expect(r.index.chunks.map((c) => c.eventCount)).toEqual([65536, 70000 - 65536]);
    expect(r.event(69999)).toEqual(w.records[69999]);
    expect([...r.events(65530)].length).toBe(70000 - 65530);
    r.close();
  });
});

describe('TraceWriter rejects bad input', () => {
  it('out-of-order seq, malformed events, use after close', () => {
    const w = TraceWriter.create(tmp(), HEADER);
    expect(() => w.addEvent({ seq: 1, tick: 0, cpu: 0, kind: 'uart-out', byte: 1 })).toThrow(RangeError);
    expect(() => w.addEvent({ seq: 0, tick: 0, cpu: 0, kind: 'uart-out', byte: 300 })).toThrow(/malformed uart-out/);
    expect(() => w.addEvent({ seq: 0, tick: 0, cpu: 0, kind: 'timer-fire', timer: 'phys', cval: '0x0012' })).toThrow(TypeError);
    expect(() => w.addInput({ input: 'uart-rx', tick: -1, byte: 0 })).toThrow(TypeError);
    expect(() => w.addSnapshot(new Uint8Array(1), { id: 's', baseId: null, afterSeq: -2, tick: 0, instructions: 0, exceptions: 0 })).toThrow(TypeError);
    w.close();
    expect(() => w.addEvent({ seq: 0, tick: 0, cpu: 0, kind: 'uart-out', byte: 1 })).toThrow(/closed/);
    expect(() => TraceWriter.create(tmp(), { ...HEADER, images: [{ name: 'k', sha256: 'xyz', size: 1 }] })).toThrow(TypeError);
  });
});

// ---- damaged files ----

/** A fixed sample trace with snapshots, inputs and several chunks. */
function sampleItems(n: number): Item[] {
  const items: Item[] = [];
  let exc = 0;
  for (let i = 0; i < n; i++) {
    const m = i % 9;
    if (m === 0) items.push({ t: 'e', e: { kind: 'exception', tick: i * 5, cpu: i % 2, n: ++exc, type: 'sync', fromEl: 1, toEl: 2, ec: 0x16, esr: '0x5a000000', elr: hex64(0x40080000 + i * 4), far: '0x0' } });
    else if (m === 3) items.push({ t: 'i', tick: i * 5 + 1000, byte: 0x61 + (i % 26) });
    else if (m === 5 && i % 45 === 5) items.push({ t: 's', size: 64 });
    else if (m === 7 && i % 63 === 7) items.push({ t: 'h', hash: 'cd'.repeat(32), tick: i * 5 });
    else items.push({ t: 'e', e: { kind: 'uart-out', tick: i * 5, cpu: 0, byte: 0x30 + (i % 10) } });
  }
  return items;
}

function chunkRecordsByOffset(path: string): Array<{ end: number; records: TraceRecord[] }> {
  const r = TraceReader.open(path);
  const out = r.index.chunks.map((c, i) => ({ end: c.offset + c.size, records: c.kind === 'events' ? [...r.chunkRecords(i)] : [] }));
  r.close();
  return out;
}

describe('recovery of truncated files', () => {
  const closed = writeItems(sampleItems(400), { chunkEvents: 25 });
  const killed = writeItems(sampleItems(400), { chunkEvents: 25 }, false);
  const full = readFileSync(closed.path);
  const fullKilled = readFileSync(killed.path);
  const chunks = chunkRecordsByOffset(closed.path);
  const dataStart = TraceReader.open(closed.path).index.chunks[0]!.offset;

  function check(bytes: Buffer, cut: number): void {
    const p = tmp();
    writeFileSync(p, bytes.subarray(0, cut));
    if (cut < dataStart) {
      expect(() => TraceReader.open(p)).toThrow(TraceFormatError);
      return;
    }
    const r = TraceReader.open(p);
    const got = [...r.events()];
    const complete = chunks.filter((c) => c.end <= cut);
    expect(got).toEqual(complete.flatMap((c) => c.records));
    if (cut < bytes.length || bytes === fullKilled) {
      expect(r.recovered).toBe(true);
      expect(r.recovery!.chunks).toBe(complete.length);
      expect(r.recovery!.validBytes + r.recovery!.ignoredBytes).toBe(cut);
    } else {
      expect(r.recovered).toBe(false);
    }
    r.close();
    rmSync(p);
  }

  it('every cut yields exactly the complete chunks before it (closed file)', () => {
    fc.assert(fc.property(fc.nat({ max: full.length }), (cut) => check(full, cut)), { numRuns: 300 });
  });

  it('every cut yields exactly the complete chunks before it (killed recording)', () => {
    fc.assert(fc.property(fc.nat({ max: fullKilled.length }), (cut) => check(fullKilled, cut)), { numRuns: 200 });
  });

  it('cuts at and around every chunk boundary', () => {
    for (const c of chunks) for (const d of [-1, 0, 1]) check(full, c.end + d);
    check(full, full.length - 1);
    check(full, full.length - FOOTER_SIZE);
  });

  it('reports how much was recovered', () => {
    const p = tmp();
    const cut = chunks[3]!.end + 17;
    writeFileSync(p, full.subarray(0, cut));
    const r = TraceReader.open(p);
    const whole = TraceReader.open(closed.path);
    const ix = whole.index;
    whole.close();
    const snapsIn = (n: number): number => ix.chunks.slice(0, n).filter((c) => c.kind === 'snapshot').length;
    expect(r.recovery).toEqual({ reason: 'footer missing (recording did not finish)', chunks: 4, events: r.eventCount, validBytes: chunks[3]!.end, ignoredBytes: 17, snapshots: snapsIn(4), indexRead: false, tail: null });
    r.close();
    // A cut inside a chunk whose header survived: the reader says which chunk was lost.
    const c4 = ix.chunks[4]!;
    writeFileSync(p, full.subarray(0, c4.offset + 45));
    const q = TraceReader.open(p);
    expect(q.recovery!.tail).toEqual({ incomplete: { kind: c4.kind, eventCount: c4.eventCount, presentBytes: 45, chunkBytes: c4.size } });
    q.close();
    // A cut inside the footer: every chunk and the index were read.
    writeFileSync(p, full.subarray(0, full.length - 3));
    const f = TraceReader.open(p);
    expect(f.recovery).toMatchObject({ indexRead: true, events: ix.eventCount, snapshots: ix.snapshots.length, ignoredBytes: FOOTER_SIZE - 3 });
    f.close();
    r.close();
  });
});

describe('corrupted files', () => {
  const closed = writeItems(sampleItems(300), { chunkEvents: 20 });
  const killed = writeItems(sampleItems(300), { chunkEvents: 20 }, false);

  function everything(path: string): unknown {
    const r = TraceReader.open(path);
    try {
      return { records: [...r.events()], inputs: r.inputs(), snaps: r.snapshots().map((s) => [s.id, Buffer.from(r.snapshotBlob(s)).toString('hex')]), header: r.header };
    } finally {
      r.close();
    }
  }

  for (const [name, w] of [['closed', closed], ['killed', killed]] as const) {
    it(`random byte flips give a TraceFormatError or identical content (${name})`, () => {
      const bytes = readFileSync(w.path);
      const good = everything(w.path);
      let errors = 0;
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }), (flips) => {
          const b = Buffer.from(bytes);
          for (const [at, x] of flips) b[at]! ^= x;
          const p = tmp();
          writeFileSync(p, b);
          try {
            expect(everything(p)).toEqual(good);
          } catch (e) {
            if (!(e instanceof TraceFormatError)) throw e;
            expect(e.message).not.toMatch(/\n/);
            errors++;
          } finally {
            rmSync(p);
          }
        }),
        { numRuns: 300 },
      );
      expect(errors).toBeGreaterThan(200);
    });
  }

  const bytes = readFileSync(closed.path);
  const reader = TraceReader.open(closed.path);
  const c2 = reader.index.chunks[2]!;
  const lastChunk = reader.index.chunks[reader.index.chunks.length - 1]!;
  const indexOffset = lastChunk.offset + lastChunk.size;
  reader.close();

  function openBytes(b: Uint8Array): TraceReader {
    const p = tmp();
    writeFileSync(p, b);
    return TraceReader.open(p);
  }
  function message(f: () => unknown): string {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(TraceFormatError);
      return (e as Error).message;
    }
    throw new Error('no error');
  }

  it('names the problem', () => {
    expect(message(() => openBytes(new Uint8Array(0)))).toMatch(/empty file/);
    expect(message(() => openBytes(Buffer.from('hello world, this is not a trace file')))).toMatch(/bad magic/);
    expect(message(() => openBytes(bytes.subarray(0, 12)))).toMatch(/truncated file header/);
    expect(message(() => openBytes(bytes.subarray(0, 40)))).toMatch(/truncated file header/);
    const v2 = Buffer.from(bytes);
    v2.writeUInt32LE(2, 8);
    expect(message(() => openBytes(v2))).toMatch(/unsupported trace file format version 2/);
    const hdr = Buffer.from(bytes);
    hdr[FILE_HEADER_FIXED + 3]! ^= 1;
    expect(message(() => openBytes(hdr))).toMatch(/file header checksum/);
    expect(message(() => TraceReader.open(join(dir, 'missing.hvrr')))).toMatch(/cannot read .*missing.hvrr': no such file/);
    expect(message(() => TraceReader.open(dir))).toMatch(/is a directory/);
  });

  it('a corrupt chunk in the middle is an error naming the chunk and offset', () => {
    const b = Buffer.from(bytes);
    b[c2.offset + CHUNK_HEADER_SIZE + 5]! ^= 0x40;
    const r = openBytes(b); // the index is intact: the damage shows when the chunk is read
    expect(message(() => [...r.events()])).toBe(`chunk 2 at offset ${c2.offset}: chunk payload checksum mismatch (corrupt)`);
    // Without the footer the scan meets it at once.
    expect(message(() => openBytes(b.subarray(0, indexOffset)))).toBe(`chunk 2 at offset ${c2.offset}: chunk payload checksum mismatch (corrupt)`);
    const h = Buffer.from(bytes);
    h[c2.offset + 9]! ^= 1;
    expect(message(() => openBytes(h.subarray(0, indexOffset)))).toBe(`chunk 2 at offset ${c2.offset}: chunk header checksum mismatch (corrupt)`);
    const m = Buffer.from(bytes);
    m[c2.offset]! ^= 1;
    expect(message(() => openBytes(m.subarray(0, indexOffset)))).toMatch(/chunk 2 at offset \d+: bad chunk magic/);
  });

  /** Replaces chunk 2's payload with `payload` (checksums recomputed). */
  function withPayload(payload: Uint8Array, rawLength: number, flags: number): Buffer {
    const head = bytes.subarray(0, c2.offset);
    const h = encodeChunkHeader({ kind: CHUNK_EVENTS, flags, firstSeq: c2.firstSeq, eventCount: c2.eventCount, recordCount: c2.recordCount, rawLength, storedLength: payload.length, payloadCrc: crc32c(payload) });
    return Buffer.concat([head, h, payload]);
  }

  it('garbage CBOR or zstd behind a valid checksum is an error', () => {
    const garbage = Buffer.from([0xff, 0x1c, 0x5b, 0x00, 0x13]);
    expect(message(() => openBytes(withPayload(garbage, garbage.length, 0)))).toMatch(/chunk 2 at offset \d+: malformed CBOR/);
    const z = zstdCompress(garbage, 3);
    expect(message(() => openBytes(withPayload(z, garbage.length, FLAG_ZSTD)))).toMatch(/malformed CBOR/);
    expect(message(() => openBytes(withPayload(z, garbage.length + 1, FLAG_ZSTD)))).toMatch(/chunk 2 at offset \d+: zstd data expands to 5 bytes|bad zstd data/);
    expect(message(() => openBytes(withPayload(garbage, 100, FLAG_ZSTD)))).toMatch(/chunk 2 at offset \d+: bad zstd data/);
    const notRecords = zstdCompress(Buffer.from([0x01, 0x02]), 3);
    expect(message(() => openBytes(withPayload(notRecords, 2, FLAG_ZSTD)))).toMatch(/2 records, the chunk header says/);
  });

  it('an index pointing out of bounds is an error', () => {
    const size = bytes.length;
    const footerOffset = size - FOOTER_SIZE;
    for (const bad of [0, 7, c2.offset, footerOffset - 10, footerOffset + 100]) {
      const b = Buffer.concat([bytes.subarray(0, footerOffset), encodeFooter({ indexOffset: bad, footerOffset })]);
      expect(message(() => openBytes(b))).toMatch(/footer points to|index chunk at offset|chunk header past|payload past/);
    }
  });

  it('a zero-filled tail (machine crash) is recovered like a truncation', () => {
    const b = Buffer.concat([bytes.subarray(0, c2.offset + c2.size), Buffer.alloc(5000)]);
    const r = openBytes(b);
    expect(r.recovered).toBe(true);
    expect(r.recovery!.chunks).toBe(3);
    expect(r.recovery!.ignoredBytes).toBe(5000);
    r.close();
    b[b.length - 1] = 1;
    expect(message(() => openBytes(b))).toMatch(/chunk 3 at offset \d+: bad chunk magic/);
  });

  it('a damaged footer falls back to scanning', () => {
    const b = Buffer.from(bytes);
    b[b.length - 5]! ^= 0xff;
    const r = openBytes(b);
    expect(r.recovered).toBe(true);
    expect(r.recovery!.reason).toBe('footer checksum mismatch');
    expect(r.recovery!.ignoredBytes).toBe(FOOTER_SIZE);
    expect([...r.events()]).toEqual(closed.records);
    r.close();
  });
});

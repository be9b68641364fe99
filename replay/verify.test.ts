// verifyRecording on real recordings of the self-test, and on variants that
// keep every checksum valid but break what only verify checks: the
// recorder's rules, the index against the chunks, snapshots against their
// chunks and the trace, restoring, replaying. (Damage that checksums catch is
// the campaign's: property-tests/damage/.)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Machine } from '../core/machine.js';
import { bootKernel } from '../core/firmware/boot.js';
import type { TraceEvent } from '../core/trace/events.js';
import { selftestImage } from '../guests/selftest/index.js';
import {
  CHUNK_HEADER_SIZE, CHUNK_INDEX, FLAG_ZSTD, FOOTER_SIZE, cborDecodeOne, cborEncode, crc32c, decodeChunkHeader, encodeChunkHeader, encodeFooter,
  zstdCompress, zstdDecompressExact,
} from './format.js';
import { Recorder } from './recorder.js';
import { TraceReader, TraceWriter, type SnapshotMeta, type TraceHeader, type TraceRecord } from './traceFile.js';
import { verifyRecording, VerifyInputError, type VerifyOptions } from './verify.js';

const dir = mkdtempSync(join(tmpdir(), 'hvrr-verify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SEED = 9n;
const HASH_EVERY = 50;
function machine(numCpus = 2): Machine {
  const m = new Machine({ numCpus, ramBytes: 64 << 20, seed: SEED, quantumTicks: 10_000 });
  bootKernel(m, { kernel: selftestImage() });
  return m;
}
const build: VerifyOptions['buildMachine'] = () => machine();

function record(path: string, snapshotPath?: string, seed = SEED): void {
  const m = new Machine({ numCpus: 2, ramBytes: 64 << 20, seed, quantumTicks: 10_000 });
  bootKernel(m, { kernel: selftestImage() });
  const header = { hvrrVersion: 'test', machine: { numCpus: 2 }, images: [], seed: seed.toString(), stateHashInterval: HASH_EVERY, snapshotInterval: 250_000 };
  const w = TraceWriter.create(path, header, { chunkEvents: 300 });
  const sw = snapshotPath !== undefined ? TraceWriter.create(snapshotPath, header) : undefined;
  const rec = new Recorder(m, w, { stateHashEvery: HASH_EVERY, snapshotEveryTicks: 250_000, ...(sw ? { snapshotWriter: sw } : {}) });
  rec.queueInput(Buffer.from('hi\n'));
  expect(m.run(100_000_000).kind).toBe('system-off');
  rec.finish();
}

type Item = { record: TraceRecord } | { snapshot: SnapshotMeta; blob: Uint8Array };

/** The file as a stream of records and snapshots, in file order. */
function items(path: string): { header: TraceHeader; items: Item[] } {
  const r = TraceReader.open(path);
  const out: Item[] = [];
  for (const [i, c] of r.index.chunks.entries()) {
    if (c.kind === 'events') for (const rec of r.chunkRecords(i)) out.push({ record: rec });
    else {
      const s = r.snapshots().find((x) => x.chunk === i)!;
      out.push({ snapshot: { id: s.id, baseId: s.baseId, afterSeq: s.afterSeq, tick: s.tick, instructions: s.instructions, exceptions: s.exceptions }, blob: r.snapshotBlob(s) });
    }
  }
  const header = r.header;
  r.close();
  return { header, items: out };
}

/** Writes `its` as a new, well-formed file (every checksum valid). */
function write(path: string, header: TraceHeader, its: Item[]): string {
  const w = TraceWriter.create(path, header, { chunkEvents: 300 });
  for (const it of its) {
    if ('snapshot' in it) w.addSnapshot(it.blob, it.snapshot);
    else if ('kind' in it.record) w.addEvent(it.record);
    else if ('input' in it.record) w.addInput(it.record);
    else w.addStateHash(it.record);
  }
  w.close();
  return path;
}

function problems(trace: string, snap: string | null = null, opts: VerifyOptions = { buildMachine: build }): string[] {
  return verifyRecording(trace, snap, opts).problems.map((p) => p.message);
}

const trace = join(dir, 'clean.hvrr');
record(trace);
const src = items(trace);
const isEvent = (it: Item): it is { record: TraceEvent } => 'record' in it && 'kind' in it.record;

describe('verifyRecording', () => {
  it('says nothing about a clean recording, restores every snapshot and replays from power-on and from each', () => {
    const snaps = src.items.filter((i) => 'snapshot' in i).length;
    expect(snaps).toBeGreaterThan(2);
    const r = verifyRecording(trace, null, { buildMachine: build, replay: true });
    expect(r.problems).toEqual([]);
    const f = r.files[0]!;
    expect(f.restored).toBe(snaps);
    expect(f.inputs).toBeGreaterThan(0);
    expect(f.stateHashes).toBeGreaterThan(2);
    expect(r.replay!.runs).toBeGreaterThan(snaps - 1);
    expect(r.replay!.events).toBeGreaterThanOrEqual(2 * f.events - 10);
  });

  it('a file it cannot open at all is a VerifyInputError, not a problem', () => {
    expect(() => verifyRecording(join(dir, 'missing.hvrr'), null)).toThrow(VerifyInputError);
    expect(() => verifyRecording(dir, null)).toThrow(/is a directory/);
  });

  it('a truncated file: the footer line says what is lost', () => {
    const bytes = readFileSync(trace);
    const cut = writeBytes('cut.hvrr', bytes.subarray(0, bytes.length - 100));
    const p = problems(cut);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^footer: footer missing .*: the file is truncated, damaged at its end, or the recording did not finish \(lost after offset \d+: an incomplete index chunk/);
  });

  it('a missing state hash, an exception number out of turn, inputs out of order', () => {
    const firstHash = src.items.findIndex((i) => 'record' in i && 'stateHash' in i.record);
    const noHash = src.items.filter((_, i) => i !== firstHash);
    expect(problems(write(join(dir, 'nohash.hvrr'), src.header, noHash))).toEqual([expect.stringMatching(new RegExp(`record \\d+: no state hash after event #${HASH_EVERY - 1} \\(the header says one every ${HASH_EVERY} events\\)$`))]);

    const exc = src.items.findIndex((i) => isEvent(i) && i.record.kind === 'exception' && i.record.n === 20);
    const bumped = src.items.map((it, i) => (i === exc && isEvent(it) && it.record.kind === 'exception' ? { record: { ...it.record, n: 21 } } : it));
    const p = problems(write(join(dir, 'exc.hvrr'), src.header, bumped));
    expect(p[0]).toMatch(/is exception n=21, expected n=20$/);
    expect(p[1]).toMatch(/is exception n=21, expected n=22$/);

    // Another input record before the first, scheduled later than it.
    const input = src.items.findIndex((i) => 'record' in i && 'input' in i.record);
    expect(input).toBeGreaterThan(0);
    const first = (src.items[input] as { record: TraceRecord & { tick: number } }).record;
    const late = [...src.items.slice(0, input), { record: { ...first, tick: first.tick + 5 } }, ...src.items.slice(input)];
    expect(problems(write(join(dir, 'inputs.hvrr'), src.header, late))).toEqual([expect.stringMatching(new RegExp(`record \\d+: input at tick ${first.tick} after one at tick ${first.tick + 5}$`))]);
  });

  it("a snapshot chunk whose metadata is not its blob's; a snapshot not chained to the previous one", () => {
    const second = src.items.findIndex((i, k) => 'snapshot' in i && k > 0);
    const lying = src.items.map((it, i) => (i === second && 'snapshot' in it ? { ...it, snapshot: { ...it.snapshot, instructions: it.snapshot.instructions + 1 } } : it));
    const p = problems(write(join(dir, 'meta.hvrr'), src.header, lying));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^snapshot 1 \(chunk \d+ at offset \d+\): the snapshot's own metadata differs from its chunk's: instructions (\d+), the chunk says (\d+)$/);

    const unchained = src.items.map((it, i) => (i === second && 'snapshot' in it ? { ...it, snapshot: { ...it.snapshot, baseId: 'f'.repeat(64) } } : it));
    expect(problems(write(join(dir, 'chain.hvrr'), src.header, unchained))[0]).toMatch(/snapshot is based on ffffffffffff…, not on the previous snapshot/);
  });

  it('an event the snapshots disagree with (caught by restoring), and one only a replay catches', () => {
    const snaps = src.items.flatMap((it) => ('snapshot' in it ? [it.snapshot] : []));
    const before = snaps[1]!.afterSeq; // the last event before snapshot 1: in its ring of recent events
    const change = (seq: number) => src.items.map((it) => (isEvent(it) && it.record.seq === seq ? { record: { ...it.record, tick: it.record.tick + 1 } } : it));
    const ring = problems(write(join(dir, 'ring.hvrr'), src.header, change(before)));
    expect(ring).toEqual([expect.stringMatching(new RegExp(`^snapshot 1 \\(chunk \\d+ at offset \\d+\\): its event #${before} \\(.*\\) is not the trace's`))]);

    const early = write(join(dir, 'early.hvrr'), src.header, change(3));
    expect(problems(early)).toEqual([]);
    const p = problems(early, null, { buildMachine: build, replay: true });
    expect(p).toEqual([expect.stringMatching(/^replay from power-on: diverged at event #3: recorded .*; replayed /)]);
  });

  it('an index that lies about a chunk (its own checksums valid)', () => {
    const bytes = Buffer.from(readFileSync(trace));
    const footerAt = bytes.length - FOOTER_SIZE;
    const indexAt = Number(bytes.readBigUInt64LE(footerAt + 8));
    const h = decodeChunkHeader(bytes.subarray(indexAt, indexAt + CHUNK_HEADER_SIZE), 'index');
    const m = cborDecodeOne(zstdDecompressExact(bytes.subarray(indexAt + CHUNK_HEADER_SIZE, footerAt), h.rawLength, 'index'), 'index') as { chunks: Array<{ kinds: Record<string, number> }> };
    m.chunks[0]!.kinds['uart-out'] = (m.chunks[0]!.kinds['uart-out'] ?? 0) + 1;
    const raw = cborEncode(m);
    const payload = zstdCompress(raw, 3);
    const header = encodeChunkHeader({ ...h, kind: CHUNK_INDEX, flags: FLAG_ZSTD, rawLength: raw.length, storedLength: payload.length, payloadCrc: crc32c(payload) });
    const footer = encodeFooter({ indexOffset: indexAt, footerOffset: indexAt + header.length + payload.length });
    const lied = writeBytes('lied.hvrr', Buffer.concat([bytes.subarray(0, indexAt), header, payload, footer]));
    expect(problems(lied)).toEqual([expect.stringMatching(/^index chunk at offset \d+: the index does not match the chunks: chunk 0: its statistics .* differ from the index$/)]);
  });

  it('restoring: a machine of another configuration, or none at all', () => {
    const other = problems(trace, null, { buildMachine: () => machine(1) });
    expect(other.length).toBeGreaterThan(0);
    expect(other.every((m) => /^snapshot \d+ \(chunk \d+ at offset \d+\): cannot restore: /.test(m))).toBe(true);
    expect(problems(trace, null, { buildMachine: () => { throw new Error('kernel image differs'); } })).toEqual(['cannot build the recorded machine (kernel image differs): snapshots not restored']);
    // Without a machine builder nothing is restored and that is not a problem.
    const r = verifyRecording(trace, null);
    expect(r.problems).toEqual([]);
    expect(r.files[0]!.restored).toBe(0);
  });

  it('a snapshot file beside the trace: verified with it; one from another recording does not belong', () => {
    const t = join(dir, 'side.hvrr');
    record(t, `${t}.snap`);
    const r = verifyRecording(t, `${t}.snap`, { buildMachine: build, replay: true });
    expect(r.problems).toEqual([]);
    expect(r.files[1]!.restored).toBeGreaterThan(2);
    const o = join(dir, 'other.hvrr');
    record(o, `${o}.snap`, SEED + 1n);
    expect(problems(t, `${o}.snap`)).toEqual([expect.stringMatching(/does not belong to trace '.*side\.hvrr': it was recorded with another machine, images or seed$/)]);
  });
});

function writeBytes(name: string, b: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, b);
  return p;
}

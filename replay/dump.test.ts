// `hvrr dump`, in-process through the CLI entry point.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import { formatEvent } from '../core/trace/events.js';
import type { TraceEvent, TraceEventInput } from '../core/trace/events.js';
import { TraceSink } from '../core/trace/sink.js';
import { CHUNK_HEADER_SIZE } from './format.js';
import { TraceReader, TraceWriter } from './traceFile.js';

const dir = mkdtempSync(join(tmpdir(), 'hvrr-dump-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class Out {
  text = '';
  write(c: string | Uint8Array): boolean {
    this.text += typeof c === 'string' ? c : Buffer.from(c).toString('utf8');
    return true;
  }
}

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Out();
  const stderr = new Out();
  const code = await main(argv, { stdout, stderr, stdin: null, env: {}, handleSignals: false });
  return { code, out: stdout.text, err: stderr.text };
}

const INPUTS: TraceEventInput[] = [
  { kind: 'psci', tick: 0, cpu: 0, fn: 0xc4000003, args: ['0x1', '0x40080000', '0x0'], result: '0x0' },
  { kind: 'exception', tick: 10, cpu: 0, n: 1, type: 'sync', fromEl: 1, toEl: 2, ec: 0x16, esr: '0x5a000000', elr: '0x40080010', far: '0x0' },
  { kind: 'timer-program', tick: 20, cpu: 1, timer: 'virt', ctl: 1, cval: '0x1000' },
  { kind: 'uart-out', tick: 30, cpu: 0, byte: 0x41 },
  { kind: 'uart-out', tick: 31, cpu: 0, byte: 0x0a },
  { kind: 'irq-raise', tick: 40, cpu: -1, intid: 27, target: 1 },
  { kind: 'irq-ack', tick: 41, cpu: 1, intid: 27, target: 1 },
  { kind: 'exception', tick: 41, cpu: 1, n: 2, type: 'irq', fromEl: 1, toEl: 1, ec: 0, esr: '0x0', elr: '0x40081000', far: '0x0' },
  { kind: 'uart-in', tick: 50, cpu: -1, byte: 0x27 },
  { kind: 'halt', tick: 60, cpu: 0, reason: 'guest said "bye"' },
];

/** A small trace recorded the way the recorder will: subscribed to a sink. */
function record(path: string, close = true): TraceEvent[] {
  const sink = new TraceSink();
  const w = TraceWriter.create(
    path,
    {
      hvrrVersion: '0.1.0',
      machine: { numCpus: 2, ramBytes: 268435456, seed: '7', quantum: 10000, scenario: 'dump-test' },
      images: [{ name: 'selftest', sha256: '0f'.repeat(32), size: 4096 }],
      seed: '7',
      stateHashInterval: 5,
      snapshotInterval: 0,
    },
    { chunkEvents: 3 },
  );
  const events: TraceEvent[] = [];
  sink.subscribe((e) => {
    w.addEvent(e);
    events.push(e);
  });
  for (const [i, e] of INPUTS.entries()) {
    sink.emit(e);
    if (i === 2) w.addInput({ input: 'uart-rx', tick: 50, byte: 0x27 });
    if (i === 4) w.addStateHash({ stateHash: 'ab'.repeat(32), seq: 4, tick: 31 });
    if (i === 5) w.addSnapshot(new Uint8Array([1, 2, 3]), { id: 'snap-1', baseId: null, afterSeq: 5, tick: 40, instructions: 40, exceptions: 1 });
  }
  if (close) w.close();
  else {
    w.flush();
    w.abandon();
  }
  return events;
}

const path = join(dir, 'small.hvrr');
const events = record(path);
const eventLines = (out: string): string[] => out.split('\n').filter((l) => l !== '' && !l.startsWith('# '));

describe('hvrr dump', () => {
  it('prints the header summary, then exactly the formatEvent lines', async () => {
    const { code, out, err } = await cli(['dump', path]);
    expect(err).toBe('');
    expect(code).toBe(0);
    const header = out.split('\n').filter((l) => l.startsWith('# '));
    expect(header).toEqual([
      `# trace: ${path}`,
      '# format: 1 (events 3), written by hvrr 0.1.0',
      '# seed: 7',
      '# machine: {"numCpus":2,"ramBytes":268435456,"seed":"7","quantum":10000,"scenario":"dump-test"}',
      `# image: selftest sha256=${'0f'.repeat(32)} size=4096`,
      '# state-hash interval: 5 events',
      '# snapshot interval: none',
      '# events: 10 (seq 0..9) in 4 chunks, inputs: 1, state hashes: 1, snapshots: 1',
      '# kinds: exception=2 irq-raise=1 irq-ack=1 timer-program=1 uart-out=2 uart-in=1 psci=1 halt=1',
      '# exceptions: n=1..2',
      '# snapshot: id=snap-1 base=- after=#5 @40 instructions=40 exceptions=1 bytes=3',
    ]);
    expect(eventLines(out)).toEqual(events.map(formatEvent));
    expect(eventLines(out)[3]).toBe("#3 @30 cpu0 uart-out byte=0x41 'A'");
  });

  it('--from, --count, --kind', async () => {
    expect(eventLines((await cli(['dump', path, '--from', '4', '--count', '3'])).out)).toEqual(events.slice(4, 7).map(formatEvent));
    expect(eventLines((await cli(['dump', path, '--kind', 'exception,halt'])).out)).toEqual(events.filter((e) => e.kind === 'exception' || e.kind === 'halt').map(formatEvent));
    expect(eventLines((await cli(['dump', path, '--kind=uart-out', '--count=1'])).out)).toEqual([formatEvent(events[3]!)]);
    expect(eventLines((await cli(['dump', path, '--from', '100'])).out)).toEqual([]);
  });

  it('--inputs and --hashes interleave records in stream order', async () => {
    const { out } = await cli(['dump', path, '--inputs', '--hashes', '--from', '2', '--count', '4']);
    expect(eventLines(out)).toEqual([
      formatEvent(events[2]!),
      "input @50 uart-rx byte=0x27",
      formatEvent(events[3]!),
      formatEvent(events[4]!),
      `state-hash @31 after=#4 ${'ab'.repeat(32)}`,
      formatEvent(events[5]!),
    ]);
    expect(eventLines((await cli(['dump', path, '--inputs', '--kind', 'halt'])).out)).toEqual(['input @50 uart-rx byte=0x27', formatEvent(events[9]!)]);
  });

  it('reads a killed recording and says so', async () => {
    const p = join(dir, 'killed.hvrr');
    record(p, false);
    const bytes = readFileSync(p);
    writeFileSync(p, bytes.subarray(0, bytes.length - 3));
    const { code, out } = await cli(['dump', p]);
    expect(code).toBe(0);
    const r = TraceReader.open(p);
    const rec = r.recovery!;
    r.close();
    expect(out).toContain(`# recovered: footer missing (recording did not finish); read ${rec.chunks} complete chunks (${rec.events} events, ${rec.validBytes} bytes), ignored ${rec.ignoredBytes} trailing bytes`);
    expect(eventLines(out)).toEqual(events.slice(0, rec.events).map(formatEvent));
    expect(rec.events).toBe(9);
  });

  it('bad files: one line, exit 2, no stack', async () => {
    const cases: Array<[string, Uint8Array | null, RegExp]> = [
      ['missing.hvrr', null, /^hvrr: cannot read '.*missing\.hvrr': no such file$/],
      ['empty.hvrr', new Uint8Array(0), /^hvrr: trace '.*': empty file \(not an hvrr trace\)$/],
      ['text.hvrr', Buffer.from('#0 @0 cpu0 halt reason="x"\n'), /^hvrr: trace '.*': not an hvrr trace file \(bad magic\)$/],
      ['short.hvrr', readFileSync(path).subarray(0, 30), /^hvrr: trace '.*': truncated file header/],
    ];
    const corrupt = Buffer.from(readFileSync(path));
    const r = TraceReader.open(path);
    const c1 = r.index.chunks[1]!;
    r.close();
    corrupt[c1.offset + CHUNK_HEADER_SIZE + 2]! ^= 0x10;
    cases.push(['corrupt.hvrr', corrupt, new RegExp(`^hvrr: trace '.*': chunk 1 at offset ${c1.offset}: chunk payload checksum mismatch \\(corrupt\\)$`)]);
    for (const [name, data, re] of cases) {
      const p = join(dir, name);
      if (data) writeFileSync(p, data);
      const { code, err } = await cli(['dump', p]);
      expect(code).toBe(2);
      expect(err.trimEnd()).toMatch(re);
      expect(err.trimEnd().split('\n')).toHaveLength(1);
    }
  });

  it('bad command lines', async () => {
    for (const [argv, re] of [
      [['dump'], /missing trace FILE/],
      [['dump', path, 'other'], /unexpected argument 'other'/],
      [['dump', path, '--kind', 'exceptions'], /unknown event kind 'exceptions'/],
      [['dump', path, '--count', '0'], /--count: must be at least 1/],
      [['dump', path, '--from', '-1'], /--from/],
    ] as Array<[string[], RegExp]>) {
      const { code, err } = await cli(argv);
      expect(code).toBe(2);
      expect(err).toMatch(re);
    }
    const h = await cli(['dump', '--help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/Usage: hvrr dump FILE/);
  });
});

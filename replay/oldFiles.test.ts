// A trace written by hvrr before issue 10 (fixtures/main-23c807b: file format
// 1, event format 1, hypervisor state 2) still dumps and replays: every event
// matches; its state hashes, taken over the state records of that hvrr, are
// reported as not comparable instead of as a divergence.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { machineForRecording } from '../cli/commands/record.js';
import { main } from '../cli/main.js';
import { formatEvent, TRACE_FORMAT_VERSION } from '../core/trace/events.js';
import { traceDigest } from '../core/trace/sink.js';
import type { TraceHeader } from './format.js';
import { Replayer } from './replayer.js';
import { TraceReader } from './traceFile.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'main-23c807b');
const TRACE = join(DIR, 'selftest-hv-smp2.hvrr');
const DIGEST = 'af387ba3dd03f1ff9625902d27c788ed17bf8a6ec23e59713ca1614336b18d0f';

/** The recorded header with the kernel taken from the fixture directory (it was recorded elsewhere). */
function here(h: TraceHeader): TraceHeader {
  const machine = h.machine as { argv: string[] };
  return {
    ...h,
    machine: { ...machine, argv: machine.argv.map((a) => (a.startsWith('--kernel=') ? `--kernel=${join(DIR, 'selftest.bin')}` : a)) },
    images: h.images.map((i) => ({ ...i, name: i.name.startsWith('kernel:') ? `kernel:${join(DIR, 'selftest.bin')}` : i.name })),
  };
}

let reader: TraceReader | undefined;
afterEach(() => reader?.close());

class Out {
  text = '';
  write(c: string | Uint8Array): boolean {
    this.text += typeof c === 'string' ? c : Buffer.from(c).toString('utf8');
    return true;
  }
}

describe('trace from main 23c807b (event format 1)', () => {
  it('is read as it was: the events digest to what that hvrr computed', () => {
    reader = TraceReader.open(TRACE);
    expect(reader.header.traceFormatVersion).toBe(1);
    expect(TRACE_FORMAT_VERSION).toBe(3);
    const events = [...reader.eventsInRange(reader.firstSeq, Number.MAX_SAFE_INTEGER)];
    expect(events).toHaveLength(3619);
    expect(events.some((e) => e.world !== undefined)).toBe(false); // version 1: every event Non-secure
    expect(traceDigest(events)).toBe(DIGEST);
  });

  it('dumps: the header says format 1 and every line is the canonical rendering', async () => {
    const stdout = new Out();
    const stderr = new Out();
    const code = await main(['dump', TRACE], { stdout, stderr, stdin: null, env: {}, handleSignals: false });
    expect(code).toBe(0);
    expect(stdout.text).toContain('# format: 1 (events 1)');
    reader = TraceReader.open(TRACE);
    const lines = stdout.text.split('\n').filter((l) => l.startsWith('#') && !l.startsWith('# '));
    expect(lines).toEqual([...reader.eventsInRange(reader.firstSeq, Number.MAX_SAFE_INTEGER)].map(formatEvent));
  });

  it('has no `secure` in its machine: it rebuilds a machine with one Security state, and dump says nothing of worlds', async () => {
    reader = TraceReader.open(TRACE);
    expect((reader.header.machine as Record<string, unknown>)['secure']).toBeUndefined();
    expect(machineForRecording(here(reader.header), TRACE).config.secure).toBe(false);
    const stdout = new Out();
    expect(await main(['dump', TRACE, '--kind', 'halt'], { stdout, stderr: new Out(), stdin: null, env: {}, handleSignals: false })).toBe(0);
    expect(stdout.text).not.toContain('# worlds');
  });

  it.each([true, false])('replays to the end with every event matching (snapshots: %s)', (useSnapshots) => {
    reader = TraceReader.open(TRACE);
    const m = machineForRecording(here(reader.header), TRACE);
    const r = new Replayer(reader).run(m, { kind: 'end' }, { useSnapshots });
    expect(r.status).toBe('end-of-recording');
    expect(r.checked).toBe(3619);
    expect(r.stateHashesChecked + (r.stateHashesNotComparable ?? 0)).toBe(7);
    expect(m.trace.digest()).toBe(DIGEST);
    expect(r.startedFrom !== null).toBe(useSnapshots); // the snapshot inside (machine record 1, hypervisor state 2) restores
  });
});

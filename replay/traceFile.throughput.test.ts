// Write/read throughput of trace files on a realistic event mix (a Linux-boot
// like stream: exceptions, interrupt life cycles, timer programming, console
// output, scheduling). Prints the figures; asserts only sizes and counts
// (wall-time assertions would be flaky). HVRR_BENCH_EVENTS=N for a longer run.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { realisticEvents } from './syntheticEvents.js';
import { TraceReader, TraceWriter } from './traceFile.js';

const dir = mkdtempSync(join(tmpdir(), 'hvrr-tput-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trace file throughput', () => {
  it('writes and reads a realistic mix', () => {
    const n = Number(process.env.HVRR_BENCH_EVENTS ?? 300_000);
    const events = realisticEvents(n);
    const path = join(dir, 'tput.hvrr');
    const t0 = performance.now();
    const w = TraceWriter.create(path, { hvrrVersion: 'bench', machine: { numCpus: 4 }, images: [], seed: '1', stateHashInterval: 0, snapshotInterval: 0 });
    for (const e of events) w.addEvent(e);
    w.close();
    const t1 = performance.now();
    const size = statSync(path).size;
    const r = TraceReader.open(path);
    let count = 0;
    for (const rec of r.events()) if ('kind' in rec) count++;
    const t2 = performance.now();
    const seekStart = performance.now();
    const hit = r.findException(Math.floor(n * 0.15));
    const seekMs = performance.now() - seekStart;
    r.close();
    const rawJsonBytes = events.reduce((a, e) => a + JSON.stringify(e).length + 1, 0);
    const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
    console.log(
      `trace file: ${fmt(n)} events, write ${fmt(n / ((t1 - t0) / 1000))} events/s, read ${fmt(n / ((t2 - t1) / 1000))} events/s, ` +
        `${(size / n).toFixed(2)} bytes/event (${fmt(size)} bytes; NDJSON would be ${(rawJsonBytes / n).toFixed(1)} bytes/event), ` +
        `findException (cold chunk) ${seekMs.toFixed(1)} ms`,
    );
    expect(count).toBe(n);
    expect(hit).toBeDefined();
    expect(size / n).toBeLessThan(30);
  });
});

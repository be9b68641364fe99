// `npm run bench:trace`: the trace sink's per-event cost (formatEvent, emit,
// the digest) and trace file write/read throughput on a realistic event mix
// (a Linux-boot-like stream). Prints figures; wall time is allowed here
// (a benchmark, outside the simulation). HVRR_BENCH_EVENTS=N for a longer run.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { formatEvent, hex64, type TraceEvent, type TraceEventInput } from '../core/trace/events.js';
import { TraceSink, traceDigest } from '../core/trace/sink.js';
import { TraceReader, TraceWriter } from '../replay/traceFile.js';
import { realisticEvents } from '../replay/syntheticEvents.js';

/** An exception-heavy mix: exception / irq-raise / irq-ack / irq-eoi / timer / uart. */
function mix(n: number): TraceEventInput[] {
  const out: TraceEventInput[] = [];
  let tick = 1000;
  for (let i = 0; i < n; i++) {
    tick += 17 + (i % 13);
    const cpu = i & 3;
    switch (i % 8) {
      case 0:
      case 1:
      case 2:
        out.push({ tick, cpu, kind: 'exception', n: i + 1, type: 'sync', fromEl: 1, toEl: 2, ec: 0x16, esr: '0x5a000000', elr: '0xffff8000100' + (i & 0xfff).toString(16), far: '0x0' });
        break;
      case 3:
        out.push({ tick, cpu: -1, kind: 'irq-raise', intid: 27, target: cpu });
        break;
      case 4:
        out.push({ tick, cpu, kind: 'irq-ack', intid: 27, target: cpu });
        break;
      case 5:
        out.push({ tick, cpu, kind: 'irq-eoi', intid: 27, target: cpu });
        break;
      case 6:
        out.push({ tick, cpu, kind: 'timer-program', timer: 'virt', ctl: 1, cval: '0x' + tick.toString(16) });
        break;
      default:
        out.push({ tick, cpu, kind: 'uart-out', byte: 0x41 + (i % 26) });
    }
  }
  return out;
}

function rate(label: string, n: number, f: () => void): number {
  f(); // warm-up
  const t0 = process.hrtime.bigint();
  f();
  const ns = Number(process.hrtime.bigint() - t0);
  const perSec = (n / ns) * 1e9;
  console.log(`${label}: ${(perSec / 1e6).toFixed(2)} M events/s (${(ns / n).toFixed(0)} ns/event)`);
  return perSec;
}

function sinkBench(): void {
  const N = 200_000;
  const inputs = mix(N);
  const events: TraceEvent[] = inputs.map((e, seq) => ({ seq, ...e }) as TraceEvent);
  let chars = 0;
  rate('formatEvent', N, () => {
    chars = 0;
    for (const e of events) chars += formatEvent(e).length;
  });
  let digest = '';
  rate('TraceSink.emit (ring 64, no listeners)', N, () => {
    const s = new TraceSink({ ringSize: 64 });
    for (const e of inputs) s.emit(e);
    digest = s.digest();
  });
  rate('traceDigest(list)', N, () => {
    if (traceDigest(events) !== digest) throw new Error('traceDigest differs from the sink digest');
  });
}

function fileBench(dir: string): void {
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
  if (count !== n || !hit) throw new Error(`trace file read back ${count} of ${n} events`);
}

sinkBench();
const dir = mkdtempSync(join(tmpdir(), 'hvrr-tput-'));
try {
  fileBench(dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

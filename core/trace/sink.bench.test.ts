// Micro-benchmark of the trace sink's per-event cost (prints figures, asserts
// nothing about time: ARCHITECTURE.md principle 6, no timed tests).
import { describe, expect, it } from 'vitest';
import { formatEvent, type TraceEvent, type TraceEventInput } from './events.js';
import { TraceSink, traceDigest } from './sink.js';

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

describe('trace sink micro-benchmark', () => {
  it('prints events/s for formatEvent, TraceSink.emit and traceDigest', () => {
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
      expect(traceDigest(events)).toBe(digest);
    });
    expect(chars).toBeGreaterThan(0);
  });
});

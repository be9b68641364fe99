// Small traces for the TUI's tests: events written with TraceWriter in small
// chunks, so seeks and scans cross chunk boundaries.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TraceEvent, TraceEventInput } from '../core/trace/events.js';
import { TraceReader, TraceWriter } from '../replay/traceFile.js';

/** Numbers `events` 0, 1, 2, ... (ticks as given). */
export function numbered(events: readonly TraceEventInput[]): TraceEvent[] {
  return events.map((e, seq) => ({ ...e, seq }) as TraceEvent);
}

/** Console bytes of `text` from `cpu`, one tick apart from `tick`. */
export function uartText(text: string, cpu: number, tick: number): TraceEventInput[] {
  return [...Buffer.from(text, 'latin1')].map((byte, i) => ({ kind: 'uart-out', tick: tick + i, cpu, byte }) as TraceEventInput);
}

/** Writes a trace of `events` (chunks of `chunkEvents`) into a new temp directory and opens it. */
export function writeTrace(events: readonly TraceEvent[], chunkEvents = 8, machine: Record<string, unknown> = { numCpus: 2 }): { reader: TraceReader; path: string } {
  const path = join(mkdtempSync(join(tmpdir(), 'hvrr-tui-test-')), 't.hvrr');
  const w = TraceWriter.create(path, { hvrrVersion: 'test', machine, images: [], seed: '0', stateHashInterval: 0, snapshotInterval: 0 }, { chunkEvents });
  for (const e of events) w.addEvent(e);
  w.close();
  return { reader: TraceReader.open(path), path };
}

const sched = (tick: number, cpu: number, vm: number, vcpu: number, dir: 'in' | 'out'): TraceEventInput => ({ kind: 'sched', tick, cpu, vm, vcpu, dir });
const exc = (tick: number, cpu: number, n: number, ec = 0x16): TraceEventInput => ({ kind: 'exception', tick, cpu, n, type: 'sync', fromEl: 1, toEl: 2, ec, esr: '0x' + ((ec << 26) >>> 0).toString(16), elr: '0x40080000', far: '0x0' });

// 2 pCPUs: vm0/vcpu0 on cpu0, then vm1/vcpu0 on cpu1; console lines from both.
/** A two-pCPU trace for the jobs and model tests. */
export const JOB_EVENTS = numbered([
  sched(0, 0, 0, 0, 'in'), // #0
  ...uartText('boot\n', 0, 1), // #1..#5
  exc(7, 0, 1), // #6
  sched(8, 1, 1, 0, 'in'), // #7
  exc(9, 1, 2, 0x24), // #8
  ...uartText('[vm1] hi\n', 1, 10), // #9..#17
  sched(20, 0, 0, 0, 'out'), // #18
  exc(21, 0, 3), // #19: on cpu0 with nothing running
  { kind: 'ffa', tick: 22, cpu: 1, fid: 0x8400006f, src: 1, dst: 0x8001, args: ['0x0'] }, // #20
  ...uartText('tail', 0, 23), // #21..#24, no LF
]);

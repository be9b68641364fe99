// A trace as Chrome trace-event JSON (the "JSON Object Format" of the Trace
// Event Format document, which Perfetto UI and chrome://tracing open):
//   - one process, "hvrr machine", with one thread (track) per pCPU and one
//     "devices" track for events outside any PE;
//   - complete slices ("X") on a pCPU's track for each stretch a vCPU ran
//     there (from the sched events), named "vmV vcpuC";
//   - instant events ("i") for exceptions, interrupts (raise, ack, EOI),
//     PSCI calls and machine halts, with the decoded fields as args;
//   - FF-A messages as 1-tick slices named by function (an answer by its
//     result: FFA_SUCCESS_32, "FFA_ERROR DENIED"), with direction, the call
//     answered, handle, receivers and pages as args, and a flow arrow named
//     by the call from each call to its answer (tui/ffa.ts pairs them): flow
//     events "s"/"f" for chrome, flow ids on the slices (bind_id,
//     flow_out/flow_in) for perfetto;
//   - a counter ("C") of instructions retired by the machine, from the
//     recording's snapshots (each records the count at its tick).
// Timestamps are virtual time: one tick is one nanosecond, `ts` is in
// microseconds (fractions kept), displayTimeUnit "ns".
import type { FfaEvent, TraceEvent } from '../core/trace/events.js';
import type { SnapshotEntry } from '../replay/traceFile.js';
import { decodeEsr, intidName, psciName, psciResult, summary } from './decode.js';
import { isAnswer, nameOf, pairCalls, resultOf } from './ffa.js';

export type ExportFormat = 'perfetto' | 'chrome';

/** One trace event of the JSON format (the fields this exporter uses). */
export interface ChromeEvent {
  name: string;
  ph: 'X' | 'i' | 'C' | 'M' | 's' | 'f';
  ts?: number;
  dur?: number;
  pid: number;
  tid?: number;
  cat?: string;
  s?: 'g' | 'p' | 't';
  id?: number;
  bp?: 'e';
  bind_id?: number;
  flow_in?: boolean;
  flow_out?: boolean;
  args?: Record<string, unknown>;
}

export const MACHINE_PID = 1;
/** The track of events that happen outside any PE (a device raising an SPI, UART input). */
export const DEVICES_TID = 1000;

const us = (tick: number): number => tick / 1000;
const tidOf = (cpu: number): number => (cpu < 0 ? DEVICES_TID : cpu);

/**
 * Converts `events` (in seq order) and calls `emit` with each trace event, in
 * an order that is a valid file (metadata first). `cpus` is the number of
 * pCPUs of the machine; `snapshots` the recording's (for the counter).
 */
export function exportEvents(events: Iterable<TraceEvent>, opts: { format: ExportFormat; cpus: number; snapshots: readonly SnapshotEntry[]; title: string }, emit: (e: ChromeEvent) => void): { events: number; slices: number; flows: number } {
  emit({ name: 'process_name', ph: 'M', pid: MACHINE_PID, args: { name: opts.title } });
  for (let c = 0; c < opts.cpus; c++) {
    emit({ name: 'thread_name', ph: 'M', pid: MACHINE_PID, tid: c, args: { name: `pCPU ${c}` } });
    emit({ name: 'thread_sort_index', ph: 'M', pid: MACHINE_PID, tid: c, args: { sort_index: c } });
  }
  emit({ name: 'thread_name', ph: 'M', pid: MACHINE_PID, tid: DEVICES_TID, args: { name: 'devices' } });
  emit({ name: 'thread_sort_index', ph: 'M', pid: MACHINE_PID, tid: DEVICES_TID, args: { sort_index: DEVICES_TID } });

  const running = new Map<number, { vm: number; vcpu: number; start: number }>();
  const ffa: FfaEvent[] = [];
  let slices = 0;
  let count = 0;
  let lastTick = 0;
  const close = (cpu: number, end: number): void => {
    const r = running.get(cpu);
    if (!r) return;
    running.delete(cpu);
    emit({ name: `vm${r.vm} vcpu${r.vcpu}`, cat: 'sched', ph: 'X', ts: us(r.start), dur: us(Math.max(0, end - r.start)), pid: MACHINE_PID, tid: cpu, args: { vm: r.vm, vcpu: r.vcpu } });
    slices++;
  };
  const instant = (e: TraceEvent, name: string, cat: string, args: Record<string, unknown>): void => {
    emit({ name, cat, ph: 'i', s: 't', ts: us(e.tick), pid: MACHINE_PID, tid: tidOf(e.cpu), args: { seq: e.seq, ...args } });
  };
  for (const e of events) {
    count++;
    if (e.tick > lastTick) lastTick = e.tick;
    switch (e.kind) {
      case 'sched':
        if (e.dir === 'in') {
          close(e.cpu, e.tick);
          running.set(e.cpu, { vm: e.vm, vcpu: e.vcpu, start: e.tick });
        } else {
          close(e.cpu, e.tick);
        }
        break;
      case 'exception': {
        const d = decodeEsr(BigInt(e.esr));
        // Named by class (Perfetto groups instants by name); the number is in args.
        instant(e, e.type === 'sync' ? d.text.slice(0, d.text.indexOf(':')) : e.type.toUpperCase(), 'exception', {
          n: e.n, type: e.type, from: `EL${e.fromEl}`, to: `EL${e.toEl}`, world: e.world === 's' ? 'Secure' : 'Non-secure', esr: e.esr, ...(e.type === 'sync' ? { syndrome: d.text } : {}), elr: e.elr, far: e.far,
        });
        break;
      }
      case 'irq-raise': case 'irq-ack': case 'irq-eoi':
        instant(e, `IRQ ${e.intid} ${e.kind.slice(4)}`, 'irq', { intid: e.intid, source: intidName(e.intid), target: e.target, ...(e.virt ? { virtual: true } : {}), ...(e.dir ? { deactivation: true } : {}) });
        break;
      case 'psci':
        instant(e, `PSCI ${psciName(e.fn)}`, 'psci', { fn: `0x${(e.fn >>> 0).toString(16)}`, args: e.args, result: psciResult(e.fn, e.result) });
        break;
      case 'halt':
        instant(e, 'halt', 'machine', { reason: e.reason });
        break;
      case 'ffa':
        ffa.push(e);
        break;
      default:
        break;
    }
  }
  for (const cpu of [...running.keys()]) close(cpu, lastTick);

  // FF-A: a 1-tick slice per message named by its function (an answer's: its result), and an arrow
  // from each call to its answer named by the call. A call passed on unchanged shares its answer:
  // the arrow starts at the first.
  const flowOf = new Map<number, { id: number; dir: 'out' | 'in'; call: string }>();
  let flows = 0;
  for (const c of pairCalls(ffa)) {
    if (!c.answer || flowOf.has(c.answer.seq)) continue;
    flows++;
    const call = `FF-A ${nameOf(c.call)}`;
    flowOf.set(c.call.seq, { id: flows, dir: 'out', call });
    flowOf.set(c.answer.seq, { id: flows, dir: 'in', call });
  }
  for (const e of ffa) {
    const f = flowOf.get(e.seq);
    const args: Record<string, unknown> = { seq: e.seq, src: `0x${e.src.toString(16)}`, dst: `0x${e.dst.toString(16)}`, args: e.args, summary: summary(e) };
    if (e.dir !== undefined) args.dir = e.dir;
    if (e.of !== undefined) args.of = e.of;
    if (isAnswer(e)) args.result = resultOf(e);
    if (e.handle !== undefined) args.handle = e.handle;
    if (e.receivers !== undefined) args.receivers = e.receivers.map((r) => `0x${r.toString(16)}`);
    if (e.pages !== undefined) args.pages = e.pages;
    const slice: ChromeEvent = { name: isAnswer(e) ? resultOf(e) : nameOf(e), cat: 'ffa', ph: 'X', ts: us(e.tick), dur: us(1), pid: MACHINE_PID, tid: tidOf(e.cpu), args };
    if (f && opts.format === 'perfetto') {
      slice.bind_id = f.id;
      if (f.dir === 'out') slice.flow_out = true;
      else slice.flow_in = true;
    }
    emit(slice);
    slices++;
    if (f && opts.format === 'chrome') {
      emit({ name: f.call, cat: 'ffa', ph: f.dir === 'out' ? 's' : 'f', id: f.id, ts: us(e.tick), pid: MACHINE_PID, tid: tidOf(e.cpu), ...(f.dir === 'in' ? { bp: 'e' as const } : {}) });
    }
  }

  // Instructions retired, where the recording knows them: at each snapshot.
  for (const s of [...opts.snapshots].sort((a, b) => a.tick - b.tick)) {
    emit({ name: 'instructions retired', cat: 'counter', ph: 'C', ts: us(s.tick), pid: MACHINE_PID, args: { instructions: s.instructions } });
  }
  return { events: count, slices, flows };
}

/** The problems of a Chrome trace-event JSON document (empty when valid):
 *  the fields each phase needs (Trace Event Format document), and on each
 *  track, complete slices that nest (no partial overlaps) and flow events
 *  that pair up and sit inside a slice of their track. */
export function validateChromeTrace(doc: unknown): string[] {
  const problems: string[] = [];
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { traceEvents?: unknown }).traceEvents)) return ['not an object with a traceEvents array'];
  const unit = (doc as { displayTimeUnit?: unknown }).displayTimeUnit;
  if (unit !== undefined && unit !== 'ms' && unit !== 'ns') problems.push(`displayTimeUnit '${String(unit)}' is not ms or ns`);
  const events = (doc as { traceEvents: unknown[] }).traceEvents;
  const slices = new Map<string, { ts: number; end: number; i: number }[]>();
  const flows = new Map<number, { s?: number; f?: number; track?: string; ts?: number }>();
  const flowPoints: { i: number; track: string; ts: number }[] = [];
  const bound = new Map<number, { out: number; in: number }>();
  events.forEach((raw, i) => {
    const bad = (what: string): void => {
      if (problems.length < 50) problems.push(`event ${i}: ${what}`);
    };
    if (typeof raw !== 'object' || raw === null) return bad('not an object');
    const e = raw as Record<string, unknown>;
    if (typeof e.name !== 'string') bad('no name');
    if (!Number.isInteger(e.pid)) bad('pid is not an integer');
    const ph = e.ph;
    if (ph !== 'M' && (typeof e.ts !== 'number' || !Number.isFinite(e.ts) || (e.ts as number) < 0)) bad('ts is not a non-negative number');
    if (ph !== 'M' && ph !== 'C' && !Number.isInteger(e.tid)) bad('tid is not an integer');
    const track = `${String(e.pid)}:${String(e.tid)}`;
    switch (ph) {
      case 'M':
        if (!['process_name', 'thread_name', 'process_sort_index', 'thread_sort_index'].includes(e.name as string)) bad(`unknown metadata '${String(e.name)}'`);
        if (typeof e.args !== 'object' || e.args === null) bad('metadata without args');
        break;
      case 'X': {
        if (typeof e.dur !== 'number' || (e.dur as number) < 0) bad('complete event without a non-negative dur');
        const list = slices.get(track) ?? [];
        list.push({ ts: e.ts as number, end: (e.ts as number) + (e.dur as number), i });
        slices.set(track, list);
        if (e.bind_id !== undefined) {
          const b = bound.get(e.bind_id as number) ?? { out: 0, in: 0 };
          if (e.flow_out === true) b.out++;
          if (e.flow_in === true) b.in++;
          bound.set(e.bind_id as number, b);
        }
        break;
      }
      case 'i':
        if (e.s !== undefined && !['g', 'p', 't'].includes(e.s as string)) bad(`instant scope '${String(e.s)}'`);
        break;
      case 'C':
        if (typeof e.args !== 'object' || e.args === null || !Object.values(e.args).every((v) => typeof v === 'number')) bad('counter args are not numbers');
        break;
      case 's': case 'f': {
        if (!Number.isInteger(e.id)) bad('flow event without an id');
        const f = flows.get(e.id as number) ?? {};
        if (f[ph] !== undefined) bad(`a second '${ph}' for flow ${String(e.id)}`);
        f[ph] = i;
        flows.set(e.id as number, f);
        flowPoints.push({ i, track, ts: e.ts as number });
        break;
      }
      default:
        bad(`phase '${String(ph)}' is not one this exporter writes`);
    }
  });
  for (const [track, list] of slices) {
    // Sorted by start (longer first at equal starts), each slice must end
    // inside every slice still open around it. Times are compared to the
    // nanosecond: ts + dur in microseconds is not exact in binary.
    const EPS = 1e-4;
    list.sort((a, b) => a.ts - b.ts || b.end - a.end);
    const open: { ts: number; end: number; i: number }[] = [];
    for (const s of list) {
      while (open.length > 0 && open[open.length - 1]!.end <= s.ts + EPS) open.pop();
      const parent = open[open.length - 1];
      if (parent && s.end > parent.end + EPS) problems.push(`track ${track}: slice at event ${s.i} overlaps slice at event ${parent.i} without nesting in it`);
      open.push(s);
    }
  }
  for (const [id, f] of flows) if (f.s === undefined || f.f === undefined) problems.push(`flow ${id}: ${f.s === undefined ? 'no start' : 'no finish'}`);
  for (const p of flowPoints) {
    const inside = (slices.get(p.track) ?? []).some((s) => s.ts <= p.ts && p.ts <= s.end);
    if (!inside) problems.push(`event ${p.i}: flow point on track ${p.track} at ${p.ts} is not inside a slice`);
  }
  for (const [id, b] of bound) if (b.out !== 1 || b.in !== 1) problems.push(`flow ${id}: ${b.out} flow_out and ${b.in} flow_in slices`);
  return problems;
}

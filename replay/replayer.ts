// Replays a recorded run: rebuilds the machine from the recorded
// configuration, feeds it the recorded inputs at the same window boundaries,
// and checks every event (and state hash) it produces against the recording.
// It stops exactly at a target (an exception's entry, an event, a tick), at
// the end of the recording, or at the first divergence. To get to a target
// fast it restores the nearest earlier snapshot and runs forward from there.
import type { Machine } from '../core/machine.js';
import { formatEvent, type TraceEvent } from '../core/trace/events.js';
import { restoreInto } from '../snapshots/index.js';
import { isTraceEvent, type InputRecord, type StateHashRecord, type SnapshotEntry, type TraceReader } from './traceFile.js';
import { compareStateHashes, machineStateHash } from './stateHash.js';
import { EC_SYSREG, lastSeqOf, resolveTarget, sysregKeyOfIss, type ReplayTarget } from './targets.js';

export type { ReplayTarget } from './targets.js';

export interface Divergence {
  /** Seq at which recording and replay first differ. */
  seq: number;
  recorded: string;
  replayed: string;
  /** Up to a few recorded events before the divergence (agreed by both). */
  context: string[];
}

export type ReplayStatus = 'reached' | 'end-of-recording' | 'diverged' | 'machine-stopped' | 'not-in-recording';

export interface ReplayResult {
  status: ReplayStatus;
  divergence?: Divergence;
  /** The snapshot the replay started from, if any. */
  startedFrom: SnapshotEntry | null;
  /** Events checked against the recording. */
  checked: number;
  stateHashesChecked: number;
  /** Recorded state hashes that cover state records of another shape (an older hvrr's): not compared. */
  stateHashesNotComparable?: number;
  /** Why the machine stopped, when it did on its own. */
  machineStop?: string;
  /** not-in-recording: how far the recording goes ("its last exception is 2,734"). */
  missing?: string;
  /** The event the target is (an exception's entry, the PSCI call, the UART
   *  byte completing the text...), when it is one. The machine stops at the
   *  end of the step that emitted it: events after it in the same step have
   *  been replayed too (docs/replay.md "Where a run stops"). */
  targetSeq?: number;
  /** pc and sysreg targets: the CPU that hit it. */
  hitCpu?: number;
}

export interface ReplayOptions {
  /** Start from the nearest earlier snapshot (default true). */
  useSnapshots?: boolean;
}

/** Where a replay finds snapshots: the trace itself, or a snapshot file recorded beside it. */
export type SnapshotSource = Pick<TraceReader, 'snapshots' | 'snapshotBefore' | 'snapshotBlob'>;

/** Why a snapshot file cannot serve a trace (it was recorded with another run), or null. */
export function snapshotFileProblem(trace: TraceReader, snaps: TraceReader): string | null {
  const a = trace.header;
  const b = snaps.header;
  const same = (x: unknown, y: unknown): boolean => JSON.stringify(x) === JSON.stringify(y);
  if (!same(a.machine, b.machine) || !same(a.images, b.images) || a.seed !== b.seed) return 'it was recorded with another machine, images or seed';
  if (snaps.eventCount !== 0) return 'it holds events: it is a trace, not a snapshot file';
  const last = trace.firstSeq + trace.eventCount - 1;
  const beyond = snaps.snapshots().find((s) => s.afterSeq > last);
  if (beyond) return `its snapshot after event ${beyond.afterSeq} lies beyond the trace's last event ${last}`;
  return null;
}

export class Replayer {
  private readonly snaps: SnapshotSource;
  constructor(private readonly reader: TraceReader, snapshots?: SnapshotSource) {
    this.snaps = snapshots ?? reader;
  }

  /**
   * Replay into `m` (a machine freshly built from the recorded configuration
   * and images) up to `target`.
   */
  run(m: Machine, target: ReplayTarget, opts: ReplayOptions = {}): ReplayResult {
    const reader = this.reader;
    const res = resolveTarget(reader, target);
    if (res.kind === 'missing') return { status: 'not-in-recording', startedFrom: null, checked: 0, stateHashesChecked: 0, missing: res.why };
    const stopSeq = res.kind === 'seq' ? res.seq : null;
    let startedFrom: SnapshotEntry | null = null;
    if (opts.useSnapshots !== false) {
      const snaps = this.snaps;
      // A snapshot is taken at a window boundary after that boundary's due
      // events: a tick target needs one strictly before it. Targets found while
      // replaying count their occurrences from power-on.
      const snap = stopSeq !== null ? snaps.snapshotBefore(stopSeq)
        : target.kind === 'tick' ? snaps.snapshots().filter((x) => x.tick < target.tick).pop()
          : undefined;
      // A machine just built from the recording is the state of a snapshot taken
      // at tick 0 before any event: that snapshot (a full one, the base of every
      // later increment) need not be decoded, only the increments above it.
      const fresh = m.nowTick === 0 && m.trace.count === 0 && m.instructions === 0;
      const root = fresh ? snaps.snapshots().find((x) => x.tick === 0 && x.afterSeq < 0 && x.baseId === null) : undefined;
      if (snap) {
        // Starting from the root itself needs no restore at all.
        if (snap.id !== root?.id) restoreInto(m, snaps.snapshotBlob(snap), (id) => this.snapshotById(id), root ? { baseInMachine: root.id } : {});
        startedFrom = snap;
      }
    }
    // The recorder snapshots at a boundary before injecting that boundary's
    // input, so every input at or after the restore tick is still to come.
    const startTick = m.nowTick;
    const inputs: InputRecord[] = reader.inputs().filter((r) => r.tick >= startTick);
    const hashes = new Map<number, StateHashRecord>();
    for (const h of reader.stateHashes()) if (h.seq >= m.trace.count) hashes.set(h.seq, h);

    const recorded = this.eventsFrom(m.trace.count);
    const context: string[] = [];
    let checked = 0;
    let hashesChecked = 0;
    let hashesNotComparable = 0;
    let divergence: Divergence | undefined;
    // A machine just built has emitted its build's events (the EL3 firmware's
    // cold boot entering the SPMC): they are checked too.
    if (!startedFrom && m.trace.count > 0 && m.instructions === 0) {
      const early = m.trace.last(m.trace.count);
      const fromRecording = this.eventsFrom(0);
      for (const e of early) {
        const rec = fromRecording.next();
        const recordedLine = rec.done ? '(end of recording)' : formatEvent(rec.value);
        const replayedLine = formatEvent(e);
        if (recordedLine !== replayedLine) {
          divergence = { seq: e.seq, recorded: recordedLine, replayed: replayedLine, context: context.slice() };
          break;
        }
        checked++;
        context.push(recordedLine);
      }
    }
    let reached = stopSeq !== null && stopSeq < m.trace.count;
    let endOfRecording = false;
    let hits = 0;
    let hitCpu: number | undefined;
    const lastRecordedSeq = lastSeqOf(reader);
    const count = 'count' in target ? target.count : 1;
    const hit = (cpu: number): void => {
      if (++hits === count && !reached) {
        reached = true;
        hitCpu = cpu;
        m.requestPause();
      }
    };

    let next = 0;
    m.inputHook = (mm) => {
      while (next < inputs.length && inputs[next]!.tick === mm.nowTick) {
        const r = inputs[next++]!;
        mm.uart.pushRx(r.byte, mm.nowTick);
      }
    };
    // Every event is checked, also those after the target in the step that
    // emitted it (the machine stops at the end of that step).
    const unsubscribe = m.trace.subscribe((e: TraceEvent) => {
      if (divergence || endOfRecording) return;
      if (e.seq > lastRecordedSeq) {
        endOfRecording = true;
        m.requestPause();
        return;
      }
      const rec = recorded.next();
      const replayedLine = formatEvent(e);
      const recordedLine = rec.done ? '(end of recording)' : formatEvent(rec.value);
      if (replayedLine !== recordedLine) {
        divergence = { seq: e.seq, recorded: recordedLine, replayed: replayedLine, context: context.slice() };
        m.requestPause();
        return;
      }
      checked++;
      context.push(recordedLine);
      if (context.length > 8) context.shift();
      const h = hashes.get(e.seq);
      if (h) {
        const mine = machineStateHash(m);
        const cmp = compareStateHashes(h.stateHash, mine);
        if (cmp === 'different') {
          divergence = { seq: e.seq, recorded: `state hash ${h.stateHash}`, replayed: `state hash ${mine}`, context: context.slice() };
          m.requestPause();
          return;
        }
        if (cmp === 'same') hashesChecked++;
        else hashesNotComparable++;
      }
      if (stopSeq !== null) {
        if (e.seq >= stopSeq && !reached) {
          reached = true;
          m.requestPause();
        }
      } else if (e.kind === 'exception' && e.type === 'sync') {
        // Dynamic targets an exception entry satisfies: a trapped MRS/MSR, an HVC/SMC with w0 = fid.
        if (target.kind === 'sysreg' && e.ec === EC_SYSREG && sysregKeyOfIss(Number(BigInt(e.esr) & 0x1ff_ffffn)) === target.key) hit(e.cpu);
        else if ((target.kind === 'hvc' || target.kind === 'smc') && e.ec === (target.kind === 'hvc' ? 0x16 : 0x17) && Number(m.core.getX(e.cpu, 0) & 0xffff_ffffn) === target.fid) hit(e.cpu);
      }
    });
    if (target.kind === 'pc') {
      const all = (1 << m.numCpus) - 1;
      m.core.setBreakpoints([{ va: target.va, cpuMask: target.cpu === undefined ? all : 1 << target.cpu, elMask: target.el === undefined ? 0xf : 1 << target.el }]);
    } else if (target.kind === 'sysreg') {
      m.core.setSysregWatches([target.key]);
    }
    let machineStop: string | undefined;
    try {
      if (!reached) {
        // Each recorded input entered at a window boundary. A recording run that
        // stopped an idle jump early (an interactive session paced to the wall
        // clock) had a boundary there that this run would jump over, so every
        // run stops at the next input's tick; the input hook feeds it there.
        const targetTick = target.kind === 'tick' ? target.tick : undefined;
        let ahead = 0; // first input after the current tick (ticks only grow: one pass over the inputs)
        for (;;) {
          while (ahead < inputs.length && inputs[ahead]!.tick <= m.nowTick) ahead++;
          const after = inputs[ahead]?.tick;
          const r = m.run({ ...(after === undefined ? {} : { untilTick: after }), ...(targetTick === undefined ? {} : { stopAtTick: targetTick }) });
          if (r.kind === 'tick-limit') {
            if (targetTick !== undefined && m.clockTick >= targetTick) {
              reached = true;
              break;
            }
            continue; // at an input's tick: the next run feeds it
          }
          if (r.kind === 'breakpoint' || r.kind === 'watch') {
            if (divergence || endOfRecording) break;
            hit(r.cpu);
            if (reached) break;
            continue;
          }
          if (r.kind !== 'paused') machineStop = r.kind === 'halt' ? `halt: ${r.message}` : r.kind;
          break;
        }
      }
    } finally {
      unsubscribe();
      m.inputHook = undefined;
      if (target.kind === 'pc') m.core.setBreakpoints([]);
      if (target.kind === 'sysreg') m.core.setSysregWatches([]);
    }
    const base = {
      startedFrom, checked, stateHashesChecked: hashesChecked,
      ...(hashesNotComparable > 0 ? { stateHashesNotComparable: hashesNotComparable } : {}),
      ...(stopSeq !== null && target.kind !== 'end' ? { targetSeq: stopSeq } : {}),
      ...(hitCpu !== undefined ? { hitCpu } : {}),
    };
    if (divergence) return { status: 'diverged', divergence, ...base };
    if (reached) return { status: target.kind === 'end' ? 'end-of-recording' : 'reached', ...base };
    if (m.trace.count - 1 < lastRecordedSeq) {
      // The machine stopped before producing every recorded event: a divergence.
      const rec = recorded.next();
      return {
        status: 'diverged',
        divergence: { seq: m.trace.count, recorded: rec.done ? '(end of recording)' : formatEvent(rec.value), replayed: `(machine stopped: ${machineStop ?? 'unknown'})`, context },
        ...base,
      };
    }
    // Every recorded event was replayed and a target found while replaying was not met.
    if (target.kind !== 'end') {
      return { status: 'not-in-recording', ...base, missing: `replayed to the end of the recording (${lastRecordedSeq + 1 - reader.firstSeq} events) without meeting it${hits > 0 ? ` (met ${hits} time${hits === 1 ? '' : 's'})` : ''}` };
    }
    if (endOfRecording) return { status: 'end-of-recording', ...base };
    return { status: 'machine-stopped', ...base, ...(machineStop ? { machineStop } : {}) };
  }

  private snapshotById(id: string): Uint8Array {
    const s = this.snaps.snapshots().find((x) => x.id === id);
    if (!s) throw new Error(`trace lacks snapshot ${id.slice(0, 12)}… that another snapshot is based on`);
    return this.snaps.snapshotBlob(s);
  }

  private *eventsFrom(seq: number): Generator<TraceEvent> {
    for (const r of this.reader.events(seq)) if (isTraceEvent(r)) yield r;
  }
}

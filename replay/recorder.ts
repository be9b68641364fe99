// Records a run: every trace event, every external input at the point it
// entered the machine, a state hash every K events, and snapshots every N
// ticks (a full one first, then increments of the pages written since), into
// the trace file or, with a separate snapshot writer, into a snapshot file
// beside it (a seek index: the trace stays small and replays without it). External input enters only at window boundaries
// (Machine.inputHook), straight into the UART's receive FIFO, so the replayer
// can inject it at exactly the same point.
import type { Machine } from '../core/machine.js';
import type { TraceEvent } from '../core/trace/events.js';
import { saveFull, saveIncremental } from '../snapshots/index.js';
import type { TraceWriter } from './traceFile.js';
import { machineStateHash } from './stateHash.js';

export interface RecorderOptions {
  /** Events between two state hashes (0: none). */
  stateHashEvery?: number;
  /** Virtual ticks between two snapshots (0: none). A snapshot also waits until the
   *  CPUs have executed that many instructions since the last one: time an idle
   *  machine skips costs nothing to replay, so it takes no snapshots. */
  snapshotEveryTicks?: number;
  /** Where the snapshots go instead of the trace (a snapshot file; same header as the trace). */
  snapshotWriter?: TraceWriter;
}

export interface RecorderStats {
  events: number;
  inputs: number;
  stateHashes: number;
  snapshots: number;
  snapshotBytes: number;
}

export class Recorder {
  readonly stats: RecorderStats = { events: 0, inputs: 0, stateHashes: 0, snapshots: 0, snapshotBytes: 0 };
  private readonly unsubscribe: () => void;
  private readonly pending: number[] = [];
  private nextSnapshotTick: number;
  private lastSnapshotId: string | null = null;
  private lastSnapshotInstructions = -Infinity;
  private readonly hashEvery: number;
  private readonly snapshotEvery: number;
  private readonly snapshotWriter: TraceWriter;

  constructor(private readonly m: Machine, private readonly writer: TraceWriter, opts: RecorderOptions = {}) {
    this.snapshotWriter = opts.snapshotWriter ?? writer;
    this.hashEvery = opts.stateHashEvery ?? 10_000;
    this.snapshotEvery = opts.snapshotEveryTicks ?? 0;
    this.nextSnapshotTick = this.snapshotEvery > 0 ? m.nowTick : Infinity;
    // Events the machine emitted while it was built (the EL3 firmware's cold
    // boot entering the SPMC) are the recording's first.
    if (m.trace.count > 0) {
      const early = m.trace.last(m.trace.count);
      if (early.length !== m.trace.count || early[0]!.seq !== 0) throw new Error(`the machine emitted ${m.trace.count} events before recording started, more than its ring keeps`);
      for (const e of early) this.onEvent(e);
    }
    this.unsubscribe = m.trace.subscribe((e) => this.onEvent(e));
    m.inputHook = () => this.atBoundary();
  }

  /** Queue console input; it enters the machine at the next window boundary. */
  queueInput(bytes: Iterable<number>): void {
    for (const b of bytes) this.pending.push(b & 0xff);
  }

  get pendingInput(): number {
    return this.pending.length;
  }

  private onEvent(e: TraceEvent): void {
    this.writer.addEvent(e);
    this.stats.events++;
    if (this.hashEvery > 0 && (e.seq + 1) % this.hashEvery === 0) {
      this.writer.addStateHash({ stateHash: machineStateHash(this.m), seq: e.seq, tick: e.tick });
      this.stats.stateHashes++;
    }
  }

  private atBoundary(): void {
    const m = this.m;
    if (m.nowTick >= this.nextSnapshotTick && m.instructions - this.lastSnapshotInstructions >= this.snapshotEvery) {
      this.snapshot();
      this.nextSnapshotTick = m.nowTick + this.snapshotEvery;
      this.lastSnapshotInstructions = m.instructions;
    }
    if (this.pending.length === 0) return;
    const room = m.uart.rxSpace();
    const n = Math.min(room, this.pending.length);
    for (const byte of this.pending.splice(0, n)) {
      this.writer.addInput({ input: 'uart-rx', tick: m.nowTick, byte });
      m.uart.pushRx(byte, m.nowTick);
    }
    this.stats.inputs += n;
  }

  private snapshot(): void {
    const m = this.m;
    const r = this.lastSnapshotId === null ? saveFull(m) : saveIncremental(m, { id: this.lastSnapshotId });
    this.snapshotWriter.addSnapshot(r.bytes, {
      id: r.meta.id,
      baseId: this.lastSnapshotId,
      afterSeq: m.trace.count - 1,
      tick: m.nowTick,
      instructions: m.instructions,
      exceptions: m.getMachineState().exceptionCount,
    });
    this.lastSnapshotId = r.meta.id;
    this.stats.snapshots++;
    this.stats.snapshotBytes += r.bytes.length;
  }

  /** Stop recording: detach from the machine and close the file (index + footer). */
  finish(): void {
    this.unsubscribe();
    this.m.inputHook = undefined;
    this.writer.close();
    if (this.snapshotWriter !== this.writer) this.snapshotWriter.close();
  }
}

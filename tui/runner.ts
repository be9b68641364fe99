// Running the TUI's long computations off the frame path. `JobHost` holds a
// trace and runs jobs.ts' generators chunk by chunk; `registersAt` replays.
// The app talks to a `Runner`: `WorkerRunner` does the work in worker
// threads (one for scans, one for replays, so neither waits for the other),
// `InlineRunner` in this thread between frames (tests, or where the compiled
// worker is missing).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { TraceReader } from '../replay/traceFile.js';
import type { Filter } from './filter.js';
import { filterJob, indexJob, searchJob, type IndexResult, type JobReader, type Progress } from './jobs.js';
import { registersAt, type RegistersResult } from './registers.js';

export type JobRequest =
  | { type: 'index' }
  | { type: 'filter'; filter: Filter }
  /** Search among the last completed filter's matches when `filtered`. */
  | { type: 'search'; query: string; fromSeq: number; dir: 1 | -1; filtered: boolean }
  | { type: 'registers'; seq: number };

export type JobMessage =
  | { type: 'progress'; progress: Progress }
  | { type: 'done'; result: unknown }
  | { type: 'error'; message: string };

export type Listener = (m: JobMessage) => void;

export interface Runner {
  /** Starts a job; the returned function cancels it (no more messages). */
  start(req: JobRequest, on: Listener): () => void;
  close(): void;
}

export type IndexDone = IndexResult;
export type FilterDone = number;
export type SearchDone = number | null;
export type RegistersDone = RegistersResult;

/** Runs jobs over one trace; the same code serves both runners. */
export class JobHost {
  /** The last completed filter's matches (for filtered searches). */
  private matches: number[] | null = null;

  constructor(private readonly reader: JobReader, private readonly tracePath: string) {}

  /** A generator for `req`, or null for one that runs in one go. */
  generator(req: JobRequest): Generator<Progress, unknown> | null {
    switch (req.type) {
      case 'index': return indexJob(this.reader);
      case 'filter': return this.filtering(req.filter);
      case 'search': return searchJob(this.reader, req.query, req.fromSeq, req.dir, req.filtered && this.matches ? this.matches : undefined);
      case 'registers': return null;
    }
  }

  private *filtering(f: Filter): Generator<Progress, number> {
    this.matches = null;
    const found: number[] = [];
    const g = filterJob(this.reader, f);
    for (;;) {
      const r = g.next();
      if (r.done) {
        this.matches = found;
        return r.value;
      }
      for (const s of r.value.found ?? []) found.push(s);
      yield r.value;
    }
  }

  once(req: JobRequest): unknown {
    if (req.type === 'registers') return registersAt(this.tracePath, req.seq);
    throw new Error(`job ${req.type} runs in steps`);
  }
}

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Drives a job to its end, a chunk per event-loop turn; `live()` false stops it. */
export async function drive(host: JobHost, req: JobRequest, on: Listener, live: () => boolean): Promise<void> {
  try {
    const g = host.generator(req);
    if (!g) {
      await nextTurn();
      if (!live()) return;
      const result = host.once(req);
      if (live()) on({ type: 'done', result });
      return;
    }
    for (;;) {
      await nextTurn();
      if (!live()) return;
      const r = g.next();
      if (!live()) return;
      if (r.done) {
        on({ type: 'done', result: r.value });
        return;
      }
      on({ type: 'progress', progress: r.value });
    }
  } catch (e) {
    if (live()) on({ type: 'error', message: (e as Error).message });
  }
}

/** Jobs in this thread. */
export class InlineRunner implements Runner {
  private readonly host: JobHost;
  constructor(reader: JobReader, tracePath: string) {
    this.host = new JobHost(reader, tracePath);
  }
  start(req: JobRequest, on: Listener): () => void {
    let live = true;
    void drive(this.host, req, on, () => live);
    return () => {
      live = false;
    };
  }
  close(): void {}
}

/** The compiled worker beside this file (dist/tui/worker.js), or null when absent. */
export function workerScript(): string | null {
  const p = fileURLToPath(new URL('./worker.js', import.meta.url));
  return existsSync(p) ? p : null;
}

/** One worker thread: jobs go to it one after another; a new job for a busy
 *  replay worker replaces the old one (the worker is restarted). */
class WorkerSlot {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly listeners = new Map<number, Listener>();
  private busy = 0;

  constructor(private readonly script: string, private readonly tracePath: string, private readonly restartWhenBusy: boolean) {}

  private spawn(): Worker {
    const w = new Worker(this.script, { workerData: { tracePath: this.tracePath } });
    w.unref();
    w.on('message', (msg: { id: number } & JobMessage) => {
      const l = this.listeners.get(msg.id);
      if (msg.type !== 'progress') {
        this.listeners.delete(msg.id);
        this.busy = Math.max(0, this.busy - 1);
      }
      l?.(msg);
    });
    w.on('error', (e) => {
      for (const l of this.listeners.values()) l({ type: 'error', message: e.message });
      this.listeners.clear();
      this.busy = 0;
      this.worker = null;
    });
    return w;
  }

  start(req: JobRequest, on: Listener): () => void {
    if (this.restartWhenBusy && this.busy > 0 && this.worker) {
      void this.worker.terminate();
      this.worker = null;
      this.listeners.clear();
      this.busy = 0;
    }
    this.worker ??= this.spawn();
    const id = this.nextId++;
    this.listeners.set(id, on);
    this.busy++;
    this.worker.postMessage({ id, req });
    return () => {
      if (this.listeners.delete(id)) this.worker?.postMessage({ cancel: id });
    };
  }

  close(): void {
    void this.worker?.terminate();
    this.worker = null;
  }
}

/** Scans in one worker, replays in another. */
export class WorkerRunner implements Runner {
  private readonly scans: WorkerSlot;
  private readonly replays: WorkerSlot;
  constructor(script: string, tracePath: string) {
    this.scans = new WorkerSlot(script, tracePath, false);
    this.replays = new WorkerSlot(script, tracePath, true);
  }
  start(req: JobRequest, on: Listener): () => void {
    return (req.type === 'registers' ? this.replays : this.scans).start(req, on);
  }
  close(): void {
    this.scans.close();
    this.replays.close();
  }
}

/** The runner the app uses: workers when the compiled worker exists. */
export function makeRunner(reader: TraceReader, tracePath: string): Runner {
  const script = workerScript();
  return script ? new WorkerRunner(script, tracePath) : new InlineRunner(reader, tracePath);
}

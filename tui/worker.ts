// The TUI's worker thread (see runner.ts): opens the trace itself and runs
// jobs, one chunk per turn of its event loop so cancellations get in between.
import { parentPort, workerData } from 'node:worker_threads';
import { TraceReader } from '../replay/traceFile.js';
import { drive, JobHost, type JobMessage, type JobRequest } from './runner.js';

const { tracePath } = workerData as { tracePath: string };
const reader = TraceReader.open(tracePath);
const host = new JobHost(reader, tracePath);
const cancelled = new Set<number>();
// Jobs run one after another: a filtered search needs the filter before it.
let queue: Promise<void> = Promise.resolve();

parentPort!.on('message', (msg: { id: number; req: JobRequest } | { cancel: number }) => {
  if ('cancel' in msg) {
    cancelled.add(msg.cancel);
    return;
  }
  const { id, req } = msg;
  queue = queue.then(() => drive(host, req, (m: JobMessage) => parentPort!.postMessage({ id, ...m }), () => !cancelled.has(id)));
});

// `npm run bench:tui`: the trace browser on a 1-million-event trace (a
// synthetic Linux-boot-like mix, replay/syntheticEvents.ts; HVRR_BENCH_EVENTS
// changes the count). Measures, in this process, the open time (reader,
// model, first frame drawn) and the frame time of scrolling keys (key to
// frame written, Ink unthrottled), and the background index and a filter in
// the worker; then, when tmux is installed, `hvrr tui` end to end in an
// 80x24 terminal: process start to the first screen. Printed, never asserted.
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { realisticEvents } from '../replay/syntheticEvents.js';
import { TraceReader, TraceWriter } from '../replay/traceFile.js';
import { TraceModel } from '../tui/model.js';
import { makeRunner, type JobMessage } from '../tui/runner.js';

// As `hvrr tui` runs them: React's production build.
process.env.NODE_ENV ??= 'production';
const { createElement } = await import('react');
const { render } = await import('ink');
const { App } = await import('../tui/app.js');

const N = Number(process.env.HVRR_BENCH_EVENTS ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'hvrr-bench-tui-'));
const file = join(dir, 'big.hvrr');

class FakeStdout extends EventEmitter {
  columns = 80;
  rows = 24;
  isTTY = true;
  writes = 0;
  last = '';
  write = (s: string): boolean => {
    this.writes++;
    this.last = s;
    return true;
  };
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  send(s: string): void {
    this.data = s;
    this.emit('readable');
  }
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

const stats = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${q(0.5).toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms, max ${s[s.length - 1]!.toFixed(1)} ms (${s.length} frames)`;
};

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  let t = performance.now();
  const w = TraceWriter.create(file, { hvrrVersion: 'bench', machine: { numCpus: 4 }, images: [], seed: '1', stateHashInterval: 0, snapshotInterval: 0 });
  for (const e of realisticEvents(N)) w.addEvent(e);
  w.close();
  console.log(`bench-tui: wrote ${N.toLocaleString('en-US')} synthetic events (${(statSync(file).size / 1e6).toFixed(1)} MB) in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  // Open: reader + model + the first frame.
  const stdout = new FakeStdout();
  const stdin = new FakeStdin();
  t = performance.now();
  const reader = TraceReader.open(file);
  const model = new TraceModel(reader, file);
  const runner = makeRunner(reader, file);
  const app = render(createElement(App, { model, runner, color: true, size: { columns: 80, rows: 24 } }), {
    stdout: stdout as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream, debug: true, exitOnCtrlC: false, patchConsole: false,
  });
  const openMs = performance.now() - t;
  if (!stdout.last.includes('#0 ')) throw new Error('bench-tui: the first frame does not show event #0');
  await wait(100); // Ink listens to stdin from an effect after the first frame
  console.log(`open (TraceReader.open, model, first 80x24 frame): ${openMs.toFixed(0)} ms (load average ${loadavg()[0]!.toFixed(1)})`);

  const frame = async (key: string): Promise<number> => {
    const before = stdout.writes;
    const t0 = performance.now();
    stdin.send(key);
    while (stdout.writes === before) {
      if (performance.now() - t0 > 10_000) throw new Error(`bench-tui: key ${JSON.stringify(key)} drew no frame`);
      await new Promise((r) => setImmediate(r));
    }
    return performance.now() - t0;
  };
  const lines = []; // row by row
  for (let i = 0; i < 200; i++) lines.push(await frame('j'));
  const pages = [];
  for (let i = 0; i < 200; i++) pages.push(await frame(' '));
  const ups = [];
  for (let i = 0; i < 100; i++) ups.push(await frame('k'));
  console.log(`frame, one row down (j): ${stats(lines)}`);
  console.log(`frame, one page down (space): ${stats(pages)}`);
  console.log(`frame, one row up (k): ${stats(ups)}`);
  // Jumps land in chunks not read yet: the first frame there decodes a chunk.
  const jumps = [];
  for (const target of [N - 1, Math.floor(N / 2), Math.floor(N / 4), Math.floor((3 * N) / 4)]) {
    await frame('g');
    for (const ch of String(target)) await frame(ch);
    jumps.push(await frame('\r'));
  }
  console.log(`frame, go to an event in a chunk not read yet (g N Enter): ${stats(jumps)}`);
  const jumped = [];
  for (let i = 0; i < 100; i++) jumped.push(await frame('j'));
  console.log(`frame, one row down after the jumps: ${stats(jumped)}`);

  // The worker: the background index, then a filter.
  const job = (req: Parameters<typeof runner.start>[0]): Promise<number> =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      runner.start(req, (m: JobMessage) => {
        if (m.type === 'done') resolve(performance.now() - t0);
        else if (m.type === 'error') reject(new Error(m.message));
      });
    });
  console.log(`worker: index (console lines, lanes, FF-A) of ${N.toLocaleString('en-US')} events: ${((await job({ type: 'index' })) / 1000).toFixed(2)} s`);
  console.log(`worker: filter kind=exception: ${((await job({ type: 'filter', filter: { text: 'kind=exception', kinds: ['exception'] } })) / 1000).toFixed(2)} s`);
  console.log(`worker: filter vm=1 (needs every sched event): ${((await job({ type: 'filter', filter: { text: 'vm=1', vms: [1] } })) / 1000).toFixed(2)} s`);
  console.log(`worker: search 'system_off' (not there: the whole trace): ${((await job({ type: 'search', query: 'no-such-text', fromSeq: 0, dir: 1, filtered: false })) / 1000).toFixed(2)} s`);
  app.unmount();
  runner.close();
  reader.close();

  // End to end: `hvrr tui` in tmux, process start to the first screen.
  if (spawnSync('tmux', ['-V']).status === 0) {
    const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'hvrr.js');
    const times: number[] = [];
    const cpu: number[] = [];
    // CPU time of the hvrr process's main thread when the first screen shows
    // (the workers start after it): on a loaded machine wall time is mostly
    // waiting for a core, and startup is one thread's work.
    const cpuSeconds = (session: string): number => {
      const panePid = Number(spawnSync('tmux', ['-L', session, 'list-panes', '-t', session, '-F', '#{pane_pid}'], { encoding: 'utf8' }).stdout.trim());
      const pids = [panePid, ...readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((p) => {
        try {
          return Number(readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) === panePid;
        } catch {
          return false;
        }
      })];
      let ticks = 0;
      for (const p of pids) {
        try {
          const f = readFileSync(`/proc/${p}/task/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
          if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('hvrr.js')) ticks += Number(f[11]) + Number(f[12]);
        } catch {
          // gone
        }
      }
      return ticks / 100; // USER_HZ
    };
    for (let i = 0; i < 3; i++) {
      const session = `hvrr-bench-tui-${process.pid}-${i}`;
      const t0 = performance.now();
      spawnSync('tmux', ['-L', session, 'new-session', '-d', '-s', session, '-x', '80', '-y', '24', `${process.execPath} ${bin} tui ${file}`]);
      let shown = false;
      while (performance.now() - t0 < 30_000) {
        const cap = spawnSync('tmux', ['-L', session, 'capture-pane', '-t', session, '-p'], { encoding: 'utf8' }).stdout;
        if (/^> +#0 /m.test(cap)) {
          shown = true;
          cpu.push(cpuSeconds(session));
          break;
        }
        await wait(10);
      }
      times.push(performance.now() - t0);
      spawnSync('tmux', ['-L', session, 'kill-server']);
      if (!shown) throw new Error('bench-tui: hvrr tui showed no first screen in 30 s');
    }
    console.log(`hvrr tui end to end (node start, open, first screen in tmux 80x24): wall ${times.map((x) => `${(x / 1000).toFixed(2)} s`).join(', ')}; main thread CPU ${cpu.map((x) => `${x.toFixed(2)} s`).join(', ')}; load average ${loadavg()[0]!.toFixed(1)}`);
  } else {
    console.log('hvrr tui end to end: skipped (no tmux)');
  }
  rmSync(dir, { recursive: true, force: true });
  await wait(50);
  process.exit(0);
}

void main();

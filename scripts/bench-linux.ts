// `npm run bench:linux`: boots the same Linux kernel and initramfs in hvrr
// (in-process, built exactly as `hvrr run` builds it: a VM under the
// hypervisor by default) and, when installed, in QEMU TCG (`-cpu cortex-a57`),
// in interleaved rounds (each round: hvrr under every engine asked for, then
// QEMU), and prints instructions to the guest's `HVRR-LINUX-READY` marker,
// wall time, CPU time, MIPS, the load average, and the hvrr/QEMU ratios twice:
// the first round against QEMU's first (the first engine's first boot is the
// one a user gets from `hvrr run boot-linux`: a fresh process, nothing
// compiled or translated yet; every QEMU boot is a fresh process), and the
// medians of the rounds (3 by default). The engines default to the translator
// ('jit', the default engine) and the one-instruction-at-a-time interpreter
// ('interp') beside it.
//
//   npm run bench:linux [-- --runs N] [--smp N] [--bare] [--no-qemu] [--max-insns 3G]
//                       [--engine jit|blocks|interp]... [--kernel Image] [--initrd initrd.cpio.gz]
//                       [--disk disk.img | --no-disk]
//
// Artifacts come from scripts/linux-artifacts.sh's cache
// (${HVRR_LINUX_CACHE:-${XDG_CACHE_HOME:-~/.cache}/hvrr/linux}). Wall time is
// fine here: this is a benchmark, outside the simulation. Figures are printed,
// never asserted. Progress goes to stderr, the table to stdout.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { LINUX_APPEND, LINUX_MARKER, linuxCacheDir, MarkerWatch } from '../cli/commands/linux.js';
import { CPU_ENGINES, type CpuEngine } from '../core/cpu/cpu.js';

export { MarkerWatch };
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

export const MARKER = LINUX_MARKER;
/** virtio_blk's probe line names the disk: tells whether the guest saw the disk (and so loaded the ext4 chain). */
export const DISK_SEEN = '[vda]';
/** boot-linux's command line, so both emulators boot exactly what the scenario boots. */
export const APPEND = LINUX_APPEND;
const MEM_MIB = 512;
const SLICE = 2_000_000;
const QEMU_TIMEOUT_MS = 600_000;

export interface BenchArgs {
  runs: number;
  smp: number;
  bare: boolean;
  qemu: boolean;
  maxInsns: number;
  kernel?: string;
  initrd?: string;
  disk?: string;
  /** Boot both without the virtio-blk disk (like for like while one side has none). */
  noDisk: boolean;
  /** hvrr CPU engines to run in each round. */
  engines: CpuEngine[];
  help: boolean;
}

export class ArgError extends Error {}

/** Rounds by default: the first (cold) and a median of warm-ish ones. */
export const DEFAULT_RUNS = 3;

/** `3G` -> 3e9 (K/M/G are powers of 1000, as in `hvrr run --max-insns`). */
export function parseCount(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMG]?)$/i.exec(s);
  if (!m) throw new ArgError(`bad count '${s}' (e.g. 3G, 500M, 123456)`);
  return Math.round(Number(m[1]) * ({ '': 1, K: 1e3, M: 1e6, G: 1e9 } as Record<string, number>)[m[2]!.toUpperCase()]!);
}

function positiveInt(s: string, name: string, max: number): number {
  if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > max) throw new ArgError(`--${name}: '${s}' is not a whole number in 1..${max}`);
  return Number(s);
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const a: BenchArgs = { runs: DEFAULT_RUNS, smp: 1, bare: false, qemu: true, maxInsns: 3e9, noDisk: false, engines: [], help: false };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.indexOf('=');
    const name = raw.startsWith('--') ? raw.slice(2, eq >= 0 ? eq : undefined) : raw;
    const value = (): string => {
      if (eq >= 0) return raw.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new ArgError(`--${name} needs a value`);
      return v;
    };
    switch (name) {
      case 'runs': a.runs = positiveInt(value(), name, 100); break;
      case 'smp': a.smp = positiveInt(value(), name, 8); break;
      case 'max-insns': a.maxInsns = parseCount(value()); break;
      case 'kernel': a.kernel = value(); break;
      case 'initrd': a.initrd = value(); break;
      case 'disk': a.disk = value(); break;
      case 'bare': a.bare = true; break;
      case 'no-qemu': a.qemu = false; break;
      case 'no-disk': a.noDisk = true; break;
      case 'engine': {
        const e = value();
        if (!(CPU_ENGINES as readonly string[]).includes(e)) throw new ArgError(`--engine: '${e}' is not one of ${CPU_ENGINES.join(', ')}`);
        if (!a.engines.includes(e as CpuEngine)) a.engines.push(e as CpuEngine);
        break;
      }
      case 'help': case '-h': a.help = true; break;
      default: throw new ArgError(`unknown argument '${raw}'`);
    }
  }
  if (a.noDisk && a.disk !== undefined) throw new ArgError('give --disk or --no-disk, not both');
  if (a.engines.length === 0) a.engines = ['jit', 'interp'];
  return a;
}


export interface Row {
  emulator: string;
  instructions: number | null;
  wall: number | null;
  /** CPU time (user + system) of the emulator, when measured. */
  cpu?: number | null;
  note?: string;
}

const fmtInt = (n: number): string => n.toLocaleString('en-US');

/** The result table, columns aligned; ratio = row wall / best QEMU wall. */
export function formatTable(rows: readonly Row[], qemuWall: number | null): string {
  const head = ['emulator', 'instructions to marker', 'wall s', 'CPU s', 'MIPS', 'ratio (wall / QEMU median)'];
  const body = rows.map((r) => [
    r.emulator,
    r.instructions === null ? 'n/a' : fmtInt(r.instructions),
    r.wall === null ? 'failed' : r.wall.toFixed(2),
    r.cpu === undefined || r.cpu === null ? 'n/a' : r.cpu.toFixed(2),
    r.instructions === null || r.wall === null ? 'n/a' : (r.instructions / r.wall / 1e6).toFixed(1),
    r.wall === null || qemuWall === null ? 'n/a' : `${(r.wall / qemuWall).toFixed(2)}x`,
  ].concat(r.note ? [r.note] : []));
  const cols = head.length;
  const width = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c]!.length)));
  const line = (cells: string[]): string =>
    cells.map((s, c) => (c >= cols ? s : c === 0 ? s.padEnd(width[c]!) : s.padStart(width[c]!))).join('  ').trimEnd();
  return [line(head), line(width.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

// ---------------------------------------------------------------- hvrr side

interface HvrrResult { instructions: number; virtualSeconds: number; wall: number; cpu: number; reached: boolean; end: string; vda: boolean; setup: number; jit: string }

async function runHvrr(files: { kernel: string; initrd: string; disk?: string }, a: BenchArgs, bare: boolean, engine: CpuEngine): Promise<HvrrResult> {
  const { prepareMachine } = await import('../cli/commands/run.js');
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const m = prepareMachine({
    kernel: files.kernel, initrd: files.initrd, append: APPEND,
    smp: a.smp, mem: MEM_MIB << 20, seed: 0n, digest: false, bare,
    ...(bare || files.disk === undefined ? {} : { disk: files.disk }),
  });
  m.core.setEngine(engine);
  // Host time spent building translations (module creation and V8's
  // synchronous compile; its background tier-up is in the CPU time only).
  let translateMs = 0;
  const compile = m.core.jit.compile.bind(m.core.jit);
  m.core.jit.compile = (block: number): number => {
    const s = performance.now();
    const r = compile(block);
    translateMs += performance.now() - s;
    return r;
  };
  const setup = (performance.now() - t0) / 1000;
  const watch = new MarkerWatch(MARKER);
  const vda = new MarkerWatch(DISK_SEEN);
  let at: { instructions: number; tick: number; wall: number; cpu: NodeJS.CpuUsage } | null = null;
  let panicked = false;
  let tail = '';
  m.onConsole = (b) => {
    const ch = String.fromCharCode(b);
    tail = (tail + ch).slice(-200);
    if (/Kernel panic/.test(tail)) panicked = true;
    vda.pushText(ch);
    if (watch.pushText(ch)) {
      at = { instructions: m.instructions, tick: m.nowTick, wall: performance.now(), cpu: process.cpuUsage(c0) };
      m.requestPause();
    }
  };
  let diags = 0;
  m.onDiagnostic = (msg) => {
    if (++diags <= 3) process.stderr.write(`  diag: ${msg}\n`);
  };
  let lastProgress = t0;
  let end = '';
  for (;;) {
    const r = m.run(Math.min(a.maxInsns, m.instructions + SLICE));
    const now = performance.now();
    if (now - lastProgress >= 1000) {
      lastProgress = now;
      process.stderr.write(`  ${fmtInt(m.instructions)} insns, ${(m.nowTick / 1e9).toFixed(3)} s virtual, ${((now - t0) / 1000).toFixed(1)} s wall\n`);
    }
    if (at !== null) { end = 'marker'; break; }
    if (panicked) { end = 'kernel panic'; break; }
    if (r.kind === 'instruction-limit' && m.instructions < a.maxInsns) continue;
    end = r.kind === 'instruction-limit' ? `--max-insns ${fmtInt(a.maxInsns)} reached` : r.kind === 'halt' ? `halt (${r.message})` : r.kind;
    break;
  }
  // The marker's own figures: requestPause stops within the current batch.
  const fin = at ?? { instructions: m.instructions, tick: m.nowTick, wall: performance.now(), cpu: process.cpuUsage(c0) };
  const j = m.core.jit.stats;
  const jit = engine === 'jit'
    ? `${j.translations} pages translated (${j.instructions} instructions, ${(j.wasmBytes / 1024).toFixed(0)} KiB wasm, ${translateMs.toFixed(0)} ms wall building them)`
    : '';
  return {
    instructions: fin.instructions, virtualSeconds: fin.tick / 1e9, wall: (fin.wall - t0) / 1000, cpu: (fin.cpu.user + fin.cpu.system) / 1e6,
    reached: at !== null, end, vda: vda.seen, setup, jit,
  };
}

// ---------------------------------------------------------------- QEMU side

const QEMU = 'qemu-system-aarch64';

function hasQemu(): boolean {
  try {
    return spawnSync(QEMU, ['--version'], { stdio: 'ignore' }).status === 0;
  } catch {
    return false;
  }
}

/** A TCG plugin that counts instructions (contrib/plugins' libinsn.so), if one is installed. */
function findInsnPlugin(): string | null {
  const dirs = ['/usr/lib/qemu', '/usr/local/lib/qemu', '/usr/libexec/qemu', '/usr/lib64/qemu'];
  for (const base of ['/usr/lib', '/usr/lib64', '/usr/local/lib']) {
    try {
      for (const d of readdirSync(base)) dirs.push(join(base, d, 'qemu'), join(base, d, 'qemu', 'plugins'));
    } catch { /* no such directory */ }
  }
  for (const d of [...dirs]) dirs.push(join(d, 'plugins'));
  for (const d of dirs) if (existsSync(join(d, 'libinsn.so'))) return join(d, 'libinsn.so');
  return null;
}

export function qemuArgs(files: { kernel: string; initrd: string; disk?: string }, smp: number): string[] {
  return [
    '-M', 'virt,gic-version=3', '-cpu', 'cortex-a57', '-smp', String(smp), '-m', `${MEM_MIB}M`,
    // -nic none: no default NIC, whose option ROM (efi-virtio.rom) comes from
    // the optional ipxe-qemu package; the virtio-net device below needs none.
    '-nographic', '-nic', 'none', '-no-reboot', '-kernel', files.kernel, '-initrd', files.initrd, '-append', APPEND,
    ...(files.disk === undefined ? [] : [
      '-drive', `file=${files.disk},if=none,format=raw,id=hd0,readonly=on`, '-device', 'virtio-blk-device,drive=hd0']),
    '-netdev', 'hubport,id=n0,hubid=0', '-device', 'virtio-net-device,netdev=n0,mac=52:54:00:12:34:01',
  ];
}

export function shellQuote(args: readonly string[]): string {
  return args.map((s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)).join(' ');
}

interface QemuResult { wall: number | null; cpu: number | null; instructions: number | null; end: string; vda: boolean }

/** CPU time (user + system, all threads) of a live process, from /proc (Linux); null elsewhere. */
function procCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

/**
 * Runs QEMU until the marker appears on its stdout (wall time from spawn),
 * then ends it: SIGKILL for a timing run; SIGTERM for a counting run, so
 * QEMU exits cleanly and the plugin prints its count at exit.
 */
function runQemu(args: string[], counting: boolean, logFile?: string): Promise<QemuResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const p = spawn(QEMU, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const watch = new MarkerWatch(MARKER);
    const vda = new MarkerWatch(DISK_SEEN);
    let wall: number | null = null;
    let cpu: number | null = null;
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), QEMU_TIMEOUT_MS);
    const progress = setInterval(() => process.stderr.write(`  qemu: ${((performance.now() - t0) / 1000).toFixed(1)} s wall\n`), 1000);
    p.stdout.setEncoding('latin1');
    p.stdout.on('data', (c: string) => {
      if (!watch.seen) vda.pushText(c);
      if (watch.pushText(c)) {
        wall = (performance.now() - t0) / 1000;
        cpu = procCpuSeconds(p.pid);
        p.kill(counting ? 'SIGTERM' : 'SIGKILL');
      }
    });
    p.stderr.on('data', (c: Buffer) => { err = (err + c.toString('latin1')).slice(-4000); });
    const done = (end: string): void => {
      clearTimeout(timer);
      clearInterval(progress);
      let instructions: number | null = null;
      if (counting) {
        let log = err;
        if (logFile) try { log += readFileSync(logFile, 'latin1'); } catch { /* no log */ }
        const m = /insns:\s*(\d+)/.exec(log);
        if (m) instructions = Number(m[1]);
      }
      resolve({ wall, cpu, instructions, end, vda: vda.seen });
    };
    p.on('error', (e) => done(`cannot start: ${e.message}`));
    p.on('close', (code, sig) => done(wall !== null ? 'marker' : `exited (${sig ?? code}) before the marker: ${err.trim().split('\n').pop() ?? ''}`));
  });
}

// ---------------------------------------------------------------- main

const USAGE = `usage: node dist/scripts/bench-linux.js [--runs N] [--smp N] [--bare] [--no-qemu] [--max-insns 3G]
       [--engine jit|blocks|interp]... [--kernel Image] [--initrd initrd.cpio.gz] [--disk disk.img | --no-disk]`;

export const median = (xs: readonly number[]): number | null => {
  if (xs.length === 0) return null;
  const v = [...xs].sort((x, y) => x - y);
  const k = Math.floor(v.length / 2);
  return v.length % 2 ? v[k]! : (v[k - 1]! + v[k]!) / 2;
};

/** One emulator's rounds, in order (a failed round is left out). */
export interface Rounds { label: string; rounds: ReadonlyArray<{ wall: number; cpu: number | null }> }

/**
 * The ratio lines: each hvrr variant's first round against QEMU's first, and
 * the medians against QEMU's median (wall time, and CPU time when both sides
 * have it). `coldLabel` names the variant whose first round was a fresh
 * process's first boot.
 */
export function ratioLines(hvrr: readonly Rounds[], qemu: Rounds | null, coldLabel: string | null): string[] {
  const ratio = (x: number, q: number | null | undefined): string => (q === null || q === undefined ? '' : ` = ${(x / q).toFixed(2)}x QEMU's ${q.toFixed(2)} s`);
  const q0 = qemu?.rounds[0];
  const qWall = median((qemu?.rounds ?? []).map((r) => r.wall));
  const qCpu = median((qemu?.rounds ?? []).flatMap((r) => (r.cpu === null ? [] : [r.cpu])));
  const out: string[] = [];
  for (const h of hvrr) {
    const r0 = h.rounds[0];
    if (r0 === undefined) continue;
    const first = [`wall ${r0.wall.toFixed(2)} s${ratio(r0.wall, q0?.wall)}`];
    if (r0.cpu !== null) first.push(`CPU ${r0.cpu.toFixed(2)} s${ratio(r0.cpu, q0?.cpu)}`);
    const what = h.label === coldLabel ? 'first round (a fresh process)' : 'first round (after the boots above in this process)';
    out.push(`ratio: ${h.label}: ${what}: ${first.join(', ')}`);
    if (h.rounds.length < 2) continue;
    const wall = median(h.rounds.map((r) => r.wall))!;
    const cpu = median(h.rounds.flatMap((r) => (r.cpu === null ? [] : [r.cpu])));
    const med = [`wall ${wall.toFixed(2)} s${ratio(wall, qWall)}`];
    if (cpu !== null) med.push(`CPU ${cpu.toFixed(2)} s${ratio(cpu, qCpu)}`);
    out.push(`ratio: ${h.label}: median of ${h.rounds.length} rounds: ${med.join(', ')}`);
  }
  return out;
}

async function main(): Promise<number> {
  let a: BenchArgs;
  try {
    a = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof ArgError)) throw e;
    process.stderr.write(`bench-linux: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  if (a.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const cache = linuxCacheDir();
  const files: { kernel: string; initrd: string; disk?: string } = {
    kernel: a.kernel ?? join(cache, 'Image'),
    initrd: a.initrd ?? join(cache, 'initrd.cpio.gz'),
    ...(a.noDisk ? {} : { disk: a.disk ?? join(cache, 'disk.img') }),
  };
  for (const [what, path] of Object.entries(files)) {
    if (path !== undefined && !existsSync(path)) {
      process.stderr.write(`bench-linux: no ${what} at ${path}: run scripts/linux-artifacts.sh first (or pass --${what})\n`);
      return 2;
    }
  }
  const loadStart = loadavg().map((l) => l.toFixed(2)).join(' ');
  const rows: Row[] = [];
  let ok = true;

  const variants: Array<{ bare: boolean; engine: CpuEngine; label: string }> = [];
  for (const engine of a.engines) {
    variants.push({ bare: false, engine, label: `hvrr ${engine} (hypervisor, ${a.smp} vCPU)` });
    if (a.bare) variants.push({ bare: true, engine, label: `hvrr ${engine} (bare, ${a.smp} CPU)` });
  }
  const measured = new Map<string, Array<{ wall: number; cpu: number | null }>>();
  const record = (key: string, wall: number | null, cpu: number | null): void => {
    if (wall === null) return;
    const l = measured.get(key) ?? [];
    l.push({ wall, cpu });
    measured.set(key, l);
  };
  const qemuOn = a.qemu && hasQemu();
  const args = qemuArgs(files, a.smp);
  // Node's start and the loading of hvrr's modules: before every hvrr figure
  // (QEMU's figures include its own process start).
  await import('../cli/commands/run.js');
  const startup = performance.now() / 1000;
  // The first variant's first boot is the process's first: the cold figure.
  let coldLabel: string | null = null;
  for (let i = 1; i <= a.runs; i++) {
    const round = a.runs > 1 ? ` #${i}` : '';
    for (const v of variants) {
      process.stderr.write(`${v.label}${round}: booting\n`);
      const r = await runHvrr(files, a, v.bare, v.engine);
      const note = [`${r.virtualSeconds.toFixed(3)} s virtual, wall incl. ${r.setup.toFixed(2)} s machine setup`, r.vda ? 'disk seen (vda)' : 'no vda', r.jit]
        .filter((x) => x !== '').join(', ');
      if (r.reached) {
        if (i === 1 && v === variants[0]) coldLabel = v.label;
        rows.push({ emulator: v.label + round, instructions: r.instructions, wall: r.wall, cpu: r.cpu, note });
        record(v.label, r.wall, r.cpu);
      } else {
        ok = false;
        rows.push({ emulator: v.label + round, instructions: r.instructions, wall: null, note: `no marker: ${r.end} at ${note}` });
      }
    }
    if (qemuOn) {
      const label = `qemu tcg (cortex-a57)${round}`;
      process.stderr.write(`${label}: booting\n`);
      const r = await runQemu(args, false);
      if (r.wall === null) ok = false;
      record('qemu', r.wall, r.cpu);
      rows.push({ emulator: label, instructions: null, wall: r.wall, cpu: r.cpu, note: r.wall === null ? r.end : `spawn to marker, ${r.vda ? 'disk seen (vda)' : 'no vda'}` });
    }
  }
  const loadEnd = loadavg().map((l) => l.toFixed(2)).join(' ');

  let qemuLine: string;
  const qemuWall = median((measured.get('qemu') ?? []).map((x) => x.wall));
  let qemuInsns: string | null = null;
  if (!a.qemu) {
    qemuLine = 'qemu: not run (--no-qemu)';
  } else if (!qemuOn) {
    qemuLine = `qemu: ${QEMU} not found on PATH (Debian: apt-get install qemu-system-arm); no ratio`;
  } else {
    qemuLine = `qemu: ${QEMU} ${shellQuote(args)}`;
    const plugin = findInsnPlugin();
    if (plugin === null) {
      qemuInsns = 'qemu instructions: n/a (no libinsn.so TCG plugin installed, so QEMU was not counted)';
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'hvrr-bench-linux-'));
      try {
        const log = join(dir, 'plugin.log');
        const cargs = [...args, '-plugin', `${plugin},inline=on`, '-d', 'plugin', '-D', log];
        process.stderr.write(`qemu counting run: ${QEMU} ${shellQuote(cargs)}\n`);
        const r = await runQemu(cargs, true, log);
        rows.push({
          emulator: 'qemu tcg + libinsn (counting run)', instructions: r.instructions, wall: r.wall,
          note: r.instructions === null ? `no count: ${r.end}` : 'count up to SIGTERM after the marker (plugin slows QEMU)',
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }

  console.log(`bench:linux: ${files.kernel}, ${files.initrd}, ${files.disk === undefined ? 'no disk (--no-disk)' : `disk ${files.disk}`}`);
  console.log(`append "${APPEND}", ${MEM_MIB} MiB, ${a.smp} CPU(s), seed 0; boot ends at the first '${MARKER}' line`);
  console.log(`${a.runs} interleaved round(s); load average ${loadStart} at start, ${loadEnd} at end (${process.platform}, node ${process.version})`);
  console.log('');
  console.log(formatTable(rows, qemuWall));
  if (qemuInsns !== null) console.log(qemuInsns);
  console.log('');
  console.log(qemuLine);
  console.log(`hvrr: node's start and loading hvrr's modules took ${startup.toFixed(2)} s before the first boot (in no figure above; QEMU's include its process start)`);
  const qemuRounds = measured.get('qemu');
  const lines = ratioLines(
    variants.map((v) => ({ label: v.label, rounds: measured.get(v.label) ?? [] })),
    qemuRounds === undefined ? null : { label: 'qemu', rounds: qemuRounds },
    coldLabel,
  );
  for (const l of lines) console.log(l);
  return ok ? 0 : 1;
}


if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then((code) => process.exit(code), (e: unknown) => {
    // CliError etc. from prepareMachine: one line, no stack
    process.stderr.write(`bench-linux: ${(e as Error).message}\n`);
    process.exit(1);
  });
}

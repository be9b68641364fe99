// `hvrr replay FILE [--until exception N | event N | tick T]`: rebuild the
// recorded machine, replay it checking every event against the recording,
// stop exactly at the target and print where it is. On a divergence it stops
// at the first differing event, prints both sides and exits non-zero.
import { performance } from 'node:perf_hooks';
import { eventJson, formatEvent, hex64, type World } from '../../core/trace/events.js';
import { parseSysreg } from '../../core/asm/sysreg-names.js';
import { FFA_FUNCTION_IDS, ffaFunctionName } from '../../core/ffa/functionIds.js';
import { describeTarget, PSCI_FUNCTIONS } from '../../replay/targets.js';
import type { Machine } from '../../core/machine.js';
import { existsSync } from 'node:fs';
import { Replayer, snapshotFileProblem, type ReplayTarget, type ReplayResult } from '../../replay/replayer.js';
import { TraceFormatError, TraceReader } from '../../replay/traceFile.js';
import { recoveryWarning } from '../../replay/dump.js';
import { saveFull, writeSnapshotFile, SnapshotError } from '../../snapshots/index.js';
import { parseArgs, parseString, type OptionSpec } from '../args.js';
import { CliError, UsageError } from '../errors.js';
import { helpFor } from '../help.js';
import type { CliIO } from '../io.js';
import { writeHoldingSignals } from '../signals.js';
import type { Command } from './command.js';
import { machineForRecording, snapshotFileFor } from './record.js';
import { EXIT_OK, NO_JIT_OPTION, applyEngine } from './run.js';
import { secureConsoleText } from './secureConsole.js';
import { DebugSession } from '../../replay/debugSession.js';
import { debugWithGdb, extractGdbOption } from '../gdb/cli.js';

export const EXIT_DIVERGED = 6;

const PRINTABLE = ['regs', 'events', 'uart', 'json'] as const;
type Printable = (typeof PRINTABLE)[number];

const UNTIL_KINDS = ['exception', 'event', 'tick', 'pc', 'uart', 'psci', 'hvc', 'smc', 'sysreg', 'ffa'] as const;
const UNTIL_HELP = "'exception N', 'event N', 'tick T', 'pc ADDR[,cpu N][,el E]', 'uart TEXT', 'psci NAME', 'hvc [FID]', 'smc [FID]', 'sysreg NAME' or 'ffa [NAME|FID]'";

/** `--until ffa NAME`: the spec name with or without FFA_; without _32/_64 a call with both forms matches either. */
function ffaTarget(arg: string, option: string, count: number): ReplayTarget {
  if (/^(0x[0-9a-fA-F_]+|[0-9_]+)$/.test(arg)) {
    const fid = Number(parseNumber(arg, option, 'the function id'));
    if (fid > 0xffff_ffff) throw new UsageError(`${option}: function id ${arg} does not fit in 32 bits`);
    return { kind: 'ffa', fids: [fid], name: ffaFunctionName(fid) ?? `0x${fid.toString(16)}`, count };
  }
  const want = arg.toUpperCase().replace(/^(FFA_)?/, 'FFA_');
  const hits = FFA_FUNCTION_IDS.filter(([name]) => name === want || name === `${want}_32` || name === `${want}_64`);
  if (hits.length === 0) throw new UsageError(`${option}: unknown FF-A function '${arg}' (a name from DEN0077 such as MEM_SHARE or FFA_MSG_SEND_DIRECT_REQ_64, or an id)`);
  return { kind: 'ffa', fids: hits.map(([, fid]) => fid), name: want, count };
}

/** A count or address: decimal, or hex with 0x; underscores between digits. */
function parseNumber(raw: string, option: string, what: string): bigint {
  const t = raw.trim().replace(/_/g, '');
  if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(t)) throw new UsageError(`${option}: ${what} must be a number (decimal or 0x hex), got '${raw}'`);
  return BigInt(t);
}

function safeNumber(raw: string, option: string, what: string): number {
  const v = parseNumber(raw, option, what);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new UsageError(`${option}: '${raw}' is too large`);
  return Number(v);
}

/** Console text with C-style escapes: \n \r \t \\ \xNN. */
function unescapeText(raw: string, option: string): string {
  const out = raw.replace(/\\(x[0-9a-fA-F]{2}|[nrt\\])/g, (_, e: string) => (e[0] === 'x' ? String.fromCharCode(parseInt(e.slice(1), 16)) : e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : '\\'));
  if (out.length === 0) throw new UsageError(`${option}: 'uart' needs the console TEXT to stop at`);
  if ([...out].some((c) => c.charCodeAt(0) > 0xff)) throw new UsageError(`${option}: the UART TEXT must be bytes (Latin-1 characters or \\xNN escapes)`);
  return out;
}

/** `--until WHAT` (the count comes from --count). Exported for tests. */
export function parseUntil(raw: string, option: string, count = 1): ReplayTarget {
  const m = /^([a-z]+)(?:[:=\s]+([\s\S]*))?$/.exec(raw.trim());
  const kind = m?.[1] as (typeof UNTIL_KINDS)[number] | undefined;
  if (!m || !kind || !(UNTIL_KINDS as readonly string[]).includes(kind)) throw new UsageError(`${option}: expected ${UNTIL_HELP}, got '${raw}'`);
  const arg = m[2]?.trim() ?? '';
  const need = (what: string): string => {
    if (arg === '') throw new UsageError(`${option}: '${kind}' needs ${what}`);
    return arg;
  };
  switch (kind) {
    case 'exception': {
      const n = safeNumber(need('a number N'), option, 'N');
      if (n < 1) throw new UsageError(`${option}: exceptions are numbered from 1`);
      return { kind: 'exception', n };
    }
    case 'event':
      return { kind: 'event', seq: safeNumber(need('a number N'), option, 'N') };
    case 'tick':
      return { kind: 'tick', tick: safeNumber(need('a tick T'), option, 'T') };
    case 'pc': {
      const [addr, ...quals] = need('an address').split(',').map((x) => x.trim());
      const va = parseNumber(addr!, option, 'the address');
      if (va >= 1n << 64n) throw new UsageError(`${option}: address ${addr} does not fit in 64 bits`);
      if (va % 4n !== 0n) throw new UsageError(`${option}: address ${addr} is not 4-byte aligned (A64 instructions are)`);
      const t: ReplayTarget = { kind: 'pc', va, count };
      for (const q of quals) {
        const qm = /^(cpu|el)[:=\s]*([0-9]+)$/.exec(q);
        if (!qm) throw new UsageError(`${option}: unknown qualifier '${q}' (expected cpu N or el E)`);
        const v = Number(qm[2]);
        if (qm[1] === 'cpu') {
          if (v > 7) throw new UsageError(`${option}: cpu ${v} is out of range (0..7)`);
          t.cpu = v;
        } else {
          if (v > 3) throw new UsageError(`${option}: el ${v} is out of range (0..3)`);
          t.el = v;
        }
      }
      return t;
    }
    case 'uart':
      return { kind: 'uart', text: unescapeText(m[2] ?? '', option), count };
    case 'psci': {
      const name = need('a function NAME or id').toUpperCase().replace(/^PSCI_/, '').replace(/_(32|64)$/, '');
      const fns = PSCI_FUNCTIONS.get(name);
      if (fns) return { kind: 'psci', fns: [...fns], name, count };
      if (/^(0X[0-9A-F]+|[0-9]+)$/.test(name)) {
        const id = Number(parseNumber(arg, option, 'the function id'));
        if (id > 0xffff_ffff) throw new UsageError(`${option}: function id ${arg} does not fit in 32 bits`);
        return { kind: 'psci', fns: [id], name: `0x${id.toString(16)}`, count };
      }
      throw new UsageError(`${option}: unknown PSCI function '${arg}' (names: ${[...PSCI_FUNCTIONS.keys()].join(', ')}, or an id)`);
    }
    case 'hvc':
    case 'smc': {
      if (arg === '') return { kind, count };
      const fid = Number(parseNumber(arg, option, 'the function id'));
      if (fid > 0xffff_ffff) throw new UsageError(`${option}: function id ${arg} does not fit in 32 bits`);
      return { kind, fid, count };
    }
    case 'ffa':
      return arg === '' ? { kind: 'ffa', count } : ffaTarget(arg, option, count);
    case 'sysreg': {
      const key = parseSysreg(need('a register NAME'));
      if (key === undefined) throw new UsageError(`${option}: unknown system register '${arg}' (names as in the ARM ARM, or s<op0>_<op1>_c<n>_c<m>_<op2>)`);
      return { kind: 'sysreg', key, count };
    }
  }
}

function parsePrint(raw: string, option: string): Printable[] {
  const parts = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of parts) if (!(PRINTABLE as readonly string[]).includes(p)) throw new UsageError(`${option}: unknown item '${p}' (items: ${PRINTABLE.join(', ')})`);
  if (parts.includes('json') && parts.length > 1) throw new UsageError(`${option}: 'json' prints everything as JSON lines and combines with nothing else`);
  return parts as Printable[];
}

function parseCount(raw: string, option: string): number {
  const n = safeNumber(raw, option, 'the count');
  if (n < 1) throw new UsageError(`${option}: counts start at 1`);
  return n;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'until', value: 'WHAT', help: `stop at ${UNTIL_HELP.replace(/, 'uart/, ",\n'uart")}\n(default: the end of the recording; see below)`, parse: (raw) => raw },
  { name: 'count', value: 'N', help: 'with --until pc/uart/psci/hvc/smc/sysreg/ffa: the Nth time (default 1)', parse: parseCount },
  { name: 'snapshot', value: 'OUT', help: 'write a snapshot of the machine where replay stopped', parse: parseString },
  { name: 'print', value: 'LIST', help: "what to print where it stops: regs,events,uart (default all),\nor json: all of it as JSON lines (docs/trace-format.md)", parse: parsePrint },
  { name: 'snapshot-file', value: 'FILE', help: 'snapshots recorded beside the trace (record --snapshot-file;\ndefault: FILE.snap when it exists)', parse: parseString },
  { name: 'no-snapshots', help: 'replay from the start instead of the nearest recorded snapshot' },
  NO_JIT_OPTION,
];
// --gdb [PORT|PATH] is taken out of argv before parsing (its value is optional): see cli/gdb/cli.ts.

/** Accept `--until exception 4211` (and `--until hvc` alone) as well as `--until exception:4211`. */
function joinUntil(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const kind = argv[i + 1] ?? '';
    if (a === '--until' && (UNTIL_KINDS as readonly string[]).includes(kind)) {
      const v = argv[i + 2];
      const optionalArg = kind === 'hvc' || kind === 'smc' || kind === 'ffa';
      // ffa's optional argument is a function id or an FF-A name (never an option or the trace).
      const isArg = kind === 'ffa' ? v !== undefined && !v.startsWith('-') && /^(0x[0-9a-fA-F_]+|[0-9_]+|(ffa_)?[a-z][a-z0-9_]*)$/i.test(v) && !/\.|\//.test(v) : v !== undefined && /^(0x[0-9a-fA-F_]+|[0-9_]+)$/.test(v);
      if (v === undefined || (optionalArg && !isArg)) {
        out.push(`--until=${kind}`);
        i += 1;
      } else {
        out.push(`--until=${kind}:${v}`);
        i += 2;
      }
    } else {
      out.push(a);
    }
  }
  return out;
}

function hex(v: bigint, width = 16): string {
  return '0x' + v.toString(16).padStart(width, '0');
}

const PRINTED_SYSREGS = ['ELR_EL1', 'ESR_EL1', 'FAR_EL1', 'SPSR_EL1', 'VBAR_EL1', 'SCTLR_EL1', 'TTBR0_EL1', 'TTBR1_EL1', 'HCR_EL2', 'VTTBR_EL2'];

function printRegs(m: Machine, io: CliIO): void {
  for (let c = 0; c < m.numCpus; c++) {
    const ps = m.core.pstate(c);
    const el = (ps >> 2) & 3;
    // On a machine with two Security states, the state the PE is in.
    const world = m.config.secure ? (m.core.isNonSecure(c) && el < 3 ? ' ns' : ' s') : '';
    io.stdout.write(`cpu${c}: ${m.cpuState(c)} @${m.cpuTick(c)} EL${el}${ps & 1 ? 'h' : 't'}${world} pc=${hex(m.core.getPc(c))} sp=${hex(m.core.getSp(c))} pstate=${hex(BigInt(ps), 8)} nzcv=${['N', 'Z', 'C', 'V'].map((f, i) => ((ps >>> (31 - i)) & 1 ? f : f.toLowerCase())).join('')}\n`);
    for (let r = 0; r < 31; r += 4) {
      const cols: string[] = [];
      for (let k = r; k < Math.min(r + 4, 31); k++) cols.push(`x${k}`.padStart(3) + '=' + hex(m.core.getX(c, k)));
      io.stdout.write('  ' + cols.join(' ') + '\n');
    }
    const regs = m.core.regs(c);
    const vals = PRINTED_SYSREGS.filter((n) => regs.has(n)).map((n) => `${n}=${hex(regs.get(n))}`);
    for (let i = 0; i < vals.length; i += 3) io.stdout.write('  ' + vals.slice(i, i + 3).join(' ') + '\n');
  }
  if (m.componentNames().includes('hypervisor')) {
    const st = m.component('hypervisor').getState() as { current?: unknown };
    if (st && typeof st === 'object' && 'current' in st) io.stdout.write(`hypervisor: current ${JSON.stringify(st.current)}\n`);
  }
}

/** Console output of the events before `endSeq`, rebuilt from the recorded
 *  uart-out events: the Non-secure UART's, or with `world` 's' the secure UART's. */
function uartOutput(reader: TraceReader, endSeq: number, world: World = 'ns'): string {
  const bytes: number[] = [];
  if (endSeq <= reader.firstSeq) return '';
  for (const e of reader.eventsInRange(reader.firstSeq, endSeq, ['uart-out'])) if (e.kind === 'uart-out' && (e.world ?? 'ns') === world) bytes.push(e.byte);
  return Buffer.from(bytes).toString('latin1');
}

function describe(r: ReplayResult, target: ReplayTarget): string {
  const what = describeTarget(target);
  const from = r.startedFrom
    ? `from the snapshot at tick ${r.startedFrom.tick.toLocaleString('en-US')} (${r.startedFrom.afterSeq < 0 ? 'before the first event' : `after event ${r.startedFrom.afterSeq}`})`
    : 'from power-on';
  const matched = `${r.checked.toLocaleString('en-US')} events and ${r.stateHashesChecked} state hashes matched` +
    (r.stateHashesNotComparable ? ` (${r.stateHashesNotComparable} not comparable: recorded over the state records of another hvrr)` : '');
  switch (r.status) {
    case 'reached': return `reached ${what}${r.targetSeq !== undefined && target.kind !== 'event' ? ` (event ${r.targetSeq})` : ''}${r.hitCpu !== undefined ? ` on cpu${r.hitCpu}` : ''}, replaying ${from}; ${matched}`;
    case 'end-of-recording': return `replayed to the end of the recording ${from}; ${matched}`;
    case 'machine-stopped': return `machine stopped (${r.machineStop ?? 'unknown'}) before ${what}`;
    case 'not-in-recording': return `${what} is not in the recording: ${r.missing ?? 'the recording ends before it'}`;
    case 'diverged': return `DIVERGED at event ${r.divergence!.seq}`;
  }
}

/** The machine's registers as plain data (for --print json). */
function cpuJson(m: Machine, c: number): Record<string, unknown> {
  const ps = m.core.pstate(c);
  const regs = m.core.regs(c);
  const sysregs: Record<string, string> = {};
  for (const n of PRINTED_SYSREGS) if (regs.has(n)) sysregs[n] = hex64(regs.get(n));
  return {
    record: 'cpu', cpu: c, state: m.cpuState(c), tick: m.cpuTick(c), el: (ps >> 2) & 3,
    ...(m.config.secure ? { world: m.core.isNonSecure(c) && ((ps >> 2) & 3) < 3 ? 'ns' : 's' } : {}), pc: hex64(m.core.getPc(c)), sp: hex64(m.core.getSp(c)),
    pstate: hex64(ps >>> 0), x: Array.from({ length: 31 }, (_, k) => hex64(m.core.getX(c, k))), sysregs,
  };
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 'replay a trace exactly, stop at an event, exception, tick, PC, console text or call; detect divergence',
  usage: 'replay FILE [--until WHAT [--count N]] [options]',
  options: OPTIONS,
  details: `Rebuilds the machine from the recorded configuration and images (their
SHA-256 must match), restores the nearest earlier snapshot, and runs forward,
checking every event and state hash against the recording, then stops exactly
at the target (docs/replay.md "Where a run stops"):
  exception N     at the entry of exception N, before its handler runs
  event N         after the step that emitted event N (a step is one
                  instruction with what it causes, one run of the EL2/EL3
                  software, or one window boundary's due events and input;
                  later events of the same step are shown apart)
  tick T          before the first step that starts at a clock >= T, on the
                  CPU about to act (mid-window; not a window boundary)
  pc ADDR         before the instruction at virtual address ADDR executes
                  (,cpu N and ,el E restrict it); --count N: the Nth time
  uart TEXT       after the instruction whose UART write completes TEXT on the
                  console (escapes \\n \\r \\t \\xNN)
  psci NAME       after the step that handled the PSCI/SMCCC call NAME
                  (CPU_ON, SYSTEM_OFF, ... or a function id)
  hvc [FID]       at the entry of an HVC exception (with FID: whose w0 = FID)
  smc [FID]       at the entry of an SMC exception (with FID: whose w0 = FID)
  sysreg NAME     after the instruction that read or wrote NAME (MRS/MSR),
                  or at the entry of the exception a trapped access took
  ffa [NAME|FID]  after the step that logged an FF-A event (a call or its
                  answer, in either world); with NAME (MEM_SHARE, FFA_VERSION,
                  MSG_SEND_DIRECT_REQ_64, ...) or FID: only that function
pc, sysreg and hvc/smc FID are found while replaying from the start; the
others are located in the recording first and reached from a snapshot.

--gdb [PORT|PATH]: stop at the start of the recording (or at --until) and
serve gdb on 127.0.0.1:PORT (default 1234) or a Unix socket PATH, with
reverse execution (reverse-stepi, reverse-continue): docs/gdb.md.

Exit status:
  0    target reached (or the end of the recording)
  2    bad command line, unreadable trace, images that differ from the recording,
       or a target the recording does not reach (one line on stderr naming
       how far the recording goes)
  6    replay diverged from the recording (both versions are printed)`,
  async run(argv, io) {
    const gdb = extractGdbOption(argv);
    const { options: o, positionals, help } = parseArgs(joinUntil(gdb.argv), OPTIONS);
    if (help) {
      io.stdout.write(helpFor(replayCommand));
      return EXIT_OK;
    }
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing trace FILE (see --help)' : `unexpected argument '${positionals[1]}'`);
    const file = positionals[0]!;
    const count = o.get('count') as number | undefined;
    const untilRaw = o.get('until') as string | undefined;
    const target: ReplayTarget = untilRaw === undefined ? { kind: 'end' } : parseUntil(untilRaw, '--until', count ?? 1);
    if (count !== undefined && !('count' in target)) throw new UsageError(`--count applies to --until pc, uart, psci, hvc, smc, sysreg and ffa, not to ${untilRaw === undefined ? 'the end of the recording' : `'${target.kind}'`}`);
    const print = new Set<Printable>((o.get('print') as Printable[] | undefined) ?? ['regs', 'events', 'uart']);
    const json = print.has('json');
    let reader: TraceReader;
    try {
      reader = TraceReader.open(file);
    } catch (e) {
      if (e instanceof TraceFormatError) throw new CliError(`trace '${file}': ${e.message}`);
      throw e;
    }
    const warning = recoveryWarning(reader, file);
    if (warning) io.stderr.write(`hvrr: warning: ${warning}\n`);
    let snapReader: TraceReader | undefined;
    try {
      const m = machineForRecording(reader.header, file);
      applyEngine(m, o.get('no-jit') === true);
      const useSnapshots = o.get('no-snapshots') !== true;
      const given = o.get('snapshot-file') as string | undefined;
      const snapPath = given ?? (existsSync(snapshotFileFor(file)) ? snapshotFileFor(file) : undefined);
      if (snapPath !== undefined && useSnapshots) {
        // A file named on the command line must serve the trace; one found
        // beside it (maybe left by an earlier recording) is skipped with a warning.
        let problem: string | null;
        try {
          snapReader = TraceReader.open(snapPath);
          problem = snapshotFileProblem(reader, snapReader);
        } catch (e) {
          if (!(e instanceof TraceFormatError)) throw e;
          problem = e.message;
        }
        if (problem) {
          if (given !== undefined) throw new CliError(`snapshot file '${snapPath}' does not belong to trace '${file}': ${problem}`);
          io.stderr.write(`hvrr: ignoring '${snapPath}' (${problem}); replaying without its snapshots\n`);
          snapReader?.close();
          snapReader = undefined;
        }
      }
      if (gdb.listen !== undefined) {
        const recording = { reader, snapshots: snapReader ?? reader };
        let session: DebugSession;
        try {
          session = new DebugSession(m, recording);
          if (untilRaw !== undefined) {
            const r = new Replayer(reader, snapReader).run(m, target, { useSnapshots });
            if (r.status !== 'reached') throw new CliError(describe(r, target));
            io.stderr.write(`hvrr replay: ${describe(r, target)}\n`);
            session.markStart();
          }
        } catch (e) {
          if (e instanceof SnapshotError || e instanceof TraceFormatError) throw new CliError(`trace '${file}': ${e.message}`);
          throw e;
        }
        await debugWithGdb(session, gdb.listen, io, recording);
        return EXIT_OK;
      }
      const t0 = performance.now();
      let result: ReplayResult;
      try {
        result = new Replayer(reader, snapReader).run(m, target, { useSnapshots });
      } catch (e) {
        if (e instanceof SnapshotError || e instanceof TraceFormatError) throw new CliError(`trace '${file}': ${e.message}`);
        throw e;
      }
      const wall = (performance.now() - t0) / 1000;
      if (result.status === 'not-in-recording') throw new CliError(describe(result, target));
      // Only events the file holds: the machine may have emitted one past the
      // end of a truncated recording before it paused.
      const inFile = reader.firstSeq + reader.eventCount;
      const events = Math.min(m.trace.count, inFile);
      const lastSeq = events - 1;
      // Events up to the target; the rest of its step is listed apart.
      const upto = result.status === 'reached' && result.targetSeq !== undefined ? result.targetSeq : lastSeq;
      const recent = m.trace.last(64).filter((e) => e.seq <= upto && e.seq < inFile).slice(-10);
      const sameStep = upto < lastSeq ? [...reader.eventsInRange(upto + 1, lastSeq + 1)] : [];
      if (json) {
        const out = (o: unknown): void => {
          io.stdout.write(JSON.stringify(o) + '\n');
        };
        out({
          record: 'stop', status: result.status, target: describeTarget(target), ...(result.targetSeq !== undefined ? { targetSeq: result.targetSeq } : {}),
          ...(result.hitCpu !== undefined ? { hitCpu: result.hitCpu } : {}), tick: m.clockTick, instructions: m.instructions, events,
          startedFrom: result.startedFrom ? { tick: result.startedFrom.tick, afterSeq: result.startedFrom.afterSeq } : null,
          eventsChecked: result.checked, stateHashesChecked: result.stateHashesChecked, wallSeconds: Number(wall.toFixed(3)),
          ...(result.divergence ? { divergence: result.divergence } : {}),
        });
        for (let c = 0; c < m.numCpus; c++) out(cpuJson(m, c));
        for (const e of recent) out({ record: 'event', ...eventJson(e) });
        for (const e of sameStep) out({ record: 'event', sameStep: true, ...eventJson(e) });
        out({ record: 'uart', text: uartOutput(reader, lastSeq + 1) });
        if (m.config.secure) out({ record: 'uart', world: 's', text: uartOutput(reader, lastSeq + 1, 's') });
      } else {
        io.stdout.write(`hvrr replay: ${describe(result, target)} (${wall.toFixed(2)} s)\n`);
        if (result.status === 'diverged') {
          const d = result.divergence!;
          io.stdout.write('last agreed events:\n');
          for (const line of d.context) io.stdout.write(`  ${line}\n`);
          io.stdout.write(`recorded: ${d.recorded}\nreplayed: ${d.replayed}\n`);
        }
        io.stdout.write(`at tick ${m.clockTick.toLocaleString('en-US')}, ${m.instructions.toLocaleString('en-US')} instructions, ${events.toLocaleString('en-US')} events\n`);
        if (print.has('regs')) printRegs(m, io);
        if (print.has('events')) {
          io.stdout.write('last events:\n');
          for (const e of recent) io.stdout.write(`  ${formatEvent(e)}\n`);
          if (sameStep.length > 0) {
            io.stdout.write(`the same step also emitted (replayed; the machine is after them):\n`);
            for (const e of sameStep) io.stdout.write(`  ${formatEvent(e)}\n`);
          }
        }
        if (print.has('uart')) {
          const text = uartOutput(reader, lastSeq + 1);
          io.stdout.write(`uart output so far (${text.length} bytes):\n${text}${text.endsWith('\n') || text === '' ? '' : '\n'}`);
          if (m.config.secure) {
            const secure = uartOutput(reader, lastSeq + 1, 's');
            io.stdout.write(`secure uart output so far (${secure.length} bytes):\n${secureConsoleText([...Buffer.from(secure, 'latin1')])}`);
          }
        }
      }
      const out = o.get('snapshot') as string | undefined;
      if (out !== undefined) {
        const { bytes } = saveFull(m);
        await writeHoldingSignals(io, `snapshot '${out}'`, () => {
          try {
            writeSnapshotFile(out, bytes);
          } catch (e) {
            throw new CliError(`cannot write snapshot '${out}': ${(e as Error).message}`);
          }
        });
        (json ? io.stderr : io.stdout).write(`snapshot written to ${out} (${bytes.length.toLocaleString('en-US')} bytes)\n`);
      }
      return result.status === 'diverged' ? EXIT_DIVERGED : EXIT_OK;
    } finally {
      reader.close();
      snapReader?.close();
    }
  },
};

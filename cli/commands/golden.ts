// `hvrr golden check|review|accept|diff`: compare runs with their committed
// golden traces (golden/, docs/golden.md), review and accept changes
// insta-style, and compare two recordings the same way.
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { compareLines, DEFAULT_CONTEXT } from '../../golden/compare.js';
import { GoldenConfigError, listGoldens, loadConfig, NAME_RE, TIERS, type GoldenConfig, type Tier } from '../../golden/config.js';
import { acceptPending, compareWithGolden, pendingReport, removePending, renderEvents, renderScenario, writePending } from '../../golden/golden.js';
import { RedactionError, Redactor, type RedactionRule } from '../../golden/redact.js';
import { scenarioUnavailable } from '../../golden/scenario.js';
import { ChecksError } from '../../golden/checks.js';
import { TraceFormatError, isTraceEvent } from '../../replay/traceFile.js';
import { recoveryWarning } from '../../replay/dump.js';
import { parseArgs, parseIntRange, parseString, type OptionSpec } from '../args.js';
import { CliError, UsageError } from '../errors.js';
import { helpFor } from '../help.js';
import type { CliIO } from '../io.js';
import type { Command } from './command.js';
import { openTrace } from './openTrace.js';

/** Exit status when a run differs from its golden (or two recordings differ). */
export const EXIT_DIFFERS = 1;

/** golden/cases of this installation: the package root is two levels up from
 *  cli/commands in the sources, three from dist/cli/commands. */
export function defaultGoldenDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const root = join(here, up);
    try {
      const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'hvrr' && existsSync(join(root, 'golden', 'cases'))) return join(root, 'golden', 'cases');
    } catch {
      // not the package root
    }
  }
  return join(here, '../../golden/cases');
}

function parseTiers(raw: string, option: string): Tier[] {
  const tiers = raw.split(',').map((t) => t.trim()).filter(Boolean);
  for (const t of tiers) if (!(TIERS as readonly string[]).includes(t)) throw new UsageError(`${option}: unknown tier '${t}' (tiers: ${TIERS.join(', ')})`);
  if (tiers.length === 0) throw new UsageError(`${option}: no tier given (tiers: ${TIERS.join(', ')})`);
  return tiers as Tier[];
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'dir', value: 'DIR', help: 'goldens directory (default: golden/cases of this installation)', parse: parseString },
  { name: 'tier', value: 'T1,T2', help: `check only goldens of these tiers (${TIERS.join(', ')}; default all;\nthe linux tier needs the Linux guest artifacts and is skipped without them)`, parse: parseTiers },
  { name: 'context', value: 'N', help: `lines of context around the first divergent event (default ${DEFAULT_CONTEXT})`, parse: (r, o) => parseIntRange(r, o, 0, 1000) },
  { name: 'golden', value: 'NAME', help: 'diff: apply golden NAME\'s redactions to both recordings', parse: parseString },
  { name: 'redact', value: 'SEL,...', help: 'diff: redact these selectors (docs/golden.md), e.g. *.tick,uart-*', parse: parseString },
];

const SUBCOMMANDS = ['check', 'review', 'accept', 'diff'] as const;
type Sub = (typeof SUBCOMMANDS)[number];

const n = (x: number): string => x.toLocaleString('en-US');

function rel(p: string): string {
  const r = relative(process.cwd(), p);
  return r.startsWith('..') ? p : r;
}

function configs(dir: string, names: readonly string[]): GoldenConfig[] {
  for (const name of names) if (!NAME_RE.test(name)) throw new UsageError(`'${name}' is not a golden name (lower-case letters, digits, '-' and '_')`);
  const listing = listGoldens(dir);
  for (const name of names) if (!listing.names.includes(name)) throw new UsageError(`no golden '${name}' in ${rel(dir)} (goldens: ${listing.names.join(', ') || 'none'})`);
  return (names.length > 0 ? names : listing.names).map((name) => loadConfig(dir, name));
}

function reportObsolete(dir: string, io: CliIO): void {
  const { obsolete } = listGoldens(dir);
  for (const f of obsolete) io.stdout.write(`obsolete: ${rel(f)} (no ${rel(join(dir, f.replace(/^.*\//, '').replace(/\.(golden\.new|golden|checks)$/, '.json')))}: its scenario is gone; delete it)\n`);
}

function indent(text: string): string {
  return text.split('\n').map((l) => `    ${l}`).join('\n');
}

async function check(dir: string, names: readonly string[], tiers: readonly Tier[] | undefined, context: number, io: CliIO): Promise<number> {
  const ci = io.env.CI === 'true';
  const list = configs(dir, names).filter((c) => names.length > 0 || tiers === undefined || tiers.includes(c.tier));
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const pending: string[] = [];
  for (const cfg of list) {
    const skip = scenarioUnavailable(cfg, io.env);
    if (skip) {
      skipped++;
      io.stdout.write(`golden ${cfg.name}: skipped: ${skip}\n`);
      continue;
    }
    const t0 = performance.now();
    let run;
    try {
      run = await renderScenario(cfg);
    } catch (e) {
      if (e instanceof CliError) throw new CliError(`golden ${cfg.name}: its scenario (hvrr record ${cfg.record.join(' ')}) cannot run: ${e.message}`);
      throw e;
    }
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    const outcome = compareWithGolden(cfg, dir, run, context);
    if (outcome.status === 'pass') {
      passed++;
      io.stdout.write(`golden ${cfg.name}: ok (${n(outcome.events)} events, ${cfg.match === 'checks' ? 'checks hold' : 'identical'}; ${secs} s)\n`);
      if (!ci && removePending(dir, cfg.name)) io.stdout.write(`  removed the stale ${cfg.name}.golden.new\n`);
      continue;
    }
    failed++;
    const text = outcome.text;
    if (outcome.status === 'new') io.stdout.write(`golden ${cfg.name}: NEW: there is no ${cfg.name}.golden yet (${secs} s)\n`);
    else io.stdout.write(`golden ${cfg.name}: FAILED: the run differs from the golden (${secs} s)\n${indent(outcome.report)}\n`);
    if (text !== null) {
      if (ci) {
        io.stdout.write(`  (CI=true: ${cfg.name}.golden.new not written)\n`);
      } else {
        pending.push(rel(writePending(dir, cfg.name, text)));
      }
    }
  }
  reportObsolete(dir, io);
  const parts = [`${passed} passed`, `${failed} failed`, ...(skipped > 0 ? [`${skipped} skipped`] : [])];
  io.stdout.write(`hvrr golden check: ${parts.join(', ')}${pending.length > 0 ? `; written ${pending.join(', ')} (hvrr golden review, or accept)` : ''}\n`);
  return failed > 0 ? EXIT_DIFFERS : 0;
}

/** Answers read from the console: one key in a terminal (raw mode), else one line. */
class Answers {
  private buf = '';
  private ended = false;
  private wake: (() => void) | null = null;
  private readonly onData = (d: Buffer | string): void => {
    this.buf += d.toString();
    this.wake?.();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.wake?.();
  };
  constructor(private readonly io: CliIO) {
    const s = io.stdin;
    if (!s) {
      this.ended = true;
      return;
    }
    if (s.isTTY && s.setRawMode) s.setRawMode(true);
    s.on('data', this.onData);
    s.on('end', this.onEnd);
    s.resume();
  }
  async next(): Promise<string | null> {
    const tty = this.io.stdin?.isTTY === true;
    for (;;) {
      if (tty && this.buf.length > 0) {
        const c = this.buf[0]!;
        this.buf = this.buf.slice(1);
        return c === '\x03' || c === '\x04' ? 'q' : c;
      }
      const nl = this.buf.indexOf('\n');
      if (!tty && nl >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        return line.slice(0, 1).toLowerCase();
      }
      if (this.ended) return null;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
  }
  close(): void {
    const s = this.io.stdin;
    if (!s) return;
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    if (s.isTTY && s.setRawMode) s.setRawMode(false);
    s.pause();
  }
}

async function review(dir: string, names: readonly string[], context: number, io: CliIO): Promise<number> {
  const listing = listGoldens(dir);
  const todo = listing.pending.filter((p) => names.length === 0 || names.includes(p));
  for (const name of names) if (!listing.names.includes(name)) throw new UsageError(`no golden '${name}' in ${rel(dir)}`);
  reportObsolete(dir, io);
  if (todo.length === 0) {
    io.stdout.write(`hvrr golden review: nothing pending${names.length > 0 ? ` for ${names.join(', ')}` : ''} (hvrr golden check writes NAME.golden.new for a run that differs)\n`);
    return 0;
  }
  if (io.env.CI === 'true') throw new CliError('hvrr golden review changes goldens: not under CI=true');
  const answers = new Answers(io);
  let accepted = 0;
  let rejected = 0;
  let skipped = 0;
  try {
    for (const [k, name] of todo.entries()) {
      io.stdout.write(`\n[${k + 1}/${todo.length}] golden ${name}:\n${indent(pendingReport(dir, name, context))}\n`);
      let answer: string | null = '';
      for (;;) {
        io.stdout.write('accept, reject or skip? [a]ccept [r]eject [s]kip [q]uit: ');
        answer = await answers.next();
        if (answer !== null) io.stdout.write(`${answer}\n`);
        if (answer === null || ['a', 'r', 's', 'q'].includes(answer)) break;
      }
      if (answer === null || answer === 'q') {
        skipped += todo.length - k;
        io.stdout.write(answer === null ? '(end of input: the rest is left pending)\n' : '');
        break;
      }
      if (answer === 'a') {
        acceptPending(dir, name);
        accepted++;
        io.stdout.write(`accepted: ${rel(join(dir, `${name}.golden`))} updated\n`);
      } else if (answer === 'r') {
        removePending(dir, name);
        rejected++;
        io.stdout.write(`rejected: ${name}.golden.new removed\n`);
      } else {
        skipped++;
        io.stdout.write(`skipped: ${name}.golden.new left pending\n`);
      }
    }
  } finally {
    answers.close();
  }
  io.stdout.write(`hvrr golden review: ${accepted} accepted, ${rejected} rejected, ${skipped} left pending\n`);
  return 0;
}

function accept(dir: string, names: readonly string[], io: CliIO): number {
  if (io.env.CI === 'true') throw new CliError('hvrr golden accept changes goldens: not under CI=true');
  const listing = listGoldens(dir);
  for (const name of names) if (!listing.names.includes(name)) throw new UsageError(`no golden '${name}' in ${rel(dir)}`);
  const todo = names.length > 0 ? names : listing.pending;
  let accepted = 0;
  for (const name of todo) {
    if (acceptPending(dir, name)) {
      accepted++;
      io.stdout.write(`accepted: ${rel(join(dir, `${name}.golden`))}\n`);
    } else {
      io.stdout.write(`${name}: nothing pending (no ${name}.golden.new)\n`);
    }
  }
  reportObsolete(dir, io);
  io.stdout.write(`hvrr golden accept: ${accepted} accepted\n`);
  return 0;
}

function readRecording(path: string, redactor: Redactor, io: CliIO): ReturnType<typeof renderEvents> {
  const r = openTrace(path);
  try {
    const warning = recoveryWarning(r, path);
    if (warning) io.stderr.write(`hvrr: warning: ${warning}\n`);
    const events = (function* () {
      for (const rec of r.events()) if (isTraceEvent(rec)) yield rec;
    })();
    return renderEvents(events, redactor, r.recovery ? 'recovered from a truncated file' : 'the end of the recording');
  } catch (e) {
    if (e instanceof TraceFormatError) throw new CliError(`trace '${path}': ${e.message}`);
    throw e;
  } finally {
    r.close();
  }
}

function diff(dir: string, files: readonly string[], golden: string | undefined, redact: string | undefined, context: number, io: CliIO): number {
  if (files.length !== 2) throw new UsageError(`golden diff needs two recordings (usage: hvrr golden diff A.hvrr B.hvrr), got ${files.length}`);
  const rules: RedactionRule[] = [];
  if (golden !== undefined) rules.push(...configs(dir, [golden])[0]!.redact);
  if (redact !== undefined) for (const s of redact.split(',').map((x) => x.trim()).filter(Boolean)) rules.push({ select: s });
  let redactor: Redactor;
  try {
    redactor = new Redactor(rules);
  } catch (e) {
    if (e instanceof RedactionError) throw new UsageError(`--redact: ${e.message}`);
    throw e;
  }
  const a = readRecording(files[0]!, redactor, io);
  const b = readRecording(files[1]!, new Redactor(rules), io);
  const report = compareLines({ label: files[0]!, lines: a.lines.lines, places: a.lines.places }, { label: files[1]!, lines: b.lines.lines, places: b.lines.places }, context);
  if (!report) {
    io.stdout.write(`hvrr golden diff: the recordings match (${n(a.lines.lines.length)} event lines${rules.length > 0 ? `, ${rules.length} redaction${rules.length === 1 ? '' : 's'}` : ''})\n`);
    return 0;
  }
  io.stdout.write(report + '\n');
  return EXIT_DIFFERS;
}

export const goldenCommand: Command = {
  name: 'golden',
  summary: 'compare runs with their golden traces; review and accept changes; diff two recordings',
  usage: 'golden check|review|accept [NAME...] | golden diff A.hvrr B.hvrr [options]',
  options: OPTIONS,
  details: `Subcommands (docs/golden.md):
  check [NAME...]   re-run each golden's scenario (all, or the NAMEs) and
                    compare it with NAME.golden (or the partial NAME.checks);
                    on a difference print the first divergent event on each
                    side and a unified diff around it, and write the run's
                    golden to NAME.golden.new (never under CI=true)
  review [NAME...]  show each pending NAME.golden.new against its golden and
                    ask: accept, reject or skip
  accept [NAME...]  accept the pending changes (all, or the NAMEs)
  diff A B          compare two recordings the same way (--golden NAME or
                    --redact to apply redactions), naming the first
                    divergent event
Goldens whose NAME.json is gone are reported as obsolete.

Exit status:
  0    every golden matches (diff: the recordings match); review/accept done
  1    a run differs from its golden, or has none yet (diff: they differ)
  2    bad command line, a bad golden configuration or checks file, an
       unreadable trace`,
  async run(argv, io) {
    const { options: o, positionals, help } = parseArgs(argv, OPTIONS);
    if (help) {
      io.stdout.write(helpFor(goldenCommand));
      return 0;
    }
    const sub = positionals[0] as Sub | undefined;
    if (sub === undefined) throw new UsageError(`missing subcommand (${SUBCOMMANDS.join(', ')})`);
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`unknown subcommand '${sub}' (${SUBCOMMANDS.join(', ')})`);
    const rest = positionals.slice(1);
    const dir = (o.get('dir') as string | undefined) ?? defaultGoldenDir();
    const context = (o.get('context') as number | undefined) ?? DEFAULT_CONTEXT;
    for (const [opt, subs] of [['golden', ['diff']], ['redact', ['diff']], ['tier', ['check']]] as const) {
      if (o.has(opt) && !(subs as readonly string[]).includes(sub)) throw new UsageError(`--${opt} applies to golden ${subs.join('/')}, not ${sub}`);
    }
    try {
      switch (sub) {
        case 'check': return await check(dir, rest, o.get('tier') as Tier[] | undefined, context, io);
        case 'review': return await review(dir, rest, context, io);
        case 'accept': return accept(dir, rest, io);
        case 'diff': return diff(dir, rest, o.get('golden') as string | undefined, o.get('redact') as string | undefined, context, io);
      }
    } catch (e) {
      if (e instanceof GoldenConfigError || e instanceof ChecksError) throw new CliError(e.message);
      throw e;
    }
  },
};

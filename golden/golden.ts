// A golden: a run's canonical event lines with its redactions, compared
// whole (NAME.golden) or partially (NAME.checks). A changed full golden is
// written beside the old one as NAME.golden.new until it is accepted.
import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import type { TraceEvent } from '../core/trace/events.js';
import { parseChecks, runChecks } from './checks.js';
import { compareLines, DEFAULT_CONTEXT } from './compare.js';
import { goldenFiles, type GoldenConfig } from './config.js';
import { GoldenLines } from './lines.js';
import { Redactor } from './redact.js';
import { runScenario } from './scenario.js';

/** A run rendered for comparison. */
export interface GoldenRun {
  lines: GoldenLines;
  /** How it ended, the golden's last line ('# end: system-off'). */
  end: string;
}

const END_PREFIX = '# end: ';

/** Runs `cfg`'s scenario and renders it. */
export async function renderScenario(cfg: GoldenConfig): Promise<GoldenRun> {
  const lines = new GoldenLines(new Redactor(cfg.redact));
  const r = await runScenario(cfg, (e) => lines.add(e));
  lines.finish();
  return { lines, end: r.end };
}

/** Renders recorded events (a trace file's) with `redactor`. */
export function renderEvents(events: Iterable<TraceEvent>, redactor: Redactor, end: string): GoldenRun {
  const lines = new GoldenLines(redactor);
  for (const e of events) lines.add(e);
  lines.finish();
  return { lines, end };
}

/** The text of a full golden. */
export function goldenText(run: GoldenRun): string {
  return run.lines.lines.join('\n') + (run.lines.lines.length > 0 ? '\n' : '') + END_PREFIX + run.end + '\n';
}

/** Splits a golden file into event lines and its end line. */
export function parseGoldenText(text: string): { lines: string[]; end: string | null } {
  const all = text.split('\n');
  if (all[all.length - 1] === '') all.pop();
  const last = all[all.length - 1];
  if (last !== undefined && last.startsWith(END_PREFIX)) return { lines: all.slice(0, -1), end: last.slice(END_PREFIX.length) };
  return { lines: all, end: null };
}

export type Outcome =
  | { status: 'pass'; events: number }
  /** The run differs from the golden (or there is none yet); `text` is the new golden. */
  | { status: 'fail'; report: string; text: string | null }
  | { status: 'new'; text: string };

/** Compares `run` with golden `cfg` in `dir`. */
export function compareWithGolden(cfg: GoldenConfig, dir: string, run: GoldenRun, context = DEFAULT_CONTEXT): Outcome {
  const f = goldenFiles(dir, cfg.name);
  if (cfg.match === 'checks') {
    let source: string;
    try {
      source = readFileSync(f.checks, 'utf8');
    } catch {
      return { status: 'fail', report: `${f.checks} is missing (a golden with "match": "checks" lists its expected lines there)`, text: null };
    }
    const failure = runChecks(parseChecks(source, f.checks), run.lines.checkLines);
    if (!failure) return { status: 'pass', events: run.lines.events };
    const at = failure.at;
    const near = run.lines.checkLines.slice(Math.max(0, at - context), at + context + 1).map((l, k) => `${Math.max(0, at - context) + k === at ? '>' : ' '} ${l}`);
    return {
      status: 'fail',
      report: `${f.checks}:${failure.directive.line}: ${failure.message}\n(the run ended: ${run.end}; ${run.lines.checkLines.length.toLocaleString('en-US')} lines checked, events and 'console:' lines)\n` + near.join('\n'),
      text: null,
    };
  }
  const text = goldenText(run);
  if (!existsSync(f.golden)) return { status: 'new', text };
  const expected = parseGoldenText(readFileSync(f.golden, 'latin1'));
  const report = compareLines({ label: f.golden, lines: expected.lines }, { label: `${cfg.name}, this run`, lines: run.lines.lines, places: run.lines.places }, context);
  if (report) return { status: 'fail', report, text };
  if (expected.end !== run.end) return { status: 'fail', report: `the events match, but the run ended differently: golden '${expected.end ?? '(no end line)'}', this run '${run.end}'`, text };
  return { status: 'pass', events: run.lines.events };
}

/** Writes NAME.golden.new. */
export function writePending(dir: string, name: string, text: string): string {
  const p = goldenFiles(dir, name).pending;
  writeFileSync(p, text, 'latin1');
  return p;
}

/** Removes a stale NAME.golden.new (the run matches the golden again). */
export function removePending(dir: string, name: string): boolean {
  const p = goldenFiles(dir, name).pending;
  if (!existsSync(p)) return false;
  unlinkSync(p);
  return true;
}

/** NAME.golden.new becomes NAME.golden. */
export function acceptPending(dir: string, name: string): boolean {
  const f = goldenFiles(dir, name);
  if (!existsSync(f.pending)) return false;
  renameSync(f.pending, f.golden);
  return true;
}

/** A report of the pending change of `name` against its golden (for review). */
export function pendingReport(dir: string, name: string, context = DEFAULT_CONTEXT): string {
  const f = goldenFiles(dir, name);
  const next = parseGoldenText(readFileSync(f.pending, 'latin1'));
  if (!existsSync(f.golden)) return `new golden ${f.golden}: ${next.lines.length.toLocaleString('en-US')} event lines, ending '${next.end ?? '?'}'\n` + next.lines.slice(0, 2 * context + 1).map((l) => `+${l}`).join('\n');
  const old = parseGoldenText(readFileSync(f.golden, 'latin1'));
  const report = compareLines({ label: f.golden, lines: old.lines }, { label: f.pending, lines: next.lines }, context);
  return report ?? `the events match; the end line changes: '${old.end ?? '(none)'}' -> '${next.end ?? '(none)'}'`;
}

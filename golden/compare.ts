// Comparing a run's golden lines with the expected ones: the first divergent
// event, where it happened on each side, and a unified diff (the `diff`
// package) around it with N lines of context.
import { structuredPatch } from 'diff';
import { describePlace, placeOfLine, type EventPlace } from './lines.js';

export const DEFAULT_CONTEXT = 5;

export interface Side {
  /** Label in the report and the diff header ('golden/cases/selftest.golden', 'this run'). */
  label: string;
  lines: readonly string[];
  /** Where each line's event happened, when known (else parsed from the line). */
  places?: readonly EventPlace[];
}

/** Index of the first line that differs, or -1 when the two are equal. */
export function firstDifference(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function where(side: Side, i: number): string {
  if (i >= side.lines.length) return `(the end: ${side.lines.length.toLocaleString('en-US')} events)`;
  const p = side.places?.[i] ?? placeOfLine(side.lines[i]!);
  return `${side.lines[i]}${p ? `\n      (${describePlace(p)})` : ''}`;
}

/** A report of how `b` differs from `a` (null when equal): the first divergent
 *  event on each side, then a unified diff of the lines around it. */
export function compareLines(a: Side, b: Side, context = DEFAULT_CONTEXT): string | null {
  const i = firstDifference(a.lines, b.lines);
  if (i < 0) return null;
  const from = Math.max(0, i - context);
  const to = i + 2 * context + 1;
  const windowA = a.lines.slice(from, to);
  const windowB = b.lines.slice(from, to);
  const patch = structuredPatch(a.label, b.label, windowA.join('\n') + '\n', windowB.join('\n') + '\n', undefined, undefined, { context });
  const out: string[] = [];
  const w = Math.max(a.label.length, b.label.length);
  out.push(`first divergent event: line ${(i + 1).toLocaleString('en-US')} (${a.lines.length.toLocaleString('en-US')} lines in ${a.label}, ${b.lines.length.toLocaleString('en-US')} in ${b.label})`);
  out.push(`  ${(a.label + ':').padEnd(w + 1)} ${where(a, i)}`);
  out.push(`  ${(b.label + ':').padEnd(w + 1)} ${where(b, i)}`);
  out.push(`--- ${a.label}`, `+++ ${b.label}`);
  const hunk = patch.hunks[0];
  if (hunk) {
    out.push(`@@ -${hunk.oldStart + from},${hunk.oldLines} +${hunk.newStart + from},${hunk.newLines} @@`);
    for (const l of hunk.lines) if (!l.startsWith('\\')) out.push(l);
  }
  let differing = 0;
  const n = Math.max(a.lines.length, b.lines.length);
  for (let k = i; k < n; k++) if (a.lines[k] !== b.lines[k]) differing++;
  const shown = hunk ? hunk.lines.filter((l) => l.startsWith('-')).length : 0;
  if (differing > shown) out.push(`... ${differing.toLocaleString('en-US')} lines differ from line ${(i + 1).toLocaleString('en-US')} on (the first ${shown} are shown)`);
  return out.join('\n');
}

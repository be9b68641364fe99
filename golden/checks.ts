// Partial matching for long runs, as LLVM's FileCheck does it: a golden's
// NAME.checks file lists patterns that must match lines of the run in order.
//
//   CHECK: TEXT        the next line (after the previous match) containing TEXT
//   CHECK-NEXT: TEXT   the line right after the previous match contains TEXT
//   CHECK-NOT: TEXT    no line between the previous match and the next
//                      CHECK's match (or the end) contains TEXT
//   IMPLICIT-CHECK-NOT: TEXT   no line anywhere contains TEXT (FileCheck's
//                      --implicit-check-not, as a directive)
//
// TEXT is matched literally except {{...}}, a JavaScript regular expression
// (FileCheck's syntax). Lines starting with '#' and blank lines are comments.
// The lines checked are the golden's event lines (redactions applied) and,
// where a console line ends, 'console: TEXT' (the UART output line, without
// its CR/LF), so milestones can be console text or events.
export type CheckKind = 'CHECK' | 'CHECK-NEXT' | 'CHECK-NOT' | 'IMPLICIT-CHECK-NOT';

export interface CheckDirective {
  kind: CheckKind;
  text: string;
  /** 1-based line in the checks file. */
  line: number;
  re: RegExp;
}

export class ChecksError extends Error {}

function patternRegExp(text: string, where: string): RegExp {
  let src = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open < 0) {
      src += escape(text.slice(i));
      break;
    }
    const close = text.indexOf('}}', open + 2);
    if (close < 0) throw new ChecksError(`${where}: '{{' without '}}'`);
    src += escape(text.slice(i, open)) + '(?:' + text.slice(open + 2, close) + ')';
    i = close + 2;
  }
  try {
    return new RegExp(src);
  } catch (e) {
    throw new ChecksError(`${where}: bad regular expression: ${(e as Error).message}`);
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Parse a checks file (`file` names it in messages). */
export function parseChecks(source: string, file: string): CheckDirective[] {
  const out: CheckDirective[] = [];
  source.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    const m = /^(CHECK|CHECK-NEXT|CHECK-NOT|IMPLICIT-CHECK-NOT):\s?(.*)$/.exec(t);
    const where = `${file}:${i + 1}`;
    if (!m) throw new ChecksError(`${where}: expected 'CHECK:', 'CHECK-NEXT:', 'CHECK-NOT:' or 'IMPLICIT-CHECK-NOT:', got '${t.slice(0, 40)}'`);
    const text = m[2]!;
    if (text.trim() === '') throw new ChecksError(`${where}: empty pattern`);
    const kind = m[1] as CheckKind;
    if (kind === 'CHECK-NEXT' && (out.length === 0 || out[out.length - 1]!.kind.endsWith('NOT'))) throw new ChecksError(`${where}: CHECK-NEXT must follow a CHECK or CHECK-NEXT`);
    out.push({ kind, text, line: i + 1, re: patternRegExp(text, where) });
  });
  if (!out.some((d) => !d.kind.endsWith('NOT'))) throw new ChecksError(`${file}: no CHECK line`);
  return out;
}

export interface CheckFailure {
  directive: CheckDirective;
  /** What went wrong, one line. */
  message: string;
  /** Index in `lines` of the offending line (CHECK-NOT, CHECK-NEXT) or where the search began (CHECK). */
  at: number;
}

/** Runs the directives over `lines`; null when all hold, else the first failure. */
export function runChecks(directives: readonly CheckDirective[], lines: readonly string[]): CheckFailure | null {
  let pos = 0; // first line the next CHECK may match
  let lastMatch = -1;
  let nots: CheckDirective[] = [];
  for (const d of directives) {
    if (d.kind !== 'IMPLICIT-CHECK-NOT') continue;
    const i = lines.findIndex((l) => d.re.test(l));
    if (i >= 0) return { directive: d, at: i, message: `IMPLICIT-CHECK-NOT '${d.text}' matched line ${i + 1}: ${lines[i]}` };
  }
  const notsBetween = (from: number, to: number): CheckFailure | null => {
    for (const d of nots) {
      for (let i = from; i < to; i++) {
        if (d.re.test(lines[i]!)) return { directive: d, at: i, message: `CHECK-NOT '${d.text}' matched line ${i + 1}: ${lines[i]}` };
      }
    }
    return null;
  };
  for (const d of directives) {
    if (d.kind === 'IMPLICIT-CHECK-NOT') continue;
    if (d.kind === 'CHECK-NOT') {
      nots.push(d);
      continue;
    }
    if (d.kind === 'CHECK-NEXT') {
      const i = lastMatch + 1;
      if (i >= lines.length || !d.re.test(lines[i]!)) {
        return { directive: d, at: i, message: `CHECK-NEXT '${d.text}' does not match the line after line ${lastMatch + 1}${i < lines.length ? `: ${lines[i]}` : ' (the end)'}` };
      }
      lastMatch = i;
      pos = i + 1;
      continue;
    }
    let found = -1;
    for (let i = pos; i < lines.length; i++) {
      if (d.re.test(lines[i]!)) {
        found = i;
        break;
      }
    }
    if (found < 0) {
      return { directive: d, at: pos, message: `CHECK '${d.text}' not found after ${lastMatch < 0 ? 'the start' : `line ${lastMatch + 1}: ${lines[lastMatch]}`}` };
    }
    const bad = notsBetween(pos, found);
    if (bad) return bad;
    nots = [];
    lastMatch = found;
    pos = found + 1;
  }
  return notsBetween(pos, lines.length);
}

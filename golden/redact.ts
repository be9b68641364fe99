// Redactions: named selectors over event fields that replace a value which
// legitimately varies (a tick, a handle, an address) by a placeholder, or
// remove a whole kind of event, before a run is compared with its golden.
//
// A selector is KIND[.FIELD[.INDEX]]:
//   KIND   an event kind or a glob over kinds ('*' stands for any run of
//          characters); a '.' may stand for a kind's '-' (uart.*.tick =
//          uart-*.tick). The longest prefix that names a kind wins.
//   FIELD  seq, tick, cpu, or one of the kind's fields (docs/golden.md);
//          absent: every event of the kind is left out of the golden.
//   INDEX  one element of a list field (psci.args.0).
// A redacted value prints as <NAME> (NAME: the rule's `as`, default the
// field), or with `alias` as <NAME#k>, where k numbers the distinct values in
// order of first appearance, so links between repeated values survive (the
// same handle is <handle#1> everywhere), as ApprovalTests' ScrubWithAliases.
// Rules that share a NAME share the numbering.
import { TRACE_KINDS, type TraceEvent, type TraceKind } from '../core/trace/events.js';
import { BASE_FIELDS, checkTemplate, kindFields, renderEvent, type FieldHook } from './render.js';

export interface RedactionRule {
  select: string;
  /** Placeholder name (default: the field name). */
  as?: string;
  /** Number distinct values: <as#1>, <as#2>, ... */
  alias?: boolean;
}

interface Selector {
  kinds: Set<TraceKind>;
  field: string | null;
  index: number | null;
  name: string;
  alias: boolean;
}

export class RedactionError extends Error {}

function globToRegExp(glob: string): RegExp {
  return new RegExp('^' + glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
}

/** Parse one rule; throws RedactionError with a one-line reason. */
export function parseSelector(rule: RedactionRule): Selector {
  const raw = rule.select.trim();
  if (raw === '') throw new RedactionError('empty selector');
  const parts = raw.split('.');
  for (let k = parts.length; k >= 1; k--) {
    const re = globToRegExp(parts.slice(0, k).join('-'));
    const kinds = TRACE_KINDS.filter((kind) => re.test(kind));
    if (kinds.length === 0) continue;
    const rest = parts.slice(k);
    if (rest.length > 2) throw new RedactionError(`selector '${raw}': expected KIND[.FIELD[.INDEX]]`);
    const field = rest[0] ?? null;
    const indexText = rest[1];
    if (indexText !== undefined && !/^[0-9]+$/.test(indexText)) throw new RedactionError(`selector '${raw}': '${indexText}' is not a list index`);
    if (field !== null) {
      const known = (kind: TraceKind): boolean => (BASE_FIELDS as readonly string[]).includes(field) || kindFields(kind).includes(field);
      if (!kinds.some(known)) {
        const names = [...new Set([...BASE_FIELDS, ...kinds.flatMap((x) => kindFields(x))])];
        throw new RedactionError(`selector '${raw}': ${kinds.length === 1 ? `'${kinds[0]}' events have` : 'those events have'} no field '${field}' (fields: ${names.join(', ')})`);
      }
    }
    if (rule.alias && field === null) throw new RedactionError(`selector '${raw}': alias needs a field (a whole kind is left out)`);
    return { kinds: new Set(kinds), field, index: indexText === undefined ? null : Number(indexText), name: rule.as ?? field ?? '', alias: rule.alias === true };
  }
  throw new RedactionError(`selector '${raw}': no event kind matches '${parts[0]}' (kinds: ${TRACE_KINDS.join(', ')})`);
}

/** Applies a golden's rules to a run's events, keeping alias numbering across calls. */
export class Redactor {
  private readonly selectors: Selector[];
  private readonly dropped = new Set<TraceKind>();
  /** Field rules per kind. */
  private readonly byKind = new Map<TraceKind, Selector[]>();
  /** name -> value -> k */
  private readonly aliases = new Map<string, Map<string, number>>();
  private readonly checked = new Set<TraceKind>();

  constructor(rules: readonly RedactionRule[]) {
    this.selectors = rules.map(parseSelector);
    for (const s of this.selectors) {
      for (const k of s.kinds) {
        if (s.field === null) this.dropped.add(k);
        else this.byKind.set(k, [...(this.byKind.get(k) ?? []), s]);
      }
    }
  }

  /** The golden line of `e`, or null when its kind is left out. */
  line(e: TraceEvent): string | null {
    if (this.dropped.has(e.kind)) return null;
    const rules = this.byKind.get(e.kind);
    if (!rules) return renderEvent(e);
    if (!this.checked.has(e.kind)) {
      const problem = checkTemplate(e);
      if (problem) throw new Error(problem);
      this.checked.add(e.kind);
    }
    const hook: FieldHook = (field, index, raw, text) => {
      for (const s of rules) {
        if (s.field !== field) continue;
        if (s.index !== null && s.index !== index) continue;
        if (!s.alias) return `<${s.name}>`;
        return `<${s.name}#${this.alias(s.name, index === undefined && Array.isArray(raw) ? JSON.stringify(raw) : String(raw))}>`;
      }
      return text;
    };
    return renderEvent(e, hook);
  }

  private alias(name: string, value: string): number {
    let m = this.aliases.get(name);
    if (!m) this.aliases.set(name, (m = new Map()));
    let k = m.get(value);
    if (k === undefined) m.set(value, (k = m.size + 1));
    return k;
  }
}

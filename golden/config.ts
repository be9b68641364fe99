// A golden's committed configuration, NAME.json in the goldens directory
// (golden/cases): the scenario to run, the redactions, how to compare.
//
//   {
//     "about": "what the scenario shows",
//     "record": ["selftest", "--bare"],      // `hvrr record` arguments (no -o)
//     "redact": [{ "select": "*.tick" }, { "select": "ffa.handle", "alias": true }],
//     "input": "poweroff -f\n",               // console input (held as record holds it)
//     "until": "TEXT",                        // stop once the console prints TEXT
//     "match": "full" | "checks",             // checks: NAME.checks, partial (FileCheck)
//     "tier": "linux"                         // needs the Linux guest artifacts
//   }
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSelector, RedactionError, type RedactionRule } from './redact.js';

export const TIERS = ['default', 'linux'] as const;
export type Tier = (typeof TIERS)[number];

export interface GoldenConfig {
  name: string;
  about: string;
  record: string[];
  redact: RedactionRule[];
  input?: string;
  until?: string;
  match: 'full' | 'checks';
  tier: Tier;
}

export class GoldenConfigError extends Error {}

const KEYS = ['about', 'record', 'redact', 'input', 'until', 'match', 'tier'];

/** Golden names: file-name safe, no dots (NAME.golden.new must be unambiguous). */
export const NAME_RE = /^[a-z0-9][a-z0-9_-]*$/;

/** Validates a parsed NAME.json; throws GoldenConfigError with a one-line reason. */
export function parseConfig(name: string, v: unknown, file: string): GoldenConfig {
  const bad = (what: string): never => {
    throw new GoldenConfigError(`${file}: ${what}`);
  };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad('expected a JSON object');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) bad(`unknown key '${k}' (keys: ${KEYS.join(', ')})`);
  if (typeof o.about !== 'string' || o.about.trim() === '') bad("'about' must say what the scenario shows");
  if (!Array.isArray(o.record) || !o.record.every((a) => typeof a === 'string')) bad("'record' must be a list of `hvrr record` arguments");
  const record = o.record as string[];
  if (record.some((a) => a === '-o' || a.startsWith('--output'))) bad("'record' must not name an output file");
  const redact = (o.redact ?? []) as unknown;
  if (!Array.isArray(redact)) bad("'redact' must be a list of {select, as?, alias?}");
  const rules: RedactionRule[] = [];
  for (const r of redact as unknown[]) {
    if (typeof r !== 'object' || r === null || typeof (r as RedactionRule).select !== 'string') bad("each 'redact' entry needs a 'select' string");
    const rule = r as Record<string, unknown>;
    for (const k of Object.keys(rule)) if (!['select', 'as', 'alias'].includes(k)) bad(`redaction '${String(rule.select)}': unknown key '${k}' (keys: select, as, alias)`);
    if (rule.as !== undefined && (typeof rule.as !== 'string' || !/^[A-Za-z0-9_-]+$/.test(rule.as))) bad(`redaction '${String(rule.select)}': 'as' must be a word`);
    if (rule.alias !== undefined && typeof rule.alias !== 'boolean') bad(`redaction '${String(rule.select)}': 'alias' must be true or false`);
    try {
      parseSelector(rule as unknown as RedactionRule);
    } catch (e) {
      if (e instanceof RedactionError) bad(e.message);
      throw e;
    }
    rules.push(rule as unknown as RedactionRule);
  }
  for (const k of ['input', 'until'] as const) if (o[k] !== undefined && (typeof o[k] !== 'string' || o[k] === '')) bad(`'${k}' must be non-empty text`);
  const match = o.match ?? 'full';
  if (match !== 'full' && match !== 'checks') bad("'match' must be 'full' or 'checks'");
  const tier = o.tier ?? 'default';
  if (!(TIERS as readonly unknown[]).includes(tier)) bad(`'tier' must be one of ${TIERS.join(', ')}`);
  return {
    name, about: o.about as string, record, redact: rules, match: match as GoldenConfig['match'], tier: tier as Tier,
    ...(o.input !== undefined ? { input: o.input as string } : {}),
    ...(o.until !== undefined ? { until: o.until as string } : {}),
  };
}

/** The files of golden NAME in `dir`. */
export function goldenFiles(dir: string, name: string): { config: string; golden: string; pending: string; checks: string } {
  return { config: join(dir, `${name}.json`), golden: join(dir, `${name}.golden`), pending: join(dir, `${name}.golden.new`), checks: join(dir, `${name}.checks`) };
}

export function loadConfig(dir: string, name: string): GoldenConfig {
  const file = goldenFiles(dir, name).config;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new GoldenConfigError(`no golden '${name}' (${file} is missing)`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new GoldenConfigError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return parseConfig(name, v, file);
}

export interface GoldenDirListing {
  /** Names with a NAME.json, sorted. */
  names: string[];
  /** NAME.golden / NAME.checks / NAME.golden.new files whose NAME.json is gone. */
  obsolete: string[];
  /** Names with a pending NAME.golden.new. */
  pending: string[];
}

export function listGoldens(dir: string): GoldenDirListing {
  if (!existsSync(dir)) throw new GoldenConfigError(`goldens directory '${dir}' does not exist`);
  const files = readdirSync(dir).sort();
  const names = files.filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).filter((n) => NAME_RE.test(n));
  const known = new Set(names);
  const obsolete: string[] = [];
  const pending: string[] = [];
  for (const f of files) {
    const m = /^(.*)\.(golden|checks|golden\.new)$/.exec(f);
    if (!m) continue;
    if (!known.has(m[1]!)) obsolete.push(join(dir, f));
    else if (m[2] === 'golden.new') pending.push(m[1]!);
  }
  return { names, obsolete, pending };
}

// A small command-line option parser (no dependency) and the value parsers
// shared by the commands. Every problem is a UsageError naming the option.
import { UsageError } from './errors.js';

export interface OptionSpec<T = unknown> {
  /** Long name without dashes, e.g. 'kernel'. */
  name: string;
  /** Placeholder shown in help, e.g. 'FILE'; absent for a flag. */
  value?: string;
  help: string;
  /** Parse and validate the value (flags get no parser). */
  parse?: (raw: string, option: string) => T;
  /** May be given more than once: the value is the array of every value, in order. */
  repeatable?: boolean;
}

export interface ParsedArgs {
  options: Map<string, unknown>;
  positionals: string[];
  help: boolean;
}

/**
 * Parse `--name value`, `--name=value`, flags, `-h`/`--help` and `--` (end of
 * options). Positionals are returned as-is; a repeated option keeps its last
 * value, or every value (an array) when its spec is `repeatable`.
 */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const options = new Map<string, unknown>();
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unknown option '${arg}' (options are long: --name VALUE; see --help)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`unknown option '--${name}' (see --help)`);
    const option = `--${name}`;
    if (!spec.parse) {
      if (eq >= 0) throw new UsageError(`option ${option} takes no value`);
      options.set(name, true);
      continue;
    }
    let raw: string;
    if (eq >= 0) {
      raw = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UsageError(`option ${option} needs a value (${spec.value ?? 'VALUE'})`);
      raw = next;
      i++;
    }
    const value = spec.parse(raw, option);
    if (spec.repeatable) options.set(name, [...((options.get(name) as unknown[] | undefined) ?? []), value]);
    else options.set(name, value);
  }
  return { options, positionals, help };
}

/** Help text for a list of options, aligned. */
export function formatOptions(specs: readonly OptionSpec[]): string {
  const heads = specs.map((s) => `  --${s.name}${s.value ? ` ${s.value}` : ''}`);
  const width = Math.max(...heads.map((h) => h.length)) + 2;
  return specs.map((s, i) => heads[i]!.padEnd(width) + s.help.replace(/\n/g, '\n' + ' '.repeat(width))).join('\n');
}

// ---- value parsers ----

const DIGITS = /^[0-9]+(?:_[0-9]+)*$/;

/** A non-negative decimal integer (underscores allowed between digits) as a bigint, or null. */
function decimal(s: string): bigint | null {
  return DIGITS.test(s) ? BigInt(s.replace(/_/g, '')) : null;
}

/**
 * A byte size: plain bytes or a K/M/G/T suffix (binary: 1K = 1024), optional
 * trailing 'B' or 'iB' ("512M", "1G", "1GiB", "268435456").
 */
export function parseSize(raw: string, option: string): number {
  const m = /^([0-9_]+)\s*([KMGT]?)(?:i?B)?$/i.exec(raw.trim());
  const n = m ? decimal(m[1]!) : null;
  if (!m || n === null) throw new UsageError(`${option}: '${raw}' is not a size (use bytes or a K/M/G suffix, e.g. 512M or 1G)`);
  const shift = { '': 0n, K: 10n, M: 20n, G: 30n, T: 40n }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  const v = n << shift;
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new UsageError(`${option}: '${raw}' is too large`);
  return Number(v);
}

/**
 * A positive count with an optional decimal K/M/G suffix (powers of 1000:
 * 2G = 2,000,000,000), or plain digits; at most Number.MAX_SAFE_INTEGER.
 */
export function parseCount(raw: string, option: string, max = Number.MAX_SAFE_INTEGER, allowZero = false): number {
  const m = /^([0-9_]+)([KMG]?)$/i.exec(raw.trim());
  const n = m ? decimal(m[1]!) : null;
  if (!m || n === null) throw new UsageError(`${option}: '${raw}' is not a positive integer (suffixes K/M/G = 10^3/10^6/10^9 allowed)`);
  const mult = { '': 1n, K: 1000n, M: 1_000_000n, G: 1_000_000_000n }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  const v = n * mult;
  if (v === 0n && !allowZero) throw new UsageError(`${option}: must be at least 1, got '${raw}'`);
  if (v > BigInt(max)) throw new UsageError(`${option}: '${raw}' is too large (at most ${max.toLocaleString('en-US')})`);
  return Number(v);
}

/** An integer in [min, max] (decimal only). */
export function parseIntRange(raw: string, option: string, min: number, max: number): number {
  const n = decimal(raw.trim());
  if (n === null || n < BigInt(min) || n > BigInt(max)) throw new UsageError(`${option}: '${raw}' is not an integer from ${min} to ${max}`);
  return Number(n);
}

/** A 64-bit unsigned seed: decimal or 0x hex. */
export function parseSeed(raw: string, option: string): bigint {
  const s = raw.trim();
  let v: bigint | null = null;
  if (/^0x[0-9a-f]+(?:_[0-9a-f]+)*$/i.test(s)) v = BigInt('0x' + s.slice(2).replace(/_/g, ''));
  else v = decimal(s);
  if (v === null) throw new UsageError(`${option}: '${raw}' is not a non-negative integer (decimal or 0x hex)`);
  if (v >= 1n << 64n) throw new UsageError(`${option}: '${raw}' does not fit in 64 bits`);
  return v;
}

/** A string value (any text, including empty). */
export function parseString(raw: string): string {
  return raw;
}

// Versioned state records: how every component loads a record written by an
// older hvrr instead of refusing it (ARCHITECTURE.md principle 3). Two
// mechanisms, as QEMU's vmstate and Firecracker's snapshots do it:
//  - fields added later without changing the meaning of the others are
//    declared optional (QEMU vmstate subsections, Firecracker's per-field
//    defaults): a record that lacks one takes the value the component has at
//    reset. A CPU record without a system register added since loads it with
//    the register's reset value ('sysregs.*');
//  - a change of meaning bumps the version and comes with an upgrade step
//    from the version before (version n -> n + 1), applied in order.
// Every other field is required: a record without one is refused naming it,
// as are records newer than this hvrr and ones a step cannot convert.
//
// Pure functions over plain data; records are never modified in place.

export interface RecordSchema {
  /** What the record is, for messages ("GIC state"). */
  readonly name: string;
  /** The version this hvrr writes. */
  readonly version: number;
  /** The oldest version it reads (default 1). */
  readonly oldest?: number;
  /** steps[n] turns a version-n record (a private copy) into version n + 1,
   *  or returns an Error saying why it cannot. */
  readonly steps?: Readonly<Record<number, (r: Record<string, unknown>) => void | Error>>;
  /** Fields that may be absent (added after records of this version were
   *  first written), as paths: 'a.b' a nested field, '*' any key of a map,
   *  'list[]' every element of an array ('cpus[].sec', 'sysregs.*'). */
  readonly optional?: readonly string[];
}

export class StateRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateRecordError';
  }
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || ArrayBuffer.isView(x)) return false;
  const p = Object.getPrototypeOf(x) as unknown;
  return p === Object.prototype || p === null;
}

/** `record` with every field it lacks taken from `defaults`, recursively into
 *  plain objects and into the elements of arrays of them (a per-CPU array:
 *  element i from defaults element i). Scalars, typed arrays and the length
 *  of arrays in the record are kept as they are. With `mayLack`, only fields
 *  whose path it accepts are filled; the paths of the others are pushed to
 *  `missing`. */
export function withDefaults(
  record: Record<string, unknown>,
  defaults: Record<string, unknown>,
  mayLack: (path: string) => boolean = () => true,
  missing: string[] = [],
  at = '',
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...record };
  for (const [k, d] of Object.entries(defaults)) {
    const path = at === '' ? k : `${at}.${k}`;
    const v = out[k];
    if (v === undefined) {
      if (mayLack(path)) out[k] = structuredClone(d);
      else missing.push(path);
    } else {
      out[k] = merge(v, d, mayLack, missing, path);
    }
  }
  return out;
}

function merge(v: unknown, d: unknown, mayLack: (path: string) => boolean, missing: string[], path: string): unknown {
  if (isPlainObject(v) && isPlainObject(d)) return withDefaults(v, d, mayLack, missing, path);
  if (Array.isArray(v) && Array.isArray(d)) return v.map((x, i) => (i < d.length ? merge(x, d[i], mayLack, missing, `${path}[]`) : x));
  return v;
}

/** Does `path` match one of the schema's optional patterns? */
function matcher(patterns: readonly string[]): (path: string) => boolean {
  const res = patterns.map((p) => new RegExp('^' + p.split('.').map((seg) => (seg === '*' ? '[^.]+' : seg.replace(/[[\]]/g, '\\$&'))).join('\\.') + '$'));
  return (path) => res.some((r) => r.test(path));
}

/** Check that `st` has a version this hvrr reads (for containers too large to
 *  copy, whose parts are upgraded one by one); returns the version. */
export function readableVersion(schema: RecordSchema, st: unknown): number {
  if (!isPlainObject(st)) throw new StateRecordError(`${schema.name} is not a record`);
  const v = st['version'];
  const oldest = schema.oldest ?? 1;
  const reads = oldest === schema.version ? `${schema.version}` : `${oldest} to ${schema.version}`;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new StateRecordError(`${schema.name} has no version`);
  if (v > schema.version) throw new StateRecordError(`${schema.name} version ${v} is newer than this hvrr reads (${reads})`);
  if (v < oldest) throw new StateRecordError(`${schema.name} version ${v} is not supported (this hvrr reads ${reads})`);
  return v;
}

/**
 * `st` as a record of `schema.version`: a copy, upgraded step by step from
 * its version, then, when `defaults` (the component's reset-state record) is
 * given, checked for every field it has: an optional one the record lacks is
 * taken from it, a required one is an error. Throws a StateRecordError naming
 * the component.
 */
export function upgradeRecord<T>(schema: RecordSchema, st: unknown, defaults?: T): T {
  const v = readableVersion(schema, st);
  let r = structuredClone(st as Record<string, unknown>);
  for (let n = v; n < schema.version; n++) {
    const step = schema.steps?.[n];
    if (!step) throw new StateRecordError(`${schema.name} version ${n} cannot be upgraded (no step to ${n + 1})`);
    const e = step(r);
    if (e instanceof Error) throw new StateRecordError(`${schema.name} version ${n}: ${e.message}`);
    r['version'] = n + 1;
  }
  if (defaults !== undefined) {
    const missing: string[] = [];
    r = withDefaults(r, defaults as Record<string, unknown>, matcher(schema.optional ?? []), missing);
    if (missing.length > 0) throw new StateRecordError(`${schema.name} lacks ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}`);
  }
  return r as T;
}

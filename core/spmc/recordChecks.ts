// Field checks for the SPMC modules' saved records (the ledger, the
// notification table, the mailbox): a damaged or hand-edited snapshot is
// refused with one line naming the first bad field, instead of failing later
// inside an FF-A call. Types and ranges only; each module's invariants are
// its own operations' business.

export type Check = (v: unknown, path: string) => void;

class FieldError extends Error {}

const fail = (path: string, want: string, v: unknown): never => {
  throw new FieldError(`${path}: want ${want}, got ${JSON.stringify(v) ?? String(v)}`);
};

const HEX64 = /^0x[0-9a-f]{1,16}$/;

export const int = (min: number, max: number): Check => (v, path) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) fail(path, `an integer ${min}..${max}`, v);
};
export const hex64: Check = (v, path) => {
  if (typeof v !== 'string' || !HEX64.test(v)) fail(path, 'a 64-bit hex string', v);
};
export const oneOf = (values: readonly unknown[]): Check => (v, path) => {
  if (!values.includes(v)) fail(path, `one of ${values.join(', ')}`, v);
};
export const bool: Check = (v, path) => {
  if (typeof v !== 'boolean') fail(path, 'a boolean', v);
};
export const nullable = (c: Check): Check => (v, path) => {
  if (v !== null) c(v, path);
};
export const list = (c: Check): Check => (v, path) => {
  if (!Array.isArray(v)) return fail(path, 'an array', v);
  v.forEach((x, i) => c(x, `${path}[${i}]`));
};
export const record = (fields: Record<string, Check>): Check => (v, path) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(path, 'an object', v);
  const o = v as Record<string, unknown>;
  for (const [k, c] of Object.entries(fields)) c(o[k], `${path}.${k}`);
};
export const dictionary = (key: Check, c: Check): Check => (v, path) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(path, 'an object', v);
  for (const [k, x] of Object.entries(v)) {
    key(k, `${path} key`);
    c(x, `${path}[${k}]`);
  }
};

export const U8 = int(0, 0xff);
export const U16 = int(0, 0xffff);
export const U32 = int(0, 0xffff_ffff);

/** Throws one line, "<name> <path>: want ..., got ...", for the first field of `v` that `check` refuses. */
export function checkRecord(name: string, check: Check, v: unknown): void {
  try {
    check(v, '');
  } catch (e) {
    if (e instanceof FieldError) throw new Error(`${name} ${e.message}`);
    throw e;
  }
}

// The images a run uses, as recorded in a trace header (role, path or
// built-in guest, SHA-256, size), and the check that replay uses the same.
import { createHash } from 'node:crypto';
import type { ImageDigest } from '../../replay/traceFile.js';
import { CliError } from '../errors.js';
import { DEFAULT_GUEST, builtinImage, isBuiltinGuest } from './guests.js';
import { readInputFile, type RunOptions } from './run.js';

const EMBEDDED = 'embedded:';

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function digest(name: string, bytes: Uint8Array): ImageDigest {
  return { name, sha256: sha256(bytes), size: bytes.length };
}

/** Digests of every image a run uses, named `role:path` or `kernel:embedded:<guest>`. */
export function imageDigests(opts: RunOptions): ImageDigest[] {
  const out: ImageDigest[] = [];
  if (opts.kernel === undefined && opts.bios === undefined) {
    const g = opts.guest ?? DEFAULT_GUEST;
    out.push(digest(`kernel:${EMBEDDED}${g}`, builtinImage(g)));
  }
  for (const [role, path] of [['kernel', opts.kernel], ['initrd', opts.initrd], ['dtb', opts.dtb], ['disk', opts.disk], ['bios', opts.bios], ['pflash', opts.pflash], ['secure-payload', opts.securePayload]] as const) {
    if (path !== undefined) out.push(digest(`${role}:${path}`, readInputFile(role, path)));
  }
  for (const path of opts.sp ?? []) out.push(digest(`sp:${path}`, readInputFile('SP package', path)));
  return out;
}

/** Refuse to replay with images that differ from the recorded ones, naming which. */
export function checkImages(images: readonly ImageDigest[]): void {
  for (const img of images) {
    const sep = img.name.indexOf(':');
    const role = img.name.slice(0, sep);
    const where = img.name.slice(sep + 1);
    const builtin = where.startsWith(EMBEDDED) ? where.slice(EMBEDDED.length) : null;
    if (builtin !== null && !isBuiltinGuest(builtin)) throw new CliError(`the recording used a built-in guest '${builtin}' this hvrr does not have`);
    const bytes = builtin !== null && isBuiltinGuest(builtin) ? builtinImage(builtin) : readInputFile(role, where);
    const got = sha256(bytes);
    if (got !== img.sha256) {
      throw new CliError(`${role} ${builtin !== null ? `(built-in ${builtin})` : `'${where}'`} does not match the recording: sha256 ${got.slice(0, 16)}…, recorded ${img.sha256.slice(0, 16)}…`);
    }
  }
}

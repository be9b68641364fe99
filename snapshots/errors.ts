// The one error type of snapshots/: every malformed input and every failed
// file operation is reported as a SnapshotError with a one-line message.

export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
  constructor(message: string) {
    super(message.replace(/\s*[\r\n]+\s*/g, ' ').trim());
  }
}

/** Run `f`, turning any foreign exception into a SnapshotError about `what`. */
export function guard<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof SnapshotError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new SnapshotError(`${what}: ${msg}`);
  }
}

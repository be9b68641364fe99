// What a command may touch of the outside world, injectable for tests.

/** Anything with a Node-stream-like write (process.stdout, a test buffer). */
export interface OutStream {
  write(chunk: string | Uint8Array): unknown;
}

/** The subset of a Node readable stream the CLI uses for guest console input. */
export interface InStream {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  on(event: 'data', fn: (chunk: Buffer | string) => void): unknown;
  on(event: 'end' | 'close', fn: () => void): unknown;
  off(event: string, fn: (...args: never[]) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface CliIO {
  stdout: OutStream;
  stderr: OutStream;
  /** Console input for the guest; null for none. */
  stdin: InStream | null;
  env: Readonly<Record<string, string | undefined>>;
  /** Install SIGINT handling (only when running as the real process). */
  handleSignals: boolean;
}

export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin as unknown as InStream,
    env: process.env,
    handleSignals: true,
  };
}

// What a command may touch of the outside world, injectable for tests.

/** Anything with a Node-stream-like write (process.stdout, a test buffer). */
export interface OutStream {
  write(chunk: string | Uint8Array): unknown;
}

/** The subset of a Node readable stream the CLI uses for guest console input. */
export interface InStream {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  // 'data' delivers Buffer | string; 'end' and 'close' no arguments.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  on(event: string, fn: (...args: any[]) => void): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  off(event: string, fn: (...args: any[]) => void): unknown;
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

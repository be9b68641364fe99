// Running the CLI in-process with captured output, for tests.
import { main } from './main.js';
import type { CliIO } from './io.js';

/** An output stream that keeps what was written. */
export class Sink {
  chunks: Buffer[] = [];
  write(c: string | Uint8Array): boolean {
    this.chunks.push(Buffer.from(c));
    return true;
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }
}

/** Run `hvrr <argv>` in-process; no stdin unless given, no signal handling. */
export async function runCli(argv: string[], extra: Partial<CliIO> = {}): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await main(argv, { stdout, stderr, stdin: null, env: {}, handleSignals: false, ...extra });
  return { code, out: stdout.text, err: stderr.text };
}

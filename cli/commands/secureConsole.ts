// The secure UART's output in `hvrr run`/`record`: on stderr, every line
// prefixed `[secure] `, so stdout stays exactly the Non-secure console (what
// pipes, goldens and scripts read) and the two streams cannot be confused.
// Lines are written whole; a partial line is written when the run ends (or
// when it grows past LINE_LIMIT bytes), ended with a newline.
import type { OutStream } from '../io.js';

export const SECURE_PREFIX = '[secure] ';
const LINE_LIMIT = 4096;

export class SecureConsole {
  private line: number[] = [];
  constructor(private readonly out: OutStream) {}
  push(byte: number): void {
    if (byte === 0x0a) {
      this.emit();
      return;
    }
    this.line.push(byte);
    if (this.line.length >= LINE_LIMIT) this.emit();
  }
  /** Write a partial line (the run ended). */
  flush(): void {
    if (this.line.length > 0) this.emit();
  }
  private emit(): void {
    this.out.write(SECURE_PREFIX + Buffer.from(this.line).toString('latin1') + '\n');
    this.line = [];
  }
}

/** The secure console as `[secure] ` lines, from its bytes (replay, dump). */
export function secureConsoleText(bytes: readonly number[]): string {
  const out: string[] = [];
  const c = new SecureConsole({ write: (t: string | Uint8Array) => out.push(String(t)) });
  for (const b of bytes) c.push(b);
  c.flush();
  return out.join('');
}

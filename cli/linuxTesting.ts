// Helpers for the Linux tier (cli/linux.test.ts): whole-machine tests that boot
// Debian's arm64 kernel with the BusyBox initramfs and ext2 test disk that
// scripts/linux-artifacts.sh caches, and assert on the guest console.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import type { InStream, OutStream } from './io.js';
import { cachedLinuxArtifacts, type LinuxArtifacts } from './commands/linux.js';

export type CachedLinuxArtifacts = LinuxArtifacts;

/** Whether the Linux tier is required (CI sets HVRR_LINUX_TESTS=1): then it
 *  runs, and fails when the artifacts are missing, instead of being skipped. */
export const LINUX_TESTS_REQUIRED = process.env['HVRR_LINUX_TESTS'] === '1';

/** The cached artifacts (scripts/linux-artifacts.sh --check), or why the tier is skipped. */
export function checkLinuxArtifacts(): { artifacts: CachedLinuxArtifacts | null; reason: string } {
  const r = cachedLinuxArtifacts();
  if (r.artifacts) return r;
  return {
    artifacts: null,
    reason: `Linux guest artifacts not cached (scripts/linux-artifacts.sh --check: ${r.reason}); run 'bash scripts/linux-artifacts.sh' or set HVRR_LINUX_TESTS=1 to require this tier`,
  };
}

/** Console input for runCli: the shell commands, then end of input. The CLI
 *  holds console input back until the guest prints HVRR-LINUX-READY, so the
 *  commands reach the shell rather than the booting kernel. */
export function shellInput(commands: string): InStream {
  return Readable.from([Buffer.from(commands.endsWith('\n') ? commands : commands + '\n', 'latin1')]) as unknown as InStream;
}

/** Console text with CRs dropped (the tty writes CRLF), for line-anchored matching. */
export function consoleLines(out: string): string {
  return out.replace(/\r/g, '');
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The exception count from `hvrr record`'s summary line. */
export function recordedExceptions(stderr: string): number {
  const m = /hvrr: recorded \S+ to .*?: [\d,]+ events, ([\d,]+) exceptions/.exec(stderr);
  if (!m) throw new Error(`no record summary in stderr:\n${stderr}`);
  return Number(m[1]!.replace(/,/g, ''));
}

/** The tail of a console log, for assertion messages. */
export function tail(text: string, lines = 40): string {
  return consoleLines(text).split('\n').slice(-lines).join('\n');
}

/** A console driven by what the guest prints: each step's text is typed once
 *  the console shows its `waitFor` (after the previous step's), as a user
 *  would; input ends after the last step. */
export function scriptedConsole(steps: Array<{ waitFor: string; type: string }>): { stdin: InStream; stdout: OutStream & { text: string } } {
  const stdin = new PassThrough();
  let next = 0;
  let from = 0;
  const stdout = {
    text: '',
    write(c: string | Uint8Array): boolean {
      stdout.text += Buffer.from(c).toString('latin1');
      while (next < steps.length) {
        const at = stdout.text.indexOf(steps[next]!.waitFor, from);
        if (at < 0) break;
        from = at + steps[next]!.waitFor.length;
        stdin.write(steps[next]!.type);
        if (++next === steps.length) stdin.end();
      }
      return true;
    },
  };
  return { stdin: stdin as unknown as InStream, stdout };
}

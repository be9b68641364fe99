// Help texts.
import { formatOptions } from './args.js';
import type { Command } from './commands/command.js';

export function helpFor(cmd: Command): string {
  let s = `Usage: hvrr ${cmd.usage}\n\n${cmd.summary}\n\nOptions:\n${formatOptions(cmd.options)}\n  -h, --help`;
  s += '\n';
  if (cmd.details) s += `\n${cmd.details}\n`;
  return s;
}

export function mainHelp(commands: readonly Command[], version: string): string {
  const w = Math.max(...commands.map((c) => c.name.length)) + 2;
  return `hvrr ${version}: deterministic AArch64 machine and hypervisor record/replay harness

Usage: hvrr <command> [options]
       hvrr <command> --help
       hvrr --version

Commands:
${commands.map((c) => `  ${c.name.padEnd(w)}${c.summary}`).join('\n')}

Exit status: 0 success, 1 internal error, 2 bad command line or input;
see 'hvrr <command> --help' for a command's own codes.
Set HVRR_DEBUG=1 to see stack traces of internal errors.
`;
}

// Every subcommand, in the order `hvrr --help` lists them. Later commands
// (record, replay, dump, fuzz, tui) are added here.
import type { Command } from './command.js';
import { runCommand } from './run.js';
import { dumpCommand } from './dump.js';
import { recordCommand } from './record.js';
import { replayCommand } from './replay.js';
import { verifyCommand } from './verify.js';
import { goldenCommand } from './golden.js';
import { tuiCommand } from './tui.js';
import { exportCommand } from './export.js';
import { fuzzCommand } from './fuzz.js';
import { elfCommand } from './elf.js';

export const COMMANDS: readonly Command[] = [runCommand, recordCommand, replayCommand, dumpCommand, verifyCommand, goldenCommand, tuiCommand, exportCommand, elfCommand, fuzzCommand];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}

// `hvrr elf GUEST -o OUT.elf`: a built-in guest as an ELF executable with its
// assembler labels as symbols (core/asm/elf.ts), so gdb can break at a label
// and watch a variable by name: `gdb-multiarch -ex 'file OUT.elf' -ex
// 'target remote :1234'` against `hvrr replay --gdb` (docs/gdb.md).
import { writeFileAtomic } from '../../snapshots/file.js';
import { parseArgs, parseString, type OptionSpec } from '../args.js';
import { CliError, UsageError } from '../errors.js';
import { helpFor } from '../help.js';
import type { Command } from './command.js';
import { BUILTIN_GUESTS, builtinElf, isBuiltinGuest } from './guests.js';

const OPTIONS: readonly OptionSpec[] = [{ name: 'output', value: 'OUT.elf', help: 'the file to write (also -o)', parse: parseString }];

export const elfCommand: Command = {
  name: 'elf',
  summary: 'write a built-in guest as an ELF file with its labels as symbols, for gdb',
  usage: 'elf GUEST -o OUT.elf',
  options: OPTIONS,
  details: `GUEST is one of ${Object.keys(BUILTIN_GUESTS).join(', ')}. The ELF holds the image hvrr loads
(one segment at its load address) and a symbol table: code labels as
functions, data labels (a label before .quad, .space...) as variables,
each sized to the next label. No debug info: gdb wants a cast to watch a
variable, e.g. 'watch (long)shared_counter'.

Exit status:
  0    written
  2    bad command line, OUT cannot be written`,
  async run(argv, io) {
    const { options: o, positionals, help } = parseArgs(argv.map((a) => (a === '-o' ? '--output' : a)), OPTIONS);
    if (help) {
      io.stdout.write(helpFor(elfCommand));
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing GUEST (usage: hvrr elf GUEST -o OUT.elf)' : `unexpected argument '${positionals[1]}'`);
    const guest = positionals[0]!;
    if (!isBuiltinGuest(guest)) throw new UsageError(`unknown built-in guest '${guest}' (guests: ${Object.keys(BUILTIN_GUESTS).join(', ')})`);
    const out = o.get('output') as string | undefined;
    if (!out) throw new UsageError('-o OUT.elf is required');
    try {
      writeFileAtomic(out, builtinElf(guest));
    } catch (e) {
      throw new CliError(`cannot write '${out}': ${(e as Error).message}`);
    }
    io.stderr.write(`hvrr elf: wrote ${guest} with its symbols to ${out} (in gdb: file ${out})\n`);
    return 0;
  },
};

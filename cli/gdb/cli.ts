// `--gdb [PORT|PATH]` for `hvrr replay` and `hvrr run`: serve one gdb
// connection on 127.0.0.1:PORT (default 1234; 0 picks a free port) or on a
// Unix socket PATH, print the command to type in gdb, and return when gdb
// detaches or disconnects.
import type { Machine } from '../../core/machine.js';
import type { DebugSession } from '../../replay/debugSession.js';
import type { SnapshotSource } from '../../replay/replayer.js';
import type { TraceReader } from '../../replay/traceFile.js';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { gdbCommand, serveGdb } from './server.js';
import { isBuiltinGuest } from '../commands/guests.js';

export const DEFAULT_GDB_PORT = 1234;

/** Take `--gdb [PORT|PATH]` (or `--gdb=...`) out of argv. */
export function extractGdbOption(argv: readonly string[]): { argv: string[]; listen: number | string | undefined } {
  const out: string[] = [];
  let listen: number | string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    let value: string | undefined;
    if (a === '--gdb') {
      const next = argv[i + 1];
      if (next !== undefined && (/^[0-9]+$/.test(next) || next.includes('/'))) {
        value = next;
        i++;
      } else {
        value = String(DEFAULT_GDB_PORT);
      }
    } else if (a.startsWith('--gdb=')) {
      value = a.slice(6);
    } else {
      out.push(a);
      continue;
    }
    if (/^[0-9]+$/.test(value)) {
      const port = Number(value);
      if (port > 65535) throw new UsageError(`--gdb: port ${value} is out of range (0..65535)`);
      listen = port;
    } else if (value.includes('/')) {
      listen = value;
    } else {
      throw new UsageError(`--gdb: expected a TCP port or a Unix socket path (with a '/'), got '${value}'`);
    }
  }
  return { argv: out, listen };
}

/** The built-in guest a recording ran (its kernel image is hvrr's own), or null. */
function builtinGuestOf(reader: TraceReader): string | null {
  const kernel = reader.header.images.find((i) => i.name.startsWith('kernel:embedded:'));
  const name = kernel?.name.slice('kernel:embedded:'.length) ?? '';
  return isBuiltinGuest(name) ? name : null;
}

/** Serve gdb on `listen` until it goes away. */
export async function debugWithGdb(session: DebugSession, listen: number | string, io: CliIO, recording?: { reader: TraceReader; snapshots: SnapshotSource }): Promise<void> {
  const m: Machine = session.machine;
  // A live run prints the console as it goes; a replay's would repeat with every reverse step.
  if (!session.canReverse) {
    m.onConsole = (b) => {
      io.stdout.write(Buffer.from([b]));
    };
  }
  const log = (line: string): void => {
    io.stderr.write(`hvrr: ${line}\n`);
  };
  await serveGdb(session, {
    listen,
    ...(recording ? { recording } : {}),
    log,
    onListening: (where) => {
      const at = where.port !== undefined ? `127.0.0.1:${where.port}` : where.path!;
      log(`stopped at ${m.instructions.toLocaleString('en-US')} instructions (tick ${m.clockTick.toLocaleString('en-US')}); waiting for gdb on ${at}`);
      log(`connect with: ${gdbCommand(where)}`);
      log(`(in a running gdb: target remote ${where.port !== undefined ? `:${where.port}` : where.path})`);
      const guest = recording ? builtinGuestOf(recording.reader) : null;
      if (guest) log(`symbols of the built-in guest '${guest}': hvrr elf ${guest} -o ${guest}.elf, then in gdb: file ${guest}.elf`);
    },
  });
}

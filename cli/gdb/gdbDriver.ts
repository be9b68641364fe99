// Test support: Debian's gdb-multiarch driving `hvrr replay --gdb` on a
// recording (an in-process server on a free port, gdb as a child in batch
// mode), and the figures the tests read back from gdb's output.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineForRecording, snapshotFileFor } from '../commands/record.js';
import { TraceReader } from '../../replay/traceFile.js';
import { DebugSession } from '../../replay/debugSession.js';
import { serveGdb } from './server.js';

export const GDB = 'gdb-multiarch';
export const haveGdb = spawnSync(GDB, ['--version']).status === 0;

/** The recording `file` with its snapshots (FILE.snap when it exists, as `hvrr replay` takes them). */
function recording(file: string): { reader: TraceReader; snapshots: TraceReader } {
  const reader = TraceReader.open(file);
  const side = snapshotFileFor(file);
  return { reader, snapshots: existsSync(side) ? TraceReader.open(side) : reader };
}

/** A session over the recording `file` (a fresh machine at power-on). */
export function openSession(file: string): DebugSession {
  const r = recording(file);
  return new DebugSession(machineForRecording(r.reader.header, file), r);
}

/** Run a gdb script (written into `scratchDir`) against a fresh session on `file`; gdb's output.
 *  `symbols`: an ELF file gdb loads first (`file`), e.g. from `hvrr elf`. */
export async function runGdb(lines: string[], file: string, scratchDir: string, timeoutMs = 120_000, symbols?: string): Promise<string> {
  const r = recording(file);
  const session = new DebugSession(machineForRecording(r.reader.header, file), r);
  let port = 0;
  await new Promise<void>((resolve) => {
    void serveGdb(session, { listen: 0, recording: r, onListening: (w) => { port = w.port!; resolve(); } });
  });
  return gdbOnPort(port, lines, scratchDir, timeoutMs, symbols);
}

/** Run a gdb script against a stub already listening on `port`; gdb's output. */
export async function gdbOnPort(port: number, lines: string[], scratchDir: string, timeoutMs = 120_000, symbols?: string): Promise<string> {
  const script = join(scratchDir, `s${port}.gdb`);
  writeFileSync(script, ['set pagination off', 'set confirm off', ...(symbols ? [`file ${symbols}`] : ['set architecture aarch64']), `target remote localhost:${port}`, ...lines, 'detach', ''].join('\n'));
  return await new Promise((resolve, reject) => {
    const p = spawn(GDB, ['-nx', '-batch', '-x', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const timer = setTimeout(() => { p.kill(); reject(new Error(`gdb timed out:\n${out}`)); }, timeoutMs);
    p.on('close', () => { clearTimeout(timer); resolve(out); });
  });
}

/** Every `monitor when` position, in order. */
export const positions = (out: string): number[] => [...out.matchAll(/^instructions (\d+) /gm)].map((x) => Number(x[1]));
/** Every `monitor when` exception count, in order. */
export const exceptionCounts = (out: string): number[] => [...out.matchAll(/^instructions \d+ .*, exceptions (\d+)$/gm)].map((x) => Number(x[1]));
/** Every `p/x $pc` value ("$N = 0x..."), in order. */
export const pcs = (out: string): bigint[] => [...out.matchAll(/^\$\d+ = (0x[0-9a-f]+)$/gm)].map((x) => BigInt(x[1]!));

// Opening a trace file for a command: a malformed or unreadable file is one
// line (CliError, exit 2) naming it.
import { TraceFormatError, TraceReader } from '../../replay/traceFile.js';
import { CliError } from '../errors.js';

export function openTrace(path: string): TraceReader {
  try {
    return TraceReader.open(path);
  } catch (e) {
    if (e instanceof TraceFormatError) throw new CliError(e.message.startsWith('cannot read') ? e.message : `trace '${path}': ${e.message}`);
    throw e;
  }
}

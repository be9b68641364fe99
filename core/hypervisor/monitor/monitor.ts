// The EL2 UART monitor's input side: a small line editor over the console's
// RX bytes. Its state is a plain-data
// record (saved in snapshots with the hypervisor); `monitorInput` is a pure
// step function (state, byte, view) -> (consumed?, text to print, action),
// so the monitor is deterministic: its only input is UART RX bytes, which are
// recorded inputs of a run.
//
// Entering: a guest's PAUSE hypercall (`monitorEnter(state, 'pause ...')`),
// or the console escape Ctrl-A m (parsed by the hypervisor's console,
// core/hypervisor/console.ts). While inactive the monitor takes no byte.
// While active, every byte is the monitor's: printable bytes are echoed,
// backspace/DEL erases, CR or LF ends the line (LF right after CR is
// ignored), Ctrl-U clears the line; a line is run by monitorCommand().
import { MONITOR_PROMPT, monitorCommand, type MonitorView } from './commands.js';

import { upgradeRecord, type RecordSchema } from '../../stateRecord.js';

export const MONITOR_STATE_VERSION = 2;
const MAX_LINE = 256;

export interface MonitorState {
  version: typeof MONITOR_STATE_VERSION;
  active: boolean;
  /** Why the monitor was entered (shown in its banner), '' when inactive. */
  reason: string;
  /** Bytes of the line being typed. */
  line: number[];
  /** The previous byte was CR (an LF right after it is not a second line end). */
  lastCr: boolean;
  /** vCPUs the monitor stopped, with their run state to restore: [vm, vcpu, state]. */
  paused: Array<[number, number, string]>;
}

/** Versions read (core/stateRecord.ts). 1 -> 2: the console escape moved to
 *  the hypervisor's console (no `escape`). */
export const MONITOR_SCHEMA: RecordSchema = {
  name: 'monitor state',
  version: MONITOR_STATE_VERSION,
  steps: {
    1: (x) => {
      delete x['escape'];
    },
  },
};

/** A monitor record of any supported version as the current one, or an Error naming why not. */
export function upgradeMonitorState(st: unknown): MonitorState | Error {
  try {
    return upgradeRecord<MonitorState>(MONITOR_SCHEMA, st, initialMonitorState());
  } catch (e) {
    return e as Error;
  }
}

export function initialMonitorState(): MonitorState {
  return { version: MONITOR_STATE_VERSION, active: false, reason: '', line: [], lastCr: false, paused: [] };
}

export type MonitorStep =
  | { consumed: false }
  | { consumed: true; output: string; action: 'none' | 'enter' | 'resume' };

/** The banner printed when the monitor is entered. */
export function monitorBanner(reason: string): string {
  return `\n[hvrr monitor: ${reason}; 'help' lists the commands, 'resume' continues]\n${MONITOR_PROMPT}`;
}

/** Enter the monitor (state change only); returns the banner to print. */
export function monitorEnter(s: MonitorState, reason: string): string {
  s.active = true;
  s.reason = reason;
  s.line = [];
  s.lastCr = false;
  return monitorBanner(reason);
}

/** Feed one console RX byte. */
export function monitorInput(s: MonitorState, byte: number, view: MonitorView): MonitorStep {
  const b = byte & 0xff;
  if (!s.active) return { consumed: false };
  const cr = s.lastCr;
  s.lastCr = b === 0x0d;
  if (b === 0x0a && cr) return { consumed: true, output: '', action: 'none' };
  if (b === 0x0d || b === 0x0a) {
    const text = String.fromCharCode(...s.line);
    s.line = [];
    const r = monitorCommand(view, text);
    if (r.action === 'resume') {
      s.active = false;
      s.reason = '';
      return { consumed: true, output: `\n${r.output}\n`, action: 'resume' };
    }
    return { consumed: true, output: `\n${r.output}${r.output ? '\n' : ''}${MONITOR_PROMPT}`, action: 'none' };
  }
  if (b === 0x7f || b === 0x08) {
    if (s.line.length === 0) return { consumed: true, output: '', action: 'none' };
    s.line.pop();
    return { consumed: true, output: '\b \b', action: 'none' };
  }
  if (b === 0x15) {
    const n = s.line.length;
    s.line = [];
    return { consumed: true, output: '\b \b'.repeat(n), action: 'none' };
  }
  if (b >= 0x20 && b < 0x7f && s.line.length < MAX_LINE) {
    s.line.push(b);
    return { consumed: true, output: String.fromCharCode(b), action: 'none' };
  }
  return { consumed: true, output: '', action: 'none' }; // other control bytes, or a full line
}

// The EL2 UART monitor's input side: a small line editor over the console's
// RX bytes with an escape sequence to enter it. Its state is a plain-data
// record (saved in snapshots with the hypervisor); `monitorInput` is a pure
// step function (state, byte, view) -> (consumed?, text to print, action),
// so the monitor is deterministic: its only input is UART RX bytes, which are
// recorded inputs of a run.
//
// Entering: a guest's PAUSE hypercall (`monitorEnter(state, 'pause ...')`),
// or Ctrl-A then 'm' on the console while the monitor is not active. Other
// bytes pass to the guest untouched (Ctrl-A Ctrl-A passes one Ctrl-A).
// While active, every byte is the monitor's: printable bytes are echoed,
// backspace/DEL erases, CR or LF ends the line (LF right after CR is
// ignored), Ctrl-U clears the line; a line is run by monitorCommand().
import { MONITOR_PROMPT, monitorCommand, type MonitorView } from './commands.js';

export const MONITOR_STATE_VERSION = 1;
export const MONITOR_ESCAPE = 0x01; // Ctrl-A
export const MONITOR_ESCAPE_ENTER = 0x6d; // 'm'
const MAX_LINE = 256;

export interface MonitorState {
  version: typeof MONITOR_STATE_VERSION;
  active: boolean;
  /** Why the monitor was entered (shown in its banner), '' when inactive. */
  reason: string;
  /** Bytes of the line being typed. */
  line: number[];
  /** The previous byte was the escape (Ctrl-A) while inactive. */
  escape: boolean;
  /** The previous byte was CR (an LF right after it is not a second line end). */
  lastCr: boolean;
  /** vCPUs the monitor stopped, with their run state to restore: [vm, vcpu, state]. */
  paused: Array<[number, number, string]>;
}

export function initialMonitorState(): MonitorState {
  return { version: MONITOR_STATE_VERSION, active: false, reason: '', line: [], escape: false, lastCr: false, paused: [] };
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
  s.escape = false;
  s.lastCr = false;
  return monitorBanner(reason);
}

/** Feed one console RX byte. */
export function monitorInput(s: MonitorState, byte: number, view: MonitorView): MonitorStep {
  const b = byte & 0xff;
  if (!s.active) {
    if (s.escape) {
      s.escape = false;
      if (b === MONITOR_ESCAPE_ENTER || b === 0x4d) return { consumed: true, output: monitorEnter(s, 'entered from the console'), action: 'enter' };
      if (b === MONITOR_ESCAPE) return { consumed: false }; // Ctrl-A Ctrl-A: one literal Ctrl-A for the guest
      return { consumed: true, output: '', action: 'none' }; // unknown escape: dropped
    }
    if (b === MONITOR_ESCAPE) {
      s.escape = true;
      return { consumed: true, output: '', action: 'none' };
    }
    return { consumed: false };
  }
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

// The text of the browser's lines, as pure functions of the model's data
// (the views only lay them out): timeline rows with their lanes, the detail
// pane, the console pane, the keys.
import type { TraceEvent } from '../core/trace/events.js';
import { describeEvent, summary } from './decode.js';
import type { ConsoleLine } from './jobs.js';
import { laneText, type Running } from './lanes.js';
import type { RegistersResult } from './registers.js';
import type { Row } from './timeline.js';

/** Cuts or pads `s` to exactly `w` columns. */
export function fit(s: string, w: number): string {
  if (w <= 0) return '';
  return s.length > w ? (w > 1 ? s.slice(0, w - 1) + '~' : s.slice(0, w)) : s.padEnd(w);
}

const KIND_TEXT: Record<string, string> = { 'timer-program': 'timer-prog', 'timer-fire': 'timer-fire', exception: 'exception' };

/** Column widths for a trace. */
export interface Columns {
  seq: number;
  tick: number;
  /** pCPUs shown as lanes (0: no lanes). */
  lanes: number;
}

export function columnsFor(lastSeq: number, maxTick: number, lanes: number): Columns {
  return { seq: String(lastSeq).length + 1, tick: Math.min(14, String(maxTick).length), lanes };
}

export function headerLine(c: Columns, width: number): string {
  const lanes = c.lanes > 0 ? ' ' + Array.from({ length: c.lanes }, (_, i) => `p${i}`.padEnd(4)).join('') : '';
  const left = `  ${'seq'.padStart(c.seq)} ${'tick'.padStart(c.tick)} cpu w  el  ${'kind'.padEnd(10)} `;
  return fit(left + fit('summary', Math.max(0, width - left.length - lanes.length)) + lanes, width);
}

function elText(e: TraceEvent): string {
  return e.kind === 'exception' ? `${e.fromEl}>${e.toEl}` : ' - ';
}

/** One timeline row: marker, seq, tick, CPU, world, EL, kind, summary, lanes. */
export function rowLine(row: Row, c: Columns, width: number, lanes: (Running | null)[] | null, selected: boolean): string {
  const e = row.event;
  const kind = row.text !== undefined ? 'console' : KIND_TEXT[e.kind] ?? e.kind;
  const what = row.text !== undefined ? `${JSON.stringify(row.text).slice(1, -1)}${row.complete ? '' : ' ...'}${row.members > 1 ? `  (${row.members} bytes, to #${row.end})` : ''}` : summary(e);
  const laneCells = c.lanes > 0 ? ' ' + Array.from({ length: c.lanes }, (_, i) => fit(lanes ? laneText(lanes[i] ?? null) : '?', 4)).join('') : '';
  const left = `${selected ? '>' : ' '} ${`#${row.start}`.padStart(c.seq)} ${String(e.tick).padStart(c.tick)} ${fit(e.cpu < 0 ? ' -' : `c${e.cpu}`, 3)} ${fit(e.world ?? 'ns', 2)} ${elText(e)} ${fit(kind, 10)} `;
  return fit(left + fit(what, Math.max(0, width - left.length - laneCells.length)) + laneCells, width);
}

/** State of the registers request for the detail pane. */
export type RegistersView =
  | { state: 'none' }
  | { state: 'pending'; seq: number; elapsedMs: number }
  | { state: 'done'; result: RegistersResult }
  | { state: 'error'; seq: number; message: string };

/** The detail pane's lines for `e`. */
export function detailLines(e: TraceEvent, regs: RegistersView, console: readonly ConsoleLine[], width: number): string[] {
  const out: string[] = [];
  // The first four fields (event, tick, cpu, kind) make the title line.
  const fields = describeEvent(e);
  const lw = Math.max(...fields.map(([l]) => l.length));
  out.push(`event #${e.seq} @${e.tick} ${e.cpu < 0 ? 'no cpu' : `cpu${e.cpu}`} ${e.kind}: ${summary(e)}`);
  for (const [l, v] of fields.slice(4)) out.push(`  ${l.padEnd(lw)}  ${v}`);
  out.push('');
  if (regs.state === 'none') {
    out.push('registers: Enter replays to this event');
  } else if (regs.state === 'pending') {
    // A progress line only once it takes a while: most replays from a snapshot are quick.
    out.push(regs.elapsedMs >= 200 ? `registers: replaying to event #${regs.seq} ... ${(regs.elapsedMs / 1000).toFixed(1)} s` : 'registers:');
  } else if (regs.state === 'error') {
    out.push(`registers: not available: ${regs.message}`);
  } else {
    const r = regs.result;
    if (!r.regs) {
      out.push(`registers: not available: ${r.error ?? r.status}`);
    } else {
      const g = r.regs;
      out.push(`registers of cpu${g.cpu} at event #${r.seq} (${r.status})`);
      out.push(`  ${g.state} @${g.tick} EL${g.el} pc=${g.pc} sp=${g.sp} pstate=${g.pstate} ${g.nzcv}`);
      const per = width >= 100 ? 4 : width >= 76 ? 3 : 2;
      for (let k = 0; k < 31; k += per) {
        out.push('  ' + g.x.slice(k, k + per).map((v, i) => `${`x${k + i}`.padStart(3)}=${v}`).join(' '));
      }
      const sp = per >= 3 ? 3 : 2;
      for (let k = 0; k < g.sysregs.length; k += sp) out.push('  ' + g.sysregs.slice(k, k + sp).map(([n, v]) => `${n}=${v}`).join(' '));
      if (r.disasm) {
        out.push('', `disassembly ${r.disasm.label}:`);
        for (const l of r.disasm.lines) out.push(`  ${l.here ? '>' : ' '} ${l.addr}: ${l.word ?? '        '}  ${l.text}`);
      }
    }
  }
  out.push('', `console up to event #${e.seq} (${console.length} line${console.length === 1 ? '' : 's'}):`);
  for (const l of console.slice(-8)) out.push(`  ${l.text}`);
  return out;
}

/** The console pane's line for a console line. */
export function consoleLineText(l: ConsoleLine, selected: boolean, seqWidth: number): string {
  return `${selected ? '>' : ' '} ${`#${l.first}`.padStart(seqWidth)}  ${l.text}`;
}

export const HELP_LINES = [
  'hvrr tui keys',
  '  j k, arrows        move (the timeline, or the pane that has the focus)',
  '  PgDn PgUp, space b  page down / up;  Home End, G  first / last',
  '  g                  go to: N (event), e N (exception N), t T (first event at tick T)',
  '  ] [                next / previous event of the selected kind',
  '  /  n N             search text; next / previous match',
  '  f  F               filter: kind=K cpu=N vm=N vcpu=N world=s|ns el=E intid=N ffa=NAME',
  '                     (values a,b,c; terms ANDed; F clears)',
  '  m<a-z>  \'<a-z>     set bookmark / jump to it (saved in FILE.bookmarks)',
  '  Enter              detail pane: every field, registers (replayed), disassembly',
  '  c  a  d            console pane / FF-A pane / detail pane (again: close)',
  '  Tab                focus the timeline or the pane; Enter on a console line',
  '                     jumps to the event that printed it',
  '  Esc                close the pane, the prompt or this help',
  '  ?  q               this help;  quit',
];

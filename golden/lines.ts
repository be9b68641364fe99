// A run as a golden sees it: its event lines (redactions applied), where each
// line's event happened (for reports), and its console lines (for checks).
import type { TraceEvent } from '../core/trace/events.js';
import type { Redactor } from './redact.js';

/** Where an event happened, for a report ("tick 4,567, cpu1, world ns"). */
export interface EventPlace {
  seq: number;
  tick: number;
  cpu: number;
  /** The Security state: 's' or 'ns' (an event without a world is Non-secure). */
  world: string;
}

export function describePlace(p: EventPlace): string {
  return `event #${p.seq}, tick ${p.tick.toLocaleString('en-US')}, ${p.cpu < 0 ? 'no cpu' : `cpu${p.cpu}`}, world ${p.world}`;
}

export function placeOf(e: TraceEvent): EventPlace {
  return { seq: e.seq, tick: e.tick, cpu: e.cpu, world: e.world ?? 'ns' };
}

/** The place of a canonical line ('#SEQ @TICK cpuN ...'), as far as its text
 *  says (a golden file holds text only); null for a line that is not an event's. */
export function placeOfLine(line: string): EventPlace | null {
  const m = /^#(\d+) @(\d+) cpu(\d+|-) /.exec(line);
  if (!m) return null;
  const world = / world=(\w+)$/.exec(line)?.[1] ?? 'ns';
  return { seq: Number(m[1]), tick: Number(m[2]), cpu: m[3] === '-' ? -1 : Number(m[3]), world };
}

export class GoldenLines {
  readonly lines: string[] = [];
  readonly places: EventPlace[] = [];
  /** Event lines with 'console: TEXT' lines after the uart-out byte that ends each console line. */
  readonly checkLines: string[] = [];
  events = 0;
  private console: number[] = [];

  constructor(private readonly redactor: Redactor) {}

  add(e: TraceEvent): void {
    this.events++;
    const line = this.redactor.line(e);
    if (line !== null) {
      this.lines.push(line);
      this.places.push(placeOf(e));
      this.checkLines.push(line);
    }
    if (e.kind === 'uart-out') {
      if (e.byte === 0x0a) {
        this.checkLines.push('console: ' + Buffer.from(this.console).toString('latin1').replace(/\r/g, ''));
        this.console = [];
      } else {
        this.console.push(e.byte);
      }
    }
  }

  /** The console line not ended by a newline, if any. */
  finish(): void {
    if (this.console.length > 0) this.checkLines.push('console: ' + Buffer.from(this.console).toString('latin1').replace(/\r/g, ''));
    this.console = [];
  }
}

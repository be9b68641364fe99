// The trace event schema shared by the recorder, the replayer, the TUI and
// golden comparison. Every event is plain data that survives JSON and CBOR
// unchanged: 64-bit architectural values (ESR, ELR, FAR, CVAL, PSCI args) are
// lower-case hex strings with a 0x prefix and no leading zeros ("0x0",
// "0x96000045"), produced by `hex64`; small values (INTIDs, bytes, ELs, EC)
// are numbers.
//
// `formatEvent` is the canonical one-line rendering: field order is fixed per
// kind in code (never object-key order), so the same event always renders to
// the same text. `hvrr dump`, golden comparison and the sink's stream hash all
// use it; changing it changes every golden digest, so treat it as a format
// with a version (TRACE_FORMAT_VERSION).
//
// Version 2 adds the Security state ("world") of an event: `world: 's'` on
// events of the Secure world, rendered as a trailing " world=s"; an event
// without it is Non-secure, so a version 1 event (which never has it) reads
// as what it was, and a run with one Security state renders and digests
// exactly as under version 1.

export const TRACE_FORMAT_VERSION = 2;
/** The oldest event format this hvrr reads. */
export const TRACE_FORMAT_OLDEST = 1;

/** A Security state: Secure or Non-secure (Arm ARM D1.3). */
export type World = 's' | 'ns';

/** `cpu` value of events that happen outside any PE (e.g. a device raising an
 *  SPI, UART input arriving). */
export const NO_CPU = -1;

/** A 64-bit value rendered as "0x" + lower-case hex without leading zeros. */
export type Hex64 = string;

export type TimerName = 'phys' | 'virt' | 'hyp' | 'sec';

export interface EventBase {
  /** Position in the run's trace: 0, 1, 2, ... assigned by the TraceSink. */
  seq: number;
  /** Virtual tick at which it happened. */
  tick: number;
  /** PE the event concerns, NO_CPU (-1) when none. */
  cpu: number;
  /** The Security state it happened in, where that matters (the world a PE
   *  took an exception from, a PSCI/SMC caller, a scheduler, a UART): 's' for
   *  Secure; absent (or 'ns') for Non-secure. */
  world?: World;
}

/** An exception taken by a PE. `n` is the run-wide exception counter
 *  (1, 2, 3, ...), the number `--until exception N` refers to. */
export interface ExceptionEvent extends EventBase {
  kind: 'exception';
  n: number;
  /** 'sync' | 'irq' | 'fiq' | 'serror' */
  type: 'sync' | 'irq' | 'fiq' | 'serror';
  fromEl: number;
  toEl: number;
  /** ESR_ELx.EC (0 for asynchronous exceptions). */
  ec: number;
  esr: Hex64;
  elr: Hex64;
  far: Hex64;
}

/** Interrupt events, emitted by the GIC (core/devices/gicv3):
 *  - `irq-raise`: the interrupt became pending (a transition: a level line
 *    that stays high emits once). `target` is the PE it is routed to, -1 when
 *    unrouted. `cpu` is the PE whose access caused it (SGI generation,
 *    ISPENDR write, its own maintenance interrupt), NO_CPU for device lines.
 *  - `irq-ack`: an IAR read returned a real INTID; `cpu` = `target` = the PE.
 *  - `irq-eoi`: an EOIR write dropped a running priority (with EOImode == 0
 *    it also deactivates); with `dir` set, a DIR write deactivated it (split
 *    EOI mode: one event for the drop, one for the deactivation).
 *  With `virt` set the access went to the virtual CPU interface (ICV_*):
 *  `intid` is the virtual INTID and `target` the physical PE running the vCPU. */
export interface IrqEvent extends EventBase {
  kind: 'irq-raise' | 'irq-ack' | 'irq-eoi';
  intid: number;
  /** The PE the interrupt is routed to / acknowledged by (-1: unrouted). */
  target: number;
  /** Through the virtual CPU interface (ICV_IAR/EOIR/DIR). Rendered " virt". */
  virt?: boolean;
  /** irq-eoi only: deactivation by ICC_DIR/ICV_DIR. Rendered " dir". */
  dir?: boolean;
}

export interface TimerProgramEvent extends EventBase {
  kind: 'timer-program';
  timer: TimerName;
  /** CNTx_CTL value after the write (ENABLE, IMASK, ISTATUS bits). */
  ctl: number;
  cval: Hex64;
}

export interface TimerFireEvent extends EventBase {
  kind: 'timer-fire';
  timer: TimerName;
  cval: Hex64;
}

export interface UartEvent extends EventBase {
  kind: 'uart-out' | 'uart-in';
  byte: number;
}

export interface PsciEvent extends EventBase {
  kind: 'psci';
  /** SMCCC function id (e.g. 0xc4000003 CPU_ON). */
  fn: number;
  args: Hex64[];
  result: Hex64;
}

export interface HaltEvent extends EventBase {
  kind: 'halt';
  reason: string;
}

export interface UndefEvent extends EventBase {
  kind: 'undef';
  /** The 32-bit encoding. */
  insn: number;
  pc: Hex64;
}

export interface SchedEvent extends EventBase {
  kind: 'sched';
  vm: number;
  vcpu: number;
  dir: 'in' | 'out';
}

/** FF-A call or return (fields provisional: filled in by the proxy/SPMC work). */
export interface FfaEvent extends EventBase {
  kind: 'ffa';
  /** FF-A function id. */
  fid: number;
  /** Calling / answering endpoint id. */
  src: number;
  dst: number;
  args: Hex64[];
}

/** A device register access (only recorded at verbosity >= VERBOSITY_MMIO). */
export interface MmioEvent extends EventBase {
  kind: 'mmio';
  pa: Hex64;
  size: number;
  write: boolean;
  value: Hex64;
}

export type TraceEvent =
  | ExceptionEvent
  | IrqEvent
  | TimerProgramEvent
  | TimerFireEvent
  | UartEvent
  | PsciEvent
  | HaltEvent
  | UndefEvent
  | SchedEvent
  | FfaEvent
  | MmioEvent;

export type TraceKind = TraceEvent['kind'];

/** Every kind, in a fixed order (for counters and displays). */
export const TRACE_KINDS: readonly TraceKind[] = [
  'exception',
  'irq-raise',
  'irq-ack',
  'irq-eoi',
  'timer-program',
  'timer-fire',
  'uart-out',
  'uart-in',
  'psci',
  'halt',
  'undef',
  'sched',
  'ffa',
  'mmio',
];

/** An event as an emitter hands it to the sink, before it has a `seq`. */
export type TraceEventInput = WithoutSeq<TraceEvent>;
type WithoutSeq<E> = E extends TraceEvent ? Omit<E, 'seq'> : never;

// Verbosity levels: an event is recorded when its level <= the sink's level.
export const VERBOSITY_NORMAL = 0;
export const VERBOSITY_MMIO = 2;

/** Minimum sink verbosity at which events of this kind are recorded. */
export function kindVerbosity(kind: TraceKind): number {
  return kind === 'mmio' ? VERBOSITY_MMIO : VERBOSITY_NORMAL;
}

/** Canonical hex rendering of an unsigned 64-bit value. Accepts a bigint
 *  (taken modulo 2^64) or a non-negative safe-integer number. */
export function hex64(v: bigint | number): Hex64 {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`hex64: not an unsigned safe integer: ${v}`);
    return '0x' + v.toString(16);
  }
  return '0x' + BigInt.asUintN(64, v).toString(16);
}

/** Parse a Hex64 back into a bigint. */
export function parseHex64(h: Hex64): bigint {
  if (!/^0x[0-9a-f]{1,16}$/.test(h)) throw new Error(`not a canonical hex64 value: ${JSON.stringify(h)}`);
  return BigInt(h);
}

// Renderings of small numbers, built once: number-to-string conversion is
// most of formatEvent's cost, and ELs, INTIDs, targets, EC values are small.
const SMALL = 1024;
const DEC: string[] = Array.from({ length: SMALL }, (_, i) => String(i));
const HEX: string[] = Array.from({ length: SMALL }, (_, i) => '0x' + i.toString(16));

function hex(n: number): string {
  const u = n >>> 0;
  return u < SMALL ? HEX[u]! : '0x' + u.toString(16);
}

/** Decimal rendering of a small field (INTIDs, ELs, targets, ids). */
function dec(n: number): string {
  return n >= 0 && n < SMALL && (n | 0) === n ? DEC[n]! : String(n);
}

function byteText(b: number): string {
  const printable = b >= 0x20 && b < 0x7f && b !== 0x27 && b !== 0x5c;
  return printable ? " '" + String.fromCharCode(b) + "'" : '';
}

// " cpu0 " ... prefixes, built once (formatEvent is on the per-event path).
const CPU_TEXT: string[] = Array.from({ length: 64 }, (_, i) => ' cpu' + i + ' ');

function cpuText(cpu: number): string {
  if (cpu === NO_CPU) return ' cpu- ';
  return cpu >= 0 && cpu < CPU_TEXT.length ? CPU_TEXT[cpu]! : ' cpu' + cpu + ' ';
}

function hexList(a: Hex64[]): string {
  let s = '[';
  for (let i = 0; i < a.length; i++) s += i === 0 ? a[i]! : ',' + a[i]!;
  return s + ']';
}

/** The event's fields after seq/tick/cpu/kind, in canonical order. */
export function formatEventBody(e: TraceEvent): string {
  switch (e.kind) {
    case 'exception':
      return 'n=' + e.n + ' ' + e.type + ' el' + dec(e.fromEl) + '->el' + dec(e.toEl) + ' ec=' + hex(e.ec) + ' esr=' + e.esr + ' elr=' + e.elr + ' far=' + e.far;
    case 'irq-raise':
    case 'irq-ack':
    case 'irq-eoi': {
      const s = 'intid=' + dec(e.intid) + ' target=' + (e.target === -1 ? '-1' : dec(e.target));
      if (e.virt !== true && e.dir !== true) return s;
      return s + (e.virt === true ? ' virt' : '') + (e.dir === true ? ' dir' : '');
    }
    case 'timer-program':
      return e.timer + ' ctl=' + hex(e.ctl) + ' cval=' + e.cval;
    case 'timer-fire':
      return e.timer + ' cval=' + e.cval;
    case 'uart-out':
    case 'uart-in':
      return 'byte=' + hex(e.byte) + byteText(e.byte);
    case 'psci':
      return 'fn=' + hex(e.fn) + ' args=' + hexList(e.args) + ' result=' + e.result;
    case 'halt':
      return 'reason=' + JSON.stringify(e.reason);
    case 'undef':
      return 'insn=' + hex(e.insn) + ' pc=' + e.pc;
    case 'sched':
      return 'vm=' + dec(e.vm) + ' vcpu=' + dec(e.vcpu) + ' ' + e.dir;
    case 'ffa':
      return 'fid=' + hex(e.fid) + ' src=' + hex(e.src) + ' dst=' + hex(e.dst) + ' args=' + hexList(e.args);
    case 'mmio':
      return (e.write ? 'W' : 'R') + dec(e.size) + ' pa=' + e.pa + ' value=' + e.value;
  }
}

/** Canonical one-line rendering: `#<seq> @<tick> cpu<N> <kind> <fields>[ world=s]`.
 *  Plain concatenation, no regexes or intermediate arrays: the sink renders
 *  every event for its digest. */
export function formatEvent(e: TraceEvent): string {
  const line = '#' + e.seq + ' @' + e.tick + cpuText(e.cpu) + e.kind + ' ' + formatEventBody(e);
  return e.world === 's' ? line + ' world=s' : line;
}

// formatEvent(e) + "\n" of an exception event written as bytes, for the
// sink's digest: every trap emits one, and building its line as a string
// (some twenty concatenations) was a measurable part of a trap's host time.
// It writes exactly what formatEvent renders (events.test.ts compares them);
// anything it cannot write as ASCII falls back to formatEvent.

/** Room writeExceptionLine may need (numbers up to 2^53, text fields of up to 32 characters). */
export const EXCEPTION_LINE_MAX_BYTES = 512;
const ASCII = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const T_CPU = ASCII(' cpu');
const T_EXC_N = ASCII(' exception n=');
const T_EL = ASCII(' el');
const T_TO_EL = ASCII('->el');
const T_EC = ASCII(' ec=0x');
const T_ESR = ASCII(' esr=');
const T_ELR = ASCII(' elr=');
const T_FAR = ASCII(' far=');
const T_WORLD_S = ASCII(' world=s');

function putText(out: Uint8Array, at: number, t: Uint8Array): number {
  const n = t.length;
  for (let i = 0; i < n; i++) out[at + i] = t[i]!; // a loop: TypedArray.set costs more for a few bytes
  return at + n;
}

/** A field's string as ASCII bytes (at most 32), or -1. */
function putAscii(out: Uint8Array, at: number, s: string): number {
  const n = s.length;
  if (n > 32) return -1;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return -1;
    out[at + i] = c;
  }
  return at + n;
}

/** String(v) of a non-negative safe integer, or -1 for any other value. */
function putDec(out: Uint8Array, at: number, v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) return -1;
  if (v < 100_000_000) return putSmallDec(out, at, v, 0);
  // Below 2^53: at most 8 digits above the last 8, each part an int32.
  const hi = Math.floor(v / 100_000_000);
  return putSmallDec(out, putSmallDec(out, at, hi, 0), v - hi * 100_000_000, 8);
}

/** An integer below 10^8 in decimal, zero-padded to `width` digits. */
function putSmallDec(out: Uint8Array, at: number, v: number, width: number): number {
  let u = v | 0;
  let digits = 1;
  for (let p = 10; p <= u; p *= 10) digits++;
  if (digits < width) digits = width;
  for (let i = at + digits - 1; i >= at; i--) {
    const q = (u / 10) | 0;
    out[i] = 0x30 + (u - q * 10);
    u = q;
  }
  return at + digits;
}

const HEX_DIGITS = ASCII('0123456789abcdef');

/** (v >>> 0).toString(16). */
function putHex32(out: Uint8Array, at: number, v: number): number {
  const u = v >>> 0;
  let digits = 1;
  while (digits < 8 && u >>> (4 * digits) !== 0) digits++;
  for (let i = 0; i < digits; i++) out[at + i] = HEX_DIGITS[(u >>> (4 * (digits - 1 - i))) & 0xf]!;
  return at + digits;
}

/** Write formatEvent(e) + "\n" as UTF-8 at `at`; the end, or -1 when the
 *  event holds a value this fast path does not render (then use formatEvent). */
export function writeExceptionLine(e: ExceptionEvent, out: Uint8Array, at: number): number {
  if (e.cpu < 0) return -1; // ' cpu- '
  let p = at;
  out[p++] = 0x23; // '#'
  p = putDec(out, p, e.seq);
  if (p < 0) return -1;
  out[p++] = 0x20;
  out[p++] = 0x40; // ' @'
  p = putDec(out, p, e.tick);
  if (p < 0) return -1;
  p = putText(out, p, T_CPU);
  p = putDec(out, p, e.cpu);
  if (p < 0) return -1;
  p = putText(out, p, T_EXC_N);
  p = putDec(out, p, e.n);
  if (p < 0) return -1;
  out[p++] = 0x20;
  p = putAscii(out, p, e.type);
  if (p < 0) return -1;
  p = putText(out, p, T_EL);
  p = putDec(out, p, e.fromEl);
  if (p < 0) return -1;
  p = putText(out, p, T_TO_EL);
  p = putDec(out, p, e.toEl);
  if (p < 0) return -1;
  p = putText(out, p, T_EC);
  if (!Number.isInteger(e.ec)) return -1;
  p = putHex32(out, p, e.ec);
  p = putText(out, p, T_ESR);
  p = putAscii(out, p, e.esr);
  if (p < 0) return -1;
  p = putText(out, p, T_ELR);
  p = putAscii(out, p, e.elr);
  if (p < 0) return -1;
  p = putText(out, p, T_FAR);
  p = putAscii(out, p, e.far);
  if (p < 0) return -1;
  if (e.world === 's') p = putText(out, p, T_WORLD_S);
  out[p++] = 0x0a;
  return p;
}

/** The `world` field for an event of a PE in the given state: only the Secure
 *  world is written (an event without it is Non-secure). */
export function worldField(nonSecure: boolean): { world?: World } {
  return nonSecure ? NS_FIELD : S_FIELD;
}
const NS_FIELD: { world?: World } = Object.freeze({});
const S_FIELD: { world?: World } = Object.freeze({ world: 's' as const });

/** Each kind's fields after seq/tick/cpu/kind, in canonical order (the order
 *  formatEventBody renders them; `eventJson` keeps it). */
const JSON_FIELDS: Record<TraceKind, readonly string[]> = {
  exception: ['n', 'type', 'fromEl', 'toEl', 'ec', 'esr', 'elr', 'far'],
  'irq-raise': ['intid', 'target', 'virt', 'dir'],
  'irq-ack': ['intid', 'target', 'virt', 'dir'],
  'irq-eoi': ['intid', 'target', 'virt', 'dir'],
  'timer-program': ['timer', 'ctl', 'cval'],
  'timer-fire': ['timer', 'cval'],
  'uart-out': ['byte'],
  'uart-in': ['byte'],
  psci: ['fn', 'args', 'result'],
  halt: ['reason'],
  undef: ['insn', 'pc'],
  sched: ['vm', 'vcpu', 'dir'],
  ffa: ['fid', 'src', 'dst', 'args'],
  mmio: ['pa', 'size', 'write', 'value'],
};

/** The event as a JSON-ready object with a stable key order: seq, tick, cpu,
 *  kind, then the kind's fields as formatEventBody orders them; optional
 *  fields (virt, dir) only when set. Values as in the event: 64-bit values are
 *  canonical hex strings, small ones numbers (docs/trace-format.md "JSON"). */
export function eventJson(e: TraceEvent): Record<string, unknown> {
  const o: Record<string, unknown> = { seq: e.seq, tick: e.tick, cpu: e.cpu, kind: e.kind };
  const fields = e as unknown as Record<string, unknown>;
  for (const k of JSON_FIELDS[e.kind]) if (fields[k] !== undefined) o[k] = fields[k];
  return o;
}

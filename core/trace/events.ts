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
//
// Version 3 completes the 'ffa' event (issue 11): besides fid/src/dst/args it
// says whether the message calls or answers (`dir`), the function's spec name
// (`name`), for an answer the call it answers where the emitter knows it
// (`of`), the error name of a refusal (`error`), the memory handle it carries
// (`handle`) and a memory send's `receivers` and `pages`. They render after
// the kind (dir, name) and after args (the rest); an 'ffa' event of version
// 1 or 2 has none of them and renders as it did.

export const TRACE_FORMAT_VERSION = 3;
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

/** An FF-A message: a call or its answer (core/trace/ffaEvent.ts builds them). */
export type FfaDir = 'call' | 'answer';

/** One FF-A message (DEN0077: w0 the function ID, w1..w7 its arguments), as
 *  the hypervisor's proxy, the SPMD or the SPMC passed it on. The fields after
 *  `args` are event format 3; a trace of format 1 or 2 has none of them. */
export interface FfaEvent extends EventBase {
  kind: 'ffa';
  /** FF-A function ID (w0). */
  fid: number;
  /** The endpoint that sent the message (calling or answering). */
  src: number;
  /** The endpoint it goes to. */
  dst: number;
  /** w1..w7. */
  args: Hex64[];
  /** A call, or the answer to one (FFA_SUCCESS, FFA_ERROR, a direct response, FFA_MSG_WAIT, ...). */
  dir?: FfaDir;
  /** The function's spec name (FFA_MEM_SHARE_64); for an answer, its result. "0x…" for an unknown ID. */
  name?: string;
  /** An answer: the name of the call it answers, where the emitter knows it. */
  of?: string;
  /** A refusal: the error's spec name (INVALID_PARAMETERS), "code N" for a code outside the spec. */
  error?: string;
  /** The memory handle the message carries (in registers or its descriptor). */
  handle?: Hex64;
  /** A memory send: its receivers' endpoint IDs. */
  receivers?: number[];
  /** A memory send: the pages (4 KiB) it covers. */
  pages?: number;
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

// One definition of each kind's canonical line (renderEvent below), written
// through a LineWriter: as a string (formatEvent, formatEventBody) or as
// UTF-8 bytes straight into the sink's digest buffer (EventLineBytes), which
// is every event's path while recording (building each line as a string was
// a measurable part of a trap's host time).

/** Where a canonical line goes: `text` any string, `dec` String(n), `hex` '0x' + (n >>> 0).toString(16). */
interface LineWriter {
  text(s: string): void;
  dec(n: number): void;
  hex(n: number): void;
}

function renderHexList(a: Hex64[], w: LineWriter): void {
  w.text('[');
  for (let i = 0; i < a.length; i++) {
    if (i !== 0) w.text(',');
    w.text(a[i]!);
  }
  w.text(']');
}

/** The event's fields after seq/tick/cpu/kind, in canonical order. */
function renderBody(e: TraceEvent, w: LineWriter): void {
  switch (e.kind) {
    case 'exception':
      w.text('n='); w.dec(e.n); w.text(' '); w.text(e.type); w.text(' el'); w.dec(e.fromEl); w.text('->el'); w.dec(e.toEl);
      w.text(' ec='); w.hex(e.ec); w.text(' esr='); w.text(e.esr); w.text(' elr='); w.text(e.elr); w.text(' far='); w.text(e.far);
      return;
    case 'irq-raise':
    case 'irq-ack':
    case 'irq-eoi':
      w.text('intid='); w.dec(e.intid); w.text(' target='); w.dec(e.target);
      if (e.virt === true) w.text(' virt');
      if (e.dir === true) w.text(' dir');
      return;
    case 'timer-program':
      w.text(e.timer); w.text(' ctl='); w.hex(e.ctl); w.text(' cval='); w.text(e.cval);
      return;
    case 'timer-fire':
      w.text(e.timer); w.text(' cval='); w.text(e.cval);
      return;
    case 'uart-out':
    case 'uart-in':
      w.text('byte='); w.hex(e.byte); w.text(byteText(e.byte));
      return;
    case 'psci':
      w.text('fn='); w.hex(e.fn); w.text(' args='); renderHexList(e.args, w); w.text(' result='); w.text(e.result);
      return;
    case 'halt':
      w.text('reason='); w.text(JSON.stringify(e.reason));
      return;
    case 'undef':
      w.text('insn='); w.hex(e.insn); w.text(' pc='); w.text(e.pc);
      return;
    case 'sched':
      w.text('vm='); w.dec(e.vm); w.text(' vcpu='); w.dec(e.vcpu); w.text(' '); w.text(e.dir);
      return;
    case 'ffa':
      if (e.dir !== undefined) { w.text(e.dir); w.text(' '); w.text(e.name ?? hex(e.fid)); w.text(' '); }
      w.text('fid='); w.hex(e.fid); w.text(' src='); w.hex(e.src); w.text(' dst='); w.hex(e.dst); w.text(' args='); renderHexList(e.args, w);
      if (e.of !== undefined) { w.text(' of='); w.text(e.of); }
      if (e.error !== undefined) { w.text(' error='); w.text(e.error); }
      if (e.handle !== undefined) { w.text(' handle='); w.text(e.handle); }
      if (e.receivers !== undefined) { w.text(' receivers=['); e.receivers.forEach((r, i) => { if (i !== 0) w.text(','); w.hex(r); }); w.text(']'); }
      if (e.pages !== undefined) { w.text(' pages='); w.dec(e.pages); }
      return;
    case 'mmio':
      w.text(e.write ? 'W' : 'R'); w.dec(e.size); w.text(' pa='); w.text(e.pa); w.text(' value='); w.text(e.value);
      return;
  }
}

/** The canonical line: `#<seq> @<tick> cpu<N> <kind> <fields>[ world=s]`. */
function renderEvent(e: TraceEvent, w: LineWriter): void {
  w.text('#'); w.dec(e.seq); w.text(' @'); w.dec(e.tick); w.text(cpuText(e.cpu)); w.text(e.kind); w.text(' ');
  renderBody(e, w);
  if (e.world === 's') w.text(' world=s');
}

class StringLine implements LineWriter {
  s = '';
  text(t: string): void {
    this.s += t;
  }
  dec(n: number): void {
    this.s += dec(n);
  }
  hex(n: number): void {
    this.s += hex(n);
  }
}

/** The event's fields after seq/tick/cpu/kind, in canonical order. */
export function formatEventBody(e: TraceEvent): string {
  const w = new StringLine();
  renderBody(e, w);
  return w.s;
}

/** Canonical one-line rendering: `#<seq> @<tick> cpu<N> <kind> <fields>[ world=s]`. */
export function formatEvent(e: TraceEvent): string {
  const w = new StringLine();
  renderEvent(e, w);
  return w.s;
}

const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
/** Longest rendering of a number: String(n) of any double is at most 24 characters. */
const NUMBER_ROOM_BYTES = 26;

/** Canonical lines (formatEvent(e) + "\n") as UTF-8 in a growable buffer,
 *  with the count of their UTF-16 code units (the digest's block rule counts
 *  those). */
export class EventLineBytes implements LineWriter {
  bytes: Buffer;
  len = 0;
  /** UTF-16 code units of what the buffer holds. */
  units = 0;

  constructor(initialBytes: number) {
    this.bytes = Buffer.allocUnsafe(Math.max(initialBytes, 64));
  }

  /** Append formatEvent(e) + "\n". */
  line(e: TraceEvent): void {
    renderEvent(e, this);
    this.text('\n');
  }

  clear(): void {
    this.len = 0;
    this.units = 0;
  }

  text(s: string): void {
    const n = s.length;
    this.units += n;
    if (this.len + 3 * n > this.bytes.length) this.grow(3 * n);
    const out = this.bytes;
    const at = this.len;
    if (n > 32) {
      this.len += out.write(s, at, 'utf8');
      return;
    }
    // A loop for short ASCII: Buffer.write costs more for a few bytes.
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.len += out.write(s, at, 'utf8');
        return;
      }
      out[at + i] = c;
    }
    this.len = at + n;
  }

  dec(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) {
      this.text(String(v));
      return;
    }
    if (this.len + NUMBER_ROOM_BYTES > this.bytes.length) this.grow(NUMBER_ROOM_BYTES);
    const at = this.len;
    // Below 2^53: at most 8 digits above the last 8, each part an int32.
    const end = v < 100_000_000 ? this.smallDec(at, v, 0) : this.smallDec(this.smallDec(at, Math.floor(v / 100_000_000), 0), v % 100_000_000, 8);
    this.units += end - at;
    this.len = end;
  }

  /** An integer below 10^8 in decimal, zero-padded to `width` digits. */
  private smallDec(at: number, v: number, width: number): number {
    const out = this.bytes;
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

  hex(v: number): void {
    if (this.len + NUMBER_ROOM_BYTES > this.bytes.length) this.grow(NUMBER_ROOM_BYTES);
    const out = this.bytes;
    const u = v >>> 0;
    let digits = 1;
    while (digits < 8 && u >>> (4 * digits) !== 0) digits++;
    let at = this.len;
    out[at++] = 0x30; // '0x'
    out[at++] = 0x78;
    for (let i = 0; i < digits; i++) out[at + i] = HEX_DIGITS[(u >>> (4 * (digits - 1 - i))) & 0xf]!;
    this.len = at + digits;
    this.units += 2 + digits;
  }

  private grow(n: number): void {
    const grown = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.len + n));
    this.bytes.copy(grown, 0, 0, this.len);
    this.bytes = grown;
  }
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
  ffa: ['dir', 'name', 'fid', 'src', 'dst', 'args', 'of', 'error', 'handle', 'receivers', 'pages'],
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

// Where a replay stops: the kinds of target, their descriptions, and how a
// target that the recorded events already locate is resolved to an event
// (so replay can start from the nearest snapshot before it). Targets that
// depend on state the events do not hold (a PC, an untrapped system-register
// access, an HVC/SMC's function id, a tick) are found while replaying.
//
// Every target stops at a step boundary (docs/replay.md "Where a run stops"):
// - an event target stops at the end of the step that emitted the event; an
//   exception stops at its entry, before the handler at the target level runs;
// - `pc` stops before the instruction at the address executes;
// - `sysreg` stops right after the instruction that accessed the register
//   (or at the entry of the exception a trapped access took);
// - `tick` stops before the first step that starts at a clock >= T.
import type { TraceEvent } from '../core/trace/events.js';
import * as P from '../core/firmware/psci.js';
import { SYSREG_NAME_BY_KEY, genericSysregName } from '../core/asm/sysreg-names.js';
import type { TraceReader } from './traceFile.js';

export type ReplayTarget =
  | { kind: 'exception'; n: number }
  | { kind: 'event'; seq: number }
  | { kind: 'tick'; tick: number }
  /** Before the instruction at `va` executes, the `count`th time (optionally only on one CPU / at one EL). */
  | { kind: 'pc'; va: bigint; cpu?: number; el?: number; count: number }
  /** The instruction whose UART write completes `text` on the console, the `count`th time. */
  | { kind: 'uart'; text: string; count: number }
  /** After the `count`th PSCI/SMCCC call with one of these function ids (`name` for messages). */
  | { kind: 'psci'; fns: number[]; name: string; count: number }
  /** At the entry of the `count`th HVC / SMC exception, optionally only those with w0 = fid. */
  | { kind: 'hvc' | 'smc'; fid?: number; count: number }
  /** After the step that logged the `count`th FF-A event (a call or its answer, any
   *  world), optionally only those whose function id is in `fids` (`name` for messages). */
  | { kind: 'ffa'; fids?: number[]; name?: string; count: number }
  /** After the `count`th MRS/MSR of a system register (key: op0:op1:CRn:CRm:op2). */
  | { kind: 'sysreg'; key: number; count: number }
  | { kind: 'end' };

/** ESR_ELx.EC values of the exceptions the hvc/smc/sysreg targets match. */
export const EC_HVC64 = 0x16;
export const EC_SMC64 = 0x17;
export const EC_SYSREG = 0x18;

/** The PSCI and SMCCC function names `--until psci NAME` accepts, with every id they stand for. */
export const PSCI_FUNCTIONS: ReadonlyMap<string, readonly number[]> = new Map([
  ['VERSION', [P.PSCI_VERSION]],
  ['CPU_SUSPEND', [P.PSCI_CPU_SUSPEND_32, P.PSCI_CPU_SUSPEND_64]],
  ['CPU_OFF', [P.PSCI_CPU_OFF]],
  ['CPU_ON', [P.PSCI_CPU_ON_32, P.PSCI_CPU_ON_64]],
  ['AFFINITY_INFO', [P.PSCI_AFFINITY_INFO_32, P.PSCI_AFFINITY_INFO_64]],
  ['MIGRATE_INFO_TYPE', [P.PSCI_MIGRATE_INFO_TYPE]],
  ['SYSTEM_OFF', [P.PSCI_SYSTEM_OFF]],
  ['SYSTEM_RESET', [P.PSCI_SYSTEM_RESET]],
  ['FEATURES', [P.PSCI_FEATURES]],
  ['SMCCC_VERSION', [P.SMCCC_VERSION]],
  ['SMCCC_ARCH_FEATURES', [P.SMCCC_ARCH_FEATURES]],
]);

/** The sysreg key an EC 0x18 ISS names (ARM ARM D17.2.37: Op0, Op2, Op1, CRn, Rt, CRm, Direction). */
export function sysregKeyOfIss(iss: number): number {
  const op0 = (iss >> 20) & 3;
  const op2 = (iss >> 17) & 7;
  const op1 = (iss >> 14) & 7;
  const crn = (iss >> 10) & 15;
  const crm = (iss >> 1) & 15;
  return (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;
}

export function sysregName(key: number): string {
  return (SYSREG_NAME_BY_KEY.get(key) ?? genericSysregName(key)).toUpperCase();
}

const nth = (count: number): string => (count === 1 ? '' : ` (occurrence ${count})`);

/** "exception 4211", "pc 0x40080000 on cpu1 at EL1 (occurrence 3)", ... */
export function describeTarget(t: ReplayTarget): string {
  switch (t.kind) {
    case 'exception': return `exception ${t.n}`;
    case 'event': return `event ${t.seq}`;
    case 'tick': return `tick ${t.tick}`;
    case 'pc': return `pc 0x${t.va.toString(16)}${t.cpu === undefined ? '' : ` on cpu${t.cpu}`}${t.el === undefined ? '' : ` at EL${t.el}`}${nth(t.count)}`;
    case 'uart': return `uart ${JSON.stringify(t.text)}${nth(t.count)}`;
    case 'psci': return `psci ${t.name}${nth(t.count)}`;
    case 'hvc':
    case 'smc': return `${t.kind}${t.fid === undefined ? '' : ` 0x${t.fid.toString(16)}`}${nth(t.count)}`;
    case 'sysreg': return `sysreg ${sysregName(t.key)}${nth(t.count)}`;
    case 'ffa': return `ffa${t.name === undefined ? '' : ` ${t.name}`}${nth(t.count)}`;
    case 'end': return 'the end of the recording';
  }
}

/** How the recorded events locate a target. */
export type Resolution =
  /** Stop after event `seq` (an exception: at its entry). */
  | { kind: 'seq'; seq: number }
  /** Found while replaying (from the start; a tick: from a snapshot at or before it). */
  | { kind: 'run' }
  /** The recording does not reach it; `why` names how far it goes. */
  | { kind: 'missing'; why: string };

/** The recording's last event seq, or firstSeq - 1 without events. */
export function lastSeqOf(reader: TraceReader): number {
  return reader.firstSeq + reader.eventCount - 1;
}

/** The largest event tick in the recording (0 without events). Events are
 *  in execution order, not tick order (CPUs of a window run one after the
 *  other), so this is the index's maximum, not the last event's tick. */
export function lastTickOf(reader: TraceReader): number {
  let best = 0;
  for (const c of reader.index.chunks) if (c.kind === 'events' && c.maxTick !== null && c.maxTick > best) best = c.maxTick;
  return best;
}

/** The seq of the `count`th event matching `pred` among events of `kinds`, or null. */
function nthEvent(reader: TraceReader, kinds: TraceEvent['kind'][], count: number, pred: (e: TraceEvent) => boolean): { seq: number | null; seen: number } {
  let seen = 0;
  for (const e of reader.eventsInRange(reader.firstSeq, Number.MAX_SAFE_INTEGER, kinds)) {
    if (pred(e) && ++seen === count) return { seq: e.seq, seen };
  }
  return { seq: null, seen };
}

function times(n: number): string {
  return n === 1 ? 'once' : `${n.toLocaleString('en-US')} times`;
}

/** Resolve `t` against the recording. */
export function resolveTarget(reader: TraceReader, t: ReplayTarget): Resolution {
  const last = lastSeqOf(reader);
  switch (t.kind) {
    case 'end':
      return { kind: 'seq', seq: last };
    case 'event':
      if (t.seq >= reader.firstSeq && t.seq <= last) return { kind: 'seq', seq: t.seq };
      return { kind: 'missing', why: last < reader.firstSeq ? 'the recording has no events' : `the recording's events are #${reader.firstSeq}..#${last}` };
    case 'exception': {
      const f = reader.findException(t.n);
      if (f) return { kind: 'seq', seq: f.seq };
      const lastN = lastExceptionNumber(reader);
      return { kind: 'missing', why: lastN === null ? 'the recording has no exceptions' : `the recording's last exception is ${lastN.toLocaleString('en-US')}` };
    }
    case 'tick': {
      const lastTick = lastTickOf(reader);
      if (t.tick <= lastTick) return { kind: 'run' };
      return { kind: 'missing', why: `the recording's events end at tick ${lastTick.toLocaleString('en-US')}` };
    }
    case 'uart': {
      // The byte that completes the text: a rolling match over each console
      // stream (the Non-secure UART's, the secure UART's: world=s), so bytes
      // of the two never combine into a match.
      const want = Buffer.from(t.text, 'latin1');
      const tails = { ns: '', s: '' };
      const text = want.toString('latin1');
      const r = nthEvent(reader, ['uart-out'], t.count, (e) => {
        if (e.kind !== 'uart-out') return false;
        const w = e.world ?? 'ns';
        tails[w] = (tails[w] + String.fromCharCode(e.byte)).slice(-text.length);
        return tails[w] === text;
      });
      return r.seq !== null ? { kind: 'seq', seq: r.seq } : { kind: 'missing', why: `the console output holds it ${r.seen === 0 ? 'nowhere' : times(r.seen)}` };
    }
    case 'psci': {
      const fns = new Set(t.fns.map((f) => f >>> 0));
      const r = nthEvent(reader, ['psci'], t.count, (e) => e.kind === 'psci' && fns.has(e.fn >>> 0));
      return r.seq !== null ? { kind: 'seq', seq: r.seq } : { kind: 'missing', why: `the recording makes that call ${r.seen === 0 ? 'nowhere' : times(r.seen)}` };
    }
    case 'hvc':
    case 'smc': {
      if (t.fid !== undefined) return { kind: 'run' }; // w0 is not in the events
      const ec = t.kind === 'hvc' ? EC_HVC64 : EC_SMC64;
      const r = nthEvent(reader, ['exception'], t.count, (e) => e.kind === 'exception' && e.type === 'sync' && e.ec === ec);
      return r.seq !== null ? { kind: 'seq', seq: r.seq } : { kind: 'missing', why: `the recording takes ${r.seen === 0 ? 'no' : times(r.seen)} ${t.kind.toUpperCase()} exception${r.seen === 1 ? '' : 's'}` };
    }
    case 'ffa': {
      const fids = t.fids === undefined ? null : new Set(t.fids.map((f) => f >>> 0));
      const r = nthEvent(reader, ['ffa'], t.count, (e) => e.kind === 'ffa' && (fids === null || fids.has(e.fid >>> 0)));
      return r.seq !== null ? { kind: 'seq', seq: r.seq } : { kind: 'missing', why: `the recording has ${r.seen === 0 ? 'no' : `only ${r.seen.toLocaleString('en-US')}`} such FF-A event${r.seen === 1 ? '' : 's'}` };
    }
    case 'pc':
    case 'sysreg':
      return { kind: 'run' };
  }
}

/** The highest exception number in the recording, or null. */
export function lastExceptionNumber(reader: TraceReader): number | null {
  let best: number | null = null;
  for (const c of reader.index.chunks) if (c.excMax !== null && (best === null || c.excMax > best)) best = c.excMax;
  return best;
}

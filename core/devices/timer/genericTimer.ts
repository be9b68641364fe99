// The ARM Generic Timer, per-PE timers (Arm ARM D11 "The Generic Timer in
// AArch64 state", register descriptions in D19/D23 CNTP_*, CNTV_*, CNTHP_*,
// CNTPS_*).
//
// Each PE has up to four timers, each a CTL / CVAL / TVAL triple:
//   phys  EL1 physical timer   CNTP_*_EL0    PPI INTID 30   counts CNTPCT
//   virt  EL1 virtual timer    CNTV_*_EL0    PPI INTID 27   counts CNTVCT = CNTPCT - CNTVOFF_EL2
//   hyp   EL2 physical timer   CNTHP_*_EL2   PPI INTID 26   counts CNTPCT   (when EL2 is implemented)
//   sec   secure phys. timer   CNTPS_*_EL1   PPI INTID 29   counts CNTPCT   (when EL3 is implemented)
// (INTIDs as on QEMU's virt board.) The system counter is a pure function of
// virtual time: CNTPCT = floor(tick / TICKS_PER_COUNTER).
//
// The timer condition (D11.2.4) is  counter >= CVAL, an unsigned 64-bit
// compare. CTL.ISTATUS reports it while ENABLE is set (0 when disabled, as
// QEMU does). The output is level-sensitive: ENABLE && !IMASK && ISTATUS,
// driven into the GIC with InterruptSink.setPpiLevel. The first tick at which
// the condition becomes true is scheduled on the EventQueue (kind 'gtimer',
// target = cpu, arg = timer index); reprogramming cancels the old event.
// TVAL is a signed 32-bit view: reading gives (CVAL - counter)[31:0]
// (bits 63:32 RES0), writing sets CVAL = counter + SignExtend(TVAL[31:0]).
//
// Not modelled: VHE (HCR_EL2.E2H = 1 register redirection, CNTHV_*, *_EL02),
// FEAT_ECV, FEAT_SEL2 secure EL2 timers (CNTHPS/CNTHVS), and the drop of
// ISTATUS when a virtual count wraps past 2^64 (only possible when
// CNTVOFF > CNTPCT): the level is recomputed at every register access and
// event, but no event is scheduled for the wrap.

import type { EventQueue, ScheduledEvent } from '../../clock/eventQueue.js';
import { HOST_OK, HOST_TRAP_EL2, HOST_UNDEF, TICKS_PER_COUNTER } from '../../cpu/cpu.js';
import { sysregKey, type CpuView, type HostStatus, type SysregDevice } from '../../cpu/ports.js';
import type { InterruptSink } from '../../memory/mmio.js';
import { hex64, parseHex64, type Hex64, type TimerName } from '../../trace/events.js';
import type { TraceSink } from '../../trace/sink.js';
import { upgradeRecord, type RecordSchema } from '../../stateRecord.js';

const TIMER_SCHEMA: RecordSchema = { name: 'generic timer state', version: 1 };

export const GTIMER_EVENT_KIND = 'gtimer';

export const TIMER_PHYS = 0;
export const TIMER_VIRT = 1;
export const TIMER_HYP = 2;
export const TIMER_SEC = 3;
export const TIMER_NAMES: readonly TimerName[] = ['phys', 'virt', 'hyp', 'sec'];
/** PPI INTIDs, indexed by timer. */
export const TIMER_INTIDS: readonly number[] = [30, 27, 26, 29];

export const CTL_ENABLE = 1;
export const CTL_IMASK = 2;
export const CTL_ISTATUS = 4;

// CNTKCTL_EL1 / CNTHCTL_EL2 / HCR_EL2 / SCR_EL3 bits used by the access checks.
const CNTKCTL_EL0VTEN = 1n << 8n;
const CNTKCTL_EL0PTEN = 1n << 9n;
const CNTHCTL_EL1PCEN = 1n << 1n;
const HCR_TGE = 1n << 27n;
const SCR_NS = 1n;
const SCR_ST = 1n << 11n;
const SCR_EEL2 = 1n << 18n;

const MASK64 = (1n << 64n) - 1n;
const TPC = BigInt(TICKS_PER_COUNTER);
const MAX_TICK = BigInt(Number.MAX_SAFE_INTEGER);

type Reg = 'ctl' | 'cval' | 'tval';

// op0=3, CRn=14; op1 selects the timer's register block, CRm/op2 the register.
function timerKeys(op1: number, crm: number): [number, number, number] {
  return [sysregKey(3, op1, 14, crm, 0), sysregKey(3, op1, 14, crm, 1), sysregKey(3, op1, 14, crm, 2)];
}
export const KEY_CNTP_TVAL_EL0 = sysregKey(3, 3, 14, 2, 0);
export const KEY_CNTP_CTL_EL0 = sysregKey(3, 3, 14, 2, 1);
export const KEY_CNTP_CVAL_EL0 = sysregKey(3, 3, 14, 2, 2);
export const KEY_CNTV_TVAL_EL0 = sysregKey(3, 3, 14, 3, 0);
export const KEY_CNTV_CTL_EL0 = sysregKey(3, 3, 14, 3, 1);
export const KEY_CNTV_CVAL_EL0 = sysregKey(3, 3, 14, 3, 2);
export const KEY_CNTHP_TVAL_EL2 = sysregKey(3, 4, 14, 2, 0);
export const KEY_CNTHP_CTL_EL2 = sysregKey(3, 4, 14, 2, 1);
export const KEY_CNTHP_CVAL_EL2 = sysregKey(3, 4, 14, 2, 2);
export const KEY_CNTPS_TVAL_EL1 = sysregKey(3, 7, 14, 2, 0);
export const KEY_CNTPS_CTL_EL1 = sysregKey(3, 7, 14, 2, 1);
export const KEY_CNTPS_CVAL_EL1 = sysregKey(3, 7, 14, 2, 2);

/** Physical count at a tick. */
export function physicalCount(tick: number): bigint {
  return BigInt(Math.floor(tick / TICKS_PER_COUNTER));
}

/** First tick >= now at which (physicalCount(tick) - offset) mod 2^64 >= cval,
 *  given that the condition is not met at `now`; Infinity if that tick is
 *  beyond 2^53 - 1. */
export function firstTickMet(now: number, cval: bigint, offset: bigint): number {
  const p = physicalCount(now);
  const v = (p - offset) & MASK64;
  if (v >= cval) return now;
  // The count rises by one per TICKS_PER_COUNTER ticks and cannot wrap
  // before reaching cval (cval <= 2^64 - 1).
  const tick = (p + (cval - v)) * TPC;
  return tick > MAX_TICK ? Infinity : Number(tick);
}

export interface GenericTimerOptions {
  cpus: CpuView;
  irq: InterruptSink;
  queue: EventQueue;
  trace: TraceSink;
  /** EL2 implemented: CNTHP_* exist, CNTHCTL_EL2.EL1PCEN traps EL0/EL1 physical timer accesses. */
  hasEl2: boolean;
  /** EL3 implemented: CNTPS_* exist. */
  hasEl3: boolean;
  /** Seeded chaos (core/clock/chaos.ts): the line rises `draw()` ticks
   *  (0..maxTicks) after the condition is met; ISTATUS stays exact, and an
   *  access after the condition is met raises the line at once. */
  latency?: { maxTicks: number; draw: () => number };
}

export interface TimerRecord {
  /** ENABLE and IMASK bits as written (ISTATUS is computed). */
  ctl: number;
  cval: Hex64;
  /** Pending EventQueue id of the firing event, -1 when none. */
  eventId: number;
  /** Current output line level. */
  level: boolean;
}

export interface GenericTimerState {
  version: 1;
  cpus: Array<{ phys: TimerRecord; virt: TimerRecord; hyp: TimerRecord; sec: TimerRecord }>;
}

interface Timer {
  ctl: number;
  cval: bigint;
  eventId: number;
  level: boolean;
}

function newTimer(): Timer {
  return { ctl: 0, cval: 0n, eventId: -1, level: false };
}

export class GenericTimer implements SysregDevice {
  private readonly cpus: CpuView;
  private readonly irq: InterruptSink;
  private readonly queue: EventQueue;
  private readonly trace: TraceSink;
  private readonly hasEl2: boolean;
  private readonly hasEl3: boolean;
  private readonly latency: GenericTimerOptions['latency'];
  private readonly keys = new Map<number, { timer: number; reg: Reg }>();
  /** timers[cpu][timerIndex] */
  private timers: Timer[][];

  constructor(opts: GenericTimerOptions) {
    this.cpus = opts.cpus;
    this.irq = opts.irq;
    this.queue = opts.queue;
    this.trace = opts.trace;
    this.hasEl2 = opts.hasEl2;
    this.hasEl3 = opts.hasEl3;
    this.latency = opts.latency;
    const blocks: Array<[number, number, number, boolean]> = [
      [TIMER_PHYS, 3, 2, true],
      [TIMER_VIRT, 3, 3, true],
      [TIMER_HYP, 4, 2, this.hasEl2],
      [TIMER_SEC, 7, 2, this.hasEl3],
    ];
    for (const [timer, op1, crm, present] of blocks) {
      if (!present) continue;
      const [tval, ctl, cval] = timerKeys(op1, crm);
      this.keys.set(tval, { timer, reg: 'tval' });
      this.keys.set(ctl, { timer, reg: 'ctl' });
      this.keys.set(cval, { timer, reg: 'cval' });
    }
    this.timers = Array.from({ length: this.cpus.numCpus }, () => [newTimer(), newTimer(), newTimer(), newTimer()]);
  }

  claims(key: number): boolean {
    return this.keys.has(key);
  }

  read(cpu: number, key: number, out: { value: bigint }): HostStatus {
    const r = this.keys.get(key);
    if (r === undefined) return HOST_UNDEF;
    const st = this.checkAccess(cpu, r.timer);
    if (st !== HOST_OK) return st;
    const tm = this.timer(cpu, r.timer);
    const now = this.cpus.nowTick(cpu);
    switch (r.reg) {
      case 'ctl':
        out.value = BigInt(this.ctlValue(cpu, r.timer, tm, now));
        break;
      case 'cval':
        out.value = tm.cval;
        break;
      case 'tval':
        out.value = BigInt.asUintN(32, tm.cval - this.count(cpu, r.timer, now));
        break;
    }
    return HOST_OK;
  }

  write(cpu: number, key: number, value: bigint): HostStatus {
    const r = this.keys.get(key);
    if (r === undefined) return HOST_UNDEF;
    const st = this.checkAccess(cpu, r.timer);
    if (st !== HOST_OK) return st;
    const tm = this.timer(cpu, r.timer);
    const now = this.cpus.nowTick(cpu);
    switch (r.reg) {
      case 'ctl':
        tm.ctl = Number(value & 3n);
        break;
      case 'cval':
        tm.cval = value & MASK64;
        break;
      case 'tval':
        tm.cval = (this.count(cpu, r.timer, now) + BigInt.asIntN(32, value)) & MASK64;
        break;
    }
    this.trace.emit({
      tick: now,
      cpu,
      kind: 'timer-program',
      timer: TIMER_NAMES[r.timer]!,
      ctl: this.ctlValue(cpu, r.timer, tm, now),
      cval: hex64(tm.cval),
    });
    this.update(cpu, r.timer, now);
    return HOST_OK;
  }

  /** Handle a due 'gtimer' event from the EventQueue. */
  onEvent(ev: ScheduledEvent): void {
    if (ev.kind !== GTIMER_EVENT_KIND) return;
    const cpu = ev.target;
    const tm = this.timers[cpu]?.[ev.arg];
    if (tm === undefined || tm.eventId !== ev.id) return; // stale
    tm.eventId = -1;
    this.update(cpu, ev.arg, Math.max(ev.tick, this.cpus.nowTick(cpu)));
  }

  /** Re-evaluate every timer of `cpu` against the current counter and
   *  offsets: call after the hypervisor changes CNTVOFF_EL2 (or after
   *  loading CPU state that changes it). */
  reevaluate(cpu: number): void {
    const now = this.cpus.nowTick(cpu);
    for (let t = 0; t < 4; t++) if (this.present(t)) this.update(cpu, t, now);
  }

  /** Current output level of a timer (for tests and displays). */
  lineLevel(cpu: number, timer: number): boolean {
    return this.timer(cpu, timer).level;
  }

  /** Tick of the pending firing event, Infinity when none. */
  pendingTick(cpu: number, timer: number): number {
    const id = this.timer(cpu, timer).eventId;
    return id < 0 ? Infinity : (this.queue.get(id)?.tick ?? Infinity);
  }

  getState(): GenericTimerState {
    const rec = (t: Timer): TimerRecord => ({ ctl: t.ctl, cval: hex64(t.cval), eventId: t.eventId, level: t.level });
    return {
      version: 1,
      cpus: this.timers.map((ts) => ({ phys: rec(ts[0]!), virt: rec(ts[1]!), hyp: rec(ts[2]!), sec: rec(ts[3]!) })),
    };
  }

  /** Load a saved state. The EventQueue must be loaded from the same
   *  snapshot (it holds the events whose ids are recorded here). Line levels
   *  are restored as recorded, not re-driven: the GIC's state holds them. */
  loadState(record: GenericTimerState): void {
    const fresh = (): TimerRecord => ({ ctl: 0, cval: '0x0', eventId: -1, level: false });
    const reset: GenericTimerState = { version: 1, cpus: Array.from({ length: this.cpus.numCpus }, () => ({ phys: fresh(), virt: fresh(), hyp: fresh(), sec: fresh() })) };
    const state = upgradeRecord<GenericTimerState>(TIMER_SCHEMA, record, reset);
    if (state.cpus.length !== this.cpus.numCpus) {
      throw new Error(`GenericTimer: state has ${state.cpus.length} CPUs, machine has ${this.cpus.numCpus}`);
    }
    const load = (r: TimerRecord): Timer => ({ ctl: r.ctl & 3, cval: parseHex64(r.cval), eventId: r.eventId, level: r.level });
    this.timers = state.cpus.map((c) => [load(c.phys), load(c.virt), load(c.hyp), load(c.sec)]);
  }

  // ---- internals ----

  private present(t: number): boolean {
    return t === TIMER_HYP ? this.hasEl2 : t === TIMER_SEC ? this.hasEl3 : true;
  }

  private timer(cpu: number, t: number): Timer {
    const tm = this.timers[cpu]?.[t];
    if (tm === undefined) throw new RangeError(`GenericTimer: no timer ${t} on cpu ${cpu}`);
    return tm;
  }

  private offset(cpu: number, t: number): bigint {
    return t === TIMER_VIRT && this.hasEl2 ? this.cpus.reg(cpu, 'CNTVOFF_EL2') & MASK64 : 0n;
  }

  private count(cpu: number, t: number, now: number): bigint {
    return (physicalCount(now) - this.offset(cpu, t)) & MASK64;
  }

  private conditionMet(cpu: number, t: number, tm: Timer, now: number): boolean {
    return (tm.ctl & CTL_ENABLE) !== 0 && this.count(cpu, t, now) >= tm.cval;
  }

  private ctlValue(cpu: number, t: number, tm: Timer, now: number): number {
    return tm.ctl | (this.conditionMet(cpu, t, tm, now) ? CTL_ISTATUS : 0);
  }

  /** Recompute the output line and the pending firing event. */
  private update(cpu: number, t: number, now: number): void {
    const tm = this.timer(cpu, t);
    const met = this.conditionMet(cpu, t, tm, now);
    const level = met && (tm.ctl & CTL_IMASK) === 0;
    if (level !== tm.level) {
      tm.level = level;
      if (level) this.trace.emit({ tick: now, cpu, kind: 'timer-fire', timer: TIMER_NAMES[t]!, cval: hex64(tm.cval) });
      this.irq.setPpiLevel(cpu, TIMER_INTIDS[t]!, level);
    }
    // An event is needed only when the line could rise later: enabled,
    // unmasked, condition not yet met.
    let fireTick = Infinity;
    if ((tm.ctl & (CTL_ENABLE | CTL_IMASK)) === CTL_ENABLE && !met) {
      fireTick = firstTickMet(now, tm.cval, this.offset(cpu, t));
    }
    const lag = this.latency?.maxTicks ?? 0;
    if (tm.eventId >= 0) {
      const pending = this.queue.get(tm.eventId);
      // With chaos latency an event already drawn for this deadline stands.
      if (pending !== undefined && pending.tick >= fireTick && pending.tick <= fireTick + lag) return;
      this.queue.cancel(tm.eventId);
      tm.eventId = -1;
    }
    if (fireTick !== Infinity) tm.eventId = this.queue.schedule(lag > 0 ? fireTick + this.latency!.draw() : fireTick, GTIMER_EVENT_KIND, cpu, t);
  }

  /** Access checks (Arm ARM register descriptions, HCR_EL2.E2H = 0). The core
   *  has checked the register's minimum EL only loosely (EL0-accessible
   *  encodings); the timer-specific enables are checked here. */
  private checkAccess(cpu: number, t: number): HostStatus {
    const el = this.cpus.el(cpu);
    switch (t) {
      case TIMER_PHYS:
      case TIMER_VIRT: {
        if (el === 0) {
          const kctl = this.cpus.reg(cpu, 'CNTKCTL_EL1');
          const bit = t === TIMER_PHYS ? CNTKCTL_EL0PTEN : CNTKCTL_EL0VTEN;
          if ((kctl & bit) === 0n) {
            // SystemAccessTrap to EL2 when HCR_EL2.TGE routes EL0 there;
            // otherwise to EL1 with EC 0x18, which the host-call interface
            // cannot express yet: reported as UNDEFINED (an EL1 exception).
            if (this.el2Enabled(cpu) && (this.cpus.reg(cpu, 'HCR_EL2') & HCR_TGE) !== 0n) return HOST_TRAP_EL2;
            return HOST_UNDEF;
          }
        }
        if (t === TIMER_PHYS && el <= 1 && this.el2Enabled(cpu)) {
          if ((this.cpus.reg(cpu, 'CNTHCTL_EL2') & CNTHCTL_EL1PCEN) === 0n) return HOST_TRAP_EL2;
        }
        return HOST_OK;
      }
      case TIMER_HYP:
        return el >= 2 ? HOST_OK : HOST_UNDEF;
      case TIMER_SEC:
        if (el === 3) return HOST_OK;
        // Secure EL1 with SCR_EL3.ST = 1 may access CNTPS_*, unless Secure
        // EL2 is enabled (then UNDEFINED, as QEMU's gt_stimer_access); with
        // ST = 0 the access traps to EL3 (not expressible: UNDEFINED);
        // elsewhere UNDEFINED.
        if (el === 1 && !this.cpus.isNonSecure(cpu) && !this.el2Enabled(cpu) && (this.cpus.reg(cpu, 'SCR_EL3') & SCR_ST) !== 0n) return HOST_OK;
        return HOST_UNDEF;
      default:
        return HOST_UNDEF;
    }
  }

  /** EL2Enabled(): EL2 implemented and enabled in the current security state. */
  private el2Enabled(cpu: number): boolean {
    if (!this.hasEl2) return false;
    if (this.cpus.isNonSecure(cpu)) return true;
    if (!this.hasEl3) return false;
    const scr = this.cpus.reg(cpu, 'SCR_EL3');
    // SCR_EL3.EEL2 counts only with Secure EL2 implemented (ID_AA64PFR0_EL1.SEL2).
    const sel2 = ((this.cpus.reg(cpu, 'ID_AA64PFR0_EL1') >> 36n) & 0xfn) !== 0n;
    return (scr & SCR_NS) !== 0n || (sel2 && (scr & SCR_EEL2) !== 0n);
  }
}

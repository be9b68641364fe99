// ARM PrimeCell Real Time Clock PL031 (ARM DDI 0224), as on QEMU's virt
// board (SPI 2 = INTID 34).
//
// The counter is a pure function of virtual time: one count per 10^9 ticks
// (one virtual second), starting from the configured base epoch, never wall
// time:  RTCDR = (offset + floor(tick / 1e9)) mod 2^32,  offset = baseEpoch
// at reset. Writing RTCLR moves the offset so that RTCDR reads the loaded
// value from then on (as QEMU does).
//
// Match interrupt: when RTCDR becomes equal to RTCMR, RTCRIS bit 0 is set
// (latched until RTCICR); the output level is RIS & IMSC. The exact tick at
// which the count reaches MR is scheduled on the EventQueue (kind 'pl031');
// writing MR or LR reschedules. As in QEMU, writing an MR equal to the current
// count raises the interrupt at once.
//
// RTCCR reads 1: the counter always runs (QEMU: "RTC is permanently
// enabled"); writes are ignored.

import type { EventQueue, ScheduledEvent } from '../clock/eventQueue.js';
import type { CpuView } from '../cpu/ports.js';
import type { InterruptSink, MmioDevice } from '../memory/mmio.js';
import { upgradeRecord, type RecordSchema } from '../stateRecord.js';

const PL031_SCHEMA: RecordSchema = { name: 'PL031 state', version: 1 };

export const PL031_INTID = 34;
export const PL031_EVENT_KIND = 'pl031';
export const TICKS_PER_SECOND = 1_000_000_000;

export const RTCDR = 0x000;
export const RTCMR = 0x004;
export const RTCLR = 0x008;
export const RTCCR = 0x00c;
export const RTCIMSC = 0x010;
export const RTCRIS = 0x014;
export const RTCMIS = 0x018;
export const RTCICR = 0x01c;

/** PeriphID0..3 then CellID0..3, at 0xFE0..0xFFC. */
export const PL031_ID_BYTES: readonly number[] = [0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1]; // as QEMU's pl031 (hw/rtc/pl031.c pl031_id)

export interface Pl031State {
  version: 1;
  /** RTCDR = (offset + floor(tick / 1e9)) mod 2^32. */
  offset: number;
  mr: number;
  lr: number;
  imsc: number;
  ris: number;
  level: boolean;
  /** Pending match event id, -1 when none. */
  eventId: number;
  log: { unknownReads: number; unknownWrites: number; lastUnknownOffset: number };
}

export interface Pl031Options {
  irq: InterruptSink;
  queue: EventQueue;
  /** Tick source for register accesses (the accessing CPU's tick). */
  cpus: Pick<CpuView, 'nowTick'>;
  /** RTCDR at tick 0, in seconds since the Unix epoch (from the machine
   *  configuration; deterministic). */
  baseEpochSeconds: number;
  intid?: number;
}

function secondsAt(tick: number): number {
  return Math.floor(tick / TICKS_PER_SECOND);
}

export class Pl031 implements MmioDevice {
  readonly name = 'pl031';
  private readonly irq: InterruptSink;
  private readonly queue: EventQueue;
  private readonly cpus: Pick<CpuView, 'nowTick'>;
  private readonly intid: number;
  private s: Pl031State;

  constructor(opts: Pl031Options) {
    this.irq = opts.irq;
    this.queue = opts.queue;
    this.cpus = opts.cpus;
    this.intid = opts.intid ?? PL031_INTID;
    if (!Number.isInteger(opts.baseEpochSeconds)) throw new RangeError('Pl031: baseEpochSeconds must be an integer');
    this.s = Pl031.resetState(opts.baseEpochSeconds);
  }

  /** The state at reset, with RTCDR = `baseEpochSeconds` at tick 0. */
  static resetState(baseEpochSeconds: number): Pl031State {
    return {
      version: 1,
      offset: baseEpochSeconds >>> 0,
      mr: 0,
      lr: 0,
      imsc: 0,
      ris: 0,
      level: false,
      eventId: -1,
      log: { unknownReads: 0, unknownWrites: 0, lastUnknownOffset: -1 },
    };
  }

  /** RTCDR at a given tick. */
  countAt(tick: number): number {
    return (this.s.offset + secondsAt(tick)) >>> 0;
  }

  read(offsetBytes: number, sizeBytes: number, cpu: number): number {
    const reg = offsetBytes & ~3;
    const shift = (offsetBytes & 3) * 8;
    const v = this.readReg(reg, cpu) >>> 0;
    return sizeBytes >= 4 ? v : (v >>> shift) & ((1 << (sizeBytes * 8)) - 1);
  }

  write(offsetBytes: number, sizeBytes: number, value: number, cpu: number): void {
    if ((offsetBytes & 3) !== 0) {
      this.unknown(offsetBytes, true);
      return;
    }
    const v = sizeBytes >= 4 ? value >>> 0 : value & ((1 << (sizeBytes * 8)) - 1);
    const now = this.cpus.nowTick(cpu);
    switch (offsetBytes) {
      case RTCMR:
        this.s.mr = v;
        this.schedule(now);
        return;
      case RTCLR:
        this.s.lr = v;
        this.s.offset = (v - secondsAt(now)) >>> 0;
        this.schedule(now);
        return;
      case RTCIMSC:
        this.s.imsc = v & 1;
        this.updateLine();
        return;
      case RTCICR:
        this.s.ris &= ~(v & 1);
        this.updateLine();
        return;
      case RTCCR:
      case RTCDR:
      case RTCRIS:
      case RTCMIS:
        return; // ignored / read-only
      default:
        if (offsetBytes >= 0xfe0 && offsetBytes <= 0xffc) return;
        this.unknown(offsetBytes, true);
    }
  }

  /** Handle a due 'pl031' match event. */
  onEvent(ev: ScheduledEvent): void {
    if (ev.kind !== PL031_EVENT_KIND || ev.id !== this.s.eventId) return;
    this.s.eventId = -1;
    if (this.countAt(ev.tick) === this.s.mr) {
      this.s.ris |= 1;
      this.updateLine();
    }
    // The next match is 2^32 seconds away: beyond any run.
  }

  /** Tick of the pending match event, Infinity when none. */
  pendingTick(): number {
    return this.s.eventId < 0 ? Infinity : (this.queue.get(this.s.eventId)?.tick ?? Infinity);
  }

  get level(): boolean {
    return this.s.level;
  }

  getState(): Pl031State {
    return { ...this.s, log: { ...this.s.log } };
  }

  /** Load a saved state (with the EventQueue from the same snapshot). */
  loadState(record: Pl031State): void {
    const state = upgradeRecord<Pl031State>(PL031_SCHEMA, record, Pl031.resetState(0));
    this.s = { ...state, log: { ...state.log } };
  }

  // ---- internals ----

  private readReg(reg: number, cpu: number): number {
    switch (reg) {
      case RTCDR:
        return this.countAt(this.cpus.nowTick(cpu));
      case RTCMR:
        return this.s.mr;
      case RTCLR:
        return this.s.lr;
      case RTCCR:
        return 1;
      case RTCIMSC:
        return this.s.imsc;
      case RTCRIS:
        return this.s.ris;
      case RTCMIS:
        return this.s.ris & this.s.imsc;
      case RTCICR:
        return 0;
      default:
        if (reg >= 0xfe0 && reg <= 0xffc) return PL031_ID_BYTES[(reg - 0xfe0) >> 2]!;
        this.unknown(reg, false);
        return 0;
    }
  }

  private schedule(now: number): void {
    if (this.s.eventId >= 0) {
      this.queue.cancel(this.s.eventId);
      this.s.eventId = -1;
    }
    const delta = (this.s.mr - this.countAt(now)) >>> 0;
    if (delta === 0) {
      this.s.ris |= 1;
      this.updateLine();
      return;
    }
    const tick = (secondsAt(now) + delta) * TICKS_PER_SECOND;
    if (tick <= Number.MAX_SAFE_INTEGER) this.s.eventId = this.queue.schedule(tick, PL031_EVENT_KIND, 0);
  }

  private updateLine(): void {
    const level = (this.s.ris & this.s.imsc) !== 0;
    if (level !== this.s.level) {
      this.s.level = level;
      this.irq.setSpiLevel(this.intid, level);
    }
  }

  private unknown(offset: number, isWrite: boolean): void {
    if (isWrite) this.s.log.unknownWrites++;
    else this.s.log.unknownReads++;
    this.s.log.lastUnknownOffset = offset;
  }
}

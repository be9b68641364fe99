// ARM PrimeCell UART PL011 (ARM DDI 0183, r1p5), as on QEMU's virt board
// (SPI 1 = INTID 33).
//
// Virtual-time model: transmission is instantaneous. A byte written to UARTDR
// goes straight to `onTx` (and a `uart-out` trace event), so the TX FIFO is
// always empty (FR.TXFE = 1, TXFF = 0, BUSY = 0). Received bytes arrive
// through `pushRx` (the machine schedules them as clock events) into a
// 32-entry RX FIFO (1 entry when LCR_H.FEN = 0).
//
// Interrupts (UARTRIS bits), level output = (RIS & IMSC) != 0:
//   RXIS  level: RX FIFO count >= the IFLS trigger level (>= 1 without FIFO).
//   RTIS  level: RX FIFO non-empty and below the trigger level. Real hardware
//         raises it after 32 idle bit periods; here it is immediate (as in
//         QEMU), which keeps it deterministic.
//   TXIS  latched: set whenever the (always empty) TX FIFO passes through its
//         trigger level, i.e. on every transmitted byte and when the
//         transmitter becomes enabled; cleared by UARTICR. (The hardware's
//         edge behaviour: a level model would storm a driver that leaves TXIM
//         set with nothing to send.)
//   OEIS  latched on RX overrun (byte lost, RSR.OE set); cleared by UARTICR.
//   Modem-status and framing/parity/break interrupts never occur.
// UARTICR writes to RXIC/RTIC have no lasting effect: those bits follow the
// FIFO level.
//
// Enables (UARTCR) are not enforced, as in QEMU: bytes sent or received while
// UARTEN/TXE/RXE are clear still pass and are counted in the log. Loopback (CR.LBE) feeds
// transmitted bytes into the RX FIFO instead of `onTx`.
// Offsets without a register read as zero and ignore writes, and are counted.

import type { CpuView } from '../cpu/ports.js';
import type { InterruptSink, MmioDevice } from '../memory/mmio.js';
import type { TraceSink } from '../trace/sink.js';
import { NO_CPU, worldField, type World } from '../trace/events.js';
import { upgradeRecord, type RecordSchema } from '../stateRecord.js';

const PL011_SCHEMA: RecordSchema = { name: 'PL011 state', version: 1 };

export const PL011_INTID = 33;
export const PL011_FIFO_DEPTH = 32;

// Register offsets.
export const UARTDR = 0x000;
export const UARTRSR = 0x004; // read: RSR, write: ECR
export const UARTFR = 0x018;
export const UARTILPR = 0x020;
export const UARTIBRD = 0x024;
export const UARTFBRD = 0x028;
export const UARTLCR_H = 0x02c;
export const UARTCR = 0x030;
export const UARTIFLS = 0x034;
export const UARTIMSC = 0x038;
export const UARTRIS = 0x03c;
export const UARTMIS = 0x040;
export const UARTICR = 0x044;
export const UARTDMACR = 0x048;

// UARTFR bits.
export const FR_BUSY = 1 << 3;
export const FR_RXFE = 1 << 4;
export const FR_TXFF = 1 << 5;
export const FR_RXFF = 1 << 6;
export const FR_TXFE = 1 << 7;

// UARTLCR_H / UARTCR bits.
export const LCR_H_FEN = 1 << 4;
export const CR_UARTEN = 1 << 0;
export const CR_LBE = 1 << 7;
export const CR_TXE = 1 << 8;
export const CR_RXE = 1 << 9;

// Interrupt bits (RIS/MIS/IMSC/ICR).
export const INT_RX = 1 << 4;
export const INT_TX = 1 << 5;
export const INT_RT = 1 << 6;
export const INT_OE = 1 << 10;
const INT_ALL = 0x7ff;

// RSR bits.
export const RSR_OE = 1 << 3;

/** PeriphID0..3 then CellID0..3, at 0xFE0..0xFFC (QEMU's "arm" variant). */
export const PL011_ID_BYTES: readonly number[] = [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

const RX_TRIGGER_EIGHTHS = [1, 2, 4, 6, 7]; // IFLS.RXIFLSEL 0..4: 1/8, 1/4, 1/2, 3/4, 7/8 full

export interface Pl011Log {
  unknownReads: number;
  unknownWrites: number;
  /** Last unknown offset accessed, -1 when none. */
  lastUnknownOffset: number;
  /** Bytes written to UARTDR while the transmitter was disabled (still sent, as QEMU does). */
  droppedTx: number;
  /** Bytes received while the receiver was disabled (still accepted, as QEMU does). */
  droppedRx: number;
  /** Bytes lost because the RX FIFO was full. */
  overruns: number;
}

export interface Pl011State {
  version: 1;
  /** RX FIFO contents, oldest first. */
  rxFifo: number[];
  rsr: number;
  ilpr: number;
  ibrd: number;
  fbrd: number;
  lcrH: number;
  cr: number;
  ifls: number;
  imsc: number;
  /** Latched interrupt bits (TX, OE); RX/RT are derived from the FIFO. */
  risLatched: number;
  dmacr: number;
  /** Current output line level. */
  level: boolean;
  log: Pl011Log;
}

export interface Pl011Options {
  irq: InterruptSink;
  trace: TraceSink;
  /** For the tick of `uart-out` events (the accessing CPU's tick). */
  cpus: Pick<CpuView, 'nowTick'>;
  /** Called with each transmitted byte. */
  onTx?: (byte: number) => void;
  intid?: number;
  /** The Security state the UART belongs to (its uart-in/out events carry it): the secure UART is 's'. Default 'ns'. */
  world?: World;
}

function resetState(): Pl011State {
  return {
    version: 1,
    rxFifo: [],
    rsr: 0,
    ilpr: 0,
    ibrd: 0,
    fbrd: 0,
    lcrH: 0,
    cr: CR_TXE | CR_RXE, // reset value 0x300
    ifls: 0x12, // both trigger levels 1/2
    imsc: 0,
    risLatched: 0,
    dmacr: 0,
    level: false,
    log: { unknownReads: 0, unknownWrites: 0, lastUnknownOffset: -1, droppedTx: 0, droppedRx: 0, overruns: 0 },
  };
}

export class Pl011 implements MmioDevice {
  readonly name = 'pl011';
  private readonly irq: InterruptSink;
  private readonly trace: TraceSink;
  private readonly cpus: Pick<CpuView, 'nowTick'>;
  private readonly intid: number;
  private readonly worldField: { world?: World };
  onTx: (byte: number) => void;
  private s: Pl011State = resetState();

  constructor(opts: Pl011Options) {
    this.irq = opts.irq;
    this.trace = opts.trace;
    this.cpus = opts.cpus;
    this.onTx = opts.onTx ?? (() => {});
    this.intid = opts.intid ?? PL011_INTID;
    this.worldField = worldField(opts.world !== 's');
  }

  /** Device reset (does not touch the log). */
  reset(): void {
    const log = this.s.log;
    this.s = resetState();
    this.s.log = log;
    this.updateLine();
  }

  read(offsetBytes: number, sizeBytes: number, cpu: number): number {
    const reg = offsetBytes & ~3;
    const shift = (offsetBytes & 3) * 8;
    const v = this.readReg(reg, cpu, shift === 0);
    const masked = sizeBytes >= 4 ? v : (v >>> shift) & ((1 << (sizeBytes * 8)) - 1);
    return masked >>> 0;
  }

  write(offsetBytes: number, sizeBytes: number, value: number, cpu: number): void {
    if ((offsetBytes & 3) !== 0) {
      // Sub-word writes that do not start at a register: nothing the driver does.
      this.unknown(offsetBytes, true);
      return;
    }
    const v = sizeBytes >= 4 ? value >>> 0 : value & ((1 << (sizeBytes * 8)) - 1);
    this.writeReg(offsetBytes, v, cpu);
  }

  /** A byte arrives on the RX line. Returns false if it was dropped
   *  (receiver disabled or FIFO full). Emits `uart-in` either way. */
  pushRx(byte: number, tick: number): boolean {
    const b = byte & 0xff;
    this.trace.emit({ tick, cpu: NO_CPU, kind: 'uart-in', byte: b, ...this.worldField });
    // Like QEMU's PL011, a disabled receiver still accepts bytes (counted).
    if ((this.s.cr & (CR_UARTEN | CR_RXE)) !== (CR_UARTEN | CR_RXE)) this.s.log.droppedRx++;
    return this.receive(b);
  }

  /** Room left in the RX FIFO (the machine may hold input back until there is room). */
  rxSpace(): number {
    return this.depth() - this.s.rxFifo.length;
  }

  /** Current interrupt output level. */
  get level(): boolean {
    return this.s.level;
  }

  get log(): Readonly<Pl011Log> {
    return this.s.log;
  }

  getState(): Pl011State {
    return { ...this.s, rxFifo: this.s.rxFifo.slice(), log: { ...this.s.log } };
  }

  /** Load a saved state. The line level is restored as recorded (the GIC's
   *  own state holds the matching input level). */
  loadState(record: Pl011State): void {
    const state = upgradeRecord<Pl011State>(PL011_SCHEMA, record, resetState());
    if (state.rxFifo.length > PL011_FIFO_DEPTH) throw new Error('Pl011: RX FIFO in state is longer than the FIFO');
    this.s = { ...state, rxFifo: state.rxFifo.slice(), log: { ...state.log } };
  }

  // ---- internals ----

  private depth(): number {
    return (this.s.lcrH & LCR_H_FEN) !== 0 ? PL011_FIFO_DEPTH : 1;
  }

  private rxTrigger(): number {
    if ((this.s.lcrH & LCR_H_FEN) === 0) return 1;
    const sel = (this.s.ifls >> 3) & 7;
    const eighths = RX_TRIGGER_EIGHTHS[sel] ?? 4; // reserved encodings: treat as 1/2
    return (PL011_FIFO_DEPTH * eighths) / 8;
  }

  private ris(): number {
    const n = this.s.rxFifo.length;
    const trig = this.rxTrigger();
    let r = this.s.risLatched;
    if (n >= trig) r |= INT_RX;
    else if (n > 0) r |= INT_RT;
    return r;
  }

  private flags(): number {
    const n = this.s.rxFifo.length;
    let f = FR_TXFE;
    if (n === 0) f |= FR_RXFE;
    if (n >= this.depth()) f |= FR_RXFF;
    return f;
  }

  private updateLine(): void {
    const level = (this.ris() & this.s.imsc) !== 0;
    if (level !== this.s.level) {
      this.s.level = level;
      this.irq.setSpiLevel(this.intid, level);
    }
  }

  private receive(b: number): boolean {
    if (this.s.rxFifo.length >= this.depth()) {
      this.s.rsr |= RSR_OE;
      this.s.risLatched |= INT_OE;
      this.s.log.overruns++;
      this.updateLine();
      return false;
    }
    this.s.rxFifo.push(b);
    this.updateLine();
    return true;
  }

  private transmit(b: number, cpu: number): void {
    // QEMU's PL011 transmits even when UARTEN/TXE are clear, and bare-metal
    // programs written for QEMU rely on it; such bytes are counted.
    if ((this.s.cr & (CR_UARTEN | CR_TXE)) !== (CR_UARTEN | CR_TXE)) this.s.log.droppedTx++;
    if ((this.s.cr & CR_LBE) !== 0) {
      if ((this.s.cr & CR_RXE) !== 0) this.receive(b);
    } else {
      this.trace.emit({ tick: this.cpus.nowTick(cpu), cpu, kind: 'uart-out', byte: b, ...this.worldField });
      this.onTx(b);
    }
    this.s.risLatched |= INT_TX;
    this.updateLine();
  }

  private unknown(offset: number, isWrite: boolean): void {
    if (isWrite) this.s.log.unknownWrites++;
    else this.s.log.unknownReads++;
    this.s.log.lastUnknownOffset = offset;
  }

  private readReg(reg: number, cpu: number, sideEffects: boolean): number {
    void cpu;
    switch (reg) {
      case UARTDR: {
        if (!sideEffects) return 0;
        const b = this.s.rxFifo.shift();
        this.updateLine();
        return b ?? 0;
      }
      case UARTRSR:
        return this.s.rsr;
      case UARTFR:
        return this.flags();
      case UARTILPR:
        return this.s.ilpr;
      case UARTIBRD:
        return this.s.ibrd;
      case UARTFBRD:
        return this.s.fbrd;
      case UARTLCR_H:
        return this.s.lcrH;
      case UARTCR:
        return this.s.cr;
      case UARTIFLS:
        return this.s.ifls;
      case UARTIMSC:
        return this.s.imsc;
      case UARTRIS:
        return this.ris();
      case UARTMIS:
        return this.ris() & this.s.imsc;
      case UARTICR:
        return 0; // write-only
      case UARTDMACR:
        return this.s.dmacr;
      default:
        if (reg >= 0xfe0 && reg <= 0xffc) return PL011_ID_BYTES[(reg - 0xfe0) >> 2]!;
        this.unknown(reg, false);
        return 0;
    }
  }

  private writeReg(reg: number, v: number, cpu: number): void {
    switch (reg) {
      case UARTDR:
        this.transmit(v & 0xff, cpu);
        return;
      case UARTRSR: // UARTECR: any write clears the error bits
        this.s.rsr = 0;
        return;
      case UARTFR:
      case UARTRIS:
      case UARTMIS:
        return; // read-only
      case UARTILPR:
        this.s.ilpr = v & 0xff;
        return;
      case UARTIBRD:
        this.s.ibrd = v & 0xffff;
        return;
      case UARTFBRD:
        this.s.fbrd = v & 0x3f;
        return;
      case UARTLCR_H: {
        const nv = v & 0xff;
        // Changing FEN empties the FIFOs (as QEMU does).
        if (((nv ^ this.s.lcrH) & LCR_H_FEN) !== 0) this.s.rxFifo = [];
        this.s.lcrH = nv;
        this.updateLine();
        return;
      }
      case UARTCR: {
        const txOn = CR_UARTEN | CR_TXE;
        const wasTx = (this.s.cr & txOn) === txOn;
        this.s.cr = v & 0xff87; // bits 6:3 reserved
        if (!wasTx && (this.s.cr & txOn) === txOn) this.s.risLatched |= INT_TX;
        this.updateLine();
        return;
      }
      case UARTIFLS:
        this.s.ifls = v & 0x3f;
        this.updateLine();
        return;
      case UARTIMSC:
        this.s.imsc = v & INT_ALL;
        this.updateLine();
        return;
      case UARTICR:
        this.s.risLatched &= ~v;
        this.updateLine();
        return;
      case UARTDMACR:
        this.s.dmacr = v & 7;
        return;
      default:
        if (reg >= 0xfe0 && reg <= 0xffc) return; // ID registers are read-only
        this.unknown(reg, true);
    }
  }
}

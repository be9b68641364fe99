import { beforeEach, describe, expect, it } from 'vitest';
import type { InterruptSink } from '../memory/mmio.js';
import { TraceSink } from '../trace/sink.js';
import {
  CR_LBE,
  CR_RXE,
  CR_TXE,
  CR_UARTEN,
  FR_RXFE,
  FR_RXFF,
  FR_TXFE,
  INT_OE,
  INT_RT,
  INT_RX,
  INT_TX,
  LCR_H_FEN,
  Pl011,
  UARTCR,
  UARTDR,
  UARTFR,
  UARTIBRD,
  UARTICR,
  UARTIFLS,
  UARTIMSC,
  UARTLCR_H,
  UARTMIS,
  UARTRIS,
  UARTRSR,
} from './pl011.js';

class FakeGic implements InterruptSink {
  log: string[] = [];
  setSpiLevel(intid: number, level: boolean): void {
    this.log.push(`spi ${intid} ${level}`);
  }
  setPpiLevel(): void {
    throw new Error('PL011 must not raise PPIs');
  }
}

let gic: FakeGic;
let trace: TraceSink;
let tx: number[];
let uart: Pl011;
let tick: number;

const ON = CR_UARTEN | CR_TXE | CR_RXE;
const rd = (off: number, size = 4) => uart.read(off, size, 0);
const wr = (off: number, v: number, size = 4) => uart.write(off, size, v, 0);

beforeEach(() => {
  gic = new FakeGic();
  trace = new TraceSink({ ringSize: 100 });
  tx = [];
  tick = 0;
  uart = new Pl011({ irq: gic, trace, cpus: { nowTick: () => tick }, onTx: (b) => tx.push(b) });
});

describe('PL011 identification and reset', () => {
  it('has the ARM PrimeCell IDs', () => {
    const ids = [];
    for (let off = 0xfe0; off <= 0xffc; off += 4) ids.push(rd(off));
    expect(ids).toEqual([0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
    wr(0xfe0, 0x55);
    expect(rd(0xfe0)).toBe(0x11);
  });

  it('resets with TX empty, RX empty, CR = 0x300, IFLS = 0x12', () => {
    expect(rd(UARTFR)).toBe(FR_TXFE | FR_RXFE);
    expect(rd(UARTCR)).toBe(0x300);
    expect(rd(UARTIFLS)).toBe(0x12);
    expect(rd(UARTRIS)).toBe(0);
  });

  it('unknown offsets are RAZ/WI and counted', () => {
    expect(rd(0x100)).toBe(0);
    wr(0x104, 1);
    wr(0x4c, 1);
    expect(uart.log.unknownReads).toBe(1);
    expect(uart.log.unknownWrites).toBe(2);
    expect(uart.log.lastUnknownOffset).toBe(0x4c);
    // registers hold their widths
    wr(UARTIBRD, 0x12345);
    expect(rd(UARTIBRD)).toBe(0x2345);
  });
});

describe('PL011 transmit', () => {
  it('sends bytes, with uart-out events; like QEMU, also while disabled (counted)', () => {
    wr(UARTDR, 0x41);
    expect(tx).toEqual([0x41]);
    expect(uart.log.droppedTx).toBe(1);
    wr(UARTCR, ON);
    tick = 123;
    wr(UARTDR, 0x141); // only 8 bits go out
    wr(UARTDR, 0x42, 1);
    expect(tx).toEqual([0x41, 0x41, 0x42]);
    expect(trace.last().map((e) => `${e.tick} ${e.kind}`).slice(-2)).toEqual(['123 uart-out', '123 uart-out']);
    expect(rd(UARTFR) & FR_TXFE).toBe(FR_TXFE);
    wr(UARTCR, CR_UARTEN | CR_RXE); // TXE off
    wr(UARTDR, 0x43);
    expect(tx).toEqual([0x41, 0x41, 0x42, 0x43]);
    expect(uart.log.droppedTx).toBe(2);
  });

  it('TX interrupt: latched on send and on enabling, cleared by ICR, masked by IMSC', () => {
    wr(UARTIMSC, INT_TX);
    expect(gic.log).toEqual([]);
    wr(UARTCR, ON); // transmitter enabled: TX FIFO at/below trigger
    expect(rd(UARTRIS) & INT_TX).toBe(INT_TX);
    expect(gic.log).toEqual(['spi 33 true']);
    wr(UARTICR, INT_TX);
    expect(rd(UARTRIS) & INT_TX).toBe(0);
    expect(gic.log).toEqual(['spi 33 true', 'spi 33 false']);
    wr(UARTDR, 0x30);
    expect(rd(UARTMIS)).toBe(INT_TX);
    expect(gic.log.at(-1)).toBe('spi 33 true');
    wr(UARTIMSC, 0);
    expect(gic.log.at(-1)).toBe('spi 33 false');
    expect(rd(UARTRIS) & INT_TX).toBe(INT_TX);
    expect(rd(UARTMIS)).toBe(0);
  });

  it('loopback feeds TX into RX without output', () => {
    wr(UARTCR, ON | CR_LBE);
    wr(UARTDR, 0x55);
    expect(tx).toEqual([]);
    expect(rd(UARTDR)).toBe(0x55);
  });
});

describe('PL011 receive', () => {
  it('accepts input while the receiver is disabled, as QEMU does, and counts it', () => {
    expect(uart.pushRx(0x61, 5)).toBe(true);
    expect(uart.log.droppedRx).toBe(1);
    expect(rd(UARTFR) & FR_RXFE).toBe(0);
    expect(trace.last().map((e) => e.kind)).toEqual(['uart-in']);
  });

  it('without FIFO: one-byte holding register, RX interrupt, overrun', () => {
    wr(UARTCR, ON);
    wr(UARTIMSC, INT_RX);
    expect(uart.pushRx(0x61, 10)).toBe(true);
    expect(rd(UARTFR) & (FR_RXFE | FR_RXFF)).toBe(FR_RXFF);
    expect(rd(UARTRIS) & (INT_RX | INT_RT)).toBe(INT_RX);
    expect(gic.log).toEqual(['spi 33 true']);
    expect(uart.pushRx(0x62, 11)).toBe(false); // overrun
    expect(rd(UARTRSR)).toBe(8);
    expect(rd(UARTRIS) & INT_OE).toBe(INT_OE);
    expect(uart.log.overruns).toBe(1);
    expect(rd(UARTDR)).toBe(0x61);
    expect(gic.log).toEqual(['spi 33 true', 'spi 33 false']);
    expect(rd(UARTFR) & FR_RXFE).toBe(FR_RXFE);
    wr(UARTRSR, 0); // ECR
    expect(rd(UARTRSR)).toBe(0);
    wr(UARTICR, INT_OE);
    expect(rd(UARTRIS) & INT_OE).toBe(0);
    expect(rd(UARTDR)).toBe(0); // empty FIFO reads 0
  });

  it('with FIFO: 32 entries, RX trigger level from IFLS, RX timeout below it', () => {
    wr(UARTCR, ON);
    wr(UARTLCR_H, LCR_H_FEN | 0x60); // 8N1, FIFO on
    wr(UARTIMSC, INT_RX | INT_RT);
    // default RXIFLSEL = 2: half full = 16 bytes
    uart.pushRx(1, 0);
    expect(rd(UARTRIS) & (INT_RX | INT_RT)).toBe(INT_RT);
    expect(gic.log).toEqual(['spi 33 true']);
    for (let i = 2; i <= 15; i++) uart.pushRx(i, 0);
    expect(rd(UARTRIS) & (INT_RX | INT_RT)).toBe(INT_RT);
    uart.pushRx(16, 0);
    expect(rd(UARTRIS) & (INT_RX | INT_RT)).toBe(INT_RX);
    for (let i = 17; i <= 32; i++) expect(uart.pushRx(i, 0)).toBe(true);
    expect(rd(UARTFR) & FR_RXFF).toBe(FR_RXFF);
    expect(uart.rxSpace()).toBe(0);
    expect(uart.pushRx(33, 0)).toBe(false);
    const got = [];
    for (let i = 0; i < 32; i++) got.push(rd(UARTDR));
    expect(got).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect(rd(UARTRIS) & (INT_RX | INT_RT)).toBe(0);
    // the overrun (OEIS) is not enabled in IMSC: the line fell only when the FIFO drained
    expect(gic.log).toEqual(['spi 33 true', 'spi 33 false']);
    expect(rd(UARTRIS) & INT_OE).toBe(INT_OE);
    // trigger level 1/8 = 4 bytes
    wr(UARTIFLS, 0 << 3);
    for (let i = 0; i < 3; i++) uart.pushRx(i, 0);
    expect(rd(UARTRIS) & (INT_RX | INT_RT)).toBe(INT_RT);
    uart.pushRx(3, 0);
    expect(rd(UARTRIS) & (INT_RX | INT_RT)).toBe(INT_RX);
    expect(gic.log).toEqual(['spi 33 true', 'spi 33 false', 'spi 33 true']);
  });

  it('toggling FEN flushes the RX FIFO; sub-word reads of other bytes have no side effects', () => {
    wr(UARTCR, ON);
    wr(UARTLCR_H, LCR_H_FEN);
    uart.pushRx(7, 0);
    expect(rd(UARTDR + 1, 1)).toBe(0);
    expect(rd(UARTFR, 2) & FR_RXFE).toBe(0);
    wr(UARTLCR_H, 0);
    expect(rd(UARTFR) & FR_RXFE).toBe(FR_RXFE);
  });
});

describe('PL011 state', () => {
  it('round-trips mid-stream', () => {
    wr(UARTCR, ON);
    wr(UARTLCR_H, LCR_H_FEN);
    wr(UARTIMSC, INT_RX | INT_RT | INT_TX);
    uart.pushRx(0x31, 1);
    uart.pushRx(0x32, 2);
    wr(UARTDR, 0x41);
    const st = JSON.parse(JSON.stringify(uart.getState())) as ReturnType<Pl011['getState']>;
    const gic2 = new FakeGic();
    const u2 = new Pl011({ irq: gic2, trace: new TraceSink(), cpus: { nowTick: () => 0 } });
    u2.loadState(st);
    expect(u2.getState()).toEqual(uart.getState());
    expect(u2.read(UARTDR, 4, 0)).toBe(0x31);
    expect(u2.read(UARTDR, 4, 0)).toBe(0x32);
    expect(u2.read(UARTRIS, 4, 0)).toBe(INT_TX);
    expect(u2.level).toBe(true);
    expect(() => u2.loadState({ ...st, version: 2 as 1 })).toThrow(/version/);
  });
});

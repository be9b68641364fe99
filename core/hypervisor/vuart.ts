// vPL011: the guest's UART (ARM PL011 TRM DDI 0183), emulated on trapped
// accesses. TX bytes go to the physical PL011's data register; RX bytes come
// from the physical UART's RX interrupt (pCPU 0) into the console-owning VM.
// The interrupt (SPI 33 on virt) is level: (RIS & IMSC) != 0.
import type { VuartState } from './state.js';

export const UART_INTID = 33;
const FR_RXFE = 1 << 4;
const FR_TXFE = 1 << 7;
const INT_RX = 1 << 4;
const INT_TX = 1 << 5;
const INT_RT = 1 << 6;
const RX_FIFO = 32;
const ID = [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1]; // PeriphID0-3, PCellID0-3 at 0xfe0

export function createVuart(): VuartState {
  return { rx: [], cr: 0x300, lcrh: 0, ibrd: 0, fbrd: 0, ifls: 0x12, imsc: 0, ris: INT_TX, dmacr: 0, line: [] };
}

export function vuartLevel(u: VuartState): boolean {
  return (u.ris & u.imsc) !== 0;
}

function updateRx(u: VuartState): void {
  if (u.rx.length > 0) u.ris |= INT_RX | INT_RT;
  else u.ris &= ~(INT_RX | INT_RT);
}

/** The RX FIFO is full: the hypervisor stops draining the physical UART (flow control). */
export function vuartFull(u: VuartState): boolean {
  return u.rx.length >= RX_FIFO;
}

export function vuartPushRx(u: VuartState, byte: number): boolean {
  if (u.rx.length >= RX_FIFO) return false;
  u.rx.push(byte & 0xff);
  updateRx(u);
  return true;
}

export function vuartRead(u: VuartState, off: number): number | undefined {
  switch (off) {
    case 0x000: {
      const b = u.rx.shift();
      updateRx(u);
      return b ?? 0;
    }
    case 0x004: return 0;
    case 0x018: return FR_TXFE | (u.rx.length === 0 ? FR_RXFE : 0);
    case 0x024: return u.ibrd;
    case 0x028: return u.fbrd;
    case 0x02c: return u.lcrh;
    case 0x030: return u.cr;
    case 0x034: return u.ifls;
    case 0x038: return u.imsc;
    case 0x03c: return u.ris;
    case 0x040: return u.ris & u.imsc;
    case 0x048: return u.dmacr;
  }
  if (off >= 0xfe0 && off < 0x1000) return ID[(off - 0xfe0) >> 2]!;
  return off < 0x1000 ? 0 : undefined;
}

/** Returns the byte to transmit (DR write), else -1. */
export function vuartWrite(u: VuartState, off: number, value: number): number {
  switch (off) {
    case 0x000:
      u.ris |= INT_TX; // the TX FIFO drains at once
      return value & 0xff;
    case 0x004: return -1;
    case 0x024: u.ibrd = value & 0xffff; return -1;
    case 0x028: u.fbrd = value & 0x3f; return -1;
    case 0x02c: u.lcrh = value & 0xff; return -1;
    case 0x030: u.cr = value & 0xffff; return -1;
    case 0x034: u.ifls = value & 0x3f; return -1;
    case 0x038: u.imsc = value & 0x7ff; return -1;
    case 0x044:
      u.ris &= ~value;
      updateRx(u); // RX/RT stay set while the FIFO holds data
      return -1;
    case 0x048: u.dmacr = value & 7; return -1;
  }
  return -1;
}

// vPL031: the guest's real-time clock (ARM PL031 TRM DDI 0224). RTCDR reads
// the physical PL031's data register plus the VM's offset (set by RTCLR).
// The match interrupt (RIS bit 0 when the count equals RTCMR, SPI 2 = INTID
// 34 on virt) is delivered through the physical PL031's own match interrupt,
// which the hypervisor programs for the earliest VM alarm (physIrq.ts). As in
// the PL031 (and QEMU's model), a match sets RTCRIS whether or not RTCIMSC
// unmasks the interrupt; IMSC only gates the line (RTCMIS).
import type { VrtcState } from './state.js';
import { PL031_ID_BYTES } from '../devices/pl031.js';

export const RTC_INTID = 34;

/** The physical second at which this VM's count equals RTCMR (mod 2^32). */
export function vrtcMatchAt(r: VrtcState): number {
  return (r.mr - r.offset) >>> 0;
}

export function vrtcLevel(r: VrtcState): boolean {
  return (r.ris & r.imsc & 1) !== 0;
}



export function createVrtc(): VrtcState {
  return { offset: 0, mr: 0, cr: 1, imsc: 0, ris: 0 };
}

export function vrtcRead(r: VrtcState, off: number, physSeconds: number): number | undefined {
  switch (off) {
    case 0x000: return (physSeconds + r.offset) >>> 0;
    case 0x004: return r.mr >>> 0;
    case 0x008: return (physSeconds + r.offset) >>> 0;
    case 0x00c: return r.cr;
    case 0x010: return r.imsc;
    case 0x014: return r.ris;
    case 0x018: return r.ris & r.imsc;
  }
  if (off >= 0xfe0 && off < 0x1000) return PL031_ID_BYTES[(off - 0xfe0) >> 2]!;
  return off < 0x1000 ? 0 : undefined;
}

export function vrtcWrite(r: VrtcState, off: number, value: number, physSeconds: number): void {
  switch (off) {
    case 0x004: r.mr = value >>> 0; return;
    case 0x008: r.offset = (value >>> 0) - physSeconds; return;
    case 0x00c: r.cr = 1; return; // the clock cannot be stopped
    case 0x010: r.imsc = value & 1; return;
    case 0x01c: r.ris &= ~value; return;
  }
}

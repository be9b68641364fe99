// Whole-machine tests of the GIC with two Security states (machine option
// `secure`): real machine code at EL3, Secure EL1 and Non-secure EL1 shows
// each group arriving as IRQ or FIQ at the level the GIC specification and
// the routing controls say (IHI 0069 §4.6.2, Table 4-3; ARM ARM D1.3.6).
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../machine.js';
import { bootAtEl3, EXPECTED_LOG, LOG_PA, logText, secureDeliveryProgram } from './testPrograms.js';
import { GICD_CTLR_DS } from './registers.js';

function readLog(m: Machine, words: number): number[] {
  const b = m.core.readPhys(LOG_PA, 4 * words).slice();
  const dv = new DataView(b.buffer);
  return Array.from({ length: words }, (_, i) => dv.getUint32(4 * i, true));
}

describe('GICv3 with two Security states on a whole machine', () => {
  it('Group 0 and Secure Group 1 arrive as FIQ at EL3 (SCR_EL3.FIQ), Secure Group 1 as IRQ at S-EL1, Non-secure Group 1 as IRQ at NS-EL1', () => {
    const { m, console, interrupts } = bootAtEl3(secureDeliveryProgram({ semihostingExit: false }));
    const stop = m.run(2_000_000);
    expect(stop.kind).toBe('idle'); // the program ends in WFI with everything masked
    expect(readLog(m, EXPECTED_LOG.length).map((w) => w.toString(16))).toEqual(EXPECTED_LOG.map((w) => w.toString(16)));
    expect(console()).toBe(logText(EXPECTED_LOG));
    expect(m.gic.getState().gicd_ctlr & GICD_CTLR_DS).toBe(0);
    expect(interrupts).toEqual([
      'irq EL1->EL1 s', // 41, Secure Group 1 at Secure EL1
      'fiq EL1->EL3 s', // 40, Group 0
      'fiq EL1->EL3 s', // 42, Non-secure Group 1 while Secure: 1021
      'irq EL1->EL1 ns', // 42 at Non-secure EL1
      'fiq EL1->EL3 ns', // 29, the secure timer, Secure Group 1 while Non-secure: 1020
      'irq EL1->EL1 s', // 29 at Secure EL1
    ]);
  });

  it('a machine without `secure` keeps one Security state (GICD_CTLR.DS = 1)', () => {
    const { m } = bootAtEl3(new Uint8Array(4), false);
    expect(m.gic.getState().gicd_ctlr & GICD_CTLR_DS).toBe(GICD_CTLR_DS);
    expect(m.config.secure).toBe(false);
  });
});

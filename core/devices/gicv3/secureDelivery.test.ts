// Whole-machine tests of the GIC with two Security states (machine option
// `secure`): real machine code at EL3, Secure EL1 and Non-secure EL1 shows
// each group arriving as IRQ or FIQ at the level the GIC specification and
// the routing controls say (IHI 0069 §4.6.2, Table 4-3; ARM ARM D1.3.6).
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../machine.js';
import { captureMachine, restoreMachine } from '../../snapshot.js';
import { bootAtEl3, EXPECTED_LOG, LOG_PA, ROUTING_LOG, logText, routingProgram, secureDeliveryProgram } from './testPrograms.js';
import { GICD_CTLR_DS } from './registers.js';

function readLog(m: Machine, words: number): number[] {
  const b = m.core.readPhys(LOG_PA, 4 * words).slice();
  const dv = new DataView(b.buffer);
  return Array.from({ length: words }, (_, i) => dv.getUint32(4 * i, true));
}

describe('GICv3 with two Security states on a whole machine', () => {
  it('Group 0 and Secure Group 1 arrive as FIQ at EL3 (SCR_EL3.FIQ), Secure Group 1 as IRQ at S-EL1, Non-secure Group 1 as IRQ at NS-EL1', () => {
    const { m, console, interrupts, acks } = bootAtEl3(secureDeliveryProgram({ semihostingExit: false }));
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
    // irq-ack events carry the world of the PE that acknowledged (IAR0 answers 1020/1021 acknowledge nothing).
    expect(acks).toEqual(['41 s', '40 s', '42 ns', '29 s']);
  });

  it('with SCR_EL3.FIQ = 0 Group 0 is not taken at EL3 but at Secure EL1; with SCR_EL3.FIQ = 1 Secure EL1 access to ICC_IAR0_EL1 traps to EL3', () => {
    const { m, console, interrupts } = bootAtEl3(routingProgram({ semihostingExit: false }));
    expect(m.run(100_000).kind).toBe('idle');
    expect(readLog(m, 4).map((w) => w.toString(16))).toEqual(ROUTING_LOG.map((w) => w.toString(16)));
    expect(console()).toBe(logText(ROUTING_LOG));
    expect(interrupts).toEqual(['fiq EL1->EL1 s']);
  });

  it('a snapshot taken anywhere in the walk restores into a secure machine and continues identically', () => {
    const image = secureDeliveryProgram({ semihostingExit: false });
    const whole = bootAtEl3(image);
    expect(whole.m.run(2_000_000).kind).toBe('idle');
    expect(whole.m.instructions).toBe(1094);
    // Snapshots before, inside and after the world switches (instruction
    // counts), each restored into the same second machine and run to the end.
    const a = bootAtEl3(image);
    const b = bootAtEl3(image);
    for (const at of [70, 90, 130, 250, 1000]) {
      expect(a.m.run(at).kind).toBe('instruction-limit');
      const { ram, secureRam, ...rest } = captureMachine(a.m);
      restoreMachine(b.m, { ...structuredClone(rest), ram: ram.slice(), secureRam: secureRam.slice() });
      const printed = b.console().length;
      expect(b.m.run(2_000_000).kind).toBe('idle');
      expect(b.m.trace.digest()).toBe(whole.m.trace.digest());
      expect(a.console() + b.console().slice(printed)).toBe(whole.console());
    }
  });

  it('a machine without `secure` keeps one Security state (GICD_CTLR.DS = 1)', () => {
    const { m } = bootAtEl3(new Uint8Array(4), false);
    expect(m.gic.getState().gicd_ctlr & GICD_CTLR_DS).toBe(GICD_CTLR_DS);
    expect(m.config.secure).toBe(false);
  });
});

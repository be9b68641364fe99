// SP2 owns the secure physical timer (PPI 29): when it fires while the
// Normal world runs, the SPMC takes it (FFA_INTERRUPT from the SPMD), wakes
// SP2 from FFA_MSG_WAIT with the virtual interrupt, SP2's IRQ vector asks
// HF_INTERRUPT_GET and keeps the INTID, and LAST_IRQ answers it. Secure EL1
// cannot program CNTPS with Secure EL2 enabled (only EL3 can), so the test
// arms it from EL3's view, standing in for the firmware, and turns it off
// once SP2 took it (its level would otherwise fire again at every wait).
import { describe, expect, it } from 'vitest';
import { bootSpmcMachine } from '../../core/spmc/spmcTesting.js';
import { KEY_CNTPS_CTL_EL1, KEY_CNTPS_CVAL_EL1 } from '../../core/devices/timer/genericTimer.js';
import { SECURE_TIMER_INTID } from '../../core/firmware/secureBoot.js';
import type { Machine } from '../../core/machine.js';
import { HOST_OK } from '../../core/cpu/cpu.js';
import { clientSource, CLIENT_SUMMARY_PREFIX } from '../ffa-client/index.js';
import { bundledPartitions, CMD_LAST_IRQ, SP2_ID, SP2_LOAD_ADDRESS } from './index.js';
import { partitionSymbol } from './runtime.js';
import { sp2Program } from './sp2.js';


function atEl3<T>(m: Machine, f: () => T): T {
  const pstate = m.core.pstate(0);
  m.core.setPstate(0, 0x3cd);
  try {
    return f();
  } finally {
    m.core.setPstate(0, pstate);
  }
}

describe('SP2 and the secure physical timer', () => {
  it('the timer fires while the Normal world spins: SP2 takes INTID 29 as a virtual interrupt and answers it to LAST_IRQ', () => {
    const ns = clientSource({
      only: ['ffa-version', 'id-get'],
      extra: [{
        name: 'sp2-secure-timer',
        body: (c) => {
          c.asm('    ldr x9, =400000\n1:  subs x9, x9, #1\n    b.ne 1b');
          c.directOk(32, SP2_ID, CMD_LAST_IRQ);
          c.expectReg('x4', SECURE_TIMER_INTID, 'the INTID SP2 captured');
          c.expectReg('x5', 1, 'interrupts SP2 took');
        },
      }],
    });
    const { m } = bootSpmcMachine(ns, bundledPartitions().map((p) => p.package), { ramBytes: 64 << 20 });
    const out: number[] = [];
    m.onConsole = (b) => out.push(b);
    expect(atEl3(m, () => [m.timer.write(0, KEY_CNTPS_CVAL_EL1, 20_000n), m.timer.write(0, KEY_CNTPS_CTL_EL1, 1n)])).toEqual([HOST_OK, HOST_OK]);
    const taken = Number(partitionSymbol(sp2Program(), SP2_LOAD_ADDRESS, 'irq_state')) + 8;
    let stop = null;
    for (let i = 0; i < 400 && stop === null; i++) {
      const r = m.run((i + 1) * 10_000); // an absolute instruction count
      if (r.kind !== 'instruction-limit') stop = r;
      if (new DataView(m.core.readPhys(taken, 8).slice().buffer).getBigUint64(0, true) > 0n) atEl3(m, () => m.timer.write(0, KEY_CNTPS_CTL_EL1, 0n));
    }
    expect(stop).toEqual({ kind: 'system-off' });
    const lines = Buffer.from(out).toString('latin1').split('\n');
    expect(lines).toContain('PASS sp2-secure-timer');
    expect(lines).toContain(`${CLIENT_SUMMARY_PREFIX} pass=3 fail=0`);
  });
});

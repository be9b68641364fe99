// Differential check of the GIC with two Security states: the same EL3
// program (core/devices/gicv3/testPrograms.ts) runs as -bios firmware on QEMU
// virt,secure=on,virtualization=on and on a `secure` hvrr machine; it walks
// Group 0, Secure Group 1 and Non-secure Group 1 interrupts and the secure
// timer through EL3, Secure EL1 and Non-secure EL1 and prints where each was
// taken and what IAR0/IAR1 answered; a second one checks FIQ routing below
// EL3 and the EL3 trap of Group 0 registers. Both machines must print the
// same log, and it must be the one the GIC specification and the ARM ARM
// give (§4.6.2 Table 4-3, §2.2.1, §12.1.10; D1.3.6).
import { describe, expect, it } from 'vitest';
import { hasQemu, runQemuImage } from '../../scripts/qemu.js';
import { bootAtEl3, EXPECTED_LOG, ROUTING_LOG, logText, routingProgram, secureDeliveryProgram } from '../../core/devices/gicv3/testPrograms.js';

const qemu = hasQemu();
if (!qemu) console.log('gic-secure differential: qemu-system-aarch64 not found; skipping (apt-get install qemu-system-arm)');

describe.skipIf(!qemu)('differential: GIC security, hvrr vs QEMU virt,secure=on', () => {
  it('FIQ/IRQ by group and Security state, special INTIDs 1020/1021, the secure timer: same log on both', async () => {
    const q = runQemuImage(secureDeliveryProgram({ semihostingExit: true }), { cpu: 'max', secure: true, timeoutMs: 60_000 });
    const h = bootAtEl3(secureDeliveryProgram({ semihostingExit: false }));
    const stop = h.m.run(2_000_000);
    const qr = await q;
    expect(qr.stop).toBe('system-off');
    expect(stop.kind).toBe('idle');
    expect(h.console()).toBe(qr.output);
    expect(qr.output).toBe(logText(EXPECTED_LOG));
  }, 90_000);

  it('SCR_EL3.FIQ = 0: Group 0 not taken at EL3 but at Secure EL1; SCR_EL3.FIQ = 1: ICC_IAR0_EL1 at Secure EL1 traps to EL3 (same ESR)', async () => {
    const q = runQemuImage(routingProgram({ semihostingExit: true }), { cpu: 'max', secure: true, timeoutMs: 60_000 });
    const h = bootAtEl3(routingProgram({ semihostingExit: false }));
    const stop = h.m.run(100_000);
    const qr = await q;
    expect(qr.stop).toBe('system-off');
    expect(stop.kind).toBe('idle');
    expect(h.console()).toBe(qr.output);
    expect(qr.output).toBe(logText(ROUTING_LOG));
  }, 90_000);
});

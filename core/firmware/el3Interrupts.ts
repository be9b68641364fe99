// Group 0 interrupts belong to EL3 (GIC spec IHI 0069 §4.6: Group 0 is
// signalled as FIQ, taken to EL3 with SCR_EL3.FIQ). The platform declares
// none (TF-A's QEMU platform has no Group 0 handler of its own either), so
// one that arrives is acknowledged, disabled at its source in the GIC and
// ended, and reported as a diagnostic, instead of firing forever.
import type { Machine } from '../machine.js';
import { GICD_BASE, GICR_BASE } from '../machine.js';
import { GICD_ICENABLER, GICR_ICENABLER0, GICR_SGI_BASE_OFFSET, GICR_STRIDE, ICC_EOIR0_EL1, ICC_IAR0_EL1 } from '../devices/gicv3/registers.js';

/** Take every pending Group 0 interrupt at EL3 on `cpu`; false when there was none (the FIQ is someone else's). */
export function takeGroup0(m: Machine, cpu: number): boolean {
  const out = { value: 0n };
  let took = false;
  for (;;) {
    out.value = 0n;
    m.gic.read(cpu, ICC_IAR0_EL1, out);
    const intid = Number(out.value & 0xff_ffffn);
    if (intid >= 1020) return took;
    took = true;
    const bit = BigInt(1 << (intid & 31)) & 0xffff_ffffn;
    if (intid < 32) m.bus.write(GICR_BASE + cpu * GICR_STRIDE + GICR_SGI_BASE_OFFSET + GICR_ICENABLER0, 4, bit, cpu, true);
    else m.bus.write(GICD_BASE + GICD_ICENABLER + (intid >> 5) * 4, 4, bit, cpu, true);
    m.gic.write(cpu, ICC_EOIR0_EL1, BigInt(intid));
    m.onDiagnostic(`cpu${cpu}: Group 0 interrupt ${intid} at EL3 with no platform handler: disabled`);
  }
}

// The EL3 firmware's cold-boot setup of a GIC with two Security states
// (GICD_CTLR.DS = 0), what TF-A's gicv3_distif_init / gicv3_rdistif_init do
// before any Non-secure software runs: affinity routing for both states,
// every interrupt Non-secure Group 1 except the platform's secure ones,
// the redistributors awake, all three groups enabled at the distributor.
// Without it every interrupt resets to Group 0 (GIC spec IHI 0069 §12.9.15),
// so a Non-secure kernel could enable none of them (Secure-only fields are
// RAZ/WI to it, §4.7). Done through Secure writes to the GIC's registers on
// the physical bus, as firmware code at EL3 would do them.
import type { Machine } from '../machine.js';
import { GICD_BASE, GICR_BASE } from '../machine.js';
import {
  GICD_CTLR, GICD_CTLR_ARE_NS, GICD_CTLR_ARE_S, GICD_CTLR_EnableGrp0, GICD_CTLR_EnableGrp1NS, GICD_CTLR_EnableGrp1S,
  GICD_IGROUPR, GICD_IGRPMODR, GICR_SGI_BASE_OFFSET, GICR_STRIDE, GICR_WAKER,
} from '../devices/gicv3/registers.js';

/** GICR_IGROUPR0 / GICR_IGRPMODR0 in a redistributor's SGI frame. */
const GICR_IGROUPR0 = GICR_SGI_BASE_OFFSET + 0x80;
const GICR_IGRPMODR0 = GICR_SGI_BASE_OFFSET + 0xd00;

/** The platform's Secure Group 1 interrupts (TF-A plat/qemu: the secure
 *  physical timer, PPI 29; and the secure UART, SPI 8 = INTID 40). */
export const SECURE_G1S_INTIDS: readonly number[] = [29, 40];

/** EL3h with DAIF masked: the level the writes are made at. */
const PSTATE_EL3H = 0x3cd;

/** Set up the GIC as EL3 firmware does at cold boot (no-op with DS = 1).
 *  CPU 0 makes the accesses at EL3 (Secure), where it is at reset; its
 *  PSTATE is put back afterwards (the boot state the loader gave it). */
export function gicColdBootSetup(m: Machine): void {
  if (!m.config.secure) return;
  const pstate = m.core.pstate(0);
  m.core.setPstate(0, PSTATE_EL3H);
  const write = (pa: number, v: number): void => {
    m.bus.write(pa, 4, BigInt(v >>> 0), 0, true);
  };
  const groupWord = (word: number): { group: number; mod: number } => {
    let group = 0xffff_ffff;
    let mod = 0;
    for (const id of SECURE_G1S_INTIDS) {
      if (id >>> 5 !== word) continue;
      group &= ~(1 << (id & 31));
      mod |= 1 << (id & 31);
    }
    return { group, mod };
  };
  // Distributor: affinity routing for both states first (the group registers
  // of SPIs are what they are either way), then the groups.
  write(GICD_BASE + GICD_CTLR, GICD_CTLR_ARE_S | GICD_CTLR_ARE_NS);
  for (let w = 1; w < m.gic.numIntids >>> 5; w++) {
    const { group, mod } = groupWord(w);
    write(GICD_BASE + GICD_IGROUPR + 4 * w, group);
    write(GICD_BASE + GICD_IGRPMODR + 4 * w, mod);
  }
  for (let cpu = 0; cpu < m.numCpus; cpu++) {
    const frame = GICR_BASE + cpu * GICR_STRIDE;
    write(frame + GICR_WAKER, 0);
    const { group, mod } = groupWord(0);
    write(frame + GICR_IGROUPR0, group);
    write(frame + GICR_IGRPMODR0, mod);
  }
  write(GICD_BASE + GICD_CTLR, GICD_CTLR_ARE_S | GICD_CTLR_ARE_NS | GICD_CTLR_EnableGrp0 | GICD_CTLR_EnableGrp1NS | GICD_CTLR_EnableGrp1S);
  m.core.setPstate(0, pstate);
}

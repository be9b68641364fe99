// The EL3 firmware's cold boot on a machine with two Security states (TF-A
// BL31's order): configure the GIC for both worlds, then, with S-EL2
// software installed, enter it first on the primary PE (spmd.ts); the
// Normal world starts where the boot loader set the PE up (a kernel at
// EL1, the hypervisor at EL2) once the SPMC waits in FFA_MSG_WAIT.
//
// The GIC set-up is TF-A's gicv3 driver (gicv3_distif_init,
// gicv3_rdistif_init) acting through the distributor and redistributor
// registers from EL3: affinity routing for both states, every redistributor
// awake, every interrupt Non-secure Group 1 except those the platform
// declares secure (here the secure physical timer, PPI 29, and the secure
// UART, SPI 8 = INTID 40, as Secure Group 1 at the highest Secure priority,
// enabled, SPIs routed to the primary PE), Group 0 and Secure Group 1
// enabled in the distributor and every PE's CPU interface, priority masks
// open. The Normal world then enables its own Group 1 (GICD_CTLR's
// Non-secure view, ICC_IGRPEN1_EL1), so Non-secure software written for a
// GIC with one Security state runs unchanged (GIC spec IHI 0069 §4.8,
// §12.9.4: a Non-secure access sees the Non-secure view).
import { GICD_BASE, GICR_BASE, SECURE_UART_INTID, type Machine } from '../machine.js';
import {
  GICD_CTLR, GICD_CTLR_ARE_NS, GICD_CTLR_ARE_S, GICD_CTLR_EnableGrp0, GICD_CTLR_EnableGrp1S, GICD_IGROUPR, GICD_IGRPMODR,
  GICD_IPRIORITYR, GICD_IROUTER, GICD_ISENABLER, GICD_TYPER, GICR_IGROUPR0, GICR_IGRPMODR0, GICR_IPRIORITYR,
  GICR_ISENABLER0, GICR_SGI_BASE_OFFSET, GICR_STRIDE, GICR_WAKER, GICR_WAKER_ChildrenAsleep, ICC_IGRPEN0_EL1,
  ICC_IGRPEN1_EL3, ICC_IGRPEN1_EL3_EnableGrp1S, ICC_PMR_EL1,
} from '../devices/gicv3/registers.js';
import type { El3Firmware } from './el3Firmware.js';
import type { SpmcBootInfo } from './spmd.js';

/** The secure physical timer's PPI (CNTPS, INTID 29). */
export const SECURE_TIMER_INTID = 29;

/** Interrupts the platform declares secure: Secure Group 1 (TF-A's PLAT_..._G1S_IRQ_PROPS). */
export const PLATFORM_SECURE_INTIDS: readonly number[] = [SECURE_TIMER_INTID, SECURE_UART_INTID];

/** The highest Secure priority (TF-A GIC_HIGHEST_SEC_PRIORITY). */
const SECURE_PRIORITY = 0x00;
/** PSTATE while the firmware runs: EL3h, masked. */
const PSTATE_EL3H = 0x3cd;

/** A 32-bit register access from EL3 (a Secure access) on the physical bus. */
function w32(m: Machine, cpu: number, pa: number, v: number): void {
  m.bus.write(pa, 4, BigInt(v >>> 0), cpu, true);
}
function r32(m: Machine, cpu: number, pa: number): number {
  return Number(m.bus.read(pa, 4, cpu, true) ?? 0n);
}
function setBits(m: Machine, cpu: number, pa: number, set: number, clear: number): void {
  w32(m, cpu, pa, (r32(m, cpu, pa) & ~clear) | set);
}
function setPriority(m: Machine, cpu: number, base: number, intid: number, prio: number): void {
  const pa = base + (intid & ~3);
  const shift = (intid & 3) * 8;
  setBits(m, cpu, pa, prio << shift, 0xff << shift);
}

/** TF-A gicv3_distif_init + gicv3_rdistif_init for every PE, from EL3 on `cpu`. */
export function configureGicForTwoWorlds(m: Machine, cpu: number, secureIntids: readonly number[] = PLATFORM_SECURE_INTIDS): void {
  const pstate = m.core.pstate(cpu);
  m.core.setPstate(cpu, PSTATE_EL3H);
  // Distributor: groups off, affinity routing for both Security states.
  w32(m, cpu, GICD_BASE + GICD_CTLR, 0);
  w32(m, cpu, GICD_BASE + GICD_CTLR, GICD_CTLR_ARE_S | GICD_CTLR_ARE_NS);
  const lines = 32 * ((r32(m, cpu, GICD_BASE + GICD_TYPER) & 0x1f) + 1);
  for (let id = 32; id < lines; id += 32) {
    w32(m, cpu, GICD_BASE + GICD_IGROUPR + id / 8, 0xffff_ffff);
    w32(m, cpu, GICD_BASE + GICD_IGRPMODR + id / 8, 0);
  }
  for (const id of secureIntids) {
    if (id < 32 || id >= lines) continue;
    const word = (id >> 5) * 4;
    const bit = 1 << (id & 31);
    setBits(m, cpu, GICD_BASE + GICD_IGROUPR + word, 0, bit);
    setBits(m, cpu, GICD_BASE + GICD_IGRPMODR + word, bit, 0);
    setPriority(m, cpu, GICD_BASE + GICD_IPRIORITYR, id, SECURE_PRIORITY);
    m.bus.write(GICD_BASE + GICD_IROUTER + id * 8, 8, m.mpidr(cpu) & 0xff_00ff_ffffn, cpu, true);
    w32(m, cpu, GICD_BASE + GICD_ISENABLER + word, bit);
  }
  // Redistributors: awake, SGIs and PPIs Non-secure Group 1 but the secure ones.
  for (let pe = 0; pe < m.numCpus; pe++) {
    const rd = GICR_BASE + pe * GICR_STRIDE;
    const sgi = rd + GICR_SGI_BASE_OFFSET;
    w32(m, cpu, rd + GICR_WAKER, 0);
    while ((r32(m, cpu, rd + GICR_WAKER) & GICR_WAKER_ChildrenAsleep) !== 0) { /* the model wakes at once (TF-A polls) */ }
    w32(m, cpu, sgi + GICR_IGROUPR0, 0xffff_ffff);
    w32(m, cpu, sgi + GICR_IGRPMODR0, 0);
    for (const id of secureIntids) {
      if (id >= 32) continue;
      const bit = 1 << id;
      setBits(m, cpu, sgi + GICR_IGROUPR0, 0, bit);
      setBits(m, cpu, sgi + GICR_IGRPMODR0, bit, 0);
      setPriority(m, cpu, sgi + GICR_IPRIORITYR, id, SECURE_PRIORITY);
      w32(m, cpu, sgi + GICR_ISENABLER0, bit);
    }
  }
  w32(m, cpu, GICD_BASE + GICD_CTLR, GICD_CTLR_ARE_S | GICD_CTLR_ARE_NS | GICD_CTLR_EnableGrp0 | GICD_CTLR_EnableGrp1S);
  m.core.setPstate(cpu, pstate);
  for (let pe = 0; pe < m.numCpus; pe++) enableCpuInterface(m, pe);
}

/**
 * TF-A gicv3_cpuif_enable on PE `pe` (run at EL3 there): Group 0 and Secure
 * Group 1 enabled at the CPU interface, the priority mask at its idle value
 * (0xff: every priority passes; a Non-secure write could not raise a mask
 * left in the Secure range, §4.8.6). The Normal world enables its own Group 1.
 * The CPU interface keeps this across the PE's power cycles (CPU_ON resets
 * the PE, not the GIC), so cold boot does it for every PE.
 */
function enableCpuInterface(m: Machine, pe: number): void {
  const pstate = m.core.pstate(pe);
  m.core.setPstate(pe, PSTATE_EL3H);
  const out = { value: 0n };
  m.gic.read(pe, ICC_IGRPEN1_EL3, out);
  m.gic.write(pe, ICC_IGRPEN1_EL3, out.value | BigInt(ICC_IGRPEN1_EL3_EnableGrp1S));
  m.gic.write(pe, ICC_IGRPEN0_EL1, 1n);
  m.gic.write(pe, ICC_PMR_EL1, 0xffn);
  m.core.setPstate(pe, pstate);
}

/** The EL3 firmware plugged in at EL3 of `m` (the default one). */
export function el3FirmwareOf(m: Machine): El3Firmware {
  const fw = m.software.get('el3') as El3Firmware | undefined;
  if (!fw || !('spmd' in fw)) throw new Error('the machine has no EL3 firmware with an SPMD at EL3');
  return fw;
}

/**
 * Cold boot of a machine with two Security states, after the boot loader
 * put the Normal world's entry on the primary PE (bootKernel, bootFirmware,
 * the hypervisor): the GIC as above, then, when software is plugged in at
 * Secure EL2, the SPMC runs its initialisation first (`spmc` says where it
 * is entered and its manifest). A machine with one Security state is left
 * as it is.
 */
export function secureColdBoot(m: Machine, spmc?: SpmcBootInfo, primary = 0): void {
  if (!m.config.secure) return;
  configureGicForTwoWorlds(m, primary);
  if (m.software.get('el2-s') === undefined) return;
  el3FirmwareOf(m).spmd.coldBoot(m, primary, spmc ?? { entry: 0x0e10_0000n, manifestAddress: 0x0e00_2000n });
}

// What the SPMC does to the GIC (GICv3, IHI 0069) from Secure EL2, as
// Hafnium's plat_interrupts_*: configure the interrupts partitions own
// (Secure Group 1, their manifest priority, enabled, SPIs routed to the
// PE that booted), acknowledge Secure Group 1 interrupts (ICC_IAR1_EL1 in
// Secure state) and end them, enable/disable one, mask Non-secure
// interrupts with the priority mask while a Secure interrupt is handled
// (Hafnium SWD_MASK_NS_INT 0x80: every Non-secure priority as the Secure
// view sees it is 0x80 or more, §4.8.6).
import { GICD_BASE, GICR_BASE, type Machine } from '../machine.js';
import {
  GICD_ICENABLER, GICD_IGROUPR, GICD_IGRPMODR, GICD_IPRIORITYR, GICD_IROUTER, GICD_ISENABLER, GICR_ICENABLER0, GICR_IGROUPR0,
  GICR_IGRPMODR0, GICR_IPRIORITYR, GICR_ISENABLER0, GICR_SGI_BASE_OFFSET, GICR_STRIDE, ICC_EOIR1_EL1, ICC_HPPIR0_EL1, ICC_IAR1_EL1, ICC_PMR_EL1,
} from '../devices/gicv3/registers.js';

export const PMR_MASK_NON_SECURE = 0x80n;
/** INTIDs 1020-1023 are special (no interrupt). */
const SPECIAL = 1020;

function rd(m: Machine, cpu: number, pa: number): number {
  return Number(m.bus.read(pa, 4, cpu, true) ?? 0n);
}
function wr(m: Machine, cpu: number, pa: number, v: number): void {
  m.bus.write(pa, 4, BigInt(v >>> 0), cpu, true);
}
function bits(m: Machine, cpu: number, pa: number, set: number, clear: number): void {
  wr(m, cpu, pa, (rd(m, cpu, pa) & ~clear) | set);
}

/** Make `intid` Secure Group 1 at `priority` and enable it (PPIs/SGIs on every PE's redistributor). */
export function configureSecureInterrupt(m: Machine, cpu: number, intid: number, priority: number): void {
  const bit = 1 << (intid & 31);
  const prio = (base: number): void => {
    const pa = base + (intid & ~3);
    const shift = (intid & 3) * 8;
    bits(m, cpu, pa, (priority & 0xff) << shift, 0xff << shift);
  };
  if (intid < 32) {
    for (let pe = 0; pe < m.numCpus; pe++) {
      const sgi = GICR_BASE + pe * GICR_STRIDE + GICR_SGI_BASE_OFFSET;
      bits(m, cpu, sgi + GICR_IGROUPR0, 0, bit);
      bits(m, cpu, sgi + GICR_IGRPMODR0, bit, 0);
      prio(sgi + GICR_IPRIORITYR);
      wr(m, cpu, sgi + GICR_ISENABLER0, bit);
    }
    return;
  }
  const word = (intid >> 5) * 4;
  bits(m, cpu, GICD_BASE + GICD_IGROUPR + word, 0, bit);
  bits(m, cpu, GICD_BASE + GICD_IGRPMODR + word, bit, 0);
  prio(GICD_BASE + GICD_IPRIORITYR);
  m.bus.write(GICD_BASE + GICD_IROUTER + intid * 8, 8, m.mpidr(cpu) & 0xff_00ff_ffffn, cpu, true);
  wr(m, cpu, GICD_BASE + GICD_ISENABLER + word, bit);
}

/** Enable or disable `intid` (for a PPI/SGI: at PE `pe`'s redistributor). */
export function setInterruptEnabled(m: Machine, cpu: number, pe: number, intid: number, on: boolean): void {
  const bit = 1 << (intid & 31);
  if (intid < 32) wr(m, cpu, GICR_BASE + pe * GICR_STRIDE + GICR_SGI_BASE_OFFSET + (on ? GICR_ISENABLER0 : GICR_ICENABLER0), bit);
  else wr(m, cpu, GICD_BASE + (on ? GICD_ISENABLER : GICD_ICENABLER) + (intid >> 5) * 4, bit);
}

/** Acknowledge the highest-priority pending Secure Group 1 interrupt; null when none. */
export function acknowledgeSecure(m: Machine, cpu: number): number | null {
  const out = { value: 0n };
  m.gic.read(cpu, ICC_IAR1_EL1, out);
  const intid = Number(out.value & 0xff_ffffn);
  return intid >= SPECIAL ? null : intid;
}

export function endOfInterrupt(m: Machine, cpu: number, intid: number): void {
  m.gic.write(cpu, ICC_EOIR1_EL1, BigInt(intid));
}

/** A Group 0 interrupt (EL3's) is pending at the CPU interface. */
export function group0Pending(m: Machine, cpu: number): boolean {
  const out = { value: 0n };
  m.gic.read(cpu, ICC_HPPIR0_EL1, out);
  return Number(out.value & 0xff_ffffn) < SPECIAL;
}

export function readPmr(m: Machine, cpu: number): bigint {
  const out = { value: 0n };
  m.gic.read(cpu, ICC_PMR_EL1, out);
  return out.value;
}
export function writePmr(m: Machine, cpu: number, v: bigint): void {
  m.gic.write(cpu, ICC_PMR_EL1, v);
}

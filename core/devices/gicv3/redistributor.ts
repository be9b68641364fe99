// The Redistributors (GICR_*, GICv3 §12.10/§12.11): one per PE, each a 64 KiB
// RD_base frame (control, GICR_TYPER, GICR_WAKER, ID registers) followed by a
// 64 KiB SGI_base frame (the SGI/PPI half of the interrupt state). No LPIs:
// GICR_TYPER.PLPIS = 0 and GICR_PROPBASER/PENDBASER/INVLPIR... are RAZ/WI.

import type { MmioDevice } from '../../memory/mmio.js';
import type { GicCore } from './core.js';
import {
  GICR_ICACTIVER0,
  GICR_ICENABLER0,
  GICR_ICFGR0,
  GICR_ICFGR1,
  GICR_ICPENDR0,
  GICR_ID_REGS,
  GICR_IGROUPR0,
  GICR_IGRPMODR0,
  GICR_IIDR,
  GICR_IPRIORITYR,
  GICR_ISACTIVER0,
  GICR_ISENABLER0,
  GICR_ISPENDR0,
  GICR_NSACR,
  GICR_SGI_BASE_OFFSET,
  GICR_STRIDE,
  GICR_TYPER,
  GICR_TYPER_HI,
  GICR_TYPER_Last,
  GICR_TYPER_Processor_Number_SHIFT,
  GICR_WAKER,
  GICR_WAKER_ChildrenAsleep,
  GICR_WAKER_ProcessorSleep,
  GIC_IIDR,
  GRP_G1NS,
  PRI_MASK,
} from './registers.js';

const RD_ID_BASE = 0xffd0;

export class GicRedistributors implements MmioDevice {
  readonly name = 'gicv3-redistributors';
  constructor(private readonly g: GicCore) {}

  read(offsetBytes: number, sizeBytes: number, cpu: number): number {
    const off = offsetBytes >>> 0;
    const rd = Math.floor(off / GICR_STRIDE);
    if (rd >= this.g.numCpus) return 0;
    const f = off % GICR_STRIDE;
    if (f >= GICR_SGI_BASE_OFFSET + GICR_IPRIORITYR && f < GICR_SGI_BASE_OFFSET + GICR_IPRIORITYR + 32) {
      let v = 0;
      const id0 = f - GICR_SGI_BASE_OFFSET - GICR_IPRIORITYR;
      for (let i = 0; i < sizeBytes && id0 + i < 32; i++) v |= this.readPriority(rd, id0 + i, cpu) << (8 * i);
      return v >>> 0;
    }
    const word = f < GICR_SGI_BASE_OFFSET ? this.readRd(rd, f & ~3, cpu) : this.readSgi(rd, (f - GICR_SGI_BASE_OFFSET) & ~3, cpu);
    if (sizeBytes >= 4) return word >>> 0;
    return (word >>> (8 * (f & 3))) & ((1 << (8 * sizeBytes)) - 1);
  }

  write(offsetBytes: number, sizeBytes: number, value: number, cpu: number): void {
    const off = offsetBytes >>> 0;
    const rd = Math.floor(off / GICR_STRIDE);
    if (rd >= this.g.numCpus) return;
    const f = off % GICR_STRIDE;
    if (f >= GICR_SGI_BASE_OFFSET + GICR_IPRIORITYR && f < GICR_SGI_BASE_OFFSET + GICR_IPRIORITYR + 32) {
      const id0 = f - GICR_SGI_BASE_OFFSET - GICR_IPRIORITYR;
      for (let i = 0; i < sizeBytes && id0 + i < 32; i++) this.writePriority(rd, id0 + i, (value >>> (8 * i)) & 0xff, cpu);
      this.g.updateCpu(rd);
      return;
    }
    if (sizeBytes !== 4 || (f & 3) !== 0) return;
    if (f < GICR_SGI_BASE_OFFSET) this.writeRd(rd, f, value >>> 0, cpu);
    else this.writeSgi(rd, f - GICR_SGI_BASE_OFFSET, value >>> 0, cpu);
  }

  // ------------------------------------------------------------- RD_base

  private readRd(rd: number, f: number, cpu: number): number {
    const g = this.g;
    switch (f) {
      case GICR_IIDR:
        return GIC_IIDR;
      case GICR_TYPER:
        // Processor_Number, Last on the final redistributor; PLPIS/VLPIS = 0.
        return ((rd << GICR_TYPER_Processor_Number_SHIFT) | (rd === g.numCpus - 1 ? GICR_TYPER_Last : 0)) >>> 0;
      case GICR_TYPER_HI:
        return g.affinity(rd); // Affinity_Value = Aff3.Aff2.Aff1.Aff0 of the PE's MPIDR_EL1
      case GICR_WAKER: {
        // Secure-only with DS == 0 (RAZ/WI to Non-secure accesses). There is
        // no quiescing: ChildrenAsleep follows ProcessorSleep at once.
        if (!g.fullView(cpu)) return 0;
        return g.s.redist[rd]!.gicr_waker & GICR_WAKER_ProcessorSleep ? GICR_WAKER_ProcessorSleep | GICR_WAKER_ChildrenAsleep : 0;
      }
      default:
        if (f >= RD_ID_BASE) return GICR_ID_REGS[(f - RD_ID_BASE) >>> 2] ?? 0;
        return 0; // GICR_CTLR (no LPIs, RWP = 0), GICR_STATUSR, LPI registers: RAZ
    }
  }

  private writeRd(rd: number, f: number, v: number, cpu: number): void {
    const g = this.g;
    if (f === GICR_WAKER) {
      if (!g.fullView(cpu)) return;
      const r = g.s.redist[rd]!;
      const old = r.gicr_waker;
      r.gicr_waker = v & GICR_WAKER_ProcessorSleep;
      if (old !== r.gicr_waker) g.updateAfterEligibilityChange(rd);
    }
    // GICR_CTLR.EnableLPIs is RAZ/WI (no LPIs); everything else is RO or reserved.
  }

  // ------------------------------------------------------------ SGI_base

  private nsMask(rd: number, cpu: number): number {
    return this.g.fullView(cpu) ? 0xffffffff : this.g.s.redist[rd]!.gicr_igroupr0;
  }

  private readPriority(rd: number, id: number, cpu: number): number {
    const g = this.g;
    const p = g.s.redist[rd]!.gicr_ipriorityr[id]!;
    if (g.fullView(cpu)) return p;
    if (g.group(rd, id) !== GRP_G1NS) return 0;
    return (p << 1) & 0xff; // Non-secure view (§4.8.6)
  }

  private writePriority(rd: number, id: number, v: number, cpu: number): void {
    const g = this.g;
    let p = v;
    if (!g.fullView(cpu)) {
      if (g.group(rd, id) !== GRP_G1NS) return;
      p = 0x80 | (v >>> 1);
    }
    g.s.redist[rd]!.gicr_ipriorityr[id] = p & PRI_MASK;
  }

  private readSgi(rd: number, f: number, cpu: number): number {
    const g = this.g;
    const r = g.s.redist[rd]!;
    const full = g.fullView(cpu);
    const m = this.nsMask(rd, cpu);
    switch (f) {
      case GICR_IGROUPR0:
        return full ? r.gicr_igroupr0 : 0;
      case GICR_IGRPMODR0:
        return full && !g.ds() ? r.gicr_igrpmodr0 : 0;
      case GICR_ISENABLER0:
      case GICR_ICENABLER0:
        return (r.gicr_isenabler0 & m) >>> 0;
      case GICR_ISPENDR0:
      case GICR_ICPENDR0:
        return ((r.gicr_pend | (r.gicr_level & ~r.gicr_edge)) & m) >>> 0;
      case GICR_ISACTIVER0:
      case GICR_ICACTIVER0:
        return (r.gicr_isactiver0 & m) >>> 0;
      case GICR_ICFGR0:
        return 0xaaaaaaaa; // SGIs: edge-triggered, read-only
      case GICR_ICFGR1: {
        const edge = (r.gicr_edge & m) >>> 16;
        let v = 0;
        for (let i = 0; i < 16; i++) if (edge & (1 << i)) v |= 2 << (2 * i);
        return v >>> 0;
      }
      case GICR_NSACR:
        return full && !g.ds() ? r.gicr_nsacr : 0;
      default:
        return 0;
    }
  }

  private writeSgi(rd: number, f: number, v: number, cpu: number): void {
    const g = this.g;
    const r = g.s.redist[rd]!;
    const full = g.fullView(cpu);
    const bits = (v & this.nsMask(rd, cpu)) >>> 0;
    const before = g.trace !== null ? g.privatePending(rd) : 0;
    switch (f) {
      case GICR_IGROUPR0:
        if (!full) return;
        r.gicr_igroupr0 = v;
        break;
      case GICR_IGRPMODR0:
        if (!full || g.ds()) return;
        r.gicr_igrpmodr0 = v;
        break;
      case GICR_ISENABLER0:
        r.gicr_isenabler0 = (r.gicr_isenabler0 | bits) >>> 0;
        break;
      case GICR_ICENABLER0:
        r.gicr_isenabler0 = (r.gicr_isenabler0 & ~bits) >>> 0;
        break;
      case GICR_ISPENDR0:
        r.gicr_pend = (r.gicr_pend | bits) >>> 0;
        break;
      case GICR_ICPENDR0:
        r.gicr_pend = (r.gicr_pend & ~bits) >>> 0;
        break;
      case GICR_ISACTIVER0:
        r.gicr_isactiver0 = (r.gicr_isactiver0 | bits) >>> 0;
        break;
      case GICR_ICACTIVER0:
        r.gicr_isactiver0 = (r.gicr_isactiver0 & ~bits) >>> 0;
        break;
      case GICR_ICFGR1: {
        let e = 0;
        for (let i = 0; i < 16; i++) if (v & (2 << (2 * i))) e |= 1 << (16 + i);
        const m = this.nsMask(rd, cpu) & 0xffff0000;
        r.gicr_edge = ((r.gicr_edge & ~m) | (e & m)) >>> 0;
        break;
      }
      case GICR_NSACR:
        if (!full || g.ds()) return;
        r.gicr_nsacr = v;
        break;
      default:
        return; // GICR_ICFGR0 is read-only; reserved offsets WI
    }
    // ISPENDR0, or ICFGR1 making a PPI with a high line level-sensitive.
    if (g.trace !== null) g.raiseBits(cpu, rd, 0, g.privatePending(rd) & ~before);
    g.updateCpu(rd);
  }
}

// The Distributor (GICD_*, GICv3 §12.9): SPI configuration and state, group
// enables, affinity routing. Affinity routing is always enabled (ARE_S and
// ARE_NS are RAO/WI), so the SGI/PPI words of the banked registers, the
// GICD_ITARGETSR/GICD_SGIR/GICD_[CS]PENDSGIR registers and IROUTER<0..31>
// are RAZ/WI (§12.9, "Affinity routing ... RAZ/WI when ARE == 1").

import type { MmioDevice } from '../../memory/mmio.js';
import type { GicCore } from './core.js';
import {
  GICD_CTLR,
  GICD_CTLR_ARE_NS,
  GICD_CTLR_ARE_S,
  GICD_CTLR_DS,
  GICD_CTLR_E1NWF,
  GICD_CTLR_EnableGrp0,
  GICD_CTLR_EnableGrp1NS,
  GICD_CTLR_EnableGrp1S,
  GICD_CTLR_NS_ARE_NS,
  GICD_CTLR_NS_EnableGrp1A,
  GICD_ICACTIVER,
  GICD_ICENABLER,
  GICD_ICFGR,
  GICD_ICPENDR,
  GICD_ID_REGS,
  GICD_IGROUPR,
  GICD_IGRPMODR,
  GICD_IIDR,
  GICD_IPRIORITYR,
  GICD_IROUTER,
  GICD_NSACR,
  GICD_ISACTIVER,
  GICD_ISENABLER,
  GICD_ISPENDR,
  GICD_PIDR4,
  GICD_TYPER,
  GICD_TYPER_A3V,
  GICD_TYPER_IDbits_SHIFT,
  GICD_TYPER_SecurityExtn,
  GIC_IIDR,
  GIC_INTERNAL,
  GRP_G1NS,
  PRI_MASK,
  ctz32,
} from './registers.js';

export class GicDistributor implements MmioDevice {
  readonly name = 'gicv3-distributor';
  constructor(private readonly g: GicCore) {}

  read(offsetBytes: number, sizeBytes: number, cpu: number): number {
    const off = offsetBytes >>> 0;
    if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + 1024) {
      // Byte-accessible (§12.9.18).
      let v = 0;
      for (let i = 0; i < sizeBytes; i++) v |= this.readPriority(off - GICD_IPRIORITYR + i, cpu) << (8 * i);
      return v >>> 0;
    }
    const word = this.readWord(off & ~3, cpu);
    if (sizeBytes >= 4) return word;
    return (word >>> (8 * (off & 3))) & ((1 << (8 * sizeBytes)) - 1);
  }

  write(offsetBytes: number, sizeBytes: number, value: number, cpu: number): void {
    const off = offsetBytes >>> 0;
    if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + 1024) {
      let mask = 0;
      for (let i = 0; i < sizeBytes; i++) mask |= this.writePriority(off - GICD_IPRIORITYR + i, (value >>> (8 * i)) & 0xff, cpu);
      this.g.updateMask(mask);
      return;
    }
    // Other registers are 32-bit (IROUTER: two 32-bit halves); narrower
    // writes are UNPREDICTABLE and ignored here.
    if (sizeBytes !== 4 || (off & 3) !== 0) return;
    this.writeWord(off, value >>> 0, cpu);
  }

  // --------------------------------------------------------------- helpers

  /** The bits of word `n` a Non-secure access reaches: Non-secure Group 1
   *  interrupts ("Non-secure access to Secure interrupt state is RAZ/WI",
   *  §4.1.2 and the register descriptions), and Secure ones whose GICD_NSACR
   *  field is at least `nsacrMin` (1: set-pending; 2: clear-pending, read
   *  active; 0: none). */
  private nsMask(n: number, cpu: number, nsacrMin = 0): number {
    if (this.g.fullView(cpu)) return 0xffffffff;
    const grp = this.g.s.gicd_igroupr[n]!;
    return nsacrMin === 0 ? grp : (grp | this.nsacrAtLeast(n, nsacrMin)) >>> 0;
  }

  /** Bit i set: the GICD_NSACR field of INTID 32n + i is >= min. */
  private nsacrAtLeast(n: number, min: number): number {
    const a = this.g.s.gicd_nsacr;
    if (a === undefined) return 0;
    let out = 0;
    for (let half = 0; half < 2; half++) {
      const w = a[2 * n + half]!;
      if (w === 0) continue;
      for (let i = 0; i < 16; i++) if (((w >>> (2 * i)) & 3) >= min) out |= 1 << (16 * half + i);
    }
    return out >>> 0;
  }

  /** GICD_NSACR field of SPI `id`. */
  private nsacrField(id: number): number {
    const w = this.g.s.gicd_nsacr?.[id >>> 4] ?? 0;
    return (w >>> (2 * (id & 15))) & 3;
  }

  /** May a Non-secure access reach GICD_IROUTER<id>? (Group, or NSACR = 0b11.) */
  private nsRouteAccess(id: number, cpu: number): boolean {
    return this.g.fullView(cpu) || this.g.group(0, id) === GRP_G1NS || this.nsacrField(id) === 3;
  }

  private pendingWord(n: number): number {
    const s = this.g.s;
    return (s.gicd_pend[n]! | (s.gicd_level[n]! & ~s.gicd_edge[n]!)) >>> 0;
  }

  /** PEs whose lines may change when the SPIs in `bits` of word `n` change. */
  private cpusFor(n: number, bits: number): number {
    let mask = 0;
    let b = bits >>> 0;
    while (b !== 0) {
      const i = ctz32(b);
      b &= b - 1;
      mask |= this.g.spiCpuMask((n << 5) | i);
    }
    return mask;
  }

  private readPriority(id: number, cpu: number): number {
    const g = this.g;
    if (id < GIC_INTERNAL || id >= g.numIntids) return 0;
    const p = g.s.gicd_ipriorityr[id]!;
    if (g.fullView(cpu)) return p;
    if (g.group(0, id) !== GRP_G1NS) return 0;
    return (p << 1) & 0xff; // Non-secure view of the priority (§4.8.6)
  }

  /** Returns the PEs to update. */
  private writePriority(id: number, v: number, cpu: number): number {
    const g = this.g;
    if (id < GIC_INTERNAL || id >= g.numIntids) return 0;
    let p = v;
    if (!g.fullView(cpu)) {
      if (g.group(0, id) !== GRP_G1NS) return 0;
      p = 0x80 | (v >>> 1);
    }
    g.s.gicd_ipriorityr[id] = p & PRI_MASK;
    return g.spiCpuMask(id);
  }

  private readWord(off: number, cpu: number): number {
    const g = this.g;
    const s = g.s;
    const full = g.fullView(cpu);
    if (off === GICD_CTLR) {
      const c = s.gicd_ctlr;
      if (g.ds()) return (c & (GICD_CTLR_EnableGrp0 | GICD_CTLR_EnableGrp1NS | GICD_CTLR_E1NWF)) | GICD_CTLR_ARE_S | GICD_CTLR_DS;
      if (full) return c & 0xff;
      return (c & GICD_CTLR_EnableGrp1NS ? GICD_CTLR_NS_EnableGrp1A : 0) | GICD_CTLR_NS_ARE_NS;
    }
    if (off === GICD_TYPER) {
      return (
        ((g.words - 1) & 0x1f) |
        (((g.numCpus - 1) & 7) << 5) |
        (g.ds() ? 0 : GICD_TYPER_SecurityExtn) |
        (15 << GICD_TYPER_IDbits_SHIFT) | // 16 INTID bits
        GICD_TYPER_A3V
      ) >>> 0;
    }
    if (off === GICD_IIDR) return GIC_IIDR;
    if (off >= GICD_PIDR4) return GICD_ID_REGS[(off - GICD_PIDR4) >>> 2] ?? 0;
    if (off >= GICD_IROUTER && off < GICD_IROUTER + 8 * 1024) {
      const id = (off - GICD_IROUTER) >>> 3;
      if (id < GIC_INTERNAL || id >= g.numIntids) return 0;
      if (!this.nsRouteAccess(id, cpu)) return 0;
      return off & 4 ? s.gicd_irouter_hi[id]! : s.gicd_irouter_lo[id]!;
    }
    if (off >= GICD_ICFGR && off < GICD_ICFGR + 0x100) {
      const k = (off - GICD_ICFGR) >>> 2; // 16 INTIDs per register
      if (k < 2 || k >= g.words * 2) return 0;
      const n = k >>> 1;
      const sh = (k & 1) * 16;
      const edge = (s.gicd_edge[n]! & this.nsMask(n, cpu)) >>> sh;
      let v = 0;
      for (let i = 0; i < 16; i++) if (edge & (1 << i)) v |= 2 << (2 * i);
      return v >>> 0;
    }
    if (off >= GICD_IGROUPR && off < GICD_ICFGR) {
      const base = off & ~0x7f;
      const n = (off & 0x7f) >>> 2;
      if (n === 0 || n >= g.words) return 0;
      const m = this.nsMask(n, cpu);
      switch (base) {
        case GICD_IGROUPR:
          return full ? s.gicd_igroupr[n]! : 0;
        case GICD_ISENABLER:
        case GICD_ICENABLER:
          return (s.gicd_isenabler[n]! & m) >>> 0;
        case GICD_ISPENDR:
          return (this.pendingWord(n) & this.nsMask(n, cpu, 1)) >>> 0;
        case GICD_ICPENDR:
          return (this.pendingWord(n) & this.nsMask(n, cpu, 2)) >>> 0;
        case GICD_ISACTIVER:
        case GICD_ICACTIVER:
          return (s.gicd_isactiver[n]! & this.nsMask(n, cpu, 2)) >>> 0;
        default:
          return 0;
      }
    }
    if (off >= GICD_IGRPMODR && off < GICD_IGRPMODR + 0x80) {
      const n = (off - GICD_IGRPMODR) >>> 2;
      if (n === 0 || n >= g.words || !full || g.ds()) return 0;
      return s.gicd_igrpmodr[n]!;
    }
    if (off >= GICD_NSACR && off < GICD_NSACR + 0x100) {
      // Secure-only with DS == 0; GICD_NSACR0/1 (SGIs, PPIs) are RAZ/WI with affinity routing.
      const k = (off - GICD_NSACR) >>> 2;
      if (k < 2 || k >= g.words * 2 || !full || g.ds()) return 0;
      return s.gicd_nsacr?.[k] ?? 0;
    }
    return 0; // reserved, GICD_STATUSR, ITARGETSR, SGIR, [CS]PENDSGIR: RAZ
  }

  private writeWord(off: number, v: number, cpu: number): void {
    const g = this.g;
    const s = g.s;
    const full = g.fullView(cpu);
    if (off === GICD_CTLR) {
      // RWP always reads 0: writes take effect at once.
      const c = s.gicd_ctlr;
      if (g.ds()) {
        const m = GICD_CTLR_EnableGrp0 | GICD_CTLR_EnableGrp1NS | GICD_CTLR_E1NWF;
        s.gicd_ctlr = ((c & ~m) | (v & m)) >>> 0;
      } else if (full) {
        const m = GICD_CTLR_EnableGrp0 | GICD_CTLR_EnableGrp1NS | GICD_CTLR_EnableGrp1S | GICD_CTLR_E1NWF;
        // DS can be set (never cleared) by a Secure write (§12.9.4); then
        // EnableGrp1S is RES0.
        s.gicd_ctlr = ((c & ~m) | (v & m) | (v & GICD_CTLR_DS) | GICD_CTLR_ARE_S | GICD_CTLR_ARE_NS) >>> 0;
        if (s.gicd_ctlr & GICD_CTLR_DS) s.gicd_ctlr &= ~GICD_CTLR_EnableGrp1S;
      } else {
        const en = v & GICD_CTLR_NS_EnableGrp1A ? GICD_CTLR_EnableGrp1NS : 0;
        s.gicd_ctlr = ((c & ~GICD_CTLR_EnableGrp1NS) | en) >>> 0;
      }
      if (s.gicd_ctlr !== c) g.updateAll();
      return;
    }
    if (off >= GICD_IROUTER && off < GICD_IROUTER + 8 * 1024) {
      const id = (off - GICD_IROUTER) >>> 3;
      if (id < GIC_INTERNAL || id >= g.numIntids) return;
      if (!this.nsRouteAccess(id, cpu)) return;
      const before = g.spiCpuMask(id);
      // Low half: Aff2.Aff1.Aff0 and Interrupt_Routing_Mode (bit 31); high half: Aff3.
      if (off & 4) s.gicd_irouter_hi[id] = v & 0xff;
      else s.gicd_irouter_lo[id] = (v & 0x80ffffff) >>> 0;
      g.retargetSpi(id);
      g.updateMask(before | g.spiCpuMask(id));
      return;
    }
    if (off >= GICD_ICFGR && off < GICD_ICFGR + 0x100) {
      const k = (off - GICD_ICFGR) >>> 2;
      if (k < 2 || k >= g.words * 2) return;
      const n = k >>> 1;
      const sh = (k & 1) * 16;
      let bits = 0;
      for (let i = 0; i < 16; i++) if (v & (2 << (2 * i))) bits |= 1 << (i + sh);
      const m = this.nsMask(n, cpu) & (0xffff << sh);
      const old = s.gicd_edge[n]!;
      const before = this.pendingWord(n);
      s.gicd_edge[n] = ((old & ~m) | (bits & m)) >>> 0;
      // Level-sensitive now with its line high: it becomes pending.
      if (g.trace !== null) g.raiseBits(cpu, -1, n, this.pendingWord(n) & ~before);
      g.updateMask(this.cpusFor(n, old ^ s.gicd_edge[n]!));
      return;
    }
    if (off >= GICD_IGROUPR && off < GICD_ICFGR) {
      const base = off & ~0x7f;
      const n = (off & 0x7f) >>> 2;
      if (n === 0 || n >= g.words) return;
      const m = this.nsMask(n, cpu);
      const bits = (v & m) >>> 0;
      let changed = 0;
      switch (base) {
        case GICD_IGROUPR: {
          if (!full) return;
          changed = s.gicd_igroupr[n]! ^ v;
          s.gicd_igroupr[n] = v;
          break;
        }
        case GICD_ISENABLER:
          changed = bits & ~s.gicd_isenabler[n]!;
          s.gicd_isenabler[n] = (s.gicd_isenabler[n]! | bits) >>> 0;
          break;
        case GICD_ICENABLER:
          changed = bits & s.gicd_isenabler[n]!;
          s.gicd_isenabler[n] = (s.gicd_isenabler[n]! & ~bits) >>> 0;
          break;
        case GICD_ISPENDR: {
          const set = (v & this.nsMask(n, cpu, 1)) >>> 0;
          changed = set & ~s.gicd_pend[n]!;
          if (g.trace !== null) g.raiseBits(cpu, -1, n, set & ~this.pendingWord(n));
          s.gicd_pend[n] = (s.gicd_pend[n]! | set) >>> 0;
          break;
        }
        case GICD_ICPENDR: {
          // Clears the latch; a level-sensitive interrupt stays pending while its line is high.
          const clr = (v & this.nsMask(n, cpu, 2)) >>> 0;
          changed = clr & s.gicd_pend[n]!;
          s.gicd_pend[n] = (s.gicd_pend[n]! & ~clr) >>> 0;
          break;
        }
        case GICD_ISACTIVER:
          changed = bits & ~s.gicd_isactiver[n]!;
          s.gicd_isactiver[n] = (s.gicd_isactiver[n]! | bits) >>> 0;
          break;
        case GICD_ICACTIVER:
          changed = bits & s.gicd_isactiver[n]!;
          s.gicd_isactiver[n] = (s.gicd_isactiver[n]! & ~bits) >>> 0;
          break;
        default:
          return;
      }
      if (changed === 0) return;
      // A group change can move a 1-of-N SPI to another PE.
      if (base === GICD_IGROUPR && g.hasOneOfN()) g.updateAll();
      else g.updateMask(this.cpusFor(n, changed));
      return;
    }
    if (off >= GICD_IGRPMODR && off < GICD_IGRPMODR + 0x80) {
      const n = (off - GICD_IGRPMODR) >>> 2;
      if (n === 0 || n >= g.words || !full || g.ds()) return;
      const changed = s.gicd_igrpmodr[n]! ^ v;
      s.gicd_igrpmodr[n] = v;
      if (changed === 0) return;
      if (g.hasOneOfN()) g.updateAll();
      else g.updateMask(this.cpusFor(n, changed));
      return;
    }
    if (off >= GICD_NSACR && off < GICD_NSACR + 0x100) {
      const k = (off - GICD_NSACR) >>> 2;
      if (k < 2 || k >= g.words * 2 || !full || g.ds()) return;
      // Access permissions only: no interrupt changes state.
      (s.gicd_nsacr ??= new Array<number>(g.words * 2).fill(0))[k] = v;
      return;
    }
    // Everything else is read-only or reserved: WI.
  }
}

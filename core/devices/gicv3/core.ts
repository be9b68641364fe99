// Shared machinery of the GICv3 model: the state record, interrupt
// attributes (group, priority, pending), SPI routing, highest-priority
// pending interrupt selection and the per-CPU line update. The register
// front ends (distributor.ts, redistributor.ts, cpuInterface.ts,
// virtualInterface.ts) all act through this object.
//
// Security model (§4.1.2 "Security states and interrupt groups", §12.1.7):
// the GIC implements two Security states with GICD_CTLR.DS = 0 at reset
// (optionally DS = 1). Interrupts are Group 0, Secure Group 1 or Non-secure
// Group 1 (GICD_IGROUPR/GICD_IGRPMODR, Table 4-1); Non-secure accesses see
// only the Non-secure view: Secure interrupts' fields are RAZ/WI, priorities
// are the Non-secure view (§4.8.6), GICD_CTLR is the Non-secure layout and
// GICD_IGROUPR/IGRPMODR/GICR_WAKER are RAZ/WI. The Security state of an MMIO
// access is the Security state of the CPU making it (the bus has no NS
// attribute); an access with no CPU (cpu outside 0..numCpus-1) is Secure.

import type { CpuView } from '../../cpu/ports.js';
import { NO_CPU } from '../../trace/events.js';
import type { TraceSink } from '../../trace/sink.js';
import {
  GICD_CTLR_DS,
  GICD_CTLR_EnableGrp0,
  GICD_CTLR_EnableGrp1NS,
  GICD_CTLR_EnableGrp1S,
  GICR_WAKER_ProcessorSleep,
  GIC_INTERNAL,
  GRP_G0,
  GRP_G1NS,
  GRP_G1S,
  MAINTENANCE_INTID,
  NO_PENDING,
  SCR_EL3_EEL2,
  SCR_EL3_NS,
  ctz32,
} from './registers.js';
import type { GicState } from './state.js';
import { physicalLines } from './cpuInterface.js';
import { maintenanceLevel, virtualLines } from './virtualInterface.js';

/** spiTarget values besides a CPU index. */
export const TARGET_NONE = -1;
export const TARGET_1_OF_N = -2;

export type PinsCallback = (cpu: number, lines: number) => void;

/** Where the GIC reports interrupt events (wiring, never state). */
export interface GicTraceWiring {
  sink: TraceSink;
  /** Tick of events no PE caused (device lines), unless the caller gives one. */
  now: () => number;
}

export class GicCore {
  s: GicState;
  readonly numCpus: number;
  readonly numIntids: number;
  readonly words: number;
  readonly cpus: CpuView;
  readonly pins: PinsCallback;
  /** Derived from GICD_IROUTER and MPIDRs (not state: rebuilt by retarget()). */
  private readonly spiTarget: Int16Array;
  /** Derived: bit per SPI routed to each PE (numCpus × words), and the
   *  1-of-N SPIs, so the HPPI scan skips other PEs' SPIs a word at a time. */
  private readonly targetBits: Uint32Array;
  private readonly irmBits: Uint32Array;
  private irmCount = 0;
  /** Routes are resolved lazily so MPIDRs may be set after construction. */
  private routesValid = false;
  // Result of the last computeHppi() (scratch, never state).
  hId = 1023;
  hPrio = NO_PENDING;
  hGrp = GRP_G0;
  /** Interrupt event reporting (null: none). */
  readonly trace: GicTraceWiring | null;
  /** Set while loading a state: recomputation is not an event. */
  quiet = false;

  constructor(s: GicState, cpus: CpuView, pins: PinsCallback, trace: GicTraceWiring | null = null) {
    this.trace = trace;
    this.s = s;
    this.numCpus = s.numCpus;
    this.numIntids = s.numIntids;
    this.words = s.numIntids >>> 5;
    this.cpus = cpus;
    this.pins = pins;
    this.spiTarget = new Int16Array(s.numIntids).fill(TARGET_NONE);
    this.targetBits = new Uint32Array(s.numCpus * this.words);
    this.irmBits = new Uint32Array(this.words);
  }

  // ---------------------------------------------------------------- CPU state

  ds(): boolean {
    return (this.s.gicd_ctlr & GICD_CTLR_DS) !== 0;
  }
  validCpu(cpu: number): boolean {
    return Number.isInteger(cpu) && cpu >= 0 && cpu < this.numCpus;
  }
  el(cpu: number): number {
    return this.cpus.el(cpu);
  }
  /** Is the PE in Secure state? (EL3 is always Secure.) */
  secureState(cpu: number): boolean {
    return this.cpus.el(cpu) === 3 || !this.cpus.isNonSecure(cpu);
  }
  /** Use the Non-secure copy of a banked ICC register? At EL3 SCR_EL3.NS picks
   *  the copy (§12.1.7, "Banked registers"). */
  nsBank(cpu: number): boolean {
    if (this.cpus.el(cpu) === 3) return (this.cpus.reg(cpu, 'SCR_EL3') & SCR_EL3_NS) !== 0n;
    return this.cpus.isNonSecure(cpu);
  }
  /** EL2Enabled() for the PE's current Security state (ARM ARM): Non-secure,
   *  or Secure with SCR_EL3.EEL2 == 1. */
  el2Enabled(cpu: number): boolean {
    if (this.cpus.isNonSecure(cpu)) return true;
    return (this.cpus.reg(cpu, 'SCR_EL3') & SCR_EL3_EEL2) !== 0n;
  }
  /** Does an MMIO access from `cpu` see the Secure (full) view? */
  fullView(cpu: number): boolean {
    if (this.ds()) return true;
    if (!this.validCpu(cpu)) return true;
    return this.secureState(cpu);
  }
  /** Affinity of a PE from its MPIDR_EL1: Aff3<<24 | Aff2<<16 | Aff1<<8 | Aff0. */
  affinity(cpu: number): number {
    const m = this.cpus.reg(cpu, 'MPIDR_EL1');
    return ((Number(m & 0xffffffn) | (Number((m >> 32n) & 0xffn) << 24)) >>> 0);
  }

  // ------------------------------------------------------ interrupt attributes

  groupFromBits(igroup: number, igrpmod: number): number {
    if (igroup) return GRP_G1NS;
    if (this.ds()) return GRP_G0;
    return igrpmod ? GRP_G1S : GRP_G0;
  }
  /** Group of INTID `id` as seen by PE `cpu` (Table 4-1). */
  group(cpu: number, id: number): number {
    if (id < GIC_INTERNAL) {
      const r = this.s.redist[cpu]!;
      return this.groupFromBits((r.gicr_igroupr0 >>> id) & 1, (r.gicr_igrpmodr0 >>> id) & 1);
    }
    const w = id >>> 5;
    const b = id & 31;
    return this.groupFromBits((this.s.gicd_igroupr[w]! >>> b) & 1, (this.s.gicd_igrpmodr[w]! >>> b) & 1);
  }
  priority(cpu: number, id: number): number {
    return id < GIC_INTERNAL ? this.s.redist[cpu]!.gicr_ipriorityr[id]! : this.s.gicd_ipriorityr[id]!;
  }
  /** Is the group enabled in GICD_CTLR? (Applies to SGIs and PPIs too.) */
  gicdGroupEnabled(grp: number): boolean {
    const c = this.s.gicd_ctlr;
    if (grp === GRP_G0) return (c & GICD_CTLR_EnableGrp0) !== 0;
    if (grp === GRP_G1NS) return (c & GICD_CTLR_EnableGrp1NS) !== 0;
    return !this.ds() && (c & GICD_CTLR_EnableGrp1S) !== 0;
  }
  /** Is the group enabled at the PE's CPU interface (ICC_IGRPEN<n>)? */
  cpuGroupEnabled(cpu: number, grp: number): boolean {
    const ci = this.s.cpuif[cpu]!;
    if (grp === GRP_G0) return (ci.icc_igrpen0 & 1) !== 0;
    if (grp === GRP_G1NS) return (ci.icc_igrpen1_ns & 1) !== 0;
    return (ci.icc_igrpen1_s & 1) !== 0;
  }

  // ----------------------------------------------------------------- routing

  /** Recompute the target of SPI `id` from GICD_IROUTER<id>. */
  retargetSpi(id: number): void {
    if (!this.routesValid) {
      this.retargetAll();
      return;
    }
    const old = this.spiTarget[id]!;
    const lo = this.s.gicd_irouter_lo[id]!;
    let t = TARGET_NONE;
    if (lo & 0x80000000) {
      t = TARGET_1_OF_N;
    } else {
      const want = ((lo & 0xffffff) | (this.s.gicd_irouter_hi[id]! & 0xff) << 24) >>> 0;
      for (let c = 0; c < this.numCpus; c++) {
        if (this.affinity(c) === want) {
          t = c;
          break;
        }
      }
    }
    const w = id >>> 5;
    const m = 1 << (id & 31);
    if (old === TARGET_1_OF_N) {
      this.irmCount--;
      this.irmBits[w] = this.irmBits[w]! & ~m;
    } else if (old >= 0) {
      const i = old * this.words + w;
      this.targetBits[i] = this.targetBits[i]! & ~m;
    }
    if (t === TARGET_1_OF_N) {
      this.irmCount++;
      this.irmBits[w] = this.irmBits[w]! | m;
    } else if (t >= 0) {
      const i = t * this.words + w;
      this.targetBits[i] = this.targetBits[i]! | m;
    }
    this.spiTarget[id] = t;
  }
  retargetAll(): void {
    this.routesValid = true;
    this.irmCount = 0;
    this.spiTarget.fill(TARGET_NONE);
    this.targetBits.fill(0);
    this.irmBits.fill(0);
    for (let id = GIC_INTERNAL; id < this.numIntids; id++) this.retargetSpi(id);
  }
  /** 1-of-N selection (GICD_IROUTER<n>.Interrupt_Routing_Mode == 1; the choice
   *  of PE is IMPLEMENTATION DEFINED): deterministically the
   *  lowest-numbered PE that is awake (GICR_WAKER.ProcessorSleep == 0) and has
   *  the interrupt's group enabled at its CPU interface. */
  oneOfNTarget(id: number): number {
    const grp = this.group(0, id);
    for (let c = 0; c < this.numCpus; c++) {
      if ((this.s.redist[c]!.gicr_waker & GICR_WAKER_ProcessorSleep) === 0 && this.cpuGroupEnabled(c, grp)) return c;
    }
    return TARGET_NONE;
  }
  /** Bit mask of the PEs whose highest pending interrupt may depend on SPI `id`. */
  /** Forget resolved routes (after loadState, or if MPIDRs change). */
  invalidateRoutes(): void {
    this.routesValid = false;
  }
  spiCpuMask(id: number): number {
    if (!this.routesValid) this.retargetAll();
    const t = this.spiTarget[id]!;
    if (t >= 0) return 1 << t;
    if (t === TARGET_1_OF_N) return (1 << this.numCpus) - 1;
    return 0;
  }
  hasOneOfN(): boolean {
    if (!this.routesValid) this.retargetAll();
    return this.irmCount > 0;
  }
  /** The PE SPI `id` is delivered to now (1-of-N resolved), TARGET_NONE if none. */
  spiRouteTarget(id: number): number {
    if (!this.routesValid) this.retargetAll();
    const t = this.spiTarget[id]!;
    if (t === TARGET_1_OF_N) return this.oneOfNTarget(id);
    return t;
  }

  // ------------------------------------------------------------------- trace

  /** Is there a sink to report interrupt events to? */
  tracing(): boolean {
    return this.trace !== null && !this.quiet;
  }
  /** Report an interrupt event. `cause` is the PE whose access caused it
   *  (its nowTick is the event's tick) or NO_CPU (tick: `tick` when >= 0,
   *  else the wiring's now()). */
  emitIrq(kind: 'irq-raise' | 'irq-ack' | 'irq-eoi', cause: number, intid: number, target: number, virt = false, dir = false, tick = -1): void {
    const t = this.trace;
    if (t === null || this.quiet) return;
    const cpu = this.validCpu(cause) ? cause : NO_CPU;
    const at = tick >= 0 ? tick : cpu !== NO_CPU ? this.cpus.nowTick(cpu) : t.now();
    // A PE in Secure state (or at EL3) caused it: the event is of the Secure world.
    const secure = cpu !== NO_CPU && !this.ds() && this.secureState(cpu);
    if (virt || dir || secure) {
      t.sink.emit({ kind, tick: at, cpu, intid, target, ...(virt ? { virt } : {}), ...(dir ? { dir } : {}), ...(secure ? { world: 's' as const } : {}) });
    } else {
      t.sink.emit({ kind, tick: at, cpu, intid, target });
    }
  }
  /** irq-raise for every INTID in `bits`: of word `w` of the SPIs, or (w = 0)
   *  the SGIs/PPIs of PE `pe`. Ascending INTID order. */
  raiseBits(cause: number, pe: number, w: number, bits: number, tick = -1): void {
    let b = bits >>> 0;
    while (b !== 0) {
      const i = ctz32(b);
      b &= b - 1;
      const id = (w << 5) | i;
      this.emitIrq('irq-raise', cause, id, w === 0 ? pe : this.spiRouteTarget(id), false, false, tick);
    }
  }
  /** Effective pending bits (latch, or level line of a level-sensitive
   *  interrupt) of PE `pe`'s SGIs/PPIs. */
  privatePending(pe: number): number {
    const r = this.s.redist[pe]!;
    return (r.gicr_pend | (r.gicr_level & ~r.gicr_edge)) >>> 0;
  }
  /** Effective pending bits of SPI word `w`. */
  spiPending(w: number): number {
    const s = this.s;
    return (s.gicd_pend[w]! | (s.gicd_level[w]! & ~s.gicd_edge[w]!)) >>> 0;
  }

  // ----------------------------------------------------------- HPPI selection

  /** Highest priority pending interrupt of PE `cpu` (§4.7.1): pending, not
   *  active, enabled, group enabled in GICD_CTLR and at the CPU interface,
   *  routed to this PE; ties go to the lowest INTID. Result in hId/hPrio/hGrp. */
  computeHppi(cpu: number): void {
    if (!this.routesValid) this.retargetAll();
    const s = this.s;
    let bestPrio = NO_PENDING;
    let bestId = 1023;
    let bestGrp = GRP_G0;
    const r = s.redist[cpu]!;
    let cand = (r.gicr_pend | (r.gicr_level & ~r.gicr_edge)) & r.gicr_isenabler0 & ~r.gicr_isactiver0;
    while (cand !== 0) {
      const b = ctz32(cand);
      cand &= cand - 1;
      const p = r.gicr_ipriorityr[b]!;
      if (p >= bestPrio) continue;
      const g = this.groupFromBits((r.gicr_igroupr0 >>> b) & 1, (r.gicr_igrpmodr0 >>> b) & 1);
      if (!this.gicdGroupEnabled(g) || !this.cpuGroupEnabled(cpu, g)) continue;
      bestPrio = p;
      bestId = b;
      bestGrp = g;
    }
    const tb = cpu * this.words;
    for (let w = 1; w < this.words; w++) {
      const routed = this.targetBits[tb + w]! | this.irmBits[w]!;
      if (routed === 0) continue;
      cand = (s.gicd_pend[w]! | (s.gicd_level[w]! & ~s.gicd_edge[w]!)) & s.gicd_isenabler[w]! & ~s.gicd_isactiver[w]! & routed;
      while (cand !== 0) {
        const b = ctz32(cand);
        cand &= cand - 1;
        const id = (w << 5) | b;
        const p = s.gicd_ipriorityr[id]!;
        if (p >= bestPrio) continue;
        const t = this.spiTarget[id]!;
        if (t !== cpu && !(t === TARGET_1_OF_N && this.oneOfNTarget(id) === cpu)) continue;
        const g = this.groupFromBits((s.gicd_igroupr[w]! >>> b) & 1, (s.gicd_igrpmodr[w]! >>> b) & 1);
        if (!this.gicdGroupEnabled(g) || !this.cpuGroupEnabled(cpu, g)) continue;
        bestPrio = p;
        bestId = id;
        bestGrp = g;
      }
    }
    this.hId = bestId;
    this.hPrio = bestPrio;
    this.hGrp = bestGrp;
  }

  // ------------------------------------------------------------ state changes

  /** Acknowledge: pending → active (the latch clears; a level-sensitive
   *  interrupt whose line is still high stays pending: active and pending). */
  activate(cpu: number, id: number): void {
    if (id < GIC_INTERNAL) {
      const r = this.s.redist[cpu]!;
      r.gicr_isactiver0 = (r.gicr_isactiver0 | (1 << id)) >>> 0;
      r.gicr_pend = (r.gicr_pend & ~(1 << id)) >>> 0;
    } else if (id < this.numIntids) {
      const w = id >>> 5;
      const m = 1 << (id & 31);
      this.s.gicd_isactiver[w] = (this.s.gicd_isactiver[w]! | m) >>> 0;
      this.s.gicd_pend[w] = (this.s.gicd_pend[w]! & ~m) >>> 0;
    }
  }
  /** Deactivate INTID `id` (an SGI/PPI of `cpu`, or an SPI) and update lines. */
  deactivate(cpu: number, id: number): void {
    if (id < GIC_INTERNAL) {
      const r = this.s.redist[cpu]!;
      r.gicr_isactiver0 = (r.gicr_isactiver0 & ~(1 << id)) >>> 0;
      this.updateCpu(cpu);
    } else if (id < this.numIntids) {
      const w = id >>> 5;
      this.s.gicd_isactiver[w] = (this.s.gicd_isactiver[w]! & ~(1 << (id & 31))) >>> 0;
      this.updateMask(this.spiCpuMask(id) | (1 << cpu));
    }
  }
  /** Set a private interrupt's input line (PPIs) — pending follows a level
   *  line; a rising edge latches an edge-triggered one. Returns true on change.
   *  A transition to pending is reported as irq-raise caused by `cause`. */
  setPrivateLevel(cpu: number, id: number, level: boolean, cause = NO_CPU, tick = -1): boolean {
    const r = this.s.redist[cpu]!;
    const m = 1 << id;
    const was = (r.gicr_level & m) !== 0;
    if (was === level) return false;
    const before = level ? this.privatePending(cpu) & m : m;
    r.gicr_level = (level ? r.gicr_level | m : r.gicr_level & ~m) >>> 0;
    if (level && (r.gicr_edge & m) !== 0) r.gicr_pend = (r.gicr_pend | m) >>> 0;
    if (before === 0 && this.trace !== null) this.emitIrq('irq-raise', cause, id, cpu, false, false, tick);
    return true;
  }
  setSpiLevel(id: number, level: boolean, tick = -1): boolean {
    const w = id >>> 5;
    const m = 1 << (id & 31);
    const s = this.s;
    const was = (s.gicd_level[w]! & m) !== 0;
    if (was === level) return false;
    const before = level ? this.spiPending(w) & m : m;
    s.gicd_level[w] = (level ? s.gicd_level[w]! | m : s.gicd_level[w]! & ~m) >>> 0;
    if (level && (s.gicd_edge[w]! & m) !== 0) s.gicd_pend[w] = (s.gicd_pend[w]! | m) >>> 0;
    if (before === 0 && this.trace !== null) this.emitIrq('irq-raise', NO_CPU, id, this.spiRouteTarget(id), false, false, tick);
    return true;
  }

  // ------------------------------------------------------------ line updates

  /** Recompute every line of PE `cpu` (maintenance PPI, IRQ/FIQ, vIRQ/vFIQ)
   *  and call `pins` if they changed. Cost: O(INTIDs/32 + pending bits). */
  updateCpu(cpu: number): void {
    // The maintenance interrupt is a level-sensitive PPI driven from
    // ICH_MISR_EL2 while ICH_HCR_EL2.En == 1 (§4.9 / §12.4.9).
    // The PE's own ICH_*/ICV_* accesses drive it: it is the cause.
    this.setPrivateLevel(cpu, MAINTENANCE_INTID, maintenanceLevel(this, cpu), cpu);
    const lines = physicalLines(this, cpu) | virtualLines(this, cpu);
    if (lines !== this.s.lines[cpu]) {
      this.s.lines[cpu] = lines;
      this.pins(cpu, lines);
    }
  }
  updateMask(mask: number): void {
    for (let c = 0; c < this.numCpus; c++) if (mask & (1 << c)) this.updateCpu(c);
  }
  updateAll(): void {
    for (let c = 0; c < this.numCpus; c++) this.updateCpu(c);
  }
  /** After a change that can affect 1-of-N eligibility on `cpu`. */
  updateAfterEligibilityChange(cpu: number): void {
    if (this.hasOneOfN()) this.updateAll();
    else this.updateCpu(cpu);
  }
}

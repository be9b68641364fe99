// GICv3 interrupt controller, shaped like QEMU's virt board GIC: Distributor
// at 0x08000000 (64 KiB), Redistributors at 0x080a0000 (0x20000 per PE), the
// System register CPU interface (ICC_*), and the virtual CPU interface
// (ICH_*_EL2, ICV_*) with 4 List registers. No LPIs and no ITS.
//
// Behaviour choices, all within the GICv3/v4 Architecture Specification
// (ARM IHI 0069):
// - Two Security states: GICD_CTLR.DS = 0 at reset (Group 0, Secure Group 1,
//   Non-secure Group 1; Non-secure accesses see the Non-secure view, §4.1.2,
//   §12.1.7). Option `disableSecurity` resets with DS = 1 instead; a Secure
//   write can also set DS (never clear it).
// - Affinity routing only (ARE_S/ARE_NS RAO/WI, §12.9.4); no legacy mode,
//   ICC_SRE_ELx.SRE RAO/WI.
// - 5 priority bits (32 levels), so only ICC_AP0R0/AP1R0 and ICH_AP0R0/AP1R0
//   exist; the other APR encodings are UNDEFINED.
// - The Security state of an MMIO access is that of the accessing PE.
// - ICC_* accesses from EL1/EL2 trap to EL3 as SCR_EL3.FIQ (Group 0
//   registers), SCR_EL3.IRQ (Group 1) or both (common ones) say (§12.1.10).
// - Delivery (§4.6.2): Group 0 is FIQ; with DS = 1 Group 1 is IRQ; with DS = 0
//   a Group 1 interrupt is signalled by group (LINE_G1S / LINE_G1NS) and the
//   PE takes it as IRQ in its own Security state below EL3 and as FIQ
//   otherwise, so a world switch needs no call into the GIC.
// - GICD_NSACR gives Non-secure software access to Secure SPIs' pending,
//   active and routing state (§12.9.19); GICR_NSACR to Secure SGIs.
//
// Trace (option `trace`): irq-raise when an interrupt's pending state goes
// 0 -> 1 (latch or level line of a level-sensitive one; a line that stays high
// and every re-evaluation emit nothing), irq-ack when an IAR read returns a
// real INTID, irq-eoi when an EOIR write drops a priority and, marked `dir`,
// when a DIR write deactivates (EOImode == 1). ICV_* accesses are marked
// `virt` (intid = vINTID, target = the physical PE). An event a PE caused
// (its SGI, ISPENDR/ICFGR write, IAR/EOIR/DIR access, its maintenance
// interrupt) carries that PE and its nowTick; device lines carry NO_CPU and
// the caller's tick or the `now` option. Loading a state emits nothing.

import type { CpuView, HostStatus, SysregDevice } from '../../cpu/ports.js';
import type { TraceSink } from '../../trace/sink.js';
import type { InterruptSink, MmioDevice } from '../../memory/mmio.js';
import { HOST_UNDEF, MAX_CPUS } from '../../cpu/cpu.js';
import { upgradeRecord } from '../../stateRecord.js';
import { NO_CPU } from '../../trace/events.js';
import { GicCore } from './core.js';
import { iccClaims, iccRead, iccWrite } from './cpuInterface.js';
import { GicDistributor } from './distributor.js';
import { GicRedistributors } from './redistributor.js';
import { DEFAULT_NUM_INTIDS, GIC_INTERNAL, GICD_SIZE, GICR_STRIDE, MAX_NUM_INTIDS } from './registers.js';
import { checkGicState, cloneGicState, createGicState, GIC_STATE_SCHEMA, type GicResetOptions, type GicState } from './state.js';
import { ichClaims, ichRead, ichWrite } from './virtualInterface.js';

export interface Gicv3Options {
  numCpus: number;
  /** Total INTIDs (SGIs + PPIs + SPIs), a multiple of 32; default 288 as QEMU virt. */
  numIntids?: number;
  cpus: CpuView;
  /** Called with a PE's LINE_IRQ/LINE_FIQ/LINE_G1S/LINE_G1NS/LINE_VIRQ/LINE_VFIQ bits whenever they change. */
  pins: (cpu: number, lines: number) => void;
  /** Reset with GICD_CTLR.DS = 1 (single Security state). Default false. */
  disableSecurity?: boolean;
  /** Reset all interrupts to Non-secure Group 1 and wake all redistributors
   *  (what EL3 firmware would do before a Non-secure kernel). Default false. */
  irqResetNonSecure?: boolean;
  /** Report irq-raise / irq-ack / irq-eoi events here (see core/trace/events.ts
   *  IrqEvent). Default: none. */
  trace?: TraceSink;
  /** Tick of events no PE caused (device lines through setSpiLevel /
   *  setPpiLevel without a tick argument), which carry cpu = NO_CPU. Default:
   *  the latest nowTick over the PEs. Events a PE caused use its nowTick. */
  now?: () => number;
}

export class Gicv3 implements InterruptSink, SysregDevice {
  /** GICD_* frame, GICD_SIZE bytes. */
  readonly distributor: MmioDevice;
  /** numCpus consecutive GICR_* frames of GICR_STRIDE bytes. */
  readonly redistributors: MmioDevice;
  readonly numCpus: number;
  readonly numIntids: number;
  readonly distributorSize = GICD_SIZE;
  readonly redistributorsSize: number;
  private readonly core: GicCore;

  /** Configuration of the reset state (not state: fixed at construction). */
  private readonly resetOptions: GicResetOptions;

  constructor(opts: Gicv3Options) {
    const numIntids = opts.numIntids ?? DEFAULT_NUM_INTIDS;
    if (!Number.isInteger(opts.numCpus) || opts.numCpus < 1 || opts.numCpus > MAX_CPUS)
      throw new Error(`Gicv3: numCpus must be 1..${MAX_CPUS}, got ${opts.numCpus}`);
    if (!Number.isInteger(numIntids) || numIntids % 32 !== 0 || numIntids < 64 || numIntids > MAX_NUM_INTIDS)
      throw new Error(`Gicv3: numIntids must be a multiple of 32 in 64..${MAX_NUM_INTIDS}, got ${numIntids}`);
    this.numCpus = opts.numCpus;
    this.numIntids = numIntids;
    this.redistributorsSize = opts.numCpus * GICR_STRIDE;
    this.resetOptions = { disableSecurity: opts.disableSecurity ?? false, irqResetNonSecure: opts.irqResetNonSecure ?? false };
    const state = createGicState(opts.numCpus, numIntids, this.resetOptions);
    const cpus = opts.cpus;
    const numCpus = opts.numCpus;
    const now =
      opts.now ??
      ((): number => {
        let t = 0;
        for (let c = 0; c < numCpus; c++) t = Math.max(t, cpus.nowTick(c));
        return t;
      });
    this.core = new GicCore(state, cpus, opts.pins, opts.trace ? { sink: opts.trace, now } : null);
    this.distributor = new GicDistributor(this.core);
    this.redistributors = new GicRedistributors(this.core);
  }

  // ------------------------------------------------------------ InterruptSink

  /** A device drives SPI `intid` (32..numIntids-1). A transition to pending
   *  is traced as irq-raise with cpu NO_CPU at `tick` (default: the `now`
   *  option), target the PE it is routed to (-1: none). */
  setSpiLevel(intid: number, level: boolean, tick?: number): void {
    const g = this.core;
    if (!Number.isInteger(intid) || intid < GIC_INTERNAL || intid >= g.numIntids) return;
    if (g.setSpiLevel(intid, level, tick ?? -1)) g.updateMask(g.spiCpuMask(intid));
  }

  /** A device drives PPI `intid` (16..31) of PE `cpu`. Traced like an SPI,
   *  with target `cpu`. */
  setPpiLevel(cpu: number, intid: number, level: boolean, tick?: number): void {
    const g = this.core;
    if (!g.validCpu(cpu) || !Number.isInteger(intid) || intid < 16 || intid >= GIC_INTERNAL) return;
    if (g.setPrivateLevel(cpu, intid, level, NO_CPU, tick ?? -1)) g.updateCpu(cpu);
  }

  // ------------------------------------------------------------ SysregDevice

  claims(key: number): boolean {
    return iccClaims(key) || ichClaims(key);
  }

  read(cpu: number, key: number, out: { value: bigint }): HostStatus {
    const g = this.core;
    if (!g.validCpu(cpu)) return HOST_UNDEF;
    if (ichClaims(key)) return g.el(cpu) >= 2 ? ichRead(g, cpu, key, out) : HOST_UNDEF;
    return iccRead(g, cpu, key, out);
  }

  write(cpu: number, key: number, value: bigint): HostStatus {
    const g = this.core;
    if (!g.validCpu(cpu)) return HOST_UNDEF;
    const v = BigInt.asUintN(64, value);
    if (ichClaims(key)) return g.el(cpu) >= 2 ? ichWrite(g, cpu, key, v) : HOST_UNDEF;
    return iccWrite(g, cpu, key, v);
  }

  // --------------------------------------------------------------- machine

  /** Forget cached MPIDR-derived routing (call if MPIDR_EL1 values change). */
  affinityChanged(): void {
    this.core.invalidateRoutes();
    this.core.updateAll();
  }

  /** Drive `pins` for every PE with the current lines, changed or not. */
  resyncPins(): void {
    for (let c = 0; c < this.numCpus; c++) this.core.pins(c, this.core.s.lines[c]!);
  }

  /** Current LINE_* bits of a PE (as last driven through `pins`). */
  lines(cpu: number): number {
    return this.core.s.lines[cpu] ?? 0;
  }

  // ----------------------------------------------------------------- state

  getState(): GicState {
    const s = cloneGicState(this.core.s);
    if (s.gicd_nsacr?.every((w) => w === 0)) delete s.gicd_nsacr;
    return s;
  }

  /** Load a record from getState(). Lines are recomputed from it; `pins` is
   *  called for every PE whose lines differ from what this instance drove
   *  before the load. */
  loadState(record: GicState): void {
    // Fields added since the record was written take their reset values.
    const s = upgradeRecord<GicState>(GIC_STATE_SCHEMA, record, createGicState(this.numCpus, this.numIntids, this.resetOptions));
    const err = checkGicState(s, this.numCpus, this.numIntids);
    if (err !== null) throw new Error(`Gicv3.loadState: ${err}`);
    const before = [...this.core.s.lines];
    const g = this.core;
    g.s = cloneGicState(s);
    g.invalidateRoutes();
    g.quiet = true; // recomputing a loaded state reports no events
    try {
      g.updateAll(); // calls pins where the record's lines were stale
    } finally {
      g.quiet = false;
    }
    for (let c = 0; c < this.numCpus; c++) {
      if (g.s.lines[c] !== before[c] && g.s.lines[c] === s.lines[c]) g.pins(c, g.s.lines[c]!);
    }
  }
}

// The board: wires a configuration into a runnable QEMU-virt-shaped machine
// (CPUs, RAM, GICv3, generic timers, PL011, PL031, secure RAM) and runs it
// from one event clock. CPUs run in a fixed round-robin over time windows;
// a window ends at the quantum or at the next scheduled event, whichever is
// first, and events fire between windows. When every CPU waits, the clock
// jumps to the next event. Nothing here reads wall time.
import {
  CpuCore, EXC_SYNC, EXIT_BREAK, EXIT_DATA_WATCH, EXIT_BUDGET, EXIT_EL2, EXIT_EL3, EXIT_HOST, EXIT_WATCH, EXIT_WFE, EXIT_WFI, HOST_ABORT, HOST_OK, HOST_UNDEF,
} from './cpu/cpu.js';
import { EventQueue, type ScheduledEvent } from './clock/eventQueue.js';
import { Prng } from './clock/prng.js';
import { isMutation } from './mutations.js';
import { chaosOptions, chaosRotation, chaosShuffle, chaosTimerLatency, chaosWindowTicks, type ChaosOptions } from './clock/chaos.js';
import { TraceSink } from './trace/sink.js';
import { hex64, worldField, type ExceptionEvent } from './trace/events.js';
import { Gicv3 } from './devices/gicv3/gicv3.js';
import { GenericTimer, GTIMER_EVENT_KIND } from './devices/timer/genericTimer.js';
import { Pl011 } from './devices/pl011.js';
import { Pl031, PL031_EVENT_KIND } from './devices/pl031.js';
import { PhysicalBus } from './memory/bus.js';
import { type PowerState, type PsciPlatform } from './firmware/psci.js';
import { PsciStandIn } from './firmware/standIn.js';
import { El3Firmware, EL3_FIRMWARE_COMPONENT } from './firmware/el3Firmware.js';
import { SoftwareRouter } from './software/router.js';
import type { ExceptionSoftware } from './software/software.js';
import { upgradeRecord, type RecordSchema } from './stateRecord.js';

export const GICD_BASE = 0x0800_0000;
export const GICR_BASE = 0x080a_0000;
export const UART_BASE = 0x0900_0000;
export const RTC_BASE = 0x0901_0000;
/** The secure UART (QEMU virt, secure=on): secure-only, SPI 8 (INTID 40). */
export const SECURE_UART_BASE = 0x0904_0000;
export const SECURE_UART_INTID = 40;
export const RAM_BASE = 0x4000_0000;

/** Event kind for a byte arriving on the UART (target = byte). */
export const UART_RX_EVENT_KIND = 'uart-rx';

export interface MachineConfig {
  numCpus: number;
  ramBytes: number;
  seed: bigint;
  /** Instructions per CPU per round-robin window. */
  quantumTicks?: number;
  /** PL031 epoch at virtual time 0 (seconds since 1970). */
  rtcEpochSeconds?: number;
  lse?: boolean;
  traceVerbosity?: number;
  /** Two Security states (QEMU virt,secure=on,virtualization=on): Secure EL2
   *  (FEAT_SEL2), the Secure and Non-secure physical address spaces kept
   *  apart, the secure UART, and the GIC reset with GICD_CTLR.DS = 0 (Group 0,
   *  Secure and Non-secure Group 1, FIQ/IRQ by group and Security state).
   *  Off: one Security state in use (DS = 1), exactly the machine before it. */
  secure?: boolean;
  /** Seeded chaos level, 0 (off, the default) .. 3: core/clock/chaos.ts. */
  chaos?: number;
  /** Test only: a planted defect for the fuzzers' mutation suite (core/mutations.ts); '' for none. */
  mutation?: string;
}

export type CpuRunState = 'off' | 'on-pending' | 'running' | 'wfi' | 'wfe';

/** Why a run stopped. */
export type StopReason =
  | { kind: 'system-off' }
  | { kind: 'system-reset' }
  | { kind: 'instruction-limit' }
  | { kind: 'tick-limit' }
  | { kind: 'paused' } // requestPause() was called (e.g. replay reached its target event)
  | { kind: 'idle' } // every CPU waits and nothing is scheduled (not final: inputs may wake it)
  | { kind: 'breakpoint'; cpu: number; pc: bigint } // before the instruction at an armed PC breakpoint (not final)
  | { kind: 'watch'; cpu: number; key: number; isRead: boolean } // right after an access to a watched system register (not final)
  | { kind: 'data-watch'; cpu: number; pa: number; isWrite: boolean } // before an instruction accessing a watched range (not final)
  | { kind: 'halt'; message: string };

/** Limits for one call of run(); the machine can be run again afterwards. */
export interface RunLimits {
  /** Stop once this many instructions in total (since power-on) have executed. */
  maxInstructions?: number;
  /** Stop at the first window boundary at or after this tick (windows are
   *  never shortened for it, so the run stays identical to an unlimited one). */
  untilTick?: number;
  /** Stop as soon as this many ticks have elapsed for the CPU about to act:
   *  before the first step, in execution order, that starts at a clock >= it
   *  (an instruction, a pCPU resumed at EL2, or the window-boundary step of
   *  due events and inputs). Mid-window: the window's progress is machine
   *  state, so the run continues exactly as an unlimited one. docs/replay.md
   *  "Where a run stops" defines steps. */
  stopAtTick?: number;
  /** Stop once CPU `cpu` has executed `count` more instructions in this
   *  call: exactly where `maxInstructions` equal to the total then stops. */
  cpuStep?: { cpu: number; count: number };
}

/** Machine-level state that is not inside a component (versioned, plain data). */
export interface MachineState {
  version: 1;
  nowTick: number;
  instructions: number;
  exceptionCount: number;
  cpuStates: CpuRunState[];
  stopped: StopReason | null;
  /** The round-robin window in progress (null between windows): CPUs before
   *  `cpu` have run [start, end); CPU `cpu` has run `used` ticks of it.
   *  `pendingEl` (2 or 3, else 0): CPU `cpu` has taken an exception to that
   *  level whose TypeScript handler has not run yet (a pause landed there).
   *  `cpu` counts positions in the window's order: with chaos the order
   *  starts at PE `rot` (absent: 0) and wraps. */
  window: { start: number; end: number; cpu: number; used: number; pendingEl: number; rot?: number } | null;
}

/** A component outside the board (hypervisor, SPMC, virtio...) whose state
 *  snapshots must carry. getState returns a versioned plain-data record. */
export interface StatefulComponent {
  getState(): unknown;
  loadState(state: unknown): void;
  /** Optional: reset to the state it has before anything ran, for a
   *  snapshot made before the component existed (restored with defaults
   *  instead of refused). */
  resetState?(): void;
}

/** Hand-overs of one CPU between the two worlds' EL2 software in one step
 *  before the run halts (each legitimately runs guest code or sleeps within
 *  a few; more means they pass the PE back and forth forever). */
const EL2_HANDOFFS_MAX = 64;

const MACHINE_STATE_SCHEMA: RecordSchema = { name: 'machine state', version: 1 };

/** Power-on: CPU 0 running, the others off, nothing run yet. */
function initialMachineState(numCpus: number): MachineState {
  return {
    version: 1,
    nowTick: 0,
    instructions: 0,
    exceptionCount: 0,
    cpuStates: Array.from({ length: numCpus }, (_, i) => (i === 0 ? 'running' : 'off')),
    stopped: null,
    window: null,
  };
}

/** The syndrome, return address and fault address registers of each EL an exception can be taken to. */
const EXC_REGS: Record<number, readonly [string, string, string]> = {
  1: ['ESR_EL1', 'ELR_EL1', 'FAR_EL1'],
  2: ['ESR_EL2', 'ELR_EL2', 'FAR_EL2'],
  3: ['ESR_EL3', 'ELR_EL3', 'FAR_EL3'],
};

const EXC_TYPES: readonly ExceptionEvent['type'][] = ['sync', 'irq', 'fiq', 'serror'];

export class Machine implements PsciPlatform {
  readonly config: Required<MachineConfig>;
  readonly core: CpuCore;
  readonly queue = new EventQueue();
  readonly prng: Prng;
  /** What the chaos level varies (level 0: nothing). */
  readonly chaos: ChaosOptions;
  readonly trace: TraceSink;
  readonly bus = new PhysicalBus();
  readonly gic: Gicv3;
  readonly timer: GenericTimer;
  readonly uart: Pl011;
  /** The secure UART, on a machine with two Security states only. */
  readonly secureUart: Pl011 | undefined;
  readonly rtc: Pl031;
  /** The software at EL3, Non-secure EL2 and Secure EL2 (software/): by
   *  default the EL3 firmware at EL3 and the PSCI stand-in at Non-secure EL2. */
  readonly software = new SoftwareRouter();
  /** Console output sink (UART TX bytes). */
  onConsole: (byte: number) => void = () => {};
  /** The secure UART's output: a stream of its own (its trace events carry world=s). */
  onSecureConsole: (byte: number) => void = () => {};
  /** Diagnostics (unimplemented encodings and the like), not simulation state. */
  onDiagnostic: (message: string) => void = () => {};
  /** Called at every window boundary (after the events due then have fired):
   *  the one place external inputs enter the simulation, so a recorder and a
   *  replayer inject them at identical points. */
  inputHook: ((m: Machine) => void) | undefined;
  /** Told of every batch of instructions a CPU executed: `first` is the
   *  machine's instruction count before it (a debugger's bookkeeping; not state). */
  onExecuted: ((cpu: number, first: number, count: number) => void) | undefined;
  private s: MachineState;
  private pauseRequested = false;
  private readonly components = new Map<string, StatefulComponent>();

  constructor(cfg: MachineConfig) {
    this.config = {
      numCpus: cfg.numCpus,
      ramBytes: cfg.ramBytes,
      seed: cfg.seed,
      quantumTicks: cfg.quantumTicks ?? 10_000,
      rtcEpochSeconds: cfg.rtcEpochSeconds ?? 1_700_000_000,
      lse: cfg.lse ?? true,
      traceVerbosity: cfg.traceVerbosity ?? 0,
      secure: cfg.secure ?? false,
      chaos: cfg.chaos ?? 0,
      mutation: cfg.mutation ?? '',
    };
    if (this.config.mutation !== '' && !isMutation(this.config.mutation)) throw new Error(`unknown mutation '${this.config.mutation}'`);
    this.chaos = chaosOptions(this.config.chaos);
    if (!Number.isSafeInteger(this.config.quantumTicks) || this.config.quantumTicks < 1) {
      throw new Error(`quantum must be a positive number of ticks, got ${this.config.quantumTicks}`);
    }
    if (typeof this.config.seed !== 'bigint' || this.config.seed < 0n || this.config.seed >= 1n << 64n) {
      throw new Error(`seed must be an integer in 0..2^64-1, got ${String(this.config.seed)}`);
    }
    this.prng = new Prng(cfg.seed);
    this.trace = new TraceSink({ verbosity: this.config.traceVerbosity, ringSize: 64 });
    this.s = initialMachineState(cfg.numCpus);
    this.core = new CpuCore(
      { numCpus: cfg.numCpus, ramBytes: cfg.ramBytes, ramPa: RAM_BASE, features: { lse: this.config.lse, sel2: this.config.secure } },
      {
        mmioRead: (cpu, pa, size, secure) => {
          const v = this.bus.read(pa, size, cpu, secure);
          return v === undefined ? { status: HOST_ABORT, value: 0n } : { status: HOST_OK, value: v };
        },
        mmioWrite: (cpu, pa, size, value, secure) => (this.bus.write(pa, size, value, cpu, secure) ? HOST_OK : HOST_ABORT),
        sysreg: (cpu, key, isRead, value) => this.sysregAccess(cpu, key, isRead, value),
        undef: (cpu, insn, pc) => this.onUndef(cpu, insn, pc),
        exception: (cpu, fromEl, toEl, kind) => this.onException(cpu, fromEl, toEl, kind),
        // A device or system register access returns to this loop only when it must act.
        endBatch: () => this.pauseRequested || this.s.stopped !== null,
      },
    );
    const cpus = this.core;
    this.gic = new Gicv3({
      numCpus: cfg.numCpus,
      cpus,
      pins: (cpu, lines) => this.core.setIrqLines(cpu, lines),
      disableSecurity: !this.config.secure,
      // Interrupt events; device-line events take the running CPU's tick
      // inside a window and the machine clock between windows.
      trace: this.trace,
      now: () => (this.s.window ? this.core.nowTick(this.windowCpu(this.s.window)) : this.s.nowTick),
    });
    this.timer = new GenericTimer({
      cpus, irq: this.gic, queue: this.queue, trace: this.trace, hasEl2: true, hasEl3: true,
      ...(this.chaos.timerLatencyTicks > 0 ? { latency: { maxTicks: this.chaos.timerLatencyTicks, draw: () => chaosTimerLatency(this.prng, this.chaos) } } : {}),
    });
    this.uart = new Pl011({ irq: this.gic, trace: this.trace, cpus, onTx: (b) => this.onConsole(b) });
    this.rtc = new Pl031({ irq: this.gic, queue: this.queue, cpus, baseEpochSeconds: this.config.rtcEpochSeconds });
    this.bus.map(GICD_BASE, this.gic.distributorSize, this.gic.distributor);
    this.bus.map(GICR_BASE, this.gic.redistributorsSize, this.gic.redistributors);
    this.bus.map(UART_BASE, 0x1000, this.uart);
    this.bus.map(RTC_BASE, 0x1000, this.rtc);
    if (this.config.secure) {
      this.secureUart = new Pl011({
        irq: this.gic, trace: this.trace, cpus, intid: SECURE_UART_INTID, world: 's', onTx: (b) => this.onSecureConsole(b),
      });
      this.bus.map(SECURE_UART_BASE, 0x1000, this.secureUart, { secureOnly: true });
    }
    // EL3: the firmware (SMCCC 1.2, PSCI 1.1 over SMC); Non-secure EL2 on a
    // machine without a hypervisor: the PSCI stand-in (over HVC, as QEMU's
    // built-in PSCI or KVM). The hypervisor replaces the latter.
    const firmware = new El3Firmware(cfg.numCpus);
    this.software.install('el3', firmware);
    // The firmware's record (the SPMD's world contexts) exists on a machine
    // with two Security states only: every other machine's snapshots and
    // state hashes are as before.
    if (this.config.secure) this.registerComponent(EL3_FIRMWARE_COMPONENT, firmware.spmd);
    this.software.install('el2-ns', new PsciStandIn());
  }

  /** Register a component whose state is saved and restored with the machine. */
  registerComponent(name: string, c: StatefulComponent): void {
    if (this.components.has(name)) throw new Error(`component '${name}' is already registered`);
    this.components.set(name, c);
  }
  componentNames(): string[] {
    return [...this.components.keys()].sort();
  }
  component(name: string): StatefulComponent {
    const c = this.components.get(name);
    if (!c) throw new Error(`no component '${name}'`);
    return c;
  }

  get numCpus(): number {
    return this.config.numCpus;
  }
  get nowTick(): number {
    return this.s.nowTick;
  }
  get instructions(): number {
    return this.s.instructions;
  }
  get stopped(): StopReason | null {
    return this.s.stopped;
  }
  cpuState(cpu: number): CpuRunState {
    return this.s.cpuStates[cpu]!;
  }

  /** Stop the run at the end of the current instruction batch. */
  stop(reason: StopReason): void {
    if (!this.s.stopped) {
      this.s.stopped = reason;
      this.trace.emit({ kind: 'halt', tick: this.s.nowTick, cpu: -1, reason: reason.kind === 'halt' ? reason.message : reason.kind });
    }
  }

  // ---- host calls from the core ----

  private sysregAccess(cpu: number, key: number, isRead: boolean, value: bigint): { status: number; value: bigint } {
    const dev = this.gic.claims(key) ? this.gic : this.timer.claims(key) ? this.timer : undefined;
    if (!dev) return { status: HOST_UNDEF, value: 0n };
    if (isRead) {
      const out = { value: 0n };
      const status = dev.read(cpu, key, out);
      return { status, value: out.value };
    }
    return { status: dev.write(cpu, key, value), value: 0n };
  }

  private onUndef(cpu: number, insn: number, pc: bigint): void {
    this.trace.emit({ kind: 'undef', tick: this.core.nowTick(cpu), cpu, insn, pc: hex64(pc), ...worldField(this.core.isNonSecure(cpu)) });
    this.onDiagnostic(`cpu${cpu}: unimplemented encoding 0x${insn.toString(16).padStart(8, '0')} at pc 0x${pc.toString(16)} (UNDEFINED)`);
  }

  /** Ask run() to return { kind: 'paused' } as soon as possible: right after
   *  the current instruction when called from an event listener during a batch. */
  requestPause(): void {
    this.pauseRequested = true;
  }

  private onException(cpu: number, fromEl: number, toEl: number, kind: number): number {
    const n = ++this.s.exceptionCount;
    const regs = this.core.regs(cpu);
    const names = EXC_REGS[toEl] ?? EXC_REGS[3]!;
    const sync = kind === EXC_SYNC;
    const esr = sync ? regs.get(names[0]) : 0n;
    // Built whole with its seq field first and numbered in place: one object
    // per trap, fields in emit's order.
    const e: ExceptionEvent = {
      seq: 0, kind: 'exception', tick: this.core.nowTick(cpu), cpu, n,
      type: EXC_TYPES[kind]!,
      fromEl, toEl, ec: Number((esr >> 26n) & 0x3fn), esr: hex64(esr),
      elr: hex64(regs.get(names[1])), far: sync ? hex64(regs.get(names[2])) : '0x0',
    };
    // The world it was taken from: entry does not change the Security state (SCR_EL3.NS), even to EL3.
    if (!this.core.isNonSecure(cpu)) e.world = 's';
    this.trace.emitNumbered(e);
    return this.pauseRequested ? 1 : 0;
  }

  // ---- PsciPlatform ----
  powerState(cpu: number): PowerState {
    const st = this.s.cpuStates[cpu]!;
    return st === 'off' ? 'off' : st === 'on-pending' ? 'on-pending' : 'on';
  }
  mpidr(cpu: number): bigint {
    return this.core.regs(cpu).get('MPIDR_EL1');
  }
  validEntry(pa: bigint): boolean {
    return pa % 4n === 0n && this.core.ramOffset(Number(pa), 4) >= 0;
  }
  cpuOn(cpu: number, el: number, entry: bigint, contextId: bigint): void {
    const lines = this.core.irqLines(cpu);
    this.core.reset(cpu);
    this.core.setIrqLines(cpu, lines);
    this.core.setPc(cpu, entry);
    this.core.setX(cpu, 0, contextId);
    this.core.setPstate(cpu, 0x3c0 | (el << 2) | 1);
    this.s.cpuStates[cpu] = 'on-pending';
  }
  cpuOff(cpu: number): void {
    this.s.cpuStates[cpu] = 'off';
  }
  standby(cpu: number): void {
    this.s.cpuStates[cpu] = 'wfi';
  }
  systemOff(): void {
    this.stop({ kind: 'system-off' });
  }
  systemReset(): void {
    this.stop({ kind: 'system-reset' });
  }

  /** EL2 software idles `cpu` until an interrupt is pending for it (the
   *  machine then calls software.resume at EL2). */
  sleepCpu(cpu: number): void {
    this.s.cpuStates[cpu] = 'wfi';
  }

  // ---- clock ----

  /** Schedule a UART RX byte at `tick` (an external input). */
  scheduleUartRx(tick: number, byte: number): void {
    this.queue.schedule(Math.max(tick, this.s.nowTick), UART_RX_EVENT_KIND, byte & 0xff);
  }

  private fire(ev: ScheduledEvent): void {
    switch (ev.kind) {
      case GTIMER_EVENT_KIND:
        this.timer.onEvent(ev);
        return;
      case PL031_EVENT_KIND:
        this.rtc.onEvent(ev);
        return;
      case UART_RX_EVENT_KIND:
        if (!this.uart.pushRx(ev.target, ev.tick)) {
          // FIFO full: retry one microsecond later, as a sender with flow control would.
          this.queue.schedule(ev.tick + 1000, UART_RX_EVENT_KIND, ev.target);
        }
        return;
    }
    this.stop({ kind: 'halt', message: `unknown event kind '${ev.kind}'` });
  }

  private fireDue(): void {
    if (!this.chaos.shuffleEvents) {
      for (let ev = this.queue.popDue(this.s.nowTick); ev; ev = this.queue.popDue(this.s.nowTick)) this.fire(ev);
      return;
    }
    // Chaos: the events due at this boundary are simultaneous; fire them in a drawn order.
    for (;;) {
      const due: ScheduledEvent[] = [];
      for (let ev = this.queue.popDue(this.s.nowTick); ev; ev = this.queue.popDue(this.s.nowTick)) due.push(ev);
      if (due.length === 0) return;
      chaosShuffle(this.prng, due);
      for (const ev of due) this.fire(ev);
    }
  }

  /** The PE at the window's current position. */
  private windowCpu(w: NonNullable<MachineState['window']>): number {
    const n = this.config.numCpus;
    return w.cpu >= n ? w.cpu : (w.cpu + (w.rot ?? 0)) % n;
  }

  /** Is an interrupt pending for `cpu` (the WFI wake-up condition), counting
   *  the virtual interrupts EL2 injects through HCR_EL2.VI/VF/VSE? */
  private wakeable(cpu: number): boolean {
    if (this.core.irqLines(cpu) !== 0) return true;
    const hcr = this.core.regs(cpu).get('HCR_EL2');
    return (hcr & 0x1c0n) !== 0n && (hcr & 0x38n) !== 0n;
  }

  /**
   * Run until a stop condition or a limit. A number is shorthand for
   * { maxInstructions }. Returns why it returned; terminal reasons
   * (system-off, halt...) are also kept in the state and end every later run.
   * A pause can land inside a window; the window's progress is part of the
   * machine state, so resuming (or restoring a snapshot taken there) continues
   * exactly as an uninterrupted run would.
   */
  run(limits: RunLimits | number = {}): StopReason {
    const lim: RunLimits = typeof limits === 'number' ? { maxInstructions: limits } : limits;
    let maxInstructions = lim.maxInstructions ?? Number.MAX_SAFE_INTEGER;
    const stepCpu = lim.cpuStep?.cpu ?? -1;
    let stepLeft = lim.cpuStep?.count ?? 0;
    if (stepCpu >= 0 && stepLeft <= 0) maxInstructions = Math.min(maxInstructions, this.s.instructions);
    const stopAtTick = lim.stopAtTick ?? Number.MAX_SAFE_INTEGER;
    const untilTick = Math.min(lim.untilTick ?? Number.MAX_SAFE_INTEGER, stopAtTick);
    const n = this.config.numCpus;
    const states = this.s.cpuStates;
    this.pauseRequested = false;
    while (!this.s.stopped) {
      if (!this.s.window) {
        if (this.s.instructions >= maxInstructions) return { kind: 'instruction-limit' };
        if (this.s.nowTick >= untilTick) return { kind: 'tick-limit' };
        this.fireDue();
        if (this.s.stopped) break;
        // After due events: a run resumed at the same tick (e.g. after 'idle')
        // reaches this point in the same state whether or not it paused here.
        this.inputHook?.(this);
        if (this.pauseRequested) {
          this.pauseRequested = false;
          return { kind: 'paused' };
        }
        const now = this.s.nowTick;
        const nextEvent = this.queue.nextTick();
        if (!states.some((st, cpu) => st !== 'off' && (st !== 'wfi' || this.wakeable(cpu)))) {
          // Every CPU waits: jump to the next event. With nothing scheduled the
          // machine is idle; that is not final (an input may still arrive).
          if (nextEvent === Infinity) return { kind: 'idle' };
          this.s.nowTick = Math.min(Math.max(nextEvent, now), untilTick);
          continue;
        }
        // The window never depends on the caller's limits: a run split into
        // several calls executes exactly as one call (untilTick stops at the
        // first window boundary at or after it).
        // Without chaos these draw nothing: the quantum, PE 0 first.
        const span = chaosWindowTicks(this.prng, this.chaos, this.config.quantumTicks);
        const rot = chaosRotation(this.prng, this.chaos, n);
        this.s.window = { start: now, end: Math.min(now + span, nextEvent), cpu: 0, used: 0, pendingEl: 0, ...(rot ? { rot } : {}) };
      }
      const w = this.s.window;
      const budget = w.end - w.start;
      for (; w.cpu < n; w.cpu++, w.used = 0) {
        const cpu = this.windowCpu(w);
        if (this.s.stopped) break;
        let st = states[cpu]!;
        if (st === 'off') continue;
        if (w.used === 0) {
          if (st === 'wfi') {
            if (!this.wakeable(cpu)) continue;
            st = states[cpu] = 'running';
          } else if (st === 'wfe' || st === 'on-pending') {
            st = states[cpu] = 'running'; // WFE sleeps for at most one window
          }
        } else if (st !== 'running') {
          continue;
        }
        if (w.pendingEl !== 0) {
          // The handler of the exception a pause stopped at: the rest of that step.
          const level = w.pendingEl;
          w.pendingEl = 0;
          this.core.setNowTick(cpu, w.start + w.used);
          this.software.handle(this, cpu, level);
          if (this.pauseRequested && !this.s.stopped) return this.pauseAfterStep(w, cpu);
          if (states[cpu] !== 'running') continue;
        }
        while (w.used < budget && !this.s.stopped) {
          const left = maxInstructions - this.s.instructions;
          if (left <= 0) return { kind: 'instruction-limit' }; // mid-window: the window state resumes it exactly
          const toTick = stopAtTick - (w.start + w.used);
          if (toTick <= 0) return { kind: 'tick-limit' };
          if (this.core.el(cpu) === 2) {
            const r = this.resumeAtEl2(cpu, w.start + w.used);
            if (r === 'paused') return this.pauseAfterStep(w, cpu);
            if (r === 'left') break;
          }
          const reason = this.core.run(cpu, Math.min(budget - w.used, left, toTick, cpu === stepCpu ? stepLeft : Infinity), w.start + w.used);
          const did = this.core.executed(cpu);
          if (did > 0) this.onExecuted?.(cpu, this.s.instructions, did);
          w.used += did;
          this.s.instructions += did;
          if (cpu === stepCpu && (stepLeft -= did) <= 0) maxInstructions = Math.min(maxInstructions, this.s.instructions);
          if (reason === EXIT_EL2 || reason === EXIT_EL3) {
            this.core.setNowTick(cpu, w.start + w.used);
            if (this.pauseRequested) {
              // Stop at the exception entry itself; its handler runs on resume.
              this.pauseRequested = false;
              w.pendingEl = reason === EXIT_EL2 ? 2 : 3;
              return { kind: 'paused' };
            }
            this.software.handle(this, cpu, reason === EXIT_EL2 ? 2 : 3);
          } else if (reason === EXIT_WFI) {
            states[cpu] = 'wfi';
          } else if (reason === EXIT_WFE) {
            states[cpu] = 'wfe';
          } else if (reason === EXIT_BREAK) {
            // Stopped before the instruction; resuming executes it (once).
            this.core.passBreakpoint(cpu);
            this.core.setNowTick(cpu, w.start + w.used);
            return { kind: 'breakpoint', cpu, pc: this.core.getPc(cpu) };
          } else if (reason === EXIT_DATA_WATCH) {
            // Stopped before the instruction; resuming executes it (the core passes that hit once).
            this.core.setNowTick(cpu, w.start + w.used);
            return { kind: 'data-watch', cpu, ...this.core.dataWatchHit(cpu) };
          } else if (reason === EXIT_WATCH) {
            if (!(this.pauseRequested && !this.s.stopped)) return { kind: 'watch', cpu, ...this.core.watchHit(cpu) };
          } else if (reason !== EXIT_BUDGET && reason !== EXIT_HOST) {
            this.stop({ kind: 'halt', message: `cpu${cpu}: core stopped (exit ${reason}) at pc 0x${this.core.getPc(cpu).toString(16)}` });
          }
          if (this.pauseRequested && !this.s.stopped) return this.pauseAfterStep(w, cpu);
          if (states[cpu] !== 'running') break;
        }
      }
      if (this.s.stopped) break;
      this.s.nowTick = w.end;
      this.s.window = null;
    }
    return this.s.stopped!;
  }

  /**
   * Give `cpu`, which sits at EL2, to its EL2 software's resume(); when that
   * leaves it at the other Security state's EL2 (a world switch at EL3: the
   * SPMC's secondary init after CPU_ON ends in FFA_MSG_WAIT and the SPMD
   * returns the PE to the Normal world's EL2, where the hypervisor starts
   * it), hand it on to that software's resume() in turn. 'run': the PE is at
   * a lower EL (or at EL2 code of no TypeScript software) and executes;
   * 'left': it stopped running (slept, off, machine stopped); 'paused': a
   * pause was requested.
   */
  private resumeAtEl2(cpu: number, tick: number): 'run' | 'left' | 'paused' {
    let prev: ExceptionSoftware | undefined;
    for (let handoffs = 0; ; handoffs++) {
      const sw = this.core.el(cpu) === 2 ? this.software.at(this, cpu, 2) : undefined;
      if (!sw?.resume) return 'run';
      if (sw === prev) {
        this.stop({ kind: 'halt', message: `cpu${cpu}: EL2 software left the CPU at EL2 without sleeping` });
        return 'left';
      }
      if (handoffs === EL2_HANDOFFS_MAX) {
        this.stop({ kind: 'halt', message: `cpu${cpu}: the two worlds' EL2 software handed the CPU back and forth ${EL2_HANDOFFS_MAX} times without running it` });
        return 'left';
      }
      this.core.setNowTick(cpu, tick);
      sw.resume(this, cpu);
      if (this.pauseRequested && !this.s.stopped) return 'paused';
      if (this.s.cpuStates[cpu] !== 'running' || this.s.stopped) return 'left';
      prev = sw;
    }
  }

  /** Return 'paused' at the boundary after the step that requested it; a CPU
   *  that stopped running in that step hands the window to the next CPU. */
  private pauseAfterStep(w: NonNullable<MachineState['window']>, cpu: number): StopReason {
    this.pauseRequested = false;
    if (this.s.cpuStates[cpu] !== 'running') {
      w.cpu++;
      w.used = 0;
    }
    return { kind: 'paused' };
  }

  /** The clock of the CPU about to act (the machine clock between windows):
   *  what `stopAtTick` compares. */
  get clockTick(): number {
    const w = this.s.window;
    if (!w) return this.s.nowTick;
    return w.cpu < this.config.numCpus ? w.start + w.used : w.end;
  }

  /** The virtual clock of `cpu` where the machine is now: inside a window,
   *  CPUs before the running one have finished it, the running one is at its
   *  progress and later ones at its start. */
  cpuTick(cpu: number): number {
    const w = this.s.window;
    if (!w) return this.s.nowTick;
    const n = this.config.numCpus;
    const pos = (cpu - (w.rot ?? 0) + n) % n;
    if (pos < w.cpu) return w.end;
    if (pos === w.cpu) return w.start + w.used;
    return w.start;
  }

  getMachineState(): MachineState {
    return structuredClone(this.s);
  }
  loadMachineState(s: MachineState): void {
    this.s = upgradeRecord<MachineState>(MACHINE_STATE_SCHEMA, s, initialMachineState(this.config.numCpus));
  }
}

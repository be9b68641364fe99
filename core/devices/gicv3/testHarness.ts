// Test support for the GICv3 unit tests: a fake CpuView and small accessors.
// (Not used by the emulator.)

import { LINE_FIQ, LINE_G1NS, LINE_G1S, LINE_IRQ } from '../../cpu/cpu.js';
import type { CpuView } from '../../cpu/ports.js';
import { formatEventBody, NO_CPU, type TraceEvent } from '../../trace/events.js';
import { TraceSink } from '../../trace/sink.js';
import { Gicv3, type Gicv3Options } from './gicv3.js';
import { GICR_SGI_BASE_OFFSET, GICR_STRIDE } from './registers.js';

export class FakeCpus implements CpuView {
  readonly numCpus: number;
  els: number[];
  ns: boolean[];
  hcr: bigint[];
  scr: bigint[];
  mpidr: bigint[];
  /** nowTick of each PE (default 0). */
  ticks: number[];
  constructor(n: number) {
    this.ticks = new Array<number>(n).fill(0);
    this.numCpus = n;
    this.els = new Array<number>(n).fill(1);
    this.ns = new Array<boolean>(n).fill(true);
    this.hcr = new Array<bigint>(n).fill(0n);
    this.scr = new Array<bigint>(n).fill(5n); // SCR_EL3.NS, SCR_EL3.FIQ (Group 0 belongs to EL3, as with TF-A)
    // QEMU virt: Aff0 = cpu % 8 within cluster Aff1 = cpu / 8; bit 31 RES1.
    this.mpidr = Array.from({ length: n }, (_, i) => 0x80000000n | BigInt(i));
  }
  el(cpu: number): number {
    return this.els[cpu]!;
  }
  isNonSecure(cpu: number): boolean {
    return this.ns[cpu]!;
  }
  reg(cpu: number, name: string): bigint {
    if (name === 'HCR_EL2') return this.hcr[cpu]!;
    if (name === 'SCR_EL3') return this.scr[cpu]!;
    if (name === 'MPIDR_EL1') return this.mpidr[cpu]!;
    return 0n;
  }
  nowTick(cpu: number): number {
    return this.ticks[cpu]!;
  }
  /** Run `f` with PE `cpu` at EL3 (Secure), then restore. */
  atEl3<T>(cpu: number, f: () => T): T {
    const el = this.els[cpu]!;
    this.els[cpu] = 3;
    try {
      return f();
    } finally {
      this.els[cpu] = el;
    }
  }
  atEl<T>(cpu: number, el: number, f: () => T): T {
    const old = this.els[cpu]!;
    this.els[cpu] = el;
    try {
      return f();
    } finally {
      this.els[cpu] = old;
    }
  }
}

export interface Harness {
  gic: Gicv3;
  cpus: FakeCpus;
  /** Every pins() call, in order. */
  calls: Array<[number, number]>;
  /** Current lines per CPU as seen through pins(). */
  lines: number[];
  /** The physical signal PE `cpu` sees in its current EL and Security state:
   *  LINE_G1S/LINE_G1NS made IRQ or FIQ as the PE does (§4.6.2, Table 4-3;
   *  core/cpu/as/exceptions.ts physicalLines). */
  signal(cpu: number): number;
  /** signal() of every PE. */
  signals(): number[];
  dr(off: number, cpu?: number): number;
  dw(off: number, v: number, cpu?: number, size?: number): void;
  rdr(rd: number, off: number, cpu?: number): number;
  rdw(rd: number, off: number, v: number, cpu?: number): void;
  sgir(rd: number, off: number, cpu?: number): number;
  sgiw(rd: number, off: number, v: number, cpu?: number, size?: number): void;
  /** System register read: [status, value]. */
  sr(cpu: number, key: number): [number, bigint];
  sw(cpu: number, key: number, v: bigint | number): number;
  /** The sink the GIC reports to (always attached by makeHarness). */
  trace: TraceSink;
  /** Events recorded since the last call, as "@tick cpuN kind body" text. */
  events(): string[];
}

/** Compact rendering of an event for assertions: "@5 cpu0 irq-ack intid=27 target=0". */
export function eventText(e: TraceEvent): string {
  return `@${e.tick} ${e.cpu === NO_CPU ? 'cpu-' : `cpu${e.cpu}`} ${e.kind} ${formatEventBody(e)}`;
}

export function makeHarness(numCpus: number, opts: Partial<Omit<Gicv3Options, 'cpus' | 'pins' | 'numCpus'>> = {}): Harness {
  const cpus = new FakeCpus(numCpus);
  const calls: Array<[number, number]> = [];
  const lines = new Array<number>(numCpus).fill(0);
  const trace = new TraceSink();
  let seen: TraceEvent[] = [];
  trace.subscribe((e) => seen.push(e));
  const gic = new Gicv3({
    numCpus,
    cpus,
    trace,
    pins: (c, l) => {
      calls.push([c, l]);
      lines[c] = l;
    },
    ...opts,
  });
  const signal = (c: number): number => {
    const raw = lines[c]!;
    const el3 = cpus.els[c] === 3;
    const secure = el3 || !cpus.ns[c]!;
    let out = raw & ~(LINE_G1S | LINE_G1NS);
    if (raw & LINE_G1S) out |= secure && !el3 ? LINE_IRQ : LINE_FIQ;
    if (raw & LINE_G1NS) out |= secure ? LINE_FIQ : LINE_IRQ;
    return out;
  };
  // Secure firmware accesses use cpu = -1 (no PE: Secure).
  return {
    gic,
    cpus,
    calls,
    lines,
    signal,
    signals: () => lines.map((_, c) => signal(c)),
    dr: (off, cpu = -1) => gic.distributor.read(off, 4, cpu),
    dw: (off, v, cpu = -1, size = 4) => gic.distributor.write(off, size, v >>> 0, cpu),
    rdr: (rd, off, cpu = -1) => gic.redistributors.read(rd * GICR_STRIDE + off, 4, cpu),
    rdw: (rd, off, v, cpu = -1) => gic.redistributors.write(rd * GICR_STRIDE + off, 4, v >>> 0, cpu),
    sgir: (rd, off, cpu = -1) => gic.redistributors.read(rd * GICR_STRIDE + GICR_SGI_BASE_OFFSET + off, 4, cpu),
    sgiw: (rd, off, v, cpu = -1, size = 4) =>
      gic.redistributors.write(rd * GICR_STRIDE + GICR_SGI_BASE_OFFSET + off, size, v >>> 0, cpu),
    sr: (cpu, key) => {
      const out = { value: 0n };
      const st = gic.read(cpu, key, out);
      return [st, out.value];
    },
    sw: (cpu, key, v) => gic.write(cpu, key, BigInt(v)),
    trace,
    events: () => {
      const out = seen.map(eventText);
      seen = [];
      return out;
    },
  };
}

// Interrupt events reported by the GIC through its `trace` option:
// irq-raise on transitions to pending (never on re-evaluation), irq-ack on
// IAR reads returning a real INTID, irq-eoi on priority drop (EOIR) and, in
// split EOI mode, on deactivation (DIR, marked "dir"). ICV accesses are
// marked "virt" (target = the physical PE running the vCPU).
import { describe, expect, it } from 'vitest';
import { HOST_OK, LINE_IRQ, LINE_VIRQ } from '../../cpu/cpu.js';
import { TraceSink, traceDigest } from '../../trace/sink.js';
import type { TraceEvent } from '../../trace/events.js';
import { eventText, makeHarness, type Harness } from './testHarness.js';
import { Gicv3 } from './gicv3.js';
import {
  GICD_CTLR,
  GICD_CTLR_EnableGrp0,
  GICD_CTLR_EnableGrp1NS,
  GICD_CTLR_EnableGrp1S,
  GICD_ICFGR,
  GICD_ICPENDR,
  GICD_IGROUPR,
  GICD_IPRIORITYR,
  GICD_IROUTER,
  GICD_ISENABLER,
  GICD_ISPENDR,
  GICR_ICFGR1,
  GICR_IGROUPR0,
  GICR_ISENABLER0,
  GICR_ISPENDR0,
  GICR_WAKER,
  ICC_BPR1_EL1,
  ICC_CTLR_EL1,
  ICC_DIR_EL1,
  ICC_EOIR1_EL1,
  ICC_HPPIR1_EL1,
  ICC_IAR1_EL1,
  ICC_IGRPEN1_EL1,
  ICC_PMR_EL1,
  ICC_SGI1R_EL1,
  ICH_HCR_EL2,
  ICH_LR_EL2,
  ICH_VMCR_EL2,
} from './registers.js';

const ALL_GROUPS = GICD_CTLR_EnableGrp0 | GICD_CTLR_EnableGrp1NS | GICD_CTLR_EnableGrp1S;

function linuxBoot(h: Harness): void {
  h.dw(GICD_CTLR, ALL_GROUPS);
  for (let n = 1; n < h.gic.numIntids / 32; n++) h.dw(GICD_IGROUPR + 4 * n, 0xffffffff);
  for (let c = 0; c < h.gic.numCpus; c++) {
    h.rdw(c, GICR_WAKER, 0);
    h.sgiw(c, GICR_IGROUPR0, 0xffffffff);
    h.cpus.atEl3(c, () => h.sw(c, ICC_PMR_EL1, 0xff));
    expect(h.sw(c, ICC_PMR_EL1, 0xf0)).toBe(HOST_OK);
    expect(h.sw(c, ICC_IGRPEN1_EL1, 1)).toBe(HOST_OK);
  }
  h.events();
}

function setupSpi(h: Harness, id: number, opts: { target?: number; edge?: boolean; irm?: boolean } = {}): void {
  h.gic.distributor.write(GICD_IPRIORITYR + id, 1, 0xa0, 0);
  h.dw(GICD_IROUTER + 8 * id, (opts.irm ? 0x80000000 : 0) | (opts.target ?? 0), 0);
  if (opts.edge) {
    const reg = GICD_ICFGR + 4 * (id >>> 4);
    h.dw(reg, h.dr(reg, 0) | (2 << (2 * (id & 15))), 0);
  }
  h.dw(GICD_ISENABLER + 4 * (id >>> 5), 1 << (id & 31), 0);
  h.events();
}

describe('GIC interrupt events', () => {
  it('a level SPI raises once per transition to pending, never on re-evaluation', () => {
    const h = makeHarness(2);
    linuxBoot(h);
    setupSpi(h, 33, { target: 1 });
    h.cpus.ticks = [500, 700];
    h.gic.setSpiLevel(33, true);
    expect(h.events()).toEqual(['@700 cpu- irq-raise intid=33 target=1']); // default tick: the latest PE tick
    // Re-evaluations while the line stays high: PMR, BPR, enable, HPPIR, a repeated level.
    for (let i = 0; i < 50; i++) {
      h.sw(1, ICC_PMR_EL1, 0xf0 - (i & 1) * 8);
      h.sw(1, ICC_BPR1_EL1, 3);
      h.sr(1, ICC_HPPIR1_EL1);
      h.gic.setSpiLevel(33, true);
      h.gic.affinityChanged();
    }
    h.gic.affinityChanged();
    expect(h.events()).toEqual([]);
    expect(h.signal(1)).toBe(LINE_IRQ);
    // Acknowledge: active and still pending (line high) — no new raise; EOI.
    h.cpus.ticks[1] = 710;
    expect(h.sr(1, ICC_IAR1_EL1)[1]).toBe(33n);
    h.cpus.ticks[1] = 720;
    h.sw(1, ICC_EOIR1_EL1, 33);
    expect(h.events()).toEqual(['@710 cpu1 irq-ack intid=33 target=1', '@720 cpu1 irq-eoi intid=33 target=1']);
    // Lowered and raised again: a new transition.
    h.gic.setSpiLevel(33, false);
    h.gic.setSpiLevel(33, true, 900); // explicit tick from the caller
    expect(h.events()).toEqual(['@900 cpu- irq-raise intid=33 target=1']);
    // A disabled interrupt still becomes pending (and is reported).
    h.gic.setSpiLevel(34, true);
    expect(h.events()).toEqual(['@720 cpu- irq-raise intid=34 target=0']);
  });

  it('an edge SPI raises on each rising edge that latches it, not while it is already pending', () => {
    const h = makeHarness(1);
    linuxBoot(h);
    setupSpi(h, 48, { edge: true });
    h.gic.setSpiLevel(48, true);
    h.gic.setSpiLevel(48, false);
    h.gic.setSpiLevel(48, true); // latched already: not a transition
    h.gic.setSpiLevel(48, false);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(48n);
    h.gic.setSpiLevel(48, true); // active: the new edge makes it active and pending
    h.sw(0, ICC_EOIR1_EL1, 48);
    expect(h.events()).toEqual([
      '@0 cpu- irq-raise intid=48 target=0',
      '@0 cpu0 irq-ack intid=48 target=0',
      '@0 cpu- irq-raise intid=48 target=0',
      '@0 cpu0 irq-eoi intid=48 target=0',
    ]);
  });

  it('target is the routed PE, the 1-of-N choice, or -1 when unrouted', () => {
    const h = makeHarness(3);
    linuxBoot(h);
    setupSpi(h, 40, { target: 2 });
    setupSpi(h, 41, { irm: true });
    setupSpi(h, 42, { target: 0x77 }); // no PE has this affinity
    h.sw(0, ICC_IGRPEN1_EL1, 0); // CPU 0 no longer eligible for 1-of-N
    h.events();
    for (const id of [40, 41, 42]) h.gic.setSpiLevel(id, true);
    expect(h.events()).toEqual([
      '@0 cpu- irq-raise intid=40 target=2',
      '@0 cpu- irq-raise intid=41 target=1',
      '@0 cpu- irq-raise intid=42 target=-1',
    ]);
  });

  it('device PPIs report NO_CPU with the `now` option tick; the timer line staying high emits once', () => {
    const sink = new TraceSink();
    const seen: TraceEvent[] = [];
    sink.subscribe((e) => seen.push(e));
    let clock = 1234;
    const h = makeHarness(2, { trace: sink, now: () => clock });
    linuxBoot(h);
    seen.length = 0;
    h.sgiw(1, GICR_ISENABLER0, 1 << 27, 0);
    h.gic.setPpiLevel(1, 27, true);
    clock = 2000;
    h.gic.setPpiLevel(1, 27, true);
    expect(h.sr(1, ICC_IAR1_EL1)[1]).toBe(27n);
    h.gic.setPpiLevel(1, 27, false);
    h.sw(1, ICC_EOIR1_EL1, 27);
    h.gic.setPpiLevel(1, 27, true);
    expect(seen.map(eventText)).toEqual([
      '@1234 cpu- irq-raise intid=27 target=1',
      '@0 cpu1 irq-ack intid=27 target=1',
      '@0 cpu1 irq-eoi intid=27 target=1',
      '@2000 cpu- irq-raise intid=27 target=1',
    ]);
    expect(seen.map((e) => e.seq)).toEqual([0, 1, 2, 3].map((i) => i + seen[0]!.seq));
  });

  it('SGIs: one raise per newly pending target, caused by the sender at its tick', () => {
    const h = makeHarness(4);
    linuxBoot(h);
    for (let c = 0; c < 4; c++) h.sgiw(c, GICR_ISENABLER0, 0xffff, 0);
    h.events();
    h.cpus.ticks = [10, 20, 30, 40];
    h.sw(0, ICC_SGI1R_EL1, (5n << 24n) | 0b1110n); // SGI 5 → CPUs 1, 2, 3
    h.sw(0, ICC_SGI1R_EL1, (5n << 24n) | 0b0110n); // already pending on 1, 2: nothing new
    h.sw(3, ICC_SGI1R_EL1, (1n << 40n) | (6n << 24n)); // IRM: all but CPU 3
    expect(h.events()).toEqual([
      '@10 cpu0 irq-raise intid=5 target=1',
      '@10 cpu0 irq-raise intid=5 target=2',
      '@10 cpu0 irq-raise intid=5 target=3',
      '@40 cpu3 irq-raise intid=6 target=0',
      '@40 cpu3 irq-raise intid=6 target=1',
      '@40 cpu3 irq-raise intid=6 target=2',
    ]);
  });

  it('ISPENDR writes (GICD and GICR) raise what was not pending; ICFGR edge→level with a high line raises', () => {
    const h = makeHarness(2);
    linuxBoot(h);
    setupSpi(h, 35, { target: 1, edge: true });
    h.cpus.ticks = [100, 200];
    h.dw(GICD_ISPENDR + 4, (1 << 3) | (1 << 4), 0); // 35, 36 from CPU 0
    h.dw(GICD_ISPENDR + 4, 1 << 3, 0); // already pending
    h.dw(GICD_ICPENDR + 4, 1 << 3, 0);
    h.dw(GICD_ISPENDR + 4, 1 << 3); // no PE (Secure firmware): NO_CPU, latest PE tick
    h.sgiw(1, GICR_ISPENDR0, 1 << 20, 1);
    expect(h.events()).toEqual([
      '@100 cpu0 irq-raise intid=35 target=1',
      '@100 cpu0 irq-raise intid=36 target=0',
      '@200 cpu- irq-raise intid=35 target=1',
      '@200 cpu1 irq-raise intid=20 target=1',
    ]);
    // SPI 37 edge-triggered with its line high, then made level-sensitive.
    h.dw(GICD_ICPENDR + 4, 0xffffffff, 0);
    h.dw(GICD_ICFGR + 8, 2 << (2 * 5), 0);
    h.gic.setSpiLevel(37, true);
    h.dw(GICD_ICPENDR + 4, 1 << 5, 0);
    h.events();
    h.dw(GICD_ICFGR + 8, 0, 0);
    expect(h.events()).toEqual(['@100 cpu0 irq-raise intid=37 target=0']);
    // Same for a PPI through GICR_ICFGR1.
    h.sgiw(1, GICR_ICFGR1, 2 << (2 * (23 - 16)), 1);
    h.gic.setPpiLevel(1, 23, true);
    h.sgiw(1, 0x280, 1 << 23, 1); // GICR_ICPENDR0
    h.events();
    h.sgiw(1, GICR_ICFGR1, 0, 1);
    expect(h.events()).toEqual(['@200 cpu1 irq-raise intid=23 target=1']);
  });

  it('split EOI mode: the priority drop and the deactivation are two irq-eoi events', () => {
    const h = makeHarness(1);
    linuxBoot(h);
    h.sw(0, ICC_CTLR_EL1, 2); // EOImode = 1
    setupSpi(h, 44, { edge: true });
    h.gic.setSpiLevel(44, true);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(44n);
    h.sw(0, ICC_EOIR1_EL1, 44);
    h.sw(0, ICC_DIR_EL1, 44);
    h.sw(0, ICC_EOIR1_EL1, 1023); // special INTID: ignored
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(1023n); // spurious: no ack event
    expect(h.events()).toEqual([
      '@0 cpu- irq-raise intid=44 target=0',
      '@0 cpu0 irq-ack intid=44 target=0',
      '@0 cpu0 irq-eoi intid=44 target=0',
      '@0 cpu0 irq-eoi intid=44 target=0 dir',
    ]);
  });

  it('ICV acknowledge / EOI / DIR are marked virt; the maintenance interrupt is raised by its PE', () => {
    const h = makeHarness(2);
    linuxBoot(h);
    const lr = (vintid: number, hw = 0, pintid = 0): bigint =>
      BigInt(vintid) | (BigInt(pintid) << 32n) | (0xa0n << 48n) | (1n << 60n) | (BigInt(hw) << 61n) | (1n << 62n);
    const hv = (key: number, v: bigint | number): number => h.cpus.atEl(1, 2, () => h.sw(1, key, v));
    h.sgiw(1, GICR_ISENABLER0, 1 << 25, 1);
    h.cpus.hcr[1] = (1n << 4n) | (1n << 3n); // IMO | FMO
    hv(ICH_HCR_EL2, 1 | (1 << 1)); // En | UIE
    hv(ICH_VMCR_EL2, 2 | (0xf8 << 24)); // VENG1, VPMR
    hv(ICH_LR_EL2(0), lr(70));
    hv(ICH_LR_EL2(1), lr(71));
    h.events();
    h.cpus.ticks[1] = 300;
    expect(h.signal(1) & LINE_VIRQ).toBe(LINE_VIRQ);
    expect(h.sr(1, ICC_IAR1_EL1)[1]).toBe(70n);
    h.sw(1, ICC_EOIR1_EL1, 70); // underflow: maintenance PPI 25 rises
    expect(h.events()).toEqual([
      '@300 cpu1 irq-ack intid=70 target=1 virt',
      '@300 cpu1 irq-eoi intid=70 target=1 virt',
      '@300 cpu1 irq-raise intid=25 target=1',
    ]);
    // Re-evaluations with the maintenance condition unchanged: no new raise.
    for (let i = 0; i < 10; i++) h.gic.affinityChanged();
    hv(ICH_LR_EL2(2), 0n);
    expect(h.events()).toEqual([]);
    // Split virtual EOI mode.
    hv(ICH_VMCR_EL2, 2 | (1 << 9) | (0xf8 << 24));
    expect(h.sr(1, ICC_IAR1_EL1)[1]).toBe(71n);
    h.sw(1, ICC_EOIR1_EL1, 71);
    h.sw(1, ICC_DIR_EL1, 71);
    expect(h.events()).toEqual([
      '@300 cpu1 irq-ack intid=71 target=1 virt',
      '@300 cpu1 irq-eoi intid=71 target=1 virt',
      '@300 cpu1 irq-eoi intid=71 target=1 virt dir',
    ]);
  });

  it('loadState reports nothing; without a trace option nothing is reported', () => {
    const h = makeHarness(2);
    linuxBoot(h);
    setupSpi(h, 33, { target: 1 });
    const st = h.gic.getState();
    h.gic.setSpiLevel(33, true);
    const later = h.gic.getState();
    h.events();
    h.gic.loadState(st);
    h.gic.loadState(later);
    h.gic.loadState(st);
    expect(h.events()).toEqual([]);
    const before = h.trace.count;
    const untraced = new Gicv3({ numCpus: 2, cpus: h.cpus, pins: () => {} });
    untraced.loadState(later);
    untraced.setSpiLevel(34, true);
    expect(untraced.read(1, ICC_IAR1_EL1, { value: 0n })).toBe(HOST_OK);
    expect(h.trace.count).toBe(before);
  });

  it('the same interrupt activity gives the same events and digest', () => {
    const run = (): string => {
      const h = makeHarness(2);
      const all: TraceEvent[] = [];
      h.trace.subscribe((e) => all.push(e));
      linuxBoot(h);
      setupSpi(h, 33, { target: 1 });
      h.sgiw(0, GICR_ISENABLER0, 0xffff, 0);
      for (let i = 0; i < 20; i++) {
        h.cpus.ticks = [i * 10, i * 10 + 5];
        h.gic.setSpiLevel(33, i % 3 !== 0);
        h.sw(1, ICC_SGI1R_EL1, (BigInt(i & 15) << 24n) | 1n);
        const id = h.sr(0, ICC_IAR1_EL1)[1];
        if (id < 1020n) h.sw(0, ICC_EOIR1_EL1, id);
        const id1 = h.sr(1, ICC_IAR1_EL1)[1];
        if (id1 < 1020n) h.sw(1, ICC_EOIR1_EL1, id1);
      }
      const d = h.trace.digest();
      expect(traceDigest(all)).toBe(d);
      expect(all.filter((e) => e.kind === 'irq-ack').length).toBeGreaterThan(20);
      return `${h.trace.count}/${d}/${all.map(eventText).join('|')}`;
    };
    expect(run()).toBe(run());
  });
});

import { describe, expect, it } from 'vitest';
import { HOST_OK, HOST_TRAP_EL2, HOST_TRAP_EL3, HOST_UNDEF, LINE_FIQ, LINE_G1NS, LINE_G1S, LINE_IRQ } from '../../cpu/cpu.js';
import { makeHarness, type Harness } from './testHarness.js';
import {
  GICD_CTLR,
  GICD_CTLR_EnableGrp0,
  GICD_CTLR_EnableGrp1NS,
  GICD_CTLR_EnableGrp1S,
  GICD_ICENABLER,
  GICD_ICFGR,
  GICD_ICPENDR,
  GICD_IGROUPR,
  GICD_IGRPMODR,
  GICD_IIDR,
  GICD_IPRIORITYR,
  GICD_IROUTER,
  GICD_ISACTIVER,
  GICD_ISENABLER,
  GICD_ISPENDR,
  GICD_PIDR2,
  GICD_TYPER,
  GICR_ICFGR0,
  GICR_IGROUPR0,
  GICR_IPRIORITYR,
  GICR_ISACTIVER0,
  GICR_ISENABLER0,
  GICR_ISPENDR0,
  GICR_PIDR2,
  GICR_TYPER,
  GICR_TYPER_HI,
  GICR_WAKER,
  ICC_AP0R0_EL1,
  ICC_AP1R0_EL1,
  ICC_BPR1_EL1,
  ICC_CTLR_EL1,
  ICC_CTLR_EL3,
  ICC_DIR_EL1,
  ICC_EOIR0_EL1,
  ICC_EOIR1_EL1,
  ICC_HPPIR1_EL1,
  ICC_IAR0_EL1,
  ICC_IAR1_EL1,
  ICC_IGRPEN0_EL1,
  ICC_IGRPEN1_EL1,
  ICC_PMR_EL1,
  ICC_RPR_EL1,
  ICC_SGI0R_EL1,
  ICC_SGI1R_EL1,
  ICC_SRE_EL1,
  ICC_SRE_EL2,
  ICH_HCR_EL2,
} from './registers.js';

const ALL_GROUPS = GICD_CTLR_EnableGrp0 | GICD_CTLR_EnableGrp1NS | GICD_CTLR_EnableGrp1S;

/** What TF-A and Linux do: everything Non-secure Group 1, redistributors
 *  awake, groups enabled; each CPU (NS EL1) opens PMR and enables Group 1. */
function linuxBoot(h: Harness): void {
  h.dw(GICD_CTLR, ALL_GROUPS);
  const words = h.gic.numIntids / 32;
  for (let n = 1; n < words; n++) h.dw(GICD_IGROUPR + 4 * n, 0xffffffff);
  for (let c = 0; c < h.gic.numCpus; c++) {
    h.rdw(c, GICR_WAKER, 0);
    h.sgiw(c, GICR_IGROUPR0, 0xffffffff);
    h.cpus.atEl3(c, () => h.sw(c, ICC_PMR_EL1, 0xff)); // TF-A: idle priority in PMR
    expect(h.sw(c, ICC_PMR_EL1, 0xf0)).toBe(HOST_OK);
    expect(h.sw(c, ICC_IGRPEN1_EL1, 1)).toBe(HOST_OK);
  }
}

/** Linux-style SPI setup from NS CPU 0: priority (NS view), route, enable. */
function setupSpi(h: Harness, id: number, opts: { prio?: number; target?: number; edge?: boolean } = {}): void {
  h.gic.distributor.write(GICD_IPRIORITYR + id, 1, opts.prio ?? 0xa0, 0);
  h.dw(GICD_IROUTER + 8 * id, opts.target ?? 0, 0);
  h.dw(GICD_IROUTER + 8 * id + 4, 0, 0);
  if (opts.edge) {
    const reg = GICD_ICFGR + 4 * (id >>> 4);
    h.dw(reg, h.dr(reg, 0) | (2 << (2 * (id & 15))), 0);
  }
  h.dw(GICD_ISENABLER + 4 * (id >>> 5), 1 << (id & 31), 0);
}

function bit(h: Harness, base: number, id: number, cpu = -1): boolean {
  return ((h.dr(base + 4 * (id >>> 5), cpu) >>> (id & 31)) & 1) === 1;
}

describe('GICv3 identification registers', () => {
  it('GICD_TYPER, IIDR, PIDR2 and GICR_TYPER/PIDR2 describe the implementation', () => {
    const h = makeHarness(4);
    h.cpus.mpidr[3] = 0x80000000n | (2n << 32n) | (1n << 16n) | (5n << 8n) | 3n;
    h.gic.affinityChanged();
    const typer = h.dr(GICD_TYPER);
    expect(typer & 0x1f).toBe(8); // 288 INTIDs
    expect((typer >>> 5) & 7).toBe(3);
    expect((typer >>> 10) & 1).toBe(1); // SecurityExtn
    expect((typer >>> 17) & 1).toBe(0); // LPIS
    expect((typer >>> 19) & 0x1f).toBe(15);
    expect(h.dr(GICD_IIDR) & 0xfff).toBe(0x43b);
    expect((h.dr(GICD_PIDR2) >>> 4) & 0xf).toBe(3);
    for (let c = 0; c < 4; c++) {
      expect((h.rdr(c, GICR_PIDR2) >>> 4) & 0xf).toBe(3);
      const lo = h.rdr(c, GICR_TYPER);
      expect((lo >>> 8) & 0xffff).toBe(c);
      expect((lo >>> 4) & 1).toBe(c === 3 ? 1 : 0);
      expect(lo & 1).toBe(0); // PLPIS
    }
    expect(h.rdr(1, GICR_TYPER_HI)).toBe(1);
    expect(h.rdr(3, GICR_TYPER_HI) >>> 0).toBe(((2 << 24) | (1 << 16) | (5 << 8) | 3) >>> 0);
    // A 64-bit read split by the bus into two words
    expect(h.gic.redistributors.read(3 * 0x20000 + 0xc, 4, -1)).toBe(h.rdr(3, GICR_TYPER_HI));
  });

  it('GICD_TYPER.ITLinesNumber follows numIntids; SecurityExtn is 0 with DS=1', () => {
    const h = makeHarness(1, { numIntids: 256, disableSecurity: true });
    expect(h.dr(GICD_TYPER) & 0x1f).toBe(7);
    expect((h.dr(GICD_TYPER) >>> 10) & 1).toBe(0);
    expect(h.dr(GICD_CTLR) & 0x50).toBe(0x50); // ARE, DS
  });

  it('reserved offsets read as zero and ignore writes', () => {
    const h = makeHarness(1);
    h.dw(0x5000, 0xffffffff);
    expect(h.dr(0x5000)).toBe(0);
    h.rdw(0, 0x4000, 0xffffffff);
    expect(h.rdr(0, 0x4000)).toBe(0);
  });
});

describe('GICD_CTLR and security views', () => {
  it('Secure view has the three group enables; NS view shows EnableGrp1A and ARE_NS', () => {
    const h = makeHarness(1);
    h.dw(GICD_CTLR, ALL_GROUPS);
    expect(h.dr(GICD_CTLR) & 0xff).toBe(ALL_GROUPS | 0x30);
    expect(h.dr(GICD_CTLR, 0)).toBe(0x12);
    h.dw(GICD_CTLR, 0, 0); // NS write clears only EnableGrp1NS
    expect(h.dr(GICD_CTLR) & 7).toBe(GICD_CTLR_EnableGrp0 | GICD_CTLR_EnableGrp1S);
    expect(h.dr(GICD_CTLR) >>> 31).toBe(0); // RWP
  });

  it('Secure interrupts are RAZ/WI to Non-secure accesses; priorities use the NS view', () => {
    const h = makeHarness(1);
    h.dw(GICD_IGROUPR + 4, 0x1); // INTID 32 NS Group 1, 33 Group 0
    h.dw(GICD_IGROUPR + 4, 0xffffffff, 0); // NS write ignored
    expect(h.dr(GICD_IGROUPR + 4)).toBe(1);
    expect(h.dr(GICD_IGROUPR + 4, 0)).toBe(0);
    h.dw(GICD_ISENABLER + 4, 0x3, 0);
    expect(h.dr(GICD_ISENABLER + 4)).toBe(1);
    h.gic.distributor.write(GICD_IPRIORITYR + 32, 1, 0xa0, 0);
    h.gic.distributor.write(GICD_IPRIORITYR + 33, 1, 0xa0, 0);
    expect(h.gic.distributor.read(GICD_IPRIORITYR + 32, 1, -1)).toBe(0xd0);
    expect(h.gic.distributor.read(GICD_IPRIORITYR + 32, 1, 0)).toBe(0xa0);
    expect(h.gic.distributor.read(GICD_IPRIORITYR + 33, 1, -1)).toBe(0);
    // Secure write with the low 3 bits: RAZ/WI (5 priority bits)
    h.gic.distributor.write(GICD_IPRIORITYR + 33, 1, 0x47, -1);
    expect(h.dr(GICD_IPRIORITYR + 32)).toBe(0x40d0);
  });

  it('IGRPMODR selects Secure Group 1; NS cannot see it', () => {
    const h = makeHarness(1);
    h.dw(GICD_IGRPMODR + 4, 0x4);
    expect(h.dr(GICD_IGRPMODR + 4)).toBe(4);
    expect(h.dr(GICD_IGRPMODR + 4, 0)).toBe(0);
  });
});

describe('configuration registers', () => {
  it('GICD_ICFGR, ISACTIVER/ICACTIVER and GICR_ICFGR1 read back; SGI/PPI words of the Distributor are RAZ/WI', () => {
    const h = makeHarness(1, { irqResetNonSecure: true });
    expect(h.dr(GICD_IGROUPR + 4)).toBe(0xffffffff);
    expect(h.rdr(0, GICR_WAKER)).toBe(0);
    h.dw(GICD_ICFGR + 8, 0xaaaaaaaa, 0);
    expect(h.dr(GICD_ICFGR + 8, 0)).toBe(0xaaaaaaaa);
    h.dw(GICD_ICFGR + 8, 0xffffffff, 0);
    expect(h.dr(GICD_ICFGR + 8, 0)).toBe(0xaaaaaaaa); // bit 0 of each field is RES0
    h.dw(GICD_ICFGR, 0xaaaaaaaa, 0); // INTIDs 0..15: RAZ/WI with ARE
    expect(h.dr(GICD_ICFGR)).toBe(0);
    h.dw(GICD_ISENABLER, 0xffffffff);
    expect(h.dr(GICD_ISENABLER)).toBe(0);
    h.dw(0xc00 + 4 * 4, 0x8, 0); // GICD_ICFGR4: INTID 65 edge
    h.dw(0x300 + 8, 0x3, 0); // GICD_ISACTIVER2
    expect(h.dr(0x300 + 8)).toBe(3);
    h.dw(0x380 + 8, 0x1, 0); // GICD_ICACTIVER2
    expect(h.dr(0x380 + 8)).toBe(2);
    h.sgiw(0, 0xc04, 0x8, 0); // GICR_ICFGR1: PPI 17 edge
    expect(h.sgir(0, 0xc04, 0)).toBe(0x8);
    h.gic.setPpiLevel(0, 17, true);
    h.gic.setPpiLevel(0, 17, false);
    expect((h.sgir(0, GICR_ISPENDR0) >>> 17) & 1).toBe(1); // latched
    // Byte reads of word registers return the addressed byte
    expect(h.gic.distributor.read(GICD_ICFGR + 8 + 1, 1, 0)).toBe(0xaa);
  });
});

describe('GICR_WAKER', () => {
  it('ProcessorSleep/ChildrenAsleep handshake, Secure only', () => {
    const h = makeHarness(2);
    expect(h.rdr(1, GICR_WAKER)).toBe(6);
    h.rdw(1, GICR_WAKER, 0, 0); // Non-secure: WI
    expect(h.rdr(1, GICR_WAKER)).toBe(6);
    expect(h.rdr(1, GICR_WAKER, 0)).toBe(0); // RAZ to Non-secure
    h.rdw(1, GICR_WAKER, 0);
    expect(h.rdr(1, GICR_WAKER)).toBe(0);
    h.rdw(1, GICR_WAKER, 2);
    expect(h.rdr(1, GICR_WAKER)).toBe(6);
    expect(h.rdr(0, GICR_WAKER)).toBe(6);
  });
});

describe('SPI delivery', () => {
  it('ICC_IAR1_EL1 returns 1023 when nothing is pending', () => {
    const h = makeHarness(2);
    linuxBoot(h);
    expect(h.sr(0, ICC_IAR1_EL1)).toEqual([HOST_OK, 1023n]);
    expect(h.sr(0, ICC_HPPIR1_EL1)).toEqual([HOST_OK, 1023n]);
  });

  it('routes an edge SPI to the PE named by GICD_IROUTER and runs it through IAR/EOI', () => {
    const h = makeHarness(4);
    linuxBoot(h);
    setupSpi(h, 48, { target: 2, edge: true });
    h.gic.setSpiLevel(48, true);
    expect(h.signals()).toEqual([0, 0, LINE_IRQ, 0]);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(1023n); // not routed to CPU 0
    expect(h.sr(2, ICC_HPPIR1_EL1)[1]).toBe(48n);
    expect(h.sr(2, ICC_IAR1_EL1)[1]).toBe(48n);
    expect(h.signal(2)).toBe(0);
    expect(bit(h, GICD_ISACTIVER, 48)).toBe(true);
    expect(bit(h, GICD_ISPENDR, 48)).toBe(false);
    expect(h.sr(2, ICC_RPR_EL1)[1]).toBe(0xa0n); // NS view of 0xd0
    h.sw(2, ICC_EOIR1_EL1, 48);
    expect(bit(h, GICD_ISACTIVER, 48)).toBe(false);
    expect(h.sr(2, ICC_RPR_EL1)[1]).toBe(0xffn);
    // the falling edge does nothing, a new rising edge fires again
    h.gic.setSpiLevel(48, false);
    expect(h.signal(2)).toBe(0);
    h.gic.setSpiLevel(48, true);
    expect(h.signal(2)).toBe(LINE_IRQ);
    expect(h.events().filter((e) => e.includes(' irq-'))).toEqual([
      '@0 cpu- irq-raise intid=48 target=2',
      '@0 cpu2 irq-ack intid=48 target=2',
      '@0 cpu2 irq-eoi intid=48 target=2',
      '@0 cpu- irq-raise intid=48 target=2',
    ]);
  });

  it('re-routing a pending SPI through the two IROUTER halves moves the line', () => {
    const h = makeHarness(4);
    h.cpus.mpidr[3] = 0x80000000n | (1n << 32n) | 7n; // Aff3 = 1, Aff0 = 7
    linuxBoot(h);
    setupSpi(h, 40, { target: 0 });
    h.gic.setSpiLevel(40, true);
    expect(h.signals()).toEqual([LINE_IRQ, 0, 0, 0]);
    h.dw(GICD_IROUTER + 8 * 40, 7, 0); // low half first: Aff0 = 7, Aff3 still 0: nobody
    expect(h.signals()).toEqual([0, 0, 0, 0]);
    h.dw(GICD_IROUTER + 8 * 40 + 4, 1, 0); // high half: Aff3 = 1
    expect(h.signals()).toEqual([0, 0, 0, LINE_IRQ]);
    expect(h.dr(GICD_IROUTER + 8 * 40)).toBe(7);
    expect(h.dr(GICD_IROUTER + 8 * 40 + 4)).toBe(1);
  });

  it('IRM = 1 delivers to the lowest-numbered eligible PE', () => {
    const h = makeHarness(3);
    linuxBoot(h);
    setupSpi(h, 50);
    h.sw(0, ICC_IGRPEN1_EL1, 0);
    h.dw(GICD_IROUTER + 8 * 50, 0x80000000, 0);
    h.gic.setSpiLevel(50, true);
    expect(h.signals()).toEqual([0, LINE_IRQ, 0]);
    h.sw(0, ICC_IGRPEN1_EL1, 1);
    expect(h.signals()).toEqual([LINE_IRQ, 0, 0]);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(50n);
    expect(h.signals()).toEqual([0, 0, 0]);
  });

  it('level-sensitive pending follows the line; acknowledging leaves it active and pending', () => {
    const h = makeHarness(1);
    linuxBoot(h);
    setupSpi(h, 33);
    h.gic.setSpiLevel(33, true);
    expect(h.signal(0)).toBe(LINE_IRQ);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(33n);
    expect(bit(h, GICD_ISPENDR, 33)).toBe(true);
    expect(bit(h, GICD_ISACTIVER, 33)).toBe(true);
    expect(h.signal(0)).toBe(0);
    h.sw(0, ICC_EOIR1_EL1, 33);
    expect(h.signal(0)).toBe(LINE_IRQ); // still asserted
    h.gic.setSpiLevel(33, false);
    expect(h.signal(0)).toBe(0);
    expect(bit(h, GICD_ISPENDR, 33)).toBe(false);
    // ICPENDR does not clear a level interrupt whose line is high
    h.gic.setSpiLevel(33, true);
    h.dw(GICD_ICPENDR + 4, 1 << 1, 0);
    expect(bit(h, GICD_ISPENDR, 33)).toBe(true);
    // ISPENDR latches a level interrupt until cleared
    h.gic.setSpiLevel(33, false);
    h.dw(GICD_ISPENDR + 4, 1 << 1, 0);
    expect(h.signal(0)).toBe(LINE_IRQ);
    h.dw(GICD_ICPENDR + 4, 1 << 1, 0);
    expect(h.signal(0)).toBe(0);
    // Events: one raise per transition to pending (line rise, line rise,
    // ISPENDR while the line is low), none for the re-evaluations between.
    expect(h.events().filter((e) => e.includes(' irq-'))).toEqual([
      '@0 cpu- irq-raise intid=33 target=0',
      '@0 cpu0 irq-ack intid=33 target=0',
      '@0 cpu0 irq-eoi intid=33 target=0',
      '@0 cpu- irq-raise intid=33 target=0',
      '@0 cpu0 irq-raise intid=33 target=0',
    ]);
  });

  it('an edge interrupt re-triggered while active becomes active and pending', () => {
    const h = makeHarness(1);
    linuxBoot(h);
    setupSpi(h, 34, { edge: true });
    h.gic.setSpiLevel(34, true);
    h.gic.setSpiLevel(34, false);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(34n);
    h.gic.setSpiLevel(34, true);
    expect(bit(h, GICD_ISPENDR, 34)).toBe(true);
    expect(h.signal(0)).toBe(0); // active: not a candidate
    h.sw(0, ICC_EOIR1_EL1, 34);
    expect(h.signal(0)).toBe(LINE_IRQ);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(34n);
    expect(bit(h, GICD_ISPENDR, 34)).toBe(false);
  });

  it('ICENABLER disables delivery; pins is called only on change', () => {
    const h = makeHarness(2);
    linuxBoot(h);
    setupSpi(h, 35);
    h.calls.length = 0;
    h.gic.setSpiLevel(35, true);
    h.gic.setSpiLevel(35, true);
    h.dw(GICD_ISENABLER + 4, 1 << 3, 0);
    expect(h.calls).toEqual([[0, LINE_G1NS]]);
    h.dw(GICD_ICENABLER + 4, 1 << 3, 0);
    expect(h.calls).toEqual([
      [0, LINE_G1NS],
      [0, 0],
    ]);
    expect(bit(h, GICD_ISENABLER, 35)).toBe(false);
  });
});

describe('priority, preemption and EOI', () => {
  it('ICC_PMR_EL1 masks interrupts at or below the mask', () => {
    const h = makeHarness(1);
    linuxBoot(h);
    setupSpi(h, 36, { prio: 0xa0 }); // stored 0xd0
    h.sw(0, ICC_PMR_EL1, 0xa0); // stored 0xd0: equal priority is masked
    h.gic.setSpiLevel(36, true);
    expect(h.signal(0)).toBe(0);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(1023n);
    expect(h.sr(0, ICC_PMR_EL1)[1]).toBe(0xa0n);
    h.sw(0, ICC_PMR_EL1, 0xb0);
    expect(h.signal(0)).toBe(LINE_IRQ);
  });

  it('a higher priority interrupt preempts an active one; same priority does not', () => {
    const h = makeHarness(1);
    linuxBoot(h);
    setupSpi(h, 40, { prio: 0xa0 });
    setupSpi(h, 41, { prio: 0x80 });
    setupSpi(h, 42, { prio: 0xa0 });
    h.gic.setSpiLevel(40, true);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(40n);
    h.gic.setSpiLevel(42, true); // same priority: no preemption
    expect(h.signal(0)).toBe(0);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(1023n);
    h.gic.setSpiLevel(41, true); // higher priority: preempts
    expect(h.signal(0)).toBe(LINE_IRQ);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(41n);
    expect(h.sr(0, ICC_RPR_EL1)[1]).toBe(0x80n);
    expect(h.sr(0, ICC_AP1R0_EL1)[1]).toBe(BigInt((1 << (0xc0 >> 3)) | (1 << (0xd0 >> 3))));
    h.gic.setSpiLevel(41, false);
    h.sw(0, ICC_EOIR1_EL1, 41);
    expect(h.sr(0, ICC_RPR_EL1)[1]).toBe(0xa0n);
    expect(h.signal(0)).toBe(0);
    h.gic.setSpiLevel(40, false);
    h.sw(0, ICC_EOIR1_EL1, 40);
    expect(h.signal(0)).toBe(LINE_IRQ);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(42n);
  });

  it('the binary point groups priorities: a sub-priority difference does not preempt', () => {
    const h = makeHarness(1);
    linuxBoot(h);
    setupSpi(h, 40, { prio: 0xb0 }); // stored 0xd8
    setupSpi(h, 41, { prio: 0xa0 }); // stored 0xd0
    h.sw(0, ICC_BPR1_EL1, 5); // group priority [7:5]: 0xd8 and 0xd0 share 0xc0
    expect(h.sr(0, ICC_BPR1_EL1)[1]).toBe(5n);
    h.gic.setSpiLevel(40, true);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(40n);
    h.gic.setSpiLevel(41, true);
    expect(h.signal(0)).toBe(0);
    h.sw(0, ICC_BPR1_EL1, 3);
    expect(h.signal(0)).toBe(0); // running priority was recorded with the old grouping (0xc0)
    h.sw(0, ICC_BPR1_EL1, 0); // below the minimum: clamps to 3
    expect(h.sr(0, ICC_BPR1_EL1)[1]).toBe(3n);
  });

  it('EOImode = 1 splits priority drop (EOIR) from deactivation (DIR)', () => {
    const h = makeHarness(1);
    linuxBoot(h);
    h.sw(0, ICC_CTLR_EL1, 2);
    expect(Number(h.sr(0, ICC_CTLR_EL1)[1]) & 2).toBe(2);
    expect((Number(h.sr(0, ICC_CTLR_EL1)[1]) >>> 8) & 7).toBe(4); // PRIbits
    setupSpi(h, 44, { edge: true });
    h.gic.setSpiLevel(44, true);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(44n);
    h.sw(0, ICC_EOIR1_EL1, 44);
    expect(h.sr(0, ICC_RPR_EL1)[1]).toBe(0xffn);
    expect(bit(h, GICD_ISACTIVER, 44)).toBe(true);
    h.gic.setSpiLevel(44, false);
    h.gic.setSpiLevel(44, true);
    expect(h.signal(0)).toBe(0); // still active
    h.sw(0, ICC_DIR_EL1, 44);
    expect(bit(h, GICD_ISACTIVER, 44)).toBe(false);
    expect(h.signal(0)).toBe(LINE_IRQ);
  });

  it('ICC_DIR_EL1 is ignored with EOImode = 0, and EOIR of a special INTID is ignored', () => {
    const h = makeHarness(1);
    linuxBoot(h);
    setupSpi(h, 45);
    h.gic.setSpiLevel(45, true);
    h.sr(0, ICC_IAR1_EL1);
    h.sw(0, ICC_DIR_EL1, 45);
    expect(bit(h, GICD_ISACTIVER, 45)).toBe(true);
    h.sw(0, ICC_EOIR1_EL1, 1023);
    expect(h.sr(0, ICC_RPR_EL1)[1]).toBe(0xa0n);
  });
});

describe('group enables and signal selection', () => {
  it('GICD_CTLR.EnableGrp1NS and ICC_IGRPEN1_EL1 gate Group 1', () => {
    const h = makeHarness(1);
    linuxBoot(h);
    setupSpi(h, 40);
    h.gic.setSpiLevel(40, true);
    expect(h.signal(0)).toBe(LINE_IRQ);
    h.sw(0, ICC_IGRPEN1_EL1, 0);
    expect(h.signal(0)).toBe(0);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(1023n);
    h.sw(0, ICC_IGRPEN1_EL1, 1);
    expect(h.signal(0)).toBe(LINE_IRQ);
    h.dw(GICD_CTLR, 0, 0);
    expect(h.signal(0)).toBe(0);
    h.dw(GICD_CTLR, 2, 0);
    expect(h.signal(0)).toBe(LINE_IRQ);
  });

  it('Group 0 is FIQ and acknowledged through IAR0 in Secure state; Secure Group 1 is FIQ to NS', () => {
    const h = makeHarness(1);
    h.cpus.scr[0] = 0n; // Secure EL1
    h.cpus.ns[0] = false;
    h.dw(GICD_CTLR, ALL_GROUPS);
    h.rdw(0, GICR_WAKER, 0);
    h.dw(GICD_ISENABLER + 4, 0x3);
    h.dw(GICD_IGRPMODR + 4, 0x2); // 32: Group 0, 33: Secure Group 1
    h.dw(GICD_IPRIORITYR + 32, 0x4040);
    h.sw(0, ICC_PMR_EL1, 0xff);
    h.sw(0, ICC_IGRPEN0_EL1, 1);
    h.sw(0, ICC_IGRPEN1_EL1, 1); // Secure copy
    h.gic.setSpiLevel(33, true);
    expect(h.lines[0]).toBe(LINE_G1S); // signalled by group: the PE decides
    expect(h.signal(0)).toBe(LINE_IRQ); // Secure Group 1 in Secure state
    h.cpus.ns[0] = true;
    h.cpus.scr[0] = 1n;
    expect(h.signal(0)).toBe(LINE_FIQ); // ... and FIQ in Non-secure state
    expect(h.cpus.atEl3(0, () => h.signal(0))).toBe(LINE_FIQ); // ... and at EL3
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(1023n); // not visible to Non-secure
    h.cpus.ns[0] = false;
    h.cpus.scr[0] = 0n;
    h.gic.setSpiLevel(32, true);
    expect(h.signal(0)).toBe(LINE_FIQ);
    expect(h.sr(0, ICC_IAR0_EL1)[1]).toBe(32n);
    expect(h.sr(0, ICC_AP0R0_EL1)[1]).toBe(BigInt(1 << 8));
    h.gic.setSpiLevel(32, false);
    h.sw(0, ICC_EOIR0_EL1, 32);
    expect(h.sr(0, ICC_AP0R0_EL1)[1]).toBe(0n);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(33n);
  });

  it('IAR0 at EL3 reports a pending Group 1 interrupt as 1020 / 1021', () => {
    const h = makeHarness(1);
    linuxBoot(h);
    setupSpi(h, 40);
    h.gic.setSpiLevel(40, true);
    h.cpus.atEl3(0, () => {
      h.sw(0, ICC_PMR_EL1, 0xff);
      expect(h.sr(0, ICC_IAR0_EL1)[1]).toBe(1021n);
      expect(h.sr(0, ICC_CTLR_EL3)[0]).toBe(HOST_OK);
    });
    expect(bit(h, GICD_ISACTIVER, 40)).toBe(false);
    expect(h.sr(0, ICC_CTLR_EL3)[0]).toBe(HOST_UNDEF);
  });

  it('with DS = 1 Group 1 is IRQ and Group 0 is FIQ regardless of Security state', () => {
    const h = makeHarness(1, { disableSecurity: true });
    h.cpus.scr[0] = 1n; // FIQs stay below EL3: Group 0 registers do not trap
    h.dw(GICD_CTLR, 3, 0);
    h.dw(GICD_IGROUPR + 4, 1, 0);
    h.dw(GICD_ISENABLER + 4, 3, 0);
    h.dw(GICD_IPRIORITYR + 32, 0x8080, 0);
    h.sw(0, ICC_PMR_EL1, 0xff);
    h.sw(0, ICC_IGRPEN1_EL1, 1);
    h.sw(0, ICC_IGRPEN0_EL1, 1);
    h.gic.setSpiLevel(32, true);
    expect(h.signal(0)).toBe(LINE_IRQ);
    h.gic.setSpiLevel(33, true); // same priority, higher INTID: INTID 32 wins
    expect(h.signal(0)).toBe(LINE_IRQ);
    h.gic.setSpiLevel(32, false);
    expect(h.signal(0)).toBe(LINE_FIQ);
  });
});

describe('SGIs and PPIs', () => {
  it('ICC_SGI1R_EL1 TargetList/Aff1 select targets; IRM = 1 targets all but self', () => {
    const h = makeHarness(4);
    // two clusters: CPUs 2, 3 are Aff1 = 1, Aff0 = 0, 1
    h.cpus.mpidr[2] = 0x80000000n | (1n << 8n);
    h.cpus.mpidr[3] = 0x80000000n | (1n << 8n) | 1n;
    linuxBoot(h);
    for (let c = 0; c < 4; c++) h.sgiw(c, GICR_ISENABLER0, 0xffff, 0);
    h.sw(0, ICC_SGI1R_EL1, (3n << 24n) | (1n << 16n) | 0b10n); // SGI 3 → Aff1 = 1, Aff0 = 1 (CPU 3)
    expect(h.signals()).toEqual([0, 0, 0, LINE_IRQ]);
    h.sw(0, ICC_SGI1R_EL1, (5n << 24n) | 0b11n); // SGI 5 → Aff1 = 0, Aff0 0, 1 (CPUs 0, 1)
    expect(h.signals()).toEqual([LINE_IRQ, LINE_IRQ, 0, LINE_IRQ]);
    expect(h.sr(3, ICC_IAR1_EL1)[1]).toBe(3n);
    expect(h.sr(1, ICC_IAR1_EL1)[1]).toBe(5n);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(5n);
    h.sw(2, ICC_SGI1R_EL1, (1n << 40n) | (7n << 24n)); // IRM: everyone but CPU 2
    expect(h.signals()).toEqual([0, 0, 0, 0]); // all targets are running an SGI of the same priority
    expect(((h.sgir(0, GICR_ISPENDR0) >>> 7) & 1)).toBe(1);
    expect(((h.sgir(3, GICR_ISPENDR0) >>> 7) & 1)).toBe(1);
    expect(((h.sgir(2, GICR_ISPENDR0) >>> 7) & 1)).toBe(0);
    h.sw(3, ICC_EOIR1_EL1, 3);
    expect(h.sr(3, ICC_IAR1_EL1)[1]).toBe(7n);
  });

  it('SGIs are edge-triggered (GICR_ICFGR0 is read-only) and a NS SGI does not hit a Group 0 SGI', () => {
    const h = makeHarness(2);
    linuxBoot(h);
    h.sgiw(1, GICR_ICFGR0, 0);
    expect(h.sgir(1, GICR_ICFGR0)).toBe(0xaaaaaaaa);
    h.sgiw(1, GICR_IGROUPR0, 0xfffffffe); // SGI 0 Group 0
    h.sgiw(1, GICR_ISENABLER0, 1);
    h.sw(0, ICC_SGI1R_EL1, 0b10n); // SGI 0 (Non-secure Group 1 request) → CPU 1
    expect(h.sgir(1, GICR_ISPENDR0) & 1).toBe(0);
    h.sw(0, ICC_SGI0R_EL1, 0b10n); // Group 0 SGI from Non-secure (NSACR = 0): dropped
    expect(h.sgir(1, GICR_ISPENDR0) & 1).toBe(0);
    h.sgiw(1, 0xe00, 0x1); // GICR_NSACR: NS may raise Group 0 SGI 0
    expect(h.sgir(1, 0xe00, 0)).toBe(0); // Secure-only register
    h.cpus.scr[0] = 7n; // SCR_EL3.IRQ and FIQ: the SGI registers trap to EL3
    expect(h.sw(0, ICC_SGI0R_EL1, 0b10n)).toBe(HOST_TRAP_EL3);
    expect(h.sgir(1, GICR_ISPENDR0) & 1).toBe(0);
    h.cpus.scr[0] = 5n; // SCR_EL3.FIQ alone does not trap them
    expect(h.sw(0, ICC_SGI0R_EL1, 0b10n)).toBe(HOST_OK);
    expect(h.sgir(1, GICR_ISPENDR0) & 1).toBe(1);
    h.sgiw(1, 0x280, 1); // GICR_ICPENDR0 (Secure)
    h.sgiw(1, 0xe00, 0);
    h.cpus.atEl3(0, () => h.sw(0, ICC_SGI0R_EL1, 0b10n));
    expect(h.sgir(1, GICR_ISPENDR0) & 1).toBe(1);
  });

  it('PPIs: level and edge, per-PE, priorities through GICR_IPRIORITYR', () => {
    const h = makeHarness(2);
    linuxBoot(h);
    h.gic.redistributors.write(0x20000 + 0x10000 + GICR_IPRIORITYR + 27, 1, 0x90, 0);
    expect(h.gic.redistributors.read(0x20000 + 0x10000 + GICR_IPRIORITYR + 27, 1, 0)).toBe(0x90);
    h.sgiw(1, GICR_ISENABLER0, 1 << 27, 0);
    h.gic.setPpiLevel(1, 27, true);
    expect(h.signals()).toEqual([0, LINE_IRQ]);
    h.gic.setPpiLevel(0, 27, true); // not enabled on CPU 0
    expect(h.signals()).toEqual([0, LINE_IRQ]);
    expect(h.sr(1, ICC_IAR1_EL1)[1]).toBe(27n);
    expect(h.sgir(1, GICR_ISACTIVER0) >>> 27).toBe(1);
    h.gic.setPpiLevel(1, 27, false);
    h.sw(1, ICC_EOIR1_EL1, 27);
    expect(h.sgir(1, GICR_ISACTIVER0)).toBe(0);
    expect(h.signals()).toEqual([0, 0]);
  });
});

describe('system register access rules', () => {
  it('EL0 and wrong-direction accesses are UNDEFINED; AP<n>R1..3 are UNDEFINED', () => {
    const h = makeHarness(1);
    expect(h.sr(0, ICC_EOIR1_EL1)[0]).toBe(HOST_UNDEF);
    expect(h.sw(0, ICC_IAR1_EL1, 0)).toBe(HOST_UNDEF);
    expect(h.sr(0, ICC_AP1R0_EL1 + 1)[0]).toBe(HOST_UNDEF);
    expect(h.cpus.atEl(0, 0, () => h.sr(0, ICC_PMR_EL1)[0])).toBe(HOST_UNDEF);
    expect(h.sr(0, ICH_HCR_EL2)[0]).toBe(HOST_UNDEF); // EL1
    expect(h.sr(0, ICC_SRE_EL2)[0]).toBe(HOST_UNDEF);
    expect(h.cpus.atEl(0, 2, () => h.sr(0, ICC_SRE_EL2))).toEqual([HOST_OK, 0xfn]);
    expect(h.sr(0, ICC_SRE_EL1)).toEqual([HOST_OK, 7n]);
    expect(h.gic.claims(ICC_SRE_EL1)).toBe(true);
    expect(h.gic.claims(0)).toBe(false);
  });

  it('ICH_HCR_EL2 trap bits and HCR_EL2.IMO on SGI registers trap EL1 accesses to EL2', () => {
    const h = makeHarness(1);
    const hv = (key: number, v: number) => h.cpus.atEl(0, 2, () => h.sw(0, key, v));
    hv(ICH_HCR_EL2, 1 << 12); // TALL1
    expect(h.sr(0, ICC_IAR1_EL1)[0]).toBe(HOST_TRAP_EL2);
    expect(h.sr(0, ICC_PMR_EL1)[0]).toBe(HOST_OK);
    hv(ICH_HCR_EL2, 1 << 10); // TC
    expect(h.sr(0, ICC_PMR_EL1)[0]).toBe(HOST_TRAP_EL2);
    expect(h.sw(0, ICC_SGI1R_EL1, 0)).toBe(HOST_TRAP_EL2);
    hv(ICH_HCR_EL2, 1 << 14); // TDIR
    expect(h.sw(0, ICC_DIR_EL1, 0)).toBe(HOST_TRAP_EL2);
    expect(h.sw(0, ICC_EOIR1_EL1, 1023)).toBe(HOST_OK);
    hv(ICH_HCR_EL2, 1 << 11); // TALL0
    expect(h.sr(0, ICC_IGRPEN0_EL1)[0]).toBe(HOST_TRAP_EL2);
    hv(ICH_HCR_EL2, 0);
    h.cpus.hcr[0] = 1n << 4n; // IMO
    expect(h.sw(0, ICC_SGI1R_EL1, 0)).toBe(HOST_TRAP_EL2);
    // the same accesses at EL2 are never trapped
    hv(ICH_HCR_EL2, 0x7c00);
    expect(h.cpus.atEl(0, 2, () => h.sr(0, ICC_IAR1_EL1))).toEqual([HOST_OK, 1023n]);
  });
});

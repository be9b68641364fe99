import { describe, expect, it } from 'vitest';
import { HOST_OK, HOST_UNDEF, LINE_IRQ, LINE_VFIQ, LINE_VIRQ } from '../../cpu/cpu.js';
import { makeHarness, type Harness } from './testHarness.js';
import {
  GICD_CTLR,
  GICD_IGROUPR,
  GICD_IPRIORITYR,
  GICD_ISACTIVER,
  GICD_ISENABLER,
  GICR_IGROUPR0,
  GICR_ISENABLER0,
  GICR_ISPENDR0,
  GICR_WAKER,
  ICC_AP1R0_EL1,
  ICC_BPR0_EL1,
  ICC_BPR1_EL1,
  ICC_CTLR_EL1,
  ICC_DIR_EL1,
  ICC_EOIR0_EL1,
  ICC_EOIR1_EL1,
  ICC_HPPIR1_EL1,
  ICC_IAR0_EL1,
  ICC_IAR1_EL1,
  ICC_IGRPEN1_EL1,
  ICC_PMR_EL1,
  ICC_RPR_EL1,
  ICH_AP0R0_EL2,
  ICH_AP1R0_EL2,
  ICH_EISR_EL2,
  ICH_ELRSR_EL2,
  ICH_HCR_EL2,
  ICH_LR_EL2,
  ICH_MISR_EL2,
  ICH_VMCR_EL2,
  ICH_VTR_EL2,
} from './registers.js';

const IMO = 1n << 4n;
const FMO = 1n << 3n;
const En = 1;
const UIE = 1 << 1;
const LRENPIE = 1 << 2;
const NPIE = 1 << 3;
const VGrp1EIE = 1 << 6;
const VGrp1DIE = 1 << 7;
const VENG0 = 1;
const VENG1 = 2;
const VEOIM = 1 << 9;

function lr(o: { state: number; vintid: number; prio?: number; group1?: boolean; hw?: boolean; pintid?: number; eoi?: boolean }): bigint {
  let v = BigInt(o.vintid);
  v |= BigInt(o.pintid ?? 0) << 32n;
  if (o.eoi) v |= 1n << 41n;
  v |= BigInt(o.prio ?? 0xa0) << 48n;
  if (o.group1 ?? true) v |= 1n << 60n;
  if (o.hw) v |= 1n << 61n;
  v |= BigInt(o.state) << 62n;
  return v;
}
const lrStateOf = (v: bigint): number => Number(v >> 62n);

/** A host with a guest on CPU 0: physical interrupts Non-secure Group 1 and
 *  enabled (the hypervisor's own setup), HCR_EL2.IMO|FMO for the guest. */
function setup(numCpus = 1): Harness & { hv: (key: number, v?: bigint | number) => [number, bigint] } {
  const h = makeHarness(numCpus);
  h.dw(GICD_CTLR, 7);
  for (let n = 1; n < 9; n++) h.dw(GICD_IGROUPR + 4 * n, 0xffffffff);
  for (let c = 0; c < numCpus; c++) {
    h.rdw(c, GICR_WAKER, 0);
    h.sgiw(c, GICR_IGROUPR0, 0xffffffff);
    h.cpus.atEl3(c, () => h.sw(c, ICC_PMR_EL1, 0xff));
    h.cpus.atEl(c, 2, () => h.sw(c, ICC_IGRPEN1_EL1, 1));
    h.cpus.hcr[c] = IMO | FMO;
  }
  const hv = (key: number, v?: bigint | number): [number, bigint] =>
    h.cpus.atEl(0, 2, () => (v === undefined ? h.sr(0, key) : [h.sw(0, key, v), 0n]));
  hv(ICH_HCR_EL2, En);
  hv(ICH_VMCR_EL2, VENG1 | (0xf8 << 24));
  return Object.assign(h, { hv });
}

describe('virtual CPU interface: list registers', () => {
  it('ICH_VTR_EL2 advertises 4 LRs and 5 priority/preemption bits; extra LRs/APRs are UNDEFINED', () => {
    const h = setup();
    const vtr = Number(h.hv(ICH_VTR_EL2)[1]);
    expect(vtr & 0x1f).toBe(3);
    expect(vtr >>> 29).toBe(4);
    expect((vtr >>> 26) & 7).toBe(4);
    expect(h.hv(ICH_LR_EL2(4))[0]).toBe(HOST_UNDEF);
    expect(h.hv(ICH_AP1R0_EL2 + 1)[0]).toBe(HOST_UNDEF);
    expect(h.hv(ICH_VTR_EL2, 0)[0]).toBe(HOST_UNDEF);
    expect(h.hv(ICH_ELRSR_EL2)[1]).toBe(0xfn);
    expect(h.sr(0, ICH_LR_EL2(0))[0]).toBe(HOST_UNDEF); // EL1
  });

  it('a pending Group 1 LR raises vIRQ; ICV_IAR1 acknowledges it (Pending → Active)', () => {
    const h = setup();
    h.hv(ICH_LR_EL2(1), lr({ state: 1, vintid: 27 }));
    expect(h.signal(0)).toBe(LINE_VIRQ);
    expect(h.hv(ICH_ELRSR_EL2)[1]).toBe(0xdn);
    expect(h.sr(0, ICC_HPPIR1_EL1)[1]).toBe(27n);
    expect(h.sr(0, ICC_IAR1_EL1)).toEqual([HOST_OK, 27n]);
    expect(lrStateOf(h.hv(ICH_LR_EL2(1))[1])).toBe(2);
    expect(h.signal(0)).toBe(0);
    expect(h.sr(0, ICC_RPR_EL1)[1]).toBe(0xa0n);
    expect(h.hv(ICH_AP1R0_EL2)[1]).toBe(BigInt(1 << (0xa0 >> 3)));
    expect(h.sr(0, ICC_AP1R0_EL1)[1]).toBe(BigInt(1 << (0xa0 >> 3)));
    h.sw(0, ICC_EOIR1_EL1, 27);
    expect(lrStateOf(h.hv(ICH_LR_EL2(1))[1])).toBe(0);
    expect(h.hv(ICH_ELRSR_EL2)[1]).toBe(0xfn);
    expect(h.sr(0, ICC_RPR_EL1)[1]).toBe(0xffn);
    // The physical interface was untouched
    expect(h.cpus.atEl(0, 2, () => h.sr(0, ICC_RPR_EL1))[1]).toBe(0xffn);
  });

  it('a Group 0 LR raises vFIQ and is acknowledged through ICV_IAR0 (HCR_EL2.FMO)', () => {
    const h = setup();
    h.hv(ICH_VMCR_EL2, VENG0 | (0xf8 << 24));
    h.hv(ICH_LR_EL2(0), lr({ state: 1, vintid: 40, group1: false, prio: 0x10 }));
    expect(h.signal(0)).toBe(LINE_VFIQ);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(1023n);
    expect(h.sr(0, ICC_IAR0_EL1)[1]).toBe(40n);
    h.sw(0, ICC_EOIR0_EL1, 40);
    expect(lrStateOf(h.hv(ICH_LR_EL2(0))[1])).toBe(0);
  });

  it('ICH_HCR_EL2.En, the group enable and VPMR gate virtual interrupts', () => {
    const h = setup();
    h.hv(ICH_LR_EL2(0), lr({ state: 1, vintid: 33, prio: 0x80 }));
    expect(h.signal(0)).toBe(LINE_VIRQ);
    h.sw(0, ICC_PMR_EL1, 0x80); // ICV_PMR_EL1
    expect(h.signal(0)).toBe(0);
    expect(Number(h.hv(ICH_VMCR_EL2)[1]) >>> 24).toBe(0x80);
    h.sw(0, ICC_PMR_EL1, 0x88);
    expect(h.signal(0)).toBe(LINE_VIRQ);
    h.sw(0, ICC_IGRPEN1_EL1, 0); // ICV_IGRPEN1_EL1
    expect(h.signal(0)).toBe(0);
    expect(h.hv(ICH_VMCR_EL2)[1] & 2n).toBe(0n);
    h.sw(0, ICC_IGRPEN1_EL1, 1);
    h.hv(ICH_HCR_EL2, 0);
    expect(h.signal(0)).toBe(0);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(1023n);
  });

  it('virtual preemption: a higher priority pending LR preempts an active one', () => {
    const h = setup();
    h.hv(ICH_LR_EL2(0), lr({ state: 1, vintid: 50, prio: 0xa0 }));
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(50n);
    h.hv(ICH_LR_EL2(1), lr({ state: 1, vintid: 51, prio: 0xa0 }));
    expect(h.signal(0)).toBe(0);
    h.hv(ICH_LR_EL2(2), lr({ state: 1, vintid: 52, prio: 0x90 }));
    expect(h.signal(0)).toBe(LINE_VIRQ);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(52n);
    h.sw(0, ICC_EOIR1_EL1, 52);
    h.sw(0, ICC_EOIR1_EL1, 50);
    expect(h.signal(0)).toBe(LINE_VIRQ);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(51n);
  });

  it('ICV_CTLR/BPR reflect ICH_VMCR_EL2; VMCR writes are sanitized', () => {
    const h = setup();
    h.sw(0, ICC_CTLR_EL1, 3); // VCBPR | VEOIM
    const vmcr = Number(h.hv(ICH_VMCR_EL2)[1]);
    expect(vmcr & (1 << 4)).not.toBe(0);
    expect(vmcr & VEOIM).not.toBe(0);
    expect(vmcr & (1 << 3)).not.toBe(0); // VFIQEn RES1
    expect(Number(h.sr(0, ICC_CTLR_EL1)[1]) & 0xff03).toBe(0x8403); // A3V, PRIbits = 4, CBPR, EOImode
    expect(h.sr(0, ICC_BPR1_EL1)[1]).toBe(3n); // VCBPR: VBPR0 + 1
    h.sw(0, ICC_BPR0_EL1, 0);
    expect(h.sr(0, ICC_BPR0_EL1)[1]).toBe(2n);
    h.hv(ICH_VMCR_EL2, 0xffffffff);
    expect(h.hv(ICH_VMCR_EL2)[1]).toBe(BigInt(((0xf8 << 24) | (7 << 21) | (7 << 18) | 0x21b) >>> 0));
  });
});

describe('virtual CPU interface: deactivation and maintenance', () => {
  it('ICV_EOIR1 of a HW = 1 LR deactivates the physical INTID', () => {
    const h = setup();
    // The hypervisor takes physical SPI 40, drops priority only (EOImode = 1)
    h.gic.distributor.write(GICD_IPRIORITYR + 40, 1, 0x80, -1);
    h.dw(GICD_ISENABLER + 4, 1 << 8);
    h.gic.setSpiLevel(40, true);
    expect(h.signal(0)).toBe(LINE_IRQ);
    h.cpus.atEl(0, 2, () => {
      h.sw(0, ICC_CTLR_EL1, 2);
      expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(40n);
      h.sw(0, ICC_EOIR1_EL1, 40);
    });
    expect((h.dr(GICD_ISACTIVER + 4) >>> 8) & 1).toBe(1);
    h.gic.setSpiLevel(40, false);
    h.hv(ICH_LR_EL2(0), lr({ state: 1, vintid: 40, hw: true, pintid: 40 }));
    expect(h.signal(0)).toBe(LINE_VIRQ);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(40n);
    h.sw(0, ICC_EOIR1_EL1, 40);
    expect((h.dr(GICD_ISACTIVER + 4) >>> 8) & 1).toBe(0);
    expect(lrStateOf(h.hv(ICH_LR_EL2(0))[1])).toBe(0);
    expect(h.hv(ICH_ELRSR_EL2)[1] & 1n).toBe(1n);
    // Physical ack + priority drop by EL2, then the guest's virtual ack/EOI
    // (which also deactivates pINTID 40: no separate event).
    expect(h.events().filter((e) => e.includes(' irq-'))).toEqual([
      '@0 cpu- irq-raise intid=40 target=0',
      '@0 cpu0 irq-ack intid=40 target=0',
      '@0 cpu0 irq-eoi intid=40 target=0',
      '@0 cpu0 irq-ack intid=40 target=0 virt',
      '@0 cpu0 irq-eoi intid=40 target=0 virt',
    ]);
  });

  it('VEOIM splits virtual priority drop and deactivation (ICV_DIR)', () => {
    const h = setup();
    h.hv(ICH_VMCR_EL2, VENG1 | VEOIM | (0xf8 << 24));
    h.hv(ICH_LR_EL2(0), lr({ state: 1, vintid: 60 }));
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(60n);
    h.sw(0, ICC_EOIR1_EL1, 60);
    expect(lrStateOf(h.hv(ICH_LR_EL2(0))[1])).toBe(2);
    expect(h.sr(0, ICC_RPR_EL1)[1]).toBe(0xffn);
    h.sw(0, ICC_DIR_EL1, 60);
    expect(lrStateOf(h.hv(ICH_LR_EL2(0))[1])).toBe(0);
    // DIR of an INTID in no LR counts in EOIcount
    h.sw(0, ICC_DIR_EL1, 61);
    expect(Number(h.hv(ICH_HCR_EL2)[1]) >>> 27).toBe(1);
  });

  it('underflow maintenance interrupt (UIE) on PPI 25', () => {
    const h = setup();
    h.sgiw(0, GICR_ISENABLER0, 1 << 25);
    h.hv(ICH_LR_EL2(0), lr({ state: 1, vintid: 70 }));
    h.hv(ICH_LR_EL2(1), lr({ state: 1, vintid: 71 }));
    h.hv(ICH_HCR_EL2, En | UIE);
    expect(h.hv(ICH_MISR_EL2)[1]).toBe(0n);
    expect((h.sgir(0, GICR_ISPENDR0) >>> 25) & 1).toBe(0);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(70n);
    h.sw(0, ICC_EOIR1_EL1, 70);
    expect(h.hv(ICH_MISR_EL2)[1]).toBe(2n); // U
    expect((h.sgir(0, GICR_ISPENDR0) >>> 25) & 1).toBe(1);
    expect(h.signal(0) & LINE_IRQ).toBe(LINE_IRQ);
    // the hypervisor refills: maintenance goes away (level-sensitive)
    h.hv(ICH_LR_EL2(0), lr({ state: 1, vintid: 72 }));
    expect((h.sgir(0, GICR_ISPENDR0) >>> 25) & 1).toBe(0);
    expect(h.signal(0) & LINE_IRQ).toBe(0);
    // no maintenance interrupt when the virtual interface is disabled
    h.hv(ICH_LR_EL2(0), 0n);
    h.hv(ICH_HCR_EL2, UIE);
    expect((h.sgir(0, GICR_ISPENDR0) >>> 25) & 1).toBe(0);
  });

  it('EOIcount and LRENP: an EOI for an INTID no longer in the LRs', () => {
    const h = setup();
    h.hv(ICH_HCR_EL2, En | LRENPIE);
    h.hv(ICH_LR_EL2(0), lr({ state: 1, vintid: 80 }));
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(80n);
    h.hv(ICH_LR_EL2(0), 0n); // the hypervisor evicted it
    expect(h.hv(ICH_MISR_EL2)[1]).toBe(0n);
    h.sw(0, ICC_EOIR1_EL1, 80);
    expect(Number(h.hv(ICH_HCR_EL2)[1]) >>> 27).toBe(1);
    expect(h.hv(ICH_MISR_EL2)[1]).toBe(4n); // LRENP
    expect((h.sgir(0, GICR_ISPENDR0) >>> 25) & 1).toBe(1);
    h.hv(ICH_HCR_EL2, En | LRENPIE); // EOIcount written back to 0
    expect(h.hv(ICH_MISR_EL2)[1]).toBe(0n);
    // An EOI with nothing active does not count
    h.sw(0, ICC_EOIR1_EL1, 81);
    expect(Number(h.hv(ICH_HCR_EL2)[1]) >>> 27).toBe(0);
  });

  it('EOI maintenance: HW = 0 with the EOI bit sets ICH_EISR_EL2 and ICH_MISR_EL2.EOI', () => {
    const h = setup();
    h.hv(ICH_LR_EL2(2), lr({ state: 1, vintid: 90, eoi: true }));
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(90n);
    expect(h.hv(ICH_EISR_EL2)[1]).toBe(0n);
    h.sw(0, ICC_EOIR1_EL1, 90);
    expect(h.hv(ICH_EISR_EL2)[1]).toBe(4n);
    expect(h.hv(ICH_MISR_EL2)[1] & 1n).toBe(1n);
    expect(h.hv(ICH_ELRSR_EL2)[1] & 4n).toBe(0n); // not free until the hypervisor handles it
    h.hv(ICH_LR_EL2(2), 0n);
    expect(h.hv(ICH_EISR_EL2)[1]).toBe(0n);
    expect(h.hv(ICH_ELRSR_EL2)[1]).toBe(0xfn);
  });

  it('NP and VGrp1E/VGrp1D maintenance conditions', () => {
    const h = setup();
    h.hv(ICH_HCR_EL2, En | NPIE | VGrp1EIE | VGrp1DIE);
    expect(h.hv(ICH_MISR_EL2)[1]).toBe(BigInt((1 << 3) | (1 << 6)));
    h.sw(0, ICC_IGRPEN1_EL1, 0);
    expect(h.hv(ICH_MISR_EL2)[1]).toBe(BigInt((1 << 3) | (1 << 7)));
    h.hv(ICH_LR_EL2(3), lr({ state: 1, vintid: 99 }));
    expect(h.hv(ICH_MISR_EL2)[1]).toBe(BigInt(1 << 7));
  });

  it('ICH_AP1R0_EL2 is saved and restored as data and sets the virtual running priority', () => {
    const h = setup();
    h.hv(ICH_AP1R0_EL2, 1 << 4);
    expect(h.sr(0, ICC_RPR_EL1)[1]).toBe(0x20n);
    h.hv(ICH_AP0R0_EL2, 1 << 2);
    expect(h.sr(0, ICC_RPR_EL1)[1]).toBe(0x10n);
    h.hv(ICH_LR_EL2(0), lr({ state: 1, vintid: 20, prio: 0x18 }));
    expect(h.signal(0)).toBe(0);
    h.hv(ICH_LR_EL2(0), lr({ state: 1, vintid: 20, prio: 0x08 }));
    expect(h.signal(0)).toBe(LINE_VIRQ);
  });
});

// The register model of the GIC with two Security states (GICD_CTLR.DS = 0):
// Secure and Non-secure views (§12.1.7, §12.9), GICD_NSACR (§12.9.19), the
// EL3 traps of ICC_* accesses (§12.1.10), the Non-secure view of priorities
// (§4.8.6), acknowledge/EOI/DIR rules across groups (§4.1.1, §12.2) and the
// state record's GICD_NSACR field.
import { describe, expect, it } from 'vitest';
import { HOST_OK, HOST_TRAP_EL2, HOST_TRAP_EL3, LINE_FIQ, LINE_G1S, LINE_IRQ } from '../../cpu/cpu.js';
import { makeHarness, type Harness } from './testHarness.js';
import {
  GICD_CTLR,
  GICD_CTLR_DS,
  GICD_CTLR_EnableGrp0,
  GICD_CTLR_EnableGrp1NS,
  GICD_CTLR_EnableGrp1S,
  GICD_ICACTIVER,
  GICD_ICENABLER,
  GICD_ICPENDR,
  GICD_IGROUPR,
  GICD_IGRPMODR,
  GICD_IPRIORITYR,
  GICD_IROUTER,
  GICD_ISACTIVER,
  GICD_ISENABLER,
  GICD_ISPENDR,
  GICD_NSACR,
  GICD_TYPER,
  GICD_TYPER_SecurityExtn,
  GICR_IGROUPR0,
  GICR_IGRPMODR0,
  GICR_IPRIORITYR,
  GICR_ISENABLER0,
  GICR_ICPENDR0,
  GICR_ISPENDR0,
  GICR_NSACR,
  GICR_WAKER,
  ICC_AP1R0_EL1,
  ICC_BPR0_EL1,
  ICC_BPR1_EL1,
  ICC_CTLR_EL3,
  ICC_DIR_EL1,
  ICC_EOIR0_EL1,
  ICC_EOIR1_EL1,
  ICC_HPPIR0_EL1,
  ICC_HPPIR1_EL1,
  ICC_IAR0_EL1,
  ICC_IAR1_EL1,
  ICC_IGRPEN0_EL1,
  ICC_IGRPEN1_EL1,
  ICC_IGRPEN1_EL3,
  ICC_PMR_EL1,
  ICC_RPR_EL1,
  ICC_ASGI1R_EL1,
  ICC_SGI0R_EL1,
  ICC_SGI1R_EL1,
  ICC_SRE_EL1,
} from './registers.js';
import { GIC_STATE_VERSION } from './state.js';

const ALL_GROUPS = GICD_CTLR_EnableGrp0 | GICD_CTLR_EnableGrp1NS | GICD_CTLR_EnableGrp1S;
const SCR_NS = 1n;
const SCR_IRQ = 2n;
const SCR_FIQ = 4n;
const NS = 0; // a PE in Non-secure state (FakeCpus default: NS EL1)

/** What EL3 firmware does on a two-world machine: SPI 32 Group 0, 33 Secure
 *  Group 1, 34 Non-secure Group 1, all priority 0x80 (Secure view), routed to
 *  PE 0 and enabled; every group enabled at the Distributor and the CPU
 *  interface; PMR open. FIQs go to EL3 (SCR_EL3.FIQ), the PE is at NS EL1. */
function twoWorlds(h: Harness): void {
  h.dw(GICD_CTLR, ALL_GROUPS);
  h.rdw(0, GICR_WAKER, 0);
  h.dw(GICD_IGROUPR + 4, 1 << 2);
  h.dw(GICD_IGRPMODR + 4, 1 << 1);
  h.dw(GICD_IPRIORITYR + 32, 0x808080);
  for (const id of [32, 33, 34]) h.dw(GICD_IROUTER + 8 * id, 0);
  h.dw(GICD_ISENABLER + 4, 7);
  h.cpus.atEl3(0, () => {
    h.sw(0, ICC_PMR_EL1, 0xff);
    h.sw(0, ICC_IGRPEN0_EL1, 1);
    h.sw(0, ICC_IGRPEN1_EL3, 3);
  });
  h.cpus.scr[0] = SCR_NS | SCR_FIQ;
}

function secureEl1(h: Harness, scr = SCR_FIQ): void {
  h.cpus.ns[0] = false;
  h.cpus.scr[0] = scr;
}

describe('Distributor views with two Security states', () => {
  it('GICD_TYPER.SecurityExtn is 1; a Secure write may set DS (never clear it), which clears EnableGrp1S', () => {
    const h = makeHarness(1);
    expect(h.dr(GICD_TYPER) & GICD_TYPER_SecurityExtn).toBe(GICD_TYPER_SecurityExtn);
    h.dw(GICD_CTLR, ALL_GROUPS);
    h.dw(GICD_CTLR, GICD_CTLR_DS, NS); // Non-secure: only EnableGrp1A is writable
    expect(h.dr(GICD_CTLR) & (GICD_CTLR_DS | 7)).toBe(GICD_CTLR_EnableGrp0 | GICD_CTLR_EnableGrp1S);
    h.dw(GICD_CTLR, ALL_GROUPS | GICD_CTLR_DS);
    expect(h.dr(GICD_CTLR) & (GICD_CTLR_DS | 7)).toBe(GICD_CTLR_DS | GICD_CTLR_EnableGrp0 | GICD_CTLR_EnableGrp1NS);
    expect(h.dr(GICD_TYPER) & GICD_TYPER_SecurityExtn).toBe(0);
    h.dw(GICD_CTLR, 3);
    expect(h.dr(GICD_CTLR) & GICD_CTLR_DS).toBe(GICD_CTLR_DS);
  });

  it('Non-secure accesses to Secure interrupts are RAZ/WI: group, group modifier, enable, pending, active, routing', () => {
    const h = makeHarness(1);
    twoWorlds(h);
    expect(h.dr(GICD_IGROUPR + 4, NS)).toBe(0);
    expect(h.dr(GICD_IGRPMODR + 4, NS)).toBe(0);
    h.dw(GICD_IGROUPR + 4, 7, NS); // would make everything Non-secure
    h.dw(GICD_IGRPMODR + 4, 0, NS);
    expect(h.dr(GICD_IGROUPR + 4)).toBe(4);
    expect(h.dr(GICD_IGRPMODR + 4)).toBe(2);
    expect(h.dr(GICD_ISENABLER + 4, NS)).toBe(4);
    h.dw(GICD_ICENABLER + 4, 3, NS);
    expect(h.dr(GICD_ISENABLER + 4)).toBe(7);
    h.dw(GICD_ISPENDR + 4, 7, NS);
    expect(h.dr(GICD_ISPENDR + 4)).toBe(4);
    h.dw(GICD_ISPENDR + 4, 3);
    expect(h.dr(GICD_ISPENDR + 4, NS)).toBe(4);
    h.dw(GICD_ICPENDR + 4, 7, NS);
    expect(h.dr(GICD_ISPENDR + 4)).toBe(3);
    h.dw(GICD_ISACTIVER + 4, 3);
    expect(h.dr(GICD_ISACTIVER + 4, NS)).toBe(0);
    h.dw(GICD_ICACTIVER + 4, 3, NS);
    expect(h.dr(GICD_ISACTIVER + 4)).toBe(3);
    h.dw(GICD_IROUTER + 8 * 33, 1, NS);
    expect(h.dr(GICD_IROUTER + 8 * 33)).toBe(0);
    expect(h.dr(GICD_IROUTER + 8 * 34, NS)).toBe(0);
    h.dw(GICD_IROUTER + 8 * 34 + 4, 5, NS);
    expect(h.dr(GICD_IROUTER + 8 * 34 + 4, NS)).toBe(5);
    // Priorities: Secure ones RAZ/WI, Non-secure ones through the Non-secure view (§4.8.6).
    expect(h.gic.distributor.read(GICD_IPRIORITYR + 33, 1, NS)).toBe(0);
    expect(h.gic.distributor.read(GICD_IPRIORITYR + 34, 1, NS)).toBe(0);
    h.gic.distributor.write(GICD_IPRIORITYR + 34, 1, 0x40, NS);
    expect(h.gic.distributor.read(GICD_IPRIORITYR + 34, 1, -1)).toBe(0xa0);
    expect(h.gic.distributor.read(GICD_IPRIORITYR + 34, 1, NS)).toBe(0x40);
  });

  it('GICD_NSACR opens Secure SPIs to Non-secure software: 0b01 set-pending, 0b10 clear-pending and active (read), 0b11 routing', () => {
    const h = makeHarness(1);
    twoWorlds(h);
    expect(h.dr(GICD_NSACR)).toBe(0); // NSACR0 (SGIs, PPIs): RAZ/WI with affinity routing
    h.dw(GICD_NSACR + 4, 0xffffffff);
    expect(h.dr(GICD_NSACR + 4)).toBe(0);
    // INTID 32 (Group 0): field 0b01; INTID 33 (Secure Group 1): 0b11.
    h.dw(GICD_NSACR + 8, 0b1101);
    expect(h.dr(GICD_NSACR + 8)).toBe(0b1101);
    expect(h.dr(GICD_NSACR + 8, NS)).toBe(0); // Secure-only register
    h.dw(GICD_NSACR + 8, 0, NS);
    expect(h.dr(GICD_NSACR + 8)).toBe(0b1101);
    h.dw(GICD_ISPENDR + 4, 3, NS);
    expect(h.dr(GICD_ISPENDR + 4)).toBe(3);
    expect(h.dr(GICD_ISPENDR + 4, NS)).toBe(3);
    expect(h.dr(GICD_ICPENDR + 4, NS)).toBe(2); // clear-pending needs 0b10
    h.dw(GICD_ICPENDR + 4, 3, NS);
    expect(h.dr(GICD_ISPENDR + 4)).toBe(1);
    h.dw(GICD_ISACTIVER + 4, 3);
    expect(h.dr(GICD_ISACTIVER + 4, NS)).toBe(2);
    h.dw(GICD_ICACTIVER + 4, 3, NS); // active state stays read-only to Non-secure
    expect(h.dr(GICD_ISACTIVER + 4)).toBe(3);
    h.dw(GICD_IROUTER + 8 * 33, 1, NS);
    expect(h.dr(GICD_IROUTER + 8 * 33, NS)).toBe(1);
    h.dw(GICD_IROUTER + 8 * 32, 1, NS);
    expect(h.dr(GICD_IROUTER + 8 * 32)).toBe(0);
    // With DS = 1 GICD_NSACR is RAZ/WI.
    const s = makeHarness(1, { disableSecurity: true });
    s.dw(GICD_NSACR + 8, 3);
    expect(s.dr(GICD_NSACR + 8)).toBe(0);
  });

  it('Redistributor: GICR_IGROUPR0/IGRPMODR0 are Secure-only and pick the group of SGIs and PPIs', () => {
    const h = makeHarness(1);
    twoWorlds(h);
    h.sgiw(0, GICR_IGROUPR0, 1 << 27);
    h.sgiw(0, GICR_IGRPMODR0, 1 << 29);
    h.sgiw(0, GICR_IGROUPR0, 0xffffffff, NS);
    h.sgiw(0, GICR_IGRPMODR0, 0, NS);
    expect(h.sgir(0, GICR_IGROUPR0)).toBe(1 << 27);
    expect(h.sgir(0, GICR_IGRPMODR0)).toBe(1 << 29);
    expect(h.sgir(0, GICR_IGROUPR0, NS)).toBe(0);
    expect(h.sgir(0, GICR_IGRPMODR0, NS)).toBe(0);
    h.sgiw(0, GICR_IPRIORITYR + 28, 0x40004040);
    h.sgiw(0, GICR_ISENABLER0, 0xffffffff, NS); // only 27 is Non-secure
    expect(h.sgir(0, GICR_ISENABLER0)).toBe(1 << 27);
    h.sgiw(0, GICR_ISENABLER0, 1 << 29);
    // PPI 29 (the secure physical timer) is Secure Group 1: signalled as such.
    h.gic.setPpiLevel(0, 29, true);
    expect(h.lines[0]).toBe(LINE_G1S);
    expect(h.signal(0)).toBe(LINE_FIQ); // Non-secure EL1: FIQ (to EL3 by SCR_EL3.FIQ)
    expect(h.sgir(0, GICR_ISPENDR0, NS)).toBe(0); // invisible to Non-secure
    secureEl1(h);
    expect(h.signal(0)).toBe(LINE_IRQ);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(29n);
  });
});

describe('CPU interface with two Security states', () => {
  it('Table 4-3: Group 0 is FIQ everywhere; Secure Group 1 IRQ only at Secure EL1/EL2; Non-secure Group 1 IRQ only in Non-secure state', () => {
    const h = makeHarness(1);
    twoWorlds(h);
    const seen = (id: number): string[] => {
      h.gic.setSpiLevel(id, true);
      const out: string[] = [];
      for (const [el, ns] of [[1, true], [2, true], [1, false], [2, false], [3, false]] as const) {
        h.cpus.els[0] = el;
        h.cpus.ns[0] = ns;
        out.push(h.signal(0) === LINE_FIQ ? 'FIQ' : h.signal(0) === LINE_IRQ ? 'IRQ' : '-');
      }
      h.gic.setSpiLevel(id, false);
      h.cpus.els[0] = 1;
      h.cpus.ns[0] = true;
      return out;
    };
    //                  NS EL1 NS EL2 S EL1  S EL2  EL3
    expect(seen(32)).toEqual(['FIQ', 'FIQ', 'FIQ', 'FIQ', 'FIQ']);
    expect(seen(33)).toEqual(['FIQ', 'FIQ', 'IRQ', 'IRQ', 'FIQ']);
    expect(seen(34)).toEqual(['IRQ', 'IRQ', 'FIQ', 'FIQ', 'FIQ']);
  });

  it('ICC_* accesses trap to EL3 by SCR_EL3.FIQ (Group 0), SCR_EL3.IRQ (Group 1), both (common); HCR_EL2.IMO/FMO first', () => {
    const h = makeHarness(1);
    twoWorlds(h);
    h.cpus.scr[0] = SCR_NS | SCR_FIQ;
    expect(h.sr(0, ICC_IAR0_EL1)[0]).toBe(HOST_TRAP_EL3);
    expect(h.sw(0, ICC_EOIR0_EL1, 32)).toBe(HOST_TRAP_EL3);
    expect(h.sr(0, ICC_BPR0_EL1)[0]).toBe(HOST_TRAP_EL3);
    expect(h.sw(0, ICC_IGRPEN0_EL1, 0)).toBe(HOST_TRAP_EL3);
    expect(h.sr(0, ICC_IAR1_EL1)[0]).toBe(HOST_OK);
    expect(h.sr(0, ICC_PMR_EL1)[0]).toBe(HOST_OK);
    expect(h.sr(0, ICC_SRE_EL1)[0]).toBe(HOST_OK);
    h.cpus.scr[0] = SCR_NS | SCR_IRQ;
    expect(h.sr(0, ICC_IAR1_EL1)[0]).toBe(HOST_TRAP_EL3);
    expect(h.sr(0, ICC_IAR0_EL1)[0]).toBe(HOST_OK);
    expect(h.sw(0, ICC_DIR_EL1, 34)).toBe(HOST_OK);
    h.cpus.scr[0] = SCR_NS | SCR_IRQ | SCR_FIQ;
    expect(h.sr(0, ICC_PMR_EL1)[0]).toBe(HOST_TRAP_EL3);
    expect(h.sw(0, ICC_DIR_EL1, 34)).toBe(HOST_TRAP_EL3);
    expect(h.sw(0, ICC_SGI1R_EL1, 1n)).toBe(HOST_TRAP_EL3);
    expect(h.cpus.atEl(0, 2, () => h.sr(0, ICC_IAR1_EL1)[0])).toBe(HOST_TRAP_EL3); // EL2 too
    expect(h.cpus.atEl3(0, () => h.sr(0, ICC_PMR_EL1)[0])).toBe(HOST_OK);
    // Non-secure EL1 with HCR_EL2.IMO: the virtual interface answers, no EL3 trap.
    h.cpus.hcr[0] = 1n << 4n;
    expect(h.sr(0, ICC_IAR1_EL1)[0]).toBe(HOST_OK);
    expect(h.sw(0, ICC_SGI1R_EL1, 1n)).toBe(HOST_TRAP_EL2);
    // Secure EL1 (no Secure EL2): SCR_EL3 alone decides.
    h.cpus.hcr[0] = 1n << 4n;
    secureEl1(h, SCR_IRQ);
    expect(h.sr(0, ICC_IAR1_EL1)[0]).toBe(HOST_TRAP_EL3);
  });

  it('the Non-secure view of priorities: NS PMR/RPR see the upper half shifted; NS software cannot mask Secure interrupts', () => {
    const h = makeHarness(1);
    twoWorlds(h);
    expect(h.sw(NS, ICC_PMR_EL1, 0)).toBe(HOST_OK); // NS "mask everything"
    expect(h.cpus.atEl3(0, () => h.sr(0, ICC_PMR_EL1)[1])).toBe(0x80n); // Secure view: 0x80
    expect(h.sr(0, ICC_PMR_EL1)[1]).toBe(0n);
    h.gic.setSpiLevel(34, true); // Non-secure Group 1, priority 0x80: masked
    expect(h.signal(0)).toBe(0);
    h.gic.setSpiLevel(33, true); // Secure Group 1 at 0x80 is masked too (0x80 >= PMR)
    expect(h.signal(0)).toBe(0);
    h.dw(GICD_IPRIORITYR + 32, 0x804040); // Secure priorities 0x40: above anything NS can set
    expect(h.signal(0)).toBe(LINE_FIQ);
    h.sw(NS, ICC_PMR_EL1, 0xf0);
    expect(h.sr(0, ICC_PMR_EL1)[1]).toBe(0xf0n);
    expect(h.cpus.atEl3(0, () => h.sr(0, ICC_PMR_EL1)[1])).toBe(0xf8n);
    // A Secure PMR value (below 0x80) cannot be changed from Non-secure state.
    h.cpus.atEl3(0, () => h.sw(0, ICC_PMR_EL1, 0x40));
    h.sw(NS, ICC_PMR_EL1, 0xff);
    expect(h.cpus.atEl3(0, () => h.sr(0, ICC_PMR_EL1)[1])).toBe(0x40n);
    // RPR: a running Secure priority reads as 0 from Non-secure state.
    h.cpus.atEl3(0, () => h.sw(0, ICC_PMR_EL1, 0xff));
    expect(h.cpus.atEl3(0, () => h.sr(0, ICC_IAR1_EL1)[1])).toBe(33n);
    expect(h.cpus.atEl3(0, () => h.sr(0, ICC_RPR_EL1)[1])).toBe(0x40n);
    expect(h.sr(0, ICC_RPR_EL1)[1]).toBe(0n);
  });

  it('special INTIDs: IAR0/HPPIR0 at EL3 answer 1020/1021 for Group 1; IAR1 at EL3 takes either Group 1 (ICC_CTLR_EL3.RM = 0); elsewhere 1023', () => {
    const h = makeHarness(1);
    twoWorlds(h);
    h.gic.setSpiLevel(33, true);
    h.cpus.atEl3(0, () => {
      expect(h.sr(0, ICC_HPPIR0_EL1)[1]).toBe(1020n);
      expect(h.sr(0, ICC_IAR0_EL1)[1]).toBe(1020n);
      expect(h.sr(0, ICC_HPPIR1_EL1)[1]).toBe(33n);
    });
    expect(h.sr(0, ICC_HPPIR1_EL1)[1]).toBe(1023n); // Non-secure: Secure Group 1 invisible
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(1023n);
    expect(bitSet(h, GICD_ISACTIVER, 33)).toBe(false); // nothing was acknowledged
    h.gic.setSpiLevel(33, false);
    h.gic.setSpiLevel(34, true);
    secureEl1(h);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(1023n); // Secure EL1: Non-secure Group 1 invisible
    h.cpus.atEl3(0, () => {
      h.cpus.scr[0] = SCR_FIQ;
      expect(h.sr(0, ICC_IAR0_EL1)[1]).toBe(1021n);
      expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(34n); // EL3 acknowledges it
      expect(h.sw(0, ICC_EOIR1_EL1, 34)).toBe(HOST_OK); // ... and ends it
    });
    expect(bitSet(h, GICD_ISACTIVER, 34)).toBe(false);
    // Group 0 from Non-secure state (SCR_EL3.FIQ = 0): never acknowledged.
    h.cpus.ns[0] = true;
    h.cpus.scr[0] = SCR_NS;
    h.gic.setSpiLevel(34, false);
    h.gic.setSpiLevel(32, true);
    expect(h.sr(0, ICC_IAR0_EL1)[1]).toBe(1023n);
  });

  it('EOIR ends the highest active group only from a state that owns it; DIR deactivates only what the EL may handle', () => {
    const h = makeHarness(1);
    twoWorlds(h);
    h.dw(GICD_IPRIORITYR + 32, 0x806040);
    h.gic.setSpiLevel(32, true);
    h.gic.setSpiLevel(33, true);
    h.gic.setSpiLevel(34, true);
    secureEl1(h, 0n);
    expect(h.sr(0, ICC_IAR0_EL1)[1]).toBe(32n);
    h.gic.setSpiLevel(32, false); // level-sensitive: the device drops its line
    h.sw(0, ICC_EOIR1_EL1, 32); // wrong register: ignored
    expect(bitSet(h, GICD_ISACTIVER, 32)).toBe(true);
    h.sw(0, ICC_EOIR0_EL1, 32);
    expect(bitSet(h, GICD_ISACTIVER, 32)).toBe(false);
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(33n);
    h.gic.setSpiLevel(33, false);
    expect(h.sr(0, ICC_AP1R0_EL1)[1]).toBe(BigInt(1 << (0x60 >> 3))); // the Secure copy
    h.cpus.ns[0] = true; // Non-secure EOIR1 cannot end a Secure Group 1 interrupt
    h.cpus.scr[0] = SCR_NS;
    expect(h.sr(0, ICC_AP1R0_EL1)[1]).toBe(0n); // Non-secure copy
    h.sw(0, ICC_EOIR1_EL1, 33);
    expect(bitSet(h, GICD_ISACTIVER, 33)).toBe(true);
    h.cpus.atEl3(0, () => h.sw(0, ICC_EOIR1_EL1, 33)); // EL3 can
    expect(bitSet(h, GICD_ISACTIVER, 33)).toBe(false);
    // EOImode = 1 for Non-secure EL1 (set through ICC_CTLR_EL3): DIR checks.
    h.cpus.atEl3(0, () => h.sw(0, ICC_CTLR_EL3, 1 << 4));
    expect(h.sr(0, ICC_IAR1_EL1)[1]).toBe(34n);
    h.gic.setSpiLevel(34, false);
    h.sw(0, ICC_EOIR1_EL1, 34);
    expect(bitSet(h, GICD_ISACTIVER, 34)).toBe(true); // EOImode 1: priority dropped, still active
    h.dw(GICD_ISACTIVER + 4, 3); // make the Secure ones active again
    h.sw(0, ICC_DIR_EL1, 33); // Non-secure may not deactivate a Secure interrupt
    expect(bitSet(h, GICD_ISACTIVER, 33)).toBe(true);
    h.cpus.hcr[0] = 1n << 4n; // with IMO the physical IRQ belongs to EL2:
    h.cpus.atEl(0, 2, () => h.sw(0, ICC_DIR_EL1, 34)); // EL2 deactivates it (EOImode is banked: NS copy)
    expect(bitSet(h, GICD_ISACTIVER, 34)).toBe(false);
  });

  it('binary points: the Secure BPR1 has the Group 0 minimum; CBPR below EL3 only; ICC_IGRPEN1_EL1 is banked', () => {
    const h = makeHarness(1);
    twoWorlds(h);
    secureEl1(h, 0n);
    h.sw(0, ICC_BPR1_EL1, 0);
    expect(h.sr(0, ICC_BPR1_EL1)[1]).toBe(2n); // Secure minimum = BPR0's
    h.cpus.ns[0] = true;
    h.cpus.scr[0] = SCR_NS;
    h.sw(0, ICC_BPR1_EL1, 0);
    expect(h.sr(0, ICC_BPR1_EL1)[1]).toBe(3n); // Non-secure minimum
    h.cpus.atEl3(0, () => h.sw(0, ICC_CTLR_EL3, 0b10)); // CBPR_EL1NS
    h.sw(0, ICC_BPR0_EL1 /* not trapped: SCR_EL3.FIQ = 0 */, 4);
    expect(h.sr(0, ICC_BPR1_EL1)[1]).toBe(5n); // BPR0 + 1
    expect(h.cpus.atEl3(0, () => h.sr(0, ICC_BPR1_EL1)[1])).toBe(3n); // EL3 sees the register itself
    // IGRPEN1: Non-secure and Secure copies, both visible in ICC_IGRPEN1_EL3.
    h.sw(0, ICC_IGRPEN1_EL1, 0);
    expect(h.cpus.atEl3(0, () => h.sr(0, ICC_IGRPEN1_EL3)[1])).toBe(2n);
    secureEl1(h, 0n);
    expect(h.sr(0, ICC_IGRPEN1_EL1)[1]).toBe(1n);
    h.sw(0, ICC_IGRPEN1_EL1, 0);
    expect(h.cpus.atEl3(0, () => h.sr(0, ICC_IGRPEN1_EL3)[1])).toBe(0n);
  });
});

describe('SGIs between the worlds', () => {
  it('SGI1R raises the current state\'s Group 1, ASGI1R the other one (Secure targets need GICR_NSACR = 0b10 from Non-secure); SGI0R Group 0', () => {
    const h = makeHarness(2);
    twoWorlds(h);
    h.rdw(1, GICR_WAKER, 0);
    // PE 1: SGI 1 Non-secure Group 1, SGI 2 Secure Group 1, SGI 3 Group 0.
    h.sgiw(1, GICR_IGROUPR0, 1 << 1);
    h.sgiw(1, GICR_IGRPMODR0, 1 << 2);
    const sgi = (id: number): bigint => (BigInt(id) << 24n) | 0b10n; // TargetList: PE 1
    const pending = (): number => h.sgir(1, GICR_ISPENDR0) & 0xe;
    secureEl1(h, 0n);
    h.sw(0, ICC_SGI1R_EL1, sgi(1)); // Secure request of a Non-secure SGI: not raised
    h.sw(0, ICC_SGI1R_EL1, sgi(2));
    expect(pending()).toBe(1 << 2);
    h.sw(0, ICC_ASGI1R_EL1, sgi(1)); // the other world's Group 1
    expect(pending()).toBe((1 << 2) | (1 << 1));
    h.sw(0, ICC_SGI1R_EL1, sgi(3)); // a Secure Group 1 request reaches a Group 0 SGI
    expect(pending()).toBe(0xe);
    h.sgiw(1, GICR_ICPENDR0, 0xe);
    h.cpus.ns[0] = true;
    h.cpus.scr[0] = SCR_NS;
    h.sw(0, ICC_SGI1R_EL1, sgi(2)); // Non-secure SGI1R: only Non-secure Group 1
    h.sw(0, ICC_ASGI1R_EL1, sgi(2)); // ASGI1R from Non-secure: needs NSACR
    h.sw(0, ICC_SGI0R_EL1, sgi(3));
    expect(pending()).toBe(0);
    h.sgiw(1, GICR_NSACR, (2 << 4) | (1 << 6)); // SGI 2: 0b10, SGI 3: 0b01
    h.sw(0, ICC_ASGI1R_EL1, sgi(2));
    h.sw(0, ICC_SGI0R_EL1, sgi(3));
    h.sw(0, ICC_SGI1R_EL1, sgi(1));
    expect(pending()).toBe(0xe);
  });
});

describe('GIC state record with two Security states', () => {
  it('GICD_NSACR is saved only when set; a record without it (older hvrr, or all zero) loads zeros', () => {
    const a = makeHarness(1);
    twoWorlds(a);
    expect('gicd_nsacr' in a.gic.getState()).toBe(false);
    a.dw(GICD_NSACR + 8, 0b11 << 2);
    const s = a.gic.getState();
    expect(s.version).toBe(GIC_STATE_VERSION);
    expect(s.gicd_nsacr?.[2]).toBe(0b1100);
    const b = makeHarness(1);
    b.gic.loadState(JSON.parse(JSON.stringify(s)));
    expect(b.dr(GICD_NSACR + 8)).toBe(0b1100);
    const { gicd_nsacr: _dropped, ...old } = s;
    b.gic.loadState(JSON.parse(JSON.stringify(old)));
    expect(b.dr(GICD_NSACR + 8)).toBe(0);
    expect(b.gic.getState()).toEqual(old);
  });
});

function bitSet(h: Harness, base: number, id: number): boolean {
  return ((h.dr(base + 4 * (id >>> 5)) >>> (id & 31)) & 1) === 1;
}

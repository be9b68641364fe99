import { describe, expect, it } from 'vitest';
import { HOST_OK, LINE_G1NS, LINE_VIRQ } from '../../cpu/cpu.js';
import { makeHarness, type Harness } from './testHarness.js';
import {
  GICD_CTLR,
  GICD_ICFGR,
  GICD_IGROUPR,
  GICD_IPRIORITYR,
  GICD_IROUTER,
  GICD_ISENABLER,
  GICR_IGROUPR0,
  GICR_ISENABLER0,
  GICR_WAKER,
  ICC_CTLR_EL1,
  ICC_EOIR1_EL1,
  ICC_IAR1_EL1,
  ICC_IGRPEN1_EL1,
  ICC_PMR_EL1,
  ICC_SGI1R_EL1,
  ICH_HCR_EL2,
  ICH_LR_EL2,
  ICH_VMCR_EL2,
} from './registers.js';
import { GIC_STATE_VERSION } from './state.js';

/** A busy state: SPIs pending/active on several CPUs, an SGI, LRs in use. */
function busy(h: Harness): void {
  h.dw(GICD_CTLR, 7);
  for (let n = 1; n < 9; n++) h.dw(GICD_IGROUPR + 4 * n, 0xffffffff);
  for (let c = 0; c < h.gic.numCpus; c++) {
    h.rdw(c, GICR_WAKER, 0);
    h.sgiw(c, GICR_IGROUPR0, 0xffffffff);
    h.sgiw(c, GICR_ISENABLER0, 0xffffffff, 0);
    h.cpus.atEl3(c, () => h.sw(c, ICC_PMR_EL1, 0xff));
    h.sw(c, ICC_IGRPEN1_EL1, 1);
  }
  for (const [id, cpu, prio] of [
    [40, 0, 0xa0],
    [41, 1, 0x90],
    [42, 1, 0xb0],
    [77, 0, 0x80],
  ] as const) {
    h.gic.distributor.write(GICD_IPRIORITYR + id, 1, prio, 0);
    h.dw(GICD_IROUTER + 8 * id, cpu, 0);
    h.dw(GICD_ISENABLER + 4 * (id >>> 5), 1 << (id & 31), 0);
  }
  h.dw(GICD_ICFGR + 4 * (42 >>> 4), 2 << (2 * (42 & 15)), 0);
  h.sw(1, ICC_CTLR_EL1, 2);
  h.gic.setSpiLevel(40, true);
  h.gic.setSpiLevel(41, true);
  h.gic.setSpiLevel(42, true);
  expect(h.sr(1, ICC_IAR1_EL1)[1]).toBe(41n);
  h.sw(0, ICC_SGI1R_EL1, (4n << 24n) | 0b10n);
  h.cpus.atEl(0, 2, () => {
    h.sw(0, ICH_HCR_EL2, 1 | (1 << 1));
    h.sw(0, ICH_VMCR_EL2, 2 | (0xf8 << 24));
    h.sw(0, ICH_LR_EL2(0), (1n << 62n) | (1n << 60n) | (0xa0n << 48n) | 27n);
    h.sw(0, ICH_LR_EL2(3), (2n << 62n) | (1n << 60n) | (0x80n << 48n) | 28n);
  });
  h.gic.setPpiLevel(0, 30, true);
}

/** The same operations on two GICs must give the same answers and pins calls. */
function drive(h: Harness): unknown[] {
  const log: unknown[] = [];
  h.calls.length = 0;
  log.push(h.sr(1, ICC_IAR1_EL1));
  log.push(h.sw(1, ICC_EOIR1_EL1, 41));
  log.push(h.sr(1, ICC_IAR1_EL1));
  log.push(h.sr(0, ICC_IAR1_EL1));
  h.gic.setSpiLevel(77, true);
  log.push(h.sr(0, ICC_IAR1_EL1));
  h.cpus.hcr[0] = 1n << 4n;
  log.push(h.sr(0, ICC_IAR1_EL1));
  log.push(h.sw(0, ICC_EOIR1_EL1, 27));
  h.cpus.hcr[0] = 0n;
  log.push(h.sr(0, ICC_IAR1_EL1));
  log.push([...h.calls]);
  log.push(JSON.stringify(h.gic.getState()));
  return log;
}

describe('GICv3 state record', () => {
  it('is plain data: JSON round trip is lossless and identical after loadState', () => {
    const a = makeHarness(2);
    busy(a);
    const s = a.gic.getState();
    expect(s.version).toBe(GIC_STATE_VERSION);
    const json = JSON.stringify(s);
    const b = makeHarness(2);
    b.calls.length = 0;
    b.gic.loadState(JSON.parse(json));
    expect(JSON.stringify(b.gic.getState())).toBe(json);
    // pins was called for the lines that differ from the instance's before the load
    expect(b.lines).toEqual(a.lines);
    expect(a.lines[0]! & LINE_VIRQ).toBe(LINE_VIRQ);
    expect(a.lines[0]! & LINE_G1NS).toBe(LINE_G1NS);
  });

  it('a restored GIC behaves identically to the original', () => {
    const a = makeHarness(2);
    busy(a);
    const b = makeHarness(2);
    b.gic.loadState(a.gic.getState());
    const la = drive(a);
    const lb = drive(b);
    expect(lb).toEqual(la);
    expect(la[0]).toEqual([HOST_OK, 4n]); // SGI 4 (priority 0) preempts the active SPI 41
  });

  it('getState returns a copy: mutating it does not change the device', () => {
    const a = makeHarness(2);
    busy(a);
    const s = a.gic.getState();
    const before = JSON.stringify(s);
    s.gicd_isenabler[1] = 0;
    s.cpuif[0]!.icc_pmr = 0;
    s.vcpuif[0]!.ich_lr_hi[0] = 0;
    expect(JSON.stringify(a.gic.getState())).toBe(before);
  });

  it('loadState rejects a record of another shape', () => {
    const a = makeHarness(2);
    const b = makeHarness(1);
    expect(() => b.gic.loadState(a.gic.getState())).toThrow(/2 CPUs/);
    const c = makeHarness(2, { numIntids: 256 });
    expect(() => c.gic.loadState(a.gic.getState())).toThrow(/INTIDs/);
    expect(() => a.gic.loadState({ ...a.gic.getState(), version: 2 as 1 })).toThrow(/version/);
  });

  it('state holds no class instances or functions', () => {
    const a = makeHarness(2);
    busy(a);
    const walk = (v: unknown): void => {
      if (typeof v === 'function') throw new Error('function in state');
      if (v !== null && typeof v === 'object') {
        const proto = Object.getPrototypeOf(v);
        expect(proto === Object.prototype || proto === Array.prototype).toBe(true);
        for (const x of Object.values(v)) walk(x);
      } else if (typeof v === 'number') {
        expect(Number.isFinite(v)).toBe(true);
      }
    };
    walk(a.gic.getState());
  });
});

// vgicFlush skips the SPI scan of a vGIC known to have no SPI pending or
// active (VgicHost.vgicSpisClear). Every way an SPI's bit gets set must take
// the vGIC out of that set: checked here against a host that never
// remembers (its flushes always scan), LR by LR.
import { describe, expect, it } from 'vitest';
import { ICH_LR_EL2 } from '../../devices/gicv3/registers.js';
import type { VgicState, VmState } from '../state.js';
import { gicdWrite } from './mmio.js';
import { createVgic, setLevel, slotOf, vgicFlush, vgicSync, type VgicHost } from './vgic.js';

interface TestHost extends VgicHost {
  lrs: Map<number, bigint>;
  notify(): void;
  hwDeactivated(): void;
}

function host(remembers: boolean): TestHost {
  const lrs = new Map<number, bigint>();
  const remembered = new WeakSet<VgicState>();
  return {
    lrs,
    sysRead: (_cpu, key) => lrs.get(key) ?? 0n,
    sysWrite: (_cpu, key, value) => void lrs.set(key, value),
    hwLevel: () => false,
    hwDrop: () => {},
    notify: () => {},
    hwDeactivated: () => {},
    get vgicSpisClear(): WeakSet<VgicState> {
      return remembers ? remembered : new WeakSet();
    },
  };
}

function vmWith(numVcpus: number): VmState {
  const gic = createVgic(numVcpus);
  gic.ctlr = 3;
  gic.enabled.fill(1);
  return { vcpus: Array.from({ length: numVcpus }, () => ({})), gic } as unknown as VmState;
}

const lrList = (h: TestHost): bigint[] => [0, 1, 2, 3].map((i) => h.lrs.get(ICH_LR_EL2(i)) ?? 0n);

describe('vgicFlush with vgicSpisClear', () => {
  // Each way an SPI's bit gets set, from a vGIC a flush has just found clear.
  const ways: Record<string, { intid: number; set: (h: TestHost, vm: VmState) => void }> = {
    'a device line': { intid: 33, set: (h, vm) => setLevel(h, vm, slotOf(vm, 0, 33), true) },
    'a GICD_ISPENDR write': { intid: 72, set: (h, vm) => void gicdWrite(h, vm, 0, 0x200 + 4 * 2, 4, 1n << 8n) },
    'a GICD_ISACTIVER write': { intid: 52, set: (h, vm) => void gicdWrite(h, vm, 0, 0x300 + 4 * 1, 4, 1n << 20n) },
    'an LR read back active': {
      intid: 60,
      set: (h, vm) => {
        vm.gic.lrSlot[0] = [slotOf(vm, 0, 60)];
        h.lrs.set(ICH_LR_EL2(0), (2n << 62n) | (1n << 60n) | 60n);
      },
    },
  };
  for (const [name, way] of Object.entries(ways)) {
    it(`finds an SPI set by ${name} after a flush that found none`, () => {
      const runs = [true, false].map((remembers) => {
        const h = host(remembers);
        const vm = vmWith(2);
        vgicFlush(h, 0, vm, 0, 0);
        way.set(h, vm);
        vgicSync(h, 0, vm, 0);
        vgicFlush(h, 0, vm, 0, 0);
        return lrList(h);
      });
      expect(runs[0]).toEqual(runs[1]);
      expect(Number(runs[0]![0]! & 0xffffn)).toBe(way.intid); // not vacuous: it reached an LR
    });
  }

  it('a restored (new) vGIC state is scanned even when an old one was known clear', () => {
    const h = host(true);
    const vm = vmWith(1);
    vgicFlush(h, 0, vm, 0, 0);
    expect(h.vgicSpisClear.has(vm.gic)).toBe(true);
    const restored = structuredClone(vm);
    restored.gic.pending[slotOf(restored, 0, 40)] = 1;
    expect(vgicFlush(h, 0, restored, 0, 0)).toBe(1);
    expect(Number(h.lrs.get(ICH_LR_EL2(0))! & 0xffffn)).toBe(40);
  });
});

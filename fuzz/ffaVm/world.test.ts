// The campaign's one machine, restored per case (world.ts): after any case,
// reset() gives back exactly the initial state (the hypervisor's record and
// every RAM byte), so a case runs the same on a reused machine as on a new one.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HYPERVISOR_COMPONENT } from '../../core/hypervisor/hypervisor.js';
import { runVmCase, vmCaseArb } from './target.js';
import { VmWorld } from './world.js';

const digest = (w: VmWorld): string => createHash('sha256').update(JSON.stringify(w.m.component(HYPERVISOR_COMPONENT).getState())).update(w.m.core.ramView()).digest('hex');

describe('VmWorld', () => {
  it('reset() restores the initial hypervisor record and RAM after cases; a case gives the same on a reused machine as on a fresh one', () => {
    const reused = new VmWorld('');
    const initial = digest(reused);
    const cases = fc.sample(vmCaseArb(), { seed: 7, numRuns: 12 });
    for (const c of cases) {
      const onReused = new Set<string>();
      expect(runVmCase(reused, c, onReused)).toBeNull();
      const onFresh = new Set<string>();
      expect(runVmCase(new VmWorld(''), c, onFresh)).toBeNull();
      expect([...onReused]).toEqual([...onFresh]);
    }
    reused.reset();
    expect(digest(reused)).toBe(initial);
  }, 60_000);
});

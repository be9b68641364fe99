import { describe, expect, it } from 'vitest';
import { Machine } from '../machine.js';
import { installSpmc } from './installSpmc.js';
import { testPartitionPackage } from './testPartition.js';
import { SPMC_COMPONENT } from './spmc.js';

describe('installSpmc', () => {
  it('refuses bad packages in one line before anything runs, and a machine without two Security states', () => {
    const m = new Machine({ numCpus: 1, ramBytes: 32 << 20, seed: 1n, secure: true });
    expect(() => installSpmc(m, [new Uint8Array(16)])).toThrow(/^SP package 0: SP package length/);
    const twice = testPartitionPackage({ id: 0x8001 });
    expect(() => installSpmc(m, [twice, twice])).toThrow(/both have ID 0x8001/);
    expect(() => installSpmc(new Machine({ numCpus: 1, ramBytes: 32 << 20, seed: 1n }), [])).toThrow(/two Security states/);
  });

  it('places the packages, installs the SPMC at Secure EL2 and registers its record', () => {
    const m = new Machine({ numCpus: 1, ramBytes: 32 << 20, seed: 1n, secure: true });
    const spmc = installSpmc(m, [testPartitionPackage({ id: 0x8001 })]);
    expect(m.software.get('el2-s')).toBe(spmc);
    expect(m.componentNames()).toContain(SPMC_COMPONENT);
    expect(new DataView(m.core.readPhys(0x0e00_2000, 16).slice().buffer).getUint32(4, true)).toBe(1);
  });

  it('hands the machine\'s planted defect (--mutate, core/mutations.ts) to the memory ledger, and none by default', () => {
    const mutated = new Machine({ numCpus: 1, ramBytes: 32 << 20, seed: 1n, secure: true, mutation: 'reclaim-while-retrieved' });
    expect(installSpmc(mutated, [testPartitionPackage({ id: 0x8001 })]).ledger.mutation).toBe('reclaim-while-retrieved');
    const clean = new Machine({ numCpus: 1, ramBytes: 32 << 20, seed: 1n, secure: true });
    expect(installSpmc(clean, [testPartitionPackage({ id: 0x8001 })]).ledger.mutation).toBe('');
  });
});

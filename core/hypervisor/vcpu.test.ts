// The vCPU context switch carries each vCPU's own debug state (breakpoints,
// watchpoints, the OS lock); a context saved before the debug registers
// joined it loads their reset values.
import { describe, expect, it } from 'vitest';
import { Machine } from '../machine.js';
import { loadContext, saveContext, type SysAccess } from './vcpu.js';

const sys: SysAccess = { sysRead: () => 0n, sysWrite: () => {} };

describe('vCPU context and the debug registers', () => {
  it('saves and restores DBGBVR/DBGWCR/OSLSR per vCPU; an older context gets reset values', () => {
    const m = new Machine({ numCpus: 1, ramBytes: 16 << 20, seed: 1n });
    const regs = m.core.regs(0);
    regs.set('DBGBVR5_EL1', 0x4008_0000n);
    regs.set('DBGWCR3_EL1', 0x1ffn);
    regs.set('OSLSR_EL1', 0x8n);
    const a = saveContext(m.core, sys, 0);
    expect(a.sys['DBGBVR5_EL1']).toBe('0x40080000');
    regs.set('DBGBVR5_EL1', 0n);
    regs.set('DBGWCR3_EL1', 0n);
    regs.set('OSLSR_EL1', 0xan);
    loadContext(m.core, sys, 0, a);
    expect([regs.get('DBGBVR5_EL1'), regs.get('DBGWCR3_EL1'), regs.get('OSLSR_EL1')]).toEqual([0x4008_0000n, 0x1ffn, 0x8n]);
    const old = { ...a, sys: Object.fromEntries(Object.entries(a.sys).filter(([n]) => !/^(DBG|OS)/.test(n))) };
    loadContext(m.core, sys, 0, old);
    expect([regs.get('DBGBVR5_EL1'), regs.get('DBGWCR3_EL1'), regs.get('OSLSR_EL1')]).toEqual([0n, 0n, 0xan]);
  });
});

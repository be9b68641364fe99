// The state hash covers architectural state only: one state reached two ways
// hashes the same.
import { describe, expect, it } from 'vitest';
import { Machine } from '../core/machine.js';
import { captureMachine, restoreMachine } from '../core/snapshot.js';
import { machineStateHash } from './stateHash.js';

const EL1H = 0x5; // SPSR.M: EL1, SP_EL1

function machine(): Machine {
  return new Machine({ numCpus: 1, ramBytes: 16 << 20, seed: 1n });
}

describe('machineStateHash and the banked stack pointers', () => {
  it('hashes the live SP, not the stale copy of its bank', () => {
    const a = machine();
    a.core.setPstate(0, EL1H);
    a.core.setSp(0, 0x4000_1000n); // live; the core's SP_EL1 bank keeps its old value until the next bank switch
    // The same state by a restore, which writes the bank from the live SP.
    const b = machine();
    restoreMachine(b, captureMachine(a));
    expect(b.core.getSp(0)).toBe(0x4000_1000n);
    expect(b.core.reg(0, 'SP_EL1')).toBe(a.core.reg(0, 'SP_EL1'));
    expect(machineStateHash(b)).toBe(machineStateHash(a));
  });

  it('still tells different live SPs and different other banks apart', () => {
    const a = machine();
    a.core.setPstate(0, EL1H);
    a.core.setSp(0, 0x4000_1000n);
    const h = machineStateHash(a);
    a.core.setSp(0, 0x4000_2000n);
    expect(machineStateHash(a)).not.toBe(h);
    a.core.setSp(0, 0x4000_1000n);
    expect(machineStateHash(a)).toBe(h);
    a.core.regs(0).set('SP_EL0', 0x1234n); // not live at EL1h: its bank is the value
    expect(machineStateHash(a)).not.toBe(h);
  });
});

// Versioned state records load older versions (stateRecord.ts): fields added
// since take their reset values, version bumps are upgraded step by step,
// newer records are refused by name. Whole-machine: every component's record.
import { describe, expect, it } from 'vitest';
import { upgradeRecord, withDefaults, type RecordSchema } from './stateRecord.js';
import { Machine } from './machine.js';
import { bootKernel } from './firmware/boot.js';
import { captureMachine, restoreMachine, type MachineSnapshot } from './snapshot.js';
import { selftestImage } from '../guests/selftest/index.js';
import { Hypervisor } from './hypervisor/hypervisor.js';
import { attachMonitor } from './hypervisor/monitor/attach.js';
import { hvMachine } from './hypervisor/testing.js';

describe('withDefaults', () => {
  it('fills only the fields whose path is accepted and names the others', () => {
    const missing: string[] = [];
    const out = withDefaults({ cpus: [{}, {}], m: {} }, { cpus: [{ a: 1, b: 2 }, { a: 1, b: 2 }], m: { k: 0 }, top: 0 }, (p) => p === 'cpus[].a' || p.startsWith('m.'), missing);
    expect(out).toEqual({ cpus: [{ a: 1 }, { a: 1 }], m: { k: 0 } });
    expect(missing).toEqual(['cpus[].b', 'cpus[].b', 'top']);
  });

  it('fills missing fields from the defaults, deep in plain objects and per array element', () => {
    const rec = { a: 1, nested: { x: 1 }, cpus: [{ p: 1 }, { p: 2 }], list: [5] };
    const def = { a: 0, b: 7, nested: { x: 0, y: 9 }, cpus: [{ p: 0, q: 3 }, { p: 0, q: 4 }, { p: 0, q: 5 }], list: [0, 0], extra: [1] };
    expect(withDefaults(rec, def)).toEqual({ a: 1, b: 7, nested: { x: 1, y: 9 }, cpus: [{ p: 1, q: 3 }, { p: 2, q: 4 }], list: [5], extra: [1] });
    expect(rec).toEqual({ a: 1, nested: { x: 1 }, cpus: [{ p: 1 }, { p: 2 }], list: [5] }); // not changed in place
  });
});

describe('upgradeRecord', () => {
  const schema: RecordSchema = {
    name: 'widget state',
    version: 3,
    optional: ['mode'],
    steps: {
      1: (r) => {
        r['count'] = Number(r['countText']);
        delete r['countText'];
      },
      2: (r) => (r['count'] === -1 ? new Error('count -1 had no meaning') : undefined),
    },
  };
  it('applies the steps in order from the record version', () => {
    expect(upgradeRecord(schema, { version: 1, countText: '4' }, { version: 3, count: 0, mode: 'x' })).toEqual({ version: 3, count: 4, mode: 'x' });
    expect(upgradeRecord(schema, { version: 2, count: 5 })).toEqual({ version: 3, count: 5 });
  });
  it('refuses newer, unversioned and unconvertible records with one line naming the component', () => {
    expect(() => upgradeRecord(schema, { version: 4 })).toThrow('widget state version 4 is newer than this hvrr reads (1 to 3)');
    expect(() => upgradeRecord(schema, { count: 1 })).toThrow('widget state has no version');
    expect(() => upgradeRecord(schema, 'x')).toThrow('widget state is not a record');
    expect(() => upgradeRecord(schema, { version: 2, count: -1 })).toThrow('widget state version 2: count -1 had no meaning');
    expect(() => upgradeRecord({ name: 'w', version: 2, oldest: 2 }, { version: 1 })).toThrow('w version 1 is not supported (this hvrr reads 2)');
  });
});

/** A machine under the hypervisor with the monitor: every kind of component record. */
function build(): Machine {
  const r = hvMachine({ vms: [{ numVcpus: 2, ramBytes: 32 << 20, kernel: selftestImage() }] }, { numCpus: 2 });
  attachMonitor(r.hv);
  return r.m;
}

function detach(s: MachineSnapshot): MachineSnapshot {
  const { ram, secureRam, ...rest } = s;
  return { ...structuredClone(rest), ram: ram.slice(), secureRam: secureRam.slice() };
}

function fresh(like: Machine): Machine {
  const m = new Machine({ numCpus: like.numCpus, ramBytes: like.config.ramBytes, seed: like.config.seed });
  attachMonitor(new Hypervisor(m, null));
  return m;
}

describe('every component record', () => {
  it('a CPU record without registers added later restores and continues identically', () => {
    const a = build();
    a.run(400_000);
    const snap = detach(captureMachine(a));
    a.run(50_000_000);
    // As if written before these registers existed: their values are still the reset values.
    for (const c of snap.cpus) {
      const r = c as unknown as { sysregs: Record<string, string> };
      delete r.sysregs['AMAIR_EL1'];
      delete r.sysregs['MDCR_EL2'];
    }
    const b = fresh(a);
    restoreMachine(b, snap);
    expect(b.core.regs(0).get('AMAIR_EL1')).toBe(b.core.regs(0).resetValue('AMAIR_EL1'));
    b.run(50_000_000);
    expect(b.stopped).toEqual({ kind: 'system-off' });
    expect(b.trace.digest()).toBe(a.trace.digest());
    expect(b.instructions).toBe(a.instructions);
  });

  it('a record without a required field is refused naming it', () => {
    const a = build();
    const base = detach(captureMachine(a));
    const cases: Array<[(s: MachineSnapshot) => void, RegExp]> = [
      [(s) => delete (s.cpus[0] as unknown as Record<string, unknown>)['fpcr'], /CPU record lacks fpcr/],
      [(s) => delete (s.uart as unknown as Record<string, unknown>)['cr'], /PL011 state lacks cr/],
      [(s) => delete (s.timer as unknown as { cpus: Array<Record<string, unknown>> }).cpus[1]!['sec'], /generic timer state lacks cpus\[\]\.sec/],
      [(s) => delete (s.components['hypervisor'] as Record<string, unknown>)['consoleVm'], /hypervisor state lacks consoleVm/],
      [(s) => delete (s.machine as unknown as Record<string, unknown>)['exceptionCount'], /machine state lacks exceptionCount/],
    ];
    for (const [change, msg] of cases) {
      const s = detach(base);
      change(s);
      expect(() => restoreMachine(fresh(a), s)).toThrow(msg);
    }
  });

  it('a record of a newer version is refused by name', () => {
    const a = build();
    const base = detach(captureMachine(a));
    const cases: Array<[string, (s: MachineSnapshot) => void, RegExp]> = [
      ['machine', (s) => ((s.machine as unknown as Record<string, unknown>)['version'] = 9), /machine state version 9 is newer/],
      ['cpu', (s) => ((s.cpus[1] as unknown as Record<string, unknown>)['version'] = 9), /CPU record version 9 is newer/],
      ['queue', (s) => ((s.queue as unknown as Record<string, unknown>)['version'] = 9), /EventQueue state version 9 is newer/],
      ['prng', (s) => ((s.prng as unknown as Record<string, unknown>)['version'] = 9), /Prng state version 9 is newer/],
      ['trace', (s) => ((s.trace as unknown as Record<string, unknown>)['version'] = 9), /TraceSink state version 9 is newer/],
      ['gic', (s) => ((s.gic as unknown as Record<string, unknown>)['version'] = 9), /GIC state version 9 is newer/],
      ['timer', (s) => ((s.timer as unknown as Record<string, unknown>)['version'] = 9), /generic timer state version 9 is newer/],
      ['uart', (s) => ((s.uart as unknown as Record<string, unknown>)['version'] = 9), /PL011 state version 9 is newer/],
      ['rtc', (s) => ((s.rtc as unknown as Record<string, unknown>)['version'] = 9), /PL031 state version 9 is newer/],
      ['hv', (s) => ((s.components['hypervisor'] as Record<string, unknown>)['version'] = 9), /hypervisor state version 9 is newer/],
      ['virtio', (s) => (((s.components['hypervisor'] as { vms: Array<{ virtio: Array<Record<string, unknown>> }> }).vms[0]!.virtio[0]!)['version'] = 9), /virtio device state version 9 is newer/],
      ['monitor', (s) => ((s.components['hv-monitor'] as Record<string, unknown>)['version'] = 9), /monitor state version 9 is newer/],
      ['snapshot', (s) => ((s as unknown as Record<string, unknown>)['version'] = 9), /machine snapshot version 9 is newer/],
    ];
    for (const [what, change, msg] of cases) {
      const s = detach(base);
      change(s);
      expect(() => restoreMachine(fresh(a), s), what).toThrow(msg);
    }
  });
});

describe('CPU records', () => {
  it('a register the record lacks loads with its reset value, per CPU (MPIDR_EL1 included)', () => {
    const m = new Machine({ numCpus: 2, ramBytes: 16 << 20, seed: 1n });
    bootKernel(m, { kernel: selftestImage() });
    m.run(20_000);
    const snap = detach(captureMachine(m));
    for (const c of snap.cpus) {
      const r = c as unknown as { sysregs: Record<string, string> };
      delete r.sysregs['MPIDR_EL1'];
      delete r.sysregs['SCTLR_EL1'];
    }
    const b = new Machine({ numCpus: 2, ramBytes: 16 << 20, seed: 1n });
    restoreMachine(b, snap);
    expect(b.core.regs(1).get('MPIDR_EL1')).toBe(0x8000_0001n);
    expect(b.core.regs(0).get('SCTLR_EL1')).toBe(0x30d0_0800n);
  });
});

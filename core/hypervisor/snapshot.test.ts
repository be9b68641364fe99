// Snapshot round trip mid-run with the hypervisor's state as a component:
// a restored machine continues exactly as the original.
import { describe, expect, it } from 'vitest';
import { Machine } from '../machine.js';
import { captureMachine, restoreMachine, type MachineSnapshot } from '../snapshot.js';
import { Hypervisor, type HypervisorConfig } from './hypervisor.js';
import { hvMachine } from './testing.js';
import { selftestImage } from '../../guests/selftest/index.js';

const MiB = 1 << 20;

/** A deep copy that shares no memory with the machine it came from. */
function detach(s: MachineSnapshot): MachineSnapshot {
  return { ...structuredClone({ ...s, ram: new Uint8Array(0), secureRam: new Uint8Array(0) }), ram: s.ram.slice(), secureRam: s.secureRam.slice() };
}

function scenario(name: string, cfg: HypervisorConfig, numCpus: number, at: number): void {
  it(`${name}: restore at instruction ${at.toLocaleString('en-US')} continues identically`, () => {
    const a = hvMachine(cfg, { numCpus });
    a.m.run(at);
    const snap = detach(captureMachine(a.m));
    expect(Object.keys(snap.components)).toContain('hypervisor');
    const before = a.console().length;
    a.m.run(300_000_000);
    expect(a.m.stopped).toEqual({ kind: 'system-off' });

    const b = new Machine({ numCpus, ramBytes: a.m.config.ramBytes, seed: a.m.config.seed });
    const out: number[] = [];
    b.onConsole = (x) => out.push(x);
    new Hypervisor(b, null);
    restoreMachine(b, snap);
    b.run(300_000_000);
    expect(b.stopped).toEqual({ kind: 'system-off' });
    expect(b.instructions).toBe(a.m.instructions);
    expect(b.trace.digest()).toBe(a.m.trace.digest());
    expect(Buffer.from(out).toString('latin1')).toBe(a.console().slice(before));
    expect(b.component('hypervisor').getState()).toEqual(a.m.component('hypervisor').getState());
  });
}

describe('hypervisor snapshots', () => {
  const vm = (numVcpus: number) => ({ numVcpus, ramBytes: 32 * MiB, kernel: selftestImage() });
  scenario('4 vCPUs on 1 pCPU', { vms: [vm(4)] }, 1, 12_000_000);
  scenario('4 vCPUs on 4 pCPUs', { vms: [vm(4)] }, 4, 900_000);
  scenario('2 VMs on 1 pCPU', { vms: [vm(1), vm(1)] }, 1, 1_700_000);
});

describe('hypervisor state versions', () => {
  it('a version 1 record (before virtio) loads as the current version and the guests continue identically', () => {
    const cfg = { vms: [0, 1].map(() => ({ numVcpus: 1, ramBytes: 32 * MiB, kernel: selftestImage() })) };
    const a = hvMachine(cfg, { numCpus: 1 });
    a.m.run(1_700_000);
    const snap = detach(captureMachine(a.m));
    // What version 1 held: no virtio devices, no vswitch, line-buffered console, no console fields.
    const hv = snap.components['hypervisor'] as Record<string, unknown> & { vms: Array<Record<string, unknown>> };
    for (const vm of hv.vms) delete vm['virtio'];
    delete hv['vswitch'];
    delete hv['consoleOwner'];
    delete hv['consoleVm'];
    delete hv['consoleEscape'];
    delete hv['ffa'];
    hv['version'] = 1;
    a.m.run(300_000_000);

    const b = new Machine({ numCpus: 1, ramBytes: a.m.config.ramBytes, seed: a.m.config.seed });
    const bhv = new Hypervisor(b, null);
    restoreMachine(b, snap);
    expect(bhv.s.version).toBe(6);
    expect(bhv.s.consoleEscape).toBe(false);
    expect(bhv.s.vms.map((vm) => vm.virtio)).toEqual([[], []]);
    expect(bhv.s.vswitch.ports).toHaveLength(2);
    b.run(300_000_000);
    expect(b.stopped).toEqual({ kind: 'system-off' });
    // The guests run exactly as before; only console bytes a VM had buffered may differ (dropped by the upgrade).
    expect(b.instructions).toBe(a.m.instructions);
    expect(b.getMachineState().exceptionCount).toBe(a.m.getMachineState().exceptionCount);
  });

  /** A record of `version` made from a current one by `downgrade`, restored: the current version with the FF-A record it had; the guests continue identically. */
  function olderRecord(version: number, downgrade: (hv: Record<string, unknown> & { ffa: Record<string, unknown> & { vms: Array<Record<string, unknown>> } }) => void): Hypervisor {
    const cfg = { vms: [0, 1].map(() => ({ numVcpus: 1, ramBytes: 32 * MiB, kernel: selftestImage() })) };
    const a = hvMachine(cfg, { numCpus: 1 });
    a.m.run(1_700_000);
    const snap = detach(captureMachine(a.m));
    const hv = snap.components['hypervisor'] as Parameters<typeof downgrade>[0];
    const fresh = structuredClone(hv.ffa);
    downgrade(hv);
    hv['version'] = version;
    a.m.run(300_000_000);

    const b = new Machine({ numCpus: 1, ramBytes: a.m.config.ramBytes, seed: a.m.config.seed });
    const bhv = new Hypervisor(b, null);
    restoreMachine(b, snap);
    expect(bhv.s.version).toBe(6);
    expect(bhv.s.ffa).toEqual(fresh); // the selftest guest makes no FF-A call: the record it had
    b.run(300_000_000);
    expect(b.stopped).toEqual({ kind: 'system-off' });
    expect(b.instructions).toBe(a.m.instructions);
    expect(b.trace.digest()).toBe(a.m.trace.digest());
    return bhv;
  }

  it('a version 3 record (before the FF-A proxy) loads with every VM owning its RAM and no FF-A state, and continues identically', () => {
    const bhv = olderRecord(3, (hv) => { delete (hv as Record<string, unknown>)['ffa']; });
    expect(bhv.s.ffa.ledger.regions.map((r) => r.owner)).toEqual([1, 2]);
    expect(bhv.s.ffa.pending).toEqual([null]);
  });

  it('a version 4 record (before notifications for VMs) loads with no VM bitmap at the SPMC, and continues identically', () => {
    const bhv = olderRecord(4, (hv) => { for (const v of hv.ffa.vms) for (const k of ['spmcBitmap', 'spmcRxtx', 'rxAcquired']) delete v[k]; });
    expect(bhv.s.ffa.vms.map((v) => v.spmcBitmap)).toEqual([false, false]);
  });

  it('a version 5 record (before memory partitions send to VMs) loads with no VM borrowing from a partition, and continues identically', () => {
    const bhv = olderRecord(5, (hv) => { delete hv.ffa['spBorrows']; });
    expect(bhv.s.ffa.spBorrows).toEqual([]);
  });

  it('an unknown version is refused by name', () => {
    const m = new Machine({ numCpus: 1, ramBytes: 64 * MiB, seed: 1n });
    new Hypervisor(m, null);
    expect(() => m.component('hypervisor').loadState({ version: 7 })).toThrow(/hypervisor state version 7 is newer than this hvrr reads \(1 to 6\)/);
  });
});

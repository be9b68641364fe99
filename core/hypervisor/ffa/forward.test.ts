// Whole-machine tests of forwarding: a VM under the hypervisor sends direct
// requests to the test S-EL2 plug-in's partition (core/firmware/sel2TestPlugin.ts)
// through the proxy and the EL3 firmware's SPMD.
import { describe, expect, it } from 'vitest';
import * as F from '../../ffa/functionIds.js';
import { INVALID_PARAMETERS } from '../../ffa/errors.js';
import { Machine } from '../../machine.js';
import { secureColdBoot } from '../../firmware/secureBoot.js';
import { loadPartition, PARTITION_ID, Sel2TestPlugin, TEST_SPMC_ENTRY } from '../../firmware/sel2TestPlugin.js';
import { captureMachine, restoreMachine } from '../../snapshot.js';
import { Hypervisor, machineRamFor, type HypervisorConfig } from '../hypervisor.js';
import { guestImage, irqCount, res } from '../testGuest.js';
import { errW2, ffaAsm, storeAsm } from './testing.js';

const MiB = 1 << 20;
const REQ = (vm: number): number => ((vm + 1) << 16) | PARTITION_ID;

function secureHvMachine(main: string, vms = 1, numCpus = 1) {
  const image = guestImage({ main });
  const cfg: HypervisorConfig = { vms: Array.from({ length: vms }, () => ({ numVcpus: 1, ramBytes: 32 * MiB, kernel: image })) };
  const m = new Machine({ numCpus, ramBytes: machineRamFor(cfg), seed: 7n, secure: true });
  const hv = new Hypervisor(m, cfg);
  const plugin = new Sel2TestPlugin(numCpus);
  m.software.install('el2-s', plugin);
  m.registerComponent('sel2-test', plugin);
  loadPartition(m);
  secureColdBoot(m, { entry: TEST_SPMC_ENTRY, manifestAddress: 0x0e00_2000n });
  return { m, hv, plugin };
}

describe('FF-A proxy: forwarding to the SPMC', () => {
  it('direct requests 32/64 reach the partition with the VM\'s ID and its answers come back; SPM_ID_GET; errors pass through', () => {
    const { m, hv } = secureHvMachine(`
${ffaAsm('smc', F.FFA_VERSION, F.FFA_VERSION_1_1)}${storeAsm(0, 'x0')}
    mrs x10, mpidr_el1
    ldr x11, =0x40000000
${ffaAsm('hvc', 2)}
    add x12, x1, #1
    lsl x12, x12, #16
    ldr x13, =${PARTITION_ID}
    orr x12, x12, x13
${ffaAsm('smc', F.FFA_MSG_SEND_DIRECT_REQ_32, 'x12', 0, 0, 5)}${storeAsm(1, 'x0', 'x1', 'x4')}
${ffaAsm('hvc', F.FFA_MSG_SEND_DIRECT_REQ_64, 'x12', 0, 0, 0x1_0000_0000n)}${storeAsm(4, 'x0', 'x1', 'x4')}
${ffaAsm('smc', F.FFA_SPM_ID_GET)}${storeAsm(7, 'x0', 'x2')}
    add x12, x12, #1
${ffaAsm('smc', F.FFA_MSG_SEND_DIRECT_REQ_32, 'x12', 0, 0, 5)}${storeAsm(9, 'x0', 'x2')}
`, 2);
    expect(m.run(20_000_000)).toEqual({ kind: 'system-off' });
    for (const vm of [0, 1]) {
      expect(res(hv, 0, vm)).toBe(BigInt(F.FFA_VERSION_1_2));
      expect([res(hv, 1, vm), res(hv, 2, vm), res(hv, 3, vm)]).toEqual([BigInt(F.FFA_MSG_SEND_DIRECT_RESP_32), BigInt(((PARTITION_ID << 16) | (vm + 1)) >>> 0), 0x1005n]);
      expect([res(hv, 4, vm), res(hv, 5, vm), res(hv, 6, vm)]).toEqual([BigInt(F.FFA_MSG_SEND_DIRECT_RESP_64), BigInt(((PARTITION_ID << 16) | (vm + 1)) >>> 0), 0x1_0000_1000n]);
      expect([res(hv, 7, vm), res(hv, 8, vm)]).toEqual([BigInt(F.FFA_SUCCESS_32), 0x8000n]);
      expect([res(hv, 9, vm), res(hv, 10, vm)]).toEqual([BigInt(F.FFA_ERROR), errW2(INVALID_PARAMETERS)]); // no partition 0x8002
    }
    expect(hv.s.ffa.pending).toEqual([null]);
  });

  it('a Non-secure interrupt preempts the partition: the VM gets FFA_INTERRUPT, takes its interrupt, and resumes the partition with FFA_RUN; snapshots while preempted and while the request is in the Secure world continue identically', () => {
    const main = `
    mov x1, #0
    bl gic_init
    mov x0, #2000
    msr cntv_tval_el0, x0
    mov x0, #1
    msr cntv_ctl_el0, x0
    msr daifclr, #2
    mov x20, #0
${ffaAsm('smc', F.FFA_MSG_SEND_DIRECT_REQ_32, REQ(0), 0, 3, 3_000_000)}
1:  ldr x9, =${F.FFA_INTERRUPT}
    cmp x0, x9
    b.ne 2f
    add x20, x20, #1
    ldr x0, =${F.FFA_RUN}
    ldr x1, =${PARTITION_ID << 16}
    smc #0
    b 1b
2:
${storeAsm(0, 'x0', 'x1', 'x4', 'x20')}
`;
    const { m, hv, plugin } = secureHvMachine(main);
    // Run until the partition is preempted and the VM has not resumed it yet, snapshot there.
    while (plugin.s.cpus[0]!.phase !== 'preempted' && !m.stopped) m.run(m.instructions + 20);
    expect(plugin.s.cpus[0]!.phase).toBe('preempted');
    const s0 = captureMachine(m);
    const snap = { ...structuredClone({ ...s0, ram: new Uint8Array(0), secureRam: new Uint8Array(0) }), ram: s0.ram.slice(), secureRam: s0.secureRam.slice() };
    expect(m.run(60_000_000)).toEqual({ kind: 'system-off' });
    const b = secureHvMachine(main);
    restoreMachine(b.m, snap);
    expect(b.m.run(60_000_000)).toEqual({ kind: 'system-off' });
    expect(b.m.instructions).toBe(m.instructions);
    expect(b.m.trace.digest()).toBe(m.trace.digest());
    expect(b.hv.s).toEqual(hv.s);

    // Again, with the snapshot taken while the forwarded request is in the Secure world (pending).
    const c = secureHvMachine(main);
    while (c.hv.s.ffa.pending[0] === null && !c.m.stopped) c.m.run(c.m.instructions + 20);
    expect(c.hv.s.ffa.pending[0]).toMatchObject({ vm: 0, vcpu: 0, fid: F.FFA_MSG_SEND_DIRECT_REQ_32 });
    const s1 = captureMachine(c.m);
    const snap1 = { ...structuredClone({ ...s1, ram: new Uint8Array(0), secureRam: new Uint8Array(0) }), ram: s1.ram.slice(), secureRam: s1.secureRam.slice() };
    expect(c.m.run(60_000_000)).toEqual({ kind: 'system-off' });
    const d = secureHvMachine(main);
    restoreMachine(d.m, snap1);
    expect(d.m.run(60_000_000)).toEqual({ kind: 'system-off' });
    expect(d.m.trace.digest()).toBe(c.m.trace.digest());
    expect(res(d.hv, 0)).toBe(BigInt(F.FFA_MSG_SEND_DIRECT_RESP_32));
    expect([res(hv, 0), res(hv, 1), res(hv, 2)]).toEqual([BigInt(F.FFA_MSG_SEND_DIRECT_RESP_32), BigInt(((PARTITION_ID << 16) | 1) >>> 0), 0n]);
    expect(res(hv, 3)).toBeGreaterThanOrEqual(1n); // preempted at least once
    expect(irqCount(hv, 0, 27)).toBe(1); // the VM took its virtual timer interrupt
  });
});

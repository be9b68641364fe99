// The EL3 firmware's cold boot on a machine with two Security states: the
// GIC as TF-A's gicv3 driver leaves it, and Non-secure software written for
// a GIC with one Security state (the hypervisor and its self-test guest)
// running unchanged on it, with and without the SPMC booted first.
import { describe, expect, it } from 'vitest';
import { GICD_BASE, GICR_BASE, Machine } from '../machine.js';
import { Hypervisor, machineRamFor, type HypervisorConfig } from '../hypervisor/hypervisor.js';
import { selftestImage, SELFTEST_PASS_LINE } from '../../guests/selftest/index.js';
import { GICD_CTLR, GICD_IGROUPR, GICD_IGRPMODR, GICR_IGROUPR0, GICR_IGRPMODR0, GICR_SGI_BASE_OFFSET, GICR_STRIDE, GICR_WAKER } from '../devices/gicv3/registers.js';
import { secureColdBoot, el3FirmwareOf } from './secureBoot.js';
import { smcFromEl2 } from '../software/smcConduit.js';
import { loadPartition, Sel2TestPlugin, TEST_SPMC_ENTRY } from './sel2TestPlugin.js';

/** A 32-bit Secure read from EL3 on PE 0. */
function secureRead(m: Machine, pa: number): number {
  const pstate = m.core.pstate(0);
  m.core.setPstate(0, 0x3cd);
  const v = Number(m.bus.read(pa, 4, 0, true)!);
  m.core.setPstate(0, pstate);
  return v;
}

function hvOnSecureMachine(numCpus: number, withSpmc: boolean): { m: Machine; out: () => string; ffa: number[]; calls: Array<{ kind: string; cpu: number; fid: number; world: string }>; plugin: Sel2TestPlugin | undefined } {
  const cfg: HypervisorConfig = { vms: [{ numVcpus: numCpus, ramBytes: 64 << 20, kernel: selftestImage() }] };
  const m = new Machine({ numCpus, ramBytes: machineRamFor(cfg), seed: 7n, secure: true });
  const bytes: number[] = [];
  m.onConsole = (b) => bytes.push(b);
  const ffa: number[] = [];
  // FF-A and PSCI events in order: which PE, which function, from which world.
  const calls: Array<{ kind: string; cpu: number; fid: number; world: string }> = [];
  m.trace.subscribe((e) => {
    if (e.kind === 'ffa') ffa.push(e.fid);
    if (e.kind === 'ffa' || e.kind === 'psci') calls.push({ kind: e.kind, cpu: e.cpu, fid: e.kind === 'ffa' ? e.fid : e.fn, world: e.world ?? 'ns' });
  });
  new Hypervisor(m, cfg);
  const plugin = withSpmc ? new Sel2TestPlugin(numCpus) : undefined;
  if (plugin) {
    m.software.install('el2-s', plugin);
    loadPartition(m);
  }
  secureColdBoot(m, { entry: TEST_SPMC_ENTRY, manifestAddress: 0x0e00_2000n });
  return { m, out: () => Buffer.from(bytes).toString('latin1'), ffa, calls, plugin };
}

describe('secure cold boot', () => {
  it('leaves the GIC as TF-A does: affinity routing, Group 0 and Secure Group 1 on, redistributors awake, all Non-secure Group 1 but PPI 29 and SPI 8', () => {
    const m = new Machine({ numCpus: 2, ramBytes: 32 << 20, seed: 1n, secure: true });
    expect(secureRead(m, GICR_BASE + GICR_WAKER) & 2).toBe(2); // asleep at reset
    secureColdBoot(m);
    expect(secureRead(m, GICD_BASE + GICD_CTLR) & 0x37).toBe(0x35); // ARE_S, ARE_NS, EnableGrp1S, EnableGrp0
    expect(secureRead(m, GICD_BASE + GICD_IGROUPR + 4) >>> 0).toBe(0xffff_feff); // INTID 40 (SPI 8): Secure
    expect(secureRead(m, GICD_BASE + GICD_IGRPMODR + 4)).toBe(0x100);
    expect(secureRead(m, GICD_BASE + GICD_IGROUPR + 8) >>> 0).toBe(0xffff_ffff);
    for (let pe = 0; pe < 2; pe++) {
      const rd = GICR_BASE + pe * GICR_STRIDE;
      expect(secureRead(m, rd + GICR_WAKER) & 6, `PE ${pe}`).toBe(0);
      expect(secureRead(m, rd + GICR_SGI_BASE_OFFSET + GICR_IGROUPR0) >>> 0).toBe(0xdfff_ffff); // PPI 29: Secure
      expect(secureRead(m, rd + GICR_SGI_BASE_OFFSET + GICR_IGRPMODR0) >>> 0).toBe(0x2000_0000);
    }
    // The PE is where the boot loader left it (no S-EL2 software: no SPMC to run first).
    expect(m.core.el(0)).toBe(1);
    expect(m.core.isNonSecure(0)).toBe(true);
  });

  it('the hypervisor and its self-test run unchanged on a machine with two Security states (4 pCPUs)', () => {
    const { m, out } = hvOnSecureMachine(4, false);
    m.run(200_000_000);
    expect(m.stopped).toEqual({ kind: 'system-off' });
    expect(out()).not.toContain('FAIL');
    expect(out().trimEnd().split('\n').at(-1)).toBe(SELFTEST_PASS_LINE);
  });

  it('EL3 -> S-EL2 (SPMC init, partition) -> NS-EL2 hypervisor: the self-test passes after the SPMC booted first', () => {
    const { m, out, ffa } = hvOnSecureMachine(1, true);
    m.run(200_000_000);
    expect(m.stopped).toEqual({ kind: 'system-off' });
    expect(out()).not.toContain('FAIL');
    expect(out().trimEnd().split('\n').at(-1)).toBe(SELFTEST_PASS_LINE);
    expect(el3FirmwareOf(m).spmd.spmcState(0)).toBe('waiting');
    expect(ffa).toEqual([0, 0xc400_0087, 0x8400_006b]); // entry, SECONDARY_EP_REGISTER, MSG_WAIT: then the hypervisor
  });

  it('the hypervisor on 4 pCPUs starts pCPUs 1-3 by SMC CPU_ON: the SPMD runs the SPMC\'s secondary init on each first, then the pCPU enters the hypervisor at NS-EL2 and the self-test passes', () => {
    const { m, out, calls, plugin } = hvOnSecureMachine(4, true);
    m.run(400_000_000);
    expect(m.stopped).toEqual({ kind: 'system-off' });
    expect(out()).not.toContain('FAIL');
    expect(out().trimEnd().split('\n').at(-1)).toBe(SELFTEST_PASS_LINE);
    const spmd = el3FirmwareOf(m).spmd;
    for (let c = 0; c < 4; c++) expect(spmd.spmcState(c), `PE ${c}`).toBe('waiting');
    expect(plugin!.s.cpus.map((c) => c.phase)).toEqual(['ready', 'secondary', 'secondary', 'secondary']);
    // The boot: the SPMC's init on PE 0, then pCPU 0's CPU_ON SMCs, each followed
    // by the SPMD's entry of the SPMC's secondary entry on the target (Secure world).
    const boot = calls.slice(0, 3 + 3 * 2);
    expect(boot.slice(0, 3)).toEqual([
      { kind: 'ffa', cpu: 0, fid: 0, world: 's' }, { kind: 'ffa', cpu: 0, fid: 0xc400_0087, world: 's' }, { kind: 'ffa', cpu: 0, fid: 0x8400_006b, world: 's' },
    ]);
    for (let c = 1; c < 4; c++) {
      expect(boot.slice(1 + 2 * c, 3 + 2 * c)).toEqual([
        { kind: 'psci', cpu: 0, fid: 0xc400_0003, world: 'ns' }, { kind: 'ffa', cpu: c, fid: 0, world: 's' },
      ]);
    }
    // Each secondary ends its init with FFA_MSG_WAIT on its own PE before it runs Normal-world code.
    for (let c = 1; c < 4; c++) {
      const first = calls.findIndex((e) => e.cpu === c && e.world === 's' && e.fid === 0x8400_006b);
      expect(first, `PE ${c}`).toBeGreaterThan(0);
      expect(calls.findIndex((e) => e.cpu === c && e.world === 'ns'), `PE ${c}`).toBeGreaterThan(first);
    }
    // Same machine, same events.
    const again = hvOnSecureMachine(4, true).m;
    again.run(400_000_000);
    expect(again.trace.digest()).toBe(m.trace.digest());
  });

  it('FF-A from the hypervisor at NS-EL2 on every pCPU reaches the SPMC: FFA_VERSION before each pCPU\'s init is answered by the SPMC (1.1), not NOT_SUPPORTED by the SPMD', () => {
    const { m, out } = hvOnSecureMachine(4, true);
    const hv = m.software.get('el2-ns') as Hypervisor;
    // The hypervisor with a probe in front: at each pCPU's first resume, FFA_VERSION by SMC
    // (the answer comes back at NS-EL2 after the SPMC ran, through the machine's hand-over).
    const asked = new Set<number>();
    const answers = new Map<number, bigint>();
    m.software.install('el2-ns', {
      handle: (mm, cpu, toEl) => hv.handle(mm, cpu, toEl),
      resume(mm, cpu) {
        if (!hv.s.pcpus[cpu]!.started && !answers.has(cpu)) {
          if (!asked.has(cpu)) {
            asked.add(cpu);
            if (!smcFromEl2(mm, cpu, [0x8400_0063n, 0x1_0001n])) return; // to the SPMC: resumed with its answer
          }
          answers.set(cpu, mm.core.regs(cpu).x(0));
        }
        hv.resume(mm, cpu);
      },
    });
    m.run(400_000_000);
    expect(m.stopped).toEqual({ kind: 'system-off' });
    expect(out().trimEnd().split('\n').at(-1)).toBe(SELFTEST_PASS_LINE);
    expect([...answers.entries()].sort((a, b) => a[0] - b[0])).toEqual([[0, 0x1_0001n], [1, 0x1_0001n], [2, 0x1_0001n], [3, 0x1_0001n]]);
  });
});

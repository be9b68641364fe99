import { describe, expect, it } from 'vitest';
import { bootSpmcMachine } from '../../core/spmc/spmcTesting.js';
import { Machine } from '../../core/machine.js';
import { Hypervisor, machineRamFor, type HypervisorConfig } from '../../core/hypervisor/hypervisor.js';
import { installSpmc, SPMC_BOOT_INFO } from '../../core/spmc/installSpmc.js';
import { secureColdBoot } from '../../core/firmware/secureBoot.js';
import { bundledPartitions } from '../sp/index.js';
import { CLIENT_SUMMARY_PREFIX, clientChecks, clientSource, ffaClientImage } from './index.js';

/** Under the hypervisor, checks still waiting for the FF-A proxy: none (every check passes there too, on 1 and 4
 *  vCPUs; the hypervisor starts its pCPUs through the SPMD). */
const PENDING_HV = new Set<string>();
const SKIP_HV: string[] = [];

function runClient(numCpus: number): Report {
  const { m, spmc } = bootSpmcMachine(clientSource(), bundledPartitions().map((p) => p.package), { numCpus, ramBytes: 64 << 20 });
  return finish(m, spmc.consoleLines);
}

function runClientInVm(numVcpus: number, conduit: 'smc' | 'hvc'): Report {
  const cfg: HypervisorConfig = { vms: [{ numVcpus, ramBytes: 64 << 20, kernel: ffaClientImage({ conduit, skip: SKIP_HV }) }] };
  const m = new Machine({ numCpus: numVcpus, ramBytes: machineRamFor(cfg), seed: 7n, secure: true });
  new Hypervisor(m, cfg);
  const spmc = installSpmc(m, bundledPartitions().map((p) => p.package));
  secureColdBoot(m, SPMC_BOOT_INFO);
  return finish(m, spmc.consoleLines);
}

interface Report {
  lines: string[];
  secure: string[];
  stop: unknown;
  /** PEs that made an FF-A call to EL3 (an SMC from EL1 or EL2 of the Normal world). */
  cpusCalling: number[];
}

function finish(m: Machine, secure: string[]): Report {
  const out: number[] = [];
  const calling = new Set<number>();
  m.trace.subscribe((e) => { if (e.kind === 'exception' && e.toEl === 3 && e.ec === 0x17) calling.add(e.cpu); });
  m.onConsole = (b) => out.push(b);
  const stop = m.run(100_000_000);
  return { lines: Buffer.from(out).toString('latin1').split('\n').filter((l) => l !== ''), secure, stop, cpusCalling: [...calling].sort() };
}

/** One line per check in order, no failure outside `pending`, the summary line, the partitions' console lines. */
function expectReport(r: Report, names: string[], pending: Set<string>): void {
  expect(r.stop).toEqual({ kind: 'system-off' });
  const results = r.lines.filter((l) => /^(PASS|FAIL) /.test(l));
  expect(results.map((l) => l.split(/[ :]/)[1])).toEqual(names);
  expect(results.filter((l) => l.startsWith('FAIL') && !pending.has(l.split(/[ :]/)[1]!))).toEqual([]);
  const passed = results.filter((l) => l.startsWith('PASS')).length;
  expect(r.lines.at(-1)).toBe(`${CLIENT_SUMMARY_PREFIX} pass=${passed} fail=${names.length - passed}`);
  expect(passed).toBeGreaterThanOrEqual(names.length - pending.size);
  // Every partition logged its start through FFA_CONSOLE_LOG.
  for (const [id, name] of [['0x8001', 'sp1'], ['0x8002', 'sp2'], ['0x8003', 'sp3']]) expect(r.secure).toContain(`[${id}] ${name}: up, waiting for requests`);
}

describe('the Normal-world FF-A test client', () => {
  it('assembles with both conduits; check names are unique', () => {
    expect(ffaClientImage({ conduit: 'smc' }).length).toBeGreaterThan(0);
    expect(ffaClientImage({ conduit: 'hvc' }).length).toBeGreaterThan(0);
    const names = clientChecks().map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(50);
  });

  for (const numCpus of [1, 4]) {
    it(`runs bare at NS-EL1 against the SPMC and the bundled partitions (${numCpus} CPU${numCpus > 1 ? 's' : ''}): one line per check, every check passes`, () => {
      const r = runClient(numCpus);
      expectReport(r, clientChecks().map((c) => c.name), new Set());
      // direct-from-every-cpu ran SP1 on every secondary PE too.
      expect(r.cpusCalling).toEqual(Array.from({ length: numCpus }, (_, i) => i));
    });
  }
  it('is deterministic: two runs bare on 4 CPUs give the same trace digest and instruction count', () => {
    const run = (): [string, number] => {
      const { m } = bootSpmcMachine(clientSource(), bundledPartitions().map((p) => p.package), { numCpus: 4, ramBytes: 64 << 20 });
      expect(m.run(100_000_000)).toEqual({ kind: 'system-off' });
      return [m.trace.digest(), m.instructions];
    };
    expect(run()).toEqual(run());
  });
  for (const [numVcpus, conduit] of [[1, 'smc'], [1, 'hvc'], [4, 'smc']] as const) {
    it(`runs as a VM under the hypervisor's FF-A proxy (${numVcpus} vCPU${numVcpus > 1 ? 's' : ''}, ${conduit}): every available check passes`, () => {
      expectReport(runClientInVm(numVcpus, conduit), clientChecks().map((c) => c.name).filter((n) => !SKIP_HV.includes(n)), PENDING_HV);
    });
  }
});

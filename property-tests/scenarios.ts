// The scenarios the record/replay and snapshot property tests run on. A
// later component (hypervisor, SPMC, virtio...) joins by adding a scenario
// here that builds a machine with it (its state registered through
// Machine.registerComponent); every property then covers it.
import { Machine } from '../core/machine.js';
import { bootKernel } from '../core/firmware/boot.js';
import { selftestImage } from '../guests/selftest/index.js';
import { diagImage } from '../guests/diag/index.js';
import { Hypervisor, machineRamFor, type HypervisorConfig } from '../core/hypervisor/hypervisor.js';

const GUEST_RAM = 32 << 20;

/** A machine running `vms` VMs of `kernel` under the hypervisor on `pcpus` physical CPUs. */
function underHypervisor(kernel: Uint8Array, vms: number, vcpus: number, pcpus: number, seed: bigint, quantumTicks: number): Machine {
  const cfg: HypervisorConfig = { vms: Array.from({ length: vms }, () => ({ numVcpus: vcpus, ramBytes: GUEST_RAM, kernel })) };
  const m = new Machine({ numCpus: pcpus, ramBytes: machineRamFor(cfg), seed, quantumTicks });
  new Hypervisor(m, cfg);
  return m;
}

export interface Scenario {
  name: string;
  /** CPU counts worth trying. */
  cpus: readonly number[];
  /** Build a ready-to-run machine. */
  build(opts: { numCpus: number; seed: bigint; quantumTicks: number }): Machine;
  /** An instruction budget comfortably past the scenario's end. */
  maxInstructions: number;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'selftest (bare metal)',
    cpus: [1, 2, 4],
    build: ({ numCpus, seed, quantumTicks }) => {
      const m = new Machine({ numCpus, ramBytes: 64 << 20, seed, quantumTicks });
      bootKernel(m, { kernel: selftestImage() });
      return m;
    },
    maxInstructions: 50_000_000,
  },
  {
    name: 'selftest under the hypervisor (vCPUs 1:1 on pCPUs)',
    cpus: [1, 2, 4],
    build: ({ numCpus, seed, quantumTicks }) => underHypervisor(selftestImage(), 1, numCpus, numCpus, seed, quantumTicks),
    maxInstructions: 80_000_000,
  },
  {
    name: 'selftest under the hypervisor (4 vCPUs on 1 pCPU)',
    cpus: [4],
    build: ({ seed, quantumTicks }) => underHypervisor(selftestImage(), 1, 4, 1, seed, quantumTicks),
    maxInstructions: 80_000_000,
  },
  {
    name: 'two VMs on one pCPU (selftest x2)',
    cpus: [1],
    build: ({ seed, quantumTicks }) => underHypervisor(selftestImage(), 2, 1, 1, seed, quantumTicks),
    maxInstructions: 80_000_000,
  },
  {
    name: 'diagnostic guest under the hypervisor',
    cpus: [1],
    build: ({ seed, quantumTicks }) => underHypervisor(diagImage(), 1, 1, 1, seed, quantumTicks),
    maxInstructions: 80_000_000,
  },
];

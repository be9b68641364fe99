// The scenarios the record/replay and snapshot property tests run on. A
// later component (hypervisor, SPMC, virtio...) joins by adding a scenario
// here that builds a machine with it (its state registered through
// Machine.registerComponent); every property then covers it.
import { Machine } from '../core/machine.js';
import { bootKernel } from '../core/firmware/boot.js';
import { selftestImage } from '../guests/selftest/index.js';

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
];

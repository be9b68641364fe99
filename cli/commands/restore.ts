// Build a machine from a snapshot file for `hvrr run --restore SNAP`: the
// snapshot fixes the configuration (CPUs, RAM, seed, quantum) and holds all
// memory and device state, so no images are needed.
import { Machine } from '../../core/machine.js';
import { Hypervisor } from '../../core/hypervisor/hypervisor.js';
import { attachMonitor } from '../../core/hypervisor/monitor/attach.js';
import { readMeta, readSnapshotFile, restoreInto, SnapshotError } from '../../snapshots/index.js';
import { CliError } from '../errors.js';

export function machineFromSnapshot(path: string): Machine {
  try {
    const bytes = readSnapshotFile(path);
    const meta = readMeta(bytes);
    if (meta.kind !== 'full') {
      throw new CliError(`snapshot '${path}' is incremental (based on ${meta.baseId?.slice(0, 12)}…); restore from a full snapshot (hvrr replay --snapshot writes one)`);
    }
    const c = meta.config;
    const build = (): Machine => new Machine({
      numCpus: c.numCpus, ramBytes: c.ramBytes, seed: BigInt(c.seed), quantumTicks: c.quantumTicks,
      rtcEpochSeconds: c.rtcEpochSeconds, lse: c.lse, traceVerbosity: c.traceVerbosity,
    });
    // The snapshot names the components it carries (hypervisor, its monitor);
    // build the machine that has exactly those: try the richest set first.
    const setups: Array<(m: Machine) => void> = [
      (m) => void attachMonitor(new Hypervisor(m, null)),
      (m) => void new Hypervisor(m, null),
      () => {},
    ];
    let last: unknown;
    for (const setup of setups) {
      const m = build();
      setup(m);
      try {
        restoreInto(m, bytes);
        return m;
      } catch (e) {
        if (!(e instanceof SnapshotError) || !/component state/.test(e.message)) throw e;
        last = e;
      }
    }
    throw last;
  } catch (e) {
    if (e instanceof SnapshotError) throw new CliError(`snapshot '${path}': ${e.message}`);
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot restore snapshot '${path}': ${(e as Error).message}`);
  }
}

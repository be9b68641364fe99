// Build a machine from a snapshot file for `hvrr run --restore SNAP`: the
// snapshot fixes the configuration (CPUs, RAM, seed, quantum) and holds all
// memory and device state, so no images are needed.
import { Machine } from '../../core/machine.js';
import { Hypervisor } from '../../core/hypervisor/hypervisor.js';
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
    // A run under the hypervisor carries its state as component 'hypervisor':
    // attach one (it takes EL2) and let the snapshot fill it in; a bare-metal
    // snapshot lacks that component, so it is restored into a plain machine.
    const m = build();
    new Hypervisor(m, null);
    try {
      restoreInto(m, bytes);
      return m;
    } catch (e) {
      if (!(e instanceof SnapshotError) || !/lacks component state: hypervisor/.test(e.message)) throw e;
    }
    const bare = build();
    restoreInto(bare, bytes);
    return bare;
  } catch (e) {
    if (e instanceof SnapshotError) throw new CliError(`snapshot '${path}': ${e.message}`);
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot restore snapshot '${path}': ${(e as Error).message}`);
  }
}

// Build a machine from a snapshot file for `hvrr run --restore SNAP`: the
// snapshot fixes the configuration (CPUs, RAM, seed, quantum, whether it has
// a Secure world: `secure`, false when absent) and holds all
// memory and device state, so no images are needed (but the base images of
// a disk or of the machine's flash banks, which are inputs: --disk, --bios,
// --pflash).
import { CHAOS_MAX_LEVEL } from '../../core/clock/chaos.js';
import { Machine } from '../../core/machine.js';
import { Hypervisor, HYPERVISOR_COMPONENT } from '../../core/hypervisor/hypervisor.js';
import { attachMonitor, MONITOR_COMPONENT } from '../../core/hypervisor/monitor/attach.js';
import { readMeta, readSnapshotFile, restoreInto, snapshotComponents, SnapshotError } from '../../snapshots/index.js';
import { CliError } from '../errors.js';
import { attachMachineFlash, FLASH_COMPONENT } from '../../core/devices/flashBanks.js';
import { attachSecurePayload, SecurePayload, SECURE_PAYLOAD_COMPONENT } from '../../core/firmware/securePayload.js';
import { EL3_FIRMWARE_COMPONENT } from '../../core/firmware/el3Firmware.js';
import { attachSpmc } from '../../core/spmc/installSpmc.js';
import { SPMC_COMPONENT } from '../../core/spmc/spmc.js';

export function machineFromSnapshot(path: string): Machine {
  try {
    const bytes = readSnapshotFile(path);
    const meta = readMeta(bytes);
    if (meta.kind !== 'full') {
      throw new CliError(`snapshot '${path}' is incremental (based on ${meta.baseId?.slice(0, 12)}…); restore from a full snapshot (hvrr replay --snapshot writes one)`);
    }
    const c = meta.config;
    // Build the machine with exactly the components the snapshot carries.
    const components = snapshotComponents(bytes);
    // The EL3 firmware's record: the machine registers it itself when it has a Secure world.
    const known = [HYPERVISOR_COMPONENT, MONITOR_COMPONENT, FLASH_COMPONENT, SECURE_PAYLOAD_COMPONENT, EL3_FIRMWARE_COMPONENT, SPMC_COMPONENT];
    const unknown = components.filter((n) => !known.includes(n));
    if (unknown.length) throw new CliError(`snapshot '${path}' carries component state this hvrr cannot rebuild: ${unknown.join(', ')}`);
    if (components.includes(EL3_FIRMWARE_COMPONENT) && c.secure !== true) {
      throw new CliError(`snapshot '${path}' carries EL3 firmware world-switch state on a machine without a Secure world`);
    }
    if (components.includes(MONITOR_COMPONENT) && !components.includes(HYPERVISOR_COMPONENT)) {
      throw new CliError(`snapshot '${path}' carries monitor state without a hypervisor`);
    }
    if (c.chaos !== undefined && !(Number.isInteger(c.chaos) && c.chaos >= 0 && c.chaos <= CHAOS_MAX_LEVEL)) {
      throw new CliError(`snapshot '${path}': its chaos level ${JSON.stringify(c.chaos)} is not 0..${CHAOS_MAX_LEVEL}`);
    }
    const m = new Machine({
      numCpus: c.numCpus, ramBytes: c.ramBytes, seed: BigInt(c.seed), quantumTicks: c.quantumTicks,
      rtcEpochSeconds: c.rtcEpochSeconds, lse: c.lse, traceVerbosity: c.traceVerbosity, secure: c.secure ?? false,
      ...(c.chaos ? { chaos: c.chaos } : {}),
      ...(typeof c.mutation === 'string' && c.mutation !== '' ? { mutation: c.mutation } : {}),
    });
    // The flash banks' base images are inputs (attachRestoredFlash gives them back).
    if (components.includes(FLASH_COMPONENT)) attachMachineFlash(m);
    // The secure payload's dispatcher state (its image is in the snapshot's secure RAM).
    if (components.includes(SECURE_PAYLOAD_COMPONENT)) {
      if (c.secure !== true) throw new CliError(`snapshot '${path}' carries secure payload state on a machine without a Secure world`);
      attachSecurePayload(m, new SecurePayload(m, 0n));
    }
    // The SPMC at Secure EL2 (its partitions' packages and images are in the snapshot's secure RAM).
    if (components.includes(SPMC_COMPONENT)) {
      if (c.secure !== true) throw new CliError(`snapshot '${path}' carries SPMC state on a machine without a Secure world`);
      attachSpmc(m);
    }
    if (components.includes(HYPERVISOR_COMPONENT)) {
      const hv = new Hypervisor(m, null);
      if (components.includes(MONITOR_COMPONENT)) attachMonitor(hv);
    }
    restoreInto(m, bytes);
    return m;
  } catch (e) {
    if (e instanceof SnapshotError) throw new CliError(`snapshot '${path}': ${e.message}`);
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot restore snapshot '${path}': ${(e as Error).message}`);
  }
}

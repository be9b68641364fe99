// The whole machine as plain data, and back: the sum of every component's
// versioned state record (ARCHITECTURE.md principle 3). Encoding to a file
// (CBOR + zstd, page de-duplication, checksums) is snapshots/'s job; this
// module only gathers and scatters. A component added later (hypervisor,
// SPMC, virtio devices) joins by `machine.registerComponent(name, ...)` and
// is then saved and restored with everything else.
import { SECURE_RAM_BYTES } from './cpu/cpu.js';
import { readableVersion, type RecordSchema } from './stateRecord.js';
import { loadCpu, saveCpu, type CpuRecord } from './cpu/cpuState.js';
import type { EventQueueState } from './clock/eventQueue.js';
import type { PrngState } from './clock/prng.js';
import type { TraceSinkState } from './trace/sink.js';
import type { GicState } from './devices/gicv3/state.js';
import type { GenericTimerState } from './devices/timer/genericTimer.js';
import type { Pl011State } from './devices/pl011.js';
import type { Pl031State } from './devices/pl031.js';
import type { Machine, MachineState } from './machine.js';

export const MACHINE_SNAPSHOT_VERSION = 1;
const MACHINE_SNAPSHOT_SCHEMA: RecordSchema = { name: 'machine snapshot', version: MACHINE_SNAPSHOT_VERSION };

/** The configuration a snapshot must be restored into (checked on restore). */
export interface SnapshotConfig {
  numCpus: number;
  ramBytes: number;
  seed: string;
  quantumTicks: number;
  rtcEpochSeconds: number;
  lse: boolean;
  traceVerbosity: number;
  /** Present (true) only on a machine with two Security states, so the
   *  records of every other machine are as before. */
  secure?: boolean;
  /** Present only with seeded chaos (level 1-3). */
  chaos?: number;
  /** Present only with a planted defect (test only, core/mutations.ts). */
  mutation?: string;
}

export interface MachineSnapshot {
  version: typeof MACHINE_SNAPSHOT_VERSION;
  config: SnapshotConfig;
  machine: MachineState;
  cpus: CpuRecord[];
  queue: EventQueueState;
  prng: PrngState;
  trace: TraceSinkState;
  gic: GicState;
  timer: GenericTimerState;
  uart: Pl011State;
  /** The secure UART's state, on a machine with two Security states only. */
  secureUart?: Pl011State;
  rtc: Pl031State;
  /** State records of registered components, by name. */
  components: Record<string, unknown>;
  /** Non-secure RAM and secure RAM contents. Views into the live machine on
   *  capture (the encoder copies what it needs); copied in on restore. */
  ram: Uint8Array;
  secureRam: Uint8Array;
}

export function snapshotConfig(m: Machine): SnapshotConfig {
  const c = m.config;
  return {
    numCpus: c.numCpus, ramBytes: c.ramBytes, seed: c.seed.toString(), quantumTicks: c.quantumTicks,
    rtcEpochSeconds: c.rtcEpochSeconds, lse: c.lse, traceVerbosity: c.traceVerbosity,
    ...(c.secure ? { secure: true } : {}),
    ...(c.chaos ? { chaos: c.chaos } : {}),
    ...(c.mutation ? { mutation: c.mutation } : {}),
  };
}

export function captureMachine(m: Machine): MachineSnapshot {
  const core = m.core;
  return {
    version: MACHINE_SNAPSHOT_VERSION,
    config: snapshotConfig(m),
    machine: m.getMachineState(),
    cpus: Array.from({ length: m.numCpus }, (_, i) => saveCpu(core, i)),
    queue: m.queue.getState(),
    prng: m.prng.getState(),
    trace: m.trace.getState(),
    gic: m.gic.getState(),
    timer: m.timer.getState(),
    uart: m.uart.getState(),
    ...(m.secureUart ? { secureUart: m.secureUart.getState() } : {}),
    rtc: m.rtc.getState(),
    components: Object.fromEntries(m.componentNames().map((n) => [n, m.component(n).getState()])),
    ram: core.ramView(),
    secureRam: core.secureRamView(),
  };
}

/** Restore into a machine built with the same configuration. Throws with a
 *  one-line message naming the mismatch otherwise. */
export function restoreMachine(m: Machine, s: MachineSnapshot): void {
  readableVersion(MACHINE_SNAPSHOT_SCHEMA, s); // its parts are upgraded by their components
  const want = snapshotConfig(m);
  for (const k of new Set([...Object.keys(want), 'secure', 'chaos', 'mutation']) as Set<keyof SnapshotConfig>) {
    if ((want[k] ?? false) !== (s.config[k] ?? false)) throw new Error(`snapshot was taken with ${k} = ${String(s.config[k] ?? false)}, this machine has ${String(want[k] ?? false)}`);
  }
  if (s.cpus.length !== m.numCpus) throw new Error(`snapshot has ${s.cpus.length} CPUs, machine has ${m.numCpus}`);
  if (s.ram.length !== m.config.ramBytes) throw new Error(`snapshot RAM is ${s.ram.length} bytes, machine has ${m.config.ramBytes}`);
  if (s.secureRam.length !== SECURE_RAM_BYTES) throw new Error('snapshot secure RAM has the wrong size');
  const names = m.componentNames();
  // A component that can start from its reset state (one added after the snapshot was made) does.
  const missing = names.filter((n) => !(n in s.components) && !m.component(n).resetState);
  if (missing.length) throw new Error(`snapshot lacks component state: ${missing.join(', ')}`);
  const extra = Object.keys(s.components).filter((n) => !names.includes(n)).sort();
  if (extra.length) throw new Error(`snapshot carries component state this machine lacks: ${extra.join(', ')}`);
  const core = m.core;
  core.ramView().set(s.ram);
  core.secureRamView().set(s.secureRam);
  s.cpus.forEach((r, i) => loadCpu(core, i, r));
  m.queue.loadState(s.queue);
  m.prng.loadState(s.prng);
  m.trace.loadState(s.trace);
  m.gic.loadState(s.gic);
  m.timer.loadState(s.timer);
  m.uart.loadState(s.uart);
  if (m.secureUart) {
    if (!s.secureUart) throw new Error('snapshot lacks the secure UART state of a machine with two Security states');
    m.secureUart.loadState(s.secureUart);
  }
  m.rtc.loadState(s.rtc);
  for (const n of names) {
    const c = m.component(n);
    if (n in s.components) c.loadState(s.components[n]);
    else c.resetState!();
  }
  m.loadMachineState(s.machine);
  // CPU lines follow the restored GIC (the records carry them too; this keeps both consistent).
  m.gic.resyncPins();
  core.resetDirty();
}

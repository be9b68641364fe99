// The three bundled Secure Partitions as SP packages (TF-A's sp_pkg: header,
// FF-A manifest DTB, image) ready for the SPMC to load: SP1 hello
// (0x8001), SP2 irq (0x8002), SP3 relay (0x8003). Each image is position
// independent and runs from its manifest's load-address (the image's first
// byte, entrypoint-offset 0 into the image).
import { FFA_VERSION_1_1 } from '../../core/ffa/functionIds.js';
import { uuidFromText } from '../../core/ffa/uuid.js';
import { SECURE_UART_BASE, SECURE_UART_INTID } from '../../core/machine.js';
import {
  MESSAGING_DIRECT_REQ_RECV, MESSAGING_DIRECT_REQ_SEND, MESSAGING_INDIRECT, REGION_READ, REGION_WRITE, writeManifest, type DeviceRegion, type PartitionManifest,
} from '../../core/spmc/manifest.js';
import { buildSpPackage } from '../../core/spmc/spPackage.js';
import { SECURE_TIMER_INTID } from '../../core/firmware/secureBoot.js';
import { SP1_ID, SP1_LOAD_ADDRESS, SP1_UUID, SP2_ID, SP2_LOAD_ADDRESS, SP2_UUID, SP3_ID, SP3_LOAD_ADDRESS, SP3_UUID } from './protocol.js';
import { assemblePartition, type PartitionProgram } from './runtime.js';
import { sp1Program } from './sp1.js';
import { sp2Program } from './sp2.js';
import { sp3Program } from './sp3.js';

export interface BundledPartition {
  name: string;
  id: number;
  uuid: string;
  manifest: PartitionManifest;
  image: Uint8Array;
  /** The SP package: what `--sp` takes and the SPMC loads. */
  package: Uint8Array;
}

/** SP2's interrupts: the secure physical timer (PPI 29) and the secure UART (SPI 40), Secure, level, highest priority. */
const SP2_DEVICES: DeviceRegion[] = [{
  name: 'secure-uart',
  description: 'secure UART (PL011); lists SP2\'s Secure interrupts',
  address: BigInt(SECURE_UART_BASE),
  pageCount: 1,
  attributes: REGION_READ | REGION_WRITE,
  interrupts: [
    { id: SECURE_TIMER_INTID, priority: 0, secure: true, level: true, type: 'PPI' },
    { id: SECURE_UART_INTID, priority: 0, secure: true, level: true, type: 'SPI' },
  ],
  exclusiveAccess: true,
}];

function manifestOf(p: PartitionProgram, o: { uuid: string; loadAddress: bigint; bootOrder: number; description: string; messaging: number; notifications: boolean; devices: DeviceRegion[] }): PartitionManifest {
  const uuid = uuidFromText(o.uuid);
  if (!uuid) throw new Error(`bad bundled UUID ${o.uuid}`);
  return {
    ffaVersion: FFA_VERSION_1_1,
    uuids: [uuid],
    messagingMethods: [o.messaging],
    id: p.id,
    description: o.description,
    executionContextCount: 1,
    exceptionLevel: 'S-EL1',
    executionState: 'AArch64',
    loadAddress: o.loadAddress,
    entrypointOffset: 0n,
    xlatGranule: 0x1000,
    bootOrder: o.bootOrder,
    notificationSupport: o.notifications,
    nsInterruptsAction: 'signaled',
    managedExitVirq: false,
    memoryRegions: [],
    deviceRegions: o.devices,
  };
}

/** The partitions as first built in this process: assembling them costs about 0.1 s, and every
 *  `--secure` machine (a fuzz case, a test) loads them. A cache of constants, like core/cpu's compiled
 *  wasm module; callers get copies, so nothing they change reaches the next machine. */
let assembled: readonly BundledPartition[] | null = null;

/** The bundled partitions in boot order. */
export function bundledPartitions(): BundledPartition[] {
  assembled ??= buildPartitions();
  return assembled.map((p) => ({ ...p, manifest: structuredClone(p.manifest), image: p.image.slice(), package: p.package.slice() }));
}

function buildPartitions(): BundledPartition[] {
  const both = MESSAGING_DIRECT_REQ_RECV | MESSAGING_DIRECT_REQ_SEND;
  const specs = [
    { program: sp1Program(), uuid: SP1_UUID, loadAddress: SP1_LOAD_ADDRESS, bootOrder: 1, description: 'SP1 hello: echo, memory test, partition-to-partition sharing, notifications, indirect messages', messaging: both | MESSAGING_INDIRECT, notifications: true, devices: [] },
    { program: sp2Program(), uuid: SP2_UUID, loadAddress: SP2_LOAD_ADDRESS, bootOrder: 2, description: 'SP2 irq: owns the secure timer and secure UART interrupts', messaging: MESSAGING_DIRECT_REQ_RECV, notifications: false, devices: SP2_DEVICES },
    { program: sp3Program(), uuid: SP3_UUID, loadAddress: SP3_LOAD_ADDRESS, bootOrder: 3, description: 'SP3 relay: forwards direct requests', messaging: both, notifications: false, devices: [] },
  ];
  return specs.map((s) => {
    const manifest = manifestOf(s.program, s);
    const image = assemblePartition(s.program, s.loadAddress);
    return { name: s.program.name, id: s.program.id, uuid: s.uuid, manifest, image, package: buildSpPackage({ manifest: writeManifest(manifest), image }) };
  });
}

export * from './protocol.js';

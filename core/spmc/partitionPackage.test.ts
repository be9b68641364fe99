import { describe, expect, it } from 'vitest';
import { FFA_VERSION_1_1 } from '../ffa/functionIds.js';
import { uuidFromText } from '../ffa/uuid.js';
import { ManifestError, REGION_NON_SECURE, REGION_READ, REGION_WRITE, writeManifest, type PartitionManifest } from './manifest.js';
import { readPartitionPackage } from './partitionPackage.js';
import { PartitionSetError, checkPartitionSet } from './partitionSet.js';
import { SpPackageError, buildSpPackage } from './spPackage.js';

function manifest(id: number, over: Partial<PartitionManifest> = {}): PartitionManifest {
  return {
    ffaVersion: FFA_VERSION_1_1, uuids: [uuidFromText(`00000000-0000-0000-0000-00000000${id.toString(16).padStart(4, '0')}`)!], messagingMethods: [3],
    id, description: null, executionContextCount: 1, exceptionLevel: 'S-EL1', executionState: 'AArch64', loadAddress: null,
    entrypointOffset: 0n, xlatGranule: 0x1000, bootOrder: null, notificationSupport: false, nsInterruptsAction: 'signaled', managedExitVirq: false,
    memoryRegions: [], deviceRegions: [], ...over,
  };
}

const image = new Uint8Array(0x2000);

describe('partition package', () => {
  it('reads the package and its manifest', () => {
    const m = manifest(0x8001, { entrypointOffset: 0x1ffcn });
    const p = readPartitionPackage(buildSpPackage({ manifest: writeManifest(m), image }));
    expect(p.manifest).toEqual(m);
    expect(p.image.length).toBe(image.length);
  });

  it('refuses an entry point outside the image or off an instruction boundary', () => {
    const past = buildSpPackage({ manifest: writeManifest(manifest(0x8001, { entrypointOffset: 0x2000n })), image });
    expect(() => readPartitionPackage(past)).toThrow(new ManifestError('/entrypoint-offset', '0x2000 is past the 8192-byte image'));
    const odd = buildSpPackage({ manifest: writeManifest(manifest(0x8001, { entrypointOffset: 0x102n })), image });
    expect(() => readPartitionPackage(odd)).toThrow('is not 4-byte aligned');
  });

  it('passes on the package\'s and the manifest\'s own errors', () => {
    expect(() => readPartitionPackage(new Uint8Array(8))).toThrow(SpPackageError);
    expect(() => readPartitionPackage(buildSpPackage({ manifest: new Uint8Array(40), image }))).toThrow(ManifestError);
  });
});

describe('partition set', () => {
  it('orders by boot-order, those without one last, ties as given', () => {
    const set = [manifest(0x8001), manifest(0x8002, { bootOrder: 5 }), manifest(0x8003), manifest(0x8004, { bootOrder: 1 })];
    expect(checkPartitionSet(set).map((m) => m.id)).toEqual([0x8004, 0x8002, 0x8001, 0x8003]);
  });

  it('refuses duplicate IDs and boot orders', () => {
    expect(() => checkPartitionSet([manifest(0x8001), manifest(0x8001)])).toThrow(new PartitionSetError('partitions 0 and 1 both have ID 0x8001'));
    expect(() => checkPartitionSet([manifest(0x8001, { bootOrder: 2 }), manifest(0x8002, { bootOrder: 2 })])).toThrow('both have boot-order 2');
  });

  it('refuses secure regions claimed twice; Non-secure buffers may be shared', () => {
    const region = (name: string, address: bigint, attributes = REGION_READ | REGION_WRITE) => ({ name, description: null, base: { kind: 'address' as const, address }, pageCount: 2, attributes });
    const a = manifest(0x8001, { memoryRegions: [region('a', 0x0e50_0000n)] });
    const b = manifest(0x8002, { loadAddress: 0x0e40_0000n, memoryRegions: [{ ...region('b', 0n), base: { kind: 'relative', offset: 0x10_1000n } }] });
    expect(() => checkPartitionSet([a, b])).toThrow("0x8002's memory region b [0xe501000, 0xe503000) overlaps 0x8001's memory region a [0xe500000, 0xe502000)");
    const ns = (id: number) => manifest(id, { memoryRegions: [region('ns', 0x8800_0000n, REGION_READ | REGION_WRITE | REGION_NON_SECURE)] });
    expect(() => checkPartitionSet([ns(0x8001), ns(0x8002)])).not.toThrow();
    const dev = (id: number, exclusiveAccess: boolean) => manifest(id, { deviceRegions: [{ name: 'uart', description: null, address: 0x0904_0000n, pageCount: 1, attributes: REGION_READ | REGION_WRITE, interrupts: [], exclusiveAccess }] });
    expect(() => checkPartitionSet([dev(0x8001, false), dev(0x8002, false)])).not.toThrow();
    expect(() => checkPartitionSet([dev(0x8001, false), dev(0x8002, true)])).toThrow('device region uart');
  });
});

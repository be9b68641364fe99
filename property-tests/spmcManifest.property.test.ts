// SP packages and FF-A manifests (core/spmc) under fast-check:
// - random valid manifests round-trip writeManifest -> parseManifest, and
//   inside random packages (both header versions) buildSpPackage ->
//   parseSpPackage gives back the same manifest bytes and image;
// - arbitrary bytes, and valid packages or manifests with bytes scribbled
//   on, are answered with a value or the module's own typed error
//   (SpPackageError, ManifestError), never another exception.
// The seed and run count print first; a failure replays with
// HVRR_SPMC_SEED=<seed> HVRR_PROP_RUNS=<n> npx vitest run property-tests/spmcManifest.property.test.ts
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FFA_VERSION_1_0, FFA_VERSION_1_1, FFA_VERSION_1_2 } from '../core/ffa/functionIds.js';
import { uuidToText } from '../core/ffa/uuid.js';
import {
  ManifestError, REGION_EXECUTE, REGION_NON_SECURE, REGION_READ, REGION_WRITE, parseManifest, writeManifest,
  type DeviceRegion, type MemoryRegion, type PartitionManifest,
} from '../core/spmc/manifest.js';
import { SpPackageError, buildSpPackage, parseSpPackage } from '../core/spmc/spPackage.js';
import { suiteSeed } from './seed.js';

const RUNS = Number(process.env.HVRR_PROP_RUNS ?? 300);
const SEED = suiteSeed('spmc package/manifest property', 'HVRR_SPMC_SEED', 20261205, { runs: RUNS });
const params = { seed: SEED, numRuns: RUNS, endOnFailure: true };

const uuid = fc.uint8Array({ minLength: 16, maxLength: 16 }).filter((u) => u.some((b) => b !== 0));
const page = (max: number) => fc.integer({ min: 0, max }).map((n) => BigInt(n) * 0x1000n);

// Regions laid out at distinct 1 MiB slots so they never overlap.
const memoryRegion = (slot: number): fc.Arbitrary<MemoryRegion> => fc.record({
  description: fc.option(fc.stringMatching(/^[a-z ]{1,12}$/), { nil: null }),
  kind: fc.constantFrom('address', 'relative', 'any'),
  pageCount: fc.integer({ min: 1, max: 255 }),
  perm: fc.constantFrom(REGION_READ, REGION_READ | REGION_WRITE, REGION_READ | REGION_EXECUTE),
  ns: fc.boolean(),
}).map(({ description, kind, pageCount, perm, ns }) => ({
  name: `region${slot}`, description, pageCount, attributes: perm | (ns ? REGION_NON_SECURE : 0),
  base: kind === 'address' ? { kind, address: 0x8000_0000n + BigInt(slot) * 0x10_0000n } : kind === 'relative' ? { kind, offset: 0x100_0000n + BigInt(slot) * 0x10_0000n } : { kind },
}));

const deviceRegion = (slot: number, firstSpi: number): fc.Arbitrary<DeviceRegion> => fc.record({
  pageCount: fc.integer({ min: 1, max: 16 }),
  rw: fc.boolean(),
  exclusiveAccess: fc.boolean(),
  interrupts: fc.array(fc.record({ priority: fc.integer({ min: 0, max: 255 }), secure: fc.boolean(), level: fc.boolean() }), { maxLength: 3 }),
}).map(({ pageCount, rw, exclusiveAccess, interrupts }) => ({
  name: `dev${slot}`, description: null, address: 0x0900_0000n + BigInt(slot) * 0x10_0000n, pageCount,
  attributes: REGION_READ | (rw ? REGION_WRITE : 0), exclusiveAccess,
  interrupts: interrupts.map((i, k) => ({ ...i, id: firstSpi + k, type: 'SPI' as const })),
}));

const manifest: fc.Arbitrary<PartitionManifest> = fc.record({
  ffaVersion: fc.constantFrom(FFA_VERSION_1_0, FFA_VERSION_1_1, FFA_VERSION_1_2),
  uuids: fc.uniqueArray(uuid, { minLength: 1, maxLength: 3, selector: uuidToText }),
  method: fc.integer({ min: 0, max: 7 }),
  id: fc.integer({ min: 0x8001, max: 0xffff }),
  description: fc.option(fc.stringMatching(/^[a-z0-9-]{1,16}$/), { nil: null }),
  executionContextCount: fc.integer({ min: 1, max: 8 }),
  exceptionLevel: fc.constantFrom('EL1', 'S-EL0', 'S-EL1'),
  executionState: fc.constantFrom('AArch64', 'AArch32'),
  loadAddress: fc.option(page(0xfffff).map((a) => a + 0x0e00_0000n), { nil: null }),
  entrypointOffset: page(16),
  xlatGranule: fc.constant(0x1000),
  bootOrder: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: null }),
  notificationSupport: fc.boolean(),
  nsInterruptsAction: fc.constantFrom('queued', 'managed-exit', 'signaled'),
  managedExitVirq: fc.boolean(),
  memoryCount: fc.integer({ min: 0, max: 3 }),
  deviceCount: fc.integer({ min: 0, max: 2 }),
}).chain(({ method, memoryCount, deviceCount, ...m }) => fc.record({
  memoryRegions: fc.tuple(...Array.from({ length: memoryCount }, (_, i) => memoryRegion(i))),
  deviceRegions: fc.tuple(...Array.from({ length: deviceCount }, (_, i) => deviceRegion(i, 32 + i * 8))),
}).map(({ memoryRegions, deviceRegions }) => ({
  ...m, messagingMethods: m.uuids.map(() => method), memoryRegions: [...memoryRegions], deviceRegions: [...deviceRegions],
} as PartitionManifest)));

/** Parses, accepting only a value or the module's own error. */
function typedOutcome<T>(parse: () => T, errorType: new (...a: never[]) => Error): T | null {
  try {
    return parse();
  } catch (e) {
    if (!(e instanceof errorType)) throw e;
    return null;
  }
}

const scribble = (bytes: Uint8Array, edits: readonly [number, number][]): Uint8Array => {
  const copy = bytes.slice();
  for (const [at, v] of edits) if (copy.length > 0) copy[at % copy.length] = v;
  return copy;
};
const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 });

describe('SP packages and FF-A manifests', () => {
  it('valid manifests round-trip, alone and inside packages of both versions', () => {
    fc.assert(fc.property(manifest, fc.uint8Array({ minLength: 1, maxLength: 600 }), fc.constantFrom(1, 2) as fc.Arbitrary<1 | 2>, (m, image, version) => {
      const dtb = writeManifest(m);
      expect(parseManifest(dtb)).toEqual(m);
      const p = parseSpPackage(buildSpPackage({ manifest: dtb, image, version }));
      expect(p.header.version).toBe(version);
      expect(parseManifest(p.manifest)).toEqual(m);
      expect([...p.image]).toEqual([...image]);
    }), params);
  });

  it('arbitrary and scribbled bytes give a value or a typed error', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      typedOutcome(() => parseSpPackage(bytes), SpPackageError);
      typedOutcome(() => parseManifest(bytes), ManifestError);
    }), params);
    fc.assert(fc.property(manifest, edits, (m, e) => {
      const dtb = writeManifest(m);
      const parsed = typedOutcome(() => parseManifest(scribble(dtb, e)), ManifestError);
      // What is accepted writes back to a manifest that reads the same.
      if (parsed) expect(parseManifest(writeManifest(parsed))).toEqual(parsed);
      const pkg = buildSpPackage({ manifest: dtb, image: new Uint8Array(64) });
      // Scribbles on the header words, and anywhere.
      typedOutcome(() => parseSpPackage(scribble(pkg, e.map(([at, v]) => [at % 24, v] as [number, number]))), SpPackageError);
      typedOutcome(() => parseSpPackage(scribble(pkg, e)), SpPackageError);
    }), params);
  });
});

import { describe, expect, it } from 'vitest';
import { readPartitionPackage } from '../../core/spmc/partitionPackage.js';
import { checkPartitionSet } from '../../core/spmc/partitionSet.js';
import { uuidToText } from '../../core/ffa/uuid.js';
import { bundledPartitions, SP1_ID, SP2_ID, SP3_ID, SP1_UUID, SP2_UUID, SP3_UUID } from './index.js';

describe('the bundled Secure Partitions', () => {
  const parts = bundledPartitions();
  it('assemble and package; each package reads back with its manifest', () => {
    expect(parts.map((p) => p.id)).toEqual([SP1_ID, SP2_ID, SP3_ID]);
    for (const p of parts) {
      const loaded = readPartitionPackage(p.package);
      expect(loaded.manifest).toEqual(p.manifest);
      expect(Array.from(loaded.image)).toEqual(Array.from(p.image));
      expect(loaded.manifest.exceptionLevel).toBe('S-EL1');
    }
    expect(parts.map((p) => uuidToText(p.manifest.uuids[0]!))).toEqual([SP1_UUID, SP2_UUID, SP3_UUID]);
  });
  it('are built once per process, and each caller gets its own copies', () => {
    const first = bundledPartitions();
    first[0]!.package.fill(0);
    first[0]!.image[0] = 0xff;
    first[0]!.manifest.description = 'changed';
    const second = bundledPartitions();
    expect(second[0]!.package.some((b) => b !== 0)).toBe(true);
    expect(second[0]!.image[0]).not.toBe(0xff);
    expect(second[0]!.manifest.description).not.toBe('changed');
    expect(readPartitionPackage(second[0]!.package).manifest).toEqual(second[0]!.manifest);
  });

  it('form a valid set in boot order SP1, SP2, SP3', () => {
    expect(checkPartitionSet(parts.map((p) => p.manifest).reverse()).map((m) => m.id)).toEqual([SP1_ID, SP2_ID, SP3_ID]);
  });
});

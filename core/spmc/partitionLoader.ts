// Boot-time loading of the Secure Partitions (Hafnium load.c, sp_pkg.c):
// the boot directory names each SP package in secure RAM; every package is
// read (spPackage.ts, manifest.ts), the set checked (partitionSet.ts), each
// image copied to its load address (or a place the SPMC picks for a
// position-independent one) and the partition's two stage-2 tables built:
//   Secure IPA space: its image (RWX, as Hafnium maps the package; the
//     partition narrows it with FFA_MEM_PERM_SET), its Secure memory
//     regions, its device regions (Device-nGnRnE, never executable), IPA = PA;
//   Non-secure IPA space: its Non-secure memory regions, IPA = PA, reached
//     by the partition with NS = 1 in its stage 1 (Hafnium's ptable_ns).
// Anything wrong is a LoadError with one line naming the partition.
import type { Machine } from '../machine.js';
import { SPMC_BOOT_DIRECTORY, BOOT_DIRECTORY_MAGIC, MAX_PARTITIONS, PARTITION_AREA_BASE, PARTITION_AREA_END, PAGE_BYTES, pageAlignUp } from './secureLayout.js';
import { readPartitionPackage, type LoadedPartition } from './partitionPackage.js';
import { checkPartitionSet } from './partitionSet.js';
import { REGION_EXECUTE, REGION_NON_SECURE, REGION_READ, REGION_WRITE, type PartitionManifest } from './manifest.js';
import { mapPages, type S2Access, type TableMemory } from './stage2Table.js';
import type { PageHeap } from './pageHeap.js';
import type { PartitionRecord } from './spmcState.js';
import { uuidToText } from '../ffa/uuid.js';

export class LoadError extends Error {
  constructor(detail: string) {
    super(`SPMC: ${detail}`);
    this.name = 'LoadError';
  }
}

const hex = (v: number | bigint): string => '0x' + v.toString(16);

/** The packages the boot directory at `at` names: [address, size] pairs. */
export function readBootDirectory(m: Machine, at = SPMC_BOOT_DIRECTORY): Array<[number, number]> {
  const w = (i: number): number => new DataView(m.core.readPhys(at + 4 * i, 4).slice().buffer).getUint32(0, true);
  if (w(0) !== BOOT_DIRECTORY_MAGIC) throw new LoadError(`no boot directory at ${hex(at)} (magic ${hex(w(0))})`);
  const n = w(1);
  if (n > MAX_PARTITIONS) throw new LoadError(`the boot directory names ${n} packages (at most ${MAX_PARTITIONS})`);
  return Array.from({ length: n }, (_, i) => [w(2 + 2 * i), w(3 + 2 * i)] as [number, number]);
}

/** Physical memory as a stage-2 builder sees it (the tables live in secure RAM). */
export function tableMemory(m: Machine): TableMemory {
  return {
    read64: (pa) => new DataView(m.core.readPhys(pa, 8).slice().buffer).getBigUint64(0, true),
    write64: (pa, v) => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, v, true);
      m.core.writePhys(pa, b);
    },
  };
}

function access(attributes: number, device: boolean): S2Access {
  return { read: (attributes & REGION_READ) !== 0, write: (attributes & REGION_WRITE) !== 0, execute: !device && (attributes & REGION_EXECUTE) !== 0, device };
}

function inSecureArea(base: number, bytes: number): boolean {
  return base >= PARTITION_AREA_BASE && base + bytes <= PARTITION_AREA_END;
}

function messagingProps(m: PartitionManifest): { aarch64: boolean } {
  return { aarch64: m.executionState === 'AArch64' };
}

export interface LoadResult {
  partitions: PartitionRecord[];
  areaNext: number;
}

/**
 * Load every package the directory names. `areaNext` is where the next
 * SPMC-placed image or region goes in the partition area.
 */
export function loadPartitions(m: Machine, heap: PageHeap, packages: Array<[number, number]>, areaNext: number): LoadResult {
  const loaded: LoadedPartition[] = packages.map(([pa, size], i) => {
    let bytes: Uint8Array;
    try {
      bytes = m.core.readPhys(pa, size).slice();
    } catch {
      throw new LoadError(`package ${i} at ${hex(pa)}+${hex(size)} is not in RAM`);
    }
    try {
      return readPartitionPackage(bytes);
    } catch (e) {
      throw new LoadError(`package ${i}: ${(e as Error).message}`);
    }
  });
  let ordered: PartitionManifest[];
  try {
    ordered = checkPartitionSet(loaded.map((l) => l.manifest));
  } catch (e) {
    throw new LoadError((e as Error).message);
  }
  const mem = tableMemory(m);
  let next = areaNext;
  const place = (bytes: number): number => {
    const base = Math.ceil(next / 0x1_0000) * 0x1_0000;
    if (base + bytes > PARTITION_AREA_END) throw new LoadError(`no room in the partition area for ${hex(bytes)} bytes`);
    next = base + bytes;
    return base;
  };
  // Fixed placements first, so SPMC-placed ones go after all of them.
  for (const mf of ordered) {
    if (mf.loadAddress === null) continue;
    const load = Number(mf.loadAddress);
    const image = loaded.find((x) => x.manifest === mf)!.image;
    next = Math.max(next, load + pageAlignUp(image.length));
    for (const r of mf.memoryRegions) {
      if ((r.attributes & REGION_NON_SECURE) !== 0 || r.base.kind === 'any') continue;
      const at = r.base.kind === 'address' ? Number(r.base.address) : load + Number(r.base.offset);
      if (at >= PARTITION_AREA_BASE && at < PARTITION_AREA_END) next = Math.max(next, at + r.pageCount * PAGE_BYTES);
    }
  }
  const records = ordered.map((mf, index): PartitionRecord => {
    const l = loaded.find((x) => x.manifest === mf)!;
    const who = `partition ${hex(mf.id)}`;
    if (mf.executionState !== 'AArch64') throw new LoadError(`${who}: AArch32 partitions are not supported`);
    if (mf.exceptionLevel !== 'S-EL1') throw new LoadError(`${who}: exception level ${mf.exceptionLevel} is not supported (S-EL1 only)`);
    if (mf.xlatGranule !== 0x1000) throw new LoadError(`${who}: translation granule ${hex(mf.xlatGranule)} is not supported (4 KiB only)`);
    if (mf.executionContextCount !== 1 && mf.executionContextCount !== m.numCpus) {
      throw new LoadError(`${who}: ${mf.executionContextCount} execution contexts: a partition has 1 (UP) or one per PE (${m.numCpus}) (FF-A v1.1 §4.4.1)`);
    }
    const imageBytes = pageAlignUp(l.image.length);
    const base = mf.loadAddress !== null ? Number(mf.loadAddress) : place(imageBytes);
    if (base % PAGE_BYTES !== 0 || !inSecureArea(base, imageBytes)) {
      throw new LoadError(`${who}: image [${hex(base)}, ${hex(base + imageBytes)}) is not page aligned inside the partition area [${hex(PARTITION_AREA_BASE)}, ${hex(PARTITION_AREA_END)})`);
    }
    m.core.writePhys(base, l.image);
    const s2Secure = heap.alloc();
    const s2NonSecure = heap.alloc();
    if (s2Secure === null || s2NonSecure === null) throw new LoadError('out of stage-2 table pages');
    const map = (root: number, pa: number, bytes: number, a: S2Access, what: string): void => {
      if (!mapPages(mem, heap, root, pa, pa, bytes / PAGE_BYTES, a)) throw new LoadError(`${who}: cannot map ${what} (out of stage-2 table pages or outside the IPA space)`);
    };
    map(s2Secure, base, imageBytes, { read: true, write: true, execute: true, device: false }, 'its image');
    const owned = [{ base: hex(base), bytes: imageBytes }];
    for (const r of mf.memoryRegions) {
      const bytes = r.pageCount * PAGE_BYTES;
      const at = r.base.kind === 'address' ? Number(r.base.address) : r.base.kind === 'relative' ? base + Number(r.base.offset) : place(bytes);
      if ((r.attributes & REGION_NON_SECURE) !== 0) {
        if (m.core.ramOffset(at, bytes) < 0) throw new LoadError(`${who}: Non-secure memory region ${r.name} [${hex(at)}, ${hex(at + bytes)}) is not Non-secure RAM`);
        map(s2NonSecure, at, bytes, access(r.attributes, false), `memory region ${r.name}`);
      } else {
        if (!inSecureArea(at, bytes)) throw new LoadError(`${who}: memory region ${r.name} [${hex(at)}, ${hex(at + bytes)}) is outside the partition area`);
        map(s2Secure, at, bytes, access(r.attributes, false), `memory region ${r.name}`);
        owned.push({ base: hex(at), bytes });
      }
    }
    const interrupts: number[] = [];
    for (const d of mf.deviceRegions) {
      const bytes = d.pageCount * PAGE_BYTES;
      const at = Number(d.address);
      if (m.core.ramOffset(at, bytes) >= 0 || m.core.secureRamOffset(at, bytes) >= 0) throw new LoadError(`${who}: device region ${d.name} at ${hex(at)} is RAM`);
      map(s2Secure, at, bytes, access(d.attributes, true), `device region ${d.name}`);
      for (const i of d.interrupts) interrupts.push(i.id);
    }
    const entry = BigInt(base) + mf.entrypointOffset;
    return {
      id: mf.id,
      uuids: mf.uuids.map(uuidToText),
      messaging: mf.messagingMethods,
      notificationSupport: mf.notificationSupport,
      ...messagingProps(mf),
      contexts: mf.executionContextCount,
      entry: hex(entry),
      secondaryEntry: null,
      imageBase: hex(base),
      imageBytes,
      ownedSecure: owned,
      s2Secure: hex(s2Secure),
      s2NonSecure: hex(s2NonSecure),
      vmid: index + 1,
      version: mf.ffaVersion,
      versionFixed: false,
      interrupts,
      nsAction: mf.nsInterruptsAction,
      aborted: null,
      consoleLine: '',
      vcpus: Array.from({ length: mf.executionContextCount }, (_, v) => ({
        state: 'off' as const, model: 'none' as const, ctx: new Uint8Array(0), requester: null, requestKind: null, yielded: false, cpu: v, pendingVirqs: [], handling: [],
      })),
    };
  });
  // Two partitions may not own one interrupt.
  const owner = new Map<number, number>();
  for (const p of records) for (const i of p.interrupts) {
    const o = owner.get(i);
    if (o !== undefined) throw new LoadError(`partitions ${hex(o)} and ${hex(p.id)} both declare interrupt ${i}`);
    owner.set(i, p.id);
  }
  return { partitions: records, areaNext: next };
}

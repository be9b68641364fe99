// The partitions the SPMC boots, taken together (FF-A manifest binding):
// partition IDs are unique, boot-order values are unique among the
// partitions that give one, and regions at fixed physical addresses
// (Secure memory regions with a base address or a relative offset from a
// known load address, device regions) are not claimed by two partitions when
// either claim is exclusive: Secure memory always is, a device region when
// it says `exclusive-access`; Non-secure memory regions (buffers in
// Normal-world memory) may be named by several partitions. Boot order: ascending boot-order,
// partitions without one after those with one, ties kept in the given order.
import { REGION_NON_SECURE, type PartitionManifest } from './manifest.js';

export class PartitionSetError extends Error {
  constructor(detail: string) {
    super(`Secure partitions: ${detail}`);
    this.name = 'PartitionSetError';
  }
}

const hex = (v: number | bigint): string => `0x${v.toString(16)}`;

interface Claim {
  owner: number;
  what: string;
  start: bigint;
  end: bigint;
  /** Another partition may not claim it too. */
  exclusive: boolean;
}

function claims(m: PartitionManifest): Claim[] {
  const granule = BigInt(m.xlatGranule);
  const out: Claim[] = [];
  for (const r of m.memoryRegions) {
    if ((r.attributes & REGION_NON_SECURE) !== 0) continue;
    const start = r.base.kind === 'address' ? r.base.address : r.base.kind === 'relative' && m.loadAddress !== null ? m.loadAddress + r.base.offset : null;
    if (start !== null) out.push({ owner: m.id, what: `memory region ${r.name}`, start, end: start + BigInt(r.pageCount) * granule, exclusive: true });
  }
  for (const d of m.deviceRegions) out.push({ owner: m.id, what: `device region ${d.name}`, start: d.address, end: d.address + BigInt(d.pageCount) * granule, exclusive: d.exclusiveAccess });
  return out;
}

/** Checks the set and returns it in boot order. */
export function checkPartitionSet(manifests: readonly PartitionManifest[]): PartitionManifest[] {
  const ids = new Map<number, number>();
  const orders = new Map<number, number>();
  const seen: Claim[] = [];
  manifests.forEach((m, i) => {
    const other = ids.get(m.id);
    if (other !== undefined) throw new PartitionSetError(`partitions ${other} and ${i} both have ID ${hex(m.id)}`);
    ids.set(m.id, i);
    if (m.bootOrder !== null) {
      const before = orders.get(m.bootOrder);
      if (before !== undefined) throw new PartitionSetError(`partitions ${hex(before)} and ${hex(m.id)} both have boot-order ${m.bootOrder}`);
      orders.set(m.bootOrder, m.id);
    }
    for (const c of claims(m)) {
      const clash = seen.find((s) => s.owner !== c.owner && (s.exclusive || c.exclusive) && c.start < s.end && s.start < c.end);
      if (clash) throw new PartitionSetError(`${hex(c.owner)}'s ${c.what} [${hex(c.start)}, ${hex(c.end)}) overlaps ${hex(clash.owner)}'s ${clash.what} [${hex(clash.start)}, ${hex(clash.end)})`);
      seen.push(c);
    }
  });
  const rank = (m: PartitionManifest): number => m.bootOrder ?? 0x1_0000;
  return manifests.map((m, i) => ({ m, i })).sort((a, b) => rank(a.m) - rank(b.m) || a.i - b.i).map(({ m }) => m);
}

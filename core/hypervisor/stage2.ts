// Stage-2 translation tables, written into emulated RAM in the VMSAv8-64
// descriptor format (Arm ARM D8.3) with the 4 KB granule, walked by the PE
// from VTTBR_EL2 under VTCR_EL2 (arch.ts: 32-bit IPA, start level 1).
// Tables come from the hypervisor reserve, which is never mapped into a guest.
// Guest RAM is mapped with 2 MiB blocks (level 2); a 4 KiB hole splits its
// block into a level-3 table of pages first.
import type { CpuCore } from '../cpu/cpu.js';
import type { HvState } from './state.js';

const PAGE = 0x1000;
const BLOCK = 0x20_0000;
const VALID = 1n;
const TABLE = 3n; // table (levels 0-2) or page (level 3)
// Lower attributes for Stage 2 (D8.3.2): MemAttr[5:2] = 0b1111 (Normal,
// Outer/Inner Write-Back Cacheable), S2AP[7:6] = 0b11 (read/write),
// SH[9:8] = 0b11 (Inner Shareable), AF[10] = 1.
const S2_NORMAL_RW = (0xfn << 2n) | (3n << 6n) | (3n << 8n) | (1n << 10n);
// The same with S2AP = 0b01: read-only (writes take a Stage-2 permission fault).
const S2_NORMAL_RO = (0xfn << 2n) | (1n << 6n) | (3n << 8n) | (1n << 10n);
const OA_MASK = 0x0000_ffff_ffff_f000n;

function readDesc(core: CpuCore, pa: number): bigint {
  const off = core.ramOffset(pa, 8);
  if (off < 0) throw new Error(`stage-2 table at 0x${pa.toString(16)} is not RAM`);
  const b = core.readPhys(pa, 8);
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}
function writeDesc(core: CpuCore, pa: number, v: bigint): void {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  core.writePhys(pa, b); // marks the page dirty for incremental snapshots
}

/** A zeroed 4 KiB page from the hypervisor reserve. */
export function allocTablePage(core: CpuCore, s: HvState): number {
  const pa = s.reserveNext;
  if (pa + PAGE > s.reserveBase + s.reserveBytes) throw new Error('hypervisor reserve exhausted (Stage-2 tables)');
  s.reserveNext += PAGE;
  core.writePhys(pa, new Uint8Array(PAGE));
  return pa;
}

/** Pages of the reserve not allocated yet. */
export function reservePagesLeft(s: HvState): number {
  return Math.floor((s.reserveBase + s.reserveBytes - s.reserveNext) / PAGE);
}

/** How many table pages s2PageEntry would allocate to reach every IPA of `ipas` under `root` (missing or block entries at levels 1 and 2). Reads only. */
export function s2TablePagesNeeded(core: CpuCore, root: number, ipas: readonly number[]): number {
  const l1 = new Set<number>();
  const l2 = new Set<number>();
  for (const ipa of ipas) {
    const gib = Math.floor(ipa / 0x4000_0000);
    const d1 = readDesc(core, root + gib * 8);
    if ((d1 & 3n) !== TABLE) {
      l1.add(gib);
      l2.add(Math.floor(ipa / BLOCK));
      continue;
    }
    const d2 = readDesc(core, Number(d1 & OA_MASK) + (Math.floor(ipa / BLOCK) % 512) * 8);
    if ((d2 & 3n) !== TABLE) l2.add(Math.floor(ipa / BLOCK));
  }
  return l1.size + l2.size;
}

/** The table a level-(n) entry points to, creating (or splitting a block into) it. */
function nextTable(core: CpuCore, s: HvState, entryPa: number, level: number): number {
  const d = readDesc(core, entryPa);
  if ((d & 3n) === TABLE) return Number(d & OA_MASK);
  const t = allocTablePage(core, s);
  if ((d & 3n) === VALID) {
    // Split a block into the next level's 512 entries with the same attributes (D8.3.1).
    const childSize = level === 1 ? BLOCK : PAGE;
    const base = d & OA_MASK & ~BigInt((level === 1 ? 0x4000_0000 : BLOCK) - 1);
    const attrs = d & ~OA_MASK & ~3n;
    const kind = level === 2 ? TABLE : VALID; // level 3 entries are pages (0b11)
    for (let i = 0; i < 512; i++) writeDesc(core, t + i * 8, (base + BigInt(i * childSize)) | attrs | kind);
  }
  writeDesc(core, entryPa, BigInt(t) | TABLE);
  return t;
}

/** Map [ipa, ipa + size) to [pa, ...) as Normal memory, read/write or read-only (executable either way). */
export function s2MapRam(core: CpuCore, s: HvState, root: number, ipa: number, pa: number, size: number, readOnly = false): void {
  const attrs = readOnly ? S2_NORMAL_RO : S2_NORMAL_RW;
  for (let off = 0; off < size; ) {
    const i = ipa + off;
    const p = pa + off;
    const l1e = root + Math.floor(i / 0x4000_0000) * 8;
    const l2 = nextTable(core, s, l1e, 1);
    const l2e = l2 + (Math.floor(i / BLOCK) % 512) * 8;
    if (i % BLOCK === 0 && p % BLOCK === 0 && size - off >= BLOCK && (readDesc(core, l2e) & 3n) !== TABLE) {
      writeDesc(core, l2e, BigInt(p) | attrs | VALID);
      off += BLOCK;
      continue;
    }
    const l3 = nextTable(core, s, l2e, 2);
    writeDesc(core, l3 + (Math.floor(i / PAGE) % 512) * 8, BigInt(p) | attrs | TABLE);
    off += PAGE;
  }
}

/** Remove the 4 KiB page at `ipa` (splitting its block). The caller invalidates TLBs. */
export function s2UnmapPage(core: CpuCore, s: HvState, root: number, ipa: number): void {
  const l1e = root + Math.floor(ipa / 0x4000_0000) * 8;
  if ((readDesc(core, l1e) & 1n) === 0n) return;
  const l2 = nextTable(core, s, l1e, 1);
  const l2e = l2 + (Math.floor(ipa / BLOCK) % 512) * 8;
  if ((readDesc(core, l2e) & 1n) === 0n) return;
  const l3 = nextTable(core, s, l2e, 2);
  writeDesc(core, l3 + (Math.floor(ipa / PAGE) % 512) * 8, 0n);
}

/** Remove the 2 MiB blocks of [ipa, ipa + size) (2 MiB aligned, mapped by s2MapRam as blocks). The caller invalidates TLBs. */
export function s2UnmapBlocks(core: CpuCore, root: number, ipa: number, size: number): void {
  for (let i = ipa; i < ipa + size; i += BLOCK) {
    const l1 = readDesc(core, root + Math.floor(i / 0x4000_0000) * 8);
    if ((l1 & 3n) !== TABLE) continue;
    writeDesc(core, Number(l1 & OA_MASK) + (Math.floor(i / BLOCK) % 512) * 8, 0n);
  }
}

/** Walk the tables for `ipa` as the PE would: the PA, or -1 when unmapped. */
export function s2Translate(core: CpuCore, root: number, ipa: number): number {
  if (ipa < 0 || ipa >= 2 ** 32) return -1;
  let table = root;
  let shift = 30;
  for (let level = 1; level <= 3; level++, shift -= 9) {
    const idx = level === 1 ? Math.floor(ipa / 2 ** 30) : Math.floor(ipa / 2 ** shift) % 512;
    const d = readDesc(core, table + idx * 8);
    if ((d & 1n) === 0n) return -1;
    if (level < 3 && (d & 2n) !== 0n) {
      table = Number(d & OA_MASK);
      continue;
    }
    if (level === 3 && (d & 2n) === 0n) return -1;
    const size = 2 ** shift;
    return Number(d & OA_MASK & ~BigInt(size - 1)) + (ipa % size);
  }
  return -1;
}

/** The level-3 entry for the 4 KiB page at `ipa`, creating the tables above it
 *  (or splitting the block that maps it) as needed: its PA in the reserve. */
export function s2PageEntry(core: CpuCore, s: HvState, root: number, ipa: number): number {
  const l2 = nextTable(core, s, root + Math.floor(ipa / 0x4000_0000) * 8, 1);
  const l3 = nextTable(core, s, l2 + (Math.floor(ipa / BLOCK) % 512) * 8, 2);
  return l3 + (Math.floor(ipa / PAGE) % 512) * 8;
}

/** The descriptor at `entryPa` (a table entry in the reserve). */
export function s2ReadEntry(core: CpuCore, entryPa: number): bigint {
  return readDesc(core, entryPa);
}

/** Write the descriptor at `entryPa`. The caller invalidates TLBs. */
export function s2WriteEntry(core: CpuCore, entryPa: number, desc: bigint): void {
  writeDesc(core, entryPa, desc);
}

/** The leaf descriptor that maps `ipa` (block or page), or 0n when unmapped. Reads only. */
export function s2Leaf(core: CpuCore, root: number, ipa: number): bigint {
  if (ipa < 0 || ipa >= 2 ** 32) return 0n;
  let table = root;
  let shift = 30;
  for (let level = 1; level <= 3; level++, shift -= 9) {
    const idx = level === 1 ? Math.floor(ipa / 2 ** 30) : Math.floor(ipa / 2 ** shift) % 512;
    const d = readDesc(core, table + idx * 8);
    if ((d & 1n) === 0n) return 0n;
    if (level < 3 && (d & 2n) !== 0n) {
      table = Number(d & OA_MASK);
      continue;
    }
    return level === 3 && (d & 2n) === 0n ? 0n : d;
  }
  return 0n;
}

/** Lower attributes of a Normal page with S2AP `s2ap` (0 none, 1 RO, 3 RW) and software bits `sw` [58:55]. */
export function s2PageDescriptor(pa: number, s2ap: number, sw: number): bigint {
  return BigInt(pa) | (0xfn << 2n) | (BigInt(s2ap & 3) << 6n) | (3n << 8n) | (1n << 10n) | (BigInt(sw & 0xf) << 55n) | TABLE;
}

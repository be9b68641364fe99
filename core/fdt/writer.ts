// Flattened device tree writer: DTB format version 17
// (Devicetree Specification v0.4, ch. 5).
//
// Layout, as dtc lays it out: 40-byte header, memory reservation block at
// 0x28 (8-byte aligned, terminated by a zero entry), structure block, strings
// block. Property names are de-duplicated in the strings block (each distinct
// name stored once, in order of first use; a name that ends an earlier one,
// as "status" ends "secure-status", points into it, as dtc's find_string
// does), so a given tree always produces the same bytes, dtc's.

import { FdtError, type FdtNode, type FdtReserveEntry } from './tree.js';

export const FDT_MAGIC = 0xd00dfeed;
export const FDT_BEGIN_NODE = 0x1;
export const FDT_END_NODE = 0x2;
export const FDT_PROP = 0x3;
export const FDT_NOP = 0x4;
export const FDT_END = 0x9;
export const FDT_HEADER_BYTES = 40;
export const FDT_VERSION = 17;
export const FDT_LAST_COMP_VERSION = 16;

export interface FdtWriteOptions {
  memReserve?: FdtReserveEntry[];
  bootCpuidPhys?: number;
}

const U64_MAX = (1n << 64n) - 1n;
const encoder = new TextEncoder();

// Node-name and property-name character sets, §2.2.1 and §2.2.4.1. '#' and
// '?' are allowed in property names; node names may carry one '@unit'.
const NODE_NAME_RE = /^[A-Za-z0-9,._+\-]+(@[A-Za-z0-9,._+\-]*)?$/;
const PROP_NAME_RE = /^[A-Za-z0-9,._+?#\-]+$/;

/** Grows a byte buffer by doubling; only used while writing one blob. */
class ByteSink {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v >>> 0, false);
    this.length += 4;
  }

  u64(v: bigint): void {
    this.u32(Number(v >> 32n));
    this.u32(Number(v & 0xffffffffn));
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  align(n: number): void {
    const pad = (n - (this.length % n)) % n;
    this.reserve(pad);
    this.buf.fill(0, this.length, this.length + pad);
    this.length += pad;
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function checkNodeName(name: string, path: string): void {
  if (!NODE_NAME_RE.test(name)) throw new FdtError(`invalid node name ${JSON.stringify(name)} at ${path}`);
  if (nodeNameLength(name) > 31) throw new FdtError(`node name ${JSON.stringify(name)} at ${path} is longer than 31 characters`);
}

/** A node name the writer accepts (the reader takes any bytes): characters of §2.2.1, at most 31 before the unit address. */
export function isValidNodeName(name: string): boolean {
  return NODE_NAME_RE.test(name) && nodeNameLength(name) <= 31;
}

function nodeNameLength(name: string): number {
  const at = name.indexOf('@');
  return at < 0 ? name.length : at;
}

/** Serialises a tree to a DTB (v17). Throws FdtError if the tree is not representable. */
export function writeFdt(root: FdtNode, opts: FdtWriteOptions = {}): Uint8Array {
  if (root.name !== '') throw new FdtError(`root node name must be empty, got ${JSON.stringify(root.name)}`);
  const bootCpuidPhys = opts.bootCpuidPhys ?? 0;
  if (!Number.isInteger(bootCpuidPhys) || bootCpuidPhys < 0 || bootCpuidPhys > 0xffffffff) {
    throw new FdtError(`boot_cpuid_phys ${String(bootCpuidPhys)} is not a u32`);
  }

  // Strings block with de-duplication.
  const strings = new ByteSink();
  const stringOffsets = new Map<string, number>();
  const nameOffset = (name: string): number => {
    let off = stringOffsets.get(name);
    if (off === undefined) {
      // The first earlier name it is a suffix of (dtc: memmem over the block).
      for (const [earlier, at] of stringOffsets) {
        if (earlier.endsWith(name)) {
          off = at + encoder.encode(earlier).length - encoder.encode(name).length;
          stringOffsets.set(name, off);
          return off;
        }
      }
      off = strings.length;
      strings.bytes(encoder.encode(name));
      strings.bytes(new Uint8Array(1));
      stringOffsets.set(name, off);
    }
    return off;
  };

  // Structure block, written iteratively (no recursion depth limit).
  const struct = new ByteSink();
  type Frame = { n: FdtNode; path: string; next: number };
  const stack: Frame[] = [];
  const open = (n: FdtNode, path: string, isRoot: boolean): void => {
    if (!isRoot) checkNodeName(n.name, path);
    struct.u32(FDT_BEGIN_NODE);
    struct.bytes(encoder.encode(n.name));
    struct.bytes(new Uint8Array(1));
    struct.align(4);
    const seen = new Set<string>();
    for (const p of n.props) {
      if (!PROP_NAME_RE.test(p.name) || p.name.length > 31) {
        throw new FdtError(`invalid property name ${JSON.stringify(p.name)} in ${path}`);
      }
      if (seen.has(p.name)) throw new FdtError(`duplicate property ${JSON.stringify(p.name)} in ${path}`);
      seen.add(p.name);
      struct.u32(FDT_PROP);
      struct.u32(p.value.length);
      struct.u32(nameOffset(p.name));
      struct.bytes(p.value);
      struct.align(4);
    }
    const names = new Set<string>();
    for (const c of n.children) {
      if (names.has(c.name)) throw new FdtError(`duplicate node ${JSON.stringify(c.name)} in ${path}`);
      names.add(c.name);
    }
    stack.push({ n, path, next: 0 });
  };
  open(root, '/', true);
  while (stack.length > 0) {
    const f = stack[stack.length - 1];
    if (f === undefined) break;
    const child = f.n.children[f.next];
    if (child === undefined) {
      struct.u32(FDT_END_NODE);
      stack.pop();
    } else {
      f.next++;
      open(child, f.path === '/' ? `/${child.name}` : `${f.path}/${child.name}`, false);
    }
  }
  struct.u32(FDT_END);

  // Memory reservation block.
  const rsv = new ByteSink();
  for (const r of opts.memReserve ?? []) {
    if (r.address < 0n || r.address > U64_MAX || r.size < 0n || r.size > U64_MAX) {
      throw new FdtError(`memory reservation 0x${r.address.toString(16)}+0x${r.size.toString(16)} is not a pair of u64`);
    }
    if (r.size === 0n) throw new FdtError(`memory reservation at 0x${r.address.toString(16)} has size 0 (reads as the terminator)`);
    rsv.u64(r.address);
    rsv.u64(r.size);
  }
  rsv.u64(0n);
  rsv.u64(0n);

  const offMemRsvmap = FDT_HEADER_BYTES; // already 8-byte aligned
  const offDtStruct = offMemRsvmap + rsv.length; // multiple of 8
  const offDtStrings = offDtStruct + struct.length;
  const totalSize = offDtStrings + strings.length;

  const out = new ByteSink();
  out.u32(FDT_MAGIC);
  out.u32(totalSize);
  out.u32(offDtStruct);
  out.u32(offDtStrings);
  out.u32(offMemRsvmap);
  out.u32(FDT_VERSION);
  out.u32(FDT_LAST_COMP_VERSION);
  out.u32(bootCpuidPhys);
  out.u32(strings.length);
  out.u32(struct.length);
  out.bytes(rsv.result());
  out.bytes(struct.result());
  out.bytes(strings.result());
  return out.result();
}

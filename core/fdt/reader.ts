// Flattened device tree reader (Devicetree Specification v0.4, ch. 5).
//
// Every offset and length read from the blob is checked before use, so a
// malformed or hostile blob produces an FdtError with a one-line message
// naming the problem, never a RangeError or an out-of-bounds read. The parser
// is iterative (no recursion), so absurdly deep trees cannot overflow the stack.

import { FdtError, type FdtBlob, type FdtNode, type FdtProp, type FdtReserveEntry } from './tree.js';
import {
  FDT_BEGIN_NODE,
  FDT_END,
  FDT_END_NODE,
  FDT_HEADER_BYTES,
  FDT_MAGIC,
  FDT_NOP,
  FDT_PROP,
} from './writer.js';

export interface FdtHeader {
  magic: number;
  totalSize: number;
  offDtStruct: number;
  offDtStrings: number;
  offMemRsvmap: number;
  version: number;
  lastCompVersion: number;
  bootCpuidPhys: number;
  sizeDtStrings: number;
  sizeDtStruct: number;
}

export interface FdtReadResult extends FdtBlob {
  readonly header: FdtHeader;
}

const hex = (n: number): string => `0x${n.toString(16)}`;
const decoder = new TextDecoder('utf-8', { fatal: false });

/** Parses and validates the 40-byte header. */
export function readFdtHeader(blob: Uint8Array): FdtHeader {
  if (blob.length < FDT_HEADER_BYTES) {
    throw new FdtError(`blob of ${blob.length} bytes is shorter than the ${FDT_HEADER_BYTES}-byte FDT header`);
  }
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const w = (i: number): number => dv.getUint32(i * 4, false);
  const h: FdtHeader = {
    magic: w(0),
    totalSize: w(1),
    offDtStruct: w(2),
    offDtStrings: w(3),
    offMemRsvmap: w(4),
    version: w(5),
    lastCompVersion: w(6),
    bootCpuidPhys: w(7),
    sizeDtStrings: w(8),
    sizeDtStruct: w(9),
  };
  if (h.magic !== FDT_MAGIC) throw new FdtError(`bad FDT magic ${hex(h.magic)} (expected ${hex(FDT_MAGIC)})`);
  if (h.version < 16) throw new FdtError(`FDT version ${h.version} is too old (need 16 or later)`);
  if (h.lastCompVersion > 17) {
    throw new FdtError(`FDT last_comp_version ${h.lastCompVersion} is newer than the supported version 17`);
  }
  if (h.totalSize < FDT_HEADER_BYTES) throw new FdtError(`FDT totalsize ${h.totalSize} is smaller than the header`);
  if (h.totalSize > blob.length) {
    throw new FdtError(`FDT totalsize ${h.totalSize} exceeds the ${blob.length}-byte blob (truncated?)`);
  }
  if (h.version < 17) {
    // v16 has no size_dt_struct; the structure block runs to the strings block or the end.
    const end = h.offDtStrings > h.offDtStruct ? h.offDtStrings : h.totalSize;
    h.sizeDtStruct = Math.max(0, end - h.offDtStruct);
  }
  const block = (name: string, off: number, size: number, align: number): void => {
    if (off % align !== 0) throw new FdtError(`FDT ${name} offset ${hex(off)} is not ${align}-byte aligned`);
    if (off < FDT_HEADER_BYTES) throw new FdtError(`FDT ${name} offset ${hex(off)} overlaps the header`);
    if (off > h.totalSize || size > h.totalSize - off) {
      throw new FdtError(`FDT ${name} [${hex(off)}, +${hex(size)}) lies outside totalsize ${hex(h.totalSize)}`);
    }
  };
  block('memory reservation block', h.offMemRsvmap, 16, 8);
  block('structure block', h.offDtStruct, h.sizeDtStruct, 4);
  block('strings block', h.offDtStrings, h.sizeDtStrings, 1);
  if (h.sizeDtStruct % 4 !== 0) throw new FdtError(`FDT structure block size ${h.sizeDtStruct} is not a multiple of 4`);
  return h;
}

function readMemReserve(dv: DataView, h: FdtHeader): FdtReserveEntry[] {
  const out: FdtReserveEntry[] = [];
  for (let off = h.offMemRsvmap; ; off += 16) {
    if (off + 16 > h.totalSize) throw new FdtError('FDT memory reservation block has no terminating zero entry');
    const address = (BigInt(dv.getUint32(off, false)) << 32n) | BigInt(dv.getUint32(off + 4, false));
    const size = (BigInt(dv.getUint32(off + 8, false)) << 32n) | BigInt(dv.getUint32(off + 12, false));
    if (address === 0n && size === 0n) return out;
    out.push({ address, size });
  }
}

/** Reads a NUL-terminated string within [start, limit); returns the string and the end (exclusive, after NUL). */
function readCString(blob: Uint8Array, start: number, limit: number, what: string): { s: string; end: number } {
  const nul = blob.subarray(start, limit).indexOf(0);
  if (nul < 0) throw new FdtError(`${what} at ${hex(start)} is not NUL-terminated within its block`);
  return { s: decoder.decode(blob.subarray(start, start + nul)), end: start + nul + 1 };
}

interface MutableNode {
  name: string;
  props: FdtProp[];
  children: FdtNode[];
}

/** Parses and validates a DTB; throws FdtError for any malformation. */
export function readFdt(blob: Uint8Array): FdtReadResult {
  const h = readFdtHeader(blob);
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const memReserve = readMemReserve(dv, h);

  const sBase = h.offDtStrings;
  const sEnd = h.offDtStrings + h.sizeDtStrings;
  const base = h.offDtStruct;
  const end = h.offDtStruct + h.sizeDtStruct;
  let off = base;
  const token = (): number => {
    if (off + 4 > end) throw new FdtError(`FDT structure block ends at ${hex(end)} without an FDT_END token`);
    const t = dv.getUint32(off, false);
    off += 4;
    return t;
  };
  const align4 = (n: number): number => (n + 3) & ~3;

  const stack: MutableNode[] = [];
  let root: MutableNode | undefined;
  for (;;) {
    const at = off;
    const t = token();
    if (t === FDT_NOP) continue;
    if (t === FDT_BEGIN_NODE) {
      if (root !== undefined && stack.length === 0) {
        throw new FdtError(`FDT has a second root node at ${hex(at)}`);
      }
      const { s: name, end: nameEnd } = readCString(blob, off, end, 'node name');
      off = align4(nameEnd);
      if (off > end) throw new FdtError(`node name at ${hex(at)} runs past the structure block`);
      if (stack.length === 0 && name !== '') throw new FdtError(`root node has name ${JSON.stringify(name)} (must be empty)`);
      if (stack.length > 0 && name === '') throw new FdtError(`node at ${hex(at)} has an empty name`);
      const n: MutableNode = { name, props: [], children: [] };
      const parent = stack[stack.length - 1];
      if (parent !== undefined) {
        parent.children.push(n);
      } else {
        root = n;
      }
      stack.push(n);
    } else if (t === FDT_PROP) {
      const cur = stack[stack.length - 1];
      if (cur === undefined) throw new FdtError(`FDT_PROP at ${hex(at)} outside any node`);
      if (cur.children.length > 0) throw new FdtError(`FDT_PROP at ${hex(at)} follows a subnode in ${JSON.stringify(cur.name)}`);
      const len = token();
      const nameoff = token();
      if (len > end - off) throw new FdtError(`property at ${hex(at)} has length ${len}, past the structure block`);
      if (nameoff >= h.sizeDtStrings) {
        throw new FdtError(`property at ${hex(at)} has name offset ${hex(nameoff)} outside the ${h.sizeDtStrings}-byte strings block`);
      }
      const { s: pname } = readCString(blob, sBase + nameoff, sEnd, 'property name');
      if (pname === '') throw new FdtError(`property at ${hex(at)} has an empty name`);
      const value = blob.slice(off, off + len);
      off = align4(off + len);
      if (off > end) throw new FdtError(`property at ${hex(at)} padding runs past the structure block`);
      cur.props.push({ name: pname, value });
    } else if (t === FDT_END_NODE) {
      if (stack.length === 0) throw new FdtError(`unbalanced FDT_END_NODE at ${hex(at)}`);
      stack.pop();
    } else if (t === FDT_END) {
      if (root === undefined) throw new FdtError('FDT structure block has no root node');
      if (stack.length !== 0) throw new FdtError(`FDT_END at ${hex(at)} with ${stack.length} node(s) still open`);
      break;
    } else {
      throw new FdtError(`unknown FDT token ${hex(t)} at ${hex(at)}`);
    }
  }
  if (root === undefined) throw new FdtError('FDT structure block has no root node');
  return { root, memReserve, bootCpuidPhys: h.bootCpuidPhys, header: h };
}

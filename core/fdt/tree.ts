// Plain-data flattened-device-tree model shared by the writer, the reader and
// the board description (Devicetree Specification v0.4, ch. 2 and 5).
//
// A tree is nothing but plain values: a node is a name, an ordered list of
// properties and an ordered list of children; a property value is raw bytes
// in the big-endian encodings of §2.2.4. Order is preserved everywhere, so a
// write -> read round trip gives back an identical tree and the same tree
// always serialises to the same bytes.

export interface FdtProp {
  readonly name: string;
  readonly value: Uint8Array;
}

export interface FdtNode {
  /** Node name including any unit address ("pl011@9000000"); "" for the root. */
  readonly name: string;
  readonly props: FdtProp[];
  readonly children: FdtNode[];
}

/** One /memreserve/ entry (§5.3). */
export interface FdtReserveEntry {
  readonly address: bigint;
  readonly size: bigint;
}

/** Everything a DTB carries besides the tree itself. */
export interface FdtBlob {
  readonly root: FdtNode;
  readonly memReserve: FdtReserveEntry[];
  readonly bootCpuidPhys: number;
}

/** Raised for malformed blobs, malformed values and invalid trees; the message is one line. */
export class FdtError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FdtError';
  }
}

const U32_MAX = 0xffffffff;
const U64_MAX = (1n << 64n) - 1n;

// ---- building values (§2.2.4) ----

function checkU32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > U32_MAX) {
    throw new FdtError(`${what} ${String(v)} is not a u32`);
  }
  return v;
}

function toU64(v: bigint | number, what: string): bigint {
  const b = typeof v === 'bigint' ? v : Number.isInteger(v) ? BigInt(v) : -1n;
  if (b < 0n || b > U64_MAX) throw new FdtError(`${what} ${String(v)} is not a u64`);
  return b;
}

/** `<u32>`: one big-endian cell. */
export function u32(v: number): Uint8Array {
  return cells(v);
}

/** `<hi lo>`: a big-endian u64 (two cells). */
export function u64(v: bigint | number): Uint8Array {
  const b = toU64(v, 'u64 value');
  return cells(Number(b >> 32n), Number(b & 0xffffffffn));
}

/** A list of big-endian u32 cells. */
export function cells(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setUint32(i * 4, checkU32(v, 'cell'), false));
  return out;
}

/**
 * An address or size as `n` cells (n = 1 or 2 in practice; any n >= 1 works),
 * high cells first. Throws if the value does not fit.
 */
export function sizedCells(n: number, v: bigint | number): Uint8Array {
  let b = toU64(v, 'sized-cells value');
  const words: number[] = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    words[i] = Number(b & 0xffffffffn);
    b >>= 32n;
  }
  if (b !== 0n) throw new FdtError(`value 0x${toU64(v, '').toString(16)} does not fit in ${n} cell(s)`);
  return cells(...words);
}

/** Concatenates encoded values (e.g. `concat(sizedCells(2, base), sizedCells(2, size))`). */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: false });

/** A NUL-terminated string. */
export function str(s: string): Uint8Array {
  if (s.includes('\0')) throw new FdtError(`string value contains NUL: ${JSON.stringify(s)}`);
  const b = textEncoder.encode(s);
  const out = new Uint8Array(b.length + 1);
  out.set(b);
  return out;
}

/** A stringlist: NUL-terminated strings back to back (`"a\0b"`). */
export function strList(...items: string[]): Uint8Array {
  return concat(...items.map(str));
}

/** An empty value (a boolean property such as `interrupt-controller;`). */
export function empty(): Uint8Array {
  return new Uint8Array(0);
}

export function prop(name: string, value: Uint8Array): FdtProp {
  return { name, value };
}

export function node(name: string, props: FdtProp[] = [], children: FdtNode[] = []): FdtNode {
  return { name, props, children };
}

// ---- reading values ----

/** Decodes a value made of whole big-endian u32 cells. */
export function readU32Cells(value: Uint8Array): number[] {
  if (value.length % 4 !== 0) throw new FdtError(`value of ${value.length} bytes is not a whole number of cells`);
  const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const out: number[] = [];
  for (let i = 0; i < value.length; i += 4) out.push(dv.getUint32(i, false));
  return out;
}

export function readU32(value: Uint8Array): number {
  if (value.length !== 4) throw new FdtError(`expected a 4-byte u32 value, got ${value.length} bytes`);
  return readU32Cells(value)[0] ?? 0;
}

/** Decodes a value of 1 or 2 cells (a u32 or u64) as a bigint. */
export function readU64(value: Uint8Array): bigint {
  if (value.length !== 4 && value.length !== 8) {
    throw new FdtError(`expected a 4- or 8-byte value, got ${value.length} bytes`);
  }
  return readU32Cells(value).reduce((acc, c) => (acc << 32n) | BigInt(c), 0n);
}

/** Splits a value into groups of `n`-cell numbers (e.g. the address/size pairs of `reg`). */
export function readSizedCells(value: Uint8Array, ...groups: number[]): bigint[][] {
  const words = readU32Cells(value);
  const per = groups.reduce((a, b) => a + b, 0);
  if (per <= 0 || words.length % per !== 0) {
    throw new FdtError(`value of ${words.length} cells is not a multiple of ${per}`);
  }
  const out: bigint[][] = [];
  for (let i = 0; i < words.length; ) {
    const tuple: bigint[] = [];
    for (const g of groups) {
      let v = 0n;
      for (let k = 0; k < g; k++) v = (v << 32n) | BigInt(words[i++] ?? 0);
      tuple.push(v);
    }
    out.push(tuple);
  }
  return out;
}

export function readStringList(value: Uint8Array): string[] {
  if (value.length === 0 || value[value.length - 1] !== 0) {
    throw new FdtError('string value is not NUL-terminated');
  }
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    if (value[i] === 0) {
      out.push(textDecoder.decode(value.subarray(start, i)));
      start = i + 1;
    }
  }
  return out;
}

export function readString(value: Uint8Array): string {
  const list = readStringList(value);
  if (list.length !== 1) throw new FdtError(`expected one string, found ${list.length}`);
  return list[0] ?? '';
}

// ---- navigation ----

export function getProp(n: FdtNode, name: string): Uint8Array | undefined {
  return n.props.find((p) => p.name === name)?.value;
}

/** Base name of a node, without its unit address. */
export function nodeBaseName(name: string): string {
  const at = name.indexOf('@');
  return at < 0 ? name : name.slice(0, at);
}

function findChild(parent: FdtNode, component: string): FdtNode | undefined {
  const exact = parent.children.find((c) => c.name === component);
  if (exact !== undefined || component.includes('@')) return exact;
  // Like libfdt: a component without a unit address matches "name@unit".
  return parent.children.find((c) => nodeBaseName(c.name) === component);
}

/** Looks up an absolute path such as "/cpus/cpu@0" or "/memory"; "/" is the root. */
export function findNode(root: FdtNode, path: string): FdtNode | undefined {
  if (!path.startsWith('/')) throw new FdtError(`path ${JSON.stringify(path)} is not absolute`);
  let cur: FdtNode | undefined = root;
  for (const component of path.split('/')) {
    if (component === '') continue;
    cur = findChild(cur, component);
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** Depth-first, pre-order walk; `path` is the node's absolute path. */
export function walkNodes(root: FdtNode, visit: (n: FdtNode, path: string) => void): void {
  const stack: { n: FdtNode; path: string }[] = [{ n: root, path: '/' }];
  while (stack.length > 0) {
    const top = stack.pop();
    if (top === undefined) break;
    visit(top.n, top.path);
    for (let i = top.n.children.length - 1; i >= 0; i--) {
      const c = top.n.children[i];
      if (c === undefined) continue;
      stack.push({ n: c, path: top.path === '/' ? `/${c.name}` : `${top.path}/${c.name}` });
    }
  }
}

// ---- phandles (§2.3.3) ----

/** The node's `phandle` (or legacy `linux,phandle`) value, if any. */
export function getPhandle(n: FdtNode): number | undefined {
  const v = getProp(n, 'phandle') ?? getProp(n, 'linux,phandle');
  return v === undefined ? undefined : readU32(v);
}

export function findByPhandle(root: FdtNode, phandle: number): FdtNode | undefined {
  let found: FdtNode | undefined;
  walkNodes(root, (n) => {
    if (found === undefined && getPhandle(n) === phandle) found = n;
  });
  return found;
}

/** Largest phandle used in the tree, 0 if none. */
export function maxPhandle(root: FdtNode): number {
  let max = 0;
  walkNodes(root, (n) => {
    const p = getPhandle(n);
    if (p !== undefined && p > max) max = p;
  });
  return max;
}

/** Copy of `n` with its `phandle` property set (replacing an existing one in place). */
export function withPhandle(n: FdtNode, phandle: number): FdtNode {
  if (phandle === 0 || phandle === U32_MAX) throw new FdtError(`phandle 0x${phandle.toString(16)} is reserved`);
  const value = u32(phandle);
  const i = n.props.findIndex((p) => p.name === 'phandle');
  const props = i < 0 ? [...n.props, prop('phandle', value)] : n.props.map((p, k) => (k === i ? prop('phandle', value) : p));
  return { name: n.name, props, children: n.children };
}

/** Checks that no two nodes share a phandle; throws FdtError naming both paths otherwise. */
export function checkPhandlesUnique(root: FdtNode): void {
  const seen = new Map<number, string>();
  walkNodes(root, (n, path) => {
    const p = getPhandle(n);
    if (p === undefined) return;
    const other = seen.get(p);
    if (other !== undefined) throw new FdtError(`phandle 0x${p.toString(16)} used by both ${other} and ${path}`);
    seen.set(p, path);
  });
}

/** Structural equality of two trees (names, order, bytes). */
export function treesEqual(a: FdtNode, b: FdtNode): boolean {
  if (a.name !== b.name || a.props.length !== b.props.length || a.children.length !== b.children.length) return false;
  for (let i = 0; i < a.props.length; i++) {
    const pa = a.props[i];
    const pb = b.props[i];
    if (pa === undefined || pb === undefined || pa.name !== pb.name || pa.value.length !== pb.value.length) return false;
    for (let k = 0; k < pa.value.length; k++) if (pa.value[k] !== pb.value[k]) return false;
  }
  for (let i = 0; i < a.children.length; i++) {
    const ca = a.children[i];
    const cb = b.children[i];
    if (ca === undefined || cb === undefined || !treesEqual(ca, cb)) return false;
  }
  return true;
}

// ---- dtc-like text rendering ----

function isPrintableString(bytes: Uint8Array): boolean {
  if (bytes.length === 0 || bytes[bytes.length - 1] !== 0) return false;
  // dtc's heuristic: every string non-empty, all printable ASCII.
  if (bytes[0] === 0) return false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] ?? 0;
    if (c === 0) {
      if (i + 1 < bytes.length && bytes[i + 1] === 0) return false;
      continue;
    }
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

function escapeDts(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** Renders one property value the way `dtc -O dts` does (strings, cells, or bytes). */
export function formatValue(value: Uint8Array): string {
  if (value.length === 0) return '';
  if (isPrintableString(value)) {
    // Strings joined with "\0" as dtc prints them; a separator followed by an
    // octal digit is written "\x00" so it cannot read as a longer octal escape.
    const parts = readStringList(value).map(escapeDts);
    let out = parts[0] ?? '';
    for (const p of parts.slice(1)) out += (/^[0-7]/.test(p) ? '\\x00' : '\\0') + p;
    return `"${out}"`;
  }
  if (value.length % 4 === 0) {
    return `<${readU32Cells(value)
      .map((c) => `0x${c.toString(16).padStart(2, '0')}`)
      .join(' ')}>`;
  }
  return `[${Array.from(value, (b) => b.toString(16).padStart(2, '0')).join(' ')}]`;
}

/** dtc-like DTS source for a tree (and its reservation entries). */
export function toDts(root: FdtNode | FdtBlob, memReserve: FdtReserveEntry[] = []): string {
  const tree = 'root' in root ? root.root : root;
  const reserves = 'root' in root ? root.memReserve : memReserve;
  const lines: string[] = ['/dts-v1/;', ''];
  for (const r of reserves) lines.push(`/memreserve/ 0x${r.address.toString(16).padStart(16, '0')} 0x${r.size.toString(16).padStart(16, '0')};`);
  if (reserves.length > 0) lines.push('');
  // Iterative rendering: deep trees must not overflow the JS stack.
  type Frame = { n: FdtNode; depth: number; next: number };
  const stack: Frame[] = [{ n: tree, depth: 0, next: -1 }];
  while (stack.length > 0) {
    const f = stack[stack.length - 1];
    if (f === undefined) break;
    const ind = '\t'.repeat(f.depth);
    if (f.next === -1) {
      lines.push(`${ind}${f.depth === 0 ? '/' : f.n.name} {`);
      for (const p of f.n.props) {
        const v = formatValue(p.value);
        lines.push(v === '' ? `${ind}\t${p.name};` : `${ind}\t${p.name} = ${v};`);
      }
      f.next = 0;
    }
    const child = f.n.children[f.next];
    if (child !== undefined) {
      f.next++;
      lines.push('');
      stack.push({ n: child, depth: f.depth + 1, next: -1 });
    } else {
      lines.push(`${ind}};`);
      stack.pop();
    }
  }
  return lines.join('\n') + '\n';
}

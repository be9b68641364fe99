// A minimal WebAssembly binary writer: just what the translator emits (one
// module = imported memory, table-free, imported helper functions, one
// exported function). Opcodes and encodings from the WebAssembly core
// specification 1.0, section 5 (binary format).

export const I32 = 0x7f;
export const I64 = 0x7e;
export const VOID = 0x40; // empty block type

/** Opcodes used by the translator. */
export const Op = {
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b,
  br: 0x0c, br_if: 0x0d, br_table: 0x0e, return: 0x0f, call: 0x10,
  drop: 0x1a, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22,
  i32_load: 0x28, i64_load: 0x29, i32_load8_u: 0x2d, i32_load16_u: 0x2f,
  i64_load8_u: 0x31, i64_load16_u: 0x33, i64_load32_u: 0x35, i64_load8_s: 0x30, i64_load16_s: 0x32, i64_load32_s: 0x34,
  i32_store: 0x36, i64_store: 0x37, i32_store8: 0x3a, i32_store16: 0x3b, i64_store8: 0x3c, i64_store16: 0x3d, i64_store32: 0x3e,
  i32_const: 0x41, i64_const: 0x42,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_s: 0x4a, i32_gt_u: 0x4b, i32_le_s: 0x4c, i32_le_u: 0x4d, i32_ge_s: 0x4e, i32_ge_u: 0x4f,
  i64_eqz: 0x50, i64_eq: 0x51, i64_ne: 0x52, i64_lt_s: 0x53, i64_lt_u: 0x54, i64_gt_s: 0x55, i64_gt_u: 0x56, i64_le_s: 0x57, i64_le_u: 0x58, i64_ge_s: 0x59, i64_ge_u: 0x5a,
  i32_clz: 0x67, i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c, i32_and: 0x71, i32_or: 0x72, i32_xor: 0x73, i32_shl: 0x74, i32_shr_s: 0x75, i32_shr_u: 0x76, i32_rotr: 0x78,
  i64_clz: 0x79, i64_add: 0x7c, i64_sub: 0x7d, i64_mul: 0x7e, i64_div_s: 0x7f, i64_div_u: 0x80, i64_and: 0x83, i64_or: 0x84, i64_xor: 0x85,
  i64_shl: 0x86, i64_shr_s: 0x87, i64_shr_u: 0x88, i64_rotl: 0x89, i64_rotr: 0x8a,
  i32_wrap_i64: 0xa7, i64_extend_i32_s: 0xac, i64_extend_i32_u: 0xad,
  i64_extend8_s: 0xc2, i64_extend16_s: 0xc3, i64_extend32_s: 0xc4,
} as const;

/** A growable byte buffer with LEB128 writers. */
export class Bytes {
  buf = new Uint8Array(256);
  len = 0;
  byte(b: number): this {
    if (this.len === this.buf.length) {
      const n = new Uint8Array(this.buf.length * 2);
      n.set(this.buf);
      this.buf = n;
    }
    this.buf[this.len++] = b;
    return this;
  }
  bytes(bs: ArrayLike<number>): this {
    for (let i = 0; i < bs.length; i++) this.byte(bs[i]!);
    return this;
  }
  u32(v: number): this {
    let x = v >>> 0;
    do {
      let b = x & 0x7f;
      x >>>= 7;
      if (x !== 0) b |= 0x80;
      this.byte(b);
    } while (x !== 0);
    return this;
  }
  s32(v: number): this {
    let x = v | 0;
    for (;;) {
      const b = x & 0x7f;
      x >>= 7;
      if ((x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0)) {
        this.byte(b);
        return this;
      }
      this.byte(b | 0x80);
    }
  }
  s64(v: bigint): this {
    let x = BigInt.asIntN(64, v);
    for (;;) {
      const b = Number(x & 0x7fn);
      x >>= 7n;
      if ((x === 0n && (b & 0x40) === 0) || (x === -1n && (b & 0x40) !== 0)) {
        this.byte(b);
        return this;
      }
      this.byte(b | 0x80);
    }
  }
  name(s: string): this {
    const e = new TextEncoder().encode(s);
    return this.u32(e.length).bytes(e);
  }
  section(id: number, body: Bytes): this {
    this.byte(id).u32(body.len);
    return this.bytes(body.buf.subarray(0, body.len));
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export interface FuncType { params: number[]; results: number[] }

/**
 * Assemble a module: `memory` imported as env.memory (shared with the core),
 * functions imported from env by name, and one function exported as "f".
 */
export function moduleBytes(o: {
  imports: Array<{ name: string; type: FuncType }>;
  func: { type: FuncType; locals: number[]; body: Bytes };
  memoryPages: number;
}): Uint8Array {
  const types: FuncType[] = [];
  const typeIndex = (t: FuncType): number => {
    const i = types.findIndex((x) => x.params.join() === t.params.join() && x.results.join() === t.results.join());
    if (i >= 0) return i;
    types.push(t);
    return types.length - 1;
  };
  const importTypes = o.imports.map((i) => typeIndex(i.type));
  const funcType = typeIndex(o.func.type);
  const out = new Bytes().bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const ts = new Bytes().u32(types.length);
  for (const t of types) ts.byte(0x60).u32(t.params.length).bytes(t.params).u32(t.results.length).bytes(t.results);
  out.section(1, ts);
  const im = new Bytes().u32(o.imports.length + 1);
  im.name('env').name('memory').byte(0x02).byte(0x01).u32(o.memoryPages).u32(o.memoryPages);
  o.imports.forEach((imp, i) => im.name('env').name(imp.name).byte(0x00).u32(importTypes[i]!));
  out.section(2, im);
  out.section(3, new Bytes().u32(1).u32(funcType));
  out.section(7, new Bytes().u32(1).name('f').byte(0x00).u32(o.imports.length));
  // Locals, run-length encoded by type.
  const groups: Array<[number, number]> = [];
  for (const t of o.func.locals) {
    const last = groups[groups.length - 1];
    if (last && last[1] === t) last[0]++;
    else groups.push([1, t]);
  }
  const fb = new Bytes().u32(groups.length);
  for (const [n, t] of groups) fb.u32(n).byte(t);
  fb.bytes(o.func.body.buf.subarray(0, o.func.body.len)).byte(Op.end);
  out.section(10, new Bytes().u32(1).u32(fb.len).bytes(fb.buf.subarray(0, fb.len)));
  return out.result();
}

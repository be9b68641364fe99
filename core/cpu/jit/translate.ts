// Translation of one page's decoded blocks (core/cpu/as/codecache.ts) into a
// WebAssembly function (docs/cpu-speed.md). The function shares the core's
// memory: registers, NZCV and the TLB are read and written where the
// interpreter keeps them, so both can run the same CPU turn by turn.
//
//   f(S, entry, budget, vaPage) -> executed | JIT_FLAG_PC_SET
//
// S is the CPU's state block, `entry` the number of the block to start at,
// `budget` the instructions it may execute, vaPage the virtual page the
// blocks were fetched through. Blocks of the page jump to each other
// directly; each checks the budget before it starts, so a translation never
// executes part of a block: the interpreter runs what is left of a window.
// It returns when a branch leaves the page or reaches a block it does not
// hold (next PC in ST_JIT_PC), and right after any instruction that took an
// exception, reached a host device, dropped cached code or is a system
// instruction (the core's pc is then already set: JIT_FLAG_PC_SET).
// Instructions it does not translate are executed by the interpreter
// (jitInterp), as are the slow paths of loads and stores (jitLoad/jitStore).
import * as L from '../layout.js';
import * as O from '../ops.js';
import { Bytes, I32, I64, VOID, Op, moduleBytes, type FuncType } from './wasm.js';

export interface DecodedInsn { insn: number; op: number; aux: number }
export interface PageBlock {
  /** Offset of the first instruction in the page. */
  offset: number;
  insns: DecodedInsn[];
}

// Parameters and locals.
const S = 0, ENTRY = 1, BUDGET = 2, VAPAGE = 3;
const N = 4, BLK = 5, TLB = 6, STP = 7, E = 8, ST = 9, F = 10; // i32
const CTXA = 11, CTXG = 12, A = 13, B = 14, R = 15, VA = 16, T = 17, V = 18, W = 19; // i64
const REG0 = 20; // X0..X30 and SP (slot 31) held in locals REG0 + n inside a block
const LOCALS = [I32, I32, I32, I32, I32, I32, I32, I64, I64, I64, I64, I64, I64, I64, I64, I64, ...new Array<number>(32).fill(I64)];

// Imported helpers (function indices).
const H_INTERP = 0, H_LOAD = 1, H_STORE = 2;
export const HELPERS: Array<{ name: string; type: FuncType }> = [
  { name: 'jitInterp', type: { params: [I64, I32, I32, I32], results: [I32] } },
  { name: 'jitLoad', type: { params: [I64, I32, I64, I32, I32], results: [I64] } },
  { name: 'jitStore', type: { params: [I64, I32, I64, I64, I32, I32], results: [I32] } },
];
const FUNC_TYPE: FuncType = { params: [I32, I32, I32, I64], results: [I32] };

const sext = (v: number, bits: number): number => (v << (32 - bits)) >> (32 - bits);

/** Function body writer with named labels for branches. */
class Emitter {
  readonly b = new Bytes();
  private labels: string[] = [];
  op(...codes: number[]): this {
    for (const c of codes) this.b.byte(c);
    return this;
  }
  get(l: number): this { this.b.byte(Op.local_get).u32(l); return this; }
  set(l: number): this { this.b.byte(Op.local_set).u32(l); return this; }
  tee(l: number): this { this.b.byte(Op.local_tee).u32(l); return this; }
  i32(v: number): this { this.b.byte(Op.i32_const).s32(v | 0); return this; }
  i64(v: bigint | number): this { this.b.byte(Op.i64_const).s64(BigInt(v)); return this; }
  mem(code: number, align: number, offset: number): this { this.b.byte(code).u32(align).u32(offset); return this; }
  call(f: number): this { this.b.byte(Op.call).u32(f); return this; }
  block(name: string, type = VOID): this { this.labels.push(name); this.b.byte(Op.block).byte(type); return this; }
  loop(name: string): this { this.labels.push(name); this.b.byte(Op.loop).byte(VOID); return this; }
  /** Open `if` blocks around the code being emitted (code there runs on one path only). */
  condDepth = 0;
  if_(type = VOID): this { this.labels.push(''); this.condDepth++; this.b.byte(Op.if).byte(type); return this; }
  else_(): this { this.b.byte(Op.else); return this; }
  end(): this {
    if (this.labels.pop() === '') this.condDepth--;
    this.b.byte(Op.end);
    return this;
  }
  depth(name: string): number {
    const i = this.labels.lastIndexOf(name);
    if (i < 0) throw new Error(`translator: no label ${name}`);
    return this.labels.length - 1 - i;
  }
  br(name: string): this { this.b.byte(Op.br).u32(this.depth(name)); return this; }
  brTable(names: string[], dflt: string): this {
    this.b.byte(Op.br_table).u32(names.length);
    for (const n of names) this.b.u32(this.depth(n));
    this.b.u32(this.depth(dflt));
    return this;
  }
}

/** Reads the core's constant tables at translation time. */
export interface CoreTables {
  /** DecodeBitMasks result for a 64-bit logical immediate (N:immr:imms index). */
  bitmask(index: number): bigint;
}

const PAGE_MASK = 0xffff_ffff_ffff_f000n;

class PageTranslator {
  readonly e = new Emitter();
  private readonly blockAt = new Map<number, number>(); // page offset -> entry number
  // Per block being emitted.
  private len = 0;
  private k = 0; // instruction index within the block
  private off = 0; // page offset of the current instruction
  private insn = 0;
  private fKnown = false; // local F holds NZCV

  constructor(private readonly blocks: readonly PageBlock[], private readonly tables: CoreTables) {
    blocks.forEach((b, i) => this.blockAt.set(b.offset, i));
  }

  // ---- registers (X0..X30 at S + 8n, slot 31 = SP) ----
  // Inside a block a register read once is kept in its local, and a write
  // goes to the local only (dirty), written back before anything that can
  // read the state block: a helper call (jitInterp, a slow path), a return,
  // a jump to another block. Every block starts with nothing held. Code in
  // one arm of an `if` neither starts holding a register nor forgets one
  // (the other arm would disagree): it reads memory when the register is not
  // held, and writes memory as well as the local.
  private held = new Array<boolean>(32).fill(false);
  private dirty = new Array<boolean>(32).fill(false);
  private readReg(r: number): void {
    const e = this.e;
    if (this.held[r]) e.get(REG0 + r);
    else if (e.condDepth > 0) e.get(S).mem(Op.i64_load, 3, r * 8);
    else {
      e.get(S).mem(Op.i64_load, 3, r * 8).tee(REG0 + r);
      this.held[r] = true;
    }
  }
  private writeReg(r: number, value: () => void): void {
    const e = this.e;
    value();
    if (e.condDepth > 0) {
      e.set(W).get(S).get(W).mem(Op.i64_store, 3, r * 8);
      if (this.held[r]) e.get(W).set(REG0 + r);
      return;
    }
    e.set(REG0 + r);
    this.held[r] = true;
    this.dirty[r] = true;
  }
  /** Write back the registers changed inside this block (inside an `if`
   *  arm they stay marked: the other arm has not written them). */
  private flushRegs(): void {
    const e = this.e;
    for (let r = 0; r < 32; r++) {
      if (!this.dirty[r]) continue;
      e.get(S).get(REG0 + r).mem(Op.i64_store, 3, r * 8);
      if (e.condDepth === 0) this.dirty[r] = false;
    }
  }
  /** After the interpreter ran an instruction: any register may have changed. */
  private forgetRegs(): void {
    this.held.fill(false);
    this.dirty.fill(false);
  }
  private x(r: number): void {
    if (r === 31) this.e.i64(0);
    else this.readReg(r);
  }
  private xsp(r: number): void {
    this.readReg(r);
  }
  private w(r: number): void { // zero-extended to i64
    if (r === 31) this.e.i64(0);
    else {
      this.readReg(r);
      this.e.i64(0xffffffff).op(Op.i64_and);
    }
  }
  private w32(r: number): void { // as i32
    if (r === 31) this.e.i32(0);
    else {
      this.readReg(r);
      this.e.op(Op.i32_wrap_i64);
    }
  }
  /** X[r] = value (XZR discards it; `value` must have no side effects). */
  private setX(r: number, value: () => void): void {
    if (r === 31) return;
    this.writeReg(r, value);
  }
  private setSP(r: number, value: () => void): void {
    this.writeReg(r, value);
  }
  /** X[r] = zero-extended i32 value. */
  private setW(r: number, value32: () => void): void {
    this.setX(r, () => { value32(); this.e.op(Op.i64_extend_i32_u); });
  }
  private setWSP(r: number, value32: () => void): void {
    this.setSP(r, () => { value32(); this.e.op(Op.i64_extend_i32_u); });
  }

  // ---- addresses and counts ----
  private vaOf(off: number): void {
    this.e.get(VAPAGE);
    if (off !== 0) this.e.i64(off).op(Op.i64_add);
  }
  /** Instructions executed up to and including the current one. */
  private countNow(): void {
    this.e.get(N);
    const later = this.len - this.k - 1;
    if (later !== 0) this.e.i32(later).op(Op.i32_sub);
  }
  /** Return after the current instruction; the core's pc is already set. */
  private returnPcSet(): void {
    this.countNow();
    this.e.i32(L.JIT_FLAG_PC_SET).op(Op.i32_or, Op.return);
  }
  /** Return with the next PC = vaPage + offset (block boundary: N is complete). */
  private exitTo(offset: number): void {
    this.e.get(S);
    this.vaOf(offset);
    this.e.mem(Op.i64_store, 3, L.ST_JIT_PC).get(N).op(Op.return);
  }
  /** Continue at vaPage + offset: jump to that block if this function holds it. */
  private goTo(offset: number): void {
    this.flushRegs();
    const j = offset >= 0 && offset < 4096 ? this.blockAt.get(offset) : undefined;
    if (j === undefined) this.exitTo(offset);
    else this.e.i32(j).set(BLK).br('top');
  }
  /** Return with the next PC taken from local VA (block boundary). */
  private exitToVa(): void {
    this.flushRegs();
    this.e.get(S).get(VA).mem(Op.i64_store, 3, L.ST_JIT_PC).get(N).op(Op.return);
  }

  // ---- flags ----
  private loadF(): void {
    if (!this.fKnown) {
      this.e.get(S).mem(Op.i32_load, 2, L.ST_NZCV).set(F);
      this.fKnown = true;
    }
  }
  private storeF(): void {
    this.e.get(S).get(F).mem(Op.i32_store, 2, L.ST_NZCV);
    this.fKnown = true;
  }
  /** Push 1 when condition `cond` holds for NZCV (COND_TABLE, as condHolds()). */
  private cond(cond: number): void {
    if (cond >= 14) {
      this.e.i32(1);
      return;
    }
    this.loadF();
    this.e.i32(L.COND_TABLE_BASE + cond * 4).mem(Op.i32_load, 2, 0).get(F).i32(28).op(Op.i32_shr_u, Op.i32_shr_u).i32(1).op(Op.i32_and);
  }
  /** NZCV of a 64-bit add/sub: operands in A and B (B already inverted for a subtract is not used: `sub` says which). R = result. */
  private flags64(sub: boolean): void {
    const e = this.e;
    e.get(R).i64(63).op(Op.i64_shr_u, Op.i32_wrap_i64).i32(31).op(Op.i32_shl);
    e.get(R).op(Op.i64_eqz).i32(30).op(Op.i32_shl, Op.i32_or);
    if (sub) e.get(A).get(B).op(Op.i64_ge_u);
    else e.get(R).get(A).op(Op.i64_lt_u);
    e.i32(29).op(Op.i32_shl, Op.i32_or);
    if (sub) e.get(A).get(B).op(Op.i64_xor).get(A).get(R).op(Op.i64_xor, Op.i64_and);
    else e.get(A).get(R).op(Op.i64_xor).get(B).get(R).op(Op.i64_xor, Op.i64_and);
    e.i64(63).op(Op.i64_shr_u, Op.i32_wrap_i64).i32(28).op(Op.i32_shl, Op.i32_or).set(F);
    this.storeF();
  }
  /** Same for 32-bit operands, held zero-extended in A, B, R (i64 locals). */
  private flags32(sub: boolean): void {
    const e = this.e;
    e.get(R).op(Op.i32_wrap_i64).i32(0x80000000).op(Op.i32_and);
    e.get(R).op(Op.i32_wrap_i64, Op.i32_eqz).i32(30).op(Op.i32_shl, Op.i32_or);
    if (sub) e.get(A).get(B).op(Op.i64_ge_u);
    else e.get(R).get(A).op(Op.i64_lt_u);
    e.i32(29).op(Op.i32_shl, Op.i32_or);
    if (sub) e.get(A).get(B).op(Op.i64_xor).get(A).get(R).op(Op.i64_xor, Op.i64_and);
    else e.get(A).get(R).op(Op.i64_xor).get(B).get(R).op(Op.i64_xor, Op.i64_and);
    e.i64(31).op(Op.i64_shr_u, Op.i32_wrap_i64).i32(1).op(Op.i32_and).i32(28).op(Op.i32_shl, Op.i32_or).set(F);
    this.storeF();
  }
  /** N and Z from R (64 or 32 bits), C = V = 0 (logical operations). */
  private flagsNZ(is64: boolean): void {
    const e = this.e;
    if (is64) {
      e.get(R).i64(63).op(Op.i64_shr_u, Op.i32_wrap_i64).i32(31).op(Op.i32_shl);
      e.get(R).op(Op.i64_eqz).i32(30).op(Op.i32_shl, Op.i32_or).set(F);
    } else {
      e.get(R).op(Op.i32_wrap_i64).i32(0x80000000).op(Op.i32_and);
      e.get(R).op(Op.i32_wrap_i64, Op.i32_eqz).i32(30).op(Op.i32_shl, Op.i32_or).set(F);
    }
    this.storeF();
  }
  /** R = A + B (add) or A - B (sub), 64 or 32 bits (32: A, B, R zero-extended). */
  private addSub(sub: boolean, is64: boolean): void {
    this.e.get(A).get(B).op(sub ? Op.i64_sub : Op.i64_add);
    if (!is64) this.e.i64(0xffffffff).op(Op.i64_and);
    this.e.set(R);
  }

  // ---- shifts and extends of the second operand ----
  private shift(type: number, amount: number, is64: boolean): void {
    // value on the stack (i64; 32-bit values zero-extended), amount < width
    const e = this.e;
    if (amount === 0) return;
    if (is64) {
      e.i64(amount).op([Op.i64_shl, Op.i64_shr_u, Op.i64_shr_s, Op.i64_rotr][type]!);
      return;
    }
    e.op(Op.i32_wrap_i64).i32(amount).op([Op.i32_shl, Op.i32_shr_u, Op.i32_shr_s, Op.i32_rotr][type]!).op(Op.i64_extend_i32_u);
  }
  private extendReg(option: number, sh: number): void {
    // value (i64) on the stack
    const e = this.e;
    switch (option) {
      case 0: e.i64(0xff).op(Op.i64_and); break;
      case 1: e.i64(0xffff).op(Op.i64_and); break;
      case 2: e.i64(0xffffffff).op(Op.i64_and); break;
      case 4: e.op(Op.i64_extend8_s); break;
      case 5: e.op(Op.i64_extend16_s); break;
      case 6: e.op(Op.i64_extend32_s); break;
      default: break;
    }
    if (sh !== 0) e.i64(sh).op(Op.i64_shl);
  }

  // ---- memory ----
  private tlbEntry(): void {
    // E = tlb + ((va >> 12) & (TLB_ENTRIES - 1)) * TLB_ENTRY_BYTES
    this.e.get(TLB).get(VA).i64(12).op(Op.i64_shr_u, Op.i32_wrap_i64).i32(L.TLB_ENTRIES - 1).op(Op.i32_and)
      .i32(6).op(Op.i32_shl, Op.i32_add).set(E);
  }
  /** Push 1 when the entry serves an aligned access of `size` through tag `tagOffset` in this context. */
  private tlbHit(size: number, tagOffset: number): void {
    const e = this.e;
    e.get(VA).i64(PAGE_MASK | BigInt(size - 1)).op(Op.i64_and).get(E).mem(Op.i64_load, 3, tagOffset).op(Op.i64_eq);
    e.get(E).mem(Op.i64_load, 3, 32).tee(T).get(CTXA).op(Op.i64_eq).get(T).get(CTXG).op(Op.i64_eq, Op.i32_or, Op.i32_and);
  }
  private hostAddr(): void {
    this.e.get(VA).get(E).mem(Op.i64_load, 3, 24).op(Op.i64_add, Op.i32_wrap_i64);
  }
  /** Push the zero-extended value of a `size`-byte load from VA. */
  private load(size: number): void {
    const e = this.e;
    this.tlbEntry();
    this.tlbHit(size, 0);
    e.if_(I64);
    this.hostAddr();
    if (size === 8) e.mem(Op.i64_load, 3, 0);
    else if (size === 4) e.mem(Op.i64_load32_u, 2, 0);
    else if (size === 2) e.mem(Op.i64_load16_u, 1, 0);
    else e.mem(Op.i64_load8_u, 0, 0);
    e.else_();
    this.flushRegs();
    e.get(VA).i32(size);
    this.vaOf(this.off);
    e.i32(this.insn);
    this.countNow();
    e.call(H_LOAD);
    e.get(S).mem(Op.i32_load, 2, L.ST_JIT_STATUS).tee(ST).i32(L.JIT_STATUS_FAULT).op(Op.i32_and);
    e.if_();
    this.returnPcSet();
    e.end();
    e.get(ST).get(STP).op(Op.i32_or).set(STP);
    e.end();
  }
  /** Store the value in local V (`size` bytes) at VA. */
  private store(size: number): void {
    const e = this.e;
    this.tlbEntry();
    this.tlbHit(size, 8);
    e.if_();
    this.hostAddr();
    e.get(V);
    if (size === 8) e.mem(Op.i64_store, 3, 0);
    else if (size === 4) e.mem(Op.i64_store32, 2, 0);
    else if (size === 2) e.mem(Op.i64_store16, 1, 0);
    else e.mem(Op.i64_store8, 0, 0);
    e.else_();
    this.flushRegs();
    e.get(VA).i32(size).get(V);
    this.vaOf(this.off);
    e.i32(this.insn);
    this.countNow();
    e.call(H_STORE).tee(ST).i32(L.JIT_STATUS_FAULT).op(Op.i32_and);
    e.if_();
    this.returnPcSet();
    e.end();
    e.get(ST).get(STP).op(Op.i32_or).set(STP);
    e.end();
  }

  /** Execute the current instruction with the interpreter. */
  private interp(op: number, aux: number): void {
    this.flushRegs();
    this.vaOf(this.off);
    this.e.i32(this.insn).i32(op | (aux << 16));
    this.countNow();
    this.e.call(H_INTERP);
    this.fKnown = false;
    this.forgetRegs();
  }

  // ---- the page function ----
  translate(): Uint8Array {
    const e = this.e;
    const n = this.blocks.length;
    e.i32(0).set(N).get(ENTRY).set(BLK);
    e.get(S).mem(Op.i32_load, 2, L.ST_JIT_TLB).set(TLB);
    e.get(S).mem(Op.i64_load, 3, L.ST_JIT_CTXA).set(CTXA);
    e.get(S).mem(Op.i64_load, 3, L.ST_JIT_CTXG).set(CTXG);
    e.loop('top');
    e.block('bad');
    for (let i = n - 1; i >= 0; i--) e.block(`b${i}`);
    e.get(BLK).brTable(this.blocks.map((_, i) => `b${i}`), 'bad');
    for (let i = 0; i < n; i++) {
      e.end(); // b_i: its code follows
      this.emitBlock(this.blocks[i]!);
    }
    e.end(); // bad
    e.op(Op.unreachable);
    e.end(); // top
    e.op(Op.unreachable);
    return e.b.result();
  }

  private emitBlock(blk: PageBlock): void {
    const e = this.e;
    this.len = blk.insns.length;
    this.fKnown = false;
    this.forgetRegs();
    // Budget: the whole block or none of it.
    e.get(N).i32(this.len).op(Op.i32_add).get(BUDGET).op(Op.i32_gt_u);
    e.if_();
    this.exitTo(blk.offset);
    e.end();
    e.get(N).i32(this.len).op(Op.i32_add).set(N);
    for (this.k = 0; this.k < this.len; this.k++) {
      const d = blk.insns[this.k]!;
      this.off = blk.offset + this.k * 4;
      this.insn = d.insn;
      const last = this.k === this.len - 1;
      if (this.emitInsn(d.op, d.aux, d.insn)) continue;
      // Not translated: the interpreter runs it.
      this.interp(d.op, d.aux);
      if (last && isTerminator(d.op) && !isPlainRead(d.op, d.insn)) {
        e.op(Op.drop);
        this.returnPcSet();
        return;
      }
      e.if_();
      this.returnPcSet();
      e.end();
    }
    // Fell off the end of the block (page end, length limit, or a terminator that continues).
    this.goTo(blk.offset + this.len * 4);
  }

  /** Emit the current instruction; false when the interpreter must run it. Branches end the block themselves. */
  private emitInsn(op: number, aux: number, insn: number): boolean {
    const e = this.e;
    const rd = insn & 31;
    const rn = (insn >>> 5) & 31;
    const rm = (insn >>> 16) & 31;
    const sf = insn >>> 31 === 1;
    switch (op) {
      // -- data processing (immediate) --
      case O.OP_ADR: {
        const imm = sext(((insn >>> 5) & 0x7ffff) << 2 | ((insn >>> 29) & 3), 21);
        this.setX(rd, () => this.vaOf(this.off + imm));
        return true;
      }
      case O.OP_ADRP: {
        const imm = BigInt(sext(((insn >>> 5) & 0x7ffff) << 2 | ((insn >>> 29) & 3), 21)) << 12n;
        this.setX(rd, () => { e.get(VAPAGE).i64(imm).op(Op.i64_add); });
        return true;
      }
      case O.OP_ADD_I64: case O.OP_SUB_I64: case O.OP_ADD_I32: case O.OP_SUB_I32: {
        const imm = ((insn >>> 10) & 0xfff) << (((insn >>> 22) & 1) * 12);
        const sub = op === O.OP_SUB_I64 || op === O.OP_SUB_I32;
        const is64 = op === O.OP_ADD_I64 || op === O.OP_SUB_I64;
        this.setSP(rd, () => {
          this.xsp(rn);
          e.i64(imm).op(sub ? Op.i64_sub : Op.i64_add);
          if (!is64) e.i64(0xffffffff).op(Op.i64_and);
        });
        return true;
      }
      case O.OP_ADDS_I64: case O.OP_SUBS_I64: case O.OP_ADDS_I32: case O.OP_SUBS_I32: {
        const imm = ((insn >>> 10) & 0xfff) << (((insn >>> 22) & 1) * 12);
        const sub = op === O.OP_SUBS_I64 || op === O.OP_SUBS_I32;
        const is64 = op === O.OP_ADDS_I64 || op === O.OP_SUBS_I64;
        this.xsp(rn);
        if (!is64) e.i64(0xffffffff).op(Op.i64_and);
        e.set(A).i64(imm).set(B);
        this.addSub(sub, is64);
        if (is64) this.flags64(sub);
        else this.flags32(sub);
        this.setX(rd, () => e.get(R));
        return true;
      }
      case O.OP_LOGIC_I64: case O.OP_LOGIC_I32: {
        const is64 = op === O.OP_LOGIC_I64;
        let imm = this.tables.bitmask(aux >>> 2);
        if (!is64) imm &= 0xffffffffn;
        const kind = aux & 3;
        if (is64) this.x(rn);
        else this.w(rn);
        e.i64(imm).op([Op.i64_and, Op.i64_or, Op.i64_xor, Op.i64_and][kind]!).set(R);
        if (kind === 3) {
          this.flagsNZ(is64);
          this.setX(rd, () => e.get(R));
        } else {
          this.setSP(rd, () => e.get(R));
        }
        return true;
      }
      case O.OP_MOVZ64: case O.OP_MOVN64: case O.OP_MOVZ32: case O.OP_MOVN32: {
        const is64 = op === O.OP_MOVZ64 || op === O.OP_MOVN64;
        let v = BigInt((insn >>> 5) & 0xffff) << BigInt(((insn >>> 21) & (is64 ? 3 : 1)) * 16);
        if (op === O.OP_MOVN64) v = ~v & 0xffff_ffff_ffff_ffffn;
        if (op === O.OP_MOVN32) v = ~v & 0xffffffffn;
        this.setX(rd, () => e.i64(v));
        return true;
      }
      case O.OP_MOVK64: case O.OP_MOVK32: {
        const is64 = op === O.OP_MOVK64;
        const pos = BigInt(((insn >>> 21) & (is64 ? 3 : 1)) * 16);
        const keep = ~(0xffffn << pos) & (is64 ? 0xffff_ffff_ffff_ffffn : 0xffffffffn);
        this.setX(rd, () => {
          this.x(rd);
          e.i64(keep).op(Op.i64_and).i64(BigInt((insn >>> 5) & 0xffff) << pos).op(Op.i64_or);
        });
        return true;
      }
      case O.OP_LSL_I64: this.setX(rd, () => { this.x(rn); e.i64(63 - ((insn >>> 10) & 63)).op(Op.i64_shl); }); return true;
      case O.OP_LSR_I64: this.setX(rd, () => { this.x(rn); e.i64((insn >>> 16) & 63).op(Op.i64_shr_u); }); return true;
      case O.OP_ASR_I64: this.setX(rd, () => { this.x(rn); e.i64((insn >>> 16) & 63).op(Op.i64_shr_s); }); return true;
      case O.OP_LSL_I32: this.setW(rd, () => { this.w32(rn); e.i32(31 - ((insn >>> 10) & 31)).op(Op.i32_shl); }); return true;
      case O.OP_LSR_I32: this.setW(rd, () => { this.w32(rn); e.i32((insn >>> 16) & 31).op(Op.i32_shr_u); }); return true;
      case O.OP_ASR_I32: this.setW(rd, () => { this.w32(rn); e.i32((insn >>> 16) & 31).op(Op.i32_shr_s); }); return true;
      case O.OP_BFM_GEN: this.bitfield(insn); return true;
      case O.OP_EXTR64: {
        const lsb = (insn >>> 10) & 63;
        this.setX(rd, () => {
          this.x(rm);
          if (lsb !== 0) {
            e.i64(lsb).op(Op.i64_shr_u);
            this.x(rn);
            e.i64(64 - lsb).op(Op.i64_shl, Op.i64_or);
          }
        });
        return true;
      }
      case O.OP_EXTR32: {
        const lsb = (insn >>> 10) & 31;
        this.setX(rd, () => {
          this.w(rn);
          e.i64(32).op(Op.i64_shl);
          this.w(rm);
          e.op(Op.i64_or).i64(lsb).op(Op.i64_shr_u).i64(0xffffffff).op(Op.i64_and);
        });
        return true;
      }

      // -- branches (each ends its block) --
      case O.OP_B: this.goTo(this.off + sext(insn & 0x3ffffff, 26) * 4); return true;
      case O.OP_BL:
        this.setX(30, () => this.vaOf(this.off + 4));
        this.goTo(this.off + sext(insn & 0x3ffffff, 26) * 4);
        return true;
      case O.OP_BCOND:
        this.cond(insn & 15);
        this.twoWay(this.off + sext((insn >>> 5) & 0x7ffff, 19) * 4);
        return true;
      case O.OP_CBZ64: case O.OP_CBNZ64: case O.OP_CBZ32: case O.OP_CBNZ32:
        if (op === O.OP_CBZ64 || op === O.OP_CBNZ64) {
          this.x(rd);
          e.op(Op.i64_eqz);
        } else {
          this.w32(rd);
          e.op(Op.i32_eqz);
        }
        if (op === O.OP_CBNZ64 || op === O.OP_CBNZ32) e.op(Op.i32_eqz);
        this.twoWay(this.off + sext((insn >>> 5) & 0x7ffff, 19) * 4);
        return true;
      case O.OP_TBZ: case O.OP_TBNZ: {
        const bit = ((insn >>> 26) & 32) | ((insn >>> 19) & 31);
        this.x(rd);
        e.i64(bit).op(Op.i64_shr_u).i64(1).op(Op.i64_and, Op.i64_eqz);
        if (op === O.OP_TBNZ) e.op(Op.i32_eqz);
        this.twoWay(this.off + sext((insn >>> 5) & 0x3fff, 14) * 4);
        return true;
      }
      case O.OP_BR: case O.OP_RET:
        this.x(rn);
        e.set(VA);
        this.exitToVa();
        return true;
      case O.OP_BLR:
        this.x(rn);
        e.set(VA);
        this.setX(30, () => this.vaOf(this.off + 4));
        this.exitToVa();
        return true;
      case O.OP_HINT:
        if (aux >= 2 && aux <= 5) return false; // WFE, WFI, SEV, SEVL
        return true; // executes as a NOP; the block falls through
      case O.OP_BARRIER: return true;
      case O.OP_CLREX:
        e.get(S).i32(0).mem(Op.i32_store, 2, L.ST_EXCL_VALID);
        return true;

      // -- loads and stores --
      case O.OP_LDR64_UIMM: return this.ldstImm(0b01101, rd, rn, ((insn >>> 10) & 0xfff) << 3);
      case O.OP_LDR32_UIMM: return this.ldstImm(0b01001, rd, rn, ((insn >>> 10) & 0xfff) << 2);
      case O.OP_STR64_UIMM: return this.ldstImm(0b01100, rd, rn, ((insn >>> 10) & 0xfff) << 3);
      case O.OP_STR32_UIMM: return this.ldstImm(0b01000, rd, rn, ((insn >>> 10) & 0xfff) << 2);
      case O.OP_LDRB_UIMM: return this.ldstImm(0b00001, rd, rn, (insn >>> 10) & 0xfff);
      case O.OP_STRB_UIMM: return this.ldstImm(0b00000, rd, rn, (insn >>> 10) & 0xfff);
      case O.OP_LDST_UIMM:
        if (aux >= 0b10000) return false;
        return this.ldstImm(aux, rd, rn, ((insn >>> 10) & 0xfff) << ((aux >>> 2) & 3));
      case O.OP_LDST_UNSCALED:
        if (aux >= 0b10000) return false;
        return this.ldstImm(aux, rd, rn, sext((insn >>> 12) & 0x1ff, 9));
      case O.OP_LDST_PRE: case O.OP_LDST_POST: {
        if (aux >= 0b10000) return false;
        const imm = sext((insn >>> 12) & 0x1ff, 9);
        this.xsp(rn);
        e.tee(A);
        if (op === O.OP_LDST_PRE) e.i64(imm).op(Op.i64_add);
        e.set(VA);
        this.ldstType(aux, rd);
        this.setSP(rn, () => {
          e.get(A).i64(imm).op(Op.i64_add);
        });
        this.endStop();
        return true;
      }
      case O.OP_LDST_REG: {
        if (aux >= 0b10000) return false;
        const sh = ((insn >>> 12) & 1) !== 0 ? (aux >>> 2) & 3 : 0;
        this.xsp(rn);
        this.x(rm);
        this.extendReg((insn >>> 13) & 7, sh);
        e.op(Op.i64_add).set(VA);
        this.ldstType(aux, rd);
        this.endStop();
        return true;
      }
      case O.OP_LDR_LIT: {
        if ((aux & 4) !== 0) return false;
        const opc = aux & 3;
        if (opc === 3) return true; // PRFM (literal)
        this.vaOf(this.off + sext((insn >>> 5) & 0x7ffff, 19) * 4);
        e.set(VA);
        this.ldstType(opc === 1 ? 0b01101 : opc === 2 ? 0b01010 : 0b01001, rd);
        this.endStop();
        return true;
      }
      case O.OP_LDP64_OFF: return this.pair(2, false, 2, insn);
      case O.OP_STP64_OFF: return this.pair(2, true, 2, insn);
      case O.OP_STP64_PRE: return this.pair(2, true, 3, insn);
      case O.OP_LDP64_POST: return this.pair(2, false, 1, insn);
      case O.OP_LDSTP: {
        if ((aux & 4) !== 0) return false;
        return this.pair(aux & 3, ((aux >>> 3) & 1) === 0, (aux >>> 4) & 3, insn);
      }

      // -- data processing (register) --
      case O.OP_MOV_R64: this.setX(rd, () => this.x(rm)); return true;
      case O.OP_MOV_R32: this.setX(rd, () => this.w(rm)); return true;
      case O.OP_LOGIC_SR64: case O.OP_LOGIC_SR32: {
        const is64 = op === O.OP_LOGIC_SR64;
        if (is64) this.x(rm);
        else this.w(rm);
        this.shift((insn >>> 22) & 3, (insn >>> 10) & (is64 ? 63 : 31), is64);
        if (aux & 1) e.i64(is64 ? -1n : 0xffffffffn).op(Op.i64_xor);
        e.set(B);
        if (is64) this.x(rn);
        else this.w(rn);
        e.get(B).op([Op.i64_and, Op.i64_or, Op.i64_xor, Op.i64_and][aux >>> 1]!).set(R);
        if (aux >>> 1 === 3) this.flagsNZ(is64);
        this.setX(rd, () => e.get(R));
        return true;
      }
      case O.OP_ADD_SR64: case O.OP_ADDS_SR64: case O.OP_SUB_SR64: case O.OP_SUBS_SR64:
      case O.OP_ADD_SR32: case O.OP_ADDS_SR32: case O.OP_SUB_SR32: case O.OP_SUBS_SR32: {
        const is64 = op <= O.OP_SUBS_SR64;
        const k = (op - (is64 ? O.OP_ADD_SR64 : O.OP_ADD_SR32));
        const sub = k >= 2;
        const setf = (k & 1) === 1;
        if (is64) this.x(rn);
        else this.w(rn);
        e.set(A);
        if (is64) this.x(rm);
        else this.w(rm);
        this.shift((insn >>> 22) & 3, (insn >>> 10) & (is64 ? 63 : 31), is64);
        e.set(B);
        this.addSub(sub, is64);
        if (setf) {
          if (is64) this.flags64(sub);
          else this.flags32(sub);
        }
        this.setX(rd, () => e.get(R));
        return true;
      }
      case O.OP_ADDSUB_ER: {
        const sub = ((insn >>> 30) & 1) === 1;
        const setf = ((insn >>> 29) & 1) === 1;
        this.xsp(rn);
        if (!sf) e.i64(0xffffffff).op(Op.i64_and);
        e.set(A);
        this.x(rm);
        this.extendReg((insn >>> 13) & 7, (insn >>> 10) & 7);
        if (!sf) e.i64(0xffffffff).op(Op.i64_and);
        e.set(B);
        this.addSub(sub, sf);
        if (setf) {
          if (sf) this.flags64(sub);
          else this.flags32(sub);
          this.setX(rd, () => e.get(R));
        } else {
          this.setSP(rd, () => e.get(R));
        }
        return true;
      }
      case O.OP_CSEL: {
        const inv = ((insn >>> 30) & 1) === 1;
        const inc = ((insn >>> 10) & 1) === 1;
        this.setX(rd, () => {
          this.x(rn);
          this.x(rm);
          if (inv) e.i64(-1).op(Op.i64_xor);
          if (inc) e.i64(1).op(Op.i64_add);
          this.cond((insn >>> 12) & 15);
          e.op(Op.select);
          if (!sf) e.i64(0xffffffff).op(Op.i64_and);
        });
        return true;
      }
      case O.OP_CCMP: {
        const isCmp = ((insn >>> 30) & 1) === 1;
        this.cond((insn >>> 12) & 15);
        e.if_();
        this.x(rn);
        if (!sf) e.i64(0xffffffff).op(Op.i64_and);
        e.set(A);
        if (((insn >>> 11) & 1) !== 0) e.i64(rm);
        else this.x(rm);
        if (!sf) e.i64(0xffffffff).op(Op.i64_and);
        e.set(B);
        this.addSub(isCmp, sf);
        if (sf) this.flags64(isCmp);
        else this.flags32(isCmp);
        e.else_();
        e.i32((insn & 15) << 28).set(F);
        this.storeF();
        e.end();
        return true;
      }
      case O.OP_DP2: {
        switch (aux) {
          case 2: case 3: { // UDIV, SDIV (zero divisor: 0; SDIV MIN / -1: MIN)
            if (sf) this.x(rn);
            else { this.w(rn); if (aux === 3) e.op(Op.i64_extend32_s); }
            e.set(A);
            if (sf) this.x(rm);
            else { this.w(rm); if (aux === 3) e.op(Op.i64_extend32_s); }
            e.tee(B).op(Op.i64_eqz);
            e.if_(I64).i64(0).else_();
            if (aux === 2) e.get(A).get(B).op(Op.i64_div_u);
            else {
              e.get(B).i64(-1).op(Op.i64_eq);
              e.if_(I64).i64(0).get(A).op(Op.i64_sub).else_().get(A).get(B).op(Op.i64_div_s).end();
            }
            e.end();
            if (!sf) e.i64(0xffffffff).op(Op.i64_and);
            e.set(R);
            this.setX(rd, () => e.get(R));
            return true;
          }
          case 8: case 9: case 10: case 11: {
            const ops64 = [Op.i64_shl, Op.i64_shr_u, Op.i64_shr_s, Op.i64_rotr];
            const ops32 = [Op.i32_shl, Op.i32_shr_u, Op.i32_shr_s, Op.i32_rotr];
            if (sf) {
              this.setX(rd, () => { this.x(rn); this.x(rm); e.op(ops64[aux - 8]!); });
            } else {
              this.setW(rd, () => { this.w32(rn); this.w32(rm); e.op(ops32[aux - 8]!); });
            }
            return true;
          }
        }
        return false;
      }
      case O.OP_DP3: {
        const ra = (insn >>> 10) & 31;
        const o0 = aux >>> 3;
        const kind = aux & 7;
        if (kind === 0) {
          if (sf) {
            this.setX(rd, () => {
              this.x(ra);
              this.x(rn);
              this.x(rm);
              e.op(Op.i64_mul, o0 ? Op.i64_sub : Op.i64_add);
            });
          } else {
            this.setW(rd, () => {
              this.w32(ra);
              this.w32(rn);
              this.w32(rm);
              e.op(Op.i32_mul, o0 ? Op.i32_sub : Op.i32_add);
            });
          }
          return true;
        }
        if (kind === 1 || kind === 5) { // SMADDL/SMSUBL, UMADDL/UMSUBL
          this.setX(rd, () => {
            this.x(ra);
            this.w32(rn);
            e.op(kind === 1 ? Op.i64_extend_i32_s : Op.i64_extend_i32_u);
            this.w32(rm);
            e.op(kind === 1 ? Op.i64_extend_i32_s : Op.i64_extend_i32_u);
            e.op(Op.i64_mul, o0 ? Op.i64_sub : Op.i64_add);
          });
          return true;
        }
        return false;
      }
    }
    return false;
  }

  /** Conditional branch at the end of a block: condition (i32) on the stack. */
  private twoWay(target: number): void {
    const e = this.e;
    this.flushRegs(); // both ways leave the block
    e.if_();
    this.goTo(target);
    e.end();
    this.goTo(this.off + 4);
  }

  /** Exit after the current instruction if a slow path asked for it. */
  private endStop(): void {
    const e = this.e;
    e.get(STP);
    e.if_();
    this.flushRegs();
    this.returnPcSet();
    e.end();
  }

  /** Single-register load/store at [Xn|SP + imm]. */
  private ldstImm(type: number, rt: number, rn: number, imm: number): boolean {
    this.xsp(rn);
    if (imm !== 0) this.e.i64(imm).op(Op.i64_add);
    this.e.set(VA);
    this.ldstType(type, rt);
    this.endStop();
    return true;
  }

  /** A general-register access of type V:size:opc (exec.ts ldst) at VA. */
  private ldstType(type: number, rt: number): void {
    const e = this.e;
    e.i32(0).set(STP);
    const size = 1 << ((type >>> 2) & 3);
    const opc = type & 3;
    if (type === 0b01110) return; // PRFM: a hint, never faults
    if (opc === 0) {
      this.x(rt);
      e.set(V);
      this.store(size);
      return;
    }
    this.load(size);
    e.set(R);
    const bits = size * 8;
    this.setX(rt, () => {
      e.get(R);
      if (opc === 2 && size < 8) e.op(bits === 8 ? Op.i64_extend8_s : bits === 16 ? Op.i64_extend16_s : Op.i64_extend32_s);
      if (opc === 3) e.op(bits === 8 ? Op.i64_extend8_s : Op.i64_extend16_s).i64(0xffffffff).op(Op.i64_and);
    });
  }

  /** LDP/STP/LDPSW (general registers); mode 1 post-index, 2 offset, 3 pre-index (0: no-allocate offset). */
  private pair(opc: number, isStore: boolean, mode: number, insn: number): boolean {
    const e = this.e;
    const rt = insn & 31;
    const rn = (insn >>> 5) & 31;
    const rt2 = (insn >>> 10) & 31;
    const scale = opc === 2 ? 3 : 2;
    const size = 1 << scale;
    const off = sext((insn >>> 15) & 0x7f, 7) * size;
    e.i32(0).set(STP);
    this.xsp(rn);
    e.tee(A);
    if (mode !== 1 && off !== 0) e.i64(off).op(Op.i64_add);
    e.set(VA);
    if (isStore) {
      this.x(rt);
      e.set(V);
      this.store(size);
      e.get(VA).i64(size).op(Op.i64_add).set(VA);
      this.x(rt2);
      e.set(V);
      this.store(size);
    } else {
      this.load(size);
      e.set(B);
      e.get(VA).i64(size).op(Op.i64_add).set(VA);
      this.load(size);
      e.set(R);
      this.setX(rt, () => { e.get(B); if (opc === 1) e.op(Op.i64_extend32_s); });
      this.setX(rt2, () => { e.get(R); if (opc === 1) e.op(Op.i64_extend32_s); });
    }
    if (mode === 1 || mode === 3) this.setSP(rn, () => { e.get(A).i64(off).op(Op.i64_add); });
    this.endStop();
    return true;
  }

  /** BFM/SBFM/UBFM (exec.ts bitfield) with the masks worked out now. */
  private bitfield(insn: number): void {
    const e = this.e;
    const is64 = insn >>> 31 === 1;
    const opc = (insn >>> 29) & 3;
    const immr = (insn >>> 16) & 63;
    const imms = (insn >>> 10) & 63;
    const rn = (insn >>> 5) & 31;
    const rd = insn & 31;
    const dsize = is64 ? 64 : 32;
    const ones = (k: number): bigint => (k >= 64 ? 0xffff_ffff_ffff_ffffn : (1n << BigInt(k)) - 1n);
    const dmask = ones(dsize);
    const rotr = (v: bigint, r: number, width: number): bigint => (r === 0 ? v : ((v >> BigInt(r)) | (v << BigInt(width - r))) & ones(width));
    const diff = (imms - immr) & (dsize - 1);
    const wmask = rotr(ones(imms + 1) & dmask, immr, dsize);
    const tmask = ones(diff + 1) & dmask;
    // rot = ROR(src, immr) within dsize bits, in local R
    if (is64) {
      this.x(rn);
      if (immr !== 0) e.i64(immr).op(Op.i64_rotr);
    } else {
      this.w32(rn);
      if (immr !== 0) e.i32(immr).op(Op.i32_rotr);
      e.op(Op.i64_extend_i32_u);
    }
    e.set(R);
    this.setX(rd, () => {
      if (opc === 1) { // BFM: (dst & ~tmask) | (((dst & ~wmask) | (rot & wmask)) & tmask)
        if (is64) this.x(rd);
        else this.w(rd);
        e.tee(T).i64(~tmask & dmask).op(Op.i64_and);
        e.get(T).i64(~wmask & dmask).op(Op.i64_and).get(R).i64(wmask).op(Op.i64_and, Op.i64_or).i64(tmask).op(Op.i64_and, Op.i64_or);
      } else if (opc === 0) { // SBFM: (top & ~tmask) | (rot & wmask & tmask), top = src<imms> replicated
        e.i64(0);
        if (is64) this.x(rn);
        else this.w(rn);
        e.i64(imms).op(Op.i64_shr_u).i64(1).op(Op.i64_and, Op.i64_sub).i64(dmask & ~tmask).op(Op.i64_and);
        e.get(R).i64(wmask & tmask).op(Op.i64_and, Op.i64_or);
      } else { // UBFM
        e.get(R).i64(wmask & tmask).op(Op.i64_and);
      }
    });
  }
}

/** Block-ending instructions (codecache.ts endsBlock). */
function isTerminator(op: number): boolean {
  return (op >= O.OP_B && op <= O.OP_MRS_MSR) || op === O.OP_UNALLOC || op === O.OP_UDF;
}

/** MRS (a system register read): when it takes no exception and calls no
 *  device, translated code may go on after it. */
function isPlainRead(op: number, insn: number): boolean {
  return op === O.OP_MRS_MSR && ((insn >>> 21) & 1) === 1;
}

/** The wasm module translating `blocks` (sorted by offset, distinct). */
export function translatePage(blocks: readonly PageBlock[], tables: CoreTables, memoryPages: number): Uint8Array {
  const body = new PageTranslator(blocks, tables).translate();
  const b = new Bytes();
  b.bytes(body);
  return moduleBytes({ imports: HELPERS, func: { type: FUNC_TYPE, locals: LOCALS, body: b }, memoryPages });
}

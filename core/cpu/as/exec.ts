// A64 instruction semantics (ARM ARM C6 pseudocode), one case per handler id.
// Handlers read fields from the encoding; `aux` carries what the decoder
// already worked out. After any memory access a handler checks `fault`
// (an exception was taken) before changing registers.
import * as O from "../ops";
import {
  S, pc, ipc, el, nzcv, cpuIndex, numCpus, fault, exitReason, blockStop,
  rX, rW, rSP, wX, wW, wSP, sysreg, hcr, scr, isNonSecure, secureEl2Enabled,
} from "./cpu";
import {
  COND_TABLE_BASE, BITMASK_TABLE_BASE, ST_V, ST_EVENT_REG, ST_EXCL_VALID, ST_EXCL_ADDR, ST_EXCL_SIZE, ST_EXCL_VALUE, ST_EXCL_VALUE2,
  ST_FEATURES, FEAT_EL2, FEAT_EL3, EXIT_WFI, EXIT_WFE, SLOT_SCTLR_EL1, CPU_STATE_BASE, CPU_STATE_BYTES, EXC_SYNC,
} from "../layout";
import {
  takeException, syncException, undefinedInsn, trapToEl2, exceptionReturn, anyInterruptPending, el2Enabled,
  EC_SVC, EC_HVC, EC_SMC, EC_BRK, EC_WFX,
} from "./exceptions";
import {
  ld8, ld16, ld32, ld64, st8, st16, st32, st64, ldN, stN, ldUnpriv, stUnpriv, rmwHost, atomicHost, ACC_READ, ACC_WRITE,
} from "./mmu";
import { execMrsMsr, execMsrImm, execSys, fpEnabled } from "./sysregs";
import { execSimdFp, vAddr, ldstMultiple } from "./simd";
import { brkException } from "./debugArch";

// ---- helpers ----

@inline function sext(v: u64, bits: u32): u64 {
  return <u64>((<i64>(v << (64 - bits))) >> (64 - bits));
}

@inline export function condHolds(cond: u32): bool {
  return ((load<u32>(COND_TABLE_BASE + (<usize>cond << 2)) >> (nzcv >> 28)) & 1) != 0;
}

@inline function setNZ64(r: u64): void {
  nzcv = (<u32>(r >> 63) << 31) | (r == 0 ? 0x40000000 : 0);
}
@inline function setNZ32(r: u32): void {
  nzcv = ((r >> 31) << 31) | (r == 0 ? 0x40000000 : 0);
}

/** AddWithCarry (64-bit), setting NZCV. */
@inline function adc64(a: u64, b: u64, c: u64): u64 {
  const t = a + b;
  const r = t + c;
  const carry: u32 = (t < a || r < t) ? 1 : 0;
  const v = <u32>((((a ^ r) & (b ^ r)) >> 63) & 1);
  nzcv = (<u32>(r >> 63) << 31) | (r == 0 ? 0x40000000 : 0) | (carry << 29) | (v << 28);
  return r;
}
/** AddWithCarry (32-bit), setting NZCV. */
@inline function adc32(a: u32, b: u32, c: u32): u32 {
  const wide = <u64>a + <u64>b + <u64>c;
  const r = <u32>wide;
  const carry = <u32>(wide >> 32);
  const v = (((a ^ r) & (b ^ r)) >> 31) & 1;
  nzcv = ((r >> 31) << 31) | (r == 0 ? 0x40000000 : 0) | (carry << 29) | (v << 28);
  return r;
}

@inline function shift64(v: u64, type: u32, amt: u32): u64 {
  if (type == 0) return v << amt;
  if (type == 1) return v >> amt;
  if (type == 2) return <u64>(<i64>v >> amt);
  return rotr<u64>(v, amt);
}
@inline function shift32(v: u32, type: u32, amt: u32): u32 {
  if (type == 0) return v << amt;
  if (type == 1) return v >> amt;
  if (type == 2) return <u32>(<i32>v >> amt);
  return rotr<u32>(v, amt);
}

/** ExtendReg: UXTB..SXTX then left shift (C6.2.x "extended register"). */
@inline function extendReg(v: u64, option: u32, sh: u32): u64 {
  let x: u64;
  switch (option) {
    case 0: x = v & 0xff; break;
    case 1: x = v & 0xffff; break;
    case 2: x = v & 0xffffffff; break;
    case 3: x = v; break;
    case 4: x = sext(v, 8); break;
    case 5: x = sext(v, 16); break;
    case 6: x = sext(v, 32); break;
    default: x = v;
  }
  return x << sh;
}

@inline function branchOffset(insn: u32, lowBit: u32, bits: u32): u64 {
  return sext(<u64>((insn >> lowBit) & ((1 << bits) - 1)), bits) << 2;
}

@inline function ones(n: u32): u64 {
  return n >= 64 ? 0xffff_ffff_ffff_ffff : (<u64>1 << n) - 1;
}

/** UMULH: high 64 bits of the unsigned 128-bit product. */
export function umulh(a: u64, b: u64): u64 {
  const a0 = a & 0xffffffff, a1 = a >> 32, b0 = b & 0xffffffff, b1 = b >> 32;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

function rbit64(x: u64): u64 {
  x = ((x >> 1) & 0x5555555555555555) | ((x & 0x5555555555555555) << 1);
  x = ((x >> 2) & 0x3333333333333333) | ((x & 0x3333333333333333) << 2);
  x = ((x >> 4) & 0x0f0f0f0f0f0f0f0f) | ((x & 0x0f0f0f0f0f0f0f0f) << 4);
  return bswap<u64>(x);
}

// ---- CRC32 (C6.2.x CRC32B..CRC32CX): bit-reflected, polynomials 0x04C11DB7 / 0x1EDC6F41 ----
function crc32(acc: u32, val: u64, bytes: u32, castagnoli: bool): u32 {
  const poly: u32 = castagnoli ? 0x82f63b78 : 0xedb88320;
  let crc = acc;
  for (let i: u32 = 0; i < bytes; i++) {
    crc ^= <u32>((val >> (i * 8)) & 0xff);
    for (let k = 0; k < 8; k++) crc = (crc >> 1) ^ (poly & (0 - (crc & 1)));
  }
  return crc;
}

// ---- single register loads/stores: type = V:size:opc ----

function ldst(type: u32, rt: u32, addr: u64): void {
  switch (type) {
    case 0b00000: st8(addr, rX(rt)); return;
    case 0b00001: { const v = ld8(addr); if (!fault) wX(rt, v); return; }
    case 0b00010: { const v = ld8(addr); if (!fault) wX(rt, sext(v, 8)); return; }
    case 0b00011: { const v = ld8(addr); if (!fault) wX(rt, sext(v, 8) & 0xffffffff); return; }
    case 0b00100: st16(addr, rX(rt)); return;
    case 0b00101: { const v = ld16(addr); if (!fault) wX(rt, v); return; }
    case 0b00110: { const v = ld16(addr); if (!fault) wX(rt, sext(v, 16)); return; }
    case 0b00111: { const v = ld16(addr); if (!fault) wX(rt, sext(v, 16) & 0xffffffff); return; }
    case 0b01000: st32(addr, rX(rt)); return;
    case 0b01001: { const v = ld32(addr); if (!fault) wX(rt, v); return; }
    case 0b01010: { const v = ld32(addr); if (!fault) wX(rt, sext(v, 32)); return; }
    case 0b01100: st64(addr, rX(rt)); return;
    case 0b01101: { const v = ld64(addr); if (!fault) wX(rt, v); return; }
    case 0b01110: return; // PRFM: a hint, never faults
  }
  // SIMD&FP registers.
  if (!fpEnabled()) return;
  const va = vAddr(rt);
  switch (type) {
    case 0b10000: st8(addr, load<u8>(va)); return;
    case 0b10001: { const v = ld8(addr); if (!fault) { store<u64>(va, v); store<u64>(va, 0, 8); } return; }
    case 0b10010: {
      st64(addr, load<u64>(va));
      if (!fault) st64(addr + 8, load<u64>(va, 8));
      return;
    }
    case 0b10011: {
      const lo = ld64(addr);
      if (fault) return;
      const hi = ld64(addr + 8);
      if (fault) return;
      store<u64>(va, lo);
      store<u64>(va, hi, 8);
      return;
    }
    case 0b10100: st16(addr, load<u16>(va)); return;
    case 0b10101: { const v = ld16(addr); if (!fault) { store<u64>(va, v); store<u64>(va, 0, 8); } return; }
    case 0b11000: st32(addr, load<u32>(va)); return;
    case 0b11001: { const v = ld32(addr); if (!fault) { store<u64>(va, v); store<u64>(va, 0, 8); } return; }
    case 0b11100: st64(addr, load<u64>(va)); return;
    case 0b11101: { const v = ld64(addr); if (!fault) { store<u64>(va, v); store<u64>(va, 0, 8); } return; }
  }
  undefinedInsn(true);
}

@inline function ldstScale(type: u32): u32 {
  return (type & 0x13) >= 0x12 ? 4 : (type >> 2) & 3;
}

function ldstUnpriv(type: u32, rt: u32, addr: u64): void {
  const size: u32 = 1 << ((type >> 2) & 3);
  const opc = type & 3;
  if (opc == 0) {
    stUnpriv(addr, size, rX(rt));
    return;
  }
  const v = ldUnpriv(addr, size);
  if (fault) return;
  const bits = size * 8;
  if (opc == 1) wX(rt, v);
  else if (opc == 2) wX(rt, size == 8 ? v : sext(v, bits));
  else wX(rt, sext(v, bits) & 0xffffffff);
}

// ---- pairs ----

function ldstPair(insn: u32, aux: u32): void {
  const opc = aux & 3;
  const v = (aux >> 2) & 1;
  const l = (aux >> 3) & 1;
  const mode = (aux >> 4) & 3;
  const rt = insn & 31;
  const rn = (insn >> 5) & 31;
  const rt2 = (insn >> 10) & 31;
  const scale: u32 = v ? 2 + opc : (opc == 2 ? 3 : 2);
  const esize: u32 = 1 << scale;
  const off = sext(<u64>((insn >> 15) & 0x7f), 7) << scale;
  const base = rSP(rn);
  const addr = mode == 1 ? base : base + off;
  if (v) {
    if (!fpEnabled()) return;
    const a = vAddr(rt);
    const b = vAddr(rt2);
    if (l) {
      let a0: u64 = 0, a1: u64 = 0, b0: u64 = 0, b1: u64 = 0;
      if (esize == 16) {
        a0 = ld64(addr); if (fault) return;
        a1 = ld64(addr + 8); if (fault) return;
        b0 = ld64(addr + 16); if (fault) return;
        b1 = ld64(addr + 24); if (fault) return;
      } else {
        a0 = ldN(addr, esize); if (fault) return;
        b0 = ldN(addr + esize, esize); if (fault) return;
      }
      store<u64>(a, a0); store<u64>(a, a1, 8);
      store<u64>(b, b0); store<u64>(b, b1, 8);
    } else {
      if (esize == 16) {
        st64(addr, load<u64>(a)); if (fault) return;
        st64(addr + 8, load<u64>(a, 8)); if (fault) return;
        st64(addr + 16, load<u64>(b)); if (fault) return;
        st64(addr + 24, load<u64>(b, 8)); if (fault) return;
      } else {
        stN(addr, esize, load<u64>(a)); if (fault) return;
        stN(addr + esize, esize, load<u64>(b)); if (fault) return;
      }
    }
  } else if (l) {
    let x = ldN(addr, esize); if (fault) return;
    let y = ldN(addr + esize, esize); if (fault) return;
    if (opc == 1) {
      x = sext(x, 32);
      y = sext(y, 32);
    }
    wX(rt, x);
    wX(rt2, y);
  } else {
    stN(addr, esize, rX(rt)); if (fault) return;
    stN(addr + esize, esize, rX(rt2)); if (fault) return;
  }
  if (mode == 1 || mode == 3) wSP(rn, base + off);
}

// ---- exclusives and atomics ----

// The exclusive monitors (B2.9) are modelled as QEMU does: the load-exclusive
// records the address, size and the value it read; the store-exclusive
// succeeds when the reservation matches and memory still holds that value.
// Another PE's store of a different value therefore fails it, whatever the
// interleaving of PEs, so no PE can starve another (a store of the same value
// in between is not detected: the usual compare-and-swap approximation).
@inline function openMonitor(host: usize, size: u32): void {
  store<u32>(S + ST_EXCL_VALID, 1);
  store<u64>(S + ST_EXCL_ADDR, <u64>host);
  store<u32>(S + ST_EXCL_SIZE, size);
  store<u64>(S + ST_EXCL_VALUE, loadHost(host, size >= 8 ? 8 : size));
  store<u64>(S + ST_EXCL_VALUE2, size == 16 ? load<u64>(host, 8) : 0);
}

/** Does the monitor allow this store? Always closes the monitor (C6.2 STXR). */
@inline function checkMonitor(host: usize, size: u32): bool {
  const ok = load<u32>(S + ST_EXCL_VALID) != 0 && load<u64>(S + ST_EXCL_ADDR) == <u64>host && load<u32>(S + ST_EXCL_SIZE) == size &&
    loadHost(host, size >= 8 ? 8 : size) == load<u64>(S + ST_EXCL_VALUE) && (size != 16 || load<u64>(host, 8) == load<u64>(S + ST_EXCL_VALUE2));
  store<u32>(S + ST_EXCL_VALID, 0);
  return ok;
}

@inline function loadHost(h: usize, size: u32): u64 {
  if (size == 8) return load<u64>(h);
  if (size == 4) return <u64>load<u32>(h);
  if (size == 2) return <u64>load<u16>(h);
  return <u64>load<u8>(h);
}
@inline function storeHost(h: usize, size: u32, v: u64): void {
  if (size == 8) store<u64>(h, v);
  else if (size == 4) store<u32>(h, <u32>v);
  else if (size == 2) store<u16>(h, <u16>v);
  else store<u8>(h, <u8>v);
}

function atomicOp(insn: u32, aux: u32): void {
  const size: u32 = 1 << (aux & 3);
  const opc = (aux >> 2) & 7;
  const o3 = (aux >> 5) & 1;
  const rs = (insn >> 16) & 31;
  const rt = insn & 31;
  const rn = (insn >> 5) & 31;
  const h = atomicHost(rSP(rn), size);
  if (h == 0) return;
  const old = loadHost(h, size);
  const operand = rX(rs) & ones(size * 8);
  let nv: u64;
  if (o3) nv = operand; // SWP
  else {
    const bits = size * 8;
    switch (opc) {
      case 0: nv = old + operand; break; // LDADD
      case 1: nv = old & ~operand; break; // LDCLR
      case 2: nv = old ^ operand; break; // LDEOR
      case 3: nv = old | operand; break; // LDSET
      case 4: nv = <i64>sext(old, bits) > <i64>sext(operand, bits) ? old : operand; break; // LDSMAX
      case 5: nv = <i64>sext(old, bits) < <i64>sext(operand, bits) ? old : operand; break; // LDSMIN
      case 6: nv = old > operand ? old : operand; break; // LDUMAX
      default: nv = old < operand ? old : operand; // LDUMIN
    }
  }
  storeHost(h, size, nv);
  wX(rt, old);
}

function cas(insn: u32, aux: u32): void {
  const size: u32 = 1 << (aux & 3);
  const rs = (insn >> 16) & 31;
  const rt = insn & 31;
  const rn = (insn >> 5) & 31;
  const h = atomicHost(rSP(rn), size);
  if (h == 0) return;
  const mask = ones(size * 8);
  const old = loadHost(h, size);
  if (old == (rX(rs) & mask)) storeHost(h, size, rX(rt));
  wX(rs, old);
}

function casp(insn: u32, aux: u32): void {
  const size: u32 = (aux & 1) ? 8 : 4;
  const rs = (insn >> 16) & 31;
  const rt = insn & 31;
  const rn = (insn >> 5) & 31;
  if ((rs & 1) != 0 || (rt & 1) != 0) {
    undefinedInsn(false);
    return;
  }
  const h = atomicHost(rSP(rn), size * 2);
  if (h == 0) return;
  const mask = ones(size * 8);
  const o0 = loadHost(h, size);
  const o1 = loadHost(h + size, size);
  if (o0 == (rX(rs) & mask) && o1 == (rX(rs + 1) & mask)) {
    storeHost(h, size, rX(rt));
    storeHost(h + size, size, rX(rt + 1));
  }
  wX(rs, o0);
  wX(rs + 1, o1);
}

function loadExclusive(insn: u32, aux: u32, pair: bool): void {
  const sizeLog = aux & 3;
  const rt = insn & 31;
  const rn = (insn >> 5) & 31;
  const rt2 = (insn >> 10) & 31;
  const esize: u32 = 1 << sizeLog;
  const total = pair ? esize * 2 : esize;
  const h = rmwHost(rSP(rn), total, ACC_READ);
  if (h == 0) return;
  if (pair) {
    wX(rt, loadHost(h, esize));
    wX(rt2, loadHost(h + esize, esize));
  } else {
    wX(rt, loadHost(h, esize));
  }
  openMonitor(h, total);
}

function storeExclusive(insn: u32, aux: u32, pair: bool): void {
  const sizeLog = aux & 3;
  const rs = (insn >> 16) & 31;
  const rt = insn & 31;
  const rn = (insn >> 5) & 31;
  const rt2 = (insn >> 10) & 31;
  const esize: u32 = 1 << sizeLog;
  const total = pair ? esize * 2 : esize;
  const h = rmwHost(rSP(rn), total, ACC_WRITE);
  if (h == 0) return;
  if (checkMonitor(h, total)) {
    if (pair) {
      storeHost(h, esize, rX(rt));
      storeHost(h + esize, esize, rX(rt2));
    } else {
      storeHost(h, esize, rX(rt));
    }
    wW(rs, 0);
  } else {
    wW(rs, 1);
  }
}

// ---- WFI/WFE/SEV ----

function wfx(isWfe: bool): void {
  if (isWfe) {
    if (load<u32>(S + ST_EVENT_REG) != 0) {
      store<u32>(S + ST_EVENT_REG, 0);
      return;
    }
  } else if (anyInterruptPending()) {
    return;
  }
  const iss: u32 = (1 << 24) | (0xe << 20) | (isWfe ? 1 : 0);
  // SCTLR_EL1.nTWI/nTWE trap EL0 to EL1; HCR_EL2.TWI/TWE trap EL0/EL1 to EL2.
  if (el == 0 && ((sysreg(SLOT_SCTLR_EL1) >> (isWfe ? 18 : 16)) & 1) == 0) {
    syncException(EC_WFX, iss, ipc);
    return;
  }
  if (el < 2 && el2Enabled() && (hcr() & (isWfe ? (1 << 14) : (1 << 13))) != 0) {
    trapToEl2(EC_WFX, iss, ipc);
    return;
  }
  exitReason = isWfe ? EXIT_WFE : EXIT_WFI;
  blockStop = true;
}

function sevAll(): void {
  for (let c = 0; c < numCpus; c++) store<u32>(CPU_STATE_BASE + <usize>c * CPU_STATE_BYTES + ST_EVENT_REG, 1);
}

// ---- bitfield (C6.2 BFM/SBFM/UBFM via DecodeBitMasks(immediate=false)) ----

function bitfield(insn: u32): void {
  const sf = insn >> 31;
  const opc = (insn >> 29) & 3;
  const immr = (insn >> 16) & 63;
  const imms = (insn >> 10) & 63;
  const rn = (insn >> 5) & 31;
  const rd = insn & 31;
  const dsize: u32 = sf ? 64 : 32;
  const dmask = ones(dsize);
  const src = rX(rn) & dmask;
  const diff = (imms - immr) & (dsize - 1);
  const welem = ones(imms + 1);
  const wmask = (dsize == 64 ? rotr<u64>(welem, immr) : <u64>rotr<u32>(<u32>welem, immr)) & dmask;
  const tmask = ones(diff + 1) & dmask;
  const rot = (dsize == 64 ? rotr<u64>(src, immr) : <u64>rotr<u32>(<u32>src, immr));
  let result: u64;
  if (opc == 1) {
    const dst = rX(rd) & dmask;
    const bot = (dst & ~wmask) | (rot & wmask);
    result = (dst & ~tmask) | (bot & tmask);
  } else {
    const bot = rot & wmask;
    if (opc == 0) {
      const top: u64 = ((src >> imms) & 1) != 0 ? dmask : 0;
      result = (top & ~tmask) | (bot & tmask);
    } else {
      result = bot & tmask;
    }
  }
  wX(rd, result & dmask);
}

// ---- the dispatcher ----

@inline export function exec(op: u32, aux: u32, insn: u32): void {
  const rd = insn & 31;
  const rn = (insn >> 5) & 31;
  switch (op) {
    // -- data processing (immediate) --
    case O.OP_ADR: {
      const imm = sext(<u64>(((insn >> 5) & 0x7ffff) << 2 | ((insn >> 29) & 3)), 21);
      wX(rd, ipc + imm);
      return;
    }
    case O.OP_ADRP: {
      const imm = sext(<u64>(((insn >> 5) & 0x7ffff) << 2 | ((insn >> 29) & 3)), 21);
      wX(rd, (ipc & 0xffff_ffff_ffff_f000) + (imm << 12));
      return;
    }
    case O.OP_ADD_I64: wSP(rd, rSP(rn) + (<u64>((insn >> 10) & 0xfff) << (((insn >> 22) & 1) * 12))); return;
    case O.OP_ADDS_I64: wX(rd, adc64(rSP(rn), <u64>((insn >> 10) & 0xfff) << (((insn >> 22) & 1) * 12), 0)); return;
    case O.OP_SUB_I64: wSP(rd, rSP(rn) - (<u64>((insn >> 10) & 0xfff) << (((insn >> 22) & 1) * 12))); return;
    case O.OP_SUBS_I64: wX(rd, adc64(rSP(rn), ~(<u64>((insn >> 10) & 0xfff) << (((insn >> 22) & 1) * 12)), 1)); return;
    case O.OP_ADD_I32: wSP(rd, <u64>(<u32>rSP(rn) + (((insn >> 10) & 0xfff) << (((insn >> 22) & 1) * 12)))); return;
    case O.OP_ADDS_I32: wX(rd, <u64>adc32(<u32>rSP(rn), ((insn >> 10) & 0xfff) << (((insn >> 22) & 1) * 12), 0)); return;
    case O.OP_SUB_I32: wSP(rd, <u64>(<u32>rSP(rn) - (((insn >> 10) & 0xfff) << (((insn >> 22) & 1) * 12)))); return;
    case O.OP_SUBS_I32: wX(rd, <u64>adc32(<u32>rSP(rn), ~(((insn >> 10) & 0xfff) << (((insn >> 22) & 1) * 12)), 1)); return;
    case O.OP_LOGIC_I64: {
      const imm = load<u64>(BITMASK_TABLE_BASE + (<usize>(aux >> 2) << 3));
      const a = rX(rn);
      switch (aux & 3) {
        case 0: wSP(rd, a & imm); return;
        case 1: wSP(rd, a | imm); return;
        case 2: wSP(rd, a ^ imm); return;
        default: { const r = a & imm; nzcv = 0; setNZ64(r); wX(rd, r); return; }
      }
    }
    case O.OP_LOGIC_I32: {
      const imm = <u32>load<u64>(BITMASK_TABLE_BASE + (<usize>(aux >> 2) << 3));
      const a = rW(rn);
      switch (aux & 3) {
        case 0: wSP(rd, <u64>(a & imm)); return;
        case 1: wSP(rd, <u64>(a | imm)); return;
        case 2: wSP(rd, <u64>(a ^ imm)); return;
        default: { const r = a & imm; setNZ32(r); wX(rd, <u64>r); return; }
      }
    }
    case O.OP_MOVZ64: wX(rd, <u64>((insn >> 5) & 0xffff) << (((insn >> 21) & 3) * 16)); return;
    case O.OP_MOVN64: wX(rd, ~(<u64>((insn >> 5) & 0xffff) << (((insn >> 21) & 3) * 16))); return;
    case O.OP_MOVK64: {
      const pos = ((insn >> 21) & 3) * 16;
      wX(rd, (rX(rd) & ~(<u64>0xffff << pos)) | (<u64>((insn >> 5) & 0xffff) << pos));
      return;
    }
    case O.OP_MOVZ32: wX(rd, <u64>(((insn >> 5) & 0xffff) << (((insn >> 21) & 1) * 16))); return;
    case O.OP_MOVN32: wX(rd, <u64>(~(((insn >> 5) & 0xffff) << (((insn >> 21) & 1) * 16)))); return;
    case O.OP_MOVK32: {
      const pos = ((insn >> 21) & 1) * 16;
      wX(rd, <u64>((rW(rd) & ~(<u32>0xffff << pos)) | (((insn >> 5) & 0xffff) << pos)));
      return;
    }
    case O.OP_LSL_I64: wX(rd, rX(rn) << (63 - ((insn >> 10) & 63))); return;
    case O.OP_LSR_I64: wX(rd, rX(rn) >> ((insn >> 16) & 63)); return;
    case O.OP_ASR_I64: wX(rd, <u64>(<i64>rX(rn) >> ((insn >> 16) & 63))); return;
    case O.OP_LSL_I32: wX(rd, <u64>(rW(rn) << (31 - ((insn >> 10) & 31)))); return;
    case O.OP_LSR_I32: wX(rd, <u64>(rW(rn) >> ((insn >> 16) & 31))); return;
    case O.OP_ASR_I32: wX(rd, <u64>(<u32>(<i32>rW(rn) >> ((insn >> 16) & 31)))); return;
    case O.OP_BFM_GEN: bitfield(insn); return;
    case O.OP_EXTR64: {
      const lsb = (insn >> 10) & 63;
      const m = rX((insn >> 16) & 31);
      wX(rd, lsb == 0 ? m : (m >> lsb) | (rX(rn) << (64 - lsb)));
      return;
    }
    case O.OP_EXTR32: {
      const lsb = (insn >> 10) & 31;
      const cat = (<u64>rW(rn) << 32) | <u64>rW((insn >> 16) & 31);
      wX(rd, (cat >> lsb) & 0xffffffff);
      return;
    }

    // -- branches --
    case O.OP_B: pc = ipc + branchOffset(insn, 0, 26); return;
    case O.OP_BL: wX(30, ipc + 4); pc = ipc + branchOffset(insn, 0, 26); return;
    case O.OP_BCOND: if (condHolds(insn & 15)) pc = ipc + branchOffset(insn, 5, 19); return;
    case O.OP_CBZ64: if (rX(rd) == 0) pc = ipc + branchOffset(insn, 5, 19); return;
    case O.OP_CBNZ64: if (rX(rd) != 0) pc = ipc + branchOffset(insn, 5, 19); return;
    case O.OP_CBZ32: if (rW(rd) == 0) pc = ipc + branchOffset(insn, 5, 19); return;
    case O.OP_CBNZ32: if (rW(rd) != 0) pc = ipc + branchOffset(insn, 5, 19); return;
    case O.OP_TBZ: {
      const bit = ((insn >> 26) & 32) | ((insn >> 19) & 31);
      if (((rX(rd) >> bit) & 1) == 0) pc = ipc + branchOffset(insn, 5, 14);
      return;
    }
    case O.OP_TBNZ: {
      const bit = ((insn >> 26) & 32) | ((insn >> 19) & 31);
      if (((rX(rd) >> bit) & 1) != 0) pc = ipc + branchOffset(insn, 5, 14);
      return;
    }
    case O.OP_BR: pc = rX(rn); return;
    case O.OP_BLR: { const t = rX(rn); wX(30, ipc + 4); pc = t; return; }
    case O.OP_RET: pc = rX(rn); return;
    case O.OP_ERET:
      if (el == 0) { undefinedInsn(false); return; }
      exceptionReturn();
      return;

    // -- exception generation and system --
    case O.OP_SVC: syncException(EC_SVC, (insn >> 5) & 0xffff, pc); return;
    case O.OP_HVC: {
      const features = load<u32>(S + ST_FEATURES);
      // UNDEFINED at EL0, without EL2, in Secure state without Secure EL2, or when SCR_EL3.HCE is 0.
      if (el == 0 || (features & FEAT_EL2) == 0 || (!isNonSecure() && !secureEl2Enabled()) || ((features & FEAT_EL3) != 0 && (scr() & (1 << 8)) == 0)) {
        undefinedInsn(false);
        return;
      }
      takeException(el > 2 ? el : 2, EXC_SYNC, EC_HVC, (insn >> 5) & 0xffff, 0, false, pc);
      return;
    }
    case O.OP_SMC: {
      if (el == 0) { undefinedInsn(false); return; }
      // HCR_EL2.TSC traps SMC from EL1 to EL2; the preferred return is the SMC itself (D1.15).
      if (el == 1 && el2Enabled() && (hcr() & (1 << 19)) != 0) {
        trapToEl2(EC_SMC, (insn >> 5) & 0xffff, ipc);
        return;
      }
      if ((load<u32>(S + ST_FEATURES) & FEAT_EL3) == 0 || (scr() & (1 << 7)) != 0) {
        undefinedInsn(false);
        return;
      }
      takeException(3, EXC_SYNC, EC_SMC, (insn >> 5) & 0xffff, 0, false, pc);
      return;
    }
    case O.OP_BRK: brkException((insn >> 5) & 0xffff); return;
    case O.OP_HLT: undefinedInsn(false); return; // halting debug disabled: UNDEFINED
    case O.OP_UDF: undefinedInsn(false); return; // architecturally UNDEFINED: not logged as a gap
    case O.OP_HINT:
      switch (aux) {
        case 2: wfx(true); return; // WFE
        case 3: wfx(false); return; // WFI
        case 4: sevAll(); return; // SEV
        case 5: store<u32>(S + ST_EVENT_REG, 1); return; // SEVL
      }
      return; // NOP, YIELD, and every other hint (PAC, BTI, ESB, CSDB...) executes as a NOP
    case O.OP_CLREX: store<u32>(S + ST_EXCL_VALID, 0); return;
    case O.OP_BARRIER: return; // DSB/DMB/ISB: accesses are performed in order and immediately
    case O.OP_MSR_IMM: execMsrImm(insn); return;
    case O.OP_SYS: execSys(insn); return;
    case O.OP_MRS_MSR: execMrsMsr(insn); return;

    // -- loads and stores --
    case O.OP_LDR64_UIMM: { const v = ld64(rSP(rn) + (<u64>((insn >> 10) & 0xfff) << 3)); if (!fault) wX(rd, v); return; }
    case O.OP_LDR32_UIMM: { const v = ld32(rSP(rn) + (<u64>((insn >> 10) & 0xfff) << 2)); if (!fault) wX(rd, v); return; }
    case O.OP_STR64_UIMM: st64(rSP(rn) + (<u64>((insn >> 10) & 0xfff) << 3), rX(rd)); return;
    case O.OP_STR32_UIMM: st32(rSP(rn) + (<u64>((insn >> 10) & 0xfff) << 2), rX(rd)); return;
    case O.OP_LDRB_UIMM: { const v = ld8(rSP(rn) + <u64>((insn >> 10) & 0xfff)); if (!fault) wX(rd, v); return; }
    case O.OP_STRB_UIMM: st8(rSP(rn) + <u64>((insn >> 10) & 0xfff), rX(rd)); return;
    case O.OP_LDST_UIMM: ldst(aux, rd, rSP(rn) + (<u64>((insn >> 10) & 0xfff) << ldstScale(aux))); return;
    case O.OP_LDST_UNSCALED: ldst(aux, rd, rSP(rn) + sext(<u64>((insn >> 12) & 0x1ff), 9)); return;
    case O.OP_LDST_PRE: {
      const addr = rSP(rn) + sext(<u64>((insn >> 12) & 0x1ff), 9);
      ldst(aux, rd, addr);
      if (!fault) wSP(rn, addr);
      return;
    }
    case O.OP_LDST_POST: {
      const base = rSP(rn);
      ldst(aux, rd, base);
      if (!fault) wSP(rn, base + sext(<u64>((insn >> 12) & 0x1ff), 9));
      return;
    }
    case O.OP_LDST_REG: {
      const option = (insn >> 13) & 7;
      const sh: u32 = ((insn >> 12) & 1) != 0 ? ldstScale(aux) : 0;
      ldst(aux, rd, rSP(rn) + extendReg(rX((insn >> 16) & 31), option, sh));
      return;
    }
    case O.OP_LDST_UNPRIV: ldstUnpriv(aux, rd, rSP(rn) + sext(<u64>((insn >> 12) & 0x1ff), 9)); return;
    case O.OP_LDR_LIT: {
      const addr = ipc + branchOffset(insn, 5, 19);
      const opc = aux & 3;
      if ((aux & 4) != 0) {
        ldst(opc == 0 ? 0b11001 : opc == 1 ? 0b11101 : 0b10011, rd, addr);
        return;
      }
      if (opc == 3) return; // PRFM (literal)
      if (opc == 1) { const v = ld64(addr); if (!fault) wX(rd, v); return; }
      const v = ld32(addr);
      if (!fault) wX(rd, opc == 2 ? sext(v, 32) : v);
      return;
    }
    case O.OP_LDP64_OFF: {
      const addr = rSP(rn) + (sext(<u64>((insn >> 15) & 0x7f), 7) << 3);
      const a = ld64(addr); if (fault) return;
      const b = ld64(addr + 8); if (fault) return;
      wX(rd, a);
      wX((insn >> 10) & 31, b);
      return;
    }
    case O.OP_STP64_OFF: {
      const addr = rSP(rn) + (sext(<u64>((insn >> 15) & 0x7f), 7) << 3);
      st64(addr, rX(rd)); if (fault) return;
      st64(addr + 8, rX((insn >> 10) & 31));
      return;
    }
    case O.OP_STP64_PRE: {
      const addr = rSP(rn) + (sext(<u64>((insn >> 15) & 0x7f), 7) << 3);
      st64(addr, rX(rd)); if (fault) return;
      st64(addr + 8, rX((insn >> 10) & 31)); if (fault) return;
      wSP(rn, addr);
      return;
    }
    case O.OP_LDP64_POST: {
      const base = rSP(rn);
      const a = ld64(base); if (fault) return;
      const b = ld64(base + 8); if (fault) return;
      wX(rd, a);
      wX((insn >> 10) & 31, b);
      wSP(rn, base + (sext(<u64>((insn >> 15) & 0x7f), 7) << 3));
      return;
    }
    case O.OP_LDSTP: ldstPair(insn, aux); return;
    case O.OP_LDX: loadExclusive(insn, aux, false); return;
    case O.OP_STX: storeExclusive(insn, aux, false); return;
    case O.OP_LDXP: loadExclusive(insn, aux, true); return;
    case O.OP_STXP: storeExclusive(insn, aux, true); return;
    case O.OP_LDAR: {
      const size: u32 = 1 << (aux & 3);
      const h = rmwHost(rSP(rn), size, ACC_READ);
      if (h != 0) wX(rd, loadHost(h, size));
      return;
    }
    case O.OP_STLR: {
      const size: u32 = 1 << (aux & 3);
      const h = rmwHost(rSP(rn), size, ACC_WRITE);
      if (h != 0) storeHost(h, size, rX(rd));
      return;
    }
    case O.OP_CAS: cas(insn, aux); return;
    case O.OP_CASP: casp(insn, aux); return;
    case O.OP_LDOP: atomicOp(insn, aux); return;
    case O.OP_LDST_MULT: ldstMultiple(insn); return;

    // -- data processing (register) --
    case O.OP_MOV_R64: wX(rd, rX((insn >> 16) & 31)); return;
    case O.OP_MOV_R32: wX(rd, <u64>rW((insn >> 16) & 31)); return;
    case O.OP_LOGIC_SR64: {
      let m = shift64(rX((insn >> 16) & 31), (insn >> 22) & 3, (insn >> 10) & 63);
      if (aux & 1) m = ~m;
      const a = rX(rn);
      switch (aux >> 1) {
        case 0: wX(rd, a & m); return;
        case 1: wX(rd, a | m); return;
        case 2: wX(rd, a ^ m); return;
        default: { const r = a & m; setNZ64(r); wX(rd, r); return; }
      }
    }
    case O.OP_LOGIC_SR32: {
      let m = shift32(rW((insn >> 16) & 31), (insn >> 22) & 3, (insn >> 10) & 31);
      if (aux & 1) m = ~m;
      const a = rW(rn);
      switch (aux >> 1) {
        case 0: wX(rd, <u64>(a & m)); return;
        case 1: wX(rd, <u64>(a | m)); return;
        case 2: wX(rd, <u64>(a ^ m)); return;
        default: { const r = a & m; setNZ32(r); wX(rd, <u64>r); return; }
      }
    }
    case O.OP_ADD_SR64: wX(rd, rX(rn) + shift64(rX((insn >> 16) & 31), (insn >> 22) & 3, (insn >> 10) & 63)); return;
    case O.OP_ADDS_SR64: wX(rd, adc64(rX(rn), shift64(rX((insn >> 16) & 31), (insn >> 22) & 3, (insn >> 10) & 63), 0)); return;
    case O.OP_SUB_SR64: wX(rd, rX(rn) - shift64(rX((insn >> 16) & 31), (insn >> 22) & 3, (insn >> 10) & 63)); return;
    case O.OP_SUBS_SR64: wX(rd, adc64(rX(rn), ~shift64(rX((insn >> 16) & 31), (insn >> 22) & 3, (insn >> 10) & 63), 1)); return;
    case O.OP_ADD_SR32: wX(rd, <u64>(rW(rn) + shift32(rW((insn >> 16) & 31), (insn >> 22) & 3, (insn >> 10) & 31))); return;
    case O.OP_ADDS_SR32: wX(rd, <u64>adc32(rW(rn), shift32(rW((insn >> 16) & 31), (insn >> 22) & 3, (insn >> 10) & 31), 0)); return;
    case O.OP_SUB_SR32: wX(rd, <u64>(rW(rn) - shift32(rW((insn >> 16) & 31), (insn >> 22) & 3, (insn >> 10) & 31))); return;
    case O.OP_SUBS_SR32: wX(rd, <u64>adc32(rW(rn), ~shift32(rW((insn >> 16) & 31), (insn >> 22) & 3, (insn >> 10) & 31), 1)); return;
    case O.OP_ADDSUB_ER: {
      const sf = insn >> 31;
      const sub = (insn >> 30) & 1;
      const setf = (insn >> 29) & 1;
      const m = extendReg(rX((insn >> 16) & 31), (insn >> 13) & 7, (insn >> 10) & 7);
      const a = rSP(rn);
      if (sf) {
        if (setf) wX(rd, sub ? adc64(a, ~m, 1) : adc64(a, m, 0));
        else wSP(rd, sub ? a - m : a + m);
      } else {
        if (setf) wX(rd, <u64>(sub ? adc32(<u32>a, ~<u32>m, 1) : adc32(<u32>a, <u32>m, 0)));
        else wSP(rd, <u64>(sub ? <u32>a - <u32>m : <u32>a + <u32>m));
      }
      return;
    }
    case O.OP_ADC: {
      const sf = insn >> 31;
      const sub = (insn >> 30) & 1;
      const setf = (insn >> 29) & 1;
      const c: u32 = (nzcv >> 29) & 1;
      const saved = nzcv;
      if (sf) {
        const m = sub ? ~rX((insn >> 16) & 31) : rX((insn >> 16) & 31);
        const r = adc64(rX(rn), m, <u64>c);
        if (!setf) nzcv = saved;
        wX(rd, r);
      } else {
        const m = sub ? ~rW((insn >> 16) & 31) : rW((insn >> 16) & 31);
        const r = adc32(rW(rn), m, c);
        if (!setf) nzcv = saved;
        wX(rd, <u64>r);
      }
      return;
    }
    case O.OP_CCMP: {
      const sf = insn >> 31;
      const isCmp = (insn >> 30) & 1;
      const cond = (insn >> 12) & 15;
      if (!condHolds(cond)) {
        nzcv = (insn & 15) << 28;
        return;
      }
      const useImm = (insn >> 11) & 1;
      const b: u64 = useImm ? <u64>((insn >> 16) & 31) : rX((insn >> 16) & 31);
      if (sf) {
        if (isCmp) adc64(rX(rn), ~b, 1);
        else adc64(rX(rn), b, 0);
      } else {
        if (isCmp) adc32(rW(rn), ~<u32>b, 1);
        else adc32(rW(rn), <u32>b, 0);
      }
      return;
    }
    case O.OP_CSEL: {
      const sf = insn >> 31;
      const inv = (insn >> 30) & 1;
      const inc = (insn >> 10) & 1;
      const cond = (insn >> 12) & 15;
      let r: u64;
      if (condHolds(cond)) r = rX(rn);
      else {
        r = rX((insn >> 16) & 31);
        if (inv) r = ~r;
        if (inc) r = r + 1;
      }
      wX(rd, sf ? r : r & 0xffffffff);
      return;
    }
    case O.OP_DP1: {
      const sf = insn >> 31;
      const a = rX(rn);
      switch (aux) {
        case 0: wX(rd, sf ? rbit64(a) : rbit64(a) >> 32); return; // RBIT
        case 1: { // REV16
          const x = ((a >> 8) & 0x00ff00ff00ff00ff) | ((a & 0x00ff00ff00ff00ff) << 8);
          wX(rd, sf ? x : x & 0xffffffff);
          return;
        }
        case 2: { // REV32 (64-bit) / REV (32-bit)
          const x = bswap<u64>(a);
          wX(rd, sf ? ((x >> 32) | (x << 32)) : (x >> 32));
          return;
        }
        case 3: wX(rd, bswap<u64>(a)); return; // REV (64-bit)
        case 4: wX(rd, sf ? clz<u64>(a) : <u64>clz<u32>(<u32>a)); return; // CLZ
        default: { // CLS
          if (sf) wX(rd, clz<u64>((a ^ (a << 1)) | 1));
          else {
            const w = <u32>a;
            wX(rd, <u64>clz<u32>((w ^ (w << 1)) | 1));
          }
          return;
        }
      }
    }
    case O.OP_DP2: {
      const sf = insn >> 31;
      const rm = (insn >> 16) & 31;
      switch (aux) {
        case 2: { // UDIV: division by zero gives zero
          if (sf) { const d = rX(rm); wX(rd, d == 0 ? 0 : rX(rn) / d); }
          else { const d = rW(rm); wX(rd, d == 0 ? 0 : <u64>(rW(rn) / d)); }
          return;
        }
        case 3: { // SDIV: zero divisor gives zero; MIN / -1 gives MIN
          if (sf) {
            const n = <i64>rX(rn), d = <i64>rX(rm);
            wX(rd, d == 0 ? 0 : (d == -1 ? <u64>(0 - n) : <u64>(n / d)));
          } else {
            const n = <i32>rW(rn), d = <i32>rW(rm);
            wX(rd, d == 0 ? 0 : <u64>(d == -1 ? <u32>(0 - n) : <u32>(n / d)));
          }
          return;
        }
        case 8: wX(rd, sf ? rX(rn) << (rX(rm) & 63) : <u64>(rW(rn) << (rW(rm) & 31))); return;
        case 9: wX(rd, sf ? rX(rn) >> (rX(rm) & 63) : <u64>(rW(rn) >> (rW(rm) & 31))); return;
        case 10: wX(rd, sf ? <u64>(<i64>rX(rn) >> (rX(rm) & 63)) : <u64>(<u32>(<i32>rW(rn) >> (rW(rm) & 31)))); return;
        case 11: wX(rd, sf ? rotr<u64>(rX(rn), rX(rm) & 63) : <u64>rotr<u32>(rW(rn), rW(rm) & 31)); return;
      }
      // CRC32{B,H,W,X} (opcode 0100xx) and CRC32C{B,H,W,X} (0101xx)
      const sz = aux & 3;
      wX(rd, <u64>crc32(rW(rn), rX(rm), 1 << sz, (aux & 4) != 0));
      return;
    }
    case O.OP_DP3: {
      const sf = insn >> 31;
      const rm = (insn >> 16) & 31;
      const ra = (insn >> 10) & 31;
      const o0 = aux >> 3;
      switch (aux & 7) {
        case 0: {
          if (sf) {
            const p = rX(rn) * rX(rm);
            wX(rd, o0 ? rX(ra) - p : rX(ra) + p);
          } else {
            const p = rW(rn) * rW(rm);
            wX(rd, <u64>(o0 ? rW(ra) - p : rW(ra) + p));
          }
          return;
        }
        case 1: { // SMADDL/SMSUBL
          const p = <u64>(<i64><i32>rW(rn) * <i64><i32>rW(rm));
          wX(rd, o0 ? rX(ra) - p : rX(ra) + p);
          return;
        }
        case 5: { // UMADDL/UMSUBL
          const p = <u64>rW(rn) * <u64>rW(rm);
          wX(rd, o0 ? rX(ra) - p : rX(ra) + p);
          return;
        }
        case 2: { // SMULH
          const a = rX(rn), b = rX(rm);
          let h = umulh(a, b);
          if (<i64>a < 0) h -= b;
          if (<i64>b < 0) h -= a;
          wX(rd, h);
          return;
        }
        default: wX(rd, umulh(rX(rn), rX(rm))); return; // UMULH
      }
    }

    // -- SIMD and floating point --
    case O.OP_FP_INT:
    case O.OP_FMOV_IMM:
    case O.OP_FMOV_REG:
    case O.OP_SIMD_COPY:
    case O.OP_SIMD_MODIMM:
    case O.OP_SIMD_LOGIC:
    case O.OP_FP_DP1: case O.OP_FP_DP2: case O.OP_FP_DP3: case O.OP_FP_CMP: case O.OP_FP_CCMP: case O.OP_FP_CSEL: case O.OP_FP_FIXED: case O.OP_SIMD_3SAME: case O.OP_SIMD_3DIFF: case O.OP_SIMD_2MISC: case O.OP_SIMD_ACROSS: case O.OP_SIMD_SHIFT: case O.OP_SIMD_PERM: case O.OP_SIMD_EXT: case O.OP_SIMD_TBL: case O.OP_SIMD_SC_3SAME: case O.OP_SIMD_SC_2MISC: case O.OP_SIMD_SC_PAIR: case O.OP_SIMD_SC_SHIFT: case O.OP_SIMD_LDST_SINGLE: case O.OP_SIMD_ELEM:
      execSimdFp(op, insn);
      return;
  }
  undefinedInsn(true);
}

/** exec() as a call, for translated code (one more inlined copy would only add size). */
export function execCall(op: u32, aux: u32, insn: u32): void {
  exec(op, aux, insn);
}

/** Fill the constant tables (condition codes, logical-immediate masks). */
export function initTables(): void {
  for (let cond: u32 = 0; cond < 16; cond++) {
    let bits: u32 = 0;
    for (let f: u32 = 0; f < 16; f++) {
      const n = (f >> 3) & 1, z = (f >> 2) & 1, c = (f >> 1) & 1, v = f & 1;
      let res: bool;
      switch (cond >> 1) {
        case 0: res = z == 1; break;
        case 1: res = c == 1; break;
        case 2: res = n == 1; break;
        case 3: res = v == 1; break;
        case 4: res = c == 1 && z == 0; break;
        case 5: res = n == v; break;
        case 6: res = n == v && z == 0; break;
        default: res = true;
      }
      if ((cond & 1) != 0 && cond != 15) res = !res;
      if (res) bits |= 1 << f;
    }
    store<u32>(COND_TABLE_BASE + (<usize>cond << 2), bits);
  }
  for (let idx: u32 = 0; idx < 8192; idx++) {
    const imms = idx & 63;
    const immr = (idx >> 6) & 63;
    const n = idx >> 12;
    const combined = (n << 6) | (~imms & 63);
    let mask: u64 = 0;
    if (combined != 0) {
      const len = 31 - clz<u32>(combined);
      if (len >= 1) {
        const esize: u32 = 1 << len;
        const levels = esize - 1;
        const s = imms & levels;
        const r = immr & levels;
        if (s != levels) {
          let elem = ones(s + 1);
          if (r != 0) elem = ((elem >> r) | (elem << (esize - r))) & ones(esize);
          mask = elem;
          for (let w = esize; w < 64; w *= 2) mask |= mask << w;
        }
      }
    }
    store<u64>(BITMASK_TABLE_BASE + (<usize>idx << 3), mask);
  }
}

// Scalar floating-point instructions (ARMv8.0): data processing with 1, 2 and
// 3 sources, compares, conditional compare/select, conversions to and from
// integers (incl. fixed point) and between precisions. Half precision only
// where v8.0 has it (FCVT). Semantics in fp.ts.
import * as O from "../ops";
import { S, rX, wX, nzcv } from "./cpu";
import { ST_V, COND_TABLE_BASE } from "../layout";
import {
  fpBegin, fpEnd, fpRMode, fpAdd, fpMul, fpDiv, fpSqrt, fpMulAdd, fpCompare, fpMinMax, fpConvert,
  fpToFixed, fixedToFp, fpRoundInt, RM_RN, RM_RP, RM_RM, RM_RZ, RM_TIEAWAY,
} from "./fp";

@inline function vA(r: u32): usize {
  return S + ST_V + (<usize>r << 4);
}
@inline function condOk(cond: u32): bool {
  return ((load<u32>(COND_TABLE_BASE + (<usize>cond << 2)) >> (nzcv >> 28)) & 1) != 0;
}
/** Read the low `n` bits of V[r]. */
@inline export function readFp(r: u32, n: u32): u64 {
  const a = vA(r);
  if (n == 64) return load<u64>(a);
  if (n == 32) return <u64>load<u32>(a);
  return <u64>load<u16>(a);
}
/** Write an `n`-bit scalar to V[r], zeroing the rest of the register. */
@inline export function writeFp(r: u32, n: u32, v: u64): void {
  const a = vA(r);
  store<u64>(a, n == 64 ? v : n == 32 ? v & 0xffffffff : v & 0xffff);
  store<u64>(a, 0, 8);
}
@inline function widthOf(type: u32): u32 {
  return type == 0 ? 32 : type == 1 ? 64 : type == 3 ? 16 : 0;
}
@inline function signBit(n: u32): u64 {
  return <u64>1 << (n - 1);
}

/** Returns false when the encoding is unallocated (the caller raises UNDEFINED). */
export function execFpScalar(op: u32, insn: u32): bool {
  const type = (insn >> 22) & 3;
  const rd = insn & 31;
  const rn = (insn >> 5) & 31;
  const rm = (insn >> 16) & 31;
  switch (op) {
    case O.OP_FP_DP1: {
      const opcode = (insn >> 15) & 63;
      const n = widthOf(type);
      if (n == 0) return false;
      if (opcode >= 4 && opcode <= 7) {
        // FCVT between precisions: opc = destination type
        const dt = opcode & 3;
        const m = widthOf(dt);
        if (m == 0 || dt == type) return false;
        fpBegin();
        writeFp(rd, m, fpConvert(readFp(rn, n), n, m));
        fpEnd();
        return true;
      }
      if (n == 16) return false; // FP16 arithmetic is ARMv8.2
      const a = readFp(rn, n);
      switch (opcode) {
        case 1: writeFp(rd, n, a & ~signBit(n)); return true; // FABS
        case 2: writeFp(rd, n, a ^ signBit(n)); return true; // FNEG
        case 3: fpBegin(); writeFp(rd, n, fpSqrt(a, n)); fpEnd(); return true;
        case 8: case 9: case 10: case 11: case 12: case 14: case 15: {
          fpBegin();
          let mode: u32;
          switch (opcode) {
            case 8: mode = RM_RN; break;
            case 9: mode = RM_RP; break;
            case 10: mode = RM_RM; break;
            case 11: mode = RM_RZ; break;
            case 12: mode = RM_TIEAWAY; break;
            default: mode = fpRMode();
          }
          writeFp(rd, n, fpRoundInt(a, n, mode, opcode == 14));
          fpEnd();
          return true;
        }
      }
      return false;
    }
    case O.OP_FP_DP2: {
      const opcode = (insn >> 12) & 15;
      const n = widthOf(type);
      if (n == 0 || n == 16 || opcode > 8) return false;
      const a = readFp(rn, n), b = readFp(rm, n);
      fpBegin();
      let r: u64;
      switch (opcode) {
        case 0: r = fpMul(a, b, n, false); break;
        case 1: r = fpDiv(a, b, n); break;
        case 2: r = fpAdd(a, b, n, false); break;
        case 3: r = fpAdd(a, b, n, true); break;
        case 4: r = fpMinMax(a, b, n, true, false); break;
        case 5: r = fpMinMax(a, b, n, false, false); break;
        case 6: r = fpMinMax(a, b, n, true, true); break;
        case 7: r = fpMinMax(a, b, n, false, true); break;
        default: r = fpMul(a, b, n, false) ^ signBit(n); // FNMUL
      }
      writeFp(rd, n, r);
      fpEnd();
      return true;
    }
    case O.OP_FP_DP3: {
      const n = widthOf(type);
      if (n == 0 || n == 16) return false;
      const o1 = (insn >> 21) & 1, o0 = (insn >> 15) & 1;
      const ra = (insn >> 10) & 31;
      let ad = readFp(ra, n), a = readFp(rn, n);
      const b = readFp(rm, n);
      if (o1) ad ^= signBit(n);
      if (o0 != o1) a ^= signBit(n);
      fpBegin();
      writeFp(rd, n, fpMulAdd(ad, a, b, n));
      fpEnd();
      return true;
    }
    case O.OP_FP_CMP: {
      const n = widthOf(type);
      if (n == 0 || n == 16) return false;
      const opc2 = insn & 31;
      const a = readFp(rn, n);
      const b = (opc2 & 8) != 0 ? 0 : readFp(rm, n);
      fpBegin();
      nzcv = fpCompare(a, b, n, (opc2 & 16) != 0) << 28;
      fpEnd();
      return true;
    }
    case O.OP_FP_CCMP: {
      const n = widthOf(type);
      if (n == 0 || n == 16) return false;
      const cond = (insn >> 12) & 15;
      if (condOk(cond)) {
        fpBegin();
        nzcv = fpCompare(readFp(rn, n), readFp(rm, n), n, ((insn >> 4) & 1) != 0) << 28;
        fpEnd();
      } else nzcv = (insn & 15) << 28;
      return true;
    }
    case O.OP_FP_CSEL: {
      const n = widthOf(type);
      if (n == 0 || n == 16) return false;
      const cond = (insn >> 12) & 15;
      writeFp(rd, n, readFp(condOk(cond) ? rn : rm, n));
      return true;
    }
    case O.OP_FP_FIXED: {
      const sf = insn >> 31;
      const n = widthOf(type);
      if (n == 0 || n == 16) return false;
      const rmode = (insn >> 19) & 3, opcode = (insn >> 16) & 7;
      const scale = (insn >> 10) & 63;
      if (sf == 0 && scale < 32) return false;
      const fbits = 64 - scale;
      const ib: u32 = sf ? 64 : 32;
      if (rmode == 0 && (opcode == 2 || opcode == 3)) {
        fpBegin();
        writeFp(rd, n, fixedToFp(rX(rn), ib, opcode == 3, fbits, n, fpRMode()));
        fpEnd();
        return true;
      }
      if (rmode == 3 && (opcode == 0 || opcode == 1)) {
        fpBegin();
        const v = fpToFixed(readFp(rn, n), n, fbits, opcode == 1, ib, RM_RZ);
        wX(rd, sf ? v : v & 0xffffffff);
        fpEnd();
        return true;
      }
      return false;
    }
    case O.OP_FP_INT: {
      // FMOV forms are handled by the caller; here the conversions.
      const sf = insn >> 31;
      const rmode = (insn >> 19) & 3, opcode = (insn >> 16) & 7;
      const n = widthOf(type);
      if (n == 0 || n == 16) return false;
      const ib: u32 = sf ? 64 : 32;
      if (opcode == 2 || opcode == 3) {
        if (rmode != 0) return false;
        fpBegin();
        writeFp(rd, n, fixedToFp(rX(rn), ib, opcode == 3, 0, n, fpRMode()));
        fpEnd();
        return true;
      }
      let mode: u32;
      if (opcode == 0 || opcode == 1) mode = rmode; // N P M Z
      else if (opcode == 4 || opcode == 5) {
        if (rmode != 0) return false;
        mode = RM_TIEAWAY;
      } else return false;
      fpBegin();
      const v = fpToFixed(readFp(rn, n), n, 0, (opcode & 1) != 0, ib, mode);
      wX(rd, sf ? v : v & 0xffffffff);
      fpEnd();
      return true;
    }
  }
  return false;
}

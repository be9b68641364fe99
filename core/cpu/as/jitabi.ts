// What translated code (core/cpu/jit) calls in the core: the slow paths of
// its inline memory accesses and the interpreter for every instruction it
// does not translate. Each sets up exactly what the interpreter would have
// at that instruction (ipc, pc, the encoding, the tick, NZCV), so exceptions,
// host calls and their trace events are the interpreter's. Translated code
// keeps NZCV in the state block (ST_NZCV) while it runs.
import { ST_NZCV, ST_JIT_STATUS, JIT_STATUS_STOP, JIT_STATUS_FAULT } from "../layout";
import { S, pc, ipc, insnG, nzcv, execOrigin, fault, blockStop } from "./cpu";
import { ldN, stN } from "./mmu";
import { execCall } from "./exec";

/** The instruction count of run() when the current translation was entered. */
export let jitBase: i32 = 0;

@inline function setUp(at: u64, insn: u32, count: i32): void {
  ipc = at;
  pc = at + 4;
  insnG = insn;
  execOrigin = <u64><i64>(jitBase + count - 1) - (at >> 2);
  nzcv = load<u32>(S + ST_NZCV);
}

@inline function status(): i32 {
  return (blockStop ? JIT_STATUS_STOP : 0) | (fault ? JIT_STATUS_FAULT : 0);
}

/** Execute one instruction with the interpreter. `count`: instructions of
 *  this run() so far, this one included (relative to jitBase). */
export function jitInterp(at: u64, insn: u32, opaux: u32, count: i32): i32 {
  setUp(at, insn, count);
  execCall(opaux & 0xffff, opaux >> 16, insn);
  store<u32>(S + ST_NZCV, nzcv);
  return status();
}

/** A load the inline TLB check did not serve; zero-extended value, status in ST_JIT_STATUS. */
export function jitLoad(va: u64, size: i32, at: u64, insn: u32, count: i32): u64 {
  setUp(at, insn, count);
  const v = ldN(va, <u32>size);
  store<i32>(S + ST_JIT_STATUS, status());
  return v;
}

/** A store the inline TLB check did not serve; returns the status. */
export function jitStore(va: u64, size: i32, value: u64, at: u64, insn: u32, count: i32): i32 {
  setUp(at, insn, count);
  stN(va, <u32>size, value);
  return status();
}

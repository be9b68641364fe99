// Calls from the core into TypeScript. i32 arguments only: an i64 would cross
// as a BigInt (~40 ns). 64-bit values travel through ST_HOST_VALUE.

/** Device read at a physical address; value in ST_HOST_VALUE. Returns HOST_*
 *  (with HOST_END_BATCH when the machine must regain control). */
@external("env", "mmioRead")
export declare function hostMmioRead(cpu: i32, paLo: i32, paHi: i32, size: i32): i32;

/** Device write at a physical address; value in ST_HOST_VALUE. Returns HOST_*. */
@external("env", "mmioWrite")
export declare function hostMmioWrite(cpu: i32, paLo: i32, paHi: i32, size: i32): i32;

/** System register implemented in TypeScript (GIC CPU interface, timers).
 *  For a write the value is in ST_HOST_VALUE; for a read the host leaves it
 *  there. Returns HOST_*. */
@external("env", "sysreg")
export declare function hostSysreg(cpu: i32, key: i32, isRead: i32): i32;

/** An encoding the core does not implement was executed (it raises UNDEFINED). */
@external("env", "undef")
export declare function hostUndef(cpu: i32, insn: i32, pcLo: i32, pcHi: i32): void;

/** An exception was taken (any level). ESR/ELR/FAR are in the target level's
 *  registers; the host numbers it and records it in the trace. A non-zero
 *  return ends the batch right after it (replay stopping at an event). */
@external("env", "exception")
export declare function hostException(cpu: i32, fromEl: i32, toEl: i32, kind: i32): i32;

/** The block at `block` (a block record address) is hot: translate its page.
 *  Returns JIT_COMPILED, JIT_DECLINED or JIT_FLUSH. */
@external("env", "jitCompile")
export declare function hostJitCompile(block: i32): i32;

// The contract between the AssemblyScript CPU core (core/cpu/as) and the
// TypeScript side: where everything lives in the wasm linear memory, the
// offsets inside a CPU's state block, exit reasons and host-call statuses.
// This file is compiled by both asc and tsc, so it holds only plain numeric
// constants (no types, no imports).

// ---- wasm linear memory map (byte addresses) ----
export const WASM_PAGE_BYTES = 65536;
export const MACHINE_GLOBALS_BASE = 0x000f0000; // core state shared by all CPUs (see MG_*)
export const CPU_STATE_BASE = 0x00100000; // MAX_CPUS state blocks
export const CPU_STATE_BYTES = 0x2000;
export const MAX_CPUS = 8;
export const TLB_BASE = 0x00200000; // MAX_CPUS * TLB_PER_CPU_BYTES
export const TLB_ENTRIES = 1024; // per TLB, direct mapped; must be a power of two
export const TLB_ENTRY_BYTES = 64; // tagR tagW tagX addend ctx pa attrs
export const TLB_ARRAYS_PER_CPU = 2; // [0] unprivileged (EL0) view, [1] privileged (EL1) view
export const TLB_PER_CPU_BYTES = 131072; // TLB_ENTRIES * TLB_ENTRY_BYTES * TLB_ARRAYS_PER_CPU
export const DECODE_MEMO_BASE = 0x00300000; // decode memo: encoding -> handler id
export const DECODE_MEMO_ENTRIES = 65536;
export const SYSREG_TABLE_BASE = 0x00380000; // u32 descriptor per 16-bit sysreg key
export const SYSREG_TABLE_ENTRIES = 65536;
export const COND_TABLE_BASE = 0x00480000; // 16 x u32: bit n set when the condition holds for NZCV = n
export const BITMASK_TABLE_BASE = 0x00490000; // 8192 x u64: DecodeBitMasks(N:immr:imms) for 64-bit logical immediates
export const DIRTY_MAP_BASE = 0x00500000; // one byte per 4 KiB page of the whole wasm memory (host page index)
export const DIRTY_MAP_BYTES = 0x00100000;
export const SECURE_RAM_HOST_BASE = 0x01000000; // secure RAM bytes
export const SECURE_RAM_PA = 0x0e000000;
export const SECURE_RAM_BYTES = 0x01000000;
export const RAM_HOST_BASE = 0x02000000; // non-secure RAM bytes (size chosen at instantiation)
export const RAM_PA_DEFAULT = 0x40000000;
// ROM devices in "romd" mode (QEMU's term): the virt board's two flash banks.
// Their contents sit right after RAM in the wasm memory (a copy the device
// model keeps up to date); while a unit is enabled, reads and instruction
// fetches of its physical range are served from there like RAM, and every
// write goes to the device (a command cycle). A disabled unit is MMIO only.
export const ROMD_PA = 0x00000000;
export const ROMD_BYTES = 0x08000000; // both banks
export const ROMD_UNIT_BYTES = 0x04000000; // one bank: enabled or not as a whole

// ---- block cache (codecache.ts), placed after RAM at the next 64 KiB boundary:
// lookup table, one record per host page from SECURE_RAM_HOST_BASE to the end
// of RAM, then the block arena. Not simulation state: snapshots never see it.
export const CODE_LOOKUP_ENTRIES = 262144; // direct mapped by host address / 4
export const CODE_LOOKUP_BYTES = 2097152; // CODE_LOOKUP_ENTRIES * 8
export const CODE_PAGE_REC_BYTES = 16;
export const CODE_ARENA_BYTES = 25165824; // 24 MiB of blocks; full = flush everything
export const BLOCK_HEADER_BYTES = 24;
export const BLOCK_MAX_INSNS = 128;
// Block record fields (byte offsets; codecache.ts).
export const B_HOST = 0; // u32 host address of the first instruction (0 = dead)
export const B_COUNT = 4; // u32 instructions
export const B_NEXT = 8; // u32 next block of the same page
export const B_HITS = 12; // u32 executions while untranslated
export const B_FN = 16; // u32 table index of its translation (0 = none)
export const B_ENTRY = 20; // u32 entry number inside that translation
// Page record fields.
export const P_MASK = 0; // u64 64-byte lines holding decoded instructions (0 = no code)
export const P_HEAD = 8; // u32 first block of the page
export const P_TRANSLATIONS = 12; // u32 times the page was translated since its blocks were built

// ---- execution engines (setEngine): same results, different speed ----
export const ENGINE_INTERP = 0; // fetch, decode memo and dispatch per instruction
export const ENGINE_BLOCKS = 1; // predecoded blocks, threaded dispatch
export const ENGINE_JIT = 2; // blocks, hot pages translated to wasm functions

// ---- translated code ----
// Default executions of an untranslated block before its page is translated:
// translating costs host time (building the module, V8 compiling it), so only
// code that will run very often pays back (a Linux boot: 0.45 s of a 5 s boot
// at 4000, 0.07 s at 32000 for the same 10% gain; docs/cpu-speed.md).
export const JIT_THRESHOLD = 32000;
export const JIT_FLAG_PC_SET = 0x80000000; // in a translation's result: the core's pc is already set
export const JIT_STATUS_STOP = 1; // the block must end after this instruction
export const JIT_STATUS_FAULT = 2; // the instruction took an exception
export const JIT_COMPILED = 0; // jitCompile results
export const JIT_DECLINED = 1;
export const JIT_FLUSH = 2; // out of table slots: flush the cache, then go on

// ---- machine globals (offsets from MACHINE_GLOBALS_BASE) ----
// Debugger stops (core/cpu/as/debugStops.ts): set by the host between run()
// calls, never saved in snapshots, and never change what a CPU computes, only
// where run() returns.
export const MG_BP_COUNT = 0x000; // u32, armed PC breakpoints in MG_BP_TABLE
export const MG_WATCH_COUNT = 0x004; // u32, watched system-register keys in MG_WATCH_TABLE
export const MG_BP_SKIP = 0x040; // u64 per CPU: the PC whose breakpoint that CPU's next fetch passes over (1 = none)
export const MG_BP_TABLE = 0x100; // BP_MAX entries of BP_ENTRY_BYTES: va u64, cpuMask u32, elMask u32
export const BP_MAX = 16;
export const BP_ENTRY_BYTES = 16;
export const MG_WATCH_TABLE = 0x200; // WATCH_MAX u32 sysreg keys (op0:op1:CRn:CRm:op2, as in MRS/MSR bits 20:5)
export const WATCH_MAX = 16;
// Data watchpoints (debugStops.ts): host-address ranges whose loads/stores stop
// run() before the accessing instruction; their pages get no TLB read/write
// tags while watched, so only they take the slow path.
export const MG_DW_COUNT = 0x008; // u32, armed data watch ranges in MG_DW_TABLE
export const MG_DW_TABLE = 0x400; // DW_MAX entries of DW_ENTRY_BYTES: host start u64, length u32, kinds u32 (DW_READ | DW_WRITE)
export const DW_MAX = 256;
export const DW_ENTRY_BYTES = 16;
export const DW_READ = 1;
export const DW_WRITE = 2;
export const MG_DW_SKIP = 0x1400; // 16 bytes per CPU: tick after, pc of the instruction that passes its data watch hit

// ---- CPU state block: offsets from the block's base ----
// X0..X30 at 8*n; slot 31 holds the *current* stack pointer (SP_ELx selected
// by PSTATE.EL/SPSel). The banked copies below are valid whenever the core is
// not executing (between run() calls).
export const ST_X = 0x000;
export const ST_PC = 0x100;
export const ST_NZCV = 0x108; // u32, bits 31:28 = N Z C V (as in SPSR)
export const ST_DAIF = 0x10c; // u32, bits 9:6 = D A I F (as in SPSR)
export const ST_EL = 0x110; // u32, current exception level 0..3
export const ST_SPSEL = 0x114; // u32, PSTATE.SP
export const ST_PSTATE_MISC = 0x118; // u32, other SPSR bits kept verbatim (SS, IL, PAN, UAO)
export const ST_NS = 0x11c; // u32, 1 = Non-secure state (SCR_EL3.NS for EL<3)
export const ST_EXCL_VALUE = 0x120; // u64, value(s) read by the load-exclusive (first 8 bytes)
export const ST_EXCL_VALUE2 = 0x128; // u64, second 8 bytes (128-bit pairs)
export const ST_SP_EL0 = 0x140;
export const ST_SP_EL1 = 0x148;
export const ST_SP_EL2 = 0x150;
export const ST_SP_EL3 = 0x158;

// Run/exit information.
export const ST_EXIT_REASON = 0x180; // u32, EXIT_*
export const ST_EXECUTED = 0x188; // u64, instructions (ticks) used by the last run()
export const ST_SLICE_START_TICK = 0x190; // u64, virtual tick at which run() started
export const ST_NOW_TICK = 0x198; // u64, tick of the instruction making a host call
export const ST_IRQ_LINES = 0x1a0; // u32, LINE_* bits, written by the interrupt controller
export const ST_EVENT_REG = 0x1a4; // u32, WFE event register
export const ST_EXCL_VALID = 0x1a8; // u32, local exclusive monitor open
export const ST_EXCL_SIZE = 0x1ac; // u32, bytes covered by the reservation
export const ST_EXCL_ADDR = 0x1b0; // u64, physical address reserved
export const ST_CPU_INDEX = 0x1b8; // u32
export const ST_HOST_VALUE = 0x1c0; // u64, value exchanged with host calls
export const ST_HOST_AUX = 0x1c8; // u64, second value exchanged with host calls
export const ST_UNDEF_COUNT = 0x1d0; // u64, UNDEFINED exceptions raised for unimplemented encodings
export const ST_LAST_UNDEF_INSN = 0x1d8; // u32
export const ST_FEATURES = 0x1dc; // u32, FEAT_* bits (mirrors the ID registers)
export const ST_TLB_GEN = 0x1e0; // u32, bumped on every TLB flush (debug/statistics)
export const ST_EXC_KIND = 0x1e4; // u32, EXC_* of the last exception taken to EL2/EL3
export const ST_EXC_COUNT = 0x1e8; // u64, exceptions taken by this CPU (all levels)
export const ST_TLB_MISSES = 0x1f0; // u64, TLB fills (statistics)

// Exchange with translated code (core/cpu/jit). Scratch, outside everything
// snapshots and state hashes cover; the context fields are republished by
// the core whenever the translation context changes.
export const ST_JIT_PC = 0x1000; // u64, next PC when translated code returns without the flag
export const ST_JIT_STATUS = 0x1008; // u32, JIT_STATUS_* of the last slow-path helper
export const ST_JIT_TLB = 0x100c; // u32, address of the TLB array for the current privilege
export const ST_JIT_CTXA = 0x1010; // u64, VMID:ASID of the current context
export const ST_JIT_CTXG = 0x1018; // u64, VMID:global
// Derived from the debug registers (debugArch.ts), recomputed whenever they
// may have changed; outside snapshots and hashes like the fields above.
export const ST_DBG_GATE = 0x1020; // u32, DG_* bits: what the guest's debug configuration arms
export const ST_DBG_WSIG = 0x1028; // u64, signature of the watchpoint configuration the TLB's poisoning follows

// FP/SIMD registers: V0..V31, 16 bytes each, little-endian.
export const ST_V = 0x200;
export const ST_FPCR = 0x400;
export const ST_FPSR = 0x408;

// Scratch for multi-register transfers (LD1-LD4 gather before commit).
export const ST_SCRATCH = 0x1c00; // 512 bytes

// System registers: u64 slots at ST_SYSREG + 8*slot.
export const ST_SYSREG = 0x800;
export const SYSREG_SLOTS = 256;

// Slots the core itself reads. Everything else in the sysreg table gets a slot
// assigned by core/cpu/sysregs.ts (>= SLOT_FIRST_FREE).
export const SLOT_SCTLR_EL1 = 0;
export const SLOT_TTBR0_EL1 = 1;
export const SLOT_TTBR1_EL1 = 2;
export const SLOT_TCR_EL1 = 3;
export const SLOT_MAIR_EL1 = 4;
export const SLOT_VBAR_EL1 = 5;
export const SLOT_ESR_EL1 = 6;
export const SLOT_FAR_EL1 = 7;
export const SLOT_ELR_EL1 = 8;
export const SLOT_SPSR_EL1 = 9;
export const SLOT_PAR_EL1 = 10;
export const SLOT_CPACR_EL1 = 11;
export const SLOT_CONTEXTIDR_EL1 = 12;
export const SLOT_TPIDR_EL0 = 13;
export const SLOT_TPIDRRO_EL0 = 14;
export const SLOT_TPIDR_EL1 = 15;
export const SLOT_CNTKCTL_EL1 = 16;
export const SLOT_MDSCR_EL1 = 17;
export const SLOT_HCR_EL2 = 20;
export const SLOT_SCTLR_EL2 = 21;
export const SLOT_VTTBR_EL2 = 22;
export const SLOT_VTCR_EL2 = 23;
export const SLOT_ESR_EL2 = 24;
export const SLOT_FAR_EL2 = 25;
export const SLOT_HPFAR_EL2 = 26;
export const SLOT_ELR_EL2 = 27;
export const SLOT_SPSR_EL2 = 28;
export const SLOT_VBAR_EL2 = 29;
export const SLOT_CPTR_EL2 = 30;
export const SLOT_CNTHCTL_EL2 = 31;
export const SLOT_CNTVOFF_EL2 = 32;
export const SLOT_VPIDR_EL2 = 33;
export const SLOT_VMPIDR_EL2 = 34;
export const SLOT_HSTR_EL2 = 35;
export const SLOT_MDCR_EL2 = 36;
export const SLOT_TPIDR_EL2 = 37;
// Secure stage 2 (FEAT_SEL2): present in the sysreg table only on a machine
// with two Security states.
export const SLOT_VSTTBR_EL2 = 38;
export const SLOT_VSTCR_EL2 = 39;
export const SLOT_SCR_EL3 = 40;
export const SLOT_ESR_EL3 = 41;
export const SLOT_FAR_EL3 = 42;
export const SLOT_ELR_EL3 = 43;
export const SLOT_SPSR_EL3 = 44;
export const SLOT_VBAR_EL3 = 45;
export const SLOT_CPTR_EL3 = 46;
export const SLOT_MIDR_EL1 = 50;
export const SLOT_MPIDR_EL1 = 51;
export const SLOT_ID_AA64PFR0_EL1 = 52;
export const SLOT_ID_AA64ISAR0_EL1 = 53;
export const SLOT_ID_AA64MMFR0_EL1 = 54;
export const SLOT_DCZID_EL0 = 55;
export const SLOT_CTR_EL0 = 56;
export const SLOT_FIRST_FREE = 64;
// The self-hosted debug registers (ARM ARM D2, D13.3): fixed slots above the
// ones the table assigns (sysregs.ts checks they never meet).
export const DBG_BRPS = 6; // breakpoints, as ID_AA64DFR0_EL1.BRPs advertises (Cortex-A57)
export const DBG_WRPS = 4; // watchpoints (WRPs)
export const DBG_CTX_CMPS = 2; // the last two breakpoints are context-aware (CTX_CMPs)
export const SLOT_FIXED_FIRST = 224;
export const SLOT_DBGBVR0_EL1 = 224; // .. + DBG_BRPS - 1
export const SLOT_DBGBCR0_EL1 = 230;
export const SLOT_DBGWVR0_EL1 = 236; // .. + DBG_WRPS - 1
export const SLOT_DBGWCR0_EL1 = 240;
export const SLOT_OSLSR_EL1 = 244;
export const SLOT_OSDLR_EL1 = 245;
export const SLOT_DBGPRCR_EL1 = 246;

// ---- sysreg table descriptors (u32 per key; key = insn bits [20:5] of MRS/MSR:
// op0[15:14] op1[13:11] CRn[10:7] CRm[6:3] op2[2:0]) ----
export const SR_SLOT_MASK = 0x3ff; // bits 9:0 slot (or special id for SR_KIND_SPECIAL)
export const SR_MINEL_SHIFT = 10; // bits 11:10 lowest EL allowed to access
export const SR_KIND_SHIFT = 12; // bits 15:12
export const SR_KIND_UNDEF = 0; // not implemented: UNDEFINED (and logged)
export const SR_KIND_RW = 1;
export const SR_KIND_RO = 2;
export const SR_KIND_WO = 3;
export const SR_KIND_SPECIAL = 4; // handled by a switch in the core (NZCV, DAIF, CNTVCT...)
export const SR_KIND_HOST = 5; // forwarded to TypeScript (GIC CPU interface, timers)
export const SR_FLAG_MMU = 0x10000; // a write changes translation: drop fetch cache, recompute context
export const SR_FLAG_TVM = 0x20000; // write trapped to EL2 when HCR_EL2.TVM (and read when TRVM)
export const SR_FLAG_TID3 = 0x40000; // read trapped to EL2 when HCR_EL2.TID3
export const SR_FLAG_FP = 0x80000; // FPCR/FPSR: subject to CPACR/CPTR FP traps
export const SR_FLAG_EL0_UCT = 0x100000; // CTR_EL0 at EL0: SCTLR_EL1.UCT
export const SR_FLAG_EL0_UCI = 0x200000; // DC/IC maintenance at EL0: SCTLR_EL1.UCI
export const SR_FLAG_EL0_DZE = 0x400000; // DCZID_EL0 / DC ZVA at EL0: SCTLR_EL1.DZE
export const SR_FLAG_CTX = 0x800000; // a write changes the ASID/VMID context only (TTBRn): no flush needed
export const SR_FLAG_EL0_UMA = 0x1000000; // DAIF at EL0: SCTLR_EL1.UMA
export const SR_FLAG_EL0_TIMER = 0x2000000; // accessible at EL0 (timer/counter: further checks in the device)
export const SR_FLAG_TDA = 0x4000000; // debug register: EL0/EL1 access trapped to EL2 by MDCR_EL2.TDA (or TDE, HCR_EL2.TGE)
export const SR_FLAG_TDOSA = 0x8000000; // OS lock / power register: trapped by MDCR_EL2.TDOSA (or TDE, TGE)
export const SR_FLAG_DEBUG = 0x10000000; // a write changes the debug configuration (debugArch.ts)

// Special sysreg ids (SR_KIND_SPECIAL).
export const SPEC_NZCV = 1;
export const SPEC_DAIF = 2;
export const SPEC_CURRENTEL = 3;
export const SPEC_SPSEL = 4;
export const SPEC_SP_EL0 = 5;
export const SPEC_SP_EL1 = 6;
export const SPEC_FPCR = 7;
export const SPEC_FPSR = 8;
export const SPEC_CNTPCT = 9;
export const SPEC_CNTVCT = 10;
export const SPEC_CNTFRQ = 11;
export const SPEC_ISR = 12;
export const SPEC_OSLAR = 13;
export const SPEC_SP_EL2 = 14;
export const SPEC_PAN = 15;
export const SPEC_UAO = 16;

// ---- interrupt lines into a CPU (ST_IRQ_LINES bits) ----
export const LINE_IRQ = 1;
export const LINE_FIQ = 2;
export const LINE_VIRQ = 4; // virtual IRQ from the GIC virtual CPU interface
export const LINE_VFIQ = 8;
export const LINE_VSERROR = 16; // HCR_EL2.VSE is architectural; this mirrors it for speed
// A GIC with two Security states signals its highest priority pending Group 1
// interrupt by group; the PE's CPU interface makes it IRQ or FIQ by the PE's
// current Security state and EL (GICv3 IHI 0069 §4.6.2, Table 4-3).
export const LINE_G1S = 32; // Secure Group 1: IRQ at Secure EL0-2, FIQ in Non-secure state and at EL3
export const LINE_G1NS = 64; // Non-secure Group 1: IRQ in Non-secure state, FIQ in Secure state and at EL3

// ---- kind of the last exception taken (ST_EXC_KIND) ----
export const EXC_SYNC = 0;
export const EXC_IRQ = 1;
export const EXC_FIQ = 2;
export const EXC_SERROR = 3;

// ---- exit reasons of run() ----
export const EXIT_BUDGET = 0; // executed the whole budget
export const EXIT_EL2 = 1; // took an exception to EL2: the TypeScript EL2 handler runs next
export const EXIT_EL3 = 2; // took an exception to EL3
export const EXIT_WFI = 3; // WFI with nothing pending: CPU sleeps until an interrupt
export const EXIT_WFE = 4; // WFE with the event register clear
export const EXIT_HOST = 5; // a host call may have changed interrupt lines or events
export const EXIT_HALT = 6; // the CPU cannot go on (double fault with no handler level)
export const EXIT_BREAK = 7; // the next instruction is at an armed PC breakpoint: stopped before it (not executed)
export const EXIT_WATCH = 8; // the instruction just executed accessed a watched system register (ST_HOST_AUX: key | isRead << 16)
export const EXIT_DATA_WATCH = 9; // the next instruction accesses a watched range: stopped before it (not executed; ST_HOST_AUX: host address | write << 63)

// ---- host call statuses ----
export const HOST_OK = 0;
export const HOST_UNDEF = 1; // the register/encoding is not implemented: UNDEFINED
export const HOST_ABORT = 2; // the access failed at the bus: synchronous external abort
export const HOST_TRAP_EL2 = 3; // trap the access to EL2 (EC 0x18)
export const HOST_TRAP_EL1 = 4; // trap an EL0 access to EL1 (EC 0x18), e.g. CNTKCTL_EL1 controls
export const HOST_TRAP_EL3 = 5; // trap the access to EL3 (EC 0x18), e.g. GIC registers under SCR_EL3.IRQ/FIQ
// Or'ed into a device or system register access status by the TypeScript
// side when the machine must regain control right after that instruction (a
// pause was requested, the machine stopped); otherwise the batch goes on.
export const HOST_END_BATCH = 0x100;

// ---- feature bits (ST_FEATURES) ----
export const FEAT_LSE = 1;
export const FEAT_CRC32 = 2;
export const FEAT_EL3 = 4;
export const FEAT_EL2 = 8;
export const FEAT_SEL2 = 16; // Secure EL2 (Armv8.4-SecEL2): SCR_EL3.EEL2, VSTTBR_EL2/VSTCR_EL2

// ---- timing ----
// One tick = one instruction = 1 ns of virtual time; the system counter runs at
// 62.5 MHz, one count per 16 ticks.
export const TICKS_PER_COUNTER = 16;
export const COUNTER_HZ = 62500000;

// PSCI (ARM DEN0022D): the operations over the machine's power controller,
// shared by the EL3 firmware (PSCI 1.1 over SMC: el3Services.ts) and the
// stand-in (PSCI 1.0 and the SMCCC 1.1 discovery calls, as QEMU's built-in
// PSCI or KVM answer them over HVC for bare-metal runs: psciCall).
// Power-state bookkeeping lives in the machine's state record; this module
// holds no state.

export const PSCI_VERSION = 0x8400_0000;
export const PSCI_CPU_SUSPEND_32 = 0x8400_0001;
export const PSCI_CPU_SUSPEND_64 = 0xc400_0001;
export const PSCI_CPU_OFF = 0x8400_0002;
export const PSCI_CPU_ON_32 = 0x8400_0003;
export const PSCI_CPU_ON_64 = 0xc400_0003;
export const PSCI_AFFINITY_INFO_32 = 0x8400_0004;
export const PSCI_AFFINITY_INFO_64 = 0xc400_0004;
export const PSCI_MIGRATE_INFO_TYPE = 0x8400_0006;
export const PSCI_SYSTEM_OFF = 0x8400_0008;
export const PSCI_SYSTEM_RESET = 0x8400_0009;
export const PSCI_FEATURES = 0x8400_000a;
export const SMCCC_VERSION = 0x8000_0000;
export const SMCCC_ARCH_FEATURES = 0x8000_0001;

export const PSCI_SUCCESS = 0;
export const PSCI_NOT_SUPPORTED = -1;
export const PSCI_INVALID_PARAMETERS = -2;
export const PSCI_DENIED = -3;
export const PSCI_ALREADY_ON = -4;
export const PSCI_ON_PENDING = -5;
export const PSCI_INTERNAL_FAILURE = -6;
export const PSCI_INVALID_ADDRESS = -9;

/** AFFINITY_INFO answers (DEN0022D 5.1.8). */
export const AFF_ON = 0;
export const AFF_OFF = 1;
export const AFF_ON_PENDING = 2;

export type PowerState = 'off' | 'on' | 'on-pending';

/** What the PSCI implementation needs from the machine. */
export interface PsciPlatform {
  readonly numCpus: number;
  powerState(cpu: number): PowerState;
  /** MPIDR affinity fields (Aff3:Aff2:Aff1:Aff0 as in MPIDR_EL1 bits 39:32, 23:0). */
  mpidr(cpu: number): bigint;
  /** Is `pa` an address a CPU can start executing at with the MMU off? */
  validEntry(pa: bigint): boolean;
  /** Power `cpu` on at EL `el`, entry `pa`, x0 = `contextId`. */
  cpuOn(cpu: number, el: number, entry: bigint, contextId: bigint): void;
  cpuOff(cpu: number): void;
  /** CPU_SUSPEND standby: the caller waits for an interrupt, then returns. */
  standby(cpu: number): void;
  systemOff(): void;
  systemReset(): void;
}

export interface PsciCall {
  cpu: number;
  callerEl: number;
  fn: number;
  args: readonly bigint[];
}

/** The value for x0, or null when the call does not return (CPU_OFF, SYSTEM_*). */
export type PsciResult = bigint | null;

const IMPLEMENTED = new Set([
  PSCI_VERSION, PSCI_CPU_SUSPEND_32, PSCI_CPU_SUSPEND_64, PSCI_CPU_OFF, PSCI_CPU_ON_32, PSCI_CPU_ON_64,
  PSCI_AFFINITY_INFO_32, PSCI_AFFINITY_INFO_64, PSCI_MIGRATE_INFO_TYPE, PSCI_SYSTEM_OFF, PSCI_SYSTEM_RESET,
  PSCI_FEATURES, SMCCC_VERSION,
]);

/** Results are returned sign-extended to 64 bits, as KVM does. */
export function ret(v: number): bigint {
  return BigInt.asUintN(64, BigInt(v));
}

function affinityOf(v: bigint): bigint {
  return v & 0xff_00ff_ffffn;
}

function findCpu(p: PsciPlatform, target: bigint): number {
  for (let c = 0; c < p.numCpus; c++) if (affinityOf(p.mpidr(c)) === affinityOf(target)) return c;
  return -1;
}

// The PSCI operations (DEN0022D §5), shared by the stand-in's dispatch below
// and the EL3 firmware's (el3Services.ts): arguments already narrowed to 32
// bits for SMC32/HVC32 calls.

/** PSCI_FEATURES (§5.1.14) over the set of functions the caller implements. */
export function psciFeatures(implemented: ReadonlySet<number>, fid: bigint): bigint {
  // CPU_SUSPEND: original power_state format, no OS-initiated mode (flags 0).
  return ret(implemented.has(Number(fid & 0xffff_ffffn)) ? PSCI_SUCCESS : PSCI_NOT_SUPPORTED);
}

/** CPU_ON (§5.1.4): power `targetMpidr` on at the caller's EL. */
export function psciCpuOn(p: PsciPlatform, callerEl: number, targetMpidr: bigint, entry: bigint, contextId: bigint): bigint {
  const target = findCpu(p, targetMpidr);
  if (target < 0) return ret(PSCI_INVALID_PARAMETERS);
  const st = p.powerState(target);
  if (st === 'on') return ret(PSCI_ALREADY_ON);
  if (st === 'on-pending') return ret(PSCI_ON_PENDING);
  if (!p.validEntry(entry)) return ret(PSCI_INVALID_ADDRESS);
  p.cpuOn(target, callerEl, entry, contextId);
  return ret(PSCI_SUCCESS);
}

/** AFFINITY_INFO (§5.1.8): only level 0 is tracked. */
export function psciAffinityInfo(p: PsciPlatform, targetMpidr: bigint, lowestLevel: bigint): bigint {
  if (lowestLevel !== 0n) return ret(PSCI_INVALID_PARAMETERS);
  const target = findCpu(p, targetMpidr);
  if (target < 0) return ret(PSCI_INVALID_PARAMETERS);
  const st = p.powerState(target);
  return ret(st === 'on' ? AFF_ON : st === 'off' ? AFF_OFF : AFF_ON_PENDING);
}

/** CPU_SUSPEND (§5.1.2): every power state is entered as standby, permitted
 *  when the platform cannot lose context (§5.4.2); KVM does the same. */
export function psciCpuSuspend(p: PsciPlatform, cpu: number): bigint {
  p.standby(cpu);
  return ret(PSCI_SUCCESS);
}

/** MIGRATE_INFO_TYPE (§5.1.6): 2, no Trusted OS that needs migration. */
export const MIGRATE_INFO_NONE = 2;

/**
 * The stand-in's dispatch of one PSCI 1.0 / SMCCC 1.1 call. Arguments of
 * SMC32/HVC32 calls are the low 32 bits of x1..x3 (SMCCC 1.1 §2.6).
 */
export function psciCall(p: PsciPlatform, call: PsciCall): PsciResult {
  const is32 = (call.fn & 0x4000_0000) === 0;
  const arg = (i: number): bigint => {
    const v = call.args[i] ?? 0n;
    return is32 ? v & 0xffff_ffffn : v;
  };
  switch (call.fn >>> 0) {
    case PSCI_VERSION:
      return ret(0x0001_0000); // 1.0
    case SMCCC_VERSION:
      return ret(0x0001_0001); // 1.1
    case SMCCC_ARCH_FEATURES:
      return ret(PSCI_NOT_SUPPORTED);
    case PSCI_FEATURES:
      return psciFeatures(IMPLEMENTED, arg(0));
    case PSCI_MIGRATE_INFO_TYPE:
      return ret(MIGRATE_INFO_NONE);
    case PSCI_CPU_ON_32:
    case PSCI_CPU_ON_64:
      return psciCpuOn(p, call.callerEl, arg(0), arg(1), arg(2));
    case PSCI_CPU_OFF:
      p.cpuOff(call.cpu);
      return null;
    case PSCI_AFFINITY_INFO_32:
    case PSCI_AFFINITY_INFO_64:
      return psciAffinityInfo(p, arg(0), arg(1));
    case PSCI_CPU_SUSPEND_32:
    case PSCI_CPU_SUSPEND_64:
      return psciCpuSuspend(p, call.cpu);
    case PSCI_SYSTEM_OFF:
      p.systemOff();
      return null;
    case PSCI_SYSTEM_RESET:
      p.systemReset();
      return null;
  }
  return ret(PSCI_NOT_SUPPORTED);
}

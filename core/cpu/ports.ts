// What TypeScript devices that sit on the CPU's system-register interface
// (GIC CPU interface, generic timers) may ask of a CPU, and how they answer.
// Values are bigint: these are cold paths (a few per thousand instructions).

/** Read-only view of architectural CPU state, for devices that depend on it. */
export interface CpuView {
  readonly numCpus: number;
  /** Current exception level of `cpu` (0..3). */
  el(cpu: number): number;
  /** Non-secure state? */
  isNonSecure(cpu: number): boolean;
  /** A register by its architectural name (SCR_EL3, HCR_EL2, MPIDR_EL1...; core/cpu/registers.ts). */
  reg(cpu: number, name: string): bigint;
  /** Virtual tick of the instruction currently executing on `cpu` (or of the
   *  slice boundary when the CPU is not running). */
  nowTick(cpu: number): number;
}

/** HOST_* status from core/cpu/layout.ts. */
export type HostStatus = number;

/** A device that implements some system registers (keyed as in layout.ts:
 *  op0:op1:CRn:CRm:op2 packed into 16 bits). */
export interface SysregDevice {
  /** Does this device implement the register with this key? */
  claims(key: number): boolean;
  read(cpu: number, key: number, out: { value: bigint }): HostStatus;
  write(cpu: number, key: number, value: bigint): HostStatus;
}

/** Pack a system-register encoding into the 16-bit key used by the core. */
export function sysregKey(op0: number, op1: number, crn: number, crm: number, op2: number): number {
  return ((op0 & 3) << 14) | ((op1 & 7) << 11) | ((crn & 15) << 7) | ((crm & 15) << 3) | (op2 & 7);
}

// The EL3 firmware's runtime services, what TF-A's BL31 answers over SMC:
// one flat switch from function identifier to handler (el3Service), each
// handler a function of the call's registers (smccc.ts) and the platform it
// drives, returning only the registers it defines.
//
// - Arm Architecture calls: SMCCC_VERSION (1.2), SMCCC_ARCH_FEATURES (TF-A
//   arm_arch_svc: VERSION and ARCH_FEATURES themselves are implemented; the
//   speculation workarounds are NOT_SUPPORTED, as TF-A answers for a CPU
//   with no erratum workaround built in: hvrr's core does not speculate).
// - PSCI 1.1 (DEN0022D) for the Non-secure world, over the same operations
//   as the stand-in (psci.ts); PSCI_FEATURES(SMCCC_VERSION) is supported
//   (DEN0022D §5.1.14, TF-A psci_features). A Secure caller gets the unknown
//   answer, as TF-A's psci_smc_handler gives it.
// - FF-A (DEN0077): relayed to the Secure world's S-EL2 software by the SPMD
//   when there is one; without S-EL2 software every FF-A function is unknown
//   (NOT_SUPPORTED, 64-bit -1), as TF-A built without the SPMD answers, and
//   as Linux's and pKVM's FF-A drivers read FFA_VERSION's failure.
// - Everything else: unknown (64-bit -1).
import {
  PSCI_AFFINITY_INFO_32, PSCI_AFFINITY_INFO_64, PSCI_CPU_OFF, PSCI_CPU_ON_32, PSCI_CPU_ON_64, PSCI_CPU_SUSPEND_32,
  PSCI_CPU_SUSPEND_64, PSCI_FEATURES, PSCI_MIGRATE_INFO_TYPE, PSCI_SYSTEM_OFF, PSCI_SYSTEM_RESET, PSCI_VERSION,
  MIGRATE_INFO_NONE, psciAffinityInfo, psciCpuOn, psciCpuSuspend, psciFeatures, type PsciPlatform,
} from './psci.js';
import {
  SMCCC_ARCH_FEATURES, SMCCC_NOT_SUPPORTED, SMCCC_SUCCESS, SMCCC_VERSION, SMCCC_VERSION_1_2, UNKNOWN_FUNCTION,
  answer, argOf, isFfaFid, smcccValue, type SmcccAnswer, type SmcccCall,
} from './smccc.js';

/** What the services drive: the machine's power controller, and whether
 *  software runs at Secure EL2 (the SPMC FF-A calls are relayed to). */
export interface El3Platform {
  readonly psci: PsciPlatform;
  readonly secureEl2: boolean;
}

export type El3Handler = (call: SmcccCall, p: El3Platform) => SmcccAnswer;

/** PSCI_VERSION's answer: 1.1. */
export const PSCI_VERSION_1_1 = 0x0001_0001;

/** PSCI functions this firmware implements (PSCI_FEATURES answers for these and SMCCC_VERSION). */
const PSCI_IMPLEMENTED: ReadonlySet<number> = new Set([
  PSCI_VERSION, PSCI_CPU_SUSPEND_32, PSCI_CPU_SUSPEND_64, PSCI_CPU_OFF, PSCI_CPU_ON_32, PSCI_CPU_ON_64,
  PSCI_AFFINITY_INFO_32, PSCI_AFFINITY_INFO_64, PSCI_MIGRATE_INFO_TYPE, PSCI_SYSTEM_OFF, PSCI_SYSTEM_RESET,
  PSCI_FEATURES, SMCCC_VERSION,
]);

const unknown: El3Handler = () => answer(UNKNOWN_FUNCTION);

const smcccVersion: El3Handler = () => answer(smcccValue(SMCCC_VERSION_1_2));

const smcccArchFeatures: El3Handler = (call) => {
  const fid = Number(argOf(call, 1));
  return answer(smcccValue(fid === SMCCC_VERSION || fid === SMCCC_ARCH_FEATURES ? SMCCC_SUCCESS : SMCCC_NOT_SUPPORTED));
};

/** A PSCI handler: for the Non-secure world only. */
function psci(h: El3Handler): El3Handler {
  return (call, p) => (call.world === 'ns' ? h(call, p) : answer(UNKNOWN_FUNCTION));
}

const psciVersion = psci(() => answer(smcccValue(PSCI_VERSION_1_1)));
const psciFeaturesCall = psci((call) => answer(psciFeatures(PSCI_IMPLEMENTED, argOf(call, 1))));
const psciMigrateInfoType = psci(() => answer(smcccValue(MIGRATE_INFO_NONE)));
const psciCpuOnCall = psci((call, p) => answer(psciCpuOn(p.psci, call.callerEl, argOf(call, 1), argOf(call, 2), argOf(call, 3))));
const psciAffinityInfoCall = psci((call, p) => answer(psciAffinityInfo(p.psci, argOf(call, 1), argOf(call, 2))));
const psciCpuSuspendCall = psci((call, p) => answer(psciCpuSuspend(p.psci, call.cpu)));
const psciCpuOff = psci((call, p) => {
  p.psci.cpuOff(call.cpu);
  return { kind: 'no-return' };
});
const psciSystemOff = psci((_call, p) => {
  p.psci.systemOff();
  return { kind: 'no-return' };
});
const psciSystemReset = psci((_call, p) => {
  p.psci.systemReset();
  return { kind: 'no-return' };
});

const ffa: El3Handler = (_call, p) => (p.secureEl2 ? { kind: 'to-secure' } : answer(UNKNOWN_FUNCTION));

/** The handler of function identifier `fid`. */
export function el3Service(fid: number): El3Handler {
  switch (fid >>> 0) {
    case SMCCC_VERSION: return smcccVersion;
    case SMCCC_ARCH_FEATURES: return smcccArchFeatures;
    case PSCI_VERSION: return psciVersion;
    case PSCI_FEATURES: return psciFeaturesCall;
    case PSCI_MIGRATE_INFO_TYPE: return psciMigrateInfoType;
    case PSCI_CPU_ON_32: case PSCI_CPU_ON_64: return psciCpuOnCall;
    case PSCI_CPU_OFF: return psciCpuOff;
    case PSCI_CPU_SUSPEND_32: case PSCI_CPU_SUSPEND_64: return psciCpuSuspendCall;
    case PSCI_AFFINITY_INFO_32: case PSCI_AFFINITY_INFO_64: return psciAffinityInfoCall;
    case PSCI_SYSTEM_OFF: return psciSystemOff;
    case PSCI_SYSTEM_RESET: return psciSystemReset;
  }
  return isFfaFid(fid) ? ffa : unknown;
}

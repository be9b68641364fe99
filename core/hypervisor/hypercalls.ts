// The hypercall ABI of seed 004 (HVC #0, function id in x0, arguments in
// x1..x3, result in x0): ids 0..5. Return codes are in README.md.
export const HVC_GET_HV_ID = 0;
export const HVC_DUMP_LOG = 1;
export const HVC_GET_STATUS = 2;
export const HVC_PAUSE = 3;
export const HVC_GUEST_CONSOLE_WRITE = 4;
export const HVC_REPORT_EXCEPTION = 5;

export const HV_OK = 0n;
export const HV_ERR_UNKNOWN = BigInt.asUintN(64, -1n); // unknown function id (= SMCCC NOT_SUPPORTED)
export const HV_ERR_INVALID = BigInt.asUintN(64, -2n); // bad argument (length out of range)
export const HV_ERR_FAULT = BigInt.asUintN(64, -3n); // an IPA argument is not the VM's RAM
/** GET_HV_ID answer: "HVRR" in ASCII, and the ABI version in x1. */
export const HV_ID = 0x4856_5252n;
export const HV_ABI_VERSION = 1n;
/** Largest GUEST_CONSOLE_WRITE. */
export const HV_CONSOLE_MAX = 4096;

// FF-A function identifiers (DEN0077 v1.1 §13 "ABI summary", v1.2 for the
// calls it added) and the FFA_VERSION encoding. Every FF-A call is an SMCCC
// fast call owned by the Standard Secure Service (OEN 4), function numbers
// 0x60-0xFF; bit 30 selects the SMC64 form. Names are the spec's: a call
// with one form keeps its bare name (FFA_VERSION), a call with both carries
// the width (FFA_MEM_SHARE_32, FFA_MEM_SHARE_64).

const SMC32 = 0x8400_0000;
const SMC64 = 0xc400_0000;

export const FFA_ERROR = SMC32 + 0x60;
export const FFA_SUCCESS_32 = SMC32 + 0x61;
export const FFA_SUCCESS_64 = SMC64 + 0x61;
export const FFA_INTERRUPT = SMC32 + 0x62;
export const FFA_VERSION = SMC32 + 0x63;
export const FFA_FEATURES = SMC32 + 0x64;
export const FFA_RX_RELEASE = SMC32 + 0x65;
export const FFA_RXTX_MAP_32 = SMC32 + 0x66;
export const FFA_RXTX_MAP_64 = SMC64 + 0x66;
export const FFA_RXTX_UNMAP = SMC32 + 0x67;
export const FFA_PARTITION_INFO_GET = SMC32 + 0x68;
export const FFA_ID_GET = SMC32 + 0x69;
/** v1.0 only (removed in v1.1); named so traces of old callers read. */
export const FFA_MSG_POLL = SMC32 + 0x6a;
export const FFA_MSG_WAIT = SMC32 + 0x6b;
export const FFA_YIELD = SMC32 + 0x6c;
export const FFA_RUN = SMC32 + 0x6d;
/** v1.0 only (replaced by FFA_MSG_SEND2 in v1.1). */
export const FFA_MSG_SEND = SMC32 + 0x6e;
export const FFA_MSG_SEND_DIRECT_REQ_32 = SMC32 + 0x6f;
export const FFA_MSG_SEND_DIRECT_REQ_64 = SMC64 + 0x6f;
export const FFA_MSG_SEND_DIRECT_RESP_32 = SMC32 + 0x70;
export const FFA_MSG_SEND_DIRECT_RESP_64 = SMC64 + 0x70;
export const FFA_MEM_DONATE_32 = SMC32 + 0x71;
export const FFA_MEM_DONATE_64 = SMC64 + 0x71;
export const FFA_MEM_LEND_32 = SMC32 + 0x72;
export const FFA_MEM_LEND_64 = SMC64 + 0x72;
export const FFA_MEM_SHARE_32 = SMC32 + 0x73;
export const FFA_MEM_SHARE_64 = SMC64 + 0x73;
export const FFA_MEM_RETRIEVE_REQ_32 = SMC32 + 0x74;
export const FFA_MEM_RETRIEVE_REQ_64 = SMC64 + 0x74;
export const FFA_MEM_RETRIEVE_RESP = SMC32 + 0x75;
export const FFA_MEM_RELINQUISH = SMC32 + 0x76;
export const FFA_MEM_RECLAIM = SMC32 + 0x77;
/** v1.0 only (removed in v1.1). */
export const FFA_MEM_OP_PAUSE = SMC32 + 0x78;
/** v1.0 only (removed in v1.1). */
export const FFA_MEM_OP_RESUME = SMC32 + 0x79;
export const FFA_MEM_FRAG_RX = SMC32 + 0x7a;
export const FFA_MEM_FRAG_TX = SMC32 + 0x7b;
export const FFA_NORMAL_WORLD_RESUME = SMC32 + 0x7c;
// v1.1
export const FFA_NOTIFICATION_BITMAP_CREATE = SMC32 + 0x7d;
export const FFA_NOTIFICATION_BITMAP_DESTROY = SMC32 + 0x7e;
export const FFA_NOTIFICATION_BIND = SMC32 + 0x7f;
export const FFA_NOTIFICATION_UNBIND = SMC32 + 0x80;
export const FFA_NOTIFICATION_SET = SMC32 + 0x81;
export const FFA_NOTIFICATION_GET = SMC32 + 0x82;
export const FFA_NOTIFICATION_INFO_GET_32 = SMC32 + 0x83;
export const FFA_NOTIFICATION_INFO_GET_64 = SMC64 + 0x83;
export const FFA_RX_ACQUIRE = SMC32 + 0x84;
export const FFA_SPM_ID_GET = SMC32 + 0x85;
export const FFA_MSG_SEND2 = SMC32 + 0x86;
export const FFA_SECONDARY_EP_REGISTER_32 = SMC32 + 0x87;
export const FFA_SECONDARY_EP_REGISTER_64 = SMC64 + 0x87;
export const FFA_MEM_PERM_GET_32 = SMC32 + 0x88;
export const FFA_MEM_PERM_GET_64 = SMC64 + 0x88;
export const FFA_MEM_PERM_SET_32 = SMC32 + 0x89;
export const FFA_MEM_PERM_SET_64 = SMC64 + 0x89;
// v1.2
export const FFA_CONSOLE_LOG_32 = SMC32 + 0x8a;
export const FFA_CONSOLE_LOG_64 = SMC64 + 0x8a;
export const FFA_PARTITION_INFO_GET_REGS = SMC64 + 0x8b;
export const FFA_EL3_INTR_HANDLE = SMC32 + 0x8c;
export const FFA_MSG_SEND_DIRECT_REQ2 = SMC64 + 0x8d;
export const FFA_MSG_SEND_DIRECT_RESP2 = SMC64 + 0x8e;

/** Every function identifier by its spec name (the lookup for traces). */
const FUNCTIONS = {
  FFA_ERROR, FFA_SUCCESS_32, FFA_SUCCESS_64, FFA_INTERRUPT, FFA_VERSION, FFA_FEATURES, FFA_RX_RELEASE,
  FFA_RXTX_MAP_32, FFA_RXTX_MAP_64, FFA_RXTX_UNMAP, FFA_PARTITION_INFO_GET, FFA_ID_GET, FFA_MSG_POLL,
  FFA_MSG_WAIT, FFA_YIELD, FFA_RUN, FFA_MSG_SEND, FFA_MSG_SEND_DIRECT_REQ_32, FFA_MSG_SEND_DIRECT_REQ_64,
  FFA_MSG_SEND_DIRECT_RESP_32, FFA_MSG_SEND_DIRECT_RESP_64, FFA_MEM_DONATE_32, FFA_MEM_DONATE_64,
  FFA_MEM_LEND_32, FFA_MEM_LEND_64, FFA_MEM_SHARE_32, FFA_MEM_SHARE_64, FFA_MEM_RETRIEVE_REQ_32,
  FFA_MEM_RETRIEVE_REQ_64, FFA_MEM_RETRIEVE_RESP, FFA_MEM_RELINQUISH, FFA_MEM_RECLAIM, FFA_MEM_OP_PAUSE,
  FFA_MEM_OP_RESUME, FFA_MEM_FRAG_RX, FFA_MEM_FRAG_TX, FFA_NORMAL_WORLD_RESUME,
  FFA_NOTIFICATION_BITMAP_CREATE, FFA_NOTIFICATION_BITMAP_DESTROY, FFA_NOTIFICATION_BIND,
  FFA_NOTIFICATION_UNBIND, FFA_NOTIFICATION_SET, FFA_NOTIFICATION_GET, FFA_NOTIFICATION_INFO_GET_32,
  FFA_NOTIFICATION_INFO_GET_64, FFA_RX_ACQUIRE, FFA_SPM_ID_GET, FFA_MSG_SEND2,
  FFA_SECONDARY_EP_REGISTER_32, FFA_SECONDARY_EP_REGISTER_64, FFA_MEM_PERM_GET_32, FFA_MEM_PERM_GET_64,
  FFA_MEM_PERM_SET_32, FFA_MEM_PERM_SET_64, FFA_CONSOLE_LOG_32, FFA_CONSOLE_LOG_64,
  FFA_PARTITION_INFO_GET_REGS, FFA_EL3_INTR_HANDLE, FFA_MSG_SEND_DIRECT_REQ2, FFA_MSG_SEND_DIRECT_RESP2,
} as const;

export type FfaFunctionName = keyof typeof FUNCTIONS;

const NAME_OF: ReadonlyMap<number, FfaFunctionName> = new Map(
  (Object.keys(FUNCTIONS) as FfaFunctionName[]).map((name) => [FUNCTIONS[name], name]),
);

/** All function identifiers with their names, in function-number order. */
export const FFA_FUNCTION_IDS: readonly (readonly [FfaFunctionName, number])[] =
  (Object.keys(FUNCTIONS) as FfaFunctionName[]).map((name) => [name, FUNCTIONS[name]] as const);

/** The spec name of an FF-A function identifier (w0), or null for any other value. */
export function ffaFunctionName(fid: number): FfaFunctionName | null {
  return NAME_OF.get(fid >>> 0) ?? null;
}

/** The FF-A version that introduced a function, for FFA_FEATURES: a caller
 *  working at an older version is told NOT_SUPPORTED (DEN0077 v1.2 §13.3: the
 *  answer is for the version the caller negotiated). Linux's driver, for one,
 *  uses FFA_PARTITION_INFO_GET_REGS whenever FFA_FEATURES reports it. */
export function ffaFunctionSince(fid: number): number {
  return SINCE.get(fid >>> 0) ?? FFA_VERSION_1_0;
}

/** True for the SMC64 form (SMCCC bit 30). */
export function isFfaSmc64(fid: number): boolean {
  return ((fid >>> 0) & 0x4000_0000) !== 0;
}

// FFA_VERSION (§13.2): bit 31 MBZ, major in bits 30:16, minor in bits 15:0.
export const FFA_VERSION_1_0 = 0x1_0000;
export const FFA_VERSION_1_1 = 0x1_0001;
export const FFA_VERSION_1_2 = 0x1_0002;

/** FFA_VERSION's answer when the caller's version is incompatible: NOT_SUPPORTED
 *  (-1) as a 64-bit value in x0, since Linux compares the whole x0 with -1L. */
export const FFA_VERSION_NOT_SUPPORTED_X0 = 0xffff_ffff_ffff_ffffn;

export function ffaVersion(major: number, minor: number): number {
  return ((major & 0x7fff) << 16) | (minor & 0xffff);
}

export function ffaVersionMajor(version: number): number {
  return (version >>> 16) & 0x7fff;
}

export function ffaVersionMinor(version: number): number {
  return version & 0xffff;
}

/** A version word a caller may pass: bit 31 clear (§13.2.1). */
export function ffaVersionIsValid(version: number): boolean {
  return version >= 0 && version <= 0x7fff_ffff && Number.isInteger(version);
}

/** A caller at `caller` can use an implementation at `callee`: same major, caller's minor not above (§13.2.1). */
export function ffaVersionsCompatible(caller: number, callee: number): boolean {
  return ffaVersionMajor(caller) === ffaVersionMajor(callee) && ffaVersionMinor(caller) <= ffaVersionMinor(callee);
}

/** "1.1" for traces. */
export function ffaVersionText(version: number): string {
  return `${ffaVersionMajor(version)}.${ffaVersionMinor(version)}`;
}

// FFA_FEATURES feature IDs (w1 with bit 31 clear, §13.3; v1.1 Table 13.12).
export const FFA_FEATURE_NPI = 1; // notification pending interrupt
export const FFA_FEATURE_SRI = 2; // schedule receiver interrupt
export const FFA_FEATURE_MEI = 3; // managed exit interrupt

const SINCE: ReadonlyMap<number, number> = new Map<number, number>([
  ...[FFA_NOTIFICATION_BITMAP_CREATE, FFA_NOTIFICATION_BITMAP_DESTROY, FFA_NOTIFICATION_BIND, FFA_NOTIFICATION_UNBIND,
    FFA_NOTIFICATION_SET, FFA_NOTIFICATION_GET, FFA_NOTIFICATION_INFO_GET_32, FFA_NOTIFICATION_INFO_GET_64, FFA_RX_ACQUIRE,
    FFA_SPM_ID_GET, FFA_MSG_SEND2, FFA_SECONDARY_EP_REGISTER_32, FFA_SECONDARY_EP_REGISTER_64,
    FFA_MEM_PERM_GET_32, FFA_MEM_PERM_GET_64, FFA_MEM_PERM_SET_32, FFA_MEM_PERM_SET_64].map((f) => [f, FFA_VERSION_1_1] as const),
  ...[FFA_CONSOLE_LOG_32, FFA_CONSOLE_LOG_64, FFA_PARTITION_INFO_GET_REGS, FFA_EL3_INTR_HANDLE,
    FFA_MSG_SEND_DIRECT_REQ2, FFA_MSG_SEND_DIRECT_RESP2].map((f) => [f, FFA_VERSION_1_2] as const),
]);

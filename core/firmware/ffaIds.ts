// The few FF-A (DEN0077A v1.1/v1.2) identifiers the EL3 firmware's SPMD
// needs: function IDs (§13, Table 13.1), error codes (§11.2, Table 11.4) and
// the framework-message encodings of direct messages (§18.3). Kept local to
// core/firmware until core/ffa/ holds them for the proxy and the SPMC.

export const FFA_ERROR = 0x8400_0060;
export const FFA_SUCCESS_32 = 0x8400_0061;
export const FFA_SUCCESS_64 = 0xc400_0061;
export const FFA_INTERRUPT = 0x8400_0062;
export const FFA_VERSION = 0x8400_0063;
export const FFA_FEATURES = 0x8400_0064;
export const FFA_RX_RELEASE = 0x8400_0065;
export const FFA_RXTX_MAP_32 = 0x8400_0066;
export const FFA_RXTX_MAP_64 = 0xc400_0066;
export const FFA_RXTX_UNMAP = 0x8400_0067;
export const FFA_PARTITION_INFO_GET = 0x8400_0068;
export const FFA_ID_GET = 0x8400_0069;
export const FFA_MSG_WAIT = 0x8400_006b;
export const FFA_MSG_YIELD = 0x8400_006c;
export const FFA_RUN = 0x8400_006d;
export const FFA_MSG_SEND_DIRECT_REQ_32 = 0x8400_006f;
export const FFA_MSG_SEND_DIRECT_REQ_64 = 0xc400_006f;
export const FFA_MSG_SEND_DIRECT_RESP_32 = 0x8400_0070;
export const FFA_MSG_SEND_DIRECT_RESP_64 = 0xc400_0070;
export const FFA_NORMAL_WORLD_RESUME = 0x8400_007c;
export const FFA_SPM_ID_GET = 0x8400_0085;
export const FFA_SECONDARY_EP_REGISTER_64 = 0xc400_0087;
/** The SPMC hands a Group 0 interrupt that arrived in the Secure world to EL3 (FF-A v1.2; TF-A spmd_handle_group0_intr_swd). */
export const FFA_EL3_INTR_HANDLE = 0x8400_008c;
export const FFA_MSG_SEND_DIRECT_REQ2 = 0xc400_008d;
export const FFA_MSG_SEND_DIRECT_RESP2 = 0xc400_008e;

/** Error codes (returned in w2 of FFA_ERROR). */
export const FFA_ERROR_NOT_SUPPORTED = -1;
export const FFA_ERROR_INVALID_PARAMETERS = -2;
export const FFA_ERROR_DENIED = -6;

/** FFA_VERSION values: major in bits 30:16, minor in bits 15:0. */
export const FFA_VERSION_1_1 = 0x0001_0001;
export const FFA_VERSION_1_2 = 0x0001_0002;
/** The version the SPMD itself implements (answered to the Secure world). */
export const SPMD_FFA_VERSION = FFA_VERSION_1_1;

/** The Non-secure physical FF-A endpoint (the hypervisor, or the kernel without one). */
export const FFA_NS_ENDPOINT_ID = 0;
/** The SPMD's own endpoint ID as the source of framework messages (TF-A: FFA_ENDPOINT_ID_MAX - 1). */
export const SPMD_DIRECT_MSG_ENDPOINT_ID = 0xffff;

/** Direct-message flags (w2): bit 31 marks a framework message, bits 7:0 its type. */
export const FFA_FWK_MSG_BIT = 0x8000_0000;
/** Power-management message (FF-A v1.1 §18.3.1): w3 holds the PSCI function ID. */
export const FFA_FWK_MSG_PSCI = 0;
/** Its answer (a direct response framework message). */
export const FFA_FWK_MSG_PSCI_RESP = 2;
/** The SPMD's own framework messages (TF-A spmd_private.h): the Normal
 *  world's FFA_VERSION passed on to the SPMC (w3 = the version asked for),
 *  and the SPMC's answer (w3 = the version it gives). */
export const SPMD_FWK_MSG_FFA_VERSION_REQ = 8;
export const SPMD_FWK_MSG_FFA_VERSION_RESP = 9;
/** FFA_VERSION 1.0: an SPMC of that version does not take the version message. */
export const FFA_VERSION_1_0 = 0x0001_0000;

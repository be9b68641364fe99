// What the EL3 firmware's SPMD uses of FF-A (DEN0077A v1.1/v1.2): the
// function IDs and versions of core/ffa, and the SPMD's own endpoint and
// framework-message encodings of direct messages (§18.3; TF-A spmd_private.h).

export * from '../ffa/functionIds.js';

/** The version the SPMD itself implements (answered to the Secure world). */
export { FFA_VERSION_1_1 as SPMD_FFA_VERSION } from '../ffa/functionIds.js';

/** The Non-secure physical FF-A endpoint (the hypervisor, or the kernel without one). */
export { FFA_HYPERVISOR_ID as FFA_NS_ENDPOINT_ID } from '../ffa/endpoints.js';
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

// FF-A endpoint IDs (DEN0077 v1.1 §6.1 "Partition identification"): 16 bits;
// bit 15 set marks a Secure world endpoint (an SP or the SPMC), clear a
// Normal world one (a VM, or the hypervisor). Direct messages and several
// other calls pack two IDs in w1: the sender in bits 31:16, the receiver in 15:0.

export const FFA_ID_SECURE_BIT = 0x8000;
/** The hypervisor's own ID as Hafnium (HF_HYPERVISOR_VM_ID) and pKVM (HOST_FFA_ID) use it. */
export const FFA_HYPERVISOR_ID = 0;

export function isSecureEndpoint(id: number): boolean {
  return (id & FFA_ID_SECURE_BIT) !== 0;
}

export function isValidEndpointId(id: number): boolean {
  return Number.isInteger(id) && id >= 0 && id <= 0xffff;
}

/** w1 for a sender and receiver pair. */
export function packEndpoints(sender: number, receiver: number): number {
  return (((sender & 0xffff) << 16) | (receiver & 0xffff)) >>> 0;
}

export function senderOf(w1: number | bigint): number {
  return Number((BigInt(w1) >> 16n) & 0xffffn);
}

export function receiverOf(w1: number | bigint): number {
  return Number(BigInt(w1) & 0xffffn);
}

/** "0x8001" for traces. */
export function endpointText(id: number): string {
  return `0x${id.toString(16).padStart(4, '0')}`;
}

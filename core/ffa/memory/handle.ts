// Memory region handles (DEN0077 v1.1 memory management chapter): a
// 64-bit value the Relayer allocates when a transaction completes. Bit 63
// names the allocator, so handles the hypervisor hands out for VM-to-VM
// sharing never collide with the SPMC's (Hafnium FFA_MEMORY_HANDLE_ALLOCATOR_BIT).
// The ABIs pass a handle in two W registers, low word first (result.ts handleWords).

export const FFA_MEMORY_HANDLE_ALLOCATOR_BIT = 63n;
export const FFA_MEMORY_HANDLE_ALLOCATOR_MASK = 1n << FFA_MEMORY_HANDLE_ALLOCATOR_BIT;
/** The value no transaction gets (all ones). */
export const FFA_MEMORY_HANDLE_INVALID = 0xffff_ffff_ffff_ffffn;

export type HandleAllocator = 'spmc' | 'hypervisor';

export function makeHandle(index: bigint | number, allocator: HandleAllocator): bigint {
  const i = BigInt.asUintN(63, BigInt(index));
  return allocator === 'hypervisor' ? i | FFA_MEMORY_HANDLE_ALLOCATOR_MASK : i;
}

export function handleAllocator(handle: bigint): HandleAllocator {
  return (handle & FFA_MEMORY_HANDLE_ALLOCATOR_MASK) !== 0n ? 'hypervisor' : 'spmc';
}

export function handleIndex(handle: bigint): bigint {
  return BigInt.asUintN(64, handle) & ~FFA_MEMORY_HANDLE_ALLOCATOR_MASK;
}

/** A handle from the two W registers that carry it (low, high). */
export function handleFromWords(lo: bigint | number, hi: bigint | number): bigint {
  return ((BigInt(hi) & 0xffff_ffffn) << 32n) | (BigInt(lo) & 0xffff_ffffn);
}

export function handleText(handle: bigint): string {
  return `0x${BigInt.asUintN(64, handle).toString(16)}`;
}

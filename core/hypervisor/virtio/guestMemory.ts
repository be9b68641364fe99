// A VM's RAM as a virtio device sees it: guest-physical (IPA) byte ranges.
// Devices touch guest memory only through this interface; implementations
// refuse any range that is not entirely inside the VM's RAM.

/** A VM's RAM as a device sees it (IPAs). Implementations refuse any range not entirely inside the VM's RAM. */
export interface GuestMemory {
  /** Copy of the bytes at [ipa, ipa+len), or null if any byte is outside the VM's RAM. */
  read(ipa: number, len: number): Uint8Array | null;
  /** Write bytes at ipa; returns false (and writes nothing) if any byte is outside. */
  write(ipa: number, bytes: Uint8Array): boolean;
  /** Optional fast check that [ipa, ipa+len) is entirely inside the VM's RAM; without it, rangeInRam probes with read(). */
  contains?(ipa: number, len: number): boolean;
}

/** Test helper: guest RAM = `bytes`, seen at IPA `baseIpa` (the array is used in place). */
export function arrayGuestMemory(baseIpa: number, bytes: Uint8Array): GuestMemory {
  const inside = (ipa: number, len: number): boolean =>
    Number.isSafeInteger(ipa) && Number.isSafeInteger(len) && len >= 0 &&
    ipa >= baseIpa && ipa + len <= baseIpa + bytes.length;
  return {
    read(ipa, len) {
      if (!inside(ipa, len)) return null;
      return bytes.slice(ipa - baseIpa, ipa - baseIpa + len);
    },
    write(ipa, data) {
      if (!inside(ipa, data.length)) return false;
      bytes.set(data, ipa - baseIpa);
      return true;
    },
  };
}

const PROBE_CHUNK = 1 << 20;

/**
 * Whether [ipa, ipa+len) lies entirely inside guest RAM, without holding a
 * copy of a large range (probed in 1 MiB pieces). len 0 is always inside.
 */
export function rangeInRam(mem: GuestMemory, ipa: number, len: number): boolean {
  if (!Number.isSafeInteger(ipa) || ipa < 0 || ipa + len > 0x1_0000_0000) return false;
  if (mem.contains) return len === 0 || mem.contains(ipa, len);
  for (let off = 0; off < len; off += PROBE_CHUNK) {
    if (mem.read(ipa + off, Math.min(PROBE_CHUNK, len - off)) === null) return false;
  }
  return true;
}

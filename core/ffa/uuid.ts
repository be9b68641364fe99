// UUIDs as FF-A carries them (SMCCC 1.2 "UUIDs in registers", FF-A's
// FFA_PARTITION_INFO_GET and partition information descriptor): a UUID is 16 bytes in the canonical (RFC 4122) order. In w
// registers it is four 32-bit words, each the little-endian reading of four
// consecutive bytes: Linux's driver calls export_uuid() into a u32[4] and
// passes the words in w1-w4 (FFA_PARTITION_INFO_GET); Hafnium keeps the
// same four words (struct ffa_uuid) and stores them little-endian in the
// partition information descriptor, so the descriptor holds the canonical
// bytes. In 64-bit registers (FFA_PARTITION_INFO_GET_REGS, DIRECT_REQ2) the
// words pair up low first: x = w1 << 32 | w0 (Hafnium ffa_uuid_to_u64x2).

/** 16 canonical bytes. */
export type FfaUuid = Uint8Array;

export const UUID_BYTES = 16;

const UUID_TEXT = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i;

/** Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"; null when malformed. */
export function uuidFromText(text: string): FfaUuid | null {
  const m = UUID_TEXT.exec(text.trim());
  if (!m) return null;
  const hex = m.slice(1).join('');
  const out = new Uint8Array(UUID_BYTES);
  for (let i = 0; i < UUID_BYTES; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function uuidToText(uuid: FfaUuid): string {
  const hex = Array.from(uuid.subarray(0, UUID_BYTES), (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The four register words (w1-w4 of FFA_PARTITION_INFO_GET). */
export function uuidToWords(uuid: FfaUuid): [number, number, number, number] {
  const dv = new DataView(uuid.buffer, uuid.byteOffset, UUID_BYTES);
  return [dv.getUint32(0, true), dv.getUint32(4, true), dv.getUint32(8, true), dv.getUint32(12, true)];
}

export function uuidFromWords(words: readonly (number | bigint)[]): FfaUuid {
  const out = new Uint8Array(UUID_BYTES);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) dv.setUint32(4 * i, Number(BigInt(words[i] ?? 0) & 0xffff_ffffn), true);
  return out;
}

/** The two 64-bit register values (low pair first). */
export function uuidToX2(uuid: FfaUuid): [bigint, bigint] {
  const [w0, w1, w2, w3] = uuidToWords(uuid).map(BigInt) as [bigint, bigint, bigint, bigint];
  return [(w1 << 32n) | w0, (w3 << 32n) | w2];
}

export function uuidFromX2(lo: bigint, hi: bigint): FfaUuid {
  const m = 0xffff_ffffn;
  return uuidFromWords([lo & m, (lo >> 32n) & m, hi & m, (hi >> 32n) & m]);
}

export function uuidIsNull(uuid: FfaUuid): boolean {
  return uuid.subarray(0, UUID_BYTES).every((b) => b === 0);
}

export function uuidEqual(a: FfaUuid, b: FfaUuid): boolean {
  for (let i = 0; i < UUID_BYTES; i++) if (a[i] !== b[i]) return false;
  return a.length >= UUID_BYTES && b.length >= UUID_BYTES;
}

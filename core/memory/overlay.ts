// A copy-on-write overlay over a read-only base image: what a guest writes to
// a disk (virtio-blk) or a flash bank lands in 4 KiB chunks kept in the
// component's state record, so snapshots and replays carry the writes while
// the base image stays an input (its SHA-256 recorded like a kernel's). A
// chunk's first write copies it from the base; bytes past the base read zero.

export const OVERLAY_CHUNK = 4096;

/** Chunk index (decimal string) -> the chunk's bytes. */
export type Overlay = Record<string, Uint8Array>;

function baseChunk(base: Uint8Array | null, c: number): Uint8Array {
  const out = new Uint8Array(OVERLAY_CHUNK);
  if (base) {
    const start = c * OVERLAY_CHUNK;
    if (start < base.length) out.set(base.subarray(start, Math.min(start + OVERLAY_CHUNK, base.length)));
  }
  return out;
}

/** Bytes [off, off+len) as written: overlay chunks over the base image (zeros past its end). */
export function overlayRead(overlay: Overlay, base: Uint8Array | null, off: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let o = 0;
  while (o < len) {
    const pos = off + o;
    const c = Math.floor(pos / OVERLAY_CHUNK);
    const inChunk = pos - c * OVERLAY_CHUNK;
    const n = Math.min(OVERLAY_CHUNK - inChunk, len - o);
    const ov = overlay[String(c)];
    if (ov) out.set(ov.subarray(inChunk, inChunk + n), o);
    else if (base && pos < base.length) out.set(base.subarray(pos, Math.min(pos + n, base.length)), o);
    o += n;
  }
  return out;
}

/** Write into the overlay (the base is never modified). */
export function overlayWrite(overlay: Overlay, base: Uint8Array | null, off: number, data: Uint8Array): void {
  let o = 0;
  while (o < data.length) {
    const pos = off + o;
    const c = Math.floor(pos / OVERLAY_CHUNK);
    const inChunk = pos - c * OVERLAY_CHUNK;
    const n = Math.min(OVERLAY_CHUNK - inChunk, data.length - o);
    const key = String(c);
    let ov = overlay[key];
    if (!ov) {
      ov = baseChunk(base, c);
      overlay[key] = ov;
    }
    ov.set(data.subarray(o, o + n), inChunk);
    o += n;
  }
}

/** The whole contents, `size` bytes: a copy of `base` (zero-padded or cut to `size`) with the overlay applied. */
export function overlayApply(overlay: Overlay, base: Uint8Array, size = base.length): Uint8Array {
  const out = new Uint8Array(size);
  out.set(base.subarray(0, Math.min(size, base.length)));
  for (const [key, chunk] of Object.entries(overlay)) {
    const start = Number(key) * OVERLAY_CHUNK;
    if (start >= out.length) continue;
    out.set(chunk.subarray(0, Math.min(OVERLAY_CHUNK, out.length - start)), start);
  }
  return out;
}

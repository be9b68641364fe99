/** Helpers shared by the core/asm tests. */
import { ALL_FORMS } from "./table.js";

import { xorshift32 } from "../clock/xorshift32.js";

/** Deterministic xorshift32 stream. */
export const rng = xorshift32;

/** `perForm` random encodings that match each disassemblable form's fixed bits. */
export function formEncodings(perForm: number, seed: number): number[] {
  const next = rng(seed);
  const out: number[] = [];
  for (const f of ALL_FORMS) {
    if (f.only === "asm") continue;
    for (let k = 0; k < perForm; k++) out.push((f.bits | (next() & ~f.mask)) >>> 0);
  }
  return out;
}

export function words(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    out.push((bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) >>> 0);
  }
  return out;
}

export const hex8 = (w: number): string => w.toString(16).padStart(8, "0");

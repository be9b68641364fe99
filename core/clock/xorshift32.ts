// Marsaglia's xorshift32 (shifts 13, 17, 5): a tiny deterministic stream for
// test data and synthetic inputs (generated encodings, page noise, event
// mixes). Not the machine's PRNG (prng.ts): nothing in a run draws from it.

/** A stream of unsigned 32-bit values from `seed` (0 is taken as 1: the all-zero state is fixed). */
export function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

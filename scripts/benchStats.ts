// What every benchmark script prints its figures with.
import { loadavg } from 'node:os';

/** The median (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const k = Math.floor(s.length / 2);
  return s.length % 2 ? s[k]! : (s[k - 1]! + s[k]!) / 2;
}

/** The 1, 5 and 15 minute load averages, as printed beside every figure. */
export function loadText(): string {
  return loadavg().map((l) => l.toFixed(2)).join(' ');
}

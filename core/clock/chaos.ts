// Seeded chaos: choices the machine makes where the architecture allows more
// than one outcome, drawn from the machine's PRNG instead of fixed, so a
// fuzzer explores interleavings a fixed schedule never shows. Off (level 0)
// the machine is exactly the machine without it. Every draw comes from the
// machine's Prng, whose state is in every snapshot: same configuration,
// seed and inputs, same run.
//
// What each level varies (each within what the architecture permits):
// - window length: a round-robin window lasts between (1 - jitter) and 1
//   times the quantum (how long one PE runs before another is a property
//   of the host, not of the architecture);
// - PE order inside a window: rotated by a random offset (PEs run
//   concurrently on hardware; any order of their steps is an execution);
// - order of events due at the same boundary: shuffled (simultaneous);
// - timer interrupt latency: a timer's line rises up to `timerLatencyTicks`
//   after its condition is met (ISTATUS is exact; the interrupt's delivery
//   may lag: Arm ARM D11.2.4 does not bound it);
// - the hypervisor's pick among equally eligible vCPUs (round-robin at
//   level < 3, random at 3).
import type { Prng } from './prng.js';

export const CHAOS_MAX_LEVEL = 3;

export interface ChaosOptions {
  level: number;
  /** A window lasts quantum * (1 - f) .. quantum, f uniform in [0, windowJitter]. */
  windowJitter: number;
  /** Rotate the order PEs run in each window. */
  rotateCpus: boolean;
  /** Shuffle events due at the same window boundary. */
  shuffleEvents: boolean;
  /** Extra ticks, uniform in [0, this], before a timer's interrupt line rises. */
  timerLatencyTicks: number;
  /** The hypervisor picks a random vCPU among the eligible ones (else round-robin). */
  randomVcpuPick: boolean;
}

const LEVELS: readonly ChaosOptions[] = [
  { level: 0, windowJitter: 0, rotateCpus: false, shuffleEvents: false, timerLatencyTicks: 0, randomVcpuPick: false },
  { level: 1, windowJitter: 0.25, rotateCpus: true, shuffleEvents: false, timerLatencyTicks: 0, randomVcpuPick: false },
  { level: 2, windowJitter: 0.5, rotateCpus: true, shuffleEvents: true, timerLatencyTicks: 10_000, randomVcpuPick: false },
  { level: 3, windowJitter: 0.9, rotateCpus: true, shuffleEvents: true, timerLatencyTicks: 100_000, randomVcpuPick: true },
];

/** The options a chaos level stands for (0 = off). */
export function chaosOptions(level: number): ChaosOptions {
  if (!Number.isInteger(level) || level < 0 || level > CHAOS_MAX_LEVEL) throw new RangeError(`chaos level must be 0..${CHAOS_MAX_LEVEL}, got ${level}`);
  return LEVELS[level]!;
}

/** One line naming every derived option (printed first by run, record and fuzz). */
export function describeChaos(o: ChaosOptions): string {
  if (o.level === 0) return 'chaos: off';
  return `chaos: level ${o.level} (window length ${Math.round((1 - o.windowJitter) * 100)}-100% of the quantum, ` +
    `PE order ${o.rotateCpus ? 'rotated per window' : 'fixed'}, simultaneous events ${o.shuffleEvents ? 'shuffled' : 'in order'}, ` +
    `timer interrupt latency 0-${o.timerLatencyTicks} ticks, vCPU pick ${o.randomVcpuPick ? 'random' : 'round-robin'})`;
}

/** The length of the next window (>= 1 tick). */
export function chaosWindowTicks(prng: Prng, o: ChaosOptions, quantumTicks: number): number {
  if (o.windowJitter === 0) return quantumTicks;
  const cut = Math.floor(prng.nextFloat() * o.windowJitter * quantumTicks);
  return Math.max(1, quantumTicks - cut);
}

/** The first PE of the next window (PEs then run in order from it, wrapping). */
export function chaosRotation(prng: Prng, o: ChaosOptions, numCpus: number): number {
  return o.rotateCpus && numCpus > 1 ? prng.nextBelow(numCpus) : 0;
}

/** Fisher-Yates in place, from the PRNG. */
export function chaosShuffle<T>(prng: Prng, items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = prng.nextBelow(i + 1);
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t;
  }
}

/** Extra ticks before a timer's line rises. */
export function chaosTimerLatency(prng: Prng, o: ChaosOptions): number {
  return o.timerLatencyTicks === 0 ? 0 : prng.nextBelow(o.timerLatencyTicks + 1);
}

// A deterministic, Linux-boot-like stream of trace events (exceptions,
// interrupt life cycles, timer programming, console output, scheduling, PSCI,
// FF-A) for throughput tests and the TUI's benchmark; no machine produced it,
// so it cannot be replayed.
import { xorshift32 } from '../core/clock/xorshift32.js';
import { hex64, type TraceEvent } from '../core/trace/events.js';

/** A uniform value in [0, 1) per call. */
function rng(seed: number): () => number {
  const next = xorshift32(seed);
  return () => next() / 0x1_0000_0000;
}

export function realisticEvents(n: number, seed = 1): TraceEvent[] {
  const r = rng(seed);
  const out: TraceEvent[] = [];
  let tick = 0;
  let exc = 0;
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const kernelPc = (): string => hex64(0xffff800008000000n + BigInt(Math.floor(r() * 0x200000) * 4));
  const text = 'Booting Linux on physical CPU 0x0000000000 [0x410fd083]\n';
  let textPos = 0;
  for (let seq = 0; seq < n; seq++) {
    tick += 1 + Math.floor(r() * 400);
    const cpu = Math.floor(r() * 4);
    const x = r();
    let e: TraceEvent;
    if (x < 0.3) {
      const sync = r() < 0.6;
      const ec = sync ? pick([0x15, 0x16, 0x17, 0x18, 0x24, 0x20, 0x01]) : 0;
      e = { seq, tick, cpu, kind: 'exception', n: ++exc, type: sync ? 'sync' : 'irq', fromEl: pick([0, 1]), toEl: sync && ec === 0x16 ? 2 : 1, ec, esr: sync ? hex64(((ec << 26) | (1 << 25) | Math.floor(r() * 0xffff)) >>> 0) : '0x0', elr: kernelPc(), far: ec === 0x24 ? hex64(0xffff000000000000n + BigInt(Math.floor(r() * 2 ** 32))) : '0x0' };
    } else if (x < 0.42) {
      e = { seq, tick, cpu: r() < 0.5 ? -1 : cpu, kind: 'irq-raise', intid: pick([27, 30, 33, 1, 2]), target: cpu };
    } else if (x < 0.54) {
      e = { seq, tick, cpu, kind: 'irq-ack', intid: pick([27, 30, 33, 1]), target: cpu };
    } else if (x < 0.66) {
      e = { seq, tick, cpu, kind: 'irq-eoi', intid: pick([27, 30, 33, 1]), target: cpu };
    } else if (x < 0.78) {
      e = { seq, tick, cpu, kind: 'timer-program', timer: pick(['virt', 'phys', 'hyp'] as const), ctl: 1, cval: hex64(tick + Math.floor(r() * 1_000_000)) };
    } else if (x < 0.83) {
      e = { seq, tick, cpu, kind: 'timer-fire', timer: 'virt', cval: hex64(tick) };
    } else if (x < 0.93) {
      e = { seq, tick, cpu, kind: 'uart-out', byte: text.charCodeAt(textPos++ % text.length) };
    } else if (x < 0.97) {
      e = { seq, tick, cpu, kind: 'sched', vm: Math.floor(r() * 2), vcpu: cpu, dir: r() < 0.5 ? 'in' : 'out' };
    } else if (x < 0.985) {
      e = { seq, tick, cpu, kind: 'psci', fn: pick([0xc4000003, 0x84000000, 0x84000008]), args: [hex64(cpu), kernelPc(), '0x0'], result: '0x0' };
    } else {
      e = { seq, tick, cpu, kind: 'ffa', fid: 0x8400006f, src: 0x8001, dst: 0x8002, args: [hex64(Math.floor(r() * 2 ** 32)), '0x0', '0x0', '0x0'] };
    }
    out.push(e);
  }
  return out;
}

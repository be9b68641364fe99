// One event of every kind, with the optional fields set and unset, for the
// trace, golden and TUI tests.
import { NO_CPU, type TraceEvent } from './events.js';

export const SAMPLE_EVENTS: readonly TraceEvent[] = [
  { seq: 0, tick: 10, cpu: 0, kind: 'exception', n: 1, type: 'sync', fromEl: 1, toEl: 2, ec: 0x16, esr: '0x5a000000', elr: '0xffff800010000000', far: '0x0' },
  { seq: 1, tick: 11, cpu: NO_CPU, kind: 'irq-raise', intid: 33, target: -1 },
  { seq: 2, tick: 12, cpu: 1, kind: 'irq-ack', intid: 27, target: 1, virt: true },
  { seq: 3, tick: 13, cpu: 1, kind: 'irq-eoi', intid: 27, target: 1, virt: true, dir: true },
  { seq: 4, tick: 14, cpu: 0, kind: 'timer-program', timer: 'virt', ctl: 1, cval: '0x1234' },
  { seq: 5, tick: 15, cpu: 0, kind: 'timer-fire', timer: 'phys', cval: '0xffffffffffffffff' },
  { seq: 6, tick: 16, cpu: 0, kind: 'uart-out', byte: 0x41 },
  { seq: 7, tick: 17, cpu: NO_CPU, kind: 'uart-in', byte: 0x0a },
  { seq: 8, tick: 18, cpu: 0, kind: 'psci', fn: 0xc4000003, args: ['0x1', '0x40080000', '0x0'], result: '0x0' },
  { seq: 9, tick: 19, cpu: 0, kind: 'halt', reason: 'SYSTEM_OFF "x"' },
  { seq: 10, tick: 20, cpu: 2, kind: 'undef', insn: 0xdeadbeef, pc: '0x40000000' },
  { seq: 11, tick: 21, cpu: 0, kind: 'sched', vm: 1, vcpu: 0, dir: 'in' },
  { seq: 12, tick: 22, cpu: 0, kind: 'ffa', fid: 0x84000071, src: 0x8001, dst: 0x1, args: ['0x0'] },
  { seq: 13, tick: 23, cpu: 0, kind: 'mmio', pa: '0x9000000', size: 4, write: true, value: '0x41' },
  { seq: 14, tick: 24, cpu: 3, kind: 'mmio', pa: '0x8000000', size: 1, write: false, value: '0x0' },
  { seq: 15, tick: 25, cpu: 0, kind: 'uart-out', byte: 0x27 },
  { seq: 16, tick: 26, cpu: 0, kind: 'psci', fn: 0x84000000, args: [], result: '0x10000' },
  { seq: 17, tick: 27, cpu: 1, world: 's', kind: 'exception', n: 2, type: 'sync', fromEl: 1, toEl: 3, ec: 0x17, esr: '0x5e000000', elr: '0x6000', far: '0x0' },
  { seq: 18, tick: 28, cpu: 1, world: 'ns', kind: 'uart-out', byte: 0x42 },
  // Event format 3: the decoded FF-A fields (seq 12 above is an 'ffa' event of format 2).
  { seq: 19, tick: 29, cpu: 0, kind: 'ffa', fid: 0xc4000073, src: 0x1, dst: 0x0, args: ['0x50', '0x50', '0x0', '0x0', '0x0', '0x0', '0x0'], dir: 'call', name: 'FFA_MEM_SHARE_64', receivers: [0x8001, 0x8002], pages: 4 },
  { seq: 20, tick: 30, cpu: 0, kind: 'ffa', fid: 0x84000061, src: 0x0, dst: 0x1, args: ['0x0', '0x2', '0x80000000'], dir: 'answer', name: 'FFA_SUCCESS_32', of: 'FFA_MEM_SHARE_64', handle: '0x8000000000000002' },
  { seq: 21, tick: 31, cpu: 1, world: 's', kind: 'ffa', fid: 0x84000060, src: 0x8000, dst: 0x8001, args: ['0x0', '0xfffffffa'], dir: 'answer', name: 'FFA_ERROR', of: 'FFA_MEM_RETRIEVE_REQ_64', error: 'DENIED' },
];

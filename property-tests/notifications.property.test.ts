// The SPMC's notification table and mailbox (core/spmc/notificationTable.ts,
// mailbox.ts) driven with random calls over the fake port: BITMAP_CREATE/
// DESTROY, BIND/UNBIND, SET/GET, INFO_GET, MSG_SEND2, RX_RELEASE,
// RX_ACQUIRE and MSG_WAIT from partitions and the Normal world (mostly the
// caller the endpoints imply, else any), with plausible and random
// registers. After every call:
// - nothing threw; the answer is FFA_SUCCESS or FFA_ERROR with a defined
//   code and a reason;
// - a refused call changed neither record nor any RX buffer's state;
// - no notification is pending that is not bound (framework ones aside);
// - every RX buffer holding an indirect message is full, and every message
//   the mailbox remembers is in a full RX buffer;
// - both records round-trip through JSON to an equal state.
// The seed and run count print first; a failure replays with
// HVRR_NOTIF_SEED=<seed> HVRR_PROP_RUNS=<n> npx vitest run property-tests/notifications.property.test.ts
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FFA_ERROR_CODES } from '../core/ffa/errors.js';
import { packEndpoints } from '../core/ffa/endpoints.js';
import {
  FFA_ERROR, FFA_MSG_SEND2, FFA_MSG_WAIT, FFA_NOTIFICATION_BIND, FFA_NOTIFICATION_BITMAP_CREATE, FFA_NOTIFICATION_BITMAP_DESTROY,
  FFA_NOTIFICATION_GET, FFA_NOTIFICATION_INFO_GET_64, FFA_NOTIFICATION_SET, FFA_NOTIFICATION_UNBIND, FFA_RX_ACQUIRE, FFA_RX_RELEASE,
  FFA_SUCCESS_32, FFA_SUCCESS_64,
} from '../core/ffa/functionIds.js';
import { encodePartitionMessage } from '../core/ffa/partitionMessage.js';
import { errorCodeOf, resultFid, type FfaResult } from '../core/ffa/result.js';
import { Mailbox } from '../core/spmc/mailbox.js';
import { NotificationTable, handleNotificationCall } from '../core/spmc/notificationTable.js';
import { FakePort, regs } from '../core/spmc/portTesting.js';
import { suiteSeed } from './seed.js';

const RUNS = Number(process.env.HVRR_PROP_RUNS ?? 200);
const MAX_CALLS = 40;
const SEED = suiteSeed('notifications and mailbox', 'HVRR_NOTIF_SEED', 20261205, { runs: RUNS, maxCalls: MAX_CALLS });

const NWD = 0;
const VMS = [1, 2];
const SPS = [0x8001, 0x8002, 0x8003];
const CALLERS = [NWD, ...SPS];
const IDS = [NWD, ...VMS, ...SPS, 0x8009];
const DEFINED = new Set<number>(FFA_ERROR_CODES);

type Call =
  | { k: 'create' | 'destroy'; caller: number; vm: number; vcpus: number }
  | { k: 'bind' | 'unbind'; caller: number; sender: number; receiver: number; flags: number; bit: number }
  | { k: 'set'; caller: number; sender: number; receiver: number; flags: number; bit: number }
  | { k: 'get'; caller: number; receiver: number; vcpu: number; which: number }
  | { k: 'info'; caller: number }
  | { k: 'send2'; caller: number; sender: number; receiver: number; w1: number; flags: number; size: number }
  | { k: 'release' | 'acquire'; caller: number; id: number }
  | { k: 'wait'; caller: number; w2: number }
  | { k: 'raw'; caller: number; fid: number; args: bigint[] };

const pick = <T>(xs: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);
const bit = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 1 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 63 }) });
/** Mostly the two partitions with notifications and VM 1, so calls meet each other's bindings. */
const endpoint = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0x8001, 0x8002, 1) }, { weight: 1, arbitrary: pick(IDS) });
const small = fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(0xffff_ffff) });

const call: fc.Arbitrary<Call> = fc.oneof(
  fc.record({ k: pick(['create', 'destroy'] as const), caller: pick(CALLERS), vm: pick([...VMS, 0x8001]), vcpus: fc.integer({ min: 0, max: 3 }) }),
  { weight: 3, arbitrary: fc.record({ k: pick(['bind', 'unbind'] as const), caller: pick(CALLERS), sender: endpoint, receiver: endpoint, flags: fc.constantFrom(0, 0, 0, 1, 2), bit }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('set' as const), caller: pick(CALLERS), sender: endpoint, receiver: endpoint, flags: fc.constantFrom(0, 0, 0, 1, 2, 1 | (1 << 16), 1 << 16, 4), bit }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('get' as const), caller: pick(CALLERS), receiver: endpoint, vcpu: fc.integer({ min: 0, max: 2 }), which: fc.integer({ min: 0, max: 0x1f }) }) },
  fc.record({ k: fc.constant('info' as const), caller: pick(CALLERS) }),
  { weight: 3, arbitrary: fc.record({ k: fc.constant('send2' as const), caller: pick(CALLERS), sender: endpoint, receiver: endpoint, w1: fc.constantFrom(0, 0, 1 << 16, 0x8001 << 16), flags: fc.constantFrom(0, 0, 2, 1), size: fc.oneof(fc.nat(64), fc.constant(5000)) }) },
  { weight: 2, arbitrary: fc.record({ k: pick(['release', 'acquire'] as const), caller: pick(CALLERS), id: pick([0, ...VMS, 0x8001]) }) },
  fc.record({ k: fc.constant('wait' as const), caller: pick(SPS), w2: fc.constantFrom(0, 0, 1, 2) }),
  fc.record({ k: fc.constant('raw' as const), caller: pick(CALLERS), fid: pick([FFA_NOTIFICATION_BIND, FFA_NOTIFICATION_SET, FFA_NOTIFICATION_GET, FFA_MSG_SEND2, FFA_RX_RELEASE, FFA_MSG_WAIT, FFA_NOTIFICATION_BITMAP_CREATE]), args: fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 7, maxLength: 7 }) }),
);

/** The caller the call's endpoints imply (a partition for itself, the Normal world for a VM). */
function cohere(c: Call): Call {
  const self = (id: number): number => (SPS.includes(id) ? id : NWD);
  switch (c.k) {
    case 'bind': case 'unbind': return { ...c, caller: self(c.receiver) };
    case 'set': return { ...c, caller: self(c.sender), flags: c.flags & ~(SPS.includes(c.sender) ? 0 : 2) };
    case 'get': return { ...c, caller: self(c.receiver), which: SPS.includes(c.receiver) ? c.which & 0xf : c.which & 0x5 };
    case 'send2': return { ...c, caller: self(c.sender), w1: SPS.includes(c.sender) ? 0 : c.sender << 16, flags: SPS.includes(c.sender) ? c.flags & 2 : 0, size: Math.min(c.size, 64) };
    case 'create': case 'destroy': case 'info': return { ...c, caller: NWD };
    default: return c;
  }
}

class World {
  readonly port = new FakePort(SPS, [NWD, ...VMS]);
  readonly table = new NotificationTable();
  readonly mailbox = new Mailbox();

  constructor() {
    this.table.registerPartition(SPS[0]!, 2, true);
    this.table.registerPartition(SPS[1]!, 1, true);
    this.table.registerPartition(SPS[2]!, 1, false);
    this.mailbox.allowIndirect(SPS[0]!);
    this.mailbox.allowIndirect(SPS[1]!);
  }

  /** A live binding (receiver, sender, bit, per-vCPU), picked by `i`, if any. */
  binding(i: number): { receiver: number; sender: number; bit: number; perVcpu: boolean } | null {
    const all = this.table.getState().receivers.flatMap((r) => [...r.fromPartitions.bindings, ...r.fromVms.bindings].map((b) => ({ receiver: r.id, ...b })));
    return all.length > 0 ? all[i % all.length]! : null;
  }

  /** Coherent SET/UNBIND name a live binding half the time. */
  private onBinding(c: Call): Call {
    if ((c.k !== 'set' && c.k !== 'unbind') || c.bit % 2 !== 0) return c;
    const b = this.binding(c.caller + c.bit);
    if (!b) return c;
    return c.k === 'set' ? { ...c, sender: b.sender, receiver: b.receiver, bit: b.bit, flags: (b.perVcpu ? 1 : 0) | (c.flags & 2) } : { ...c, sender: b.sender, receiver: b.receiver, bit: b.bit, flags: 0 };
  }

  run(c0: Call, coherent: boolean): FfaResult {
    const c = coherent ? cohere(this.onBinding(c0)) : c0;
    const caller = { id: c.caller, vcpu: 0, cpu: 0 };
    const note = (x: bigint[]): FfaResult => handleNotificationCall(this.table, this.port, caller, x).result;
    const bitmap = (b: number): [bigint, bigint] => [(1n << BigInt(b)) & 0xffff_ffffn, (1n << BigInt(b)) >> 32n];
    switch (c.k) {
      case 'create': return note(regs(FFA_NOTIFICATION_BITMAP_CREATE, c.vm, c.vcpus));
      case 'destroy': return note(regs(FFA_NOTIFICATION_BITMAP_DESTROY, c.vm));
      case 'bind': return note(regs(FFA_NOTIFICATION_BIND, packEndpoints(c.sender, c.receiver), c.flags, ...bitmap(c.bit)));
      case 'unbind': return note(regs(FFA_NOTIFICATION_UNBIND, packEndpoints(c.sender, c.receiver), c.flags, ...bitmap(c.bit)));
      case 'set': return note(regs(FFA_NOTIFICATION_SET, packEndpoints(c.sender, c.receiver), c.flags, ...bitmap(c.bit)));
      case 'get': return note(regs(FFA_NOTIFICATION_GET, packEndpoints(c.vcpu, c.receiver), c.which));
      case 'info': return note(regs(FFA_NOTIFICATION_INFO_GET_64));
      case 'send2': {
        const from = c.w1 !== 0 ? c.w1 >>> 16 : c.caller;
        if (this.port.bufferBytes(from) > 0) {
          const version = this.port.ffaVersion(from);
          this.port.writeTx(from, encodePartitionMessage({ sender: c.sender, receiver: c.receiver, uuid: new Uint8Array(16), payload: new Uint8Array(c.size) }, version).subarray(0, 4096));
        }
        return this.mailbox.send2(this.port, this.table, caller, regs(FFA_MSG_SEND2, c.w1, c.flags)).result;
      }
      case 'release': return this.mailbox.rxRelease(this.port, this.table, c.caller, regs(FFA_RX_RELEASE, c.id));
      case 'acquire': return this.mailbox.rxAcquire(this.port, c.caller, regs(FFA_RX_ACQUIRE, c.id));
      case 'wait': {
        const r = this.mailbox.msgWait(this.port, this.table, c.caller, regs(FFA_MSG_WAIT, 0, c.w2));
        return r.ok ? { x: regs(FFA_SUCCESS_32), reason: '' } : r.error;
      }
      case 'raw': {
        const x = [BigInt(c.fid), ...c.args];
        if (c.fid === FFA_MSG_SEND2) return this.mailbox.send2(this.port, this.table, caller, x).result;
        if (c.fid === FFA_RX_RELEASE) return this.mailbox.rxRelease(this.port, this.table, c.caller, x);
        if (c.fid === FFA_MSG_WAIT) {
          const r = this.mailbox.msgWait(this.port, this.table, c.caller, x);
          return r.ok ? { x: regs(FFA_SUCCESS_32), reason: '' } : r.error;
        }
        return note(x);
      }
    }
  }

  snapshot(): string {
    return JSON.stringify({ t: this.table.getState(), m: this.mailbox.getState(), rx: [...this.port.endpoints].map(([id, e]) => [id, e.rxState]) });
  }
}

function broken(w: World): string {
  const st = w.table.getState();
  for (const r of st.receivers) {
    for (const [name, set] of [['partitions', r.fromPartitions], ['VMs', r.fromVms]] as const) {
      const bound = set.bindings.reduce((m, b) => m | (1n << BigInt(b.bit)), 0n);
      const pending = [set.global, ...set.perVcpu].reduce((m, s) => m | BigInt(s.pending), 0n);
      if ((pending & ~bound) !== 0n) return `0x${r.id.toString(16)}: notifications from ${name} pending but not bound: 0x${(pending & ~bound).toString(16)}`;
      if (set.perVcpu.length !== r.vcpuCount) return `0x${r.id.toString(16)}: ${set.perVcpu.length} vCPU states for ${r.vcpuCount} vCPUs`;
    }
  }
  for (const m of w.mailbox.getState().messages) if (w.port.rxState(m.receiver) !== 'full') return `a message for 0x${m.receiver.toString(16)} in a ${w.port.rxState(m.receiver)} RX buffer`;
  const t2 = new NotificationTable();
  t2.setState(JSON.parse(JSON.stringify(w.table.getState())));
  const m2 = new Mailbox();
  m2.setState(JSON.parse(JSON.stringify(w.mailbox.getState())));
  if (JSON.stringify(t2.getState()) !== JSON.stringify(w.table.getState()) || JSON.stringify(m2.getState()) !== JSON.stringify(w.mailbox.getState())) return 'a record does not round-trip';
  return '';
}

describe('notifications and mailbox (property)', () => {
  it('no throw, defined answers, refusals change nothing, pending implies bound, messages sit in full RX buffers, records round-trip', () => {
    const tally = { ok: 0, refused: 0 };
    const started = performance.now();
    fc.assert(
      fc.property(fc.array(fc.tuple(call, fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) })), { minLength: 5, maxLength: MAX_CALLS, size: 'max' }), (calls) => {
        const w = new World();
        for (const [c, coherent] of calls) {
          const before = w.snapshot();
          const r = w.run(c, coherent);
          if (resultFid(r) === FFA_ERROR) {
            tally.refused++;
            if (!DEFINED.has(errorCodeOf(r)!) || r.reason === '') expect.fail(`${c.k}: undefined error or no reason`);
            if (w.snapshot() !== before) expect.fail(`${c.k} refused (${r.reason}) but changed state`);
          } else {
            tally.ok++;
            if (![FFA_SUCCESS_32, FFA_SUCCESS_64].includes(resultFid(r))) expect.fail(`${c.k}: answered 0x${resultFid(r).toString(16)}`);
          }
          const b = broken(w);
          if (b) expect.fail(`after ${c.k}: ${b}`);
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(`notifications and mailbox: ${RUNS} runs in ${seconds.toFixed(1)} s (${(RUNS / seconds).toFixed(0)} runs/s); ${tally.ok} calls answered, ${tally.refused} refused`);
    if (RUNS >= 20) expect(tally.ok, 'the generator reaches the accepting paths').toBeGreaterThan(RUNS);
  });
});

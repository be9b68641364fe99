// The SPMC's memory ABIs (core/spmc/memoryAbi.ts) driven with random calls
// through handleMemoryCall over a fake port (core/spmc/portTesting.ts):
// SHARE/LEND/DONATE (valid descriptors, whole or in fragments, sometimes
// with scribbled bytes, by partitions and by the Normal world acting for two
// VMs), FFA_MEM_FRAG_TX, retrieves (asking read-only or read-write, into
// free or full RX buffers), FFA_MEM_FRAG_RX at the right or a wrong offset,
// the hypervisor's retrieve request, RELINQUISH, RECLAIM, FFA_RX_RELEASE,
// a 260-page send (descriptor and retrieve response larger than a page),
// memory calls with random registers, and page-table exhaustion. After
// every call:
// - nothing threw, and the answer is a success or FFA_ERROR with a defined code;
// - every partition's Stage-2 mapping of every page is exactly the
//   ledger's accessOf, in the right address space (so no partition maps a
//   page it does not hold, and ledger and tables never disagree);
// - ownership is conserved: the same pages are owned, each by an endpoint;
// - a refused call changed neither the tables nor the ledger (a refused
//   FFA_MEM_FRAG_TX may abandon its incomplete send, as Hafnium frees it,
//   leaving every page as it was).
// HVRR_MEMABI_REASONS=1 prints how often each refusal reason came up.
// The seed and run count print first; a failure replays with
// HVRR_MEMABI_SEED=<seed> HVRR_PROP_RUNS=<n> npx vitest run property-tests/memoryAbi.property.test.ts
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FFA_ERROR_CODES } from '../core/ffa/errors.js';
import {
  FFA_ERROR, FFA_MEM_DONATE_32, FFA_MEM_FRAG_RX, FFA_MEM_FRAG_TX, FFA_MEM_LEND_64, FFA_MEM_RECLAIM, FFA_MEM_RELINQUISH,
  FFA_MEM_RETRIEVE_REQ_32, FFA_MEM_RETRIEVE_REQ_64, FFA_MEM_RETRIEVE_RESP, FFA_MEM_SHARE_32, FFA_SUCCESS_32,
} from '../core/ffa/functionIds.js';
import { errorCodeOf, resultFid, wView, type FfaResult } from '../core/ffa/result.js';
import { HEADER_HANDLE, headerSize } from '../core/ffa/memory/layout.js';
import { encodeRelinquish } from '../core/ffa/memory/relinquish.js';
import type { SendOp } from '../core/ffa/memory/rules.js';
import { encodeTransaction, type Constituent } from '../core/ffa/memory/transaction.js';
import { MemoryLedger } from '../core/spmc/memoryLedger.js';
import { handleMemoryCall } from '../core/spmc/memoryAbi.js';
import { retrieveTx, sendTx } from '../core/spmc/ledgerTesting.js';
import { FakePort, handleRegs, regs } from '../core/spmc/portTesting.js';
import { suiteSeed } from './seed.js';

const RUNS = Number(process.env.HVRR_PROP_RUNS ?? 150);
const MAX_CALLS = 40;
const SEED = suiteSeed('memory ABIs', 'HVRR_MEMABI_SEED', 20261205, { runs: RUNS, maxCalls: MAX_CALLS });

const NWD = 0;
const VMS = [1, 2, 3];
const SPS = [0x8001, 0x8002, 0x8003];
const P = 0x1000n;
// Pages 0-5 VM1's, 6-11 VM2's (Non-secure), 12-15 SP1's, 16-19 SP2's (Secure); SP3 owns none.
const NS_BASE = 0x4000_0000n;
const SEC_BASE = 0x0e00_0000n;
const PAGES = 20;
// VM3 owns BIG_PAGES pages at BIG_BASE, sent page by page: a descriptor and a retrieve response larger than one page.
const VM3 = 3;
const BIG_BASE = 0x4100_0000n;
const BIG_PAGES = 260;
/** The big region's pages the invariants look at (every page would make a call 14 times slower). */
const BIG_SAMPLE = [...Array.from({ length: Math.ceil(BIG_PAGES / 13) }, (_, i) => i * 13), BIG_PAGES - 1];
const address = (page: number): bigint => (page < 12 ? NS_BASE + BigInt(page) * P : SEC_BASE + BigInt(page - 12) * P);
const OWN_PAGES = new Map<number, number[]>([[1, [0, 1, 2, 3, 4, 5]], [2, [6, 7, 8, 9, 10, 11]], [0x8001, [12, 13, 14, 15]], [0x8002, [16, 17, 18, 19]]]);
const OPS: readonly SendOp[] = ['share', 'lend', 'donate'];
const SEND_FID: Record<SendOp, number> = { share: FFA_MEM_SHARE_32, lend: FFA_MEM_LEND_64, donate: FFA_MEM_DONATE_32 };
const CALLERS = [NWD, ...SPS];
const ENDPOINTS = [...VMS, ...SPS];
const MEMORY_FIDS = [FFA_MEM_SHARE_32, FFA_MEM_LEND_64, FFA_MEM_DONATE_32, FFA_MEM_FRAG_TX, FFA_MEM_RETRIEVE_REQ_32, FFA_MEM_RETRIEVE_REQ_64, FFA_MEM_FRAG_RX, FFA_MEM_RELINQUISH, FFA_MEM_RECLAIM];

type Call =
  | { k: 'send'; coherent: boolean; caller: number; op: SendOp; sender: number; receivers: number[]; first: number; count: number; gap: number; ro: boolean; fragmented: boolean; scribble: [number, number] | null }
  | { k: 'fragTx'; caller: number; handle: number; first: number; count: number; scribble: boolean }
  | { k: 'retrieve'; coherent: boolean; caller: number; handle: number; receivers: number[]; ro: boolean; op: SendOp }
  | { k: 'fragRx'; caller: number; handle: number; right: boolean; offset: number }
  | { k: 'hypRetrieve'; handle: number; tag: boolean }
  | { k: 'relinquish'; coherent: boolean; caller: number; handle: number; endpoint: number; clear: boolean }
  | { k: 'reclaim'; coherent: boolean; caller: number; handle: number; flags: number }
  | { k: 'release'; caller: number }
  /** The page tables cannot grow during the next call. */
  | { k: 'tables' }
  | { k: 'bigSend'; op: 'share' | 'lend'; receivers: number[] }
  | { k: 'raw'; caller: number; fid: number; args: bigint[] };

const pick = <T>(xs: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);
const pageIx = fc.integer({ min: 0, max: PAGES - 1 });
const handleIx = fc.integer({ min: 0, max: 15 });
const likely = fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });
const receivers = fc.uniqueArray(pick(ENDPOINTS), { minLength: 1, maxLength: 3 });

const call: fc.Arbitrary<Call> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ k: fc.constant('send' as const), coherent: likely, caller: pick(CALLERS), op: pick(OPS), sender: pick(ENDPOINTS), receivers, first: pageIx, count: fc.integer({ min: 1, max: 4 }), gap: fc.integer({ min: 0, max: 1 }), ro: fc.boolean(), fragmented: fc.boolean(), scribble: fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.tuple(fc.nat(200), fc.integer({ min: 0, max: 255 })) }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('fragTx' as const), caller: pick(CALLERS), handle: handleIx, first: pageIx, count: fc.integer({ min: 1, max: 3 }), scribble: fc.boolean() }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('retrieve' as const), coherent: likely, caller: pick(CALLERS), handle: handleIx, receivers, ro: fc.boolean(), op: pick(OPS) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('fragRx' as const), caller: pick(CALLERS), handle: handleIx, right: likely, offset: fc.nat(5000) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('hypRetrieve' as const), handle: handleIx, tag: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('relinquish' as const), coherent: likely, caller: pick(CALLERS), handle: handleIx, endpoint: pick(ENDPOINTS), clear: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('reclaim' as const), coherent: likely, caller: pick(CALLERS), handle: handleIx, flags: fc.constantFrom(0, 0, 1, 2, 8) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('release' as const), caller: pick(CALLERS) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('tables' as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('bigSend' as const), op: pick(['share', 'lend'] as const), receivers: fc.uniqueArray(pick(SPS.slice(0, 2)), { minLength: 1, maxLength: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('raw' as const), caller: pick([...CALLERS, 0x8009]), fid: pick(MEMORY_FIDS), args: fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 7, maxLength: 7 }) }) },
);

class World {
  readonly ledger = new MemoryLedger();
  readonly port = new FakePort(SPS, [NWD, ...VMS]);
  /** Handles answered so far (plus bogus ones), for calls to pick from. */
  readonly handles: bigint[] = [0x7777n, 1n << 63n];
  /** Continuation bytes of fragmented sends, by handle. */
  readonly pending = new Map<bigint, Uint8Array>();
  /** Where each caller's retrieve response has got to, by handle. */
  readonly fetched = new Map<string, number>();

  constructor() {
    this.ledger.declareRegion(VMS[0]!, address(0), 6);
    this.ledger.declareRegion(VMS[1]!, address(6), 6);
    this.ledger.declareRegion(VM3, BIG_BASE, BIG_PAGES);
    this.ledger.declareRegion(SPS[0]!, address(12), 4);
    this.ledger.declareRegion(SPS[1]!, address(16), 4);
    this.port.setStage2(SPS[0]!, { address: address(12), pageCount: 4 }, 'secure', { access: 'rw', executable: false });
    this.port.setStage2(SPS[1]!, { address: address(16), pageCount: 4 }, 'secure', { access: 'rw', executable: false });
  }

  /** A live handle when `live` and there is one, else any seen. */
  pickHandle(live: boolean, i: number): bigint {
    const handles = this.ledger.handles();
    return live && handles.length > 0 ? (handles[i % handles.length] as bigint) : this.handle(i);
  }

  handle(i: number): bigint {
    return this.handles[i % this.handles.length] as bigint;
  }

  invoke(caller: number, r: bigint[]): FfaResult {
    return handleMemoryCall(this.ledger, this.port, caller, r);
  }

  tx(caller: number, bytes: Uint8Array): number {
    if (this.port.bufferBytes(caller) > 0) this.port.writeTx(caller, bytes);
    return bytes.length;
  }

  run(c: Call): FfaResult {
    switch (c.k) {
      case 'send': {
        // Coherent sends: the caller's own pages (the NWd acting for a VM), to partitions.
        const sender = !c.coherent ? c.sender : c.caller === NWD ? VMS[c.first % 2]! : c.caller;
        const own = OWN_PAGES.get(sender);
        const first = c.coherent && own ? own[0]! + (c.first % own.length) : c.first;
        const end = c.coherent && own ? own[0]! + own.length : PAGES;
        const ranges: Constituent[] = [];
        for (let i = 0; i < c.count; i++) {
          const page = first + i * (1 + c.gap);
          if (page < end) ranges.push({ address: address(page), pageCount: 1 });
        }
        if (ranges.length === 0) ranges.push({ address: address(first), pageCount: 1 });
        let to = c.receivers;
        if (c.coherent) {
          to = to.filter((r) => r !== sender && (SPS.includes(r) || (c.op === 'share' && !SPS.includes(sender))));
          if (!to.some((r) => SPS.includes(r))) to.push(sender === SPS[0] ? SPS[1]! : SPS[0]!);
          if (c.op === 'donate') to = to.filter((r) => SPS.includes(r)).slice(0, 1);
        }
        const bytes = encodeTransaction(sendTx(c.op, sender, to, ranges, c.ro ? 'ro' : 'rw'));
        if (c.scribble) bytes[c.scribble[0] % bytes.length] = c.scribble[1];
        const firstLength = c.fragmented && ranges.length > 1 ? bytes.length - 16 * (ranges.length - 1) : bytes.length;
        this.tx(c.caller, bytes.subarray(0, firstLength));
        const r = this.invoke(c.caller, regs(SEND_FID[c.op], bytes.length, firstLength));
        const fid = resultFid(r);
        if (fid === FFA_SUCCESS_32 || fid === FFA_MEM_FRAG_RX) {
          const h = (BigInt(wView(r, fid === FFA_SUCCESS_32 ? 3 : 2)) << 32n) | BigInt(wView(r, fid === FFA_SUCCESS_32 ? 2 : 1));
          this.handles.push(h);
          if (fid === FFA_MEM_FRAG_RX) this.pending.set(h, bytes.slice(firstLength));
        }
        return r;
      }
      case 'fragTx': {
        const open = [...this.pending.keys()];
        const h = !c.scribble && open.length > 0 ? open[c.handle % open.length]! : this.handle(c.handle);
        const sender = this.ledger.transactionInfo(h)?.sent.sender;
        const caller = !c.scribble && sender !== undefined ? (SPS.includes(sender) ? sender : NWD) : c.caller;
        let bytes = this.pending.get(h);
        if (!bytes || c.scribble) {
          bytes = new Uint8Array(16 * c.count);
          const dv = new DataView(bytes.buffer);
          for (let i = 0; i < c.count; i++) {
            dv.setBigUint64(16 * i, address((c.first + i) % PAGES), true);
            dv.setUint32(16 * i + 8, 1, true);
          }
        }
        this.tx(caller, bytes);
        const r = this.invoke(caller, regs(FFA_MEM_FRAG_TX, ...handleRegs(h), bytes.length, 0));
        if (resultFid(r) !== FFA_MEM_FRAG_RX) this.pending.delete(h);
        return r;
      }
      case 'retrieve': {
        const h = this.pickHandle(c.coherent, c.handle);
        const info = this.ledger.transactionInfo(h);
        let caller = c.caller;
        if (c.coherent && info) {
          const b = info.sent.receivers[c.handle % info.sent.receivers.length]!.receiver;
          caller = SPS.includes(b) ? b : NWD;
        }
        const sender = info?.sent.sender ?? c.receivers[0]!;
        const op = info && c.ro ? info.op : c.op;
        const all = info && (c.coherent || c.receivers.length > 1) ? info.sent.receivers.map((e) => e.receiver) : c.receivers;
        const n = this.tx(caller, encodeTransaction(retrieveTx(c.coherent && info ? info.op : op, sender, all, h, c.ro ? 'ro' : 'rw')));
        if (c.coherent && this.port.rxState(caller) === 'full') this.port.release(caller);
        const r = this.invoke(caller, regs(FFA_MEM_RETRIEVE_REQ_32, n, n));
        if (resultFid(r) === FFA_MEM_RETRIEVE_RESP) this.fetched.set(`${caller}/${h}`, wView(r, 2));
        return r;
      }
      case 'fragRx': {
        // The right offset of a response in progress, or anything.
        const live = [...this.fetched.keys()].filter((k) => this.ledger.transactionInfo(BigInt(k.split('/')[1]!)) !== null);
        const key = c.right && live.length > 0 ? live[c.handle % live.length]! : `${c.caller}/${this.handle(c.handle)}`;
        const [caller, h] = [Number(key.split('/')[0]), BigInt(key.split('/')[1]!)];
        const offset = c.right ? (this.fetched.get(key) ?? 0) : c.offset;
        if (c.right && this.port.rxState(caller) === 'full') this.port.release(caller);
        const r = this.invoke(caller, regs(FFA_MEM_FRAG_RX, ...handleRegs(h), offset, 0));
        if (resultFid(r) === FFA_MEM_FRAG_TX) this.fetched.set(key, offset + wView(r, 3));
        return r;
      }
      case 'hypRetrieve': {
        const h = this.pickHandle(!c.tag, c.handle);
        const bytes = new Uint8Array(headerSize('v1.1'));
        const dv = new DataView(bytes.buffer);
        dv.setBigUint64(HEADER_HANDLE, h, true);
        if (c.tag) dv.setBigUint64(16, 1n, true);
        this.tx(NWD, bytes);
        const r = this.invoke(NWD, regs(FFA_MEM_RETRIEVE_REQ_64, bytes.length, bytes.length));
        if (resultFid(r) === FFA_MEM_RETRIEVE_RESP) this.fetched.set(`${NWD}/${h}`, wView(r, 2));
        return r;
      }
      case 'relinquish': {
        const h = this.pickHandle(c.coherent, c.handle);
        const info = this.ledger.transactionInfo(h);
        let [caller, endpoint] = [c.caller, c.endpoint];
        if (c.coherent && info) {
          endpoint = info.sent.receivers[c.endpoint % info.sent.receivers.length]!.receiver;
          caller = SPS.includes(endpoint) ? endpoint : NWD;
        }
        this.tx(caller, encodeRelinquish({ handle: h, flags: c.clear && !c.coherent ? 1 : 0, endpoints: [endpoint] }));
        return this.invoke(caller, regs(FFA_MEM_RELINQUISH));
      }
      case 'reclaim': {
        const h = this.pickHandle(c.coherent, c.handle);
        const sender = this.ledger.transactionInfo(h)?.sent.sender;
        const caller = c.coherent && sender !== undefined ? (SPS.includes(sender) ? sender : NWD) : c.caller;
        return this.invoke(caller, regs(FFA_MEM_RECLAIM, ...handleRegs(h), c.coherent ? c.flags & 1 : c.flags));
      }
      case 'release':
        if (this.port.rxState(c.caller) !== 'unmapped') this.port.release(c.caller);
        return { x: regs(FFA_SUCCESS_32), reason: '' };
      case 'tables':
        this.port.tablesExhausted = true;
        return { x: regs(FFA_SUCCESS_32), reason: '' };
      case 'raw':
        return this.invoke(c.caller, [BigInt(c.fid), ...c.args]);
      case 'bigSend': {
        const ranges = Array.from({ length: BIG_PAGES }, (_, i) => ({ address: BIG_BASE + BigInt(i) * P, pageCount: 1 }));
        const bytes = encodeTransaction(sendTx(c.op, VM3, c.receivers, ranges));
        const first = 4096 - 16;
        this.tx(NWD, bytes.subarray(0, first));
        const r = this.invoke(NWD, regs(SEND_FID[c.op], bytes.length, first));
        if (resultFid(r) !== FFA_MEM_FRAG_RX) return r;
        // The rest at once, as one call (a refusal leaves every page as it was, like a refused FRAG_TX).
        const h = (BigInt(wView(r, 2)) << 32n) | BigInt(wView(r, 1));
        this.handles.push(h);
        const rest = bytes.subarray(wView(r, 3));
        this.tx(NWD, rest);
        return this.invoke(NWD, regs(FFA_MEM_FRAG_TX, ...handleRegs(h), rest.length, 0));
      }
    }
  }

  tables(): string {
    return JSON.stringify([...this.port.stage2].map(([id, m]) => [id, [...m].sort()]));
  }
}

const DEFINED = new Set<number>(FFA_ERROR_CODES);

/** The first broken invariant, or '' (plain comparisons: expect() per page is slow). */
function brokenInvariant(w: World, owners0: (number | null)[]): string {
  const pages = [...Array.from({ length: PAGES }, (_, p) => address(p)), ...BIG_SAMPLE.map((i) => BIG_BASE + BigInt(i) * P)];
  for (let p = 0; p < pages.length; p++) {
    const a = pages[p] as bigint;
    const owner = w.ledger.ownerOf(a);
    // Ownership conserved: owned pages stay owned, by an endpoint.
    if ((owner === null) !== (owners0[p] === null) || (owner !== null && !ENDPOINTS.includes(owner))) return `page ${p}: owner ${owner} (was ${owners0[p]})`;
    for (const sp of SPS) {
      const mapped = w.port.page(sp, a);
      const ledger = w.ledger.accessOf(sp, a);
      if ((mapped?.access ?? 'none') !== ledger) return `SP ${sp.toString(16)} page ${p}: mapped ${mapped?.access ?? 'none'}, the ledger says ${ledger}`;
      if (mapped && mapped.space !== w.port.memorySecurity(a)) return `SP ${sp.toString(16)} page ${p}: mapped in the ${mapped.space} space`;
    }
  }
  return '';
}

describe('memory ABIs (property)', () => {
  it('no throw, defined answers, page tables equal to the ledger, ownership conserved, refusals change nothing', () => {
    const tally = { ok: 0, refused: 0 };
    const reasons = new Map<string, number>();
    const started = performance.now();
    fc.assert(
      fc.property(fc.array(call, { minLength: 10, maxLength: MAX_CALLS, size: 'max' }), (calls) => {
        const w = new World();
        const owners0 = [...Array.from({ length: PAGES }, (_, p) => address(p)), ...BIG_SAMPLE.map((i) => BIG_BASE + BigInt(i) * P)].map((a) => w.ledger.ownerOf(a));
        expect(brokenInvariant(w, owners0)).toBe('');
        for (const c of calls) {
          const ledgerBefore = JSON.stringify(w.ledger.getState());
          const tablesBefore = w.tables();
          const r = w.run(c);
          if (c.k === 'release' || c.k === 'tables') continue;
          w.port.tablesExhausted = false;
          if (resultFid(r) === FFA_ERROR) {
            tally.refused++;
            if (process.env.HVRR_MEMABI_REASONS) reasons.set(`${c.k}: ${r.reason.replace(/0x[0-9a-f]+/g, 'N').replace(/[0-9]+/g, 'N')}`, (reasons.get(`${c.k}: ${r.reason.replace(/0x[0-9a-f]+/g, 'N').replace(/[0-9]+/g, 'N')}`) ?? 0) + 1);
            if (!DEFINED.has(errorCodeOf(r)!) || r.reason === '') expect.fail(`${c.k}: undefined error ${errorCodeOf(r)} or no reason`);
            if (w.tables() !== tablesBefore) expect.fail(`${c.k} refused (${r.reason}) but changed a table`);
            const after = w.ledger.getState();
            const same = c.k === 'fragTx' || c.k === 'bigSend' || (c.k === 'raw' && c.fid === FFA_MEM_FRAG_TX)
              ? JSON.stringify(after.pages) === JSON.stringify((JSON.parse(ledgerBefore) as typeof after).pages)
              : JSON.stringify(after) === ledgerBefore;
            if (!same) expect.fail(`${c.k} refused (${r.reason}) but changed the ledger`);
          } else {
            tally.ok++;
            if (process.env.HVRR_MEMABI_REASONS) reasons.set(`OK ${c.k}`, (reasons.get(`OK ${c.k}`) ?? 0) + 1);
            if (![FFA_SUCCESS_32, FFA_MEM_FRAG_RX, FFA_MEM_FRAG_TX, FFA_MEM_RETRIEVE_RESP].includes(resultFid(r))) expect.fail(`${c.k}: answered ${resultFid(r).toString(16)}`);
          }
          const broken = brokenInvariant(w, owners0);
          if (broken) expect.fail(`after ${c.k}: ${broken}`);
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(`memory ABIs: ${RUNS} runs in ${seconds.toFixed(1)} s (${(RUNS / seconds).toFixed(0)} runs/s); ${tally.ok} calls answered, ${tally.refused} refused`);
    if (process.env.HVRR_MEMABI_REASONS) console.log([...reasons].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${k}`).join('\n'));
    if (RUNS >= 20) expect(tally.ok, 'the generator reaches the accepting paths').toBeGreaterThan(RUNS);
  });
});

// FF-A descriptor codecs (core/ffa) under fast-check:
// - every valid memory transaction round-trips encode -> decode in all three
//   layouts (v1.0, v1.1, v1.2), whole and split into fragments, and so do
//   retrieve requests, relinquish descriptors and partition information;
// - decoding arbitrary bytes (and valid descriptors with bytes scribbled on)
//   never throws: the answer is a value or an FF-A error, and an accepted
//   value decodes the same after re-encoding;
// - each single-field mutation of a valid descriptor from a catalogue
//   (reserved fields, reserved values, sizes, offsets, alignment, overlap,
//   page counts, lengths) is refused with INVALID_PARAMETERS;
// - the per-operation rules never throw on whatever the decoder accepts;
//   valid DONATE/LEND/SHARE descriptors pass them after a round trip, and
//   each rule mutation (sender, handle, flags, NS bit, receivers,
//   permissions, attributes) is refused with the rule's code;
// - a borrower is granted what it asks within what was sent and DENIED more.
// The seed and run count print first; a failure replays with
// HVRR_FFA_SEED=<seed> HVRR_PROP_RUNS=<n> npx vitest run property-tests/ffa.property.test.ts
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FFA_ERROR_CODES, INVALID_PARAMETERS } from '../core/ffa/errors.js';
import { FFA_ERROR, FFA_VERSION_1_0, FFA_VERSION_1_1, FFA_VERSION_1_2 } from '../core/ffa/functionIds.js';
import { decodePartitionInfo, encodePartitionInfo, partitionInfoSize, type PartitionInfo } from '../core/ffa/partitionInfo.js';
import { decodePartitionMessage } from '../core/ffa/partitionMessage.js';
import { decodeConsoleLog } from '../core/ffa/consoleLog.js';
import { decodeDirectMessage } from '../core/ffa/directMessage.js';
import { decodeFeaturesArgs } from '../core/ffa/features.js';
import { decodeNotificationBindArgs, decodeNotificationGetArgs, decodeNotificationInfo, decodeNotificationSetArgs } from '../core/ffa/notifications.js';
import { decodeMemPermSetArgs } from '../core/ffa/memPerm.js';
import { decodeRxtxMapArgs } from '../core/ffa/rxtx.js';
import { decodeMemTransmitArgs } from '../core/ffa/memory/abi.js';
import { errorCodeOf, resultFid, type Checked } from '../core/ffa/result.js';
import { checkConstituentSet, decodeConstituentFragment } from '../core/ffa/memory/constituents.js';
import { decodeTransaction, type DescriptorKind } from '../core/ffa/memory/decode.js';
import { fragmentLengths, splitFragments } from '../core/ffa/memory/fragments.js';
import { emadSize, headerSize, type MemLayout } from '../core/ffa/memory/layout.js';
import { decodeReclaimFlags, decodeRelinquish, encodeRelinquish } from '../core/ffa/memory/relinquish.js';
import { checkRetrieveAgainstSent } from '../core/ffa/memory/retrieve.js';
import { checkRetrieveRequest, checkRetrieveResponse, checkSend, type SendOp } from '../core/ffa/memory/rules.js';
import { buildTransaction, encodeTransaction, type Constituent, type EndpointMemoryAccess, type MemoryTransaction } from '../core/ffa/memory/transaction.js';
import { versionOfLayout } from '../core/ffa/memory/testing.js';
import { suiteSeed } from './seed.js';

const RUNS = Number(process.env.HVRR_PROP_RUNS ?? 400);
const SEED = suiteSeed('ffa descriptor property', 'HVRR_FFA_SEED', 20261205, { runs: RUNS });
const params = { seed: SEED, numRuns: RUNS, endOnFailure: true };

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const layoutArb = fc.constantFrom<MemLayout>('v1.0', 'v1.1', 'v1.2');

/** Page-aligned, non-overlapping ranges in a random order. */
const constituentsArb: fc.Arbitrary<Constituent[]> = fc.record({
  basePage: fc.bigInt({ min: 0n, max: 1n << 40n }),
  ranges: fc.array(fc.record({ gap: fc.integer({ min: 0, max: 8 }), pages: fc.integer({ min: 1, max: 16 }), key: fc.integer() }), { minLength: 1, maxLength: 24 }),
}).map(({ basePage, ranges }) => {
  let page = basePage;
  const placed = ranges.map((r) => {
    page += BigInt(r.gap);
    const c = { address: page * 4096n, pageCount: r.pages, key: r.key };
    page += BigInt(r.pages);
    return c;
  });
  return placed.sort((a, b) => a.key - b.key).map(({ address, pageCount }) => ({ address, pageCount }));
});

function transactionArb(withComposite: boolean): fc.Arbitrary<MemoryTransaction> {
  return layoutArb.chain((layout) => fc.record({
    sender: fc.integer({ min: 0, max: 0xffff }),
    attributes: fc.record({
      shareability: fc.integer({ min: 0, max: 3 }), cacheability: fc.integer({ min: 0, max: 3 }), type: fc.integer({ min: 0, max: 2 }),
      security: layout === 'v1.0' ? fc.constant(0) : fc.integer({ min: 0, max: 1 }),
    }),
    flags: fc.integer({ min: 0, max: 0xffff_ffff }),
    handle: u64,
    tag: u64,
    receivers: fc.uniqueArray(fc.record({
      receiver: fc.integer({ min: 0, max: 0xffff }),
      permissions: fc.record({ dataAccess: fc.integer({ min: 0, max: 2 }), instructionAccess: fc.integer({ min: 0, max: 2 }) }),
      flags: fc.integer({ min: 0, max: 1 }),
      impdef: fc.tuple(u64, u64),
    }), { minLength: 1, maxLength: 4, selector: (r) => r.receiver }),
    constituents: withComposite ? constituentsArb.map((c) => c as Constituent[] | undefined) : fc.constant(undefined),
  }).map((p) => buildTransaction({ layout, ...p })));
}

function decodeKind(bytes: Uint8Array, layout: MemLayout, kind: DescriptorKind, totalLength = bytes.length) {
  return decodeTransaction(bytes, { kind, version: versionOfLayout(layout), totalLength });
}

/** A refusal is an FFA_ERROR with a defined code and a reason. */
function wellFormedRefusal<T>(r: Checked<T>): void {
  if (r.ok) return;
  expect(resultFid(r.error)).toBe(FFA_ERROR);
  expect(FFA_ERROR_CODES).toContain(errorCodeOf(r.error));
  expect(r.error.reason.length).toBeGreaterThan(0);
}

describe('FF-A descriptor codecs (property)', () => {
  it('memory transactions round-trip in every layout', () => {
    fc.assert(fc.property(transactionArb(true), (tx) => {
      const bytes = encodeTransaction(tx);
      const r = decodeKind(bytes, tx.layout, 'send');
      if (!r.ok) throw new Error(r.error.reason);
      expect(r.value.tx).toEqual(tx);
      expect(r.value.missingConstituents).toBe(0);
    }), params);
  });

  it('retrieve requests round-trip in every layout', () => {
    fc.assert(fc.property(transactionArb(false), (tx) => {
      const r = decodeKind(encodeTransaction(tx), tx.layout, 'retrieve-request');
      if (!r.ok) throw new Error(r.error.reason);
      expect(r.value.tx).toEqual(tx);
    }), params);
  });

  it('fragmented transactions reassemble to the same constituents', () => {
    fc.assert(fc.property(transactionArb(true), fc.integer({ min: 0, max: 40 }), (tx, extra) => {
      const bytes = encodeTransaction(tx);
      const first = (tx.receivers[0]?.compositeOffset ?? 0) + 32;
      const lengths = fragmentLengths(tx, bytes.length, first + 16 * extra);
      if (!lengths.ok) throw new Error(lengths.error.reason);
      const [head, ...rest] = splitFragments(bytes, lengths.value);
      const d = decodeKind(head as Uint8Array, tx.layout, 'send', bytes.length);
      if (!d.ok) throw new Error(d.error.reason);
      const got = [...(d.value.tx.composite?.constituents ?? [])];
      let missing = d.value.missingConstituents;
      for (const part of rest) {
        const more = decodeConstituentFragment(part, missing, got.length);
        if (!more.ok) throw new Error(more.error.reason);
        got.push(...more.value);
        missing -= more.value.length;
      }
      expect(missing).toBe(0);
      expect(got).toEqual(tx.composite?.constituents);
      expect(checkConstituentSet(tx.composite?.pageCount ?? -1, got).ok).toBe(true);
    }), params);
  });

  it('relinquish descriptors and partition information round-trip', () => {
    fc.assert(fc.property(u64, fc.integer({ min: 0, max: 1 }), fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 8 }), (handle, flags, endpoints) => {
      expect(decodeRelinquish(encodeRelinquish({ handle, flags, endpoints }))).toEqual({ ok: true, value: { handle, flags, endpoints } });
    }), params);
    const info = fc.record({
      id: fc.integer({ min: 0, max: 0xffff }), executionContexts: fc.integer({ min: 0, max: 0xffff }), properties: fc.integer({ min: 0, max: 0x7ff }),
      uuid: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    });
    fc.assert(fc.property(fc.array(info, { maxLength: 8 }), fc.constantFrom(FFA_VERSION_1_1, FFA_VERSION_1_2), (list: PartitionInfo[], version) => {
      const back = decodePartitionInfo(encodePartitionInfo(list, version), list.length, partitionInfoSize(version));
      const want = list.map((p) => ({ ...p, properties: version === FFA_VERSION_1_1 ? p.properties & 0x1ff : p.properties }));
      expect(back).toEqual({ ok: true, value: want });
    }), params);
  });

  it('arbitrary bytes never throw: a value or an FF-A error', () => {
    const kind = fc.constantFrom<DescriptorKind>('send', 'retrieve-request', 'retrieve-response');
    const version = fc.oneof(fc.constantFrom(FFA_VERSION_1_0, FFA_VERSION_1_1, FFA_VERSION_1_2), fc.integer({ min: 0, max: 0x7fff_ffff }));
    const total = fc.oneof(fc.integer({ min: -1, max: 2000 }), fc.constant(Number.NaN), fc.constant(2 ** 33));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 700 }), kind, version, total, fc.boolean(), (bytes, k, v, t, exact) => {
      const r = decodeTransaction(bytes, { kind: k, version: v, totalLength: exact ? bytes.length : t });
      wellFormedRefusal(r);
      wellFormedRefusal(decodeRelinquish(bytes));
      wellFormedRefusal(decodeConstituentFragment(bytes, 8));
      wellFormedRefusal(decodePartitionInfo(bytes, bytes[0] ?? 0, 24));
      wellFormedRefusal(decodePartitionMessage(bytes, v));
    }), params);
  });

  it('arbitrary registers never throw in the register decoders', () => {
    const fid = fc.oneof(fc.constantFrom(0x8400_006f, 0xc400_006f, 0x8400_0070, 0xc400_0070, 0xc400_008d, 0xc400_008e, 0x8400_008a, 0xc400_008a), fc.integer({ min: 0, max: 0xffff_ffff }));
    fc.assert(fc.property(fid, fc.array(u64, { minLength: 0, maxLength: 18 }), fc.constantFrom(FFA_VERSION_1_0, FFA_VERSION_1_1, FFA_VERSION_1_2), (f, rest, v) => {
      const x = [BigInt(f), ...rest];
      wellFormedRefusal(decodeDirectMessage(x));
      wellFormedRefusal(decodeConsoleLog(x, v));
      wellFormedRefusal(decodeFeaturesArgs(x));
      wellFormedRefusal(decodeNotificationBindArgs(x, (rest.length & 1) === 0));
      wellFormedRefusal(decodeNotificationSetArgs(x));
      wellFormedRefusal(decodeNotificationGetArgs(x));
      expect(decodeNotificationInfo(x).lists.length).toBeLessThanOrEqual(20);
      wellFormedRefusal(decodeMemPermSetArgs(x));
      wellFormedRefusal(decodeRxtxMapArgs(x, 64));
      wellFormedRefusal(decodeMemTransmitArgs(x, 4096));
      wellFormedRefusal(decodeReclaimFlags(Number((x[3] ?? 0n) & 0xffff_ffffn)));
    }), params);
  });

  it('scribbled descriptors never throw, and what is accepted re-encodes to the same value; the rules never throw on it', () => {
    const scribble = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 });
    const ops = fc.constantFrom<SendOp>('share', 'lend', 'donate');
    fc.assert(fc.property(transactionArb(true), scribble, ops, (tx, writes, op) => {
      const bytes = encodeTransaction(tx);
      for (const [at, value] of writes) bytes[at % bytes.length] = value;
      const r = decodeKind(bytes, tx.layout, 'send');
      wellFormedRefusal(r);
      if (!r.ok) return;
      const again = decodeKind(encodeTransaction(r.value.tx), tx.layout, 'send');
      expect(again.ok && again.value.tx).toEqual(r.value.tx);
      const sent = checkSend(r.value.tx, op);
      wellFormedRefusal(sent);
      const req = checkRetrieveRequest(r.value.tx, versionOfLayout(tx.layout));
      wellFormedRefusal(req);
      wellFormedRefusal(checkRetrieveResponse(r.value.tx));
      if (sent.ok) wellFormedRefusal(checkRetrieveAgainstSent({ ...r.value.tx, composite: null }, sent.value, op, r.value.tx.receivers[0]?.receiver ?? 0));
    }), params);
  });

  it('valid sends pass the rules after a round trip; each rule mutation is refused with its code', () => {
    fc.assert(fc.property(sendArb, fc.integer({ min: 0, max: SEND_MUTATIONS.length - 1 }), fc.nat(), ({ op, tx }, which, r) => {
      const bytes = encodeTransaction(tx);
      const d = decodeKind(bytes, tx.layout, 'send');
      if (!d.ok) throw new Error(d.error.reason);
      const ok = checkSend(d.value.tx, op, { callerId: tx.sender });
      if (!ok.ok) throw new Error(ok.error.reason);
      const [name, want, mutate] = SEND_MUTATIONS[which] as (typeof SEND_MUTATIONS)[number];
      const bad = structuredClone(d.value.tx);
      mutate(bad, op, r);
      const refused = checkSend(bad, op, { callerId: tx.sender });
      expect(refused.ok, name).toBe(false);
      const exclusive = op === 'donate' || (op === 'lend' && tx.receivers.length === 1);
      const expected = want !== 0 ? want : exclusive ? INVALID_PARAMETERS : -6;
      if (!refused.ok) expect(errorCodeOf(refused.error), `${name}: ${refused.error.reason}`).toBe(expected);
    }), params);
  });

  it('a borrower gets what it asks within what was sent, and is DENIED more', () => {
    fc.assert(fc.property(sendArb, fc.nat(), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), ({ op, tx }, pick, data, instr) => {
      const sent = checkSend(tx, op);
      if (!sent.ok) throw new Error(sent.error.reason);
      const me = tx.receivers[pick % tx.receivers.length] as EndpointMemoryAccess;
      const request = buildTransaction({
        layout: tx.layout, sender: tx.sender, attributes: { shareability: 0, cacheability: 0, type: 0, security: 0 }, tag: tx.tag,
        receivers: tx.receivers.map((r) => ({ receiver: r.receiver, permissions: r.receiver === me.receiver ? { dataAccess: data, instructionAccess: instr } : { dataAccess: 0, instructionAccess: op === 'share' || tx.receivers.length > 1 ? 0 : 1 } })),
      });
      const g = checkRetrieveAgainstSent(request, sent.value, op, me.receiver);
      wellFormedRefusal(g);
      const exclusive = op === 'donate' || (op === 'lend' && tx.receivers.length === 1);
      const instrOk = exclusive ? instr !== 0 : instr === 0;
      const dataOk = !(me.permissions.dataAccess === 1 && data === 2);
      // Data access is judged first (Hafnium ffa_memory_retrieve_is_memory_access_valid).
      if (!dataOk) expect(g.ok ? 'ok' : errorCodeOf(g.error)).toBe(-6);
      else if (!instrOk) expect(g.ok ? 'ok' : errorCodeOf(g.error)).toBe(INVALID_PARAMETERS);
      else {
        if (!g.ok) throw new Error(g.error.reason);
        const granted = g.value.permissions;
        if (me.permissions.dataAccess === 1 || data === 1) expect(granted.dataAccess).toBe(1);
        else expect(granted.dataAccess).toBe(2);
        expect(granted.instructionAccess).toBe(instr === 2 ? 2 : 1);
      }
    }), params);
  });

  it('every single-field mutation in the catalogue is refused with INVALID_PARAMETERS', () => {
    fc.assert(fc.property(transactionArb(true), fc.integer({ min: 0, max: MUTATIONS.length - 1 }), fc.nat(), (tx, which, r) => {
      const [name, mutate] = MUTATIONS[which] as Mutation;
      const encoded = encodeTransaction(tx);
      const changed = mutate(new DataView(encoded.buffer), encoded, tx, r);
      const bytes = changed?.bytes ?? encoded;
      const d = decodeKind(bytes, tx.layout, 'send', changed?.total ?? encoded.length);
      expect(d.ok, name).toBe(false);
      if (!d.ok) expect(errorCodeOf(d.error), `${name}: ${d.error.reason}`).toBe(INVALID_PARAMETERS);
    }), params);
  });
});

/** A valid DONATE/LEND/SHARE from endpoint `sender` as Linux or an SP writes it. */
const sendArb: fc.Arbitrary<{ op: SendOp; tx: MemoryTransaction }> = fc.record({
  op: fc.constantFrom<SendOp>('share', 'lend', 'donate'),
  layout: layoutArb,
  sender: fc.integer({ min: 1, max: 0x7fff }),
  receivers: fc.uniqueArray(fc.integer({ min: 0x8000, max: 0xffff }), { minLength: 1, maxLength: 3 }),
  ro: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
  clear: fc.boolean(),
  tag: u64,
  constituents: constituentsArb,
}).map(({ op, layout, sender, receivers, ro, clear, tag, constituents }) => {
  const ids = op === 'donate' ? receivers.slice(0, 1) : receivers;
  const exclusive = op === 'donate' || (op === 'lend' && ids.length === 1);
  return {
    op,
    tx: buildTransaction({
      layout, sender, tag, constituents,
      flags: clear && op !== 'share' ? 1 : 0,
      attributes: exclusive ? { shareability: 0, cacheability: 0, type: 0, security: 0 } : { shareability: 3, cacheability: 3, type: 2, security: 0 },
      receivers: ids.map((receiver, i) => ({ receiver, permissions: { dataAccess: op === 'donate' ? 0 : ro[i] ? 1 : 2, instructionAccess: 0 } })),
    }),
  };
});

/** Changes one field of a valid send so that checkSend must refuse it with the code given. */
const SEND_MUTATIONS: readonly (readonly [string, number, (tx: MemoryTransaction, op: SendOp, r: number) => void])[] = [
  ['sender is not the caller', -6, (tx) => { tx.sender ^= 1; }],
  ['non-zero handle', -2, (tx, _op, r) => { tx.handle = BigInt(1 + (r % 1000)); }],
  ['undefined flag bit', -2, (tx, _op, r) => { tx.flags |= 1 << (2 + (r % 30)); }],
  ['time slicing', -2, (tx) => { tx.flags |= 2; }],
  ['NS bit', -2, (tx) => { tx.attributes.security = 1; }],
  ['receiver is the sender', -2, (tx, _op, r) => { (tx.receivers[r % tx.receivers.length] as EndpointMemoryAccess).receiver = tx.sender; }],
  ['non-retrieval borrower flag', -2, (tx, _op, r) => { (tx.receivers[r % tx.receivers.length] as EndpointMemoryAccess).flags = 1; }],
  ['instruction access from the sender', -2, (tx, _op, r) => { (tx.receivers[r % tx.receivers.length] as EndpointMemoryAccess).permissions.instructionAccess = 1 + (r % 2); }],
  ['data access against the operation', -2, (tx, op, r) => { (tx.receivers[r % tx.receivers.length] as EndpointMemoryAccess).permissions.dataAccess = op === 'donate' ? 1 + (r % 2) : 0; }],
  ['memory type or attributes against the operation', 0, (tx, op, r) => {
    const exclusive = op === 'donate' || (op === 'lend' && tx.receivers.length === 1);
    if (exclusive) tx.attributes = { shareability: 3, cacheability: 3, type: 1 + (r % 2), security: 0 };
    else if (r % 2) tx.attributes.cacheability = [0, 1, 2][r % 3] as number;
    else tx.attributes.shareability = [0, 1, 2][r % 3] as number;
  }],
];

/** Changes one field of an encoded valid transaction so that it must be refused; returns other bytes or another total length when that is the change. */
type Mutation = readonly [string, (dv: DataView, b: Uint8Array, tx: MemoryTransaction, r: number) => { bytes?: Uint8Array; total?: number } | void];

const nonZero = (r: number): number => (r % 255) + 1;
const emad = (tx: MemoryTransaction, r: number): number => tx.receiversOffset + (r % tx.receivers.length) * emadSize(tx.layout);
const composite = (tx: MemoryTransaction): number => tx.receivers[0]?.compositeOffset ?? 0;
const constituent = (tx: MemoryTransaction, r: number): number => composite(tx) + 16 + (r % (tx.composite?.constituents.length ?? 1)) * 16;

const MUTATIONS: readonly Mutation[] = [
  ['header reserved field', (dv, b, tx, r) => {
    if (tx.layout === 'v1.0') {
      if (r % 2) b[3] = nonZero(r);
      else dv.setUint32(24, nonZero(r), true);
    } else b[36 + (r % 12)] = nonZero(r);
  }],
  ['attributes MBZ bit', (dv, b, tx, r) => {
    if (tx.layout === 'v1.0') b[2] = (b[2] as number) | (1 << (6 + (r % 2)));
    else dv.setUint16(2, dv.getUint16(2, true) | (1 << (7 + (r % 9))), true);
  }],
  ['reserved memory type', (_dv, b) => { b[2] = (b[2] as number) | 0x30; }],
  ['EMAD reserved byte', (_dv, b, tx, r) => { b[emad(tx, r) + (tx.layout === 'v1.2' ? 24 : 8) + (r % 8)] = nonZero(r); }],
  ['permissions bits 7:4', (_dv, b, tx, r) => { b[emad(tx, r) + 2] = (b[emad(tx, r) + 2] as number) | (0x10 << (r % 4)); }],
  ['reserved data access', (_dv, b, tx, r) => { b[emad(tx, r) + 2] = (b[emad(tx, r) + 2] as number) | 0x03; }],
  ['reserved instruction access', (_dv, b, tx, r) => { b[emad(tx, r) + 2] = (b[emad(tx, r) + 2] as number) | 0x0c; }],
  ['receiver flags bits 7:1', (_dv, b, tx, r) => { b[emad(tx, r) + 3] = (b[emad(tx, r) + 3] as number) | (2 << (r % 7)); }],
  ['repeated receiver or no receivers', (dv, _b, tx) => {
    if (tx.receivers.length >= 2) dv.setUint16(tx.receiversOffset + emadSize(tx.layout), tx.receivers[0]?.receiver ?? 0, true);
    else dv.setUint32(28, 0, true);
  }],
  ['receiver count past the fragment', (dv, b, tx, r) => { dv.setUint32(28, tx.receivers.length + Math.ceil(b.length / emadSize(tx.layout)) + (r % 1000), true); }],
  ['composite offset misaligned or differing', (dv, _b, tx, r) => { dv.setUint32(emad(tx, r) + 4, composite(tx) + 1 + (r % 15), true); }],
  ['composite offset inside the EMADs', (dv, _b, tx, r) => { for (let i = 0; i < tx.receivers.length; i++) dv.setUint32(tx.receiversOffset + i * emadSize(tx.layout) + 4, (r % 2) * 16, true); }],
  ['composite reserved byte', (_dv, b, tx, r) => { b[composite(tx) + 8 + (r % 8)] = nonZero(r); }],
  ['composite page count', (dv, _b, tx, r) => { dv.setUint32(composite(tx), (tx.composite?.pageCount ?? 0) + 1 + (r % 100), true); }],
  ['constituent count', (dv, _b, tx, r) => {
    const n = tx.composite?.constituents.length ?? 0;
    dv.setUint32(composite(tx) + 4, r % 2 && n > 1 ? n - 1 : n + 1 + (r % 3), true);
  }],
  ['constituent reserved field', (dv, _b, tx, r) => { dv.setUint32(constituent(tx, r) + 12, nonZero(r), true); }],
  ['constituent misaligned', (dv, _b, tx, r) => {
    const at = constituent(tx, r);
    dv.setBigUint64(at, dv.getBigUint64(at, true) + BigInt(1 + (r % 4095)), true);
  }],
  ['constituent with no pages', (dv, _b, tx, r) => { dv.setUint32(constituent(tx, r) + 8, 0, true); }],
  ['constituent wrapping the address space', (dv, _b, tx, r) => {
    const pages = 1 + (r % 5);
    dv.setBigUint64(constituent(tx, r), (1n << 64n) - 4096n * BigInt(pages), true);
    dv.setUint32(constituent(tx, r) + 8, pages + 1, true);
  }],
  ['overlapping constituents or a page sum that does not add up', (dv, _b, tx, r) => {
    const n = tx.composite?.constituents.length ?? 0;
    if (n < 2) { dv.setUint32(composite(tx), (tx.composite?.pageCount ?? 0) + 1, true); return; }
    const i = r % n;
    const j = (i + 1 + (r % (n - 1))) % n;
    dv.setBigUint64(composite(tx) + 16 + j * 16, dv.getBigUint64(composite(tx) + 16 + i * 16, true), true);
  }],
  ['EMAD size', (dv, _b, tx, r) => {
    if (tx.layout === 'v1.0') { dv.setUint32(24, 16, true); return; }
    const bad = [0, 8, 24, 48, 64, 17 + (r % 1000)][r % 6] as number;
    dv.setUint32(24, bad === 16 || bad === 32 ? 33 : bad, true);
  }],
  ['receivers offset', (dv, _b, tx, r) => {
    if (tx.layout === 'v1.0') { dv.setUint32(24, 1, true); return; }
    dv.setUint32(32, r % 2 ? headerSize(tx.layout) + 1 + (r % 15) : (r % 3) * 16, true);
  }],
  ['total length', (_dv, b, _tx, r) => ({ total: b.length + (r % 2 ? 16 : -16) })],
  ['first fragment cut inside the header, EMADs or composite', (_dv, b, tx, r) => {
    const cut = r % (composite(tx) + 16);
    return { bytes: b.subarray(0, cut), total: b.length };
  }],
  ['first fragment cut off a constituent boundary', (_dv, b, tx, r) => {
    const cut = composite(tx) + 16 + 1 + (r % Math.max(1, b.length - composite(tx) - 17));
    return { bytes: b.subarray(0, cut % 16 === 0 ? cut - 1 : cut), total: b.length };
  }],
];

import { describe, expect, it } from 'vitest';
import { INVALID_PARAMETERS } from '../errors.js';
import { FFA_VERSION_1_1, FFA_VERSION_1_2 } from '../functionIds.js';
import { errorCodeOf } from '../result.js';
import { ATTRIBUTES_NOT_SPECIFIED, FFA_DATA_ACCESS_RO } from './attributes.js';
import { decodeTransaction, type DecodeOptions, type DescriptorKind } from './decode.js';
import { MEM_LAYOUTS, type MemLayout } from './layout.js';
import { buildTransaction, encodeTransaction, type MemoryTransaction } from './transaction.js';
import { sampleShare, versionOfLayout } from './testing.js';

function decode(bytes: Uint8Array, layout: MemLayout, kind: DescriptorKind = 'send', totalLength = bytes.length) {
  const opts: DecodeOptions = { kind, version: versionOfLayout(layout), totalLength };
  return decodeTransaction(bytes, opts);
}

/** The refusal's reason, or a failure when the bytes were accepted or refused with another code. */
function refusal(bytes: Uint8Array, layout: MemLayout, kind: DescriptorKind = 'send', totalLength = bytes.length): string {
  const r = decode(bytes, layout, kind, totalLength);
  if (r.ok) return 'accepted';
  expect(errorCodeOf(r.error)).toBe(INVALID_PARAMETERS);
  return r.error.reason;
}

function mutate(bytes: Uint8Array, f: (dv: DataView, b: Uint8Array) => void): Uint8Array {
  const copy = bytes.slice();
  f(new DataView(copy.buffer), copy);
  return copy;
}

function retrieveRequest(layout: MemLayout, receivers = 1): MemoryTransaction {
  return buildTransaction({
    layout, sender: 1, attributes: ATTRIBUTES_NOT_SPECIFIED, handle: 0x8000_0000_0000_0001n, flags: 1 << 3,
    receivers: Array.from({ length: receivers }, (_, i) => ({ receiver: 0x8001 + i, permissions: { dataAccess: FFA_DATA_ACCESS_RO, instructionAccess: 0 } })),
  });
}

describe.each(MEM_LAYOUTS)('%s descriptors', (layout) => {
  it('a share round-trips', () => {
    const tx = sampleShare(layout, 2);
    const r = decode(encodeTransaction(tx), layout);
    expect(r.ok && r.value.tx).toEqual(tx);
    expect(r.ok && r.value.missingConstituents).toBe(0);
  });

  it('a retrieve request round-trips', () => {
    const tx = retrieveRequest(layout, 2);
    const r = decode(encodeTransaction(tx), layout, 'retrieve-request');
    expect(r.ok && r.value.tx).toEqual(tx);
  });

  it('the first fragment of a fragmented share decodes with the count still missing', () => {
    const bytes = encodeTransaction(sampleShare(layout));
    const first = bytes.subarray(0, bytes.length - 32);
    const r = decode(first, layout, 'send', bytes.length);
    expect(r.ok && r.value.missingConstituents).toBe(2);
    expect(r.ok && r.value.tx.composite?.constituents.length).toBe(1);
  });

  it('refuses reserved header fields', () => {
    const bytes = encodeTransaction(sampleShare(layout));
    if (layout === 'v1.0') {
      expect(refusal(mutate(bytes, (_, b) => { b[3] = 1; }), layout)).toMatch(/reserved byte 3/);
      expect(refusal(mutate(bytes, (dv) => dv.setUint32(24, 16, true)), layout)).toMatch(/reserved word at 24/);
      expect(refusal(mutate(bytes, (_, b) => { b[2] = (b[2] as number) | 0x40; }), layout)).toMatch(/bits 7:6/);
    } else {
      for (const at of [36, 40, 47]) expect(refusal(mutate(bytes, (_, b) => { b[at] = 1; }), layout)).toMatch(/reserved bytes 36-47/);
      expect(refusal(mutate(bytes, (dv) => dv.setUint16(2, 0x2f | 0x80, true)), layout)).toMatch(/bits 15:7/);
    }
    expect(refusal(mutate(bytes, (_, b) => { b[2] = 0x3f; }), layout)).toMatch(/memory type 3/);
  });

  it('refuses bad EMADs: reserved bytes, permission and flag bits, repeated receivers, differing composite offsets', () => {
    const tx = sampleShare(layout, 2);
    const bytes = encodeTransaction(tx);
    const e0 = tx.receiversOffset;
    const size = layout === 'v1.2' ? 32 : 16;
    const reservedAt = layout === 'v1.2' ? 24 : 8;
    expect(refusal(mutate(bytes, (_, b) => { b[e0 + size + reservedAt + 7] = 1; }), layout)).toMatch(/receiver 1: reserved/);
    expect(refusal(mutate(bytes, (_, b) => { b[e0 + 2] = 0x12; }), layout)).toMatch(/bits 7:4/);
    expect(refusal(mutate(bytes, (_, b) => { b[e0 + 2] = 0x03; }), layout)).toMatch(/data access value 3/);
    expect(refusal(mutate(bytes, (_, b) => { b[e0 + 2] = 0x0e; }), layout)).toMatch(/instruction access value 3/);
    expect(refusal(mutate(bytes, (_, b) => { b[e0 + 3] = 0x02; }), layout)).toMatch(/bits 7:1/);
    expect(refusal(mutate(bytes, (dv) => dv.setUint16(e0 + size, 0x8001, true)), layout)).toMatch(/appears twice/);
    expect(refusal(mutate(bytes, (dv) => dv.setUint32(e0 + size + 4, 0, true)), layout)).toMatch(/differs/);
  });

  it('refuses sizes, offsets and lengths that do not add up', () => {
    const tx = sampleShare(layout);
    const bytes = encodeTransaction(tx);
    const c = tx.receivers[0]?.compositeOffset as number;
    expect(refusal(bytes.subarray(0, 16), layout)).toMatch(/shorter than the/);
    expect(refusal(bytes, layout, 'send', bytes.length - 16)).toMatch(/exceeds total length/);
    expect(refusal(bytes, layout, 'send', bytes.length + 16)).toMatch(/does not match/);
    expect(refusal(mutate(bytes, (dv) => dv.setUint32(28, 0, true)), layout)).toMatch(/no receivers/);
    expect(refusal(mutate(bytes, (dv) => dv.setUint32(28, 0x1000_0000, true)), layout)).toMatch(/do not fit/);
    expect(refusal(mutate(bytes, (dv) => dv.setUint32(tx.receiversOffset + 4, c + 8, true)), layout)).toMatch(/16-byte aligned/);
    expect(refusal(mutate(bytes, (dv) => dv.setUint32(tx.receiversOffset + 4, 16, true)), layout)).toMatch(/after the memory access/);
    expect(refusal(mutate(bytes, (dv) => dv.setUint32(c + 4, 4, true)), layout)).toMatch(/does not match/);
    expect(refusal(mutate(bytes, (dv) => dv.setUint32(c + 4, 0, true)), layout)).toMatch(/no constituents/);
    expect(refusal(mutate(bytes, (_, b) => { b[c + 9] = 1; }), layout)).toMatch(/composite region: reserved/);
    expect(refusal(bytes.subarray(0, c + 8), layout, 'send', bytes.length)).toMatch(/multiples of 16|does not fit/);
    if (layout !== 'v1.0') {
      expect(refusal(mutate(bytes, (dv) => dv.setUint32(24, 24, true)), layout)).toMatch(/descriptor size 24/);
      expect(refusal(mutate(bytes, (dv) => dv.setUint32(32, 40, true)), layout)).toMatch(/receivers offset 40/);
      expect(refusal(mutate(bytes, (dv) => dv.setUint32(32, 56, true)), layout)).toMatch(/receivers offset 56/);
    }
  });

  it('refuses bad constituents: reserved, alignment, empty, wrap, overlap, page sum', () => {
    const tx = sampleShare(layout);
    const bytes = encodeTransaction(tx);
    const k = (tx.receivers[0]?.compositeOffset as number) + 16;
    expect(refusal(mutate(bytes, (dv) => dv.setUint32(k + 16 + 12, 1, true)), layout)).toMatch(/constituent 1: reserved/);
    expect(refusal(mutate(bytes, (dv) => dv.setBigUint64(k, 0x4010_0800n, true)), layout)).toMatch(/not 4 KiB aligned/);
    expect(refusal(mutate(bytes, (dv) => dv.setUint32(k + 8, 0, true)), layout)).toMatch(/page count is zero/);
    expect(refusal(mutate(bytes, (dv) => dv.setBigUint64(k, 0xffff_ffff_ffff_f000n, true)), layout)).toMatch(/wrap/);
    expect(refusal(mutate(bytes, (dv) => dv.setBigUint64(k + 16, 0x4010_1000n, true)), layout)).toMatch(/overlap/);
    expect(refusal(mutate(bytes, (dv) => dv.setBigUint64(k + 32, 0x400f_f000n, true)), layout)).toMatch(/overlap/);
    expect(refusal(mutate(bytes, (dv) => dv.setUint32(k - 16, 8, true)), layout)).toMatch(/page count 8 differs/);
  });

  it('retrieve requests: no composite, exact length, unfragmented', () => {
    const tx = retrieveRequest(layout);
    const bytes = encodeTransaction(tx);
    expect(refusal(mutate(bytes, (dv) => dv.setUint32(tx.receiversOffset + 4, 64, true)), layout, 'retrieve-request')).toMatch(/must be zero/);
    const longer = new Uint8Array(bytes.length + 16);
    longer.set(bytes);
    expect(refusal(longer, layout, 'retrieve-request')).toMatch(/want/);
    expect(refusal(bytes, layout, 'retrieve-request', bytes.length + 16)).toMatch(/cannot be fragmented/);
  });

  it("the hypervisor's retrieve request: no receivers, the header alone", () => {
    const header = new Uint8Array(layout === 'v1.0' ? 32 : 48);
    new DataView(header.buffer).setBigUint64(8, 0x42n, true);
    const r = decode(header, layout, 'retrieve-request');
    expect(r.ok && r.value.hypervisorRetrieveRequest).toBe(true);
    expect(r.ok && r.value.tx.handle).toBe(0x42n);
    const longer = new Uint8Array(header.length + 16);
    expect(refusal(longer, layout, 'retrieve-request')).toMatch(/header alone/);
    expect(refusal(header, layout, 'send')).toMatch(/no receivers|descriptor size 0/);
  });

  it("the hypervisor's retrieve request as our proxy builds it round-trips", () => {
    const tx = buildTransaction({ layout, sender: 0, attributes: ATTRIBUTES_NOT_SPECIFIED, handle: 0x7n, receivers: [] });
    const bytes = encodeTransaction(tx);
    expect(bytes.length).toBe(layout === 'v1.0' ? 32 : 48);
    const r = decode(bytes, layout, 'retrieve-request');
    expect(r.ok && r.value.hypervisorRetrieveRequest).toBe(true);
    expect(r.ok && r.value.tx.handle).toBe(7n);
  });
});

describe('versions and layouts', () => {
  it('a v1.2 caller may send v1.1 (16-byte) EMADs; a v1.1 caller may not send 32-byte ones', () => {
    const v11 = encodeTransaction(sampleShare('v1.1'));
    expect(decodeTransaction(v11, { kind: 'send', version: FFA_VERSION_1_2, totalLength: v11.length }).ok).toBe(true);
    const v12 = encodeTransaction(sampleShare('v1.2'));
    const r = decodeTransaction(v12, { kind: 'send', version: FFA_VERSION_1_1, totalLength: v12.length });
    expect(!r.ok && r.error.reason).toMatch(/descriptor size 32 is not valid for FF-A 1.1/);
  });

  it('refuses impossible total lengths without throwing', () => {
    const v11 = encodeTransaction(sampleShare('v1.1'));
    for (const totalLength of [-1, 1.5, 2 ** 40, Number.NaN]) {
      const r = decodeTransaction(v11, { kind: 'send', version: FFA_VERSION_1_1, totalLength });
      expect(r.ok).toBe(false);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { INVALID_PARAMETERS } from './errors.js';
import { decodeEndpointRxtx, encodeEndpointRxtx, ENDPOINT_RXTX_DESCRIPTOR_BYTES } from './endpointRxtxDescriptor.js';

describe('the endpoint RX/TX descriptor', () => {
  it('round-trips: header, RX then TX composite with one constituent each', () => {
    const d = { endpoint: 3, rx: 0x4120_1000n, tx: 0x4120_0000n, pageCount: 2 };
    const b = encodeEndpointRxtx(d);
    expect(b.length).toBe(ENDPOINT_RXTX_DESCRIPTOR_BYTES);
    const dv = new DataView(b.buffer);
    expect([dv.getUint16(0, true), dv.getUint32(4, true), dv.getUint32(8, true)]).toEqual([3, 16, 48]);
    expect(decodeEndpointRxtx(b)).toEqual({ ok: true, value: d });
  });

  it('refuses misaligned or outlying offsets, several constituents, a constituent not covering the pages, RX and TX of different sizes', () => {
    const good = (): Uint8Array => encodeEndpointRxtx({ endpoint: 1, rx: 0x4000_1000n, tx: 0x4000_0000n, pageCount: 1 });
    const bad = (edit: (dv: DataView) => void): unknown => {
      const b = good();
      edit(new DataView(b.buffer));
      const r = decodeEndpointRxtx(b);
      return r.ok ? 'accepted' : r.error.x[2];
    };
    const code = BigInt(INVALID_PARAMETERS >>> 0);
    expect(bad((dv) => dv.setUint32(4, 20, true))).toBe(code);
    expect(bad((dv) => dv.setUint32(8, 4096, true))).toBe(code);
    expect(bad((dv) => dv.setUint32(16 + 4, 2, true))).toBe(code);
    expect(bad((dv) => dv.setUint32(16 + 16 + 8, 3, true))).toBe(code);
    expect(bad((dv) => { dv.setUint32(48, 2, true); dv.setUint32(48 + 24, 2, true); })).toBe(code);
    expect(decodeEndpointRxtx(new Uint8Array(8)).ok).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { INVALID_PARAMETERS } from '../errors.js';
import { FFA_MEM_FRAG_TX, FFA_MEM_RECLAIM, FFA_MEM_SHARE_32, FFA_MEM_SHARE_64, FFA_VERSION_1_0, FFA_VERSION_1_2 } from '../functionIds.js';
import { errorCodeOf } from '../result.js';
import { checkFragArgsReserved, decodeFragArgs, decodeMemTransmitArgs, decodeReclaimArgs } from './abi.js';
import { decodeTransaction } from './decode.js';
import { encodeTransaction, relayout } from './transaction.js';
import { sampleShare } from './testing.js';

const regs = (...v: (number | bigint)[]): bigint[] => v.map((n) => BigInt(n));

describe('memory ABI registers', () => {
  it('DONATE/LEND/SHARE and RETRIEVE_REQ: lengths in w1/w2, descriptor in the TX buffer', () => {
    expect(decodeMemTransmitArgs(regs(FFA_MEM_SHARE_64, 4880, 4096, 0, 0), 4096)).toEqual({ ok: true, value: { totalLength: 4880, fragmentLength: 4096 } });
    // SMC32: the upper halves of x1-x4 are not part of the call.
    expect(decodeMemTransmitArgs(regs(FFA_MEM_SHARE_32, 0xdead_0000_0000_0060n, 0x60, 0x1_0000_0000n, 0), 4096).ok).toBe(true);
    for (const x of [
      regs(FFA_MEM_SHARE_64, 96, 96, 0x4000_0000, 1), // a buffer address: not supported
      regs(FFA_MEM_SHARE_64, 96, 112, 0, 0), // fragment longer than the whole
      regs(FFA_MEM_SHARE_64, 96, 0, 0, 0),
      regs(FFA_MEM_SHARE_64, 8192, 8192, 0, 0), // more than the TX buffer
      regs(FFA_MEM_SHARE_64, 96, 96, 0x1_0000_0000n, 0), // SMC64 reads all of x3
    ]) {
      const r = decodeMemTransmitArgs(x, 4096);
      expect(r.ok ? 'ok' : errorCodeOf(r.error)).toBe(INVALID_PARAMETERS);
    }
  });

  it('RECLAIM and FRAG_TX/RX: handle low word first, the hypervisor\'s endpoint in w4[31:16]', () => {
    expect(decodeReclaimArgs(regs(FFA_MEM_RECLAIM, 5, 0x8000_0000, 1))).toEqual({ handle: 0x8000_0000_0000_0005n, flags: 1 });
    expect(decodeFragArgs(regs(FFA_MEM_FRAG_TX, 5, 0, 784, 0x0003_0000))).toEqual({ handle: 5n, value: 784, endpoint: 3 });
    expect(checkFragArgsReserved(regs(FFA_MEM_FRAG_TX, 5, 0, 784, 0x0003_0000)).ok).toBe(true);
    expect(checkFragArgsReserved(regs(FFA_MEM_FRAG_TX, 5, 0, 784, 1)).ok).toBe(false);
  });
});

describe('relayout', () => {
  it('rewrites a v1.2 transaction for a v1.0 caller and back, keeping what both layouts hold', () => {
    const v12 = sampleShare('v1.2', 2);
    const v10 = relayout(v12, 'v1.0');
    const bytes = encodeTransaction(v10);
    const d = decodeTransaction(bytes, { kind: 'send', version: FFA_VERSION_1_0, totalLength: bytes.length });
    expect(d.ok && d.value.tx).toEqual(v10);
    expect(v10.receivers.map((r) => r.impdef)).toEqual([[0n, 0n], [0n, 0n]]);
    const back = relayout(v10, 'v1.2');
    expect(back.receivers[0]?.compositeOffset).toBe(v12.receivers[0]?.compositeOffset);
    const b12 = encodeTransaction(relayout(v12, 'v1.2'));
    expect(decodeTransaction(b12, { kind: 'send', version: FFA_VERSION_1_2, totalLength: b12.length }).ok).toBe(true);
  });
});

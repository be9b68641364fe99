// The descriptors the partitions and the client write, patched as their
// machine code patches them, pass core/ffa's strict decoder and rules.
import { describe, expect, it } from 'vitest';
import { decodeTransaction } from '../../core/ffa/memory/decode.js';
import { checkRetrieveRequest, checkSend } from '../../core/ffa/memory/rules.js';
import { decodeRelinquish } from '../../core/ffa/memory/relinquish.js';
import { FFA_VERSION_1_1 } from '../../core/ffa/functionIds.js';
import {
  DESC_CONSTITUENT_ADDRESS, DESC_EMAD_PERMISSIONS, DESC_EMAD_RECEIVER, DESC_HANDLE, DESC_SENDER, RELINQUISH_DESC_HANDLE,
  relinquishTemplate, retrieveRequestTemplate, sendTemplate,
} from './descriptors.js';
import { SP1_ID, SP2_ID } from './protocol.js';

const patch = (b: Uint8Array, f: (dv: DataView) => void): Uint8Array => {
  const out = b.slice();
  f(new DataView(out.buffer));
  return out;
};

describe('descriptor templates', () => {
  it('a patched retrieve request decodes and passes the request rules, with instruction access unspecified or NX', () => {
    for (const instr of [0, 1]) {
      const b = patch(retrieveRequestTemplate(SP2_ID), (dv) => {
        dv.setUint16(DESC_SENDER, SP1_ID, true);
        dv.setBigUint64(DESC_HANDLE, 0x1234n, true);
        dv.setUint8(DESC_EMAD_PERMISSIONS, 2 | (instr << 2));
      });
      const d = decodeTransaction(b, { kind: 'retrieve-request', version: FFA_VERSION_1_1, totalLength: b.length });
      expect(d.ok).toBe(true);
      if (!d.ok) return;
      expect(d.value.tx).toMatchObject({ sender: SP1_ID, handle: 0x1234n, receivers: [{ receiver: SP2_ID }] });
      expect(checkRetrieveRequest(d.value.tx, FFA_VERSION_1_1).ok).toBe(true);
    }
  });
  it('patched sends decode and pass the send rules of their operation', () => {
    for (const op of ['share', 'lend', 'donate'] as const) {
      const b = patch(sendTemplate(SP1_ID, op), (dv) => {
        dv.setUint16(DESC_EMAD_RECEIVER, SP2_ID, true);
        dv.setBigUint64(DESC_CONSTITUENT_ADDRESS, 0x0e40_5000n, true);
      });
      const d = decodeTransaction(b, { kind: 'send', version: FFA_VERSION_1_1, totalLength: b.length });
      expect(d.ok, op).toBe(true);
      if (!d.ok) return;
      expect(d.value.tx.composite?.constituents).toEqual([{ address: 0x0e40_5000n, pageCount: 1 }]);
      expect(checkSend(d.value.tx, op).ok, op).toBe(true);
    }
  });
  it('the patched relinquish descriptor decodes', () => {
    const b = patch(relinquishTemplate(SP1_ID), (dv) => dv.setBigUint64(RELINQUISH_DESC_HANDLE, 0x77n, true));
    expect(decodeRelinquish(b)).toMatchObject({ ok: true, value: { handle: 0x77n, flags: 0, endpoints: [SP1_ID] } });
  });
});

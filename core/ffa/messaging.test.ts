import { describe, expect, it } from 'vitest';
import { INVALID_PARAMETERS, NOT_SUPPORTED } from './errors.js';
import {
  FFA_CONSOLE_LOG_32, FFA_CONSOLE_LOG_64, FFA_MSG_SEND_DIRECT_REQ2, FFA_MSG_SEND_DIRECT_REQ_32, FFA_MSG_SEND_DIRECT_RESP_64, FFA_VERSION_1_0,
  FFA_VERSION_1_1, FFA_VERSION_1_2,
} from './functionIds.js';
import { consoleLogMaxChars, decodeConsoleLog, encodeConsoleLog } from './consoleLog.js';
import { decodeDirectMessage, FFA_FRAMEWORK_MSG_BIT } from './directMessage.js';
import { packEndpoints } from './endpoints.js';
import { decodePartitionMessage, encodePartitionMessage, PARTITION_MESSAGE_HEADER_SIZE_V1_1, PARTITION_MESSAGE_HEADER_SIZE_V1_2 } from './partitionMessage.js';
import { errorCodeOf, type Checked } from './result.js';
import { uuidFromText, uuidToText, uuidToX2 } from './uuid.js';

const code = <T>(r: Checked<T>): number | 'ok' => (r.ok ? 'ok' : (errorCodeOf(r.error) as number));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('partition message header (FFA_MSG_SEND2)', () => {
  // Hafnium struct ffa_partition_rxtx_header: flags @0, reserved_1 @4, offset @8, receiver u16 @12, sender u16 @14,
  // size @16; v1.2 reserved_2 @20, uuid @24; FFA_RXTX_HEADER_SIZE_V1_1 = offsetof(reserved_2) = 20, v1.2 size 40.
  it('lays out as Hafnium\'s struct and round-trips in both versions', () => {
    const uuid = uuidFromText('b4b5671e-4a90-4fe1-b81f-fb13dae1dacb') as Uint8Array;
    const m = { sender: 1, receiver: 0x8001, uuid, payload: text('hello') };
    const v11 = encodePartitionMessage(m, FFA_VERSION_1_1);
    const dv = new DataView(v11.buffer);
    expect([dv.getUint32(8, true), dv.getUint16(12, true), dv.getUint16(14, true), dv.getUint32(16, true), v11.length]).toEqual([20, 0x8001, 1, 5, 25]);
    const back = decodePartitionMessage(v11, FFA_VERSION_1_1);
    expect(back.ok && [back.value.sender, back.value.receiver, new TextDecoder().decode(back.value.payload)]).toEqual([1, 0x8001, 'hello']);
    const v12 = encodePartitionMessage(m, FFA_VERSION_1_2);
    expect(v12.length).toBe(PARTITION_MESSAGE_HEADER_SIZE_V1_2 + 5);
    const b12 = decodePartitionMessage(v12, FFA_VERSION_1_2);
    expect(b12.ok && uuidToText(b12.value.uuid)).toBe(uuidToText(uuid));
    expect(PARTITION_MESSAGE_HEADER_SIZE_V1_1).toBe(20);
  });

  it('refuses v1.0, overlapping or oversized payloads; ignores the should-be-zero words', () => {
    const page = new Uint8Array(8192);
    page.set(encodePartitionMessage({ sender: 1, receiver: 2, uuid: new Uint8Array(16), payload: text('x') }, FFA_VERSION_1_2));
    const bad = (f: (dv: DataView) => void, version = FFA_VERSION_1_2): number | 'ok' => {
      const b = page.slice();
      f(new DataView(b.buffer));
      return code(decodePartitionMessage(b, version));
    };
    expect(bad(() => undefined)).toBe('ok');
    expect(bad(() => undefined, FFA_VERSION_1_0)).toBe(NOT_SUPPORTED);
    expect(bad((dv) => { dv.setUint32(0, 1, true); dv.setUint32(4, 1, true); dv.setUint32(20, 1, true); })).toBe('ok');
    expect(bad((dv) => dv.setUint32(8, 20, true))).toBe(INVALID_PARAMETERS); // a v1.1 offset inside a v1.2 header
    expect(bad((dv) => dv.setUint32(16, 4096, true))).toBe(INVALID_PARAMETERS);
    expect(bad((dv) => dv.setUint32(16, 0xffff_fff0, true))).toBe(INVALID_PARAMETERS);
    expect(code(decodePartitionMessage(page.subarray(0, 30), FFA_VERSION_1_2))).toBe(INVALID_PARAMETERS);
  });
});

describe('FFA_CONSOLE_LOG', () => {
  it('unpacks little-endian characters from w2.. or x2..', () => {
    const regs = (fid: number, s: string, wide: boolean): bigint[] => [BigInt(fid), ...encodeConsoleLog(text(s), wide)];
    const r32 = decodeConsoleLog(regs(FFA_CONSOLE_LOG_32, 'SP1: ok\n', false), FFA_VERSION_1_1);
    expect(r32.ok && new TextDecoder().decode(r32.value)).toBe('SP1: ok\n');
    const long = 'x'.repeat(100);
    const r64 = decodeConsoleLog(regs(FFA_CONSOLE_LOG_64, long, true), FFA_VERSION_1_2);
    expect(r64.ok && new TextDecoder().decode(r64.value)).toBe(long);
  });

  it('refuses no characters or more than the registers hold', () => {
    expect([consoleLogMaxChars(FFA_CONSOLE_LOG_32, FFA_VERSION_1_2), consoleLogMaxChars(FFA_CONSOLE_LOG_64, FFA_VERSION_1_1), consoleLogMaxChars(FFA_CONSOLE_LOG_64, FFA_VERSION_1_2)]).toEqual([24, 48, 128]);
    expect(code(decodeConsoleLog([BigInt(FFA_CONSOLE_LOG_32), 0n], FFA_VERSION_1_2))).toBe(INVALID_PARAMETERS);
    expect(code(decodeConsoleLog([BigInt(FFA_CONSOLE_LOG_32), 25n], FFA_VERSION_1_2))).toBe(INVALID_PARAMETERS);
    expect(code(decodeConsoleLog([BigInt(FFA_CONSOLE_LOG_64), 49n], FFA_VERSION_1_1))).toBe(INVALID_PARAMETERS);
  });
});

describe('direct messages', () => {
  it('reads sender and receiver from w1, the payload from w3-w7 (W views for the 32-bit call)', () => {
    const x = [BigInt(FFA_MSG_SEND_DIRECT_REQ_32), BigInt(packEndpoints(1, 0x8001)), 0n, 0xdead_0000_0000_0007n, 8n, 9n, 10n, 11n];
    const r = decodeDirectMessage(x);
    expect(r.ok && r.value).toEqual({ sender: 1, receiver: 0x8001, frameworkType: null, uuid: null, payload: [7n, 8n, 9n, 10n, 11n] });
    const wide = decodeDirectMessage([BigInt(FFA_MSG_SEND_DIRECT_RESP_64), BigInt(packEndpoints(0x8001, 1)), 0n, 0xdead_0000_0000_0007n]);
    expect(wide.ok && wide.value.payload[0]).toBe(0xdead_0000_0000_0007n);
  });

  it('framework messages: bit 31 and a type in bits 7:0, nothing else', () => {
    const w1 = BigInt(packEndpoints(0x8001, 0x8002));
    const fw = decodeDirectMessage([BigInt(FFA_MSG_SEND_DIRECT_REQ_32), w1, BigInt(FFA_FRAMEWORK_MSG_BIT | 8)]);
    expect(fw.ok && fw.value.frameworkType).toBe(8);
    expect(code(decodeDirectMessage([BigInt(FFA_MSG_SEND_DIRECT_REQ_32), w1, BigInt(FFA_FRAMEWORK_MSG_BIT | 0x100)]))).toBe(INVALID_PARAMETERS);
    expect(code(decodeDirectMessage([BigInt(FFA_MSG_SEND_DIRECT_REQ_32), w1, 1n]))).toBe(INVALID_PARAMETERS);
  });

  it('REQ2 addresses a protocol UUID in x2/x3 and carries x4-x17', () => {
    const uuid = uuidFromText('e0786148-e311-f8ea-6b23-0c58eea1ee09') as Uint8Array;
    const [lo, hi] = uuidToX2(uuid);
    const x = [BigInt(FFA_MSG_SEND_DIRECT_REQ2), BigInt(packEndpoints(1, 0x8003)), lo, hi, ...Array.from({ length: 14 }, (_, i) => BigInt(i))];
    const r = decodeDirectMessage(x);
    expect(r.ok && uuidToText(r.value.uuid as Uint8Array)).toBe(uuidToText(uuid));
    expect(r.ok && r.value.payload).toEqual(Array.from({ length: 14 }, (_, i) => BigInt(i)));
  });
});

import { describe, expect, it } from 'vitest';
import { isFfaFid } from '../firmware/smccc.js';
import {
  FFA_CONSOLE_LOG_64, FFA_ERROR, FFA_FUNCTION_IDS, FFA_MEM_LEND_64, FFA_MEM_RETRIEVE_RESP, FFA_MSG_SEND_DIRECT_REQ2, FFA_PARTITION_INFO_GET_REGS,
  FFA_SECONDARY_EP_REGISTER_64, FFA_SUCCESS_64, FFA_VERSION, FFA_VERSION_1_0, FFA_VERSION_1_1, FFA_VERSION_1_2, ffaFunctionName, ffaFunctionSince, ffaVersion,
  ffaVersionIsValid, ffaVersionMajor, ffaVersionMinor, ffaVersionsCompatible, isFfaSmc64,
} from './functionIds.js';

describe('FF-A function identifiers', () => {
  it('match the values Hafnium (inc/vmapi/hf/ffa.h) and Linux (arm_ffa.h) use', () => {
    // A sample checked against both headers by hand.
    expect(FFA_ERROR).toBe(0x8400_0060);
    expect(FFA_SUCCESS_64).toBe(0xc400_0061);
    expect(FFA_VERSION).toBe(0x8400_0063);
    expect(FFA_MEM_LEND_64).toBe(0xc400_0072);
    expect(FFA_MEM_RETRIEVE_RESP).toBe(0x8400_0075);
    expect(FFA_SECONDARY_EP_REGISTER_64).toBe(0xc400_0087);
    expect(FFA_CONSOLE_LOG_64).toBe(0xc400_008a);
    expect(FFA_PARTITION_INFO_GET_REGS).toBe(0xc400_008b);
    expect(FFA_MSG_SEND_DIRECT_REQ2).toBe(0xc400_008d);
  });

  it('are all distinct FF-A SMCCC fast calls whose name says their width', () => {
    const ids = FFA_FUNCTION_IDS.map(([, id]) => id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [name, id] of FFA_FUNCTION_IDS) {
      expect(isFfaFid(id), name).toBe(true);
      if (name.endsWith('_64')) expect(isFfaSmc64(id), name).toBe(true);
      if (name.endsWith('_32')) expect(isFfaSmc64(id), name).toBe(false);
      expect(ffaFunctionName(id)).toBe(name);
    }
    expect(FFA_FUNCTION_IDS.length).toBe(60);
  });

  it('names unknown identifiers null', () => {
    expect(ffaFunctionName(0x8400_0000)).toBeNull();
    expect(ffaFunctionName(0x8400_008f)).toBeNull();
    expect(ffaFunctionName(-1)).toBeNull();
  });

  it('give the version that introduced each function (FFA_FEATURES answers for the caller\'s version)', () => {
    expect(ffaFunctionSince(FFA_MEM_LEND_64)).toBe(FFA_VERSION_1_0);
    expect(ffaFunctionSince(FFA_SECONDARY_EP_REGISTER_64)).toBe(FFA_VERSION_1_1);
    for (const f of [FFA_PARTITION_INFO_GET_REGS, FFA_MSG_SEND_DIRECT_REQ2, FFA_CONSOLE_LOG_64]) expect(ffaFunctionSince(f)).toBe(FFA_VERSION_1_2);
  });
});

describe('FFA_VERSION encoding', () => {
  it('packs major in 30:16 and minor in 15:0', () => {
    expect(FFA_VERSION_1_0).toBe(0x10000);
    expect(ffaVersion(1, 2)).toBe(FFA_VERSION_1_2);
    expect(ffaVersionMajor(0x7fff_ffff)).toBe(0x7fff);
    expect(ffaVersionMinor(FFA_VERSION_1_1)).toBe(1);
  });

  it('refuses bit 31 and checks compatibility as §13.2.1 does', () => {
    expect(ffaVersionIsValid(0x8001_0001)).toBe(false);
    expect(ffaVersionIsValid(FFA_VERSION_1_1)).toBe(true);
    expect(ffaVersionsCompatible(FFA_VERSION_1_0, FFA_VERSION_1_1)).toBe(true);
    expect(ffaVersionsCompatible(FFA_VERSION_1_2, FFA_VERSION_1_1)).toBe(false);
    expect(ffaVersionsCompatible(ffaVersion(2, 0), FFA_VERSION_1_2)).toBe(false);
  });
});

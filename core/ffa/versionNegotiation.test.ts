import { describe, expect, it } from 'vitest';
import { FFA_VERSION_1_0, FFA_VERSION_1_1, FFA_VERSION_1_2, ffaVersion } from './functionIds.js';
import { negotiateFfaVersion } from './versionNegotiation.js';

describe('FFA_VERSION negotiation', () => {
  it('answers the implemented version; the caller works at the lower minor', () => {
    expect(negotiateFfaVersion(FFA_VERSION_1_2, FFA_VERSION_1_1)).toMatchObject({ callerVersion: FFA_VERSION_1_1 });
    expect(negotiateFfaVersion(FFA_VERSION_1_2, FFA_VERSION_1_1).answer.x[0]).toBe(BigInt(FFA_VERSION_1_1));
    expect(negotiateFfaVersion(FFA_VERSION_1_0, FFA_VERSION_1_1)).toMatchObject({ callerVersion: FFA_VERSION_1_0 });
  });

  it('refuses bit 31, another major version, and a change once fixed, with -1 in all of x0', () => {
    for (const o of [
      negotiateFfaVersion(0x8001_0001, FFA_VERSION_1_1),
      negotiateFfaVersion(ffaVersion(2, 0), FFA_VERSION_1_1),
      negotiateFfaVersion(ffaVersion(0, 9), FFA_VERSION_1_1),
      negotiateFfaVersion(FFA_VERSION_1_0, FFA_VERSION_1_1, FFA_VERSION_1_1),
    ]) {
      expect(o.callerVersion).toBeNull();
      expect(o.answer.x[0]).toBe(0xffff_ffff_ffff_ffffn);
      expect(o.answer.reason).not.toBe('');
    }
    expect(negotiateFfaVersion(FFA_VERSION_1_1, FFA_VERSION_1_1, FFA_VERSION_1_1).callerVersion).toBe(FFA_VERSION_1_1);
  });
});

// FFA_VERSION between a caller and an implementation (FF-A v1.1 §13.2.1):
// bit 31 of the requested version MBZ; a different major version is
// incompatible (NOT_SUPPORTED, -1 in all of x0, which Linux's driver checks);
// otherwise the implementation answers its own version and the caller
// works at the lower of the two (Linux downgrades to the firmware's minor;
// a firmware newer than the caller serves the caller's minor). Once the
// caller has made other FF-A calls its version is fixed (Hafnium
// ffa_version_negotiated): asking again for another version is refused.
import { ffaVersionAnswer, ffaVersionNotSupported, type FfaResult } from './result.js';
import { ffaVersionIsValid, ffaVersionMajor, ffaVersionMinor, ffaVersionText } from './functionIds.js';

export interface VersionOutcome {
  answer: FfaResult;
  /** The version the caller works at from now on, or null when refused. */
  callerVersion: number | null;
}

/**
 * `requested` is w1 of the call; `implemented` the Relayer's version;
 * `fixed` the caller's version when other calls have already fixed it.
 */
export function negotiateFfaVersion(requested: number, implemented: number, fixed: number | null = null): VersionOutcome {
  const refuse = (reason: string): VersionOutcome => ({ answer: ffaVersionNotSupported(reason), callerVersion: null });
  if (!ffaVersionIsValid(requested)) return refuse(`requested version 0x${(requested >>> 0).toString(16)}: bit 31 must be zero`);
  if (ffaVersionMajor(requested) !== ffaVersionMajor(implemented)) return refuse(`v${ffaVersionText(requested)} is incompatible with v${ffaVersionText(implemented)}`);
  const effective = ffaVersionMinor(requested) <= ffaVersionMinor(implemented) ? requested : implemented;
  if (fixed !== null && effective !== fixed) return refuse(`the version is fixed at v${ffaVersionText(fixed)} once other FF-A calls are made`);
  return { answer: ffaVersionAnswer(implemented), callerVersion: effective };
}

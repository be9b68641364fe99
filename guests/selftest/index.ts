// The embedded default guest, assembled on first use and cached.
import { assemble } from '../../core/asm/assembler.js';
import { SELFTEST_LOAD_ADDRESS, selftestSource } from './source.js';

export { SELFTEST_LOAD_ADDRESS, SELFTEST_PARAMS, expectedChecksum, selftestSource, type SelftestSourceOptions } from './source.js';

let cached: Uint8Array | undefined;

/** The self-test as a raw image for `bootKernel` (loaded at SELFTEST_LOAD_ADDRESS). */
export function selftestImage(): Uint8Array {
  if (!cached) cached = assemble(selftestSource(), { baseAddress: SELFTEST_LOAD_ADDRESS }).bytes;
  return cached.slice();
}

/** Marker lines of the report. */
export const SELFTEST_PASS_LINE = 'hvrr self-test: all checks PASS, powering off';
export const SELFTEST_FAIL_MARKER = 'hvrr self-test: FAIL';

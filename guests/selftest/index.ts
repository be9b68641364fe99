// The embedded default guest, assembled on first use and cached.
import { assemble, type AssembleResult } from '../../core/asm/assembler.js';
import { elfExecutable } from '../../core/asm/elf.js';
import { SELFTEST_LOAD_ADDRESS, selftestSource } from './source.js';

export { SELFTEST_LOAD_ADDRESS, SELFTEST_PARAMS, expectedChecksum, selftestSource, type SelftestSourceOptions } from './source.js';

let cached: AssembleResult | undefined;

function assembled(): AssembleResult {
  cached ??= assemble(selftestSource(), { baseAddress: SELFTEST_LOAD_ADDRESS });
  return cached;
}

/** The self-test as a raw image for `bootKernel` (loaded at SELFTEST_LOAD_ADDRESS). */
export function selftestImage(): Uint8Array {
  return assembled().bytes.slice();
}

/** The address of a label of the self-test (for tests that break or watch by symbol). */
export function selftestSymbol(name: string): bigint {
  const l = assembled().labels.find((x) => x.name === name);
  if (!l) throw new Error(`the self-test has no label '${name}'`);
  return l.address;
}

/** The same image as an ELF file with its labels as symbols, for gdb (`hvrr elf selftest`). */
export function selftestElf(): Uint8Array {
  const a = assembled();
  return elfExecutable({ bytes: a.bytes, base: SELFTEST_LOAD_ADDRESS, entry: SELFTEST_LOAD_ADDRESS, labels: a.labels });
}

/** Marker lines of the report. */
export const SELFTEST_PASS_LINE = 'hvrr self-test: all checks PASS, powering off';
export const SELFTEST_FAIL_MARKER = 'hvrr self-test: FAIL';

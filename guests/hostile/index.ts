// Hostile guest and victim images (assembled by core/asm).
import { assemble } from '../../core/asm/assembler.js';
import { LOAD_ADDRESS } from '../conformance/runtime.js';
import { hostileSource, victimSource, type HostileOptions } from './source.js';

export {
  HOSTILE_DONE_LINE,
  HOSTILE_SECRET,
  VICTIM_READY_PREFIX,
  defaultProbes,
  hostileSource,
  victimSource,
  type HostileOptions,
  type HostileProbe,
} from './source.js';

export const HOSTILE_LOAD_ADDRESS = LOAD_ADDRESS;

/** The victim image and the IPA of its secret page. */
export function victimImage(): { bytes: Uint8Array; secretIpa: bigint } {
  const r = assemble(victimSource(), { baseAddress: LOAD_ADDRESS });
  const secretIpa = r.symbols.get('secret_page');
  if (secretIpa === undefined) throw new Error('victim image has no secret_page symbol');
  return { bytes: r.bytes, secretIpa };
}

/** The hostile image; by default it looks for the secret at the victim's IPA offset. */
export function hostileImage(opts: Partial<HostileOptions> = {}): Uint8Array {
  const secretIpa = opts.secretIpa ?? victimImage().secretIpa;
  return assemble(hostileSource({ ...opts, secretIpa }), { baseAddress: LOAD_ADDRESS }).bytes;
}

// The bundled diagnostic guest, assembled by core/asm on first use and cached.
import { assemble } from '../../core/asm/assembler.js';
import { LOAD_ADDRESS } from '../conformance/runtime.js';
import { diagSource, type DiagOptions } from './source.js';

export {
  DIAG_BARE_LINE,
  DIAG_CONSOLE_MESSAGE,
  DIAG_DONE_LINE,
  HVC_DUMP_LOG,
  HVC_GET_HV_ID,
  HVC_GET_STATUS,
  HVC_GUEST_CONSOLE_WRITE,
  HVC_PAUSE,
  HVC_REPORT_EXCEPTION,
  diagSource,
  type DiagOptions,
} from './source.js';

/** Where the raw image is loaded (RAM/IPA base + 0x80000, QEMU -kernel rules). */
export const DIAG_LOAD_ADDRESS = LOAD_ADDRESS;

const cache = new Map<string, Uint8Array>();

/** The diagnostic guest as a raw image for `bootKernel` / a VM (entry at DIAG_LOAD_ADDRESS, x0 = DTB). */
export function diagImage(opts: DiagOptions = {}): Uint8Array {
  const key = opts.pause ? 'pause' : 'plain';
  let img = cache.get(key);
  if (!img) {
    img = assemble(diagSource(opts), { baseAddress: LOAD_ADDRESS }).bytes;
    cache.set(key, img);
  }
  return img.slice();
}

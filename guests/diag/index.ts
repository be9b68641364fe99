// The bundled diagnostic guest, assembled by core/asm on first use and cached.
import { assemble, type AssembleResult } from '../../core/asm/assembler.js';
import { elfExecutable } from '../../core/asm/elf.js';
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

const cache = new Map<string, AssembleResult>();

function assembled(opts: DiagOptions): AssembleResult {
  const key = opts.pause ? 'pause' : 'plain';
  let a = cache.get(key);
  if (!a) {
    a = assemble(diagSource(opts), { baseAddress: LOAD_ADDRESS });
    cache.set(key, a);
  }
  return a;
}

/** The diagnostic guest as a raw image for `bootKernel` / a VM (entry at DIAG_LOAD_ADDRESS, x0 = DTB). */
export function diagImage(opts: DiagOptions = {}): Uint8Array {
  return assembled(opts).bytes.slice();
}

/** The same image as an ELF file with its labels as symbols, for gdb (`hvrr elf diag`). */
export function diagElf(opts: DiagOptions = {}): Uint8Array {
  const a = assembled(opts);
  return elfExecutable({ bytes: a.bytes, base: LOAD_ADDRESS, entry: LOAD_ADDRESS, labels: a.labels });
}

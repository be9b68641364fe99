// The bundled Normal-world FF-A test client as a raw kernel image.
import { elfExecutable } from '../../core/asm/elf.js';
import { assemble } from '../../core/asm/assembler.js';
import { CLIENT_LOAD_ADDRESS, clientSource, type ClientOptions } from './source.js';

export { CLIENT_LOAD_ADDRESS, CLIENT_SUMMARY_PREFIX, INDIRECT_PAYLOAD, clientSource, type ClientOptions } from './source.js';
export { clientChecks, CLIENT_SHARE_AREA, FRAG_PAGES, type ClientCheck } from './checks.js';

/** The client assembled at CLIENT_LOAD_ADDRESS (for bootKernel). */
export function ffaClientImage(opts: ClientOptions = {}): Uint8Array {
  return assemble(clientSource(opts), { baseAddress: CLIENT_LOAD_ADDRESS }).bytes;
}

/** The same as an AArch64 ELF with the assembler's labels as symbols (hvrr elf, for gdb). */
export function ffaClientElf(opts: ClientOptions = {}): Uint8Array {
  const a = assemble(clientSource(opts), { baseAddress: CLIENT_LOAD_ADDRESS });
  return elfExecutable({ bytes: a.bytes, base: CLIENT_LOAD_ADDRESS, entry: CLIENT_LOAD_ADDRESS, labels: a.labels });
}

// The bundled Normal-world FF-A test client as a raw kernel image.
import { assemble } from '../../core/asm/assembler.js';
import { CLIENT_LOAD_ADDRESS, clientSource, type ClientOptions } from './source.js';

export { CLIENT_LOAD_ADDRESS, CLIENT_SUMMARY_PREFIX, INDIRECT_PAYLOAD, clientSource, type ClientOptions } from './source.js';
export { clientChecks, CLIENT_SHARE_AREA, FRAG_PAGES, type ClientCheck } from './checks.js';

/** The client assembled at CLIENT_LOAD_ADDRESS (for bootKernel). */
export function ffaClientImage(opts: ClientOptions = {}): Uint8Array {
  return assemble(clientSource(opts), { baseAddress: CLIENT_LOAD_ADDRESS }).bytes;
}

// FFA_FEATURES' argument (FF-A v1.1): w1 is a function ID when bit 31 is
// set, else a feature ID (bits 30:8 MBZ; NPI, SRI, MEI in functionIds.ts).
// w2 carries input properties: none are defined for feature IDs (a non-zero
// w2 is NOT_SUPPORTED, as Hafnium answers); for FFA_MEM_RETRIEVE_REQ bit 1
// says the caller handles the NS bit, which the Relayer judges.
import { NOT_SUPPORTED } from './errors.js';
import { accept, reject, type Checked } from './result.js';

export type FeaturesQuery = { kind: 'function'; fid: number; inputProperties: number } | { kind: 'feature'; id: number };

export const FFA_FEATURES_MEM_RETRIEVE_REQ_NS_BIT = 1 << 1;

export function decodeFeaturesArgs(x: readonly bigint[]): Checked<FeaturesQuery> {
  const w1 = Number((x[1] ?? 0n) & 0xffff_ffffn);
  const w2 = Number((x[2] ?? 0n) & 0xffff_ffffn);
  if ((w1 & 0x8000_0000) !== 0) return accept({ kind: 'function', fid: w1, inputProperties: w2 });
  if ((w1 & 0x7fff_ff00) !== 0) return reject(NOT_SUPPORTED, `feature ID 0x${w1.toString(16)}: bits 30:8 must be zero`);
  if (w2 !== 0) return reject(NOT_SUPPORTED, 'no input properties are defined for a feature ID');
  return accept({ kind: 'feature', id: w1 });
}

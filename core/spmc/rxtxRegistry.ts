// The RX/TX buffer pairs the SPMC knows (FF-A v1.1 §7.2 "RX/TX buffer
// management", Hafnium's `struct mailbox`): one pair per endpoint (a
// partition, or the Normal world's endpoint that mapped its own), at
// physical addresses the SPMC resolved when the pair was mapped, with the
// RX buffer's ownership:
//   'empty'            the producer (the SPMC) owns it and may write
//   'full'             written for the receiver, which owns it until FFA_RX_RELEASE
//   'other-world-owned' the hypervisor took it with FFA_RX_ACQUIRE (Hafnium
//                      MAILBOX_STATE_OTHER_WORLD_OWNED) until it releases it
// Pure data and rules; the SPMC checks the addresses against the caller's
// translation before it registers a pair. FFA_RX_RELEASE and FFA_RX_ACQUIRE
// change the RX state through mailbox.ts (helper B's rules) and the port.
import { DENIED, INVALID_PARAMETERS } from '../ffa/errors.js';
import { ffaError, type FfaResult } from '../ffa/result.js';

export type RxState = 'empty' | 'full' | 'other-world-owned';

export interface RxtxPair {
  endpoint: number;
  /** Physical addresses (hex): TX, RX; Non-secure PA space for a Normal-world endpoint. */
  txPa: string;
  rxPa: string;
  /** The caller's addresses as it gave them (IPA for a partition), hex. */
  txIpa: string;
  rxIpa: string;
  pageCount: number;
  nonSecure: boolean;
  rx: RxState;
}

/** The most pages per buffer (FFA_FEATURES of FFA_RXTX_MAP says the minimum, 4 KiB; Hafnium HF_MAILBOX_SIZE allows 1 page, we allow more). */
export const RXTX_MAX_PAGES = 16;

export type RegistryAnswer = { ok: true } | { ok: false; error: FfaResult };
const refuse = (code: typeof DENIED | typeof INVALID_PARAMETERS, why: string): RegistryAnswer => ({ ok: false, error: ffaError(code, why) });

export function findPair(pairs: readonly RxtxPair[], endpoint: number): RxtxPair | undefined {
  return pairs.find((p) => p.endpoint === endpoint);
}

/** FFA_RXTX_MAP: DENIED when the endpoint already has a pair (Hafnium api_vm_configure_pages), or a buffer overlaps another endpoint's. */
export function registerPair(pairs: RxtxPair[], pair: RxtxPair): RegistryAnswer {
  if (findPair(pairs, pair.endpoint)) return refuse(DENIED, `endpoint 0x${pair.endpoint.toString(16)} already has an RX/TX pair`);
  const size = pair.pageCount * 0x1000;
  for (const p of pairs) {
    if (p.nonSecure !== pair.nonSecure) continue;
    const mine = [Number(pair.txPa), Number(pair.rxPa)];
    const theirs = [Number(p.txPa), Number(p.rxPa)];
    const psize = p.pageCount * 0x1000;
    for (const a of mine) for (const b of theirs) if (a < b + psize && b < a + size) return refuse(DENIED, `a buffer overlaps endpoint 0x${p.endpoint.toString(16)}'s`);
  }
  pairs.push(pair);
  return { ok: true };
}

/** FFA_RXTX_UNMAP: INVALID_PARAMETERS without a pair. */
export function unregisterPair(pairs: RxtxPair[], endpoint: number): RegistryAnswer {
  const i = pairs.findIndex((p) => p.endpoint === endpoint);
  if (i < 0) return refuse(INVALID_PARAMETERS, `no RX/TX pair is registered for endpoint 0x${endpoint.toString(16)}`);
  pairs.splice(i, 1);
  return { ok: true };
}

/** Before the SPMC writes an RX buffer: the pair, or BUSY-style refusal (the caller picks the code). */
export function rxWritable(pairs: readonly RxtxPair[], endpoint: number): RxtxPair | 'no-buffer' | 'busy' {
  const p = findPair(pairs, endpoint);
  if (!p) return 'no-buffer';
  return p.rx === 'empty' ? p : 'busy';
}

// Each VM's RX/TX buffer pair (FF-A v1.1 §7.2 and the FFA_RXTX_MAP,
// FFA_RXTX_UNMAP and FFA_RX_RELEASE ABIs): the IPAs the VM gives are
// translated through its Stage 2 and must be pages of its own RAM that it
// owns exclusively (Hafnium api_vm_configure_pages checks the same); the
// proxy reads the TX buffer and writes the RX buffer by physical address.
// Whatever the proxy reads from a TX buffer is copied first, so the VM's
// other vCPUs cannot change a descriptor between its check and its use.
import { DENIED, INVALID_PARAMETERS } from '../../ffa/errors.js';
import { decodeRxtxMapArgs } from '../../ffa/rxtx.js';
import { ffaError, ffaSuccess32, type FfaResult } from '../../ffa/result.js';
import type { Hv } from '../context.js';
import type { VmState } from '../state.js';
import { pageAt, PAGE_OWNED } from './ownership.js';
import type { VmFfaState, VmRxtx } from './state.js';

/** The most pages a buffer may have (FFA_FEATURES(FFA_RXTX_MAP) says 4 KiB minimum). */
export const RXTX_MAX_PAGES = 16;
const PAGE = 0x1000;

/** The PA of a run of `pageCount` pages at `ipa` the VM owns exclusively with RW access in its own RAM, or -1. */
function ownRun(hv: Hv, vm: VmState, ipa: number, pageCount: number): number {
  if (ipa < vm.ramIpa || ipa + pageCount * PAGE > vm.ramIpa + vm.ramBytes) return -1;
  for (let i = 0; i < pageCount; i++) {
    const p = pageAt(hv, vm, ipa + i * PAGE);
    if (!p || p.state !== PAGE_OWNED || p.s2ap !== 3) return -1;
  }
  return vm.backingPa + (ipa - vm.ramIpa);
}

export function rxtxMap(hv: Hv, vm: VmState, f: VmFfaState, x: readonly bigint[]): FfaResult {
  const args = decodeRxtxMapArgs(x, RXTX_MAX_PAGES);
  if (!args.ok) return args.error;
  if (f.rxtx) return ffaError(DENIED, 'the VM has RX/TX buffers mapped already');
  const { tx, rx, pageCount } = args.value;
  if (tx >= 1n << 32n || rx >= 1n << 32n) return ffaError(INVALID_PARAMETERS, 'a buffer lies outside the VM\'s IPA space');
  const txPa = ownRun(hv, vm, Number(tx), pageCount);
  const rxPa = ownRun(hv, vm, Number(rx), pageCount);
  if (txPa < 0 || rxPa < 0) return ffaError(INVALID_PARAMETERS, `the ${txPa < 0 ? 'TX' : 'RX'} buffer is not memory the VM owns exclusively`);
  f.rxtx = { txIpa: Number(tx), rxIpa: Number(rx), txPa, rxPa, pageCount };
  f.rxFull = false;
  return ffaSuccess32();
}

/** FFA_RXTX_UNMAP: w1[31:16] names the endpoint only when the hypervisor calls for a VM; from a VM it is zero or its own ID. */
export function rxtxUnmap(f: VmFfaState, vmFfaId: number, x: readonly bigint[]): FfaResult {
  const refused = rxtxUnmapRefusal(f, vmFfaId, x);
  if (refused) return refused;
  f.rxtx = null;
  f.rxFull = false;
  return ffaSuccess32();
}

/** FFA_RXTX_UNMAP's checks: the refusal, or null. */
export function rxtxUnmapRefusal(f: VmFfaState, vmFfaId: number, x: readonly bigint[]): FfaResult | null {
  const id = Number((x[1] ?? 0n) >> 16n) & 0xffff;
  if (id !== 0 && id !== vmFfaId) return ffaError(INVALID_PARAMETERS, `w1 names endpoint 0x${id.toString(16)}, not the caller`);
  if (!f.rxtx) return ffaError(INVALID_PARAMETERS, 'the VM has no RX/TX buffers mapped');
  if (f.retrieve) return ffaError(DENIED, 'a retrieve response is being delivered in the RX buffer');
  return null;
}

export function rxRelease(f: VmFfaState): FfaResult {
  if (!f.rxtx) return ffaError(DENIED, 'the VM has no RX buffer');
  if (!f.rxFull) return ffaError(DENIED, 'the RX buffer holds nothing to release');
  f.rxFull = false;
  return ffaSuccess32();
}

export function bufferBytes(b: VmRxtx): number {
  return b.pageCount * PAGE;
}

/** A private copy of the first `length` bytes of the VM's TX buffer. */
export function copyFromTx(hv: Hv, b: VmRxtx, length: number): Uint8Array {
  return hv.m.core.readPhys(b.txPa, length).slice();
}

/** Write a message into the VM's RX buffer (the caller checked it is free) and mark it full. The rest of the
 *  buffer is zeroed, as the SPMC's port does (core/spmc/machinePort.ts): no byte of an earlier, longer message
 *  (a retrieve response's previous fragment, partition information) is left past this one's length. */
export function writeRx(hv: Hv, f: VmFfaState, bytes: Uint8Array): void {
  const all = new Uint8Array(bufferBytes(f.rxtx!));
  all.set(bytes.subarray(0, all.length));
  hv.m.core.writePhys(f.rxtx!.rxPa, all);
  f.rxFull = true;
}

// Guest memory as gdb addresses it: virtual addresses in the selected thread's
// current translation regime (a CPU's, or a vCPU's own: threads.ts) (EL0/EL1: the EL1&0 regime and, when HCR_EL2.VM
// is set, the hypervisor's Stage 2, the walk the TUI uses; EL2/EL3 run with
// their MMU off in hvrr: addresses are physical), or physical addresses
// (`monitor phys on`). Only RAM and secure RAM are reachable; a debugger's
// access never touches device registers, access flags or TLBs.
import type { Machine } from '../../core/machine.js';
import { translateEl1With } from '../../tui/guestMemory.js';
import type { ThreadView } from './threads.js';

/** The physical address of `va` for a thread, or why there is none. */
export function physicalOf(m: Machine, t: ThreadView, va: bigint, physical: boolean): number | string {
  if (physical) return Number(va);
  const el = t.el;
  if (el >= 2) {
    const sctlr = t.get(el === 2 ? 'SCTLR_EL2' : 'SCTLR_EL3');
    if ((sctlr & 1n) !== 0n) return `EL${el} stage 1 translation is not modelled by the debugger`;
    return Number(va & 0x0000_ffff_ffff_ffffn);
  }
  try {
    return translateEl1With(m, (name) => t.get(name), va);
  } catch (e) {
    return (e as Error).message;
  }
}

/** Is [pa, pa + len) RAM or secure RAM? */
function isRam(m: Machine, pa: number, len: number): boolean {
  return m.core.ramOffset(pa, len) >= 0 || m.core.secureRamOffset(pa, len) >= 0;
}

/** The physical pieces of [va, va + len), page by page, or why one is unreachable. */
export function physicalRanges(m: Machine, t: ThreadView, va: bigint, len: number, physical: boolean): { pa: number; len: number; va: bigint }[] | string {
  const out: { pa: number; len: number; va: bigint }[] = [];
  let at = va;
  let left = len;
  while (left > 0) {
    const inPage = Math.min(left, 0x1000 - Number(at & 0xfffn));
    const pa = physicalOf(m, t, at, physical);
    if (typeof pa === 'string') return `0x${at.toString(16)}: ${pa}`;
    if (!isRam(m, pa, inPage)) return `0x${at.toString(16)} (physical 0x${pa.toString(16)}) is not RAM`;
    out.push({ pa, len: inPage, va: at });
    at += BigInt(inPage);
    left -= inPage;
  }
  return out;
}

/** Read up to `len` bytes at `va`; stops at the first unreachable byte (gdb accepts a short read). */
export function readMemory(m: Machine, t: ThreadView, va: bigint, len: number, physical: boolean): Uint8Array | string {
  const chunks: Uint8Array[] = [];
  let at = va;
  let left = len;
  while (left > 0) {
    const inPage = Math.min(left, 0x1000 - Number(at & 0xfffn));
    const r = physicalRanges(m, t, at, inPage, physical);
    if (typeof r === 'string') {
      if (chunks.length === 0) return r;
      break;
    }
    chunks.push(m.core.readPhys(r[0]!.pa, inPage).slice());
    at += BigInt(inPage);
    left -= inPage;
  }
  return Buffer.concat(chunks);
}

/** Write `data` at `va` (live runs only); an error string when any byte is unreachable. */
export function writeMemory(m: Machine, t: ThreadView, va: bigint, data: Uint8Array, physical: boolean): string | null {
  const r = physicalRanges(m, t, va, data.length, physical);
  if (typeof r === 'string') return r;
  let off = 0;
  for (const p of r) {
    m.core.writePhys(p.pa, data.subarray(off, off + p.len));
    off += p.len;
  }
  return null;
}

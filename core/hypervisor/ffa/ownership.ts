// Page ownership in the VMs' Stage-2 tables, as pKVM keeps it: the
// descriptor's software bits [56:55] say what the page is to the VM
// (Arm ARM D8.3.2: bits 58:55 are ignored by the walk, reserved for
// software), S2AP [7:6] what the VM may do with it.
//
// | state | bits | meaning |
// |---|---|---|
// | OWNED | 0 | the VM's own page, in no transaction: RW |
// | SHARED_OWNED | 1 | the VM's page in a SHARE (RW kept) or LEND (S2AP none) |
// | SHARED_BORROWED | 2 | another endpoint's page the VM retrieved: RO or RW as granted |
// | DONATED | 3 | the VM's page in a DONATE nobody retrieved yet: S2AP none |
//
// The ledger (core/spmc/memoryLedger.ts, over physical addresses) decides;
// `projectPages` writes its verdict for each page into every VM's tables. A
// VM sees a page of its own RAM at its RAM IPA, and any other page it owns
// or borrowed in the borrow window at BORROW_IPA_BASE + (PA - RAM_BASE).
import { RAM_BASE } from '../../machine.js';
import type { MemoryLedger } from '../../spmc/memoryLedger.js';
import { hex64 } from '../../trace/events.js';
import type { Hv } from '../context.js';
import { s2Leaf, s2PageDescriptor, s2PageEntry, s2Translate, s2WriteEntry } from '../stage2.js';
import type { VmState } from '../state.js';
import { ffaIdOfVm } from './setup.js';
import type { FfaProxyState } from './state.js';

export const PAGE_OWNED = 0;
export const PAGE_SHARED_OWNED = 1;
export const PAGE_SHARED_BORROWED = 2;
export const PAGE_DONATED = 3;
export type PageState = 0 | 1 | 2 | 3;

/** Where a VM sees memory outside its own RAM that it borrowed or was donated (32-bit IPA space, above any VM's RAM). */
export const BORROW_IPA_BASE = 0x8000_0000;
const PAGE = 0x1000;
const S2AP_NONE = 0;
const S2AP_RO = 1;
const S2AP_RW = 3;

/** The IPA at which `vm` sees the page at `pa`, or -1 when the window cannot hold it. */
export function ipaOfPage(vm: VmState, pa: number): number {
  if (pa >= vm.backingPa && pa < vm.backingPa + vm.ramBytes) return vm.ramIpa + (pa - vm.backingPa);
  const ipa = BORROW_IPA_BASE + (pa - RAM_BASE);
  return pa >= RAM_BASE && ipa + PAGE <= 2 ** 32 && vm.ramIpa + vm.ramBytes <= BORROW_IPA_BASE ? ipa : -1;
}

/** The PA behind `vm`'s IPA, or -1 (not mapped, or mapped with no access and not owned). */
export function paOfIpa(hv: Hv, vm: VmState, ipa: number): number {
  return s2Translate(hv.m.core, vm.s2Root, ipa);
}

/** What `vm`'s Stage 2 says of the page at `ipa`: its state bits, S2AP, and PA; null when unmapped. */
export function pageAt(hv: Hv, vm: VmState, ipa: number): { state: PageState; s2ap: number; pa: number } | null {
  const d = s2Leaf(hv.m.core, vm.s2Root, ipa);
  if (d === 0n) return null;
  const pa = s2Translate(hv.m.core, vm.s2Root, ipa);
  return { state: Number((d >> 55n) & 3n) as PageState, s2ap: Number((d >> 6n) & 3n), pa };
}

/** The page's descriptor for `vm` by the ledger: 0n when the VM has no business with it. */
function wantedDescriptor(ledger: MemoryLedger, rec: FfaProxyState, vm: VmState, pa: number): bigint {
  const id = ffaIdOfVm(vm.id);
  // Retrieved from a partition (spBorrow.ts): what was granted; a donate's pages are the VM's.
  const borrowed = rec.spBorrows.find((x) => x.vm === vm.id && x.pages.includes(pa));
  if (borrowed) return s2PageDescriptor(pa, borrowed.access === 'rw' ? S2AP_RW : S2AP_RO, borrowed.op === 'donate' ? PAGE_OWNED : PAGE_SHARED_BORROWED);
  // Sent to partitions: the lender keeps RW on a share, loses access on a lend or donate.
  const sp = rec.spShares.find((x) => x.vm === vm.id && x.pages.includes(pa));
  if (sp) return s2PageDescriptor(pa, sp.op === 'share' ? S2AP_RW : S2AP_NONE, sp.op === 'donate' ? PAGE_DONATED : PAGE_SHARED_OWNED);
  const owner = ledger.ownerOf(BigInt(pa));
  const access = ledger.accessOf(id, BigInt(pa));
  const s2ap = access === 'rw' ? S2AP_RW : access === 'ro' ? S2AP_RO : S2AP_NONE;
  if (owner === id) {
    const handle = rec.ledger.pages[hex64(pa)]?.handle ?? null;
    const op = handle === null ? null : rec.ledger.transactions.find((t) => t.handle === handle)?.op;
    const state = op === undefined || op === null ? PAGE_OWNED : op === 'donate' ? PAGE_DONATED : PAGE_SHARED_OWNED;
    return s2PageDescriptor(pa, s2ap, state);
  }
  return access === 'none' ? 0n : s2PageDescriptor(pa, s2ap, PAGE_SHARED_BORROWED);
}

/**
 * Write the ledger's verdict on the pages at `pas` into every VM's Stage 2,
 * then invalidate the TLBs of the VMs whose tables changed (every pCPU, as
 * TLBI VMALLS12E1IS would). Returns false when a page cannot be placed in a
 * VM's borrow window (the caller refuses the call before committing).
 */
export function projectPages(hv: Hv, ledger: MemoryLedger, pas: readonly number[]): void {
  const core = hv.m.core;
  const rec = hv.s.ffa;
  for (const vm of hv.s.vms) {
    let changed = false;
    for (const pa of pas) {
      const ipa = ipaOfPage(vm, pa);
      if (ipa < 0) continue;
      const want = wantedDescriptor(ledger, rec, vm, pa);
      const have = s2Leaf(core, vm.s2Root, ipa);
      if (have === want) continue;
      s2WriteEntry(core, s2PageEntry(core, hv.s, vm.s2Root, ipa), want);
      changed = true;
    }
    if (changed) core.invalidateVmid((1 << hv.m.numCpus) - 1, vm.vmid);
  }
}

/** Every page of these constituents (PAs). */
export function pagesOfRanges(ranges: readonly { address: bigint; pageCount: number }[]): number[] {
  const out: number[] = [];
  for (const r of ranges) for (let i = 0; i < r.pageCount; i++) out.push(Number(r.address) + i * PAGE);
  return out;
}

// The invariants `hvrr fuzz ffa --vm` checks after every command
// (commands.ts checks the answers, the pages a call wrote and the RX tail):
// - the proxy's ledger (its record, hv.s.ffa.ledger) has the model's live
//   handles, in order, each complete or not, with the model's borrowers and
//   page records (../ffa/invariants.ts compareLedger; again whenever the
//   record was replaced or the model moved);
// - each VM's RX/TX pair, RX-full flag and retrieve response in delivery
//   are the model's;
// - walking each VM's real Stage-2 tables (from its root in machine RAM)
//   over the pages in play (both VMs' small pages and RX/TX candidates, the
//   big areas' first and last pages, and every page whose model record
//   changed) finds the model's entry: none, or the page's PA with the
//   model's state bits and S2AP (ownership.ts's table).
// refusalDigest() is what a refused call must leave unchanged.
import { pageAt } from '../../core/hypervisor/ffa/ownership.js';
import { hex64 } from '../../core/spmc/transactionRecord.js';
import { compareLedger } from '../ffa/invariants.js';
import type { VmReal } from './commands.js';
import type { VmModel } from './model.js';
import { AREA_PAGES, BIG_PAGES, BUFFER_IPAS, PAGE, VMS, vmIndexOf, type VmWorld } from './world.js';
import { AREA_IPA, BIG_IPA } from './world.js';

/** The proxy's FF-A record as text, `drop` (a send a refused FRAG_TX abandons) left out of its ledger. */
export function refusalDigest(w: VmWorld, drop?: bigint): string {
  const { ledger, ...rest } = w.hv.s.ffa;
  const l = drop === undefined ? ledger : { ...ledger, transactions: ledger.transactions.filter((t) => t.handle !== hex64(drop)) };
  return `${JSON.stringify(rest)}#${JSON.stringify(l)}`;
}

/** The pages every command checks (PAs): each VM's small pages, RX/TX candidates, and its big area's ends. */
function pagesInPlay(w: VmWorld): number[] {
  const out: number[] = [];
  for (const id of VMS) {
    for (let i = 0; i < AREA_PAGES; i++) out.push(w.paOf(id, AREA_IPA + i * PAGE));
    for (const ipa of BUFFER_IPAS) out.push(w.paOf(id, ipa));
    out.push(w.paOf(id, BIG_IPA), w.paOf(id, BIG_IPA + (BIG_PAGES - 1) * PAGE));
  }
  return out;
}

/** The first invariant broken, or null. */
export function checkVmInvariants(m: VmModel, real: VmReal): string | null {
  const w = real.w;
  const rec = w.hv.s.ffa;
  if (rec.ledger !== real.checkedLedger || m.changes !== real.checkedModel) {
    const broken = compareLedger(m, rec.ledger, real.keys);
    if (broken) return `the proxy's ledger: ${broken}`;
    real.checkedLedger = rec.ledger;
    real.checkedModel = m.changes;
  }
  for (const id of VMS) {
    const f = rec.vms[vmIndexOf(id)]!;
    const v = m.vm(id);
    const pair = f.rxtx ? `${f.rxtx.txIpa.toString(16)}/${f.rxtx.rxIpa.toString(16)}` : 'none';
    const want = v.rxtx ? `${v.rxtx.tx.toString(16)}/${v.rxtx.rx.toString(16)}` : 'none';
    if (pair !== want) return `VM ${id}'s RX/TX pair is ${pair}, the model's ${want}`;
    if (f.rxFull !== v.rxFull) return `VM ${id}'s RX buffer is ${f.rxFull ? 'full' : 'free'}, the model says ${v.rxFull ? 'full' : 'free'}`;
    const delivering = f.retrieve?.handle ?? null;
    const wantDelivering = v.delivering === null ? null : hex64(v.delivering);
    if (delivering !== wantDelivering) return `VM ${id} is being delivered the retrieve response of ${delivering ?? 'nothing'}, the model says ${wantDelivering ?? 'nothing'}`;
  }
  const pages = new Set<number>(pagesInPlay(w));
  for (const a of m.dirty) pages.add(Number(a));
  m.dirty.clear();
  for (const id of VMS) {
    const vm = w.hv.s.vms[vmIndexOf(id)]!;
    for (const pa of pages) {
      const ipa = m.ipaOf(id, pa);
      const got = pageAt(w.hv, vm, ipa);
      const want = m.entry(id, pa);
      const text = (e: { state: number; s2ap: number } | null): string => (e ? `state ${e.state} S2AP ${e.s2ap}` : 'no entry');
      if ((got === null) !== (want === null) || (got && want && (got.state !== want.state || got.s2ap !== want.s2ap))) {
        return `VM ${id}'s Stage 2 has ${text(got)} for PA 0x${pa.toString(16)} at IPA 0x${ipa.toString(16)}, the model says ${text(want)}`;
      }
      if (got && got.pa !== pa) return `VM ${id}'s IPA 0x${ipa.toString(16)} maps PA 0x${got.pa.toString(16)}, not 0x${pa.toString(16)}`;
    }
  }
  return null;
}

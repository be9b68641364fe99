// The invariants `hvrr fuzz ffa` checks after every command (commands.ts
// checks the answers themselves, the RX tail and the one TX copy per call):
// - live handles equal the model's, in allocation order, each complete or
//   still being sent as the model says;
// - every borrower holds the access the model says and has fetched its
//   retrieve response as far as the model says;
// - every checked page has the model's owner, and every endpoint the model's
//   access by the ledger (accessOf) and, for partitions, in its Stage-2
//   table (the port's mappings), so no endpoint holds a page it should not;
// - every caller's RX buffer is in the model's state.
// realSnapshot is what a refused call must leave unchanged (commands.ts call).
import { endpointText } from '../../core/ffa/endpoints.js';
import { FFA_DATA_ACCESS_RO } from '../../core/ffa/memory/attributes.js';
import { handleText } from '../../core/ffa/memory/handle.js';
import { hex64 } from '../../core/spmc/transactionRecord.js';
import type { FfaModel } from './model.js';
import { CALLERS, CHECKED_PAGES, ENDPOINTS, PARTITIONS, type RealWorld } from './world.js';

/** The ledger's state and the port's (RX states, tables written, memory zeroed) as text; with
 *  `drop`, as it is once that incomplete send is abandoned. */
export function realSnapshot(w: RealWorld, drop?: bigint): string {
  const st = w.ledger.getState();
  if (drop !== undefined) st.transactions = st.transactions.filter((t) => t.handle !== hex64(drop));
  return JSON.stringify(st) + w.port.snapshot();
}

/** The first invariant broken, or null. */
export function checkInvariants(m: FfaModel, w: RealWorld, touched: readonly bigint[]): string | null {
  const live = w.ledger.handles();
  const want = [...m.txs.keys()];
  if (live.length !== want.length || live.some((h, i) => h !== want[i])) return `live handles ${live.map(handleText).join(' ') || 'none'}, the model's ${want.map(handleText).join(' ') || 'none'}`;
  for (const t of m.txs.values()) {
    const info = w.ledger.transactionInfo(t.handle)!;
    if (info.complete !== (t.pending.length === 0)) return `${handleText(t.handle)} is ${info.complete ? 'complete' : 'incomplete'}, the model says ${t.pending.length} constituents are still to come`;
    for (const b of t.borrowers) {
      const r = info.borrowers.find((x) => x.id === b.id);
      const granted = r?.granted ? (r.granted.dataAccess === FFA_DATA_ACCESS_RO ? 'ro' : 'rw') : null;
      if (granted !== b.granted) return `${endpointText(b.id)} holds ${granted ?? 'nothing'} of ${handleText(t.handle)}, the model says ${b.granted ?? 'nothing'}`;
      if (r && b.granted && (r.deliveredFragments === r.responseFragments) !== (b.fetched === b.total)) return `${endpointText(b.id)}'s retrieve response of ${handleText(t.handle)}: ${r.deliveredFragments} of ${r.responseFragments} fragments, the model has ${b.fetched} of ${b.total} bytes`;
    }
  }
  for (const a of touched.length > 0 ? [...CHECKED_PAGES, ...touched] : CHECKED_PAGES) {
    const owner = w.ledger.ownerOf(a);
    const mine = m.page(a).owner;
    if (owner !== mine) return `page ${hex64(a)} is owned by ${owner === null ? 'nobody' : endpointText(owner)}, the model says ${mine === null ? 'nobody' : endpointText(mine)}`;
    for (const e of ENDPOINTS) {
      const expect = m.access(e, a);
      const got = w.ledger.accessOf(e, a);
      if (got !== expect) return `${endpointText(e)} has ${got} access to page ${hex64(a)} by the ledger, the model says ${expect}`;
    }
    for (const p of PARTITIONS) {
      const expect = m.access(p, a);
      const got = w.port.access(p, a);
      if (got !== expect) return `${endpointText(p)}'s Stage-2 table maps page ${hex64(a)} ${got}, the model says ${expect}`;
    }
  }
  for (const c of CALLERS) {
    const st = w.port.rxState(c);
    if (st !== m.rx.get(c)) return `${endpointText(c)}'s RX buffer is ${st}, the model says ${m.rx.get(c)}`;
  }
  return null;
}

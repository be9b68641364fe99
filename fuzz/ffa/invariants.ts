// The invariants `hvrr fuzz ffa` checks after every command (commands.ts
// checks the answers themselves, the RX tail and the one TX copy per call):
// - live handles equal the model's, in allocation order, each complete or
//   still being sent as the model says;
// - every borrower holds the access the model says and has fetched its
//   retrieve response as far as the model says;
// - every page has the model's owner and transaction: the ledger's page
//   records (the pages whose state differs from their region's) equal the
//   model's, so every page is compared, not a sample (again whenever the
//   ledger wrote its state or a model record changed: otherwise neither
//   side can have moved since they last matched);
// - every partition's Stage-2 mapping of every page whose access or
//   mapping may have changed (its record or a borrower's grant of it
//   changed in the model, its table entry was written) is the model's
//   access (so no partition maps a page it does not hold; the others were
//   checked when they last changed), and the ledger's own answers (ownerOf,
//   accessOf for every endpoint) agree with the model on the pages the
//   command named;
// - every caller's RX buffer is in the model's state.
// stateDigest() is what a refused call must leave unchanged (commands.ts call).
import { endpointText } from '../../core/ffa/endpoints.js';
import { decodePermissions, FFA_DATA_ACCESS_RO } from '../../core/ffa/memory/attributes.js';
import type { DeepReadonly, MemoryLedgerState } from '../../core/spmc/memoryLedger.js';
import { hex64 } from '../../core/spmc/transactionRecord.js';
import type { LedgerModel } from './ledgerModel.js';
import type { FfaModel } from './model.js';
import { CALLERS, ENDPOINTS, PARTITIONS, type RealWorld } from './world.js';

/** The ledger's live state record (no copy: read between calls only). */
export function currentState(w: RealWorld): DeepReadonly<MemoryLedgerState> {
  return w.ledger.peekState();
}

/** Everything a call may change, as text: the ledger's write count (memoryLedger.ts changes(),
 *  plus one for `drop`, the incomplete send a refused FRAG_TX abandons, one write) with its handle
 *  counter and live transactions, and the port's (world.ts snapshot). A refused call must leave it as
 *  it was; counting writes costs nothing where copying or serialising the state cost more than the call. */
export function stateDigest(w: RealWorld, drop?: bigint): string {
  const st = w.ledger.peekState();
  const live = drop === undefined ? st.transactions.length : st.transactions.filter((t) => t.handle !== hex64(drop)).length;
  return `${w.ledger.changes() + (drop === undefined ? 0 : 1)}:${st.nextHandleIndex}:${live}#${w.port.snapshot()}`;
}

const who = (id: number | null): string => (id === null ? 'nobody' : endpointText(id));

/** A page address's or handle's key in the ledger's record (hex64), made once. */
function keyOf(keys: Map<bigint, string>, v: bigint): string {
  let key = keys.get(v);
  if (key === undefined) keys.set(v, (key = hex64(v)));
  return key;
}

/** Every page record of the ledger against the model's (every page not recorded is in its region's state in both). */
function checkPages(m: LedgerModel, keys: Map<bigint, string>, st: DeepReadonly<MemoryLedgerState>): string | null {
  let records = 0;
  for (const _ in st.pages) records++;
  if (records !== m.pages.size) return `the ledger has ${records} pages away from their region's state, the model ${m.pages.size}`;
  for (const [a, p] of m.pages) {
    const key = keyOf(keys, a);
    const r = st.pages[key];
    const handle = p.handle === null ? null : keyOf(keys, p.handle);
    if (!r || r.owner !== p.owner || r.handle !== handle) return `page ${key}: ${r ? `${who(r.owner)}'s, in ${r.handle ?? 'no transaction'}` : 'in its region\'s state'}; the model says ${who(p.owner)}'s, in ${handle ?? 'no transaction'}`;
  }
  return null;
}

/** The first invariant broken, or null. */
export function checkInvariants(m: FfaModel, w: RealWorld, touched: readonly bigint[]): string | null {
  // Handles, borrowers and page records can differ from last time only if the ledger wrote or the model moved.
  if (w.ledger.changes() !== w.checkedWrites || m.changes !== w.checkedModel) {
    const broken = compareLedger(m, currentState(w), w.keys);
    if (broken) return broken;
    w.checkedWrites = w.ledger.changes();
    w.checkedModel = m.changes;
  }
  return checkMappings(m, w, touched);
}

/** A ledger's live handles, borrowers and page records against the model's (`keys`: hex keys made once). */
export function compareLedger(m: LedgerModel, st: DeepReadonly<MemoryLedgerState>, keys: Map<bigint, string>): string | null {
  const want = [...m.txs.values()];
  if (st.transactions.length !== want.length || st.transactions.some((t, i) => t.handle !== keyOf(keys, want[i]!.handle))) {
    return `live handles ${st.transactions.map((t) => t.handle).join(' ') || 'none'}, the model's ${want.map((t) => hex64(t.handle)).join(' ') || 'none'}`;
  }
  for (const [i, t] of want.entries()) {
    const r = st.transactions[i]!;
    if ((r.missingConstituents === 0) !== (t.pending.length === 0)) return `${r.handle} has ${r.missingConstituents} constituents missing, the model ${t.pending.length}`;
    for (const b of t.borrowers) {
      const rb = r.borrowers.find((x) => x.id === b.id);
      const granted = rb && rb.granted !== null ? (decodePermissions(rb.granted).dataAccess === FFA_DATA_ACCESS_RO ? 'ro' : 'rw') : null;
      if (granted !== b.granted) return `${endpointText(b.id)} holds ${granted ?? 'nothing'} of ${r.handle}, the model says ${b.granted ?? 'nothing'}`;
      if (rb && b.granted && (rb.deliveredFragments === rb.responseFragments) !== (b.fetched === b.total)) return `${endpointText(b.id)}'s retrieve response of ${r.handle}: ${rb.deliveredFragments} of ${rb.responseFragments} fragments, the model has ${b.fetched} of ${b.total} bytes`;
    }
  }
  return checkPages(m, keys, st);
}

/** Stage-2 mappings, the ledger's own answers on the pages the command named, and the RX buffers. */
function checkMappings(m: FfaModel, w: RealWorld, touched: readonly bigint[]): string | null {
  // A page's Stage-2 access can differ from last time only if its model record or a borrower's grant
  // of it changed (m.dirty) or a table entry was written (port.dirty): those are checked.
  const stage2 = new Set<bigint>([...m.dirty, ...w.port.dirty, ...touched]);
  m.dirty.clear();
  w.port.dirty.clear();
  for (const a of stage2) {
    for (const p of PARTITIONS) {
      const expect = m.access(p, a);
      const got = w.port.access(p, a);
      if (got !== expect) return `${endpointText(p)}'s Stage-2 table maps page ${hex64(a)} ${got}, the model says ${expect}`;
    }
  }
  for (const a of touched) {
    const owner = w.ledger.ownerOf(a);
    if (owner !== m.page(a).owner) return `ownerOf(${hex64(a)}) is ${who(owner)}, the model says ${who(m.page(a).owner)}`;
    for (const e of ENDPOINTS) {
      const expect = m.access(e, a);
      const got = w.ledger.accessOf(e, a);
      if (got !== expect) return `${endpointText(e)} has ${got} access to page ${hex64(a)} by the ledger, the model says ${expect}`;
    }
  }
  for (const c of CALLERS) {
    const rx = w.port.rxState(c);
    if (rx !== m.rx.get(c)) return `${endpointText(c)}'s RX buffer is ${rx}, the model says ${m.rx.get(c)}`;
  }
  return null;
}

// Timeline filters: 'kind=exception cpu=1', 'vm=0 vcpu=1', 'intid=27,30',
// 'ffa=MEM_SHARE', 'el=2', 'world=s'. Terms are ANDed; the values of one
// term (comma-separated) are ORed. VM and vCPU are those running on the
// event's pCPU when it happened (from the sched events before it).
import { TRACE_KINDS, type TraceEvent, type TraceKind } from '../core/trace/events.js';
import { ffaIds } from './decode.js';

export const FILTER_KEYS = ['kind', 'cpu', 'vm', 'vcpu', 'world', 'el', 'intid', 'ffa'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

/** A parsed filter: plain data, so it can cross to a worker. */
export interface Filter {
  text: string;
  kinds?: TraceKind[];
  cpus?: number[];
  vms?: number[];
  vcpus?: number[];
  worlds?: string[];
  els?: number[];
  intids?: number[];
  ffaFids?: number[];
}

export class FilterError extends Error {}

const KIND_ALIASES: Record<string, TraceKind[]> = {
  irq: ['irq-raise', 'irq-ack', 'irq-eoi'],
  timer: ['timer-program', 'timer-fire'],
  uart: ['uart-out', 'uart-in'],
  exc: ['exception'],
};

function ints(values: string[], key: string, max: number): number[] {
  return values.map((v) => {
    const n = /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < 0 || n > max) throw new FilterError(`${key}=${v}: expected a number from 0 to ${max}`);
    return n;
  });
}

/** Parse 'key=v1,v2 key=v' (a bare word is a kind: 'exception' = 'kind=exception'). */
export function parseFilter(text: string): Filter {
  const f: Filter = { text: text.trim() };
  for (const term of text.trim().split(/\s+/).filter(Boolean)) {
    const eq = term.indexOf('=');
    const key = (eq < 0 ? 'kind' : term.slice(0, eq).toLowerCase()) as FilterKey;
    const values = (eq < 0 ? term : term.slice(eq + 1)).split(',').map((v) => v.trim()).filter(Boolean);
    if (!(FILTER_KEYS as readonly string[]).includes(key)) throw new FilterError(`unknown filter '${key}' (filters: ${FILTER_KEYS.join(', ')})`);
    if (values.length === 0) throw new FilterError(`${key}= needs a value`);
    switch (key) {
      case 'kind': {
        const kinds: TraceKind[] = [];
        for (const v of values.map((x) => x.toLowerCase())) {
          const k = KIND_ALIASES[v] ?? ((TRACE_KINDS as readonly string[]).includes(v) ? [v as TraceKind] : undefined);
          if (!k) throw new FilterError(`unknown kind '${v}' (kinds: ${TRACE_KINDS.join(', ')}; or irq, timer, uart)`);
          kinds.push(...k);
        }
        f.kinds = [...new Set([...(f.kinds ?? []), ...kinds])];
        break;
      }
      case 'cpu': f.cpus = ints(values, key, 63); break;
      case 'vm': f.vms = ints(values, key, 255); break;
      case 'vcpu': f.vcpus = ints(values, key, 255); break;
      case 'el': f.els = ints(values, key, 3); break;
      case 'intid': f.intids = ints(values, key, 1023); break;
      case 'world': {
        for (const v of values) if (!['s', 'ns', 'secure', 'non-secure'].includes(v.toLowerCase())) throw new FilterError(`world=${v}: expected s or ns`);
        f.worlds = values.map((v) => (v.toLowerCase().startsWith('s') ? 's' : 'ns'));
        break;
      }
      case 'ffa': {
        const fids: number[] = [];
        for (const v of values) {
          const ids = ffaIds(v);
          if (!ids) throw new FilterError(`ffa=${v}: unknown FF-A function (e.g. MEM_SHARE, FFA_MSG_SEND_DIRECT_REQ_64, 0x84000073)`);
          fids.push(...ids);
        }
        f.ffaFids = fids;
        break;
      }
    }
  }
  if (f.intids && !f.kinds) f.kinds = ['irq-raise', 'irq-ack', 'irq-eoi'];
  if (f.ffaFids && !f.kinds) f.kinds = ['ffa'];
  return f;
}

/** Does the filter need the running VM/vCPU of each event? */
export function needsSched(f: Filter): boolean {
  return f.vms !== undefined || f.vcpus !== undefined;
}

/** The EL an event is at, where it has one: an exception's target level. */
export function eventEls(e: TraceEvent): number[] {
  return e.kind === 'exception' ? [e.fromEl, e.toEl] : [];
}

/** Does `e` pass `f`? `running` is the VM/vCPU on its pCPU (null: none, the hypervisor or bare metal). */
export function matches(f: Filter, e: TraceEvent, running: { vm: number; vcpu: number } | null): boolean {
  if (f.kinds && !f.kinds.includes(e.kind)) return false;
  if (f.cpus && !f.cpus.includes(e.cpu)) return false;
  if (f.vms && (!running || !f.vms.includes(running.vm))) return false;
  if (f.vcpus && (!running || !f.vcpus.includes(running.vcpu))) return false;
  // An event without a world is Non-secure (trace format 2; all of format 1).
  if (f.worlds && !f.worlds.includes(e.world ?? 'ns')) return false;
  if (f.els && !eventEls(e).some((el) => f.els!.includes(el))) return false;
  if (f.intids && !((e.kind === 'irq-raise' || e.kind === 'irq-ack' || e.kind === 'irq-eoi') && f.intids.includes(e.intid))) return false;
  if (f.ffaFids && !(e.kind === 'ffa' && f.ffaFids.includes(e.fid >>> 0))) return false;
  return true;
}

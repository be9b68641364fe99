// The canonical event rendering (core/trace/events.ts formatEvent) with a
// hook on every field, so a golden can redact a field where it is printed
// without parsing text. Each kind's template below lays its fields out as
// formatEventBody does; `checkTemplate` (called once per kind by the
// redactor, and by render.test.ts over every scenario's events) refuses a
// template that has fallen out of step with formatEvent.
import { formatEvent, NO_CPU, type TraceEvent, type TraceKind } from '../core/trace/events.js';

/** Called with a field's name, its element index (array fields), its raw value
 *  and its canonical rendering; returns the text to print instead. */
export type FieldHook = (field: string, index: number | undefined, raw: unknown, text: string) => string;

const hex = (n: number): string => '0x' + (n >>> 0).toString(16);
const dec = (n: number): string => String(n);
const byteChar = (b: number): string => (b >= 0x20 && b < 0x7f && b !== 0x27 && b !== 0x5c ? " '" + String.fromCharCode(b) + "'" : '');

type Get = (field: string) => unknown;
type Put = (field: string, text: string) => string;

/** A kind's body template: its fields in rendering order and how they print. */
interface Template {
  fields: readonly string[];
  render(get: Get, put: Put, list: (field: string, text?: (v: unknown) => string) => string): string;
}

const num = (get: Get, f: string): number => get(f) as number;
const str = (get: Get, f: string): string => get(f) as string;

const IRQ: Template = {
  fields: ['intid', 'target', 'virt', 'dir'],
  render: (g, p) =>
    'intid=' + p('intid', dec(num(g, 'intid'))) + ' target=' + p('target', dec(num(g, 'target'))) +
    (g('virt') === true ? ' ' + p('virt', 'virt') : '') + (g('dir') === true ? ' ' + p('dir', 'dir') : ''),
};

const UART: Template = {
  fields: ['byte'],
  render: (g, p) => {
    const b = num(g, 'byte');
    const text = hex(b) + byteChar(b);
    return 'byte=' + p('byte', text);
  },
};

const TEMPLATES: Record<TraceKind, Template> = {
  exception: {
    fields: ['n', 'type', 'fromEl', 'toEl', 'ec', 'esr', 'elr', 'far'],
    render: (g, p) =>
      'n=' + p('n', dec(num(g, 'n'))) + ' ' + p('type', str(g, 'type')) + ' el' + p('fromEl', dec(num(g, 'fromEl'))) + '->el' + p('toEl', dec(num(g, 'toEl'))) +
      ' ec=' + p('ec', hex(num(g, 'ec'))) + ' esr=' + p('esr', str(g, 'esr')) + ' elr=' + p('elr', str(g, 'elr')) + ' far=' + p('far', str(g, 'far')),
  },
  'irq-raise': IRQ,
  'irq-ack': IRQ,
  'irq-eoi': IRQ,
  'timer-program': {
    fields: ['timer', 'ctl', 'cval'],
    render: (g, p) => p('timer', str(g, 'timer')) + ' ctl=' + p('ctl', hex(num(g, 'ctl'))) + ' cval=' + p('cval', str(g, 'cval')),
  },
  'timer-fire': {
    fields: ['timer', 'cval'],
    render: (g, p) => p('timer', str(g, 'timer')) + ' cval=' + p('cval', str(g, 'cval')),
  },
  'uart-out': UART,
  'uart-in': UART,
  psci: {
    fields: ['fn', 'args', 'result'],
    render: (g, p, l) => 'fn=' + p('fn', hex(num(g, 'fn'))) + ' args=' + l('args') + ' result=' + p('result', str(g, 'result')),
  },
  halt: {
    fields: ['reason'],
    render: (g, p) => 'reason=' + p('reason', JSON.stringify(str(g, 'reason'))),
  },
  undef: {
    fields: ['insn', 'pc'],
    render: (g, p) => 'insn=' + p('insn', hex(num(g, 'insn'))) + ' pc=' + p('pc', str(g, 'pc')),
  },
  sched: {
    fields: ['vm', 'vcpu', 'dir'],
    render: (g, p) => 'vm=' + p('vm', dec(num(g, 'vm'))) + ' vcpu=' + p('vcpu', dec(num(g, 'vcpu'))) + ' ' + p('dir', str(g, 'dir')),
  },
  ffa: {
    fields: ['dir', 'name', 'fid', 'src', 'dst', 'args', 'of', 'error', 'handle', 'receivers', 'pages'],
    render: (g, p, l) => {
      // Event format 3 fields are optional: a format-2 event renders without them.
      const opt = (f: string, text: (v: unknown) => string): string => (g(f) === undefined ? '' : ' ' + f + '=' + text(g(f)));
      return (g('dir') === undefined ? '' : p('dir', str(g, 'dir')) + ' ' + p('name', (g('name') as string | undefined) ?? hex(num(g, 'fid'))) + ' ') +
        'fid=' + p('fid', hex(num(g, 'fid'))) + ' src=' + p('src', hex(num(g, 'src'))) + ' dst=' + p('dst', hex(num(g, 'dst'))) + ' args=' + l('args') +
        opt('of', (v) => p('of', v as string)) + opt('error', (v) => p('error', v as string)) + opt('handle', (v) => p('handle', v as string)) +
        opt('receivers', () => l('receivers', (v) => hex(v as number))) + opt('pages', (v) => p('pages', dec(v as number)));
    },
  },
  mmio: {
    fields: ['write', 'size', 'pa', 'value'],
    render: (g, p) => p('write', g('write') === true ? 'W' : 'R') + p('size', dec(num(g, 'size'))) + ' pa=' + p('pa', str(g, 'pa')) + ' value=' + p('value', str(g, 'value')),
  },
};

/** Fields every event has, in rendering order (`world` is printed last, ' world=s', on Secure events only). */
export const BASE_FIELDS = ['seq', 'tick', 'cpu', 'world'] as const;

/** The fields a kind renders (after the base fields). */
export function kindFields(kind: TraceKind): readonly string[] {
  return TEMPLATES[kind].fields;
}

const IDENTITY: FieldHook = (_f, _i, _raw, text) => text;

/** The canonical line of `e` with every field passed through `hook`. */
export function renderEvent(e: TraceEvent, hook: FieldHook = IDENTITY): string {
  const fields = e as unknown as Record<string, unknown>;
  const get: Get = (f) => fields[f];
  const put: Put = (f, text) => hook(f, undefined, fields[f], text);
  const list = (f: string, text: (v: unknown) => string = (v) => v as string): string => {
    const a = (fields[f] as unknown[] | undefined) ?? [];
    return '[' + a.map((v, i) => hook(f, i, v, text(v))).join(',') + ']';
  };
  const cpu = e.cpu === NO_CPU ? '-' : dec(e.cpu);
  const line = '#' + put('seq', dec(e.seq)) + ' @' + put('tick', dec(e.tick)) + ' cpu' + put('cpu', cpu) + ' ' + e.kind + ' ' + TEMPLATES[e.kind].render(get, put, list);
  return e.world === 's' ? line + ' world=' + put('world', 's') : line;
}

/** Null when the template of `e`'s kind renders `e` exactly as formatEvent
 *  does, else a message naming the kind and both renderings. */
export function checkTemplate(e: TraceEvent): string | null {
  const mine = renderEvent(e);
  const theirs = formatEvent(e);
  return mine === theirs ? null : `golden/render.ts is out of step with formatEvent for '${e.kind}' events: '${mine}' vs '${theirs}'`;
}

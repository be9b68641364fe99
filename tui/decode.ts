// Decoding events for people: the exception class and ISS of an ESR, PSCI and
// FF-A function names and results, INTIDs of the virt board, and a short
// summary line per event (the timeline's last column) plus every field
// decoded (the detail pane). Shared by the TUI and `hvrr export`.
import { PSCI_FUNCTIONS, sysregKeyOfIss, sysregName } from '../replay/targets.js';
import { formatEventBody, type TraceEvent } from '../core/trace/events.js';

/** ESR_ELx.EC names (ARM ARM D17.2.37, Table D17-4). */
const EC_NAMES: Record<number, string> = {
  0x00: 'unknown reason', 0x01: 'WFI/WFE', 0x03: 'MCR/MRC cp15', 0x04: 'MCRR/MRRC cp15', 0x05: 'MCR/MRC cp14', 0x06: 'LDC/STC cp14',
  0x07: 'SVE/SIMD/FP access', 0x0a: 'LD64B/ST64B', 0x0c: 'MRRC cp14', 0x0d: 'branch target', 0x0e: 'illegal execution state',
  0x11: 'SVC (AArch32)', 0x12: 'HVC (AArch32)', 0x13: 'SMC (AArch32)', 0x15: 'SVC', 0x16: 'HVC', 0x17: 'SMC', 0x18: 'MSR/MRS/system instruction',
  0x19: 'SVE access', 0x1a: 'ERET', 0x1c: 'pointer authentication failure', 0x20: 'instruction abort from a lower EL', 0x21: 'instruction abort',
  0x22: 'PC alignment fault', 0x24: 'data abort from a lower EL', 0x25: 'data abort', 0x26: 'SP alignment fault', 0x28: 'FP exception (AArch32)',
  0x2c: 'FP exception', 0x2f: 'SError', 0x30: 'breakpoint from a lower EL', 0x31: 'breakpoint', 0x32: 'software step from a lower EL',
  0x33: 'software step', 0x34: 'watchpoint from a lower EL', 0x35: 'watchpoint', 0x38: 'BKPT (AArch32)', 0x3c: 'BRK',
};

/** Short EC names for the timeline. */
const EC_SHORT: Record<number, string> = {
  0x00: 'UNKNOWN', 0x01: 'WFx', 0x07: 'FPACC', 0x0e: 'ILLEGAL', 0x15: 'SVC', 0x16: 'HVC', 0x17: 'SMC', 0x18: 'SYSREG', 0x20: 'IABT', 0x21: 'IABT',
  0x22: 'PCALIGN', 0x24: 'DABT', 0x25: 'DABT', 0x26: 'SPALIGN', 0x2c: 'FPEXC', 0x2f: 'SERROR', 0x30: 'BKPT', 0x31: 'BKPT', 0x32: 'STEP', 0x33: 'STEP',
  0x34: 'WATCH', 0x35: 'WATCH', 0x3c: 'BRK',
};

export function ecName(ec: number): string {
  return EC_NAMES[ec] ?? `EC 0x${ec.toString(16)}`;
}

/** Data/instruction fault status codes (ISS DFSC/IFSC, ARM ARM D17.2.40). */
export function faultStatus(fsc: number): string {
  const level = fsc & 3;
  switch (fsc & 0x3c) {
    case 0x00: return `address size fault, level ${level}`;
    case 0x04: return `translation fault, level ${level}`;
    case 0x08: return `access flag fault, level ${level}`;
    case 0x0c: return `permission fault, level ${level}`;
  }
  if (fsc === 0x10) return 'synchronous external abort';
  if (fsc === 0x21) return 'alignment fault';
  if (fsc === 0x30) return 'TLB conflict abort';
  if ((fsc & 0x3c) === 0x14) return `synchronous external abort on a walk, level ${level}`;
  return `fault status 0x${fsc.toString(16)}`;
}

const SIZES = ['byte', 'halfword', 'word', 'doubleword'];

/** The ISS of an ESR, decoded for its EC: one phrase. */
export function decodeIss(ec: number, iss: number): string {
  switch (ec) {
    case 0x01: return iss & 1 ? 'WFE' : 'WFI';
    case 0x15: case 0x16: case 0x17: return `#${iss & 0xffff}`;
    case 0x3c: return `#0x${(iss & 0xffff).toString(16)}`;
    case 0x18: {
      const read = (iss & 1) === 1;
      const rt = (iss >> 5) & 31;
      const name = sysregName(sysregKeyOfIss(iss));
      return read ? `MRS x${rt}, ${name}` : `MSR ${name}, x${rt}`;
    }
    case 0x24: case 0x25: {
      const parts: string[] = [];
      if ((iss >> 24) & 1) {
        const sas = (iss >> 22) & 3;
        parts.push(`${(iss >> 6) & 1 ? 'write' : 'read'} ${SIZES[sas]} ${((iss >> 15) & 1) ? 'x' : 'w'}${(iss >> 16) & 31}`);
      } else {
        parts.push(`${(iss >> 6) & 1 ? 'write' : 'read'} (no syndrome)`);
      }
      parts.push(faultStatus(iss & 0x3f));
      if ((iss >> 10) & 1) parts.push('FAR not valid');
      return parts.join(', ');
    }
    case 0x20: case 0x21: return faultStatus(iss & 0x3f);
    default: return `ISS 0x${iss.toString(16)}`;
  }
}

/** ESR decoded: "data abort from a lower EL: write word w1, translation fault, level 3". */
export function decodeEsr(esr: bigint): { ec: number; il: boolean; iss: number; text: string } {
  const ec = Number((esr >> 26n) & 0x3fn);
  const il = ((esr >> 25n) & 1n) === 1n;
  const iss = Number(esr & 0x1ff_ffffn);
  return { ec, il, iss, text: `${ecName(ec)}: ${decodeIss(ec, iss)}` };
}

const PSCI_NAME = new Map<number, string>();
for (const [name, ids] of PSCI_FUNCTIONS) for (const id of ids) PSCI_NAME.set(id >>> 0, name);

export function psciName(fn: number): string {
  return PSCI_NAME.get(fn >>> 0) ?? `0x${(fn >>> 0).toString(16)}`;
}

/** PSCI return codes (DEN0022 5.2.2). */
const PSCI_RESULTS: Record<string, string> = {
  '-1': 'NOT_SUPPORTED', '-2': 'INVALID_PARAMETERS', '-3': 'DENIED', '-4': 'ALREADY_ON', '-5': 'ON_PENDING',
  '-6': 'INTERNAL_FAILURE', '-7': 'NOT_PRESENT', '-8': 'DISABLED', '-9': 'INVALID_ADDRESS',
};

/** A 64-bit result as a signed PSCI status where it is one ("DENIED"), else hex. */
export function psciResult(fn: number, result: string): string {
  const v = BigInt.asIntN(64, BigInt(result));
  const name = PSCI_RESULTS[v.toString()];
  if (name) return name;
  if (v === 0n && psciName(fn) !== 'VERSION') return 'SUCCESS';
  if (psciName(fn) === 'VERSION' || psciName(fn) === 'SMCCC_VERSION') return `${Number(v >> 16n)}.${Number(v & 0xffffn)}`;
  return result;
}

/** FF-A function ids (DEN0077 v1.2, chapter 13; the numbers Linux's arm_ffa.h uses);
 *  _64 variants have the SMC64 ids (0xc4...). */
const FFA_FUNCTIONS: Record<number, string> = {
  0x60: 'FFA_ERROR', 0x61: 'FFA_SUCCESS', 0x62: 'FFA_INTERRUPT', 0x63: 'FFA_VERSION', 0x64: 'FFA_FEATURES', 0x65: 'FFA_RX_RELEASE',
  0x66: 'FFA_RXTX_MAP', 0x67: 'FFA_RXTX_UNMAP', 0x68: 'FFA_PARTITION_INFO_GET', 0x69: 'FFA_ID_GET', 0x6a: 'FFA_MSG_POLL', 0x6b: 'FFA_MSG_WAIT',
  0x6c: 'FFA_YIELD', 0x6d: 'FFA_RUN', 0x6e: 'FFA_MSG_SEND', 0x6f: 'FFA_MSG_SEND_DIRECT_REQ', 0x70: 'FFA_MSG_SEND_DIRECT_RESP',
  0x71: 'FFA_MEM_DONATE', 0x72: 'FFA_MEM_LEND', 0x73: 'FFA_MEM_SHARE', 0x74: 'FFA_MEM_RETRIEVE_REQ', 0x75: 'FFA_MEM_RETRIEVE_RESP',
  0x76: 'FFA_MEM_RELINQUISH', 0x77: 'FFA_MEM_RECLAIM', 0x78: 'FFA_MEM_OP_PAUSE', 0x79: 'FFA_MEM_OP_RESUME', 0x7a: 'FFA_MEM_FRAG_RX',
  0x7b: 'FFA_MEM_FRAG_TX', 0x7c: 'FFA_NORMAL_WORLD_RESUME', 0x7d: 'FFA_NOTIFICATION_BITMAP_CREATE', 0x7e: 'FFA_NOTIFICATION_BITMAP_DESTROY',
  0x7f: 'FFA_NOTIFICATION_BIND', 0x80: 'FFA_NOTIFICATION_UNBIND', 0x81: 'FFA_NOTIFICATION_SET', 0x82: 'FFA_NOTIFICATION_GET',
  0x83: 'FFA_NOTIFICATION_INFO_GET', 0x84: 'FFA_RX_ACQUIRE', 0x85: 'FFA_SPM_ID_GET', 0x86: 'FFA_MSG_SEND2', 0x87: 'FFA_SECONDARY_EP_REGISTER',
  0x88: 'FFA_MEM_PERM_GET', 0x89: 'FFA_MEM_PERM_SET', 0x8a: 'FFA_CONSOLE_LOG', 0x8b: 'FFA_PARTITION_INFO_GET_REGS', 0x8c: 'FFA_EL3_INTR_HANDLE',
  0x8d: 'FFA_MSG_SEND_DIRECT_REQ2', 0x8e: 'FFA_MSG_SEND_DIRECT_RESP2',
};

/** Is `fid` in the FF-A range (0x84000060..0x840000ff, or its SMC64 twin)? */
export function isFfaFid(fid: number): boolean {
  const u = fid >>> 0;
  return ((u & 0xbfff_ff00) >>> 0) === 0x8400_0000 && (u & 0xff) >= 0x60;
}

/** "FFA_MEM_SHARE_64"; the _32/_64 suffix only for functions that have both. */
export function ffaName(fid: number): string {
  const u = fid >>> 0;
  const name = isFfaFid(u) ? FFA_FUNCTIONS[u & 0xff] : undefined;
  if (!name) return `0x${u.toString(16)}`;
  const both = [0x61, 0x66, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x83, 0x87, 0x88, 0x89, 0x8a].includes(u & 0xff);
  return both ? `${name}_${u & 0x4000_0000 ? '64' : '32'}` : name;
}

/** FF-A function id for a name (with or without FFA_ and the _32/_64 suffix), or
 *  ids for both widths; undefined for an unknown name. */
export function ffaIds(name: string): number[] | undefined {
  const n = name.toUpperCase().replace(/^FFA_/, '');
  const m = /^(.*?)(?:_(32|64))?$/.exec(n)!;
  for (const [low, full] of Object.entries(FFA_FUNCTIONS)) {
    if (full !== `FFA_${m[1]}`) continue;
    const id = 0x8400_0000 | Number(low);
    if (m[2] === '32') return [id >>> 0];
    if (m[2] === '64') return [(id | 0x4000_0000) >>> 0];
    return [id >>> 0, (id | 0x4000_0000) >>> 0];
  }
  if (/^0X[0-9A-F]+$/.test(n)) return [Number.parseInt(n.slice(2), 16) >>> 0];
  return undefined;
}

/** FF-A error codes (DEN0077 Table 13.36). */
export const FFA_ERRORS: Record<number, string> = {
  [-1]: 'NOT_SUPPORTED', [-2]: 'INVALID_PARAMETERS', [-3]: 'NO_MEMORY', [-4]: 'BUSY', [-5]: 'INTERRUPTED',
  [-6]: 'DENIED', [-7]: 'RETRY', [-8]: 'ABORTED', [-9]: 'NO_DATA', [-10]: 'NOT_READY',
};

/** INTIDs of the virt board (GICv3: SGIs 0-15, PPIs 16-31, SPIs 32+). */
export function intidName(intid: number): string {
  const named: Record<number, string> = { 25: 'vGIC maintenance', 26: 'hyp timer', 27: 'virtual timer', 29: 'secure phys timer', 30: 'phys timer', 33: 'UART', 34: 'RTC' };
  if (named[intid]) return named[intid]!;
  if (intid < 16) return `SGI ${intid}`;
  if (intid < 32) return `PPI ${intid}`;
  if (intid >= 1020 && intid <= 1023) return 'special';
  return `SPI ${intid - 32}`;
}

function printable(b: number): string {
  if (b === 0x0a) return '\\n';
  if (b === 0x0d) return '\\r';
  if (b === 0x09) return '\\t';
  return b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
}

/** A data/instruction abort for the timeline: "W4 w0 far=0x9000000 transl L3"
 *  (a write of 4 bytes from w0; the address first, it matters most). */
function abortShort(ec: number, iss: number, far: string): string {
  const fsc = iss & 0x3f;
  const fault = (fsc & 0x3c) === 0x04 ? `transl L${fsc & 3}` : (fsc & 0x3c) === 0x0c ? `perm L${fsc & 3}` : (fsc & 0x3c) === 0x08 ? `AF L${fsc & 3}` : faultStatus(fsc);
  if (ec === 0x20 || ec === 0x21) return `far=${far} ${fault}`;
  const rw = (iss >> 6) & 1 ? 'W' : 'R';
  if (!((iss >> 24) & 1)) return `${rw} far=${far} ${fault}`;
  return `${rw}${1 << ((iss >> 22) & 3)} ${((iss >> 15) & 1) ? 'x' : 'w'}${(iss >> 16) & 31} far=${far} ${fault}`;
}

/** The timeline's summary of one event: "n=6 DABT W1 w0 far=0x9000000 transl L1 elr=0x40080868". */
export function summary(e: TraceEvent): string {
  switch (e.kind) {
    case 'exception': {
      if (e.type !== 'sync') return `n=${e.n} ${e.type.toUpperCase()} elr=${e.elr}`;
      const d = decodeEsr(BigInt(e.esr));
      const short = EC_SHORT[d.ec] ?? `EC${d.ec.toString(16)}`;
      const abort = d.ec === 0x24 || d.ec === 0x25 || d.ec === 0x20 || d.ec === 0x21;
      const what = abort ? abortShort(d.ec, d.iss, e.far) : decodeIss(d.ec, d.iss);
      // The ELs are the timeline's own column.
      return `n=${e.n} ${short} ${what} elr=${e.elr}`;
    }
    case 'irq-raise': case 'irq-ack': case 'irq-eoi':
      return `${e.kind.slice(4)} ${e.intid} (${intidName(e.intid)})${e.virt ? ' virt' : ''}${e.dir ? ' DIR' : ''}${e.target >= 0 ? ` -> cpu${e.target}` : ''}`;
    case 'timer-program': return `${e.timer} ${e.ctl & 1 ? 'on' : 'off'}${e.ctl & 2 ? ' masked' : ''} cval=${e.cval}`;
    case 'timer-fire': return `${e.timer} fired cval=${e.cval}`;
    case 'uart-out': case 'uart-in': return `'${printable(e.byte)}'`;
    case 'psci': return `${psciName(e.fn)}(${e.args.join(', ')}) = ${psciResult(e.fn, e.result)}`;
    case 'halt': return e.reason;
    case 'undef': return `undefined insn 0x${(e.insn >>> 0).toString(16).padStart(8, '0')} at ${e.pc}`;
    case 'sched': return `${e.dir === 'in' ? '->' : '<-'} vm${e.vm} vcpu${e.vcpu} ${e.dir}`;
    case 'ffa': return ffaSummary(e);
    case 'mmio': return `${e.write ? 'write' : 'read'}${e.size * 8} ${e.pa} = ${e.value}`;
  }
}

/** An FF-A message in a line: a call "FFA_MEM_SHARE_64 1->0 to 8001 4 pages 0x90 ...", an answer
 *  "FFA_SUCCESS_32 1<-0 handle=0x2 (FFA_MEM_SHARE_64)" or "FFA_ERROR DENIED 8001<-8000 (FFA_MEM_RETRIEVE_REQ_64)";
 *  an event of format 1/2: its function, endpoints and w1..w4. */
function ffaSummary(e: Extract<TraceEvent, { kind: 'ffa' }>): string {
  const name = e.name ?? ffaName(e.fid);
  const hex = (n: number): string => n.toString(16);
  const handle = e.handle !== undefined ? ` handle=${e.handle}` : '';
  if (e.dir === undefined) return `${name} ${hex(e.src)}->${hex(e.dst)} ${e.args.slice(0, 4).join(' ')}`;
  if (e.dir === 'answer') {
    // FFA_VERSION answers with the version itself in w0 (DEN0077 §13.2): "version 1.2".
    const version = e.of === 'FFA_VERSION' && e.error === undefined && (e.fid & 0x8000_0000) === 0 ? `version ${e.fid >>> 16}.${e.fid & 0xffff}` : null;
    const result = version ?? (e.error === undefined ? name : (e.fid & 0xff) === 0x60 ? `FFA_ERROR ${e.error}` : `${name} ${e.error}`);
    return `${result} ${hex(e.dst)}<-${hex(e.src)}${handle}${e.of ? ` (${e.of})` : ''}`;
  }
  const sent = e.receivers !== undefined ? ` to ${e.receivers.map(hex).join(',')}${e.pages !== undefined ? ` ${e.pages} page${e.pages === 1 ? '' : 's'}` : ''}` : '';
  return `${name} ${hex(e.src)}->${hex(e.dst)}${handle}${sent} ${e.args.slice(0, 4).join(' ')}`;
}

/** Every field of `e`, decoded, as label/value pairs (the detail pane). */
export function describeEvent(e: TraceEvent): [string, string][] {
  const out: [string, string][] = [
    ['event', `#${e.seq}`], ['tick', e.tick.toLocaleString('en-US')], ['cpu', e.cpu < 0 ? '- (no PE)' : `cpu${e.cpu}`], ['kind', e.kind],
  ];
  out.push(['world', e.world === 's' ? 'Secure' : 'Non-secure']);
  switch (e.kind) {
    case 'exception': {
      out.push(['number', String(e.n)], ['type', e.type], ['EL', `EL${e.fromEl} -> EL${e.toEl}`]);
      const d = decodeEsr(BigInt(e.esr));
      out.push(['ESR', `${e.esr}  EC=0x${d.ec.toString(16)} IL=${d.il ? 1 : 0} ISS=0x${d.iss.toString(16)}`]);
      if (e.type === 'sync') out.push(['class', ecName(d.ec)], ['syndrome', decodeIss(d.ec, d.iss)]);
      out.push(['ELR', e.elr], ['FAR', e.far]);
      break;
    }
    case 'irq-raise': case 'irq-ack': case 'irq-eoi':
      out.push(['INTID', `${e.intid} (${intidName(e.intid)})`], ['target', e.target < 0 ? 'unrouted' : `cpu${e.target}`]);
      if (e.virt) out.push(['interface', 'virtual CPU interface (ICV_*)']);
      if (e.dir) out.push(['deactivation', 'by DIR (split EOI mode)']);
      break;
    case 'timer-program':
      out.push(['timer', e.timer], ['CTL', `0x${e.ctl.toString(16)} (ENABLE=${e.ctl & 1} IMASK=${(e.ctl >> 1) & 1} ISTATUS=${(e.ctl >> 2) & 1})`], ['CVAL', e.cval]);
      break;
    case 'timer-fire':
      out.push(['timer', e.timer], ['CVAL', e.cval]);
      break;
    case 'uart-out': case 'uart-in':
      out.push(['byte', `0x${e.byte.toString(16)} '${printable(e.byte)}'`]);
      break;
    case 'psci':
      out.push(['function', `${psciName(e.fn)} (0x${(e.fn >>> 0).toString(16)})`], ['arguments', e.args.join(', ') || '(none)'], ['result', `${e.result} (${psciResult(e.fn, e.result)})`]);
      break;
    case 'halt':
      out.push(['reason', e.reason]);
      break;
    case 'undef':
      out.push(['encoding', `0x${(e.insn >>> 0).toString(16).padStart(8, '0')}`], ['PC', e.pc]);
      break;
    case 'sched':
      out.push(['VM', String(e.vm)], ['vCPU', String(e.vcpu)], ['direction', e.dir === 'in' ? 'scheduled in' : 'scheduled out']);
      break;
    case 'ffa':
      out.push(['function', `${e.name ?? ffaName(e.fid)} (0x${(e.fid >>> 0).toString(16)})`]);
      if (e.dir) out.push(['direction', e.dir === 'call' ? 'call' : e.of ? `answer to ${e.of}` : 'answer']);
      out.push(['source', `0x${e.src.toString(16)}`], ['destination', `0x${e.dst.toString(16)}`], ['arguments', e.args.join(', ') || '(none)']);
      if (e.error !== undefined) out.push(['error', e.error]);
      else if ((e.fid & 0xff) === 0x60 && e.args[1] !== undefined) {
        const code = Number(BigInt.asIntN(32, BigInt(e.args[1])));
        out.push(['error', FFA_ERRORS[code] ?? String(code)]);
      }
      if (e.handle !== undefined) out.push(['handle', e.handle]);
      if (e.receivers !== undefined) out.push(['receivers', e.receivers.map((r) => `0x${r.toString(16)}`).join(', ') || '(none)']);
      if (e.pages !== undefined) out.push(['pages', `${e.pages} (${e.pages * 4} KiB)`]);
      break;
    case 'mmio':
      out.push(['access', `${e.write ? 'write' : 'read'} of ${e.size} byte${e.size === 1 ? '' : 's'}`], ['PA', e.pa], ['value', e.value]);
      break;
  }
  out.push(['canonical', formatEventBody(e)]);
  return out;
}

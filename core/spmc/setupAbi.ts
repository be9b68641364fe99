// The setup and discovery ABIs the SPMC answers itself (FF-A v1.1 §13,
// v1.2's additions), as functions of its state and the machine: FFA_VERSION
// per partition, FFA_FEATURES, FFA_PARTITION_INFO_GET(_REGS),
// FFA_RXTX_MAP/UNMAP, FFA_SECONDARY_EP_REGISTER, FFA_CONSOLE_LOG,
// FFA_MEM_PERM_GET/SET. Each answers the caller (an FfaResult, a refusal
// with its reason); none switches the PE. spmc.ts's switch calls them.
import type { Machine } from '../machine.js';
import { SECURE_UART_BASE } from '../machine.js';
import * as F from '../ffa/functionIds.js';
import { BUSY, DENIED, INVALID_PARAMETERS, NOT_SUPPORTED, NO_MEMORY } from '../ffa/errors.js';
import { ffaError, ffaSuccess32, type FfaResult } from '../ffa/result.js';
import { negotiateFfaVersion } from '../ffa/versionNegotiation.js';
import { decodeFeaturesArgs } from '../ffa/features.js';
import { decodeRxtxMapArgs } from '../ffa/rxtx.js';
import { decodeEndpointRxtx } from '../ffa/endpointRxtxDescriptor.js';
import { decodeConsoleLog } from '../ffa/consoleLog.js';
import { decodeMemPermSetArgs } from '../ffa/memPerm.js';
import { isSecureEndpoint } from '../ffa/endpoints.js';
import { uuidEqual, uuidFromText, uuidFromWords, uuidIsNull, uuidFromX2, type FfaUuid } from '../ffa/uuid.js';
import {
  decodePartitionInfoGetFlags, encodePartitionInfo, partitionInfoGetSuccess, partitionInfoRegsAnswer, partitionInfoSize,
  FFA_PARTITION_AARCH64_EXEC, FFA_PARTITION_NOTIFICATION, type PartitionInfo,
} from '../ffa/partitionInfo.js';
import { MESSAGING_DIRECT_REQ2_RECV, MESSAGING_DIRECT_REQ2_SEND, MESSAGING_DIRECT_REQ_RECV, MESSAGING_DIRECT_REQ_SEND } from './manifest.js';
import { registerPair, rxWritable, unregisterPair, RXTX_MAX_PAGES, type RxtxPair } from './rxtxRegistry.js';
import type { PartitionRecord, SpmcState } from './spmcState.js';
import { notificationFeature, NOTIFICATION_CALLS } from './notificationTable.js';
import { NWD_ENDPOINT, partitionHeap } from './machinePort.js';
import { tableMemory } from './partitionLoader.js';
import { PAGE_BYTES } from './secureLayout.js';
import { lookup, mapPages, type S2Access } from './stage2Table.js';

/** Who made a call: the Normal world (through the SPMD) or partition `p`'s context `v`. */
export type Caller = { kind: 'nwd' } | { kind: 'sp'; p: number; v: number };

/** The managed exit virtual interrupt (Hafnium HF_MANAGED_EXIT_INTID), FFA_FEATURES' answer for the MEI feature ID. */
export const MANAGED_EXIT_INTID = 4;

const hex = (v: number | bigint): string => '0x' + v.toString(16);
const w = (x: readonly bigint[], n: number): number => Number((x[n] ?? 0n) & 0xffff_ffffn) >>> 0;
const notSupported = (reason: string): FfaResult => ffaError(NOT_SUPPORTED, reason);

/** Calls each side may make of the SPMC (FFA_FEATURES answers from these). */
const NWD_CALLS: ReadonlySet<number> = new Set([
  F.FFA_FEATURES, F.FFA_RXTX_MAP_32, F.FFA_RXTX_MAP_64, F.FFA_RXTX_UNMAP, F.FFA_RX_RELEASE, F.FFA_RX_ACQUIRE,
  F.FFA_PARTITION_INFO_GET, F.FFA_PARTITION_INFO_GET_REGS, F.FFA_MSG_SEND_DIRECT_REQ_32, F.FFA_MSG_SEND_DIRECT_REQ_64,
  F.FFA_MSG_SEND_DIRECT_REQ2, F.FFA_RUN, F.FFA_VERSION, F.FFA_ID_GET, F.FFA_SPM_ID_GET, F.FFA_MSG_SEND2,
  F.FFA_MEM_DONATE_32, F.FFA_MEM_DONATE_64, F.FFA_MEM_LEND_32, F.FFA_MEM_LEND_64, F.FFA_MEM_SHARE_32, F.FFA_MEM_SHARE_64,
  F.FFA_MEM_RETRIEVE_REQ_32, F.FFA_MEM_RETRIEVE_REQ_64, F.FFA_MEM_RELINQUISH, F.FFA_MEM_RECLAIM, F.FFA_MEM_FRAG_RX, F.FFA_MEM_FRAG_TX,
  ...NOTIFICATION_CALLS,
]);
const SP_CALLS: ReadonlySet<number> = new Set([
  F.FFA_ERROR, F.FFA_SUCCESS_32, F.FFA_SUCCESS_64, F.FFA_VERSION, F.FFA_FEATURES, F.FFA_ID_GET, F.FFA_SPM_ID_GET,
  F.FFA_RXTX_MAP_32, F.FFA_RXTX_MAP_64, F.FFA_RXTX_UNMAP, F.FFA_RX_RELEASE, F.FFA_PARTITION_INFO_GET,
  F.FFA_PARTITION_INFO_GET_REGS, F.FFA_MSG_SEND_DIRECT_REQ_32, F.FFA_MSG_SEND_DIRECT_REQ_64, F.FFA_MSG_SEND_DIRECT_REQ2,
  F.FFA_MSG_SEND_DIRECT_RESP_32, F.FFA_MSG_SEND_DIRECT_RESP_64, F.FFA_MSG_SEND_DIRECT_RESP2, F.FFA_MSG_WAIT, F.FFA_YIELD,
  F.FFA_SECONDARY_EP_REGISTER_32, F.FFA_SECONDARY_EP_REGISTER_64, F.FFA_CONSOLE_LOG_32, F.FFA_CONSOLE_LOG_64,
  F.FFA_MEM_PERM_GET_32, F.FFA_MEM_PERM_GET_64, F.FFA_MEM_PERM_SET_32, F.FFA_MEM_PERM_SET_64, F.FFA_MSG_SEND2,
  F.FFA_MEM_DONATE_32, F.FFA_MEM_DONATE_64, F.FFA_MEM_LEND_32, F.FFA_MEM_LEND_64, F.FFA_MEM_SHARE_32, F.FFA_MEM_SHARE_64,
  F.FFA_MEM_RETRIEVE_REQ_32, F.FFA_MEM_RETRIEVE_REQ_64, F.FFA_MEM_RELINQUISH, F.FFA_MEM_RECLAIM, F.FFA_MEM_FRAG_RX, F.FFA_MEM_FRAG_TX,
  F.FFA_NOTIFICATION_BIND, F.FFA_NOTIFICATION_UNBIND, F.FFA_NOTIFICATION_SET, F.FFA_NOTIFICATION_GET,
]);

export function callerVersion(s: SpmcState, caller: Caller): number {
  if (caller.kind === 'sp') return s.partitions[caller.p]!.version ?? s.implemented;
  return s.nwdVersion ?? F.FFA_VERSION_1_1;
}

export function fixVersion(s: SpmcState, caller: Caller): void {
  if (caller.kind === 'sp') s.partitions[caller.p]!.versionFixed = true;
  else if (s.nwdVersion !== null) s.nwdVersionFixed = true;
}

export function versionCall(s: SpmcState, caller: Caller, x: bigint[]): FfaResult {
  if (caller.kind === 'nwd') return notSupported('the Normal world\'s FFA_VERSION comes as an SPMD framework message');
  const p = s.partitions[caller.p]!;
  const out = negotiateFfaVersion(w(x, 1), s.implemented, p.versionFixed ? p.version : null);
  if (out.callerVersion !== null) p.version = out.callerVersion;
  return out.answer;
}

export function featuresCall(s: SpmcState, caller: Caller, x: bigint[]): FfaResult {
  const q = decodeFeaturesArgs(x);
  if (!q.ok) return q.error;
  if (q.value.kind === 'feature') {
    if (q.value.id === F.FFA_FEATURE_MEI) return caller.kind === 'sp' ? ffaSuccess32(0, MANAGED_EXIT_INTID) : notSupported('the managed exit interrupt is for partitions');
    return notificationFeature(q.value.id, caller.kind === 'sp') ?? notSupported(`feature ID ${q.value.id} is not defined`);
  }
  const known = caller.kind === 'sp' ? SP_CALLS : NWD_CALLS;
  if (!known.has(q.value.fid)) return notSupported(`0x${q.value.fid.toString(16)} is not implemented for ${callerText(s, caller)}`);
  const since = F.ffaFunctionSince(q.value.fid);
  if (callerVersion(s, caller) < since) return notSupported(`${F.ffaFunctionName(q.value.fid)} is FF-A ${F.ffaVersionText(since)}, ${callerText(s, caller)} works at ${F.ffaVersionText(callerVersion(s, caller))}`);
  if ((q.value.fid === F.FFA_RXTX_MAP_32 || q.value.fid === F.FFA_RXTX_MAP_64)) return ffaSuccess32(0, 0); // 4 KiB minimum buffer and alignment
  return ffaSuccess32(0, 0);
}

export function partitionInfoList(s: SpmcState, uuid: FfaUuid, version: number): PartitionInfo[] {
  const out: PartitionInfo[] = [];
  for (const p of s.partitions) {
    const uuids = p.uuids.map((t) => uuidFromText(t)!);
    const props = (i: number): number =>
      (p.messaging[i]! & (MESSAGING_DIRECT_REQ_RECV | MESSAGING_DIRECT_REQ_SEND | 0x4 | MESSAGING_DIRECT_REQ2_RECV | MESSAGING_DIRECT_REQ2_SEND)) |
      (p.notificationSupport ? FFA_PARTITION_NOTIFICATION : 0) | (p.aarch64 ? FFA_PARTITION_AARCH64_EXEC : 0);
    if (uuidIsNull(uuid)) {
      // One descriptor per UUID for v1.1+ callers (Hafnium), one per partition for v1.0.
      const n = version <= F.FFA_VERSION_1_0 ? 1 : uuids.length;
      for (let i = 0; i < n; i++) out.push({ id: p.id, executionContexts: p.contexts, properties: props(i), uuid: uuids[i]! });
    } else {
      const i = uuids.findIndex((u) => uuidEqual(u, uuid));
      if (i >= 0) out.push({ id: p.id, executionContexts: p.contexts, properties: props(i), uuid: uuids[i]! });
    }
  }
  return out;
}

export function partitionInfoGet(m: Machine, s: SpmcState, caller: Caller, x: bigint[]): FfaResult {
  const version = callerVersion(s, caller);
  const flags = decodePartitionInfoGetFlags(w(x, 5), version);
  if (!flags.ok) return flags.error;
  const uuid = uuidFromWords([w(x, 1), w(x, 2), w(x, 3), w(x, 4)]);
  const list = partitionInfoList(s, uuid, version);
  if (list.length === 0) return ffaError(INVALID_PARAMETERS, 'no partition has that UUID');
  if (flags.value.countOnly) return partitionInfoGetSuccess(list.length, version, true);
  const pair = rxWritable(s.rxtx, endpointOf(s, caller));
  if (pair === 'no-buffer') return ffaError(BUSY, 'the caller has no RX buffer mapped');
  if (pair === 'busy') return ffaError(BUSY, 'the caller\'s RX buffer is not free (FFA_RX_RELEASE it first)');
  const bytes = encodePartitionInfo(list, version);
  if (bytes.length > pair.pageCount * PAGE_BYTES) return ffaError(NO_MEMORY, `${list.length} descriptors of ${partitionInfoSize(version)} bytes do not fit the RX buffer`);
  m.core.writePhys(Number(pair.rxPa), bytes);
  pair.rx = 'full';
  return partitionInfoGetSuccess(list.length, version, false);
}

export function partitionInfoGetRegs(s: SpmcState, caller: Caller, x: bigint[]): FfaResult {
  if (callerVersion(s, caller) < F.FFA_VERSION_1_2) return notSupported('FFA_PARTITION_INFO_GET_REGS needs FF-A v1.2');
  const uuid = uuidFromX2(x[1] ?? 0n, x[2] ?? 0n);
  const start = w(x, 3) & 0xffff;
  const tag = (w(x, 3) >>> 16) & 0xffff;
  if (tag !== 0) return ffaError(INVALID_PARAMETERS, `tag ${tag}: this SPMC's partition list never changes, so it issues no tags`);
  const list = partitionInfoList(s, uuid, F.FFA_VERSION_1_2);
  if (list.length === 0) return ffaError(INVALID_PARAMETERS, 'no partition has that UUID');
  return partitionInfoRegsAnswer(list, start, 0);
}

export function rxtxMap(m: Machine, s: SpmcState, caller: Caller, x: bigint[]): FfaResult {
  if (caller.kind === 'nwd' && (x[1] ?? 0n) === 0n && (x[2] ?? 0n) === 0n) return rxtxMapForVm(m, s, x);
  const a = decodeRxtxMapArgs(x, RXTX_MAX_PAGES);
  if (!a.ok) return a.error;
  const { tx, rx, pageCount } = a.value;
  const bytes = pageCount * PAGE_BYTES;
  let txPa: number;
  let rxPa: number;
  if (caller.kind === 'nwd') {
    txPa = Number(tx);
    rxPa = Number(rx);
    for (const pa of [txPa, rxPa]) if (!Number.isSafeInteger(pa) || m.core.ramOffset(pa, bytes) < 0) return ffaError(INVALID_PARAMETERS, `buffer ${hex(pa)} is not Normal-world RAM`);
  } else {
    const p = s.partitions[caller.p]!;
    const t = ownedRange(m, s, p, Number(tx), pageCount, { write: false });
    const r = ownedRange(m, s, p, Number(rx), pageCount, { write: true });
    if (t === null || r === null) return ffaError(INVALID_PARAMETERS, 'a buffer is not memory the partition owns and has mapped (TX readable, RX writable)');
    txPa = t;
    rxPa = r;
  }
  const pair: RxtxPair = { endpoint: endpointOf(s, caller), txPa: hex(txPa), rxPa: hex(rxPa), txIpa: hex(tx), rxIpa: hex(rx), pageCount, nonSecure: caller.kind === 'nwd', rx: 'empty' };
  const out = registerPair(s.rxtx, pair);
  return out.ok ? ffaSuccess32() : out.error;
}

/**
 * FFA_RXTX_MAP from the hypervisor for a VM (DEN0077 v1.1 §7.2: addresses and
 * page count zero, the endpoint RX/TX descriptor in the hypervisor's TX
 * buffer; Hafnium ffa_setup_rxtx_map_forward): the VM's pair registered
 * under its ID, so indirect messages reach it and its RX buffer has an
 * owner (rxtxRegistry.ts). No hypervisor pair, a bad descriptor, an ID that
 * is not a VM's: INVALID_PARAMETERS.
 */
function rxtxMapForVm(m: Machine, s: SpmcState, x: bigint[]): FfaResult {
  const hvPair = s.rxtx.find((p) => p.endpoint === NWD_ENDPOINT);
  if (!hvPair) return ffaError(INVALID_PARAMETERS, 'a VM\'s buffers are mapped through the hypervisor\'s TX buffer: the hypervisor has none mapped');
  if (w(x, 3) !== 0) return ffaError(INVALID_PARAMETERS, 'the page count is in the endpoint RX/TX descriptor: w3 must be zero');
  const d = decodeEndpointRxtx(m.core.readPhys(Number(hvPair.txPa), hvPair.pageCount * PAGE_BYTES).slice());
  if (!d.ok) return d.error;
  const { endpoint, tx, rx, pageCount } = d.value;
  if (endpoint === NWD_ENDPOINT || isSecureEndpoint(endpoint)) return ffaError(INVALID_PARAMETERS, `endpoint 0x${endpoint.toString(16)} is not a VM`);
  const a = decodeRxtxMapArgs([BigInt(F.FFA_RXTX_MAP_64), tx, rx, BigInt(pageCount)], RXTX_MAX_PAGES);
  if (!a.ok) return a.error;
  const bytes = pageCount * PAGE_BYTES;
  for (const pa of [tx, rx]) if (pa > BigInt(Number.MAX_SAFE_INTEGER) || m.core.ramOffset(Number(pa), bytes) < 0) return ffaError(INVALID_PARAMETERS, `buffer ${hex(pa)} is not Normal-world RAM`);
  const pair: RxtxPair = { endpoint, txPa: hex(tx), rxPa: hex(rx), txIpa: hex(tx), rxIpa: hex(rx), pageCount, nonSecure: true, rx: 'empty' };
  const out = registerPair(s.rxtx, pair);
  return out.ok ? ffaSuccess32() : out.error;
}

export function rxtxUnmap(s: SpmcState, caller: Caller, x: bigint[]): FfaResult {
  const id = (w(x, 1) >>> 16) & 0xffff;
  if (caller.kind === 'sp' && id !== 0) return ffaError(INVALID_PARAMETERS, 'w1 must be zero at a partition\'s FF-A instance');
  if (caller.kind === 'nwd' && isSecureEndpoint(id)) return ffaError(INVALID_PARAMETERS, `0x${id.toString(16)} is not a Normal-world endpoint`);
  const out = unregisterPair(s.rxtx, caller.kind === 'sp' ? endpointOf(s, caller) : id);
  return out.ok ? ffaSuccess32() : out.error;
}

/** The PA of `pages` pages at IPA `ipa` the partition owns and has mapped (writable when asked), contiguous; else null. */
export function ownedRange(m: Machine, s: SpmcState, p: PartitionRecord, ipa: number, pages: number, want: { write: boolean }): number | null {
  if (!Number.isSafeInteger(ipa)) return null;
  const end = ipa + pages * PAGE_BYTES;
  if (!p.ownedSecure.some((r) => ipa >= Number(r.base) && end <= Number(r.base) + r.bytes)) return null;
  const mem = tableMemory(m);
  let first: number | null = null;
  for (let i = 0; i < pages; i++) {
    const e = lookup(mem, partitionHeap(m, s), Number(p.s2Secure), ipa + i * PAGE_BYTES);
    if (e === null || !e.read || (want.write && !e.write) || e.device) return null;
    if (first === null) first = e.pa;
    else if (e.pa !== first + i * PAGE_BYTES) return null;
  }
  return first;
}

export function secondaryEpRegister(s: SpmcState, caller: Caller, x: bigint[], fid: number): FfaResult {
  if (caller.kind === 'nwd') return notSupported('FFA_SECONDARY_EP_REGISTER is a partition\'s call here');
  const p = s.partitions[caller.p]!;
  if (p.vcpus[caller.v]!.model !== 'init') return ffaError(DENIED, 'FFA_SECONDARY_EP_REGISTER is allowed during initialisation only');
  const entry = fid === F.FFA_SECONDARY_EP_REGISTER_32 ? x[1]! & 0xffff_ffffn : x[1]!;
  const base = BigInt(p.imageBase);
  if (entry % 4n !== 0n || entry < base || entry >= base + BigInt(p.imageBytes)) return ffaError(INVALID_PARAMETERS, `entry ${hex(entry)} is not inside the partition's image`);
  p.secondaryEntry = hex(entry);
  return ffaSuccess32();
}


export function consoleLog(m: Machine, cpu: number, s: SpmcState, caller: Caller, x: bigint[], lines: string[]): FfaResult {
  if (caller.kind === 'nwd') return notSupported('FFA_CONSOLE_LOG is a partition\'s call');
  const p = s.partitions[caller.p]!;
  const d = decodeConsoleLog(x, callerVersion(s, caller));
  if (!d.ok) return d.error;
  for (const b of d.value) {
    if (b === 0x0a || p.consoleLine.length >= 256) {
      consoleWrite(m, cpu, `[${hex(p.id)}] ${p.consoleLine}`, lines);
      p.consoleLine = '';
      if (b === 0x0a) continue;
    }
    if (b !== 0x0d) p.consoleLine += String.fromCharCode(b);
  }
  return ffaSuccess32();
}

export function consoleWrite(m: Machine, cpu: number, line: string, lines: string[]): void {
  lines.push(line);
  for (const ch of line + '\n') m.bus.write(SECURE_UART_BASE, 1, BigInt(ch.charCodeAt(0) & 0xff), cpu, true);
}


export function memPermGet(m: Machine, s: SpmcState, caller: Caller, x: bigint[]): FfaResult {
  if (caller.kind === 'nwd') return notSupported('FFA_MEM_PERM_GET is a partition\'s call');
  const p = s.partitions[caller.p]!;
  if (p.vcpus[caller.v]!.model !== 'init') return ffaError(DENIED, 'FFA_MEM_PERM_GET is allowed during initialisation only');
  const base = x[1]!;
  if (base % 4096n !== 0n || base > BigInt(Number.MAX_SAFE_INTEGER)) return ffaError(INVALID_PARAMETERS, `base ${hex(base)} is not 4 KiB aligned`);
  if (ownedRange(m, s, p, Number(base), 1, { write: false }) === null) return ffaError(INVALID_PARAMETERS, `${hex(base)} is not memory the partition owns`);
  const e = lookup(tableMemory(m), partitionHeap(m, s), Number(p.s2Secure), Number(base))!;
  return ffaSuccess32(0, (e.write ? 1 : 3) | (e.execute ? 0 : 4));
}

export function memPermSet(m: Machine, s: SpmcState, caller: Caller, x: bigint[]): FfaResult {
  if (caller.kind === 'nwd') return notSupported('FFA_MEM_PERM_SET is a partition\'s call');
  const p = s.partitions[caller.p]!;
  if (p.vcpus[caller.v]!.model !== 'init') return ffaError(DENIED, 'FFA_MEM_PERM_SET is allowed during initialisation only');
  const a = decodeMemPermSetArgs(x);
  if (!a.ok) return a.error;
  const { base, pageCount, permission } = a.value;
  if (base > BigInt(Number.MAX_SAFE_INTEGER) || ownedRange(m, s, p, Number(base), pageCount, { write: false }) === null) return ffaError(INVALID_PARAMETERS, `[${hex(base)}, +${pageCount} pages) is not memory the partition owns`);
  const acc: S2Access = { read: true, write: permission === 'RW', execute: permission === 'RX', device: false };
  const mem = tableMemory(m);
  for (let i = 0; i < pageCount; i++) {
    const ipa = Number(base) + i * PAGE_BYTES;
    const e = lookup(mem, partitionHeap(m, s), Number(p.s2Secure), ipa)!;
    mapPages(mem, partitionHeap(m, s), Number(p.s2Secure), ipa, e.pa, 1, acc);
  }
  m.core.invalidateVmid((1 << m.numCpus) - 1, -1, true); // every PE's Secure EL1&0 TLBs
  return ffaSuccess32();
}

/** The endpoint a caller is: a partition's ID, or the Normal world's (0). */
export function endpointOf(s: SpmcState, caller: Caller): number {
  return caller.kind === 'sp' ? s.partitions[caller.p]!.id : NWD_ENDPOINT;
}

export function callerText(s: SpmcState, caller: Caller): string {
  return caller.kind === 'nwd' ? 'the Normal world' : `partition 0x${s.partitions[caller.p]!.id.toString(16)}`;
}

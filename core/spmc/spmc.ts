// The SPMC: TypeScript software at Secure EL2 (Hafnium's role), acting only
// through architectural state. It is entered two ways:
// - from EL3 (`resume`): the SPMD's cold or secondary boot, or a message in
//   x0-x17 (a Normal-world FF-A call the SPMD relays, an SPMD framework
//   message, FFA_INTERRUPT for a Secure interrupt that preempted the
//   Normal world);
// - from a partition at Secure EL1 (`handle`): its FF-A calls (SMC trapped
//   with HCR_EL2.TSC), HF_INTERRUPT_GET (HVC), interrupts routed to EL2
//   (HCR_EL2.IMO/FMO), and aborts.
// It answers the caller, runs another partition context (a direct request
// or response, FFA_RUN), or gives the PE back to the Normal world through
// the SPMD (smcFromEl2). The ABIs are one flat switch (`dispatch`); the
// setup and discovery ABIs live in setupAbi.ts, the runtime rules in
// runtimeModel.ts, the RX/TX rules in rxtxRegistry.ts, the boot-time
// loading in partitionLoader.ts. State: one record
// (spmcState.ts), registered as the component 'spmc'.
import { isMutation } from '../mutations.js';
import { EXC_FIQ, EXC_IRQ, EXC_SYNC } from '../cpu/cpu.js';
import { GICR_BASE, RAM_BASE, type Machine } from '../machine.js';
import type { ExceptionSoftware } from '../software/software.js';
import { smcFromEl2 } from '../software/smcConduit.js';
import { ffaEvent, isFfaMemSend, type FfaEventDetails } from '../trace/ffaEvent.js';
import { PSCI_CPU_OFF } from '../firmware/psci.js';
import { FFA_FWK_MSG_BIT, FFA_FWK_MSG_PSCI, FFA_FWK_MSG_PSCI_RESP, SPMD_DIRECT_MSG_ENDPOINT_ID, SPMD_FWK_MSG_FFA_VERSION_REQ, SPMD_FWK_MSG_FFA_VERSION_RESP } from '../firmware/ffaIds.js';
import * as F from '../ffa/functionIds.js';
import { ABORTED, BUSY, DENIED, INVALID_PARAMETERS, NOT_SUPPORTED } from '../ffa/errors.js';
import { ffaError, ffaSuccess32, isFfaError, resultFid, resultRegisters, resultText, type FfaResult } from '../ffa/result.js';
import { decodeDirectMessage } from '../ffa/directMessage.js';
import { negotiateFfaVersion } from '../ffa/versionNegotiation.js';
import { isSecureEndpoint } from '../ffa/endpoints.js';
import { uuidEqual, uuidFromText, uuidIsNull, type FfaUuid } from '../ffa/uuid.js';
import { MESSAGING_DIRECT_REQ2_RECV, MESSAGING_DIRECT_REQ2_SEND, MESSAGING_DIRECT_REQ_RECV, MESSAGING_DIRECT_REQ_SEND } from './manifest.js';
import { freshContext, loadContext, saveContext, setContextVirq } from './partitionContext.js';
import { checkTransition, isDirectRequest } from './runtimeModel.js';
import { initialSpmcState, loadSpmcRecord, SPMC_LOG_LINES, type PartitionRecord, type RequestKind, type SpmcRecord, type SpmcState, type VcpuRecord } from './spmcState.js';
import { LoadError, loadPartitions, readBootDirectory } from './partitionLoader.js';
import { PARTITION_AREA_BASE, PAGE_BYTES, SPMC_SECONDARY_ENTRY } from './secureLayout.js';
import { S2_TCR } from './stage2Table.js';
import { MemoryLedger } from './memoryLedger.js';
import { handleMemoryCall } from './memoryAbi.js';
import { handleNotificationCall, NotificationTable, NOTIFICATION_PENDING_INTID, SCHEDULE_RECEIVER_INTID, type NotificationSignals } from './notificationTable.js';
import { Mailbox, msgWaitWakeUp } from './mailbox.js';
import { MachinePort, NWD_ENDPOINT, partitionHeap } from './machinePort.js';
import { findPair } from './rxtxRegistry.js';
import {
  callerText, callerVersion, consoleLog, endpointOf, featuresCall, fixVersion, memPermGet, memPermSet, partitionInfoGet, partitionInfoGetRegs,
  rxtxMap, rxtxUnmap, secondaryEpRegister, versionCall, MANAGED_EXIT_INTID, type Caller,
} from './setupAbi.js';

export { MANAGED_EXIT_INTID };
import { GICR_ISPENDR0, GICR_SGI_BASE_OFFSET, GICR_STRIDE } from '../devices/gicv3/registers.js';
import { acknowledgeSecure, configureSecureInterrupt, endOfInterrupt, group0Pending, PMR_MASK_NON_SECURE, readPmr, setInterruptEnabled, writePmr } from './gicAccess.js';

export const SPMC_COMPONENT = 'spmc';
/** The SPMC's endpoint ID (Hafnium's and TF-A's default). */
export const SPMC_ID = 0x8000;
/** Hafnium's paravirtualised interrupt ABI over HVC: the pending virtual interrupt's INTID in x0. */
export const HF_INTERRUPT_GET = 0xff04;
/** Hafnium's HF_INTERRUPT_ENABLE (x1 INTID, x2 enable, x3 type) and HF_INTERRUPT_DEACTIVATE (x1 = x2 = INTID): 0 or -1 in x0. */
export const HF_INTERRUPT_ENABLE = 0xff03;
export const HF_INTERRUPT_DEACTIVATE = 0xff08;
/** HF_INTERRUPT_GET's answer when nothing is pending (Hafnium HF_INVALID_INTID). */
export const HF_INVALID_INTID = 0xffff_ffffn;

const EC_UNKNOWN = 0x00;
const EC_HVC64 = 0x16;
const EC_SMC64 = 0x17;
const EC_IABT_LOWER = 0x20;
const EC_DABT_LOWER = 0x24;
const HCR_VM = 1n;
const HCR_FMO = 1n << 3n;
const HCR_IMO = 1n << 4n;
const HCR_VI = 1n << 7n;
const HCR_VF = 1n << 6n;
const HCR_TSC = 1n << 19n;
const HCR_RW = 1n << 31n;
const VTCR_NSA = 1n << 30n;


const hex = (v: number | bigint): string => '0x' + v.toString(16);
const u64 = (v: number): bigint => BigInt.asUintN(64, BigInt(v));
const w = (x: readonly bigint[], n: number): number => Number((x[n] ?? 0n) & 0xffff_ffffn) >>> 0;

export interface SpmcOptions {
  /** The FF-A version it implements (FFA_VERSION's answer); 1.2 by default. */
  version?: number;
  /** Test only: the machine's planted defect (core/mutations.ts), handed to the memory ledger. */
  mutation?: string;
}

export class Spmc implements ExceptionSoftware {
  s: SpmcState;
  /** Helper B's modules, each with its own record (saved inside this SPMC's). */
  readonly ledger: MemoryLedger;
  readonly notifications = new NotificationTable();
  readonly mailbox = new Mailbox();
  /** Secure console lines written by FFA_CONSOLE_LOG (also sent to the secure UART). Not state: derived output. */
  readonly consoleLines: string[] = [];

  constructor(private readonly numCpus: number, opts: SpmcOptions = {}) {
    // Planted defects (core/mutations.ts) reach the ledger through its constructor; none by default.
    this.ledger = new MemoryLedger('spmc', opts.mutation !== undefined && isMutation(opts.mutation) ? opts.mutation : '');
    this.s = initialSpmcState(numCpus, SPMC_ID, opts.version ?? F.FFA_VERSION_1_2, PARTITION_AREA_BASE);
  }

  getState(): SpmcRecord {
    return { ...structuredClone(this.s), ledger: this.ledger.getState(), notifications: this.notifications.getState(), mailbox: this.mailbox.getState() };
  }
  loadState(st: unknown): void {
    const fresh: SpmcRecord = {
      ...initialSpmcState(this.numCpus, SPMC_ID, this.s.implemented, PARTITION_AREA_BASE),
      ledger: new MemoryLedger().getState(), notifications: new NotificationTable().getState(), mailbox: new Mailbox().getState(),
    };
    const { ledger, notifications, mailbox, ...own } = loadSpmcRecord(st, this.numCpus, fresh);
    this.ledger.setState(ledger);
    this.notifications.setState(notifications);
    this.mailbox.setState(mailbox);
    this.s = own;
  }

  private port(m: Machine): MachinePort {
    return new MachinePort(m, this.s);
  }

  /** The partition record with endpoint `id` (tests, the TUI). */
  partition(id: number): PartitionRecord | undefined {
    return this.s.partitions.find((p) => p.id === id);
  }

  // ---- entries ----

  /** Entered from EL3 at Secure EL2. */
  resume(m: Machine, cpu: number): void {
    const c = this.s.cpus[cpu]!;
    if (c.phase === 'off') return this.bootCpu(m, cpu);
    const x = readX(m, cpu);
    const fid = w(x, 0);
    if (fid === F.FFA_INTERRUPT) {
      c.nwd = 'interrupt';
      return this.secureInterruptFromNwd(m, cpu);
    }
    if ((fid === F.FFA_MSG_SEND_DIRECT_REQ_32 || fid === F.FFA_MSG_SEND_DIRECT_REQ_64) && (w(x, 2) & FFA_FWK_MSG_BIT) !== 0) {
      c.nwd = 'framework';
      return this.frameworkMessage(m, cpu, x);
    }
    c.nwd = 'call';
    const r = this.dispatch(m, cpu, { kind: 'nwd' }, x);
    if (r) this.answerNwd(m, cpu, r);
  }

  /** An exception from a partition to Secure EL2. */
  handle(m: Machine, cpu: number, toEl: number): void {
    const c = this.s.cpus[cpu]!;
    const regs = m.core.regs(cpu);
    const kind = m.core.excKind(cpu);
    if (toEl !== 2 || c.current === null) {
      m.stop({ kind: 'halt', message: `cpu${cpu}: SPMC: exception to EL${toEl} with no partition running (kind ${kind})` });
      return;
    }
    if (kind === EXC_IRQ || kind === EXC_FIQ) return this.physicalInterrupt(m, cpu);
    const esr = regs.get('ESR_EL2');
    const ec = Number((esr >> 26n) & 0x3fn);
    const [p, v] = c.current;
    if (kind === EXC_SYNC && ec === EC_SMC64) {
      // A trapped SMC's preferred return address is the SMC itself: resume past it.
      regs.set('ELR_EL2', regs.get('ELR_EL2') + 4n);
      const x = readX(m, cpu);
      this.event(m, cpu, w(x, 0), this.s.partitions[p]!.id, callee(x), x.slice(1, 8), {});
      const r = this.dispatch(m, cpu, { kind: 'sp', p, v }, x);
      if (r) this.answerSp(m, cpu, r, w(x, 0));
      return;
    }
    if (kind === EXC_SYNC && ec === EC_HVC64) return this.hypercall(m, cpu, p, v);
    const why = ec === EC_DABT_LOWER ? 'data abort' : ec === EC_IABT_LOWER ? 'instruction abort' : ec === EC_UNKNOWN ? 'undefined instruction' : `exception class 0x${ec.toString(16)}`;
    this.abortCurrent(m, cpu, why);
  }

  // ---- boot ----

  private bootCpu(m: Machine, cpu: number): void {
    const c = this.s.cpus[cpu]!;
    const cold = !this.s.booted;
    if (cold) {
      const directory = Number(m.core.regs(cpu).x(0) & 0xffff_ffffn);
      try {
        const loaded = loadPartitions(m, partitionHeap(m, this.s), readBootDirectory(m, directory), Number(this.s.areaNext));
        this.s.partitions = loaded.partitions;
        this.s.areaNext = hex(loaded.areaNext);
      } catch (e) {
        if (!(e instanceof LoadError)) throw e;
        this.log(`boot: ${e.message}`);
        smcFromEl2(m, cpu, [u64(F.FFA_ERROR), 0n, u64(INVALID_PARAMETERS) & 0xffff_ffffn]);
        return;
      }
      for (const p of this.s.partitions) {
        for (const intid of p.interrupts) configureSecureInterrupt(m, cpu, intid, 0x00);
        for (const r of p.ownedSecure) this.ledger.declareRegion(p.id, BigInt(r.base), r.bytes / PAGE_BYTES);
        this.notifications.registerPartition(p.id, p.contexts, p.notificationSupport);
        if (p.messaging.some((mm) => (mm & 0x4) !== 0)) this.mailbox.allowIndirect(p.id);
      }
      // The Normal world's RAM belongs to the Normal world (one endpoint to the SPMC, as Hafnium's "other world").
      this.ledger.declareRegion(NWD_ENDPOINT, BigInt(RAM_BASE), m.core.ramView().length / PAGE_BYTES);
      this.s.booted = true;
      c.bootQueue = this.s.partitions.map((_, i) => i);
    } else {
      // A secondary PE: the contexts of the partitions with one per PE (FF-A v1.1 §4.4.1 MP partitions).
      c.bootQueue = this.s.partitions.map((p, i) => (p.contexts > 1 && !p.aborted ? i : -1)).filter((i) => i >= 0);
    }
    c.phase = 'booting';
    this.bootNext(m, cpu);
  }

  /** Run the next partition's initialisation on `cpu`, or end this PE's initialisation. */
  private bootNext(m: Machine, cpu: number): void {
    const c = this.s.cpus[cpu]!;
    while (c.bootQueue.length > 0) {
      const p = c.bootQueue.shift()!;
      const part = this.s.partitions[p]!;
      if (part.aborted) continue;
      const v = this.vcpuIndex(part, cpu);
      if (v === null) continue;
      const entry = cpu === 0 || part.secondaryEntry === null ? BigInt(part.entry) : BigInt(part.secondaryEntry);
      const vc = part.vcpus[v]!;
      vc.ctx = freshContext(m, cpu, entry);
      vc.model = 'init';
      vc.requester = null;
      this.enter(m, cpu, p, v, null);
      return;
    }
    c.phase = 'up';
    c.current = null;
    this.restorePmr(m, cpu);
    if (!this.s.secondaryEpRegistered) {
      // The SPMD enters this entry on every other PE's CPU_ON (TF-A spmd_cpu_on_finish_handler).
      this.s.secondaryEpRegistered = true;
      if (!smcFromEl2(m, cpu, [u64(F.FFA_SECONDARY_EP_REGISTER_64), SPMC_SECONDARY_ENTRY])) return;
    }
    smcFromEl2(m, cpu, [u64(F.FFA_MSG_WAIT)]);
  }

  // ---- the one switch: function ID -> handler ----

  /** The answer to a call, or null when the handler switched the PE elsewhere. */
  private dispatch(m: Machine, cpu: number, caller: Caller, x: bigint[]): FfaResult | null {
    const fid = w(x, 0);
    if (caller.kind === 'sp' && this.s.partitions[caller.p]!.aborted) return ffaError(ABORTED, 'the partition has aborted');
    if (fid !== F.FFA_VERSION) fixVersion(this.s, caller);
    const r = this.dispatchCall(m, cpu, caller, x, fid);
    if (r && isFfaError(r)) this.log(`${F.ffaFunctionName(fid) ?? hex(fid)} from ${callerText(this.s, caller)}: ${resultText(r)}`);
    return r;
  }

  private dispatchCall(m: Machine, cpu: number, caller: Caller, x: bigint[], fid: number): FfaResult | null {
    switch (fid) {
      case F.FFA_VERSION:
        return versionCall(this.s, caller, x);
      case F.FFA_FEATURES:
        return featuresCall(this.s, caller, x);
      case F.FFA_ID_GET:
        return caller.kind === 'sp' ? ffaSuccess32(0, this.s.partitions[caller.p]!.id) : notSupported('FFA_ID_GET of the Normal world is the SPMD\'s');
      case F.FFA_SPM_ID_GET:
        return ffaSuccess32(0, this.s.spmcId);
      case F.FFA_RXTX_MAP_32:
      case F.FFA_RXTX_MAP_64:
        return rxtxMap(m, this.s, caller, x);
      case F.FFA_RXTX_UNMAP:
        return rxtxUnmap(this.s, caller, x);
      case F.FFA_RX_RELEASE:
        return this.mailbox.rxRelease(this.port(m), this.notifications, endpointOf(this.s, caller), x);
      case F.FFA_RX_ACQUIRE:
        return this.mailbox.rxAcquire(this.port(m), endpointOf(this.s, caller), x);
      case F.FFA_MSG_SEND2: {
        const a = this.mailbox.send2(this.port(m), this.notifications, this.notificationCaller(caller, cpu), x);
        this.signal(m, cpu, a.signals);
        return a.result;
      }
      case F.FFA_PARTITION_INFO_GET:
        return partitionInfoGet(m, this.s, caller, x);
      case F.FFA_PARTITION_INFO_GET_REGS:
        return partitionInfoGetRegs(this.s, caller, x);
      case F.FFA_MSG_SEND_DIRECT_REQ_32:
      case F.FFA_MSG_SEND_DIRECT_REQ_64:
      case F.FFA_MSG_SEND_DIRECT_REQ2:
        return this.directRequest(m, cpu, caller, x, fid);
      case F.FFA_MSG_SEND_DIRECT_RESP_32:
      case F.FFA_MSG_SEND_DIRECT_RESP_64:
      case F.FFA_MSG_SEND_DIRECT_RESP2:
        return this.directResponse(m, cpu, caller, x, fid);
      case F.FFA_MSG_WAIT:
        return this.msgWait(m, cpu, caller, x, fid);
      case F.FFA_ERROR:
        return this.partitionError(m, cpu, caller, x);
      case F.FFA_YIELD:
        return this.yieldCall(m, cpu, caller, fid);
      case F.FFA_RUN:
        return this.run(m, cpu, caller, x);
      case F.FFA_SECONDARY_EP_REGISTER_32:
      case F.FFA_SECONDARY_EP_REGISTER_64:
        return secondaryEpRegister(this.s, caller, x, fid);
      case F.FFA_CONSOLE_LOG_32:
      case F.FFA_CONSOLE_LOG_64:
        return consoleLog(m, cpu, this.s, caller, x, this.consoleLines);
      case F.FFA_MEM_PERM_GET_32:
      case F.FFA_MEM_PERM_GET_64:
        return memPermGet(m, this.s, caller, x);
      case F.FFA_MEM_PERM_SET_32:
      case F.FFA_MEM_PERM_SET_64:
        return memPermSet(m, this.s, caller, x);
      // ---- helper B's modules: memory sharing (memoryAbi.ts over the ledger), notifications (notificationTable.ts) ----
      case F.FFA_MEM_DONATE_32: case F.FFA_MEM_DONATE_64: case F.FFA_MEM_LEND_32: case F.FFA_MEM_LEND_64:
      case F.FFA_MEM_SHARE_32: case F.FFA_MEM_SHARE_64: case F.FFA_MEM_RETRIEVE_REQ_32: case F.FFA_MEM_RETRIEVE_REQ_64:
      case F.FFA_MEM_RELINQUISH: case F.FFA_MEM_RECLAIM: case F.FFA_MEM_FRAG_RX: case F.FFA_MEM_FRAG_TX:
        return handleMemoryCall(this.ledger, this.port(m), endpointOf(this.s, caller), x);
      case F.FFA_NOTIFICATION_BITMAP_CREATE: case F.FFA_NOTIFICATION_BITMAP_DESTROY: case F.FFA_NOTIFICATION_BIND:
      case F.FFA_NOTIFICATION_UNBIND: case F.FFA_NOTIFICATION_SET: case F.FFA_NOTIFICATION_GET:
      case F.FFA_NOTIFICATION_INFO_GET_32: case F.FFA_NOTIFICATION_INFO_GET_64: {
        const a = handleNotificationCall(this.notifications, this.port(m), this.notificationCaller(caller, cpu), x);
        this.signal(m, cpu, a.signals);
        return a.result;
      }
      default:
        return notSupported(`function 0x${fid.toString(16)} is not implemented by the SPMC`);
    }
  }

  // ---- RX/TX ----

  private notificationCaller(caller: Caller, cpu: number): { id: number; vcpu: number; cpu: number } {
    return { id: endpointOf(this.s, caller), vcpu: caller.kind === 'sp' ? caller.v : 0, cpu };
  }

  /**
   * The interrupts a notification or message asks for: the schedule
   * receiver interrupt (Non-secure SGI 8) pended to the Normal world on
   * this PE, the notification pending interrupt (virtual 5) queued for the
   * partition's context (its vCPU, or the one that runs next: context 0 of
   * a UP partition, this PE's of an MP one).
   */
  private signal(m: Machine, cpu: number, sig: NotificationSignals): void {
    if (sig.sri) this.pendSri(m, cpu);
    if (sig.npi) {
      const p = this.s.partitions.find((q) => q.id === sig.npi!.partition);
      const v = p ? (sig.npi.vcpu ?? this.vcpuIndex(p, cpu)) : null;
      const vc = p && v !== null ? p.vcpus[v] : undefined;
      if (vc && !vc.pendingVirqs.includes(NOTIFICATION_PENDING_INTID)) {
        vc.pendingVirqs.push(NOTIFICATION_PENDING_INTID);
        const c = this.s.cpus[cpu]!;
        if (c.current && this.s.partitions[c.current[0]] === p && c.current[1] === v) m.core.regs(cpu).set('HCR_EL2', m.core.regs(cpu).get('HCR_EL2') | HCR_VI);
      }
    }
  }

  /** SGI 8 pending for the Normal world at this PE's redistributor (a Secure write sets a Non-secure SGI pending, GICv3 §12.11). */
  private pendSri(m: Machine, cpu: number): void {
    m.bus.write(GICR_BASE + cpu * GICR_STRIDE + GICR_SGI_BASE_OFFSET + GICR_ISPENDR0, 4, BigInt(1 << SCHEDULE_RECEIVER_INTID), cpu, true);
  }

  // ---- messaging ----

  private directRequest(m: Machine, cpu: number, caller: Caller, x: bigint[], fid: number): FfaResult | null {
    const d = decodeDirectMessage(x);
    if (!d.ok) return d.error;
    const { sender, receiver } = d.value;
    if (d.value.frameworkType !== null) return ffaError(INVALID_PARAMETERS, 'framework messages come from the SPMD only');
    const req2 = fid === F.FFA_MSG_SEND_DIRECT_REQ2;
    if (req2 && callerVersion(this.s, caller) < F.FFA_VERSION_1_2) return notSupported('FFA_MSG_SEND_DIRECT_REQ2 needs FF-A v1.2');
    if (caller.kind === 'sp') {
      if (sender !== this.s.partitions[caller.p]!.id) return ffaError(INVALID_PARAMETERS, `sender 0x${sender.toString(16)} is not the caller`);
    } else if (isSecureEndpoint(sender)) {
      return ffaError(INVALID_PARAMETERS, `sender 0x${sender.toString(16)} is not a Normal-world endpoint`);
    }
    const q = this.s.partitions.findIndex((p) => p.id === receiver);
    if (q < 0) return ffaError(INVALID_PARAMETERS, `no partition 0x${receiver.toString(16)}`);
    if (receiver === sender) return ffaError(INVALID_PARAMETERS, 'a partition cannot send a request to itself');
    const target = this.s.partitions[q]!;
    const uuidAt = this.uuidIndex(target, req2 ? d.value.uuid : null);
    if (uuidAt === null) return ffaError(INVALID_PARAMETERS, `partition 0x${receiver.toString(16)} has no such UUID`);
    const recvBit = req2 ? MESSAGING_DIRECT_REQ2_RECV : MESSAGING_DIRECT_REQ_RECV;
    const sendBit = req2 ? MESSAGING_DIRECT_REQ2_SEND : MESSAGING_DIRECT_REQ_SEND;
    if ((target.messaging[uuidAt]! & recvBit) === 0) return ffaError(DENIED, `partition 0x${receiver.toString(16)} does not receive ${req2 ? 'DIRECT_REQ2' : 'direct requests'}`);
    if (caller.kind === 'sp' && !this.s.partitions[caller.p]!.messaging.some((mm) => (mm & sendBit) !== 0)) return ffaError(DENIED, 'the caller may not send direct requests (its manifest\'s messaging-method)');
    const v = this.vcpuIndex(target, cpu);
    if (v === null) return ffaError(INVALID_PARAMETERS, `partition 0x${receiver.toString(16)} has no execution context for PE ${cpu}`);
    const tv = target.vcpus[v]!;
    if (target.aborted || tv.state === 'aborted') return ffaError(ABORTED, `partition 0x${receiver.toString(16)} has aborted`);
    if (caller.kind === 'sp') {
      const inChain = this.chainOf(caller.p, caller.v).includes(receiver);
      const from = this.s.partitions[caller.p]!.vcpus[caller.v]!;
      const t = checkTransition({ model: from.model, fid, targetInChain: inChain, targetInInit: tv.model === 'init' });
      if (!t.ok) return t.error;
    }
    if (tv.state !== 'waiting') return ffaError(BUSY, `partition 0x${receiver.toString(16)} is ${tv.state}, not waiting`);
    // Commit: the caller blocks, the target handles the request.
    if (caller.kind === 'sp') this.stopCurrent(m, cpu, 'blocked');
    tv.model = 'direct';
    tv.requester = sender;
    tv.requestKind = req2 ? 'req2' : 'req';
    this.enter(m, cpu, q, v, x.slice(0, req2 ? 18 : 8));
    return null;
  }

  private directResponse(m: Machine, cpu: number, caller: Caller, x: bigint[], fid: number): FfaResult | null {
    if (caller.kind === 'nwd') return notSupported('the Normal world does not answer direct requests of partitions');
    const d = decodeDirectMessage(x);
    if (!d.ok) return d.error;
    const p = this.s.partitions[caller.p]!;
    const vc = p.vcpus[caller.v]!;
    if (d.value.sender !== p.id) return ffaError(INVALID_PARAMETERS, `sender 0x${d.value.sender.toString(16)} is not the caller`);
    if (d.value.frameworkType !== null && vc.requestKind !== 'framework') return ffaError(INVALID_PARAMETERS, 'a framework response to a partition message');
    const t = checkTransition({ model: vc.model, fid, toRequester: vc.requester === d.value.receiver });
    if (!t.ok) return t.error;
    const kind: RequestKind = fid === F.FFA_MSG_SEND_DIRECT_RESP2 ? 'req2' : 'req';
    if (kind !== vc.requestKind) return ffaError(DENIED, `${kind === 'req2' ? 'FFA_MSG_SEND_DIRECT_RESP2 answers FFA_MSG_SEND_DIRECT_REQ2' : 'FFA_MSG_SEND_DIRECT_RESP answers FFA_MSG_SEND_DIRECT_REQ'} only`);
    const to = vc.requester!;
    vc.requester = null;
    vc.requestKind = null;
    vc.model = 'none';
    if (vc.pendingVirqs.includes(MANAGED_EXIT_INTID)) {
      // Its answer ends the managed exit, whether or not it asked for the interrupt.
      vc.pendingVirqs = vc.pendingVirqs.filter((i) => i !== MANAGED_EXIT_INTID);
      const regs = m.core.regs(cpu);
      regs.set('HCR_EL2', regs.get('HCR_EL2') & ~(HCR_VF | (vc.pendingVirqs.length === 0 ? HCR_VI : 0n)));
    }
    this.stopCurrent(m, cpu, 'waiting');
    this.deliver(m, cpu, to, x.slice(0, kind === 'req2' ? 18 : 8));
    return null;
  }

  /** Give `regs` (a response, or an error for an aborted request) to endpoint `to`, which waits for it. */
  private deliver(m: Machine, cpu: number, to: number, regs: bigint[]): void {
    if (!isSecureEndpoint(to) || to === SPMD_DIRECT_MSG_ENDPOINT_ID) {
      this.answerNwdRegs(m, cpu, regs);
      return;
    }
    const q = this.s.partitions.findIndex((p) => p.id === to);
    const v = q < 0 ? null : this.vcpuIndex(this.s.partitions[q]!, cpu);
    if (q < 0 || v === null || this.s.partitions[q]!.vcpus[v]!.state !== 'blocked') {
      m.stop({ kind: 'halt', message: `cpu${cpu}: SPMC: the requester 0x${to.toString(16)} of a response is not blocked waiting for it` });
      return;
    }
    this.enter(m, cpu, q, v, regs);
  }

  private msgWait(m: Machine, cpu: number, caller: Caller, x: bigint[], fid: number): FfaResult | null {
    if (caller.kind === 'nwd') return notSupported('FFA_MSG_WAIT is a partition\'s call');
    const p = this.s.partitions[caller.p]!;
    const vc = p.vcpus[caller.v]!;
    const t = checkTransition({ model: vc.model, fid });
    if (!t.ok) return t.error;
    const args = this.mailbox.msgWait(this.port(m), this.notifications, p.id, x);
    if (!args.ok) return args.error;
    const model = vc.model;
    vc.model = 'none';
    this.stopCurrent(m, cpu, 'waiting');
    if (model === 'init') this.bootNext(m, cpu);
    else if (model === 'interrupt') this.endInterruptModel(m, cpu);
    else this.answerNwdRegs(m, cpu, [u64(F.FFA_MSG_WAIT), BigInt(p.id) << 16n | BigInt(caller.v)]);
    return null;
  }

  /** FFA_ERROR from a partition: its initialisation failed (v1.2 and earlier: it waits, marked failed). */
  private partitionError(m: Machine, cpu: number, caller: Caller, x: bigint[]): FfaResult | null {
    if (caller.kind === 'nwd') return notSupported('FFA_ERROR is an answer, not a call');
    const p = this.s.partitions[caller.p]!;
    const vc = p.vcpus[caller.v]!;
    const t = checkTransition({ model: vc.model, fid: F.FFA_ERROR });
    if (!t.ok) return t.error;
    this.stopCurrent(m, cpu, 'aborted');
    vc.model = 'none';
    p.aborted = { esr: '0x0', far: '0x0', hpfar: '0x0', reason: `its initialisation failed (FFA_ERROR ${Number(BigInt.asIntN(32, x[2]! & 0xffff_ffffn))})` };
    this.log(`partition 0x${p.id.toString(16)}: ${p.aborted.reason}`);
    this.bootNext(m, cpu);
    return null;
  }

  private yieldCall(m: Machine, cpu: number, caller: Caller, fid: number): FfaResult | null {
    if (caller.kind === 'nwd') return notSupported('FFA_YIELD is a partition\'s call');
    const p = this.s.partitions[caller.p]!;
    const vc = p.vcpus[caller.v]!;
    const t = checkTransition({ model: vc.model, fid });
    if (!t.ok) return t.error;
    if (this.s.cpus[cpu]!.nwd !== 'call') return ffaError(DENIED, 'no Normal-world scheduler waits on this PE to take the yield');
    vc.yielded = true;
    this.stopCurrent(m, cpu, 'blocked');
    this.answerNwdRegs(m, cpu, [u64(F.FFA_YIELD), BigInt(p.id) << 16n | BigInt(caller.v)]);
    return null;
  }

  /** FFA_RUN from the Normal world's scheduler: w1 = partition ID << 16 | context index. */
  private run(m: Machine, cpu: number, caller: Caller, x: bigint[]): FfaResult | null {
    if (caller.kind === 'sp') return notSupported('FFA_RUN is the Normal-world scheduler\'s');
    const id = (w(x, 1) >>> 16) & 0xffff;
    const v = w(x, 1) & 0xffff;
    const q = this.s.partitions.findIndex((p) => p.id === id);
    if (q < 0) return ffaError(INVALID_PARAMETERS, `no partition 0x${id.toString(16)}`);
    const p = this.s.partitions[q]!;
    if (v >= p.contexts) return ffaError(INVALID_PARAMETERS, `partition 0x${id.toString(16)} has no context ${v}`);
    if (p.contexts > 1 && v !== cpu) return ffaError(INVALID_PARAMETERS, `context ${v} of an MP partition runs on PE ${v} only`);
    const vc = p.vcpus[v]!;
    if (p.aborted || vc.state === 'aborted') return ffaError(ABORTED, `partition 0x${id.toString(16)} has aborted`);
    if (vc.state === 'preempted') {
      if (this.s.cpus.some((cc) => cc.interrupted !== null && cc.interrupted[0] === q && cc.interrupted[1] === v)) return ffaError(BUSY, `partition 0x${id.toString(16)} context ${v} waits for a Secure interrupt's handling to end`);
      this.enter(m, cpu, q, v, null);
      return null;
    }
    if (vc.state === 'blocked' && vc.yielded) {
      // Its FFA_YIELD returns (Hafnium: FFA_SUCCESS).
      vc.yielded = false;
      this.enter(m, cpu, q, v, [u64(F.FFA_SUCCESS_32)]);
      return null;
    }
    if (vc.state === 'waiting') {
      // CPU cycles for a waiting partition (FF-A v1.1 §8.2): it resumes from its FFA_MSG_WAIT with FFA_RUN.
      vc.model = 'run';
      vc.requester = null;
      this.enter(m, cpu, q, v, resultRegisters(msgWaitWakeUp(p.id, v)).slice(0, 8));
      return null;
    }
    return ffaError(BUSY, `partition 0x${id.toString(16)} context ${v} is ${vc.state}`);
  }

  // ---- SPMD framework messages ----

  private frameworkMessage(m: Machine, cpu: number, x: bigint[]): void {
    const type = w(x, 2) & 0xff;
    const swapped = BigInt(((w(x, 1) & 0xffff) << 16 | (w(x, 1) >>> 16)) >>> 0);
    const resp = (flags: number, w3: bigint): bigint[] => [u64(F.FFA_MSG_SEND_DIRECT_RESP_32), swapped, BigInt((FFA_FWK_MSG_BIT | flags) >>> 0), w3, 0n, 0n, 0n, 0n];
    if (type === SPMD_FWK_MSG_FFA_VERSION_REQ) {
      // The Normal world's FFA_VERSION (TF-A spmd: relayed as a framework message); fixed once it made other calls.
      const out = negotiateFfaVersion(w(x, 3), this.s.implemented, this.s.nwdVersionFixed ? this.s.nwdVersion : null);
      if (out.callerVersion !== null) this.s.nwdVersion = out.callerVersion;
      else this.log(`FFA_VERSION from the Normal world: ${out.answer.reason}`);
      return this.answerNwdRegs(m, cpu, resp(SPMD_FWK_MSG_FFA_VERSION_RESP, out.callerVersion === null ? 0xffff_ffffn : BigInt(this.s.implemented)));
    }
    if (type === FFA_FWK_MSG_PSCI) {
      if (w(x, 3) === PSCI_CPU_OFF) {
        // The PE goes off: contexts of MP partitions on it start again at their secondary entry on the next CPU_ON.
        const c = this.s.cpus[cpu]!;
        for (const p of this.s.partitions) if (p.contexts > 1 && p.vcpus[cpu] && p.vcpus[cpu]!.state === 'waiting') p.vcpus[cpu]!.state = 'off';
        c.phase = 'off';
      }
      return this.answerNwdRegs(m, cpu, resp(FFA_FWK_MSG_PSCI_RESP, 0n));
    }
    this.log(`framework message type ${type} is not known`);
    this.answerNwdRegs(m, cpu, resultRegisters(ffaError(INVALID_PARAMETERS, 'unknown framework message')));
  }

  // ---- interrupts ----

  /** A Secure interrupt that preempted the Normal world (FFA_INTERRUPT from the SPMD). */
  private secureInterruptFromNwd(m: Machine, cpu: number): void {
    const taken = this.takeSecureInterrupts(m, cpu);
    for (const { p, v } of taken) {
      const vc = this.s.partitions[p]!.vcpus[v]!;
      if (vc.state !== 'waiting') continue; // stays pending for its next run
      return this.runInterruptHandler(m, cpu, p, v);
    }
    this.resumeNwd(m, cpu);
  }

  /** Run a waiting owner in the Secure interrupt runtime model (FF-A v1.1 §8.4): Non-secure interrupts masked meanwhile. */
  private runInterruptHandler(m: Machine, cpu: number, p: number, v: number): void {
    const vc = this.s.partitions[p]!.vcpus[v]!;
    this.maskNonSecure(m, cpu);
    vc.model = 'interrupt';
    vc.requester = null;
    this.enter(m, cpu, p, v, [u64(F.FFA_INTERRUPT), 0n, BigInt(vc.pendingVirqs[0] ?? 0)]);
  }

  /** A Secure interrupt's handling is over: the context it preempted resumes, or the Normal world (FFA_NORMAL_WORLD_RESUME). */
  private endInterruptModel(m: Machine, cpu: number): void {
    const c = this.s.cpus[cpu]!;
    if (c.interrupted === null) return this.resumeNwd(m, cpu);
    const [p, v] = c.interrupted;
    c.interrupted = null;
    this.restorePmr(m, cpu);
    this.enter(m, cpu, p, v, null);
  }

  private maskNonSecure(m: Machine, cpu: number): void {
    const c = this.s.cpus[cpu]!;
    if (c.savedPmr === null) c.savedPmr = hex(readPmr(m, cpu));
    writePmr(m, cpu, PMR_MASK_NON_SECURE);
  }

  private restorePmr(m: Machine, cpu: number): void {
    const c = this.s.cpus[cpu]!;
    if (c.savedPmr === null) return;
    writePmr(m, cpu, BigInt(c.savedPmr));
    c.savedPmr = null;
  }

  /** Acknowledge and end every pending Secure interrupt, queue each as its owner's virtual interrupt; the owners' contexts. */
  private takeSecureInterrupts(m: Machine, cpu: number): Array<{ p: number; v: number }> {
    const out: Array<{ p: number; v: number }> = [];
    for (let intid = acknowledgeSecure(m, cpu); intid !== null; intid = acknowledgeSecure(m, cpu)) {
      const p = this.s.partitions.findIndex((q) => q.interrupts.includes(intid));
      // Disabled while its owner handles it (until HF_INTERRUPT_DEACTIVATE), then ended.
      setInterruptEnabled(m, cpu, cpu, intid, false);
      endOfInterrupt(m, cpu, intid);
      const part = this.s.partitions[p];
      const v = part ? this.vcpuIndex(part, cpu) : null;
      if (!part || v === null || part.aborted) {
        this.log(`interrupt ${intid} has no owner that can take it; left disabled`);
        continue;
      }
      const vc = part.vcpus[v]!;
      vc.pendingVirqs.push(intid);
      vc.handling.push(intid);
      out.push({ p, v });
    }
    return out;
  }

  /** IRQ or FIQ taken to S-EL2 while a partition ran. */
  private physicalInterrupt(m: Machine, cpu: number): void {
    const c = this.s.cpus[cpu]!;
    const [p, v] = c.current!;
    const regs = m.core.regs(cpu);
    const taken = this.takeSecureInterrupts(m, cpu);
    if (taken.some((t) => t.p === p && t.v === v)) regs.set('HCR_EL2', regs.get('HCR_EL2') | HCR_VI);
    const other = taken.find((t) => (t.p !== p || t.v !== v) && this.s.partitions[t.p]!.vcpus[t.v]!.state === 'waiting');
    if (other && c.interrupted === null && this.s.partitions[p]!.vcpus[v]!.model !== 'interrupt') {
      // Cross-partition preemption (Hafnium's): the running context is
      // preempted, the owner handles its interrupt, then the preempted one
      // resumes where it was.
      this.stopCurrent(m, cpu, 'preempted');
      c.interrupted = [p, v];
      return this.runInterruptHandler(m, cpu, other.p, other.v);
    }
    if (taken.length > 0) return m.core.eret(cpu);
    if (group0Pending(m, cpu)) {
      // EL3's interrupt: handed over with FFA_EL3_INTR_HANDLE; the partition goes on as it was.
      const kept = Array.from({ length: 8 }, (_, i) => regs.x(i));
      if (!smcFromEl2(m, cpu, [u64(F.FFA_EL3_INTR_HANDLE)])) return;
      kept.forEach((val, i) => regs.setX(i, val));
      return m.core.eret(cpu);
    }
    const part = this.s.partitions[p]!;
    const vc = part.vcpus[v]!;
    // A Non-secure interrupt that still arrives once masked has a priority
    // the mask cannot hold back (Non-secure software left it in the Secure
    // range, below 0x80): it cannot be queued.
    const unmaskable = c.savedPmr !== null && readPmr(m, cpu) === PMR_MASK_NON_SECURE;
    if (c.nwd === 'call' && !unmaskable && part.nsAction === 'managed-exit' && vc.model === 'direct') {
      // Managed exit (FF-A v1.1 §8.3.2): the partition is told with the
      // managed exit virtual interrupt (IRQ or FIQ as its manifest says),
      // Non-secure interrupts masked until it answers its request.
      if (!vc.pendingVirqs.includes(MANAGED_EXIT_INTID)) vc.pendingVirqs.push(MANAGED_EXIT_INTID);
      regs.set('HCR_EL2', regs.get('HCR_EL2') | (part.managedExitVirq ? HCR_VI : HCR_VF));
      this.maskNonSecure(m, cpu);
      return m.core.eret(cpu);
    }
    if (c.nwd === 'call' && (part.nsAction === 'signaled' || unmaskable || vc.model !== 'direct')) {
      // A Non-secure interrupt preempts the partition (FF-A v1.1 §8.3.1,
      // ns-interrupts-action signaled): the Normal world gets FFA_INTERRUPT
      // and resumes it with FFA_RUN.
      if (unmaskable) this.log(`a Non-secure interrupt below priority 0x80 preempts partition 0x${part.id.toString(16)} (it cannot be masked)`);
      this.stopCurrent(m, cpu, 'preempted');
      this.answerNwdRegs(m, cpu, [u64(F.FFA_INTERRUPT), BigInt(part.id) << 16n | BigInt(v)]);
      return;
    }
    if (unmaskable) {
      // Nobody to hand the PE to: stop routing FIQs to S-EL2 until this
      // context next enters (the partition runs with PSTATE.F masked).
      this.log(`a Non-secure interrupt below priority 0x80 cannot be masked while partition 0x${part.id.toString(16)} runs: FIQs not routed to S-EL2 until it stops`);
      regs.set('HCR_EL2', regs.get('HCR_EL2') & ~HCR_FMO);
      return m.core.eret(cpu);
    }
    // No Normal-world caller to preempt for (initialisation, a Secure
    // interrupt's handling), or the partition asks for Non-secure interrupts
    // to be queued: masked until the Normal world runs.
    this.maskNonSecure(m, cpu);
    m.core.eret(cpu);
  }

  /**
   * Hafnium's interrupt hypercalls (inc/vmapi/hf/abi.h), over HVC (ELR_EL2
   * is already past it). A physical interrupt the SPMC took for a partition
   * stays disabled at the GIC until its owner says it is done with
   * HF_INTERRUPT_DEACTIVATE (or enables it again with HF_INTERRUPT_ENABLE):
   * its device may still assert a level-sensitive line, and an S-EL1
   * partition may not reach every source (CNTPS_* is UNDEFINED at S-EL1
   * with Secure EL2 enabled), so re-enabling on its own would loop.
   */
  private hypercall(m: Machine, cpu: number, p: number, v: number): void {
    const regs = m.core.regs(cpu);
    const part = this.s.partitions[p]!;
    const vc = part.vcpus[v]!;
    const fid = Number(regs.x(0) & 0xffff_ffffn);
    const intid = Number(regs.x(1) & 0xffff_ffffn);
    if (fid === HF_INTERRUPT_GET) {
      const next = vc.pendingVirqs.shift();
      regs.setX(0, next === undefined ? HF_INVALID_INTID : BigInt(next));
      if (vc.pendingVirqs.length === 0) regs.set('HCR_EL2', regs.get('HCR_EL2') & ~(HCR_VI | HCR_VF));
    } else if (fid === HF_INTERRUPT_ENABLE || fid === HF_INTERRUPT_DEACTIVATE) {
      const enable = fid === HF_INTERRUPT_DEACTIVATE || (regs.x(2) & 1n) !== 0n;
      if (!part.interrupts.includes(intid) || (fid === HF_INTERRUPT_DEACTIVATE && !vc.handling.includes(intid))) {
        this.log(`${fid === HF_INTERRUPT_ENABLE ? 'HF_INTERRUPT_ENABLE' : 'HF_INTERRUPT_DEACTIVATE'} of interrupt ${intid} by partition 0x${part.id.toString(16)}: ${part.interrupts.includes(intid) ? 'not being handled' : 'not its interrupt'}`);
        regs.setX(0, 0xffff_ffff_ffff_ffffn);
      } else {
        setInterruptEnabled(m, cpu, cpu, intid, enable);
        vc.handling = vc.handling.filter((i) => i !== intid);
        regs.setX(0, 0n);
      }
    } else {
      regs.setX(0, 0xffff_ffff_ffff_ffffn); // SMCCC NOT_SUPPORTED
    }
    m.core.eret(cpu);
  }

  // ---- aborts ----

  /** The running context took an exception it cannot recover from: the partition is aborted, its caller answered ABORTED. */
  private abortCurrent(m: Machine, cpu: number, why: string): void {
    const c = this.s.cpus[cpu]!;
    const [p, v] = c.current!;
    const regs = m.core.regs(cpu);
    const part = this.s.partitions[p]!;
    const vc = part.vcpus[v]!;
    part.aborted = { esr: hex(regs.get('ESR_EL2')), far: hex(regs.get('FAR_EL2')), hpfar: hex(regs.get('HPFAR_EL2')), reason: why };
    this.log(`partition 0x${part.id.toString(16)} aborted: ${why} (ESR_EL2 ${part.aborted.esr}, FAR_EL2 ${part.aborted.far}, HPFAR_EL2 ${part.aborted.hpfar}, ELR_EL2 ${hex(regs.get('ELR_EL2'))})`);
    const model = vc.model;
    const requester = vc.requester;
    vc.model = 'none';
    vc.requester = null;
    this.stopCurrent(m, cpu, 'aborted');
    for (const other of part.vcpus) if (other.state !== 'running') other.state = 'aborted';
    if (model === 'init') return this.bootNext(m, cpu);
    if (model === 'direct' && requester !== null) return this.deliver(m, cpu, requester, resultRegisters(ffaError(ABORTED, 'the partition aborted')));
    if (model === 'interrupt') return this.endInterruptModel(m, cpu);
    this.answerNwdRegs(m, cpu, resultRegisters(ffaError(ABORTED, 'the partition aborted')));
  }

  // ---- switching ----

  private vcpuIndex(p: PartitionRecord, cpu: number): number | null {
    if (p.contexts === 1) return 0;
    return cpu < p.contexts ? cpu : null;
  }

  private uuidIndex(p: PartitionRecord, uuid: FfaUuid | null): number | null {
    if (uuid === null || uuidIsNull(uuid)) return 0;
    const i = p.uuids.findIndex((t) => uuidEqual(uuidFromText(t)!, uuid));
    return i < 0 ? null : i;
  }

  /** The endpoints that precede context `v` of partition `p` in its call chain, nearest first. */
  private chainOf(p: number, v: number): number[] {
    const out: number[] = [];
    let part = this.s.partitions[p];
    let vc = part?.vcpus[v];
    for (let guard = 0; vc && vc.requester !== null && guard < 64; guard++) {
      out.push(vc.requester);
      const q = this.s.partitions.find((x) => x.id === vc!.requester);
      if (!q) break;
      part = q;
      vc = q.contexts === 1 ? q.vcpus[0] : q.vcpus[vc.cpu];
    }
    return out;
  }

  /** Save the running context (it resumes at ELR_EL2) and set its state. */
  private stopCurrent(m: Machine, cpu: number, state: VcpuRecord['state']): void {
    const c = this.s.cpus[cpu]!;
    if (c.current === null) return;
    const [p, v] = c.current;
    const vc = this.s.partitions[p]!.vcpus[v]!;
    if (vc.ctx.length === 0) vc.ctx = freshContext(m, cpu, 0n);
    saveContext(m, cpu, vc.ctx, m.core.regs(cpu).get('ELR_EL2'));
    vc.state = state;
    c.current = null;
  }

  /** Run context `v` of partition `p` on `cpu`: its stage 2, its registers, `msg` in x0.. when given. */
  private enter(m: Machine, cpu: number, p: number, v: number, msg: bigint[] | null): void {
    const part = this.s.partitions[p]!;
    const vc = part.vcpus[v]!;
    const regs = m.core.regs(cpu);
    const root = BigInt(part.s2Secure);
    if (regs.get('VSTTBR_EL2') !== root || (regs.get('HCR_EL2') & HCR_VM) === 0n) {
      regs.set('VSTTBR_EL2', root);
      regs.set('VSTCR_EL2', S2_TCR);
      regs.set('VTTBR_EL2', BigInt(part.s2NonSecure) | (BigInt(part.vmid) << 48n));
      regs.set('VTCR_EL2', S2_TCR | VTCR_NSA);
      regs.set('CPTR_EL2', regs.resetValue('CPTR_EL2') & ~(1n << 10n)); // FP/SIMD not trapped (TFP = 0)
      m.core.invalidateVmid(1 << cpu, -1, true);
    }
    regs.set('HCR_EL2', HCR_VM | HCR_FMO | HCR_IMO | HCR_TSC | HCR_RW); // VI/VF from its context below
    regs.set('VMPIDR_EL2', (1n << 31n) | BigInt(v));
    if (vc.ctx.length === 0) vc.ctx = freshContext(m, cpu, BigInt(part.entry));
    setContextVirq(vc.ctx, vc.pendingVirqs.length > 0);
    loadContext(m, cpu, vc.ctx);
    if (msg) msg.forEach((val, i) => regs.setX(i, val));
    vc.state = 'running';
    vc.cpu = cpu;
    this.s.cpus[cpu]!.current = [p, v];
    m.core.eret(cpu);
  }

  /** Answer the partition running on `cpu` (x0-x7; x0-x17 for a 64-bit answer to a v1.2 caller) and resume it. */
  private answerSp(m: Machine, cpu: number, r: FfaResult, of: number): void {
    const c = this.s.cpus[cpu]!;
    const [p] = c.current!;
    const part = this.s.partitions[p]!;
    const regs = m.core.regs(cpu);
    const all = resultRegisters(r);
    const n = F.isFfaSmc64(resultFid(r)) && (part.version ?? 0) >= F.FFA_VERSION_1_2 ? 18 : 8;
    for (let i = 0; i < n; i++) regs.setX(i, all[i]!);
    this.event(m, cpu, resultFid(r), this.s.spmcId, part.id, all.slice(1, 8), { dir: 'answer', of });
    m.core.eret(cpu);
  }

  private answerNwd(m: Machine, cpu: number, r: FfaResult): void {
    this.answerNwdRegs(m, cpu, resultRegisters(r));
  }

  /** Give the PE back to the Normal world through the SPMD with `regs` as the answer it waits for. */
  private answerNwdRegs(m: Machine, cpu: number, regs: bigint[]): void {
    const c = this.s.cpus[cpu]!;
    if (c.nwd === 'interrupt') return this.resumeNwd(m, cpu);
    this.restorePmr(m, cpu);
    c.nwd = null;
    if (this.notifications.takeDelayedSri(cpu)) this.pendSri(m, cpu);
    const all = Array.from({ length: 18 }, (_, i) => regs[i] ?? 0n);
    smcFromEl2(m, cpu, all);
  }

  /** The Secure interrupt's handling is over: unmask Non-secure interrupts, the Normal world resumes (FFA_NORMAL_WORLD_RESUME). */
  private resumeNwd(m: Machine, cpu: number): void {
    const c = this.s.cpus[cpu]!;
    this.restorePmr(m, cpu);
    c.nwd = null;
    if (this.notifications.takeDelayedSri(cpu)) this.pendSri(m, cpu);
    smcFromEl2(m, cpu, [u64(F.FFA_NORMAL_WORLD_RESUME)]);
  }

  // ---- helpers ----


  private log(line: string): void {
    this.s.log.push(line);
    if (this.s.log.length > SPMC_LOG_LINES) this.s.log.splice(0, this.s.log.length - SPMC_LOG_LINES);
  }

  /** The trace event of a message between a partition and the SPMC; a memory call's (or retrieve response's)
   *  descriptor is read from the partition's TX (RX) buffer. */
  private event(m: Machine, cpu: number, fid: number, src: number, dst: number, args: readonly bigint[], d: FfaEventDetails): void {
    if (!m.trace.wants('ffa')) return;
    const part = this.s.partitions.find((p) => p.id === (d.dir === 'answer' ? dst : src));
    const pair = part && findPair(this.s.rxtx, part.id);
    const rx = (fid >>> 0) === F.FFA_MEM_RETRIEVE_RESP;
    if (pair && (rx || isFfaMemSend(fid) || MEM_DESCRIBED.has(fid >>> 0))) {
      d = { ...d, descriptor: m.core.readPhys(Number(rx ? pair.rxPa : pair.txPa), pair.pageCount * PAGE_BYTES).slice(), version: part.version ?? this.s.implemented };
    }
    m.trace.emitNumbered(ffaEvent(m.core.nowTick(cpu), cpu, 's', fid, src, dst, args, d));
  }
}

/** Calls whose trace event names the handle of the descriptor in the caller's TX buffer. */
const MEM_DESCRIBED: ReadonlySet<number> = new Set([F.FFA_MEM_RETRIEVE_REQ_32, F.FFA_MEM_RETRIEVE_REQ_64, F.FFA_MEM_RELINQUISH]);

function readX(m: Machine, cpu: number): bigint[] {
  const regs = m.core.regs(cpu);
  return Array.from({ length: 18 }, (_, i) => regs.x(i));
}

/** The endpoint a partition's call names (a direct message's receiver), else the SPMC. */
function callee(x: readonly bigint[]): number {
  return isDirectRequest(w(x, 0)) || (w(x, 0) & 0xffff) === 0x70 || w(x, 0) === F.FFA_MSG_SEND_DIRECT_RESP2 ? w(x, 1) & 0xffff : SPMC_ID;
}

function notSupported(reason: string): FfaResult {
  return ffaError(NOT_SUPPORTED, reason);
}


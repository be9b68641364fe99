// Test support (not the SPMC of issue 11): a minimal S-EL2 plug-in and an
// S-EL1 partition in real machine code, enough to prove the EL3 firmware's
// boot chain, world switch and SPMD relay on a whole machine.
//
// The plug-in, at Secure EL2 (TypeScript, acting only through
// architectural state):
// - at cold boot on the primary PE builds a secure stage 2 for the
//   partition in secure RAM (one 2 MiB block, IPA = PA), enters it at
//   Secure EL1 with its FF-A calls trapped (HCR_EL2.TSC) and its
//   interrupts routed to S-EL2 (IMO/FMO); when the partition waits
//   (FFA_MSG_WAIT) it registers its secondary entry
//   (FFA_SECONDARY_EP_REGISTER_64) and ends its own init with FFA_MSG_WAIT;
//   a secondary PE ends its init at once;
// - serves FFA_MSG_SEND_DIRECT_REQ_32/64 for the partition's ID by running
//   the partition and relaying its FFA_MSG_SEND_DIRECT_RESP; answers
//   power-management framework messages (success); takes FFA_INTERRUPT
//   (acknowledge, disable, end the Secure interrupt, FFA_NORMAL_WORLD_RESUME);
//   a Non-secure interrupt while the partition runs preempts it: the Normal
//   world gets FFA_INTERRUPT and resumes it with FFA_RUN; a Secure one is
//   injected into it as a virtual IRQ (Hafnium's way: HCR_EL2.VI, then the
//   partition's HF_INTERRUPT_GET over HVC);
// - an abort of the partition (e.g. outside its stage 2) is recorded with
//   its ESR_EL2/FAR_EL2/HPFAR_EL2 and answered FFA_ERROR(ABORTED).
//
// The partition's requests: w3 = 0: x4 += 0x1000; w3 = 1: x4 = the
// 64-bit word at IPA x4; w3 = 2: store x8-x30, V0-V31 and its EL1 thread
// and context registers at PARTITION_DUMP (x4 = 0); w3 = 3: spin x4 times;
// w3 = 4: wait with IRQs unmasked until its interrupt arrives (x4 = the
// INTID, from HF_INTERRUPT_GET in its IRQ vector). At init it loads those
// registers from PARTITION_SEED_VALUES, so a test sees whether they survive.
import { assemble } from '../asm/assembler.js';
import { EXC_FIQ, EXC_IRQ, EXC_SYNC } from '../cpu/cpu.js';
import { GICD_BASE, GICR_BASE, Machine } from '../machine.js';
import { bootKernel } from './boot.js';
import { secureColdBoot } from './secureBoot.js';
import { GICD_ICENABLER, GICR_ICENABLER0, GICR_SGI_BASE_OFFSET, GICR_STRIDE, ICC_EOIR1_EL1, ICC_HPPIR0_EL1, ICC_IAR1_EL1 } from '../devices/gicv3/registers.js';
import type { ExceptionSoftware } from '../software/software.js';
import { smcFromEl2 } from '../software/smcConduit.js';
import * as E from '../ffa/errors.js';
import * as F from './ffaIds.js';

export const PARTITION_ID = 0x8001;
/** The partition's 2 MiB (IPA = PA) in secure RAM; its code at the start. */
export const PARTITION_BASE = 0x0e40_0000;
export const PARTITION_DUMP = PARTITION_BASE + 0x8_0000;
export const PARTITION_SEED_VALUES = PARTITION_BASE + 0xa_0000;
const PARTITION_STACK_TOP = PARTITION_BASE + 0xf_0000;
/** Where the plug-in builds the secure stage 2 (secure RAM, outside the partition's IPA space). */
const S2_TABLES = 0x0e30_0000;
/** The plug-in's (nominal) entry and secondary entry in secure RAM. */
export const TEST_SPMC_ENTRY = 0x0e10_0000n;
export const TEST_SPMC_SECONDARY_ENTRY = 0x0e10_0800n;

/** Values the partition loads at init: x8-x30 (23 words), then V0-V31 (64 words), then 5 system registers. */
export const PARTITION_SEED_WORDS = 23 + 64 + 5;
/** System registers the partition loads (in this order) after the vector registers. */
export const PARTITION_SYSREGS = ['TPIDR_EL1', 'TPIDR_EL0', 'TPIDRRO_EL0', 'CONTEXTIDR_EL1', 'AFSR0_EL1'] as const;

const EC_SMC64 = 0x17;
const EC_DABT_LOWER = 0x24;
const EC_HVC64 = 0x16;
/** The partition's paravirtualised interrupt query (Hafnium's HF_INTERRUPT_GET, over HVC): x0 = the INTID. */
export const HF_INTERRUPT_GET = 0xff04;
const HCR_VI = 1n << 7n;
/** The partition's IRQ vector (current EL, SP_ELx): ask S-EL2 which interrupt it is, leave it in x4. */
const IRQ_VECTOR = `.balign 0x80
  mov x5, x0
  ldr x0, =${HF_INTERRUPT_GET}
  hvc #0
  mov x4, x0
  mov x0, x5
  eret`;
const HCR_VM = 1n;
const HCR_FMO = 1n << 3n;
const HCR_IMO = 1n << 4n;
const HCR_TSC = 1n << 19n;
const HCR_RW = 1n << 31n;
/** VSTCR_EL2: T0SZ = 32 (4 GiB IPA space), SL0 = 1 (walk from level 1), 4 KiB granule, walks and output Secure. */
const VSTCR = 32n | (1n << 6n);
/** Stage 2 block: S2AP RW, Normal WB, inner shareable, AF. */
const S2_BLOCK_RW = (1n << 6n) | (2n << 6n) | (0xfn << 2n) | (3n << 8n) | (1n << 10n) | 1n;
const SPSR_EL1H_MASKED = 0x3c5n;

/** The partition (S-EL1 machine code at PARTITION_BASE). */
export function partitionImage(): Uint8Array {
  const loadRegs: string[] = [];
  for (let n = 8; n <= 30; n++) loadRegs.push(`  ldr x${n}, [x0, #${(n - 8) * 8}]`);
  const loadV: string[] = [];
  for (let n = 0; n < 32; n += 2) loadV.push(`  ldp q${n}, q${n + 1}, [x1, #${n * 16}]`);
  const storeRegs: string[] = [];
  for (let n = 8; n <= 30; n++) storeRegs.push(`  str x${n}, [x4, #${(n - 8) * 8}]`);
  const storeV: string[] = [];
  for (let n = 0; n < 32; n += 2) storeV.push(`  stp q${n}, q${n + 1}, [x5, #${n * 16}]`);
  const sysBase = (23 + 64) * 8;
  const src = `
entry:
  mov x0, #0x300000
  msr cpacr_el1, x0
  isb
  ldr x0, =${PARTITION_STACK_TOP}
  mov sp, x0
  ldr x0, =vectors
  msr vbar_el1, x0
  ldr x0, =${PARTITION_SEED_VALUES}
  add x1, x0, #${23 * 8}
${loadV.join('\n')}
${PARTITION_SYSREGS.map((r, i) => `  ldr x2, [x0, #${sysBase + i * 8}]\n  msr ${r.toLowerCase()}, x2`).join('\n')}
${loadRegs.join('\n')}
  ldr x0, =${F.FFA_MSG_WAIT}
  smc #0
loop:
  cmp x3, #1
  b.eq cmd_read
  cmp x3, #2
  b.eq cmd_dump
  cmp x3, #3
  b.eq cmd_spin
  cmp x3, #4
  b.eq cmd_wait_irq
  add x4, x4, #0x1000
  b respond
cmd_wait_irq:
  mov x4, #0
  msr daifclr, #2
wait_irq:
  wfi
  cbz x4, wait_irq
  msr daifset, #2
  b respond
cmd_spin:
  subs x4, x4, #1
  b.ne cmd_spin
  b respond
cmd_read:
  ldr x4, [x4]
  b respond
cmd_dump:
  ldr x4, =${PARTITION_DUMP}
${storeRegs.join('\n')}
  add x5, x4, #${23 * 8}
${storeV.join('\n')}
${PARTITION_SYSREGS.map((r, i) => `  mrs x6, ${r.toLowerCase()}\n  str x6, [x4, #${sysBase + i * 8}]`).join('\n')}
  mov x4, #0
respond:
  lsr x6, x1, #16
  and x6, x6, #0xffff
  and x7, x1, #0xffff
  orr x1, x6, x7, lsl #16
  mov x2, #0
  add x0, x0, #1
  smc #0
  b loop
.balign 0x800
vectors:
${Array.from({ length: 16 }, (_, i) => (i === 5 ? IRQ_VECTOR : '.balign 0x80\n  b .')).join('\n')}
`;
  return assemble(src, { baseAddress: BigInt(PARTITION_BASE) }).bytes;
}

type Phase = 'init' | 'ready' | 'running' | 'preempted' | 'aborted' | 'secondary';

export interface Sel2TestCpu {
  phase: Phase;
  /** The partition's x0-x30 (64-bit little-endian words), ELR_EL2 (where it resumes) and SPSR_EL2 (hex) when it is not running. */
  x: Uint8Array;
  elr: string;
  spsr: string;
  /** The virtual interrupt injected into the partition (HCR_EL2.VI), 0 when none. */
  vIntid: number;
}

export interface Sel2TestState {
  version: 1;
  cpus: Sel2TestCpu[];
  /** The partition's abort, when it had one. */
  abort: { esr: string; far: string; hpfar: string } | null;
  /** Secure interrupts the plug-in took (INTIDs, in order) and how each arrived. */
  interrupts: Array<{ intid: number; via: 'ffa-interrupt' | 'irq' | 'fiq' }>;
  /** Framework messages received (PSCI function IDs). */
  pmMessages: number[];
}

const hex = (v: bigint): string => '0x' + v.toString(16);
const u64 = (v: number): bigint => BigInt.asUintN(64, BigInt(v));

export class Sel2TestPlugin implements ExceptionSoftware {
  s: Sel2TestState;

  /** @param version the FF-A version this SPMC implements (FFA_VERSION's answer). */
  constructor(numCpus: number, private readonly version = F.FFA_VERSION_1_1) {
    this.s = {
      version: 1,
      cpus: Array.from({ length: numCpus }, () => ({ phase: 'init' as Phase, x: new Uint8Array(31 * 8), elr: '0x0', spsr: '0x0', vIntid: 0 })),
      abort: null,
      interrupts: [],
      pmMessages: [],
    };
  }

  getState(): Sel2TestState {
    return structuredClone(this.s);
  }
  loadState(st: unknown): void {
    this.s = structuredClone(st as Sel2TestState);
    for (const c of this.s.cpus) c.x = new Uint8Array(c.x); // aligned, for the 32-bit word copies
  }

  /** Entered from EL3 (cold boot, secondary boot, or an FF-A message in x0-x7). */
  resume(m: Machine, cpu: number): void {
    const c = this.s.cpus[cpu]!;
    const regs = m.core.regs(cpu);
    if (c.phase === 'init') {
      if (cpu !== 0) {
        c.phase = 'secondary';
        smcFromEl2(m, cpu, [u64(F.FFA_MSG_WAIT)]);
        return;
      }
      this.buildStage2(m, cpu);
      regs.set('ELR_EL2', BigInt(PARTITION_BASE));
      regs.set('SPSR_EL2', SPSR_EL1H_MASKED);
      m.core.eret(cpu);
      return;
    }
    const fid = Number(regs.x(0) & 0xffff_ffffn) >>> 0;
    if (fid === F.FFA_MSG_SEND_DIRECT_REQ_32 || fid === F.FFA_MSG_SEND_DIRECT_REQ_64) {
      const x1 = regs.x(1) & 0xffff_ffffn;
      const resp = u64(fid === F.FFA_MSG_SEND_DIRECT_REQ_32 ? F.FFA_MSG_SEND_DIRECT_RESP_32 : F.FFA_MSG_SEND_DIRECT_RESP_64);
      const swapped = ((x1 & 0xffffn) << 16n) | (x1 >> 16n);
      if ((regs.x(2) & BigInt(F.FFA_FWK_MSG_BIT)) !== 0n && (regs.x(2) & 0xffn) === BigInt(F.SPMD_FWK_MSG_FFA_VERSION_REQ)) {
        // The Normal world's FFA_VERSION: this SPMC's version (major 1 asked; else NOT_SUPPORTED).
        const asked = regs.x(3) & 0xffff_ffffn;
        const version = asked >> 16n === 1n ? BigInt(this.version) : u64(E.NOT_SUPPORTED) & 0xffff_ffffn;
        smcFromEl2(m, cpu, [resp, swapped, BigInt((F.FFA_FWK_MSG_BIT | F.SPMD_FWK_MSG_FFA_VERSION_RESP) >>> 0), version, 0n, 0n, 0n, 0n]);
        return;
      }
      if ((regs.x(2) & BigInt(F.FFA_FWK_MSG_BIT)) !== 0n) {
        // A power-management message from the SPMD: nothing to quiesce here; success.
        this.s.pmMessages.push(Number(regs.x(3) & 0xffff_ffffn));
        smcFromEl2(m, cpu, [resp, swapped, BigInt((F.FFA_FWK_MSG_BIT | F.FFA_FWK_MSG_PSCI_RESP) >>> 0), 0n, 0n, 0n, 0n, 0n]);
        return;
      }
      if (Number(x1 & 0xffffn) !== PARTITION_ID) return this.error(m, cpu, E.INVALID_PARAMETERS);
      if (c.phase === 'aborted') return this.error(m, cpu, E.ABORTED);
      if (c.phase !== 'ready') return this.error(m, cpu, E.DENIED);
      // The message is in x0-x7; the partition's other registers as it left them.
      const all = new Uint32Array(62);
      regs.readGprWords(all, 0);
      all.set(new Uint32Array(c.x.buffer, c.x.byteOffset, 62).subarray(16), 16); // x8-x30 saved, x0-x7 the message
      regs.writeGprWords(all, 0);
      regs.set('ELR_EL2', BigInt(c.elr));
      regs.set('SPSR_EL2', BigInt(c.spsr));
      c.phase = 'running';
      m.core.eret(cpu);
      return;
    }
    if (fid === F.FFA_INTERRUPT) {
      this.takeInterrupts(m, cpu, 'ffa-interrupt');
      smcFromEl2(m, cpu, [u64(F.FFA_NORMAL_WORLD_RESUME)]);
      return;
    }
    if (fid === F.FFA_RUN) {
      // Resume the partition a Non-secure interrupt preempted (w1 = its ID << 16 | vCPU 0).
      if (Number((regs.x(1) >> 16n) & 0xffffn) !== PARTITION_ID) return this.error(m, cpu, E.INVALID_PARAMETERS);
      if (c.phase !== 'preempted') return this.error(m, cpu, E.DENIED);
      regs.writeGprWords(new Uint32Array(c.x.buffer, c.x.byteOffset, 62), 0);
      regs.set('ELR_EL2', BigInt(c.elr));
      regs.set('SPSR_EL2', BigInt(c.spsr));
      c.phase = 'running';
      m.core.eret(cpu);
      return;
    }
    this.error(m, cpu, E.NOT_SUPPORTED);
  }

  /** An exception from the partition (Secure EL1) to S-EL2. */
  handle(m: Machine, cpu: number, toEl: number): void {
    const c = this.s.cpus[cpu]!;
    const regs = m.core.regs(cpu);
    const kind = m.core.excKind(cpu);
    if (toEl === 2 && (kind === EXC_IRQ || kind === EXC_FIQ)) {
      const before = this.s.interrupts.length;
      const taken = this.takeInterrupts(m, cpu, kind === EXC_IRQ ? 'irq' : 'fiq');
      if (taken > 0 && c.phase === 'running') {
        // A Secure interrupt while the partition runs is its: injected as a
        // virtual IRQ (HCR_EL2.VI), which it asks about with HF_INTERRUPT_GET.
        c.vIntid = this.s.interrupts[before]!.intid;
        regs.set('HCR_EL2', regs.get('HCR_EL2') | HCR_VI);
      }
      if (taken === 0 && this.group0Pending(m, cpu)) {
        // Group 0 is EL3's: handed over with FFA_EL3_INTR_HANDLE, then the
        // partition goes on with its registers as they were.
        const kept = Array.from({ length: 8 }, (_, i) => regs.x(i));
        if (!smcFromEl2(m, cpu, [u64(F.FFA_EL3_INTR_HANDLE)])) return;
        kept.forEach((v, i) => regs.setX(i, v));
        m.core.eret(cpu);
        return;
      }
      if (taken === 0 && c.phase === 'running') {
        // Not a Secure one: a Non-secure interrupt (Group 1 NS is an FIQ in
        // Secure state) preempts the partition; the Normal world gets
        // FFA_INTERRUPT and resumes it later with FFA_RUN (FF-A v1.1 §8.3).
        this.savePartition(m, cpu, regs.get('ELR_EL2'));
        c.phase = 'preempted';
        smcFromEl2(m, cpu, [u64(F.FFA_INTERRUPT), BigInt(PARTITION_ID) << 16n, 0n, 0n, 0n, 0n, 0n, 0n]);
        return;
      }
      m.core.eret(cpu);
      return;
    }
    const esr = regs.get('ESR_EL2');
    const ec = Number((esr >> 26n) & 0x3fn);
    if (toEl === 2 && kind === EXC_SYNC && ec === EC_SMC64) {
      // A trapped SMC returns past itself (its preferred return address is the SMC).
      this.savePartition(m, cpu, regs.get('ELR_EL2') + 4n);
      const fid = Number(regs.x(0) & 0xffff_ffffn) >>> 0;
      if (fid === F.FFA_MSG_WAIT && c.phase === 'init') {
        c.phase = 'ready';
        if (!smcFromEl2(m, cpu, [u64(F.FFA_SECONDARY_EP_REGISTER_64), TEST_SPMC_SECONDARY_ENTRY])) return;
        smcFromEl2(m, cpu, [u64(F.FFA_MSG_WAIT)]);
        return;
      }
      if ((fid === F.FFA_MSG_SEND_DIRECT_RESP_32 || fid === F.FFA_MSG_SEND_DIRECT_RESP_64) && c.phase === 'running') {
        c.phase = 'ready';
        smcFromEl2(m, cpu, Array.from({ length: 8 }, (_, i) => regs.x(i)));
        return;
      }
      // Anything else the partition asks: not supported, back to it.
      regs.setX(0, u64(F.FFA_ERROR));
      regs.setX(2, u64(E.NOT_SUPPORTED) & 0xffff_ffffn);
      m.core.eret(cpu);
      return;
    }
    if (toEl === 2 && kind === EXC_SYNC && ec === EC_HVC64 && (regs.x(0) & 0xffff_ffffn) === BigInt(HF_INTERRUPT_GET)) {
      // The pending virtual interrupt, acknowledged (ELR_EL2 is already past the HVC).
      regs.setX(0, BigInt(c.vIntid));
      c.vIntid = 0;
      regs.set('HCR_EL2', regs.get('HCR_EL2') & ~HCR_VI);
      m.core.eret(cpu);
      return;
    }
    if (toEl === 2 && kind === EXC_SYNC && ec === EC_DABT_LOWER && c.phase === 'running') {
      this.s.abort = { esr: hex(esr), far: hex(regs.get('FAR_EL2')), hpfar: hex(regs.get('HPFAR_EL2')) };
      c.phase = 'aborted';
      this.error(m, cpu, E.ABORTED);
      return;
    }
    m.stop({ kind: 'halt', message: `cpu${cpu}: S-EL2 test plug-in: unexpected exception (kind ${kind}, EC 0x${ec.toString(16)})` });
  }

  private savePartition(m: Machine, cpu: number, elr: bigint): void {
    const c = this.s.cpus[cpu]!;
    const regs = m.core.regs(cpu);
    regs.readGprWords(new Uint32Array(c.x.buffer, c.x.byteOffset, 62), 0);
    c.elr = hex(elr);
    c.spsr = hex(regs.get('SPSR_EL2'));
  }

  /** FFA_ERROR to whoever waits in the Normal world. */
  private error(m: Machine, cpu: number, code: number): void {
    smcFromEl2(m, cpu, [u64(F.FFA_ERROR), 0n, u64(code) & 0xffff_ffffn, 0n, 0n, 0n, 0n, 0n]);
  }

  private group0Pending(m: Machine, cpu: number): boolean {
    const out = { value: 0n };
    m.gic.read(cpu, ICC_HPPIR0_EL1, out);
    return Number(out.value & 0xff_ffffn) < 1020;
  }

  /** Acknowledge every pending Secure Group 1 interrupt, disable it (its source stays asserted) and end it. */
  private takeInterrupts(m: Machine, cpu: number, via: 'ffa-interrupt' | 'irq' | 'fiq'): number {
    const out = { value: 0n };
    for (let taken = 0; ; taken++) {
      m.gic.read(cpu, ICC_IAR1_EL1, out);
      const intid = Number(out.value & 0xff_ffffn);
      if (intid >= 1020) return taken;
      this.s.interrupts.push({ intid, via });
      if (intid < 32) m.bus.write(GICR_BASE + cpu * GICR_STRIDE + GICR_SGI_BASE_OFFSET + GICR_ICENABLER0, 4, BigInt(1 << intid) & 0xffff_ffffn, cpu, true);
      else m.bus.write(GICD_BASE + GICD_ICENABLER + (intid >> 5) * 4, 4, BigInt(1 << (intid & 31)) & 0xffff_ffffn, cpu, true);
      m.gic.write(cpu, ICC_EOIR1_EL1, BigInt(intid));
    }
  }

  /** Secure stage 2: IPA [PARTITION_BASE, +2 MiB) -> the same PA, Secure; nothing else. */
  private buildStage2(m: Machine, cpu: number): void {
    const l1 = S2_TABLES;
    const l2 = S2_TABLES + 0x1000;
    m.core.writePhys(l1, new Uint8Array(0x2000));
    const desc = (pa: number, v: bigint): void => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, v, true);
      m.core.writePhys(pa, b);
    };
    desc(l1 + ((PARTITION_BASE >>> 30) & 3) * 8, BigInt(l2) | 3n);
    desc(l2 + ((PARTITION_BASE >>> 21) & 511) * 8, BigInt(PARTITION_BASE) | S2_BLOCK_RW);
    const regs = m.core.regs(cpu);
    regs.set('VSTCR_EL2', VSTCR);
    regs.set('VSTTBR_EL2', BigInt(l1));
    regs.set('HCR_EL2', HCR_VM | HCR_FMO | HCR_IMO | HCR_TSC | HCR_RW);
    regs.set('CPTR_EL2', regs.resetValue('CPTR_EL2') & ~(1n << 10n)); // FP/SIMD not trapped (TFP = 0)
    m.core.invalidateVmid(1 << cpu, -1, true);
  }
}

/** Put the partition image and its seed values into secure RAM. */
export function loadPartition(m: Machine, seedValues: readonly bigint[] = []): void {
  m.core.writePhys(PARTITION_BASE, partitionImage());
  const b = new Uint8Array(PARTITION_SEED_WORDS * 8);
  const dv = new DataView(b.buffer);
  seedValues.slice(0, PARTITION_SEED_WORDS).forEach((v, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, v), true));
  m.core.writePhys(PARTITION_SEED_VALUES, b);
}

/** NS-EL1 code's load address in the test machines. */
export const NS_CODE_BASE = 0x4008_0000n;

/**
 * A machine with two Security states booted the whole way: `nsProgram`
 * (assembled at NS_CODE_BASE) as the Normal world's kernel at EL1, the
 * test plug-in at S-EL2 with the partition in secure RAM, the EL3
 * firmware's cold boot done (the SPMC's init runs first when the machine runs).
 */
export function bootSecureTestMachine(nsProgram: string, opts: { numCpus?: number; partitionSeeds?: readonly bigint[]; spmcVersion?: number } = {}): { m: Machine; plugin: Sel2TestPlugin } {
  const numCpus = opts.numCpus ?? 1;
  const m = new Machine({ numCpus, ramBytes: 32 << 20, seed: 7n, secure: true });
  bootKernel(m, { kernel: assemble(nsProgram, { baseAddress: NS_CODE_BASE }).bytes });
  const plugin = new Sel2TestPlugin(numCpus, opts.spmcVersion);
  m.software.install('el2-s', plugin);
  loadPartition(m, opts.partitionSeeds);
  secureColdBoot(m, { entry: TEST_SPMC_ENTRY, manifestAddress: 0x0e00_2000n, ...(opts.spmcVersion ? { spmcVersion: opts.spmcVersion } : {}) });
  return { m, plugin };
}

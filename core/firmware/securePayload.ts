// A secure payload at Secure EL1 entered by the EL3 firmware when no Secure
// EL2 software is installed: what TF-A's BL31 does with a BL32 and an S-EL1
// SPD (the TSP and its dispatcher, services/spd/tspd, are the model). At cold
// boot EL3 keeps CPU 0's Non-secure boot state (what the loader or the
// hypervisor set up), enters the payload at Secure EL1 with SCR_EL3.NS = 0
// and the EL1 system registers at their reset values; the payload ends its
// initialisation with SMC TSP_ENTRY_DONE, and EL3 saves the payload's EL1
// context, puts the Non-secure one back and ERETs into the Non-secure boot.
// The secure world then stays asleep: calls into it from the Non-secure
// world (TSP fast/yielding SMCs) and secure interrupts routed to it are not
// modelled yet (its context is kept so they can come).
//
// The world switch is the SPMD's (worldContext.ts: TF-A's cpu_context):
// system registers are not banked by Security state, so EL3 swaps them.
import type { Machine } from '../machine.js';
import { SECURE_RAM_BYTES, SECURE_RAM_PA } from '../cpu/cpu.js';
import { readableVersion, type RecordSchema } from '../stateRecord.js';
import type { SmcccCall } from './smccc.js';
import { identifyImage, ImageError, type ImageInfo } from './loader.js';
import { resetContext, restoreWorld, saveWorld, setContextWord, sysWord, WORLD_CONTEXT_BYTES } from './worldContext.js';

/** TF-A tsp.h: the payload's "initialisation done" SMC (x1: its vector table). */
export const TSP_ENTRY_DONE = 0xf200_0000;
/** Where a raw payload image is loaded and entered: TF-A plat/qemu's BL32 base
 *  (SEC_DRAM_BASE), 1 MiB into secure RAM. */
export const SECURE_PAYLOAD_BASE = SECURE_RAM_PA + 0x10_0000;
export const SECURE_PAYLOAD_MAX_BYTES = SECURE_RAM_PA + SECURE_RAM_BYTES - SECURE_PAYLOAD_BASE;
export const SECURE_PAYLOAD_COMPONENT = 'secure-payload';

export interface SecurePayloadState {
  version: 1;
  /** 'init': the payload runs its initialisation; 'ready': it has returned
   *  TSP_ENTRY_DONE and its context is saved in `secure`. */
  phase: 'init' | 'ready';
  entry: string;
  /** The Non-secure boot context (a world context, worldContext.ts), kept while the payload initialises. */
  nonSecure: Uint8Array | null;
  /** The payload's context after its initialisation. */
  secure: Uint8Array | null;
  /** TSP_ENTRY_DONE's x1: the payload's vector table for later entries. */
  vectors: string;
}

const SCHEMA: RecordSchema = { name: 'secure payload', version: 1 };

/** EL3h, DAIF masked; EL1h, DAIF masked. */
const PSTATE_EL3H = 0x3cd;
const PSTATE_EL1H = 0x3c5n;
/** SCR_EL3 for the Secure world below EL3: RW (EL1 is AArch64), NS = 0. */
const SCR_RW = 1n << 10n;
const SCR_NS = 1n;

const hex = (v: bigint): string => `0x${v.toString(16)}`;
const HEX = /^0x[0-9a-f]{1,16}$/;

/** Load `ctx` at EL3 and return into its world (ERET). */
function enterWorld(m: Machine, cpu: number, ctx: Uint8Array): void {
  restoreWorld(m, cpu, ctx);
  // EL1 translation state changed under the TLB's feet: TF-A relies on the
  // TLB tags (Security state, VMID/ASID); flush to be independent of them.
  m.core.flushTlb(cpu);
  m.core.eret(cpu);
}

/** What is wrong with a record (from a snapshot: outside input), or null. */
function stateProblem(s: SecurePayloadState): string | null {
  if (s.phase !== 'init' && s.phase !== 'ready') return `phase '${String(s.phase)}' is neither init nor ready`;
  if (!HEX.test(s.entry) || !HEX.test(s.vectors)) return 'bad entry or vectors address';
  for (const [ctx, what] of [[s.nonSecure, 'the Non-secure context'], [s.secure, 'the secure context']] as const) {
    if (ctx !== null && !(ctx instanceof Uint8Array && ctx.length === WORLD_CONTEXT_BYTES)) return `${what} is not a world context of ${WORLD_CONTEXT_BYTES} bytes`;
  }
  return null;
}

/** The EL3 firmware's secure payload dispatcher (plugged in with installSecurePayload). */
export class SecurePayload {
  s: SecurePayloadState;

  constructor(m: Machine, entry: bigint) {
    this.s = { version: 1, phase: 'init', entry: hex(entry), nonSecure: null, secure: null, vectors: '0x0' };
    m.registerComponent(SECURE_PAYLOAD_COMPONENT, {
      getState: () => structuredClone(this.s),
      loadState: (st: unknown) => {
        readableVersion(SCHEMA, st);
        const problem = stateProblem(st as SecurePayloadState);
        if (problem) throw new Error(`secure payload record: ${problem}`);
        this.s = structuredClone(st as SecurePayloadState);
      },
    });
  }

  /** Cold boot on CPU 0: keep its Non-secure boot state, enter the payload at Secure EL1. */
  coldBoot(m: Machine): void {
    const cpu = 0;
    const r = m.core.regs(cpu);
    // The PE at its Non-secure entry becomes the saved Non-secure world: it resumes there (ELR_EL3/SPSR_EL3).
    r.set('ELR_EL3', m.core.getPc(cpu));
    r.set('SPSR_EL3', BigInt(m.core.pstate(cpu)));
    m.core.setPstate(cpu, PSTATE_EL3H);
    this.s.nonSecure = new Uint8Array(WORLD_CONTEXT_BYTES);
    saveWorld(m, cpu, this.s.nonSecure);
    const payload = resetContext(m, cpu);
    setContextWord(payload, sysWord('SCR_EL3'), (r.get('SCR_EL3') | SCR_RW) & ~SCR_NS);
    setContextWord(payload, sysWord('ELR_EL3'), BigInt(this.s.entry));
    setContextWord(payload, sysWord('SPSR_EL3'), PSTATE_EL1H);
    enterWorld(m, cpu, payload);
  }

  /** An SMC the payload dispatcher takes (TSP_ENTRY_DONE from Secure EL1
   *  during initialisation); false: not one of its calls. On true the CPU
   *  has been switched to the Non-secure world. */
  smc(m: Machine, cpu: number, call: SmcccCall): boolean {
    if (call.world !== 's' || (Number(call.x[0]! & 0xffff_ffffn) >>> 0) !== TSP_ENTRY_DONE || this.s.phase !== 'init' || !this.s.nonSecure) return false;
    this.s.secure = new Uint8Array(WORLD_CONTEXT_BYTES);
    saveWorld(m, cpu, this.s.secure);
    this.s.vectors = hex(call.x[1]!);
    this.s.phase = 'ready';
    const ns = this.s.nonSecure;
    this.s.nonSecure = null;
    enterWorld(m, cpu, ns);
    return true;
  }
}

export class SecurePayloadError extends Error {}

/** Write `image` into secure RAM: an AArch64 ELF at its segments' physical
 *  addresses (each inside secure RAM), entered at e_entry; anything else raw
 *  at SECURE_PAYLOAD_BASE, entered at its first byte. Returns the entry. */
function loadPayload(m: Machine, image: Uint8Array): bigint {
  const ram = m.core.secureRamView();
  let info: ImageInfo;
  try {
    info = identifyImage(image);
  } catch (e) {
    if (e instanceof ImageError) throw new SecurePayloadError(e.message);
    throw e;
  }
  const end = BigInt(SECURE_RAM_PA + SECURE_RAM_BYTES);
  if (info.kind === 'elf') {
    for (const seg of info.segments) {
      if (seg.paddr < BigInt(SECURE_RAM_PA) || seg.paddr + seg.memSize > end) {
        throw new SecurePayloadError(`ELF segment at 0x${seg.paddr.toString(16)} (0x${seg.memSize.toString(16)} bytes) is outside secure RAM (0x${SECURE_RAM_PA.toString(16)}..0x${end.toString(16)})`);
      }
    }
    const inside = info.segments.some((seg) => info.entry >= seg.paddr && info.entry < seg.paddr + seg.memSize);
    if (!inside) throw new SecurePayloadError(`ELF entry 0x${info.entry.toString(16)} is in none of its segments`);
    for (const seg of info.segments) {
      const off = Number(seg.paddr) - SECURE_RAM_PA;
      ram.fill(0, off, off + Number(seg.memSize));
      ram.set(seg.fileBytes, off);
    }
    return info.entry;
  }
  if (image.length > SECURE_PAYLOAD_MAX_BYTES) throw new SecurePayloadError(`the secure payload has ${image.length} bytes, more than the ${SECURE_PAYLOAD_MAX_BYTES} of secure RAM from 0x${SECURE_PAYLOAD_BASE.toString(16)}`);
  ram.set(image, SECURE_PAYLOAD_BASE - SECURE_RAM_PA);
  return BigInt(SECURE_PAYLOAD_BASE);
}

/** Load `image` into secure RAM (loadPayload) and plug the dispatcher into
 *  the machine's EL3 firmware; call after the Non-secure boot is set up,
 *  then coldBoot(). */
export function installSecurePayload(m: Machine, image: Uint8Array): SecurePayload {
  if (!m.config.secure) throw new SecurePayloadError('a secure payload needs a machine with two Security states');
  // With Secure EL2 software (an SPMC) the partitions are its business, not EL3's.
  if (m.software.get('el2-s') !== undefined) throw new SecurePayloadError('Secure EL2 software is installed: EL3 enters a Secure EL1 payload only without it');
  if (image.length === 0) throw new SecurePayloadError('the secure payload is empty');
  const entry = loadPayload(m, image);
  m.core.memoryWritten();
  const p = new SecurePayload(m, entry);
  attachSecurePayload(m, p);
  return p;
}

/** Plug a dispatcher into the EL3 firmware (also after a snapshot restore). */
export function attachSecurePayload(m: Machine, p: SecurePayload): void {
  const fw = m.software.get('el3') as { securePayload?: SecurePayload } | undefined;
  if (!fw || !('securePayload' in fw)) throw new SecurePayloadError('the EL3 software is not the EL3 firmware');
  fw.securePayload = p;
}

// The code `hvrr fuzz ffa-machine` generates from a compiled command list:
// - the VM's image (under the hypervisor): it maps its RX/TX pair, then
//   makes each step in order; its own calls with the step's descriptor
//   copied into its TX buffer and an SMC, a partition's as a direct request
//   (the test partition's command 10, core/spmc/testPartition.ts) naming
//   the step's record in that partition's image; after each it stores
//   x0-x7 in its answer array and calls `checkpoint` (the fuzzer's
//   breakpoint: one stop per step), and at the end SYSTEM_OFF;
// - each partition's package: the test partition with its RX/TX mapped at
//   init and one command-10 record per step it makes (registers, and its
//   descriptor to copy into its TX buffer).
// Every handle and address is a constant (the model predicts the handles),
// so a run needs no help from the host: `hvrr record` with the same files
// is the same run.
import { assemble } from '../../core/asm/assembler.js';
import * as F from '../../core/ffa/functionIds.js';
import { PSCI_SYSTEM_OFF } from '../../core/firmware/psci.js';
import { encodeRelinquish } from '../../core/ffa/memory/relinquish.js';
import { encodeTransaction } from '../../core/ffa/memory/transaction.js';
import { handleWords } from '../../core/ffa/result.js';
import { retrieveTx } from '../../core/spmc/ledgerTesting.js';
import { ffaCall, testPartitionManifest, testPartitionPackage, TP_RECORD_BYTES, TP_RECORD_COUNT, TP_RECORD_DEST } from '../../core/spmc/testPartition.js';
import { LOAD_ADDRESS } from '../../guests/conformance/runtime.js';
import { BULK_FIRST_PAGE, firstFragmentBytes, sendDescriptor, SP_IDS, VM_ID, type PageRef, type Step } from './model.js';

/** The VM's pages in play at IPA AREA_IPA (4), its RX/TX, its answer array (64 bytes per step). */
export const AREA_IPA = 0x4010_0000;
export const VM_TX_IPA = 0x4020_0000;
export const VM_RX_IPA = 0x4020_1000;
export const ANSWERS_IPA = 0x4030_0000;
/** The VM's bulk region (BULK_PAGES pages, model.ts). */
export const BULK_IPA = 0x4040_0000;
/** A partition's TX/RX buffers and the two pages it sends, as offsets in its 64 KiB image. */
const SP_TX = 0xa000;
const SP_RX = 0xb000;
export const SP_PAGE_OFFSETS = [0xc000, 0xd000] as const;
/** Where a partition's command-10 records go in its image: past TP_CALL_REGS up to its TX buffer, then above its stack
 *  (which grows down from 0xf000): room for SP_MAX_STEPS records of at most 288 bytes (a two-receiver, two-page send). */
const RECORD_AREAS = [[0x8800, 0xa000], [0xf000, 0x10000]] as const;

export const spBase = (id: number): number => Number(testPartitionManifest({ id }).loadAddress!);

/** Where the hypervisor places VM1's RAM (IPA 0x4000_0000) with these options (runCase checks it). */
export const VM_BACKING_PA = 0x4100_0000;
export const VM_RAM_IPA = 0x4000_0000;

/** Where the VM sees its page `p` (home 0): an area page or one of the bulk region. */
export function pageIpa(p: PageRef): number {
  return p.page < BULK_FIRST_PAGE ? AREA_IPA + p.page * 0x1000 : BULK_IPA + (p.page - BULK_FIRST_PAGE) * 0x1000;
}

/** Where page `p` is in machine memory. */
export function pagePa(p: PageRef): number {
  return p.home === 0 ? VM_BACKING_PA + (pageIpa(p) - VM_RAM_IPA) : spBase(SP_IDS[p.home - 1]!) + SP_PAGE_OFFSETS[p.page]!;
}

/** The address caller `by` names page `p` by: the VM its IPA, a partition its PA (IPA = PA in a partition's Stage 2). */
function pageAddress(p: PageRef, by: number): bigint {
  return BigInt(p.home === 0 && by === 0 ? pageIpa(p) : pagePa(p));
}

/** The mark the VM writes in a page it retrieved read-write at step `k` (0-based). */
export const touchMark = (k: number): bigint => 0x7e57_0000_0000_0000n | BigInt(k);

const SEND_FID = { share: [F.FFA_MEM_SHARE_64, F.FFA_MEM_SHARE_32], lend: [F.FFA_MEM_LEND_64, F.FFA_MEM_LEND_32], donate: [F.FFA_MEM_DONATE_64, F.FFA_MEM_DONATE_32] } as const;
const callerId = (by: number): number => (by === 0 ? VM_ID : SP_IDS[by - 1]!);

/** A step's registers x0-x17 and descriptor (written to the caller's TX buffer first), or null. */
export function stepCall(s: Step): { x: bigint[]; desc: Uint8Array | null } {
  const x = Array<bigint>(18).fill(0n);
  let desc: Uint8Array | null = null;
  const me = callerId(s.by);
  switch (s.call) {
    case 'send':
    case 'frag-tx': {
      const tx = sendDescriptor(s.op, me, s.receivers, s.pages, s.access, (p) => pageAddress(p, s.by));
      const whole = encodeTransaction(tx);
      // The constituents come last: a first fragment is what fits the TX buffer (at least the last constituent
      // short), FRAG_TX the constituents after it.
      const cut = s.first || s.call === 'frag-tx' ? firstFragmentBytes(tx) : whole.length;
      if (s.call === 'send') {
        x[0] = BigInt(SEND_FID[s.op][s.w32 ? 1 : 0]);
        x[1] = BigInt(whole.length);
        desc = whole.subarray(0, cut);
        x[2] = BigInt(desc.length);
        return { x, desc };
      }
      desc = whole.subarray(cut);
      x[0] = BigInt(F.FFA_MEM_FRAG_TX);
      [x[1], x[2]] = handleWords(s.handle);
      x[3] = BigInt(desc.length);
      return { x, desc };
    }
    case 'retrieve':
      desc = encodeTransaction(retrieveTx(s.op, s.sender, s.receivers, s.handle, s.access));
      x[0] = BigInt(s.w32 ? F.FFA_MEM_RETRIEVE_REQ_32 : F.FFA_MEM_RETRIEVE_REQ_64);
      break;
    case 'relinquish':
      desc = encodeRelinquish({ handle: s.handle, flags: 0, endpoints: [me] });
      x[0] = BigInt(F.FFA_MEM_RELINQUISH);
      break;
    case 'frag-rx':
      x[0] = BigInt(F.FFA_MEM_FRAG_RX);
      [x[1], x[2]] = handleWords(s.handle);
      x[3] = BigInt(s.offset ?? 0);
      return { x, desc };
    case 'rx-release':
      x[0] = BigInt(F.FFA_RX_RELEASE);
      break;
    case 'reclaim':
      x[0] = BigInt(F.FFA_MEM_RECLAIM);
      [x[1], x[2]] = handleWords(s.handle);
      break;
  }
  if (desc) {
    x[1] = BigInt(desc.length);
    x[2] = BigInt(desc.length);
  }
  return { x, desc };
}

const hex = (v: bigint | number): string => `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;

function quads(bytes: Uint8Array): string {
  const padded = new Uint8Array(Math.ceil(bytes.length / 8) * 8);
  padded.set(bytes);
  const dv = new DataView(padded.buffer);
  const out: string[] = [];
  for (let i = 0; i < padded.length; i += 8) out.push(`  .quad ${hex(dv.getBigUint64(i, true))}`);
  return out.join('\n');
}

export interface MachineImages {
  vm: Uint8Array;
  /** The packages of SP 0x8004 and 0x8005. */
  sps: Uint8Array[];
  /** The VA of `checkpoint` (one stop per step, the RX/TX map first). */
  checkpoint: number;
}

export function machineImages(steps: readonly Step[]): MachineImages {
  const records: Array<Array<{ offset: number; bytes: Uint8Array }>> = SP_IDS.map(() => []);
  const next = SP_IDS.map(() => ({ area: 0, at: RECORD_AREAS[0][0] as number }));
  const answer = (slot: number): string => `  ldr x20, =${hex(ANSWERS_IPA + 64 * slot)}
  stp x0, x1, [x20]
  stp x2, x3, [x20, #16]
  stp x4, x5, [x20, #32]
  stp x6, x7, [x20, #48]
  bl checkpoint
`;
  let code = `${ffaCall(F.FFA_RXTX_MAP_64, [VM_TX_IPA, VM_RX_IPA, 1])}
${answer(0)}`;
  let data = '';
  steps.forEach((s, k) => {
    const { x, desc } = stepCall(s);
    if (s.by === 0) {
      if (desc) {
        data += `desc_${k}:\n${quads(desc)}\n`;
        code += `  ldr x9, =desc_${k}
  ldr x10, =${hex(VM_TX_IPA)}
  mov x11, #${Math.ceil(desc.length / 8)}
1:
  ldr x12, [x9], #8
  str x12, [x10], #8
  subs x11, x11, #1
  b.ne 1b
`;
      }
      code += x.map((v, i) => `  ldr x${i}, =${hex(v)}`).join('\n') + `\n  smc #0\n${answer(k + 1)}`;
      // A granted retrieve: the VM reads each page at its IPA and, granted RW, writes its mark there.
      for (const p of s.touch ? s.pages : []) {
        code += `  ldr x10, =${hex(pageIpa(p))}\n  ldr x11, [x10]\n`;
        if (s.touch === 'rw') code += `  ldr x11, =${hex(touchMark(k))}\n  str x11, [x10]\n`;
      }
      return;
    }
    // A partition's step: its record (registers, byte count, TX address, descriptor) in its image.
    const sp = s.by - 1;
    const id = SP_IDS[sp]!;
    const bytes = desc ?? new Uint8Array(0);
    const padded = Math.ceil(bytes.length / 8) * 8;
    const rec = new Uint8Array(TP_RECORD_BYTES + padded);
    const dv = new DataView(rec.buffer);
    x.forEach((v, i) => dv.setBigUint64(8 * i, BigInt.asUintN(64, v), true));
    dv.setBigUint64(TP_RECORD_COUNT, BigInt(padded), true);
    dv.setBigUint64(TP_RECORD_DEST, BigInt(spBase(id) + SP_TX), true);
    rec.set(bytes, TP_RECORD_BYTES);
    const free = next[sp]!;
    if (free.at + rec.length > RECORD_AREAS[free.area]![1]) {
      free.area++;
      if (free.area === RECORD_AREAS.length) throw new Error(`ffa-machine: partition 0x${id.toString(16)}'s steps do not fit its image`);
      free.at = RECORD_AREAS[free.area]![0];
    }
    const offset = free.at;
    records[sp]!.push({ offset, bytes: rec });
    free.at += rec.length;
    const req = [F.FFA_MSG_SEND_DIRECT_REQ_64, (VM_ID << 16) | id, 0, 10, spBase(id) + offset];
    code += req.map((v, i) => `  ldr x${i}, =${hex(v)}`).join('\n') + `\n  smc #0\n${answer(k + 1)}`;
  });
  const src = `
_start:
${code}
  ldr x0, =${hex(PSCI_SYSTEM_OFF)}
  smc #0
2:
  wfi
  b 2b
checkpoint:
  ret
  .balign 8
${data}
`;
  const r = assemble(src, { baseAddress: LOAD_ADDRESS });
  const checkpoint = r.symbols.get('checkpoint');
  if (checkpoint === undefined) throw new Error('ffa-machine: the VM image has no checkpoint');
  if (LOAD_ADDRESS + BigInt(r.bytes.length) > BigInt(AREA_IPA)) throw new Error('ffa-machine: the VM image reaches its area pages');
  const sps = SP_IDS.map((id, i) => testPartitionPackage({ id, messaging: 0x607, init: ffaCall(F.FFA_RXTX_MAP_64, [spBase(id) + SP_TX, spBase(id) + SP_RX, 1]), data: records[i]! }));
  return { vm: r.bytes, sps, checkpoint: Number(checkpoint) };
}

// One `hvrr fuzz ffa-machine` case: the compiled steps' VM image and
// partition packages written to files, the machine built from `hvrr run`
// options (--secure, the packages as --sp: the same options `hvrr record`
// takes, so a failing case's recording is the same run), run with a
// breakpoint on the VM's `checkpoint`, and after every step:
// - no host exception, the machine still running;
// - the answer is the model's (success with the predicted handle, or its
//   FF-A error code);
// - the SPMC's ledger holds the model's live handles with the model's
//   borrowers, every page in play in the model's transaction, the hypervisor's record of its VM's sends to partitions
//   (spShares) the model's live VM sends, and both ledgers name the model's
//   owner of every page in play;
// - walking the VM's real Stage-2 tables (from VTTBR's root in machine RAM)
//   finds the model's access to each of its pages, and walking each
//   partition's real secure and non-secure Stage-2 tables finds exactly the
//   model's grants: every page in play mapped as the model says, nothing
//   else mapped outside the partition's own image.
// At the end the VM powers off (SYSTEM_OFF).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Machine } from '../../core/machine.js';
import * as F from '../../core/ffa/functionIds.js';
import { pageAt } from '../../core/hypervisor/ffa/ownership.js';
import type { MutationName } from '../../core/mutations.js';
import { tableMemory } from '../../core/spmc/partitionLoader.js';
import { Spmc } from '../../core/spmc/spmc.js';
import { walkMappings } from '../../core/spmc/stage2Table.js';
import { hex64 } from '../../core/spmc/transactionRecord.js';
import { MemoryLedger } from '../../core/spmc/memoryLedger.js';
import type { Hypervisor } from '../../core/hypervisor/hypervisor.js';
import { fuzzMachine, lastEvent } from '../machineRun.js';
import { ANSWERS_IPA, BULK_IPA, machineImages, pageIpa, pagePa, touchMark, VM_BACKING_PA, VM_RAM_IPA, type MachineImages } from './guest.js';
import { accessOf, allPages, BULK_PAGES, compile, initialState, pageKey, SP_IDS, stepText, VM_ID, type Access, type MachineCmd, type ModelState, type PageRef, type Step } from './model.js';

/** Instructions one step may take (a correct step takes a few thousand). */
export const STEP_MAX_INSTRUCTIONS = 5_000_000;

export interface MachineCaseResult {
  violation: { message: string; event: number } | null;
  steps: number;
  /** Steps checked (the RX/TX map included). */
  checked: number;
  covered: string[];
}

/** The `hvrr run`/`record` options of a case whose VM image is at `kernelPath` and packages at `spPaths`. */
export function machineArgv(kernelPath: string, spPaths: readonly string[], machineSeed: number, mutate?: string): string[] {
  return [`--kernel=${kernelPath}`, '--secure', ...spPaths.map((p) => `--sp=${p}`), '--vms=1', '--smp=1', '--pcpus=1', '--mem=8M', '--nic=none', `--seed=${machineSeed}`, '--chaos=0', ...(mutate ? [`--mutate=${mutate}`] : [])];
}

/** Write a case's files into `dir` (name prefix `stem`): [kernel, ...packages]. */
export function writeMachineFiles(img: MachineImages, kernelPath: string): string[] {
  writeFileSync(kernelPath, img.vm);
  return img.sps.map((bytes, i) => {
    const p = `${kernelPath.replace(/\.bin$/, '')}-sp${i + 1}.pkg`;
    writeFileSync(p, bytes);
    return p;
  });
}

const CODE_NAMES: Record<number, string> = { [-1]: 'NOT_SUPPORTED', [-2]: 'INVALID_PARAMETERS', [-3]: 'NO_MEMORY', [-4]: 'BUSY', [-6]: 'DENIED', [-7]: 'RETRY', [-8]: 'ABORTED' };
const codeText = (c: number | null): string => (c === null ? 'success' : (CODE_NAMES[c] ?? String(c)));

function readWords(m: Machine, pa: number, n: number): bigint[] {
  const b = m.core.readPhys(pa, n * 8);
  const dv = new DataView(b.buffer, b.byteOffset, n * 8);
  return Array.from({ length: n }, (_, i) => dv.getBigUint64(i * 8, true));
}

/** The answer a step got, as the model speaks: a code (null success), the handle of a send, the function answered. */
function answerOf(a: bigint[], byPartition: boolean): { code: number | null; fid: number; handle: bigint; text: string } | string {
  let r = a.slice(0, 4);
  if (byPartition) {
    if (Number(a[0]! & 0xffff_ffffn) !== F.FFA_MSG_SEND_DIRECT_RESP_64) return `the direct request to the partition answered 0x${a[0]!.toString(16)} (w2 0x${(a[2]! & 0xffff_ffffn).toString(16)})`;
    r = [a[3]!, a[4]!, a[5]!, a[6]!];
  }
  const fid = Number(r[0]! & 0xffff_ffffn);
  const code = fid === F.FFA_ERROR ? Number(BigInt.asIntN(32, r[2]! & 0xffff_ffffn)) : null;
  // FFA_SUCCESS carries a handle in w2/w3, FFA_MEM_FRAG_RX and FFA_MEM_FRAG_TX in w1/w2.
  const lo = fid === F.FFA_MEM_FRAG_RX || fid === F.FFA_MEM_FRAG_TX ? 1 : 2;
  return { code, fid, handle: ((r[lo + 1]! & 0xffff_ffffn) << 32n) | (r[lo]! & 0xffff_ffffn), text: fid === F.FFA_ERROR ? codeText(code) : (F.ffaFunctionName(fid) ?? `0x${fid.toString(16)}`) };
}

function checkAnswer(step: Step, a: bigint[]): string | null {
  const got = answerOf(a, step.by !== 0);
  if (typeof got === 'string') return got;
  if (got.code !== step.expect) return `answered ${got.text}, the model says ${codeText(step.expect)} (${step.why})`;
  if (step.expect !== null) return null;
  const want = step.call === 'retrieve' ? F.FFA_MEM_RETRIEVE_RESP : step.call === 'frag-rx' ? F.FFA_MEM_FRAG_TX : step.first ? F.FFA_MEM_FRAG_RX : F.FFA_SUCCESS_32;
  if (got.fid !== want && !(want === F.FFA_SUCCESS_32 && got.fid === F.FFA_SUCCESS_64)) return `answered ${got.text}, the model expects ${F.ffaFunctionName(want)}`;
  if ((step.call === 'send' || step.call === 'frag-tx' || step.call === 'frag-rx') && got.handle !== step.handle) return `answered handle ${hex64(got.handle)}, the model's is ${hex64(step.handle)}`;
  return null;
}


const s2Access = (s2ap: number): Access | 'bad' => (s2ap === 3 ? 'rw' : s2ap === 1 ? 'ro' : s2ap === 0 ? 'none' : 'bad');
const who = (id: number | null): string => (id === null ? 'nobody' : id < 0x8000 ? `VM${id}` : `SP 0x${id.toString(16)}`);

/** The machine against the model's state `s`: the first difference, or null. */
function checkState(m: Machine, hv: Hypervisor, spmc: Spmc, s: ModelState): string | null {
  // The SPMC's ledger: the model's live handles (allocation order), each borrower's grant.
  const st = spmc.ledger.getState();
  const want = [...s.txs.values()];
  const got = st.transactions.map((t) => t.handle);
  if (got.join(' ') !== want.map((t) => hex64(t.handle)).join(' ')) return `the SPMC's live handles are ${got.join(' ') || 'none'}, the model's ${want.map((t) => hex64(t.handle)).join(' ') || 'none'}`;
  for (const [i, t] of want.entries()) {
    for (const b of st.transactions[i]!.borrowers) {
      const holds = b.granted !== null;
      if (holds !== t.held.has(b.id)) return `the SPMC's ledger says ${who(b.id)} ${holds ? 'holds' : 'does not hold'} ${hex64(t.handle)}, the model the opposite`;
    }
  }
  // The hypervisor's record of its VM's sends to partitions (a retrieved donate's stays: the pages are gone for good).
  const shares = hv.s.ffa.spShares.map((x) => x.handle).sort().join(' ');
  const vmSends = [...want.filter((t) => t.sender === VM_ID).map((t) => t.handle), ...s.donatedByVm.map((d) => d.handle)].map(hex64).sort().join(' ');
  if (shares !== vmSends) return `the hypervisor's VM sends to partitions are ${shares || 'none'}, the model's ${vmSends || 'none'}`;
  const hl = new MemoryLedger('hypervisor');
  hl.setState(hv.s.ffa.ledger);
  const vm = hv.s.vms[0]!;
  const inPlay = new Map<number, PageRef>();
  for (const p of allPages()) {
    const pa = pagePa(p);
    inPlay.set(pa, p);
    const owner = s.owners.get(pageKey(p))!;
    const spOwner = spmc.ledger.ownerOf(BigInt(pa));
    // The transaction the SPMC's ledger holds the page in (a page record; none: its region's state, in no transaction).
    const inTx = st.pages[hex64(BigInt(pa))]?.handle ?? null;
    const modelTx = s.inTx.get(pageKey(p));
    if (inTx !== (modelTx === undefined ? null : hex64(modelTx))) return `the SPMC's ledger has page 0x${pa.toString(16)} in ${inTx ?? 'no transaction'}, the model in ${modelTx === undefined ? 'none' : hex64(modelTx)}`;
    if (p.home === 0) {
      // A Normal-world page: the SPMC knows the Normal world owns it (or the partition it was donated to), the hypervisor which VM.
      if (owner >= 0x8000 ? spOwner !== owner : spOwner !== null && spOwner >= 0x8000) return `the SPMC's ledger says ${who(spOwner)} owns VM1's page ${p.page}, the model ${who(owner)}`;
      if (owner < 0x8000 && hl.ownerOf(BigInt(pa)) !== owner) return `the hypervisor's ledger says ${who(hl.ownerOf(BigInt(pa)))} owns VM1's page ${p.page}, the model ${who(owner)}`;
      const page = pageAt(hv, vm, pageIpa(p));
      const have = page ? s2Access(page.s2ap) : 'none';
      const expect = accessOf(s, VM_ID, p);
      if (have !== expect) return `VM1's Stage-2 maps its page ${p.page} (IPA 0x${pageIpa(p).toString(16)}) ${have}, the model says ${expect}`;
      if (page && have !== 'none' && page.pa !== pa) return `VM1's Stage-2 maps its page ${p.page} to PA 0x${page.pa.toString(16)}, not 0x${pa.toString(16)}`;
    } else if (spOwner !== owner) {
      return `the SPMC's ledger says ${who(spOwner)} owns page 0x${pa.toString(16)}, the model ${who(owner)}`;
    }
  }
  // Each partition's secure and non-secure Stage 2, walked from its roots.
  const mem = tableMemory(m);
  for (const id of SP_IDS) {
    const p = spmc.s.partitions.find((x) => x.id === id);
    if (!p) return `the SPMC has no partition 0x${id.toString(16)}`;
    const mapped = new Map<number, Access>();
    for (const root of [p.s2Secure, p.s2NonSecure]) {
      for (const [ipa, map] of walkMappings(mem, Number(root))) {
        if (map.pa !== ipa) return `SP 0x${id.toString(16)} maps IPA 0x${ipa.toString(16)} to PA 0x${map.pa.toString(16)} (not the identity)`;
        mapped.set(ipa, map.write ? 'rw' : 'ro');
      }
    }
    const own = (a: number): boolean => p.ownedSecure.some((o) => a >= Number(o.base) && a < Number(o.base) + o.bytes);
    for (const [pa, page] of inPlay) {
      const have = mapped.get(pa) ?? 'none';
      const expect = accessOf(s, id, page);
      if (have !== expect) return `SP 0x${id.toString(16)}'s Stage-2 maps page 0x${pa.toString(16)} ${have}, the model says ${expect}`;
    }
    for (const [ipa] of mapped) {
      if (!inPlay.has(ipa) && !own(ipa) && (m.core.ramOffset(ipa, 4096) >= 0 || m.core.secureRamOffset(ipa, 4096) >= 0)) return `SP 0x${id.toString(16)} maps memory 0x${ipa.toString(16)} it neither owns nor was granted`;
    }
  }
  return null;
}

/** Run a case's commands; its files go to `dir`. */
export function runMachineCase(cmds: readonly MachineCmd[], machineSeed: number, dir: string, mutation: MutationName | '' = ''): MachineCaseResult {
  const { steps, after } = compile(cmds);
  const img = machineImages(steps);
  const kernelPath = join(dir, 'ffa-machine-case.bin');
  const sps = writeMachineFiles(img, kernelPath);
  const { m, hv } = fuzzMachine(img.vm, kernelPath, machineArgv(kernelPath, sps, machineSeed, mutation || undefined));
  const covered = new Set<string>();
  let slot = 0;
  const fail = (message: string): MachineCaseResult => ({ violation: { message, event: lastEvent(m) }, steps: steps.length, checked: slot, covered: [...covered] });
  const spmc = m.software.get('el2-s');
  if (!(spmc instanceof Spmc)) return fail('the machine has no SPMC');
  m.core.setBreakpoints([{ va: BigInt(img.checkpoint), cpuMask: 1, elMask: 1 << 1 }]);
  const vm0 = hv.s.vms[0]!;
  if (vm0.ramIpa + vm0.ramBytes < BULK_IPA + BULK_PAGES * 0x1000) return fail(`VM1's RAM ends at IPA 0x${(vm0.ramIpa + vm0.ramBytes).toString(16)}, before its bulk region`);
  if (hv.s.vms[0]!.backingPa !== VM_BACKING_PA || hv.s.vms[0]!.ramIpa !== VM_RAM_IPA) return fail(`VM1's RAM is at PA 0x${hv.s.vms[0]!.backingPa.toString(16)}, the partitions' records name its pages at 0x${VM_BACKING_PA.toString(16)}`);
  const empty = initialState();
  for (;;) {
    let stop;
    try {
      stop = m.run(m.instructions + STEP_MAX_INSTRUCTIONS);
    } catch (e) {
      return fail(`host exception after step ${slot}: ${(e as Error).message}`);
    }
    if (stop.kind === 'system-off') break;
    if (stop.kind !== 'breakpoint') return fail(`${slot <= steps.length ? `step ${slot}${slot > 0 ? ` (${stepText(steps[slot - 1]!)})` : ''}` : 'the end'}: the machine stopped: ${stop.kind === 'halt' ? stop.message : stop.kind}; SPMC log: ${spmc.s.log.slice(-2).join(' | ')}`);
    const a = readWords(m, hv.s.vms[0]!.backingPa + (ANSWERS_IPA + 64 * slot - hv.s.vms[0]!.ramIpa), 8);
    if (slot === 0) {
      if (Number(a[0]! & 0xffff_ffffn) !== F.FFA_SUCCESS_32) return fail(`VM1's FFA_RXTX_MAP_64 answered 0x${a[0]!.toString(16)}`);
    } else {
      const step = steps[slot - 1]!;
      const wrong = checkAnswer(step, a);
      // A partition's send to the VM counts apart (SP-to-VM).
      const caller = step.by === 0 ? 'vm' : step.call === 'send' && step.receivers.includes(VM_ID) ? 'sp-to-vm' : 'sp';
      covered.add(`${step.call}${step.call === 'send' ? `-${step.op}` : ''} ${caller} ${step.first ? 'first fragment' : codeText(step.expect)}`);
      if (wrong) return fail(`step ${slot} (${stepText(step)}): ${wrong}`);
    }
    // The VM's access after a granted retrieve (the previous step) went where the model says: the mark is in the page.
    const prev = slot >= 2 ? steps[slot - 2]! : null;
    for (const p of prev?.touch === 'rw' ? prev.pages : []) {
      const [v] = readWords(m, pagePa(p), 1);
      if (v !== touchMark(slot - 2)) return fail(`after step ${slot - 1} (${stepText(prev!)}): VM1 wrote ${hex64(touchMark(slot - 2))} to its page ${p.page}, PA 0x${pagePa(p).toString(16)} holds ${hex64(v!)}`);
    }
    const broken = checkState(m, hv, spmc, slot === 0 ? empty : after[slot - 1]!);
    if (broken) return fail(`after step ${slot}${slot > 0 ? ` (${stepText(steps[slot - 1]!)})` : ''}: ${broken}`);
    slot++;
    m.core.passBreakpoint(0);
  }
  if (slot !== steps.length + 1) return fail(`the VM powered off after ${slot} of ${steps.length + 1} steps`);
  return { violation: null, steps: steps.length, checked: slot, covered: [...covered] };
}

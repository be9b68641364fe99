// Test support: a small S-EL1 partition in real machine code for the
// SPMC's whole-machine tests, packaged with its manifest. At init it runs
// `init` (assembly, results stored with `store`), then FFA_MSG_WAIT; each
// direct request's w3 is a command:
//   0  echo: x4 + 0x1000
//   1  relay: a 32-bit direct request to partition x5 with command x6,
//      argument x4 and x5 = x7 (the next hop's target); answers x3 = the
//      answer's x0, x4 = its x4, x5 = its w2, x6 = its w3, x7 = its w5
//   2  read the 64-bit word at x4 (an address outside its memory aborts it)
//   3  wait with IRQs unmasked until a virtual interrupt arrives; x4 = INTID
//   4  spin x4 times
//   5  FFA_YIELD, then answer x4 = what the yield returned in x0
//   6  FFA_CONSOLE_LOG_64 of "hi <x4 as one char>\n" (3 + 1 + 1 characters)
//   7  any FF-A call: x0 = x4, x1-x3 = x5-x7, x4-x7 zero; answers x3-x7 = its x0-x4
//   8  the same over HVC (Hafnium's HF_INTERRUPT_* calls)
//   9  any FF-A call with x0-x17 as stored at DATA + 0x400 (TP_CALL_REGS, by the
//      test); answers as 7
//  10  a call from a record at address x4 (in its image: TP_RECORD_*): copy the
//      record's bytes to its destination (a descriptor into the TX buffer),
//      then any FF-A call with the record's x0-x17; answers as 7 (a whole
//      call sequence is baked into the package, so a run needs no host help)
// Answers are direct responses of the request's width. A Secure interrupt
// while waiting (FFA_INTERRUPT from FFA_MSG_WAIT) is taken with IRQs
// unmasked, counted, and the partition waits again; so does FFA_RUN.
// x8-x17 are left as they came (REQ2 payload). The IRQ vector asks
// HF_INTERRUPT_GET for the INTID (x4, and at DATA + 0x10; DATA + 0x18 counts).
import { assemble } from '../asm/assembler.js';
import * as F from '../ffa/functionIds.js';
import { uuidFromText } from '../ffa/uuid.js';
import { REGION_READ, REGION_WRITE, writeManifest, type DeviceRegion, type MemoryRegion, type PartitionManifest } from './manifest.js';
import { buildSpPackage } from './spPackage.js';
import { HF_INTERRUPT_GET } from './spmc.js';

/** Offsets in the image: results of the init snippet (`store n` writes x0-x3 at DATA + 0x100 + 32 n), vector log. */
export const TP_DATA = 0x8000;
export const TP_IMAGE_BYTES = 0x10000;
/** Offset from TP_DATA of the x0-x17 command 9 calls with. */
const TP_CALL_REGS_OFFSET = 0x400;
/** Image offset of the x0-x17 command 9 calls with. */
export const TP_CALL_REGS = TP_DATA + TP_CALL_REGS_OFFSET;
const STACK = 0xf000;
/** Command 10's record: x0-x17 at +0, then the byte count (a multiple of 8) at +TP_RECORD_COUNT,
 *  the destination address at +TP_RECORD_DEST, the bytes from +TP_RECORD_BYTES. */
export const TP_RECORD_COUNT = 144;
export const TP_RECORD_DEST = 152;
export const TP_RECORD_BYTES = 160;

export interface TestPartitionOptions {
  id: number;
  loadAddress?: bigint | null;
  uuid?: string;
  messaging?: number;
  contexts?: number;
  ffaVersion?: number;
  bootOrder?: number | null;
  notificationSupport?: boolean;
  nsInterruptsAction?: 'queued' | 'managed-exit' | 'signaled';
  managedExitVirq?: boolean;
  /** Assembly run at init before FFA_MSG_WAIT; `STORE n` stores x0-x3 (use the macro text `store(n)`). */
  init?: string;
  /** Assembly run first, before the partition's FFA_ID_GET (which fixes its FF-A version). */
  first?: string;
  memoryRegions?: MemoryRegion[];
  deviceRegions?: DeviceRegion[];
  /** Bytes placed in the image at these offsets (descriptors for its TX buffer; below TP_IMAGE_BYTES, above the code). */
  data?: Array<{ offset: number; bytes: Uint8Array }>;
}

/** Assembly: store x0-x3 at DATA + 0x100 + 32 n. */
export function store(n: number): string {
  return `  ldr x9, =data+${0x100 + 32 * n}\n  stp x0, x1, [x9]\n  stp x2, x3, [x9, #16]`;
}

/** Assembly: an FF-A call with x0 = fid and x1.. = args. */
export function ffaCall(fid: number, args: readonly (number | bigint)[] = []): string {
  const lines = [`  ldr x0, =0x${(fid >>> 0).toString(16)}`];
  args.forEach((a, i) => lines.push(`  ldr x${i + 1}, =0x${BigInt.asUintN(64, BigInt(a)).toString(16)}`));
  lines.push('  smc #0');
  return lines.join('\n');
}

export function testPartitionImage(base: bigint, init = '', first = ''): Uint8Array {
  const src = `
entry:
  mov x0, #0x300000
  msr cpacr_el1, x0
  isb
  ldr x0, =${base + BigInt(STACK)}
  mov sp, x0
  ldr x0, =vectors
  msr vbar_el1, x0
${first}
  ldr x0, =0x${F.FFA_ID_GET.toString(16)}
  smc #0
  mov x28, x2
${init}
wait:
  mov x1, #0
  mov x2, #0
  mov x3, #0
  mov x4, #0
  mov x5, #0
  mov x6, #0
  mov x7, #0
  mov x8, #0
  mov x9, #0
  mov x10, #0
  mov x11, #0
  mov x12, #0
  mov x13, #0
  mov x14, #0
  mov x15, #0
  mov x16, #0
  mov x17, #0
  ldr x0, =0x${F.FFA_MSG_WAIT.toString(16)}
  smc #0
loop:
  ldr x21, =0x${F.FFA_RUN.toString(16)}
  cmp x0, x21
  b.eq wait
  ldr x21, =0x${F.FFA_INTERRUPT.toString(16)}
  cmp x0, x21
  b.ne request
  msr daifclr, #2
  isb
  msr daifset, #2
  b wait
request:
  mov x19, x1
  mov x20, x0
  cmp x3, #1
  b.eq cmd_relay
  cmp x3, #2
  b.eq cmd_read
  cmp x3, #3
  b.eq cmd_wait_irq
  cmp x3, #4
  b.eq cmd_spin
  cmp x3, #5
  b.eq cmd_yield
  cmp x3, #6
  b.eq cmd_log
  cmp x3, #7
  b.eq cmd_call
  cmp x3, #8
  b.eq cmd_hvc
  cmp x3, #9
  b.eq cmd_call_regs
  cmp x3, #10
  b.eq cmd_call_record
  add x4, x4, #0x1000
  b respond
cmd_relay:
  lsl x1, x28, #16
  orr x1, x1, x5
  mov x3, x6
  mov x5, x7
  mov x2, #0
  ldr x0, =0x${F.FFA_MSG_SEND_DIRECT_REQ_32.toString(16)}
  smc #0
  mov x6, x3
  mov x3, x0
  mov x7, x5
  mov x5, x2
  b respond
cmd_read:
  ldr x4, [x4]
  b respond
cmd_wait_irq:
  mov x4, #0
  msr daifclr, #2
wait_irq:
  cbnz x4, got_irq
  wfi
  b wait_irq
got_irq:
  msr daifset, #2
  b respond
cmd_spin:
  subs x4, x4, #1
  b.ne cmd_spin
  b respond
cmd_yield:
  ldr x0, =0x${F.FFA_YIELD.toString(16)}
  smc #0
  mov x4, x0
  b respond
cmd_log:
  ldr x2, =0x206968
  lsl x4, x4, #24
  orr x2, x2, x4
  mov x3, #0x0a
  lsl x3, x3, #32
  orr x2, x2, x3
  mov x1, #5
  ldr x0, =0x${F.FFA_CONSOLE_LOG_64.toString(16)}
  smc #0
  mov x4, x2
  b respond
cmd_hvc:
  mov x0, x4
  mov x1, x5
  mov x2, x6
  mov x3, x7
  hvc #0
  b called
cmd_call_record:
  mov x16, x4
  ldr x11, [x16, #${TP_RECORD_COUNT}]
  ldr x12, [x16, #${TP_RECORD_DEST}]
  add x13, x16, #${TP_RECORD_BYTES}
record_copy:
  cbz x11, record_call
  ldr x14, [x13], #8
  str x14, [x12], #8
  sub x11, x11, #8
  b record_copy
record_call:
${Array.from({ length: 8 }, (_, i) => `  ldp x${2 * i}, x${2 * i + 1}, [x16, #${16 * i}]`).join('\n')}
  ldp x16, x17, [x16, #128]
  smc #0
  b called
cmd_call_regs:
  ldr x16, =data+${TP_CALL_REGS_OFFSET}
${Array.from({ length: 8 }, (_, i) => `  ldp x${2 * i}, x${2 * i + 1}, [x16, #${16 * i}]`).join('\n')}
  ldp x16, x17, [x16, #128]
  smc #0
  b called
cmd_call:
  mov x0, x4
  mov x1, x5
  mov x2, x6
  mov x3, x7
  mov x4, #0
  mov x5, #0
  mov x6, #0
  mov x7, #0
  smc #0
called:
  mov x7, x4
  mov x6, x3
  mov x5, x2
  mov x4, x1
  mov x3, x0
  b respond
respond:
  lsr x21, x19, #16
  and x21, x21, #0xffff
  and x22, x19, #0xffff
  orr x1, x21, x22, lsl #16
  mov x2, #0
  add x0, x20, #1
  smc #0
  b loop
.balign 0x800
vectors:
${Array.from({ length: 16 }, (_, i) => (i === 5 ? IRQ_VECTOR : '.balign 0x80\n  b .')).join('\n')}
`.replace(/=data\+(0x[0-9a-f]+|\d+)/g, (_, off: string) => `=0x${(base + BigInt(TP_DATA) + BigInt(off)).toString(16)}`);
  const code = assemble(src, { baseAddress: base }).bytes;
  if (code.length > TP_DATA) throw new Error('test partition code is too large');
  const image = new Uint8Array(TP_IMAGE_BYTES);
  image.set(code);
  return image;
}

const IRQ_VECTOR = `.balign 0x80
  stp x0, x9, [sp, #-16]!
  ldr x0, =${HF_INTERRUPT_GET}
  hvc #0
  mov x4, x0
  ldr x9, =data+0x10
  str x0, [x9]
  ldr x0, [x9, #8]
  add x0, x0, #1
  str x0, [x9, #8]
  ldp x0, x9, [sp], #16
  eret`;

export function testPartitionManifest(o: TestPartitionOptions): PartitionManifest {
  return {
    ffaVersion: o.ffaVersion ?? F.FFA_VERSION_1_2,
    uuids: [uuidFromText(o.uuid ?? `5e5e0000-0000-4000-8000-00000000${o.id.toString(16).padStart(4, '0')}`)!],
    messagingMethods: [o.messaging ?? 0x603],
    id: o.id,
    description: null,
    executionContextCount: o.contexts ?? 1,
    exceptionLevel: 'S-EL1',
    executionState: 'AArch64',
    loadAddress: o.loadAddress === undefined ? 0x0e40_0000n + BigInt((o.id & 0xf) - 1) * 0x10_0000n : o.loadAddress,
    entrypointOffset: 0n,
    xlatGranule: 0x1000,
    bootOrder: o.bootOrder ?? null,
    notificationSupport: o.notificationSupport ?? false,
    nsInterruptsAction: o.nsInterruptsAction ?? 'signaled',
    managedExitVirq: o.managedExitVirq ?? false,
    memoryRegions: o.memoryRegions ?? [],
    deviceRegions: o.deviceRegions ?? [],
  };
}

/** The package of a test partition (its image linked at its load address, or at `linkAt` when the SPMC places it). */
export function testPartitionPackage(o: TestPartitionOptions, linkAt?: bigint): Uint8Array {
  const mf = testPartitionManifest(o);
  const base = mf.loadAddress ?? linkAt ?? 0n;
  const image = testPartitionImage(base, o.init ?? '', o.first ?? '');
  for (const d of o.data ?? []) image.set(d.bytes, d.offset);
  return buildSpPackage({ manifest: writeManifest(mf), image });
}

/** A device region owning `intids` (for interrupt ownership), on the secure UART's page. */
export function interruptRegion(intids: readonly number[], address = 0x0904_0000n): DeviceRegion {
  return {
    name: 'irqs', description: null, address, pageCount: 1, attributes: REGION_READ | REGION_WRITE, exclusiveAccess: false,
    interrupts: intids.map((id) => ({ id, priority: 0, secure: true, level: true, type: id < 16 ? 'SGI' : id < 32 ? 'PPI' : 'SPI' })),
  };
}

// What a hostile guest does in `hvrr fuzz abi`: calls, device accesses,
// system-register accesses and random instruction words, with random
// operands. Drawn by fast-check; shrunk toward fewer, simpler actions.
import fc from 'fast-check';

export type AbiAction =
  | { kind: 'hvc' | 'smc'; fid: number; args: bigint[] }
  | { kind: 'mmio-read'; address: bigint; size: 1 | 2 | 4 | 8 }
  | { kind: 'mmio-write'; address: bigint; size: 1 | 2 | 4 | 8; value: bigint }
  | { kind: 'sysreg-read' | 'sysreg-write'; op1: number; crn: number; crm: number; op2: number; value: bigint }
  | { kind: 'insn'; word: number };

export interface AbiCase {
  /** Where the hostile code runs: a VM at NS-EL1 (the default; a second VM is the victim), or a Secure
   *  Partition at S-EL1 under the SPMC on a --secure machine (one VM, the victim). */
  from?: 'ns-el1' | 's-el1';
  /** vCPUs of the hostile VM (the victim VM has one; 1 from S-EL1). */
  vcpus: number;
  chaos: number;
  machineSeed: bigint;
  actions: AbiAction[];
}

export const ABI_ACTION_KINDS = ['hvc', 'smc', 'mmio-read', 'mmio-write', 'sysreg-read', 'sysreg-write', 'insn'] as const;

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
/** The hvrr hypercall that enters the EL2 monitor (it waits for console input): never drawn. */
const HVC_PAUSE = 3;

/** Function IDs: PSCI, FF-A (SMC32 and SMC64), the hvrr hypercalls, anything. */
const fidArb = fc.oneof(
  fc.integer({ min: 0, max: 0x1f }).map((n) => (0x8400_0000 | n) >>> 0),
  fc.integer({ min: 0, max: 0x1f }).map((n) => (0xc400_0000 | n) >>> 0),
  fc.integer({ min: 0x60, max: 0xff }).map((n) => (0x8400_0000 | n) >>> 0),
  fc.integer({ min: 0x60, max: 0xff }).map((n) => (0xc400_0000 | n) >>> 0),
  fc.integer({ min: 0, max: 8 }).filter((n) => n !== HVC_PAUSE),
  fc.integer({ min: 0, max: 0xffff_ffff }).filter((n) => n !== HVC_PAUSE),
);

/** Device windows of the virt board (the VM's vGIC, vUART, vRTC, virtio-mmio, flash), secure RAM, holes, far addresses. */
const addressArb = fc.oneof(
  fc.integer({ min: 0, max: 0xfff8 }).map((o) => 0x0800_0000n + BigInt(o)), // GICD
  fc.integer({ min: 0, max: 0x3fff8 }).map((o) => 0x080a_0000n + BigInt(o)), // GICR
  fc.integer({ min: 0, max: 0xff8 }).map((o) => 0x0900_0000n + BigInt(o)), // PL011
  fc.integer({ min: 0, max: 0xff8 }).map((o) => 0x0901_0000n + BigInt(o)), // PL031
  fc.integer({ min: 0, max: 0x3ff8 }).map((o) => 0x0a00_0000n + BigInt(o)), // virtio-mmio
  fc.integer({ min: 0, max: 0xfff_fff8 }).map((o) => BigInt(o)), // flash and below
  fc.integer({ min: 0, max: 0xff_fff8 }).map((o) => 0x0e00_0000n + BigInt(o)), // secure RAM
  fc.bigInt({ min: 0n, max: (1n << 48n) - 8n }),
).map((a) => a & ~7n);

const sizeArb = fc.constantFrom<1 | 2 | 4 | 8>(1, 2, 4, 8);

const actionArb: fc.Arbitrary<AbiAction> = fc.oneof(
  fc.record({ kind: fc.constantFrom<'hvc' | 'smc'>('hvc', 'smc'), fid: fidArb, args: fc.array(u64, { minLength: 7, maxLength: 7 }) }),
  fc.record({ kind: fc.constant<'mmio-read'>('mmio-read'), address: addressArb, size: sizeArb }),
  fc.record({ kind: fc.constant<'mmio-write'>('mmio-write'), address: addressArb, size: sizeArb, value: u64 }),
  fc.record({
    kind: fc.constantFrom<'sysreg-read' | 'sysreg-write'>('sysreg-read', 'sysreg-write'),
    op1: fc.integer({ min: 0, max: 7 }), crn: fc.integer({ min: 0, max: 15 }), crm: fc.integer({ min: 0, max: 15 }), op2: fc.integer({ min: 0, max: 7 }),
    value: u64,
  }),
  fc.integer({ min: 0, max: 0xffff_ffff }).map((word) => ({ kind: 'insn' as const, word })),
);

export function abiCaseArb(opts: { chaos?: number } = {}): fc.Arbitrary<AbiCase> {
  return fc.record({
    from: fc.constantFrom<'ns-el1' | 's-el1'>('ns-el1', 'ns-el1', 's-el1'),
    vcpus: fc.integer({ min: 1, max: 2 }),
    chaos: opts.chaos !== undefined ? fc.constant(opts.chaos) : fc.integer({ min: 0, max: 3 }),
    machineSeed: fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }),
    actions: fc.array(actionArb, { minLength: 1, maxLength: 60 }),
  });
}

export function describeAbiCase(c: AbiCase): string {
  const counts: Record<string, number> = {};
  for (const a of c.actions) counts[a.kind] = (counts[a.kind] ?? 0) + 1;
  const who = c.from === 's-el1' ? 'hostile S-EL1 partition + victim VM' : `hostile VM of ${c.vcpus} vCPU(s) + victim VM`;
  return `${who}, chaos ${c.chaos}, machine seed ${c.machineSeed}, ${c.actions.length} action(s): ` +
    Object.entries(counts).map(([k, n]) => `${k} ${n}`).join(', ');
}

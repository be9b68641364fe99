// The EL3 firmware's SPMD on a whole machine with two Security states: real
// machine code at Non-secure EL1 calls FF-A over SMC; the S-EL2 test
// plug-in (sel2TestPlugin.ts) runs an S-EL1 partition of real machine code
// under its secure stage 2. The boot chain EL3 -> S-EL2 -> NS, the relay of
// direct messages both ways, the SPMD's own answers and its FF-A errors.
import { describe, expect, it } from 'vitest';
import { GICR_BASE, Machine } from '../machine.js';
import { HOST_OK } from '../cpu/cpu.js';
import { GICR_IGROUPR0, GICR_IGRPMODR0, GICR_SGI_BASE_OFFSET } from '../devices/gicv3/registers.js';
import { KEY_CNTPS_CTL_EL1, KEY_CNTPS_CVAL_EL1 } from '../devices/timer/genericTimer.js';
import { formatEvent } from '../trace/events.js';
import { assemble } from '../asm/assembler.js';
import { bootKernel } from './boot.js';
import { el3FirmwareOf, secureColdBoot } from './secureBoot.js';
import { smcFromEl2 } from '../software/smcConduit.js';
import { bootSecureTestMachine, PARTITION_ID } from './sel2TestPlugin.js';

const RES = 0x4040_0000;
const CALL_BYTES = 18 * 8;
const marker = (n: number): bigint => 0x5a5a_0000_0000_0000n | (BigInt(n) << 32n) | 0x0000_beefn;

interface Smc {
  fid: number;
  args?: bigint[];
}

/** x0-x17 set (markers beyond the arguments), SMC, x0-x17 stored at x20, x20 advanced. */
function smcBlock(c: Smc): string {
  const lines = [`  ldr x0, =0x${(c.fid >>> 0).toString(16)}`];
  for (let n = 1; n <= 17; n++) lines.push(`  ldr x${n}, =0x${(c.args?.[n - 1] ?? marker(n)).toString(16)}`);
  lines.push('  smc #0');
  for (let n = 0; n < 18; n += 2) lines.push(`  stp x${n}, x${n + 1}, [x20, #${n * 8}]`);
  lines.push(`  add x20, x20, #${CALL_BYTES}`);
  return lines.join('\n');
}

function nsProgram(calls: Smc[], tail = '  ldr x0, =0x84000008\n  smc #0\n  b .'): string {
  return `  ldr x20, =${RES}\n${calls.map(smcBlock).join('\n')}\n${tail}\n`;
}

function readU64(m: Machine, pa: number): bigint {
  const b = m.core.readPhys(pa, 8);
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}
function results(m: Machine, i: number): bigint[] {
  return Array.from({ length: 18 }, (_, n) => readU64(m, RES + i * CALL_BYTES + 8 * n));
}

function bootKernelProgram(m: Machine, program: string): void {
  bootKernel(m, { kernel: assemble(program, { baseAddress: 0x4008_0000n }).bytes });
}

const secureMachine = (program: string, numCpus = 1) => bootSecureTestMachine(program, { numCpus });

const u64 = (v: number): bigint => BigInt.asUintN(64, BigInt(v));
const DIRECT_REQ_32 = 0x8400_006f;
const DIRECT_REQ_64 = 0xc400_006f;

describe('SPMD: boot chain and relay', () => {
  it('boots EL3 -> S-EL2 -> S-EL1 partition -> NS; a direct request reaches the partition and its response comes back', () => {
    const { m, plugin } = secureMachine(nsProgram([
      { fid: DIRECT_REQ_32, args: [BigInt(PARTITION_ID), 0n, 0n, 0x1234n] },
      { fid: DIRECT_REQ_64, args: [BigInt(PARTITION_ID), 0n, 0n, 0xabcd_0000_0000n] },
    ]));
    expect(m.run(1_000_000)).toEqual({ kind: 'system-off' });
    const a = results(m, 0);
    expect(a.slice(0, 5)).toEqual([0x8400_0070n, BigInt(PARTITION_ID) << 16n, 0n, 0n, 0x2234n]);
    for (let n = 8; n <= 17; n++) expect(a[n], `x${n}`).toBe(marker(n));
    const b = results(m, 1);
    expect(b.slice(0, 5)).toEqual([0xc400_0070n, BigInt(PARTITION_ID) << 16n, 0n, 0n, 0xabcd_0000_1000n]);
    for (let n = 8; n <= 17; n++) expect(b[n], `x${n}`).toBe(marker(n));
    expect(plugin.s.cpus[0]!.phase).toBe('ready');
    expect(el3FirmwareOf(m).spmd.spmcState(0)).toBe('waiting');
    const ffa = m.trace.last(10_000).filter((e) => e.kind === 'ffa').map(formatEvent);
    expect(ffa.map((l) => l.replace(/^#\d+ @\d+ /, ''))).toEqual([
      'cpu0 ffa call 0x0 fid=0x0 src=0xffff dst=0x8000 args=[0xe002000] world=s', // EL3 enters the SPMC (boot)
      'cpu0 ffa answer FFA_SECONDARY_EP_REGISTER_64 fid=0xc4000087 src=0x0 dst=0x0 args=[0x84000061,0x0,0x0] of=FFA_SECONDARY_EP_REGISTER_64 world=s', // SECONDARY_EP_REGISTER answered
      'cpu0 ffa answer FFA_MSG_WAIT fid=0x8400006b src=0x8000 dst=0xffff args=[] world=s', // its FFA_MSG_WAIT: the Normal world starts
      expect.stringMatching(/^cpu0 ffa call FFA_MSG_SEND_DIRECT_REQ_32 fid=0x8400006f src=0x0 dst=0x8001 args=\[0x8001,/), // NS -> S
      expect.stringMatching(/^cpu0 ffa answer FFA_MSG_SEND_DIRECT_RESP_32 fid=0x84000070 src=0x8001 dst=0x0 args=\[0x80010000,0x0,0x0,0x2234,/), // S -> NS
      expect.stringMatching(/^cpu0 ffa call FFA_MSG_SEND_DIRECT_REQ_64 fid=0xc400006f src=0x0 dst=0x8001 /),
      expect.stringMatching(/^cpu0 ffa answer FFA_MSG_SEND_DIRECT_RESP_64 fid=0xc4000070 src=0x8001 dst=0x0 .* world=s$/),
    ]);
  });
});

const FFA_ERROR = 0x8400_0060n;
const NOT_SUPPORTED = 0xffff_ffffn; // w2 of FFA_ERROR
const INVALID_PARAMETERS = 0xffff_fffen;
const ABORTED = 0xffff_fff8n;

describe('SPMD: its own answers and FF-A errors (x8-x17 always come back unchanged)', () => {
  it('FFA_VERSION, FFA_ID_GET, FFA_SPM_ID_GET at EL3; secure-only and unknown calls rejected; a bad destination rejected by the SPMC', () => {
    const calls: Array<[Smc, bigint[]]> = [
      [{ fid: 0x8400_0063, args: [0x1_0001n] }, [0x1_0001n, 0n, 0n]], // FFA_VERSION: the SPMC's (1.1)
      [{ fid: 0x8400_0063, args: [0x8000_0000n] }, [u64(-1), 0n, 0n]], // bit 31 set: NOT_SUPPORTED
      [{ fid: 0x8400_0063, args: [0x2_0000n] }, [u64(-1), 0n, 0n]], // major 2: the SPMC says NOT_SUPPORTED
      [{ fid: 0x8400_0069 }, [0x8400_0061n, 0n, 0n]], // FFA_ID_GET: the NS endpoint, 0
      [{ fid: 0x8400_0085 }, [0x8400_0061n, 0n, 0x8000n]], // FFA_SPM_ID_GET: the SPMC's ID
      [{ fid: 0x8400_006b }, [FFA_ERROR, 0n, NOT_SUPPORTED]], // FFA_MSG_WAIT from the Normal world
      [{ fid: 0xc400_0087, args: [0x4008_0000n] }, [FFA_ERROR, 0n, NOT_SUPPORTED]], // SECONDARY_EP_REGISTER from the Normal world
      [{ fid: 0x8400_00ff }, [FFA_ERROR, 0n, NOT_SUPPORTED]], // no such FF-A function
      [{ fid: 0xc400_0063, args: [0x1_0001n] }, [FFA_ERROR, 0n, NOT_SUPPORTED]], // FFA_VERSION has no SMC64 form (found by the relay property)
      [{ fid: 0x8400_0088 }, [FFA_ERROR, 0n, NOT_SUPPORTED]], // FFA_MEM_PERM_GET: a partition's call to its SPMC, never EL3's
      [{ fid: DIRECT_REQ_32, args: [0x8007n, 0n, 0n, 1n] }, [FFA_ERROR, 0n, INVALID_PARAMETERS]], // no partition 0x8007
    ];
    const { m } = secureMachine(nsProgram(calls.map(([c]) => c)));
    expect(m.run(1_000_000)).toEqual({ kind: 'system-off' });
    calls.forEach(([c, want], i) => {
      const x = results(m, i);
      expect(x.slice(0, 3), `call ${i} 0x${c.fid.toString(16)}`).toEqual(want);
      for (let n = 8; n <= 17; n++) expect(x[n], `call ${i} x${n}`).toBe(marker(n));
    });
  });

  it('without S-EL2 software FF-A is unknown (64-bit -1), as before', () => {
    const m = new Machine({ numCpus: 1, ramBytes: 32 << 20, seed: 7n, secure: true });
    bootKernelProgram(m, nsProgram([{ fid: 0x8400_0063, args: [0x1_0001n] }, { fid: DIRECT_REQ_32, args: [BigInt(PARTITION_ID)] }]));
    secureColdBoot(m);
    expect(m.run(1_000_000)).toEqual({ kind: 'system-off' });
    expect(results(m, 0)[0]).toBe(u64(-1));
    expect(results(m, 1)[0]).toBe(u64(-1));
  });
});

describe('isolation', () => {
  it('an S-EL1 access outside its secure stage 2 faults to S-EL2 (EC 0x24, level 2 translation fault, HPFAR_EL2 = IPA[47:12] << 4); the caller gets FFA_ERROR(ABORTED)', () => {
    const { m, plugin } = secureMachine(nsProgram([
      { fid: DIRECT_REQ_32, args: [BigInt(PARTITION_ID), 0n, 1n, BigInt(0x0e40_0000)] }, // inside: its own first instruction word
      { fid: DIRECT_REQ_32, args: [BigInt(PARTITION_ID), 0n, 1n, 0x0e00_0008n] }, // secure RAM outside its stage 2
      { fid: DIRECT_REQ_32, args: [BigInt(PARTITION_ID), 0n, 0n, 0n] }, // the partition is gone
    ]));
    expect(m.run(1_000_000)).toEqual({ kind: 'system-off' });
    const code = new DataView(m.core.readPhys(0x0e40_0000, 8).slice().buffer).getBigUint64(0, true);
    expect(results(m, 0).slice(0, 5)).toEqual([0x8400_0070n, BigInt(PARTITION_ID) << 16n, 0n, 1n, code]);
    expect(results(m, 1).slice(0, 3)).toEqual([FFA_ERROR, 0n, ABORTED]);
    expect(results(m, 2).slice(0, 3)).toEqual([FFA_ERROR, 0n, ABORTED]);
    const esr = BigInt(plugin.s.abort!.esr);
    expect(Number(esr >> 26n)).toBe(0x24); // data abort from a lower EL
    expect(Number(esr & 0x3fn)).toBe(0x06); // translation fault, level 2
    expect(BigInt(plugin.s.abort!.far)).toBe(0x0e00_0008n);
    expect(BigInt(plugin.s.abort!.hpfar)).toBe((0x0e00_0008n >> 12n) << 4n);
  });

  it('the Normal world cannot read secure RAM: a synchronous external abort at NS-EL1', () => {
    const vector = '.balign 0x80\n  mrs x19, esr_el1\n  mrs x18, far_el1\n  ldr x0, =0x84000008\n  smc #0';
    const { m } = secureMachine(`
  ldr x0, =ns_vectors
  msr vbar_el1, x0
  ldr x1, =0x0e400000
  ldr x2, [x1]
  b .
.balign 0x800
ns_vectors:
${Array.from({ length: 16 }, () => vector).join('\n')}
`);
    expect(m.run(1_000_000)).toEqual({ kind: 'system-off' });
    const esr = m.core.getX(0, 19);
    expect(Number(esr >> 26n)).toBe(0x25); // data abort, same EL
    expect(Number(esr & 0x3fn)).toBe(0x10); // synchronous external abort
    expect(m.core.getX(0, 18)).toBe(0x0e40_0000n);
  });
});

describe('secondary PEs and power management', () => {
  it('CPU_ON enters the SPMC at its registered secondary entry first; CPU_OFF is told to the SPMC as a framework message before the PE goes off', () => {
    const FLAG = 0x4030_0000;
    const { m, plugin } = secureMachine(`
  ldr x0, =0xc4000003
  mov x1, #1
  ldr x2, =secondary
  mov x3, #0
  smc #0
  ldr x21, =${FLAG}
wait_flag:
  ldr x22, [x21]
  cbz x22, wait_flag
wait_off:
  ldr x0, =0xc4000004
  mov x1, #1
  mov x2, #0
  smc #0
  cmp x0, #1
  b.ne wait_off
  ldr x0, =0x84000008
  smc #0
  b .
secondary:
  ldr x0, =0x84000069
  smc #0
  ldr x21, =${FLAG}
  stp x0, x2, [x21, #8]
  mov x22, #1
  str x22, [x21]
  ldr x0, =0x84000002
  smc #0
  b .
`, 2);
    expect(m.run(2_000_000)).toEqual({ kind: 'system-off' });
    expect(readU64(m, FLAG + 8)).toBe(0x8400_0061n); // FFA_ID_GET on the secondary: success, ID 0
    expect(readU64(m, FLAG + 16)).toBe(0n);
    expect(plugin.s.cpus[1]!.phase).toBe('secondary');
    expect(plugin.s.pmMessages).toEqual([0x8400_0002]);
    expect(m.cpuState(1)).toBe('off');
    expect(el3FirmwareOf(m).spmd.spmcState(1)).toBe('off');
    const cpu1 = m.trace.last(10_000).filter((e) => e.cpu === 1 && e.kind === 'ffa').map((e) => formatEvent(e).replace(/^#\d+ @\d+ /, ''));
    expect(cpu1).toEqual([
      'cpu1 ffa call 0x0 fid=0x0 src=0xffff dst=0x8000 args=[0x0] world=s', // EL3 enters the SPMC's secondary entry
      'cpu1 ffa answer FFA_MSG_WAIT fid=0x8400006b src=0x8000 dst=0xffff args=[] world=s', // its FFA_MSG_WAIT: the Normal world starts
      'cpu1 ffa answer FFA_ID_GET fid=0x84000069 src=0x0 dst=0x0 args=[0x84000061,0x0,0x0] of=FFA_ID_GET', // FFA_ID_GET answered at EL3
      expect.stringMatching(/^cpu1 ffa call FFA_MSG_SEND_DIRECT_REQ_32 fid=0x8400006f src=0xffff dst=0x8000 args=\[0xffff8000,0x80000000,0x84000002,/), // the PM message
      expect.stringMatching(/^cpu1 ffa answer FFA_MSG_SEND_DIRECT_RESP_32 fid=0x84000070 src=0x8000 dst=0xffff .* world=s$/), // the SPMC's answer: the PE goes off
    ]);
  });
});

describe('Secure and Group 0 interrupts', () => {
  const SPIN = (n: number): string => `  ldr x5, =${n}\n1:\n  subs x5, x5, #1\n  b.ne 1b`;
  const OFF = '  ldr x0, =0x84000008\n  smc #0\n  b .';

  /** Program the secure physical timer (CNTPS) of PE 0 from EL3 to fire at counter `cval`. */
  function armSecureTimer(m: Machine, cval: bigint): void {
    const pstate = m.core.pstate(0);
    m.core.setPstate(0, 0x3cd);
    expect(m.timer.write(0, KEY_CNTPS_CVAL_EL1, cval)).toBe(HOST_OK);
    expect(m.timer.write(0, KEY_CNTPS_CTL_EL1, 1n)).toBe(HOST_OK);
    m.core.setPstate(0, pstate);
  }
  /** PPI 29 made Group 0 from EL3 (GICR_IGROUPR0/IGRPMODR0 bit 29 clear). */
  function makePpi29Group0(m: Machine): void {
    const pstate = m.core.pstate(0);
    m.core.setPstate(0, 0x3cd);
    const sgi = GICR_BASE + GICR_SGI_BASE_OFFSET;
    for (const off of [GICR_IGROUPR0, GICR_IGRPMODR0]) {
      const v = m.bus.read(sgi + off, 4, 0, true)!;
      m.bus.write(sgi + off, 4, v & ~(1n << 29n), 0, true);
    }
    m.core.setPstate(0, pstate);
  }
  const fiqs = (m: Machine): string[] => m.trace.last(10_000).flatMap((e) => (e.kind === 'exception' && e.type !== 'sync' ? [`${e.type} EL${e.fromEl}->EL${e.toEl} ${e.world ?? 'ns'}`] : []));

  it('the secure timer (Secure Group 1) fires while the Normal world runs: FIQ to EL3, the SPMC takes it through FFA_INTERRUPT, the Normal world resumes', () => {
    const { m, plugin } = secureMachine(`${SPIN(100_000)}\n  mov x6, #7\n${OFF}`);
    armSecureTimer(m, 3000n);
    expect(m.run(2_000_000)).toEqual({ kind: 'system-off' });
    expect(plugin.s.interrupts).toEqual([{ intid: 29, via: 'ffa-interrupt' }]);
    expect(fiqs(m)).toEqual(['fiq EL1->EL3 ns']);
    expect(m.core.getX(0, 6)).toBe(7n); // the interrupted loop finished
    const ffa = m.trace.last(10_000).filter((e) => e.kind === 'ffa').map((e) => formatEvent(e).replace(/^#\d+ @\d+ /, ''));
    expect(ffa.slice(3)).toEqual([
      'cpu0 ffa call FFA_INTERRUPT fid=0x84000062 src=0xffff dst=0x8000 args=[0x0,0x0,0x0,0x0,0x0,0x0,0x0]',
      'cpu0 ffa answer FFA_NORMAL_WORLD_RESUME fid=0x8400007c src=0x8000 dst=0xffff args=[] world=s',
    ]);
  });

  it('Secure Group 1 while the S-EL1 partition runs: IRQ to S-EL2 (HCR_EL2.IMO), then the request completes', () => {
    const { m, plugin } = secureMachine(nsProgram([{ fid: DIRECT_REQ_32, args: [BigInt(PARTITION_ID), 0n, 3n, 100_000n] }]));
    armSecureTimer(m, 3000n);
    expect(m.run(2_000_000)).toEqual({ kind: 'system-off' });
    expect(plugin.s.interrupts).toEqual([{ intid: 29, via: 'irq' }]);
    expect(fiqs(m)).toEqual(['irq EL1->EL2 s']);
    expect(results(m, 0).slice(0, 2)).toEqual([0x8400_0070n, BigInt(PARTITION_ID) << 16n]);
  });

  it('the secure timer is routed to the S-EL1 partition waiting for it: IRQ to S-EL2, injected as a virtual IRQ, its INTID from HF_INTERRUPT_GET', () => {
    const { m, plugin } = secureMachine(nsProgram([{ fid: DIRECT_REQ_32, args: [BigInt(PARTITION_ID), 0n, 4n] }]));
    armSecureTimer(m, 3000n);
    expect(m.run(2_000_000)).toEqual({ kind: 'system-off' });
    expect(plugin.s.interrupts).toEqual([{ intid: 29, via: 'irq' }]);
    expect(fiqs(m)).toEqual(['irq EL1->EL2 s', 'irq EL1->EL1 s']);
    expect(results(m, 0).slice(0, 5)).toEqual([0x8400_0070n, BigInt(PARTITION_ID) << 16n, 0n, 4n, 29n]);
    // The interrupt fired at its deadline: the partition waited in WFI until then.
    const fire = m.trace.last(10_000).find((e) => e.kind === 'timer-fire');
    expect(fire && fire.tick).toBeGreaterThanOrEqual(3000 * 16);
  });

  it('Group 0 while the S-EL1 partition runs: FIQ to S-EL2, handed to EL3 with FFA_EL3_INTR_HANDLE, then the request completes', () => {
    const { m, plugin } = secureMachine(nsProgram([{ fid: DIRECT_REQ_32, args: [BigInt(PARTITION_ID), 0n, 3n, 100_000n] }]));
    makePpi29Group0(m);
    armSecureTimer(m, 3000n);
    const diagnostics: string[] = [];
    m.onDiagnostic = (d) => diagnostics.push(d);
    expect(m.run(2_000_000)).toEqual({ kind: 'system-off' });
    expect(fiqs(m)).toEqual(['fiq EL1->EL2 s']);
    expect(plugin.s.interrupts).toEqual([]);
    expect(diagnostics).toEqual(['cpu0: Group 0 interrupt 29 at EL3 with no platform handler: disabled']);
    expect(results(m, 0).slice(0, 5)).toEqual([0x8400_0070n, BigInt(PARTITION_ID) << 16n, 0n, 3n, 0n]);
  });

  it('Group 0 while the Normal world runs: FIQ to EL3, taken there (the SPMC never sees it)', () => {
    const { m, plugin } = secureMachine(`${SPIN(100_000)}\n${OFF}`);
    makePpi29Group0(m);
    armSecureTimer(m, 3000n);
    const diagnostics: string[] = [];
    m.onDiagnostic = (d) => diagnostics.push(d);
    expect(m.run(2_000_000)).toEqual({ kind: 'system-off' });
    expect(fiqs(m)).toEqual(['fiq EL1->EL3 ns']);
    expect(plugin.s.interrupts).toEqual([]);
    expect(diagnostics).toEqual(['cpu0: Group 0 interrupt 29 at EL3 with no platform handler: disabled']);
    expect(m.trace.last(10_000).some((e) => e.kind === 'irq-ack' && e.intid === 29)).toBe(true);
  });
});

describe('Non-secure interrupts while the Secure world runs', () => {
  it('preempt the partition: the caller gets FFA_INTERRUPT, takes care of its interrupt, and resumes it with FFA_RUN, which returns the direct response', () => {
    const RES2 = RES + 0x100;
    const { m, plugin } = secureMachine(`
  mov x2, #7
  msr icc_sre_el1, x2
  isb
  ldr x1, =0x08000000
  mov w2, #0x12
  str w2, [x1]
  ldr x1, =0x080b0100
  mov w2, #0x40000000
  str w2, [x1]
  mov x2, #1
  msr icc_igrpen1_el1, x2
  mrs x1, cntpct_el0
  add x1, x1, #200
  msr cntp_cval_el0, x1
  mov x1, #1
  msr cntp_ctl_el0, x1
  ldr x0, =0x8400006f
  ldr x1, =${PARTITION_ID}
  mov x2, #0
  mov x3, #3
  ldr x4, =100000
  smc #0
  ldr x20, =${RES}
  stp x0, x1, [x20]
  stp x2, x3, [x20, #16]
  str x4, [x20, #32]
  msr cntp_ctl_el0, xzr
  ldr x0, =0x8400006d
  ldr x1, =0x80010000
  smc #0
  ldr x20, =${RES2}
  stp x0, x1, [x20]
  stp x2, x3, [x20, #16]
  str x4, [x20, #32]
  ldr x0, =0x84000008
  smc #0
  b .
`);
    expect(m.run(2_000_000)).toEqual({ kind: 'system-off' });
    const first = Array.from({ length: 5 }, (_, n) => readU64(m, RES + 8 * n));
    const second = Array.from({ length: 5 }, (_, n) => readU64(m, RES2 + 8 * n));
    expect(first.slice(0, 2)).toEqual([0x8400_0062n, BigInt(PARTITION_ID) << 16n]); // FFA_INTERRUPT
    expect(second).toEqual([0x8400_0070n, BigInt(PARTITION_ID) << 16n, 0n, 3n, 0n]); // the response: the spin ran to the end
    expect(plugin.s.cpus[0]!.phase).toBe('ready');
    expect(plugin.s.interrupts).toEqual([]);
  });
});

describe('FF-A v1.2: x8-x17 travel with SMC64 calls', () => {
  it('with an SPMC declaring v1.2, an SMC64 direct response carries x8-x17 back (the partition\'s, zero); SMC32 leaves the caller\'s', () => {
    const { m } = bootSecureTestMachine(nsProgram([
      { fid: DIRECT_REQ_32, args: [BigInt(PARTITION_ID), 0n, 0n, 5n] },
      { fid: DIRECT_REQ_64, args: [BigInt(PARTITION_ID), 0n, 0n, 6n] },
      { fid: 0x8400_0063, args: [0x1_0002n] },
    ]), { spmcVersion: 0x1_0002 });
    expect(m.run(1_000_000)).toEqual({ kind: 'system-off' });
    const a = results(m, 0);
    for (let n = 8; n <= 17; n++) expect(a[n], `x${n}`).toBe(marker(n));
    const b = results(m, 1);
    expect(b[4]).toBe(0x1006n);
    for (let n = 8; n <= 17; n++) expect(b[n], `x${n}`).toBe(0n);
    expect(results(m, 2)[0]).toBe(0x1_0002n);
  });
});

describe('calls from the Secure world the SPMD answers', () => {
  it('FFA_VERSION (its own, 1.1), FFA_ID_GET (the SPMC\'s ID), FFA_SPM_ID_GET (the SPMD\'s), FFA_FEATURES, FFA_SECONDARY_EP_REGISTER_64 (entry checked); a relayed call with nobody waiting: DENIED', () => {
    const m = new Machine({ numCpus: 1, ramBytes: 32 << 20, seed: 7n, secure: true });
    bootKernelProgram(m, '  ldr x0, =0x84000008\n  smc #0\n  b .');
    const answers: bigint[][] = [];
    const ask = (mm: Machine, args: bigint[]): void => {
      expect(smcFromEl2(mm, 0, args)).toBe(true); // answered at EL3: back at S-EL2
      answers.push(Array.from({ length: 4 }, (_, i) => mm.core.regs(0).x(i)));
    };
    m.software.install('el2-s', {
      handle: (mm) => mm.stop({ kind: 'halt', message: 'unexpected' }),
      resume(mm) {
        ask(mm, [0x8400_0063n, 0x1_0002n]);
        ask(mm, [0x8400_0069n]);
        ask(mm, [0x8400_0085n]);
        ask(mm, [0x8400_0064n, 0xc400_0087n]); // FFA_FEATURES(SECONDARY_EP_REGISTER_64)
        ask(mm, [0x8400_0064n, 0x8400_0068n]); // FFA_FEATURES(PARTITION_INFO_GET): the SPMC's, not the SPMD's
        ask(mm, [0xc400_0087n, 0x4000_0002n]); // misaligned entry
        ask(mm, [0xc400_0087n, 0x0e10_0800n]);
        ask(mm, [0x8400_0070n, 0x8000_0000n]); // a direct response nobody waits for
        smcFromEl2(mm, 0, [0x8400_006bn]); // init done
      },
    });
    secureColdBoot(m, { entry: 0x0e10_0000n, manifestAddress: 0x0e00_2000n, spmcId: 0x8123 });
    expect(m.run(100_000)).toEqual({ kind: 'system-off' });
    const E = 0x8400_0060n;
    const S = 0x8400_0061n;
    expect(answers).toEqual([
      [0x1_0001n, 0n, 0n, 0n],
      [S, 0n, 0x8123n, 0n],
      [S, 0n, 0xffffn, 0n],
      [S, 0n, 0n, 0n],
      [E, 0n, NOT_SUPPORTED, 0n],
      [E, 0n, INVALID_PARAMETERS, 0n],
      [S, 0n, 0n, 0n],
      [E, 0n, 0xffff_fffan, 0n], // DENIED
    ]);
  });
});

describe('FFA_VERSION from the Normal world', () => {
  it('reaches the SPMC as an SPMD framework message (w2 = bit 31 | 8, w3 = the version asked) and its answer (w2 = bit 31 | 9, w3) comes back; a 1.0 SPMC is answered for at EL3', () => {
    const events: string[] = [];
    const { m } = bootSecureTestMachine(nsProgram([{ fid: 0x8400_0063, args: [0x1_0002n] }]));
    m.trace.subscribe((e) => { if (e.kind === 'ffa') events.push(formatEvent(e).replace(/^#\d+ @\d+ /, '')); });
    expect(m.run(1_000_000)).toEqual({ kind: 'system-off' });
    expect(results(m, 0).slice(0, 3)).toEqual([0x1_0001n, 0n, 0n]);
    expect(events.slice(-2)).toEqual([
      'cpu0 ffa call FFA_MSG_SEND_DIRECT_REQ_32 fid=0x8400006f src=0xffff dst=0x8000 args=[0xffff8000,0x80000008,0x10002,0x0,0x0,0x0,0x0]',
      'cpu0 ffa answer FFA_VERSION fid=0x84000063 src=0x8000 dst=0x0 args=[0x0,0x0,0x0,0x0,0x0,0x0,0x0] world=s',
    ]);
    const old = bootSecureTestMachine(nsProgram([{ fid: 0x8400_0063, args: [0x1_0001n] }]), { spmcVersion: 0x1_0000 }).m;
    expect(old.run(1_000_000)).toEqual({ kind: 'system-off' });
    expect(results(old, 0)[0]).toBe(0x1_0000n);
  });
});

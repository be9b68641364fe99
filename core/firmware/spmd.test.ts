// The EL3 firmware's SPMD on a whole machine with two Security states: real
// machine code at Non-secure EL1 calls FF-A over SMC; the S-EL2 test
// plug-in (sel2TestPlugin.ts) runs an S-EL1 partition of real machine code
// under its secure stage 2. The boot chain EL3 -> S-EL2 -> NS, the relay of
// direct messages both ways, the SPMD's own answers and its FF-A errors.
import { describe, expect, it } from 'vitest';
import { Machine } from '../machine.js';
import { formatEvent } from '../trace/events.js';
import { el3FirmwareOf } from './secureBoot.js';
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
      'cpu0 ffa fid=0x0 src=0xffff dst=0x8000 args=[0xe002000] world=s', // EL3 enters the SPMC (boot)
      'cpu0 ffa fid=0xc4000087 src=0x0 dst=0x0 args=[0x84000061,0x0,0x0] world=s', // SECONDARY_EP_REGISTER answered
      'cpu0 ffa fid=0x8400006b src=0x0 dst=0x0 args=[] world=s', // its FFA_MSG_WAIT: the Normal world starts
      expect.stringMatching(/^cpu0 ffa fid=0x8400006f src=0x0 dst=0x8001 args=\[0x8001,/), // NS -> S
      expect.stringMatching(/^cpu0 ffa fid=0x84000070 src=0x8001 dst=0x0 args=\[0x80010000,0x0,0x0,0x2234,/), // S -> NS
      expect.stringMatching(/^cpu0 ffa fid=0xc400006f src=0x0 dst=0x8001 /),
      expect.stringMatching(/^cpu0 ffa fid=0xc4000070 src=0x8001 dst=0x0 .* world=s$/),
    ]);
  });
});

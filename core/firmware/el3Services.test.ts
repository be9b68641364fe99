// The EL3 firmware's services, call by call, over a recorded platform: the
// answers SMCCC 1.2 and PSCI 1.1 define, only the result registers set,
// Secure callers refused PSCI, FF-A unknown without S-EL2 software.
import { describe, expect, it } from 'vitest';
import { el3Service, PSCI_VERSION_1_1, type El3Platform } from './el3Services.js';
import {
  PSCI_AFFINITY_INFO_64, PSCI_CPU_OFF, PSCI_CPU_ON_32, PSCI_CPU_ON_64, PSCI_CPU_SUSPEND_64, PSCI_FEATURES, PSCI_MIGRATE_INFO_TYPE,
  PSCI_SYSTEM_OFF, PSCI_SYSTEM_RESET, PSCI_VERSION, type PowerState, type PsciPlatform,
} from './psci.js';
import {
  SMCCC_ARCH_FEATURES, SMCCC_ARCH_WORKAROUND_1, SMCCC_ARCH_WORKAROUND_2, SMCCC_ARCH_WORKAROUND_3, SMCCC_VERSION, UNKNOWN_FUNCTION,
  isFfaFid, type SmcccAnswer, type SmcccCall, type SmcccWorld,
} from './smccc.js';

const NOT_SUPPORTED = UNKNOWN_FUNCTION; // -1 as 64 bits
const u64 = (v: number): bigint => BigInt.asUintN(64, BigInt(v));

/** A two-CPU platform that records what the services asked of it. */
function platform(states: PowerState[] = ['on', 'off'], secureEl2 = false): { p: El3Platform; log: string[] } {
  const log: string[] = [];
  const psci: PsciPlatform = {
    numCpus: states.length,
    powerState: (c) => states[c]!,
    mpidr: (c) => 0x8000_0000n | BigInt(c),
    validEntry: (pa) => pa >= 0x4000_0000n && pa < 0x5000_0000n,
    cpuOn: (c, el, entry, ctx) => {
      log.push(`on cpu${c} el${el} 0x${entry.toString(16)} ${ctx}`);
      states[c] = 'on-pending';
    },
    cpuOff: (c) => log.push(`off cpu${c}`),
    standby: (c) => log.push(`standby cpu${c}`),
    systemOff: () => log.push('system-off'),
    systemReset: () => log.push('system-reset'),
  };
  return { p: { psci, secureEl2 }, log };
}

function call(fid: number, args: bigint[] = [], opts: { world?: SmcccWorld; callerEl?: number } = {}): SmcccCall {
  const x = Array.from({ length: 18 }, (_, i) => (i === 0 ? BigInt(fid >>> 0) : args[i - 1] ?? 0xdead_0000n + BigInt(i)));
  return { cpu: 0, callerEl: opts.callerEl ?? 1, world: opts.world ?? 'ns', x };
}

function run(fid: number, args: bigint[] = [], p = platform().p, opts: { world?: SmcccWorld; callerEl?: number } = {}): SmcccAnswer {
  return el3Service(fid)(call(fid, args, opts), p);
}

/** The x0 of an answer that returns only x0. */
function x0(a: SmcccAnswer): bigint {
  expect(a.kind).toBe('return');
  if (a.kind !== 'return') return -1n;
  expect(a.results).toHaveLength(1); // every other register comes back unchanged
  return a.results[0]!;
}

describe('SMCCC 1.2 Arm Architecture calls', () => {
  it('SMCCC_VERSION is 1.2', () => {
    expect(x0(run(SMCCC_VERSION))).toBe(0x10002n);
  });

  it('SMCCC_ARCH_FEATURES: VERSION and ARCH_FEATURES implemented, the workarounds and anything else NOT_SUPPORTED', () => {
    expect(x0(run(SMCCC_ARCH_FEATURES, [BigInt(SMCCC_VERSION)]))).toBe(0n);
    expect(x0(run(SMCCC_ARCH_FEATURES, [BigInt(SMCCC_ARCH_FEATURES)]))).toBe(0n);
    for (const f of [SMCCC_ARCH_WORKAROUND_1, SMCCC_ARCH_WORKAROUND_2, SMCCC_ARCH_WORKAROUND_3, PSCI_VERSION, 0x8000_0002]) {
      expect(x0(run(SMCCC_ARCH_FEATURES, [BigInt(f)]))).toBe(NOT_SUPPORTED);
    }
    // SMC32: only w1 is the argument.
    expect(x0(run(SMCCC_ARCH_FEATURES, [0xffff_ffff_0000_0000n | BigInt(SMCCC_VERSION)]))).toBe(0n);
  });

  it('unknown function identifiers answer NOT_SUPPORTED as the 64-bit -1, SMC32 and SMC64, fast and yielding', () => {
    for (const f of [0x8000_0002, 0xc000_0000, 0x8200_0000, 0xc200_0001, 0x8400_0020, 0x8400_ff00, 0x0400_0000, 0x8401_0000, 0x8500_0000, 0xbf00_0000, 0xf200_0000]) {
      expect(x0(run(f)), `0x${f.toString(16)}`).toBe(0xffff_ffff_ffff_ffffn);
    }
    // Bits 23:16 of a fast call must be zero: PSCI_VERSION with one set is unknown.
    expect(x0(run(PSCI_VERSION | 0x0001_0000))).toBe(NOT_SUPPORTED);
  });
});

describe('PSCI 1.1 for the Non-secure world', () => {
  it('PSCI_VERSION is 1.1', () => {
    expect(x0(run(PSCI_VERSION))).toBe(BigInt(PSCI_VERSION_1_1));
  });

  it('PSCI_FEATURES: every implemented function and SMCCC_VERSION are supported (CPU_SUSPEND flags 0), others NOT_SUPPORTED', () => {
    for (const f of [PSCI_VERSION, PSCI_CPU_SUSPEND_64, PSCI_CPU_OFF, PSCI_CPU_ON_64, PSCI_AFFINITY_INFO_64, PSCI_MIGRATE_INFO_TYPE, PSCI_SYSTEM_OFF, PSCI_SYSTEM_RESET, PSCI_FEATURES, SMCCC_VERSION]) {
      expect(x0(run(PSCI_FEATURES, [BigInt(f)])), `0x${f.toString(16)}`).toBe(0n);
    }
    for (const f of [0x8400_0005, 0xc400_0012, 0x8400_0060, SMCCC_ARCH_FEATURES, 0x1234]) {
      expect(x0(run(PSCI_FEATURES, [BigInt(f)])), `0x${f.toString(16)}`).toBe(NOT_SUPPORTED);
    }
  });

  it('MIGRATE_INFO_TYPE: 2 (no Trusted OS needing migration)', () => {
    expect(x0(run(PSCI_MIGRATE_INFO_TYPE))).toBe(2n);
  });

  it('CPU_ON starts the target at the caller\'s EL; its errors as DEN0022D lists them', () => {
    const { p, log } = platform(['on', 'off']);
    expect(x0(run(PSCI_CPU_ON_64, [0x8000_0001n, 0x4008_0000n, 0x1234_5678_9abc_def0n], p, { callerEl: 2 }))).toBe(0n);
    expect(log).toEqual(['on cpu1 el2 0x40080000 1311768467463790320']);
    expect(x0(run(PSCI_CPU_ON_64, [1n, 0x4008_0000n, 0n], p))).toBe(u64(-5)); // ON_PENDING
    expect(x0(run(PSCI_CPU_ON_64, [0n, 0x4008_0000n, 0n], p))).toBe(u64(-4)); // ALREADY_ON
    expect(x0(run(PSCI_CPU_ON_64, [7n, 0x4008_0000n, 0n], p))).toBe(u64(-2)); // INVALID_PARAMETERS
    const fresh = platform(['on', 'off']);
    expect(x0(run(PSCI_CPU_ON_64, [1n, 0x1000n, 0n], fresh.p))).toBe(u64(-9)); // INVALID_ADDRESS
    // SMC32: arguments are W registers.
    expect(x0(run(PSCI_CPU_ON_32, [0xffff_ffff_0000_0001n, 0xffff_ffff_4008_0000n, 0xffff_ffff_0000_0007n], fresh.p))).toBe(0n);
    expect(fresh.log).toEqual(['on cpu1 el1 0x40080000 7']);
  });

  it('AFFINITY_INFO: on, off, on-pending; only level 0', () => {
    const { p } = platform(['on', 'off', 'on-pending']);
    expect([0n, 1n, 2n].map((t) => x0(run(PSCI_AFFINITY_INFO_64, [t, 0n], p)))).toEqual([0n, 1n, 2n]);
    expect(x0(run(PSCI_AFFINITY_INFO_64, [0n, 1n], p))).toBe(u64(-2));
    expect(x0(run(PSCI_AFFINITY_INFO_64, [9n, 0n], p))).toBe(u64(-2));
  });

  it('CPU_SUSPEND is a standby that returns SUCCESS; CPU_OFF, SYSTEM_OFF and SYSTEM_RESET do not return', () => {
    const { p, log } = platform();
    expect(x0(run(PSCI_CPU_SUSPEND_64, [0n, 0x4000_0000n, 0n], p))).toBe(0n);
    expect(run(PSCI_CPU_OFF, [], p)).toEqual({ kind: 'no-return' });
    expect(run(PSCI_SYSTEM_OFF, [], p)).toEqual({ kind: 'no-return' });
    expect(run(PSCI_SYSTEM_RESET, [], p)).toEqual({ kind: 'no-return' });
    expect(log).toEqual(['standby cpu0', 'off cpu0', 'system-off', 'system-reset']);
  });

  it('a Secure caller gets the unknown answer for every PSCI function and nothing happens', () => {
    const { p, log } = platform(['on', 'off']);
    for (const f of [PSCI_VERSION, PSCI_FEATURES, PSCI_CPU_ON_64, PSCI_CPU_OFF, PSCI_SYSTEM_OFF, PSCI_SYSTEM_RESET, PSCI_CPU_SUSPEND_64]) {
      expect(x0(run(f, [1n, 0x4008_0000n, 0n], p, { world: 's' }))).toBe(NOT_SUPPORTED);
    }
    expect(log).toEqual([]);
    expect(x0(run(SMCCC_VERSION, [], p, { world: 's' }))).toBe(0x10002n);
  });
});

describe('FF-A function identifiers', () => {
  const FFA = [0x8400_0060, 0x8400_0063, 0x8400_006f, 0xc400_006f, 0x8400_0084, 0x8400_00ff, 0xc400_00ff];

  it('are the standard secure service\'s fast calls 0x60-0xff, SMC32 and SMC64', () => {
    for (const f of FFA) expect(isFfaFid(f), `0x${f.toString(16)}`).toBe(true);
    for (const f of [0x8400_005f, 0x8400_0100, 0x0400_0060, 0x8500_0060, 0x8401_0060, PSCI_VERSION]) expect(isFfaFid(f), `0x${f.toString(16)}`).toBe(false);
  });

  it('answer NOT_SUPPORTED (64-bit -1) without S-EL2 software, from either world', () => {
    for (const f of FFA) {
      expect(x0(run(f)), `0x${f.toString(16)}`).toBe(NOT_SUPPORTED);
      expect(x0(run(f, [], platform().p, { world: 's' }))).toBe(NOT_SUPPORTED);
    }
  });

  it('go to the Secure world when S-EL2 software is configured (the SPMD relay)', () => {
    expect(run(0x8400_0063, [], platform(['on'], true).p)).toEqual({ kind: 'to-secure' });
  });
});

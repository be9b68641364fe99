// Hostile callers of the SPMC on a whole machine: random FF-A calls with
// random registers from the Normal world and from a partition (through the
// test partition's generic call), run on the real SPMC with its partitions.
// For every generated sequence:
// - the machine runs to the Normal world's SYSTEM_OFF: nothing threw, the
//   SPMC never halted the machine, every call was answered;
// - every answer is a defined FF-A value (an FFA_ERROR carries a defined code);
// - no partition maps memory it was not granted: walking each partition's
//   Secure and Non-secure stage-2 tables, every page in RAM is its own
//   (image and memory regions) or one the memory ledger gives it access to,
//   with no more than that access;
// - the SPMC's record survives a save/load round trip unchanged.
// The seed and run count print first; a failure replays with
// HVRR_SPMC_CALLS_SEED=<seed> HVRR_PROP_RUNS=<n> npx vitest run property-tests/spmcCalls.property.test.ts
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as F from '../core/ffa/functionIds.js';
import { FFA_ERROR_CODES } from '../core/ffa/errors.js';
import { bootSpmcMachine } from '../core/spmc/spmcTesting.js';
import { nsProgram, nsResult, type NsCall } from '../core/spmc/nsCalls.js';
import { testPartitionPackage, ffaCall } from '../core/spmc/testPartition.js';
import { walkMappings } from '../core/spmc/stage2Table.js';
import { tableMemory } from '../core/spmc/partitionLoader.js';
import { SPMC_COMPONENT } from '../core/spmc/spmc.js';
import { suiteSeed } from './seed.js';

const RUNS = Number(process.env.HVRR_PROP_RUNS ?? 12);
const CALLS = 24;
const SEED = suiteSeed('SPMC hostile calls', 'HVRR_SPMC_CALLS_SEED', 20261205, { runs: RUNS, calls: CALLS });

const SP1 = 0x8001;
const SP3 = 0x8003;
const IDS = F.FFA_FUNCTION_IDS.map(([, fid]) => fid);
const DIRECT = new Set([F.FFA_MSG_SEND_DIRECT_REQ_32, F.FFA_MSG_SEND_DIRECT_REQ_64, F.FFA_MSG_SEND_DIRECT_REQ2]);
const base = (id: number): number => 0x0e40_0000 + ((id & 0xf) - 1) * 0x10_0000;

const word = fc.oneof(
  fc.constantFrom(0n, 1n, 2n, 0x1000n, 0xffff_ffffn, 0xffff_ffff_ffff_ffffn, BigInt(SP1), BigInt(SP3), BigInt(SP1) << 16n, BigInt(SP3 << 16 | SP1),
    0x4050_0000n, 0x4050_1000n, 0x0e40_a000n, 0x0e40_b000n, 0x0e60_0000n, BigInt(F.FFA_VERSION_1_2)),
  fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }),
);
/** FF-A function IDs, others in the FF-A range, and arbitrary words (not PSCI: a CPU_SUSPEND from the Normal world would idle it). */
const fid = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...IDS) }, { weight: 1, arbitrary: fc.integer({ min: 0x8400_0060, max: 0x8400_00ff }) }, { weight: 1, arbitrary: fc.nat() });
/** A call from the Normal world (direct requests carry command 0, echo: the test partition's other commands may wait forever). */
const nwdCall = fc.record({ fid, args: fc.array(word, { minLength: 7, maxLength: 7 }) }).map(({ fid: f, args }): NsCall => {
  if (DIRECT.has(f)) args[2] = 0n;
  return { fid: f, args };
});
/** A call a partition makes (x1-x3 random) through SP1's generic call. */
const spCall = fc.record({ fid, args: fc.array(word, { minLength: 3, maxLength: 3 }) }).map(({ fid: f, args }): NsCall => {
  if (DIRECT.has(f)) args[2] = 0n; // x3: the target's command (echo)
  return { fid: F.FFA_MSG_SEND_DIRECT_REQ_64, args: [SP1, 0, 7, f, ...args] };
});

describe('SPMC under random FF-A calls (whole machine)', () => {
  it('answers every call with a defined FF-A value, never throws, and no partition maps what it was not granted', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(nwdCall, spCall), { minLength: 1, maxLength: CALLS }), (calls) => {
        const packages = [SP1, SP3].map((id) => testPartitionPackage({ id, messaging: 0x607, notificationSupport: true, init: ffaCall(F.FFA_RXTX_MAP_64, [base(id) + 0xa000, base(id) + 0xb000, 1]) }));
        const { m, spmc } = bootSpmcMachine(nsProgram([{ fid: F.FFA_RXTX_MAP_64, args: [0x4050_0000, 0x4050_1000, 1] }, ...calls]), packages);
        const stop = m.run(20_000_000);
        expect(stop, JSON.stringify(spmc.s.log.slice(-3))).toEqual({ kind: 'system-off' });
        for (let i = 0; i <= calls.length; i++) {
          const r = nsResult(m, i);
          if ((r[0]! & 0xffff_ffffn) === BigInt(F.FFA_ERROR)) expect(FFA_ERROR_CODES).toContain(Number(BigInt.asIntN(32, r[2]! & 0xffff_ffffn)));
        }
        // Isolation: every RAM page in a partition's tables is its own or granted by the ledger.
        const mem = tableMemory(m);
        for (const p of spmc.s.partitions) {
          const own = (ipa: number): boolean => p.ownedSecure.some((o) => ipa >= Number(o.base) && ipa < Number(o.base) + o.bytes);
          for (const space of ['secure', 'non-secure'] as const) {
            for (const [ipa, map] of walkMappings(mem, Number(space === 'secure' ? p.s2Secure : p.s2NonSecure))) {
              const ram = m.core.ramOffset(map.pa, 4096) >= 0 || m.core.secureRamOffset(map.pa, 4096) >= 0;
              if (!ram) continue;
              expect(map.pa, `${space} IPA 0x${ipa.toString(16)} of 0x${p.id.toString(16)}`).toBe(ipa);
              const granted = spmc.ledger.accessOf(p.id, BigInt(ipa));
              if (space === 'secure' && own(ipa)) continue;
              expect(granted, `0x${p.id.toString(16)} maps 0x${ipa.toString(16)}`).not.toBe('none');
              if (map.write) expect(granted).toBe('rw');
            }
          }
        }
        const c = m.component(SPMC_COMPONENT);
        const st = c.getState();
        c.loadState(structuredClone(st));
        expect(c.getState()).toEqual(st);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  }, 600_000);
});

// `hvrr fuzz abi` as a campaign target.
import { writeFileSync } from 'node:fs';
import type { FuzzTarget } from '../campaign.js';
import { abiCaseArb, describeAbiCase, type AbiCase } from './actions.js';
import { ABI_CASE_MAX_INSTRUCTIONS, abiArgv, abiCaseImages, runAbiCase, spPathOf } from './runCase.js';

export function abiTarget(o: { dir: string; chaos?: number }): FuzzTarget<AbiCase> {
  return {
    name: 'abi',
    arbitrary: abiCaseArb(o.chaos !== undefined ? { chaos: o.chaos } : {}),
    run(c: AbiCase) {
      const r = runAbiCase(c, o.dir);
      const covered = [...new Set(c.actions.map((a) => a.kind)), `stop-${r.stop.kind}`, `from-${c.from ?? 'ns-el1'}`];
      return { violation: r.violation, covered };
    },
    describe: describeAbiCase,
    recordArgs(c: AbiCase, imagePath: string): string[] {
      const images = abiCaseImages(c);
      writeFileSync(imagePath, images.kernel);
      if (images.sp) writeFileSync(spPathOf(imagePath), images.sp);
      return [...abiArgv(c, imagePath), `--max-insns=${ABI_CASE_MAX_INSTRUCTIONS}`];
    },
  };
}

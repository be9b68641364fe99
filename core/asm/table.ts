/** All instruction forms, indexed by mnemonic (assembler) and by top bits (disassembler). */
import { dataProcessingForms } from "./forms-dp.js";
import { branchSystemForms } from "./forms-sys.js";
import { loadStoreForms } from "./forms-ldst.js";
import { fpSimdForms } from "./forms-fp.js";
import type { Form } from "./form.js";

const ALL: readonly Form[] = [...dataProcessingForms(), ...branchSystemForms(), ...loadStoreForms(), ...fpSimdForms()];

function byMnemonic(): Map<string, Form[]> {
  const m = new Map<string, Form[]>();
  for (const f of ALL) {
    if (f.only === "dis") continue;
    const l = m.get(f.mn);
    if (l) l.push(f);
    else m.set(f.mn, [f]);
  }
  return m;
}

const BUCKET_SHIFT = 22;
const BUCKETS = 1 << (32 - BUCKET_SHIFT);

function byTopBits(): Form[][] {
  const out: Form[][] = [];
  for (let k = 0; k < BUCKETS; k++) out.push([]);
  for (const f of ALL) {
    if (f.only === "asm") continue;
    const m = f.mask >>> BUCKET_SHIFT;
    const b = f.bits >>> BUCKET_SHIFT;
    for (let k = 0; k < BUCKETS; k++) if ((k & m) === b) out[k]!.push(f);
  }
  return out;
}

export const FORMS_BY_MNEMONIC: ReadonlyMap<string, readonly Form[]> = byMnemonic();
const FORMS_BY_TOP: readonly (readonly Form[])[] = byTopBits();

/** Forms whose fixed top bits agree with `insn`, in table (preference) order. */
export function formsFor(insn: number): readonly Form[] {
  return FORMS_BY_TOP[insn >>> BUCKET_SHIFT]!;
}

export const ALL_FORMS = ALL;

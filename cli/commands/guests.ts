// The guests built into hvrr (no download needed), by name.
import { diagElf, diagImage } from '../../guests/diag/index.js';
import { selftestElf, selftestImage } from '../../guests/selftest/index.js';
import { ffaClientElf, ffaClientImage } from '../../guests/ffa-client/index.js';

export const BUILTIN_GUESTS = {
  diag: { summary: 'the diagnostic guest: every hypercall, its own exceptions, the traps (default)', image: () => diagImage(), elf: () => diagElf() },
  selftest: { summary: 'the machine self-test: MMU, exceptions, GICv3 + timer, PSCI SMP, exclusives', image: () => selftestImage(), elf: () => selftestElf() },
  'ffa-client': { summary: 'the FF-A test client (with --secure): discovery, direct and indirect messages, memory sharing, notifications with the bundled partitions; a PASS/FAIL line per check', image: () => ffaClientImage({ conduit: 'smc' }), elf: () => ffaClientElf({ conduit: 'smc' }) },
} as const;

export type BuiltinGuest = keyof typeof BUILTIN_GUESTS;
export const DEFAULT_GUEST: BuiltinGuest = 'diag';

export function isBuiltinGuest(name: string): name is BuiltinGuest {
  return Object.prototype.hasOwnProperty.call(BUILTIN_GUESTS, name);
}

export function builtinImage(name: BuiltinGuest): Uint8Array {
  return BUILTIN_GUESTS[name].image();
}

/** The guest as an ELF file with its labels as symbols (`hvrr elf`). */
export function builtinElf(name: BuiltinGuest): Uint8Array {
  return BUILTIN_GUESTS[name].elf();
}

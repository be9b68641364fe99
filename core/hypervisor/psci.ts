// Guest PSCI: the same dispatcher as the firmware (core/firmware/psci.ts),
// with a per-VM platform whose "CPUs" are the VM's vCPUs. Each call is one
// trap handled to completion, so concurrent callers on several pCPUs are
// serialized and see each other's effects: a CPU_ON that succeeded leaves the
// target ON_PENDING until it first runs, so a racing second CPU_ON gets
// ON_PENDING (then ALREADY_ON), never a second start.
import type { PowerState, PsciPlatform } from '../firmware/psci.js';
import type { VmState } from './state.js';

export interface GuestPsciHost {
  vcpuOn(vm: VmState, vcpu: number, entry: bigint, contextId: bigint): void;
  vcpuOff(vm: VmState, vcpu: number): void;
  vcpuStandby(vm: VmState, vcpu: number): void;
  vmOff(vm: VmState, reset: boolean): void;
}

export function guestPsciPlatform(h: GuestPsciHost, vm: VmState): PsciPlatform {
  return {
    numCpus: vm.vcpus.length,
    powerState(c: number): PowerState {
      const r = vm.vcpus[c]!.run;
      return r === 'off' ? 'off' : r === 'on-pending' ? 'on-pending' : 'on';
    },
    mpidr: (c: number) => 0x8000_0000n | BigInt(c),
    // An entry point must be in the VM's RAM (IPA), 4-byte aligned.
    validEntry: (ipa: bigint) => ipa % 4n === 0n && ipa >= BigInt(vm.ramIpa) && ipa < BigInt(vm.ramIpa + vm.ramBytes),
    cpuOn: (c: number, _el: number, entry: bigint, ctx: bigint) => h.vcpuOn(vm, c, entry, ctx),
    cpuOff: (c: number) => h.vcpuOff(vm, c),
    standby: (c: number) => h.vcpuStandby(vm, c),
    systemOff: () => h.vmOff(vm, false),
    systemReset: () => h.vmOff(vm, true),
  };
}

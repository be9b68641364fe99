// Guest PSCI: the same dispatcher as the firmware (core/firmware/psci.ts),
// with a per-VM platform whose "CPUs" are the VM's vCPUs. Each call is one
// trap handled to completion, so concurrent callers on several pCPUs are
// serialized and see each other's effects: a CPU_ON that succeeded leaves the
// target ON_PENDING until it first runs, so a racing second CPU_ON gets
// ON_PENDING (then ALREADY_ON), never a second start.
import type { PowerState, PsciPlatform } from '../firmware/psci.js';
import type { Hv } from './context.js';
import { handOverConsole } from './console.js';
import { kick } from './scheduler.js';
import type { VmState } from './state.js';
import { freshContext } from './vcpu.js';
import { hasPendingFor } from './vgic/vgic.js';

export function guestPsciPlatform(hv: Hv, vm: VmState): PsciPlatform {
  return {
    numCpus: vm.vcpus.length,
    powerState(c: number): PowerState {
      const r = vm.vcpus[c]!.run;
      return r === 'off' ? 'off' : r === 'on-pending' ? 'on-pending' : 'on';
    },
    mpidr: (c: number) => 0x8000_0000n | BigInt(c),
    // An entry point must be in the VM's RAM (IPA), 4-byte aligned.
    validEntry: (ipa: bigint) => ipa % 4n === 0n && ipa >= BigInt(vm.ramIpa) && ipa < BigInt(vm.ramIpa + vm.ramBytes),
    cpuOn: (c: number, _el: number, entry: bigint, ctx: bigint) => vcpuOn(hv, vm, c, entry, ctx),
    cpuOff: (c: number) => vcpuOff(vm, c),
    standby: (c: number) => vcpuStandby(vm, c),
    systemOff: () => vmOff(hv, vm, false),
    systemReset: () => vmOff(hv, vm, true),
  };
}

/** CPU_ON: a fresh EL1 context at `entry`; its pCPU is kicked to pick it up. */
function vcpuOn(hv: Hv, vm: VmState, c: number, entry: bigint, contextId: bigint): void {
  const vc = vm.vcpus[c]!;
  vc.ctx = freshContext(hv.m.core, c, entry, contextId);
  vc.run = 'on-pending';
  if (vc.pcpu !== hv.cur) kick(hv, vc.pcpu);
}

function vcpuOff(vm: VmState, c: number): void {
  const vc = vm.vcpus[c]!;
  vc.run = 'off';
  // Forget interrupt state that can no longer be delivered.
  for (let i = 0; i < 32; i++) {
    vm.gic.pending[c * 32 + i] = 0;
    vm.gic.active[c * 32 + i] = 0;
  }
}

/** CPU_SUSPEND as standby: block until an interrupt is deliverable. */
function vcpuStandby(vm: VmState, c: number): void {
  const vc = vm.vcpus[c]!;
  if (!hasPendingFor(vm, c)) vc.run = 'blocked';
}

/** SYSTEM_OFF / SYSTEM_RESET of one VM; the machine stops when no VM runs any more. */
function vmOff(hv: Hv, vm: VmState, reset: boolean): void {
  vm.power = reset ? 'reset' : 'off';
  for (const v of vm.vcpus) {
    // vCPUs running on other pCPUs are kicked: they trap, find the VM off and leave.
    if (v.run === 'running' && v.pcpu !== hv.cur) kick(hv, v.pcpu);
    v.run = 'off';
  }
  hv.log(`${vm.name}: ${reset ? 'SYSTEM_RESET' : 'SYSTEM_OFF'}`);
  if (hv.s.vms.every((x) => x.power !== 'running')) {
    const anyReset = hv.s.vms.some((x) => x.power === 'reset');
    hv.m.stop({ kind: anyReset ? 'system-reset' : 'system-off' });
    return;
  }
  if (vm.id === hv.s.consoleVm) handOverConsole(hv, vm);
}

// The proxy's initial record and the VM <-> FF-A ID mapping. VMs get the
// IDs Hafnium gives them: VM k is k + 1; the hypervisor itself is 0
// (FFA_HYPERVISOR_ID); IDs with bit 15 set are the Secure world's.
import { MemoryLedger } from '../../spmc/memoryLedger.js';
import { FFA_PAGE_SIZE } from '../../ffa/memory/layout.js';
import { initialVmFfa, type FfaProxyState } from './state.js';

/** What the proxy needs of a VM to set up its record. */
export interface VmRamShape {
  id: number;
  backingPa: number;
  ramBytes: number;
}

export function ffaIdOfVm(vmIndex: number): number {
  return vmIndex + 1;
}

/** The VM index of FF-A ID `id`, or -1 when no VM of `numVms` has it. */
export function vmOfFfaId(id: number, numVms: number): number {
  return id >= 1 && id <= numVms ? id - 1 : -1;
}

/** The record for `numCpus` pCPUs and these VMs: each VM owns its RAM in the ledger. */
export function initialFfaState(numCpus: number, vms: readonly VmRamShape[]): FfaProxyState {
  const ledger = new MemoryLedger('hypervisor');
  for (const vm of vms) ledger.declareRegion(ffaIdOfVm(vm.id), BigInt(vm.backingPa), vm.ramBytes / FFA_PAGE_SIZE);
  return {
    version: 1,
    vms: vms.map(() => initialVmFfa()),
    pending: Array.from({ length: numCpus }, () => null),
    ledger: ledger.getState(),
    hvRxtx: null,
    spShares: [],
    spBorrows: [],
    spmcVersion: 0,
  };
}

// Trap dispatch: a synchronous exception from a guest to EL2, by ESR_EL2.EC
// (D13.2.37): WFI/WFE, HVC (the hypercalls of hypercalls.ts, otherwise
// PSCI/SMCCC), a trapped SMC (PSCI/SMCCC), a trapped system-register access
// (the SGI registers), a Stage-2 data abort on an emulated device page
// (devices.ts), an instruction abort outside guest RAM; anything else is
// UNDEFINED at EL1.
import { psciCall, SMCCC_VERSION } from '../firmware/psci.js';
import { SMCCC_VERSION_1_2 } from '../firmware/smccc.js';
import { sysregKey } from '../cpu/ports.js';
import { worldField } from '../trace/events.js';
import * as A from './arch.js';
import type { Hv } from './context.js';
import { consoleOut, physOut } from './console.js';
import { deviceRead, deviceWrite } from './devices.js';
import * as H from './hypercalls.js';
import { injectAbort, injectUndef } from './inject.js';
import { ffaCall, isFfaFunction } from './ffa/proxy.js';
import { decodeDataAbort, type MmioAccess } from './mmio.js';
import { guestPsciPlatform } from './psci.js';
import { notify } from './scheduler.js';
import { s2Translate } from './stage2.js';
import type { VcpuState, VmState } from './state.js';
import { hasPendingFor } from './vgic/vgic.js';

const SMCCC_VERSION_1_2_ANSWER = BigInt(SMCCC_VERSION_1_2);

/** Step the guest past the trapped instruction (ELR_EL2 += 4). */
function advance(hv: Hv, cpu: number): void {
  const regs = hv.m.core.regs(cpu);
  regs.set('ELR_EL2', regs.get('ELR_EL2') + 4n);
}

/** Handle a synchronous trap of the vCPU loaded on `cpu`. Returns true when a scheduling decision is due. */
export function syncTrap(hv: Hv, cpu: number, vm: VmState, vc: VcpuState): boolean {
  const regs = hv.m.core.regs(cpu);
  const esr = Number(regs.get('ESR_EL2') & 0xffff_ffffn);
  const ec = esr >>> 26;
  const iss = esr & 0x1ff_ffff;
  switch (ec) {
    case A.EC_WFX:
      advance(hv, cpu);
      hv.s.counters['wfi']!++;
      if (iss & 1) return true; // WFE (trapped only on a shared pCPU): yield to the next runnable vCPU
      if (hasPendingFor(vm, vc.id)) return false;
      vc.run = 'blocked';
      return true;
    case A.EC_HVC64:
      hv.s.counters['hvc']!++;
      hvc(hv, cpu, vm, vc);
      return false;
    case A.EC_SMC64: {
      advance(hv, cpu); // a trapped SMC's preferred return address is the SMC itself
      const fn = Number(regs.x(0) & 0xffff_ffffn);
      const oen = (fn >>> 24) & 0x3f; // SMCCC owning entity: 0 Arm architecture, 4 standard (PSCI, FF-A)
      if (isFfaFunction(fn)) ffaCall(hv, cpu, vm, vc);
      else if (oen === 0 || oen === 4) guestPsci(hv, cpu, vm, vc, fn);
      else regs.setX(0, BigInt.asUintN(64, -1n)); // NOT_SUPPORTED
      return false;
    }
    case A.EC_SYSREG:
      hv.s.counters['sysreg']!++;
      sysregTrap(hv, cpu, vm, vc, iss);
      return false;
    case A.EC_DABT_LOW:
      dataAbort(hv, cpu, vm, vc, iss);
      return false;
    case A.EC_IABT_LOW:
      injectAbort(hv, cpu, false, regs.get('FAR_EL2'));
      return false;
  }
  injectUndef(hv, cpu);
  return false;
}

/** A PSCI/SMCCC call from the guest, answered over its vCPUs (psci.ts). */
function guestPsci(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, fn: number): void {
  const regs = hv.m.core.regs(cpu);
  const args = [regs.x(1), regs.x(2), regs.x(3)];
  // SMCCC 1.2 (x0-x17 carry arguments and results, as the FF-A proxy serves them; Linux's FF-A driver needs it).
  const r = fn === SMCCC_VERSION ? SMCCC_VERSION_1_2_ANSWER : psciCall(guestPsciPlatform(hv, vm), { cpu: vc.id, callerEl: 1, fn, args });
  if (r !== null) regs.setX(0, r);
  hv.m.trace.emit({ kind: 'psci', tick: hv.m.core.nowTick(cpu), cpu, fn, args: args.map(A.hex), result: A.hex(r ?? 0n), ...worldField(hv.m.core.isNonSecure(cpu)) });
}

/** HVC #0: the hypervisor's own calls (x0 = 0..5), otherwise PSCI/SMCCC. */
function hvc(hv: Hv, cpu: number, vm: VmState, vc: VcpuState): void {
  const core = hv.m.core;
  const regs = core.regs(cpu);
  const x0 = regs.x(0);
  if (x0 > 5n) {
    const fn = Number(x0 & 0xffff_ffffn);
    if (isFfaFunction(fn)) ffaCall(hv, cpu, vm, vc);
    else guestPsci(hv, cpu, vm, vc, fn);
    return;
  }
  const x1 = regs.x(1);
  const x2 = regs.x(2);
  const x3 = regs.x(3);
  let r = H.HV_OK;
  switch (Number(x0)) {
    case H.HVC_GET_HV_ID:
      regs.setX(1, H.HV_ABI_VERSION);
      r = H.HV_ID;
      break;
    case H.HVC_DUMP_LOG:
      for (const line of hv.s.log) physOut(hv, `hv: ${line}\n`);
      r = BigInt(hv.s.log.length);
      break;
    case H.HVC_GET_STATUS:
      regs.setX(1, BigInt(vm.id));
      regs.setX(2, BigInt(vc.id));
      regs.setX(3, BigInt(vm.vcpus.length));
      break;
    case H.HVC_PAUSE:
      hv.log(`${vm.name} vcpu${vc.id}: pause`);
      hv.onPause(vm, vc.id);
      break;
    case H.HVC_GUEST_CONSOLE_WRITE: {
      if (x2 > BigInt(H.HV_CONSOLE_MAX)) {
        r = H.HV_ERR_INVALID;
        break;
      }
      const len = Number(x2);
      if (x1 >= 1n << 32n) {
        r = H.HV_ERR_FAULT;
        break;
      }
      const ipa = Number(x1);
      const bytes: number[] = [];
      for (let i = 0; i < len; i++) {
        const pa = s2Translate(core, vm.s2Root, ipa + i);
        if (pa < 0) break;
        bytes.push(core.readPhys(pa, 1)[0]!);
      }
      if (bytes.length !== len) {
        r = H.HV_ERR_FAULT;
        break;
      }
      for (const b of bytes) consoleOut(hv, vm, b);
      r = BigInt(len);
      break;
    }
    case H.HVC_REPORT_EXCEPTION:
      hv.log(`${vm.name} vcpu${vc.id}: exception ESR=${A.hex(x1)} ELR=${A.hex(x2)} FAR=${A.hex(x3)}`);
      break;
  }
  regs.setX(0, r);
}

function sysregTrap(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, iss: number): void {
  // ISS for EC 0x18 (D13.2.37): Op0 [21:20], Op2 [19:17], Op1 [16:14], CRn [13:10], Rt [9:5], CRm [4:1], Direction [0] (1 = read).
  const op0 = (iss >> 20) & 3;
  const op2 = (iss >> 17) & 7;
  const op1 = (iss >> 14) & 7;
  const crn = (iss >> 10) & 15;
  const rt = (iss >> 5) & 31;
  const crm = (iss >> 1) & 15;
  const read = (iss & 1) === 1;
  const key = sysregKey(op0, op1, crn, crm, op2);
  // ICC_SGI1R_EL1 / ICC_ASGI1R_EL1 / ICC_SGI0R_EL1 (trapped with HCR_EL2.IMO/FMO, §12.2).
  if (!read && op0 === 3 && op1 === 0 && crn === 12 && crm === 11 && op2 >= 5) {
    sgi(hv, vm, vc.id, hv.m.core.regs(cpu).x(rt));
    advance(hv, cpu);
    return;
  }
  void key;
  injectUndef(hv, cpu);
}

/** Emulate an SGI write (IHI 0069 §12.2.18): TargetList [15:0], Aff1 [23:16], INTID [27:24], Aff2 [39:32], IRM [40], RS [47:44], Aff3 [55:48]. */
function sgi(hv: Hv, vm: VmState, self: number, value: bigint): void {
  const lo = Number(value & 0xffff_ffffn);
  const hi = Number(value >> 32n);
  const intid = (lo >>> 24) & 0xf;
  const irm = (hi >>> 8) & 1;
  const targets: number[] = [];
  if (irm) {
    for (let v = 0; v < vm.vcpus.length; v++) if (v !== self) targets.push(v);
  } else {
    const aff1 = (lo >>> 16) & 0xff;
    const aff2 = hi & 0xff;
    const aff3 = (hi >>> 16) & 0xff;
    const rs = (hi >>> 12) & 0xf;
    if (aff1 === 0 && aff2 === 0 && aff3 === 0) {
      for (let b = 0; b < 16; b++) {
        const v = rs * 16 + b;
        if ((lo >>> b) & 1 && v < vm.vcpus.length) targets.push(v);
      }
    }
  }
  for (const v of targets) {
    // Planted defect (core/mutations.ts): every 3rd SGI to another vCPU is lost.
    if (hv.m.config.mutation === 'lost-sgi' && v !== self && (hv.s.counters['mutation-sgi'] = (hv.s.counters['mutation-sgi'] ?? 0) + 1) % 3 === 0) continue;
    vm.gic.pending[v * 32 + intid] = 1;
    notify(hv, vm, v);
  }
}

/** A Stage-2 data abort: emulate the access if a device is there, else a synchronous external abort at EL1. */
function dataAbort(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, iss: number): void {
  const core = hv.m.core;
  const regs = core.regs(cpu);
  const far = regs.get('FAR_EL2');
  const dfsc = iss & 0x3f;
  const s1ptw = (iss >> 7) & 1;
  const ipa = Number(regs.get('HPFAR_EL2') >> 4n) * 0x1000 + Number(far & 0xfffn);
  // Translation faults (nothing mapped: devices) and permission faults (a write to read-only flash).
  const emulated = (dfsc & 0x3c) === 0x04 || (dfsc & 0x3c) === 0x0c;
  const acc = emulated && !s1ptw ? decodeDataAbort(core, cpu, vm, iss) : null;
  if (!acc || !emulateAccess(hv, cpu, vm, vc, ipa, acc)) {
    injectAbort(hv, cpu, true, far);
    return;
  }
  hv.s.counters['mmio']!++;
  advance(hv, cpu);
}

/** Emulate one device access at `ipa` between the guest's registers and the device map; false when nothing is there. */
function emulateAccess(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, ipa: number, a: MmioAccess): boolean {
  const regs = hv.m.core.regs(cpu);
  const rts = a.rt2 >= 0 ? [a.rt, a.rt2] : [a.rt];
  for (let i = 0; i < rts.length; i++) {
    const addr = ipa + i * a.size;
    const rt = rts[i]!;
    const mask = a.size === 8 ? (1n << 64n) - 1n : (1n << BigInt(a.size * 8)) - 1n;
    if (a.write) {
      const v = regs.x(rt) & mask; // X31 reads as XZR
      if (!deviceWrite(hv, vm, vc, addr, a.size, v)) return false;
    } else {
      let v = deviceRead(hv, vm, vc, addr, a.size);
      if (v === undefined) return false;
      v &= mask;
      if (a.signExtend && a.size < 8) v = BigInt.asUintN(64, BigInt.asIntN(a.size * 8, v));
      if (!a.sf) v &= 0xffff_ffffn;
      regs.setX(rt, v);
    }
  }
  if (a.writeback) a.writeback();
  return true;
}

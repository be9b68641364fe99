// Physical interrupts: the INTIDs the hypervisor owns on the physical GIC,
// acknowledging and dispatching them at EL2 (split EOI: a priority drop for
// each, deactivation for all but the timer PPIs it injects with HW = 1, which
// the guest's EOI deactivates), the HW-interrupt lines the vGIC asks about,
// and the physical PL031 that times the VMs' vPL031 alarms.
import { GICR_BASE, RTC_BASE } from '../machine.js';
import { ICC_DIR_EL1, ICC_EOIR1_EL1, ICC_IAR1_EL1 } from '../devices/gicv3/registers.js';
import { KEY_CNTHP_CTL_EL2, KEY_CNTP_CTL_EL0, KEY_CNTV_CTL_EL0 } from '../devices/timer/genericTimer.js';
import { mmio32, type Hv } from './context.js';
import { consoleRx } from './console.js';
import { rtcIrq } from './devices.js';
import type { VmState } from './state.js';
import { hasPendingFor, slotOf } from './vgic/vgic.js';
import { vrtcMatchAt } from './vrtc.js';

export const UART_SPI_PHYS = 33;
export const RTC_SPI_PHYS = 34;
export const PPI_MAINT = 25;
export const PPI_HYP_TIMER = 26;
export const PPI_VTIMER = 27;
export const PPI_PTIMER = 30;
/** The SGI one pCPU sends another to make it re-evaluate (scheduler.ts kick). */
export const SGI_KICK = 0;

/** Acknowledge and dispatch every pending physical interrupt of `cpu`. Returns true when a scheduling decision is due. */
export function physIrqs(hv: Hv, cpu: number): boolean {
  let resched = false;
  const p = hv.s.pcpus[cpu]!;
  for (let guard = 0; guard < 64; guard++) {
    const intid = Number(hv.sysRead(cpu, ICC_IAR1_EL1) & 0xff_ffffn);
    if (intid >= 1020) break;
    hv.s.counters['irqs']!++;
    hv.sysWrite(cpu, ICC_EOIR1_EL1, BigInt(intid)); // priority drop
    const cur = hv.vcpuOf(cpu);
    if ((intid === PPI_VTIMER || intid === PPI_PTIMER) && cur) {
      // Inject with HW = 1: the guest's EOI deactivates the physical PPI.
      const [vm, vc] = cur;
      const s = slotOf(vm, vc.id, intid);
      vm.gic.hw[s] = 1;
      vm.gic.pending[s] = 1;
      if (vc.run === 'blocked' && hasPendingFor(vm, vc.id)) vc.run = 'runnable';
      if (!p.running) resched = true;
      continue;
    }
    hv.sysWrite(cpu, ICC_DIR_EL1, BigInt(intid));
    if (intid === PPI_HYP_TIMER) {
      hv.sysWrite(cpu, KEY_CNTHP_CTL_EL2, 0n);
      resched = true;
    } else if (intid === RTC_SPI_PHYS) {
      rtcMatch(hv, cpu);
    } else if (intid === UART_SPI_PHYS) {
      consoleRx(hv, cpu);
    } else if (intid < 16) {
      resched = true;
    }
  }
  return resched;
}

/** The output level of the timer behind HW interrupt `intid` on `cpu` (vgic.ts resampling). */
export function hwLevel(hv: Hv, cpu: number, intid: number): boolean {
  const ctl = Number(hv.sysRead(cpu, intid === PPI_VTIMER ? KEY_CNTV_CTL_EL0 : KEY_CNTP_CTL_EL0));
  return (ctl & 7) === 5; // ENABLE, not IMASK, ISTATUS (D11.2.4)
}

/** Deactivate the physical PPI `intid` of `cpu` (a HW interrupt dropped before the guest took it). */
export function hwDrop(hv: Hv, cpu: number, intid: number): void {
  mmio32(hv, cpu, GICR_BASE + cpu * 0x2_0000 + 0x1_0380, 1 << intid); // GICR_ICACTIVER0
}

/** The guest deactivated a HW interrupt through the vGIC frames: so does its pCPU, if the vCPU is loaded there. */
export function hwDeactivated(hv: Hv, vm: VmState, vcpu: number, intid: number): void {
  const vc = vm.vcpus[vcpu]!;
  const l = hv.s.pcpus[vc.pcpu]!.loaded;
  if (l && l[0] === vm.id && l[1] === vcpu) mmio32(hv, hv.cur, GICR_BASE + vc.pcpu * 0x2_0000 + 0x1_0380, 1 << intid);
}

/** The physical PL031 matched: every VM whose alarm (RTCMR) is this second gets RIS set. */
function rtcMatch(hv: Hv, cpu: number): void {
  const now = physSeconds(hv);
  mmio32(hv, cpu, RTC_BASE + 0x1c, 1); // RTCICR
  for (const vm of hv.s.vms) {
    if (vm.power === 'running' && vrtcMatchAt(vm.rtc) === now) {
      vm.rtc.ris |= 1;
      rtcIrq(hv, vm);
    }
  }
  rtcProgram(hv, cpu, now);
}

/** Physical RTCMR = the next second (after `now`) at which a running VM's alarm matches (the physical PL031 schedules
 *  nothing for a match beyond its horizon); the match interrupt only while a VM runs. */
export function rtcProgram(hv: Hv, cpu: number, now: number): void {
  let best = 0;
  let bestDelta = 0;
  for (const vm of hv.s.vms) {
    if (vm.power !== 'running') continue;
    const at = vrtcMatchAt(vm.rtc);
    const delta = (at - now) >>> 0;
    if (delta > 0 && (bestDelta === 0 || delta < bestDelta)) {
      best = at;
      bestDelta = delta;
    }
  }
  if (bestDelta === 0) {
    mmio32(hv, cpu, RTC_BASE + 0x10, 0); // RTCIMSC: nothing armed
    return;
  }
  mmio32(hv, cpu, RTC_BASE + 0x04, best); // RTCMR
  mmio32(hv, cpu, RTC_BASE + 0x10, 1);
}

/** The physical RTC's count (RTCDR), read from the pCPU being handled. */
export function physSeconds(hv: Hv): number {
  return Number(hv.m.bus.read(RTC_BASE, 4, hv.cur) ?? 0n);
}

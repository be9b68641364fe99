// The monitor on a real machine: the diagnostic guest's PAUSE enters it,
// console bytes (scheduled UART RX input, as a recording replays them) drive
// it, `resume` lets the guest finish; Ctrl-A m enters it from the console.
import { describe, expect, it } from 'vitest';
import { hvMachine, type HvRun } from '../testing.js';
import { diagImage, DIAG_DONE_LINE } from '../../../guests/diag/index.js';
import { conformanceImage } from '../../../guests/conformance/index.js';
import { MONITOR_PROMPT } from './commands.js';
import { attachMonitor, MONITOR_COMPONENT, type HvMonitor } from './attach.js';

const MiB = 1 << 20;

function type(r: HvRun, text: string, spacing = 20_000): void {
  let t = r.m.nowTick;
  for (const b of Buffer.from(text, 'latin1')) r.m.scheduleUartRx((t += spacing), b);
}

function pausedDiag(numVcpus = 2): { r: HvRun; mon: HvMonitor } {
  const r = hvMachine({ vms: [{ numVcpus, ramBytes: 64 * MiB, kernel: diagImage({ pause: true }) }] }, { numCpus: numVcpus });
  const mon = attachMonitor(r.hv);
  return { r, mon };
}

describe('EL2 UART monitor on the machine', () => {
  it('PAUSE enters it, every vCPU stops, commands answer, resume lets the guest finish', () => {
    const { r, mon } = pausedDiag();
    expect(r.m.run(1_000_000_000).kind).toBe('idle'); // the guest paused; nothing runs
    expect(mon.active).toBe(true);
    expect(r.hv.s.vms[0]!.vcpus.every((v) => v.run === 'paused' || v.run === 'off')).toBe(true);
    const before = r.console();
    expect(before).toContain('[hvrr monitor: PAUSE from vm0 vcpu0;');
    expect(before.endsWith(MONITOR_PROMPT)).toBe(true);
    expect(before).not.toContain(DIAG_DONE_LINE);

    type(r, 'vms\rvcpus 0\rregs 0 0\rs2 0\rs2 0 0x40080000\revents\rlog\rbogus\r');
    expect(r.m.run(1_000_000_000).kind).toBe('idle');
    const out = r.console().slice(before.length).replace(/\r\n/g, '\n');
    expect(out).toMatch(/^vms\n/);
    expect(out).toMatch(/0 +vm0 +1 +0x40000000-0x43ffffff -> 0x41000000 \(64 MiB\) +2 +running/);
    expect(out).toMatch(/0 +0 +paused +0 +\d+ +loaded on pCPU 0 \(idle\)/);
    expect(out).toContain('VM 0 (vm0) vCPU 0, loaded on pCPU 0:');
    expect(out).toMatch(/ x0=0000000000000000 /); // stopped right after its PAUSE hypercall, which returned 0
    expect(out).toMatch(/ pc=00000000400[0-9a-f]{5} {2}pstate=/);
    expect(out).toContain('ipa 0x40000000-0x43ffffff -> pa 0x41000000-0x44ffffff  64 MiB  32 x 2M block  Normal WB RW');
    expect(out).toContain('ipa 0x40080000 -> pa 0x41080000  Normal WB RW');
    expect(out).toMatch(/trace events: \d+/);
    expect(out).toContain('hv: vm0 vcpu0: pause');
    expect(out).toContain("unknown command 'bogus'");
    expect(r.console()).not.toContain(DIAG_DONE_LINE);

    type(r, 'resume\r');
    expect(r.m.run(2_000_000_000).kind).toBe('system-off');
    expect(mon.active).toBe(false);
    const all = r.console().replace(/\r\n/g, '\n');
    expect(all).toContain('\nresuming\n');
    expect(all).toContain('PASS: hypercall-pause-resumed');
    expect(all.trimEnd().split('\n').at(-1)).toBe(DIAG_DONE_LINE);
  });

  it('Ctrl-A m from the console stops a running guest; resume continues it to the same end', () => {
    const plain = hvMachine({ vms: [{ numVcpus: 2, ramBytes: 64 * MiB, kernel: conformanceImage('gic-ipi') }] }, { numCpus: 2 });
    attachMonitor(plain.hv);
    expect(plain.m.run(2_000_000_000).kind).toBe('system-off');

    const r = hvMachine({ vms: [{ numVcpus: 2, ramBytes: 64 * MiB, kernel: conformanceImage('gic-ipi') }] }, { numCpus: 2 });
    const mon = attachMonitor(r.hv);
    r.m.scheduleUartRx(2_000_000, 0x01);
    r.m.scheduleUartRx(2_020_000, 0x6d);
    let t = 2_100_000;
    for (const b of Buffer.from('vcpus\r', 'latin1')) r.m.scheduleUartRx((t += 20_000), b);
    expect(['idle', 'tick-limit']).toContain(r.m.run({ untilTick: 3_000_000 }).kind);
    expect(mon.active).toBe(true);
    const mid = r.console().replace(/\r\n/g, '\n');
    expect(mid).toContain('[hvrr monitor: entered from the console;');
    expect(mid).toMatch(/0 +[01] +paused/);
    expect(mid).not.toContain('SUMMARY'); // it was stopped mid-run
    type(r, 'resume\r');
    expect(r.m.run(2_000_000_000).kind).toBe('system-off');
    // the guest's own output is the same as without the interruption
    const guest = (s: string): string[] => s.replace(/\r\n/g, '\n').split('\n').filter((l) => /^(PASS|FAIL|SUMMARY)/.test(l));
    expect(guest(r.console())).toEqual(guest(plain.console()));
    expect(guest(r.console()).at(-1)).toMatch(/^SUMMARY: \d+ tests, 0 failures$/);
  });

  it('is deterministic and its state is a registered snapshot component', () => {
    const go = () => {
      const { r } = pausedDiag(1);
      r.m.run(1_000_000_000);
      type(r, 'vms\rs2 0\rresume\r');
      r.m.run(2_000_000_000);
      return { out: r.console(), digest: r.m.trace.digest() };
    };
    expect(go()).toEqual(go());
    const { r, mon } = pausedDiag(1);
    r.m.run(1_000_000_000);
    type(r, 've');
    r.m.run(1_000_000_000);
    const st = r.m.component(MONITOR_COMPONENT).getState() as { active: boolean; line: number[] };
    expect(st.active).toBe(true);
    expect(st.line).toEqual([0x76, 0x65]);
    mon.state.line = [];
    r.m.component(MONITOR_COMPONENT).loadState(st);
    expect(mon.state.line).toEqual([0x76, 0x65]);
  });
});

// The monitor without a machine: a hand-built hypervisor state view, a fake
// physical memory holding Stage-2 tables in the architectural format.
import { initialFfaState } from '../ffa/setup.js';
import { describe, expect, it } from 'vitest';
import type { HvState, VmState } from '../state.js';
import { createVswitch, vswitchSend } from '../virtio/vswitch.js';
import { createVirtioBlk, createVirtioNet } from '../virtio/transport.js';
import { MONITOR_HELP, MONITOR_PROMPT, monitorCommand, s2Attrs, s2Runs, type MonitorRegs, type MonitorView } from './commands.js';
import { initialMonitorState, monitorEnter, monitorInput, upgradeMonitorState } from './monitor.js';

const S2_NORMAL_RW = (0xfn << 2n) | (3n << 6n) | (3n << 8n) | (1n << 10n);

function vm(id: number, over: Partial<VmState> = {}): VmState {
  return {
    id, vmid: id + 1, name: `vm${id}`, ramIpa: 0x4000_0000, ramBytes: 64 << 20, backingPa: 0x4100_0000 + id * (64 << 20), s2Root: 0x4000_1000 + id * 0x4000, cntvoff: '0x0',
    vcpus: [
      { id: 0, run: 'running', pcpu: 0, ctx: null, exits: 12 },
      { id: 1, run: 'blocked', pcpu: 1, ctx: null, exits: 3 },
    ],
    gic: {} as VmState['gic'], uart: {} as VmState['uart'], rtc: {} as VmState['rtc'], virtio: [], power: 'running', ...over,
  };
}

/** Stage-2 for vm0: IPA 0x40000000.. 64 MiB -> 0x41000000 in 2 MiB blocks, except the 2 MiB at 0x40200000 split into pages, one of them unmapped. */
function fakeMemory(): Map<number, bigint> {
  const mem = new Map<number, bigint>();
  const root = 0x4000_1000;
  const l2 = 0x4000_2000;
  const l3 = 0x4000_3000;
  mem.set(root + 8, BigInt(l2) | 3n);
  for (let i = 0; i < 32; i++) {
    const ipa = 0x4000_0000 + i * 0x20_0000;
    const pa = 0x4100_0000 + i * 0x20_0000;
    if (i === 1) {
      mem.set(l2 + i * 8, BigInt(l3) | 3n);
      for (let j = 0; j < 512; j++) if (j !== 5) mem.set(l3 + j * 8, BigInt(pa + j * 0x1000) | S2_NORMAL_RW | 3n);
    } else {
      void ipa;
      mem.set(l2 + i * 8, BigInt(pa) | S2_NORMAL_RW | 1n);
    }
  }
  return mem;
}

function view(): MonitorView {
  const mem = fakeMemory();
  const hv: HvState = {
    version: 6, reserveBase: 0x4000_0000, reserveBytes: 16 << 20, reserveNext: 0x4000_8000,
    vms: [vm(0), vm(1, { power: 'off' })],
    pcpus: [
      { started: true, loaded: [0, 0], running: true, runq: [[0, 0], [1, 0]], rr: 0, sliceEnd: '0x0', lrUsed: 0 },
      { started: true, loaded: null, running: false, runq: [[0, 1], [1, 1]], rr: 0, sliceEnd: '0x0', lrUsed: 0 },
    ],
    log: ['vm0 vcpu0: pause', 'vm0 vcpu0: exception ESR=0x5600005a ELR=0x40080b3c FAR=0x0'],
    counters: { traps: 40, hvc: 9, mmio: 20 },
    vswitch: createVswitch(2),
    consoleOwner: -1,
    consoleVm: 0,
    consoleEscape: false,
    ffa: initialFfaState(2, []),
  };
  const regs: MonitorRegs = {
    x: Array.from({ length: 31 }, (_, i) => `0x${(i * 0x1111).toString(16)}`),
    pc: '0x40080b3c', pstate: '0x600003c5', spEl0: '0x0', spEl1: '0x40090000',
    sys: { SCTLR_EL1: '0x30d01805', VBAR_EL1: '0x40081000' }, source: 'loaded on pCPU 0',
  };
  return {
    hv,
    eventCounts: { exception: 40, psci: 2, sched: 0, uart: 100 },
    readPhys64: (pa) => (pa >= 0x4000_0000 && pa < 0x4100_0000 ? mem.get(pa) ?? 0n : null),
    regs: (v, c) => (v === 0 && c === 0 ? regs : null),
  };
}

const run = (line: string) => monitorCommand(view(), line);

describe('monitor commands', () => {
  it('help lists every command; blank lines print nothing; unknown commands say so', () => {
    expect(run('help').output).toBe(MONITOR_HELP);
    for (const c of ['vms', 'vcpus', 'regs', 's2', 'events', 'log', 'resume']) expect(MONITOR_HELP).toContain(`  ${c}`);
    expect(run('   ')).toEqual({ output: '', action: 'none' });
    expect(run('frobnicate 1').output).toBe("unknown command 'frobnicate' (type 'help' for the list)");
  });

  it('vms', () => {
    const out = run('vms').output.split('\n');
    expect(out).toHaveLength(3);
    expect(out[1]).toMatch(/^0 +vm0 +1 +0x40000000-0x43ffffff -> 0x41000000 \(64 MiB\) +2 +running +0x40001000$/);
    expect(out[2]).toMatch(/^1 +vm1 +2 .* off +0x40005000$/);
  });

  it('vcpus [vm]', () => {
    const all = run('vcpus').output.split('\n');
    expect(all).toHaveLength(5);
    expect(all[1]).toMatch(/^0 +0 +running +0 +12 +loaded on pCPU 0 \(running\)$/);
    expect(all[2]).toMatch(/^0 +1 +blocked +1 +3 +none$/);
    expect(run('vcpus 1').output.split('\n')).toHaveLength(3);
    expect(run('vcpus vm1').output.split('\n')).toHaveLength(3);
    expect(run('vcpus 7').output).toBe('vcpus: no VM 7 (ids 0..1)');
  });

  it('regs <vm> <vcpu>', () => {
    const out = run('regs 0 0').output;
    expect(out).toContain('VM 0 (vm0) vCPU 0, loaded on pCPU 0:');
    expect(out).toContain(' x1=0000000000001111');
    expect(out).toContain('x30=' + (30 * 0x1111).toString(16).padStart(16, '0'));
    expect(out).toContain('pc=0000000040080b3c  pstate=00000000600003c5 (EL1h nZCv DAIF)');
    expect(out).toContain('sctlr_el1      =0000000030d01805');
    expect(run('regs 0 1').output).toBe('regs: VM 0 vCPU 1 has no register state');
    expect(run('regs 0 9').output).toBe("regs: no vCPU '9' in VM 0 (ids 0..1)");
    expect(run('regs 0').output).toBe('regs: usage: regs <vm> <vcpu>');
  });

  it('s2 <vm>: runs of mappings walked from the tables', () => {
    const out = run('s2 0').output.split('\n');
    expect(out[0]).toBe('VM 0 (vm0) Stage-2: VMID 1, root 0x40001000, 4 KB granule, 32-bit IPA, start level 1');
    expect(out.slice(1)).toEqual([
      '  ipa 0x40000000-0x401fffff -> pa 0x41000000-0x411fffff  2 MiB  1 x 2M block  Normal WB RW',
      '  ipa 0x40200000-0x40204fff -> pa 0x41200000-0x41204fff  20 KiB  5 x 4K page  Normal WB RW',
      '  ipa 0x40206000-0x403fffff -> pa 0x41206000-0x413fffff  2024 KiB  506 x 4K page  Normal WB RW',
      '  ipa 0x40400000-0x43ffffff -> pa 0x41400000-0x44ffffff  60 MiB  30 x 2M block  Normal WB RW',
    ]);
  });

  it('s2 <vm> <ipa>: the walk of one address', () => {
    expect(run('s2 0 0x40201234').output.split('\n').slice(1)).toEqual([
      '  L1[1] at 0x40001008 = 0x40002003  table -> 0x40002000',
      '  L2[1] at 0x40002008 = 0x40003003  table -> 0x40003000',
      `  L3[1] at 0x40003008 = 0x${(0x4120_1000n | S2_NORMAL_RW | 3n).toString(16)}  page (4 KiB)`,
      '  ipa 0x40201234 -> pa 0x41201234  Normal WB RW',
    ]);
    expect(run('s2 0 0x40205000').output).toContain('ipa 0x40205000: not mapped (translation fault, level 3)');
    expect(run('s2 0 0x8000000').output).toContain('ipa 0x8000000: not mapped (translation fault, level 1)');
    expect(run('s2 0 0x100000000').output).toContain('outside the 32-bit IPA space');
    expect(run('s2 0 zz').output).toBe("s2: 'zz' is not an address (decimal or 0x hex)");
    expect(run('s2 1').output).toContain('(nothing mapped)');
  });

  it('s2 reports a table outside RAM instead of throwing', () => {
    expect(s2Runs(() => null, 0x1000)).toBe('stage-2 table at 0x1000 is not RAM');
    expect(s2Attrs(0x4c5n)).toBe('Device-nGnRE RW'); // MemAttr 0b0001
    expect(s2Attrs((0x5n << 2n) | (3n << 6n))).toBe('Normal NC RW AF=0');
    expect(s2Attrs((1n << 2n) | (1n << 6n) | (1n << 10n) | (1n << 54n))).toBe('Device-nGnRE RO XN');
  });

  it('events and log', () => {
    const ev = run('events').output.split('\n');
    expect(ev[0]).toBe('trace events: 142');
    expect(ev).toContain('  exception               40');
    expect(ev.some((l) => l.startsWith('  sched'))).toBe(false); // zero counts are left out
    expect(ev).toContain('  hvc                      9');
    expect(run('log').output).toBe('hv: vm0 vcpu0: pause\nhv: vm0 vcpu0: exception ESR=0x5600005a ELR=0x40080b3c FAR=0x0');
  });

  it('resume', () => {
    expect(run('resume')).toEqual({ output: 'resuming', action: 'resume' });
  });
});

describe('monitor input', () => {
  const feed = (s: ReturnType<typeof initialMonitorState>, text: string | number[]) => {
    const bytes = typeof text === 'string' ? [...Buffer.from(text, 'latin1')] : text;
    let out = '';
    const actions: string[] = [];
    const passed: number[] = [];
    for (const b of bytes) {
      const r = monitorInput(s, b, view());
      if (!r.consumed) passed.push(b);
      else {
        out += r.output;
        if (r.action !== 'none') actions.push(r.action);
      }
    }
    return { out, actions, passed };
  };

  it('takes no byte while inactive (the console parses Ctrl-A m); once entered, runs lines until resume', () => {
    const s = initialMonitorState();
    const a = feed(s, 'ab\x01mc');
    expect(a.passed).toEqual([0x61, 0x62, 0x01, 0x6d, 0x63]);
    const banner = monitorEnter(s, 'entered from the console');
    expect(banner).toContain('[hvrr monitor: entered from the console;');
    expect(banner.endsWith(MONITOR_PROMPT)).toBe(true);
    const c = feed(s, 'vms\r\n');
    expect(c.passed).toEqual([]);
    expect(c.out.startsWith('vms\n')).toBe(true);
    expect(c.out).toContain('vm1');
    expect(c.out.endsWith(MONITOR_PROMPT)).toBe(true);
    expect(c.out.split(MONITOR_PROMPT)).toHaveLength(2); // CR LF is one line end
    const d = feed(s, 'resuem\x7f\x7f\x7fume\n');
    expect(d.actions).toEqual(['resume']);
    expect(d.out.endsWith('\nresuming\n')).toBe(true);
    expect(s.active).toBe(false);
    expect(feed(s, 'x').passed).toEqual([0x78]);
  });

  it('Ctrl-U clears the line; overlong lines are cut', () => {
    const s = initialMonitorState();
    monitorEnter(s, 'pause from vm0 vcpu0');
    const r = feed(s, 'garbage\x15help\r');
    expect(r.out).toContain('commands:');
    feed(s, 'x'.repeat(300));
    expect(s.line).toHaveLength(256);
  });

  it('a version 1 record (with the escape flag it no longer keeps) loads as version 2', () => {
    expect(upgradeMonitorState({ version: 1, active: false, reason: '', line: [], escape: true, lastCr: false, paused: [] })).toEqual(initialMonitorState());
    expect(upgradeMonitorState({ version: 9 })).toBeInstanceOf(Error);
  });

  it('is a deterministic function of its inputs', () => {
    const script = 'vms\rvcpus 0\rs2 0 0x40000000\revents\rlog\rresume\r';
    const entered = (): ReturnType<typeof initialMonitorState> => {
      const s = initialMonitorState();
      monitorEnter(s, 'test');
      return s;
    };
    const a = feed(entered(), script);
    const b = feed(entered(), script);
    expect(a).toEqual(b);
  });

  it('virtio: devices of every VM with status, queues and counters, and the vswitch', () => {
    const v = view();
    expect(monitorCommand(v, 'virtio').output).toContain('vswitch: 2 port(s), 0 learned MAC(s)');
    v.hv.vms[0]!.virtio = [createVirtioNet(30, [0x52, 0x54, 0, 0x12, 0x34, 1], 0), createVirtioBlk(31, 8 << 20)];
    v.hv.vms[0]!.virtio[0]!.status = 0xf;
    const frame = new Uint8Array(60);
    frame.fill(0xff, 0, 6);
    frame.set([0x52, 0x54, 0, 0x12, 0x34, 1], 6);
    expect(vswitchSend(v.hv.vswitch, 0, frame)).toEqual([1]);
    const out = monitorCommand(v, 'virtio').output;
    expect(out).toContain('vm0 virtio-net @ 0xa003c00 (SPI 46): ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK');
    expect(out).toContain('mac 52:54:00:12:34:01, port 0');
    expect(out).toContain('vm0 virtio-blk @ 0xa003e00 (SPI 47): reset');
    expect(out).toContain('525400123401'.replace(/(..)(?!$)/g, '$1:') + ' -> port 0');
    expect(out).toContain('port 1: tx 0, rx 1, waiting 1, dropped 0');
    expect(monitorCommand(v, 'virtio 1').output).toBe('virtio: takes no arguments');
  });
});

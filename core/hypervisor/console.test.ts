// The shared physical console with several VMs: each line is prefixed with
// its VM's name, an unfinished line (a shell prompt) shows at once, and a
// line another VM completes meanwhile is printed after a break, followed by
// a redraw of the unfinished line.
import { describe, expect, it } from 'vitest';
import { hvMachine } from './testing.js';
import { guestImage } from './testGuest.js';

const MiB = 1024 * 1024;

function putString(s: string): string {
  return [...s].map((c) => `    mov w0, #${c.charCodeAt(0)}\n    bl putc\n`).join('');
}

describe('console with two VMs', () => {
  it('keeps a prompt visible and redraws it after another VM\'s line', () => {
    const image = guestImage({
      main: `
    mov x0, #2
    hvc #0
    cbnz x1, 2f
${putString('p> ')}
    ldr x5, =12000000
1:  subs x5, x5, #1
    b.ne 1b
${putString('x\n')}
    b done
2:
${putString('hi\n')}
`,
    });
    const r = hvMachine({ vms: [0, 1].map(() => ({ numVcpus: 1, ramBytes: 32 * MiB, kernel: image })) }, { numCpus: 1 });
    expect(r.m.run(100_000_000).kind).toBe('system-off');
    expect(r.console()).toBe('[vm0] p> \r\n[vm1] hi\n[vm0] p> x\n');
    expect(r.hv.s.consoleOwner).toBe(-1);
  });
});

describe('console input when VM 0 powers off', () => {
  it('goes to the next running VM, with the bytes VM 0 had not read', () => {
    // vm0 powers off at once; vm1 waits for a console byte and echoes it, then powers off.
    const image = guestImage({
      main: `
    mov x0, #2
    hvc #0
    cbz x1, done
    ldr x3, =UART
1:  ldr w4, [x3, #0x18]
    tbnz w4, #4, 1b
    ldr w0, [x3]
    bl putc
    mov w0, #10
    bl putc
`,
    });
    const r = hvMachine({ vms: [0, 1].map(() => ({ numVcpus: 1, ramBytes: 32 * MiB, kernel: image })) }, { numCpus: 1 });
    r.m.scheduleUartRx(1000, 0x6b); // 'k', typed before vm0 went off
    expect(r.m.run(50_000_000).kind).toBe('system-off');
    expect(r.hv.s.consoleVm).toBe(1);
    expect(r.console()).toContain('[hv] vm0 is off: console input goes to vm1');
    expect(r.console()).toContain('[vm1] k\n');
  });
});

describe('console input with several VMs: Ctrl-A <digit> picks the VM', () => {
  // Each VM echoes what it reads until '.', then powers off.
  const image = guestImage({
    main: `
    ldr x3, =UART
1:  ldr w4, [x3, #0x18]
    tbnz w4, #4, 1b
    ldr w0, [x3]
    mov w5, w0
    bl putc
    cmp w5, #0x2e
    b.ne 1b
    mov w0, #10
    bl putc
`,
  });
  const boot = (input: string, vms = 2) => {
    const r = hvMachine({ vms: Array.from({ length: vms }, () => ({ numVcpus: 1, ramBytes: 32 * MiB, kernel: image })) }, { numCpus: 1 });
    [...Buffer.from(input, 'latin1')].forEach((b, i) => r.m.scheduleUartRx(100_000 + i * 20_000, b));
    return r;
  };

  it('a line after Ctrl-A 1 goes to vm1, after Ctrl-A 0 back to vm0; Ctrl-A Ctrl-A is one Ctrl-A for the guest', () => {
    const r = boot('a\x011b\x01\x01.\x010c.');
    expect(r.m.run(100_000_000).kind).toBe('system-off');
    const out = r.console();
    expect(out).toContain('[hv] console input goes to vm1');
    expect(out).toContain('[vm1] b\x01.\n');
    expect(out).toContain('[hv] console input goes to vm0');
    expect(out.replace(/\r\n\[[^\]]+\][^\n]*\n/g, '')).toContain('ac.\n');
    expect(r.hv.s.consoleEscape).toBe(false);
  });

  it('Ctrl-A to a VM that does not exist or is off says so and keeps the console VM; Ctrl-A ? lists the keys', () => {
    const r = boot('\x017\x01?x.', 1);
    expect(r.m.run(100_000_000).kind).toBe('system-off');
    expect(r.console()).toContain('[hv] there is no vm7 (VMs: vm0); console input stays with vm0');
    expect(r.console()).toContain('[hv] Ctrl-A 0..9: console input to that VM');
    expect(r.console()).toContain('x.\n');
    expect(r.hv.s.consoleVm).toBe(0);
  });
});

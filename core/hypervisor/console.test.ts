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

import { describe, expect, it } from 'vitest';
import { ChecksError, parseChecks, runChecks } from './checks.js';

const LINES = [
  '#0 @1 cpu0 psci fn=0x84000000 args=[] result=0x10000',
  'console: booting',
  '#1 @5 cpu0 exception n=1 sync el1->el2 ec=0x16 esr=0x5a000000 elr=0x40080000 far=0x0',
  '#2 @9 cpu0 sched vm=0 vcpu=1 in',
  'console: smp: Brought up 1 node, 2 CPUs',
  '#3 @12 cpu1 uart-out byte=0xa',
  'console: ready',
];

const run = (src: string): string | null => runChecks(parseChecks(src, 't.checks'), LINES)?.message ?? null;

describe('partial matching (FileCheck style)', () => {
  it('matches patterns in order, literally except {{regex}}', () => {
    expect(run('CHECK: psci fn=0x84000000\nCHECK: console: smp: Brought up {{\\d+}} node, 2 CPUs\nCHECK: console: ready')).toBeNull();
    expect(run('CHECK: console: ready\nCHECK: psci')).toMatch(/^CHECK 'psci' not found after line 7: console: ready$/);
    expect(run('CHECK: args=[]')).toBeNull(); // brackets are literal
    expect(run('CHECK: {{ec=0x1[0-9]}}')).toBeNull();
  });

  it('CHECK-NOT holds between the matches around it', () => {
    expect(run('CHECK: booting\nCHECK-NOT: sched\nCHECK: console: smp')).toMatch(/^CHECK-NOT 'sched' matched line 4: #2 @9 cpu0 sched/);
    expect(run('CHECK: console: smp\nCHECK-NOT: sched\nCHECK: ready')).toBeNull();
    expect(run('CHECK: booting\nCHECK-NOT: halt')).toBeNull();
    expect(run('CHECK: booting\nCHECK-NOT: ready')).toMatch(/matched line 7/); // to the end
  });

  it('CHECK-NEXT needs the very next line; IMPLICIT-CHECK-NOT holds everywhere', () => {
    expect(run('CHECK: sched\nCHECK-NEXT: console: smp')).toBeNull();
    expect(run('CHECK: psci\nCHECK-NEXT: exception')).toMatch(/^CHECK-NEXT 'exception' does not match the line after line 1: console: booting$/);
    expect(run('IMPLICIT-CHECK-NOT: {{uart-out byte=0x[0-9]+ }}\nCHECK: ready')).toBeNull();
    expect(run('IMPLICIT-CHECK-NOT: uart-out\nCHECK: psci')).toMatch(/^IMPLICIT-CHECK-NOT 'uart-out' matched line 6/);
  });

  it('refuses malformed files with the line', () => {
    expect(() => parseChecks('# only comments\n\n', 'a.checks')).toThrow(/a.checks: no CHECK line/);
    expect(() => parseChecks('CHECK: x\nCHEK: y', 'a.checks')).toThrow(/a.checks:2: expected 'CHECK:'/);
    expect(() => parseChecks('CHECK-NEXT: x', 'a.checks')).toThrow(/a.checks:1: CHECK-NEXT must follow a CHECK/);
    expect(() => parseChecks('CHECK: {{(}}', 'a.checks')).toThrow(ChecksError);
    expect(() => parseChecks('CHECK: {{x', 'a.checks')).toThrow(/'\{\{' without '\}\}'/);
    expect(() => parseChecks('CHECK:   ', 'a.checks')).toThrow(/empty pattern/);
  });
});

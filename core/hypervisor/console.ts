// The console: the VMs share the physical PL011. Output: with several VMs
// every line is prefixed with the VM's name; the VM that started a line owns
// the console until its newline (so a prompt shows at once), and a line
// another VM completes meanwhile is printed after a line break, followed by a
// redraw of the owner's unfinished line. Input goes to one VM (the console
// VM: VM 0, the one chosen with Ctrl-A <digit>, or the next running one when
// it powers off), through its vPL011's receive FIFO, with flow control.
import { UART_BASE } from '../machine.js';
import { mmio32, type Hv } from './context.js';
import { uartIrq } from './devices.js';
import type { VmState } from './state.js';
import { vuartFull, vuartPushRx } from './vuart.js';

/** Bytes (or latin1 text) to the physical PL011's data register. */
export function physOut(hv: Hv, bytes: Iterable<number> | string): void {
  for (const b of typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes) hv.m.bus.write(UART_BASE, 4, BigInt(b & 0xff), hv.cur);
}

/** One byte of console output from VM `vm`. */
export function consoleOut(hv: Hv, vm: VmState, byte: number): void {
  const s = hv.s;
  if (s.vms.length === 1) {
    physOut(hv, [byte]);
    return;
  }
  const prefix = (v: VmState): string => `[${v.name}] `;
  const owner = s.consoleOwner;
  const newline = byte === 10;
  if (owner === -1 || owner === vm.id) {
    if (owner === -1) physOut(hv, prefix(vm));
    physOut(hv, [byte]);
    if (newline) {
      vm.uart.line = [];
      s.consoleOwner = -1;
    } else {
      if (vm.uart.line.length < 1024) vm.uart.line.push(byte & 0xff); // kept for redraws
      s.consoleOwner = vm.id;
    }
    return;
  }
  vm.uart.line.push(byte & 0xff);
  if (!newline && vm.uart.line.length < 256) return;
  const o = s.vms[owner]!;
  physOut(hv, [13, 10]);
  physOut(hv, prefix(vm));
  physOut(hv, vm.uart.line);
  if (!newline) physOut(hv, [13, 10]);
  vm.uart.line = [];
  physOut(hv, prefix(o));
  physOut(hv, o.uart.line);
}

/** The console escape, as on Xen's and QEMU's serial muxes. */
export const CONSOLE_ESCAPE = 0x01; // Ctrl-A

/** What the console escape keys do (Ctrl-A ? prints it). */
export const CONSOLE_ESCAPE_HELP = 'Ctrl-A 0..9: console input to that VM, Ctrl-A m: the EL2 monitor, Ctrl-A Ctrl-A: a Ctrl-A for the guest, Ctrl-A ?: this help';

/**
 * One console input byte: the escape and its command are the console's
 * (VM choice, the monitor), an active monitor takes every byte, anything
 * else is for the console VM. Returns true when the byte was consumed here.
 */
function consoleCommand(hv: Hv, b: number): boolean {
  const s = hv.s;
  if (hv.onConsoleInput?.(b)) return true; // the monitor is active
  if (!s.consoleEscape) {
    if (b !== CONSOLE_ESCAPE) return false;
    s.consoleEscape = true;
    return true;
  }
  s.consoleEscape = false;
  if (b === CONSOLE_ESCAPE) return false; // one literal Ctrl-A
  if (b >= 0x30 && b <= 0x39) {
    focusConsole(hv, b - 0x30);
    return true;
  }
  if ((b === 0x6d || b === 0x4d) && hv.onConsoleEscape?.('m')) return true;
  if (b === 0x3f) physOut(hv, `\r\n[hv] ${CONSOLE_ESCAPE_HELP}\r\n`);
  return true; // an unknown escape is dropped
}

/** Console input goes to VM `id` from the next byte on (Ctrl-A <digit>). */
export function focusConsole(hv: Hv, id: number): void {
  const s = hv.s;
  const vm = s.vms[id];
  if (!vm) {
    physOut(hv, `\r\n[hv] there is no vm${id} (VMs: ${s.vms.map((v) => v.name).join(', ')}); console input stays with ${s.vms[s.consoleVm]!.name}\r\n`);
    return;
  }
  if (vm.power !== 'running') {
    physOut(hv, `\r\n[hv] ${vm.name} is off; console input stays with ${s.vms[s.consoleVm]!.name}\r\n`);
    return;
  }
  if (s.consoleVm === id) return;
  s.consoleVm = id;
  if (s.vms.length > 1) physOut(hv, `\r\n[hv] console input goes to ${vm.name}\r\n`);
  hv.log(`console input now goes to ${vm.name}`);
}

/** Move console input from the physical PL011 into the console VM's vPL011 while it has
 *  room. With the vPL011 FIFO full the physical RX interrupts are masked, so
 *  input waits in the physical FIFO (and behind it, in the recorder's flow
 *  control) instead of being lost; the guest's next DR read drains again.
 *  Console escapes (Ctrl-A ...) are taken on the way (consoleCommand). */
export function consoleRx(hv: Hv, cpu: number): void {
  let imsc = 0x50; // RX, RT
  const fed = new Set<VmState>([hv.s.vms[hv.s.consoleVm]!]);
  for (;;) {
    const vm = hv.s.vms[hv.s.consoleVm]!;
    if (mmio32(hv, cpu, UART_BASE + 0x18) & 0x10) break; // RXFE
    if (vuartFull(vm.uart)) {
      imsc = 0;
      break;
    }
    const b = mmio32(hv, cpu, UART_BASE) & 0xff;
    if (consoleCommand(hv, b)) continue;
    vuartPushRx(vm.uart, b);
    fed.add(vm);
  }
  if (mmio32(hv, cpu, UART_BASE + 0x38) !== imsc) mmio32(hv, cpu, UART_BASE + 0x38, imsc); // UARTIMSC
  for (const vm of fed) uartIrq(hv, vm);
}

/** The console VM went off: input goes to the next running VM, with what it had not read yet. */
export function handOverConsole(hv: Hv, from: VmState): void {
  const s = hv.s;
  const n = s.vms.length;
  let to = from;
  for (let k = 1; k < n && to === from; k++) {
    const c = s.vms[(from.id + k) % n]!;
    if (c.power === 'running') to = c;
  }
  if (to === from) return;
  s.consoleVm = to.id;
  for (const b of from.uart.rx) vuartPushRx(to.uart, b);
  from.uart.rx = [];
  physOut(hv, `\r\n[hv] ${from.name} is off: console input goes to ${to.name}\r\n`);
  const owner = s.consoleOwner;
  if (owner === from.id) s.consoleOwner = -1;
  else if (owner !== -1) {
    const o = s.vms[owner]!;
    physOut(hv, `[${o.name}] `);
    physOut(hv, o.uart.line);
  }
  hv.log(`console input now goes to ${to.name}`);
  consoleRx(hv, hv.cur);
}

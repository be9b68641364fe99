// A SIMD-free /init for Linux bring-up: a static AArch64 ELF assembled with
// core/asm (raw syscalls, integer instructions only), wrapped in a newc cpio
// initramfs together with the virtio modules. Used while user space that
// needs AdvSIMD/FP (BusyBox with glibc's string functions) cannot run yet.
//
// What /init does: mount proc, sysfs, devtmpfs; finit_module() each module
// listed (in order) and print its result; print /proc/cpuinfo's "processor"
// count as the raw file; print the marker line; power off with reboot(2).
import { assemble } from '../core/asm/assembler.js';

const BASE = 0x400000n;

function asmString(s: string): string {
  return `.asciz "${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Assembly source of the mini init; modules are loaded from /lib/modules/<name>. */
export function miniInitSource(modules: readonly string[], marker = 'HVRR-LINUX-READY'): string {
  const mods = modules.map((m, i) => `m${i}: ${asmString('/lib/modules/' + m)}`).join('\n');
  const loads = modules.map((_, i) => `  adr x19, m${i}\n  bl load_module`).join('\n');
  return `
.text
_start:
  adr x0, s_banner
  bl puts
  // mount(source, target, type, flags, data)
  adr x0, s_proc; adr x1, s_dproc; adr x2, s_proc; mov x3, #0; mov x4, #0; mov x8, #40; svc #0
  adr x0, s_sysfs; adr x1, s_dsys; adr x2, s_sysfs; mov x3, #0; mov x4, #0; mov x8, #40; svc #0
  adr x0, s_devtmpfs; adr x1, s_ddev; adr x2, s_devtmpfs; mov x3, #0; mov x4, #0; mov x8, #40; svc #0
${loads}
  adr x19, s_cpuinfo
  bl cat_file
  adr x0, s_marker
  bl puts
  // reboot(LINUX_REBOOT_MAGIC1, MAGIC2, LINUX_REBOOT_CMD_POWER_OFF, 0)
  ldr x0, =0xfee1dead
  ldr x1, =672274793
  ldr x2, =0x4321fedc
  mov x3, #0
  mov x8, #142
  svc #0
1: b 1b

// load_module: x19 = path. openat + finit_module + close, prints "name rc=<hex>"
load_module:
  mov x21, x30
  adr x0, s_insmod
  bl puts
  mov x0, x19
  bl puts
  mov x0, #-100        // AT_FDCWD
  mov x1, x19
  mov x2, #0x80000     // O_RDONLY | O_CLOEXEC
  mov x3, #0
  mov x8, #56          // openat
  svc #0
  mov x20, x0
  tbnz x0, #63, 2f
  adr x1, s_empty
  mov x2, #0
  mov x8, #273         // finit_module
  svc #0
  mov x22, x0
  mov x0, x20
  mov x8, #57          // close
  svc #0
  mov x0, x22
2:
  bl print_rc
  mov x30, x21
  ret

// cat_file: x19 = path; copies the file to stdout
cat_file:
  mov x21, x30
  mov x0, #-100
  mov x1, x19
  mov x2, #0
  mov x3, #0
  mov x8, #56
  svc #0
  tbnz x0, #63, 4f
  mov x20, x0
3:
  mov x0, x20
  adr x1, buf
  mov x2, #512
  mov x8, #63          // read
  svc #0
  cmp x0, #0
  b.le 4f
  mov x2, x0
  mov x0, #1
  adr x1, buf
  mov x8, #64          // write
  svc #0
  b 3b
4:
  mov x30, x21
  ret

// puts: x0 = NUL-terminated string -> stdout
puts:
  mov x1, x0
  mov x2, #0
5:
  ldrb w3, [x1, x2]
  cbz w3, 6f
  add x2, x2, #1
  b 5b
6:
  mov x0, #1
  mov x8, #64
  svc #0
  ret

// print_rc: x0 = value; prints " rc=0x<16 hex digits>\\n"
print_rc:
  adr x1, hexbuf
  mov x2, #60
7:
  lsr x3, x0, x2
  and x3, x3, #0xf
  cmp x3, #10
  add x4, x3, #0x30
  add x5, x3, #0x57
  csel x3, x4, x5, lt
  strb w3, [x1], #1
  subs x2, x2, #4
  b.ge 7b
  adr x0, s_rc
  b puts

s_banner: ${asmString('hvrr-mini-init: SIMD-free /init running\n')}
s_proc: .asciz "proc"
s_dproc: .asciz "/proc"
s_sysfs: .asciz "sysfs"
s_dsys: .asciz "/sys"
s_devtmpfs: .asciz "devtmpfs"
s_ddev: .asciz "/dev"
s_cpuinfo: .asciz "/proc/cpuinfo"
s_insmod: .asciz "hvrr-mini-init: finit_module "
s_empty: .asciz ""
s_rc: .ascii " rc=0x"
hexbuf: .ascii "0000000000000000"
  .asciz "\\n"
s_marker: ${asmString(marker + '\n')}
${mods}
  .align 4
buf: .skip 512
`;
}

/** A minimal static ELF64 executable: one RWX PT_LOAD segment at BASE. */
export function elfExecutable(code: Uint8Array, base = BASE): Uint8Array {
  const hdr = 64 + 56;
  const out = new Uint8Array(hdr + code.length);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0); // ELF64, LE, SysV
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 183, true); // EM_AARCH64
  v.setUint32(20, 1, true);
  v.setBigUint64(24, base + BigInt(hdr), true); // e_entry
  v.setBigUint64(32, 64n, true); // e_phoff
  v.setUint16(52, 64, true); // e_ehsize
  v.setUint16(54, 56, true); // e_phentsize
  v.setUint16(56, 1, true); // e_phnum
  v.setUint16(58, 64, true); // e_shentsize
  // program header
  v.setUint32(64, 1, true); // PT_LOAD
  v.setUint32(68, 7, true); // RWX
  v.setBigUint64(72, 0n, true); // p_offset
  v.setBigUint64(80, base, true); // p_vaddr
  v.setBigUint64(88, base, true); // p_paddr
  v.setBigUint64(96, BigInt(out.length), true); // p_filesz
  v.setBigUint64(104, BigInt(out.length), true); // p_memsz
  v.setBigUint64(112, 0x1000n, true); // p_align
  out.set(code, hdr);
  return out;
}

export function miniInitElf(modules: readonly string[], marker?: string): Uint8Array {
  const { bytes } = assemble(miniInitSource(modules, marker), { baseAddress: BASE + 120n });
  return elfExecutable(bytes);
}

export interface CpioEntry { name: string; mode: number; data?: Uint8Array }

/** newc cpio archive (uncompressed; the kernel accepts it as an initrd). */
export function cpioNewc(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  const push = (b: Uint8Array): void => { parts.push(b); size += b.length; };
  const pad4 = (): void => { if (size % 4) push(new Uint8Array(4 - (size % 4))); };
  const hex = (n: number): string => n.toString(16).padStart(8, '0');
  let ino = 1;
  for (const e of [...entries, { name: 'TRAILER!!!', mode: 0 }]) {
    const data = e.data ?? new Uint8Array(0);
    const name = new TextEncoder().encode(e.name + '\0');
    const fields = [ino++, e.mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, name.length, 0];
    push(new TextEncoder().encode('070701' + fields.map(hex).join('')));
    push(name);
    pad4();
    push(data);
    pad4();
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** The mini initramfs: /init plus the given modules under /lib/modules. */
export function miniInitramfs(modules: ReadonlyArray<{ name: string; data: Uint8Array }>, marker?: string): Uint8Array {
  const dir = 0o040755, file = 0o100644, exe = 0o100755;
  return cpioNewc([
    { name: 'dev', mode: dir }, { name: 'proc', mode: dir }, { name: 'sys', mode: dir },
    { name: 'lib', mode: dir }, { name: 'lib/modules', mode: dir },
    { name: 'init', mode: exe, data: miniInitElf(modules.map((m) => m.name), marker) },
    ...modules.map((m) => ({ name: `lib/modules/${m.name}`, mode: file, data: m.data })),
  ]);
}

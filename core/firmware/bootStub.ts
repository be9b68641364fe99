// The primary-CPU boot stub for direct (-kernel) Linux boots, as QEMU writes it
// at the base of RAM (hw/arm/boot.c `bootloader_aarch64`): it implements the
// arm64 boot protocol's register contract (Linux Documentation/arch/arm64/
// booting.rst §4: x0 = physical address of the DTB, x1 = x2 = x3 = 0) and
// jumps to the kernel image. Addresses come from a literal pool after the code
// so any 64-bit DTB/entry address works.
//
// Secondary CPUs are not involved: they stay powered off until the kernel
// starts them with PSCI CPU_ON (enable-method = "psci"), so there is no
// spin table and no secondary stub.
//
//   stub+0x00  58 00 00 c0   ldr  x0, dtb_ptr      // imm19 = 6 words -> stub+0x18
//   stub+0x04  aa 1f 03 e1   mov  x1, xzr          // orr x1, xzr, xzr
//   stub+0x08  aa 1f 03 e2   mov  x2, xzr
//   stub+0x0c  aa 1f 03 e3   mov  x3, xzr
//   stub+0x10  58 00 00 84   ldr  x4, entry_ptr    // imm19 = 4 words -> stub+0x20
//   stub+0x14  d6 1f 00 80   br   x4
//   stub+0x18  dtb_ptr:   .quad <DTB address>
//   stub+0x20  entry_ptr: .quad <kernel entry>
//
// The literals sit at 8-byte-aligned offsets, so with a stub address that is
// 8-byte aligned the loads are aligned even with the MMU off (Device memory).

export interface BootStub {
  readonly stubAddress: bigint;
  /** Little-endian instruction/literal words, in memory order. */
  readonly words: Uint32Array;
  /** The same words as little-endian bytes, ready to copy into RAM. */
  readonly bytes: Uint8Array;
}

export const BOOT_STUB_BYTES = 40;

// ---- A64 encodings used by the stub (Arm ARM C6.2) ----

/** LDR (literal), 64-bit: 0101 1000 imm19 Rt. `byteOffset` is PC-relative, a multiple of 4. */
export function encLdrLiteral64(rt: number, byteOffset: number): number {
  if (byteOffset % 4 !== 0 || byteOffset < -(1 << 20) || byteOffset >= 1 << 20) {
    throw new Error(`LDR literal offset ${byteOffset} out of range`);
  }
  return (0x58000000 | (((byteOffset >> 2) & 0x7ffff) << 5) | (rt & 31)) >>> 0;
}

/** MOV Xd, XZR (alias of ORR Xd, XZR, XZR; shifted register, sf=1): 1010 1010 0001 1111 0000 0011 111 Rd. */
export function encMovXzr(rd: number): number {
  return (0xaa1f03e0 | (rd & 31)) >>> 0;
}

/** BR Xn: 1101 0110 0001 1111 0000 00 Rn 00000. */
export function encBr(rn: number): number {
  return (0xd61f0000 | ((rn & 31) << 5)) >>> 0;
}

const U64_MAX = (1n << 64n) - 1n;

function lo(v: bigint): number {
  return Number(v & 0xffffffffn);
}
function hi(v: bigint): number {
  return Number((v >> 32n) & 0xffffffffn);
}

/** Builds the stub for a kernel at `entry` with its DTB at `dtbAddress`. */
export function buildBootStub(args: { stubAddress: bigint; dtbAddress: bigint; entry: bigint }): BootStub {
  const { stubAddress, dtbAddress, entry } = args;
  for (const [name, v] of [
    ['stub address', stubAddress],
    ['DTB address', dtbAddress],
    ['kernel entry', entry],
  ] as const) {
    if (v < 0n || v > U64_MAX) throw new Error(`boot stub: ${name} 0x${v.toString(16)} is not a 64-bit address`);
  }
  if (stubAddress % 8n !== 0n) throw new Error(`boot stub: address 0x${stubAddress.toString(16)} is not 8-byte aligned`);
  if (entry % 4n !== 0n) throw new Error(`boot stub: kernel entry 0x${entry.toString(16)} is not 4-byte aligned`);
  const words = new Uint32Array([
    encLdrLiteral64(0, 0x18 - 0x00), // ldr x0, dtb_ptr
    encMovXzr(1), // mov x1, xzr
    encMovXzr(2), // mov x2, xzr
    encMovXzr(3), // mov x3, xzr
    encLdrLiteral64(4, 0x20 - 0x10), // ldr x4, entry_ptr
    encBr(4), // br x4
    lo(dtbAddress), // dtb_ptr (low word first: little-endian .quad)
    hi(dtbAddress),
    lo(entry), // entry_ptr
    hi(entry),
  ]);
  const bytes = new Uint8Array(words.length * 4);
  const dv = new DataView(bytes.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w, true));
  return { stubAddress, words, bytes };
}

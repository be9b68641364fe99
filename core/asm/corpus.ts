/**
 * Hand-written corpus, one instruction per line, in syntax both this
 * assembler and GNU as accept. Used by the round-trip and binutils tests.
 */
export const CORPUS = `
add x0, x1, #16
add w3, w4, #4095
add x0, sp, #1, lsl #12
add x0, x1, #0x5000
add x2, x3, #-8
adds x0, x1, #1
sub sp, sp, #0x40
subs w1, w2, #3
cmp x0, #4
cmp w1, #-1
cmn x3, #8
mov x0, sp
mov sp, x1
mov wsp, w2
add x0, x1, x2
add x0, x1, x2, lsl #3
add w0, w1, w2, asr #31
sub x5, x6, x7, lsr #63
adds x0, x1, x2
subs x0, x1, x2
cmp x0, x1
cmp w0, w1, lsl #2
cmn x0, x1
neg x0, x1
neg w0, w1, lsl #4
negs x0, x1
add x0, x1, w2, uxtw #2
add x0, sp, x2
add x0, sp, x1, lsl #2
add w0, wsp, w1
add x0, x1, w2, sxtb
sub x0, sp, w3, uxth #1
cmp sp, x1
cmp w0, w1, uxtb
cmn x0, w1, sxtw #3
adc x0, x1, x2
adcs w0, w1, w2
sbc x0, x1, x2
sbcs x0, x1, x2
ngc x0, x1
ngcs w0, w1
and x0, x1, #0xff
and w0, w1, #0x80000001
orr x0, x1, #0x5555555555555555
eor w2, w3, #0xf0f0f0f0
ands x0, x1, #0x1
tst w0, #1
tst x0, #0x8000000000000000
and x0, x1, x2
and x0, x1, x2, ror #7
bic w0, w1, w2
orr x0, x1, x2, lsl #1
orn x0, x1, x2
eor x0, x1, x2, asr #2
eon w0, w1, w2
ands x0, x1, x2
bics x0, x1, x2
tst x0, x1
mov x0, x1
mov w0, w1
mvn x0, x1
mvn w0, w1, lsl #3
mov x0, #0
mov x0, #0x10000
mov x0, #0xffff000000000000
mov w0, #0xffff0000
mov x1, #-2
mov w1, #-1
mov x2, #0xff00ff00ff00ff00
mov w3, #0x7ffffffe
movz x0, #0x1234, lsl #32
movn w0, #0x5
movk x0, #0xbeef, lsl #48
movk w0, #0x1
asr x0, x1, #5
asr w0, w1, #31
lsl x0, x1, #4
lsl w0, w1, #31
lsr x0, x1, #63
lsr w0, w1, #1
ror x0, x1, #13
ror w0, w1, #3
sbfx x0, x1, #4, #8
ubfx w0, w1, #1, #30
ubfx x0, x1, #0, #8
sbfiz x0, x1, #4, #8
ubfiz w0, w1, #31, #1
bfi x0, x1, #8, #16
bfxil w0, w1, #3, #5
bfc x0, #3, #4
sxtb x0, w1
sxth w0, w1
sxtw x0, w1
uxtb w0, w1
uxth w0, w1
sbfm x0, x1, #0, #0
ubfm w0, w1, #2, #1
bfm x0, x1, #60, #2
extr x0, x1, x2, #13
extr w0, w1, w2, #31
csel x0, x1, x2, eq
csel w0, w1, w2, hs
csinc x0, x1, x2, lo
csinv w0, w1, w2, gt
csneg x0, x1, x2, le
cset w0, ne
csetm x0, cc
cinc x0, x1, mi
cinv w0, w1, pl
cneg x0, x1, vs
ccmp x0, #5, #4, ne
ccmp w0, w1, #0, eq
ccmn x0, #31, #15, al
ccmn w0, w1, #2, ge
mul x0, x1, x2
mneg w0, w1, w2
madd x0, x1, x2, x3
msub w0, w1, w2, w3
smull x0, w1, w2
umull x0, w1, w2
smnegl x0, w1, w2
umnegl x0, w1, w2
smaddl x0, w1, w2, x3
umsubl x0, w1, w2, x3
smulh x0, x1, x2
umulh x0, x1, x2
udiv x0, x1, x2
sdiv w0, w1, w2
lsl x0, x1, x2
lsr w0, w1, w2
asr x0, x1, x2
ror w0, w1, w2
lslv x0, x1, x2
crc32b w0, w1, w2
crc32h w0, w1, w2
crc32w w0, w1, w2
crc32x w0, w1, x2
crc32cb w0, w1, w2
crc32ch w0, w1, w2
crc32cw w0, w1, w2
crc32cx w0, w1, x2
rbit x0, x1
rbit w0, w1
rev16 x0, x1
rev32 x0, x1
rev x0, x1
rev w0, w1
clz x0, x1
cls w0, w1
b .
b .+0x1000
bl .-4
b.eq .+8
b.ne .
b.hs .+16
b.lo .-16
b.al .
cbz x0, .+64
cbnz w1, .-64
tbz w0, #3, .+12
tbnz x1, #63, .-8
tbz x2, #5, .
br x1
blr x2
ret
ret x3
eret
drps
adr x0, .+100
adr x1, .-1
svc #0
svc #0x1234
hvc #1
smc #0
brk #0x3e8
hlt #0x10
dcps1
udf #1
nop
yield
wfe
wfi
sev
sevl
esb
csdb
xpaclri
paciasp
autiasp
pacibsp
autibsp
paciaz
bti
bti c
bti j
bti jc
hint #0x6
hint #0x7f
clrex
clrex #5
dsb sy
dsb ish
dsb nshst
dmb oshld
dmb ishst
dmb ld
dmb #0
isb
isb #3
ssbb
pssbb
msr daifset, #2
msr daifclr, #0xf
msr spsel, #1
msr pan, #1
msr uao, #0
msr dit, #1
mrs x0, sctlr_el1
mrs x1, midr_el1
mrs x2, currentel
mrs x3, cntvct_el0
mrs x4, icc_iar1_el1
msr icc_eoir1_el1, x4
msr icc_sgi1r_el1, x5
msr hcr_el2, x0
msr vttbr_el2, x1
mrs x5, esr_el2
mrs x6, far_el2
mrs x7, hpfar_el2
msr ich_lr15_el2, x2
mrs x8, ich_vtr_el2
msr cntv_cval_el0, x3
msr cnthp_ctl_el2, x3
msr scr_el3, x1
mrs x0, id_aa64mmfr0_el1
mrs x0, mpidr_el1
mrs x0, dbgbvr15_el1
mrs x0, pmevcntr30_el0
msr pmcr_el0, x1
mrs x0, s3_0_c15_c2_0
msr s3_7_c15_c15_7, x1
mrs x0, nzcv
msr fpcr, x1
msr sp_el0, x1
mrs x0, spsr_el1
msr elr_el2, x0
msr tpidr_el1, x2
msr sctlr_el12, x0
sys #0, c7, c5, #0
sys #1, c7, c5, #0, x0
sysl x0, #1, c7, c5, #0
dc civac, x0
dc zva, x1
dc isw, x2
dc cvau, x3
ic iallu
ic ialluis
ic ivau, x4
at s1e1r, x0
at s12e0w, x1
at s1e3w, x2
tlbi vmalle1is
tlbi vae1, x0
tlbi alle2
tlbi vmalls12e1is
tlbi ipas2e1is, x1
tlbi vale3, x2
tlbi aside1os, x3
ldr x0, [x1]
ldr x0, [x1, #8]
ldr w0, [x1, #16380]
ldr x0, [x1, #-8]
ldr x0, [x1, #3]
ldrb w0, [x1, #4095]
ldrh w0, [x1, #2]
ldrsb x0, [x1]
ldrsb w0, [x1, #1]
ldrsh x0, [x1, #2]
ldrsw x0, [x1, #4]
str x0, [sp, #16]
strb w0, [x1]
strh w0, [x1, #6]
ldur x0, [x1, #-256]
stur w0, [x1, #255]
ldurb w0, [x1, #1]
ldursw x0, [x1, #-4]
sturh w0, [x1, #-2]
ldr x0, [x1, #-8]!
ldr x0, [x1, #0]!
str w0, [sp, #-16]!
ldr x0, [x1], #8
strb w0, [x1], #-1
ldrsw x0, [x1], #4
ldtr x0, [x1]
sttr w0, [x1, #8]
ldtrsb x0, [x1, #-1]
ldtrh w0, [x1, #2]
ldr w0, [x1, x2, lsl #2]
ldr w0, [x1, w2, sxtw]
ldr x0, [x1, w2, uxtw #3]
ldr x0, [x1, x2, sxtx]
ldrb w0, [x1, x2, lsl #0]
ldrb w0, [x1, x2]
ldrh w0, [x1, w2, uxtw #1]
str x0, [x1, x2]
prfm pldl1keep, [x0]
prfm pstl2strm, [x1, #8]
prfm #0x1f, [x0]
prfm plil3keep, [x0, x1, lsl #3]
prfum pldl1strm, [x0, #-1]
ldr x0, .+8
ldr w1, .-4
ldrsw x2, .
prfm pldl1keep, .+16
ldr q0, .+32
ldr d1, .
ldr s2, .+4
ldp x0, x1, [sp]
ldp x0, x1, [sp, #-16]!
stp x29, x30, [sp, #-16]!
ldp x29, x30, [sp], #16
ldp w0, w1, [x2, #8]
stp w0, w1, [x2], #-8
ldpsw x0, x1, [x2, #4]
ldnp x0, x1, [x2]
stnp w0, w1, [x2, #-256]
ldp q0, q1, [x0, #32]
stp d0, d1, [x0, #-512]!
ldp s0, s1, [x0], #4
stnp q0, q1, [x0]
ldxr x0, [x1]
ldxrb w0, [x1]
ldxrh w0, [x1]
ldaxr w0, [x1]
stxr w2, x0, [x1]
stlxr w2, w0, [x1]
stxrb w2, w0, [x1]
stlxrh w2, w0, [x1]
ldxp x0, x1, [x2]
ldaxp w0, w1, [x2]
stxp w3, x0, x1, [x2]
stlxp w3, w0, w1, [x2]
ldar x0, [x1]
ldarb w0, [x1]
ldarh w0, [x1]
stlr x0, [x1]
stlrb w0, [x1]
stlrh w0, [x1]
ldlar x0, [x1]
stllr w0, [x1]
cas x0, x1, [x2]
casa w0, w1, [x2]
casl x0, x1, [x2]
casal x0, x1, [x2]
casb w0, w1, [x2]
casalh w0, w1, [x2]
casp x0, x1, x2, x3, [x4]
caspal w4, w5, w6, w7, [sp]
ldadd x0, x1, [x2]
ldadda w0, w1, [x2]
ldaddal x0, x1, [x2]
ldaddl w0, w1, [x2]
ldaddb w0, w1, [x2]
ldaddalh w0, w1, [x2]
ldclr x0, x1, [x2]
ldeora w0, w1, [x2]
ldset x0, x1, [x2]
ldsmax x0, x1, [x2]
ldsmin w0, w1, [x2]
ldumax x0, x1, [x2]
lduminl w0, w1, [x2]
swp x0, x1, [x2]
swpal w0, w1, [x2]
swpb w0, w1, [x2]
stadd w0, [x1]
staddl x0, [x1]
staddb w0, [x1]
stclrlh w0, [x1]
steor x0, [x1]
stset w0, [x1]
stsmax x0, [x1]
stumin w0, [x1]
ldapr x0, [x1]
ldaprb w0, [x1]
ldr b0, [x0]
ldr h1, [x0, #2]
ldr s2, [x0, #4]
ldr d3, [x0, #8]
ldr q4, [x0, #16]
str q0, [sp, #-16]!
str d0, [x1], #8
ldur q0, [x0, #-1]
stur s0, [x0, #3]
ldr q0, [x0, x1, lsl #4]
ldr d0, [x0, w1, sxtw #3]
ld1 {v0.16b}, [x0]
ld1 {v0.16b, v1.16b}, [x0], #32
ld1 {v0.4s-v2.4s}, [x1], x2
ld1 {v0.2d, v1.2d, v2.2d, v3.2d}, [sp]
st1 {v0.8b}, [x0], #8
st1 {v31.16b, v0.16b}, [x0]
ld2 {v0.8h, v1.8h}, [x0]
ld3 {v0.4s-v2.4s}, [x0], #48
st4 {v0.16b-v3.16b}, [x0], x5
fmov s0, w1
fmov w0, s1
fmov d0, x1
fmov x0, d1
fmov x0, v1.d[1]
fmov v1.d[1], x0
fmov d0, d1
fmov s0, s1
fmov d0, #1.0
fmov s0, #-2.5
fmov d0, #0.125
fmov s1, #31.0
fadd d0, d1, d2
fsub s0, s1, s2
fmul d0, d1, d2
fdiv s0, s1, s2
fnmul d0, d1, d2
fmax d0, d1, d2
fmin s0, s1, s2
fmaxnm d0, d1, d2
fminnm s0, s1, s2
fmadd d0, d1, d2, d3
fmsub s0, s1, s2, s3
fnmadd d0, d1, d2, d3
fnmsub s0, s1, s2, s3
fabs d0, d1
fneg s0, s1
fsqrt d0, d1
fcmp d0, d1
fcmp s0, #0.0
fcmpe d0, d1
fcmpe s0, #0.0
fccmp d0, d1, #4, ne
fcsel d0, d1, d2, eq
fcvt d0, s1
fcvt s0, d1
fcvt h0, s1
fcvt d0, h1
scvtf d0, x1
scvtf s0, w1
ucvtf d0, w1
fcvtzs x0, d1
fcvtzu w0, s1
fcvtzs w0, d1, #16
scvtf d0, x1, #64
fcvtns x0, d0
fcvtms w0, s0
fcvtps x0, d0
fcvtas w0, s0
frintn d0, d1
frintp s0, s1
frintm d0, d1
frintz s0, s1
frinta d0, d1
frintx s0, s1
frinti d0, d1
dup v0.4s, w1
dup v0.2d, x1
dup v0.16b, v1.b[15]
dup v0.8h, v1.h[7]
mov s0, v1.s[3]
mov d0, v1.d[1]
mov v0.s[1], w2
mov v0.d[1], x2
mov v0.b[3], v2.b[4]
mov v0.d[0], v1.d[1]
ins v0.h[1], w3
umov w0, v1.h[2]
umov w0, v1.b[15]
mov w0, v1.s[1]
mov x0, v1.d[1]
smov x0, v1.s[1]
smov w0, v1.h[3]
smov x0, v1.b[0]
movi v0.16b, #0xff
movi v0.8b, #0x1
movi v0.4s, #1, lsl #8
movi v0.2s, #0xab, lsl #24
movi v0.4s, #1, msl #8
movi v0.8h, #0x80
movi v0.4h, #0x2, lsl #8
movi d0, #0xff00ff
movi v0.2d, #0
movi v0.2d, #0xffffffffffffffff
mvni v0.8h, #2
mvni v0.4s, #1, msl #16
orr v0.4s, #1, lsl #8
bic v0.8h, #0xff
fmov v0.4s, #1.0
fmov v0.2d, #-0.5
mov v0.16b, v1.16b
mov v0.8b, v1.8b
orr v0.16b, v1.16b, v2.16b
and v0.8b, v1.8b, v2.8b
eor v0.16b, v1.16b, v2.16b
bic v0.16b, v1.16b, v2.16b
orn v0.8b, v1.8b, v2.8b
bsl v0.16b, v1.16b, v2.16b
bit v0.16b, v1.16b, v2.16b
bif v0.8b, v1.8b, v2.8b
mvn v0.16b, v1.16b
add v0.4s, v1.4s, v2.4s
add v0.2d, v1.2d, v2.2d
sub v0.8h, v1.8h, v2.8h
mul v0.4s, v1.4s, v2.4s
cmeq v0.16b, v1.16b, v2.16b
cmhi v0.2d, v1.2d, v2.2d
cmhs v0.4h, v1.4h, v2.4h
cmgt v0.2s, v1.2s, v2.2s
cmge v0.8b, v1.8b, v2.8b
cmtst v0.4s, v1.4s, v2.4s
umax v0.4s, v1.4s, v2.4s
smin v0.8h, v1.8h, v2.8h
addp v0.4s, v1.4s, v2.4s
addv s0, v1.4s
addv b0, v1.16b
umaxv h0, v1.8h
uminv b0, v1.8b
smaxv s0, v1.4s
cnt v0.8b, v1.8b
cnt v0.16b, v1.16b
ext v0.16b, v1.16b, v2.16b, #3
ext v0.8b, v1.8b, v2.8b, #7
zip1 v0.4s, v1.4s, v2.4s
zip2 v0.8b, v1.8b, v2.8b
uzp1 v0.2d, v1.2d, v2.2d
uzp2 v0.8h, v1.8h, v2.8h
trn1 v0.16b, v1.16b, v2.16b
trn2 v0.2s, v1.2s, v2.2s
tbl v0.16b, {v1.16b}, v2.16b
tbl v0.8b, {v1.16b, v2.16b}, v3.8b
tbx v0.16b, {v1.16b-v4.16b}, v5.16b
shl v0.4s, v1.4s, #3
shl v0.2d, v1.2d, #63
ushr v0.16b, v1.16b, #8
sshr v0.8h, v1.8h, #1
ushr v0.2d, v1.2d, #64
`;

/** The corpus as an array of lines. */
export function corpusLines(): string[] {
  return CORPUS.split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
}

// Assembler macros for the register saves and restores that every trap entry and exit makes
// (include from a .S file).
//
// SAVE_GPRS / LOAD_GPRS: x1..x31 to or from a frame of 32 doublewords at x<base>, x<i> at
// 8 * i, leaving out the base register itself and `skip` (0: none). A caller that needs the base
// register restored loads it last itself.
//
// PUSH_CALLER_SAVED / POP_CALLER_SAVED: ra, t0-t6 and a0-a7 in a 128-byte frame on the stack,
// around a call into C from a trap that interrupted code in the same mode.
//
// SAVE_CALLEE_SAVED / LOAD_CALLEE_SAVED: ra, sp and s0-s11 to or from a context at `base`
// (xv6's struct context), for a context switch.
#ifndef GPRS_H
#define GPRS_H
#ifdef __ASSEMBLER__

// Each macro pair shares one walk over its registers, with the instruction (sd or ld) as a
// parameter.
.macro GPRS_EACH insn, base, skip
  .irp i, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .if (\i != \base) && (\i != \skip)
      \insn x\i, (8 * \i)(x\base)
    .endif
  .endr
.endm

.macro SAVE_GPRS base, skip=0
  GPRS_EACH sd, \base, \skip
.endm

.macro LOAD_GPRS base, skip=0
  GPRS_EACH ld, \base, \skip
.endm

.macro CALLER_SAVED_EACH insn
  .set .Lcaller_off, 0
  .irp r, ra,t0,t1,t2,t3,t4,t5,t6,a0,a1,a2,a3,a4,a5,a6,a7
    \insn \r, .Lcaller_off(sp)
    .set .Lcaller_off, .Lcaller_off + 8
  .endr
.endm

.macro PUSH_CALLER_SAVED
  addi sp, sp, -128
  CALLER_SAVED_EACH sd
.endm

.macro POP_CALLER_SAVED
  CALLER_SAVED_EACH ld
  addi sp, sp, 128
.endm

.macro CALLEE_SAVED_EACH insn, base
  .set .Lcallee_off, 0
  .irp r, ra,sp,s0,s1,s2,s3,s4,s5,s6,s7,s8,s9,s10,s11
    \insn \r, .Lcallee_off(\base)
    .set .Lcallee_off, .Lcallee_off + 8
  .endr
.endm

.macro SAVE_CALLEE_SAVED base
  CALLEE_SAVED_EACH sd, \base
.endm

.macro LOAD_CALLEE_SAVED base
  CALLEE_SAVED_EACH ld, \base
.endm

#endif
#endif

# Probes for the trigger tests: functions whose instruction under test sits at NAME_site. A
# trigger that fires before the instruction makes the default handler skip it (the probe then
# returns its argument); one that fires after it traps with the next instruction, NAME_next,
# in mepc.

#include "priv/probe-macro.h"

        .text
# The assembler would compress these where it can (trig_lw and trig_sw become c.lw and c.sw);
# trig_exec stays a 32-bit instruction, and trig_cexec below is the compressed one.
        .option push
        .option norvc
PROBE   trig_exec, addi a0, a0, 1
        .option pop
PROBE   trig_lw, lw a0, 0(a0)
PROBE   trig_lbu, lbu a0, 0(a0)
PROBE   trig_sw, sw a1, 0(a0)
PROBE   trig_amoadd, amoadd.w a0, a1, (a0)

# A compressed instruction under an execute trigger.
        .globl  trig_cexec, trig_cexec_site
        .balign 4
trig_cexec:
trig_cexec_site:
        c.addi  a0, 1
        ret

# An access followed by a marker instruction, for triggers that fire after the access: the
# breakpoint's epc is NAME_next, and the marker (a0 += 0x100) has not run when it is taken.
.macro AFTER name, insn:vararg
        .globl  \name, \name\()_site, \name\()_next
        .balign 4
\name:
\name\()_site:
        \insn
\name\()_next:
        addi    a0, a0, 0x100
        ret
.endm

AFTER   trig_sw_after, sw a1, 0(a0)
AFTER   trig_lw_after, lw a0, 0(a0)

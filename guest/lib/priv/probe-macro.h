/* The PROBE macro of the one-instruction probes (probes.S, and programs' own probe files):
   PROBE NAME, INSN makes a function NAME whose instruction under test, INSN, sits at the global
   label NAME_site, followed by ret. Assembler text, for .S files only. */
.macro PROBE name, insn:vararg
        .globl  \name
        .globl  \name\()_site
        .balign 4
\name:
\name\()_site:
        \insn
        ret
.endm

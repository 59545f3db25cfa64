# One-instruction probes for the privileged tests. Each probe is a function uint64 f(uint64 a0) whose
# instruction under test sits at the global label NAME_site, so the C side can compare the
# trap's epc with it and read the instruction bits there. After a trap the default handler
# resumes at the next instruction, which is the probe's return.

#include "priv/probe-macro.h"

        .text
# ecall with a7 = 0 (not RETURN_MAGIC, so the handler treats it as a plain exception)
        .globl  probe_ecall, probe_ecall_site
        .balign 4
probe_ecall:
        li      a7, 0
probe_ecall_site:
        ecall
        ret

PROBE   probe_ebreak, ebreak
PROBE   probe_cebreak, c.ebreak
PROBE   probe_csr_7c0, csrr a0, 0x7c0
PROBE   probe_illegal32, .word 0xfe000033       # OP with funct7 0x7f: unassigned
PROBE   probe_illegal16, .hword 0x0000          # the defined all-zero illegal instruction
PROBE   probe_reserved16, .hword 0x8002         # c.jr with rs1 = x0: reserved
PROBE   probe_write_mvendorid, csrw mvendorid, a0
PROBE   probe_set_mhartid, csrrs a0, mhartid, a0 # rs1 != x0 writes: illegal even if a0 = 0
PROBE   probe_read_mhartid, csrrs a0, mhartid, x0
PROBE   probe_pmpcfg1, csrr a0, 0x3a1
PROBE   probe_read_mstatus, csrr a0, mstatus
PROBE   probe_read_sstatus, csrr a0, sstatus
PROBE   probe_mret, mret
PROBE   probe_sret, sret
PROBE   probe_wfi, wfi
PROBE   probe_read_satp, csrr a0, satp
PROBE   probe_write_satp, csrw satp, zero
PROBE   probe_sfence, sfence.vma
PROBE   probe_rdcycle, rdcycle a0
PROBE   probe_rdtime, rdtime a0
PROBE   probe_rdinstret, rdinstret a0

# sret that, when TSR lets it run, returns to the next instruction in S-mode with SIE clear.
        .globl  probe_sret_s, probe_sret_s_site
        .balign 4
probe_sret_s:
        lla     t0, 1f
        csrw    sepc, t0
        li      t0, 0x100               # sstatus.SPP = S
        csrs    sstatus, t0
        li      t0, 0x20                # SPIE = 0, so that the sret leaves SIE = 0
        csrc    sstatus, t0
probe_sret_s_site:
        sret
1:      ret

# Misaligned and faulting memory accesses; a0 is the address.
PROBE   probe_amoadd_w, amoadd.w a0, a0, (a0)
PROBE   probe_amoswap_d, amoswap.d a0, a0, (a0)
PROBE   probe_lr_w, lr.w a0, (a0)
PROBE   probe_lr_d, lr.d a0, (a0)
PROBE   probe_sc_d, sc.d a0, a0, (a0)
PROBE   probe_lw, lw a0, 0(a0)
PROBE   probe_ld, ld a0, 0(a0)
PROBE   probe_amoadd_d, amoadd.d a0, a0, (a0)
PROBE   probe_sd, sd a0, 0(a0)
PROBE   probe_lbu, lbu a0, 0(a0)

# Fetch from a0: the fault's epc is a0 and the handler resumes at ra.
        .globl  probe_jump
        .balign 4
probe_jump:
        jr      a0

# From S-mode: sret into U-mode at 1f with SPIE = 1 and SIE = 0, where an ecall (a7 = 0) lets
# M-mode look at the status bits the sret left, then the U code returns to M-mode.
        .globl  probe_sret_to_u, probe_sret_to_u_ecall
        .balign 4
probe_sret_to_u:
        lla     t0, 1f
        csrw    sepc, t0
        li      t0, 0x100               # SPP
        csrc    sstatus, t0
        li      t0, 0x20                # SPIE
        csrs    sstatus, t0
        li      t0, 0x2                 # SIE
        csrc    sstatus, t0
        sret
1:      li      a7, 0
probe_sret_to_u_ecall:
        ecall
        li      a0, 0
        j       ecall_return

# From M-mode (entered through run_in_mode): sret into S-mode with SPIE = 1, SIE = 0 and MPRV
# set, then ecall so that M-mode sees what the sret did, then return to M-mode.
        .globl  probe_m_sret_to_s, probe_m_sret_to_s_ecall
        .balign 4
probe_m_sret_to_s:
        lla     t0, 1f
        csrw    sepc, t0
        li      t0, 0x120               # SPP | SPIE
        csrs    sstatus, t0
        li      t0, 0x2                 # SIE
        csrc    sstatus, t0
        li      t0, 0x20000             # MPRV; no loads or stores until the sret
        csrs    mstatus, t0
        sret
1:      li      a7, 0
probe_m_sret_to_s_ecall:
        ecall
        li      a0, 0
        j       ecall_return

# Spin until *a0 != 0 or a1 iterations pass; returns the remaining count (0 = timed out).
        .globl  wait_flag
        .balign 4
wait_flag:
1:      lw      t0, 0(a0)
        bnez    t0, 2f
        addi    a1, a1, -1
        bnez    a1, 1b
2:      mv      a0, a1
        ret

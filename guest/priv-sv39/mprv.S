# M-mode accesses under mstatus.MPRV. a1 holds the MPP/SUM/MXR bits to use. No stack access
# may happen while MPRV is set: after a trap, mret leaves MPP = U and MPRV still set, so the
# very next instruction clears MPRV.

#define MPRV    0x20000
#define CLEAR   0xc1800                 # MPP | SUM | MXR

        .text
        .globl  mprv_ld, mprv_ld_site
        .balign 4
mprv_ld:
        li      t0, CLEAR
        csrc    mstatus, t0
        csrs    mstatus, a1
        li      t0, MPRV
        csrs    mstatus, t0
mprv_ld_site:
        ld      a0, 0(a0)
        li      t0, MPRV
        csrc    mstatus, t0
        ret

        .globl  mprv_sd, mprv_sd_site
        .balign 4
mprv_sd:
        li      t0, CLEAR
        csrc    mstatus, t0
        csrs    mstatus, a1
        li      t0, MPRV
        csrs    mstatus, t0
mprv_sd_site:
        sd      a0, 0(a0)
        li      t0, MPRV
        csrc    mstatus, t0
        ret

// RISC-V privileged architecture for guest code: one inline accessor per CSR, with the bit
// names of each register beside it (xv6 kernel/riscv.h style). Privileged spec 1.12 numbering.
#pragma once
#include "types.h"

// Generic csrr/csrw/csrs/csrc on a CSR named in the source. The r_/w_ accessors below spell
// CSRs by number so that clang 14's assembler need not know every name.
#define CSR_READ(csr)                                                     \
  ({ uint64 v_; asm volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define CSR_WRITE(csr, v) asm volatile("csrw " #csr ", %0" : : "r"((uint64)(v)))
#define CSR_SET(csr, v) asm volatile("csrs " #csr ", %0" : : "r"((uint64)(v)))
#define CSR_CLEAR(csr, v) asm volatile("csrc " #csr ", %0" : : "r"((uint64)(v)))
#define CSR_SWAP(csr, v)                                                  \
  ({ uint64 o_; asm volatile("csrrw %0, " #csr ", %1" : "=r"(o_) : "r"((uint64)(v))); o_; })

// ---- Machine-level CSRs ----

static inline uint64 r_mvendorid(void) { uint64 x; asm volatile("csrr %0, 0xf11" : "=r"(x)); return x; }
static inline uint64 r_marchid(void) { uint64 x; asm volatile("csrr %0, 0xf12" : "=r"(x)); return x; }
static inline uint64 r_mimpid(void) { uint64 x; asm volatile("csrr %0, 0xf13" : "=r"(x)); return x; }
static inline uint64 r_mhartid(void) { uint64 x; asm volatile("csrr %0, 0xf14" : "=r"(x)); return x; }

static inline uint64 r_mstatus(void) { uint64 x; asm volatile("csrr %0, 0x300" : "=r"(x)); return x; }
static inline void w_mstatus(uint64 x) { asm volatile("csrw 0x300, %0" : : "r"(x)); }
#define MSTATUS_SIE (1ULL << 1)
#define MSTATUS_MIE (1ULL << 3)
#define MSTATUS_SPIE (1ULL << 5)
#define MSTATUS_MPIE (1ULL << 7)
#define MSTATUS_SPP (1ULL << 8)
#define MSTATUS_MPP_SHIFT 11
#define MSTATUS_MPP_MASK (3ULL << 11)
#define MSTATUS_MPP_M (3ULL << 11)
#define MSTATUS_MPP_S (1ULL << 11)
#define MSTATUS_MPP_U (0ULL << 11)
#define MSTATUS_FS_MASK (3ULL << 13)    // FPU state: 0 off (FP insns illegal), 1 initial, 2 clean, 3 dirty
#define MSTATUS_FS_INITIAL (1ULL << 13) // crt0.S sets this in rv64gc images
#define MSTATUS_MPRV (1ULL << 17)
#define MSTATUS_SUM (1ULL << 18)
#define MSTATUS_MXR (1ULL << 19)
#define MSTATUS_TVM (1ULL << 20)
#define MSTATUS_TW (1ULL << 21)
#define MSTATUS_TSR (1ULL << 22)
#define MSTATUS_UXL_SHIFT 32
#define MSTATUS_SXL_SHIFT 34

static inline uint64 r_misa(void) { uint64 x; asm volatile("csrr %0, 0x301" : "=r"(x)); return x; }
static inline void w_misa(uint64 x) { asm volatile("csrw 0x301, %0" : : "r"(x)); }
#define MISA_EXT(c) (1ULL << ((c) - 'A'))
#define MISA_MXL_SHIFT 62

static inline uint64 r_medeleg(void) { uint64 x; asm volatile("csrr %0, 0x302" : "=r"(x)); return x; }
static inline void w_medeleg(uint64 x) { asm volatile("csrw 0x302, %0" : : "r"(x)); }
static inline uint64 r_mideleg(void) { uint64 x; asm volatile("csrr %0, 0x303" : "=r"(x)); return x; }
static inline void w_mideleg(uint64 x) { asm volatile("csrw 0x303, %0" : : "r"(x)); }

static inline uint64 r_mie(void) { uint64 x; asm volatile("csrr %0, 0x304" : "=r"(x)); return x; }
static inline void w_mie(uint64 x) { asm volatile("csrw 0x304, %0" : : "r"(x)); }
#define MIE_SSIE (1ULL << 1)
#define MIE_MSIE (1ULL << 3)
#define MIE_STIE (1ULL << 5)
#define MIE_MTIE (1ULL << 7)
#define MIE_SEIE (1ULL << 9)
#define MIE_MEIE (1ULL << 11)

static inline uint64 r_mtvec(void) { uint64 x; asm volatile("csrr %0, 0x305" : "=r"(x)); return x; }
static inline void w_mtvec(uint64 x) { asm volatile("csrw 0x305, %0" : : "r"(x)); }
#define MTVEC_VECTORED 1ULL

static inline uint64 r_mcounteren(void) { uint64 x; asm volatile("csrr %0, 0x306" : "=r"(x)); return x; }
static inline void w_mcounteren(uint64 x) { asm volatile("csrw 0x306, %0" : : "r"(x)); }
#define COUNTEREN_CY (1ULL << 0)
#define COUNTEREN_TM (1ULL << 1)
#define COUNTEREN_IR (1ULL << 2)

static inline uint64 r_menvcfg(void) { uint64 x; asm volatile("csrr %0, 0x30a" : "=r"(x)); return x; }
static inline void w_menvcfg(uint64 x) { asm volatile("csrw 0x30a, %0" : : "r"(x)); }
#define MENVCFG_STCE (1ULL << 63) // Sstc: stimecmp enabled for S-mode

static inline uint64 r_mscratch(void) { uint64 x; asm volatile("csrr %0, 0x340" : "=r"(x)); return x; }
static inline void w_mscratch(uint64 x) { asm volatile("csrw 0x340, %0" : : "r"(x)); }
static inline uint64 r_mepc(void) { uint64 x; asm volatile("csrr %0, 0x341" : "=r"(x)); return x; }
static inline void w_mepc(uint64 x) { asm volatile("csrw 0x341, %0" : : "r"(x)); }
static inline uint64 r_mcause(void) { uint64 x; asm volatile("csrr %0, 0x342" : "=r"(x)); return x; }
static inline void w_mcause(uint64 x) { asm volatile("csrw 0x342, %0" : : "r"(x)); }
static inline uint64 r_mtval(void) { uint64 x; asm volatile("csrr %0, 0x343" : "=r"(x)); return x; }
static inline void w_mtval(uint64 x) { asm volatile("csrw 0x343, %0" : : "r"(x)); }

static inline uint64 r_mip(void) { uint64 x; asm volatile("csrr %0, 0x344" : "=r"(x)); return x; }
static inline void w_mip(uint64 x) { asm volatile("csrw 0x344, %0" : : "r"(x)); }
#define MIP_SSIP (1ULL << 1)
#define MIP_MSIP (1ULL << 3)
#define MIP_STIP (1ULL << 5)
#define MIP_MTIP (1ULL << 7)
#define MIP_SEIP (1ULL << 9)
#define MIP_MEIP (1ULL << 11)

// RV64 packs eight 8-bit entries into each even pmpcfg; the odd ones do not exist.
static inline uint64 r_pmpcfg0(void) { uint64 x; asm volatile("csrr %0, 0x3a0" : "=r"(x)); return x; }
static inline void w_pmpcfg0(uint64 x) { asm volatile("csrw 0x3a0, %0" : : "r"(x)); }
static inline uint64 r_pmpcfg2(void) { uint64 x; asm volatile("csrr %0, 0x3a2" : "=r"(x)); return x; }
static inline void w_pmpcfg2(uint64 x) { asm volatile("csrw 0x3a2, %0" : : "r"(x)); }
static inline uint64 r_pmpaddr0(void) { uint64 x; asm volatile("csrr %0, 0x3b0" : "=r"(x)); return x; }
static inline void w_pmpaddr0(uint64 x) { asm volatile("csrw 0x3b0, %0" : : "r"(x)); }
static inline uint64 r_pmpaddr1(void) { uint64 x; asm volatile("csrr %0, 0x3b1" : "=r"(x)); return x; }
static inline void w_pmpaddr1(uint64 x) { asm volatile("csrw 0x3b1, %0" : : "r"(x)); }
static inline uint64 r_pmpaddr2(void) { uint64 x; asm volatile("csrr %0, 0x3b2" : "=r"(x)); return x; }
static inline void w_pmpaddr2(uint64 x) { asm volatile("csrw 0x3b2, %0" : : "r"(x)); }
static inline uint64 r_pmpaddr3(void) { uint64 x; asm volatile("csrr %0, 0x3b3" : "=r"(x)); return x; }
static inline void w_pmpaddr3(uint64 x) { asm volatile("csrw 0x3b3, %0" : : "r"(x)); }
static inline uint64 r_pmpaddr4(void) { uint64 x; asm volatile("csrr %0, 0x3b4" : "=r"(x)); return x; }
static inline void w_pmpaddr4(uint64 x) { asm volatile("csrw 0x3b4, %0" : : "r"(x)); }
static inline uint64 r_pmpaddr5(void) { uint64 x; asm volatile("csrr %0, 0x3b5" : "=r"(x)); return x; }
static inline void w_pmpaddr5(uint64 x) { asm volatile("csrw 0x3b5, %0" : : "r"(x)); }
static inline uint64 r_pmpaddr6(void) { uint64 x; asm volatile("csrr %0, 0x3b6" : "=r"(x)); return x; }
static inline void w_pmpaddr6(uint64 x) { asm volatile("csrw 0x3b6, %0" : : "r"(x)); }
static inline uint64 r_pmpaddr7(void) { uint64 x; asm volatile("csrr %0, 0x3b7" : "=r"(x)); return x; }
static inline void w_pmpaddr7(uint64 x) { asm volatile("csrw 0x3b7, %0" : : "r"(x)); }
#define PMP_R 0x01
#define PMP_W 0x02
#define PMP_X 0x04
#define PMP_A_TOR 0x08
#define PMP_A_NA4 0x10
#define PMP_A_NAPOT 0x18
#define PMP_L 0x80

static inline uint64 r_mcycle(void) { uint64 x; asm volatile("csrr %0, 0xb00" : "=r"(x)); return x; }
static inline void w_mcycle(uint64 x) { asm volatile("csrw 0xb00, %0" : : "r"(x)); }
static inline uint64 r_minstret(void) { uint64 x; asm volatile("csrr %0, 0xb02" : "=r"(x)); return x; }
static inline void w_minstret(uint64 x) { asm volatile("csrw 0xb02, %0" : : "r"(x)); }

// ---- Supervisor-level CSRs ----

// a view of mstatus: SIE, SPIE, SPP, SUM, MXR
static inline uint64 r_sstatus(void) { uint64 x; asm volatile("csrr %0, 0x100" : "=r"(x)); return x; }
static inline void w_sstatus(uint64 x) { asm volatile("csrw 0x100, %0" : : "r"(x)); }
// a view of mie restricted by mideleg
static inline uint64 r_sie(void) { uint64 x; asm volatile("csrr %0, 0x104" : "=r"(x)); return x; }
static inline void w_sie(uint64 x) { asm volatile("csrw 0x104, %0" : : "r"(x)); }
#define SIE_SSIE (1ULL << 1)
#define SIE_STIE (1ULL << 5)
#define SIE_SEIE (1ULL << 9)
static inline uint64 r_stvec(void) { uint64 x; asm volatile("csrr %0, 0x105" : "=r"(x)); return x; }
static inline void w_stvec(uint64 x) { asm volatile("csrw 0x105, %0" : : "r"(x)); }
static inline uint64 r_scounteren(void) { uint64 x; asm volatile("csrr %0, 0x106" : "=r"(x)); return x; }
static inline void w_scounteren(uint64 x) { asm volatile("csrw 0x106, %0" : : "r"(x)); }
static inline uint64 r_senvcfg(void) { uint64 x; asm volatile("csrr %0, 0x10a" : "=r"(x)); return x; }
static inline void w_senvcfg(uint64 x) { asm volatile("csrw 0x10a, %0" : : "r"(x)); }
static inline uint64 r_sscratch(void) { uint64 x; asm volatile("csrr %0, 0x140" : "=r"(x)); return x; }
static inline void w_sscratch(uint64 x) { asm volatile("csrw 0x140, %0" : : "r"(x)); }
static inline uint64 r_sepc(void) { uint64 x; asm volatile("csrr %0, 0x141" : "=r"(x)); return x; }
static inline void w_sepc(uint64 x) { asm volatile("csrw 0x141, %0" : : "r"(x)); }
static inline uint64 r_scause(void) { uint64 x; asm volatile("csrr %0, 0x142" : "=r"(x)); return x; }
static inline void w_scause(uint64 x) { asm volatile("csrw 0x142, %0" : : "r"(x)); }
static inline uint64 r_stval(void) { uint64 x; asm volatile("csrr %0, 0x143" : "=r"(x)); return x; }
static inline void w_stval(uint64 x) { asm volatile("csrw 0x143, %0" : : "r"(x)); }
static inline uint64 r_sip(void) { uint64 x; asm volatile("csrr %0, 0x144" : "=r"(x)); return x; }
static inline void w_sip(uint64 x) { asm volatile("csrw 0x144, %0" : : "r"(x)); }
#define SIP_SSIP (1ULL << 1)
#define SIP_STIP (1ULL << 5)
// Sstc
static inline uint64 r_stimecmp(void) { uint64 x; asm volatile("csrr %0, 0x14d" : "=r"(x)); return x; }
static inline void w_stimecmp(uint64 x) { asm volatile("csrw 0x14d, %0" : : "r"(x)); }

static inline uint64 r_satp(void) { uint64 x; asm volatile("csrr %0, 0x180" : "=r"(x)); return x; }
static inline void w_satp(uint64 x) { asm volatile("csrw 0x180, %0" : : "r"(x)); }
#define SATP_MODE_SHIFT 60
#define SATP_BARE 0ULL
#define SATP_SV39 (8ULL << 60)
#define SATP_SV48 (9ULL << 60)
#define SATP_SV57 (10ULL << 60)
#define SATP_ASID_SHIFT 44
#define MAKE_SATP(pagetable) (SATP_SV39 | (((uint64)(pagetable)) >> 12))

// ---- Unprivileged counters (gated by mcounteren/scounteren below M) ----

static inline uint64 r_cycle(void) { uint64 x; asm volatile("csrr %0, 0xc00" : "=r"(x)); return x; }
static inline uint64 r_time(void) { uint64 x; asm volatile("csrr %0, 0xc01" : "=r"(x)); return x; }
static inline uint64 r_instret(void) { uint64 x; asm volatile("csrr %0, 0xc02" : "=r"(x)); return x; }

// ---- Trap causes (mcause/scause); interrupts have bit 63 set ----

#define CAUSE_INTERRUPT (1ULL << 63)
#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS 1
#define CAUSE_ILLEGAL_INSTRUCTION 2
#define CAUSE_BREAKPOINT 3
#define CAUSE_MISALIGNED_LOAD 4
#define CAUSE_LOAD_ACCESS 5
#define CAUSE_MISALIGNED_STORE 6 // also AMO
#define CAUSE_STORE_ACCESS 7     // also AMO
#define CAUSE_USER_ECALL 8
#define CAUSE_SUPERVISOR_ECALL 9
#define CAUSE_MACHINE_ECALL 11
#define CAUSE_FETCH_PAGE_FAULT 12
#define CAUSE_LOAD_PAGE_FAULT 13
#define CAUSE_STORE_PAGE_FAULT 15
#define IRQ_S_SOFT 1
#define IRQ_M_SOFT 3
#define IRQ_S_TIMER 5
#define IRQ_M_TIMER 7
#define IRQ_S_EXT 9
#define IRQ_M_EXT 11

// Privilege levels as they appear in MPP/SPP.
#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

// ---- Sv39 ----
//
//   virtual address:  63..39 sign of bit 38 | 38..30 VPN[2] | 29..21 VPN[1] | 20..12 VPN[0] | 11..0 offset
//   PTE:              63..54 reserved | 53..10 PPN | 9..8 RSW | D A G U X W R V

#define PGSIZE 4096ULL
#define PGSHIFT 12
#define PGROUNDUP(sz) (((sz) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) (((a)) & ~(PGSIZE - 1))

#define PTE_V (1ULL << 0)
#define PTE_R (1ULL << 1)
#define PTE_W (1ULL << 2)
#define PTE_X (1ULL << 3)
#define PTE_U (1ULL << 4)
#define PTE_G (1ULL << 5)
#define PTE_A (1ULL << 6)
#define PTE_D (1ULL << 7)

#define PA2PTE(pa) ((((uint64)(pa)) >> 12) << 10)
#define PTE2PA(pte) (((pte) >> 10) << 12)
#define PTE_FLAGS(pte) ((pte) & 0x3FF)

#define PXSHIFT(level) (PGSHIFT + (9 * (level)))
#define PX(level, va) ((((uint64)(va)) >> PXSHIFT(level)) & 0x1FF)

// One past the highest user-chosen virtual address; Sv39 addresses above bit 38 must sign-extend it.
#define MAXVA (1ULL << (9 + 9 + 9 + 12 - 1))

typedef uint64 pte_t;
typedef uint64 *pagetable_t; // 512 PTEs

static inline void sfence_vma(void) { asm volatile("sfence.vma zero, zero" ::: "memory"); }
static inline void sfence_vma_addr(uint64 va) { asm volatile("sfence.vma %0, zero" ::"r"(va) : "memory"); }
static inline void wfi(void) { asm volatile("wfi"); }
static inline uint64 r_sp(void) { uint64 x; asm volatile("mv %0, sp" : "=r"(x)); return x; }
static inline uint64 r_tp(void) { uint64 x; asm volatile("mv %0, tp" : "=r"(x)); return x; }
static inline void w_tp(uint64 x) { asm volatile("mv tp, %0" : : "r"(x)); }

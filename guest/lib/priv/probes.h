// The probes of probes.S: one instruction under test at NAME_site, inside a function
// uint64 NAME(uint64 a0) that returns a0 (the probe's result, or its argument if it trapped).
#pragma once
#include "types.h"

typedef uint64 (*probe_fn)(uint64);

#define DECLARE_PROBE(name) extern uint64 name(uint64); extern char name##_site[]
DECLARE_PROBE(probe_ecall);
DECLARE_PROBE(probe_ebreak);
DECLARE_PROBE(probe_cebreak);
DECLARE_PROBE(probe_csr_7c0);
DECLARE_PROBE(probe_illegal32);
DECLARE_PROBE(probe_illegal16);
DECLARE_PROBE(probe_reserved16);
DECLARE_PROBE(probe_write_mvendorid);
DECLARE_PROBE(probe_set_mhartid);
DECLARE_PROBE(probe_read_mhartid);
DECLARE_PROBE(probe_pmpcfg1);
DECLARE_PROBE(probe_read_mstatus);
DECLARE_PROBE(probe_read_sstatus);
DECLARE_PROBE(probe_mret);
DECLARE_PROBE(probe_sret);
DECLARE_PROBE(probe_wfi);
DECLARE_PROBE(probe_read_satp);
DECLARE_PROBE(probe_write_satp);
DECLARE_PROBE(probe_sfence);
DECLARE_PROBE(probe_rdcycle);
DECLARE_PROBE(probe_rdtime);
DECLARE_PROBE(probe_rdinstret);
DECLARE_PROBE(probe_sret_s);
DECLARE_PROBE(probe_amoadd_w);
DECLARE_PROBE(probe_amoadd_d);
DECLARE_PROBE(probe_amoswap_d);
DECLARE_PROBE(probe_lr_w);
DECLARE_PROBE(probe_lr_d);
DECLARE_PROBE(probe_sc_d);
DECLARE_PROBE(probe_lw);
DECLARE_PROBE(probe_ld);
DECLARE_PROBE(probe_sd);
DECLARE_PROBE(probe_lbu);

// Jumps to a0 (a tail call): returns what the code there returns, or a0 after a fetch fault.
extern uint64 probe_jump(uint64);
extern uint64 probe_sret_to_u(uint64);
extern char probe_sret_to_u_ecall[];
extern uint64 probe_m_sret_to_s(uint64);
extern char probe_m_sret_to_s_ecall[];
// Spins until *flag != 0 or `spins` rounds pass; returns the rounds left (0: timed out).
extern uint64 wait_flag(volatile uint32 *flag, uint64 spins);

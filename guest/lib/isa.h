// Inline-assembly probes for the ISA tests: each runs exactly one instruction on operands
// held in registers, so the compiler can neither fold nor reorder the computation.
//
// Every probe wraps its instruction in `.option norvc` so that the assembler keeps the 32-bit
// encoding under test instead of silently choosing a compressed one.
#pragma once
#include "types.h"

#define NORVC ".option push\n.option norvc\n"
#define POPRVC "\n.option pop"

// rd = op(rs1, rs2)
#define RR(op, a, b)                                                                           \
  ({                                                                                           \
    uint64 r_;                                                                                 \
    asm volatile(NORVC op " %0, %1, %2" POPRVC : "=r"(r_) : "r"((uint64)(a)), "r"((uint64)(b))); \
    r_;                                                                                        \
  })

// rd = op(rs1, imm)
#define RI(op, a, imm)                                                                         \
  ({                                                                                           \
    uint64 r_;                                                                                 \
    asm volatile(NORVC op " %0, %1, %2" POPRVC : "=r"(r_) : "r"((uint64)(a)), "i"(imm));       \
    r_;                                                                                        \
  })

// 1 when the branch `op rs1, rs2` is taken forward, else 0.
#define BR_FWD(op, a, b)                                                                       \
  ({                                                                                           \
    uint64 t_;                                                                                 \
    asm volatile(NORVC op " %1, %2, 1f\n li %0, 0\n j 2f\n1: li %0, 1\n2:" POPRVC              \
                 : "=&r"(t_)                                                                   \
                 : "r"((uint64)(a)), "r"((uint64)(b)));                                        \
    t_;                                                                                        \
  })

// 1 when the branch `op rs1, rs2` is taken backward, else 0.
#define BR_BACK(op, a, b)                                                                      \
  ({                                                                                           \
    uint64 t_;                                                                                 \
    asm volatile(NORVC "j 3f\n1: li %0, 1\n j 4f\n3: " op " %1, %2, 1b\n li %0, 0\n4:" POPRVC   \
                 : "=&r"(t_)                                                                   \
                 : "r"((uint64)(a)), "r"((uint64)(b)));                                        \
    t_;                                                                                        \
  })

// rd = load op at base + off
#define LD(op, base, off)                                                                      \
  ({                                                                                           \
    uint64 r_;                                                                                 \
    asm volatile(NORVC op " %0, %2(%1)" POPRVC : "=r"(r_) : "r"(base), "i"(off) : "memory");   \
    r_;                                                                                        \
  })

// store op of v at base + off
#define ST(op, v, base, off)                                                                   \
  asm volatile(NORVC op " %0, %2(%1)" POPRVC : : "r"((uint64)(v)), "r"(base), "i"(off) : "memory")

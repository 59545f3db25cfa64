// Self-checking test of every RV64I user-level instruction (ecall and ebreak are covered by
// priv-traps). Expected values follow the unprivileged spec; the .linux.elf build of this
// file runs under qemu-riscv64 as a cross-check of the expectations themselves.
#include "isa.h"
#include "test.h"

#define MIN64 0x8000000000000000UL
#define MAX64 0x7fffffffffffffffUL
#define ONES 0xffffffffffffffffUL

static void test_upper(void) {
  test_begin("lui/auipc");
  CHECK_EQ(({ uint64 r; asm volatile(NORVC "lui %0, 0" POPRVC : "=r"(r)); r; }), 0);
  CHECK_EQ(({ uint64 r; asm volatile(NORVC "lui %0, 0x7ffff" POPRVC : "=r"(r)); r; }), 0x7ffff000);
  // bit 31 of the result sign-extends to 64 bits
  CHECK_EQ(({ uint64 r; asm volatile(NORVC "lui %0, 0x80000" POPRVC : "=r"(r)); r; }), 0xffffffff80000000);
  CHECK_EQ(({ uint64 r; asm volatile(NORVC "lui %0, 0xfffff" POPRVC : "=r"(r)); r; }), 0xfffffffffffff000);
  CHECK_EQ(({ uint64 r, l; asm volatile(NORVC "1: auipc %0, 0\n lla %1, 1b" POPRVC : "=r"(r), "=r"(l)); r - l; }), 0);
  CHECK_EQ(({ uint64 r, l; asm volatile(NORVC "1: auipc %0, 1\n lla %1, 1b" POPRVC : "=r"(r), "=r"(l)); r - l; }), 0x1000);
  CHECK_EQ(({ uint64 r, l; asm volatile(NORVC "1: auipc %0, 0x7ffff\n lla %1, 1b" POPRVC : "=r"(r), "=r"(l)); r - l; }), 0x7ffff000);
  CHECK_EQ(({ uint64 r, l; asm volatile(NORVC "1: auipc %0, 0x80000\n lla %1, 1b" POPRVC : "=r"(r), "=r"(l)); r - l; }), 0xffffffff80000000);
  CHECK_EQ(({ uint64 r, l; asm volatile(NORVC "1: auipc %0, 0xfffff\n lla %1, 1b" POPRVC : "=r"(r), "=r"(l)); r - l; }), ONES << 12);
  test_end();
}

static void test_jumps(void) {
  test_begin("jal/jalr");
  // jal links pc+4 and jumps; jal backward
  CHECK_EQ(({ uint64 r, l; asm volatile(NORVC "lla %1, 2f\n jal %0, 1f\n2: nop\n nop\n1:" POPRVC : "=&r"(r), "=&r"(l)); r - l; }), 0);
  CHECK_EQ(({ uint64 r = 0; asm volatile(NORVC "jal x0, 2f\n1: li %0, 7\n jal x0, 3f\n2: jal x0, 1b\n li %0, 1\n3:" POPRVC : "+r"(r)); r; }), 7);
  CHECK_EQ(({ uint64 r, l, t; asm volatile(NORVC "lla %2, 1f\n lla %1, 2f\n jalr %0, 0(%2)\n2: li %0, 0\n1:" POPRVC : "=&r"(r), "=&r"(l), "=&r"(t)); r - l; }), 0);
  // positive and negative offsets
  CHECK_EQ(({ uint64 r = 0, t; asm volatile(NORVC "lla %1, 1f - 8\n jalr x0, 8(%1)\n li %0, 1\n1:" POPRVC : "+r"(r), "=&r"(t)); r; }), 0);
  CHECK_EQ(({ uint64 r = 0, t; asm volatile(NORVC "lla %1, 1f + 12\n jalr x0, -12(%1)\n li %0, 1\n1:" POPRVC : "+r"(r), "=&r"(t)); r; }), 0);
  // the target's bit 0 is cleared
  CHECK_EQ(({ uint64 r = 0, t; asm volatile(NORVC "lla %1, 1f + 1\n jalr x0, 0(%1)\n li %0, 1\n1:" POPRVC : "+r"(r), "=&r"(t)); r; }), 0);
  CHECK_EQ(({ uint64 r = 0, t; asm volatile(NORVC "lla %1, 1f\n jalr x0, 1(%1)\n li %0, 1\n1:" POPRVC : "+r"(r), "=&r"(t)); r; }), 0);
  // rd == rs1: the target is computed from the old value before the link is written
  CHECK_EQ(({ uint64 t, l; asm volatile(NORVC "lla %0, 1f\n lla %1, 2f\n jalr %0, 0(%0)\n2: li %0, 0\n1:" POPRVC : "=&r"(t), "=&r"(l)); t - l; }), 0);
  test_end();
}

static void test_branches(void) {
  test_begin("branches");
  struct { uint64 a, b; } v[] = {{0, 0}, {1, 0}, {0, 1}, {ONES, 0}, {0, ONES}, {MIN64, MAX64}, {MAX64, MIN64}, {ONES, ONES}, {MIN64, MIN64}, {5, 7}};
  for (unsigned i = 0; i < NELEM(v); i++) {
    uint64 a = v[i].a, b = v[i].b;
    int64 sa = (int64)a, sb = (int64)b;
    CHECK_EQ(BR_FWD("beq", a, b), a == b);
    CHECK_EQ(BR_FWD("bne", a, b), a != b);
    CHECK_EQ(BR_FWD("blt", a, b), sa < sb);
    CHECK_EQ(BR_FWD("bge", a, b), sa >= sb);
    CHECK_EQ(BR_FWD("bltu", a, b), a < b);
    CHECK_EQ(BR_FWD("bgeu", a, b), a >= b);
    CHECK_EQ(BR_BACK("beq", a, b), a == b);
    CHECK_EQ(BR_BACK("bne", a, b), a != b);
    CHECK_EQ(BR_BACK("blt", a, b), sa < sb);
    CHECK_EQ(BR_BACK("bge", a, b), sa >= sb);
    CHECK_EQ(BR_BACK("bltu", a, b), a < b);
    CHECK_EQ(BR_BACK("bgeu", a, b), a >= b);
  }
  // spot checks with literal expectations, independent of the C comparisons above
  CHECK_EQ(BR_FWD("blt", ONES, 0), 1);
  CHECK_EQ(BR_FWD("bltu", ONES, 0), 0);
  CHECK_EQ(BR_FWD("bge", MIN64, MAX64), 0);
  CHECK_EQ(BR_FWD("bgeu", MIN64, MAX64), 1);
  test_end();
}

static uint64 lbuf[4] __attribute__((aligned(16)));

static void test_loads(void) {
  test_begin("loads");
  lbuf[0] = 0x8786858483828180UL;
  lbuf[1] = 0x0f0e0d0c7b7a7978UL;
  lbuf[2] = 0x8000000080008000UL;
  lbuf[3] = 0x7fffffff7fff7f7fUL;
  uint8 *b = (uint8 *)lbuf;
  CHECK_EQ(LD("lb", b, 0), 0xffffffffffffff80);
  CHECK_EQ(LD("lb", b, 8), 0x78);
  CHECK_EQ(LD("lbu", b, 0), 0x80);
  CHECK_EQ(LD("lbu", b, 7), 0x87);
  CHECK_EQ(LD("lh", b, 0), 0xffffffffffff8180);
  CHECK_EQ(LD("lh", b, 8), 0x7978);
  CHECK_EQ(LD("lhu", b, 2), 0x8382);
  CHECK_EQ(LD("lw", b, 0), 0xffffffff83828180);
  CHECK_EQ(LD("lw", b, 8), 0x7b7a7978);
  CHECK_EQ(LD("lwu", b, 4), 0x87868584);
  CHECK_EQ(LD("ld", b, 0), 0x8786858483828180);
  CHECK_EQ(LD("ld", b, 8), 0x0f0e0d0c7b7a7978);
  // negative offsets from a base in the middle
  uint8 *m = b + 16;
  CHECK_EQ(LD("lb", m, -1), 0x0f);
  CHECK_EQ(LD("lbu", m, -16), 0x80);
  CHECK_EQ(LD("lh", m, -8), 0x7978);
  CHECK_EQ(LD("lw", m, -16), 0xffffffff83828180);
  CHECK_EQ(LD("ld", m, -8), 0x0f0e0d0c7b7a7978);
  CHECK_EQ(LD("lh", m, 0), 0xffffffffffff8000);
  CHECK_EQ(LD("lhu", m, 2), 0x8000);
  CHECK_EQ(LD("lw", m, 4), 0xffffffff80000000);
  CHECK_EQ(LD("lwu", m, 4), 0x80000000);
  CHECK_EQ(LD("lw", m, 12), 0x7fffffff);
  CHECK_EQ(LD("lh", m, 8), 0x7f7f);
  CHECK_EQ(LD("ld", m, 8), 0x7fffffff7fff7f7f);
  // 12-bit offset extremes: base moved so that base + off lands on lbuf
  CHECK_EQ(LD("ld", b - 2047 + 7, 2047 - 7 + 0), 0x8786858483828180);
  CHECK_EQ(LD("lbu", b + 2048, -2048), 0x80);
  CHECK_EQ(LD("lbu", b - 2047, 2047), 0x80);
  // rd == rs1
  CHECK_EQ(({ uint64 r = (uint64)b; asm volatile(NORVC "ld %0, 8(%0)" POPRVC : "+r"(r) : : "memory"); r; }), 0x0f0e0d0c7b7a7978);
  test_end();
}

static void test_stores(void) {
  test_begin("stores");
  uint64 sbuf[3] __attribute__((aligned(16))) = {0, 0, 0};
  uint8 *b = (uint8 *)sbuf;
  ST("sb", 0x1234567890abcdefUL, b, 0);
  CHECK_EQ(sbuf[0], 0xef);
  ST("sb", 0xa5, b, 7);
  CHECK_EQ(sbuf[0], 0xa5000000000000ef);
  ST("sh", 0xffffffffffff8001UL, b, 2);
  CHECK_EQ(sbuf[0], 0xa500000080010000 | 0xef);
  ST("sw", 0x11223344deadbeefUL, b, 8);
  CHECK_EQ(sbuf[1], 0xdeadbeef);
  ST("sw", 0x89abcdef, b, 12);
  CHECK_EQ(sbuf[1], 0x89abcdefdeadbeef);
  ST("sd", 0x0123456789abcdefUL, b + 24, -8);
  CHECK_EQ(sbuf[2], 0x0123456789abcdef);
  CHECK_EQ(sbuf[1], 0x89abcdefdeadbeef);
  ST("sh", 0xbeef, b + 2048, -2048 + 22);
  CHECK_EQ(sbuf[2], 0xbeef456789abcdef);
  ST("sb", 0x77, b - 2047 + 21, 2047);
  CHECK_EQ(sbuf[2], 0xbeef776789abcdef);
  test_end();
}

static void test_imm_arith(void) {
  test_begin("addi/slti/logic-imm");
  CHECK_EQ(RI("addi", 0, 0), 0);
  CHECK_EQ(RI("addi", 1, 1), 2);
  CHECK_EQ(RI("addi", ONES, 1), 0);
  CHECK_EQ(RI("addi", 0, -2048), 0xfffffffffffff800);
  CHECK_EQ(RI("addi", 0, 2047), 0x7ff);
  CHECK_EQ(RI("addi", MAX64, 1), MIN64);
  CHECK_EQ(RI("addi", MIN64, -1), MAX64);
  CHECK_EQ(RI("addi", 0x7fffffff, 1), 0x80000000);
  CHECK_EQ(RI("slti", 0, 0), 0);
  CHECK_EQ(RI("slti", ONES, 0), 1);
  CHECK_EQ(RI("slti", 0, -1), 0);
  CHECK_EQ(RI("slti", MIN64, -2048), 1);
  CHECK_EQ(RI("slti", MAX64, 2047), 0);
  CHECK_EQ(RI("slti", 2046, 2047), 1);
  CHECK_EQ(RI("sltiu", 0, 1), 1);
  CHECK_EQ(RI("sltiu", 1, 1), 0);
  // the immediate is sign-extended, then compared unsigned
  CHECK_EQ(RI("sltiu", 0xfffffffffffffffeUL, -1), 1);
  CHECK_EQ(RI("sltiu", ONES, -1), 0);
  CHECK_EQ(RI("sltiu", MAX64, -2048), 1);
  CHECK_EQ(RI("sltiu", 0xfffffffffffff800UL, -2048), 0);
  CHECK_EQ(RI("xori", 0x00ff00ff00ff00ffUL, -1), 0xff00ff00ff00ff00);
  CHECK_EQ(RI("xori", 0x00ff00ff00ff00ffUL, 0x70f), 0x00ff00ff00ff07f0);
  CHECK_EQ(RI("xori", 0x00ff00ff00ff00ffUL, -0x800), 0xff00ff00ff00f8ff);
  CHECK_EQ(RI("ori", 0, -2048), 0xfffffffffffff800);
  CHECK_EQ(RI("ori", 0x8000000000000000UL, 0x7ff), 0x80000000000007ff);
  CHECK_EQ(RI("andi", ONES, -2048), 0xfffffffffffff800);
  CHECK_EQ(RI("andi", ONES, 0x7ff), 0x7ff);
  CHECK_EQ(RI("andi", 0x123456789abcdefUL, -1), 0x123456789abcdef);
  CHECK_EQ(RI("andi", 0xf0f0f0f0f0f0f0f0UL, 0x0ff), 0xf0);
  test_end();
}

static void test_imm_shifts(void) {
  test_begin("slli/srli/srai");
  CHECK_EQ(RI("slli", 1, 0), 1);
  CHECK_EQ(RI("slli", 1, 1), 2);
  CHECK_EQ(RI("slli", 1, 31), 0x80000000);
  CHECK_EQ(RI("slli", 1, 32), 0x100000000);
  CHECK_EQ(RI("slli", 1, 63), MIN64);
  CHECK_EQ(RI("slli", ONES, 63), MIN64);
  CHECK_EQ(RI("slli", 0x21, 62), 0x4000000000000000);
  CHECK_EQ(RI("srli", MIN64, 0), MIN64);
  CHECK_EQ(RI("srli", MIN64, 1), 0x4000000000000000);
  CHECK_EQ(RI("srli", MIN64, 32), 0x80000000);
  CHECK_EQ(RI("srli", MIN64, 63), 1);
  CHECK_EQ(RI("srli", ONES, 63), 1);
  CHECK_EQ(RI("srli", ONES, 32), 0xffffffff);
  CHECK_EQ(RI("srai", MIN64, 0), MIN64);
  CHECK_EQ(RI("srai", MIN64, 1), 0xc000000000000000);
  CHECK_EQ(RI("srai", MIN64, 32), 0xffffffff80000000);
  CHECK_EQ(RI("srai", MIN64, 63), ONES);
  CHECK_EQ(RI("srai", MAX64, 63), 0);
  CHECK_EQ(RI("srai", 0x7fffffff80000000UL, 31), 0xffffffff);
  test_end();
}

static void test_reg_arith(void) {
  test_begin("add/sub/slt/logic");
  CHECK_EQ(RR("add", 0, 0), 0);
  CHECK_EQ(RR("add", 1, 1), 2);
  CHECK_EQ(RR("add", MAX64, 1), MIN64);
  CHECK_EQ(RR("add", ONES, ONES), 0xfffffffffffffffe);
  CHECK_EQ(RR("add", MIN64, MIN64), 0);
  CHECK_EQ(RR("add", 0xffffffffUL, 1), 0x100000000);
  CHECK_EQ(RR("sub", 0, 1), ONES);
  CHECK_EQ(RR("sub", MIN64, 1), MAX64);
  CHECK_EQ(RR("sub", 0, MIN64), MIN64);
  CHECK_EQ(RR("sub", 5, 3), 2);
  CHECK_EQ(RR("sub", 0x100000000UL, 1), 0xffffffff);
  CHECK_EQ(RR("slt", ONES, 0), 1);
  CHECK_EQ(RR("slt", 0, ONES), 0);
  CHECK_EQ(RR("slt", MIN64, MAX64), 1);
  CHECK_EQ(RR("slt", MAX64, MIN64), 0);
  CHECK_EQ(RR("slt", 3, 3), 0);
  CHECK_EQ(RR("sltu", ONES, 0), 0);
  CHECK_EQ(RR("sltu", 0, ONES), 1);
  CHECK_EQ(RR("sltu", MIN64, MAX64), 0);
  CHECK_EQ(RR("sltu", MAX64, MIN64), 1);
  CHECK_EQ(RR("sltu", 0, 1), 1);
  CHECK_EQ(RR("xor", 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL), 0xf0f0f0f0f0f0f0f0);
  CHECK_EQ(RR("or", 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL), 0xfff0fff0fff0fff0);
  CHECK_EQ(RR("and", 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL), 0x0f000f000f000f00);
  CHECK_EQ(RR("xor", ONES, ONES), 0);
  test_end();
}

static void test_reg_shifts(void) {
  test_begin("sll/srl/sra");
  CHECK_EQ(RR("sll", 1, 0), 1);
  CHECK_EQ(RR("sll", 1, 63), MIN64);
  // only the low 6 bits of rs2 count
  CHECK_EQ(RR("sll", 1, 64), 1);
  CHECK_EQ(RR("sll", 1, 65), 2);
  CHECK_EQ(RR("sll", 1, ONES), MIN64);
  CHECK_EQ(RR("sll", 0x8000000000000001UL, 1), 2);
  CHECK_EQ(RR("srl", MIN64, 63), 1);
  CHECK_EQ(RR("srl", MIN64, 64), MIN64);
  CHECK_EQ(RR("srl", MIN64, 0xffffffffffffffc1UL), 0x4000000000000000);
  CHECK_EQ(RR("srl", ONES, 32), 0xffffffff);
  CHECK_EQ(RR("sra", MIN64, 63), ONES);
  CHECK_EQ(RR("sra", MIN64, 127), ONES);
  CHECK_EQ(RR("sra", MIN64, 64), MIN64);
  CHECK_EQ(RR("sra", MIN64, 4), 0xf800000000000000);
  CHECK_EQ(RR("sra", MAX64, 62), 1);
  CHECK_EQ(RR("sra", 0x80000000UL, 31), 1);
  test_end();
}

static void test_word_ops(void) {
  test_begin("W forms");
  // results are the low 32 bits, sign-extended; upper input bits are ignored
  CHECK_EQ(RI("addiw", 0x7fffffff, 1), 0xffffffff80000000);
  CHECK_EQ(RI("addiw", 0xffffffff00000001UL, 0), 1);
  CHECK_EQ(RI("addiw", 0x12345678ffffffffUL, 0), ONES);
  CHECK_EQ(RI("addiw", 0x80000000, -1), 0x7fffffff);
  CHECK_EQ(RI("addiw", 0, -2048), 0xfffffffffffff800);
  CHECK_EQ(RI("addiw", 0xfffffffe, 2), 0);
  CHECK_EQ(RI("slliw", 1, 31), 0xffffffff80000000);
  CHECK_EQ(RI("slliw", 0xffffffff00000003UL, 30), 0xffffffffc0000000);
  CHECK_EQ(RI("slliw", 0x1ffffffffUL, 0), ONES);
  CHECK_EQ(RI("slliw", 0x00000000c0000001UL, 1), 0xffffffff80000002);
  CHECK_EQ(RI("srliw", 0xffffffff80000000UL, 31), 1);
  CHECK_EQ(RI("srliw", 0x80000000, 0), 0xffffffff80000000);
  CHECK_EQ(RI("srliw", 0xffffffffUL, 1), 0x7fffffff);
  CHECK_EQ(RI("srliw", 0x123456780000000fUL, 1), 7);
  CHECK_EQ(RI("sraiw", 0x80000000, 31), ONES);
  CHECK_EQ(RI("sraiw", 0x80000000, 4), 0xfffffffff8000000);
  CHECK_EQ(RI("sraiw", 0x7fffffff, 30), 1);
  CHECK_EQ(RI("sraiw", 0x00000001ffffffffUL, 0), ONES);
  CHECK_EQ(RI("sraiw", 0xffffffff7fffffffUL, 0), 0x7fffffff);
  CHECK_EQ(RR("addw", 0x7fffffff, 1), 0xffffffff80000000);
  CHECK_EQ(RR("addw", 0xffffffff, 1), 0);
  CHECK_EQ(RR("addw", 0x1234567800000001UL, 0xabcdef0000000002UL), 3);
  CHECK_EQ(RR("subw", 0, 1), ONES);
  CHECK_EQ(RR("subw", 0x80000000, 1), 0x7fffffff);
  CHECK_EQ(RR("subw", 0x7fffffff, ONES), 0xffffffff80000000);
  CHECK_EQ(RR("subw", 0x100000000UL, 0), 0);
  CHECK_EQ(RR("sllw", 1, 31), 0xffffffff80000000);
  // only the low 5 bits of rs2 count
  CHECK_EQ(RR("sllw", 1, 32), 1);
  CHECK_EQ(RR("sllw", 1, 33), 2);
  CHECK_EQ(RR("sllw", 0xffffffff00000001UL, 63), 0xffffffff80000000);
  CHECK_EQ(RR("srlw", 0x80000000, 31), 1);
  CHECK_EQ(RR("srlw", 0x80000000, 32), 0xffffffff80000000);
  CHECK_EQ(RR("srlw", 0xffffffff80000000UL, 1), 0x40000000);
  CHECK_EQ(RR("srlw", 0x12345678ffffffffUL, 4), 0x0fffffff);
  CHECK_EQ(RR("sraw", 0x80000000, 31), ONES);
  CHECK_EQ(RR("sraw", 0x80000000, 63), ONES);
  CHECK_EQ(RR("sraw", 0x80000000, 32), 0xffffffff80000000);
  CHECK_EQ(RR("sraw", 0x40000000, 30), 1);
  CHECK_EQ(RR("sraw", 0x00000000fffffff0UL, 2), 0xfffffffffffffffc);
  test_end();
}

static void test_x0_and_fences(void) {
  test_begin("x0/fence/hints");
  // writes to x0 are discarded
  CHECK_EQ(({ uint64 r; asm volatile(NORVC "addi x0, x0, 5\n mv %0, x0" POPRVC : "=r"(r)); r; }), 0);
  CHECK_EQ(({ uint64 r; asm volatile(NORVC "lui x0, 0x12345\n add %0, x0, x0" POPRVC : "=r"(r)); r; }), 0);
  CHECK_EQ(({ uint64 r, t; asm volatile(NORVC "li %1, -1\n add x0, %1, %1\n or %0, x0, x0" POPRVC : "=r"(r), "=&r"(t)); r; }), 0);
  CHECK_EQ(({ uint64 r; asm volatile(NORVC "lla %0, lbuf\n lw x0, 0(%0)\n mv %0, x0" POPRVC : "=&r"(r) : : "memory"); r; }), 0);
  CHECK_EQ(({ uint64 r; asm volatile(NORVC "jal x0, 1f\n1: mv %0, x0" POPRVC : "=r"(r)); r; }), 0);
  // fences and hint encodings must execute as no-ops
  uint64 before = 0x5a5a, after;
  asm volatile(NORVC
               "fence\n"
               "fence rw, rw\n"
               "fence r, r\n"
               "fence w, w\n"
               "fence iorw, iorw\n"
               "fence.tso\n"
               "fence.i\n"
               ".word 0x0100000f\n" // pause (Zihintpause: fence w, 0)
               "nop\n"
               "slli x0, x0, 3\n"   // HINT
               "addi x0, x1, 1\n"   // HINT
               "mv %0, %1" POPRVC
               : "=r"(after)
               : "r"(before)
               : "memory");
  CHECK_EQ(after, 0x5a5a);
  test_end();
}

static void test_counters(void) {
  test_begin("rdcycle/rdtime/rdinstret");
  uint64 c0, c1, i0, i1, t0, t1;
  asm volatile(NORVC "rdcycle %0\n rdinstret %1\n rdtime %2" POPRVC : "=r"(c0), "=r"(i0), "=r"(t0));
  for (volatile int i = 0; i < 1000; i++)
    ;
  asm volatile(NORVC "rdcycle %0\n rdinstret %1\n rdtime %2" POPRVC : "=r"(c1), "=r"(i1), "=r"(t1));
  CHECK(c1 > c0);
  CHECK(i1 - i0 >= 1000);
  CHECK(t1 >= t0);
  test_end();
}

int main(void) {
  printf("isa-rv64i: RV64I base integer instructions\n");
  test_upper();
  test_jumps();
  test_branches();
  test_loads();
  test_stores();
  test_imm_arith();
  test_imm_shifts();
  test_reg_arith();
  test_reg_shifts();
  test_word_ops();
  test_x0_and_fences();
  test_counters();
  return test_finish("isa-rv64i");
}

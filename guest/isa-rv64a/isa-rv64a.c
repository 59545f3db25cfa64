// Self-checking test of every RV64A instruction: LR/SC success and the failures the spec
// requires, and each AMO in both widths. An AMO returns the old memory value (sign-extended
// for .w) and stores op(old, rs2); the .w forms use only the low 32 bits of rs2 and leave the
// neighbouring word alone. Misaligned AMOs are covered by priv-traps.
#include "isa.h"
#include "test.h"

#define MIN64 0x8000000000000000UL
#define MAX64 0x7fffffffffffffffUL
#define ONES 0xffffffffffffffffUL
#define GUARD 0x5a5a5a5a5a5a5a5aUL

// One AMO on *addr with operand v; returns the value rd received.
#define AMO(op, addr, v)                                                                       \
  ({                                                                                           \
    uint64 r_;                                                                                 \
    asm volatile(NORVC op " %0, %2, (%1)" POPRVC : "=&r"(r_) : "r"(addr), "r"((uint64)(v)) : "memory"); \
    r_;                                                                                        \
  })

static uint64 mem[8] __attribute__((aligned(64)));
static uint64 far_mem[2] __attribute__((aligned(64))); // in another reservation granule

struct amo_case {
  const char *op;
  uint64 before, operand, after; // memory before, rs2, memory after
};

static const struct amo_case cases_d[] = {
    {"amoswap.d", 0x0123456789abcdef, 0xfedcba9876543210, 0xfedcba9876543210},
    {"amoadd.d", ONES, 1, 0},
    {"amoadd.d", MAX64, 1, MIN64},
    {"amoadd.d", 0xffffffff, 1, 0x100000000},
    {"amoxor.d", 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xf0f0f0f0f0f0f0f0},
    {"amoand.d", 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0x0f000f000f000f00},
    {"amoor.d", 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xfff0fff0fff0fff0},
    {"amomin.d", MIN64, MAX64, MIN64},
    {"amomin.d", MAX64, MIN64, MIN64},
    {"amomin.d", 1, ONES, ONES},
    {"amomin.d", 5, 5, 5},
    {"amomax.d", MIN64, MAX64, MAX64},
    {"amomax.d", 1, ONES, 1},
    {"amomax.d", ONES, 0, 0},
    {"amominu.d", MIN64, MAX64, MAX64},
    {"amominu.d", ONES, 0, 0},
    {"amominu.d", 1, ONES, 1},
    {"amomaxu.d", MIN64, MAX64, MIN64},
    {"amomaxu.d", 1, ONES, ONES},
    {"amomaxu.d", 0, 1, 1},
};

// `before` and `after` are 32-bit memory words; `operand` carries upper bits that must be
// ignored and that would change the answer if they were not.
static const struct amo_case cases_w[] = {
    {"amoswap.w", 0x80000000, 0x1234567811111111, 0x11111111},
    {"amoadd.w", 0xffffffff, 1, 0},
    {"amoadd.w", 0x7fffffff, 1, 0x80000000},
    {"amoadd.w", 1, 0xffffffff00000001, 2},
    {"amoxor.w", 0xf0f0f0f0, 0xffffffff00ff00ff, 0xf00ff00f},
    {"amoand.w", 0xf0f0f0f0, 0xffffffff0ff00ff0, 0x00f000f0},
    {"amoor.w", 0xf0f0f0f0, 0xffffffff0f0f0000, 0xfffff0f0},
    {"amomin.w", 0x80000000, 0x7fffffff, 0x80000000},
    {"amomin.w", 1, 0x00000000ffffffff, 0xffffffff},  // -1 < 1 in 32 bits
    {"amomin.w", 0xfffffffe, 0xffffffff00000003, 0xfffffffe},
    {"amomax.w", 0x80000000, 0x7fffffff, 0x7fffffff},
    {"amomax.w", 1, 0x00000000ffffffff, 1},
    {"amomax.w", 0xffffffff, 0xffffffff00000000, 0},
    {"amominu.w", 0x80000000, 0x7fffffff, 0x7fffffff},
    {"amominu.w", 1, 0xffffffff00000000, 0},           // low word is 0
    {"amominu.w", 0xffffffff, 0xfffffffe, 0xfffffffe},
    {"amomaxu.w", 0x80000000, 0x7fffffff, 0x80000000},
    {"amomaxu.w", 1, 0xffffffff00000000, 1},
    {"amomaxu.w", 0x7fffffff, 0x0000000080000000, 0x80000000},
};

static uint64 sext32(uint64 x) { return (uint64)(int64)(int32)(uint32)x; }

// The AMO mnemonic must be a literal for the assembler, so dispatch by name.
static uint64 amo(const char *op, uint64 *addr, uint64 v) {
#define TRY(name) if (strcmp(op, name) == 0) return AMO(name, addr, v)
  TRY("amoswap.d"); TRY("amoadd.d"); TRY("amoxor.d"); TRY("amoand.d"); TRY("amoor.d");
  TRY("amomin.d"); TRY("amomax.d"); TRY("amominu.d"); TRY("amomaxu.d");
  TRY("amoswap.w"); TRY("amoadd.w"); TRY("amoxor.w"); TRY("amoand.w"); TRY("amoor.w");
  TRY("amomin.w"); TRY("amomax.w"); TRY("amominu.w"); TRY("amomaxu.w");
#undef TRY
  panic(op);
}

static void test_amo_d(void) {
  test_begin("AMO .d");
  for (unsigned i = 0; i < NELEM(cases_d); i++) {
    const struct amo_case *c = &cases_d[i];
    mem[0] = GUARD;
    mem[1] = c->before;
    mem[2] = GUARD;
    uint64 rd = amo(c->op, &mem[1], c->operand);
    if (rd != c->before || mem[1] != c->after || mem[0] != GUARD || mem[2] != GUARD)
      printf("    case %d: %s mem=0x%lx rs2=0x%lx\n", i, c->op, c->before, c->operand);
    CHECK_EQ(rd, c->before);
    CHECK_EQ(mem[1], c->after);
    CHECK_EQ(mem[0] ^ mem[2], 0);
  }
  test_end();
}

static void test_amo_w(void) {
  test_begin("AMO .w");
  for (unsigned i = 0; i < NELEM(cases_w); i++) {
    const struct amo_case *c = &cases_w[i];
    // once on the low word of a doubleword, once on the high word
    for (int half = 0; half < 2; half++) {
      mem[0] = GUARD;
      mem[1] = half ? (c->before << 32) | 0x5a5a5a5a : 0x5a5a5a5a00000000 | c->before;
      mem[2] = GUARD;
      uint32 *w = (uint32 *)&mem[1] + half;
      uint64 rd = amo(c->op, (uint64 *)w, c->operand);
      uint64 want_mem = half ? (c->after << 32) | 0x5a5a5a5a : 0x5a5a5a5a00000000 | c->after;
      if (rd != sext32(c->before) || mem[1] != want_mem)
        printf("    case %d (word %d): %s mem=0x%lx rs2=0x%lx\n", i, half, c->op, c->before, c->operand);
      CHECK_EQ(rd, sext32(c->before));
      CHECK_EQ(mem[1], want_mem);
      CHECK_EQ(mem[0] ^ mem[2], 0);
    }
  }
  test_end();
}

static void test_amo_forms(void) {
  test_begin("AMO aq/rl, rd=x0, rd=rs2");
  mem[0] = 10;
  CHECK_EQ(AMO("amoadd.d.aq", &mem[0], 1), 10);
  CHECK_EQ(AMO("amoadd.d.rl", &mem[0], 1), 11);
  CHECK_EQ(AMO("amoadd.d.aqrl", &mem[0], 1), 12);
  CHECK_EQ(AMO("amoswap.w.aq", &mem[0], 0), 13);
  CHECK_EQ(AMO("amoor.w.rl", &mem[0], 4), 0);
  CHECK_EQ(AMO("amomaxu.w.aqrl", &mem[0], 3), 4);
  CHECK_EQ(mem[0], 4);
  asm volatile(NORVC "amoadd.d x0, %1, (%0)" POPRVC : : "r"(&mem[0]), "r"(5UL) : "memory");
  CHECK_EQ(mem[0], 9);
  // rd == rs2: the operand is read before rd is written
  CHECK_EQ(({ uint64 r = 5; asm volatile(NORVC "amoadd.d %0, %0, (%1)" POPRVC : "+r"(r) : "r"(&mem[0]) : "memory"); r; }), 9);
  CHECK_EQ(mem[0], 14);
  CHECK_EQ(({ uint64 r = 77; asm volatile(NORVC "amoswap.d %0, %0, (%1)" POPRVC : "+r"(r) : "r"(&mem[0]) : "memory"); r; }), 14);
  CHECK_EQ(mem[0], 77);
  test_end();
}

static uint64 lr_d(uint64 *a) { uint64 r; asm volatile(NORVC "lr.d %0, (%1)" POPRVC : "=r"(r) : "r"(a) : "memory"); return r; }
static uint64 lr_w(void *a) { uint64 r; asm volatile(NORVC "lr.w %0, (%1)" POPRVC : "=r"(r) : "r"(a) : "memory"); return r; }
static uint64 sc_d(uint64 *a, uint64 v) { uint64 r; asm volatile(NORVC "sc.d %0, %2, (%1)" POPRVC : "=&r"(r) : "r"(a), "r"(v) : "memory"); return r; }
static uint64 sc_w(void *a, uint64 v) { uint64 r; asm volatile(NORVC "sc.w %0, %2, (%1)" POPRVC : "=&r"(r) : "r"(a), "r"(v) : "memory"); return r; }

static void test_lrsc(void) {
  test_begin("LR/SC");
  mem[0] = 0x1122334455667788;
  CHECK_EQ(lr_d(&mem[0]), 0x1122334455667788);
  CHECK_EQ(sc_d(&mem[0], 0xaabbccdd), 0); // success
  CHECK_EQ(mem[0], 0xaabbccdd);
  // every SC, successful or not, ends the reservation
  CHECK(sc_d(&mem[0], 1) != 0);
  CHECK_EQ(mem[0], 0xaabbccdd);
  // lr.w sign-extends; sc.w writes one word only
  mem[1] = 0x5a5a5a5a80000000;
  CHECK_EQ(lr_w(&mem[1]), 0xffffffff80000000);
  CHECK_EQ(sc_w(&mem[1], 0xffffffff12345678), 0);
  CHECK_EQ(mem[1], 0x5a5a5a5a12345678);
  CHECK_EQ(lr_w((uint32 *)&mem[1] + 1), 0x5a5a5a5a);
  CHECK_EQ(sc_w((uint32 *)&mem[1] + 1, 0x0000000087654321), 0);
  CHECK_EQ(mem[1], 0x8765432112345678);
  // a failed sc.w writes nothing
  CHECK(sc_w(&mem[1], 0) != 0);
  CHECK_EQ(mem[1], 0x8765432112345678);
  // SC to an address outside the reservation set fails and writes nothing
  far_mem[0] = 3;
  mem[2] = 4;
  lr_d(&mem[2]);
  CHECK(sc_d(&far_mem[0], 99) != 0);
  CHECK_EQ(far_mem[0], 3);
  CHECK(sc_d(&mem[2], 5) != 0); // the failed SC above consumed the reservation
  CHECK_EQ(mem[2], 4);
  // only the most recent LR's reservation counts
  lr_d(&mem[2]);
  lr_d(&far_mem[0]);
  CHECK(sc_d(&mem[2], 6) != 0);
  CHECK_EQ(mem[2], 4);
  // ordering-annotated forms
  uint64 r1, r2;
  asm volatile(NORVC "lr.d.aq %0, (%2)\n addi %0, %0, 1\n sc.d.rl %1, %0, (%2)" POPRVC
               : "=&r"(r1), "=&r"(r2) : "r"(&mem[2]) : "memory");
  CHECK_EQ(r2, 0);
  CHECK_EQ(mem[2], 5);
  asm volatile(NORVC "lr.w.aqrl %0, (%2)\n addi %0, %0, 1\n sc.w.aqrl %1, %0, (%2)" POPRVC
               : "=&r"(r1), "=&r"(r2) : "r"(&mem[2]) : "memory");
  CHECK_EQ(r2, 0);
  CHECK_EQ(mem[2], 6);
  // the usual retry loop
  mem[3] = 0;
  for (int i = 0; i < 100; i++) {
    uint64 v, fail;
    asm volatile(NORVC "1: lr.d %0, (%2)\n addi %0, %0, 3\n sc.d %1, %0, (%2)\n bnez %1, 1b" POPRVC
                 : "=&r"(v), "=&r"(fail) : "r"(&mem[3]) : "memory");
  }
  CHECK_EQ(mem[3], 300);
  test_end();
}

int main(void) {
  printf("isa-rv64a: RV64A atomics\n");
  test_amo_d();
  test_amo_w();
  test_amo_forms();
  test_lrsc();
  return test_finish("isa-rv64a");
}

// Self-checking test of every RV64M instruction, including the corner cases the spec defines
// instead of trapping: division by zero gives all ones (quotient) and the dividend
// (remainder); -2^63 / -1 overflows to -2^63 with remainder 0; the W forms use the low 32 bits
// of each operand and sign-extend the 32-bit result.
#include "isa.h"
#include "test.h"

#define MIN64 0x8000000000000000UL
#define MAX64 0x7fffffffffffffffUL
#define ONES 0xffffffffffffffffUL
#define MIN32 0xffffffff80000000UL

static void test_mul(void) {
  test_begin("mul");
  CHECK_EQ(RR("mul", 0, 0), 0);
  CHECK_EQ(RR("mul", 3, 7), 21);
  CHECK_EQ(RR("mul", ONES, ONES), 1);
  CHECK_EQ(RR("mul", ONES, 5), 0xfffffffffffffffb);
  CHECK_EQ(RR("mul", MIN64, ONES), MIN64);
  CHECK_EQ(RR("mul", MAX64, MAX64), 1);
  CHECK_EQ(RR("mul", 0x100000000UL, 0x100000000UL), 0);
  CHECK_EQ(RR("mul", 0x123456789abcdefUL, 0xfedcba987654321UL), 0x22236d88fe5618cf);
  test_end();
}

static void test_mulh(void) {
  test_begin("mulh/mulhsu/mulhu");
  CHECK_EQ(RR("mulh", 0, 0), 0);
  CHECK_EQ(RR("mulh", ONES, ONES), 0);
  CHECK_EQ(RR("mulh", ONES, 1), ONES);
  CHECK_EQ(RR("mulh", MIN64, MIN64), 0x4000000000000000);
  CHECK_EQ(RR("mulh", MIN64, ONES), 0);
  CHECK_EQ(RR("mulh", MIN64, MAX64), 0xc000000000000000);
  CHECK_EQ(RR("mulh", MAX64, MAX64), 0x3fffffffffffffff);
  CHECK_EQ(RR("mulh", 0x100000000UL, 0x100000000UL), 1);
  CHECK_EQ(RR("mulh", 0xffffffff00000000UL, 0x100000000UL), ONES);
  CHECK_EQ(RR("mulh", 0x123456789abcdefUL, 0xfedcba987654321UL), 0x121fa00ad77d74);
  // rs1 signed, rs2 unsigned
  CHECK_EQ(RR("mulhsu", 0, 0), 0);
  CHECK_EQ(RR("mulhsu", ONES, ONES), ONES);
  CHECK_EQ(RR("mulhsu", ONES, 1), ONES);
  CHECK_EQ(RR("mulhsu", 1, ONES), 0);
  CHECK_EQ(RR("mulhsu", MIN64, ONES), 0x8000000000000000);
  CHECK_EQ(RR("mulhsu", MIN64, MIN64), 0xc000000000000000);
  CHECK_EQ(RR("mulhsu", MAX64, ONES), 0x7ffffffffffffffe);
  CHECK_EQ(RR("mulhsu", 0xfffffffffffffffeUL, 0x8000000000000001UL), 0xfffffffffffffffe);
  CHECK_EQ(RR("mulhu", 0, 0), 0);
  CHECK_EQ(RR("mulhu", ONES, ONES), 0xfffffffffffffffe);
  CHECK_EQ(RR("mulhu", ONES, 1), 0);
  CHECK_EQ(RR("mulhu", MIN64, MIN64), 0x4000000000000000);
  CHECK_EQ(RR("mulhu", MIN64, ONES), 0x7fffffffffffffff);
  CHECK_EQ(RR("mulhu", 0x100000000UL, 0x100000000UL), 1);
  CHECK_EQ(RR("mulhu", 0x123456789abcdefUL, 0xfedcba987654321UL), 0x121fa00ad77d74);
  test_end();
}

static void test_div(void) {
  test_begin("div/divu/rem/remu");
  CHECK_EQ(RR("div", 20, 6), 3);
  CHECK_EQ(RR("div", -20L, 6), -3L);
  CHECK_EQ(RR("div", 20, -6L), -3L);
  CHECK_EQ(RR("div", -20L, -6L), 3);
  CHECK_EQ(RR("div", MIN64, 1), MIN64);
  CHECK_EQ(RR("div", MIN64, ONES), MIN64); // overflow
  CHECK_EQ(RR("div", MIN64, 0), ONES);     // by zero
  CHECK_EQ(RR("div", 1, 0), ONES);
  CHECK_EQ(RR("div", 0, 0), ONES);
  CHECK_EQ(RR("divu", 20, 6), 3);
  CHECK_EQ(RR("divu", -20L, 6), 0x2aaaaaaaaaaaaaa7);
  CHECK_EQ(RR("divu", MIN64, ONES), 0);
  CHECK_EQ(RR("divu", ONES, 1), ONES);
  CHECK_EQ(RR("divu", MIN64, 0), ONES);
  CHECK_EQ(RR("divu", 0, 0), ONES);
  // remainder takes the sign of the dividend
  CHECK_EQ(RR("rem", 20, 6), 2);
  CHECK_EQ(RR("rem", -20L, 6), -2L);
  CHECK_EQ(RR("rem", 20, -6L), 2);
  CHECK_EQ(RR("rem", -20L, -6L), -2L);
  CHECK_EQ(RR("rem", MIN64, ONES), 0); // overflow
  CHECK_EQ(RR("rem", MIN64, 0), MIN64); // by zero: the dividend
  CHECK_EQ(RR("rem", 1, 0), 1);
  CHECK_EQ(RR("rem", -7L, 0), -7L);
  CHECK_EQ(RR("remu", 20, 6), 2);
  CHECK_EQ(RR("remu", -20L, 6), 2);
  CHECK_EQ(RR("remu", MIN64, ONES), MIN64);
  CHECK_EQ(RR("remu", ONES, 0), ONES);
  CHECK_EQ(RR("remu", 5, 0), 5);
  test_end();
}

static void test_word(void) {
  test_begin("W forms");
  CHECK_EQ(RR("mulw", 0x7fffffff, 2), 0xfffffffffffffffe);
  CHECK_EQ(RR("mulw", 0x10000, 0x8000), MIN32);
  CHECK_EQ(RR("mulw", 0x10000, 0x10000), 0);
  CHECK_EQ(RR("mulw", 0xffffffff00000003UL, 0x1234567800000005UL), 15);
  CHECK_EQ(RR("mulw", ONES, ONES), 1);
  CHECK_EQ(RR("mulw", 0x80000000, ONES), MIN32);
  CHECK_EQ(RR("divw", 20, 6), 3);
  CHECK_EQ(RR("divw", -20L, 6), -3L);
  CHECK_EQ(RR("divw", 0x80000000, 0xffffffff), MIN32); // overflow
  CHECK_EQ(RR("divw", 0x80000000, 0), ONES);
  CHECK_EQ(RR("divw", 0x00000001fffffff0UL, 0xffffffff00000004UL), 0xfffffffffffffffc);
  CHECK_EQ(RR("divw", 5, 0x100000000UL), ONES); // the divisor's low word is zero
  CHECK_EQ(RR("divuw", 20, 6), 3);
  CHECK_EQ(RR("divuw", 0xffffffff, 1), ONES); // result bit 31 sign-extends
  CHECK_EQ(RR("divuw", 0xffffffff, 2), 0x7fffffff);
  CHECK_EQ(RR("divuw", 0x80000000, 0xffffffff), 0);
  CHECK_EQ(RR("divuw", 0x80000000, 0), ONES);
  CHECK_EQ(RR("divuw", 0x1234567800000010UL, 0xffffffff00000004UL), 4);
  CHECK_EQ(RR("remw", 20, 6), 2);
  CHECK_EQ(RR("remw", -20L, 6), -2L);
  CHECK_EQ(RR("remw", 0x80000000, 0xffffffff), 0); // overflow
  CHECK_EQ(RR("remw", 0x80000000, 0), MIN32);       // by zero: sign-extended dividend
  CHECK_EQ(RR("remw", 0x12345678fffffff9UL, 0), 0xfffffffffffffff9);
  CHECK_EQ(RR("remw", 0x0000000100000007UL, 4), 3);
  CHECK_EQ(RR("remuw", 20, 6), 2);
  CHECK_EQ(RR("remuw", 0xffffffff, 0x10), 15);
  CHECK_EQ(RR("remuw", 0x80000005, 0), 0xffffffff80000005);
  CHECK_EQ(RR("remuw", 0xfffffffe, 0xffffffff), 0xfffffffffffffffe);
  CHECK_EQ(RR("remuw", 0x1234567800000007UL, 0), 7);
  test_end();
}

static void test_same_regs(void) {
  test_begin("rd == rs1 == rs2");
  CHECK_EQ(({ uint64 r = 0xffffffffUL; asm volatile(NORVC "mul %0, %0, %0" POPRVC : "+r"(r)); r; }), 0xfffffffe00000001);
  CHECK_EQ(({ uint64 r = ONES; asm volatile(NORVC "mulhu %0, %0, %0" POPRVC : "+r"(r)); r; }), 0xfffffffffffffffe);
  CHECK_EQ(({ uint64 r = MIN64; asm volatile(NORVC "div %0, %0, %0" POPRVC : "+r"(r)); r; }), 1);
  CHECK_EQ(({ uint64 r = 0; asm volatile(NORVC "divu %0, %0, %0" POPRVC : "+r"(r)); r; }), ONES);
  CHECK_EQ(({ uint64 r = 7; asm volatile(NORVC "rem %0, %0, %0" POPRVC : "+r"(r)); r; }), 0);
  CHECK_EQ(({ uint64 r = 0x10000; asm volatile(NORVC "mulw %0, %0, %0" POPRVC : "+r"(r)); r; }), 0);
  test_end();
}

int main(void) {
  printf("isa-rv64m: RV64M multiply and divide\n");
  test_mul();
  test_mulh();
  test_div();
  test_word();
  test_same_regs();
  return test_finish("isa-rv64m");
}

// Self-checking test of every RV64C instruction except c.ebreak (priv-traps covers it) and the
// floating-point loads and stores. Each probe names its instruction with the explicit `c.`
// mnemonic, so the 16-bit encoding is what runs. Operands sit in a0/a1 because most compressed
// formats can only name x8..x15; a few probes use t6/s11 for the formats that take any register.
#include "test.h"

#define MIN64 0x8000000000000000UL
#define MAX64 0x7fffffffffffffffUL
#define ONES 0xffffffffffffffffUL

// a0 = insn(a0)
#define C1(insn, a)                                                                            \
  ({                                                                                           \
    register uint64 a0_ asm("a0") = (uint64)(a);                                               \
    asm volatile(insn : "+r"(a0_));                                                            \
    a0_;                                                                                       \
  })

// a0 = insn(a0, a1)
#define C2(insn, a, b)                                                                         \
  ({                                                                                           \
    register uint64 a0_ asm("a0") = (uint64)(a);                                               \
    register uint64 a1_ asm("a1") = (uint64)(b);                                               \
    asm volatile(insn : "+r"(a0_) : "r"(a1_));                                                 \
    a0_;                                                                                       \
  })

// a0 = load insn with base a1
#define CL(insn, base)                                                                         \
  ({                                                                                           \
    register uint64 a0_ asm("a0");                                                             \
    register void *a1_ asm("a1") = (base);                                                     \
    asm volatile(insn : "=r"(a0_) : "r"(a1_) : "memory");                                      \
    a0_;                                                                                       \
  })

// store insn of a0 with base a1
#define CS(insn, v, base)                                                                      \
  do {                                                                                         \
    register uint64 a0_ asm("a0") = (uint64)(v);                                               \
    register void *a1_ asm("a1") = (base);                                                     \
    asm volatile(insn : : "r"(a0_), "r"(a1_) : "memory");                                      \
  } while (0)

static void test_immediates(void) {
  test_begin("c.li/c.lui/c.addi/c.addiw");
  CHECK_EQ(C1("c.li a0, 0", 99), 0);
  CHECK_EQ(C1("c.li a0, 31", 99), 31);
  CHECK_EQ(C1("c.li a0, -32", 99), ONES - 31);
  CHECK_EQ(C1("c.lui a0, 1", 99), 0x1000);
  CHECK_EQ(C1("c.lui a0, 0x1f", 99), 0x1f000);
  // nzimm[17] sign-extends through bit 63
  CHECK_EQ(C1("c.lui a0, 0xfffe0", 99), 0xfffffffffffe0000);
  CHECK_EQ(C1("c.lui a0, 0xfffff", 99), 0xfffffffffffff000);
  CHECK_EQ(({ register uint64 r asm("s11") = 5; asm volatile("c.lui s11, 2" : "+r"(r)); r; }), 0x2000);
  CHECK_EQ(C1("c.addi a0, 1", 41), 42);
  CHECK_EQ(C1("c.addi a0, -32", 0), ONES - 31);
  CHECK_EQ(C1("c.addi a0, 31", MAX64 - 30), MIN64);
  CHECK_EQ(C1("c.addi a0, -1", MIN64), MAX64);
  CHECK_EQ(({ register uint64 r asm("t6") = 10; asm volatile("c.addi t6, -11" : "+r"(r)); r; }), ONES);
  CHECK_EQ(C1("c.addiw a0, 1", 0x7fffffff), 0xffffffff80000000);
  CHECK_EQ(C1("c.addiw a0, 0", 0x12345678ffffffffUL), ONES); // sext.w
  CHECK_EQ(C1("c.addiw a0, -32", 0x100000000UL), ONES - 31);
  CHECK_EQ(C1("c.addiw a0, 31", 0xffffffff00000001UL), 32);
  test_end();
}

static void test_alu(void) {
  test_begin("c.shifts/c.andi/CA ops");
  CHECK_EQ(C1("c.slli a0, 1", 0x4000000000000001UL), 0x8000000000000002);
  CHECK_EQ(C1("c.slli a0, 63", 3), MIN64);
  CHECK_EQ(C1("c.slli a0, 32", 0xffffffffUL), 0xffffffff00000000);
  CHECK_EQ(({ register uint64 r asm("t6") = 1; asm volatile("c.slli t6, 40" : "+r"(r)); r; }), 1UL << 40);
  CHECK_EQ(C1("c.srli a0, 1", MIN64), 0x4000000000000000);
  CHECK_EQ(C1("c.srli a0, 63", MIN64), 1);
  CHECK_EQ(C1("c.srli a0, 32", ONES), 0xffffffff);
  CHECK_EQ(C1("c.srai a0, 1", MIN64), 0xc000000000000000);
  CHECK_EQ(C1("c.srai a0, 63", MIN64), ONES);
  CHECK_EQ(C1("c.srai a0, 32", 0x8000000000000000UL), 0xffffffff80000000);
  CHECK_EQ(C1("c.srai a0, 63", MAX64), 0);
  CHECK_EQ(C1("c.andi a0, -32", ONES), ONES - 31);
  CHECK_EQ(C1("c.andi a0, 31", ONES), 31);
  CHECK_EQ(C1("c.andi a0, 0", ONES), 0);
  CHECK_EQ(C1("c.andi a0, -1", 0x123456789abcdef0UL), 0x123456789abcdef0);
  CHECK_EQ(C2("c.sub a0, a1", 0, 1), ONES);
  CHECK_EQ(C2("c.sub a0, a1", MIN64, 1), MAX64);
  CHECK_EQ(C2("c.xor a0, a1", 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL), 0xf0f0f0f0f0f0f0f0);
  CHECK_EQ(C2("c.or a0, a1", 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL), 0xfff0fff0fff0fff0);
  CHECK_EQ(C2("c.and a0, a1", 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL), 0x0f000f000f000f00);
  CHECK_EQ(C2("c.subw a0, a1", 0x80000000, 1), 0x7fffffff);
  CHECK_EQ(C2("c.subw a0, a1", 0, 1), ONES);
  CHECK_EQ(C2("c.subw a0, a1", 0x7fffffff, ONES), 0xffffffff80000000);
  CHECK_EQ(C2("c.addw a0, a1", 0x7fffffff, 1), 0xffffffff80000000);
  CHECK_EQ(C2("c.addw a0, a1", 0x1234567800000001UL, 0xabcdef0000000002UL), 3);
  CHECK_EQ(C2("c.addw a0, a1", 0xffffffff, 1), 0);
  test_end();
}

static void test_cr(void) {
  test_begin("c.mv/c.add");
  CHECK_EQ(C2("c.mv a0, a1", 1, 0xdeadbeefcafef00dUL), 0xdeadbeefcafef00d);
  CHECK_EQ(({ register uint64 r asm("t6") = 0; register uint64 s asm("s11") = MIN64; asm volatile("c.mv t6, s11" : "+r"(r) : "r"(s)); r; }), MIN64);
  CHECK_EQ(C2("c.add a0, a1", MAX64, 1), MIN64);
  CHECK_EQ(C2("c.add a0, a1", ONES, ONES), ONES - 1);
  CHECK_EQ(({ register uint64 r asm("t6") = 40; register uint64 s asm("s11") = 2; asm volatile("c.add t6, s11" : "+r"(r) : "r"(s)); r; }), 42);
  CHECK_EQ(({ register uint64 r asm("t6") = 21; asm volatile("c.add t6, t6" : "+r"(r)); r; }), 42);
  test_end();
}

static uint64 cbuf[32] __attribute__((aligned(16)));

static void test_loads_stores(void) {
  test_begin("c.lw/c.ld/c.sw/c.sd");
  for (int i = 0; i < 32; i++)
    cbuf[i] = 0x5a5a5a5a5a5a5a5aUL;
  cbuf[0] = 0x8000000112345678UL;
  cbuf[15] = 0x00000000fffffffeUL; // byte offset 120..127
  cbuf[31] = 0x0123456789abcdefUL; // byte offset 248
  CHECK_EQ(CL("c.lw a0, 0(a1)", cbuf), 0x12345678);
  CHECK_EQ(CL("c.lw a0, 4(a1)", cbuf), 0xffffffff80000001); // sign-extended
  CHECK_EQ(CL("c.lw a0, 120(a1)", cbuf), 0xfffffffffffffffe);
  CHECK_EQ(CL("c.lw a0, 124(a1)", cbuf), 0);
  CHECK_EQ(CL("c.ld a0, 0(a1)", cbuf), 0x8000000112345678);
  CHECK_EQ(CL("c.ld a0, 248(a1)", cbuf), 0x0123456789abcdef);
  // the base register may be the destination
  CHECK_EQ(({ register void *b asm("a1") = cbuf; register uint64 r asm("a1"); asm volatile("c.ld a1, 248(a1)" : "=r"(r) : "0"(b) : "memory"); r; }), 0x0123456789abcdef);
  CS("c.sw a0, 8(a1)", 0xffffffff89abcdefUL, cbuf);
  CHECK_EQ(cbuf[1], 0x5a5a5a5a89abcdef);
  CS("c.sw a0, 124(a1)", 0x11223344, cbuf);
  CHECK_EQ(cbuf[15], 0x11223344fffffffe);
  CS("c.sd a0, 16(a1)", 0xfedcba9876543210UL, cbuf);
  CHECK_EQ(cbuf[2], 0xfedcba9876543210);
  CS("c.sd a0, 248(a1)", 0x1111111122222222UL, cbuf);
  CHECK_EQ(cbuf[31], 0x1111111122222222);
  CHECK_EQ(cbuf[30], 0x5a5a5a5a5a5a5a5a);
  test_end();
}

static void test_sp_relative(void) {
  test_begin("sp-relative");
  uint64 r, t;
  asm volatile("addi sp, sp, -512\n"
               "c.sdsp %2, 504(sp)\n"
               "ld %0, 504(sp)\n"
               "addi sp, sp, 512"
               : "=&r"(r) : "0"(0), "r"(0xa1b2c3d4e5f60718UL) : "memory");
  CHECK_EQ(r, 0xa1b2c3d4e5f60718);
  asm volatile("addi sp, sp, -512\n"
               "sd %2, 0(sp)\n"
               "c.ldsp %0, 0(sp)\n"
               "addi sp, sp, 512"
               : "=&r"(r) : "0"(0), "r"(0x0102030405060708UL) : "memory");
  CHECK_EQ(r, 0x0102030405060708);
  asm volatile("addi sp, sp, -512\n"
               "sd %2, 248(sp)\n"
               "c.lwsp %0, 252(sp)\n"
               "addi sp, sp, 512"
               : "=&r"(r) : "0"(0), "r"(0x80000001deadbeefUL) : "memory");
  CHECK_EQ(r, 0xffffffff80000001);
  asm volatile("addi sp, sp, -512\n"
               "sd %2, 248(sp)\n"
               "c.swsp %3, 252(sp)\n"
               "ld %0, 248(sp)\n"
               "addi sp, sp, 512"
               : "=&r"(r) : "0"(0), "r"(ONES), "r"(0x123456789UL) : "memory");
  CHECK_EQ(r, 0x23456789ffffffff);
  asm volatile("mv %1, sp\n"
               "c.addi16sp sp, -512\n"
               "sub %0, %1, sp\n"
               "c.addi16sp sp, 496\n"
               "c.addi16sp sp, 16\n"
               "sub %1, %1, sp"
               : "=&r"(r), "=&r"(t));
  CHECK_EQ(r, 512);
  CHECK_EQ(t, 0);
  CHECK_EQ(({ register uint64 a asm("a0"); asm volatile("c.addi4spn a0, sp, 1020\n sub a0, a0, sp" : "=r"(a)); a; }), 1020);
  CHECK_EQ(({ register uint64 a asm("a0"); asm volatile("c.addi4spn a0, sp, 4\n sub a0, a0, sp" : "=r"(a)); a; }), 4);
  CHECK_EQ(({ register uint64 a asm("s0"); asm volatile("c.addi4spn s0, sp, 512\n sub s0, s0, sp" : "=r"(a)); a; }), 512);
  test_end();
}

static void test_control(void) {
  test_begin("c.j/c.jr/c.jalr/c.beqz/c.bnez");
  uint64 r;
  asm volatile("li %0, 0\n c.j 1f\n li %0, 99\n1:" : "=&r"(r));
  CHECK_EQ(r, 0);
  asm volatile("c.j 3f\n1: li %0, 1\n c.j 4f\n3: c.j 1b\n li %0, 99\n4:" : "=&r"(r));
  CHECK_EQ(r, 1);
  asm volatile("lla t1, 1f\n c.jr t1\n li %0, 99\n j 2f\n1: li %0, 1\n2:" : "=&r"(r) : : "t1");
  CHECK_EQ(r, 1);
  // c.jalr links pc + 2
  asm volatile("lla t1, 1f\n lla t2, 2f\n2: c.jalr t1\n li %0, 99\n j 3f\n1: sub %0, ra, t2\n3:"
               : "=&r"(r) : : "t1", "t2", "ra");
  CHECK_EQ(r, 2);
  // c.jalr with rs1 == ra: the target uses the old ra
  asm volatile("lla ra, 1f\n lla t2, 2f\n2: c.jalr ra\n li %0, 99\n j 3f\n1: sub %0, ra, t2\n3:"
               : "=&r"(r) : : "t2", "ra");
  CHECK_EQ(r, 2);
#define CB(insn, v)                                                                            \
  ({                                                                                           \
    register uint64 a0_ asm("a0") = (v);                                                       \
    uint64 t_;                                                                                 \
    asm volatile(insn " a0, 1f\n li %0, 0\n j 2f\n1: li %0, 1\n2:" : "=&r"(t_) : "r"(a0_));   \
    t_;                                                                                        \
  })
#define CB_BACK(insn, v)                                                                       \
  ({                                                                                           \
    register uint64 a0_ asm("a0") = (v);                                                       \
    uint64 t_;                                                                                 \
    asm volatile("j 3f\n1: li %0, 1\n j 4f\n3: " insn " a0, 1b\n li %0, 0\n4:" : "=&r"(t_) : "r"(a0_)); \
    t_;                                                                                        \
  })
  CHECK_EQ(CB("c.beqz", 0), 1);
  CHECK_EQ(CB("c.beqz", 1), 0);
  CHECK_EQ(CB("c.beqz", MIN64), 0);
  CHECK_EQ(CB("c.bnez", 0), 0);
  CHECK_EQ(CB("c.bnez", MIN64), 1);
  CHECK_EQ(CB_BACK("c.beqz", 0), 1);
  CHECK_EQ(CB_BACK("c.beqz", ONES), 0);
  CHECK_EQ(CB_BACK("c.bnez", 0), 0);
  CHECK_EQ(CB_BACK("c.bnez", ONES), 1);
  test_end();
}

static void test_nop_and_hints(void) {
  test_begin("c.nop/hints");
  // Each of these is a HINT encoding and must run as a no-op.
  uint64 r;
  asm volatile("mv %0, %1\n"
               "c.nop\n"
               ".hword 0x0005\n" // c.nop 1
               ".hword 0x4005\n" // c.li x0, 1
               ".hword 0x0006\n" // c.slli x0, 1
               ".hword 0x802e\n" // c.mv x0, a1
               ".hword 0x902e\n" // c.add x0, a1
               ".hword 0x0501\n" // c.addi a0, 0
               : "=&r"(r) : "r"(0x77UL) : "memory");
  CHECK_EQ(r, 0x77);
  CHECK_EQ(C1(".hword 0x0501", 123), 123);
  test_end();
}

// A loop written entirely in compressed instructions: sum of 1..n.
static uint64 csum(uint64 n) {
  register uint64 a0 asm("a0") = n;
  register uint64 a1 asm("a1");
  asm volatile("c.li a1, 0\n"
               "1: c.beqz a0, 2f\n"
               "c.add a1, a0\n"
               "c.addi a0, -1\n"
               "c.j 1b\n"
               "2:"
               : "+r"(a0), "=&r"(a1));
  return a1;
}

int main(void) {
  printf("isa-rv64c: RV64C compressed instructions\n");
  test_immediates();
  test_alu();
  test_cr();
  test_loads_stores();
  test_sp_relative();
  test_control();
  test_nop_and_hints();
  test_begin("compressed loop");
  CHECK_EQ(csum(100), 5050);
  test_end();
  return test_finish("isa-rv64c");
}

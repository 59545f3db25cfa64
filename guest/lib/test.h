// Self-checking test helpers shared by the directed test programs.
//
// A program groups its checks into sections (test_begin/test_end). Each failed check prints
// its line, the checked expression and both values at once, and the run continues so that one
// run shows every failure. test_finish prints the verdict and gives main its exit code:
// 0 when every check passed, 1 otherwise.
#pragma once
#include "lib.h"

void test_begin(const char *name);
void test_end(void);
int test_finish(const char *program);
void check_eq(int line, const char *expr, uint64 got, uint64 want);
void check_true(int line, const char *expr, int ok);
extern int test_failures;

#define CHECK(cond) check_true(__LINE__, #cond, (cond))
#define CHECK_EQ(got, want) check_eq(__LINE__, #got, (uint64)(got), (uint64)(want))

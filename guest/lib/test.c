#include "test.h"

int test_failures;
static const char *section;
static int section_checks, section_failures, total_checks;

void test_begin(const char *name) {
  section = name;
  section_checks = 0;
  section_failures = 0;
}

void test_end(void) {
  if (section_failures == 0)
    printf("  %-24s ok (%d checks)\n", section, section_checks);
  else
    printf("  %-24s FAILED %d of %d checks\n", section, section_failures, section_checks);
}

static void fail(void) {
  section_failures++;
  test_failures++;
}

void check_eq(int line, const char *expr, uint64 got, uint64 want) {
  section_checks++;
  total_checks++;
  if (got == want)
    return;
  fail();
  printf("    FAIL line %d: %s = 0x%lx, want 0x%lx\n", line, expr, got, want);
}

void check_true(int line, const char *expr, int ok) {
  section_checks++;
  total_checks++;
  if (ok)
    return;
  fail();
  printf("    FAIL line %d: %s\n", line, expr);
}

int test_finish(const char *program) {
  if (test_failures == 0) {
    printf("%s: PASS (%d checks)\n", program, total_checks);
    return 0;
  }
  printf("%s: FAIL (%d of %d checks failed)\n", program, test_failures, total_checks);
  return 1;
}

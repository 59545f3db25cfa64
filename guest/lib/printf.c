// A small printf: %d %i %u %x %X %p %s %c %%, with l/ll/z modifiers, a field width and '0' or
// '-' flags. Output goes one character at a time to consputc, so it works from any mode that
// can reach the runtime's console.
#include "lib.h"

static const char digits[] = "0123456789abcdef";

// Writes `s` (length n) padded to `width`; zero padding goes after a leading '-'.
static int emit(const char *s, int n, int width, int zero, int left) {
  int out = 0;
  int pad = width > n ? width - n : 0;
  if (!left && zero && n > 0 && s[0] == '-') {
    consputc('-');
    s++, n--, out++;
  }
  if (!left)
    for (; pad > 0; pad--, out++)
      consputc(zero ? '0' : ' ');
  for (int i = 0; i < n; i++, out++)
    consputc(s[i]);
  for (; pad > 0; pad--, out++)
    consputc(' ');
  return out;
}

static int fmtnum(uint64 x, int base, int neg, int upper, int width, int zero, int left) {
  char buf[24];
  int i = sizeof(buf);
  do {
    char c = digits[x % base];
    buf[--i] = (upper && c >= 'a') ? c - 'a' + 'A' : c;
    x /= base;
  } while (x != 0);
  if (neg)
    buf[--i] = '-';
  return emit(buf + i, sizeof(buf) - i, width, zero, left);
}

int vprintf(const char *fmt, __builtin_va_list ap) {
  int out = 0;
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      consputc(*fmt);
      out++;
      continue;
    }
    fmt++;
    int zero = 0, left = 0, width = 0, lng = 0;
    for (;; fmt++) {
      if (*fmt == '0')
        zero = 1;
      else if (*fmt == '-')
        left = 1;
      else
        break;
    }
    for (; *fmt >= '0' && *fmt <= '9'; fmt++)
      width = width * 10 + (*fmt - '0');
    while (*fmt == 'l' || *fmt == 'z') {
      lng = 1;
      fmt++;
    }
    switch (*fmt) {
    case 'd':
    case 'i': {
      int64 v = lng ? __builtin_va_arg(ap, int64) : __builtin_va_arg(ap, int);
      uint64 mag = v < 0 ? -(uint64)v : (uint64)v;
      out += fmtnum(mag, 10, v < 0, 0, width, zero, left);
      break;
    }
    case 'u':
      out += fmtnum(lng ? __builtin_va_arg(ap, uint64) : __builtin_va_arg(ap, uint32), 10, 0, 0,
                    width, zero, left);
      break;
    case 'x':
    case 'X':
      out += fmtnum(lng ? __builtin_va_arg(ap, uint64) : __builtin_va_arg(ap, uint32), 16, 0,
                    *fmt == 'X', width, zero, left);
      break;
    case 'p':
      out += emit("0x", 2, 0, 0, 0);
      out += fmtnum((uint64)__builtin_va_arg(ap, void *), 16, 0, 0, 16, 1, 0);
      break;
    case 's': {
      const char *s = __builtin_va_arg(ap, const char *);
      if (s == NULL)
        s = "(null)";
      out += emit(s, strlen(s), width, 0, left);
      break;
    }
    case 'c': {
      char c = (char)__builtin_va_arg(ap, int);
      out += emit(&c, 1, width, 0, left);
      break;
    }
    case '%':
      consputc('%');
      out++;
      break;
    case 0:
      return out;
    default: // unknown conversion: show it rather than guess
      consputc('%');
      consputc(*fmt);
      out += 2;
      break;
    }
  }
  return out;
}

int printf(const char *fmt, ...) {
  __builtin_va_list ap;
  __builtin_va_start(ap, fmt);
  int n = vprintf(fmt, ap);
  __builtin_va_end(ap);
  return n;
}

void panic(const char *s) {
  printf("panic: %s\n", s);
  exit(PANIC_EXIT_CODE);
}

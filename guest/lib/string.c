// Freestanding memory and string routines. clang may emit calls to memset/memcpy for struct
// copies and zeroing even under -ffreestanding, so these must exist in every image.
#include "lib.h"

// Whole doublewords where alignment allows: kernels clear and copy pages with these.
void *memset(void *dst, int c, size_t n) {
  uint8 *d = dst;
  while (n > 0 && ((uintptr)d & 7)) {
    *d++ = (uint8)c;
    n--;
  }
  uint64 word = 0x0101010101010101UL * (uint8)c;
  for (; n >= 8; n -= 8, d += 8)
    *(uint64 *)d = word;
  while (n-- > 0)
    *d++ = (uint8)c;
  return dst;
}

void *memcpy(void *dst, const void *src, size_t n) {
  uint8 *d = dst;
  const uint8 *s = src;
  if ((((uintptr)d ^ (uintptr)s) & 7) == 0) {
    while (n > 0 && ((uintptr)d & 7)) {
      *d++ = *s++;
      n--;
    }
    for (; n >= 8; n -= 8, d += 8, s += 8)
      *(uint64 *)d = *(const uint64 *)s;
  }
  while (n-- > 0)
    *d++ = *s++;
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  uint8 *d = dst;
  const uint8 *s = src;
  if (d < s) {
    for (size_t i = 0; i < n; i++)
      d[i] = s[i];
  } else {
    while (n-- > 0)
      d[n] = s[n];
  }
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const uint8 *x = a, *y = b;
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i])
      return x[i] - y[i];
  return 0;
}

size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n])
    n++;
  return n;
}

int strcmp(const char *a, const char *b) {
  while (*a && *a == *b)
    a++, b++;
  return (uint8)*a - (uint8)*b;
}

// Functions every guest image gets from guest/lib, grouped by file (xv6 kernel/defs.h).
#pragma once
#include "types.h"

// console: provided by the runtime flavour (htif.c or linux/sys.c)
void consputc(int c);
void exit(int code) __attribute__((noreturn));

// htif.c only (bare-metal images)
void htif_putchar(int c);
void htif_exit(int code) __attribute__((noreturn));
extern void (*console_putc_hook)(int c);
extern void (*exit_hook)(int code);

// printf.c
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, __builtin_va_list ap);
void panic(const char *s) __attribute__((noreturn));
#define PANIC_EXIT_CODE 99

// string.c
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

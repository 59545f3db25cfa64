// Fixed-width integer names used by all guest code (xv6 kernel/types.h).
#pragma once

typedef unsigned char uint8;
typedef unsigned short uint16;
typedef unsigned int uint32;
typedef unsigned long uint64;
typedef signed char int8;
typedef short int16;
typedef int int32;
typedef long int64;
typedef unsigned long uintptr;
typedef unsigned long size_t;

#define NULL ((void *)0)
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

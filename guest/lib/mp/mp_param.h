// Limits and layout of the multiprocessor runtime; included by entry.S and C code alike.
//
// Each hart's slice of home memory (node k: [RAMBASE + k*slice, RAMBASE + (k+1)*slice)):
//
//   RAMBASE + k*slice            reserve: the image (text, data, bss) on node 0; skipped on the
//                                others so that every hart's data region has the same offset
//   + MP_RESERVE                 data region: the program's share of its arrays (mp_local_base)
//   top - MP_STACK_SIZE
//       - MP_AREA_SIZE           runtime area: barrier tree nodes, the hart's barrier sense
//   top - MP_STACK_SIZE          stack (grows down from top)
//   top = RAMBASE + (k+1)*slice
#pragma once

#define MP_RAMBASE 0x80000000
#define MP_LINE 128               // coherence line of the FLASH machine: pad shared data to this
#define MP_STACK_SIZE 16384       // per hart, at the top of its slice
#define MP_AREA_SIZE 4096         // per hart runtime area, just below the stack
#define MP_MAX_HARTS 1024         // harts beyond this park
#define MP_NHARTS_DEFAULT 1       // when the machine passes a3 = 0 (not the FLASH machine)
#define MP_FLAT_SLICE (16 << 20)  // slice size then (a2 is not one): needs 16 MiB of RAM
#define MP_BARRIER_FANIN 8        // arrivals per combining-tree node
#define MP_BARRIER_LEVELS 4       // 8^4 = 4096 >= MP_MAX_HARTS
#define MP_SUMS 4                 // values one mp_barrier_sum adds up

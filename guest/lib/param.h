// Limits shared by the runtime and the linker script (xv6 kernel/param.h).
#pragma once

#define NCPU 8            // harts that get a stack; others park in crt0
#define STACK_SHIFT 15    // 32 KiB of stack per hart
#define STACK_SIZE (1 << STACK_SHIFT)

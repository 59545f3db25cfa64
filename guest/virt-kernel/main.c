// virt-kernel: a small SMP kernel for the QEMU virt board, booted in S-mode by SBI firmware
// (virt-sbi here; OpenSBI's fw_dynamic would do) at 0x80200000 with a0 = hart id, a1 = device
// tree. The boot hart reads the device tree (memory, harts, timebase, bootargs, UART, PLIC,
// virtio slots), sets up memory and Sv39 paging, the console and the disk, starts the other
// harts through SBI HSM and runs /virt-user as init (pid 1), with the words of bootargs after
// "--" as its arguments (as Linux hands init what follows "--"); then every hart schedules
// processes. init's reboot call powers the machine off through SBI SRST.
#include "defs.h"

struct machine machine;
extern char _end[];

// One soc node's properties, gathered until the walk leaves the node.
static struct {
  const char *node;
  int virtio, uart, plic, irq;
  uint64 reg;
} soc;

static void soc_node_done(struct machine *m) {
  if (!soc.node || !soc.reg)
    return;
  if (soc.uart) {
    m->uart = soc.reg;
    m->uart_irq = soc.irq;
  } else if (soc.plic) {
    m->plic = soc.reg;
  } else if (soc.virtio && m->nvirtio < 8) {
    m->virtio[m->nvirtio] = soc.reg;
    m->virtio_irq[m->nvirtio++] = soc.irq;
  }
}

static void dt_prop(void *ctx, int depth, const char **node, const char *prop, const uint8 *val, uint32 len) {
  struct machine *m = ctx;
  const char *name = node[depth];
  if (depth == 2 && fdt_node_is(node[1], "soc") && name != soc.node) {
    soc_node_done(m);
    memset(&soc, 0, sizeof(soc));
    soc.node = name;
  }
  if (depth == 1 && fdt_node_is(name, "memory") && strcmp(prop, "reg") == 0 && len >= 16) {
    m->ram_base = fdt64(val);
    m->ram_size = fdt64(val + 8);
  } else if (depth == 1 && fdt_node_is(name, "cpus") && strcmp(prop, "timebase-frequency") == 0) {
    m->timebase = fdt32(val);
  } else if (depth == 2 && fdt_node_is(node[1], "cpus") && fdt_node_is(name, "cpu") && strcmp(prop, "device_type") == 0) {
    m->ncpu++;
  } else if (depth == 1 && fdt_node_is(name, "chosen") && strcmp(prop, "bootargs") == 0) {
    uint32 n = len < sizeof(m->bootargs) ? len : sizeof(m->bootargs) - 1;
    memcpy(m->bootargs, val, n);
  } else if (depth == 2 && soc.node == name) {
    if (strcmp(prop, "compatible") == 0) {
      soc.virtio = fdt_has_string(val, len, "virtio,mmio");
      soc.uart = fdt_has_string(val, len, "ns16550a");
      soc.plic = fdt_has_string(val, len, "riscv,plic0");
    } else if (strcmp(prop, "reg") == 0 && len >= 8) {
      soc.reg = fdt64(val);
    } else if (strcmp(prop, "interrupts") == 0 && len >= 4) {
      soc.irq = fdt32(val);
    }
  }
}

static void read_device_tree(uint64 dtb) {
  machine.dtb = dtb;
  if (fdt_walk((const void *)dtb, dt_prop, &machine) < 0)
    panic("bad device tree");
  soc_node_done(&machine);
  if (!machine.ram_size || !machine.ncpu || !machine.timebase || !machine.uart || !machine.plic)
    panic("device tree lacks memory, cpus, timebase, uart or plic");
}

void exit(int code) { poweroff(code != 0); }

void poweroff(int failed) {
  report();
  pagecache_report();
  printf("[kernel] free pages: %d; powering off (%s)\n", kfreecount(), failed ? "failure" : "clean");
  sbi_shutdown(failed);
}

// init's argv: "init", then the words of bootargs after a "--" word (cut in place).
static void init_argv(char **argv) {
  int argc = 0;
  argv[argc++] = "init";
  int after = 0;
  for (char *p = machine.bootargs; *p && argc < NARG;) {
    while (*p == ' ')
      *p++ = 0;
    if (!*p)
      break;
    char *word = p;
    while (*p && *p != ' ')
      p++;
    if (after)
      argv[argc++] = word;
    else
      after = p - word == 2 && word[0] == '-' && word[1] == '-';
  }
  argv[argc] = 0;
}

void kmain(uint64 hartid, uint64 dtb) {
  printf("virt-kernel: booting on hart %ld, device tree at 0x%lx\n", hartid, dtb);
  read_device_tree(dtb);
  printf("[kernel] %ld MiB RAM at 0x%lx, %d harts, timebase %ld Hz, bootargs \"%s\"\n", machine.ram_size >> 20,
         machine.ram_base, machine.ncpu, machine.timebase, machine.bootargs);
  uint64 top = machine.ram_base + machine.ram_size;
  kinit((uint64)_end, dtb > (uint64)_end && dtb < top ? PGROUNDDOWN(dtb) : top);
  kvminit();
  kvminithart();
  plic_init(IO(machine.plic));
  trapinithart();
  consoleinit();
  printf("[kernel] Sv39 paging on; console on the UART at 0x%lx (irq %d); %d free pages\n", machine.uart,
         machine.uart_irq, kfreecount());
  procinit();
  shminit();
  if (diskinit() < 0)
    panic("no virtio block device");
  int n = fsinit();
  if (n < 0)
    panic("the disk holds no FDFS file system");
  printf("[kernel] FDFS: %d files\n", n);
  for (int h = 0; h < machine.ncpu && h < NCPU; h++)
    if (h != (int)hartid && sbi_hart_start(h, (uint64)secondary_entry, 0) != 0)
      printf("[kernel] hart %d did not start\n", h);
  char *argv[NARG + 1];
  init_argv(argv);
  if (spawn(0, "virt-user", argv) != 1)
    panic("cannot start init (virt-user on the disk)");
  scheduler();
}

void kmain_secondary(uint64 hartid) {
  kvminithart();
  trapinithart();
  printf("[kernel] hart %ld online\n", hartid);
  scheduler();
}

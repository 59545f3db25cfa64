// A flattened device tree reader (devicetree specification v0.4, chapter 5): walks the
// structure block and hands every property, with the name of its node and the node's depth, to
// a callback. Enough for firmware and a small kernel to find memory, harts and devices.
#include "lib.h"
#include "virt.h"

#define FDT_MAGIC 0xd00dfeed
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9

uint32 fdt32(const void *p) {
  const uint8 *b = p;
  return (uint32)b[0] << 24 | (uint32)b[1] << 16 | (uint32)b[2] << 8 | b[3];
}

uint64 fdt64(const void *p) { return (uint64)fdt32(p) << 32 | fdt32((const uint8 *)p + 4); }

int fdt_walk(const void *dtb, fdt_prop_fn fn, void *ctx) {
  const uint8 *base = dtb;
  if (!dtb || fdt32(base) != FDT_MAGIC)
    return -1;
  const uint8 *p = base + fdt32(base + 8);       // off_dt_struct
  const char *strings = (const char *)base + fdt32(base + 12); // off_dt_strings
  const char *node[FDT_MAX_DEPTH];
  int depth = -1;
  for (;;) {
    uint32 tok = fdt32(p);
    p += 4;
    if (tok == FDT_BEGIN_NODE) {
      const char *name = (const char *)p;
      if (++depth < FDT_MAX_DEPTH)
        node[depth] = name;
      p += (strlen(name) + 4) & ~3UL;
    } else if (tok == FDT_END_NODE) {
      depth--;
    } else if (tok == FDT_PROP) {
      uint32 len = fdt32(p), nameoff = fdt32(p + 4);
      if (depth >= 0 && depth < FDT_MAX_DEPTH)
        fn(ctx, depth, node, strings + nameoff, p + 8, len);
      p += 8 + ((len + 3) & ~3U);
    } else if (tok == FDT_NOP) {
      continue;
    } else {
      return tok == FDT_END ? 0 : -1;
    }
  }
}

// Whether `name` is `prefix` or starts with `prefix@`.
int fdt_node_is(const char *name, const char *prefix) {
  size_t n = strlen(prefix);
  return memcmp(name, prefix, n) == 0 && (name[n] == 0 || name[n] == '@');
}

// Whether a string-list property value holds `s`.
int fdt_has_string(const uint8 *val, uint32 len, const char *s) {
  for (uint32 i = 0; i < len;) {
    const char *e = (const char *)val + i;
    if (strcmp(e, s) == 0)
      return 1;
    i += strlen(e) + 1;
  }
  return 0;
}

static void count_cpu(void *ctx, int depth, const char **node, const char *prop, const uint8 *val, uint32 len) {
  if (depth == 2 && fdt_node_is(node[1], "cpus") && fdt_node_is(node[2], "cpu") && strcmp(prop, "device_type") == 0)
    ++*(int *)ctx;
}

int fdt_count_cpus(const void *dtb) {
  int n = 0;
  return fdt_walk(dtb, count_cpu, &n) == 0 ? n : -1;
}

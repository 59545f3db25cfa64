// FDFS, the disk format virt-kernel reads: one flat directory of contiguous files.
//
//   sector 0     superblock: magic "FDFS0001" (8 bytes), u32 nfiles, u32 dir_start (sector),
//                u32 dir_sectors
//   dir_start..  nfiles entries of 64 bytes: name (48 bytes, NUL-padded), u32 first sector,
//                u32 reserved, u64 size in bytes
//   elsewhere    file data, each file in consecutive sectors from its first
// (little-endian; the test that boots the kernel writes the image, see test/virt-kernel.test.ts)
#include "defs.h"

#define MAXFILES 256

struct dirent {
  char name[48];
  uint32 sector, reserved;
  uint64 size;
};

static struct dirent dir[MAXFILES];
static int nfiles;

int fsinit(void) {
  static uint8 sb[VBLK_SECTOR] __attribute__((aligned(16)));
  if (disk_read(0, sb, VBLK_SECTOR) < 0 || memcmp(sb, "FDFS0001", 8) != 0)
    return -1;
  uint32 n = *(uint32 *)(sb + 8), start = *(uint32 *)(sb + 12), sectors = *(uint32 *)(sb + 16);
  if (n > MAXFILES || sectors * VBLK_SECTOR < n * sizeof(struct dirent) || sectors * VBLK_SECTOR > sizeof(dir))
    return -1;
  if (sectors && disk_read(start, dir, sectors * VBLK_SECTOR) < 0)
    return -1;
  nfiles = n;
  for (int i = 0; i < nfiles; i++)
    dir[i].name[sizeof(dir[i].name) - 1] = 0;
  return nfiles;
}

int fs_count(void) { return nfiles; }
const char *fs_name(int i) { return dir[i].name; }
uint64 fs_size(int i) { return dir[i].size; }

int fs_lookup(const char *name) {
  while (*name == '/')
    name++;
  for (int i = 0; i < nfiles; i++)
    if (strcmp(dir[i].name, name) == 0)
      return i;
  return -1;
}

// Copies up to n bytes of file i from offset off into dst (a kernel address), through a page
// of its own so that several processes can read at once. Returns the bytes read, -1 on error.
long fs_read(int i, uint64 off, void *dst, uint64 n) {
  if (off >= dir[i].size)
    return 0;
  if (n > dir[i].size - off)
    n = dir[i].size - off;
  uint8 *bounce = kalloc();
  if (!bounce)
    return -1;
  uint64 done = 0;
  while (done < n) {
    uint64 pos = off + done;
    uint64 sector = dir[i].sector + pos / VBLK_SECTOR, skip = pos % VBLK_SECTOR;
    uint64 want = n - done + skip;
    uint64 len = want > PGSIZE ? PGSIZE : (want + VBLK_SECTOR - 1) & ~(uint64)(VBLK_SECTOR - 1);
    if (disk_read(sector, bounce, len) < 0) {
      kfree(bounce);
      return -1;
    }
    uint64 k = len - skip < n - done ? len - skip : n - done;
    memcpy((uint8 *)dst + done, bounce + skip, k);
    done += k;
  }
  kfree(bounce);
  return done;
}

// raytrace: the "Raytrace" workload of Disco's evaluation (SOSP 1997; SPLASH-2's raytrace), a
// parallel ray tracer whose processes share a large read-only scene.
//
//   raytrace [-p WORKERS] [-s SAMPLES]  builds the scene (16384 spheres in a uniform grid,
//                                       about 1 MiB) in one shared memory segment and a
//                                       96x72 picture in another, starts WORKERS rtworker
//                                       processes (default 16; 0 renders alone) and waits;
//                                       then renders one pixel of every column again itself
//                                       (from rows of every worker), which must match bit for
//                                       bit, and prints the picture's checksum
//   rtworker KEY BYTES INDEX WORKERS    attaches the scene (shm KEY, BYTES long) and the
//                                       picture it names, and renders rows INDEX, INDEX +
//                                       WORKERS, ...
//
// A pixel is SAMPLES rays (default 1), each traced through the grid to the nearest sphere,
// then a shadow ray to the light and, off mirror spheres, a reflected ray: almost all the
// memory traffic is reads of the shared scene. The arithmetic is fixed point (virt-kernel does
// not save floating-point registers), so every process computes the same bits.
//
// Shared segments may sit at different addresses in different processes: the scene holds
// offsets, never pointers.
#include "user.h"

typedef int64 fix; // 16.16 fixed point, in 64 bits so that products of coordinates fit
#define FIX_BITS 16
#define ONE (1L << FIX_BITS)
#define EPS (ONE >> 8)
#define FAR (1L << 50)

#define GRID 32                    // cells per axis
#define CELL_SHIFT (FIX_BITS + 1)  // cells are 2 units: the world is [0, 64) on each axis
#define NSPHERES 16384
#define WIDTH 96
#define HEIGHT 72
#define MAXDEPTH 2                 // reflections
#define SCENE_MAGIC 0x52415954

struct vec {
  fix x, y, z;
};

struct sphere {
  struct vec c;
  fix r, r2;
  uint32 color; // 0xrrggbb
  uint32 mirror;
};

// The head of the scene segment; the rest of it is the spheres, then the grid: cell c (x +
// GRID * (y + GRID * z)) holds spheres refs[first[c]] .. refs[first[c + 1] - 1]. A sphere is
// smaller than a cell, so it is in at most 8 cells.
struct scene {
  uint32 magic;
  uint64 spheres, first, refs; // offsets in the segment
  int picture_key;
  uint64 picture_bytes;
  int width, height, samples;
  struct vec eye, light; // light: unit vector towards it
};

#define PICTURE_BYTES (WIDTH * HEIGHT * 4)
#define SCENE_BYTES \
  (sizeof(struct scene) + NSPHERES * sizeof(struct sphere) + (GRID * GRID * GRID + 1) * 4 + NSPHERES * 8 * 4)

// A process's view of the segments: pointers of its own.
struct view {
  const struct scene *s;
  const struct sphere *spheres;
  const uint32 *first, *refs;
  uint32 *picture;
};

static fix fmul(fix a, fix b) { return (a * b) >> FIX_BITS; }
static fix fdiv(fix a, fix b) { return a * ONE / b; }
static struct vec vadd(struct vec a, struct vec b) { return (struct vec){a.x + b.x, a.y + b.y, a.z + b.z}; }
static struct vec vsub(struct vec a, struct vec b) { return (struct vec){a.x - b.x, a.y - b.y, a.z - b.z}; }
static struct vec vscale(struct vec a, fix k) { return (struct vec){fmul(a.x, k), fmul(a.y, k), fmul(a.z, k)}; }
static fix dot(struct vec a, struct vec b) { return fmul(a.x, b.x) + fmul(a.y, b.y) + fmul(a.z, b.z); }

static uint64 isqrt(uint64 v) {
  uint64 r = 0, bit = 1UL << 62;
  while (bit > v)
    bit >>= 2;
  for (; bit; bit >>= 2) {
    if (v >= r + bit) {
      v -= r + bit;
      r = (r >> 1) + bit;
    } else {
      r >>= 1;
    }
  }
  return r;
}

static fix fsqrt(fix x) { return (fix)isqrt((uint64)x << FIX_BITS); }

static struct vec normalize(struct vec a) {
  fix len = fsqrt(dot(a, a));
  return (struct vec){fdiv(a.x, len), fdiv(a.y, len), fdiv(a.z, len)};
}

static int cell_of(fix v) {
  int c = (int)(v >> CELL_SHIFT);
  return c < 0 ? 0 : c >= GRID ? GRID - 1 : c;
}

// ---- the scene ----

static void build_scene(struct scene *s, int picture_key, int samples) {
  uint64 seed = 0x5ce4e;
  s->spheres = sizeof(struct scene);
  s->first = s->spheres + NSPHERES * sizeof(struct sphere);
  s->refs = s->first + (GRID * GRID * GRID + 1) * 4;
  s->picture_key = picture_key;
  s->picture_bytes = PICTURE_BYTES;
  s->width = WIDTH;
  s->height = HEIGHT;
  s->samples = samples;
  s->eye = (struct vec){32 * ONE, 32 * ONE, ONE / 2};
  s->light = normalize((struct vec){-ONE, 2 * ONE, -3 * ONE / 2});
  struct sphere *sp = (struct sphere *)((char *)s + s->spheres);
  uint32 *first = (uint32 *)((char *)s + s->first), *refs = (uint32 *)((char *)s + s->refs);
  for (int i = 0; i < NSPHERES; i++) {
    struct sphere *b = &sp[i];
    do { // radius 0.2 to 0.6, wholly inside the world and clear of the eye
      b->r = ONE / 5 + (fix)(rand64(&seed) % (2 * ONE / 5));
      fix span = 64 * ONE - 2 * b->r;
      b->c.x = b->r + (fix)(rand64(&seed) % span);
      b->c.y = b->r + (fix)(rand64(&seed) % span);
      b->c.z = b->r + (fix)(rand64(&seed) % span);
    } while (dot(vsub(b->c, s->eye), vsub(b->c, s->eye)) < 9 * ONE);
    b->r2 = fmul(b->r, b->r);
    uint64 rgb = rand64(&seed);
    b->color = (0x404040 | (uint32)rgb) & 0xffffff;
    b->mirror = rgb >> 61 == 0; // one in eight
  }
  // Cells hold the spheres whose bounding boxes touch them: count, place the ends, and fill
  // each cell downwards from its end, which leaves first[c] at its start.
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < NSPHERES; i++) {
      const struct sphere *b = &sp[i];
      int x0 = cell_of(b->c.x - b->r), x1 = cell_of(b->c.x + b->r), y0 = cell_of(b->c.y - b->r),
          y1 = cell_of(b->c.y + b->r), z0 = cell_of(b->c.z - b->r), z1 = cell_of(b->c.z + b->r);
      for (int z = z0; z <= z1; z++)
        for (int y = y0; y <= y1; y++)
          for (int x = x0; x <= x1; x++) {
            int c = x + GRID * (y + GRID * z);
            if (pass == 0)
              first[c]++;
            else
              refs[--first[c]] = i;
          }
    }
    if (pass == 0) {
      for (int c = 1; c <= GRID * GRID * GRID; c++)
        first[c] += first[c - 1];
    }
  }
  s->magic = SCENE_MAGIC;
}

// ---- tracing ----

// Distance along the ray (o, unit d) to sphere b, or -1 when it misses or lies behind.
static fix intersect(const struct sphere *b, struct vec o, struct vec d) {
  struct vec oc = vsub(o, b->c);
  fix p = dot(oc, d), q = dot(oc, oc) - b->r2;
  if (q > 0 && p > 0)
    return -1; // outside and moving away
  fix disc = fmul(p, p) - q;
  if (disc < 0)
    return -1;
  fix root = fsqrt(disc), t = -p - root;
  if (t <= EPS)
    t = -p + root;
  return t > EPS ? t : -1;
}

// The nearest sphere along the ray, by walking the grid cell by cell (Amanatides and Woo); its
// index and *t, or -1. A hit counts in a cell only if it lies before the cell's far side:
// one further away would belong to a later cell, where a nearer sphere may yet be.
static int nearest(const struct view *v, struct vec o, struct vec d, fix *t) {
  fix org[3] = {o.x, o.y, o.z}, dir[3] = {d.x, d.y, d.z}, next[3], delta[3];
  int cell[3], step[3];
  for (int a = 0; a < 3; a++) {
    cell[a] = cell_of(org[a]);
    fix lo = (fix)cell[a] << CELL_SHIFT, size = 1L << CELL_SHIFT;
    if (dir[a] > 0) {
      step[a] = 1;
      next[a] = fdiv(lo + size - org[a], dir[a]);
      delta[a] = fdiv(size, dir[a]);
    } else if (dir[a] < 0) {
      step[a] = -1;
      next[a] = fdiv(org[a] - lo, -dir[a]);
      delta[a] = fdiv(size, -dir[a]);
    } else {
      step[a] = 0;
      next[a] = delta[a] = FAR;
    }
  }
  for (;;) {
    int a = next[0] < next[1] ? (next[0] < next[2] ? 0 : 2) : (next[1] < next[2] ? 1 : 2);
    int c = cell[0] + GRID * (cell[1] + GRID * cell[2]), best = -1;
    fix bt = next[a];
    for (uint32 i = v->first[c]; i < v->first[c + 1]; i++) {
      fix h = intersect(&v->spheres[v->refs[i]], o, d);
      if (h > 0 && h <= bt) {
        bt = h;
        best = v->refs[i];
      }
    }
    if (best >= 0) {
      *t = bt;
      return best;
    }
    cell[a] += step[a];
    if (cell[a] < 0 || cell[a] >= GRID)
      return -1;
    next[a] += delta[a];
  }
}

static struct vec rgb(uint32 color) {
  return (struct vec){(fix)((color >> 16) & 0xff) << 8, (fix)((color >> 8) & 0xff) << 8, (fix)(color & 0xff) << 8};
}

// The light arriving along the ray (o, unit d), each channel 0 to ONE.
static struct vec trace(const struct view *v, struct vec o, struct vec d, int depth) {
  fix t;
  int i = nearest(v, o, d, &t);
  if (i < 0) { // the sky: lighter upwards
    fix k = (d.y + ONE) / 2;
    return (struct vec){ONE / 4 + k / 4, ONE / 3 + k / 3, ONE / 2 + k / 2};
  }
  const struct sphere *b = &v->spheres[i];
  struct vec p = vadd(o, vscale(d, t));
  struct vec n = vsub(p, b->c);
  n = (struct vec){fdiv(n.x, b->r), fdiv(n.y, b->r), fdiv(n.z, b->r)};
  struct vec lifted = vadd(p, vscale(n, 4 * EPS)); // off the surface, so as not to hit it again
  fix light = ONE / 5, lambert = dot(n, v->s->light);
  if (lambert > 0 && nearest(v, lifted, v->s->light, &t) < 0)
    light += fmul(lambert, ONE - ONE / 5);
  struct vec c = vscale(rgb(b->color), light);
  if (b->mirror && depth < MAXDEPTH) {
    struct vec r = normalize(vsub(d, vscale(n, 2 * dot(d, n))));
    c = vadd(vscale(c, ONE / 4), vscale(trace(v, lifted, r, depth + 1), 3 * ONE / 4));
  }
  return c;
}

static uint32 channel(fix c) { return c >= ONE ? 255 : c <= 0 ? 0 : (uint32)(c * 255 / ONE); }

// Pixel (x, y): the average of the samples' colours, as 0xffrrggbb (the alpha byte tells the
// master the pixel was written).
static uint32 render_pixel(const struct view *v, int x, int y) {
  const struct scene *s = v->s;
  int w = s->width, h = s->height, n = s->samples;
  struct vec sum = {0, 0, 0};
  for (int k = 0; k < n; k++) {
    // Sample k sits at ((2k+1)/2n, (2(7k mod n)+1)/2n) in the pixel: one per row and column.
    fix sx = (fix)x * 2 * n + 2 * k + 1, sy = (fix)y * 2 * n + 2 * (7 * k % n) + 1;
    fix half = 3 * ONE / 5; // of the view's width, at distance 1
    struct vec d = {(sx - (fix)w * n) * half / ((fix)w * n), ((fix)h * n - sy) * half / ((fix)w * n), ONE};
    sum = vadd(sum, trace(v, s->eye, normalize(d), 0));
  }
  return 0xff000000 | channel(sum.x / n) << 16 | channel(sum.y / n) << 8 | channel(sum.z / n);
}

static void render_row(const struct view *v, int y, uint32 *out) {
  for (int x = 0; x < v->s->width; x++)
    out[x] = render_pixel(v, x, y);
}

// The pixel of column x that the master renders again: a row's worth of pixels, from rows of
// every worker, so that the check costs one row and not a share of the picture.
static int checked_row(int x) { return (x * 29 + 5) % HEIGHT; }

// Attaches segment `key` (`bytes` long); 0 if it cannot.
static void *attach(int key, uint64 bytes) {
  long id = shmget(key, bytes);
  void *p = id < 0 ? 0 : shmat(id);
  return p && !shm_failed(p) ? p : 0;
}

// Finds the parts of scene s and attaches its picture.
static int view_of(struct view *v, const struct scene *s) {
  if (!s || s->magic != SCENE_MAGIC)
    return -1;
  v->s = s;
  v->spheres = (const struct sphere *)((const char *)s + s->spheres);
  v->first = (const uint32 *)((const char *)s + s->first);
  v->refs = (const uint32 *)((const char *)s + s->refs);
  v->picture = attach(s->picture_key, s->picture_bytes);
  return v->picture ? 0 : -1;
}

static void render_rows(const struct view *v, int index, int workers) {
  for (int y = index; y < v->s->height; y += workers)
    render_row(v, y, v->picture + y * v->s->width);
}

int rtworker(int argc, char **argv) {
  struct view v;
  if (argc != 5 || view_of(&v, attach(number(argv[1]), number(argv[2]))) < 0) {
    printf("rtworker: cannot attach the scene\n");
    return 1;
  }
  render_rows(&v, number(argv[3]), number(argv[4]));
  return 0;
}

int raytrace(int argc, char **argv) {
  long workers = option(argc, argv, "-p", 16), samples = option(argc, argv, "-s", 1);
  static long pids[256];
  if (workers < 0 || workers > (long)NELEM(pids) || samples < 1) {
    printf("raytrace: -p must be 0 to %d, -s at least 1\n", (int)NELEM(pids));
    return 2;
  }
  int key = 0x52540000 + 2 * (int)getpid(); // ours alone, while we run
  long scene_id = shmget(key, SCENE_BYTES), picture_id = shmget(key + 1, PICTURE_BYTES);
  struct scene *s = scene_id < 0 || picture_id < 0 ? 0 : shmat(scene_id);
  if (!s || shm_failed(s)) {
    printf("raytrace: no shared memory\n");
    return 1;
  }
  build_scene(s, key + 1, samples);
  struct view v;
  if (view_of(&v, s) < 0) {
    printf("raytrace: cannot attach the picture\n");
    return 1;
  }
  int failed = 0;
  for (long i = 0; i < workers; i++) {
    char k[24], bytes[24], index[24], count[24];
    char *args[] = {"rtworker", decimal(k, key), decimal(bytes, SCENE_BYTES), decimal(index, i), decimal(count, workers), 0};
    pids[i] = spawn("virt-user", args);
    if (pids[i] < 0) {
      printf("raytrace: cannot start worker %ld\n", i);
      failed = 1;
    }
  }
  if (workers == 0)
    render_rows(&v, 0, 1);
  for (long i = 0; i < workers; i++) {
    int status = -1;
    if (pids[i] >= 0 && (waitpid(pids[i], &status) < 0 || WEXITSTATUS(status) != 0))
      failed = 1;
  }
  // Every pixel written, and one pixel of every column equal to ours.
  int unwritten = 0, wrong = 0;
  for (int x = 0; x < WIDTH; x++)
    wrong += render_pixel(&v, x, checked_row(x)) != v.picture[checked_row(x) * WIDTH + x];
  uint64 sum = 0xcbf29ce484222325UL; // FNV-1a over the pixels
  for (int y = 0; y < HEIGHT; y++) {
    const uint32 *got = v.picture + y * WIDTH;
    for (int x = 0; x < WIDTH; x++) {
      unwritten += got[x] >> 24 == 0;
      sum = (sum ^ got[x]) * 0x100000001b3UL;
    }
  }
  shmrm(scene_id);
  shmrm(picture_id);
  failed |= unwritten != 0 || wrong != 0;
  printf("raytrace: %ld workers, %dx%d pixels, %ld rays a pixel, %d spheres (%lu KiB scene), %d unwritten, %d of %d "
         "pixels rendered again wrong, checksum 0x%lx\n",
         workers, WIDTH, HEIGHT, samples, NSPHERES, (uint64)(v.first[GRID * GRID * GRID] * 4 + v.s->refs) / 1024,
         unwritten, wrong, WIDTH, sum);
  printf("raytrace: %s\n", failed ? "FAIL" : "PASS");
  return failed;
}

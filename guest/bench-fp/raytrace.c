// A small Whitted ray tracer: five spheres over a checkered floor before a wall, two point
// lights with hard shadows, Lambert diffuse plus Blinn-Phong highlights, mirror reflections
// RT_MAX_DEPTH bounces deep, RT_SPP jittered samples a pixel, then exposure and gamma to 8 bits.
//
// Coordinates: y up, the camera looks along +z. Everything is double precision.
#include "bench-fp.h"

uint8 rt_image[RT_HEIGHT][RT_WIDTH][3];

// ---- vectors ----

struct vec {
  double x, y, z;
};

static inline struct vec v3(double x, double y, double z) { return (struct vec){x, y, z}; }
static inline struct vec add(struct vec a, struct vec b) { return v3(a.x + b.x, a.y + b.y, a.z + b.z); }
static inline struct vec sub(struct vec a, struct vec b) { return v3(a.x - b.x, a.y - b.y, a.z - b.z); }
static inline struct vec mul(struct vec a, struct vec b) { return v3(a.x * b.x, a.y * b.y, a.z * b.z); }
static inline struct vec scale(struct vec a, double s) { return v3(a.x * s, a.y * s, a.z * s); }
static inline struct vec madd(struct vec a, struct vec b, double s) { return add(a, scale(b, s)); }
static inline double dot(struct vec a, struct vec b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
static inline double len(struct vec a) { return sqrt(dot(a, a)); }
static inline struct vec norm(struct vec a) { return scale(a, 1.0 / len(a)); }
static inline struct vec cross(struct vec a, struct vec b) {
  return v3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x);
}

// ---- the scene ----

struct material {
  struct vec color, color2; // color2: the other squares of a checkerboard
  int checker;
  double diffuse, specular, shininess, reflect;
};

struct sphere {
  struct vec c;
  double r;
  int mat;
};

struct plane { // the points p with dot(n, p) = d
  struct vec n;
  double d;
  int mat;
};

struct light {
  struct vec pos, color;
};

enum { M_FLOOR, M_WALL, M_MIRROR, M_RED, M_GREEN, M_GOLD, M_BLUE };

static const struct material materials[] = {
  [M_FLOOR] = {{0.85, 0.85, 0.8}, {0.15, 0.15, 0.18}, 1, 0.9, 0.2, 30.0, 0.25},
  [M_WALL] = {{0.55, 0.6, 0.7}, {0}, 0, 0.8, 0.05, 8.0, 0.0},
  [M_MIRROR] = {{0.9, 0.92, 0.95}, {0}, 0, 0.25, 0.9, 120.0, 0.65},
  [M_RED] = {{0.85, 0.18, 0.12}, {0}, 0, 0.9, 0.5, 20.5, 0.1},
  [M_GREEN] = {{0.2, 0.75, 0.3}, {0}, 0, 0.85, 0.6, 45.0, 0.2},
  [M_GOLD] = {{0.95, 0.7, 0.25}, {0}, 0, 0.7, 0.8, 64.0, 0.35},
  [M_BLUE] = {{0.2, 0.35, 0.9}, {0}, 0, 0.9, 0.4, 16.0, 0.05},
};

static const struct sphere spheres[] = {
  {{0.0, 1.0, 0.5}, 1.0, M_MIRROR},
  {{-2.1, 0.7, 1.5}, 0.7, M_RED},
  {{1.9, 0.55, -0.3}, 0.55, M_GREEN},
  {{0.9, 0.3, -1.6}, 0.3, M_GOLD},
  {{-0.9, 0.25, -1.8}, 0.25, M_BLUE},
};

static const struct plane planes[] = {
  {{0.0, 1.0, 0.0}, 0.0, M_FLOOR},
  {{0.0, 0.0, -1.0}, -6.0, M_WALL}, // z = 6
};

static const struct light lights[] = {
  {{-4.0, 6.0, -3.0}, {0.9, 0.85, 0.8}},
  {{3.0, 4.5, -2.0}, {0.35, 0.4, 0.5}},
};

static const double AMBIENT = 0.08;
static const double EPS = 1e-6;   // offset of secondary rays from the surface
static const double FAR = 1e30;

struct hit {
  double t;
  struct vec p, n; // the point and the unit normal facing the ray
  int mat;
};

// ---- intersection ----

// The nearest t in (EPS, tmax) where o + t d meets the sphere; d is a unit vector.
static double hit_sphere(const struct sphere *s, struct vec o, struct vec d, double tmax) {
  struct vec oc = sub(o, s->c);
  double b = dot(oc, d);
  double disc = b * b - (dot(oc, oc) - s->r * s->r);
  if (disc < 0.0)
    return FAR;
  double q = sqrt(disc);
  double t = -b - q;
  if (t <= EPS)
    t = -b + q;
  return t > EPS && t < tmax ? t : FAR;
}

static double hit_plane(const struct plane *pl, struct vec o, struct vec d, double tmax) {
  double den = dot(pl->n, d);
  if (fabs(den) < 1e-12)
    return FAR;
  double t = (pl->d - dot(pl->n, o)) / den;
  return t > EPS && t < tmax ? t : FAR;
}

static int intersect(struct vec o, struct vec d, struct hit *h) {
  const struct sphere *bs = NULL;
  const struct plane *bp = NULL;
  double best = FAR;
  for (size_t i = 0; i < NELEM(spheres); i++) {
    double t = hit_sphere(&spheres[i], o, d, best);
    if (t < best)
      best = t, bs = &spheres[i], bp = NULL;
  }
  for (size_t i = 0; i < NELEM(planes); i++) {
    double t = hit_plane(&planes[i], o, d, best);
    if (t < best)
      best = t, bp = &planes[i], bs = NULL;
  }
  if (best == FAR)
    return 0;
  h->t = best;
  h->p = madd(o, d, best);
  h->n = bs ? scale(sub(h->p, bs->c), 1.0 / bs->r) : bp->n;
  h->mat = bs ? bs->mat : bp->mat;
  if (dot(h->n, d) > 0.0)
    h->n = scale(h->n, -1.0);
  return 1;
}

// Whether anything lies between o and o + dist d (a shadow ray).
static int occluded(struct vec o, struct vec d, double dist) {
  for (size_t i = 0; i < NELEM(spheres); i++)
    if (hit_sphere(&spheres[i], o, d, dist) < dist)
      return 1;
  for (size_t i = 0; i < NELEM(planes); i++)
    if (hit_plane(&planes[i], o, d, dist) < dist)
      return 1;
  return 0;
}

// ---- shading ----

static struct vec sky(struct vec d) {
  double t = 0.5 * (d.y + 1.0);
  return add(scale(v3(0.9, 0.85, 0.8), 1.0 - t), scale(v3(0.35, 0.55, 0.95), t));
}

static struct vec surface_color(const struct material *m, struct vec p) {
  if (!m->checker)
    return m->color;
  long cell = (long)floor(p.x * 1.25) + (long)floor(p.z * 1.25);
  return (cell & 1) ? m->color2 : m->color;
}

// Diffuse and specular light from one lamp at the hit, or nothing when it is in shadow.
static struct vec direct(const struct light *l, const struct material *m, struct vec base,
                         const struct hit *h, struct vec view) {
  struct vec tl = sub(l->pos, h->p);
  double dist = len(tl);
  struct vec ldir = scale(tl, 1.0 / dist);
  double ndl = dot(h->n, ldir);
  if (ndl <= 0.0 || occluded(madd(h->p, h->n, EPS), ldir, dist))
    return v3(0, 0, 0);
  double atten = 1.0 / (1.0 + 0.01 * dist * dist);
  struct vec half = norm(add(ldir, view));
  double spec = m->specular * pow(fmax(dot(h->n, half), 0.0), m->shininess);
  struct vec c = add(scale(base, m->diffuse * ndl), v3(spec, spec, spec));
  return scale(mul(c, l->color), atten);
}

static struct vec trace(struct vec o, struct vec d, int depth) {
  struct hit h;
  if (!intersect(o, d, &h))
    return sky(d);
  const struct material *m = &materials[h.mat];
  struct vec base = surface_color(m, h.p);
  struct vec view = scale(d, -1.0);
  struct vec c = scale(base, AMBIENT);
  for (size_t i = 0; i < NELEM(lights); i++)
    c = add(c, direct(&lights[i], m, base, &h, view));
  if (depth < RT_MAX_DEPTH && m->reflect > 0.0) {
    struct vec r = madd(d, h.n, -2.0 * dot(d, h.n));
    struct vec rc = trace(madd(h.p, h.n, EPS), r, depth + 1);
    c = add(scale(c, 1.0 - m->reflect), scale(rc, m->reflect));
  }
  return c;
}

// ---- camera and film ----

struct camera {
  struct vec eye, fwd, right, up;
  double half_w, half_h;
};

static struct camera make_camera(void) {
  struct camera cam;
  cam.eye = v3(0.0, 1.6, -5.5);
  cam.fwd = norm(sub(v3(0.0, 0.9, 0.0), cam.eye));
  cam.right = norm(cross(v3(0.0, 1.0, 0.0), cam.fwd));
  cam.up = cross(cam.fwd, cam.right);
  cam.half_h = tan(0.5 * 45.0 * PI / 180.0);
  cam.half_w = cam.half_h * RT_WIDTH / RT_HEIGHT;
  return cam;
}

// The primary ray through film position (fx, fy), both in [0, 1), (0, 0) the top left.
static struct vec primary(const struct camera *cam, double fx, double fy) {
  double u = (2.0 * fx - 1.0) * cam->half_w;
  double v = (1.0 - 2.0 * fy) * cam->half_h;
  return norm(add(cam->fwd, add(scale(cam->right, u), scale(cam->up, v))));
}

// Exposure (1 - e^-kx) then the display gamma, rounded to 8 bits.
static uint8 to_byte(double x) {
  double c = pow(1.0 - exp(-1.8 * x), 1.0 / 2.2);
  long b = lround_even(c * 255.0);
  return (uint8)(b < 0 ? 0 : b > 255 ? 255 : b);
}

static struct vec render_pixel(const struct camera *cam, int px, int py) {
  struct vec sum = v3(0, 0, 0);
  for (int sy = 0; sy < RT_GRID; sy++) {
    for (int sx = 0; sx < RT_GRID; sx++) {
      double fx = (px + (sx + rng_unit()) / RT_GRID) / RT_WIDTH;
      double fy = (py + (sy + rng_unit()) / RT_GRID) / RT_HEIGHT;
      sum = add(sum, trace(cam->eye, primary(cam, fx, fy), 0));
    }
  }
  return scale(sum, 1.0 / RT_SPP);
}

// ---- self-checks ----

static void check_geometry(const struct camera *cam) {
  struct hit h;
  // The ray through the middle of the film meets the mirror sphere, on its surface.
  CHECK(intersect(cam->eye, primary(cam, 0.5, 0.5), &h));
  CHECK(h.mat == M_MIRROR);
  CHECK(fabs(len(sub(h.p, spheres[0].c)) - spheres[0].r) < 1e-12);
  CHECK(fabs(len(h.n) - 1.0) < 1e-12);
  // The camera basis is orthonormal.
  CHECK(fabs(dot(cam->fwd, cam->right)) < 1e-15 && fabs(dot(cam->fwd, cam->up)) < 1e-15);
  CHECK(fabs(len(cam->up) - 1.0) < 1e-15);
  // A floor point under the red sphere is in its shadow looking up; one in the open is not.
  CHECK(occluded(v3(-2.1, EPS, 1.5), v3(0, 1, 0), 10.0));
  CHECK(!occluded(v3(2.5, EPS, -3.0), v3(0, 1, 0), 10.0));
  // A ray straight up from the camera sees the sky.
  CHECK(!intersect(cam->eye, v3(0, 1, 0), &h));
}

static void check_image(uint64 nonfinite) {
  int seen[256] = {0};
  int distinct = 0;
  for (int y = 0; y < RT_HEIGHT; y++)
    for (int x = 0; x < RT_WIDTH; x++)
      for (int c = 0; c < 3; c++)
        if (!seen[rt_image[y][x][c]]++)
          distinct++;
  CHECK(nonfinite == 0);
  CHECK(distinct > 128); // a picture, not a flat fill
  // The wall at the top left is bluish grey.
  CHECK(rt_image[0][0][2] > rt_image[0][0][0]);
}

// Renders rt_image; returns a hash of its bytes, sets *radiance (see bench-fp.h) and counts
// the pixels whose radiance is not finite in *nonfinite.
uint64 rt_render(uint64 *radiance, uint64 *nonfinite) {
  struct camera cam = make_camera();
  rng_seed(0x2545f4914f6cdd1dUL);
  uint64 hash = 0;
  *radiance = 0;
  *nonfinite = 0;
  for (int y = 0; y < RT_HEIGHT; y++) {
    double row = 0.0;
    for (int x = 0; x < RT_WIDTH; x++) {
      struct vec c = render_pixel(&cam, x, y);
      double s = c.x + c.y + c.z;
      if (!(s - s == 0.0))
        (*nonfinite)++;
      row += s;
      uint8 *px = rt_image[y][x];
      px[0] = to_byte(c.x), px[1] = to_byte(c.y), px[2] = to_byte(c.z);
      hash = mix(hash, (uint64)px[0] << 16 | (uint64)px[1] << 8 | px[2]);
    }
    *radiance = mix(*radiance, dbits(row));
  }
  return hash;
}

uint64 raytrace(uint64 *radiance) {
  test_begin("ray tracer");
  struct camera cam = make_camera();
  check_geometry(&cam);
  uint64 nonfinite;
  uint64 hash = rt_render(radiance, &nonfinite);
  check_image(nonfinite);
  test_end();
  return hash;
}

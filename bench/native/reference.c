// Native reference for the core suite: the same algorithms as the Wasm core, in
// plain C over a malloc'd arena, so the engine's numbers can be read side by side
// with what this machine does natively. Build: cc -O2 -o reference reference.c
// Not part of the package: the bench harness compiles it with the system C compiler
// when there is one (bench/native/reference.ts) and runs each case after the engine's.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t next_random(void) {
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

// Page tables live in an arena addressed by "physical" offsets, as in the engine.
static uint8_t *arena;
static uint64_t arena_next;
static uint64_t alloc_table(void) {
  uint64_t pa = arena_next;
  arena_next += 4096;
  memset(arena + pa, 0, 4096);
  return pa;
}
#define ENTRY(pa) (*(uint64_t *)(arena + (pa)))
#define ADDR_MASK 0x000FFFFFFFFFF000ull

static void map4k(uint64_t root, uint64_t iova, uint64_t pa) {
  uint64_t table = root;
  for (int level = 3; level > 0; level--) {
    uint64_t slot = table + (((iova >> (12 + 9 * level)) & 511) << 3);
    if (!(ENTRY(slot) & 1)) ENTRY(slot) = alloc_table() | 7;
    table = ENTRY(slot) & ADDR_MASK;
  }
  ENTRY(table + (((iova >> 12) & 511) << 3)) = pa | 3;
}

static uint64_t walk(uint64_t root, uint64_t iova, int *reads) {
  uint64_t table = root;
  for (int level = 3; level >= 0; level--) {
    uint64_t pte = ENTRY(table + (((iova >> (12 + 9 * level)) & 511) << 3));
    (*reads)++;
    if (!(pte & 1)) return ~0ull;
    if (level == 0 || (pte & 0x80)) return (pte & ADDR_MASK) | (iova & 0xFFF);
    table = pte & ADDR_MASK;
  }
  return ~0ull;
}

// Nested: every stage-1 table address and the output go through stage 2.
static uint64_t s2_root;
static uint64_t s2(uint64_t gpa, int *reads) { return walk(s2_root, gpa, reads); }
static uint64_t walk_nested(uint64_t root_gpa, uint64_t iova, int *reads) {
  uint64_t table = root_gpa;
  for (int level = 3; level >= 0; level--) {
    uint64_t entry_gpa = table + (((iova >> (12 + 9 * level)) & 511) << 3);
    uint64_t hpa = s2(entry_gpa, reads);
    uint64_t pte = ENTRY(hpa);
    (*reads)++;
    if (!(pte & 1)) return ~0ull;
    if (level == 0) return s2((pte & ADDR_MASK) | (iova & 0xFFF), reads);
    table = pte & ADDR_MASK;
  }
  return ~0ull;
}

// IOTLB: 4096 sets x 4 ways, 32-byte entries, LRU by move-to-front.
typedef struct { uint64_t key; uint32_t space, stamp; uint64_t value, aux; } entry_t;
#define SETS 4096
#define WAYS 4
static entry_t iotlb[SETS * WAYS];
static inline uint32_t set_of(uint64_t page) { return ((uint32_t)page ^ (uint32_t)(page >> 29)) & (SETS - 1); }
static int lookup(uint64_t iova, uint64_t *out) {
  uint64_t page = iova >> 12, key = page | (1ull << 63);
  entry_t *set = &iotlb[set_of(page) * WAYS];
  for (int w = 0; w < WAYS; w++) {
    if (set[w].key == key && set[w].space == 0) {
      entry_t hit = set[w];
      if (w) { memmove(set + 1, set, w * sizeof(entry_t)); set[0] = hit; }
      *out = (hit.value & ~0xFFFull) | (iova & 0xFFF);
      return 1;
    }
  }
  return 0;
}
static void fill(uint64_t iova, uint64_t pa) {
  uint64_t page = iova >> 12;
  entry_t *set = &iotlb[set_of(page) * WAYS];
  memmove(set + 1, set, (WAYS - 1) * sizeof(entry_t));
  set[0] = (entry_t){ page | (1ull << 63), 0, 1, pa & ~0xFFFull, 0 };
}

static uint64_t *random_pages(int n, int bits) {
  uint64_t *pages = malloc(n * sizeof(uint64_t));
  // Distinct by rejection against the table itself is costly; a simple open hash.
  size_t cap = 1; while (cap < (size_t)n * 4) cap <<= 1;
  uint64_t *seen = calloc(cap, sizeof(uint64_t));
  for (int i = 0; i < n;) {
    uint64_t p = (next_random() >> (64 - (bits - 12))) + 1;
    size_t h = (p * 0x9E3779B97F4A7C15ull) & (cap - 1);
    while (seen[h] && seen[h] != p) h = (h + 1) & (cap - 1);
    if (seen[h]) continue;
    seen[h] = p;
    pages[i++] = p - 1;
  }
  free(seen);
  return pages;
}

#define LOOKUPS (1 << 22)
static uint64_t *requests(uint64_t *pages, int n) {
  uint64_t *r = malloc(LOOKUPS * sizeof(uint64_t));
  for (int i = 0; i < LOOKUPS; i++) r[i] = (pages[next_random() % n] << 12) | (next_random() & 0xFF8);
  return r;
}

static volatile uint64_t sink = 0;
#define REPS 9
static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}
static void report(const char *name, double *ns, double extra, const char *extra_name) {
  qsort(ns, REPS, sizeof(double), compare_doubles);
  printf("{\"name\":\"%s\",\"nsPerOp\":%.2f,\"minNsPerOp\":%.2f,\"%s\":%.4f}\n", name, ns[REPS / 2], ns[0], extra_name, extra);
}

static void case_walk4(void) {
  int reads = 0;
  double ns[REPS];
  {
    arena_next = 4096;
    uint64_t root = alloc_table();
    uint64_t *pages = random_pages(262144, 34);
    for (int i = 0; i < 262144; i++) map4k(root, pages[i] << 12, (next_random() & 0x7FFFFFF000ull));
    uint64_t *req = requests(pages, 262144);
    for (int i = 0; i < LOOKUPS; i++) sink += walk(root, req[i], &reads);
    for (int r = 0; r < REPS; r++) {
      reads = 0;
      double t0 = now_ns();
      for (int i = 0; i < LOOKUPS; i++) sink += walk(root, req[i], &reads);
      ns[r] = (now_ns() - t0) / LOOKUPS;
    }
    report("walk4", ns, (double)reads / LOOKUPS, "pteReads");
    free(pages); free(req);
  }
}

static void case_hit(void) {
  int reads = 0;
  double ns[REPS];
  {
    arena_next = 4096;
    uint64_t root = alloc_table();
    uint64_t *pages = random_pages(8192, 34);
    for (int i = 0; i < 8192; i++) map4k(root, pages[i] << 12, (next_random() & 0x7FFFFFF000ull));
    uint64_t *req = requests(pages, 8192);
    memset(iotlb, 0, sizeof iotlb);
    for (int i = 0; i < 8192; i++) fill(pages[i] << 12, walk(root, pages[i] << 12, &reads));
    uint64_t out, hits = 0;
    for (int r = 0; r < REPS; r++) {
      hits = 0;
      double t0 = now_ns();
      for (int i = 0; i < LOOKUPS; i++) {
        if (lookup(req[i], &out)) { hits++; sink += out; }
        else { out = walk(root, req[i], &reads); fill(req[i], out); sink += out; }
      }
      ns[r] = (now_ns() - t0) / LOOKUPS;
    }
    report("hit", ns, (double)hits / LOOKUPS, "hitRate");
    free(pages); free(req);
  }
}

static void case_nested4x4(void) {
  int reads = 0;
  double ns[REPS];
  { // 1 GiB of guest RAM scattered 4 KiB by 4 KiB over host frames.
    arena_next = 4096;
    s2_root = alloc_table();
    uint64_t ram_pages = (1u << 30) >> 12;
    uint64_t *host = random_pages(ram_pages, 30);  // host frames inside the arena's first GiB
    // Tables of both stages come from the arena's second GiB.
    arena_next = 1ull << 30;
    for (uint64_t g = 0; g < ram_pages; g++) map4k(s2_root, g << 12, host[g] << 12);
    // Stage-1 tables: allocated as GPAs in the upper half of guest RAM; written through stage 2.
    uint64_t next_gpa = (ram_pages / 2) << 12;
    int dummy = 0;
    uint64_t root_gpa = next_gpa; next_gpa += 4096;
    memset(arena + s2(root_gpa, &dummy), 0, 4096);
    uint64_t *pages = random_pages(65536, 34);
    for (int i = 0; i < 65536; i++) {
      uint64_t iova = pages[i] << 12, table = root_gpa;
      for (int level = 3; level > 0; level--) {
        uint64_t slot = s2(table + (((iova >> (12 + 9 * level)) & 511) << 3), &dummy);
        if (!(ENTRY(slot) & 1)) { uint64_t t = next_gpa; next_gpa += 4096; memset(arena + s2(t, &dummy), 0, 4096); ENTRY(slot) = t | 7; }
        table = ENTRY(slot) & ADDR_MASK;
      }
      ENTRY(s2(table + (((iova >> 12) & 511) << 3), &dummy)) = ((next_random() % (ram_pages / 2)) << 12) | 3;
    }
    uint64_t *req = requests(pages, 65536);
    reads = 0;
    for (int i = 0; i < LOOKUPS / 4; i++) sink += walk_nested(root_gpa, req[i], &reads);
    for (int r = 0; r < REPS; r++) {
      reads = 0;
      double t0 = now_ns();
      for (int i = 0; i < LOOKUPS / 4; i++) sink += walk_nested(root_gpa, req[i], &reads);
      ns[r] = (now_ns() - t0) / (LOOKUPS / 4);
    }
    report("nested4x4", ns, (double)reads / (LOOKUPS / 4), "pteReads");
    free(host); free(pages); free(req);
  }
}

int main(int argc, char **argv) {
  arena = malloc((size_t)1 << 31);
  const char *which = argc > 1 ? argv[1] : "all";
  int all = !strcmp(which, "all");
  if (all || !strcmp(which, "hit")) { rng_state = 1; case_hit(); }
  if (all || !strcmp(which, "walk4")) { rng_state = 2; case_walk4(); }
  if (all || !strcmp(which, "nested4x4")) { rng_state = 3; case_nested4x4(); }
  return 0;
}

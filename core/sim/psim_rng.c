/*
 * plugsim: seeded random streams: SplitMix64 to derive and seed,
 * xoshiro256** to draw.  Both written from their published
 * descriptions (see plugsim/rng.h for the references).
 */
#include <string.h>

#include <plugsim/rng.h>

/* SplitMix64's increment: 2^64 / phi, rounded to odd. */
#define GOLDEN_GAMMA 0x9e3779b97f4a7c15ull
/* SplitMix64's output mixer: David Stafford's "Mix13" variant of the
 * MurmurHash3 finaliser, as SplitMix64 uses it. */
#define MIX_MUL1 0xbf58476d1ce4e5b9ull
#define MIX_MUL2 0x94d049bb133111ebull
/* 53 bits fill a double's significand exactly. */
#define DOUBLE_BITS 53
#define DOUBLE_UNIT (1.0 / 9007199254740992.0) /* 2^-53 */

enum { CHUNK = 8 };

static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * MIX_MUL1;
  z = (z ^ (z >> 27)) * MIX_MUL2;
  return z ^ (z >> 31);
}

uint64_t psim_splitmix64(uint64_t *x) { return mix64(*x += GOLDEN_GAMMA); }

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* Little-endian load of up to 8 bytes, zero-padded: the same key on
 * every host. */
static uint64_t load_le(const uint8_t *p, size_t n) {
  uint64_t v = 0;

  for (size_t i = 0; i < n; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/*
 * The stream key: the seed, then the label absorbed eight bytes at a
 * time, then its length, each step through the SplitMix64 mixer.  The
 * mixer is a bijection, so two labels that differ in one chunk differ
 * in the key, and the length step separates "a" from "a\0".
 */
static uint64_t stream_key(uint64_t seed, const uint8_t *label, size_t len) {
  uint64_t h = mix64(seed + GOLDEN_GAMMA);
  size_t off = 0;

  while (off < len) {
    size_t n = len - off < CHUNK ? len - off : CHUNK;

    h = mix64((h + GOLDEN_GAMMA) ^ load_le(label + off, n));
    off += n;
  }
  return mix64((h + GOLDEN_GAMMA) ^ (uint64_t)len);
}

void psim_rng_init_bytes(psim_rng *rng, uint64_t seed, const void *label, size_t len) {
  uint64_t x = stream_key(seed, label, label != NULL ? len : 0);

  /* xoshiro's authors: seed the state with SplitMix64 outputs. */
  for (int i = 0; i < 4; i++)
    rng->s[i] = psim_splitmix64(&x);
  /* The all-zero state is xoshiro's one fixed point.  Four consecutive
   * SplitMix64 outputs are never all zero in practice; make it never. */
  if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0)
    rng->s[0] = GOLDEN_GAMMA;
}

void psim_rng_init(psim_rng *rng, uint64_t seed, const char *label) {
  psim_rng_init_bytes(rng, seed, label, label != NULL ? strlen(label) : 0);
}

/* xoshiro256** (Blackman and Vigna 2021): the ** scrambler is
 * rotl(s1 * 5, 7) * 9 over the xoshiro256 linear engine. */
uint64_t psim_rng_u64(psim_rng *rng) {
  uint64_t *s = rng->s;
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

uint32_t psim_rng_u32(psim_rng *rng) { return (uint32_t)(psim_rng_u64(rng) >> 32); }

double psim_rng_double(psim_rng *rng) {
  return (double)(psim_rng_u64(rng) >> (64 - DOUBLE_BITS)) * DOUBLE_UNIT;
}

uint64_t psim_rng_below(psim_rng *rng, uint64_t n) {
  if (n == 0)
    return 0;
  if (n <= UINT32_MAX) {
    /* Lemire's method: the high word of x * n is uniform in [0, n)
     * once the products whose low word falls below 2^32 mod n are
     * rejected; the division happens only when a rejection is possible. */
    uint32_t bound = (uint32_t)n;
    uint64_t m = (uint64_t)psim_rng_u32(rng) * bound;
    uint32_t low = (uint32_t)m;

    if (low < bound) {
      uint32_t threshold = (uint32_t)(-bound) % bound;

      while (low < threshold) {
        m = (uint64_t)psim_rng_u32(rng) * bound;
        low = (uint32_t)m;
      }
    }
    return m >> 32;
  }
  /* Wider ranges: reject the 2^64 mod n smallest values, so the rest
   * split into equal classes modulo n. */
  {
    uint64_t threshold = (0 - n) % n, x;

    do
      x = psim_rng_u64(rng);
    while (x < threshold);
    return x % n;
  }
}

int psim_rng_bernoulli(psim_rng *rng, double p) { return psim_rng_double(rng) < p; }

/*
 * von Neumann's method (1951; Knuth, TAOCP vol. 2, 3.4.1): each round
 * draws uniforms while they keep decreasing, U1 >= U2 >= ... >= Un.  For
 * x in [0, 1] the chance that U1 <= x and the run is at least n long is
 * x^n / n!, so an odd n comes with probability 1 - e^-1 and then U1 has
 * the law of Exp(1) cut to [0, 1]; an even n (probability e^-1) moves on
 * to the next unit.  k + U1 is exactly Exp(1), from uniforms and
 * comparisons only: no logarithm, so libplugsim needs no libm (glibc's
 * libm alone makes a process about 300 KiB larger), and the result is
 * the same on every machine.  About 4.3 draws per value.
 */
double psim_rng_exponential(psim_rng *rng, double mean) {
  for (uint64_t k = 0;; k++) {
    double first = psim_rng_double(rng), prev = first, u;
    unsigned n = 1;

    while ((u = psim_rng_double(rng)) <= prev) {
      prev = u;
      n++;
    }
    if (n & 1)
      return mean * ((double)k + first);
  }
}

int psim_rand_fill(void *ctx, uint8_t *dest, size_t len) {
  psim_rng *rng = ctx;

  if (rng == NULL)
    return -1;
  while (len > 0) {
    uint64_t v = psim_rng_u64(rng);
    size_t n = len < CHUNK ? len : CHUNK;

    for (size_t i = 0; i < n; i++)
      dest[i] = (uint8_t)(v >> (8 * i));
    dest += n;
    len -= n;
  }
  return 0;
}

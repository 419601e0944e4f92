/*
 * plugsim: seeded random streams.
 *
 * Every consumer of randomness (each link direction's impairments, each
 * application, each host stack's ISN secret) draws from its own stream,
 * named by a label and derived from the run seed: stream = f(seed,
 * label).  Adding a link or an app therefore never changes the draws of
 * the others, and a run is reproducible from its seed alone (ns-3 gets
 * the same property from MRG32k3a substreams; here it comes from
 * hashing the label).
 *
 * The generator is xoshiro256** (D. Blackman, S. Vigna, "Scrambled
 * linear pseudorandom number generators", ACM TOMS 47(4), 2021): 256
 * bits of state, period 2^256 - 1, fast, and passing BigCrush.  Its
 * state is seeded, as its authors recommend, from SplitMix64 (G. Steele,
 * D. Lea, C. Flood, "Fast splittable pseudorandom number generators",
 * OOPSLA 2014) started at a 64-bit key hashed from (seed, label).
 *
 * Not for cryptography.  A psim_rng is a plain value the caller owns:
 * no allocation, copyable (a copy replays the same draws).
 */
#ifndef PLUGSIM_RNG_H
#define PLUGSIM_RNG_H

#include <plugsim/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A random stream: the xoshiro256** state.  Never all zero. */
typedef struct psim_rng {
  uint64_t s[4];
} psim_rng;

/**
 * psim_rng_init seeds |rng| as the stream named |label| (a NUL-
 * terminated string; NULL is the same as "") of the run |seed|.  The
 * same (seed, label) always gives the same stream; any other pair gives
 * an unrelated one, barring a 64-bit hash collision.  Labels are free
 * text; libplugsim's own follow "<object>:<detail>/<purpose>", e.g.
 * "link0:a->b/loss" (docs/simulator.md lists them).
 */
void psim_rng_init(psim_rng *rng, uint64_t seed, const char *label);

/** psim_rng_init_bytes is psim_rng_init with a label of |len| raw bytes. */
void psim_rng_init_bytes(psim_rng *rng, uint64_t seed, const void *label, size_t len);

/**
 * psim_splitmix64 advances the SplitMix64 state |*x| and returns its
 * next output.  Exposed for deriving further seeds (e.g. one per run of
 * a sweep) the same way the streams are seeded.
 */
uint64_t psim_splitmix64(uint64_t *x);

/** psim_rng_u64 returns the next 64 uniformly distributed bits. */
uint64_t psim_rng_u64(psim_rng *rng);

/** psim_rng_u32 returns 32 uniform bits (the high half of one draw). */
uint32_t psim_rng_u32(psim_rng *rng);

/**
 * psim_rng_double returns a uniform double in [0, 1): the top 53 bits of
 * one draw, scaled by 2^-53, so every value is a multiple of 2^-53.
 */
double psim_rng_double(psim_rng *rng);

/**
 * psim_rng_below returns an integer uniformly distributed in [0, |n|),
 * without modulo bias (D. Lemire, "Fast random integer generation in an
 * interval", ACM TOMACS 29(1), 2019, for |n| <= 2^32; rejection of the
 * short top range above that).  It usually consumes one draw and
 * occasionally more.  psim_rng_below(rng, 0) returns 0 without drawing.
 */
uint64_t psim_rng_below(psim_rng *rng, uint64_t n);

/**
 * psim_rng_bernoulli returns 1 with probability |p| and 0 otherwise:
 * 1 exactly when psim_rng_double() < p.  It always consumes exactly one
 * draw, whatever |p| is (p <= 0 or NaN: never 1; p >= 1: always 1), so
 * that for a given stream raising p only ever turns 0s into 1s.
 */
int psim_rng_bernoulli(psim_rng *rng, double p);

/**
 * psim_rng_exponential returns an exponentially distributed value with
 * mean |mean|, by von Neumann's method (uniforms and comparisons only,
 * the same result on every machine): about 4.3 draws per value.
 */
double psim_rng_exponential(psim_rng *rng, double mean);

/**
 * psim_rand_fill fills |len| bytes at |dest| from the stream |ctx| (a
 * psim_rng *), eight bytes per draw, least significant byte first.  It
 * has the type of ptcp_rand_fn, so a simulated stack can take a stream
 * as its randomness.  Returns 0, or -1 when |ctx| is NULL.
 */
int psim_rand_fill(void *ctx, uint8_t *dest, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* PLUGSIM_RNG_H */

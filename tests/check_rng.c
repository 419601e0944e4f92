/*
 * Tests for plugsim/rng.h.  The generators are checked against their
 * published reference outputs; stream derivation and the derived
 * distributions are pinned to exact values for fixed seeds (they are
 * deterministic, so an exact check cannot flake), and each statistic is
 * also checked against a loose range so that a pinned value that is
 * merely "stable" but wrong would still be caught.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plugsim/rng.h>

#include "sim_test_util.h"

Suite *psim_rng_suite(void);

#define NDRAWS 100000

START_TEST(test_rng_xoshiro_reference_vector) {
  /* Blackman and Vigna's reference xoshiro256starstar.c from the state
   * {1, 2, 3, 4} (the vector rand_xoshiro and others test against). */
  static const uint64_t want[] = {
      11520ull,
      0ull,
      1509978240ull,
      1215971899390074240ull,
      1216172134540287360ull,
      607988272756665600ull,
      16172922978634559625ull,
      8476171486693032832ull,
      10595114339597558777ull,
      2904607092377533576ull,
  };
  psim_rng r = {{1, 2, 3, 4}};

  for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
    ck_assert_uint_eq(psim_rng_u64(&r), want[i]);
}
END_TEST

START_TEST(test_rng_splitmix_reference_vector) {
  /* Vigna's reference splitmix64.c from the states 0 and 1234567. */
  static const uint64_t want0[] = {0xe220a8397b1dcdafull, 0x6e789e6aa1b965f4ull,
                                   0x06c45d188009454full, 0xf88bb8a8724c81ecull};
  static const uint64_t want1234567[] = {6457827717110365317ull, 3203168211198807973ull,
                                         9817491932198370423ull, 4593380528125082431ull,
                                         16408922859458223821ull};
  uint64_t x = 0;

  for (size_t i = 0; i < sizeof(want0) / sizeof(want0[0]); i++)
    ck_assert_uint_eq(psim_splitmix64(&x), want0[i]);
  x = 1234567;
  for (size_t i = 0; i < sizeof(want1234567) / sizeof(want1234567[0]); i++)
    ck_assert_uint_eq(psim_splitmix64(&x), want1234567[i]);
}
END_TEST

START_TEST(test_rng_same_seed_and_label_same_stream) {
  psim_rng a, b, c, d;

  psim_rng_init(&a, 42, "link0:a->b/loss");
  psim_rng_init(&b, 42, "link0:a->b/loss");
  /* Pinned: every simulation's results depend on these.  Changing the
   * derivation must be a deliberate, documented decision. */
  ck_assert_uint_eq(psim_rng_u64(&a), 0x9f34316960aca201ull);
  ck_assert_uint_eq(psim_rng_u64(&a), 0x81dce4da18f5a295ull);
  ck_assert_uint_eq(psim_rng_u64(&a), 0x20201b8e6512c086ull);
  for (int i = 0; i < 3; i++)
    (void)psim_rng_u64(&b);
  for (int i = 0; i < 1000; i++)
    ck_assert_uint_eq(psim_rng_u64(&a), psim_rng_u64(&b));
  /* NULL and "" name the same stream; the raw-bytes form agrees. */
  psim_rng_init(&c, 1, NULL);
  psim_rng_init(&d, 1, "");
  ck_assert_uint_eq(psim_rng_u64(&c), 0x6082e9993631e7d5ull);
  ck_assert_uint_eq(psim_rng_u64(&d), 0x6082e9993631e7d5ull);
  psim_rng_init(&c, 9, "abc");
  psim_rng_init_bytes(&d, 9, "abc", 3);
  ck_assert_mem_eq(&c, &d, sizeof(c));
  /* A copy replays the same draws. */
  c = a;
  ck_assert_uint_eq(psim_rng_u64(&c), psim_rng_u64(&a));
}
END_TEST

START_TEST(test_rng_labels_and_seeds_differ) {
  enum { NLABELS = 2000 };
  static uint64_t first[NLABELS];
  psim_rng a, b;
  char label[32];

  psim_rng_init(&a, 42, "link0:a->b");
  psim_rng_init(&b, 42, "link0:b->a");
  ck_assert_uint_ne(psim_rng_u64(&a), psim_rng_u64(&b));
  psim_rng_init(&a, 42, "x");
  psim_rng_init(&b, 43, "x");
  ck_assert_uint_ne(psim_rng_u64(&a), psim_rng_u64(&b));
  /* The length is part of the key: "a" and "a\0" differ. */
  psim_rng_init_bytes(&a, 5, "a", 1);
  psim_rng_init_bytes(&b, 5, "a\0", 2);
  ck_assert_uint_ne(psim_rng_u64(&a), psim_rng_u64(&b));
  /* Labels longer than one 8-byte chunk that differ only at the end. */
  psim_rng_init(&a, 5, "host-0123456789:app/bulk0");
  psim_rng_init(&b, 5, "host-0123456789:app/bulk1");
  ck_assert_uint_ne(psim_rng_u64(&a), psim_rng_u64(&b));
  /* Many similar labels: all first draws distinct. */
  for (int i = 0; i < NLABELS; i++) {
    snprintf(label, sizeof(label), "link%d:a->b", i);
    psim_rng_init(&a, 1, label);
    first[i] = psim_rng_u64(&a);
    for (int j = 0; j < i; j++)
      ck_assert_uint_ne(first[i], first[j]);
  }
}
END_TEST

START_TEST(test_rng_streams_are_independent) {
  psim_rng a, b, alone;
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, r;
  long same_bits = 0;

  /* Drawing from another stream does not disturb this one. */
  psim_rng_init(&alone, 3, "link0:a->b/loss");
  psim_rng_init(&a, 3, "link0:a->b/loss");
  psim_rng_init(&b, 3, "link0:b->a/loss");
  for (int i = 0; i < NDRAWS; i++) {
    uint64_t x = psim_rng_u64(&a), y = psim_rng_u64(&b);
    double u = (double)(x >> 11) / 9007199254740992.0;
    double v = (double)(y >> 11) / 9007199254740992.0;

    ck_assert_uint_eq(x, psim_rng_u64(&alone));
    same_bits += 64 - __builtin_popcountll(x ^ y);
    sa += u;
    sb += v;
    saa += u * u;
    sbb += v * v;
    sab += u * v;
  }
  /* Two sibling streams are uncorrelated: Pearson's r is ~N(0, 1/n),
   * sd 0.0032 here; and their bits agree half the time (sd 0.0002). */
  r = (NDRAWS * sab - sa * sb) /
      sqrt((NDRAWS * saa - sa * sa) * (NDRAWS * sbb - sb * sb));
  ck_assert_double_lt(fabs(r), 0.02);
  ck_assert_double_lt(fabs((double)same_bits / (64.0 * NDRAWS) - 0.5), 0.002);
}
END_TEST

START_TEST(test_rng_below_range_and_bias) {
  psim_rng r, before;
  long count[3] = {0, 0, 0};
  long low = 0;
  const uint64_t n_biased = 3ull << 30;

  psim_rng_init(&r, 7, "below");
  for (int i = 0; i < NDRAWS; i++) {
    uint64_t x = psim_rng_below(&r, 3);

    ck_assert_uint_lt(x, 3);
    count[x]++;
  }
  /* Pinned, and within 5 sd (sd = sqrt(n p (1-p)) = 149) of n/3. */
  ck_assert_int_eq(count[0], 33220);
  ck_assert_int_eq(count[1], 33267);
  ck_assert_int_eq(count[2], 33513);
  for (int i = 0; i < 3; i++)
    ck_assert_int_lt(labs(count[i] - NDRAWS / 3), 750);
  /* n = 3 * 2^30: plain "x % n" on 32 bits would put half of the draws
   * in [0, 2^30) instead of a third. */
  for (int i = 0; i < NDRAWS; i++) {
    uint64_t x = psim_rng_below(&r, n_biased);

    ck_assert_uint_lt(x, n_biased);
    low += x < (1ull << 30);
  }
  ck_assert_int_lt(labs(low - NDRAWS / 3), 750);
  /* Edges: 1 gives 0; 0 gives 0 without drawing; wide ranges stay in
   * range, including one where half the 64-bit values are rejected. */
  for (int i = 0; i < 100; i++)
    ck_assert_uint_eq(psim_rng_below(&r, 1), 0);
  before = r;
  ck_assert_uint_eq(psim_rng_below(&r, 0), 0);
  ck_assert_mem_eq(&before, &r, sizeof(r));
  for (int i = 0; i < 1000; i++) {
    ck_assert_uint_lt(psim_rng_below(&r, (1ull << 63) + 1), (1ull << 63) + 1);
    ck_assert_uint_lt(psim_rng_below(&r, UINT64_MAX), UINT64_MAX);
    ck_assert_uint_lt(psim_rng_below(&r, (uint64_t)UINT32_MAX + 1),
                      (uint64_t)UINT32_MAX + 1);
  }
}
END_TEST

START_TEST(test_rng_double_range_and_mean) {
  psim_rng r;
  double sum = 0;

  psim_rng_init(&r, 11, "double");
  for (int i = 0; i < NDRAWS; i++) {
    double u = psim_rng_double(&r);

    ck_assert(u >= 0.0 && u < 1.0);
    sum += u;
  }
  /* sd of the mean: sqrt(1/12 / n) = 0.0009. */
  ck_assert_double_lt(fabs(sum / NDRAWS - 0.5), 0.005);
}
END_TEST

START_TEST(test_rng_bernoulli_rate) {
  psim_rng r, lo, hi, plain;
  int c = 0;

  psim_rng_init(&r, 7, "bern");
  for (int i = 0; i < NDRAWS; i++)
    c += psim_rng_bernoulli(&r, 0.1);
  /* Pinned, and within 5 sd (sqrt(n p (1-p)) = 95) of n p. */
  ck_assert_int_eq(c, 9914);
  ck_assert_int_lt(abs(c - NDRAWS / 10), 475);
  psim_rng_init(&r, 7, "bern");
  c = 0;
  for (int i = 0; i < NDRAWS; i++)
    c += psim_rng_bernoulli(&r, 0.01);
  ck_assert_int_eq(c, 1003);
  ck_assert_int_lt(abs(c - NDRAWS / 100), 160);
  /* p = 0, NaN and 1 still consume one draw each. */
  psim_rng_init(&r, 7, "edge");
  psim_rng_init(&plain, 7, "edge");
  for (int i = 0; i < 1000; i++) {
    ck_assert_int_eq(psim_rng_bernoulli(&r, 0.0), 0);
    ck_assert_int_eq(psim_rng_bernoulli(&r, NAN), 0);
    ck_assert_int_eq(psim_rng_bernoulli(&r, 1.0), 1);
    ck_assert_int_eq(psim_rng_bernoulli(&r, -3.0), 0);
    for (int k = 0; k < 4; k++)
      (void)psim_rng_u64(&plain);
  }
  ck_assert_mem_eq(&r, &plain, sizeof(r));
  /* Coupling: on one stream, every success at p = 0.05 is one at 0.1. */
  psim_rng_init(&lo, 8, "couple");
  psim_rng_init(&hi, 8, "couple");
  for (int i = 0; i < NDRAWS; i++) {
    int a = psim_rng_bernoulli(&lo, 0.05), b = psim_rng_bernoulli(&hi, 0.1);

    ck_assert(!a || b);
  }
}
END_TEST

START_TEST(test_rng_exponential_mean) {
  psim_rng r;
  double sum = 0;

  psim_rng_init(&r, 13, "exp");
  for (int i = 0; i < NDRAWS; i++) {
    double x = psim_rng_exponential(&r, 2.0);

    ck_assert(x >= 0.0 && isfinite(x));
    sum += x;
  }
  /* sd of the mean: 2 / sqrt(n) = 0.0063. */
  ck_assert_double_lt(fabs(sum / NDRAWS - 2.0), 0.04);
}
END_TEST

START_TEST(test_rng_exponential_tails) {
  /* P(X > t) = e^(-t / mean): checked where von Neumann's rounds change
   * (every whole multiple of the mean) and in between.  The bounds are
   * more than six standard deviations wide (sd <= 0.0016 here). */
  static const struct {
    double t, p;
  } pts[] = {{0.5, 0.60653066}, {1.0, 0.36787944}, {2.0, 0.13533528}, {3.0, 0.04978707}};
  int above[4] = {0};
  psim_rng r;

  psim_rng_init(&r, 17, "exp-tail");
  for (int i = 0; i < NDRAWS; i++) {
    double x = psim_rng_exponential(&r, 1.0);

    for (int k = 0; k < 4; k++)
      above[k] += x > pts[k].t;
  }
  for (int k = 0; k < 4; k++)
    ck_assert_double_lt(fabs((double)above[k] / NDRAWS - pts[k].p), 0.01);
}
END_TEST

START_TEST(test_rng_rand_fill) {
  ptcp_rand_fn fn = psim_rand_fill;
  psim_rng r, ref;
  uint8_t buf[13];
  uint64_t v;

  psim_rng_init(&r, 21, "isn");
  ref = r;
  memset(buf, 0xee, sizeof(buf));
  ck_assert_int_eq(fn(&r, buf, sizeof(buf)), 0);
  /* Eight bytes per draw, least significant first; the tail of the
   * second draw is discarded. */
  v = psim_rng_u64(&ref);
  for (int i = 0; i < 8; i++)
    ck_assert_uint_eq(buf[i], (uint8_t)(v >> (8 * i)));
  v = psim_rng_u64(&ref);
  for (int i = 8; i < 13; i++)
    ck_assert_uint_eq(buf[i], (uint8_t)(v >> (8 * (i - 8))));
  ck_assert_mem_eq(&r, &ref, sizeof(r));
  ck_assert_int_eq(fn(&r, buf, 0), 0);
  ck_assert_int_eq(fn(NULL, buf, sizeof(buf)), -1);
}
END_TEST

Suite *psim_rng_suite(void) {
  Suite *s = suite_create("rng");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_rng_xoshiro_reference_vector);
  tcase_add_test(tc, test_rng_splitmix_reference_vector);
  tcase_add_test(tc, test_rng_same_seed_and_label_same_stream);
  tcase_add_test(tc, test_rng_labels_and_seeds_differ);
  tcase_add_test(tc, test_rng_streams_are_independent);
  tcase_add_test(tc, test_rng_below_range_and_bias);
  tcase_add_test(tc, test_rng_double_range_and_mean);
  tcase_add_test(tc, test_rng_bernoulli_rate);
  tcase_add_test(tc, test_rng_exponential_mean);
  tcase_add_test(tc, test_rng_exponential_tails);
  tcase_add_test(tc, test_rng_rand_fill);
  suite_add_tcase(s, tc);
  return s;
}

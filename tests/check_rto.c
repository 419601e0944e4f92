/*
 * Tests for the rto slot: "rfc6298" against values computed by hand from
 * RFC 6298 §2 for a sample sequence (initial value, clamps, backoff and
 * its cap, Karn's rule, extreme samples, the collapse after backoff), and
 * "fixed".  Every call states its simulated time.
 */
#include <check.h>

#include <plugtcp/policy.h>

#include "policy_test_helper.h"

Suite *ptcp_rto_suite(void);

#define MS PTCP_MILLISECONDS
#define S PTCP_SECONDS

typedef struct rto_fixture {
  ptcp_policy_sel sel;
  const ptcp_rto_ops *ops;
  policy_state st;
} rto_fixture;

static void rto_setup(rto_fixture *f, const char *spec, ptcp_time now) {
  f->sel = policy_select(PTCP_SLOT_RTO, spec);
  f->ops = (const ptcp_rto_ops *)f->sel.ops;
  policy_state_zero(&f->st, f->sel.ops);
  ck_assert_int_eq(f->ops->init(&f->st, f->sel.params, now), 0);
}

static ptcp_duration rto_of(const rto_fixture *f) {
  return f->ops->rto(&f->st, f->sel.params);
}

static ptcp_duration srtt_of(const rto_fixture *f) {
  ck_assert_ptr_nonnull(f->ops->srtt);
  return f->ops->srtt(&f->st);
}

/* A sample of |rtt| measured at |now| on a segment sent once. */
static void sample(rto_fixture *f, ptcp_duration rtt, ptcp_time now) {
  ptcp_rtt_sample s = {.rtt = rtt, .now = now, .from_timestamp = 0, .retransmitted = 0};

  f->ops->on_rtt_sample(&f->st, f->sel.params, &s);
}

static void sample_ex(rto_fixture *f, ptcp_duration rtt, ptcp_time now, int retransmitted,
                      int from_timestamp) {
  ptcp_rtt_sample s = {.rtt = rtt,
                       .now = now,
                       .from_timestamp = (uint8_t)from_timestamp,
                       .retransmitted = (uint8_t)retransmitted};

  f->ops->on_rtt_sample(&f->st, f->sel.params, &s);
}

static void timeout(rto_fixture *f, ptcp_time now) {
  f->ops->on_timeout(&f->st, f->sel.params, now);
}

/* ------------------------------------------------------------------ */
/* rfc6298                                                             */

START_TEST(test_rfc6298_initial) {
  rto_fixture f;

  /* §2.1: before any sample RTO is 1 s, and SRTT is unknown. */
  rto_setup(&f, "rfc6298", 0);
  ck_assert_uint_eq(rto_of(&f), 1 * S);
  ck_assert_uint_eq(srtt_of(&f), PTCP_TIME_NONE);

  rto_setup(&f, "rfc6298:initial=3s", 0);
  ck_assert_uint_eq(rto_of(&f), 3 * S);
  /* The initial value is clamped like any other: max wins. */
  rto_setup(&f, "rfc6298:initial=3s,max=2s", 0);
  ck_assert_uint_eq(rto_of(&f), 2 * S);
  rto_setup(&f, "rfc6298:initial=100ms", 0);
  ck_assert_uint_eq(rto_of(&f), 1 * S);
}
END_TEST

START_TEST(test_rfc6298_first_sample) {
  rto_fixture f;

  /* §2.2: SRTT = R, RTTVAR = R/2, RTO = SRTT + max(G, 4 RTTVAR)
   * = 100 + 200 = 300 ms, below the 1 s minimum of §2.4. */
  rto_setup(&f, "rfc6298", 0);
  sample(&f, 100 * MS, 100 * MS);
  ck_assert_uint_eq(srtt_of(&f), 100 * MS);
  ck_assert_uint_eq(rto_of(&f), 1 * S);

  rto_setup(&f, "rfc6298:min=1ms", 0);
  sample(&f, 100 * MS, 100 * MS);
  ck_assert_uint_eq(rto_of(&f), 300 * MS);
}
END_TEST

START_TEST(test_rfc6298_sample_sequence) {
  rto_fixture f;

  /* By hand, in ns, alpha = 1/8, beta = 1/4, RTTVAR before SRTT:
   *   R=100ms  SRTT 100000000  RTTVAR 50000000   RTO 300000000
   *   R=120ms  RTTVAR (3*50e6 + |100e6-120e6|)/4        = 42500000
   *            SRTT   (7*100e6 + 120e6)/8                = 102500000
   *            RTO    102500000 + 4*42500000             = 272500000
   *   R=80ms   RTTVAR (3*42.5e6 + |102.5e6-80e6|)/4      = 37500000
   *            SRTT   (7*102.5e6 + 80e6)/8               = 99687500
   *            RTO    99687500 + 150000000               = 249687500
   *   R=200ms  RTTVAR (3*37.5e6 + 100312500)/4           = 53203125
   *            SRTT   (7*99687500 + 200e6)/8 = 112226562.5 -> 112226562
   *            RTO    112226562 + 212812500              = 325039062
   * Updating SRTT first would give RTTVAR 41875000 at the second step. */
  rto_setup(&f, "rfc6298:min=1ms", 0);
  sample(&f, 100 * MS, 1 * S);
  ck_assert_uint_eq(srtt_of(&f), 100000000);
  ck_assert_uint_eq(rto_of(&f), 300000000);
  sample(&f, 120 * MS, 2 * S);
  ck_assert_uint_eq(srtt_of(&f), 102500000);
  ck_assert_uint_eq(rto_of(&f), 272500000);
  sample(&f, 80 * MS, 3 * S);
  ck_assert_uint_eq(srtt_of(&f), 99687500);
  ck_assert_uint_eq(rto_of(&f), 249687500);
  sample(&f, 200 * MS, 4 * S);
  ck_assert_uint_eq(srtt_of(&f), 112226562);
  ck_assert_uint_eq(rto_of(&f), 325039062);
}
END_TEST

START_TEST(test_rfc6298_granularity) {
  rto_fixture f;

  /* §2.3: RTO = SRTT + max(G, 4 RTTVAR).  With G = 1 s the clock term
   * dominates: 100 ms + 1 s. */
  rto_setup(&f, "rfc6298:min=1ms,granularity=1s", 0);
  sample(&f, 100 * MS, 100 * MS);
  ck_assert_uint_eq(rto_of(&f), 1100 * MS);
  /* With G = 0 and a constant RTT, RTTVAR decays: 50, 37.5, 28.125 ms. */
  rto_setup(&f, "rfc6298:min=1ms,granularity=0", 0);
  sample(&f, 100 * MS, 100 * MS);
  sample(&f, 100 * MS, 200 * MS);
  sample(&f, 100 * MS, 300 * MS);
  ck_assert_uint_eq(rto_of(&f), 100 * MS + 4 * 28125000);
}
END_TEST

START_TEST(test_rfc6298_clamps) {
  rto_fixture f;

  /* §2.4 minimum: a 1 ms path still gets 1 s. */
  rto_setup(&f, "rfc6298", 0);
  sample(&f, 1 * MS, 1 * MS);
  ck_assert_uint_eq(rto_of(&f), 1 * S);
  /* §2.5 maximum: 50 s + 4 * 25 s = 150 s, capped at 60 s. */
  rto_setup(&f, "rfc6298", 0);
  sample(&f, 50 * S, 50 * S);
  ck_assert_uint_eq(srtt_of(&f), 50 * S);
  ck_assert_uint_eq(rto_of(&f), 60 * S);
  /* A lower minimum, Linux-like. */
  rto_setup(&f, "rfc6298:min=200ms", 0);
  sample(&f, 10 * MS, 10 * MS);
  ck_assert_uint_eq(rto_of(&f), 200 * MS);
}
END_TEST

START_TEST(test_rfc6298_backoff) {
  static const ptcp_duration want[] = {1 * S,  2 * S,  4 * S,  8 * S,
                                       16 * S, 32 * S, 60 * S, 60 * S};
  rto_fixture f;
  size_t i;
  ptcp_time now = 0;

  /* §5.5: each expiry doubles RTO, up to the §2.5 maximum. */
  rto_setup(&f, "rfc6298", now);
  for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    ck_assert_uint_eq(rto_of(&f), want[i]);
    now += rto_of(&f);
    timeout(&f, now);
  }

  /* At most backoff_cap doublings. */
  rto_setup(&f, "rfc6298:backoff_cap=2", 0);
  timeout(&f, 1 * S);
  ck_assert_uint_eq(rto_of(&f), 2 * S);
  timeout(&f, 3 * S);
  ck_assert_uint_eq(rto_of(&f), 4 * S);
  timeout(&f, 7 * S);
  ck_assert_uint_eq(rto_of(&f), 4 * S);
  timeout(&f, 11 * S);
  ck_assert_uint_eq(rto_of(&f), 4 * S);

  /* backoff_cap=0: no backoff at all. */
  rto_setup(&f, "rfc6298:backoff_cap=0", 0);
  timeout(&f, 1 * S);
  ck_assert_uint_eq(rto_of(&f), 1 * S);

  /* The largest cap (64 doublings) and the largest max: 1 s * 2^10 is
   * already past 600 s, so 200 timeouts end at max, with no overflow. */
  rto_setup(&f, "rfc6298:max=600s,backoff_cap=64", 0);
  for (i = 0; i < 200; i++)
    timeout(&f, (ptcp_time)i * S);
  ck_assert_uint_eq(rto_of(&f), 600 * S);
}
END_TEST

START_TEST(test_rfc6298_karn) {
  rto_fixture f;

  rto_setup(&f, "rfc6298:min=1ms", 0);
  sample(&f, 100 * MS, 100 * MS);
  ck_assert_uint_eq(rto_of(&f), 300 * MS);
  /* §3 / RFC 9293 MUST-18: a sample from a retransmitted segment is
   * ambiguous: ignored. */
  sample_ex(&f, 5 * S, 6 * S, 1, 0);
  ck_assert_uint_eq(srtt_of(&f), 100 * MS);
  ck_assert_uint_eq(rto_of(&f), 300 * MS);
  /* ... unless timestamps tell the copies apart (RFC 7323 §4.1):
   * RTTVAR (3*50 + 100)/4 = 62.5 ms, SRTT (700 + 200)/8 = 112.5 ms. */
  sample_ex(&f, 200 * MS, 7 * S, 1, 1);
  ck_assert_uint_eq(srtt_of(&f), 112500000);
  ck_assert_uint_eq(rto_of(&f), 112500000 + 4 * 62500000);
  /* A timestamped sample of a segment sent once is a sample too. */
  sample_ex(&f, 112500000, 8 * S, 0, 1);
  ck_assert_uint_eq(srtt_of(&f), 112500000);

  /* Karn's backoff: the backed-off RTO stays until a valid sample. */
  rto_setup(&f, "rfc6298:min=1ms", 0);
  sample(&f, 100 * MS, 100 * MS);
  timeout(&f, 400 * MS);
  ck_assert_uint_eq(rto_of(&f), 600 * MS);
  sample_ex(&f, 700 * MS, 1100 * MS, 1, 0);
  ck_assert_uint_eq(rto_of(&f), 600 * MS);
}
END_TEST

START_TEST(test_rfc6298_recompute_after_backoff) {
  rto_fixture f;

  /* §5.7: after backing off 300 ms -> 2.4 s, a valid sample recomputes
   * RTO from SRTT and RTTVAR: RTTVAR (3*50 + 0)/4 = 37.5 ms, SRTT 100 ms,
   * RTO 100 + 150 = 250 ms. */
  rto_setup(&f, "rfc6298:min=1ms", 0);
  sample(&f, 100 * MS, 100 * MS);
  timeout(&f, 400 * MS);
  timeout(&f, 1000 * MS);
  timeout(&f, 2200 * MS);
  ck_assert_uint_eq(rto_of(&f), 2400 * MS);
  sample(&f, 100 * MS, 4600 * MS);
  ck_assert_uint_eq(rto_of(&f), 250 * MS);
  /* And backoff starts again from there. */
  timeout(&f, 4850 * MS);
  ck_assert_uint_eq(rto_of(&f), 500 * MS);
}
END_TEST

START_TEST(test_rfc6298_extreme_samples) {
  static const ptcp_duration huge[] = {
      UINT64_MAX, PTCP_TIME_NONE - 1, UINT64_MAX / 3, 1ULL << 62, 700 * S,
  };
  rto_fixture f;
  size_t i;
  int k;

  /* hardening B28: enormous samples must not overflow.  They are taken
   * as 10 minutes, so SRTT stays 600 s and RTO sits at max. */
  for (i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
    rto_setup(&f, "rfc6298", 0);
    for (k = 0; k < 20; k++) {
      sample(&f, huge[i], (ptcp_time)k * S);
      ck_assert_uint_eq(srtt_of(&f), 600 * S);
      ck_assert_uint_eq(rto_of(&f), 60 * S);
    }
    rto_setup(&f, "rfc6298:max=600s", 0);
    sample(&f, huge[i], 0);
    ck_assert_uint_eq(rto_of(&f), 600 * S);
    timeout(&f, 600 * S);
    ck_assert_uint_eq(rto_of(&f), 600 * S);
  }
  /* Alternating extremes: the variance term stays bounded too. */
  rto_setup(&f, "rfc6298:min=1ms,max=600s", 0);
  for (k = 0; k < 100; k++) {
    sample(&f, (k & 1) ? UINT64_MAX : 0, (ptcp_time)k * S);
    ck_assert_uint_ge(rto_of(&f), 1 * MS);
    ck_assert_uint_le(rto_of(&f), 600 * S);
  }
  /* A zero RTT (same-host): RTO = 0 + max(G, 0) = G = 1 ms. */
  rto_setup(&f, "rfc6298:min=1ms", 0);
  sample(&f, 0, 0);
  ck_assert_uint_eq(srtt_of(&f), 0);
  ck_assert_uint_eq(rto_of(&f), 1 * MS);
}
END_TEST

/* ------------------------------------------------------------------ */
/* fixed                                                               */

START_TEST(test_fixed_default) {
  rto_fixture f;

  rto_setup(&f, "fixed", 0);
  ck_assert_uint_eq(rto_of(&f), 1 * S);
  /* RTT samples change nothing. */
  sample(&f, 10 * MS, 10 * MS);
  sample(&f, 30 * S, 31 * S);
  ck_assert_uint_eq(rto_of(&f), 1 * S);
  ck_assert_ptr_null(f.ops->srtt);
}
END_TEST

START_TEST(test_fixed_backoff) {
  static const ptcp_duration want[] = {200 * MS, 400 * MS, 800 * MS, 1600 * MS,
                                       2 * S,    2 * S,    2 * S};
  rto_fixture f;
  size_t i;
  ptcp_time now = 0;

  rto_setup(&f, "fixed:rto=200ms,max=2s", now);
  for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    ck_assert_uint_eq(rto_of(&f), want[i]);
    now += rto_of(&f);
    timeout(&f, now);
  }
  /* An ambiguous sample (Karn) keeps the backoff; a valid one ends it. */
  sample_ex(&f, 10 * MS, now + 10 * MS, 1, 0);
  ck_assert_uint_eq(rto_of(&f), 2 * S);
  sample(&f, 10 * MS, now + 20 * MS);
  ck_assert_uint_eq(rto_of(&f), 200 * MS);

  /* backoff=off: the same value every time. */
  rto_setup(&f, "fixed:rto=200ms,backoff=off", 0);
  for (i = 0; i < 10; i++) {
    timeout(&f, (ptcp_time)(i + 1) * 200 * MS);
    ck_assert_uint_eq(rto_of(&f), 200 * MS);
  }
  /* A value above max is capped. */
  rto_setup(&f, "fixed:rto=100s", 0);
  ck_assert_uint_eq(rto_of(&f), 60 * S);
  /* Thousands of timeouts never shift a bit out. */
  rto_setup(&f, "fixed:rto=1ms,max=600s", 0);
  for (i = 0; i < 5000; i++)
    timeout(&f, (ptcp_time)i * S);
  ck_assert_uint_eq(rto_of(&f), 600 * S);
}
END_TEST

Suite *ptcp_rto_suite(void) {
  Suite *s = suite_create("rto");
  TCase *rfc = tcase_create("rfc6298");
  TCase *fixed = tcase_create("fixed");

  tcase_add_test(rfc, test_rfc6298_initial);
  tcase_add_test(rfc, test_rfc6298_first_sample);
  tcase_add_test(rfc, test_rfc6298_sample_sequence);
  tcase_add_test(rfc, test_rfc6298_granularity);
  tcase_add_test(rfc, test_rfc6298_clamps);
  tcase_add_test(rfc, test_rfc6298_backoff);
  tcase_add_test(rfc, test_rfc6298_karn);
  tcase_add_test(rfc, test_rfc6298_recompute_after_backoff);
  tcase_add_test(rfc, test_rfc6298_extreme_samples);
  suite_add_tcase(s, rfc);

  tcase_add_test(fixed, test_fixed_default);
  tcase_add_test(fixed, test_fixed_backoff);
  suite_add_tcase(s, fixed);
  return s;
}

/*
 * Tests for the rto slot: "rfc6298" against values computed by hand from
 * RFC 6298 §2 for a sample sequence (initial value, clamps, backoff and
 * its cap, Karn's rule, extreme samples, the collapse after backoff) and
 * its Eifel response (RFC 4015), "fixed", and the variants, each against
 * values computed by hand from its source: "rfc793" (RFC 793 §3.7),
 * "jacobson88", "linux" (tcp_rtt_estimator) and "freebsd" (tcp(4) slop).
 * Every call states its simulated time.
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

  rto_setup(&f, "fixed:value=200ms,max=2s", now);
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

  /* backoff_cap=0: the same value every time. */
  rto_setup(&f, "fixed:value=200ms,backoff_cap=0", 0);
  for (i = 0; i < 10; i++) {
    timeout(&f, (ptcp_time)(i + 1) * 200 * MS);
    ck_assert_uint_eq(rto_of(&f), 200 * MS);
  }
  /* A value above max is capped. */
  rto_setup(&f, "fixed:value=100s", 0);
  ck_assert_uint_eq(rto_of(&f), 60 * S);
  /* At most backoff_cap doublings: 16 by default, 1 ms * 2^16. */
  rto_setup(&f, "fixed:value=1ms,max=600s", 0);
  for (i = 0; i < 100; i++)
    timeout(&f, (ptcp_time)i * S);
  ck_assert_uint_eq(rto_of(&f), 65536 * MS);
  /* Thousands of timeouts never shift a bit out. */
  rto_setup(&f, "fixed:value=1ms,max=600s,backoff_cap=64", 0);
  for (i = 0; i < 5000; i++)
    timeout(&f, (ptcp_time)i * S);
  ck_assert_uint_eq(rto_of(&f), 600 * S);
}
END_TEST


/* ------------------------------------------------------------------ */
/* rfc6298 eifel=on (RFC 4015)                                         */

static void spurious(rto_fixture *f, ptcp_time now) {
  ck_assert_ptr_nonnull(f->ops->on_spurious_timeout);
  f->ops->on_spurious_timeout(&f->st, f->sel.params, now);
}

static void new_ack(rto_fixture *f, ptcp_time now) {
  ck_assert_ptr_nonnull(f->ops->on_new_ack);
  f->ops->on_new_ack(&f->st, f->sel.params, now);
}

START_TEST(test_eifel_sample_on_detecting_ack) {
  rto_fixture f;

  /* R = 100 ms: SRTT 100, RTTVAR 50, RTO 300 ms (G = 1 ms). */
  rto_setup(&f, "rfc6298:min=1ms,eifel=on", 0);
  sample(&f, 100 * MS, 1 * S);
  ck_assert_uint_eq(rto_of(&f), 300 * MS);
  /* The timer fires: SRTT_prev = 100 + 2G = 102 ms, RTTVAR_prev = 50 ms
   * are kept; RTO backs off to 600 ms. */
  timeout(&f, 1300 * MS);
  ck_assert_uint_eq(rto_of(&f), 600 * MS);
  /* The ACK of the original arrives; the engine takes its timestamp
   * sample first (700 ms), smoothing as usual: RTTVAR (150 + 600)/4 =
   * 187.5, SRTT (700 + 700)/8 = 175, RTO 925 ms... */
  sample_ex(&f, 700 * MS, 1700 * MS, 0, 1);
  ck_assert_uint_eq(rto_of(&f), 925 * MS);
  /* ... then reports the timeout spurious: re-initialise from that
   * sample, not below the saved values: SRTT max(102, 700) = 700,
   * RTTVAR max(50, 350) = 350, RTO 700 + 1400 = 2100 ms. */
  spurious(&f, 1700 * MS);
  ck_assert_uint_eq(srtt_of(&f), 700 * MS);
  ck_assert_uint_eq(rto_of(&f), 2100 * MS);
  new_ack(&f, 1700 * MS);
  /* Later samples smooth from there: RTTVAR (1050 + 0)/4 = 262.5. */
  sample(&f, 700 * MS, 2500 * MS);
  ck_assert_uint_eq(rto_of(&f), 700 * MS + 4 * 262500000);
}
END_TEST

START_TEST(test_eifel_rebase_at_next_sample) {
  rto_fixture f;

  rto_setup(&f, "rfc6298:min=1ms,eifel=on", 0);
  sample(&f, 100 * MS, 1 * S);
  /* Two expiries in one episode: 300 -> 600 -> 1200 ms. */
  timeout(&f, 1300 * MS);
  timeout(&f, 1900 * MS);
  ck_assert_uint_eq(rto_of(&f), 1200 * MS);
  /* Spurious, with no sample on that ACK: the doublings are undone (the
   * pre-timeout 300 ms) and the next valid sample re-initialises. */
  spurious(&f, 2000 * MS);
  ck_assert_uint_eq(rto_of(&f), 300 * MS);
  new_ack(&f, 2000 * MS);
  /* An ambiguous sample does not count (Karn). */
  sample_ex(&f, 5 * MS, 2010 * MS, 1, 0);
  ck_assert_uint_eq(rto_of(&f), 300 * MS);
  /* R = 50 ms: SRTT max(102, 50) = 102, RTTVAR max(50, 25) = 50, RTO
   * 102 + 200 = 302 ms: never below the pre-timeout estimate. */
  sample(&f, 50 * MS, 2100 * MS);
  ck_assert_uint_eq(srtt_of(&f), 102 * MS);
  ck_assert_uint_eq(rto_of(&f), 302 * MS);
  /* Then the usual smoothing: RTTVAR (150 + 52)/4 = 50.5, SRTT (714 +
   * 50)/8 = 95.5, RTO 95.5 + 202 = 297.5 ms. */
  sample(&f, 50 * MS, 2200 * MS);
  ck_assert_uint_eq(srtt_of(&f), 95500000);
  ck_assert_uint_eq(rto_of(&f), 297500000);
}
END_TEST

START_TEST(test_eifel_only_when_asked_and_in_episode) {
  rto_fixture f;

  /* eifel=off (the default): a spurious report changes nothing. */
  rto_setup(&f, "rfc6298:min=1ms", 0);
  sample(&f, 100 * MS, 1 * S);
  timeout(&f, 1300 * MS);
  spurious(&f, 1400 * MS);
  ck_assert_uint_eq(rto_of(&f), 600 * MS);

  /* A new ACK ends the episode: a late report is ignored. */
  rto_setup(&f, "rfc6298:min=1ms,eifel=on", 0);
  sample(&f, 100 * MS, 1 * S);
  timeout(&f, 1300 * MS);
  new_ack(&f, 1400 * MS);
  spurious(&f, 1400 * MS);
  ck_assert_uint_eq(rto_of(&f), 600 * MS);
  /* No report without a timeout. */
  rto_setup(&f, "rfc6298:min=1ms,eifel=on", 0);
  sample(&f, 100 * MS, 1 * S);
  spurious(&f, 1100 * MS);
  ck_assert_uint_eq(rto_of(&f), 300 * MS);
  sample(&f, 100 * MS, 1200 * MS);
  ck_assert_uint_eq(rto_of(&f), 250 * MS);

  /* Before any sample there is no estimate to adapt: only the backoff is
   * undone (2 s back to the initial 1 s), and samples are as usual. */
  rto_setup(&f, "rfc6298:eifel=on", 0);
  timeout(&f, 1 * S);
  ck_assert_uint_eq(rto_of(&f), 2 * S);
  spurious(&f, 1500 * MS);
  ck_assert_uint_eq(rto_of(&f), 1 * S);
  sample(&f, 100 * MS, 2 * S);
  ck_assert_uint_eq(srtt_of(&f), 100 * MS);
}
END_TEST

/* ------------------------------------------------------------------ */
/* rfc793                                                              */

START_TEST(test_rfc793_estimator) {
  rto_fixture f;

  /* Before a sample: 3 s (RFC 1122 4.2.3.1); LBOUND still applies. */
  rto_setup(&f, "rfc793", 0);
  ck_assert_uint_eq(rto_of(&f), 3 * S);
  ck_assert_uint_eq(srtt_of(&f), PTCP_TIME_NONE);
  rto_setup(&f, "rfc793:initial=500ms", 0);
  ck_assert_uint_eq(rto_of(&f), 1 * S);

  /* RFC 793 §3.7 with ALPHA .875, BETA 2, LBOUND lowered to 1 ms:
   *   R=100ms  SRTT 100 ms                         RTO 200 ms
   *   R=200ms  SRTT (875*100 + 125*200)/1000 = 112.5 ms, RTO 225 ms
   *   R=50ms   SRTT (875*112.5 + 125*50)/1000 = 104.6875 ms,
   *            RTO 209.375 ms */
  rto_setup(&f, "rfc793:min=1ms", 0);
  sample(&f, 100 * MS, 1 * S);
  ck_assert_uint_eq(srtt_of(&f), 100 * MS);
  ck_assert_uint_eq(rto_of(&f), 200 * MS);
  sample(&f, 200 * MS, 2 * S);
  ck_assert_uint_eq(srtt_of(&f), 112500000);
  ck_assert_uint_eq(rto_of(&f), 225 * MS);
  sample(&f, 50 * MS, 3 * S);
  ck_assert_uint_eq(srtt_of(&f), 104687500);
  ck_assert_uint_eq(rto_of(&f), 209375000);

  /* The bounds: LBOUND 1 s by default, UBOUND 60 s (2 * 40 s = 80 s). */
  rto_setup(&f, "rfc793", 0);
  sample(&f, 100 * MS, 1 * S);
  ck_assert_uint_eq(rto_of(&f), 1 * S);
  /* SRTT (875 * 100 ms + 125 * 40 s)/1000 = 5087.5 ms, RTO 10175 ms. */
  sample(&f, 40 * S, 41 * S);
  ck_assert_uint_eq(srtt_of(&f), 5087500000);
  ck_assert_uint_eq(rto_of(&f), 10175 * MS);
}
END_TEST

START_TEST(test_rfc793_params) {
  rto_fixture f;

  /* ALPHA 0: SRTT is the last sample; BETA 1.3: RTO = 1.3 SRTT. */
  rto_setup(&f, "rfc793:min=1ms,alpha_milli=0,beta_milli=1300", 0);
  sample(&f, 100 * MS, 1 * S);
  sample(&f, 300 * MS, 2 * S);
  ck_assert_uint_eq(srtt_of(&f), 300 * MS);
  ck_assert_uint_eq(rto_of(&f), 390 * MS);
  /* ALPHA 1: the first sample forever; BETA 10. */
  rto_setup(&f, "rfc793:min=1ms,alpha_milli=1000,beta_milli=10000", 0);
  sample(&f, 100 * MS, 1 * S);
  sample(&f, 300 * MS, 2 * S);
  ck_assert_uint_eq(srtt_of(&f), 100 * MS);
  ck_assert_uint_eq(rto_of(&f), 1 * S);
  /* UBOUND: 2 * 40 s is capped at 60 s. */
  rto_setup(&f, "rfc793", 0);
  sample(&f, 40 * S, 40 * S);
  ck_assert_uint_eq(rto_of(&f), 60 * S);
}
END_TEST

START_TEST(test_rfc793_karn_and_backoff) {
  static const ptcp_duration want[] = {3 * S, 6 * S, 12 * S, 24 * S, 48 * S, 60 * S, 60 * S};
  rto_fixture f;
  ptcp_time now = 0;
  size_t i;

  /* RFC 1122 4.2.3.1: backoff doubles up to UBOUND... */
  rto_setup(&f, "rfc793", now);
  for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    ck_assert_uint_eq(rto_of(&f), want[i]);
    now += rto_of(&f);
    timeout(&f, now);
  }
  /* ... and Karn's rule keeps an ambiguous sample out. */
  rto_setup(&f, "rfc793:min=1ms", 0);
  sample(&f, 100 * MS, 1 * S);
  timeout(&f, 1200 * MS);
  ck_assert_uint_eq(rto_of(&f), 400 * MS);
  sample_ex(&f, 900 * MS, 2 * S, 1, 0);
  ck_assert_uint_eq(srtt_of(&f), 100 * MS);
  ck_assert_uint_eq(rto_of(&f), 400 * MS);
  /* RFC 793 as written: no Karn, no backoff.  The ambiguous sample is
   * used: SRTT (87.5 + 112.5) ms = 200 ms, RTO 400 ms. */
  rto_setup(&f, "rfc793:min=1ms,karn=off,backoff_cap=0", 0);
  sample(&f, 100 * MS, 1 * S);
  timeout(&f, 1200 * MS);
  ck_assert_uint_eq(rto_of(&f), 200 * MS);
  sample_ex(&f, 900 * MS, 2 * S, 1, 0);
  ck_assert_uint_eq(srtt_of(&f), 200 * MS);
  ck_assert_uint_eq(rto_of(&f), 400 * MS);
}
END_TEST

/* ------------------------------------------------------------------ */
/* jacobson88                                                          */

START_TEST(test_jacobson88) {
  rto_fixture f;

  /* 3 s before a sample; then RFC 6298's estimator without its clamps
   * or G: the test_rfc6298_sample_sequence values, unclamped. */
  rto_setup(&f, "jacobson88", 0);
  ck_assert_uint_eq(rto_of(&f), 3 * S);
  sample(&f, 100 * MS, 1 * S);
  ck_assert_uint_eq(rto_of(&f), 300000000);
  sample(&f, 120 * MS, 2 * S);
  ck_assert_uint_eq(rto_of(&f), 272500000);
  sample(&f, 80 * MS, 3 * S);
  ck_assert_uint_eq(rto_of(&f), 249687500);
  sample(&f, 200 * MS, 4 * S);
  ck_assert_uint_eq(rto_of(&f), 325039062);
  /* No 1 s minimum: a 1 ms path gets 1 + 2 = 3 ms, then RTTVAR (1.5 +
   * 0)/4 = 0.375 ms and RTO 2.5 ms. */
  rto_setup(&f, "jacobson88", 0);
  sample(&f, 1 * MS, 1 * S);
  ck_assert_uint_eq(rto_of(&f), 3 * MS);
  sample(&f, 1 * MS, 2 * S);
  ck_assert_uint_eq(rto_of(&f), 2500000);
  /* Only the core's floor: a zero RTT gives 1 ms. */
  rto_setup(&f, "jacobson88", 0);
  sample(&f, 0, 1 * S);
  ck_assert_uint_eq(rto_of(&f), 1 * MS);
  /* No 60 s maximum: 100 s + 4 * 50 s = 300 s; 500 s gives 1500 s,
   * capped at the core's 600 s. */
  rto_setup(&f, "jacobson88", 0);
  sample(&f, 100 * S, 100 * S);
  ck_assert_uint_eq(rto_of(&f), 300 * S);
  sample(&f, 500 * S, 600 * S);
  ck_assert_uint_eq(rto_of(&f), 600 * S);
  /* k = 2, the factor of Jacobson's first RTO rule. */
  rto_setup(&f, "jacobson88:k=2", 0);
  sample(&f, 100 * MS, 1 * S);
  ck_assert_uint_eq(rto_of(&f), 200 * MS);
  /* Backoff doubles, Karn ignores ambiguous samples. */
  timeout(&f, 1200 * MS);
  ck_assert_uint_eq(rto_of(&f), 400 * MS);
  sample_ex(&f, 10 * S, 2 * S, 1, 0);
  ck_assert_uint_eq(rto_of(&f), 400 * MS);
  sample(&f, 100 * MS, 3 * S);
  ck_assert_uint_eq(rto_of(&f), 100 * MS + 2 * 37500000);
}
END_TEST

/* ------------------------------------------------------------------ */
/* linux                                                               */

START_TEST(test_linux_defaults) {
  static const ptcp_duration want[] = {1 * S,  2 * S,  4 * S,   8 * S,   16 * S,
                                       32 * S, 64 * S, 120 * S, 120 * S};
  rto_fixture f;
  ptcp_time now = 0;
  size_t i;

  /* TCP_TIMEOUT_INIT 1 s, doubling up to TCP_RTO_MAX 120 s. */
  rto_setup(&f, "linux", now);
  for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    ck_assert_uint_eq(rto_of(&f), want[i]);
    now += rto_of(&f);
    timeout(&f, now);
  }
  /* A 4 ms LAN: SRTT 4 ms, RTTVAR max(2 * 4, 200) = 200 ms: "rto:204". */
  rto_setup(&f, "linux", 0);
  sample(&f, 4 * MS, 1 * S);
  ck_assert_uint_eq(rto_of(&f), 204 * MS);
  ck_assert_uint_eq(srtt_of(&f), 4 * MS);
  /* A 1 s path: SRTT + 2 SRTT (mdev = R/2, 4 * mdev = 2 s) = 3 s. */
  rto_setup(&f, "linux", 0);
  sample(&f, 1 * S, 1 * S);
  ck_assert_uint_eq(rto_of(&f), 3 * S);
  /* Then 100 s: SRTT (7 + 100)/8 = 13.375 s; mdev4 2 + 99 - 0.5 = 100.5
   * s = RTTVAR; RTO 113.875 s, under the 120 s cap. */
  sample(&f, 100 * S, 200 * S);
  ck_assert_uint_eq(rto_of(&f), 113875 * MS);
  /* A first sample of 100 s: 300 s, capped at 120 s. */
  rto_setup(&f, "linux", 0);
  sample(&f, 100 * S, 100 * S);
  ck_assert_uint_eq(rto_of(&f), 120 * S);
}
END_TEST

START_TEST(test_linux_mdev_rounds) {
  rto_fixture f;

  /* rto_min lowered to 1 ms so the variance term shows; all in ms, the
   * scaled values as the kernel keeps them (mdev4 = 4 mdev):
   *   t=1.0 R=100  first: SRTT 100, mdev4 200, RTTVAR 200, max 200,
   *                round ends at 1.1                      RTO 300
   *   t=1.2 R=100  mdev4 200 - 50 = 150; round over: no decay (max =
   *                RTTVAR), max := 1, ends at 1.3           RTO 300
   *   t=1.4 R=100  mdev4 150 - 37.5 = 112.5 = max; round over:
   *                RTTVAR 200 - (200 - 112.5)/4 = 178.125   RTO 278.125
   *   t=1.6 R=300  err 200: mdev4 112.5 + 200 - 28.125 = 284.375 > RTTVAR,
   *                so RTTVAR 284.375; SRTT (700 + 300)/8 = 125
   *                                                        RTO 409.375
   *   t=1.65 R=10  below SRTT - mdev: the increase 115 - 71.09375 =
   *                43.90625 is damped to 1/8, 5.488281 (ns truncated):
   *                mdev4 = RTTVAR = 289.863281; SRTT 110.625
   *                                                   RTO 400.488281 */
  rto_setup(&f, "linux:min=1ms", 0);
  sample(&f, 100 * MS, 1000 * MS);
  ck_assert_uint_eq(rto_of(&f), 300 * MS);
  sample(&f, 100 * MS, 1200 * MS);
  ck_assert_uint_eq(rto_of(&f), 300 * MS);
  sample(&f, 100 * MS, 1400 * MS);
  ck_assert_uint_eq(rto_of(&f), 278125000);
  sample(&f, 300 * MS, 1600 * MS);
  ck_assert_uint_eq(srtt_of(&f), 125 * MS);
  ck_assert_uint_eq(rto_of(&f), 409375000);
  sample(&f, 10 * MS, 1650 * MS);
  ck_assert_uint_eq(srtt_of(&f), 110625000);
  ck_assert_uint_eq(rto_of(&f), 400488281);
}
END_TEST

START_TEST(test_linux_round_boundary) {
  rto_fixture f;

  /* The same first two samples, the second one inside the first round
   * (t=1.05 < 1.1): mdev4 150, no round end, RTTVAR stays 200.  Then at
   * t=1.1 exactly the round ends: mdev4 112.5 becomes the new round's
   * max only after the reset, so RTTVAR does not decay yet. */
  rto_setup(&f, "linux:min=1ms", 0);
  sample(&f, 100 * MS, 1000 * MS);
  sample(&f, 100 * MS, 1050 * MS);
  ck_assert_uint_eq(rto_of(&f), 300 * MS);
  sample(&f, 100 * MS, 1100 * MS);
  ck_assert_uint_eq(rto_of(&f), 300 * MS);
  /* Next round (ends 1.2): mdev4 84.375 is the max; at 1.2 RTTVAR
   * decays: 200 - (200 - 84.375)/4 = 171.09375. */
  sample(&f, 100 * MS, 1200 * MS);
  ck_assert_uint_eq(rto_of(&f), 100 * MS + 171093750);
  /* With the default 200 ms floor, RTTVAR never decays below it. */
  rto_setup(&f, "linux", 0);
  sample(&f, 100 * MS, 1000 * MS);
  sample(&f, 100 * MS, 1200 * MS);
  sample(&f, 100 * MS, 1400 * MS);
  sample(&f, 100 * MS, 1600 * MS);
  ck_assert_uint_eq(rto_of(&f), 300 * MS);
}
END_TEST

/* ------------------------------------------------------------------ */
/* freebsd                                                             */

START_TEST(test_freebsd) {
  static const ptcp_duration before[] = {1 * S,  2 * S,  4 * S,  8 * S,
                                         16 * S, 32 * S, 64 * S, 64 * S};
  rto_fixture f;
  ptcp_time now = 0;
  size_t i;

  /* rexmit_initial 1 s, doubling up to TCPTV_REXMTMAX 64 s. */
  rto_setup(&f, "freebsd", now);
  for (i = 0; i < sizeof(before) / sizeof(before[0]); i++) {
    ck_assert_uint_eq(rto_of(&f), before[i]);
    now += rto_of(&f);
    timeout(&f, now);
  }
  /* R = 100 ms: REXMTVAL = 100 + 4 * 50 = 300 ms, plus 200 ms slop. */
  rto_setup(&f, "freebsd", 0);
  sample(&f, 100 * MS, 1 * S);
  ck_assert_uint_eq(rto_of(&f), 500 * MS);
  /* Backoff multiplies REXMTVAL, then the slop is added: 600 + 200,
   * 1200 + 200, 2400 + 200. */
  timeout(&f, 1500 * MS);
  ck_assert_uint_eq(rto_of(&f), 800 * MS);
  timeout(&f, 2300 * MS);
  ck_assert_uint_eq(rto_of(&f), 1400 * MS);
  timeout(&f, 3700 * MS);
  ck_assert_uint_eq(rto_of(&f), 2600 * MS);
  /* A valid sample ends the backoff: RTTVAR (150 + 0)/4 = 37.5,
   * REXMTVAL 250 ms, RTO 450 ms. */
  sample(&f, 100 * MS, 6 * S);
  ck_assert_uint_eq(rto_of(&f), 450 * MS);
}
END_TEST

START_TEST(test_freebsd_min_slop_floor) {
  rto_fixture f;
  ptcp_time now = 0;
  int i;

  /* A 1 ms LAN: REXMTVAL max(30 ms, 3 ms) = 30 ms, + 200 ms slop. */
  rto_setup(&f, "freebsd", 0);
  sample(&f, 1 * MS, 1 * S);
  ck_assert_uint_eq(rto_of(&f), 230 * MS);
  /* Without slop, the near-0 minimum shows: 30 ms. */
  rto_setup(&f, "freebsd:slop=0", 0);
  sample(&f, 1 * MS, 1 * S);
  ck_assert_uint_eq(rto_of(&f), 30 * MS);
  /* The floor of 2 ticks above the latest sample: with 1 s ticks, R =
   * 100 ms gives at least 2.1 s (REXMTVAL is only 300 ms). */
  rto_setup(&f, "freebsd:slop=0,granularity=1s", 0);
  sample(&f, 100 * MS, 1 * S);
  ck_assert_uint_eq(rto_of(&f), 2100 * MS);
  /* 64 s maximum: 30 s + 4 * 15 s = 90 s. */
  rto_setup(&f, "freebsd", 0);
  sample(&f, 30 * S, 30 * S);
  ck_assert_uint_eq(rto_of(&f), 64 * S);
  /* tcp_backoff[] stops at 512: with max raised, 1 ms * 512 + slop. */
  rto_setup(&f, "freebsd:slop=0,min=1ms,max=600s", 0);
  sample(&f, 1 * MS, 1 * S);
  ck_assert_uint_eq(rto_of(&f), 3 * MS);
  for (i = 0; i < 20; i++)
    timeout(&f, now += S);
  ck_assert_uint_eq(rto_of(&f), 3 * MS * 512);
}
END_TEST

Suite *ptcp_rto_suite(void) {
  Suite *s = suite_create("rto");
  TCase *rfc = tcase_create("rfc6298");
  TCase *fixed = tcase_create("fixed");
  TCase *eifel = tcase_create("eifel");
  TCase *var = tcase_create("variants");

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

  tcase_add_test(eifel, test_eifel_sample_on_detecting_ack);
  tcase_add_test(eifel, test_eifel_rebase_at_next_sample);
  tcase_add_test(eifel, test_eifel_only_when_asked_and_in_episode);
  suite_add_tcase(s, eifel);

  tcase_add_test(var, test_rfc793_estimator);
  tcase_add_test(var, test_rfc793_params);
  tcase_add_test(var, test_rfc793_karn_and_backoff);
  tcase_add_test(var, test_jacobson88);
  tcase_add_test(var, test_linux_defaults);
  tcase_add_test(var, test_linux_mdev_rounds);
  tcase_add_test(var, test_linux_round_boundary);
  tcase_add_test(var, test_freebsd);
  tcase_add_test(var, test_freebsd_min_slop_floor);
  suite_add_tcase(s, var);
  return s;
}

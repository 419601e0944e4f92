/*
 * Tests for the cc slot: "newreno" (RFC 5681 + RFC 6582) step by step —
 * initial window, slow start, congestion avoidance, fast recovery with
 * its inflation, partial ACKs and exit, timeout, restart after idle,
 * saturation — its RFC 4015 undo after a spurious timeout, "none", and
 * "cubic" (RFC 9438): the integer cube root, K and the cubic curve at
 * hand-computed points, whole trajectories against a floating-point model
 * written from the RFC's figures, the Reno-friendly region, fast
 * convergence, timeout and undo.  Every event states its simulated time.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <plugtcp/policy.h>

#include "cc/cc_common.h"
#include "policy_test_helper.h"

Suite *ptcp_cc_suite(void);

#define MS PTCP_MILLISECONDS

typedef struct cc_fixture {
  ptcp_policy_sel sel;
  const ptcp_cc_ops *ops;
  policy_state st;
} cc_fixture;

static void cc_setup(cc_fixture *f, const char *spec, uint32_t mss, ptcp_time now) {
  f->sel = policy_select(PTCP_SLOT_CC, spec);
  f->ops = (const ptcp_cc_ops *)f->sel.ops;
  policy_state_zero(&f->st, f->sel.ops);
  ck_assert_int_eq(f->ops->init(&f->st, f->sel.params, mss, now), 0);
}

static uint32_t cwnd(const cc_fixture *f) { return f->ops->cwnd(&f->st); }

static uint32_t ssthresh(const cc_fixture *f) {
  ck_assert_ptr_nonnull(f->ops->ssthresh);
  return f->ops->ssthresh(&f->st);
}

static void ack(cc_fixture *f, uint32_t acked, uint32_t flight, uint32_t mss,
                ptcp_time now) {
  ptcp_cc_ack a = {
      .acked = acked, .flight = flight, .mss = mss, .rtt = 50 * MS, .now = now};

  f->ops->on_ack(&f->st, f->sel.params, &a);
}

START_TEST(test_newreno_initial_window) {
  static const struct {
    uint32_t mss, iw;
  } cases[] = {
      /* RFC 5681 §3.1: 4 segments up to 1095 bytes, 3 up to 2190, else 2. */
      {536, 2144},  {1095, 4380}, {1096, 3288}, {1460, 4380},
      {2190, 6570}, {2191, 4382}, {9000, 18000}, {1, 4},
  };
  cc_fixture f;
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    cc_setup(&f, "newreno", cases[i].mss, 0);
    ck_assert_msg(cwnd(&f) == cases[i].iw, "mss %u: iw %u", cases[i].mss, cwnd(&f));
    /* "ssthresh ... SHOULD be set arbitrarily high". */
    ck_assert_uint_eq(ssthresh(&f), UINT32_MAX);
  }
  cc_setup(&f, "newreno:iw=10", 1460, 0);
  ck_assert_uint_eq(cwnd(&f), 14600);
  cc_setup(&f, "newreno:ssthresh=65535", 1460, 0);
  ck_assert_uint_eq(ssthresh(&f), 65535);
  /* A degenerate MSS of 0 still leaves a window of at least one byte. */
  cc_setup(&f, "newreno", 0, 0);
  ck_assert_uint_eq(cwnd(&f), 4);
}
END_TEST

START_TEST(test_newreno_slow_start) {
  cc_fixture f;

  /* RFC 5681 §3.1 eq. 2: cwnd += min(N, SMSS) per ACK. */
  cc_setup(&f, "newreno", 1460, 0);
  ack(&f, 1460, 4380, 1460, 100 * MS);
  ck_assert_uint_eq(cwnd(&f), 5840);
  ack(&f, 2920, 4380, 1460, 101 * MS); /* a stretch ACK still adds one SMSS */
  ck_assert_uint_eq(cwnd(&f), 7300);
  ack(&f, 100, 4380, 1460, 102 * MS);
  ck_assert_uint_eq(cwnd(&f), 7400);
}
END_TEST

START_TEST(test_newreno_congestion_avoidance) {
  cc_fixture f;
  int i;

  /* Slow start up to ssthresh = 8000, then eq. 3:
   * cwnd += SMSS*SMSS/cwnd: 8000 + 1000000/8000 = 8125, + 123 = 8248. */
  cc_setup(&f, "newreno:ssthresh=8000", 1000, 0);
  ck_assert_uint_eq(cwnd(&f), 4000);
  for (i = 0; i < 4; i++)
    ack(&f, 1000, 4000, 1000, (ptcp_time)(i + 1) * 10 * MS);
  ck_assert_uint_eq(cwnd(&f), 8000);
  ack(&f, 1000, 8000, 1000, 50 * MS);
  ck_assert_uint_eq(cwnd(&f), 8125);
  ack(&f, 1000, 8000, 1000, 60 * MS);
  ck_assert_uint_eq(cwnd(&f), 8248);

  /* About one SMSS per window of ACKs: 8 ACKs of a 8248-byte window add
   * 8 * ~120 bytes. */
  for (i = 0; i < 8; i++)
    ack(&f, 1000, 8248, 1000, (ptcp_time)(70 + i) * MS);
  ck_assert_uint_ge(cwnd(&f), 8248 + 900);
  ck_assert_uint_le(cwnd(&f), 8248 + 1000);

  /* At least one byte per ACK when SMSS*SMSS < cwnd. */
  cc_setup(&f, "newreno:iw=1000,ssthresh=1", 100, 0);
  ck_assert_uint_eq(cwnd(&f), 100000);
  ack(&f, 100, 100000, 100, 10 * MS);
  ck_assert_uint_eq(cwnd(&f), 100001);
}
END_TEST

START_TEST(test_newreno_saturates) {
  cc_fixture f;
  int i;

  /* Slow start from 65535000 by 65535 per ACK: after 70000 ACKs the sum
   * would be 4.65e9, past 2^32; it stops at UINT32_MAX instead. */
  cc_setup(&f, "newreno:iw=1000", 65535, 0);
  ck_assert_uint_eq(cwnd(&f), 65535000);
  for (i = 0; i < 70000; i++) {
    uint32_t before = cwnd(&f);

    ack(&f, 65535, before, 65535, (ptcp_time)i * MS);
    ck_assert_uint_ge(cwnd(&f), before);
  }
  ck_assert_uint_eq(cwnd(&f), UINT32_MAX);
  /* A window at the top of the range stays there, in both phases. */
  cc_setup(&f, "newreno:iw=1000,ssthresh=1", UINT32_MAX, 0);
  ck_assert_uint_eq(cwnd(&f), UINT32_MAX);
  ack(&f, UINT32_MAX, UINT32_MAX, UINT32_MAX, 1 * MS);
  ck_assert_uint_eq(cwnd(&f), UINT32_MAX);
  f.ops->on_enter_recovery(&f.st, f.sel.params, UINT32_MAX, UINT32_MAX, 2 * MS);
  ck_assert_uint_eq(cwnd(&f), UINT32_MAX);
  f.ops->on_recovery_dupack(&f.st, f.sel.params, UINT32_MAX);
  ck_assert_uint_eq(cwnd(&f), UINT32_MAX);
}
END_TEST

START_TEST(test_newreno_fast_recovery) {
  cc_fixture f;

  cc_setup(&f, "newreno", 1000, 0);
  /* RFC 5681 §3.2 step 2 (eq. 4) and step 3: FlightSize 10000:
   * ssthresh 5000, cwnd 5000 + 3*1000. */
  f.ops->on_enter_recovery(&f.st, f.sel.params, 10000, 1000, 1000 * MS);
  ck_assert_uint_eq(ssthresh(&f), 5000);
  ck_assert_uint_eq(cwnd(&f), 8000);
  /* Step 4: each further duplicate inflates by SMSS. */
  f.ops->on_recovery_dupack(&f.st, f.sel.params, 1000);
  f.ops->on_recovery_dupack(&f.st, f.sel.params, 1000);
  ck_assert_uint_eq(cwnd(&f), 10000);
  /* RFC 6582 step 5: a partial ACK of 3000: 10000 - 3000 + 1000. */
  f.ops->on_partial_ack(&f.st, f.sel.params, 3000, 1000);
  ck_assert_uint_eq(cwnd(&f), 8000);
  /* Less than one SMSS: deflate only. */
  f.ops->on_partial_ack(&f.st, f.sel.params, 500, 1000);
  ck_assert_uint_eq(cwnd(&f), 7500);
  /* Exactly one SMSS adds it back. */
  f.ops->on_partial_ack(&f.st, f.sel.params, 1000, 1000);
  ck_assert_uint_eq(cwnd(&f), 7500);
  /* Step 6 option 1: min(ssthresh, max(FlightSize, SMSS) + SMSS). */
  f.ops->on_exit_recovery(&f.st, f.sel.params, 2000, 1000, 1100 * MS);
  ck_assert_uint_eq(cwnd(&f), 3000);
  ck_assert_uint_eq(ssthresh(&f), 5000);

  cc_setup(&f, "newreno", 1000, 0);
  f.ops->on_enter_recovery(&f.st, f.sel.params, 10000, 1000, 1000 * MS);
  f.ops->on_exit_recovery(&f.st, f.sel.params, 9000, 1000, 1100 * MS);
  ck_assert_uint_eq(cwnd(&f), 5000);
  /* With nothing in flight, one segment plus one. */
  cc_setup(&f, "newreno", 1000, 0);
  f.ops->on_enter_recovery(&f.st, f.sel.params, 10000, 1000, 1000 * MS);
  f.ops->on_exit_recovery(&f.st, f.sel.params, 0, 1000, 1100 * MS);
  ck_assert_uint_eq(cwnd(&f), 2000);
  /* Back in congestion avoidance afterwards (cwnd >= ssthresh). */
  cc_setup(&f, "newreno", 1000, 0);
  f.ops->on_enter_recovery(&f.st, f.sel.params, 10000, 1000, 1000 * MS);
  f.ops->on_exit_recovery(&f.st, f.sel.params, 9000, 1000, 1100 * MS);
  ack(&f, 1000, 5000, 1000, 1200 * MS);
  ck_assert_uint_eq(cwnd(&f), 5200);
}
END_TEST

START_TEST(test_newreno_recovery_floors) {
  cc_fixture f;

  /* eq. 4 never goes below 2 SMSS: FlightSize 1000 gives 2000. */
  cc_setup(&f, "newreno", 1000, 0);
  f.ops->on_enter_recovery(&f.st, f.sel.params, 1000, 1000, 10 * MS);
  ck_assert_uint_eq(ssthresh(&f), 2000);
  ck_assert_uint_eq(cwnd(&f), 5000);
  /* A partial ACK larger than the window never drops cwnd below SMSS. */
  f.ops->on_partial_ack(&f.st, f.sel.params, 100000, 1000);
  ck_assert_uint_eq(cwnd(&f), 1000);
  f.ops->on_partial_ack(&f.st, f.sel.params, 999, 1000);
  ck_assert_uint_eq(cwnd(&f), 1000);
}
END_TEST

START_TEST(test_newreno_timeout) {
  cc_fixture f;

  /* RFC 5681 §3.1: eq. 4, and cwnd = LW = 1 SMSS. */
  cc_setup(&f, "newreno", 1000, 0);
  ack(&f, 1000, 4000, 1000, 10 * MS);
  f.ops->on_timeout(&f.st, f.sel.params, 10000, 1000, 1010 * MS);
  ck_assert_uint_eq(ssthresh(&f), 5000);
  ck_assert_uint_eq(cwnd(&f), 1000);
  /* Then slow start again, up to the new ssthresh. */
  ack(&f, 1000, 1000, 1000, 1100 * MS);
  ck_assert_uint_eq(cwnd(&f), 2000);
  /* Nothing in flight: ssthresh = 2 SMSS. */
  f.ops->on_timeout(&f.st, f.sel.params, 0, 1000, 2100 * MS);
  ck_assert_uint_eq(ssthresh(&f), 2000);
  ck_assert_uint_eq(cwnd(&f), 1000);
}
END_TEST

START_TEST(test_newreno_idle_restart) {
  cc_fixture f;
  int i;

  /* RFC 5681 §4.1: after idling longer than an RTO, restart from
   * min(IW, cwnd). */
  cc_setup(&f, "newreno", 1000, 0);
  for (i = 0; i < 16; i++)
    ack(&f, 1000, 4000, 1000, (ptcp_time)i * MS);
  ck_assert_uint_eq(cwnd(&f), 20000);
  ck_assert_ptr_nonnull(f.ops->on_idle);
  f.ops->on_idle(&f.st, f.sel.params, 1000, 5000 * MS);
  ck_assert_uint_eq(cwnd(&f), 4000);
  /* A window already below IW is left alone. */
  f.ops->on_timeout(&f.st, f.sel.params, 4000, 1000, 6000 * MS);
  ck_assert_uint_eq(cwnd(&f), 1000);
  f.ops->on_idle(&f.st, f.sel.params, 1000, 9000 * MS);
  ck_assert_uint_eq(cwnd(&f), 1000);
  /* The iw param is the restart window too. */
  cc_setup(&f, "newreno:iw=10", 1000, 0);
  for (i = 0; i < 16; i++)
    ack(&f, 1000, 10000, 1000, (ptcp_time)i * MS);
  f.ops->on_idle(&f.st, f.sel.params, 1000, 5000 * MS);
  ck_assert_uint_eq(cwnd(&f), 10000);
}
END_TEST

START_TEST(test_none) {
  cc_fixture f;
  ptcp_time now = 0;

  cc_setup(&f, "none", 1460, now);
  ck_assert_uint_eq(cwnd(&f), UINT32_MAX);
  ck_assert_uint_eq(ssthresh(&f), UINT32_MAX);
  ack(&f, 1460, 100000, 1460, now += 10 * MS);
  f.ops->on_enter_recovery(&f.st, f.sel.params, 100000, 1460, now += 10 * MS);
  f.ops->on_exit_recovery(&f.st, f.sel.params, 100000, 1460, now += 10 * MS);
  f.ops->on_timeout(&f.st, f.sel.params, 100000, 1460, now += 10 * MS);
  ck_assert_uint_eq(cwnd(&f), UINT32_MAX);
  ck_assert_uint_eq(ssthresh(&f), UINT32_MAX);
  ck_assert_uint_eq(f.sel.ops->state_size, 0);
}
END_TEST


/* ------------------------------------------------------------------ */
/* newreno: RFC 4015 undo                                              */

START_TEST(test_newreno_spurious_undo) {
  cc_fixture f;
  int i;

  /* Slow start to 20000 (4 + 16 segments), ssthresh still "high". */
  cc_setup(&f, "newreno", 1000, 0);
  for (i = 0; i < 16; i++)
    ack(&f, 1000, 4000, 1000, (ptcp_time)i * MS);
  ck_assert_uint_eq(cwnd(&f), 20000);
  ck_assert_ptr_nonnull(f.ops->on_spurious);
  /* Timeout with 10000 in flight: ssthresh 5000, cwnd 1000. */
  f.ops->on_timeout(&f.st, f.sel.params, 10000, 1000, 1 * PTCP_SECONDS);
  ck_assert_uint_eq(cwnd(&f), 1000);
  ck_assert_uint_eq(ssthresh(&f), 5000);
  /* A second expiry in the same episode changes nothing to restore. */
  f.ops->on_timeout(&f.st, f.sel.params, 10000, 1000, 3 * PTCP_SECONDS);
  /* Spurious (RFC 4015 §3): ssthresh = pipe_prev = max(FlightSize 10000,
   * ssthresh UINT32_MAX), cwnd 20000 as before the timeout. */
  f.ops->on_spurious(&f.st, f.sel.params, 3500 * MS);
  ck_assert_uint_eq(cwnd(&f), 20000);
  ck_assert_uint_eq(ssthresh(&f), UINT32_MAX);
  /* Only once. */
  f.ops->on_timeout(&f.st, f.sel.params, 20000, 1000, 5 * PTCP_SECONDS);
  ack(&f, 1000, 20000, 1000, 5100 * MS);
  f.ops->on_spurious(&f.st, f.sel.params, 5100 * MS);
  ck_assert_uint_eq(cwnd(&f), 2000);
  ck_assert_uint_eq(ssthresh(&f), 10000);

  /* pipe_prev takes the larger of FlightSize and ssthresh: after a
   * recovery ssthresh is 5000; a timeout with 8000 in flight restores
   * 8000, and cwnd 5000 (what exit left). */
  cc_setup(&f, "newreno", 1000, 0);
  f.ops->on_enter_recovery(&f.st, f.sel.params, 10000, 1000, 10 * MS);
  f.ops->on_exit_recovery(&f.st, f.sel.params, 9000, 1000, 20 * MS);
  ck_assert_uint_eq(cwnd(&f), 5000);
  f.ops->on_timeout(&f.st, f.sel.params, 8000, 1000, 1 * PTCP_SECONDS);
  ck_assert_uint_eq(ssthresh(&f), 4000);
  f.ops->on_spurious(&f.st, f.sel.params, 1100 * MS);
  ck_assert_uint_eq(ssthresh(&f), 8000);
  ck_assert_uint_eq(cwnd(&f), 5000);
  /* Without a timeout, a spurious report is ignored. */
  f.ops->on_spurious(&f.st, f.sel.params, 1200 * MS);
  ck_assert_uint_eq(ssthresh(&f), 8000);
}
END_TEST

/* ------------------------------------------------------------------ */
/* cubic                                                               */

START_TEST(test_cubic_icbrt) {
  uint64_t x, y, r = 88172645463325252ULL;
  unsigned long bad = 0;
  int i;

  /* Every perfect cube up to 2^64, and its neighbours (counted, then
   * asserted once: 8 million calls). */
  for (y = 1; y <= 2642245; y++) {
    uint64_t c = y * y * y;

    bad += ptcp_cc_icbrt64(c) != y;
    bad += ptcp_cc_icbrt64(c - 1) != y - 1;
    if (y < 2642245)
      bad += ptcp_cc_icbrt64(c + 1) != y;
  }
  ck_assert_uint_eq(bad, 0);
  ck_assert_uint_eq(ptcp_cc_icbrt64(0), 0);
  ck_assert_uint_eq(ptcp_cc_icbrt64(UINT64_MAX), 2642245);
  /* Random values: y^3 <= x < (y+1)^3. */
  for (i = 0; i < 200000; i++) {
    r ^= r << 13;
    r ^= r >> 7;
    r ^= r << 17;
    x = r;
    y = ptcp_cc_icbrt64(x);
    bad += y * y * y > x;
    if (y < 2642245)
      bad += (y + 1) * (y + 1) * (y + 1) <= x;
  }
  ck_assert_uint_eq(bad, 0);
}
END_TEST

/* A loss at cwnd |w| bytes with |w| in flight, then recovery ending with
 * |w| in flight: cwnd = ssthresh = beta * w. */
static void cubic_loss(cc_fixture *f, uint32_t w, uint32_t mss, ptcp_time now) {
  f->ops->on_enter_recovery(&f->st, f->sel.params, w, mss, now);
  f->ops->on_exit_recovery(&f->st, f->sel.params, w, mss, now + 1);
}

static void ack_nortt(cc_fixture *f, uint32_t acked, uint32_t mss, ptcp_time now) {
  ptcp_cc_ack a = {.acked = acked, .flight = 0, .mss = mss, .rtt = PTCP_TIME_NONE,
                   .now = now};

  f->ops->on_ack(&f->st, f->sel.params, &a);
}

START_TEST(test_cubic_curve_points) {
  const ptcp_time t0 = 10 * PTCP_SECONDS;
  cc_fixture f;

  /* beta 0.5 so the numbers are round.  iw=100: cwnd 100000 bytes; the
   * loss sets W_max = 100000, ssthresh = cwnd = 50000.  The first ACK in
   * congestion avoidance starts the epoch with
   *   K = cbrt((100000 - 50000) / (0.4 * 1000)) = cbrt(125) = 5 s
   * and W_cubic(0) = 100000 - 0.4 * 125 * 1000 = 50000 = cwnd: no growth. */
  cc_setup(&f, "cubic:beta_milli=500,reno_friendly=off,iw=100", 1000, 0);
  ck_assert_uint_eq(cwnd(&f), 100000);
  cubic_loss(&f, 100000, 1000, 1 * PTCP_SECONDS);
  ck_assert_uint_eq(ssthresh(&f), 50000);
  ck_assert_uint_eq(cwnd(&f), 50000);
  ack_nortt(&f, 1000, 1000, t0);
  ck_assert_uint_eq(cwnd(&f), 50000);
  /* t = 1 s: W_cubic = 100000 - 0.4 * 4^3 * 1000 = 74400; one SMSS of
   * ACK adds (74400 - 50000) * 1000 / 50000 = 488 bytes. */
  ack_nortt(&f, 1000, 1000, t0 + PTCP_SECONDS);
  ck_assert_uint_ge(cwnd(&f), 50487);
  ck_assert_uint_le(cwnd(&f), 50489);
  /* t = 5 s = K: W_cubic = W_max = 100000, but target <= 1.5 cwnd =
   * 75732: (75732 - 50488) * 1000 / 50488 = 500 bytes. */
  ack_nortt(&f, 1000, 1000, t0 + 5 * PTCP_SECONDS);
  ck_assert_uint_ge(cwnd(&f), 50987);
  ck_assert_uint_le(cwnd(&f), 50990);
  /* An ACK of half a segment grows half as much:  W_cubic(5 s) is still
   * above 1.5 cwnd, so (76483 - 50989) * 500 / 50989 = 250 bytes. */
  ack_nortt(&f, 500, 1000, t0 + 5 * PTCP_SECONDS);
  ck_assert_uint_ge(cwnd(&f), 51237);
  ck_assert_uint_le(cwnd(&f), 51241);
}
END_TEST

/*
 * The RFC 9438 model in double precision, for the same event sequence:
 * Figures 1, 2 and 4, the target clamp of §4.2, the Reno-friendly rule of
 * §4.3, growth per SMSS acknowledged, windows in bytes.
 */
typedef struct cubic_model {
  double cwnd, w_max, w_est, cwnd_prior, k, epoch, c, beta;
  int in_epoch, reno;
} cubic_model;

static double model_w(const cubic_model *m, double t, double mss) {
  return m->c * pow(t - m->k, 3) * mss + m->w_max;
}

static void model_ack(cubic_model *m, double now, double acked, double rtt, double mss) {
  double t, target, alpha;

  if (!m->in_epoch) {
    m->in_epoch = 1;
    m->epoch = now;
    m->w_est = m->cwnd;
    if (m->w_max <= m->cwnd) {
      m->k = 0;
      m->w_max = m->cwnd;
    } else {
      m->k = cbrt((m->w_max - m->cwnd) / (m->c * mss));
    }
  }
  t = now - m->epoch;
  if (acked > m->cwnd)
    acked = m->cwnd;
  if (m->reno) {
    alpha = m->w_est >= m->cwnd_prior ? 1.0 : 3 * (1 - m->beta) / (1 + m->beta);
    m->w_est += alpha * mss * acked / m->cwnd;
    if (model_w(m, t, mss) < m->w_est) {
      if (m->w_est > m->cwnd)
        m->cwnd = m->w_est;
      return;
    }
  }
  target = model_w(m, t + rtt, mss);
  if (target < m->cwnd)
    target = m->cwnd;
  if (target > 1.5 * m->cwnd)
    target = 1.5 * m->cwnd;
  m->cwnd += (target - m->cwnd) * acked / m->cwnd;
}

/* Runs |n| ACKs of |mss| every |gap| ns after a loss at |w| bytes, with
 * RTT |rtt| ns, in both; checks they agree within 0.3% + 2 bytes. */
static void cubic_vs_model(const char *spec, double c, double beta, int reno,
                           uint32_t mss, uint32_t w, int n, ptcp_duration gap,
                           ptcp_duration rtt, uint32_t *final) {
  cc_fixture f;
  cubic_model m;
  ptcp_time now = 10 * PTCP_SECONDS;
  int i;

  cc_setup(&f, spec, mss, 0);
  /* The spec's iw makes cwnd = w; a loss there sets W_max = w and cwnd =
   * ssthresh = beta * w. */
  ck_assert_uint_eq(cwnd(&f), w);
  cubic_loss(&f, w, mss, now - 2 * PTCP_SECONDS);
  memset(&m, 0, sizeof(m));
  m.cwnd = cwnd(&f);
  m.w_max = w;
  m.cwnd_prior = w;
  m.c = c;
  m.beta = beta;
  m.reno = reno;
  ck_assert_uint_eq(cwnd(&f), (uint32_t)(w * beta));
  for (i = 0; i < n; i++, now += gap) {
    ptcp_cc_ack a = {.acked = mss, .flight = cwnd(&f), .mss = mss, .rtt = rtt, .now = now};
    double want;

    f.ops->on_ack(&f.st, f.sel.params, &a);
    model_ack(&m, (double)now / 1e9, mss, (double)rtt / 1e9, mss);
    want = m.cwnd;
    ck_assert_msg(fabs(cwnd(&f) - want) <= want * 0.003 + 2,
                  "%s: ACK %d at %.4f s: cwnd %u, model %.1f", spec, i,
                  (double)now / 1e9, cwnd(&f), want);
  }
  *final = cwnd(&f);
}

START_TEST(test_cubic_trajectory_matches_model) {
  uint32_t w;

  /* Concave, plateau and convex: 100 segments lost at, ACKs every 10 ms
   * with a 100 ms RTT for 20 s (K = cbrt(30 / 0.4) = 4.22 s). */
  cubic_vs_model("cubic:reno_friendly=off,iw=100", 0.4, 0.7, 0, 1460, 146000, 2000,
                 10 * MS, 100 * MS, &w);
  /* 20 s after the loss the curve is well past W_max (convex). */
  ck_assert_uint_gt(w, 146000);
  /* The same with the Reno-friendly region on (CUBIC dominates here). */
  cubic_vs_model("cubic:iw=100", 0.4, 0.7, 1, 1460, 146000, 2000, 10 * MS, 100 * MS,
                 &w);
  /* Other constants: C 1.2, beta 0.8; a small MSS; a large window. */
  cubic_vs_model("cubic:c_milli=1200,beta_milli=800,iw=100", 1.2, 0.8, 1, 536, 53600,
                 1500, 5 * MS, 50 * MS, &w);
  cubic_vs_model("cubic:reno_friendly=off,iw=1000", 0.4, 0.7, 0, 65535, 65535000, 3000,
                 20 * MS, 200 * MS, &w);
}
END_TEST

START_TEST(test_cubic_reno_friendly) {
  uint32_t w;
  cc_fixture f;
  ptcp_time now = 10 * PTCP_SECONDS;
  int i;

  /* A short RTT (ACKs every 100 us, 70 per window): Reno's line grows
   * faster than the cubic, so cwnd follows W_est (§4.3), alpha = 3 *
   * 0.3 / 1.7 = 9/17: about 529 bytes per window of 70 ACKs. */
  cubic_vs_model("cubic:iw=100", 0.4, 0.7, 1, 1000, 100000, 70, 100 * PTCP_MICROSECONDS,
                 1 * MS, &w);
  ck_assert_uint_ge(w, 70000 + 520);
  ck_assert_uint_le(w, 70000 + 535);
  /* Once W_est reaches cwnd_prior (100000), alpha is 1: a window of ACKs
   * then adds one SMSS.  Run to there, then one more window. */
  cc_setup(&f, "cubic:iw=100", 1000, 0);
  cubic_loss(&f, 100000, 1000, now - 2 * PTCP_SECONDS);
  for (i = 0; cwnd(&f) < 100000 && i < 10000; i++, now += 100 * PTCP_MICROSECONDS)
    ack(&f, 1000, cwnd(&f), 1000, now);
  ck_assert_uint_ge(cwnd(&f), 100000);
  w = cwnd(&f);
  for (i = 0; i < 100; i++, now += 100 * PTCP_MICROSECONDS)
    ack(&f, 1000, cwnd(&f), 1000, now);
  ck_assert_uint_ge(cwnd(&f), w + 990);
  ck_assert_uint_le(cwnd(&f), w + 1010);
  /* With the region off, the same ACKs follow the (slower) cubic. */
  cubic_vs_model("cubic:reno_friendly=off,iw=100", 0.4, 0.7, 0, 1000, 100000, 70,
                 100 * PTCP_MICROSECONDS, 1 * MS, &w);
  ck_assert_uint_lt(w, 70000 + 300);
}
END_TEST

START_TEST(test_cubic_loss_and_fast_convergence) {
  cc_fixture f;

  /* §4.6: ssthresh = 0.7 * FlightSize, not below 2 SMSS; W_max = cwnd;
   * then NewReno's inflation: cwnd = ssthresh + 3 SMSS. */
  cc_setup(&f, "cubic:iw=100", 1000, 0);
  f.ops->on_enter_recovery(&f.st, f.sel.params, 100000, 1000, 1 * PTCP_SECONDS);
  ck_assert_uint_eq(ssthresh(&f), 70000);
  ck_assert_uint_eq(cwnd(&f), 73000);
  f.ops->on_recovery_dupack(&f.st, f.sel.params, 1000);
  ck_assert_uint_eq(cwnd(&f), 74000);
  f.ops->on_partial_ack(&f.st, f.sel.params, 3000, 1000);
  ck_assert_uint_eq(cwnd(&f), 72000);
  f.ops->on_exit_recovery(&f.st, f.sel.params, 90000, 1000, 2 * PTCP_SECONDS);
  ck_assert_uint_eq(cwnd(&f), 70000);
  /* A second loss below W_max (100000): fast convergence (§4.7) lowers
   * W_max to 70000 * 1.7 / 2 = 59500; ssthresh = cwnd = 0.7 * 70000. */
  f.ops->on_enter_recovery(&f.st, f.sel.params, 70000, 1000, 3 * PTCP_SECONDS);
  ck_assert_uint_eq(ssthresh(&f), 49000);
  f.ops->on_exit_recovery(&f.st, f.sel.params, 70000, 1000, 4 * PTCP_SECONDS);
  ck_assert_uint_eq(cwnd(&f), 49000);
  /* The epoch starts at 10 s: K = cbrt(10500 / 400) = 2.97 s and
   * W_cubic(0) = cwnd_epoch, so the Reno estimate, updated first (9/17 *
   * 1000 * 1000 / 49000 = 10.8 bytes), wins: cwnd 49010 (§4.3).  At 11 s
   * W_cubic(1) = 59500 - 0.4 * 1.97^3 * 1000 = 56435 (56442 with K
   * exact), and cwnd grows by (56435 - 49010) * 1000 / 49010 = 151. */
  ack_nortt(&f, 1000, 1000, 10 * PTCP_SECONDS);
  ck_assert_uint_eq(cwnd(&f), 49010);
  ack_nortt(&f, 1000, 1000, 11 * PTCP_SECONDS);
  ck_assert_uint_ge(cwnd(&f), 49160);
  ck_assert_uint_le(cwnd(&f), 49162);
  /* Without fast convergence W_max stays 70000: K = cbrt(21000 / 400) =
   * 3.74 s, W_cubic(1) = 70000 - 0.4 * 2.74^3 * 1000 = 61735, and the
   * second ACK adds (61735 - 49010) * 1000 / 49010 = 259. */
  cc_setup(&f, "cubic:iw=100,fast_convergence=off", 1000, 0);
  cubic_loss(&f, 100000, 1000, 1 * PTCP_SECONDS);
  f.ops->on_enter_recovery(&f.st, f.sel.params, 70000, 1000, 3 * PTCP_SECONDS);
  f.ops->on_exit_recovery(&f.st, f.sel.params, 70000, 1000, 4 * PTCP_SECONDS);
  ck_assert_uint_eq(cwnd(&f), 49000);
  ack_nortt(&f, 1000, 1000, 10 * PTCP_SECONDS);
  ack_nortt(&f, 1000, 1000, 11 * PTCP_SECONDS);
  ck_assert_uint_ge(cwnd(&f), 49268);
  ck_assert_uint_le(cwnd(&f), 49270);
  /* The 2 SMSS floor on ssthresh. */
  cc_setup(&f, "cubic", 1000, 0);
  f.ops->on_enter_recovery(&f.st, f.sel.params, 1000, 1000, 1 * PTCP_SECONDS);
  ck_assert_uint_eq(ssthresh(&f), 2000);
}
END_TEST

START_TEST(test_cubic_timeout_and_undo) {
  cc_fixture f;
  ptcp_time now = 1 * PTCP_SECONDS;
  int i;

  /* §4.8: ssthresh 0.7 * 100000, cwnd 1 SMSS, slow start back... */
  cc_setup(&f, "cubic:iw=100,reno_friendly=off", 1000, 0);
  f.ops->on_timeout(&f.st, f.sel.params, 100000, 1000, now);
  ck_assert_uint_eq(cwnd(&f), 1000);
  ck_assert_uint_eq(ssthresh(&f), 70000);
  for (i = 0; i < 69; i++)
    ack_nortt(&f, 1000, 1000, now += MS);
  ck_assert_uint_eq(cwnd(&f), 70000);
  /* ...then the first epoch after a timeout has K = 0 and W_max = cwnd:
   * convex from 70000.  At 2 s: W_cubic = 70000 + 0.4 * 8 * 1000 =
   * 73200, + 3200 * 1000 / 70000 = 45 bytes. */
  ack_nortt(&f, 1000, 1000, 10 * PTCP_SECONDS);
  ck_assert_uint_eq(cwnd(&f), 70000);
  ack_nortt(&f, 1000, 1000, 12 * PTCP_SECONDS);
  ck_assert_uint_ge(cwnd(&f), 70044);
  ck_assert_uint_le(cwnd(&f), 70046);

  /* §4.9: a spurious timeout is undone: cwnd, ssthresh back. */
  cc_setup(&f, "cubic:iw=100", 1000, 0);
  ck_assert_ptr_nonnull(f.ops->on_spurious);
  f.ops->on_timeout(&f.st, f.sel.params, 100000, 1000, 1 * PTCP_SECONDS);
  f.ops->on_timeout(&f.st, f.sel.params, 100000, 1000, 3 * PTCP_SECONDS);
  f.ops->on_spurious(&f.st, f.sel.params, 3500 * MS);
  ck_assert_uint_eq(cwnd(&f), 100000);
  ck_assert_uint_eq(ssthresh(&f), UINT32_MAX);
  /* Not after an ACK of new data, and not without a timeout. */
  f.ops->on_timeout(&f.st, f.sel.params, 100000, 1000, 5 * PTCP_SECONDS);
  ack_nortt(&f, 1000, 1000, 5100 * MS);
  f.ops->on_spurious(&f.st, f.sel.params, 5100 * MS);
  ck_assert_uint_eq(cwnd(&f), 2000);
  ck_assert_uint_eq(ssthresh(&f), 70000);
  f.ops->on_spurious(&f.st, f.sel.params, 5200 * MS);
  ck_assert_uint_eq(cwnd(&f), 2000);
}
END_TEST

START_TEST(test_cubic_slow_start_idle_and_extremes) {
  cc_fixture f;
  int i;

  /* RFC 5681 slow start and IW, as newreno. */
  cc_setup(&f, "cubic", 1460, 0);
  ck_assert_uint_eq(cwnd(&f), 4380);
  ck_assert_uint_eq(ssthresh(&f), UINT32_MAX);
  ack(&f, 2920, 4380, 1460, 10 * MS);
  ck_assert_uint_eq(cwnd(&f), 5840);
  /* Idle restart: min(cwnd, IW). */
  for (i = 0; i < 20; i++)
    ack(&f, 1460, 5840, 1460, (ptcp_time)(20 + i) * MS);
  f.ops->on_idle(&f.st, f.sel.params, 1460, 10 * PTCP_SECONDS);
  ck_assert_uint_eq(cwnd(&f), 4380);
  /* Saturation at the top of the range, in congestion avoidance. */
  cc_setup(&f, "cubic:iw=1000,ssthresh=1", 65535, 0);
  for (i = 0; i < 1000; i++)
    ack(&f, UINT32_MAX, UINT32_MAX, 65535, (ptcp_time)i * PTCP_SECONDS);
  ck_assert_uint_eq(cwnd(&f), UINT32_MAX);
  /* A time far in the future and an RTT of 10 minutes do not overflow. */
  cc_setup(&f, "cubic:iw=10,ssthresh=1", 1, 0);
  cubic_loss(&f, 4000000000u, 1, 1 * PTCP_SECONDS);
  {
    ptcp_cc_ack a = {.acked = 1, .flight = 1, .mss = 1, .rtt = 600 * PTCP_SECONDS,
                     .now = 2 * PTCP_SECONDS};

    f.ops->on_ack(&f.st, f.sel.params, &a);
    a.now = PTCP_TIME_NONE - 1;
    f.ops->on_ack(&f.st, f.sel.params, &a);
    ck_assert_uint_ge(cwnd(&f), 2);
  }
}
END_TEST

Suite *ptcp_cc_suite(void) {
  Suite *s = suite_create("cc");
  TCase *nr = tcase_create("newreno");
  TCase *none = tcase_create("none");
  TCase *cubic = tcase_create("cubic");

  tcase_add_test(nr, test_newreno_initial_window);
  tcase_add_test(nr, test_newreno_slow_start);
  tcase_add_test(nr, test_newreno_congestion_avoidance);
  tcase_add_test(nr, test_newreno_saturates);
  tcase_add_test(nr, test_newreno_fast_recovery);
  tcase_add_test(nr, test_newreno_recovery_floors);
  tcase_add_test(nr, test_newreno_timeout);
  tcase_add_test(nr, test_newreno_idle_restart);
  tcase_add_test(nr, test_newreno_spurious_undo);
  suite_add_tcase(s, nr);

  tcase_add_test(none, test_none);
  suite_add_tcase(s, none);

  tcase_add_test(cubic, test_cubic_icbrt);
  tcase_add_test(cubic, test_cubic_curve_points);
  tcase_add_test(cubic, test_cubic_trajectory_matches_model);
  tcase_add_test(cubic, test_cubic_reno_friendly);
  tcase_add_test(cubic, test_cubic_loss_and_fast_convergence);
  tcase_add_test(cubic, test_cubic_timeout_and_undo);
  tcase_add_test(cubic, test_cubic_slow_start_idle_and_extremes);
  suite_add_tcase(s, cubic);
  return s;
}

/*
 * Tests for the cc slot: "newreno" (RFC 5681 + RFC 6582) step by step —
 * initial window, slow start, congestion avoidance, fast recovery with
 * its inflation, partial ACKs and exit, timeout, restart after idle,
 * saturation — and "none".  Every event states its simulated time.
 */
#include <check.h>
#include <stdint.h>

#include <plugtcp/policy.h>

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

Suite *ptcp_cc_suite(void) {
  Suite *s = suite_create("cc");
  TCase *nr = tcase_create("newreno");
  TCase *none = tcase_create("none");

  tcase_add_test(nr, test_newreno_initial_window);
  tcase_add_test(nr, test_newreno_slow_start);
  tcase_add_test(nr, test_newreno_congestion_avoidance);
  tcase_add_test(nr, test_newreno_saturates);
  tcase_add_test(nr, test_newreno_fast_recovery);
  tcase_add_test(nr, test_newreno_recovery_floors);
  tcase_add_test(nr, test_newreno_timeout);
  tcase_add_test(nr, test_newreno_idle_restart);
  suite_add_tcase(s, nr);

  tcase_add_test(none, test_none);
  suite_add_tcase(s, none);
  return s;
}

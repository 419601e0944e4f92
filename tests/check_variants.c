/*
 * The policy variants inside the engine, with the scripted peer: each
 * test selects a variant by name, as a user would, and checks that the
 * engine does what the variant decides (the unit suites check_<slot>.c
 * test the decisions themselves):
 *
 *   dupfilter paws    an old TSval is ACKed and dropped, a segment without
 *                     TSopt is dropped silently, and the default rfc9293
 *                     takes both;
 *   dupfilter rfc793  an in-window RST resets, an in-window SYN resets
 *                     with a RST;
 *   close abort       close sends RST, not FIN;
 *   close rfc793      a RST ends TIME-WAIT;
 *   close short       TIME-WAIT lasts 1 s;
 *   rto eifel + cc newreno  a spurious timeout (RFC 3522 detection in the
 *                     engine) is undone: cwnd and ssthresh back, and RTO
 *                     re-initialised per RFC 4015 (compared with eifel
 *                     off);
 *   every combination of the built-in rto, dupfilter, close and cc
 *                     policies opens a connection and moves data (their
 *                     states share one area in the connection; a state
 *                     that straddled its inline part and the heap part
 *                     once overflowed it); and a policy without state
 *                     after a full inline part gets a real address (it
 *                     once got NULL).
 *
 * Every step states its time.
 */
#include <check.h>
#include <string.h>

#include "builtins.h"
#include "tcp_harness.h"

Suite *ptcp_variants_suite(void);

static tp t;

static void teardown(void) { tp_free(&t); }

static void init_with(ptcp_slot slot, const char *spec) {
  tp_opts o;

  memset(&o, 0, sizeof(o));
  o.policy[slot] = spec;
  o.no_delack = 1;
  tp_init(&t, &o);
}

static ptcp_conn_status status(const ptcp_conn *c) {
  ptcp_conn_status st;

  ptcp_conn_status_get(c, &st);
  return st;
}

/* A segment from the peer carrying TSopt. */
static tp_seg ts_seg(uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len,
                     uint32_t tsval, uint32_t tsecr) {
  tp_seg s = SEG(.flags = flags, .seq = seq, .ack = ack, .len = len, .window = 65535);

  s.opts.present = PTCP_OPT_TS;
  s.opts.ts_val = tsval;
  s.opts.ts_ecr = tsecr;
  return s;
}

/* The passive handshake of tp_established, with timestamps negotiated:
 * the peer's TSval is 1000 on the SYN and 1001 on the ACK.  Returns the
 * TSval of our SYN-ACK. */
static ptcp_conn *established_ts(ptcp_time now, uint32_t *our_tsval) {
  tp_seg syn = ts_seg(PTCP_SYN, TP_IRS, 0, 0, 1000, 0);
  const ptcp_seg *synack;
  ptcp_conn *c;

  syn.opts.present |= PTCP_OPT_MSS;
  syn.opts.mss = 1460;
  tp_listen(&t, 80, 8);
  ck_assert_int_eq(tp_send(&t, now, syn), 0);
  synack =
      tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
  ck_assert(synack->opts.present & PTCP_OPT_TS);
  *our_tsval = synack->opts.ts_val;
  ck_assert_int_eq(tp_send(&t, now + 10 * MS,
                           ts_seg(PTCP_ACK, TP_IRS + 1, TP_ISS + 1, 0, 1001, *our_tsval)),
                   0);
  tp_expect_nothing(&t);
  ck_assert_int_eq(ptcp_conn_accept(t.listener, &c), 0);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_ESTABLISHED);
  ck_assert(status(c).ts_ok);
  t.conn = c;
  return c;
}

/* ------------------------------------------------------------------ */
/* dupfilter                                                           */

START_TEST(test_variants_paws_in_engine) {
  uint32_t ours;
  ptcp_conn *c;

  init_with(PTCP_SLOT_DUPFILTER, "paws");
  c = established_ts(0, &ours);
  /* t=100ms: 10 bytes with TSval 2000: accepted, ACKed. */
  ck_assert_int_eq(
      tp_send(&t, 100 * MS, ts_seg(PTCP_ACK, TP_IRS + 1, TP_ISS + 1, 10, 2000, ours)), 0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 11));
  /* t=200ms: the next 10 bytes but TSval 1500 < TS.Recent 2000: PAWS
   * (RFC 7323 §5.3 R1): ACK RCV.NXT, drop. */
  ck_assert_int_eq(
      tp_send(&t, 200 * MS, ts_seg(PTCP_ACK, TP_IRS + 11, TP_ISS + 1, 10, 1500, ours)),
      0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 11));
  ck_assert_uint_eq(status(c).rcv_nxt, TP_IRS + 11);
  ck_assert_uint_eq(status(c).reasons[PTCP_R_PAWS], 1);
  /* t=300ms: no TSopt (RFC 7323 §3.2): dropped in silence. */
  ck_assert_int_eq(tp_send(&t, 300 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 11, .ack = TP_ISS + 1,
                               .len = 10, .window = 65535)),
                   0);
  tp_expect_nothing(&t);
  ck_assert_uint_eq(status(c).rcv_nxt, TP_IRS + 11);
  ck_assert_uint_eq(status(c).reasons[PTCP_R_PAWS], 2);
  /* t=400ms: TSval 2001: accepted. */
  ck_assert_int_eq(
      tp_send(&t, 400 * MS, ts_seg(PTCP_ACK, TP_IRS + 11, TP_ISS + 1, 10, 2001, ours)),
      0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 21));
}
END_TEST

START_TEST(test_variants_no_paws_by_default) {
  uint32_t ours;
  ptcp_conn *c;

  /* The default rfc9293 has no PAWS: the old TSval and the missing TSopt
   * are both taken. */
  init_with(PTCP_SLOT_DUPFILTER, "rfc9293");
  c = established_ts(0, &ours);
  ck_assert_int_eq(
      tp_send(&t, 100 * MS, ts_seg(PTCP_ACK, TP_IRS + 1, TP_ISS + 1, 10, 2000, ours)), 0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 11));
  ck_assert_int_eq(
      tp_send(&t, 200 * MS, ts_seg(PTCP_ACK, TP_IRS + 11, TP_ISS + 1, 10, 1500, ours)),
      0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 21));
  ck_assert_int_eq(tp_send(&t, 300 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 21, .ack = TP_ISS + 1,
                               .len = 10, .window = 65535)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 31));
  ck_assert_uint_eq(status(c).reasons[PTCP_R_PAWS], 0);
}
END_TEST

START_TEST(test_variants_rfc793_rst_in_window_resets) {
  ptcp_conn *c;

  init_with(PTCP_SLOT_DUPFILTER, "rfc793");
  c = tp_established(&t, 0);
  /* RFC 793 p. 70: in the window is enough (rfc9293 would challenge). */
  ck_assert_int_eq(tp_send(&t, 100 * MS, SEG(.flags = PTCP_RST, .seq = TP_IRS + 50)), 0);
  tp_expect_nothing(&t);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSED);
  ck_assert_int_eq(t.ev.last_error, PTCP_ERR_CONN_RESET);
}
END_TEST

START_TEST(test_variants_rfc793_syn_in_window_resets) {
  ptcp_conn *c;

  init_with(PTCP_SLOT_DUPFILTER, "rfc793");
  c = tp_established(&t, 0);
  /* RFC 793 p. 71: a SYN in the window is an error: RST, CLOSED. */
  ck_assert_int_eq(tp_send(&t, 100 * MS, SEG(.flags = PTCP_SYN, .seq = TP_IRS + 10)), 0);
  tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 1, .any_ack = 1));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSED);
}
END_TEST

/* ------------------------------------------------------------------ */
/* close                                                               */

START_TEST(test_variants_abort_close_sends_rst) {
  ptcp_conn *c;

  init_with(PTCP_SLOT_CLOSE, "abort");
  c = tp_established(&t, 0);
  /* Nothing unread, nothing unsent: still a RST (SO_LINGER 0). */
  ck_assert_int_eq(ptcp_conn_close(c, 100 * MS), 0);
  tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 1, .any_ack = 1));
  tp_expect_nothing(&t);
}
END_TEST

START_TEST(test_variants_rfc793_rst_ends_time_wait) {
  ptcp_conn *c;

  init_with(PTCP_SLOT_CLOSE, "rfc793");
  c = tp_time_wait(&t, 0);
  /* t=1s: no RFC 1337: the RST ends TIME-WAIT. */
  ck_assert_int_eq(tp_send(&t, 1 * SEC, SEG(.flags = PTCP_RST, .seq = TP_IRS + 2)), 0);
  tp_expect_nothing(&t);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSED);
}
END_TEST

START_TEST(test_variants_short_time_wait) {
  const ptcp_time tw_start = 40 * MS; /* the FIN of tp_time_wait */
  ptcp_conn *c;

  init_with(PTCP_SLOT_CLOSE, "short");
  c = tp_time_wait(&t, 0);
  /* 1 s instead of 2 MSL. */
  tp_advance(&t, tw_start + 1 * SEC - 1);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_TIME_WAIT);
  tp_advance(&t, tw_start + 1 * SEC);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSED);
  tp_expect_nothing(&t);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A spurious timeout: rto eifel and cc newreno undo                   */

/* Sends 1000 bytes at 100 ms, lets the 1 s RTO expire, then has the
 * peer ACK the original transmission (its TSval echoed): RFC 3522 says
 * the timeout was spurious.  Returns the connection's status after. */
static ptcp_conn_status spurious_run(const char *rto_spec) {
  static const uint8_t data[1000];
  const ptcp_seg *orig, *rtx;
  uint32_t ours, orig_ts;
  ptcp_conn *c;
  tp_opts o;

  memset(&o, 0, sizeof(o));
  o.policy[PTCP_SLOT_RTO] = rto_spec;
  o.policy[PTCP_SLOT_CC] = "newreno";
  o.no_delack = 1;
  tp_init(&t, &o);
  c = established_ts(0, &ours);
  /* SYN-ACK at 0, ACK at 10 ms: SRTT 10 ms, RTTVAR 5 ms, RTO 1 s (min).
   * IW 3 * 1448 (MSS 1460 less 12 bytes of TSopt). */
  ck_assert_uint_eq(status(c).cwnd, 4344);
  ck_assert_int_eq(ptcp_conn_send(c, data, sizeof(data), 100 * MS),
                   (ptcp_ssize)sizeof(data));
  orig = tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1, .len = 1000,
                           .any_ack = 1));
  orig_ts = orig->opts.ts_val;
  /* t=1.1s: the timer fires: retransmission, cwnd 1 SMSS. */
  tp_advance(&t, 1100 * MS);
  rtx = tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1, .len = 1000,
                          .any_ack = 1));
  ck_assert_uint_gt(rtx->opts.ts_val, orig_ts);
  ck_assert_uint_eq(status(c).cwnd, 1448);
  ck_assert_uint_eq(status(c).timeouts, 1);
  /* t=1.2s: the ACK of the original: TSecr = the original's TSval. */
  ck_assert_int_eq(tp_send(&t, 1200 * MS,
                           ts_seg(PTCP_ACK, TP_IRS + 1, TP_ISS + 1001, 0, 2000, orig_ts)),
                   0);
  ck_assert_uint_eq(status(c).spurious_timeouts, 1);
  return status(c);
}

START_TEST(test_variants_spurious_timeout_undone) {
  ptcp_conn_status st;

  /* newreno (RFC 4015 §3): cwnd back to 4344 and ssthresh to pipe_prev =
   * max(FlightSize 1000, ssthresh "infinite"); then this ACK's slow-start
   * step (min(1000, SMSS)): 5344. */
  st = spurious_run("rfc6298:eifel=on");
  ck_assert_uint_eq(st.ssthresh, UINT32_MAX);
  ck_assert_uint_eq(st.cwnd, 5344);
  /* The timestamp sample of that ACK is 1200 - 100 = 1100 ms (the
   * original's age).  eifel: SRTT max(10 + 2, 1100) = 1100 ms, RTTVAR
   * max(5, 550) = 550 ms, RTO 1100 + 2200 = 3300 ms. */
  ck_assert_uint_eq(st.srtt, 1100 * MS);
  ck_assert_uint_eq(st.rto, 3300 * MS);
  tp_free(&t);
  /* Without eifel the same sample is only smoothed in: RTTVAR (15 +
   * 1090)/4 = 276.25, SRTT (70 + 1100)/8 = 146.25, RTO 1251.25 ms. */
  st = spurious_run("rfc6298");
  ck_assert_uint_eq(st.srtt, 146250000);
  ck_assert_uint_eq(st.rto, 1251250000);
  ck_assert_uint_eq(st.cwnd, 5344);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Every combination                                                   */

START_TEST(test_variants_every_combination) {
  static const ptcp_slot slots[] = {PTCP_SLOT_RTO, PTCP_SLOT_DUPFILTER, PTCP_SLOT_CLOSE,
                                    PTCP_SLOT_CC};
  const char *names[4][64];
  size_t n[4], idx[4] = {0, 0, 0, 0}, k, combos = 0;
  ptcp_registry *reg = NULL;

  ck_assert_int_eq(ptcp_registry_new(&reg, NULL), 0);
  ck_assert_int_eq(ptcp_registry_add_builtins(reg), 0);
  for (k = 0; k < 4; k++) {
    n[k] = ptcp_registry_count(reg, slots[k]);
    ck_assert_uint_le(n[k], 64);
    for (size_t i = 0; i < n[k]; i++)
      names[k][i] = ptcp_registry_get(reg, slots[k], i)->name;
  }
  for (;;) {
    tp_opts o;
    ptcp_conn *c;

    memset(&o, 0, sizeof(o));
    for (k = 0; k < 4; k++)
      o.policy[slots[k]] = names[k][idx[k]];
    o.no_delack = 1;
    tp_init(&t, &o);
    c = tp_established(&t, 0);
    ck_assert_int_eq(
        tp_send(&t, 100 * MS,
                SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1, .len = 100)),
        0);
    tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 101));
    ck_assert_int_eq(ptcp_conn_send(c, "hello", 5, 200 * MS), 5);
    tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1,
                      .ack = TP_IRS + 101, .len = 5));
    tp_free(&t);
    combos++;
    /* Next combination, odometer style. */
    for (k = 0; k < 4 && ++idx[k] == n[k]; k++)
      idx[k] = 0;
    if (k == 4)
      break;
  }
  ck_assert_uint_eq(combos, n[0] * n[1] * n[2] * n[3]);
  ptcp_registry_free(reg);
  /* The fixture's teardown frees t once more: give it a live one. */
  tp_init(&t, NULL);
}
END_TEST

/* The state pointer the zero-state cc policy's init was given. */
static const void *zero_state_seen;
static int zero_state_inits;

static int zero_state_init(void *state, const void *params, uint32_t mss, ptcp_time now) {
  zero_state_seen = state;
  zero_state_inits++;
  return ptcp_cc_none.init(state, params, mss, now);
}

START_TEST(test_variants_zero_state_after_full_inline_area) {
  /* An rto state that fills the connection's inline area exactly, then
   * policies without state (dupfilter rfc793, close rfc9293 and a cc):
   * nothing goes to the heap part, and the cc's offset lies past the
   * inline area. */
  static tpair p;
  ptcp_registry *reg = NULL;
  ptcp_rto_ops rto80 = ptcp_rto_rfc6298;
  ptcp_cc_ops zero = ptcp_cc_none;
  tpair_opts o;

  ck_assert_uint_eq(ptcp_dupfilter_rfc793.info.state_size, 0);
  ck_assert_uint_eq(ptcp_close_rfc9293.info.state_size, 0);
  ck_assert_uint_eq(ptcp_cc_none.info.state_size, 0);
  rto80.info.name = "rto80";
  rto80.info.state_size = 80; /* rfc6298's own state, padded */
  zero.info.name = "zerostate";
  zero.init = zero_state_init;
  ck_assert_int_eq(ptcp_registry_new(&reg, NULL), 0);
  ck_assert_int_eq(ptcp_registry_add_builtins(reg), 0);
  ck_assert_int_eq(ptcp_registry_add(reg, &rto80.info), 0);
  ck_assert_int_eq(ptcp_registry_add(reg, &zero.info), 0);
  memset(&o, 0, sizeof(o));
  o.registry = reg;
  for (int side = 0; side < 2; side++) {
    o.side[side].policy[PTCP_SLOT_RTO] = "rto80";
    o.side[side].policy[PTCP_SLOT_DUPFILTER] = "rfc793";
    o.side[side].policy[PTCP_SLOT_CC] = "zerostate";
  }
  zero_state_inits = 0;
  tpair_init(&p, &o);
  ck_assert(tpair_connect(&p, 1 * SEC));
  ck_assert_uint_eq(tpair_send_pattern(&p, 0, 0, 10000), 10000);
  tpair_run_idle(&p, p.now + 10 * SEC);
  ck_assert(tpair_rx_is_pattern(&p, 1, 10000));
  ck_assert_int_ge(zero_state_inits, 1);
  ck_assert_ptr_nonnull(zero_state_seen);
  tpair_free(&p);
  ptcp_registry_free(reg);
}
END_TEST

Suite *ptcp_variants_suite(void) {
  Suite *s = suite_create("variants");
  TCase *df = tcase_create("dupfilter");
  TCase *cl = tcase_create("close");
  TCase *sp = tcase_create("spurious");
  TCase *all = tcase_create("combinations");
  TCase *layout = tcase_create("layout");

  tcase_add_checked_fixture(df, NULL, teardown);
  tcase_add_test(df, test_variants_paws_in_engine);
  tcase_add_test(df, test_variants_no_paws_by_default);
  tcase_add_test(df, test_variants_rfc793_rst_in_window_resets);
  tcase_add_test(df, test_variants_rfc793_syn_in_window_resets);
  suite_add_tcase(s, df);

  tcase_add_checked_fixture(cl, NULL, teardown);
  tcase_add_test(cl, test_variants_abort_close_sends_rst);
  tcase_add_test(cl, test_variants_rfc793_rst_ends_time_wait);
  tcase_add_test(cl, test_variants_short_time_wait);
  suite_add_tcase(s, cl);

  tcase_add_checked_fixture(sp, NULL, teardown);
  tcase_add_test(sp, test_variants_spurious_timeout_undone);
  suite_add_tcase(s, sp);

  tcase_add_checked_fixture(all, NULL, teardown);
  tcase_add_test(all, test_variants_every_combination);
  suite_add_tcase(s, all);

  tcase_add_test(layout, test_variants_zero_state_after_full_inline_area);
  suite_add_tcase(s, layout);
  return s;
}

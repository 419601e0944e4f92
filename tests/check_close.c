/*
 * Tests for the close slot, policy "rfc9293": TIME-WAIT length (2 MSL,
 * or the param), the FIN-WAIT-2 limit, and the verdict for every kind of
 * segment that reaches a TIME-WAIT connection, with RCV.NXT far from and
 * at the 2^32 wrap.  The segment rules run for every policy that keeps
 * them ("short", "abort"; "rfc793" for all but RSTs, "rfc6191" for all
 * but SYNs).  Then each variant's own rule: the fixed short TIME-WAIT,
 * RST ending TIME-WAIT (RFC 793), the RFC 6191 timestamp reopen table,
 * and close always resetting (abort).
 */
#include <check.h>
#include <string.h>

#include <plugtcp/policy.h>
#include <plugtcp/seq.h>

#include "policy_test_helper.h"

Suite *ptcp_close_suite(void);

#define S PTCP_SECONDS
#define MSL_DEFAULT (120 * S) /* RFC 9293 §3.4.2, as ptcp_conn_cfg */

static const ptcp_close_ops *close_ops(const ptcp_policy_sel *sel) {
  return (const ptcp_close_ops *)sel->ops;
}

START_TEST(test_time_wait_length) {
  ptcp_policy_sel sel = policy_select(PTCP_SLOT_CLOSE, "rfc9293");
  const ptcp_close_ops *ops = close_ops(&sel);

  /* RFC 9293 §3.10.7.4: 2 MSL. */
  ck_assert_uint_eq(ops->time_wait(sel.params, MSL_DEFAULT), 240 * S);
  ck_assert_uint_eq(ops->time_wait(sel.params, 30 * S), 60 * S);
  ck_assert_uint_eq(ops->time_wait(sel.params, 0), 0);
  /* A huge MSL saturates rather than wrapping to a short TIME-WAIT. */
  ck_assert_uint_eq(ops->time_wait(sel.params, UINT64_MAX / 2 + 1), UINT64_MAX);
  ck_assert_uint_eq(ops->time_wait(sel.params, UINT64_MAX / 2), UINT64_MAX - 1);

  /* The param overrides 2 MSL (the core still clamps to 4 MSL). */
  sel = policy_select(PTCP_SLOT_CLOSE, "rfc9293:time_wait=10s");
  ck_assert_uint_eq(close_ops(&sel)->time_wait(sel.params, MSL_DEFAULT), 10 * S);
  ck_assert_uint_eq(close_ops(&sel)->time_wait(sel.params, 1 * S), 10 * S);
}
END_TEST

START_TEST(test_fin_wait_2_and_close_action) {
  ptcp_policy_sel sel = policy_select(PTCP_SLOT_CLOSE, "rfc9293");
  const ptcp_close_ops *ops = close_ops(&sel);

  /* Bounded like Linux and FreeBSD by default... */
  ck_assert_ptr_nonnull(ops->fin_wait_2_timeout);
  ck_assert_uint_eq(ops->fin_wait_2_timeout(sel.params, MSL_DEFAULT), 60 * S);
  /* ... unbounded (RFC 9293) or shorter on request. */
  sel = policy_select(PTCP_SLOT_CLOSE, "rfc9293:fin_wait_2=0");
  ck_assert_uint_eq(ops->fin_wait_2_timeout(sel.params, MSL_DEFAULT), 0);
  sel = policy_select(PTCP_SLOT_CLOSE, "rfc9293:fin_wait_2=5s");
  ck_assert_uint_eq(ops->fin_wait_2_timeout(sel.params, MSL_DEFAULT), 5 * S);
  /* close_action is left to the core's default (RST iff unread data). */
  ck_assert_ptr_null(ops->close_action);
}
END_TEST

/* The policy the segment-rule tests run against: each is a loop test
 * over the specs that share the rule (Check's _i picks one). */
static const char *tw_spec = "rfc9293";

static const char *const rst_rule_specs[] = {"rfc9293", "short", "abort", "rfc6191"};
static const char *const syn_rule_specs[] = {"rfc9293", "short", "abort", "rfc793"};
static const char *const other_rule_specs[] = {"rfc9293", "short", "abort", "rfc793",
                                               "rfc6191"};
#define NSPECS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The window the TIME-WAIT connection last offered. */
#define TW_WINDOW 65535u

/* What the policy says about a segment in TIME-WAIT at |now|. */
static ptcp_tw_verdict tw(uint8_t flags, uint32_t seq, uint32_t seg_len,
                          uint32_t rcv_nxt, int listener) {
  ptcp_policy_sel sel = policy_select(PTCP_SLOT_CLOSE, tw_spec);
  ptcp_seg seg;
  ptcp_tw_ctx c;

  memset(&seg, 0, sizeof(seg));
  seg.flags = flags;
  seg.seq = seq;
  seg.payload_len = seg_len - ((flags & PTCP_SYN) ? 1 : 0) - ((flags & PTCP_FIN) ? 1 : 0);
  memset(&c, 0, sizeof(c));
  c.seg = &seg;
  c.seg_len = seg_len;
  c.rcv_nxt = rcv_nxt;
  c.rcv_wnd = TW_WINDOW;
  c.snd_nxt = 777;
  c.listener = (uint8_t)listener;
  c.now = 100 * S;
  return close_ops(&sel)->time_wait_segment(sel.params, &c);
}

/* RCV.NXT values: ordinary, and 0 (the peer's FIN was at 2^32 - 1). */
static const uint32_t nxts[] = {5000u, 0u};

START_TEST(test_tw_rst_ignored) {
  size_t i;

  tw_spec = rst_rule_specs[_i];
  /* RFC 1337 F1: a RST never ends TIME-WAIT, wherever it lies. */
  for (i = 0; i < 2; i++) {
    uint32_t n = nxts[i];

    ck_assert_int_eq(tw(PTCP_RST, n, 0, n, 0), PTCP_TW_DROP);
    ck_assert_int_eq(tw(PTCP_RST | PTCP_ACK, n, 0, n, 1), PTCP_TW_DROP);
    ck_assert_int_eq(tw(PTCP_RST, ptcp_seq_add(n, 1), 0, n, 1), PTCP_TW_DROP);
    ck_assert_int_eq(tw(PTCP_RST | PTCP_SYN, ptcp_seq_add(n, 10), 1, n, 1),
                     PTCP_TW_DROP);
    /* RFC 9293 §3.5.3 lets a RST carry diagnostic data: still ignored. */
    ck_assert_int_eq(tw(PTCP_RST | PTCP_ACK, n, 10, n, 0), PTCP_TW_DROP);
    ck_assert_int_eq(tw(PTCP_RST | PTCP_FIN, ptcp_seq_add(n, 0xffffffffu), 1, n, 0),
                     PTCP_TW_DROP);
  }
}
END_TEST

START_TEST(test_tw_syn) {
  size_t i;

  tw_spec = syn_rule_specs[_i];
  for (i = 0; i < 2; i++) {
    uint32_t n = nxts[i];

    /* RFC 9293 §3.10.7.4 without timestamps, RFC 5961 §4: every SYN gets
     * a challenge ACK, even one beyond RCV.NXT with a listener. */
    ck_assert_int_eq(tw(PTCP_SYN, ptcp_seq_add(n, 1), 1, n, 1), PTCP_TW_ACK_ONLY);
    ck_assert_int_eq(tw(PTCP_SYN, ptcp_seq_add(n, 0x7ffffff0u), 1, n, 1),
                     PTCP_TW_ACK_ONLY);
    /* Nor with no listener, not beyond RCV.NXT, or carrying ACK. */
    ck_assert_int_eq(tw(PTCP_SYN, ptcp_seq_add(n, 1), 1, n, 0), PTCP_TW_ACK_ONLY);
    ck_assert_int_eq(tw(PTCP_SYN, n, 1, n, 1), PTCP_TW_ACK_ONLY);
    ck_assert_int_eq(tw(PTCP_SYN, ptcp_seq_add(n, 0xffffffffu), 1, n, 1),
                     PTCP_TW_ACK_ONLY);
    ck_assert_int_eq(tw(PTCP_SYN, ptcp_seq_add(n, 0xfffff000u), 1, n, 1),
                     PTCP_TW_ACK_ONLY);
    ck_assert_int_eq(tw(PTCP_SYN | PTCP_ACK, ptcp_seq_add(n, 1), 1, n, 1),
                     PTCP_TW_ACK_ONLY);
    ck_assert_int_eq(tw(PTCP_SYN | PTCP_FIN, ptcp_seq_add(n, 1), 2, n, 0),
                     PTCP_TW_ACK_ONLY);
  }
}
END_TEST

START_TEST(test_tw_fin_retransmit) {
  size_t i;

  tw_spec = other_rule_specs[_i];
  for (i = 0; i < 2; i++) {
    uint32_t n = nxts[i];

    /* RFC 9293 §3.10.7.4: the peer's FIN again, ending exactly at
     * RCV.NXT: ACK it and restart 2 MSL. */
    ck_assert_int_eq(tw(PTCP_FIN | PTCP_ACK, ptcp_seq_add(n, 0xffffffffu), 1, n, 0),
                     PTCP_TW_ACK);
    ck_assert_int_eq(tw(PTCP_FIN, ptcp_seq_add(n, 0xffffffffu), 1, n, 1), PTCP_TW_ACK);
    /* The last data segment retransmitted with its FIN. */
    ck_assert_int_eq(tw(PTCP_FIN | PTCP_ACK | PTCP_PSH, ptcp_seq_add(n, 0xfffffff5u), 11,
                        n, 0),
                     PTCP_TW_ACK);
    /* A FIN that ends before RCV.NXT is old: unacceptable, so ACK,
     * timer untouched (first check). */
    ck_assert_int_eq(tw(PTCP_FIN | PTCP_ACK, ptcp_seq_add(n, 0xfffffffeu), 1, n, 0),
                     PTCP_TW_ACK_ONLY);
    /* An acceptable FIN restarts 2 MSL and is ACKed (eighth check). */
    ck_assert_int_eq(tw(PTCP_FIN | PTCP_ACK, n, 1, n, 0), PTCP_TW_ACK);
    /* Without ACK it is dropped first (fifth check). */
    ck_assert_int_eq(tw(PTCP_FIN, n, 1, n, 0), PTCP_TW_DROP);
  }
}
END_TEST

START_TEST(test_tw_other_segments) {
  size_t i;

  tw_spec = other_rule_specs[_i];
  for (i = 0; i < 2; i++) {
    uint32_t n = nxts[i];

    /* An acceptable ACK has nothing to do here and is not answered (no
     * ACK loops). */
    ck_assert_int_eq(tw(PTCP_ACK, n, 0, n, 0), PTCP_TW_DROP);
    ck_assert_int_eq(tw(PTCP_ACK, ptcp_seq_add(n, 100), 0, n, 0), PTCP_TW_DROP);
    /* One outside the window last offered is unacceptable: ACK (first
     * check), on either side. */
    ck_assert_int_eq(tw(PTCP_ACK, ptcp_seq_add(n, 0xffffff00u), 0, n, 1),
                     PTCP_TW_ACK_ONLY);
    ck_assert_int_eq(tw(PTCP_ACK, ptcp_seq_add(n, TW_WINDOW), 0, n, 1), PTCP_TW_ACK_ONLY);
    /* No ACK bit: dropped (fifth check). */
    ck_assert_int_eq(tw(0, n, 0, n, 0), PTCP_TW_DROP);
    /* Acceptable data after the peer's FIN is ignored (seventh check). */
    ck_assert_int_eq(tw(PTCP_ACK | PTCP_PSH, n, 10, n, 0), PTCP_TW_DROP);
    /* Old data, all before RCV.NXT: unacceptable, ACK, timer untouched. */
    ck_assert_int_eq(tw(PTCP_ACK, ptcp_seq_add(n, 0xfffffff6u), 10, n, 0),
                     PTCP_TW_ACK_ONLY);
  }
}
END_TEST


/* ------------------------------------------------------------------ */
/* short                                                               */

START_TEST(test_short_time_wait) {
  ptcp_policy_sel sel = policy_select(PTCP_SLOT_CLOSE, "short");
  const ptcp_close_ops *ops = close_ops(&sel);

  /* 1 s, whatever the MSL: not 2 MSL. */
  ck_assert_uint_eq(ops->time_wait(sel.params, MSL_DEFAULT), 1 * S);
  ck_assert_uint_eq(ops->time_wait(sel.params, 0), 1 * S);
  ck_assert_uint_eq(ops->time_wait(sel.params, UINT64_MAX), 1 * S);
  ck_assert_uint_eq(ops->fin_wait_2_timeout(sel.params, MSL_DEFAULT), 60 * S);
  ck_assert_ptr_null(ops->close_action);
  /* Zephyr's 250 ms, and no TIME-WAIT at all. */
  sel = policy_select(PTCP_SLOT_CLOSE, "short:time_wait=250ms");
  ck_assert_uint_eq(ops->time_wait(sel.params, MSL_DEFAULT), 250 * PTCP_MILLISECONDS);
  sel = policy_select(PTCP_SLOT_CLOSE, "short:time_wait=0");
  ck_assert_uint_eq(ops->time_wait(sel.params, MSL_DEFAULT), 0);
  sel = policy_select(PTCP_SLOT_CLOSE, "short:time_wait=3600s");
  ck_assert_uint_eq(ops->time_wait(sel.params, MSL_DEFAULT), 3600 * S);
}
END_TEST

/* ------------------------------------------------------------------ */
/* rfc793                                                              */

START_TEST(test_rfc793_rst_ends_time_wait) {
  ptcp_policy_sel sel = policy_select(PTCP_SLOT_CLOSE, "rfc793");
  size_t i;

  /* 2 MSL, as RFC 793. */
  ck_assert_uint_eq(close_ops(&sel)->time_wait(sel.params, MSL_DEFAULT), 240 * S);
  tw_spec = "rfc793";
  /* RFC 793 p. 69-70: a RST in the window ends TIME-WAIT (no RFC 1337),
   * with or without ACK, SYN, FIN or data; one outside it is dropped by
   * the sequence check. */
  for (i = 0; i < 2; i++) {
    uint32_t n = nxts[i];

    ck_assert_int_eq(tw(PTCP_RST, n, 0, n, 0), PTCP_TW_CLOSE);
    ck_assert_int_eq(tw(PTCP_RST | PTCP_ACK, n, 0, n, 1), PTCP_TW_CLOSE);
    ck_assert_int_eq(tw(PTCP_RST, ptcp_seq_add(n, TW_WINDOW - 1), 0, n, 0), PTCP_TW_CLOSE);
    ck_assert_int_eq(tw(PTCP_RST, ptcp_seq_add(n, 0x80000000u), 0, n, 0), PTCP_TW_DROP);
    ck_assert_int_eq(tw(PTCP_RST, ptcp_seq_add(n, TW_WINDOW), 0, n, 0), PTCP_TW_DROP);
    ck_assert_int_eq(tw(PTCP_RST, ptcp_seq_add(n, 0xffffffffu), 0, n, 0), PTCP_TW_DROP);
    ck_assert_int_eq(tw(PTCP_RST | PTCP_SYN, ptcp_seq_add(n, 10), 1, n, 1), PTCP_TW_CLOSE);
    ck_assert_int_eq(tw(PTCP_RST | PTCP_ACK, n, 10, n, 0), PTCP_TW_CLOSE);
  }
}
END_TEST

/* ------------------------------------------------------------------ */
/* rfc6191                                                             */

/* A bare SYN in TIME-WAIT, with RCV.NXT 5000 and TS.Recent |recent| when
 * |prev_ts| (the old incarnation used timestamps), carrying TSval
 * |tsval| when |syn_ts|. */
static ptcp_tw_verdict tw6191(uint32_t seq, int prev_ts, uint32_t recent, int syn_ts,
                              uint32_t tsval, int listener, uint8_t flags) {
  ptcp_policy_sel sel = policy_select(PTCP_SLOT_CLOSE, "rfc6191");
  ptcp_seg seg;
  ptcp_tw_ctx c;

  memset(&seg, 0, sizeof(seg));
  seg.flags = flags;
  seg.seq = seq;
  if (syn_ts) {
    seg.opts.present = PTCP_OPT_TS;
    seg.opts.ts_val = tsval;
  }
  memset(&c, 0, sizeof(c));
  c.seg = &seg;
  c.seg_len = 1;
  c.rcv_nxt = 5000;
  c.snd_nxt = 9000;
  c.ts_enabled = (uint8_t)prev_ts;
  c.ts_recent = recent;
  c.ts_recent_at = 10 * S;
  c.listener = (uint8_t)listener;
  c.now = 20 * S;
  return close_ops(&sel)->time_wait_segment(sel.params, &c);
}

START_TEST(test_rfc6191_table) {
  /* RFC 6191 §2, the previous incarnation with timestamps: */
  /* TSval newer: reopen, even with a lower sequence number. */
  ck_assert_int_eq(tw6191(4000, 1, 700, 1, 701, 1, PTCP_SYN), PTCP_TW_REOPEN);
  ck_assert_int_eq(tw6191(5000, 1, 700, 1, 701, 1, PTCP_SYN), PTCP_TW_REOPEN);
  ck_assert_int_eq(tw6191(5001, 1, 700, 1, 0x7fffffffu + 700, 1, PTCP_SYN),
                   PTCP_TW_REOPEN);
  /* Modulo 2^32: 5 is newer than 0xfffffff0. */
  ck_assert_int_eq(tw6191(4000, 1, 0xfffffff0u, 1, 5, 1, PTCP_SYN), PTCP_TW_REOPEN);
  /* TSval equal: the sequence number decides. */
  ck_assert_int_eq(tw6191(5001, 1, 700, 1, 700, 1, PTCP_SYN), PTCP_TW_REOPEN);
  ck_assert_int_eq(tw6191(5000, 1, 700, 1, 700, 1, PTCP_SYN), PTCP_TW_DROP);
  /* TSval older: an old duplicate, dropped even with a higher sequence
   * number (where rfc9293's RFC 1122 rule would reopen). */
  ck_assert_int_eq(tw6191(6000, 1, 700, 1, 699, 1, PTCP_SYN), PTCP_TW_DROP);
  ck_assert_int_eq(tw6191(6000, 1, 5, 1, 0xfffffff0u, 1, PTCP_SYN), PTCP_TW_DROP);
  /* A SYN without TSopt: the sequence rule. */
  ck_assert_int_eq(tw6191(5001, 1, 700, 0, 0, 1, PTCP_SYN), PTCP_TW_REOPEN);
  ck_assert_int_eq(tw6191(5000, 1, 700, 0, 0, 1, PTCP_SYN), PTCP_TW_DROP);
  /* Without timestamps before: the sequence rule, whatever the SYN says. */
  ck_assert_int_eq(tw6191(5001, 0, 700, 1, 1, 1, PTCP_SYN), PTCP_TW_REOPEN);
  ck_assert_int_eq(tw6191(4999, 0, 700, 1, 0xffffu, 1, PTCP_SYN), PTCP_TW_DROP);
  /* 2^31 + 1 past RCV.NXT is before it, modulo 2^32. */
  ck_assert_int_eq(tw6191(0x80001389u, 0, 0, 0, 0, 1, PTCP_SYN), PTCP_TW_DROP);
  /* No listener, or SYN with ACK: RFC 5961 §4 challenge ACK. */
  ck_assert_int_eq(tw6191(4000, 1, 700, 1, 701, 0, PTCP_SYN), PTCP_TW_ACK_ONLY);
  ck_assert_int_eq(tw6191(5001, 0, 0, 0, 0, 0, PTCP_SYN), PTCP_TW_ACK_ONLY);
  ck_assert_int_eq(tw6191(4000, 1, 700, 1, 701, 1, PTCP_SYN | PTCP_ACK),
                   PTCP_TW_ACK_ONLY);
  /* A RST stays ignored (RFC 1337), even one with SYN. */
  ck_assert_int_eq(tw6191(4000, 1, 700, 1, 701, 1, PTCP_SYN | PTCP_RST), PTCP_TW_DROP);
}
END_TEST

/* ------------------------------------------------------------------ */
/* abort                                                               */

START_TEST(test_abort_close_action) {
  static const ptcp_state states[] = {PTCP_SYN_RECEIVED, PTCP_ESTABLISHED,
                                      PTCP_FIN_WAIT_1,   PTCP_FIN_WAIT_2,
                                      PTCP_CLOSE_WAIT,   PTCP_CLOSING,
                                      PTCP_LAST_ACK};
  ptcp_policy_sel sel = policy_select(PTCP_SLOT_CLOSE, "abort");
  const ptcp_close_ops *ops = close_ops(&sel);
  size_t i;

  /* SO_LINGER 0: a RST in every state, with or without data around. */
  ck_assert_ptr_nonnull(ops->close_action);
  for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
    ptcp_close_ctx c = {.state = states[i], .unread = 0, .unsent = 0, .now = 5 * S};

    ck_assert_int_eq(ops->close_action(sel.params, &c), PTCP_CLOSE_RST);
    c.unread = 100;
    c.unsent = 1 << 20;
    ck_assert_int_eq(ops->close_action(sel.params, &c), PTCP_CLOSE_RST);
  }
  /* TIME-WAIT as rfc9293. */
  ck_assert_uint_eq(ops->time_wait(sel.params, MSL_DEFAULT), 240 * S);
  sel = policy_select(PTCP_SLOT_CLOSE, "abort:time_wait=5s,fin_wait_2=0");
  ck_assert_uint_eq(ops->time_wait(sel.params, MSL_DEFAULT), 5 * S);
  ck_assert_uint_eq(ops->fin_wait_2_timeout(sel.params, MSL_DEFAULT), 0);
}
END_TEST

Suite *ptcp_close_suite(void) {
  Suite *s = suite_create("close");
  TCase *dur = tcase_create("durations");
  TCase *tws = tcase_create("time_wait_segment");
  TCase *var = tcase_create("variants");

  tcase_add_test(dur, test_time_wait_length);
  tcase_add_test(dur, test_fin_wait_2_and_close_action);
  suite_add_tcase(s, dur);

  tcase_add_loop_test(tws, test_tw_rst_ignored, 0, NSPECS(rst_rule_specs));
  tcase_add_loop_test(tws, test_tw_syn, 0, NSPECS(syn_rule_specs));
  tcase_add_loop_test(tws, test_tw_fin_retransmit, 0, NSPECS(other_rule_specs));
  tcase_add_loop_test(tws, test_tw_other_segments, 0, NSPECS(other_rule_specs));
  suite_add_tcase(s, tws);

  tcase_add_test(var, test_short_time_wait);
  tcase_add_test(var, test_rfc793_rst_ends_time_wait);
  tcase_add_test(var, test_rfc6191_table);
  tcase_add_test(var, test_abort_close_action);
  suite_add_tcase(s, var);
  return s;
}

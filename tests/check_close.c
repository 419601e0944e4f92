/*
 * Tests for the close slot, policy "rfc9293": TIME-WAIT length (2 MSL,
 * or the param), the FIN-WAIT-2 limit, and the verdict for every kind of
 * segment that reaches a TIME-WAIT connection, with RCV.NXT far from and
 * at the 2^32 wrap.
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

/* What the policy says about a segment in TIME-WAIT at |now|. */
static ptcp_tw_verdict tw(uint8_t flags, uint32_t seq, uint32_t seg_len,
                          uint32_t rcv_nxt, int listener) {
  ptcp_policy_sel sel = policy_select(PTCP_SLOT_CLOSE, "rfc9293");
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
  c.snd_nxt = 777;
  c.listener = (uint8_t)listener;
  c.now = 100 * S;
  return close_ops(&sel)->time_wait_segment(sel.params, &c);
}

/* RCV.NXT values: ordinary, and 0 (the peer's FIN was at 2^32 - 1). */
static const uint32_t nxts[] = {5000u, 0u};

START_TEST(test_tw_rst_ignored) {
  size_t i;

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

  for (i = 0; i < 2; i++) {
    uint32_t n = nxts[i];

    /* RFC 1122 4.2.2.13: a new SYN beyond RCV.NXT, with a listener,
     * reopens. */
    ck_assert_int_eq(tw(PTCP_SYN, ptcp_seq_add(n, 1), 1, n, 1), PTCP_TW_REOPEN);
    ck_assert_int_eq(tw(PTCP_SYN, ptcp_seq_add(n, 0x7ffffff0u), 1, n, 1),
                     PTCP_TW_REOPEN);
    /* No listener, not beyond RCV.NXT, or carrying ACK: challenge ACK
     * (RFC 5961 §4). */
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
    /* A FIN that does not end at RCV.NXT is not the one we ACKed: ACK,
     * timer untouched. */
    ck_assert_int_eq(tw(PTCP_FIN | PTCP_ACK, ptcp_seq_add(n, 0xfffffffeu), 1, n, 0),
                     PTCP_TW_ACK_ONLY);
    ck_assert_int_eq(tw(PTCP_FIN | PTCP_ACK, n, 1, n, 0), PTCP_TW_ACK_ONLY);
  }
}
END_TEST

START_TEST(test_tw_other_segments) {
  size_t i;

  for (i = 0; i < 2; i++) {
    uint32_t n = nxts[i];

    /* A bare ACK is never ACKed (no ACK loops), wherever it lies. */
    ck_assert_int_eq(tw(PTCP_ACK, n, 0, n, 0), PTCP_TW_DROP);
    ck_assert_int_eq(tw(PTCP_ACK, ptcp_seq_add(n, 0xffffff00u), 0, n, 1), PTCP_TW_DROP);
    ck_assert_int_eq(tw(PTCP_ACK, ptcp_seq_add(n, 100), 0, n, 0), PTCP_TW_DROP);
    ck_assert_int_eq(tw(0, n, 0, n, 0), PTCP_TW_DROP);
    /* Data is unacceptable after the peer's FIN: ACK, timer untouched. */
    ck_assert_int_eq(tw(PTCP_ACK | PTCP_PSH, n, 10, n, 0), PTCP_TW_ACK_ONLY);
    ck_assert_int_eq(tw(PTCP_ACK, ptcp_seq_add(n, 0xfffffff6u), 10, n, 0),
                     PTCP_TW_ACK_ONLY);
  }
}
END_TEST

Suite *ptcp_close_suite(void) {
  Suite *s = suite_create("close");
  TCase *dur = tcase_create("durations");
  TCase *tws = tcase_create("time_wait_segment");

  tcase_add_test(dur, test_time_wait_length);
  tcase_add_test(dur, test_fin_wait_2_and_close_action);
  suite_add_tcase(s, dur);

  tcase_add_test(tws, test_tw_rst_ignored);
  tcase_add_test(tws, test_tw_syn);
  tcase_add_test(tws, test_tw_fin_retransmit);
  tcase_add_test(tws, test_tw_other_segments);
  suite_add_tcase(s, tws);
  return s;
}

/*
 * Engine regressions the fuzz targets found (fuzz/fuzz_conn.c, and
 * fuzz/fuzz_e2e.c for the ACK loop).  Each test replays the finding as a
 * scripted-peer session, states what was wrong, and names the minimized
 * input kept in fuzz/regressions/<target>/, which `make check` replays
 * as well.
 */
#include <check.h>
#include <string.h>

#include "tcp_harness.h"

Suite *ptcp_conn_fuzz_suite(void);

static tp t;

static void setup(void) { tp_init(&t, NULL); }
static void teardown(void) { tp_free(&t); }

/* fuzz/regressions/conn/listen-after-refused: a connection whose
 * connect failed is CLOSED, and ptcp_conn_listen took it.  It became a
 * listener that still had its peer, started policies and a pending
 * error, and whose out-of-order ranges were read as the listener's
 * queue pointers (they share a union). */
START_TEST(test_listen_after_refused_connect) {
  ptcp_conn *c = tp_syn_sent(&t, 0);

  /* t=10ms: the peer refuses: CLOSED with ECONNREFUSED. */
  ck_assert_int_eq(
      tp_send(&t, 10 * MS,
              SEG(.flags = PTCP_RST | PTCP_ACK, .seq = 0, .ack = TP_ISS + 1)),
      0);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSED);
  /* t=20ms: it cannot become a listener. */
  ck_assert_int_eq(ptcp_conn_listen(c, 4), PTCP_ERR_STATE);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSED);
  tp_expect_nothing(&t);
}
END_TEST

START_TEST(test_listen_after_reset_with_out_of_order_data) {
  ptcp_conn *c = tp_established_active(&t, 0);
  ptcp_conn *l2;

  /* t=20ms: bytes 100..199 arrive ahead of a gap: one range held. */
  ck_assert_int_eq(
      tp_send(&t, 20 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 101, .ack = TP_ISS + 1, .len = 100)),
      0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
  /* t=30ms: a RST at RCV.NXT resets the connection. */
  ck_assert_int_eq(tp_send(&t, 30 * MS, SEG(.flags = PTCP_RST, .seq = TP_IRS + 1)), 0);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSED);
  /* t=40ms: listen is refused, and accept on it finds no queue to read. */
  ck_assert_int_eq(ptcp_conn_listen(c, 4), PTCP_ERR_STATE);
  ck_assert_int_eq(ptcp_conn_accept(c, &l2), PTCP_ERR_STATE);
  /* A fresh connection on another port still listens. */
  ck_assert_int_eq(ptcp_conn_new(t.stack, NULL, &l2), 0);
  ck_assert_int_eq(ptcp_conn_bind(l2, NULL, 81), 0);
  ck_assert_int_eq(ptcp_conn_listen(l2, 4), 0);
  ck_assert_int_eq(ptcp_conn_close(l2, 40 * MS), 0);
}
END_TEST

/* fuzz/regressions/conn/ack-verdict-without-ack: text refused for lack of
 * memory or because it came after the peer's FIN was traced as "ack"
 * (dropped, answered with an ACK), yet no ACK went out. */
START_TEST(test_data_after_fin_is_acked) {
  ptcp_conn *c = tp_close_wait(&t, 0);
  ptcp_conn_status st;

  /* t=30ms: 10 bytes beyond the peer's own FIN: ignored, and ACKed. */
  ck_assert_int_eq(
      tp_send(&t, 30 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 2, .ack = TP_ISS + 1, .len = 10)),
      0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 2));
  tp_expect_nothing(&t);
  ptcp_conn_status_get(c, &st);
  ck_assert_uint_eq(st.reasons[PTCP_R_AFTER_FIN], 1);
  ck_assert_uint_eq(st.recv_queued, 0);
  ck_assert_uint_eq(st.rcv_nxt, TP_IRS + 2);
}
END_TEST

/* fuzz/regressions/conn/rto-beyond-snd-max: the retransmission timer
 * resent an MSS of queued data from SND.UNA, including bytes never sent
 * and beyond the peer's window, and then set SND.NXT past SND.MAX. */
START_TEST(test_rto_resends_only_what_was_sent) {
  ptcp_conn *c = tp_syn_sent(&t, 0);
  tp_seg sa =
      SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_IRS, .ack = TP_ISS + 1, .window = 500);
  ptcp_conn_status st;
  const ptcp_seg *s;

  sa.opts.present = PTCP_OPT_MSS;
  sa.opts.mss = 1460;
  /* t=10ms: the peer offers a 500-byte window. */
  ck_assert_int_eq(tp_send(&t, 10 * MS, sa), 0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
  /* t=20ms: 4000 bytes queued, 500 fit the window. */
  {
    static uint8_t buf[4000];
    ck_assert_int_eq(ptcp_conn_send(c, buf, sizeof(buf), 20 * MS), 4000);
  }
  s = tp_expect(&t,
                SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1, .len = 500));
  ck_assert_uint_eq(s->payload_len, 500);
  tp_expect_nothing(&t);
  /* t=1.02s: the timer resends those 500 bytes, nothing beyond them. */
  tp_advance(&t, 20 * MS + 1 * SEC);
  s = tp_expect(&t,
                SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1, .len = 500));
  ck_assert_uint_eq(s->payload_len, 500);
  tp_expect_nothing(&t);
  ptcp_conn_status_get(c, &st);
  ck_assert_uint_eq(st.snd_max, TP_ISS + 501);
  ck_assert_uint_eq(st.snd_nxt, TP_ISS + 501);
}
END_TEST

/* fuzz/regressions/conn/challenge-limit-at-time-zero: the core's own cap
 * on challenge ACKs (RFC 5961 §7) took time 0 for "no window yet", so at
 * time 0 every challenge opened a new window and none was ever refused. */
START_TEST(test_challenge_ack_cap_at_time_zero) {
  tp_opts o = {.policy[PTCP_SLOT_DUPFILTER] = "rfc9293:limit=20"};
  ptcp_conn_status st;
  unsigned acks = 0;

  tp_free(&t);
  tp_init(&t, &o);
  tp_syn_received(&t, 0);
  /* t=0: the handshake completes at time 0. */
  ck_assert_int_eq(
      tp_send(&t, 0, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1)), 0);
  ck_assert_int_eq(ptcp_conn_accept(t.listener, &t.conn), 0);
  /* t=0: 15 in-window RSTs; the stack's cap (10 a second) binds before
   * the policy's (20). */
  for (unsigned i = 0; i < 15; i++)
    ck_assert_int_eq(tp_send(&t, 0, SEG(.flags = PTCP_RST, .seq = TP_IRS + 10 + i)), 0);
  while (tp_pending(&t) > 0) {
    tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
    acks++;
  }
  ck_assert_uint_eq(acks, 10);
  ptcp_conn_status_get(t.conn, &st);
  ck_assert_uint_eq(st.reasons[PTCP_R_CHALLENGE_LIMITED], 5);
  /* t=1s: a new second, a new allowance. */
  ck_assert_int_eq(tp_send(&t, 1 * SEC, SEG(.flags = PTCP_RST, .seq = TP_IRS + 10)), 0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
}
END_TEST

/* fuzz/regressions/e2e/ack-loop: two hosts each found the other's ACKs
 * outside their window (each had sent data into a window the other
 * lost, and both windows were full) and answered every one with an ACK
 * the other could not accept either: millions of segments, one per
 * round trip, until the run's event bound.  Replies to unacceptable
 * segments without data are now limited to PTCP_ACK_LOOP_LIMIT (5) a
 * second per connection; one with data is always answered. */
START_TEST(test_ack_loop_is_limited) {
  const uint32_t far = TP_IRS + 1 + 0x10000000u; /* far outside the window */
  ptcp_conn_status st;
  unsigned acks = 0;

  tp_established_active(&t, 0);
  /* t=10ms: eight pure ACKs outside the window; five get an ACK. */
  for (unsigned i = 0; i < 8; i++)
    ck_assert_int_eq(
        tp_send(&t, 10 * MS, SEG(.flags = PTCP_ACK, .seq = far, .ack = TP_ISS + 1)), 0);
  while (tp_pending(&t) > 0) {
    tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
    acks++;
  }
  ck_assert_uint_eq(acks, 5);
  /* t=20ms: a pure ACK of data never sent (the fifth check) shares the
   * limit: dropped. */
  ck_assert_int_eq(
      tp_send(&t, 20 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1000)),
      0);
  tp_expect_nothing(&t);
  ptcp_conn_status_get(t.conn, &st);
  ck_assert_uint_eq(st.reasons[PTCP_R_ACK_LIMITED], 4);
  /* t=30ms: data outside the window is always answered. */
  ck_assert_int_eq(
      tp_send(&t, 30 * MS,
              SEG(.flags = PTCP_ACK, .seq = far, .ack = TP_ISS + 1, .len = 10)),
      0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
  /* t=1.01s: a new second, a new allowance. */
  ck_assert_int_eq(
      tp_send(&t, 1010 * MS, SEG(.flags = PTCP_ACK, .seq = far, .ack = TP_ISS + 1)), 0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
}
END_TEST

/* fuzz/regressions/conn/fin-beyond-window: a segment that filled the
 * receive window exactly and carried a FIN had its FIN processed, one
 * past the advertised right edge: RCV.NXT passed it, the window
 * arithmetic wrapped, and the stack advertised 65535 bytes with a full
 * 1000-byte buffer.  The FIN lies outside the window and is trimmed
 * (RFC 9293 §3.10.7.4); the peer sends it again once the window opens. */
START_TEST(test_fin_beyond_window_is_trimmed) {
  tp_opts o = {.rcvbuf = 1000};
  ptcp_conn *c;
  ptcp_conn_status st;
  const ptcp_seg *s;
  uint8_t buf[1000];

  tp_free(&t);
  tp_init(&t, &o);
  c = tp_established(&t, 0);
  /* t=20ms: 1000 bytes and a FIN: the data fills the window. */
  ck_assert_int_eq(tp_send(&t, 20 * MS,
                           SEG(.flags = PTCP_ACK | PTCP_FIN, .seq = TP_IRS + 1,
                               .ack = TP_ISS + 1, .len = 1000)),
                   0);
  s = tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1001));
  ck_assert_uint_eq(s->window, 0);
  ptcp_conn_status_get(c, &st);
  ck_assert_int_eq(st.state, PTCP_ESTABLISHED);
  ck_assert_uint_eq(st.rcv_nxt, TP_IRS + 1001);
  ck_assert_uint_eq(st.rcv_wnd, 0);
  ck_assert_uint_eq(st.peer_fin, 0);
  /* t=30ms: the user reads; the window opens; the FIN comes again. */
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 30 * MS), 1000);
  s = tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1001));
  ck_assert_uint_eq(s->window, 1000);
  ck_assert_int_eq(
      tp_send(&t, 40 * MS,
              SEG(.flags = PTCP_ACK | PTCP_FIN, .seq = TP_IRS + 1001, .ack = TP_ISS + 1)),
      0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1002));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSE_WAIT);
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 40 * MS), 0);
}
END_TEST

/* fuzz/regressions/conn/read-with-out-of-order-data: reading the last
 * in-order byte while out-of-order bytes waited in the receive ring
 * reset the ring's head to 0, so the waiting bytes (placed relative to
 * the old head) were delivered shifted: the application got wrong data. */
START_TEST(test_read_keeps_out_of_order_bytes_in_place) {
  ptcp_conn *c = tp_established(&t, 0);
  uint8_t stream[64], buf[64];

  for (unsigned i = 0; i < sizeof(stream); i++)
    stream[i] = tp_pattern(i);
  /* t=20ms: byte 0, then bytes 2..11 beyond a one-byte gap. */
  ck_assert_int_eq(tp_send(&t, 20 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1,
                                            .ack = TP_ISS + 1, .len = 1, .data = stream)),
                   0);
  ck_assert_int_eq(tp_send(&t, 21 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 3,
                                            .ack = TP_ISS + 1, .len = 10, .data = stream + 2)),
                   0);
  tp_discard(&t);
  /* t=30ms: the user reads byte 0; bytes 2..11 still wait. */
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 30 * MS), 1);
  ck_assert_uint_eq(buf[0], stream[0]);
  /* t=40ms: byte 1 fills the gap: 11 bytes, each the one sent. */
  ck_assert_int_eq(tp_send(&t, 40 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 2,
                                            .ack = TP_ISS + 1, .len = 1, .data = stream + 1)),
                   0);
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 40 * MS), 11);
  ck_assert_mem_eq(buf, stream + 1, 11);
}
END_TEST

/* fuzz/regressions/conn/one-segment-fills-two-gaps: a segment that
 * reached past several out-of-order ranges took only the first, so the
 * others stayed behind RCV.NXT: counted as held, reported in SACK, and
 * beyond what the buffer could hold with the data now readable (fixed by
 * the enginetests branch's 19eede6, taken here). */
START_TEST(test_one_segment_fills_two_gaps) {
  ptcp_conn *c = tp_established(&t, 0);
  ptcp_conn_status st;
  uint8_t stream[400], buf[400];

  for (unsigned i = 0; i < sizeof(stream); i++)
    stream[i] = tp_pattern(i);
  /* t=20ms: bytes 100..199 and 300..399 wait beyond gaps. */
  ck_assert_int_eq(tp_send(&t, 20 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 101,
                                            .ack = TP_ISS + 1, .len = 100, .data = stream + 100)),
                   0);
  ck_assert_int_eq(tp_send(&t, 21 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 301,
                                            .ack = TP_ISS + 1, .len = 100, .data = stream + 300)),
                   0);
  tp_discard(&t);
  /* t=30ms: bytes 0..349 in one segment reach both ranges. */
  ck_assert_int_eq(tp_send(&t, 30 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1,
                                            .ack = TP_ISS + 1, .len = 350, .data = stream)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 401));
  ptcp_conn_status_get(c, &st);
  ck_assert_uint_eq(st.rcv_nxt, TP_IRS + 401);
  ck_assert_uint_eq(st.ooo_bytes, 0);
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 30 * MS), 400);
  ck_assert_mem_eq(buf, stream, 400);
}
END_TEST

Suite *ptcp_conn_fuzz_suite(void) {
  Suite *s = suite_create("conn_fuzz");
  TCase *api = tcase_create("api");
  TCase *rst = tcase_create("rst");
  TCase *text = tcase_create("text");
  TCase *rtx = tcase_create("retransmission");

  tcase_add_checked_fixture(api, setup, teardown);
  tcase_add_test(api, test_listen_after_refused_connect);
  tcase_add_test(api, test_listen_after_reset_with_out_of_order_data);
  suite_add_tcase(s, api);

  tcase_add_checked_fixture(rst, setup, teardown);
  tcase_add_test(rst, test_challenge_ack_cap_at_time_zero);
  tcase_add_test(rst, test_ack_loop_is_limited);
  suite_add_tcase(s, rst);

  tcase_add_checked_fixture(text, setup, teardown);
  tcase_add_test(text, test_data_after_fin_is_acked);
  tcase_add_test(text, test_fin_beyond_window_is_trimmed);
  tcase_add_test(text, test_read_keeps_out_of_order_bytes_in_place);
  tcase_add_test(text, test_one_segment_fills_two_gaps);
  suite_add_tcase(s, text);

  tcase_add_checked_fixture(rtx, setup, teardown);
  tcase_add_test(rtx, test_rto_resends_only_what_was_sent);
  suite_add_tcase(s, rtx);
  return s;
}

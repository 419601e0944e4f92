/*
 * Tests for the engine's connection lifecycle (ptcp_conn.c, ptcp_input.c,
 * ptcp_output.c), driven segment by segment with the scripted peer.
 * Each step names its time.
 */
#include <check.h>
#include <string.h>

#include "tcp_harness.h"

Suite *ptcp_conn_suite(void);

static tp t;

static void setup(void) { tp_init(&t, NULL); }
static void teardown(void) { tp_free(&t); }

/* ------------------------------------------------------------------ */
/* Opening                                                             */

START_TEST(test_conn_passive_handshake) {
  ptcp_conn *c;
  tp_seg syn = SEG(.flags = PTCP_SYN, .seq = TP_IRS, .window = 65535);
  const ptcp_seg *sa;

  syn.opts.present = PTCP_OPT_MSS;
  syn.opts.mss = 1400;
  tp_listen(&t, 80, 4);
  /* t=0: SYN -> SYN,ACK that offers only what the SYN offered. */
  ck_assert_int_eq(tp_send(&t, 0, syn), 0);
  sa = tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
  ck_assert_uint_eq(sa->opts.present, PTCP_OPT_MSS);
  ck_assert_uint_eq(sa->opts.mss, 1460);
  ck_assert_int_eq(ptcp_conn_accept(t.listener, &c), PTCP_ERR_WOULD_BLOCK);
  ck_assert_int_eq(t.ev.accept, 0);
  /* t=10ms: the ACK completes the handshake; nothing is sent back. */
  ck_assert_int_eq(
      tp_send(&t, 10 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1)), 0);
  tp_expect_nothing(&t);
  ck_assert_int_eq(t.ev.accept, 1);
  ck_assert_int_eq(ptcp_conn_accept(t.listener, &c), 0);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_ESTABLISHED);
  {
    ptcp_conn_status st;
    ptcp_conn_status_get(c, &st);
    ck_assert_uint_eq(st.snd_mss, 1400);
    ck_assert_uint_eq(st.irs, TP_IRS);
    ck_assert_uint_eq(st.iss, TP_ISS);
    ck_assert_int_eq(st.ts_ok, 0);
    ck_assert_int_eq(st.sack_ok, 0);
  }
}
END_TEST

START_TEST(test_conn_active_handshake_offers_options) {
  ptcp_conn *c;
  const ptcp_seg *s;

  ck_assert_int_eq(ptcp_conn_new(t.stack, NULL, &c), 0);
  /* t=0: connect sends a SYN with MSS, SACK-permitted, TS and WS. */
  ck_assert_int_eq(ptcp_conn_connect(c, &t.remote, 80, 0), 0);
  t.local_port = ptcp_conn_state(c) == PTCP_SYN_SENT ? t.out[0].seg.src_port : 0;
  t.remote_port = 80;
  s = tp_expect(&t, SEG(.flags = PTCP_SYN, .seq = TP_ISS));
  ck_assert_uint_eq(s->opts.present,
                    PTCP_OPT_MSS | PTCP_OPT_SACK_PERM | PTCP_OPT_TS | PTCP_OPT_WSCALE);
  ck_assert_uint_eq(s->opts.mss, 1460);
  ck_assert_uint_eq(s->opts.wscale, 3); /* 256 KiB >> 2 is still 65536 */
  ck_assert_uint_ge(s->src_port, 49152);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_SYN_SENT);
  /* t=20ms: SYN,ACK with every option: ESTABLISHED, ACK sent. */
  {
    tp_seg sa = SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_IRS, .ack = TP_ISS + 1);
    ptcp_conn_status st;
    sa.opts.present = PTCP_OPT_MSS | PTCP_OPT_SACK_PERM | PTCP_OPT_TS | PTCP_OPT_WSCALE;
    sa.opts.mss = 1200;
    sa.opts.wscale = 7;
    sa.opts.ts_val = 777;
    sa.opts.ts_ecr = s->opts.ts_val;
    ck_assert_int_eq(tp_send(&t, 20 * MS, sa), 0);
    s = tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
    ck_assert(s->opts.present & PTCP_OPT_TS);
    ck_assert_uint_eq(s->opts.ts_ecr, 777);
    ck_assert_int_eq(t.ev.connected, 1);
    ptcp_conn_status_get(c, &st);
    ck_assert_int_eq(st.state, PTCP_ESTABLISHED);
    ck_assert_int_eq(st.ts_ok, 1);
    ck_assert_int_eq(st.sack_ok, 1);
    ck_assert_int_eq(st.wscale_ok, 1);
    ck_assert_uint_eq(st.snd_wscale, 7);
    ck_assert_uint_eq(st.snd_mss, 1200 - 12); /* the timestamp option's room */
    ck_assert_uint_eq(st.rtt_samples, 1);
  }
}
END_TEST

START_TEST(test_conn_syn_retransmit_backoff_then_timeout) {
  ptcp_conn *c;
  ptcp_time at[3];
  tp_opts o = {.syn_retries = 3};

  tp_free(&t);
  tp_init(&t, &o);
  c = tp_syn_sent(&t, 0);
  /* RFC 6298 §2.1 initial RTO 1 s, doubling: 1, 3, 7 s; then give up at 15 s. */
  at[0] = 1 * SEC;
  at[1] = 3 * SEC;
  at[2] = 7 * SEC;
  for (int i = 0; i < 3; i++) {
    tp_advance(&t, at[i] - 1);
    tp_expect_nothing(&t);
    tp_advance(&t, at[i]);
    tp_expect(&t, SEG(.flags = PTCP_SYN, .seq = TP_ISS));
  }
  tp_advance(&t, 15 * SEC - 1);
  tp_expect_nothing(&t);
  ck_assert_int_eq(t.ev.error, 0);
  tp_advance(&t, 15 * SEC);
  ck_assert_int_eq(t.ev.error, 1);
  ck_assert_int_eq(t.ev.last_error, PTCP_ERR_TIMED_OUT);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSED);
  ck_assert_int_eq(ptcp_conn_send(c, "x", 1, 15 * SEC), PTCP_ERR_TIMED_OUT);
  tp_expect_nothing(&t);
}
END_TEST

/* RFC 9293 §3.5 figure 8: an old duplicate SYN reaches the listener,
 * which answers it; the client, whose SYN had another ISN, answers the
 * stale SYN,ACK with RST; the half-open connection goes back to LISTEN,
 * leaving nothing behind; the real SYN then opens normally. */
START_TEST(test_conn_old_duplicate_syn_server_side) {
  ptcp_stack_stats st;
  ptcp_conn *c;

  tp_listen(&t, 80, 4);
  /* t=0: the old duplicate (seq 90). */
  ck_assert_int_eq(tp_send(&t, 0, SEG(.flags = PTCP_SYN, .seq = 90)), 0);
  tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = 91));
  ptcp_stack_stats_get(t.stack, &st);
  ck_assert_uint_eq(st.conns, 2); /* the listener and one half-open */
  /* t=10ms: the client rejects it: <SEQ=91><RST>. */
  ck_assert_int_eq(tp_send(&t, 10 * MS, SEG(.flags = PTCP_RST, .seq = 91)), 0);
  tp_expect_nothing(&t);
  ptcp_stack_stats_get(t.stack, &st);
  ck_assert_uint_eq(st.conns, 1); /* back to LISTEN, nothing leaked */
  ck_assert_int_eq(t.ev.accept, 0);
  ck_assert_int_eq(t.trace_states[t.ntrace_states - 1], PTCP_LISTEN);
  /* t=20ms: the real SYN (seq 100). */
  ck_assert_int_eq(tp_send(&t, 20 * MS, SEG(.flags = PTCP_SYN, .seq = 100)), 0);
  tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = 101));
  ck_assert_int_eq(tp_send(&t, 30 * MS, SEG(.flags = PTCP_ACK, .seq = 101, .ack = TP_ISS + 1)), 0);
  ck_assert_int_eq(ptcp_conn_accept(t.listener, &c), 0);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_ESTABLISHED);
  ck_assert_int_eq(ptcp_conn_accept(t.listener, &c), PTCP_ERR_WOULD_BLOCK);
}
END_TEST

/* The client's half of figure 8: in SYN-SENT, a SYN,ACK that does not
 * acknowledge our SYN draws <SEQ=SEG.ACK><RST> and changes nothing. */
START_TEST(test_conn_old_duplicate_syn_client_side) {
  ptcp_conn *c = tp_syn_sent(&t, 0);
  tp_snap before, after;

  tp_snap_take(c, &before);
  ck_assert_int_eq(
      tp_send(&t, 10 * MS, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = 300, .ack = 91)), 0);
  tp_expect(&t, SEG(.flags = PTCP_RST, .seq = 91));
  tp_snap_take(c, &after);
  ck_assert(tp_snap_same(&before, &after));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_SYN_SENT);
  /* The right SYN,ACK still completes the open. */
  ck_assert_int_eq(
      tp_send(&t, 20 * MS, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = 300, .ack = TP_ISS + 1)), 0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = 301));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_ESTABLISHED);
}
END_TEST

/* A retransmitted SYN for a connection already half-open creates no
 * second one; the SYN,ACK is sent again. */
START_TEST(test_conn_duplicate_syn_no_second_connection) {
  ptcp_stack_stats st;

  tp_syn_received(&t, 0);
  ck_assert_int_eq(tp_send(&t, 1 * SEC, SEG(.flags = PTCP_SYN, .seq = TP_IRS)), 0);
  tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
  ptcp_stack_stats_get(t.stack, &st);
  ck_assert_uint_eq(st.conns, 2);
  ck_assert_uint_eq(st.reasons[PTCP_R_SYN_RETRANSMIT], 1);
}
END_TEST

/* The SYN queue is bounded: a flood costs at most |backlog| half-open
 * connections. */
START_TEST(test_conn_syn_backlog_bounded) {
  ptcp_stack_stats st;

  tp_listen(&t, 80, 2);
  for (uint16_t i = 0; i < 10; i++)
    ck_assert_int_eq(tp_send(&t, i * MS, SEG(.flags = PTCP_SYN, .seq = 1000u * i,
                                             .src_port = (uint16_t)(30000 + i))),
                     0);
  ptcp_stack_stats_get(t.stack, &st);
  ck_assert_uint_eq(st.conns, 3);
  ck_assert_uint_eq(st.reasons[PTCP_R_BACKLOG_FULL], 8);
  ck_assert_uint_eq(tp_pending(&t), 2);
}
END_TEST

START_TEST(test_conn_refused) {
  ptcp_conn *c = tp_syn_sent(&t, 0);

  /* t=10ms: RST,ACK acknowledging our SYN: ECONNREFUSED. */
  ck_assert_int_eq(
      tp_send(&t, 10 * MS, SEG(.flags = PTCP_RST | PTCP_ACK, .seq = 0, .ack = TP_ISS + 1)), 0);
  tp_expect_nothing(&t);
  ck_assert_int_eq(t.ev.error, 1);
  ck_assert_int_eq(t.ev.last_error, PTCP_ERR_CONN_REFUSED);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSED);
  ck_assert_int_eq(ptcp_conn_recv(c, NULL, 0, 10 * MS), PTCP_ERR_CONN_REFUSED);
}
END_TEST

START_TEST(test_conn_closed_port_answers_rst) {
  ptcp_stack_stats st;

  /* t=0: SYN to a port nobody listens on: <SEQ=0><ACK=SEG.SEQ+1><RST,ACK>. */
  ck_assert_int_eq(tp_send(&t, 0, SEG(.flags = PTCP_SYN, .seq = 77)), 0);
  tp_expect(&t, SEG(.flags = PTCP_RST | PTCP_ACK, .seq = 0, .ack = 78));
  /* t=1ms: an ACK gets <SEQ=SEG.ACK><RST>. */
  ck_assert_int_eq(tp_send(&t, 1 * MS, SEG(.flags = PTCP_ACK, .seq = 5, .ack = 99)), 0);
  tp_expect(&t, SEG(.flags = PTCP_RST, .seq = 99));
  /* t=2ms: a RST gets nothing. */
  ck_assert_int_eq(tp_send(&t, 2 * MS, SEG(.flags = PTCP_RST, .seq = 5)), 0);
  tp_expect_nothing(&t);
  ptcp_stack_stats_get(t.stack, &st);
  ck_assert_uint_eq(st.reasons[PTCP_R_NO_CONNECTION], 3);
}
END_TEST

START_TEST(test_conn_bind_taken_port_fails) {
  ptcp_conn *a, *b;

  ck_assert_int_eq(ptcp_conn_new(t.stack, NULL, &a), 0);
  ck_assert_int_eq(ptcp_conn_new(t.stack, NULL, &b), 0);
  ck_assert_int_eq(ptcp_conn_bind(a, NULL, 8080), 0);
  ck_assert_int_eq(ptcp_conn_bind(b, NULL, 8080), PTCP_ERR_ADDR_IN_USE);
  ck_assert_int_eq(ptcp_conn_bind(b, &t.local, 8080), PTCP_ERR_ADDR_IN_USE);
  ck_assert_int_eq(ptcp_conn_bind(a, NULL, 8081), PTCP_ERR_STATE);
  {
    ptcp_addr other = ptcp_addr_v4(192, 0, 2, 9);
    ck_assert_int_eq(ptcp_conn_bind(b, &other, 8082), PTCP_ERR_ADDR_NOT_AVAIL);
  }
  /* Once the first is closed the port is free again. */
  ck_assert_int_eq(ptcp_conn_close(a, 0), 0);
  ck_assert_int_eq(ptcp_conn_bind(b, NULL, 8080), 0);
  ck_assert_int_eq(ptcp_conn_close(b, 0), 0);
}
END_TEST

START_TEST(test_conn_listen_needs_bind) {
  ptcp_conn *a;

  ck_assert_int_eq(ptcp_conn_new(t.stack, NULL, &a), 0);
  ck_assert_int_eq(ptcp_conn_listen(a, 4), PTCP_ERR_STATE);
  ck_assert_int_eq(ptcp_conn_bind(a, NULL, 90), 0);
  ck_assert_int_eq(ptcp_conn_listen(a, 0), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(ptcp_conn_listen(a, 4), 0);
  ck_assert_int_eq(ptcp_conn_connect(a, &t.remote, 80, 0), PTCP_ERR_STATE);
  ck_assert_int_eq(ptcp_conn_send(a, "x", 1, 0), PTCP_ERR_NOT_CONNECTED);
  ck_assert_int_eq(ptcp_conn_close(a, 0), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Data                                                                */

START_TEST(test_conn_data_delayed_ack) {
  ptcp_conn *c = tp_established(&t, 0);
  uint8_t buf[200];

  /* t=100ms: 100 bytes; the ACK waits for the delayed-ACK timer. */
  ck_assert_int_eq(tp_send(&t, 100 * MS, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_IRS + 1,
                                             .ack = TP_ISS + 1, .len = 100)),
                   0);
  tp_expect_nothing(&t);
  ck_assert_int_eq(t.ev.readable, 1);
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 100 * MS), 100);
  for (int i = 0; i < 100; i++)
    ck_assert_uint_eq(buf[i], tp_pattern((size_t)i));
  /* t=299ms: not yet; t=300ms: ACK (200 ms delay). */
  tp_advance(&t, 299 * MS);
  tp_expect_nothing(&t);
  tp_advance(&t, 300 * MS);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 101));
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 300 * MS), PTCP_ERR_WOULD_BLOCK);
}
END_TEST

START_TEST(test_conn_every_second_full_segment_acked) {
  tp_established(&t, 0);
  /* t=100ms: one full segment: delayed; the second: ACK at once. */
  ck_assert_int_eq(tp_send(&t, 100 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1,
                                             .ack = TP_ISS + 1, .len = 1460)),
                   0);
  tp_expect_nothing(&t);
  ck_assert_int_eq(tp_send(&t, 101 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1461,
                                             .ack = TP_ISS + 1, .len = 1460)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 2921));
}
END_TEST

/* With timestamps a full-sized segment carries 1460 - 12 = 1448 bytes
 * (RFC 6691 §2, RFC 7323 §3.2): two of them must draw the ACK at once
 * (RFC 5681 §4.2), not wait for a third segment or the delayed-ACK
 * timer. */
START_TEST(test_conn_every_second_full_segment_acked_with_timestamps) {
  ptcp_conn *c;
  tp_seg syn = SEG(.flags = PTCP_SYN, .seq = TP_IRS, .window = 65535);
  tp_seg seg;
  const ptcp_seg *sa;
  uint32_t tsval;

  syn.opts.present = PTCP_OPT_MSS | PTCP_OPT_TS;
  syn.opts.mss = 1460;
  syn.opts.ts_val = 100;
  tp_listen(&t, 80, 4);
  ck_assert_int_eq(tp_send(&t, 0, syn), 0);
  sa = tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
  ck_assert(sa->opts.present & PTCP_OPT_TS);
  tsval = sa->opts.ts_val;
  seg = SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1);
  seg.opts.present = PTCP_OPT_TS;
  seg.opts.ts_val = 110;
  seg.opts.ts_ecr = tsval;
  ck_assert_int_eq(tp_send(&t, 10 * MS, seg), 0);
  ck_assert_int_eq(ptcp_conn_accept(t.listener, &c), 0);
  tp_expect_nothing(&t);
  /* t=100ms: one full segment: delayed; the second: ACK at once. */
  seg.len = 1448;
  seg.opts.ts_val = 120;
  ck_assert_int_eq(tp_send(&t, 100 * MS, seg), 0);
  tp_expect_nothing(&t);
  seg.seq = TP_IRS + 1 + 1448;
  seg.opts.ts_val = 121;
  ck_assert_int_eq(tp_send(&t, 101 * MS, seg), 0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1 + 2896));
}
END_TEST

/* The answers to zero-window probes are not duplicate ACKs: the probe
 * bytes lie beyond a window of zero and are not in flight, so three
 * answers must not start a fast retransmission (RFC 5681 §3.2) of a full
 * segment into the closed window. */
START_TEST(test_conn_zero_window_probe_answers_are_not_dupacks) {
  ptcp_conn *c = tp_established(&t, 0);
  uint8_t data[1000];
  ptcp_conn_status st;
  ptcp_time at = 1100 * MS;

  memset(data, 7, sizeof(data));
  /* t=100ms: the peer's window closes; 1000 bytes wait. */
  ck_assert_int_eq(tp_send(&t, 100 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1,
                               .window_zero = 1)),
                   0);
  ck_assert_int_eq(ptcp_conn_send(c, data, sizeof(data), 100 * MS), 1000);
  tp_expect_nothing(&t);
  /* Four probes, each answered with the window still closed: only
   * one-byte probes ever go out. */
  for (int i = 0; i < 4; i++) {
    while (tp_pending(&t) == 0)
      tp_advance(&t, at += 100 * MS);
    tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1, .len = 1));
    ck_assert_int_eq(tp_send(&t, at + 10 * MS,
                             SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1,
                                 .window_zero = 1)),
                     0);
    tp_expect_nothing(&t);
    at += 10 * MS;
  }
  ptcp_conn_status_get(c, &st);
  ck_assert_uint_eq(st.fast_retransmits, 0);
}
END_TEST

/* RFC 9293 §3.8.6.1 (SHLD-29, SHLD-30): the first zero-window probe
 * after one RTO, then exponentially longer intervals, also while the
 * peer answers each probe (which only keeps the connection from giving
 * up, MUST-26). */
START_TEST(test_conn_persist_probes_back_off) {
  ptcp_conn *c = tp_established(&t, 0);
  uint8_t data[100];
  const ptcp_time probe[] = {1100 * MS, 3100 * MS, 7100 * MS, 15100 * MS};

  memset(data, 7, sizeof(data));
  /* t=100ms: the peer's window closes; 100 bytes wait. */
  ck_assert_int_eq(tp_send(&t, 100 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1,
                               .window_zero = 1)),
                   0);
  ck_assert_int_eq(ptcp_conn_send(c, data, sizeof(data), 100 * MS), 100);
  tp_expect_nothing(&t);
  /* Probes at RTO (1 s), then 2, 4 and 8 s apart, each answered. */
  for (unsigned i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
    tp_advance(&t, probe[i] - 1 * MS);
    tp_expect_nothing(&t);
    tp_advance(&t, probe[i]);
    tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1, .len = 1));
    ck_assert_int_eq(tp_send(&t, probe[i] + 10 * MS,
                             SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1,
                                 .window_zero = 1)),
                     0);
    tp_expect_nothing(&t);
  }
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_ESTABLISHED);
}
END_TEST

/* A probe byte sent into a zero window and not acknowledged when the
 * window opens was dropped by the peer: the queued data, that byte
 * first, goes out with the window update, not one RTO later (Nagle must
 * not take the lost probe for data in flight). */
START_TEST(test_conn_window_opening_sends_at_once) {
  ptcp_conn *c = tp_established(&t, 0);
  uint8_t data[100];

  memset(data, 7, sizeof(data));
  ck_assert_int_eq(tp_send(&t, 100 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1,
                               .window_zero = 1)),
                   0);
  ck_assert_int_eq(ptcp_conn_send(c, data, sizeof(data), 100 * MS), 100);
  tp_advance(&t, 1100 * MS);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1, .len = 1));
  ck_assert_int_eq(tp_send(&t, 1110 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1,
                               .window_zero = 1)),
                   0);
  tp_expect_nothing(&t);
  /* t=1.5s: the window opens without covering the probe byte. */
  ck_assert_int_eq(tp_send(&t, 1500 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1,
                               .window = 65535)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1, .ack = TP_IRS + 1,
                    .len = 100));
  tp_expect_nothing(&t);
  ck_assert_int_eq(
      tp_send(&t, 1600 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 101)),
      0);
  tp_advance(&t, 10 * SEC);
  tp_expect_nothing(&t);
}
END_TEST

START_TEST(test_conn_duplicate_data_discarded_and_reacked) {
  ptcp_conn *c = tp_established(&t, 0);
  uint8_t buf[500];
  tp_snap before, after;

  /* t=100ms: 100 bytes arrive, are read, and ACKed by the delack timer. */
  ck_assert_int_eq(tp_send(&t, 100 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1,
                                             .ack = TP_ISS + 1, .len = 100)),
                   0);
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 100 * MS), 100);
  tp_advance(&t, 300 * MS);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 101));
  /* t=1s: the peer lost that ACK and resends the same bytes: they are
   * dropped, and ACKed at once (RFC 9293 §3.10.7.4). */
  tp_snap_take(c, &before);
  ck_assert_int_eq(tp_send(&t, 1 * SEC, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1,
                                            .ack = TP_ISS + 1, .len = 100)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 101));
  tp_snap_take(c, &after);
  ck_assert(tp_snap_same(&before, &after));
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 1 * SEC), PTCP_ERR_WOULD_BLOCK);
  ck_assert_uint_eq(after.st.reasons[PTCP_R_DUPLICATE], 1);
}
END_TEST

START_TEST(test_conn_out_of_order_then_filled) {
  ptcp_conn *c = tp_established(&t, 0);
  uint8_t data[300], buf[400];

  for (int i = 0; i < 300; i++)
    data[i] = tp_pattern((size_t)i);
  /* t=100ms: bytes 100..199 first: a duplicate ACK at once. */
  ck_assert_int_eq(tp_send(&t, 100 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 101,
                                             .ack = TP_ISS + 1, .len = 100, .data = data + 100)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 100 * MS), PTCP_ERR_WOULD_BLOCK);
  /* t=110ms: bytes 0..99 fill the hole: ACK for all 200 at once. */
  ck_assert_int_eq(tp_send(&t, 110 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1,
                                             .ack = TP_ISS + 1, .len = 100, .data = data)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 201));
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 110 * MS), 200);
  ck_assert(memcmp(buf, data, 200) == 0);
}
END_TEST

/* Out-of-order bytes sit in the receive ring beyond the readable ones.
 * Reading every readable byte must not move them: found by the kernel
 * interop tests (byte-exactness under loss), where the reader drains the
 * ring while a later segment waits for a retransmission. */
START_TEST(test_conn_out_of_order_survives_drained_reader) {
  ptcp_conn *c = tp_established(&t, 0);
  uint8_t data[300], buf[400];

  for (int i = 0; i < 300; i++)
    data[i] = (uint8_t)(i * 7 + 3);
  /* t=100ms: bytes 0..99 in order; t=110ms: 200..299 beyond a hole. */
  ck_assert_int_eq(tp_send(&t, 100 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1,
                                             .ack = TP_ISS + 1, .len = 100, .data = data)),
                   0);
  ck_assert_int_eq(tp_send(&t, 110 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 201,
                                             .ack = TP_ISS + 1, .len = 100, .data = data + 200)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 101));
  /* The reader takes everything readable: the ring is empty but for the
   * out-of-order bytes. */
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 111 * MS), 100);
  ck_assert(memcmp(buf, data, 100) == 0);
  /* t=120ms: 100..199 fill the hole; all 200 bytes come out intact. */
  ck_assert_int_eq(tp_send(&t, 120 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 101,
                                             .ack = TP_ISS + 1, .len = 100, .data = data + 100)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 301));
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 120 * MS), 200);
  ck_assert(memcmp(buf, data + 100, 200) == 0);
}
END_TEST

/* RFC 6691 (RFC 9293 §3.7.1): the sender reduces a segment's data by
 * the options it carries.  While out-of-order data waits, every segment
 * carries SACK blocks (RFC 2018 §4), so full-sized data segments must
 * shrink by the SACK option: found by the kernel interop tests, where
 * such segments went over the TUN's MTU and were lost. */
START_TEST(test_conn_sack_blocks_shrink_the_payload) {
  tp_seg syn = SEG(.flags = PTCP_SYN, .seq = TP_IRS, .window = 65535);
  tp_seg seg;
  uint8_t data[1952];
  const ptcp_seg *g;
  uint32_t our_ts;
  ptcp_conn *c;

  syn.opts.present = PTCP_OPT_MSS | PTCP_OPT_SACK_PERM | PTCP_OPT_TS;
  syn.opts.mss = 1000;
  syn.opts.ts_val = 100;
  tp_listen(&t, 80, 8);
  ck_assert_int_eq(tp_send(&t, 0, syn), 0);
  g = tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
  ck_assert(g->opts.present & PTCP_OPT_SACK_PERM);
  our_ts = g->opts.ts_val;
  seg = SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1, .window = 65535);
  seg.opts.present = PTCP_OPT_TS;
  seg.opts.ts_val = 110;
  seg.opts.ts_ecr = our_ts;
  ck_assert_int_eq(tp_send(&t, 10 * MS, seg), 0);
  ck_assert_int_eq(ptcp_conn_accept(t.listener, &c), 0);
  /* t=20ms: bytes 100..199 beyond a hole: a duplicate ACK with SACK. */
  seg = SEG(.flags = PTCP_ACK, .seq = TP_IRS + 101, .ack = TP_ISS + 1, .window = 65535,
            .len = 100);
  seg.opts.present = PTCP_OPT_TS;
  seg.opts.ts_val = 120;
  seg.opts.ts_ecr = our_ts;
  ck_assert_int_eq(tp_send(&t, 20 * MS, seg), 0);
  g = tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
  ck_assert(g->opts.present & PTCP_OPT_SACK);
  /* t=30ms: two full segments of 1000 - 12 (timestamps) - 12 (one SACK
   * block) = 976 bytes, each within the peer's MSS with its options. */
  memset(data, 'x', sizeof(data));
  ck_assert_int_eq(ptcp_conn_send(c, data, sizeof(data), 30 * MS), (ptcp_ssize)sizeof(data));
  for (uint32_t i = 0; i < 2; i++) {
    g = tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1 + 976 * i, .ack = TP_IRS + 1,
                          .len = 976));
    ck_assert(g->opts.present & PTCP_OPT_SACK);
    ck_assert_int_le((ptcp_ssize)g->payload_len + ptcp_seg_opts_len(g), 1000);
  }
  tp_expect_nothing(&t);
}
END_TEST

/* A retransmission resends what was sent, never more: here 100 bytes
 * went into a 100-byte window, and the timeout must resend those 100,
 * not a full segment past SND.MAX (whose ACK would then be refused as
 * acknowledging unsent data, stalling the connection for good). */
START_TEST(test_conn_retransmission_stays_within_what_was_sent) {
  ptcp_conn *c = tp_established_active(&t, 0);
  uint8_t data[3000];
  ptcp_time now = 20 * MS;

  memset(data, 0xa5, sizeof(data));
  /* t=20ms: a 100-byte window.  Sender SWS avoidance waits ... */
  ck_assert_int_eq(tp_send(&t, now, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1,
                                        .ack = TP_ISS + 1, .window = 100)),
                   0);
  ck_assert_int_eq(ptcp_conn_send(c, data, sizeof(data), now), (ptcp_ssize)sizeof(data));
  tp_expect_nothing(&t);
  /* ... until the persist timer forces the 100 bytes out. */
  now = ptcp_stack_next_deadline(t.stack);
  tp_advance(&t, now);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1, .len = 100));
  tp_expect_nothing(&t);
  /* No answer: the retransmission timer resends exactly those bytes. */
  now = ptcp_stack_next_deadline(t.stack);
  tp_advance(&t, now);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1, .len = 100));
  {
    ptcp_conn_status st;
    ptcp_conn_status_get(c, &st);
    ck_assert_uint_eq(st.snd_max, TP_ISS + 101);
    ck_assert(ptcp_seq_le(st.snd_nxt, st.snd_max));
  }
  tp_discard(&t);
  /* The peer takes them and opens up: acknowledged, and the rest flows. */
  now += 10 * MS;
  ck_assert_int_eq(
      tp_send(&t, now, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 101)), 0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 101, .ack = TP_IRS + 1, .len = 1460));
  {
    ptcp_conn_status st;
    ptcp_conn_status_get(c, &st);
    ck_assert_uint_eq(st.snd_una, TP_ISS + 101);
  }
}
END_TEST

START_TEST(test_conn_send_segments_by_mss) {
  ptcp_conn *c = tp_established(&t, 0);
  uint8_t data[3000];

  for (int i = 0; i < 3000; i++)
    data[i] = tp_pattern((size_t)i);
  /* t=100ms: 3000 bytes with MSS 1460: two full segments at once; the
   * 80-byte tail waits while data is unacknowledged (Nagle, RFC 9293
   * §3.7.4). */
  ck_assert_int_eq(ptcp_conn_send(c, data, sizeof(data), 100 * MS), 3000);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1, .len = 1460));
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1461, .ack = TP_IRS + 1, .len = 1460));
  tp_expect_nothing(&t);
  /* t=150ms: both acknowledged: the tail goes. */
  ck_assert_int_eq(
      tp_send(&t, 150 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 2921)), 0);
  tp_expect(
      &t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 2921, .ack = TP_IRS + 1, .len = 80));
  ck_assert_int_eq(
      tp_send(&t, 200 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 3001)), 0);
  tp_expect_nothing(&t);
  {
    ptcp_conn_status st;
    ptcp_conn_status_get(c, &st);
    ck_assert_uint_eq(st.snd_una, TP_ISS + 3001);
    ck_assert_uint_eq(st.send_queued, 0);
  }
}
END_TEST

/* The peer's window is relative to the ACK that carried it.  A segment
 * with an old SEQ (the peer retransmitting data we lost) may acknowledge
 * more of ours, but RFC 9293 §3.10.7.4 does not let it update the
 * window, so SND.WND is older than SND.UNA: the right edge the peer last
 * offered must stay put, not slide with SND.UNA.  Found by the kernel
 * interop tests: Linux retransmitted its echo while acknowledging ours,
 * and plugtcp sent 30 KiB past Linux's window. */
START_TEST(test_conn_old_segment_ack_keeps_window_edge) {
  ptcp_conn *c = tp_established(&t, 0);
  uint8_t data[6000];
  const ptcp_seg *g;

  memset(data, 'y', sizeof(data));
  /* t=10ms: the peer has sent 200 bytes we lost; its ACK (SEQ = its
   * SND.NXT) sets the window to 3000: the right edge is ISS+1+3000. */
  ck_assert_int_eq(tp_send(&t, 10 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 201,
                                            .ack = TP_ISS + 1, .window = 3000)),
                   0);
  tp_expect_nothing(&t);
  /* t=30ms: 6000 bytes to send; the window takes two full segments. */
  ck_assert_int_eq(ptcp_conn_send(c, data, sizeof(data), 30 * MS), (ptcp_ssize)sizeof(data));
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1, .len = 1460));
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1461, .ack = TP_IRS + 1, .len = 1460));
  tp_expect_nothing(&t);
  /* t=40ms: the peer resends the lost 200 bytes, acknowledging both our
   * segments with a window of 80 (the same edge, ISS+3001).  Its SEQ is
   * older than the last window update's, so the window is not taken;
   * the edge must not move to SND.UNA + 3000.  80 bytes fit: nothing
   * goes (sender SWS avoidance, RFC 9293 §3.8.6.2.1). */
  ck_assert_int_eq(tp_send(&t, 40 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1,
                                            .ack = TP_ISS + 2921, .window = 80, .len = 200)),
                   0);
  while (tp_pending(&t) > 0) {
    g = tp_expect(&t, SEG(.flags = PTCP_ACK, .any_seq = 1, .ack = TP_IRS + 201,
                          .len = (uint32_t)t.out[t.head].seg.payload_len));
    ck_assert_msg(ptcp_seq_le(g->seq + (uint32_t)g->payload_len, TP_ISS + 3001),
                  "sent %u..%u, beyond the peer's window edge %u", g->seq,
                  g->seq + (uint32_t)g->payload_len, TP_ISS + 3001);
  }
  /* t=50ms: a current ACK updates the window to 3000 from ISS+2921: two
   * more full segments go. */
  ck_assert_int_eq(tp_send(&t, 50 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 201,
                                            .ack = TP_ISS + 2921, .window = 3000)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 2921, .ack = TP_IRS + 201, .len = 1460));
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 4381, .ack = TP_IRS + 201, .len = 1460));
}
END_TEST

START_TEST(test_conn_retransmission_on_timeout) {
  ptcp_conn *c = tp_established(&t, 0);

  /* t=100ms: 100 bytes out; the ACK never comes. */
  ck_assert_int_eq(ptcp_conn_send(c, "0123456789", 10, 100 * MS), 10);
  tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1, .ack = TP_IRS + 1, .len = 10));
  /* RTO = 1 s (RFC 6298 §2.4 minimum): resent at 1.1 s, then 2 s later. */
  tp_advance(&t, 1100 * MS - 1);
  tp_expect_nothing(&t);
  tp_advance(&t, 1100 * MS);
  tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1, .ack = TP_IRS + 1, .len = 10));
  tp_advance(&t, 3100 * MS - 1);
  tp_expect_nothing(&t);
  tp_advance(&t, 3100 * MS);
  tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1, .ack = TP_IRS + 1, .len = 10));
  /* t=3.2s: acknowledged; no more retransmissions. */
  ck_assert_int_eq(
      tp_send(&t, 3200 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 11)), 0);
  tp_advance(&t, 20 * SEC);
  tp_expect_nothing(&t);
  {
    ptcp_conn_status st;
    ptcp_conn_status_get(c, &st);
    ck_assert_uint_eq(st.timeouts, 2);
    ck_assert_uint_eq(st.retransmits, 2);
  }
}
END_TEST

/* ------------------------------------------------------------------ */
/* RST                                                                 */

START_TEST(test_conn_rst_exact_resets) {
  ptcp_conn *c = tp_established(&t, 0);

  ck_assert_int_eq(tp_send(&t, 100 * MS, SEG(.flags = PTCP_RST, .seq = TP_IRS + 1)), 0);
  tp_expect_nothing(&t);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSED);
  ck_assert_int_eq(t.ev.last_error, PTCP_ERR_CONN_RESET);
  ck_assert_int_eq(ptcp_conn_send(c, "x", 1, 100 * MS), PTCP_ERR_CONN_RESET);
}
END_TEST

START_TEST(test_conn_rst_in_window_challenged) {
  ptcp_conn *c = tp_established(&t, 0);
  tp_snap before, after;

  tp_snap_take(c, &before);
  /* RFC 5961 §3.2: in the window but not exact: a challenge ACK. */
  ck_assert_int_eq(tp_send(&t, 100 * MS, SEG(.flags = PTCP_RST, .seq = TP_IRS + 50)), 0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
  tp_snap_take(c, &after);
  ck_assert(tp_snap_same(&before, &after));
  /* Outside the window: silence. */
  ck_assert_int_eq(tp_send(&t, 110 * MS, SEG(.flags = PTCP_RST, .seq = TP_IRS - 50)), 0);
  tp_expect_nothing(&t);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_ESTABLISHED);
}
END_TEST

START_TEST(test_conn_syn_in_established_challenged) {
  ptcp_conn *c = tp_established(&t, 0);

  /* RFC 5961 §4: any SYN in a synchronized state draws a challenge ACK. */
  ck_assert_int_eq(tp_send(&t, 100 * MS, SEG(.flags = PTCP_SYN, .seq = TP_IRS + 10)), 0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_ESTABLISHED);
}
END_TEST

START_TEST(test_conn_ack_for_unsent_data) {
  ptcp_conn *c = tp_established(&t, 0);
  tp_snap before, after;

  tp_snap_take(c, &before);
  ck_assert_int_eq(
      tp_send(&t, 100 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 500)), 0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
  tp_snap_take(c, &after);
  ck_assert(tp_snap_same(&before, &after));
  ck_assert_uint_eq(after.st.reasons[PTCP_R_ACK_UNSENT], 1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Closing                                                             */

START_TEST(test_conn_four_way_close_active) {
  ptcp_conn *c = tp_time_wait(&t, 0);
  ptcp_time tw_start = 40 * MS;

  /* TIME-WAIT lasts exactly 2 MSL = 240 s (RFC 9293 §3.4.2). */
  ck_assert_int_eq(t.ev.closed, 1);
  tp_advance(&t, tw_start + 240 * SEC - 1);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_TIME_WAIT);
  tp_advance(&t, tw_start + 240 * SEC);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSED);
  ck_assert_int_eq(t.ev.closed, 1);
  tp_expect_nothing(&t);
}
END_TEST

START_TEST(test_conn_time_wait_reacks_fin_and_restarts) {
  ptcp_conn *c = tp_time_wait(&t, 0);

  /* t=100s: the peer's FIN again (our ACK was lost): re-ACK, restart 2MSL. */
  ck_assert_int_eq(tp_send(&t, 100 * SEC, SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = TP_IRS + 1,
                                             .ack = TP_ISS + 2)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 2, .ack = TP_IRS + 2));
  tp_advance(&t, 340 * SEC - 1);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_TIME_WAIT);
  tp_advance(&t, 340 * SEC);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSED);
}
END_TEST

START_TEST(test_conn_time_wait_ignores_rst) {
  ptcp_conn *c = tp_time_wait(&t, 0);

  /* RFC 1337 fix F1: a RST does not cut TIME-WAIT short. */
  ck_assert_int_eq(tp_send(&t, 1 * SEC, SEG(.flags = PTCP_RST, .seq = TP_IRS + 2)), 0);
  tp_expect_nothing(&t);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_TIME_WAIT);
}
END_TEST

START_TEST(test_conn_passive_close) {
  ptcp_conn *c = tp_last_ack(&t, 0);

  ck_assert_int_eq(t.ev.peer_fin, 1);
  ck_assert_int_eq(ptcp_conn_recv(c, NULL, 0, 30 * MS), 0); /* end of stream */
  ck_assert_int_eq(
      tp_send(&t, 40 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 2, .ack = TP_ISS + 2)), 0);
  tp_expect_nothing(&t);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSED);
  ck_assert_int_eq(t.ev.closed, 1);
}
END_TEST

START_TEST(test_conn_simultaneous_close) {
  ptcp_conn *c = tp_closing(&t, 0);

  /* CLOSING: the ACK of our FIN takes us to TIME-WAIT. */
  ck_assert_int_eq(
      tp_send(&t, 50 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 2, .ack = TP_ISS + 2)), 0);
  tp_expect_nothing(&t);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_TIME_WAIT);
}
END_TEST

START_TEST(test_conn_half_close_peer_keeps_sending) {
  ptcp_conn *c = tp_fin_wait_2(&t, 0);
  uint8_t buf[100];

  /* Our side shut down; the peer goes on sending: we keep receiving. */
  ck_assert_int_eq(tp_send(&t, 100 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1,
                                             .ack = TP_ISS + 2, .len = 50)),
                   0);
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 100 * MS), 50);
  ck_assert_int_eq(ptcp_conn_send(c, "x", 1, 100 * MS), PTCP_ERR_CLOSED);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_FIN_WAIT_2);
}
END_TEST

START_TEST(test_conn_half_close_we_keep_sending) {
  ptcp_conn *c = tp_close_wait(&t, 0);

  /* The peer shut down; we may still send (RFC 9293 §3.6). */
  ck_assert_int_eq(ptcp_conn_send(c, "hello", 5, 100 * MS), 5);
  tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1, .ack = TP_IRS + 2, .len = 5));
}
END_TEST

START_TEST(test_conn_close_with_unread_data_sends_rst) {
  ptcp_conn *c = tp_established(&t, 0);

  ck_assert_int_eq(tp_send(&t, 100 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1,
                                             .ack = TP_ISS + 1, .len = 10)),
                   0);
  /* RFC 9293 §3.10.4 / RFC 1122 4.2.2.13: unread data: RST, not FIN. */
  ck_assert_int_eq(ptcp_conn_close(c, 110 * MS), 0);
  tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 1));
  tp_expect_nothing(&t);
}
END_TEST

START_TEST(test_conn_abort_sends_rst) {
  ptcp_conn *c = tp_established(&t, 0);

  ck_assert_int_eq(ptcp_conn_abort(c, 100 * MS), 0);
  tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 1));
  /* The connection is gone: its segments now meet no one. */
  ck_assert_int_eq(
      tp_send(&t, 200 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1)), 0);
  tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 1));
}
END_TEST

Suite *ptcp_conn_suite(void) {
  Suite *s = suite_create("conn");
  TCase *open = tcase_create("open");
  TCase *data = tcase_create("data");
  TCase *rst = tcase_create("rst");
  TCase *close = tcase_create("close");

  tcase_add_checked_fixture(open, setup, teardown);
  tcase_add_test(open, test_conn_passive_handshake);
  tcase_add_test(open, test_conn_active_handshake_offers_options);
  tcase_add_test(open, test_conn_syn_retransmit_backoff_then_timeout);
  tcase_add_test(open, test_conn_old_duplicate_syn_server_side);
  tcase_add_test(open, test_conn_old_duplicate_syn_client_side);
  tcase_add_test(open, test_conn_duplicate_syn_no_second_connection);
  tcase_add_test(open, test_conn_syn_backlog_bounded);
  tcase_add_test(open, test_conn_refused);
  tcase_add_test(open, test_conn_closed_port_answers_rst);
  tcase_add_test(open, test_conn_bind_taken_port_fails);
  tcase_add_test(open, test_conn_listen_needs_bind);
  suite_add_tcase(s, open);

  tcase_add_checked_fixture(data, setup, teardown);
  tcase_add_test(data, test_conn_data_delayed_ack);
  tcase_add_test(data, test_conn_every_second_full_segment_acked);
  tcase_add_test(data, test_conn_every_second_full_segment_acked_with_timestamps);
  tcase_add_test(data, test_conn_zero_window_probe_answers_are_not_dupacks);
  tcase_add_test(data, test_conn_persist_probes_back_off);
  tcase_add_test(data, test_conn_window_opening_sends_at_once);
  tcase_add_test(data, test_conn_duplicate_data_discarded_and_reacked);
  tcase_add_test(data, test_conn_out_of_order_then_filled);
  tcase_add_test(data, test_conn_out_of_order_survives_drained_reader);
  tcase_add_test(data, test_conn_sack_blocks_shrink_the_payload);
  tcase_add_test(data, test_conn_retransmission_stays_within_what_was_sent);
  tcase_add_test(data, test_conn_send_segments_by_mss);
  tcase_add_test(data, test_conn_retransmission_on_timeout);
  tcase_add_test(data, test_conn_old_segment_ack_keeps_window_edge);
  suite_add_tcase(s, data);

  tcase_add_checked_fixture(rst, setup, teardown);
  tcase_add_test(rst, test_conn_rst_exact_resets);
  tcase_add_test(rst, test_conn_rst_in_window_challenged);
  tcase_add_test(rst, test_conn_syn_in_established_challenged);
  tcase_add_test(rst, test_conn_ack_for_unsent_data);
  suite_add_tcase(s, rst);

  tcase_add_checked_fixture(close, setup, teardown);
  tcase_add_test(close, test_conn_four_way_close_active);
  tcase_add_test(close, test_conn_time_wait_reacks_fin_and_restarts);
  tcase_add_test(close, test_conn_time_wait_ignores_rst);
  tcase_add_test(close, test_conn_passive_close);
  tcase_add_test(close, test_conn_simultaneous_close);
  tcase_add_test(close, test_conn_half_close_peer_keeps_sending);
  tcase_add_test(close, test_conn_half_close_we_keep_sending);
  tcase_add_test(close, test_conn_close_with_unread_data_sends_rst);
  tcase_add_test(close, test_conn_abort_sends_rst);
  suite_add_tcase(s, close);
  return s;
}

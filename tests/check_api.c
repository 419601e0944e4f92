/*
 * The user's side of the engine: CLOSE with unread data, data after
 * CLOSE, ABORT in every state, the accept queue and its bounds, closing
 * a listener, reopening TIME-WAIT, connect() errors, ephemeral ports,
 * IPv6, two stacks side by side, and calling the API from inside the
 * callbacks (stack.h's reentrancy rules).
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "tcp_harness.h"

Suite *ptcp_api_suite(void);

static tp t;

static void setup(void) { tp_init(&t, NULL); }
static void teardown(void) { tp_free(&t); }

static void reinit(const tp_opts *o) {
  tp_free(&t);
  tp_init(&t, o);
}

static ptcp_conn_status status_of(const ptcp_conn *c) {
  ptcp_conn_status st;
  ptcp_conn_status_get(c, &st);
  return st;
}

static ptcp_stack_stats stats(void) {
  ptcp_stack_stats st;
  ptcp_stack_stats_get(t.stack, &st);
  return st;
}

/* A second peer (port |port|) completes a handshake with the listener. */
static void peer_handshake(uint16_t port, uint32_t irs, ptcp_time now, int complete) {
  uint16_t keep = t.remote_port;
  t.remote_port = port;
  ck_assert_int_eq(tp_send(&t, now, SEG(.flags = PTCP_SYN, .seq = irs)), 0);
  if (complete)
    ck_assert_int_eq(
        tp_send(&t, now + MS, SEG(.flags = PTCP_ACK, .seq = irs + 1, .ack = TP_ISS + 1)),
        0);
  t.remote_port = keep;
}

/* ------------------------------------------------------------------ */
/* CLOSE with unread data, data after CLOSE (RFC 9293 §3.10.4,          */
/* RFC 1122 4.2.2.13)                                                  */

START_TEST(test_api_close_with_unread_data) {
  ptcp_conn *c;
  uint8_t buf[64];

  /* In-order data never read: RST <SEQ=SND.NXT>, nothing after it. */
  c = tp_established(&t, 0);
  ck_assert_int_eq(
      tp_send(&t, 10 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1, .len = 10)),
      0);
  ck_assert_int_eq(ptcp_conn_close(c, 20 * MS), 0);
  tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 1));
  tp_expect_nothing(&t);
  ck_assert_uint_eq(stats().conns, 1);
  /* Out-of-order data only: unread too. */
  reinit(NULL);
  c = tp_established(&t, 0);
  ck_assert_int_eq(
      tp_send(&t, 10 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 101, .ack = TP_ISS + 1, .len = 10)),
      0);
  tp_discard(&t);
  ck_assert_int_eq(ptcp_conn_close(c, 20 * MS), 0);
  tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 1));
  /* After the peer's FIN with its data unread (CLOSE-WAIT). */
  reinit(NULL);
  c = tp_established(&t, 0);
  ck_assert_int_eq(tp_send(&t, 10 * MS,
                           SEG(.flags = PTCP_ACK | PTCP_FIN, .seq = TP_IRS + 1,
                               .ack = TP_ISS + 1, .len = 10)),
                   0);
  tp_discard(&t);
  ck_assert_int_eq(ptcp_conn_close(c, 20 * MS), 0);
  tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 1));
  /* Read to the end first: an orderly FIN. */
  reinit(NULL);
  c = tp_established(&t, 0);
  ck_assert_int_eq(tp_send(&t, 10 * MS,
                           SEG(.flags = PTCP_ACK | PTCP_FIN, .seq = TP_IRS + 1,
                               .ack = TP_ISS + 1, .len = 10)),
                   0);
  tp_discard(&t);
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 15 * MS), 10);
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 15 * MS), 0);
  ck_assert_int_eq(ptcp_conn_close(c, 20 * MS), 0);
  tp_expect(&t, SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 12));
  /* Unsent data does not matter: the FIN follows it, and CLOSE implies
   * a push (RFC 9293 §3.8), so what Nagle held goes at once. */
  reinit(NULL);
  c = tp_established(&t, 0);
  ck_assert_int_eq(ptcp_conn_send(c, "abc", 3, 10 * MS), 3);
  tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1, .ack = TP_IRS + 1,
                    .len = 3));
  ck_assert_int_eq(ptcp_conn_send(c, "def", 3, 11 * MS), 3); /* Nagle holds it */
  tp_expect_nothing(&t);
  ck_assert_int_eq(ptcp_conn_close(c, 12 * MS), 0);
  tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH | PTCP_FIN, .seq = TP_ISS + 4,
                    .ack = TP_IRS + 1, .len = 3));
}
END_TEST

START_TEST(test_api_data_after_close) {
  ptcp_conn *c;

  /* FIN-WAIT-1 after CLOSE: new data is answered with RST. */
  c = tp_established(&t, 0);
  ck_assert_int_eq(ptcp_conn_close(c, 20 * MS), 0);
  tp_expect(&t, SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
  ck_assert_int_eq(
      tp_send(&t, 30 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1, .len = 10)),
      0);
  ck_assert_int_eq(t.last_reason, PTCP_R_DATA_AFTER_CLOSE);
  tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 2));
  tp_expect_nothing(&t);
  ck_assert_uint_eq(stats().conns, 1);
  /* FIN-WAIT-2 after CLOSE. */
  reinit(NULL);
  c = tp_fin_wait_2(&t, 0);
  ck_assert_int_eq(ptcp_conn_close(c, 40 * MS), 0);
  ck_assert_int_eq(
      tp_send(&t, 50 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 2, .len = 1)),
      0);
  tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 2));
  ck_assert_uint_eq(stats().conns, 1);
  /* Old data (a retransmission of what was read) is not new: ACKed. */
  reinit(NULL);
  c = tp_established(&t, 0);
  {
    uint8_t buf[16];
    ck_assert_int_eq(
        tp_send(&t, 10 * MS,
                SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1, .len = 10)),
        0);
    ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 10 * MS), 10);
  }
  ck_assert_int_eq(ptcp_conn_close(c, 20 * MS), 0);
  tp_expect(&t, SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 11));
  ck_assert_int_eq(
      tp_send(&t, 30 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 2, .len = 10)),
      0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 2, .ack = TP_IRS + 11));
  ck_assert_uint_eq(stats().conns, 2);
}
END_TEST

/* ------------------------------------------------------------------ */
/* ABORT in every state (RFC 9293 §3.10.5)                              */

typedef struct abort_case {
  const char *name;
  ptcp_conn *(*make)(void);
  int rst; /* a RST goes out */
  uint32_t rst_seq;
} abort_case;

static ptcp_conn *mk_closed(void) {
  ptcp_conn *c;
  ck_assert_int_eq(ptcp_conn_new(t.stack, NULL, &c), 0);
  return c;
}
static ptcp_conn *mk_closed_bound(void) {
  ptcp_conn *c = mk_closed();
  ck_assert_int_eq(ptcp_conn_bind(c, NULL, 99), 0);
  return c;
}
static ptcp_conn *mk_closed_failed(void) {
  ptcp_conn *c = tp_established(&t, 0);
  ck_assert_int_eq(tp_send(&t, 10 * MS, SEG(.flags = PTCP_RST, .seq = TP_IRS + 1)), 0);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSED);
  return c;
}
static ptcp_conn *mk_listen(void) { return tp_listen(&t, 80, 4); }
static ptcp_conn *mk_syn_sent(void) { return tp_syn_sent(&t, 0); }
static ptcp_conn *mk_syn_received(void) {
  ptcp_conn *c = tp_syn_sent(&t, 0);
  ck_assert_int_eq(tp_send(&t, 10 * MS, SEG(.flags = PTCP_SYN, .seq = TP_IRS)), 0);
  tp_discard(&t);
  return c;
}
static ptcp_conn *mk_established(void) { return tp_established(&t, 0); }
static ptcp_conn *mk_fin_wait_1(void) { return tp_fin_wait_1(&t, 0); }
static ptcp_conn *mk_fin_wait_2(void) { return tp_fin_wait_2(&t, 0); }
static ptcp_conn *mk_close_wait(void) { return tp_close_wait(&t, 0); }
static ptcp_conn *mk_closing(void) { return tp_closing(&t, 0); }
static ptcp_conn *mk_last_ack(void) { return tp_last_ack(&t, 0); }
static ptcp_conn *mk_time_wait(void) { return tp_time_wait(&t, 0); }

START_TEST(test_api_abort_every_state) {
  static const abort_case cases[] = {
      {"CLOSED (new)", mk_closed, 0, 0},
      {"CLOSED (bound)", mk_closed_bound, 0, 0},
      {"CLOSED (after a reset)", mk_closed_failed, 0, 0},
      {"LISTEN", mk_listen, 0, 0},
      {"SYN-SENT", mk_syn_sent, 0, 0},
      {"SYN-RECEIVED", mk_syn_received, 1, TP_ISS + 1},
      {"ESTABLISHED", mk_established, 1, TP_ISS + 1},
      {"FIN-WAIT-1", mk_fin_wait_1, 1, TP_ISS + 2},
      {"FIN-WAIT-2", mk_fin_wait_2, 1, TP_ISS + 2},
      {"CLOSE-WAIT", mk_close_wait, 1, TP_ISS + 1},
      {"CLOSING", mk_closing, 0, 0},
      {"LAST-ACK", mk_last_ack, 0, 0},
      {"TIME-WAIT", mk_time_wait, 0, 0},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    ptcp_conn *c;
    tp_events before;
    unsigned conns;
    int listener_left;

    reinit(NULL);
    c = cases[i].make();
    tp_discard(&t);
    listener_left = t.listener != NULL && t.listener != c;
    conns = stats().conns;
    before = t.ev;
    ck_assert_msg(ptcp_conn_abort(c, t.now + MS) == 0, "%s: abort failed", cases[i].name);
    if (cases[i].rst) {
      ck_assert_msg(tp_pending(&t) == 1, "%s: %u segments", cases[i].name,
                    tp_pending(&t));
      tp_expect(&t, SEG(.flags = PTCP_RST, .seq = cases[i].rst_seq));
    } else {
      ck_assert_msg(tp_pending(&t) == 0, "%s: %u segments", cases[i].name,
                    tp_pending(&t));
    }
    /* The handle is gone: no callback about it, one connection less,
     * no TIME-WAIT left behind. */
    ck_assert_msg(memcmp(&before, &t.ev, sizeof(before)) == 0, "%s: a callback ran",
                  cases[i].name);
    ck_assert_msg(stats().conns == conns - 1 && stats().time_wait == 0,
                  "%s: %u connections (was %u), %u TIME-WAIT", cases[i].name,
                  stats().conns, conns, stats().time_wait);
    tp_check_invariants(&t, NULL);
    /* What the peer sends next meets no connection (or the listener). */
    if (!listener_left && cases[i].rst) {
      ck_assert_int_eq(
          tp_send(&t, t.now + 2 * MS,
                  SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = cases[i].rst_seq)),
          0);
      ck_assert_int_eq(t.last_reason, PTCP_R_NO_CONNECTION);
      tp_discard(&t);
    }
  }
}
END_TEST

/* ------------------------------------------------------------------ */
/* The accept queue (RFC 4987 §3.1; lwIP #25467)                        */

START_TEST(test_api_accept_queue_bounds) {
  ptcp_conn *l = tp_listen(&t, 80, 2), *c;
  ptcp_stack_stats s0;

  /* Two complete connections fill the accept queue... */
  peer_handshake(41000, 100, 0, 1);
  peer_handshake(41001, 200, 10 * MS, 1);
  ck_assert_int_eq(t.ev.accept, 2);
  tp_discard(&t);
  /* ...so a third SYN is dropped unanswered. */
  s0 = stats();
  peer_handshake(41002, 300, 20 * MS, 0);
  tp_expect_nothing(&t);
  ck_assert_uint_eq(stats().reasons[PTCP_R_BACKLOG_FULL],
                    s0.reasons[PTCP_R_BACKLOG_FULL] + 1);
  ck_assert_uint_eq(stats().conns, s0.conns);
  /* Accepting one makes room: 41002 is answered and half-open. */
  ck_assert_int_eq(ptcp_conn_accept(l, &c), 0);
  ck_assert_uint_eq(status_of(c).remote_port, 41000);
  peer_handshake(41002, 300, 30 * MS, 0);
  tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = 301));
  /* 41003 completes first and fills the queue again (41001, 41003). */
  peer_handshake(41003, 400, 40 * MS, 1);
  tp_discard(&t);
  ck_assert_int_eq(t.ev.accept, 3);
  /* Two half-open also fill the SYN queue: 41004 is answered, 41005 not. */
  peer_handshake(41004, 500, 45 * MS, 0);
  tp_discard(&t);
  peer_handshake(41005, 600, 46 * MS, 0);
  tp_expect_nothing(&t);
  /* 41002's handshake ACK finds the accept queue full: not taken, the
   * connection stays half-open, and completes once there is room. */
  t.remote_port = 41002;
  ck_assert_int_eq(
      tp_send(&t, 50 * MS, SEG(.flags = PTCP_ACK, .seq = 301, .ack = TP_ISS + 1)), 0);
  ck_assert_int_eq(t.last_reason, PTCP_R_BACKLOG_FULL);
  ck_assert_int_eq(t.ev.accept, 3);
  ck_assert_int_eq(ptcp_conn_accept(l, &c), 0);
  ck_assert_uint_eq(status_of(c).remote_port, 41001);
  ck_assert_int_eq(
      tp_send(&t, 60 * MS, SEG(.flags = PTCP_ACK, .seq = 301, .ack = TP_ISS + 1)), 0);
  ck_assert_int_eq(t.ev.accept, 4);
  ck_assert_int_eq(ptcp_conn_accept(l, &c), 0);
  ck_assert_uint_eq(status_of(c).remote_port, 41003);
  ck_assert_int_eq(ptcp_conn_accept(l, &c), 0);
  ck_assert_uint_eq(status_of(c).remote_port, 41002);
  ck_assert_int_eq(ptcp_conn_accept(l, &c), PTCP_ERR_WOULD_BLOCK);
  tp_expect_nothing(&t);
}
END_TEST

/* Half-open connections that time out give their slot back (lwIP #25467). */
START_TEST(test_api_half_open_timeout_frees_backlog) {
  tp_opts o = {.syn_retries = 2};
  ptcp_conn *l;

  reinit(&o);
  l = tp_listen(&t, 80, 2);
  peer_handshake(41000, 100, 0, 0);
  peer_handshake(41001, 200, 0, 0);
  tp_discard(&t);
  peer_handshake(41002, 300, 10 * MS, 0);
  tp_expect_nothing(&t);
  tp_advance(&t, 600 * SEC); /* SYN,ACK retransmissions, then give up */
  tp_discard(&t);
  ck_assert_uint_eq(stats().conns, 1);
  peer_handshake(41002, 300, 601 * SEC, 1);
  tp_discard(&t);
  {
    ptcp_conn *c;
    ck_assert_int_eq(ptcp_conn_accept(l, &c), 0);
    ck_assert_uint_eq(status_of(c).remote_port, 41002);
  }
}
END_TEST

START_TEST(test_api_listener_close_resets_its_queue) {
  ptcp_conn *l = tp_listen(&t, 80, 4);

  peer_handshake(41000, 100, 0, 1);       /* queued, never accepted */
  peer_handshake(41001, 200, 10 * MS, 0); /* half-open */
  tp_discard(&t);
  ck_assert_uint_eq(stats().conns, 3);
  ck_assert_int_eq(ptcp_conn_close(l, 20 * MS), 0);
  /* Each gets <SEQ=SND.NXT><CTL=RST>, newest first or not. */
  ck_assert_uint_eq(tp_pending(&t), 2);
  for (int i = 0; i < 2; i++) {
    const ptcp_seg *g = tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 1));
    ck_assert(g->dst_port == 41000 || g->dst_port == 41001);
  }
  ck_assert_uint_eq(stats().conns, 0);
  ck_assert_uint_eq(stats().listeners, 0);
  ck_assert(tp_saw_transition(&t, l, PTCP_LISTEN, PTCP_CLOSED));
  /* Their peers' next segments meet nothing. */
  t.remote_port = 41000;
  ck_assert_int_eq(
      tp_send(&t, 30 * MS,
              SEG(.flags = PTCP_ACK, .seq = 101, .ack = TP_ISS + 1, .len = 5)),
      0);
  tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 1));
  /* The port is free again. */
  {
    ptcp_conn *c;
    ck_assert_int_eq(ptcp_conn_new(t.stack, NULL, &c), 0);
    ck_assert_int_eq(ptcp_conn_bind(c, NULL, 80), 0);
    ck_assert_int_eq(ptcp_conn_close(c, 40 * MS), 0);
  }
}
END_TEST

/* ------------------------------------------------------------------ */
/* TIME-WAIT reopened by a new SYN (RFC 9293 §3.10.7.4, RFC 1122        */
/* 4.2.2.13, RFC 6191)                                                 */

START_TEST(test_api_time_wait_reopen) {
  tp_opts reopen = {.policy = {[PTCP_SLOT_CLOSE] = "rfc6191"}};
  ptcp_conn *c = tp_time_wait(&t, 0), *n;
  const ptcp_seg *sa;
  uint32_t snd, rcv;

  ck_assert_int_eq(ptcp_conn_close(c, 50 * MS), 0); /* a compact entry now */
  ck_assert(tp_tw_info(&t, &snd, &rcv, NULL));
  /* Close policy rfc9293: every SYN, even one above RCV.NXT with a
   * listener, gets a challenge ACK; TIME-WAIT stays (RFC 9293 §3.10.7.4
   * reopens only with timestamps, RFC 5961 §4). */
  ck_assert_int_eq(tp_send(&t, 1 * SEC, SEG(.flags = PTCP_SYN, .seq = rcv - 5)), 0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = snd, .ack = rcv));
  ck_assert_int_eq(tp_send(&t, 1100 * MS, SEG(.flags = PTCP_SYN, .seq = rcv + 100000)), 0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = snd, .ack = rcv));
  ck_assert_uint_eq(stats().time_wait, 1);
  /* Close policy rfc6191 without timestamps falls back to RFC 1122
   * 4.2.2.13: a SYN above RCV.NXT with a listener reopens. */
  reinit(&reopen);
  c = tp_time_wait(&t, 0);
  ck_assert_int_eq(ptcp_conn_close(c, 50 * MS), 0);
  ck_assert(tp_tw_info(&t, &snd, &rcv, NULL));
  /* A SYN above RCV.NXT with a listener: a new connection, its ISS
   * above the old sequence space (RFC 6191 §2). */
  ck_assert_int_eq(tp_send(&t, 2 * SEC, SEG(.flags = PTCP_SYN, .seq = rcv + 100000)), 0);
  sa =
      tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .any_seq = 1, .ack = rcv + 100001));
  ck_assert_uint_eq(sa->seq, snd + 65536);
  ck_assert_uint_eq(stats().time_wait, 0);
  ck_assert_int_eq(
      tp_send(&t, 2010 * MS,
              SEG(.flags = PTCP_ACK, .seq = rcv + 100001, .ack = snd + 65537)),
      0);
  ck_assert_int_eq(ptcp_conn_accept(t.listener, &n), 0);
  ck_assert_int_eq(ptcp_conn_state(n), PTCP_ESTABLISHED);
  ck_assert_uint_eq(status_of(n).irs, rcv + 100000);
  /* Without a listener, the same SYN gets an ACK only. */
  reinit(&reopen);
  c = tp_time_wait(&t, 0);
  ck_assert_int_eq(ptcp_conn_close(c, 50 * MS), 0);
  ck_assert_int_eq(ptcp_conn_close(t.listener, 60 * MS), 0);
  t.listener = NULL;
  ck_assert(tp_tw_info(&t, &snd, &rcv, NULL));
  ck_assert_int_eq(tp_send(&t, 1 * SEC, SEG(.flags = PTCP_SYN, .seq = rcv + 100000)), 0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = snd, .ack = rcv));
  ck_assert_uint_eq(stats().time_wait, 1);
  /* A user-held TIME-WAIT connection reopens the same way; the old
   * handle reads CLOSED and hears nothing more. */
  reinit(&reopen);
  c = tp_time_wait(&t, 0);
  memset(&t.ev, 0, sizeof(t.ev));
  ck_assert_int_eq(tp_send(&t, 1 * SEC, SEG(.flags = PTCP_SYN, .seq = TP_IRS + 100000)),
                   0);
  sa = tp_expect(&t,
                 SEG(.flags = PTCP_SYN | PTCP_ACK, .any_seq = 1, .ack = TP_IRS + 100001));
  ck_assert_uint_eq(sa->seq, TP_ISS + 2 + 65536);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSED);
  ck_assert_int_eq(t.ev.closed + t.ev.error, 0);
  ck_assert_int_eq(ptcp_conn_close(c, 2 * SEC), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* connect() and bind() errors                                         */

START_TEST(test_api_connect_errors) {
  ptcp_conn *a, *b;
  ptcp_addr mc, bc, any, v6, far;
  ptcp_stack_stats s0;

  ck_assert_int_eq(ptcp_addr_parse(&mc, "224.0.0.1"), 0);
  ck_assert_int_eq(ptcp_addr_parse(&bc, "255.255.255.255"), 0);
  ck_assert_int_eq(ptcp_addr_parse(&any, "0.0.0.0"), 0);
  ck_assert_int_eq(ptcp_addr_parse(&v6, "2001:db8::2"), 0);
  ck_assert_int_eq(ptcp_addr_parse(&far, "192.0.2.9"), 0);
  ck_assert_int_eq(ptcp_conn_new(t.stack, NULL, &a), 0);
  s0 = stats();
  /* Port 0, and remote addresses nothing can answer (MUST-46). */
  ck_assert_int_eq(ptcp_conn_connect(a, &t.remote, 0, 0), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(ptcp_conn_connect(a, &mc, 80, 0), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(ptcp_conn_connect(a, &bc, 80, 0), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(ptcp_conn_connect(a, &any, 80, 0), PTCP_ERR_INVALID_ARGUMENT);
  /* No local address of the remote's family. */
  ck_assert_int_eq(ptcp_conn_connect(a, &v6, 80, 0), PTCP_ERR_ADDR_NOT_AVAIL);
  /* bind: not a local address; then bound to IPv4, connecting to IPv6. */
  ck_assert_int_eq(ptcp_conn_bind(a, &far, 5000), PTCP_ERR_ADDR_NOT_AVAIL);
  ck_assert_int_eq(ptcp_conn_bind(a, &t.local, 5000), 0);
  ck_assert_int_eq(ptcp_conn_bind(a, &t.local, 5001), PTCP_ERR_STATE);
  ck_assert_int_eq(ptcp_conn_connect(a, &v6, 80, 0), PTCP_ERR_INVALID_ARGUMENT);
  /* None of it sent anything or made a connection. */
  tp_expect_nothing(&t);
  ck_assert_uint_eq(stats().conns, s0.conns);
  ck_assert_uint_eq(stats().conns_opened, s0.conns_opened);
  /* It still works afterwards; twice is EALREADY. */
  t.local_port = 5000;
  t.remote_port = 80;
  ck_assert_int_eq(ptcp_conn_connect(a, &t.remote, 80, 0), 0);
  tp_expect(&t, SEG(.flags = PTCP_SYN, .seq = TP_ISS));
  ck_assert_int_eq(ptcp_conn_connect(a, &t.remote, 80, 0), PTCP_ERR_ALREADY);
  /* The 4-tuple held by a TIME-WAIT entry: EADDRINUSE. */
  ck_assert_int_eq(
      tp_send(&t, 10 * MS,
              SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_IRS, .ack = TP_ISS + 1)),
      0);
  tp_discard(&t);
  ck_assert_int_eq(ptcp_conn_close(a, 20 * MS), 0);
  tp_discard(&t);
  ck_assert_int_eq(
      tp_send(&t, 30 * MS,
              SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 2)),
      0);
  tp_discard(&t);
  ck_assert_uint_eq(stats().time_wait, 1);
  ck_assert_int_eq(ptcp_conn_new(t.stack, NULL, &b), 0);
  ck_assert_int_eq(ptcp_conn_bind(b, NULL, 5000), 0); /* the port itself is free */
  ck_assert_int_eq(ptcp_conn_connect(b, &t.remote, 80, 40 * MS), PTCP_ERR_ADDR_IN_USE);
  tp_expect_nothing(&t);
  ck_assert_int_eq(ptcp_conn_connect(b, &t.remote, 81, 40 * MS), 0);
  t.remote_port = 81;
  tp_expect(&t, SEG(.flags = PTCP_SYN, .any_seq = 1));
  /* A listener refuses connect; a failed connection cannot reconnect. */
  {
    ptcp_conn *l = tp_listen(&t, 90, 1);
    ck_assert_int_eq(ptcp_conn_connect(l, &t.remote, 80, 50 * MS), PTCP_ERR_STATE);
  }
  ck_assert_int_eq(tp_send(&t, 60 * MS,
                           SEG(.flags = PTCP_RST | PTCP_ACK, .ack = TP_ISS + 1,
                               .dst_port = 5000, .src_port = 81)),
                   0);
  ck_assert_int_eq(ptcp_conn_state(b), PTCP_CLOSED);
  ck_assert_int_eq(ptcp_conn_connect(b, &t.remote, 81, 70 * MS), PTCP_ERR_STATE);
  ck_assert_int_eq(ptcp_conn_close(b, 70 * MS), 0);
}
END_TEST

START_TEST(test_api_connect_without_local_address) {
  tp_opts o = {.no_addr = 1};
  ptcp_conn *c;

  reinit(&o);
  ck_assert_int_eq(ptcp_conn_new(t.stack, NULL, &c), 0);
  ck_assert_int_eq(ptcp_conn_connect(c, &t.remote, 80, 0), PTCP_ERR_ADDR_NOT_AVAIL);
  tp_expect_nothing(&t);
  ck_assert_int_eq(ptcp_stack_add_addr(t.stack, &t.local), 0);
  ck_assert_int_eq(ptcp_stack_add_addr(t.stack, &t.local), PTCP_ERR_EXISTS);
  ck_assert_int_eq(ptcp_conn_connect(c, &t.remote, 80, 0), 0);
  ck_assert_uint_eq(tp_pending(&t), 1);
  ck_assert(ptcp_addr_equal(&t.out[t.head].ip.src, &t.local));
  tp_discard(&t);
}
END_TEST

/* RFC 6056 §3.3.1: a random start in the range, every port in it. */
START_TEST(test_api_ephemeral_ports) {
  tp_opts o = {.eph_lo = 50000, .eph_hi = 50003};
  ptcp_conn *c[5];
  int seen[4] = {0};

  reinit(&o);
  for (int i = 0; i < 4; i++) {
    ck_assert_int_eq(ptcp_conn_new(t.stack, NULL, &c[i]), 0);
    ck_assert_int_eq(ptcp_conn_connect(c[i], &t.remote, 80, 0), 0);
    {
      uint16_t p = status_of(c[i]).local_port;
      ck_assert_uint_ge(p, 50000);
      ck_assert_uint_le(p, 50003);
      ck_assert_int_eq(seen[p - 50000], 0);
      seen[p - 50000] = 1;
    }
  }
  tp_discard(&t);
  /* The range is used up. */
  ck_assert_int_eq(ptcp_conn_new(t.stack, NULL, &c[4]), 0);
  ck_assert_int_eq(ptcp_conn_connect(c[4], &t.remote, 80, 0), PTCP_ERR_ADDR_NOT_AVAIL);
  ck_assert_int_eq(ptcp_conn_bind(c[4], NULL, 0), PTCP_ERR_ADDR_NOT_AVAIL);
  /* One goes: its port is free again, and bind(port 0) finds it. */
  ck_assert_int_eq(ptcp_conn_abort(c[2], 10 * MS), 0);
  ck_assert_int_eq(ptcp_conn_bind(c[4], NULL, 0), 0);
  ck_assert_uint_eq(status_of(c[4]).local_port, status_of(c[4]).local_port);
  {
    uint16_t p = status_of(c[4]).local_port;
    ck_assert_uint_ge(p, 50000);
    ck_assert_uint_le(p, 50003);
  }
  /* A wide range: a thousand connections, all ports in it, all distinct. */
  {
    tp_opts w = {.eph_lo = 40000, .eph_hi = 41999};
    static unsigned char used[2000];
    memset(used, 0, sizeof(used));
    reinit(&w);
    for (int i = 0; i < 1000; i++) {
      ptcp_conn *d;
      uint16_t p;
      ck_assert_int_eq(ptcp_conn_new(t.stack, NULL, &d), 0);
      ck_assert_int_eq(ptcp_conn_bind(d, NULL, 0), 0);
      p = status_of(d).local_port;
      ck_assert_uint_ge(p, 40000);
      ck_assert_uint_le(p, 41999);
      ck_assert_uint_eq(used[p - 40000], 0);
      used[p - 40000] = 1;
    }
    tp_expect_nothing(&t);
  }
}
END_TEST

/* ------------------------------------------------------------------ */
/* IPv6 end to end                                                     */

START_TEST(test_api_ipv6_end_to_end) {
  tp_opts o = {.v6 = 1};
  ptcp_conn *c;
  const ptcp_seg *g;
  uint8_t buf[4000];

  reinit(&o);
  /* Passive: our MSS is 1440 (1500 - 40 - 20); the peer said nothing,
   * so we assume 1220 (MUST-15). */
  tp_listen(&t, 80, 4);
  ck_assert_int_eq(tp_send(&t, 0, SEG(.flags = PTCP_SYN, .seq = TP_IRS)), 0);
  g = tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
  ck_assert_uint_eq(t.out[t.head - 1].ip.version, 6);
  ck_assert(ptcp_addr_equal(&t.out[t.head - 1].ip.dst, &t.remote));
  ck_assert_uint_eq(g->opts.mss, 1440);
  ck_assert_int_eq(
      tp_send(&t, 10 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1)),
      0);
  ck_assert_int_eq(ptcp_conn_accept(t.listener, &c), 0);
  ck_assert_uint_eq(status_of(c).snd_mss, 1220);
  ck_assert_uint_eq(status_of(c).remote.family, PTCP_AF_INET6);
  /* Data both ways. */
  ck_assert_int_eq(tp_send(&t, 20 * MS,
                           SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_IRS + 1,
                               .ack = TP_ISS + 1, .len = 3000)),
                   0);
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 20 * MS), 3000);
  for (int i = 0; i < 3000; i++)
    ck_assert_uint_eq(buf[i], tp_pattern((size_t)i));
  tp_discard(&t);
  memset(buf, 'v', 2440);
  ck_assert_int_eq(ptcp_conn_send(c, buf, 2440, 30 * MS), 2440);
  tp_expect(&t,
            SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 3001, .len = 1220));
  tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1221,
                    .ack = TP_IRS + 3001, .len = 1220));
  ck_assert_int_eq(tp_send(&t, 40 * MS,
                           SEG(.flags = PTCP_ACK | PTCP_FIN, .seq = TP_IRS + 3001,
                               .ack = TP_ISS + 2441)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 2441, .ack = TP_IRS + 3002));
  ck_assert_int_eq(ptcp_conn_close(c, 50 * MS), 0);
  tp_expect(
      &t, SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = TP_ISS + 2441, .ack = TP_IRS + 3002));
  ck_assert_int_eq(
      tp_send(&t, 60 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 3002, .ack = TP_ISS + 2442)),
      0);
  ck_assert_uint_eq(stats().conns, 1);
  /* Active: the SYN is IPv6 from our IPv6 address, ephemeral port. */
  ck_assert_int_eq(ptcp_conn_new(t.stack, NULL, &c), 0);
  ck_assert_int_eq(ptcp_conn_connect(c, &t.remote, 443, 70 * MS), 0);
  ck_assert_uint_eq(tp_pending(&t), 1);
  ck_assert_uint_eq(t.out[t.head].ip.version, 6);
  ck_assert(ptcp_addr_equal(&t.out[t.head].ip.src, &t.local));
  ck_assert_uint_eq(t.out[t.head].seg.opts.mss, 1440);
  t.local_port = t.out[t.head].seg.src_port;
  t.remote_port = 443;
  tp_discard(&t);
  {
    tp_seg sa = SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = 7, .ack = TP_ISS + 1);
    sa.opts.present = PTCP_OPT_MSS;
    sa.opts.mss = 9000;
    ck_assert_int_eq(tp_send(&t, 80 * MS, sa), 0);
  }
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = 8));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_ESTABLISHED);
  ck_assert_uint_eq(status_of(c).snd_mss, 1440);
  ck_assert_int_eq(ptcp_conn_abort(c, 90 * MS), 0);
  tp_discard(&t);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Two stacks in one process never interfere                           */

typedef struct lossy {
  uint64_t rng;
} lossy;

static tpair_fate fate_lossy(tpair *p, int from, unsigned n, const ptcp_seg *seg,
                             ptcp_duration *extra, void *ctx) {
  lossy *l = ctx;
  uint32_t r;
  (void)p;
  (void)from;
  (void)n;
  (void)seg;
  l->rng = l->rng * 6364136223846793005ULL + 1442695040888963407ULL;
  r = (uint32_t)(l->rng >> 33) % 100;
  if (r < 3)
    return FATE_DROP;
  if (r < 8) {
    *extra = (ptcp_duration)(r * 7) * MS;
    return FATE_DELAY;
  }
  return FATE_DELIVER;
}

typedef struct pair_run {
  tpair p;
  lossy loss;
  size_t sent[2];
  ptcp_duration dt; /* the application's step */
  int stage;        /* 0 connect, 1 transfer, 2 closing, 3 done */
} pair_run;

static void run_init(pair_run *r, uint64_t seed, uint32_t rcvbuf, ptcp_duration dt) {
  tpair_opts o;
  memset(&o, 0, sizeof(o));
  o.seed = seed;
  o.side[0].rcvbuf = o.side[1].rcvbuf = rcvbuf;
  memset(r, 0, sizeof(*r));
  tpair_init(&r->p, &o);
  r->loss.rng = seed;
  r->dt = dt;
}

/* Advances a pair by one step of its own virtual time. */
static void run_step(pair_run *r) {
  ptcp_duration dt = r->dt;
  tpair *p = &r->p;
  const size_t bytes = 100000;
  switch (r->stage) {
  case 0:
    ck_assert(tpair_connect(p, 1 * SEC));
    p->fate = fate_lossy;
    p->fate_ctx = &r->loss;
    r->stage = 1;
    break;
  case 1:
    for (int side = 0; side < 2; side++)
      if (r->sent[side] < bytes)
        r->sent[side] +=
            tpair_send_pattern(p, side, r->sent[side], bytes - r->sent[side]);
    if (r->sent[0] == bytes && r->sent[1] == bytes && p->rx_len[0] == bytes &&
        p->rx_len[1] == bytes) {
      ck_assert_int_eq(ptcp_conn_shutdown(p->conn[0], p->now), 0);
      ck_assert_int_eq(ptcp_conn_shutdown(p->conn[1], p->now), 0);
      r->stage = 2;
    }
    break;
  case 2:
    if (ptcp_conn_state(p->conn[1]) == PTCP_CLOSED ||
        ptcp_conn_state(p->conn[1]) == PTCP_TIME_WAIT)
      r->stage = 3;
    break;
  default:
    break;
  }
  tpair_run_until(p, p->now + dt);
}

static void run_to_end(pair_run *r) {
  while (r->stage < 3 && r->p.now < 3600 * SEC)
    run_step(r);
  ck_assert_int_eq(r->stage, 3);
}

START_TEST(test_api_two_stacks_do_not_interfere) {
  static pair_run a, b, a2, b2;
  uint64_t ha[2], hb[2];

  /* Each pair alone. */
  run_init(&a, 11, 65536, 10 * MS);
  run_to_end(&a);
  ha[0] = a.p.out_hash[0];
  ha[1] = a.p.out_hash[1];
  ck_assert(tpair_rx_is_pattern(&a.p, 0, 100000) && tpair_rx_is_pattern(&a.p, 1, 100000));
  run_init(&b, 22, 16384, 7 * MS);
  run_to_end(&b);
  hb[0] = b.p.out_hash[0];
  hb[1] = b.p.out_hash[1];
  ck_assert(tpair_rx_is_pattern(&b.p, 0, 100000) && tpair_rx_is_pattern(&b.p, 1, 100000));
  ck_assert(ha[0] != hb[0]);
  tpair_free(&a.p);
  tpair_free(&b.p);
  /* Both again, interleaved step by step in one process: every packet
   * each stack emits is the same as when it ran alone. */
  run_init(&a2, 11, 65536, 10 * MS);
  run_init(&b2, 22, 16384, 7 * MS);
  while ((a2.stage < 3 || b2.stage < 3) && a2.p.now < 3600 * SEC) {
    if (a2.stage < 3)
      run_step(&a2);
    if (b2.stage < 3)
      run_step(&b2);
  }
  ck_assert_uint_eq(a2.p.out_hash[0], ha[0]);
  ck_assert_uint_eq(a2.p.out_hash[1], ha[1]);
  ck_assert_uint_eq(b2.p.out_hash[0], hb[0]);
  ck_assert_uint_eq(b2.p.out_hash[1], hb[1]);
  ck_assert(tpair_rx_is_pattern(&a2.p, 0, 100000) &&
            tpair_rx_is_pattern(&a2.p, 1, 100000));
  ck_assert(tpair_rx_is_pattern(&b2.p, 0, 100000) &&
            tpair_rx_is_pattern(&b2.p, 1, 100000));
  tpair_free(&a2.p);
  tpair_free(&b2.p);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Addresses, IP framing                                               */

/* MUST-43/44/45: OPEN takes an optional local address; without one the
 * stack picks one of its own; every segment of the connection then
 * leaves from the same address. */
START_TEST(test_api_local_address_choice) {
  ptcp_addr second = ptcp_addr_v4(10, 0, 0, 3);
  ptcp_conn *a, *l;

  ck_assert_int_eq(ptcp_stack_add_addr(t.stack, &second), 0);
  /* Active, bound to the second address. */
  ck_assert_int_eq(ptcp_conn_new(t.stack, NULL, &a), 0);
  ck_assert_int_eq(ptcp_conn_bind(a, &second, 40001), 0);
  ck_assert_int_eq(ptcp_conn_connect(a, &t.remote, 80, 0), 0);
  ck_assert(ptcp_addr_equal(&t.out[t.head].ip.src, &second));
  t.local_port = 40001;
  t.remote_port = 80;
  tp_expect(&t, SEG(.flags = PTCP_SYN, .seq = TP_ISS));
  ck_assert_int_eq(tp_send(&t, 10 * MS,
                           SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_IRS,
                               .ack = TP_ISS + 1, .dst = &second)),
                   0);
  ck_assert(ptcp_addr_equal(&t.out[t.head].ip.src, &second));
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
  ck_assert_int_eq(ptcp_conn_send(a, "x", 1, 20 * MS), 1);
  ck_assert(ptcp_addr_equal(&t.out[t.head].ip.src, &second));
  tp_discard(&t);
  /* The same 4-tuple to the first address is another connection. */
  ck_assert_int_eq(
      tp_send(&t, 30 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 2)),
      0);
  ck_assert_int_eq(t.last_reason, PTCP_R_NO_CONNECTION);
  tp_discard(&t);
  ck_assert_int_eq(ptcp_conn_abort(a, 40 * MS), 0);
  tp_discard(&t);
  /* A listener bound to the second address hears only that address. */
  ck_assert_int_eq(ptcp_conn_new(t.stack, NULL, &l), 0);
  ck_assert_int_eq(ptcp_conn_bind(l, &second, 80), 0);
  ck_assert_int_eq(ptcp_conn_listen(l, 4), 0);
  t.local_port = 80;
  t.remote_port = 40000;
  ck_assert_int_eq(tp_send(&t, 50 * MS, SEG(.flags = PTCP_SYN, .seq = TP_IRS)), 0);
  tp_expect(&t, SEG(.flags = PTCP_RST | PTCP_ACK, .seq = 0, .ack = TP_IRS + 1));
  ck_assert_int_eq(
      tp_send(&t, 60 * MS, SEG(.flags = PTCP_SYN, .seq = TP_IRS, .dst = &second)), 0);
  ck_assert(ptcp_addr_equal(&t.out[t.head].ip.src, &second));
  tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
  ck_assert_int_eq(ptcp_conn_close(l, 70 * MS), 0);
  tp_discard(&t);
  /* A wildcard listener answers from the address the SYN came to. */
  tp_listen(&t, 8080, 4);
  ck_assert_int_eq(
      tp_send(&t, 80 * MS, SEG(.flags = PTCP_SYN, .seq = TP_IRS, .dst = &second)), 0);
  ck_assert(ptcp_addr_equal(&t.out[t.head].ip.src, &second));
  tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
}
END_TEST

/* MUST-41: a passive OPEN leaves existing connections alone. */
START_TEST(test_api_listen_leaves_others_alone) {
  ptcp_conn *c = tp_established(&t, 0), *l2, *l3;
  tp_snap before, after;
  uint8_t buf[16];

  tp_snap_take(c, &before);
  /* Another listener on another port. */
  ck_assert_int_eq(ptcp_conn_new(t.stack, NULL, &l2), 0);
  ck_assert_int_eq(ptcp_conn_bind(l2, NULL, 81), 0);
  ck_assert_int_eq(ptcp_conn_listen(l2, 4), 0);
  /* The first listener closed and a new one on the same port: the
   * connection it accepted is not its child any more, and goes on. */
  ck_assert_int_eq(ptcp_conn_close(t.listener, 10 * MS), 0);
  ck_assert_int_eq(ptcp_conn_new(t.stack, NULL, &l3), 0);
  ck_assert_int_eq(ptcp_conn_bind(l3, NULL, 80), 0);
  ck_assert_int_eq(ptcp_conn_listen(l3, 4), 0);
  t.listener = l3;
  tp_expect_nothing(&t);
  tp_snap_take(c, &after);
  ck_assert(tp_snap_same(&before, &after));
  ck_assert_int_eq(tp_send(&t, 20 * MS,
                           SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_IRS + 1,
                               .ack = TP_ISS + 1, .len = 5)),
                   0);
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 20 * MS), 5);
  /* A second listen on a port taken: an error, nothing else changes. */
  {
    ptcp_conn *l4;
    ck_assert_int_eq(ptcp_conn_new(t.stack, NULL, &l4), 0);
    ck_assert_int_eq(ptcp_conn_bind(l4, NULL, 81), PTCP_ERR_ADDR_IN_USE);
    ck_assert_int_eq(ptcp_conn_listen(l4, 4), PTCP_ERR_STATE);
    ck_assert_int_eq(ptcp_conn_close(l4, 30 * MS), 0);
  }
  ck_assert_int_eq(ptcp_conn_state(l2), PTCP_LISTEN);
  ck_assert_int_eq(ptcp_conn_close(l2, 30 * MS), 0);
  tp_discard(&t);
}
END_TEST

/* MUST-49: the TTL (hop limit) is configurable. */
START_TEST(test_api_ttl) {
  tp_opts o4 = {.ttl = 17}, o6 = {.ttl = 3, .v6 = 1};

  tp_syn_sent(&t, 0);
  ck_assert_uint_eq(t.out[0].ip.ttl, 64);
  reinit(&o4);
  tp_syn_sent(&t, 0);
  ck_assert_uint_eq(t.out[0].ip.ttl, 17);
  reinit(&o6);
  tp_syn_sent(&t, 0);
  ck_assert_uint_eq(t.out[0].ip.version, 6);
  ck_assert_uint_eq(t.out[0].ip.ttl, 3);
}
END_TEST

/* MUST-50: IP options (IPv4) and extension headers (IPv6) that TCP does
 * not understand are passed over; the segment is processed as usual. */
static size_t syn_tcp(uint8_t *b, const tp *tt) {
  ptcp_seg seg;
  ptcp_pseudo ph;
  memset(&seg, 0, sizeof(seg));
  seg.src_port = tt->remote_port;
  seg.dst_port = tt->local_port;
  seg.seq = TP_IRS;
  seg.flags = PTCP_SYN;
  seg.window = 65535;
  ph.src = tt->remote;
  ph.dst = tt->local;
  return (size_t)ptcp_seg_write(b, 100, &seg, &ph);
}

START_TEST(test_api_ip_options_ignored) {
  uint8_t pkt[200];
  size_t n;

  tp_listen(&t, 80, 4);
  /* IPv4 with 8 bytes of options: NOP, a timestamp option, EOL. */
  n = syn_tcp(pkt + 28, &t);
  memset(pkt, 0, 28);
  pkt[0] = 0x47; /* version 4, IHL 7 */
  pkt[2] = (uint8_t)((28 + n) >> 8);
  pkt[3] = (uint8_t)(28 + n);
  pkt[6] = 0x40; /* DF */
  pkt[8] = 64;
  pkt[9] = PTCP_IPPROTO_TCP;
  memcpy(pkt + 12, t.remote.bytes, 4);
  memcpy(pkt + 16, t.local.bytes, 4);
  pkt[20] = 1;
  pkt[21] = 68; /* IP timestamp option, 4 bytes, empty */
  pkt[22] = 4;
  pkt[23] = 5;
  pkt[24] = 0;
  {
    uint16_t ck = ptcp_cksum(pkt, 28);
    pkt[10] = (uint8_t)(ck >> 8);
    pkt[11] = (uint8_t)ck;
  }
  ck_assert_int_eq(ptcp_stack_input(t.stack, pkt, 28 + n, 0), 0);
  tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
  tp_check_invariants(&t, NULL);
  /* IPv6 with a hop-by-hop options header (PadN). */
  {
    tp_opts o = {.v6 = 1};
    reinit(&o);
    tp_listen(&t, 80, 4);
    n = syn_tcp(pkt + 48, &t);
    memset(pkt, 0, 48);
    pkt[0] = 0x60;
    pkt[4] = (uint8_t)((8 + n) >> 8);
    pkt[5] = (uint8_t)(8 + n);
    pkt[6] = 0; /* hop-by-hop */
    pkt[7] = 64;
    memcpy(pkt + 8, t.remote.bytes, 16);
    memcpy(pkt + 24, t.local.bytes, 16);
    pkt[40] = PTCP_IPPROTO_TCP;
    pkt[41] = 0;
    pkt[42] = 1; /* PadN, 4 bytes */
    pkt[43] = 4;
    ck_assert_int_eq(ptcp_stack_input(t.stack, pkt, 48 + n, 0), 0);
    tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
    tp_check_invariants(&t, NULL);
  }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Calling the API from the callbacks (stack.h: events are delivered at */
/* the end of the call, when every connection is consistent; a callback */
/* may call any ptcp_conn_* function; events stop once the user closed) */

static ptcp_time hook_now;

static void close_on_readable(tp *tt, ptcp_conn *c) {
  (void)tt;
  ck_assert_int_eq(ptcp_conn_close(c, hook_now), 0);
}

START_TEST(test_api_close_inside_on_readable) {
  ptcp_conn *c = tp_established(&t, 0);

  /* Data and FIN in one segment: readable and peer-FIN are due; the
   * readable callback closes (unread data: RST), so peer-FIN is never
   * delivered for the released handle. */
  t.hooks.on_readable = close_on_readable;
  hook_now = 10 * MS;
  ck_assert_int_eq(tp_send(&t, 10 * MS,
                           SEG(.flags = PTCP_ACK | PTCP_FIN, .seq = TP_IRS + 1,
                               .ack = TP_ISS + 1, .len = 10)),
                   0);
  ck_assert_int_eq(t.ev.readable, 1);
  ck_assert_int_eq(t.ev.peer_fin, 0);
  ck_assert_int_eq(t.ev.closed, 0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 12));
  tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 1));
  ck_assert_uint_eq(stats().conns, 1);
  (void)c;
}
END_TEST

static void echo_on_readable(tp *tt, ptcp_conn *c) {
  uint8_t buf[256];
  ptcp_ssize n;
  (void)tt;
  while ((n = ptcp_conn_recv(c, buf, sizeof(buf), hook_now)) > 0)
    ck_assert_int_eq(ptcp_conn_send(c, buf, (size_t)n, hook_now), n);
}

static void shutdown_on_peer_fin(tp *tt, ptcp_conn *c) {
  (void)tt;
  ck_assert_int_eq(ptcp_conn_shutdown(c, hook_now), 0);
}

START_TEST(test_api_echo_and_shutdown_inside_callbacks) {
  ptcp_conn *c = tp_established(&t, 0);
  const ptcp_seg *g;

  t.hooks.on_readable = echo_on_readable;
  t.hooks.on_peer_fin = shutdown_on_peer_fin;
  hook_now = 10 * MS;
  ck_assert_int_eq(tp_send(&t, 10 * MS,
                           SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_IRS + 1,
                               .ack = TP_ISS + 1, .len = 20)),
                   0);
  /* The echo goes out within the same call, carrying the ACK. */
  g = tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1,
                        .ack = TP_IRS + 21, .len = 20));
  for (int i = 0; i < 20; i++)
    ck_assert_uint_eq(g->payload[i], tp_pattern((size_t)i));
  tp_expect_nothing(&t);
  /* The peer's FIN: its ACK goes out, then the callback (run at the end
   * of the same call) shuts down and our FIN follows. */
  hook_now = 20 * MS;
  ck_assert_int_eq(
      tp_send(&t, 20 * MS,
              SEG(.flags = PTCP_ACK | PTCP_FIN, .seq = TP_IRS + 21, .ack = TP_ISS + 21)),
      0);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_LAST_ACK);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 21, .ack = TP_IRS + 22));
  tp_expect(&t,
            SEG(.flags = PTCP_ACK | PTCP_FIN, .seq = TP_ISS + 21, .ack = TP_IRS + 22));
  tp_expect_nothing(&t);
}
END_TEST

static void close_on_closed(tp *tt, ptcp_conn *c, int err) {
  (void)tt;
  (void)err;
  ck_assert_int_eq(ptcp_conn_close(c, hook_now), 0);
}

static void abort_on_error(tp *tt, ptcp_conn *c, int err) {
  (void)tt;
  ck_assert_int_eq(err, PTCP_ERR_CONN_RESET);
  ck_assert_int_eq(ptcp_conn_abort(c, hook_now), 0);
}

START_TEST(test_api_release_inside_on_closed_and_on_error) {
  /* on_closed releases the handle (the engine frees it afterwards). */
  tp_established(&t, 0);
  t.hooks.on_closed = close_on_closed;
  hook_now = 10 * MS;
  ck_assert_int_eq(tp_send(&t, 10 * MS, SEG(.flags = PTCP_RST, .seq = TP_IRS + 1)), 0);
  ck_assert_int_eq(t.ev.error, 1);
  ck_assert_int_eq(t.ev.closed, 1);
  ck_assert_uint_eq(stats().conns, 1);
  /* on_error aborts: on_closed is not delivered any more. */
  reinit(NULL);
  tp_established(&t, 0);
  t.hooks.on_error = abort_on_error;
  ck_assert_int_eq(tp_send(&t, 10 * MS, SEG(.flags = PTCP_RST, .seq = TP_IRS + 1)), 0);
  ck_assert_int_eq(t.ev.error, 1);
  ck_assert_int_eq(t.ev.closed, 0);
  tp_expect_nothing(&t);
  ck_assert_uint_eq(stats().conns, 1);
  /* A clean end: LAST-ACK acknowledged, on_closed releases. */
  reinit(NULL);
  tp_last_ack(&t, 0);
  t.hooks.on_closed = close_on_closed;
  ck_assert_int_eq(
      tp_send(&t, 50 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 2, .ack = TP_ISS + 2)),
      0);
  ck_assert_int_eq(t.ev.closed, 1);
  ck_assert_uint_eq(stats().conns, 1);
}
END_TEST

static ptcp_conn *accepted[8];
static int naccepted;

/* Accepts everything, closes the first child at once (its data unread),
 * and closes the listener on the second accept. */
static void accept_and_close(tp *tt, ptcp_conn *l) {
  ptcp_conn *c;
  while (ptcp_conn_accept(l, &c) == 0) {
    accepted[naccepted++] = c;
    if (naccepted == 1)
      ck_assert_int_eq(ptcp_conn_close(c, hook_now), 0);
  }
  if (naccepted >= 2) {
    ck_assert_int_eq(ptcp_conn_close(l, hook_now), 0);
    tt->listener = NULL;
  }
}

START_TEST(test_api_accept_and_close_inside_on_accept) {
  naccepted = 0;
  tp_listen(&t, 80, 4);
  t.hooks.on_accept = accept_and_close;
  hook_now = 10 * MS;
  /* The handshake's ACK carries data: the child is readable as it is
   * queued; accepted and closed inside on_accept, it is never reported
   * readable, and its unread data makes the close a RST. */
  ck_assert_int_eq(tp_send(&t, 0, SEG(.flags = PTCP_SYN, .seq = TP_IRS)), 0);
  tp_discard(&t);
  ck_assert_int_eq(tp_send(&t, 10 * MS,
                           SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_IRS + 1,
                               .ack = TP_ISS + 1, .len = 5)),
                   0);
  ck_assert_int_eq(naccepted, 1);
  ck_assert_int_eq(t.ev.readable, 0);
  tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 1));
  /* A second peer: accepted, then the listener closes from the same
   * callback while a third is still half-open: that one is reset. */
  t.remote_port = 40002;
  ck_assert_int_eq(tp_send(&t, 20 * MS, SEG(.flags = PTCP_SYN, .seq = 3000)), 0);
  t.remote_port = 40001;
  ck_assert_int_eq(tp_send(&t, 20 * MS, SEG(.flags = PTCP_SYN, .seq = 2000)), 0);
  tp_discard(&t);
  hook_now = 30 * MS;
  ck_assert_int_eq(
      tp_send(&t, 30 * MS, SEG(.flags = PTCP_ACK, .seq = 2001, .ack = TP_ISS + 1)), 0);
  ck_assert_int_eq(naccepted, 2);
  {
    const ptcp_seg *g = tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 1));
    ck_assert_uint_eq(g->dst_port, 40002);
  }
  ck_assert_uint_eq(stats().listeners, 0);
  ck_assert_int_eq(ptcp_conn_state(accepted[1]), PTCP_ESTABLISHED);
  ck_assert_uint_eq(stats().conns, 1);
}
END_TEST

static void send_on_connected(tp *tt, ptcp_conn *c) {
  (void)tt;
  ck_assert_int_eq(ptcp_conn_send(c, "hi", 2, hook_now), 2);
}

static void fill_on_writable(tp *tt, ptcp_conn *c) {
  uint8_t buf[4096];
  (void)tt;
  memset(buf, 'w', sizeof(buf));
  while (ptcp_conn_send(c, buf, sizeof(buf), hook_now) > 0)
    ;
}

START_TEST(test_api_send_inside_on_connected_and_on_writable) {
  tp_opts o = {.sndbuf = 3000, .no_nagle = 1};
  ptcp_conn *c;
  uint8_t buf[4096];

  reinit(&o);
  t.hooks.on_connected = send_on_connected;
  hook_now = 10 * MS;
  c = tp_syn_sent(&t, 0);
  ck_assert_int_eq(
      tp_send(&t, 10 * MS,
              SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_IRS, .ack = TP_ISS + 1)),
      0);
  /* The handshake's ACK, then the data sent from on_connected. */
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
  tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1, .ack = TP_IRS + 1,
                    .len = 2));
  tp_expect_nothing(&t);
  /* Fill the send buffer; on_writable refills it when ACKs make room. */
  memset(buf, 'x', sizeof(buf));
  ck_assert_int_eq(ptcp_conn_send(c, buf, sizeof(buf), 20 * MS), 2998);
  ck_assert_int_eq(ptcp_conn_send(c, buf, 1, 20 * MS), PTCP_ERR_WOULD_BLOCK);
  tp_discard(&t);
  t.hooks.on_writable = fill_on_writable;
  hook_now = 30 * MS;
  ck_assert_int_eq(
      tp_send(&t, 30 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1501)),
      0);
  ck_assert_int_eq(t.ev.writable, 1);
  ck_assert_uint_eq(status_of(c).send_queued, 3000);
  ck_assert_uint_eq(status_of(c).send_space, 0);
  tp_discard(&t);
}
END_TEST

Suite *ptcp_api_suite(void) {
  Suite *s = suite_create("api");
  TCase *tc = tcase_create("calls");
  TCase *re = tcase_create("reentrancy");

  tcase_set_timeout(tc, 60);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_api_close_with_unread_data);
  tcase_add_test(tc, test_api_data_after_close);
  tcase_add_test(tc, test_api_abort_every_state);
  tcase_add_test(tc, test_api_accept_queue_bounds);
  tcase_add_test(tc, test_api_half_open_timeout_frees_backlog);
  tcase_add_test(tc, test_api_listener_close_resets_its_queue);
  tcase_add_test(tc, test_api_time_wait_reopen);
  tcase_add_test(tc, test_api_connect_errors);
  tcase_add_test(tc, test_api_connect_without_local_address);
  tcase_add_test(tc, test_api_ephemeral_ports);
  tcase_add_test(tc, test_api_ipv6_end_to_end);
  tcase_add_test(tc, test_api_two_stacks_do_not_interfere);
  tcase_add_test(tc, test_api_local_address_choice);
  tcase_add_test(tc, test_api_listen_leaves_others_alone);
  tcase_add_test(tc, test_api_ttl);
  tcase_add_test(tc, test_api_ip_options_ignored);
  suite_add_tcase(s, tc);

  tcase_add_checked_fixture(re, setup, teardown);
  tcase_add_test(re, test_api_close_inside_on_readable);
  tcase_add_test(re, test_api_echo_and_shutdown_inside_callbacks);
  tcase_add_test(re, test_api_release_inside_on_closed_and_on_error);
  tcase_add_test(re, test_api_accept_and_close_inside_on_accept);
  tcase_add_test(re, test_api_send_inside_on_connected_and_on_writable);
  suite_add_tcase(s, re);
  return s;
}

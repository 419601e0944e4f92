/*
 * The lifecycle every TCP textbook teaches, each behaviour its own test,
 * with two plugtcp stacks wired back to back (tests/tcp_harness.c) in
 * virtual time.  One-way delay 10 ms unless a test says otherwise.
 */
#include <check.h>
#include <string.h>

#include "tcp_harness.h"

Suite *ptcp_textbook_suite(void);

/* The three-way handshake takes one round trip plus the final ACK. */
START_TEST(test_textbook_handshake) {
  tpair p;

  tpair_init(&p, NULL);
  ck_assert(tpair_connect(&p, 1 * SEC));
  /* SYN sent at 0, SYN,ACK at 10 ms, ACK at 20 ms: the server is
   * ESTABLISHED when that ACK lands at 30 ms. */
  ck_assert_uint_eq(p.now, 30 * MS);
  ck_assert_int_eq(p.ev[0].connected, 1);
  ck_assert_int_eq(p.ev[1].accept, 1);
  ck_assert_uint_eq(p.segs[0], 2); /* SYN, ACK */
  ck_assert_uint_eq(p.segs[1], 1); /* SYN,ACK */
  {
    ptcp_conn_status c = tp_status(p.conn[0]), s = tp_status(p.conn[1]);
    ck_assert_uint_eq(c.rcv_nxt, s.iss + 1);
    ck_assert_uint_eq(s.rcv_nxt, c.iss + 1);
    ck_assert(c.ts_ok && c.sack_ok && c.wscale_ok);
  }
  tpair_free(&p);
}
END_TEST

/* Bulk transfer across the sequence-number wrap, byte-exact. */
static void bulk_with_iss(const char *isn, size_t bytes) {
  tpair_opts o;
  tpair p;

  memset(&o, 0, sizeof(o));
  o.side[0].isn = isn;
  o.side[1].isn = isn;
  tpair_init(&p, &o);
  ck_assert(tpair_connect(&p, 1 * SEC));
  {
    size_t sent = 0;
    while (sent < bytes && p.now < 600 * SEC) {
      sent += tpair_send_pattern(&p, 0, sent, bytes - sent);
      tpair_run_until(&p, p.now + 10 * MS);
    }
    ck_assert_uint_eq(sent, bytes);
  }
  tpair_run_idle(&p, p.now + 60 * SEC);
  ck_assert_msg(tpair_rx_is_pattern(&p, 1, bytes), "received %zu of %zu bytes, or wrong",
                p.rx_len[1], bytes);
  tpair_free(&p);
}

START_TEST(test_textbook_bulk_iss_zero) { bulk_with_iss("counter:start=0,step=0", 1 << 20); }
END_TEST

START_TEST(test_textbook_bulk_iss_2_31_minus_1) {
  bulk_with_iss("counter:start=2147483647,step=0", 1 << 20);
}
END_TEST

START_TEST(test_textbook_bulk_iss_2_32_minus_1) {
  bulk_with_iss("counter:start=4294967295,step=0", 1 << 20);
}
END_TEST

/* Drops the |n|th packet a side sends; counts how often it fired. */
typedef struct drop_nth {
  int side;
  unsigned n;
  int fired;
} drop_nth;

static tpair_fate fate_drop_nth(tpair *p, int from, unsigned n, const ptcp_seg *seg,
                                ptcp_duration *extra, void *ctx) {
  drop_nth *d = ctx;
  (void)p;
  (void)seg;
  (void)extra;
  if (from == d->side && n == d->n) {
    d->fired++;
    return FATE_DROP;
  }
  return FATE_DELIVER;
}

START_TEST(test_textbook_lost_segment_retransmitted_after_timeout) {
  tpair p;
  drop_nth d = {0, 0, 0};

  tpair_init(&p, NULL);
  ck_assert(tpair_connect(&p, 1 * SEC));
  /* The client's next packet (one small segment) is lost: only the
   * retransmission timer can recover it. */
  d.n = p.sent[0] + 1;
  p.fate = fate_drop_nth;
  p.fate_ctx = &d;
  ck_assert_uint_eq(tpair_send_pattern(&p, 0, 0, 100), 100);
  tpair_run_idle(&p, p.now + 30 * SEC);
  ck_assert_int_eq(d.fired, 1);
  ck_assert(tpair_rx_is_pattern(&p, 1, 100));
  {
    ptcp_conn_status c = tp_status(p.conn[0]);
    ck_assert_uint_eq(c.timeouts, 1);
    ck_assert_uint_eq(c.retransmits, 1);
  }
  tpair_free(&p);
}
END_TEST

START_TEST(test_textbook_lost_ack_duplicate_discarded) {
  tpair p;
  drop_nth d = {1, 0, 0};
  tpair_opts o;

  memset(&o, 0, sizeof(o));
  o.side[1].no_delack = 1;
  tpair_init(&p, &o);
  ck_assert(tpair_connect(&p, 1 * SEC));
  /* The server's ACK for the data is lost: the client times out and
   * resends; the server discards the duplicate and ACKs again. */
  d.n = p.sent[1] + 1;
  p.fate = fate_drop_nth;
  p.fate_ctx = &d;
  ck_assert_uint_eq(tpair_send_pattern(&p, 0, 0, 100), 100);
  tpair_run_idle(&p, p.now + 30 * SEC);
  ck_assert_int_eq(d.fired, 1);
  ck_assert(tpair_rx_is_pattern(&p, 1, 100));
  {
    ptcp_conn_status s = tp_status(p.conn[1]);
    ck_assert_uint_eq(s.reasons[PTCP_R_DUPLICATE], 1);
    ck_assert_uint_eq(s.bytes_in, 100);
  }
  tpair_free(&p);
}
END_TEST

START_TEST(test_textbook_fast_retransmit_on_three_dupacks) {
  tpair p;
  drop_nth d = {0, 0, 0};

  tpair_init(&p, NULL);
  ck_assert(tpair_connect(&p, 1 * SEC));
  /* Grow the window first, then lose one segment in a long train. */
  ck_assert_uint_eq(tpair_send_pattern(&p, 0, 0, 100000), 100000);
  tpair_run_idle(&p, p.now + 10 * SEC);
  d.n = p.sent[0] + 3;
  p.fate = fate_drop_nth;
  p.fate_ctx = &d;
  ck_assert_uint_eq(tpair_send_pattern(&p, 0, 100000, 100000), 100000);
  tpair_run_idle(&p, p.now + 10 * SEC);
  ck_assert_int_eq(d.fired, 1);
  ck_assert(tpair_rx_is_pattern(&p, 1, 200000));
  {
    ptcp_conn_status c = tp_status(p.conn[0]);
    ck_assert_uint_eq(c.fast_retransmits, 1);
    ck_assert_uint_eq(c.timeouts, 0);
  }
  tpair_free(&p);
}
END_TEST

START_TEST(test_textbook_four_way_close_and_time_wait) {
  tpair p;
  ptcp_time fin_time;

  tpair_init(&p, NULL);
  ck_assert(tpair_connect(&p, 1 * SEC));
  /* The client closes first: FIN-WAIT-1, then FIN-WAIT-2. */
  ck_assert_int_eq(ptcp_conn_shutdown(p.conn[0], p.now), 0);
  ck_assert_int_eq(ptcp_conn_state(p.conn[0]), PTCP_FIN_WAIT_1);
  tpair_run_until(&p, p.now + 15 * MS);
  ck_assert_int_eq(ptcp_conn_state(p.conn[1]), PTCP_CLOSE_WAIT);
  tpair_run_until(&p, p.now + 10 * MS);
  ck_assert_int_eq(ptcp_conn_state(p.conn[0]), PTCP_FIN_WAIT_2);
  /* The server closes: LAST-ACK, then CLOSED; the client TIME-WAIT. */
  ck_assert_int_eq(ptcp_conn_shutdown(p.conn[1], p.now), 0);
  ck_assert_int_eq(ptcp_conn_state(p.conn[1]), PTCP_LAST_ACK);
  tpair_run_until(&p, p.now + 10 * MS);
  ck_assert_int_eq(ptcp_conn_state(p.conn[0]), PTCP_TIME_WAIT);
  fin_time = p.now;
  tpair_run_until(&p, p.now + 10 * MS);
  ck_assert_int_eq(ptcp_conn_state(p.conn[1]), PTCP_CLOSED);
  /* TIME-WAIT is exactly 2 MSL. */
  tpair_run_until(&p, fin_time + 240 * SEC - 1);
  ck_assert_int_eq(ptcp_conn_state(p.conn[0]), PTCP_TIME_WAIT);
  tpair_run_until(&p, fin_time + 240 * SEC);
  ck_assert_int_eq(ptcp_conn_state(p.conn[0]), PTCP_CLOSED);
  tpair_free(&p);
}
END_TEST

START_TEST(test_textbook_simultaneous_open) {
  tpair p;
  ptcp_conn *a, *b;

  tpair_init(&p, NULL);
  /* Both sides connect to each other at the same time (RFC 9293 fig. 7). */
  ck_assert_int_eq(ptcp_conn_new(p.st[0], NULL, &a), 0);
  ck_assert_int_eq(ptcp_conn_new(p.st[1], NULL, &b), 0);
  ck_assert_int_eq(ptcp_conn_bind(a, NULL, 5000), 0);
  ck_assert_int_eq(ptcp_conn_bind(b, NULL, 6000), 0);
  ck_assert_int_eq(ptcp_conn_connect(a, &p.addr[1], 6000, 0), 0);
  ck_assert_int_eq(ptcp_conn_connect(b, &p.addr[0], 5000, 0), 0);
  tpair_run_until(&p, 100 * MS);
  ck_assert_int_eq(ptcp_conn_state(a), PTCP_ESTABLISHED);
  ck_assert_int_eq(ptcp_conn_state(b), PTCP_ESTABLISHED);
  ck_assert_int_eq(p.ev[0].connected, 1);
  ck_assert_int_eq(p.ev[1].connected, 1);
  p.conn[0] = a;
  p.conn[1] = b;
  ck_assert_uint_eq(tpair_send_pattern(&p, 0, 0, 5000), 5000);
  tpair_run_idle(&p, 10 * SEC);
  ck_assert(tpair_rx_is_pattern(&p, 1, 5000));
  tpair_free(&p);
}
END_TEST

START_TEST(test_textbook_simultaneous_close) {
  tpair p;

  tpair_init(&p, NULL);
  ck_assert(tpair_connect(&p, 1 * SEC));
  ck_assert_int_eq(ptcp_conn_shutdown(p.conn[0], p.now), 0);
  ck_assert_int_eq(ptcp_conn_shutdown(p.conn[1], p.now), 0);
  tpair_run_until(&p, p.now + 10 * MS);
  /* Each got the other's FIN before the ACK of its own: CLOSING. */
  ck_assert_int_eq(ptcp_conn_state(p.conn[0]), PTCP_CLOSING);
  ck_assert_int_eq(ptcp_conn_state(p.conn[1]), PTCP_CLOSING);
  tpair_run_until(&p, p.now + 10 * MS);
  ck_assert_int_eq(ptcp_conn_state(p.conn[0]), PTCP_TIME_WAIT);
  ck_assert_int_eq(ptcp_conn_state(p.conn[1]), PTCP_TIME_WAIT);
  tpair_free(&p);
}
END_TEST

START_TEST(test_textbook_half_close) {
  tpair p;

  tpair_init(&p, NULL);
  ck_assert(tpair_connect(&p, 1 * SEC));
  /* The client sends its request and shuts down its side... */
  ck_assert_uint_eq(tpair_send_pattern(&p, 0, 0, 1000), 1000);
  ck_assert_int_eq(ptcp_conn_shutdown(p.conn[0], p.now), 0);
  tpair_run_until(&p, p.now + 100 * MS);
  ck_assert(tpair_rx_is_pattern(&p, 1, 1000));
  ck_assert_int_eq(p.ev[1].peer_fin, 1);
  ck_assert_int_eq(ptcp_conn_state(p.conn[1]), PTCP_CLOSE_WAIT);
  /* ...and the server, having seen FIN, still sends its long answer. */
  ck_assert_uint_eq(tpair_send_pattern(&p, 1, 0, 200000), 200000);
  ck_assert_int_eq(ptcp_conn_shutdown(p.conn[1], p.now), 0);
  tpair_run_idle(&p, p.now + 30 * SEC);
  ck_assert(tpair_rx_is_pattern(&p, 0, 200000));
  ck_assert_int_eq(ptcp_conn_state(p.conn[1]), PTCP_CLOSED);
  tpair_free(&p);
}
END_TEST

/* RFC 6298 §2: the RTO follows the measured RTT.  With a one-way delay
 * of 500 ms (RTT 1 s) the first sample gives SRTT = 1 s, RTTVAR = 0.5 s,
 * RTO = SRTT + 4 RTTVAR = 3 s; equal samples then shrink RTTVAR by 3/4
 * each, and the RTO with it. */
START_TEST(test_textbook_rto_follows_rtt) {
  tpair_opts o;
  tpair p;
  ptcp_conn_status c;
  ptcp_duration last;

  memset(&o, 0, sizeof(o));
  o.delay = 500 * MS;
  o.side[0].no_nagle = 1;
  o.side[1].no_delack = 1;
  tpair_init(&p, &o);
  ck_assert(tpair_connect(&p, 10 * SEC));
  c = tp_status(p.conn[0]);
  ck_assert_uint_eq(c.srtt, 1 * SEC);
  ck_assert_uint_eq(c.rto, 3 * SEC);
  last = c.rto;
  for (int i = 0; i < 5; i++) {
    ck_assert_uint_eq(tpair_send_pattern(&p, 0, (size_t)i * 10, 10), 10);
    tpair_run_idle(&p, p.now + 5 * SEC);
    c = tp_status(p.conn[0]);
    ck_assert_uint_eq(c.srtt, 1 * SEC);
    ck_assert_uint_lt(c.rto, last);
    last = c.rto;
  }
  /* RTTVAR after 5 more equal samples: 0.5 * (3/4)^5; RTO = 1 s + 4x that. */
  ck_assert_uint_eq(c.rto, 1 * SEC + 4 * (500 * MS * 243 / 1024));
  /* A shorter path: 100 ms RTT with the minimum lowered to 200 ms. */
  tpair_free(&p);
  memset(&o, 0, sizeof(o));
  o.delay = 50 * MS;
  o.side[0].policy[PTCP_SLOT_RTO] = "rfc6298:min=200ms";
  tpair_init(&p, &o);
  ck_assert(tpair_connect(&p, 10 * SEC));
  c = tp_status(p.conn[0]);
  ck_assert_uint_eq(c.srtt, 100 * MS);
  ck_assert_uint_eq(c.rto, 300 * MS);
  tpair_free(&p);
}
END_TEST

Suite *ptcp_textbook_suite(void) {
  Suite *s = suite_create("textbook");
  TCase *tc = tcase_create("lifecycle");

  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_textbook_handshake);
  tcase_add_test(tc, test_textbook_bulk_iss_zero);
  tcase_add_test(tc, test_textbook_bulk_iss_2_31_minus_1);
  tcase_add_test(tc, test_textbook_bulk_iss_2_32_minus_1);
  tcase_add_test(tc, test_textbook_lost_segment_retransmitted_after_timeout);
  tcase_add_test(tc, test_textbook_lost_ack_duplicate_discarded);
  tcase_add_test(tc, test_textbook_fast_retransmit_on_three_dupacks);
  tcase_add_test(tc, test_textbook_four_way_close_and_time_wait);
  tcase_add_test(tc, test_textbook_simultaneous_open);
  tcase_add_test(tc, test_textbook_simultaneous_close);
  tcase_add_test(tc, test_textbook_half_close);
  tcase_add_test(tc, test_textbook_rto_follows_rtt);
  suite_add_tcase(s, tc);
  return s;
}

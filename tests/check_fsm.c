/*
 * Every state and every transition of RFC 9293's state diagram (§3.3.2,
 * figure 5), as ptcp_fsm.c's table lists them: one test per edge, each
 * driving a connection along that edge by every event its label names,
 * and checking the traced transition.  Two edges are in the table but
 * never taken on their own; test_fsm_composite_* show what the engine
 * does instead, and test_fsm_every_edge runs all the scenarios in one
 * process and checks that exactly the table's other edges were seen.
 *
 * The harness checks, after every step, that each traced transition is
 * in the table (tp_on_trace) and the connection invariants.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "tcp_harness.h"

Suite *ptcp_fsm_suite(void);

static tp t;

/* Transitions seen across scenarios (test_fsm_every_edge). */
static unsigned seen[PTCP_STATE_COUNT][PTCP_STATE_COUNT];

static void begin(const tp_opts *o) { tp_init(&t, o); }

static void end(void) {
  for (unsigned i = 0; i < t.ntrans; i++)
    seen[t.trans[i].from][t.trans[i].to]++;
  tp_free(&t);
}

static void saw(const ptcp_conn *c, ptcp_state from, ptcp_state to, const char *how) {
  ck_assert_msg(tp_saw_transition(&t, c, from, to), "%s: no %s -> %s traced", how,
                ptcp_state_name(from), ptcp_state_name(to));
}

/* Not seen: the engine took another way. */
static void not_saw(ptcp_state from, ptcp_state to, const char *how) {
  ck_assert_msg(!tp_saw_transition(&t, NULL, from, to), "%s: %s -> %s traced", how,
                ptcp_state_name(from), ptcp_state_name(to));
}

/* ------------------------------------------------------------------ */
/* Fixtures beyond the harness's                                       */

/* Simultaneous open: our SYN out, the peer's SYN in (RFC 9293 fig. 7). */
static ptcp_conn *syn_received_active(void) {
  ptcp_conn *c = tp_syn_sent(&t, 0);
  ck_assert_int_eq(tp_send(&t, 10 * MS, SEG(.flags = PTCP_SYN, .seq = TP_IRS)), 0);
  tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_SYN_RECEIVED);
  return c;
}

/* ESTABLISHED with 10 unacknowledged bytes out. */
static ptcp_conn *established_with_data(void) {
  ptcp_conn *c = tp_established(&t, 0);
  ck_assert_int_eq(ptcp_conn_send(c, "0123456789", 10, 20 * MS), 10);
  tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1, .ack = TP_IRS + 1,
                    .len = 10));
  return c;
}

/* Drives the retransmission timer until the connection gives up. */
static void time_out(ptcp_conn *c) {
  tp_advance(&t, t.now + 3600 * SEC);
  tp_discard(&t);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSED);
  ck_assert_int_eq(t.ev.last_error, PTCP_ERR_TIMED_OUT);
}

static void rst_exact(ptcp_conn *c, ptcp_time now) {
  ptcp_conn_status st;
  ptcp_conn_status_get(c, &st);
  ck_assert_int_eq(tp_send(&t, now, SEG(.flags = PTCP_RST, .seq = st.rcv_nxt)), 0);
  tp_expect_nothing(&t);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSED);
}

static const tp_opts few_retries = {.data_retries = 2, .syn_retries = 2};

/* ------------------------------------------------------------------ */
/* Edges                                                               */

static void edge_closed_listen(void) {
  ptcp_conn *l;
  begin(NULL);
  l = tp_listen(&t, 80, 4); /* passive OPEN */
  saw(l, PTCP_CLOSED, PTCP_LISTEN, "listen");
  end();
}

static void edge_closed_syn_sent(void) {
  ptcp_conn *c;
  begin(NULL);
  c = tp_syn_sent(&t, 0); /* active OPEN: snd SYN */
  saw(c, PTCP_CLOSED, PTCP_SYN_SENT, "connect");
  end();
}

static void edge_listen_syn_received(void) {
  begin(NULL);
  tp_syn_received(&t, 0); /* rcv SYN: snd SYN,ACK */
  saw(tp_half_open(&t), PTCP_LISTEN, PTCP_SYN_RECEIVED, "rcv SYN");
  end();
}

static void edge_listen_closed(void) {
  ptcp_conn *l;
  /* CLOSE and ABORT of a listener. */
  begin(NULL);
  l = tp_listen(&t, 80, 4);
  ck_assert_int_eq(ptcp_conn_close(l, 0), 0);
  saw(l, PTCP_LISTEN, PTCP_CLOSED, "close");
  end();
  begin(NULL);
  l = tp_listen(&t, 80, 4);
  ck_assert_int_eq(ptcp_conn_abort(l, 0), 0);
  saw(l, PTCP_LISTEN, PTCP_CLOSED, "abort");
  end();
}

static void edge_syn_sent_syn_received(void) {
  ptcp_conn *c;
  begin(NULL);
  c = syn_received_active(); /* rcv SYN: snd SYN,ACK */
  saw(c, PTCP_SYN_SENT, PTCP_SYN_RECEIVED, "simultaneous open");
  end();
}

static void edge_syn_sent_established(void) {
  ptcp_conn *c;
  begin(NULL);
  c = tp_established_active(&t, 0); /* rcv SYN,ACK: snd ACK */
  saw(c, PTCP_SYN_SENT, PTCP_ESTABLISHED, "rcv SYN,ACK");
  ck_assert_int_eq(t.ev.connected, 1);
  end();
}

static void edge_syn_sent_closed(void) {
  ptcp_conn *c;
  /* CLOSE: the TCB goes, nothing is sent. */
  begin(NULL);
  c = tp_syn_sent(&t, 0);
  ck_assert_int_eq(ptcp_conn_close(c, 10 * MS), 0);
  saw(c, PTCP_SYN_SENT, PTCP_CLOSED, "close");
  tp_expect_nothing(&t);
  end();
  /* RST acknowledging our SYN. */
  begin(NULL);
  c = tp_syn_sent(&t, 0);
  ck_assert_int_eq(
      tp_send(&t, 10 * MS, SEG(.flags = PTCP_RST | PTCP_ACK, .ack = TP_ISS + 1)), 0);
  saw(c, PTCP_SYN_SENT, PTCP_CLOSED, "rcv RST");
  ck_assert_int_eq(t.ev.last_error, PTCP_ERR_CONN_REFUSED);
  end();
  /* SYN timeout. */
  begin(&few_retries);
  c = tp_syn_sent(&t, 0);
  time_out(c);
  saw(c, PTCP_SYN_SENT, PTCP_CLOSED, "timeout");
  end();
  /* ABORT. */
  begin(NULL);
  c = tp_syn_sent(&t, 0);
  ck_assert_int_eq(ptcp_conn_abort(c, 10 * MS), 0);
  saw(c, PTCP_SYN_SENT, PTCP_CLOSED, "abort");
  tp_expect_nothing(&t);
  end();
}

static void edge_syn_received_established(void) {
  ptcp_conn *c;
  /* Passive: rcv ACK of SYN. */
  begin(NULL);
  c = tp_established(&t, 0);
  saw(c, PTCP_SYN_RECEIVED, PTCP_ESTABLISHED, "rcv ACK of SYN");
  end();
  /* Active (simultaneous open): the peer's SYN,ACK acknowledges ours. */
  begin(NULL);
  c = syn_received_active();
  ck_assert_int_eq(
      tp_send(&t, 20 * MS,
              SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_IRS, .ack = TP_ISS + 1)),
      0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
  saw(c, PTCP_SYN_RECEIVED, PTCP_ESTABLISHED, "rcv SYN,ACK");
  ck_assert_int_eq(t.ev.connected, 1);
  end();
  /* Active: a plain ACK of our SYN. */
  begin(NULL);
  c = syn_received_active();
  ck_assert_int_eq(
      tp_send(&t, 20 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1)),
      0);
  saw(c, PTCP_SYN_RECEIVED, PTCP_ESTABLISHED, "rcv ACK");
  end();
}

static void edge_syn_received_listen(void) {
  ptcp_stack_stats st;
  /* rcv RST (passive): back to LISTEN, nothing left behind. */
  begin(NULL);
  tp_syn_received(&t, 0);
  ck_assert_int_eq(tp_send(&t, 10 * MS, SEG(.flags = PTCP_RST, .seq = TP_IRS + 1)), 0);
  saw(NULL, PTCP_SYN_RECEIVED, PTCP_LISTEN, "rcv RST");
  ptcp_stack_stats_get(t.stack, &st);
  ck_assert_uint_eq(st.conns, 1);
  end();
  /* rcv SYN in the window (passive). */
  begin(NULL);
  tp_syn_received(&t, 0);
  ck_assert_int_eq(tp_send(&t, 10 * MS, SEG(.flags = PTCP_SYN, .seq = TP_IRS + 5)), 0);
  saw(NULL, PTCP_SYN_RECEIVED, PTCP_LISTEN, "rcv SYN");
  end();
  /* SYN,ACK retransmission timeout (passive). */
  begin(&few_retries);
  tp_syn_received(&t, 0);
  tp_advance(&t, 600 * SEC);
  tp_discard(&t);
  saw(NULL, PTCP_SYN_RECEIVED, PTCP_LISTEN, "timeout");
  ck_assert_ptr_null(tp_half_open(&t));
  end();
}

static void edge_syn_received_closed(void) {
  ptcp_conn *c;
  /* Active: rcv RST. */
  begin(NULL);
  c = syn_received_active();
  ck_assert_int_eq(tp_send(&t, 20 * MS, SEG(.flags = PTCP_RST, .seq = TP_IRS + 1)), 0);
  saw(c, PTCP_SYN_RECEIVED, PTCP_CLOSED, "rcv RST");
  ck_assert_int_eq(t.ev.last_error, PTCP_ERR_CONN_REFUSED);
  end();
  /* Active: ABORT sends <SEQ=SND.NXT><RST>. */
  begin(NULL);
  c = syn_received_active();
  ck_assert_int_eq(ptcp_conn_abort(c, 20 * MS), 0);
  tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 1));
  saw(c, PTCP_SYN_RECEIVED, PTCP_CLOSED, "abort");
  end();
  /* Active: timeout. */
  begin(&few_retries);
  c = syn_received_active();
  time_out(c);
  saw(c, PTCP_SYN_RECEIVED, PTCP_CLOSED, "timeout");
  end();
  /* Passive: the listener closes and resets its half-open connection. */
  begin(NULL);
  tp_syn_received(&t, 0);
  ck_assert_int_eq(ptcp_conn_close(t.listener, 20 * MS), 0);
  tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 1));
  saw(NULL, PTCP_SYN_RECEIVED, PTCP_CLOSED, "listener closed");
  end();
}

static void edge_syn_received_fin_wait_1(void) {
  ptcp_conn *c;
  /* CLOSE in SYN-RECEIVED: the FIN waits until our SYN is acknowledged. */
  begin(NULL);
  c = syn_received_active();
  ck_assert_int_eq(ptcp_conn_shutdown(c, 20 * MS), 0);
  saw(c, PTCP_SYN_RECEIVED, PTCP_FIN_WAIT_1, "close");
  tp_expect_nothing(&t);
  ck_assert_int_eq(
      tp_send(&t, 30 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1)),
      0);
  tp_expect(&t, SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
  ck_assert_int_eq(
      tp_send(&t, 40 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 2)),
      0);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_FIN_WAIT_2);
  end();
}

static void edge_established_fin_wait_1(void) {
  ptcp_conn *c;
  begin(NULL);
  c = tp_fin_wait_1(&t, 0); /* CLOSE (shutdown): snd FIN */
  saw(c, PTCP_ESTABLISHED, PTCP_FIN_WAIT_1, "shutdown");
  end();
  begin(NULL);
  c = tp_established(&t, 0);
  ck_assert_int_eq(ptcp_conn_close(c, 20 * MS), 0);
  tp_expect(&t, SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
  saw(c, PTCP_ESTABLISHED, PTCP_FIN_WAIT_1, "close");
  end();
}

static void edge_established_close_wait(void) {
  ptcp_conn *c;
  begin(NULL);
  c = tp_close_wait(&t, 0); /* rcv FIN: snd ACK */
  saw(c, PTCP_ESTABLISHED, PTCP_CLOSE_WAIT, "rcv FIN");
  ck_assert_int_eq(t.ev.peer_fin, 1);
  end();
}

static void edge_established_closed(void) {
  ptcp_conn *c;
  begin(NULL);
  c = tp_established(&t, 0);
  rst_exact(c, 20 * MS);
  saw(c, PTCP_ESTABLISHED, PTCP_CLOSED, "rcv RST");
  end();
  begin(NULL);
  c = tp_established(&t, 0);
  ck_assert_int_eq(ptcp_conn_abort(c, 20 * MS), 0);
  tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 1));
  saw(c, PTCP_ESTABLISHED, PTCP_CLOSED, "abort");
  end();
  begin(&few_retries);
  c = established_with_data();
  time_out(c);
  saw(c, PTCP_ESTABLISHED, PTCP_CLOSED, "timeout");
  end();
}

static void edge_fin_wait_1_fin_wait_2(void) {
  ptcp_conn *c;
  begin(NULL);
  c = tp_fin_wait_2(&t, 0); /* rcv ACK of FIN */
  saw(c, PTCP_FIN_WAIT_1, PTCP_FIN_WAIT_2, "rcv ACK of FIN");
  end();
}

static void edge_fin_wait_1_closing(void) {
  ptcp_conn *c;
  begin(NULL);
  c = tp_closing(&t, 0); /* rcv FIN: snd ACK */
  saw(c, PTCP_FIN_WAIT_1, PTCP_CLOSING, "rcv FIN");
  end();
}

static void edge_fin_wait_1_closed(void) {
  ptcp_conn *c;
  begin(NULL);
  c = tp_fin_wait_1(&t, 0);
  rst_exact(c, 30 * MS);
  saw(c, PTCP_FIN_WAIT_1, PTCP_CLOSED, "rcv RST");
  end();
  begin(NULL);
  c = tp_fin_wait_1(&t, 0);
  ck_assert_int_eq(ptcp_conn_abort(c, 30 * MS), 0);
  tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 2));
  saw(c, PTCP_FIN_WAIT_1, PTCP_CLOSED, "abort");
  end();
  begin(&few_retries);
  c = tp_fin_wait_1(&t, 0);
  time_out(c);
  saw(c, PTCP_FIN_WAIT_1, PTCP_CLOSED, "timeout");
  end();
}

static void edge_fin_wait_2_time_wait(void) {
  ptcp_conn *c;
  begin(NULL);
  c = tp_time_wait(&t, 0); /* rcv FIN: snd ACK */
  saw(c, PTCP_FIN_WAIT_2, PTCP_TIME_WAIT, "rcv FIN");
  end();
}

static void edge_fin_wait_2_closed(void) {
  ptcp_conn *c;
  tp_opts o = {.policy[PTCP_SLOT_CLOSE] = "rfc9293:fin_wait_2=10s"};
  begin(NULL);
  c = tp_fin_wait_2(&t, 0);
  rst_exact(c, 40 * MS);
  saw(c, PTCP_FIN_WAIT_2, PTCP_CLOSED, "rcv RST");
  end();
  begin(NULL);
  c = tp_fin_wait_2(&t, 0);
  ck_assert_int_eq(ptcp_conn_abort(c, 40 * MS), 0);
  tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 2));
  saw(c, PTCP_FIN_WAIT_2, PTCP_CLOSED, "abort");
  end();
  /* FIN-WAIT-2 timeout of a connection the user closed. */
  begin(&o);
  c = tp_fin_wait_2(&t, 0);
  ck_assert_int_eq(ptcp_conn_close(c, 40 * MS), 0);
  tp_advance(&t, 40 * MS + 10 * SEC);
  tp_expect_nothing(&t);
  saw(c, PTCP_FIN_WAIT_2, PTCP_CLOSED, "FIN-WAIT-2 timeout");
  end();
}

static void edge_close_wait_last_ack(void) {
  ptcp_conn *c;
  begin(NULL);
  c = tp_last_ack(&t, 0); /* CLOSE: snd FIN */
  saw(c, PTCP_CLOSE_WAIT, PTCP_LAST_ACK, "close");
  end();
}

static void edge_close_wait_closed(void) {
  ptcp_conn *c;
  begin(NULL);
  c = tp_close_wait(&t, 0);
  rst_exact(c, 30 * MS);
  saw(c, PTCP_CLOSE_WAIT, PTCP_CLOSED, "rcv RST");
  end();
  begin(NULL);
  c = tp_close_wait(&t, 0);
  ck_assert_int_eq(ptcp_conn_abort(c, 30 * MS), 0);
  tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 1));
  saw(c, PTCP_CLOSE_WAIT, PTCP_CLOSED, "abort");
  end();
  begin(&few_retries);
  c = tp_close_wait(&t, 0);
  ck_assert_int_eq(ptcp_conn_send(c, "x", 1, 30 * MS), 1);
  time_out(c);
  saw(c, PTCP_CLOSE_WAIT, PTCP_CLOSED, "timeout");
  end();
}

static void edge_closing_time_wait(void) {
  ptcp_conn *c;
  begin(NULL);
  c = tp_closing(&t, 0);
  ck_assert_int_eq(
      tp_send(&t, 50 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 2, .ack = TP_ISS + 2)),
      0);
  saw(c, PTCP_CLOSING, PTCP_TIME_WAIT, "rcv ACK of FIN");
  end();
}

static void edge_closing_closed(void) {
  ptcp_conn *c;
  begin(NULL);
  c = tp_closing(&t, 0);
  rst_exact(c, 50 * MS);
  saw(c, PTCP_CLOSING, PTCP_CLOSED, "rcv RST");
  end();
  /* ABORT in CLOSING: no RST (RFC 9293 §3.10.5). */
  begin(NULL);
  c = tp_closing(&t, 0);
  ck_assert_int_eq(ptcp_conn_abort(c, 50 * MS), 0);
  tp_expect_nothing(&t);
  saw(c, PTCP_CLOSING, PTCP_CLOSED, "abort");
  end();
  begin(&few_retries);
  c = tp_closing(&t, 0);
  time_out(c);
  saw(c, PTCP_CLOSING, PTCP_CLOSED, "timeout");
  end();
}

static void edge_last_ack_closed(void) {
  ptcp_conn *c;
  begin(NULL);
  c = tp_last_ack(&t, 0);
  ck_assert_int_eq(
      tp_send(&t, 50 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 2, .ack = TP_ISS + 2)),
      0);
  saw(c, PTCP_LAST_ACK, PTCP_CLOSED, "rcv ACK of FIN");
  ck_assert_int_eq(t.ev.closed, 1);
  ck_assert_int_eq(t.ev.error, 0);
  end();
  begin(NULL);
  c = tp_last_ack(&t, 0);
  rst_exact(c, 50 * MS);
  saw(c, PTCP_LAST_ACK, PTCP_CLOSED, "rcv RST");
  end();
  /* ABORT in LAST-ACK: no RST (RFC 9293 §3.10.5). */
  begin(NULL);
  c = tp_last_ack(&t, 0);
  ck_assert_int_eq(ptcp_conn_abort(c, 50 * MS), 0);
  tp_expect_nothing(&t);
  saw(c, PTCP_LAST_ACK, PTCP_CLOSED, "abort");
  end();
  begin(&few_retries);
  c = tp_last_ack(&t, 0);
  time_out(c);
  saw(c, PTCP_LAST_ACK, PTCP_CLOSED, "timeout");
  end();
}

static void edge_time_wait_closed(void) {
  ptcp_conn *c;
  /* timeout = 2MSL, the user's connection. */
  begin(NULL);
  c = tp_time_wait(&t, 0);
  tp_advance(&t, 40 * MS + 240 * SEC);
  saw(c, PTCP_TIME_WAIT, PTCP_CLOSED, "2MSL");
  end();
  /* timeout = 2MSL, a compact entry. */
  begin(NULL);
  c = tp_time_wait(&t, 0);
  ck_assert_int_eq(ptcp_conn_close(c, 50 * MS), 0);
  tp_advance(&t, 40 * MS + 240 * SEC);
  saw(NULL, PTCP_TIME_WAIT, PTCP_CLOSED, "2MSL, compact");
  {
    ptcp_stack_stats st;
    ptcp_stack_stats_get(t.stack, &st);
    ck_assert_uint_eq(st.time_wait, 0);
  }
  end();
  /* close policy rfc6191 (RFC 1122 rule without timestamps): a new SYN
   * reopens. */
  {
    static const tp_opts reopen = {.policy = {[PTCP_SLOT_CLOSE] = "rfc6191"}};
    begin(&reopen);
  }
  c = tp_time_wait(&t, 0);
  ck_assert_int_eq(tp_send(&t, 1 * SEC, SEG(.flags = PTCP_SYN, .seq = TP_IRS + 100000)),
                   0);
  tp_discard(&t);
  saw(c, PTCP_TIME_WAIT, PTCP_CLOSED, "reopen");
  end();
  /* ABORT: no RST. */
  begin(NULL);
  c = tp_time_wait(&t, 0);
  ck_assert_int_eq(ptcp_conn_abort(c, 1 * SEC), 0);
  tp_expect_nothing(&t);
  saw(c, PTCP_TIME_WAIT, PTCP_CLOSED, "abort");
  end();
}

/* The table has "rcv ACK of SYN and FIN" (SYN-RECEIVED -> CLOSE-WAIT);
 * the engine processes the ACK (fifth check) and then the FIN (eighth)
 * of the same segment as RFC 9293 §3.10.7.4 orders them, so the
 * connection goes through ESTABLISHED: the direct edge is never taken. */
static void composite_syn_received_close_wait(void) {
  ptcp_conn *c;
  begin(NULL);
  tp_syn_received(&t, 0);
  ck_assert_int_eq(tp_send(&t, 10 * MS,
                           SEG(.flags = PTCP_ACK | PTCP_FIN, .seq = TP_IRS + 1,
                               .ack = TP_ISS + 1, .len = 5)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 7));
  ck_assert_int_eq(ptcp_conn_accept(t.listener, &c), 0);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSE_WAIT);
  saw(c, PTCP_SYN_RECEIVED, PTCP_ESTABLISHED, "ACK part");
  saw(c, PTCP_ESTABLISHED, PTCP_CLOSE_WAIT, "FIN part");
  not_saw(PTCP_SYN_RECEIVED, PTCP_CLOSE_WAIT, "one segment");
  {
    uint8_t buf[16];
    ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 10 * MS), 5);
    ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 10 * MS), 0);
  }
  end();
}

/* Likewise "rcv FIN and ACK of FIN" (FIN-WAIT-1 -> TIME-WAIT) passes
 * FIN-WAIT-2: "if our FIN is now acknowledged then enter FIN-WAIT-2 and
 * continue processing in that state" (RFC 9293 §3.10.7.4 fifth). */
static void composite_fin_wait_1_time_wait(void) {
  ptcp_conn *c;
  begin(NULL);
  c = tp_fin_wait_1(&t, 0);
  ck_assert_int_eq(
      tp_send(&t, 30 * MS,
              SEG(.flags = PTCP_ACK | PTCP_FIN, .seq = TP_IRS + 1, .ack = TP_ISS + 2)),
      0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 2, .ack = TP_IRS + 2));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_TIME_WAIT);
  saw(c, PTCP_FIN_WAIT_1, PTCP_FIN_WAIT_2, "ACK part");
  saw(c, PTCP_FIN_WAIT_2, PTCP_TIME_WAIT, "FIN part");
  not_saw(PTCP_FIN_WAIT_1, PTCP_TIME_WAIT, "one segment");
  end();
}

#define EDGE_TEST(name)                                                                  \
  START_TEST(test_fsm_##name) { edge_##name(); }                                         \
  END_TEST

EDGE_TEST(closed_listen)
EDGE_TEST(closed_syn_sent)
EDGE_TEST(listen_syn_received)
EDGE_TEST(listen_closed)
EDGE_TEST(syn_sent_syn_received)
EDGE_TEST(syn_sent_established)
EDGE_TEST(syn_sent_closed)
EDGE_TEST(syn_received_established)
EDGE_TEST(syn_received_listen)
EDGE_TEST(syn_received_closed)
EDGE_TEST(syn_received_fin_wait_1)
EDGE_TEST(established_fin_wait_1)
EDGE_TEST(established_close_wait)
EDGE_TEST(established_closed)
EDGE_TEST(fin_wait_1_fin_wait_2)
EDGE_TEST(fin_wait_1_closing)
EDGE_TEST(fin_wait_1_closed)
EDGE_TEST(fin_wait_2_time_wait)
EDGE_TEST(fin_wait_2_closed)
EDGE_TEST(close_wait_last_ack)
EDGE_TEST(close_wait_closed)
EDGE_TEST(closing_time_wait)
EDGE_TEST(closing_closed)
EDGE_TEST(last_ack_closed)
EDGE_TEST(time_wait_closed)

START_TEST(test_fsm_composite_syn_received_close_wait) {
  composite_syn_received_close_wait();
}
END_TEST

START_TEST(test_fsm_composite_fin_wait_1_time_wait) { composite_fin_wait_1_time_wait(); }
END_TEST

/* All the scenarios in one process: every edge of the table was taken,
 * except the two composites, and nothing outside the table was. */
START_TEST(test_fsm_every_edge) {
  static void (*const all[])(void) = {
      edge_closed_listen,
      edge_closed_syn_sent,
      edge_listen_syn_received,
      edge_listen_closed,
      edge_syn_sent_syn_received,
      edge_syn_sent_established,
      edge_syn_sent_closed,
      edge_syn_received_established,
      edge_syn_received_listen,
      edge_syn_received_closed,
      edge_syn_received_fin_wait_1,
      edge_established_fin_wait_1,
      edge_established_close_wait,
      edge_established_closed,
      edge_fin_wait_1_fin_wait_2,
      edge_fin_wait_1_closing,
      edge_fin_wait_1_closed,
      edge_fin_wait_2_time_wait,
      edge_fin_wait_2_closed,
      edge_close_wait_last_ack,
      edge_close_wait_closed,
      edge_closing_time_wait,
      edge_closing_closed,
      edge_last_ack_closed,
      edge_time_wait_closed,
      composite_syn_received_close_wait,
      composite_fin_wait_1_time_wait,
  };
  const ptcp_transition *tab;
  size_t n;
  unsigned taken = 0;

  memset(seen, 0, sizeof(seen));
  for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
    all[i]();
  tab = ptcp_transitions(&n);
  for (size_t i = 0; i < n; i++) {
    int composite = (tab[i].from == PTCP_SYN_RECEIVED && tab[i].to == PTCP_CLOSE_WAIT) ||
                    (tab[i].from == PTCP_FIN_WAIT_1 && tab[i].to == PTCP_TIME_WAIT);
    if (composite)
      ck_assert_msg(seen[tab[i].from][tab[i].to] == 0, "%s -> %s was taken",
                    ptcp_state_name(tab[i].from), ptcp_state_name(tab[i].to));
    else
      ck_assert_msg(seen[tab[i].from][tab[i].to] > 0, "%s -> %s (%s) never taken",
                    ptcp_state_name(tab[i].from), ptcp_state_name(tab[i].to),
                    tab[i].event);
    taken += seen[tab[i].from][tab[i].to] > 0;
  }
  ck_assert_uint_eq(taken, n - 2);
  /* Every state was visited. */
  for (int s = 0; s < PTCP_STATE_COUNT; s++) {
    unsigned into = 0;
    for (int f = 0; f < PTCP_STATE_COUNT; f++)
      into += seen[f][s];
    ck_assert_msg(into > 0, "%s never entered", ptcp_state_name((ptcp_state)s));
  }
}
END_TEST

Suite *ptcp_fsm_suite(void) {
  Suite *s = suite_create("fsm");
  TCase *tc = tcase_create("edges");

  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_fsm_closed_listen);
  tcase_add_test(tc, test_fsm_closed_syn_sent);
  tcase_add_test(tc, test_fsm_listen_syn_received);
  tcase_add_test(tc, test_fsm_listen_closed);
  tcase_add_test(tc, test_fsm_syn_sent_syn_received);
  tcase_add_test(tc, test_fsm_syn_sent_established);
  tcase_add_test(tc, test_fsm_syn_sent_closed);
  tcase_add_test(tc, test_fsm_syn_received_established);
  tcase_add_test(tc, test_fsm_syn_received_listen);
  tcase_add_test(tc, test_fsm_syn_received_closed);
  tcase_add_test(tc, test_fsm_syn_received_fin_wait_1);
  tcase_add_test(tc, test_fsm_established_fin_wait_1);
  tcase_add_test(tc, test_fsm_established_close_wait);
  tcase_add_test(tc, test_fsm_established_closed);
  tcase_add_test(tc, test_fsm_fin_wait_1_fin_wait_2);
  tcase_add_test(tc, test_fsm_fin_wait_1_closing);
  tcase_add_test(tc, test_fsm_fin_wait_1_closed);
  tcase_add_test(tc, test_fsm_fin_wait_2_time_wait);
  tcase_add_test(tc, test_fsm_fin_wait_2_closed);
  tcase_add_test(tc, test_fsm_close_wait_last_ack);
  tcase_add_test(tc, test_fsm_close_wait_closed);
  tcase_add_test(tc, test_fsm_closing_time_wait);
  tcase_add_test(tc, test_fsm_closing_closed);
  tcase_add_test(tc, test_fsm_last_ack_closed);
  tcase_add_test(tc, test_fsm_time_wait_closed);
  tcase_add_test(tc, test_fsm_composite_syn_received_close_wait);
  tcase_add_test(tc, test_fsm_composite_fin_wait_1_time_wait);
  tcase_add_test(tc, test_fsm_every_edge);
  suite_add_tcase(s, tc);
  return s;
}

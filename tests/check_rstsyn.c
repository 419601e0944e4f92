/*
 * RST and SYN in every state (RFC 9293 §3.10.7, RFC 5961 §3-4, RFC 1337),
 * table-driven: one test per state, looping over a table of segments.
 * Each case names the segment, and says what the engine must answer:
 * the verdict and reason it reports, the state afterwards, what it
 * emits, and the error the user hears.  A segment that is not taken
 * (dropped, ACKed or challenged) must leave the connection exactly as
 * it was (tp_snap_same).
 *
 * Sequence positions are relative to the receiving connection:
 *   exact      SEG.SEQ = RCV.NXT
 *   in window  RCV.NXT < SEG.SEQ < RCV.NXT + RCV.WND (+10, and the last)
 *   left       SEG.SEQ = RCV.NXT - 1, and RCV.NXT - 10^6
 *   right      SEG.SEQ = RCV.NXT + RCV.WND, and 10^6 beyond
 * The dupfilter policy is the default rfc9293 (RFC 5961 on), and the
 * close policy rfc9293 (RFC 1337: RST ignored in TIME-WAIT).
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "tcp_harness.h"

Suite *ptcp_rstsyn_suite(void);

static tp t;

/* Where SEG.SEQ lies. */
typedef enum {
  AT_EXACT,
  AT_IN,
  AT_LAST, /* RCV.NXT + RCV.WND - 1 */
  AT_LEFT,
  AT_FAR_LEFT,
  AT_EDGE, /* RCV.NXT + RCV.WND */
  AT_FAR_RIGHT,
  AT_IRS, /* the peer's ISS: a retransmitted SYN */
  AT_ABS, /* |seq| as given */
} seq_at;

/* What SEG.ACK carries. */
typedef enum {
  AK_NONE, /* no ACK bit */
  AK_NXT,  /* SND.NXT: acknowledges everything */
  AK_ISS,  /* ISS: acknowledges nothing (SYN-SENT) */
  AK_ISS1, /* ISS + 1: acknowledges our SYN */
  AK_ISS2, /* ISS + 2: beyond our SYN */
} ack_is;

/* What the engine must emit. */
typedef enum {
  OUT_NONE,
  OUT_ACK,     /* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> */
  OUT_RST_ACK, /* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
  OUT_RST,     /* <SEQ=SEG.ACK><CTL=RST> */
  OUT_SYN_ACK, /* <SEQ=ISS><ACK=SEG.SEQ+1><CTL=SYN,ACK> */
  OUT_HS_ACK,  /* <SEQ=ISS+1><ACK=SEG.SEQ+1><CTL=ACK>: the handshake's third */
} out_is;

/* The state afterwards, besides a ptcp_state. */
#define SAME (-1)     /* unchanged */
#define GONE (-2)     /* a passive half-open connection back to LISTEN */
#define NEW_HALF (-3) /* the listener (or TIME-WAIT) took a new connection */

typedef struct rs_case {
  const char *name;
  uint8_t flags;
  seq_at at;
  uint32_t seq; /* AT_ABS */
  ack_is ack;
  ptcp_verdict verdict;
  ptcp_reason reason;
  int after; /* ptcp_state or SAME/GONE/NEW_HALF */
  out_is out;
  int error; /* the error the user is told, or 0 */
} rs_case;

/* A connection in the state under test. */
typedef struct rs_fixture {
  const char *name;
  ptcp_conn *(*make)(tp *t);
  int user;       /* the user holds the connection */
  int compact_tw; /* the state is a compact TIME-WAIT entry */
  int listener;   /* a listener holds the port */
  tp_opts opts;
} rs_fixture;

/* ------------------------------------------------------------------ */
/* Fixtures                                                            */

static ptcp_conn *fx_closed_no_tcb(tp *tt) {
  tt->local_port = 81; /* nobody there */
  return NULL;
}

static ptcp_conn *fx_closed_bound(tp *tt) {
  ptcp_conn *c;
  ck_assert_int_eq(ptcp_conn_new(tt->stack, NULL, &c), 0);
  ck_assert_int_eq(ptcp_conn_bind(c, NULL, 81), 0);
  tt->local_port = 81;
  tt->conn = c;
  return c;
}

static ptcp_conn *fx_listen(tp *tt) { return tp_listen(tt, 80, 8); }

static ptcp_conn *fx_syn_sent(tp *tt) { return tp_syn_sent(tt, 0); }

static ptcp_conn *fx_syn_received_passive(tp *tt) {
  tp_syn_received(tt, 0);
  return tp_half_open(tt);
}

/* Simultaneous open (RFC 9293 figure 7): our SYN out, the peer's SYN in. */
static ptcp_conn *fx_syn_received_active(tp *tt) {
  ptcp_conn *c = tp_syn_sent(tt, 0);
  ck_assert_int_eq(tp_send(tt, 10 * MS, SEG(.flags = PTCP_SYN, .seq = TP_IRS)), 0);
  tp_expect(tt, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_SYN_RECEIVED);
  return c;
}

static ptcp_conn *fx_established(tp *tt) { return tp_established(tt, 0); }
static ptcp_conn *fx_established_active(tp *tt) { return tp_established_active(tt, 0); }
static ptcp_conn *fx_fin_wait_1(tp *tt) { return tp_fin_wait_1(tt, 0); }
static ptcp_conn *fx_fin_wait_2(tp *tt) { return tp_fin_wait_2(tt, 0); }
static ptcp_conn *fx_close_wait(tp *tt) { return tp_close_wait(tt, 0); }
static ptcp_conn *fx_closing(tp *tt) { return tp_closing(tt, 0); }
static ptcp_conn *fx_last_ack(tp *tt) { return tp_last_ack(tt, 0); }
static ptcp_conn *fx_time_wait(tp *tt) { return tp_time_wait(tt, 0); }

/* TIME-WAIT of an active open: no listener on the port. */
static ptcp_conn *fx_time_wait_active(tp *tt) {
  ptcp_conn *c = tp_established_active(tt, 0);
  ck_assert_int_eq(ptcp_conn_shutdown(c, 20 * MS), 0);
  tp_expect(tt, SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
  ck_assert_int_eq(
      tp_send(tt, 30 * MS,
              SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 2)),
      0);
  tp_expect(tt, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 2, .ack = TP_IRS + 2));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_TIME_WAIT);
  return c;
}

/* The user lets go in TIME-WAIT: the connection becomes a compact entry. */
static ptcp_conn *fx_time_wait_compact(tp *tt) {
  ptcp_conn *c = tp_time_wait(tt, 0);
  ptcp_stack_stats st;
  ck_assert_int_eq(ptcp_conn_close(c, 50 * MS), 0);
  tt->conn = NULL;
  ptcp_stack_stats_get(tt->stack, &st);
  ck_assert_uint_eq(st.time_wait, 1);
  return NULL;
}

static ptcp_conn *fx_time_wait_compact_active(tp *tt) {
  ptcp_conn *c = fx_time_wait_active(tt);
  ck_assert_int_eq(ptcp_conn_close(c, 50 * MS), 0);
  tt->conn = NULL;
  return NULL;
}

/* ------------------------------------------------------------------ */
/* The runner                                                          */

static uint32_t seq_for(const rs_case *k, uint32_t rcv_nxt, uint32_t wnd) {
  switch (k->at) {
  case AT_EXACT:
    return rcv_nxt;
  case AT_IN:
    return rcv_nxt + 10;
  case AT_LAST:
    return rcv_nxt + wnd - 1;
  case AT_LEFT:
    return rcv_nxt - 1;
  case AT_FAR_LEFT:
    return rcv_nxt - 1000000;
  case AT_EDGE:
    return rcv_nxt + wnd;
  case AT_FAR_RIGHT:
    return rcv_nxt + wnd + 1000000;
  case AT_IRS:
    return TP_IRS;
  case AT_ABS:
    return k->seq;
  }
  return 0;
}

static void run_case(const rs_fixture *fx, const rs_case *k) {
  ptcp_conn *c;
  ptcp_conn_status st;
  ptcp_stack_stats s0, s1;
  tp_snap before, after;
  uint32_t rcv_nxt = 0, wnd = 0, snd_nxt = 0, iss = TP_ISS, seq, ack = 0;
  uint32_t tw_snd = 0, tw_rcv = 0, tw_snd2, tw_rcv2;
  ptcp_time tw_exp = 0, tw_exp2;
  ptcp_time now;
  unsigned nin;
  const ptcp_seg *g;
  const char *n = k->name;

  tp_init(&t, &fx->opts);
  c = fx->make(&t);
  tp_expect_nothing(&t);
  memset(&t.ev, 0, sizeof(t.ev));
  now = t.now + 100 * MS;

  if (c != NULL) {
    ptcp_conn_status_get(c, &st);
    rcv_nxt = st.rcv_nxt;
    wnd = st.rcv_wnd;
    snd_nxt = st.snd_nxt;
    if (st.state != PTCP_LISTEN && st.state != PTCP_CLOSED)
      iss = st.iss;
    tp_snap_take(c, &before);
  }
  if (fx->compact_tw) {
    ck_assert(tp_tw_info(&t, &tw_snd, &tw_rcv, &tw_exp));
    rcv_nxt = tw_rcv;
    snd_nxt = tw_snd;
    wnd = 65535;
  }
  seq = seq_for(k, rcv_nxt, wnd);
  switch (k->ack) {
  case AK_NONE:
    break;
  case AK_NXT:
    ack = snd_nxt;
    break;
  case AK_ISS:
    ack = iss;
    break;
  case AK_ISS1:
    ack = iss + 1;
    break;
  case AK_ISS2:
    ack = iss + 2;
    break;
  }
  ptcp_stack_stats_get(t.stack, &s0);
  nin = t.nseg_in;

  ck_assert_msg(tp_send(&t, now, SEG(.flags = k->flags, .seq = seq, .ack = ack)) == 0,
                "%s / %s: input failed", fx->name, n);

  /* Exactly one verdict, the right one, for the right reason; a SYN
   * that reopens TIME-WAIT gets a second one, from the listener that
   * takes it. */
  if (k->reason == PTCP_R_TIME_WAIT_REOPEN) {
    ck_assert_msg(t.nseg_in == nin + 2 && t.last_verdict == PTCP_VERDICT_ACCEPT &&
                      t.last_reason == PTCP_R_NONE,
                  "%s / %s: the listener did not take the SYN", fx->name, n);
  } else {
    ck_assert_msg(t.nseg_in == nin + 1, "%s / %s: %u verdicts", fx->name, n,
                  t.nseg_in - nin);
  }
  ck_assert_msg(t.verdicts[nin] == k->verdict && t.reasons[nin] == k->reason,
                "%s / %s: verdict %s (%s), expected %s (%s)", fx->name, n,
                ptcp_verdict_name(t.verdicts[nin]), ptcp_reason_name(t.reasons[nin]),
                ptcp_verdict_name(k->verdict), ptcp_reason_name(k->reason));

  /* What went out. */
  switch (k->out) {
  case OUT_NONE:
    ck_assert_msg(tp_pending(&t) == 0, "%s / %s: %u segments emitted", fx->name, n,
                  tp_pending(&t));
    break;
  case OUT_ACK:
    ck_assert_msg(tp_pending(&t) == 1, "%s / %s: %u segments, expected an ACK", fx->name,
                  n, tp_pending(&t));
    tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = snd_nxt, .ack = rcv_nxt));
    break;
  case OUT_RST_ACK:
    ck_assert_msg(tp_pending(&t) == 1, "%s / %s: %u segments, expected RST,ACK", fx->name,
                  n, tp_pending(&t));
    tp_expect(&t, SEG(.flags = PTCP_RST | PTCP_ACK, .seq = 0,
                      .ack = seq + ((k->flags & PTCP_SYN) ? 1u : 0u) +
                             ((k->flags & PTCP_FIN) ? 1u : 0u)));
    break;
  case OUT_RST:
    ck_assert_msg(tp_pending(&t) == 1, "%s / %s: %u segments, expected RST", fx->name, n,
                  tp_pending(&t));
    tp_expect(&t, SEG(.flags = PTCP_RST, .seq = ack));
    break;
  case OUT_SYN_ACK:
    ck_assert_msg(tp_pending(&t) == 1, "%s / %s: %u segments, expected SYN,ACK", fx->name,
                  n, tp_pending(&t));
    g = tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .any_seq = 1, .ack = seq + 1));
    if (k->reason == PTCP_R_TIME_WAIT_REOPEN) /* RFC 6191 §2: above the old space */
      ck_assert_msg(g->seq == snd_nxt + 65536u, "%s / %s: new ISS %u, old SND.NXT %u",
                    fx->name, n, g->seq, snd_nxt);
    else
      ck_assert_msg(g->seq == iss, "%s / %s: SYN,ACK seq %u, ISS %u", fx->name, n, g->seq,
                    iss);
    break;
  case OUT_HS_ACK:
    ck_assert_msg(tp_pending(&t) == 1, "%s / %s: %u segments, expected an ACK", fx->name,
                  n, tp_pending(&t));
    tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = iss + 1, .ack = seq + 1));
    break;
  }

  /* The state afterwards. */
  ptcp_stack_stats_get(t.stack, &s1);
  if (k->after == SAME) {
    if (c != NULL) {
      tp_snap_take(c, &after);
      ck_assert_msg(tp_snap_same(&before, &after), "%s / %s: the connection changed",
                    fx->name, n);
    }
    if (fx->compact_tw) {
      ck_assert_msg(tp_tw_info(&t, &tw_snd2, &tw_rcv2, &tw_exp2) && tw_snd2 == tw_snd &&
                        tw_rcv2 == tw_rcv && tw_exp2 == tw_exp,
                    "%s / %s: the TIME-WAIT entry changed", fx->name, n);
    }
    ck_assert_msg(s1.conns == s0.conns && s1.time_wait == s0.time_wait,
                  "%s / %s: connections %u -> %u, TIME-WAIT %u -> %u", fx->name, n,
                  s0.conns, s1.conns, s0.time_wait, s1.time_wait);
  } else if (k->after == GONE) {
    ck_assert_msg(tp_half_open(&t) == NULL && s1.conns == s0.conns - 1,
                  "%s / %s: the half-open connection is still there", fx->name, n);
    ck_assert_msg(tp_saw_transition(&t, NULL, PTCP_SYN_RECEIVED, PTCP_LISTEN),
                  "%s / %s: no SYN-RECEIVED -> LISTEN", fx->name, n);
  } else if (k->after == NEW_HALF) {
    ck_assert_msg(tp_half_open(&t) != NULL, "%s / %s: no new half-open connection",
                  fx->name, n);
    if (fx->compact_tw)
      ck_assert_msg(s1.time_wait == s0.time_wait - 1 && s1.conns == s0.conns + 1,
                    "%s / %s: the TIME-WAIT entry was not replaced", fx->name, n);
    else if (c != NULL && before.st.state == PTCP_TIME_WAIT)
      ck_assert_msg(ptcp_conn_state(c) == PTCP_CLOSED,
                    "%s / %s: the old connection is %s", fx->name, n,
                    ptcp_state_name(ptcp_conn_state(c)));
  } else {
    ck_assert_msg(c != NULL && fx->user, "%s / %s: bad table", fx->name, n);
    ck_assert_msg(ptcp_conn_state(c) == (ptcp_state)k->after,
                  "%s / %s: state %s, expected %s", fx->name, n,
                  ptcp_state_name(ptcp_conn_state(c)),
                  ptcp_state_name((ptcp_state)k->after));
  }

  /* What the user hears. */
  if (fx->user) {
    ck_assert_msg(t.ev.error == (k->error != 0), "%s / %s: %d error events", fx->name, n,
                  t.ev.error);
    if (k->error != 0)
      ck_assert_msg(t.ev.last_error == k->error, "%s / %s: error %s, expected %s",
                    fx->name, n, ptcp_err_name(t.ev.last_error), ptcp_err_name(k->error));
  }
  tp_free(&t);
}

static void run_table(const rs_fixture *fx, const rs_case *cases, size_t ncases) {
  for (size_t i = 0; i < ncases; i++)
    run_case(fx, &cases[i]);
}

#define RUN(fx, table) run_table(&(fx), (table), sizeof(table) / sizeof((table)[0]))

#define V(x) PTCP_VERDICT_##x
#define R(x) PTCP_R_##x
#define S(x) PTCP_##x

/* ------------------------------------------------------------------ */
/* Tables                                                              */

/* No TCB: RFC 9293 §3.10.7.1. */
static const rs_case closed_cases[] = {
    {"RST", PTCP_RST, AT_ABS, 1234, AK_NONE, V(DROP), R(NO_CONNECTION), SAME, OUT_NONE,
     0},
    {"RST,ACK", PTCP_RST | PTCP_ACK, AT_ABS, 1234, AK_ISS1, V(DROP), R(NO_CONNECTION),
     SAME, OUT_NONE, 0},
    {"RST seq 0xffffffff", PTCP_RST, AT_ABS, 0xffffffffu, AK_NONE, V(DROP),
     R(NO_CONNECTION), SAME, OUT_NONE, 0},
    {"SYN", PTCP_SYN, AT_ABS, 1234, AK_NONE, V(RST), R(NO_CONNECTION), SAME, OUT_RST_ACK,
     0},
    {"SYN seq 0xffffffff", PTCP_SYN, AT_ABS, 0xffffffffu, AK_NONE, V(RST),
     R(NO_CONNECTION), SAME, OUT_RST_ACK, 0},
    {"SYN,ACK", PTCP_SYN | PTCP_ACK, AT_ABS, 1234, AK_ISS1, V(RST), R(NO_CONNECTION),
     SAME, OUT_RST, 0},
    {"SYN,FIN", PTCP_SYN | PTCP_FIN, AT_ABS, 1234, AK_NONE, V(RST), R(NO_CONNECTION),
     SAME, OUT_RST_ACK, 0},
    {"SYN,RST", PTCP_SYN | PTCP_RST, AT_ABS, 1234, AK_NONE, V(DROP), R(NO_CONNECTION),
     SAME, OUT_NONE, 0},
};

/* RFC 9293 §3.10.7.2: RST ignored, any ACK draws <SEQ=SEG.ACK><RST>, a
 * SYN opens a half-open connection (SEG.SEQ does not matter here). */
static const rs_case listen_cases[] = {
    {"RST", PTCP_RST, AT_ABS, 1234, AK_NONE, V(DROP), R(LISTEN_BAD), SAME, OUT_NONE, 0},
    {"RST,ACK", PTCP_RST | PTCP_ACK, AT_ABS, 1234, AK_ISS1, V(DROP), R(LISTEN_BAD), SAME,
     OUT_NONE, 0},
    {"RST seq 0", PTCP_RST, AT_ABS, 0, AK_NONE, V(DROP), R(LISTEN_BAD), SAME, OUT_NONE,
     0},
    {"SYN,RST", PTCP_SYN | PTCP_RST, AT_ABS, 1234, AK_NONE, V(DROP), R(LISTEN_BAD), SAME,
     OUT_NONE, 0},
    {"SYN", PTCP_SYN, AT_ABS, 1234, AK_NONE, V(ACCEPT), R(NONE), NEW_HALF, OUT_SYN_ACK,
     0},
    {"SYN seq 0xffffffff", PTCP_SYN, AT_ABS, 0xffffffffu, AK_NONE, V(ACCEPT), R(NONE),
     NEW_HALF, OUT_SYN_ACK, 0},
    /* The FIN on a SYN is not taken (nor acknowledged): the peer sends
     * it again once the connection is up. */
    {"SYN,FIN", PTCP_SYN | PTCP_FIN, AT_ABS, 1234, AK_NONE, V(ACCEPT), R(NONE), NEW_HALF,
     OUT_SYN_ACK, 0},
    {"SYN,ACK", PTCP_SYN | PTCP_ACK, AT_ABS, 1234, AK_ISS1, V(RST), R(LISTEN_ACK), SAME,
     OUT_RST, 0},
};

/* RFC 9293 §3.10.7.3: in SYN-SENT a RST counts only if it acknowledges
 * our SYN (RFC 5961 §3.2 leaves SYN-SENT to this rule); SEG.SEQ is not
 * known yet, so there is no window to be inside of. */
static const rs_case syn_sent_cases[] = {
    {"RST, no ACK", PTCP_RST, AT_ABS, 1000, AK_NONE, V(DROP), R(RST_OUT_OF_WINDOW), SAME,
     OUT_NONE, 0},
    {"RST, no ACK, seq 0xffffffff", PTCP_RST, AT_ABS, 0xffffffffu, AK_NONE, V(DROP),
     R(RST_OUT_OF_WINDOW), SAME, OUT_NONE, 0},
    {"RST,ACK of our SYN", PTCP_RST | PTCP_ACK, AT_ABS, 0, AK_ISS1, V(RESET),
     R(RST_EXACT), S(CLOSED), OUT_NONE, PTCP_ERR_CONN_REFUSED},
    {"RST,ACK of our SYN, any seq", PTCP_RST | PTCP_ACK, AT_ABS, 77777, AK_ISS1, V(RESET),
     R(RST_EXACT), S(CLOSED), OUT_NONE, PTCP_ERR_CONN_REFUSED},
    {"RST,ACK = ISS", PTCP_RST | PTCP_ACK, AT_ABS, 0, AK_ISS, V(DROP),
     R(ACK_BAD_SYN_SENT), SAME, OUT_NONE, 0},
    {"RST,ACK = ISS+2", PTCP_RST | PTCP_ACK, AT_ABS, 0, AK_ISS2, V(DROP),
     R(ACK_BAD_SYN_SENT), SAME, OUT_NONE, 0},
    {"SYN (simultaneous open)", PTCP_SYN, AT_ABS, TP_IRS, AK_NONE, V(ACCEPT), R(NONE),
     S(SYN_RECEIVED), OUT_SYN_ACK, 0},
    {"SYN,ACK of our SYN", PTCP_SYN | PTCP_ACK, AT_ABS, TP_IRS, AK_ISS1, V(ACCEPT),
     R(NONE), S(ESTABLISHED), OUT_HS_ACK, 0},
    {"SYN,ACK = ISS", PTCP_SYN | PTCP_ACK, AT_ABS, TP_IRS, AK_ISS, V(RST),
     R(ACK_BAD_SYN_SENT), SAME, OUT_RST, 0},
    {"SYN,ACK = ISS+2", PTCP_SYN | PTCP_ACK, AT_ABS, TP_IRS, AK_ISS2, V(RST),
     R(ACK_BAD_SYN_SENT), SAME, OUT_RST, 0},
    {"SYN,RST, no ACK", PTCP_SYN | PTCP_RST, AT_ABS, TP_IRS, AK_NONE, V(DROP),
     R(RST_OUT_OF_WINDOW), SAME, OUT_NONE, 0},
    {"SYN,RST,ACK of our SYN", PTCP_SYN | PTCP_RST | PTCP_ACK, AT_ABS, TP_IRS, AK_ISS1,
     V(RESET), R(RST_EXACT), S(CLOSED), OUT_NONE, PTCP_ERR_CONN_REFUSED},
};

/* SYN-RECEIVED of a passive open (RFC 9293 §3.10.7.4 with RFC 5961 §3;
 * MUST-11: it remembers it came from LISTEN and returns there). */
static const rs_case syn_received_passive_cases[] = {
    {"RST exact", PTCP_RST, AT_EXACT, 0, AK_NONE, V(RESET), R(RST_EXACT), GONE, OUT_NONE,
     0},
    {"RST,ACK exact", PTCP_RST | PTCP_ACK, AT_EXACT, 0, AK_ISS1, V(RESET), R(RST_EXACT),
     GONE, OUT_NONE, 0},
    {"RST in window", PTCP_RST, AT_IN, 0, AK_NONE, V(CHALLENGE), R(RST_IN_WINDOW), SAME,
     OUT_ACK, 0},
    {"RST,ACK last in window", PTCP_RST | PTCP_ACK, AT_LAST, 0, AK_ISS1, V(CHALLENGE),
     R(RST_IN_WINDOW), SAME, OUT_ACK, 0},
    {"RST left", PTCP_RST, AT_LEFT, 0, AK_NONE, V(DROP), R(RST_OUT_OF_WINDOW), SAME,
     OUT_NONE, 0},
    {"RST,ACK far left", PTCP_RST | PTCP_ACK, AT_FAR_LEFT, 0, AK_ISS1, V(DROP),
     R(RST_OUT_OF_WINDOW), SAME, OUT_NONE, 0},
    {"RST right edge", PTCP_RST, AT_EDGE, 0, AK_NONE, V(DROP), R(RST_OUT_OF_WINDOW), SAME,
     OUT_NONE, 0},
    {"RST far right", PTCP_RST, AT_FAR_RIGHT, 0, AK_NONE, V(DROP), R(RST_OUT_OF_WINDOW),
     SAME, OUT_NONE, 0},
};

static const rs_case syn_received_passive_syn_cases[] = {
    /* Our SYN,ACK was lost: the peer's SYN again draws it again. */
    {"SYN retransmitted", PTCP_SYN, AT_IRS, 0, AK_NONE, V(ACK), R(SYN_RETRANSMIT), SAME,
     OUT_SYN_ACK, 0},
    /* RFC 9293 fourth check: a passive SYN-RECEIVED goes back to LISTEN. */
    {"SYN exact", PTCP_SYN, AT_EXACT, 0, AK_NONE, V(RESET), R(SYN_SYNCHRONIZED), GONE,
     OUT_NONE, 0},
    {"SYN in window", PTCP_SYN, AT_IN, 0, AK_NONE, V(RESET), R(SYN_SYNCHRONIZED), GONE,
     OUT_NONE, 0},
    {"SYN left (older)", PTCP_SYN, AT_FAR_LEFT, 0, AK_NONE, V(ACK), R(DUPLICATE), SAME,
     OUT_ACK, 0},
    {"SYN right edge", PTCP_SYN, AT_EDGE, 0, AK_NONE, V(ACK), R(OUT_OF_WINDOW), SAME,
     OUT_ACK, 0},
    {"SYN,RST exact", PTCP_SYN | PTCP_RST, AT_EXACT, 0, AK_NONE, V(RESET), R(RST_EXACT),
     GONE, OUT_NONE, 0},
    {"SYN,RST in window", PTCP_SYN | PTCP_RST, AT_IN, 0, AK_NONE, V(CHALLENGE),
     R(RST_IN_WINDOW), SAME, OUT_ACK, 0},
    {"SYN,RST at the peer's ISS", PTCP_SYN | PTCP_RST, AT_IRS, 0, AK_NONE, V(DROP),
     R(RST_OUT_OF_WINDOW), SAME, OUT_NONE, 0},
};

/* SYN-RECEIVED of a simultaneous open: a reset refuses the connection. */
static const rs_case syn_received_active_cases[] = {
    {"RST exact", PTCP_RST, AT_EXACT, 0, AK_NONE, V(RESET), R(RST_EXACT), S(CLOSED),
     OUT_NONE, PTCP_ERR_CONN_REFUSED},
    {"RST,ACK exact", PTCP_RST | PTCP_ACK, AT_EXACT, 0, AK_ISS1, V(RESET), R(RST_EXACT),
     S(CLOSED), OUT_NONE, PTCP_ERR_CONN_REFUSED},
    {"RST in window", PTCP_RST, AT_IN, 0, AK_NONE, V(CHALLENGE), R(RST_IN_WINDOW), SAME,
     OUT_ACK, 0},
    {"RST left", PTCP_RST, AT_LEFT, 0, AK_NONE, V(DROP), R(RST_OUT_OF_WINDOW), SAME,
     OUT_NONE, 0},
    {"RST right edge", PTCP_RST | PTCP_ACK, AT_EDGE, 0, AK_ISS1, V(DROP),
     R(RST_OUT_OF_WINDOW), SAME, OUT_NONE, 0},
};

static const rs_case syn_received_active_syn_cases[] = {
    {"SYN retransmitted", PTCP_SYN, AT_IRS, 0, AK_NONE, V(ACK), R(SYN_RETRANSMIT), SAME,
     OUT_SYN_ACK, 0},
    /* RFC 9293 figure 7: the peer's SYN,ACK acknowledges our SYN. */
    {"SYN,ACK of our SYN", PTCP_SYN | PTCP_ACK, AT_IRS, 0, AK_ISS1, V(ACCEPT), R(NONE),
     S(ESTABLISHED), OUT_HS_ACK, 0},
    /* An active SYN-RECEIVED is synchronized enough for RFC 5961 §4. */
    {"SYN in window", PTCP_SYN, AT_IN, 0, AK_NONE, V(CHALLENGE), R(SYN_SYNCHRONIZED),
     SAME, OUT_ACK, 0},
    {"SYN right edge", PTCP_SYN, AT_EDGE, 0, AK_NONE, V(ACK), R(OUT_OF_WINDOW), SAME,
     OUT_ACK, 0},
};

/* Synchronized states: RFC 9293 §3.10.7.4 second and fourth checks with
 * RFC 5961 §3.2 and §4.2.  The same table holds in ESTABLISHED,
 * FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT, CLOSING and LAST-ACK. */
static const rs_case sync_rst_cases[] = {
    {"RST exact", PTCP_RST, AT_EXACT, 0, AK_NONE, V(RESET), R(RST_EXACT), S(CLOSED),
     OUT_NONE, PTCP_ERR_CONN_RESET},
    {"RST,ACK exact", PTCP_RST | PTCP_ACK, AT_EXACT, 0, AK_NXT, V(RESET), R(RST_EXACT),
     S(CLOSED), OUT_NONE, PTCP_ERR_CONN_RESET},
    {"RST in window", PTCP_RST, AT_IN, 0, AK_NONE, V(CHALLENGE), R(RST_IN_WINDOW), SAME,
     OUT_ACK, 0},
    {"RST,ACK in window", PTCP_RST | PTCP_ACK, AT_IN, 0, AK_NXT, V(CHALLENGE),
     R(RST_IN_WINDOW), SAME, OUT_ACK, 0},
    {"RST last in window", PTCP_RST, AT_LAST, 0, AK_NONE, V(CHALLENGE), R(RST_IN_WINDOW),
     SAME, OUT_ACK, 0},
    {"RST left", PTCP_RST, AT_LEFT, 0, AK_NONE, V(DROP), R(RST_OUT_OF_WINDOW), SAME,
     OUT_NONE, 0},
    {"RST,ACK left", PTCP_RST | PTCP_ACK, AT_LEFT, 0, AK_NXT, V(DROP),
     R(RST_OUT_OF_WINDOW), SAME, OUT_NONE, 0},
    {"RST far left", PTCP_RST, AT_FAR_LEFT, 0, AK_NONE, V(DROP), R(RST_OUT_OF_WINDOW),
     SAME, OUT_NONE, 0},
    {"RST right edge", PTCP_RST, AT_EDGE, 0, AK_NONE, V(DROP), R(RST_OUT_OF_WINDOW), SAME,
     OUT_NONE, 0},
    {"RST,ACK far right", PTCP_RST | PTCP_ACK, AT_FAR_RIGHT, 0, AK_NXT, V(DROP),
     R(RST_OUT_OF_WINDOW), SAME, OUT_NONE, 0},
};

static const rs_case sync_syn_cases[] = {
    {"SYN exact", PTCP_SYN, AT_EXACT, 0, AK_NONE, V(CHALLENGE), R(SYN_SYNCHRONIZED), SAME,
     OUT_ACK, 0},
    {"SYN in window", PTCP_SYN, AT_IN, 0, AK_NONE, V(CHALLENGE), R(SYN_SYNCHRONIZED),
     SAME, OUT_ACK, 0},
    {"SYN,ACK in window", PTCP_SYN | PTCP_ACK, AT_IN, 0, AK_NXT, V(CHALLENGE),
     R(SYN_SYNCHRONIZED), SAME, OUT_ACK, 0},
    {"SYN,FIN in window", PTCP_SYN | PTCP_FIN, AT_IN, 0, AK_NONE, V(CHALLENGE),
     R(SYN_SYNCHRONIZED), SAME, OUT_ACK, 0},
    /* Outside the window the first check answers (an ACK, not rate
     * limited like a challenge, and just as harmless). */
    {"SYN left", PTCP_SYN, AT_LEFT, 0, AK_NONE, V(ACK), R(DUPLICATE), SAME, OUT_ACK, 0},
    {"SYN at the peer's ISS", PTCP_SYN, AT_IRS, 0, AK_NONE, V(ACK), R(DUPLICATE), SAME,
     OUT_ACK, 0},
    {"SYN right edge", PTCP_SYN, AT_EDGE, 0, AK_NONE, V(ACK), R(OUT_OF_WINDOW), SAME,
     OUT_ACK, 0},
    {"SYN,ACK far right", PTCP_SYN | PTCP_ACK, AT_FAR_RIGHT, 0, AK_NXT, V(ACK),
     R(OUT_OF_WINDOW), SAME, OUT_ACK, 0},
    /* RST is checked before SYN (RFC 9293 §3.10.7.4 order). */
    {"SYN,RST exact", PTCP_SYN | PTCP_RST, AT_EXACT, 0, AK_NONE, V(RESET), R(RST_EXACT),
     S(CLOSED), OUT_NONE, PTCP_ERR_CONN_RESET},
    {"SYN,RST in window", PTCP_SYN | PTCP_RST, AT_IN, 0, AK_NONE, V(CHALLENGE),
     R(RST_IN_WINDOW), SAME, OUT_ACK, 0},
    {"SYN,RST right edge", PTCP_SYN | PTCP_RST, AT_EDGE, 0, AK_NONE, V(DROP),
     R(RST_OUT_OF_WINDOW), SAME, OUT_NONE, 0},
};

/* TIME-WAIT (close policy rfc9293): RFC 1337 F1 ignores every RST; every
 * SYN draws a challenge ACK (RFC 5961 §4), even one beyond RCV.NXT with a
 * listener: RFC 9293 §3.10.7.4 reopens only when timestamps tell the
 * incarnations apart (close policy rfc6191; see check_api.c). */
static const rs_case time_wait_rst_cases[] = {
    {"RST exact", PTCP_RST, AT_EXACT, 0, AK_NONE, V(DROP), R(TIME_WAIT), SAME, OUT_NONE,
     0},
    {"RST,ACK exact", PTCP_RST | PTCP_ACK, AT_EXACT, 0, AK_NXT, V(DROP), R(TIME_WAIT),
     SAME, OUT_NONE, 0},
    {"RST in window", PTCP_RST, AT_IN, 0, AK_NONE, V(DROP), R(TIME_WAIT), SAME, OUT_NONE,
     0},
    {"RST,ACK in window", PTCP_RST | PTCP_ACK, AT_IN, 0, AK_NXT, V(DROP), R(TIME_WAIT),
     SAME, OUT_NONE, 0},
    {"RST left", PTCP_RST, AT_LEFT, 0, AK_NONE, V(DROP), R(TIME_WAIT), SAME, OUT_NONE, 0},
    {"RST far left", PTCP_RST | PTCP_ACK, AT_FAR_LEFT, 0, AK_NXT, V(DROP), R(TIME_WAIT),
     SAME, OUT_NONE, 0},
    {"RST right edge", PTCP_RST, AT_EDGE, 0, AK_NONE, V(DROP), R(TIME_WAIT), SAME,
     OUT_NONE, 0},
    {"RST far right", PTCP_RST | PTCP_ACK, AT_FAR_RIGHT, 0, AK_NXT, V(DROP), R(TIME_WAIT),
     SAME, OUT_NONE, 0},
};

static const rs_case time_wait_syn_listener_cases[] = {
    {"SYN in window (challenge)", PTCP_SYN, AT_IN, 0, AK_NONE, V(ACK), R(TIME_WAIT), SAME,
     OUT_ACK, 0},
    {"SYN far right (challenge)", PTCP_SYN, AT_FAR_RIGHT, 0, AK_NONE, V(ACK), R(TIME_WAIT),
     SAME, OUT_ACK, 0},
    {"SYN exact", PTCP_SYN, AT_EXACT, 0, AK_NONE, V(ACK), R(TIME_WAIT), SAME, OUT_ACK, 0},
    {"SYN left", PTCP_SYN, AT_LEFT, 0, AK_NONE, V(ACK), R(TIME_WAIT), SAME, OUT_ACK, 0},
    {"SYN,ACK in window", PTCP_SYN | PTCP_ACK, AT_IN, 0, AK_NXT, V(ACK), R(TIME_WAIT),
     SAME, OUT_ACK, 0},
    {"SYN,RST in window", PTCP_SYN | PTCP_RST, AT_IN, 0, AK_NONE, V(DROP), R(TIME_WAIT),
     SAME, OUT_NONE, 0},
};

static const rs_case time_wait_syn_alone_cases[] = {
    {"SYN in window, no listener", PTCP_SYN, AT_IN, 0, AK_NONE, V(ACK), R(TIME_WAIT),
     SAME, OUT_ACK, 0},
    {"SYN exact", PTCP_SYN, AT_EXACT, 0, AK_NONE, V(ACK), R(TIME_WAIT), SAME, OUT_ACK, 0},
    {"SYN,RST exact", PTCP_SYN | PTCP_RST, AT_EXACT, 0, AK_NONE, V(DROP), R(TIME_WAIT),
     SAME, OUT_NONE, 0},
};

/* ------------------------------------------------------------------ */
/* One test per state                                                  */

#define FX(nm, fn, u)                                                                    \
  { .name = nm, .make = fn, .user = u }

static const rs_fixture f_closed = FX("CLOSED (no connection)", fx_closed_no_tcb, 0);
static const rs_fixture f_closed_bound =
    FX("CLOSED (bound, not listening)", fx_closed_bound, 1);
static const rs_fixture f_listen = FX("LISTEN", fx_listen, 1);
static const rs_fixture f_syn_sent = FX("SYN-SENT", fx_syn_sent, 1);
static const rs_fixture f_syn_rcvd_p =
    FX("SYN-RECEIVED (passive)", fx_syn_received_passive, 0);
static const rs_fixture f_syn_rcvd_a =
    FX("SYN-RECEIVED (active)", fx_syn_received_active, 1);
static const rs_fixture f_est = FX("ESTABLISHED", fx_established, 1);
static const rs_fixture f_est_a = FX("ESTABLISHED (active)", fx_established_active, 1);
static const rs_fixture f_fw1 = FX("FIN-WAIT-1", fx_fin_wait_1, 1);
static const rs_fixture f_fw2 = FX("FIN-WAIT-2", fx_fin_wait_2, 1);
static const rs_fixture f_cw = FX("CLOSE-WAIT", fx_close_wait, 1);
static const rs_fixture f_closing = FX("CLOSING", fx_closing, 1);
static const rs_fixture f_la = FX("LAST-ACK", fx_last_ack, 1);
static const rs_fixture f_tw = FX("TIME-WAIT (user's, listener)", fx_time_wait, 1);
static const rs_fixture f_tw_a =
    FX("TIME-WAIT (user's, no listener)", fx_time_wait_active, 1);
static const rs_fixture f_tw_c = {.name = "TIME-WAIT (compact, listener)",
                                  .make = fx_time_wait_compact,
                                  .compact_tw = 1};
static const rs_fixture f_tw_ca = {.name = "TIME-WAIT (compact, no listener)",
                                   .make = fx_time_wait_compact_active,
                                   .compact_tw = 1};

START_TEST(test_rstsyn_closed) {
  RUN(f_closed, closed_cases);
  RUN(f_closed_bound, closed_cases);
}
END_TEST

START_TEST(test_rstsyn_listen) { RUN(f_listen, listen_cases); }
END_TEST

START_TEST(test_rstsyn_syn_sent) { RUN(f_syn_sent, syn_sent_cases); }
END_TEST

START_TEST(test_rstsyn_syn_received_rst) {
  RUN(f_syn_rcvd_p, syn_received_passive_cases);
  RUN(f_syn_rcvd_a, syn_received_active_cases);
}
END_TEST

START_TEST(test_rstsyn_syn_received_syn) {
  RUN(f_syn_rcvd_p, syn_received_passive_syn_cases);
  RUN(f_syn_rcvd_a, syn_received_active_syn_cases);
}
END_TEST

START_TEST(test_rstsyn_established_rst) {
  RUN(f_est, sync_rst_cases);
  RUN(f_est_a, sync_rst_cases);
}
END_TEST

START_TEST(test_rstsyn_established_syn) {
  RUN(f_est, sync_syn_cases);
  RUN(f_est_a, sync_syn_cases);
}
END_TEST

START_TEST(test_rstsyn_fin_wait_1_rst) { RUN(f_fw1, sync_rst_cases); }
END_TEST
START_TEST(test_rstsyn_fin_wait_1_syn) { RUN(f_fw1, sync_syn_cases); }
END_TEST
START_TEST(test_rstsyn_fin_wait_2_rst) { RUN(f_fw2, sync_rst_cases); }
END_TEST
START_TEST(test_rstsyn_fin_wait_2_syn) { RUN(f_fw2, sync_syn_cases); }
END_TEST
START_TEST(test_rstsyn_close_wait_rst) { RUN(f_cw, sync_rst_cases); }
END_TEST
START_TEST(test_rstsyn_close_wait_syn) { RUN(f_cw, sync_syn_cases); }
END_TEST
START_TEST(test_rstsyn_closing_rst) { RUN(f_closing, sync_rst_cases); }
END_TEST
START_TEST(test_rstsyn_closing_syn) { RUN(f_closing, sync_syn_cases); }
END_TEST
START_TEST(test_rstsyn_last_ack_rst) { RUN(f_la, sync_rst_cases); }
END_TEST
START_TEST(test_rstsyn_last_ack_syn) { RUN(f_la, sync_syn_cases); }
END_TEST

START_TEST(test_rstsyn_time_wait_rst) {
  RUN(f_tw, time_wait_rst_cases);
  RUN(f_tw_a, time_wait_rst_cases);
}
END_TEST

START_TEST(test_rstsyn_time_wait_syn) {
  RUN(f_tw, time_wait_syn_listener_cases);
  RUN(f_tw_a, time_wait_syn_alone_cases);
}
END_TEST

START_TEST(test_rstsyn_time_wait_compact_rst) {
  RUN(f_tw_c, time_wait_rst_cases);
  RUN(f_tw_ca, time_wait_rst_cases);
}
END_TEST

START_TEST(test_rstsyn_time_wait_compact_syn) {
  RUN(f_tw_c, time_wait_syn_listener_cases);
  RUN(f_tw_ca, time_wait_syn_alone_cases);
}
END_TEST

Suite *ptcp_rstsyn_suite(void) {
  Suite *s = suite_create("rstsyn");
  TCase *tc = tcase_create("states");

  tcase_add_test(tc, test_rstsyn_closed);
  tcase_add_test(tc, test_rstsyn_listen);
  tcase_add_test(tc, test_rstsyn_syn_sent);
  tcase_add_test(tc, test_rstsyn_syn_received_rst);
  tcase_add_test(tc, test_rstsyn_syn_received_syn);
  tcase_add_test(tc, test_rstsyn_established_rst);
  tcase_add_test(tc, test_rstsyn_established_syn);
  tcase_add_test(tc, test_rstsyn_fin_wait_1_rst);
  tcase_add_test(tc, test_rstsyn_fin_wait_1_syn);
  tcase_add_test(tc, test_rstsyn_fin_wait_2_rst);
  tcase_add_test(tc, test_rstsyn_fin_wait_2_syn);
  tcase_add_test(tc, test_rstsyn_close_wait_rst);
  tcase_add_test(tc, test_rstsyn_close_wait_syn);
  tcase_add_test(tc, test_rstsyn_closing_rst);
  tcase_add_test(tc, test_rstsyn_closing_syn);
  tcase_add_test(tc, test_rstsyn_last_ack_rst);
  tcase_add_test(tc, test_rstsyn_last_ack_syn);
  tcase_add_test(tc, test_rstsyn_time_wait_rst);
  tcase_add_test(tc, test_rstsyn_time_wait_syn);
  tcase_add_test(tc, test_rstsyn_time_wait_compact_rst);
  tcase_add_test(tc, test_rstsyn_time_wait_compact_syn);
  suite_add_tcase(s, tc);
  return s;
}

/*
 * Hostile inputs, from the bug classes of shared/notes/hardening.md:
 * each gets the right verdict, and a segment that is not taken changes
 * nothing (tp_snap_same, no new connection, nothing emitted that should
 * not be).  The harness also checks every invariant after each step.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "tcp_harness.h"

Suite *ptcp_hostile_suite(void);

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

/* Sends |s| to |c| and checks it was rejected with |v| and |r|, changed
 * nothing, and drew exactly |acks| ACKs <SEQ=SND.NXT><ACK=RCV.NXT>. */
static void rejected_at(ptcp_conn *c, ptcp_time now, tp_seg s, ptcp_verdict v,
                        ptcp_reason r, int acks, const char *what, int line) {
  tp_snap before, after;
  ptcp_conn_status st = status_of(c);
  unsigned conns = stats().conns;

  tp_snap_take(c, &before);
  ck_assert_msg(tp_send(&t, now, s) == 0, "line %d, %s: input failed", line, what);
  ck_assert_msg(t.last_verdict == v && t.last_reason == r,
                "line %d, %s: verdict %s (%s), expected %s (%s)", line, what,
                ptcp_verdict_name(t.last_verdict), ptcp_reason_name(t.last_reason),
                ptcp_verdict_name(v), ptcp_reason_name(r));
  ck_assert_msg(tp_pending(&t) == (unsigned)acks, "line %d, %s: %u segments out", line,
                what, tp_pending(&t));
  for (int i = 0; i < acks; i++)
    tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = st.snd_nxt, .ack = st.rcv_nxt));
  tp_snap_take(c, &after);
  ck_assert_msg(tp_snap_same(&before, &after), "line %d, %s: the connection changed",
                line, what);
  ck_assert_msg(stats().conns == conns, "line %d, %s: connections changed", line, what);
}
#define rejected(c, now, s, v, r, acks, what)                                            \
  rejected_at(c, now, s, v, r, acks, what, __LINE__)

/* The bytes the peer sends, by offset from its first data byte. */
static uint8_t pat[200000];
static void fill_pattern(void) {
  for (size_t i = 0; i < sizeof(pat); i++)
    pat[i] = tp_pattern(i);
}

/* Builds raw TCP bytes: 20-byte header, |optlen| bytes of options (a
 * multiple of 4), |paylen| pattern bytes.  Returns the length. */
static size_t raw(uint8_t *b, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq,
                  uint32_t ack, const uint8_t *opts, size_t optlen, size_t paylen) {
  size_t hl = 20 + optlen;
  memset(b, 0, hl + paylen);
  b[0] = (uint8_t)(sport >> 8);
  b[1] = (uint8_t)sport;
  b[2] = (uint8_t)(dport >> 8);
  b[3] = (uint8_t)dport;
  for (int i = 0; i < 4; i++) {
    b[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
    b[8 + i] = (uint8_t)(ack >> (24 - 8 * i));
  }
  b[12] = (uint8_t)((hl / 4) << 4);
  b[13] = flags;
  b[14] = 0xff;
  b[15] = 0xff;
  if (optlen)
    memcpy(b + 20, opts, optlen);
  for (size_t i = 0; i < paylen; i++)
    b[hl + i] = tp_pattern(i);
  return hl + paylen;
}

/* ------------------------------------------------------------------ */
/* Urgent pointer (URGENT/11, CVE-2020-17437, CVE-2019-12255)          */

START_TEST(test_hostile_urgent_pointer) {
  static const struct {
    const char *name;
    uint8_t flags;
    uint16_t urgent;
    uint32_t len;
  } cases[] = {
      {"URG, pointer 0", PTCP_ACK | PTCP_URG, 0, 10},
      {"URG, pointer 1", PTCP_ACK | PTCP_URG, 1, 10},
      {"URG, pointer at the end", PTCP_ACK | PTCP_URG, 10, 10},
      {"URG, pointer past the payload", PTCP_ACK | PTCP_URG, 11, 10},
      {"URG, pointer 0xffff", PTCP_ACK | PTCP_URG, 0xffff, 10},
      {"no URG, pointer 0xffff", PTCP_ACK, 0xffff, 10},
      {"URG, pointer 0xffff, one byte", PTCP_ACK | PTCP_URG | PTCP_PSH, 0xffff, 1},
      {"URG,FIN, pointer 0xffff", PTCP_ACK | PTCP_URG | PTCP_FIN, 0xffff, 10},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    ptcp_conn *c;
    uint8_t buf[64];
    reinit(NULL);
    c = tp_established(&t, 0);
    /* Data with a hostile pointer: taken inline, byte for byte (RFC 6093
     * §6), and nothing more or less. */
    ck_assert_int_eq(
        tp_send(&t, 10 * MS,
                SEG(.flags = cases[i].flags, .seq = TP_IRS + 1, .ack = TP_ISS + 1,
                    .len = cases[i].len, .urgent = cases[i].urgent)),
        0);
    ck_assert_msg(t.last_verdict == PTCP_VERDICT_ACCEPT, "%s: %s", cases[i].name,
                  ptcp_verdict_name(t.last_verdict));
    ck_assert_msg(ptcp_conn_recv(c, buf, sizeof(buf), 10 * MS) ==
                      (ptcp_ssize)cases[i].len,
                  "%s: wrong byte count", cases[i].name);
    for (uint32_t j = 0; j < cases[i].len; j++)
      ck_assert_msg(buf[j] == tp_pattern(j), "%s: byte %u", cases[i].name, j);
    ck_assert_int_eq(status_of(c).rcv_nxt,
                     TP_IRS + 1 + cases[i].len + ((cases[i].flags & PTCP_FIN) ? 1u : 0u));
    tp_discard(&t);
  }
}
END_TEST

START_TEST(test_hostile_urgent_pointer_without_data) {
  ptcp_conn *c = tp_established(&t, 0);
  tp_snap before, after;

  /* A pure ACK claiming urgent data: nothing to take, nothing changes. */
  tp_snap_take(c, &before);
  ck_assert_int_eq(tp_send(&t, 10 * MS,
                           SEG(.flags = PTCP_ACK | PTCP_URG, .seq = TP_IRS + 1,
                               .ack = TP_ISS + 1, .urgent = 0xffff)),
                   0);
  tp_expect_nothing(&t);
  tp_snap_take(c, &after);
  ck_assert(tp_snap_same(&before, &after));
  ck_assert_int_eq(ptcp_conn_recv(c, NULL, 0, 10 * MS), PTCP_ERR_WOULD_BLOCK);
  /* URG on a SYN: an ordinary SYN. */
  reinit(NULL);
  tp_listen(&t, 80, 4);
  ck_assert_int_eq(
      tp_send(&t, 0, SEG(.flags = PTCP_SYN | PTCP_URG, .seq = TP_IRS, .urgent = 0xffff)),
      0);
  tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
}
END_TEST

/* ------------------------------------------------------------------ */
/* MSS option (lwIP #22249, CVE-2023-35847, smoltcp b0b7bcfd)          */

/* Handshake with MSS |mss| (and timestamps when |ts|), then 1000 bytes
 * out: every segment carries 1..expect bytes, exactly ceil(1000/expect)
 * of them, none empty. */
static void mss_case(int has_mss, uint16_t mss, int ts, uint16_t expect) {
  tp_seg syn = SEG(.flags = PTCP_SYN, .seq = TP_IRS);
  ptcp_conn *c;
  uint8_t data[1000];
  uint32_t sent = 0, segs = 0;

  reinit(NULL);
  if (has_mss) {
    syn.opts.present = PTCP_OPT_MSS;
    syn.opts.mss = mss;
  }
  if (ts) {
    syn.opts.present |= PTCP_OPT_TS;
    syn.opts.ts_val = 1;
  }
  tp_listen(&t, 80, 4);
  ck_assert_int_eq(tp_send(&t, 0, syn), 0);
  tp_discard(&t);
  ck_assert_int_eq(
      tp_send(&t, 10 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1)),
      0);
  ck_assert_int_eq(ptcp_conn_accept(t.listener, &c), 0);
  ck_assert_msg(status_of(c).snd_mss == expect, "MSS %u: send MSS %u, expected %u", mss,
                status_of(c).snd_mss, expect);
  memset(data, 'x', sizeof(data));
  ck_assert_int_eq(ptcp_conn_send(c, data, sizeof(data), 20 * MS), 1000);
  for (int round = 0; round < 100 && sent < 1000; round++) {
    uint32_t acked = sent;
    while (tp_pending(&t) > 0) {
      const ptcp_seg *g = &t.out[t.head++].seg;
      ck_assert_msg(!(g->flags & (PTCP_SYN | PTCP_RST | PTCP_FIN)), "MSS %u: odd segment",
                    mss);
      ck_assert_msg(g->payload_len >= 1 && g->payload_len <= expect,
                    "MSS %u: a segment of %zu bytes", mss, g->payload_len);
      ck_assert_uint_eq(g->seq, TP_ISS + 1 + sent);
      sent += (uint32_t)g->payload_len;
      segs++;
    }
    ck_assert_msg(sent > acked, "MSS %u: stalled at %u bytes", mss, sent);
    ck_assert_int_eq(
        tp_send(&t, (uint64_t)(30 + round) * MS,
                SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1 + sent)),
        0);
  }
  tp_discard(&t);
  ck_assert_uint_eq(sent, 1000);
  ck_assert_uint_eq(segs, (1000 + expect - 1) / expect);
}

START_TEST(test_hostile_mss_option) {
  mss_case(1, 0, 0, 48); /* floor 48: no division by zero, no empty segments */
  mss_case(1, 1, 0, 48);
  mss_case(1, 47, 0, 48);
  mss_case(1, 48, 0, 48);
  mss_case(1, 49, 0, 49);
  mss_case(1, 0, 1, 48); /* the floor holds with the timestamp option's room */
  mss_case(1, 536, 1, 524);
  mss_case(0, 0, 0, 536); /* no option: RFC 9293 MUST-15 */
  mss_case(1, 65535, 0, 1460);
}
END_TEST

START_TEST(test_hostile_mss_option_on_syn_ack_and_later) {
  ptcp_conn *c = tp_syn_sent(&t, 0);
  tp_seg sa = SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_IRS, .ack = TP_ISS + 1);

  /* Active open: an MSS of 0 on the SYN,ACK is floored too. */
  sa.opts.present = PTCP_OPT_MSS;
  sa.opts.mss = 0;
  ck_assert_int_eq(tp_send(&t, 10 * MS, sa), 0);
  tp_discard(&t);
  ck_assert_uint_eq(status_of(c).snd_mss, 48);
  /* An MSS option after the handshake is ignored (RFC 9293 §3.7.1: it
   * belongs on SYNs only): the segment is an ordinary ACK. */
  {
    tp_seg ack = SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1);
    /* A plain ACK first, so that the send window bookkeeping (SND.WL1)
     * is where the next ACKs leave it. */
    ck_assert_int_eq(tp_send(&t, 15 * MS, ack), 0);
    ack.opts.present = PTCP_OPT_MSS;
    ack.opts.mss = 1;
    rejected(c, 20 * MS, ack, PTCP_VERDICT_ACCEPT, PTCP_R_NONE, 0, "MSS 1 on an ACK");
    ack.opts.mss = 9000;
    rejected(c, 30 * MS, ack, PTCP_VERDICT_ACCEPT, PTCP_R_NONE, 0, "MSS 9000 on an ACK");
  }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Window scale (RFC 7323 §2.3: a shift above 14 is 14)                */

START_TEST(test_hostile_window_scale) {
  static const uint8_t shifts[] = {15, 16, 100, 255};
  for (size_t i = 0; i < sizeof(shifts); i++) {
    tp_seg syn = SEG(.flags = PTCP_SYN, .seq = TP_IRS);
    ptcp_conn *c;
    const ptcp_seg *sa;
    reinit(NULL);
    syn.opts.present = PTCP_OPT_MSS | PTCP_OPT_WSCALE;
    syn.opts.mss = 1460;
    syn.opts.wscale = shifts[i];
    tp_listen(&t, 80, 4);
    ck_assert_int_eq(tp_send(&t, 0, syn), 0);
    sa = tp_expect(&t,
                   SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
    ck_assert(sa->opts.present & PTCP_OPT_WSCALE);
    ck_assert_uint_eq(sa->opts.wscale, 3);
    ck_assert_int_eq(tp_send(&t, 10 * MS,
                             SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1,
                                 .window = 1)),
                     0);
    ck_assert_int_eq(ptcp_conn_accept(t.listener, &c), 0);
    ck_assert_msg(status_of(c).snd_wscale == 14, "shift %u: used %u", shifts[i],
                  status_of(c).snd_wscale);
    ck_assert_uint_eq(status_of(c).snd_wnd, 1u << 14);
    /* The largest window a peer can then offer still fits 32 bits. */
    ck_assert_int_eq(tp_send(&t, 20 * MS,
                             SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1,
                                 .window = 0xffff)),
                     0);
    ck_assert_uint_eq(status_of(c).snd_wnd, 0xffffu << 14);
    /* A window-scale option after the SYN changes nothing. */
    {
      tp_seg ack =
          SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1, .window = 0xffff);
      ack.opts.present = PTCP_OPT_WSCALE;
      ack.opts.wscale = 0;
      rejected(c, 30 * MS, ack, PTCP_VERDICT_ACCEPT, PTCP_R_NONE, 0, "WS on an ACK");
    }
  }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Malformed options and headers: the codec's error, nothing changes   */

START_TEST(test_hostile_malformed_segments) {
  static const struct {
    const char *name;
    uint8_t opts[12];
    size_t optlen;
    int data_offset; /* 0: from optlen */
    size_t cut;      /* bytes cut off the end */
    int bad_checksum;
    int err;
  } cases[] = {
      {"unknown option, length 0", {0xfe, 0, 0, 0}, 4, 0, 0, 0, PTCP_ERR_OPT_LEN},
      {"unknown option, length 1", {0xfe, 1, 0, 0}, 4, 0, 0, 0, PTCP_ERR_OPT_LEN},
      {"MSS, length 0", {2, 0, 0, 0}, 4, 0, 0, 0, PTCP_ERR_OPT_LEN},
      {"timestamps, length 1", {1, 1, 8, 1}, 4, 0, 0, 0, PTCP_ERR_OPT_LEN},
      {"SACK, length 0 after NOPs", {1, 1, 5, 0}, 4, 0, 0, 0, PTCP_ERR_OPT_LEN},
      {"length byte missing", {1, 1, 1, 3}, 4, 0, 0, 0, PTCP_ERR_OPT_OVERRUN},
      {"length past the header", {0xfe, 10, 0, 0}, 4, 0, 0, 0, PTCP_ERR_OPT_OVERRUN},
      {"MSS of 3 bytes", {2, 3, 0, 0}, 4, 0, 0, 0, PTCP_ERR_OPT_SIZE},
      {"window scale of 4 bytes", {3, 4, 0, 0}, 4, 0, 0, 0, PTCP_ERR_OPT_SIZE},
      {"two MSS options", {2, 4, 5, 0xb4, 2, 4, 5, 0xb4}, 8, 0, 0, 0, PTCP_ERR_OPT_DUP},
      {"data offset 4", {0}, 0, 4, 0, 0, PTCP_ERR_DATA_OFFSET},
      {"data offset 0", {0}, 0, -1, 0, 0, PTCP_ERR_DATA_OFFSET},
      {"data offset beyond the segment", {0}, 0, 15, 0, 0, PTCP_ERR_DATA_OFFSET},
      {"19 bytes", {0}, 0, 0, 1, 0, PTCP_ERR_TRUNCATED},
      {"bad checksum", {0}, 0, 0, 0, 1, PTCP_ERR_CHECKSUM},
  };
  /* At a connection, at a listener, and at a closed port. */
  for (int where = 0; where < 3; where++) {
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
      uint8_t b[128];
      size_t n;
      ptcp_conn *c = NULL;
      tp_snap before, after;
      ptcp_stack_stats s0, s1;
      uint8_t flags = PTCP_ACK;
      int rv;

      reinit(NULL);
      if (where == 0) {
        c = tp_established(&t, 0);
        tp_snap_take(c, &before);
      } else if (where == 1) {
        c = tp_listen(&t, 80, 4);
        flags = PTCP_SYN;
      } else {
        t.local_port = 81;
        flags = PTCP_SYN;
      }
      n = raw(b, t.remote_port, t.local_port, flags, TP_IRS + (where == 0), TP_ISS + 1,
              cases[i].opts, cases[i].optlen, 0);
      if (cases[i].data_offset > 0)
        b[12] = (uint8_t)(cases[i].data_offset << 4);
      else if (cases[i].data_offset < 0)
        b[12] = 0;
      s0 = stats();
      /* A valid checksum everywhere but in the checksum case (a zero
       * checksum field is wrong for this segment). */
      rv = tp_send_raw(&t, 10 * MS, b, n - cases[i].cut, !cases[i].bad_checksum);
      s1 = stats();
      ck_assert_msg(rv == cases[i].err, "%d/%s: returned %s, expected %s", where,
                    cases[i].name, ptcp_err_name(rv), ptcp_err_name(cases[i].err));
      tp_expect_nothing(&t);
      ck_assert_msg(s1.malformed == s0.malformed + 1 && s1.conns == s0.conns,
                    "%d/%s: not counted, or a connection appeared", where, cases[i].name);
      ck_assert_uint_eq(
          s1.reasons[cases[i].bad_checksum ? PTCP_R_BAD_CHECKSUM : PTCP_R_MALFORMED],
          s0.reasons[cases[i].bad_checksum ? PTCP_R_BAD_CHECKSUM : PTCP_R_MALFORMED] + 1);
      if (where == 0) {
        tp_snap_take(c, &after);
        ck_assert_msg(tp_snap_same(&before, &after), "%s: the connection changed",
                      cases[i].name);
      }
      if (where == 1)
        ck_assert_ptr_null(tp_half_open(&t));
    }
  }
}
END_TEST

/* Legal but unusual option areas are walked in full (RFC 9293 MUST-5,
 * MUST-6, MUST-64): unknown kinds skipped, NOPs anywhere, an MSS off the
 * word boundary, and whatever follows EOL ignored. */
START_TEST(test_hostile_odd_but_legal_options) {
  static const struct {
    const char *name;
    uint8_t opts[40];
    size_t optlen;
    uint16_t mss;
  } cases[] = {
      {"40 NOPs",
       {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
       40,
       536},
      {"MSS off the word boundary", {1, 2, 4, 0x04, 0x00, 1, 1, 0}, 8, 1024},
      {"unknown kinds around MSS",
       {0xfe, 2, 2, 4, 0x03, 0x00, 0x99, 3, 0, 1, 1, 1},
       12,
       768},
      {"garbage after EOL", {2, 4, 0x02, 0x00, 0, 0xfe, 0, 0xff}, 8, 512},
      {"EOL first", {0, 2, 0, 0}, 4, 536},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    uint8_t b[128];
    size_t n;
    ptcp_conn *c;
    reinit(NULL);
    tp_listen(&t, 80, 4);
    n = raw(b, t.remote_port, 80, PTCP_SYN, TP_IRS, 0, cases[i].opts, cases[i].optlen, 0);
    ck_assert_msg(tp_send_raw(&t, 0, b, n, 1) == 0, "%s: rejected", cases[i].name);
    tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
    ck_assert_int_eq(
        tp_send(&t, 10 * MS,
                SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1)),
        0);
    ck_assert_int_eq(ptcp_conn_accept(t.listener, &c), 0);
    ck_assert_msg(status_of(c).snd_mss == cases[i].mss, "%s: MSS %u, expected %u",
                  cases[i].name, status_of(c).snd_mss, cases[i].mss);
  }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Flag combinations                                                   */

START_TEST(test_hostile_flags_established) {
  static const struct {
    const char *name;
    uint8_t flags;
    uint32_t len;
    uint32_t off; /* from RCV.NXT */
    ptcp_verdict v;
    ptcp_reason r;
    int acks;
  } cases[] = {
      /* RFC 9293 fifth check: "if the ACK bit is off, drop the segment". */
      {"no flags", 0, 0, 0, PTCP_VERDICT_DROP, PTCP_R_NO_ACK, 0},
      {"no flags, data", 0, 10, 0, PTCP_VERDICT_DROP, PTCP_R_NO_ACK, 0},
      {"FIN only", PTCP_FIN, 0, 0, PTCP_VERDICT_DROP, PTCP_R_NO_ACK, 0},
      {"FIN only, data", PTCP_FIN, 10, 0, PTCP_VERDICT_DROP, PTCP_R_NO_ACK, 0},
      {"PSH only, data", PTCP_PSH, 10, 0, PTCP_VERDICT_DROP, PTCP_R_NO_ACK, 0},
      {"URG only", PTCP_URG, 10, 0, PTCP_VERDICT_DROP, PTCP_R_NO_ACK, 0},
      {"FIN,PSH,URG", PTCP_FIN | PTCP_PSH | PTCP_URG, 10, 0, PTCP_VERDICT_DROP,
       PTCP_R_NO_ACK, 0},
      {"ECE,CWR, no ACK", PTCP_ECE | PTCP_CWR, 0, 0, PTCP_VERDICT_DROP, PTCP_R_NO_ACK, 0},
      /* Out of the window the first check answers, whatever the flags. */
      {"no flags, far right", 0, 0, 1000000, PTCP_VERDICT_ACK, PTCP_R_OUT_OF_WINDOW, 1},
      /* SYN,FIN and SYN,RST: the RST, then the SYN check decides. */
      {"SYN,FIN exact", PTCP_SYN | PTCP_FIN, 0, 0, PTCP_VERDICT_CHALLENGE,
       PTCP_R_SYN_SYNCHRONIZED, 1},
      {"SYN,FIN with data", PTCP_SYN | PTCP_FIN | PTCP_ACK, 10, 5, PTCP_VERDICT_CHALLENGE,
       PTCP_R_SYN_SYNCHRONIZED, 1},
      {"SYN,RST in window", PTCP_SYN | PTCP_RST, 0, 5, PTCP_VERDICT_CHALLENGE,
       PTCP_R_RST_IN_WINDOW, 1},
      {"every flag, in window", 0xff, 0, 5, PTCP_VERDICT_CHALLENGE, PTCP_R_RST_IN_WINDOW,
       1},
      {"every flag but RST, in window", 0xfb, 10, 5, PTCP_VERDICT_CHALLENGE,
       PTCP_R_SYN_SYNCHRONIZED, 1},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    ptcp_conn *c;
    reinit(NULL);
    c = tp_established(&t, 0);
    rejected_at(c, 10 * MS,
                SEG(.flags = cases[i].flags, .seq = TP_IRS + 1 + cases[i].off,
                    .ack = TP_ISS + 1, .len = cases[i].len),
                cases[i].v, cases[i].r, cases[i].acks, cases[i].name, __LINE__);
  }
}
END_TEST

START_TEST(test_hostile_flags_listen_syn_sent_closed) {
  static const uint8_t odd[] = {0,
                                PTCP_FIN,
                                PTCP_PSH,
                                PTCP_URG,
                                PTCP_FIN | PTCP_PSH | PTCP_URG,
                                PTCP_ECE | PTCP_CWR};
  for (size_t i = 0; i < sizeof(odd); i++) {
    ptcp_conn *c;
    ptcp_stack_stats s0;
    tp_snap before, after;
    /* LISTEN: neither SYN, ACK nor RST: dropped (RFC 9293 §3.10.7.2). */
    reinit(NULL);
    tp_listen(&t, 80, 4);
    s0 = stats();
    ck_assert_int_eq(tp_send(&t, 0, SEG(.flags = odd[i], .seq = 7, .len = 3)), 0);
    tp_expect_nothing(&t);
    ck_assert_int_eq(t.last_reason, PTCP_R_LISTEN_BAD);
    ck_assert_uint_eq(stats().conns, s0.conns);
    /* SYN-SENT: neither SYN nor RST: dropped (§3.10.7.3 fifth). */
    reinit(NULL);
    c = tp_syn_sent(&t, 0);
    tp_snap_take(c, &before);
    ck_assert_int_eq(tp_send(&t, 10 * MS, SEG(.flags = odd[i], .seq = 7, .len = 3)), 0);
    tp_expect_nothing(&t);
    ck_assert_int_eq(t.last_reason, PTCP_R_NO_FLAGS);
    tp_snap_take(c, &after);
    ck_assert(tp_snap_same(&before, &after));
    /* No connection: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> (§3.10.7.1). */
    reinit(NULL);
    t.local_port = 81;
    ck_assert_int_eq(tp_send(&t, 0, SEG(.flags = odd[i], .seq = 7, .len = 3)), 0);
    tp_expect(&t, SEG(.flags = PTCP_RST | PTCP_ACK, .seq = 0,
                      .ack = 7 + 3 + ((odd[i] & PTCP_FIN) ? 1u : 0u)));
    ck_assert_int_eq(t.last_reason, PTCP_R_NO_CONNECTION);
  }
}
END_TEST

/* Data on a SYN is not taken (docs/engine.md): the SYN,ACK acknowledges
 * the SYN only, and the peer sends the data again once established. */
START_TEST(test_hostile_data_on_syn) {
  ptcp_conn *c;
  uint8_t buf[200];

  tp_listen(&t, 80, 4);
  ck_assert_int_eq(tp_send(&t, 0, SEG(.flags = PTCP_SYN, .seq = TP_IRS, .len = 100)), 0);
  tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
  ck_assert_int_eq(
      tp_send(&t, 10 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1)),
      0);
  ck_assert_int_eq(ptcp_conn_accept(t.listener, &c), 0);
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 10 * MS), PTCP_ERR_WOULD_BLOCK);
  ck_assert_int_eq(
      tp_send(&t, 20 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1, .len = 100)),
      0);
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 20 * MS), 100);
  /* The same on a SYN,ACK for an active open. */
  reinit(NULL);
  c = tp_syn_sent(&t, 0);
  ck_assert_int_eq(tp_send(&t, 10 * MS,
                           SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_IRS,
                               .ack = TP_ISS + 1, .len = 50)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 10 * MS), PTCP_ERR_WOULD_BLOCK);
  ck_assert_uint_eq(status_of(c).rcv_nxt, TP_IRS + 1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Addresses and ports                                                 */

START_TEST(test_hostile_port_zero) {
  uint8_t b[64];
  size_t n;
  ptcp_stack_stats s0;

  tp_listen(&t, 80, 4);
  s0 = stats();
  n = raw(b, 0, 80, PTCP_SYN, TP_IRS, 0, NULL, 0, 0);
  ck_assert_int_eq(tp_send_raw(&t, 0, b, n, 1), 0);
  n = raw(b, 40000, 0, PTCP_SYN, TP_IRS, 0, NULL, 0, 0);
  ck_assert_int_eq(tp_send_raw(&t, 0, b, n, 1), 0);
  n = raw(b, 0, 0, PTCP_ACK, TP_IRS, 1, NULL, 0, 0);
  ck_assert_int_eq(tp_send_raw(&t, 0, b, n, 1), 0);
  tp_expect_nothing(&t);
  ck_assert_uint_eq(stats().reasons[PTCP_R_PORT_ZERO], s0.reasons[PTCP_R_PORT_ZERO] + 3);
  ck_assert_uint_eq(stats().conns, s0.conns);
  ck_assert_ptr_null(tp_half_open(&t));
}
END_TEST

/* Land (CVE-1999-0016): a SYN from our own address and port to itself. */
START_TEST(test_hostile_land) {
  ptcp_stack_stats s0;

  tp_listen(&t, 80, 4);
  s0 = stats();
  ck_assert_int_eq(
      tp_send(&t, 0,
              SEG(.flags = PTCP_SYN, .seq = TP_IRS, .src = &t.local, .src_port = 80)),
      0);
  ck_assert_int_eq(tp_send(&t, 0,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS, .ack = 5,
                               .src = &t.local, .src_port = 80)),
                   0);
  tp_expect_nothing(&t);
  ck_assert_uint_eq(stats().reasons[PTCP_R_LAND], s0.reasons[PTCP_R_LAND] + 2);
  ck_assert_ptr_null(tp_half_open(&t));
  /* Our own address from another port is an ordinary peer. */
  ck_assert_int_eq(
      tp_send(&t, 10 * MS,
              SEG(.flags = PTCP_SYN, .seq = TP_IRS, .src = &t.local, .src_port = 81)),
      0);
  ck_assert_ptr_nonnull(tp_half_open(&t));
  tp_discard(&t);
}
END_TEST

/* RFC 9293 MUST-63 / RFC 1122 4.2.3.10: no connection from an address
 * nothing can answer; MUST-57: segments to broadcast or multicast
 * addresses (not ours) are silently discarded. */
static void bad_address_case(const char *src, const char *dst, ptcp_reason r) {
  ptcp_addr s, d;
  ptcp_stack_stats s0;
  ck_assert_int_eq(ptcp_addr_parse(&s, src), 0);
  ck_assert_int_eq(ptcp_addr_parse(&d, dst), 0);
  s0 = stats();
  ck_assert_int_eq(
      tp_send(&t, t.now, SEG(.flags = PTCP_SYN, .seq = TP_IRS, .src = &s, .dst = &d)), 0);
  ck_assert_int_eq(
      tp_send(&t, t.now,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS, .ack = 9, .src = &s, .dst = &d)),
      0);
  tp_expect_nothing(&t);
  ck_assert_msg(stats().reasons[r] == s0.reasons[r] + 2,
                "%s -> %s: reason %s not counted", src, dst, ptcp_reason_name(r));
  ck_assert_uint_eq(stats().conns, s0.conns);
  ck_assert_ptr_null(tp_half_open(&t));
}

START_TEST(test_hostile_bad_addresses_v4) {
  tp_listen(&t, 80, 4);
  bad_address_case("0.0.0.0", "10.0.0.1", PTCP_R_BAD_ADDRESS);
  bad_address_case("224.0.0.1", "10.0.0.1", PTCP_R_BAD_ADDRESS);
  bad_address_case("239.255.255.250", "10.0.0.1", PTCP_R_BAD_ADDRESS);
  bad_address_case("255.255.255.255", "10.0.0.1", PTCP_R_BAD_ADDRESS);
  bad_address_case("10.0.0.2", "10.0.0.99", PTCP_R_NOT_LOCAL);
  bad_address_case("10.0.0.2", "255.255.255.255", PTCP_R_NOT_LOCAL);
  bad_address_case("10.0.0.2", "224.0.0.1", PTCP_R_NOT_LOCAL);
  bad_address_case("10.0.0.2", "10.0.0.255", PTCP_R_NOT_LOCAL);
}
END_TEST

START_TEST(test_hostile_bad_addresses_v6) {
  tp_opts o = {.v6 = 1};
  reinit(&o);
  tp_listen(&t, 80, 4);
  bad_address_case("::", "2001:db8::1", PTCP_R_BAD_ADDRESS);
  bad_address_case("ff02::1", "2001:db8::1", PTCP_R_BAD_ADDRESS);
  bad_address_case("ff05::1:3", "2001:db8::1", PTCP_R_BAD_ADDRESS);
  bad_address_case("2001:db8::2", "2001:db8::99", PTCP_R_NOT_LOCAL);
  bad_address_case("2001:db8::2", "ff02::1", PTCP_R_NOT_LOCAL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Sequence arithmetic (lwIP 003d34ee, smoltcp 78fb02ac, 25d4f7c5)     */

START_TEST(test_hostile_seq_half_space) {
  static const struct {
    const char *name;
    uint32_t off;
    uint32_t len;
    uint8_t flags;
  } cases[] = {
      {"data 2^31 ahead", 0x80000000u, 10, PTCP_ACK},
      {"data 2^31 - 1 ahead", 0x7fffffffu, 10, PTCP_ACK},
      {"data 2^31 + 1 ahead", 0x80000001u, 10, PTCP_ACK},
      {"ACK 2^31 ahead", 0x80000000u, 0, PTCP_ACK},
      {"FIN 2^31 ahead", 0x80000000u, 0, PTCP_ACK | PTCP_FIN},
      {"data ending 2^31 ahead", 0x80000000u - 5, 10, PTCP_ACK},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    ptcp_conn *c;
    tp_snap before, after;
    reinit(NULL);
    c = tp_established(&t, 0);
    tp_snap_take(c, &before);
    ck_assert_int_eq(
        tp_send(&t, 10 * MS,
                SEG(.flags = cases[i].flags, .seq = TP_IRS + 1 + cases[i].off,
                    .ack = TP_ISS + 1, .len = cases[i].len)),
        0);
    ck_assert_msg(
        t.last_verdict == PTCP_VERDICT_ACK &&
            (t.last_reason == PTCP_R_OUT_OF_WINDOW || t.last_reason == PTCP_R_DUPLICATE),
        "%s: %s (%s)", cases[i].name, ptcp_verdict_name(t.last_verdict),
        ptcp_reason_name(t.last_reason));
    tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
    tp_snap_take(c, &after);
    ck_assert_msg(tp_snap_same(&before, &after), "%s: changed", cases[i].name);
    /* A RST that far away: silence. */
    rejected(c, 20 * MS, SEG(.flags = PTCP_RST, .seq = TP_IRS + 1 + cases[i].off),
             PTCP_VERDICT_DROP, PTCP_R_RST_OUT_OF_WINDOW, 0, cases[i].name);
  }
}
END_TEST

START_TEST(test_hostile_ack_half_space) {
  ptcp_conn *c = tp_established(&t, 0);
  const uint32_t una = TP_ISS + 1;

  rejected(c, 10 * MS,
           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = una + 0x80000000u),
           PTCP_VERDICT_ACK, PTCP_R_ACK_UNSENT, 1, "ACK 2^31 ahead");
  rejected(c, 20 * MS,
           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = una + 0x7fffffffu),
           PTCP_VERDICT_ACK, PTCP_R_ACK_UNSENT, 1, "ACK 2^31 - 1 ahead");
  rejected(c, 30 * MS,
           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = una + 0x80000001u),
           PTCP_VERDICT_ACK, PTCP_R_ACK_TOO_OLD, 1, "ACK 2^31 - 1 behind");
  rejected(c, 40 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = una + 1),
           PTCP_VERDICT_ACK, PTCP_R_ACK_UNSENT, 1, "ACK one past SND.NXT");
  /* RFC 5961 §5.2: more than MAX.SND.WND (65535) behind SND.UNA. */
  rejected(c, 50 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = una - 65536),
           PTCP_VERDICT_ACK, PTCP_R_ACK_TOO_OLD, 1, "ACK beyond MAX.SND.WND behind");
  /* Just inside: an old duplicate, ignored. */
  rejected(c, 60 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = una - 65535),
           PTCP_VERDICT_ACCEPT, PTCP_R_NONE, 0, "ACK MAX.SND.WND behind");
  /* With data on it: the data is not taken either. */
  rejected(c, 70 * MS,
           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = una + 0x80000000u, .len = 10),
           PTCP_VERDICT_ACK, PTCP_R_ACK_UNSENT, 1, "data with ACK 2^31 ahead");
  /* In SYN-RECEIVED: <SEQ=SEG.ACK><CTL=RST>, and no change. */
  reinit(NULL);
  tp_syn_received(&t, 0);
  c = tp_half_open(&t);
  {
    tp_snap before, after;
    tp_snap_take(c, &before);
    ck_assert_int_eq(tp_send(&t, 10 * MS,
                             SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1,
                                 .ack = TP_ISS + 1 + 0x80000000u)),
                     0);
    tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 1 + 0x80000000u));
    tp_snap_take(c, &after);
    ck_assert(tp_snap_same(&before, &after));
  }
  /* In SYN-SENT: <SEQ=SEG.ACK><CTL=RST>, and no change. */
  reinit(NULL);
  c = tp_syn_sent(&t, 0);
  {
    tp_snap before, after;
    tp_snap_take(c, &before);
    ck_assert_int_eq(tp_send(&t, 10 * MS,
                             SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_IRS,
                                 .ack = TP_ISS + 0x80000000u)),
                     0);
    ck_assert_int_eq(t.last_reason, PTCP_R_ACK_BAD_SYN_SENT);
    tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 0x80000000u));
    tp_snap_take(c, &after);
    ck_assert(tp_snap_same(&before, &after));
  }
}
END_TEST

/* Inbound SACK blocks are not used to send (docs/engine.md); whatever
 * they say, an ACK carrying them is just an ACK. */
START_TEST(test_hostile_sack_blocks) {
  static const ptcp_sack_block blocks[][4] = {
      {{0xfffffff0u, 0x10u}},
      {{TP_ISS + 100000, TP_ISS + 200000}},
      {{200, 100}},
      {{TP_ISS + 1, TP_ISS + 11}, {0, 0xffffffffu}, {0x7fffffffu, 0x80000001u}, {5, 5}},
  };
  static const unsigned counts[] = {1, 1, 1, 4};
  tp_opts o = {.no_ts = 1};
  tp_seg syn = SEG(.flags = PTCP_SYN, .seq = TP_IRS);
  ptcp_conn *c;

  reinit(&o);
  syn.opts.present = PTCP_OPT_MSS | PTCP_OPT_SACK_PERM;
  syn.opts.mss = 1460;
  tp_listen(&t, 80, 4);
  ck_assert_int_eq(tp_send(&t, 0, syn), 0);
  tp_discard(&t);
  ck_assert_int_eq(
      tp_send(&t, 10 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1)),
      0);
  ck_assert_int_eq(ptcp_conn_accept(t.listener, &c), 0);
  ck_assert(status_of(c).sack_ok);
  for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
    tp_seg a = SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1);
    a.opts.present = PTCP_OPT_SACK;
    a.opts.sack_count = (uint8_t)counts[i];
    memcpy(a.opts.sack, blocks[i], sizeof(blocks[i]));
    rejected_at(c, (20 + i) * MS, a, PTCP_VERDICT_ACCEPT, PTCP_R_NONE, 0, "SACK",
                __LINE__);
  }
  /* With data outstanding, an ACK with nonsense blocks acknowledges what
   * its ACK field says, no more. */
  ck_assert_int_eq(ptcp_conn_send(c, "0123456789", 10, 100 * MS), 10);
  tp_discard(&t);
  {
    tp_seg a = SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 6);
    a.opts.present = PTCP_OPT_SACK;
    a.opts.sack_count = 2;
    a.opts.sack[0].left = TP_ISS + 8;
    a.opts.sack[0].right = TP_ISS + 0x80000000u;
    a.opts.sack[1].left = 0xfffffffeu;
    a.opts.sack[1].right = 3;
    ck_assert_int_eq(tp_send(&t, 110 * MS, a), 0);
    ck_assert_uint_eq(status_of(c).snd_una, TP_ISS + 6);
    ck_assert_uint_eq(status_of(c).send_queued, 5);
  }
}
END_TEST

/* ISN 0xffffffff on both sides: handshake, data and FIN across the wrap. */
START_TEST(test_hostile_isn_wrap) {
  tp_opts o = {.isn = "counter:start=4294967295,step=0"};
  ptcp_conn *c;
  uint8_t buf[300];
  const uint32_t peer = 0xfffffff0u;

  reinit(&o);
  tp_listen(&t, 80, 4);
  ck_assert_int_eq(tp_send(&t, 0, SEG(.flags = PTCP_SYN, .seq = 0xffffffffu)), 0);
  tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = 0xffffffffu, .ack = 0));
  ck_assert_int_eq(tp_send(&t, 10 * MS, SEG(.flags = PTCP_ACK, .seq = 0, .ack = 0)), 0);
  ck_assert_int_eq(ptcp_conn_accept(t.listener, &c), 0);
  ck_assert_int_eq(
      tp_send(&t, 20 * MS, SEG(.flags = PTCP_ACK, .seq = 0, .ack = 0, .len = 200)), 0);
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 20 * MS), 200);
  ck_assert_int_eq(ptcp_conn_send(c, buf, 100, 20 * MS), 100);
  tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = 0, .ack = 200, .len = 100));
  ck_assert_int_eq(ptcp_conn_shutdown(c, 30 * MS), 0);
  tp_expect(&t, SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = 100, .ack = 200));
  ck_assert_int_eq(
      tp_send(&t, 40 * MS, SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = 200, .ack = 101)), 0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = 101, .ack = 201));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_TIME_WAIT);
  /* The peer's sequence space straddling the wrap, out of order. */
  reinit(NULL);
  tp_listen(&t, 80, 4);
  ck_assert_int_eq(tp_send(&t, 0, SEG(.flags = PTCP_SYN, .seq = peer)), 0);
  tp_discard(&t);
  ck_assert_int_eq(
      tp_send(&t, 10 * MS, SEG(.flags = PTCP_ACK, .seq = peer + 1, .ack = TP_ISS + 1)),
      0);
  ck_assert_int_eq(ptcp_conn_accept(t.listener, &c), 0);
  fill_pattern();
  ck_assert_int_eq(tp_send(&t, 20 * MS,
                           SEG(.flags = PTCP_ACK, .seq = peer + 1 + 30, .ack = TP_ISS + 1,
                               .len = 30, .data = pat + 30)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = peer + 1));
  ck_assert_uint_eq(status_of(c).ooo_bytes, 30);
  ck_assert_int_eq(tp_send(&t, 30 * MS,
                           SEG(.flags = PTCP_ACK, .seq = peer + 1, .ack = TP_ISS + 1,
                               .len = 30, .data = pat)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = peer + 61));
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 30 * MS), 60);
  ck_assert(memcmp(buf, pat, 60) == 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Resources: windows and queues (SegmentSmack, B16, B19, B40)          */

/* A segment larger than the window is trimmed to it (RFC 9293
 * §3.10.7.4: "only the portion inside the window is processed"). */
START_TEST(test_hostile_payload_beyond_window) {
  tp_opts o = {.rcvbuf = 4096};
  ptcp_conn *c;
  uint8_t buf[8192];
  const ptcp_seg *a;

  reinit(&o);
  tp_listen(&t, 80, 4);
  ck_assert_int_eq(tp_send(&t, 0, SEG(.flags = PTCP_SYN, .seq = TP_IRS)), 0);
  a = tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
  ck_assert_uint_eq(a->window, 4096);
  ck_assert_int_eq(
      tp_send(&t, 10 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1)),
      0);
  ck_assert_int_eq(ptcp_conn_accept(t.listener, &c), 0);
  ck_assert_int_eq(tp_send(&t, 20 * MS,
                           SEG(.flags = PTCP_ACK | PTCP_FIN, .seq = TP_IRS + 1,
                               .ack = TP_ISS + 1, .len = 8000)),
                   0);
  a = tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1 + 4096,
                        .any_window = 1));
  ck_assert_uint_eq(a->window, 0);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_ESTABLISHED); /* the FIN was beyond too */
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 20 * MS), 4096);
  for (int i = 0; i < 4096; i++)
    ck_assert_uint_eq(buf[i], tp_pattern((size_t)i));
  /* Reading it all opens the window again (receiver SWS: a full MSS). */
  a = tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1 + 4096));
  ck_assert_uint_eq(a->window, 4096);
  /* Out of order and straddling the right edge: trimmed to the edge. */
  ck_assert_int_eq(tp_send(&t, 30 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1 + 4096 + 3500,
                               .ack = TP_ISS + 1, .len = 1000)),
                   0);
  tp_discard(&t);
  ck_assert_uint_eq(status_of(c).ooo_bytes, 596);
  /* The biggest IPv4 segment there is, at a fresh 4 KiB window. */
  reinit(&o);
  c = tp_established(&t, 0);
  ck_assert_int_eq(
      tp_send(&t, 20 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1, .len = 65495)),
      0);
  tp_discard(&t);
  ck_assert_uint_eq(status_of(c).recv_queued, 4096);
  ck_assert_uint_eq(status_of(c).ooo_bytes, 0);
}
END_TEST

/* More gaps than PTCP_REASM_MAX: bounded, each extra segment's text is
 * dropped (and ACKed) without changing anything; what was kept is
 * delivered once the holes fill.  The kept ranges come first and
 * highest, so the extra segments (lower SEG.SEQ) do not even move the
 * send window bookkeeping (SND.WL1) that any acceptable segment may. */
START_TEST(test_hostile_out_of_order_flood) {
  ptcp_conn *c = tp_established(&t, 0);
  uint8_t buf[4096];
  ptcp_time now = 10 * MS;
  unsigned full = 0;

  fill_pattern();
  for (uint32_t off = 1000; off <= 1300; off += 100) {
    ck_assert_int_eq(tp_send(&t, now,
                             SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1 + off,
                                 .ack = TP_ISS + 1, .len = 10, .data = pat + off)),
                     0);
    ck_assert_int_eq(t.last_reason, PTCP_R_OUT_OF_ORDER);
    tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
    now += MS;
  }
  ck_assert_uint_eq(status_of(c).ooo_bytes, 40);
  for (uint32_t off = 100; off <= 900; off += 50) {
    rejected(c, now,
             SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1 + off, .ack = TP_ISS + 1, .len = 10,
                 .data = pat + off),
             PTCP_VERDICT_ACK, PTCP_R_OOO_FULL, 1, "gap beyond the bound");
    full++;
    now += MS;
  }
  ck_assert_uint_eq(status_of(c).ooo_bytes, 40);
  ck_assert_uint_eq(status_of(c).reasons[PTCP_R_OOO_FULL], full);
  /* Growing a range that is kept is still fine. */
  ck_assert_int_eq(tp_send(&t, now,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1 + 1005,
                               .ack = TP_ISS + 1, .len = 20, .data = pat + 1005)),
                   0);
  ck_assert_int_eq(t.last_reason, PTCP_R_OUT_OF_ORDER);
  tp_discard(&t);
  ck_assert_uint_eq(status_of(c).ooo_bytes, 55);
  /* The first hole: up to the end of the first range. */
  ck_assert_int_eq(tp_send(&t, now + MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1,
                               .len = 1000, .data = pat)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1 + 1025));
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), now + MS), 1025);
  ck_assert(memcmp(buf, pat, 1025) == 0);
  /* One retransmission covering the next two holes and both ranges
   * between them (a peer may repacketize): all delivered, no range left
   * behind below RCV.NXT. */
  ck_assert_int_eq(tp_send(&t, now + 2 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1 + 1025,
                               .ack = TP_ISS + 1, .len = 180, .data = pat + 1025)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1 + 1210));
  ck_assert_uint_eq(status_of(c).ooo_bytes, 10);
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), now + 2 * MS), 185);
  ck_assert(memcmp(buf, pat + 1025, 185) == 0);
  ck_assert_int_eq(tp_send(&t, now + 3 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1 + 1210,
                               .ack = TP_ISS + 1, .len = 90, .data = pat + 1210)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1 + 1310));
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), now + 3 * MS), 100);
  ck_assert(memcmp(buf, pat + 1210, 100) == 0);
  /* Nothing is left unread: CLOSE sends FIN, not RST. */
  ck_assert_int_eq(ptcp_conn_close(c, now + 4 * MS), 0);
  tp_expect(
      &t, SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1 + 1310));
}
END_TEST

/* The peer keeps its window at zero (sockstress, lwIP #50837): we probe
 * for as long as it answers (RFC 9293 MUST-36, MUST-37), and give up
 * after data_retries probes meet silence. */
START_TEST(test_hostile_zero_window_hold) {
  tp_opts o = {.data_retries = 4};
  ptcp_conn *c;
  ptcp_time now;
  unsigned probes = 0;

  reinit(&o);
  c = tp_established(&t, 0);
  ck_assert_int_eq(tp_send(&t, 20 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1,
                               .window_zero = 1)),
                   0);
  ck_assert_int_eq(ptcp_conn_send(c, "hello", 5, 30 * MS), 5);
  tp_expect_nothing(&t);
  /* An hour of probes, every one answered with a zero window. */
  for (now = 30 * MS; now < 3600 * SEC; now += 100 * MS) {
    tp_advance(&t, now);
    while (tp_pending(&t) > 0) {
      const ptcp_seg *p = tp_expect(
          &t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1, .len = 1));
      ck_assert_uint_eq(p->payload[0], 'h');
      probes++;
      ck_assert_int_eq(tp_send(&t, now,
                               SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1,
                                   .ack = TP_ISS + 1, .window_zero = 1)),
                       0);
    }
  }
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_ESTABLISHED);
  /* Probes back off to one a minute (RFC 9293 SHLD-30): about 60 in an
   * hour, all answered, and the connection stays up. */
  ck_assert_uint_gt(probes, 50);
  ck_assert_int_eq(t.ev.error, 0);
  /* The window opens: the probe byte and the four behind it go at once. */
  ck_assert_int_eq(tp_send(&t, now,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1,
                               .window = 1000)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1, .ack = TP_IRS + 1,
                    .len = 5));
  tp_expect_nothing(&t);
  now += 1 * MS;
  ck_assert_int_eq(tp_send(&t, now,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 6,
                               .window = 1000)),
                   0);
  tp_expect_nothing(&t);
  /* Closed again, and now the peer falls silent: 4 probes, then give up. */
  ck_assert_int_eq(tp_send(&t, now + MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 6,
                               .window_zero = 1)),
                   0);
  tp_expect_nothing(&t);
  ck_assert_int_eq(ptcp_conn_send(c, "world", 5, now + MS), 5);
  probes = 0;
  tp_advance(&t, now + 3600 * SEC);
  while (tp_pending(&t) > 0) {
    tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 6, .ack = TP_IRS + 1, .len = 1));
    probes++;
  }
  ck_assert_uint_eq(probes, 4);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSED);
  ck_assert_int_eq(t.ev.last_error, PTCP_ERR_TIMED_OUT);
}
END_TEST

/* RFC 5961 §7: challenge ACKs are limited per connection and second,
 * by the stack's cap and the dupfilter's own limit, whichever is lower;
 * a global counter would be a side channel (CVE-2016-5696). */
static unsigned challenges(ptcp_time at, unsigned n, int syn) {
  unsigned acks = 0;
  for (unsigned i = 0; i < n; i++) {
    ck_assert_int_eq(
        tp_send(&t, at + i * MS,
                SEG(.flags = syn ? PTCP_SYN : PTCP_RST, .seq = TP_IRS + 1 + 10 + i)),
        0);
    ck_assert(t.last_verdict == PTCP_VERDICT_CHALLENGE ||
              (t.last_verdict == PTCP_VERDICT_DROP &&
               t.last_reason == PTCP_R_CHALLENGE_LIMITED));
    while (tp_pending(&t) > 0) {
      tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
      acks++;
    }
  }
  return acks;
}

START_TEST(test_hostile_challenge_ack_limit) {
  ptcp_conn *c, *d;

  /* Defaults: 10 a second. */
  c = tp_established(&t, 0);
  ck_assert_uint_eq(challenges(100 * MS, 25, 0), 10);
  ck_assert_uint_eq(status_of(c).reasons[PTCP_R_CHALLENGE_LIMITED], 15);
  /* SYN challenges share the budget. */
  ck_assert_uint_eq(challenges(300 * MS, 5, 1), 0);
  /* The next second: 10 more. */
  ck_assert_uint_eq(challenges(1200 * MS, 25, 1), 10);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_ESTABLISHED);
  /* Per connection: a second connection has its own budget. */
  t.remote_port = 40001;
  ck_assert_int_eq(tp_send(&t, 1300 * MS, SEG(.flags = PTCP_SYN, .seq = TP_IRS)), 0);
  tp_discard(&t);
  ck_assert_int_eq(tp_send(&t, 1310 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1)),
                   0);
  ck_assert_int_eq(ptcp_conn_accept(t.listener, &d), 0);
  ck_assert_uint_eq(challenges(1400 * MS, 12, 0), 10);
  t.remote_port = 40000;
  ck_assert_uint_eq(challenges(1500 * MS, 3, 0), 0);
  /* The stack's cap is a hard limit below the policy's. */
  {
    tp_opts o = {.challenge_ack_limit = 3,
                 .policy[PTCP_SLOT_DUPFILTER] = "rfc9293:limit=1000"};
    reinit(&o);
    tp_established(&t, 0);
    ck_assert_uint_eq(challenges(100 * MS, 20, 0), 3);
  }
  /* The policy's limit below the stack's cap. */
  {
    tp_opts o = {.policy[PTCP_SLOT_DUPFILTER] = "rfc9293:limit=2"};
    reinit(&o);
    tp_established(&t, 0);
    ck_assert_uint_eq(challenges(100 * MS, 20, 1), 2);
  }
}
END_TEST

/* A dupfilter that accepts every ACK (a broken or permissive policy):
 * the core's own limits still hold, on every path. */
static const ptcp_dupfilter_ops *base_df;

static ptcp_df_verdict lax_check_seq(void *st, const void *p, const ptcp_seg_ctx *c,
                                     ptcp_reason *why) {
  return base_df->check_seq(st, p, c, why);
}
static ptcp_df_verdict lax_check_rst(void *st, const void *p, const ptcp_seg_ctx *c,
                                     ptcp_reason *why) {
  return base_df->check_rst(st, p, c, why);
}
static ptcp_df_verdict lax_check_syn(void *st, const void *p, const ptcp_seg_ctx *c,
                                     ptcp_reason *why) {
  return base_df->check_syn(st, p, c, why);
}
static ptcp_df_verdict lax_check_ack(void *st, const void *p, const ptcp_seg_ctx *c,
                                     ptcp_reason *why) {
  (void)st;
  (void)p;
  (void)c;
  *why = PTCP_R_NONE;
  return PTCP_DF_ACCEPT;
}

static const ptcp_dupfilter_ops lax_df = {
    .info = {.abi = PTCP_POLICY_ABI,
             .slot = PTCP_SLOT_DUPFILTER,
             .name = "laxack",
             .summary = "test: rfc9293, but every ACK accepted",
             .state_size = 16},
    .check_seq = lax_check_seq,
    .check_rst = lax_check_rst,
    .check_syn = lax_check_syn,
    .check_ack = lax_check_ack,
};

START_TEST(test_hostile_lax_policy_cannot_ack_unsent) {
  ptcp_conn_cfg cfg;
  ptcp_conn *l, *c;
  tp_snap before, after;

  base_df = (const ptcp_dupfilter_ops *)ptcp_registry_find(t.reg, PTCP_SLOT_DUPFILTER,
                                                           "rfc9293");
  ck_assert_ptr_nonnull(base_df);
  ck_assert_int_eq(ptcp_registry_add(t.reg, &lax_df.info), 0);
  ptcp_conn_cfg_default(&cfg);
  cfg.rcvbuf = 1000;
  cfg.policy[PTCP_SLOT_DUPFILTER] = "laxack";
  ck_assert_int_eq(ptcp_conn_new(t.stack, &cfg, &l), 0);
  ck_assert_int_eq(ptcp_conn_bind(l, NULL, 80), 0);
  ck_assert_int_eq(ptcp_conn_listen(l, 4), 0);
  t.listener = l;
  ck_assert_int_eq(tp_send(&t, 0, SEG(.flags = PTCP_SYN, .seq = TP_IRS)), 0);
  tp_discard(&t);
  ck_assert_int_eq(
      tp_send(&t, 10 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1)),
      0);
  ck_assert_int_eq(ptcp_conn_accept(l, &c), 0);
  ck_assert_int_eq(ptcp_conn_send(c, "0123456789", 10, 20 * MS), 10);
  tp_discard(&t);
  /* An ACK far beyond SND.MAX, in order: refused by the core. */
  rejected(c, 30 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 5000),
           PTCP_VERDICT_ACK, PTCP_R_ACK_UNSENT, 1, "ACK beyond SND.MAX");
  /* Fill our receive window, then the same ACK on a zero-window probe:
   * the allowance for valid ACKs must not take it either. */
  ck_assert_int_eq(
      tp_send(&t, 40 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1, .len = 1000)),
      0);
  tp_discard(&t);
  ck_assert_uint_eq(status_of(c).rcv_wnd, 0);
  tp_snap_take(c, &before);
  ck_assert_int_eq(tp_send(&t, 50 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1001,
                               .ack = TP_ISS + 5000, .len = 1)),
                   0);
  ck_assert_int_eq(t.last_reason, PTCP_R_ZERO_WINDOW);
  tp_snap_take(c, &after);
  ck_assert(tp_snap_same(&before, &after));
  ck_assert_uint_eq(status_of(c).snd_una, TP_ISS + 1);
  tp_discard(&t);
  /* A valid ACK on a zero-window probe is taken (RFC 9293 §3.10.7.4). */
  ck_assert_int_eq(
      tp_send(&t, 60 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1001, .ack = TP_ISS + 11, .len = 1)),
      0);
  ck_assert_uint_eq(status_of(c).snd_una, TP_ISS + 11);
  tp_discard(&t);
}
END_TEST

/* Closing while our receive window is zero: the peer's zero-window
 * probe acknowledges our FIN.  Its ACK counts (FIN-WAIT-2 follows) and
 * no second FIN is ever sent. */
START_TEST(test_hostile_zero_window_probe_acks_fin) {
  tp_opts o = {.rcvbuf = 1000};
  ptcp_conn *c;

  reinit(&o);
  c = tp_established(&t, 0);
  ck_assert_int_eq(
      tp_send(&t, 10 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1, .len = 1000)),
      0);
  tp_discard(&t);
  ck_assert_int_eq(ptcp_conn_shutdown(c, 20 * MS), 0);
  tp_expect(&t,
            SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1001));
  ck_assert_int_eq(
      tp_send(&t, 30 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1001, .ack = TP_ISS + 2, .len = 1)),
      0);
  ck_assert_int_eq(t.last_reason, PTCP_R_ZERO_WINDOW);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 2, .ack = TP_IRS + 1001));
  tp_expect_nothing(&t);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_FIN_WAIT_2);
  {
    ptcp_conn_status st = status_of(c);
    ck_assert_uint_eq(st.snd_una, TP_ISS + 2);
    ck_assert_uint_eq(st.snd_max, TP_ISS + 2);
  }
  /* Nothing more goes out, and the peer's FIN (after the app read)
   * completes the close. */
  tp_advance(&t, 10 * SEC);
  tp_expect_nothing(&t);
}
END_TEST

/* MUST-66: a RST and URG are processed even with the window at zero. */
START_TEST(test_hostile_rst_and_urg_with_zero_window) {
  tp_opts o = {.rcvbuf = 1000};
  ptcp_conn *c;

  reinit(&o);
  c = tp_established(&t, 0);
  ck_assert_int_eq(
      tp_send(&t, 10 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1, .len = 1000)),
      0);
  tp_discard(&t);
  ck_assert_uint_eq(status_of(c).rcv_wnd, 0);
  ck_assert_int_eq(
      tp_send(&t, 15 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1001, .ack = TP_ISS + 1)),
      0);
  rejected(c, 20 * MS,
           SEG(.flags = PTCP_ACK | PTCP_URG, .seq = TP_IRS + 1001, .ack = TP_ISS + 1,
               .urgent = 5),
           PTCP_VERDICT_ACCEPT, PTCP_R_NONE, 0, "URG with a zero window");
  rejected(c, 30 * MS, SEG(.flags = PTCP_RST, .seq = TP_IRS + 1002), PTCP_VERDICT_DROP,
           PTCP_R_RST_OUT_OF_WINDOW, 0, "RST past a zero window");
  ck_assert_int_eq(tp_send(&t, 40 * MS, SEG(.flags = PTCP_RST, .seq = TP_IRS + 1001)), 0);
  ck_assert_int_eq(t.last_verdict, PTCP_VERDICT_RESET);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSED);
  ck_assert_int_eq(t.ev.last_error, PTCP_ERR_CONN_RESET);
}
END_TEST

Suite *ptcp_hostile_suite(void) {
  Suite *s = suite_create("hostile");
  TCase *tc = tcase_create("inputs");

  tcase_set_timeout(tc, 60);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_hostile_urgent_pointer);
  tcase_add_test(tc, test_hostile_urgent_pointer_without_data);
  tcase_add_test(tc, test_hostile_mss_option);
  tcase_add_test(tc, test_hostile_mss_option_on_syn_ack_and_later);
  tcase_add_test(tc, test_hostile_window_scale);
  tcase_add_test(tc, test_hostile_malformed_segments);
  tcase_add_test(tc, test_hostile_odd_but_legal_options);
  tcase_add_test(tc, test_hostile_flags_established);
  tcase_add_test(tc, test_hostile_flags_listen_syn_sent_closed);
  tcase_add_test(tc, test_hostile_data_on_syn);
  tcase_add_test(tc, test_hostile_port_zero);
  tcase_add_test(tc, test_hostile_land);
  tcase_add_test(tc, test_hostile_bad_addresses_v4);
  tcase_add_test(tc, test_hostile_bad_addresses_v6);
  tcase_add_test(tc, test_hostile_seq_half_space);
  tcase_add_test(tc, test_hostile_ack_half_space);
  tcase_add_test(tc, test_hostile_sack_blocks);
  tcase_add_test(tc, test_hostile_isn_wrap);
  tcase_add_test(tc, test_hostile_payload_beyond_window);
  tcase_add_test(tc, test_hostile_out_of_order_flood);
  tcase_add_test(tc, test_hostile_zero_window_hold);
  tcase_add_test(tc, test_hostile_challenge_ack_limit);
  tcase_add_test(tc, test_hostile_lax_policy_cannot_ack_unsent);
  tcase_add_test(tc, test_hostile_zero_window_probe_acks_fin);
  tcase_add_test(tc, test_hostile_rst_and_urg_with_zero_window);
  suite_add_tcase(s, tc);
  return s;
}

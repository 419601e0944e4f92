/*
 * Engine features that need their own scenarios: window scaling,
 * timestamps, SACK generation, receive-window flow control, zero-window
 * probing, Nagle, delayed ACKs, keep-alives, the FIN-WAIT-2 limit, and
 * the byte stream's integrity over a lossy, duplicating, reordering
 * path.  Scripted peer unless said otherwise; every step names its time.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "tcp_harness.h"

Suite *ptcp_engine_suite(void);

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

/* Passive open with the peer's SYN options |o|; returns the accepted
 * connection and the SYN,ACK in |sa| (copied). */
static ptcp_conn *open_with(const ptcp_opts *o, uint16_t ack_window, ptcp_seg *sa) {
  tp_seg syn = SEG(.flags = PTCP_SYN, .seq = TP_IRS);
  const ptcp_seg *g;
  ptcp_conn *c;

  syn.opts = *o;
  tp_listen(&t, 80, 4);
  ck_assert_int_eq(tp_send(&t, 0, syn), 0);
  g = tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
  if (sa != NULL)
    *sa = *g;
  {
    tp_seg ack = SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1,
                     .window = ack_window, .window_zero = ack_window == 0);
    if (o->present & PTCP_OPT_TS) {
      ack.opts.present = PTCP_OPT_TS;
      ack.opts.ts_val = o->ts_val + 1;
      ack.opts.ts_ecr = g->opts.ts_val;
    }
    ck_assert_int_eq(tp_send(&t, 10 * MS, ack), 0);
  }
  tp_expect_nothing(&t);
  ck_assert_int_eq(ptcp_conn_accept(t.listener, &c), 0);
  t.conn = c;
  return c;
}

/* ------------------------------------------------------------------ */
/* Window scaling (RFC 7323 §2)                                        */

START_TEST(test_engine_window_scaling_passive) {
  tp_opts o = {.policy[PTCP_SLOT_CC] = "none"};
  ptcp_opts so = {.present = PTCP_OPT_MSS | PTCP_OPT_WSCALE, .mss = 1460, .wscale = 7};
  ptcp_seg sa;
  ptcp_conn *c;
  uint8_t data[20000];
  uint32_t sent = 0;

  reinit(&o);
  c = open_with(&so, 100, &sa);
  /* Our SYN,ACK: the shift for 256 KiB (3), and an unscaled window. */
  ck_assert(sa.opts.present & PTCP_OPT_WSCALE);
  ck_assert_uint_eq(sa.opts.wscale, 3);
  ck_assert_uint_eq(sa.window, 65535);
  /* The peer's window is scaled by its shift from the first non-SYN on. */
  ck_assert_uint_eq(status_of(c).snd_wnd, 100u << 7);
  ck_assert_uint_eq(status_of(c).snd_wscale, 7);
  ck_assert_uint_eq(status_of(c).rcv_wscale, 3);
  /* We send up to that window and no further (full segments only: the
   * tail waits for a real share of the window, RFC 9293 §3.8.6.2.1). */
  memset(data, 'w', sizeof(data));
  ck_assert_int_eq(ptcp_conn_send(c, data, sizeof(data), 20 * MS), 20000);
  while (tp_pending(&t) > 0) {
    const ptcp_seg *g = &t.out[t.head++].seg;
    ck_assert_uint_eq(g->seq, TP_ISS + 1 + sent);
    sent += (uint32_t)g->payload_len;
  }
  ck_assert_uint_eq(sent, 8 * 1460);
  ck_assert_uint_le(sent, 100u << 7);
  /* Our window field is scaled down by our shift. */
  ck_assert_int_eq(tp_send(&t, 30 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1,
                               .ack = TP_ISS + 1 + sent, .window = 100, .len = 1000)),
                   0);
  tp_advance(&t, 30 * MS + 200 * MS);
  {
    const ptcp_seg *g =
        tp_expect(&t, SEG(.flags = PTCP_ACK, .any_seq = 1, .ack = TP_IRS + 1001,
                          .any_window = 1, .len = 1460));
    ck_assert_uint_eq(g->window, (256 * 1024 - 1000) >> 3);
  }
  tp_discard(&t);
}
END_TEST

START_TEST(test_engine_window_scaling_active_and_off) {
  ptcp_conn *c;
  const ptcp_seg *s;
  tp_seg sa =
      SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_IRS, .ack = TP_ISS + 1, .window = 1000);

  /* Our SYN offers the shift with an unscaled window (RFC 7323 §2.2). */
  ck_assert_int_eq(ptcp_conn_new(t.stack, NULL, &c), 0);
  ck_assert_int_eq(ptcp_conn_bind(c, NULL, 40001), 0);
  t.local_port = 40001;
  t.remote_port = 80;
  ck_assert_int_eq(ptcp_conn_connect(c, &t.remote, 80, 0), 0);
  s = tp_expect(&t, SEG(.flags = PTCP_SYN, .seq = TP_ISS));
  ck_assert(s->opts.present & PTCP_OPT_WSCALE);
  ck_assert_uint_eq(s->opts.wscale, 3);
  ck_assert_uint_eq(s->window, 65535);
  /* The SYN,ACK's window is not scaled; the ACK's after it is. */
  sa.opts.present = PTCP_OPT_MSS | PTCP_OPT_WSCALE;
  sa.opts.mss = 1460;
  sa.opts.wscale = 2;
  ck_assert_int_eq(tp_send(&t, 10 * MS, sa), 0);
  tp_discard(&t);
  ck_assert_uint_eq(status_of(c).snd_wnd, 1000);
  ck_assert_int_eq(tp_send(&t, 20 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1,
                               .window = 1000)),
                   0);
  ck_assert_uint_eq(status_of(c).snd_wnd, 4000);
  /* A peer that does not offer it: neither side scales. */
  reinit(NULL);
  c = tp_established_active(&t, 0);
  ck_assert_int_eq(status_of(c).wscale_ok, 0);
  ck_assert_uint_eq(status_of(c).rcv_wscale, 0);
  ck_assert_int_eq(ptcp_conn_send(c, "x", 1, 20 * MS), 1);
  s = tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1,
                        .ack = TP_IRS + 1, .len = 1, .any_window = 1));
  ck_assert_uint_eq(s->window, 65535);
  /* Scaling turned off: not offered. */
  {
    tp_opts o = {.no_ws = 1};
    reinit(&o);
    c = tp_syn_sent(&t, 0);
    ck_assert(!(t.out[0].seg.opts.present & PTCP_OPT_WSCALE));
  }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Timestamps (RFC 7323 §3, §4.3)                                      */

static uint32_t tsecr_of_next_ack(uint32_t ack) {
  const ptcp_seg *g = tp_expect(&t, SEG(.flags = PTCP_ACK, .any_seq = 1, .ack = ack));
  ck_assert(g->opts.present & PTCP_OPT_TS);
  return g->opts.ts_ecr;
}

static tp_seg ts_data(uint32_t off, uint32_t len, uint32_t tsval) {
  tp_seg s =
      SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1 + off, .ack = TP_ISS + 1, .len = len);
  s.opts.present = PTCP_OPT_TS;
  s.opts.ts_val = tsval;
  s.opts.ts_ecr = 1;
  return s;
}

START_TEST(test_engine_timestamps_echo) {
  tp_opts o = {.no_delack = 1};
  ptcp_opts so = {.present = PTCP_OPT_MSS | PTCP_OPT_TS, .mss = 1460, .ts_val = 100};
  ptcp_seg sa;
  ptcp_conn *c;
  uint32_t tsval0;

  reinit(&o);
  c = open_with(&so, 0xffff, &sa);
  /* The SYN,ACK echoes the SYN's TSval and carries ours. */
  ck_assert(sa.opts.present & PTCP_OPT_TS);
  ck_assert_uint_eq(sa.opts.ts_ecr, 100);
  tsval0 = sa.opts.ts_val;
  ck_assert(status_of(c).ts_ok);
  /* Every later segment carries TS too (RFC 7323 §3.2), and our clock
   * ticks in milliseconds from a random offset (§5.4). */
  ck_assert_int_eq(tp_send(&t, 1000 * MS, ts_data(0, 10, 200)), 0);
  {
    const ptcp_seg *g =
        tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 11));
    ck_assert(g->opts.present & PTCP_OPT_TS);
    ck_assert_uint_eq(g->opts.ts_ecr, 200);
    ck_assert_uint_eq(g->opts.ts_val - tsval0, 1000);
  }
  /* A peer without timestamps gets none. */
  reinit(&o);
  {
    ptcp_opts none = {.present = PTCP_OPT_MSS, .mss = 1460};
    c = open_with(&none, 0xffff, &sa);
  }
  ck_assert(!(sa.opts.present & PTCP_OPT_TS));
  ck_assert_int_eq(ptcp_conn_send(c, "x", 1, 20 * MS), 1);
  ck_assert(!(tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1,
                                .ack = TP_IRS + 1, .len = 1))
                  ->opts.present &
              PTCP_OPT_TS));
}
END_TEST

/* RFC 7323 §4.3: TS.Recent takes SEG.TSval only from a segment that is
 * not older (SEG.TSval >= TS.Recent) and that covers the left edge of
 * what we acknowledge (SEG.SEQ <= Last.ACK.sent). */
START_TEST(test_engine_ts_recent_rule) {
  tp_opts o = {.no_delack = 1};
  ptcp_opts so = {.present = PTCP_OPT_MSS | PTCP_OPT_TS, .mss = 1460, .ts_val = 100};

  reinit(&o);
  open_with(&so, 0xffff, NULL);
  /* In order, newer: taken. */
  ck_assert_int_eq(tp_send(&t, 20 * MS, ts_data(0, 10, 500)), 0);
  ck_assert_uint_eq(tsecr_of_next_ack(TP_IRS + 11), 500);
  /* In order but older (a reordered path): not taken. */
  ck_assert_int_eq(tp_send(&t, 30 * MS, ts_data(10, 10, 400)), 0);
  ck_assert_uint_eq(tsecr_of_next_ack(TP_IRS + 21), 500);
  /* Equal: taken (>=). */
  ck_assert_int_eq(tp_send(&t, 40 * MS, ts_data(20, 10, 500)), 0);
  ck_assert_uint_eq(tsecr_of_next_ack(TP_IRS + 31), 500);
  /* Out of order (SEG.SEQ > Last.ACK.sent), newer: not taken. */
  ck_assert_int_eq(tp_send(&t, 50 * MS, ts_data(100, 10, 900)), 0);
  ck_assert_uint_eq(tsecr_of_next_ack(TP_IRS + 31), 500);
  /* The hole filled, newer: taken. */
  ck_assert_int_eq(tp_send(&t, 60 * MS, ts_data(30, 70, 600)), 0);
  ck_assert_uint_eq(tsecr_of_next_ack(TP_IRS + 111), 600);
  /* TSval compares modulo 2^32 (§5.2): through 0x70000000 and
   * 0xe0000000, 0x10 is newer; 0xfffffff0 is older than 0x10 then. */
  ck_assert_int_eq(tp_send(&t, 70 * MS, ts_data(110, 10, 0x70000000u)), 0);
  ck_assert_uint_eq(tsecr_of_next_ack(TP_IRS + 121), 0x70000000u);
  ck_assert_int_eq(tp_send(&t, 80 * MS, ts_data(120, 10, 0xe0000000u)), 0);
  ck_assert_uint_eq(tsecr_of_next_ack(TP_IRS + 131), 0xe0000000u);
  ck_assert_int_eq(tp_send(&t, 90 * MS, ts_data(130, 10, 0x10)), 0);
  ck_assert_uint_eq(tsecr_of_next_ack(TP_IRS + 141), 0x10);
  ck_assert_int_eq(tp_send(&t, 100 * MS, ts_data(140, 10, 0xfffffff0u)), 0);
  ck_assert_uint_eq(tsecr_of_next_ack(TP_IRS + 151), 0x10);
  /* An unacceptable segment does not touch it. */
  ck_assert_int_eq(tp_send(&t, 110 * MS, ts_data(1000000, 10, 0x20)), 0);
  ck_assert_uint_eq(tsecr_of_next_ack(TP_IRS + 151), 0x10);
}
END_TEST

/* With delayed ACKs, the ACK echoes the earliest segment it covers
 * (RFC 7323 §4.3 (2): the later one's SEG.SEQ is past Last.ACK.sent). */
START_TEST(test_engine_ts_recent_delayed_ack) {
  ptcp_opts so = {.present = PTCP_OPT_MSS | PTCP_OPT_TS, .mss = 1460, .ts_val = 100};

  open_with(&so, 0xffff, NULL);
  ck_assert_int_eq(tp_send(&t, 20 * MS, ts_data(0, 100, 300)), 0);
  ck_assert_int_eq(tp_send(&t, 30 * MS, ts_data(100, 100, 301)), 0);
  tp_expect_nothing(&t);
  tp_advance(&t, 220 * MS);
  ck_assert_uint_eq(tsecr_of_next_ack(TP_IRS + 201), 300);
}
END_TEST

/* ------------------------------------------------------------------ */
/* SACK blocks we send (RFC 2018 §4)                                   */

static void sack_expect(uint32_t ack, unsigned n, const uint32_t *l, const uint32_t *r) {
  const ptcp_seg *g =
      tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = ack));
  if (n == 0) {
    ck_assert(!(g->opts.present & PTCP_OPT_SACK));
    return;
  }
  ck_assert(g->opts.present & PTCP_OPT_SACK);
  ck_assert_uint_eq(g->opts.sack_count, n);
  for (unsigned i = 0; i < n; i++) {
    ck_assert_msg(g->opts.sack[i].left == l[i] && g->opts.sack[i].right == r[i],
                  "block %u: [%u, %u), expected [%u, %u)", i, g->opts.sack[i].left,
                  g->opts.sack[i].right, l[i], r[i]);
  }
}

static void sack_run(int ts, uint32_t irs) {
  ptcp_opts so = {.present = PTCP_OPT_MSS | PTCP_OPT_SACK_PERM, .mss = 1460, .ts_val = 5};
  tp_seg syn = SEG(.flags = PTCP_SYN, .seq = irs);
  const uint32_t b = irs + 1;
  ptcp_conn *c;

  if (ts)
    so.present |= PTCP_OPT_TS;
  syn.opts = so;
  tp_listen(&t, 80, 4);
  ck_assert_int_eq(tp_send(&t, 0, syn), 0);
  tp_discard(&t);
  ck_assert_int_eq(
      tp_send(&t, 10 * MS, SEG(.flags = PTCP_ACK, .seq = b, .ack = TP_ISS + 1)), 0);
  ck_assert_int_eq(ptcp_conn_accept(t.listener, &c), 0);
  ck_assert(status_of(c).sack_ok);
  /* Four gaps, one at a time: the block with the newest segment first,
   * then the others most recent first. */
  for (uint32_t i = 0; i < 4; i++) {
    uint32_t l[4], r[4];
    unsigned n = i + 1 > (ts ? 3u : 4u) ? (ts ? 3u : 4u) : i + 1;
    ck_assert_int_eq(tp_send(&t, (20 + i) * MS,
                             SEG(.flags = PTCP_ACK, .seq = b + 100 + 200 * i,
                                 .ack = TP_ISS + 1, .len = 10)),
                     0);
    for (unsigned k = 0; k < n; k++) {
      l[k] = b + 100 + 200 * (i - k);
      r[k] = l[k] + 10;
    }
    sack_expect(b, n, l, r);
  }
  /* Growing the second range makes it the first block. */
  {
    uint32_t l[4] = {b + 300, b + 700, b + 500, b + 100};
    uint32_t r[4] = {b + 320, b + 710, b + 510, b + 110};
    ck_assert_int_eq(
        tp_send(&t, 30 * MS,
                SEG(.flags = PTCP_ACK, .seq = b + 310, .ack = TP_ISS + 1, .len = 10)),
        0);
    sack_expect(b, ts ? 3 : 4, l, r);
  }
  /* Filling up to the first range: it goes from the blocks. */
  {
    uint32_t l[3] = {b + 300, b + 700, b + 500};
    uint32_t r[3] = {b + 320, b + 710, b + 510};
    ck_assert_int_eq(
        tp_send(&t, 40 * MS,
                SEG(.flags = PTCP_ACK, .seq = b, .ack = TP_ISS + 1, .len = 100)),
        0);
    sack_expect(b + 110, 3, l, r);
  }
  /* All holes filled: no SACK option. */
  ck_assert_int_eq(
      tp_send(&t, 50 * MS,
              SEG(.flags = PTCP_ACK, .seq = b + 110, .ack = TP_ISS + 1, .len = 600)),
      0);
  sack_expect(b + 710, 0, NULL, NULL);
}

START_TEST(test_engine_sack_blocks_with_timestamps) { sack_run(1, TP_IRS); }
END_TEST

START_TEST(test_engine_sack_blocks_without_timestamps) { sack_run(0, TP_IRS); }
END_TEST

START_TEST(test_engine_sack_blocks_across_the_wrap) { sack_run(0, 0xfffffe00u); }
END_TEST

START_TEST(test_engine_sack_not_permitted) {
  ptcp_opts so = {.present = PTCP_OPT_MSS, .mss = 1460};
  open_with(&so, 0xffff, NULL);
  ck_assert_int_eq(
      tp_send(&t, 20 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 101, .ack = TP_ISS + 1, .len = 10)),
      0);
  sack_expect(TP_IRS + 1, 0, NULL, NULL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Receive window: flow control and receiver SWS avoidance             */

START_TEST(test_engine_receive_window_flow_control) {
  tp_opts o = {.rcvbuf = 8192, .no_ws = 1};
  ptcp_conn *c;
  uint8_t buf[8192];
  uint32_t got = 0, edge = TP_IRS + 1 + 8192;
  const ptcp_seg *g;

  reinit(&o);
  c = tp_established(&t, 0);
  /* 8192 bytes in 1460-byte segments: every second one is ACKed at once,
   * the window shrinking as the buffer fills; the right edge never moves
   * left (RFC 9293 SHLD-14). */
  static uint8_t stream[8192];
  for (uint32_t i = 0; i < sizeof(stream); i++)
    stream[i] = tp_pattern(i);
  for (uint32_t off = 0; off < 8192; off += 1460) {
    uint32_t len = 8192 - off < 1460 ? 8192 - off : 1460;
    ck_assert_int_eq(tp_send(&t, (20 + off / 1460) * MS,
                             SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1 + off,
                                 .ack = TP_ISS + 1, .len = len, .data = stream + off)),
                     0);
    while (tp_pending(&t) > 0) {
      g = &t.out[t.head++].seg;
      ck_assert_uint_eq(g->ack + g->window, edge);
    }
  }
  tp_advance(&t, 300 * MS);
  while (tp_pending(&t) > 0) {
    g = &t.out[t.head++].seg;
    ck_assert_uint_eq(g->ack, TP_IRS + 1 + 8192);
    ck_assert_uint_eq(g->window, 0);
  }
  ck_assert_uint_eq(status_of(c).rcv_wnd, 0);
  /* More data meets the closed window: dropped, ACKed with window 0. */
  ck_assert_int_eq(tp_send(&t, 310 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1 + 8192,
                               .ack = TP_ISS + 1, .len = 100)),
                   0);
  ck_assert_int_eq(t.last_reason, PTCP_R_ZERO_WINDOW);
  g = tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1 + 8192,
                        .any_window = 1));
  ck_assert_uint_eq(g->window, 0);
  /* Reading a little does not open the window (receiver SWS avoidance,
   * MUST-39): it waits for min(RCV.BUFF/2, MSS) = 1460 bytes. */
  ck_assert_int_eq(ptcp_conn_recv(c, buf, 100, 400 * MS), 100);
  tp_expect_nothing(&t);
  ck_assert_int_eq(ptcp_conn_recv(c, buf + 100, 1000, 410 * MS), 1000);
  tp_expect_nothing(&t);
  ck_assert_int_eq(ptcp_conn_recv(c, buf + 1100, 359, 420 * MS), 359);
  tp_expect_nothing(&t);
  got = 1459;
  ck_assert_int_eq(ptcp_conn_recv(c, buf + got, 1, 430 * MS), 1);
  got++;
  g = tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1 + 8192,
                        .any_window = 1));
  ck_assert_uint_eq(g->window, 1460);
  /* The peer fills exactly that; more is beyond the window. */
  {
    uint8_t more[1461];
    for (uint32_t i = 0; i < sizeof(more); i++)
      more[i] = tp_pattern(8192 + i);
    ck_assert_int_eq(tp_send(&t, 440 * MS,
                             SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1 + 8192,
                                 .ack = TP_ISS + 1, .len = 1461, .data = more)),
                     0);
  }
  ck_assert_int_eq(t.last_reason, PTCP_R_IN_ORDER);
  ck_assert_uint_eq(status_of(c).rcv_nxt, TP_IRS + 1 + 8192 + 1460);
  ck_assert_int_eq(ptcp_conn_recv(c, buf + got, sizeof(buf) - got, 450 * MS),
                   (ptcp_ssize)(sizeof(buf) - got));
  for (uint32_t i = 0; i < sizeof(buf); i++)
    ck_assert_uint_eq(buf[i], tp_pattern(i));
  ck_assert_int_eq(ptcp_conn_recv(c, buf, sizeof(buf), 450 * MS), 1460);
  for (uint32_t i = 0; i < 1460; i++)
    ck_assert_uint_eq(buf[i], tp_pattern(8192 + i));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Zero-window probing (RFC 9293 §3.8.6.1)                              */

START_TEST(test_engine_zero_window_probe) {
  ptcp_conn *c = tp_established(&t, 0);
  ptcp_time zero_at = 20 * MS;

  ck_assert_int_eq(tp_send(&t, zero_at,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1,
                               .window_zero = 1)),
                   0);
  ck_assert_int_eq(ptcp_conn_send(c, "abc", 3, zero_at), 3);
  tp_expect_nothing(&t);
  /* The first probe after one RTO (1 s, SHLD-29): one byte of new data
   * (MUST-36). */
  tp_advance(&t, zero_at + 1 * SEC - 1);
  tp_expect_nothing(&t);
  tp_advance(&t, zero_at + 1 * SEC);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1, .len = 1));
  /* The window has opened meanwhile: the probe byte is taken, and the
   * ACK's window lets the rest go. */
  ck_assert_int_eq(tp_send(&t, zero_at + 1100 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 2,
                               .window = 100)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 2, .ack = TP_IRS + 1,
                    .len = 2));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Nagle (RFC 9293 §3.7.4, MUST-17)                                     */

START_TEST(test_engine_nagle_on) {
  ptcp_conn *c = tp_established(&t, 0);
  uint8_t big[1460];

  ck_assert_int_eq(ptcp_conn_send(c, "0123456789", 10, 20 * MS), 10);
  tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1, .ack = TP_IRS + 1,
                    .len = 10));
  /* Small data waits while data is unacknowledged... */
  ck_assert_int_eq(ptcp_conn_send(c, "abcdefghij", 10, 30 * MS), 10);
  tp_expect_nothing(&t);
  /* ...but a full segment goes. */
  memset(big, 'b', sizeof(big));
  ck_assert_int_eq(ptcp_conn_send(c, big, sizeof(big), 40 * MS), 1460);
  tp_expect(&t,
            SEG(.flags = PTCP_ACK, .seq = TP_ISS + 11, .ack = TP_IRS + 1, .len = 1460));
  tp_expect_nothing(&t);
  /* The ACK releases the rest. */
  ck_assert_int_eq(
      tp_send(&t, 50 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1471)),
      0);
  tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1471, .ack = TP_IRS + 1,
                    .len = 10));
}
END_TEST

START_TEST(test_engine_nagle_off) {
  tp_opts o = {.no_nagle = 1};
  ptcp_conn *c;

  reinit(&o);
  c = tp_established(&t, 0);
  ck_assert_int_eq(ptcp_conn_send(c, "0123456789", 10, 20 * MS), 10);
  tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1, .ack = TP_IRS + 1,
                    .len = 10));
  ck_assert_int_eq(ptcp_conn_send(c, "abcdefghij", 10, 30 * MS), 10);
  tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 11, .ack = TP_IRS + 1,
                    .len = 10));
  ck_assert_int_eq(ptcp_conn_send(c, "z", 1, 31 * MS), 1);
  tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 21, .ack = TP_IRS + 1,
                    .len = 1));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Delayed ACKs (RFC 9293 §3.8.6.3, MUST-40, SHLD-19)                   */

static void delack_case(ptcp_duration delack, int zero) {
  tp_opts o = {.delack = delack, .no_delack = zero};
  ptcp_time at = 100 * MS;

  reinit(&o);
  tp_established(&t, 0);
  ck_assert_int_eq(
      tp_send(&t, at,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1, .len = 10)),
      0);
  if (zero) {
    tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 11));
    return;
  }
  tp_expect_nothing(&t);
  /* More small segments do not push the ACK further out. */
  ck_assert_int_eq(
      tp_send(&t, at + delack / 2,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 11, .ack = TP_ISS + 1, .len = 10)),
      0);
  tp_advance(&t, at + delack - 1);
  tp_expect_nothing(&t);
  tp_advance(&t, at + delack);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 21));
}

START_TEST(test_engine_delayed_ack_bound) {
  delack_case(200 * MS, 0);
  delack_case(499 * MS, 0);
  delack_case(1 * MS, 0);
  delack_case(0, 1);
  /* 500 ms or more is refused (MUST-40: less than 0.5 s). */
  {
    ptcp_conn_cfg cfg;
    ptcp_conn *c;
    ptcp_conn_cfg_default(&cfg);
    ck_assert_uint_eq(cfg.delack, 200 * MS);
    cfg.delack = 500 * MS;
    ck_assert_int_eq(ptcp_conn_new(t.stack, &cfg, &c), PTCP_ERR_INVALID_ARGUMENT);
    cfg.delack = 499 * MS;
    ck_assert_int_eq(ptcp_conn_new(t.stack, &cfg, &c), 0);
    ck_assert_int_eq(ptcp_conn_close(c, 0), 0);
  }
}
END_TEST

START_TEST(test_engine_delayed_ack_immediate_cases) {
  /* Every second full segment at once (covered in check_conn); an
   * out-of-order segment and one that fills a gap at once (RFC 5681
   * §4.2); a FIN at once. */
  tp_established(&t, 0);
  ck_assert_int_eq(
      tp_send(&t, 100 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 11, .ack = TP_ISS + 1, .len = 10)),
      0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
  ck_assert_int_eq(
      tp_send(&t, 110 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1, .len = 10)),
      0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 21));
  /* A segment that fills only part of a gap (RFC 5681 §4.2 "all or
   * part of"). */
  ck_assert_int_eq(
      tp_send(&t, 112 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 41, .ack = TP_ISS + 1, .len = 10)),
      0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 21));
  ck_assert_int_eq(
      tp_send(&t, 114 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 21, .ack = TP_ISS + 1, .len = 10)),
      0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 31));
  ck_assert_int_eq(
      tp_send(&t, 116 * MS,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 31, .ack = TP_ISS + 1, .len = 10)),
      0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 51));
  ck_assert_int_eq(tp_send(&t, 120 * MS,
                           SEG(.flags = PTCP_ACK | PTCP_FIN, .seq = TP_IRS + 51,
                               .ack = TP_ISS + 1, .len = 5)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 57));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Keep-alives (RFC 9293 §3.8.4, MUST-24..29)                           */

START_TEST(test_engine_keepalive_off_by_default) {
  ptcp_conn_cfg cfg;

  ptcp_conn_cfg_default(&cfg);
  ck_assert_int_eq(cfg.keepalive, 0);
  ck_assert_uint_ge(cfg.keepalive_idle, 7200 * SEC);
  tp_established(&t, 0);
  tp_advance(&t, 5 * 3600 * SEC);
  tp_expect_nothing(&t);
}
END_TEST

START_TEST(test_engine_keepalive_probes_and_timeout) {
  tp_opts o = {.keepalive = 1, .keepalive_count = 3}; /* idle 10 s, every 1 s */
  ptcp_conn *c;
  ptcp_time last;

  reinit(&o);
  c = tp_established(&t, 0);
  last = 10 * MS; /* the handshake's last segment */
  /* Idle for 10 s: a probe <SEQ=SND.NXT-1><CTL=ACK>, no data (SHLD-12). */
  tp_advance(&t, last + 10 * SEC - 1);
  tp_expect_nothing(&t);
  tp_advance(&t, last + 10 * SEC);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
  /* The peer answers: idle starts over. */
  last += 10 * SEC;
  ck_assert_int_eq(tp_send(&t, last + 100 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1)),
                   0);
  last += 100 * MS;
  tp_advance(&t, last + 10 * SEC - 1);
  tp_expect_nothing(&t);
  tp_advance(&t, last + 10 * SEC);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
  /* One answer lost is not death (MUST-29): the next probes follow at
   * the interval, and only count unanswered probes end it. */
  tp_advance(&t, last + 11 * SEC);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
  tp_advance(&t, last + 12 * SEC);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_ESTABLISHED);
  tp_advance(&t, last + 13 * SEC);
  tp_expect_nothing(&t);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSED);
  ck_assert_int_eq(t.ev.last_error, PTCP_ERR_TIMED_OUT);
}
END_TEST

/* Keep-alives only while nothing is outstanding (MUST-26), and a segment
 * that is not acceptable does not count as the peer being alive. */
START_TEST(test_engine_keepalive_only_when_idle) {
  tp_opts o = {.keepalive = 1};
  ptcp_conn *c;

  reinit(&o);
  c = tp_established(&t, 0);
  /* Junk outside the window at 9 s: answered, but the probe still comes
   * at 10 s after the last acceptable segment. */
  ck_assert_int_eq(
      tp_send(&t, 9 * SEC,
              SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1000000, .ack = TP_ISS + 1)),
      0);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
  ck_assert_int_eq(tp_send(&t, 9500 * MS, SEG(.flags = PTCP_RST, .seq = TP_IRS + 100)),
                   0);
  tp_expect(&t,
            SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1)); /* challenge */
  tp_advance(&t, 10 * SEC + 10 * MS);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
  /* Data outstanding: retransmissions, not keep-alives. */
  ck_assert_int_eq(tp_send(&t, 10100 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1)),
                   0);
  ck_assert_int_eq(ptcp_conn_send(c, "x", 1, 10200 * MS), 1);
  tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1, .ack = TP_IRS + 1,
                    .len = 1));
  tp_advance(&t, 30 * SEC);
  while (tp_pending(&t) > 0)
    tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1, .ack = TP_IRS + 1,
                      .len = 1));
}
END_TEST

/* ------------------------------------------------------------------ */
/* FIN-WAIT-2 of a closed socket (close policy fin_wait_2)              */

START_TEST(test_engine_fin_wait_2_timeout) {
  ptcp_conn *c;
  ptcp_stack_stats st;

  /* Default (rfc9293:fin_wait_2=60s): closed in FIN-WAIT-2, gone 60 s
   * later; the peer's late segments then meet no connection. */
  c = tp_fin_wait_2(&t, 0);
  ck_assert_int_eq(ptcp_conn_close(c, 100 * MS), 0);
  tp_advance(&t, 100 * MS + 60 * SEC - 1);
  ptcp_stack_stats_get(t.stack, &st);
  ck_assert_uint_eq(st.conns, 2); /* the listener and it */
  tp_advance(&t, 100 * MS + 60 * SEC);
  ptcp_stack_stats_get(t.stack, &st);
  ck_assert_uint_eq(st.conns, 1);
  tp_expect_nothing(&t);
  ck_assert_int_eq(
      tp_send(&t, 61 * SEC,
              SEG(.flags = PTCP_ACK | PTCP_FIN, .seq = TP_IRS + 1, .ack = TP_ISS + 2)),
      0);
  tp_expect(&t, SEG(.flags = PTCP_RST, .seq = TP_ISS + 2));
  /* Closed while still in FIN-WAIT-1: the limit starts in FIN-WAIT-2. */
  {
    tp_opts o = {.policy[PTCP_SLOT_CLOSE] = "rfc9293:fin_wait_2=10s"};
    reinit(&o);
    c = tp_fin_wait_1(&t, 0);
    ck_assert_int_eq(ptcp_conn_close(c, 25 * MS), 0);
    ck_assert_int_eq(
        tp_send(&t, 5 * SEC,
                SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 2)),
        0);
    tp_advance(&t, 15 * SEC - 1);
    ptcp_stack_stats_get(t.stack, &st);
    ck_assert_uint_eq(st.conns, 2);
    tp_advance(&t, 15 * SEC);
    ptcp_stack_stats_get(t.stack, &st);
    ck_assert_uint_eq(st.conns, 1);
  }
  /* fin_wait_2=0: wait for the peer's FIN forever, as RFC 9293 does. */
  {
    tp_opts o = {.policy[PTCP_SLOT_CLOSE] = "rfc9293:fin_wait_2=0"};
    reinit(&o);
    c = tp_fin_wait_2(&t, 0);
    ck_assert_int_eq(ptcp_conn_close(c, 100 * MS), 0);
    tp_advance(&t, 24 * 3600 * SEC);
    ptcp_stack_stats_get(t.stack, &st);
    ck_assert_uint_eq(st.conns, 2);
    ck_assert_int_eq(
        tp_send(&t, 24 * 3600 * SEC,
                SEG(.flags = PTCP_ACK | PTCP_FIN, .seq = TP_IRS + 1, .ack = TP_ISS + 2)),
        0);
    tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 2, .ack = TP_IRS + 2));
    ptcp_stack_stats_get(t.stack, &st);
    ck_assert_uint_eq(st.time_wait, 1);
  }
  /* A connection the user still holds (half-closed) never times out. */
  reinit(NULL);
  c = tp_fin_wait_2(&t, 0);
  tp_advance(&t, 24 * 3600 * SEC);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_FIN_WAIT_2);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The byte stream over an impaired path (hardening.md §4.6)            */

typedef struct impair {
  uint64_t rng;
  unsigned drop, dup, delay; /* per mille */
  int on;
} impair;

static uint32_t next_rand(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return (uint32_t)(*s >> 33);
}

static tpair_fate fate_impair(tpair *p, int from, unsigned n, const ptcp_seg *seg,
                              ptcp_duration *extra, void *ctx) {
  impair *im = ctx;
  uint32_t r;
  (void)p;
  (void)from;
  (void)n;
  (void)seg;
  if (!im->on)
    return FATE_DELIVER;
  r = next_rand(&im->rng) % 1000;
  if (r < im->drop)
    return FATE_DROP;
  r -= im->drop;
  if (r < im->dup)
    return FATE_DUP;
  r -= im->dup;
  if (r < im->delay) {
    *extra = (next_rand(&im->rng) % 50) * MS; /* reordering */
    return FATE_DELAY;
  }
  return FATE_DELIVER;
}

START_TEST(test_engine_stream_integrity_impaired) {
  const size_t bytes = 300000;
  uint64_t retransmits = 0, timeouts = 0;

  for (uint64_t seed = 1; seed <= 40; seed++) {
    tpair_opts o;
    tpair p;
    impair im = {
        .rng = seed * 0x9e3779b97f4a7c15ULL, .drop = 30, .dup = 20, .delay = 100};
    size_t sent[2] = {0, 0};

    memset(&o, 0, sizeof(o));
    o.seed = seed;
    if (seed % 3 == 0) {
      o.side[0].rcvbuf = 16384; /* small windows: zero-window episodes */
      o.side[1].rcvbuf = 16384;
    }
    if (seed % 4 == 1)
      o.side[0].no_ts = 1;
    tpair_init(&p, &o);
    ck_assert_msg(tpair_connect(&p, 1 * SEC), "seed %llu: no connection",
                  (unsigned long long)seed);
    p.fate = fate_impair;
    p.fate_ctx = &im;
    im.on = 1;
    while ((sent[0] < bytes || sent[1] < bytes) && p.now < 600 * SEC) {
      for (int side = 0; side < 2; side++)
        if (sent[side] < bytes)
          sent[side] += tpair_send_pattern(&p, side, sent[side], bytes - sent[side]);
      tpair_run_until(&p, p.now + 20 * MS);
    }
    ck_assert_uint_eq(sent[0], bytes);
    ck_assert_uint_eq(sent[1], bytes);
    ck_assert_int_eq(ptcp_conn_shutdown(p.conn[0], p.now), 0);
    ck_assert_int_eq(ptcp_conn_shutdown(p.conn[1], p.now), 0);
    tpair_run_until(&p, p.now + 120 * SEC);
    /* Liveness: with the path healed, both sides finish. */
    im.on = 0;
    tpair_run_until(&p, p.now + 600 * SEC);
    ck_assert_msg(tpair_rx_is_pattern(&p, 1, bytes) && tpair_rx_is_pattern(&p, 0, bytes),
                  "seed %llu: received %zu and %zu bytes, or wrong ones",
                  (unsigned long long)seed, p.rx_len[1], p.rx_len[0]);
    for (int side = 0; side < 2; side++) {
      ptcp_state st = ptcp_conn_state(p.conn[side]);
      ck_assert_msg(st == PTCP_CLOSED || st == PTCP_TIME_WAIT, "seed %llu: side %d in %s",
                    (unsigned long long)seed, side, ptcp_state_name(st));
      ck_assert_int_eq(p.ev[side].error, 0);
      {
        ptcp_conn_status cs;
        ptcp_conn_status_get(p.conn[side], &cs);
        retransmits += cs.retransmits;
        timeouts += cs.timeouts;
      }
    }
    tpair_free(&p);
  }
  /* The path really was impaired. */
  ck_assert_uint_gt(retransmits, 100);
  ck_assert_uint_gt(timeouts, 10);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Retransmission details                                              */

/* Karn (RFC 6298 §3, MUST-18): the ACK of a retransmitted segment gives
 * no RTT sample, unless timestamps say which copy it answers (RFC 7323
 * §4.1). */
START_TEST(test_engine_karn) {
  ptcp_conn *c;
  ptcp_duration srtt;

  c = tp_established(&t, 0);
  srtt = status_of(c).srtt;
  ck_assert_uint_eq(srtt, 10 * MS); /* from the handshake */
  ck_assert_int_eq(ptcp_conn_send(c, "abc", 3, 100 * MS), 3);
  tp_advance(&t, 1100 * MS); /* RTO: sent again */
  tp_discard(&t);
  ck_assert_int_eq(tp_send(&t, 1200 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 4)),
                   0);
  ck_assert_uint_eq(status_of(c).srtt, srtt);
  /* With timestamps, the echo dates the copy: 100 ms, a valid sample. */
  {
    ptcp_opts so = {.present = PTCP_OPT_MSS | PTCP_OPT_TS, .mss = 1460, .ts_val = 1};
    ptcp_seg sa;
    uint32_t rtx_tsval;
    tp_seg a = SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 4);
    reinit(NULL);
    c = open_with(&so, 0xffff, &sa);
    srtt = status_of(c).srtt;
    ck_assert_int_eq(ptcp_conn_send(c, "abc", 3, 100 * MS), 3);
    tp_discard(&t);
    tp_advance(&t, 1100 * MS);
    rtx_tsval = tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1,
                                  .ack = TP_IRS + 1, .len = 3))
                    ->opts.ts_val;
    a.opts.present = PTCP_OPT_TS;
    a.opts.ts_val = 2;
    a.opts.ts_ecr = rtx_tsval;
    ck_assert_int_eq(tp_send(&t, 1200 * MS, a), 0);
    ck_assert_uint_eq(status_of(c).srtt, (7 * srtt + 100 * MS) / 8);
  }
}
END_TEST

/* MUST-23: a SYN is retransmitted for at least 3 minutes by default
 * (7 retransmissions at 1, 3, 7, 15, 31, 63 and 123 s; give up at 183). */
START_TEST(test_engine_syn_retransmitted_for_three_minutes) {
  ptcp_conn *c = tp_syn_sent(&t, 0);
  static const unsigned at[] = {1, 3, 7, 15, 31, 63, 123};

  for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
    tp_advance(&t, at[i] * SEC - 1);
    tp_expect_nothing(&t);
    tp_advance(&t, at[i] * SEC);
    tp_expect(&t, SEG(.flags = PTCP_SYN, .seq = TP_ISS));
  }
  tp_advance(&t, 183 * SEC - 1);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_SYN_SENT);
  ck_assert_int_eq(t.ev.error, 0);
  tp_advance(&t, 183 * SEC);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSED);
  ck_assert_int_eq(t.ev.last_error, PTCP_ERR_TIMED_OUT);
  tp_expect_nothing(&t);
}
END_TEST

/* MUST-34: the peer moves its right edge left under data in flight.
 * No new data goes past it (SHLD-15), the data in flight is resent on
 * timeout, and the connection carries on when the window reopens. */
START_TEST(test_engine_peer_shrinks_window) {
  tp_opts o = {.policy[PTCP_SLOT_CC] = "none"};
  ptcp_conn *c;
  uint8_t data[20000];
  uint32_t sent = 0;

  reinit(&o);
  c = tp_established(&t, 0);
  ck_assert_int_eq(tp_send(&t, 15 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1,
                               .window = 10000)),
                   0);
  memset(data, 'k', sizeof(data));
  ck_assert_int_eq(ptcp_conn_send(c, data, sizeof(data), 20 * MS), 20000);
  while (tp_pending(&t) > 0)
    sent += (uint32_t)t.out[t.head++].seg.payload_len;
  ck_assert_uint_eq(sent, 6 * 1460);
  /* The first segment acknowledged, the window cut to 500: the edge
   * falls from ISS+1+10000 to ISS+1+1460+500. */
  ck_assert_int_eq(tp_send(&t, 30 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1461,
                               .window = 500)),
                   0);
  tp_expect_nothing(&t);
  ck_assert_uint_eq(status_of(c).snd_max, TP_ISS + 1 + 6 * 1460);
  /* The timeout resends the oldest data (nothing new). */
  tp_advance(&t, 1100 * MS);
  tp_expect(&t,
            SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1461, .ack = TP_IRS + 1, .len = 1460));
  tp_expect_nothing(&t);
  ck_assert_uint_eq(status_of(c).snd_max, TP_ISS + 1 + 6 * 1460);
  /* Reopened: everything goes through. */
  ck_assert_int_eq(tp_send(&t, 1200 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1,
                               .ack = TP_ISS + 1 + 6 * 1460, .window = 0xffff)),
                   0);
  sent = 6 * 1460;
  while (tp_pending(&t) > 0)
    sent += (uint32_t)t.out[t.head++].seg.payload_len;
  ck_assert_uint_eq(sent, 20000 - 1020); /* Nagle holds the tail */
  ck_assert_int_eq(tp_send(&t, 1300 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1,
                               .ack = TP_ISS + 1 + sent, .window = 0xffff)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 1 + sent,
                    .ack = TP_IRS + 1, .len = 1020));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_ESTABLISHED);
}
END_TEST

/* MUST-38 (RFC 9293 §3.8.6.2.1): with a usable window below both an MSS
 * and half the largest window seen, the sender waits, until the override
 * timeout forces what fits. */
START_TEST(test_engine_sender_sws_avoidance) {
  ptcp_conn *c = tp_established(&t, 0); /* the peer offered 65535 */
  uint8_t data[1000];

  ck_assert_int_eq(tp_send(&t, 15 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1,
                               .window = 100)),
                   0);
  memset(data, 's', sizeof(data));
  ck_assert_int_eq(ptcp_conn_send(c, data, sizeof(data), 20 * MS), 1000);
  tp_expect_nothing(&t);
  tp_advance(&t, 20 * MS + 1 * SEC);
  tp_expect(&t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1, .len = 100));
  tp_expect_nothing(&t);
  /* A window worth it (half the largest seen): the rest goes. */
  ck_assert_int_eq(tp_send(&t, 1100 * MS,
                           SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 101,
                               .window = 40000)),
                   0);
  tp_expect(&t, SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_ISS + 101, .ack = TP_IRS + 1,
                    .len = 900));
}
END_TEST

Suite *ptcp_engine_suite(void) {
  Suite *s = suite_create("engine");
  TCase *tc = tcase_create("features");
  TCase *st = tcase_create("stream");

  tcase_set_timeout(tc, 60);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_engine_window_scaling_passive);
  tcase_add_test(tc, test_engine_window_scaling_active_and_off);
  tcase_add_test(tc, test_engine_timestamps_echo);
  tcase_add_test(tc, test_engine_ts_recent_rule);
  tcase_add_test(tc, test_engine_ts_recent_delayed_ack);
  tcase_add_test(tc, test_engine_sack_blocks_with_timestamps);
  tcase_add_test(tc, test_engine_sack_blocks_without_timestamps);
  tcase_add_test(tc, test_engine_sack_blocks_across_the_wrap);
  tcase_add_test(tc, test_engine_sack_not_permitted);
  tcase_add_test(tc, test_engine_receive_window_flow_control);
  tcase_add_test(tc, test_engine_zero_window_probe);
  tcase_add_test(tc, test_engine_nagle_on);
  tcase_add_test(tc, test_engine_nagle_off);
  tcase_add_test(tc, test_engine_delayed_ack_bound);
  tcase_add_test(tc, test_engine_delayed_ack_immediate_cases);
  tcase_add_test(tc, test_engine_keepalive_off_by_default);
  tcase_add_test(tc, test_engine_keepalive_probes_and_timeout);
  tcase_add_test(tc, test_engine_keepalive_only_when_idle);
  tcase_add_test(tc, test_engine_fin_wait_2_timeout);
  tcase_add_test(tc, test_engine_karn);
  tcase_add_test(tc, test_engine_syn_retransmitted_for_three_minutes);
  tcase_add_test(tc, test_engine_peer_shrinks_window);
  tcase_add_test(tc, test_engine_sender_sws_avoidance);
  suite_add_tcase(s, tc);

  tcase_set_timeout(st, 120);
  tcase_add_test(st, test_engine_stream_integrity_impaired);
  suite_add_tcase(s, st);
  return s;
}

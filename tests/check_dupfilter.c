/*
 * Tests for the dupfilter slot, policy "rfc9293": the four cases of the
 * RFC 9293 §3.10.7.4 acceptability test at each window edge (left edge,
 * right edge, just outside on both sides), with RCV.NXT far from the
 * wrap, with the window straddling 2^32, and at 0xffffffff; RST exact and
 * in window (RFC 5961 §3.2); SYN (§4.2); the ACK range (§5.2); and the
 * per-connection challenge-ACK limit (§7).  The acceptability cases run
 * for every policy that shares the four-case test (rfc9293, paws without
 * timestamps, rfc793).  "paws" adds RFC 7323 §3.2 and §5 (old TSval,
 * missing TSopt, the 24-day TS.Recent lifetime, RST exemption) and
 * "rfc793" answers RSTs and SYNs the RFC 793 way and has no RFC 5961 ACK
 * floor.
 */
#include <check.h>
#include <string.h>

#include <plugtcp/policy.h>
#include <plugtcp/seq.h>

#include "policy_test_helper.h"

Suite *ptcp_dupfilter_suite(void);

#define WND 100u

/* Policies that share the four-case acceptability test; check_seq cases
 * run as loop tests over them (Check's _i). */
static const char *const window_specs[] = {"rfc9293", "paws", "rfc793"};
#define N_WINDOW_SPECS ((int)(sizeof(window_specs) / sizeof(window_specs[0])))

/* RCV.NXT values: ordinary, window across 2^32, just before the wrap. */
static const uint32_t rcv_nxts[] = {1000u, 0xffffffceu, 0xffffffffu};

typedef struct df_fixture {
  ptcp_policy_sel sel;
  const ptcp_dupfilter_ops *ops;
  policy_state st;
} df_fixture;

static void df_setup(df_fixture *f, const char *spec, ptcp_time now) {
  f->sel = policy_select(PTCP_SLOT_DUPFILTER, spec);
  f->ops = (const ptcp_dupfilter_ops *)f->sel.ops;
  policy_state_zero(&f->st, f->sel.ops);
  if (f->ops->init != NULL)
    ck_assert_int_eq(f->ops->init(&f->st, f->sel.params, now), 0);
}

/* A segment of |len| sequence numbers at |seq| (data length, or SYN/FIN
 * counted per RFC 9293 §3.4), seen in ESTABLISHED at |now|. */
typedef struct df_case {
  ptcp_seg seg;
  ptcp_seg_ctx ctx;
} df_case;

static void df_case_init(df_case *c, uint8_t flags, uint32_t seq, uint32_t len,
                         uint32_t rcv_nxt, uint32_t rcv_wnd, ptcp_time now) {
  memset(c, 0, sizeof(*c));
  c->seg.flags = flags;
  c->seg.seq = seq;
  c->seg.payload_len = len;
  c->ctx.seg = &c->seg;
  c->ctx.seg_len = len;
  c->ctx.state = PTCP_ESTABLISHED;
  c->ctx.rcv_nxt = rcv_nxt;
  c->ctx.rcv_wnd = rcv_wnd;
  c->ctx.now = now;
}

/* Runs check_seq on the segment and checks verdict and reason. */
static void expect_seq(df_fixture *f, uint8_t flags, uint32_t seq, uint32_t len,
                       uint32_t rcv_nxt, uint32_t rcv_wnd, ptcp_df_verdict want,
                       ptcp_reason want_why) {
  df_case c;
  ptcp_reason why = PTCP_R_COUNT;
  ptcp_df_verdict v;

  df_case_init(&c, flags, seq, len, rcv_nxt, rcv_wnd, 1 * PTCP_SECONDS);
  v = f->ops->check_seq(&f->st, f->sel.params, &c.ctx, &why);
  ck_assert_msg(v == want && why == want_why,
                "seq %08x len %u rcv_nxt %08x wnd %u flags %02x: verdict %d reason %d, "
                "want %d/%d",
                seq, len, rcv_nxt, rcv_wnd, flags, v, why, want, want_why);
}

#define ACCEPT(seq, len, nxt, wnd)                                                     \
  expect_seq(&f, PTCP_ACK, seq, len, nxt, wnd, PTCP_DF_ACCEPT, PTCP_R_NONE)
#define ACKED(seq, len, nxt, wnd, why)                                                 \
  expect_seq(&f, PTCP_ACK, seq, len, nxt, wnd, PTCP_DF_ACK, why)

START_TEST(test_seq_len0_wnd0) {
  df_fixture f;
  size_t i;

  df_setup(&f, window_specs[_i], 0);
  for (i = 0; i < sizeof(rcv_nxts) / sizeof(rcv_nxts[0]); i++) {
    uint32_t n = rcv_nxts[i];

    /* Case 1: SEG.SEQ = RCV.NXT, and nothing else. */
    ACCEPT(n, 0, n, 0);
    ACKED(ptcp_seq_add(n, 1), 0, n, 0, PTCP_R_OUT_OF_WINDOW);
    ACKED(ptcp_seq_add(n, 0xffffffffu), 0, n, 0, PTCP_R_DUPLICATE); /* n - 1 */
  }
}
END_TEST

START_TEST(test_seq_len0_wnd) {
  df_fixture f;
  size_t i;

  df_setup(&f, window_specs[_i], 0);
  for (i = 0; i < sizeof(rcv_nxts) / sizeof(rcv_nxts[0]); i++) {
    uint32_t n = rcv_nxts[i];

    /* Case 2: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND. */
    ACCEPT(n, 0, n, WND);                          /* left edge */
    ACCEPT(ptcp_seq_add(n, WND - 1), 0, n, WND);   /* right edge */
    ACKED(ptcp_seq_add(n, WND), 0, n, WND, PTCP_R_OUT_OF_WINDOW); /* outside right */
    ACKED(ptcp_seq_add(n, 0xffffffffu), 0, n, WND, PTCP_R_DUPLICATE); /* outside left */
  }
}
END_TEST

START_TEST(test_seq_len_wnd0) {
  df_fixture f;
  size_t i;

  df_setup(&f, window_specs[_i], 0);
  for (i = 0; i < sizeof(rcv_nxts) / sizeof(rcv_nxts[0]); i++) {
    uint32_t n = rcv_nxts[i];

    /* Case 3: data into a zero window is never acceptable. */
    ACKED(n, 10, n, 0, PTCP_R_ZERO_WINDOW);
    ACKED(ptcp_seq_add(n, 5), 10, n, 0, PTCP_R_ZERO_WINDOW);
    ACKED(ptcp_seq_add(n, 0xfffffffbu), 10, n, 0, PTCP_R_ZERO_WINDOW); /* n-5 */
    /* Old data is a duplicate first, whatever the window. */
    ACKED(ptcp_seq_add(n, 0xfffffff6u), 10, n, 0, PTCP_R_DUPLICATE); /* ends at n */
  }
}
END_TEST

START_TEST(test_seq_len_wnd) {
  df_fixture f;
  size_t i;

  df_setup(&f, window_specs[_i], 0);
  for (i = 0; i < sizeof(rcv_nxts) / sizeof(rcv_nxts[0]); i++) {
    uint32_t n = rcv_nxts[i];

    /* Case 4: the first or the last byte in the window. */
    ACCEPT(n, 10, n, WND);                             /* in order */
    ACCEPT(ptcp_seq_add(n, 0xfffffff6u), 11, n, WND);  /* last byte at left edge */
    ACCEPT(ptcp_seq_add(n, 0xfffffffbu), 10, n, WND);  /* straddles left edge */
    ACCEPT(ptcp_seq_add(n, WND - 1), 10, n, WND);      /* first byte at right edge */
    /* Larger than the window, from before RCV.NXT to past the right edge:
     * neither end is inside, but it carries the next bytes expected (the
     * policy's documented addition to the RFC's two conditions). */
    ACCEPT(ptcp_seq_add(n, 0xffffff9cu), 300, n, WND);
    ACCEPT(n, 300, n, WND);
    ACKED(ptcp_seq_add(n, 0xfffffff6u), 10, n, WND, PTCP_R_DUPLICATE); /* ends at n */
    ACKED(ptcp_seq_add(n, 0xffffff00u), 10, n, WND, PTCP_R_DUPLICATE); /* long ago */
    ACKED(ptcp_seq_add(n, WND), 10, n, WND, PTCP_R_OUT_OF_WINDOW); /* outside right */
    ACKED(ptcp_seq_add(n, WND + 5000), 1, n, WND, PTCP_R_OUT_OF_WINDOW);
  }
}
END_TEST

START_TEST(test_seq_window_across_wrap) {
  df_fixture f;

  /* RCV.NXT 2^32 - 50, window 100: sequence numbers 0..49 are inside,
   * 50 is the first outside. */
  df_setup(&f, window_specs[_i], 0);
  ACCEPT(0, 0, 0xffffffceu, WND);
  ACCEPT(49, 0, 0xffffffceu, WND);
  ACKED(50, 0, 0xffffffceu, WND, PTCP_R_OUT_OF_WINDOW);
  ACCEPT(0xfffffffau, 10, 0xffffffceu, WND); /* data crossing 2^32 */
  ACCEPT(40, 10, 0xffffffceu, WND);
  ACKED(50, 10, 0xffffffceu, WND, PTCP_R_OUT_OF_WINDOW);
  /* RCV.NXT 0xffffffff: a segment ending exactly at it is old. */
  ACKED(0xfffffff5u, 10, 0xffffffffu, WND, PTCP_R_DUPLICATE);
  ACCEPT(0xfffffff6u, 10, 0xffffffffu, WND);
  ACCEPT(0, 10, 0xffffffffu, WND);
  ACCEPT(98, 10, 0xffffffffu, WND);
  ACKED(99, 10, 0xffffffffu, WND, PTCP_R_OUT_OF_WINDOW);
}
END_TEST

START_TEST(test_seq_rst_never_acked) {
  df_fixture f;
  size_t i;

  df_setup(&f, window_specs[_i], 0);
  for (i = 0; i < sizeof(rcv_nxts) / sizeof(rcv_nxts[0]); i++) {
    uint32_t n = rcv_nxts[i];

    /* RFC 5961 §3.2: outside the window a RST is dropped silently. */
    expect_seq(&f, PTCP_RST, ptcp_seq_add(n, WND), 0, n, WND, PTCP_DF_DROP,
               PTCP_R_RST_OUT_OF_WINDOW);
    expect_seq(&f, PTCP_RST | PTCP_ACK, ptcp_seq_add(n, 0xffffffffu), 0, n, WND,
               PTCP_DF_DROP, PTCP_R_RST_OUT_OF_WINDOW);
    expect_seq(&f, PTCP_RST, ptcp_seq_add(n, 1), 0, n, 0, PTCP_DF_DROP,
               PTCP_R_RST_OUT_OF_WINDOW);
    /* Inside, it goes on to check_rst. */
    expect_seq(&f, PTCP_RST, n, 0, n, WND, PTCP_DF_ACCEPT, PTCP_R_NONE);
    expect_seq(&f, PTCP_RST, ptcp_seq_add(n, WND - 1), 0, n, WND, PTCP_DF_ACCEPT,
               PTCP_R_NONE);
    expect_seq(&f, PTCP_RST, n, 0, n, 0, PTCP_DF_ACCEPT, PTCP_R_NONE);
    /* A RST is judged by SEG.SEQ alone (RFC 9293 §3.10.7.4): one that
     * starts before RCV.NXT stays out even when its data reaches into
     * the window (rfc793 used to reset on it), and one that starts in
     * the window is in whatever its length. */
    expect_seq(&f, PTCP_RST | PTCP_ACK, ptcp_seq_add(n, 0xffffffffu), 10, n, WND,
               PTCP_DF_DROP, PTCP_R_RST_OUT_OF_WINDOW);
    expect_seq(&f, PTCP_RST, ptcp_seq_add(n, WND - 1), 10, n, WND, PTCP_DF_ACCEPT,
               PTCP_R_NONE);
    expect_seq(&f, PTCP_RST, n, 10, n, 0, PTCP_DF_ACCEPT, PTCP_R_NONE);
  }
}
END_TEST

START_TEST(test_rst_exact_or_challenge) {
  df_fixture f;
  size_t i;

  df_setup(&f, "rfc9293", 0);
  for (i = 0; i < sizeof(rcv_nxts) / sizeof(rcv_nxts[0]); i++) {
    uint32_t n = rcv_nxts[i];
    uint32_t seqs[] = {ptcp_seq_add(n, 1), ptcp_seq_add(n, WND - 1)};
    ptcp_reason why = PTCP_R_COUNT;
    df_case c;
    size_t k;

    /* RFC 5961 §3.2: exactly RCV.NXT resets... */
    df_case_init(&c, PTCP_RST, n, 0, n, WND, 2 * PTCP_SECONDS);
    ck_assert_int_eq(f.ops->check_rst(&f.st, f.sel.params, &c.ctx, &why), PTCP_DF_RESET);
    ck_assert_int_eq(why, PTCP_R_RST_EXACT);
    /* ... anything else in the window is challenged. */
    for (k = 0; k < 2; k++) {
      df_case_init(&c, PTCP_RST | PTCP_ACK, seqs[k], 0, n, WND, 2 * PTCP_SECONDS);
      ck_assert_int_eq(f.ops->check_rst(&f.st, f.sel.params, &c.ctx, &why),
                       PTCP_DF_CHALLENGE);
      ck_assert_int_eq(why, PTCP_R_RST_IN_WINDOW);
    }
  }
}
END_TEST

START_TEST(test_syn_challenged) {
  df_fixture f;
  static const uint32_t seqs[] = {1000, 999, 1001, 1099, 1100, 0, 0x80000000u};
  size_t i;

  /* RFC 5961 §4.2: any SYN in a synchronized state, wherever it lies. */
  df_setup(&f, "rfc9293", 0);
  for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
    ptcp_reason why = PTCP_R_COUNT;
    df_case c;

    df_case_init(&c, PTCP_SYN, seqs[i], 1, 1000, WND, 3 * PTCP_SECONDS);
    ck_assert_int_eq(f.ops->check_syn(&f.st, f.sel.params, &c.ctx, &why),
                     PTCP_DF_CHALLENGE);
    ck_assert_int_eq(why, PTCP_R_SYN_SYNCHRONIZED);
  }
}
END_TEST

/* check_ack with SND.UNA, SND.NXT and MAX.SND.WND. */
static void expect_ack(df_fixture *f, uint32_t ack, uint32_t una, uint32_t nxt,
                       uint32_t max_wnd, ptcp_df_verdict want, ptcp_reason want_why) {
  ptcp_reason why = PTCP_R_COUNT;
  ptcp_df_verdict v;
  df_case c;

  df_case_init(&c, PTCP_ACK, 5000, 0, 5000, WND, 4 * PTCP_SECONDS);
  c.seg.ack = ack;
  c.ctx.snd_una = una;
  c.ctx.snd_nxt = nxt;
  c.ctx.max_snd_wnd = max_wnd;
  v = f->ops->check_ack(&f->st, f->sel.params, &c.ctx, &why);
  ck_assert_msg(v == want && why == want_why,
                "ack %08x una %08x nxt %08x maxwnd %u: %d/%d, want %d/%d", ack, una, nxt,
                max_wnd, v, why, want, want_why);
}

START_TEST(test_ack_range) {
  df_fixture f;

  df_setup(&f, "rfc9293", 0);
  /* RFC 5961 §5.2: SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.NXT. */
  expect_ack(&f, 2000, 1000, 2000, 500, PTCP_DF_ACCEPT, PTCP_R_NONE);
  expect_ack(&f, 1500, 1000, 2000, 500, PTCP_DF_ACCEPT, PTCP_R_NONE);
  expect_ack(&f, 1000, 1000, 2000, 500, PTCP_DF_ACCEPT, PTCP_R_NONE);
  expect_ack(&f, 500, 1000, 2000, 500, PTCP_DF_ACCEPT, PTCP_R_NONE);
  expect_ack(&f, 499, 1000, 2000, 500, PTCP_DF_ACK, PTCP_R_ACK_TOO_OLD);
  expect_ack(&f, 2001, 1000, 2000, 500, PTCP_DF_ACK, PTCP_R_ACK_UNSENT);
  expect_ack(&f, 0x80000000u, 1000, 2000, 500, PTCP_DF_ACK, PTCP_R_ACK_UNSENT);
  /* With no window ever offered, only SND.UNA..SND.NXT is acceptable. */
  expect_ack(&f, 999, 1000, 2000, 0, PTCP_DF_ACK, PTCP_R_ACK_TOO_OLD);
  expect_ack(&f, 1000, 1000, 1000, 0, PTCP_DF_ACCEPT, PTCP_R_NONE);
  expect_ack(&f, 1001, 1000, 1000, 0, PTCP_DF_ACK, PTCP_R_ACK_UNSENT);
  /* Across the wrap: SND.UNA 100, MAX.SND.WND 200, so the lowest
   * acceptable ACK is 2^32 - 100. */
  expect_ack(&f, 0xffffff9cu, 100, 300, 200, PTCP_DF_ACCEPT, PTCP_R_NONE);
  expect_ack(&f, 0xffffff9bu, 100, 300, 200, PTCP_DF_ACK, PTCP_R_ACK_TOO_OLD);
  expect_ack(&f, 0, 100, 300, 200, PTCP_DF_ACCEPT, PTCP_R_NONE);
  expect_ack(&f, 300, 100, 300, 200, PTCP_DF_ACCEPT, PTCP_R_NONE);
  expect_ack(&f, 301, 100, 300, 200, PTCP_DF_ACK, PTCP_R_ACK_UNSENT);
  /* SND.NXT just past the wrap. */
  expect_ack(&f, 5, 0xfffffff0u, 5, 1000, PTCP_DF_ACCEPT, PTCP_R_NONE);
  expect_ack(&f, 6, 0xfffffff0u, 5, 1000, PTCP_DF_ACK, PTCP_R_ACK_UNSENT);
  expect_ack(&f, 0xfffffff0u - 1000, 0xfffffff0u, 5, 1000, PTCP_DF_ACCEPT, PTCP_R_NONE);
  expect_ack(&f, 0xfffffff0u - 1001, 0xfffffff0u, 5, 1000, PTCP_DF_ACK,
             PTCP_R_ACK_TOO_OLD);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Challenge ACK limit (RFC 5961 §7)                                   */

static int allowed(df_fixture *f, ptcp_time now) {
  return f->ops->challenge_allowed(&f->st, f->sel.params, now);
}

START_TEST(test_challenge_limit_default) {
  const ptcp_time t0 = 10 * PTCP_SECONDS;
  df_fixture f;
  int i;

  df_setup(&f, "rfc9293", t0);
  ck_assert_ptr_nonnull(f.ops->challenge_allowed);
  /* Ten in the first second, then none until it is over. */
  for (i = 0; i < 10; i++)
    ck_assert_msg(allowed(&f, t0 + (ptcp_time)i * PTCP_MILLISECONDS), "challenge %d", i);
  ck_assert(!allowed(&f, t0 + 10 * PTCP_MILLISECONDS));
  ck_assert(!allowed(&f, t0 + PTCP_SECONDS - 1));
  /* A new window starts exactly one second after the last one did. */
  ck_assert(allowed(&f, t0 + PTCP_SECONDS));
  for (i = 1; i < 10; i++)
    ck_assert(allowed(&f, t0 + PTCP_SECONDS + 1));
  ck_assert(!allowed(&f, t0 + PTCP_SECONDS + 2));
  /* Long quiet: a fresh window. */
  ck_assert(allowed(&f, t0 + 3600 * PTCP_SECONDS));
}
END_TEST

START_TEST(test_challenge_limit_param) {
  const ptcp_time t0 = 0;
  df_fixture f;

  /* The first window opens when the connection starts (init at t0). */
  df_setup(&f, "rfc9293:limit=1", t0);
  ck_assert(allowed(&f, t0 + 500 * PTCP_MILLISECONDS));
  ck_assert(!allowed(&f, t0 + 600 * PTCP_MILLISECONDS));
  ck_assert(!allowed(&f, t0 + PTCP_SECONDS - 1));
  /* The next one opens at the first request once a second has passed. */
  ck_assert(allowed(&f, t0 + 1200 * PTCP_MILLISECONDS));
  ck_assert(!allowed(&f, t0 + 2199 * PTCP_MILLISECONDS));
  ck_assert(allowed(&f, t0 + 2200 * PTCP_MILLISECONDS));
  ck_assert(!allowed(&f, t0 + 2200 * PTCP_MILLISECONDS));
}
END_TEST

START_TEST(test_challenge_limit_per_connection) {
  const ptcp_time t0 = 1000 * PTCP_SECONDS;
  df_fixture a, b;
  int i;

  /* CVE-2016-5696: one connection's challenges must not use up another's
   * (a shared counter leaks whether a guess hit someone's window). */
  df_setup(&a, "rfc9293:limit=3", t0);
  df_setup(&b, "rfc9293:limit=3", t0);
  for (i = 0; i < 3; i++)
    ck_assert(allowed(&a, t0 + 1));
  ck_assert(!allowed(&a, t0 + 2));
  for (i = 0; i < 3; i++)
    ck_assert(allowed(&b, t0 + 3));
  ck_assert(!allowed(&b, t0 + 4));
}
END_TEST

START_TEST(test_challenge_limit_far_future) {
  df_fixture f;
  const ptcp_time late = PTCP_TIME_NONE - 10;

  /* Window arithmetic saturates instead of wrapping near 2^64. */
  df_setup(&f, "rfc9293:limit=2", late);
  ck_assert(allowed(&f, late));
  ck_assert(allowed(&f, late + 1));
  ck_assert(!allowed(&f, late + 2));
}
END_TEST


/* ------------------------------------------------------------------ */
/* paws (RFC 7323 §3.2, §5)                                            */

#define DAY (24ULL * 3600 * PTCP_SECONDS)

/* A non-RST data segment in the window, with timestamps in use on the
 * connection: TS.Recent |recent| set at |recent_at|, the segment carrying
 * TSval |tsval| (or no TSopt when |has_ts| is 0), seen at |now|. */
static ptcp_df_verdict paws_seq(df_fixture *f, uint8_t flags, uint32_t seq, int has_ts,
                                uint32_t tsval, uint32_t recent, ptcp_time recent_at,
                                ptcp_time now, ptcp_reason *why) {
  df_case c;

  df_case_init(&c, flags, seq, (flags & PTCP_RST) ? 0 : 10, 1000, WND, now);
  c.ctx.ts_enabled = 1;
  c.ctx.ts_recent = recent;
  c.ctx.ts_recent_at = recent_at;
  if (has_ts) {
    c.seg.opts.present = PTCP_OPT_TS;
    c.seg.opts.ts_val = tsval;
    c.seg.opts.ts_ecr = 1;
  }
  *why = PTCP_R_COUNT;
  return f->ops->check_seq(&f->st, f->sel.params, &c.ctx, why);
}

START_TEST(test_paws_old_tsval) {
  const ptcp_time t0 = 100 * PTCP_SECONDS;
  df_fixture f;
  ptcp_reason why;

  df_setup(&f, "paws", t0);
  /* §5.3 R1: SEG.TSval < TS.Recent: ACK and drop, reason PAWS. */
  ck_assert_int_eq(paws_seq(&f, PTCP_ACK, 1000, 1, 4999, 5000, t0, t0 + 1, &why),
                   PTCP_DF_ACK);
  ck_assert_int_eq(why, PTCP_R_PAWS);
  /* Equal or newer is acceptable. */
  ck_assert_int_eq(paws_seq(&f, PTCP_ACK, 1000, 1, 5000, 5000, t0, t0 + 1, &why),
                   PTCP_DF_ACCEPT);
  ck_assert_int_eq(why, PTCP_R_NONE);
  ck_assert_int_eq(paws_seq(&f, PTCP_ACK, 1000, 1, 5001, 5000, t0, t0 + 1, &why),
                   PTCP_DF_ACCEPT);
  /* Modulo 2^32 (§5.2): 0xfffffff0 is older than 5, 5 newer than
   * 0xfffffff0; 2^31 - 1 ahead is newer, 2^31 + 1 ahead is older. */
  ck_assert_int_eq(paws_seq(&f, PTCP_ACK, 1000, 1, 0xfffffff0u, 5, t0, t0 + 1, &why),
                   PTCP_DF_ACK);
  ck_assert_int_eq(paws_seq(&f, PTCP_ACK, 1000, 1, 5, 0xfffffff0u, t0, t0 + 1, &why),
                   PTCP_DF_ACCEPT);
  ck_assert_int_eq(paws_seq(&f, PTCP_ACK, 1000, 1, 0x7fffffffu, 0, t0, t0 + 1, &why),
                   PTCP_DF_ACCEPT);
  ck_assert_int_eq(paws_seq(&f, PTCP_ACK, 1000, 1, 0x80000001u, 0, t0, t0 + 1, &why),
                   PTCP_DF_ACK);
  /* PAWS comes before the window test: an old, out-of-window segment
   * says PAWS; a new, out-of-window one says OUT_OF_WINDOW. */
  ck_assert_int_eq(paws_seq(&f, PTCP_ACK, 1000 + WND, 1, 1, 2, t0, t0 + 1, &why),
                   PTCP_DF_ACK);
  ck_assert_int_eq(why, PTCP_R_PAWS);
  ck_assert_int_eq(paws_seq(&f, PTCP_ACK, 1000 + WND, 1, 3, 2, t0, t0 + 1, &why),
                   PTCP_DF_ACK);
  ck_assert_int_eq(why, PTCP_R_OUT_OF_WINDOW);
  /* A SYN is not exempt. */
  ck_assert_int_eq(paws_seq(&f, PTCP_SYN, 1000, 1, 1, 2, t0, t0 + 1, &why), PTCP_DF_ACK);
  ck_assert_int_eq(why, PTCP_R_PAWS);
}
END_TEST

START_TEST(test_paws_rst_exempt) {
  const ptcp_time t0 = 100 * PTCP_SECONDS;
  df_fixture f;
  ptcp_reason why;

  df_setup(&f, "paws", t0);
  /* §5.3 R1 is for non-RST segments; a RST needs no TSopt (§3.2).  In
   * the window it goes on to check_rst, outside it is dropped silently. */
  ck_assert_int_eq(paws_seq(&f, PTCP_RST, 1000, 1, 1, 2, t0, t0 + 1, &why),
                   PTCP_DF_ACCEPT);
  ck_assert_int_eq(paws_seq(&f, PTCP_RST | PTCP_ACK, 1001, 0, 0, 2, t0, t0 + 1, &why),
                   PTCP_DF_ACCEPT);
  ck_assert_int_eq(paws_seq(&f, PTCP_RST, 1000 + WND, 1, 1, 2, t0, t0 + 1, &why),
                   PTCP_DF_DROP);
  ck_assert_int_eq(why, PTCP_R_RST_OUT_OF_WINDOW);
}
END_TEST

START_TEST(test_paws_missing_tsopt) {
  const ptcp_time t0 = 100 * PTCP_SECONDS;
  df_fixture f;
  ptcp_reason why;

  /* §3.2: a non-RST segment without TSopt SHOULD be dropped silently. */
  df_setup(&f, "paws", t0);
  ck_assert_int_eq(paws_seq(&f, PTCP_ACK, 1000, 0, 0, 5000, t0, t0 + 1, &why),
                   PTCP_DF_DROP);
  ck_assert_int_eq(why, PTCP_R_PAWS);
  /* The SHOULD turned off: the window decides. */
  df_setup(&f, "paws:require_ts=off", t0);
  ck_assert_int_eq(paws_seq(&f, PTCP_ACK, 1000, 0, 0, 5000, t0, t0 + 1, &why),
                   PTCP_DF_ACCEPT);
  ck_assert_int_eq(paws_seq(&f, PTCP_ACK, 1000 + WND, 0, 0, 5000, t0, t0 + 1, &why),
                   PTCP_DF_ACK);
  ck_assert_int_eq(why, PTCP_R_OUT_OF_WINDOW);
  /* Without timestamps on the connection, no TSopt is expected. */
  {
    df_case c;

    df_setup(&f, "paws", t0);
    df_case_init(&c, PTCP_ACK, 1000, 10, 1000, WND, t0);
    ck_assert_int_eq(f.ops->check_seq(&f.st, f.sel.params, &c.ctx, &why),
                     PTCP_DF_ACCEPT);
  }
}
END_TEST

START_TEST(test_paws_ts_recent_lifetime) {
  const ptcp_time t0 = 7 * PTCP_SECONDS;
  df_fixture f;
  ptcp_reason why;

  /* §5.5: TS.Recent is valid for 24 days after it was set... */
  df_setup(&f, "paws", t0);
  ck_assert_int_eq(paws_seq(&f, PTCP_ACK, 1000, 1, 1, 2, t0, t0 + 24 * DAY, &why),
                   PTCP_DF_ACK);
  /* ... and invalid a nanosecond later: the old TSval passes. */
  ck_assert_int_eq(paws_seq(&f, PTCP_ACK, 1000, 1, 1, 2, t0, t0 + 24 * DAY + 1, &why),
                   PTCP_DF_ACCEPT);
  /* Invalid TS.Recent does not excuse a missing TSopt. */
  ck_assert_int_eq(paws_seq(&f, PTCP_ACK, 1000, 0, 0, 2, t0, t0 + 30 * DAY, &why),
                   PTCP_DF_DROP);
  /* A TS.Recent set "after" now (clock skew in a script) is valid. */
  ck_assert_int_eq(paws_seq(&f, PTCP_ACK, 1000, 1, 1, 2, t0 + 5, t0, &why), PTCP_DF_ACK);
  /* The param, at its lower bound: 1 ms. */
  df_setup(&f, "paws:ts_recent_life=1ms", t0);
  ck_assert_int_eq(
      paws_seq(&f, PTCP_ACK, 1000, 1, 1, 2, t0, t0 + PTCP_MILLISECONDS, &why),
      PTCP_DF_ACK);
  ck_assert_int_eq(
      paws_seq(&f, PTCP_ACK, 1000, 1, 1, 2, t0, t0 + PTCP_MILLISECONDS + 1, &why),
      PTCP_DF_ACCEPT);
  /* Near the end of time: no overflow. */
  ck_assert_int_eq(paws_seq(&f, PTCP_ACK, 1000, 1, 1, 2, 0, PTCP_TIME_NONE - 1, &why),
                   PTCP_DF_ACCEPT);
}
END_TEST

START_TEST(test_paws_rest_as_rfc9293) {
  df_fixture f;
  ptcp_reason why = PTCP_R_COUNT;
  df_case c;
  int i;

  df_setup(&f, "paws:limit=2", 0);
  df_case_init(&c, PTCP_RST, 1001, 0, 1000, WND, PTCP_SECONDS);
  ck_assert_int_eq(f.ops->check_rst(&f.st, f.sel.params, &c.ctx, &why), PTCP_DF_CHALLENGE);
  ck_assert_int_eq(why, PTCP_R_RST_IN_WINDOW);
  c.seg.seq = 1000;
  ck_assert_int_eq(f.ops->check_rst(&f.st, f.sel.params, &c.ctx, &why), PTCP_DF_RESET);
  df_case_init(&c, PTCP_SYN, 1000, 1, 1000, WND, PTCP_SECONDS);
  ck_assert_int_eq(f.ops->check_syn(&f.st, f.sel.params, &c.ctx, &why), PTCP_DF_CHALLENGE);
  expect_ack(&f, 499, 1000, 2000, 500, PTCP_DF_ACK, PTCP_R_ACK_TOO_OLD);
  expect_ack(&f, 500, 1000, 2000, 500, PTCP_DF_ACCEPT, PTCP_R_NONE);
  for (i = 0; i < 2; i++)
    ck_assert(allowed(&f, 10));
  ck_assert(!allowed(&f, 11));
  ck_assert(allowed(&f, PTCP_SECONDS));
}
END_TEST

/* ------------------------------------------------------------------ */
/* rfc793                                                              */

START_TEST(test_rfc793_rst_and_syn_reset) {
  df_fixture f;
  size_t i;

  df_setup(&f, "rfc793", 0);
  ck_assert_ptr_null(f.ops->challenge_allowed);
  for (i = 0; i < sizeof(rcv_nxts) / sizeof(rcv_nxts[0]); i++) {
    uint32_t n = rcv_nxts[i];
    ptcp_reason why = PTCP_R_COUNT;
    df_case c;

    /* RFC 793 p. 70: any RST that passed the window test resets, exact
     * or not (RFC 5961 would challenge the second). */
    df_case_init(&c, PTCP_RST, n, 0, n, WND, PTCP_SECONDS);
    ck_assert_int_eq(f.ops->check_rst(&f.st, f.sel.params, &c.ctx, &why), PTCP_DF_RESET);
    ck_assert_int_eq(why, PTCP_R_RST_EXACT);
    df_case_init(&c, PTCP_RST | PTCP_ACK, ptcp_seq_add(n, WND - 1), 0, n, WND,
                 PTCP_SECONDS);
    ck_assert_int_eq(f.ops->check_rst(&f.st, f.sel.params, &c.ctx, &why), PTCP_DF_RESET);
    ck_assert_int_eq(why, PTCP_R_RST_IN_WINDOW);
    /* Outside the window it never got here: check_seq dropped it. */
    expect_seq(&f, PTCP_RST, ptcp_seq_add(n, WND), 0, n, WND, PTCP_DF_DROP,
               PTCP_R_RST_OUT_OF_WINDOW);
    /* p. 71: a SYN in the window resets; outside it, check_seq ACKs. */
    df_case_init(&c, PTCP_SYN, ptcp_seq_add(n, 50), 1, n, WND, PTCP_SECONDS);
    ck_assert_int_eq(f.ops->check_syn(&f.st, f.sel.params, &c.ctx, &why), PTCP_DF_RESET);
    ck_assert_int_eq(why, PTCP_R_SYN_SYNCHRONIZED);
    expect_seq(&f, PTCP_SYN, ptcp_seq_add(n, WND), 1, n, WND, PTCP_DF_ACK,
               PTCP_R_OUT_OF_WINDOW);
  }
}
END_TEST

START_TEST(test_rfc793_ack_range) {
  df_fixture f;

  df_setup(&f, "rfc793", 0);
  /* RFC 793 p. 72: only SEG.ACK > SND.NXT is rejected; no RFC 5961 floor
   * below SND.UNA, however old. */
  expect_ack(&f, 2000, 1000, 2000, 500, PTCP_DF_ACCEPT, PTCP_R_NONE);
  expect_ack(&f, 499, 1000, 2000, 500, PTCP_DF_ACCEPT, PTCP_R_NONE);
  expect_ack(&f, 0x80000000u + 2001, 1000, 2000, 500, PTCP_DF_ACCEPT, PTCP_R_NONE);
  expect_ack(&f, 2001, 1000, 2000, 500, PTCP_DF_ACK, PTCP_R_ACK_UNSENT);
  expect_ack(&f, 0x80000000u + 1999, 1000, 2000, 500, PTCP_DF_ACK, PTCP_R_ACK_UNSENT);
  /* Across the wrap. */
  expect_ack(&f, 5, 0xfffffff0u, 5, 1000, PTCP_DF_ACCEPT, PTCP_R_NONE);
  expect_ack(&f, 6, 0xfffffff0u, 5, 1000, PTCP_DF_ACK, PTCP_R_ACK_UNSENT);
  expect_ack(&f, 0xfffff000u, 0xfffffff0u, 5, 0, PTCP_DF_ACCEPT, PTCP_R_NONE);
}
END_TEST

Suite *ptcp_dupfilter_suite(void) {
  Suite *s = suite_create("dupfilter");
  TCase *seq = tcase_create("check_seq");
  TCase *rest = tcase_create("rst_syn_ack");
  TCase *lim = tcase_create("challenge_limit");
  TCase *paws = tcase_create("paws");
  TCase *r793 = tcase_create("rfc793");

  tcase_add_loop_test(seq, test_seq_len0_wnd0, 0, N_WINDOW_SPECS);
  tcase_add_loop_test(seq, test_seq_len0_wnd, 0, N_WINDOW_SPECS);
  tcase_add_loop_test(seq, test_seq_len_wnd0, 0, N_WINDOW_SPECS);
  tcase_add_loop_test(seq, test_seq_len_wnd, 0, N_WINDOW_SPECS);
  tcase_add_loop_test(seq, test_seq_window_across_wrap, 0, N_WINDOW_SPECS);
  tcase_add_loop_test(seq, test_seq_rst_never_acked, 0, N_WINDOW_SPECS);
  suite_add_tcase(s, seq);

  tcase_add_test(rest, test_rst_exact_or_challenge);
  tcase_add_test(rest, test_syn_challenged);
  tcase_add_test(rest, test_ack_range);
  suite_add_tcase(s, rest);

  tcase_add_test(lim, test_challenge_limit_default);
  tcase_add_test(lim, test_challenge_limit_param);
  tcase_add_test(lim, test_challenge_limit_per_connection);
  tcase_add_test(lim, test_challenge_limit_far_future);
  suite_add_tcase(s, lim);

  tcase_add_test(paws, test_paws_old_tsval);
  tcase_add_test(paws, test_paws_rst_exempt);
  tcase_add_test(paws, test_paws_missing_tsopt);
  tcase_add_test(paws, test_paws_ts_recent_lifetime);
  tcase_add_test(paws, test_paws_rest_as_rfc9293);
  suite_add_tcase(s, paws);

  tcase_add_test(r793, test_rfc793_rst_and_syn_reset);
  tcase_add_test(r793, test_rfc793_ack_range);
  suite_add_tcase(s, r793);
  return s;
}

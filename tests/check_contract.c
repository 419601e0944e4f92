/*
 * The contract every registered policy keeps, whatever its algorithm
 * (hardening.md §4.10, style-anchors rule 13).  Each test walks the whole
 * registry of its slot, so a variant added later is covered the moment
 * ptcp_registry_add_builtins registers it:
 *
 *   all   declared params round-trip through format and parse, a summary
 *         exists, and the state fits the built-in budget;
 *   isn   generate is a function of (state, ctx): the same state and
 *         ctx give the same ISN;
 *   rto   RTO inside [PTCP_RTO_FLOOR, PTCP_RTO_CEIL] after any sample,
 *         hostile ones included, and monotone non-decreasing under
 *         repeated timeouts;
 *   dupfilter  an in-order segment is accepted; a RST is never answered
 *         by check_seq; RST/SYN/ACK checks return only verdicts their
 *         hook may return, and every rejection carries a reason;
 *   close a RST in TIME-WAIT is never answered; only a SYN can reopen;
 *   cc    cwnd >= 1 SMSS after init and after any event.
 *
 * Simulated time is explicit in every call and only moves forward.
 */
#include <check.h>
#include <string.h>

#include <plugtcp/policy.h>
#include <plugtcp/seq.h>

#include "builtins.h"
#include "policy_test_helper.h"

Suite *ptcp_contract_suite(void);

#define MS PTCP_MILLISECONDS
#define S PTCP_SECONDS

static ptcp_registry *builtin_registry(void) {
  ptcp_registry *reg = NULL;

  ck_assert_int_eq(ptcp_registry_new(&reg, NULL), 0);
  ck_assert_int_eq(ptcp_registry_add_builtins(reg), 0);
  return reg;
}

/* The selection of |info| with its default parameters. */
static ptcp_policy_sel defaults_of(const ptcp_registry *reg, const ptcp_policy_info *info) {
  ptcp_policy_sel sel;
  char err[256];

  ck_assert_msg(ptcp_policy_parse(&sel, reg, info->slot, info->name, err, sizeof(err)) ==
                    0,
                "%s", err);
  ck_assert_ptr_eq(sel.ops, info);
  return sel;
}

START_TEST(test_contract_every_policy_describes_itself) {
  ptcp_registry *reg = builtin_registry();
  int slot;

  for (slot = 0; slot < PTCP_SLOT_COUNT; slot++) {
    size_t i, n = ptcp_registry_count(reg, (ptcp_slot)slot);

    ck_assert_uint_gt(n, 0);
    for (i = 0; i < n; i++) {
      const ptcp_policy_info *info = ptcp_registry_get(reg, (ptcp_slot)slot, i);
      ptcp_policy_sel a = defaults_of(reg, info), b;
      char text[256];
      int len;

      ck_assert_ptr_nonnull(info->summary);
      ck_assert_uint_gt(strlen(info->summary), 10);
      ck_assert_msg(info->state_size <= PTCP_BUILTIN_STATE_MAX, "%s/%s: state %zu",
                    ptcp_slot_name(info->slot), info->name, info->state_size);
      len = ptcp_policy_format(text, sizeof(text), &a);
      ck_assert_int_gt(len, 0);
      ck_assert_uint_lt((size_t)len, sizeof(text));
      ck_assert_int_eq(ptcp_policy_parse(&b, reg, info->slot, text, NULL, 0), 0);
      ck_assert_mem_eq(a.params, b.params, info->params_size);
    }
  }
  ptcp_registry_free(reg);
}
END_TEST

/* ------------------------------------------------------------------ */
/* isn                                                                 */

START_TEST(test_contract_isn_deterministic) {
  ptcp_registry *reg = builtin_registry();
  ptcp_addr l = ptcp_addr_v4(198, 51, 100, 1), r = ptcp_addr_v4(203, 0, 113, 9);
  size_t i;

  for (i = 0; i < ptcp_registry_count(reg, PTCP_SLOT_ISN); i++) {
    const ptcp_isn_ops *ops = (const ptcp_isn_ops *)ptcp_registry_get(reg, PTCP_SLOT_ISN, i);
    ptcp_policy_sel sel = defaults_of(reg, &ops->info);
    test_rand rand = {.x = 12345};
    ptcp_policy_env env = {.rand = test_rand_fill, .rand_ctx = &rand, .now = 1 * S};
    policy_state st, copy;
    ptcp_time now = 2 * S;
    int k;

    policy_state_zero(&st, &ops->info);
    if (ops->init != NULL)
      ck_assert_int_eq(ops->init(&st, sel.params, &env), 0);
    for (k = 0; k < 100; k++, now += 3 * MS) {
      ptcp_isn_ctx ctx = {.local = &l,
                          .remote = &r,
                          .local_port = (uint16_t)(40000 + k),
                          .remote_port = 443,
                          .now = now};
      uint32_t a, b;

      copy = st;
      a = ops->generate(&st, sel.params, &ctx);
      b = ops->generate(&copy, sel.params, &ctx);
      ck_assert_msg(a == b, "isn/%s: %08x then %08x from the same state", ops->info.name,
                    a, b);
      ck_assert_mem_eq(&st, &copy, sizeof(st));
    }
    if (ops->release != NULL)
      ops->release(&st);
  }
  ptcp_registry_free(reg);
}
END_TEST

/* ------------------------------------------------------------------ */
/* rto                                                                 */

static void expect_rto_in_range(const ptcp_rto_ops *ops, const void *params,
                                const policy_state *st, const char *when) {
  ptcp_duration rto = ops->rto(st, params);

  ck_assert_msg(rto >= PTCP_RTO_FLOOR && rto <= PTCP_RTO_CEIL,
                "rto/%s: %llu ns %s, outside [%llu, %llu]", ops->info.name,
                (unsigned long long)rto, when, (unsigned long long)PTCP_RTO_FLOOR,
                (unsigned long long)PTCP_RTO_CEIL);
}

START_TEST(test_contract_rto_bounds_and_backoff) {
  static const ptcp_duration samples[] = {
      0,       1,           1 * MS,          100 * MS,           3 * S,
      600 * S, 3600 * S,    UINT64_MAX / 2,  PTCP_TIME_NONE - 1, PTCP_TIME_NONE,
      7 * MS,  250 * MS,
  };
  /* Each policy with its defaults, and at the extremes of its bounds. */
  static const char *const extra[] = {
      "rfc6298:min=1ms,max=1ms,initial=1ms,granularity=0",
      "rfc6298:min=600s,max=600s,initial=600s,backoff_cap=64",
      "rfc6298:min=600s,max=1ms",
      "fixed:value=1ms,max=600s",
      "fixed:value=600s,max=1ms,backoff_cap=64",
      "rfc6298:eifel=on,min=1ms,granularity=0",
      "rfc6298:eifel=on,min=600s,max=1ms",
      "rfc793:alpha_milli=0,beta_milli=10000,min=1ms,max=600s,karn=off",
      "rfc793:alpha_milli=1000,beta_milli=1000,min=600s,max=1ms,backoff_cap=64",
      "jacobson88:k=16,min=1ms,max=600s,initial=1ms",
      "jacobson88:k=1,min=600s,max=1ms",
      "linux:min=1ms,max=600s,initial=600s",
      "linux:min=600s,max=1ms",
      "freebsd:min=1ms,slop=10s,granularity=1s,max=600s,backoff_cap=64",
      "freebsd:min=600s,slop=0,granularity=0,max=1ms",
  };
  ptcp_registry *reg = builtin_registry();
  size_t n = ptcp_registry_count(reg, PTCP_SLOT_RTO);
  size_t i, j;

  for (i = 0; i < n + sizeof(extra) / sizeof(extra[0]); i++) {
    ptcp_policy_sel sel;
    const ptcp_rto_ops *ops;
    policy_state st;
    ptcp_time now = 0;
    ptcp_duration prev;
    int k;

    if (i < n)
      sel = defaults_of(reg, ptcp_registry_get(reg, PTCP_SLOT_RTO, i));
    else
      ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_RTO, extra[i - n], NULL, 0),
                       0);
    ops = (const ptcp_rto_ops *)sel.ops;
    policy_state_zero(&st, sel.ops);
    ck_assert_int_eq(ops->init(&st, sel.params, now), 0);
    expect_rto_in_range(ops, sel.params, &st, "after init");

    /* Every sample, with every combination of flags. */
    for (j = 0; j < sizeof(samples) / sizeof(samples[0]); j++) {
      for (k = 0; k < 4; k++) {
        ptcp_rtt_sample s = {.rtt = samples[j],
                             .now = now += 10 * MS,
                             .retransmitted = (uint8_t)(k & 1),
                             .from_timestamp = (uint8_t)(k >> 1)};

        ops->on_rtt_sample(&st, sel.params, &s);
        expect_rto_in_range(ops, sel.params, &st, "after a sample");
        if (ops->on_new_ack != NULL) {
          ops->on_new_ack(&st, sel.params, now += 1 * MS);
          expect_rto_in_range(ops, sel.params, &st, "after a new ACK");
        }
      }
    }

    /* RFC 6298 §5.5: repeated timeouts never shorten the timer. */
    prev = ops->rto(&st, sel.params);
    for (k = 0; k < 100; k++) {
      ptcp_duration cur;

      now += prev;
      ops->on_timeout(&st, sel.params, now);
      cur = ops->rto(&st, sel.params);
      ck_assert_msg(cur >= prev, "rto/%s: timeout %d shortened %llu to %llu",
                    sel.ops->name, k, (unsigned long long)prev, (unsigned long long)cur);
      expect_rto_in_range(ops, sel.params, &st, "after a timeout");
      prev = cur;
    }
    if (ops->on_spurious_timeout != NULL) {
      ops->on_spurious_timeout(&st, sel.params, now += 1 * MS);
      expect_rto_in_range(ops, sel.params, &st, "after a spurious timeout");
    }
    if (ops->release != NULL)
      ops->release(&st);
  }
  ptcp_registry_free(reg);
}
END_TEST

/* ------------------------------------------------------------------ */
/* dupfilter                                                           */

static ptcp_seg_ctx df_ctx(ptcp_seg *seg, uint8_t flags, uint32_t seq, uint32_t len,
                           uint32_t rcv_nxt, uint32_t rcv_wnd, ptcp_time now) {
  ptcp_seg_ctx c;

  memset(seg, 0, sizeof(*seg));
  seg->flags = flags;
  seg->seq = seq;
  seg->ack = 7000;
  seg->payload_len = len;
  memset(&c, 0, sizeof(c));
  c.seg = seg;
  c.seg_len = len;
  c.state = PTCP_ESTABLISHED;
  c.rcv_nxt = rcv_nxt;
  c.rcv_wnd = rcv_wnd;
  c.snd_una = 6000;
  c.snd_nxt = 7000;
  c.max_snd_wnd = 65535;
  c.now = now;
  return c;
}

START_TEST(test_contract_dupfilter) {
  static const uint32_t nxts[] = {1, 1u << 31, 0xffffffffu, 0xfffffff0u};
  ptcp_registry *reg = builtin_registry();
  size_t i, j;

  for (i = 0; i < ptcp_registry_count(reg, PTCP_SLOT_DUPFILTER); i++) {
    const ptcp_dupfilter_ops *ops =
        (const ptcp_dupfilter_ops *)ptcp_registry_get(reg, PTCP_SLOT_DUPFILTER, i);
    ptcp_policy_sel sel = defaults_of(reg, &ops->info);
    const char *name = ops->info.name;
    policy_state st;
    ptcp_time now = 1 * S;

    policy_state_zero(&st, &ops->info);
    if (ops->init != NULL)
      ck_assert_int_eq(ops->init(&st, sel.params, now), 0);
    for (j = 0; j < sizeof(nxts) / sizeof(nxts[0]); j++) {
      uint32_t n = nxts[j];
      ptcp_reason why;
      ptcp_seg seg;
      ptcp_seg_ctx c;
      ptcp_df_verdict v;
      uint32_t off;

      /* The next expected segment, and an in-window one, are accepted
       * (a filter that drops them loses data). */
      c = df_ctx(&seg, PTCP_ACK, n, 1000, n, 65535, now += MS);
      ck_assert_msg(ops->check_seq(&st, sel.params, &c, &why) == PTCP_DF_ACCEPT,
                    "dupfilter/%s dropped the in-order segment", name);
      c = df_ctx(&seg, PTCP_ACK, ptcp_seq_add(n, 2000), 1000, n, 65535, now += MS);
      ck_assert_int_eq(ops->check_seq(&st, sel.params, &c, &why), PTCP_DF_ACCEPT);

      /* A RST is never answered by the sequence check, and neither
       * verdict nor reason is missing on rejection. */
      for (off = 0; off < 0xffffffffu - 0x0fffffffu; off += 0x0fffffffu) {
        c = df_ctx(&seg, PTCP_RST | PTCP_ACK, ptcp_seq_add(n, off), 0, n, 65535,
                   now += MS);
        why = PTCP_R_COUNT;
        v = ops->check_seq(&st, sel.params, &c, &why);
        ck_assert_msg(v == PTCP_DF_ACCEPT || v == PTCP_DF_DROP,
                      "dupfilter/%s answered a RST (verdict %d)", name, v);
        ck_assert_int_lt(why, PTCP_R_COUNT);
        ck_assert(v == PTCP_DF_ACCEPT || why != PTCP_R_NONE);
        if (v == PTCP_DF_ACCEPT) {
          v = ops->check_rst(&st, sel.params, &c, &why);
          ck_assert(v == PTCP_DF_RESET || v == PTCP_DF_CHALLENGE || v == PTCP_DF_DROP);
          ck_assert_int_ne(why, PTCP_R_NONE);
        }
        /* Data segments at the same offsets: a rejection has a reason. */
        c = df_ctx(&seg, PTCP_ACK, ptcp_seq_add(n, off), 100, n, 65535, now += MS);
        why = PTCP_R_COUNT;
        v = ops->check_seq(&st, sel.params, &c, &why);
        ck_assert_int_lt(why, PTCP_R_COUNT);
        ck_assert(v == PTCP_DF_ACCEPT || why != PTCP_R_NONE);
        ck_assert(v != PTCP_DF_RESET);
      }

      /* SYN in a synchronized state: RESET or CHALLENGE, with a reason. */
      c = df_ctx(&seg, PTCP_SYN, n, 1, n, 65535, now += MS);
      v = ops->check_syn(&st, sel.params, &c, &why);
      ck_assert(v == PTCP_DF_RESET || v == PTCP_DF_CHALLENGE);
      ck_assert_int_ne(why, PTCP_R_NONE);

      /* An ACK of everything sent is acceptable; one beyond it is not. */
      c = df_ctx(&seg, PTCP_ACK, n, 0, n, 65535, now += MS);
      seg.ack = c.snd_nxt;
      ck_assert_int_eq(ops->check_ack(&st, sel.params, &c, &why), PTCP_DF_ACCEPT);
      seg.ack = ptcp_seq_add(c.snd_nxt, 1);
      ck_assert_int_ne(ops->check_ack(&st, sel.params, &c, &why), PTCP_DF_ACCEPT);
      ck_assert_int_ne(why, PTCP_R_NONE);
    }

    /* The challenge limit allows something, and not an unbounded burst. */
    if (ops->challenge_allowed != NULL) {
      int k, granted = 0;

      for (k = 0; k < 100000; k++)
        granted += ops->challenge_allowed(&st, sel.params, now) != 0;
      ck_assert_int_gt(granted, 0);
      ck_assert_int_lt(granted, 100000);
      ck_assert(ops->challenge_allowed(&st, sel.params, now + 3600 * S));
    }
    if (ops->release != NULL)
      ops->release(&st);
  }
  ptcp_registry_free(reg);
}
END_TEST

/* ------------------------------------------------------------------ */
/* close                                                               */

START_TEST(test_contract_close) {
  static const uint8_t flag_sets[] = {
      PTCP_RST,           PTCP_RST | PTCP_ACK, PTCP_SYN,  PTCP_SYN | PTCP_ACK,
      PTCP_FIN | PTCP_ACK, PTCP_ACK,            0,         PTCP_ACK | PTCP_PSH,
  };
  ptcp_registry *reg = builtin_registry();
  size_t i, j;

  for (i = 0; i < ptcp_registry_count(reg, PTCP_SLOT_CLOSE); i++) {
    const ptcp_close_ops *ops =
        (const ptcp_close_ops *)ptcp_registry_get(reg, PTCP_SLOT_CLOSE, i);
    ptcp_policy_sel sel = defaults_of(reg, &ops->info);
    uint32_t off;

    (void)ops->time_wait(sel.params, 120 * S);
    (void)ops->time_wait(sel.params, UINT64_MAX);
    for (j = 0; j < sizeof(flag_sets) / sizeof(flag_sets[0]); j++) {
      for (off = 0; off < 0xffffffffu - 0x1fffffffu; off += 0x1fffffffu) {
        uint8_t flags = flag_sets[j];
        ptcp_seg seg;
        ptcp_tw_ctx c;
        ptcp_tw_verdict v;
        int listener;

        for (listener = 0; listener < 2; listener++) {
          memset(&seg, 0, sizeof(seg));
          seg.flags = flags;
          seg.seq = ptcp_seq_add(5000, off);
          memset(&c, 0, sizeof(c));
          c.seg = &seg;
          /* Odd offsets carry 10 bytes of data (a RST may carry text,
           * RFC 9293 §3.5.3). */
          c.seg_len = ((flags & PTCP_SYN) != 0) + ((flags & PTCP_FIN) != 0) +
                      ((off / 0x1fffffffu) % 2 ? 10u : 0u);
          c.rcv_nxt = 5000;
          c.snd_nxt = 9000;
          c.listener = (uint8_t)listener;
          c.now = 200 * S + off;
          v = ops->time_wait_segment(sel.params, &c);
          /* RFC 9293: a RST is never answered. */
          if (flags & PTCP_RST)
            ck_assert_msg(v == PTCP_TW_DROP || v == PTCP_TW_CLOSE,
                          "close/%s answered a RST in TIME-WAIT", ops->info.name);
          /* Only a SYN can reopen, and only towards a listener. */
          if (v == PTCP_TW_REOPEN)
            ck_assert((flags & PTCP_SYN) && listener);
        }
      }
    }
  }
  ptcp_registry_free(reg);
}
END_TEST

/* ------------------------------------------------------------------ */
/* cc                                                                  */

static void expect_cwnd_floor(const ptcp_cc_ops *ops, const policy_state *st, uint32_t mss,
                              const char *event) {
  uint32_t w = ops->cwnd(st);

  ck_assert_msg(w >= mss, "cc/%s: cwnd %u < SMSS %u after %s", ops->info.name, w, mss,
                event);
}

START_TEST(test_contract_cc_floor) {
  static const uint32_t mss_values[] = {1, 48, 536, 1460, 9000, 65535};
  static const uint32_t amounts[] = {0, 1, 1000, 65535, 1u << 30, UINT32_MAX};
  ptcp_registry *reg = builtin_registry();
  size_t i, m, a;

  for (i = 0; i < ptcp_registry_count(reg, PTCP_SLOT_CC); i++) {
    const ptcp_cc_ops *ops = (const ptcp_cc_ops *)ptcp_registry_get(reg, PTCP_SLOT_CC, i);
    ptcp_policy_sel sel = defaults_of(reg, &ops->info);

    for (m = 0; m < sizeof(mss_values) / sizeof(mss_values[0]); m++) {
      uint32_t mss = mss_values[m];
      policy_state st;
      ptcp_time now = 0;

      policy_state_zero(&st, &ops->info);
      ck_assert_int_eq(ops->init(&st, sel.params, mss, now), 0);
      expect_cwnd_floor(ops, &st, mss, "init");
      for (a = 0; a < sizeof(amounts) / sizeof(amounts[0]); a++) {
        uint32_t x = amounts[a];
        ptcp_cc_ack ack = {.acked = x, .flight = x, .mss = mss, .rtt = 20 * MS};
        int k;

        for (k = 0; k < 50; k++) {
          ack.now = now += MS;
          ops->on_ack(&st, sel.params, &ack);
          expect_cwnd_floor(ops, &st, mss, "on_ack");
        }
        ops->on_enter_recovery(&st, sel.params, x, mss, now += MS);
        expect_cwnd_floor(ops, &st, mss, "on_enter_recovery");
        if (ops->on_recovery_dupack != NULL) {
          ops->on_recovery_dupack(&st, sel.params, mss);
          expect_cwnd_floor(ops, &st, mss, "on_recovery_dupack");
        }
        if (ops->on_partial_ack != NULL) {
          ops->on_partial_ack(&st, sel.params, x, mss);
          expect_cwnd_floor(ops, &st, mss, "on_partial_ack");
        }
        ops->on_exit_recovery(&st, sel.params, x, mss, now += MS);
        expect_cwnd_floor(ops, &st, mss, "on_exit_recovery");
        ops->on_timeout(&st, sel.params, x, mss, now += S);
        expect_cwnd_floor(ops, &st, mss, "on_timeout");
        if (ops->on_spurious != NULL) {
          ops->on_spurious(&st, sel.params, now += MS);
          expect_cwnd_floor(ops, &st, mss, "on_spurious");
        }
        if (ops->on_idle != NULL) {
          ops->on_idle(&st, sel.params, mss, now += 10 * S);
          expect_cwnd_floor(ops, &st, mss, "on_idle");
        }
      }
      if (ops->release != NULL)
        ops->release(&st);
    }
  }
  ptcp_registry_free(reg);
}
END_TEST

Suite *ptcp_contract_suite(void) {
  Suite *s = suite_create("contract");
  TCase *tc = tcase_create("every_policy");

  tcase_add_test(tc, test_contract_every_policy_describes_itself);
  tcase_add_test(tc, test_contract_isn_deterministic);
  tcase_add_test(tc, test_contract_rto_bounds_and_backoff);
  tcase_add_test(tc, test_contract_dupfilter);
  tcase_add_test(tc, test_contract_close);
  tcase_add_test(tc, test_contract_cc_floor);
  suite_add_tcase(s, tc);
  return s;
}

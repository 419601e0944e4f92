/*
 * plugtcp fuzz target "policy": every registered policy's hooks, driven
 * with hostile inputs, against the contract of its slot (policy.h,
 * docs/policies.md, hardening.md §4.10).  The registry is walked, not a
 * list of names, so a policy registered later is fuzzed the moment
 * ptcp_registry_add_builtins knows it.
 *
 * Input: a mode byte, then
 *   spec mode:   a slot and a NUL-ended spec string for ptcp_policy_parse
 *   hook modes:  a slot's policy index and five parameter selectors
 *                (conn_format.h cf_param_value), then operations on the
 *                hooks until the input ends.
 *
 * Contracts, for every policy of the slot:
 *   all   a spec built from the declared parameters parses; format then
 *         parse gives the same parameters; the same state and arguments
 *         give the same answer (each hook is also run on a copy);
 *   isn   a keyed policy fails closed without randomness; ISNs change
 *         with the tuple and with time (RFC 6528 §3: exactly the 4 us
 *         clock for one tuple), except for the policies documented as
 *         predictable on purpose, which follow their formula;
 *   rto   RTO inside [PTCP_RTO_FLOOR, PTCP_RTO_CEIL] and inside the
 *         policy's own [min, max]; timeouts never lower it (monotone
 *         backoff); an ambiguous sample changes nothing (Karn, RFC 6298
 *         §3); SRTT unknown before the first sample;
 *   dupfilter  verdicts each hook may return, with a reason; a segment
 *         is accepted only if it overlaps the receive window (RFC 9293
 *         §3.10.7.4), and one entirely inside it is never refused
 *         without timestamps; a RST is never ACKed and resets only from
 *         inside the window; no ACK beyond SND.NXT is accepted; challenge
 *         ACKs stay under the policy's limit;
 *   close bounded TIME-WAIT and FIN-WAIT-2 timers (at most 4 MSL or an
 *         hour); a RST in TIME-WAIT is never answered; only a bare SYN
 *         reopens; close_action says FIN or RST;
 *   cc    cwnd >= 1 SMSS after every event; a timeout never raises cwnd;
 *         after a loss ssthresh >= 2 SMSS (RFC 5681 eq. 4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plugtcp/plugtcp.h>

#include "conn_format.h"
#include "fuzz_input.h"

#define MAX_OPS 4096u
#define MAX_ISNS 256u
#define STATE_MAX 4096u

static ptcp_registry *reg;
static uint64_t rng;
static int rand_mode; /* 0 works, 1 fails, 2 absent */

enum {
  MODE_SPEC = 0,
  MODE_ISN,
  MODE_RTO,
  MODE_DUPFILTER,
  MODE_CLOSE,
  MODE_CC,
  MODE_COUNT
};

static int test_rand(void *ctx, uint8_t *dest, size_t len) {
  (void)ctx;
  if (rand_mode == 1)
    return -1;
  for (size_t i = 0; i < len; i++) {
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    dest[i] = (uint8_t)((rng * 0x2545F4914F6CDD1DULL) >> 56);
  }
  return 0;
}

/* Policy state lives in zeroed, 8-aligned memory the core owns. */
typedef struct pstate {
  uint64_t w[STATE_MAX / 8];
} pstate;

static pstate st_main, st_copy, st_pre;

/* Before each operation the copy is made equal to the state; after it
 * ran on both, they must be equal again (hooks are deterministic). */
static void copy_state(const ptcp_policy_info *info) {
  memcpy(&st_copy, &st_main, info->state_size);
}

static int same_state(const ptcp_policy_info *info) {
  return memcmp(&st_main, &st_copy, info->state_size) == 0;
}

/* A parameter's value by name, or |dflt| if the policy has none. */
static uint64_t param(const ptcp_policy_sel *sel, const char *name, uint64_t dflt,
                      int *found) {
  const ptcp_policy_info *info = sel->ops;
  const uint8_t *p = (const uint8_t *)sel->params;

  if (found)
    *found = 0;
  for (size_t i = 0; i < info->nparams; i++) {
    const ptcp_param_desc *d = &info->params[i];
    if (strcmp(d->name, name) != 0)
      continue;
    if (found)
      *found = 1;
    switch (d->type) {
    case PTCP_PARAM_DURATION: {
      uint64_t v;
      memcpy(&v, p + d->offset, sizeof(v));
      return v;
    }
    case PTCP_PARAM_U32: {
      uint32_t v;
      memcpy(&v, p + d->offset, sizeof(v));
      return v;
    }
    default:
      return p[d->offset];
    }
  }
  return dflt;
}

/* Picks a policy of |slot| and its parameters from the input; the spec
 * must parse (every value is inside the declared bounds), and format
 * then parse must give it back. */
static const ptcp_policy_info *pick(fuzz_input *in, ptcp_slot slot,
                                    ptcp_policy_sel *sel) {
  size_t cnt = ptcp_registry_count(reg, slot);
  const ptcp_policy_info *info;
  char spec[512], err[256], text[512];
  size_t used;
  char sep = ':';
  ptcp_policy_sel back;
  int rv, len;

  FUZZ_CHECK(cnt > 0);
  info = ptcp_registry_get(reg, slot, fuzz_u8(in) % cnt);
  FUZZ_CHECK(info != NULL && info->slot == slot && info->abi == PTCP_POLICY_ABI);
  FUZZ_CHECK(info->state_size <= STATE_MAX);
  used = (size_t)snprintf(spec, sizeof(spec), "%s", info->name);
  for (size_t i = 0; i < CF_PARAMS_PER_SLOT; i++) {
    uint8_t s = fuzz_u8(in);
    const ptcp_param_desc *d;
    char val[48];
    uint64_t v;
    if (i >= info->nparams || s == 0)
      continue;
    d = &info->params[i];
    v = cf_param_value(s, d->min, d->max);
    if (d->type == PTCP_PARAM_DURATION)
      ptcp_duration_format(val, sizeof(val), v);
    else if (d->type == PTCP_PARAM_BOOL)
      snprintf(val, sizeof(val), "%s", (s & 1) ? "yes" : "0");
    else
      snprintf(val, sizeof(val), "%llu", (unsigned long long)v);
    used +=
        (size_t)snprintf(spec + used, sizeof(spec) - used, "%c%s=%s", sep, d->name, val);
    sep = ',';
  }
  rv = ptcp_policy_parse(sel, reg, slot, spec, err, sizeof(err));
  if (rv != 0) {
    fprintf(stderr, "policy: '%s' refused: %s\n", spec, err);
    FUZZ_CHECK(rv == 0);
  }
  FUZZ_CHECK(sel->ops == info);
  len = ptcp_policy_format(text, sizeof(text), sel);
  FUZZ_CHECK(len > 0 && (size_t)len < sizeof(text));
  FUZZ_CHECK(ptcp_policy_parse(&back, reg, slot, text, NULL, 0) == 0);
  FUZZ_CHECK(info->params_size == 0 ||
             memcmp(back.params, sel->params, info->params_size) == 0);
  memset(&st_main, 0, sizeof(st_main));
  return info;
}

/* ------------------------------------------------------------------ */
/* Specs                                                               */

static void fuzz_spec(fuzz_input *in) {
  ptcp_slot slot = (ptcp_slot)(fuzz_u8(in) % PTCP_SLOT_COUNT);
  char spec[256], err[256], text[512];
  const uint8_t *src;
  size_t n = fuzz_bytes(in, &src, sizeof(spec) - 1);
  ptcp_policy_sel sel, back;
  ptcp_duration dur, dur2;
  int rv;

  memcpy(spec, src, n);
  spec[n] = '\0';
  memset(err, 0, sizeof(err));
  rv = ptcp_policy_parse(&sel, reg, slot, spec, err, sizeof(err));
  FUZZ_CHECK(rv == 0 || rv == PTCP_ERR_NOT_FOUND || rv == PTCP_ERR_INVALID_ARGUMENT);
  if (rv != 0) {
    /* The refusal says what is wrong. */
    FUZZ_CHECK(err[0] != '\0' && strlen(err) < sizeof(err));
  } else {
    int len = ptcp_policy_format(text, sizeof(text), &sel);
    FUZZ_CHECK(len > 0 && (size_t)len < sizeof(text));
    FUZZ_CHECK(ptcp_policy_parse(&back, reg, slot, text, NULL, 0) == 0);
    FUZZ_CHECK(back.ops == sel.ops);
    FUZZ_CHECK(memcmp(back.params, sel.params, sel.ops->params_size) == 0);
    /* A short buffer is never overrun and reports the same length. */
    FUZZ_CHECK(ptcp_policy_format(text, 4, &sel) == len);
  }
  if (ptcp_duration_parse(spec, &dur) == 0) {
    char t2[64];
    int len = ptcp_duration_format(t2, sizeof(t2), dur);
    FUZZ_CHECK(len > 0 && (size_t)len < sizeof(t2));
    FUZZ_CHECK(ptcp_duration_parse(t2, &dur2) == 0 && dur2 == dur);
  }
}

/* ------------------------------------------------------------------ */
/* isn                                                                 */

/* How an ISN policy may vary.  Unknown names get the strictest rule:
 * different per tuple and over time, as RFC 6528 and the issue's
 * contract ask. */
typedef enum {
  ISN_KEYED_CLOCK,  /* RFC 6528: clock plus keyed hash of the tuple */
  ISN_KEYED_UNIQUE, /* no clock, never repeats (a keyed permutation) */
  ISN_COUNTER,      /* start + n * step, predictable on purpose */
  ISN_FIXED,        /* one value, predictable on purpose */
  ISN_CLOCK,        /* RFC 793's global clock: no key, no tuple */
} isn_kind;

static isn_kind isn_kind_of(const char *name) {
  if (strcmp(name, "random") == 0)
    return ISN_KEYED_UNIQUE;
  if (strcmp(name, "counter") == 0)
    return ISN_COUNTER;
  if (strcmp(name, "fixed") == 0)
    return ISN_FIXED;
  if (strcmp(name, "rfc793") == 0)
    return ISN_CLOCK;
  return ISN_KEYED_CLOCK;
}

typedef struct tuple {
  ptcp_addr l, r;
  uint16_t lp, rp;
} tuple;

static void tuple_from(fuzz_input *in, tuple *t) {
  uint8_t f = fuzz_u8(in);
  int v6 = f & 1;

  memset(t, 0, sizeof(*t));
  t->l.family = t->r.family = v6 ? PTCP_AF_INET6 : PTCP_AF_INET;
  for (int i = 0; i < (v6 ? 16 : 4); i++) {
    t->l.bytes[i] = (f & 2) ? fuzz_u8(in) : (uint8_t)(i == 0 ? 10 : 1);
    t->r.bytes[i] = (f & 4) ? fuzz_u8(in) : (uint8_t)(i == 0 ? 10 : 2);
  }
  t->lp = (f & 8) ? fuzz_u16(in) : 80;
  t->rp = fuzz_u16(in);
}

static int tuple_eq(const tuple *a, const tuple *b) {
  return ptcp_addr_equal(&a->l, &b->l) && ptcp_addr_equal(&a->r, &b->r) &&
         a->lp == b->lp && a->rp == b->rp;
}

static void fuzz_isn(fuzz_input *in) {
  ptcp_policy_sel sel;
  const ptcp_policy_info *info = pick(in, PTCP_SLOT_ISN, &sel);
  const ptcp_isn_ops *ops = (const ptcp_isn_ops *)info;
  isn_kind kind = isn_kind_of(info->name);
  ptcp_policy_env env;
  uint32_t isns[MAX_ISNS];
  tuple tups[MAX_ISNS];
  ptcp_time times[MAX_ISNS];
  unsigned n = 0, calls = 0;
  ptcp_time now = fuzz_u32(in);
  uint8_t how = fuzz_u8(in);

  rng = 0x243F6A8885A308D3ULL ^ fuzz_u16(in);
  rand_mode = how % 3;
  env.rand = rand_mode == 2 ? NULL : test_rand;
  env.rand_ctx = NULL;
  env.now = now;
  if (ops->init != NULL) {
    int rv = ops->init(&st_main, sel.params, &env);
    /* Hardening rule 8: a keyed ISN fails closed without randomness. */
    if ((kind == ISN_KEYED_CLOCK || kind == ISN_KEYED_UNIQUE) && rand_mode != 0)
      FUZZ_CHECK(rv != 0);
    if (rv != 0)
      return;
  } else {
    /* Without init there is no key to draw: it cannot be keyed. */
    FUZZ_CHECK(kind != ISN_KEYED_CLOCK && kind != ISN_KEYED_UNIQUE);
  }
  while (!fuzz_empty(in) && n < MAX_ISNS) {
    tuple t;
    ptcp_isn_ctx ctx;
    uint32_t isn, again;
    uint8_t op = fuzz_u8(in);

    copy_state(info);

    /* Time only moves forward, by a little or by a lot. */
    now += (op & 1) ? fuzz_u8(in) * PTCP_MICROSECONDS : (ptcp_time)fuzz_u32(in) * 1000u;
    if ((op & 6) == 0 && n > 0)
      t = tups[fuzz_u8(in) % n]; /* a tuple seen before */
    else
      tuple_from(in, &t);
    ctx.local = &t.l;
    ctx.remote = &t.r;
    ctx.local_port = t.lp;
    ctx.remote_port = t.rp;
    ctx.now = now;
    again = ops->generate(&st_copy, sel.params, &ctx);
    isn = ops->generate(&st_main, sel.params, &ctx);
    FUZZ_CHECK(isn == again && same_state(info)); /* determinism */
    switch (kind) {
    case ISN_COUNTER:
      FUZZ_CHECK(isn == (uint32_t)(param(&sel, "start", 0, NULL) +
                                   (uint64_t)calls * param(&sel, "step", 0, NULL)));
      break;
    case ISN_FIXED:
      FUZZ_CHECK(isn == (uint32_t)param(&sel, "value", isn, NULL));
      break;
    case ISN_KEYED_UNIQUE:
      for (unsigned i = 0; i < n; i++)
        FUZZ_CHECK(isns[i] != isn);
      break;
    case ISN_KEYED_CLOCK:
      for (unsigned i = 0; i < n; i++) {
        if (tuple_eq(&tups[i], &t)) {
          /* RFC 6528 §3: M advances every 4 us; F(tuple) is fixed. */
          if (strcmp(info->name, "rfc6528") == 0)
            FUZZ_CHECK(isn - isns[i] == (uint32_t)(now / 4000u - times[i] / 4000u));
          else if (now / 4000u != times[i] / 4000u && now - times[i] < (ptcp_time)4000u
                                                                           << 32)
            FUZZ_CHECK(isn != isns[i]);
        } else if (times[i] == now) {
          /* Another tuple at the same instant gets another ISN. */
          FUZZ_CHECK(isn != isns[i]);
        }
      }
      break;
    case ISN_CLOCK:
      break;
    }
    calls++;
    isns[n] = isn;
    tups[n] = t;
    times[n] = now;
    n++;
  }
  if (ops->release != NULL)
    ops->release(&st_main);
}

/* ------------------------------------------------------------------ */
/* rto                                                                 */

static void fuzz_rto(fuzz_input *in) {
  ptcp_policy_sel sel;
  const ptcp_policy_info *info = pick(in, PTCP_SLOT_RTO, &sel);
  const ptcp_rto_ops *ops = (const ptcp_rto_ops *)info;
  int has_min, has_max;
  uint64_t pmin = param(&sel, "min", PTCP_RTO_FLOOR, &has_min);
  uint64_t pmax = param(&sel, "max", PTCP_RTO_CEIL, &has_max);
  uint64_t pinit = param(&sel, "initial", pmin, NULL);
  ptcp_time now = fuzz_u32(in);
  ptcp_duration last, cur;
  int after_timeout = 0, sampled = 0;

  if (ops->init(&st_main, sel.params, now) != 0)
    return;
  last = ops->rto(&st_main, sel.params);
  for (unsigned k = 0; k < MAX_OPS && !fuzz_empty(in); k++) {
    uint8_t op = fuzz_u8(in);
    ptcp_duration before = ops->rto(&st_main, sel.params);

    copy_state(info);

    now += fuzz_u8(in) * PTCP_MILLISECONDS;
    switch (op % 5) {
    case 0:
    case 1: {
      ptcp_rtt_sample s;
      uint8_t m = fuzz_u8(in);
      switch (m & 3) {
      case 0:
        s.rtt = fuzz_u16(in) * PTCP_MICROSECONDS;
        break;
      case 1:
        s.rtt = (ptcp_duration)fuzz_u32(in) * PTCP_MICROSECONDS;
        break;
      case 2:
        s.rtt = (ptcp_duration)fuzz_u32(in) << 32 | fuzz_u32(in); /* hostile */
        break;
      default:
        s.rtt = 0;
        break;
      }
      s.now = now;
      s.from_timestamp = (m >> 2) & 1;
      s.retransmitted = (m >> 3) & 1;
      ops->on_rtt_sample(&st_copy, sel.params, &s);
      ops->on_rtt_sample(&st_main, sel.params, &s);
      FUZZ_CHECK(same_state(info));
      /* RFC 6298 §3, RFC 9293 MUST-18 (Karn): an ambiguous sample is
       * not used. */
      if (s.retransmitted && !s.from_timestamp)
        FUZZ_CHECK(ops->rto(&st_main, sel.params) == before);
      else
        sampled = 1;
      after_timeout = 0;
      break;
    }
    case 2:
      ops->on_timeout(&st_copy, sel.params, now);
      ops->on_timeout(&st_main, sel.params, now);
      FUZZ_CHECK(same_state(info));
      /* RFC 6298 §5.5: backing off never shortens the timer. */
      FUZZ_CHECK(ops->rto(&st_main, sel.params) >= before);
      after_timeout = 1;
      break;
    case 3:
      if (ops->on_new_ack != NULL) {
        ops->on_new_ack(&st_copy, sel.params, now);
        ops->on_new_ack(&st_main, sel.params, now);
      }
      after_timeout = 0;
      break;
    default:
      if (ops->on_spurious_timeout != NULL) {
        ops->on_spurious_timeout(&st_copy, sel.params, now);
        ops->on_spurious_timeout(&st_main, sel.params, now);
      }
      after_timeout = 0;
      break;
    }
    FUZZ_CHECK(same_state(info));
    cur = ops->rto(&st_main, sel.params);
    FUZZ_CHECK(cur >= PTCP_RTO_FLOOR && cur <= PTCP_RTO_CEIL);
    /* The policy's own bounds; when min > max, max wins.  Before any
     * sample RTO is the configured initial value, which may lie below
     * min (linux's min floors the variance term, not the initial RTO). */
    if (has_max)
      FUZZ_CHECK(cur <= pmax);
    if (has_min && pmin <= pmax)
      FUZZ_CHECK(cur >= (sampled || pinit > pmin ? pmin : pinit));
    if (after_timeout)
      FUZZ_CHECK(cur >= last);
    if (ops->srtt != NULL) {
      ptcp_duration s = ops->srtt(&st_main);
      FUZZ_CHECK(sampled || s == PTCP_TIME_NONE);
      FUZZ_CHECK(s == PTCP_TIME_NONE || s <= PTCP_RTO_CEIL);
    }
    last = cur;
  }
  if (ops->release != NULL)
    ops->release(&st_main);
}

/* ------------------------------------------------------------------ */
/* dupfilter                                                           */

static uint8_t payload[65535];

static int df_verdict_ok(ptcp_df_verdict v, int hook) {
  switch (hook) {
  case 0: /* check_seq */
  case 3: /* check_ack */
    return v == PTCP_DF_ACCEPT || v == PTCP_DF_ACK || v == PTCP_DF_DROP;
  default: /* check_rst, check_syn */
    return v == PTCP_DF_RESET || v == PTCP_DF_CHALLENGE || v == PTCP_DF_DROP;
  }
}

static void fuzz_dupfilter(fuzz_input *in) {
  ptcp_policy_sel sel;
  const ptcp_policy_info *info = pick(in, PTCP_SLOT_DUPFILTER, &sel);
  const ptcp_dupfilter_ops *ops = (const ptcp_dupfilter_ops *)info;
  int has_limit;
  uint64_t limit = param(&sel, "limit", 0, &has_limit);
  ptcp_time now = fuzz_u32(in);
  ptcp_time grants[64];
  unsigned ngrants = 0;
  uint32_t rcv_nxt = fuzz_u32(in), snd_una = fuzz_u32(in);

  if (ops->init != NULL && ops->init(&st_main, sel.params, now) != 0)
    return;
  for (unsigned k = 0; k < MAX_OPS && !fuzz_empty(in); k++) {
    ptcp_seg seg;
    ptcp_seg_ctx c;
    ptcp_reason why = PTCP_R_NONE, why2 = PTCP_R_NONE;
    ptcp_df_verdict v, v2;
    int rst_seq_ok = 0;
    uint8_t op = fuzz_u8(in), hook;
    int64_t off, end;

    copy_state(info);

    now +=
        (op & 0x80) ? fuzz_u16(in) * PTCP_MILLISECONDS : fuzz_u8(in) * PTCP_MICROSECONDS;
    if (op & 0x40) {
      /* The connection moved on. */
      rcv_nxt += fuzz_u16(in);
      snd_una += fuzz_u16(in);
    }
    memset(&seg, 0, sizeof(seg));
    memset(&c, 0, sizeof(c));
    seg.flags = fuzz_u8(in);
    seg.seq = rcv_nxt + (uint32_t)(int32_t)(int16_t)fuzz_u16(in);
    if (op & 0x20)
      seg.seq = fuzz_u32(in);
    seg.ack = snd_una + (uint32_t)(int32_t)(int16_t)fuzz_u16(in);
    seg.window = fuzz_u16(in);
    seg.payload = payload;
    seg.payload_len = fuzz_u16(in) % 4096u;
    if (op & 0x10) {
      seg.opts.present |= PTCP_OPT_TS;
      seg.opts.ts_val = fuzz_u32(in);
      seg.opts.ts_ecr = fuzz_u32(in);
    }
    c.seg = &seg;
    c.seg_len = (uint32_t)seg.payload_len + ((seg.flags & PTCP_SYN) ? 1u : 0u) +
                ((seg.flags & PTCP_FIN) ? 1u : 0u);
    c.state = (ptcp_state)(PTCP_SYN_RECEIVED + fuzz_u8(in) % 8u);
    c.rcv_nxt = rcv_nxt;
    c.rcv_wnd = fuzz_u32(in) % ((1u << 30) + 1u);
    if (op & 0x08)
      c.rcv_wnd = 0;
    c.snd_una = snd_una;
    c.snd_nxt = snd_una + fuzz_u16(in);
    c.max_snd_wnd = fuzz_u32(in) % ((1u << 30) + 1u);
    c.ts_enabled = (op & 0x04) != 0;
    c.ts_recent = fuzz_u32(in);
    c.ts_recent_at = now - (now > 0 ? fuzz_u8(in) % (now + 1) : 0);
    c.now = now;
    hook = op & 3u;

    switch (hook) {
    case 0:
      v2 = ops->check_seq(&st_copy, sel.params, &c, &why2);
      v = ops->check_seq(&st_main, sel.params, &c, &why);
      break;
    case 1:
      seg.flags |= PTCP_RST;
      c.seg_len = (uint32_t)seg.payload_len + ((seg.flags & PTCP_SYN) ? 1u : 0u) +
                  ((seg.flags & PTCP_FIN) ? 1u : 0u);
      {
        ptcp_reason w;
        memcpy(&st_pre, &st_main, info->state_size);
        rst_seq_ok = ops->check_seq(&st_pre, sel.params, &c, &w) == PTCP_DF_ACCEPT;
      }
      v2 = ops->check_rst(&st_copy, sel.params, &c, &why2);
      v = ops->check_rst(&st_main, sel.params, &c, &why);
      break;
    case 2:
      seg.flags |= PTCP_SYN;
      c.seg_len = (uint32_t)seg.payload_len + 1u + ((seg.flags & PTCP_FIN) ? 1u : 0u);
      v2 = ops->check_syn(&st_copy, sel.params, &c, &why2);
      v = ops->check_syn(&st_main, sel.params, &c, &why);
      break;
    default:
      seg.flags |= PTCP_ACK;
      v2 = ops->check_ack(&st_copy, sel.params, &c, &why2);
      v = ops->check_ack(&st_main, sel.params, &c, &why);
      break;
    }
    FUZZ_CHECK(v == v2 && why == why2 && same_state(info));
    FUZZ_CHECK(df_verdict_ok(v, hook));
    FUZZ_CHECK((unsigned)why < PTCP_R_COUNT);
    FUZZ_CHECK(strcmp(ptcp_reason_name(why), "invalid") != 0);
    /* Every refusal says why. */
    if (v != PTCP_DF_ACCEPT && v != PTCP_DF_RESET)
      FUZZ_CHECK(why != PTCP_R_NONE);

    /* Where the segment lies relative to RCV.NXT, in 64-bit signed. */
    off = (int64_t)(int32_t)(seg.seq - rcv_nxt);
    end = off + (int64_t)c.seg_len;
    switch (hook) {
    case 0:
      if (seg.flags & PTCP_RST)
        FUZZ_CHECK(v != PTCP_DF_ACK); /* RFC 5961 §3: a RST is never ACKed */
      if (v == PTCP_DF_ACCEPT) {
        /* RFC 9293 §3.10.7.4: acceptable only if it overlaps the window
         * (a zero-length segment: starts in it, or at RCV.NXT when the
         * window is zero; a RST is judged by SEG.SEQ alone, the same
         * way). */
        if (c.seg_len == 0 || (seg.flags & PTCP_RST))
          FUZZ_CHECK(c.rcv_wnd == 0 ? off == 0 : (off >= 0 && off < (int64_t)c.rcv_wnd));
        else
          FUZZ_CHECK(c.rcv_wnd > 0 && off < (int64_t)c.rcv_wnd && end > 0);
      }
      /* A new segment wholly inside the window is never refused, unless
       * timestamps are in use (PAWS may refuse it, RFC 7323 §5). */
      if (!c.ts_enabled && c.seg_len > 0 && c.rcv_wnd > 0 && off >= 0 &&
          end <= (int64_t)c.rcv_wnd)
        FUZZ_CHECK(v == PTCP_DF_ACCEPT);
      break;
    case 1:
      /* RFC 5961 §3.2 (and RFC 793): only a RST inside the window resets.
       * The core asks check_rst only about a RST check_seq accepted
       * (policy.h), so the rule holds under that condition. */
      if (v == PTCP_DF_RESET && rst_seq_ok)
        FUZZ_CHECK(off >= 0 && off < (int64_t)(c.rcv_wnd > 0 ? c.rcv_wnd : 1));
      break;
    case 3:
      /* RFC 9293 §3.10.7.4, RFC 5961 §5.2: an ACK of data never sent is
       * not acceptable. */
      if (v == PTCP_DF_ACCEPT)
        FUZZ_CHECK(ptcp_seq_le(seg.ack, c.snd_nxt));
      break;
    default:
      break;
    }

    if (ops->challenge_allowed != NULL && (op & 0x40) == 0 && (seg.window & 1)) {
      int ok = ops->challenge_allowed(&st_main, sel.params, now);
      if (ok && has_limit && limit > 0) {
        unsigned recent = 0;
        for (unsigned i = 0; i < ngrants && i < 64; i++)
          if (now - grants[i] < PTCP_SECONDS)
            recent++;
        /* RFC 5961 §7: the limit per (fixed) second; a sliding second
         * can see twice that. */
        FUZZ_CHECK(recent < 2 * limit || recent >= 64);
        grants[ngrants++ % 64] = now;
      }
    }
  }
  if (ops->release != NULL)
    ops->release(&st_main);
}

/* ------------------------------------------------------------------ */
/* close                                                               */

static void fuzz_close(fuzz_input *in) {
  ptcp_policy_sel sel;
  const ptcp_policy_info *info = pick(in, PTCP_SLOT_CLOSE, &sel);
  const ptcp_close_ops *ops = (const ptcp_close_ops *)info;

  for (unsigned k = 0; k < MAX_OPS && !fuzz_empty(in); k++) {
    uint8_t op = fuzz_u8(in);
    ptcp_duration msl = 1 + (ptcp_duration)fuzz_u32(in) * PTCP_MICROSECONDS;
    ptcp_duration bound = 4 * msl > 3600 * PTCP_SECONDS ? 4 * msl : 3600 * PTCP_SECONDS;

    switch (op & 3u) {
    case 0: {
      ptcp_duration tw = ops->time_wait(sel.params, msl);
      FUZZ_CHECK(tw == ops->time_wait(sel.params, msl));
      FUZZ_CHECK(tw <= bound);
      if (ops->fin_wait_2_timeout != NULL)
        FUZZ_CHECK(ops->fin_wait_2_timeout(sel.params, msl) <= bound);
      break;
    }
    case 1: {
      ptcp_seg seg;
      ptcp_tw_ctx c;
      ptcp_tw_verdict v;
      memset(&seg, 0, sizeof(seg));
      memset(&c, 0, sizeof(c));
      seg.flags = fuzz_u8(in);
      seg.seq = fuzz_u32(in);
      seg.ack = fuzz_u32(in);
      seg.payload = payload;
      seg.payload_len = fuzz_u16(in) % 2048u;
      if (op & 0x10) {
        seg.opts.present = PTCP_OPT_TS;
        seg.opts.ts_val = fuzz_u32(in);
        seg.opts.ts_ecr = fuzz_u32(in);
      }
      c.seg = &seg;
      c.seg_len = (uint32_t)seg.payload_len + ((seg.flags & PTCP_SYN) ? 1u : 0u) +
                  ((seg.flags & PTCP_FIN) ? 1u : 0u);
      c.rcv_nxt = (op & 0x20) ? seg.seq + c.seg_len : fuzz_u32(in);
      c.snd_nxt = fuzz_u32(in);
      c.ts_enabled = (op & 0x40) != 0;
      c.ts_recent = fuzz_u32(in);
      c.ts_recent_at = fuzz_u32(in);
      c.listener = (op & 0x80) != 0;
      c.now = c.ts_recent_at + fuzz_u32(in);
      v = ops->time_wait_segment(sel.params, &c);
      FUZZ_CHECK(v == ops->time_wait_segment(sel.params, &c));
      FUZZ_CHECK(v >= PTCP_TW_DROP && v <= PTCP_TW_REOPEN);
      /* RFC 9293 §3.10.7.4: never answer a RST. */
      if (seg.flags & PTCP_RST)
        FUZZ_CHECK(v == PTCP_TW_DROP || v == PTCP_TW_CLOSE);
      /* Only a SYN can reopen. */
      if (v == PTCP_TW_REOPEN)
        FUZZ_CHECK((seg.flags & PTCP_SYN) && !(seg.flags & PTCP_RST));
      break;
    }
    default:
      if (ops->close_action != NULL) {
        ptcp_close_ctx c;
        int a;
        c.state = (ptcp_state)(fuzz_u8(in) % PTCP_STATE_COUNT);
        c.unread = fuzz_u32(in);
        c.unsent = fuzz_u32(in);
        c.now = fuzz_u32(in);
        a = ops->close_action(sel.params, &c);
        FUZZ_CHECK(a == PTCP_CLOSE_FIN || a == PTCP_CLOSE_RST);
      }
      break;
    }
  }
}

/* ------------------------------------------------------------------ */
/* cc                                                                  */

static void fuzz_cc(fuzz_input *in) {
  ptcp_policy_sel sel;
  const ptcp_policy_info *info = pick(in, PTCP_SLOT_CC, &sel);
  const ptcp_cc_ops *ops = (const ptcp_cc_ops *)info;
  uint32_t mss = PTCP_HDR_MIN + 28u + fuzz_u16(in) % (65536u - 48u);
  ptcp_time now = fuzz_u32(in);

  if (ops->init(&st_main, sel.params, mss, now) != 0)
    return;
  FUZZ_CHECK(ops->cwnd(&st_main) >= mss);
  for (unsigned k = 0; k < MAX_OPS && !fuzz_empty(in); k++) {
    uint8_t op = fuzz_u8(in);
    uint32_t before = ops->cwnd(&st_main);
    uint32_t flight = (op & 0x80) ? fuzz_u32(in) : fuzz_u16(in);
    int loss = 0;

    copy_state(info);

    now += fuzz_u8(in) * PTCP_MILLISECONDS;
    switch (op % 8) {
    case 0:
    case 1: {
      ptcp_cc_ack a;
      a.acked = (op & 0x40) ? fuzz_u32(in) : fuzz_u16(in);
      a.flight = flight;
      a.mss = mss;
      a.rtt = (op & 0x20) ? PTCP_TIME_NONE : fuzz_u16(in) * PTCP_MICROSECONDS;
      a.now = now;
      ops->on_ack(&st_copy, sel.params, &a);
      ops->on_ack(&st_main, sel.params, &a);
      break;
    }
    case 2:
      ops->on_enter_recovery(&st_copy, sel.params, flight, mss, now);
      ops->on_enter_recovery(&st_main, sel.params, flight, mss, now);
      loss = 1;
      break;
    case 3:
      if (ops->on_recovery_dupack != NULL) {
        ops->on_recovery_dupack(&st_copy, sel.params, mss);
        ops->on_recovery_dupack(&st_main, sel.params, mss);
      }
      break;
    case 4:
      if (ops->on_partial_ack != NULL) {
        uint32_t acked = fuzz_u16(in);
        ops->on_partial_ack(&st_copy, sel.params, acked, mss);
        ops->on_partial_ack(&st_main, sel.params, acked, mss);
      }
      break;
    case 5:
      ops->on_exit_recovery(&st_copy, sel.params, flight, mss, now);
      ops->on_exit_recovery(&st_main, sel.params, flight, mss, now);
      break;
    case 6:
      ops->on_timeout(&st_copy, sel.params, flight, mss, now);
      ops->on_timeout(&st_main, sel.params, flight, mss, now);
      /* RFC 5681 §3.1: after a timeout cwnd is the loss window. */
      FUZZ_CHECK(ops->cwnd(&st_main) <= before);
      loss = 1;
      break;
    default:
      if (op & 0x10) {
        if (ops->on_idle != NULL) {
          ops->on_idle(&st_copy, sel.params, mss, now);
          ops->on_idle(&st_main, sel.params, mss, now);
        }
      } else if (ops->on_spurious != NULL) {
        ops->on_spurious(&st_copy, sel.params, now);
        ops->on_spurious(&st_main, sel.params, now);
      }
      break;
    }
    FUZZ_CHECK(same_state(info));
    FUZZ_CHECK(ops->cwnd(&st_main) >= mss);
    if (loss && ops->ssthresh != NULL)
      FUZZ_CHECK(ops->ssthresh(&st_main) >= 2u * mss);
  }
  if (ops->release != NULL)
    ops->release(&st_main);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_input in = {data, size};

  if (reg == NULL) {
    if (ptcp_registry_new(&reg, NULL) != 0 || ptcp_registry_add_builtins(reg) != 0)
      abort();
  }
  switch (fuzz_u8(&in) % MODE_COUNT) {
  case MODE_SPEC:
    fuzz_spec(&in);
    break;
  case MODE_ISN:
    fuzz_isn(&in);
    break;
  case MODE_RTO:
    fuzz_rto(&in);
    break;
  case MODE_DUPFILTER:
    fuzz_dupfilter(&in);
    break;
  case MODE_CLOSE:
    fuzz_close(&in);
    break;
  default:
    fuzz_cc(&in);
    break;
  }
  return 0;
}

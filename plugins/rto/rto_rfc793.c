/*
 * rto "rfc793": the retransmission timeout of RFC 793 §3.7 ("Retransmission
 * Timeout", the example procedure), in integer nanoseconds:
 *
 *   SRTT = ALPHA * SRTT + (1 - ALPHA) * RTT
 *   RTO  = min[UBOUND, max[LBOUND, BETA * SRTT]]
 *
 * "where UBOUND is an upper bound on the timeout (e.g., 1 minute), LBOUND
 * is a lower bound on the timeout (e.g., 1 second), ALPHA is a smoothing
 * factor (e.g., .8 to .9), and BETA is a delay variance factor (e.g., 1.3
 * to 2.0)."  ALPHA and BETA are per-mille params (alpha_milli 875 = 7/8,
 * the weight BSD used; beta_milli 2000); LBOUND and UBOUND are the generic
 * min and max.  There is no variance term: the timer follows the mean, so
 * it fires spuriously when the RTT varies by more than BETA allows, which
 * is what Jacobson's 1988 estimator (jacobson88) fixed.
 *
 * RFC 793 says nothing of:
 *   - the first sample: SRTT = R, as every later estimator does;
 *   - the timeout before any sample: initial, 3 s by default, the value
 *     RFC 1122 4.2.3.1 gave for this era;
 *   - Karn's rule and backoff, which RFC 1122 4.2.3.1 added (MUST).  Both
 *     are on by default (karn=on: an ambiguous sample is ignored; each
 *     expiry doubles RTO up to max, at most backoff_cap times);
 *     karn=off,backoff_cap=0 gives RFC 793 exactly as written.
 *
 * Integer rounding: SRTT = (alpha * SRTT + (1000 - alpha) * R) / 1000 and
 * RTO = beta * SRTT / 1000, each truncated once.  Samples are clamped to
 * 10 minutes first, so every product stays below 2^53.
 */
#include <stddef.h>

#include <plugtcp/policy.h>

#include "../builtins.h"
#include "rto_backoff.h"
#include "rto_estimator.h"

#define PER_MILLE 1000u
#define ALPHA_DEFAULT 875u /* 7/8, inside RFC 793's .8 to .9 */
#define BETA_DEFAULT 2000u /* the top of RFC 793's 1.3 to 2.0 */
#define BETA_MIN 1000u     /* below 1, RTO < SRTT: every other packet times out */
#define BETA_MAX 10000u
#define BACKOFF_CAP_DEFAULT 16u

typedef struct rto_rfc793_params {
  ptcp_duration min;     /* LBOUND */
  ptcp_duration max;     /* UBOUND */
  ptcp_duration initial; /* before any sample (RFC 1122 4.2.3.1: 3 s) */
  uint32_t alpha_milli;  /* ALPHA * 1000 */
  uint32_t beta_milli;   /* BETA * 1000 */
  uint32_t backoff_cap;  /* doublings (RFC 1122 4.2.3.1) */
  uint8_t karn;          /* ignore ambiguous samples (RFC 1122 4.2.3.1) */
} rto_rfc793_params;

typedef struct rto_rfc793_state {
  ptcp_duration srtt;
  ptcp_duration rto; /* clamped, before backoff */
  uint32_t backoff;
  uint8_t have_srtt;
} rto_rfc793_state;

_Static_assert(sizeof(rto_rfc793_state) <= PTCP_BUILTIN_STATE_MAX,
               "rto rfc793 state must fit the built-in budget");

static const rto_rfc793_params rfc793_defaults = {
    .min = 1 * PTCP_SECONDS,     /* "e.g., 1 second" */
    .max = 60 * PTCP_SECONDS,    /* "e.g., 1 minute" */
    .initial = 3 * PTCP_SECONDS, /* RFC 1122 4.2.3.1 */
    .alpha_milli = ALPHA_DEFAULT,
    .beta_milli = BETA_DEFAULT,
    .backoff_cap = BACKOFF_CAP_DEFAULT,
    .karn = 1,
};

static const ptcp_param_desc rfc793_params[] = {
    {.name = "min",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_rfc793_params, min),
     .min = PTCP_RTO_FLOOR,
     .max = PTCP_RTO_CEIL,
     .help = "LBOUND, lower bound on RTO (RFC 793 §3.7: e.g. 1 s)"},
    {.name = "max",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_rfc793_params, max),
     .min = PTCP_RTO_FLOOR,
     .max = PTCP_RTO_CEIL,
     .help = "UBOUND, upper bound on RTO, backoff included (RFC 793 §3.7: e.g. 1 min)"},
    {.name = "initial",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_rfc793_params, initial),
     .min = PTCP_RTO_FLOOR,
     .max = PTCP_RTO_CEIL,
     .help = "RTO before the first sample (RFC 1122 4.2.3.1: 3 s)"},
    {.name = "alpha_milli",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(rto_rfc793_params, alpha_milli),
     .min = 0,
     .max = PER_MILLE,
     .help = "ALPHA x 1000, weight of the old SRTT (RFC 793 §3.7: 800..900)"},
    {.name = "beta_milli",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(rto_rfc793_params, beta_milli),
     .min = BETA_MIN,
     .max = BETA_MAX,
     .help = "BETA x 1000, RTO = BETA * SRTT (RFC 793 §3.7: 1300..2000)"},
    {.name = "backoff_cap",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(rto_rfc793_params, backoff_cap),
     .min = 0,
     .max = PTCP_RTO_SHIFT_LIMIT,
     .help = "most doublings on repeated timeouts (RFC 1122; 0 = RFC 793's none)"},
    {.name = "karn",
     .type = PTCP_PARAM_BOOL,
     .offset = offsetof(rto_rfc793_params, karn),
     .min = 0,
     .max = 1,
     .help = "ignore samples of retransmitted segments (RFC 1122; off = RFC 793)"},
};

static int rfc793_init(void *state, const void *params, ptcp_time now) {
  rto_rfc793_state *st = state;
  const rto_rfc793_params *p = params;

  (void)now;
  st->rto = ptcp_rto_clamp(p->initial, p->min, p->max);
  st->backoff = 0;
  st->have_srtt = 0;
  return 0;
}

static void rfc793_on_rtt_sample(void *state, const void *params,
                                 const ptcp_rtt_sample *s) {
  rto_rfc793_state *st = state;
  const rto_rfc793_params *p = params;
  ptcp_duration r;

  if (p->karn && !ptcp_rto_karn_ok(s))
    return;
  r = ptcp_rto_sample_clamp(s->rtt);
  if (!st->have_srtt) {
    st->srtt = r;
    st->have_srtt = 1;
  } else {
    /* RFC 793 §3.7: SRTT = ALPHA * SRTT + (1 - ALPHA) * RTT. */
    st->srtt = (p->alpha_milli * st->srtt + (PER_MILLE - p->alpha_milli) * r) / PER_MILLE;
  }
  /* RTO = min[UBOUND, max[LBOUND, BETA * SRTT]]. */
  st->rto = ptcp_rto_clamp(p->beta_milli * st->srtt / PER_MILLE, p->min, p->max);
  st->backoff = 0;
}

static ptcp_duration rfc793_rto(const void *state, const void *params) {
  const rto_rfc793_state *st = state;
  const rto_rfc793_params *p = params;

  return ptcp_rto_backed_off(st->rto, st->backoff, p->max);
}

static void rfc793_on_timeout(void *state, const void *params, ptcp_time now) {
  rto_rfc793_state *st = state;
  const rto_rfc793_params *p = params;

  (void)now;
  if (st->backoff < p->backoff_cap)
    st->backoff++;
}

static ptcp_duration rfc793_srtt(const void *state) {
  const rto_rfc793_state *st = state;

  return st->have_srtt ? st->srtt : PTCP_TIME_NONE;
}

const ptcp_rto_ops ptcp_rto_rfc793 = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_RTO,
            .name = "rfc793",
            .summary = "RFC 793 §3.7: SRTT = a SRTT + (1-a) RTT, RTO = clamp(b SRTT); no "
                       "variance term (+ RFC 1122 Karn, backoff)",
            .state_size = sizeof(rto_rfc793_state),
            .params_size = sizeof(rto_rfc793_params),
            .params_default = &rfc793_defaults,
            .params = rfc793_params,
            .nparams = sizeof(rfc793_params) / sizeof(rfc793_params[0]),
        },
    .init = rfc793_init,
    .on_rtt_sample = rfc793_on_rtt_sample,
    .rto = rfc793_rto,
    .on_timeout = rfc793_on_timeout,
    .srtt = rfc793_srtt,
};

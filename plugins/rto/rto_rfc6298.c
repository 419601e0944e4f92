/*
 * rto "rfc6298": the retransmission timer of RFC 6298 (required by RFC
 * 9293 §3.8.1, MUST-18), in integer nanoseconds.
 *
 *   §2.1  before any RTT sample, RTO = 1 s (param initial);
 *   §2.2  first sample R:  SRTT = R, RTTVAR = R/2;
 *   §2.3  later samples:   RTTVAR = (1 - beta) RTTVAR + beta |SRTT - R|
 *                          SRTT   = (1 - alpha) SRTT + alpha R
 *         with alpha = 1/8, beta = 1/4, RTTVAR updated first (it uses the
 *         SRTT from before this sample);
 *         RTO = SRTT + max(G, 4 RTTVAR);
 *   §2.4  RTO below 1 s is rounded up to 1 s (param min);
 *   §2.5  a maximum of at least 60 s may be placed on RTO (param max);
 *   §3    Karn: a sample from a retransmitted segment is ambiguous and
 *         is not used, unless timestamps tell the copies apart (RFC 7323
 *         §4.1); RFC 9293 MUST-18;
 *   §5.5  on expiry the timer backs off: RTO doubles, up to max (and at
 *         most backoff_cap doublings);
 *   §5.7  a valid sample after a backoff recomputes RTO from SRTT and
 *         RTTVAR, which collapses the backed-off value.
 *
 * Integer rounding: each weighted mean is computed exactly and truncated
 * once: RTTVAR = (3 RTTVAR + |SRTT - R|) / 4, SRTT = (7 SRTT + R) / 8.
 *
 * Overflow: samples are clamped to PTCP_RTO_CEIL (10 minutes) before any
 * arithmetic, so SRTT and RTTVAR stay below 10 minutes and every product
 * below 2^44 (hardening.md B28: smoltcp's estimator overflowed on huge
 * RTTs).  A sample that long clamps RTO to max anyway.
 */
#include <stddef.h>

#include <plugtcp/policy.h>

#include "../builtins.h"
#include "rto_backoff.h"

/* RFC 6298 §2.3: alpha = 1/8 and beta = 1/4, as shifts of the weights. */
#define ALPHA_SHIFT 3u
#define BETA_SHIFT 2u
/* RFC 6298 §2.3: K = 4. */
#define RTTVAR_K 4u

/* The longest RTT sample taken at face value. */
#define RTT_SAMPLE_MAX PTCP_RTO_CEIL

/* The coarsest clock granularity accepted for G. */
#define GRANULARITY_MAX PTCP_SECONDS
/* RFC 6298 §5.5 doublings; past 64 every RTO has reached max anyway. */
#define BACKOFF_CAP_DEFAULT 16u

typedef struct rto_rfc6298_params {
  ptcp_duration min;         /* §2.4 */
  ptcp_duration max;         /* §2.5 */
  ptcp_duration initial;     /* §2.1 */
  ptcp_duration granularity; /* G of §2 */
  uint32_t backoff_cap;      /* §5.5 doublings */
} rto_rfc6298_params;

typedef struct rto_rfc6298_state {
  ptcp_duration srtt;
  ptcp_duration rttvar;
  ptcp_duration rto;  /* clamped, before backoff */
  uint32_t backoff;   /* doublings since the last valid sample */
  uint8_t have_srtt;  /* a first sample was taken (§2.2) */
} rto_rfc6298_state;

_Static_assert(sizeof(rto_rfc6298_state) <= PTCP_BUILTIN_STATE_MAX,
               "rto rfc6298 state must fit the built-in budget");

static const rto_rfc6298_params rfc6298_defaults = {
    .min = 1 * PTCP_SECONDS,        /* §2.4 SHOULD */
    .max = 60 * PTCP_SECONDS,       /* §2.5 MAY, at least 60 s */
    .initial = 1 * PTCP_SECONDS,    /* §2.1 SHOULD */
    .granularity = 1 * PTCP_MILLISECONDS,
    .backoff_cap = BACKOFF_CAP_DEFAULT,
};

static const ptcp_param_desc rfc6298_params[] = {
    {.name = "min",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_rfc6298_params, min),
     .min = PTCP_RTO_FLOOR,
     .max = PTCP_RTO_CEIL,
     .help = "lower bound on RTO (RFC 6298 §2.4: 1 s)"},
    {.name = "max",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_rfc6298_params, max),
     .min = PTCP_RTO_FLOOR,
     .max = PTCP_RTO_CEIL,
     .help = "upper bound on RTO, backoff included (RFC 6298 §2.5: >= 60 s)"},
    {.name = "initial",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_rfc6298_params, initial),
     .min = PTCP_RTO_FLOOR,
     .max = PTCP_RTO_CEIL,
     .help = "RTO before the first RTT sample (RFC 6298 §2.1: 1 s)"},
    {.name = "granularity",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_rfc6298_params, granularity),
     .min = 0,
     .max = GRANULARITY_MAX,
     .help = "clock granularity G (RFC 6298 §2)"},
    {.name = "backoff_cap",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(rto_rfc6298_params, backoff_cap),
     .min = 0,
     .max = PTCP_RTO_SHIFT_LIMIT,
     .help = "most doublings of RTO on repeated timeouts (RFC 6298 §5.5)"},
};

static ptcp_duration abs_diff(ptcp_duration a, ptcp_duration b) {
  return a > b ? a - b : b - a;
}

static int rfc6298_init(void *state, const void *params, ptcp_time now) {
  rto_rfc6298_state *st = state;
  const rto_rfc6298_params *p = params;

  (void)now;
  /* §2.1: until a sample is taken, RTO is the initial value. */
  st->rto = ptcp_rto_clamp(p->initial, p->min, p->max);
  st->backoff = 0;
  st->have_srtt = 0;
  return 0;
}

static void rfc6298_on_rtt_sample(void *state, const void *params,
                                  const ptcp_rtt_sample *s) {
  rto_rfc6298_state *st = state;
  const rto_rfc6298_params *p = params;
  ptcp_duration r, var4;

  /* §3 Karn / RFC 9293 MUST-18: a retransmitted segment's sample is
   * ambiguous, unless timestamps say which copy was ACKed. */
  if (s->retransmitted && !s->from_timestamp)
    return;
  r = s->rtt < RTT_SAMPLE_MAX ? s->rtt : RTT_SAMPLE_MAX;

  if (!st->have_srtt) {
    /* §2.2 */
    st->srtt = r;
    st->rttvar = r >> 1;
    st->have_srtt = 1;
  } else {
    /* §2.3, RTTVAR first: it uses the old SRTT. */
    st->rttvar = (st->rttvar * ((1u << BETA_SHIFT) - 1) + abs_diff(st->srtt, r)) >>
                 BETA_SHIFT;
    st->srtt = (st->srtt * ((1u << ALPHA_SHIFT) - 1) + r) >> ALPHA_SHIFT;
  }
  /* §2.3 RTO = SRTT + max(G, K * RTTVAR), then §2.4/§2.5 bounds. */
  var4 = RTTVAR_K * st->rttvar;
  st->rto = ptcp_rto_clamp(st->srtt + (var4 > p->granularity ? var4 : p->granularity),
                           p->min, p->max);
  /* §5.7: the new value replaces the backed-off one. */
  st->backoff = 0;
}

static ptcp_duration rfc6298_rto(const void *state, const void *params) {
  const rto_rfc6298_state *st = state;
  const rto_rfc6298_params *p = params;

  return ptcp_rto_backed_off(st->rto, st->backoff, p->max);
}

static void rfc6298_on_timeout(void *state, const void *params, ptcp_time now) {
  rto_rfc6298_state *st = state;
  const rto_rfc6298_params *p = params;

  (void)now;
  /* §5.5: RTO <- RTO * 2; the max of §2.5 applies in rfc6298_rto. */
  if (st->backoff < p->backoff_cap)
    st->backoff++;
}

static ptcp_duration rfc6298_srtt(const void *state) {
  const rto_rfc6298_state *st = state;

  return st->have_srtt ? st->srtt : PTCP_TIME_NONE;
}

const ptcp_rto_ops ptcp_rto_rfc6298 = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_RTO,
            .name = "rfc6298",
            .summary = "RFC 6298: SRTT/RTTVAR (1/8, 1/4), RTO = SRTT + max(G, 4 RTTVAR), "
                       "1 s min and initial, Karn, x2 backoff",
            .state_size = sizeof(rto_rfc6298_state),
            .params_size = sizeof(rto_rfc6298_params),
            .params_default = &rfc6298_defaults,
            .params = rfc6298_params,
            .nparams = sizeof(rfc6298_params) / sizeof(rfc6298_params[0]),
        },
    .init = rfc6298_init,
    .on_rtt_sample = rfc6298_on_rtt_sample,
    .rto = rfc6298_rto,
    .on_timeout = rfc6298_on_timeout,
    .srtt = rfc6298_srtt,
};

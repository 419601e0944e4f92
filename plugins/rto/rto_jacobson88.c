/*
 * rto "jacobson88": the estimator of V. Jacobson and M. Karels,
 * "Congestion Avoidance and Control" (SIGCOMM '88; revised version,
 * Appendix A), as it stood before RFC 2988/6298 added their clamps:
 *
 *   SRTT   += (R - SRTT) / 8          (gain 1/8)
 *   RTTVAR += (|R - SRTT| - RTTVAR)/4 (gain 1/4, the mean deviation)
 *   RTO     = SRTT + k * RTTVAR       (k = 4)
 *
 * with the first sample setting SRTT = R, RTTVAR = R/2 as 4.3BSD-Reno's
 * tcp_xmit_timer did (rto_estimator.h; the same code as rfc6298).
 *
 * What makes it the 1988 algorithm rather than RFC 6298: no 1 s minimum
 * and no 60 s maximum (min and max default to the core's hard limits, 1
 * ms and 600 s), no clock-granularity term G, and a 3 s initial timeout
 * (RFC 1122 4.2.3.1, the value of that era; RFC 6298 lowered it to 1 s).
 * Karn's rule and exponential backoff as Karn and Partridge (1987) and
 * RFC 1122 require.  BSD kernels computed this in 500 ms ticks; here it
 * is in nanoseconds, so on a fast path RTO can fall to a few
 * milliseconds: that is the behaviour RFC 6298's 1 s minimum was added to
 * prevent, and what a researcher comparing estimators wants to see.
 */
#include <stddef.h>

#include <plugtcp/policy.h>

#include "../builtins.h"
#include "rto_backoff.h"
#include "rto_estimator.h"

#define K_DEFAULT 4u
#define K_MAX 16u
#define BACKOFF_CAP_DEFAULT 16u

typedef struct rto_jacobson88_params {
  ptcp_duration min;
  ptcp_duration max;
  ptcp_duration initial;
  uint32_t backoff_cap;
  uint32_t k; /* RTO = SRTT + k * RTTVAR */
} rto_jacobson88_params;

typedef struct rto_jacobson88_state {
  ptcp_rto_jk est;
  ptcp_duration rto; /* clamped, before backoff */
  uint32_t backoff;
} rto_jacobson88_state;

_Static_assert(sizeof(rto_jacobson88_state) <= PTCP_BUILTIN_STATE_MAX,
               "rto jacobson88 state must fit the built-in budget");

static const rto_jacobson88_params jacobson88_defaults = {
    .min = PTCP_RTO_FLOOR,
    .max = PTCP_RTO_CEIL,
    .initial = 3 * PTCP_SECONDS, /* RFC 1122 4.2.3.1 */
    .backoff_cap = BACKOFF_CAP_DEFAULT,
    .k = K_DEFAULT,
};

static const ptcp_param_desc jacobson88_params[] = {
    {.name = "min",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_jacobson88_params, min),
     .min = PTCP_RTO_FLOOR,
     .max = PTCP_RTO_CEIL,
     .help = "lower bound on RTO (default: the core's 1 ms; 1988 had none)"},
    {.name = "max",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_jacobson88_params, max),
     .min = PTCP_RTO_FLOOR,
     .max = PTCP_RTO_CEIL,
     .help = "upper bound on RTO, backoff included (default: the core's 600 s)"},
    {.name = "initial",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_jacobson88_params, initial),
     .min = PTCP_RTO_FLOOR,
     .max = PTCP_RTO_CEIL,
     .help = "RTO before the first sample (RFC 1122 4.2.3.1: 3 s)"},
    {.name = "backoff_cap",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(rto_jacobson88_params, backoff_cap),
     .min = 0,
     .max = PTCP_RTO_SHIFT_LIMIT,
     .help = "most doublings on repeated timeouts"},
    {.name = "k",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(rto_jacobson88_params, k),
     .min = 1,
     .max = K_MAX,
     .help = "RTO = SRTT + k * RTTVAR (Jacobson/Karels: 4)"},
};

static int jacobson88_init(void *state, const void *params, ptcp_time now) {
  rto_jacobson88_state *st = state;
  const rto_jacobson88_params *p = params;

  (void)now;
  st->rto = ptcp_rto_clamp(p->initial, p->min, p->max);
  st->backoff = 0;
  st->est.have = 0;
  return 0;
}

static void jacobson88_on_rtt_sample(void *state, const void *params,
                                     const ptcp_rtt_sample *s) {
  rto_jacobson88_state *st = state;
  const rto_jacobson88_params *p = params;

  if (!ptcp_rto_karn_ok(s))
    return;
  ptcp_rto_jk_sample(&st->est, s->rtt);
  /* No G term: RTO = SRTT + k RTTVAR (both below 10 minutes, k <= 16). */
  st->rto = ptcp_rto_clamp(st->est.srtt + p->k * st->est.rttvar, p->min, p->max);
  st->backoff = 0;
}

static ptcp_duration jacobson88_rto(const void *state, const void *params) {
  const rto_jacobson88_state *st = state;
  const rto_jacobson88_params *p = params;

  return ptcp_rto_backed_off(st->rto, st->backoff, p->max);
}

static void jacobson88_on_timeout(void *state, const void *params, ptcp_time now) {
  rto_jacobson88_state *st = state;
  const rto_jacobson88_params *p = params;

  (void)now;
  if (st->backoff < p->backoff_cap)
    st->backoff++;
}

static ptcp_duration jacobson88_srtt(const void *state) {
  const rto_jacobson88_state *st = state;

  return st->est.have ? st->est.srtt : PTCP_TIME_NONE;
}

const ptcp_rto_ops ptcp_rto_jacobson88 = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_RTO,
            .name = "jacobson88",
            .summary = "Jacobson/Karels 1988: RTO = SRTT + 4 RTTVAR (gains 1/8, 1/4), "
                       "3 s initial, no 1 s/60 s clamps, no G",
            .state_size = sizeof(rto_jacobson88_state),
            .params_size = sizeof(rto_jacobson88_params),
            .params_default = &jacobson88_defaults,
            .params = jacobson88_params,
            .nparams = sizeof(jacobson88_params) / sizeof(jacobson88_params[0]),
        },
    .init = jacobson88_init,
    .on_rtt_sample = jacobson88_on_rtt_sample,
    .rto = jacobson88_rto,
    .on_timeout = jacobson88_on_timeout,
    .srtt = jacobson88_srtt,
};

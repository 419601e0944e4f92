/*
 * rto "fixed": the RTO is a constant (param value, 1 s by default),
 * whatever the RTT.  On each expiry it doubles (RFC 6298 §5.5), capped at
 * max, at most backoff_cap times (0: never).  A valid RTT sample (Karn's
 * rule, RFC 6298 §3: not from a retransmitted segment unless timestamped)
 * returns it to the constant, like RFC 6298 §5.7.
 *
 * Of the generic rto params, min, initial and granularity have no
 * meaning here (there is one value and no estimator); max and
 * backoff_cap do.
 *
 * Not an RFC algorithm: a baseline for experiments and for tests that
 * want timeouts at known instants.  It ignores RFC 9293 MUST-18.
 */
#include <stddef.h>

#include <plugtcp/policy.h>

#include "../builtins.h"
#include "rto_backoff.h"

#define BACKOFF_CAP_DEFAULT 16u

typedef struct rto_fixed_params {
  ptcp_duration value;
  ptcp_duration max;
  uint32_t backoff_cap;
} rto_fixed_params;

typedef struct rto_fixed_state {
  uint32_t backoff; /* doublings since init or the last valid sample */
} rto_fixed_state;

_Static_assert(sizeof(rto_fixed_state) <= PTCP_BUILTIN_STATE_MAX,
               "rto fixed state must fit the built-in budget");

static const rto_fixed_params fixed_defaults = {
    .value = 1 * PTCP_SECONDS, /* RFC 6298 §2.1's initial value */
    .max = 60 * PTCP_SECONDS,  /* RFC 6298 §2.5 */
    .backoff_cap = BACKOFF_CAP_DEFAULT,
};

static const ptcp_param_desc fixed_params[] = {
    {.name = "value",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_fixed_params, value),
     .min = PTCP_RTO_FLOOR,
     .max = PTCP_RTO_CEIL,
     .help = "the timeout before any backoff"},
    {.name = "max",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_fixed_params, max),
     .min = PTCP_RTO_FLOOR,
     .max = PTCP_RTO_CEIL,
     .help = "upper bound, backoff included"},
    {.name = "backoff_cap",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(rto_fixed_params, backoff_cap),
     .min = 0,
     .max = PTCP_RTO_SHIFT_LIMIT,
     .help = "most doublings on repeated timeouts (RFC 6298 §5.5); 0 = none"},
};

static int fixed_init(void *state, const void *params, ptcp_time now) {
  rto_fixed_state *st = state;

  (void)params;
  (void)now;
  st->backoff = 0;
  return 0;
}

static void fixed_on_rtt_sample(void *state, const void *params,
                                const ptcp_rtt_sample *s) {
  rto_fixed_state *st = state;

  (void)params;
  /* Karn (RFC 6298 §3): an ambiguous sample does not end the backoff. */
  if (s->retransmitted && !s->from_timestamp)
    return;
  st->backoff = 0;
}

static ptcp_duration fixed_rto(const void *state, const void *params) {
  const rto_fixed_state *st = state;
  const rto_fixed_params *p = params;

  /* Never above max, even when rto > max. */
  return ptcp_rto_backed_off(p->value, st->backoff, p->max);
}

static void fixed_on_timeout(void *state, const void *params, ptcp_time now) {
  rto_fixed_state *st = state;
  const rto_fixed_params *p = params;

  (void)now;
  /* Stop counting once max is reached: the value cannot grow further. */
  if (st->backoff < p->backoff_cap && fixed_rto(state, params) < p->max)
    st->backoff++;
}

const ptcp_rto_ops ptcp_rto_fixed = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_RTO,
            .name = "fixed",
            .summary = "constant RTO, x2 backoff (RFC 6298 §5.5) up to max; no RTT "
                       "estimation",
            .state_size = sizeof(rto_fixed_state),
            .params_size = sizeof(rto_fixed_params),
            .params_default = &fixed_defaults,
            .params = fixed_params,
            .nparams = sizeof(fixed_params) / sizeof(fixed_params[0]),
        },
    .init = fixed_init,
    .on_rtt_sample = fixed_on_rtt_sample,
    .rto = fixed_rto,
    .on_timeout = fixed_on_timeout,
};

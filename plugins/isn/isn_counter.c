/*
 * isn "counter": ISN = start + n * step for the n-th connection of the
 * stack (n = 0, 1, 2, ...), modulo 2^32.  Predictable on purpose: it is
 * for tests and simulations that want the same sequence numbers on every
 * run.  Tests pick it by name; there is no test-only code path in the
 * default policy (style-anchors "What to avoid").
 *
 * Never use it on a real network: RFC 6528 §1 and §3 explain how
 * predictable ISNs enable off-path spoofing.
 */
#include <stddef.h>

#include <plugtcp/policy.h>
#include <plugtcp/seq.h>

#include "../builtins.h"

/* 64000 per connection: what 4.xBSD added to tcp_iss for every new
 * connection (TCP_ISSINCR / 2), the classic predictable ISN. */
#define COUNTER_STEP_DEFAULT 64000u

typedef struct isn_counter_params {
  uint32_t start;
  uint32_t step;
} isn_counter_params;

typedef struct isn_counter_state {
  uint32_t next; /* the ISN the next connection gets */
} isn_counter_state;

_Static_assert(sizeof(isn_counter_state) <= PTCP_BUILTIN_STATE_MAX,
               "isn counter state must fit the built-in budget");

static const isn_counter_params counter_defaults = {
    .start = 0,
    .step = COUNTER_STEP_DEFAULT,
};

static const ptcp_param_desc counter_params[] = {
    {.name = "start",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(isn_counter_params, start),
     .min = 0,
     .max = UINT32_MAX,
     .help = "ISN of the first connection"},
    {.name = "step",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(isn_counter_params, step),
     .min = 0,
     .max = UINT32_MAX,
     .help = "added for each further connection (0: every ISN is start)"},
};

static int counter_init(void *state, const void *params, const ptcp_policy_env *env) {
  isn_counter_state *st = state;
  const isn_counter_params *p = params;

  (void)env;
  st->next = p->start;
  return 0;
}

static uint32_t counter_generate(void *state, const void *params,
                                 const ptcp_isn_ctx *ctx) {
  isn_counter_state *st = state;
  const isn_counter_params *p = params;
  uint32_t isn = st->next;

  (void)ctx;
  st->next = ptcp_seq_add(st->next, p->step);
  return isn;
}

const ptcp_isn_ops ptcp_isn_counter = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_ISN,
            .name = "counter",
            .summary = "start + n*step for the n-th connection: deterministic, "
                       "for tests only (not RFC 6528)",
            .state_size = sizeof(isn_counter_state),
            .params_size = sizeof(isn_counter_params),
            .params_default = &counter_defaults,
            .params = counter_params,
            .nparams = sizeof(counter_params) / sizeof(counter_params[0]),
        },
    .init = counter_init,
    .generate = counter_generate,
};

/*
 * isn "fixed": every connection gets the same ISN, param value (0 by
 * default).  This is what ns-3 does (its TcpSocketState starts every
 * sequence space at 0 and draws no random number), so a plugtcp run can
 * be compared with an ns-3 trace byte for byte.
 *
 * The most predictable ISN there is: RFC 6528 §1 and RFC 9293 §3.4.1
 * explain what that allows an off-path attacker to do.  It is for
 * simulations and tests only.  Reopening from TIME-WAIT still works: the
 * engine raises the new ISN above the old connection's sequence space
 * (RFC 1122 4.2.2.13), whatever this policy says.
 */
#include <stddef.h>

#include <plugtcp/policy.h>

#include "../builtins.h"

typedef struct isn_fixed_params {
  uint32_t value;
} isn_fixed_params;

static const isn_fixed_params fixed_defaults = {.value = 0};

static const ptcp_param_desc fixed_params[] = {
    {.name = "value",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(isn_fixed_params, value),
     .min = 0,
     .max = UINT32_MAX,
     .help = "the ISN of every connection (ns-3 uses 0)"},
};

static uint32_t fixed_generate(void *state, const void *params, const ptcp_isn_ctx *ctx) {
  const isn_fixed_params *p = params;

  (void)state;
  (void)ctx;
  return p->value;
}

const ptcp_isn_ops ptcp_isn_fixed = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_ISN,
            .name = "fixed",
            .summary = "the same ISN for every connection (0 by default, as ns-3); "
                       "for simulations only",
            .params_size = sizeof(isn_fixed_params),
            .params_default = &fixed_defaults,
            .params = fixed_params,
            .nparams = sizeof(fixed_params) / sizeof(fixed_params[0]),
        },
    .generate = fixed_generate,
};

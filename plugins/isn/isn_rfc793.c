/*
 * isn "rfc793": the ISN clock of RFC 793 §3.3 ("Initial Sequence Number
 * Selection"):
 *
 *   "the generator is bound to a (possibly fictitious) 32 bit clock
 *    whose low order bit is incremented roughly every 4 microseconds."
 *
 * ISN = offset + now / tick, modulo 2^32, with tick = 4 us by default.
 * The clock is global to the stack (here: the |now| the engine passes
 * in), so every connection started at the same instant gets the same
 * ISN, whatever its 4-tuple.  That is the scheme RFC 1948 and RFC 6528
 * replaced: an off-path attacker who sees one ISN can predict the next
 * (RFC 6528 §1).  OMNeT++ INET uses it (simTime x 250 kHz).  It is here
 * to reproduce pre-1996 behaviour and what INET does, never for a real
 * network.  No secret, no randomness: the stack starts without a rand
 * callback.
 */
#include <stddef.h>

#include <plugtcp/policy.h>
#include <plugtcp/seq.h>

#include "../builtins.h"

/* RFC 793 §3.3: the low-order bit ticks "roughly every 4 microseconds". */
#define RFC793_TICK_DEFAULT (4 * PTCP_MICROSECONDS)
/* A one-second tick is already a clock that barely moves. */
#define RFC793_TICK_MAX PTCP_SECONDS

typedef struct isn_rfc793_params {
  ptcp_duration tick; /* one clock increment */
  uint32_t offset;    /* the clock's value at time 0 */
} isn_rfc793_params;

static const isn_rfc793_params rfc793_defaults = {
    .tick = RFC793_TICK_DEFAULT,
    .offset = 0,
};

static const ptcp_param_desc rfc793_params[] = {
    {.name = "tick",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(isn_rfc793_params, tick),
     .min = 1,
     .max = RFC793_TICK_MAX,
     .help = "clock period (RFC 793 §3.3: about 4 us)"},
    {.name = "offset",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(isn_rfc793_params, offset),
     .min = 0,
     .max = UINT32_MAX,
     .help = "clock value at time 0, e.g. near 2^32 to test the wrap"},
};

static uint32_t rfc793_generate(void *state, const void *params,
                                const ptcp_isn_ctx *ctx) {
  const isn_rfc793_params *p = params;

  (void)state;
  /* The clock modulo 2^32 ticks; the tuple plays no part. */
  return ptcp_seq_add(p->offset, (uint32_t)(ctx->now / p->tick));
}

const ptcp_isn_ops ptcp_isn_rfc793 = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_ISN,
            .name = "rfc793",
            .summary = "RFC 793 §3.3: a global 4 us clock, no secret (predictable; "
                       "historical and INET behaviour)",
            .params_size = sizeof(isn_rfc793_params),
            .params_default = &rfc793_defaults,
            .params = rfc793_params,
            .nparams = sizeof(rfc793_params) / sizeof(rfc793_params[0]),
        },
    .generate = rfc793_generate,
};

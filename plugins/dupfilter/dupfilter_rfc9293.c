/*
 * dupfilter "rfc9293": segment acceptability per RFC 9293 §3.10.7.4 with
 * the RFC 5961 mitigations against blind in-window attacks.
 *
 *   check_seq  the four-case acceptability test (first check);
 *   check_rst  RST only at exactly RCV.NXT, else a challenge ACK (RFC 5961
 *              §3.2; second check);
 *   check_syn  any SYN in a synchronized state gets a challenge ACK (RFC
 *              5961 §4.2; fourth check);
 *   check_ack  SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT (RFC 5961 §5.2;
 *              fifth check);
 *   challenge_allowed  at most |limit| challenge ACKs per second, counted
 *              per connection (RFC 5961 §7).  A global counter would be
 *              a side channel that leaks sequence numbers to an off-path
 *              attacker (CVE-2016-5696).
 *
 * No PAWS: that is the "paws" variant (RFC 7323 §5).  The checks
 * themselves live in dupfilter_common.h, shared with the variants; every
 * sequence comparison goes through plugtcp/seq.h, so windows that wrap at
 * 2^32 work like any other.
 */
#include <stddef.h>

#include <plugtcp/policy.h>
#include <plugtcp/seq.h>

#include "../builtins.h"
#include "dupfilter_common.h"

/* RFC 5961 §7 leaves the rate to the implementation.  10 per second
 * matches the core's own per-connection cap (ptcp_stack_cfg's
 * challenge_ack_limit), so by default the two agree. */
#define CHALLENGE_LIMIT_DEFAULT 10u
#define CHALLENGE_LIMIT_MAX 1000u

typedef struct dupfilter_rfc9293_params {
  uint32_t limit; /* challenge ACKs per second */
} dupfilter_rfc9293_params;

typedef struct dupfilter_rfc9293_state {
  ptcp_df_limiter limiter;
} dupfilter_rfc9293_state;

_Static_assert(sizeof(dupfilter_rfc9293_state) <= PTCP_BUILTIN_STATE_MAX,
               "dupfilter rfc9293 state must fit the built-in budget");

static const dupfilter_rfc9293_params rfc9293_defaults = {
    .limit = CHALLENGE_LIMIT_DEFAULT,
};

static const ptcp_param_desc rfc9293_params[] = {
    {.name = "limit",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(dupfilter_rfc9293_params, limit),
     .min = 1,
     .max = CHALLENGE_LIMIT_MAX,
     .help = "challenge ACKs per second per connection (RFC 5961 §7)"},
};

static int rfc9293_init(void *state, const void *params, ptcp_time now) {
  dupfilter_rfc9293_state *st = state;

  (void)params;
  ptcp_df_limiter_init(&st->limiter, now);
  return 0;
}

static ptcp_df_verdict rfc9293_check_seq(void *state, const void *params,
                                         const ptcp_seg_ctx *c, ptcp_reason *why) {
  (void)state;
  (void)params;
  return ptcp_df_check_window(c, why);
}

static ptcp_df_verdict rfc9293_check_rst(void *state, const void *params,
                                         const ptcp_seg_ctx *c, ptcp_reason *why) {
  (void)state;
  (void)params;
  return ptcp_df_rst_5961(c, why);
}

static ptcp_df_verdict rfc9293_check_syn(void *state, const void *params,
                                         const ptcp_seg_ctx *c, ptcp_reason *why) {
  (void)state;
  (void)params;
  (void)c;
  /* RFC 5961 §4.2 and RFC 9293 §3.10.7.4 fourth check: whatever its
   * sequence number, a SYN in a synchronized state gets a challenge ACK
   * (RFC 793's reset would let a blind attacker kill the connection). */
  *why = PTCP_R_SYN_SYNCHRONIZED;
  return PTCP_DF_CHALLENGE;
}

static ptcp_df_verdict rfc9293_check_ack(void *state, const void *params,
                                         const ptcp_seg_ctx *c, ptcp_reason *why) {
  (void)state;
  (void)params;
  return ptcp_df_ack_5961(c, why);
}

static int rfc9293_challenge_allowed(void *state, const void *params, ptcp_time now) {
  dupfilter_rfc9293_state *st = state;
  const dupfilter_rfc9293_params *p = params;

  return ptcp_df_limiter_allow(&st->limiter, p->limit, now);
}

const ptcp_dupfilter_ops ptcp_dupfilter_rfc9293 = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_DUPFILTER,
            .name = "rfc9293",
            .summary = "RFC 9293 §3.10.7.4 four-case test + RFC 5961 RST/SYN/ACK "
                       "checks, per-connection challenge ACK limit",
            .state_size = sizeof(dupfilter_rfc9293_state),
            .params_size = sizeof(dupfilter_rfc9293_params),
            .params_default = &rfc9293_defaults,
            .params = rfc9293_params,
            .nparams = sizeof(rfc9293_params) / sizeof(rfc9293_params[0]),
        },
    .init = rfc9293_init,
    .check_seq = rfc9293_check_seq,
    .check_rst = rfc9293_check_rst,
    .check_syn = rfc9293_check_syn,
    .check_ack = rfc9293_check_ack,
    .challenge_allowed = rfc9293_challenge_allowed,
};

/*
 * dupfilter "paws": "rfc9293" with RFC 7323's timestamp checks in front,
 * so that old duplicates from an earlier wrap of the sequence space
 * cannot be accepted on fast paths (RFC 7323 §5, "PAWS").
 *
 * While timestamps are in use on the connection (ctx->ts_enabled), for
 * every segment that is not a RST, before the acceptability test:
 *
 *   1. no TSopt (RFC 7323 §3.2): "If a non-<RST> segment is received
 *      without a TSopt, a TCP SHOULD silently drop the segment."  DROP,
 *      reason PAWS.  This is a SHOULD, so require_ts=off turns it off (a
 *      peer that omits timestamps now and then is then tolerated, as
 *      Linux does);
 *   2. PAWS (RFC 7323 §5.3 R1): SEG.TSval < TS.Recent, compared modulo
 *      2^32 as §5.2 prescribes, with TS.Recent still valid: the segment
 *      is not acceptable.  ACK (so half-open connections are still
 *      detected, §5.3 R1) and drop, reason PAWS;
 *   3. TS.Recent validity (RFC 7323 §5.5): a TS.Recent last updated more
 *      than 24 days ago (ctx->ts_recent_at) is invalid, because the
 *      fastest timestamp clock the RFC allows (1 ms) moves 2^31 ticks in
 *      24.8 days, after which "older" no longer means anything.  The
 *      PAWS test is then skipped.  Param ts_recent_life.
 *
 * RSTs are exempt from both (§5.3 R1 applies to non-RST segments; a RST
 * need not carry TSopt, §3.2).  Everything else, and the RST, SYN and ACK
 * checks and the challenge limit, are exactly "rfc9293"'s
 * (dupfilter_common.h).
 *
 * Engine note: the engine updates TS.Recent (and ts_recent_at) only from
 * a segment at or before Last.ACK.sent whose TSval is not older (§4.3).
 * After a 24-day idle period with a peer clock that moved backwards,
 * TS.Recent thus stays stale and PAWS stays off for the connection
 * instead of re-arming at the next segment.
 */
#include <stddef.h>

#include <plugtcp/policy.h>
#include <plugtcp/seq.h>

#include "../builtins.h"
#include "dupfilter_common.h"

#define CHALLENGE_LIMIT_DEFAULT 10u
#define CHALLENGE_LIMIT_MAX 1000u

/* RFC 7323 §5.5: "24 days". */
#define TS_RECENT_LIFE_DEFAULT (24ULL * 24 * 3600 * PTCP_SECONDS)

typedef struct dupfilter_paws_params {
  ptcp_duration ts_recent_life; /* §5.5 */
  uint32_t limit;               /* challenge ACKs per second (RFC 5961 §7) */
  uint8_t require_ts;           /* §3.2 SHOULD drop a segment without TSopt */
} dupfilter_paws_params;

typedef struct dupfilter_paws_state {
  ptcp_df_limiter limiter;
} dupfilter_paws_state;

_Static_assert(sizeof(dupfilter_paws_state) <= PTCP_BUILTIN_STATE_MAX,
               "dupfilter paws state must fit the built-in budget");

static const dupfilter_paws_params paws_defaults = {
    .ts_recent_life = TS_RECENT_LIFE_DEFAULT,
    .limit = CHALLENGE_LIMIT_DEFAULT,
    .require_ts = 1,
};

static const ptcp_param_desc paws_params[] = {
    {.name = "ts_recent_life",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(dupfilter_paws_params, ts_recent_life),
     .min = PTCP_MILLISECONDS,
     .max = TS_RECENT_LIFE_DEFAULT,
     .help = "TS.Recent older than this is invalid (RFC 7323 §5.5: 24 days)"},
    {.name = "limit",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(dupfilter_paws_params, limit),
     .min = 1,
     .max = CHALLENGE_LIMIT_MAX,
     .help = "challenge ACKs per second per connection (RFC 5961 §7)"},
    {.name = "require_ts",
     .type = PTCP_PARAM_BOOL,
     .offset = offsetof(dupfilter_paws_params, require_ts),
     .min = 0,
     .max = 1,
     .help = "drop a non-RST segment without TSopt (RFC 7323 §3.2 SHOULD)"},
};

static int paws_init(void *state, const void *params, ptcp_time now) {
  dupfilter_paws_state *st = state;

  (void)params;
  ptcp_df_limiter_init(&st->limiter, now);
  return 0;
}

/* RFC 7323 §5.5: TS.Recent is valid for ts_recent_life after it was last
 * set.  A timestamp from the future (ts_recent_at > now) is valid. */
static int ts_recent_valid(const dupfilter_paws_params *p, const ptcp_seg_ctx *c) {
  return c->now <= c->ts_recent_at || c->now - c->ts_recent_at <= p->ts_recent_life;
}

static ptcp_df_verdict paws_check_seq(void *state, const void *params,
                                      const ptcp_seg_ctx *c, ptcp_reason *why) {
  const dupfilter_paws_params *p = params;
  const ptcp_seg *seg = c->seg;

  (void)state;
  if (c->ts_enabled && !(seg->flags & PTCP_RST)) {
    if (!(seg->opts.present & PTCP_OPT_TS)) {
      /* §3.2: silently (no ACK, since the segment may not be from the
       * peer at all). */
      if (p->require_ts) {
        *why = PTCP_R_PAWS;
        return PTCP_DF_DROP;
      }
    } else if (ts_recent_valid(p, c) && ptcp_seq_lt(seg->opts.ts_val, c->ts_recent)) {
      /* §5.3 R1: "Send an acknowledgment in reply ... and drop the
       * segment." */
      *why = PTCP_R_PAWS;
      return PTCP_DF_ACK;
    }
  }
  return ptcp_df_check_window(c, why);
}

static ptcp_df_verdict paws_check_rst(void *state, const void *params,
                                      const ptcp_seg_ctx *c, ptcp_reason *why) {
  (void)state;
  (void)params;
  return ptcp_df_rst_5961(c, why);
}

static ptcp_df_verdict paws_check_syn(void *state, const void *params,
                                      const ptcp_seg_ctx *c, ptcp_reason *why) {
  (void)state;
  (void)params;
  (void)c;
  /* RFC 5961 §4.2, as rfc9293. */
  *why = PTCP_R_SYN_SYNCHRONIZED;
  return PTCP_DF_CHALLENGE;
}

static ptcp_df_verdict paws_check_ack(void *state, const void *params,
                                      const ptcp_seg_ctx *c, ptcp_reason *why) {
  (void)state;
  (void)params;
  return ptcp_df_ack_5961(c, why);
}

static int paws_challenge_allowed(void *state, const void *params, ptcp_time now) {
  dupfilter_paws_state *st = state;
  const dupfilter_paws_params *p = params;

  return ptcp_df_limiter_allow(&st->limiter, p->limit, now);
}

const ptcp_dupfilter_ops ptcp_dupfilter_paws = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_DUPFILTER,
            .name = "paws",
            .summary = "rfc9293 + RFC 7323 §5 PAWS (24-day TS.Recent) and §3.2 drop of "
                       "segments without TSopt",
            .state_size = sizeof(dupfilter_paws_state),
            .params_size = sizeof(dupfilter_paws_params),
            .params_default = &paws_defaults,
            .params = paws_params,
            .nparams = sizeof(paws_params) / sizeof(paws_params[0]),
        },
    .init = paws_init,
    .check_seq = paws_check_seq,
    .check_rst = paws_check_rst,
    .check_syn = paws_check_syn,
    .check_ack = paws_check_ack,
    .challenge_allowed = paws_challenge_allowed,
};

/*
 * close "rfc6191": RFC 6191 ("Reducing the TIME-WAIT State Using TCP
 * Timestamps") for a SYN that arrives in TIME-WAIT with a listener on
 * the port; everything else as rfc9293 (close_common.h: RFC 1337,
 * re-ACK the FIN, 2 MSL).
 *
 * RFC 1122 4.2.2.13 reopens only when the new SYN's sequence number is
 * above RCV.NXT, which a client with a random ISN gets right only half
 * of the time.  RFC 6191 §2 uses timestamps as well, with the last
 * sequence number seen being RCV.NXT and the last timestamp seen being
 * TS.Recent:
 *
 *   previous incarnation used timestamps (ctx->ts_enabled):
 *     SYN with TSopt, TSval > TS.Recent                      reopen
 *     SYN with TSopt, TSval = TS.Recent, SEG.SEQ > RCV.NXT   reopen
 *     SYN without TSopt, SEG.SEQ > RCV.NXT                   reopen
 *     otherwise                                              drop silently
 *   it did not:
 *     SEG.SEQ > RCV.NXT                                      reopen
 *     otherwise                                              drop silently
 *
 * Timestamps compare modulo 2^32 (RFC 7323 §5.2).  "Timestamps would be
 * enabled for the new incarnation" is taken as "the SYN carries TSopt":
 * the policy cannot see the stack's configuration.  Note the first row:
 * a SYN with an older TSval is dropped even when its sequence number is
 * higher, as an old duplicate SYN (Linux behaves the same way, through
 * PAWS).  Without a listener, and for a SYN with ACK, the SYN gets the
 * challenge ACK of RFC 5961 §4, as in rfc9293.  Linux implements the
 * timestamp rule; FreeBSD only the sequence one.
 */
#include <stddef.h>

#include <plugtcp/policy.h>
#include <plugtcp/seq.h>

#include "../builtins.h"
#include "close_common.h"

typedef struct close_rfc6191_params {
  ptcp_duration time_wait;  /* 0: 2 MSL */
  ptcp_duration fin_wait_2; /* 0: forever */
} close_rfc6191_params;

static const close_rfc6191_params rfc6191_defaults = {
    .time_wait = 0,
    .fin_wait_2 = PTCP_CLOSE_FIN_WAIT_2_DEFAULT,
};

static const ptcp_param_desc rfc6191_params[] = {
    {.name = "time_wait",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(close_rfc6191_params, time_wait),
     .min = 0,
     .max = PTCP_CLOSE_PARAM_MAX,
     .help = "TIME-WAIT length; 0 = 2 MSL (RFC 9293 §3.4.2)"},
    {.name = "fin_wait_2",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(close_rfc6191_params, fin_wait_2),
     .min = 0,
     .max = PTCP_CLOSE_PARAM_MAX,
     .help = "orphaned FIN-WAIT-2 limit; 0 = forever, as RFC 9293"},
};

static ptcp_duration rfc6191_fin_wait_2_timeout(const void *params, ptcp_duration msl) {
  const close_rfc6191_params *p = params;

  (void)msl;
  return p->fin_wait_2;
}

static ptcp_duration rfc6191_time_wait(const void *params, ptcp_duration msl) {
  const close_rfc6191_params *p = params;

  if (p->time_wait != 0)
    return p->time_wait;
  return ptcp_close_2msl(msl);
}

/* RFC 6191 §2: may this SYN start a new incarnation? */
static int reopen_ok(const ptcp_tw_ctx *c) {
  const ptcp_seg *seg = c->seg;
  int seq_higher = ptcp_seq_gt(seg->seq, c->rcv_nxt);

  if (c->ts_enabled && (seg->opts.present & PTCP_OPT_TS)) {
    if (ptcp_seq_gt(seg->opts.ts_val, c->ts_recent))
      return 1;
    return seg->opts.ts_val == c->ts_recent && seq_higher;
  }
  return seq_higher;
}

static ptcp_tw_verdict rfc6191_time_wait_segment(const void *params,
                                                 const ptcp_tw_ctx *c) {
  uint8_t flags = c->seg->flags;

  (void)params;
  /* RFC 1337 F1, as rfc9293. */
  if (flags & PTCP_RST)
    return PTCP_TW_DROP;
  if (flags & PTCP_SYN) {
    if ((flags & PTCP_ACK) || !c->listener)
      return PTCP_TW_ACK_ONLY; /* RFC 5961 §4 */
    /* §2: "Otherwise, silently drop the incoming SYN segment, thus
     * leaving the previous incarnation of the connection in the
     * TIME-WAIT state." */
    return reopen_ok(c) ? PTCP_TW_REOPEN : PTCP_TW_DROP;
  }
  return ptcp_close_tw_other(c);
}

const ptcp_close_ops ptcp_close_rfc6191 = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_CLOSE,
            .name = "rfc6191",
            .summary =
                "RFC 6191: a SYN with a newer TSval reopens TIME-WAIT; else the RFC "
                "1122 sequence rule; rfc9293 otherwise",
            .params_size = sizeof(close_rfc6191_params),
            .params_default = &rfc6191_defaults,
            .params = rfc6191_params,
            .nparams = sizeof(rfc6191_params) / sizeof(rfc6191_params[0]),
        },
    .time_wait = rfc6191_time_wait,
    .time_wait_segment = rfc6191_time_wait_segment,
    .fin_wait_2_timeout = rfc6191_fin_wait_2_timeout,
};

/*
 * close "rfc9293": TIME-WAIT as RFC 9293 describes it, hardened by RFC 1337
 * and RFC 5961.
 *
 *   time_wait           2 MSL (RFC 9293 §3.4.2 and §3.10.7.4 TIME-WAIT),
 *                       or the time_wait param when set;
 *   time_wait_segment   what a segment does to a TIME-WAIT connection:
 *     RST               dropped: RFC 1337 fix F1, so a stray or forged
 *                       RST cannot "assassinate" TIME-WAIT early;
 *     SYN               ACK only: the challenge ACK of RFC 5961 §4.  RFC
 *                       9293 reopens TIME-WAIT for a new SYN only when
 *                       timestamps tell the incarnations apart (close
 *                       policy "rfc6191" does that);
 *     the peer's FIN again (FIN, ending exactly at RCV.NXT)
 *                       re-ACKed and the 2 MSL timer restarted (RFC 9293
 *                       §3.10.7.4 TIME-WAIT: "The only thing that can
 *                       arrive in this state is a retransmission of the
 *                       remote FIN.  Acknowledge it, and restart the 2 MSL
 *                       timeout.");
 *     unacceptable      ACK only: a segment outside the window last
 *                       offered gets an ACK (first check);
 *     anything else     dropped: without ACK (fifth check), or with
 *                       nothing left to do, since text after the FIN is
 *                       ignored; an acceptable ACK is never ACKed, which
 *                       could start an ACK loop with a confused peer;
 *   close_action        not set: the core's default applies (RST when
 *                       received data was never read, RFC 9293 §3.10.4,
 *                       RFC 1122 4.2.2.13);
 *   fin_wait_2_timeout  the fin_wait_2 param.
 *
 * Stateless: every hook sees only its params and the segment.  The rules
 * live in close_common.h, shared with the variants.
 */
#include <stddef.h>

#include <plugtcp/policy.h>
#include <plugtcp/seq.h>

#include "../builtins.h"
#include "close_common.h"

typedef struct close_rfc9293_params {
  ptcp_duration time_wait;  /* 0: 2 MSL */
  ptcp_duration fin_wait_2; /* 0: forever */
} close_rfc9293_params;

static const close_rfc9293_params rfc9293_defaults = {
    .time_wait = 0,
    .fin_wait_2 = PTCP_CLOSE_FIN_WAIT_2_DEFAULT,
};

static const ptcp_param_desc rfc9293_params[] = {
    {.name = "time_wait",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(close_rfc9293_params, time_wait),
     .min = 0,
     .max = PTCP_CLOSE_PARAM_MAX,
     .help = "TIME-WAIT length; 0 = 2 MSL (RFC 9293 §3.4.2)"},
    {.name = "fin_wait_2",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(close_rfc9293_params, fin_wait_2),
     .min = 0,
     .max = PTCP_CLOSE_PARAM_MAX,
     .help = "orphaned FIN-WAIT-2 limit; 0 = forever, as RFC 9293"},
};

static ptcp_duration rfc9293_time_wait(const void *params, ptcp_duration msl) {
  const close_rfc9293_params *p = params;

  if (p->time_wait != 0)
    return p->time_wait;
  return ptcp_close_2msl(msl);
}

static ptcp_tw_verdict rfc9293_time_wait_segment(const void *params,
                                                 const ptcp_tw_ctx *c) {
  (void)params;
  /* RFC 1337 F1: ignore RST segments in TIME-WAIT. */
  if (c->seg->flags & PTCP_RST)
    return PTCP_TW_DROP;
  if (c->seg->flags & PTCP_SYN)
    return ptcp_close_tw_syn_5961(c);
  return ptcp_close_tw_other(c);
}

static ptcp_duration rfc9293_fin_wait_2_timeout(const void *params, ptcp_duration msl) {
  const close_rfc9293_params *p = params;

  (void)msl;
  return p->fin_wait_2;
}

const ptcp_close_ops ptcp_close_rfc9293 = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_CLOSE,
            .name = "rfc9293",
            .summary = "RFC 9293 TIME-WAIT (2 MSL, re-ACK FIN) + RFC 1337 (ignore RST) "
                       "+ RFC 5961 §4 SYN challenge",
            .params_size = sizeof(close_rfc9293_params),
            .params_default = &rfc9293_defaults,
            .params = rfc9293_params,
            .nparams = sizeof(rfc9293_params) / sizeof(rfc9293_params[0]),
        },
    .time_wait = rfc9293_time_wait,
    .time_wait_segment = rfc9293_time_wait_segment,
    .fin_wait_2_timeout = rfc9293_fin_wait_2_timeout,
};

/*
 * close "rfc793": TIME-WAIT without RFC 1337.  A RST ends TIME-WAIT at
 * once (RFC 793 p. 70, TIME-WAIT: "If the RST bit is set then, enter the
 * CLOSED state, delete the TCB, and return"), which is what smoltcp and
 * OMNeT++ INET do, and what Linux does with tcp_rfc1337 off (its
 * default).
 *
 * RFC 1337 calls this "TIME-WAIT assassination" (hazard H1-H3): an old
 * or forged RST ends TIME-WAIT early, and old duplicates can then reach
 * a new incarnation.  It also explains why a stack might want it: a peer
 * that reuses the port with timestamps falls back to a RST to clear our
 * TIME-WAIT, which RFC 1337 then ignores (unikraft's lwIP port removed
 * RFC 1337 for this reason).  Pick this policy for that interoperability
 * case, or to measure the hazard.
 *
 * A RST passes the sequence check first (RFC 793 p. 69, against the
 * window last offered), then ends TIME-WAIT.  Everything else is
 * rfc9293's (close_common.h): a challenge ACK for a SYN, re-ACKing a
 * retransmitted FIN, an ACK for an unacceptable segment; 2 MSL by
 * default.
 */
#include <stddef.h>

#include <plugtcp/policy.h>
#include <plugtcp/seq.h>

#include "../builtins.h"
#include "close_common.h"

typedef struct close_rfc793_params {
  ptcp_duration time_wait;  /* 0: 2 MSL */
  ptcp_duration fin_wait_2; /* 0: forever */
} close_rfc793_params;

static const close_rfc793_params rfc793_defaults = {
    .time_wait = 0,
    .fin_wait_2 = PTCP_CLOSE_FIN_WAIT_2_DEFAULT,
};

static const ptcp_param_desc rfc793_params[] = {
    {.name = "time_wait",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(close_rfc793_params, time_wait),
     .min = 0,
     .max = PTCP_CLOSE_PARAM_MAX,
     .help = "TIME-WAIT length; 0 = 2 MSL (RFC 793 §3.5)"},
    {.name = "fin_wait_2",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(close_rfc793_params, fin_wait_2),
     .min = 0,
     .max = PTCP_CLOSE_PARAM_MAX,
     .help = "orphaned FIN-WAIT-2 limit; 0 = forever, as RFC 9293"},
};

static ptcp_duration rfc793_fin_wait_2_timeout(const void *params, ptcp_duration msl) {
  const close_rfc793_params *p = params;

  (void)msl;
  return p->fin_wait_2;
}

static ptcp_duration rfc793_time_wait(const void *params, ptcp_duration msl) {
  const close_rfc793_params *p = params;

  if (p->time_wait != 0)
    return p->time_wait;
  return ptcp_close_2msl(msl);
}

static ptcp_tw_verdict rfc793_time_wait_segment(const void *params,
                                                const ptcp_tw_ctx *c) {
  (void)params;
  /* RFC 793 p. 69-70: a RST in the window ends TIME-WAIT (no RFC 1337);
   * one outside it is dropped by the sequence check. */
  if (c->seg->flags & PTCP_RST)
    return ptcp_seq_acceptable(c->seg->seq, c->seg_len, c->rcv_nxt, c->rcv_wnd)
               ? PTCP_TW_CLOSE
               : PTCP_TW_DROP;
  if (c->seg->flags & PTCP_SYN)
    return ptcp_close_tw_syn_5961(c);
  return ptcp_close_tw_other(c);
}

const ptcp_close_ops ptcp_close_rfc793 = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_CLOSE,
            .name = "rfc793",
            .summary =
                "RFC 793 TIME-WAIT: a RST ends it (no RFC 1337), 2 MSL, re-ACK FIN",
            .params_size = sizeof(close_rfc793_params),
            .params_default = &rfc793_defaults,
            .params = rfc793_params,
            .nparams = sizeof(rfc793_params) / sizeof(rfc793_params[0]),
        },
    .time_wait = rfc793_time_wait,
    .time_wait_segment = rfc793_time_wait_segment,
    .fin_wait_2_timeout = rfc793_fin_wait_2_timeout,
};

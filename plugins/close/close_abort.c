/*
 * close "abort": every close by the user resets the connection, as
 * SO_LINGER with a zero timeout does on BSD sockets (and RFC 9293
 * §3.10.5's ABORT call): queued data is discarded, a RST goes out, and
 * the connection is gone at once, with no FIN exchange and no TIME-WAIT
 * on this side.  Everything else is rfc9293's (close_common.h), for the
 * TIME-WAIT a connection still reaches when the peer's FIN and ours
 * crossed before the user closed.
 *
 * Applications use this to shed connections fast (a server under load,
 * a client giving up); it costs the peer an error instead of an
 * end-of-file, and loses whatever was unacknowledged.  Pick it to model
 * such applications, or to drive the RST paths of a peer.
 */
#include <stddef.h>

#include <plugtcp/policy.h>
#include <plugtcp/seq.h>

#include "../builtins.h"
#include "close_common.h"

typedef struct close_abort_params {
  ptcp_duration time_wait;  /* 0: 2 MSL */
  ptcp_duration fin_wait_2; /* 0: forever */
} close_abort_params;

static const close_abort_params abort_defaults = {
    .time_wait = 0,
    .fin_wait_2 = PTCP_CLOSE_FIN_WAIT_2_DEFAULT,
};

static const ptcp_param_desc abort_params[] = {
    {.name = "time_wait",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(close_abort_params, time_wait),
     .min = 0,
     .max = PTCP_CLOSE_PARAM_MAX,
     .help = "TIME-WAIT length; 0 = 2 MSL (RFC 9293 §3.4.2)"},
    {.name = "fin_wait_2",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(close_abort_params, fin_wait_2),
     .min = 0,
     .max = PTCP_CLOSE_PARAM_MAX,
     .help = "orphaned FIN-WAIT-2 limit; 0 = forever, as RFC 9293"},
};

static ptcp_duration abort_fin_wait_2_timeout(const void *params, ptcp_duration msl) {
  const close_abort_params *p = params;

  (void)msl;
  return p->fin_wait_2;
}

static ptcp_duration abort_time_wait(const void *params, ptcp_duration msl) {
  const close_abort_params *p = params;

  if (p->time_wait != 0)
    return p->time_wait;
  return ptcp_close_2msl(msl);
}

static ptcp_tw_verdict abort_time_wait_segment(const void *params, const ptcp_tw_ctx *c) {
  (void)params;
  if (c->seg->flags & PTCP_RST)
    return PTCP_TW_DROP; /* RFC 1337 F1 */
  if (c->seg->flags & PTCP_SYN)
    return ptcp_close_tw_syn_5961(c);
  return ptcp_close_tw_other(c);
}

static int abort_close_action(const void *params, const ptcp_close_ctx *c) {
  (void)params;
  (void)c;
  /* SO_LINGER 0: RST whatever the state of the buffers. */
  return PTCP_CLOSE_RST;
}

const ptcp_close_ops ptcp_close_abort = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_CLOSE,
            .name = "abort",
            .summary = "close always resets (SO_LINGER 0): RST, no FIN, no TIME-WAIT; "
                       "rfc9293 TIME-WAIT rules",
            .params_size = sizeof(close_abort_params),
            .params_default = &abort_defaults,
            .params = abort_params,
            .nparams = sizeof(abort_params) / sizeof(abort_params[0]),
        },
    .time_wait = abort_time_wait,
    .time_wait_segment = abort_time_wait_segment,
    .close_action = abort_close_action,
    .fin_wait_2_timeout = abort_fin_wait_2_timeout,
};

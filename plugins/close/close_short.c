/*
 * close "short": RFC 9293's TIME-WAIT rules (close_common.h, as
 * "rfc9293": RFC 1337, re-ACK the FIN, challenge ACK a SYN) but a TIME-WAIT
 * of a fixed, short time_wait, 1 s by default, whatever the MSL.  This
 * is what small stacks do: Zephyr's NET_TCP_TIME_WAIT_DELAY (250 ms by
 * default), smoltcp's fixed 10 s.
 *
 * Why it is usually safe.  TIME-WAIT has two jobs (RFC 9293 §3.6.1,
 * RFC 1337): (1) to re-ACK the peer's FIN if our last ACK is lost, and
 * (2) to keep old duplicates of this connection from being accepted by a
 * new incarnation of the same 4-tuple.  Job (2) needs an identical
 * 4-tuple and a stale segment whose sequence number falls inside the new
 * incarnation's window.  With random ephemeral ports a new incarnation
 * rarely reuses the tuple at all, and with unpredictable ISNs (isn
 * rfc6528 or random) the new window is a random slice of 2^32, so an old
 * segment lands in it with probability about window / 2^32; with
 * timestamps, PAWS (dupfilter paws) rejects old duplicates outright.
 *
 * What it risks.  (1) If our last ACK is lost and the peer retransmits its
 * FIN after time_wait, no TIME-WAIT is left to answer it: the peer gets
 * a RST and reports an error on what was a clean close.  time_wait should
 * exceed the peer's RTO plus an RTT for this.  (2) With predictable ISNs
 * (isn counter, fixed, rfc793) and fixed ports, a quick reconnect can
 * accept an old duplicate as new data: the corruption 2 MSL exists to
 * prevent.  Use it where connections churn fast (a simulation of many
 * short flows, an embedded device with little memory for TIME-WAIT
 * entries), not to hide a port-exhaustion problem.
 */
#include <stddef.h>

#include <plugtcp/policy.h>
#include <plugtcp/seq.h>

#include "../builtins.h"
#include "close_common.h"

/* Not an RFC value: a round second, between Zephyr's 250 ms and
 * smoltcp's 10 s, and above any RTO on a LAN. */
#define SHORT_TIME_WAIT_DEFAULT PTCP_SECONDS

typedef struct close_short_params {
  ptcp_duration time_wait;  /* the TIME-WAIT length; 0: none at all */
  ptcp_duration fin_wait_2; /* 0: forever */
} close_short_params;

static const close_short_params short_defaults = {
    .time_wait = SHORT_TIME_WAIT_DEFAULT,
    .fin_wait_2 = PTCP_CLOSE_FIN_WAIT_2_DEFAULT,
};

static const ptcp_param_desc short_params[] = {
    {.name = "time_wait",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(close_short_params, time_wait),
     .min = 0,
     .max = PTCP_CLOSE_PARAM_MAX,
     .help = "TIME-WAIT length, whatever the MSL; 0 = no TIME-WAIT"},
    {.name = "fin_wait_2",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(close_short_params, fin_wait_2),
     .min = 0,
     .max = PTCP_CLOSE_PARAM_MAX,
     .help = "orphaned FIN-WAIT-2 limit; 0 = forever, as RFC 9293"},
};

static ptcp_duration short_fin_wait_2_timeout(const void *params, ptcp_duration msl) {
  const close_short_params *p = params;

  (void)msl;
  return p->fin_wait_2;
}

static ptcp_duration short_time_wait(const void *params, ptcp_duration msl) {
  const close_short_params *p = params;

  (void)msl;
  return p->time_wait;
}

static ptcp_tw_verdict short_time_wait_segment(const void *params, const ptcp_tw_ctx *c) {
  (void)params;
  /* As rfc9293: RFC 1337 F1 ignores RSTs. */
  if (c->seg->flags & PTCP_RST)
    return PTCP_TW_DROP;
  if (c->seg->flags & PTCP_SYN)
    return ptcp_close_tw_syn_5961(c);
  return ptcp_close_tw_other(c);
}

const ptcp_close_ops ptcp_close_short = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_CLOSE,
            .name = "short",
            .summary = "TIME-WAIT of a fixed time_wait (1 s), Zephyr/smoltcp style; "
                       "rfc9293 rules otherwise",
            .params_size = sizeof(close_short_params),
            .params_default = &short_defaults,
            .params = short_params,
            .nparams = sizeof(short_params) / sizeof(short_params[0]),
        },
    .time_wait = short_time_wait,
    .time_wait_segment = short_time_wait_segment,
    .fin_wait_2_timeout = short_fin_wait_2_timeout,
};

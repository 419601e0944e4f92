/*
 * close "rfc9293": TIME-WAIT as RFC 9293 describes it, hardened by RFC 1337
 * and RFC 5961.
 *
 *   time_wait           2 MSL (RFC 9293 §3.4.2 and §3.10.7.4 TIME-WAIT),
 *                       or the time_wait param when set;
 *   time_wait_segment   what a segment does to a TIME-WAIT connection:
 *     RST               dropped: RFC 1337 fix F1, so a stray or forged
 *                       RST cannot "assassinate" TIME-WAIT early;
 *     SYN, no ACK, SEG.SEQ after RCV.NXT, and a listener on the port
 *                       reopens: RFC 9293 §3.10.7.4 and RFC 1122
 *                       4.2.2.13 allow accepting a new SYN that cannot
 *                       be confused with the old incarnation;
 *     any other SYN     ACK only: the challenge ACK of RFC 5961 §4;
 *     the peer's FIN again (FIN, ending exactly at RCV.NXT)
 *                       re-ACKed and the 2 MSL timer restarted (RFC 9293
 *                       §3.10.7.4 TIME-WAIT: "The only thing that can
 *                       arrive in this state is a retransmission of the
 *                       remote FIN.  Acknowledge it, and restart the 2 MSL
 *                       timeout.");
 *     a bare ACK (no data, FIN or SYN)
 *                       dropped: an ACK is never ACKed, which could start
 *                       an ACK loop with a confused peer;
 *     anything else     ACK only: an unacceptable segment gets an ACK
 *                       (RFC 9293 §3.10.7.4, first check);
 *   close_action        not set: the core's default applies (RST when
 *                       received data was never read, RFC 9293 §3.10.4,
 *                       RFC 1122 4.2.2.13);
 *   fin_wait_2_timeout  the fin_wait_2 param.
 *
 * Stateless: every hook sees only its params and the segment.
 */
#include <stddef.h>

#include <plugtcp/policy.h>
#include <plugtcp/seq.h>

#include "../builtins.h"

/* Linux (tcp_fin_timeout) and FreeBSD (tcp_finwait2_timeout) both bound
 * an orphaned FIN-WAIT-2 to 60 s, so a peer that vanished after ACKing
 * our FIN cannot pin the connection forever.  RFC 9293 itself waits
 * forever; fin_wait_2=0 asks for that. */
#define FIN_WAIT_2_DEFAULT (60 * PTCP_SECONDS)

/* Upper bounds for the params: generous, but finite. */
#define TIME_WAIT_PARAM_MAX (3600 * PTCP_SECONDS)
#define FIN_WAIT_2_PARAM_MAX (3600 * PTCP_SECONDS)

/* RFC 9293 §3.10.7.4: TIME-WAIT lasts twice the maximum segment lifetime. */
#define MSL_PER_TIME_WAIT 2u

typedef struct close_rfc9293_params {
  ptcp_duration time_wait;  /* 0: MSL_PER_TIME_WAIT * msl */
  ptcp_duration fin_wait_2; /* 0: forever */
} close_rfc9293_params;

static const close_rfc9293_params rfc9293_defaults = {
    .time_wait = 0,
    .fin_wait_2 = FIN_WAIT_2_DEFAULT,
};

static const ptcp_param_desc rfc9293_params[] = {
    {.name = "time_wait",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(close_rfc9293_params, time_wait),
     .min = 0,
     .max = TIME_WAIT_PARAM_MAX,
     .help = "TIME-WAIT length; 0 = 2 MSL (RFC 9293 §3.4.2)"},
    {.name = "fin_wait_2",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(close_rfc9293_params, fin_wait_2),
     .min = 0,
     .max = FIN_WAIT_2_PARAM_MAX,
     .help = "orphaned FIN-WAIT-2 limit; 0 = forever, as RFC 9293"},
};

static ptcp_duration rfc9293_time_wait(const void *params, ptcp_duration msl) {
  const close_rfc9293_params *p = params;

  if (p->time_wait != 0)
    return p->time_wait;
  /* 2 MSL, saturating: a huge configured MSL must not wrap to a short
   * TIME-WAIT. */
  if (msl > UINT64_MAX / MSL_PER_TIME_WAIT)
    return UINT64_MAX;
  return MSL_PER_TIME_WAIT * msl;
}

static ptcp_tw_verdict rfc9293_time_wait_segment(const void *params,
                                                 const ptcp_tw_ctx *c) {
  uint8_t flags = c->seg->flags;

  (void)params;
  /* RFC 1337 F1: ignore RST segments in TIME-WAIT. */
  if (flags & PTCP_RST)
    return PTCP_TW_DROP;
  if (flags & PTCP_SYN) {
    /* RFC 1122 4.2.2.13 / RFC 9293 §3.10.7.4: a new SYN whose sequence
     * number lies beyond everything of the old incarnation may start a
     * new connection, if someone listens. */
    if (!(flags & PTCP_ACK) && ptcp_seq_gt(c->seg->seq, c->rcv_nxt) && c->listener)
      return PTCP_TW_REOPEN;
    /* RFC 5961 §4: any other SYN gets a (challenge) ACK. */
    return PTCP_TW_ACK_ONLY;
  }
  /* RFC 9293 §3.10.7.4 TIME-WAIT: the peer's FIN again (it ends exactly
   * at RCV.NXT, which is one past that FIN): re-ACK, restart 2 MSL. */
  if ((flags & PTCP_FIN) && ptcp_seq_add(c->seg->seq, c->seg_len) == c->rcv_nxt)
    return PTCP_TW_ACK;
  /* Never ACK a bare ACK (no data, no FIN; SYN was handled above): that
   * is how ACK loops start. */
  if (c->seg_len == 0 && !(flags & PTCP_FIN))
    return PTCP_TW_DROP;
  /* Data, or a FIN that is not the one we saw: unacceptable, so ACK
   * (RFC 9293 §3.10.7.4 first check) without touching the timer. */
  return PTCP_TW_ACK_ONLY;
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

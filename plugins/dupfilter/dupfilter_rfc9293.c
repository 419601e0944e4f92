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
 * No PAWS: that is the "paws" variant (RFC 7323 §5).  Every sequence
 * comparison goes through plugtcp/seq.h, so windows that wrap at 2^32
 * work like any other.
 */
#include <stddef.h>

#include <plugtcp/policy.h>
#include <plugtcp/seq.h>

#include "../builtins.h"

/* RFC 5961 §7 leaves the rate to the implementation.  10 per second
 * matches the core's own per-connection cap (ptcp_stack_cfg's
 * challenge_ack_limit), so by default the two agree. */
#define CHALLENGE_LIMIT_DEFAULT 10u
#define CHALLENGE_LIMIT_MAX 1000u
#define CHALLENGE_WINDOW PTCP_SECONDS

typedef struct dupfilter_rfc9293_params {
  uint32_t limit; /* challenge ACKs per CHALLENGE_WINDOW */
} dupfilter_rfc9293_params;

typedef struct dupfilter_rfc9293_state {
  ptcp_time window_start; /* when the current one-second window began */
  uint32_t count;         /* challenge ACKs sent in it */
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
  st->window_start = now;
  st->count = 0;
  return 0;
}

/* RFC 9293 §3.10.7.4, first check: the four cases.
 *
 *   len  window  acceptable when
 *   0    0       SEG.SEQ = RCV.NXT
 *   0    >0      RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
 *   >0   0       never
 *   >0   >0      RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND, or
 *                RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
 *
 * plus, in the last case, a segment that starts before RCV.NXT and ends
 * beyond the window (larger than the window): as written, the RFC's test
 * drops it although it carries exactly the bytes expected next, which
 * breaks the oracle "never drop the first copy of a new byte"
 * (hardening.md §4.10).  Such a segment contains RCV.NXT, so it is
 * accepted when RCV.NXT lies inside it; the core trims it to the window
 * ("only the new parts are processed", same section).  Accepting it
 * widens nothing for a blind attacker: its SEG.SEQ still lies within
 * SEG.LEN before RCV.NXT, as for the RFC's second condition.  (The new
 * condition in fact implies the second one; that one stays so the code
 * reads like the RFC.)
 */
static int acceptable(const ptcp_seg_ctx *c) {
  uint32_t seq = c->seg->seq;

  if (c->seg_len == 0) {
    if (c->rcv_wnd == 0)
      return seq == c->rcv_nxt;
    return ptcp_seq_in(seq, c->rcv_nxt, c->rcv_wnd);
  }
  if (c->rcv_wnd == 0)
    return 0;
  return ptcp_seq_in(seq, c->rcv_nxt, c->rcv_wnd) ||
         ptcp_seq_in(ptcp_seq_add(seq, c->seg_len - 1), c->rcv_nxt, c->rcv_wnd) ||
         ptcp_seq_in(c->rcv_nxt, seq, c->seg_len);
}

static ptcp_df_verdict rfc9293_check_seq(void *state, const void *params,
                                         const ptcp_seg_ctx *c, ptcp_reason *why) {
  (void)state;
  (void)params;
  if (acceptable(c)) {
    *why = PTCP_R_NONE;
    return PTCP_DF_ACCEPT;
  }
  /* RFC 9293 §3.10.7.4 / RFC 5961 §3.2: an unacceptable RST is dropped
   * without a word; a RST is never answered. */
  if (c->seg->flags & PTCP_RST) {
    *why = PTCP_R_RST_OUT_OF_WINDOW;
    return PTCP_DF_DROP;
  }
  /* Otherwise send an ACK (RFC 9293 §3.10.7.4: "<SEQ=SND.NXT><ACK=
   * RCV.NXT><CTL=ACK>") and drop.  The reason says which kind: */
  if (ptcp_seq_le(ptcp_seq_add(c->seg->seq, c->seg_len), c->rcv_nxt))
    *why = PTCP_R_DUPLICATE; /* ends at or before RCV.NXT: all old */
  else if (c->rcv_wnd == 0 && c->seg_len > 0)
    *why = PTCP_R_ZERO_WINDOW;
  else
    *why = PTCP_R_OUT_OF_WINDOW;
  return PTCP_DF_ACK;
}

static ptcp_df_verdict rfc9293_check_rst(void *state, const void *params,
                                         const ptcp_seg_ctx *c, ptcp_reason *why) {
  (void)state;
  (void)params;
  /* RFC 5961 §3.2: reset only when SEG.SEQ is exactly RCV.NXT; any other
   * in-window RST gets a challenge ACK, which a real peer answers with a
   * RST at the right sequence number. */
  if (c->seg->seq == c->rcv_nxt) {
    *why = PTCP_R_RST_EXACT;
    return PTCP_DF_RESET;
  }
  *why = PTCP_R_RST_IN_WINDOW;
  return PTCP_DF_CHALLENGE;
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
  uint32_t ack = c->seg->ack;

  (void)state;
  (void)params;
  /* RFC 5961 §5.2: acceptable iff
   *   (SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT.
   * Written with distances so no sequence number is subtracted outside
   * plugtcp/seq.h. */
  if (ptcp_seq_gt(ack, c->snd_nxt)) {
    /* RFC 9293 §3.10.7.4 fifth check: ACKs something not yet sent. */
    *why = PTCP_R_ACK_UNSENT;
    return PTCP_DF_ACK;
  }
  if (ptcp_seq_lt(ack, c->snd_una) && ptcp_seq_dist(ack, c->snd_una) > c->max_snd_wnd) {
    *why = PTCP_R_ACK_TOO_OLD;
    return PTCP_DF_ACK;
  }
  /* Duplicates of older ACKs are the engine's to ignore (§3.10.7.4). */
  *why = PTCP_R_NONE;
  return PTCP_DF_ACCEPT;
}

static int rfc9293_challenge_allowed(void *state, const void *params, ptcp_time now) {
  dupfilter_rfc9293_state *st = state;
  const dupfilter_rfc9293_params *p = params;

  /* RFC 5961 §7: a new window starts once the current one is a second
   * old. */
  if (now >= ptcp_time_add(st->window_start, CHALLENGE_WINDOW)) {
    st->window_start = now;
    st->count = 0;
  }
  if (st->count >= p->limit)
    return 0;
  st->count++;
  return 1;
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

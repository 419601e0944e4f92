/*
 * plugtcp: the checks the built-in dupfilter policies share (header-only;
 * plugins see nothing of the core but the public policy header).  Each
 * policy composes them with its own rules: "rfc9293" uses all of them,
 * "paws" puts RFC 7323 §5 in front of them, and "rfc793" keeps the
 * acceptability test but answers RSTs and SYNs the RFC 793 way.
 */
#ifndef PTCP_DUPFILTER_COMMON_H
#define PTCP_DUPFILTER_COMMON_H

#include <plugtcp/policy.h>
#include <plugtcp/seq.h>

/* ptcp_df_acceptable is RFC 9293 §3.10.7.4's first check; see
 * ptcp_seq_acceptable in <plugtcp/seq.h> for the four cases and the one
 * extension (a segment larger than the window that contains RCV.NXT). */
static inline int ptcp_df_acceptable(const ptcp_seg_ctx *c) {
  return ptcp_seq_acceptable(c->seg->seq, c->seg_len, c->rcv_nxt, c->rcv_wnd);
}

/*
 * ptcp_df_check_window is the whole first check: ACCEPT, or the verdict
 * and reason for an unacceptable segment.  An unacceptable RST is dropped
 * without a word (a RST is never answered; RFC 5961 §3.2); anything else
 * gets an ACK (RFC 9293 §3.10.7.4: "<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>")
 * with a reason that says which kind it was.
 */
static inline ptcp_df_verdict ptcp_df_check_window(const ptcp_seg_ctx *c,
                                                   ptcp_reason *why) {
  if (c->seg->flags & PTCP_RST) {
    /* RFC 9293 §3.10.7.4: "all reset (RST) segments are validated by
     * checking their SEQ fields.  A reset is valid if its sequence number
     * is in the window."  SEG.SEQ alone, whatever the RST carries: a RST
     * that starts before RCV.NXT is old even when its data reaches into
     * the window (RFC 5961 §3.2 judges it the same way). */
    if (ptcp_seq_acceptable(c->seg->seq, 0, c->rcv_nxt, c->rcv_wnd)) {
      *why = PTCP_R_NONE;
      return PTCP_DF_ACCEPT;
    }
    *why = PTCP_R_RST_OUT_OF_WINDOW;
    return PTCP_DF_DROP;
  }
  if (ptcp_df_acceptable(c)) {
    *why = PTCP_R_NONE;
    return PTCP_DF_ACCEPT;
  }
  if (ptcp_seq_le(ptcp_seq_add(c->seg->seq, c->seg_len), c->rcv_nxt))
    *why = PTCP_R_DUPLICATE; /* ends at or before RCV.NXT: all old */
  else if (c->rcv_wnd == 0 && c->seg_len > 0)
    *why = PTCP_R_ZERO_WINDOW;
  else
    *why = PTCP_R_OUT_OF_WINDOW;
  return PTCP_DF_ACK;
}

/*
 * ptcp_df_rst_5961 is RFC 5961 §3.2: reset only when SEG.SEQ is exactly
 * RCV.NXT; any other in-window RST gets a challenge ACK, which a real
 * peer answers with a RST at the right sequence number.
 */
static inline ptcp_df_verdict ptcp_df_rst_5961(const ptcp_seg_ctx *c, ptcp_reason *why) {
  if (c->seg->seq == c->rcv_nxt) {
    *why = PTCP_R_RST_EXACT;
    return PTCP_DF_RESET;
  }
  *why = PTCP_R_RST_IN_WINDOW;
  return PTCP_DF_CHALLENGE;
}

/*
 * ptcp_df_ack_5961 is RFC 5961 §5.2: SEG.ACK is acceptable iff
 *   (SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT,
 * written with distances so no sequence number is subtracted outside
 * plugtcp/seq.h.  Above SND.NXT it ACKs something not yet sent (RFC 9293
 * §3.10.7.4 fifth check).
 */
static inline ptcp_df_verdict ptcp_df_ack_5961(const ptcp_seg_ctx *c, ptcp_reason *why) {
  uint32_t ack = c->seg->ack;

  if (ptcp_seq_gt(ack, c->snd_nxt)) {
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

/** Per-connection challenge ACK accounting (RFC 5961 §7). */
typedef struct ptcp_df_limiter {
  ptcp_time window_start; /* when the current one-second window began */
  uint32_t count;         /* challenge ACKs sent in it */
} ptcp_df_limiter;

/* RFC 5961 §7 leaves the rate to the implementation; the window is a
 * second. */
#define PTCP_DF_CHALLENGE_WINDOW PTCP_SECONDS

static inline void ptcp_df_limiter_init(ptcp_df_limiter *l, ptcp_time now) {
  l->window_start = now;
  l->count = 0;
}

/*
 * ptcp_df_limiter_allow grants at most |limit| challenge ACKs per
 * window, counted per connection: a global counter would be a side
 * channel that leaks sequence numbers to an off-path attacker
 * (CVE-2016-5696).  A new window starts at the first request once the
 * current one is a second old.
 */
static inline int ptcp_df_limiter_allow(ptcp_df_limiter *l, uint32_t limit,
                                        ptcp_time now) {
  if (now >= ptcp_time_add(l->window_start, PTCP_DF_CHALLENGE_WINDOW)) {
    l->window_start = now;
    l->count = 0;
  }
  if (l->count >= limit)
    return 0;
  l->count++;
  return 1;
}

#endif /* PTCP_DUPFILTER_COMMON_H */

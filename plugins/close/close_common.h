/*
 * plugtcp: the TIME-WAIT rules the built-in close policies share
 * (header-only; plugins see nothing of the core but the public policy
 * header).  "rfc9293" uses them all; the variants replace one rule each:
 * "rfc793" the RST rule, "rfc6191" the SYN rule, "short" the length and
 * "abort" the close action.
 */
#ifndef PTCP_CLOSE_COMMON_H
#define PTCP_CLOSE_COMMON_H

#include <plugtcp/policy.h>
#include <plugtcp/seq.h>

/* RFC 9293 §3.10.7.4: TIME-WAIT lasts twice the maximum segment lifetime. */
#define PTCP_CLOSE_MSL_PER_TW 2u

/* Linux (tcp_fin_timeout) and FreeBSD (tcp_finwait2_timeout) both bound
 * an orphaned FIN-WAIT-2 to 60 s, so a peer that vanished after ACKing
 * our FIN cannot pin the connection forever.  RFC 9293 itself waits
 * forever; fin_wait_2=0 asks for that. */
#define PTCP_CLOSE_FIN_WAIT_2_DEFAULT (60 * PTCP_SECONDS)

/* Upper bounds for the duration params: generous, but finite. */
#define PTCP_CLOSE_PARAM_MAX (3600 * PTCP_SECONDS)

/*
 * ptcp_close_2msl returns 2 MSL, saturating: a huge configured MSL must
 * not wrap to a short TIME-WAIT.
 */
static inline ptcp_duration ptcp_close_2msl(ptcp_duration msl) {
  if (msl > UINT64_MAX / PTCP_CLOSE_MSL_PER_TW)
    return UINT64_MAX;
  return PTCP_CLOSE_MSL_PER_TW * msl;
}

/*
 * ptcp_close_tw_syn_5961 is RFC 9293 §3.10.7.4's fourth check for
 * TIME-WAIT without timestamps: a SYN, whatever its sequence number, gets
 * a challenge ACK (RFC 5961 §4).  RFC 9293 lets a new connection in only
 * when timestamps tell the incarnations apart (RFC 6191; close policy
 * "rfc6191").
 */
static inline ptcp_tw_verdict ptcp_close_tw_syn_5961(const ptcp_tw_ctx *c) {
  (void)c;
  return PTCP_TW_ACK_ONLY;
}

/*
 * ptcp_close_tw_syn_1122 is the older SYN rule of RFC 1122 4.2.2.13: a
 * new SYN (no ACK) whose sequence number lies beyond everything of the
 * old incarnation may start a new connection, if someone listens.  Any
 * other SYN gets a (challenge) ACK, RFC 5961 §4.
 */
static inline ptcp_tw_verdict ptcp_close_tw_syn_1122(const ptcp_tw_ctx *c) {
  if (!(c->seg->flags & PTCP_ACK) && ptcp_seq_gt(c->seg->seq, c->rcv_nxt) && c->listener)
    return PTCP_TW_REOPEN;
  return PTCP_TW_ACK_ONLY;
}

/*
 * ptcp_close_tw_other covers a segment with neither RST nor SYN, in RFC
 * 9293 §3.10.7.4's order for TIME-WAIT:
 *   the peer's FIN again (FIN, ending exactly at RCV.NXT, which is one
 *   past that FIN): re-ACK and restart 2 MSL ("The only thing that can
 *   arrive in this state is a retransmission of the remote FIN.
 *   Acknowledge it, and restart the 2 MSL timeout.");
 *   first check: an unacceptable segment (ptcp_seq_acceptable against the
 *   window last offered) gets an ACK;
 *   fifth check: an acceptable segment without ACK is dropped;
 *   eighth check: an acceptable FIN restarts 2 MSL and is ACKed;
 *   anything else has nothing left to do here (text after the FIN is
 *   ignored, seventh check) and is dropped: answering acceptable ACKs is
 *   how ACK loops start.
 */
static inline ptcp_tw_verdict ptcp_close_tw_other(const ptcp_tw_ctx *c) {
  uint8_t flags = c->seg->flags;

  if ((flags & PTCP_FIN) && ptcp_seq_add(c->seg->seq, c->seg_len) == c->rcv_nxt)
    return PTCP_TW_ACK;
  if (!ptcp_seq_acceptable(c->seg->seq, c->seg_len, c->rcv_nxt, c->rcv_wnd))
    return PTCP_TW_ACK_ONLY;
  if (!(flags & PTCP_ACK))
    return PTCP_TW_DROP;
  return (flags & PTCP_FIN) ? PTCP_TW_ACK : PTCP_TW_DROP;
}

#endif /* PTCP_CLOSE_COMMON_H */

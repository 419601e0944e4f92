/*
 * dupfilter "rfc793": segment acceptability as RFC 793 wrote it (pp.
 * 69-72), without the RFC 5961 mitigations, for comparison with
 * "rfc9293":
 *
 *   check_seq  the same four-case test (RFC 793 p. 69; see
 *              dupfilter_common.h for the one addition every built-in
 *              makes);
 *   check_rst  any RST in the window resets the connection (RFC 793
 *              p. 70: "If the RST bit is set then, any outstanding
 *              RECEIVEs and SEND should receive 'reset' responses");
 *   check_syn  a SYN in the window is an error and resets the connection
 *              (p. 71; out-of-window SYNs were ACKed by check_seq);
 *   check_ack  only an ACK of something not yet sent is rejected, with
 *              an ACK (p. 72); old duplicate ACKs are the engine's to
 *              ignore; there is no MAX.SND.WND lower bound;
 *   no challenge ACKs, so no challenge limit.
 *
 * RFC 5961 §1 explains why this is weak: a blind attacker needs to guess
 * only a sequence number inside the window, not RCV.NXT itself, to reset
 * a connection with a RST or a SYN, and can inject data with an ACK value
 * from a 2^31 range.  Pick it to measure what RFC 5961 buys, or to
 * reproduce a peer that predates it (ns-3, OMNeT++ INET, lwIP without its
 * §3.2 RST check).
 */
#include <plugtcp/policy.h>
#include <plugtcp/seq.h>

#include "../builtins.h"
#include "dupfilter_common.h"

static ptcp_df_verdict rfc793_check_seq(void *state, const void *params,
                                        const ptcp_seg_ctx *c, ptcp_reason *why) {
  (void)state;
  (void)params;
  return ptcp_df_check_window(c, why);
}

static ptcp_df_verdict rfc793_check_rst(void *state, const void *params,
                                        const ptcp_seg_ctx *c, ptcp_reason *why) {
  (void)state;
  (void)params;
  /* RFC 793 p. 70: in the window is enough.  The reason still says
   * whether it was exact, so traces compare with rfc9293's. */
  *why = c->seg->seq == c->rcv_nxt ? PTCP_R_RST_EXACT : PTCP_R_RST_IN_WINDOW;
  return PTCP_DF_RESET;
}

static ptcp_df_verdict rfc793_check_syn(void *state, const void *params,
                                        const ptcp_seg_ctx *c, ptcp_reason *why) {
  (void)state;
  (void)params;
  (void)c;
  /* RFC 793 p. 71: "If the SYN is in the window it is an error, send a
   * reset, ... enter the CLOSED state". */
  *why = PTCP_R_SYN_SYNCHRONIZED;
  return PTCP_DF_RESET;
}

static ptcp_df_verdict rfc793_check_ack(void *state, const void *params,
                                        const ptcp_seg_ctx *c, ptcp_reason *why) {
  (void)state;
  (void)params;
  /* RFC 793 p. 72: "If the ACK acks something not yet sent (SEG.ACK >
   * SND.NXT) then send an ACK, drop the segment, and return."  Anything
   * at or below SND.NXT, however old, is acceptable. */
  if (ptcp_seq_gt(c->seg->ack, c->snd_nxt)) {
    *why = PTCP_R_ACK_UNSENT;
    return PTCP_DF_ACK;
  }
  *why = PTCP_R_NONE;
  return PTCP_DF_ACCEPT;
}

const ptcp_dupfilter_ops ptcp_dupfilter_rfc793 = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_DUPFILTER,
            .name = "rfc793",
            .summary = "RFC 793 pp. 69-72 without RFC 5961: any in-window RST or SYN "
                       "resets, no challenge ACKs (for comparison)",
        },
    .check_seq = rfc793_check_seq,
    .check_rst = rfc793_check_rst,
    .check_syn = rfc793_check_syn,
    .check_ack = rfc793_check_ack,
};

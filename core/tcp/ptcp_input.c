/*
 * plugtcp engine: SEGMENT ARRIVES (RFC 9293 §3.10.7), in the RFC's order:
 *
 *   CLOSED        §3.10.7.1  ptcp_input_closed
 *   LISTEN        §3.10.7.2  ptcp_input_listen
 *   SYN-SENT      §3.10.7.3  input_syn_sent
 *   other states  §3.10.7.4  input_sync: sequence, RST, (security), SYN,
 *                            ACK, URG, text, FIN
 *
 * Every segment ends with exactly one verdict and reason, traced and
 * counted.  A segment that is not accepted changes no sequence variable,
 * buffer or timer; at most it draws an ACK or a RST.
 */
#include "ptcp_conn.h"

uint32_t ptcp_seg_len(const ptcp_seg *seg) {
  return (uint32_t)seg->payload_len + ((seg->flags & PTCP_SYN) ? 1u : 0u) +
         ((seg->flags & PTCP_FIN) ? 1u : 0u);
}

static void verdict(ptcp_conn *c, const ptcp_seg *seg, ptcp_verdict v, ptcp_reason r,
                    ptcp_time now) {
  ptcp_conn_count_reason(c, r);
  ptcp_stack_trace_seg_in(c->stack, c, &c->pcb, seg, v, r, now);
}

/* ------------------------------------------------------------------ */
/* CLOSED and LISTEN                                                   */

/* RFC 9293 §3.10.7.1: nothing matches.  An incoming RST is discarded;
 * anything else is answered so the sender learns no one is here. */
void ptcp_input_closed(ptcp_stack *s, const ptcp_pcb *key, const ptcp_seg *seg,
                       ptcp_time now) {
  if (seg->flags & PTCP_RST) {
    ptcp_stack_trace_seg_in(s, NULL, key, seg, PTCP_VERDICT_DROP, PTCP_R_NO_CONNECTION,
                            now);
    return;
  }
  ptcp_stack_trace_seg_in(s, NULL, key, seg, PTCP_VERDICT_RST, PTCP_R_NO_CONNECTION, now);
  if (seg->flags & PTCP_ACK)
    ptcp_stack_send_rst(s, &key->laddr, key->lport, &key->raddr, key->rport, seg->ack, 0,
                        PTCP_RST, now);
  else
    ptcp_stack_send_rst(s, &key->laddr, key->lport, &key->raddr, key->rport, 0,
                        seg->seq + ptcp_seg_len(seg), PTCP_RST | PTCP_ACK, now);
}

/* Options of a SYN or SYN-ACK decide what the connection uses
 * (RFC 9293 §3.7.1, RFC 7323 §1.3 and §2.2, RFC 2018 §2). */
static void negotiate(ptcp_conn *c, const ptcp_seg *seg, ptcp_time now) {
  const ptcp_conn_cfg *cfg = &c->prof->cfg;
  const ptcp_opts *o = &seg->opts;
  int v6 = c->pcb.raddr.family == PTCP_AF_INET6;
  uint32_t peer_mss = v6 ? PTCP_DEFAULT_MSS_V6 : PTCP_DEFAULT_MSS_V4;
  uint32_t ours = cfg->mss - (v6 ? 20u : 0u);
  uint32_t hdr_opts = 0;

  if (o->present & PTCP_OPT_MSS)
    peer_mss = o->mss;
  /* Never below the floor, whatever the peer says (B10, B11, B30). */
  if (peer_mss < PTCP_MSS_FLOOR)
    peer_mss = PTCP_MSS_FLOOR;
  c->rcv_mss = (uint16_t)ours;

  if (cfg->window_scaling && (o->present & PTCP_OPT_WSCALE)) {
    c->flags |= CF_WS;
    /* RFC 7323 §2.3: a shift above 14 is treated as 14. */
    c->snd_wscale = o->wscale > PTCP_WSCALE_MAX ? PTCP_WSCALE_MAX : o->wscale;
    c->rcv_wscale = c->prof->rcv_wscale;
  } else {
    c->flags &= ~(uint32_t)CF_WS;
    c->snd_wscale = c->rcv_wscale = 0;
  }
  if (cfg->sack && (o->present & PTCP_OPT_SACK_PERM))
    c->flags |= CF_SACK;
  if (cfg->timestamps && (o->present & PTCP_OPT_TS)) {
    c->flags |= CF_TS | CF_TS_RECENT;
    c->ts_recent = o->ts_val;
    c->ts_recent_at = now;
    hdr_opts = PTCP_TS_OPTS_LEN;
  }
  /* RFC 9293 §3.7.1: the payload per segment is the smaller MSS less
   * the options every segment carries. */
  {
    uint32_t m = peer_mss < ours ? peer_mss : ours;
    m = m > hdr_opts + PTCP_MSS_FLOOR ? m - hdr_opts : PTCP_MSS_FLOOR;
    c->snd_mss = (uint16_t)m;
  }
}

/* RFC 9293 §3.10.7.2. */
void ptcp_input_listen(ptcp_conn *l, const ptcp_pcb *key, const ptcp_seg *seg,
                       ptcp_time now, const uint32_t *isn_floor) {
  ptcp_stack *s = l->stack;
  ptcp_conn *c;

  if (seg->flags & PTCP_RST) {
    ptcp_stack_trace_seg_in(s, l, key, seg, PTCP_VERDICT_DROP, PTCP_R_LISTEN_BAD, now);
    return;
  }
  if (seg->flags & PTCP_ACK) {
    ptcp_stack_trace_seg_in(s, l, key, seg, PTCP_VERDICT_RST, PTCP_R_LISTEN_ACK, now);
    ptcp_stack_send_rst(s, &key->laddr, key->lport, &key->raddr, key->rport, seg->ack, 0,
                        PTCP_RST, now);
    return;
  }
  if (!(seg->flags & PTCP_SYN)) {
    ptcp_stack_trace_seg_in(s, l, key, seg, PTCP_VERDICT_DROP, PTCP_R_LISTEN_BAD, now);
    return;
  }
  /* Bounded SYN and accept queues: a flood costs at most |backlog|
   * half-open connections (RFC 4987 §3.1); the client retries. */
  if (l->syn_count >= l->backlog || l->acc_count >= l->backlog ||
      ptcp_conn_alloc(s, l->prof, &c) != 0) {
    ptcp_stack_trace_seg_in(s, l, key, seg, PTCP_VERDICT_DROP, PTCP_R_BACKLOG_FULL, now);
    return;
  }
  c->pcb.laddr = key->laddr;
  c->pcb.raddr = key->raddr;
  c->pcb.lport = key->lport;
  c->pcb.rport = key->rport;
  c->flags |= CF_PASSIVE;
  c->user = l->user;
  if (ptcp_conn_start_policies(c, now) != 0 ||
      (c->prof->cfg.timestamps &&
       ptcp_stack_rand(s, &c->ts_offset, sizeof(c->ts_offset)) != 0)) {
    ptcp_conn_destroy(c);
    ptcp_stack_trace_seg_in(s, l, key, seg, PTCP_VERDICT_DROP, PTCP_R_NOMEM, now);
    return;
  }
  c->parent = l;
  c->qnext = l->syn_head;
  l->syn_head = c;
  l->syn_count++;

  c->irs = seg->seq;
  c->rcv_nxt = seg->seq + 1;
  c->rcv_adv = c->rcv_nxt;
  negotiate(c, seg, now);
  /* RFC 7323 §2.2: the window of a SYN is never scaled. */
  c->snd_wnd = seg->window;
  c->max_snd_wnd = c->snd_wnd;
  c->snd_wl1 = seg->seq;
  c->snd_wl2 = 0;
  c->iss = ptcp_conn_isn(c, now);
  /* Reopening from TIME-WAIT: start above the old connection's sequence
   * space so no old segment is mistaken for new (RFC 6191 §2). */
  if (isn_floor != NULL && ptcp_seq_lt(c->iss, *isn_floor))
    c->iss = *isn_floor;
  c->snd_una = c->snd_nxt = c->snd_max = c->iss;
  c->recover = c->iss;

  ptcp_stack_hash_insert(s, &c->pcb);
  c->flags |= CF_HASHED;
  s->stats.conns_opened++;
  c->state = PTCP_LISTEN; /* born from the listener's state */
  ptcp_conn_count_reason(c, PTCP_R_NONE);
  ptcp_stack_trace_seg_in(s, c, key, seg, PTCP_VERDICT_ACCEPT, PTCP_R_NONE, now);
  ptcp_conn_set_state(c, PTCP_SYN_RECEIVED, PTCP_R_NONE, now);
  /* Data or FIN on the SYN is not acknowledged; the peer sends it again
   * once the connection is up (as BSD's syncache does). */
  ptcp_output_syn(c, now);
  ptcp_timer_sync(c);
}

/* ------------------------------------------------------------------ */
/* Synchronization                                                     */

/* Our SYN (or SYN-ACK) was acknowledged: ESTABLISHED, RFC 9293 §3.10.7.3
 * fourth and §3.10.7.4 fifth (SYN-RECEIVED). */
static void established(ptcp_conn *c, const ptcp_seg *seg, ptcp_time now) {
  c->flags |= CF_SYN_ACKED | CF_HEARD;
  c->snd_una = seg->ack;
  if (ptcp_seq_lt(c->snd_nxt, c->snd_una))
    c->snd_nxt = c->snd_una;
  c->retries = 0;
  /* The SYN's RTT (RFC 6298 §2: a sample may come from the SYN). */
  (void)ptcp_ack_rtt_sample(c, seg, now);
  ptcp_timer_stop_rtx(c);
  ptcp_conn_start_cc(c, now);
  ptcp_conn_set_state(c, PTCP_ESTABLISHED, PTCP_R_NONE, now);
}

/* RFC 9293 §3.10.7.3. */
static void input_syn_sent(ptcp_conn *c, const ptcp_seg *seg, ptcp_time now) {
  int ack_ok = 0;

  /* first, check the ACK bit */
  if (seg->flags & PTCP_ACK) {
    if (ptcp_seq_le(seg->ack, c->iss) || ptcp_seq_gt(seg->ack, c->snd_max)) {
      /* Not for our SYN: the old duplicate case of figure 8.  The RST
       * tells the other side its half-open connection is bogus. */
      if (seg->flags & PTCP_RST) {
        verdict(c, seg, PTCP_VERDICT_DROP, PTCP_R_ACK_BAD_SYN_SENT, now);
      } else {
        verdict(c, seg, PTCP_VERDICT_RST, PTCP_R_ACK_BAD_SYN_SENT, now);
        ptcp_stack_send_rst(c->stack, &c->pcb.laddr, c->pcb.lport, &c->pcb.raddr,
                            c->pcb.rport, seg->ack, 0, PTCP_RST, now);
      }
      return;
    }
    ack_ok = ptcp_seq_lt(c->snd_una, seg->ack) && ptcp_seq_le(seg->ack, c->snd_max);
  }
  /* second, check the RST bit: only a RST that acknowledges our SYN
   * counts (RFC 5961 §3.2 leaves SYN-SENT to this rule). */
  if (seg->flags & PTCP_RST) {
    if (ack_ok) {
      verdict(c, seg, PTCP_VERDICT_RESET, PTCP_R_RST_EXACT, now);
      ptcp_conn_fail(c, PTCP_ERR_CONN_REFUSED, now);
    } else {
      verdict(c, seg, PTCP_VERDICT_DROP, PTCP_R_RST_OUT_OF_WINDOW, now);
    }
    return;
  }
  /* fourth, check the SYN bit */
  if (!(seg->flags & PTCP_SYN)) {
    verdict(c, seg, PTCP_VERDICT_DROP, PTCP_R_NO_FLAGS, now);
    return;
  }
  c->irs = seg->seq;
  c->rcv_nxt = seg->seq + 1;
  c->rcv_adv = c->rcv_nxt;
  negotiate(c, seg, now);
  c->snd_wnd = seg->window; /* RFC 7323 §2.2: never scaled on a SYN */
  c->max_snd_wnd = c->snd_wnd;
  c->snd_wl1 = seg->seq;
  c->snd_wl2 = seg->ack;
  verdict(c, seg, PTCP_VERDICT_ACCEPT, PTCP_R_NONE, now);
  if (ack_ok) {
    established(c, seg, now);
    ptcp_conn_post(c, EV_CONNECTED);
    c->flags |= CF_ACK_NOW;
    /* Data on a SYN-ACK is rare; like data on a SYN it is not taken and
     * the ACK above tells the peer to send it again. */
  } else {
    /* Simultaneous open (RFC 9293 figure 7): answer with SYN,ACK. */
    ptcp_conn_set_state(c, PTCP_SYN_RECEIVED, PTCP_R_NONE, now);
    ptcp_output_syn(c, now);
  }
}

/* ------------------------------------------------------------------ */
/* Text and FIN                                                        */

static void deliver_fin(ptcp_conn *c, ptcp_time now) {
  c->rcv_nxt++;
  c->flags |= CF_PEER_FIN | CF_ACK_NOW;
  c->flags &= ~(uint32_t)CF_PEER_FIN_SEEN;
  ptcp_conn_post(c, EV_PEER_FIN | EV_READABLE);
  /* RFC 9293 §3.10.7.4 eighth. */
  switch (c->state) {
  case PTCP_SYN_RECEIVED:
  case PTCP_ESTABLISHED:
    ptcp_conn_set_state(c, PTCP_CLOSE_WAIT, PTCP_R_NONE, now);
    break;
  case PTCP_FIN_WAIT_1:
    /* FIN-WAIT-1 with our FIN acknowledged moved to FIN-WAIT-2 in the
     * fifth step, so here our FIN is still out: simultaneous close. */
    ptcp_conn_set_state(c, PTCP_CLOSING, PTCP_R_NONE, now);
    break;
  case PTCP_FIN_WAIT_2:
    ptcp_timer_enter_time_wait(c, now);
    break;
  default:
    break;
  }
}

/* The payload of a full-sized segment from the peer (RFC 5681 §2: SMSS
 * bytes): the MSS we announced, less the options the peer must carry in
 * every segment (RFC 6691 §2), so 1448 and not 1460 with timestamps. */
static uint32_t full_segment(const ptcp_conn *c) {
  uint32_t opts = (c->flags & CF_TS) ? PTCP_TS_OPTS_LEN : 0u;
  return c->rcv_mss > opts + PTCP_MSS_FLOOR ? c->rcv_mss - opts : c->rcv_mss;
}

/* Places the in-window part of the payload: at RCV.NXT, or ahead of it
 * in the reassembly space.  Returns the reason to report. */
static ptcp_reason receive_text(ptcp_conn *c, const ptcp_seg *seg, uint32_t seq,
                                ptcp_time now) {
  const uint8_t *data = seg->payload;
  uint32_t len = (uint32_t)seg->payload_len;
  uint32_t win_end = c->rcv_adv;
  ptcp_reason why = PTCP_R_IN_ORDER;

  /* Trim what was received before (RFC 9293 §3.10.7.4: only the new
   * part of a straddling segment is processed).  Lengths are compared
   * before they are subtracted. */
  if (ptcp_seq_lt(seq, c->rcv_nxt)) {
    uint32_t old = c->rcv_nxt - seq;
    if (old >= len)
      return PTCP_R_DUPLICATE;
    data += old;
    len -= old;
    seq = c->rcv_nxt;
    why = PTCP_R_PARTIAL_DUPLICATE;
  }
  /* Trim what lies beyond the window we offered. */
  if (ptcp_seq_ge(seq, win_end))
    return PTCP_R_OUT_OF_WINDOW;
  if (win_end - seq < len)
    len = win_end - seq;

  if (c->rbuf.buf == NULL) {
    c->rbuf.buf = ptcp_stack_buf_get(c->stack, c->rbuf.cap);
    if (c->rbuf.buf == NULL)
      return PTCP_R_NOMEM;
    c->rbuf.head = 0;
  }
  if (seq == c->rcv_nxt) {
    uint32_t next;
    /* RFC 5681 §4.2: a segment that fills all or part of a gap is ACKed
     * at once, so the sender learns of the repair without waiting. */
    if (c->reasm.n > 0)
      c->flags |= CF_ACK_NOW;
    ptcp_ring_write_at(&c->rbuf, c->rbuf.len, data, len);
    c->rbuf.len += len;
    c->rcv_nxt += len;
    c->bytes_in += len;
    /* Bytes already waiting beyond a gap that this segment closed. */
    next = ptcp_reasm_take(&c->reasm, c->rcv_nxt);
    if (next != c->rcv_nxt) {
      uint32_t more = next - c->rcv_nxt;
      c->rbuf.len += more;
      c->bytes_in += more;
      c->rcv_nxt = next;
    }
    ptcp_conn_post(c, EV_READABLE);
    /* RFC 9293 §3.8.6.3 / RFC 5681 §4.2: ACK at least every second full
     * segment, otherwise within the delayed-ACK time. */
    if (c->prof->cfg.delack == 0 || c->rcv_nxt - c->last_ack_sent >= 2u * full_segment(c))
      c->flags |= CF_ACK_NOW;
    else
      ptcp_timer_arm_delack(c, now);
    return why;
  }
  /* Out of order: keep it where it belongs, bounded by the window and
   * by PTCP_REASM_MAX ranges, and send a duplicate ACK at once. */
  c->flags |= CF_ACK_NOW;
  if (ptcp_reasm_add(&c->reasm, c->rcv_nxt, seq, seq + len) != 0)
    return PTCP_R_OOO_FULL;
  ptcp_ring_write_at(&c->rbuf, c->rbuf.len + (seq - c->rcv_nxt), data, len);
  return PTCP_R_OUT_OF_ORDER;
}

/* ------------------------------------------------------------------ */
/* Synchronized states                                                  */

static void fill_ctx(const ptcp_conn *c, const ptcp_seg *seg, ptcp_seg_ctx *ctx,
                     ptcp_time now) {
  ctx->seg = seg;
  ctx->seg_len = ptcp_seg_len(seg);
  ctx->state = (ptcp_state)c->state;
  ctx->rcv_nxt = c->rcv_nxt;
  ctx->rcv_wnd = c->rcv_adv - c->rcv_nxt;
  ctx->snd_una = c->snd_una;
  ctx->snd_nxt = c->snd_max;
  ctx->max_snd_wnd = c->max_snd_wnd;
  ctx->ts_enabled = (c->flags & CF_TS) != 0;
  ctx->ts_recent = c->ts_recent;
  ctx->ts_recent_at = c->ts_recent_at;
  ctx->now = now;
}

/* RFC 5961 §7: challenge ACKs are limited, by the policy and by the
 * core's own per-connection cap. */
static int challenge(ptcp_conn *c, const ptcp_seg *seg, ptcp_reason why, ptcp_time now) {
  const ptcp_dupfilter_ops *df = PTCP_DF_OPS(c);

  if (df->challenge_allowed != NULL &&
      !df->challenge_allowed(ptcp_pstate(c, PTCP_SLOT_DUPFILTER),
                             ptcp_params(c, PTCP_SLOT_DUPFILTER), now)) {
    verdict(c, seg, PTCP_VERDICT_DROP, PTCP_R_CHALLENGE_LIMITED, now);
    return 0;
  }
  if (!ptcp_timer_challenge_ok(c, now)) {
    verdict(c, seg, PTCP_VERDICT_DROP, PTCP_R_CHALLENGE_LIMITED, now);
    return 0;
  }
  verdict(c, seg, PTCP_VERDICT_CHALLENGE, why, now);
  ptcp_output_ack(c, now);
  return 1;
}

/* Answers an unacceptable segment with an ACK (RFC 9293 §3.10.7.4, first
 * and fifth checks), within a limit for segments without data.  Those
 * make ACK loops: two ends that each find the other's ACKs unacceptable
 * (each sent data into a window the other lost, and the windows are
 * full) answer every ACK with one the other cannot accept either, at the
 * speed of the path for as long as the connection lasts.  The RFC says
 * such an ACK "should" be sent; like FreeBSD (net.inet.tcp.ack_war_cnt,
 * 5 a second) and Linux (tcp_invalid_ratelimit), plugtcp sends at most
 * PTCP_ACK_LOOP_LIMIT a second per connection.  A segment with data or
 * a FIN always gets its ACK: it may be a retransmission whose ACK was
 * lost. */
static void ack_unacceptable(ptcp_conn *c, const ptcp_seg *seg, ptcp_reason why,
                             ptcp_time now) {
  if (seg->payload_len == 0 && !(seg->flags & (PTCP_SYN | PTCP_FIN)) &&
      !ptcp_timer_loop_ack_ok(c, now)) {
    verdict(c, seg, PTCP_VERDICT_DROP, PTCP_R_ACK_LIMITED, now);
    return;
  }
  verdict(c, seg, PTCP_VERDICT_ACK, why, now);
  c->flags |= CF_ACK_NOW;
}

/* RFC 7323 §4.3 (2): remember the peer's timestamp from the segment that
 * covers the left edge of what we acknowledge. */
static void update_ts_recent(ptcp_conn *c, const ptcp_seg *seg, ptcp_time now) {
  if (!(c->flags & CF_TS) || !(seg->opts.present & PTCP_OPT_TS))
    return;
  if (ptcp_seq_le(seg->seq, c->last_ack_sent) &&
      (!(c->flags & CF_TS_RECENT) || ptcp_seq_ge(seg->opts.ts_val, c->ts_recent))) {
    c->ts_recent = seg->opts.ts_val;
    c->ts_recent_at = now;
    c->flags |= CF_TS_RECENT;
  }
}

static int input_time_wait(ptcp_conn *c, const ptcp_seg *seg, ptcp_time now);

/* RFC 9293 §3.10.7.4 fifth check, after an acceptable ACK was processed:
 * FIN-WAIT-1 whose FIN is acknowledged goes on in FIN-WAIT-2; CLOSING
 * enters TIME-WAIT and LAST-ACK closes, and there the segment ends (it
 * is reported with |v| and |why|).  Returns nonzero when it ended. */
static int ack_transitions(ptcp_conn *c, const ptcp_seg *seg, ptcp_verdict v,
                           ptcp_reason why, ptcp_time now) {
  if (c->flags & CF_DEAD)
    return 1;
  switch (c->state) {
  case PTCP_FIN_WAIT_1:
    if (c->flags & CF_FIN_ACKED)
      ptcp_timer_enter_fin_wait_2(c, now);
    return 0;
  case PTCP_CLOSING:
    if (!(c->flags & CF_FIN_ACKED))
      return 0;
    verdict(c, seg, v, why, now);
    ptcp_timer_enter_time_wait(c, now);
    return 1;
  case PTCP_LAST_ACK:
    if (!(c->flags & CF_FIN_ACKED))
      return 0;
    verdict(c, seg, v, why, now);
    ptcp_conn_finish(c, now);
    return 1;
  default:
    return 0;
  }
}

/* RFC 9293 §3.10.7.4.  Returns nonzero when a SYN should go on to a
 * listener (TIME-WAIT reopen). */
static int input_sync(ptcp_conn *c, const ptcp_seg *seg, ptcp_time now) {
  const ptcp_dupfilter_ops *df = PTCP_DF_OPS(c);
  void *dfs = ptcp_pstate(c, PTCP_SLOT_DUPFILTER);
  const void *dfp = ptcp_params(c, PTCP_SLOT_DUPFILTER);
  ptcp_seg_ctx ctx;
  ptcp_df_verdict v;
  ptcp_reason why = PTCP_R_NONE;
  ptcp_reason text = PTCP_R_NONE;
  uint32_t seq = seg->seq;

  if (c->state == PTCP_TIME_WAIT)
    return input_time_wait(c, seg, now);

  if (c->state == PTCP_SYN_RECEIVED && (seg->flags & PTCP_SYN) && seg->seq == c->irs) {
    if (!(seg->flags & (PTCP_ACK | PTCP_RST))) {
      /* The peer's SYN again: our SYN-ACK was lost.  Send it again now
       * rather than an ACK the peer could not accept. */
      verdict(c, seg, PTCP_VERDICT_ACK, PTCP_R_SYN_RETRANSMIT, now);
      ptcp_output_syn(c, now);
      return 0;
    }
    if ((seg->flags & PTCP_ACK) && !(seg->flags & PTCP_RST) && seg->payload_len == 0 &&
        !(seg->flags & PTCP_FIN) && seg->ack == c->snd_max) {
      /* Simultaneous open: the peer's SYN,ACK acknowledges ours.  Take
       * it as the ACK that completes the handshake (RFC 9293 figure 7). */
      verdict(c, seg, PTCP_VERDICT_ACCEPT, PTCP_R_NONE, now);
      established(c, seg, now);
      ptcp_ack_update_window(c, seg, now);
      ptcp_conn_post(c, EV_CONNECTED);
      c->flags |= CF_ACK_NOW;
      return 0;
    }
  }

  /* first, check the sequence number */
  fill_ctx(c, seg, &ctx, now);
  v = df->check_seq(dfs, dfp, &ctx, &why);
  if (v != PTCP_DF_ACCEPT) {
    if (v == PTCP_DF_ACK && !(seg->flags & PTCP_RST)) {
      /* RFC 9293: with a zero window, "special allowance should be made
       * to accept valid ACKs": take the ACK field, drop the data.  The
       * ACK goes through the same limit and transitions as in the fifth
       * check below. */
      if (why == PTCP_R_ZERO_WINDOW && seg->seq == c->rcv_nxt && (seg->flags & PTCP_ACK) &&
          ptcp_state_synchronized(c->state) &&
          PTCP_DF_OPS(c)->check_ack(dfs, dfp, &ctx, &text) == PTCP_DF_ACCEPT &&
          !ptcp_seq_gt(seg->ack, c->snd_max)) {
        ptcp_ack_process(c, seg, now);
        c->flags |= CF_ACK_NOW;
        if (ack_transitions(c, seg, PTCP_VERDICT_ACK, why, now))
          return 0;
      }
      ack_unacceptable(c, seg, why, now);
    } else {
      verdict(c, seg, PTCP_VERDICT_DROP, why, now);
    }
    return 0;
  }

  /* second, check the RST bit */
  if (seg->flags & PTCP_RST) {
    v = df->check_rst(dfs, dfp, &ctx, &why);
    if (v == PTCP_DF_RESET) {
      verdict(c, seg, PTCP_VERDICT_RESET, why, now);
      if (c->state == PTCP_SYN_RECEIVED)
        ptcp_conn_fail(c, PTCP_ERR_CONN_REFUSED, now);
      else
        ptcp_conn_fail(c, PTCP_ERR_CONN_RESET, now);
    } else if (v == PTCP_DF_CHALLENGE) {
      challenge(c, seg, why, now);
    } else {
      verdict(c, seg, PTCP_VERDICT_DROP, why, now);
    }
    return 0;
  }

  /* fourth, check the SYN bit */
  if (seg->flags & PTCP_SYN) {
    if (c->state == PTCP_SYN_RECEIVED && (c->flags & CF_PASSIVE)) {
      /* RFC 9293: a passive half-open connection returns to LISTEN. */
      verdict(c, seg, PTCP_VERDICT_RESET, PTCP_R_SYN_SYNCHRONIZED, now);
      ptcp_conn_fail(c, PTCP_ERR_CONN_RESET, now);
      return 0;
    }
    v = df->check_syn(dfs, dfp, &ctx, &why);
    if (v == PTCP_DF_RESET) {
      /* RFC 793 behaviour: a SYN in the window is an error. */
      verdict(c, seg, PTCP_VERDICT_RESET, why, now);
      ptcp_output_rst(c, now);
      ptcp_conn_fail(c, PTCP_ERR_CONN_RESET, now);
    } else if (v == PTCP_DF_CHALLENGE) {
      challenge(c, seg, why, now);
    } else {
      verdict(c, seg, PTCP_VERDICT_DROP, why, now);
    }
    return 0;
  }

  /* fifth, check the ACK field */
  if (!(seg->flags & PTCP_ACK)) {
    verdict(c, seg, PTCP_VERDICT_DROP, PTCP_R_NO_ACK, now);
    return 0;
  }
  if (c->state == PTCP_SYN_RECEIVED) {
    if (!(ptcp_seq_lt(c->snd_una, seg->ack) && ptcp_seq_le(seg->ack, c->snd_max))) {
      verdict(c, seg, PTCP_VERDICT_RST, PTCP_R_ACK_UNSENT, now);
      ptcp_stack_send_rst(c->stack, &c->pcb.laddr, c->pcb.lport, &c->pcb.raddr,
                          c->pcb.rport, seg->ack, 0, PTCP_RST, now);
      return 0;
    }
    if ((c->flags & CF_PASSIVE) && c->parent != NULL &&
        c->parent->acc_count >= c->parent->backlog) {
      /* No room to queue it: stay half-open; the peer's next segment or
       * our SYN-ACK retransmission tries again. */
      verdict(c, seg, PTCP_VERDICT_DROP, PTCP_R_BACKLOG_FULL, now);
      return 0;
    }
    update_ts_recent(c, seg, now);
    established(c, seg, now);
    ptcp_ack_update_window(c, seg, now);
    if ((c->flags & CF_PASSIVE) && c->parent != NULL)
      ptcp_conn_queue_accept(c);
    else
      ptcp_conn_post(c, EV_CONNECTED);
  } else {
    v = df->check_ack(dfs, dfp, &ctx, &why);
    /* The core's own limit: never accept an ACK for data not sent. */
    if (v == PTCP_DF_ACCEPT && ptcp_seq_gt(seg->ack, c->snd_max)) {
      v = PTCP_DF_ACK;
      why = PTCP_R_ACK_UNSENT;
    }
    if (v != PTCP_DF_ACCEPT) {
      if (v == PTCP_DF_ACK) {
        ack_unacceptable(c, seg, why, now);
      } else {
        verdict(c, seg, PTCP_VERDICT_DROP, why, now);
      }
      return 0;
    }
    update_ts_recent(c, seg, now);
    ptcp_ack_process(c, seg, now);
    if (ack_transitions(c, seg, PTCP_VERDICT_ACCEPT, PTCP_R_NONE, now))
      return 0;
  }
  /* sixth, the URG bit: urgent data is delivered inline like any other
   * byte (RFC 6093 §6); the pointer is never used for arithmetic, so a
   * hostile value cannot move anything (URGENT/11, B1). */

  /* seventh, process the segment text */
  if (seg->payload_len > 0) {
    switch (c->state) {
    case PTCP_ESTABLISHED:
    case PTCP_FIN_WAIT_1:
    case PTCP_FIN_WAIT_2:
      if (!(c->flags & (CF_USER | CF_QUEUED)) &&
          ptcp_seq_gt(seq + (uint32_t)seg->payload_len, c->rcv_nxt)) {
        /* RFC 1122 4.2.2.13 / RFC 9293 §3.10.4: new data for a
         * connection the user has closed is answered with RST. */
        verdict(c, seg, PTCP_VERDICT_RST, PTCP_R_DATA_AFTER_CLOSE, now);
        ptcp_output_rst(c, now);
        ptcp_conn_fail(c, PTCP_ERR_CONN_RESET, now);
        return 0;
      }
      text = receive_text(c, seg, seq, now);
      break;
    default:
      text = PTCP_R_AFTER_FIN; /* the peer already sent FIN: ignore */
      break;
    }
  }

  /* eighth, check the FIN bit.  Like the text, a FIN is taken only
   * inside the window: one that lies past the right edge (after text
   * that filled the window) is trimmed away (RFC 9293 §3.10.7.4), and
   * the peer sends it again once the window opens. */
  if ((seg->flags & PTCP_FIN) && !(c->flags & CF_PEER_FIN)) {
    uint32_t fin = seq + (uint32_t)seg->payload_len;
    if (fin == c->rcv_nxt && ptcp_seq_lt(fin, c->rcv_adv)) {
      deliver_fin(c, now);
    } else if (fin == c->rcv_nxt) {
      c->flags |= CF_ACK_NOW; /* refused like text: say what we expect */
    } else if (ptcp_seq_gt(fin, c->rcv_nxt) && ptcp_seq_lt(fin, c->rcv_adv) &&
               text == PTCP_R_OUT_OF_ORDER) {
      /* A FIN beyond a gap: act on it once the gap is filled. */
      c->flags |= CF_PEER_FIN_SEEN;
      c->fin_seq = fin;
    }
  }
  if ((c->flags & CF_PEER_FIN_SEEN) && c->fin_seq == c->rcv_nxt)
    deliver_fin(c, now);

  /* Text that was not taken is answered with an ACK that says what was
   * (RCV.NXT and the window), as the verdict reports. */
  if (text == PTCP_R_DUPLICATE || text == PTCP_R_OUT_OF_WINDOW || text == PTCP_R_OOO_FULL ||
      text == PTCP_R_NOMEM || text == PTCP_R_AFTER_FIN) {
    verdict(c, seg, PTCP_VERDICT_ACK, text, now);
    c->flags |= CF_ACK_NOW;
  } else {
    verdict(c, seg, PTCP_VERDICT_ACCEPT, text, now);
  }
  return 0;
}

/* A connection the user still holds that is in TIME-WAIT: the same
 * rules as a compact TIME-WAIT entry (ptcp_tw.c). */
static int input_time_wait(ptcp_conn *c, const ptcp_seg *seg, ptcp_time now) {
  ptcp_tw_ctx ctx;
  ptcp_tw_verdict v;

  memset(&ctx, 0, sizeof(ctx));
  ctx.seg = seg;
  ctx.seg_len = ptcp_seg_len(seg);
  ctx.rcv_nxt = c->rcv_nxt;
  ctx.rcv_wnd = c->rcv_adv - c->rcv_nxt;
  ctx.snd_nxt = c->snd_max;
  ctx.ts_enabled = (c->flags & CF_TS) != 0;
  ctx.ts_recent = c->ts_recent;
  ctx.ts_recent_at = c->ts_recent_at;
  ctx.listener = ptcp_stack_find_listener(c->stack, &c->pcb.laddr, c->pcb.lport) != NULL;
  ctx.now = now;
  v = ptcp_tw_decide(c->prof, &ctx);
  switch (v) {
  case PTCP_TW_ACK:
    verdict(c, seg, PTCP_VERDICT_ACK, PTCP_R_TIME_WAIT, now);
    ptcp_output_ack(c, now);
    ptcp_timer_enter_time_wait(c, now); /* restart 2MSL */
    return 0;
  case PTCP_TW_ACK_ONLY:
    verdict(c, seg, PTCP_VERDICT_ACK, PTCP_R_TIME_WAIT, now);
    ptcp_output_ack(c, now);
    return 0;
  case PTCP_TW_CLOSE:
    verdict(c, seg, PTCP_VERDICT_RESET, PTCP_R_TIME_WAIT_RST, now);
    ptcp_conn_finish(c, now);
    return 0;
  case PTCP_TW_REOPEN:
    verdict(c, seg, PTCP_VERDICT_ACCEPT, PTCP_R_TIME_WAIT_REOPEN, now);
    ptcp_conn_finish(c, now);
    return 1;
  case PTCP_TW_DROP:
  default:
    verdict(c, seg, PTCP_VERDICT_DROP, PTCP_R_TIME_WAIT, now);
    return 0;
  }
}

int ptcp_input_conn(ptcp_conn *c, const ptcp_seg *seg, ptcp_time now) {
  int reopen = 0;

  c->segs_in++;
  c->flags &= ~(uint32_t)CF_HEARD;
  if (c->state == PTCP_SYN_SENT)
    input_syn_sent(c, seg, now);
  else
    reopen = input_sync(c, seg, now);
  if (!(c->flags & CF_DEAD) && c->state != PTCP_CLOSED) {
    /* Only a segment whose ACK was acceptable shows the peer is alive;
     * a rejected one (out of window, a RST or SYN that drew a challenge)
     * must not hold off keep-alives (hardening.md rule 9). */
    if (c->flags & CF_HEARD)
      ptcp_timer_on_input(c, now);
    ptcp_output(c, now);
    ptcp_timer_sync(c);
  }
  return reopen;
}

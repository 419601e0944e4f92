/*
 * plugtcp engine: what an acceptable ACK does (RFC 9293 §3.10.7.4 fifth):
 * advance SND.UNA and free acknowledged bytes, take an RTT sample
 * (RFC 6298 §3, RFC 7323 §4), detect spurious timeouts (RFC 3522), drive
 * congestion control and loss recovery (RFC 5681 §3.2, RFC 6582), and
 * update the send window.
 */
#include "ptcp_conn.h"

static void trace_rtt(ptcp_conn *c, ptcp_duration rtt, ptcp_time now) {
  ptcp_trace ev;

  memset(&ev, 0, sizeof(ev));
  ev.kind = PTCP_TRACE_RTT;
  ev.now = now;
  ev.conn = c;
  ev.rtt = rtt;
  ev.rto = ptcp_conn_rto(c);
  ptcp_stack_trace(c->stack, &ev, &c->pcb);
}

static void trace_cwnd(ptcp_conn *c, ptcp_time now) {
  const ptcp_cc_ops *cc = PTCP_CC_OPS(c);
  ptcp_trace ev;

  if (!c->stack->cb.on_trace || !(c->flags & CF_CC_STARTED))
    return;
  memset(&ev, 0, sizeof(ev));
  ev.kind = PTCP_TRACE_CWND;
  ev.now = now;
  ev.conn = c;
  ev.cwnd = cc->cwnd(ptcp_cpstate(c, PTCP_SLOT_CC));
  ev.ssthresh = cc->ssthresh ? cc->ssthresh(ptcp_cpstate(c, PTCP_SLOT_CC)) : 0;
  ptcp_stack_trace(c->stack, &ev, &c->pcb);
}

static ptcp_duration rtt_sample(ptcp_conn *c, const ptcp_seg *seg, ptcp_time now) {
  ptcp_rtt_sample smp;

  if (!(c->flags & CF_TIMING) || !ptcp_seq_gt(seg->ack, c->timed_seq))
    return PTCP_TIME_NONE;
  smp.rtt = now - c->timed_at;
  smp.now = now;
  smp.from_timestamp = 0;
  smp.retransmitted = (c->flags & CF_TIMED_RTX) != 0;
  c->flags &= ~(uint32_t)(CF_TIMING | CF_TIMED_RTX);
  /* The timed segment went out twice, so the ACK may be for either copy
   * (Karn).  The echoed timestamp says which one (RFC 7323 §4.1). */
  if (smp.retransmitted && (c->flags & CF_TS) && (seg->opts.present & PTCP_OPT_TS) &&
      seg->opts.ts_ecr != 0) {
    uint32_t ticks = ptcp_ts_now(c->ts_offset, now) - seg->opts.ts_ecr;
    if (ticks < (1u << 30)) {
      smp.rtt = (ptcp_duration)ticks * PTCP_MILLISECONDS;
      smp.from_timestamp = 1;
      smp.retransmitted = 0;
    }
  }
  PTCP_RTO_OPS(c)->on_rtt_sample(ptcp_pstate(c, PTCP_SLOT_RTO),
                                 ptcp_params(c, PTCP_SLOT_RTO), &smp);
  c->rtt_samples++;
  if (c->stack->cb.on_trace)
    trace_rtt(c, smp.rtt, now);
  return smp.retransmitted ? PTCP_TIME_NONE : smp.rtt;
}

/* RFC 3522 §3.2: after a timeout, if the first ACK for the retransmitted
 * data echoes a timestamp older than the retransmission, the original
 * arrived: the timeout was spurious. */
static void check_spurious(ptcp_conn *c, const ptcp_seg *seg, ptcp_time now) {
  if (!(c->flags & CF_RTO_SPURIOUS_CHECK))
    return;
  c->flags &= ~(uint32_t)CF_RTO_SPURIOUS_CHECK;
  if (!(c->flags & CF_TS) || !(seg->opts.present & PTCP_OPT_TS) || seg->opts.ts_ecr == 0 ||
      !ptcp_seq_lt(seg->opts.ts_ecr, c->rtx_tsval))
    return;
  c->spurious++;
  /* RFC 4015 §3: go on with new data instead of resending the window. */
  if (ptcp_seq_lt(c->snd_nxt, c->snd_max))
    c->snd_nxt = c->snd_max;
  if (PTCP_RTO_OPS(c)->on_spurious_timeout)
    PTCP_RTO_OPS(c)->on_spurious_timeout(ptcp_pstate(c, PTCP_SLOT_RTO),
                                         ptcp_params(c, PTCP_SLOT_RTO), now);
  if (PTCP_CC_OPS(c)->on_spurious)
    PTCP_CC_OPS(c)->on_spurious(ptcp_pstate(c, PTCP_SLOT_CC), ptcp_params(c, PTCP_SLOT_CC),
                                now);
}

static void new_ack(ptcp_conn *c, const ptcp_seg *seg, ptcp_time now) {
  const ptcp_cc_ops *cc = PTCP_CC_OPS(c);
  void *ccs = ptcp_pstate(c, PTCP_SLOT_CC);
  const void *ccp = ptcp_params(c, PTCP_SLOT_CC);
  uint32_t acked = seg->ack - c->snd_una;
  uint32_t flight = c->snd_max - c->snd_una;
  uint32_t data;
  ptcp_duration rtt;

  /* The send window is relative to the ACK that carried it, and the
   * window update that follows may refuse this segment's (an older SEQ
   * than the last update's, RFC 9293 §3.10.7.4).  Keep the right edge
   * SND.UNA + SND.WND where the peer put it rather than let it slide
   * with SND.UNA, as 4.4BSD's tcp_input does (snd_wnd -= acked). */
  c->snd_wnd = c->snd_wnd > acked ? c->snd_wnd - acked : 0;

  if (!(c->flags & CF_SYN_ACKED)) {
    /* Our SYN, acknowledged late: closed from SYN-RECEIVED. */
    c->flags |= CF_SYN_ACKED;
    c->snd_una++;
    acked--;
    flight--;
    ptcp_conn_start_cc(c, now);
  }
  data = acked < c->sbuf.len ? acked : c->sbuf.len;
  ptcp_ring_consume(&c->sbuf, data);
  if ((c->flags & CF_SHUT_WR) && acked > data)
    c->flags |= CF_FIN_ACKED; /* the one sequence number after the data */
  c->snd_una += acked;
  if (ptcp_seq_lt(c->snd_nxt, c->snd_una))
    c->snd_nxt = c->snd_una;
  if (c->sbuf.len == 0 && c->sbuf.buf != NULL) {
    ptcp_stack_buf_put(c->stack, c->sbuf.buf, c->sbuf.cap);
    c->sbuf.buf = NULL;
    c->sbuf.head = 0;
  }
  c->retries = 0;

  rtt = rtt_sample(c, seg, now);
  check_spurious(c, seg, now);
  if (PTCP_RTO_OPS(c)->on_new_ack)
    PTCP_RTO_OPS(c)->on_new_ack(ptcp_pstate(c, PTCP_SLOT_RTO),
                                ptcp_params(c, PTCP_SLOT_RTO), now);

  if (c->flags & CF_CC_STARTED) {
    if (c->flags & CF_RECOVERY) {
      if (ptcp_seq_ge(c->snd_una, c->recover)) {
        /* RFC 6582 §3.2 step 6: a full acknowledgment ends recovery. */
        c->flags &= ~(uint32_t)CF_RECOVERY;
        c->dupacks = 0;
        cc->on_exit_recovery(ccs, ccp, c->snd_max - c->snd_una, c->snd_mss, now);
      } else {
        /* Step 5: a partial ACK; the next hole is lost too. */
        if (cc->on_partial_ack)
          cc->on_partial_ack(ccs, ccp, acked, c->snd_mss);
        ptcp_output_retransmit_first(c, now);
      }
    } else {
      ptcp_cc_ack a;
      a.acked = acked;
      a.flight = flight;
      a.mss = c->snd_mss;
      a.rtt = rtt;
      a.now = now;
      cc->on_ack(ccs, ccp, &a);
      c->dupacks = 0;
    }
    trace_cwnd(c, now);
  }

  /* RFC 6298 §5.2-5.3: stop the timer when all is acknowledged,
   * otherwise restart it. */
  if (c->snd_una == c->snd_max)
    ptcp_timer_stop_rtx(c);
  else
    ptcp_timer_arm_rtx(c, RTX_DATA, now);

  if ((c->flags & CF_WANT_WRITE) && ptcp_ring_space(&c->sbuf) > 0) {
    c->flags &= ~(uint32_t)CF_WANT_WRITE;
    ptcp_conn_post(c, EV_WRITABLE);
  }
}

/* RFC 5681 §2: the definition of a duplicate acknowledgment.  An ACK
 * that offers a window of zero is none: what lies beyond SND.UNA then
 * went out as zero-window probes (RFC 9293 §3.8.6.1), which the peer had
 * no room for, and a fast retransmission would not fit either (BSD
 * counts duplicate ACKs only while the retransmission timer runs). */
static int is_dupack(const ptcp_conn *c, const ptcp_seg *seg) {
  uint32_t wnd = (uint32_t)seg->window << c->snd_wscale;
  return seg->payload_len == 0 && !(seg->flags & (PTCP_SYN | PTCP_FIN)) &&
         c->snd_max != c->snd_una && wnd == c->snd_wnd && wnd != 0;
}

static void dupack(ptcp_conn *c, ptcp_time now) {
  const ptcp_cc_ops *cc = PTCP_CC_OPS(c);
  void *ccs = ptcp_pstate(c, PTCP_SLOT_CC);
  const void *ccp = ptcp_params(c, PTCP_SLOT_CC);

  if (c->dupacks < UINT8_MAX)
    c->dupacks++;
  if (!(c->flags & CF_CC_STARTED))
    return;
  if (c->flags & CF_RECOVERY) {
    /* RFC 5681 §3.2 step 4: each further dupack means a segment left. */
    if (cc->on_recovery_dupack)
      cc->on_recovery_dupack(ccs, ccp, c->snd_mss);
    return;
  }
  /* RFC 6582 §3.2 step 2: only a loss after the last recovery point
   * starts a new recovery. */
  if (c->dupacks == 3 && ptcp_seq_gt(c->snd_una, c->recover)) {
    c->recover = c->snd_max;
    c->flags |= CF_RECOVERY;
    c->fast_retransmits++;
    cc->on_enter_recovery(ccs, ccp, c->snd_max - c->snd_una, c->snd_mss, now);
    ptcp_output_retransmit_first(c, now);
    ptcp_timer_arm_rtx(c, RTX_DATA, now);
    trace_cwnd(c, now);
  }
}

/* RFC 9293 §3.10.7.4: update the send window only from a segment that
 * is newer than the one that last set it (SND.WL1, SND.WL2). */
void ptcp_ack_update_window(ptcp_conn *c, const ptcp_seg *seg, ptcp_time now) {
  uint32_t shift = (seg->flags & PTCP_SYN) ? 0 : c->snd_wscale; /* RFC 7323 §2.2 */
  uint32_t wnd;

  if (!(ptcp_seq_lt(c->snd_wl1, seg->seq) ||
        (c->snd_wl1 == seg->seq && ptcp_seq_le(c->snd_wl2, seg->ack))))
    return;
  wnd = (uint32_t)seg->window << shift;
  c->snd_wnd = wnd;
  c->snd_wl1 = seg->seq;
  c->snd_wl2 = seg->ack;
  if (wnd > c->max_snd_wnd)
    c->max_snd_wnd = wnd;
  if (wnd > 0 && c->rtx_mode == RTX_PERSIST) {
    ptcp_timer_stop_rtx(c);
    c->retries = 0;
    c->probes = 0;
    /* Whatever went out beyond SND.UNA while the window was zero were
     * probes the peer had no room for: they go again now, with the data
     * behind them, instead of being waited for as if in flight. */
    c->snd_nxt = c->snd_una;
    if (c->snd_una != c->snd_max)
      ptcp_timer_arm_rtx(c, RTX_DATA, now);
  }
}

ack_result ptcp_ack_process(ptcp_conn *c, const ptcp_seg *seg, ptcp_time now) {
  c->flags |= CF_HEARD;
  if (ptcp_seq_gt(seg->ack, c->snd_una)) {
    new_ack(c, seg, now);
  } else if (seg->ack == c->snd_una) {
    /* The peer answers our zero-window probes: keep probing (MUST-37).
     * Those answers are not duplicate ACKs (see is_dupack). */
    if (c->rtx_mode == RTX_PERSIST)
      c->retries = 0;
    else if (is_dupack(c, seg))
      dupack(c, now);
  } else {
    /* An old ACK (RFC 9293: a duplicate, ignored). */
    return ACK_OK;
  }
  ptcp_ack_update_window(c, seg, now);
  return ACK_OK;
}

/*
 * plugtcp engine: a connection's timers (RFC 9293 §3.10.8).
 *
 * Three absolute deadlines per connection, and one heap entry holding
 * the earliest of them:
 *   t_rtx    one of SYN retransmission, data retransmission (RFC 6298),
 *            zero-window probe (§3.8.6.1) or keep-alive (§3.8.4), by mode
 *   t_delack delayed ACK (§3.8.6.3)
 *   t_close  TIME-WAIT (§3.6) or the FIN-WAIT-2 limit of a closed socket
 */
#include "ptcp_conn.h"

/* Zero-window probes back off up to this interval. */
#define PERSIST_MAX (60 * PTCP_SECONDS)

ptcp_duration ptcp_conn_rto(const ptcp_conn *c) {
  ptcp_duration rto =
      PTCP_RTO_OPS(c)->rto(ptcp_cpstate(c, PTCP_SLOT_RTO), ptcp_params(c, PTCP_SLOT_RTO));

  /* Whatever the policy says, the timer stays inside the hard limits. */
  if (rto < PTCP_RTO_FLOOR)
    return PTCP_RTO_FLOOR;
  if (rto > PTCP_RTO_CEIL)
    return PTCP_RTO_CEIL;
  return rto;
}

void ptcp_timer_sync(ptcp_conn *c) {
  ptcp_time at = ptcp_time_min(c->t_rtx, ptcp_time_min(c->t_delack, c->t_close));

  if (c->flags & CF_DEAD)
    return;
  if (at == c->tnode.at && (at == PTCP_TIME_NONE) == (c->tnode.idx == PTCP_HEAP_NONE))
    return;
  /* Room was reserved when the connection was created. */
  (void)ptcp_heap_set(&c->stack->timers, &c->stack->mem, &c->tnode, at);
}

static void trace_timer(ptcp_conn *c, ptcp_trace_kind kind, ptcp_timer_kind t,
                        ptcp_duration rto, ptcp_time now) {
  ptcp_trace ev;

  if (!c->stack->cb.on_trace)
    return;
  ptcp_trace_init(&ev, kind, c, now);
  ev.timer = t;
  ev.rto = rto;
  ptcp_stack_trace(c->stack, &ev, &c->pcb);
}

void ptcp_timer_arm_rtx(ptcp_conn *c, int mode, ptcp_time now) {
  const ptcp_conn_cfg *cfg = &c->prof->cfg;
  ptcp_duration d;

  switch (mode) {
  case RTX_SYN:
  case RTX_DATA:
    d = ptcp_conn_rto(c);
    trace_timer(c, PTCP_TRACE_RTO, mode == RTX_SYN ? PTCP_TIMER_SYN : PTCP_TIMER_RETRANSMIT,
                d, now);
    break;
  case RTX_PERSIST:
    /* RFC 9293 §3.8.6.1: the first probe after one RTO, then back off
     * exponentially (SHLD-29, SHLD-30).  The interval counts the probes
     * sent, not the unanswered ones: a peer that answers every probe
     * keeps the connection alive (MUST-26), not a fast probe rate. */
    d = ptcp_conn_rto(c);
    for (unsigned i = 0; i < c->probes && d < PERSIST_MAX; i++)
      d *= 2;
    if (d > PERSIST_MAX)
      d = PERSIST_MAX;
    break;
  case RTX_KEEPALIVE:
    d = c->retries == 0 ? cfg->keepalive_idle : cfg->keepalive_interval;
    break;
  default:
    ptcp_timer_stop_rtx(c);
    return;
  }
  c->rtx_mode = (uint8_t)mode;
  c->t_rtx = ptcp_time_add(now, d);
  ptcp_timer_sync(c);
}

void ptcp_timer_stop_rtx(ptcp_conn *c) {
  c->rtx_mode = RTX_OFF;
  c->t_rtx = PTCP_TIME_NONE;
  ptcp_timer_sync(c);
}

void ptcp_timer_arm_delack(ptcp_conn *c, ptcp_time now) {
  if (c->t_delack != PTCP_TIME_NONE)
    return;
  c->t_delack = ptcp_time_add(now, c->prof->cfg.delack);
  ptcp_timer_sync(c);
}

void ptcp_timer_set_close(ptcp_conn *c, ptcp_time at) {
  c->t_close = at;
  ptcp_timer_sync(c);
}

/* Keep-alives (RFC 9293 §3.8.4, MUST-26) count from the last segment
 * received whose ACK was acceptable. */
void ptcp_timer_on_input(ptcp_conn *c, ptcp_time now) {
  if (!c->prof->cfg.keepalive)
    return;
  if (c->rtx_mode != RTX_OFF && c->rtx_mode != RTX_KEEPALIVE)
    return;
  switch (c->state) {
  case PTCP_ESTABLISHED:
  case PTCP_CLOSE_WAIT:
  case PTCP_FIN_WAIT_2:
    c->retries = 0;
    ptcp_timer_arm_rtx(c, RTX_KEEPALIVE, now);
    break;
  default:
    break;
  }
}

/* The one-second window of the per-connection ACK limits, opened by the
 * first ACK counted (PTCP_TIME_NONE until then: 0 is a time like any
 * other). */
static void limit_window(ptcp_conn *c, ptcp_time now) {
  if (c->limit_at == PTCP_TIME_NONE || now < c->limit_at ||
      now - c->limit_at >= PTCP_SECONDS) {
    c->limit_at = now;
    c->challenges = 0;
    c->loop_acks = 0;
  }
}

int ptcp_timer_challenge_ok(ptcp_conn *c, ptcp_time now) {
  /* RFC 5961 §7: at most challenge_limit challenge ACKs a second. */
  limit_window(c, now);
  if (c->challenges >= c->stack->challenge_limit)
    return 0;
  c->challenges++;
  return 1;
}

int ptcp_timer_loop_ack_ok(ptcp_conn *c, ptcp_time now) {
  limit_window(c, now);
  if (c->loop_acks >= PTCP_ACK_LOOP_LIMIT)
    return 0;
  c->loop_acks++;
  return 1;
}

static ptcp_duration time_wait_length(const ptcp_conn *c) {
  ptcp_duration msl = c->prof->cfg.msl;
  ptcp_duration d =
      PTCP_CLOSE_OPS(c)->time_wait(ptcp_params(c, PTCP_SLOT_CLOSE), msl);

  /* The close policy picks the length; the core bounds it. */
  return d > 4 * msl ? 4 * msl : d;
}

/* RFC 9293 §3.10.7.4: enter (or restart) TIME-WAIT for 2MSL. */
void ptcp_timer_enter_time_wait(ptcp_conn *c, ptcp_time now) {
  ptcp_duration d = time_wait_length(c);

  ptcp_conn_set_state(c, PTCP_TIME_WAIT, PTCP_R_NONE, now);
  c->rtx_mode = RTX_OFF;
  c->t_rtx = PTCP_TIME_NONE;
  c->t_delack = PTCP_TIME_NONE;
  c->t_close = ptcp_time_add(now, d);
  /* The FIN that brought us here is owed its ACK before anything else. */
  if (c->flags & CF_ACK_NOW)
    ptcp_output_ack(c, now);
  if (d == 0) {
    ptcp_conn_finish(c, now);
    return;
  }
  if (!(c->flags & (CF_USER | CF_QUEUED))) {
    if (ptcp_tw_from_conn(c, now) != 0)
      ptcp_timer_sync(c); /* no memory for the compact entry: keep the conn */
    return;
  }
  ptcp_timer_sync(c);
  if ((c->flags & CF_USER) && !(c->flags & CF_CLOSED_EV)) {
    c->flags |= CF_CLOSED_EV;
    ptcp_conn_post(c, EV_CLOSED);
  }
}

void ptcp_timer_enter_fin_wait_2(ptcp_conn *c, ptcp_time now) {
  const ptcp_close_ops *cl = PTCP_CLOSE_OPS(c);

  ptcp_conn_set_state(c, PTCP_FIN_WAIT_2, PTCP_R_NONE, now);
  /* A closed socket must not wait forever for a peer that vanished. */
  if (!(c->flags & CF_USER) && cl->fin_wait_2_timeout != NULL) {
    ptcp_duration t = cl->fin_wait_2_timeout(ptcp_params(c, PTCP_SLOT_CLOSE),
                                             c->prof->cfg.msl);
    if (t > 0)
      ptcp_timer_set_close(c, ptcp_time_add(now, t));
  }
}

static void fire_rtx(ptcp_conn *c, int mode, ptcp_time now) {
  const ptcp_conn_cfg *cfg = &c->prof->cfg;

  switch (mode) {
  case RTX_SYN:
    trace_timer(c, PTCP_TRACE_TIMER, PTCP_TIMER_SYN, 0, now);
    if (++c->retries > cfg->syn_retries) {
      ptcp_conn_fail(c, PTCP_ERR_TIMED_OUT, now);
      return;
    }
    c->timeouts++;
    PTCP_RTO_OPS(c)->on_timeout(ptcp_pstate(c, PTCP_SLOT_RTO),
                                ptcp_params(c, PTCP_SLOT_RTO), now);
    ptcp_output_syn(c, now);
    return;

  case RTX_DATA: {
    uint32_t n;
    trace_timer(c, PTCP_TRACE_TIMER, PTCP_TIMER_RETRANSMIT, 0, now);
    if (c->snd_una == c->snd_max)
      return; /* nothing outstanding any more */
    if (++c->retries > cfg->data_retries) {
      ptcp_conn_fail(c, PTCP_ERR_TIMED_OUT, now);
      return;
    }
    c->timeouts++;
    /* RFC 6298 §5.5-5.6: back off, then resend the earliest segment. */
    PTCP_RTO_OPS(c)->on_timeout(ptcp_pstate(c, PTCP_SLOT_RTO),
                                ptcp_params(c, PTCP_SLOT_RTO), now);
    if (c->flags & CF_CC_STARTED)
      PTCP_CC_OPS(c)->on_timeout(ptcp_pstate(c, PTCP_SLOT_CC), ptcp_params(c, PTCP_SLOT_CC),
                                 c->snd_max - c->snd_una, c->snd_mss, now);
    /* RFC 6582 §3.2: after a timeout, recovery starts over above SND.MAX. */
    c->flags &= ~(uint32_t)CF_RECOVERY;
    c->dupacks = 0;
    c->recover = c->snd_max;
    if ((c->flags & CF_TS) && c->retries == 1) {
      /* RFC 3522: remember what this retransmission's timestamp says. */
      c->rtx_tsval = ptcp_ts_now(c->ts_offset, now);
      c->flags |= CF_RTO_SPURIOUS_CHECK;
    }
    /* Go back: everything after SND.UNA is sent again as ACKs allow. */
    n = ptcp_output_retransmit_first(c, now);
    c->snd_nxt = c->snd_una + n;
    ptcp_timer_arm_rtx(c, RTX_DATA, now);
    return;
  }

  case RTX_PERSIST:
    trace_timer(c, PTCP_TRACE_TIMER, PTCP_TIMER_PERSIST, 0, now);
    /* RFC 9293 MUST-26: keep probing while the peer answers (ACKs reset
     * retries); give up only on silence. */
    if (++c->retries > cfg->data_retries) {
      ptcp_conn_fail(c, PTCP_ERR_TIMED_OUT, now);
      return;
    }
    ptcp_output_probe(c, now);
    if (c->probes < UINT8_MAX)
      c->probes++;
    if (c->rtx_mode == RTX_OFF)
      ptcp_timer_arm_rtx(c, RTX_PERSIST, now);
    return;

  case RTX_KEEPALIVE:
    trace_timer(c, PTCP_TRACE_TIMER, PTCP_TIMER_KEEPALIVE, 0, now);
    if (c->retries >= cfg->keepalive_count) {
      ptcp_conn_fail(c, PTCP_ERR_TIMED_OUT, now);
      return;
    }
    ptcp_output_keepalive(c, now);
    c->retries++;
    ptcp_timer_arm_rtx(c, RTX_KEEPALIVE, now);
    return;

  default:
    return;
  }
}

void ptcp_timer_fire(ptcp_conn *c, ptcp_time now) {
  if (c->t_delack <= now) {
    c->t_delack = PTCP_TIME_NONE;
    trace_timer(c, PTCP_TRACE_TIMER, PTCP_TIMER_DELACK, 0, now);
    c->flags |= CF_ACK_NOW;
    ptcp_output(c, now);
  }
  if (!(c->flags & CF_DEAD) && c->t_rtx <= now) {
    int mode = c->rtx_mode;
    c->t_rtx = PTCP_TIME_NONE;
    c->rtx_mode = RTX_OFF;
    fire_rtx(c, mode, now);
  }
  if (!(c->flags & CF_DEAD) && c->state != PTCP_CLOSED && c->t_close <= now) {
    c->t_close = PTCP_TIME_NONE;
    if (c->state == PTCP_TIME_WAIT) {
      trace_timer(c, PTCP_TRACE_TIMER, PTCP_TIMER_TIME_WAIT, 0, now);
      ptcp_conn_finish(c, now);
    } else {
      trace_timer(c, PTCP_TRACE_TIMER, PTCP_TIMER_FIN_WAIT_2, 0, now);
      ptcp_conn_fail(c, PTCP_ERR_TIMED_OUT, now);
    }
  }
  if (!(c->flags & CF_DEAD) && c->state != PTCP_CLOSED) {
    ptcp_output(c, now);
    ptcp_timer_sync(c);
  }
}

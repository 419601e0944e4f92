/*
 * plugtcp engine: compact TIME-WAIT entries (RFC 9293 §3.6).
 *
 * Once the user has let go of a connection in TIME-WAIT, all that is left
 * to do is re-ACK a retransmitted FIN, answer or accept a new SYN, and
 * expire after 2MSL.  That needs a few words, not a whole connection, so
 * the connection is swapped for a ptcp_tw in the demux table.  What each
 * segment does is the close policy's decision.
 */
#include "ptcp_conn.h"

static ptcp_duration tw_length(const ptcp_profile *prof) {
  const ptcp_close_ops *cl = (const ptcp_close_ops *)prof->sel[PTCP_SLOT_CLOSE]->ops;
  ptcp_duration msl = prof->cfg.msl;
  ptcp_duration d = cl->time_wait(prof->sel[PTCP_SLOT_CLOSE]->params, msl);
  return d > 4 * msl ? 4 * msl : d;
}

ptcp_tw_verdict ptcp_tw_decide(const ptcp_profile *prof, const ptcp_tw_ctx *ctx) {
  const ptcp_close_ops *cl = (const ptcp_close_ops *)prof->sel[PTCP_SLOT_CLOSE]->ops;
  ptcp_tw_verdict v = cl->time_wait_segment(prof->sel[PTCP_SLOT_CLOSE]->params, ctx);
  uint8_t f = ctx->seg->flags;

  /* Only a bare SYN can open a new connection, and only to a listener. */
  if (v == PTCP_TW_REOPEN && (!(f & PTCP_SYN) || (f & (PTCP_ACK | PTCP_RST)) || !ctx->listener))
    v = (f & PTCP_SYN) ? PTCP_TW_ACK_ONLY : PTCP_TW_DROP;
  /* Never answer a RST (RFC 9293 §3.10.7.4, RFC 5961 §3). */
  if ((f & PTCP_RST) && (v == PTCP_TW_ACK || v == PTCP_TW_ACK_ONLY))
    v = PTCP_TW_DROP;
  return v;
}

static void trace_tw(ptcp_stack *s, const ptcp_tw *tw, ptcp_trace_kind kind,
                     ptcp_state to, ptcp_time now) {
  ptcp_trace ev;

  if (!s->cb.on_trace)
    return;
  memset(&ev, 0, sizeof(ev));
  ev.kind = kind;
  ev.now = now;
  ev.old_state = PTCP_TIME_WAIT;
  ev.new_state = to;
  ev.timer = PTCP_TIMER_TIME_WAIT;
  ptcp_stack_trace(s, &ev, &tw->pcb);
}

int ptcp_tw_from_conn(ptcp_conn *c, ptcp_time now) {
  ptcp_stack *s = c->stack;
  ptcp_tw *tw = ptcp_stack_alloc(s, sizeof(*tw));

  if (tw == NULL)
    return PTCP_ERR_NOMEM;
  tw->pcb.laddr = c->pcb.laddr;
  tw->pcb.raddr = c->pcb.raddr;
  tw->pcb.lport = c->pcb.lport;
  tw->pcb.rport = c->pcb.rport;
  tw->pcb.kind = PCB_TW;
  tw->tnode.idx = PTCP_HEAP_NONE;
  tw->tnode.kind = PCB_TW;
  tw->prof = c->prof;
  tw->snd_nxt = c->snd_max;
  tw->rcv_nxt = c->rcv_nxt;
  tw->ts_ok = (c->flags & CF_TS) != 0;
  tw->ts_recent = c->ts_recent;
  tw->ts_recent_at = c->ts_recent_at;
  tw->ts_offset = c->ts_offset;
  tw->window = ptcp_output_window_field(c);
  tw->rcv_wnd = c->rcv_adv - c->rcv_nxt;
  tw->expires = c->t_close != PTCP_TIME_NONE ? c->t_close
                                             : ptcp_time_add(now, tw_length(c->prof));
  if (ptcp_heap_set(&s->timers, &s->mem, &tw->tnode, tw->expires) != 0) {
    ptcp_stack_free_mem(s, tw);
    return PTCP_ERR_NOMEM;
  }
  if (c->flags & CF_HASHED) {
    ptcp_stack_hash_remove(s, &c->pcb);
    c->flags &= ~(uint32_t)CF_HASHED;
  }
  ptcp_stack_hash_insert(s, &tw->pcb);
  s->ntw++;
  /* The full connection goes; the entry carries on in TIME-WAIT. */
  c->t_close = PTCP_TIME_NONE;
  c->flags &= ~(uint32_t)CF_USER;
  ptcp_conn_kill(c);
  return 0;
}

void ptcp_tw_destroy(ptcp_stack *s, ptcp_tw *tw) {
  ptcp_stack_hash_remove(s, &tw->pcb);
  ptcp_heap_remove(&s->timers, &tw->tnode);
  s->ntw--;
  ptcp_stack_free_mem(s, tw);
}

void ptcp_tw_input(ptcp_stack *s, ptcp_tw *tw, const ptcp_seg *seg, ptcp_time now,
                   int *reopen, uint32_t *isn_floor) {
  ptcp_tw_ctx ctx;
  ptcp_tw_verdict v;

  memset(&ctx, 0, sizeof(ctx));
  ctx.seg = seg;
  ctx.seg_len = ptcp_seg_len(seg);
  ctx.rcv_nxt = tw->rcv_nxt;
  ctx.rcv_wnd = tw->rcv_wnd;
  ctx.snd_nxt = tw->snd_nxt;
  ctx.ts_enabled = tw->ts_ok;
  ctx.ts_recent = tw->ts_recent;
  ctx.ts_recent_at = tw->ts_recent_at;
  ctx.listener = ptcp_stack_find_listener(s, &tw->pcb.laddr, tw->pcb.lport) != NULL;
  ctx.now = now;
  v = ptcp_tw_decide(tw->prof, &ctx);
  *reopen = 0;
  switch (v) {
  case PTCP_TW_ACK:
    ptcp_stack_trace_seg_in(s, NULL, &tw->pcb, seg, PTCP_VERDICT_ACK, PTCP_R_TIME_WAIT, now);
    ptcp_output_tw_ack(s, tw, now);
    tw->expires = ptcp_time_add(now, tw_length(tw->prof));
    (void)ptcp_heap_set(&s->timers, &s->mem, &tw->tnode, tw->expires);
    return;
  case PTCP_TW_ACK_ONLY:
    ptcp_stack_trace_seg_in(s, NULL, &tw->pcb, seg, PTCP_VERDICT_ACK, PTCP_R_TIME_WAIT, now);
    ptcp_output_tw_ack(s, tw, now);
    return;
  case PTCP_TW_CLOSE:
    ptcp_stack_trace_seg_in(s, NULL, &tw->pcb, seg, PTCP_VERDICT_RESET,
                            PTCP_R_TIME_WAIT_RST, now);
    trace_tw(s, tw, PTCP_TRACE_STATE, PTCP_CLOSED, now);
    ptcp_tw_destroy(s, tw);
    return;
  case PTCP_TW_REOPEN:
    ptcp_stack_trace_seg_in(s, NULL, &tw->pcb, seg, PTCP_VERDICT_ACCEPT,
                            PTCP_R_TIME_WAIT_REOPEN, now);
    trace_tw(s, tw, PTCP_TRACE_STATE, PTCP_CLOSED, now);
    /* RFC 1122 4.2.2.13: the new connection's ISN must lie beyond the
     * old one's sequence space; start a full 64 KiB window above it. */
    *isn_floor = tw->snd_nxt + 65536u;
    *reopen = 1;
    ptcp_tw_destroy(s, tw);
    return;
  case PTCP_TW_DROP:
  default:
    ptcp_stack_trace_seg_in(s, NULL, &tw->pcb, seg, PTCP_VERDICT_DROP, PTCP_R_TIME_WAIT,
                            now);
    return;
  }
}

void ptcp_tw_expire(ptcp_stack *s, ptcp_tw *tw, ptcp_time now) {
  trace_tw(s, tw, PTCP_TRACE_TIMER, PTCP_TIME_WAIT, now);
  trace_tw(s, tw, PTCP_TRACE_STATE, PTCP_CLOSED, now);
  ptcp_tw_destroy(s, tw);
}

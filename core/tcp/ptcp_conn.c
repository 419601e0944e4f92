/*
 * plugtcp engine: connections and the user calls of RFC 9293 §3.10.1-6
 * (OPEN, SEND, RECEIVE, CLOSE, ABORT, STATUS), shaped like BSD sockets.
 */
#include "ptcp_conn.h"

/* ------------------------------------------------------------------ */
/* Life                                                                */

int ptcp_conn_alloc(ptcp_stack *s, const ptcp_profile *prof, ptcp_conn **pc) {
  ptcp_conn *c;

  if (s->nconns + s->ntw >= s->max_conns)
    return PTCP_ERR_LIMIT;
  /* Room in the timer heap first, so arming a timer never fails. */
  if (ptcp_heap_reserve(&s->timers, &s->mem, s->nconns + s->ntw + 1) != 0)
    return PTCP_ERR_NOMEM;
  c = ptcp_stack_alloc(s, sizeof(*c));
  if (c == NULL)
    return PTCP_ERR_NOMEM;
  if (prof->pwords > PTCP_PSTATE_WORDS) {
    c->pext = ptcp_stack_alloc(s, (prof->pwords - PTCP_PSTATE_WORDS) * sizeof(uint64_t));
    if (c->pext == NULL) {
      ptcp_stack_free_mem(s, c);
      return PTCP_ERR_NOMEM;
    }
  }
  c->pcb.kind = PCB_CONN;
  c->stack = s;
  c->prof = prof;
  c->tnode.idx = PTCP_HEAP_NONE;
  c->tnode.kind = PCB_CONN;
  c->tnode.at = PTCP_TIME_NONE;
  c->t_rtx = c->t_delack = c->t_close = PTCP_TIME_NONE;
  c->limit_at = PTCP_TIME_NONE;
  c->sbuf.cap = prof->cfg.sndbuf;
  c->rbuf.cap = prof->cfg.rcvbuf;
  c->state = PTCP_CLOSED;
  /* Every connection is on the stack's list, so ptcp_stack_free finds
   * even those that are neither hashed nor listening. */
  c->anext = s->all;
  if (s->all != NULL)
    s->all->aprev = c;
  s->all = c;
  s->nconns++;
  *pc = c;
  return 0;
}

void ptcp_conn_release_buffers(ptcp_conn *c) {
  ptcp_stack *s = c->stack;

  ptcp_stack_buf_put(s, c->sbuf.buf, c->sbuf.cap);
  ptcp_stack_buf_put(s, c->rbuf.buf, c->rbuf.cap);
  c->sbuf.buf = c->rbuf.buf = NULL;
  c->sbuf.len = c->rbuf.len = c->sbuf.head = c->rbuf.head = 0;
  if (!(c->flags & CF_LISTENER))
    memset(&c->reasm, 0, sizeof(c->reasm));
}

static void unlink_from(ptcp_conn **head, ptcp_conn *c) {
  for (ptcp_conn **pp = head; *pp != NULL; pp = &(*pp)->qnext) {
    if (*pp == c) {
      *pp = c->qnext;
      c->qnext = NULL;
      return;
    }
  }
}

/* Takes a half-open or queued connection off its listener. */
static void detach_from_listener(ptcp_conn *c) {
  ptcp_conn *l = c->parent;

  if (l == NULL)
    return;
  if (c->flags & CF_QUEUED) {
    ptcp_conn *prev = NULL;
    for (ptcp_conn *q = l->acc_head; q != NULL; prev = q, q = q->qnext) {
      if (q == c) {
        if (prev)
          prev->qnext = c->qnext;
        else
          l->acc_head = c->qnext;
        if (l->acc_tail == c)
          l->acc_tail = prev;
        l->acc_count--;
        break;
      }
    }
    c->flags &= ~(uint32_t)CF_QUEUED;
  } else {
    unlink_from(&l->syn_head, c);
    l->syn_count--;
  }
  c->qnext = NULL;
  c->parent = NULL;
}

static void unlink_event(ptcp_conn *c) {
  ptcp_stack *s = c->stack;
  ptcp_conn *prev = NULL;

  if (!(c->flags & CF_EVLINKED))
    return;
  for (ptcp_conn *q = s->ev_head; q != NULL; prev = q, q = q->enext) {
    if (q == c) {
      if (prev)
        prev->enext = c->enext;
      else
        s->ev_head = c->enext;
      if (s->ev_tail == c)
        s->ev_tail = prev;
      break;
    }
  }
  c->enext = NULL;
  c->flags &= ~(uint32_t)CF_EVLINKED;
}

static void release_policies(ptcp_conn *c) {
  if (c->flags & CF_STARTED) {
    if (PTCP_RTO_OPS(c)->release)
      PTCP_RTO_OPS(c)->release(ptcp_pstate(c, PTCP_SLOT_RTO));
    if (PTCP_DF_OPS(c)->release)
      PTCP_DF_OPS(c)->release(ptcp_pstate(c, PTCP_SLOT_DUPFILTER));
  }
  if ((c->flags & CF_CC_STARTED) && PTCP_CC_OPS(c)->release)
    PTCP_CC_OPS(c)->release(ptcp_pstate(c, PTCP_SLOT_CC));
  c->flags &= ~(uint32_t)(CF_STARTED | CF_CC_STARTED);
}

/* Removes every trace of |c| from the stack and frees it.  The caller
 * has made sure nothing refers to it any more (no queued events). */
void ptcp_conn_destroy(ptcp_conn *c) {
  ptcp_stack *s = c->stack;

  if (c->flags & CF_HASHED)
    ptcp_stack_hash_remove(s, &c->pcb);
  if (c->state == PTCP_LISTEN)
    ptcp_stack_listener_remove(s, c);
  /* A listener going away leaves its children without a parent. */
  if (c->flags & CF_LISTENER) {
    for (ptcp_conn *q = c->syn_head; q != NULL; q = q->qnext)
      q->parent = NULL;
    for (ptcp_conn *q = c->acc_head; q != NULL; q = q->qnext) {
      q->parent = NULL;
      q->flags &= ~(uint32_t)CF_QUEUED;
    }
  }
  detach_from_listener(c);
  unlink_event(c);
  ptcp_heap_remove(&s->timers, &c->tnode);
  if (c->flags & CF_BOUND)
    ptcp_stack_port_unref(s, c->pcb.lport);
  release_policies(c);
  ptcp_conn_release_buffers(c);
  if (c->aprev)
    c->aprev->anext = c->anext;
  else
    s->all = c->anext;
  if (c->anext)
    c->anext->aprev = c->aprev;
  s->nconns--;
  ptcp_stack_free_mem(s, c->reasons);
  ptcp_stack_free_mem(s, c->pext);
  ptcp_stack_free_mem(s, c);
}

/* Schedules |c| to be freed when the current public call returns. */
void ptcp_conn_kill(ptcp_conn *c) {
  ptcp_stack *s = c->stack;

  if (c->flags & CF_DEAD)
    return;
  c->flags |= CF_DEAD;
  c->flags &= ~(uint32_t)CF_USER;
  if (c->flags & CF_HASHED) {
    ptcp_stack_hash_remove(s, &c->pcb);
    c->flags &= ~(uint32_t)CF_HASHED;
  }
  if (c->state == PTCP_LISTEN) {
    ptcp_stack_listener_remove(s, c);
    c->state = PTCP_CLOSED;
  }
  detach_from_listener(c);
  unlink_event(c);
  ptcp_heap_remove(&s->timers, &c->tnode);
  c->t_rtx = c->t_delack = c->t_close = PTCP_TIME_NONE;
  c->enext = s->dead;
  s->dead = c;
}

/* A passive connection finished its handshake: from the listener's
 * half-open list to its accept queue. */
void ptcp_conn_queue_accept(ptcp_conn *c) {
  ptcp_conn *l = c->parent;

  unlink_from(&l->syn_head, c);
  l->syn_count--;
  c->qnext = NULL;
  c->flags |= CF_QUEUED;
  if (l->acc_tail != NULL)
    l->acc_tail->qnext = c;
  else
    l->acc_head = c;
  l->acc_tail = c;
  l->acc_count++;
  ptcp_conn_post(l, EV_ACCEPT);
}

/* ------------------------------------------------------------------ */
/* State, events, endings                                              */

void ptcp_conn_set_state(ptcp_conn *c, ptcp_state st, ptcp_reason why, ptcp_time now) {
  ptcp_stack *s = c->stack;
  ptcp_state old = (ptcp_state)c->state;

  if (old == st)
    return;
  /* Every transition must be one of RFC 9293's (ptcp_fsm.c). */
  assert(ptcp_transition_allowed(old, st));
  c->state = (uint8_t)st;
  if (s->cb.on_trace) {
    ptcp_trace ev;
    ptcp_trace_init(&ev, PTCP_TRACE_STATE, c, now);
    ev.old_state = old;
    ev.new_state = st;
    ev.reason = why;
    ptcp_stack_trace(s, &ev, &c->pcb);
  }
}

void ptcp_conn_post(ptcp_conn *c, uint8_t ev) {
  ptcp_stack *s = c->stack;

  if (c->flags & CF_DEAD)
    return;
  c->events |= ev;
  if (!(c->flags & CF_EVLINKED)) {
    c->flags |= CF_EVLINKED;
    c->enext = NULL;
    if (s->ev_tail)
      s->ev_tail->enext = c;
    else
      s->ev_head = c;
    s->ev_tail = c;
  }
}

void ptcp_conn_count_reason_first(ptcp_conn *c, ptcp_reason r) {
  if ((unsigned)r >= PTCP_R_COUNT)
    return;
  c->reasons = ptcp_stack_alloc(c->stack, PTCP_R_COUNT * sizeof(uint32_t));
  if (c->reasons != NULL)
    c->reasons[r]++;
}

/* Stops everything and takes the connection out of the demux table. */
static void go_closed(ptcp_conn *c, ptcp_reason why, ptcp_time now) {
  ptcp_stack *s = c->stack;

  if (c->flags & CF_HASHED) {
    ptcp_stack_hash_remove(s, &c->pcb);
    c->flags &= ~(uint32_t)CF_HASHED;
  }
  ptcp_heap_remove(&s->timers, &c->tnode);
  c->t_rtx = c->t_delack = c->t_close = PTCP_TIME_NONE;
  c->rtx_mode = RTX_OFF;
  c->flags &= ~(uint32_t)CF_ACK_NOW;
  ptcp_conn_set_state(c, PTCP_CLOSED, why, now);
  s->stats.conns_closed++;
}

/* The connection failed with |err|: to CLOSED, and tell the user, or
 * free it when nobody holds it.  A half-open connection of a listener
 * goes back to LISTEN (RFC 9293 §3.10.7.4): the listener stays, this
 * one disappears and leaves nothing behind. */
void ptcp_conn_fail(ptcp_conn *c, int err, ptcp_time now) {
  if (c->flags & CF_DEAD)
    return;
  if (c->state == PTCP_SYN_RECEIVED && (c->flags & CF_PASSIVE) && !(c->flags & CF_USER)) {
    ptcp_conn_set_state(c, PTCP_LISTEN, PTCP_R_NONE, now);
    c->state = PTCP_CLOSED; /* not a listener itself */
    ptcp_conn_kill(c);
    return;
  }
  c->err = (int16_t)err;
  go_closed(c, PTCP_R_NONE, now);
  if ((c->flags & CF_USER) && !(c->flags & CF_QUEUED)) {
    ptcp_conn_post(c, (c->flags & CF_CLOSED_EV) ? EV_ERROR : EV_ERROR | EV_CLOSED);
    c->flags |= CF_CLOSED_EV;
  } else {
    ptcp_conn_kill(c);
  }
}

/* An orderly end: LAST-ACK acknowledged, TIME-WAIT expired. */
void ptcp_conn_finish(ptcp_conn *c, ptcp_time now) {
  if (c->flags & CF_DEAD)
    return;
  go_closed(c, PTCP_R_NONE, now);
  if ((c->flags & CF_USER) && !(c->flags & CF_QUEUED)) {
    if (!(c->flags & CF_CLOSED_EV))
      ptcp_conn_post(c, EV_CLOSED);
    c->flags |= CF_CLOSED_EV;
  } else {
    ptcp_conn_kill(c);
  }
}

/* ------------------------------------------------------------------ */
/* Policies                                                            */

uint32_t ptcp_conn_isn(ptcp_conn *c, ptcp_time now) {
  ptcp_stack *s = c->stack;
  ptcp_isn_ctx ctx;

  ctx.local = &c->pcb.laddr;
  ctx.remote = &c->pcb.raddr;
  ctx.local_port = c->pcb.lport;
  ctx.remote_port = c->pcb.rport;
  ctx.now = now;
  return s->isn->generate(s->isn_state, s->isn_params, &ctx);
}

int ptcp_conn_start_policies(ptcp_conn *c, ptcp_time now) {
  const ptcp_dupfilter_ops *df = PTCP_DF_OPS(c);

  memset(c->pstate, 0, sizeof(c->pstate));
  if (c->pext != NULL)
    memset(c->pext, 0, (c->prof->pwords - PTCP_PSTATE_WORDS) * sizeof(uint64_t));
  if (PTCP_RTO_OPS(c)->init(ptcp_pstate(c, PTCP_SLOT_RTO), ptcp_params(c, PTCP_SLOT_RTO),
                            now) != 0)
    return PTCP_ERR_POLICY;
  if (df->init != NULL && df->init(ptcp_pstate(c, PTCP_SLOT_DUPFILTER),
                                   ptcp_params(c, PTCP_SLOT_DUPFILTER), now) != 0) {
    if (PTCP_RTO_OPS(c)->release)
      PTCP_RTO_OPS(c)->release(ptcp_pstate(c, PTCP_SLOT_RTO));
    return PTCP_ERR_POLICY;
  }
  c->flags |= CF_STARTED;
  return 0;
}

/* Congestion control starts once the MSS is known (RFC 5681 §3.1). */
void ptcp_conn_start_cc(ptcp_conn *c, ptcp_time now) {
  if (c->flags & CF_CC_STARTED)
    return;
  if (PTCP_CC_OPS(c)->init(ptcp_pstate(c, PTCP_SLOT_CC), ptcp_params(c, PTCP_SLOT_CC),
                           c->snd_mss, now) == 0)
    c->flags |= CF_CC_STARTED;
}

/* ------------------------------------------------------------------ */
/* OPEN                                                                */

int ptcp_conn_new(ptcp_stack *s, const ptcp_conn_cfg *cfg, ptcp_conn **pconn) {
  const ptcp_profile *prof = NULL;
  ptcp_conn *c;
  int rv;

  if (pconn == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  *pconn = NULL;
  if (s == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  if (cfg == NULL) {
    prof = s->default_profile;
  } else {
    rv = ptcp_profile_get(s, cfg, &prof);
    if (rv != 0)
      return rv;
  }
  rv = ptcp_conn_alloc(s, prof, &c);
  if (rv != 0)
    return rv;
  c->flags |= CF_USER;
  *pconn = c;
  return 0;
}

static int pick_ephemeral(ptcp_stack *s, uint16_t *port, const ptcp_addr *raddr,
                          uint16_t rport, const ptcp_addr *laddr) {
  uint32_t span = (uint32_t)s->eph_hi - s->eph_lo + 1;
  uint32_t start;

  /* RFC 6056 §3.3.1 (algorithm 1): a random starting point. */
  if (ptcp_stack_rand(s, &start, sizeof(start)) != 0)
    return PTCP_ERR_POLICY;
  for (uint32_t i = 0; i < span; i++) {
    uint16_t p = (uint16_t)(s->eph_lo + (start + i) % span);
    if (ptcp_stack_port_used(s, p) || ptcp_stack_find_listener(s, laddr, p) != NULL)
      continue;
    if (raddr != NULL && ptcp_stack_lookup(s, laddr, p, raddr, rport) != NULL)
      continue;
    *port = p;
    return 0;
  }
  return PTCP_ERR_ADDR_NOT_AVAIL;
}

int ptcp_conn_bind(ptcp_conn *c, const ptcp_addr *addr, uint16_t port) {
  ptcp_stack *s;
  ptcp_addr a;
  int rv;

  if (c == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  s = c->stack;
  if (c->state != PTCP_CLOSED || (c->flags & CF_BOUND) || !(c->flags & CF_USER))
    return PTCP_ERR_STATE;
  memset(&a, 0, sizeof(a));
  if (addr != NULL) {
    if (addr->family != PTCP_AF_INET && addr->family != PTCP_AF_INET6)
      return PTCP_ERR_INVALID_ARGUMENT;
    a.family = addr->family;
    memcpy(a.bytes, addr->bytes, addr->family == PTCP_AF_INET ? 4 : 16);
    if (s->naddrs > 0 && !ptcp_stack_is_local(s, &a))
      return PTCP_ERR_ADDR_NOT_AVAIL;
  }
  if (port == 0) {
    rv = pick_ephemeral(s, &port, NULL, 0, &a);
    if (rv != 0)
      return rv;
  } else if (ptcp_stack_port_used(s, port)) {
    /* BSD semantics: one socket per local port, whatever the address. */
    return PTCP_ERR_ADDR_IN_USE;
  }
  rv = ptcp_stack_port_ref(s, port);
  if (rv != 0)
    return rv;
  c->flags |= CF_BOUND;
  c->pcb.laddr = a;
  c->pcb.lport = port;
  return 0;
}

int ptcp_conn_listen(ptcp_conn *c, unsigned backlog) {
  int rv;

  if (c == NULL || backlog == 0 || backlog > UINT16_MAX)
    return PTCP_ERR_INVALID_ARGUMENT;
  /* Only a connection that was never opened may listen: one whose
   * connect failed is CLOSED too, but still holds its peer, policy state
   * and out-of-order ranges, and the ranges share storage with the
   * listener's queues (the union in struct ptcp_conn). */
  if (!(c->flags & CF_BOUND) || c->state != PTCP_CLOSED || !(c->flags & CF_USER) ||
      (c->flags & CF_STARTED) || c->err != 0)
    return PTCP_ERR_STATE;
  rv = ptcp_stack_listener_add(c->stack, c);
  if (rv != 0)
    return rv;
  c->flags |= CF_LISTENER;
  c->backlog = (uint16_t)backlog;
  c->state = PTCP_LISTEN;
  if (c->stack->cb.on_trace) {
    ptcp_trace ev;
    ptcp_trace_init(&ev, PTCP_TRACE_STATE, c, 0);
    ev.old_state = PTCP_CLOSED;
    ptcp_stack_trace(c->stack, &ev, &c->pcb);
  }
  return 0;
}

int ptcp_conn_accept(ptcp_conn *l, ptcp_conn **pconn) {
  ptcp_conn *c;

  if (pconn == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  *pconn = NULL;
  if (l == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  if (l->state != PTCP_LISTEN || !(l->flags & CF_USER) || !(l->flags & CF_LISTENER))
    return PTCP_ERR_STATE;
  c = l->acc_head;
  if (c == NULL)
    return PTCP_ERR_WOULD_BLOCK;
  ptcp_stack_enter(l->stack);
  detach_from_listener(c);
  c->flags |= CF_USER;
  c->user = l->user;
  /* Whatever happened while it waited in the queue is news now. */
  if (c->rbuf.len > 0)
    ptcp_conn_post(c, EV_READABLE);
  if (c->flags & CF_PEER_FIN)
    ptcp_conn_post(c, EV_PEER_FIN | EV_READABLE);
  if (c->state == PTCP_CLOSED)
    ptcp_conn_post(c, c->err ? EV_ERROR | EV_CLOSED : EV_CLOSED);
  *pconn = c;
  ptcp_stack_leave(l->stack);
  return 0;
}

static int source_ok(const ptcp_addr *a) {
  static const uint8_t zero[16] = {0};
  if (a->family == PTCP_AF_INET)
    return memcmp(a->bytes, zero, 4) != 0 && (a->bytes[0] & 0xf0) != 0xe0 &&
           !(a->bytes[0] == 255 && a->bytes[1] == 255 && a->bytes[2] == 255 &&
             a->bytes[3] == 255);
  if (a->family == PTCP_AF_INET6)
    return memcmp(a->bytes, zero, 16) != 0 && a->bytes[0] != 0xff;
  return 0;
}

int ptcp_conn_connect(ptcp_conn *c, const ptcp_addr *addr, uint16_t port, ptcp_time now) {
  ptcp_stack *s;
  ptcp_addr r, l;
  uint16_t lport;
  int rv;

  if (c == NULL || addr == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  s = c->stack;
  if (!(c->flags & CF_USER))
    return PTCP_ERR_STATE;
  if (c->state == PTCP_SYN_SENT)
    return PTCP_ERR_ALREADY;
  if (c->state != PTCP_CLOSED || c->err != 0 || (c->flags & CF_STARTED))
    return PTCP_ERR_STATE;
  if (port == 0 || !source_ok(addr))
    return PTCP_ERR_INVALID_ARGUMENT;
  memset(&r, 0, sizeof(r));
  r.family = addr->family;
  memcpy(r.bytes, addr->bytes, addr->family == PTCP_AF_INET ? 4 : 16);

  if ((c->flags & CF_BOUND) && c->pcb.laddr.family != 0) {
    if (c->pcb.laddr.family != r.family)
      return PTCP_ERR_INVALID_ARGUMENT;
    l = c->pcb.laddr;
  } else {
    const ptcp_addr *src = ptcp_stack_source_for(s, r.family);
    if (src == NULL)
      return PTCP_ERR_ADDR_NOT_AVAIL;
    l = *src;
  }
  if (c->flags & CF_BOUND) {
    lport = c->pcb.lport;
    if (ptcp_stack_lookup(s, &l, lport, &r, port) != NULL)
      return PTCP_ERR_ADDR_IN_USE;
  } else {
    rv = pick_ephemeral(s, &lport, &r, port, &l);
    if (rv != 0)
      return rv;
    rv = ptcp_stack_port_ref(s, lport);
    if (rv != 0)
      return rv;
    c->flags |= CF_BOUND;
  }

  ptcp_stack_enter(s);
  c->pcb.laddr = l;
  c->pcb.lport = lport;
  c->pcb.raddr = r;
  c->pcb.rport = port;
  rv = ptcp_conn_start_policies(c, now);
  if (rv == 0 && c->prof->cfg.timestamps)
    rv = ptcp_stack_rand(s, &c->ts_offset, sizeof(c->ts_offset));
  if (rv != 0) {
    ptcp_stack_leave(s);
    return rv;
  }
  c->iss = ptcp_conn_isn(c, now);
  c->snd_una = c->snd_nxt = c->snd_max = c->iss;
  c->recover = c->iss;
  c->rcv_wscale = c->prof->rcv_wscale;
  c->rcv_mss = (uint16_t)(c->prof->cfg.mss - (r.family == PTCP_AF_INET6 ? 20 : 0));
  ptcp_stack_hash_insert(s, &c->pcb);
  c->flags |= CF_HASHED;
  s->stats.conns_opened++;
  ptcp_conn_set_state(c, PTCP_SYN_SENT, PTCP_R_NONE, now);
  ptcp_output_syn(c, now);
  ptcp_timer_sync(c);
  ptcp_stack_leave(s);
  return 0;
}

/* ------------------------------------------------------------------ */
/* SEND, RECEIVE                                                       */

static int failed_error(const ptcp_conn *c) { return c->err != 0 ? c->err : 0; }

ptcp_ssize ptcp_conn_send(ptcp_conn *c, const void *buf, size_t len, ptcp_time now) {
  ptcp_stack *s;
  uint32_t space, n;

  if (c == NULL || (buf == NULL && len > 0) || !(c->flags & CF_USER))
    return PTCP_ERR_INVALID_ARGUMENT;
  s = c->stack;
  if (failed_error(c))
    return failed_error(c);
  if (c->flags & CF_SHUT_WR)
    return PTCP_ERR_CLOSED;
  if (c->state != PTCP_ESTABLISHED && c->state != PTCP_CLOSE_WAIT)
    return PTCP_ERR_NOT_CONNECTED;
  if (len == 0)
    return 0;
  space = ptcp_ring_space(&c->sbuf);
  if (space == 0) {
    c->flags |= CF_WANT_WRITE;
    return PTCP_ERR_WOULD_BLOCK;
  }
  if (c->sbuf.buf == NULL) {
    c->sbuf.buf = ptcp_stack_buf_get(s, c->sbuf.cap);
    if (c->sbuf.buf == NULL)
      return PTCP_ERR_NOMEM;
    c->sbuf.head = 0;
  }
  n = len < space ? (uint32_t)len : space;
  ptcp_ring_write_at(&c->sbuf, c->sbuf.len, buf, n);
  c->sbuf.len += n;
  if (n < len)
    c->flags |= CF_WANT_WRITE;
  ptcp_stack_enter(s);
  ptcp_output(c, now);
  ptcp_timer_sync(c);
  ptcp_stack_leave(s);
  return (ptcp_ssize)n;
}

ptcp_ssize ptcp_conn_recv(ptcp_conn *c, void *buf, size_t len, ptcp_time now) {
  ptcp_stack *s;
  uint32_t n, before;

  if (c == NULL || (buf == NULL && len > 0) || !(c->flags & CF_USER))
    return PTCP_ERR_INVALID_ARGUMENT;
  s = c->stack;
  if (c->rbuf.len == 0) {
    if (c->flags & CF_PEER_FIN)
      return 0;
    if (failed_error(c))
      return failed_error(c);
    if (c->state == PTCP_CLOSED || c->state == PTCP_LISTEN)
      return PTCP_ERR_NOT_CONNECTED;
    return PTCP_ERR_WOULD_BLOCK;
  }
  if (len == 0)
    return 0;
  n = len < c->rbuf.len ? (uint32_t)len : c->rbuf.len;
  ptcp_ring_read_at(&c->rbuf, 0, buf, n);
  ptcp_ring_consume(&c->rbuf, n);
  if (c->rbuf.len == 0 && c->reasm.n == 0) {
    ptcp_stack_buf_put(s, c->rbuf.buf, c->rbuf.cap);
    c->rbuf.buf = NULL;
    c->rbuf.head = 0;
  }
  /* RFC 9293 §3.8.6.2.2: tell the peer once the window has grown by
   * min(RCV.BUFF/2, MSS), not for every byte read. */
  before = c->rcv_adv - c->rcv_nxt;
  if (ptcp_state_synchronized(c->state) && !(c->flags & CF_PEER_FIN)) {
    /* What could be advertised now: the free space, as far as the
     * window field (scaled) can say it. */
    uint64_t field_max = (uint64_t)UINT16_MAX << c->rcv_wscale;
    uint32_t space = ptcp_ring_space(&c->rbuf) < field_max ? ptcp_ring_space(&c->rbuf)
                                                            : (uint32_t)field_max;
    uint32_t step = c->rbuf.cap / 2 < c->rcv_mss ? c->rbuf.cap / 2 : c->rcv_mss;
    if (space > before && space - before >= step && space - before >= (1u << c->rcv_wscale)) {
      ptcp_stack_enter(s);
      c->flags |= CF_ACK_NOW;
      ptcp_output(c, now);
      ptcp_timer_sync(c);
      ptcp_stack_leave(s);
    }
  }
  return (ptcp_ssize)n;
}

/* ------------------------------------------------------------------ */
/* CLOSE, ABORT                                                        */

int ptcp_conn_shutdown(ptcp_conn *c, ptcp_time now) {
  ptcp_stack *s;

  if (c == NULL || !(c->flags & CF_USER))
    return PTCP_ERR_INVALID_ARGUMENT;
  s = c->stack;
  if (c->flags & CF_SHUT_WR)
    return PTCP_ERR_CLOSED;
  switch (c->state) {
  case PTCP_SYN_RECEIVED:
  case PTCP_ESTABLISHED:
    /* RFC 9293 §3.10.4: queue the FIN after the data, enter FIN-WAIT-1. */
    ptcp_stack_enter(s);
    c->flags |= CF_SHUT_WR;
    ptcp_conn_set_state(c, PTCP_FIN_WAIT_1, PTCP_R_NONE, now);
    break;
  case PTCP_CLOSE_WAIT:
    ptcp_stack_enter(s);
    c->flags |= CF_SHUT_WR;
    ptcp_conn_set_state(c, PTCP_LAST_ACK, PTCP_R_NONE, now);
    break;
  default:
    return c->err ? c->err : PTCP_ERR_NOT_CONNECTED;
  }
  ptcp_output(c, now);
  ptcp_timer_sync(c);
  ptcp_stack_leave(s);
  return 0;
}

static void reset_children(ptcp_conn *l, ptcp_time now) {
  while (l->syn_head != NULL || l->acc_head != NULL) {
    ptcp_conn *c = l->syn_head ? l->syn_head : l->acc_head;
    ptcp_output_rst(c, now);
    detach_from_listener(c);
    c->flags &= ~(uint32_t)CF_USER;
    go_closed(c, PTCP_R_NONE, now);
    ptcp_conn_kill(c);
  }
}

/* RFC 9293 §3.10.5 ABORT: RST if synchronized, drop everything. */
static void abort_conn(ptcp_conn *c, ptcp_time now) {
  switch (c->state) {
  case PTCP_SYN_RECEIVED:
  case PTCP_ESTABLISHED:
  case PTCP_FIN_WAIT_1:
  case PTCP_FIN_WAIT_2:
  case PTCP_CLOSE_WAIT:
    ptcp_output_rst(c, now);
    break;
  default:
    break;
  }
  c->flags &= ~(uint32_t)CF_USER;
  if (c->state == PTCP_LISTEN) {
    /* Out of the listener table first, then the traced LISTEN -> CLOSED
     * (RFC 9293 §3.10.4: "delete TCB"). */
    ptcp_stack_listener_remove(c->stack, c);
    ptcp_conn_set_state(c, PTCP_CLOSED, PTCP_R_NONE, now);
  } else if (c->state != PTCP_CLOSED) {
    go_closed(c, PTCP_R_NONE, now);
  }
  ptcp_conn_kill(c);
}

int ptcp_conn_abort(ptcp_conn *c, ptcp_time now) {
  ptcp_stack *s;

  if (c == NULL || !(c->flags & CF_USER))
    return PTCP_ERR_INVALID_ARGUMENT;
  s = c->stack;
  ptcp_stack_enter(s);
  if (c->state == PTCP_LISTEN)
    reset_children(c, now);
  abort_conn(c, now);
  ptcp_stack_leave(s);
  return 0;
}

int ptcp_conn_close(ptcp_conn *c, ptcp_time now) {
  ptcp_stack *s;
  const ptcp_close_ops *cl;
  ptcp_close_ctx ctx;
  int action;

  if (c == NULL || !(c->flags & CF_USER))
    return PTCP_ERR_INVALID_ARGUMENT;
  s = c->stack;
  ptcp_stack_enter(s);
  switch (c->state) {
  case PTCP_LISTEN:
    reset_children(c, now);
    abort_conn(c, now);
    goto out;
  case PTCP_CLOSED:
  case PTCP_SYN_SENT:
    /* RFC 9293 §3.10.4: SYN-SENT just deletes the TCB; a late SYN-ACK
     * then meets no connection and draws a RST. */
    c->flags &= ~(uint32_t)CF_USER;
    if (c->state != PTCP_CLOSED)
      go_closed(c, PTCP_R_NONE, now);
    ptcp_conn_kill(c);
    goto out;
  case PTCP_TIME_WAIT:
    c->flags &= ~(uint32_t)CF_USER;
    if (ptcp_tw_from_conn(c, now) != 0)
      ptcp_conn_finish(c, now);
    goto out;
  default:
    break;
  }

  cl = PTCP_CLOSE_OPS(c);
  ctx.state = (ptcp_state)c->state;
  ctx.unread = c->rbuf.len + ptcp_reasm_bytes(&c->reasm);
  ctx.unsent = c->sbuf.len;
  ctx.now = now;
  if (cl->close_action != NULL)
    action = cl->close_action(ptcp_params(c, PTCP_SLOT_CLOSE), &ctx);
  else
    action = ctx.unread > 0 ? PTCP_CLOSE_RST : PTCP_CLOSE_FIN; /* RFC 1122 4.2.2.13 */
  if (action == PTCP_CLOSE_RST) {
    abort_conn(c, now);
    goto out;
  }
  /* Orderly: the FIN (if not sent already) follows the data; the user
   * lets go and the engine finishes the exchange on its own. */
  c->flags &= ~(uint32_t)CF_USER;
  unlink_event(c);
  c->events = 0;
  if (!(c->flags & CF_SHUT_WR)) {
    c->flags |= CF_SHUT_WR;
    if (c->state == PTCP_CLOSE_WAIT)
      ptcp_conn_set_state(c, PTCP_LAST_ACK, PTCP_R_NONE, now);
    else if (c->state == PTCP_ESTABLISHED || c->state == PTCP_SYN_RECEIVED)
      ptcp_conn_set_state(c, PTCP_FIN_WAIT_1, PTCP_R_NONE, now);
  }
  if (c->state == PTCP_FIN_WAIT_2 && cl->fin_wait_2_timeout != NULL) {
    ptcp_duration t = cl->fin_wait_2_timeout(ptcp_params(c, PTCP_SLOT_CLOSE),
                                             c->prof->cfg.msl);
    if (t > 0)
      ptcp_timer_set_close(c, ptcp_time_add(now, t));
  }
  ptcp_output(c, now);
  ptcp_timer_sync(c);
out:
  ptcp_stack_leave(s);
  return 0;
}

/* ------------------------------------------------------------------ */
/* STATUS                                                              */

ptcp_state ptcp_conn_state(const ptcp_conn *c) { return (ptcp_state)c->state; }

void ptcp_conn_set_user(ptcp_conn *c, void *user) { c->user = user; }

void *ptcp_conn_user(const ptcp_conn *c) { return c->user; }

void ptcp_conn_status_get(const ptcp_conn *c, ptcp_conn_status *st) {
  const ptcp_rto_ops *rto = PTCP_RTO_OPS(c);
  const ptcp_cc_ops *cc = PTCP_CC_OPS(c);

  memset(st, 0, sizeof(*st));
  st->state = (ptcp_state)c->state;
  st->local = c->pcb.laddr;
  st->remote = c->pcb.raddr;
  st->local_port = c->pcb.lport;
  st->remote_port = c->pcb.rport;
  st->error = c->err;
  st->peer_fin = (c->flags & CF_PEER_FIN) != 0;
  st->shut_wr = (c->flags & CF_SHUT_WR) != 0;
  st->iss = c->iss;
  st->snd_una = c->snd_una;
  st->snd_nxt = c->snd_nxt;
  st->snd_max = c->snd_max;
  st->snd_wnd = c->snd_wnd;
  st->irs = c->irs;
  st->rcv_nxt = c->rcv_nxt;
  st->rcv_wnd = c->rcv_adv - c->rcv_nxt;
  st->snd_mss = c->snd_mss;
  st->rcv_mss = c->rcv_mss;
  st->snd_wscale = c->snd_wscale;
  st->rcv_wscale = c->rcv_wscale;
  st->sack_ok = (c->flags & CF_SACK) != 0;
  st->ts_ok = (c->flags & CF_TS) != 0;
  st->wscale_ok = (c->flags & CF_WS) != 0;
  if (c->flags & CF_CC_STARTED) {
    st->cwnd = cc->cwnd(ptcp_cpstate(c, PTCP_SLOT_CC));
    st->ssthresh = cc->ssthresh ? cc->ssthresh(ptcp_cpstate(c, PTCP_SLOT_CC)) : 0;
  }
  if (c->flags & CF_STARTED) {
    st->rto = ptcp_conn_rto(c);
    st->srtt = rto->srtt ? rto->srtt(ptcp_cpstate(c, PTCP_SLOT_RTO)) : PTCP_TIME_NONE;
  } else {
    st->srtt = PTCP_TIME_NONE;
  }
  st->send_queued = c->sbuf.len;
  st->send_space = (c->state == PTCP_ESTABLISHED || c->state == PTCP_CLOSE_WAIT) &&
                           !(c->flags & CF_SHUT_WR)
                       ? ptcp_ring_space(&c->sbuf)
                       : 0;
  st->recv_queued = c->rbuf.len;
  st->ooo_bytes = (c->flags & CF_LISTENER) ? 0 : ptcp_reasm_bytes(&c->reasm);
  st->segs_in = c->segs_in;
  st->segs_out = c->segs_out;
  st->bytes_in = c->bytes_in;
  st->bytes_out = c->bytes_out;
  st->retransmits = c->retransmits;
  st->timeouts = c->timeouts;
  st->fast_retransmits = c->fast_retransmits;
  st->spurious_timeouts = c->spurious;
  st->rtt_samples = c->rtt_samples;
  if (c->reasons != NULL)
    for (int i = 0; i < PTCP_R_COUNT; i++)
      st->reasons[i] = c->reasons[i];
  st->policy[PTCP_SLOT_ISN] = c->stack->isn->info.name;
  for (int i = PTCP_SLOT_RTO; i < PTCP_SLOT_COUNT; i++)
    st->policy[i] = c->prof->sel[i]->ops->name;
}

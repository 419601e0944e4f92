/*
 * plugsim: a node hosts one libplugtcp stack over minimal IPv4.
 *
 *   stack emit --> pool packet --> route by destination --> link send
 *   link deliver --> ptcp_stack_input --> free the packet --> sync timer
 *
 * One scheduler event per node tracks the stack's earliest deadline; see
 * plugsim/node.h for why it is moved lazily.
 */
#include <stdio.h>
#include <string.h>

#include "psim_node_int.h"

/* Offsets of the addresses in the IPv4 header (RFC 791 §3.1). */
#define IPV4_SRC_OFF 12u
#define IPV4_DST_OFF 16u

typedef struct iface {
  psim_node *node;
  psim_link *link;
  unsigned end;
  int has_peer;
  ptcp_addr peer;
} iface;

struct psim_node {
  const ptcp_mem *mem;
  psim_sched *sched;
  psim_pool *pool;
  ptcp_stack *stack;
  psim_rng rng;
  char name[PSIM_NODE_NAME_MAX + 1];
  ptcp_addr addr;
  iface ifaces[PSIM_NODE_IFACES_MAX];
  unsigned nifaces;
  int default_iface; /* -1: none */
  psim_event timer;
  ptcp_time timer_at; /* when |timer| is due, NONE when it is not pending */
  psim_node_observer obs;
  psim_sock *socks; /* open sockets */
  psim_node_stats stats;
};

void psim_node_cfg_init(psim_node_cfg *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  ptcp_stack_cfg_default(&cfg->stack);
}

static int name_ok(const char *name) {
  size_t n = strlen(name);

  if (n == 0 || n > PSIM_NODE_NAME_MAX)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char ch = name[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
          (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-'))
      return 0;
  }
  return 1;
}

/* ------------------------------------------------------------------ */
/* Time                                                                */

static void on_timer(psim_sched *sched, ptcp_time now, void *a, void *b);

void psim_node_sync(psim_node *n) {
  ptcp_time due = ptcp_stack_next_deadline(n->stack);
  ptcp_time now = psim_sched_now(n->sched);

  if (due == PTCP_TIME_NONE)
    return; /* a pending event fires early, harmlessly, and is not renewed */
  if (due < now)
    due = now;
  /* Lazy: an event due no later than the deadline stays where it is. */
  if (n->timer_at != PTCP_TIME_NONE && n->timer_at <= due)
    return;
  if (n->timer_at != PTCP_TIME_NONE) {
    if (psim_sched_reschedule(n->sched, n->timer, due) == 0) {
      n->timer_at = due;
      return;
    }
  }
  if (psim_sched_at(n->sched, due, on_timer, n, NULL, &n->timer) == 0)
    n->timer_at = due;
  else
    /* The scheduler could not grow: the simulation cannot go on. */
    psim_sched_stop(n->sched, PTCP_ERR_NOMEM);
}

static void on_timer(psim_sched *sched, ptcp_time now, void *a, void *b) {
  psim_node *n = a;
  int rv;

  (void)b;
  n->timer = PSIM_EVENT_NONE;
  n->timer_at = PTCP_TIME_NONE;
  n->stats.timer_events++;
  rv = ptcp_stack_on_timer(n->stack, now);
  if (rv != 0)
    psim_sched_stop(sched, rv);
  psim_node_sync(n);
}

/* ------------------------------------------------------------------ */
/* Packets                                                             */

static iface *route(psim_node *n, const uint8_t *pkt, size_t len) {
  ptcp_addr dst;

  if (len >= PTCP_IPV4_HDR_LEN && (pkt[0] >> 4) == 4) {
    dst = ptcp_addr_v4(pkt[IPV4_DST_OFF], pkt[IPV4_DST_OFF + 1], pkt[IPV4_DST_OFF + 2],
                       pkt[IPV4_DST_OFF + 3]);
    for (unsigned i = 0; i < n->nifaces; i++)
      if (n->ifaces[i].has_peer && ptcp_addr_equal(&n->ifaces[i].peer, &dst))
        return &n->ifaces[i];
  }
  return n->default_iface >= 0 ? &n->ifaces[n->default_iface] : NULL;
}

static int node_emit(void *user, const uint8_t *data, size_t len) {
  psim_node *n = user;
  psim_pkt *pkt;
  iface *ifc;
  int rv;

  n->stats.packets_out++;
  ifc = route(n, data, len);
  if (ifc == NULL) {
    n->stats.no_route++;
    return -1;
  }
  if (psim_pkt_copy_in(n->pool, data, len, &pkt) != 0) {
    n->stats.pool_failures++;
    return -1;
  }
  rv = psim_link_send(ifc->link, ifc->end, pkt);
  if (rv < 0) {
    /* The link left the packet with us (its scheduler could not grow). */
    psim_pkt_free(pkt);
    psim_sched_stop(n->sched, rv);
    return -1;
  }
  /* 1 is a drop-tail drop: a loss in the network, not the stack's failure. */
  return 0;
}

static void node_deliver(void *ctx, psim_pkt *pkt, ptcp_time now) {
  iface *ifc = ctx;
  psim_node *n = ifc->node;
  int rv;

  n->stats.packets_in++;
  rv = ptcp_stack_input(n->stack, pkt->data, pkt->len, now);
  if (rv < 0) {
    n->stats.input_errors++;
    if (n->obs.on_input_error != NULL)
      n->obs.on_input_error(n->obs.ctx, n, rv, pkt->data, pkt->len, now);
    if (ptcp_err_is_fatal(rv))
      psim_sched_stop(n->sched, rv);
  }
  psim_pkt_free(pkt);
  psim_node_sync(n);
}

/* ------------------------------------------------------------------ */
/* Engine callbacks                                                    */

static void to_sock(ptcp_conn *conn, psim_sock_event ev, int err) {
  psim_sock *s = ptcp_conn_user(conn);

  if (s != NULL)
    psim_sock_event_in(s, conn, ev, err);
}

static void cb_accept(void *user, ptcp_conn *l) {
  (void)user;
  to_sock(l, PSIM_SOCK_EV_ACCEPT, 0);
}

static void cb_connected(void *user, ptcp_conn *c) {
  (void)user;
  to_sock(c, PSIM_SOCK_EV_CONNECTED, 0);
}

static void cb_readable(void *user, ptcp_conn *c) {
  (void)user;
  to_sock(c, PSIM_SOCK_EV_READABLE, 0);
}

static void cb_writable(void *user, ptcp_conn *c) {
  (void)user;
  to_sock(c, PSIM_SOCK_EV_WRITABLE, 0);
}

static void cb_peer_fin(void *user, ptcp_conn *c) {
  (void)user;
  to_sock(c, PSIM_SOCK_EV_PEER_FIN, 0);
}

static void cb_error(void *user, ptcp_conn *c, int err) {
  (void)user;
  to_sock(c, PSIM_SOCK_EV_ERROR, err);
}

static void cb_closed(void *user, ptcp_conn *c, int err) {
  (void)user;
  to_sock(c, PSIM_SOCK_EV_CLOSED, err);
}

/* Counts what the summary needs, then hands the event on. */
static void cb_trace(void *user, const ptcp_trace *ev) {
  psim_node *n = user;
  psim_node_stats *st = &n->stats;

  switch (ev->kind) {
  case PTCP_TRACE_SEG_OUT:
    st->segs_out++;
    if (ev->seg->payload_len > 0)
      st->data_segs_out++;
    if (ev->retransmit)
      st->retransmits++;
    break;
  case PTCP_TRACE_TIMER:
    if (ev->timer == PTCP_TIMER_RETRANSMIT || ev->timer == PTCP_TIMER_SYN)
      st->timeouts++;
    else if (ev->timer == PTCP_TIMER_PERSIST)
      st->persist_probes++;
    break;
  case PTCP_TRACE_RTT:
    st->rtt_samples++;
    if (st->rtt_min == PTCP_TIME_NONE || ev->rtt < st->rtt_min)
      st->rtt_min = ev->rtt;
    if (ev->rtt > st->rtt_max)
      st->rtt_max = ev->rtt;
    st->rtt_sum =
        st->rtt_sum + ev->rtt < st->rtt_sum ? UINT64_MAX : st->rtt_sum + ev->rtt;
    break;
  default:
    break;
  }
  if (n->obs.on_trace != NULL)
    n->obs.on_trace(n->obs.ctx, n, ev);
}

/* ------------------------------------------------------------------ */
/* Life                                                                */

int psim_node_new(psim_node **pnode, psim_sched *sched, psim_pool *pool,
                  const psim_node_cfg *cfg, const ptcp_mem *mem) {
  ptcp_stack_cfg scfg;
  psim_node *n;
  char label[PSIM_NODE_NAME_MAX + 16];
  int rv;

  if (pnode == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  *pnode = NULL;
  if (sched == NULL || pool == NULL || cfg == NULL || cfg->name == NULL ||
      !name_ok(cfg->name) || cfg->addr.family != PTCP_AF_INET)
    return PTCP_ERR_INVALID_ARGUMENT;
  if (mem == NULL)
    mem = ptcp_mem_default();
  n = mem->calloc(1, sizeof(*n), mem->user_data);
  if (n == NULL)
    return PTCP_ERR_NOMEM;
  n->mem = mem;
  n->sched = sched;
  n->pool = pool;
  snprintf(n->name, sizeof(n->name), "%s", cfg->name);
  n->addr = cfg->addr;
  n->default_iface = -1;
  n->timer_at = PTCP_TIME_NONE;
  n->stats.rtt_min = PTCP_TIME_NONE;
  snprintf(label, sizeof(label), "node:%s/stack", n->name);
  psim_rng_init(&n->rng, cfg->seed, label);

  scfg = cfg->stack;
  scfg.mem = mem;
  scfg.rand = psim_rand_fill;
  scfg.rand_ctx = &n->rng;
  scfg.user = n;
  memset(&scfg.callbacks, 0, sizeof(scfg.callbacks));
  scfg.callbacks.emit = node_emit;
  scfg.callbacks.on_accept = cb_accept;
  scfg.callbacks.on_connected = cb_connected;
  scfg.callbacks.on_readable = cb_readable;
  scfg.callbacks.on_writable = cb_writable;
  scfg.callbacks.on_peer_fin = cb_peer_fin;
  scfg.callbacks.on_error = cb_error;
  scfg.callbacks.on_closed = cb_closed;
  scfg.callbacks.on_trace = cb_trace;
  rv = ptcp_stack_new(&n->stack, &scfg, psim_sched_now(sched));
  if (rv == 0)
    rv = ptcp_stack_add_addr(n->stack, &n->addr);
  if (rv != 0) {
    ptcp_stack_free(n->stack);
    mem->free(n, mem->user_data);
    return rv;
  }
  *pnode = n;
  return 0;
}

void psim_node_del(psim_node *n) {
  if (n == NULL)
    return;
  psim_sched_cancel(n->sched, n->timer);
  while (n->socks != NULL) {
    psim_sock *s = n->socks;
    n->socks = s->next;
    n->mem->free(s, n->mem->user_data);
  }
  for (unsigned i = 0; i < n->nifaces; i++)
    psim_link_attach(n->ifaces[i].link, n->ifaces[i].end, NULL, NULL);
  ptcp_stack_free(n->stack);
  n->mem->free(n, n->mem->user_data);
}

int psim_node_add_iface(psim_node *n, psim_link *link, unsigned end,
                        const ptcp_addr *peer) {
  iface *ifc;
  int rv;

  if (n == NULL || link == NULL || end > PSIM_LINK_B ||
      (peer != NULL && peer->family != PTCP_AF_INET))
    return PTCP_ERR_INVALID_ARGUMENT;
  if (n->nifaces == PSIM_NODE_IFACES_MAX)
    return PTCP_ERR_LIMIT;
  ifc = &n->ifaces[n->nifaces];
  memset(ifc, 0, sizeof(*ifc));
  ifc->node = n;
  ifc->link = link;
  ifc->end = end;
  if (peer != NULL) {
    ifc->has_peer = 1;
    ifc->peer = *peer;
  }
  rv = psim_link_attach(link, end, node_deliver, ifc);
  if (rv != 0)
    return rv;
  if (n->default_iface < 0 && peer == NULL)
    n->default_iface = (int)n->nifaces;
  return (int)n->nifaces++;
}

void psim_node_set_observer(psim_node *n, const psim_node_observer *obs) {
  if (obs != NULL)
    n->obs = *obs;
  else
    memset(&n->obs, 0, sizeof(n->obs));
}

ptcp_stack *psim_node_stack(const psim_node *n) { return n->stack; }
psim_sched *psim_node_sched(const psim_node *n) { return n->sched; }
ptcp_time psim_node_now(const psim_node *n) { return psim_sched_now(n->sched); }
const char *psim_node_name(const psim_node *n) { return n->name; }
const ptcp_addr *psim_node_addr(const psim_node *n) { return &n->addr; }
const psim_node_stats *psim_node_get_stats(const psim_node *n) { return &n->stats; }
const ptcp_mem *psim_node_mem(const psim_node *n) { return n->mem; }

void psim_node_sock_link(psim_node *n, psim_sock *s) {
  s->prev = NULL;
  s->next = n->socks;
  if (n->socks != NULL)
    n->socks->prev = s;
  n->socks = s;
}

void psim_node_sock_unlink(psim_node *n, psim_sock *s) {
  if (s->prev != NULL)
    s->prev->next = s->next;
  else
    n->socks = s->next;
  if (s->next != NULL)
    s->next->prev = s->prev;
  s->next = s->prev = NULL;
}

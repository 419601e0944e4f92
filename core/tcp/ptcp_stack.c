/*
 * plugtcp engine: the stack.  One per host.  It owns the connections,
 * finds the one each segment belongs to (or the listener, or nobody, in
 * which case it answers with RST per RFC 9293 §3.5.2), keeps the timer
 * heap, and delivers the user's events once a call is done.
 *
 * Call order for a packet:
 *   ptcp_stack_input -> input_segment -> ptcp_input_conn / ptcp_tw_input /
 *   ptcp_input_listen / ptcp_input_closed, then ptcp_stack_leave runs the
 *   queued events and frees what died.
 */
#include <stddef.h>

#include "ptcp_conn.h"

#define container_of(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))

/* ------------------------------------------------------------------ */
/* Configuration                                                       */

void ptcp_conn_cfg_default(ptcp_conn_cfg *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->mss = 1460;
  cfg->sndbuf = 256 * 1024;
  cfg->rcvbuf = 256 * 1024;
  cfg->msl = 120 * PTCP_SECONDS;      /* RFC 9293 §3.4.2 */
  cfg->delack = 200 * PTCP_MILLISECONDS;
  cfg->nagle = 1;
  cfg->keepalive = 0;                 /* RFC 9293 MUST-24: off by default */
  cfg->keepalive_idle = 7200 * PTCP_SECONDS;
  cfg->keepalive_interval = 75 * PTCP_SECONDS;
  cfg->keepalive_count = 9;
  /* RFC 9293 §3.8.3 MUST-23: keep retransmitting a SYN for at least 3
   * minutes.  With rfc6298's 1 s initial RTO, doubling, capped at 60 s,
   * 7 retransmissions go out until 123 s and the open fails at 183 s;
   * 6 gave up at 123 s. */
  cfg->syn_retries = 7;
  cfg->data_retries = 15;
  cfg->window_scaling = 1;
  cfg->timestamps = 1;
  cfg->sack = 1;
}

void ptcp_stack_cfg_default(ptcp_stack_cfg *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  ptcp_conn_cfg_default(&cfg->conn);
  cfg->max_conns = 1u << 20;
  cfg->ephemeral_lo = 49152;          /* RFC 6335 §6 */
  cfg->ephemeral_hi = 65535;
  cfg->ttl = 64;
  cfg->challenge_ack_limit = 10;
}

/* ------------------------------------------------------------------ */
/* Memory and randomness                                               */

void *ptcp_stack_alloc(ptcp_stack *s, size_t n) {
  return s->mem.calloc(1, n, s->mem.user_data);
}

void ptcp_stack_free_mem(ptcp_stack *s, void *p) {
  if (p != NULL)
    s->mem.free(p, s->mem.user_data);
}

int ptcp_stack_rand(ptcp_stack *s, void *dest, size_t len) {
  return s->rand(s->rand_ctx, dest, len) == 0 ? 0 : PTCP_ERR_POLICY;
}

uint8_t *ptcp_stack_buf_get(ptcp_stack *s, uint32_t cap) {
  for (unsigned i = 0; i < s->nbuf_cache; i++) {
    if (s->buf_cache_cap[i] == cap) {
      uint8_t *b = s->buf_cache[i];
      s->nbuf_cache--;
      s->buf_cache[i] = s->buf_cache[s->nbuf_cache];
      s->buf_cache_cap[i] = s->buf_cache_cap[s->nbuf_cache];
      return b;
    }
  }
  return s->mem.malloc(cap, s->mem.user_data);
}

void ptcp_stack_buf_put(ptcp_stack *s, uint8_t *buf, uint32_t cap) {
  if (buf == NULL)
    return;
  if (s->nbuf_cache < PTCP_BUF_CACHE) {
    s->buf_cache[s->nbuf_cache] = buf;
    s->buf_cache_cap[s->nbuf_cache] = cap;
    s->nbuf_cache++;
    return;
  }
  s->mem.free(buf, s->mem.user_data);
}

/* ------------------------------------------------------------------ */
/* Addresses                                                           */

static void addr_norm(ptcp_addr *dst, const ptcp_addr *src) {
  memset(dst, 0, sizeof(*dst));
  dst->family = src->family;
  memcpy(dst->bytes, src->bytes, src->family == PTCP_AF_INET ? 4 : 16);
}

int ptcp_stack_is_local(const ptcp_stack *s, const ptcp_addr *a) {
  ptcp_addr n;

  addr_norm(&n, a);
  for (unsigned i = 0; i < s->naddrs; i++)
    if (memcmp(&s->addrs[i], &n, sizeof(n)) == 0)
      return 1;
  return 0;
}

const ptcp_addr *ptcp_stack_source_for(const ptcp_stack *s, uint8_t family) {
  for (unsigned i = 0; i < s->naddrs; i++)
    if (s->addrs[i].family == family)
      return &s->addrs[i];
  return NULL;
}

/* A source no connection can come from (RFC 1122 4.2.3.10: a SYN from a
 * broadcast or multicast address is discarded; so is the unspecified
 * address, which nothing can answer). */
static int source_valid(const ptcp_addr *a) {
  static const uint8_t zero[16] = {0};

  if (a->family == PTCP_AF_INET) {
    if (memcmp(a->bytes, zero, 4) == 0)
      return 0;
    if ((a->bytes[0] & 0xf0) == 0xe0) /* 224.0.0.0/4 */
      return 0;
    if (a->bytes[0] == 255 && a->bytes[1] == 255 && a->bytes[2] == 255 &&
        a->bytes[3] == 255)
      return 0;
    return 1;
  }
  if (memcmp(a->bytes, zero, 16) == 0)
    return 0;
  return a->bytes[0] != 0xff; /* ff00::/8 */
}

int ptcp_stack_add_addr(ptcp_stack *s, const ptcp_addr *addr) {
  ptcp_addr a;

  if (s == NULL || addr == NULL ||
      (addr->family != PTCP_AF_INET && addr->family != PTCP_AF_INET6) ||
      !source_valid(addr))
    return PTCP_ERR_INVALID_ARGUMENT;
  addr_norm(&a, addr);
  if (ptcp_stack_is_local(s, &a))
    return PTCP_ERR_EXISTS;
  if (s->naddrs == PTCP_MAX_ADDRS)
    return PTCP_ERR_LIMIT;
  s->addrs[s->naddrs++] = a;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Demux table                                                         */

static uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v;
  h *= 0x9e3779b97f4a7c15ULL;
  return h ^ (h >> 31);
}

/* Seeded per stack, so a peer cannot aim its 4-tuples at one bucket. */
static uint32_t tuple_hash(const ptcp_stack *s, const ptcp_addr *l, uint16_t lp,
                           const ptcp_addr *r, uint16_t rp) {
  uint64_t h = s->hseed, w[4];

  memcpy(w, l->bytes, 16);
  memcpy(w + 2, r->bytes, 16);
  for (int i = 0; i < 4; i++)
    h = mix(h, w[i]);
  h = mix(h, (uint64_t)lp << 16 | rp);
  return (uint32_t)(h ^ (h >> 32));
}

/* Addresses in the table and in lookups are normalized (unused bytes
 * zero), so whole-struct comparison is exact. */
static int addr_eq(const ptcp_addr *a, const ptcp_addr *b) {
  return memcmp(a, b, sizeof(*a)) == 0;
}

static int pcb_matches(const ptcp_pcb *p, const ptcp_addr *l, uint16_t lp,
                       const ptcp_addr *r, uint16_t rp) {
  return p->lport == lp && p->rport == rp && addr_eq(&p->laddr, l) && addr_eq(&p->raddr, r);
}

static void hash_grow(ptcp_stack *s) {
  uint32_t ncap = (s->hmask + 1) * 2;
  ptcp_pcb **nt = s->mem.calloc(ncap, sizeof(*nt), s->mem.user_data);

  if (nt == NULL)
    return; /* keep the old table: chains just get longer */
  for (uint32_t i = 0; i <= s->hmask; i++) {
    ptcp_pcb *p = s->htab[i];
    while (p != NULL) {
      ptcp_pcb *next = p->hnext;
      uint32_t b = tuple_hash(s, &p->laddr, p->lport, &p->raddr, p->rport) & (ncap - 1);
      p->hnext = nt[b];
      nt[b] = p;
      p = next;
    }
  }
  s->mem.free(s->htab, s->mem.user_data);
  s->htab = nt;
  s->hmask = ncap - 1;
}

void ptcp_stack_hash_insert(ptcp_stack *s, ptcp_pcb *p) {
  uint32_t b;

  if (s->hcount + 1 > (s->hmask + 1) / 4 * 3)
    hash_grow(s);
  b = tuple_hash(s, &p->laddr, p->lport, &p->raddr, p->rport) & s->hmask;
  p->hnext = s->htab[b];
  s->htab[b] = p;
  s->hcount++;
}

void ptcp_stack_hash_remove(ptcp_stack *s, ptcp_pcb *p) {
  uint32_t b = tuple_hash(s, &p->laddr, p->lport, &p->raddr, p->rport) & s->hmask;
  ptcp_pcb **pp = &s->htab[b];

  if (s->last_hit == p)
    s->last_hit = NULL;
  while (*pp != NULL) {
    if (*pp == p) {
      *pp = p->hnext;
      p->hnext = NULL;
      s->hcount--;
      return;
    }
    pp = &(*pp)->hnext;
  }
}

ptcp_pcb *ptcp_stack_lookup(ptcp_stack *s, const ptcp_addr *l, uint16_t lp,
                            const ptcp_addr *r, uint16_t rp) {
  uint32_t b;

  /* Segments come in trains: the last hit is checked before hashing. */
  if (s->last_hit != NULL && pcb_matches(s->last_hit, l, lp, r, rp))
    return s->last_hit;
  b = tuple_hash(s, l, lp, r, rp) & s->hmask;
  for (ptcp_pcb *p = s->htab[b]; p != NULL; p = p->hnext) {
    if (pcb_matches(p, l, lp, r, rp)) {
      s->last_hit = p;
      return p;
    }
  }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Listeners and ports                                                 */

int ptcp_stack_listener_add(ptcp_stack *s, ptcp_conn *c) {
  if (s->nlisteners == s->listeners_cap) {
    unsigned cap = s->listeners_cap ? s->listeners_cap * 2 : 8;
    ptcp_conn **v = s->mem.realloc(s->listeners, cap * sizeof(*v), s->mem.user_data);
    if (v == NULL)
      return PTCP_ERR_NOMEM;
    s->listeners = v;
    s->listeners_cap = cap;
  }
  s->listeners[s->nlisteners++] = c;
  return 0;
}

void ptcp_stack_listener_remove(ptcp_stack *s, ptcp_conn *c) {
  for (unsigned i = 0; i < s->nlisteners; i++) {
    if (s->listeners[i] == c) {
      s->listeners[i] = s->listeners[--s->nlisteners];
      return;
    }
  }
}

/* An exact address match wins over a wildcard listener. */
ptcp_conn *ptcp_stack_find_listener(ptcp_stack *s, const ptcp_addr *laddr,
                                    uint16_t lport) {
  ptcp_conn *wild = NULL;

  for (unsigned i = 0; i < s->nlisteners; i++) {
    ptcp_conn *l = s->listeners[i];
    if (l->pcb.lport != lport)
      continue;
    if (l->pcb.laddr.family == 0) {
      wild = l;
    } else if (ptcp_addr_equal(&l->pcb.laddr, laddr)) {
      return l;
    }
  }
  return wild;
}

static uint32_t *port_slot(const ptcp_portmap *m, uint16_t port) {
  uint32_t i = (uint32_t)port * 2654435761u;

  for (uint32_t n = 0; n < m->cap; n++) {
    uint32_t *slot = &m->slots[(i + n) & (m->cap - 1)];
    if (*slot == 0 || (*slot >> 16) == port)
      return slot;
  }
  return NULL;
}

int ptcp_stack_port_used(const ptcp_stack *s, uint16_t port) {
  uint32_t *slot;

  if (s->ports.cap == 0)
    return 0;
  slot = port_slot(&s->ports, port);
  return slot != NULL && *slot != 0 && (*slot >> 16) == port;
}

static int portmap_grow(ptcp_stack *s) {
  ptcp_portmap old = s->ports, nm;

  nm.cap = old.cap ? old.cap * 2 : 64;
  nm.used = 0;
  nm.slots = s->mem.calloc(nm.cap, sizeof(uint32_t), s->mem.user_data);
  if (nm.slots == NULL)
    return PTCP_ERR_NOMEM;
  for (uint32_t i = 0; i < old.cap; i++) {
    if (old.slots[i] != 0) {
      *port_slot(&nm, (uint16_t)(old.slots[i] >> 16)) = old.slots[i];
      nm.used++;
    }
  }
  s->mem.free(old.slots, s->mem.user_data);
  s->ports = nm;
  return 0;
}

/* Port references are counted (port << 16 | count); port 0 is never used. */
int ptcp_stack_port_ref(ptcp_stack *s, uint16_t port) {
  uint32_t *slot;

  if ((s->ports.used + 1) * 4 > s->ports.cap * 3 && portmap_grow(s) != 0)
    return PTCP_ERR_NOMEM;
  slot = port_slot(&s->ports, port);
  if (*slot == 0) {
    *slot = (uint32_t)port << 16 | 1;
    s->ports.used++;
  } else if ((*slot & 0xffff) < 0xffff) {
    (*slot)++;
  } else {
    return PTCP_ERR_LIMIT;
  }
  return 0;
}

void ptcp_stack_port_unref(ptcp_stack *s, uint16_t port) {
  uint32_t *slot;

  if (s->ports.cap == 0)
    return;
  slot = port_slot(&s->ports, port);
  if (slot == NULL || *slot == 0 || (*slot >> 16) != port)
    return;
  if ((*slot & 0xffff) > 1) {
    (*slot)--;
    return;
  }
  /* Removing from open addressing: re-insert the rest of the cluster. */
  *slot = 0;
  s->ports.used--;
  for (uint32_t i = (uint32_t)(slot - s->ports.slots + 1) & (s->ports.cap - 1);
       s->ports.slots[i] != 0; i = (i + 1) & (s->ports.cap - 1)) {
    uint32_t v = s->ports.slots[i];
    s->ports.slots[i] = 0;
    *port_slot(&s->ports, (uint16_t)(v >> 16)) = v;
  }
}

/* ------------------------------------------------------------------ */
/* Output helpers                                                      */

void ptcp_stack_emit(ptcp_stack *s, const uint8_t *pkt, size_t len) {
  s->stats.packets_out++;
  if (s->cb.emit(s->user, pkt, len) != 0)
    s->stats.emit_failures++;
}

void ptcp_stack_trace(ptcp_stack *s, ptcp_trace *ev, const ptcp_pcb *key) {
  ev->local = &key->laddr;
  ev->remote = &key->raddr;
  ev->local_port = key->lport;
  ev->remote_port = key->rport;
  s->cb.on_trace(s->user, ev);
}

void ptcp_stack_count_reason(ptcp_stack *s, ptcp_reason r) {
  if ((unsigned)r < PTCP_R_COUNT)
    s->stats.reasons[r]++;
}

void ptcp_stack_trace_seg_in(ptcp_stack *s, const ptcp_conn *c, const ptcp_pcb *key,
                             const ptcp_seg *seg, ptcp_verdict v, ptcp_reason r,
                             ptcp_time now) {
  ptcp_stack_count_reason(s, r);
  if (s->cb.on_trace) {
    ptcp_trace ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = PTCP_TRACE_SEG_IN;
    ev.now = now;
    ev.conn = c;
    ev.seg = seg;
    ev.verdict = v;
    ev.reason = r;
    if (c != NULL)
      ev.old_state = ev.new_state = (ptcp_state)c->state;
    ptcp_stack_trace(s, &ev, key);
  }
}

/* ------------------------------------------------------------------ */
/* Deferred events and frees                                           */

void ptcp_stack_enter(ptcp_stack *s) { s->depth++; }

static void dispatch(ptcp_stack *s) {
  const ptcp_callbacks *cb = &s->cb;
  ptcp_conn *c;

  s->dispatching = 1;
  while ((c = s->ev_head) != NULL) {
    uint8_t ev;

    s->ev_head = c->enext;
    if (s->ev_head == NULL)
      s->ev_tail = NULL;
    c->enext = NULL;
    c->flags &= ~(uint32_t)CF_EVLINKED;
    ev = c->events;
    c->events = 0;
    /* Each check re-reads CF_USER: a callback may close the connection. */
#define DELIVER(bit, call)                                                     \
  if ((ev & (bit)) && (c->flags & CF_USER) && !(c->flags & CF_DEAD)) {          \
    call;                                                                      \
  }
    DELIVER(EV_ACCEPT, if (cb->on_accept) cb->on_accept(s->user, c));
    DELIVER(EV_CONNECTED, if (cb->on_connected) cb->on_connected(s->user, c));
    DELIVER(EV_READABLE, if (cb->on_readable) cb->on_readable(s->user, c));
    DELIVER(EV_WRITABLE, if (cb->on_writable) cb->on_writable(s->user, c));
    DELIVER(EV_PEER_FIN, if (cb->on_peer_fin) cb->on_peer_fin(s->user, c));
    DELIVER(EV_ERROR, if (cb->on_error) cb->on_error(s->user, c, c->err));
    DELIVER(EV_CLOSED, if (cb->on_closed) cb->on_closed(s->user, c, c->err));
#undef DELIVER
  }
  s->dispatching = 0;
}

void ptcp_stack_leave(ptcp_stack *s) {
  if (--s->depth > 0 || s->dispatching)
    return;
  dispatch(s);
  while (s->dead != NULL) {
    ptcp_conn *c = s->dead;
    s->dead = c->enext;
    c->enext = NULL;
    ptcp_conn_destroy(c);
  }
}

/* ------------------------------------------------------------------ */
/* Life                                                                */

static int default_seed(ptcp_stack *s) {
  uint64_t seed;
  int rv = ptcp_stack_rand(s, &seed, sizeof(seed));
  s->hseed = seed;
  return rv;
}

int ptcp_stack_new(ptcp_stack **pstack, const ptcp_stack_cfg *cfg, ptcp_time now) {
  const ptcp_mem *mem;
  ptcp_stack *s;
  ptcp_policy_env env;
  int rv;

  if (pstack == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  *pstack = NULL;
  if (cfg == NULL || cfg->rand == NULL || cfg->callbacks.emit == NULL ||
      cfg->ephemeral_lo == 0 || cfg->ephemeral_lo > cfg->ephemeral_hi ||
      cfg->max_conns == 0 || cfg->challenge_ack_limit == 0)
    return PTCP_ERR_INVALID_ARGUMENT;
  mem = cfg->mem ? cfg->mem : ptcp_mem_default();

  s = mem->calloc(1, sizeof(*s), mem->user_data);
  if (s == NULL)
    return PTCP_ERR_NOMEM;
  s->mem = *mem;
  s->rand = cfg->rand;
  s->rand_ctx = cfg->rand_ctx;
  s->cb = cfg->callbacks;
  s->user = cfg->user;
  s->max_conns = cfg->max_conns;
  s->eph_lo = cfg->ephemeral_lo;
  s->eph_hi = cfg->ephemeral_hi;
  s->ttl = cfg->ttl ? cfg->ttl : 64;
  s->challenge_limit = cfg->challenge_ack_limit;

  if (cfg->registry != NULL) {
    s->registry = cfg->registry;
  } else {
    rv = ptcp_registry_new(&s->own_registry, mem);
    if (rv != 0)
      goto fail;
    rv = ptcp_registry_add_builtins(s->own_registry);
    if (rv != 0)
      goto fail;
    s->registry = s->own_registry;
  }

  rv = PTCP_ERR_NOMEM;
  s->pkt = mem->malloc(PTCP_PKT_CAP, mem->user_data);
  s->htab = mem->calloc(256, sizeof(*s->htab), mem->user_data);
  if (s->pkt == NULL || s->htab == NULL)
    goto fail;
  s->hmask = 255;
  rv = default_seed(s);
  if (rv != 0)
    goto fail;
  {
    uint16_t id;
    rv = ptcp_stack_rand(s, &id, sizeof(id));
    if (rv != 0)
      goto fail;
    s->ip_id = id;
  }

  rv = ptcp_profile_defaults(s, cfg);
  if (rv != 0)
    goto fail;

  /* The ISN policy's state is per stack: its secret (RFC 6528 §3). */
  s->isn = (const ptcp_isn_ops *)s->default_sel[PTCP_SLOT_ISN]->ops;
  s->isn_params = s->default_sel[PTCP_SLOT_ISN]->params;
  s->isn_state = mem->calloc(1, s->isn->info.state_size + 8, mem->user_data);
  if (s->isn_state == NULL) {
    rv = PTCP_ERR_NOMEM;
    goto fail;
  }
  env.rand = s->rand;
  env.rand_ctx = s->rand_ctx;
  env.now = now;
  if (s->isn->init != NULL && s->isn->init(s->isn_state, s->isn_params, &env) != 0) {
    mem->free(s->isn_state, mem->user_data);
    s->isn_state = NULL;
    rv = PTCP_ERR_POLICY;
    goto fail;
  }
  *pstack = s;
  return 0;

fail:
  ptcp_stack_free(s);
  return rv;
}

void ptcp_stack_free(ptcp_stack *s) {
  if (s == NULL)
    return;
  /* Connections are all on one list; TIME-WAIT entries only in the
   * demux table. */
  while (s->all != NULL)
    ptcp_conn_destroy(s->all);
  if (s->htab != NULL) {
    for (uint32_t b = 0; b <= s->hmask; b++)
      while (s->htab[b] != NULL)
        ptcp_tw_destroy(s, (ptcp_tw *)(void *)s->htab[b]);
  }
  if (s->isn_state != NULL && s->isn->release != NULL)
    s->isn->release(s->isn_state);
  for (unsigned i = 0; i < s->nbuf_cache; i++)
    s->mem.free(s->buf_cache[i], s->mem.user_data);
  ptcp_profile_free_all(s);
  ptcp_heap_free(&s->timers, &s->mem);
  s->mem.free(s->isn_state, s->mem.user_data);
  s->mem.free(s->listeners, s->mem.user_data);
  s->mem.free(s->ports.slots, s->mem.user_data);
  s->mem.free(s->htab, s->mem.user_data);
  s->mem.free(s->pkt, s->mem.user_data);
  if (s->own_registry != NULL)
    ptcp_registry_free(s->own_registry);
  s->mem.free(s, s->mem.user_data);
}

const ptcp_registry *ptcp_stack_registry(const ptcp_stack *s) { return s->registry; }

void ptcp_stack_stats_get(const ptcp_stack *s, ptcp_stack_stats *out) {
  *out = s->stats;
  out->conns = s->nconns;
  out->time_wait = s->ntw;
  out->listeners = s->nlisteners;
}

/* ------------------------------------------------------------------ */
/* Input                                                               */

static int input_segment(ptcp_stack *s, const ptcp_addr *src, const ptcp_addr *dst,
                         const uint8_t *buf, size_t len, int verify, ptcp_time now) {
  ptcp_pseudo ph;
  ptcp_seg seg;
  ptcp_pcb key;
  ptcp_pcb *p;
  ptcp_reason bad = PTCP_R_NONE;
  uint32_t isn_floor = 0;
  const uint32_t *floor = NULL;
  int rv;

  memset(&key, 0, sizeof(key));
  addr_norm(&key.laddr, dst);
  addr_norm(&key.raddr, src);
  ph.src = key.raddr;
  ph.dst = key.laddr;
  rv = ptcp_seg_parse(&seg, buf, len, verify ? &ph : NULL);
  if (rv != 0) {
    s->stats.malformed++;
    ptcp_stack_count_reason(s, rv == PTCP_ERR_CHECKSUM ? PTCP_R_BAD_CHECKSUM
                                                       : PTCP_R_MALFORMED);
    return rv;
  }
  key.lport = seg.dst_port;
  key.rport = seg.src_port;

  /* Segments nobody may answer are dropped before any lookup. */
  if (seg.src_port == 0 || seg.dst_port == 0)
    bad = PTCP_R_PORT_ZERO;
  else if (!source_valid(&key.raddr))
    bad = PTCP_R_BAD_ADDRESS;
  else if (s->naddrs > 0 && !ptcp_stack_is_local(s, &key.laddr))
    bad = PTCP_R_NOT_LOCAL;
  else if (key.lport == key.rport && ptcp_addr_equal(&key.laddr, &key.raddr))
    bad = PTCP_R_LAND;
  if (bad != PTCP_R_NONE) {
    ptcp_stack_trace_seg_in(s, NULL, &key, &seg, PTCP_VERDICT_DROP, bad, now);
    return 0;
  }

  p = ptcp_stack_lookup(s, &key.laddr, key.lport, &key.raddr, key.rport);
  if (p != NULL && p->kind == PCB_CONN) {
    ptcp_conn *c = (ptcp_conn *)(void *)p;
    if (!ptcp_input_conn(c, &seg, now))
      return 0;
    /* The user's TIME-WAIT connection let a new SYN through. */
    isn_floor = c->snd_max + 65536u;
    floor = &isn_floor;
    p = NULL;
  }
  if (p != NULL) {
    int reopen = 0;
    ptcp_tw_input(s, (ptcp_tw *)(void *)p, &seg, now, &reopen, &isn_floor);
    if (!reopen)
      return 0;
    floor = &isn_floor;
  }
  {
    ptcp_conn *l = ptcp_stack_find_listener(s, &key.laddr, key.lport);
    if (l != NULL)
      ptcp_input_listen(l, &key, &seg, now, floor);
    else
      ptcp_input_closed(s, &key, &seg, now);
  }
  return 0;
}

int ptcp_stack_input(ptcp_stack *s, const uint8_t *pkt, size_t len, ptcp_time now) {
  ptcp_ip ip;
  int rv;

  if (s == NULL || pkt == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  s->stats.packets_in++;
  rv = ptcp_ip_parse(&ip, pkt, len, 0);
  if (rv != 0) {
    s->stats.malformed++;
    ptcp_stack_count_reason(s, PTCP_R_MALFORMED);
    return rv;
  }
  ptcp_stack_enter(s);
  rv = input_segment(s, &ip.src, &ip.dst, ip.payload, ip.payload_len, 1, now);
  ptcp_stack_leave(s);
  return rv;
}

int ptcp_stack_input_segment(ptcp_stack *s, const ptcp_addr *src, const ptcp_addr *dst,
                             const uint8_t *seg, size_t len, int verify_checksum,
                             ptcp_time now) {
  int rv;

  if (s == NULL || src == NULL || dst == NULL || seg == NULL ||
      (src->family != PTCP_AF_INET && src->family != PTCP_AF_INET6) ||
      src->family != dst->family)
    return PTCP_ERR_INVALID_ARGUMENT;
  s->stats.packets_in++;
  ptcp_stack_enter(s);
  rv = input_segment(s, src, dst, seg, len, verify_checksum, now);
  ptcp_stack_leave(s);
  return rv;
}

/* ------------------------------------------------------------------ */
/* Timers                                                              */

ptcp_time ptcp_stack_next_deadline(const ptcp_stack *s) {
  const ptcp_heap_node *top = ptcp_heap_top(&s->timers);
  return top ? top->at : PTCP_TIME_NONE;
}

int ptcp_stack_on_timer(ptcp_stack *s, ptcp_time now) {
  ptcp_heap_node *top;

  if (s == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  ptcp_stack_enter(s);
  while ((top = ptcp_heap_top(&s->timers)) != NULL && top->at <= now) {
    ptcp_time before = top->at;
    if (top->kind == PCB_TW) {
      ptcp_tw_expire(s, container_of(top, ptcp_tw, tnode), now);
    } else {
      ptcp_conn *c = container_of(top, ptcp_conn, tnode);
      ptcp_timer_fire(c, now);
      /* A handler must move its deadline past |now| or clear it. */
      assert(c->tnode.idx == PTCP_HEAP_NONE || c->tnode.at > now || c->tnode.at != before);
      if (c->tnode.idx != PTCP_HEAP_NONE && c->tnode.at <= now && c->tnode.at == before)
        ptcp_heap_remove(&s->timers, &c->tnode);
    }
  }
  ptcp_stack_leave(s);
  return 0;
}

size_t ptcp_conn_sizeof(void) { return sizeof(ptcp_conn); }
size_t ptcp_time_wait_sizeof(void) { return sizeof(ptcp_tw); }

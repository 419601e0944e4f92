/*
 * plugtcp tests: the scripted-peer and back-to-back harnesses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_harness.h"

uint8_t tp_pattern(size_t i) { return (uint8_t)(i * 7 + (i >> 8) * 13 + 1); }

/* xorshift64*: deterministic randomness for the stacks under test. */
static int test_rand(void *ctx, uint8_t *dest, size_t len) {
  uint64_t *s = ctx;
  for (size_t i = 0; i < len; i++) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    dest[i] = (uint8_t)((*s * 0x2545f4914f6cdd1dULL) >> 56);
  }
  return 0;
}

static void cfg_from_opts(ptcp_stack_cfg *cfg, const tp_opts *o, ptcp_registry *reg) {
  ptcp_stack_cfg_default(cfg);
  cfg->registry = reg;
  cfg->policy[PTCP_SLOT_ISN] = "counter:start=5000,step=0";
  if (o == NULL)
    return;
  if (o->isn)
    cfg->policy[PTCP_SLOT_ISN] = o->isn;
  for (int i = PTCP_SLOT_RTO; i < PTCP_SLOT_COUNT; i++)
    if (o->policy[i])
      cfg->policy[i] = o->policy[i];
  if (o->mss)
    cfg->conn.mss = o->mss;
  if (o->sndbuf)
    cfg->conn.sndbuf = o->sndbuf;
  if (o->rcvbuf)
    cfg->conn.rcvbuf = o->rcvbuf;
  if (o->msl)
    cfg->conn.msl = o->msl;
  if (o->delack)
    cfg->conn.delack = o->delack;
  if (o->no_delack)
    cfg->conn.delack = 0;
  if (o->no_nagle)
    cfg->conn.nagle = 0;
  if (o->no_ts)
    cfg->conn.timestamps = 0;
  if (o->no_sack)
    cfg->conn.sack = 0;
  if (o->no_ws)
    cfg->conn.window_scaling = 0;
  if (o->keepalive) {
    cfg->conn.keepalive = 1;
    cfg->conn.keepalive_idle = 10 * SEC;
    cfg->conn.keepalive_interval = 1 * SEC;
    cfg->conn.keepalive_count = 3;
  }
  if (o->syn_retries)
    cfg->conn.syn_retries = o->syn_retries;
  if (o->data_retries)
    cfg->conn.data_retries = o->data_retries;
}

/* Every emitted packet must parse with valid checksums: an oracle on
 * every test. */
static void parse_emitted(const uint8_t *pkt, size_t len, ptcp_ip *ip, ptcp_seg *seg) {
  int rv = ptcp_packet_parse(ip, seg, pkt, len, 0);
  if (rv != 0) {
    fprintf(stderr, "emitted packet does not parse: %s\n", ptcp_strerror(rv));
    abort();
  }
}

/* ------------------------------------------------------------------ */
/* Scripted peer                                                       */

static int tp_emit(void *user, const uint8_t *pkt, size_t len) {
  tp *t = user;
  tp_out *o;

  ck_assert_msg(t->nout < TP_MAX_OUT, "too many segments emitted");
  o = &t->out[t->nout++];
  o->pkt = malloc(len);
  ck_assert_ptr_nonnull(o->pkt);
  memcpy(o->pkt, pkt, len);
  o->len = len;
  parse_emitted(o->pkt, len, &o->ip, &o->seg);
  return 0;
}

static void tp_on_accept(void *user, ptcp_conn *l) {
  tp *t = user;
  (void)l;
  t->ev.accept++;
}
static void tp_on_connected(void *user, ptcp_conn *c) {
  tp *t = user;
  t->ev.connected++;
  t->ev.last_conn = c;
}
static void tp_on_readable(void *user, ptcp_conn *c) {
  tp *t = user;
  (void)c;
  t->ev.readable++;
}
static void tp_on_writable(void *user, ptcp_conn *c) {
  tp *t = user;
  (void)c;
  t->ev.writable++;
}
static void tp_on_peer_fin(void *user, ptcp_conn *c) {
  tp *t = user;
  (void)c;
  t->ev.peer_fin++;
}
static void tp_on_error(void *user, ptcp_conn *c, int err) {
  tp *t = user;
  (void)c;
  t->ev.error++;
  t->ev.last_error = err;
}
static void tp_on_closed(void *user, ptcp_conn *c, int err) {
  tp *t = user;
  (void)c;
  (void)err;
  t->ev.closed++;
}
static void tp_on_trace(void *user, const ptcp_trace *ev) {
  tp *t = user;
  if (ev->kind == PTCP_TRACE_STATE && t->ntrace_states < 64)
    t->trace_states[t->ntrace_states++] = ev->new_state;
}

void tp_init(tp *t, const tp_opts *o) {
  ptcp_stack_cfg cfg;
  int v6 = o != NULL && o->v6;
  int rv;

  memset(t, 0, sizeof(*t));
  t->rng = 0x1234567;
  ck_assert_int_eq(ptcp_registry_new(&t->reg, NULL), 0);
  ck_assert_int_eq(ptcp_registry_add_builtins(t->reg), 0);
  cfg_from_opts(&cfg, o, t->reg);
  cfg.rand = test_rand;
  cfg.rand_ctx = &t->rng;
  cfg.user = t;
  cfg.callbacks.emit = tp_emit;
  cfg.callbacks.on_accept = tp_on_accept;
  cfg.callbacks.on_connected = tp_on_connected;
  cfg.callbacks.on_readable = tp_on_readable;
  cfg.callbacks.on_writable = tp_on_writable;
  cfg.callbacks.on_peer_fin = tp_on_peer_fin;
  cfg.callbacks.on_error = tp_on_error;
  cfg.callbacks.on_closed = tp_on_closed;
  cfg.callbacks.on_trace = tp_on_trace;
  rv = ptcp_stack_new(&t->stack, &cfg, 0);
  ck_assert_msg(rv == 0, "ptcp_stack_new: %s", ptcp_strerror(rv));
  if (v6) {
    ck_assert_int_eq(ptcp_addr_parse(&t->local, "2001:db8::1"), 0);
    ck_assert_int_eq(ptcp_addr_parse(&t->remote, "2001:db8::2"), 0);
  } else {
    t->local = ptcp_addr_v4(10, 0, 0, 1);
    t->remote = ptcp_addr_v4(10, 0, 0, 2);
  }
  ck_assert_int_eq(ptcp_stack_add_addr(t->stack, &t->local), 0);
  t->local_port = 80;
  t->remote_port = 40000;
}

void tp_discard(tp *t) {
  /* Popped segments too: their packets stay allocated until here, so the
   * pointer tp_expect returned remains valid until the next discard. */
  for (unsigned i = 0; i < t->nout; i++) {
    free(t->out[i].pkt);
    t->out[i].pkt = NULL;
  }
  t->head = t->nout = 0;
}

void tp_free(tp *t) {
  tp_discard(t);
  ptcp_stack_free(t->stack);
  ptcp_registry_free(t->reg);
}

int tp_send(tp *t, ptcp_time now, tp_seg s) {
  uint8_t pkt[70000], payload[65536];
  ptcp_seg seg;
  ptcp_ip ip;
  ptcp_pseudo ph;
  size_t iphl = t->local.family == PTCP_AF_INET6 ? 40 : 20;
  ptcp_ssize n;

  ck_assert_uint_le(s.len, sizeof(payload));
  memset(&seg, 0, sizeof(seg));
  seg.src_port = s.src_port ? s.src_port : t->remote_port;
  seg.dst_port = s.dst_port ? s.dst_port : t->local_port;
  seg.seq = s.seq;
  seg.ack = s.ack;
  seg.flags = s.flags;
  seg.window = s.window_zero ? 0 : s.window ? s.window : 65535;
  seg.urgent = s.urgent;
  seg.opts = s.opts;
  if (s.len > 0) {
    if (s.data) {
      memcpy(payload, s.data, s.len);
    } else {
      for (uint32_t i = 0; i < s.len; i++)
        payload[i] = tp_pattern(i);
    }
    seg.payload = payload;
    seg.payload_len = s.len;
  }
  ph.src = t->remote;
  ph.dst = t->local;
  n = ptcp_seg_write(pkt + iphl, sizeof(pkt) - iphl, &seg, &ph);
  ck_assert_int_gt(n, 0);
  memset(&ip, 0, sizeof(ip));
  ip.version = t->local.family == PTCP_AF_INET6 ? 6 : 4;
  ip.proto = PTCP_IPPROTO_TCP;
  ip.ttl = 64;
  ip.src = t->remote;
  ip.dst = t->local;
  ck_assert_int_eq(ptcp_ip_encode_header(pkt, iphl, &ip, (size_t)n), (ptcp_ssize)iphl);
  tp_advance(t, now);
  return ptcp_stack_input(t->stack, pkt, iphl + (size_t)n, now);
}

void tp_advance(tp *t, ptcp_time now) {
  ck_assert_msg(now >= t->now, "time goes backwards in the test");
  for (;;) {
    ptcp_time d = ptcp_stack_next_deadline(t->stack);
    if (d == PTCP_TIME_NONE || d > now)
      break;
    ck_assert_int_eq(ptcp_stack_on_timer(t->stack, d), 0);
  }
  t->now = now;
}

unsigned tp_pending(const tp *t) { return t->nout - t->head; }

static void describe(const ptcp_seg *seg, char *buf, size_t cap) {
  ptcp_seg_format(buf, cap, seg);
}

const ptcp_seg *tp_expect_at(tp *t, tp_seg w, const char *file, int line) {
  const ptcp_seg *g;
  char got[256], fl[16], wfl[16];

  if (t->head >= t->nout)
    ck_abort_msg("%s:%d: expected a segment [%s], got nothing", file, line,
                 ptcp_seg_flags_str(w.flags, wfl, sizeof(wfl)));
  g = &t->out[t->head++].seg;
  describe(g, got, sizeof(got));
  ptcp_seg_flags_str(w.flags, wfl, sizeof(wfl));
  ptcp_seg_flags_str(g->flags, fl, sizeof(fl));
  ck_assert_msg((g->flags & ~PTCP_PSH) == (w.flags & ~PTCP_PSH) &&
                    (!(w.flags & PTCP_PSH) || (g->flags & PTCP_PSH)),
                "%s:%d: flags [%s], expected [%s]: %s", file, line, fl, wfl, got);
  if (!w.any_seq)
    ck_assert_msg(g->seq == w.seq, "%s:%d: seq %u, expected %u: %s", file, line, g->seq,
                  w.seq, got);
  if ((w.flags & PTCP_ACK) && !w.any_ack)
    ck_assert_msg(g->ack == w.ack, "%s:%d: ack %u, expected %u: %s", file, line, g->ack,
                  w.ack, got);
  if (w.window && !w.any_window)
    ck_assert_msg(g->window == w.window, "%s:%d: window %u, expected %u: %s", file, line,
                  g->window, w.window, got);
  ck_assert_msg(g->payload_len == w.len, "%s:%d: payload %zu bytes, expected %u: %s", file,
                line, g->payload_len, w.len, got);
  if (w.check_opts)
    ck_assert_msg(g->opts.present == w.opts.present,
                  "%s:%d: options 0x%x, expected 0x%x: %s", file, line, g->opts.present,
                  w.opts.present, got);
  ck_assert_uint_eq(g->src_port, t->local_port);
  return g;
}

void tp_expect_nothing_at(tp *t, const char *file, int line) {
  if (t->head < t->nout) {
    char got[256];
    describe(&t->out[t->head].seg, got, sizeof(got));
    ck_abort_msg("%s:%d: expected nothing, got %s (%u pending)", file, line, got,
                 tp_pending(t));
  }
}

/* ------------------------------------------------------------------ */
/* Fixtures                                                            */

ptcp_conn *tp_listen(tp *t, uint16_t port, unsigned backlog) {
  ptcp_conn *l;

  ck_assert_int_eq(ptcp_conn_new(t->stack, NULL, &l), 0);
  ck_assert_int_eq(ptcp_conn_bind(l, NULL, port), 0);
  ck_assert_int_eq(ptcp_conn_listen(l, backlog), 0);
  t->listener = l;
  t->local_port = port;
  return l;
}

ptcp_conn *tp_syn_received(tp *t, ptcp_time now) {
  tp_seg syn = SEG(.flags = PTCP_SYN, .seq = TP_IRS, .window = 65535);

  syn.opts.present = PTCP_OPT_MSS;
  syn.opts.mss = 1460;
  tp_listen(t, 80, 8);
  ck_assert_int_eq(tp_send(t, now, syn), 0);
  tp_expect(t, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
  return NULL;
}

ptcp_conn *tp_established(tp *t, ptcp_time now) {
  ptcp_conn *c;

  tp_syn_received(t, now);
  ck_assert_int_eq(
      tp_send(t, now + 10 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1)),
      0);
  tp_expect_nothing(t);
  ck_assert_int_eq(ptcp_conn_accept(t->listener, &c), 0);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_ESTABLISHED);
  t->conn = c;
  return c;
}

ptcp_conn *tp_syn_sent(tp *t, ptcp_time now) {
  ptcp_conn *c;

  t->local_port = 0;
  ck_assert_int_eq(ptcp_conn_new(t->stack, NULL, &c), 0);
  ck_assert_int_eq(ptcp_conn_bind(c, NULL, 40001), 0);
  t->local_port = 40001;
  t->remote_port = 80;
  tp_advance(t, now);
  ck_assert_int_eq(ptcp_conn_connect(c, &t->remote, 80, now), 0);
  tp_expect(t, SEG(.flags = PTCP_SYN, .seq = TP_ISS));
  t->conn = c;
  return c;
}

ptcp_conn *tp_established_active(tp *t, ptcp_time now) {
  ptcp_conn *c = tp_syn_sent(t, now);
  tp_seg sa = SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_IRS, .ack = TP_ISS + 1);

  sa.opts.present = PTCP_OPT_MSS;
  sa.opts.mss = 1460;
  ck_assert_int_eq(tp_send(t, now + 10 * MS, sa), 0);
  tp_expect(t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_ESTABLISHED);
  return c;
}

ptcp_conn *tp_fin_wait_1(tp *t, ptcp_time now) {
  ptcp_conn *c = tp_established(t, now);

  ck_assert_int_eq(ptcp_conn_shutdown(c, now + 20 * MS), 0);
  tp_expect(t, SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_FIN_WAIT_1);
  return c;
}

ptcp_conn *tp_fin_wait_2(tp *t, ptcp_time now) {
  ptcp_conn *c = tp_fin_wait_1(t, now);

  ck_assert_int_eq(
      tp_send(t, now + 30 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 2)),
      0);
  tp_expect_nothing(t);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_FIN_WAIT_2);
  return c;
}

ptcp_conn *tp_close_wait(tp *t, ptcp_time now) {
  ptcp_conn *c = tp_established(t, now);

  ck_assert_int_eq(tp_send(t, now + 20 * MS,
                           SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1)),
                   0);
  tp_expect(t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 2));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSE_WAIT);
  return c;
}

ptcp_conn *tp_last_ack(tp *t, ptcp_time now) {
  ptcp_conn *c = tp_close_wait(t, now);

  ck_assert_int_eq(ptcp_conn_shutdown(c, now + 30 * MS), 0);
  tp_expect(t, SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 2));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_LAST_ACK);
  return c;
}

ptcp_conn *tp_closing(tp *t, ptcp_time now) {
  ptcp_conn *c = tp_fin_wait_1(t, now);

  ck_assert_int_eq(tp_send(t, now + 30 * MS,
                           SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1)),
                   0);
  tp_expect(t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 2, .ack = TP_IRS + 2));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSING);
  return c;
}

ptcp_conn *tp_time_wait(tp *t, ptcp_time now) {
  ptcp_conn *c = tp_fin_wait_2(t, now);

  ck_assert_int_eq(tp_send(t, now + 40 * MS,
                           SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 2)),
                   0);
  tp_expect(t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 2, .ack = TP_IRS + 2));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_TIME_WAIT);
  return c;
}

void tp_snap_take(const ptcp_conn *c, tp_snap *s) {
  memset(s, 0, sizeof(*s));
  ptcp_conn_status_get(c, &s->st);
}

int tp_snap_same(const tp_snap *a, const tp_snap *b) {
  const ptcp_conn_status *x = &a->st, *y = &b->st;
  return x->state == y->state && x->snd_una == y->snd_una && x->snd_nxt == y->snd_nxt &&
         x->snd_max == y->snd_max && x->snd_wnd == y->snd_wnd && x->rcv_nxt == y->rcv_nxt &&
         x->iss == y->iss && x->irs == y->irs && x->send_queued == y->send_queued &&
         x->recv_queued == y->recv_queued && x->ooo_bytes == y->ooo_bytes &&
         x->error == y->error && x->peer_fin == y->peer_fin && x->cwnd == y->cwnd;
}

/* ------------------------------------------------------------------ */
/* Pair                                                                */

static tpair *pair_of(void *user, int *side) {
  tpair_who *w = user;
  *side = w->side;
  return w->p;
}

static int pair_emit(void *user, const uint8_t *pkt, size_t len) {
  int from;
  tpair *p = pair_of(user, &from);
  ptcp_ip ip;
  ptcp_seg seg;
  tpair_fate fate = FATE_DELIVER;
  ptcp_duration extra = 0;
  int copies = 1;

  parse_emitted(pkt, len, &ip, &seg);
  p->segs[from]++;
  if (seg.flags & PTCP_RST)
    p->rst[from]++;
  p->sent[from]++;
  if (p->fate)
    fate = p->fate(p, from, p->sent[from], &seg, &extra, p->fate_ctx);
  if (fate == FATE_DROP)
    return 0;
  if (fate == FATE_DUP)
    copies = 2;
  for (int i = 0; i < copies; i++) {
    tpair_pkt *q;
    ck_assert_msg(p->nq < TPAIR_MAX_INFLIGHT, "too many packets in flight");
    q = &p->q[p->nq++];
    q->data = malloc(len);
    ck_assert_ptr_nonnull(q->data);
    memcpy(q->data, pkt, len);
    q->len = len;
    q->at = p->now + p->delay + (fate == FATE_DELAY ? extra : 0);
    q->order = p->order++;
    q->to = 1 - from;
  }
  return 0;
}

static void pair_read(tpair *p, int side, ptcp_conn *c) {
  uint8_t buf[16384];
  ptcp_ssize n;

  while ((n = ptcp_conn_recv(c, buf, sizeof(buf), p->now)) > 0) {
    if (p->rx_len[side] + (size_t)n > p->rx_cap[side]) {
      size_t cap = p->rx_cap[side] ? p->rx_cap[side] * 2 : 65536;
      while (cap < p->rx_len[side] + (size_t)n)
        cap *= 2;
      p->rx[side] = realloc(p->rx[side], cap);
      ck_assert_ptr_nonnull(p->rx[side]);
      p->rx_cap[side] = cap;
    }
    memcpy(p->rx[side] + p->rx_len[side], buf, (size_t)n);
    p->rx_len[side] += (size_t)n;
  }
}

static void pair_on_accept(void *user, ptcp_conn *l) {
  int side;
  tpair *p = pair_of(user, &side);
  ptcp_conn *c;
  p->ev[side].accept++;
  while (ptcp_conn_accept(l, &c) == 0) {
    p->conn[side] = c;
    if (p->auto_read)
      pair_read(p, side, c);
  }
}
static void pair_on_connected(void *user, ptcp_conn *c) {
  int side;
  tpair *p = pair_of(user, &side);
  p->ev[side].connected++;
  (void)c;
}
static void pair_on_readable(void *user, ptcp_conn *c) {
  int side;
  tpair *p = pair_of(user, &side);
  p->ev[side].readable++;
  if (p->auto_read)
    pair_read(p, side, c);
}
static void pair_on_writable(void *user, ptcp_conn *c) {
  int side;
  tpair *p = pair_of(user, &side);
  (void)c;
  p->ev[side].writable++;
}
static void pair_on_peer_fin(void *user, ptcp_conn *c) {
  int side;
  tpair *p = pair_of(user, &side);
  (void)c;
  p->ev[side].peer_fin++;
}
static void pair_on_error(void *user, ptcp_conn *c, int err) {
  int side;
  tpair *p = pair_of(user, &side);
  (void)c;
  p->ev[side].error++;
  p->ev[side].last_error = err;
}
static void pair_on_closed(void *user, ptcp_conn *c, int err) {
  int side;
  tpair *p = pair_of(user, &side);
  (void)c;
  (void)err;
  p->ev[side].closed++;
}

void tpair_init(tpair *p, const tpair_opts *o) {
  memset(p, 0, sizeof(*p));
  ck_assert_int_eq(ptcp_registry_new(&p->reg, NULL), 0);
  ck_assert_int_eq(ptcp_registry_add_builtins(p->reg), 0);
  p->delay = (o && o->delay) ? o->delay : 10 * MS;
  p->auto_read = 1;
  p->addr[0] = ptcp_addr_v4(10, 0, 0, 1);
  p->addr[1] = ptcp_addr_v4(10, 0, 0, 2);
  for (int side = 0; side < 2; side++) {
    ptcp_stack_cfg cfg;
    int rv;
    cfg_from_opts(&cfg, o ? &o->side[side] : NULL, p->reg);
    if (!(o && o->side[side].isn))
      cfg.policy[PTCP_SLOT_ISN] = side == 0 ? "counter:start=1000,step=0"
                                            : "counter:start=900000,step=0";
    p->rng[side] = 0x9e3779b97f4a7c15ULL + (uint64_t)side;
    cfg.rand = test_rand;
    cfg.rand_ctx = &p->rng[side];
    p->who[side].p = p;
    p->who[side].side = side;
    cfg.user = &p->who[side];
    cfg.callbacks.emit = pair_emit;
    cfg.callbacks.on_accept = pair_on_accept;
    cfg.callbacks.on_connected = pair_on_connected;
    cfg.callbacks.on_readable = pair_on_readable;
    cfg.callbacks.on_writable = pair_on_writable;
    cfg.callbacks.on_peer_fin = pair_on_peer_fin;
    cfg.callbacks.on_error = pair_on_error;
    cfg.callbacks.on_closed = pair_on_closed;
    rv = ptcp_stack_new(&p->st[side], &cfg, 0);
    ck_assert_msg(rv == 0, "ptcp_stack_new: %s", ptcp_strerror(rv));
    ck_assert_int_eq(ptcp_stack_add_addr(p->st[side], &p->addr[side]), 0);
  }
}

void tpair_free(tpair *p) {
  for (unsigned i = 0; i < p->nq; i++)
    free(p->q[i].data);
  for (int side = 0; side < 2; side++) {
    ptcp_stack_free(p->st[side]);
    free(p->rx[side]);
  }
  ptcp_registry_free(p->reg);
}

/* One step: the earliest of the next delivery and the next timer. */
static int pair_step(tpair *p, ptcp_time limit) {
  ptcp_time t = PTCP_TIME_NONE;
  int which = -1; /* -1 none, 0/1 timer of side, 2 packet */
  unsigned qi = 0;

  for (unsigned i = 0; i < p->nq; i++) {
    if (p->q[i].at < t || (p->q[i].at == t && which == 2 && p->q[i].order < p->q[qi].order)) {
      t = p->q[i].at;
      which = 2;
      qi = i;
    }
  }
  for (int side = 0; side < 2; side++) {
    ptcp_time d = ptcp_stack_next_deadline(p->st[side]);
    if (d < t) {
      t = d;
      which = side;
    }
  }
  if (which < 0 || t > limit)
    return 0;
  if (t > p->now)
    p->now = t;
  if (which == 2) {
    tpair_pkt pkt = p->q[qi];
    p->q[qi] = p->q[--p->nq];
    (void)ptcp_stack_input(p->st[pkt.to], pkt.data, pkt.len, p->now);
    free(pkt.data);
  } else {
    ck_assert_int_eq(ptcp_stack_on_timer(p->st[which], p->now), 0);
  }
  return 1;
}

void tpair_run_until(tpair *p, ptcp_time t) {
  while (pair_step(p, t))
    ;
  if (p->now < t)
    p->now = t;
}

void tpair_run_idle(tpair *p, ptcp_time limit) {
  while (pair_step(p, limit))
    ;
}

int tpair_connect(tpair *p, ptcp_time deadline) {
  ptcp_conn *l, *c;

  ck_assert_int_eq(ptcp_conn_new(p->st[1], NULL, &l), 0);
  ck_assert_int_eq(ptcp_conn_bind(l, NULL, 80), 0);
  ck_assert_int_eq(ptcp_conn_listen(l, 16), 0);
  p->listener = l;
  ck_assert_int_eq(ptcp_conn_new(p->st[0], NULL, &c), 0);
  ck_assert_int_eq(ptcp_conn_connect(c, &p->addr[1], 80, p->now), 0);
  p->conn[0] = c;
  while (p->now <= deadline && !(p->conn[1] != NULL && ptcp_conn_state(c) == PTCP_ESTABLISHED &&
                                 ptcp_conn_state(p->conn[1]) == PTCP_ESTABLISHED)) {
    if (!pair_step(p, deadline))
      break;
  }
  return p->conn[1] != NULL && ptcp_conn_state(c) == PTCP_ESTABLISHED &&
         ptcp_conn_state(p->conn[1]) == PTCP_ESTABLISHED;
}

size_t tpair_send_pattern(tpair *p, int side, size_t off, size_t len) {
  uint8_t buf[16384];
  size_t done = 0;

  while (done < len) {
    size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);
    ptcp_ssize r;
    for (size_t i = 0; i < n; i++)
      buf[i] = tp_pattern(off + done + i);
    r = ptcp_conn_send(p->conn[side], buf, n, p->now);
    if (r <= 0)
      break;
    done += (size_t)r;
  }
  return done;
}

int tpair_rx_is_pattern(const tpair *p, int side, size_t len) {
  if (p->rx_len[side] != len)
    return 0;
  for (size_t i = 0; i < len; i++)
    if (p->rx[side][i] != tp_pattern(i))
      return 0;
  return 1;
}

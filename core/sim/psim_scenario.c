/*
 * plugsim: running an experiment.  psim_run validates the
 * configuration, builds the topology (client node(s) and a server node,
 * one link per client), hooks up pcap, the JSON-lines trace and the
 * ladder, lets the scenario (psim_scenarios.c) start its applications,
 * runs the scheduler until the scenario says it is over or the time
 * limit passes, and then collects the counters and checks the
 * scenario's expectation.
 *
 * While it runs, every engine event of the first connection (its
 * 4-tuple is fixed by the first segment or state change that names the
 * other node) is summarised here: state history, the first segments,
 * verdicts and reasons per side, and the few facts the scenarios' checks
 * need.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "psim_node_int.h"
#include "psim_scenario_int.h"

#define DEFAULT_TIME_LIMIT (3600 * PTCP_SECONDS)
#define DEFAULT_CONNS 100u
#define POOL_LIMIT (1u << 20)
/* A many client node opens at most this many connections (ports 1024..65535). */
#define CONNS_PER_CLIENT 60000u

void psim_run_cfg_init(psim_run_cfg *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->scenario = "bulk";
  cfg->seed = 1;
  psim_link_dir_cfg_init(&cfg->link);
  cfg->link.rate_bps = 100000000;
  cfg->link.delay = 10 * PTCP_MILLISECONDS;
  cfg->impair = PSIM_IMPAIR_BOTH;
}

size_t psim_scenario_count(void) { return run_scenario_count(); }

const psim_scenario_info *psim_scenario_get(size_t i) {
  const scenario *sc = run_scenario_at(i);
  return sc != NULL ? &sc->info : NULL;
}

const psim_scenario_info *psim_scenario_find(const char *name) {
  const scenario *sc = name != NULL ? run_scenario_find(name) : NULL;
  return sc != NULL ? &sc->info : NULL;
}

/* ------------------------------------------------------------------ */
/* Helpers for the scenarios                                           */

void run_fail(run *r, const char *fmt, ...) {
  psim_result *res = r->res;
  va_list ap;

  if (res->nfailures >= PSIM_RESULT_FAILURES)
    return;
  va_start(ap, fmt);
  vsnprintf(res->failures[res->nfailures++], PSIM_RESULT_TEXT, fmt, ap);
  va_end(ap);
}

static int settled(const run *r, int side) {
  return !r->ever[side] || r->state[side] == PTCP_CLOSED ||
         r->state[side] == PTCP_TIME_WAIT;
}

int run_finished_default(run *r) {
  return r->apps_done >= r->apps && settled(r, SIDE_CLIENT) && settled(r, SIDE_SERVER);
}

void run_maybe_stop(run *r) {
  int (*fin)(run *) = r->sc->finished ? r->sc->finished : run_finished_default;

  if (!r->finished && fin(r)) {
    r->finished = 1;
    psim_sched_stop(r->sched, 0);
  }
}

void run_add_script(run *r, unsigned dir, psim_script_action action, uint64_t nth,
                    ptcp_duration delay) {
  psim_script_rule *rule;

  if (r->nscript[dir] >= RUN_SCRIPT_MAX)
    return;
  rule = &r->script[dir][r->nscript[dir]++];
  memset(rule, 0, sizeof(*rule));
  rule->nth = nth;
  rule->action = action;
  rule->delay = delay;
}

int run_hist_has(const run *r, int side, ptcp_state st) {
  return run_hist_time(r, side, st) != PTCP_TIME_NONE;
}

ptcp_time run_hist_time(const run *r, int side, ptcp_state st) {
  for (unsigned i = 0; i < r->nhist[side]; i++)
    if (r->hist[side][i].st == st)
      return r->hist[side][i].t;
  return PTCP_TIME_NONE;
}

/* Whether the states |seq| appear in this order in the history. */
int run_hist_order(const run *r, int side, const ptcp_state *seq, size_t n) {
  size_t k = 0;

  for (unsigned i = 0; i < r->nhist[side] && k < n; i++)
    if (r->hist[side][i].st == seq[k])
      k++;
  return k == n;
}

ptcp_duration run_one_way(const run *r, size_t bytes) {
  ptcp_duration ser = 0;

  if (r->link.rate_bps > 0)
    ser = ((uint64_t)bytes * 8 * PTCP_SECONDS + r->link.rate_bps - 1) / r->link.rate_bps;
  return r->link.delay + ser;
}

static void add_stats(psim_app_stats *sum, const psim_app_stats *s) {
  sum->bytes_sent += s->bytes_sent;
  sum->bytes_received += s->bytes_received;
  sum->bytes_verified += s->bytes_verified;
  sum->bytes_bad += s->bytes_bad;
  if (s->first_bad_offset < sum->first_bad_offset)
    sum->first_bad_offset = s->first_bad_offset;
  sum->bytes_expected += s->bytes_expected;
  sum->conns_opened += s->conns_opened;
  sum->conns_established += s->conns_established;
  sum->conns_failed += s->conns_failed;
  sum->conns_done += s->conns_done;
  sum->eofs += s->eofs;
  if (s->last_error != 0)
    sum->last_error = s->last_error;
}

/* The errno the applications of |side| last failed with, 0 if none. */
int run_side_error(run *r, int side) {
  const psim_app_stats *st[8];
  unsigned n = 0;
  int err = 0;

  if (side == SIDE_CLIENT) {
    if (r->bulk)
      st[n++] = psim_bulk_stats(r->bulk);
    if (r->echo_cli)
      st[n++] = psim_echo_client_stats(r->echo_cli);
    if (r->nmany > 0)
      st[n++] = psim_many_stats(r->many[0]);
  } else {
    if (r->sink)
      st[n++] = psim_sink_stats(r->sink);
    if (r->echo_srv)
      st[n++] = psim_echo_server_stats(r->echo_srv);
    if (r->rr_srv)
      st[n++] = psim_reqresp_server_stats(r->rr_srv);
  }
  for (unsigned i = 0; i < r->npeers; i++)
    if (r->peers[i].side == side)
      st[n++] = &r->peers[i].stats;
  for (unsigned i = 0; i < n; i++)
    if (st[i]->last_error != 0)
      err = st[i]->last_error;
  return err;
}

const psim_app_stats *run_app_sum(run *r, psim_app_stats *sum) {
  app_stats_init(sum);
  if (r->bulk)
    add_stats(sum, psim_bulk_stats(r->bulk));
  if (r->sink)
    add_stats(sum, psim_sink_stats(r->sink));
  if (r->echo_srv)
    add_stats(sum, psim_echo_server_stats(r->echo_srv));
  if (r->echo_cli)
    add_stats(sum, psim_echo_client_stats(r->echo_cli));
  if (r->rr_srv)
    add_stats(sum, psim_reqresp_server_stats(r->rr_srv));
  for (unsigned i = 0; i < r->nmany; i++)
    add_stats(sum, psim_many_stats(r->many[i]));
  for (unsigned i = 0; i < r->npeers; i++)
    add_stats(sum, &r->peers[i].stats);
  return sum;
}

/* ------------------------------------------------------------------ */
/* Peers: sockets the scenario drives itself                           */

static void peer_step(peer *p) {
  int rv;

  if (!p->connected || p->ended || p->st.failed || p->st.sock == NULL)
    return;
  rv = app_stream_pump(&p->st);
  if (rv < 0) {
    app_stream_fail(&p->st, -rv);
    return;
  }
  if (!p->shut && (p->shut_due ||
                   (p->shutdown_at == PTCP_TIME_NONE && p->st.tx_off == p->send_bytes &&
                    p->st.rx_off >= p->expect_bytes))) {
    p->shut = 1;
    (void)psim_sock_shutdown(p->st.sock, PSIM_SHUT_WR);
  }
}

static void peer_on_connected(void *ctx, psim_sock *s) {
  peer *p = ctx;

  (void)s;
  p->connected = 1;
  p->stats.conns_established++;
  peer_step(p);
}

static void peer_on_accept(void *ctx, psim_sock *l) {
  peer *p = ctx;
  psim_sock *s;

  if (p->st.sock != NULL || psim_sock_accept(l, &s) != 0)
    return;
  p->st.sock = s;
  p->stats.conns_opened++;
  peer_on_connected(p, s);
}

static void peer_on_readable(void *ctx, psim_sock *s) {
  peer *p = ctx;
  ptcp_ssize rv;

  if (s != p->st.sock)
    return;
  rv = app_stream_read(&p->st, p->r->buf, sizeof(p->r->buf));
  if (rv < 0)
    app_stream_fail(&p->st, (int)-rv);
  peer_step(p);
}

static void peer_on_writable(void *ctx, psim_sock *s) {
  (void)s;
  peer_step(ctx);
}

static void peer_on_error(void *ctx, psim_sock *s, int err) {
  peer *p = ctx;

  (void)s;
  app_stream_fail(&p->st, err);
}

static void peer_on_closed(void *ctx, psim_sock *s, int err) {
  peer *p = ctx;

  if (s != p->st.sock || p->ended)
    return;
  p->ended = 1;
  if (err != 0)
    app_stream_fail(&p->st, err);
  else if (p->st.eof && p->st.tx_off == p->send_bytes && !p->st.failed)
    p->stats.conns_done++;
  app_done(&p->stats, &p->r->hooks, psim_node_now(psim_sock_node(s)));
}

static const psim_sock_cb peer_cb = {
    .on_accept = peer_on_accept,
    .on_connected = peer_on_connected,
    .on_readable = peer_on_readable,
    .on_writable = peer_on_writable,
    .on_error = peer_on_error,
    .on_closed = peer_on_closed,
};

static void peer_shutdown_event(psim_sched *s, ptcp_time now, void *a, void *b) {
  peer *p = a;

  (void)s;
  (void)now;
  (void)b;
  /* A listener's connection may not be there yet (its handshake lost
   * a segment): it shuts down as soon as it is accepted. */
  p->shut_due = 1;
  if (p->st.sock != NULL && !p->shut && !p->ended) {
    p->shut = 1;
    (void)psim_sock_shutdown(p->st.sock, PSIM_SHUT_WR);
  }
}

/*
 * Prepares |p| for |side| on |node|: the scenario then makes its socket
 * (st.sock) or listener and sets send_bytes, expect_bytes, the bases and
 * shutdown_at.  Returns 0 or a PTCP_ERR_* code.
 */
int peer_start(run *r, peer *p, psim_node *node, int side) {
  memset(p, 0, sizeof(*p));
  p->r = r;
  p->side = side;
  app_stats_init(&p->stats);
  p->st.pat = r->pat;
  p->st.stats = &p->stats;
  p->st.hooks = &r->hooks;
  p->st.verify = 1;
  p->shutdown_at = PTCP_TIME_NONE;
  (void)node;
  r->apps++;
  return 0;
}

/* Installs the peer's callbacks on |s| and schedules its shutdown. */
static int peer_arm(run *r, peer *p, psim_sock *s) {
  psim_sock_set_cb(s, &peer_cb, p);
  p->st.tx_limit = p->send_bytes;
  p->stats.bytes_expected = p->expect_bytes;
  if (p->shutdown_at != PTCP_TIME_NONE &&
      psim_sched_at(r->sched, p->shutdown_at, peer_shutdown_event, p, NULL, &p->ev) != 0)
    return PTCP_ERR_NOMEM;
  return 0;
}

int peer_connect(run *r, peer *p, psim_sock *s, const ptcp_addr *dst, uint16_t port) {
  int rv = peer_arm(r, p, s);

  if (rv != 0)
    return rv;
  p->st.sock = s;
  p->stats.conns_opened++;
  rv = psim_sock_connect(s, dst, port);
  if (rv != 0) {
    app_stream_fail(&p->st, -rv);
    app_done(&p->stats, &r->hooks, psim_sched_now(r->sched));
  }
  return 0;
}

int peer_listen(run *r, peer *p, psim_sock *l) {
  p->listener = l;
  return peer_arm(r, p, l);
}

/* ------------------------------------------------------------------ */
/* Observers                                                           */

typedef struct link_ctx {
  run *r;
  unsigned index;
} link_ctx;

static int side_of(const run *r, const psim_node *node) {
  if (node == r->client)
    return SIDE_CLIENT;
  if (node == r->server)
    return SIDE_SERVER;
  return -1;
}

/* ptcp_addr_equal, inline: first_conn runs for every engine event. */
static int addr_same(const ptcp_addr *a, const ptcp_addr *b) {
  return a->family == b->family &&
         memcmp(a->bytes, b->bytes, a->family == PTCP_AF_INET ? 4 : 16) == 0;
}

/* Whether |ev| of |side| is about the first connection (fixing its
 * 4-tuple if it is not known yet). */
static int first_conn(run *r, int side, const ptcp_trace *ev) {
  const psim_node *other = side == SIDE_CLIENT ? r->server : r->client;

  /* Ports first: this runs for every engine event. */
  if (r->tuple_set &&
      (ev->local_port != r->port[side] || ev->remote_port != r->port[side ^ 1]))
    return 0;
  if (ev->remote_port == 0 || !addr_same(ev->remote, psim_node_addr(other)))
    return 0;
  if (!r->tuple_set) {
    if (ev->kind != PTCP_TRACE_STATE && ev->kind != PTCP_TRACE_SEG_OUT)
      return 0;
    r->tuple_set = 1;
    r->port[side] = ev->local_port;
    r->port[side ^ 1] = ev->remote_port;
  }
  return ev->local_port == r->port[side] && ev->remote_port == r->port[side ^ 1];
}

static void track(run *r, int side, const ptcp_trace *ev) {
  const ptcp_seg *seg = ev->seg;

  switch (ev->kind) {
  case PTCP_TRACE_STATE:
    r->ever[side] = 1;
    r->state[side] = ev->new_state;
    if (r->nhist[side] < RUN_HIST_MAX) {
      r->hist[side][r->nhist[side]].t = ev->now;
      r->hist[side][r->nhist[side]].st = (uint8_t)ev->new_state;
      r->nhist[side]++;
    }
    if (ev->new_state == PTCP_TIME_WAIT && r->tw_enter[side] == PTCP_TIME_NONE)
      r->tw_enter[side] = ev->now;
    if (ev->new_state == PTCP_CLOSED)
      r->closed_at[side] = ev->now;
    run_maybe_stop(r);
    break;
  case PTCP_TRACE_SEG_OUT:
    if (r->nsegs < RUN_SEGLOG_MAX) {
      seglog *l = &r->segs[r->nsegs++];
      l->t = ev->now;
      l->side = (uint8_t)side;
      l->flags = seg->flags;
      l->seq = seg->seq;
      l->ack = seg->ack;
      l->len = (uint32_t)seg->payload_len;
      l->win = seg->window;
    }
    if (seg->flags & PTCP_RST)
      r->rst_sent[side]++;
    else if (seg->window == 0)
      r->zero_window_sent[side]++;
    if (seg->payload_len > 0 && ev->conn != NULL)
      r->data_sent_in[side][ev->new_state]++;
    break;
  case PTCP_TRACE_SEG_IN:
    if ((unsigned)ev->reason < PTCP_R_COUNT)
      r->reasons[side][ev->reason]++;
    if ((unsigned)ev->verdict <= PTCP_VERDICT_RESET)
      r->verdicts[side][ev->verdict]++;
    if (side == SIDE_SERVER && (seg->flags & (PTCP_SYN | PTCP_ACK)) == PTCP_SYN) {
      r->syns_in++;
      if (ev->conn != NULL && ev->new_state >= PTCP_ESTABLISHED)
        r->late_syn_verdict = (int)ev->verdict;
    }
    if (seg->payload_len > 0 && ev->verdict == PTCP_VERDICT_ACCEPT && ev->conn != NULL)
      r->data_in[side][ev->new_state]++;
    if (side == SIDE_CLIENT && (seg->flags & PTCP_FIN) &&
        r->state[side] == PTCP_TIME_WAIT) {
      r->tw_fins++;
      r->tw_fin_at = ev->now;
      r->tw_fin_verdict = (int)ev->verdict;
      r->tw_fin_seg = *seg;
      r->tw_fin_seg.payload = NULL;
      r->tw_fin_seg.payload_len = 0;
    }
    break;
  case PTCP_TRACE_TIMER:
    if (ev->timer == PTCP_TIMER_PERSIST)
      r->persist[side]++;
    else if (ev->timer == PTCP_TIMER_SYN)
      r->syn_timeouts[side]++;
    break;
  default:
    break;
  }
}

static void on_engine(void *ctx, psim_node *node, const ptcp_trace *ev) {
  run *r = ctx;
  int side;

  if (r->trace != NULL)
    psim_trace_engine(r->trace, node, ev);
  if (r->ladder != NULL)
    psim_ladder_engine(r->ladder, node, ev);
  /* The kinds track() looks at; for the others (one RTO or CWND event
   * per ACK) first_conn could only answer, not learn. */
  if (ev->kind != PTCP_TRACE_STATE && ev->kind != PTCP_TRACE_SEG_OUT &&
      ev->kind != PTCP_TRACE_SEG_IN && ev->kind != PTCP_TRACE_TIMER)
    return;
  side = side_of(r, node);
  if (side >= 0 && first_conn(r, side, ev))
    track(r, side, ev);
}

static void on_input_error(void *ctx, psim_node *node, int err, const uint8_t *pkt,
                           size_t len, ptcp_time now) {
  run *r = ctx;

  if (r->trace != NULL)
    psim_trace_input_error(r->trace, node, err, pkt, len, now);
}

static void on_link(void *ctx, const psim_link_event *ev) {
  link_ctx *lc = ctx;
  run *r = lc->r;

  if (r->cfg->on_link != NULL)
    r->cfg->on_link(r->cfg->ctx, lc->index, ev);
  if (r->pcaps[lc->index] != NULL)
    psim_pcap_hook_rx(r->pcaps[lc->index], ev);
  if (r->trace != NULL) {
    char name[16];
    snprintf(name, sizeof(name), "link%u", lc->index);
    psim_trace_link(r->trace, name, ev);
  }
  if (lc->index != 0)
    return;
  if (r->ladder != NULL)
    psim_ladder_link(r->ladder, ev);
  /* What the scripts hit, to check that they hit what was meant. */
  if ((ev->marks & PSIM_LINK_MARK_SCRIPTED) && r->nscripted < RUN_SCRIPT_MAX &&
      (ev->kind == PSIM_LINK_EV_TX)) {
    ptcp_ip ip;
    ptcp_seg seg;
    if (ptcp_packet_parse(&ip, &seg, ev->data, ev->len,
                          PTCP_IP_NO_CHECKSUM | PTCP_TCP_NO_CHECKSUM) == 0) {
      r->scripted[r->nscripted].dir = ev->dir;
      r->scripted[r->nscripted].flags = seg.flags;
      r->scripted[r->nscripted].len = (uint32_t)seg.payload_len;
      r->scripted[r->nscripted].dropped = ev->arrival == PTCP_TIME_NONE;
      r->nscripted++;
    }
  }
}

static void on_app_done(void *ctx) {
  run *r = ctx;

  r->apps_done++;
  run_maybe_stop(r);
}

static void on_app_bytes(void *ctx, uint64_t n) {
  run *r = ctx;

  r->progress_done += n;
  if (r->cfg->progress != NULL)
    r->cfg->progress(r->cfg->ctx, r->progress_done, r->progress_total,
                     psim_sched_now(r->sched));
}

/* ------------------------------------------------------------------ */
/* Building                                                            */

static int errf(char *err, size_t errlen, int rv, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int errf(char *err, size_t errlen, int rv, const char *fmt, ...) {
  va_list ap;

  if (err != NULL && errlen > 0) {
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return rv;
}

/* The user's policy specs, checked before anything is built so that a
 * mistake is reported with the registry's own sentence. */
static int check_policies(run *r, char *err, size_t errlen) {
  char perr[256];

  for (int slot = 0; slot < PTCP_SLOT_COUNT; slot++) {
    int rv;
    if (r->cfg->policy[slot] == NULL)
      continue;
    rv = ptcp_policy_parse(&r->sel[slot], r->reg, (ptcp_slot)slot, r->cfg->policy[slot],
                           perr, sizeof(perr));
    if (rv != 0)
      return errf(err, errlen, rv, "%s", perr);
  }
  return 0;
}

/* The policy each slot runs, canonically spelled, with its parameters. */
static int resolve_policies(run *r, char *err, size_t errlen) {
  ptcp_conn *tmp;
  ptcp_conn_status st;
  char perr[256];
  int rv;

  /* Ask a stack which policies it uses by default: the engine's
   * defaults are its own business. */
  rv = ptcp_conn_new(psim_node_stack(r->server), NULL, &tmp);
  if (rv != 0)
    return errf(err, errlen, rv, "cannot create a connection: %s", ptcp_strerror(rv));
  ptcp_conn_status_get(tmp, &st);
  for (int slot = 0; slot < PTCP_SLOT_COUNT; slot++) {
    const char *spec = r->cfg->policy[slot] ? r->cfg->policy[slot] : st.policy[slot];

    rv = ptcp_policy_parse(&r->sel[slot], r->reg, (ptcp_slot)slot, spec, perr,
                           sizeof(perr));
    if (rv != 0) {
      ptcp_conn_close(tmp, 0);
      return errf(err, errlen, rv, "%s", perr);
    }
    ptcp_policy_format(r->spec[slot], sizeof(r->spec[slot]), &r->sel[slot]);
  }
  ptcp_conn_close(tmp, 0);
  return 0;
}

static void node_cfg(run *r, psim_node_cfg *nc, const char *name, ptcp_addr addr,
                     const ptcp_conn_cfg *conn) {
  psim_node_cfg_init(nc);
  nc->name = name;
  nc->addr = addr;
  nc->seed = r->cfg->seed;
  nc->stack.registry = r->reg;
  nc->stack.conn = *conn;
  for (int slot = 0; slot < PTCP_SLOT_COUNT; slot++)
    nc->stack.policy[slot] = r->cfg->policy[slot];
}

static int build(run *r, char *err, size_t errlen) {
  const psim_run_cfg *cfg = r->cfg;
  static const char *const client_names[RUN_MAX_CLIENTS] = {
      "client",  "client2", "client3", "client4",
      "client5", "client6", "client7", "client8"};
  psim_pool_cfg pc;
  psim_node_cfg nc;
  psim_node_observer obs;
  int rv;

  rv = psim_sched_new(&r->sched, r->mem, 0);
  if (rv == 0) {
    memset(&pc, 0, sizeof(pc));
    pc.limit = POOL_LIMIT;
    /* Buffers just big enough for the largest packet the stacks send
     * (both announce the same MSS): an IPv4 header, a TCP header with
     * every option, a full segment.  Hundreds of packets are in flight
     * on a fast link; their size is most of a run's memory. */
    pc.buf_size = (PTCP_IPV4_HDR_LEN + PTCP_HDR_MAX + r->conn_cfg.mss + 63u) / 64u * 64u;
    /* Segments without data (ACKs: one per data segment or two) take a
     * buffer their own size: the headers with every option. */
    pc.small_size = PTCP_IPV4_HDR_LEN + PTCP_HDR_MAX;
    rv = psim_pool_new(&r->pool, r->mem, &pc);
  }
  if (rv == 0)
    rv = psim_pattern_new(&r->pat, cfg->seed, r->mem);
  if (rv != 0)
    return errf(err, errlen, rv, "out of memory");

  rv = check_policies(r, err, errlen);
  if (rv != 0)
    return rv;
  node_cfg(r, &nc, "server", ptcp_addr_v4(10, 0, 0, 2), &r->server_cfg);
  rv = psim_node_new(&r->server, r->sched, r->pool, &nc, r->mem);
  if (rv != 0)
    return errf(
        err, errlen, rv,
        "the stack refused the settings (mss %u, sndbuf %u, rcvbuf %u, msl %llu ns): %s",
        (unsigned)r->server_cfg.mss, (unsigned)r->server_cfg.sndbuf,
        (unsigned)r->server_cfg.rcvbuf, (unsigned long long)r->server_cfg.msl,
        ptcp_strerror(rv));
  rv = resolve_policies(r, err, errlen);
  if (rv != 0)
    return rv;
  if (r->sc->script != NULL)
    r->sc->script(r);

  /* "many" spreads its connections over client nodes: ports are per stack. */
  r->nclients = 1;
  if (r->conns > CONNS_PER_CLIENT)
    r->nclients = (r->conns + CONNS_PER_CLIENT - 1) / CONNS_PER_CLIENT;
  for (unsigned i = 0; i < r->nclients; i++) {
    ptcp_addr a = ptcp_addr_v4(10, 0, 0, (uint8_t)(i == 0 ? 1 : 2 + i));
    node_cfg(r, &nc, client_names[i], a, &r->conn_cfg);
    if (r->nclients > 1)
      nc.stack.ephemeral_lo = 1024;
    rv = psim_node_new(&r->clients[i], r->sched, r->pool, &nc, r->mem);
    if (rv != 0)
      return errf(err, errlen, rv, "the stack refused the settings: %s",
                  ptcp_strerror(rv));
  }
  r->client = r->clients[0];

  for (unsigned i = 0; i < r->nclients; i++) {
    psim_link_cfg lc;
    char name[16];
    const ptcp_addr *caddr = psim_node_addr(r->clients[i]);

    memset(&lc, 0, sizeof(lc));
    snprintf(name, sizeof(name), "link%u", i);
    lc.name = name;
    lc.seed = cfg->seed;
    for (unsigned d = 0; d < 2; d++) {
      unsigned bit = d == PSIM_LINK_A ? PSIM_IMPAIR_FORWARD : PSIM_IMPAIR_REVERSE;
      psim_link_dir_cfg *dc = &lc.dir[d];

      if (cfg->impair & bit) {
        *dc = r->link;
      } else {
        psim_link_dir_cfg_init(dc);
        dc->rate_bps = r->link.rate_bps;
        dc->delay = r->link.delay;
        dc->queue_limit = r->link.queue_limit;
      }
      dc->script = i == 0 ? r->script[d] : NULL;
      dc->script_len = i == 0 ? r->nscript[d] : 0;
    }
    rv = psim_link_new(&r->links[i], r->sched, r->pool, &lc, r->mem);
    if (rv != 0)
      return errf(err, errlen, rv,
                  "bad link setting: probabilities must lie in [0, 1], a burst-loss "
                  "model must be able to lose, and a delay profile needs a known shape "
                  "and a period of at least 2ns");
    r->nlinks++;
    rv = psim_node_add_iface(r->clients[i], r->links[i], PSIM_LINK_A, NULL);
    if (rv >= 0)
      rv = psim_node_add_iface(r->server, r->links[i], PSIM_LINK_B, caddr);
    if (rv < 0)
      return errf(err, errlen, rv, "cannot attach the link: %s", ptcp_strerror(rv));
    if (cfg->pcap_prefix != NULL) {
      char path[4096], perr[512];
      snprintf(path, sizeof(path), "%s-%s.pcap", cfg->pcap_prefix, name);
      rv = psim_pcap_open(&r->pcaps[i], path, r->mem, perr, sizeof(perr));
      if (rv != 0)
        return errf(err, errlen, rv, "%s", perr);
    }
  }

  if (cfg->trace != NULL) {
    rv = psim_trace_new(&r->trace, cfg->trace, r->mem);
    if (rv != 0)
      return errf(err, errlen, rv, "out of memory");
  }
  if (cfg->ladder) {
    rv = psim_ladder_new(&r->ladder, r->client, r->server, r->mem);
    if (rv != 0)
      return errf(err, errlen, rv, "out of memory");
    r->res->ladder = r->ladder;
  }
  memset(&obs, 0, sizeof(obs));
  obs.on_trace = on_engine;
  obs.on_input_error = on_input_error;
  obs.ctx = r;
  psim_node_set_observer(r->server, &obs);
  for (unsigned i = 0; i < r->nclients; i++)
    psim_node_set_observer(r->clients[i], &obs);
  return 0;
}

/* ------------------------------------------------------------------ */
/* Results                                                             */

static void collect(run *r, int hung) {
  psim_result *res = r->res;
  psim_app_stats sum;
  psim_node *nodes[RUN_MAX_CLIENTS + 1];
  unsigned nn = 0;
  uint64_t rtt_sum = 0;

  nodes[nn++] = r->server;
  for (unsigned i = 0; i < r->nclients; i++)
    nodes[nn++] = r->clients[i];

  res->hung = hung;
  res->sim_time = psim_sched_now(r->sched);
  res->final_client = r->ever[SIDE_CLIENT] ? r->state[SIDE_CLIENT] : PTCP_CLOSED;
  res->final_server = r->ever[SIDE_SERVER] ? r->state[SIDE_SERVER] : PTCP_CLOSED;
  run_check_common(r);
  run_app_sum(r, &sum);
  res->bytes_sent = sum.bytes_sent;
  res->bytes_delivered = sum.bytes_received;
  res->bytes_expected = sum.bytes_expected;
  if (r->expect_prefix)
    res->verified = sum.bytes_bad == 0 && sum.bytes_verified == sum.bytes_received &&
                    sum.bytes_received >= sum.bytes_expected &&
                    sum.bytes_received <= sum.bytes_sent;
  else
    res->verified = sum.bytes_bad == 0 && sum.bytes_verified == sum.bytes_received &&
                    sum.bytes_received == sum.bytes_expected;
  if (!res->verified) {
    if (sum.bytes_bad > 0)
      run_fail(
          r,
          "data: %llu bytes did not match the pattern (the first at stream offset %llu)",
          (unsigned long long)sum.bytes_bad, (unsigned long long)sum.first_bad_offset);
    else
      run_fail(r, "data: delivered %llu bytes, %s %llu",
               (unsigned long long)sum.bytes_received,
               r->expect_prefix ? "wanted at least" : "expected",
               (unsigned long long)sum.bytes_expected);
  }
  res->events = psim_sched_executed(r->sched);
  res->rtt_min = PTCP_TIME_NONE;
  for (unsigned i = 0; i < nn; i++) {
    const psim_node_stats *ns = psim_node_get_stats(nodes[i]);
    ptcp_stack_stats ss;

    ptcp_stack_stats_get(psim_node_stack(nodes[i]), &ss);
    res->segments_sent += ns->segs_out;
    res->data_segments_sent += ns->data_segs_out;
    res->retransmissions += ns->retransmits;
    res->timeouts += ns->timeouts;
    res->input_errors += ns->input_errors;
    res->spurious_retransmissions +=
        ss.reasons[PTCP_R_DUPLICATE] + ss.reasons[PTCP_R_PARTIAL_DUPLICATE];
    res->rtt_samples += ns->rtt_samples;
    rtt_sum += ns->rtt_sum;
    if (ns->rtt_samples > 0) {
      if (ns->rtt_min < res->rtt_min)
        res->rtt_min = ns->rtt_min;
      if (ns->rtt_max > res->rtt_max)
        res->rtt_max = ns->rtt_max;
    }
  }
  res->rtt_mean = res->rtt_samples ? (double)rtt_sum / (double)res->rtt_samples : 0;
  if (res->rtt_samples == 0)
    res->rtt_max = PTCP_TIME_NONE;
  for (unsigned i = 0; i < r->nlinks; i++) {
    for (unsigned d = 0; d < 2; d++) {
      const psim_link_stats *ls = psim_link_get_stats(r->links[i], d);
      res->links.offered += ls->offered;
      res->links.sent += ls->sent;
      res->links.dropped_queue += ls->dropped_queue;
      res->links.lost += ls->lost;
      res->links.duplicated += ls->duplicated;
      res->links.reordered += ls->reordered;
      res->links.corrupted += ls->corrupted;
      res->links.delivered += ls->delivered;
    }
  }
  res->pool_peak = psim_pool_get_stats(r->pool)->peak_in_use;
  res->client_error = run_side_error(r, SIDE_CLIENT);
  res->server_error = run_side_error(r, SIDE_SERVER);
}

void run_check_common(run *r) {
  if (r->res->hung)
    run_fail(r,
             "hang: the scenario was not over at %.3f s of simulated time "
             "(client %s, server %s, %u of %u applications done)",
             (double)r->res->sim_time / 1e9, ptcp_state_name(r->res->final_client),
             ptcp_state_name(r->res->final_server), r->apps_done, r->apps);
}

/* ------------------------------------------------------------------ */
/* The run                                                             */

static void teardown(run *r) {
  for (unsigned i = 0; i < r->nclients; i++)
    if (r->clients[i] != NULL)
      psim_node_set_observer(r->clients[i], NULL);
  if (r->server != NULL)
    psim_node_set_observer(r->server, NULL);
  for (unsigned i = 0; i < r->nlinks; i++)
    psim_link_set_trace(r->links[i], NULL, NULL);
  psim_bulk_del(r->bulk);
  psim_sink_del(r->sink);
  psim_echo_client_del(r->echo_cli);
  psim_echo_server_del(r->echo_srv);
  psim_reqresp_server_del(r->rr_srv);
  for (unsigned i = 0; i < r->nmany; i++)
    psim_many_del(r->many[i]);
  for (unsigned i = 0; i < r->npeers; i++) {
    peer *p = &r->peers[i];
    if (r->sched != NULL)
      psim_sched_cancel(r->sched, p->ev);
    if (p->st.sock != NULL)
      psim_sock_close(p->st.sock);
    if (p->listener != NULL)
      psim_sock_close(p->listener);
  }
  for (unsigned i = 0; i < r->nclients; i++)
    psim_node_del(r->clients[i]);
  psim_node_del(r->server);
  for (unsigned i = 0; i < r->nlinks; i++)
    psim_link_del(r->links[i]);
  psim_trace_del(r->trace);
  psim_pattern_del(r->pat);
  psim_pool_del(r->pool);
  psim_sched_del(r->sched);
  if (r->own_reg != NULL)
    ptcp_registry_free(r->own_reg);
}

static int close_pcaps(run *r, char *err, size_t errlen) {
  int rv = 0;

  for (unsigned i = 0; i < r->nlinks; i++) {
    char perr[512];
    if (r->pcaps[i] != NULL && psim_pcap_close(r->pcaps[i], perr, sizeof(perr)) != 0 &&
        rv == 0)
      rv = errf(err, errlen, PSIM_ERR_IO, "%s", perr);
    r->pcaps[i] = NULL;
  }
  return rv;
}

int psim_run(const psim_run_cfg *cfg, psim_result *res, char *err, size_t errlen) {
  run *r;
  link_ctx lctx[RUN_MAX_CLIENTS];
  const ptcp_mem *mem;
  int rv, hung = 0;

  if (err != NULL && errlen > 0)
    err[0] = '\0';
  if (cfg == NULL || res == NULL)
    return errf(err, errlen, PTCP_ERR_INVALID_ARGUMENT, "NULL argument");
  memset(res, 0, sizeof(*res));
  mem = cfg->mem ? cfg->mem : ptcp_mem_default();
  r = mem->calloc(1, sizeof(*r), mem->user_data);
  if (r == NULL)
    return errf(err, errlen, PTCP_ERR_NOMEM, "out of memory");
  r->cfg = cfg;
  r->res = res;
  r->mem = mem;
  r->sc = run_scenario_find(cfg->scenario ? cfg->scenario : "bulk");
  if (r->sc == NULL) {
    char names[512];
    size_t n = 0;
    names[0] = '\0';
    for (size_t i = 0; i < run_scenario_count() && n < sizeof(names); i++)
      n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", i ? ", " : "",
                            run_scenario_at(i)->info.name);
    mem->free(r, mem->user_data);
    return errf(err, errlen, PTCP_ERR_NOT_FOUND, "no scenario named '%s'; available: %s",
                cfg->scenario, names);
  }
  res->scenario = &r->sc->info;
  res->seed = cfg->seed;
  r->late_syn_verdict = -1;
  r->tw_fin_verdict = -1;
  for (int s = 0; s < 2; s++) {
    r->tw_enter[s] = r->closed_at[s] = PTCP_TIME_NONE;
    r->state[s] = PTCP_CLOSED;
  }
  r->tw_fin_at = PTCP_TIME_NONE;
  r->hooks.on_done = on_app_done;
  r->hooks.on_bytes = on_app_bytes;
  r->hooks.ctx = r;

  /* Settings: the user's, else the scenario's defaults. */
  r->bytes =
      cfg->bytes || (cfg->set & PSIM_SET_BYTES) ? cfg->bytes : r->sc->info.default_bytes;
  r->conns = cfg->conns ? cfg->conns : DEFAULT_CONNS;
  if (strcmp(r->sc->info.name, "many") != 0)
    r->conns = 1;
  r->link = cfg->link;
  r->link.script = NULL;
  r->link.script_len = 0;
  if (!(cfg->set & PSIM_SET_LOSS))
    r->link.loss = r->sc->default_loss;
  ptcp_conn_cfg_default(&r->conn_cfg);
  if (cfg->mss)
    r->conn_cfg.mss = cfg->mss;
  if (cfg->sndbuf)
    r->conn_cfg.sndbuf = cfg->sndbuf;
  if (cfg->rcvbuf)
    r->conn_cfg.rcvbuf = cfg->rcvbuf;
  if (cfg->msl)
    r->conn_cfg.msl = cfg->msl;
  r->server_cfg = r->conn_cfg;
  if (r->sc->server_rcvbuf != 0 && !(cfg->set & PSIM_SET_RCVBUF))
    r->server_cfg.rcvbuf = r->sc->server_rcvbuf;
  if (cfg->registry != NULL) {
    r->reg = cfg->registry;
  } else {
    rv = ptcp_registry_new(&r->own_reg, mem);
    if (rv == 0)
      rv = ptcp_registry_add_builtins(r->own_reg);
    if (rv != 0) {
      teardown(r);
      mem->free(r, mem->user_data);
      return errf(err, errlen, rv, "cannot build the policy registry: %s",
                  ptcp_strerror(rv));
    }
    r->reg = r->own_reg;
  }
  rv = build(r, err, errlen);
  if (rv == 0) {
    /* Link events are wanted by pcap, the trace, the ladder, the
     * scripts' checks and the caller's observer; without them the hook
     * stays off. */
    for (unsigned i = 0; i < r->nlinks; i++) {
      lctx[i].r = r;
      lctx[i].index = i;
      if (r->pcaps[i] != NULL || r->trace != NULL || cfg->on_link != NULL ||
          (i == 0 && (r->ladder != NULL || r->nscript[0] + r->nscript[1] > 0)))
        psim_link_set_trace(r->links[i], on_link, &lctx[i]);
    }
    res->link = r->link;
    res->impair = cfg->impair;
    res->bytes = r->bytes;
    res->conns = r->conns;
    res->mss = r->conn_cfg.mss;
    res->sndbuf = r->conn_cfg.sndbuf;
    res->rcvbuf = r->server_cfg.rcvbuf;
    res->msl = r->conn_cfg.msl;
    for (int slot = 0; slot < PTCP_SLOT_COUNT; slot++)
      memcpy(res->policy[slot], r->spec[slot], sizeof(res->policy[slot]));
    snprintf(res->expectation, sizeof(res->expectation), "%s", r->sc->info.expectation);
    rv = r->sc->setup(r);
    if (rv != 0)
      errf(err, errlen, rv, "the scenario could not start: %s", ptcp_strerror(rv));
  }
  if (rv != 0) {
    teardown(r);
    close_pcaps(r, NULL, 0);
    res->ladder = NULL;
    psim_ladder_del(r->ladder);
    mem->free(r, mem->user_data);
    return rv;
  }
  {
    psim_app_stats sum;
    r->progress_total = run_app_sum(r, &sum)->bytes_expected;
  }
  if (cfg->milestone != NULL)
    cfg->milestone(cfg->ctx, "start", psim_sched_now(r->sched));

  rv = psim_sched_run_until(r->sched,
                            cfg->time_limit ? cfg->time_limit : DEFAULT_TIME_LIMIT);
  if (rv != 0)
    run_fail(r, "the simulation stopped: %s", psim_strerror(rv));
  if (!r->finished)
    hung = 1;
  collect(r, hung);
  r->sc->check(r);
  res->ok = res->nfailures == 0;
  if (r->trace != NULL && psim_trace_error(r->trace) != 0)
    rv = errf(err, errlen, PSIM_ERR_IO, "the trace could not be written");
  else
    rv = 0;
  teardown(r);
  {
    int prv = close_pcaps(r, err, errlen);
    if (rv == 0)
      rv = prv;
  }
  mem->free(r, mem->user_data);
  return rv;
}

void psim_result_free(psim_result *res) {
  if (res == NULL)
    return;
  psim_ladder_del(res->ladder);
  res->ladder = NULL;
}

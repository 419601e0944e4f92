/*
 * plugsim: the bulk sender and the checking sink.
 *
 *   bulk: connect at |start| -> ESTABLISHED -> send |bytes| of the
 *         pattern (from |send_at|) -> shutdown (FIN) -> read until the
 *         peer's FIN -> done when the connection reaches TIME-WAIT or
 *         CLOSED.
 *   sink: listen -> accept every connection -> read and check every
 *         byte (from |read_from|) -> FIN back after the peer's FIN ->
 *         done when |expect_conns| connections have ended.
 */
#include <errno.h>
#include <string.h>

#include "psim_app_int.h"

/* ------------------------------------------------------------------ */
/* bulk                                                                */

struct psim_bulk {
  psim_node *node;
  psim_bulk_cfg cfg;
  ptcp_conn_cfg conn;
  app_stream st;
  psim_app_stats stats;
  psim_event start_ev, send_ev, fin_ev;
  uint8_t sending, shut, closed;
  uint8_t buf[APP_READ_CHUNK];
};

static void bulk_finish_if_queued(psim_bulk *b);

static void bulk_fail(psim_bulk *b, int err) {
  app_stream_fail(&b->st, err);
  app_done(&b->stats, &b->cfg.hooks, psim_node_now(b->node));
}

static void bulk_pump(psim_bulk *b) {
  int rv;

  if (!b->sending || b->closed)
    return;
  rv = app_stream_pump(&b->st);
  if (rv < 0) {
    bulk_fail(b, -rv);
    return;
  }
  bulk_finish_if_queued(b);
}

static void bulk_shutdown(psim_bulk *b) {
  if (b->shut || b->closed || b->cfg.no_shutdown)
    return;
  b->shut = 1;
  (void)psim_sock_shutdown(b->st.sock, PSIM_SHUT_WR);
}

static void bulk_fin_event(psim_sched *s, ptcp_time now, void *a, void *c) {
  (void)s;
  (void)now;
  (void)c;
  bulk_shutdown(a);
}

static void bulk_finish_if_queued(psim_bulk *b) {
  if (b->st.tx_off < b->cfg.bytes || b->shut)
    return;
  if (b->cfg.shutdown_delay > 0) {
    if (!psim_sched_pending(psim_node_sched(b->node), b->fin_ev))
      (void)psim_sched_after(psim_node_sched(b->node), b->cfg.shutdown_delay,
                             bulk_fin_event, b, NULL, &b->fin_ev);
    return;
  }
  bulk_shutdown(b);
}

static void bulk_send_event(psim_sched *s, ptcp_time now, void *a, void *c) {
  psim_bulk *b = a;

  (void)s;
  (void)now;
  (void)c;
  b->sending = 1;
  bulk_pump(b);
}

static void bulk_on_connected(void *ctx, psim_sock *sock) {
  psim_bulk *b = ctx;
  psim_sched *s = psim_node_sched(b->node);

  (void)sock;
  b->stats.conns_established++;
  if (b->cfg.send_at > psim_sched_now(s)) {
    (void)psim_sched_at(s, b->cfg.send_at, bulk_send_event, b, NULL, &b->send_ev);
    return;
  }
  b->sending = 1;
  bulk_pump(b);
}

static void bulk_on_writable(void *ctx, psim_sock *sock) {
  (void)sock;
  bulk_pump(ctx);
}

static void bulk_on_readable(void *ctx, psim_sock *sock) {
  psim_bulk *b = ctx;
  ptcp_ssize rv;

  (void)sock;
  rv = app_stream_read(&b->st, b->buf, sizeof(b->buf));
  if (rv < 0 && !b->st.failed)
    bulk_fail(b, (int)-rv);
}

static void bulk_on_error(void *ctx, psim_sock *sock, int err) {
  (void)sock;
  bulk_fail(ctx, err);
}

static void bulk_on_closed(void *ctx, psim_sock *sock, int err) {
  psim_bulk *b = ctx;

  b->closed = 1;
  if (err != 0) {
    bulk_fail(b, err);
  } else {
    if (b->st.tx_off == b->cfg.bytes && !b->st.failed)
      b->stats.conns_done++;
    app_done(&b->stats, &b->cfg.hooks, psim_node_now(b->node));
  }
  /* The engine finishes TIME-WAIT on its own (a compact entry). */
  if (b->cfg.close_at_end && b->st.sock == sock) {
    b->st.sock = NULL;
    psim_sock_close(sock);
  }
}

static const psim_sock_cb bulk_cb = {
    .on_connected = bulk_on_connected,
    .on_readable = bulk_on_readable,
    .on_writable = bulk_on_writable,
    .on_error = bulk_on_error,
    .on_closed = bulk_on_closed,
};

static void bulk_start(psim_sched *s, ptcp_time now, void *a, void *c) {
  psim_bulk *b = a;
  int rv = 0;

  (void)s;
  (void)now;
  (void)c;
  if (b->st.sock == NULL)
    rv = psim_sock_new(b->node, b->cfg.conn != NULL ? &b->conn : NULL, &b->st.sock);
  if (rv == 0) {
    psim_sock_set_cb(b->st.sock, &bulk_cb, b);
    b->stats.conns_opened++;
    rv = psim_sock_connect(b->st.sock, &b->cfg.dst, b->cfg.port);
  }
  if (rv != 0)
    bulk_fail(b, -rv);
}

int psim_bulk_new(psim_bulk **pb, psim_node *node, const psim_bulk_cfg *cfg) {
  psim_bulk *b;
  psim_sched *s;

  if (pb == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  *pb = NULL;
  if (node == NULL || cfg == NULL || cfg->pattern == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  s = psim_node_sched(node);
  if (cfg->start < psim_sched_now(s))
    return PTCP_ERR_INVALID_ARGUMENT;
  b = app_alloc(node, sizeof(*b));
  if (b == NULL)
    return PTCP_ERR_NOMEM;
  b->node = node;
  b->cfg = *cfg;
  if (cfg->conn != NULL)
    b->conn = *cfg->conn;
  app_stats_init(&b->stats);
  b->st.sock = cfg->sock;
  b->st.pat = cfg->pattern;
  b->st.stats = &b->stats;
  b->st.hooks = &b->cfg.hooks;
  b->st.tx_base = cfg->base;
  b->st.tx_limit = cfg->bytes;
  if (psim_sched_at(s, cfg->start, bulk_start, b, NULL, &b->start_ev) != 0) {
    app_free(node, b);
    return PTCP_ERR_NOMEM;
  }
  *pb = b;
  return 0;
}

void psim_bulk_del(psim_bulk *b) {
  psim_sched *s;

  if (b == NULL)
    return;
  s = psim_node_sched(b->node);
  psim_sched_cancel(s, b->start_ev);
  psim_sched_cancel(s, b->send_ev);
  psim_sched_cancel(s, b->fin_ev);
  if (b->st.sock != NULL)
    psim_sock_close(b->st.sock);
  app_free(b->node, b);
}

const psim_app_stats *psim_bulk_stats(const psim_bulk *b) { return &b->stats; }
psim_sock *psim_bulk_sock(const psim_bulk *b) { return b->st.sock; }

/* ------------------------------------------------------------------ */
/* sink                                                                */

typedef struct sink_conn {
  app_stream st;
  struct sink_conn *next, *prev;
  uint8_t ended;
} sink_conn;

struct psim_sink {
  psim_node *node;
  psim_sink_cfg cfg;
  ptcp_conn_cfg conn;
  psim_sock *listener;
  sink_conn *conns;
  unsigned ended;
  psim_app_stats stats;
  psim_event read_ev;
  uint8_t buf[APP_READ_CHUNK];
};

static sink_conn *sink_conn_of(psim_sink *k, psim_sock *sock) {
  sink_conn *sc = psim_sock_user(sock);

  if (sc != NULL)
    return sc;
  sc = app_alloc(k->node, sizeof(*sc));
  if (sc == NULL)
    return NULL;
  sc->st.sock = sock;
  sc->st.pat = k->cfg.pattern;
  sc->st.stats = &k->stats;
  sc->st.hooks = &k->cfg.hooks;
  sc->st.rx_base = k->cfg.base;
  sc->st.verify = 1;
  sc->next = k->conns;
  if (k->conns != NULL)
    k->conns->prev = sc;
  k->conns = sc;
  k->stats.conns_opened++;
  k->stats.conns_established++;
  psim_sock_set_user(sock, sc);
  return sc;
}

/* A connection ended (orderly, failed or reset by us). */
static void sink_end(psim_sink *k, sink_conn *sc) {
  if (sc->ended)
    return;
  sc->ended = 1;
  if (++k->ended >= (k->cfg.expect_conns ? k->cfg.expect_conns : 1))
    app_done(&k->stats, &k->cfg.hooks, psim_node_now(k->node));
}

static void sink_read(psim_sink *k, sink_conn *sc) {
  ptcp_ssize rv;

  if (sc->ended || sc->st.sock == NULL || psim_node_now(k->node) < k->cfg.read_from)
    return;
  rv = app_stream_read(&sc->st, k->buf, sizeof(k->buf));
  if (rv < 0) {
    app_stream_fail(&sc->st, (int)-rv);
    return;
  }
  if (k->cfg.abort_after > 0 && sc->st.rx_off >= k->cfg.abort_after) {
    psim_sock_abort(sc->st.sock);
    sc->st.sock = NULL;
    k->stats.conns_done++;
    sink_end(k, sc);
    return;
  }
  if (sc->st.eof && !k->cfg.no_shutdown)
    (void)psim_sock_shutdown(sc->st.sock, PSIM_SHUT_WR);
}

static void sink_on_accept(void *ctx, psim_sock *l) {
  psim_sink *k = ctx;
  psim_sock *s;

  while (psim_sock_accept(l, &s) == 0) {
    sink_conn *sc = sink_conn_of(k, s);
    if (sc == NULL) {
      psim_sock_abort(s);
      continue;
    }
    sink_read(k, sc);
  }
}

static void sink_on_readable(void *ctx, psim_sock *sock) {
  psim_sink *k = ctx;
  sink_conn *sc = sink_conn_of(k, sock);

  if (sc != NULL)
    sink_read(k, sc);
}

static void sink_on_error(void *ctx, psim_sock *sock, int err) {
  psim_sink *k = ctx;
  sink_conn *sc = sink_conn_of(k, sock);

  if (sc != NULL)
    app_stream_fail(&sc->st, err);
}

static void sink_on_closed(void *ctx, psim_sock *sock, int err) {
  psim_sink *k = ctx;
  sink_conn *sc = sink_conn_of(k, sock);

  if (sc == NULL)
    return;
  if (err != 0)
    app_stream_fail(&sc->st, err);
  else if (sc->st.eof && !sc->st.failed)
    k->stats.conns_done++;
  sink_end(k, sc);
}

static const psim_sock_cb sink_cb = {
    .on_accept = sink_on_accept,
    .on_readable = sink_on_readable,
    .on_error = sink_on_error,
    .on_closed = sink_on_closed,
};

/* The read pause is over: drain everything that piled up. */
static void sink_read_event(psim_sched *s, ptcp_time now, void *a, void *c) {
  psim_sink *k = a;

  (void)s;
  (void)now;
  (void)c;
  for (sink_conn *sc = k->conns; sc != NULL; sc = sc->next)
    sink_read(k, sc);
}

int psim_sink_new(psim_sink **pk, psim_node *node, const psim_sink_cfg *cfg) {
  psim_sink *k;
  int rv;

  if (pk == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  *pk = NULL;
  if (node == NULL || cfg == NULL || cfg->pattern == NULL || cfg->port == 0)
    return PTCP_ERR_INVALID_ARGUMENT;
  k = app_alloc(node, sizeof(*k));
  if (k == NULL)
    return PTCP_ERR_NOMEM;
  k->node = node;
  k->cfg = *cfg;
  if (cfg->conn != NULL)
    k->conn = *cfg->conn;
  app_stats_init(&k->stats);
  k->stats.bytes_expected =
      cfg->expect_bytes * (cfg->expect_conns ? cfg->expect_conns : 1);
  rv = psim_sock_new(node, cfg->conn != NULL ? &k->conn : NULL, &k->listener);
  if (rv == 0)
    rv = psim_sock_bind(k->listener, NULL, cfg->port);
  if (rv == 0)
    rv = psim_sock_listen(k->listener, cfg->backlog ? cfg->backlog : 128);
  if (rv == 0 && cfg->read_from > psim_node_now(node))
    rv = psim_sched_at(psim_node_sched(node), cfg->read_from, sink_read_event, k, NULL,
                       &k->read_ev) == 0
             ? 0
             : -ENOMEM;
  if (rv != 0) {
    if (k->listener != NULL)
      psim_sock_close(k->listener);
    app_free(node, k);
    return rv == -EADDRINUSE ? PTCP_ERR_ADDR_IN_USE
           : rv == -ENOMEM   ? PTCP_ERR_NOMEM
                             : PTCP_ERR_INVALID_ARGUMENT;
  }
  psim_sock_set_cb(k->listener, &sink_cb, k);
  *pk = k;
  return 0;
}

void psim_sink_del(psim_sink *k) {
  if (k == NULL)
    return;
  psim_sched_cancel(psim_node_sched(k->node), k->read_ev);
  while (k->conns != NULL) {
    sink_conn *sc = k->conns;
    k->conns = sc->next;
    if (sc->st.sock != NULL)
      psim_sock_close(sc->st.sock);
    app_free(k->node, sc);
  }
  psim_sock_close(k->listener);
  app_free(k->node, k);
}

const psim_app_stats *psim_sink_stats(const psim_sink *k) { return &k->stats; }

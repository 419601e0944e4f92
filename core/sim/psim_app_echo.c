/*
 * plugsim: echo.
 *
 *   server: listen -> accept -> send back every byte read, in order
 *           (reading pauses while a send is short), checking it against
 *           the pattern if given -> FIN once the peer's FIN has been
 *           read and everything echoed.
 *   client: connect -> send |bytes| of the pattern -> read and check the
 *           echo -> FIN when the echo is complete, or (|half_close|)
 *           right after the last byte was queued, so that the echo
 *           arrives over a half-closed connection.
 */
#include <errno.h>
#include <string.h>

#include "psim_app_int.h"

/* Bytes an echo connection holds between reading and sending. */
#define ECHO_BUF 16384u

/* ------------------------------------------------------------------ */
/* server                                                              */

typedef struct echo_conn {
  app_stream st; /* stats and failure bookkeeping; no pattern */
  uint8_t *pend; /* ECHO_BUF bytes, allocated on first read */
  size_t pend_off, pend_len;
  struct echo_conn *next;
  uint8_t shut, ended;
} echo_conn;

struct psim_echo_server {
  psim_node *node;
  psim_echo_server_cfg cfg;
  ptcp_conn_cfg conn;
  psim_sock *listener;
  echo_conn *conns;
  unsigned ended;
  psim_app_stats stats;
};

static echo_conn *echo_conn_of(psim_echo_server *e, psim_sock *sock) {
  echo_conn *ec = psim_sock_user(sock);

  if (ec != NULL)
    return ec;
  ec = app_alloc(e->node, sizeof(*ec));
  if (ec == NULL)
    return NULL;
  ec->st.sock = sock;
  ec->st.stats = &e->stats;
  ec->st.hooks = &e->cfg.hooks;
  ec->next = e->conns;
  e->conns = ec;
  e->stats.conns_opened++;
  e->stats.conns_established++;
  psim_sock_set_user(sock, ec);
  return ec;
}

/* Sends what is pending; returns nonzero when all of it went. */
static int echo_flush(echo_conn *ec) {
  while (ec->pend_len > 0) {
    ptcp_ssize rv = psim_sock_send(ec->st.sock, ec->pend + ec->pend_off, ec->pend_len);

    if (rv == -EAGAIN)
      return 0;
    if (rv < 0) {
      app_stream_fail(&ec->st, (int)-rv);
      ec->pend_len = 0;
      return 0;
    }
    ec->st.stats->bytes_sent += (uint64_t)rv;
    ec->pend_off += (size_t)rv;
    ec->pend_len -= (size_t)rv;
  }
  ec->pend_off = 0;
  return 1;
}

static void echo_serve(psim_echo_server *e, echo_conn *ec) {
  if (ec->ended || ec->st.failed)
    return;
  while (echo_flush(ec) && !ec->st.eof) {
    ptcp_ssize rv;

    if (ec->pend == NULL) {
      ec->pend = app_alloc(e->node, ECHO_BUF);
      if (ec->pend == NULL) {
        app_stream_fail(&ec->st, ENOMEM);
        return;
      }
    }
    rv = psim_sock_recv(ec->st.sock, ec->pend, ECHO_BUF);
    if (rv == -EAGAIN)
      return;
    if (rv < 0) {
      app_stream_fail(&ec->st, (int)-rv);
      return;
    }
    if (rv == 0) {
      ec->st.eof = 1;
      e->stats.eofs++;
      break;
    }
    e->stats.bytes_received += (uint64_t)rv;
    if (e->cfg.pattern != NULL) {
      size_t good = psim_pattern_check(e->cfg.pattern, e->cfg.base + ec->st.rx_off,
                                       ec->pend, (size_t)rv);
      e->stats.bytes_verified += good;
      if (good < (size_t)rv) {
        e->stats.bytes_bad += (size_t)rv - good;
        if (e->stats.first_bad_offset == UINT64_MAX)
          e->stats.first_bad_offset = ec->st.rx_off + good;
      }
    }
    ec->st.rx_off += (uint64_t)rv;
    ec->pend_len = (size_t)rv;
  }
  if (ec->st.eof && ec->pend_len == 0 && !ec->shut) {
    ec->shut = 1;
    (void)psim_sock_shutdown(ec->st.sock, PSIM_SHUT_WR);
  }
}

static void echo_on_accept(void *ctx, psim_sock *l) {
  psim_echo_server *e = ctx;
  psim_sock *s;

  while (psim_sock_accept(l, &s) == 0) {
    echo_conn *ec = echo_conn_of(e, s);
    if (ec == NULL)
      psim_sock_abort(s);
    else
      echo_serve(e, ec);
  }
}

static void echo_on_ready(void *ctx, psim_sock *sock) {
  psim_echo_server *e = ctx;
  echo_conn *ec = echo_conn_of(e, sock);

  if (ec != NULL)
    echo_serve(e, ec);
}

static void echo_on_error(void *ctx, psim_sock *sock, int err) {
  psim_echo_server *e = ctx;
  echo_conn *ec = echo_conn_of(e, sock);

  if (ec != NULL)
    app_stream_fail(&ec->st, err);
}

static void echo_on_closed(void *ctx, psim_sock *sock, int err) {
  psim_echo_server *e = ctx;
  echo_conn *ec = echo_conn_of(e, sock);

  if (ec == NULL || ec->ended)
    return;
  ec->ended = 1;
  if (err != 0)
    app_stream_fail(&ec->st, err);
  else if (ec->st.eof && !ec->st.failed)
    e->stats.conns_done++;
  if (++e->ended >= (e->cfg.expect_conns ? e->cfg.expect_conns : 1))
    app_done(&e->stats, &e->cfg.hooks, psim_node_now(e->node));
}

static const psim_sock_cb echo_server_cb = {
    .on_accept = echo_on_accept,
    .on_readable = echo_on_ready,
    .on_writable = echo_on_ready,
    .on_error = echo_on_error,
    .on_closed = echo_on_closed,
};

int psim_echo_server_new(psim_echo_server **pe, psim_node *node,
                         const psim_echo_server_cfg *cfg) {
  psim_echo_server *e;
  int rv;

  if (pe == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  *pe = NULL;
  if (node == NULL || cfg == NULL || cfg->port == 0)
    return PTCP_ERR_INVALID_ARGUMENT;
  e = app_alloc(node, sizeof(*e));
  if (e == NULL)
    return PTCP_ERR_NOMEM;
  e->node = node;
  e->cfg = *cfg;
  if (cfg->conn != NULL)
    e->conn = *cfg->conn;
  app_stats_init(&e->stats);
  e->stats.bytes_expected = cfg->expect_bytes;
  rv = psim_sock_new(node, cfg->conn != NULL ? &e->conn : NULL, &e->listener);
  if (rv == 0)
    rv = psim_sock_bind(e->listener, NULL, cfg->port);
  if (rv == 0)
    rv = psim_sock_listen(e->listener, cfg->backlog ? cfg->backlog : 128);
  if (rv != 0) {
    if (e->listener != NULL)
      psim_sock_close(e->listener);
    app_free(node, e);
    return rv == -EADDRINUSE ? PTCP_ERR_ADDR_IN_USE
           : rv == -ENOMEM   ? PTCP_ERR_NOMEM
                             : PTCP_ERR_INVALID_ARGUMENT;
  }
  psim_sock_set_cb(e->listener, &echo_server_cb, e);
  *pe = e;
  return 0;
}

void psim_echo_server_del(psim_echo_server *e) {
  if (e == NULL)
    return;
  while (e->conns != NULL) {
    echo_conn *ec = e->conns;
    e->conns = ec->next;
    psim_sock_close(ec->st.sock);
    app_free(e->node, ec->pend);
    app_free(e->node, ec);
  }
  psim_sock_close(e->listener);
  app_free(e->node, e);
}

const psim_app_stats *psim_echo_server_stats(const psim_echo_server *e) {
  return &e->stats;
}

/* ------------------------------------------------------------------ */
/* client                                                              */

struct psim_echo_client {
  psim_node *node;
  psim_echo_client_cfg cfg;
  ptcp_conn_cfg conn;
  app_stream st;
  psim_app_stats stats;
  psim_event start_ev;
  uint8_t shut;
  uint8_t buf[APP_READ_CHUNK];
};

static void echo_client_fail(psim_echo_client *c, int err) {
  app_stream_fail(&c->st, err);
  app_done(&c->stats, &c->cfg.hooks, psim_node_now(c->node));
}

static void echo_client_step(psim_echo_client *c) {
  int rv = app_stream_pump(&c->st);
  int all_sent = c->st.tx_off == c->cfg.bytes;

  if (rv < 0) {
    echo_client_fail(c, -rv);
    return;
  }
  if (!c->shut && all_sent && (c->cfg.half_close || c->st.rx_off >= c->cfg.bytes)) {
    c->shut = 1;
    (void)psim_sock_shutdown(c->st.sock, PSIM_SHUT_WR);
  }
}

static void echo_client_on_connected(void *ctx, psim_sock *sock) {
  psim_echo_client *c = ctx;

  (void)sock;
  c->stats.conns_established++;
  echo_client_step(c);
}

static void echo_client_on_writable(void *ctx, psim_sock *sock) {
  (void)sock;
  echo_client_step(ctx);
}

static void echo_client_on_readable(void *ctx, psim_sock *sock) {
  psim_echo_client *c = ctx;
  ptcp_ssize rv;

  (void)sock;
  rv = app_stream_read(&c->st, c->buf, sizeof(c->buf));
  if (rv < 0) {
    echo_client_fail(c, (int)-rv);
    return;
  }
  echo_client_step(c);
}

static void echo_client_on_error(void *ctx, psim_sock *sock, int err) {
  (void)sock;
  echo_client_fail(ctx, err);
}

static void echo_client_on_closed(void *ctx, psim_sock *sock, int err) {
  psim_echo_client *c = ctx;

  (void)sock;
  if (err != 0) {
    echo_client_fail(c, err);
    return;
  }
  if (c->st.rx_off == c->cfg.bytes && c->st.eof && !c->st.failed)
    c->stats.conns_done++;
  app_done(&c->stats, &c->cfg.hooks, psim_node_now(c->node));
}

static const psim_sock_cb echo_client_cb = {
    .on_connected = echo_client_on_connected,
    .on_readable = echo_client_on_readable,
    .on_writable = echo_client_on_writable,
    .on_error = echo_client_on_error,
    .on_closed = echo_client_on_closed,
};

static void echo_client_start(psim_sched *s, ptcp_time now, void *a, void *b) {
  psim_echo_client *c = a;
  int rv;

  (void)s;
  (void)now;
  (void)b;
  rv = psim_sock_new(c->node, c->cfg.conn != NULL ? &c->conn : NULL, &c->st.sock);
  if (rv == 0) {
    psim_sock_set_cb(c->st.sock, &echo_client_cb, c);
    c->stats.conns_opened++;
    rv = psim_sock_connect(c->st.sock, &c->cfg.dst, c->cfg.port);
  }
  if (rv != 0)
    echo_client_fail(c, -rv);
}

int psim_echo_client_new(psim_echo_client **pc, psim_node *node,
                         const psim_echo_client_cfg *cfg) {
  psim_echo_client *c;
  psim_sched *s;

  if (pc == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  *pc = NULL;
  if (node == NULL || cfg == NULL || cfg->pattern == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  s = psim_node_sched(node);
  if (cfg->start < psim_sched_now(s))
    return PTCP_ERR_INVALID_ARGUMENT;
  c = app_alloc(node, sizeof(*c));
  if (c == NULL)
    return PTCP_ERR_NOMEM;
  c->node = node;
  c->cfg = *cfg;
  if (cfg->conn != NULL)
    c->conn = *cfg->conn;
  app_stats_init(&c->stats);
  c->stats.bytes_expected = cfg->bytes;
  c->st.pat = cfg->pattern;
  c->st.stats = &c->stats;
  c->st.hooks = &c->cfg.hooks;
  c->st.tx_base = c->st.rx_base = cfg->base;
  c->st.tx_limit = cfg->bytes;
  c->st.verify = 1;
  if (psim_sched_at(s, cfg->start, echo_client_start, c, NULL, &c->start_ev) != 0) {
    app_free(node, c);
    return PTCP_ERR_NOMEM;
  }
  *pc = c;
  return 0;
}

void psim_echo_client_del(psim_echo_client *c) {
  if (c == NULL)
    return;
  psim_sched_cancel(psim_node_sched(c->node), c->start_ev);
  if (c->st.sock != NULL)
    psim_sock_close(c->st.sock);
  app_free(c->node, c);
}

const psim_app_stats *psim_echo_client_stats(const psim_echo_client *c) {
  return &c->stats;
}

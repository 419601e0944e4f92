/*
 * plugsim: request/response.
 *
 *   server: for each connection, read requests of |request| bytes,
 *           checking each byte, and answer every whole request with
 *           |response| bytes; FIN after the peer's FIN once all answers
 *           are queued.
 *
 * The clients live in psim_app_many.c.  Both ends offset the pattern by
 * the client's port (PSIM_REQRESP_CONN_STRIDE per port number).
 */
#include <errno.h>
#include <string.h>

#include "psim_app_int.h"

typedef struct rr_conn {
  app_stream st;
  struct rr_conn *next;
  uint8_t based, shut, ended;
} rr_conn;

struct psim_reqresp_server {
  psim_node *node;
  psim_reqresp_server_cfg cfg;
  ptcp_conn_cfg conn;
  psim_sock *listener;
  rr_conn *conns;
  unsigned ended;
  psim_app_stats stats;
  uint8_t buf[APP_READ_CHUNK];
};

static rr_conn *rr_conn_of(psim_reqresp_server *r, psim_sock *sock) {
  rr_conn *rc = psim_sock_user(sock);

  if (rc != NULL)
    return rc;
  rc = app_alloc(r->node, sizeof(*rc));
  if (rc == NULL)
    return NULL;
  rc->st.sock = sock;
  rc->st.pat = r->cfg.pattern;
  rc->st.stats = &r->stats;
  rc->st.hooks = &r->cfg.hooks;
  rc->st.verify = 1;
  rc->next = r->conns;
  r->conns = rc;
  r->stats.conns_opened++;
  r->stats.conns_established++;
  psim_sock_set_user(sock, rc);
  return rc;
}

static void rr_serve(psim_reqresp_server *r, rr_conn *rc) {
  ptcp_ssize rv;
  int err;

  if (rc->ended || rc->st.failed)
    return;
  if (!rc->based) {
    ptcp_conn_status cs;
    uint64_t off;

    psim_sock_status(rc->st.sock, &cs);
    off = (uint64_t)cs.remote_port * PSIM_REQRESP_CONN_STRIDE;
    rc->st.rx_base = r->cfg.base_req + off;
    rc->st.tx_base = r->cfg.base_resp + off;
    rc->based = 1;
  }
  rv = app_stream_read(&rc->st, r->buf, sizeof(r->buf));
  if (rv < 0) {
    app_stream_fail(&rc->st, (int)-rv);
    return;
  }
  /* One response per whole request read so far. */
  rc->st.tx_limit = rc->st.rx_off / r->cfg.request * r->cfg.response;
  err = app_stream_pump(&rc->st);
  if (err < 0) {
    app_stream_fail(&rc->st, -err);
    return;
  }
  if (rc->st.eof && rc->st.tx_off == rc->st.tx_limit && !rc->shut) {
    rc->shut = 1;
    (void)psim_sock_shutdown(rc->st.sock, PSIM_SHUT_WR);
  }
}

static void rr_on_accept(void *ctx, psim_sock *l) {
  psim_reqresp_server *r = ctx;
  psim_sock *s;

  while (psim_sock_accept(l, &s) == 0) {
    rr_conn *rc = rr_conn_of(r, s);
    if (rc == NULL)
      psim_sock_abort(s);
    else
      rr_serve(r, rc);
  }
}

static void rr_on_ready(void *ctx, psim_sock *sock) {
  psim_reqresp_server *r = ctx;
  rr_conn *rc = rr_conn_of(r, sock);

  if (rc != NULL)
    rr_serve(r, rc);
}

static void rr_on_error(void *ctx, psim_sock *sock, int err) {
  psim_reqresp_server *r = ctx;
  rr_conn *rc = rr_conn_of(r, sock);

  if (rc != NULL)
    app_stream_fail(&rc->st, err);
}

static void rr_on_closed(void *ctx, psim_sock *sock, int err) {
  psim_reqresp_server *r = ctx;
  rr_conn *rc = rr_conn_of(r, sock);

  if (rc == NULL || rc->ended)
    return;
  rc->ended = 1;
  if (err != 0)
    app_stream_fail(&rc->st, err);
  else if (rc->st.eof && !rc->st.failed)
    r->stats.conns_done++;
  /* The connection is over: its socket is no longer needed. */
  psim_sock_close(rc->st.sock);
  rc->st.sock = NULL;
  if (++r->ended >= (r->cfg.expect_conns ? r->cfg.expect_conns : 1))
    app_done(&r->stats, &r->cfg.hooks, psim_node_now(r->node));
}

static const psim_sock_cb rr_server_cb = {
    .on_accept = rr_on_accept,
    .on_readable = rr_on_ready,
    .on_writable = rr_on_ready,
    .on_error = rr_on_error,
    .on_closed = rr_on_closed,
};

int psim_reqresp_server_new(psim_reqresp_server **pr, psim_node *node,
                            const psim_reqresp_server_cfg *cfg) {
  psim_reqresp_server *r;
  int rv;

  if (pr == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  *pr = NULL;
  if (node == NULL || cfg == NULL || cfg->pattern == NULL || cfg->port == 0 ||
      cfg->request == 0 || cfg->response == 0)
    return PTCP_ERR_INVALID_ARGUMENT;
  r = app_alloc(node, sizeof(*r));
  if (r == NULL)
    return PTCP_ERR_NOMEM;
  r->node = node;
  r->cfg = *cfg;
  if (cfg->conn != NULL)
    r->conn = *cfg->conn;
  app_stats_init(&r->stats);
  r->stats.bytes_expected = cfg->expect_bytes;
  rv = psim_sock_new(node, cfg->conn != NULL ? &r->conn : NULL, &r->listener);
  if (rv == 0)
    rv = psim_sock_bind(r->listener, NULL, cfg->port);
  if (rv == 0)
    rv = psim_sock_listen(r->listener, cfg->backlog ? cfg->backlog : 1024);
  if (rv != 0) {
    if (r->listener != NULL)
      psim_sock_close(r->listener);
    app_free(node, r);
    return rv == -EADDRINUSE ? PTCP_ERR_ADDR_IN_USE
           : rv == -ENOMEM   ? PTCP_ERR_NOMEM
                             : PTCP_ERR_INVALID_ARGUMENT;
  }
  psim_sock_set_cb(r->listener, &rr_server_cb, r);
  *pr = r;
  return 0;
}

void psim_reqresp_server_del(psim_reqresp_server *r) {
  if (r == NULL)
    return;
  while (r->conns != NULL) {
    rr_conn *rc = r->conns;
    r->conns = rc->next;
    if (rc->st.sock != NULL)
      psim_sock_close(rc->st.sock);
    app_free(r->node, rc);
  }
  psim_sock_close(r->listener);
  app_free(r->node, r);
}

const psim_app_stats *psim_reqresp_server_stats(const psim_reqresp_server *r) {
  return &r->stats;
}

/*
 * plugsim: the BSD-like socket API over a node's ptcp_stack.  Each call
 * maps to one ptcp_conn_* call at the scheduler's time, translates the
 * engine's error into an errno value, and moves the node's timer event.
 */
#include <errno.h>
#include <string.h>

#include "psim_node_int.h"

int psim_errno(int err) { return ptcp_err_errno(err); }

const char *psim_errno_name(int err) {
  switch (err) {
  case 0:
    return "0";
  case EAGAIN:
    return "EAGAIN";
  case EADDRINUSE:
    return "EADDRINUSE";
  case ECONNREFUSED:
    return "ECONNREFUSED";
  case ECONNRESET:
    return "ECONNRESET";
  case ETIMEDOUT:
    return "ETIMEDOUT";
  case ENOTCONN:
    return "ENOTCONN";
  case EPIPE:
    return "EPIPE";
  case EADDRNOTAVAIL:
    return "EADDRNOTAVAIL";
  case EALREADY:
    return "EALREADY";
  case EISCONN:
    return "EISCONN";
  case EMFILE:
    return "EMFILE";
  case ENOMEM:
    return "ENOMEM";
  case ECONNABORTED:
    return "ECONNABORTED";
  case EINVAL:
    return "EINVAL";
  default:
    return "E?";
  }
}

static ptcp_time now_of(const psim_sock *s) { return psim_node_now(s->node); }

static psim_sock *sock_alloc(psim_node *n) {
  const ptcp_mem *mem = psim_node_mem(n);
  psim_sock *s = mem->calloc(1, sizeof(*s), mem->user_data);

  if (s != NULL) {
    s->node = n;
    psim_node_sock_link(n, s);
  }
  return s;
}

static void sock_free(psim_sock *s) {
  const ptcp_mem *mem = psim_node_mem(s->node);

  psim_node_sock_unlink(s->node, s);
  mem->free(s, mem->user_data);
}

void psim_sock_event_in(psim_sock *s, ptcp_conn *conn, psim_sock_event ev, int err) {
  const psim_sock_cb *cb = &s->cb;

  /* A connection handed out by accept can speak before accept returns
   * (its queued data and FIN are announced at once). */
  if (s->conn == NULL)
    s->conn = conn;
  switch (ev) {
  case PSIM_SOCK_EV_ACCEPT:
    if (cb->on_accept)
      cb->on_accept(s->ctx, s);
    break;
  case PSIM_SOCK_EV_CONNECTED:
    if (cb->on_connected)
      cb->on_connected(s->ctx, s);
    break;
  case PSIM_SOCK_EV_READABLE:
    if (s->shut_rd) {
      /* SHUT_RD: what arrives is taken (and so acknowledged) and dropped. */
      uint8_t sink[4096];
      while (ptcp_conn_recv(s->conn, sink, sizeof(sink), now_of(s)) > 0)
        ;
      break;
    }
    if (cb->on_readable)
      cb->on_readable(s->ctx, s);
    break;
  case PSIM_SOCK_EV_WRITABLE:
    if (cb->on_writable)
      cb->on_writable(s->ctx, s);
    break;
  case PSIM_SOCK_EV_PEER_FIN:
    if (cb->on_peer_fin)
      cb->on_peer_fin(s->ctx, s);
    break;
  case PSIM_SOCK_EV_ERROR:
    s->err = psim_errno(err);
    if (cb->on_error)
      cb->on_error(s->ctx, s, s->err);
    break;
  case PSIM_SOCK_EV_CLOSED:
    if (cb->on_closed)
      cb->on_closed(s->ctx, s, psim_errno(err));
    break;
  }
}

int psim_sock_new(psim_node *n, const ptcp_conn_cfg *cfg, psim_sock **ps) {
  psim_sock *s;
  int rv;

  if (ps == NULL)
    return -EINVAL;
  *ps = NULL;
  if (n == NULL)
    return -EINVAL;
  s = sock_alloc(n);
  if (s == NULL)
    return -ENOMEM;
  rv = ptcp_conn_new(psim_node_stack(n), cfg, &s->conn);
  if (rv != 0) {
    sock_free(s);
    return rv == PTCP_ERR_NOT_FOUND ? -EINVAL : -psim_errno(rv);
  }
  ptcp_conn_set_user(s->conn, s);
  *ps = s;
  return 0;
}

void psim_sock_set_cb(psim_sock *s, const psim_sock_cb *cb, void *ctx) {
  if (cb != NULL)
    s->cb = *cb;
  else
    memset(&s->cb, 0, sizeof(s->cb));
  s->ctx = ctx;
}

int psim_sock_bind(psim_sock *s, const ptcp_addr *addr, uint16_t port) {
  int rv;

  if (s == NULL)
    return -EINVAL;
  rv = ptcp_conn_bind(s->conn, addr, port);
  return rv == PTCP_ERR_STATE ? -EINVAL : -psim_errno(rv);
}

int psim_sock_listen(psim_sock *s, unsigned backlog) {
  if (s == NULL)
    return -EINVAL;
  return ptcp_conn_listen(s->conn, backlog) == 0 ? 0 : -EINVAL;
}

int psim_sock_accept(psim_sock *l, psim_sock **pnew) {
  psim_sock *s;
  ptcp_conn *c;
  int rv;

  if (pnew == NULL)
    return -EINVAL;
  *pnew = NULL;
  if (l == NULL || ptcp_conn_state(l->conn) != PTCP_LISTEN)
    return -EINVAL;
  s = sock_alloc(l->node);
  if (s == NULL)
    return -ENOMEM;
  s->cb = l->cb;
  s->ctx = l->ctx;
  /* The accepted connection inherits the listener's user pointer, and
   * may announce queued data before accept returns: let it inherit the
   * new socket. */
  ptcp_conn_set_user(l->conn, s);
  rv = ptcp_conn_accept(l->conn, &c);
  ptcp_conn_set_user(l->conn, l);
  if (rv != 0) {
    sock_free(s);
    return rv == PTCP_ERR_WOULD_BLOCK ? -EAGAIN : -EINVAL;
  }
  s->conn = c;
  *pnew = s;
  psim_node_sync(l->node);
  return 0;
}

int psim_sock_connect(psim_sock *s, const ptcp_addr *addr, uint16_t port) {
  int rv;

  if (s == NULL)
    return -EINVAL;
  rv = ptcp_conn_connect(s->conn, addr, port, now_of(s));
  psim_node_sync(s->node);
  if (rv == PTCP_ERR_STATE) {
    ptcp_state st = ptcp_conn_state(s->conn);
    return st == PTCP_LISTEN || st == PTCP_CLOSED ? -EINVAL : -EISCONN;
  }
  return -psim_errno(rv);
}

ptcp_ssize psim_sock_send(psim_sock *s, const void *buf, size_t len) {
  ptcp_ssize n;

  if (s == NULL)
    return -EINVAL;
  n = ptcp_conn_send(s->conn, buf, len, now_of(s));
  psim_node_sync(s->node);
  return n >= 0 ? n : -psim_errno((int)n);
}

ptcp_ssize psim_sock_recv(psim_sock *s, void *buf, size_t len) {
  ptcp_ssize n;

  if (s == NULL)
    return -EINVAL;
  if (s->shut_rd)
    return 0;
  n = ptcp_conn_recv(s->conn, buf, len, now_of(s));
  psim_node_sync(s->node);
  return n >= 0 ? n : -psim_errno((int)n);
}

int psim_sock_shutdown(psim_sock *s, int how) {
  int rv = 0;

  if (s == NULL || how < PSIM_SHUT_RD || how > PSIM_SHUT_RDWR)
    return -EINVAL;
  if (how != PSIM_SHUT_WR) {
    ptcp_state st = ptcp_conn_state(s->conn);
    if (st == PTCP_CLOSED || st == PTCP_LISTEN || st == PTCP_SYN_SENT)
      return -ENOTCONN;
    s->shut_rd = 1;
  }
  if (how != PSIM_SHUT_RD) {
    rv = ptcp_conn_shutdown(s->conn, now_of(s));
    psim_node_sync(s->node);
    if (rv == PTCP_ERR_CLOSED)
      rv = 0;
  }
  /* A failed connection is not connected, as shutdown(2) says and as
   * PSIM_SHUT_RD above found; its error stays for send, recv and
   * psim_sock_error. */
  if (rv == PTCP_ERR_NOT_CONNECTED || rv == PTCP_ERR_CONN_REFUSED ||
      rv == PTCP_ERR_CONN_RESET || rv == PTCP_ERR_TIMED_OUT)
    return -ENOTCONN;
  return -psim_errno(rv);
}

int psim_sock_close(psim_sock *s) {
  psim_node *n;

  if (s == NULL)
    return -EINVAL;
  n = s->node;
  ptcp_conn_set_user(s->conn, NULL);
  ptcp_conn_close(s->conn, psim_node_now(n));
  sock_free(s);
  psim_node_sync(n);
  return 0;
}

int psim_sock_abort(psim_sock *s) {
  psim_node *n;

  if (s == NULL)
    return -EINVAL;
  n = s->node;
  ptcp_conn_set_user(s->conn, NULL);
  ptcp_conn_abort(s->conn, psim_node_now(n));
  sock_free(s);
  psim_node_sync(n);
  return 0;
}

int psim_sock_error(psim_sock *s) {
  int err = s->err;

  s->err = 0;
  return err;
}

ptcp_state psim_sock_state(const psim_sock *s) { return ptcp_conn_state(s->conn); }

void psim_sock_status(const psim_sock *s, ptcp_conn_status *st) {
  ptcp_conn_status_get(s->conn, st);
}

psim_node *psim_sock_node(const psim_sock *s) { return s->node; }
ptcp_conn *psim_sock_conn(const psim_sock *s) { return s->conn; }
void psim_sock_set_user(psim_sock *s, void *user) { s->user = user; }
void *psim_sock_user(const psim_sock *s) { return s->user; }
size_t psim_sock_sizeof(void) { return sizeof(psim_sock); }

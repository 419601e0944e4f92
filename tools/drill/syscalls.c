/*
 * plugtcp-drill: socket calls on top of the ptcp_conn_* API.
 *
 * A script's file descriptors are drill_socks.  The ptcp_conn behind one
 * is created when a call first needs it (bind, listen, connect), so the
 * setsockopt calls that come before can still shape its ptcp_conn_cfg.
 *
 * Errors become errno values the way a BSD socket reports them: the
 * engine's PTCP_ERR_* map to errno (WOULD_BLOCK -> EAGAIN, CONN_RESET ->
 * ECONNRESET, ...), and a connection failure is kept as the socket's
 * pending error (so_error) until SO_ERROR, a read or a write reports it.
 *
 * Blocking sockets are emulated in virtual time: a call that cannot
 * complete becomes the pending call, retried whenever the stack moved
 * (a segment arrived, a timer fired) while the script goes on, as
 * packetdrill's syscall thread does.  It must return when the script
 * says ("start...end"), or at its start time when no end is given.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

/* ------------------------------------------------------------------ */
/* Names                                                               */

static const struct {
  const char *name;
  int value;
} errnos[] = {
    {"EPERM", EPERM},
    {"ENOENT", ENOENT},
    {"EINTR", EINTR},
    {"EIO", EIO},
    {"EBADF", EBADF},
    {"EAGAIN", EAGAIN},
    {"EWOULDBLOCK", EAGAIN},
    {"ENOMEM", ENOMEM},
    {"EACCES", EACCES},
    {"EFAULT", EFAULT},
    {"EINVAL", EINVAL},
    {"EMFILE", EMFILE},
    {"EPIPE", EPIPE},
    {"ENOTSOCK", ENOTSOCK},
    {"EDESTADDRREQ", EDESTADDRREQ},
    {"EMSGSIZE", EMSGSIZE},
    {"EPROTOTYPE", EPROTOTYPE},
    {"ENOPROTOOPT", ENOPROTOOPT},
    {"EPROTONOSUPPORT", EPROTONOSUPPORT},
    {"EOPNOTSUPP", EOPNOTSUPP},
    {"EAFNOSUPPORT", EAFNOSUPPORT},
    {"EADDRINUSE", EADDRINUSE},
    {"EADDRNOTAVAIL", EADDRNOTAVAIL},
    {"ENETDOWN", ENETDOWN},
    {"ENETUNREACH", ENETUNREACH},
    {"ECONNABORTED", ECONNABORTED},
    {"ECONNRESET", ECONNRESET},
    {"ENOBUFS", ENOBUFS},
    {"EISCONN", EISCONN},
    {"ENOTCONN", ENOTCONN},
    {"ETIMEDOUT", ETIMEDOUT},
    {"ECONNREFUSED", ECONNREFUSED},
    {"EHOSTUNREACH", EHOSTUNREACH},
    {"EALREADY", EALREADY},
    {"EINPROGRESS", EINPROGRESS},
};

int drill_errno_from_name(const char *name) {
  for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
    if (strcmp(errnos[i].name, name) == 0)
      return errnos[i].value;
  return -1;
}

const char *drill_errno_name(int err) {
  if (err == 0)
    return "0";
  for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
    if (errnos[i].value == err)
      return errnos[i].name;
  return "E?";
}

/* The socket API's constants.  Values only need to agree with
 * themselves: a script names them, it never depends on the numbers
 * (except O_RDWR, which scripts print as 0x02). */
enum {
  S_SOL_SOCKET = 1,
  S_IPPROTO_IP = 0,
  S_IPPROTO_TCP = 6,
  S_IPPROTO_IPV6 = 41,
  S_SO_REUSEADDR = 0x0004,
  S_SO_KEEPALIVE = 0x0008,
  S_SO_LINGER = 0x0080,
  S_SO_REUSEPORT = 0x0200,
  S_SO_SNDBUF = 0x1001,
  S_SO_RCVBUF = 0x1002,
  S_SO_ERROR = 0x1007,
  S_TCP_NODELAY = 1,
  S_TCP_MAXSEG = 2,
  S_TCP_NOOPT = 8,
  S_TCP_MD5SIG = 16,
  S_TCP_INFO = 32,
  S_TCP_KEEPINIT = 128,
  S_TCP_KEEPIDLE = 256,
  S_TCP_KEEPINTVL = 512,
  S_TCP_KEEPCNT = 1024,
  S_IP_TOS = 3,
  S_IP_TTL = 4,
  S_IPV6_UNICAST_HOPS = 4 + 0x100,
  S_IPV6_TCLASS = 61,
  S_F_GETFL = 3,
  S_F_SETFL = 4,
  S_O_RDONLY = 0,
  S_O_WRONLY = 1,
  S_O_RDWR = 2,
  S_O_NONBLOCK = 4,
  S_SHUT_RD = 0,
  S_SHUT_WR = 1,
  S_SHUT_RDWR = 2,
};

static const struct {
  const char *name;
  int64_t value;
} symbols[] = {
    {"SOL_SOCKET", S_SOL_SOCKET},
    {"IPPROTO_IP", S_IPPROTO_IP},
    {"IPPROTO_TCP", S_IPPROTO_TCP},
    {"SOL_TCP", S_IPPROTO_TCP},
    {"IPPROTO_IPV6", S_IPPROTO_IPV6},
    {"SO_REUSEADDR", S_SO_REUSEADDR},
    {"SO_REUSEPORT", S_SO_REUSEPORT},
    {"SO_KEEPALIVE", S_SO_KEEPALIVE},
    {"SO_LINGER", S_SO_LINGER},
    {"SO_SNDBUF", S_SO_SNDBUF},
    {"SO_RCVBUF", S_SO_RCVBUF},
    {"SO_ERROR", S_SO_ERROR},
    {"TCP_NODELAY", S_TCP_NODELAY},
    {"TCP_MAXSEG", S_TCP_MAXSEG},
    {"TCP_NOOPT", S_TCP_NOOPT},
    {"TCP_MD5SIG", S_TCP_MD5SIG},
    {"TCP_INFO", S_TCP_INFO},
    {"TCP_KEEPINIT", S_TCP_KEEPINIT},
    {"TCP_KEEPIDLE", S_TCP_KEEPIDLE},
    {"TCP_KEEPINTVL", S_TCP_KEEPINTVL},
    {"TCP_KEEPCNT", S_TCP_KEEPCNT},
    {"IP_TOS", S_IP_TOS},
    {"IP_TTL", S_IP_TTL},
    {"IPV6_UNICAST_HOPS", S_IPV6_UNICAST_HOPS},
    {"IPV6_TCLASS", S_IPV6_TCLASS},
    {"F_GETFL", S_F_GETFL},
    {"F_SETFL", S_F_SETFL},
    {"O_RDONLY", S_O_RDONLY},
    {"O_WRONLY", S_O_WRONLY},
    {"O_RDWR", S_O_RDWR},
    {"O_NONBLOCK", S_O_NONBLOCK},
    {"SHUT_RD", S_SHUT_RD},
    {"SHUT_WR", S_SHUT_WR},
    {"SHUT_RDWR", S_SHUT_RDWR},
    {"POLLIN", 0x001},
    {"POLLPRI", 0x002},
    {"POLLOUT", 0x004},
    {"POLLERR", 0x008},
    {"POLLHUP", 0x010},
    {"POLLNVAL", 0x020},
    {"SOCK_STREAM", 1},
    {"AF_INET", 2},
    {"AF_INET6", 10},
    {"PF_INET", 2},
    {"PF_INET6", 10},
};

int drill_symbol(const char *name, int64_t *value) {
  for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++)
    if (strcmp(symbols[i].name, name) == 0) {
      *value = symbols[i].value;
      return 0;
    }
  {
    int e = drill_errno_from_name(name);
    if (e >= 0) {
      *value = e;
      return 0;
    }
  }
  return -1;
}

/* Evaluates an integer expression: numbers, names, a|b, [x]. */
static int eval_int(const drill_expr *e, int64_t *v) {
  int64_t a, b;

  switch (e->kind) {
  case X_INT:
    *v = e->num;
    return 0;
  case X_WORD:
    return drill_symbol(e->text, v);
  case X_OR:
    if (eval_int(&e->items[0], &a) != 0 || eval_int(&e->items[1], &b) != 0)
      return -1;
    *v = a | b;
    return 0;
  case X_ARRAY:
    if (e->nitems != 1)
      return -1;
    return eval_int(&e->items[0], v);
  default:
    return -1;
  }
}

static int to_errno(int err) {
  switch (err) {
  case PTCP_ERR_WOULD_BLOCK:
    return EAGAIN;
  case PTCP_ERR_ADDR_IN_USE:
    return EADDRINUSE;
  case PTCP_ERR_CONN_REFUSED:
    return ECONNREFUSED;
  case PTCP_ERR_CONN_RESET:
    return ECONNRESET;
  case PTCP_ERR_TIMED_OUT:
    return ETIMEDOUT;
  case PTCP_ERR_NOT_CONNECTED:
    return ENOTCONN;
  case PTCP_ERR_CLOSED:
    return EPIPE;
  case PTCP_ERR_ADDR_NOT_AVAIL:
    return EADDRNOTAVAIL;
  case PTCP_ERR_ALREADY:
    return EALREADY;
  case PTCP_ERR_NOMEM:
    return ENOMEM;
  case PTCP_ERR_LIMIT:
    return ENOBUFS;
  case PTCP_ERR_ABORTED:
    return ECONNABORTED;
  case PTCP_ERR_STATE:
  case PTCP_ERR_INVALID_ARGUMENT:
  default:
    return EINVAL;
  }
}

/* ------------------------------------------------------------------ */
/* Sockets                                                             */

drill_sock *drill_sock_of(drill_run *r, int fd) {
  for (int i = 0; i < DRILL_MAX_FDS; i++)
    if (r->socks[i].used && r->socks[i].fd == fd)
      return &r->socks[i];
  return NULL;
}

static drill_sock *sock_new(drill_run *r) {
  int fd = DRILL_FIRST_FD;

  /* The lowest free descriptor, as the kernel hands them out. */
  while (drill_sock_of(r, fd) != NULL)
    fd++;
  for (int i = 0; i < DRILL_MAX_FDS; i++) {
    drill_sock *s = &r->socks[i];
    if (!s->used) {
      memset(s, 0, sizeof(*s));
      s->used = 1;
      s->fd = fd;
      s->cfg = r->defaults;
      for (int k = 0; k < PTCP_SLOT_COUNT; k++) {
        if (r->defaults.policy[k] != NULL) {
          drill_fmt(s->policy_buf[k], sizeof(s->policy_buf[k]), "%s",
                    r->defaults.policy[k]);
          s->cfg.policy[k] = s->policy_buf[k];
        }
      }
      r->last_fd = fd;
      return s;
    }
  }
  return NULL;
}

void drill_on_error(drill_run *r, ptcp_conn *c, int err) {
  drill_sock *s = ptcp_conn_user(c);

  if (s == NULL || s < r->socks || s >= r->socks + DRILL_MAX_FDS || !s->used ||
      s->conn != c)
    return;
  s->so_error = to_errno(err);
  s->failed = 1;
}

static int ensure_conn(drill_run *r, drill_sock *s, int *err) {
  int rv;

  if (s->conn != NULL)
    return 0;
  rv = ptcp_conn_new(r->stack, &s->cfg, &s->conn);
  if (rv != 0) {
    *err = to_errno(rv);
    return -1;
  }
  ptcp_conn_set_user(s->conn, s);
  return 0;
}

/* ------------------------------------------------------------------ */
/* The calls                                                           */

typedef struct sc_out {
  int64_t ret;
  int err;
  int block;      /* a blocking socket would wait */
  int ignore_ret; /* the value is FreeBSD's (SO_RCVBUF): not compared */
} sc_out;

static int set_err(sc_out *o, int err) {
  o->ret = -1;
  o->err = err;
  return 0;
}

static int arg_int(drill_run *r, const drill_event *ev, unsigned i, int64_t *v) {
  if (i >= ev->sc.nargs || eval_int(&ev->sc.args[i], v) != 0)
    return drill_fail(r, ev, r->now, NULL, NULL, "%s: argument %u is not a known integer",
                      ev->sc.name, i + 1);
  return 0;
}

static drill_sock *arg_sock(drill_run *r, const drill_event *ev, sc_out *o) {
  int64_t fd;
  drill_sock *s;

  if (ev->sc.nargs == 0 || eval_int(&ev->sc.args[0], &fd) != 0) {
    drill_fail(r, ev, r->now, NULL, NULL, "%s: the first argument must be a descriptor",
               ev->sc.name);
    return NULL;
  }
  s = drill_sock_of(r, (int)fd);
  if (s == NULL)
    set_err(o, EBADF);
  return s;
}

static int do_socket(drill_run *r, sc_out *o) {
  drill_sock *s = sock_new(r);

  if (s == NULL)
    return set_err(o, EMFILE);
  o->ret = s->fd;
  return 0;
}

static int do_bind(drill_run *r, drill_sock *s, sc_out *o) {
  int rv;

  if (ensure_conn(r, s, &o->err) != 0)
    return set_err(o, o->err);
  rv = ptcp_conn_bind(s->conn, NULL, DRILL_LOCAL_PORT);
  if (rv != 0)
    return set_err(o, to_errno(rv));
  s->bound = 1;
  r->lport = DRILL_LOCAL_PORT;
  r->lport_known = 1;
  o->ret = 0;
  return 0;
}

static int do_listen(drill_run *r, const drill_event *ev, drill_sock *s, sc_out *o) {
  int64_t backlog;
  int rv;

  if (arg_int(r, ev, 1, &backlog) != 0)
    return -1;
  if (ensure_conn(r, s, &o->err) != 0)
    return set_err(o, o->err);
  if (!s->bound) {
    /* BSD binds an unbound listener to an ephemeral port. */
    rv = ptcp_conn_bind(s->conn, NULL, 0);
    if (rv != 0)
      return set_err(o, to_errno(rv));
    s->bound = 1;
  }
  /* BSD takes 0 or a negative backlog as "the minimum". */
  rv = ptcp_conn_listen(s->conn, backlog < 1       ? 1u
                                 : backlog > 65535 ? 65535u
                                                   : (unsigned)backlog);
  if (rv != 0)
    return set_err(o, to_errno(rv));
  s->listening = 1;
  o->ret = 0;
  return 0;
}

static int do_accept(drill_run *r, drill_sock *s, sc_out *o) {
  ptcp_conn *c;
  drill_sock *n;
  int rv;

  if (s->conn == NULL || !s->listening)
    return set_err(o, EINVAL);
  rv = ptcp_conn_accept(s->conn, &c);
  if (rv == PTCP_ERR_WOULD_BLOCK) {
    if (s->nonblock)
      return set_err(o, EAGAIN);
    o->block = 1;
    return 0;
  }
  if (rv != 0)
    return set_err(o, to_errno(rv));
  n = sock_new(r);
  if (n == NULL) {
    ptcp_conn_abort(c, r->now);
    return set_err(o, EMFILE);
  }
  n->conn = c;
  n->cfg = s->cfg;
  n->connected = 1;
  ptcp_conn_set_user(c, n);
  /* A connection that failed while it waited in the queue. */
  {
    ptcp_conn_status st;
    ptcp_conn_status_get(c, &st);
    if (st.error != 0) {
      n->so_error = to_errno(st.error);
      n->failed = 1;
    }
  }
  o->ret = n->fd;
  return 0;
}

static int do_connect(drill_run *r, drill_sock *s, int retry, sc_out *o) {
  ptcp_conn_status st;
  int rv;

  if (retry) {
    ptcp_state state = ptcp_conn_state(s->conn);
    if (s->so_error != 0) {
      int e = s->so_error;
      s->so_error = 0;
      s->connecting = 0;
      return set_err(o, e);
    }
    if (state >= PTCP_ESTABLISHED) {
      s->connecting = 0;
      s->connected = 1;
      o->ret = 0;
      return 0;
    }
    o->block = 1;
    return 0;
  }
  if (ensure_conn(r, s, &o->err) != 0)
    return set_err(o, o->err);
  if (s->listening)
    return set_err(o, EOPNOTSUPP);
  if (s->connected || (s->conn != NULL && ptcp_conn_state(s->conn) >= PTCP_ESTABLISHED))
    return set_err(o, EISCONN);
  if (s->connecting)
    return set_err(o, EALREADY);
  rv = ptcp_conn_connect(s->conn, &r->remote, DRILL_LOCAL_PORT, r->now);
  if (rv != 0)
    return set_err(o, to_errno(rv));
  ptcp_conn_status_get(s->conn, &st);
  r->lport = st.local_port;
  r->lport_known = 1;
  r->rport = DRILL_LOCAL_PORT;
  s->connecting = 1;
  if (s->nonblock)
    return set_err(o, EINPROGRESS);
  return do_connect(r, s, 1, o);
}

/* A pending error is reported once, by the next call that looks. */
static int take_so_error(drill_sock *s, sc_out *o) {
  if (s->so_error != 0) {
    int e = s->so_error;
    s->so_error = 0;
    set_err(o, e);
    return 1;
  }
  return 0;
}

static int do_read(drill_run *r, int64_t len, drill_sock *s, sc_out *o) {
  uint8_t *buf;
  ptcp_ssize n;

  if (len < 0)
    return set_err(o, EINVAL);
  if (s->conn == NULL || s->listening)
    return set_err(o, ENOTCONN);
  if (s->shut_rd) {
    o->ret = 0;
    return 0;
  }
  buf = drill_xcalloc((size_t)len + 1, 1);
  n = ptcp_conn_recv(s->conn, buf, (size_t)len, r->now);
  free(buf);
  if (n >= 0) {
    o->ret = n;
    return 0;
  }
  if (n == PTCP_ERR_WOULD_BLOCK) {
    if (take_so_error(s, o))
      return 0;
    if (s->nonblock)
      return set_err(o, EAGAIN);
    o->block = 1;
    return 0;
  }
  if (take_so_error(s, o))
    return 0;
  if (s->failed) {
    /* The error was reported already: end of stream from now on. */
    o->ret = 0;
    return 0;
  }
  return set_err(o, to_errno((int)n));
}

static int do_write(drill_run *r, int64_t len, drill_sock *s, int retry, sc_out *o) {
  uint8_t *buf;
  uint64_t done = retry ? r->pend.done : 0;

  if (len < 0)
    return set_err(o, EINVAL);
  if (take_so_error(s, o))
    return 0;
  if (s->conn == NULL || s->listening)
    return set_err(o, ENOTCONN);
  if (s->failed)
    return set_err(o, EPIPE);
  buf = drill_xcalloc((size_t)len + 1, 1);
  while (done < (uint64_t)len) {
    ptcp_ssize n = ptcp_conn_send(s->conn, buf, (size_t)((uint64_t)len - done), r->now);
    if (n > 0) {
      done += (uint64_t)n;
      continue;
    }
    if (n == PTCP_ERR_WOULD_BLOCK) {
      if (s->nonblock) {
        free(buf);
        if (done > 0) {
          o->ret = (int64_t)done;
          return 0;
        }
        return set_err(o, EAGAIN);
      }
      free(buf);
      r->pend.done = done;
      o->block = 1;
      return 0;
    }
    free(buf);
    if (done > 0) {
      o->ret = (int64_t)done;
      return 0;
    }
    if (take_so_error(s, o))
      return 0;
    return set_err(o, to_errno((int)n));
  }
  free(buf);
  o->ret = len;
  return 0;
}

static int do_shutdown(drill_run *r, const drill_event *ev, drill_sock *s, sc_out *o) {
  int64_t how;
  int rv;

  if (arg_int(r, ev, 1, &how) != 0)
    return -1;
  if (how != S_SHUT_RD && how != S_SHUT_WR && how != S_SHUT_RDWR)
    return set_err(o, EINVAL);
  if (s->conn == NULL || s->listening)
    return set_err(o, ENOTCONN);
  if (how == S_SHUT_RD || how == S_SHUT_RDWR)
    s->shut_rd = 1;
  if (how == S_SHUT_WR || how == S_SHUT_RDWR) {
    rv = ptcp_conn_shutdown(s->conn, r->now);
    /* A second shutdown is harmless, as in BSD. */
    if (rv != 0 && rv != PTCP_ERR_CLOSED)
      return set_err(o, to_errno(rv));
  }
  o->ret = 0;
  return 0;
}

static int do_close(drill_run *r, drill_sock *s, sc_out *o) {
  if (r->pend.active && r->pend.fd == s->fd)
    r->pend.active = 0;
  if (s->conn != NULL) {
    if (s->linger_abort)
      ptcp_conn_abort(s->conn, r->now);
    else
      ptcp_conn_close(s->conn, r->now);
  }
  s->conn = NULL;
  s->used = 0;
  o->ret = 0;
  return 0;
}

static int do_fcntl(drill_run *r, const drill_event *ev, drill_sock *s, sc_out *o) {
  int64_t cmd, flags;

  if (arg_int(r, ev, 1, &cmd) != 0)
    return -1;
  if (cmd == S_F_GETFL) {
    o->ret = S_O_RDWR | (s->nonblock ? S_O_NONBLOCK : 0);
    return 0;
  }
  if (cmd == S_F_SETFL) {
    if (arg_int(r, ev, 2, &flags) != 0)
      return -1;
    s->nonblock = (flags & S_O_NONBLOCK) != 0;
    o->ret = 0;
    return 0;
  }
  return set_err(o, EINVAL);
}

/* The value of a sockopt argument: [v] or v. */
static int opt_value(drill_run *r, const drill_event *ev, unsigned i, int64_t *v) {
  return arg_int(r, ev, i, v);
}

static int do_getsockopt(drill_run *r, const drill_event *ev, drill_sock *s, sc_out *o,
                         int64_t *value, int *has_value) {
  int64_t level, name;

  if (arg_int(r, ev, 1, &level) != 0 || arg_int(r, ev, 2, &name) != 0)
    return -1;
  *has_value = 1;
  o->ret = 0;
  if (level == S_SOL_SOCKET && name == S_SO_ERROR) {
    *value = s->so_error;
    s->so_error = 0;
    return 0;
  }
  if (level == S_SOL_SOCKET && (name == S_SO_RCVBUF || name == S_SO_SNDBUF)) {
    /* FreeBSD's buffer accounting (rounded to the MSS, doubled, ...):
     * not ours to reproduce. */
    *has_value = 0;
    o->ignore_ret = 1;
    r->res->ignored.sockopt_value++;
    return 0;
  }
  if (level == S_SOL_SOCKET && name == S_SO_KEEPALIVE) {
    *value = s->cfg.keepalive;
    return 0;
  }
  if (level == S_IPPROTO_TCP) {
    switch (name) {
    case S_TCP_NODELAY:
      *value = !s->cfg.nagle;
      return 0;
    case S_TCP_KEEPIDLE:
      *value = (int64_t)(s->cfg.keepalive_idle / PTCP_SECONDS);
      return 0;
    case S_TCP_KEEPINTVL:
      *value = (int64_t)(s->cfg.keepalive_interval / PTCP_SECONDS);
      return 0;
    case S_TCP_KEEPCNT:
      *value = s->cfg.keepalive_count;
      return 0;
    case S_TCP_MAXSEG:
      if (s->conn != NULL && ptcp_conn_state(s->conn) >= PTCP_ESTABLISHED) {
        ptcp_conn_status st;
        ptcp_conn_status_get(s->conn, &st);
        *value = st.snd_mss;
      } else {
        *value = s->cfg.mss;
      }
      return 0;
    default:
      break;
    }
  }
  return drill_skip(r, "getsockopt option %lld at level %lld is not supported",
                    (long long)name, (long long)level);
}

static int do_setsockopt(drill_run *r, const drill_event *ev, drill_sock *s, sc_out *o) {
  int64_t level, name, v = 0;
  const drill_expr *val = ev->sc.nargs > 3 ? &ev->sc.args[3] : NULL;
  int cfg_change = 1;

  if (arg_int(r, ev, 1, &level) != 0 || arg_int(r, ev, 2, &name) != 0)
    return -1;
  o->ret = 0;
  if (level == S_SOL_SOCKET && name == S_SO_LINGER) {
    /* {onoff=1, linger=0}: close() aborts (RST). */
    int64_t on = 0, secs = 0;
    if (val == NULL || val->kind != X_STRUCT || val->nitems != 2 ||
        eval_int(&val->items[0], &on) != 0 || eval_int(&val->items[1], &secs) != 0)
      return drill_fail(r, ev, r->now, NULL, NULL, "SO_LINGER takes {onoff=N, linger=N}");
    s->linger_abort = on != 0 && secs == 0;
    return 0;
  }
  if (opt_value(r, ev, 3, &v) != 0)
    return -1;
  if (level == S_SOL_SOCKET) {
    switch (name) {
    case S_SO_REUSEADDR:
    case S_SO_REUSEPORT:
      s->reuseaddr = v != 0;
      return 0;
    case S_SO_KEEPALIVE:
      s->cfg.keepalive = v != 0;
      break;
    case S_SO_RCVBUF:
      if (v < 1)
        return set_err(o, EINVAL);
      s->cfg.rcvbuf = (uint32_t)v;
      break;
    case S_SO_SNDBUF:
      if (v < 1)
        return set_err(o, EINVAL);
      s->cfg.sndbuf = (uint32_t)v;
      break;
    default:
      cfg_change = 0;
      break;
    }
  } else if (level == S_IPPROTO_TCP) {
    switch (name) {
    case S_TCP_NODELAY:
      s->cfg.nagle = v == 0;
      break;
    case S_TCP_MAXSEG:
      if (v < 1 || v > 65535)
        return set_err(o, EINVAL);
      s->cfg.mss = (uint16_t)v;
      break;
    case S_TCP_KEEPIDLE:
      if (v < 1)
        return set_err(o, EINVAL);
      s->cfg.keepalive_idle = (ptcp_duration)v * PTCP_SECONDS;
      break;
    case S_TCP_KEEPINTVL:
      if (v < 1)
        return set_err(o, EINVAL);
      s->cfg.keepalive_interval = (ptcp_duration)v * PTCP_SECONDS;
      break;
    case S_TCP_KEEPCNT:
      if (v < 1 || v > 255)
        return set_err(o, EINVAL);
      s->cfg.keepalive_count = (uint8_t)v;
      break;
    default:
      cfg_change = 0;
      break;
    }
  } else {
    cfg_change = 0;
  }
  if (!cfg_change)
    return drill_skip(r, "setsockopt option %lld at level %lld is not supported",
                      (long long)name, (long long)level);
  if (s->conn != NULL)
    return drill_skip(r, "setsockopt after the connection exists: the engine takes its "
                         "settings when a connection is created");
  return 0;
}

/* The byte count of an iovec array, [{..., 10}, {..., 20}]. */
static int iov_len(const drill_expr *e, int64_t *len) {
  *len = 0;
  if (e->kind != X_ARRAY)
    return -1;
  for (unsigned i = 0; i < e->nitems; i++) {
    const drill_expr *v = &e->items[i];
    int64_t n;
    if (v->kind != X_STRUCT || v->nitems != 2 || eval_int(&v->items[1], &n) != 0 || n < 0)
      return -1;
    *len += n;
  }
  return 0;
}

enum { P_IN = 0x001, P_OUT = 0x004, P_ERR = 0x008, P_HUP = 0x010, P_NVAL = 0x020 };

typedef struct pollfd_x {
  int64_t fd, events, revents;
  int has_revents;
} pollfd_x;

/* One {fd=N, events=E, revents=R}.  Returns 0 or -1. */
static int read_pollfd(const drill_expr *e, pollfd_x *p) {
  memset(p, 0, sizeof(*p));
  p->fd = -1;
  if (e->kind != X_STRUCT)
    return -1;
  for (unsigned k = 0; k < e->nitems; k++) {
    const char *n = e->items[k].name;
    int64_t v;
    if (n == NULL || eval_int(&e->items[k], &v) != 0)
      return -1;
    if (strcmp(n, "fd") == 0) {
      p->fd = v;
    } else if (strcmp(n, "events") == 0) {
      p->events = v;
    } else if (strcmp(n, "revents") == 0) {
      p->revents = v;
      p->has_revents = 1;
    } else {
      return -1;
    }
  }
  return 0;
}

/* What poll() reports for |s|, BSD style.  Returns -1 for a listener:
 * its accept queue cannot be looked at without taking from it. */
static int poll_revents(drill_sock *s, int64_t events, int64_t *rev) {
  ptcp_conn_status st;
  int64_t v = 0;

  if (s == NULL) {
    *rev = P_NVAL;
    return 0;
  }
  if (s->listening)
    return -1;
  if (s->conn == NULL) {
    *rev = P_HUP; /* never connected */
    return 0;
  }
  ptcp_conn_status_get(s->conn, &st);
  if (st.recv_queued > 0 || st.peer_fin || s->shut_rd || s->failed)
    v |= P_IN;
  if ((st.state == PTCP_ESTABLISHED || st.state == PTCP_CLOSE_WAIT) && !st.shut_wr &&
      st.send_space > 0)
    v |= P_OUT;
  if (s->so_error != 0)
    v |= P_ERR;
  if (s->failed || (st.peer_fin && st.shut_wr))
    v |= P_HUP;
  *rev = v & (events | P_ERR | P_HUP | P_NVAL);
  return 0;
}

/* poll([{fd=N, events=E, revents=R}, ...], nfds, timeout in ms): blocks
 * in virtual time until a descriptor is ready or the timeout passes. */
static int do_poll(drill_run *r, const drill_event *ev, int retry, sc_out *o) {
  const drill_expr *fds = ev->sc.nargs > 0 ? &ev->sc.args[0] : NULL;
  int64_t timeout, ready = 0;

  if (fds == NULL || fds->kind != X_ARRAY || arg_int(r, ev, 2, &timeout) != 0)
    return drill_fail(r, ev, r->now, NULL, NULL,
                      "poll takes [{fd=N, events=E, revents=R}, ...], nfds, timeout");
  for (unsigned i = 0; i < fds->nitems; i++) {
    pollfd_x p;
    int64_t got;
    if (read_pollfd(&fds->items[i], &p) != 0)
      return drill_fail(r, ev, r->now, NULL, NULL,
                        "poll: item %u is not {fd=N, events=E, revents=R}", i + 1);
    if (poll_revents(drill_sock_of(r, (int)p.fd), p.events, &got) != 0)
      return drill_skip(r, "poll() on a listener is not supported");
    if (got != 0)
      ready++;
  }
  if (ready == 0 && timeout != 0) {
    if (!retry) {
      r->pend.wake =
          timeout > 0 ? r->now + (ptcp_time)timeout * PTCP_MILLISECONDS : PTCP_TIME_NONE;
      o->block = 1;
      return 0;
    }
    if (timeout < 0 || r->pend.wake != PTCP_TIME_NONE) {
      o->block = 1; /* still waiting */
      return 0;
    }
  }
  /* Returning: each revents the script names must be what is ready. */
  for (unsigned i = 0; i < fds->nitems; i++) {
    pollfd_x p;
    int64_t got;
    (void)read_pollfd(&fds->items[i], &p);
    (void)poll_revents(drill_sock_of(r, (int)p.fd), p.events, &got);
    if (p.has_revents && got != p.revents) {
      char exp[64], act[64];
      drill_fmt(exp, sizeof(exp), "revents=0x%llx", (unsigned long long)p.revents);
      drill_fmt(act, sizeof(act), "revents=0x%llx", (unsigned long long)got);
      return drill_fail(r, ev, r->now, exp, act, "poll(): fd %lld has %s",
                        (long long)p.fd, act);
    }
  }
  o->ret = ready;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                            */

static int is(const drill_event *ev, const char *n) {
  return strcmp(ev->sc.name, n) == 0;
}

/* Runs (or, with |retry|, resumes) the call.  Returns -1 when the script
 * failed or was skipped, else 0 with |o| filled. */
static int attempt(drill_run *r, const drill_event *ev, int retry, sc_out *o,
                   int64_t *value, int *has_value) {
  drill_sock *s;

  memset(o, 0, sizeof(*o));
  *has_value = 0;
  if (is(ev, "socket"))
    return do_socket(r, o);
  if (is(ev, "poll"))
    return do_poll(r, ev, retry, o);
  s = arg_sock(r, ev, o);
  if (s == NULL)
    return r->failed || r->skipped ? -1 : 0;
  if (is(ev, "bind"))
    return do_bind(r, s, o);
  if (is(ev, "listen"))
    return do_listen(r, ev, s, o);
  if (is(ev, "accept"))
    return do_accept(r, s, o);
  if (is(ev, "connect"))
    return do_connect(r, s, retry, o);
  if (is(ev, "read") || is(ev, "recv") || is(ev, "recvfrom") || is(ev, "write") ||
      is(ev, "send") || is(ev, "sendto")) {
    int64_t len;
    if (arg_int(r, ev, 2, &len) != 0)
      return -1;
    if (ev->sc.name[0] == 'r')
      return do_read(r, len, s, o);
    return do_write(r, len, s, retry, o);
  }
  if (is(ev, "readv") || is(ev, "writev")) {
    int64_t len;
    if (ev->sc.nargs < 2 || iov_len(&ev->sc.args[1], &len) != 0)
      return drill_fail(r, ev, r->now, NULL, NULL,
                        "%s takes an iovec array: [{..., N}, ...]", ev->sc.name);
    if (ev->sc.name[0] == 'r')
      return do_read(r, len, s, o);
    return do_write(r, len, s, retry, o);
  }
  if (is(ev, "shutdown"))
    return do_shutdown(r, ev, s, o);
  if (is(ev, "close"))
    return do_close(r, s, o);
  if (is(ev, "fcntl"))
    return do_fcntl(r, ev, s, o);
  if (is(ev, "getsockopt"))
    return do_getsockopt(r, ev, s, o, value, has_value);
  if (is(ev, "setsockopt"))
    return do_setsockopt(r, ev, s, o);
  return drill_skip(r, "system call %s() is not supported", ev->sc.name);
}

/* Compares what the call returned with the script. */
static int verify(drill_run *r, const drill_event *ev, const sc_out *o, int64_t value,
                  int has_value) {
  char exp[128], act[128];
  int64_t want;

  if (!o->ignore_ret && ev->sc.ret.kind != X_ELLIPSIS) {
    if (eval_int(&ev->sc.ret, &want) != 0)
      return drill_fail(r, ev, r->now, NULL, NULL,
                        "%s: the expected return value is not an "
                        "integer",
                        ev->sc.name);
    if (o->ret != want || (want == -1 && ev->sc.err[0] != '\0' &&
                           drill_errno_from_name(ev->sc.err) != o->err)) {
      drill_fmt(exp, sizeof(exp), "%lld%s%s", (long long)want, ev->sc.err[0] ? " " : "",
                ev->sc.err);
      drill_fmt(act, sizeof(act), "%lld%s%s", (long long)o->ret, o->ret == -1 ? " " : "",
                o->ret == -1 ? drill_errno_name(o->err) : "");
      return drill_fail(r, ev, r->now, exp, act, "%s() returned %s", ev->sc.name, act);
    }
  }
  if (has_value && ev->sc.nargs > 3 && ev->sc.args[3].kind != X_ELLIPSIS) {
    if (eval_int(&ev->sc.args[3], &want) != 0)
      return drill_fail(r, ev, r->now, NULL, NULL,
                        "%s: the expected option value is not an "
                        "integer",
                        ev->sc.name);
    if (want != value) {
      const char *wn = drill_errno_name((int)want), *vn = drill_errno_name((int)value);
      int is_err = ev->sc.args[3].kind == X_ARRAY && ev->sc.args[3].nitems == 1 &&
                   ev->sc.args[3].items[0].kind == X_WORD;
      drill_fmt(exp, sizeof(exp), "[%s]", is_err ? wn : "");
      if (!is_err)
        drill_fmt(exp, sizeof(exp), "[%lld]", (long long)want);
      if (is_err)
        drill_fmt(act, sizeof(act), "[%s]", vn);
      else
        drill_fmt(act, sizeof(act), "[%lld]", (long long)value);
      return drill_fail(r, ev, r->now, exp, act, "%s() gave %s", ev->sc.name, act);
    }
  }
  return 0;
}

/* When a call that began at |start| should have returned. */
static void return_window(drill_run *r, const drill_event *ev, ptcp_time start,
                          ptcp_time *lo, ptcp_time *hi) {
  ptcp_time at = start;

  if (ev->time.has_end) {
    if (ev->time.end_kind == TIME_REL)
      at = start + (ptcp_time)ev->time.end_us * DRILL_US;
    else
      at = DRILL_EPOCH + (ptcp_time)ev->time.end_us * DRILL_US;
  }
  *lo = at > r->tolerance ? at - r->tolerance : 0;
  *hi = at + r->tolerance;
}

static int check_return_time(drill_run *r, const drill_event *ev, ptcp_time start) {
  ptcp_time lo, hi;

  return_window(r, ev, start, &lo, &hi);
  if (r->now < lo || r->now > hi) {
    char exp[64], act[64];
    drill_fmt(exp, sizeof(exp), "return at %.6f s", drill_secs((lo + hi) / 2));
    drill_fmt(act, sizeof(act), "returned at %.6f s", drill_secs(r->now));
    return drill_fail(r, ev, r->now, exp, act, "%s() returned %s", ev->sc.name,
                      r->now < lo ? "too early" : "too late");
  }
  return 0;
}

int drill_exec_syscall(drill_run *r, const drill_event *ev) {
  sc_out o;
  int64_t value = 0;
  int has_value;

  if (r->pend.active)
    return drill_fail(r, r->pend.ev, r->now, NULL, NULL,
                      "%s() is still blocked when the next call (line %d) is due",
                      r->pend.ev->sc.name, ev->line);
  if (attempt(r, ev, 0, &o, &value, &has_value) != 0)
    return -1;
  if (o.block) {
    r->pend.active = 1;
    r->pend.ev = ev;
    r->pend.start = r->now;
    if (!is(ev, "poll"))
      r->pend.wake = PTCP_TIME_NONE;
    {
      int64_t fd;
      r->pend.fd =
          (ev->sc.nargs > 0 && eval_int(&ev->sc.args[0], &fd) == 0) ? (int)fd : -1;
    }
    return_window(r, ev, r->now, &r->pend.deadline_lo, &r->pend.deadline_hi);
    drill_trace(r, "%s() blocks", ev->sc.name);
    return 0;
  }
  if (verify(r, ev, &o, value, has_value) != 0)
    return -1;
  return check_return_time(r, ev, r->now);
}

int drill_pending_try(drill_run *r) {
  sc_out o;
  int64_t value = 0;
  int has_value;
  const drill_event *ev = r->pend.ev;

  if (!r->pend.active)
    return 0;
  if (attempt(r, ev, 1, &o, &value, &has_value) != 0) {
    r->pend.active = 0;
    return 1;
  }
  if (o.block)
    return 0;
  r->pend.active = 0;
  drill_trace(r, "%s() returns %lld", ev->sc.name, (long long)o.ret);
  if (verify(r, ev, &o, value, has_value) != 0)
    return 1;
  (void)check_return_time(r, ev, r->pend.start);
  return 1;
}

/* ------------------------------------------------------------------ */
/* %{ code }%                                                          */

static const struct {
  const char *name;
  ptcp_state state;
} tcpi_states[] = {
    {"TCPI_CLOSED", PTCP_CLOSED},           {"TCPI_LISTEN", PTCP_LISTEN},
    {"TCPI_SYN_SENT", PTCP_SYN_SENT},       {"TCPI_SYN_RECEIVED", PTCP_SYN_RECEIVED},
    {"TCPI_ESTABLISHED", PTCP_ESTABLISHED}, {"TCPI_CLOSE_WAIT", PTCP_CLOSE_WAIT},
    {"TCPI_FIN_WAIT_1", PTCP_FIN_WAIT_1},   {"TCPI_CLOSING", PTCP_CLOSING},
    {"TCPI_LAST_ACK", PTCP_LAST_ACK},       {"TCPI_FIN_WAIT_2", PTCP_FIN_WAIT_2},
    {"TCPI_TIME_WAIT", PTCP_TIME_WAIT},
};

/* Only "assert tcpi_state == TCPI_X" is understood: the state of the
 * most recently created socket.  Other Python is counted and ignored. */
int drill_code(drill_run *r, const drill_event *ev) {
  char word[64];
  const char *p = strstr(ev->text, "tcpi_state");
  drill_sock *s;
  ptcp_state have;

  if (p == NULL || strstr(ev->text, "assert") == NULL) {
    r->res->ignored.code++;
    return 0;
  }
  p += strlen("tcpi_state");
  while (*p == ' ')
    p++;
  if (p[0] != '=' || p[1] != '=') {
    r->res->ignored.code++;
    return 0;
  }
  p += 2;
  while (*p == ' ')
    p++;
  {
    size_t n = 0;
    while ((p[n] >= 'A' && p[n] <= 'Z') || p[n] == '_' || (p[n] >= '0' && p[n] <= '9'))
      n++;
    if (n == 0 || n >= sizeof(word)) {
      r->res->ignored.code++;
      return 0;
    }
    memcpy(word, p, n);
    word[n] = '\0';
  }
  s = drill_sock_of(r, r->last_fd);
  have = (s != NULL && s->conn != NULL) ? ptcp_conn_state(s->conn) : PTCP_CLOSED;
  for (size_t i = 0; i < sizeof(tcpi_states) / sizeof(tcpi_states[0]); i++) {
    if (strcmp(tcpi_states[i].name, word) == 0) {
      if (tcpi_states[i].state != have) {
        char exp[64], act[64];
        drill_fmt(exp, sizeof(exp), "%s", ptcp_state_name(tcpi_states[i].state));
        drill_fmt(act, sizeof(act), "%s", ptcp_state_name(have));
        return drill_fail(r, ev, r->now, exp, act, "fd %d is in %s", r->last_fd, act);
      }
      return 0;
    }
  }
  r->res->ignored.code++;
  return 0;
}

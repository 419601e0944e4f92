/*
 * plugtcp fuzzing: the user sockets of the "e2e" driver (see
 * e2e_driver.c; what the driver's files share is in e2e_driver_int.h).
 *
 * The calls the records make (connect, listen, accept, send, recv,
 * shutdown, close), what a socket does by itself (AUTO) and when the
 * input is over, and the streams between user sockets: every byte read
 * is checked against what the writer sent at that offset (prefix), and
 * an end of stream against everything it sent (completeness).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "e2e_driver_int.h"

#define E2E_USER_BUDGET (64u * 1024u) /* bytes user sockets may send, per host */

/* ------------------------------------------------------------------ */
/* User calls' results                                                 */

static const char *rvname(long rv) { return rv < 0 ? psim_errno_name((int)-rv) : "ok"; }

/* A user call's result, for the observer. */
static void result(e2e *d, const uslot *u, const char *call, long rv) {
  if (e2e_noting(d))
    e2e_note(d, e2e_side_name[u->side], "result", "slot %u: %s -> %ld (%s)", u->idx, call,
             rv, rvname(rv));
}

/* ------------------------------------------------------------------ */
/* Streams                                                             */

static stream *stream_of(e2e *d, int i) { return i >= 0 ? &d->streams[i] : NULL; }

/* Registers |u|'s socket as the writer of a new stream. */
static void stream_open(e2e *d, uslot *u) {
  ptcp_conn_status st;
  stream *s;

  u->tx = -1;
  if (d->nstreams >= E2E_STREAMS)
    return;
  psim_sock_status(u->sock, &st);
  s = &d->streams[d->nstreams];
  memset(s, 0, sizeof(*s));
  s->side = u->side;
  s->sport = st.local_port;
  s->dport = st.remote_port;
  s->iss = st.iss;
  s->base = (u->side == SIDE_B ? EF_BASE_B : 0) +
            (uint64_t)d->ordinal[u->side] * EF_BASE_STRIDE;
  u->tx = (int)d->nstreams++;
}

/* The stream |u| reads, claimed at its first read (|n| bytes at |data|,
 * 0 at an end of stream): an unclaimed one whose writer is at the other
 * end of |u|'s connection.  Ports and ISS name the writer's connection,
 * but not always uniquely: an ISN policy may give a new connection on
 * the same ports the ISS of an aborted one (rfc793 with a coarse tick,
 * fixed, counter with step 0).  Among such candidates the one whose
 * bytes these are wins -- every writer sends the pattern at an offset
 * of its own -- and otherwise the newest; the oracles then judge it. */
static stream *stream_in(e2e *d, uslot *u, const uint8_t *data, size_t n) {
  ptcp_conn_status st;
  stream *pick = NULL, *newest = NULL;

  if (u->rx >= 0)
    return &d->streams[u->rx];
  psim_sock_status(u->sock, &st);
  for (unsigned i = d->nstreams; i-- > 0 && pick == NULL;) {
    stream *s = &d->streams[i];
    if (s->claimed || s->side == u->side || s->sport != st.remote_port ||
        s->dport != st.local_port || s->iss != st.irs)
      continue;
    if (newest == NULL)
      newest = s;
    if (n == 0 ? s->shut && s->sent == 0
               : n <= s->sent && psim_pattern_check(d->pat, s->base, data, n) == n)
      pick = s;
  }
  if (pick == NULL)
    pick = newest;
  if (pick != NULL) {
    pick->claimed = 1;
    u->rx = (int)(pick - d->streams);
  }
  return pick;
}

/* ------------------------------------------------------------------ */
/* User sockets                                                        */

void e2e_slot_reset(uslot *u) {
  u->sock = NULL;
  u->listener = u->connected = u->failed = u->closed = 0;
  u->shut_wr = u->shut_rd = u->eof = 0;
  u->closed_err = 0;
  u->tx = u->rx = -1;
  u->rx_off = 0;
}

static void do_shutdown(e2e *d, uslot *u, int how) {
  static const int ok[] = {ENOTCONN, EINVAL, 0};
  int rv = psim_sock_shutdown(u->sock, how);

  result(d, u,
         how == PSIM_SHUT_RD     ? "shutdown(RD)"
         : how == PSIM_SHUT_WR   ? "shutdown(WR)"
         : how == PSIM_SHUT_RDWR ? "shutdown(RDWR)"
                                 : "shutdown(?)",
         rv);
  CK(rv == 0 || e2e_one_of(rv, ok), "shutdown returned %d (%s), not a documented result",
     rv, rvname(rv));
  CK(rv != -EINVAL || how < 0 || how > 2, "shutdown(%d) refused a valid |how|", how);
  if (rv != 0)
    return;
  if (how == PSIM_SHUT_WR || how == PSIM_SHUT_RDWR) {
    u->shut_wr = 1;
    if (stream_of(d, u->tx) != NULL)
      d->streams[u->tx].shut = 1;
  }
  if (how == PSIM_SHUT_RD || how == PSIM_SHUT_RDWR)
    u->shut_rd = 1;
}

/* Reads up to |cap| bytes (everything there is when |all|), checking
 * each byte against what the writer sent at that offset. */
void e2e_do_read(e2e *d, uslot *u, size_t cap, int all) {
  static const int ok[] = {EAGAIN,       ENOTCONN, ECONNRESET, ETIMEDOUT,
                           ECONNREFUSED, EINVAL,   0};

  if (u->sock == NULL || cap == 0)
    return;
  for (;;) {
    size_t n = cap < sizeof(d->buf) ? cap : sizeof(d->buf);
    ptcp_ssize rv = psim_sock_recv(u->sock, d->buf, n);
    stream *s;

    if (!all)
      result(d, u, "recv", (long)rv);
    if (rv < 0) {
      CK(e2e_one_of(rv, ok), "recv returned %ld (%s), not a documented result", (long)rv,
         rvname(rv));
      return;
    }
    CK((size_t)rv <= n, "recv returned %ld for a %zu-byte buffer", (long)rv, n);
    if (rv == 0) {
      if (u->shut_rd || u->eof)
        return;
      u->eof = 1;
      s = stream_in(d, u, NULL, 0);
      CK(s != NULL, "%s slot %u: end of stream on a connection no user socket wrote",
         e2e_side_name[u->side], u->idx);
      CK(s->shut, "%s slot %u: end of stream, but the writer never shut down",
         e2e_side_name[u->side], u->idx);
      CK(u->rx_off == s->sent,
         "%s slot %u: end of stream after %llu bytes; the writer sent %llu",
         e2e_side_name[u->side], u->idx, (unsigned long long)u->rx_off,
         (unsigned long long)s->sent);
      return;
    }
    CK(!u->shut_rd, "%s slot %u: recv returned %ld bytes after shutdown(RD)",
       e2e_side_name[u->side], u->idx, (long)rv);
    CK(!u->eof, "%s slot %u: %ld bytes after the end of the stream",
       e2e_side_name[u->side], u->idx, (long)rv);
    s = stream_in(d, u, d->buf, (size_t)rv);
    CK(s != NULL, "%s slot %u: %ld bytes on a connection no user socket wrote",
       e2e_side_name[u->side], u->idx, (long)rv);
    CK(u->rx_off + (uint64_t)rv <= s->sent,
       "%s slot %u: read up to offset %llu, but the writer sent only %llu",
       e2e_side_name[u->side], u->idx, (unsigned long long)(u->rx_off + (uint64_t)rv),
       (unsigned long long)s->sent);
    {
      size_t good = psim_pattern_check(d->pat, s->base + u->rx_off, d->buf, (size_t)rv);
      CK(good == (size_t)rv,
         "%s slot %u: the byte at stream offset %llu is not the one sent",
         e2e_side_name[u->side], u->idx, (unsigned long long)(u->rx_off + good));
    }
    u->rx_off += (uint64_t)rv;
    d->sum->bytes_read += (uint64_t)rv;
    if (!all)
      return;
  }
}

/* Sends up to |n| pattern bytes; returns what send returned. */
static ptcp_ssize do_send(e2e *d, uslot *u, size_t n, int quiet) {
  static const int ok[] = {EAGAIN,       ENOTCONN, EPIPE,  ECONNRESET, ETIMEDOUT,
                           ECONNREFUSED, ENOMEM,   EINVAL, 0};
  stream *s = stream_of(d, u->tx);
  uint64_t off = s != NULL ? s->sent : 0;
  uint64_t base = s != NULL ? s->base : 0;
  ptcp_ssize rv;

  if (d->user_sent[u->side] + n > E2E_USER_BUDGET)
    n = (size_t)(E2E_USER_BUDGET - d->user_sent[u->side]);
  rv = psim_sock_send(u->sock, psim_pattern_span(d->pat, base + off), n);
  if (!quiet)
    result(d, u, "send", (long)rv);
  CK(rv >= 0 || e2e_one_of(rv, ok), "send returned %ld (%s), not a documented result",
     (long)rv, rvname(rv));
  CK(rv <= (ptcp_ssize)n, "send took %ld of %zu bytes", (long)rv, n);
  if (rv > 0) {
    CK(s != NULL, "%s slot %u: send took %ld bytes on a socket that never connected",
       e2e_side_name[u->side], u->idx, (long)rv);
    CK(!u->shut_wr && !s->shut, "%s slot %u: send took %ld bytes after shutdown(WR)",
       e2e_side_name[u->side], u->idx, (long)rv);
    s->sent += (uint64_t)rv;
    d->user_sent[u->side] += (uint64_t)rv;
  }
  return rv;
}

/* What a socket does by itself (AUTO), and what finishing asks. */
void e2e_step(e2e *d, uslot *u) {
  stream *s;

  if (u->sock == NULL || u->listener || !u->connected || u->failed || u->closed)
    return;
  s = stream_of(d, u->tx);
  if (u->autof & EF_A_PUMP) {
    while (s != NULL && !u->shut_wr && s->sent < u->tx_limit &&
           d->user_sent[u->side] < E2E_USER_BUDGET) {
      uint64_t left = u->tx_limit - s->sent;
      size_t n = left < PSIM_PATTERN_SPAN ? (size_t)left : PSIM_PATTERN_SPAN;
      ptcp_ssize rv = do_send(d, u, n, 1);
      if (rv < 0) {
        if (rv != -EAGAIN)
          u->failed = 1;
        return;
      }
      if ((size_t)rv < n)
        break;
    }
  }
  if (u->shut_wr)
    return;
  if (u->finishing || u->shut_due ||
      ((u->autof & EF_A_SHUT) && (s == NULL || s->sent >= u->tx_limit) &&
       u->rx_off >= u->rx_expect)) {
    u->shut_due = 0;
    do_shutdown(d, u, PSIM_SHUT_WR);
  }
}

static void adopt(e2e *d, uslot *u, psim_sock *s);

/* Accepts everything pending on listener |l| into free slots. */
void e2e_accept_all(e2e *d, uslot *l) {
  for (;;) {
    uslot *free_slot = NULL;
    psim_sock *s;
    int rv;

    for (unsigned i = 0; i < EF_SLOTS && free_slot == NULL; i++)
      if (d->slot[l->side][i].sock == NULL)
        free_slot = &d->slot[l->side][i];
    if (free_slot == NULL || d->nstreams >= E2E_STREAMS)
      return;
    rv = psim_sock_accept(l->sock, &s);
    result(d, l, "accept", rv);
    CK(rv == 0 || rv == -EAGAIN || rv == -ENOMEM, "accept returned %d (%s)", rv,
       rvname(rv));
    if (rv != 0)
      return;
    free_slot->finishing = l->finishing;
    adopt(d, free_slot, s);
  }
}

static void cb_accept(void *ctx, psim_sock *l) {
  uslot *u = ctx;

  (void)l;
  if ((u->autof & EF_A_ACCEPT) || u->finishing)
    e2e_accept_all(u->d, u);
}

static void cb_connected(void *ctx, psim_sock *s) {
  uslot *u = ctx;
  e2e *d = u->d;

  (void)s;
  e2e_note(d, e2e_side_name[u->side], "connected", "slot %u", u->idx);
  u->connected = 1;
  e2e_step(d, u);
}

static void cb_readable(void *ctx, psim_sock *s) {
  uslot *u = ctx;

  (void)s;
  if ((u->autof & EF_A_READ) || u->finishing)
    e2e_do_read(u->d, u, SIZE_MAX, 1);
  e2e_step(u->d, u);
}

static void cb_writable(void *ctx, psim_sock *s) {
  (void)s;
  e2e_step(((uslot *)ctx)->d, ctx);
}

static void cb_error(void *ctx, psim_sock *s, int err) {
  uslot *u = ctx;
  e2e *d = u->d;

  (void)s;
  e2e_note(d, e2e_side_name[u->side], "error", "slot %u: %s", u->idx,
           psim_errno_name(err));
  CK(err == ECONNREFUSED || err == ECONNRESET || err == ETIMEDOUT,
     "on_error with %d (%s)", err, psim_errno_name(err));
  u->failed = 1;
}

static void cb_closed(void *ctx, psim_sock *s, int err) {
  uslot *u = ctx;
  e2e *d = u->d;

  (void)s;
  e2e_note(d, e2e_side_name[u->side], "closed", "slot %u: %s", u->idx,
           err ? psim_errno_name(err) : "orderly");
  CK(err == 0 || err == ECONNREFUSED || err == ECONNRESET || err == ETIMEDOUT,
     "on_closed with %d (%s)", err, psim_errno_name(err));
  u->closed = 1;
  u->closed_err = err;
}

static const psim_sock_cb user_cb = {
    .on_accept = cb_accept,
    .on_connected = cb_connected,
    .on_readable = cb_readable,
    .on_writable = cb_writable,
    .on_error = cb_error,
    .on_closed = cb_closed,
};

/* A connection accepted into |u|. */
static void adopt(e2e *d, uslot *u, psim_sock *s) {
  e2e_slot_reset(u);
  u->sock = s;
  psim_sock_set_cb(s, &user_cb, u);
  u->connected = 1;
  stream_open(d, u);
  d->ordinal[u->side]++;
  e2e_note(d, e2e_side_name[u->side], "accepted", "slot %u", u->idx);
  /* What arrived while it waited in the listener's queue (its FIN too)
   * raised no readiness the socket could see.  (A recv with nothing to
   * read is not made: every call moves the node's timer event, which
   * changes the order of events due at one instant, and a recorded
   * scenario would no longer replay packet for packet.) */
  if ((u->autof & EF_A_READ) || u->finishing) {
    ptcp_conn_status st;
    psim_sock_status(s, &st);
    if (st.recv_queued > 0 || st.peer_fin)
      e2e_do_read(d, u, SIZE_MAX, 1);
  }
  e2e_step(d, u);
}

void e2e_user_close(e2e *d, uslot *u, int abort_it) {
  if (u->sock == NULL)
    return;
  if (abort_it)
    psim_sock_abort(u->sock);
  else
    psim_sock_close(u->sock);
  result(d, u, abort_it ? "abort" : "close", 0);
  if (stream_of(d, u->tx) != NULL)
    d->streams[u->tx].shut = 1;
  e2e_slot_reset(u);
}

/* Whether a program's applications use |port| on host B (listen there,
 * or connect there even when nobody listens). */
static int app_port(const e2e *d, int side, uint16_t port) {
  if (side != SIDE_B)
    return 0;
  switch (d->prog) {
  case EF_PROG_BULK:
  case EF_PROG_REQRESP:
    return port == EF_APP_PORT;
  case EF_PROG_ECHO:
    return port == EF_ECHO_PORT;
  default:
    return 0;
  }
}

static psim_sock *new_sock(e2e *d, uslot *u) {
  static const int ok[] = {EMFILE, ENOMEM, 0};
  psim_sock *s = NULL;
  int rv = psim_sock_new(d->node[u->side], NULL, &s);

  result(d, u, "socket", rv);
  CK(rv == 0 || e2e_one_of(rv, ok), "socket returned %d (%s)", rv, rvname(rv));
  if (rv != 0)
    return NULL;
  e2e_slot_reset(u);
  u->sock = s;
  psim_sock_set_cb(s, &user_cb, u);
  return s;
}

static void act_connect(e2e *d, uslot *u, uint8_t b) {
  static const int bind_ok[] = {EADDRINUSE, EADDRNOTAVAIL, EINVAL, 0};
  static const int ok[] = {EISCONN,       EALREADY, EINVAL,       EADDRINUSE,
                           EADDRNOTAVAIL, ENOMEM,   ECONNREFUSED, 0};
  uint16_t port = ef_ports[b & 3u];
  int other = u->side ^ 1;
  int rv;

  if (u->sock != NULL || d->nstreams >= E2E_STREAMS)
    return;
  /* The applications' servers check what they read against their own
   * pattern: user sockets keep away from them. */
  if (app_port(d, other, port))
    return;
  if (new_sock(d, u) == NULL)
    return;
  if (b & EF_C_BIND) {
    rv = psim_sock_bind(u->sock, NULL, ef_ports[(b >> 3) & 3u]);
    result(d, u, "bind", rv);
    CK(rv == 0 || e2e_one_of(rv, bind_ok), "bind returned %d (%s)", rv, rvname(rv));
  }
  rv = psim_sock_connect(u->sock, &d->addr[other], port);
  result(d, u, "connect", rv);
  CK(rv == 0 || e2e_one_of(rv, ok), "connect returned %d (%s)", rv, rvname(rv));
  if (rv == 0) {
    stream_open(d, u);
    d->ordinal[u->side]++;
  }
}

static void act_listen(e2e *d, uslot *u, uint8_t b) {
  static const int bind_ok[] = {EADDRINUSE, EADDRNOTAVAIL, EINVAL, 0};
  int rv;

  /* The applications' clients connect there: keep out of their way. */
  if (u->sock != NULL || app_port(d, u->side, ef_ports[b & 3u]) || new_sock(d, u) == NULL)
    return;
  rv = psim_sock_bind(u->sock, NULL, ef_ports[b & 3u]);
  result(d, u, "bind", rv);
  CK(rv == 0 || e2e_one_of(rv, bind_ok), "bind returned %d (%s)", rv, rvname(rv));
  if (rv != 0)
    return;
  rv = psim_sock_listen(u->sock, 1u + ((b >> 2) & 7u));
  result(d, u, "listen", rv);
  CK(rv == 0, "listen on a freshly bound socket returned %d (%s)", rv, rvname(rv));
  u->listener = 1;
}

static void act_accept(e2e *d, uslot *u, uint8_t b) {
  uslot *l = &d->slot[u->side][b % EF_SLOTS];
  psim_sock *s;
  int rv;

  if (u->sock != NULL || l->sock == NULL || d->nstreams >= E2E_STREAMS)
    return;
  rv = psim_sock_accept(l->sock, &s);
  result(d, u, "accept", rv);
  CK(rv == 0 || rv == -EAGAIN || rv == -EINVAL || rv == -ENOMEM,
     "accept returned %d (%s), not a documented result", rv, rvname(rv));
  CK(rv != -EINVAL || !l->listener, "accept on a listener returned EINVAL");
  CK(rv != 0 || l->listener,
     "accept took a connection from a socket that is no listener");
  if (rv == 0)
    adopt(d, u, s);
}

/* Runs one decoded record at its time. */
void e2e_act_event(psim_sched *sched, ptcp_time now, void *a, void *b) {
  action *ac = b;
  e2e *d = a;
  uslot *u = &d->slot[ac->side][ac->slot];

  (void)sched;
  (void)now;
  if (e2e_noting(d)) {
    static const char *const names[EF_OP_COUNT] = {
        "WAIT", "FATES", "CONNECT",  "LISTEN", "ACCEPT",
        "SEND", "RECV",  "SHUTDOWN", "CLOSE",  "AUTO"};
    e2e_note(d, "input", names[ac->op], "#%u %s slot %u%s b=%u x=%u y=%u", ac->index,
             e2e_side_name[ac->side], ac->slot, ac->variant ? " (variant)" : "", ac->b,
             ac->x, ac->y);
  }
  switch (ac->op) {
  case EF_OP_CONNECT:
    act_connect(d, u, ac->b);
    break;
  case EF_OP_LISTEN:
    act_listen(d, u, ac->b);
    break;
  case EF_OP_ACCEPT:
    act_accept(d, u, ac->b);
    break;
  case EF_OP_SEND:
    if (u->sock != NULL)
      do_send(d, u, ac->x, 0);
    break;
  case EF_OP_RECV:
    e2e_do_read(d, u, ac->x, 0);
    break;
  case EF_OP_SHUTDOWN:
    if (u->sock != NULL)
      do_shutdown(d, u, ac->b % 3);
    else if (ac->b % 3 != PSIM_SHUT_RD)
      u->shut_due = 1;
    break;
  case EF_OP_CLOSE:
    e2e_user_close(d, u, ac->variant);
    break;
  case EF_OP_AUTO:
    u->autof = ac->b;
    u->tx_limit = ac->x;
    u->rx_expect = ac->y;
    if (u->listener && (u->autof & EF_A_ACCEPT))
      e2e_accept_all(d, u);
    else
      e2e_step(d, u);
    break;
  default:
    break;
  }
}

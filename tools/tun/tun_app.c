/*
 * plugtcp-tun: applications over the stack's callbacks.
 */
#include "tun_app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tun_pattern.h"

#define CHUNK 16384u

typedef struct app_conn {
  tun_conn_result r;
  tun_app *app;
  ptcp_conn *c; /* NULL once released */
  int shut;     /* our FIN is queued */
  /* Sending (source, send, echo). */
  FILE *tx_file;
  uint64_t tx_gen; /* pattern bytes generated so far */
  int tx_eof;      /* everything to send was handed to the stack */
  uint8_t *txbuf;  /* CHUNK bytes: what send() has not taken yet */
  size_t tx_have, tx_off;
  sha256_ctx tx_sha;
  /* Receiving. */
  sha256_ctx rx_sha;
  FILE *cmp_file; /* --expect-echo with --send: the file again */
  int mismatch;
} app_conn;

struct tun_app {
  const tun_app_cfg *cfg;
  ptcp_stack *stack;
  tun_bridge *bridge;
  ptcp_conn *listener;
  app_conn **conns;
  size_t n, cap;
  unsigned started, active, ended, accepted;
};

static ptcp_time now_of(const tun_app *a) { return tun_bridge_now(a->bridge); }

int tun_app_new(tun_app **pa, const tun_app_cfg *cfg, tun_bridge *bridge, char *err,
                size_t errlen) {
  tun_app *a;

  *pa = NULL;
  if (cfg->kind == TUN_APP_SEND) {
    FILE *f = fopen(cfg->send_path, "rb");
    if (f == NULL) {
      snprintf(err, errlen, "%s: %s", cfg->send_path, strerror(errno));
      return -1;
    }
    fclose(f);
  }
  a = calloc(1, sizeof(*a));
  if (a == NULL) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  a->cfg = cfg;
  a->bridge = bridge;
  *pa = a;
  return 0;
}

static void release_files(app_conn *ac) {
  if (ac->tx_file != NULL)
    fclose(ac->tx_file);
  if (ac->cmp_file != NULL)
    fclose(ac->cmp_file);
  ac->tx_file = ac->cmp_file = NULL;
  free(ac->txbuf);
  ac->txbuf = NULL;
}

void tun_app_del(tun_app *a) {
  if (a == NULL)
    return;
  for (size_t i = 0; i < a->n; i++) {
    release_files(a->conns[i]);
    free(a->conns[i]);
  }
  free(a->conns);
  free(a);
}

size_t tun_app_count(const tun_app *a) { return a->n; }

const tun_conn_result *tun_app_result(const tun_app *a, size_t i) {
  return i < a->n ? &a->conns[i]->r : NULL;
}

static app_conn *conn_new(tun_app *a) {
  app_conn *ac;

  if (a->n == a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 16;
    app_conn **v = realloc(a->conns, cap * sizeof(*v));
    if (v == NULL)
      return NULL;
    a->conns = v;
    a->cap = cap;
  }
  ac = calloc(1, sizeof(*ac));
  if (ac == NULL)
    return NULL;
  ac->app = a;
  ac->r.id = (unsigned)a->n + 1;
  ac->r.t_start = now_of(a);
  ac->r.last.state = PTCP_CLOSED;
  sha256_init(&ac->tx_sha);
  sha256_init(&ac->rx_sha);
  a->conns[a->n++] = ac;
  a->started++;
  a->active++;
  return ac;
}

/* The connection is over: record how it ended. */
static void finish(app_conn *ac) {
  tun_app *a = ac->app;

  if (ac->r.finished)
    return;
  ac->r.finished = 1;
  ac->r.t_end = now_of(a);
  sha256_peek_hex(&ac->tx_sha, ac->r.tx_sha256);
  sha256_peek_hex(&ac->rx_sha, ac->r.rx_sha256);
  if (a->cfg->expect_echo) {
    ac->r.echo_checked = 1;
    ac->r.echo_ok =
        !ac->mismatch && ac->tx_eof && ac->r.peer_fin && ac->r.rx_bytes == ac->r.tx_bytes;
    if (!ac->r.echo_ok && ac->r.problem == NULL) {
      if (!ac->mismatch)
        ac->r.echo_mismatch_at = ac->r.rx_bytes;
      ac->r.problem = ac->mismatch ? "the echo differs from what was sent"
                                   : "the echo is shorter than what was sent";
    }
  }
  release_files(ac);
  a->active--;
  a->ended++;
}

static void fail_app(app_conn *ac, const char *problem) {
  if (ac->r.problem == NULL)
    ac->r.problem = problem;
}

/* RFC 9293 §3.10.5 ABORT: RST to the peer, the handle is gone. */
static void do_abort(app_conn *ac) {
  ptcp_conn_status_get(ac->c, &ac->r.last);
  ptcp_conn_abort(ac->c, now_of(ac->app));
  ac->c = NULL;
  ac->r.aborted = 1;
  ac->r.last.state = PTCP_CLOSED;
  finish(ac);
}

static void do_shutdown(app_conn *ac) {
  int rv;

  if (ac->shut || ac->c == NULL)
    return;
  ac->shut = 1;
  rv = ptcp_conn_shutdown(ac->c, now_of(ac->app));
  if (rv < 0 && ac->r.err == 0)
    ac->r.err = rv;
}

/* --expect-echo: what arrives must be what was sent, byte for byte. */
static void check_echo(app_conn *ac, const uint8_t *buf, size_t n, uint64_t off) {
  const tun_app_cfg *cfg = ac->app->cfg;
  uint8_t want[CHUNK];

  if (ac->mismatch)
    return;
  if (cfg->kind == TUN_APP_SOURCE) {
    tun_pattern_fill(want, off, n);
  } else if (ac->cmp_file == NULL || fread(want, 1, n, ac->cmp_file) != n) {
    ac->mismatch = 1;
    ac->r.echo_mismatch_at = off;
    return;
  }
  if (memcmp(want, buf, n) != 0) {
    size_t i = 0;
    while (want[i] == buf[i])
      i++;
    ac->mismatch = 1;
    ac->r.echo_mismatch_at = off + i;
  }
}

/* Hands |n| bytes to the stack; returns how many it took, or -1. */
static ptcp_ssize send_some(app_conn *ac, const uint8_t *buf, size_t n) {
  ptcp_ssize s = ptcp_conn_send(ac->c, buf, n, now_of(ac->app));

  if (s == PTCP_ERR_WOULD_BLOCK)
    return 0;
  if (s < 0) {
    if (ac->r.err == 0)
      ac->r.err = (int)s;
    return -1;
  }
  sha256_update(&ac->tx_sha, buf, (size_t)s);
  ac->r.tx_bytes += (uint64_t)s;
  return s;
}

/* Sends what is pending in txbuf.  Returns 1 when all of it went. */
static int flush_tx(app_conn *ac) {
  while (ac->c != NULL && ac->tx_off < ac->tx_have) {
    ptcp_ssize s = send_some(ac, ac->txbuf + ac->tx_off, ac->tx_have - ac->tx_off);
    if (s <= 0)
      return 0; /* on_writable comes when there is room */
    ac->tx_off += (size_t)s;
  }
  if (ac->tx_off == ac->tx_have)
    ac->tx_have = ac->tx_off = 0;
  return ac->c != NULL;
}

/* source and send: produce and send until the buffer fills, then FIN. */
static void pump_tx(app_conn *ac) {
  const tun_app_cfg *cfg = ac->app->cfg;

  while (ac->c != NULL && !ac->shut && !ac->tx_eof) {
    if (!flush_tx(ac))
      return;
    if (cfg->kind == TUN_APP_SOURCE) {
      uint64_t left = cfg->source_len - ac->tx_gen;
      size_t k = left < CHUNK ? (size_t)left : CHUNK;
      if (k == 0) {
        ac->tx_eof = 1;
        break;
      }
      tun_pattern_fill(ac->txbuf, ac->tx_gen, k);
      ac->tx_gen += k;
      ac->tx_have = k;
    } else {
      size_t k = fread(ac->txbuf, 1, CHUNK, ac->tx_file);
      if (k == 0) {
        if (ferror(ac->tx_file))
          fail_app(ac, "reading the file to send failed");
        ac->tx_eof = 1;
        break;
      }
      ac->tx_have = k;
    }
    ac->tx_off = 0;
  }
  if (ac->c != NULL && ac->tx_eof && !ac->shut)
    do_shutdown(ac);
}

static void on_eof(app_conn *ac) {
  switch (ac->app->cfg->kind) {
  case TUN_APP_ECHO:
    if (ac->tx_have == 0)
      do_shutdown(ac); /* else once the echo is out (on_writable) */
    break;
  case TUN_APP_SINK:
    do_shutdown(ac);
    break;
  default:
    break; /* a sender goes on sending: the peer only closed its half */
  }
}

static void app_read(app_conn *ac) {
  const tun_app_cfg *cfg = ac->app->cfg;
  uint8_t buf[CHUNK];

  while (ac->c != NULL) {
    ptcp_ssize n;
    /* An echo that the stack cannot take yet holds back reading, so
     * the receive window closes and the peer slows down. */
    if (cfg->kind == TUN_APP_ECHO && ac->tx_have > 0)
      return;
    n = ptcp_conn_recv(ac->c, buf, sizeof(buf), now_of(ac->app));
    if (n == PTCP_ERR_WOULD_BLOCK)
      return;
    if (n < 0) {
      if (ac->r.err == 0)
        ac->r.err = (int)n;
      return;
    }
    if (n == 0) {
      if (!ac->r.peer_fin) {
        ac->r.peer_fin = 1;
        on_eof(ac);
      }
      return;
    }
    if (cfg->expect_echo)
      check_echo(ac, buf, (size_t)n, ac->r.rx_bytes);
    sha256_update(&ac->rx_sha, buf, (size_t)n);
    ac->r.rx_bytes += (uint64_t)n;
    if (cfg->kind == TUN_APP_ECHO) {
      ptcp_ssize s = send_some(ac, buf, (size_t)n);
      if (s < 0)
        return;
      if ((size_t)s < (size_t)n) {
        memcpy(ac->txbuf, buf + s, (size_t)n - (size_t)s);
        ac->tx_have = (size_t)n - (size_t)s;
        ac->tx_off = 0;
      }
    }
    if (cfg->abort_after > 0 && ac->r.rx_bytes >= (uint64_t)cfg->abort_after) {
      do_abort(ac);
      return;
    }
  }
}

/* The connection is up: note what was negotiated and start the app. */
static void begin(app_conn *ac) {
  const tun_app_cfg *cfg = ac->app->cfg;

  ac->r.established = 1;
  ac->r.t_established = now_of(ac->app);
  ptcp_conn_status_get(ac->c, &ac->r.open);
  ac->r.last = ac->r.open;
  if (cfg->abort_after == 0) {
    do_abort(ac);
    return;
  }
  if (cfg->kind == TUN_APP_SOURCE || cfg->kind == TUN_APP_SEND)
    pump_tx(ac);
  app_read(ac);
}

static int open_files(app_conn *ac) {
  const tun_app_cfg *cfg = ac->app->cfg;

  ac->txbuf = malloc(CHUNK);
  if (ac->txbuf == NULL) {
    fail_app(ac, "out of memory");
    return -1;
  }
  if (cfg->kind != TUN_APP_SEND)
    return 0;
  ac->tx_file = fopen(cfg->send_path, "rb");
  if (ac->tx_file == NULL ||
      (cfg->expect_echo && (ac->cmp_file = fopen(cfg->send_path, "rb")) == NULL)) {
    fail_app(ac, "cannot open the file to send");
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                           */

static void cb_accept(void *user, ptcp_conn *listener) {
  tun_app *a = user;
  ptcp_conn *c;

  while (a->listener != NULL && ptcp_conn_accept(listener, &c) == 0) {
    app_conn *ac = conn_new(a);
    if (ac == NULL) {
      ptcp_conn_abort(c, now_of(a));
      continue;
    }
    ac->c = c;
    ptcp_conn_set_user(c, ac);
    a->accepted++;
    if (a->cfg->count > 0 && a->accepted >= a->cfg->count) {
      /* Served enough: later SYNs meet a closed port (RST). */
      ptcp_conn_close(listener, now_of(a));
      a->listener = NULL;
    }
    if (open_files(ac) != 0) {
      do_abort(ac);
      continue;
    }
    begin(ac);
  }
}

static void cb_connected(void *user, ptcp_conn *c) {
  app_conn *ac = ptcp_conn_user(c);

  (void)user;
  if (ac != NULL && ac->c == c)
    begin(ac);
}

static void cb_readable(void *user, ptcp_conn *c) {
  app_conn *ac = ptcp_conn_user(c);

  (void)user;
  if (ac != NULL && ac->c == c)
    app_read(ac);
}

static void cb_writable(void *user, ptcp_conn *c) {
  app_conn *ac = ptcp_conn_user(c);

  (void)user;
  if (ac == NULL || ac->c != c)
    return;
  if (ac->app->cfg->kind == TUN_APP_ECHO) {
    if (!flush_tx(ac))
      return;
    if (ac->r.peer_fin)
      do_shutdown(ac);
    else
      app_read(ac);
  } else {
    pump_tx(ac);
  }
}

static void cb_error(void *user, ptcp_conn *c, int err) {
  app_conn *ac = ptcp_conn_user(c);

  (void)user;
  if (ac != NULL && ac->r.err == 0)
    ac->r.err = err;
}

/* CLOSED or TIME-WAIT: the connection is done; let go of the handle
 * (a TIME-WAIT one carries on in the engine as a compact entry). */
static void cb_closed(void *user, ptcp_conn *c, int err) {
  app_conn *ac = ptcp_conn_user(c);
  tun_app *a = user;

  if (ac == NULL || ac->c != c) {
    ptcp_conn_close(c, now_of(a));
    return;
  }
  app_read(ac); /* anything still queued, and the FIN */
  if (ac->c != c)
    return; /* --abort-after struck while reading */
  if (err != 0 && ac->r.err == 0)
    ac->r.err = err;
  ptcp_conn_status_get(c, &ac->r.last);
  ptcp_conn_close(c, now_of(a));
  ac->c = NULL;
  finish(ac);
}

static int cb_emit(void *user, const uint8_t *pkt, size_t len) {
  tun_app *a = user;
  return tun_bridge_emit(a->bridge, pkt, len);
}

void tun_app_callbacks(tun_app *a, ptcp_callbacks *cb) {
  (void)a;
  cb->emit = cb_emit;
  cb->on_accept = cb_accept;
  cb->on_connected = cb_connected;
  cb->on_readable = cb_readable;
  cb->on_writable = cb_writable;
  cb->on_error = cb_error;
  cb->on_closed = cb_closed;
}

/* ------------------------------------------------------------------ */
/* Driving                                                             */

int tun_app_start(tun_app *a, ptcp_stack *stack, char *err, size_t errlen) {
  const tun_app_cfg *cfg = a->cfg;
  ptcp_conn *l;
  int rv;

  a->stack = stack;
  if (!cfg->server)
    return 0;
  rv = ptcp_conn_new(stack, cfg->conn, &l);
  if (rv != 0) {
    snprintf(err, errlen, "cannot create the listener: %s", ptcp_strerror(rv));
    return rv;
  }
  rv = ptcp_conn_bind(l, &cfg->local, cfg->port);
  if (rv == 0)
    rv = ptcp_conn_listen(l, 128);
  if (rv != 0) {
    snprintf(err, errlen, "cannot listen on port %u: %s", cfg->port, ptcp_strerror(rv));
    ptcp_conn_close(l, now_of(a));
    return rv;
  }
  ptcp_conn_set_user(l, NULL);
  a->listener = l;
  return 0;
}

static void start_client(tun_app *a) {
  app_conn *ac = conn_new(a);
  ptcp_conn *c;
  int rv;

  if (ac == NULL) {
    /* Nothing to record it in: count it so the run still ends. */
    a->started++;
    a->ended++;
    return;
  }
  if (open_files(ac) != 0) {
    finish(ac);
    return;
  }
  rv = ptcp_conn_new(a->stack, a->cfg->conn, &c);
  if (rv != 0) {
    ac->r.err = rv;
    finish(ac);
    return;
  }
  ac->c = c;
  ptcp_conn_set_user(c, ac);
  rv = ptcp_conn_connect(c, &a->cfg->remote, a->cfg->port, now_of(a));
  if (rv != 0) {
    ac->r.err = rv;
    ptcp_conn_close(c, now_of(a));
    ac->c = NULL;
    finish(ac);
  }
}

void tun_app_tick(void *ctx, ptcp_time now) {
  tun_app *a = ctx;
  unsigned parallel = a->cfg->parallel ? a->cfg->parallel : 1;

  (void)now;
  if (a->cfg->server)
    return;
  while (a->started < a->cfg->count && a->active < parallel)
    start_client(a);
}

int tun_app_done(void *ctx) {
  const tun_app *a = ctx;

  if (a->cfg->server)
    return a->cfg->count > 0 && a->ended >= a->cfg->count;
  return a->ended >= a->cfg->count;
}

void tun_app_stop(tun_app *a) {
  for (size_t i = 0; i < a->n; i++) {
    app_conn *ac = a->conns[i];
    if (ac->r.finished)
      continue;
    if (ac->c != NULL)
      ptcp_conn_status_get(ac->c, &ac->r.last);
    sha256_peek_hex(&ac->tx_sha, ac->r.tx_sha256);
    sha256_peek_hex(&ac->rx_sha, ac->r.rx_sha256);
    ac->r.t_end = now_of(a);
    fail_app(ac, "did not finish");
  }
}

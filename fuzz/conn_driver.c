/*
 * plugtcp fuzzing: the "conn" driver (see conn_driver.h and, for the
 * input format, conn_format.h).
 *
 * One stack at 10.0.0.1 (fd00::1) with a listener on port 80 and an
 * active connection to the peer 10.0.0.2:5000.  The driver plays the
 * peer: it builds segments from the live sequence state (what the stack
 * has put on the wire, and what ptcp_conn_status says), raw bytes, user
 * calls, time advances and allocator failures, as the input says.
 *
 * Oracles, checked through the public API only (shared/notes/
 * hardening.md §4):
 *   after every event, for every connection the driver holds:
 *     SND.UNA <= SND.NXT <= SND.MAX, nothing beyond the queued bytes and
 *     a SYN and a FIN in flight; queues within the configured buffers;
 *     out-of-order bytes inside the offered window; RCV.NXT and SND.UNA
 *     never move back; ISS and IRS never change; bytes delivered equal
 *     RCV.NXT - IRS - 1 - FIN; STATUS agrees with the traced states;
 *     a pending error only in CLOSED; whatever is outstanding has a
 *     timer;
 *   for the stack: the next deadline lies in the future and within a
 *     bound; connections and TIME-WAIT entries within max_conns; live
 *     heap bytes within a bound from the buffers and max_conns;
 *   for every traced transition: it is in ptcp_transitions(), and it
 *     continues from the state the connection was in;
 *   for every injected segment: exactly one verdict (two for a SYN that
 *     ends TIME-WAIT); a DROP, CHALLENGE or RST changes nothing and
 *     calls no callback; an ACK verdict takes no data; a DROP sends
 *     nothing, an ACK or a challenge sends an ACK, a RST verdict one RST
 *     built per RFC 9293 §3.10.7.1; nothing answers a RST with a RST;
 *   for every emitted segment: it parses with valid checksums; an ACK
 *     never covers a byte the peer did not send; our payload bytes are
 *     the ones the user wrote at that offset; new data stays inside the
 *     peer's window; sequence numbers inside [ISS, SND.MAX]; the right
 *     edge of the offered window does not move left (beyond scaling);
 *   for every byte read: it is the byte the peer sent there;
 *   for every user call: the result is one the API documents, and
 *     send/recv move exactly the bytes STATUS said they could;
 *   at the end, with the peer silent: every timer stops, nothing stays
 *     half-open, closing or in TIME-WAIT, and freeing the stack returns
 *     every byte to the allocator.
 *
 * The driver is three files (conn_driver_int.h lists what they share):
 * this one runs an input (set-up, the event loop, user calls, time,
 * allocator failures, the ending) and holds the counting allocator,
 * the randomness and the callbacks; conn_peer.c plays the peer and
 * checks every segment the stack emits; conn_oracle.c holds the
 * invariants checked after every event, the checks on rejected
 * segments and the calls with bad arguments.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plugtcp/plugtcp.h>

#include "conn_driver_int.h"

#define MAX_EVENTS 2000u
#define MAX_TIMER_STEPS 512u /* timer firings per ADVANCE */
#define DRAIN_STEPS 20000u   /* timer firings to let a silent peer end all */

/* ------------------------------------------------------------------ */
/* State (its types are in conn_driver_int.h)                          */

static cd D;
ptcp_registry *cd_registry;

/* ------------------------------------------------------------------ */
/* Failing                                                             */

void cd_fail(cd *d, const char *file, int line, const char *fmt, ...) {
  char msg[600];
  char full[800];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  snprintf(full, sizeof(full), "%s:%d: conn oracle failed at event %u (t=%llu ns): %s",
           file, line, d->index, (unsigned long long)d->now, msg);
  if (d->tr != NULL && d->tr->failure != NULL)
    d->tr->failure(d->tr->ctx, d->now, full);
  fprintf(stderr, "%s\n", full);
  abort();
}

uint64_t cd_fnv(uint64_t h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}
/* Describes the current event to the tracer (only when there is one). */
void cd_say(cd *d, const char *fmt, ...) {
  va_list ap;

  if (d->tr == NULL || d->tr->event == NULL)
    return;
  va_start(ap, fmt);
  vsnprintf(d->text, sizeof(d->text), fmt, ap);
  va_end(ap);
  d->tr->event(d->tr->ctx, d->index, d->now, d->text);
}

void cd_result(cd *d, const char *call, long rv) {
  if (d->tr != NULL && d->tr->result != NULL)
    d->tr->result(d->tr->ctx, d->now, 0, call, rv);
}

/* Every error the API returns has a name and a sentence. */
static void check_err_named(cd *d, long rv) {
  if (rv >= 0)
    return;
  CK(strcmp(ptcp_err_name((int)rv), "UNKNOWN") != 0, "%ld", rv);
  CK(ptcp_strerror((int)rv) != NULL);
  CK(ptcp_err_is_fatal((int)rv) == (rv < PTCP_ERR_FATAL));
}

/* ------------------------------------------------------------------ */
/* A counting allocator that fails when the input says so              */

typedef struct blk {
  size_t size;
  uint64_t magic;
} blk;
#define BLK_MAGIC 0x70746370666d656dULL

static int mem_refuse(counting_mem *m) {
  if (m->fail_all) {
    m->refused++;
    return 1;
  }
  if (m->fail_nth > 0 && --m->fail_nth == 0) {
    m->refused++;
    return 1;
  }
  return 0;
}

static void *mem_get(counting_mem *m, size_t n, int zero) {
  blk *b;

  if (mem_refuse(m) || n > ((size_t)1 << 31))
    return NULL;
  b = zero ? calloc(1, sizeof(blk) + n) : malloc(sizeof(blk) + n);
  if (b == NULL)
    return NULL;
  b->size = n;
  b->magic = BLK_MAGIC;
  m->live_bytes += n;
  m->live_blocks++;
  if (m->live_bytes > m->peak_bytes)
    m->peak_bytes = m->live_bytes;
  return b + 1;
}

static void *cm_malloc(size_t n, void *u) { return mem_get(u, n, 0); }

static void *cm_calloc(size_t nmemb, size_t size, void *u) {
  if (size != 0 && nmemb > ((size_t)1 << 31) / size)
    return NULL;
  return mem_get(u, nmemb * size, 1);
}

static void cm_free(void *p, void *u) {
  counting_mem *m = u;
  blk *b;

  if (p == NULL)
    return;
  b = (blk *)p - 1;
  if (b->magic != BLK_MAGIC) {
    fprintf(stderr, "conn: free of a block the allocator never gave out\n");
    abort();
  }
  b->magic = 0;
  m->live_bytes -= b->size;
  m->live_blocks--;
  free(b);
}

static void *cm_realloc(void *p, size_t n, void *u) {
  counting_mem *m = u;
  blk *b, *nb;
  size_t old;

  if (p == NULL)
    return mem_get(m, n, 0);
  if (mem_refuse(m) || n > ((size_t)1 << 31))
    return NULL;
  b = (blk *)p - 1;
  if (b->magic != BLK_MAGIC) {
    fprintf(stderr, "conn: realloc of a block the allocator never gave out\n");
    abort();
  }
  old = b->size;
  nb = realloc(b, sizeof(blk) + n);
  if (nb == NULL)
    return NULL;
  nb->size = n;
  m->live_bytes = m->live_bytes - old + n;
  if (m->live_bytes > m->peak_bytes)
    m->peak_bytes = m->live_bytes;
  return nb + 1;
}

/* ------------------------------------------------------------------ */
/* Randomness: a generator seeded from the input                       */

static int drv_rand(void *ctx, uint8_t *dest, size_t len) {
  cd *d = ctx;

  if (d->rand_fails) {
    if (d->rand_left == 0)
      return -1;
    d->rand_left--;
  }
  for (size_t i = 0; i < len; i++) {
    /* xorshift64*: deterministic, so every run of an input is the same. */
    d->rng ^= d->rng >> 12;
    d->rng ^= d->rng << 25;
    d->rng ^= d->rng >> 27;
    dest[i] = (uint8_t)((d->rng * 0x2545F4914F6CDD1DULL) >> 56);
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Handles                                                             */

handle *cd_handle_of(cd *d, const ptcp_conn *c) {
  if (c == NULL)
    return NULL;
  for (unsigned i = 0; i < CF_SLOTS; i++)
    if (d->h[i].c == c)
      return &d->h[i];
  return NULL;
}

static int free_slot(cd *d) {
  for (unsigned i = 2; i < CF_SLOTS; i++)
    if (d->h[i].c == NULL)
      return (int)i;
  return -1;
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                           */

static void do_recv(cd *d, handle *h, size_t len, int from_callback);

static void note_cb(cd *d, ptcp_conn *c) {
  handle *h = cd_handle_of(d, c);
  if (h != NULL)
    h->cb_events++;
}

static void drv_trace(void *user, const ptcp_trace *ev) {
  cd *d = user;
  handle *h;
  uint8_t k[4];

  CK(strcmp(ptcp_trace_kind_name(ev->kind), "invalid") != 0);
  CK(ev->local != NULL && ev->remote != NULL);
  /* Traces carry the time of the call that made them; a listen() has
   * no time argument, so its state change cannot. */
  if (!(ev->kind == PTCP_TRACE_STATE && ev->new_state == PTCP_LISTEN &&
        ev->old_state == PTCP_CLOSED))
    CK(ev->now == d->now, "trace %s at %llu", ptcp_trace_kind_name(ev->kind),
       (unsigned long long)ev->now);
  k[0] = (uint8_t)ev->kind;
  k[1] = (uint8_t)ev->old_state;
  k[2] = (uint8_t)ev->new_state;
  k[3] = (uint8_t)ev->verdict;
  d->sum->digest = cd_fnv(d->sum->digest, k, sizeof(k));
  switch (ev->kind) {
  case PTCP_TRACE_STATE:
    CK((unsigned)ev->new_state < PTCP_STATE_COUNT &&
       (unsigned)ev->old_state < PTCP_STATE_COUNT);
    CK(ev->old_state != ev->new_state);
    CK(ptcp_transition_allowed(ev->old_state, ev->new_state), "%s -> %s",
       ptcp_state_name(ev->old_state), ptcp_state_name(ev->new_state));
    d->sum->states_seen |= 1u << ev->new_state;
    h = cd_handle_of(d, ev->conn);
    if (h != NULL) {
      if (h->state_known)
        CK(ev->old_state == h->state, "traced %s -> %s, but it was in %s",
           ptcp_state_name(ev->old_state), ptcp_state_name(ev->new_state),
           ptcp_state_name(h->state));
      h->state_known = 1;
      h->state = ev->new_state;
    }
    break;
  case PTCP_TRACE_SEG_IN:
    CK(strcmp(ptcp_verdict_name(ev->verdict), "invalid") != 0);
    CK(strcmp(ptcp_reason_name(ev->reason), "invalid") != 0);
    CK(ev->seg != NULL);
    d->sum->verdicts_seen |= 1u << ev->verdict;
    d->sum->reasons_seen |= 1ULL << ev->reason;
    if (d->seg_in < 2) {
      d->vconn[d->seg_in] = ev->conn;
      d->verdict[d->seg_in] = ev->verdict;
      d->reason[d->seg_in] = ev->reason;
    }
    d->seg_in++;
    {
      int t = cd_tuple_find(d, ev->local_port, ev->remote_port);
      /* The limit is per connection: a SYN a listener takes starts a new
       * one on the tuple, with its own allowance. */
      if (t >= 0 && ev->verdict == PTCP_VERDICT_ACCEPT && ev->conn != NULL &&
          ev->new_state == PTCP_LISTEN)
        d->p[t].nchal = 0;
    }
    if (ev->verdict == PTCP_VERDICT_CHALLENGE) {
      int t = cd_tuple_find(d, ev->local_port, ev->remote_port);
      if (t >= 0) {
        peer *p = &d->p[t];
        unsigned n = 0;
        /* RFC 5961 §7: the per-connection limit holds in any second
         * (the engine's window is fixed, so a sliding one sees 2x). */
        for (unsigned i = 0; i < p->nchal && i < 32; i++)
          if (d->now - p->chal[i] < PTCP_SECONDS)
            n++;
        CK(n < 2u * d->challenge_limit, "%u challenge ACKs within a second", n + 1);
        p->chal[p->nchal++ % 32] = d->now;
      }
    }
    break;
  case PTCP_TRACE_SEG_OUT:
    CK(ev->seg != NULL);
    d->pending_rtx = ev->retransmit;
    break;
  case PTCP_TRACE_RTT:
  case PTCP_TRACE_RTO:
    CK(ev->rto >= PTCP_RTO_FLOOR && ev->rto <= PTCP_RTO_CEIL, "rto %llu",
       (unsigned long long)ev->rto);
    break;
  case PTCP_TRACE_TIMER:
    CK(strcmp(ptcp_timer_name(ev->timer), "invalid") != 0);
    d->sum->timers_seen |= 1u << ev->timer;
    break;
  case PTCP_TRACE_CWND:
    CK(ev->cwnd > 0);
    break;
  }
  if (d->tr != NULL && d->tr->trace != NULL)
    d->tr->trace(d->tr->ctx, 0, ev);
}

static void cb_accept(void *user, ptcp_conn *l) {
  cd *d = user;
  handle *lh = cd_handle_of(d, l);

  note_cb(d, l);
  if (!(d->cbflags & CF_CB_ACCEPT) || lh == NULL)
    return;
  for (;;) {
    int slot = free_slot(d);
    ptcp_conn *c;
    int rv;
    if (slot < 0)
      return;
    rv = ptcp_conn_accept(l, &c);
    CK(rv == 0 || rv == PTCP_ERR_WOULD_BLOCK, "%s", ptcp_err_name(rv));
    if (rv != 0)
      return;
    memset(&d->h[slot], 0, sizeof(d->h[slot]));
    d->h[slot].c = c;
    d->h[slot].sndbuf = lh->sndbuf;
    d->h[slot].rcvbuf = lh->rcvbuf;
    d->h[slot].mss = lh->mss;
    d->h[slot].opened = 1;
  }
}

static void cb_connected(void *user, ptcp_conn *c) { note_cb(user, c); }

static void cb_readable(void *user, ptcp_conn *c) {
  cd *d = user;
  handle *h = cd_handle_of(d, c);

  note_cb(d, c);
  if ((d->cbflags & CF_CB_RECV) && h != NULL)
    do_recv(d, h, RW_CAP, 1);
}

static void cb_writable(void *user, ptcp_conn *c) {
  cd *d = user;
  handle *h = cd_handle_of(d, c);

  note_cb(d, c);
  if ((d->cbflags & CF_CB_SEND) && h != NULL) {
    uint8_t buf[512];
    ptcp_ssize n;
    for (unsigned i = 0; i < sizeof(buf); i++)
      buf[i] = cf_local_byte((uint32_t)(h->written + i));
    n = ptcp_conn_send(c, buf, sizeof(buf), d->now);
    check_err_named(d, n);
    if (n > 0)
      h->written += (uint64_t)n;
  }
}

static void cb_peer_fin(void *user, ptcp_conn *c) {
  cd *d = user;

  note_cb(d, c);
  if ((d->cbflags & CF_CB_SHUTDOWN) && cd_handle_of(d, c) != NULL)
    check_err_named(d, ptcp_conn_shutdown(c, d->now));
}

static void cb_error(void *user, ptcp_conn *c, int err) {
  cd *d = user;

  note_cb(d, c);
  CK(err == PTCP_ERR_CONN_REFUSED || err == PTCP_ERR_CONN_RESET ||
         err == PTCP_ERR_TIMED_OUT,
     "on_error %s", ptcp_err_name(err));
}

static void cb_closed(void *user, ptcp_conn *c, int err) {
  cd *d = user;
  handle *h = cd_handle_of(d, c);

  note_cb(d, c);
  CK(err == 0 || err == PTCP_ERR_CONN_REFUSED || err == PTCP_ERR_CONN_RESET ||
         err == PTCP_ERR_TIMED_OUT,
     "on_closed %s", ptcp_err_name(err));
  if ((d->cbflags & CF_CB_CLOSE) && h != NULL) {
    CK(ptcp_conn_close(c, d->now) == 0);
    memset(h, 0, sizeof(*h));
  }
}

/* ------------------------------------------------------------------ */
/* User calls                                                          */

static handle *slot_handle(cd *d, uint8_t b, unsigned *slot) {
  *slot = b % CF_SLOTS;
  return d->h[*slot].c != NULL ? &d->h[*slot] : NULL;
}

static void do_recv(cd *d, handle *h, size_t len, int from_callback) {
  ptcp_conn_status st;
  ptcp_ssize n;

  ptcp_conn_status_get(h->c, &st);
  if (len > RW_CAP)
    len = RW_CAP;
  n = ptcp_conn_recv(h->c, d->rw, len, d->now);
  if (!from_callback)
    cd_result(d, "recv", (long)n);
  check_err_named(d, n);
  CK(n >= 0 || n == PTCP_ERR_WOULD_BLOCK || n == PTCP_ERR_NOT_CONNECTED ||
         n == PTCP_ERR_CONN_RESET || n == PTCP_ERR_TIMED_OUT ||
         n == PTCP_ERR_CONN_REFUSED || n == PTCP_ERR_INVALID_ARGUMENT,
     "recv returned %s", ptcp_err_name((int)n));
  CK(n != PTCP_ERR_INVALID_ARGUMENT || h->listener, "recv: invalid argument");
  /* RECEIVE hands over exactly what STATUS said was there. */
  if (st.recv_queued > 0 && len > 0)
    CK((size_t)n == (len < st.recv_queued ? len : st.recv_queued),
       "recv %zu of %zu gave %ld", len, st.recv_queued, (long)n);
  if (n == 0 && len > 0)
    CK(st.peer_fin && st.recv_queued == 0, "recv returned 0 before the peer's FIN");
  if (n > 0) {
    int t = cd_handle_tuple(d, h);
    if (t >= 0 && !d->p[t].tainted && h->synced) {
      for (ptcp_ssize i = 0; i < n; i++)
        CK(d->rw[i] == cf_peer_byte(st.irs + 1u + (uint32_t)(h->read + (uint64_t)i)),
           "byte %llu of the stream is not the one the peer sent",
           (unsigned long long)(h->read + (uint64_t)i));
    }
    h->read += (uint64_t)n;
  }
}

static void op_send(cd *d) {
  unsigned slot;
  handle *h = slot_handle(d, fuzz_u8(&d->in), &slot);
  size_t len = fuzz_u16(&d->in);
  ptcp_conn_status st;
  ptcp_ssize n;

  if (len == 0xffff)
    len = CF_USER_MAX;
  cd_say(d, "SEND slot %u: %zu bytes", slot, len);
  if (h == NULL)
    return;
  for (size_t i = 0; i < len; i++)
    d->rw[i] = cf_local_byte((uint32_t)(h->written + i));
  ptcp_conn_status_get(h->c, &st);
  n = ptcp_conn_send(h->c, d->rw, len, d->now);
  cd_result(d, "send", (long)n);
  check_err_named(d, n);
  CK(n >= 0 || n == PTCP_ERR_WOULD_BLOCK || n == PTCP_ERR_NOT_CONNECTED ||
         n == PTCP_ERR_CLOSED || n == PTCP_ERR_CONN_RESET || n == PTCP_ERR_TIMED_OUT ||
         n == PTCP_ERR_CONN_REFUSED || n == PTCP_ERR_NOMEM ||
         (n == PTCP_ERR_INVALID_ARGUMENT && h->listener),
     "send returned %s", ptcp_err_name((int)n));
  CK(n <= (ptcp_ssize)len);
  /* SEND queues exactly what STATUS said there was room for. */
  if (len > 0 && st.send_space > 0 && n != PTCP_ERR_NOMEM)
    CK((size_t)n == (len < st.send_space ? len : st.send_space),
       "send %zu, space %zu, took %ld", len, st.send_space, (long)n);
  if (len > 0 && st.send_space == 0)
    CK(n < 0, "send took %ld with no space", (long)n);
  if (n > 0)
    h->written += (uint64_t)n;
}

static void op_recv(cd *d) {
  unsigned slot;
  handle *h = slot_handle(d, fuzz_u8(&d->in), &slot);
  size_t len = fuzz_u16(&d->in);

  if (len == 0xffff)
    len = CF_USER_MAX;
  cd_say(d, "RECV slot %u: up to %zu bytes", slot, len);
  if (h != NULL)
    do_recv(d, h, len, 0);
}

static void op_shutdown(cd *d) {
  unsigned slot;
  handle *h = slot_handle(d, fuzz_u8(&d->in), &slot);
  int rv;

  cd_say(d, "SHUTDOWN slot %u", slot);
  if (h == NULL)
    return;
  rv = ptcp_conn_shutdown(h->c, d->now);
  cd_result(d, "shutdown", rv);
  check_err_named(d, rv);
  CK(rv == 0 || rv == PTCP_ERR_NOT_CONNECTED || rv == PTCP_ERR_CLOSED ||
         rv == PTCP_ERR_CONN_RESET || rv == PTCP_ERR_TIMED_OUT ||
         rv == PTCP_ERR_CONN_REFUSED,
     "shutdown returned %s", ptcp_err_name(rv));
}

static void release(cd *d, unsigned slot, int abort_it) {
  handle *h = &d->h[slot];
  int rv = abort_it ? ptcp_conn_abort(h->c, d->now) : ptcp_conn_close(h->c, d->now);

  cd_result(d, abort_it ? "abort" : "close", rv);
  CK(rv == 0, "%s returned %s", abort_it ? "abort" : "close", ptcp_err_name(rv));
  memset(h, 0, sizeof(*h));
}

static void op_close(cd *d, int abort_it) {
  unsigned slot;
  handle *h = slot_handle(d, fuzz_u8(&d->in), &slot);

  cd_say(d, "%s slot %u", abort_it ? "ABORT" : "CLOSE", slot);
  if (h != NULL)
    release(d, slot, abort_it);
}

/* Does the close policy of |spec| (NULL: the default) ever stop waiting
 * in FIN-WAIT-2? */
static int fw2_bounded(const char *spec, ptcp_duration msl) {
  ptcp_policy_sel sel;
  const ptcp_close_ops *ops;

  if (ptcp_policy_parse(&sel, cd_registry, PTCP_SLOT_CLOSE, spec ? spec : "rfc9293", NULL,
                        0) != 0)
    return 0;
  ops = (const ptcp_close_ops *)sel.ops;
  return ops->fin_wait_2_timeout != NULL && ops->fin_wait_2_timeout(sel.params, msl) > 0;
}

static void apply_toggles(ptcp_conn_cfg *c, uint8_t f) {
  c->nagle = !(f & CF_H_NO_NAGLE);
  c->timestamps = !(f & CF_H_NO_TS);
  c->sack = !(f & CF_H_NO_SACK);
  c->window_scaling = !(f & CF_H_NO_WS);
  c->delack = (f & CF_H_NO_DELACK) ? 0 : 200 * PTCP_MILLISECONDS;
  c->keepalive = (f & CF_H_KEEPALIVE) != 0;
  if (c->keepalive) {
    c->keepalive_idle = PTCP_SECONDS;
    c->keepalive_interval = PTCP_SECONDS;
    c->keepalive_count = 3;
  }
}

/* Reads a "cfg" field: NULL for the stack's defaults, else |buf|. */
static const ptcp_conn_cfg *read_cfg(cd *d, ptcp_conn_cfg *buf, char *spec, size_t cap) {
  uint8_t sel = fuzz_u8(&d->in), tog, bufs, pol;
  unsigned slot;

  if (sel == 0)
    return NULL;
  tog = fuzz_u8(&d->in);
  bufs = fuzz_u8(&d->in);
  pol = fuzz_u8(&d->in);
  *buf = d->conn_cfg;
  memset(buf->policy, 0, sizeof(buf->policy));
  apply_toggles(buf, tog);
  buf->sndbuf = cf_buf_sizes[bufs & 15u];
  buf->rcvbuf = cf_buf_sizes[bufs >> 4];
  slot = 1u + (pol & 7u) % 4u;
  {
    size_t cnt = ptcp_registry_count(cd_registry, (ptcp_slot)slot);
    const ptcp_policy_info *info =
        ptcp_registry_get(cd_registry, (ptcp_slot)slot, (pol >> 3) % cnt);
    static const uint8_t none[CF_PARAMS_PER_SLOT];
    cf_policy_spec(spec, cap, info, none, CF_PARAMS_PER_SLOT);
    buf->policy[slot] = spec;
    if (slot == PTCP_SLOT_CLOSE && !fw2_bounded(spec, buf->msl))
      d->fw2_unbounded = 1;
  }
  return buf;
}

static void note_cfg(cd *d, handle *h, const ptcp_conn_cfg *cfg) {
  const ptcp_conn_cfg *c = cfg ? cfg : &d->conn_cfg;

  h->sndbuf = c->sndbuf;
  h->rcvbuf = c->rcvbuf;
  h->mss = c->mss;
  if (c->sndbuf > d->maxbuf)
    d->maxbuf = c->sndbuf;
  if (c->rcvbuf > d->maxbuf)
    d->maxbuf = c->rcvbuf;
}

/* A new connection in handle |h| with |cfg|; 0, or -1 when the stack
 * refused it (with a documented error). */
static int new_handle(cd *d, handle *h, const ptcp_conn_cfg *cfg) {
  ptcp_conn *c;
  int rv = ptcp_conn_new(d->stack, cfg, &c);

  cd_result(d, "conn_new", rv);
  check_err_named(d, rv);
  CK(rv == 0 || rv == PTCP_ERR_LIMIT || rv == PTCP_ERR_NOMEM, "conn_new %s",
     ptcp_err_name(rv));
  if (rv != 0)
    return -1;
  memset(h, 0, sizeof(*h));
  h->c = c;
  note_cfg(d, h, cfg);
  return 0;
}

static void op_listen(cd *d) {
  unsigned slot = fuzz_u8(&d->in) % CF_SLOTS;
  uint16_t port = cf_listen_ports[fuzz_u8(&d->in) % 4u];
  unsigned backlog = fuzz_u8(&d->in);
  ptcp_conn_cfg cfgbuf;
  char spec[128];
  const ptcp_conn_cfg *cfg = read_cfg(d, &cfgbuf, spec, sizeof(spec));
  handle *h = &d->h[slot];
  int rv;

  cd_say(d, "LISTEN slot %u on port %u, backlog %u%s", slot, port, backlog,
         cfg ? " (own settings)" : "");
  if (h->c == NULL) {
    if (new_handle(d, h, cfg) != 0)
      return;
    rv = ptcp_conn_bind(h->c, NULL, port);
    cd_result(d, "bind", rv);
    check_err_named(d, rv);
    CK(rv == 0 || rv == PTCP_ERR_ADDR_IN_USE || rv == PTCP_ERR_ADDR_NOT_AVAIL ||
           rv == PTCP_ERR_NOMEM || rv == PTCP_ERR_POLICY || rv == PTCP_ERR_LIMIT,
       "bind %s", ptcp_err_name(rv));
  }
  rv = ptcp_conn_listen(h->c, backlog);
  cd_result(d, "listen", rv);
  check_err_named(d, rv);
  CK(rv == 0 || rv == PTCP_ERR_STATE || rv == PTCP_ERR_INVALID_ARGUMENT ||
         rv == PTCP_ERR_NOMEM,
     "listen %s", ptcp_err_name(rv));
  CK(rv != PTCP_ERR_INVALID_ARGUMENT || backlog == 0);
  if (rv == 0) {
    h->listener = 1;
    h->state_known = 1;
    h->state = PTCP_LISTEN;
  }
}

static void op_connect(cd *d) {
  unsigned slot = fuzz_u8(&d->in) % CF_SLOTS;
  uint8_t tgt = fuzz_u8(&d->in);
  static const uint16_t ports[4] = {5000, 5001, 5002, 80};
  uint16_t port = ports[tgt & 3u];
  ptcp_conn_cfg cfgbuf;
  char spec[128];
  const ptcp_conn_cfg *cfg = read_cfg(d, &cfgbuf, spec, sizeof(spec));
  const ptcp_addr *to = (tgt & CF_CONN_BAD_ADDR) ? &d->bad : &d->remote;
  handle *h = &d->h[slot];
  int rv;

  cd_say(d, "CONNECT slot %u to port %u%s%s", slot, port,
         (tgt & CF_CONN_BAD_ADDR) ? " at a multicast address" : "",
         (tgt & CF_CONN_BIND_PORT) ? ", bound to port 7000" : "");
  if (h->c == NULL) {
    if (new_handle(d, h, cfg) != 0)
      return;
    if (tgt & (CF_CONN_BIND_PORT | CF_CONN_BIND_ADDR)) {
      rv = ptcp_conn_bind(h->c, (tgt & CF_CONN_BIND_ADDR) ? &d->local : NULL,
                          (tgt & CF_CONN_BIND_PORT) ? 7000 : 0);
      cd_result(d, "bind", rv);
      check_err_named(d, rv);
      CK(rv == 0 || rv == PTCP_ERR_ADDR_IN_USE || rv == PTCP_ERR_ADDR_NOT_AVAIL ||
             rv == PTCP_ERR_NOMEM || rv == PTCP_ERR_POLICY || rv == PTCP_ERR_LIMIT,
         "bind %s", ptcp_err_name(rv));
    }
  }
  rv = ptcp_conn_connect(h->c, to, port, d->now);
  cd_result(d, "connect", rv);
  check_err_named(d, rv);
  CK(rv == 0 || rv == PTCP_ERR_STATE || rv == PTCP_ERR_ALREADY ||
         rv == PTCP_ERR_INVALID_ARGUMENT || rv == PTCP_ERR_ADDR_NOT_AVAIL ||
         rv == PTCP_ERR_ADDR_IN_USE || rv == PTCP_ERR_NOMEM || rv == PTCP_ERR_POLICY,
     "connect %s", ptcp_err_name(rv));
  CK(rv != PTCP_ERR_INVALID_ARGUMENT || (tgt & CF_CONN_BAD_ADDR) || h->listener,
     "connect refused a good address");
  if (rv == 0) {
    ptcp_conn_status st;
    ptcp_conn_status_get(h->c, &st);
    h->opened = 1;
    CK(st.state == PTCP_SYN_SENT);
    CK(cd_tuple_find(d, st.local_port, st.remote_port) >= 0, "connect sent no SYN");
  }
}

static void op_accept(cd *d) {
  unsigned lslot;
  handle *l = slot_handle(d, fuzz_u8(&d->in), &lslot);
  unsigned slot = fuzz_u8(&d->in) % CF_SLOTS;
  ptcp_conn *c;
  int rv;

  cd_say(d, "ACCEPT from slot %u into slot %u", lslot, slot);
  if (l == NULL)
    return;
  if (d->h[slot].c != NULL)
    slot = (unsigned)free_slot(d);
  if (slot >= CF_SLOTS)
    return;
  rv = ptcp_conn_accept(l->c, &c);
  cd_result(d, "accept", rv);
  check_err_named(d, rv);
  CK(rv == 0 || rv == PTCP_ERR_WOULD_BLOCK || rv == PTCP_ERR_STATE, "accept %s",
     ptcp_err_name(rv));
  CK(rv != PTCP_ERR_STATE || !l->listener || l->state != PTCP_LISTEN,
     "accept on a listener: %s", ptcp_err_name(rv));
  if (rv != 0)
    return;
  CK(l->listener);
  memset(&d->h[slot], 0, sizeof(d->h[slot]));
  d->h[slot].c = c;
  d->h[slot].sndbuf = l->sndbuf;
  d->h[slot].rcvbuf = l->rcvbuf;
  d->h[slot].mss = l->mss;
  d->h[slot].opened = 1;
}

/* ------------------------------------------------------------------ */
/* Time                                                                */

/* An event starts with nothing emitted, no verdict and no callback seen. */
static void begin_event(cd *d) {
  d->nout = d->nout_all = 0;
  d->seg_in = 0;
  d->in_rst = 0;
  d->pending_rtx = 0;
  for (unsigned i = 0; i < CF_SLOTS; i++)
    d->h[i].cb_events = 0;
}

static void fire_timers(cd *d, ptcp_time until, unsigned max_steps) {
  for (unsigned steps = 0; steps < max_steps; steps++) {
    ptcp_time dl = ptcp_stack_next_deadline(d->stack);
    int rv;
    if (dl == PTCP_TIME_NONE || dl > until)
      break;
    if (dl > d->now)
      d->now = dl;
    begin_event(d);
    rv = ptcp_stack_on_timer(d->stack, d->now);
    CK(rv == 0, "on_timer %s", ptcp_err_name(rv));
    /* Every timer due now has run. */
    CK(ptcp_stack_next_deadline(d->stack) > d->now, "a timer due at %llu is still due",
       (unsigned long long)d->now);
    cd_check_stack(d);
    cd_check_outputs(d);
  }
}

static void op_advance(cd *d) {
  uint8_t mode = fuzz_u8(&d->in) % CF_ADV_MODES;
  ptcp_time dl = ptcp_stack_next_deadline(d->stack);
  ptcp_time to = d->now;

  switch (mode) {
  case CF_ADV_MS8:
    to = d->now + fuzz_u8(&d->in) * PTCP_MILLISECONDS;
    break;
  case CF_ADV_MS16:
    to = d->now + fuzz_u16(&d->in) * PTCP_MILLISECONDS;
    break;
  case CF_ADV_DEADLINE:
    if (dl != PTCP_TIME_NONE)
      to = dl;
    break;
  case CF_ADV_BEFORE:
    if (dl != PTCP_TIME_NONE && dl > d->now + 1)
      to = dl - 1;
    break;
  default:
    to = d->now + fuzz_u16(&d->in) * PTCP_SECONDS;
    break;
  }
  cd_say(d, "ADVANCE %llu ns to %llu", (unsigned long long)(to - d->now),
         (unsigned long long)to);
  fire_timers(d, to, MAX_TIMER_STEPS);
  if (to > d->now)
    d->now = to;
}

static void op_fail(cd *d) {
  uint8_t mode = fuzz_u8(&d->in) % CF_FAIL_MODES;
  uint8_t n = fuzz_u8(&d->in);

  cd_say(d, "FAIL mode %u n %u", mode, n);
  switch (mode) {
  case CF_FAIL_NTH:
    d->m.fail_nth = n ? n : 1;
    break;
  case CF_FAIL_EVENT:
    d->m.fail_next_event = 1;
    break;
  case CF_FAIL_EVENTS:
    d->m.fail_events = n;
    break;
  default:
    d->m.fail_nth = 0;
    d->m.fail_events = 0;
    d->m.fail_next_event = 0;
    break;
  }
}

/* ------------------------------------------------------------------ */
/* Set-up and ending                                                   */

static void *registry_alloc_once(void) {
  if (cd_registry == NULL) {
    if (ptcp_registry_new(&cd_registry, NULL) != 0 ||
        ptcp_registry_add_builtins(cd_registry) != 0) {
      fprintf(stderr, "conn: cannot build the policy cd_registry\n");
      abort();
    }
  }
  return cd_registry;
}

static int setup(cd *d, const uint8_t *hdr, char specs[PTCP_SLOT_COUNT][160]) {
  ptcp_stack_cfg cfg;
  int rv;

  d->v6 = (hdr[0] & CF_H_V6) != 0;
  d->hflags = hdr[0];
  d->cbflags = hdr[1];
  if (d->v6) {
    ptcp_addr_parse(&d->local, "fd00::1");
    ptcp_addr_parse(&d->remote, "fd00::2");
    ptcp_addr_parse(&d->bad, "ff02::1");
  } else {
    d->local = ptcp_addr_v4(10, 0, 0, 1);
    d->remote = ptcp_addr_v4(10, 0, 0, 2);
    d->bad = ptcp_addr_v4(224, 0, 0, 1);
  }
  ptcp_stack_cfg_default(&cfg);
  cfg.conn.sndbuf = cf_buf_sizes[hdr[2] & 15u];
  cfg.conn.rcvbuf = cf_buf_sizes[hdr[3] & 15u];
  cfg.conn.mss = cf_mss_values[hdr[4] & 7u];
  cfg.conn.msl = cf_msl_values[hdr[5] & 7u];
  cfg.conn.syn_retries = (uint8_t)(1u + (hdr[6] & 7u));
  cfg.conn.data_retries = (uint8_t)(1u + ((hdr[6] >> 4) & 15u));
  apply_toggles(&cfg.conn, hdr[0]);
  cfg.challenge_ack_limit = (uint8_t)(1u + hdr[8] % 16u);
  cfg.max_conns = 4u + hdr[9] % 13u;
  cfg.mem = &d->m.mem;
  cfg.rand = drv_rand;
  cfg.rand_ctx = d;
  cfg.registry = cd_registry;
  cfg.user = d;
  cfg.callbacks.emit = cd_emit;
  cfg.callbacks.on_trace = drv_trace;
  cfg.callbacks.on_accept = cb_accept;
  cfg.callbacks.on_connected = cb_connected;
  cfg.callbacks.on_readable = cb_readable;
  cfg.callbacks.on_writable = cb_writable;
  cfg.callbacks.on_peer_fin = cb_peer_fin;
  cfg.callbacks.on_error = cb_error;
  cfg.callbacks.on_closed = cb_closed;
  d->rand_fails = hdr[11] & 1u;
  d->rand_left = (hdr[11] >> 1) & 7u;
  d->rng = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)hdr[11] << 8 | hdr[12]);
  d->now = cf_start_times[hdr[10] & 3u];
  d->challenge_limit = cfg.challenge_ack_limit;
  d->max_conns = cfg.max_conns;
  d->msl_max = cf_msl_values[6];
  d->maxbuf = cfg.conn.sndbuf > cfg.conn.rcvbuf ? cfg.conn.sndbuf : cfg.conn.rcvbuf;
  d->conn_cfg = cfg.conn;

  for (int slot = 0; slot < PTCP_SLOT_COUNT; slot++) {
    const uint8_t *ps = hdr + CF_H_POLICY(slot);
    size_t cnt = ptcp_registry_count(cd_registry, (ptcp_slot)slot);
    if (ps[0] == 0 || cnt == 0)
      continue;
    cf_policy_spec(
        specs[slot], sizeof(specs[slot]),
        ptcp_registry_get(cd_registry, (ptcp_slot)slot, (size_t)(ps[0] - 1u) % cnt),
        ps + 1, CF_PARAMS_PER_SLOT);
    cfg.policy[slot] = specs[slot];
  }
  if (!fw2_bounded(cfg.policy[PTCP_SLOT_CLOSE], cfg.conn.msl))
    d->fw2_unbounded = 1;

  /* Set-up allocations may fail too: creation must then clean up. */
  d->m.fail_nth = hdr[13];
  rv = ptcp_stack_new(&d->stack, &cfg, d->now);
  d->m.fail_nth = 0;
  check_err_named(d, rv);
  CK(rv == 0 || rv == PTCP_ERR_NOMEM || rv == PTCP_ERR_POLICY ||
         rv == PTCP_ERR_NOT_FOUND || rv == PTCP_ERR_INVALID_ARGUMENT,
     "stack_new %s", ptcp_err_name(rv));
  CK(rv != PTCP_ERR_POLICY || d->rand_fails,
     "stack_new refused a policy with randomness");
  CK(rv != 0 || d->stack != NULL);
  if (rv != 0) {
    CK(d->m.live_bytes == 0, "a failed ptcp_stack_new leaked %llu bytes",
       (unsigned long long)d->m.live_bytes);
    return -1;
  }
  d->mem_base = d->m.live_bytes;
  rv = ptcp_stack_add_addr(d->stack, &d->local);
  CK(rv == 0);
  cd_say(d,
         "set-up: stack %s, buffers %u/%u, mss %u, msl %llu ns, policies %s %s %s %s %s",
         d->v6 ? "fd00::1" : "10.0.0.1", cfg.conn.sndbuf, cfg.conn.rcvbuf, cfg.conn.mss,
         (unsigned long long)cfg.conn.msl, cfg.policy[0] ? cfg.policy[0] : "-",
         cfg.policy[1] ? cfg.policy[1] : "-", cfg.policy[2] ? cfg.policy[2] : "-",
         cfg.policy[3] ? cfg.policy[3] : "-", cfg.policy[4] ? cfg.policy[4] : "-");

  for (unsigned t = 1; t <= 5; t++)
    cd_peer_reset(&d->p[t], (uint16_t)(t == 5 ? 81 : CF_LISTEN_PORT),
                  (uint16_t)(CF_PEER_PORT_BASE + t));

  /* The listener (slot 1) and the active connection (slot 0). */
  begin_event(d);
  {
    ptcp_conn *l;
    rv = ptcp_conn_new(d->stack, NULL, &l);
    CK(rv == 0);
    d->h[1].c = l;
    note_cfg(d, &d->h[1], NULL);
    CK(ptcp_conn_bind(l, NULL, CF_LISTEN_PORT) == 0);
    CK(ptcp_conn_listen(l, 1u + (hdr[7] & 3u)) == 0);
    d->h[1].listener = 1;
  }
  {
    ptcp_conn *c;
    rv = ptcp_conn_new(d->stack, NULL, &c);
    CK(rv == 0);
    d->h[0].c = c;
    note_cfg(d, &d->h[0], NULL);
    rv = ptcp_conn_connect(c, &d->remote, CF_PEER_PORT_ACTIVE, d->now);
    cd_result(d, "connect", rv);
    CK(rv == 0 || (rv == PTCP_ERR_POLICY && d->rand_fails), "connect %s",
       ptcp_err_name(rv));
    if (rv == 0)
      d->h[0].opened = 1;
  }
  cd_check_stack(d);
  return 0;
}

/* The peer goes silent: every timer must run out, and nothing may stay
 * half-open, closing or in TIME-WAIT (hardening.md §4.8). */
static void drain(cd *d) {
  ptcp_stack_stats ss;
  unsigned held = 0;

  fire_timers(d, PTCP_TIME_NONE - 1, DRAIN_STEPS);
  CK(ptcp_stack_next_deadline(d->stack) == PTCP_TIME_NONE,
     "timers still run after %u firings with a silent peer", DRAIN_STEPS);
  for (unsigned i = 0; i < CF_SLOTS; i++) {
    handle *h = &d->h[i];
    ptcp_conn_status st;
    if (h->c == NULL)
      continue;
    held++;
    ptcp_conn_status_get(h->c, &st);
    CK(st.state == PTCP_CLOSED || st.state == PTCP_ESTABLISHED ||
           st.state == PTCP_CLOSE_WAIT || st.state == PTCP_FIN_WAIT_2 ||
           (h->listener && st.state == PTCP_LISTEN),
       "slot %u stays in %s with a silent peer", i, ptcp_state_name(st.state));
  }
  ptcp_stack_stats_get(d->stack, &ss);
  CK(ss.time_wait == 0, "%u TIME-WAIT entries outlive their timers", ss.time_wait);
  if (!d->fw2_unbounded)
    CK(ss.conns == held, "%u connections left, %u held by the user", ss.conns, held);
}

static void finish(cd *d) {
  d->m.fail_nth = 0;
  d->m.fail_all = 0;
  d->m.fail_events = 0;
  d->m.fail_next_event = 0;
  d->index++;
  cd_say(d, "END: calls with bad arguments, each refused, changing nothing");
  begin_event(d);
  cd_misuse(d);
  /* Listeners go first: their queued children are reset. */
  d->index++;
  cd_say(d, "END: the listeners close, then the peer is silent until no timer is left");
  begin_event(d);
  for (unsigned i = 0; i < CF_SLOTS; i++)
    if (d->h[i].c != NULL && d->h[i].listener)
      release(d, i, 0);
  drain(d);
  d->index++;
  cd_say(d,
         "END: every connection closes, then the peer is silent until no timer is left");
  begin_event(d);
  for (unsigned i = 0; i < CF_SLOTS; i++)
    if (d->h[i].c != NULL)
      release(d, i, 0);
  drain(d);
  ptcp_stack_free(d->stack);
  d->stack = NULL;
  CK(d->m.live_bytes == 0 && d->m.live_blocks == 0, "%llu bytes in %llu blocks leaked",
     (unsigned long long)d->m.live_bytes, (unsigned long long)d->m.live_blocks);
}

static uint8_t hdrbyte0(const uint8_t *data, size_t size) {
  return size > 0 ? data[0] : 0;
}

void cd_run(const uint8_t *data, size_t size, const fuzz_tracer *tr, cd_summary *sum) {
  cd *d = &D;
  uint8_t hdr[CF_HDR_LEN];
  static char specs[PTCP_SLOT_COUNT][160];
  cd_summary local;

  registry_alloc_once();
  memset(d, 0, offsetof(cd, pkt));
  memset(specs, 0, sizeof(specs));
  d->tr = tr;
  d->sum = sum ? sum : &local;
  memset(d->sum, 0, sizeof(*d->sum));
  d->sum->digest = 0xcbf29ce484222325ULL;
  d->m.mem.user_data = &d->m;
  d->m.mem.malloc = cm_malloc;
  d->m.mem.calloc = cm_calloc;
  d->m.mem.free = cm_free;
  d->m.mem.realloc = cm_realloc;
  d->in.p = data;
  d->in.n = size;
  if (tr != NULL && tr->begin != NULL)
    tr->begin(tr->ctx, "conn",
              (hdrbyte0(data, size) & CF_H_V6) ? "plugtcp fd00::1" : "plugtcp 10.0.0.1",
              (hdrbyte0(data, size) & CF_H_V6) ? "peer fd00::2" : "peer 10.0.0.2");
  memset(hdr, 0, sizeof(hdr));
  memcpy(hdr, data, size < sizeof(hdr) ? size : sizeof(hdr));
  d->in.p += size < sizeof(hdr) ? size : sizeof(hdr);
  d->in.n -= size < sizeof(hdr) ? size : sizeof(hdr);

  if (setup(d, hdr, specs) != 0) {
    d->sum->setup_failed = 1;
    return;
  }
  while (!fuzz_empty(&d->in) && d->index < MAX_EVENTS) {
    uint8_t op = fuzz_u8(&d->in) % CF_OP_COUNT;
    d->index++;
    begin_event(d);
    if (d->m.fail_next_event) {
      d->m.fail_next_event = 0;
      d->m.fail_all = 1;
    } else if (d->m.fail_events > 0) {
      d->m.fail_events--;
      d->m.fail_all = 1;
    }
    switch (op) {
    case CF_OP_SEG:
      cd_op_seg(d);
      break;
    case CF_OP_RAW:
      cd_op_raw(d);
      break;
    case CF_OP_SEND:
      op_send(d);
      break;
    case CF_OP_RECV:
      op_recv(d);
      break;
    case CF_OP_SHUTDOWN:
      op_shutdown(d);
      break;
    case CF_OP_CLOSE:
      op_close(d, 0);
      break;
    case CF_OP_ABORT:
      op_close(d, 1);
      break;
    case CF_OP_LISTEN:
      op_listen(d);
      break;
    case CF_OP_CONNECT:
      op_connect(d);
      break;
    case CF_OP_ACCEPT:
      op_accept(d);
      break;
    case CF_OP_ADVANCE:
      op_advance(d);
      break;
    default:
      op_fail(d);
      break;
    }
    d->m.fail_all = 0;
    if (op != CF_OP_ADVANCE) {
      cd_check_stack(d);
      cd_check_outputs(d);
    }
  }
  d->sum->events = d->index;
  finish(d);
}

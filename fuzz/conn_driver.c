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
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plugtcp/plugtcp.h>

#include "conn_driver.h"
#include "conn_format.h"
#include "fuzz_input.h"

#define MAX_EVENTS 2000u
#define MAX_TIMER_STEPS 512u /* timer firings per ADVANCE */
#define DRAIN_STEPS 20000u   /* timer firings to let a silent peer end all */
#define MAX_INTERVALS 32u
#define MAX_SYNS 32u
#define MAX_OUT 64u /* segments remembered per event */
#define PKT_CAP (PTCP_IPV6_HDR_LEN + PTCP_HDR_MAX + 65536u)
#define RW_CAP CF_USER_MAX

/* ------------------------------------------------------------------ */
/* State                                                               */

typedef struct interval {
  uint32_t start, len;
} interval;

/* What the peer knows of one 4-tuple: what the stack put on the wire,
 * and what the peer itself sent. */
typedef struct peer {
  int used;
  uint16_t lport, rport;
  int iss_known, max_known, ack_known, ts_known;
  uint32_t our_iss, our_max, our_ack, our_wnd, our_tsval;
  int isn_known;
  uint32_t isn, nxt;
  interval iv[MAX_INTERVALS];
  unsigned niv;
  int iv_overflow;
  uint32_t syn[MAX_SYNS];
  unsigned nsyn;
  int syn_overflow; /* more SYNs than the list holds */
  int irs_pinned;   /* our SYN,ACK (or STATUS) said which SYN we took */
  uint32_t irs;
  int tainted;        /* bytes not from the pattern went in */
  ptcp_time chal[32]; /* times of the last challenge ACKs */
  unsigned nchal;
} peer;

typedef struct handle {
  ptcp_conn *c;
  int listener;
  uint32_t sndbuf, rcvbuf;
  uint16_t mss;
  uint64_t written, read;
  int opened, synced, iss_set;
  uint32_t iss, irs, rcv_nxt, snd_una;
  int state_known;
  ptcp_state state;
  int edge_known;
  uint32_t edge;
  unsigned cb_events; /* callbacks seen during the current event */
} handle;

/* One emitted segment, kept until the event's checks ran. */
typedef struct outseg {
  int tuple;
  uint8_t flags;
  uint32_t seq, ack, len, seg_len;
  uint16_t window;
  int rtx;
} outseg;

/* A snapshot of what a rejected segment must leave alone. */
typedef struct snap {
  int valid;
  ptcp_conn_status st;
} snap;

typedef struct counting_mem {
  ptcp_mem mem;
  uint64_t live_bytes, live_blocks, peak_bytes;
  uint64_t fail_nth;    /* countdown; 0 = off */
  int fail_all;         /* during the current event */
  unsigned fail_events; /* events left that fail everything */
  int fail_next_event;
  uint64_t refused;
} counting_mem;

typedef struct cd {
  const fuzz_tracer *tr;
  cd_summary *sum;
  fuzz_input in;
  ptcp_stack *stack;
  counting_mem m;
  ptcp_time now;
  uint64_t rng;
  int rand_fails;
  unsigned rand_left; /* draws that still succeed */
  int v6;
  ptcp_addr local, remote, bad;
  uint8_t hflags, cbflags;
  ptcp_conn_cfg conn_cfg; /* the stack's defaults for connections */
  uint32_t max_conns;
  uint8_t challenge_limit;
  ptcp_duration msl_max;
  uint32_t maxbuf;
  uint64_t mem_base;
  int fw2_unbounded; /* some close policy may wait forever */
  handle h[CF_SLOTS];
  peer p[CF_TUPLES];
  unsigned next_dyn;
  /* The current event. */
  unsigned index;
  const char *call;
  int injecting, in_rst;
  unsigned seg_in;
  const ptcp_conn *vconn[2];
  ptcp_verdict verdict[2];
  ptcp_reason reason[2];
  outseg out[MAX_OUT];
  unsigned nout, nout_all;
  int pending_rtx;
  uint8_t pkt[PKT_CAP];
  uint8_t rw[RW_CAP];
  char text[512];
} cd;

static cd D;
static ptcp_registry *registry;

/* ------------------------------------------------------------------ */
/* Failing                                                             */

static void fail(cd *d, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5), noreturn));

static void fail(cd *d, const char *file, int line, const char *fmt, ...) {
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

/* CK(cond) or CK(cond, "fmt", args): the message says what was seen. */
#define CK(cond, ...)                                                                    \
  do {                                                                                   \
    if (!(cond))                                                                         \
      fail(d, __FILE__, __LINE__, "(" #cond ") " __VA_ARGS__);                           \
  } while (0)

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

static void say(cd *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Describes the current event to the tracer (only when there is one). */
static void say(cd *d, const char *fmt, ...) {
  va_list ap;

  if (d->tr == NULL || d->tr->event == NULL)
    return;
  va_start(ap, fmt);
  vsnprintf(d->text, sizeof(d->text), fmt, ap);
  va_end(ap);
  d->tr->event(d->tr->ctx, d->index, d->now, d->text);
}

static void result(cd *d, const char *call, long rv) {
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
/* Handles and tuples                                                  */

static handle *handle_of(cd *d, const ptcp_conn *c) {
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

static void peer_reset(peer *p, uint16_t lport, uint16_t rport) {
  memset(p, 0, sizeof(*p));
  p->used = 1;
  p->lport = lport;
  p->rport = rport;
}

static int tuple_find(cd *d, uint16_t lport, uint16_t rport) {
  for (unsigned i = 0; i < CF_TUPLES; i++)
    if (d->p[i].used && d->p[i].lport == lport && d->p[i].rport == rport)
      return (int)i;
  return -1;
}

/* A new active open shows its tuple with its SYN: tuples 6 and 7 take
 * turns (tuple 0 is the set-up's connection). */
static int tuple_learn(cd *d, uint16_t lport, uint16_t rport) {
  int t = tuple_find(d, lport, rport);

  if (t >= 0)
    return t;
  if (!d->p[0].used) {
    t = 0;
  } else {
    t = 6 + (int)(d->next_dyn++ % 2);
  }
  peer_reset(&d->p[t], lport, rport);
  return t;
}

static int handle_tuple(cd *d, const handle *h) {
  ptcp_conn_status st;

  if (h->c == NULL || h->listener)
    return -1;
  ptcp_conn_status_get(h->c, &st);
  if (st.state == PTCP_CLOSED && !h->opened)
    return -1;
  return tuple_find(d, st.local_port, st.remote_port);
}

/* Sequence ranges the peer has sent on a tuple (SYN and FIN count),
 * kept merged, so an ACK can be checked against them. */
static int touch(const interval *a, const interval *b) {
  return ptcp_seq_le(a->start, b->start + b->len) &&
         ptcp_seq_le(b->start, a->start + a->len);
}

static void peer_sent(peer *p, uint32_t seq, uint32_t len) {
  int merged = 1;

  if (len == 0 || p->iv_overflow)
    return;
  if (p->niv == MAX_INTERVALS) {
    p->iv_overflow = 1;
    return;
  }
  p->iv[p->niv].start = seq;
  p->iv[p->niv].len = len;
  p->niv++;
  /* Merge touching ranges while the union stays far below 2^31. */
  while (merged) {
    merged = 0;
    for (unsigned i = 0; i < p->niv && !merged; i++) {
      for (unsigned j = i + 1; j < p->niv && !merged; j++) {
        interval *a = &p->iv[i], *b = &p->iv[j];
        uint32_t s0, e0;
        if (!touch(a, b))
          continue;
        s0 = ptcp_seq_min(a->start, b->start);
        e0 = ptcp_seq_max(a->start + a->len, b->start + b->len);
        if (e0 - s0 >= (1u << 30))
          continue;
        a->start = s0;
        a->len = e0 - s0;
        *b = p->iv[--p->niv];
        merged = 1;
      }
    }
  }
}

/* Is every sequence number in [from, to) one the peer sent? */
static int peer_covers(const peer *p, uint32_t from, uint32_t to) {
  uint32_t x = from;

  for (unsigned n = 0; n <= MAX_INTERVALS + 1; n++) {
    int found = 0;
    if (x == to)
      return 1;
    for (unsigned i = 0; i < p->niv; i++) {
      if (ptcp_seq_in(x, p->iv[i].start, p->iv[i].len)) {
        x = p->iv[i].start + p->iv[i].len;
        found = 1;
        break;
      }
    }
    if (!found)
      return 0;
    if (ptcp_seq_ge(x, to))
      return 1;
  }
  return 0;
}

/* The peer puts a segment on the wire: remember what it covers. */
static void peer_sends(peer *p, const ptcp_seg *seg, int from_pattern) {
  uint32_t len = (uint32_t)seg->payload_len + ((seg->flags & PTCP_SYN) ? 1u : 0u) +
                 ((seg->flags & PTCP_FIN) ? 1u : 0u);

  /* A SYN with RST is never taken as a SYN (the RST is checked first). */
  if ((seg->flags & (PTCP_SYN | PTCP_RST)) == PTCP_SYN) {
    if (p->nsyn == MAX_SYNS) {
      memmove(p->syn, p->syn + 1, (MAX_SYNS - 1) * sizeof(p->syn[0]));
      p->nsyn--;
      p->syn_overflow = 1;
    }
    p->syn[p->nsyn++] = seg->seq;
    p->isn_known = 1;
    p->isn = seg->seq;
    p->nxt = seg->seq + len;
  } else if (!p->isn_known) {
    p->nxt = seg->seq + len;
  } else if (ptcp_seq_gt(seg->seq + len, p->nxt) &&
             seg->seq + len - p->nxt < (1u << 30)) {
    p->nxt = seg->seq + len;
  }
  if (!(seg->flags & PTCP_RST))
    peer_sent(p, seg->seq, len);
  if (seg->payload_len > 0 && !from_pattern)
    p->tainted = 1;
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                           */

static void do_recv(cd *d, handle *h, size_t len, int from_callback);

static void note_cb(cd *d, ptcp_conn *c) {
  handle *h = handle_of(d, c);
  if (h != NULL)
    h->cb_events++;
}

static int drv_emit(void *user, const uint8_t *pkt, size_t len) {
  cd *d = user;
  ptcp_ip ip;
  ptcp_seg seg;
  int rv, t, rtx;
  peer *p;
  uint32_t seg_len;
  outseg *o;

  d->sum->packets_out++;
  d->sum->digest = fnv(d->sum->digest, pkt, len);
  if (d->tr != NULL && d->tr->packet != NULL)
    d->tr->packet(d->tr->ctx, d->now, FT_TO_RIGHT, NULL, pkt, len);

  /* Everything the stack sends parses, checksums included. */
  rv = ptcp_packet_parse(&ip, &seg, pkt, len, 0);
  CK(rv == 0, "emitted packet does not parse: %s", ptcp_err_name(rv));
  CK(ip.version == (d->v6 ? 6 : 4));
  CK(ptcp_addr_equal(&ip.src, &d->local), "emitted from a foreign address");
  CK(seg.src_port != 0 && seg.dst_port != 0);
  /* RFC 9293 §3.10.7: a RST is never answered with a RST. */
  CK(!(d->in_rst && (seg.flags & PTCP_RST)), "RST answered with a RST");

  seg_len = (uint32_t)seg.payload_len + ((seg.flags & PTCP_SYN) ? 1u : 0u) +
            ((seg.flags & PTCP_FIN) ? 1u : 0u);
  t = -1;
  if (ptcp_addr_equal(&ip.dst, &d->remote)) {
    t = tuple_find(d, seg.src_port, seg.dst_port);
    if (t < 0 && (seg.flags & (PTCP_SYN | PTCP_ACK | PTCP_RST)) == PTCP_SYN)
      t = tuple_learn(d, seg.src_port, seg.dst_port);
  }
  rtx = d->pending_rtx;
  d->nout_all++;
  if (d->nout < MAX_OUT) {
    o = &d->out[d->nout++];
    o->tuple = t;
    o->flags = seg.flags;
    o->seq = seg.seq;
    o->ack = seg.ack;
    o->len = (uint32_t)seg.payload_len;
    o->seg_len = seg_len;
    o->window = seg.window;
    o->rtx = rtx;
  }
  d->pending_rtx = 0;
  if (t < 0)
    return 0;
  p = &d->p[t];

  if (seg.flags & PTCP_SYN) {
    /* A new connection may start on a tuple: a SYN or SYN,ACK sent for
     * the first time, or a new ISS (the ISS alone does not tell: one
     * tuple at one instant gets the same ISN from rfc6528). */
    if (!p->iss_known || p->our_iss != seg.seq || !rtx) {
      p->iss_known = 1;
      p->our_iss = seg.seq;
      p->max_known = 0;
      p->irs_pinned = 0;
      p->nchal = 0; /* a new connection: its own challenge allowance */
    }
    /* A SYN,ACK names the SYN it answers, which the peer must have sent;
     * from then on ACKs count from there.  (One sent again may carry
     * RCV.NXT as it is by then; a first one of a passive open may not.) */
    if (seg.flags & PTCP_ACK) {
      int sent = 0;
      for (unsigned i = 0; i < p->nsyn; i++)
        sent |= p->syn[i] == seg.ack - 1u;
      CK(sent || rtx || p->syn_overflow, "SYN,ACK for a SYN at %u the peer never sent",
         seg.ack - 1u);
      if (sent) {
        p->irs_pinned = 1;
        p->irs = seg.ack - 1u;
      }
    }
  }
  if (!(seg.flags & PTCP_RST)) {
    if (!p->max_known || ptcp_seq_gt(seg.seq + seg_len, p->our_max)) {
      p->max_known = 1;
      p->our_max = seg.seq + seg_len;
    }
    if (seg.opts.present & PTCP_OPT_TS) {
      p->ts_known = 1;
      p->our_tsval = seg.opts.ts_val;
    }
  }
  if ((seg.flags & PTCP_ACK) && !(seg.flags & PTCP_RST)) {
    p->ack_known = 1;
    p->our_ack = seg.ack;
    p->our_wnd = seg.window;
    /* No ACK for data never received: [IRS, SEG.ACK) must be made of
     * sequence numbers the peer sent, from one of its SYNs on. */
    if (!p->iv_overflow && p->irs_pinned) {
      CK(!ptcp_seq_lt(p->irs, seg.ack) || seg.ack - p->irs >= (1u << 30) ||
             peer_covers(p, p->irs, seg.ack),
         "ACK %u covers bytes the peer never sent after IRS %u (tuple %d)", seg.ack,
         p->irs, t);
    } else if (!p->iv_overflow && !p->syn_overflow && p->nsyn > 0) {
      int ok = 0, after_any = 0;
      for (unsigned i = 0; i < p->nsyn && !ok; i++) {
        if (ptcp_seq_lt(p->syn[i], seg.ack) && seg.ack - p->syn[i] < (1u << 30)) {
          after_any = 1;
          ok = peer_covers(p, p->syn[i], seg.ack);
        }
      }
      CK(ok || !after_any, "ACK %u covers bytes the peer never sent (tuple %d)", seg.ack,
         t);
    }
  }
  /* Our payload is what the user wrote at that stream offset. */
  if (seg.payload_len > 0 && p->iss_known && ptcp_seq_gt(seg.seq, p->our_iss)) {
    uint32_t off = seg.seq - p->our_iss - 1;
    for (size_t i = 0; i < seg.payload_len; i++)
      CK(seg.payload[i] == cf_local_byte(off + (uint32_t)i),
         "payload byte at stream offset %u is not what was written", off + (unsigned)i);
  }
  return 0;
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
  d->sum->digest = fnv(d->sum->digest, k, sizeof(k));
  switch (ev->kind) {
  case PTCP_TRACE_STATE:
    CK((unsigned)ev->new_state < PTCP_STATE_COUNT &&
       (unsigned)ev->old_state < PTCP_STATE_COUNT);
    CK(ev->old_state != ev->new_state);
    CK(ptcp_transition_allowed(ev->old_state, ev->new_state), "%s -> %s",
       ptcp_state_name(ev->old_state), ptcp_state_name(ev->new_state));
    d->sum->states_seen |= 1u << ev->new_state;
    h = handle_of(d, ev->conn);
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
      int t = tuple_find(d, ev->local_port, ev->remote_port);
      /* The limit is per connection: a SYN a listener takes starts a new
       * one on the tuple, with its own allowance. */
      if (t >= 0 && ev->verdict == PTCP_VERDICT_ACCEPT && ev->conn != NULL &&
          ev->new_state == PTCP_LISTEN)
        d->p[t].nchal = 0;
    }
    if (ev->verdict == PTCP_VERDICT_CHALLENGE) {
      int t = tuple_find(d, ev->local_port, ev->remote_port);
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
  handle *lh = handle_of(d, l);

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
  handle *h = handle_of(d, c);

  note_cb(d, c);
  if ((d->cbflags & CF_CB_RECV) && h != NULL)
    do_recv(d, h, RW_CAP, 1);
}

static void cb_writable(void *user, ptcp_conn *c) {
  cd *d = user;
  handle *h = handle_of(d, c);

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
  if ((d->cbflags & CF_CB_SHUTDOWN) && handle_of(d, c) != NULL)
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
  handle *h = handle_of(d, c);

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
/* Invariants                                                          */

static int synchronized(ptcp_state s) {
  return s >= PTCP_ESTABLISHED && s <= PTCP_TIME_WAIT;
}

static int needs_timer(ptcp_state s) {
  return s == PTCP_SYN_SENT || s == PTCP_SYN_RECEIVED || s == PTCP_FIN_WAIT_1 ||
         s == PTCP_CLOSING || s == PTCP_LAST_ACK || s == PTCP_TIME_WAIT;
}

static void check_handle(cd *d, handle *h, ptcp_time deadline) {
  ptcp_conn_status st;

  ptcp_conn_status_get(h->c, &st);
  CK((unsigned)st.state < PTCP_STATE_COUNT);
  if (h->state_known)
    CK(st.state == h->state, "STATUS says %s, the trace said %s",
       ptcp_state_name(st.state), ptcp_state_name(h->state));
  h->state_known = 1;
  h->state = st.state;
  for (int i = 0; i < PTCP_SLOT_COUNT; i++)
    CK(st.policy[i] != NULL);
  CK(st.error == 0 || st.error == PTCP_ERR_CONN_REFUSED ||
         st.error == PTCP_ERR_CONN_RESET || st.error == PTCP_ERR_TIMED_OUT,
     "pending error %d", st.error);
  CK(st.error == 0 || st.state == PTCP_CLOSED, "error %s in %s", ptcp_err_name(st.error),
     ptcp_state_name(st.state));
  if (h->listener) {
    CK(st.state == PTCP_LISTEN || st.state == PTCP_CLOSED);
    CK(st.send_queued == 0 && st.recv_queued == 0 && st.ooo_bytes == 0);
    return;
  }
  if (st.state != PTCP_CLOSED)
    h->opened = 1;

  /* Send sequence space (RFC 9293 §3.3.1). */
  CK(ptcp_seq_le(st.snd_una, st.snd_nxt), "SND.UNA %u SND.NXT %u", st.snd_una,
     st.snd_nxt);
  CK(ptcp_seq_le(st.snd_nxt, st.snd_max), "SND.NXT %u SND.MAX %u", st.snd_nxt,
     st.snd_max);
  CK(st.snd_max - st.snd_una <= st.send_queued + 2u, "%u in flight, %zu queued",
     st.snd_max - st.snd_una, st.send_queued);
  /* Buffers. */
  CK(st.send_queued <= h->sndbuf, "%zu queued in a %u buffer", st.send_queued, h->sndbuf);
  CK(st.send_space <= h->sndbuf - st.send_queued);
  CK(st.recv_queued + st.ooo_bytes <= h->rcvbuf, "%zu + %zu in a %u buffer",
     st.recv_queued, st.ooo_bytes, h->rcvbuf);
  CK(st.rcv_wnd <= (1u << 30));
  CK((size_t)st.rcv_wnd + st.recv_queued <= h->rcvbuf, "window %u with %zu queued in %u",
     st.rcv_wnd, st.recv_queued, h->rcvbuf);
  CK(st.ooo_bytes <= st.rcv_wnd, "%zu out-of-order bytes, window %u", st.ooo_bytes,
     st.rcv_wnd);
  CK(st.snd_wnd <= (uint32_t)UINT16_MAX << PTCP_WSCALE_MAX);
  CK(st.rto == 0 || (st.rto >= PTCP_RTO_FLOOR && st.rto <= PTCP_RTO_CEIL));
  if (st.state == PTCP_CLOSED || st.state == PTCP_LISTEN)
    CK(st.send_space == 0);

  if (h->opened) {
    /* ISS never changes; SND.UNA never moves back. */
    if (h->iss_set) {
      CK(st.iss == h->iss, "ISS %u became %u", h->iss, st.iss);
      CK(ptcp_seq_ge(st.snd_una, h->snd_una), "SND.UNA %u went back to %u", h->snd_una,
         st.snd_una);
    }
    h->iss_set = 1;
    h->iss = st.iss;
    h->snd_una = st.snd_una;
  }
  if (synchronized(st.state) && !h->synced) {
    h->synced = 1;
    h->irs = st.irs;
    h->rcv_nxt = st.rcv_nxt;
  }
  if (h->synced) {
    CK(st.irs == h->irs, "IRS %u became %u", h->irs, st.irs);
    CK(ptcp_seq_ge(st.rcv_nxt, h->rcv_nxt), "RCV.NXT %u went back to %u", h->rcv_nxt,
       st.rcv_nxt);
    h->rcv_nxt = st.rcv_nxt;
    CK(st.snd_mss >= 48, "SND.MSS %u", st.snd_mss);
    /* Bytes delivered = RCV.NXT - IRS - 1 - FIN (hardening.md §4.3). */
    CK(h->read + st.recv_queued == (uint64_t)(st.rcv_nxt - st.irs - 1u - st.peer_fin),
       "read %llu + queued %zu != RCV.NXT %u - IRS %u - 1 - FIN %u",
       (unsigned long long)h->read, st.recv_queued, st.rcv_nxt, st.irs, st.peer_fin);
  }
  /* Whatever waits for the peer has a timer (RFC 9293 §3.8.1, §3.6). */
  if (needs_timer(st.state) || (st.snd_una != st.snd_max && st.state != PTCP_CLOSED))
    CK(deadline != PTCP_TIME_NONE, "%s with %u unacknowledged and no timer",
       ptcp_state_name(st.state), st.snd_max - st.snd_una);
}

static void check_stack(cd *d) {
  ptcp_stack_stats ss;
  ptcp_time dl = ptcp_stack_next_deadline(d->stack);
  uint64_t bound;

  /* Timers: never in the past once a call returns, never absurdly far. */
  CK(dl == PTCP_TIME_NONE || dl > d->now, "deadline %llu at %llu", (unsigned long long)dl,
     (unsigned long long)d->now);
  CK(dl == PTCP_TIME_NONE || dl - d->now <= 4 * d->msl_max + 7200 * PTCP_SECONDS +
                                                PTCP_RTO_CEIL + 60 * PTCP_SECONDS,
     "deadline %llu ns away", (unsigned long long)(dl - d->now));
  ptcp_stack_stats_get(d->stack, &ss);
  CK(ss.conns + ss.time_wait <= d->max_conns, "%u connections and %u TIME-WAIT, cap %u",
     ss.conns, ss.time_wait, d->max_conns);
  /* Memory: what the set-up took, plus per connection its struct and
   * both buffers, plus the stack's cache of empty buffers, plus tables. */
  bound =
      d->mem_base +
      (uint64_t)d->max_conns * (ptcp_conn_sizeof() + 2u * (uint64_t)d->maxbuf + 1024u) +
      8u * (uint64_t)d->maxbuf + 65536u;
  CK(d->m.live_bytes <= bound, "%llu live bytes, bound %llu",
     (unsigned long long)d->m.live_bytes, (unsigned long long)bound);
  for (unsigned i = 0; i < CF_SLOTS; i++)
    if (d->h[i].c != NULL)
      check_handle(d, &d->h[i], dl);
}

/* After the event: checks on the segments it emitted that need STATUS. */
static void check_outputs(cd *d) {
  for (unsigned i = 0; i < CF_SLOTS; i++) {
    handle *h = &d->h[i];
    ptcp_conn_status st;
    int t;

    if (h->c == NULL || h->listener)
      continue;
    t = handle_tuple(d, h);
    if (t < 0)
      continue;
    ptcp_conn_status_get(h->c, &st);
    /* A closed connection no longer owns its tuple: a new one may. */
    if (st.state == PTCP_CLOSED)
      continue;
    /* The connection knows which SYN it took: later ACKs count from it. */
    if (synchronized(st.state)) {
      d->p[t].irs_pinned = 1;
      d->p[t].irs = st.irs;
    }
    for (unsigned k = 0; k < d->nout; k++) {
      const outseg *o = &d->out[k];
      if (o->tuple != t || (o->flags & PTCP_RST))
        continue;
      if (!h->synced && !synchronized(st.state))
        continue;
      /* SEQ inside [ISS, SND.MAX] (hardening.md §4.5). */
      CK(ptcp_seq_ge(o->seq, st.iss) && ptcp_seq_le(o->seq + o->seg_len, st.snd_max),
         "segment %u+%u outside [ISS %u, SND.MAX %u]", o->seq, o->seg_len, st.iss,
         st.snd_max);
      if (o->flags & PTCP_ACK)
        CK(ptcp_seq_le(o->ack, st.rcv_nxt), "ACK %u beyond RCV.NXT %u", o->ack,
           st.rcv_nxt);
      /* New data only inside the window (a probe may carry one byte). */
      if (o->len > 0 && !o->rtx && st.state != PTCP_CLOSED) {
        uint32_t wnd = st.snd_wnd > 0 ? st.snd_wnd : 1u;
        CK(ptcp_seq_le(o->seq + o->len, st.snd_una + wnd),
           "new data %u+%u beyond SND.UNA %u + SND.WND %u", o->seq, o->len, st.snd_una,
           st.snd_wnd);
      }
      /* The offered right edge does not move left, except by what the
       * window scale rounds away (RFC 7323 §2.4). */
      if ((o->flags & PTCP_ACK) && !(o->flags & PTCP_SYN)) {
        uint8_t ws = st.wscale_ok ? st.rcv_wscale : 0;
        uint32_t edge = o->ack + ((uint32_t)o->window << ws);
        if (h->edge_known)
          CK(ptcp_seq_ge(edge + (1u << ws), h->edge + 1u),
             "right edge %u moved left of %u", edge, h->edge);
        if (!h->edge_known || ptcp_seq_gt(edge, h->edge))
          h->edge = edge;
        h->edge_known = 1;
      }
    }
  }
}

static void snapshot(cd *d, snap *s) {
  for (unsigned i = 0; i < CF_SLOTS; i++) {
    s[i].valid = d->h[i].c != NULL;
    if (s[i].valid)
      ptcp_conn_status_get(d->h[i].c, &s[i].st);
    d->h[i].cb_events = 0;
  }
}

/* What one rejected segment may change (hardening.md rule 9). */
static void check_rejected(cd *d, const snap *before, const ptcp_seg *in) {
  ptcp_verdict v = d->verdict[0];
  handle *h;
  const ptcp_conn_status *a;
  ptcp_conn_status b;
  unsigned slot;

  /* Output per verdict, whatever the connection. */
  if (v == PTCP_VERDICT_DROP) {
    CK(d->nout_all == 0, "a dropped segment (%s) drew %u segments",
       ptcp_reason_name(d->reason[0]), d->nout_all);
  } else if (v == PTCP_VERDICT_ACK || v == PTCP_VERDICT_CHALLENGE) {
    int acks = 0;
    for (unsigned k = 0; k < d->nout; k++)
      if ((d->out[k].flags & (PTCP_ACK | PTCP_RST)) == PTCP_ACK)
        acks++;
    CK(acks > 0, "verdict %s (%s) but no ACK went out", ptcp_verdict_name(v),
       ptcp_reason_name(d->reason[0]));
  } else if (v == PTCP_VERDICT_RST) {
    CK(d->nout_all == 1 && (d->out[0].flags & PTCP_RST), "verdict rst, %u segments out",
       d->nout_all);
    /* RFC 9293 §3.10.7.1: <SEQ=SEG.ACK><CTL=RST> when ACK is set, else
     * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
    if (in != NULL && d->reason[0] != PTCP_R_DATA_AFTER_CLOSE) {
      uint32_t len = (uint32_t)in->payload_len + ((in->flags & PTCP_SYN) ? 1u : 0u) +
                     ((in->flags & PTCP_FIN) ? 1u : 0u);
      if (in->flags & PTCP_ACK)
        CK(d->out[0].flags == PTCP_RST && d->out[0].seq == in->ack,
           "RST %02x seq %u for ACK %u", d->out[0].flags, d->out[0].seq, in->ack);
      else
        CK(d->out[0].flags == (PTCP_RST | PTCP_ACK) && d->out[0].seq == 0 &&
               d->out[0].ack == in->seq + len,
           "RST %02x seq %u ack %u for SEQ %u LEN %u", d->out[0].flags, d->out[0].seq,
           d->out[0].ack, in->seq, len);
    }
  }

  h = handle_of(d, d->vconn[0]);
  if (h == NULL || v == PTCP_VERDICT_ACCEPT || v == PTCP_VERDICT_RESET)
    return;
  slot = (unsigned)(h - d->h);
  if (!before[slot].valid || before[slot].st.state == PTCP_CLOSED)
    return;
  a = &before[slot].st;
  ptcp_conn_status_get(h->c, &b);

  if (v == PTCP_VERDICT_ACK) {
    /* The data was refused, though the ACK field may have been taken
     * (RFC 9293 §3.10.7.4: the zero-window allowance, or a duplicate
     * that carried a new ACK), and a FIN right at RCV.NXT counts. */
    CK(b.recv_queued == a->recv_queued && b.ooo_bytes == a->ooo_bytes,
       "verdict ack (%s) but data was taken", ptcp_reason_name(d->reason[0]));
    CK(b.rcv_nxt == a->rcv_nxt ||
           (b.rcv_nxt == a->rcv_nxt + 1 && b.peer_fin && !a->peer_fin),
       "verdict ack (%s) moved RCV.NXT %u -> %u", ptcp_reason_name(d->reason[0]),
       a->rcv_nxt, b.rcv_nxt);
    CK(b.iss == a->iss && b.irs == a->irs);
    return;
  }
  /* DROP, CHALLENGE, RST: nothing changes, no callback runs.  The ACK a
   * challenge sends may carry a larger window (never a smaller one). */
  CK(h->cb_events == 0, "a rejected segment (%s) ran %u callbacks",
     ptcp_reason_name(d->reason[0]), h->cb_events);
#define SAME(f)                                                                          \
  CK(a->f == b.f, "rejected segment (%s %s) changed " #f, ptcp_verdict_name(v),          \
     ptcp_reason_name(d->reason[0]))
  SAME(state);
  SAME(error);
  SAME(peer_fin);
  SAME(shut_wr);
  SAME(iss);
  SAME(snd_una);
  SAME(snd_nxt);
  SAME(snd_max);
  SAME(snd_wnd);
  SAME(irs);
  SAME(rcv_nxt);
  SAME(snd_mss);
  SAME(rcv_mss);
  SAME(snd_wscale);
  SAME(rcv_wscale);
  SAME(sack_ok);
  SAME(ts_ok);
  SAME(wscale_ok);
  SAME(cwnd);
  SAME(ssthresh);
  SAME(rto);
  SAME(srtt);
  SAME(send_queued);
  SAME(recv_queued);
  SAME(ooo_bytes);
#undef SAME
  CK(b.rcv_wnd >= a->rcv_wnd, "rejected segment shrank the window");
}

/* ------------------------------------------------------------------ */
/* Injecting segments                                                  */

static ptcp_ssize build_packet(cd *d, ptcp_seg *seg, int badsum) {
  ptcp_ip ip;
  ptcp_pseudo ph;
  size_t iphl = d->v6 ? PTCP_IPV6_HDR_LEN : PTCP_IPV4_HDR_LEN;
  ptcp_ssize n;

  ph.src = d->remote;
  ph.dst = d->local;
  n = ptcp_seg_write(d->pkt + iphl, sizeof(d->pkt) - iphl, seg, &ph);
  if (n < 0)
    return n;
  if (badsum)
    d->pkt[iphl + 16] ^= 0x01;
  memset(&ip, 0, sizeof(ip));
  ip.version = d->v6 ? 6 : 4;
  ip.proto = PTCP_IPPROTO_TCP;
  ip.ttl = 64;
  ip.src = d->remote;
  ip.dst = d->local;
  if (ptcp_ip_encode_header(d->pkt, iphl, &ip, (size_t)n) < 0)
    return PTCP_ERR_INVALID_ARGUMENT;
  return (ptcp_ssize)iphl + n;
}

static int is_input_error(int rv) {
  return (rv <= PTCP_ERR_TRUNCATED && rv >= PTCP_ERR_NOBUF) ||
         (rv <= PTCP_ERR_IP_TRUNCATED && rv >= PTCP_ERR_IP_EXT_HDR);
}

static void begin_event(cd *d) {
  d->nout = d->nout_all = 0;
  d->seg_in = 0;
  d->in_rst = 0;
  d->pending_rtx = 0;
  for (unsigned i = 0; i < CF_SLOTS; i++)
    d->h[i].cb_events = 0;
}

/* Hands a packet (or bare segment) to the stack and checks the verdict
 * oracles.  |seg| is the segment as parsed, or NULL if it did not. */
static void inject(cd *d, const uint8_t *buf, size_t len, int bare, int verify,
                   const ptcp_seg *seg) {
  snap before[CF_SLOTS];
  int rv;

  snapshot(d, before);
  d->injecting = 1;
  d->in_rst = seg != NULL && (seg->flags & PTCP_RST);
  d->sum->packets_in++;
  d->sum->digest = fnv(d->sum->digest, buf, len);
  if (bare)
    rv = ptcp_stack_input_segment(d->stack, &d->remote, &d->local, buf, len, verify,
                                  d->now);
  else
    rv = ptcp_stack_input(d->stack, buf, len, d->now);
  d->injecting = 0;
  d->in_rst = 0;
  result(d, "input", rv);
  CK(rv == 0 || is_input_error(rv), "input returned %s", ptcp_err_name(rv));
  if (rv != 0) {
    /* Rejected by the codec: no verdict, nothing sent, nothing changed. */
    CK(d->seg_in == 0 && d->nout_all == 0,
       "malformed input drew %u verdicts, %u segments", d->seg_in, d->nout_all);
    return;
  }
  /* Exactly one verdict per segment; a SYN that ends TIME-WAIT is one
   * for the old connection and one at the listener. */
  CK(d->seg_in == 1 || (d->seg_in == 2 && d->reason[0] == PTCP_R_TIME_WAIT_REOPEN),
     "%u verdicts for one segment", d->seg_in);
  if (d->seg_in == 1)
    check_rejected(d, before, seg);
}

/* Reads a delta per the mode byte's bits 3-5. */
static int64_t rel_delta(cd *d, uint8_t mode) {
  int64_t v;

  switch (mode & 0x18u) {
  case CF_D_8:
    v = fuzz_u8(&d->in);
    break;
  case CF_D_16:
    v = fuzz_u16(&d->in);
    break;
  case CF_D_32:
    v = fuzz_u32(&d->in);
    break;
  default:
    v = 0;
    break;
  }
  return (mode & CF_D_NEG) ? -v : v;
}

/* STATUS of the live connection the user holds on tuple |t|, if any. */
static int tuple_handle_status(cd *d, int t, ptcp_conn_status *st) {
  for (unsigned i = 0; i < CF_SLOTS; i++) {
    handle *h = &d->h[i];
    if (h->c == NULL || h->listener || handle_tuple(d, h) != t)
      continue;
    ptcp_conn_status_get(h->c, st);
    if (st->state != PTCP_CLOSED)
      return 1;
  }
  return 0;
}

static uint32_t seq_base(cd *d, int t, unsigned base) {
  peer *p = &d->p[t];
  ptcp_conn_status st;

  switch (base % CF_SEQ_BASES) {
  case CF_SEQ_PEER_NXT:
    return p->isn_known ? p->nxt : 1000u + 0x01000000u * (uint32_t)t;
  case CF_SEQ_OUR_ACK:
    return p->ack_known ? p->our_ack : p->nxt;
  case CF_SEQ_RCV_NXT:
    if (tuple_handle_status(d, t, &st))
      return st.rcv_nxt;
    return p->ack_known ? p->our_ack : p->nxt;
  case CF_SEQ_WND_EDGE:
    if (tuple_handle_status(d, t, &st))
      return st.rcv_nxt + st.rcv_wnd;
    return (p->ack_known ? p->our_ack : p->nxt) + p->our_wnd;
  case CF_SEQ_PEER_ISN:
    return p->isn;
  default:
    return 0;
  }
}

static uint32_t ack_base(cd *d, int t, unsigned base) {
  peer *p = &d->p[t];
  ptcp_conn_status st;
  int have = tuple_handle_status(d, t, &st);

  switch (base % CF_ACK_BASES) {
  case CF_ACK_OUR_MAX:
    return p->max_known ? p->our_max : p->our_iss + 1;
  case CF_ACK_SND_UNA:
    return have ? st.snd_una : (p->max_known ? p->our_max : p->our_iss + 1);
  case CF_ACK_SND_NXT:
    return have ? st.snd_nxt : (p->max_known ? p->our_max : p->our_iss + 1);
  case CF_ACK_ISS1:
    return p->our_iss + 1;
  case CF_ACK_ISS:
    return p->our_iss;
  default:
    return 0;
  }
}

static void op_seg(cd *d) {
  ptcp_seg seg;
  int t = (int)(fuzz_u8(&d->in) % CF_TUPLES);
  peer *p = &d->p[t];
  uint8_t mode, opts;
  uint32_t len, ts_now;
  ptcp_ssize n;
  static uint8_t payload[CF_SEG_MAX];
  char line[256];

  if (!p->used) {
    /* A tuple no connection has shown yet: the ports it would use. */
    uint16_t lport = t == 0   ? 49152u
                     : t >= 6 ? (uint16_t)(49152u + (unsigned)t)
                              : CF_LISTEN_PORT;
    uint16_t rport =
        t == 0 ? CF_PEER_PORT_ACTIVE : (uint16_t)(CF_PEER_PORT_BASE + (unsigned)t);
    peer_reset(p, lport, rport);
  }
  memset(&seg, 0, sizeof(seg));
  seg.src_port = p->rport;
  seg.dst_port = p->lport;
  seg.flags = fuzz_u8(&d->in);
  mode = fuzz_u8(&d->in);
  seg.seq = seq_base(d, t, mode & 7u) + (uint32_t)rel_delta(d, mode);
  mode = fuzz_u8(&d->in);
  seg.ack = ack_base(d, t, mode & 7u) + (uint32_t)rel_delta(d, mode);
  seg.window = fuzz_u16(&d->in);
  opts = fuzz_u8(&d->in);
  if (opts & CF_O_MSS) {
    seg.opts.present |= PTCP_OPT_MSS;
    seg.opts.mss = fuzz_u16(&d->in);
  }
  if (opts & CF_O_WS) {
    seg.opts.present |= PTCP_OPT_WSCALE;
    seg.opts.wscale = fuzz_u8(&d->in);
  }
  if (opts & CF_O_SACK_PERM)
    seg.opts.present |= PTCP_OPT_SACK_PERM;
  /* The peer's timestamp clock ticks with ours (1 ms), from its own
   * offset, so TSval is monotone unless the input says otherwise. */
  ts_now = (uint32_t)(d->now / PTCP_MILLISECONDS) + 0x10000000u * (uint32_t)(t + 1);
  if (opts & CF_O_TS) {
    uint8_t tm = fuzz_u8(&d->in);
    seg.opts.present |= PTCP_OPT_TS;
    switch (tm & 3u) {
    case CF_TSV_CLOCK:
      seg.opts.ts_val = ts_now;
      break;
    case CF_TSV_ABS:
      seg.opts.ts_val = fuzz_u32(&d->in);
      break;
    case CF_TSV_OLD:
      seg.opts.ts_val = ts_now - fuzz_u16(&d->in);
      break;
    default:
      seg.opts.ts_val = 0;
      break;
    }
    switch ((tm >> 2) & 3u) {
    case CF_TSE_ECHO:
      seg.opts.ts_ecr = p->our_tsval;
      break;
    case CF_TSE_ABS:
      seg.opts.ts_ecr = fuzz_u32(&d->in);
      break;
    case CF_TSE_ZERO:
      seg.opts.ts_ecr = 0;
      break;
    default:
      seg.opts.ts_ecr = p->our_tsval - fuzz_u8(&d->in);
      break;
    }
  }
  if (opts & CF_O_SACK) {
    unsigned cnt = 1u + fuzz_u8(&d->in) % PTCP_SACK_MAX_BLOCKS;
    seg.opts.present |= PTCP_OPT_SACK;
    seg.opts.sack_count = (uint8_t)cnt;
    for (unsigned i = 0; i < cnt; i++) {
      uint8_t m = fuzz_u8(&d->in);
      uint32_t left = ack_base(d, t, m & 7u) + (uint32_t)rel_delta(d, m);
      seg.opts.sack[i].left = left;
      seg.opts.sack[i].right = left + fuzz_u16(&d->in);
    }
  }
  if (opts & CF_O_URG)
    seg.urgent = fuzz_u16(&d->in);
  len = fuzz_u16(&d->in);
  if (len > CF_SEG_MAX)
    len = CF_SEG_MAX;
  if (opts & CF_O_DATA) {
    const uint8_t *src;
    len = (uint32_t)fuzz_bytes(&d->in, &src, len);
    memcpy(payload, src, len);
  } else {
    uint32_t first = seg.seq + ((seg.flags & PTCP_SYN) ? 1u : 0u);
    for (uint32_t i = 0; i < len; i++)
      payload[i] = cf_peer_byte(first + i);
  }
  seg.payload = payload;
  seg.payload_len = len;

  n = build_packet(d, &seg, (opts & CF_O_BADSUM) != 0);
  while (n == PTCP_ERR_OPT_SPACE && (seg.opts.present & PTCP_OPT_SACK) &&
         seg.opts.sack_count > 1) {
    seg.opts.sack_count--;
    n = build_packet(d, &seg, (opts & CF_O_BADSUM) != 0);
  }
  if (n == PTCP_ERR_OPT_SPACE) {
    seg.opts.present &= (uint16_t)~PTCP_OPT_SACK;
    n = build_packet(d, &seg, (opts & CF_O_BADSUM) != 0);
  }
  if (d->tr != NULL) {
    ptcp_seg_format(line, sizeof(line), &seg);
    say(d, "SEG tuple %d%s: %s", t, (opts & CF_O_BADSUM) ? " (bad checksum)" : "", line);
  }
  if (n < 0)
    return;
  if (d->tr != NULL && d->tr->packet != NULL)
    d->tr->packet(d->tr->ctx, d->now, FT_TO_LEFT, NULL, d->pkt, (size_t)n);
  if (!(opts & CF_O_BADSUM))
    peer_sends(p, &seg, !(opts & CF_O_DATA));
  inject(d, d->pkt, (size_t)n, 0, 1, (opts & CF_O_BADSUM) ? NULL : &seg);
}

/* The pcap wants IP packets: give a bare segment its header. */
static void trace_bare(cd *d, const uint8_t *tcp, size_t len) {
  ptcp_ip ip;
  uint8_t *buf;
  size_t iphl = d->v6 ? PTCP_IPV6_HDR_LEN : PTCP_IPV4_HDR_LEN;

  if (d->tr == NULL || d->tr->packet == NULL)
    return;
  buf = malloc(iphl + len + 1);
  if (buf == NULL)
    return;
  memset(&ip, 0, sizeof(ip));
  ip.version = d->v6 ? 6 : 4;
  ip.proto = PTCP_IPPROTO_TCP;
  ip.ttl = 64;
  ip.src = d->remote;
  ip.dst = d->local;
  if (ptcp_ip_encode_header(buf, iphl, &ip, len) >= 0) {
    memcpy(buf + iphl, tcp, len);
    d->tr->packet(d->tr->ctx, d->now, FT_TO_LEFT, NULL, buf, iphl + len);
  }
  free(buf);
}

static void op_raw(cd *d) {
  uint8_t mode = fuzz_u8(&d->in);
  size_t len = fuzz_u16(&d->in) % (CF_RAW_MAX + 1u);
  const uint8_t *src;
  static uint8_t buf[CF_RAW_MAX + PTCP_IPV6_HDR_LEN];
  size_t iphl = d->v6 ? PTCP_IPV6_HDR_LEN : PTCP_IPV4_HDR_LEN;
  uint8_t *tcp = buf + iphl;
  ptcp_seg seg;
  int parsed = 0, t = -1;
  unsigned how = mode & 3u;

  len = fuzz_bytes(&d->in, &src, len);
  memcpy(tcp, src, len);
  if (how != CF_RAW_IP && (mode & CF_RAW_PORTS) && len >= 4) {
    peer *p = &d->p[(mode >> 3) % CF_TUPLES];
    if (p->used) {
      tcp[0] = (uint8_t)(p->rport >> 8);
      tcp[1] = (uint8_t)p->rport;
      tcp[2] = (uint8_t)(p->lport >> 8);
      tcp[3] = (uint8_t)p->lport;
    }
  }
  say(d, "RAW mode %u, %zu bytes%s", how, len,
      (mode & CF_RAW_PORTS) ? ", ports patched" : "");
  if (how == CF_RAW_IP) {
    ptcp_ip ip;
    if (ptcp_packet_parse(&ip, &seg, tcp, len,
                          PTCP_IP_NO_CHECKSUM | PTCP_TCP_NO_CHECKSUM) == 0 &&
        ptcp_addr_equal(&ip.src, &d->remote))
      parsed = 1;
  } else if (ptcp_seg_parse(&seg, tcp, len, NULL) == 0) {
    parsed = 1;
  }
  if (parsed) {
    t = tuple_find(d, seg.dst_port, seg.src_port);
    if (t >= 0)
      peer_sends(&d->p[t], &seg, 0);
  }
  switch (how) {
  case CF_RAW_TCP_FIXSUM: {
    ptcp_ip ip;
    ptcp_pseudo ph;
    if (len >= PTCP_HDR_MIN) {
      ph.src = d->remote;
      ph.dst = d->local;
      tcp[16] = tcp[17] = 0;
      ptcp_seg_fill_checksum(tcp, len, &ph);
    }
    memset(&ip, 0, sizeof(ip));
    ip.version = d->v6 ? 6 : 4;
    ip.proto = PTCP_IPPROTO_TCP;
    ip.ttl = 64;
    ip.src = d->remote;
    ip.dst = d->local;
    if (ptcp_ip_encode_header(buf, iphl, &ip, len) < 0)
      return;
    if (d->tr != NULL && d->tr->packet != NULL)
      d->tr->packet(d->tr->ctx, d->now, FT_TO_LEFT, NULL, buf, iphl + len);
    /* The parse above ran on the bytes before the checksum was fixed;
     * everything else is the same. */
    inject(d, buf, iphl + len, 0, 1, parsed ? &seg : NULL);
    break;
  }
  case CF_RAW_TCP_NOSUM:
  case CF_RAW_TCP_ASIS:
    trace_bare(d, tcp, len);
    inject(d, tcp, len, 1, how == CF_RAW_TCP_ASIS,
           parsed && how == CF_RAW_TCP_NOSUM ? &seg : NULL);
    break;
  default:
    if (d->tr != NULL && d->tr->packet != NULL && len > 0)
      d->tr->packet(d->tr->ctx, d->now, FT_TO_LEFT, NULL, tcp, len);
    /* A packet from some other source: its RST, if any, goes elsewhere,
     * so the RST-generation check only holds for the peer's address. */
    inject(d, tcp, len, 0, 1, parsed ? &seg : NULL);
    break;
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
    result(d, "recv", (long)n);
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
    int t = handle_tuple(d, h);
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
  say(d, "SEND slot %u: %zu bytes", slot, len);
  if (h == NULL)
    return;
  for (size_t i = 0; i < len; i++)
    d->rw[i] = cf_local_byte((uint32_t)(h->written + i));
  ptcp_conn_status_get(h->c, &st);
  n = ptcp_conn_send(h->c, d->rw, len, d->now);
  result(d, "send", (long)n);
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
  say(d, "RECV slot %u: up to %zu bytes", slot, len);
  if (h != NULL)
    do_recv(d, h, len, 0);
}

static void op_shutdown(cd *d) {
  unsigned slot;
  handle *h = slot_handle(d, fuzz_u8(&d->in), &slot);
  int rv;

  say(d, "SHUTDOWN slot %u", slot);
  if (h == NULL)
    return;
  rv = ptcp_conn_shutdown(h->c, d->now);
  result(d, "shutdown", rv);
  check_err_named(d, rv);
  CK(rv == 0 || rv == PTCP_ERR_NOT_CONNECTED || rv == PTCP_ERR_CLOSED ||
         rv == PTCP_ERR_CONN_RESET || rv == PTCP_ERR_TIMED_OUT ||
         rv == PTCP_ERR_CONN_REFUSED,
     "shutdown returned %s", ptcp_err_name(rv));
}

static void release(cd *d, unsigned slot, int abort_it) {
  handle *h = &d->h[slot];
  int rv = abort_it ? ptcp_conn_abort(h->c, d->now) : ptcp_conn_close(h->c, d->now);

  result(d, abort_it ? "abort" : "close", rv);
  CK(rv == 0, "%s returned %s", abort_it ? "abort" : "close", ptcp_err_name(rv));
  memset(h, 0, sizeof(*h));
}

static void op_close(cd *d, int abort_it) {
  unsigned slot;
  handle *h = slot_handle(d, fuzz_u8(&d->in), &slot);

  say(d, "%s slot %u", abort_it ? "ABORT" : "CLOSE", slot);
  if (h != NULL)
    release(d, slot, abort_it);
}

/* Builds a policy spec for |info| from five selector bytes. */
static void make_spec(char *out, size_t cap, const ptcp_policy_info *info,
                      const uint8_t *sel) {
  size_t used = (size_t)snprintf(out, cap, "%s", info->name);
  char sep = ':';

  for (size_t i = 0; i < info->nparams && i < CF_PARAMS_PER_SLOT && used < cap; i++) {
    const ptcp_param_desc *pd = &info->params[i];
    uint64_t v;
    char val[48];
    if (sel[i] == 0)
      continue;
    v = cf_param_value(sel[i], pd->min, pd->max);
    switch (pd->type) {
    case PTCP_PARAM_DURATION:
      ptcp_duration_format(val, sizeof(val), v);
      break;
    case PTCP_PARAM_BOOL:
      snprintf(val, sizeof(val), "%s", (sel[i] & 1) ? "on" : "off");
      break;
    default:
      snprintf(val, sizeof(val), "%llu", (unsigned long long)v);
      break;
    }
    used += (size_t)snprintf(out + used, cap - used, "%c%s=%s", sep, pd->name, val);
    sep = ',';
  }
}

/* Does the close policy of |spec| (NULL: the default) ever stop waiting
 * in FIN-WAIT-2? */
static int fw2_bounded(const char *spec, ptcp_duration msl) {
  ptcp_policy_sel sel;
  const ptcp_close_ops *ops;

  if (ptcp_policy_parse(&sel, registry, PTCP_SLOT_CLOSE, spec ? spec : "rfc9293", NULL,
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
    size_t cnt = ptcp_registry_count(registry, (ptcp_slot)slot);
    const ptcp_policy_info *info =
        ptcp_registry_get(registry, (ptcp_slot)slot, (pol >> 3) % cnt);
    static const uint8_t none[CF_PARAMS_PER_SLOT];
    make_spec(spec, cap, info, none);
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

static void op_listen(cd *d) {
  unsigned slot = fuzz_u8(&d->in) % CF_SLOTS;
  uint16_t port = cf_listen_ports[fuzz_u8(&d->in) % 4u];
  unsigned backlog = fuzz_u8(&d->in);
  ptcp_conn_cfg cfgbuf;
  char spec[128];
  const ptcp_conn_cfg *cfg = read_cfg(d, &cfgbuf, spec, sizeof(spec));
  handle *h = &d->h[slot];
  int rv;

  say(d, "LISTEN slot %u on port %u, backlog %u%s", slot, port, backlog,
      cfg ? " (own settings)" : "");
  if (h->c == NULL) {
    ptcp_conn *c;
    rv = ptcp_conn_new(d->stack, cfg, &c);
    result(d, "conn_new", rv);
    check_err_named(d, rv);
    CK(rv == 0 || rv == PTCP_ERR_LIMIT || rv == PTCP_ERR_NOMEM, "conn_new %s",
       ptcp_err_name(rv));
    if (rv != 0)
      return;
    memset(h, 0, sizeof(*h));
    h->c = c;
    note_cfg(d, h, cfg);
    rv = ptcp_conn_bind(c, NULL, port);
    result(d, "bind", rv);
    check_err_named(d, rv);
    CK(rv == 0 || rv == PTCP_ERR_ADDR_IN_USE || rv == PTCP_ERR_ADDR_NOT_AVAIL ||
           rv == PTCP_ERR_NOMEM || rv == PTCP_ERR_POLICY || rv == PTCP_ERR_LIMIT,
       "bind %s", ptcp_err_name(rv));
  }
  rv = ptcp_conn_listen(h->c, backlog);
  result(d, "listen", rv);
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

  say(d, "CONNECT slot %u to port %u%s%s", slot, port,
      (tgt & CF_CONN_BAD_ADDR) ? " at a multicast address" : "",
      (tgt & CF_CONN_BIND_PORT) ? ", bound to port 7000" : "");
  if (h->c == NULL) {
    ptcp_conn *c;
    rv = ptcp_conn_new(d->stack, cfg, &c);
    result(d, "conn_new", rv);
    check_err_named(d, rv);
    CK(rv == 0 || rv == PTCP_ERR_LIMIT || rv == PTCP_ERR_NOMEM, "conn_new %s",
       ptcp_err_name(rv));
    if (rv != 0)
      return;
    memset(h, 0, sizeof(*h));
    h->c = c;
    note_cfg(d, h, cfg);
    if (tgt & (CF_CONN_BIND_PORT | CF_CONN_BIND_ADDR)) {
      rv = ptcp_conn_bind(c, (tgt & CF_CONN_BIND_ADDR) ? &d->local : NULL,
                          (tgt & CF_CONN_BIND_PORT) ? 7000 : 0);
      result(d, "bind", rv);
      check_err_named(d, rv);
      CK(rv == 0 || rv == PTCP_ERR_ADDR_IN_USE || rv == PTCP_ERR_ADDR_NOT_AVAIL ||
             rv == PTCP_ERR_NOMEM || rv == PTCP_ERR_POLICY || rv == PTCP_ERR_LIMIT,
         "bind %s", ptcp_err_name(rv));
    }
  }
  rv = ptcp_conn_connect(h->c, to, port, d->now);
  result(d, "connect", rv);
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
    CK(tuple_find(d, st.local_port, st.remote_port) >= 0, "connect sent no SYN");
  }
}

static void op_accept(cd *d) {
  unsigned lslot;
  handle *l = slot_handle(d, fuzz_u8(&d->in), &lslot);
  unsigned slot = fuzz_u8(&d->in) % CF_SLOTS;
  ptcp_conn *c;
  int rv;

  say(d, "ACCEPT from slot %u into slot %u", lslot, slot);
  if (l == NULL)
    return;
  if (d->h[slot].c != NULL)
    slot = (unsigned)free_slot(d);
  if (slot >= CF_SLOTS)
    return;
  rv = ptcp_conn_accept(l->c, &c);
  result(d, "accept", rv);
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
    check_stack(d);
    check_outputs(d);
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
  say(d, "ADVANCE %llu ns to %llu", (unsigned long long)(to - d->now),
      (unsigned long long)to);
  fire_timers(d, to, MAX_TIMER_STEPS);
  if (to > d->now)
    d->now = to;
}

static void op_fail(cd *d) {
  uint8_t mode = fuzz_u8(&d->in) % CF_FAIL_MODES;
  uint8_t n = fuzz_u8(&d->in);

  say(d, "FAIL mode %u n %u", mode, n);
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
  if (registry == NULL) {
    if (ptcp_registry_new(&registry, NULL) != 0 ||
        ptcp_registry_add_builtins(registry) != 0) {
      fprintf(stderr, "conn: cannot build the policy registry\n");
      abort();
    }
  }
  return registry;
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
  cfg.registry = registry;
  cfg.user = d;
  cfg.callbacks.emit = drv_emit;
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
    size_t cnt = ptcp_registry_count(registry, (ptcp_slot)slot);
    if (ps[0] == 0 || cnt == 0)
      continue;
    make_spec(specs[slot], sizeof(specs[slot]),
              ptcp_registry_get(registry, (ptcp_slot)slot, (size_t)(ps[0] - 1u) % cnt),
              ps + 1);
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
  say(d, "set-up: stack %s, buffers %u/%u, mss %u, msl %llu ns, policies %s %s %s %s %s",
      d->v6 ? "fd00::1" : "10.0.0.1", cfg.conn.sndbuf, cfg.conn.rcvbuf, cfg.conn.mss,
      (unsigned long long)cfg.conn.msl, cfg.policy[0] ? cfg.policy[0] : "-",
      cfg.policy[1] ? cfg.policy[1] : "-", cfg.policy[2] ? cfg.policy[2] : "-",
      cfg.policy[3] ? cfg.policy[3] : "-", cfg.policy[4] ? cfg.policy[4] : "-");

  for (unsigned t = 1; t <= 5; t++)
    peer_reset(&d->p[t], (uint16_t)(t == 5 ? 81 : CF_LISTEN_PORT),
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
    result(d, "connect", rv);
    CK(rv == 0 || (rv == PTCP_ERR_POLICY && d->rand_fails), "connect %s",
       ptcp_err_name(rv));
    if (rv == 0)
      d->h[0].opened = 1;
  }
  check_stack(d);
  return 0;
}

/* ------------------------------------------------------------------ */
/* Bad input: a specific error code, and nothing changes               */

/* Compares what a refused call must leave alone (counters aside). */
static int same_status(const ptcp_conn_status *a, const ptcp_conn_status *b) {
  return a->state == b->state && a->error == b->error && a->iss == b->iss &&
         a->snd_una == b->snd_una && a->snd_nxt == b->snd_nxt &&
         a->snd_max == b->snd_max && a->snd_wnd == b->snd_wnd && a->irs == b->irs &&
         a->rcv_nxt == b->rcv_nxt && a->rcv_wnd == b->rcv_wnd &&
         a->send_queued == b->send_queued && a->recv_queued == b->recv_queued &&
         a->ooo_bytes == b->ooo_bytes && a->peer_fin == b->peer_fin &&
         a->shut_wr == b->shut_wr && a->local_port == b->local_port &&
         a->remote_port == b->remote_port;
}

/* Randomness that always works, for the refused configurations: the
 * error they get must be the one their bad setting causes. */
static int steady_rand(void *ctx, uint8_t *dest, size_t len) {
  (void)ctx;
  memset(dest, 0x5a, len);
  return 0;
}

/* A stack configuration that must be refused before anything is made. */
static void refused_stack(cd *d, const ptcp_stack_cfg *base, int which) {
  ptcp_stack_cfg cfg = *base;
  ptcp_stack *s = (ptcp_stack *)(uintptr_t)1;
  int want = PTCP_ERR_INVALID_ARGUMENT, rv;

  switch (which) {
  case 0:
    cfg.rand = NULL;
    break;
  case 1:
    cfg.callbacks.emit = NULL;
    break;
  case 2:
    cfg.ephemeral_lo = 0;
    break;
  case 3:
    cfg.ephemeral_lo = 60000;
    cfg.ephemeral_hi = 50000;
    break;
  case 4:
    cfg.max_conns = 0;
    break;
  case 5:
    cfg.challenge_ack_limit = 0;
    break;
  case 6:
    cfg.conn.mss = 10;
    break;
  case 7:
    cfg.policy[PTCP_SLOT_RTO] = "nosuch";
    want = PTCP_ERR_NOT_FOUND;
    break;
  default:
    cfg.policy[PTCP_SLOT_CC] = "newreno:iw=100000";
    break;
  }
  rv = ptcp_stack_new(&s, &cfg, d->now);
  CK(rv == want && s == NULL, "stack_new with bad setting %d: %s", which,
     ptcp_err_name(rv));
  CK(ptcp_stack_new(NULL, base, d->now) == PTCP_ERR_INVALID_ARGUMENT);
  CK(ptcp_stack_new(&s, NULL, d->now) == PTCP_ERR_INVALID_ARGUMENT && s == NULL);
}

static void misuse(cd *d) {
  ptcp_conn_status before[CF_SLOTS];
  ptcp_stack_stats s0, s1;
  ptcp_conn_cfg cfg;
  ptcp_stack_cfg scfg;
  ptcp_conn *c = NULL;
  ptcp_addr a, v6;
  uint8_t buf[8];
  char text[64];
  int held = 0;

  for (unsigned i = 0; i < CF_SLOTS; i++)
    if (d->h[i].c != NULL)
      ptcp_conn_status_get(d->h[i].c, &before[i]);
  ptcp_stack_stats_get(d->stack, &s0);

  /* Stack-wide calls. */
  CK(ptcp_stack_add_addr(d->stack, NULL) == PTCP_ERR_INVALID_ARGUMENT);
  CK(ptcp_stack_add_addr(d->stack, &d->local) == PTCP_ERR_EXISTS);
  CK(ptcp_stack_add_addr(d->stack, &d->bad) == PTCP_ERR_INVALID_ARGUMENT);
  memset(&a, 0, sizeof(a));
  a.family = 9;
  CK(ptcp_stack_add_addr(d->stack, &a) == PTCP_ERR_INVALID_ARGUMENT);
  CK(ptcp_stack_add_addr(NULL, &d->local) == PTCP_ERR_INVALID_ARGUMENT);
  CK(ptcp_stack_input(NULL, buf, 1, d->now) == PTCP_ERR_INVALID_ARGUMENT);
  CK(ptcp_stack_input(d->stack, NULL, 1, d->now) == PTCP_ERR_INVALID_ARGUMENT);
  CK(ptcp_stack_input_segment(d->stack, NULL, &d->local, buf, 1, 1, d->now) ==
     PTCP_ERR_INVALID_ARGUMENT);
  v6 = d->v6 ? ptcp_addr_v4(10, 0, 0, 2) : d->remote;
  if (!d->v6)
    ptcp_addr_parse(&v6, "fd00::2");
  CK(ptcp_stack_input_segment(d->stack, &v6, &d->local, buf, 1, 1, d->now) ==
     PTCP_ERR_INVALID_ARGUMENT);
  CK(ptcp_stack_input_segment(d->stack, &d->remote, &d->local, NULL, 1, 1, d->now) ==
     PTCP_ERR_INVALID_ARGUMENT);
  CK(ptcp_stack_on_timer(NULL, d->now) == PTCP_ERR_INVALID_ARGUMENT);
  CK(ptcp_stack_registry(d->stack) == registry);

  /* Connections: NULL and bad arguments, on a fresh one and on the
   * ones the user holds. */
  CK(ptcp_conn_new(d->stack, NULL, NULL) == PTCP_ERR_INVALID_ARGUMENT);
  CK(ptcp_conn_new(NULL, NULL, &c) == PTCP_ERR_INVALID_ARGUMENT && c == NULL);
  for (int k = 0; k < 8; k++) {
    int want = PTCP_ERR_INVALID_ARGUMENT, rv;
    cfg = d->conn_cfg;
    memset(cfg.policy, 0, sizeof(cfg.policy));
    switch (k) {
    case 0:
      cfg.mss = 0;
      break;
    case 1:
      cfg.sndbuf = 0;
      break;
    case 2:
      cfg.rcvbuf = (1u << 30) + 1;
      break;
    case 3:
      cfg.delack = 501 * PTCP_MILLISECONDS;
      break;
    case 4:
      cfg.msl = 0;
      break;
    case 5:
      cfg.keepalive = 1;
      cfg.keepalive_idle = PTCP_MILLISECONDS;
      break;
    case 6:
      cfg.policy[PTCP_SLOT_RTO] = "nosuch";
      want = PTCP_ERR_NOT_FOUND;
      break;
    default:
      cfg.policy[PTCP_SLOT_RTO] = "rfc6298:min=0s";
      break;
    }
    rv = ptcp_conn_new(d->stack, &cfg, &c);
    CK(rv == want && c == NULL, "conn_new with bad setting %d: %s", k, ptcp_err_name(rv));
  }
  if (ptcp_conn_new(d->stack, NULL, &c) == 0) {
    ptcp_addr other = d->v6 ? d->remote : ptcp_addr_v4(192, 0, 2, 9);
    CK(ptcp_conn_bind(NULL, NULL, 0) == PTCP_ERR_INVALID_ARGUMENT);
    CK(ptcp_conn_bind(c, &a, 1234) == PTCP_ERR_INVALID_ARGUMENT);
    CK(ptcp_conn_bind(c, &other, 1234) == PTCP_ERR_ADDR_NOT_AVAIL);
    CK(ptcp_conn_listen(c, 4) == PTCP_ERR_STATE);
    CK(ptcp_conn_listen(NULL, 4) == PTCP_ERR_INVALID_ARGUMENT);
    CK(ptcp_conn_listen(c, 0) == PTCP_ERR_INVALID_ARGUMENT);
    CK(ptcp_conn_listen(c, 65536) == PTCP_ERR_INVALID_ARGUMENT);
    CK(ptcp_conn_accept(c, NULL) == PTCP_ERR_INVALID_ARGUMENT);
    {
      ptcp_conn *x = c;
      CK(ptcp_conn_accept(NULL, &x) == PTCP_ERR_INVALID_ARGUMENT && x == NULL);
    }
    held = 1;
  }
  for (unsigned i = 0; i < CF_SLOTS + 1; i++) {
    ptcp_conn *h = i < CF_SLOTS ? d->h[i].c : c;
    ptcp_conn *got = h;
    if (h == NULL || (i == CF_SLOTS && !held))
      continue;
    CK(ptcp_conn_accept(h, NULL) == PTCP_ERR_INVALID_ARGUMENT);
    CK(ptcp_conn_connect(h, NULL, 80, d->now) == PTCP_ERR_INVALID_ARGUMENT);
    {
      int rv = ptcp_conn_connect(h, &d->remote, 0, d->now);
      CK(rv == PTCP_ERR_INVALID_ARGUMENT || rv == PTCP_ERR_STATE ||
             rv == PTCP_ERR_ALREADY,
         "connect to port 0: %s", ptcp_err_name(rv));
      rv = ptcp_conn_connect(h, &d->bad, 80, d->now);
      CK(rv == PTCP_ERR_INVALID_ARGUMENT || rv == PTCP_ERR_STATE ||
             rv == PTCP_ERR_ALREADY,
         "connect to multicast: %s", ptcp_err_name(rv));
    }
    CK(ptcp_conn_send(h, NULL, 5, d->now) == PTCP_ERR_INVALID_ARGUMENT);
    CK(ptcp_conn_recv(h, NULL, 5, d->now) == PTCP_ERR_INVALID_ARGUMENT);
    {
      int rv = ptcp_conn_bind(h, &a, 99);
      CK(rv == PTCP_ERR_INVALID_ARGUMENT || rv == PTCP_ERR_STATE, "bind: %s",
         ptcp_err_name(rv));
    }
    CK(ptcp_conn_listen(h, 0) == PTCP_ERR_INVALID_ARGUMENT);
    {
      void *u = ptcp_conn_user(h);
      ptcp_conn_set_user(h, d);
      CK(ptcp_conn_user(h) == d);
      ptcp_conn_set_user(h, u);
    }
    CK(ptcp_conn_state(got) == (i < CF_SLOTS ? before[i].state : PTCP_CLOSED));
  }
  CK(ptcp_conn_connect(NULL, &d->remote, 80, d->now) == PTCP_ERR_INVALID_ARGUMENT);
  CK(ptcp_conn_send(NULL, buf, 1, d->now) == PTCP_ERR_INVALID_ARGUMENT);
  CK(ptcp_conn_recv(NULL, buf, 1, d->now) == PTCP_ERR_INVALID_ARGUMENT);
  CK(ptcp_conn_shutdown(NULL, d->now) == PTCP_ERR_INVALID_ARGUMENT);
  CK(ptcp_conn_close(NULL, d->now) == PTCP_ERR_INVALID_ARGUMENT);
  CK(ptcp_conn_abort(NULL, d->now) == PTCP_ERR_INVALID_ARGUMENT);
  if (held)
    CK(ptcp_conn_close(c, d->now) == 0);

  /* Nothing the user holds changed, and no connection came or went. */
  for (unsigned i = 0; i < CF_SLOTS; i++) {
    ptcp_conn_status st;
    if (d->h[i].c == NULL)
      continue;
    ptcp_conn_status_get(d->h[i].c, &st);
    CK(same_status(&before[i], &st), "a refused call changed slot %u", i);
  }
  ptcp_stack_stats_get(d->stack, &s1);
  CK(s1.conns == s0.conns && s1.time_wait == s0.time_wait && s1.listeners == s0.listeners,
     "refused calls changed the connection count");

  /* Refused stack configurations build nothing (the leak check at the
   * end counts their memory too). */
  ptcp_stack_cfg_default(&scfg);
  scfg.mem = &d->m.mem;
  scfg.rand = steady_rand;
  scfg.registry = registry;
  scfg.callbacks.emit = drv_emit;
  scfg.user = d;
  refused_stack(d, &scfg, (int)(d->index % 9u));

  /* Names and texts: every code, and values that are none. */
  for (int e = PTCP_ERR_TRUNCATED; e >= PTCP_ERR_CALLBACK_FAILURE; e--) {
    const char *n = ptcp_err_name(e), *t = ptcp_strerror(e);
    CK(n != NULL && t != NULL && t[0] != '\0');
    CK(ptcp_err_is_fatal(e) == (e < PTCP_ERR_FATAL));
  }
  CK(strcmp(ptcp_err_name(-1), "UNKNOWN") == 0 &&
     strcmp(ptcp_strerror(-1), "unknown error") == 0);
  CK(strcmp(ptcp_err_name(0), "OK") == 0);
  CK(strcmp(ptcp_state_name(PTCP_STATE_COUNT), "INVALID") == 0);
  CK(strcmp(ptcp_reason_name(PTCP_R_COUNT), "invalid") == 0);
  CK(strcmp(ptcp_verdict_name((ptcp_verdict)99), "invalid") == 0);
  CK(strcmp(ptcp_timer_name((ptcp_timer_kind)99), "invalid") == 0);
  CK(strcmp(ptcp_trace_kind_name((ptcp_trace_kind)99), "invalid") == 0);
  CK(strcmp(ptcp_slot_name((ptcp_slot)PTCP_SLOT_COUNT), "unknown") == 0);
  CK(ptcp_slot_from_name("rto") == PTCP_SLOT_RTO && ptcp_slot_from_name("nosuch") == -1);
  CK(ptcp_version() != NULL && ptcp_conn_sizeof() > 0 && ptcp_time_wait_sizeof() > 0);
  {
    size_t n, allowed = 0;
    const ptcp_transition *tab = ptcp_transitions(&n);
    CK(tab != NULL && n > 0 && ptcp_transitions(NULL) == tab);
    for (int f = 0; f < PTCP_STATE_COUNT; f++)
      for (int t = 0; t < PTCP_STATE_COUNT; t++)
        allowed += ptcp_transition_allowed((ptcp_state)f, (ptcp_state)t) != 0;
    CK(allowed == n, "%zu allowed pairs, %zu transitions in the table", allowed, n);
  }
  CK(ptcp_addr_parse(NULL, "10.0.0.1") == PTCP_ERR_INVALID_ARGUMENT);
  CK(ptcp_addr_parse(&a, NULL) == PTCP_ERR_INVALID_ARGUMENT);
  CK(ptcp_addr_parse(&a, "10.0.0.256") == PTCP_ERR_INVALID_ARGUMENT);
  CK(ptcp_addr_format(&d->local, text, 0) == text);
  CK(ptcp_addr_format(&d->local, text, 4) == text);
  ptcp_addr_format(&d->local, text, sizeof(text));
  CK(ptcp_addr_parse(&a, text) == 0 && ptcp_addr_equal(&a, &d->local), "%s", text);
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
  say(d, "END: calls with bad arguments, each refused, changing nothing");
  begin_event(d);
  misuse(d);
  /* Listeners go first: their queued children are reset. */
  d->index++;
  say(d, "END: the listeners close, then the peer is silent until no timer is left");
  begin_event(d);
  for (unsigned i = 0; i < CF_SLOTS; i++)
    if (d->h[i].c != NULL && d->h[i].listener)
      release(d, i, 0);
  drain(d);
  d->index++;
  say(d, "END: every connection closes, then the peer is silent until no timer is left");
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
      op_seg(d);
      break;
    case CF_OP_RAW:
      op_raw(d);
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
      check_stack(d);
      check_outputs(d);
    }
  }
  d->sum->events = d->index;
  finish(d);
}

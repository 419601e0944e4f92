/*
 * plugtcp tests: the scripted-peer and back-to-back harnesses.
 *
 * The invariant checker reads the engine's own structures (ptcp_conn.h):
 * it is a white-box oracle, so it can see what no public call reports
 * (the reassembly ranges, the advertised edge, the timers).  The tests
 * themselves use the public API only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plugtcp/seq.h>

#include "ptcp_conn.h"
#include "tcp_harness.h"

/* An assertion for the harness's hot paths: Check's ck_assert records
 * every assertion that passes (a write per call), which would dominate
 * runs that check thousands of connections after every step. */
#define REQUIRE(cond, ...)                                                               \
  do {                                                                                   \
    if (!(cond))                                                                         \
      ck_abort_msg(__VA_ARGS__);                                                         \
  } while (0)

uint8_t tp_pattern(size_t i) { return (uint8_t)(i * 7 + (i >> 8) * 13 + 1); }

/* xorshift64*: deterministic randomness for the stacks under test. */
static int test_rand(void *ctx, uint8_t *dest, size_t len) {
  uint64_t *s = ctx;
  for (size_t i = 0; i < len; i++) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    dest[i] = (uint8_t)((*s * 0x2545f4914f6cdd1dULL) >> 56);
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Counting, failing allocator                                         */

/* Each block starts with this header; 16 bytes keep the user part as
 * aligned as malloc's. */
typedef union tp_block {
  struct {
    size_t size;
    uint64_t serial;
  } h;
  max_align_t align;
} tp_block;

static int mem_refuse(tp_mem *m) {
  if (m->fail_nth == 0)
    return 0;
  m->attempts++;
  if (m->attempts == m->fail_nth || (m->fail_sticky && m->attempts > m->fail_nth)) {
    m->failures++;
    return 1;
  }
  return 0;
}

static void *mem_get(tp_mem *m, size_t size, int zero) {
  tp_block *b;

  if (mem_refuse(m))
    return NULL;
  b = zero ? calloc(1, sizeof(*b) + size) : malloc(sizeof(*b) + size);
  REQUIRE(b != NULL, "out of memory in the test allocator");
  b->h.size = size;
  b->h.serial = ++m->serial;
  m->live++;
  m->live_bytes += size;
  if (m->live_bytes > m->peak_bytes)
    m->peak_bytes = m->live_bytes;
  return b + 1;
}

static void mem_put(tp_mem *m, void *p) {
  tp_block *b;

  if (p == NULL)
    return;
  b = (tp_block *)p - 1;
  REQUIRE(m->live > 0 && m->live_bytes >= b->h.size, "free of a block never allocated");
  m->live--;
  m->live_bytes -= b->h.size;
  b->h.serial = 0; /* a second free of the same block shows as serial 0 */
  free(b);
}

static void *tpm_malloc(size_t size, void *ud) { return mem_get(ud, size, 0); }
static void tpm_free(void *p, void *ud) { mem_put(ud, p); }
static void *tpm_calloc(size_t n, size_t size, void *ud) {
  if (size != 0 && n > SIZE_MAX / size)
    return NULL;
  return mem_get(ud, n * size, 1);
}
static void *tpm_realloc(void *p, size_t size, void *ud) {
  tp_mem *m = ud;
  void *q;

  if (p == NULL)
    return mem_get(m, size, 0);
  q = mem_get(m, size, 0);
  if (q == NULL)
    return NULL; /* the old block stays valid, as realloc promises */
  {
    size_t old = ((tp_block *)p - 1)->h.size;
    memcpy(q, p, old < size ? old : size);
  }
  mem_put(m, p);
  return q;
}

void tp_mem_init(tp_mem *m) {
  memset(m, 0, sizeof(*m));
  m->mem.user_data = m;
  m->mem.malloc = tpm_malloc;
  m->mem.free = tpm_free;
  m->mem.calloc = tpm_calloc;
  m->mem.realloc = tpm_realloc;
}

void tp_mem_fail(tp_mem *m, uint64_t nth, int sticky) {
  m->attempts = 0;
  m->fail_nth = nth;
  m->fail_sticky = sticky;
}

uint64_t tp_mem_serial(const void *block) {
  return ((const tp_block *)block - 1)->h.serial;
}

/* ------------------------------------------------------------------ */
/* Invariants                                                          */

#define INV(cond, ...)                                                                   \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      char msg_[300];                                                                    \
      snprintf(msg_, sizeof(msg_), __VA_ARGS__);                                         \
      ck_abort_msg("%s:%d: invariant broken (%s), %s %s: %s", file, line, #cond,         \
                   ptcp_state_name((ptcp_state)c->state), who, msg_);                    \
    }                                                                                    \
  } while (0)

static unsigned hist_slot(const tp_hist *tab, const void *c, uint64_t serial) {
  unsigned i = (unsigned)(((uintptr_t)c >> 4) * 2654435761u) & (TP_HIST_SLOTS - 1);
  while (tab[i].conn != NULL && !(tab[i].conn == c && tab[i].serial == serial))
    i = (i + 1) & (TP_HIST_SLOTS - 1);
  return i;
}

/* The history of |c| carried into the table being built. */
static tp_hist *hist_of(tp_checker *k, const ptcp_conn *c) {
  uint64_t serial = tp_mem_serial(c);
  const tp_hist *old = k->h[k->cur];
  tp_hist *neu = k->h[1 - k->cur];
  unsigned i = hist_slot(old, c, serial), j;

  REQUIRE(k->n < TP_HIST_SLOTS / 2, "too many connections for the invariant checker");
  j = hist_slot(neu, c, serial);
  k->used[1 - k->cur][k->nused[1 - k->cur]++] = j;
  if (old[i].conn != NULL)
    neu[j] = old[i];
  else {
    memset(&neu[j], 0, sizeof(neu[j]));
    neu[j].conn = c;
    neu[j].serial = serial;
  }
  k->n++;
  return &neu[j];
}

static unsigned list_len(const ptcp_conn *q, const ptcp_conn *parent, const char *file,
                         int line) {
  unsigned n = 0;
  for (; q != NULL && n < 70000; q = q->qnext) {
    REQUIRE(q->parent == parent, "%s:%d: a listener's child has another parent", file,
            line);
    n++;
  }
  return n;
}

/* The connection invariants; |c| is live and not being processed. */
static void check_conn(tp_checker *k, const ptcp_stack *s, const ptcp_conn *c,
                       const char *file, int line) {
  const char *who = (c->flags & CF_USER) ? "(user's)" : "(engine's)";
  uint32_t fl = c->flags;
  int st = c->state;
  tp_hist *h;

  k->checks++;
  INV(st >= PTCP_CLOSED && st < PTCP_STATE_COUNT, "state %d", st);
  INV(!(fl & CF_DEAD), "a dead connection outlived the call");
  INV(!(fl & CF_ACK_NOW), "an ACK owed at the end of a call was not sent");
  INV(!(fl & CF_EVLINKED) && c->events == 0, "events left undelivered");

  /* Demux: every connection with a 4-tuple is found by it. */
  if (st != PTCP_CLOSED && st != PTCP_LISTEN) {
    const ptcp_pcb *p = ptcp_stack_lookup((ptcp_stack *)(uintptr_t)s, &c->pcb.laddr,
                                          c->pcb.lport, &c->pcb.raddr, c->pcb.rport);
    INV((fl & CF_HASHED) && p == &c->pcb, "not found by its 4-tuple");
  } else {
    INV(c->t_rtx == PTCP_TIME_NONE && c->rtx_mode == RTX_OFF, "a timer runs in %s",
        ptcp_state_name((ptcp_state)st));
  }

  /* Listener bookkeeping. */
  if (st == PTCP_LISTEN) {
    unsigned syn = list_len(c->syn_head, c, file, line);
    unsigned acc = list_len(c->acc_head, c, file, line);
    INV(syn == c->syn_count && acc == c->acc_count, "counts %u/%u, lists %u/%u",
        c->syn_count, c->acc_count, syn, acc);
    INV(syn <= c->backlog && acc <= c->backlog, "backlog %u exceeded: %u, %u", c->backlog,
        syn, acc);
    for (const ptcp_conn *q = c->syn_head; q != NULL; q = q->qnext)
      INV(q->state == PTCP_SYN_RECEIVED, "half-open child in %s",
          ptcp_state_name((ptcp_state)q->state));
    for (const ptcp_conn *q = c->acc_head; q != NULL; q = q->qnext)
      INV(q->state == PTCP_ESTABLISHED || q->state == PTCP_CLOSE_WAIT,
          "queued child in %s", ptcp_state_name((ptcp_state)q->state));
  }

  /* Buffers. */
  INV(c->sbuf.len <= c->sbuf.cap && c->rbuf.len <= c->rbuf.cap, "ring overfull");
  INV(c->sbuf.buf != NULL || c->sbuf.len == 0, "send bytes without a buffer");
  INV(c->rbuf.buf != NULL || (c->rbuf.len == 0 && c->reasm.n == 0),
      "received bytes without a buffer");

  /* Send sequence space. */
  if (st >= PTCP_SYN_SENT || (st == PTCP_CLOSED && (fl & CF_STARTED))) {
    uint32_t fin = ((fl & CF_SHUT_WR) && !(fl & CF_FIN_ACKED)) ? 1u : 0u;
    INV(ptcp_seq_le(c->snd_una, c->snd_nxt) && ptcp_seq_le(c->snd_nxt, c->snd_max),
        "SND.UNA %u SND.NXT %u SND.MAX %u", c->snd_una, c->snd_nxt, c->snd_max);
    if (!(fl & CF_SYN_ACKED)) {
      INV(c->snd_una == c->iss && c->sbuf.len == 0 &&
              (c->snd_max == c->iss || c->snd_max == c->iss + 1),
          "before the SYN is acknowledged: ISS %u SND.UNA %u SND.MAX %u, %u queued",
          c->iss, c->snd_una, c->snd_max, c->sbuf.len);
    } else {
      /* Nothing beyond the queued data and one FIN was ever sent. */
      INV(c->snd_max - c->snd_una <= c->sbuf.len + fin,
          "SND.MAX %u is %u past SND.UNA %u with %u bytes queued, FIN %u", c->snd_max,
          c->snd_max - c->snd_una, c->snd_una, c->sbuf.len, fin);
    }
    if (fl & CF_FIN_ACKED)
      INV(st == PTCP_FIN_WAIT_2 || st == PTCP_TIME_WAIT || st == PTCP_CLOSED,
          "our FIN is acknowledged");
  }

  /* Receive sequence space. */
  if (st >= PTCP_SYN_RECEIVED) {
    uint32_t adv = c->rcv_adv - c->rcv_nxt;
    INV(ptcp_seq_ge(c->rcv_adv, c->rcv_nxt), "RCV.ADV %u before RCV.NXT %u", c->rcv_adv,
        c->rcv_nxt);
    INV((uint64_t)adv + c->rbuf.len <= c->rbuf.cap,
        "advertised %u bytes with %u of %u held", adv, c->rbuf.len, c->rbuf.cap);
    INV((uint64_t)(c->rcv_nxt - c->irs - 1) ==
            (c->bytes_in & 0xffffffffu) + ((fl & CF_PEER_FIN) ? 1u : 0u),
        "RCV.NXT %u, IRS %u, %llu bytes delivered", c->rcv_nxt, c->irs,
        (unsigned long long)c->bytes_in);
    INV(c->reasm.n <= PTCP_REASM_MAX, "%u ranges", c->reasm.n);
    for (unsigned i = 0; i < c->reasm.n; i++) {
      uint32_t a = c->reasm.start[i], b = c->reasm.end[i];
      INV(ptcp_seq_gt(a, c->rcv_nxt) && ptcp_seq_lt(a, b) && ptcp_seq_le(b, c->rcv_adv),
          "out-of-order range %u [%u, %u) outside (RCV.NXT %u, RCV.ADV %u]", i, a, b,
          c->rcv_nxt, c->rcv_adv);
      if (i > 0)
        INV(ptcp_seq_lt(c->reasm.end[i - 1], a), "ranges %u and %u unsorted or touching",
            i - 1, i);
      INV(c->rbuf.len + (b - c->rcv_nxt) <= c->rbuf.cap, "range %u beyond the ring", i);
    }
    if (fl & CF_PEER_FIN_SEEN)
      INV(ptcp_seq_gt(c->fin_seq, c->rcv_nxt) && ptcp_seq_lt(c->fin_seq, c->rcv_adv),
          "remembered FIN %u outside the window", c->fin_seq);
    switch (st) {
    case PTCP_CLOSE_WAIT:
    case PTCP_CLOSING:
    case PTCP_LAST_ACK:
    case PTCP_TIME_WAIT:
      INV(fl & CF_PEER_FIN, "no FIN received");
      break;
    case PTCP_SYN_RECEIVED:
    case PTCP_ESTABLISHED:
    case PTCP_FIN_WAIT_1:
    case PTCP_FIN_WAIT_2:
      INV(!(fl & CF_PEER_FIN), "a FIN was received");
      break;
    default:
      break;
    }
    switch (st) {
    case PTCP_FIN_WAIT_1:
    case PTCP_FIN_WAIT_2:
    case PTCP_CLOSING:
    case PTCP_LAST_ACK:
    case PTCP_TIME_WAIT:
      INV(fl & CF_SHUT_WR, "no FIN queued");
      break;
    case PTCP_ESTABLISHED:
    case PTCP_CLOSE_WAIT:
      INV(!(fl & CF_SHUT_WR), "a FIN queued");
      break;
    default:
      break;
    }
    /* Every byte received in order is acknowledged now or by a timer. */
    if (st >= PTCP_ESTABLISHED && st != PTCP_TIME_WAIT)
      INV(c->last_ack_sent == c->rcv_nxt || c->t_delack != PTCP_TIME_NONE,
          "RCV.NXT %u never acknowledged (last ACK %u, no delayed ACK)", c->rcv_nxt,
          c->last_ack_sent);
  }

  /* Timers: the heap entry is never later than the earliest deadline,
   * and whatever is outstanding has a timer that will see to it. */
  {
    ptcp_time at = ptcp_time_min(c->t_rtx, ptcp_time_min(c->t_delack, c->t_close));
    if (at != PTCP_TIME_NONE)
      INV(c->tnode.idx != PTCP_HEAP_NONE && c->tnode.at <= at,
          "deadline %llu not in the heap (entry %llu)", (unsigned long long)at,
          (unsigned long long)c->tnode.at);
  }
  if (st == PTCP_SYN_SENT || st == PTCP_SYN_RECEIVED)
    INV(c->t_rtx != PTCP_TIME_NONE, "no SYN retransmission timer");
  if (st >= PTCP_ESTABLISHED && st != PTCP_TIME_WAIT && c->snd_una != c->snd_max)
    INV(c->t_rtx != PTCP_TIME_NONE &&
            (c->rtx_mode == RTX_DATA || c->rtx_mode == RTX_PERSIST ||
             c->rtx_mode == RTX_SYN),
        "%u bytes outstanding, timer mode %u", c->snd_max - c->snd_una, c->rtx_mode);
  if (st >= PTCP_ESTABLISHED && st != PTCP_TIME_WAIT && st != PTCP_FIN_WAIT_2 &&
      (fl & CF_SYN_ACKED) && c->snd_una == c->snd_max) {
    uint32_t end = ptcp_data_end(c);
    int more = c->snd_nxt != end || ((fl & CF_SHUT_WR) && !(fl & CF_FIN_ACKED));
    INV(!more || c->t_rtx != PTCP_TIME_NONE, "data or FIN waits with no timer");
  }
  if (st == PTCP_TIME_WAIT)
    INV(c->t_close != PTCP_TIME_NONE, "TIME-WAIT without its timer");

  /* What must never move backwards, for as long as this connection lives. */
  h = hist_of(k, c);
  if (st >= PTCP_SYN_RECEIVED) {
    if (h->rcv_valid) {
      INV(h->irs == c->irs, "IRS changed from %u to %u", h->irs, c->irs);
      INV(ptcp_seq_ge(c->rcv_nxt, h->rcv_nxt), "RCV.NXT went back from %u to %u",
          h->rcv_nxt, c->rcv_nxt);
    }
    h->rcv_valid = 1;
    h->rcv_nxt = c->rcv_nxt;
    h->irs = c->irs;
  }
  if (st >= PTCP_SYN_SENT) {
    if (h->snd_valid) {
      INV(h->iss == c->iss, "ISS changed from %u to %u", h->iss, c->iss);
      INV(ptcp_seq_ge(c->snd_una, h->snd_una), "SND.UNA went back from %u to %u",
          h->snd_una, c->snd_una);
    }
    h->snd_valid = 1;
    h->snd_una = c->snd_una;
    h->iss = c->iss;
  }
}

#undef INV

void tp_check_stack_at(tp_checker *k, const ptcp_stack *s, const char *file, int line) {
  unsigned nconns = 0, ntw = 0;

  /* Build the next table from the live connections: the ones that are
   * gone are forgotten. */
  for (unsigned i = 0; i < k->nused[1 - k->cur]; i++)
    k->h[1 - k->cur][k->used[1 - k->cur][i]].conn = NULL;
  k->nused[1 - k->cur] = 0;
  k->n = 0;
  for (const ptcp_conn *c = s->all; c != NULL; c = c->anext) {
    REQUIRE(nconns++ < 1000000, "%s:%d: connection list loops", file, line);
    check_conn(k, s, c, file, line);
  }
  k->cur = 1 - k->cur;
  REQUIRE(nconns == s->nconns, "%s:%d: %u connections listed, %u counted", file, line,
          nconns, s->nconns);
  for (uint32_t b = 0; b <= s->hmask; b++) {
    for (const ptcp_pcb *p = s->htab[b]; p != NULL; p = p->hnext) {
      if (p->kind == PCB_TW) {
        const ptcp_tw *tw = (const ptcp_tw *)(const void *)p;
        ntw++;
        REQUIRE(tw->tnode.idx != PTCP_HEAP_NONE && tw->tnode.at == tw->expires,
                "%s:%d: a TIME-WAIT entry without its timer", file, line);
      }
    }
  }
  REQUIRE(ntw == s->ntw, "%s:%d: %u TIME-WAIT entries hashed, %u counted", file, line,
          ntw, s->ntw);
  for (unsigned i = 0; i < s->nlisteners; i++)
    REQUIRE(s->listeners[i]->state == PTCP_LISTEN, "%s:%d: a listener in %s", file, line,
            ptcp_state_name((ptcp_state)s->listeners[i]->state));
}

static void cfg_from_opts(ptcp_stack_cfg *cfg, const tp_opts *o, ptcp_registry *reg) {
  ptcp_stack_cfg_default(cfg);
  cfg->registry = reg;
  cfg->policy[PTCP_SLOT_ISN] = "counter:start=5000,step=0";
  if (o == NULL)
    return;
  if (o->isn)
    cfg->policy[PTCP_SLOT_ISN] = o->isn;
  for (int i = PTCP_SLOT_RTO; i < PTCP_SLOT_COUNT; i++)
    if (o->policy[i])
      cfg->policy[i] = o->policy[i];
  if (o->mss)
    cfg->conn.mss = o->mss;
  if (o->sndbuf)
    cfg->conn.sndbuf = o->sndbuf;
  if (o->rcvbuf)
    cfg->conn.rcvbuf = o->rcvbuf;
  if (o->msl)
    cfg->conn.msl = o->msl;
  if (o->delack)
    cfg->conn.delack = o->delack;
  if (o->no_delack)
    cfg->conn.delack = 0;
  if (o->no_nagle)
    cfg->conn.nagle = 0;
  if (o->no_ts)
    cfg->conn.timestamps = 0;
  if (o->no_sack)
    cfg->conn.sack = 0;
  if (o->no_ws)
    cfg->conn.window_scaling = 0;
  if (o->keepalive) {
    cfg->conn.keepalive = 1;
    cfg->conn.keepalive_idle = 10 * SEC;
    cfg->conn.keepalive_interval = 1 * SEC;
    cfg->conn.keepalive_count = o->keepalive_count ? o->keepalive_count : 3;
  }
  if (o->eph_lo)
    cfg->ephemeral_lo = o->eph_lo;
  if (o->eph_hi)
    cfg->ephemeral_hi = o->eph_hi;
  if (o->challenge_ack_limit)
    cfg->challenge_ack_limit = o->challenge_ack_limit;
  if (o->ttl)
    cfg->ttl = o->ttl;
  if (o->syn_retries)
    cfg->conn.syn_retries = o->syn_retries;
  if (o->data_retries)
    cfg->conn.data_retries = o->data_retries;
}

/* Every emitted packet must parse with valid checksums: an oracle on
 * every test. */
static void parse_emitted(const uint8_t *pkt, size_t len, ptcp_ip *ip, ptcp_seg *seg) {
  int rv = ptcp_packet_parse(ip, seg, pkt, len, 0);
  const uint8_t *opt;
  size_t i, olen;

  if (rv != 0) {
    fprintf(stderr, "emitted packet does not parse: %s\n", ptcp_strerror(rv));
    abort();
  }
  /* RFC 9293 MUST-65 (and RFC 7323 §2.2, RFC 2018 §2): MSS, window
   * scale and SACK-permitted go on SYNs only. */
  REQUIRE(
      (seg->flags & PTCP_SYN) ||
          !(seg->opts.present & (PTCP_OPT_MSS | PTCP_OPT_WSCALE | PTCP_OPT_SACK_PERM)),
      "a non-SYN segment carries a SYN-only option");
  /* MUST-69: what follows the end-of-option-list is zero padding. */
  opt = ip->payload + PTCP_HDR_MIN;
  olen = (size_t)seg->hdr_len - PTCP_HDR_MIN;
  for (i = 0; i < olen && opt[i] != PTCP_OPT_KIND_EOL;)
    i += opt[i] == PTCP_OPT_KIND_NOP ? 1 : opt[i + 1];
  for (; i < olen; i++)
    REQUIRE(opt[i] == 0, "option padding byte %zu is %u, not zero", i, opt[i]);
  /* A RST carries no options and no data (RFC 9293 §3.10.7; no RST
   * diagnostic payload here). */
  REQUIRE(!(seg->flags & PTCP_RST) || (seg->payload_len == 0 && seg->opts.present == 0),
          "a RST with options or data");
}

/* ------------------------------------------------------------------ */
/* Scripted peer                                                       */

static int tp_emit(void *user, const uint8_t *pkt, size_t len) {
  tp *t = user;
  tp_out *o;

  if (t->nout == TP_MAX_OUT && t->head > 0) {
    /* Make room: drop what the test already took. */
    for (unsigned i = 0; i < t->head; i++)
      free(t->out[i].pkt);
    memmove(t->out, t->out + t->head, (t->nout - t->head) * sizeof(t->out[0]));
    t->nout -= t->head;
    t->head = 0;
  }
  REQUIRE(t->nout < TP_MAX_OUT, "too many segments emitted");
  o = &t->out[t->nout++];
  o->pkt = malloc(len);
  REQUIRE(o->pkt != NULL, "out of memory");
  memcpy(o->pkt, pkt, len);
  o->len = len;
  parse_emitted(o->pkt, len, &o->ip, &o->seg);
  return 0;
}

static void tp_on_accept(void *user, ptcp_conn *l) {
  tp *t = user;
  t->ev.accept++;
  if (t->hooks.on_accept)
    t->hooks.on_accept(t, l);
}
static void tp_on_connected(void *user, ptcp_conn *c) {
  tp *t = user;
  t->ev.connected++;
  t->ev.last_conn = c;
  if (t->hooks.on_connected)
    t->hooks.on_connected(t, c);
}
static void tp_on_readable(void *user, ptcp_conn *c) {
  tp *t = user;
  t->ev.readable++;
  if (t->hooks.on_readable)
    t->hooks.on_readable(t, c);
}
static void tp_on_writable(void *user, ptcp_conn *c) {
  tp *t = user;
  t->ev.writable++;
  if (t->hooks.on_writable)
    t->hooks.on_writable(t, c);
}
static void tp_on_peer_fin(void *user, ptcp_conn *c) {
  tp *t = user;
  t->ev.peer_fin++;
  if (t->hooks.on_peer_fin)
    t->hooks.on_peer_fin(t, c);
}
static void tp_on_error(void *user, ptcp_conn *c, int err) {
  tp *t = user;
  t->ev.error++;
  t->ev.last_error = err;
  if (t->hooks.on_error)
    t->hooks.on_error(t, c, err);
}
static void tp_on_closed(void *user, ptcp_conn *c, int err) {
  tp *t = user;
  t->ev.closed++;
  if (t->hooks.on_closed)
    t->hooks.on_closed(t, c, err);
}
static void tp_on_trace(void *user, const ptcp_trace *ev) {
  tp *t = user;
  if (ev->kind == PTCP_TRACE_STATE) {
    /* The transition oracle: every change of state is one of RFC 9293's. */
    REQUIRE(ptcp_transition_allowed(ev->old_state, ev->new_state),
            "transition %s -> %s is not in the state diagram",
            ptcp_state_name(ev->old_state), ptcp_state_name(ev->new_state));
    if (t->ntrace_states < 64)
      t->trace_states[t->ntrace_states++] = ev->new_state;
    if (t->ntrans < TP_MAX_TRANS) {
      t->trans[t->ntrans].from = ev->old_state;
      t->trans[t->ntrans].to = ev->new_state;
      t->trans[t->ntrans].conn = ev->conn;
      t->ntrans++;
    }
  } else if (ev->kind == PTCP_TRACE_SEG_IN) {
    t->last_verdict = ev->verdict;
    t->last_reason = ev->reason;
    if (t->nseg_in < 1024) {
      t->verdicts[t->nseg_in] = ev->verdict;
      t->reasons[t->nseg_in] = ev->reason;
    }
    t->nseg_in++;
  }
}

void tp_init(tp *t, const tp_opts *o) {
  ptcp_stack_cfg cfg;
  int v6 = o != NULL && o->v6;
  int rv;

  memset(t, 0, sizeof(*t));
  t->rng = 0x1234567;
  tp_mem_init(&t->mem);
  ck_assert_int_eq(ptcp_registry_new(&t->reg, NULL), 0);
  ck_assert_int_eq(ptcp_registry_add_builtins(t->reg), 0);
  cfg_from_opts(&cfg, o, t->reg);
  cfg.mem = &t->mem.mem;
  cfg.rand = test_rand;
  cfg.rand_ctx = &t->rng;
  cfg.user = t;
  cfg.callbacks.emit = tp_emit;
  cfg.callbacks.on_accept = tp_on_accept;
  cfg.callbacks.on_connected = tp_on_connected;
  cfg.callbacks.on_readable = tp_on_readable;
  cfg.callbacks.on_writable = tp_on_writable;
  cfg.callbacks.on_peer_fin = tp_on_peer_fin;
  cfg.callbacks.on_error = tp_on_error;
  cfg.callbacks.on_closed = tp_on_closed;
  cfg.callbacks.on_trace = tp_on_trace;
  rv = ptcp_stack_new(&t->stack, &cfg, 0);
  ck_assert_msg(rv == 0, "ptcp_stack_new: %s", ptcp_strerror(rv));
  if (v6) {
    ck_assert_int_eq(ptcp_addr_parse(&t->local, "2001:db8::1"), 0);
    ck_assert_int_eq(ptcp_addr_parse(&t->remote, "2001:db8::2"), 0);
  } else {
    t->local = ptcp_addr_v4(10, 0, 0, 1);
    t->remote = ptcp_addr_v4(10, 0, 0, 2);
  }
  if (!(o != NULL && o->no_addr))
    ck_assert_int_eq(ptcp_stack_add_addr(t->stack, &t->local), 0);
  t->local_port = 80;
  t->remote_port = 40000;
}

void tp_discard(tp *t) {
  /* Popped segments too: their packets stay allocated until here, so the
   * pointer tp_expect returned remains valid until the next discard. */
  for (unsigned i = 0; i < t->nout; i++) {
    free(t->out[i].pkt);
    t->out[i].pkt = NULL;
  }
  t->head = t->nout = 0;
}

void tp_free(tp *t) {
  tp_discard(t);
  ptcp_stack_free(t->stack);
  t->stack = NULL;
  ptcp_registry_free(t->reg);
  /* Every test ends with a leak check: the stack returned all it took. */
  ck_assert_msg(t->mem.live == 0, "%llu blocks (%llu bytes) leaked",
                (unsigned long long)t->mem.live, (unsigned long long)t->mem.live_bytes);
}

static int input_packet(tp *t, ptcp_time now, uint8_t *pkt, size_t iphl, size_t tcplen,
                        const ptcp_addr *src, const ptcp_addr *dst, int rst) {
  ptcp_ip ip;
  unsigned before;
  int rv;

  memset(&ip, 0, sizeof(ip));
  ip.version = dst->family == PTCP_AF_INET6 ? 6 : 4;
  ip.proto = PTCP_IPPROTO_TCP;
  ip.ttl = 64;
  ip.src = *src;
  ip.dst = *dst;
  REQUIRE(ptcp_ip_encode_header(pkt, iphl, &ip, tcplen) == (ptcp_ssize)iphl, "IP header");
  tp_advance(t, now);
  before = t->nout;
  t->in_call = 1;
  rv = ptcp_stack_input(t->stack, pkt, iphl + tcplen, now);
  t->in_call = 0;
  /* Output oracle: a RST is never answered with a RST (RFC 9293 §3.10.7). */
  if (rst)
    for (unsigned i = before; i < t->nout; i++)
      REQUIRE(!(t->out[i].seg.flags & PTCP_RST), "a RST was answered with a RST");
  tp_check_stack_at(&t->chk, t->stack, "after input", 0);
  return rv;
}

int tp_send_raw(tp *t, ptcp_time now, const uint8_t *tcp, size_t len, int fix_checksum) {
  static uint8_t pkt[70000];
  size_t iphl = t->local.family == PTCP_AF_INET6 ? 40 : 20;

  REQUIRE(len <= sizeof(pkt) - iphl, "segment too long");
  memcpy(pkt + iphl, tcp, len);
  if (fix_checksum && len >= 20) {
    ptcp_pseudo ph;
    ph.src = t->remote;
    ph.dst = t->local;
    pkt[iphl + 16] = pkt[iphl + 17] = 0;
    ptcp_seg_fill_checksum(pkt + iphl, len, &ph);
  }
  return input_packet(t, now, pkt, iphl, len, &t->remote, &t->local,
                      len >= 14 && (tcp[13] & PTCP_RST));
}

int tp_send(tp *t, ptcp_time now, tp_seg s) {
  static uint8_t pkt[70000], payload[65536];
  ptcp_seg seg;
  ptcp_pseudo ph;
  size_t iphl = t->local.family == PTCP_AF_INET6 ? 40 : 20;
  ptcp_ssize n;

  REQUIRE(s.len <= sizeof(payload), "payload too long");
  memset(&seg, 0, sizeof(seg));
  seg.src_port = s.src_port ? s.src_port : t->remote_port;
  seg.dst_port = s.dst_port ? s.dst_port : t->local_port;
  seg.seq = s.seq;
  seg.ack = s.ack;
  seg.flags = s.flags;
  seg.window = s.window_zero ? 0 : s.window ? s.window : 65535;
  seg.urgent = s.urgent;
  seg.opts = s.opts;
  if (s.len > 0) {
    if (s.data) {
      memcpy(payload, s.data, s.len);
    } else {
      for (uint32_t i = 0; i < s.len; i++)
        payload[i] = tp_pattern(i);
    }
    seg.payload = payload;
    seg.payload_len = s.len;
  }
  ph.src = s.src ? *s.src : t->remote;
  ph.dst = s.dst ? *s.dst : t->local;
  n = ptcp_seg_write(pkt + iphl, sizeof(pkt) - iphl, &seg, &ph);
  REQUIRE(n > 0, "cannot encode the segment: %s", ptcp_strerror((int)n));
  return input_packet(t, now, pkt, iphl, (size_t)n, &ph.src, &ph.dst,
                      (s.flags & PTCP_RST) != 0);
}

void tp_advance(tp *t, ptcp_time now) {
  unsigned guard = 0;

  REQUIRE(now >= t->now, "time goes backwards in the test");
  for (;;) {
    ptcp_time d = ptcp_stack_next_deadline(t->stack);
    if (d == PTCP_TIME_NONE || d > now)
      break;
    /* Timers fire in order and each moves on: a deadline that stays in
     * the past would loop here forever. */
    REQUIRE(++guard < 1000000, "timers never settle at %llu", (unsigned long long)d);
    REQUIRE(ptcp_stack_on_timer(t->stack, d) == 0, "on_timer failed");
    tp_check_stack_at(&t->chk, t->stack, "after a timer", 0);
  }
  t->now = now;
}

void tp_check_invariants_at(tp *t, const ptcp_conn *c, const char *file, int line) {
  tp_check_stack_at(&t->chk, t->stack, file, line);
  if (c != NULL) {
    int found = 0;
    for (const ptcp_conn *q = t->stack->all; q != NULL; q = q->anext)
      found |= q == c;
    ck_assert_msg(found, "%s:%d: the connection is gone", file, line);
  }
}

int tp_saw_transition(const tp *t, const ptcp_conn *c, ptcp_state from, ptcp_state to) {
  for (unsigned i = 0; i < t->ntrans; i++)
    if (t->trans[i].from == from && t->trans[i].to == to &&
        (c == NULL || t->trans[i].conn == c))
      return 1;
  return 0;
}

ptcp_conn *tp_half_open(tp *t) {
  return t->listener != NULL ? t->listener->syn_head : NULL;
}

int tp_tw_info(tp *t, uint32_t *snd_nxt, uint32_t *rcv_nxt, ptcp_time *expires) {
  const ptcp_pcb *p =
      ptcp_stack_lookup(t->stack, &t->local, t->local_port, &t->remote, t->remote_port);
  const ptcp_tw *tw;

  if (p == NULL || p->kind != PCB_TW)
    return 0;
  tw = (const ptcp_tw *)(const void *)p;
  if (snd_nxt)
    *snd_nxt = tw->snd_nxt;
  if (rcv_nxt)
    *rcv_nxt = tw->rcv_nxt;
  if (expires)
    *expires = tw->expires;
  return 1;
}

unsigned tp_pending(const tp *t) { return t->nout - t->head; }

static void describe(const ptcp_seg *seg, char *buf, size_t cap) {
  ptcp_seg_format(buf, cap, seg);
}

const ptcp_seg *tp_expect_at(tp *t, tp_seg w, const char *file, int line) {
  const ptcp_seg *g;
  char got[256], fl[16], wfl[16];

  if (t->head >= t->nout)
    ck_abort_msg("%s:%d: expected a segment [%s], got nothing", file, line,
                 ptcp_seg_flags_str(w.flags, wfl, sizeof(wfl)));
  g = &t->out[t->head++].seg;
  describe(g, got, sizeof(got));
  ptcp_seg_flags_str(w.flags, wfl, sizeof(wfl));
  ptcp_seg_flags_str(g->flags, fl, sizeof(fl));
  ck_assert_msg((g->flags & ~PTCP_PSH) == (w.flags & ~PTCP_PSH) &&
                    (!(w.flags & PTCP_PSH) || (g->flags & PTCP_PSH)),
                "%s:%d: flags [%s], expected [%s]: %s", file, line, fl, wfl, got);
  if (!w.any_seq)
    ck_assert_msg(g->seq == w.seq, "%s:%d: seq %u, expected %u: %s", file, line, g->seq,
                  w.seq, got);
  if ((w.flags & PTCP_ACK) && !w.any_ack)
    ck_assert_msg(g->ack == w.ack, "%s:%d: ack %u, expected %u: %s", file, line, g->ack,
                  w.ack, got);
  if (w.window && !w.any_window)
    ck_assert_msg(g->window == w.window, "%s:%d: window %u, expected %u: %s", file, line,
                  g->window, w.window, got);
  ck_assert_msg(g->payload_len == w.len, "%s:%d: payload %zu bytes, expected %u: %s", file,
                line, g->payload_len, w.len, got);
  if (w.check_opts)
    ck_assert_msg(g->opts.present == w.opts.present,
                  "%s:%d: options 0x%x, expected 0x%x: %s", file, line, g->opts.present,
                  w.opts.present, got);
  ck_assert_uint_eq(g->src_port, t->local_port);
  return g;
}

void tp_expect_nothing_at(tp *t, const char *file, int line) {
  if (t->head < t->nout) {
    char got[256];
    describe(&t->out[t->head].seg, got, sizeof(got));
    ck_abort_msg("%s:%d: expected nothing, got %s (%u pending)", file, line, got,
                 tp_pending(t));
  }
}

/* ------------------------------------------------------------------ */
/* Fixtures                                                            */

ptcp_conn *tp_listen(tp *t, uint16_t port, unsigned backlog) {
  ptcp_conn *l;

  ck_assert_int_eq(ptcp_conn_new(t->stack, NULL, &l), 0);
  ck_assert_int_eq(ptcp_conn_bind(l, NULL, port), 0);
  ck_assert_int_eq(ptcp_conn_listen(l, backlog), 0);
  t->listener = l;
  t->local_port = port;
  return l;
}

ptcp_conn *tp_syn_received(tp *t, ptcp_time now) {
  tp_seg syn = SEG(.flags = PTCP_SYN, .seq = TP_IRS, .window = 65535);

  syn.opts.present = PTCP_OPT_MSS;
  syn.opts.mss = 1460;
  tp_listen(t, 80, 8);
  ck_assert_int_eq(tp_send(t, now, syn), 0);
  tp_expect(t, SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_ISS, .ack = TP_IRS + 1));
  return NULL;
}

ptcp_conn *tp_established(tp *t, ptcp_time now) {
  ptcp_conn *c;

  tp_syn_received(t, now);
  ck_assert_int_eq(
      tp_send(t, now + 10 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1)),
      0);
  tp_expect_nothing(t);
  ck_assert_int_eq(ptcp_conn_accept(t->listener, &c), 0);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_ESTABLISHED);
  t->conn = c;
  return c;
}

ptcp_conn *tp_syn_sent(tp *t, ptcp_time now) {
  ptcp_conn *c;

  t->local_port = 0;
  ck_assert_int_eq(ptcp_conn_new(t->stack, NULL, &c), 0);
  ck_assert_int_eq(ptcp_conn_bind(c, NULL, 40001), 0);
  t->local_port = 40001;
  t->remote_port = 80;
  tp_advance(t, now);
  ck_assert_int_eq(ptcp_conn_connect(c, &t->remote, 80, now), 0);
  tp_expect(t, SEG(.flags = PTCP_SYN, .seq = TP_ISS));
  t->conn = c;
  return c;
}

ptcp_conn *tp_established_active(tp *t, ptcp_time now) {
  ptcp_conn *c = tp_syn_sent(t, now);
  tp_seg sa = SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = TP_IRS, .ack = TP_ISS + 1);

  sa.opts.present = PTCP_OPT_MSS;
  sa.opts.mss = 1460;
  ck_assert_int_eq(tp_send(t, now + 10 * MS, sa), 0);
  tp_expect(t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_ESTABLISHED);
  return c;
}

ptcp_conn *tp_fin_wait_1(tp *t, ptcp_time now) {
  ptcp_conn *c = tp_established(t, now);

  ck_assert_int_eq(ptcp_conn_shutdown(c, now + 20 * MS), 0);
  tp_expect(t, SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 1));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_FIN_WAIT_1);
  return c;
}

ptcp_conn *tp_fin_wait_2(tp *t, ptcp_time now) {
  ptcp_conn *c = tp_fin_wait_1(t, now);

  ck_assert_int_eq(
      tp_send(t, now + 30 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 2)),
      0);
  tp_expect_nothing(t);
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_FIN_WAIT_2);
  return c;
}

ptcp_conn *tp_close_wait(tp *t, ptcp_time now) {
  ptcp_conn *c = tp_established(t, now);

  ck_assert_int_eq(tp_send(t, now + 20 * MS,
                           SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1)),
                   0);
  tp_expect(t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 2));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSE_WAIT);
  return c;
}

ptcp_conn *tp_last_ack(tp *t, ptcp_time now) {
  ptcp_conn *c = tp_close_wait(t, now);

  ck_assert_int_eq(ptcp_conn_shutdown(c, now + 30 * MS), 0);
  tp_expect(t, SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = TP_ISS + 1, .ack = TP_IRS + 2));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_LAST_ACK);
  return c;
}

ptcp_conn *tp_closing(tp *t, ptcp_time now) {
  ptcp_conn *c = tp_fin_wait_1(t, now);

  ck_assert_int_eq(tp_send(t, now + 30 * MS,
                           SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 1)),
                   0);
  tp_expect(t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 2, .ack = TP_IRS + 2));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_CLOSING);
  return c;
}

ptcp_conn *tp_time_wait(tp *t, ptcp_time now) {
  ptcp_conn *c = tp_fin_wait_2(t, now);

  ck_assert_int_eq(tp_send(t, now + 40 * MS,
                           SEG(.flags = PTCP_FIN | PTCP_ACK, .seq = TP_IRS + 1, .ack = TP_ISS + 2)),
                   0);
  tp_expect(t, SEG(.flags = PTCP_ACK, .seq = TP_ISS + 2, .ack = TP_IRS + 2));
  ck_assert_int_eq(ptcp_conn_state(c), PTCP_TIME_WAIT);
  return c;
}

/* The flags that are protocol state (not bookkeeping of the call). */
#define SNAP_FLAGS                                                                       \
  (CF_SHUT_WR | CF_PEER_FIN | CF_SACK | CF_TS | CF_WS | CF_RECOVERY | CF_PEER_FIN_SEEN | \
   CF_FIN_ACKED | CF_SYN_ACKED | CF_TS_RECENT | CF_USER | CF_QUEUED)

void tp_snap_take(const ptcp_conn *c, tp_snap *s) {
  memset(s, 0, sizeof(*s));
  ptcp_conn_status_get(c, &s->st);
  s->snd_wl1 = c->snd_wl1;
  s->snd_wl2 = c->snd_wl2;
  s->max_snd_wnd = c->max_snd_wnd;
  s->ts_recent = c->ts_recent;
  s->fin_seq = c->fin_seq;
  s->recover = c->recover;
  s->flags = c->flags & SNAP_FLAGS;
  s->rtx_mode = c->rtx_mode;
  s->retries = c->retries;
  s->dupacks = c->dupacks;
  s->t_rtx = c->t_rtx;
  s->t_close = c->t_close;
  s->reasm_n = c->reasm.n;
  for (unsigned i = 0; i < c->reasm.n && i < 8; i++) {
    s->reasm_start[i] = c->reasm.start[i];
    s->reasm_end[i] = c->reasm.end[i];
  }
}

int tp_snap_same(const tp_snap *a, const tp_snap *b) {
  const ptcp_conn_status *x = &a->st, *y = &b->st;
  if (!(x->state == y->state && x->snd_una == y->snd_una && x->snd_nxt == y->snd_nxt &&
        x->snd_max == y->snd_max && x->snd_wnd == y->snd_wnd &&
        x->rcv_nxt == y->rcv_nxt && x->iss == y->iss && x->irs == y->irs &&
        x->send_queued == y->send_queued && x->recv_queued == y->recv_queued &&
        x->ooo_bytes == y->ooo_bytes && x->error == y->error &&
        x->peer_fin == y->peer_fin && x->cwnd == y->cwnd && x->ssthresh == y->ssthresh &&
        x->snd_mss == y->snd_mss && x->snd_wscale == y->snd_wscale &&
        x->bytes_in == y->bytes_in))
    return 0;
  if (a->snd_wl1 != b->snd_wl1 || a->snd_wl2 != b->snd_wl2 ||
      a->max_snd_wnd != b->max_snd_wnd || a->ts_recent != b->ts_recent ||
      a->fin_seq != b->fin_seq || a->recover != b->recover || a->flags != b->flags ||
      a->rtx_mode != b->rtx_mode || a->retries != b->retries ||
      a->dupacks != b->dupacks || a->t_rtx != b->t_rtx || a->t_close != b->t_close ||
      a->reasm_n != b->reasm_n)
    return 0;
  for (unsigned i = 0; i < a->reasm_n && i < 8; i++)
    if (a->reasm_start[i] != b->reasm_start[i] || a->reasm_end[i] != b->reasm_end[i])
      return 0;
  return 1;
}

/* ------------------------------------------------------------------ */
/* Pair                                                                */

static tpair *pair_of(void *user, int *side) {
  tpair_who *w = user;
  *side = w->side;
  return w->p;
}

static int pair_emit(void *user, const uint8_t *pkt, size_t len) {
  int from;
  tpair *p = pair_of(user, &from);
  ptcp_ip ip;
  ptcp_seg seg;
  tpair_fate fate = FATE_DELIVER;
  ptcp_duration extra = 0;
  int copies = 1;

  parse_emitted(pkt, len, &ip, &seg);
  for (size_t i = 0; i < len; i++)
    p->out_hash[from] = (p->out_hash[from] ^ pkt[i]) * 0x100000001b3ULL;
  p->segs[from]++;
  if (seg.flags & PTCP_RST)
    p->rst[from]++;
  p->sent[from]++;
  if (p->fate)
    fate = p->fate(p, from, p->sent[from], &seg, &extra, p->fate_ctx);
  if (fate == FATE_DROP)
    return 0;
  if (fate == FATE_DUP)
    copies = 2;
  for (int i = 0; i < copies; i++) {
    tpair_pkt *q;
    REQUIRE(p->nq < TPAIR_MAX_INFLIGHT, "too many packets in flight");
    q = &p->q[p->nq++];
    q->data = malloc(len);
    REQUIRE(q->data != NULL, "out of memory");
    memcpy(q->data, pkt, len);
    q->len = len;
    q->at = p->now + p->delay + (fate == FATE_DELAY ? extra : 0);
    q->order = p->order++;
    q->to = 1 - from;
  }
  return 0;
}

static void pair_read(tpair *p, int side, ptcp_conn *c) {
  uint8_t buf[16384];
  ptcp_ssize n;

  while ((n = ptcp_conn_recv(c, buf, sizeof(buf), p->now)) > 0) {
    if (p->rx_len[side] + (size_t)n > p->rx_cap[side]) {
      size_t cap = p->rx_cap[side] ? p->rx_cap[side] * 2 : 65536;
      while (cap < p->rx_len[side] + (size_t)n)
        cap *= 2;
      p->rx[side] = realloc(p->rx[side], cap);
      REQUIRE(p->rx[side] != NULL, "out of memory");
      p->rx_cap[side] = cap;
    }
    memcpy(p->rx[side] + p->rx_len[side], buf, (size_t)n);
    p->rx_len[side] += (size_t)n;
  }
}

static void pair_on_accept(void *user, ptcp_conn *l) {
  int side;
  tpair *p = pair_of(user, &side);
  ptcp_conn *c;
  p->ev[side].accept++;
  while (ptcp_conn_accept(l, &c) == 0) {
    p->conn[side] = c;
    if (p->auto_read)
      pair_read(p, side, c);
  }
}
static void pair_on_connected(void *user, ptcp_conn *c) {
  int side;
  tpair *p = pair_of(user, &side);
  p->ev[side].connected++;
  (void)c;
}
static void pair_on_readable(void *user, ptcp_conn *c) {
  int side;
  tpair *p = pair_of(user, &side);
  p->ev[side].readable++;
  if (p->auto_read)
    pair_read(p, side, c);
}
static void pair_on_writable(void *user, ptcp_conn *c) {
  int side;
  tpair *p = pair_of(user, &side);
  (void)c;
  p->ev[side].writable++;
}
static void pair_on_peer_fin(void *user, ptcp_conn *c) {
  int side;
  tpair *p = pair_of(user, &side);
  (void)c;
  p->ev[side].peer_fin++;
}
static void pair_on_error(void *user, ptcp_conn *c, int err) {
  int side;
  tpair *p = pair_of(user, &side);
  (void)c;
  p->ev[side].error++;
  p->ev[side].last_error = err;
}
static void pair_on_closed(void *user, ptcp_conn *c, int err) {
  int side;
  tpair *p = pair_of(user, &side);
  (void)c;
  (void)err;
  p->ev[side].closed++;
}

void tpair_init(tpair *p, const tpair_opts *o) {
  memset(p, 0, sizeof(*p));
  p->out_hash[0] = p->out_hash[1] = 0xcbf29ce484222325ULL;
  if (o != NULL && o->registry != NULL) {
    p->reg = o->registry;
  } else {
    ck_assert_int_eq(ptcp_registry_new(&p->reg, NULL), 0);
    ck_assert_int_eq(ptcp_registry_add_builtins(p->reg), 0);
    p->own_reg = 1;
  }
  p->delay = (o && o->delay) ? o->delay : 10 * MS;
  p->auto_read = 1;
  p->addr[0] = ptcp_addr_v4(10, 0, 0, 1);
  p->addr[1] = ptcp_addr_v4(10, 0, 0, 2);
  for (int side = 0; side < 2; side++) {
    ptcp_stack_cfg cfg;
    int rv;
    cfg_from_opts(&cfg, o ? &o->side[side] : NULL, p->reg);
    if (!(o && o->side[side].isn))
      cfg.policy[PTCP_SLOT_ISN] = side == 0 ? "counter:start=1000,step=0"
                                            : "counter:start=900000,step=0";
    p->rng[side] = (o && o->seed ? o->seed : 0x9e3779b97f4a7c15ULL) + (uint64_t)side;
    tp_mem_init(&p->mem[side]);
    cfg.mem = &p->mem[side].mem;
    cfg.rand = test_rand;
    cfg.rand_ctx = &p->rng[side];
    p->who[side].p = p;
    p->who[side].side = side;
    cfg.user = &p->who[side];
    cfg.callbacks.emit = pair_emit;
    cfg.callbacks.on_accept = pair_on_accept;
    cfg.callbacks.on_connected = pair_on_connected;
    cfg.callbacks.on_readable = pair_on_readable;
    cfg.callbacks.on_writable = pair_on_writable;
    cfg.callbacks.on_peer_fin = pair_on_peer_fin;
    cfg.callbacks.on_error = pair_on_error;
    cfg.callbacks.on_closed = pair_on_closed;
    rv = ptcp_stack_new(&p->st[side], &cfg, 0);
    ck_assert_msg(rv == 0, "ptcp_stack_new: %s", ptcp_strerror(rv));
    ck_assert_int_eq(ptcp_stack_add_addr(p->st[side], &p->addr[side]), 0);
  }
}

void tpair_free(tpair *p) {
  for (unsigned i = 0; i < p->nq; i++)
    free(p->q[i].data);
  for (int side = 0; side < 2; side++) {
    ptcp_stack_free(p->st[side]);
    free(p->rx[side]);
    ck_assert_msg(p->mem[side].live == 0, "side %d leaked %llu blocks", side,
                  (unsigned long long)p->mem[side].live);
  }
  if (p->own_reg)
    ptcp_registry_free(p->reg);
}

/* One step: the earliest of the next delivery and the next timer. */
int tpair_step(tpair *p, ptcp_time limit) {
  ptcp_time t = PTCP_TIME_NONE;
  int which = -1; /* -1 none, 0/1 timer of side, 2 packet */
  unsigned qi = 0;

  for (unsigned i = 0; i < p->nq; i++) {
    if (p->q[i].at < t || (p->q[i].at == t && which == 2 && p->q[i].order < p->q[qi].order)) {
      t = p->q[i].at;
      which = 2;
      qi = i;
    }
  }
  for (int side = 0; side < 2; side++) {
    ptcp_time d = ptcp_stack_next_deadline(p->st[side]);
    if (d < t) {
      t = d;
      which = side;
    }
  }
  if (which < 0 || t > limit)
    return 0;
  if (t > p->now)
    p->now = t;
  if (which == 2) {
    tpair_pkt pkt = p->q[qi];
    p->q[qi] = p->q[--p->nq];
    (void)ptcp_stack_input(p->st[pkt.to], pkt.data, pkt.len, p->now);
    free(pkt.data);
    tp_check_stack_at(&p->chk[pkt.to], p->st[pkt.to], "pair input", 0);
  } else {
    REQUIRE(ptcp_stack_on_timer(p->st[which], p->now) == 0, "on_timer failed");
    tp_check_stack_at(&p->chk[which], p->st[which], "pair timer", 0);
  }
  return 1;
}

void tpair_run_until(tpair *p, ptcp_time t) {
  while (tpair_step(p, t))
    ;
  if (p->now < t)
    p->now = t;
}

void tpair_run_idle(tpair *p, ptcp_time limit) {
  while (tpair_step(p, limit))
    ;
}

int tpair_connect(tpair *p, ptcp_time deadline) {
  ptcp_conn *l, *c;

  ck_assert_int_eq(ptcp_conn_new(p->st[1], NULL, &l), 0);
  ck_assert_int_eq(ptcp_conn_bind(l, NULL, 80), 0);
  ck_assert_int_eq(ptcp_conn_listen(l, 16), 0);
  p->listener = l;
  ck_assert_int_eq(ptcp_conn_new(p->st[0], NULL, &c), 0);
  ck_assert_int_eq(ptcp_conn_connect(c, &p->addr[1], 80, p->now), 0);
  p->conn[0] = c;
  while (p->now <= deadline && !(p->conn[1] != NULL && ptcp_conn_state(c) == PTCP_ESTABLISHED &&
                                 ptcp_conn_state(p->conn[1]) == PTCP_ESTABLISHED)) {
    if (!tpair_step(p, deadline))
      break;
  }
  return p->conn[1] != NULL && ptcp_conn_state(c) == PTCP_ESTABLISHED &&
         ptcp_conn_state(p->conn[1]) == PTCP_ESTABLISHED;
}

size_t tpair_send_pattern(tpair *p, int side, size_t off, size_t len) {
  uint8_t buf[16384];
  size_t done = 0;

  while (done < len) {
    size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);
    ptcp_ssize r;
    for (size_t i = 0; i < n; i++)
      buf[i] = tp_pattern(off + done + i);
    r = ptcp_conn_send(p->conn[side], buf, n, p->now);
    if (r <= 0)
      break;
    done += (size_t)r;
  }
  return done;
}

int tpair_rx_is_pattern(const tpair *p, int side, size_t len) {
  if (p->rx_len[side] != len)
    return 0;
  for (size_t i = 0; i < len; i++)
    if (p->rx[side][i] != tp_pattern(i))
      return 0;
  return 1;
}

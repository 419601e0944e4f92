/*
 * plugtcp fuzzing: the oracles of the "conn" driver that look at the
 * whole stack (conn_driver.c lists every oracle; what the driver's
 * files share is in conn_driver_int.h): the invariants checked after
 * every event, what one rejected segment may change, and the calls with
 * bad arguments made at the end, each refused with a specific error
 * code, changing nothing.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <plugtcp/plugtcp.h>

#include "conn_driver_int.h"

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

void cd_check_stack(cd *d) {
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
void cd_check_outputs(cd *d) {
  for (unsigned i = 0; i < CF_SLOTS; i++) {
    handle *h = &d->h[i];
    ptcp_conn_status st;
    int t;

    if (h->c == NULL || h->listener)
      continue;
    t = cd_handle_tuple(d, h);
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

void cd_snapshot(cd *d, snap *s) {
  for (unsigned i = 0; i < CF_SLOTS; i++) {
    s[i].valid = d->h[i].c != NULL;
    if (s[i].valid)
      ptcp_conn_status_get(d->h[i].c, &s[i].st);
    d->h[i].cb_events = 0;
  }
}

/* What one rejected segment may change (hardening.md rule 9). */
void cd_check_rejected(cd *d, const snap *before, const ptcp_seg *in) {
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

  h = cd_handle_of(d, d->vconn[0]);
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

void cd_misuse(cd *d) {
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
  CK(ptcp_stack_registry(d->stack) == cd_registry);

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
  scfg.registry = cd_registry;
  scfg.callbacks.emit = cd_emit;
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

/*
 * plugtcp fuzzing: the oracles of the "e2e" driver that watch the whole
 * run (e2e_driver.h lists every oracle; what the driver's files share is
 * in e2e_driver_int.h): the observers that build the run's digest
 * (determinism) and check every state change, the applications' counters
 * (prefix, completeness), and the last word once everything is closed
 * (liveness).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "e2e_driver_int.h"

/* ------------------------------------------------------------------ */
/* The digest                                                          */

/* The run's digest: eight bytes a step (a multiply-xorshift mix), and
 * no coverage feedback from the harness's own arithmetic. */
#if defined(__clang__) && __clang_major__ >= 13
__attribute__((no_sanitize("coverage")))
#endif
static void
mix(e2e *d, const void *p, size_t n) {
  const uint8_t *b = p;
  uint64_t h = d->digest;

  while (n > 0) {
    uint64_t w = 0;
    size_t k = n < 8 ? n : 8;
    memcpy(&w, b, k);
    h = (h ^ w ^ k) * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 29;
    b += k;
    n -= k;
  }
  d->digest = h;
}

static void mix64(e2e *d, uint64_t v) { mix(d, &v, sizeof(v)); }

/* ------------------------------------------------------------------ */
/* Observers                                                           */

static int side_of(const e2e *d, const psim_node *n) { return n == d->node[SIDE_B]; }

void e2e_on_engine(void *ctx, psim_node *node, const ptcp_trace *ev) {
  e2e *d = ctx;
  int side = side_of(d, node);

  if (d->obs != NULL && d->obs->engine != NULL)
    d->obs->engine(d->obs->ctx, node, ev);
  if (ev->kind != PTCP_TRACE_STATE)
    return;
  CK((unsigned)ev->old_state < PTCP_STATE_COUNT &&
         (unsigned)ev->new_state < PTCP_STATE_COUNT,
     "a state out of range");
  CK(d->allowed[ev->old_state][ev->new_state],
     "%s: %s -> %s is not in ptcp_transitions()", e2e_side_name[side],
     ptcp_state_name(ev->old_state), ptcp_state_name(ev->new_state));
  d->sum->states_seen[side] |= 1u << ev->new_state;
  mix64(d, (uint64_t)side << 32 | (uint64_t)ev->old_state << 8 | ev->new_state);
  mix64(d, ev->now);
  mix64(d, (uint64_t)ev->local_port << 16 | ev->remote_port);
  if (ev->conn == NULL)
    return; /* a compact TIME-WAIT entry; the stack counts those */
  {
    tracked *t = NULL;
    for (unsigned i = 0; i < d->ntrk; i++)
      if (d->trk[i].conn == ev->conn) {
        t = &d->trk[i];
        break;
      }
    /* A connection released in TIME-WAIT lives on as a compact entry;
     * its memory may then come back as a new connection. */
    if (t != NULL && t->state == PTCP_TIME_WAIT && ev->old_state != PTCP_TIME_WAIT)
      t->state = PTCP_CLOSED;
    if (t != NULL)
      CK(t->state == ev->old_state ||
             (t->state == PTCP_CLOSED && ev->old_state == PTCP_LISTEN),
         "%s: a connection in %s changed state from %s", e2e_side_name[side],
         ptcp_state_name((ptcp_state)t->state), ptcp_state_name(ev->old_state));
    if (t == NULL) {
      if (ev->new_state == PTCP_CLOSED)
        return;
      for (unsigned i = 0; i < d->ntrk && t == NULL; i++)
        if (d->trk[i].state == PTCP_CLOSED)
          t = &d->trk[i];
      if (t == NULL) {
        if (d->ntrk >= E2E_TRACKED)
          return;
        t = &d->trk[d->ntrk++];
      }
      t->conn = ev->conn;
    }
    t->side = (uint8_t)side;
    t->state = (uint8_t)ev->new_state;
    /* A half-open connection a listener made "returns to LISTEN" (RFC
     * 9293 §3.10.7.3) by being released, the listener staying as it was:
     * its memory, too, may come back as a new connection. */
    if (ev->new_state == PTCP_CLOSED ||
        (ev->new_state == PTCP_LISTEN && ev->old_state == PTCP_SYN_RECEIVED)) {
      t->conn = NULL;
      t->state = PTCP_CLOSED; /* the entry is free again */
    }
  }
}

void e2e_on_input_error(void *ctx, psim_node *node, int err, const uint8_t *pkt,
                        size_t len, ptcp_time now) {
  e2e *d = ctx;

  if (d->obs != NULL && d->obs->input_error != NULL)
    d->obs->input_error(d->obs->ctx, node, err, pkt, len, now);
}

void e2e_on_link(void *ctx, const psim_link_event *ev) {
  e2e *d = ctx;

  if (d->obs != NULL && d->obs->link != NULL)
    d->obs->link(d->obs->ctx, ev);
  if (ev->kind == PSIM_LINK_EV_TX) {
    d->sum->packets[ev->dir & 1u]++;
    mix64(d, (uint64_t)ev->dir << 62 | ev->nth);
    mix64(d, ev->now);
    mix64(d, ev->arrival);
    mix(d, ev->data, ev->len);
  } else if (ev->kind == PSIM_LINK_EV_DELIVER) {
    mix64(d, ev->now);
  }
}

/* ------------------------------------------------------------------ */
/* Applications' oracles                                               */

static void check_stats(e2e *d, const char *who, const psim_app_stats *s) {
  CK(s->bytes_bad == 0,
     "%s: %llu bytes did not match the pattern (the first at offset %llu)", who,
     (unsigned long long)s->bytes_bad, (unsigned long long)s->first_bad_offset);
}

/* Prefix and completeness between a writer's and a reader's counters
 * on one connection. */
static void check_pair(e2e *d, const char *what, const psim_app_stats *w,
                       const psim_app_stats *r) {
  CK(r->bytes_received <= w->bytes_sent, "%s: %llu bytes read, only %llu sent", what,
     (unsigned long long)r->bytes_received, (unsigned long long)w->bytes_sent);
  CK(r->eofs == 0 || r->bytes_received == w->bytes_sent,
     "%s: end of stream after %llu bytes; %llu were sent", what,
     (unsigned long long)r->bytes_received, (unsigned long long)w->bytes_sent);
}

void e2e_check_apps(e2e *d) {
  if (d->phase == PH_CLOSE)
    return; /* the applications are gone */
  switch (d->prog) {
  case EF_PROG_BULK: {
    const psim_app_stats *b = psim_bulk_stats(d->bulk);
    check_stats(d, "bulk", b);
    CK(b->bytes_received == 0, "bulk: read %llu bytes from a sink that sends none",
       (unsigned long long)b->bytes_received);
    if (d->sink != NULL) {
      const psim_app_stats *k = psim_sink_stats(d->sink);
      check_stats(d, "sink", k);
      check_pair(d, "bulk -> sink", b, k);
      CK(k->bytes_verified == k->bytes_received, "sink: read bytes it did not check");
    }
    break;
  }
  case EF_PROG_ECHO: {
    const psim_app_stats *s = psim_echo_server_stats(d->esrv);
    const psim_app_stats *c = psim_echo_client_stats(d->ecli);
    check_stats(d, "echo server", s);
    check_stats(d, "echo client", c);
    check_pair(d, "client -> echo server", c, s);
    check_pair(d, "echo server -> client", s, c);
    CK(s->bytes_sent <= s->bytes_received, "echo server: sent %llu bytes, read %llu",
       (unsigned long long)s->bytes_sent, (unsigned long long)s->bytes_received);
    break;
  }
  case EF_PROG_REQRESP: {
    const psim_app_stats *s = psim_reqresp_server_stats(d->rr);
    const psim_app_stats *m = psim_many_stats(d->many);
    check_stats(d, "reqresp server", s);
    check_stats(d, "many", m);
    CK(s->bytes_received <= m->bytes_sent, "reqresp: server read %llu bytes, %llu sent",
       (unsigned long long)s->bytes_received, (unsigned long long)m->bytes_sent);
    CK(m->bytes_received <= s->bytes_sent, "reqresp: clients read %llu bytes, %llu sent",
       (unsigned long long)m->bytes_received, (unsigned long long)s->bytes_sent);
    CK(m->conns_done < m->conns_opened || m->conns_failed > 0 ||
           m->conns_opened < d->conns || m->bytes_received == m->bytes_expected,
       "reqresp: every client finished in order, but they read %llu of %llu bytes",
       (unsigned long long)m->bytes_received, (unsigned long long)m->bytes_expected);
    break;
  }
  default:
    break;
  }
}

/* ------------------------------------------------------------------ */
/* Liveness                                                            */

/* The last word: both stacks empty, or waiting in FIN-WAIT-2 forever
 * under a close policy that allows it. */
void e2e_check_end(e2e *d) {
  for (int side = 0; side < 2; side++) {
    ptcp_stack *stack = psim_node_stack(d->node[side]);
    ptcp_stack_stats st;
    unsigned fw2 = 0, other = 0;
    char states[256] = "";
    size_t used = 0;

    ptcp_stack_stats_get(stack, &st);
    for (unsigned i = 0; i < d->ntrk; i++) {
      const tracked *t = &d->trk[i];
      if (t->conn == NULL || t->side != side || t->state == PTCP_CLOSED ||
          t->state == PTCP_TIME_WAIT)
        continue;
      if (t->state == PTCP_FIN_WAIT_2)
        fw2++;
      else
        other++;
      if (used < sizeof(states))
        used += (size_t)snprintf(states + used, sizeof(states) - used, " %s",
                                 ptcp_state_name((ptcp_state)t->state));
    }
    CK(st.listeners == 0, "%s: %u listeners left after every socket was closed",
       e2e_side_name[side], st.listeners);
    CK(st.time_wait == 0, "%s: %u TIME-WAIT entries left %.3f s after the input ended",
       e2e_side_name[side], st.time_wait,
       (double)(psim_sched_now(d->sched) - d->input_end) / 1e9);
    CK(st.conns == 0 || (d->fw2_unbounded && other == 0 && st.conns == fw2),
       "%s: %u connections left %.3f s after the input ended (states:%s)",
       e2e_side_name[side], st.conns,
       (double)(psim_sched_now(d->sched) - d->input_end) / 1e9, states);
    CK(st.conns != 0 || ptcp_stack_next_deadline(stack) == PTCP_TIME_NONE,
       "%s: an empty stack still has a timer", e2e_side_name[side]);
  }
}

/*
 * plugtcp fuzzing: the "e2e" driver (see e2e_driver.h for the oracles
 * and e2e_format.h for the input).
 *
 * The topology is built in the order psim_run builds a scenario's
 * (scheduler, packet pool, pattern, the server node B, the client node
 * A, the link, the interfaces), with the same node and link names and
 * the same run seed, so that an input recorded from a plugtcp-sim
 * scenario (tools/gen-e2e-corpus) replays that run packet for packet.
 *
 * A run has three phases:
 *   input    until the last record's time: user calls happen as the
 *            records say, every packet takes the next fate of its
 *            direction;
 *   finish   the link is perfect; user sockets read everything, shut
 *            down and accept what is pending; applications carry on
 *            (at most E2E_FINISH_TIME, less once every connection is
 *            closed, in TIME-WAIT or listening);
 *   close    every user socket is closed and every application deleted;
 *            within the time close_bound() allows, both stacks
 *            must be empty.
 *
 * The driver is three files (e2e_driver_int.h lists what they share):
 * this one runs an input (the settings, the topology, the decoding of
 * the records, the phases); e2e_user.c holds the user sockets, whose
 * every read is checked against what the writer sent; e2e_oracle.c the
 * observers that build the run's digest and check every state change,
 * the applications' oracles and the last word on liveness.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_driver_int.h"

#define E2E_FINISH_TIME (PTCP_RTO_CEIL + 60 * PTCP_SECONDS)
#define E2E_CLOSE_SLACK (120 * PTCP_SECONDS)

const char *const e2e_side_name[2] = {"A", "B"};

/* ------------------------------------------------------------------ */
/* Failures and notes                                                  */

void e2e_fail(e2e *d, const char *fmt, ...) {
  char msg[512];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (d->obs != NULL && d->obs->failure != NULL)
    d->obs->failure(d->obs->ctx, psim_sched_now(d->sched), msg);
  fprintf(stderr, "e2e oracle failed at %.9f s: %s\n",
          (double)psim_sched_now(d->sched) / 1e9, msg);
  abort();
}
int e2e_noting(const e2e *d) { return d->obs != NULL && d->obs->note != NULL; }

void e2e_note(e2e *d, const char *who, const char *what, const char *fmt, ...) {
  char detail[256];
  va_list ap;

  if (!e2e_noting(d))
    return;
  detail[0] = '\0';
  if (fmt != NULL) {
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
  }
  d->obs->note(d->obs->ctx, psim_sched_now(d->sched), who, what,
               fmt != NULL ? detail : NULL);
}

/* One of the documented error codes |ok| (negated errno values, ending
 * with 0). */
int e2e_one_of(long rv, const int *ok) {
  for (; *ok != 0; ok++)
    if (rv == -*ok)
      return 1;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Fates                                                               */

static void on_fate(void *ctx, const psim_link_event *ev, psim_link_fate *f) {
  e2e *d = ctx;
  fate_q *q = &d->fq[ev->dir & 1u];
  fate_ent *e;

  if (d->phase != PH_INPUT)
    return;
  while (q->head < q->n && q->v[q->head].left == 0)
    q->head++;
  if (q->head >= q->n)
    return;
  e = &q->v[q->head];
  e->left--;
  switch (e->kind) {
  case EF_F_DROP:
    f->drop = 1;
    break;
  case EF_F_DUP:
    f->duplicate = 1;
    break;
  case EF_F_DELAY:
  case EF_F_REORDER:
    f->delay = e->delay;
    f->duplicate = e->dup;
    break;
  case EF_F_CORRUPT:
    f->corrupt = 1;
    f->bit = e->bit;
    break;
  case EF_F_CORDUP:
    f->corrupt = 1;
    f->bit = e->bit;
    f->duplicate = 1;
    break;
  default:
    return;
  }
  d->sum->fated[ev->dir & 1u]++;
}

/* Decodes one FATES record into the direction's queue. */
static void read_fates(e2e *d, fuzz_input *in, unsigned dir, ptcp_duration one_way) {
  fate_q *q = &d->fq[dir];
  unsigned n = (unsigned)fuzz_u8(in) + 1u;

  for (unsigned i = 0; i < n && !fuzz_empty(in); i++) {
    uint8_t b = fuzz_u8(in);
    unsigned kind = b & 7u, p = b >> 3;
    fate_ent *e = &q->v[q->n++];

    memset(e, 0, sizeof(*e));
    e->kind = (uint8_t)kind;
    e->left = 1;
    switch (kind) {
    case EF_F_DELIVER:
    case EF_F_DROP:
    case EF_F_DUP:
      e->left = p + 1u;
      break;
    case EF_F_PAUSE:
      e->left = (p + 1u) * EF_PAUSE_UNIT;
      break;
    case EF_F_DELAY:
      e->dup = p == EF_DELAY_DUP_MS16;
      if (p == EF_DELAY_MS16 || p == EF_DELAY_DUP_MS16)
        e->delay = (ptcp_duration)fuzz_u16(in) * PTCP_MILLISECONDS;
      else if (p == EF_DELAY_US32)
        e->delay = (ptcp_duration)fuzz_u32(in) * PTCP_MICROSECONDS;
      else
        e->delay = ef_delay_value(p);
      if (e->delay > EF_DELAY_MAX)
        e->delay = EF_DELAY_MAX;
      break;
    case EF_F_REORDER:
      e->delay = (p + 1u) * (one_way / 2u > 0 ? one_way / 2u : 1u);
      break;
    case EF_F_CORRUPT:
    case EF_F_CORDUP:
      e->bit = p << 8 | fuzz_u8(in);
      break;
    }
  }
}

/* ------------------------------------------------------------------ */
/* Set-up                                                              */

/* The pattern of run seed |seed|.  Making one draws 128 KiB from a
 * random stream; the last one is kept, since consecutive fuzz inputs
 * mostly share their seed (it is read-only: nothing carries over). */
static const psim_pattern *pattern(uint64_t seed) {
  static psim_pattern *pat;
  static uint64_t pat_seed;

  if (pat == NULL || pat_seed != seed) {
    psim_pattern_del(pat);
    pat = NULL;
    if (psim_pattern_new(&pat, seed, NULL) != 0) {
      fprintf(stderr, "e2e: out of memory\n");
      abort();
    }
    pat_seed = seed;
  }
  return pat;
}

static const ptcp_registry *registry(void) {
  static ptcp_registry *reg;

  if (reg == NULL) {
    if (ptcp_registry_new(&reg, NULL) != 0 || ptcp_registry_add_builtins(reg) != 0) {
      fprintf(stderr, "e2e: cannot build the policy registry\n");
      abort();
    }
  }
  return reg;
}

/*
 * How long the stacks may take to end every connection once everything
 * is closed, whatever the link still does (its drop-tail queue keeps
 * dropping): every retry of a SYN or of data at the longest RTO the
 * engine allows, FIN-WAIT-2 and TIME-WAIT as the close policy |spec|
 * (NULL: the default) sets them.  Sets *fw2_unbounded when the policy
 * may wait in FIN-WAIT-2 forever.
 */
static ptcp_duration close_bound(const char *spec, const ptcp_conn_cfg *c,
                                 int *fw2_unbounded) {
  ptcp_policy_sel sel;
  const ptcp_close_ops *ops;
  unsigned retries = c->syn_retries > c->data_retries ? c->syn_retries : c->data_retries;
  ptcp_duration tw = 4 * c->msl, fw2 = 0;

  *fw2_unbounded = 1;
  if (ptcp_policy_parse(&sel, registry(), PTCP_SLOT_CLOSE, spec ? spec : "rfc9293", NULL,
                        0) == 0) {
    ops = (const ptcp_close_ops *)sel.ops;
    if (ops->fin_wait_2_timeout != NULL)
      fw2 = ops->fin_wait_2_timeout(sel.params, c->msl);
    *fw2_unbounded = fw2 == 0;
  }
  return (ptcp_duration)(retries + 2u) * PTCP_RTO_CEIL + tw + fw2 + E2E_CLOSE_SLACK;
}

static void conn_cfg(ptcp_conn_cfg *c, const uint8_t *h, uint8_t bufs) {
  uint8_t f = h[0];

  ptcp_conn_cfg_default(c);
  c->mss = ef_mss[h[6] & 7u];
  c->sndbuf = ef_bufs[bufs & 15u];
  c->rcvbuf = ef_bufs[bufs >> 4];
  c->msl = ef_msl[h[9] & 7u];
  if (h[10] & 15u)
    c->syn_retries = (uint8_t)(h[10] & 15u);
  if (h[10] >> 4)
    c->data_retries = (uint8_t)(h[10] >> 4);
  if (f & EF_H_NO_NAGLE)
    c->nagle = 0;
  if (f & EF_H_NO_TS)
    c->timestamps = 0;
  if (f & EF_H_NO_SACK)
    c->sack = 0;
  if (f & EF_H_NO_WS)
    c->window_scaling = 0;
  if (f & EF_H_NO_DELACK)
    c->delack = 0;
  if (f & EF_H_KEEPALIVE) {
    /* Soon enough for an input's minutes, rarely enough that idle
     * connections waiting out the phases do not flood the run. */
    c->keepalive = 1;
    c->keepalive_idle = 30 * PTCP_SECONDS;
    c->keepalive_interval = 15 * PTCP_SECONDS;
    c->keepalive_count = 3;
  }
}

static int node_make(e2e *d, int side, const ptcp_conn_cfg *conn, uint64_t seed) {
  static const int ok[] = {-PTCP_ERR_INVALID_ARGUMENT, -PTCP_ERR_NOT_FOUND,
                           -PTCP_ERR_POLICY, -PTCP_ERR_NOMEM, 0};
  psim_node_cfg nc;
  psim_node_observer obs;
  int rv;

  psim_node_cfg_init(&nc);
  nc.name = side == SIDE_A ? "client" : "server";
  nc.addr = d->addr[side];
  nc.seed = seed;
  nc.stack.registry = registry();
  nc.stack.conn = *conn;
  for (int slot = 0; slot < PTCP_SLOT_COUNT; slot++)
    nc.stack.policy[slot] = d->specs[slot][0] ? d->specs[slot] : NULL;
  rv = psim_node_new(&d->node[side], d->sched, d->pool, &nc, NULL);
  e2e_note(d, "driver", "node", "%s: %s", nc.name, rv ? ptcp_err_name(rv) : "ok");
  CK(rv == 0 || e2e_one_of(rv, ok), "psim_node_new returned %d (%s)", rv,
     ptcp_err_name(rv));
  if (rv != 0)
    return rv;
  memset(&obs, 0, sizeof(obs));
  obs.on_trace = e2e_on_engine;
  obs.on_input_error = e2e_on_input_error;
  obs.ctx = d;
  psim_node_set_observer(d->node[side], &obs);
  return 0;
}

/* psim_many's hold: everybody is ready, let them finish (as the "many"
 * scenario does). */
static void many_ready(void *ctx) {
  e2e *d = ctx;

  e2e_note(d, "driver", "all-ready", NULL);
  psim_many_release(d->many);
}

static int start_apps(e2e *d) {
  psim_app_hooks none;
  ptcp_addr b = d->addr[SIDE_B];
  int rv = 0;

  memset(&none, 0, sizeof(none));
  switch (d->prog) {
  case EF_PROG_BULK: {
    psim_sink_cfg k;
    psim_bulk_cfg c;
    psim_sock *bound = NULL;
    uint64_t cut = d->bytes / 4 > 0 ? d->bytes / 4 : 1;

    if (!(d->pflags & EF_P_NO_SINK)) {
      memset(&k, 0, sizeof(k));
      k.port = EF_APP_PORT;
      k.expect_bytes = (d->pflags & EF_P_ABORT) ? cut : d->bytes;
      k.abort_after = (d->pflags & EF_P_ABORT) ? cut : 0;
      k.read_from = d->t3;
      k.pattern = d->pat;
      k.hooks = none;
      rv = psim_sink_new(&d->sink, d->node[SIDE_B], &k);
      if (rv != 0)
        return rv;
    }
    if (d->pflags & EF_P_BIND_PORT) {
      if (psim_sock_new(d->node[SIDE_A], NULL, &bound) != 0)
        return PTCP_ERR_NOMEM;
      if (psim_sock_bind(bound, NULL, EF_BIND_PORT) != 0) {
        psim_sock_close(bound);
        return PTCP_ERR_ADDR_IN_USE;
      }
    }
    memset(&c, 0, sizeof(c));
    c.dst = b;
    c.port = EF_APP_PORT;
    c.bytes = d->bytes;
    c.start = 0;
    c.send_at = d->t1;
    c.shutdown_delay = d->t2;
    c.close_at_end = (d->pflags & EF_P_CLOSE_AT_END) != 0;
    c.sock = bound;
    c.pattern = d->pat;
    c.hooks = none;
    rv = psim_bulk_new(&d->bulk, d->node[SIDE_A], &c);
    if (rv != 0 && bound != NULL)
      psim_sock_close(bound);
    return rv;
  }
  case EF_PROG_ECHO: {
    psim_echo_server_cfg s;
    psim_echo_client_cfg c;

    memset(&s, 0, sizeof(s));
    s.port = EF_ECHO_PORT;
    s.expect_bytes = d->bytes;
    s.pattern = d->pat;
    s.hooks = none;
    rv = psim_echo_server_new(&d->esrv, d->node[SIDE_B], &s);
    if (rv != 0)
      return rv;
    memset(&c, 0, sizeof(c));
    c.dst = b;
    c.port = EF_ECHO_PORT;
    c.bytes = d->bytes;
    c.start = 0;
    c.half_close = (d->pflags & EF_P_HALF_CLOSE) != 0;
    c.pattern = d->pat;
    c.hooks = none;
    return psim_echo_client_new(&d->ecli, d->node[SIDE_A], &c);
  }
  case EF_PROG_REQRESP: {
    psim_reqresp_server_cfg s;
    psim_many_cfg m;
    uint32_t req = d->t3 > 0 ? (uint32_t)(d->t3 / PTCP_MILLISECONDS) : EF_REQUEST_DEFAULT;
    uint32_t resp = d->bytes > 0 ? (uint32_t)d->bytes : 1;
    uint32_t exchanges = d->conns * d->rounds;

    /* All the requests and responses within the traffic budget of one
     * bulk transfer: half of it at most for the requests. */
    if (req > EF_REQUEST_MAX)
      req = EF_REQUEST_MAX;
    if ((uint64_t)exchanges * req > EF_BYTES_MAX / 2)
      req = EF_BYTES_MAX / 2 / exchanges;
    if ((uint64_t)exchanges * (req + resp) > EF_BYTES_MAX)
      resp = EF_BYTES_MAX / exchanges - req;

    memset(&s, 0, sizeof(s));
    s.port = EF_APP_PORT;
    s.backlog = 65535;
    s.request = req;
    s.response = resp;
    s.base_resp = EF_BASE_B;
    s.expect_conns = d->conns;
    s.expect_bytes = (uint64_t)d->conns * d->rounds * req;
    s.pattern = d->pat;
    s.hooks = none;
    rv = psim_reqresp_server_new(&d->rr, d->node[SIDE_B], &s);
    if (rv != 0)
      return rv;
    memset(&m, 0, sizeof(m));
    m.dst = b;
    m.port = EF_APP_PORT;
    m.conns = d->conns;
    m.request = req;
    m.response = resp;
    m.rounds = d->rounds;
    m.base_resp = EF_BASE_B;
    m.start = 0;
    m.interval = 100 * PTCP_MICROSECONDS;
    m.hold = (d->pflags & EF_P_HOLD) != 0;
    m.pattern = d->pat;
    m.hooks = none;
    if (m.hold) {
      m.hooks.ctx = d;
      m.on_all_ready = many_ready;
    }
    rv = psim_many_new(&d->many, d->node[SIDE_A], &m);
    return rv;
  }
  default:
    return 0;
  }
}

static void end_of_input(psim_sched *sched, ptcp_time now, void *a, void *b);

/* Reads the records into the timeline and the fate queues. */
static void decode(e2e *d, fuzz_input *in, ptcp_duration one_way) {
  ptcp_time t = 0;
  size_t cap = in->n + 1;

  d->acts = calloc(cap, sizeof(*d->acts));
  d->fq[0].v = calloc(cap, sizeof(fate_ent));
  d->fq[1].v = calloc(cap, sizeof(fate_ent));
  if (d->acts == NULL || d->fq[0].v == NULL || d->fq[1].v == NULL) {
    fprintf(stderr, "e2e: out of memory\n");
    abort();
  }
  while (!fuzz_empty(in)) {
    uint8_t op = fuzz_u8(in);
    unsigned code = (op & 15u) % EF_OP_COUNT;
    action *ac;

    d->sum->records++;
    if (code == EF_OP_WAIT) {
      ptcp_duration dt = fuzz_u8(in) * ef_wait_units[(op >> 4) & 7u];
      t = t + dt > EF_INPUT_TIME_MAX ? EF_INPUT_TIME_MAX : t + dt;
      continue;
    }
    if (code == EF_OP_FATES) {
      read_fates(d, in, (op & EF_OP_SIDE) ? 1u : 0u, one_way);
      continue;
    }
    ac = &d->acts[d->nacts];
    ac->d = d;
    ac->at = t;
    ac->index = d->sum->records;
    ac->op = (uint8_t)code;
    ac->side = (op & EF_OP_SIDE) ? SIDE_B : SIDE_A;
    ac->slot = (uint8_t)((op >> EF_OP_SLOT_SHIFT) & 3u);
    ac->variant = (op & EF_OP_VARIANT) != 0;
    switch (code) {
    case EF_OP_CONNECT:
    case EF_OP_LISTEN:
    case EF_OP_ACCEPT:
    case EF_OP_SHUTDOWN:
      ac->b = fuzz_u8(in);
      break;
    case EF_OP_SEND:
    case EF_OP_RECV:
      ac->x = fuzz_u16(in);
      break;
    case EF_OP_AUTO:
      ac->b = fuzz_u8(in);
      ac->x = fuzz_u16(in);
      ac->y = fuzz_u16(in);
      break;
    default:
      break;
    }
    if (psim_sched_at(d->sched, t, e2e_act_event, d, ac, NULL) != 0) {
      fprintf(stderr, "e2e: out of memory\n");
      abort();
    }
    d->nacts++;
  }
  d->input_end = t;
  if (psim_sched_at(d->sched, t, end_of_input, d, NULL, NULL) != 0) {
    fprintf(stderr, "e2e: out of memory\n");
    abort();
  }
}

/* ------------------------------------------------------------------ */
/* Phases                                                              */

static void end_of_input(psim_sched *sched, ptcp_time now, void *a, void *b) {
  e2e *d = a;

  (void)sched;
  (void)now;
  (void)b;
  d->phase = PH_FINISH;
  e2e_note(d, "driver", "phase", "input over: the link is perfect from now on");
  for (int side = 0; side < 2; side++)
    for (unsigned i = 0; i < EF_SLOTS; i++) {
      uslot *u = &d->slot[side][i];
      if (u->sock == NULL)
        continue;
      u->finishing = 1;
      if (u->listener) {
        e2e_accept_all(d, u);
        continue;
      }
      /* A connection that already ended may still hold data and its
       * end of stream; so may one that never reported being connected
       * (shut down while its handshake was under way, it completed the
       * handshake in FIN-WAIT-1 and got its peer's FIN). */
      if (!u->failed)
        e2e_do_read(d, u, SIZE_MAX, 1);
      e2e_step(d, u);
    }
}

/* No connection doing anything: closed, in TIME-WAIT or listening. */
static int quiet(const e2e *d) {
  for (unsigned i = 0; i < d->ntrk; i++)
    if (d->trk[i].conn != NULL && d->trk[i].state != PTCP_CLOSED &&
        d->trk[i].state != PTCP_TIME_WAIT && d->trk[i].state != PTCP_LISTEN)
      return 0;
  return 1;
}

static int empty_stacks(const e2e *d) {
  for (int side = 0; side < 2; side++) {
    ptcp_stack_stats st;
    ptcp_stack_stats_get(psim_node_stack(d->node[side]), &st);
    if (st.conns != 0 || st.time_wait != 0 || st.listeners != 0)
      return 0;
  }
  return 1;
}

static void close_everything(e2e *d) {
  d->phase = PH_CLOSE;
  e2e_note(d, "driver", "phase", "closing every socket and application");
  /* A connection that ended in order on this side has been read to its
   * end: its peer's FIN came after all its data. */
  for (int side = 0; side < 2; side++)
    for (unsigned i = 0; i < EF_SLOTS; i++) {
      uslot *u = &d->slot[side][i];
      if (u->sock == NULL || u->listener || !u->closed || u->closed_err != 0 ||
          u->shut_rd)
        continue;
      CK(u->eof,
         "%s slot %u: the connection closed in order, but the stream was not read "
         "to its end (%llu bytes read)",
         e2e_side_name[side], i, (unsigned long long)u->rx_off);
    }
  for (int side = 0; side < 2; side++)
    for (unsigned i = 0; i < EF_SLOTS; i++)
      e2e_user_close(d, &d->slot[side][i], 0);
  e2e_check_apps(d);
  if (d->bulk != NULL)
    d->sum->bytes_read += psim_bulk_stats(d->bulk)->bytes_received;
  if (d->sink != NULL)
    d->sum->bytes_read += psim_sink_stats(d->sink)->bytes_received;
  if (d->esrv != NULL)
    d->sum->bytes_read += psim_echo_server_stats(d->esrv)->bytes_received;
  if (d->ecli != NULL)
    d->sum->bytes_read += psim_echo_client_stats(d->ecli)->bytes_received;
  if (d->rr != NULL)
    d->sum->bytes_read += psim_reqresp_server_stats(d->rr)->bytes_received;
  if (d->many != NULL)
    d->sum->bytes_read += psim_many_stats(d->many)->bytes_received;
  psim_bulk_del(d->bulk);
  psim_sink_del(d->sink);
  psim_echo_client_del(d->ecli);
  psim_echo_server_del(d->esrv);
  psim_many_del(d->many);
  psim_reqresp_server_del(d->rr);
  d->bulk = NULL;
  d->sink = NULL;
  d->ecli = NULL;
  d->esrv = NULL;
  d->many = NULL;
  d->rr = NULL;
}

/* Runs the scheduler through the three phases, checking as it goes. */
static void run_all(e2e *d, ptcp_duration close_time) {
  ptcp_time finish_by = PTCP_TIME_NONE, close_by = PTCP_TIME_NONE;

  for (;;) {
    ptcp_time next = psim_sched_next(d->sched);
    int rv;

    if (d->phase == PH_FINISH) {
      if (finish_by == PTCP_TIME_NONE)
        finish_by = psim_sched_now(d->sched) + E2E_FINISH_TIME;
      if (quiet(d) || next == PTCP_TIME_NONE || next > finish_by)
        close_everything(d);
    }
    if (d->phase == PH_CLOSE) {
      if (close_by == PTCP_TIME_NONE)
        close_by = psim_sched_now(d->sched) + close_time;
      next = psim_sched_next(d->sched);
      if (empty_stacks(d) || next == PTCP_TIME_NONE || next > close_by)
        break;
    }
    rv = psim_sched_step(d->sched);
    CK(rv >= 0, "the simulation stopped: %s", psim_strerror(rv));
    if (rv == 0)
      continue;
    d->events++;
    CK(d->events <= E2E_EVENTS_MAX, "more than %u events: the run does not settle",
       E2E_EVENTS_MAX);
    if (psim_sched_now(d->sched) == d->last_t) {
      d->same_instant++;
      CK(d->same_instant <= E2E_SAME_INSTANT_MAX,
         "more than %u events at one instant: simulated time stands still",
         E2E_SAME_INSTANT_MAX);
    } else {
      d->last_t = psim_sched_now(d->sched);
      d->same_instant = 0;
    }
    e2e_check_apps(d);
  }
  e2e_check_end(d);
}

/* ------------------------------------------------------------------ */
/* The run                                                             */

/* The oracles assume what TCP assumes of ISNs (RFC 9293 §3.4.1): a
 * clock-driven generator keeps two incarnations of a 4-tuple apart, so
 * that an old duplicate of one is not taken by the next (a passive side
 * that went CLOSED accepts an old SYN, and then the old ACK and data
 * that followed it, when its new ISS is the old one).  Policies that
 * repeat ISNs void that, and the stream oracles would then flag what
 * TCP allows: so the e2e target keeps "fixed", "counter" and "random"
 * (a permutation, no clock) out, taking the default rfc6528 instead, and
 * rfc793 at its 4 us clock (the selectors may pick any offset).  The
 * conn and policy targets drive all of them.  Returns 0 for the
 * default; may clear selectors in |sel|. */
static int isn_keeps_incarnations_apart(const ptcp_policy_info *info,
                                        uint8_t sel[EF_PARAMS_PER_SLOT]) {
  if (strcmp(info->name, "rfc793") == 0) {
    for (size_t i = 0; i < info->nparams && i < EF_PARAMS_PER_SLOT; i++)
      if (strcmp(info->params[i].name, "tick") == 0)
        sel[i] = 0;
    return 1;
  }
  return strcmp(info->name, "rfc6528") == 0;
}

static void run_once(const uint8_t *data, size_t size, const e2e_observer *obs,
                     e2e_summary *sum) {
  uint8_t h[EF_HDR_LEN];
  fuzz_input in = {data, size};
  e2e *d;
  psim_pool_cfg pc;
  psim_link_cfg lc;
  ptcp_conn_cfg ca, cb;
  ptcp_duration close_time;
  uint64_t seed;
  size_t nt;
  const ptcp_transition *tt = ptcp_transitions(&nt);
  int rv;

  memset(sum, 0, sizeof(*sum));
  memset(h, 0, sizeof(h));
  for (size_t i = 0; i < EF_HDR_LEN; i++)
    h[i] = fuzz_u8(&in);
  d = calloc(1, sizeof(*d));
  if (d == NULL)
    abort();
  d->obs = obs;
  d->sum = sum;
  d->digest = 0xcbf29ce484222325ULL;
  for (int s = 0; s < 2; s++)
    for (unsigned i = 0; i < EF_SLOTS; i++) {
      d->slot[s][i].d = d;
      d->slot[s][i].side = (uint8_t)s;
      d->slot[s][i].idx = (uint8_t)i;
      e2e_slot_reset(&d->slot[s][i]);
    }
  for (size_t i = 0; i < nt; i++)
    d->allowed[tt[i].from][tt[i].to] = 1;
  d->addr[SIDE_A] = ptcp_addr_v4(10, 0, 0, 1);
  d->addr[SIDE_B] = ptcp_addr_v4(10, 0, 0, 2);

  seed = (uint64_t)h[2] << 8 | h[3];
  d->prog = h[1] % EF_PROG_COUNT;
  d->bytes = ef_bytes((uint32_t)h[EF_H_BYTES] << 24 | (uint32_t)h[EF_H_BYTES + 1] << 16 |
                      (uint32_t)h[EF_H_BYTES + 2] << 8 | h[EF_H_BYTES + 3]);
  d->t1 = (ptcp_duration)((unsigned)h[EF_H_T1] << 8 | h[EF_H_T1 + 1]) * PTCP_MILLISECONDS;
  d->t2 = (ptcp_duration)((unsigned)h[EF_H_T2] << 8 | h[EF_H_T2 + 1]) * PTCP_MILLISECONDS;
  d->t3 = (ptcp_duration)((unsigned)h[EF_H_T3] << 8 | h[EF_H_T3 + 1]) * PTCP_MILLISECONDS;
  d->pflags = h[EF_H_PFLAGS];
  d->conns = 1u + (h[EF_H_COUNT] & 15u);
  d->rounds = 1u + (h[EF_H_COUNT] >> 4);

  for (int slot = 0; slot < PTCP_SLOT_COUNT; slot++) {
    const uint8_t *ps = h + EF_H_POLICY(slot);
    size_t cnt = ptcp_registry_count(registry(), (ptcp_slot)slot);
    const ptcp_policy_info *info;
    uint8_t sel[EF_PARAMS_PER_SLOT];

    d->specs[slot][0] = '\0';
    if (ps[0] == 0 || cnt == 0)
      continue;
    info = ptcp_registry_get(registry(), (ptcp_slot)slot, (size_t)(ps[0] - 1u) % cnt);
    memcpy(sel, ps + 1, sizeof(sel));
    if (slot == PTCP_SLOT_ISN && !isn_keeps_incarnations_apart(info, sel))
      continue; /* the default, rfc6528 */
    cf_policy_spec(d->specs[slot], sizeof(d->specs[slot]), info, sel, EF_PARAMS_PER_SLOT);
  }
  conn_cfg(&ca, h, h[7]);
  conn_cfg(&cb, h, h[8]);
  {
    ptcp_duration ba =
        close_bound(d->specs[PTCP_SLOT_CLOSE][0] ? d->specs[PTCP_SLOT_CLOSE] : NULL, &ca,
                    &d->fw2_unbounded);
    ptcp_duration bb =
        close_bound(d->specs[PTCP_SLOT_CLOSE][0] ? d->specs[PTCP_SLOT_CLOSE] : NULL, &cb,
                    &d->fw2_unbounded);
    close_time = ba > bb ? ba : bb;
  }

  /* As psim_run builds a scenario. */
  rv = psim_sched_new(&d->sched, NULL, 0);
  if (rv == 0) {
    memset(&pc, 0, sizeof(pc));
    pc.limit = 1u << 20;
    pc.buf_size = (PTCP_IPV4_HDR_LEN + PTCP_HDR_MAX + ca.mss + 63u) / 64u * 64u;
    rv = psim_pool_new(&d->pool, NULL, &pc);
  }
  if (rv != 0) {
    fprintf(stderr, "e2e: out of memory\n");
    abort();
  }
  if (e2e_noting(d)) {
    e2e_note(
        d, "driver", "settings",
        "program %u, seed %llu, %llu bytes, link %llu bit/s %.6f s queue %u, mss %u, "
        "A bufs %u/%u, B bufs %u/%u, msl %.3f s, policies %s %s %s %s %s",
        d->prog, (unsigned long long)seed, (unsigned long long)d->bytes,
        (unsigned long long)ef_rates[h[4] & 7u],
        (double)ef_delays[(h[4] >> 4) & 7u] / 1e9, ef_queues[h[5] & 3u], ca.mss,
        ca.sndbuf, ca.rcvbuf, cb.sndbuf, cb.rcvbuf, (double)ca.msl / 1e9,
        d->specs[0][0] ? d->specs[0] : "-", d->specs[1][0] ? d->specs[1] : "-",
        d->specs[2][0] ? d->specs[2] : "-", d->specs[3][0] ? d->specs[3] : "-",
        d->specs[4][0] ? d->specs[4] : "-");
  }
  if (node_make(d, SIDE_B, &cb, seed) != 0 || node_make(d, SIDE_A, &ca, seed) != 0) {
    sum->setup_failed = 1;
    goto out;
  }
  memset(&lc, 0, sizeof(lc));
  lc.name = "link0";
  lc.seed = seed;
  for (unsigned dir = 0; dir < 2; dir++) {
    psim_link_dir_cfg_init(&lc.dir[dir]);
    lc.dir[dir].rate_bps = ef_rates[h[4] & 7u];
    lc.dir[dir].delay = ef_delays[(h[4] >> 4) & 7u];
    lc.dir[dir].queue_limit = ef_queues[h[5] & 3u];
  }
  rv = psim_link_new(&d->link, d->sched, d->pool, &lc, NULL);
  if (rv == 0)
    rv = psim_node_add_iface(d->node[SIDE_A], d->link, PSIM_LINK_A, NULL);
  if (rv >= 0)
    rv = psim_node_add_iface(d->node[SIDE_B], d->link, PSIM_LINK_B, &d->addr[SIDE_A]);
  CK(rv >= 0, "cannot build the link: %s", ptcp_err_name(rv));
  psim_link_set_trace(d->link, e2e_on_link, d);
  psim_link_set_fate(d->link, on_fate, d);
  if (obs != NULL && obs->setup != NULL)
    obs->setup(obs->ctx, d->node[SIDE_A], d->node[SIDE_B], d->link);
  d->pat = pattern(seed);

  rv = start_apps(d);
  e2e_note(d, "driver", "applications", "%s", rv ? ptcp_err_name(rv) : "started");
  CK(rv == 0, "the program's applications could not start: %s", ptcp_err_name(rv));
  decode(d, &in, lc.dir[0].delay);
  sum->input_end = d->input_end;
  run_all(d, close_time);
  sum->end = psim_sched_now(d->sched);

out:
  sum->events = d->events;
  sum->digest = d->digest;
  psim_bulk_del(d->bulk);
  psim_sink_del(d->sink);
  psim_echo_client_del(d->ecli);
  psim_echo_server_del(d->esrv);
  psim_many_del(d->many);
  psim_reqresp_server_del(d->rr);
  for (int s = 0; s < 2; s++)
    for (unsigned i = 0; i < EF_SLOTS; i++)
      if (d->slot[s][i].sock != NULL)
        psim_sock_close(d->slot[s][i].sock);
  /* Nodes detach themselves from the link: they go first. */
  psim_node_del(d->node[SIDE_A]);
  psim_node_del(d->node[SIDE_B]);
  psim_link_del(d->link);
  psim_pool_del(d->pool);
  psim_sched_del(d->sched);
  free(d->acts);
  free(d->fq[0].v);
  free(d->fq[1].v);
  free(d);
}

void e2e_run(const uint8_t *data, size_t size, const e2e_observer *obs, int twice,
             e2e_summary *sum) {
  run_once(data, size, obs, sum);
  if (twice || (size > 0 && (data[0] & EF_H_TWICE) == EF_H_TWICE)) {
    e2e_summary again;
    run_once(data, size, NULL, &again);
    if (again.digest != sum->digest || again.events != sum->events ||
        again.packets[0] != sum->packets[0] || again.packets[1] != sum->packets[1]) {
      if (obs != NULL && obs->failure != NULL)
        obs->failure(obs->ctx, sum->end,
                     "the same input ran differently the second time");
      fprintf(stderr,
              "e2e oracle failed: the same input ran differently the second time "
              "(digest %016llx vs %016llx, %llu vs %llu events)\n",
              (unsigned long long)sum->digest, (unsigned long long)again.digest,
              (unsigned long long)sum->events, (unsigned long long)again.events);
      abort();
    }
  }
}

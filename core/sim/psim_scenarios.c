/*
 * plugsim: the named scenarios, as data: what each starts, when it is
 * over, and what must hold for it to pass.
 *
 * Expectations are about outcomes (states reached, errors reported,
 * every byte delivered and checked), so that they hold on any link the
 * user sets up and under any correct policy.  Where an outcome depends
 * on a policy's decision (how long TIME-WAIT lasts, whether a FIN in
 * TIME-WAIT restarts it) the expectation asks the policy itself, through
 * its ops, exactly as the engine does.  Scripted scenarios also check
 * that the script hit the packet it was meant for, so that an engine
 * change that moves packets around makes them fail instead of passing
 * vacuously.
 */
#include <errno.h>
#include <string.h>

#include "psim_scenario_int.h"

#define KB 1000ull
#define MB (1000ull * 1000ull)
#define SERVER_PORT 80u
#define ECHO_PORT 7u

/* ------------------------------------------------------------------ */
/* Shared pieces                                                       */

static ptcp_addr server_addr(const run *r) { return *psim_node_addr(r->server); }
static ptcp_addr client_addr(const run *r) { return *psim_node_addr(r->client); }
static ptcp_time now(const run *r) { return psim_sched_now(r->sched); }

static int start_sink(run *r, uint64_t expect, uint64_t abort_after,
                      ptcp_time read_from) {
  psim_sink_cfg c;
  int rv;

  memset(&c, 0, sizeof(c));
  c.port = SERVER_PORT;
  c.expect_bytes = expect;
  c.abort_after = abort_after;
  c.read_from = read_from;
  c.pattern = r->pat;
  c.hooks = r->hooks;
  rv = psim_sink_new(&r->sink, r->server, &c);
  if (rv == 0)
    r->apps++;
  return rv;
}

static void bulk_cfg(run *r, psim_bulk_cfg *c) {
  memset(c, 0, sizeof(*c));
  c->dst = server_addr(r);
  c->port = SERVER_PORT;
  c->bytes = r->bytes;
  c->start = now(r);
  c->pattern = r->pat;
  c->hooks = r->hooks;
}

static int start_bulk(run *r, const psim_bulk_cfg *c) {
  int rv = psim_bulk_new(&r->bulk, r->client, c);
  if (rv == 0)
    r->apps++;
  return rv;
}

/* The client's initial RTO, as its rto policy sets it (RFC 6298 §2.1
 * for the default), clamped as the engine clamps it. */
static ptcp_duration initial_rto(const run *r) {
  const ptcp_rto_ops *ops = (const ptcp_rto_ops *)r->sel[PTCP_SLOT_RTO].ops;
  const void *params = r->sel[PTCP_SLOT_RTO].params;
  uint64_t small[64];
  void *state = small;
  ptcp_duration rto = PTCP_SECONDS;

  if (ops->info.state_size > sizeof(small))
    state = r->mem->calloc(1, ops->info.state_size, r->mem->user_data);
  else
    memset(small, 0, sizeof(small));
  if (state != NULL && ops->init(state, params, 0) == 0) {
    rto = ops->rto(state, params);
    if (ops->release != NULL)
      ops->release(state);
  }
  if (state != small)
    r->mem->free(state, r->mem->user_data);
  if (rto < PTCP_RTO_FLOOR)
    rto = PTCP_RTO_FLOOR;
  if (rto > PTCP_RTO_CEIL)
    rto = PTCP_RTO_CEIL;
  return rto;
}

/* TIME-WAIT's length under the close policy, clamped as the engine does. */
static ptcp_duration time_wait_length(const run *r) {
  const ptcp_close_ops *ops = (const ptcp_close_ops *)r->sel[PTCP_SLOT_CLOSE].ops;
  ptcp_duration msl = r->conn_cfg.msl;
  ptcp_duration d = ops->time_wait(r->sel[PTCP_SLOT_CLOSE].params, msl);

  return d > 4 * msl ? 4 * msl : d;
}

static const char *errname(int err) { return err ? psim_errno_name(err) : "none"; }

static int settled(ptcp_state st) { return st == PTCP_CLOSED || st == PTCP_TIME_WAIT; }

/*
 * The connection ended in order: no errors, the active closer went
 * through FIN-WAIT-1 and TIME-WAIT, the passive one through CLOSE-WAIT
 * and LAST-ACK to CLOSED (RFC 9293 §3.6 case 1).
 */
static void check_orderly(run *r, int active) {
  static const ptcp_state act[] = {PTCP_FIN_WAIT_1, PTCP_TIME_WAIT};
  static const ptcp_state pas[] = {PTCP_CLOSE_WAIT, PTCP_LAST_ACK, PTCP_CLOSED};
  const char *name[2] = {"client", "server"};
  ptcp_state fin[2] = {r->res->final_client, r->res->final_server};

  for (int s = 0; s < 2; s++)
    if (run_side_error(r, s) != 0)
      run_fail(r, "the %s failed with %s", name[s], errname(run_side_error(r, s)));
  if (!run_hist_order(r, active, act, 2))
    run_fail(r, "the %s (closing first) did not pass FIN-WAIT-1 then TIME-WAIT",
             name[active]);
  if (!run_hist_order(r, active ^ 1, pas, 3))
    run_fail(r, "the %s (closing second) did not pass CLOSE-WAIT, LAST-ACK, CLOSED",
             name[active ^ 1]);
  if (!settled(fin[0]) || !settled(fin[1]))
    run_fail(r, "the connection did not end: client %s, server %s",
             ptcp_state_name(fin[0]), ptcp_state_name(fin[1]));
}

/* What a script rule hit, as the link parsed it. */
static int check_scripted(run *r, unsigned dir, const char *what, uint8_t flags_all,
                          uint8_t flags_none, int want_data) {
  for (unsigned i = 0; i < r->nscripted; i++) {
    if (r->scripted[i].dir != dir)
      continue;
    if ((r->scripted[i].flags & flags_all) == flags_all &&
        !(r->scripted[i].flags & flags_none) &&
        (want_data < 0 || (want_data > 0) == (r->scripted[i].len > 0)))
      return 1;
    {
      char f[16];
      run_fail(r, "the script meant to hit %s hit a [%s] segment with %u bytes instead",
               what, ptcp_seg_flags_str(r->scripted[i].flags, f, sizeof(f)),
               (unsigned)r->scripted[i].len);
    }
    return 0;
  }
  run_fail(r, "the script meant to hit %s never fired", what);
  return 0;
}

/* No impairment: every packet arrives, once, intact, after exactly the
 * propagation delay (plus queueing). */
static int link_clean(const run *r) {
  const psim_link_dir_cfg *l = &r->link;
  return l->loss == 0 && l->ge.p == 0 && l->ge.loss_good == 0 && l->duplicate == 0 &&
         l->reorder == 0 && l->corrupt == 0 && l->jitter == 0 &&
         (l->delay_profile.shape == PSIM_DELAY_NONE || l->delay_profile.amplitude == 0);
}

/* ------------------------------------------------------------------ */
/* bulk                                                                */

static int setup_bulk(run *r) {
  psim_bulk_cfg c;
  int rv = start_sink(r, r->bytes, 0, 0);

  if (rv != 0)
    return rv;
  bulk_cfg(r, &c);
  return start_bulk(r, &c);
}

static void check_bulk(run *r) { check_orderly(r, SIDE_CLIENT); }

/* ------------------------------------------------------------------ */
/* handshake: RFC 9293 figure 6, then the four-way close (figure 12)    */

static void check_handshake(run *r) {
  static const ptcp_state c_open[] = {PTCP_SYN_SENT, PTCP_ESTABLISHED};
  static const ptcp_state s_open[] = {PTCP_SYN_RECEIVED, PTCP_ESTABLISHED};
  const seglog *s = r->segs;
  ptcp_time tc = run_hist_time(r, SIDE_CLIENT, PTCP_ESTABLISHED);
  ptcp_time ts = run_hist_time(r, SIDE_SERVER, PTCP_ESTABLISHED);

  if (!run_hist_order(r, SIDE_CLIENT, c_open, 2))
    run_fail(r, "the client did not go SYN-SENT -> ESTABLISHED");
  if (!run_hist_order(r, SIDE_SERVER, s_open, 2))
    run_fail(r, "the server did not go SYN-RECEIVED -> ESTABLISHED");
  if (tc == PTCP_TIME_NONE || ts == PTCP_TIME_NONE || tc >= ts)
    run_fail(r, "the client must be ESTABLISHED before the server (it is the one the "
                "SYN,ACK reaches first)");
  /* The three segments, in order, with the sequence numbers they must carry. */
  if (r->nsegs < 3 || s[0].side != SIDE_CLIENT || s[0].flags != PTCP_SYN ||
      s[1].side != SIDE_SERVER || s[1].flags != (PTCP_SYN | PTCP_ACK) ||
      s[1].ack != s[0].seq + 1u || s[2].side != SIDE_CLIENT ||
      (s[2].flags & (PTCP_SYN | PTCP_ACK)) != PTCP_ACK || s[2].seq != s[0].seq + 1u ||
      s[2].ack != s[1].seq + 1u)
    run_fail(r,
             "the handshake was not <SYN seq=x>, <SYN,ACK seq=y ack=x+1>, <ACK seq=x+1 "
             "ack=y+1>");
  if (link_clean(r)) {
    ptcp_duration rtt = tc - r->segs[0].t;
    if (r->res->retransmissions != 0)
      run_fail(r, "%llu retransmissions on a clean link",
               (unsigned long long)r->res->retransmissions);
    if (rtt < 2 * r->link.delay || rtt > 2 * r->link.delay + PTCP_MILLISECONDS)
      run_fail(r,
               "the client took %.3f ms to connect on a clean link with %.3f ms of delay",
               (double)rtt / 1e6, (double)r->link.delay / 1e6);
  }
  check_orderly(r, SIDE_CLIENT);
}

/* ------------------------------------------------------------------ */
/* old-dup-syn                                                         */

/* The first SYN is held back past its retransmission and past the
 * handshake that the retransmission completes. */
static ptcp_duration old_syn_delay(const run *r) {
  return initial_rto(r) + 4 * r->link.delay + 500 * PTCP_MILLISECONDS;
}

static void script_old_dup_syn(run *r) {
  run_add_script(r, PSIM_LINK_A, PSIM_SCRIPT_DELAY, 1, old_syn_delay(r));
}

static int setup_old_dup_syn(run *r) {
  psim_bulk_cfg c;
  int rv = start_sink(r, r->bytes, 0, 0);

  if (rv != 0)
    return rv;
  bulk_cfg(r, &c);
  /* Data waits until the old SYN has come and gone. */
  c.send_at = old_syn_delay(r) + 2 * r->link.delay + PTCP_SECONDS;
  return start_bulk(r, &c);
}

static void check_old_dup_syn(run *r) {
  const psim_app_stats *sink = psim_sink_stats(r->sink);

  check_scripted(r, PSIM_LINK_A, "the client's first SYN", PTCP_SYN, PTCP_ACK, 0);
  if (r->syn_timeouts[SIDE_CLIENT] == 0)
    run_fail(r, "the client never retransmitted its SYN");
  if (r->syns_in < 2)
    run_fail(r, "the server saw %llu SYNs, not the retransmission and then the old one",
             (unsigned long long)r->syns_in);
  if (r->late_syn_verdict < 0)
    run_fail(r, "the old SYN did not reach the server's established connection");
  else if (r->late_syn_verdict == PTCP_VERDICT_ACCEPT ||
           r->late_syn_verdict == PTCP_VERDICT_RESET ||
           r->late_syn_verdict == PTCP_VERDICT_RST)
    run_fail(r, "the old SYN was taken (verdict %s): it must be acknowledged or dropped",
             ptcp_verdict_name((ptcp_verdict)r->late_syn_verdict));
  if (sink->conns_opened != 1)
    run_fail(r, "the server accepted %llu connections, not 1",
             (unsigned long long)sink->conns_opened);
  if (r->rst_sent[0] + r->rst_sent[1] != 0)
    run_fail(r, "a RST was sent");
  check_orderly(r, SIDE_CLIENT);
}

/* ------------------------------------------------------------------ */
/* lost-ack: the receiver gets the data again and re-ACKs it            */

static void script_lost_ack(run *r) {
  /* Server -> client: 1 is the SYN,ACK, 2 the ACK of the first data. */
  run_add_script(r, PSIM_LINK_B, PSIM_SCRIPT_DROP, 2, 0);
}

static int setup_lost_ack(run *r) {
  psim_bulk_cfg c;
  int rv = start_sink(r, r->bytes, 0, 0);

  if (rv != 0)
    return rv;
  bulk_cfg(r, &c);
  /* The FIN waits for the retransmission, so the data stands alone. */
  c.shutdown_delay = 4 * initial_rto(r) + PTCP_SECONDS;
  return start_bulk(r, &c);
}

static void check_lost_ack(run *r) {
  check_scripted(r, PSIM_LINK_B, "the server's ACK of the data", PTCP_ACK,
                 PTCP_SYN | PTCP_FIN | PTCP_RST, 0);
  if (r->res->timeouts == 0 || r->res->retransmissions == 0)
    run_fail(r, "the client did not time out and retransmit");
  if (r->reasons[SIDE_SERVER][PTCP_R_DUPLICATE] +
          r->reasons[SIDE_SERVER][PTCP_R_PARTIAL_DUPLICATE] ==
      0)
    run_fail(r, "the server never saw the data again as a duplicate");
  if (r->verdicts[SIDE_SERVER][PTCP_VERDICT_ACK] == 0)
    run_fail(r, "the server did not re-ACK the duplicate");
  if (r->res->spurious_retransmissions == 0)
    run_fail(r, "no spurious retransmission was counted");
  check_orderly(r, SIDE_CLIENT);
}

/* ------------------------------------------------------------------ */
/* lost-data                                                           */

static void script_lost_data(run *r) {
  /* Client -> server: SYN, ACK, then data; 8 is in the second flight. */
  run_add_script(r, PSIM_LINK_A, PSIM_SCRIPT_DROP, 8, 0);
}

static void check_lost_data(run *r) {
  check_scripted(r, PSIM_LINK_A, "a data segment", 0, PTCP_SYN | PTCP_RST, 1);
  if (r->res->retransmissions == 0)
    run_fail(r, "the lost segment was never retransmitted");
  if (r->reasons[SIDE_SERVER][PTCP_R_OUT_OF_ORDER] == 0)
    run_fail(r, "the server never held data beyond the hole");
  check_orderly(r, SIDE_CLIENT);
}

/* ------------------------------------------------------------------ */
/* simultaneous-open: RFC 9293 figure 7                                */

#define SO_CLIENT_PORT 5000u
#define SO_SERVER_PORT 6000u
#define SO_BASE_BACK 65536u

static int setup_simultaneous_open(run *r) {
  peer *c = &r->peers[r->npeers++], *s = &r->peers[r->npeers++];
  psim_sock *cs, *ss;
  ptcp_addr sa = server_addr(r), ca = client_addr(r);
  int rv;

  peer_start(r, c, r->client, SIDE_CLIENT);
  peer_start(r, s, r->server, SIDE_SERVER);
  c->send_bytes = s->send_bytes = r->bytes;
  c->expect_bytes = s->expect_bytes = r->bytes;
  c->st.tx_base = s->st.rx_base = 0;
  c->st.rx_base = s->st.tx_base = SO_BASE_BACK;
  rv = psim_sock_new(r->client, NULL, &cs);
  if (rv == 0 && (rv = psim_sock_new(r->server, NULL, &ss)) != 0)
    psim_sock_close(cs);
  if (rv != 0)
    return PTCP_ERR_NOMEM;
  if (psim_sock_bind(cs, NULL, SO_CLIENT_PORT) != 0 ||
      psim_sock_bind(ss, NULL, SO_SERVER_PORT) != 0) {
    psim_sock_close(cs);
    psim_sock_close(ss);
    return PTCP_ERR_ADDR_IN_USE;
  }
  /* Both at the same instant: the SYNs cross on the wire. */
  peer_connect(r, c, cs, &sa, SO_SERVER_PORT);
  peer_connect(r, s, ss, &ca, SO_CLIENT_PORT);
  return 0;
}

static void check_simultaneous_open(run *r) {
  static const ptcp_state seq[] = {PTCP_SYN_SENT, PTCP_SYN_RECEIVED, PTCP_ESTABLISHED};
  static const ptcp_state open[] = {PTCP_SYN_SENT, PTCP_ESTABLISHED};
  const char *name[2] = {"client", "server"};

  for (int side = 0; side < 2; side++) {
    /* On a clean link both SYNs cross.  On an impaired one a SYN may be
     * lost, and the other side then opens the ordinary way (the SYN,ACK
     * it gets answers its own SYN): that side skips SYN-RECEIVED. */
    if (link_clean(r) && !run_hist_order(r, side, seq, 3))
      run_fail(r, "the %s did not go SYN-SENT -> SYN-RECEIVED -> ESTABLISHED",
               name[side]);
    else if (!run_hist_order(r, side, open, 2))
      run_fail(r, "the %s did not go from SYN-SENT to ESTABLISHED", name[side]);
    if (r->peers[side].stats.conns_established != 1)
      run_fail(r, "the %s's connect did not complete", name[side]);
    if (run_side_error(r, side) != 0)
      run_fail(r, "the %s failed with %s", name[side], errname(run_side_error(r, side)));
  }
  if (!settled(r->res->final_client) || !settled(r->res->final_server))
    run_fail(r, "the connection did not end: client %s, server %s",
             ptcp_state_name(r->res->final_client),
             ptcp_state_name(r->res->final_server));
}

/* ------------------------------------------------------------------ */
/* simultaneous-close: RFC 9293 figure 13                              */

#define SC_CLOSE_AT PTCP_SECONDS

static int setup_simultaneous_close(run *r) {
  peer *c = &r->peers[r->npeers++], *s = &r->peers[r->npeers++];
  psim_sock *cs, *ls;
  ptcp_addr sa = server_addr(r);
  int rv;

  peer_start(r, c, r->client, SIDE_CLIENT);
  peer_start(r, s, r->server, SIDE_SERVER);
  c->send_bytes = s->expect_bytes = r->bytes;
  /* Data, if asked for, has a minute to get across first. */
  c->shutdown_at = s->shutdown_at = SC_CLOSE_AT + (r->bytes > 0 ? 60 * PTCP_SECONDS : 0);
  rv = psim_sock_new(r->server, NULL, &ls);
  if (rv != 0)
    return PTCP_ERR_NOMEM;
  if (psim_sock_bind(ls, NULL, SERVER_PORT) != 0 || psim_sock_listen(ls, 8) != 0) {
    psim_sock_close(ls);
    return PTCP_ERR_ADDR_IN_USE;
  }
  rv = peer_listen(r, s, ls);
  if (rv != 0)
    return rv;
  rv = psim_sock_new(r->client, NULL, &cs);
  if (rv != 0)
    return PTCP_ERR_NOMEM;
  return peer_connect(r, c, cs, &sa, SERVER_PORT);
}

static int finished_both_closed(run *r) {
  return r->apps_done >= r->apps && r->state[SIDE_CLIENT] == PTCP_CLOSED &&
         (!r->ever[SIDE_SERVER] || r->state[SIDE_SERVER] == PTCP_CLOSED);
}

static void check_simultaneous_close(run *r) {
  static const ptcp_state seq[] = {PTCP_FIN_WAIT_1, PTCP_CLOSING, PTCP_TIME_WAIT,
                                   PTCP_CLOSED};
  const char *name[2] = {"client", "server"};
  ptcp_duration tw = time_wait_length(r);

  for (int side = 0; side < 2; side++) {
    /* On a clean link the FINs cross.  On an impaired one a lost segment
     * may hold one side's FIN back (or its handshake, so that it shuts
     * down only once accepted): that side then closes the ordinary way. */
    if (link_clean(r) && !run_hist_order(r, side, seq, tw > 0 ? 4 : 2))
      run_fail(r, "the %s did not go FIN-WAIT-1 -> CLOSING -> TIME-WAIT -> CLOSED",
               name[side]);
    else if (r->state[side] != PTCP_CLOSED)
      run_fail(r, "the %s ended in %s, not CLOSED", name[side],
               ptcp_state_name(r->state[side]));
    else if (tw > 0 && r->tw_enter[side] != PTCP_TIME_NONE &&
             r->closed_at[side] - r->tw_enter[side] != tw)
      run_fail(r, "the %s stayed %.3f s in TIME-WAIT; the close policy says %.3f s",
               name[side], (double)(r->closed_at[side] - r->tw_enter[side]) / 1e9,
               (double)tw / 1e9);
    if (run_side_error(r, side) != 0)
      run_fail(r, "the %s failed with %s", name[side], errname(run_side_error(r, side)));
  }
}

/* ------------------------------------------------------------------ */
/* half-close                                                          */

static int setup_echo(run *r, int half_close) {
  psim_echo_server_cfg sc;
  psim_echo_client_cfg cc;
  int rv;

  memset(&sc, 0, sizeof(sc));
  sc.port = ECHO_PORT;
  sc.expect_bytes = r->bytes;
  sc.pattern = r->pat;
  sc.hooks = r->hooks;
  rv = psim_echo_server_new(&r->echo_srv, r->server, &sc);
  if (rv != 0)
    return rv;
  r->apps++;
  memset(&cc, 0, sizeof(cc));
  cc.dst = server_addr(r);
  cc.port = ECHO_PORT;
  cc.bytes = r->bytes;
  cc.start = now(r);
  cc.half_close = half_close;
  cc.pattern = r->pat;
  cc.hooks = r->hooks;
  rv = psim_echo_client_new(&r->echo_cli, r->client, &cc);
  if (rv == 0)
    r->apps++;
  return rv;
}

static int setup_half_close(run *r) { return setup_echo(r, 1); }

static void check_half_close(run *r) {
  /* The server answers after the client's FIN reached it ... */
  if (r->data_sent_in[SIDE_SERVER][PTCP_CLOSE_WAIT] +
          r->data_sent_in[SIDE_SERVER][PTCP_LAST_ACK] ==
      0)
    run_fail(r,
             "the server sent no data after the client's FIN (CLOSE-WAIT or LAST-ACK)");
  /* ... and the client takes it after its FIN was acknowledged (the
   * state a segment is traced in is the one it left the connection in:
   * data that came with the server's FIN shows as TIME-WAIT). */
  if (r->data_in[SIDE_CLIENT][PTCP_FIN_WAIT_2] +
          r->data_in[SIDE_CLIENT][PTCP_TIME_WAIT] ==
      0)
    run_fail(r, "the client took no data once its FIN was acknowledged (FIN-WAIT-2)");
  check_orderly(r, SIDE_CLIENT);
}

/* ------------------------------------------------------------------ */
/* time-wait                                                           */

static void script_time_wait(run *r) {
  /* Client -> server: SYN, ACK, FIN, then 4: the ACK of the server's FIN. */
  run_add_script(r, PSIM_LINK_A, PSIM_SCRIPT_DROP, 4, 0);
}

static int setup_time_wait(run *r) {
  psim_bulk_cfg c;
  int rv = start_sink(r, r->bytes, 0, 0);

  if (rv != 0)
    return rv;
  bulk_cfg(r, &c);
  c.close_at_end = 1; /* TIME-WAIT as a compact entry, as after close() */
  return start_bulk(r, &c);
}

static void check_time_wait(run *r) {
  const ptcp_close_ops *ops = (const ptcp_close_ops *)r->sel[PTCP_SLOT_CLOSE].ops;
  const void *params = r->sel[PTCP_SLOT_CLOSE].params;
  ptcp_duration tw = time_wait_length(r);
  ptcp_time enter = r->tw_enter[SIDE_CLIENT], closed = r->closed_at[SIDE_CLIENT];
  ptcp_time want;
  ptcp_tw_verdict v;
  ptcp_tw_ctx ctx;

  check_scripted(r, PSIM_LINK_A, "the client's last ACK", PTCP_ACK,
                 PTCP_SYN | PTCP_FIN | PTCP_RST, 0);
  if (run_side_error(r, SIDE_CLIENT) != 0)
    run_fail(r, "the client failed with %s", errname(run_side_error(r, SIDE_CLIENT)));
  if (enter == PTCP_TIME_NONE || closed == PTCP_TIME_NONE || closed < enter) {
    run_fail(r, "the client did not pass TIME-WAIT to CLOSED");
    return;
  }
  if (tw == 0) {
    if (closed != enter)
      run_fail(r, "TIME-WAIT of length 0 lasted %.3f s", (double)(closed - enter) / 1e9);
    return;
  }
  if (r->tw_fins == 0) {
    run_fail(r, "the server's retransmitted FIN never reached the client in TIME-WAIT");
    return;
  }
  /* What the close policy does with that FIN, asked as the engine asks. */
  memset(&ctx, 0, sizeof(ctx));
  ctx.seg = &r->tw_fin_seg;
  ctx.seg_len = 1;
  ctx.rcv_nxt = r->tw_fin_seg.seq + 1;
  ctx.now = r->tw_fin_at;
  v = ops->time_wait_segment(params, &ctx);
  if (v == PTCP_TW_REOPEN)
    v = PTCP_TW_DROP; /* only a SYN can reopen */
  switch (v) {
  case PTCP_TW_ACK:
    want = r->tw_fin_at + tw;
    break;
  case PTCP_TW_CLOSE:
    want = r->tw_fin_at;
    break;
  default:
    want = enter + tw;
    break;
  }
  if ((v == PTCP_TW_ACK || v == PTCP_TW_ACK_ONLY) !=
      (r->tw_fin_verdict == PTCP_VERDICT_ACK))
    run_fail(r, "the close policy %s the retransmitted FIN in TIME-WAIT, but it was %s",
             v == PTCP_TW_ACK || v == PTCP_TW_ACK_ONLY ? "re-ACKs" : "does not re-ACK",
             ptcp_verdict_name((ptcp_verdict)r->tw_fin_verdict));
  if (closed != want)
    run_fail(r,
             "the client left TIME-WAIT at %.6f s; the close policy (TIME-WAIT %.3f s%s) "
             "says %.6f s",
             (double)closed / 1e9, (double)tw / 1e9,
             v == PTCP_TW_ACK ? ", restarted by the FIN" : "", (double)want / 1e9);
  if (r->res->final_server != PTCP_CLOSED)
    run_fail(r, "the server ended in %s", ptcp_state_name(r->res->final_server));
  else if ((v == PTCP_TW_ACK || v == PTCP_TW_ACK_ONLY) &&
           run_side_error(r, SIDE_SERVER) != 0)
    run_fail(r, "the server failed with %s although its FIN was re-ACKed",
             errname(run_side_error(r, SIDE_SERVER)));
}

/* ------------------------------------------------------------------ */
/* refused                                                             */

static int setup_refused(run *r) {
  psim_bulk_cfg c;

  bulk_cfg(r, &c); /* nobody listens */
  return start_bulk(r, &c);
}

static void check_refused(run *r) {
  if (run_side_error(r, SIDE_CLIENT) != ECONNREFUSED)
    run_fail(r, "the client's connect ended with %s, not ECONNREFUSED",
             errname(run_side_error(r, SIDE_CLIENT)));
  if (r->reasons[SIDE_SERVER][PTCP_R_NO_CONNECTION] == 0 || r->rst_sent[SIDE_SERVER] == 0)
    run_fail(r, "the server did not answer the SYN with RST");
  if (run_hist_has(r, SIDE_CLIENT, PTCP_ESTABLISHED))
    run_fail(r, "the client reached ESTABLISHED");
  if (r->res->final_client != PTCP_CLOSED)
    run_fail(r, "the client ended in %s", ptcp_state_name(r->res->final_client));
}

/* ------------------------------------------------------------------ */
/* rst                                                                 */

static int setup_rst(run *r) {
  psim_bulk_cfg c;
  uint64_t cut = r->bytes / 4 > 0 ? r->bytes / 4 : 1;
  int rv = start_sink(r, cut, cut, 0);

  if (rv != 0)
    return rv;
  r->expect_prefix = 1;
  bulk_cfg(r, &c);
  return start_bulk(r, &c);
}

static void check_rst(run *r) {
  if (r->rst_sent[SIDE_SERVER] == 0)
    run_fail(r, "the server's abort sent no RST");
  if (run_side_error(r, SIDE_CLIENT) != ECONNRESET)
    run_fail(r, "the client ended with %s, not ECONNRESET",
             errname(run_side_error(r, SIDE_CLIENT)));
  if (r->verdicts[SIDE_CLIENT][PTCP_VERDICT_RESET] == 0)
    run_fail(r, "no RST reset the client's connection");
  if (r->res->final_client != PTCP_CLOSED || r->res->final_server != PTCP_CLOSED)
    run_fail(r, "the connection did not end in CLOSED: client %s, server %s",
             ptcp_state_name(r->res->final_client),
             ptcp_state_name(r->res->final_server));
}

/* ------------------------------------------------------------------ */
/* bind-in-use                                                         */

#define BIND_CLIENT_PORT 40000u

static int setup_bind_in_use(run *r) {
  psim_bulk_cfg c;
  psim_sock *s2, *ca, *cb;
  ptcp_addr elsewhere = ptcp_addr_v4(10, 9, 9, 9);
  int rv = start_sink(r, r->bytes, 0, 0);

  if (rv != 0)
    return rv;
  /* The listener holds port 80: a second socket cannot have it. */
  if (psim_sock_new(r->server, NULL, &s2) != 0)
    return PTCP_ERR_NOMEM;
  r->rv[0] = psim_sock_bind(s2, NULL, SERVER_PORT);
  psim_sock_close(s2);
  /* Two client sockets for one port: the second is refused. */
  if (psim_sock_new(r->client, NULL, &ca) != 0)
    return PTCP_ERR_NOMEM;
  r->rv[1] = psim_sock_bind(ca, NULL, BIND_CLIENT_PORT);
  if (psim_sock_new(r->client, NULL, &cb) != 0) {
    psim_sock_close(ca);
    return PTCP_ERR_NOMEM;
  }
  r->rv[2] = psim_sock_bind(cb, NULL, BIND_CLIENT_PORT);
  /* An address the node does not have. */
  psim_sock_close(cb);
  if (psim_sock_new(r->client, NULL, &cb) != 0) {
    psim_sock_close(ca);
    return PTCP_ERR_NOMEM;
  }
  r->rv[3] = psim_sock_bind(cb, &elsewhere, BIND_CLIENT_PORT + 1);
  psim_sock_close(cb);
  bulk_cfg(r, &c);
  c.sock = ca; /* the connection goes out from the port bound above */
  rv = start_bulk(r, &c);
  if (rv != 0)
    psim_sock_close(ca);
  return rv;
}

static void check_bind_in_use(run *r) {
  if (r->rv[0] != -EADDRINUSE)
    run_fail(r, "binding the listener's port again gave %s, not EADDRINUSE",
             r->rv[0] ? psim_errno_name(-r->rv[0]) : "success");
  if (r->rv[1] != 0)
    run_fail(r, "binding a free client port failed with %s", psim_errno_name(-r->rv[1]));
  if (r->rv[2] != -EADDRINUSE)
    run_fail(r, "binding a bound client port again gave %s, not EADDRINUSE",
             r->rv[2] ? psim_errno_name(-r->rv[2]) : "success");
  if (r->rv[3] != -EADDRNOTAVAIL)
    run_fail(r, "binding an address the node does not have gave %s, not EADDRNOTAVAIL",
             r->rv[3] ? psim_errno_name(-r->rv[3]) : "success");
  if (r->tuple_set && r->port[SIDE_CLIENT] != BIND_CLIENT_PORT)
    run_fail(r, "the connection left from port %u, not the bound %u",
             (unsigned)r->port[SIDE_CLIENT], BIND_CLIENT_PORT);
  check_orderly(r, SIDE_CLIENT);
}

/* ------------------------------------------------------------------ */
/* zero-window                                                         */

#define ZW_READ_FROM (5 * PTCP_SECONDS)

static int setup_zero_window(run *r) {
  psim_bulk_cfg c;
  int rv = start_sink(r, r->bytes, 0, ZW_READ_FROM);

  if (rv != 0)
    return rv;
  bulk_cfg(r, &c);
  return start_bulk(r, &c);
}

static void check_zero_window(run *r) {
  if (r->zero_window_sent[SIDE_SERVER] == 0)
    run_fail(r, "the server never advertised a zero window (rcvbuf %u)",
             (unsigned)r->server_cfg.rcvbuf);
  if (r->persist[SIDE_CLIENT] == 0)
    run_fail(r, "the client never probed the zero window (persist timer)");
  check_orderly(r, SIDE_CLIENT);
}

/* ------------------------------------------------------------------ */
/* echo, reqresp, many                                                 */

static int setup_echo_full(run *r) { return setup_echo(r, 0); }

static void check_echo(run *r) { check_orderly(r, SIDE_CLIENT); }

#define RR_REQUEST 100u

static void on_all_ready(void *ctx) {
  run *r = ctx;

  if (++r->many_ready < r->nmany)
    return;
  if (r->cfg->milestone != NULL)
    r->cfg->milestone(r->cfg->ctx, "all-established", now(r));
  for (unsigned i = 0; i < r->nmany; i++)
    psim_many_release(r->many[i]);
}

static int setup_many_common(run *r, uint32_t rounds, int hold) {
  psim_reqresp_server_cfg sc;
  psim_many_cfg mc;
  uint32_t left = r->conns;
  int rv;

  memset(&sc, 0, sizeof(sc));
  sc.port = SERVER_PORT;
  sc.backlog = 65535;
  sc.request = RR_REQUEST;
  sc.response = (uint32_t)(r->bytes > 0 && r->bytes <= UINT32_MAX ? r->bytes : 1);
  sc.base_resp = SO_BASE_BACK;
  sc.expect_conns = r->conns;
  sc.expect_bytes = (uint64_t)r->conns * rounds * RR_REQUEST;
  sc.pattern = r->pat;
  sc.hooks = r->hooks;
  rv = psim_reqresp_server_new(&r->rr_srv, r->server, &sc);
  if (rv != 0)
    return rv;
  r->apps++;
  for (unsigned i = 0; i < r->nclients; i++) {
    uint32_t n = (left + (r->nclients - i) - 1) / (r->nclients - i);
    memset(&mc, 0, sizeof(mc));
    mc.dst = server_addr(r);
    mc.port = SERVER_PORT;
    mc.conns = n;
    mc.request = RR_REQUEST;
    mc.response = sc.response;
    mc.rounds = rounds;
    mc.base_resp = SO_BASE_BACK;
    mc.start = now(r);
    mc.interval = 100 * PTCP_MICROSECONDS;
    mc.hold = hold;
    mc.pattern = r->pat;
    mc.hooks = r->hooks;
    mc.on_all_ready = hold ? on_all_ready : NULL;
    rv = psim_many_new(&r->many[r->nmany], r->clients[i], &mc);
    if (rv != 0)
      return rv;
    r->nmany++;
    r->apps++;
    left -= n;
  }
  return 0;
}

static int setup_reqresp(run *r) { return setup_many_common(r, 10, 0); }

static int setup_many(run *r) { return setup_many_common(r, 1, 1); }

static void check_many(run *r) {
  const psim_app_stats *srv = psim_reqresp_server_stats(r->rr_srv);
  psim_app_stats sum;
  uint64_t est = 0, done = 0;

  for (unsigned i = 0; i < r->nmany; i++) {
    est += psim_many_stats(r->many[i])->conns_established;
    done += psim_many_stats(r->many[i])->conns_done;
  }
  (void)run_app_sum(r, &sum);
  if (est != r->conns || done != r->conns || srv->conns_done != r->conns)
    run_fail(r,
             "of %u connections %llu were established, %llu clients and %llu server "
             "sides finished their exchanges and ended",
             (unsigned)r->conns, (unsigned long long)est, (unsigned long long)done,
             (unsigned long long)srv->conns_done);
  if (sum.conns_failed != 0)
    run_fail(r, "%llu connections failed (last with %s)",
             (unsigned long long)sum.conns_failed, errname(sum.last_error));
  check_orderly(r, SIDE_CLIENT);
}

/* ------------------------------------------------------------------ */
/* The table                                                           */

static const scenario scenarios[] = {
    {.info = {"bulk", "the client sends N bytes to a sink, then both close",
              "every byte arrives, checked; the client closes first (FIN-WAIT-1 ... "
              "TIME-WAIT), "
              "the server follows (CLOSE-WAIT, LAST-ACK, CLOSED); no errors",
              10 * MB},
     .default_loss = 0.01,
     .setup = setup_bulk,
     .check = check_bulk},
    {.info =
         {"handshake", "connect, then the four-way close, with no data",
          "<SYN>, <SYN,ACK>, <ACK> with the right sequence numbers; client SYN-SENT -> "
          "ESTABLISHED before server SYN-RECEIVED -> ESTABLISHED; on a clean link in "
          "one RTT with no retransmission; then an orderly close",
          0},
     .setup = setup_bulk,
     .check = check_handshake},
    {.info =
         {"old-dup-syn",
          "the first SYN is delayed past its retransmission and arrives after the "
          "handshake the retransmission completed",
          "the SYN is retransmitted; the old copy reaches the established server and is "
          "acknowledged or dropped, never taken as a new connection or a reset; one "
          "connection; the data arrives; orderly close",
          100 * KB},
     .script = script_old_dup_syn,
     .setup = setup_old_dup_syn,
     .check = check_old_dup_syn},
    {.info = {"lost-ack", "the ACK of the client's data is lost",
              "the client times out and retransmits; the server gets the data again, "
              "classes it duplicate and re-ACKs it; it is delivered once; orderly close",
              1 * KB},
     .script = script_lost_ack,
     .setup = setup_lost_ack,
     .check = check_lost_ack},
    {.info = {"lost-data", "one data segment of the second flight is lost",
              "the server holds the data after the hole; the segment is retransmitted; "
              "every byte arrives in order; orderly close",
              100 * KB},
     .script = script_lost_data,
     .setup = setup_bulk,
     .check = check_lost_data},
    {.info =
         {"simultaneous-open", "both ends connect to each other at the same instant",
          "each goes SYN-SENT -> SYN-RECEIVED -> ESTABLISHED (RFC 9293 figure 7; on an "
          "impaired link a lost SYN may make one side skip SYN-RECEIVED); N bytes each "
          "way arrive; both close without error",
          10 * KB},
     .setup = setup_simultaneous_open,
     .check = check_simultaneous_open},
    {.info =
         {"simultaneous-close", "both ends shut down at the same instant",
          "each goes FIN-WAIT-1 -> CLOSING -> TIME-WAIT -> CLOSED (RFC 9293 figure 13; "
          "on an impaired link a held-back FIN may make one side close the ordinary "
          "way) and stays in TIME-WAIT as long as the close policy says",
          0},
     .setup = setup_simultaneous_close,
     .finished = finished_both_closed,
     .check = check_simultaneous_close},
    {.info =
         {"half-close",
          "the client sends N bytes to an echo server and shuts down at once; the echo "
          "comes back over the half-closed connection",
          "the server sends after the client's FIN reached it, the client receives after "
          "its FIN was acknowledged (FIN-WAIT-2); the whole echo arrives, checked; "
          "orderly close",
          100 * KB},
     .setup = setup_half_close,
     .check = check_half_close},
    {.info =
         {"time-wait", "the client's last ACK is lost; the server retransmits its FIN",
          "the client (socket closed) re-ACKs the FIN in TIME-WAIT as the close policy "
          "says and leaves TIME-WAIT exactly when the policy says (2 MSL after the last "
          "FIN for rfc9293); the server ends CLOSED",
          0},
     .script = script_time_wait,
     .setup = setup_time_wait,
     .finished = finished_both_closed,
     .check = check_time_wait},
    {.info = {"refused", "the client connects to a port nobody listens on",
              "the server answers the SYN with RST; connect fails with ECONNREFUSED; the "
              "client ends CLOSED",
              1 * KB},
     .setup = setup_refused,
     .check = check_refused},
    {.info =
         {"rst", "the server aborts after a quarter of the data",
          "the server sends RST; the client's connection is reset (ECONNRESET); both end "
          "CLOSED; what arrived before is a checked prefix",
          1 * MB},
     .setup = setup_rst,
     .check = check_rst},
    {.info =
         {"bind-in-use", "binds that must fail, then a transfer",
          "a second bind of the listener's port and of a bound client port give "
          "EADDRINUSE, a foreign address EADDRNOTAVAIL; the transfer from the bound port "
          "arrives; orderly close",
          100 * KB},
     .setup = setup_bind_in_use,
     .check = check_bind_in_use},
    {.info =
         {"zero-window",
          "the sink (16 KiB receive buffer unless --rcvbuf) reads nothing for 5 s",
          "the server advertises a zero window, the client probes it (persist timer); "
          "nothing is lost; the transfer completes once the sink reads; orderly close",
          200 * KB},
     .server_rcvbuf = 16384,
     .setup = setup_zero_window,
     .check = check_zero_window},
    {.info = {"echo", "the client sends N bytes to an echo server and reads them back",
              "the whole echo arrives, checked; orderly close", 100 * KB},
     .setup = setup_echo_full,
     .check = check_echo},
    {.info = {"reqresp", "10 exchanges of a 100-byte request and an N-byte response",
              "every request and response arrives, checked; orderly close", 10 * KB},
     .setup = setup_reqresp,
     .check = check_many},
    {.info = {"many",
              "C concurrent connections (--conns), each one exchange of 100 bytes and N "
              "bytes, all held open until the last is ready",
              "all C connections are established at once, finish their exchange checked "
              "and close in order",
              10 * KB},
     .setup = setup_many,
     .check = check_many},
};

size_t run_scenario_count(void) { return sizeof(scenarios) / sizeof(scenarios[0]); }

const scenario *run_scenario_at(size_t i) {
  return i < run_scenario_count() ? &scenarios[i] : NULL;
}

const scenario *run_scenario_find(const char *name) {
  for (size_t i = 0; i < run_scenario_count(); i++)
    if (strcmp(scenarios[i].info.name, name) == 0)
      return &scenarios[i];
  return NULL;
}

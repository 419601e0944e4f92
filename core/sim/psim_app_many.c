/*
 * plugsim: many concurrent request/response clients on one node.
 *
 * Connection i connects at start + i * interval (one scheduler event
 * walks the list, so N connections cost one pending event, not N),
 * makes |rounds| exchanges of a |request|-byte request and a
 * |response|-byte response, checking every response byte, then shuts
 * down and reads to the end.  With |hold| it waits for
 * psim_many_release before shutting down, so that all N are open at
 * once (the scale runs measure memory at that point); the release lets
 * them go |interval| apart too.
 */
#include <errno.h>
#include <string.h>

#include "psim_app_int.h"

typedef struct many_conn {
  app_stream st;
  uint32_t round; /* exchanges completed */
  uint8_t ready;  /* all rounds done */
  uint8_t shut;
  uint8_t ended;
} many_conn;

struct psim_many {
  psim_node *node;
  psim_many_cfg cfg;
  ptcp_conn_cfg conn;
  many_conn *conns; /* cfg.conns entries */
  uint32_t next;    /* the next connection to open */
  uint32_t nready, nended;
  uint8_t released;
  uint32_t next_release; /* the next held connection to let go */
  psim_event start_ev, release_ev;
  psim_app_stats stats;
  uint8_t buf[APP_READ_CHUNK];
};

static void many_end(psim_many *m, many_conn *mc) {
  if (mc->ended)
    return;
  mc->ended = 1;
  if (++m->nended == m->cfg.conns)
    app_done(&m->stats, &m->cfg.hooks, psim_node_now(m->node));
}

static void many_fail(psim_many *m, many_conn *mc, int err) {
  app_stream_fail(&mc->st, err);
  if (mc->st.sock != NULL) {
    psim_sock_close(mc->st.sock);
    mc->st.sock = NULL;
  }
  many_end(m, mc);
}

static void many_shutdown(many_conn *mc) {
  if (mc->shut || mc->st.sock == NULL)
    return;
  mc->shut = 1;
  (void)psim_sock_shutdown(mc->st.sock, PSIM_SHUT_WR);
}

/* Sends what the current round owes and moves on when its response is
 * complete. */
static void many_step(psim_many *m, many_conn *mc) {
  const psim_many_cfg *c = &m->cfg;
  int rv;

  if (mc->ended || mc->st.failed)
    return;
  while (!mc->ready && mc->st.rx_off >= (uint64_t)(mc->round + 1) * c->response) {
    if (++mc->round == c->rounds) {
      mc->ready = 1;
      m->nready++;
      if (m->nready == c->conns && c->on_all_ready != NULL)
        c->on_all_ready(c->hooks.ctx);
      break;
    }
    mc->st.tx_limit = (uint64_t)(mc->round + 1) * c->request;
  }
  rv = app_stream_pump(&mc->st);
  if (rv < 0) {
    many_fail(m, mc, -rv);
    return;
  }
  /* Held ones are let go by many_release_step, in order; one that gets
   * ready after its turn goes at once. */
  if (mc->ready &&
      (!c->hold || (m->released && (uint32_t)(mc - m->conns) < m->next_release)))
    many_shutdown(mc);
}

static void many_on_connected(void *ctx, psim_sock *sock) {
  psim_many *m = ctx;
  many_conn *mc = psim_sock_user(sock);

  m->stats.conns_established++;
  many_step(m, mc);
}

static void many_on_ready(void *ctx, psim_sock *sock) {
  psim_many *m = ctx;
  many_conn *mc = psim_sock_user(sock);
  ptcp_ssize rv;

  if (mc->ended)
    return;
  rv = app_stream_read(&mc->st, m->buf, sizeof(m->buf));
  if (rv < 0) {
    many_fail(m, mc, (int)-rv);
    return;
  }
  many_step(m, mc);
}

static void many_on_error(void *ctx, psim_sock *sock, int err) {
  many_fail(ctx, psim_sock_user(sock), err);
}

static void many_on_closed(void *ctx, psim_sock *sock, int err) {
  psim_many *m = ctx;
  many_conn *mc = psim_sock_user(sock);

  if (err != 0) {
    many_fail(m, mc, err);
    return;
  }
  if (mc->ready && mc->st.eof && !mc->st.failed)
    m->stats.conns_done++;
  /* TIME-WAIT or CLOSED: the compact TIME-WAIT entry carries on alone. */
  psim_sock_close(mc->st.sock);
  mc->st.sock = NULL;
  many_end(m, mc);
}

static const psim_sock_cb many_cb = {
    .on_connected = many_on_connected,
    .on_readable = many_on_ready,
    .on_writable = many_on_ready,
    .on_error = many_on_error,
    .on_closed = many_on_closed,
};

static void many_open(psim_many *m, many_conn *mc) {
  ptcp_conn_status cs;
  uint64_t off;
  int rv;

  mc->st.pat = m->cfg.pattern;
  mc->st.stats = &m->stats;
  mc->st.hooks = &m->cfg.hooks;
  mc->st.verify = 1;
  mc->st.tx_limit = m->cfg.request;
  m->stats.conns_opened++;
  rv = psim_sock_new(m->node, m->cfg.conn != NULL ? &m->conn : NULL, &mc->st.sock);
  if (rv != 0) {
    many_fail(m, mc, -rv);
    return;
  }
  psim_sock_set_cb(mc->st.sock, &many_cb, m);
  psim_sock_set_user(mc->st.sock, mc);
  rv = psim_sock_connect(mc->st.sock, &m->cfg.dst, m->cfg.port);
  if (rv != 0) {
    many_fail(m, mc, -rv);
    return;
  }
  psim_sock_status(mc->st.sock, &cs);
  off = (uint64_t)cs.local_port * PSIM_REQRESP_CONN_STRIDE;
  mc->st.tx_base = m->cfg.base_req + off;
  mc->st.rx_base = m->cfg.base_resp + off;
}

static void many_start(psim_sched *s, ptcp_time now, void *a, void *b) {
  psim_many *m = a;

  (void)b;
  /* With no interval, open them all now (in order). */
  do {
    many_open(m, &m->conns[m->next++]);
  } while (m->next < m->cfg.conns && m->cfg.interval == 0);
  if (m->next < m->cfg.conns)
    (void)psim_sched_at(s, ptcp_time_add(now, m->cfg.interval), many_start, m, NULL,
                        &m->start_ev);
}

int psim_many_new(psim_many **pm, psim_node *node, const psim_many_cfg *cfg) {
  psim_many *m;

  if (pm == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  *pm = NULL;
  if (node == NULL || cfg == NULL || cfg->pattern == NULL || cfg->conns == 0 ||
      cfg->request == 0 || cfg->response == 0 || cfg->rounds == 0 ||
      cfg->start < psim_node_now(node))
    return PTCP_ERR_INVALID_ARGUMENT;
  m = app_alloc(node, sizeof(*m));
  if (m == NULL)
    return PTCP_ERR_NOMEM;
  m->node = node;
  m->cfg = *cfg;
  if (cfg->conn != NULL)
    m->conn = *cfg->conn;
  app_stats_init(&m->stats);
  m->stats.bytes_expected = (uint64_t)cfg->conns * cfg->rounds * cfg->response;
  m->conns = app_alloc(node, (size_t)cfg->conns * sizeof(*m->conns));
  if (m->conns == NULL || psim_sched_at(psim_node_sched(node), cfg->start, many_start, m,
                                        NULL, &m->start_ev) != 0) {
    app_free(node, m->conns);
    app_free(node, m);
    return PTCP_ERR_NOMEM;
  }
  *pm = m;
  return 0;
}

/* Lets held connections go one |interval| apart, as they came, so that
 * N FINs do not hit the link's queue at once. */
static void many_release_step(psim_sched *s, ptcp_time now, void *a, void *b) {
  psim_many *m = a;

  (void)b;
  do {
    many_conn *mc = &m->conns[m->next_release++];
    if (mc->ready)
      many_shutdown(mc);
  } while (m->next_release < m->next && m->cfg.interval == 0);
  if (m->next_release < m->next)
    (void)psim_sched_at(s, ptcp_time_add(now, m->cfg.interval), many_release_step, m,
                        NULL, &m->release_ev);
}

void psim_many_release(psim_many *m) {
  psim_sched *s = psim_node_sched(m->node);

  if (m->released)
    return;
  m->released = 1;
  if (m->next > 0)
    (void)psim_sched_at(s, psim_sched_now(s), many_release_step, m, NULL, &m->release_ev);
}

void psim_many_del(psim_many *m) {
  if (m == NULL)
    return;
  psim_sched_cancel(psim_node_sched(m->node), m->start_ev);
  psim_sched_cancel(psim_node_sched(m->node), m->release_ev);
  for (uint32_t i = 0; i < m->next; i++)
    if (m->conns[i].st.sock != NULL)
      psim_sock_close(m->conns[i].st.sock);
  app_free(m->node, m->conns);
  app_free(m->node, m);
}

const psim_app_stats *psim_many_stats(const psim_many *m) { return &m->stats; }
uint32_t psim_many_ready(const psim_many *m) { return m->nready; }

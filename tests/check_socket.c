/*
 * Tests for plugsim/node.h and plugsim/socket.h: two nodes on one link,
 * driven through the BSD-like socket API in simulated time.  Each error
 * path checks the errno value a BSD socket would give; the node tests
 * check routing, the input-error observer, the single timer event per
 * node, and that a node's randomness depends on its name and the seed
 * only.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include <plugsim/node.h>
#include <plugsim/socket.h>

#include "sim_test_util.h"

Suite *psim_socket_suite(void);

#define MS PTCP_MILLISECONDS
#define SEC PTCP_SECONDS

/* Two nodes, a (10.0.0.1) at the link's end A and b (10.0.0.2) at B. */
typedef struct net {
  psim_sched *sched;
  psim_pool *pool;
  psim_link *link;
  psim_node *a, *b;
} net;

/* What the callbacks saw, per socket role. */
typedef struct seen {
  int accept, connected, readable, writable, peer_fin, error, closed;
  int last_error, closed_error;
  psim_sock *accepted;
  uint8_t rx[65536];
  size_t rx_len;
  int eof;
} seen;

static void net_init_with(net *n, const psim_link_dir_cfg *ab, const psim_link_dir_cfg *ba,
                          const ptcp_conn_cfg *conn) {
  psim_link_cfg lc;
  psim_node_cfg nc;

  memset(n, 0, sizeof(*n));
  ck_assert_int_eq(psim_sched_new(&n->sched, NULL, 0), 0);
  ck_assert_int_eq(psim_pool_new(&n->pool, NULL, NULL), 0);
  memset(&lc, 0, sizeof(lc));
  lc.seed = 7;
  psim_link_dir_cfg_init(&lc.dir[0]);
  lc.dir[0].delay = 10 * MS;
  lc.dir[1] = lc.dir[0];
  if (ab != NULL)
    lc.dir[0] = *ab;
  if (ba != NULL)
    lc.dir[1] = *ba;
  ck_assert_int_eq(psim_link_new(&n->link, n->sched, n->pool, &lc, NULL), 0);
  psim_node_cfg_init(&nc);
  nc.seed = 7;
  if (conn != NULL)
    nc.stack.conn = *conn;
  nc.name = "a";
  nc.addr = ptcp_addr_v4(10, 0, 0, 1);
  ck_assert_int_eq(psim_node_new(&n->a, n->sched, n->pool, &nc, NULL), 0);
  nc.name = "b";
  nc.addr = ptcp_addr_v4(10, 0, 0, 2);
  ck_assert_int_eq(psim_node_new(&n->b, n->sched, n->pool, &nc, NULL), 0);
  ck_assert_int_ge(psim_node_add_iface(n->a, n->link, PSIM_LINK_A, NULL), 0);
  ck_assert_int_ge(psim_node_add_iface(n->b, n->link, PSIM_LINK_B, NULL), 0);
}

static void net_init(net *n) { net_init_with(n, NULL, NULL, NULL); }

static void net_free(net *n) {
  psim_node_del(n->a);
  psim_node_del(n->b);
  psim_link_del(n->link);
  psim_pool_del(n->pool);
  psim_sched_del(n->sched);
}

static void run_until(net *n, ptcp_time t) {
  ck_assert_int_eq(psim_sched_run_until(n->sched, t), 0);
}

static void drain(seen *s, psim_sock *sock) {
  for (;;) {
    ptcp_ssize rv = psim_sock_recv(sock, s->rx + s->rx_len, sizeof(s->rx) - s->rx_len);
    if (rv == 0) {
      s->eof = 1;
      return;
    }
    if (rv < 0)
      return;
    s->rx_len += (size_t)rv;
  }
}

static void cb_accept(void *ctx, psim_sock *l) {
  seen *s = ctx;
  s->accept++;
  if (s->accepted == NULL)
    ck_assert_int_eq(psim_sock_accept(l, &s->accepted), 0);
}
static void cb_connected(void *ctx, psim_sock *sock) {
  (void)sock;
  ((seen *)ctx)->connected++;
}
static void cb_readable(void *ctx, psim_sock *sock) {
  seen *s = ctx;
  s->readable++;
  drain(s, sock);
}
static void cb_writable(void *ctx, psim_sock *sock) {
  (void)sock;
  ((seen *)ctx)->writable++;
}
static void cb_peer_fin(void *ctx, psim_sock *sock) {
  (void)sock;
  ((seen *)ctx)->peer_fin++;
}
static void cb_error(void *ctx, psim_sock *sock, int err) {
  seen *s = ctx;
  (void)sock;
  s->error++;
  s->last_error = err;
}
static void cb_closed(void *ctx, psim_sock *sock, int err) {
  seen *s = ctx;
  (void)sock;
  s->closed++;
  s->closed_error = err;
}

static const psim_sock_cb cbs = {cb_accept,  cb_connected, cb_readable, cb_writable,
                                 cb_peer_fin, cb_error,     cb_closed};

/* A listener on b:80 whose accepted socket reports to |srv|. */
static psim_sock *listen_on(net *n, seen *srv) {
  psim_sock *l;

  ck_assert_int_eq(psim_sock_new(n->b, NULL, &l), 0);
  psim_sock_set_cb(l, &cbs, srv);
  ck_assert_int_eq(psim_sock_bind(l, NULL, 80), 0);
  ck_assert_int_eq(psim_sock_listen(l, 8), 0);
  return l;
}

static psim_sock *connect_to(net *n, seen *cli, uint16_t port) {
  psim_sock *c;
  ptcp_addr b = ptcp_addr_v4(10, 0, 0, 2);

  ck_assert_int_eq(psim_sock_new(n->a, NULL, &c), 0);
  psim_sock_set_cb(c, &cbs, cli);
  ck_assert_int_eq(psim_sock_connect(c, &b, port), 0);
  return c;
}

/* ------------------------------------------------------------------ */

START_TEST(test_socket_errno_mapping) {
  static const struct {
    int ptcp, err;
  } map[] = {
      {0, 0},
      {PTCP_ERR_WOULD_BLOCK, EAGAIN},
      {PTCP_ERR_ADDR_IN_USE, EADDRINUSE},
      {PTCP_ERR_CONN_REFUSED, ECONNREFUSED},
      {PTCP_ERR_CONN_RESET, ECONNRESET},
      {PTCP_ERR_TIMED_OUT, ETIMEDOUT},
      {PTCP_ERR_NOT_CONNECTED, ENOTCONN},
      {PTCP_ERR_CLOSED, EPIPE},
      {PTCP_ERR_ADDR_NOT_AVAIL, EADDRNOTAVAIL},
      {PTCP_ERR_ALREADY, EALREADY},
      {PTCP_ERR_LIMIT, EMFILE},
      {PTCP_ERR_NOMEM, ENOMEM},
      {PTCP_ERR_ABORTED, ECONNABORTED},
      {PTCP_ERR_STATE, EINVAL},
      {PTCP_ERR_INVALID_ARGUMENT, EINVAL},
  };

  for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
    ck_assert_int_eq(psim_errno(map[i].ptcp), map[i].err);
  ck_assert_str_eq(psim_errno_name(ECONNREFUSED), "ECONNREFUSED");
  ck_assert_str_eq(psim_errno_name(EPIPE), "EPIPE");
}
END_TEST

START_TEST(test_socket_connect_accept_transfer_close) {
  net n;
  seen cli, srv;
  psim_sock *l, *c;
  uint8_t data[5000];

  memset(&cli, 0, sizeof(cli));
  memset(&srv, 0, sizeof(srv));
  for (size_t i = 0; i < sizeof(data); i++)
    data[i] = (uint8_t)(i * 31 + 7);
  net_init(&n);
  l = listen_on(&n, &srv);
  c = connect_to(&n, &cli, 80);
  ck_assert_int_eq(psim_sock_state(c), PTCP_SYN_SENT);
  /* Not connected yet: nothing to send or read. */
  ck_assert_int_eq(psim_sock_send(c, data, 10), -ENOTCONN);
  ck_assert_int_eq(psim_sock_connect(c, psim_node_addr(n.b), 80), -EALREADY);
  run_until(&n, 100 * MS);
  ck_assert_int_eq(cli.connected, 1);
  ck_assert_int_eq(srv.accept, 1);
  ck_assert_ptr_nonnull(srv.accepted);
  ck_assert_int_eq(psim_sock_state(srv.accepted), PTCP_ESTABLISHED);
  ck_assert_int_eq(psim_sock_connect(c, psim_node_addr(n.b), 80), -EISCONN);
  /* The accepted socket inherited the listener's callbacks. */
  ck_assert_int_eq(psim_sock_send(c, data, sizeof(data)), (ptcp_ssize)sizeof(data));
  run_until(&n, 300 * MS);
  ck_assert_uint_eq(srv.rx_len, sizeof(data));
  ck_assert(memcmp(srv.rx, data, sizeof(data)) == 0);
  /* Half-close, then the reverse direction still works. */
  ck_assert_int_eq(psim_sock_shutdown(c, PSIM_SHUT_WR), 0);
  ck_assert_int_eq(psim_sock_shutdown(c, PSIM_SHUT_WR), 0);
  ck_assert_int_eq(psim_sock_send(c, data, 1), -EPIPE);
  run_until(&n, 400 * MS);
  ck_assert_int_eq(srv.eof, 1);
  ck_assert_int_eq(srv.peer_fin, 1);
  ck_assert_int_eq(psim_sock_state(srv.accepted), PTCP_CLOSE_WAIT);
  ck_assert_int_eq(psim_sock_send(srv.accepted, data, 100), 100);
  ck_assert_int_eq(psim_sock_shutdown(srv.accepted, PSIM_SHUT_WR), 0);
  run_until(&n, 600 * MS);
  ck_assert_uint_eq(cli.rx_len, 100);
  ck_assert(memcmp(cli.rx, data, 100) == 0);
  ck_assert_int_eq(cli.eof, 1);
  ck_assert_int_eq(psim_sock_state(c), PTCP_TIME_WAIT);
  ck_assert_int_eq(psim_sock_state(srv.accepted), PTCP_CLOSED);
  ck_assert_int_eq(cli.closed, 1);
  ck_assert_int_eq(cli.closed_error, 0);
  ck_assert_int_eq(srv.closed, 1);
  ck_assert_int_eq(psim_sock_error(c), 0);
  ck_assert_int_eq(psim_sock_close(srv.accepted), 0);
  ck_assert_int_eq(psim_sock_close(c), 0);
  ck_assert_int_eq(psim_sock_close(l), 0);
  net_free(&n);
}
END_TEST

START_TEST(test_socket_bind_errors) {
  net n;
  psim_sock *s1, *s2, *s3;
  ptcp_addr other = ptcp_addr_v4(192, 0, 2, 1);

  net_init(&n);
  ck_assert_int_eq(psim_sock_new(n.b, NULL, &s1), 0);
  ck_assert_int_eq(psim_sock_new(n.b, NULL, &s2), 0);
  ck_assert_int_eq(psim_sock_new(n.b, NULL, &s3), 0);
  ck_assert_int_eq(psim_sock_listen(s1, 4), -EINVAL); /* not bound */
  ck_assert_int_eq(psim_sock_bind(s1, NULL, 80), 0);
  ck_assert_int_eq(psim_sock_bind(s1, NULL, 81), -EINVAL); /* bound already */
  ck_assert_int_eq(psim_sock_bind(s2, NULL, 80), -EADDRINUSE);
  ck_assert_int_eq(psim_sock_bind(s3, &other, 90), -EADDRNOTAVAIL);
  ck_assert_int_eq(psim_sock_listen(s1, 0), -EINVAL);
  ck_assert_int_eq(psim_sock_listen(s1, 4), 0);
  {
    psim_sock *acc;
    ck_assert_int_eq(psim_sock_accept(s1, &acc), -EAGAIN);
    ck_assert_ptr_null(acc);
    ck_assert_int_eq(psim_sock_accept(s2, &acc), -EINVAL); /* not a listener */
  }
  ck_assert_int_eq(psim_sock_recv(s2, NULL, 0), -ENOTCONN);
  ck_assert_int_eq(psim_sock_shutdown(s2, PSIM_SHUT_RD), -ENOTCONN);
  ck_assert_int_eq(psim_sock_shutdown(s2, 7), -EINVAL);
  /* Released ports can be bound again. */
  ck_assert_int_eq(psim_sock_close(s1), 0);
  ck_assert_int_eq(psim_sock_bind(s2, NULL, 80), 0);
  psim_sock_close(s2);
  psim_sock_close(s3);
  net_free(&n);
}
END_TEST

START_TEST(test_socket_connection_refused) {
  net n;
  seen cli;
  psim_sock *c;
  uint8_t buf[16];

  memset(&cli, 0, sizeof(cli));
  net_init(&n);
  c = connect_to(&n, &cli, 81); /* nobody listens */
  run_until(&n, 100 * MS);
  ck_assert_int_eq(cli.error, 1);
  ck_assert_int_eq(cli.last_error, ECONNREFUSED);
  ck_assert_int_eq(cli.closed, 1);
  ck_assert_int_eq(cli.closed_error, ECONNREFUSED);
  ck_assert_int_eq(psim_sock_state(c), PTCP_CLOSED);
  ck_assert_int_eq(psim_sock_send(c, buf, 1), -ECONNREFUSED);
  ck_assert_int_eq(psim_sock_recv(c, buf, 1), -ECONNREFUSED);
  /* Not connected, whichever direction; the error stays pending. */
  ck_assert_int_eq(psim_sock_shutdown(c, PSIM_SHUT_WR), -ENOTCONN);
  ck_assert_int_eq(psim_sock_shutdown(c, PSIM_SHUT_RD), -ENOTCONN);
  ck_assert_int_eq(psim_sock_shutdown(c, PSIM_SHUT_RDWR), -ENOTCONN);
  ck_assert_int_eq(psim_sock_error(c), ECONNREFUSED);
  ck_assert_int_eq(psim_sock_error(c), 0); /* read clears it */
  psim_sock_close(c);
  net_free(&n);
}
END_TEST

START_TEST(test_socket_abort_resets_peer) {
  net n;
  seen cli, srv;
  psim_sock *l, *c;
  uint8_t buf[16];

  memset(&cli, 0, sizeof(cli));
  memset(&srv, 0, sizeof(srv));
  net_init(&n);
  l = listen_on(&n, &srv);
  c = connect_to(&n, &cli, 80);
  run_until(&n, 100 * MS);
  ck_assert_ptr_nonnull(srv.accepted);
  ck_assert_int_eq(psim_sock_abort(srv.accepted), 0);
  run_until(&n, 200 * MS);
  ck_assert_int_eq(cli.last_error, ECONNRESET);
  ck_assert_int_eq(psim_sock_state(c), PTCP_CLOSED);
  ck_assert_int_eq(psim_sock_send(c, buf, 1), -ECONNRESET);
  ck_assert_int_eq(psim_sock_shutdown(c, PSIM_SHUT_WR), -ENOTCONN);
  psim_sock_close(c);
  psim_sock_close(l);
  net_free(&n);
}
END_TEST

START_TEST(test_socket_connect_times_out) {
  net n;
  seen cli;
  psim_sock *c;
  psim_link_dir_cfg dead;
  ptcp_conn_cfg cc;

  memset(&cli, 0, sizeof(cli));
  psim_link_dir_cfg_init(&dead);
  dead.delay = 10 * MS;
  dead.loss = 1.0;
  ptcp_conn_cfg_default(&cc);
  cc.syn_retries = 2;
  net_init_with(&n, &dead, NULL, &cc);
  c = connect_to(&n, &cli, 80);
  /* SYN at 0, again at 1 s and 3 s (RFC 6298 backoff), give up at 7 s. */
  run_until(&n, 6 * SEC);
  ck_assert_int_eq(cli.error, 0);
  run_until(&n, 8 * SEC);
  ck_assert_int_eq(cli.error, 1);
  ck_assert_int_eq(cli.last_error, ETIMEDOUT);
  ck_assert_int_eq(psim_sock_state(c), PTCP_CLOSED);
  psim_sock_close(c);
  net_free(&n);
}
END_TEST

/* However many connections have timers, a node has one event. */
START_TEST(test_node_one_event_for_all_timers) {
  net n;
  psim_sock *c[50];
  ptcp_addr nowhere = ptcp_addr_v4(10, 0, 0, 2);
  seen cli;

  memset(&cli, 0, sizeof(cli));
  net_init(&n);
  /* b is detached: every SYN is lost, every client keeps a SYN timer. */
  ck_assert_int_eq(psim_link_attach(n.link, PSIM_LINK_B, NULL, NULL), 0);
  for (int i = 0; i < 50; i++) {
    ck_assert_int_eq(psim_sock_new(n.a, NULL, &c[i]), 0);
    psim_sock_set_cb(c[i], &cbs, &cli);
    ck_assert_int_eq(psim_sock_connect(c[i], &nowhere, 80), 0);
  }
  run_until(&n, 100 * MS);
  ck_assert_uint_eq(psim_link_get_stats(n.link, PSIM_LINK_A)->undeliverable, 50);
  ck_assert_uint_eq(psim_sched_size(n.sched), 1);
  ck_assert_uint_eq(psim_sched_next(n.sched), 1 * SEC);
  /* They retransmit together at 1 s, from that one event. */
  run_until(&n, 1100 * MS);
  ck_assert_uint_eq(psim_link_get_stats(n.link, PSIM_LINK_A)->undeliverable, 100);
  ck_assert_uint_eq(psim_sched_size(n.sched), 1);
  for (int i = 0; i < 50; i++)
    psim_sock_close(c[i]);
  net_free(&n);
}
END_TEST

static int input_errors_seen, last_input_error;

static void obs_input_error(void *ctx, psim_node *node, int err, const uint8_t *pkt,
                            size_t len, ptcp_time now) {
  (void)ctx;
  (void)node;
  (void)pkt;
  (void)len;
  (void)now;
  input_errors_seen++;
  last_input_error = err;
}

/* A corrupted SYN is refused by the checksum and reported; the
 * retransmission gets through. */
START_TEST(test_node_reports_input_errors) {
  net n;
  seen cli, srv;
  psim_link_dir_cfg ab;
  psim_script_rule rule = {.nth = 1, .action = PSIM_SCRIPT_CORRUPT, .bit = 8 * 30};
  psim_node_observer obs = {NULL, obs_input_error, NULL};
  psim_sock *l, *c;

  memset(&cli, 0, sizeof(cli));
  memset(&srv, 0, sizeof(srv));
  psim_link_dir_cfg_init(&ab);
  ab.delay = 10 * MS;
  ab.script = &rule;
  ab.script_len = 1;
  net_init_with(&n, &ab, NULL, NULL);
  psim_node_set_observer(n.b, &obs);
  input_errors_seen = 0;
  l = listen_on(&n, &srv);
  c = connect_to(&n, &cli, 80);
  run_until(&n, 2 * SEC);
  ck_assert_int_eq(input_errors_seen, 1);
  ck_assert_int_eq(last_input_error, PTCP_ERR_CHECKSUM);
  ck_assert_uint_eq(psim_node_get_stats(n.b)->input_errors, 1);
  ck_assert_int_eq(cli.connected, 1);
  ck_assert_uint_eq(psim_node_get_stats(n.a)->timeouts, 1);
  ck_assert_uint_eq(psim_node_get_stats(n.a)->retransmits, 1);
  psim_sock_close(c);
  psim_sock_close(l);
  net_free(&n);
}
END_TEST

START_TEST(test_node_without_route_counts) {
  psim_sched *s;
  psim_pool *p;
  psim_node *a;
  psim_node_cfg nc;
  psim_sock *c;
  ptcp_addr dst = ptcp_addr_v4(10, 0, 0, 9);

  ck_assert_int_eq(psim_sched_new(&s, NULL, 0), 0);
  ck_assert_int_eq(psim_pool_new(&p, NULL, NULL), 0);
  psim_node_cfg_init(&nc);
  nc.name = "lonely";
  nc.addr = ptcp_addr_v4(10, 0, 0, 1);
  ck_assert_int_eq(psim_node_new(&a, s, p, &nc, NULL), 0);
  ck_assert_int_eq(psim_sock_new(a, NULL, &c), 0);
  ck_assert_int_eq(psim_sock_connect(c, &dst, 80), 0);
  ck_assert_uint_eq(psim_node_get_stats(a)->packets_out, 1);
  ck_assert_uint_eq(psim_node_get_stats(a)->no_route, 1);
  /* Sockets left open go with their node. */
  psim_node_del(a);
  psim_pool_del(p);
  psim_sched_del(s);
}
END_TEST

START_TEST(test_node_rejects_bad_configs) {
  psim_sched *s;
  psim_pool *p;
  psim_node *a = (psim_node *)1;
  psim_node_cfg nc;

  ck_assert_int_eq(psim_sched_new(&s, NULL, 0), 0);
  ck_assert_int_eq(psim_pool_new(&p, NULL, NULL), 0);
  psim_node_cfg_init(&nc);
  nc.addr = ptcp_addr_v4(10, 0, 0, 1);
  ck_assert_int_eq(psim_node_new(&a, s, p, &nc, NULL), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(a);
  nc.name = "bad name";
  ck_assert_int_eq(psim_node_new(&a, s, p, &nc, NULL), PTCP_ERR_INVALID_ARGUMENT);
  nc.name = "ok";
  nc.addr.family = PTCP_AF_INET6;
  ck_assert_int_eq(psim_node_new(&a, s, p, &nc, NULL), PTCP_ERR_INVALID_ARGUMENT);
  nc.addr = ptcp_addr_v4(10, 0, 0, 1);
  nc.stack.policy[PTCP_SLOT_RTO] = "nosuch";
  ck_assert_int_eq(psim_node_new(&a, s, p, &nc, NULL), PTCP_ERR_NOT_FOUND);
  psim_pool_del(p);
  psim_sched_del(s);
}
END_TEST

/* The stack's randomness is the stream "node:<name>/stack" of the seed:
 * the same name and seed pick the same ephemeral port, another name or
 * seed (almost surely) another. */
static uint16_t first_port(const char *name, uint64_t seed) {
  psim_sched *s;
  psim_pool *p;
  psim_node *a;
  psim_node_cfg nc;
  psim_sock *c;
  ptcp_conn_status st;

  ck_assert_int_eq(psim_sched_new(&s, NULL, 0), 0);
  ck_assert_int_eq(psim_pool_new(&p, NULL, NULL), 0);
  psim_node_cfg_init(&nc);
  nc.name = name;
  nc.seed = seed;
  nc.addr = ptcp_addr_v4(10, 0, 0, 1);
  ck_assert_int_eq(psim_node_new(&a, s, p, &nc, NULL), 0);
  ck_assert_int_eq(psim_sock_new(a, NULL, &c), 0);
  ck_assert_int_eq(psim_sock_bind(c, NULL, 0), 0);
  psim_sock_status(c, &st);
  psim_node_del(a);
  psim_pool_del(p);
  psim_sched_del(s);
  return st.local_port;
}

START_TEST(test_node_randomness_from_name_and_seed) {
  ck_assert_uint_eq(first_port("x", 1), first_port("x", 1));
  ck_assert_uint_ne(first_port("x", 1), first_port("y", 1));
  ck_assert_uint_ne(first_port("x", 1), first_port("x", 2));
}
END_TEST

Suite *psim_socket_suite(void) {
  Suite *s = suite_create("socket");
  TCase *sock = tcase_create("socket");
  TCase *node = tcase_create("node");

  tcase_add_test(sock, test_socket_errno_mapping);
  tcase_add_test(sock, test_socket_connect_accept_transfer_close);
  tcase_add_test(sock, test_socket_bind_errors);
  tcase_add_test(sock, test_socket_connection_refused);
  tcase_add_test(sock, test_socket_abort_resets_peer);
  tcase_add_test(sock, test_socket_connect_times_out);
  suite_add_tcase(s, sock);
  tcase_add_test(node, test_node_one_event_for_all_timers);
  tcase_add_test(node, test_node_reports_input_errors);
  tcase_add_test(node, test_node_without_route_counts);
  tcase_add_test(node, test_node_rejects_bad_configs);
  tcase_add_test(node, test_node_randomness_from_name_and_seed);
  suite_add_tcase(s, node);
  return s;
}

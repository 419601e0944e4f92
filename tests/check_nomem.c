/*
 * Allocator failures: every allocation the engine makes, failed in
 * turn (once, and from then on), across a scenario that touches every
 * kind of allocation (stack, profiles, connections, listener tables,
 * port map, timer heap, buffers, reason counters, TIME-WAIT entries).
 * Every public call must return its result or PTCP_ERR_NOMEM (or the
 * documented consequence, e.g. WOULD_BLOCK for a connection that could
 * not be created), the invariants must hold after every step, and when
 * the stack is freed nothing may be left allocated.  A single failure
 * during a transfer between two stacks must not lose a byte.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "tcp_harness.h"

Suite *ptcp_nomem_suite(void);

static tp t;

static int dummy_emit(void *user, const uint8_t *pkt, size_t len) {
  (void)user;
  (void)pkt;
  (void)len;
  return 0;
}

static int dummy_rand(void *ctx, uint8_t *dest, size_t len) {
  (void)ctx;
  memset(dest, 0x5a, len);
  return 0;
}

/* ptcp_stack_new fails cleanly at every allocation. */
START_TEST(test_nomem_stack_new) {
  ptcp_registry *reg;
  unsigned total = 0, refused = 0;

  ck_assert_int_eq(ptcp_registry_new(&reg, NULL), 0);
  ck_assert_int_eq(ptcp_registry_add_builtins(reg), 0);
  for (int sticky = 0; sticky < 2; sticky++) {
    for (uint64_t n = 1; n < 100; n++) {
      tp_mem m;
      ptcp_stack_cfg cfg;
      ptcp_stack *s = NULL;
      int rv;

      tp_mem_init(&m);
      tp_mem_fail(&m, n, sticky);
      ptcp_stack_cfg_default(&cfg);
      cfg.mem = &m.mem;
      cfg.registry = reg;
      cfg.rand = dummy_rand;
      cfg.callbacks.emit = dummy_emit;
      rv = ptcp_stack_new(&s, &cfg, 0);
      if (m.failures == 0) {
        /* Past the last allocation: it worked. */
        ck_assert_int_eq(rv, 0);
        total = (unsigned)n - 1;
        ptcp_stack_free(s);
        ck_assert_uint_eq(m.live, 0);
        break;
      }
      refused++;
      ck_assert_msg(rv == PTCP_ERR_NOMEM && s == NULL, "allocation %llu: %s",
                    (unsigned long long)n, ptcp_strerror(rv));
      ck_assert_msg(m.live == 0, "allocation %llu failed: %llu blocks leaked",
                    (unsigned long long)n, (unsigned long long)m.live);
    }
  }
  ck_assert_uint_gt(total, 3);
  ck_assert_uint_eq(refused, 2 * total);
  /* The registry a stack builds for itself is covered too. */
  {
    tp_mem m;
    ptcp_stack_cfg cfg;
    ptcp_stack *s = NULL;
    for (uint64_t n = 1; n < 400; n++) {
      tp_mem_init(&m);
      tp_mem_fail(&m, n, 0);
      ptcp_stack_cfg_default(&cfg);
      cfg.mem = &m.mem;
      cfg.rand = dummy_rand;
      cfg.callbacks.emit = dummy_emit;
      if (ptcp_stack_new(&s, &cfg, 0) == 0) {
        ptcp_stack_free(s);
        ck_assert_uint_eq(m.live, 0);
        ck_assert_uint_eq(m.failures, 0);
        break;
      }
      ck_assert_uint_eq(m.live, 0);
    }
  }
  ptcp_registry_free(reg);
}
END_TEST

static void ok_or_nomem(int rv, int ok, const char *what, uint64_t n) {
  ck_assert_msg(rv == ok || rv == PTCP_ERR_NOMEM,
                "allocation %llu failing: %s returned %s", (unsigned long long)n, what,
                ptcp_strerror(rv));
}

/* A run through most of the engine, tolerant of any call failing for
 * want of memory. */
static void scenario(uint64_t n) {
  ptcp_conn *l = NULL, *c = NULL, *a = NULL, *x = NULL;
  ptcp_conn_cfg cfg;
  uint8_t buf[4000];
  int rv;

  memset(buf, 'm', sizeof(buf));
  rv = ptcp_conn_new(t.stack, NULL, &l);
  ok_or_nomem(rv, 0, "conn_new", n);
  if (rv == 0) {
    rv = ptcp_conn_bind(l, NULL, 80);
    ok_or_nomem(rv, 0, "bind", n);
    if (rv == 0) {
      rv = ptcp_conn_listen(l, 256);
      ok_or_nomem(rv, 0, "listen", n);
    }
    if (rv != 0) {
      ck_assert_int_eq(ptcp_conn_close(l, 0), 0);
      l = NULL;
    }
  }
  t.listener = l;
  /* A second profile: other settings, another policy. */
  ptcp_conn_cfg_default(&cfg);
  cfg.rcvbuf = 3000;
  cfg.policy[PTCP_SLOT_RTO] = "fixed";
  rv = ptcp_conn_new(t.stack, &cfg, &x);
  ok_or_nomem(rv, 0, "conn_new with a new profile", n);
  if (rv == 0)
    ck_assert_int_eq(ptcp_conn_close(x, 0), 0);

  /* Two hundred half-open connections: the demux table and the timer
   * heap grow. */
  for (uint16_t i = 0; i < 200; i++) {
    tp_send(&t, 5 * MS,
            SEG(.flags = PTCP_SYN, .seq = 77, .src_port = (uint16_t)(20000 + i)));
    tp_discard(&t);
  }

  /* Passive: handshake, data both ways, out of order, close. */
  tp_send(&t, 10 * MS, SEG(.flags = PTCP_SYN, .seq = TP_IRS));
  tp_send(&t, 20 * MS,
          SEG(.flags = PTCP_ACK | PTCP_PSH, .seq = TP_IRS + 1, .ack = TP_ISS + 1,
              .len = 100));
  if (l != NULL) {
    rv = ptcp_conn_accept(l, &c);
    ck_assert_msg(rv == 0 || rv == PTCP_ERR_WOULD_BLOCK, "accept: %s", ptcp_strerror(rv));
  }
  tp_send(&t, 30 * MS,
          SEG(.flags = PTCP_ACK, .seq = TP_IRS + 301, .ack = TP_ISS + 1, .len = 100));
  if (c != NULL) {
    ptcp_ssize r = ptcp_conn_recv(c, buf, sizeof(buf), 40 * MS);
    ck_assert(r == 100 || r == PTCP_ERR_WOULD_BLOCK);
    r = ptcp_conn_send(c, buf, 3000, 40 * MS);
    ck_assert_msg(r == 3000 || r == PTCP_ERR_NOMEM, "send: %zd", (ssize_t)r);
  }
  tp_send(&t, 50 * MS,
          SEG(.flags = PTCP_ACK, .seq = TP_IRS + 101, .ack = TP_ISS + 1461, .len = 200));
  tp_send(&t, 60 * MS,
          SEG(.flags = PTCP_ACK | PTCP_FIN, .seq = TP_IRS + 401, .ack = TP_ISS + 3001));
  if (c != NULL) {
    while (ptcp_conn_recv(c, buf, sizeof(buf), 70 * MS) > 0)
      ;
    ck_assert_int_eq(ptcp_conn_close(c, 70 * MS), 0);
  }
  tp_send(&t, 80 * MS, SEG(.flags = PTCP_ACK, .seq = TP_IRS + 402, .ack = TP_ISS + 3002));

  /* Active: connect, the SYN,ACK, data, abort. */
  rv = ptcp_conn_new(t.stack, NULL, &a);
  ok_or_nomem(rv, 0, "conn_new", n);
  if (rv == 0) {
    rv = ptcp_conn_connect(a, &t.remote, 81, 90 * MS);
    ok_or_nomem(rv, 0, "connect", n);
    if (rv == 0) {
      uint16_t lp = t.local_port, rp = t.remote_port;
      ptcp_conn_status st;
      ptcp_conn_status_get(a, &st);
      t.local_port = st.local_port;
      t.remote_port = 81;
      tp_send(&t, 100 * MS,
              SEG(.flags = PTCP_SYN | PTCP_ACK, .seq = 7000, .ack = TP_ISS + 1));
      ck_assert(ptcp_conn_send(a, buf, 10, 110 * MS) >= PTCP_ERR_NOMEM);
      t.local_port = lp;
      t.remote_port = rp;
    }
    ck_assert_int_eq(ptcp_conn_abort(a, 120 * MS), 0);
  }
  /* Time passes: retransmissions, TIME-WAIT, expiry. */
  for (ptcp_time at = 1 * SEC; at <= 600 * SEC; at += 1 * SEC) {
    tp_advance(&t, at);
    tp_discard(&t);
  }
  if (l != NULL)
    ck_assert_int_eq(ptcp_conn_close(l, 600 * SEC), 0);
  t.listener = NULL;
  tp_check_invariants(&t, NULL);
}

static void scenario_with_failures(int sticky) {
  uint64_t total;

  /* Count the allocations of a clean run first. */
  tp_init(&t, NULL);
  tp_mem_fail(&t.mem, UINT64_MAX, 0);
  scenario(0);
  total = t.mem.attempts;
  tp_free(&t);
  ck_assert_uint_gt(total, 400);
  for (uint64_t n = 1; n <= total + 2; n++) {
    tp_init(&t, NULL);
    tp_mem_fail(&t.mem, n, sticky);
    scenario(n);
    if (n <= total)
      ck_assert_msg(t.mem.failures > 0, "allocation %llu was never attempted",
                    (unsigned long long)n);
    tp_free(&t); /* checks that nothing leaked */
  }
}

START_TEST(test_nomem_every_allocation_once) { scenario_with_failures(0); }
END_TEST

START_TEST(test_nomem_every_allocation_from_then_on) { scenario_with_failures(1); }
END_TEST

/* tpair_connect, for an application that retries what failed for want
 * of memory. */
static int connect_tolerant(tpair *p, ptcp_time deadline) {
  while (p->now < deadline) {
    if (p->listener == NULL) {
      ptcp_conn *l;
      if (ptcp_conn_new(p->st[1], NULL, &l) == 0) {
        if (ptcp_conn_bind(l, NULL, 80) == 0 && ptcp_conn_listen(l, 16) == 0)
          p->listener = l;
        else
          ck_assert_int_eq(ptcp_conn_close(l, p->now), 0);
      }
    }
    if (p->conn[0] != NULL && ptcp_conn_state(p->conn[0]) == PTCP_CLOSED) {
      ck_assert_int_eq(ptcp_conn_close(p->conn[0], p->now), 0);
      p->conn[0] = NULL;
    }
    if (p->conn[0] == NULL && p->listener != NULL) {
      ptcp_conn *c;
      if (ptcp_conn_new(p->st[0], NULL, &c) == 0) {
        int rv = ptcp_conn_connect(c, &p->addr[1], 80, p->now);
        ck_assert_msg(rv == 0 || rv == PTCP_ERR_NOMEM, "connect: %s", ptcp_strerror(rv));
        if (rv == 0)
          p->conn[0] = c;
        else
          ck_assert_int_eq(ptcp_conn_close(c, p->now), 0);
      }
    }
    tpair_run_until(p, p->now + 100 * MS);
    if (p->conn[0] != NULL && p->conn[1] != NULL &&
        ptcp_conn_state(p->conn[0]) == PTCP_ESTABLISHED &&
        ptcp_conn_state(p->conn[1]) == PTCP_ESTABLISHED)
      return 1;
  }
  return 0;
}

/* One failed allocation on either side, anywhere in a transfer: the
 * byte stream still arrives whole (what was dropped for want of memory
 * is retransmitted) and both sides close. */
START_TEST(test_nomem_transfer_survives_one_failure) {
  const size_t bytes = 40000;
  uint64_t total[2] = {0, 0};

  for (int side = 0; side < 2; side++) {
    for (uint64_t n = 0;; n++) {
      tpair p;
      size_t sent[2] = {0, 0};
      tpair_init(&p, NULL);
      tp_mem_fail(&p.mem[side], n == 0 ? UINT64_MAX : n, 0);
      ck_assert_msg(connect_tolerant(&p, 300 * SEC),
                    "side %d, allocation %llu: no connection", side,
                    (unsigned long long)n);
      while ((sent[0] < bytes || sent[1] < bytes) && p.now < 600 * SEC) {
        for (int s = 0; s < 2; s++)
          if (sent[s] < bytes)
            sent[s] += tpair_send_pattern(&p, s, sent[s], bytes - sent[s]);
        tpair_run_until(&p, p.now + 50 * MS);
      }
      ck_assert_int_eq(ptcp_conn_shutdown(p.conn[0], p.now), 0);
      ck_assert_int_eq(ptcp_conn_shutdown(p.conn[1], p.now), 0);
      tpair_run_until(&p, p.now + 600 * SEC);
      ck_assert_msg(tpair_rx_is_pattern(&p, 0, bytes) &&
                        tpair_rx_is_pattern(&p, 1, bytes),
                    "side %d, allocation %llu: %zu and %zu bytes", side,
                    (unsigned long long)n, p.rx_len[0], p.rx_len[1]);
      if (n == 0) {
        total[side] = p.mem[side].attempts;
      } else {
        ck_assert_uint_le(p.mem[side].failures, 1);
      }
      tpair_free(&p);
      if (n > total[side])
        break;
    }
    ck_assert_uint_gt(total[side], 5);
  }
}
END_TEST

Suite *ptcp_nomem_suite(void) {
  Suite *s = suite_create("nomem");
  TCase *tc = tcase_create("allocations");

  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_nomem_stack_new);
  tcase_add_test(tc, test_nomem_every_allocation_once);
  tcase_add_test(tc, test_nomem_every_allocation_from_then_on);
  tcase_add_test(tc, test_nomem_transfer_survives_one_failure);
  suite_add_tcase(s, tc);
  return s;
}

/*
 * Tests for plugsim/pkt.h: the pool's bounds, recycling without
 * allocation, duplication, headroom operations and its counters.
 */
#include <check.h>
#include <signal.h>
#include <string.h>

#include <plugsim/pkt.h>

#include "sim_test_util.h"

Suite *psim_pkt_suite(void);

START_TEST(test_pkt_alloc_and_free) {
  psim_pool *pool = NULL;
  psim_pool_cfg cfg = {.headroom = 48};
  psim_pkt *a = NULL, *b = NULL;
  const psim_pool_stats *st;

  ck_assert_int_eq(psim_pool_new(&pool, NULL, &cfg), 0);
  ck_assert_uint_eq(psim_pool_max_len(pool), PSIM_PKT_BUF_DEFAULT - 48);
  ck_assert_int_eq(psim_pkt_alloc(pool, 1500, &a), 0);
  ck_assert_ptr_nonnull(a);
  ck_assert_uint_eq(a->len, 1500);
  ck_assert_uint_eq(psim_pkt_headroom(a), 48);
  ck_assert_uint_eq(psim_pkt_tailroom(a), PSIM_PKT_BUF_DEFAULT - 48 - 1500);
  memset(a->data, 0xab, a->len);
  /* Owner fields start zeroed. */
  ck_assert_ptr_null(a->next);
  ck_assert_uint_eq(a->tag, 0);
  ck_assert_uint_eq(a->ev.gen, 0);
  ck_assert_int_eq(psim_pkt_copy_in(pool, (const uint8_t *)"hello", 5, &b), 0);
  ck_assert_mem_eq(b->data, "hello", 5);
  st = psim_pool_get_stats(pool);
  ck_assert_uint_eq(st->in_use, 2);
  ck_assert_uint_eq(st->allocs, 2);
  psim_pkt_free(a);
  psim_pkt_free(b);
  psim_pkt_free(NULL);
  ck_assert_uint_eq(st->in_use, 0);
  ck_assert_uint_eq(st->frees, 2);
  ck_assert_uint_eq(st->peak_in_use, 2);
  psim_pool_del(pool);
  psim_pool_del(NULL);
}
END_TEST

START_TEST(test_pkt_rejects_too_large) {
  psim_pool *pool = NULL;
  psim_pool_cfg cfg = {.buf_size = 256, .headroom = 56};
  psim_pkt *p = (psim_pkt *)&cfg;

  ck_assert_int_eq(psim_pool_new(&pool, NULL, &cfg), 0);
  ck_assert_int_eq(psim_pkt_alloc(pool, 201, &p), PTCP_ERR_NOBUF);
  ck_assert_ptr_null(p);
  ck_assert_uint_eq(psim_pool_get_stats(pool)->too_large, 1);
  ck_assert_int_eq(psim_pkt_alloc(pool, 200, &p), 0);
  ck_assert_uint_eq(psim_pkt_tailroom(p), 0);
  psim_pkt_free(p);
  ck_assert_int_eq(psim_pkt_copy_in(pool, NULL, 4, &p), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(psim_pkt_alloc(NULL, 4, &p), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(psim_pkt_alloc(pool, 4, NULL), PTCP_ERR_INVALID_ARGUMENT);
  psim_pool_del(pool);
}
END_TEST

START_TEST(test_pkt_bad_configs) {
  psim_pool *pool = NULL;
  psim_pool_cfg no_room = {.buf_size = 100, .headroom = 90};
  psim_pool_cfg all_head = {.buf_size = 100, .headroom = 100};
  psim_pool_cfg over = {.limit = 10, .prealloc = 11};

  ck_assert_int_eq(psim_pool_new(&pool, NULL, &no_room), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(psim_pool_new(&pool, NULL, &all_head), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(psim_pool_new(&pool, NULL, &over), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(pool);
  ck_assert_int_eq(psim_pool_new(NULL, NULL, NULL), PTCP_ERR_INVALID_ARGUMENT);
  /* Defaults. */
  ck_assert_int_eq(psim_pool_new(&pool, NULL, NULL), 0);
  ck_assert_uint_eq(psim_pool_max_len(pool), PSIM_PKT_BUF_DEFAULT);
  psim_pool_del(pool);
}
END_TEST

START_TEST(test_pkt_limit_bounds_live_packets) {
  enum { LIMIT = 40 };
  psim_pool *pool = NULL;
  psim_pool_cfg cfg = {.buf_size = 128, .limit = LIMIT};
  psim_pkt *pkts[LIMIT], *extra = NULL;
  const psim_pool_stats *st;

  ck_assert_int_eq(psim_pool_new(&pool, NULL, &cfg), 0);
  st = psim_pool_get_stats(pool);
  for (int i = 0; i < LIMIT; i++)
    ck_assert_int_eq(psim_pkt_alloc(pool, 64, &pkts[i]), 0);
  /* Chunks never overshoot the limit. */
  ck_assert_uint_eq(st->buffers, LIMIT);
  ck_assert_int_eq(psim_pkt_alloc(pool, 64, &extra), PTCP_ERR_LIMIT);
  ck_assert_int_eq(psim_pkt_dup(pkts[0], &extra), PTCP_ERR_LIMIT);
  ck_assert_ptr_null(extra);
  ck_assert_uint_eq(st->exhausted, 2);
  psim_pkt_free(pkts[7]);
  ck_assert_int_eq(psim_pkt_alloc(pool, 64, &extra), 0);
  /* LIFO: the buffer just freed comes back. */
  ck_assert_ptr_eq(extra, pkts[7]);
  pkts[7] = extra;
  for (int i = 0; i < LIMIT; i++)
    psim_pkt_free(pkts[i]);
  ck_assert_uint_eq(st->in_use, 0);
  ck_assert_uint_eq(st->peak_in_use, LIMIT);
  psim_pool_del(pool);
}
END_TEST

START_TEST(test_pkt_steady_state_does_not_allocate) {
  test_counting_mem cm;
  psim_pool *pool = NULL;
  psim_pool_cfg cfg = {.prealloc = 64};
  psim_pkt *ring[64] = {0};

  test_counting_mem_init(&cm);
  ck_assert_int_eq(psim_pool_new(&pool, &cm.mem, &cfg), 0);
  ck_assert_uint_ge(psim_pool_get_stats(pool)->buffers, 64);
  cm.allocs = 0;
  /* 10^5 packets through a window of 64 in flight, with duplicates. */
  for (int i = 0; i < 100000; i++) {
    psim_pkt **slot = &ring[i % 64];

    psim_pkt_free(*slot);
    if (i % 3 == 0 && ring[(i + 1) % 64] != NULL) {
      ck_assert_int_eq(psim_pkt_dup(ring[(i + 1) % 64], slot), 0);
    } else {
      ck_assert_int_eq(psim_pkt_alloc(pool, (size_t)(i % 1500) + 20, slot), 0);
    }
  }
  ck_assert_int_eq(cm.allocs, 0);
  ck_assert_uint_le(psim_pool_get_stats(pool)->peak_in_use, 64);
  /* Deleting the pool with packets still out frees everything. */
  psim_pool_del(pool);
  ck_assert_int_eq(cm.live, 0);
}
END_TEST

START_TEST(test_pkt_small_buffers) {
  psim_pool *pool = NULL;
  psim_pool_cfg cfg = {.buf_size = 1600, .small_size = 96, .headroom = 16, .limit = 64};
  psim_pool_cfg bad[] = {
      {.buf_size = 1600, .small_size = 1600},               /* not smaller */
      {.buf_size = 1600, .small_size = 30, .headroom = 16}, /* no room for IPv4 */
      {.buf_size = 1600, .small_size = 16, .headroom = 16},
  };
  psim_pkt *ack = NULL, *data = NULL, *copy = NULL, *again = NULL;
  const psim_pool_stats *st;

  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    ck_assert_int_eq(psim_pool_new(&pool, NULL, &bad[i]), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(psim_pool_new(&pool, NULL, &cfg), 0);
  st = psim_pool_get_stats(pool);
  ck_assert_uint_eq(psim_pool_max_len(pool), 1600 - 16);
  /* What fits with its headroom takes a small buffer, and stays in it. */
  ck_assert_int_eq(psim_pkt_alloc(pool, 52, &ack), 0);
  ck_assert_uint_eq(psim_pkt_headroom(ack), 16);
  ck_assert_uint_eq(psim_pkt_tailroom(ack), 96 - 16 - 52);
  ck_assert_int_eq(psim_pkt_set_len(ack, 81), PTCP_ERR_NOBUF);
  ck_assert_int_eq(psim_pkt_set_len(ack, 80), 0);
  ck_assert_int_eq(psim_pkt_set_len(ack, 52), 0);
  /* A packet one byte too long for it takes a full one. */
  ck_assert_int_eq(psim_pkt_alloc(pool, 81, &data), 0);
  ck_assert_uint_eq(psim_pkt_tailroom(data), 1600 - 16 - 81);
  ck_assert_int_eq(psim_pkt_set_len(data, 1584), 0);
  /* A copy of a small packet is small, with the same headroom. */
  memset(ack->data, 0x5a, ack->len);
  ck_assert_int_eq(psim_pkt_dup(ack, &copy), 0);
  ck_assert_uint_eq(psim_pkt_headroom(copy), 16);
  ck_assert_uint_eq(psim_pkt_tailroom(copy), 96 - 16 - 52);
  ck_assert_mem_eq(copy->data, ack->data, 52);
  /* Each size recycles its own buffers: the last one freed comes back. */
  psim_pkt_free(ack);
  psim_pkt_free(data);
  ck_assert_int_eq(psim_pkt_alloc(pool, 40, &again), 0);
  ck_assert_ptr_eq(again, ack);
  psim_pkt_free(again);
  ck_assert_int_eq(psim_pkt_alloc(pool, 1000, &again), 0);
  ck_assert_ptr_eq(again, data);
  psim_pkt_free(again);
  psim_pkt_free(copy);
  ck_assert_uint_eq(st->in_use, 0);
  /* One chunk of each size so far, within the one limit. */
  ck_assert_uint_eq(st->buffers, 64);
  psim_pool_del(pool);
}
END_TEST

START_TEST(test_pkt_dup_is_an_independent_copy) {
  psim_pool *pool = NULL;
  psim_pool_cfg cfg = {.headroom = 40};
  psim_pkt *a = NULL, *b = NULL;

  ck_assert_int_eq(psim_pool_new(&pool, NULL, &cfg), 0);
  ck_assert_int_eq(psim_pkt_copy_in(pool, (const uint8_t *)"abcdef", 6, &a), 0);
  ck_assert_ptr_nonnull(psim_pkt_pull(a, 2));
  a->tag = 99;
  a->flags = 7;
  ck_assert_int_eq(psim_pkt_dup(a, &b), 0);
  ck_assert_ptr_ne(a, b);
  ck_assert_ptr_ne(a->data, b->data);
  ck_assert_uint_eq(b->len, 4);
  ck_assert_mem_eq(b->data, "cdef", 4);
  ck_assert_uint_eq(psim_pkt_headroom(b), 42);
  ck_assert_uint_eq(b->tag, 0);
  ck_assert_uint_eq(b->flags, 0);
  b->data[0] = 'X';
  ck_assert_mem_eq(a->data, "cdef", 4);
  ck_assert_uint_eq(psim_pool_get_stats(pool)->dups, 1);
  psim_pkt_free(a);
  ck_assert_int_eq(psim_pkt_dup(a, &b), PTCP_ERR_INVALID_ARGUMENT);
  psim_pool_del(pool);
}
END_TEST

START_TEST(test_pkt_push_pull_set_len) {
  psim_pool *pool = NULL;
  psim_pool_cfg cfg = {.buf_size = 100, .headroom = 20};
  psim_pkt *p = NULL;
  uint8_t *d;

  ck_assert_int_eq(psim_pool_new(&pool, NULL, &cfg), 0);
  ck_assert_int_eq(psim_pkt_alloc(pool, 10, &p), 0);
  d = p->data;
  ck_assert_ptr_eq(psim_pkt_push(p, 20), d - 20);
  ck_assert_uint_eq(p->len, 30);
  ck_assert_ptr_null(psim_pkt_push(p, 1));
  ck_assert_uint_eq(p->len, 30);
  ck_assert_ptr_eq(psim_pkt_pull(p, 20), d);
  ck_assert_ptr_null(psim_pkt_pull(p, 11));
  ck_assert_uint_eq(p->len, 10);
  ck_assert_int_eq(psim_pkt_set_len(p, 80), 0);
  ck_assert_uint_eq(psim_pkt_tailroom(p), 0);
  ck_assert_int_eq(psim_pkt_set_len(p, 81), PTCP_ERR_NOBUF);
  ck_assert_int_eq(psim_pkt_set_len(p, 0), 0);
  psim_pkt_free(p);
  psim_pool_del(pool);
}
END_TEST

START_TEST(test_pkt_nomem) {
  test_counting_mem cm;
  psim_pool *pool = NULL;
  psim_pool_cfg pre = {.prealloc = 100};
  psim_pkt *p = NULL;

  test_counting_mem_init(&cm);
  cm.fail_after = 2; /* the pool and one chunk */
  ck_assert_int_eq(psim_pool_new(&pool, &cm.mem, &pre), PTCP_ERR_NOMEM);
  ck_assert_ptr_null(pool);
  ck_assert_int_eq(cm.live, 0);
  cm.fail_after = 2;
  ck_assert_int_eq(psim_pool_new(&pool, &cm.mem, NULL), 0);
  for (int i = 0; i < 32; i++)
    ck_assert_int_eq(psim_pkt_alloc(pool, 10, &p), 0);
  ck_assert_int_eq(psim_pkt_alloc(pool, 10, &p), PTCP_ERR_NOMEM);
  ck_assert_uint_eq(psim_pool_get_stats(pool)->nomem, 1);
  cm.fail_after = -1;
  ck_assert_int_eq(psim_pkt_alloc(pool, 10, &p), 0);
  psim_pool_del(pool);
  ck_assert_int_eq(cm.live, 0);
}
END_TEST

START_TEST(test_pkt_double_free_aborts) {
  psim_pool *pool = NULL;
  psim_pkt *p = NULL;

  ck_assert_int_eq(psim_pool_new(&pool, NULL, NULL), 0);
  ck_assert_int_eq(psim_pkt_alloc(pool, 10, &p), 0);
  psim_pkt_free(p);
  psim_pkt_free(p);
#ifdef NDEBUG
  /* Without assertions the second free is counted and ignored. */
  ck_assert_uint_eq(psim_pool_get_stats(pool)->bad_frees, 1);
  raise(SIGABRT);
#endif
}
END_TEST

Suite *psim_pkt_suite(void) {
  Suite *s = suite_create("pkt");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_pkt_alloc_and_free);
  tcase_add_test(tc, test_pkt_rejects_too_large);
  tcase_add_test(tc, test_pkt_bad_configs);
  tcase_add_test(tc, test_pkt_limit_bounds_live_packets);
  tcase_add_test(tc, test_pkt_steady_state_does_not_allocate);
  tcase_add_test(tc, test_pkt_small_buffers);
  tcase_add_test(tc, test_pkt_dup_is_an_independent_copy);
  tcase_add_test(tc, test_pkt_push_pull_set_len);
  tcase_add_test(tc, test_pkt_nomem);
  tcase_add_test_raise_signal(tc, test_pkt_double_free_aborts, SIGABRT);
  suite_add_tcase(s, tc);
  return s;
}

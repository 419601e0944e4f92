/*
 * Tests for plugsim/sched.h: (time, insertion) order, cancel and
 * reschedule through generation-checked handles, run/run_until/step
 * semantics, and no allocation once the arrays have grown.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <plugsim/sched.h>

#include "sim_test_util.h"

Suite *psim_sched_suite(void);

/* A log of which events ran, and when. */
#define LOG_MAX 256
typedef struct run_log {
  int n;
  int id[LOG_MAX];
  ptcp_time at[LOG_MAX];
} run_log;

static void log_fn(psim_sched *s, ptcp_time now, void *a, void *b) {
  run_log *log = a;

  ck_assert_uint_eq(now, psim_sched_now(s));
  ck_assert_int_lt(log->n, LOG_MAX);
  log->id[log->n] = (int)(intptr_t)b;
  log->at[log->n] = now;
  log->n++;
}

static psim_sched *new_sched(ptcp_time start) {
  psim_sched *s = NULL;

  ck_assert_int_eq(psim_sched_new(&s, NULL, start), 0);
  ck_assert_ptr_nonnull(s);
  return s;
}

static psim_event at(psim_sched *s, ptcp_time t, run_log *log, int id) {
  psim_event ev = PSIM_EVENT_NONE;

  ck_assert_int_eq(psim_sched_at(s, t, log_fn, log, (void *)(intptr_t)id, &ev), 0);
  ck_assert(psim_sched_pending(s, ev));
  return ev;
}

START_TEST(test_sched_orders_by_time) {
  psim_sched *s = new_sched(0);
  run_log log = {0};

  at(s, 30, &log, 3);
  at(s, 10, &log, 1);
  at(s, 20, &log, 2);
  ck_assert_uint_eq(psim_sched_size(s), 3);
  ck_assert_uint_eq(psim_sched_next(s), 10);
  ck_assert_int_eq(psim_sched_run(s), 0);
  ck_assert_int_eq(log.n, 3);
  for (int i = 0; i < 3; i++) {
    ck_assert_int_eq(log.id[i], i + 1);
    ck_assert_uint_eq(log.at[i], (ptcp_time)(i + 1) * 10);
  }
  /* run leaves the clock at the last event. */
  ck_assert_uint_eq(psim_sched_now(s), 30);
  ck_assert_uint_eq(psim_sched_executed(s), 3);
  ck_assert_uint_eq(psim_sched_next(s), PTCP_TIME_NONE);
  psim_sched_del(s);
}
END_TEST

START_TEST(test_sched_ties_break_by_insertion) {
  psim_sched *s = new_sched(0);
  run_log log = {0};

  /* 100 events at t=5 inserted among later and earlier ones: the t=5
   * group must come out in insertion order, whatever the heap shape. */
  for (int i = 0; i < 100; i++) {
    at(s, 5, &log, i);
    if (i % 7 == 0)
      at(s, 9, &log, 1000 + i);
    if (i % 11 == 0)
      at(s, 1, &log, 2000 + i);
  }
  ck_assert_int_eq(psim_sched_run(s), 0);
  {
    int k = 0, last5 = -1, last9 = -1, last1 = -1;

    for (; k < log.n && log.at[k] == 1; k++) {
      ck_assert_int_gt(log.id[k], last1);
      last1 = log.id[k];
    }
    for (; k < log.n && log.at[k] == 5; k++) {
      ck_assert_int_eq(log.id[k], last5 + 1);
      last5 = log.id[k];
    }
    ck_assert_int_eq(last5, 99);
    for (; k < log.n && log.at[k] == 9; k++) {
      ck_assert_int_gt(log.id[k], last9);
      last9 = log.id[k];
    }
    ck_assert_int_eq(k, log.n);
  }
  psim_sched_del(s);
}
END_TEST

START_TEST(test_sched_rejects_past_and_none) {
  psim_sched *s = new_sched(1000);
  run_log log = {0};
  psim_event ev = PSIM_EVENT_NONE;

  ck_assert_int_eq(psim_sched_at(s, 999, log_fn, &log, NULL, &ev),
                   PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(psim_sched_at(s, PTCP_TIME_NONE, log_fn, &log, NULL, &ev),
                   PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(psim_sched_at(s, 1000, NULL, &log, NULL, &ev),
                   PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_uint_eq(psim_sched_size(s), 0);
  /* "now" is allowed; so is a saturated delay, which lands at NONE - 1. */
  ck_assert_int_eq(psim_sched_at(s, 1000, log_fn, &log, NULL, NULL), 0);
  ck_assert_int_eq(psim_sched_after(s, PTCP_TIME_NONE, log_fn, &log, NULL, &ev), 0);
  ck_assert_uint_eq(psim_sched_when(s, ev), PTCP_TIME_NONE - 1);
  ck_assert_int_eq(psim_sched_new(NULL, NULL, 0), PTCP_ERR_INVALID_ARGUMENT);
  {
    psim_sched *bad = (psim_sched *)&log;

    ck_assert_int_eq(psim_sched_new(&bad, NULL, PTCP_TIME_NONE),
                     PTCP_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(bad);
  }
  psim_sched_del(s);
  psim_sched_del(NULL);
}
END_TEST

START_TEST(test_sched_cancel) {
  psim_sched *s = new_sched(0);
  run_log log = {0};
  psim_event e1 = at(s, 10, &log, 1);
  psim_event e2 = at(s, 20, &log, 2);
  psim_event e3 = at(s, 30, &log, 3);

  ck_assert_int_eq(psim_sched_cancel(s, e2), 1);
  ck_assert(!psim_sched_pending(s, e2));
  ck_assert_uint_eq(psim_sched_when(s, e2), PTCP_TIME_NONE);
  /* Cancelling again, or cancelling nothing, is a harmless no-op. */
  ck_assert_int_eq(psim_sched_cancel(s, e2), 0);
  ck_assert_int_eq(psim_sched_cancel(s, PSIM_EVENT_NONE), 0);
  ck_assert_int_eq(psim_sched_cancel(s, (psim_event){.slot = 12345, .gen = 1}), 0);
  ck_assert_uint_eq(psim_sched_size(s), 2);
  ck_assert_uint_eq(psim_sched_when(s, e3), 30);
  ck_assert_int_eq(psim_sched_run(s), 0);
  ck_assert_int_eq(log.n, 2);
  ck_assert_int_eq(log.id[0], 1);
  ck_assert_int_eq(log.id[1], 3);
  ck_assert_int_eq(psim_sched_cancel(s, e1), 0);
  ck_assert_uint_eq(psim_sched_executed(s), 2);
  psim_sched_del(s);
}
END_TEST

START_TEST(test_sched_stale_handle_after_slot_reuse) {
  psim_sched *s = new_sched(0);
  run_log log = {0};
  psim_event old = at(s, 10, &log, 1), fresh;

  ck_assert_int_eq(psim_sched_step(s), 1);
  /* The freed slot is reused at once (LIFO free list)... */
  fresh = at(s, 20, &log, 2);
  ck_assert_uint_eq(fresh.slot, old.slot);
  ck_assert_uint_ne(fresh.gen, old.gen);
  /* ...and the old handle must not reach the new event. */
  ck_assert(!psim_sched_pending(s, old));
  ck_assert_int_eq(psim_sched_cancel(s, old), 0);
  ck_assert_int_eq(psim_sched_reschedule(s, old, 50), PTCP_ERR_NOT_FOUND);
  ck_assert(psim_sched_pending(s, fresh));
  ck_assert_uint_eq(psim_sched_when(s, fresh), 20);
  ck_assert_int_eq(psim_sched_run(s), 0);
  ck_assert_int_eq(log.n, 2);
  ck_assert_int_eq(log.id[1], 2);
  psim_sched_del(s);
}
END_TEST

/* A callback that cancels its own (stale) handle and then another one. */
typedef struct self_cancel {
  psim_event self, other;
  int self_rv, other_rv;
} self_cancel;

static void self_cancel_fn(psim_sched *s, ptcp_time now, void *a, void *b) {
  self_cancel *sc = a;

  (void)now;
  (void)b;
  sc->self_rv = psim_sched_cancel(s, sc->self);
  sc->other_rv = psim_sched_cancel(s, sc->other);
}

START_TEST(test_sched_cancel_from_callback) {
  psim_sched *s = new_sched(0);
  run_log log = {0};
  self_cancel sc = {0};

  ck_assert_int_eq(psim_sched_at(s, 5, self_cancel_fn, &sc, NULL, &sc.self), 0);
  sc.other = at(s, 5, &log, 7);
  ck_assert_int_eq(psim_sched_run(s), 0);
  ck_assert_int_eq(sc.self_rv, 0);
  ck_assert_int_eq(sc.other_rv, 1);
  ck_assert_int_eq(log.n, 0);
  psim_sched_del(s);
}
END_TEST

START_TEST(test_sched_reschedule) {
  psim_sched *s = new_sched(0);
  run_log log = {0};
  psim_event e1 = at(s, 10, &log, 1);
  psim_event e2 = at(s, 20, &log, 2);
  psim_event e3 = at(s, 30, &log, 3);

  /* Later, earlier, and onto a tie: a rescheduled event sorts after the
   * events already due at its new time. */
  ck_assert_int_eq(psim_sched_reschedule(s, e1, 40), 0);
  ck_assert_int_eq(psim_sched_reschedule(s, e3, 5), 0);
  ck_assert_int_eq(psim_sched_reschedule(s, e2, 40), 0);
  ck_assert_uint_eq(psim_sched_when(s, e1), 40);
  ck_assert_int_eq(psim_sched_reschedule(s, e2, PTCP_TIME_NONE),
                   PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(psim_sched_run_until(s, 5), 0);
  ck_assert_int_eq(psim_sched_reschedule(s, e2, 4), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(psim_sched_reschedule(s, e3, 100), PTCP_ERR_NOT_FOUND);
  ck_assert_int_eq(psim_sched_run(s), 0);
  ck_assert_int_eq(log.n, 3);
  ck_assert_int_eq(log.id[0], 3);
  ck_assert_uint_eq(log.at[0], 5);
  ck_assert_int_eq(log.id[1], 1);
  ck_assert_int_eq(log.id[2], 2);
  ck_assert_uint_eq(log.at[2], 40);
  psim_sched_del(s);
}
END_TEST

/* Logs id -1 and schedules a follow-up event (id 42) |b| - 1 ns later. */
static void chain_fn(psim_sched *s, ptcp_time now, void *a, void *b) {
  run_log *log = a;

  log_fn(s, now, a, (void *)(intptr_t)-1);
  ck_assert_int_eq(psim_sched_after(s, (ptcp_duration)(intptr_t)b - 1, log_fn, log,
                                    (void *)(intptr_t)42, NULL),
                   0);
}

START_TEST(test_sched_run_until) {
  psim_sched *s = new_sched(0);
  run_log log = {0};

  at(s, 10, &log, 1);
  at(s, 100, &log, 2);
  at(s, 101, &log, 3);
  /* Schedules another at 50 + 50 = 100: due at the limit, so it runs. */
  ck_assert_int_eq(psim_sched_at(s, 50, chain_fn, &log, (void *)(intptr_t)(50 + 1), NULL),
                   0);
  /* ...and one at 60 + 0: scheduled "now" from a callback. */
  ck_assert_int_eq(psim_sched_at(s, 60, chain_fn, &log, (void *)(intptr_t)(0 + 1), NULL),
                   0);
  ck_assert_int_eq(psim_sched_run_until(s, 100), 0);
  ck_assert_int_eq(log.n, 6);
  ck_assert_int_eq(log.id[0], 1);
  ck_assert_int_eq(log.id[1], -1);
  ck_assert_int_eq(log.id[2], -1);
  ck_assert_int_eq(log.id[3], 42); /* at 60, the chained "now" event */
  ck_assert_uint_eq(log.at[3], 60);
  ck_assert_int_eq(log.id[4], 2);  /* at 100, scheduled first */
  ck_assert_int_eq(log.id[5], 42); /* at 100, scheduled during the run */
  ck_assert_uint_eq(psim_sched_now(s), 100);
  ck_assert_uint_eq(psim_sched_size(s), 1);
  /* Going back is refused; an empty stretch just moves the clock. */
  ck_assert_int_eq(psim_sched_run_until(s, 99), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(psim_sched_run_until(s, PTCP_TIME_NONE), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(psim_sched_run_until(s, 100), 0);
  ck_assert_int_eq(log.n, 6);
  ck_assert_int_eq(psim_sched_run_until(s, 1000), 0);
  ck_assert_int_eq(log.n, 7);
  ck_assert_uint_eq(log.at[6], 101);
  ck_assert_uint_eq(psim_sched_now(s), 1000);
  ck_assert_uint_eq(psim_sched_executed(s), 7);
  psim_sched_del(s);
}
END_TEST

START_TEST(test_sched_step) {
  psim_sched *s = new_sched(7);
  run_log log = {0};

  ck_assert_int_eq(psim_sched_step(s), 0);
  ck_assert_uint_eq(psim_sched_now(s), 7);
  at(s, 9, &log, 1);
  at(s, 8, &log, 2);
  ck_assert_int_eq(psim_sched_step(s), 1);
  ck_assert_uint_eq(psim_sched_now(s), 8);
  ck_assert_int_eq(psim_sched_step(s), 1);
  ck_assert_uint_eq(psim_sched_now(s), 9);
  ck_assert_int_eq(psim_sched_step(s), 0);
  ck_assert_int_eq(log.id[0], 2);
  psim_sched_del(s);
}
END_TEST

static void stop_fn(psim_sched *s, ptcp_time now, void *a, void *b) {
  log_fn(s, now, a, NULL);
  psim_sched_stop(s, (int)(intptr_t)b);
}

static void nested_fn(psim_sched *s, ptcp_time now, void *a, void *b) {
  int *rv = a;

  (void)now;
  (void)b;
  rv[0] = psim_sched_run(s);
  rv[1] = psim_sched_step(s);
  rv[2] = psim_sched_run_until(s, 1000);
}

START_TEST(test_sched_stop_and_nesting) {
  psim_sched *s = new_sched(0);
  run_log log = {0};
  int rv[3] = {0, 0, 0};

  at(s, 1, &log, 1);
  ck_assert_int_eq(
      psim_sched_at(s, 2, stop_fn, &log, (void *)(intptr_t)PTCP_ERR_ABORTED, NULL), 0);
  at(s, 3, &log, 3);
  ck_assert_int_eq(psim_sched_at(s, 4, stop_fn, &log, (void *)(intptr_t)0, NULL), 0);
  at(s, 5, &log, 5);
  /* Stopping outside a run does nothing. */
  psim_sched_stop(s, -1);
  ck_assert_int_eq(psim_sched_run(s), PTCP_ERR_ABORTED);
  ck_assert_uint_eq(psim_sched_now(s), 2);
  ck_assert_uint_eq(psim_sched_size(s), 3);
  ck_assert_int_eq(psim_sched_run_until(s, 100), 0);
  ck_assert_uint_eq(psim_sched_now(s), 4); /* stopped at 4, not moved to 100 */
  ck_assert_int_eq(psim_sched_run(s), 0);
  ck_assert_int_eq(log.n, 5);
  /* A negative stop from step is returned; nested runs are refused. */
  ck_assert_int_eq(psim_sched_at(s, 6, stop_fn, &log, (void *)(intptr_t)-7, NULL), 0);
  ck_assert_int_eq(psim_sched_step(s), -7);
  ck_assert_int_eq(psim_sched_at(s, 6, nested_fn, rv, NULL, NULL), 0);
  ck_assert_int_eq(psim_sched_step(s), 1);
  ck_assert_int_eq(rv[0], PTCP_ERR_STATE);
  ck_assert_int_eq(rv[1], PTCP_ERR_STATE);
  ck_assert_int_eq(rv[2], PTCP_ERR_STATE);
  psim_sched_del(s);
}
END_TEST

/* ---- 10^5 random operations against a sorted reference ------------- */

#define NRAND 100000

typedef struct ref_ev {
  ptcp_time at;
  uint64_t seq;
  int id;
  int alive;
  psim_event h;
} ref_ev;

typedef struct order_log {
  int n;
  int *ids;
  ptcp_time last;
} order_log;

static void order_fn(psim_sched *s, ptcp_time now, void *a, void *b) {
  order_log *ol = a;

  (void)s;
  ck_assert_uint_ge(now, ol->last);
  ol->last = now;
  ol->ids[ol->n++] = (int)(intptr_t)b;
}

static int ref_cmp(const void *x, const void *y) {
  const ref_ev *p = x, *q = y;

  if (p->at != q->at)
    return p->at < q->at ? -1 : 1;
  return p->seq < q->seq ? -1 : p->seq > q->seq;
}

START_TEST(test_sched_random_matches_sorted_reference) {
  psim_sched *s = new_sched(0);
  ref_ev *ref = calloc(NRAND, sizeof(*ref));
  order_log ol = {0, calloc(NRAND, sizeof(int)), 0};
  uint64_t x = 0x243f6a8885a308d3ull, seq = 0;
  int nalive = 0, k = 0;

  ck_assert_ptr_nonnull(ref);
  ck_assert_ptr_nonnull(ol.ids);
  /* Times from a small range so that ties are frequent. */
  for (int i = 0; i < NRAND; i++) {
    ref[i].at = test_xorshift(&x) % 5000;
    ref[i].seq = seq++;
    ref[i].id = i;
    ref[i].alive = 1;
    ck_assert_int_eq(
        psim_sched_at(s, ref[i].at, order_fn, &ol, (void *)(intptr_t)i, &ref[i].h), 0);
    /* Every so often, cancel or reschedule an earlier event. */
    if (i % 10 == 9) {
      ref_ev *r = &ref[test_xorshift(&x) % (uint64_t)(i + 1)];

      ck_assert_int_eq(psim_sched_cancel(s, r->h), r->alive);
      r->alive = 0;
    } else if (i % 10 == 4) {
      ref_ev *r = &ref[test_xorshift(&x) % (uint64_t)(i + 1)];
      ptcp_time t = test_xorshift(&x) % 5000;

      if (r->alive) {
        ck_assert_int_eq(psim_sched_reschedule(s, r->h, t), 0);
        r->at = t;
        r->seq = seq++;
      } else {
        ck_assert_int_eq(psim_sched_reschedule(s, r->h, t), PTCP_ERR_NOT_FOUND);
      }
    }
  }
  for (int i = 0; i < NRAND; i++)
    nalive += ref[i].alive;
  ck_assert_uint_eq(psim_sched_size(s), (size_t)nalive);
  ck_assert_int_eq(psim_sched_run(s), 0);
  ck_assert_int_eq(ol.n, nalive);
  qsort(ref, NRAND, sizeof(*ref), ref_cmp);
  for (int i = 0; i < NRAND; i++) {
    if (!ref[i].alive)
      continue;
    ck_assert_int_eq(ol.ids[k], ref[i].id);
    k++;
  }
  ck_assert_uint_eq(psim_sched_executed(s), (uint64_t)nalive);
  free(ref);
  free(ol.ids);
  psim_sched_del(s);
}
END_TEST

/* ---- memory ---------------------------------------------------------- */

static void noop_fn(psim_sched *s, ptcp_time now, void *a, void *b) {
  (void)s;
  (void)now;
  (void)a;
  (void)b;
}

START_TEST(test_sched_steady_state_does_not_allocate) {
  test_counting_mem cm;
  psim_sched *s = NULL;
  psim_event ev[100];

  test_counting_mem_init(&cm);
  ck_assert_int_eq(psim_sched_new(&s, &cm.mem, 0), 0);
  ck_assert_int_eq(psim_sched_reserve(s, 200), 0);
  cm.allocs = 0;
  /* A hold model: always 100 pending, 10^4 pops and pushes, plus
   * cancel/reschedule churn. */
  for (int i = 0; i < 100; i++)
    ck_assert_int_eq(psim_sched_after(s, (ptcp_duration)i, noop_fn, NULL, NULL, &ev[i]),
                     0);
  for (int i = 0; i < 10000; i++) {
    psim_event *e = &ev[i % 100];

    ck_assert_int_eq(psim_sched_step(s), 1);
    if (psim_sched_cancel(s, *e) == 0)
      ck_assert_int_eq(psim_sched_after(s, 1000, noop_fn, NULL, NULL, e), 0);
    else
      ck_assert_int_eq(psim_sched_after(s, 10, noop_fn, NULL, NULL, e), 0);
    ck_assert_int_eq(psim_sched_after(s, 500, noop_fn, NULL, NULL, NULL), 0);
    ck_assert_int_eq(psim_sched_step(s), 1);
    if (psim_sched_pending(s, ev[(i + 50) % 100]))
      ck_assert_int_eq(
          psim_sched_reschedule(s, ev[(i + 50) % 100], psim_sched_now(s) + 7), 0);
  }
  ck_assert_int_eq(cm.allocs, 0);
  psim_sched_del(s);
  ck_assert_int_eq(cm.live, 0);
}
END_TEST

START_TEST(test_sched_grows_and_survives_nomem) {
  test_counting_mem cm;
  psim_sched *s = NULL;
  int n = 0, rv;

  test_counting_mem_init(&cm);
  ck_assert_int_eq(psim_sched_new(&s, &cm.mem, 0), 0);
  /* Allow two more allocations: the two arrays at the first size.  The
   * first regrowth then fails and must leave the scheduler usable. */
  cm.fail_after = 2;
  while ((rv = psim_sched_at(s, 100 - (ptcp_time)(n % 100), noop_fn, NULL, NULL, NULL)) ==
         0)
    n++;
  ck_assert_int_eq(rv, PTCP_ERR_NOMEM);
  ck_assert_int_gt(n, 0);
  ck_assert_uint_eq(psim_sched_size(s), (size_t)n);
  cm.fail_after = -1;
  ck_assert_int_eq(psim_sched_at(s, 1, noop_fn, NULL, NULL, NULL), 0);
  ck_assert_int_eq(psim_sched_run(s), 0);
  ck_assert_uint_eq(psim_sched_executed(s), (uint64_t)n + 1);
  ck_assert_int_eq(psim_sched_reserve(s, (size_t)UINT32_MAX), PTCP_ERR_LIMIT);
  psim_sched_del(s);
  ck_assert_int_eq(cm.live, 0);
  /* Creation itself can fail cleanly. */
  cm.fail_after = 0;
  ck_assert_int_eq(psim_sched_new(&s, &cm.mem, 0), PTCP_ERR_NOMEM);
  ck_assert_ptr_null(s);
}
END_TEST

Suite *psim_sched_suite(void) {
  Suite *s = suite_create("sched");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_sched_orders_by_time);
  tcase_add_test(tc, test_sched_ties_break_by_insertion);
  tcase_add_test(tc, test_sched_rejects_past_and_none);
  tcase_add_test(tc, test_sched_cancel);
  tcase_add_test(tc, test_sched_stale_handle_after_slot_reuse);
  tcase_add_test(tc, test_sched_cancel_from_callback);
  tcase_add_test(tc, test_sched_reschedule);
  tcase_add_test(tc, test_sched_run_until);
  tcase_add_test(tc, test_sched_step);
  tcase_add_test(tc, test_sched_stop_and_nesting);
  tcase_add_test(tc, test_sched_random_matches_sorted_reference);
  tcase_add_test(tc, test_sched_steady_state_does_not_allocate);
  tcase_add_test(tc, test_sched_grows_and_survives_nomem);
  suite_add_tcase(s, tc);
  return s;
}

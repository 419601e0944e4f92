/*
 * sched_bench: event throughput of psim_sched in the classic "hold"
 * model (Vaucher and Duval, CACM 18(4), 1975): N events are pending;
 * each event, when it runs, schedules one more at now + a random
 * increment, so the queue stays at N while events flow through it.
 * Every event is one pop and one push: the scheduler's steady state.
 *
 * Reports events per second (wall clock, CLOCK_MONOTONIC: the bench is
 * outside the library) as the median of several runs, for N = 1, 10^3
 * and 10^5 by default.  Increments are uniform in [0, 2 ms) from a
 * fixed psim_rng stream, so every run does the same work.
 *
 *   sched_bench [EVENTS_PER_RUN [RUNS [N...]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <plugsim/rng.h>
#include <plugsim/sched.h>

#define DEFAULT_EVENTS 5000000ull
#define DEFAULT_RUNS 5
#define MAX_RUNS 101
#define MEAN_INCREMENT_NS 1000000ull /* 1 ms */

typedef struct hold {
  psim_rng rng;
  uint64_t left;
} hold;

static void die(const char *what, int rv) {
  fprintf(stderr, "sched_bench: %s: %s\n", what, psim_strerror(rv));
  exit(1);
}

static void hold_fn(psim_sched *s, ptcp_time now, void *a, void *b) {
  hold *h = a;
  int rv;

  (void)b;
  if (--h->left == 0) {
    psim_sched_stop(s, 0);
    return;
  }
  rv = psim_sched_at(s, now + psim_rng_below(&h->rng, 2 * MEAN_INCREMENT_NS), hold_fn, h,
                     NULL, NULL);
  if (rv != 0)
    die("psim_sched_at", rv);
}

static double now_seconds(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One run: returns events per second. */
static double run_once(size_t pending, uint64_t events) {
  psim_sched *s = NULL;
  hold h;
  double t0, t1;
  int rv;

  if ((rv = psim_sched_new(&s, NULL, 0)) != 0)
    die("psim_sched_new", rv);
  psim_rng_init(&h.rng, 1, "sched_bench");
  h.left = events;
  for (size_t i = 0; i < pending; i++) {
    rv = psim_sched_at(s, psim_rng_below(&h.rng, 2 * MEAN_INCREMENT_NS), hold_fn, &h,
                       NULL, NULL);
    if (rv != 0)
      die("psim_sched_at", rv);
  }
  t0 = now_seconds();
  if ((rv = psim_sched_run(s)) != 0)
    die("psim_sched_run", rv);
  t1 = now_seconds();
  if (psim_sched_executed(s) != events || psim_sched_size(s) != pending - 1) {
    fprintf(stderr,
            "sched_bench: ran %llu events with %zu pending, expected %llu and %zu\n",
            (unsigned long long)psim_sched_executed(s), psim_sched_size(s),
            (unsigned long long)events, pending - 1);
    exit(1);
  }
  psim_sched_del(s);
  return (double)events / (t1 - t0);
}

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;

  return (a > b) - (a < b);
}

int main(int argc, char **argv) {
  static const size_t default_sizes[] = {1, 1000, 100000};
  uint64_t events = argc > 1 ? strtoull(argv[1], NULL, 10) : DEFAULT_EVENTS;
  int runs = argc > 2 ? atoi(argv[2]) : DEFAULT_RUNS;
  double rate[MAX_RUNS];

  if (events == 0 || runs < 1 || runs > MAX_RUNS) {
    fprintf(stderr, "usage: sched_bench [EVENTS_PER_RUN [RUNS (1-%d) [PENDING...]]]\n",
            MAX_RUNS);
    return 2;
  }
  printf("# psim_sched hold model: %llu events per run, median of %d runs\n",
         (unsigned long long)events, runs);
  printf("%10s %14s %14s %14s %10s\n", "pending", "events/s", "min", "max", "ns/event");
  for (int k = 0; k < (argc > 3 ? argc - 3 : 3); k++) {
    size_t pending =
        argc > 3 ? (size_t)strtoull(argv[3 + k], NULL, 10) : default_sizes[k];
    double med;

    if (pending == 0) {
      fprintf(stderr, "sched_bench: PENDING must be at least 1\n");
      return 2;
    }
    for (int r = 0; r < runs; r++)
      rate[r] = run_once(pending, events);
    qsort(rate, (size_t)runs, sizeof(rate[0]), cmp_double);
    med = rate[runs / 2];
    printf("%10zu %14.0f %14.0f %14.0f %10.1f\n", pending, med, rate[0], rate[runs - 1],
           1e9 / med);
  }
  return 0;
}

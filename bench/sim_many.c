/*
 * sim_many: memory per connection with N concurrent connections in the
 * simulator.  Runs the "many" scenario (N request/response connections,
 * all held open until the last is established and has exchanged its
 * request and response) and reads the resident set size at two
 * milestones: "start" (everything built, no connection yet) and
 * "all-established" (all N open at once).  Memory per connection is the
 * difference over N; it counts both ends of each connection (two
 * ptcp_conn, two sockets, the applications' per-connection state), the
 * scheduler and packet pool growth, and allocator overhead.
 *
 *   sim_many [-c CONNS] [-n RESPONSE_BYTES] [--json]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <plugsim/plugsim.h>

typedef struct marks {
  long rss_start, rss_all;
  ptcp_time t_all;
  double wall_all;
} marks;

static double wall_now(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Resident set size in bytes, from /proc/self/statm. */
static long rss_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long size, resident;

  if (f == NULL)
    return -1;
  if (fscanf(f, "%ld %ld", &size, &resident) != 2)
    resident = -1;
  fclose(f);
  return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

static void on_milestone(void *ctx, const char *what, ptcp_time now) {
  marks *m = ctx;

  if (strcmp(what, "start") == 0) {
    m->rss_start = rss_bytes();
  } else if (strcmp(what, "all-established") == 0) {
    m->rss_all = rss_bytes();
    m->t_all = now;
    m->wall_all = wall_now();
  }
}

int main(int argc, char **argv) {
  static const struct option opts[] = {{"conns", required_argument, NULL, 'c'},
                                       {"bytes", required_argument, NULL, 'n'},
                                       {"json", no_argument, NULL, 'j'},
                                       {NULL, 0, NULL, 0}};
  psim_run_cfg cfg;
  psim_result res;
  marks m = {-1, -1, 0, 0};
  unsigned long conns = 100000, bytes = 100;
  int json = 0, opt, rv;
  char err[256];
  double t0, t1;

  while ((opt = getopt_long(argc, argv, "c:n:j", opts, NULL)) != -1) {
    switch (opt) {
    case 'c':
      conns = strtoul(optarg, NULL, 10);
      break;
    case 'n':
      bytes = strtoul(optarg, NULL, 10);
      break;
    case 'j':
      json = 1;
      break;
    default:
      fprintf(stderr, "usage: sim_many [-c CONNS] [-n RESPONSE_BYTES] [--json]\n");
      return 2;
    }
  }
  if (conns == 0 || conns > 480000 || bytes == 0) {
    fprintf(stderr, "sim_many: CONNS in 1..480000, RESPONSE_BYTES >= 1\n");
    return 2;
  }
  psim_run_cfg_init(&cfg);
  cfg.scenario = "many";
  cfg.conns = (uint32_t)conns;
  cfg.bytes = bytes;
  cfg.milestone = on_milestone;
  cfg.ctx = &m;
  t0 = wall_now();
  rv = psim_run(&cfg, &res, err, sizeof(err));
  t1 = wall_now();
  if (rv != 0) {
    fprintf(stderr, "sim_many: %s\n", err);
    return 1;
  }
  if (m.rss_all < 0 || m.rss_start < 0) {
    fprintf(stderr, "sim_many: the connections were never all open at once (ok=%d: %s)\n",
            res.ok, res.nfailures ? res.failures[0] : "");
    psim_result_free(&res);
    return 1;
  }
  if (json) {
    printf("{\"conns\": %lu, \"ok\": %s, \"rss_start\": %ld, \"rss_all_open\": %ld, "
           "\"bytes_per_conn\": %.1f, \"sizeof_conn\": %zu, \"sizeof_sock\": %zu, "
           "\"sim_time_all_open_s\": %.6f, \"wall_to_all_open_s\": %.3f, \"wall_s\": %.3f, "
           "\"events\": %llu}\n",
           conns, res.ok ? "true" : "false", m.rss_start, m.rss_all,
           (double)(m.rss_all - m.rss_start) / (double)conns, ptcp_conn_sizeof(),
           psim_sock_sizeof(), (double)m.t_all / 1e9, m.wall_all - t0, t1 - t0,
           (unsigned long long)res.events);
  } else {
    printf("connections       %lu concurrent (%s)\n", conns, res.ok ? "all checked" : "FAILED");
    printf("rss at start      %.1f MiB\n", (double)m.rss_start / 1048576.0);
    printf("rss, all open     %.1f MiB (at %.3f s simulated, %.3f s wall)\n",
           (double)m.rss_all / 1048576.0, (double)m.t_all / 1e9, m.wall_all - t0);
    printf("per connection    %.0f bytes (both ends: 2 x ptcp_conn of %zu, 2 sockets of %zu, "
           "app state)\n",
           (double)(m.rss_all - m.rss_start) / (double)conns, ptcp_conn_sizeof(),
           psim_sock_sizeof());
    printf("whole run         %.3f s wall, %llu events\n", t1 - t0,
           (unsigned long long)res.events);
  }
  rv = res.ok ? 0 : 1;
  psim_result_free(&res);
  return rv;
}

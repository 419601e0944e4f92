/*
 * plugsim internals: a run in progress (psim_scenario.c builds, runs
 * and reports it) and the scenarios as data (psim_scenarios.c).
 */
#ifndef PSIM_SCENARIO_INT_H
#define PSIM_SCENARIO_INT_H

#include <plugsim/app.h>
#include <plugsim/ladder.h>
#include <plugsim/pcap.h>
#include <plugsim/scenario.h>
#include <plugsim/trace.h>

#include "psim_app_int.h"

#define RUN_MAX_CLIENTS 8u
#define RUN_SCRIPT_MAX 8u
#define RUN_HIST_MAX 32u
#define RUN_SEGLOG_MAX 64u
#define RUN_PEERS 4u

/* Sides of the first connection. */
enum { SIDE_CLIENT = 0, SIDE_SERVER = 1 };

typedef struct run run;

/* A scenario: setup, stop condition and expectation. */
typedef struct scenario {
  psim_scenario_info info;
  double default_loss;    /* when the user gave no --loss */
  uint32_t server_rcvbuf; /* when the user gave no --rcvbuf; 0: the default */
  /* (optional) Script rules for the first link, before it is built (the
   * policies are resolved by then). */
  void (*script)(run *r);
  /* Starts the applications.  Returns 0 or a PTCP_ERR_* code. */
  int (*setup)(run *r);
  /* (optional) Whether the run is over; NULL: run_finished_default. */
  int (*finished)(run *r);
  /* Adds failures for every expectation that does not hold. */
  void (*check)(run *r);
} scenario;

/* One segment of the first connection, as sent. */
typedef struct seglog {
  ptcp_time t;
  uint8_t side, flags;
  uint32_t seq, ack, len;
  uint16_t win;
} seglog;

/* A socket driven directly by scenario code (simultaneous open and
 * close, bind-in-use). */
typedef struct peer {
  run *r;
  int side;
  app_stream st;
  psim_app_stats stats;
  uint64_t send_bytes; /* then shut down, once the expected data is in */
  uint64_t expect_bytes;
  ptcp_time shutdown_at; /* shut down at this time instead (NONE: as above) */
  psim_event ev;
  uint8_t connected, shut, ended;
  uint8_t shut_due; /* shutdown_at passed before the connection was there */
  psim_sock *listener; /* accepts one connection into st.sock */
} peer;

struct run {
  const psim_run_cfg *cfg;
  const scenario *sc;
  psim_result *res;
  const ptcp_mem *mem;
  ptcp_registry *own_reg;
  const ptcp_registry *reg;
  ptcp_policy_sel sel[PTCP_SLOT_COUNT];
  char spec[PTCP_SLOT_COUNT][PSIM_POLICY_SPEC_MAX];

  psim_sched *sched;
  psim_pool *pool;
  psim_pattern *pat;
  psim_node *client, *server;
  psim_node *clients[RUN_MAX_CLIENTS];
  unsigned nclients;
  psim_link *links[RUN_MAX_CLIENTS];
  psim_pcap *pcaps[RUN_MAX_CLIENTS];
  unsigned nlinks;
  psim_trace *trace;
  psim_ladder *ladder;

  psim_link_dir_cfg link; /* as configured, with the scenario's defaults */
  psim_script_rule script[2][RUN_SCRIPT_MAX];
  size_t nscript[2];
  uint64_t bytes;
  uint32_t conns;
  ptcp_conn_cfg conn_cfg;   /* the stacks' connection defaults */
  ptcp_conn_cfg server_cfg; /* the server's (zero-window shrinks rcvbuf) */

  /* Applications. */
  psim_bulk *bulk;
  psim_sink *sink;
  psim_echo_server *echo_srv;
  psim_echo_client *echo_cli;
  psim_reqresp_server *rr_srv;
  psim_many *many[RUN_MAX_CLIENTS];
  unsigned nmany, many_ready;
  peer peers[RUN_PEERS];
  unsigned npeers;
  unsigned apps, apps_done;
  psim_app_hooks hooks; /* every app reports through these */
  int expect_prefix;    /* delivered data may stop short (rst) */
  uint64_t progress_done, progress_total;
  uint8_t buf[APP_READ_CHUNK];

  /* The first connection: its 4-tuple and what happened to it. */
  int tuple_set;
  uint16_t port[2];
  int ever[2];
  ptcp_state state[2];
  struct {
    ptcp_time t;
    uint8_t st;
  } hist[2][RUN_HIST_MAX];
  unsigned nhist[2];
  seglog segs[RUN_SEGLOG_MAX];
  unsigned nsegs;
  uint64_t reasons[2][PTCP_R_COUNT];
  uint64_t verdicts[2][PTCP_VERDICT_RESET + 1];
  uint64_t rst_sent[2];
  uint64_t zero_window_sent[2];
  uint64_t data_sent_in[2][PTCP_STATE_COUNT]; /* data segments sent, by state */
  uint64_t data_in[2][PTCP_STATE_COUNT];      /* data segments accepted, by state */
  uint64_t persist[2], syn_timeouts[2];
  uint64_t syns_in;     /* bare SYNs that reached the server */
  int late_syn_verdict; /* -1: none came after ESTABLISHED */
  ptcp_time tw_enter[2], closed_at[2];
  ptcp_time tw_fin_at; /* last FIN the client got in TIME-WAIT */
  int tw_fin_verdict;
  ptcp_seg tw_fin_seg; /* that FIN (payload dropped) */
  uint64_t tw_fins;
  /* Packets the scripts dropped or delayed, as parsed at the link. */
  unsigned nscripted;
  struct {
    unsigned dir;
    uint8_t flags;
    uint32_t len;
    int dropped;
  } scripted[RUN_SCRIPT_MAX];
  /* Scenario-specific results. */
  int rv[4];

  int finished;
  int failed_setup;
};

/* psim_scenarios.c */
const scenario *run_scenario_find(const char *name);
size_t run_scenario_count(void);
const scenario *run_scenario_at(size_t i);

/* psim_scenario.c, for the scenarios */
void run_fail(run *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
int run_finished_default(run *r);
void run_maybe_stop(run *r);
void run_add_script(run *r, unsigned dir, psim_script_action action, uint64_t nth,
                    ptcp_duration delay);
int run_hist_has(const run *r, int side, ptcp_state st);
ptcp_time run_hist_time(const run *r, int side, ptcp_state st);
int run_hist_order(const run *r, int side, const ptcp_state *seq, size_t n);
const psim_app_stats *run_app_sum(run *r, psim_app_stats *sum);
int run_side_error(run *r, int side);
void run_check_common(run *r);
int peer_start(run *r, peer *p, psim_node *node, int side);
int peer_connect(run *r, peer *p, psim_sock *s, const ptcp_addr *dst, uint16_t port);
int peer_listen(run *r, peer *p, psim_sock *l);
ptcp_duration run_one_way(const run *r, size_t bytes);

#endif /* PSIM_SCENARIO_INT_H */

/*
 * plugsim: experiments.  A run builds a topology (a client and a server
 * node on one point-to-point link; the "many" scenario adds client
 * nodes), starts a named scenario's applications, runs the simulation
 * until the scenario is over (or hangs), checks the scenario's expected
 * outcome and reports everything plugtcp-sim prints.
 *
 * Scenarios (psim_scenario_count/_get list them with their expected
 * outcomes; docs/sim.md explains each):
 *   bulk, handshake, old-dup-syn, lost-ack, lost-data, simultaneous-open,
 *   simultaneous-close, half-close, time-wait, refused, rst,
 *   bind-in-use, zero-window, echo, reqresp, many.
 *
 * Determinism: a run is a pure function of its configuration (seed
 * included).  Nothing here reads a clock; the caller measures wall time.
 */
#ifndef PLUGSIM_SCENARIO_H
#define PLUGSIM_SCENARIO_H

#include <stdio.h>

#include <plugsim/ladder.h>
#include <plugsim/link.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A named scenario, as data. */
typedef struct psim_scenario_info {
  const char *name;
  const char *summary;     /* one line: what happens */
  const char *expectation; /* what must hold for ok */
  uint64_t default_bytes;  /* the --bytes it uses when none is given */
} psim_scenario_info;

/** psim_scenario_count returns the number of scenarios. */
size_t psim_scenario_count(void);
/** psim_scenario_get returns scenario |i| (in the documented order), or NULL. */
const psim_scenario_info *psim_scenario_get(size_t i);
/** psim_scenario_find returns the scenario named |name|, or NULL. */
const psim_scenario_info *psim_scenario_find(const char *name);

/* psim_run_cfg.impair: which directions the impairments apply to. */
#define PSIM_IMPAIR_FORWARD 0x1u /* client -> server */
#define PSIM_IMPAIR_REVERSE 0x2u /* server -> client */
#define PSIM_IMPAIR_BOTH 0x3u

/* psim_run_cfg.set: which settings the user gave (the others take the
 * scenario's defaults). */
#define PSIM_SET_LOSS 0x01u
#define PSIM_SET_RCVBUF 0x02u
#define PSIM_SET_BYTES 0x04u /* |bytes| holds even when 0 */

/** A run's configuration.  Start from psim_run_cfg_init. */
typedef struct psim_run_cfg {
  const char *scenario; /* NULL: "bulk" */
  uint64_t seed;
  uint64_t bytes; /* 0: the scenario's default */
  uint32_t conns; /* many: concurrent connections; 0: 100 */
  /* The link: rate, delay, queue and impairments, applied to the
   * directions in |impair| (rate, delay and queue to both).  Scripts
   * here are ignored: scenarios bring their own. */
  psim_link_dir_cfg link;
  unsigned impair;
  unsigned set; /* PSIM_SET_* */
  /* Policy specs per slot ("rfc6298:min=200ms"); NULL: the default. */
  const char *policy[PTCP_SLOT_COUNT];
  const ptcp_registry *registry; /* NULL: the built-ins */
  uint16_t mss;                  /* 0: the stack's default */
  uint32_t sndbuf, rcvbuf;       /* 0: the stack's default */
  ptcp_duration msl;             /* 0: the stack's default */
  ptcp_duration time_limit;      /* simulated; 0: one hour */
  const char *pcap_prefix;       /* write <prefix>-<link>.pcap; NULL: none */
  FILE *trace;                   /* JSON lines; NULL: none */
  int ladder;                    /* record the first connection's ladder */
  const ptcp_mem *mem;           /* NULL: libc */
  /** (optional) Progress: checked bytes so far of the expected total. */
  void (*progress)(void *ctx, uint64_t done, uint64_t total, ptcp_time now);
  /** (optional) Milestones: "start" (built, before the first event) and,
   *  for many, "all-established" (every connection open at once). */
  void (*milestone)(void *ctx, const char *what, ptcp_time now);
  /** (optional) Every event of link |link| (0 for the first client's),
   *  as its trace hook sees it (psim_link_trace_fn): what a recorder
   *  needs to replay the run packet by packet, each packet's fate
   *  included.  It must not call into the simulation. */
  void (*on_link)(void *ctx, unsigned link, const psim_link_event *ev);
  void *ctx;
} psim_run_cfg;

/**
 * psim_run_cfg_init sets the defaults: scenario bulk, seed 1, a
 * 100 Mbit/s, 10 ms, 100-packet link with no impairment in both
 * directions, the default policies.
 */
void psim_run_cfg_init(psim_run_cfg *cfg);

#define PSIM_RESULT_FAILURES 8u
#define PSIM_RESULT_TEXT 240u
#define PSIM_POLICY_SPEC_MAX 160u

/** Totals over both directions of the link(s). */
typedef struct psim_link_totals {
  uint64_t offered, sent, dropped_queue, lost, duplicated, reordered, corrupted,
      delivered;
} psim_link_totals;

/** What a run found. */
typedef struct psim_result {
  const psim_scenario_info *scenario;
  uint64_t seed;
  char policy[PTCP_SLOT_COUNT][PSIM_POLICY_SPEC_MAX]; /* canonical specs */
  psim_link_dir_cfg link; /* as run (with the scenario's defaults) */
  unsigned impair;
  uint64_t bytes; /* the scenario's size parameter, as run */
  uint32_t conns;
  uint16_t mss;
  uint32_t sndbuf, rcvbuf;
  ptcp_duration msl;
  uint64_t bytes_sent;      /* by the applications */
  uint64_t bytes_delivered; /* read by the applications */
  uint64_t bytes_expected;
  int verified;           /* every delivered byte matched, nothing missing */
  int ok;                 /* the scenario's expectation held */
  int hung;               /* the time limit passed, or the run stalled */
  ptcp_time sim_time;     /* when the run ended */
  uint64_t events;        /* scheduler events run */
  uint64_t segments_sent; /* TCP segments, both sides */
  uint64_t data_segments_sent;
  uint64_t retransmissions;          /* segments sent again (SYN, data or FIN) */
  uint64_t spurious_retransmissions; /* data segments the receiver already had */
  uint64_t timeouts;                 /* retransmission timer firings (SYN and data) */
  uint64_t rtt_samples;
  ptcp_duration rtt_min, rtt_max; /* NONE without samples */
  double rtt_mean;                /* ns */
  uint64_t input_errors;          /* packets the stacks refused (bad checksums) */
  psim_link_totals links;
  ptcp_state final_client, final_server; /* the first connection's */
  int client_error, server_error;        /* errno it ended with, 0 if none */
  size_t pool_peak;                      /* packets alive at once, at most */
  char expectation[PSIM_RESULT_TEXT];
  unsigned nfailures;
  char failures[PSIM_RESULT_FAILURES][PSIM_RESULT_TEXT];
  psim_ladder *ladder; /* when asked for; freed by psim_result_free */
} psim_result;

/**
 * psim_run runs the experiment |cfg| describes into |res|.  Returns 0
 * when it ran (res->ok says whether the expectation held), or, with a
 * sentence in |err| (|errlen| bytes) saying what is wrong:
 *   PTCP_ERR_NOT_FOUND         no such scenario or policy;
 *   PTCP_ERR_INVALID_ARGUMENT  a bad setting (a policy parameter, a
 *                              probability, a buffer size ...);
 *   PSIM_ERR_IO                a pcap file could not be written;
 *   PTCP_ERR_NOMEM             out of memory.
 */
int psim_run(const psim_run_cfg *cfg, psim_result *res, char *err, size_t errlen);

/** psim_result_free frees what |res| holds (its ladder). */
void psim_result_free(psim_result *res);

/**
 * psim_summary_json writes |res| as one JSON object (and a newline);
 * |wall_s| is the wall time the caller measured.  docs/sim.md lists
 * the keys.  Returns 0 or PSIM_ERR_IO.
 */
int psim_summary_json(FILE *out, const psim_result *res, double wall_s);

/** psim_summary_text writes |res| for people.  Returns 0 or PSIM_ERR_IO. */
int psim_summary_text(FILE *out, const psim_result *res, double wall_s);

#ifdef __cplusplus
}
#endif

#endif /* PLUGSIM_SCENARIO_H */

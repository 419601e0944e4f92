/*
 * plugtcp-drill: the state of one script run, shared by runner.c,
 * packet.c and syscalls.c.
 */
#ifndef PLUGTCP_DRILL_RUN_H
#define PLUGTCP_DRILL_RUN_H

#include "drill.h"

#define DRILL_MAX_FDS 32
#define DRILL_FIRST_FD 3
#define DRILL_MAX_OUT 1024
#define DRILL_TS_MAP 64

/* The ports packetdrill uses: the local one a script binds to or
 * connects to, and the scripted peer's own. */
#define DRILL_LOCAL_PORT 8080
#define DRILL_REMOTE_PORT 40000

/* One file descriptor of the script. */
typedef struct drill_sock {
  int used;
  int fd;
  ptcp_conn *conn;   /* NULL until bind/listen/connect needs one */
  ptcp_conn_cfg cfg; /* settings for when it is created */
  int nonblock;
  int bound, listening, connecting, connected;
  int so_error; /* pending error, BSD's so_error (errno value) */
  int failed;   /* the connection failed; its error was reported */
  int shut_rd;
  int linger_abort; /* SO_LINGER {1, 0}: close() resets */
  int reuseaddr;
  char policy_buf[PTCP_SLOT_COUNT][128];
} drill_sock;

/* A segment the stack emitted, waiting to be matched. */
typedef struct drill_out {
  uint8_t *pkt;
  size_t len;
  ptcp_time at;
  unsigned ev; /* the script event being run when it was sent */
  int by_call; /* sent by that event's own system call */
} drill_out;

/* A blocking call that has not returned yet (one at a time, as in
 * packetdrill). */
typedef struct drill_pending {
  int active;
  const drill_event *ev;
  int fd;
  ptcp_time start;                    /* virtual time the call began */
  ptcp_time deadline_lo, deadline_hi; /* when it should return */
  uint64_t done;                      /* bytes written so far (write/send) */
  ptcp_time wake;                     /* its own timeout (poll), or PTCP_TIME_NONE */
} drill_pending;

typedef struct drill_run {
  const drill_script *script;
  const drill_config *cfg;
  drill_result *res;
  ptcp_registry *reg;
  ptcp_stack *stack;
  ptcp_time now;
  uint64_t rng;

  /* The defaults new sockets get (the FreeBSD knobs write here). */
  ptcp_conn_cfg defaults;
  char df_name[64];
  int df_missing; /* the dupfilter the script needs is not registered */
  int v6;
  int mtu;
  ptcp_duration tolerance;
  double tolerance_percent;
  int defines_freebsd;
  int insecure_rst, insecure_syn; /* FreeBSD's knobs: RFC 793 instead of RFC 5961 */
  /* Policy per slot chosen by the script (--policy=SLOT=SPEC), else by
   * the command line; NULL: the mapping or the built-in default. */
  const char *pol[PTCP_SLOT_COUNT];

  /* The flow between the stack and the scripted peer. */
  ptcp_addr local, remote;
  uint16_t lport, rport;
  int lport_known;
  uint32_t local_isn; /* our ISN as the script numbers it (0) */
  int local_isn_known;

  /* TS values: the script's, and what the stack really sent. */
  uint32_t ts_script[DRILL_TS_MAP], ts_live[DRILL_TS_MAP];
  unsigned nts;

  drill_sock socks[DRILL_MAX_FDS];
  int last_fd; /* most recently created socket, for %{ }% */

  drill_out out[DRILL_MAX_OUT];
  unsigned nout, head;

  drill_pending pend;

  /* Times of the previous event: script (for '+') and live. */
  ptcp_time prev_script;
  ptcp_time prev_live;
  int failed;
  int skipped;
  unsigned cur_ev; /* the event being run */
  int in_call;     /* its system call is executing */
} drill_run;

/* runner.c */
int drill_fail(drill_run *r, const drill_event *ev, ptcp_time at, const char *expected,
               const char *actual, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
int drill_skip(drill_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void drill_trace(drill_run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int drill_advance(drill_run *r, ptcp_time until, int stop_on_packet);
void drill_check_pending(drill_run *r);
double drill_secs(ptcp_time t);

/* packet.c */
int drill_inject(drill_run *r, const drill_event *ev);
int drill_match(drill_run *r, const drill_event *ev, const drill_out *o, char *why,
                size_t cap);
void drill_describe_out(drill_run *r, const drill_out *o, char *buf, size_t cap);
void drill_describe_expected(drill_run *r, const drill_packet *pk, char *buf, size_t cap);

/* syscalls.c */
int drill_exec_syscall(drill_run *r, const drill_event *ev);
int drill_pending_try(drill_run *r); /* 1 when the blocked call returned */
drill_sock *drill_sock_of(drill_run *r, int fd);
void drill_sock_close_all(drill_run *r);
int drill_code(drill_run *r, const drill_event *ev);
void drill_on_error(drill_run *r, ptcp_conn *c, int err);

#endif /* PLUGTCP_DRILL_RUN_H */

/*
 * plugtcp fuzzing: what the three files of the "conn" driver share
 * (internal to the driver; its interface is conn_driver.h).
 *
 *   conn_driver.c   runs an input: set-up, the event loop, user calls,
 *                   time, allocator failures, the ending; the counting
 *                   allocator, the randomness and the callbacks
 *   conn_peer.c     the peer: what it knows of each 4-tuple, what it
 *                   sees of the stack's output, the segments and raw
 *                   packets it injects
 *   conn_oracle.c   the invariants checked after every event, what a
 *                   rejected segment may change, the bad-input checks
 *
 * The names shared between the files start with cd_.
 */
#ifndef PTCP_CONN_DRIVER_INT_H
#define PTCP_CONN_DRIVER_INT_H

#include <stddef.h>
#include <stdint.h>

#include <plugtcp/plugtcp.h>

#include "conn_driver.h"
#include "conn_format.h"
#include "fuzz_input.h"

#define MAX_INTERVALS 32u
#define MAX_SYNS 32u
#define MAX_OUT 64u /* segments remembered per event */
#define PKT_CAP (PTCP_IPV6_HDR_LEN + PTCP_HDR_MAX + 65536u)
#define RW_CAP CF_USER_MAX

/* ------------------------------------------------------------------ */
/* State                                                               */

typedef struct interval {
  uint32_t start, len;
} interval;

/* What the peer knows of one 4-tuple: what the stack put on the wire,
 * and what the peer itself sent. */
typedef struct peer {
  int used;
  uint16_t lport, rport;
  int iss_known, max_known, ack_known, ts_known;
  uint32_t our_iss, our_max, our_ack, our_wnd, our_tsval;
  int isn_known;
  uint32_t isn, nxt;
  interval iv[MAX_INTERVALS];
  unsigned niv;
  int iv_overflow;
  uint32_t syn[MAX_SYNS];
  unsigned nsyn;
  int syn_overflow; /* more SYNs than the list holds */
  int irs_pinned;   /* our SYN,ACK (or STATUS) said which SYN we took */
  uint32_t irs;
  int tainted;        /* bytes not from the pattern went in */
  ptcp_time chal[32]; /* times of the last challenge ACKs */
  unsigned nchal;
} peer;

typedef struct handle {
  ptcp_conn *c;
  int listener;
  uint32_t sndbuf, rcvbuf;
  uint16_t mss;
  uint64_t written, read;
  int opened, synced, iss_set;
  uint32_t iss, irs, rcv_nxt, snd_una;
  int state_known;
  ptcp_state state;
  int edge_known;
  uint32_t edge;
  unsigned cb_events; /* callbacks seen during the current event */
} handle;

/* One emitted segment, kept until the event's checks ran. */
typedef struct outseg {
  int tuple;
  uint8_t flags;
  uint32_t seq, ack, len, seg_len;
  uint16_t window;
  int rtx;
} outseg;

/* A snapshot of what a rejected segment must leave alone. */
typedef struct snap {
  int valid;
  ptcp_conn_status st;
} snap;

typedef struct counting_mem {
  ptcp_mem mem;
  uint64_t live_bytes, live_blocks, peak_bytes;
  uint64_t fail_nth;    /* countdown; 0 = off */
  int fail_all;         /* during the current event */
  unsigned fail_events; /* events left that fail everything */
  int fail_next_event;
  uint64_t refused;
} counting_mem;

typedef struct cd {
  const fuzz_tracer *tr;
  cd_summary *sum;
  fuzz_input in;
  ptcp_stack *stack;
  counting_mem m;
  ptcp_time now;
  uint64_t rng;
  int rand_fails;
  unsigned rand_left; /* draws that still succeed */
  int v6;
  ptcp_addr local, remote, bad;
  uint8_t hflags, cbflags;
  ptcp_conn_cfg conn_cfg; /* the stack's defaults for connections */
  uint32_t max_conns;
  uint8_t challenge_limit;
  ptcp_duration msl_max;
  uint32_t maxbuf;
  uint64_t mem_base;
  int fw2_unbounded; /* some close policy may wait forever */
  handle h[CF_SLOTS];
  peer p[CF_TUPLES];
  unsigned next_dyn;
  /* The current event. */
  unsigned index;
  const char *call;
  int injecting, in_rst;
  unsigned seg_in;
  const ptcp_conn *vconn[2];
  ptcp_verdict verdict[2];
  ptcp_reason reason[2];
  outseg out[MAX_OUT];
  unsigned nout, nout_all;
  int pending_rtx;
  uint8_t pkt[PKT_CAP];
  uint8_t rw[RW_CAP];
  char text[512];
} cd;

/* The built-in policies, made once for every run (conn_driver.c). */
extern ptcp_registry *cd_registry;

/* ------------------------------------------------------------------ */
/* conn_driver.c: failing, telling the tracer, handles                 */

void cd_fail(cd *d, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5), noreturn));

/* CK(cond) or CK(cond, "fmt", args): the message says what was seen. */
#define CK(cond, ...)                                                                    \
  do {                                                                                   \
    if (!(cond))                                                                         \
      cd_fail(d, __FILE__, __LINE__, "(" #cond ") " __VA_ARGS__);                        \
  } while (0)

uint64_t cd_fnv(uint64_t h, const void *p, size_t n);
void cd_say(cd *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cd_result(cd *d, const char *call, long rv);
handle *cd_handle_of(cd *d, const ptcp_conn *c);

/* ------------------------------------------------------------------ */
/* conn_peer.c: the peer                                               */

void cd_peer_reset(peer *p, uint16_t lport, uint16_t rport);
int cd_tuple_find(cd *d, uint16_t lport, uint16_t rport);
int cd_handle_tuple(cd *d, const handle *h);
int cd_emit(void *user, const uint8_t *pkt, size_t len);
void cd_op_seg(cd *d);
void cd_op_raw(cd *d);

/* ------------------------------------------------------------------ */
/* conn_oracle.c: invariants, rejected segments, bad input             */

void cd_check_stack(cd *d);
void cd_check_outputs(cd *d);
void cd_snapshot(cd *d, snap *s);
void cd_check_rejected(cd *d, const snap *before, const ptcp_seg *in);
void cd_misuse(cd *d);

#endif /* PTCP_CONN_DRIVER_INT_H */

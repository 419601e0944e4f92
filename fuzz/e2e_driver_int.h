/*
 * plugtcp fuzzing: what the three files of the "e2e" driver share
 * (internal to the driver; its interface is e2e_driver.h).
 *
 *   e2e_driver.c   runs an input: the settings, the hosts, the link and
 *                  the applications, the records decoded into a
 *                  timeline and fate queues, the three phases
 *   e2e_user.c     the user sockets: the records' calls, what sockets
 *                  do by themselves, and the prefix and completeness
 *                  checks on every read
 *   e2e_oracle.c   the run's digest (determinism), the state
 *                  transitions, the applications' counters (prefix,
 *                  completeness) and the last word (liveness)
 *
 * The names shared between the files start with e2e_.
 */
#ifndef PTCP_E2E_DRIVER_INT_H
#define PTCP_E2E_DRIVER_INT_H

#include <stddef.h>
#include <stdint.h>

#include <plugsim/plugsim.h>
#include <plugtcp/plugtcp.h>

#include "e2e_driver.h"
#include "e2e_format.h"
#include "fuzz_input.h"

#define E2E_STREAMS 128u
#define E2E_TRACKED 256u
#define READ_CHUNK 65536u

enum { SIDE_A = 0, SIDE_B = 1 };
enum { PH_INPUT = 0, PH_FINISH, PH_CLOSE };

/* The hosts' names in notes and messages: "A", "B" (e2e_driver.c). */
extern const char *const e2e_side_name[2];

typedef struct e2e e2e;

/* One entry of a direction's fate queue: |left| packets of one kind. */
typedef struct fate_ent {
  uint8_t kind, dup;
  uint32_t left;
  uint32_t bit;
  ptcp_duration delay;
} fate_ent;

typedef struct fate_q {
  fate_ent *v;
  size_t n, head;
} fate_q;

/* A user call, due at |at|. */
typedef struct action {
  e2e *d;
  ptcp_time at;
  unsigned index;
  uint8_t op, side, slot, variant, b;
  uint16_t x, y;
} action;

/* One direction of a connection between user sockets, as its writer
 * registered it (at connect or accept, when its ISS is known). */
typedef struct stream {
  uint8_t side; /* the writer's host */
  uint8_t claimed;
  uint16_t sport, dport;
  uint32_t iss;
  uint64_t base; /* pattern offset of byte 0 */
  uint64_t sent; /* bytes the writer's socket took */
  uint8_t shut;  /* the writer will send no more */
} stream;

typedef struct uslot {
  e2e *d;
  uint8_t side, idx;
  psim_sock *sock;
  uint8_t listener, connected, failed, closed, shut_wr, shut_rd, eof, finishing;
  int closed_err;
  int tx, rx; /* stream indices, -1 when none */
  uint64_t rx_off;
  uint8_t autof;
  uint8_t shut_due; /* SHUTDOWN came before the connection: shut down once it is there */
  uint32_t tx_limit, rx_expect;
} uslot;

typedef struct tracked {
  const ptcp_conn *conn;
  uint8_t side, state;
} tracked;

struct e2e {
  const e2e_observer *obs;
  e2e_summary *sum;
  psim_sched *sched;
  psim_pool *pool;
  const psim_pattern *pat;
  psim_node *node[2];
  psim_link *link;
  ptcp_addr addr[2];
  char specs[PTCP_SLOT_COUNT][160];
  int fw2_unbounded;

  /* The program. */
  unsigned prog;
  uint64_t bytes;
  ptcp_duration t1, t2, t3;
  uint8_t pflags;
  unsigned conns, rounds;
  psim_bulk *bulk;
  psim_sink *sink;
  psim_echo_server *esrv;
  psim_echo_client *ecli;
  psim_reqresp_server *rr;
  psim_many *many;

  uslot slot[2][EF_SLOTS];
  stream streams[E2E_STREAMS];
  unsigned nstreams;
  unsigned ordinal[2];
  uint64_t user_sent[2];

  action *acts;
  size_t nacts;
  fate_q fq[2];
  ptcp_time input_end;
  int phase;

  tracked trk[E2E_TRACKED];
  unsigned ntrk;
  uint8_t allowed[PTCP_STATE_COUNT][PTCP_STATE_COUNT];

  uint64_t events, same_instant;
  ptcp_time last_t;
  uint64_t digest;
  uint8_t buf[READ_CHUNK];
};

/* ------------------------------------------------------------------ */
/* e2e_driver.c: failures and notes                                    */

void e2e_fail(e2e *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define CK(cond, ...)                                                                    \
  do {                                                                                   \
    if (!(cond))                                                                         \
      e2e_fail(d, __VA_ARGS__);                                                          \
  } while (0)

int e2e_noting(const e2e *d);
void e2e_note(e2e *d, const char *who, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int e2e_one_of(long rv, const int *ok);

/* ------------------------------------------------------------------ */
/* e2e_user.c: user sockets                                            */

void e2e_slot_reset(uslot *u);
void e2e_do_read(e2e *d, uslot *u, size_t cap, int all);
void e2e_step(e2e *d, uslot *u);
void e2e_accept_all(e2e *d, uslot *l);
void e2e_user_close(e2e *d, uslot *u, int abort_it);
void e2e_act_event(psim_sched *sched, ptcp_time now, void *a, void *b);

/* ------------------------------------------------------------------ */
/* e2e_oracle.c: the digest, transitions, applications, liveness       */

void e2e_on_engine(void *ctx, psim_node *node, const ptcp_trace *ev);
void e2e_on_input_error(void *ctx, psim_node *node, int err, const uint8_t *pkt,
                        size_t len, ptcp_time now);
void e2e_on_link(void *ctx, const psim_link_event *ev);
void e2e_check_apps(e2e *d);
void e2e_check_end(e2e *d);

#endif /* PTCP_E2E_DRIVER_INT_H */

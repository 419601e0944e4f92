/*
 * plugtcp tests: two ways to drive the engine without a simulator.
 *
 * tp_* (scripted peer): one stack under test at 10.0.0.1; the test plays
 * the peer at 10.0.0.2 by injecting segments built from a template and
 * checking each segment the stack emits, smoltcp style:
 *
 *   tp_send(&t, 100 * MS, SEG(.flags = PTCP_SYN, .seq = 1000));
 *   tp_expect(&t, SEG(.flags = PTCP_SYN | PTCP_ACK, .ack = 1001));
 *
 * Every step states its time.  Fields left at zero in an expectation are
 * not checked, except flags, which always are (see tp_expect).
 *
 * tpair_* (pair): two stacks wired back to back with a one-way delay and
 * a per-packet fate hook (drop, duplicate, delay), run in virtual time.
 */
#ifndef PTCP_TCP_HARNESS_H
#define PTCP_TCP_HARNESS_H

#include <check.h>
#include <stdint.h>

#include <plugtcp/plugtcp.h>

#define MS PTCP_MILLISECONDS
#define SEC PTCP_SECONDS

#define TP_MAX_OUT 2048

/* ------------------------------------------------------------------ */
/* A counting allocator that can fail on purpose                       */

/* Every stack the harness builds allocates through one of these: each
 * block carries a serial number (so the invariant checker can tell a
 * reused address from the same connection), live blocks are counted (so
 * every test ends with a leak check), and allocation number |fail_nth|
 * after arming fails (with |fail_sticky|, every one from it on). */
typedef struct tp_mem {
  ptcp_mem mem;
  uint64_t serial; /* allocations so far */
  uint64_t live, live_bytes, peak_bytes;
  uint64_t attempts; /* since tp_mem_fail was armed */
  uint64_t fail_nth; /* 0 = never */
  int fail_sticky;
  uint64_t failures; /* allocations refused */
} tp_mem;

void tp_mem_init(tp_mem *m);
/* Fails allocation number |nth| (from 1) counted from now; |sticky|
 * keeps failing every later one too.  nth = 0 disarms. */
void tp_mem_fail(tp_mem *m, uint64_t nth, int sticky);
/* The serial number of a live block the allocator returned. */
uint64_t tp_mem_serial(const void *block);

/* ------------------------------------------------------------------ */
/* Invariants                                                          */

/* What the checker remembers of one connection between two checks. */
typedef struct tp_hist {
  const void *conn;
  uint64_t serial;
  uint32_t rcv_nxt, snd_una, iss, irs;
  uint8_t rcv_valid, snd_valid;
} tp_hist;

/* Open-addressed tables (a power of two, kept at most half full): each
 * check rebuilds the next table from the current one, so connections
 * that are gone drop out. */
#define TP_HIST_SLOTS 4096

typedef struct tp_checker {
  tp_hist h[2][TP_HIST_SLOTS];
  unsigned used[2][TP_HIST_SLOTS / 2]; /* the slots each table filled */
  unsigned nused[2];
  unsigned cur, n;
  uint64_t checks; /* connections checked, for the report */
} tp_checker;

/* Checks every connection, listener and TIME-WAIT entry of |stack|
 * (hardening.md §4.3 and the engine's own rules) and remembers what must
 * never move backwards.  Aborts the test with |file|:|line| on failure. */
void tp_check_stack_at(tp_checker *k, const ptcp_stack *stack, const char *file,
                       int line);

/* A segment as the test writes it.  |has_*| say which optional parts
 * matter when expecting. */
typedef struct tp_seg {
  uint8_t flags;
  uint32_t seq, ack;
  uint16_t window;
  uint16_t src_port, dst_port;
  uint32_t len;           /* payload bytes (filled with a pattern on send) */
  const uint8_t *data;    /* explicit payload, or NULL for the pattern */
  ptcp_opts opts;
  int any_seq, any_ack, any_window; /* expectation: do not check */
  int check_opts;         /* expectation: compare opts.present exactly */
  uint16_t urgent;
  const ptcp_addr *src, *dst; /* send: IP addresses, NULL = the test's */
  int window_zero;            /* send: a window of 0 (window 0 means 65535) */
} tp_seg;

#define SEG(...) ((tp_seg){__VA_ARGS__})

typedef struct tp_out {
  uint8_t *pkt;
  size_t len;
  ptcp_seg seg;           /* parsed; payload points into pkt */
  ptcp_ip ip;
} tp_out;

typedef struct tp_events {
  int accept, connected, readable, writable, peer_fin, error, closed;
  int last_error;
  ptcp_conn *last_conn;
} tp_events;

typedef struct tp tp;

/* Optional test code run from the stack's callbacks (after the harness
 * has counted the event): this is where reentrancy is exercised. */
typedef struct tp_hooks {
  void (*on_accept)(tp *t, ptcp_conn *listener);
  void (*on_connected)(tp *t, ptcp_conn *c);
  void (*on_readable)(tp *t, ptcp_conn *c);
  void (*on_writable)(tp *t, ptcp_conn *c);
  void (*on_peer_fin)(tp *t, ptcp_conn *c);
  void (*on_error)(tp *t, ptcp_conn *c, int err);
  void (*on_closed)(tp *t, ptcp_conn *c, int err);
} tp_hooks;

/* One state transition seen in the trace. */
typedef struct tp_transition {
  ptcp_state from, to;
  const ptcp_conn *conn; /* NULL for a compact TIME-WAIT entry */
} tp_transition;

#define TP_MAX_TRANS 256

struct tp {
  ptcp_stack *stack;
  ptcp_registry *reg;
  ptcp_addr local, remote;
  uint16_t local_port, remote_port;
  tp_out out[TP_MAX_OUT];
  unsigned nout, head;
  tp_events ev;
  uint64_t rng;
  ptcp_time now;
  int trace_states[64];   /* last state transitions seen (new states) */
  unsigned ntrace_states;
  ptcp_conn *conn;        /* the connection under test, if any */
  ptcp_conn *listener;
  /* Every transition traced (the first TP_MAX_TRANS), and the verdict
   * of the last segment that arrived. */
  tp_transition trans[TP_MAX_TRANS];
  unsigned ntrans;
  ptcp_verdict last_verdict;
  ptcp_reason last_reason;
  unsigned nseg_in;
  /* Every verdict by number (nseg_in counts them), the first 1024. */
  ptcp_verdict verdicts[1024];
  ptcp_reason reasons[1024];
  tp_hooks hooks;
  void *hook_ctx;
  tp_mem mem;
  tp_checker chk;
  int in_call; /* a public call is under way: no checks */
};

/* Options for tp_init; zero means default. */
typedef struct tp_opts {
  const char *isn;        /* default "counter:start=5000,step=0" */
  const char *policy[PTCP_SLOT_COUNT];
  uint16_t mss;
  uint32_t sndbuf, rcvbuf;
  ptcp_duration msl, delack;
  int no_delack, no_nagle, no_ts, no_sack, no_ws, keepalive;
  uint8_t syn_retries, data_retries;
  int v6;
  uint16_t eph_lo, eph_hi;     /* ephemeral port range */
  uint8_t challenge_ack_limit; /* stack's per-connection cap */
  uint8_t keepalive_count;     /* with keepalive: default 3 */
  int no_addr;                 /* the stack gets no local address */
  uint8_t ttl;                 /* IPv4 TTL / IPv6 hop limit */
} tp_opts;

void tp_init(tp *t, const tp_opts *o);
void tp_free(tp *t);

/* Injects a segment from the peer at |now| (IPv4/IPv6 + TCP, valid
 * checksums).  Ports default to the test's.  Returns the input result. */
int tp_send(tp *t, ptcp_time now, tp_seg s);

/* Runs the stack's timers up to |now|. */
void tp_advance(tp *t, ptcp_time now);

/* Injects raw TCP bytes (the header as given; the checksum is filled in
 * over the pseudo-header when |fix_checksum|).  Returns the input result. */
int tp_send_raw(tp *t, ptcp_time now, const uint8_t *tcp, size_t len, int fix_checksum);

/* Checks the invariants of every connection of the stack now (tp_send
 * and tp_advance do this after every step by themselves); |c| is the
 * connection the test is looking at, or NULL. */
#define tp_check_invariants(t, c) tp_check_invariants_at((t), (c), __FILE__, __LINE__)
void tp_check_invariants_at(tp *t, const ptcp_conn *c, const char *file, int line);

/* Whether the trace shows |from| -> |to| (for |c|, or any when NULL). */
int tp_saw_transition(const tp *t, const ptcp_conn *c, ptcp_state from, ptcp_state to);

/* The listener's newest half-open connection (no user handle), or NULL. */
ptcp_conn *tp_half_open(tp *t);

/* The compact TIME-WAIT entry for the test's 4-tuple: returns 1 and fills
 * what is not NULL, or 0 when there is none. */
int tp_tw_info(tp *t, uint32_t *snd_nxt, uint32_t *rcv_nxt, ptcp_time *expires);

/* Pops the next emitted segment and checks it against |want|.  Fails the
 * test with a readable message otherwise.  Returns the segment. */
const ptcp_seg *tp_expect_at(tp *t, tp_seg want, const char *file, int line);
#define tp_expect(t, want) tp_expect_at((t), (want), __FILE__, __LINE__)

/* Fails if the stack emitted anything not yet popped. */
void tp_expect_nothing_at(tp *t, const char *file, int line);
#define tp_expect_nothing(t) tp_expect_nothing_at((t), __FILE__, __LINE__)

unsigned tp_pending(const tp *t);
void tp_discard(tp *t);

/* Fixtures: build a connection already in a state.  ISS of the stack is
 * 5000 (counter policy), the peer's ISS is 1000 unless said otherwise.
 * All return the connection under test (also t->conn). */
ptcp_conn *tp_listen(tp *t, uint16_t port, unsigned backlog);
ptcp_conn *tp_syn_received(tp *t, ptcp_time now);   /* passive, SYN-ACK popped */
ptcp_conn *tp_established(tp *t, ptcp_time now);    /* passive, accepted */
ptcp_conn *tp_syn_sent(tp *t, ptcp_time now);       /* active, SYN popped */
ptcp_conn *tp_established_active(tp *t, ptcp_time now);
ptcp_conn *tp_fin_wait_1(tp *t, ptcp_time now);     /* shutdown, FIN popped */
ptcp_conn *tp_fin_wait_2(tp *t, ptcp_time now);
ptcp_conn *tp_close_wait(tp *t, ptcp_time now);
ptcp_conn *tp_last_ack(tp *t, ptcp_time now);
ptcp_conn *tp_closing(tp *t, ptcp_time now);
ptcp_conn *tp_time_wait(tp *t, ptcp_time now);

/* The sequence numbers the fixtures use. */
#define TP_ISS 5000u
#define TP_IRS 1000u

/* Snapshot of everything a rejected segment must leave alone: the
 * public status and the engine's own variables (send window bookkeeping,
 * TS.Recent, timers, the reassembly ranges, the protocol flags). */
typedef struct tp_snap {
  ptcp_conn_status st;
  uint32_t snd_wl1, snd_wl2, max_snd_wnd, ts_recent, fin_seq, recover;
  uint32_t flags;
  uint8_t rtx_mode, retries, dupacks;
  ptcp_time t_rtx, t_close;
  uint32_t reasm_start[8], reasm_end[8];
  unsigned reasm_n;
} tp_snap;
void tp_snap_take(const ptcp_conn *c, tp_snap *s);
/* Compares sequence state, queues and state (not counters). */
int tp_snap_same(const tp_snap *a, const tp_snap *b);

/* ------------------------------------------------------------------ */
/* Pair                                                                */

typedef enum { FATE_DELIVER = 0, FATE_DROP, FATE_DUP, FATE_DELAY } tpair_fate;

typedef struct tpair tpair;
/* Decides the fate of the |n|th packet (from 1) sent by side |from|.
 * For FATE_DELAY, *extra is the added delay. */
typedef tpair_fate (*tpair_fate_fn)(tpair *p, int from, unsigned n, const ptcp_seg *seg,
                                    ptcp_duration *extra, void *ctx);

typedef struct tpair_pkt {
  uint8_t *data;
  size_t len;
  ptcp_time at;
  uint64_t order;
  int to;
} tpair_pkt;

#define TPAIR_MAX_INFLIGHT 8192

typedef struct tpair_who {
  tpair *p;
  int side;
} tpair_who;

struct tpair {
  ptcp_stack *st[2];
  tpair_who who[2];
  ptcp_registry *reg;
  int own_reg;             /* reg is the pair's own, freed with it */
  ptcp_addr addr[2];
  ptcp_time now;
  ptcp_duration delay;
  tpair_pkt q[TPAIR_MAX_INFLIGHT];
  unsigned nq;
  uint64_t order;
  unsigned sent[2];
  tpair_fate_fn fate;
  void *fate_ctx;
  uint64_t rng[2];
  tp_events ev[2];
  ptcp_conn *conn[2];      /* side 0 = client, side 1 = server (accepted) */
  ptcp_conn *listener;
  /* Received bytes, appended by the readable handler when auto_read. */
  uint8_t *rx[2];
  size_t rx_len[2], rx_cap[2];
  int auto_read;
  int trace_enabled;
  unsigned segs[2];        /* segments emitted per side */
  unsigned rst[2];
  unsigned retransmits_seen[2];
  uint64_t out_hash[2]; /* FNV-1a over every packet a side emitted */
  tp_mem mem[2];
  tp_checker chk[2];
};

typedef struct tpair_opts {
  tp_opts side[2];
  ptcp_duration delay;     /* one way; default 10 ms */
  uint64_t seed;           /* randomness of both stacks; 0 = the default */
  ptcp_registry *registry; /* both stacks resolve policies here; the caller
                              keeps it (tpair_free leaves it alone).  NULL:
                              a private registry of the built-ins. */
} tpair_opts;

void tpair_init(tpair *p, const tpair_opts *o);
void tpair_free(tpair *p);
/* Client connects to the server's port 80; runs until both sides are
 * established (or the deadline passes).  Returns 1 on success. */
int tpair_connect(tpair *p, ptcp_time deadline);
/* Runs virtual time until |t| (timers and deliveries). */
void tpair_run_until(tpair *p, ptcp_time t);
/* Runs until nothing is in flight and no timer is due before |limit|. */
void tpair_run_idle(tpair *p, ptcp_time limit);
/* Sends |len| pattern bytes (offset |off| of the pattern) from |side|. */
size_t tpair_send_pattern(tpair *p, int side, size_t off, size_t len);
/* Checks that rx[side] holds exactly pattern bytes [0, len). */
int tpair_rx_is_pattern(const tpair *p, int side, size_t len);
/* Runs one step (the earliest delivery or timer) if it is due by
 * |limit|; returns 0 when there is nothing to do. */
int tpair_step(tpair *p, ptcp_time limit);

uint8_t tp_pattern(size_t i);

#endif /* PTCP_TCP_HARNESS_H */

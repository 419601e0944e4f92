/*
 * plugtcp engine internals: the connection, the compact TIME-WAIT entry,
 * the stack, and the functions the engine's modules share.
 *
 * Module map (one concern each):
 *   ptcp_stack.c   stack life, demux, listeners, RST for strays, ports,
 *                  the timer heap, deferred events and frees
 *   ptcp_conn.c    user calls (RFC 9293 §3.10.1-3.10.6)
 *   ptcp_input.c   SEGMENT ARRIVES (RFC 9293 §3.10.7)
 *   ptcp_ack.c     ACK processing: send window, RTT, loss recovery
 *   ptcp_output.c  what to send and when; segment construction
 *   ptcp_timer.c   the connection's timers (RFC 9293 §3.10.8)
 *   ptcp_tw.c      compact TIME-WAIT entries
 *   ptcp_buf.c     byte rings and the reassembly range set
 *   ptcp_fsm.c     the state diagram as data; names
 *   ptcp_profile.c interned settings and policy selections
 */
#ifndef PTCP_CONN_H
#define PTCP_CONN_H

#include <assert.h>
#include <string.h>

#include <plugtcp/plugtcp.h>

#include "ptcp_buf.h"
#include "ptcp_heap.h"

/* ------------------------------------------------------------------ */
/* Demux keys                                                          */

enum { PCB_CONN = 1, PCB_TW = 2 };

/* The part of a connection or TIME-WAIT entry the demux table sees. */
typedef struct ptcp_pcb {
  struct ptcp_pcb *hnext;
  ptcp_addr laddr;
  ptcp_addr raddr;
  uint16_t lport;
  uint16_t rport;
  uint8_t kind; /* PCB_CONN or PCB_TW */
} ptcp_pcb;

/* ------------------------------------------------------------------ */
/* Profiles: settings and policies shared by many connections          */

typedef struct ptcp_profile {
  ptcp_conn_cfg cfg;                 /* policy pointers cleared */
  uint8_t rcv_wscale;                /* derived from rcvbuf (RFC 7323 §2.3) */
  const ptcp_policy_sel *sel[PTCP_SLOT_COUNT];
  uint8_t pofs[PTCP_SLOT_COUNT];     /* state offset in conn->pstate, in u64 */
  uint8_t pwords;                    /* u64 words of state in all */
} ptcp_profile;

/* RFC 9293 §3.7.1 MUST-15: without an MSS option assume 536 (IPv4);
 * RFC 8200 §5: IPv6 links carry 1280 bytes, so 1220 after headers. */
#define PTCP_DEFAULT_MSS_V4 536u
#define PTCP_DEFAULT_MSS_V6 1220u
/* Peers may not make us send tinier segments than this (hardening rule 3;
 * Linux and smoltcp use the same floor). */
#define PTCP_MSS_FLOOR 48u
/* With timestamps every segment carries NOP NOP TS (RFC 7323 §3.2). */
#define PTCP_TS_OPTS_LEN 12u

/* Policy state kept inside the connection; more spills to the heap. */
#define PTCP_PSTATE_WORDS 10

/* ------------------------------------------------------------------ */
/* Connection flags                                                     */

enum {
  CF_USER = 1u << 0,         /* the user holds the handle */
  CF_BOUND = 1u << 1,        /* holds a reference in the port map */
  CF_HASHED = 1u << 2,       /* in the demux table */
  CF_PASSIVE = 1u << 3,      /* born from a listener */
  CF_QUEUED = 1u << 4,       /* in the listener's accept queue */
  CF_SHUT_WR = 1u << 5,      /* our FIN follows the queued data */
  CF_PEER_FIN = 1u << 6,     /* the peer's FIN was processed */
  CF_ACK_NOW = 1u << 7,      /* send an ACK at the end of this call */
  CF_SACK = 1u << 8,         /* SACK permitted both ways */
  CF_TS = 1u << 9,           /* timestamps in use */
  CF_WS = 1u << 10,          /* window scaling in use */
  CF_RECOVERY = 1u << 11,    /* in fast recovery (RFC 6582) */
  CF_TIMING = 1u << 12,      /* timing one segment for RTT */
  CF_TIMED_RTX = 1u << 13,   /* ...and it was retransmitted (Karn) */
  CF_WANT_WRITE = 1u << 14,  /* a send came up short: signal writable */
  CF_PEER_FIN_SEEN = 1u << 15, /* a FIN arrived out of order: fin_seq */
  CF_DEAD = 1u << 16,        /* freed at the end of this call */
  CF_EVLINKED = 1u << 17,    /* on the stack's event list */
  CF_STARTED = 1u << 18,     /* policies initialised */
  CF_CC_STARTED = 1u << 19,  /* cc initialised (needs the MSS) */
  CF_RTO_SPURIOUS_CHECK = 1u << 20, /* first ACK after an RTO decides (RFC 3522) */
  CF_CLOSED_EV = 1u << 21,   /* on_closed delivered */
  CF_TS_RECENT = 1u << 22,   /* ts_recent holds a value */
  CF_FIN_ACKED = 1u << 23,   /* our FIN was acknowledged */
  CF_SYN_ACKED = 1u << 24,   /* our SYN was acknowledged: sbuf starts at SND.UNA */
  CF_LISTENER = 1u << 25,    /* became a listener: the union holds its queues */
  CF_HEARD = 1u << 26,       /* this segment's ACK was acceptable: the peer is alive */
};

/* Events queued for the user (delivered at the end of the call). */
enum {
  EV_ACCEPT = 1u << 0,
  EV_CONNECTED = 1u << 1,
  EV_READABLE = 1u << 2,
  EV_WRITABLE = 1u << 3,
  EV_PEER_FIN = 1u << 4,
  EV_ERROR = 1u << 5,
  EV_CLOSED = 1u << 6,
};

/* What the retransmission timer slot is doing (one mode at a time). */
enum {
  RTX_OFF = 0,
  RTX_SYN,       /* SYN or SYN-ACK outstanding */
  RTX_DATA,      /* data or FIN outstanding */
  RTX_PERSIST,   /* zero window: probe */
  RTX_KEEPALIVE, /* idle: keep-alive */
};

struct ptcp_conn {
  ptcp_pcb pcb;                /* first: the demux table's view */
  ptcp_stack *stack;
  const ptcp_profile *prof;
  ptcp_conn *parent;           /* listener of a half-open or queued conn */
  ptcp_conn *qnext;            /* listener's half-open list / accept queue */
  ptcp_conn *enext;            /* stack event list / dead list */
  ptcp_conn *anext, *aprev;    /* the stack's list of all connections */
  void *user;
  ptcp_heap_node tnode;        /* earliest of the three deadlines below */
  ptcp_time t_rtx;             /* rtx_mode's deadline */
  ptcp_time t_delack;
  ptcp_time t_close;           /* TIME-WAIT, FIN-WAIT-2, or linger */

  uint32_t flags;
  uint8_t state;
  uint8_t rtx_mode;
  uint8_t events;              /* EV_* pending */
  uint8_t retries;             /* consecutive timeouts / unanswered probes */
  uint8_t probes;              /* zero-window probes sent since the window closed */
  uint8_t loop_acks;           /* ACKs to segments without data since limit_at */
  int16_t err;                 /* pending error for the user */
  uint8_t dupacks;
  uint8_t snd_wscale, rcv_wscale;
  uint8_t challenges;          /* challenge ACKs sent since limit_at */
  ptcp_time limit_at;          /* start of the one-second window of both, or NONE */

  /* Send sequence space (RFC 9293 §3.3.1).  snd_max is the highest
   * sequence number sent + 1: after a timeout snd_nxt goes back to
   * snd_una and climbs again (go-back-N), snd_max remembers. */
  uint32_t iss, snd_una, snd_nxt, snd_max;
  uint32_t snd_wnd, snd_wl1, snd_wl2, max_snd_wnd;
  uint32_t recover;            /* RFC 6582 */
  uint32_t timed_seq;          /* RTT timing (RFC 6298 §3) */
  ptcp_time timed_at;
  uint32_t rtx_tsval;          /* TSval of the first retransmission after an RTO (RFC 3522) */

  /* Receive sequence space. */
  uint32_t irs, rcv_nxt;
  uint32_t rcv_adv;            /* right edge we have advertised */
  uint32_t fin_seq;            /* the peer's FIN, when it came out of order */
  uint32_t last_ack_sent;      /* RFC 7323 §4.3 Last.ACK.sent */
  uint32_t ts_recent;          /* RFC 7323 TS.Recent */
  uint32_t ts_offset;          /* our random timestamp offset (RFC 7323 §5.4) */
  ptcp_time ts_recent_at;

  uint16_t snd_mss;            /* payload bytes per segment we send */
  uint16_t rcv_mss;            /* payload bytes per segment we expect */

  ptcp_ring sbuf;              /* from SND.UNA: unacknowledged, then unsent */
  ptcp_ring rbuf;              /* readable bytes, then out-of-order space */
  union {
    ptcp_reasm reasm;          /* out-of-order ranges beyond rbuf */
    struct {                   /* a listener (CF_LISTENER) has no data */
      ptcp_conn *acc_head, *acc_tail, *syn_head;
      uint16_t backlog, syn_count, acc_count;
    };
  };

  /* Counters for ptcp_conn_status. */
  uint32_t segs_in, segs_out, retransmits, timeouts, fast_retransmits;
  uint32_t spurious, rtt_samples;
  uint64_t bytes_in, bytes_out;
  uint32_t *reasons;           /* PTCP_R_COUNT counters, allocated on first use */

  uint64_t *pext;              /* policy state beyond pstate, if any */
  uint64_t pstate[PTCP_PSTATE_WORDS];
};

/* A connection in TIME-WAIT that the user has released: what is needed
 * to re-ACK a FIN, answer a SYN, and expire (RFC 9293 §3.6). */
typedef struct ptcp_tw {
  ptcp_pcb pcb;
  ptcp_heap_node tnode;
  const ptcp_profile *prof;
  ptcp_time expires;
  ptcp_time ts_recent_at;
  uint32_t snd_nxt, rcv_nxt;
  uint32_t rcv_wnd;            /* the window last offered, in bytes */
  uint32_t ts_recent, ts_offset;
  uint16_t window;             /* the window field to advertise */
  uint8_t ts_ok;
} ptcp_tw;

/* ------------------------------------------------------------------ */
/* The stack                                                           */

#define PTCP_MAX_ADDRS 8
#define PTCP_MAX_PROFILES 64
#define PTCP_MAX_SELS 128
#define PTCP_BUF_CACHE 8
#define PTCP_PKT_CAP (PTCP_IPV6_HDR_LEN + PTCP_HDR_MAX + 65535u)

typedef struct ptcp_portmap {
  uint32_t *slots;   /* port << 16 | count, 0 = empty; open addressing */
  uint32_t cap;
  uint32_t used;
} ptcp_portmap;

struct ptcp_stack {
  ptcp_mem mem;
  ptcp_rand_fn rand;
  void *rand_ctx;
  ptcp_callbacks cb;
  void *user;
  ptcp_registry *own_registry;
  const ptcp_registry *registry;

  ptcp_addr addrs[PTCP_MAX_ADDRS];
  unsigned naddrs;
  uint32_t max_conns;
  uint16_t eph_lo, eph_hi;
  uint8_t ttl;
  uint8_t challenge_limit;
  uint16_t ip_id;

  /* Policies and settings, interned. */
  ptcp_policy_sel *sels[PTCP_MAX_SELS];
  unsigned nsels;
  ptcp_profile *profiles[PTCP_MAX_PROFILES];
  unsigned nprofiles;
  const ptcp_profile *default_profile;
  const ptcp_policy_sel *default_sel[PTCP_SLOT_COUNT];
  const ptcp_isn_ops *isn;
  const void *isn_params;
  uint64_t *isn_state;

  /* Demux: connections and TIME-WAIT entries by 4-tuple. */
  ptcp_pcb **htab;
  ptcp_pcb *last_hit;           /* the last lookup's answer */
  uint32_t hmask;
  uint32_t hcount;
  uint64_t hseed;
  ptcp_conn **listeners;        /* small array: listeners are few */
  unsigned nlisteners, listeners_cap;
  ptcp_portmap ports;

  ptcp_heap timers;

  ptcp_conn *all;               /* every connection, for ptcp_stack_free */

  /* Deferred work. */
  ptcp_conn *ev_head, *ev_tail;
  ptcp_conn *dead;
  unsigned depth;
  uint8_t dispatching;

  /* Buffer cache: empty rings go here instead of back to the allocator,
   * so steady traffic allocates nothing per segment. */
  uint8_t *buf_cache[PTCP_BUF_CACHE];
  uint32_t buf_cache_cap[PTCP_BUF_CACHE];
  unsigned nbuf_cache;

  uint8_t *pkt;                 /* PTCP_PKT_CAP bytes: the segment being built */

  uint32_t nconns, ntw;
  ptcp_stack_stats stats;
};

/* ------------------------------------------------------------------ */
/* Shared helpers                                                      */

/* ptcp_stack.c */
void ptcp_stack_enter(ptcp_stack *s);
void ptcp_stack_leave(ptcp_stack *s);
void *ptcp_stack_alloc(ptcp_stack *s, size_t n);
void ptcp_stack_free_mem(ptcp_stack *s, void *p);
int ptcp_stack_rand(ptcp_stack *s, void *dest, size_t len);
void ptcp_stack_hash_insert(ptcp_stack *s, ptcp_pcb *pcb);
void ptcp_stack_hash_remove(ptcp_stack *s, ptcp_pcb *pcb);
ptcp_pcb *ptcp_stack_lookup(ptcp_stack *s, const ptcp_addr *laddr, uint16_t lport,
                            const ptcp_addr *raddr, uint16_t rport);
ptcp_conn *ptcp_stack_find_listener(ptcp_stack *s, const ptcp_addr *laddr, uint16_t lport);
int ptcp_stack_is_local(const ptcp_stack *s, const ptcp_addr *a);
const ptcp_addr *ptcp_stack_source_for(const ptcp_stack *s, uint8_t family);
int ptcp_stack_port_ref(ptcp_stack *s, uint16_t port);
void ptcp_stack_port_unref(ptcp_stack *s, uint16_t port);
int ptcp_stack_port_used(const ptcp_stack *s, uint16_t port);
int ptcp_stack_listener_add(ptcp_stack *s, ptcp_conn *c);
void ptcp_stack_listener_remove(ptcp_stack *s, ptcp_conn *c);
uint8_t *ptcp_stack_buf_get(ptcp_stack *s, uint32_t cap);
void ptcp_stack_buf_put(ptcp_stack *s, uint8_t *buf, uint32_t cap);
void ptcp_stack_emit(ptcp_stack *s, const uint8_t *pkt, size_t len);
void ptcp_stack_send_rst(ptcp_stack *s, const ptcp_addr *laddr, uint16_t lport,
                         const ptcp_addr *raddr, uint16_t rport, uint32_t seq,
                         uint32_t ack, uint8_t flags, ptcp_time now);
void ptcp_stack_trace_seg_in_hook(ptcp_stack *s, const ptcp_conn *c, const ptcp_pcb *key,
                                  const ptcp_seg *seg, ptcp_verdict v, ptcp_reason r,
                                  ptcp_time now);
void ptcp_stack_trace(ptcp_stack *s, ptcp_trace *ev, const ptcp_pcb *key);

/* ptcp_conn.c */
int ptcp_conn_alloc(ptcp_stack *s, const ptcp_profile *prof, ptcp_conn **pc);
void ptcp_conn_destroy(ptcp_conn *c);
void ptcp_conn_kill(ptcp_conn *c);
void ptcp_conn_set_state(ptcp_conn *c, ptcp_state st, ptcp_reason why, ptcp_time now);
void ptcp_conn_post(ptcp_conn *c, uint8_t ev);
void ptcp_conn_fail(ptcp_conn *c, int err, ptcp_time now);
void ptcp_conn_finish(ptcp_conn *c, ptcp_time now);
int ptcp_conn_start_policies(ptcp_conn *c, ptcp_time now);
void ptcp_conn_start_cc(ptcp_conn *c, ptcp_time now);
void ptcp_conn_count_reason_first(ptcp_conn *c, ptcp_reason r);
void ptcp_conn_release_buffers(ptcp_conn *c);
uint32_t ptcp_conn_isn(ptcp_conn *c, ptcp_time now);
void ptcp_conn_queue_accept(ptcp_conn *c);

/* Policy state and ops of a connection. */
static inline void *ptcp_pstate(ptcp_conn *c, ptcp_slot slot) {
  unsigned off = c->prof->pofs[slot];
  return off < PTCP_PSTATE_WORDS ? (void *)&c->pstate[off]
                                 : (void *)&c->pext[off - PTCP_PSTATE_WORDS];
}
static inline const void *ptcp_cpstate(const ptcp_conn *c, ptcp_slot slot) {
  return ptcp_pstate((ptcp_conn *)(uintptr_t)c, slot);
}
static inline const void *ptcp_params(const ptcp_conn *c, ptcp_slot slot) {
  return c->prof->sel[slot]->params;
}
#define PTCP_RTO_OPS(c) ((const ptcp_rto_ops *)(c)->prof->sel[PTCP_SLOT_RTO]->ops)
#define PTCP_DF_OPS(c) ((const ptcp_dupfilter_ops *)(c)->prof->sel[PTCP_SLOT_DUPFILTER]->ops)
#define PTCP_CLOSE_OPS(c) ((const ptcp_close_ops *)(c)->prof->sel[PTCP_SLOT_CLOSE]->ops)
#define PTCP_CC_OPS(c) ((const ptcp_cc_ops *)(c)->prof->sel[PTCP_SLOT_CC]->ops)

/* ptcp_input.c */
int ptcp_input_conn(ptcp_conn *c, const ptcp_seg *seg, ptcp_time now);
void ptcp_input_listen(ptcp_conn *l, const ptcp_pcb *key, const ptcp_seg *seg,
                       ptcp_time now, const uint32_t *isn_floor);
void ptcp_input_closed(ptcp_stack *s, const ptcp_pcb *key, const ptcp_seg *seg,
                       ptcp_time now);
uint32_t ptcp_seg_len(const ptcp_seg *seg);

/* ptcp_ack.c */
typedef enum { ACK_OK = 0, ACK_DROPPED } ack_result;
ack_result ptcp_ack_process(ptcp_conn *c, const ptcp_seg *seg, ptcp_time now);
ptcp_duration ptcp_ack_rtt_sample(ptcp_conn *c, const ptcp_seg *seg, ptcp_time now);
void ptcp_ack_update_window(ptcp_conn *c, const ptcp_seg *seg, ptcp_time now);

/* ptcp_output.c */
void ptcp_output(ptcp_conn *c, ptcp_time now);
void ptcp_output_syn(ptcp_conn *c, ptcp_time now);
void ptcp_output_ack(ptcp_conn *c, ptcp_time now);
void ptcp_output_rst(ptcp_conn *c, ptcp_time now);
uint32_t ptcp_output_retransmit_first(ptcp_conn *c, ptcp_time now);
void ptcp_output_probe(ptcp_conn *c, ptcp_time now);
void ptcp_output_keepalive(ptcp_conn *c, ptcp_time now);
uint16_t ptcp_output_window_field(ptcp_conn *c);
uint32_t ptcp_ts_now(uint32_t offset, ptcp_time now);
void ptcp_output_tw_ack(ptcp_stack *s, const ptcp_tw *tw, ptcp_time now);

/* ptcp_timer.c */
void ptcp_timer_sync(ptcp_conn *c);
void ptcp_timer_arm_rtx(ptcp_conn *c, int mode, ptcp_time now);
void ptcp_timer_stop_rtx(ptcp_conn *c);
void ptcp_timer_arm_delack(ptcp_conn *c, ptcp_time now);
void ptcp_timer_set_close(ptcp_conn *c, ptcp_time at);
void ptcp_timer_fire(ptcp_conn *c, ptcp_time now);
void ptcp_timer_on_input(ptcp_conn *c, ptcp_time now);
void ptcp_timer_enter_time_wait(ptcp_conn *c, ptcp_time now);
void ptcp_timer_enter_fin_wait_2(ptcp_conn *c, ptcp_time now);
int ptcp_timer_challenge_ok(ptcp_conn *c, ptcp_time now);
/* Counts an ACK in reply to an unacceptable segment without data; 0 when
 * the connection has sent PTCP_ACK_LOOP_LIMIT of them in the current
 * second (ptcp_input.c says why). */
int ptcp_timer_loop_ack_ok(ptcp_conn *c, ptcp_time now);
#define PTCP_ACK_LOOP_LIMIT 5u
ptcp_duration ptcp_conn_rto(const ptcp_conn *c);

/* ptcp_tw.c */
int ptcp_tw_from_conn(ptcp_conn *c, ptcp_time now);
void ptcp_tw_input(ptcp_stack *s, ptcp_tw *tw, const ptcp_seg *seg, ptcp_time now,
                   int *reopen, uint32_t *isn_floor);
void ptcp_tw_expire(ptcp_stack *s, ptcp_tw *tw, ptcp_time now);
void ptcp_tw_destroy(ptcp_stack *s, ptcp_tw *tw);
ptcp_tw_verdict ptcp_tw_decide(const ptcp_profile *prof, const ptcp_tw_ctx *ctx);

/* ptcp_profile.c */
int ptcp_profile_get(ptcp_stack *s, const ptcp_conn_cfg *cfg,
                     const ptcp_profile **out);
int ptcp_profile_defaults(ptcp_stack *s, const ptcp_stack_cfg *cfg);
void ptcp_profile_free_all(ptcp_stack *s);

/* Counts of segment verdicts' reasons run once per segment: the counting
 * is inline, the trace event is built out of line and only with a hook. */
static inline void ptcp_stack_count_reason(ptcp_stack *s, ptcp_reason r) {
  if ((unsigned)r < PTCP_R_COUNT)
    s->stats.reasons[r]++;
}

static inline void ptcp_stack_trace_seg_in(ptcp_stack *s, const ptcp_conn *c,
                                           const ptcp_pcb *key, const ptcp_seg *seg,
                                           ptcp_verdict v, ptcp_reason r, ptcp_time now) {
  ptcp_stack_count_reason(s, r);
  if (s->cb.on_trace)
    ptcp_stack_trace_seg_in_hook(s, c, key, seg, v, r, now);
}

/* The connection's own reason counters (ptcp_conn_status) are allocated
 * with the first count. */
static inline void ptcp_conn_count_reason(ptcp_conn *c, ptcp_reason r) {
  if (c->reasons == NULL)
    ptcp_conn_count_reason_first(c, r);
  else if ((unsigned)r < PTCP_R_COUNT && c->reasons[r] < UINT32_MAX)
    c->reasons[r]++;
}

/* Starts a trace event of |kind| about |c| (NULL: none) at |now|: the
 * rest is zero, and the states are the connection's current one; the
 * caller fills in what its kind carries. */
static inline void ptcp_trace_init(ptcp_trace *ev, ptcp_trace_kind kind, const ptcp_conn *c,
                                   ptcp_time now) {
  memset(ev, 0, sizeof(*ev));
  ev->kind = kind;
  ev->now = now;
  ev->conn = c;
  if (c != NULL)
    ev->old_state = ev->new_state = (ptcp_state)c->state;
}

/* Convenience: is the state one where both SYNs have been exchanged? */
static inline int ptcp_state_synchronized(int st) {
  return st >= PTCP_ESTABLISHED;
}

/* Where queued data ends in sequence space: our FIN, if any, goes there.
 * Until our SYN is acknowledged it occupies SND.UNA and nothing is queued. */
static inline uint32_t ptcp_data_end(const ptcp_conn *c) {
  if (!(c->flags & CF_SYN_ACKED))
    return c->snd_una + 1;
  return c->snd_una + c->sbuf.len;
}

#endif /* PTCP_CONN_H */

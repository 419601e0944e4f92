/*
 * plugtcp: the TCP engine.  One ptcp_stack per host; connections live
 * inside it.  The engine is sans-IO:
 *
 *   in:   ptcp_stack_input(stack, ip_packet, len, now)
 *   out:  callbacks.emit(user, ip_packet, len), during any call
 *   time: ptcp_stack_next_deadline(stack) says when to call
 *         ptcp_stack_on_timer(stack, now)
 *
 * The user calls mirror BSD sockets: ptcp_conn_new (socket), _bind,
 * _listen, _accept, _connect, _send, _recv, _shutdown, _close, _abort,
 * _status.
 *
 * Callbacks and reentrancy: events (accept ready, connected, readable,
 * writable, peer FIN, reset, closed) are queued while the engine works
 * and delivered at the end of the public call that caused them, when
 * every connection is consistent.  A callback may call any ptcp_conn_*
 * function, ptcp_conn_close included; it must not call ptcp_stack_free.
 * Events stop for a connection once the user has closed or aborted it.
 *
 * Lifetime: a ptcp_conn belongs to the user from ptcp_conn_new (or
 * ptcp_conn_accept) until ptcp_conn_close or ptcp_conn_abort; after that
 * the handle is invalid and the engine finishes the connection on its own
 * (FIN exchange, TIME-WAIT) and frees it.
 */
#ifndef PLUGTCP_STACK_H
#define PLUGTCP_STACK_H

#include <plugtcp/common.h>
#include <plugtcp/policy.h>
#include <plugtcp/wire.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ptcp_stack ptcp_stack;
typedef struct ptcp_conn ptcp_conn;

/* ------------------------------------------------------------------ */
/* Traces                                                              */

typedef enum ptcp_trace_kind {
  PTCP_TRACE_STATE = 1,   /* old_state -> new_state */
  PTCP_TRACE_SEG_IN,      /* a segment arrived: verdict and reason */
  PTCP_TRACE_SEG_OUT,     /* a segment was emitted (retransmit says if again) */
  PTCP_TRACE_RTT,         /* an RTT sample (rtt), and the resulting rto */
  PTCP_TRACE_RTO,         /* the retransmission timer was armed with rto */
  PTCP_TRACE_TIMER,       /* a timer fired (timer) */
  PTCP_TRACE_CWND,        /* the congestion window changed (cwnd, ssthresh) */
} ptcp_trace_kind;

typedef enum ptcp_verdict {
  PTCP_VERDICT_ACCEPT = 0, /* processed */
  PTCP_VERDICT_DROP,       /* dropped silently */
  PTCP_VERDICT_ACK,        /* dropped, answered with an ACK */
  PTCP_VERDICT_CHALLENGE,  /* dropped, answered with a challenge ACK */
  PTCP_VERDICT_RST,        /* dropped, answered with a RST */
  PTCP_VERDICT_RESET,      /* it reset the connection */
} ptcp_verdict;

typedef enum ptcp_timer_kind {
  PTCP_TIMER_RETRANSMIT = 1,
  PTCP_TIMER_PERSIST,
  PTCP_TIMER_KEEPALIVE,
  PTCP_TIMER_DELACK,
  PTCP_TIMER_TIME_WAIT,
  PTCP_TIMER_FIN_WAIT_2,
  PTCP_TIMER_SYN,          /* SYN or SYN-ACK retransmission */
} ptcp_timer_kind;

/**
 * One trace event.  Fields not meaningful for |kind| are zero (or NULL).
 * |conn| is NULL for segments that matched no connection; the addresses
 * and ports are always set.
 */
typedef struct ptcp_trace {
  ptcp_trace_kind kind;
  ptcp_time now;
  const ptcp_conn *conn;
  const ptcp_addr *local;
  const ptcp_addr *remote;
  uint16_t local_port;
  uint16_t remote_port;
  ptcp_state old_state, new_state; /* STATE: the transition; else the state at the event */
  const ptcp_seg *seg;        /* SEG_IN / SEG_OUT */
  ptcp_verdict verdict;       /* SEG_IN */
  ptcp_reason reason;         /* SEG_IN, STATE */
  uint8_t retransmit;         /* SEG_OUT: this data was sent before */
  ptcp_timer_kind timer;      /* TIMER */
  ptcp_duration rtt;          /* RTT */
  ptcp_duration rto;          /* RTT, RTO */
  uint32_t cwnd, ssthresh;    /* CWND */
} ptcp_trace;

const char *ptcp_verdict_name(ptcp_verdict v);
const char *ptcp_timer_name(ptcp_timer_kind t);
const char *ptcp_trace_kind_name(ptcp_trace_kind k);

/* ------------------------------------------------------------------ */
/* Callbacks                                                           */

typedef struct ptcp_callbacks {
  /** (required) Send one IP packet.  A non-zero return counts as a loss. */
  int (*emit)(void *user, const uint8_t *pkt, size_t len);
  /** A listener has a connection ready for ptcp_conn_accept. */
  void (*on_accept)(void *user, ptcp_conn *listener);
  /** An active open reached ESTABLISHED. */
  void (*on_connected)(void *user, ptcp_conn *conn);
  /** Data (or the peer's FIN) can be read. */
  void (*on_readable)(void *user, ptcp_conn *conn);
  /** Send buffer space opened up after a send came up short. */
  void (*on_writable)(void *user, ptcp_conn *conn);
  /** The peer sent FIN: after the data already queued, recv returns 0. */
  void (*on_peer_fin)(void *user, ptcp_conn *conn);
  /** The connection failed: PTCP_ERR_CONN_REFUSED, _CONN_RESET, _TIMED_OUT. */
  void (*on_error)(void *user, ptcp_conn *conn, int err);
  /** The connection reached CLOSED (or TIME-WAIT); the handle stays the
   *  user's until ptcp_conn_close.  |err| is 0 after an orderly close. */
  void (*on_closed)(void *user, ptcp_conn *conn, int err);
  /** Every trace event.  When NULL the engine builds none. */
  void (*on_trace)(void *user, const ptcp_trace *ev);
} ptcp_callbacks;

/* ------------------------------------------------------------------ */
/* Configuration                                                       */

/** Per-connection settings; every connection copies them when created. */
typedef struct ptcp_conn_cfg {
  uint16_t mss;             /* MSS we announce; default 1460 */
  uint32_t sndbuf;          /* send buffer bytes; default 256 KiB */
  uint32_t rcvbuf;          /* receive buffer bytes; default 256 KiB */
  ptcp_duration msl;        /* maximum segment lifetime; default 2 min (RFC 9293 §3.4.2) */
  ptcp_duration delack;     /* delayed-ACK timeout; 0 = ACK every segment; default 200 ms, less than 500 ms (MUST-40) */
  uint8_t nagle;            /* Nagle's algorithm (RFC 9293 §3.7.4); default on */
  uint8_t keepalive;        /* keep-alives (RFC 9293 §3.8.4); default off */
  ptcp_duration keepalive_idle;     /* default 2 h (MUST-28 minimum) */
  ptcp_duration keepalive_interval; /* default 75 s */
  uint8_t keepalive_count;          /* probes before giving up; default 9 */
  uint8_t syn_retries;      /* SYN / SYN-ACK retransmissions; default 7 (>= 3 min, MUST-23) */
  uint8_t data_retries;     /* data retransmissions before ETIMEDOUT; default 15 */
  uint8_t window_scaling;   /* offer RFC 7323 window scale; default on */
  uint8_t timestamps;       /* offer RFC 7323 timestamps; default on */
  uint8_t sack;             /* offer RFC 2018 SACK; default on */
  /** Policy specs per slot ("rfc6298:min=200ms"); NULL = the stack's
   *  default for that slot.  The isn slot is per stack and ignored here. */
  const char *policy[PTCP_SLOT_COUNT];
} ptcp_conn_cfg;

/** ptcp_conn_cfg_default fills |cfg| with the defaults listed above. */
void ptcp_conn_cfg_default(ptcp_conn_cfg *cfg);

/** Per-stack settings. */
typedef struct ptcp_stack_cfg {
  const ptcp_mem *mem;          /* NULL: libc */
  ptcp_rand_fn rand;            /* (required) ISN secrets, ports, TS offsets */
  void *rand_ctx;
  const ptcp_registry *registry;/* NULL: a private registry of the built-ins */
  ptcp_callbacks callbacks;
  void *user;                   /* passed to every callback */
  const char *policy[PTCP_SLOT_COUNT]; /* default spec per slot; NULL: built-in default */
  ptcp_conn_cfg conn;           /* defaults for new connections */
  uint32_t max_conns;           /* connections + TIME-WAIT entries; default 1 << 20 */
  uint16_t ephemeral_lo;        /* default 49152 (RFC 6335) */
  uint16_t ephemeral_hi;        /* default 65535 */
  uint8_t ttl;                  /* IPv4 TTL / IPv6 hop limit; default 64 */
  uint8_t challenge_ack_limit;  /* hard cap per connection per second; default 10 */
} ptcp_stack_cfg;

/** ptcp_stack_cfg_default fills |cfg| with defaults (rand must still be set). */
void ptcp_stack_cfg_default(ptcp_stack_cfg *cfg);

/* ------------------------------------------------------------------ */
/* Stack                                                               */

/**
 * ptcp_stack_new creates a stack.  Returns 0, or:
 *   PTCP_ERR_INVALID_ARGUMENT  NULL cfg, no emit or rand callback, or an
 *                              invalid setting;
 *   PTCP_ERR_NOT_FOUND         a default policy name is not registered;
 *   PTCP_ERR_POLICY            the isn policy failed to initialise (e.g.
 *                              no randomness for its secret);
 *   PTCP_ERR_NOMEM.
 */
int ptcp_stack_new(ptcp_stack **pstack, const ptcp_stack_cfg *cfg, ptcp_time now);

/** ptcp_stack_free frees the stack and every connection, sending nothing. */
void ptcp_stack_free(ptcp_stack *stack);

/**
 * ptcp_stack_add_addr adds a local address: packets to other addresses
 * are dropped, and connect() picks its source from these.  Up to 8.
 * Returns 0, PTCP_ERR_EXISTS, PTCP_ERR_LIMIT or PTCP_ERR_INVALID_ARGUMENT.
 */
int ptcp_stack_add_addr(ptcp_stack *stack, const ptcp_addr *addr);

/**
 * ptcp_stack_input processes one IPv4 or IPv6 packet that arrived at
 * |now|.  Protocol outcomes (drops, RSTs, challenge ACKs) are not errors;
 * they show in traces and counters.  Returns 0, or a negative codec error
 * (PTCP_ERR_IP_*, PTCP_ERR_TRUNCATED, PTCP_ERR_CHECKSUM, ...) when the
 * packet was malformed and dropped, or a fatal error
 * (PTCP_ERR_CALLBACK_FAILURE is never returned: emit failures count as
 * losses).  A rejected packet changes no connection.
 */
int ptcp_stack_input(ptcp_stack *stack, const uint8_t *pkt, size_t len, ptcp_time now);

/**
 * ptcp_stack_input_segment is ptcp_stack_input for a bare TCP segment
 * whose IP addresses the caller already knows.  |verify_checksum| = 0
 * skips the TCP checksum (e.g. after hardware offload).
 */
int ptcp_stack_input_segment(ptcp_stack *stack, const ptcp_addr *src,
                             const ptcp_addr *dst, const uint8_t *seg, size_t len,
                             int verify_checksum, ptcp_time now);

/** ptcp_stack_next_deadline returns the earliest timer, or PTCP_TIME_NONE. */
ptcp_time ptcp_stack_next_deadline(const ptcp_stack *stack);

/**
 * ptcp_stack_on_timer runs every timer due at |now|.  Calling it early
 * is harmless.  Returns 0 or a fatal error.
 */
int ptcp_stack_on_timer(ptcp_stack *stack, ptcp_time now);

/** Counters for the whole stack. */
typedef struct ptcp_stack_stats {
  uint64_t packets_in, packets_out;
  uint64_t malformed;               /* rejected by the codec */
  uint64_t reasons[PTCP_R_COUNT];   /* every segment's reason */
  uint64_t conns_opened, conns_closed;
  uint64_t emit_failures;
  uint32_t conns;                   /* live connections (not TIME-WAIT entries) */
  uint32_t time_wait;               /* compact TIME-WAIT entries */
  uint32_t listeners;
} ptcp_stack_stats;

void ptcp_stack_stats_get(const ptcp_stack *stack, ptcp_stack_stats *out);

/** The registry the stack resolves policy names in. */
const ptcp_registry *ptcp_stack_registry(const ptcp_stack *stack);

/* ------------------------------------------------------------------ */
/* Connections                                                         */

/**
 * ptcp_conn_new creates an unbound connection in CLOSED (socket()).
 * |cfg| NULL uses the stack's defaults.  Returns 0, or:
 *   PTCP_ERR_INVALID_ARGUMENT  an invalid setting;
 *   PTCP_ERR_NOT_FOUND / PTCP_ERR_INVALID_ARGUMENT  a bad policy spec;
 *   PTCP_ERR_LIMIT             max_conns reached;
 *   PTCP_ERR_NOMEM.
 */
int ptcp_conn_new(ptcp_stack *stack, const ptcp_conn_cfg *cfg, ptcp_conn **pconn);

/**
 * ptcp_conn_bind sets the local address (NULL: any of the stack's) and
 * port (0: an ephemeral one).  Returns 0, or:
 *   PTCP_ERR_INVALID_ARGUMENT  NULL |conn|, or |addr| of no known family;
 *   PTCP_ERR_ADDR_IN_USE       another connection or listener holds the port;
 *   PTCP_ERR_ADDR_NOT_AVAIL    |addr| is not local, or no ephemeral port is free;
 *   PTCP_ERR_STATE             already bound, not CLOSED, or a released handle;
 *   PTCP_ERR_POLICY            no randomness to pick an ephemeral port;
 *   PTCP_ERR_NOMEM.
 */
int ptcp_conn_bind(ptcp_conn *conn, const ptcp_addr *addr, uint16_t port);

/**
 * ptcp_conn_listen makes a bound connection a listener with room for
 * |backlog| half-open and |backlog| established connections (1..65535).
 * Returns 0, PTCP_ERR_STATE (not bound, not CLOSED, or opened before:
 * a connection whose connect failed cannot listen),
 * PTCP_ERR_INVALID_ARGUMENT (NULL, or |backlog| out of range) or
 * PTCP_ERR_NOMEM.
 */
int ptcp_conn_listen(ptcp_conn *conn, unsigned backlog);

/**
 * ptcp_conn_accept takes the oldest established connection off the
 * listener's queue.  The new connection inherits the listener's settings
 * and user data.  Events due to it (readable, peer FIN, closed) are
 * delivered before this call returns.  Returns 0, or:
 *   PTCP_ERR_WOULD_BLOCK       the queue is empty;
 *   PTCP_ERR_STATE             |listener| is not listening;
 *   PTCP_ERR_INVALID_ARGUMENT  NULL |listener| or |pconn|.
 */
int ptcp_conn_accept(ptcp_conn *listener, ptcp_conn **pconn);

/**
 * ptcp_conn_connect starts an active open to |addr|:|port| (binding an
 * ephemeral port first if needed) and sends the SYN.  Completion is
 * signalled by on_connected or on_error.  Returns 0, or:
 *   PTCP_ERR_STATE           not CLOSED, or a listener;
 *   PTCP_ERR_ALREADY         the open is already under way;
 *   PTCP_ERR_INVALID_ARGUMENT  port 0, or an unusable remote address;
 *   PTCP_ERR_ADDR_NOT_AVAIL  no local address of that family or no port;
 *   PTCP_ERR_ADDR_IN_USE     that 4-tuple exists already;
 *   PTCP_ERR_POLICY          no randomness (port, timestamp offset), or a
 *                            policy refused to initialise;
 *   PTCP_ERR_NOMEM.
 */
int ptcp_conn_connect(ptcp_conn *conn, const ptcp_addr *addr, uint16_t port,
                      ptcp_time now);

/**
 * ptcp_conn_send queues up to |len| bytes and sends what the windows
 * allow.  Returns the number of bytes queued (maybe fewer than |len|;
 * on_writable follows when space opens), or:
 *   PTCP_ERR_WOULD_BLOCK    the send buffer is full;
 *   PTCP_ERR_NOT_CONNECTED  the connection is not open yet (CLOSED,
 *                           LISTEN, SYN-SENT, SYN-RECEIVED queue nothing);
 *   PTCP_ERR_CLOSED         the sending side was shut down (EPIPE);
 *   PTCP_ERR_CONN_RESET / PTCP_ERR_TIMED_OUT / PTCP_ERR_CONN_REFUSED
 *                           the connection failed;
 *   PTCP_ERR_INVALID_ARGUMENT  NULL |conn|, NULL |buf| with |len| > 0, or
 *                           a released handle;
 *   PTCP_ERR_NOMEM.
 */
ptcp_ssize ptcp_conn_send(ptcp_conn *conn, const void *buf, size_t len, ptcp_time now);

/**
 * ptcp_conn_recv copies up to |len| received bytes into |buf| and opens
 * the window accordingly.  Returns the byte count, 0 at end of stream
 * (the peer's FIN, after all data), or:
 *   PTCP_ERR_WOULD_BLOCK    nothing to read yet;
 *   PTCP_ERR_NOT_CONNECTED  never connected;
 *   PTCP_ERR_CONN_RESET / PTCP_ERR_TIMED_OUT / PTCP_ERR_CONN_REFUSED;
 *   PTCP_ERR_INVALID_ARGUMENT  NULL |conn|, NULL |buf| with |len| > 0, or
 *                           a released handle.
 */
ptcp_ssize ptcp_conn_recv(ptcp_conn *conn, void *buf, size_t len, ptcp_time now);

/**
 * ptcp_conn_shutdown closes the sending direction: a FIN follows the
 * queued data, and the connection keeps receiving (half-close).
 * Returns 0, PTCP_ERR_NOT_CONNECTED (not open yet, or closing), the
 * connection's error if it failed (PTCP_ERR_CONN_RESET, ...),
 * PTCP_ERR_CLOSED if already shut, or PTCP_ERR_INVALID_ARGUMENT (NULL,
 * or a released handle).
 */
int ptcp_conn_shutdown(ptcp_conn *conn, ptcp_time now);

/**
 * ptcp_conn_close releases the handle (close()).  The close policy picks
 * FIN or RST (default: RST if received data was never read, RFC 9293
 * §3.10.4); the engine then finishes the connection by itself.  A
 * listener's queued and half-open connections are reset.  Returns 0, or
 * PTCP_ERR_INVALID_ARGUMENT for NULL or a handle already released.
 */
int ptcp_conn_close(ptcp_conn *conn, ptcp_time now);

/**
 * ptcp_conn_abort sends RST if the connection is synchronized, drops all
 * queued data and releases the handle (RFC 9293 §3.10.5).  Returns 0, or
 * PTCP_ERR_INVALID_ARGUMENT for NULL or a handle already released.
 */
int ptcp_conn_abort(ptcp_conn *conn, ptcp_time now);

/** A snapshot of a connection (RFC 9293 §3.10.6 STATUS). */
typedef struct ptcp_conn_status {
  ptcp_state state;
  ptcp_addr local, remote;
  uint16_t local_port, remote_port;
  int error;                    /* the pending error, or 0 */
  uint8_t peer_fin;             /* the peer's FIN has been received */
  uint8_t shut_wr;              /* our FIN is queued or sent */
  uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd;
  uint32_t irs, rcv_nxt, rcv_wnd;
  uint16_t snd_mss, rcv_mss;    /* negotiated, each way */
  uint8_t snd_wscale, rcv_wscale;
  uint8_t sack_ok, ts_ok, wscale_ok;
  uint32_t cwnd, ssthresh;
  ptcp_duration rto, srtt;
  size_t send_queued;           /* bytes not yet acknowledged (incl. unsent) */
  size_t send_space;            /* bytes ptcp_conn_send would take now */
  size_t recv_queued;           /* bytes ready for ptcp_conn_recv */
  size_t ooo_bytes;             /* out-of-order bytes held */
  uint64_t segs_in, segs_out, bytes_in, bytes_out;
  uint64_t retransmits, timeouts, fast_retransmits, spurious_timeouts;
  uint64_t rtt_samples;
  uint64_t reasons[PTCP_R_COUNT]; /* this connection's segments by reason */
  const char *policy[PTCP_SLOT_COUNT]; /* names in use */
} ptcp_conn_status;

/** ptcp_conn_status fills |st|. */
void ptcp_conn_status_get(const ptcp_conn *conn, ptcp_conn_status *st);

/** ptcp_conn_state returns the connection's state. */
ptcp_state ptcp_conn_state(const ptcp_conn *conn);

/** User data for the application's use. */
void ptcp_conn_set_user(ptcp_conn *conn, void *user);
void *ptcp_conn_user(const ptcp_conn *conn);

/* ------------------------------------------------------------------ */
/* The state machine as data                                           */

/** One allowed transition of the RFC 9293 state diagram. */
typedef struct ptcp_transition {
  ptcp_state from, to;
  const char *event;   /* "rcv SYN", "CLOSE", "timeout=2MSL", ... */
  const char *action;  /* "snd SYN,ACK", "-" */
} ptcp_transition;

/** ptcp_transitions returns the table (and its length in |n|). */
const ptcp_transition *ptcp_transitions(size_t *n);

/** ptcp_transition_allowed returns nonzero when from -> to is in the table. */
int ptcp_transition_allowed(ptcp_state from, ptcp_state to);

/** Sizes, for benchmarks: a full connection and a TIME-WAIT entry. */
size_t ptcp_conn_sizeof(void);
size_t ptcp_time_wait_sizeof(void);

#ifdef __cplusplus
}
#endif

#endif /* PLUGTCP_STACK_H */

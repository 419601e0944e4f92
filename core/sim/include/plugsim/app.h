/*
 * plugsim: applications over the socket API.
 *
 *   bulk      connects, sends N bytes of the pattern, shuts down (FIN),
 *             reads until the peer's FIN
 *   sink      listens, reads every connection to its end, checks every
 *             byte against the pattern, answers FIN with FIN
 *   echo      a server that sends back what it reads, and a client that
 *             sends N bytes and checks the echo
 *   reqresp   a server that answers each Q-byte request with R bytes,
 *             and a client that makes K such exchanges
 *   many      N concurrent reqresp clients on one node, for scale runs
 *
 * Content: every byte an application sends is the pattern byte at its
 * offset in the stream plus a base, and every byte a checking
 * application receives is compared with the byte expected at that
 * offset, so a lost, duplicated, reordered, corrupted or misdelivered
 * byte cannot go unseen.  Each stream direction (and each connection of
 * a many client) has its own base, so data reflected back or crossed
 * between connections does not match either.
 *
 * The pattern is 2^17 - 1 (a prime) pseudo-random bytes from the run
 * seed's stream "app:pattern", repeated: pattern(i) = table[i mod P].  A
 * byte displaced by a multiple of P bytes would match, which for TCP's
 * segment-sized errors means an error of a multiple of 131071 whole
 * segments.
 *
 * Applications run entirely from socket callbacks and scheduler events.
 * Their counters (psim_app_stats) say what was sent, received, checked,
 * and how the connections ended; their hooks report when they are done
 * and how many checked bytes arrived (for progress displays).
 */
#ifndef PLUGSIM_APP_H
#define PLUGSIM_APP_H

#include <plugsim/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* The content pattern                                                 */

typedef struct psim_pattern psim_pattern;

/** The pattern's period, a prime. */
#define PSIM_PATTERN_PERIOD 131071u
/** psim_pattern_span always offers at least this many contiguous bytes. */
#define PSIM_PATTERN_SPAN 65536u

/**
 * psim_pattern_new makes the pattern of run |seed|.  Returns 0,
 * PTCP_ERR_INVALID_ARGUMENT or PTCP_ERR_NOMEM.
 */
int psim_pattern_new(psim_pattern **ppat, uint64_t seed, const ptcp_mem *mem);

/** psim_pattern_del frees |pat|; NULL is a no-op. */
void psim_pattern_del(psim_pattern *pat);

/**
 * psim_pattern_span returns the pattern from offset |off| on, as a
 * pointer to PSIM_PATTERN_SPAN contiguous bytes.
 */
const uint8_t *psim_pattern_span(const psim_pattern *pat, uint64_t off);

/** psim_pattern_byte returns the pattern byte at |off|. */
uint8_t psim_pattern_byte(const psim_pattern *pat, uint64_t off);

/**
 * psim_pattern_check compares |len| bytes at |data| with the pattern
 * from |off| and returns |len| when all match, else the index of the
 * first byte that does not.
 */
size_t psim_pattern_check(const psim_pattern *pat, uint64_t off, const uint8_t *data,
                          size_t len);

/* ------------------------------------------------------------------ */
/* What every application counts and reports                           */

typedef struct psim_app_stats {
  uint64_t bytes_sent;     /* bytes its sockets took */
  uint64_t bytes_received; /* bytes it read */
  uint64_t bytes_verified; /* of those, checked and matching */
  uint64_t bytes_bad; /* checked and not matching (from the first bad byte of a read) */
  uint64_t first_bad_offset; /* stream offset of the first bad byte; UINT64_MAX if none */
  uint64_t bytes_expected;   /* what it should receive in all, when known */
  uint64_t conns_opened;     /* connects started, or connections accepted */
  uint64_t conns_established; /* connects that completed */
  uint64_t conns_failed;      /* connections that ended with an error */
  uint64_t conns_done;        /* connections that did their whole job and ended */
  uint64_t eofs;              /* ends of stream read */
  int last_error;             /* errno of the last failure, 0 if none */
  ptcp_time done_at;          /* when the whole job ended; NONE before */
} psim_app_stats;

/** Hooks, each optional. */
typedef struct psim_app_hooks {
  /** The application has finished (every connection ended). */
  void (*on_done)(void *ctx);
  /** |n| more checked bytes arrived (progress). */
  void (*on_bytes)(void *ctx, uint64_t n);
  /** A connection of the application failed with |err| (errno). */
  void (*on_error)(void *ctx, psim_sock *sock, int err);
  void *ctx;
} psim_app_hooks;

/* ------------------------------------------------------------------ */
/* bulk + sink                                                         */

typedef struct psim_bulk psim_bulk;

typedef struct psim_bulk_cfg {
  ptcp_addr dst; /* the sink */
  uint16_t port;
  uint64_t bytes;               /* to send */
  uint64_t base;                /* pattern offset of the first byte */
  ptcp_time start;              /* connect at this time */
  ptcp_time send_at;            /* send nothing before this time (0: at once) */
  ptcp_duration shutdown_delay; /* FIN this long after the last byte was queued */
  int no_shutdown;              /* never send FIN (the scenario closes) */
  int close_at_end;             /* release the socket at TIME-WAIT or CLOSED */
  const ptcp_conn_cfg *conn;    /* connection settings (copied); NULL: the stack's */
  psim_sock *sock;             /* use this socket (bound already, say); NULL: a new one */
  const psim_pattern *pattern; /* (required) */
  psim_app_hooks hooks;
} psim_bulk_cfg;

/**
 * psim_bulk_new schedules a bulk sender on |node|.  It is done when its
 * connection reached TIME-WAIT or CLOSED.  Returns 0, or
 * PTCP_ERR_INVALID_ARGUMENT (a NULL argument, no pattern, a start in
 * the past) or PTCP_ERR_NOMEM.
 */
int psim_bulk_new(psim_bulk **pbulk, psim_node *node, const psim_bulk_cfg *cfg);
/** psim_bulk_del closes the socket (if still open) and frees the app. */
void psim_bulk_del(psim_bulk *bulk);
const psim_app_stats *psim_bulk_stats(const psim_bulk *bulk);
/** psim_bulk_sock returns the socket, NULL before it exists or after close. */
psim_sock *psim_bulk_sock(const psim_bulk *bulk);

typedef struct psim_sink psim_sink;

typedef struct psim_sink_cfg {
  uint16_t port;               /* listen here */
  unsigned backlog;            /* 0: 128 */
  uint64_t base;               /* pattern offset of each stream's first byte */
  uint64_t expect_bytes;       /* per connection, for bytes_expected; 0: unknown */
  unsigned expect_conns;       /* done after this many connections ended; 0: 1 */
  ptcp_time read_from;         /* read nothing before this time */
  uint64_t abort_after;        /* reset a connection after reading this much; 0: never */
  int no_shutdown;             /* do not answer the peer's FIN with ours */
  const ptcp_conn_cfg *conn;   /* the listener's settings (copied); NULL: the stack's */
  const psim_pattern *pattern; /* (required) */
  psim_app_hooks hooks;
} psim_sink_cfg;

/**
 * psim_sink_new starts a sink listening on |node|.  Returns 0, or
 * PTCP_ERR_INVALID_ARGUMENT, PTCP_ERR_ADDR_IN_USE (the port is taken),
 * PTCP_ERR_NOMEM.
 */
int psim_sink_new(psim_sink **psink, psim_node *node, const psim_sink_cfg *cfg);
void psim_sink_del(psim_sink *sink);
const psim_app_stats *psim_sink_stats(const psim_sink *sink);

/* ------------------------------------------------------------------ */
/* echo                                                                */

typedef struct psim_echo_server psim_echo_server;

typedef struct psim_echo_server_cfg {
  uint16_t port;
  unsigned backlog;            /* 0: 128 */
  unsigned expect_conns;       /* done after this many connections ended; 0: 1 */
  uint64_t expect_bytes;       /* all it should receive, for bytes_expected */
  uint64_t base;               /* with |pattern|: offset of each stream's first byte */
  const psim_pattern *pattern; /* (optional) check what is read against it */
  const ptcp_conn_cfg *conn;
  psim_app_hooks hooks;
} psim_echo_server_cfg;

int psim_echo_server_new(psim_echo_server **pecho, psim_node *node,
                         const psim_echo_server_cfg *cfg);
void psim_echo_server_del(psim_echo_server *echo);
const psim_app_stats *psim_echo_server_stats(const psim_echo_server *echo);

typedef struct psim_echo_client psim_echo_client;

typedef struct psim_echo_client_cfg {
  ptcp_addr dst;
  uint16_t port;
  uint64_t bytes; /* to send, and to get back */
  uint64_t base;
  ptcp_time start;
  int half_close; /* FIN right after the last byte is queued, before the echo */
  const ptcp_conn_cfg *conn;
  const psim_pattern *pattern; /* (required) */
  psim_app_hooks hooks;
} psim_echo_client_cfg;

/** The client is done when it has the whole echo and its connection ended. */
int psim_echo_client_new(psim_echo_client **pecho, psim_node *node,
                         const psim_echo_client_cfg *cfg);
void psim_echo_client_del(psim_echo_client *echo);
const psim_app_stats *psim_echo_client_stats(const psim_echo_client *echo);

/* ------------------------------------------------------------------ */
/* request / response, and many clients                                */

typedef struct psim_reqresp_server psim_reqresp_server;

typedef struct psim_reqresp_server_cfg {
  uint16_t port;
  unsigned backlog;             /* 0: 1024 */
  uint32_t request;             /* request size in bytes (> 0) */
  uint32_t response;            /* response size in bytes (> 0) */
  uint64_t base_req, base_resp; /* pattern offsets; a many client adds its connection's */
  unsigned expect_conns;        /* done after this many connections ended; 0: 1 */
  uint64_t expect_bytes;        /* all it should receive, for bytes_expected */
  const ptcp_conn_cfg *conn;
  const psim_pattern *pattern; /* (required) */
  psim_app_hooks hooks;
} psim_reqresp_server_cfg;

/**
 * The server reads each connection's requests, checks them, and
 * answers each whole one with a response.  Both ends offset their
 * pattern bases by the client's port times PSIM_REQRESP_CONN_STRIDE, so
 * data crossed between connections shows as bad bytes.
 */
int psim_reqresp_server_new(psim_reqresp_server **psrv, psim_node *node,
                            const psim_reqresp_server_cfg *cfg);
void psim_reqresp_server_del(psim_reqresp_server *srv);
const psim_app_stats *psim_reqresp_server_stats(const psim_reqresp_server *srv);

/** The pattern offset per client port number. */
#define PSIM_REQRESP_CONN_STRIDE 7919u

typedef struct psim_many psim_many;

typedef struct psim_many_cfg {
  ptcp_addr dst;
  uint16_t port;
  uint32_t conns;             /* concurrent connections (>= 1) */
  uint32_t request, response; /* bytes per exchange (> 0) */
  uint32_t rounds;            /* exchanges per connection (>= 1) */
  uint64_t base_req, base_resp;
  ptcp_time start;        /* the first connect */
  ptcp_duration interval; /* between connects */
  int hold; /* after its exchanges each connection waits for psim_many_release */
  const ptcp_conn_cfg *conn;
  const psim_pattern *pattern; /* (required) */
  psim_app_hooks hooks;
  /** (optional) Every connection has done its exchanges (with |hold|,
   *  they are all open and idle now). */
  void (*on_all_ready)(void *ctx);
} psim_many_cfg;

/**
 * psim_many_new schedules |conns| request/response clients on |node|
 * (a single client is a many of one).  Each connects, makes |rounds|
 * exchanges, checks every response byte, then shuts down and reads to
 * the end; the app is done when every connection ended.
 */
int psim_many_new(psim_many **pmany, psim_node *node, const psim_many_cfg *cfg);
/** psim_many_release lets held connections finish (shut down), one
 *  |interval| apart, in the order they opened. */
void psim_many_release(psim_many *many);
void psim_many_del(psim_many *many);
const psim_app_stats *psim_many_stats(const psim_many *many);
/** Connections that completed their exchanges so far. */
uint32_t psim_many_ready(const psim_many *many);

#ifdef __cplusplus
}
#endif

#endif /* PLUGSIM_APP_H */

/*
 * plugtcp-tun: the applications that run on the stack's connections, and
 * what each connection did.
 *
 *   echo      send back what arrives
 *   sink      take what arrives, send nothing
 *   source N  send N pattern bytes
 *   send FILE send a file's bytes
 *
 * Servers (--listen) and clients (--connect) run any of them.
 * Every application reads whatever arrives (and fingerprints it with
 * SHA-256) until the peer's FIN.  The sending ones shut down their
 * direction when done and go on reading (half-close); echo and sink
 * shut down once the peer has.  A connection is finished when the
 * engine reports it CLOSED or in TIME-WAIT, or when it was aborted.
 */
#ifndef PTCP_TUN_APP_H
#define PTCP_TUN_APP_H

#include <stdint.h>

#include <plugtcp/plugtcp.h>

#include "sha256.h"
#include "tun_bridge.h"

typedef enum tun_app_kind {
  TUN_APP_ECHO = 1,
  TUN_APP_SINK,
  TUN_APP_SOURCE,
  TUN_APP_SEND,
} tun_app_kind;

typedef struct tun_app_cfg {
  tun_app_kind kind;
  int server;                /* --listen, else --connect */
  ptcp_addr local;           /* the stack's address */
  ptcp_addr remote;          /* client: the peer */
  uint16_t port;             /* server: the port to listen on; client: the peer's */
  uint64_t source_len;       /* TUN_APP_SOURCE */
  const char *send_path;     /* TUN_APP_SEND */
  int expect_echo;           /* source, send: what comes back must be what went out */
  int64_t abort_after;       /* abort (RST) once this many bytes arrived; -1: never */
  unsigned count;            /* connections to serve or make; server: 0 = no limit */
  unsigned parallel;         /* client: connections open at once */
  const ptcp_conn_cfg *conn; /* settings of every connection */
} tun_app_cfg;

/** What one connection did. */
typedef struct tun_conn_result {
  unsigned id;  /* from 1, in the order they started */
  int finished; /* ended (closed, failed or aborted) before the run did */
  int established;
  int aborted;
  int err;             /* the engine's error (PTCP_ERR_CONN_RESET, ...), or 0 */
  const char *problem; /* what the application found wrong, or NULL */
  int echo_checked, echo_ok;
  uint64_t echo_mismatch_at; /* first differing byte when !echo_ok */
  uint64_t tx_bytes, rx_bytes;
  char tx_sha256[SHA256_HEX_LEN], rx_sha256[SHA256_HEX_LEN];
  int peer_fin;          /* the peer's FIN arrived */
  ptcp_conn_status open; /* at establishment: the negotiated options */
  ptcp_conn_status last; /* at the end: state and counters */
  ptcp_time t_start, t_established, t_end;
} tun_conn_result;

typedef struct tun_app tun_app;

/**
 * tun_app_new checks |cfg| (the file to send must be readable) and keeps
 * a pointer to it; the app's packets go out through |bridge|.  Returns
 * 0, or -1 with a sentence in |err|.
 */
int tun_app_new(tun_app **pa, const tun_app_cfg *cfg, tun_bridge *bridge, char *err,
                size_t errlen);
void tun_app_del(tun_app *a);

/** tun_app_callbacks fills every callback, emit included; user = the app. */
void tun_app_callbacks(tun_app *a, ptcp_callbacks *cb);

/**
 * tun_app_start binds the listener (server) on |stack|; a client starts
 * connecting from the first tick.  Returns 0, or a PTCP_ERR_* code with
 * a sentence in |err|.
 */
int tun_app_start(tun_app *a, ptcp_stack *stack, char *err, size_t errlen);

/** tun_app_tick and tun_app_done are the bridge's hooks (ctx = the app). */
void tun_app_tick(void *ctx, ptcp_time now);
int tun_app_done(void *ctx);

/** tun_app_stop records the connections still open as unfinished. */
void tun_app_stop(tun_app *a);

size_t tun_app_count(const tun_app *a);
const tun_conn_result *tun_app_result(const tun_app *a, size_t i);

#endif /* PTCP_TUN_APP_H */

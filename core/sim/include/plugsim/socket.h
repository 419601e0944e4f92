/*
 * plugsim: a BSD-like socket API over a node's stack.
 *
 * The calls mirror socket(2), bind(2), listen(2), accept(2),
 * connect(2), send(2), recv(2), shutdown(2) and close(2), all
 * non-blocking, with readiness signalled by callbacks instead of
 * select/poll.  Errors are errno values, returned negated (as the Linux
 * kernel's own socket calls do): a call returns 0 (or a byte count) on
 * success and -EADDRINUSE, -ECONNREFUSED, -EAGAIN ... on failure.
 * Nothing touches the global errno.
 *
 * Every call takes its time from the node's scheduler and moves the
 * node's timer event afterwards (psim_node_sync), so an application
 * never deals with the engine's deadlines.
 *
 * Lifetime: a socket belongs to the application from psim_sock_new (or
 * psim_sock_accept) until psim_sock_close or psim_sock_abort, which
 * free it; the engine then finishes the connection by itself.  Sockets
 * still open when their node is deleted are freed with it.  A socket
 * whose connection ended (CLOSED) stays valid until it is closed, so
 * its state and counters can still be read.
 *
 * Callbacks run from inside the engine, after it has finished the work
 * that caused them.  A callback may make any call on any socket,
 * psim_sock_close of its own socket included (after which it must not
 * touch the socket again); it must not delete the node.
 */
#ifndef PLUGSIM_SOCKET_H
#define PLUGSIM_SOCKET_H

#include <plugsim/node.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct psim_sock psim_sock;

/* psim_sock_shutdown |how|: the values of SHUT_RD, SHUT_WR, SHUT_RDWR. */
#define PSIM_SHUT_RD 0
#define PSIM_SHUT_WR 1
#define PSIM_SHUT_RDWR 2

/**
 * Readiness and completion callbacks, each optional.  |ctx| is the
 * pointer given to psim_sock_set_cb.  Errors are positive errno values.
 */
typedef struct psim_sock_cb {
  /** A listener has a connection for psim_sock_accept. */
  void (*on_accept)(void *ctx, psim_sock *listener);
  /** connect() completed: the connection is ESTABLISHED. */
  void (*on_connected)(void *ctx, psim_sock *sock);
  /** recv() has data, or end of stream, to return. */
  void (*on_readable)(void *ctx, psim_sock *sock);
  /** send() has room again after a short or refused send. */
  void (*on_writable)(void *ctx, psim_sock *sock);
  /** The peer sent FIN; after the data already queued, recv() returns 0. */
  void (*on_peer_fin)(void *ctx, psim_sock *sock);
  /** The connection failed: ECONNREFUSED, ECONNRESET or ETIMEDOUT. */
  void (*on_error)(void *ctx, psim_sock *sock, int err);
  /** The connection reached CLOSED or TIME-WAIT; |err| is 0 when orderly. */
  void (*on_closed)(void *ctx, psim_sock *sock, int err);
} psim_sock_cb;

/**
 * psim_errno maps a PTCP_ERR_* code to the errno value a BSD socket
 * reports for it (positive; 0 for 0): ptcp_err_errno(), the core's one
 * mapping, under the simulator's name.
 */
int psim_errno(int ptcp_err);

/** psim_errno_name returns "EADDRINUSE" etc. for |err| (positive), or "E?". */
const char *psim_errno_name(int err);

/**
 * psim_sock_new creates a TCP socket on |node| (socket()).  |cfg| NULL
 * takes the stack's connection defaults.  Returns 0, or
 *   -EINVAL   a NULL argument or a setting the stack refuses (a bad
 *             policy spec included);
 *   -EMFILE   the stack's connection limit is reached;
 *   -ENOMEM   out of memory.
 */
int psim_sock_new(psim_node *node, const ptcp_conn_cfg *cfg, psim_sock **psock);

/**
 * psim_sock_set_cb installs the callbacks (|cb| is copied; NULL clears
 * them) and their context.  A socket returned by psim_sock_accept starts
 * with its listener's.
 */
void psim_sock_set_cb(psim_sock *sock, const psim_sock_cb *cb, void *ctx);

/**
 * psim_sock_bind binds the socket to |addr| (NULL: the node's address)
 * and |port| (0: an ephemeral one).  Returns 0, or
 *   -EADDRINUSE     the port is taken (by any socket on the node);
 *   -EADDRNOTAVAIL  |addr| is not the node's, or no ephemeral port is free;
 *   -EINVAL         already bound, or not a fresh socket.
 */
int psim_sock_bind(psim_sock *sock, const ptcp_addr *addr, uint16_t port);

/**
 * psim_sock_listen makes a bound socket a listener with room for
 * |backlog| (1..65535) pending connections.  Returns 0, or -EINVAL
 * (not bound, connected already, or a bad backlog).
 */
int psim_sock_listen(psim_sock *sock, unsigned backlog);

/**
 * psim_sock_accept takes the oldest established connection off the
 * listener's queue as a new socket.  Returns 0, or
 *   -EAGAIN   no connection is waiting;
 *   -EINVAL   |sock| is not a listener;
 *   -ENOMEM   no memory for the socket (the connection stays queued).
 */
int psim_sock_accept(psim_sock *sock, psim_sock **pnew);

/**
 * psim_sock_connect starts connecting to |addr|:|port|; on_connected or
 * on_error tells how it ended (a non-blocking connect() that returned
 * EINPROGRESS).  Returns 0, or
 *   -EISCONN        the socket is connected already;
 *   -EALREADY       a connect is under way;
 *   -EINVAL         port 0, an unusable address, or a listener;
 *   -EADDRINUSE     the 4-tuple exists already;
 *   -EADDRNOTAVAIL  no ephemeral port is free;
 *   -ENOMEM.
 */
int psim_sock_connect(psim_sock *sock, const ptcp_addr *addr, uint16_t port);

/**
 * psim_sock_send queues up to |len| bytes and returns how many it took
 * (on_writable follows a short send when room opens), or
 *   -EAGAIN        the send buffer is full;
 *   -ENOTCONN      not connected (yet);
 *   -EPIPE         the sending side was shut down;
 *   -ECONNRESET, -ETIMEDOUT, -ECONNREFUSED  the connection failed;
 *   -ENOMEM.
 */
ptcp_ssize psim_sock_send(psim_sock *sock, const void *buf, size_t len);

/**
 * psim_sock_recv copies up to |len| received bytes to |buf| and returns
 * their number, 0 at end of stream, or
 *   -EAGAIN     nothing to read yet;
 *   -ENOTCONN   never connected;
 *   -ECONNRESET, -ETIMEDOUT, -ECONNREFUSED  the connection failed.
 */
ptcp_ssize psim_sock_recv(psim_sock *sock, void *buf, size_t len);

/**
 * psim_sock_shutdown closes the sending direction (PSIM_SHUT_WR: FIN
 * after the queued data), the receiving one (PSIM_SHUT_RD: recv returns
 * 0 from now on; arriving data is still acknowledged and discarded) or
 * both.  Returns 0, or
 *   -ENOTCONN  not connected: never, not yet, or no longer (the
 *              connection failed or ended; send, recv and
 *              psim_sock_error tell how), whichever direction;
 *   -EINVAL    a bad |how|.
 * Shutting down a direction twice is not an error.
 */
int psim_sock_shutdown(psim_sock *sock, int how);

/**
 * psim_sock_close releases the socket (close()): the connection ends
 * with FIN after the queued data or, when received data was never read,
 * with RST (the close policy decides).  The socket is freed.  Returns 0.
 */
int psim_sock_close(psim_sock *sock);

/**
 * psim_sock_abort resets the connection (close() with SO_LINGER set to
 * zero: RST, queued data dropped) and frees the socket.  Returns 0.
 */
int psim_sock_abort(psim_sock *sock);

/**
 * psim_sock_error returns and clears the pending error (getsockopt
 * SO_ERROR): a positive errno value, or 0.
 */
int psim_sock_error(psim_sock *sock);

/** psim_sock_state returns the connection's RFC 9293 state. */
ptcp_state psim_sock_state(const psim_sock *sock);

/** psim_sock_status fills |st| (ptcp_conn_status_get). */
void psim_sock_status(const psim_sock *sock, ptcp_conn_status *st);

/** psim_sock_node returns the socket's node. */
psim_node *psim_sock_node(const psim_sock *sock);

/** psim_sock_conn returns the engine's connection behind the socket. */
ptcp_conn *psim_sock_conn(const psim_sock *sock);

/** User data for the application. */
void psim_sock_set_user(psim_sock *sock, void *user);
void *psim_sock_user(const psim_sock *sock);

/** psim_sock_sizeof returns the size of a socket, for memory accounting. */
size_t psim_sock_sizeof(void);

#ifdef __cplusplus
}
#endif

#endif /* PLUGSIM_SOCKET_H */

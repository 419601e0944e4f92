/*
 * plugsim internals shared by psim_node.c and psim_socket.c: the socket
 * struct and the node's hand-off of connection events to sockets.
 */
#ifndef PSIM_NODE_INT_H
#define PSIM_NODE_INT_H

#include <plugsim/node.h>
#include <plugsim/socket.h>

/* The connection events a node hands to the socket that owns the
 * connection (ptcp_callbacks, one each). */
typedef enum psim_sock_event {
  PSIM_SOCK_EV_ACCEPT = 1,
  PSIM_SOCK_EV_CONNECTED,
  PSIM_SOCK_EV_READABLE,
  PSIM_SOCK_EV_WRITABLE,
  PSIM_SOCK_EV_PEER_FIN,
  PSIM_SOCK_EV_ERROR,
  PSIM_SOCK_EV_CLOSED,
} psim_sock_event;

struct psim_sock {
  psim_node *node;
  ptcp_conn *conn;
  psim_sock_cb cb;
  void *ctx;
  void *user;
  psim_sock *next, *prev; /* the node's list of open sockets */
  int err;                /* pending error (SO_ERROR), positive errno */
  uint8_t shut_rd;        /* recv returns 0; arriving data is discarded */
};

/* psim_socket.c: delivers one event of |conn| to its socket |sock|. */
void psim_sock_event_in(psim_sock *sock, ptcp_conn *conn, psim_sock_event ev, int err);

/* psim_node.c: the node's list of open sockets. */
void psim_node_sock_link(psim_node *node, psim_sock *sock);
void psim_node_sock_unlink(psim_node *node, psim_sock *sock);
const ptcp_mem *psim_node_mem(const psim_node *node);

#endif /* PSIM_NODE_INT_H */

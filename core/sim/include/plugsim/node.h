/*
 * plugsim: nodes, the hosts of a simulation.
 *
 * A node hosts one libplugtcp stack (ptcp_stack) over a minimal IPv4
 * layer: the stack builds whole IP packets, the node copies each into a
 * packet from the pool and sends it out of the interface whose peer
 * address matches the destination (or the first interface: the default
 * route); packets that arrive on any interface go to ptcp_stack_input.
 *
 * Time: the node keeps exactly ONE scheduler event, due at the stack's
 * earliest deadline (ptcp_stack_next_deadline), however many
 * connections and timers the stack holds.  It is moved after every
 * packet the stack takes and every user call made through the socket
 * API (psim_node_sync).  A deadline that moves later is caught lazily:
 * the event fires at the old time, ptcp_stack_on_timer finds nothing due
 * (calling it early is harmless) and the event is set again.  That
 * spares one heap update per acknowledgment, when the retransmission
 * timer restarts.
 *
 * Randomness: the stack's (ISN secret, ephemeral ports, timestamp
 * offsets) comes from the stream "node:<name>/stack" of the run seed.
 */
#ifndef PLUGSIM_NODE_H
#define PLUGSIM_NODE_H

#include <plugsim/common.h>
#include <plugsim/link.h>
#include <plugsim/pkt.h>
#include <plugsim/rng.h>
#include <plugsim/sched.h>

#include <plugtcp/stack.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct psim_node psim_node;

/** Interfaces a node may have. */
#define PSIM_NODE_IFACES_MAX 16u
/** The longest node name. */
#define PSIM_NODE_NAME_MAX 32u

/** A node's configuration.  Start from psim_node_cfg_init. */
typedef struct psim_node_cfg {
  /* Names the node in traces and labels its random stream; at most
   * PSIM_NODE_NAME_MAX bytes, [A-Za-z0-9_.-]. */
  const char *name;
  /* The node's IPv4 address. */
  ptcp_addr addr;
  /* The run seed. */
  uint64_t seed;
  /* The stack's settings: registry, default policies, connection
   * defaults, limits, ephemeral ports.  The node fills in mem, rand,
   * rand_ctx, callbacks and user itself; whatever is there is ignored. */
  ptcp_stack_cfg stack;
} psim_node_cfg;

/** psim_node_cfg_init sets |cfg| to an unnamed node with the stack's defaults. */
void psim_node_cfg_init(psim_node_cfg *cfg);

/** Counters of one node.  The engine's own are in ptcp_stack_stats_get. */
typedef struct psim_node_stats {
  uint64_t packets_in;     /* packets handed to the stack */
  uint64_t input_errors;   /* of those, rejected by the codec (e.g. checksum) */
  uint64_t packets_out;    /* packets the stack emitted */
  uint64_t no_route;       /* of those, with no interface to leave by */
  uint64_t pool_failures;  /* of those, the pool had no packet for */
  uint64_t timer_events;   /* scheduler events the node ran */
  uint64_t segs_out;       /* TCP segments emitted (from the trace) */
  uint64_t data_segs_out;  /* of those, carrying payload */
  uint64_t retransmits;    /* of those, retransmissions (SYN, data or FIN) */
  uint64_t timeouts;       /* SYN and data retransmission timer firings */
  uint64_t persist_probes; /* zero-window probe timer firings */
  uint64_t rtt_samples;    /* RTT samples taken */
  ptcp_duration rtt_min;   /* NONE until the first sample */
  ptcp_duration rtt_max;
  uint64_t rtt_sum; /* for the mean, in ns (saturating) */
} psim_node_stats;

/**
 * Observers of a node, both optional.  on_trace sees every engine trace
 * event (the node counts them first); on_input_error every packet the
 * stack refused with a codec error (|err| is PTCP_ERR_*), which the
 * engine does not trace.  Neither may delete the node.
 */
typedef struct psim_node_observer {
  void (*on_trace)(void *ctx, psim_node *node, const ptcp_trace *ev);
  void (*on_input_error)(void *ctx, psim_node *node, int err, const uint8_t *pkt,
                         size_t len, ptcp_time now);
  void *ctx;
} psim_node_observer;

/**
 * psim_node_new creates a node on |sched| whose packets come from
 * |pool|.  |cfg| is copied (the name too).  |mem| may be NULL for
 * ptcp_mem_default(); the stack allocates through it as well.  Returns
 * 0, or one of the following negative error codes:
 *   PTCP_ERR_INVALID_ARGUMENT  a NULL argument, a bad name, an address
 *                              that is not IPv4, or a stack setting
 *                              ptcp_stack_new refuses;
 *   PTCP_ERR_NOT_FOUND         a default policy that is not registered;
 *   PTCP_ERR_POLICY            the isn policy would not start;
 *   PTCP_ERR_NOMEM             out of memory.
 */
int psim_node_new(psim_node **pnode, psim_sched *sched, psim_pool *pool,
                  const psim_node_cfg *cfg, const ptcp_mem *mem);

/**
 * psim_node_del frees the node, its stack (every connection, sending
 * nothing) and every socket still open on it, cancels its event and
 * detaches it from its links, which must therefore still exist: delete
 * a node before the links it is attached to.  NULL is a no-op.
 */
void psim_node_del(psim_node *node);

/**
 * psim_node_add_iface attaches the node to |end| of |link|: it becomes
 * the receiver there and sends out of it the packets for |peer| (NULL:
 * any destination no other interface claims; the first such interface
 * is the default route).  Returns the interface's index, or
 *   PTCP_ERR_INVALID_ARGUMENT  a NULL argument, a bad end, a peer that
 *                              is not IPv4;
 *   PTCP_ERR_LIMIT             PSIM_NODE_IFACES_MAX interfaces already.
 */
int psim_node_add_iface(psim_node *node, psim_link *link, unsigned end,
                        const ptcp_addr *peer);

/** psim_node_set_observer installs |obs| (copied; NULL removes it). */
void psim_node_set_observer(psim_node *node, const psim_node_observer *obs);

/**
 * psim_node_sync moves the node's event to the stack's next deadline.
 * The socket API calls it after every call; a caller that drives the
 * stack with ptcp_conn_* directly must call it afterwards.
 */
void psim_node_sync(psim_node *node);

/** psim_node_stack returns the node's stack. */
ptcp_stack *psim_node_stack(const psim_node *node);

/** psim_node_sched returns the node's scheduler. */
psim_sched *psim_node_sched(const psim_node *node);

/** psim_node_now returns the current simulated time. */
ptcp_time psim_node_now(const psim_node *node);

/** psim_node_name returns the node's name. */
const char *psim_node_name(const psim_node *node);

/** psim_node_addr returns the node's address. */
const ptcp_addr *psim_node_addr(const psim_node *node);

/** psim_node_get_stats returns the node's counters. */
const psim_node_stats *psim_node_get_stats(const psim_node *node);

#ifdef __cplusplus
}
#endif

#endif /* PLUGSIM_NODE_H */

/*
 * plugsim: point-to-point links.
 *
 * A link joins two ends, A and B, and has one independent direction
 * each way (direction 0 carries A -> B, direction 1 carries B -> A).
 * Each direction is a transmitter fed by a drop-tail queue, a wire with
 * a propagation delay, and a set of impairments, all driven by the
 * scheduler and by random streams of their own:
 *
 *   send --> [queue: DropTail, in packets] --> [transmitter: rate]
 *        --> wire: script, fate hook, loss, Gilbert-Elliott, duplicate,
 *                  reorder, corrupt, jitter, delay profile (decided in
 *                  this order, at the start of transmission)
 *        --> [propagation delay + extra delays] --> deliver(far end)
 *
 * docs/simulator.md gives the exact semantics of every parameter, the
 * order of the impairments and how this maps to ns-3's
 * PointToPointNetDevice/Channel, DropTailQueue and error models and to
 * Linux netem.
 *
 * A link never reads connection state: it moves opaque IP packets.  A
 * node owns one end of each of its links: it attaches a deliver callback
 * to its end and sends from it.
 */
#ifndef PLUGSIM_LINK_H
#define PLUGSIM_LINK_H

#include <plugsim/common.h>
#include <plugsim/pkt.h>
#include <plugsim/sched.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct psim_link psim_link;

/* The two ends.  A packet sent from end e travels in direction e. */
#define PSIM_LINK_A 0u
#define PSIM_LINK_B 1u

/** ns-3's DropTailQueue default size ("100p"), used by psim_link_dir_cfg_init. */
#define PSIM_LINK_QUEUE_DEFAULT 100u
/** The longest link name; it prefixes the link's random stream labels. */
#define PSIM_LINK_NAME_MAX 64u
/** The reorder delay of a link with no propagation delay (see reorder_delay). */
#define PSIM_LINK_REORDER_DELAY_MIN PTCP_MILLISECONDS

/** What a script rule does to its packet. */
typedef enum psim_script_action {
  PSIM_SCRIPT_DROP = 1,  /* lose it on the wire */
  PSIM_SCRIPT_DUPLICATE, /* deliver an extra, intact copy with it */
  PSIM_SCRIPT_DELAY,     /* add |delay| to its flight, letting others overtake */
  PSIM_SCRIPT_CORRUPT,   /* flip bit |bit| */
} psim_script_action;

/**
 * One rule of a direction's exact script: do |action| to the |nth|
 * packet offered to this direction (counting from 1, every packet
 * passed to psim_link_send, including those the queue then drops).
 * Several rules may name the same packet: delays add up, every CORRUPT
 * bit is flipped, and one DUPLICATE or DROP is enough.  A rule for a
 * packet the queue dropped does nothing.
 */
typedef struct psim_script_rule {
  uint64_t nth;
  psim_script_action action;
  ptcp_duration delay; /* PSIM_SCRIPT_DELAY */
  /* PSIM_SCRIPT_CORRUPT: the bit to flip, numbered as in RFC header
   * diagrams: bit 0 is the most significant bit of the first byte, bit
   * 8 * i + j is (0x80 >> j) of byte i.  Reduced modulo the packet's
   * length in bits. */
  uint32_t bit;
} psim_script_rule;

/**
 * The Gilbert-Elliott burst-loss model, with netem's parameters: a
 * two-state Markov chain over packets.  Each packet is lost with the
 * loss probability of the state the chain is in when the packet is
 * sent; then the chain moves (good -> bad with probability |p|, bad ->
 * good with probability |r|).  It starts in the good state.  The model
 * is on when |p| > 0 or |loss_good| > 0.
 */
typedef struct psim_gilbert_elliott {
  double p;         /* P(good -> bad), per packet */
  double r;         /* P(bad -> good), per packet */
  double loss_bad;  /* netem's 1-h: loss probability in the bad state */
  double loss_good; /* netem's 1-k: loss probability in the good state */
} psim_gilbert_elliott;

/** The shapes of a delay profile. */
typedef enum psim_delay_shape {
  PSIM_DELAY_NONE = 0,  /* no profile: the propagation delay alone */
  PSIM_DELAY_SQUARE,    /* 0 for the first half of each period, then amplitude */
  PSIM_DELAY_TRIANGLE,  /* 0 up to amplitude at half the period, back down to 0 */
  PSIM_DELAY_SINE,      /* amplitude (1 - cos(2 pi t / period)) / 2 */
} psim_delay_shape;

/**
 * A time-varying propagation delay: a packet whose transmission starts
 * at time t (simulated, from 0) gets an extra delay that follows
 * |shape| over each |period|, between 0 and |amplitude|.  The shapes
 * all start at 0 at t = 0.  Triangle and sine are computed in double
 * precision and rounded to the nanosecond, square exactly.  FIFO order
 * is kept as under jitter: when the delay falls, a packet never arrives
 * before the one sent before it (they bunch up).
 */
typedef struct psim_delay_profile {
  psim_delay_shape shape;
  ptcp_duration amplitude;
  ptcp_duration period; /* at least 2 ns unless the shape is NONE */
} psim_delay_profile;

/** psim_delay_shape_name returns "none", "square", "triangle" or "sine" (NULL
 *  for anything else). */
const char *psim_delay_shape_name(psim_delay_shape shape);

/**
 * psim_delay_profile_at returns the extra delay |p| gives a packet sent
 * at |t| (0 for no profile, or an invalid one).
 */
ptcp_duration psim_delay_profile_at(const psim_delay_profile *p, ptcp_time t);

/**
 * One direction's configuration.  Start from psim_link_dir_cfg_init
 * (queue of 100 packets, Gilbert-Elliott loss_bad of 1), or from a
 * zeroed struct, which is a perfect, infinitely fast, queueless wire.
 * Probabilities are in [0, 1].
 */
typedef struct psim_link_dir_cfg {
  /* Transmission rate in bits per second: a packet of L bytes occupies
   * the transmitter for ceil(8 L 10^9 / rate) ns.  0: infinitely fast,
   * no serialisation and no queueing at all. */
  uint64_t rate_bps;
  /* Propagation delay: from the end of transmission to arrival. */
  ptcp_duration delay;
  /* Packets that may wait for a busy transmitter (the one being sent is
   * not counted).  An arrival that finds the queue full is dropped. */
  size_t queue_limit;
  /* Bernoulli loss: each packet sent is lost with this probability. */
  double loss;
  /* Burst loss, on top of |loss|. */
  psim_gilbert_elliott ge;
  /* Each packet sent is duplicated with this probability: an intact copy
   * arrives right after it. */
  double duplicate;
  /* Each packet sent is reordered with this probability: its flight
   * takes |reorder_delay| longer, and later packets may overtake it. */
  double reorder;
  /* 0: the propagation delay (so a reordered packet takes twice the
   * one-way delay), or PSIM_LINK_REORDER_DELAY_MIN without one. */
  ptcp_duration reorder_delay;
  /* Each packet sent has one uniformly chosen bit flipped with this
   * probability (anywhere in the IP packet, header included). */
  double corrupt;
  /* Each packet's flight gets a uniform extra delay in [0, jitter] ns;
   * never enough to overtake an earlier packet (FIFO is kept: a packet
   * never arrives before the one sent before it, except reordered or
   * script-delayed ones). */
  ptcp_duration jitter;
  /* A delay that varies over time, on top of |delay| (and of jitter). */
  psim_delay_profile delay_profile;
  /* The exact script; copied by psim_link_new.  May be NULL. */
  const psim_script_rule *script;
  size_t script_len;
} psim_link_dir_cfg;

/** A link's configuration. */
typedef struct psim_link_cfg {
  /* Names the link's random streams: "<name>:a->b/loss" and so on (see
   * docs/simulator.md).  At most PSIM_LINK_NAME_MAX bytes; NULL: "link". */
  const char *name;
  /* The run seed its streams derive from. */
  uint64_t seed;
  /* [PSIM_LINK_A]: A -> B; [PSIM_LINK_B]: B -> A. */
  psim_link_dir_cfg dir[2];
} psim_link_cfg;

/** psim_link_dir_cfg_init sets |cfg| to a perfect wire with a 100-packet queue. */
void psim_link_dir_cfg_init(psim_link_dir_cfg *cfg);

/** Per-direction counters. */
typedef struct psim_link_stats {
  uint64_t offered;         /* packets given to psim_link_send */
  uint64_t dropped_queue;   /* of offered: refused, the queue was full */
  uint64_t sent;            /* transmissions started */
  uint64_t bytes;           /* bytes of the packets sent */
  uint64_t lost;            /* of sent: lost on the wire, any cause */
  uint64_t lost_burst;      /* of lost: by the Gilbert-Elliott model */
  uint64_t duplicated;      /* extra copies put on the wire */
  uint64_t dup_failed;      /* copies not made: the pool refused */
  uint64_t reordered;       /* packets given the reorder delay */
  uint64_t corrupted;       /* packets with bits flipped */
  uint64_t scripted;        /* script rules applied */
  uint64_t delivered;       /* packets (copies too) handed to the far end */
  uint64_t bytes_delivered; /* their bytes */
  uint64_t undeliverable;   /* arrived with no receiver attached; freed */
} psim_link_stats;

/* Trace events: what happened to a packet. */
typedef enum psim_link_event_kind {
  PSIM_LINK_EV_ENQUEUE = 1, /* accepted: queued, or straight to the transmitter */
  PSIM_LINK_EV_TX,          /* transmission started; the wire's fate decided */
  PSIM_LINK_EV_DROP,        /* dropped, see |reason| */
  PSIM_LINK_EV_DELIVER,     /* arrived; about to be handed to the far end */
} psim_link_event_kind;

typedef enum psim_link_reason {
  PSIM_LINK_REASON_NONE = 0,
  PSIM_LINK_REASON_QUEUE_FULL,  /* DropTail overflow */
  PSIM_LINK_REASON_LOSS,        /* Bernoulli loss */
  PSIM_LINK_REASON_BURST_LOSS,  /* Gilbert-Elliott loss */
  PSIM_LINK_REASON_SCRIPT,      /* a DROP rule */
  PSIM_LINK_REASON_NO_RECEIVER, /* nothing attached at the far end */
} psim_link_reason;

/* psim_link_event.marks: the fate decided at transmission. */
#define PSIM_LINK_MARK_DUPLICATE 0x01u  /* this is the copy made by duplication */
#define PSIM_LINK_MARK_REORDERED 0x02u  /* given the reorder delay */
#define PSIM_LINK_MARK_CORRUPTED 0x04u  /* bits flipped on the wire */
#define PSIM_LINK_MARK_DELAYED 0x08u    /* given a script delay */
#define PSIM_LINK_MARK_SCRIPTED 0x10u   /* at least one script rule matched */
#define PSIM_LINK_MARK_DUPLICATED 0x20u /* a copy of this packet was made */

/**
 * A trace event.  |data| and |len| are the packet as it is at that
 * moment: for TX, as the sender sent it (before corruption); for
 * DELIVER, as it arrives.  Valid only during the callback.
 */
typedef struct psim_link_event {
  const psim_link *link;
  unsigned dir; /* PSIM_LINK_A (A -> B) or PSIM_LINK_B (B -> A) */
  psim_link_event_kind kind;
  psim_link_reason reason; /* DROP only */
  ptcp_time now;
  ptcp_time arrival; /* TX: when it will arrive, NONE if lost */
  uint64_t nth;      /* the packet's index among those offered */
  uint32_t marks;    /* PSIM_LINK_MARK_* (TX, DROP, DELIVER) */
  const uint8_t *data;
  size_t len;
} psim_link_event;

/**
 * A trace hook.  It sees every event of both directions, in time order;
 * it must not call into the link.
 */
typedef void (*psim_link_trace_fn)(void *ctx, const psim_link_event *ev);

/**
 * What a fate hook decides for one packet.  Each field does what the
 * exact script's rule of the same name does, and adds to the script's
 * rules for that packet: |drop| loses it on the wire, |duplicate|
 * delivers an extra intact copy with it, |delay| adds to its flight
 * (letting later packets overtake it), |corrupt| flips bit |bit|
 * (numbered as psim_script_rule's).  A zeroed fate leaves the packet
 * alone.
 */
typedef struct psim_link_fate {
  uint8_t drop;
  uint8_t duplicate;
  uint8_t corrupt;
  uint32_t bit;
  ptcp_duration delay;
} psim_link_fate;

/**
 * A fate hook: decides, packet by packet, what the wire does, where an
 * exact script would have to know every packet in advance (a fuzzer
 * reads each packet's fate from its input as the packet comes).  It is
 * called once for every packet that starts transmission, in both
 * directions and in time order, after the script's rules and before the
 * random stages, with |ev| describing the packet (kind TX, |arrival|
 * NONE, |data| as sent).  |fate| comes zeroed.  It must not call into
 * the link.
 */
typedef void (*psim_link_fate_fn)(void *ctx, const psim_link_event *ev,
                                  psim_link_fate *fate);

/**
 * A receiver.  It now owns |pkt| and must pass it on or psim_pkt_free
 * it.  It may send on any link, this one included; it must not delete
 * the link.
 */
typedef void (*psim_link_deliver_fn)(void *ctx, psim_pkt *pkt, ptcp_time now);

/**
 * psim_link_new creates a link on |sched|; duplicates are taken from
 * |pool|.  |cfg| is copied (scripts included).  |mem| may be NULL for
 * ptcp_mem_default().  Returns 0, or one of the following negative
 * error codes:
 *   PTCP_ERR_INVALID_ARGUMENT  a NULL argument; a probability outside
 *                              [0, 1]; a Gilbert-Elliott model that is on
 *                              but can never lose; a delay profile of
 *                              unknown shape, or with a period below
 *                              2 ns; a script rule with
 *                              nth 0 or an unknown action; a script_len
 *                              with a NULL script; a name that is too long;
 *   PTCP_ERR_NOMEM             out of memory.
 */
int psim_link_new(psim_link **plink, psim_sched *sched, psim_pool *pool,
                  const psim_link_cfg *cfg, const ptcp_mem *mem);

/**
 * psim_link_del cancels the link's events and frees it and every packet
 * queued or in flight on it.  NULL is a no-op.
 */
void psim_link_del(psim_link *link);

/**
 * psim_link_attach makes |fn|(|ctx|, pkt, now) the receiver at |end|
 * (PSIM_LINK_A or PSIM_LINK_B): it gets the packets sent from the other
 * end.  |fn| NULL detaches.  Returns 0 or PTCP_ERR_INVALID_ARGUMENT.
 */
int psim_link_attach(psim_link *link, unsigned end, psim_link_deliver_fn fn, void *ctx);

/** psim_link_set_trace installs |fn| (NULL: none) as the link's trace hook. */
void psim_link_set_trace(psim_link *link, psim_link_trace_fn fn, void *ctx);

/**
 * psim_link_set_fate installs |fn| (NULL: none) as the link's fate hook.
 * Packets it drops, duplicates, delays or corrupts are counted and
 * traced as scripted ones (stats.scripted counts the packets it changed;
 * drops have reason SCRIPT; marks SCRIPTED, DELAYED, CORRUPTED,
 * DUPLICATED).
 */
void psim_link_set_fate(psim_link *link, psim_link_fate_fn fn, void *ctx);

/**
 * psim_link_send offers |pkt| to the link at |from|'s side, at the
 * scheduler's current time.  The link owns the packet from then on.
 * Returns 0 when the packet was accepted, 1 when the queue was full and
 * the packet was dropped (and freed), or, leaving |pkt| with the caller,
 *   PTCP_ERR_INVALID_ARGUMENT  a NULL argument or an unknown end;
 *   PTCP_ERR_NOMEM             the scheduler could not grow.
 */
int psim_link_send(psim_link *link, unsigned from, psim_pkt *pkt);

/** psim_link_get_stats returns the counters of direction |dir|, or NULL. */
const psim_link_stats *psim_link_get_stats(const psim_link *link, unsigned dir);

/** psim_link_queued returns the packets waiting in direction |dir|'s queue. */
size_t psim_link_queued(const psim_link *link, unsigned dir);

/** psim_link_in_flight returns the packets on direction |dir|'s wire. */
size_t psim_link_in_flight(const psim_link *link, unsigned dir);

#ifdef __cplusplus
}
#endif

#endif /* PLUGSIM_LINK_H */

/*
 * plugtcp-tun: the bridge between a TUN device and one libplugtcp stack,
 * and the event loop that drives both in real time.
 *
 *   kernel --TUN--> read() --> link A->B (impairments) --> ptcp_stack_input
 *   kernel <--TUN-- write() <-- link B->A (impairments) <-- emit callback
 *
 * The impairments are libplugsim's link model (docs/simulator.md): a
 * psim_sched whose clock is CLOCK_MONOTONIC, and one psim_link with the
 * TUN at end A and the stack at end B.  A perfect wire (the default)
 * delivers at the instant of sending, so without impairments a packet
 * goes straight through in the same loop turn.
 *
 * The loop sleeps in ppoll() until the TUN is readable, the stack's next
 * deadline, or the link's next delivery, whichever comes first; it never
 * spins.  Time handed to the stack is the loop's reading of the clock.
 */
#ifndef PTCP_TUN_BRIDGE_H
#define PTCP_TUN_BRIDGE_H

#include <stdint.h>

#include <plugsim/link.h>
#include <plugtcp/plugtcp.h>

typedef struct tun_bridge tun_bridge;

typedef struct tun_bridge_cfg {
  int fd;                /* the TUN, non-blocking */
  unsigned mtu;          /* the device's MTU: the largest packet either way */
  psim_link_dir_cfg dir; /* impairments, applied to both directions */
  uint64_t seed;         /* the impairments' random streams */
  const char *pcap_path; /* capture what crosses the TUN, or NULL */
} tun_bridge_cfg;

/** Counters of what crossed the TUN. */
typedef struct tun_bridge_stats {
  uint64_t tun_in, tun_in_bytes;   /* packets read from the TUN */
  uint64_t tun_out, tun_out_bytes; /* packets written to the TUN */
  uint64_t tun_write_drops;        /* write() refused (queue full, device down) */
  uint64_t oversize;               /* longer than the MTU: dropped */
  uint64_t not_tcp;                /* read but not for the stack (not TCP, bad IP) */
  uint64_t pool_drops;             /* no packet buffer left: dropped */
} tun_bridge_stats;

/** What the loop asks of its owner each turn. */
typedef struct tun_bridge_hooks {
  void *ctx;
  /* Called every turn before sleeping: start work, report progress. */
  void (*tick)(void *ctx, ptcp_time now);
  /* Nonzero when the owner is finished. */
  int (*done)(void *ctx);
} tun_bridge_hooks;

/* tun_bridge_run's outcomes besides 0 (done). */
#define TUN_RUN_TIMEOUT 1     /* the deadline passed first */
#define TUN_RUN_INTERRUPTED 2 /* SIGINT or SIGTERM */

/** tun_clock_now reads CLOCK_MONOTONIC in nanoseconds. */
ptcp_time tun_clock_now(void);

/**
 * tun_bridge_new sets up the scheduler, the packet pool, the link and the
 * capture.  Returns 0, or a negative PTCP_ERR_* / PSIM_ERR_* code with a
 * sentence in |err|.
 */
int tun_bridge_new(tun_bridge **pb, const tun_bridge_cfg *cfg, char *err, size_t errlen);

/** tun_bridge_del closes the capture and frees everything (not the fd). */
void tun_bridge_del(tun_bridge *b);

/** tun_bridge_attach makes |stack| the receiver of the TUN's packets. */
void tun_bridge_attach(tun_bridge *b, ptcp_stack *stack);

/** tun_bridge_emit has the type of ptcp_callbacks.emit; user = the bridge. */
int tun_bridge_emit(void *user, const uint8_t *pkt, size_t len);

/** tun_bridge_now returns the time of the current loop turn. */
ptcp_time tun_bridge_now(const tun_bridge *b);

/**
 * tun_bridge_run turns the loop until hooks->done() holds and the link
 * has nothing in flight (or |drain| more nanoseconds have passed), then
 * for |linger| nanoseconds more, or until |deadline|.  SIGINT and SIGTERM
 * end it.  Returns 0, TUN_RUN_TIMEOUT, TUN_RUN_INTERRUPTED, or a negative
 * error with a sentence in |err| (the TUN failed, the stack failed).
 */
int tun_bridge_run(tun_bridge *b, const tun_bridge_hooks *hooks, ptcp_time deadline,
                   ptcp_duration drain, ptcp_duration linger, char *err, size_t errlen);

const tun_bridge_stats *tun_bridge_get_stats(const tun_bridge *b);

/** The link's counters: dir PSIM_LINK_A = TUN -> stack, PSIM_LINK_B = stack -> TUN. */
const psim_link_stats *tun_bridge_link_stats(const tun_bridge *b, unsigned dir);

#endif /* PTCP_TUN_BRIDGE_H */

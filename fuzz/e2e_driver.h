/*
 * plugtcp fuzzing: the "e2e" driver.  Two libplugsim hosts on one link;
 * the input (see e2e_format.h) chooses the settings, the applications,
 * the user calls and every packet's fate, and the driver checks, through
 * libplugsim's and libplugtcp's public APIs only:
 *
 *   - prefix: every byte an application or user socket reads is the
 *     byte the other side sent at that offset, and never more than was
 *     sent (checked at every read);
 *   - completeness: at the end of a stream (recv returns 0) the reader
 *     has everything the writer sent, and the writer had shut down; a
 *     connection that closed normally on both sides has been read to
 *     its end;
 *   - liveness: once the input's phase is over the link is perfect; the
 *     applications finish, every socket is then closed, and within a
 *     bounded simulated time both stacks hold no connection, no
 *     TIME-WAIT entry, no listener and no timer;
 *   - every user call returns a documented result, every state change
 *     is one of ptcp_transitions() and continues from the state the
 *     connection was in;
 *   - determinism: with EF_H_TWICE (and always in the replay build) the
 *     input runs twice and both runs must have the same digest over
 *     every packet and state change;
 *   - bounds: at most E2E_EVENTS_MAX scheduler events, and simulated
 *     time keeps moving (E2E_SAME_INSTANT_MAX events at one instant).
 *
 * The libFuzzer/AFL++ target (fuzz_e2e.c), its replay program, the seed
 * recorder (tools/gen-e2e-corpus) and the explainer
 * (tools/plugtcp-fuzz-explain -t e2e) all run inputs through e2e_run.
 */
#ifndef PTCP_E2E_DRIVER_H
#define PTCP_E2E_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include <plugsim/plugsim.h>
#include <plugtcp/plugtcp.h>

#define E2E_EVENTS_MAX 2000000u
#define E2E_SAME_INSTANT_MAX 200000u

/*
 * What a run shows an observer (each hook optional).  |setup| comes
 * once the hosts and the link exist, before the first event; the
 * others as things happen.  |note| carries the decoded records, the
 * user calls' results and the phases ("who" is "input", "A", "B" or
 * "driver").  |failure| comes once, when an oracle fails, right before
 * the process aborts.
 */
typedef struct e2e_observer {
  void *ctx;
  void (*setup)(void *ctx, psim_node *a, psim_node *b, psim_link *link);
  void (*link)(void *ctx, const psim_link_event *ev);
  void (*engine)(void *ctx, psim_node *node, const ptcp_trace *ev);
  void (*input_error)(void *ctx, psim_node *node, int err, const uint8_t *pkt, size_t len,
                      ptcp_time now);
  void (*note)(void *ctx, ptcp_time now, const char *who, const char *what,
               const char *detail);
  void (*failure)(void *ctx, ptcp_time now, const char *what);
} e2e_observer;

/* What a run did, for tools and tests. */
typedef struct e2e_summary {
  unsigned records;        /* records decoded */
  uint64_t events;         /* scheduler events run */
  uint64_t packets[2];     /* transmissions per direction (0: A -> B) */
  uint64_t fated[2];       /* of those, changed by a fate from the input */
  uint64_t bytes_read;     /* by applications and user sockets */
  uint64_t digest;         /* over every packet and state change */
  unsigned states_seen[2]; /* bit per ptcp_state, per host */
  ptcp_time input_end;     /* when the input's phase ended */
  ptcp_time end;           /* when the run ended */
  int setup_failed;        /* the settings were refused */
} e2e_summary;

/* Runs one input (twice with EF_H_TWICE or |twice|).  |obs| may be
 * NULL.  Aborts (after telling the observer) when an oracle fails. */
void e2e_run(const uint8_t *data, size_t size, const e2e_observer *obs, int twice,
             e2e_summary *sum);

#endif /* PTCP_E2E_DRIVER_H */

/*
 * plugtcp fuzzing: the "conn" driver.  It decodes an input (see
 * conn_format.h) into events against one stack that has a listener and
 * an active connection, plays the peer, and checks the oracles after
 * every event, through the public API only.
 *
 * The libFuzzer/AFL++ target (fuzz_conn.c), its replay program, the
 * corpus generator (tools/gen-conn-corpus) and the explainer
 * (tools/plugtcp-fuzz-explain) all run inputs through cd_run, so what
 * the explainer shows is exactly what the fuzzer ran.
 *
 * A tracer (fuzz_trace.h) sees everything as it happens: the stack is
 * the left column, the peer the right one.
 */
#ifndef PTCP_CONN_DRIVER_H
#define PTCP_CONN_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include <plugtcp/plugtcp.h>

#include "fuzz_trace.h"

/* What a run did, for tools and tests. */
typedef struct cd_summary {
  unsigned events;
  uint64_t packets_in, packets_out;
  uint64_t digest;        /* over every packet and state change: determinism */
  unsigned states_seen;   /* bit per ptcp_state any connection entered */
  unsigned verdicts_seen; /* bit per ptcp_verdict */
  uint64_t reasons_seen;  /* bit per ptcp_reason */
  unsigned timers_seen;   /* bit per ptcp_timer_kind */
  int setup_failed;       /* the stack or the set-up could not be made */
} cd_summary;

/* Runs one input.  |tr| may be NULL.  Aborts (after telling the tracer)
 * when an oracle fails; returns otherwise. */
void cd_run(const uint8_t *data, size_t size, const fuzz_tracer *tr, cd_summary *sum);

#endif /* PTCP_CONN_DRIVER_H */

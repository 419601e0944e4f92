/*
 * plugtcp-fuzz-explain's writers: a fuzz_tracer (fuzz/fuzz_trace.h)
 * that records a harness run as
 *   - a pcap of every packet (libpcap, DLT_RAW, nanosecond timestamps,
 *     through libplugsim's psim_pcap),
 *   - JSON lines, one object per input event, call result, packet,
 *     engine trace and failure,
 *   - a text ladder diagram: time down the page, the two sides as
 *     columns, packets as arrows, states and verdicts beside them.
 * Any of the three may be left out.  Nothing here knows which harness
 * runs, so a new target only has to feed a fuzz_tracer.
 *
 * When the harness reports a failed oracle, the outputs are completed
 * and closed and the process exits with status 1 (the harness would
 * abort right after).
 */
#ifndef PTCP_EXPLAIN_OUT_H
#define PTCP_EXPLAIN_OUT_H

#include <stdio.h>

#include "fuzz_trace.h"

typedef struct explain_out explain_out;

/* Opens the outputs; a NULL path leaves one out, "-" is stdout.
 * Returns NULL with a message in |err| when a file cannot be opened. */
explain_out *explain_out_open(const char *pcap_path, const char *json_path,
                              const char *ladder_path, char *err, size_t errlen);

/* The tracer to hand to a harness. */
const fuzz_tracer *explain_out_tracer(explain_out *o);

/* Flushes and closes everything; returns 0, or -1 after a write error
 * (with a message in |err|). */
int explain_out_close(explain_out *o, char *err, size_t errlen);

#endif /* PTCP_EXPLAIN_OUT_H */

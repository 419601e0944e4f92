/*
 * plugsim: the JSON-lines event trace.
 *
 * One JSON object per line, for every engine trace event of every node
 * (state changes, segments in with verdict and reason, segments out with
 * the retransmission flag, RTT samples, RTO values, timer firings,
 * congestion window changes), every link event (enqueue, transmission,
 * drop with its reason, delivery, with the wire's marks) and every
 * packet a stack refused as malformed.  Keys come in a fixed order and
 * every number is an integer (times in nanoseconds), so the same run
 * writes the same bytes.  docs/sim.md lists every key.
 *
 * A psim_trace writes to a FILE the caller owns; write errors are
 * sticky and reported by psim_trace_error.
 */
#ifndef PLUGSIM_TRACE_H
#define PLUGSIM_TRACE_H

#include <stdio.h>

#include <plugsim/link.h>
#include <plugsim/node.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct psim_trace psim_trace;

/**
 * psim_trace_new creates a trace writing to |out|.  Returns 0,
 * PTCP_ERR_INVALID_ARGUMENT or PTCP_ERR_NOMEM.
 */
int psim_trace_new(psim_trace **ptrace, FILE *out, const ptcp_mem *mem);

/** psim_trace_del frees |trace| (not its FILE); NULL is a no-op. */
void psim_trace_del(psim_trace *trace);

/** One engine event of node |node|. */
void psim_trace_engine(psim_trace *trace, const psim_node *node, const ptcp_trace *ev);

/** One event of the link named |link|. */
void psim_trace_link(psim_trace *trace, const char *link, const psim_link_event *ev);

/** A packet of |len| bytes that |node|'s stack refused with |err|. */
void psim_trace_input_error(psim_trace *trace, const psim_node *node, int err,
                            const uint8_t *pkt, size_t len, ptcp_time now);

/**
 * An application or scenario event: {"t", "who", "ev": "app", "what",
 * "detail"}.  |detail| may be NULL.  Strings are escaped.
 */
void psim_trace_note(psim_trace *trace, ptcp_time now, const char *who, const char *what,
                     const char *detail);

/** psim_trace_lines returns the number of lines written. */
uint64_t psim_trace_lines(const psim_trace *trace);

/**
 * psim_trace_error returns 0, or PSIM_ERR_IO when a write has failed
 * (the error is sticky: the FILE's error indicator is checked after
 * every line).
 */
int psim_trace_error(const psim_trace *trace);

#ifdef __cplusplus
}
#endif

#endif /* PLUGSIM_TRACE_H */

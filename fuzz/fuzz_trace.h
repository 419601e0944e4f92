/*
 * plugtcp fuzzing: what a harness tells a tracer while it runs an input.
 *
 * A harness that takes a tracer (the conn driver today, the two-host
 * target next) reports each decoded input event, each user call's
 * result, every IP packet between the two sides it models, every engine
 * trace and the first failed oracle.  tools/plugtcp-fuzz-explain turns
 * that into a pcap, JSON lines and a ladder diagram, whatever the
 * harness.  With no tracer a harness formats nothing: fuzzing pays
 * nothing for it.
 *
 * The two sides are drawn as the ladder's columns: "left" is the stack
 * under test (or host A), "right" the peer (or host B).
 */
#ifndef PTCP_FUZZ_TRACE_H
#define PTCP_FUZZ_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include <plugtcp/plugtcp.h>

/* Direction of a packet on the ladder. */
enum { FT_TO_RIGHT = 0, FT_TO_LEFT = 1 };

typedef struct fuzz_tracer {
  void *ctx;
  /* Once, first: what the two columns are ("plugtcp 10.0.0.1"). */
  void (*begin)(void *ctx, const char *target, const char *left, const char *right);
  /* One decoded input event, as a sentence, with its index and time. */
  void (*event)(void *ctx, unsigned index, ptcp_time now, const char *text);
  /* A user call's result (a ptcp_* return value). */
  void (*result)(void *ctx, ptcp_time now, int side, const char *call, long rv);
  /* An IP packet crossing between the sides; |note| says what happened
   * to it on the way if anything did ("dropped"), or is NULL. */
  void (*packet)(void *ctx, ptcp_time now, int dir, const char *note, const uint8_t *pkt,
                 size_t len);
  /* Every engine trace event of the stack on |side| (0 left, 1 right). */
  void (*trace)(void *ctx, int side, const ptcp_trace *ev);
  /* An oracle failed; the harness aborts once this returns. */
  void (*failure)(void *ctx, ptcp_time now, const char *what);
} fuzz_tracer;

#endif /* PTCP_FUZZ_TRACE_H */

/*
 * plugsim: ladder (sequence) diagrams of one connection.
 *
 * A ladder records the segments of one connection between two nodes, as
 * a link sees them, and both sides' states, as their engines report
 * them, and draws them the way RFC 9293's figures do:
 *
 *       TCP A                                                TCP B
 *   1.  CLOSED                                               LISTEN
 *   2.  SYN-SENT    --> <SEQ=100><CTL=SYN>               --> SYN-RECEIVED
 *   3.  ESTABLISHED <-- <SEQ=300><ACK=101><CTL=SYN,ACK>  <-- SYN-RECEIVED
 *
 * with two time columns (sent, arrived).  A segment whose arrival comes
 * right after its sending takes one row; otherwise its sending and its
 * arrival take a row each, with "..." for the side it is not at (RFC
 * 9293 figure 8, simultaneous open).  Lost, corrupted, duplicated and
 * retransmitted segments are marked; state changes no segment explains
 * (a timer, a user call) get rows of their own.
 *
 * The connection drawn is the first one seen on the link between the
 * two addresses.  Sequence numbers are shown relative to each side's
 * initial sequence number (as Wireshark does) unless
 * PSIM_LADDER_ABSOLUTE is given.
 */
#ifndef PLUGSIM_LADDER_H
#define PLUGSIM_LADDER_H

#include <stdio.h>

#include <plugsim/link.h>
#include <plugsim/node.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct psim_ladder psim_ladder;

/* psim_ladder_write_* flags. */
#define PSIM_LADDER_ABSOLUTE 0x1u /* raw sequence numbers */

/**
 * psim_ladder_new creates a ladder for the link between |left| (the
 * node at the link's end A) and |right| (end B).  The names head the
 * columns.  Returns 0, PTCP_ERR_INVALID_ARGUMENT or PTCP_ERR_NOMEM.
 */
int psim_ladder_new(psim_ladder **pladder, const psim_node *left, const psim_node *right,
                    const ptcp_mem *mem);

/** psim_ladder_del frees |ladder|; NULL is a no-op. */
void psim_ladder_del(psim_ladder *ladder);

/** A link event of the link between the two nodes (others are ignored). */
void psim_ladder_link(psim_ladder *ladder, const psim_link_event *ev);

/** An engine event of |node| (one of the two; others are ignored). */
void psim_ladder_engine(psim_ladder *ladder, const psim_node *node, const ptcp_trace *ev);

/** psim_ladder_rows returns the number of rows recorded. */
size_t psim_ladder_rows(const psim_ladder *ladder);

/**
 * psim_ladder_write_text draws at most |max_rows| rows (0: all) as text
 * and a line saying how many were left out.  Returns 0 or PSIM_ERR_IO.
 */
int psim_ladder_write_text(psim_ladder *ladder, FILE *out, unsigned flags,
                           size_t max_rows);

/**
 * psim_ladder_write_svg draws at most |max_rows| rows (0: all) as an
 * SVG image.  Returns 0 or PSIM_ERR_IO.
 */
int psim_ladder_write_svg(psim_ladder *ladder, FILE *out, unsigned flags,
                          size_t max_rows);

#ifdef __cplusplus
}
#endif

#endif /* PLUGSIM_LADDER_H */

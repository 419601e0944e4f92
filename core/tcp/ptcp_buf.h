/*
 * plugtcp engine: byte rings for the send and receive buffers, and the
 * bounded set of out-of-order ranges.
 *
 * The send ring holds the bytes from SND.UNA on: unacknowledged, then
 * unsent.  A retransmission reads them again, so there is no separate
 * retransmission queue and no allocation per segment.  The receive ring
 * holds the readable bytes, and beyond them, at their offset from
 * RCV.NXT, out-of-order data: the advertised window never exceeds the
 * free space, so the ring itself bounds reassembly memory.
 */
#ifndef PTCP_BUF_H
#define PTCP_BUF_H

#include <stdint.h>

typedef struct ptcp_ring {
  uint8_t *buf;   /* NULL until first needed (lazy) */
  uint32_t cap;   /* capacity in bytes, set even while buf is NULL */
  uint32_t head;  /* index of the first byte */
  uint32_t len;   /* bytes held from head */
} ptcp_ring;

/* Copies |n| bytes into the ring at logical offset |off| from head.
 * The caller guarantees off + n <= cap. */
void ptcp_ring_write_at(ptcp_ring *r, uint32_t off, const uint8_t *src, uint32_t n);

/* Copies |n| bytes out from logical offset |off|; off + n <= cap. */
void ptcp_ring_read_at(const ptcp_ring *r, uint32_t off, uint8_t *dst, uint32_t n);

/* Drops |n| bytes from the front (n <= len).  The head moves on even
 * when the ring empties: out-of-order bytes may be held beyond |len| at
 * their offset from the head. */
static inline void ptcp_ring_consume(ptcp_ring *r, uint32_t n) {
  r->len -= n;
  r->head = (uint32_t)(((uint64_t)r->head + n) % r->cap);
}

static inline uint32_t ptcp_ring_space(const ptcp_ring *r) { return r->cap - r->len; }

/* At most this many out-of-order ranges are kept: a segment that would
 * need one more is dropped (and retransmitted later), so the work per
 * segment stays constant whatever a peer sends (SegmentSmack, B37). */
#define PTCP_REASM_MAX 4

typedef struct ptcp_reasm {
  uint32_t start[PTCP_REASM_MAX]; /* sequence numbers, sorted from RCV.NXT */
  uint32_t end[PTCP_REASM_MAX];   /* exclusive */
  uint16_t stamp[PTCP_REASM_MAX]; /* recency, for SACK block order */
  uint16_t clock;
  uint8_t n;
} ptcp_reasm;

/* Adds [s, e) (all after |rcv_nxt|), merging with overlapping or adjacent
 * ranges.  Returns 0, or -1 when it would need more than PTCP_REASM_MAX
 * ranges (nothing changes then). */
int ptcp_reasm_add(ptcp_reasm *r, uint32_t rcv_nxt, uint32_t s, uint32_t e);

/* Removes every range that starts at or before |rcv_nxt| (or at or before
 * the end of a range removed before it) and returns the new RCV.NXT: the
 * end of the data now contiguous, or |rcv_nxt| when nothing was. */
uint32_t ptcp_reasm_take(ptcp_reasm *r, uint32_t rcv_nxt);

/* Total bytes held in ranges. */
uint32_t ptcp_reasm_bytes(const ptcp_reasm *r);

/* Fills up to |max| SACK blocks, most recently changed first (RFC 2018
 * §4), and returns how many. */
unsigned ptcp_reasm_sack(const ptcp_reasm *r, uint32_t *left, uint32_t *right,
                         unsigned max);

#endif /* PTCP_BUF_H */

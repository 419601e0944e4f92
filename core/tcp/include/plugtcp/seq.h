/*
 * plugtcp: sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4).
 *
 * Every comparison of sequence or acknowledgment numbers in plugtcp goes
 * through these helpers; raw `<` on two sequence numbers is a bug.  "a is
 * before b" means that b is reached from a by adding less than 2^31.  Two
 * numbers exactly 2^31 apart are each "before" the other: callers never
 * let windows grow that large (RFC 7323 §2.3 caps them at 2^30).
 *
 * Unsigned subtraction wraps by definition in C, so nothing here relies
 * on implementation-defined signed conversion.
 */
#ifndef PLUGTCP_SEQ_H
#define PLUGTCP_SEQ_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** ptcp_seq_lt: |a| comes strictly before |b|. */
static inline int ptcp_seq_lt(uint32_t a, uint32_t b) {
  return a != b && ((a - b) & 0x80000000u) != 0;
}

/** ptcp_seq_le: |a| comes before |b| or equals it. */
static inline int ptcp_seq_le(uint32_t a, uint32_t b) {
  return a == b || ptcp_seq_lt(a, b);
}

/** ptcp_seq_gt: |a| comes strictly after |b|. */
static inline int ptcp_seq_gt(uint32_t a, uint32_t b) { return ptcp_seq_lt(b, a); }

/** ptcp_seq_ge: |a| comes after |b| or equals it. */
static inline int ptcp_seq_ge(uint32_t a, uint32_t b) { return ptcp_seq_le(b, a); }

/** ptcp_seq_add returns |a| + |n| modulo 2^32. */
static inline uint32_t ptcp_seq_add(uint32_t a, uint32_t n) { return a + n; }

/**
 * ptcp_seq_dist returns how far |to| lies after |from| (to - from modulo
 * 2^32).  Meaningful only when ptcp_seq_le(from, to).
 */
static inline uint32_t ptcp_seq_dist(uint32_t from, uint32_t to) { return to - from; }

/**
 * ptcp_seq_in returns nonzero when |lo| <= |x| < |lo| + |len|: the
 * half-open window test of RFC 9293 §3.4.  An empty window holds nothing.
 */
static inline int ptcp_seq_in(uint32_t x, uint32_t lo, uint32_t len) {
  return (uint32_t)(x - lo) < len;
}

/**
 * ptcp_seq_acceptable is the segment acceptability test of RFC 9293
 * §3.10.7.4 (the four cases of segment length x receive window):
 *
 *   len  window  acceptable when
 *   0    0       SEG.SEQ = RCV.NXT
 *   0    >0      RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
 *   >0   0       never
 *   >0   >0      RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND, or
 *                RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
 *
 * plus, in the last case, a segment that starts before RCV.NXT and ends
 * beyond the window: as written the test drops it although it carries
 * exactly the bytes expected next, so a segment containing RCV.NXT is
 * acceptable too (its new part is then trimmed to the window).  This
 * widens nothing for a blind attacker: SEG.SEQ still lies within SEG.LEN
 * before RCV.NXT, as in the second condition.  |len| counts SYN and FIN.
 */
static inline int ptcp_seq_acceptable(uint32_t seq, uint32_t len, uint32_t rcv_nxt,
                                      uint32_t rcv_wnd) {
  if (len == 0)
    return rcv_wnd == 0 ? seq == rcv_nxt : ptcp_seq_in(seq, rcv_nxt, rcv_wnd);
  if (rcv_wnd == 0)
    return 0;
  return ptcp_seq_in(seq, rcv_nxt, rcv_wnd) ||
         ptcp_seq_in(seq + len - 1, rcv_nxt, rcv_wnd) || ptcp_seq_in(rcv_nxt, seq, len);
}

/** ptcp_seq_max returns whichever of |a| and |b| comes later. */
static inline uint32_t ptcp_seq_max(uint32_t a, uint32_t b) {
  return ptcp_seq_lt(a, b) ? b : a;
}

/** ptcp_seq_min returns whichever of |a| and |b| comes earlier. */
static inline uint32_t ptcp_seq_min(uint32_t a, uint32_t b) {
  return ptcp_seq_lt(a, b) ? a : b;
}

#ifdef __cplusplus
}
#endif

#endif /* PLUGTCP_SEQ_H */

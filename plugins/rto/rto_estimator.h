/*
 * plugtcp: the RTT estimator of Jacobson and Karels ("Congestion
 * Avoidance and Control", SIGCOMM '88, Appendix A) as RFC 6298 §2 states
 * it, shared by the built-in rto policies that use it (rfc6298,
 * jacobson88, freebsd).  Header-only: plugins see nothing of the core but
 * the public policy header.
 *
 *   first sample R:  SRTT = R, RTTVAR = R/2                (RFC 6298 §2.2)
 *   later samples:   RTTVAR = (3 RTTVAR + |SRTT - R|) / 4   (§2.3, beta 1/4)
 *                    SRTT   = (7 SRTT + R) / 8              (alpha 1/8)
 *
 * RTTVAR is updated first: it uses the SRTT from before this sample.
 * Each weighted mean is computed exactly in integer nanoseconds and
 * truncated once.  Samples are clamped to PTCP_RTO_SAMPLE_MAX (10
 * minutes) before any arithmetic, so SRTT and RTTVAR stay below 10
 * minutes and every product below 2^44 (hardening.md B28: smoltcp's
 * estimator overflowed on huge RTTs).
 */
#ifndef PTCP_RTO_ESTIMATOR_H
#define PTCP_RTO_ESTIMATOR_H

#include <plugtcp/policy.h>

/* alpha = 1/8 and beta = 1/4, as shifts of the weights. */
#define PTCP_RTO_ALPHA_SHIFT 3u
#define PTCP_RTO_BETA_SHIFT 2u

/** The longest RTT sample taken at face value. */
#define PTCP_RTO_SAMPLE_MAX PTCP_RTO_CEIL

typedef struct ptcp_rto_jk {
  ptcp_duration srtt;
  ptcp_duration rttvar;
  uint8_t have; /* a first sample was taken (§2.2) */
} ptcp_rto_jk;

/**
 * ptcp_rto_karn_ok says whether |s| may update the estimator: Karn's rule
 * (RFC 6298 §3, RFC 9293 MUST-18) drops a sample from a retransmitted
 * segment, unless timestamps tell the copies apart (RFC 7323 §4.1).
 */
static inline int ptcp_rto_karn_ok(const ptcp_rtt_sample *s) {
  return !s->retransmitted || s->from_timestamp;
}

/** ptcp_rto_sample_clamp returns |rtt|, at most PTCP_RTO_SAMPLE_MAX. */
static inline ptcp_duration ptcp_rto_sample_clamp(ptcp_duration rtt) {
  return rtt < PTCP_RTO_SAMPLE_MAX ? rtt : PTCP_RTO_SAMPLE_MAX;
}

static inline ptcp_duration ptcp_rto_abs_diff(ptcp_duration a, ptcp_duration b) {
  return a > b ? a - b : b - a;
}

/** ptcp_rto_jk_sample folds the (clamped) sample |r| into |e|. */
static inline void ptcp_rto_jk_sample(ptcp_rto_jk *e, ptcp_duration r) {
  r = ptcp_rto_sample_clamp(r);
  if (!e->have) {
    e->srtt = r;
    e->rttvar = r >> 1;
    e->have = 1;
    return;
  }
  e->rttvar =
      (e->rttvar * ((1u << PTCP_RTO_BETA_SHIFT) - 1) + ptcp_rto_abs_diff(e->srtt, r)) >>
      PTCP_RTO_BETA_SHIFT;
  e->srtt = (e->srtt * ((1u << PTCP_RTO_ALPHA_SHIFT) - 1) + r) >> PTCP_RTO_ALPHA_SHIFT;
}

#endif /* PTCP_RTO_ESTIMATOR_H */

/*
 * plugtcp: arithmetic and RFC 5681 rules the built-in cc policies share
 * (header-only; plugins see nothing of the core but the public policy
 * header).  Every sum saturates at UINT32_MAX and every difference at
 * zero, so a hostile sequence of events cannot wrap a window.
 */
#ifndef PTCP_CC_COMMON_H
#define PTCP_CC_COMMON_H

#include <plugtcp/policy.h>

/* RFC 5681 §3.1, the IW rule by SMSS:
 *   SMSS > 2190            IW = 2 * SMSS
 *   1095 < SMSS <= 2190    IW = 3 * SMSS
 *   SMSS <= 1095           IW = 4 * SMSS */
#define PTCP_CC_IW_SMSS_LARGE 2190u
#define PTCP_CC_IW_SMSS_MEDIUM 1095u
#define PTCP_CC_IW_SEGS_LARGE 2u
#define PTCP_CC_IW_SEGS_MEDIUM 3u
#define PTCP_CC_IW_SEGS_SMALL 4u

/* The iw param overrides RFC 5681's rule, e.g. iw=10 for RFC 6928's
 * experimental IW; anything larger than this is not an experiment. */
#define PTCP_CC_IW_PARAM_MAX 1000u

/* RFC 5681 §3.1 eq. 4: ssthresh never below 2 segments. */
#define PTCP_CC_SSTHRESH_MIN_SEGS 2u
/* RFC 5681 §3.2 step 3: cwnd = ssthresh + 3*SMSS. */
#define PTCP_CC_RECOVERY_INFLATE_SEGS 3u

/* An SMSS of 0 would make every rule degenerate; treat it as 1 byte. */
static inline uint32_t ptcp_cc_smss(uint32_t mss) { return mss > 0 ? mss : 1; }

static inline uint32_t ptcp_cc_sat32(uint64_t v) {
  return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static inline uint32_t ptcp_cc_add(uint32_t a, uint32_t b) {
  return ptcp_cc_sat32((uint64_t)a + b);
}

static inline uint32_t ptcp_cc_mul(uint32_t a, uint32_t b) {
  return ptcp_cc_sat32((uint64_t)a * b);
}

static inline uint32_t ptcp_cc_max(uint32_t a, uint32_t b) { return a > b ? a : b; }

static inline uint32_t ptcp_cc_min(uint32_t a, uint32_t b) { return a < b ? a : b; }

/** ptcp_cc_initial_window: |iw| segments, or RFC 5681 §3.1's rule if 0. */
static inline uint32_t ptcp_cc_initial_window(uint32_t iw, uint32_t mss) {
  uint32_t segs;

  mss = ptcp_cc_smss(mss);
  if (iw != 0)
    return ptcp_cc_mul(iw, mss);
  if (mss > PTCP_CC_IW_SMSS_LARGE)
    segs = PTCP_CC_IW_SEGS_LARGE;
  else if (mss > PTCP_CC_IW_SMSS_MEDIUM)
    segs = PTCP_CC_IW_SEGS_MEDIUM;
  else
    segs = PTCP_CC_IW_SEGS_SMALL;
  return ptcp_cc_mul(segs, mss);
}

/** RFC 5681 §3.1 eq. 4's floor: 2 * SMSS. */
static inline uint32_t ptcp_cc_ssthresh_floor(uint32_t mss) {
  return ptcp_cc_mul(PTCP_CC_SSTHRESH_MIN_SEGS, ptcp_cc_smss(mss));
}

/** RFC 6582 §3.2 step 5: deflate by |acked|, add back SMSS if at least
 *  SMSS was acknowledged. */
static inline uint32_t ptcp_cc_partial_ack(uint32_t cwnd, uint32_t acked, uint32_t mss) {
  cwnd = cwnd > acked ? cwnd - acked : 0;
  if (acked >= ptcp_cc_smss(mss))
    cwnd = ptcp_cc_add(cwnd, ptcp_cc_smss(mss));
  return cwnd;
}

/** RFC 6582 §3.2 step 6, option 1: min(ssthresh, max(FlightSize, SMSS) +
 *  SMSS), deflating without a burst. */
static inline uint32_t ptcp_cc_exit_recovery(uint32_t ssthresh, uint32_t flight,
                                             uint32_t mss) {
  return ptcp_cc_min(
      ssthresh, ptcp_cc_add(ptcp_cc_max(flight, ptcp_cc_smss(mss)), ptcp_cc_smss(mss)));
}

/**
 * ptcp_cc_icbrt64 returns floor(cbrt(|x|)), bit by bit (three bits of x
 * per bit of the root): the root y is built from the top, and the step
 * (2y+1)^3 - (2y)^3 = 3*2y*(2y+1) + 1 is compared with the remainder
 * shifted down, so nothing overflows.  CUBIC's K (RFC 9438 Fig. 2).
 */
static inline uint64_t ptcp_cc_icbrt64(uint64_t x) {
  uint64_t y = 0, b;
  int s;

  for (s = 63; s >= 0; s -= 3) {
    y <<= 1;
    b = 3 * y * (y + 1) + 1;
    if ((x >> s) >= b) {
      x -= b << s;
      y++;
    }
  }
  return y;
}

#endif /* PTCP_CC_COMMON_H */

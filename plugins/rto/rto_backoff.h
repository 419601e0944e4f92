/*
 * plugtcp: helpers the built-in rto policies share (header-only; plugins
 * see nothing of the core but the public policy header).
 */
#ifndef PTCP_RTO_BACKOFF_H
#define PTCP_RTO_BACKOFF_H

#include <plugtcp/common.h>

/** Doublings after which any RTO below 2^64 ns has passed any cap. */
#define PTCP_RTO_SHIFT_LIMIT 64u

/**
 * ptcp_rto_clamp returns |v| inside [|lo|, |hi|]; if the bounds cross,
 * |hi| wins (a configured max is never exceeded).
 */
static inline ptcp_duration ptcp_rto_clamp(ptcp_duration v, ptcp_duration lo,
                                           ptcp_duration hi) {
  if (v < lo)
    v = lo;
  return v > hi ? hi : v;
}

/**
 * ptcp_rto_backed_off returns |base| doubled |n| times (RFC 6298 §5.5),
 * but never above |cap|, without ever shifting a bit out.
 */
static inline ptcp_duration ptcp_rto_backed_off(ptcp_duration base, uint32_t n,
                                                ptcp_duration cap) {
  if (base > cap)
    return cap;
  if (n >= PTCP_RTO_SHIFT_LIMIT || base > (cap >> n))
    return cap;
  return base << n;
}

#endif /* PTCP_RTO_BACKOFF_H */

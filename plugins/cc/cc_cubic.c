/*
 * cc "cubic": CUBIC congestion control, RFC 9438, in integer arithmetic.
 *
 * Windows are bytes (the RFC counts segments; every formula is scaled by
 * SMSS), time is nanoseconds from the engine, converted to units of
 * 2^-10 s for the cubic function (as Linux's BICTCP_HZ), and fractions
 * are kept in Q10 fixed point (1/1024 of a byte).
 *
 *   slow start     RFC 5681 §3.1 (cwnd += min(acked, SMSS)) while cwnd <
 *                  ssthresh (§4.10; no HyStart++);
 *   CA epoch       the first ACK in congestion avoidance starts an epoch
 *                  (§4.2): t_epoch = now, cwnd_epoch = cwnd, W_est =
 *                  cwnd_epoch (§4.3), and
 *                    K = cbrt((W_max - cwnd_epoch) / (C * SMSS))  (Fig. 2)
 *                  or K = 0 and W_max = cwnd_epoch when W_max <= cwnd_epoch
 *                  and in the first epoch after a timeout (§4.8);
 *   window growth  W_cubic(t) = C * (t - K)^3 * SMSS + W_max   (Fig. 1)
 *                  target = W_cubic(t + RTT) clamped to [cwnd, 1.5 cwnd]
 *                  and cwnd += (target - cwnd) * acked / cwnd (§4.4,
 *                  §4.5: the RFC's (target - cwnd)/cwnd segments per
 *                  ACK, per SMSS acknowledged);
 *   Reno-friendly  W_est += alpha * SMSS * acked / cwnd (Fig. 4), alpha =
 *                  3 (1 - beta) / (1 + beta), or 1 once W_est >=
 *                  cwnd_prior; when W_cubic(t) < W_est, cwnd = W_est
 *                  (§4.3; never lowered on an ACK).  reno_friendly=off
 *                  disables it;
 *   loss           on the third duplicate ACK (§4.6, §4.7):
 *                    W_max = cwnd * (1 + beta) / 2 if fast_convergence
 *                            and cwnd < W_max, else cwnd;
 *                    cwnd_prior = cwnd;
 *                    ssthresh = max(FlightSize * beta, 2 SMSS);
 *                  then NewReno fast recovery as in "newreno" (cwnd =
 *                  ssthresh + 3 SMSS, inflate per dupack, deflate on a
 *                  partial ACK, exit at min(ssthresh, FlightSize + SMSS)):
 *                  the engine's recovery is RFC 6582, and CUBIC only sets
 *                  the targets (Linux likewise leaves recovery to the
 *                  stack);
 *   timeout        ssthresh as for loss, cwnd = 1 SMSS (§4.8, RFC 5681);
 *                  the next epoch starts with K = 0 and W_max = cwnd;
 *   spurious       the engine found the timeout spurious (RFC 3522): cwnd,
 *                  ssthresh, W_max and cwnd_prior return to their values
 *                  before it (§4.9, RFC 4015) and a new epoch starts from
 *                  them at the next ACK (the RFC restores the epoch too;
 *                  restarting it recomputes K from the restored W_max);
 *   idle           cwnd = min(cwnd, IW) as RFC 5681 §4.1, and the epoch
 *                  restarts, so idle time is not counted as growth time
 *                  (§5.8).
 *
 * RTT in W_cubic(t + RTT) is a smoothed RTT (gain 1/8) of the samples the
 * engine passes with each ACK; before the first one it is 0.
 *
 * Integer arithmetic and its bounds (no intermediate exceeds 2^64):
 *   - (t - K) is capped at 2^21 units (2048 s), so (t - K)^3 < 2^63; at
 *     that distance W_cubic is beyond any window anyway;
 *   - C * (t - K)^3 in Q10 segments is ((t-K)^3 >> 20) * c_milli / 1000,
 *     below 2^57, then times SMSS with saturation;
 *   - K = icbrt((W_max - cwnd_epoch) / SMSS * 1000 / c_milli * 2^30),
 *     the argument saturating at 2^63 (so K <= 2^21), with an exact
 *     bit-by-bit integer cube root;
 *   - the fraction of the window acknowledged, acked / cwnd, is a Q20
 *     number <= 1 (acked is taken as at most cwnd), so growth terms stay
 *     below 2^55.
 */
#include <stddef.h>

#include <plugtcp/policy.h>

#include "../builtins.h"
#include "cc_common.h"

/* RFC 9438 §5: C = 0.4, beta_cubic = 0.7. */
#define CUBIC_C_DEFAULT 400u
#define CUBIC_BETA_DEFAULT 700u
#define PER_MILLE 1000u
#define C_MAX 10000u
#define BETA_MIN 1u
#define BETA_MAX 999u

#define Q 10u /* fixed-point fraction bits */
#define Q_ONE (1u << Q)
#define RATIO_Q 20u           /* acked / cwnd in Q20 */
#define OFFS_MAX (1ULL << 21) /* cap on |t - K| in 2^-10 s */
#define CBRT_ARG_MAX ((1ULL << 63) - 1)
#define T_NS_MAX (1ULL << 42) /* elapsed epoch time considered */
#define NS_PER_S 1000000000ULL
#define US_PER_S 1000000ULL
#define NS_PER_US 1000ULL
/* target <= 1.5 cwnd (§4.2). */
#define TARGET_NUM 3u
#define TARGET_DEN 2u

#define F_UNDO 0x01u          /* the prev_* fields are valid */
#define F_AFTER_TIMEOUT 0x02u /* the next epoch starts with K = 0 (§4.8) */

typedef struct cc_cubic_params {
  uint32_t iw;
  uint32_t ssthresh;
  uint32_t c_milli;
  uint32_t beta_milli;
  uint8_t fast_convergence;
  uint8_t reno_friendly;
} cc_cubic_params;

typedef struct cc_cubic_state {
  ptcp_time epoch_start; /* PTCP_TIME_NONE: no CA epoch running */
  uint64_t w_est_q;      /* W_est, Q10 bytes */
  uint32_t cwnd;
  uint32_t ssthresh;
  uint32_t w_max;
  uint32_t cwnd_prior;
  uint32_t k;         /* K in 2^-10 s */
  uint32_t srtt_us;   /* 0: no sample yet */
  uint16_t cwnd_frac; /* Q10 fraction of a byte of cwnd growth */
  uint8_t flags;
  uint32_t prev_cwnd, prev_ssthresh, prev_w_max, prev_cwnd_prior;
} cc_cubic_state;

_Static_assert(sizeof(cc_cubic_state) <= PTCP_BUILTIN_STATE_MAX,
               "cc cubic state must fit the built-in budget");

static const cc_cubic_params cubic_defaults = {
    .iw = 0,
    .ssthresh = UINT32_MAX,
    .c_milli = CUBIC_C_DEFAULT,
    .beta_milli = CUBIC_BETA_DEFAULT,
    .fast_convergence = 1,
    .reno_friendly = 1,
};

static const ptcp_param_desc cubic_params[] = {
    {.name = "iw",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(cc_cubic_params, iw),
     .min = 0,
     .max = PTCP_CC_IW_PARAM_MAX,
     .help = "initial window in segments; 0 = RFC 5681 §3.1 (2-4 by SMSS)"},
    {.name = "ssthresh",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(cc_cubic_params, ssthresh),
     .min = 1,
     .max = UINT32_MAX,
     .help = "initial slow-start threshold in bytes (RFC 5681 §3.1)"},
    {.name = "c_milli",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(cc_cubic_params, c_milli),
     .min = 1,
     .max = C_MAX,
     .help = "C x 1000, the cubic's scale (RFC 9438 §5: 400)"},
    {.name = "beta_milli",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(cc_cubic_params, beta_milli),
     .min = BETA_MIN,
     .max = BETA_MAX,
     .help = "beta_cubic x 1000, the decrease factor (RFC 9438 §5: 700)"},
    {.name = "fast_convergence",
     .type = PTCP_PARAM_BOOL,
     .offset = offsetof(cc_cubic_params, fast_convergence),
     .min = 0,
     .max = 1,
     .help = "lower W_max further after consecutive losses (RFC 9438 §4.7)"},
    {.name = "reno_friendly",
     .type = PTCP_PARAM_BOOL,
     .offset = offsetof(cc_cubic_params, reno_friendly),
     .min = 0,
     .max = 1,
     .help = "never grow slower than Reno would (RFC 9438 §4.3)"},
};

static uint64_t mul_sat64(uint64_t a, uint64_t b) {
  if (a != 0 && b > UINT64_MAX / a)
    return UINT64_MAX;
  return a * b;
}

/* C * |t - K|^3 * SMSS in bytes, saturating. */
static uint64_t cubic_delta(const cc_cubic_params *p, uint64_t offs, uint32_t mss) {
  uint64_t cube, seg_q;

  if (offs > OFFS_MAX)
    offs = OFFS_MAX;
  cube = offs * offs * offs;                              /* 2^-30 s^3, < 2^64 */
  seg_q = (cube >> (3 * Q - Q)) * p->c_milli / PER_MILLE; /* Q10 segments */
  return mul_sat64(seg_q, mss) >> Q;
}

/* W_cubic(t) of Fig. 1, in bytes (0 below zero, saturating above). */
static uint64_t w_cubic(const cc_cubic_state *st, const cc_cubic_params *p, uint64_t t,
                        uint32_t mss) {
  uint64_t delta;

  if (t >= st->k) {
    delta = cubic_delta(p, t - st->k, mss);
    return delta > UINT64_MAX - st->w_max ? UINT64_MAX : st->w_max + delta;
  }
  delta = cubic_delta(p, st->k - t, mss);
  return delta >= st->w_max ? 0 : st->w_max - delta;
}

/* K of Fig. 2 in 2^-10 s: cbrt((W_max - cwnd_epoch) / (C * SMSS)). */
static uint32_t cubic_k(uint32_t diff, uint32_t mss, uint32_t c_milli) {
  uint64_t seg_q20 = ((uint64_t)diff << RATIO_Q) / mss; /* < 2^52 */
  uint64_t per_c = seg_q20 * PER_MILLE / c_milli;       /* < 2^62 */
  /* In 2^-30 s^3 (2^-10 s cubed): shift Q20 up by 10. */
  uint64_t arg = per_c > (CBRT_ARG_MAX >> (3 * Q - RATIO_Q)) ? CBRT_ARG_MAX
                                                             : per_c << (3 * Q - RATIO_Q);

  return (uint32_t)ptcp_cc_icbrt64(arg);
}

static void floor_cwnd(cc_cubic_state *st, uint32_t mss) {
  st->cwnd = ptcp_cc_max(st->cwnd, ptcp_cc_smss(mss));
}

/* §4.6: ssthresh = max(FlightSize * beta_cubic, 2 SMSS). */
static uint32_t cubic_ssthresh(const cc_cubic_params *p, uint32_t flight, uint32_t mss) {
  return ptcp_cc_max((uint32_t)((uint64_t)flight * p->beta_milli / PER_MILLE),
                     ptcp_cc_ssthresh_floor(mss));
}

static int cubic_init(void *state, const void *params, uint32_t mss, ptcp_time now) {
  cc_cubic_state *st = state;
  const cc_cubic_params *p = params;

  (void)now;
  st->cwnd = ptcp_cc_initial_window(p->iw, mss);
  st->ssthresh = p->ssthresh;
  st->epoch_start = PTCP_TIME_NONE;
  st->w_max = 0;
  st->cwnd_prior = 0;
  st->k = 0;
  st->srtt_us = 0;
  st->cwnd_frac = 0;
  st->flags = 0;
  floor_cwnd(st, mss);
  return 0;
}

static uint32_t cubic_cwnd(const void *state) {
  const cc_cubic_state *st = state;

  return st->cwnd;
}

static uint32_t cubic_ssthresh_get(const void *state) {
  const cc_cubic_state *st = state;

  return st->ssthresh;
}

static void update_srtt(cc_cubic_state *st, ptcp_duration rtt) {
  uint64_t us;

  if (rtt == PTCP_TIME_NONE)
    return;
  us = rtt / NS_PER_US;
  if (us > UINT32_MAX)
    us = UINT32_MAX;
  if (us == 0)
    us = 1; /* a sample was taken: keep 0 for "none" */
  if (st->srtt_us == 0)
    st->srtt_us = (uint32_t)us;
  else
    st->srtt_us = (uint32_t)(((uint64_t)st->srtt_us * 7 + us) >> 3);
}

/* §4.2/§4.3/§4.8: a congestion avoidance epoch starts at this ACK. */
static void start_epoch(cc_cubic_state *st, const cc_cubic_params *p, uint32_t mss,
                        ptcp_time now) {
  st->epoch_start = now;
  st->w_est_q = (uint64_t)st->cwnd << Q;
  st->cwnd_frac = 0;
  if ((st->flags & F_AFTER_TIMEOUT) || st->w_max <= st->cwnd) {
    st->k = 0;
    st->w_max = st->cwnd;
  } else {
    st->k = cubic_k(st->w_max - st->cwnd, mss, p->c_milli);
  }
  st->flags &= (uint8_t)~F_AFTER_TIMEOUT;
}

static void cubic_on_ack(void *state, const void *params, const ptcp_cc_ack *a) {
  cc_cubic_state *st = state;
  const cc_cubic_params *p = params;
  uint32_t mss = ptcp_cc_smss(a->mss), acked, ratio;
  uint64_t t_ns, t, rtt, w_t, target, grow;

  st->flags &= (uint8_t)~F_UNDO;
  update_srtt(st, a->rtt);
  if (st->cwnd < st->ssthresh) {
    /* §4.10, RFC 5681 §3.1 eq. 2. */
    st->cwnd = ptcp_cc_add(st->cwnd, ptcp_cc_min(a->acked, mss));
    floor_cwnd(st, mss);
    return;
  }
  if (st->epoch_start == PTCP_TIME_NONE || a->now < st->epoch_start)
    start_epoch(st, p, mss, a->now);

  /* t and RTT in 2^-10 s. */
  t_ns = a->now - st->epoch_start;
  if (t_ns > T_NS_MAX)
    t_ns = T_NS_MAX;
  t = (t_ns << Q) / NS_PER_S;
  rtt = ((uint64_t)st->srtt_us << Q) / US_PER_S;
  /* The share of the window this ACK covers, Q20, at most 1. */
  acked = ptcp_cc_min(a->acked, st->cwnd);
  ratio = (uint32_t)(((uint64_t)acked << RATIO_Q) / st->cwnd);

  w_t = w_cubic(st, p, t, mss);
  if (p->reno_friendly) {
    /* Fig. 4: W_est += alpha * SMSS * acked / cwnd, with alpha =
     * 3 (1 - beta) / (1 + beta) until W_est reaches cwnd_prior. */
    uint64_t step_q = ((uint64_t)mss * ratio) >> (RATIO_Q - Q);

    if ((st->w_est_q >> Q) < st->cwnd_prior)
      step_q = step_q * 3 * (PER_MILLE - p->beta_milli) / (PER_MILLE + p->beta_milli);
    st->w_est_q += step_q;
    if (st->w_est_q > ((uint64_t)UINT32_MAX << Q))
      st->w_est_q = (uint64_t)UINT32_MAX << Q;
    if (w_t < (st->w_est_q >> Q)) {
      /* §4.3: the Reno-friendly region. */
      st->cwnd = ptcp_cc_max(st->cwnd, (uint32_t)(st->w_est_q >> Q));
      floor_cwnd(st, mss);
      return;
    }
  }
  /* §4.2: target = W_cubic(t + RTT), within [cwnd, 1.5 cwnd]. */
  target = w_cubic(st, p, t + rtt, mss);
  if (target < st->cwnd)
    target = st->cwnd;
  if (target > (uint64_t)st->cwnd * TARGET_NUM / TARGET_DEN)
    target = (uint64_t)st->cwnd * TARGET_NUM / TARGET_DEN;
  /* §4.4/§4.5: cwnd += (target - cwnd) / cwnd per SMSS acknowledged. */
  grow = (((target - st->cwnd) * ratio) >> (RATIO_Q - Q)) + st->cwnd_frac;
  st->cwnd = ptcp_cc_add(st->cwnd, ptcp_cc_sat32(grow >> Q));
  st->cwnd_frac = (uint16_t)(grow & (Q_ONE - 1));
  floor_cwnd(st, mss);
}

/* §4.6 and §4.7, at a congestion event. */
static void reduce(cc_cubic_state *st, const cc_cubic_params *p, uint32_t flight,
                   uint32_t mss) {
  if (p->fast_convergence && st->cwnd < st->w_max)
    st->w_max =
        (uint32_t)((uint64_t)st->cwnd * (PER_MILLE + p->beta_milli) / (2 * PER_MILLE));
  else
    st->w_max = st->cwnd;
  st->cwnd_prior = st->cwnd;
  st->ssthresh = cubic_ssthresh(p, flight, mss);
  st->epoch_start = PTCP_TIME_NONE;
}

static void cubic_on_enter_recovery(void *state, const void *params, uint32_t flight,
                                    uint32_t mss, ptcp_time now) {
  cc_cubic_state *st = state;

  (void)now;
  st->flags &= (uint8_t)~F_UNDO;
  reduce(st, params, flight, mss);
  /* RFC 5681 §3.2 step 3, as newreno. */
  st->cwnd = ptcp_cc_add(st->ssthresh,
                         ptcp_cc_mul(PTCP_CC_RECOVERY_INFLATE_SEGS, ptcp_cc_smss(mss)));
  floor_cwnd(st, mss);
}

static void cubic_on_recovery_dupack(void *state, const void *params, uint32_t mss) {
  cc_cubic_state *st = state;

  (void)params;
  st->cwnd = ptcp_cc_add(st->cwnd, ptcp_cc_smss(mss));
  floor_cwnd(st, mss);
}

static void cubic_on_partial_ack(void *state, const void *params, uint32_t acked,
                                 uint32_t mss) {
  cc_cubic_state *st = state;

  (void)params;
  st->flags &= (uint8_t)~F_UNDO;
  st->cwnd = ptcp_cc_partial_ack(st->cwnd, acked, mss);
  floor_cwnd(st, mss);
}

static void cubic_on_exit_recovery(void *state, const void *params, uint32_t flight,
                                   uint32_t mss, ptcp_time now) {
  cc_cubic_state *st = state;

  (void)params;
  (void)now;
  st->flags &= (uint8_t)~F_UNDO;
  st->cwnd = ptcp_cc_exit_recovery(st->ssthresh, flight, mss);
  st->epoch_start = PTCP_TIME_NONE;
  floor_cwnd(st, mss);
}

static void cubic_on_timeout(void *state, const void *params, uint32_t flight,
                             uint32_t mss, ptcp_time now) {
  cc_cubic_state *st = state;

  (void)now;
  if (!(st->flags & F_UNDO)) {
    /* §4.9 / RFC 4015: what a spurious verdict would restore, taken at
     * the first expiry of the episode. */
    st->prev_cwnd = st->cwnd;
    st->prev_ssthresh = st->ssthresh;
    st->prev_w_max = st->w_max;
    st->prev_cwnd_prior = st->cwnd_prior;
    st->flags |= F_UNDO;
  }
  /* §4.8: ssthresh by beta_cubic, cwnd to the loss window. */
  reduce(st, params, flight, mss);
  st->cwnd = ptcp_cc_smss(mss);
  st->flags |= F_AFTER_TIMEOUT;
}

static void cubic_on_spurious(void *state, const void *params, ptcp_time now) {
  cc_cubic_state *st = state;

  (void)params;
  (void)now;
  if (!(st->flags & F_UNDO))
    return;
  /* §4.9: back to the state before the timeout; a new epoch follows. */
  st->cwnd = ptcp_cc_max(st->cwnd, st->prev_cwnd);
  st->ssthresh = st->prev_ssthresh;
  st->w_max = st->prev_w_max;
  st->cwnd_prior = st->prev_cwnd_prior;
  st->epoch_start = PTCP_TIME_NONE;
  st->flags = 0;
}

static void cubic_on_idle(void *state, const void *params, uint32_t mss, ptcp_time now) {
  cc_cubic_state *st = state;
  const cc_cubic_params *p = params;

  (void)now;
  /* RFC 5681 §4.1, and no growth credited for the idle time (§5.8). */
  st->cwnd = ptcp_cc_min(st->cwnd, ptcp_cc_initial_window(p->iw, mss));
  st->epoch_start = PTCP_TIME_NONE;
  floor_cwnd(st, mss);
}

const ptcp_cc_ops ptcp_cc_cubic = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_CC,
            .name = "cubic",
            .summary = "CUBIC (RFC 9438): W = C (t-K)^3 + W_max, beta 0.7, fast "
                       "convergence, Reno-friendly region",
            .state_size = sizeof(cc_cubic_state),
            .params_size = sizeof(cc_cubic_params),
            .params_default = &cubic_defaults,
            .params = cubic_params,
            .nparams = sizeof(cubic_params) / sizeof(cubic_params[0]),
        },
    .init = cubic_init,
    .cwnd = cubic_cwnd,
    .ssthresh = cubic_ssthresh_get,
    .on_ack = cubic_on_ack,
    .on_enter_recovery = cubic_on_enter_recovery,
    .on_recovery_dupack = cubic_on_recovery_dupack,
    .on_partial_ack = cubic_on_partial_ack,
    .on_exit_recovery = cubic_on_exit_recovery,
    .on_timeout = cubic_on_timeout,
    .on_spurious = cubic_on_spurious,
    .on_idle = cubic_on_idle,
};

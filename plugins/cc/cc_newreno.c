/*
 * cc "newreno": RFC 5681 congestion control with the NewReno fast
 * recovery of RFC 6582.
 *
 *   init                 IW per RFC 5681 §3.1 (or param iw segments);
 *                        ssthresh "arbitrarily high" (param ssthresh);
 *   on_ack               slow start while cwnd < ssthresh: cwnd +=
 *                        min(N, SMSS) (§3.1 eq. 2); then congestion
 *                        avoidance: cwnd += max(1, SMSS*SMSS/cwnd) per
 *                        ACK (§3.1 eq. 3);
 *   on_enter_recovery    ssthresh = max(FlightSize/2, 2*SMSS) (eq. 4),
 *                        cwnd = ssthresh + 3*SMSS (§3.2 steps 2-3);
 *   on_recovery_dupack   cwnd += SMSS (§3.2 step 4);
 *   on_partial_ack       deflate by the newly ACKed bytes, add back SMSS if
 *                        at least SMSS was ACKed (RFC 6582 §3.2 step 5);
 *   on_exit_recovery     cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS)
 *                        (RFC 6582 §3.2 step 6, option 1);
 *   on_timeout           ssthresh per eq. 4, cwnd = LW = 1 SMSS (§3.1);
 *   on_idle              cwnd = min(IW, cwnd), the restart window (§4.1).
 *
 * Every sum saturates at UINT32_MAX and every difference at zero, and
 * after every event cwnd is at least one SMSS, so a hostile sequence of
 * events can neither wrap the window nor shut the sender down.
 */
#include <stddef.h>

#include <plugtcp/policy.h>

#include "../builtins.h"

/* RFC 5681 §3.1, the IW rule by SMSS:
 *   SMSS > 2190            IW = 2 * SMSS
 *   1095 < SMSS <= 2190    IW = 3 * SMSS
 *   SMSS <= 1095           IW = 4 * SMSS */
#define IW_SMSS_LARGE 2190u
#define IW_SMSS_MEDIUM 1095u
#define IW_SEGS_LARGE 2u
#define IW_SEGS_MEDIUM 3u
#define IW_SEGS_SMALL 4u

/* The iw param overrides RFC 5681's rule, e.g. iw=10 for RFC 6928's
 * experimental IW; anything larger than this is not an experiment. */
#define IW_PARAM_MAX 1000u

/* RFC 5681 §3.1 eq. 4: ssthresh never below 2 segments. */
#define SSTHRESH_MIN_SEGS 2u
/* RFC 5681 §3.2 step 3: cwnd = ssthresh + 3*SMSS. */
#define RECOVERY_INFLATE_SEGS 3u

typedef struct cc_newreno_params {
  uint32_t iw;       /* initial window in segments; 0 = RFC 5681 §3.1 */
  uint32_t ssthresh; /* initial ssthresh in bytes */
} cc_newreno_params;

typedef struct cc_newreno_state {
  uint32_t cwnd;
  uint32_t ssthresh;
} cc_newreno_state;

_Static_assert(sizeof(cc_newreno_state) <= PTCP_BUILTIN_STATE_MAX,
               "cc newreno state must fit the built-in budget");

static const cc_newreno_params newreno_defaults = {
    .iw = 0,
    /* RFC 5681 §3.1: "SHOULD be set arbitrarily high". */
    .ssthresh = UINT32_MAX,
};

static const ptcp_param_desc newreno_params[] = {
    {.name = "iw",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(cc_newreno_params, iw),
     .min = 0,
     .max = IW_PARAM_MAX,
     .help = "initial window in segments; 0 = RFC 5681 §3.1 (2-4 by SMSS)"},
    {.name = "ssthresh",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(cc_newreno_params, ssthresh),
     .min = 1,
     .max = UINT32_MAX,
     .help = "initial slow-start threshold in bytes (RFC 5681 §3.1)"},
};

/* An SMSS of 0 would make every rule degenerate; treat it as 1 byte. */
static uint32_t smss(uint32_t mss) { return mss > 0 ? mss : 1; }

static uint32_t sat32(uint64_t v) { return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v; }

static uint32_t add_sat(uint32_t a, uint32_t b) { return sat32((uint64_t)a + b); }

static uint32_t mul_sat(uint32_t a, uint32_t b) { return sat32((uint64_t)a * b); }

static uint32_t max32(uint32_t a, uint32_t b) { return a > b ? a : b; }

static uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }

/* The invariant every event ends with: cwnd >= 1 SMSS. */
static void floor_cwnd(cc_newreno_state *st, uint32_t mss) {
  st->cwnd = max32(st->cwnd, smss(mss));
}

static uint32_t initial_window(const cc_newreno_params *p, uint32_t mss) {
  uint32_t segs;

  mss = smss(mss);
  if (p->iw != 0)
    return mul_sat(p->iw, mss);
  if (mss > IW_SMSS_LARGE)
    segs = IW_SEGS_LARGE;
  else if (mss > IW_SMSS_MEDIUM)
    segs = IW_SEGS_MEDIUM;
  else
    segs = IW_SEGS_SMALL;
  return mul_sat(segs, mss);
}

/* RFC 5681 §3.1 eq. 4: ssthresh = max(FlightSize / 2, 2*SMSS). */
static uint32_t loss_ssthresh(uint32_t flight, uint32_t mss) {
  return max32(flight / 2, mul_sat(SSTHRESH_MIN_SEGS, smss(mss)));
}

static int newreno_init(void *state, const void *params, uint32_t mss, ptcp_time now) {
  cc_newreno_state *st = state;
  const cc_newreno_params *p = params;

  (void)now;
  st->cwnd = initial_window(p, mss);
  st->ssthresh = p->ssthresh;
  floor_cwnd(st, mss);
  return 0;
}

static uint32_t newreno_cwnd(const void *state) {
  const cc_newreno_state *st = state;

  return st->cwnd;
}

static uint32_t newreno_ssthresh(const void *state) {
  const cc_newreno_state *st = state;

  return st->ssthresh;
}

static void newreno_on_ack(void *state, const void *params, const ptcp_cc_ack *a) {
  cc_newreno_state *st = state;
  uint32_t mss = smss(a->mss);

  (void)params;
  if (st->cwnd < st->ssthresh) {
    /* §3.1 eq. 2: slow start, cwnd += min(N, SMSS). */
    st->cwnd = add_sat(st->cwnd, min32(a->acked, mss));
  } else {
    /* §3.1 eq. 3: congestion avoidance, about one SMSS per RTT; at least
     * one byte per ACK. */
    uint64_t inc = (uint64_t)mss * mss / max32(st->cwnd, 1);

    st->cwnd = add_sat(st->cwnd, sat32(inc > 0 ? inc : 1));
  }
  floor_cwnd(st, mss);
}

static void newreno_on_enter_recovery(void *state, const void *params, uint32_t flight,
                                      uint32_t mss, ptcp_time now) {
  cc_newreno_state *st = state;

  (void)params;
  (void)now;
  /* §3.2 step 2 (eq. 4) and step 3: inflate by the three segments that
   * the duplicate ACKs say have left the network. */
  st->ssthresh = loss_ssthresh(flight, mss);
  st->cwnd = add_sat(st->ssthresh, mul_sat(RECOVERY_INFLATE_SEGS, smss(mss)));
  floor_cwnd(st, mss);
}

static void newreno_on_recovery_dupack(void *state, const void *params, uint32_t mss) {
  cc_newreno_state *st = state;

  (void)params;
  /* §3.2 step 4: each further duplicate ACK means another segment left. */
  st->cwnd = add_sat(st->cwnd, smss(mss));
  floor_cwnd(st, mss);
}

static void newreno_on_partial_ack(void *state, const void *params, uint32_t acked,
                                   uint32_t mss) {
  cc_newreno_state *st = state;

  (void)params;
  /* RFC 6582 §3.2 step 5: deflate by the amount newly acknowledged; add
   * back one SMSS if at least one SMSS was acknowledged. */
  st->cwnd = st->cwnd > acked ? st->cwnd - acked : 0;
  if (acked >= smss(mss))
    st->cwnd = add_sat(st->cwnd, smss(mss));
  floor_cwnd(st, mss);
}

static void newreno_on_exit_recovery(void *state, const void *params, uint32_t flight,
                                     uint32_t mss, ptcp_time now) {
  cc_newreno_state *st = state;

  (void)params;
  (void)now;
  /* RFC 6582 §3.2 step 6, option 1: deflate, without a burst. */
  st->cwnd = min32(st->ssthresh, add_sat(max32(flight, smss(mss)), smss(mss)));
  floor_cwnd(st, mss);
}

static void newreno_on_timeout(void *state, const void *params, uint32_t flight,
                               uint32_t mss, ptcp_time now) {
  cc_newreno_state *st = state;

  (void)params;
  (void)now;
  /* RFC 5681 §3.1: eq. 4, and cwnd to the loss window, LW = 1 SMSS. */
  st->ssthresh = loss_ssthresh(flight, mss);
  st->cwnd = smss(mss);
}

static void newreno_on_idle(void *state, const void *params, uint32_t mss,
                            ptcp_time now) {
  cc_newreno_state *st = state;

  (void)now;
  /* RFC 5681 §4.1: after an idle period longer than an RTO, restart
   * from RW = min(IW, cwnd). */
  st->cwnd = min32(st->cwnd, initial_window(params, mss));
  floor_cwnd(st, mss);
}

const ptcp_cc_ops ptcp_cc_newreno = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_CC,
            .name = "newreno",
            .summary = "RFC 5681 slow start / congestion avoidance + RFC 6582 NewReno "
                       "fast recovery",
            .state_size = sizeof(cc_newreno_state),
            .params_size = sizeof(cc_newreno_params),
            .params_default = &newreno_defaults,
            .params = newreno_params,
            .nparams = sizeof(newreno_params) / sizeof(newreno_params[0]),
        },
    .init = newreno_init,
    .cwnd = newreno_cwnd,
    .ssthresh = newreno_ssthresh,
    .on_ack = newreno_on_ack,
    .on_enter_recovery = newreno_on_enter_recovery,
    .on_recovery_dupack = newreno_on_recovery_dupack,
    .on_partial_ack = newreno_on_partial_ack,
    .on_exit_recovery = newreno_on_exit_recovery,
    .on_timeout = newreno_on_timeout,
    .on_idle = newreno_on_idle,
};

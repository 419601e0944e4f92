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
 *   on_idle              cwnd = min(IW, cwnd), the restart window (§4.1);
 *   on_spurious          the Eifel response (RFC 4015 §3): the engine found
 *                        the last timeout spurious (RFC 3522), so undo it:
 *                        ssthresh = pipe_prev = max(FlightSize, ssthresh)
 *                        and cwnd as it was, both remembered at the first
 *                        expiry of the episode.  RFC 4015 sets cwnd to
 *                        FlightSize + min(bytes_acked, IW) instead, to
 *                        avoid a burst; the hook carries neither, so the
 *                        pre-timeout cwnd is restored, as Linux's undo
 *                        does.  The saved state is good until the first
 *                        ACK of new data after the timeout (the one the
 *                        engine judges by).
 *
 * Every sum saturates at UINT32_MAX and every difference at zero, and
 * after every event cwnd is at least one SMSS, so a hostile sequence of
 * events can neither wrap the window nor shut the sender down.
 */
#include <stddef.h>

#include <plugtcp/policy.h>

#include "../builtins.h"
#include "cc_common.h"

typedef struct cc_newreno_params {
  uint32_t iw;       /* initial window in segments; 0 = RFC 5681 §3.1 */
  uint32_t ssthresh; /* initial ssthresh in bytes */
} cc_newreno_params;

typedef struct cc_newreno_state {
  uint32_t cwnd;
  uint32_t ssthresh;
  uint32_t cwnd_prev; /* RFC 4015: cwnd before the timeout */
  uint32_t pipe_prev; /* RFC 4015: max(FlightSize, ssthresh) then */
  uint8_t undo;       /* cwnd_prev and pipe_prev are valid */
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
     .max = PTCP_CC_IW_PARAM_MAX,
     .help = "initial window in segments; 0 = RFC 5681 §3.1 (2-4 by SMSS)"},
    {.name = "ssthresh",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(cc_newreno_params, ssthresh),
     .min = 1,
     .max = UINT32_MAX,
     .help = "initial slow-start threshold in bytes (RFC 5681 §3.1)"},
};

/* The invariant every event ends with: cwnd >= 1 SMSS. */
static void floor_cwnd(cc_newreno_state *st, uint32_t mss) {
  st->cwnd = ptcp_cc_max(st->cwnd, ptcp_cc_smss(mss));
}

/* RFC 5681 §3.1 eq. 4: ssthresh = max(FlightSize / 2, 2*SMSS). */
static uint32_t loss_ssthresh(uint32_t flight, uint32_t mss) {
  return ptcp_cc_max(flight / 2, ptcp_cc_ssthresh_floor(mss));
}

static int newreno_init(void *state, const void *params, uint32_t mss, ptcp_time now) {
  cc_newreno_state *st = state;
  const cc_newreno_params *p = params;

  (void)now;
  st->cwnd = ptcp_cc_initial_window(p->iw, mss);
  st->ssthresh = p->ssthresh;
  st->undo = 0;
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
  uint32_t mss = ptcp_cc_smss(a->mss);

  (void)params;
  st->undo = 0;
  if (st->cwnd < st->ssthresh) {
    /* §3.1 eq. 2: slow start, cwnd += min(N, SMSS). */
    st->cwnd = ptcp_cc_add(st->cwnd, ptcp_cc_min(a->acked, mss));
  } else {
    /* §3.1 eq. 3: congestion avoidance, about one SMSS per RTT; at least
     * one byte per ACK. */
    uint64_t inc = (uint64_t)mss * mss / ptcp_cc_max(st->cwnd, 1);

    st->cwnd = ptcp_cc_add(st->cwnd, ptcp_cc_sat32(inc > 0 ? inc : 1));
  }
  floor_cwnd(st, mss);
}

static void newreno_on_enter_recovery(void *state, const void *params, uint32_t flight,
                                      uint32_t mss, ptcp_time now) {
  cc_newreno_state *st = state;

  (void)params;
  (void)now;
  st->undo = 0;
  /* §3.2 step 2 (eq. 4) and step 3: inflate by the three segments that
   * the duplicate ACKs say have left the network. */
  st->ssthresh = loss_ssthresh(flight, mss);
  st->cwnd = ptcp_cc_add(st->ssthresh,
                         ptcp_cc_mul(PTCP_CC_RECOVERY_INFLATE_SEGS, ptcp_cc_smss(mss)));
  floor_cwnd(st, mss);
}

static void newreno_on_recovery_dupack(void *state, const void *params, uint32_t mss) {
  cc_newreno_state *st = state;

  (void)params;
  /* §3.2 step 4: each further duplicate ACK means another segment left. */
  st->cwnd = ptcp_cc_add(st->cwnd, ptcp_cc_smss(mss));
  floor_cwnd(st, mss);
}

static void newreno_on_partial_ack(void *state, const void *params, uint32_t acked,
                                   uint32_t mss) {
  cc_newreno_state *st = state;

  (void)params;
  st->undo = 0;
  /* RFC 6582 §3.2 step 5. */
  st->cwnd = ptcp_cc_partial_ack(st->cwnd, acked, mss);
  floor_cwnd(st, mss);
}

static void newreno_on_exit_recovery(void *state, const void *params, uint32_t flight,
                                     uint32_t mss, ptcp_time now) {
  cc_newreno_state *st = state;

  (void)params;
  (void)now;
  st->undo = 0;
  /* RFC 6582 §3.2 step 6, option 1. */
  st->cwnd = ptcp_cc_exit_recovery(st->ssthresh, flight, mss);
  floor_cwnd(st, mss);
}

static void newreno_on_timeout(void *state, const void *params, uint32_t flight,
                               uint32_t mss, ptcp_time now) {
  cc_newreno_state *st = state;

  (void)params;
  (void)now;
  if (!st->undo) {
    /* RFC 4015 §3, before loss recovery changes anything, at the first
     * expiry only: what a spurious verdict would restore. */
    st->cwnd_prev = st->cwnd;
    st->pipe_prev = ptcp_cc_max(flight, st->ssthresh);
    st->undo = 1;
  }
  /* RFC 5681 §3.1: eq. 4, and cwnd to the loss window, LW = 1 SMSS. */
  st->ssthresh = loss_ssthresh(flight, mss);
  st->cwnd = ptcp_cc_smss(mss);
}

static void newreno_on_spurious(void *state, const void *params, ptcp_time now) {
  cc_newreno_state *st = state;

  (void)params;
  (void)now;
  if (!st->undo)
    return;
  /* RFC 4015 §3: ssthresh = pipe_prev; cwnd as before the timeout. */
  st->ssthresh = st->pipe_prev;
  st->cwnd = ptcp_cc_max(st->cwnd, st->cwnd_prev);
  st->undo = 0;
}

static void newreno_on_idle(void *state, const void *params, uint32_t mss,
                            ptcp_time now) {
  cc_newreno_state *st = state;
  const cc_newreno_params *p = params;

  (void)now;
  /* RFC 5681 §4.1: after an idle period longer than an RTO, restart
   * from RW = min(IW, cwnd). */
  st->cwnd = ptcp_cc_min(st->cwnd, ptcp_cc_initial_window(p->iw, mss));
  floor_cwnd(st, mss);
}

const ptcp_cc_ops ptcp_cc_newreno = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_CC,
            .name = "newreno",
            .summary = "RFC 5681 slow start / congestion avoidance + RFC 6582 NewReno "
                       "fast recovery, RFC 4015 undo",
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
    .on_spurious = newreno_on_spurious,
    .on_idle = newreno_on_idle,
};

/*
 * rto "linux": the retransmission timer of Linux's TCP (tcp_rtt_estimator
 * and tcp_set_rto in net/ipv4/tcp_input.c), which keeps RFC 6298's shape
 * with deliberate deviations:
 *
 *   - SRTT as RFC 6298 (gain 1/8); the first sample sets SRTT = R and
 *     mdev = R/2 ("make sure rto = 3*rtt");
 *   - mdev, the mean deviation, moves toward |R - SRTT| with gain 1/4,
 *     except when the sample is below SRTT - mdev (the RTT dropped
 *     sharply): then an increase of mdev is damped to 1/8 of itself (gain
 *     1/32), the kernel's variant of an Eifel finding, so that a sudden
 *     drop in RTT does not inflate RTO;
 *   - RTTVAR is not mdev: it is the largest mdev seen in the current
 *     round trip, never below rto_min (param min, TCP_RTO_MIN = 200 ms),
 *     and between rounds it decays toward that maximum by 1/4;
 *   - RTO = SRTT + RTTVAR (4 * the deviation, in the kernel's scaled
 *     units), so the 200 ms floor applies to the variance term: RTO >=
 *     SRTT + min, which is why a LAN connection shows "rto:204";
 *   - initial 1 s (TCP_TIMEOUT_INIT), max 120 s (TCP_RTO_MAX), x2 backoff
 *     up to max; a valid sample ends the backoff (Karn, as RFC 6298).
 *
 * Simplification: Linux ends a "round" when SND.UNA passes the SND.NXT
 * recorded at the previous round's end (tp->rtt_seq).  A policy sees no
 * sequence numbers, so here a round ends at the first sample taken one
 * SRTT or more after the previous round ended (the same cadence on a
 * path that is always sending; a round can end later when the sender
 * idles, as the kernel's does).
 *
 * All values are nanoseconds; the kernel works in microseconds with SRTT
 * scaled by 8 and mdev by 4, so results agree to the truncation.  Samples
 * are clamped to 10 minutes first (rto_estimator.h), so mdev and RTTVAR
 * stay below 2^42.
 */
#include <stddef.h>

#include <plugtcp/policy.h>

#include "../builtins.h"
#include "rto_backoff.h"
#include "rto_estimator.h"

#define LINUX_RTO_MIN (200 * PTCP_MILLISECONDS) /* TCP_RTO_MIN */
#define LINUX_RTO_MAX (120 * PTCP_SECONDS)      /* TCP_RTO_MAX */
#define LINUX_RTO_INIT (1 * PTCP_SECONDS)       /* TCP_TIMEOUT_INIT */
#define BACKOFF_CAP_DEFAULT 16u

/* The kernel keeps mdev and RTTVAR scaled by 4: mdev4 = 4 * mdev. */
#define MDEV_SCALE_SHIFT 2u
/* "we use finer gain for mdev in this case (alpha*beta)": >> 3. */
#define MDEV_DAMP_SHIFT 3u
/* RTTVAR decays toward the round's maximum by 1/4 per round. */
#define RTTVAR_DECAY_SHIFT 2u

typedef struct rto_linux_params {
  ptcp_duration min;     /* tcp_rto_min: floor of the variance term */
  ptcp_duration max;     /* TCP_RTO_MAX */
  ptcp_duration initial; /* TCP_TIMEOUT_INIT */
  uint32_t backoff_cap;
} rto_linux_params;

typedef struct rto_linux_state {
  ptcp_duration srtt;
  ptcp_duration mdev4;     /* 4 * mean deviation (tp->mdev_us) */
  ptcp_duration mdev_max4; /* the largest mdev4 this round (tp->mdev_max_us) */
  ptcp_duration rttvar4;   /* tp->rttvar_us */
  ptcp_time round_end;     /* the round ends at the first sample from here */
  ptcp_duration rto;       /* before backoff */
  uint32_t backoff;
  uint8_t have_srtt;
} rto_linux_state;

_Static_assert(sizeof(rto_linux_state) <= PTCP_BUILTIN_STATE_MAX,
               "rto linux state must fit the built-in budget");

static const rto_linux_params linux_defaults = {
    .min = LINUX_RTO_MIN,
    .max = LINUX_RTO_MAX,
    .initial = LINUX_RTO_INIT,
    .backoff_cap = BACKOFF_CAP_DEFAULT,
};

static const ptcp_param_desc linux_params[] = {
    {.name = "min",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_linux_params, min),
     .min = PTCP_RTO_FLOOR,
     .max = PTCP_RTO_CEIL,
     .help = "rto_min, floor of the variance term: RTO >= SRTT + min (200 ms)"},
    {.name = "max",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_linux_params, max),
     .min = PTCP_RTO_FLOOR,
     .max = PTCP_RTO_CEIL,
     .help = "upper bound on RTO, backoff included (TCP_RTO_MAX: 120 s)"},
    {.name = "initial",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_linux_params, initial),
     .min = PTCP_RTO_FLOOR,
     .max = PTCP_RTO_CEIL,
     .help = "RTO before the first sample (TCP_TIMEOUT_INIT: 1 s)"},
    {.name = "backoff_cap",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(rto_linux_params, backoff_cap),
     .min = 0,
     .max = PTCP_RTO_SHIFT_LIMIT,
     .help = "most doublings on repeated timeouts"},
};

static ptcp_duration max_dur(ptcp_duration a, ptcp_duration b) { return a > b ? a : b; }

static int linux_init(void *state, const void *params, ptcp_time now) {
  rto_linux_state *st = state;
  const rto_linux_params *p = params;

  (void)now;
  st->rto = p->initial > p->max ? p->max : p->initial;
  st->backoff = 0;
  st->have_srtt = 0;
  return 0;
}

static void linux_on_rtt_sample(void *state, const void *params,
                                const ptcp_rtt_sample *s) {
  rto_linux_state *st = state;
  const rto_linux_params *p = params;
  ptcp_duration r;

  /* Karn, as RFC 6298 §3. */
  if (!ptcp_rto_karn_ok(s))
    return;
  r = ptcp_rto_sample_clamp(s->rtt);
  if (!st->have_srtt) {
    /* "no previous measure": SRTT = R, mdev = R/2, RTTVAR at least
     * rto_min. */
    st->srtt = r;
    st->mdev4 = r << 1;
    st->rttvar4 = max_dur(st->mdev4, p->min);
    st->mdev_max4 = st->rttvar4;
    st->round_end = ptcp_time_add(s->now, st->srtt);
    st->have_srtt = 1;
  } else {
    ptcp_duration err = ptcp_rto_abs_diff(r, st->srtt),
                  quarter = st->mdev4 >> MDEV_SCALE_SHIFT;
    int below = r < st->srtt;

    /* SRTT = 7/8 SRTT + 1/8 R; the error uses the old SRTT. */
    st->srtt = (st->srtt * 7 + r) >> PTCP_RTO_ALPHA_SHIFT;
    /* mdev = 3/4 mdev + 1/4 |err|, in the scaled form mdev4 += |err| -
     * mdev4/4; when R < SRTT and the step is an increase, it is damped
     * to 1/8. */
    if (err >= quarter) {
      ptcp_duration up = err - quarter;
      st->mdev4 += below ? up >> MDEV_DAMP_SHIFT : up;
    } else {
      st->mdev4 -= quarter - err;
    }
    if (st->mdev4 > st->mdev_max4) {
      st->mdev_max4 = st->mdev4;
      if (st->mdev_max4 > st->rttvar4)
        st->rttvar4 = st->mdev_max4;
    }
    if (s->now >= st->round_end) {
      /* A round is over: RTTVAR decays toward the round's maximum, and
       * the next round starts from rto_min. */
      if (st->mdev_max4 < st->rttvar4)
        st->rttvar4 -= (st->rttvar4 - st->mdev_max4) >> RTTVAR_DECAY_SHIFT;
      st->mdev_max4 = p->min;
      st->round_end = ptcp_time_add(s->now, st->srtt);
    }
  }
  /* tcp_set_rto: RTO = SRTT + RTTVAR, bounded by max only ("clamping at
   * TCP_RTO_MIN is not required, current algo guarantees that rto is
   * higher"). */
  st->rto = st->srtt + st->rttvar4;
  if (st->rto > p->max)
    st->rto = p->max;
  st->backoff = 0;
}

static ptcp_duration linux_rto(const void *state, const void *params) {
  const rto_linux_state *st = state;
  const rto_linux_params *p = params;

  return ptcp_rto_backed_off(st->rto, st->backoff, p->max);
}

static void linux_on_timeout(void *state, const void *params, ptcp_time now) {
  rto_linux_state *st = state;
  const rto_linux_params *p = params;

  (void)now;
  if (st->backoff < p->backoff_cap)
    st->backoff++;
}

static ptcp_duration linux_srtt(const void *state) {
  const rto_linux_state *st = state;

  return st->have_srtt ? st->srtt : PTCP_TIME_NONE;
}

const ptcp_rto_ops ptcp_rto_linux = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_RTO,
            .name = "linux",
            .summary = "Linux tcp_rtt_estimator: RTO = SRTT + max(per-round mdev, 200 "
                       "ms), damped mdev, 1 s initial, 120 s max",
            .state_size = sizeof(rto_linux_state),
            .params_size = sizeof(rto_linux_params),
            .params_default = &linux_defaults,
            .params = linux_params,
            .nparams = sizeof(linux_params) / sizeof(linux_params[0]),
        },
    .init = linux_init,
    .on_rtt_sample = linux_on_rtt_sample,
    .rto = linux_rto,
    .on_timeout = linux_on_timeout,
    .srtt = linux_srtt,
};

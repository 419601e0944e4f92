/*
 * rto "rfc6298": the retransmission timer of RFC 6298 (required by RFC
 * 9293 §3.8.1, MUST-18), in integer nanoseconds.
 *
 *   §2.1  before any RTT sample, RTO = 1 s (param initial);
 *   §2.2  first sample R:  SRTT = R, RTTVAR = R/2;
 *   §2.3  later samples:   RTTVAR = (1 - beta) RTTVAR + beta |SRTT - R|
 *                          SRTT   = (1 - alpha) SRTT + alpha R
 *         with alpha = 1/8, beta = 1/4, RTTVAR updated first (it uses the
 *         SRTT from before this sample);
 *         RTO = SRTT + max(G, 4 RTTVAR);
 *   §2.4  RTO below 1 s is rounded up to 1 s (param min);
 *   §2.5  a maximum of at least 60 s may be placed on RTO (param max);
 *   §3    Karn: a sample from a retransmitted segment is ambiguous and
 *         is not used, unless timestamps tell the copies apart (RFC 7323
 *         §4.1); RFC 9293 MUST-18;
 *   §5.5  on expiry the timer backs off: RTO doubles, up to max (and at
 *         most backoff_cap doublings);
 *   §5.7  a valid sample after a backoff recomputes RTO from SRTT and
 *         RTTVAR, which collapses the backed-off value.
 *
 * The estimator (integer rounding, overflow bounds) is rto_estimator.h.
 *
 * eifel=on adds the Eifel response to a spurious timeout (RFC 4015 §3),
 * which the engine detects with timestamps (RFC 3522) and reports
 * through on_spurious_timeout:
 *
 *   - at the first expiry of a timeout episode (the first since an ACK of
 *     new data, exactly when the engine arms its RFC 3522 check), before
 *     backing off, remember SRTT_prev = SRTT + 2G and RTTVAR_prev =
 *     RTTVAR, and the backoff count;
 *   - when the timeout turns out spurious, restore that backoff count (a
 *     spurious expiry says nothing about congestion, so its doubling is
 *     undone) and re-initialise the estimator from the first RTT sample
 *     taken after the timeout, "like a first measurement, but never below
 *     what it was": SRTT = max(SRTT_prev, R), RTTVAR = max(RTTVAR_prev,
 *     R/2), RTO = SRTT + max(G, 4 RTTVAR), clamped.  If that sample came
 *     with the very ACK that revealed the spurious timeout (the engine
 *     takes the sample first), it is used at once; otherwise the next
 *     valid sample is.
 *
 * The point of the adaptation: a spurious timeout means the RTT jumped
 * above RTO; the smoothed estimator would take several RTTs to catch up
 * and time out spuriously again meanwhile.  Default off, so "rfc6298" is
 * RFC 6298 alone.  The congestion-control half of RFC 4015 is the cc
 * policy's (newreno and cubic restore their pre-timeout state).
 */
#include <stddef.h>

#include <plugtcp/policy.h>

#include "../builtins.h"
#include "rto_backoff.h"
#include "rto_estimator.h"

/* RFC 6298 §2.3: K = 4. */
#define RTTVAR_K 4u
/* RFC 4015 §3: SRTT_prev = SRTT + 2G. */
#define EIFEL_G_MULT 2u

/* The coarsest clock granularity accepted for G. */
#define GRANULARITY_MAX PTCP_SECONDS
/* RFC 6298 §5.5 doublings; past 64 every RTO has reached max anyway. */
#define BACKOFF_CAP_DEFAULT 16u

/* Eifel bookkeeping (flags). */
#define EIFEL_EPISODE 0x01u /* timed out, no ACK of new data since */
#define EIFEL_SAVED 0x02u   /* SRTT_prev and RTTVAR_prev are set */
#define EIFEL_REBASE 0x04u  /* re-initialise at the next valid sample */
#define EIFEL_HAVE_R 0x08u  /* r_after holds a sample from this episode */

typedef struct rto_rfc6298_params {
  ptcp_duration min;         /* §2.4 */
  ptcp_duration max;         /* §2.5 */
  ptcp_duration initial;     /* §2.1 */
  ptcp_duration granularity; /* G of §2 */
  uint32_t backoff_cap;      /* §5.5 doublings */
  uint8_t eifel;             /* RFC 4015 response */
} rto_rfc6298_params;

typedef struct rto_rfc6298_state {
  ptcp_rto_jk est;
  ptcp_duration rto;         /* clamped, before backoff */
  ptcp_duration srtt_prev;   /* RFC 4015 SRTT_prev */
  ptcp_duration rttvar_prev; /* RFC 4015 RTTVAR_prev */
  ptcp_duration r_after;     /* a valid sample taken since the timeout */
  uint8_t backoff;           /* doublings since the last valid sample */
  uint8_t backoff_prev;      /* the count before the episode's first expiry */
  uint8_t eifel;             /* EIFEL_* flags */
} rto_rfc6298_state;

_Static_assert(sizeof(rto_rfc6298_state) <= PTCP_BUILTIN_STATE_MAX,
               "rto rfc6298 state must fit the built-in budget");

static const rto_rfc6298_params rfc6298_defaults = {
    .min = 1 * PTCP_SECONDS,     /* §2.4 SHOULD */
    .max = 60 * PTCP_SECONDS,    /* §2.5 MAY, at least 60 s */
    .initial = 1 * PTCP_SECONDS, /* §2.1 SHOULD */
    .granularity = 1 * PTCP_MILLISECONDS,
    .backoff_cap = BACKOFF_CAP_DEFAULT,
    .eifel = 0,
};

static const ptcp_param_desc rfc6298_params[] = {
    {.name = "min",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_rfc6298_params, min),
     .min = PTCP_RTO_FLOOR,
     .max = PTCP_RTO_CEIL,
     .help = "lower bound on RTO (RFC 6298 §2.4: 1 s)"},
    {.name = "max",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_rfc6298_params, max),
     .min = PTCP_RTO_FLOOR,
     .max = PTCP_RTO_CEIL,
     .help = "upper bound on RTO, backoff included (RFC 6298 §2.5: >= 60 s)"},
    {.name = "initial",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_rfc6298_params, initial),
     .min = PTCP_RTO_FLOOR,
     .max = PTCP_RTO_CEIL,
     .help = "RTO before the first RTT sample (RFC 6298 §2.1: 1 s)"},
    {.name = "granularity",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_rfc6298_params, granularity),
     .min = 0,
     .max = GRANULARITY_MAX,
     .help = "clock granularity G (RFC 6298 §2)"},
    {.name = "backoff_cap",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(rto_rfc6298_params, backoff_cap),
     .min = 0,
     .max = PTCP_RTO_SHIFT_LIMIT,
     .help = "most doublings of RTO on repeated timeouts (RFC 6298 §5.5)"},
    {.name = "eifel",
     .type = PTCP_PARAM_BOOL,
     .offset = offsetof(rto_rfc6298_params, eifel),
     .min = 0,
     .max = 1,
     .help = "Eifel response to spurious timeouts (RFC 4015)"},
};

/* §2.3 RTO = SRTT + max(G, K * RTTVAR), then §2.4/§2.5 bounds. */
static void recompute(rto_rfc6298_state *st, const rto_rfc6298_params *p) {
  ptcp_duration var4 = RTTVAR_K * st->est.rttvar;

  st->rto = ptcp_rto_clamp(st->est.srtt + (var4 > p->granularity ? var4 : p->granularity),
                           p->min, p->max);
}

static int rfc6298_init(void *state, const void *params, ptcp_time now) {
  rto_rfc6298_state *st = state;
  const rto_rfc6298_params *p = params;

  (void)now;
  /* §2.1: until a sample is taken, RTO is the initial value. */
  st->rto = ptcp_rto_clamp(p->initial, p->min, p->max);
  st->backoff = 0;
  st->est.have = 0;
  st->eifel = 0;
  return 0;
}

/* RFC 4015 §3: re-initialise from |r|, never below the pre-timeout
 * estimate. */
static void eifel_rebase(rto_rfc6298_state *st, const rto_rfc6298_params *p,
                         ptcp_duration r) {
  ptcp_duration half = r >> 1;

  st->est.srtt = r > st->srtt_prev ? r : st->srtt_prev;
  st->est.rttvar = half > st->rttvar_prev ? half : st->rttvar_prev;
  st->est.have = 1;
  st->eifel &= (uint8_t)~EIFEL_REBASE;
  recompute(st, p);
}

static void rfc6298_on_rtt_sample(void *state, const void *params,
                                  const ptcp_rtt_sample *s) {
  rto_rfc6298_state *st = state;
  const rto_rfc6298_params *p = params;
  ptcp_duration r;

  /* §3 Karn / RFC 9293 MUST-18. */
  if (!ptcp_rto_karn_ok(s))
    return;
  r = ptcp_rto_sample_clamp(s->rtt);
  if (p->eifel && (st->eifel & EIFEL_REBASE)) {
    eifel_rebase(st, p, r);
  } else {
    ptcp_rto_jk_sample(&st->est, r); /* §2.2, §2.3 */
    recompute(st, p);
  }
  if (p->eifel && (st->eifel & EIFEL_EPISODE)) {
    st->r_after = r;
    st->eifel |= EIFEL_HAVE_R;
  }
  /* §5.7: the new value replaces the backed-off one. */
  st->backoff = 0;
}

static ptcp_duration rfc6298_rto(const void *state, const void *params) {
  const rto_rfc6298_state *st = state;
  const rto_rfc6298_params *p = params;

  return ptcp_rto_backed_off(st->rto, st->backoff, p->max);
}

static void rfc6298_on_timeout(void *state, const void *params, ptcp_time now) {
  rto_rfc6298_state *st = state;
  const rto_rfc6298_params *p = params;

  (void)now;
  if (p->eifel && !(st->eifel & EIFEL_EPISODE)) {
    /* RFC 4015 §3: before backing off, at the first expiry. */
    st->eifel = (uint8_t)((st->eifel & EIFEL_REBASE) | EIFEL_EPISODE);
    st->backoff_prev = st->backoff;
    if (st->est.have) {
      st->srtt_prev = st->est.srtt + EIFEL_G_MULT * p->granularity;
      st->rttvar_prev = st->est.rttvar;
      st->eifel |= EIFEL_SAVED;
    }
  }
  /* §5.5: RTO <- RTO * 2; the max of §2.5 applies in rfc6298_rto. */
  if (st->backoff < p->backoff_cap)
    st->backoff++;
}

static void rfc6298_on_new_ack(void *state, const void *params, ptcp_time now) {
  rto_rfc6298_state *st = state;

  (void)params;
  (void)now;
  /* New data was ACKed: the episode is over (the engine has already
   * given its spurious-timeout verdict on this ACK).  A pending
   * re-initialisation waits for its sample. */
  st->eifel &= EIFEL_REBASE;
}

static void rfc6298_on_spurious_timeout(void *state, const void *params, ptcp_time now) {
  rto_rfc6298_state *st = state;
  const rto_rfc6298_params *p = params;

  (void)now;
  if (!p->eifel || !(st->eifel & EIFEL_EPISODE))
    return;
  /* Undo the doublings: the expiry was not a loss. */
  st->backoff = st->backoff_prev;
  if (!(st->eifel & EIFEL_SAVED))
    return; /* no estimate before the timeout: nothing to adapt */
  if (st->eifel & EIFEL_HAVE_R) {
    eifel_rebase(st, p, st->r_after);
    st->backoff = 0;
  } else {
    st->eifel |= EIFEL_REBASE;
  }
}

static ptcp_duration rfc6298_srtt(const void *state) {
  const rto_rfc6298_state *st = state;

  return st->est.have ? st->est.srtt : PTCP_TIME_NONE;
}

const ptcp_rto_ops ptcp_rto_rfc6298 = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_RTO,
            .name = "rfc6298",
            .summary = "RFC 6298: SRTT/RTTVAR (1/8, 1/4), RTO = SRTT + max(G, 4 RTTVAR), "
                       "1 s min and initial, Karn, x2 backoff; eifel=on: RFC 4015",
            .state_size = sizeof(rto_rfc6298_state),
            .params_size = sizeof(rto_rfc6298_params),
            .params_default = &rfc6298_defaults,
            .params = rfc6298_params,
            .nparams = sizeof(rfc6298_params) / sizeof(rfc6298_params[0]),
        },
    .init = rfc6298_init,
    .on_rtt_sample = rfc6298_on_rtt_sample,
    .rto = rfc6298_rto,
    .on_timeout = rfc6298_on_timeout,
    .on_new_ack = rfc6298_on_new_ack,
    .on_spurious_timeout = rfc6298_on_spurious_timeout,
    .srtt = rfc6298_srtt,
};

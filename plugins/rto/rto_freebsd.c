/*
 * rto "freebsd": the retransmission timer of FreeBSD's default stack
 * (tcp_xmit_timer in sys/netinet/tcp_input.c, TCP_REXMTVAL in
 * tcp_var.h, TCPT_RANGESET and tcp_backoff[] in tcp_timer.{c,h}), with
 * the sysctl knobs of tcp(4) as params:
 *
 *   SRTT, RTTVAR  Jacobson/Karels, as RFC 6298 (rto_estimator.h);
 *   base          REXMTVAL = max(rexmit_min, SRTT + 4 RTTVAR);
 *   RTO           TCPT_RANGESET: base * 2^backoff + rexmit_slop, then
 *                 at least max(rexmit_min, R + 2 ticks) (R: the latest
 *                 sample) and at most TCPTV_REXMTMAX (64 s).
 *
 * The slop is *added*: tcp(4) explains that the RFCs' 1 s minimum hurts
 * lossy interactive connections (their losses are repaired by the timer,
 * not by fast retransmit), so FreeBSD uses "200ms of slop and a near-0
 * minimum" (rexmit_min 30 ms,
 * TCPTV_MIN), which gives an effective minimum of about 200 ms like
 * Linux's, while a path with a large variance gets SRTT + 4 RTTVAR + 200
 * ms rather than a floor.  Params: min (rexmit_min, 30 ms), slop
 * (rexmit_slop, 200 ms), max (64 s), initial (rexmit_initial, 1 s),
 * granularity (one kernel tick, 1 ms at hz=1000: the "+ 2 ticks"), and
 * backoff_cap (9: tcp_backoff[] doubles up to 512 and stays there).
 *
 * Simplifications: nanoseconds instead of ticks, so the kernel's
 * "rtt - 1" tick bias and the fixed-point rounding of t_srtt/t_rttvar
 * are gone; the kernel applies the R + 2 ticks floor only when a sample
 * arrives, here it holds until the next sample (so repeated timeouts
 * never shorten the timer); before any sample RTO is initial * 2^backoff
 * (the kernel derives the first timeout from t_rttvar's initial value);
 * the RACK stack, which FreeBSD can select instead, is not modelled.
 */
#include <stddef.h>

#include <plugtcp/policy.h>

#include "../builtins.h"
#include "rto_backoff.h"
#include "rto_estimator.h"

#define FREEBSD_REXMIT_MIN (30 * PTCP_MILLISECONDS)   /* TCPTV_MIN = hz/33 */
#define FREEBSD_REXMIT_SLOP (200 * PTCP_MILLISECONDS) /* TCPTV_CPU_VAR = hz/5 */
#define FREEBSD_REXMTMAX (64 * PTCP_SECONDS)          /* TCPTV_REXMTMAX */
#define FREEBSD_RTOBASE (1 * PTCP_SECONDS)            /* rexmit_initial */
#define FREEBSD_TICK (1 * PTCP_MILLISECONDS)          /* hz = 1000 */
#define FREEBSD_BACKOFF_CAP 9u /* tcp_backoff[]: 1, 2, ..., 512, 512, ... */
#define RTTVAR_K 4u
#define TICKS_ABOVE_SAMPLE 2u /* "the minimum feasible timer (2 ticks)" */
#define GRANULARITY_MAX PTCP_SECONDS
#define SLOP_MAX (10 * PTCP_SECONDS)

typedef struct rto_freebsd_params {
  ptcp_duration min;         /* rexmit_min */
  ptcp_duration max;         /* TCPTV_REXMTMAX */
  ptcp_duration initial;     /* rexmit_initial */
  ptcp_duration granularity; /* one tick */
  ptcp_duration slop;        /* rexmit_slop */
  uint32_t backoff_cap;
} rto_freebsd_params;

typedef struct rto_freebsd_state {
  ptcp_rto_jk est;
  ptcp_duration last_rtt; /* the latest valid sample */
  uint32_t backoff;
} rto_freebsd_state;

_Static_assert(sizeof(rto_freebsd_state) <= PTCP_BUILTIN_STATE_MAX,
               "rto freebsd state must fit the built-in budget");

static const rto_freebsd_params freebsd_defaults = {
    .min = FREEBSD_REXMIT_MIN,
    .max = FREEBSD_REXMTMAX,
    .initial = FREEBSD_RTOBASE,
    .granularity = FREEBSD_TICK,
    .slop = FREEBSD_REXMIT_SLOP,
    .backoff_cap = FREEBSD_BACKOFF_CAP,
};

static const ptcp_param_desc freebsd_params[] = {
    {.name = "min",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_freebsd_params, min),
     .min = PTCP_RTO_FLOOR,
     .max = PTCP_RTO_CEIL,
     .help = "rexmit_min, the near-0 minimum (tcp(4): 30 ms)"},
    {.name = "max",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_freebsd_params, max),
     .min = PTCP_RTO_FLOOR,
     .max = PTCP_RTO_CEIL,
     .help = "upper bound on RTO, backoff included (TCPTV_REXMTMAX: 64 s)"},
    {.name = "initial",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_freebsd_params, initial),
     .min = PTCP_RTO_FLOOR,
     .max = PTCP_RTO_CEIL,
     .help = "rexmit_initial, RTO before the first sample (1 s)"},
    {.name = "granularity",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_freebsd_params, granularity),
     .min = 0,
     .max = GRANULARITY_MAX,
     .help = "one kernel tick; RTO >= latest sample + 2 ticks (hz=1000: 1 ms)"},
    {.name = "slop",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(rto_freebsd_params, slop),
     .min = 0,
     .max = SLOP_MAX,
     .help = "rexmit_slop, added to every RTO (tcp(4): 200 ms)"},
    {.name = "backoff_cap",
     .type = PTCP_PARAM_U32,
     .offset = offsetof(rto_freebsd_params, backoff_cap),
     .min = 0,
     .max = PTCP_RTO_SHIFT_LIMIT,
     .help = "most doublings (tcp_backoff[] stops at 512 = 9)"},
};

static int freebsd_init(void *state, const void *params, ptcp_time now) {
  rto_freebsd_state *st = state;

  (void)params;
  (void)now;
  st->est.have = 0;
  st->backoff = 0;
  return 0;
}

static void freebsd_on_rtt_sample(void *state, const void *params,
                                  const ptcp_rtt_sample *s) {
  rto_freebsd_state *st = state;

  (void)params;
  if (!ptcp_rto_karn_ok(s))
    return;
  ptcp_rto_jk_sample(&st->est, s->rtt);
  st->last_rtt = ptcp_rto_sample_clamp(s->rtt);
  st->backoff = 0; /* tp->t_rxtshift = 0 */
}

static ptcp_duration freebsd_rto(const void *state, const void *params) {
  const rto_freebsd_state *st = state;
  const rto_freebsd_params *p = params;
  ptcp_duration base, floor, v;

  if (!st->est.have)
    return ptcp_rto_clamp(ptcp_rto_backed_off(p->initial, st->backoff, p->max), p->min,
                          p->max);
  /* TCP_REXMTVAL: max(t_rttmin, SRTT + 4 RTTVAR), both below 10 min. */
  base = st->est.srtt + RTTVAR_K * st->est.rttvar;
  if (base < p->min)
    base = p->min;
  /* TCPT_RANGESET: value * tcp_backoff[n] + slop, then [floor, max];
   * the backed-off value saturates at max, so the sum cannot wrap. */
  v = ptcp_rto_backed_off(base, st->backoff, p->max) + p->slop;
  floor = st->last_rtt + TICKS_ABOVE_SAMPLE * p->granularity;
  if (floor < p->min)
    floor = p->min;
  return ptcp_rto_clamp(v, floor, p->max);
}

static void freebsd_on_timeout(void *state, const void *params, ptcp_time now) {
  rto_freebsd_state *st = state;
  const rto_freebsd_params *p = params;

  (void)now;
  if (st->backoff < p->backoff_cap)
    st->backoff++;
}

static ptcp_duration freebsd_srtt(const void *state) {
  const rto_freebsd_state *st = state;

  return st->est.have ? st->est.srtt : PTCP_TIME_NONE;
}

const ptcp_rto_ops ptcp_rto_freebsd = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_RTO,
            .name = "freebsd",
            .summary = "FreeBSD: RTO = max(30 ms, SRTT + 4 RTTVAR) * 2^n + 200 ms slop, "
                       "64 s max (tcp(4) rexmit_*)",
            .state_size = sizeof(rto_freebsd_state),
            .params_size = sizeof(rto_freebsd_params),
            .params_default = &freebsd_defaults,
            .params = freebsd_params,
            .nparams = sizeof(freebsd_params) / sizeof(freebsd_params[0]),
        },
    .init = freebsd_init,
    .on_rtt_sample = freebsd_on_rtt_sample,
    .rto = freebsd_rto,
    .on_timeout = freebsd_on_timeout,
    .srtt = freebsd_srtt,
};

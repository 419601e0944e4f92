/*
 * rto "pto": QUIC's probe timeout (RFC 9002 §6.2) as a TCP retransmission
 * timer.  An example plugin, written as one outside this tree would be:
 * it includes the public headers only and is built as a shared object
 * (docs/plugins.md walks through it).
 *
 * RFC 6298 puts a 1 s floor under RTO (§2.4), so on a path of a few
 * milliseconds a lost tail segment costs a second.  QUIC's PTO has no
 * such floor; what keeps it from firing before a delayed ACK can arrive
 * is an explicit term for the receiver's ACK delay:
 *
 *   PTO = SRTT + max(4 RTTVAR, kGranularity) + max_ack_delay   (§6.2.1)
 *
 *   estimator     SRTT and RTTVAR as RFC 6298 §2.2-2.3, which RFC 9002
 *                 §5.3 repeats: first sample R gives SRTT = R, RTTVAR =
 *                 R/2; then RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R| and
 *                 SRTT = 7/8 SRTT + 1/8 R;
 *   kGranularity  1 ms (§6.1.2, param granularity);
 *   first timeout before any sample, SRTT = kInitialRtt = 333 ms and
 *                 RTTVAR = kInitialRtt/2 (§5.3, §6.2.2), without the
 *                 ACK-delay term, as for QUIC's handshake (§6.2.1): 999
 *                 ms, RFC 6298's 1 s (param initial_rtt);
 *   backoff       x2 at each expiry (§6.2.1), up to param max.
 *
 * Where TCP differs from QUIC, this policy follows TCP:
 *   - QUIC ends the backoff at any acknowledgment (§6.2.1): its packet
 *     numbers are never reused, so every ACK is unambiguous.  A TCP ACK
 *     of a retransmitted segment may be for the original, so here Karn's
 *     rule holds (RFC 6298 §3 and §5.7): such a sample is ignored unless
 *     timestamps tell the copies apart, and only a valid sample ends the
 *     backoff;
 *   - QUIC subtracts the ACK delay the peer reports (§5.3); TCP reports
 *     none, so samples are taken as they come;
 *   - a QUIC peer announces max_ack_delay (RFC 9000 §18.2, default 25
 *     ms); a TCP peer does not, so it is a parameter, by default 200 ms:
 *     plugtcp's own delayed-ACK timer, Linux's TCP_DELACK_MAX, below RFC
 *     1122 §4.2.3.2's 500 ms limit.  Against a peer known to ACK faster
 *     (Linux's quick-ACK mode, or delayed ACKs off), lower it.
 *
 * RFC 8961 (BCP 233) leaves a time-based loss detector free to choose
 * its formula within its general requirements; the engine still clamps
 * whatever this returns to [PTCP_RTO_FLOOR, PTCP_RTO_CEIL].
 */
#include <stddef.h>

#include <plugtcp/plugin.h>

/* RFC 9002 §6.1.2 kGranularity, §6.2.2 kInitialRtt. */
#define PTO_GRANULARITY (1 * PTCP_MILLISECONDS)
#define PTO_INITIAL_RTT (333 * PTCP_MILLISECONDS)
/* The receiver's delayed-ACK timer assumed (see above). */
#define PTO_MAX_ACK_DELAY (200 * PTCP_MILLISECONDS)
/* RFC 1122 §4.2.3.2: an ACK must not be delayed 0.5 s or more. */
#define PTO_ACK_DELAY_LIMIT (500 * PTCP_MILLISECONDS)
/* RFC 6298 §2.5's bound (at least 60 s). */
#define PTO_MAX (60 * PTCP_SECONDS)

/* RFC 6298 §2.3: K = 4; alpha = 1/8 and beta = 1/4 as shifts. */
#define PTO_K 4u
#define PTO_ALPHA_SHIFT 3u
#define PTO_BETA_SHIFT 2u
/* Doublings past which any timeout below 2^64 ns has reached max. */
#define PTO_SHIFT_LIMIT 64u

typedef struct pto_params {
  ptcp_duration max_ack_delay;
  ptcp_duration granularity;
  ptcp_duration initial_rtt;
  ptcp_duration max;
} pto_params;

typedef struct pto_state {
  ptcp_duration srtt;
  ptcp_duration rttvar;
  uint32_t backoff;    /* doublings since the last valid sample */
  uint8_t have_sample; /* SRTT and RTTVAR are measured, not kInitialRtt */
} pto_state;

/* The engine keeps small states inside the connection; the built-ins
 * hold themselves to 64 bytes, and so does this one. */
_Static_assert(sizeof(pto_state) <= 64, "pto state must stay small");

static const pto_params pto_defaults = {
    .max_ack_delay = PTO_MAX_ACK_DELAY,
    .granularity = PTO_GRANULARITY,
    .initial_rtt = PTO_INITIAL_RTT,
    .max = PTO_MAX,
};

static const ptcp_param_desc pto_param_table[] = {
    {.name = "max_ack_delay",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(pto_params, max_ack_delay),
     .min = 0,
     .max = PTO_ACK_DELAY_LIMIT,
     .help = "the peer's longest ACK delay, added to every timeout (200 ms)"},
    {.name = "granularity",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(pto_params, granularity),
     .min = 0,
     .max = PTCP_SECONDS,
     .help = "kGranularity, the floor of the variance term (RFC 9002: 1 ms)"},
    {.name = "initial_rtt",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(pto_params, initial_rtt),
     .min = PTCP_MILLISECONDS,
     .max = PTO_MAX,
     .help = "kInitialRtt before any sample: first timeout 3x (RFC 9002: 333 ms)"},
    {.name = "max",
     .type = PTCP_PARAM_DURATION,
     .offset = offsetof(pto_params, max),
     .min = PTCP_RTO_FLOOR,
     .max = PTCP_RTO_CEIL,
     .help = "upper bound, backoff included (60 s)"},
};

static ptcp_duration max_dur(ptcp_duration a, ptcp_duration b) { return a > b ? a : b; }

static ptcp_duration abs_diff(ptcp_duration a, ptcp_duration b) {
  return a > b ? a - b : b - a;
}

static int pto_init(void *state, const void *params, ptcp_time now) {
  pto_state *st = state;

  (void)params;
  (void)now;
  /* The core zeroed the state: no sample, no backoff. */
  st->have_sample = 0;
  st->backoff = 0;
  return 0;
}

static void pto_on_rtt_sample(void *state, const void *params, const ptcp_rtt_sample *s) {
  pto_state *st = state;
  ptcp_duration r;

  (void)params;
  /* Karn (RFC 6298 §3): a retransmitted segment's ACK may be for either
   * copy, unless timestamps say which. */
  if (s->retransmitted && !s->from_timestamp)
    return;
  /* Above PTCP_RTO_CEIL (10 min) a sample says nothing more, and the
   * bound keeps every sum below 2^43 ns. */
  r = s->rtt < PTCP_RTO_CEIL ? s->rtt : PTCP_RTO_CEIL;
  if (!st->have_sample) {
    st->srtt = r; /* RFC 9002 §5.3, RFC 6298 §2.2 */
    st->rttvar = r >> 1;
    st->have_sample = 1;
  } else {
    /* RTTVAR first: it uses the SRTT from before this sample (§2.3). */
    st->rttvar = (st->rttvar * ((1u << PTO_BETA_SHIFT) - 1) + abs_diff(st->srtt, r)) >>
                 PTO_BETA_SHIFT;
    st->srtt = (st->srtt * ((1u << PTO_ALPHA_SHIFT) - 1) + r) >> PTO_ALPHA_SHIFT;
  }
  /* RFC 6298 §5.7: a valid sample ends the backoff. */
  st->backoff = 0;
}

static ptcp_duration pto_rto(const void *state, const void *params) {
  const pto_state *st = state;
  const pto_params *p = params;
  ptcp_duration base;

  if (st->have_sample)
    base = st->srtt + max_dur(PTO_K * st->rttvar, p->granularity) + p->max_ack_delay;
  else /* §6.2.1: no ACK-delay term during the handshake */
    base = p->initial_rtt + max_dur(PTO_K * (p->initial_rtt >> 1), p->granularity);
  /* §6.2.1: at least kGranularity; then x2 per expiry, up to max,
   * without shifting a bit out. */
  base = max_dur(base, p->granularity);
  if (base >= p->max || st->backoff >= PTO_SHIFT_LIMIT || base > (p->max >> st->backoff))
    return p->max;
  return base << st->backoff;
}

static void pto_on_timeout(void *state, const void *params, ptcp_time now) {
  pto_state *st = state;

  (void)params;
  (void)now;
  if (st->backoff < PTO_SHIFT_LIMIT)
    st->backoff++;
}

static ptcp_duration pto_srtt(const void *state) {
  const pto_state *st = state;

  return st->have_sample ? st->srtt : PTCP_TIME_NONE;
}

static const ptcp_rto_ops rto_pto = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_RTO,
            .name = "pto",
            .summary = "RFC 9002 PTO as RTO: SRTT + max(4 RTTVAR, 1 ms) + max_ack_delay, "
                       "no 1 s floor, x2 backoff, Karn",
            .state_size = sizeof(pto_state),
            .params_size = sizeof(pto_params),
            .params_default = &pto_defaults,
            .params = pto_param_table,
            .nparams = sizeof(pto_param_table) / sizeof(pto_param_table[0]),
        },
    .init = pto_init,
    .on_rtt_sample = pto_on_rtt_sample,
    .rto = pto_rto,
    .on_timeout = pto_on_timeout,
    .srtt = pto_srtt,
};

PTCP_PLUGIN(&rto_pto.info);

/*
 * plugsim: point-to-point links.  One transmitter, one drop-tail queue
 * and one wire per direction, modelled on ns-3's PointToPointNetDevice
 * + PointToPointChannel (a packet occupies the transmitter for its
 * serialisation time and arrives one propagation delay after that) with
 * netem's menu of impairments decided per packet at the start of its
 * transmission.  docs/simulator.md is the reference for the semantics.
 *
 * Random decisions: each impairment has its own stream, and each stage
 * that is switched on draws for every packet sent whatever the other
 * stages decided.  So the k-th packet's fate in one stage depends only
 * on (seed, link name, direction, stage, k) and that stage's parameters:
 * turning duplication on does not move the losses, and raising a
 * probability only adds events (psim_rng_bernoulli is monotone in p).
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include <plugsim/link.h>
#include <plugsim/rng.h>

enum {
  NDIRS = 2,
  BITS_PER_BYTE = 8,
  /* Events one transmission may schedule: its end, the arrival, and the
   * arrival of a duplicate. */
  EVENTS_PER_TX = 3,
  LABEL_MAX = PSIM_LINK_NAME_MAX + 32,
};

#define NS_PER_SECOND 1000000000ull
#define PI 3.141592653589793
#define DEFAULT_NAME "link"

/* The random stages, each with its own stream "<name>:<dir>/<stage>". */
enum stage {
  STAGE_LOSS,
  STAGE_GE,
  STAGE_DUP,
  STAGE_REORDER,
  STAGE_CORRUPT,
  STAGE_CORRUPT_BIT,
  STAGE_JITTER,
  NSTAGES,
};

static const char *const stage_names[NSTAGES] = {
    [STAGE_LOSS] = "loss",       [STAGE_GE] = "ge",
    [STAGE_DUP] = "dup",         [STAGE_REORDER] = "reorder",
    [STAGE_CORRUPT] = "corrupt", [STAGE_CORRUPT_BIT] = "corrupt-bit",
    [STAGE_JITTER] = "jitter",
};

static const char *const dir_names[NDIRS] = {"a->b", "b->a"};

typedef struct link_dir {
  psim_link *link;
  unsigned index;
  psim_link_dir_cfg cfg;    /* cfg.script points to |script| */
  psim_script_rule *script; /* owned copy, stably sorted by nth */
  size_t script_pos;        /* first rule not yet passed */
  ptcp_duration reorder_delay;
  int stages; /* a stage after the script is on (a random one or the delay profile) */
  int ge_bad;
  psim_rng rng[NSTAGES];

  /* The queue: packets waiting for the transmitter, linked by ->next. */
  psim_pkt *q_head, *q_tail;
  size_t q_len;
  int tx_busy;
  psim_event tx_done;

  /* The wire.  Packets that keep FIFO order (neither reordered nor
   * script-delayed) arrive in the order they left: they wait in a list
   * with one arrival event, for its head (->at is each one's arrival).
   * The others are doubly linked, each with its own event in ->ev.  So
   * the scheduler holds a handful of events per direction, not one per
   * packet in flight. */
  psim_pkt *fifo_head, *fifo_tail;
  size_t fifo_len;
  psim_event fifo_ev;
  psim_pkt *wire;
  size_t wire_len;
  /* The latest arrival of a packet that keeps FIFO order: jitter never
   * lets a packet arrive before it. */
  ptcp_time last_arrival;

  /* The receiver at the far end. */
  psim_link_deliver_fn deliver;
  void *deliver_ctx;
  psim_link_stats stats;
} link_dir;

struct psim_link {
  const ptcp_mem *mem;
  psim_sched *sched;
  psim_pool *pool;
  psim_link_trace_fn trace;
  void *trace_ctx;
  psim_link_fate_fn fate;
  void *fate_ctx;
  link_dir dir[NDIRS];
};

/* What the wire decided for one packet. */
typedef struct fate {
  psim_link_reason lost; /* NONE: it arrives */
  uint32_t marks;        /* PSIM_LINK_MARK_* */
  int duplicate;
  int random_corrupt;  /* flip a random bit (unless the script flips some) */
  ptcp_duration extra; /* reorder + script delays + jitter */
  size_t rules_begin;  /* the script rules for this packet: [begin, end) */
  size_t rules_end;
  int hook_corrupt; /* the fate hook flips |hook_bit| */
  uint32_t hook_bit;
} fate;

void psim_link_dir_cfg_init(psim_link_dir_cfg *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->queue_limit = PSIM_LINK_QUEUE_DEFAULT;
  /* Gilbert's original model: the bad state loses every packet. */
  cfg->ge.loss_bad = 1.0;
}

/* ------------------------------------------------------------------ */
/* Configuration                                                       */

/* False for NaN too. */
static int prob_ok(double p) { return p >= 0.0 && p <= 1.0; }

static int ge_on(const psim_gilbert_elliott *ge) {
  return ge->p > 0 || ge->loss_good > 0;
}

static int profile_ok(const psim_delay_profile *p) {
  switch (p->shape) {
  case PSIM_DELAY_NONE:
    return 1;
  case PSIM_DELAY_SQUARE:
  case PSIM_DELAY_TRIANGLE:
  case PSIM_DELAY_SINE:
    return p->period >= 2;
  }
  return 0;
}

const char *psim_delay_shape_name(psim_delay_shape shape) {
  switch (shape) {
  case PSIM_DELAY_NONE:
    return "none";
  case PSIM_DELAY_SQUARE:
    return "square";
  case PSIM_DELAY_TRIANGLE:
    return "triangle";
  case PSIM_DELAY_SINE:
    return "sine";
  }
  return NULL;
}

/* sin(x) for 0 <= x <= pi/2 from its Taylor series to x^13 (error below
 * 1e-10): only IEEE multiplications, divisions and additions, so every
 * machine computes the same delays, which libm's cos does not promise
 * (and libplugsim then needs no libm). */
static double sin_quadrant(double x) {
  double x2 = x * x, term = x, sum = x;

  for (int k = 1; k <= 6; k++) {
    term *= -x2 / (double)((2 * k) * (2 * k + 1));
    sum += term;
  }
  return sum;
}

ptcp_duration psim_delay_profile_at(const psim_delay_profile *p, ptcp_time t) {
  ptcp_duration phase, half;
  double x;

  if (p == NULL || p->shape == PSIM_DELAY_NONE || !profile_ok(p) || p->amplitude == 0)
    return 0;
  phase = t % p->period;
  half = p->period / 2;
  switch (p->shape) {
  case PSIM_DELAY_SQUARE:
    return phase < half ? 0 : p->amplitude;
  case PSIM_DELAY_TRIANGLE:
    /* The fraction of the way up, 0 at the ends, 1 in the middle. */
    x = phase < half ? (double)phase / (double)half
                     : (double)(p->period - phase) / (double)(p->period - half);
    break;
  case PSIM_DELAY_SINE: {
    /* (1 - cos(2 pi u)) / 2 = sin^2(pi u), symmetric about u = 1/2. */
    double u = (double)phase / (double)p->period;
    double s = sin_quadrant(PI * (u <= 0.5 ? u : 1.0 - u));
    x = s * s;
    break;
  }
  default:
    return 0;
  }
  if (!(x > 0.0))
    return 0;
  if (x >= 1.0)
    return p->amplitude;
  /* x < 1, so the product stays below the amplitude (an exact integer
   * would need 128-bit arithmetic); it is not negative, so adding a half
   * and truncating rounds to nearest. */
  return (ptcp_duration)(x * (double)p->amplitude + 0.5);
}

static int dir_cfg_ok(const psim_link_dir_cfg *c) {
  if (!prob_ok(c->loss) || !prob_ok(c->duplicate) || !prob_ok(c->reorder) ||
      !prob_ok(c->corrupt) || !prob_ok(c->ge.p) || !prob_ok(c->ge.r) ||
      !prob_ok(c->ge.loss_bad) || !prob_ok(c->ge.loss_good))
    return 0;
  /* A model that is on but can never lose is a configuration mistake
   * (typically a zeroed loss_bad), not a request for no loss. */
  if (ge_on(&c->ge) && c->ge.loss_bad == 0 && c->ge.loss_good == 0)
    return 0;
  if (!profile_ok(&c->delay_profile))
    return 0;
  if (c->script_len > 0 && c->script == NULL)
    return 0;
  for (size_t i = 0; i < c->script_len; i++) {
    const psim_script_rule *r = &c->script[i];

    if (r->nth == 0 || r->action < PSIM_SCRIPT_DROP || r->action > PSIM_SCRIPT_CORRUPT)
      return 0;
  }
  return 1;
}

/* Copies a direction's script and sorts it stably by nth. */
static int copy_script(psim_link *l, link_dir *d, const psim_script_rule *src, size_t n) {
  d->cfg.script = NULL;
  if (n == 0)
    return 0;
  if (n > SIZE_MAX / sizeof(*d->script))
    return PTCP_ERR_NOMEM;
  d->script = l->mem->malloc(n * sizeof(*d->script), l->mem->user_data);
  if (d->script == NULL)
    return PTCP_ERR_NOMEM;
  /* Insertion sort: scripts are short, and stability keeps the rules
   * for one packet in the order they were written. */
  for (size_t i = 0; i < n; i++) {
    size_t j = i;

    while (j > 0 && d->script[j - 1].nth > src[i].nth) {
      d->script[j] = d->script[j - 1];
      j--;
    }
    d->script[j] = src[i];
  }
  d->cfg.script = d->script;
  return 0;
}

static void init_streams(link_dir *d, const char *name, uint64_t seed) {
  char label[LABEL_MAX];

  for (int s = 0; s < NSTAGES; s++) {
    snprintf(label, sizeof(label), "%s:%s/%s", name, dir_names[d->index], stage_names[s]);
    psim_rng_init(&d->rng[s], seed, label);
  }
}

int psim_link_new(psim_link **plink, psim_sched *sched, psim_pool *pool,
                  const psim_link_cfg *cfg, const ptcp_mem *mem) {
  const char *name;
  psim_link *l;
  int rv;

  if (plink == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  *plink = NULL;
  if (sched == NULL || pool == NULL || cfg == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  name = cfg->name != NULL ? cfg->name : DEFAULT_NAME;
  if (strlen(name) > PSIM_LINK_NAME_MAX)
    return PTCP_ERR_INVALID_ARGUMENT;
  for (unsigned i = 0; i < NDIRS; i++)
    if (!dir_cfg_ok(&cfg->dir[i]))
      return PTCP_ERR_INVALID_ARGUMENT;
  if (mem == NULL)
    mem = ptcp_mem_default();
  l = mem->calloc(1, sizeof(*l), mem->user_data);
  if (l == NULL)
    return PTCP_ERR_NOMEM;
  l->mem = mem;
  l->sched = sched;
  l->pool = pool;
  for (unsigned i = 0; i < NDIRS; i++) {
    link_dir *d = &l->dir[i];

    d->link = l;
    d->index = i;
    d->cfg = cfg->dir[i];
    rv = copy_script(l, d, cfg->dir[i].script, cfg->dir[i].script_len);
    if (rv != 0) {
      psim_link_del(l);
      return rv;
    }
    d->reorder_delay = d->cfg.reorder_delay;
    if (d->reorder_delay == 0)
      d->reorder_delay = d->cfg.delay > 0 ? d->cfg.delay : PSIM_LINK_REORDER_DELAY_MIN;
    d->last_arrival = 0;
    d->stages = d->cfg.loss > 0 || ge_on(&d->cfg.ge) || d->cfg.duplicate > 0 ||
                d->cfg.reorder > 0 || d->cfg.corrupt > 0 || d->cfg.jitter > 0 ||
                d->cfg.delay_profile.shape != PSIM_DELAY_NONE;
    init_streams(d, name, cfg->seed);
  }
  *plink = l;
  return 0;
}

void psim_link_del(psim_link *l) {
  if (l == NULL)
    return;
  for (unsigned i = 0; i < NDIRS; i++) {
    link_dir *d = &l->dir[i];
    psim_pkt *p;

    psim_sched_cancel(l->sched, d->tx_done);
    while ((p = d->q_head) != NULL) {
      d->q_head = p->next;
      psim_pkt_free(p);
    }
    while ((p = d->wire) != NULL) {
      d->wire = p->next;
      psim_sched_cancel(l->sched, p->ev);
      psim_pkt_free(p);
    }
    psim_sched_cancel(l->sched, d->fifo_ev);
    while ((p = d->fifo_head) != NULL) {
      d->fifo_head = p->next;
      psim_pkt_free(p);
    }
    l->mem->free(d->script, l->mem->user_data);
  }
  l->mem->free(l, l->mem->user_data);
}

int psim_link_attach(psim_link *l, unsigned end, psim_link_deliver_fn fn, void *ctx) {
  link_dir *d;

  if (l == NULL || end >= NDIRS)
    return PTCP_ERR_INVALID_ARGUMENT;
  /* The receiver at |end| gets what travels towards it: the other
   * end's direction. */
  d = &l->dir[end ^ 1u];
  d->deliver = fn;
  d->deliver_ctx = fn != NULL ? ctx : NULL;
  return 0;
}

void psim_link_set_trace(psim_link *l, psim_link_trace_fn fn, void *ctx) {
  l->trace = fn;
  l->trace_ctx = fn != NULL ? ctx : NULL;
}

void psim_link_set_fate(psim_link *l, psim_link_fate_fn fn, void *ctx) {
  l->fate = fn;
  l->fate_ctx = fn != NULL ? ctx : NULL;
}

const psim_link_stats *psim_link_get_stats(const psim_link *l, unsigned dir) {
  return l != NULL && dir < NDIRS ? &l->dir[dir].stats : NULL;
}

size_t psim_link_queued(const psim_link *l, unsigned dir) {
  return dir < NDIRS ? l->dir[dir].q_len : 0;
}

size_t psim_link_in_flight(const psim_link *l, unsigned dir) {
  return dir < NDIRS ? l->dir[dir].wire_len + l->dir[dir].fifo_len : 0;
}

/* ------------------------------------------------------------------ */
/* Tracing                                                             */

static void emit_event(link_dir *d, psim_link_event_kind kind, psim_link_reason reason,
                       const psim_pkt *pkt, uint32_t marks, ptcp_time arrival) {
  psim_link *l = d->link;
  psim_link_event ev;

  ev.link = l;
  ev.dir = d->index;
  ev.kind = kind;
  ev.reason = reason;
  ev.now = psim_sched_now(l->sched);
  ev.arrival = arrival;
  ev.nth = pkt->tag;
  ev.marks = marks;
  ev.data = pkt->data;
  ev.len = pkt->len;
  l->trace(l->trace_ctx, &ev);
}

/* Three per packet: the test is inline, the event built only for a hook. */
static inline void emit(link_dir *d, psim_link_event_kind kind, psim_link_reason reason,
                        const psim_pkt *pkt, uint32_t marks, ptcp_time arrival) {
  if (d->link->trace != NULL)
    emit_event(d, kind, reason, pkt, marks, arrival);
}

/* ------------------------------------------------------------------ */
/* The wire                                                            */

/* Serialisation time of |len| bytes: ceil(8 len 10^9 / rate) ns, in
 * integers.  For an IP packet (at most 65535 bytes) the product stays
 * below 2^59; absurdly long buffers saturate instead of wrapping. */
static ptcp_duration tx_time(const link_dir *d, size_t len) {
  uint64_t num, q;

  if (d->cfg.rate_bps == 0)
    return 0;
  if (len > UINT64_MAX / (BITS_PER_BYTE * NS_PER_SECOND))
    return PTCP_TIME_NONE - 1;
  num = (uint64_t)len * BITS_PER_BYTE * NS_PER_SECOND;
  q = num / d->cfg.rate_bps;
  return num % d->cfg.rate_bps != 0 ? q + 1 : q;
}

/* Flips bit |bit| (RFC numbering: 0 is the MSB of byte 0) of |pkt|. */
static void flip_bit(psim_pkt *pkt, uint64_t bit) {
  pkt->data[bit / BITS_PER_BYTE] ^= (uint8_t)(0x80u >> (bit % BITS_PER_BYTE));
}

/* Finds the script rules for packet |nth| and records their effects in
 * |f|; CORRUPT rules are applied later, by corrupt(). */
static void apply_script(link_dir *d, uint64_t nth, fate *f) {
  while (d->script_pos < d->cfg.script_len && d->script[d->script_pos].nth < nth)
    d->script_pos++;
  f->rules_begin = d->script_pos;
  for (; d->script_pos < d->cfg.script_len && d->script[d->script_pos].nth == nth;
       d->script_pos++) {
    const psim_script_rule *r = &d->script[d->script_pos];

    d->stats.scripted++;
    f->marks |= PSIM_LINK_MARK_SCRIPTED;
    switch (r->action) {
    case PSIM_SCRIPT_DROP:
      f->lost = PSIM_LINK_REASON_SCRIPT;
      break;
    case PSIM_SCRIPT_DUPLICATE:
      f->duplicate = 1;
      break;
    case PSIM_SCRIPT_DELAY:
      f->extra = ptcp_time_add(f->extra, r->delay);
      f->marks |= PSIM_LINK_MARK_DELAYED;
      break;
    case PSIM_SCRIPT_CORRUPT:
      f->marks |= PSIM_LINK_MARK_CORRUPTED;
      break;
    }
  }
  f->rules_end = d->script_pos;
}

/* Asks the fate hook about |pkt| and adds its decisions to |f|, as
 * script rules for the packet would be. */
static void apply_hook(link_dir *d, const psim_pkt *pkt, fate *f) {
  psim_link *l = d->link;
  psim_link_event ev;
  psim_link_fate hf;

  memset(&ev, 0, sizeof(ev));
  ev.link = l;
  ev.dir = d->index;
  ev.kind = PSIM_LINK_EV_TX;
  ev.now = psim_sched_now(l->sched);
  ev.arrival = PTCP_TIME_NONE;
  ev.nth = pkt->tag;
  ev.data = pkt->data;
  ev.len = pkt->len;
  memset(&hf, 0, sizeof(hf));
  l->fate(l->fate_ctx, &ev, &hf);
  if (!hf.drop && !hf.duplicate && !hf.corrupt && hf.delay == 0)
    return;
  d->stats.scripted++;
  f->marks |= PSIM_LINK_MARK_SCRIPTED;
  if (hf.drop)
    f->lost = PSIM_LINK_REASON_SCRIPT;
  if (hf.duplicate)
    f->duplicate = 1;
  if (hf.delay > 0) {
    f->extra = ptcp_time_add(f->extra, hf.delay);
    f->marks |= PSIM_LINK_MARK_DELAYED;
  }
  if (hf.corrupt) {
    f->hook_corrupt = 1;
    f->hook_bit = hf.bit;
    f->marks |= PSIM_LINK_MARK_CORRUPTED;
  }
}

/* One step of the Gilbert-Elliott chain.  As netem's loss_gilb_ell: the
 * transition is drawn first, then the loss, against the loss
 * probability of the state the packet found. */
static int ge_step(link_dir *d) {
  const psim_gilbert_elliott *ge = &d->cfg.ge;
  psim_rng *rng = &d->rng[STAGE_GE];
  int was_bad = d->ge_bad;

  if (was_bad) {
    if (psim_rng_bernoulli(rng, ge->r))
      d->ge_bad = 0;
  } else if (psim_rng_bernoulli(rng, ge->p)) {
    d->ge_bad = 1;
  }
  return psim_rng_bernoulli(rng, was_bad ? ge->loss_bad : ge->loss_good);
}

/* Decides the wire's fate of |pkt|: script rules, the fate hook, then
 * each random stage in the documented order.  Does not touch the
 * packet. */
static void decide(link_dir *d, const psim_pkt *pkt, fate *f) {
  const psim_link_dir_cfg *c = &d->cfg;
  int lost_random = 0, lost_burst = 0;

  memset(f, 0, sizeof(*f));
  apply_script(d, pkt->tag, f);
  if (d->link->fate != NULL)
    apply_hook(d, pkt, f);
  if (!d->stages) {
    /* A clean direction: only the script and the hook can have said
     * something. */
    if (f->duplicate)
      f->marks |= PSIM_LINK_MARK_DUPLICATED;
    return;
  }
  if (c->loss > 0)
    lost_random = psim_rng_bernoulli(&d->rng[STAGE_LOSS], c->loss);
  if (ge_on(&c->ge))
    lost_burst = ge_step(d);
  if (c->duplicate > 0 && psim_rng_bernoulli(&d->rng[STAGE_DUP], c->duplicate))
    f->duplicate = 1;
  if (c->reorder > 0 && psim_rng_bernoulli(&d->rng[STAGE_REORDER], c->reorder)) {
    f->extra = ptcp_time_add(f->extra, d->reorder_delay);
    f->marks |= PSIM_LINK_MARK_REORDERED;
  }
  if (c->corrupt > 0 && psim_rng_bernoulli(&d->rng[STAGE_CORRUPT], c->corrupt)) {
    f->random_corrupt = 1;
    f->marks |= PSIM_LINK_MARK_CORRUPTED;
  }
  if (c->jitter > 0) {
    psim_rng *rng = &d->rng[STAGE_JITTER];
    uint64_t j =
        c->jitter == UINT64_MAX ? psim_rng_u64(rng) : psim_rng_below(rng, c->jitter + 1);

    f->extra = ptcp_time_add(f->extra, j);
  }
  /* Not random: the profile's value when the transmission starts. */
  f->extra = ptcp_time_add(
      f->extra, psim_delay_profile_at(&c->delay_profile, psim_sched_now(d->link->sched)));
  /* One cause per lost packet, the most specific first. */
  if (f->lost == PSIM_LINK_REASON_NONE) {
    if (lost_random)
      f->lost = PSIM_LINK_REASON_LOSS;
    else if (lost_burst)
      f->lost = PSIM_LINK_REASON_BURST_LOSS;
  }
  if (f->duplicate)
    f->marks |= PSIM_LINK_MARK_DUPLICATED;
}

/* Flips the bits the fate calls for: every script CORRUPT bit and the
 * fate hook's or, when there is none, one uniformly chosen bit.
 * (Drawing the random bit position only when it is used is fine: it has
 * a stream of its own.) */
static void corrupt(link_dir *d, psim_pkt *pkt, const fate *f) {
  uint64_t nbits = (uint64_t)pkt->len * BITS_PER_BYTE;
  int scripted = 0;

  if (nbits == 0)
    return;
  for (size_t i = f->rules_begin; i < f->rules_end; i++) {
    if (d->script[i].action == PSIM_SCRIPT_CORRUPT) {
      flip_bit(pkt, d->script[i].bit % nbits);
      scripted = 1;
    }
  }
  if (f->hook_corrupt) {
    flip_bit(pkt, f->hook_bit % nbits);
    scripted = 1;
  }
  if (!scripted && f->random_corrupt)
    flip_bit(pkt, psim_rng_below(&d->rng[STAGE_CORRUPT_BIT], nbits));
}

static void arrive(psim_sched *sched, ptcp_time now, void *a, void *b);
static void arrive_fifo(psim_sched *sched, ptcp_time now, void *a, void *b);
static void tx_done(psim_sched *sched, ptcp_time now, void *a, void *b);

/* Puts |pkt| on the wire to arrive at |at|, in FIFO order unless |fifo|
 * is 0.  The transmission reserved room for the events, so scheduling
 * cannot fail. */
static void launch(link_dir *d, psim_pkt *pkt, ptcp_time at, int fifo) {
  int rv;

  if (fifo) {
    pkt->at = at;
    pkt->next = pkt->prev = NULL;
    if (d->fifo_tail != NULL) {
      d->fifo_tail->next = pkt;
    } else {
      d->fifo_head = pkt;
      rv = psim_sched_at(d->link->sched, at, arrive_fifo, d, NULL, &d->fifo_ev);
      (void)rv;
    }
    d->fifo_tail = pkt;
    d->fifo_len++;
    return;
  }
  rv = psim_sched_at(d->link->sched, at, arrive, d, pkt, &pkt->ev);
  (void)rv;
  pkt->prev = NULL;
  pkt->next = d->wire;
  if (d->wire != NULL)
    d->wire->prev = pkt;
  d->wire = pkt;
  d->wire_len++;
}

/* Starts transmitting |pkt| now: occupies the transmitter for its
 * serialisation time, decides its fate on the wire and launches what
 * survives.  The caller reserved EVENTS_PER_TX scheduler entries. */
static void transmit(link_dir *d, psim_pkt *pkt) {
  psim_link *l = d->link;
  ptcp_time now = psim_sched_now(l->sched);
  ptcp_duration ser = tx_time(d, pkt->len);
  ptcp_time arrival;
  psim_pkt *copy = NULL;
  fate f;

  d->stats.sent++;
  d->stats.bytes += pkt->len;
  if (ser > 0) {
    d->tx_busy = 1;
    (void)psim_sched_at(l->sched, ptcp_time_add(now, ser), tx_done, d, NULL, &d->tx_done);
  }
  decide(d, pkt, &f);
  if (f.lost != PSIM_LINK_REASON_NONE) {
    d->stats.lost++;
    if (f.lost == PSIM_LINK_REASON_BURST_LOSS)
      d->stats.lost_burst++;
    emit(d, PSIM_LINK_EV_TX, PSIM_LINK_REASON_NONE, pkt, f.marks, PTCP_TIME_NONE);
    emit(d, PSIM_LINK_EV_DROP, f.lost, pkt, f.marks, PTCP_TIME_NONE);
    psim_pkt_free(pkt);
    return;
  }
  arrival = ptcp_time_add(ptcp_time_add(ptcp_time_add(now, ser), d->cfg.delay), f.extra);
  if (f.marks & (PSIM_LINK_MARK_REORDERED | PSIM_LINK_MARK_DELAYED)) {
    /* Held back on purpose: others may overtake it, and it does not
     * hold them back. */
    if (f.marks & PSIM_LINK_MARK_REORDERED)
      d->stats.reordered++;
  } else {
    /* FIFO: jitter may bunch packets up but never swaps them. */
    if (arrival < d->last_arrival)
      arrival = d->last_arrival;
    d->last_arrival = arrival;
  }
  emit(d, PSIM_LINK_EV_TX, PSIM_LINK_REASON_NONE, pkt, f.marks, arrival);
  /* The copy is made before the bits flip: duplication happens at the
   * sender, corruption on the wire. */
  if (f.duplicate) {
    if (psim_pkt_dup(pkt, &copy) == 0) {
      copy->tag = pkt->tag;
      copy->flags = (f.marks | PSIM_LINK_MARK_DUPLICATE) &
                    ~(uint32_t)(PSIM_LINK_MARK_DUPLICATED | PSIM_LINK_MARK_CORRUPTED);
      d->stats.duplicated++;
    } else {
      d->stats.dup_failed++;
    }
  }
  if (f.marks & PSIM_LINK_MARK_CORRUPTED) {
    corrupt(d, pkt, &f);
    d->stats.corrupted++;
  }
  pkt->flags = f.marks;
  {
    int fifo = !(f.marks & (PSIM_LINK_MARK_REORDERED | PSIM_LINK_MARK_DELAYED));
    launch(d, pkt, arrival, fifo);
    /* Same arrival time, launched after the original: it arrives right
     * after it. */
    if (copy != NULL)
      launch(d, copy, arrival, fifo);
  }
}

/* Room in the scheduler for one transmission's events. */
static int reserve_tx(link_dir *d) {
  psim_sched *s = d->link->sched;

  return psim_sched_reserve(s, psim_sched_size(s) + EVENTS_PER_TX);
}

/* Feeds the transmitter from the queue while it is idle (with rate 0 it
 * never is busy, and the queue drains at once). */
static int start_next(link_dir *d) {
  while (!d->tx_busy && d->q_head != NULL) {
    psim_pkt *pkt = d->q_head;
    int rv = reserve_tx(d);

    if (rv != 0)
      return rv;
    d->q_head = pkt->next;
    if (d->q_head == NULL)
      d->q_tail = NULL;
    d->q_len--;
    pkt->next = NULL;
    transmit(d, pkt);
  }
  return 0;
}

static void tx_done(psim_sched *sched, ptcp_time now, void *a, void *b) {
  link_dir *d = a;
  int rv;

  (void)now;
  (void)b;
  d->tx_busy = 0;
  d->tx_done = PSIM_EVENT_NONE;
  rv = start_next(d);
  /* Out of memory inside the simulation: nothing sensible can go on.
   * The packet stays queued; the run returns the error. */
  if (rv != 0)
    psim_sched_stop(sched, rv);
}

int psim_link_send(psim_link *l, unsigned from, psim_pkt *pkt) {
  link_dir *d;
  int rv;

  if (l == NULL || pkt == NULL || from >= NDIRS)
    return PTCP_ERR_INVALID_ARGUMENT;
  d = &l->dir[from];
  /* Reserve before taking the packet, so a failure leaves it with the
   * caller and the link unchanged. */
  if (!d->tx_busy) {
    rv = reserve_tx(d);
    if (rv != 0)
      return rv;
  }
  pkt->tag = ++d->stats.offered;
  pkt->flags = 0;
  pkt->next = pkt->prev = NULL;
  pkt->ev = PSIM_EVENT_NONE;
  if (d->tx_busy && d->q_len >= d->cfg.queue_limit) {
    d->stats.dropped_queue++;
    emit(d, PSIM_LINK_EV_DROP, PSIM_LINK_REASON_QUEUE_FULL, pkt, 0, PTCP_TIME_NONE);
    psim_pkt_free(pkt);
    return 1;
  }
  emit(d, PSIM_LINK_EV_ENQUEUE, PSIM_LINK_REASON_NONE, pkt, 0, PTCP_TIME_NONE);
  if (d->q_tail != NULL)
    d->q_tail->next = pkt;
  else
    d->q_head = pkt;
  d->q_tail = pkt;
  d->q_len++;
  /* The link owns the packet now, so no error may be returned from
   * here on.  None can occur: room was reserved above, and the
   * transmitter takes one packet (at rate 0 the queue was empty). */
  rv = start_next(d);
  assert(rv == 0);
  (void)rv;
  return 0;
}

static void deliver(link_dir *d, psim_pkt *pkt, ptcp_time now);

/* A packet that does not keep FIFO order reaches the far end. */
static void arrive(psim_sched *sched, ptcp_time now, void *a, void *b) {
  link_dir *d = a;
  psim_pkt *pkt = b;

  (void)sched;
  if (pkt->prev != NULL)
    pkt->prev->next = pkt->next;
  else
    d->wire = pkt->next;
  if (pkt->next != NULL)
    pkt->next->prev = pkt->prev;
  d->wire_len--;
  pkt->next = pkt->prev = NULL;
  pkt->ev = PSIM_EVENT_NONE;
  deliver(d, pkt, now);
}

/* The head of the FIFO reaches the far end, and with it every packet
 * due at the same instant (a duplicate right after its original), as
 * when each had its own event; then the event moves to the next one. */
static void arrive_fifo(psim_sched *sched, ptcp_time now, void *a, void *b) {
  link_dir *d = a;

  (void)b;
  d->fifo_ev = PSIM_EVENT_NONE;
  while (d->fifo_head != NULL && d->fifo_head->at <= now) {
    psim_pkt *pkt = d->fifo_head;

    d->fifo_head = pkt->next;
    if (d->fifo_head == NULL)
      d->fifo_tail = NULL;
    d->fifo_len--;
    pkt->next = NULL;
    deliver(d, pkt, now);
  }
  /* The receiver may have sent on this link; a packet it launched into
   * an empty FIFO has its event already. */
  if (d->fifo_head != NULL && !psim_sched_pending(sched, d->fifo_ev)) {
    int rv = psim_sched_at(sched, d->fifo_head->at, arrive_fifo, d, NULL, &d->fifo_ev);
    (void)rv; /* this event's own slot was just freed: there is room */
  }
}

static void deliver(link_dir *d, psim_pkt *pkt, ptcp_time now) {
  if (d->deliver == NULL) {
    d->stats.undeliverable++;
    emit(d, PSIM_LINK_EV_DROP, PSIM_LINK_REASON_NO_RECEIVER, pkt, pkt->flags,
         PTCP_TIME_NONE);
    psim_pkt_free(pkt);
    return;
  }
  d->stats.delivered++;
  d->stats.bytes_delivered += pkt->len;
  emit(d, PSIM_LINK_EV_DELIVER, PSIM_LINK_REASON_NONE, pkt, pkt->flags, now);
  d->deliver(d->deliver_ctx, pkt, now);
}

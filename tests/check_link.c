/*
 * Tests for plugsim/link.h: exact serialisation and propagation timing,
 * drop-tail overflow, every impairment's rate over 10^5 packets for a
 * fixed seed (exact counts pinned, and each within a loose statistical
 * range), FIFO under jitter, delay profiles, the exact script,
 * determinism, tracing and clean-up, and the fate hook that decides
 * packet by packet.
 *
 * Test packets are valid IPv4/TCP packets (tests/sim_test_util.c) whose
 * sequence number is their send order, so a receiver can tell which
 * packet arrived and whether its checksums still verify.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <plugsim/link.h>
#include <plugtcp/wire.h>

#include "sim_test_util.h"

Suite *psim_link_suite(void);

#define MS PTCP_MILLISECONDS
#define US PTCP_MICROSECONDS
#define NPKTS 100000
/* Where test_build_tcp4 puts the TCP sequence number: after the 20-byte
 * IPv4 header, at offset 4 of the TCP header. */
#define SEQ_OFF (20 + 4)

/* ---- fixture ------------------------------------------------------- */

/* One trace event, as recorded. */
typedef struct rec {
  psim_link_event_kind kind;
  psim_link_reason reason;
  unsigned dir;
  uint64_t nth;
  uint32_t id;
  uint32_t marks;
  ptcp_time now;
  ptcp_time arrival;
  size_t len;
  int ok;         /* both checksums verify */
  int flipped;    /* DELIVER: bits that differ from the packet as built */
  uint64_t first; /* DELIVER: the first differing bit (RFC numbering) */
} rec;

typedef struct world {
  psim_sched *sched;
  psim_pool *pool;
  psim_link *link;
  rec *ev;
  size_t nev, capev;
  uint64_t rx_count[2]; /* packets received at end A, end B */

  /* The sender's state. */
  unsigned from;
  uint32_t to_send, sent;
  ptcp_duration interval;
  size_t len;
} world;

static uint32_t pkt_id(const uint8_t *data, size_t len) {
  ck_assert_uint_ge(len, SEQ_OFF + 4);
  return (uint32_t)data[SEQ_OFF] << 24 | (uint32_t)data[SEQ_OFF + 1] << 16 |
         (uint32_t)data[SEQ_OFF + 2] << 8 | data[SEQ_OFF + 3];
}

/* Compares a delivered packet with packet |nth| as send_pkt built it. */
static void diff_bits(rec *r, const psim_link_event *ev) {
  uint8_t orig[PSIM_PKT_BUF_DEFAULT];

  ck_assert_uint_eq(test_build_tcp4(orig, sizeof(orig), 1000, (uint32_t)ev->nth, PTCP_ACK,
                                    ev->len - 40),
                    ev->len);
  r->flipped = 0;
  r->first = UINT64_MAX;
  for (size_t i = 0; i < ev->len; i++) {
    uint8_t x = orig[i] ^ ev->data[i];

    if (x == 0)
      continue;
    r->flipped += __builtin_popcount(x);
    if (r->first == UINT64_MAX)
      r->first =
          8 * i + (uint64_t)__builtin_clz((unsigned)x) - (8 * sizeof(unsigned) - 8);
  }
}

static void trace_fn(void *ctx, const psim_link_event *ev) {
  world *w = ctx;
  rec *r;

  if (w->nev == w->capev) {
    w->capev = w->capev ? w->capev * 2 : 1024;
    w->ev = realloc(w->ev, w->capev * sizeof(*w->ev));
    ck_assert_ptr_nonnull(w->ev);
  }
  ck_assert_ptr_eq(ev->link, w->link);
  ck_assert_uint_eq(ev->now, psim_sched_now(w->sched));
  r = &w->ev[w->nev++];
  r->kind = ev->kind;
  r->reason = ev->reason;
  r->dir = ev->dir;
  r->nth = ev->nth;
  r->id = pkt_id(ev->data, ev->len);
  r->marks = ev->marks;
  r->now = ev->now;
  r->arrival = ev->arrival;
  r->len = ev->len;
  r->ok = test_packet_ok(ev->data, ev->len);
  if (ev->kind == PSIM_LINK_EV_DELIVER)
    diff_bits(r, ev);
}

static void rx_a(void *ctx, psim_pkt *pkt, ptcp_time now) {
  world *w = ctx;

  (void)now;
  w->rx_count[PSIM_LINK_A]++;
  psim_pkt_free(pkt);
}

static void rx_b(void *ctx, psim_pkt *pkt, ptcp_time now) {
  world *w = ctx;

  (void)now;
  w->rx_count[PSIM_LINK_B]++;
  psim_pkt_free(pkt);
}

static void world_init(world *w, const psim_link_cfg *cfg) {
  memset(w, 0, sizeof(*w));
  ck_assert_int_eq(psim_sched_new(&w->sched, NULL, 0), 0);
  ck_assert_int_eq(psim_pool_new(&w->pool, NULL, NULL), 0);
  ck_assert_int_eq(psim_link_new(&w->link, w->sched, w->pool, cfg, NULL), 0);
  ck_assert_int_eq(psim_link_attach(w->link, PSIM_LINK_A, rx_a, w), 0);
  ck_assert_int_eq(psim_link_attach(w->link, PSIM_LINK_B, rx_b, w), 0);
  psim_link_set_trace(w->link, trace_fn, w);
}

/* Checks the counters' conservation laws, then frees everything. */
static void check_conservation(const world *w, unsigned dir) {
  const psim_link_stats *st = psim_link_get_stats(w->link, dir);

  ck_assert_uint_eq(st->offered,
                    st->dropped_queue + st->sent + psim_link_queued(w->link, dir));
  ck_assert_uint_eq(st->sent + st->duplicated, st->lost + st->delivered +
                                                   st->undeliverable +
                                                   psim_link_in_flight(w->link, dir));
}

static void world_free(world *w) {
  check_conservation(w, PSIM_LINK_A);
  check_conservation(w, PSIM_LINK_B);
  psim_link_del(w->link);
  ck_assert_uint_eq(psim_pool_get_stats(w->pool)->in_use, 0);
  psim_pool_del(w->pool);
  psim_sched_del(w->sched);
  free(w->ev);
}

/* Sends packet |id| of |len| bytes from |from| now; returns send's result. */
static int send_pkt(world *w, unsigned from, uint32_t id, size_t len) {
  uint8_t buf[PSIM_PKT_BUF_DEFAULT];
  psim_pkt *pkt = NULL;
  size_t n;

  ck_assert_uint_ge(len, 40);
  n = test_build_tcp4(buf, sizeof(buf), 1000, id, PTCP_ACK, len - 40);
  ck_assert_uint_eq(n, len);
  ck_assert_int_eq(psim_pkt_copy_in(w->pool, buf, n, &pkt), 0);
  return psim_link_send(w->link, from, pkt);
}

/* The sender: one packet every |interval|, ids 1..to_send. */
static void sender_fn(psim_sched *s, ptcp_time now, void *a, void *b) {
  world *w = a;

  (void)now;
  (void)b;
  ck_assert_int_ge(send_pkt(w, w->from, ++w->sent, w->len), 0);
  if (w->sent < w->to_send)
    ck_assert_int_eq(psim_sched_after(s, w->interval, sender_fn, w, NULL, NULL), 0);
}

static void run_traffic(world *w, unsigned from, uint32_t n, ptcp_duration interval,
                        size_t len) {
  w->from = from;
  w->to_send = n;
  w->sent = 0;
  w->interval = interval;
  w->len = len;
  ck_assert_int_eq(psim_sched_after(w->sched, 0, sender_fn, w, NULL, NULL), 0);
  ck_assert_int_eq(psim_sched_run(w->sched), 0);
  ck_assert_uint_eq(w->sent, n);
}

static size_t count_kind(const world *w, psim_link_event_kind kind) {
  size_t n = 0;

  for (size_t i = 0; i < w->nev; i++)
    n += w->ev[i].kind == kind;
  return n;
}

/* The i-th event of |kind|, or NULL. */
static const rec *nth_kind(const world *w, psim_link_event_kind kind, size_t i) {
  for (size_t k = 0; k < w->nev; k++)
    if (w->ev[k].kind == kind && i-- == 0)
      return &w->ev[k];
  return NULL;
}

static psim_link_cfg plain_cfg(void) {
  psim_link_cfg cfg;

  memset(&cfg, 0, sizeof(cfg));
  cfg.name = "link0";
  cfg.seed = 42;
  psim_link_dir_cfg_init(&cfg.dir[0]);
  psim_link_dir_cfg_init(&cfg.dir[1]);
  return cfg;
}

/* ---- timing and queueing ------------------------------------------- */

START_TEST(test_link_serialization_and_propagation_exact) {
  psim_link_cfg cfg = plain_cfg();
  world w;

  /* 8 Mb/s: one byte per microsecond. */
  cfg.dir[0].rate_bps = 8000000;
  cfg.dir[0].delay = 10 * MS;
  world_init(&w, &cfg);
  for (uint32_t i = 1; i <= 3; i++)
    ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, i, 1000), 0);
  ck_assert_uint_eq(psim_link_queued(w.link, 0), 2);
  ck_assert_int_eq(psim_sched_run_until(w.sched, 100 * MS), 0);
  /* Back to back: each waits for the one before. */
  ck_assert_uint_eq(count_kind(&w, PSIM_LINK_EV_DELIVER), 3);
  for (size_t i = 0; i < 3; i++) {
    const rec *tx = nth_kind(&w, PSIM_LINK_EV_TX, i);
    const rec *rx = nth_kind(&w, PSIM_LINK_EV_DELIVER, i);

    ck_assert_uint_eq(tx->now, i * MS);
    ck_assert_uint_eq(rx->id, i + 1);
    ck_assert_uint_eq(rx->now, (i + 1) * MS + 10 * MS);
    ck_assert_uint_eq(tx->arrival, rx->now);
  }
  /* An idle link starts at once: sent at 100 ms, 40 bytes = 40 us. */
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, 4, 40), 0);
  ck_assert_int_eq(psim_sched_run(w.sched), 0);
  ck_assert_uint_eq(nth_kind(&w, PSIM_LINK_EV_DELIVER, 3)->now,
                    100 * MS + 40 * US + 10 * MS);
  ck_assert_uint_eq(w.rx_count[PSIM_LINK_B], 4);
  ck_assert_uint_eq(psim_link_get_stats(w.link, 0)->bytes, 3040);
  ck_assert_uint_eq(psim_link_get_stats(w.link, 0)->bytes_delivered, 3040);
  world_free(&w);
}
END_TEST

START_TEST(test_link_serialization_rounds_up) {
  psim_link_cfg cfg = plain_cfg();
  world w;

  /* 3 kb/s: 40 bytes take 320/3000 s = 106666666.67 ns, rounded up. */
  cfg.dir[0].rate_bps = 3000;
  world_init(&w, &cfg);
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, 1, 40), 0);
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, 2, 40), 0);
  ck_assert_int_eq(psim_sched_run(w.sched), 0);
  ck_assert_uint_eq(nth_kind(&w, PSIM_LINK_EV_DELIVER, 0)->now, 106666667);
  ck_assert_uint_eq(nth_kind(&w, PSIM_LINK_EV_DELIVER, 1)->now, 2 * 106666667);
  world_free(&w);
}
END_TEST

START_TEST(test_link_infinite_rate) {
  psim_link_cfg cfg = plain_cfg();
  world w;

  /* Rate 0 and no queue: everything goes at once, in order. */
  cfg.dir[0].delay = 5 * MS;
  cfg.dir[0].queue_limit = 0;
  world_init(&w, &cfg);
  for (uint32_t i = 1; i <= 50; i++)
    ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, i, 1500), 0);
  ck_assert_uint_eq(psim_link_in_flight(w.link, 0), 50);
  ck_assert_int_eq(psim_sched_run(w.sched), 0);
  for (size_t i = 0; i < 50; i++) {
    const rec *rx = nth_kind(&w, PSIM_LINK_EV_DELIVER, i);

    ck_assert_uint_eq(rx->id, i + 1);
    ck_assert_uint_eq(rx->now, 5 * MS);
  }
  world_free(&w);
}
END_TEST

START_TEST(test_link_queue_overflow_drops_exactly) {
  psim_link_cfg cfg = plain_cfg();
  world w;
  size_t k = 0;

  cfg.dir[0].rate_bps = 8000000;
  cfg.dir[0].delay = 1 * MS;
  cfg.dir[0].queue_limit = 3;
  world_init(&w, &cfg);
  /* 1 goes to the transmitter, 2-4 wait, 5-10 find the queue full. */
  for (uint32_t i = 1; i <= 10; i++)
    ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, i, 500), i <= 4 ? 0 : 1);
  ck_assert_uint_eq(psim_link_queued(w.link, 0), 3);
  /* At 0.5 ms packet 1 is done and 2 starts: there is room again. */
  ck_assert_int_eq(psim_sched_run_until(w.sched, 500 * US), 0);
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, 11, 500), 0);
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, 12, 500), 1);
  ck_assert_int_eq(psim_sched_run(w.sched), 0);
  {
    const psim_link_stats *st = psim_link_get_stats(w.link, 0);

    ck_assert_uint_eq(st->offered, 12);
    ck_assert_uint_eq(st->dropped_queue, 7);
    ck_assert_uint_eq(st->sent, 5);
    ck_assert_uint_eq(st->delivered, 5);
  }
  for (size_t i = 0; i < w.nev; i++) {
    if (w.ev[i].kind != PSIM_LINK_EV_DROP)
      continue;
    ck_assert_int_eq(w.ev[i].reason, PSIM_LINK_REASON_QUEUE_FULL);
    ck_assert_uint_eq(w.ev[i].id, k < 6 ? k + 5 : 12);
    ck_assert_uint_eq(w.ev[i].nth, w.ev[i].id);
    k++;
  }
  ck_assert_uint_eq(k, 7);
  {
    static const uint32_t order[] = {1, 2, 3, 4, 11};

    for (size_t i = 0; i < 5; i++) {
      const rec *rx = nth_kind(&w, PSIM_LINK_EV_DELIVER, i);

      ck_assert_uint_eq(rx->id, order[i]);
      ck_assert_uint_eq(rx->now, (i + 1) * 500 * US + 1 * MS);
    }
  }
  world_free(&w);
}
END_TEST

START_TEST(test_link_queue_limit_zero) {
  psim_link_cfg cfg = plain_cfg();
  world w;

  cfg.dir[0].rate_bps = 8000000;
  cfg.dir[0].queue_limit = 0;
  world_init(&w, &cfg);
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, 1, 100), 0);
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, 2, 100), 1);
  ck_assert_int_eq(psim_sched_run(w.sched), 0);
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, 3, 100), 0);
  ck_assert_int_eq(psim_sched_run(w.sched), 0);
  ck_assert_uint_eq(w.rx_count[PSIM_LINK_B], 2);
  world_free(&w);
}
END_TEST

START_TEST(test_link_directions_are_independent) {
  psim_link_cfg cfg = plain_cfg();
  world w;

  cfg.dir[0].rate_bps = 8000000;
  cfg.dir[0].delay = 1 * MS;
  cfg.dir[1].rate_bps = 80000000;
  cfg.dir[1].delay = 3 * MS;
  world_init(&w, &cfg);
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, 1, 1000), 0);
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_B, 2, 1000), 0);
  ck_assert_int_eq(psim_sched_run(w.sched), 0);
  ck_assert_uint_eq(w.rx_count[PSIM_LINK_A], 1);
  ck_assert_uint_eq(w.rx_count[PSIM_LINK_B], 1);
  {
    const rec *first = nth_kind(&w, PSIM_LINK_EV_DELIVER, 0);
    const rec *second = nth_kind(&w, PSIM_LINK_EV_DELIVER, 1);

    /* A -> B: 1 ms + 1 ms.  B -> A: 0.1 ms + 3 ms. */
    ck_assert_uint_eq(first->dir, PSIM_LINK_A);
    ck_assert_uint_eq(first->now, 2 * MS);
    ck_assert_uint_eq(second->dir, PSIM_LINK_B);
    ck_assert_uint_eq(second->id, 2);
    ck_assert_uint_eq(second->now, 3100 * US);
  }
  world_free(&w);
}
END_TEST

/* ---- impairments: rates over 10^5 packets -------------------------- */

/* Runs 10^5 packets of 100 bytes at 1 per 10 us over a 1 ms, 100 Mb/s
 * link (never queueing) with |dc| as direction A -> B. */
static void run_impaired(world *w, const psim_link_dir_cfg *dc, uint64_t seed) {
  psim_link_cfg cfg = plain_cfg();

  cfg.seed = seed;
  cfg.dir[0] = *dc;
  cfg.dir[0].rate_bps = 100000000;
  cfg.dir[0].delay = 1 * MS;
  world_init(w, &cfg);
  run_traffic(w, PSIM_LINK_A, NPKTS, 10 * US, 100);
}

/* |x| within |k| standard deviations of a binomial(n, p) mean. */
static void assert_binomial(uint64_t x, uint64_t n, double p, double k) {
  double mean = (double)n * p, sd = sqrt((double)n * p * (1 - p));

  ck_assert_msg(fabs((double)x - mean) <= k * sd, "%llu is not within %.0f sd of %.1f",
                (unsigned long long)x, k, mean);
}

START_TEST(test_link_bernoulli_loss_rate) {
  psim_link_dir_cfg dc;
  world w;
  const psim_link_stats *st;

  psim_link_dir_cfg_init(&dc);
  dc.loss = 0.1;
  run_impaired(&w, &dc, 42);
  st = psim_link_get_stats(w.link, 0);
  ck_assert_uint_eq(st->sent, NPKTS);
  ck_assert_uint_eq(st->lost, 9976);
  assert_binomial(st->lost, NPKTS, 0.1, 5);
  ck_assert_uint_eq(st->lost_burst, 0);
  ck_assert_uint_eq(st->delivered, NPKTS - st->lost);
  ck_assert_uint_eq(w.rx_count[PSIM_LINK_B], st->delivered);
  for (size_t i = 0; i < w.nev; i++)
    if (w.ev[i].kind == PSIM_LINK_EV_DROP)
      ck_assert_int_eq(w.ev[i].reason, PSIM_LINK_REASON_LOSS);
  ck_assert_uint_eq(count_kind(&w, PSIM_LINK_EV_DROP), st->lost);
  world_free(&w);
}
END_TEST

START_TEST(test_link_duplicate_rate) {
  psim_link_dir_cfg dc;
  world w;
  const psim_link_stats *st;
  uint32_t prev = 0;
  size_t copies = 0;

  psim_link_dir_cfg_init(&dc);
  dc.duplicate = 0.05;
  run_impaired(&w, &dc, 42);
  st = psim_link_get_stats(w.link, 0);
  ck_assert_uint_eq(st->duplicated, 5105);
  assert_binomial(st->duplicated, NPKTS, 0.05, 5);
  ck_assert_uint_eq(st->delivered, NPKTS + st->duplicated);
  /* A copy arrives right after its original, intact and marked. */
  for (size_t i = 0; i < w.nev; i++) {
    const rec *r = &w.ev[i];

    if (r->kind != PSIM_LINK_EV_DELIVER)
      continue;
    ck_assert(r->ok);
    if (r->marks & PSIM_LINK_MARK_DUPLICATE) {
      ck_assert_uint_eq(r->id, prev);
      copies++;
    } else {
      ck_assert_uint_eq(r->id, prev + 1);
      ck_assert_uint_eq(r->nth, r->id);
      prev = r->id;
    }
  }
  ck_assert_uint_eq(copies, st->duplicated);
  world_free(&w);
}
END_TEST

START_TEST(test_link_reorder_rate_and_delay) {
  psim_link_dir_cfg dc;
  world w;
  const psim_link_stats *st;
  uint32_t highest = 0, last_in_order = 0;
  size_t overtaken = 0, marked = 0;

  psim_link_dir_cfg_init(&dc);
  dc.reorder = 0.05;
  run_impaired(&w, &dc, 42);
  st = psim_link_get_stats(w.link, 0);
  ck_assert_uint_eq(st->reordered, 5050);
  assert_binomial(st->reordered, NPKTS, 0.05, 5);
  for (size_t i = 0; i < w.nev; i++) {
    const rec *r = &w.ev[i];

    if (r->kind == PSIM_LINK_EV_TX) {
      /* 100 bytes at 100 Mb/s: 8 us; default reorder delay = 1 ms. */
      ptcp_time base = r->now + 8 * US + 1 * MS;

      ck_assert_uint_eq(r->arrival,
                        (r->marks & PSIM_LINK_MARK_REORDERED) ? base + 1 * MS : base);
      continue;
    }
    if (r->kind != PSIM_LINK_EV_DELIVER)
      continue;
    /* Only reordered packets arrive behind later ones... */
    if (r->id < highest) {
      ck_assert(r->marks & PSIM_LINK_MARK_REORDERED);
      overtaken++;
    }
    if (r->id > highest)
      highest = r->id;
    /* ...and the others keep their order among themselves. */
    if (r->marks & PSIM_LINK_MARK_REORDERED) {
      marked++;
    } else {
      ck_assert_uint_gt(r->id, last_in_order);
      last_in_order = r->id;
    }
  }
  /* 1 ms of extra delay at 10 us spacing: every one is overtaken. */
  ck_assert_uint_eq(overtaken, st->reordered);
  ck_assert_uint_eq(marked, st->reordered);
  world_free(&w);
}
END_TEST

START_TEST(test_link_corruption_rate_and_detection) {
  psim_link_dir_cfg dc;
  world w;
  const psim_link_stats *st;
  size_t bad = 0, ip_header_flips = 0;

  psim_link_dir_cfg_init(&dc);
  dc.corrupt = 0.02;
  run_impaired(&w, &dc, 42);
  st = psim_link_get_stats(w.link, 0);
  ck_assert_uint_eq(st->corrupted, 1973);
  assert_binomial(st->corrupted, NPKTS, 0.02, 5);
  for (size_t i = 0; i < w.nev; i++) {
    const rec *r = &w.ev[i];
    int marked = (r->marks & PSIM_LINK_MARK_CORRUPTED) != 0;

    if (r->kind != PSIM_LINK_EV_DELIVER)
      continue;
    /* Exactly one bit flipped, anywhere in the 100 bytes... */
    ck_assert_int_eq(r->flipped, marked);
    if (marked)
      ck_assert_uint_lt(r->first, 800);
    /* ...and every single-bit error caught by a checksum: the IPv4
     * header's for the first 160 bits, TCP's for the rest. */
    ck_assert_int_eq(!r->ok, marked);
    bad += !r->ok;
    ip_header_flips += marked && r->first < 160;
  }
  ck_assert_uint_eq(bad, st->corrupted);
  /* 20 of 100 bytes are IPv4 header: about a fifth of the flips. */
  assert_binomial(ip_header_flips, st->corrupted, 0.2, 5);
  world_free(&w);
}
END_TEST

START_TEST(test_link_gilbert_elliott_bursts) {
  psim_link_dir_cfg dc;
  world w;
  const psim_link_stats *st;
  const double p = 0.01, r = 0.3;
  size_t bursts = 0, run = 0;
  double rate, mean_burst;

  psim_link_dir_cfg_init(&dc);
  dc.ge.p = p;
  dc.ge.r = r;
  run_impaired(&w, &dc, 42);
  st = psim_link_get_stats(w.link, 0);
  ck_assert_uint_eq(st->lost, 3283);
  ck_assert_uint_eq(st->lost_burst, st->lost);
  /* Stationary share of the bad state: p / (p + r) = 3.2%; bursts of
   * mean length 1 / r = 3.3.  Losses come in bursts, so the spread is
   * wider than binomial: a loose 15% on the rate and the burst length. */
  rate = (double)st->lost / NPKTS;
  ck_assert_double_lt(fabs(rate - p / (p + r)) / (p / (p + r)), 0.15);
  for (uint64_t nth = 1, k = 0; nth <= NPKTS; nth++) {
    int lost = 0;

    while (k < w.nev && w.ev[k].nth <= nth) {
      if (w.ev[k].nth == nth && w.ev[k].kind == PSIM_LINK_EV_DROP) {
        ck_assert_int_eq(w.ev[k].reason, PSIM_LINK_REASON_BURST_LOSS);
        lost = 1;
      }
      k++;
    }
    if (lost) {
      run++;
    } else if (run > 0) {
      bursts++;
      run = 0;
    }
  }
  mean_burst = (double)st->lost / (double)(bursts + (run > 0));
  /* Pinned: the first losses.  A packet is lost in the state it found,
   * so the first packet after a good -> bad transition is lost, and the
   * chain starts good. */
  {
    static const uint64_t first_lost[] = {70, 71, 72, 73, 136, 371};
    size_t n = 0;

    for (size_t i = 0; i < w.nev && n < 6; i++)
      if (w.ev[i].kind == PSIM_LINK_EV_DROP)
        ck_assert_uint_eq(w.ev[i].nth, first_lost[n++]);
    ck_assert_uint_eq(n, 6);
  }
  ck_assert_double_lt(fabs(mean_burst - 1 / r) / (1 / r), 0.15);
  world_free(&w);
}
END_TEST

START_TEST(test_link_gilbert_elliott_good_state_loss) {
  psim_link_dir_cfg dc;
  world w;
  const psim_link_stats *st;

  /* p = 0: the chain never leaves the good state, which loses 1-k = 2%:
   * a plain Bernoulli loss on its own stream. */
  psim_link_dir_cfg_init(&dc);
  dc.ge.loss_good = 0.02;
  run_impaired(&w, &dc, 42);
  st = psim_link_get_stats(w.link, 0);
  ck_assert_uint_eq(st->lost_burst, st->lost);
  assert_binomial(st->lost, NPKTS, 0.02, 5);
  world_free(&w);
}
END_TEST

START_TEST(test_link_jitter_never_reorders) {
  psim_link_dir_cfg dc;
  world w;
  uint32_t prev_id = 0;
  ptcp_time prev_at = 0;
  size_t bunched = 0;
  ptcp_duration max_extra = 0;

  /* Up to 5 ms of jitter on packets 10 us apart: without the FIFO rule
   * most would swap. */
  psim_link_dir_cfg_init(&dc);
  dc.jitter = 5 * MS;
  run_impaired(&w, &dc, 42);
  for (size_t i = 0; i < w.nev; i++) {
    const rec *r = &w.ev[i];

    if (r->kind == PSIM_LINK_EV_TX) {
      ptcp_time base = r->now + 8 * US + 1 * MS;

      ck_assert_uint_ge(r->arrival, base);
      if (r->arrival - base > max_extra)
        max_extra = r->arrival - base;
    } else if (r->kind == PSIM_LINK_EV_DELIVER) {
      ck_assert_uint_eq(r->id, prev_id + 1);
      ck_assert_uint_ge(r->now, prev_at);
      bunched += r->now == prev_at;
      prev_id = r->id;
      prev_at = r->now;
    }
  }
  ck_assert_uint_eq(prev_id, NPKTS);
  /* The jitter is really there (close to its 5 ms bound)... */
  ck_assert_uint_gt(max_extra, 4 * MS);
  ck_assert_uint_le(max_extra, 5 * MS);
  /* ...and packets bunch up behind slow ones instead of overtaking. */
  ck_assert_uint_gt(bunched, 1000);
  world_free(&w);
}
END_TEST

START_TEST(test_link_jitter_with_reorder_only_reordered_overtaken) {
  psim_link_dir_cfg dc;
  world w;
  uint32_t last_in_order = 0;

  psim_link_dir_cfg_init(&dc);
  dc.jitter = 200 * US;
  dc.reorder = 0.01;
  dc.reorder_delay = 300 * US;
  run_impaired(&w, &dc, 7);
  for (size_t i = 0; i < w.nev; i++) {
    const rec *r = &w.ev[i];

    if (r->kind != PSIM_LINK_EV_DELIVER || (r->marks & PSIM_LINK_MARK_REORDERED))
      continue;
    ck_assert_uint_gt(r->id, last_in_order);
    last_in_order = r->id;
  }
  ck_assert_uint_gt(psim_link_get_stats(w.link, 0)->reordered, 0);
  world_free(&w);
}
END_TEST

/* ---- delay profiles -------------------------------------------------- */

START_TEST(test_link_delay_profile_values) {
  psim_delay_profile sq = {PSIM_DELAY_SQUARE, 100 * MS, 1000 * MS};
  psim_delay_profile tri = {PSIM_DELAY_TRIANGLE, 100 * MS, 1000 * MS};
  psim_delay_profile sine = {PSIM_DELAY_SINE, 100 * MS, 1000 * MS};
  psim_delay_profile none = {PSIM_DELAY_NONE, 100 * MS, 1000 * MS};
  psim_delay_profile bad = {PSIM_DELAY_SQUARE, 100 * MS, 1};

  /* Square: low for the first half of each period, then high. */
  ck_assert_uint_eq(psim_delay_profile_at(&sq, 0), 0);
  ck_assert_uint_eq(psim_delay_profile_at(&sq, 500 * MS - 1), 0);
  ck_assert_uint_eq(psim_delay_profile_at(&sq, 500 * MS), 100 * MS);
  ck_assert_uint_eq(psim_delay_profile_at(&sq, 1000 * MS - 1), 100 * MS);
  ck_assert_uint_eq(psim_delay_profile_at(&sq, 1000 * MS), 0);
  ck_assert_uint_eq(psim_delay_profile_at(&sq, 7500 * MS), 100 * MS);
  /* Triangle: linear up to the middle, linear down. */
  ck_assert_uint_eq(psim_delay_profile_at(&tri, 0), 0);
  ck_assert_uint_eq(psim_delay_profile_at(&tri, 250 * MS), 50 * MS);
  ck_assert_uint_eq(psim_delay_profile_at(&tri, 500 * MS), 100 * MS);
  ck_assert_uint_eq(psim_delay_profile_at(&tri, 750 * MS), 50 * MS);
  ck_assert_uint_eq(psim_delay_profile_at(&tri, 1100 * MS), 20 * MS);
  ck_assert_uint_eq(psim_delay_profile_at(&tri, 1 * MS), 200 * US);
  /* Sine: (1 - cos) / 2, to the nanosecond. */
  ck_assert_uint_eq(psim_delay_profile_at(&sine, 0), 0);
  ck_assert_uint_eq(psim_delay_profile_at(&sine, 250 * MS), 50 * MS);
  ck_assert_uint_eq(psim_delay_profile_at(&sine, 500 * MS), 100 * MS);
  ck_assert_uint_eq(psim_delay_profile_at(&sine, 1750 * MS), 50 * MS);
  /* 100 ms (1 - cos(pi / 3)) / 2 = 25 ms. */
  ck_assert_uint_eq(psim_delay_profile_at(&sine, 1000 * MS / 6), 25 * MS);
  /* No profile, an invalid one, nothing to ask: 0. */
  ck_assert_uint_eq(psim_delay_profile_at(&none, 700 * MS), 0);
  ck_assert_uint_eq(psim_delay_profile_at(&bad, 700 * MS), 0);
  ck_assert_uint_eq(psim_delay_profile_at(NULL, 700 * MS), 0);
  ck_assert_str_eq(psim_delay_shape_name(PSIM_DELAY_TRIANGLE), "triangle");
  ck_assert_ptr_null(psim_delay_shape_name((psim_delay_shape)9));
}
END_TEST

START_TEST(test_link_delay_profile_shifts_arrivals_in_order) {
  psim_link_cfg cfg = plain_cfg();
  ptcp_time prev = 0;
  size_t clamped = 0;
  world w;

  /* A packet every 50 ms for 3 s over an infinitely fast 10 ms wire
   * whose delay steps up by 100 ms for the second half of every second. */
  cfg.dir[0].delay = 10 * MS;
  cfg.dir[0].delay_profile = (psim_delay_profile){PSIM_DELAY_SQUARE, 100 * MS, 1000 * MS};
  world_init(&w, &cfg);
  run_traffic(&w, PSIM_LINK_A, 60, 50 * MS, 100);
  for (size_t i = 0; i < 60; i++) {
    const rec *tx = nth_kind(&w, PSIM_LINK_EV_TX, i);
    const rec *rx = nth_kind(&w, PSIM_LINK_EV_DELIVER, i);
    ptcp_time want =
        tx->now + 10 * MS + psim_delay_profile_at(&cfg.dir[0].delay_profile, tx->now);

    ck_assert_uint_eq(tx->now, i * 50 * MS);
    ck_assert_uint_eq(rx->id, i + 1);
    ck_assert_uint_eq(rx->now, tx->arrival);
    if (want < prev) {
      /* The step down: it waits for the one before instead of passing it. */
      ck_assert_uint_eq(rx->now, prev);
      clamped++;
    } else {
      ck_assert_uint_eq(rx->now, want);
    }
    prev = rx->now;
  }
  /* At 1 s and 2 s: the packet sent as the delay falls (t = k s) would
   * arrive at k s + 10 ms, before the one sent 50 ms earlier (k s + 60 ms). */
  ck_assert_uint_eq(clamped, 2);
  ck_assert_uint_eq(nth_kind(&w, PSIM_LINK_EV_DELIVER, 9)->now, 450 * MS + 10 * MS);
  ck_assert_uint_eq(nth_kind(&w, PSIM_LINK_EV_DELIVER, 10)->now, 500 * MS + 110 * MS);
  ck_assert_uint_eq(nth_kind(&w, PSIM_LINK_EV_DELIVER, 20)->now, 950 * MS + 110 * MS);
  /* The other direction (no delay) has no profile: sent at 3.6 s, in
   * the high half of the square wave, it arrives at once. */
  ck_assert_int_eq(psim_sched_run_until(w.sched, 3600 * MS), 0);
  ck_assert_uint_eq(psim_sched_now(w.sched), 3600 * MS);
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_B, 99, 100), 0);
  ck_assert_int_eq(psim_sched_run(w.sched), 0);
  ck_assert_int_eq(w.ev[w.nev - 1].kind, PSIM_LINK_EV_DELIVER);
  ck_assert_uint_eq(w.ev[w.nev - 1].dir, PSIM_LINK_B);
  ck_assert_uint_eq(w.ev[w.nev - 1].now, 3600 * MS);
  world_free(&w);
}
END_TEST

/* ---- the exact script ----------------------------------------------- */

START_TEST(test_link_script) {
  /* Deliberately out of order: the link sorts them. */
  static const psim_script_rule script[] = {
      {.nth = 5, .action = PSIM_SCRIPT_DUPLICATE},
      {.nth = 3, .action = PSIM_SCRIPT_DROP},
      {.nth = 2, .action = PSIM_SCRIPT_DELAY, .delay = 5 * MS},
      /* Bit 64 is the MSB of the IPv4 TTL: the header checksum fails. */
      {.nth = 6, .action = PSIM_SCRIPT_CORRUPT, .bit = 64},
      /* Duplicate and corrupt one packet: the copy stays intact.  Bit
       * 320 is in the TCP header: the TCP checksum fails. */
      {.nth = 7, .action = PSIM_SCRIPT_CORRUPT, .bit = 320},
      {.nth = 7, .action = PSIM_SCRIPT_DUPLICATE},
      {.nth = 100, .action = PSIM_SCRIPT_DROP},
  };
  static const struct {
    uint32_t id;
    ptcp_time at;
    int ok;
  } want[] = {
      {1, 1 * MS, 1}, {4, 4 * MS, 1}, {5, 5 * MS, 1}, {5, 5 * MS, 1}, {6, 6 * MS, 0},
      {2, 7 * MS, 1}, {7, 7 * MS, 0}, {7, 7 * MS, 1}, {8, 8 * MS, 1},
  };
  psim_link_cfg cfg = plain_cfg();
  world w;

  cfg.dir[0].script = script;
  cfg.dir[0].script_len = sizeof(script) / sizeof(script[0]);
  world_init(&w, &cfg);
  for (uint32_t i = 1; i <= 8; i++) {
    ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, i, 60), 0);
    ck_assert_int_eq(psim_sched_run_until(w.sched, i * MS), 0);
  }
  ck_assert_int_eq(psim_sched_run(w.sched), 0);
  ck_assert_uint_eq(count_kind(&w, PSIM_LINK_EV_DELIVER), sizeof(want) / sizeof(want[0]));
  for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    const rec *rx = nth_kind(&w, PSIM_LINK_EV_DELIVER, i);

    ck_assert_uint_eq(rx->id, want[i].id);
    /* Sent at (id - 1) ms on a zero-delay wire, except the delays. */
    ck_assert_uint_eq(rx->now + 1 * MS, want[i].at);
    ck_assert_int_eq(rx->ok, want[i].ok);
    /* Rules exist for packets 2, 3, 5, 6 and 7. */
    ck_assert_uint_eq(
        rx->marks & PSIM_LINK_MARK_SCRIPTED,
        rx->id == 2 || (rx->id >= 5 && rx->id <= 7) ? PSIM_LINK_MARK_SCRIPTED : 0);
  }
  {
    const psim_link_stats *st = psim_link_get_stats(w.link, 0);

    ck_assert_uint_eq(st->scripted, 6);
    ck_assert_uint_eq(st->lost, 1);
    ck_assert_uint_eq(st->duplicated, 2);
    ck_assert_uint_eq(st->corrupted, 2);
    ck_assert_uint_eq(st->reordered, 0);
  }
  {
    const rec *drop = nth_kind(&w, PSIM_LINK_EV_DROP, 0);

    ck_assert_int_eq(drop->reason, PSIM_LINK_REASON_SCRIPT);
    ck_assert_uint_eq(drop->id, 3);
  }
  world_free(&w);
}
END_TEST

START_TEST(test_link_script_corrupt_flips_exactly_that_bit) {
  static const psim_script_rule script[] = {
      /* Bit 168 = 8 * 21: the MSB of the TCP source port's low byte.  A
       * bit beyond the packet wraps around: 8 * 60 + 168 -> 168. */
      {.nth = 1, .action = PSIM_SCRIPT_CORRUPT, .bit = 168},
      {.nth = 2, .action = PSIM_SCRIPT_CORRUPT, .bit = 8 * 60 + 168},
      /* Two rules, two bits: bit 0 (IP version) and bit 479 (last bit). */
      {.nth = 3, .action = PSIM_SCRIPT_CORRUPT, .bit = 479},
      {.nth = 3, .action = PSIM_SCRIPT_CORRUPT, .bit = 0},
  };
  psim_link_cfg cfg = plain_cfg();
  world w;

  cfg.dir[0].corrupt = 1.0; /* ignored where a script bit is given */
  cfg.dir[0].script = script;
  cfg.dir[0].script_len = 4;
  world_init(&w, &cfg);
  for (uint32_t i = 1; i <= 3; i++)
    ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, i, 60), 0);
  ck_assert_int_eq(psim_sched_run(w.sched), 0);
  for (size_t i = 0; i < 2; i++) {
    const rec *rx = nth_kind(&w, PSIM_LINK_EV_DELIVER, i);

    ck_assert(!rx->ok);
    ck_assert_int_eq(rx->flipped, 1);
    ck_assert_uint_eq(rx->first, 168);
  }
  ck_assert_int_eq(nth_kind(&w, PSIM_LINK_EV_DELIVER, 2)->flipped, 2);
  ck_assert_uint_eq(nth_kind(&w, PSIM_LINK_EV_DELIVER, 2)->first, 0);
  ck_assert_uint_eq(psim_link_get_stats(w.link, 0)->corrupted, 3);
  world_free(&w);
}
END_TEST

START_TEST(test_link_script_skips_queue_dropped_packets) {
  static const psim_script_rule script[] = {
      {.nth = 2, .action = PSIM_SCRIPT_DROP},
      {.nth = 3, .action = PSIM_SCRIPT_DUPLICATE},
  };
  psim_link_cfg cfg = plain_cfg();
  world w;

  cfg.dir[0].rate_bps = 8000000;
  cfg.dir[0].queue_limit = 0;
  cfg.dir[0].script = script;
  cfg.dir[0].script_len = 2;
  world_init(&w, &cfg);
  /* 2 meets a busy transmitter and no queue: the queue drops it and its
   * rule does nothing; 3 comes later and is duplicated. */
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, 1, 100), 0);
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, 2, 100), 1);
  ck_assert_int_eq(psim_sched_run(w.sched), 0);
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, 3, 100), 0);
  ck_assert_int_eq(psim_sched_run(w.sched), 0);
  ck_assert_uint_eq(psim_link_get_stats(w.link, 0)->scripted, 1);
  ck_assert_uint_eq(psim_link_get_stats(w.link, 0)->lost, 0);
  ck_assert_uint_eq(w.rx_count[PSIM_LINK_B], 3);
  world_free(&w);
}
END_TEST

/* ---- the fate hook ----------------------------------------------------- */

/* A hook that does to direction A's packets what test_link_script's
 * rules do, and records every call. */
typedef struct fate_log {
  const world *w;
  unsigned calls[2];
  uint64_t last_nth[2];
  ptcp_time when[16];
  uint32_t id[16];
  int bad_call; /* an argument that breaks the contract */
} fate_log;

static void fate_fn(void *ctx, const psim_link_event *ev, psim_link_fate *fate) {
  fate_log *fl = ctx;
  uint32_t id = pkt_id(ev->data, ev->len);

  if (ev->kind != PSIM_LINK_EV_TX || ev->arrival != PTCP_TIME_NONE || ev->dir > 1 ||
      ev->link != fl->w->link || ev->now != psim_sched_now(fl->w->sched) ||
      ev->nth != fl->last_nth[ev->dir] + 1 || fate->drop || fate->duplicate ||
      fate->corrupt || fate->delay != 0)
    fl->bad_call = 1;
  fl->last_nth[ev->dir] = ev->nth;
  if (ev->dir == PSIM_LINK_A && fl->calls[0] < 16) {
    fl->when[fl->calls[0]] = ev->now;
    fl->id[fl->calls[0]] = id;
  }
  fl->calls[ev->dir]++;
  if (ev->dir != PSIM_LINK_A)
    return;
  switch (ev->nth) {
  case 2:
    fate->delay = 5 * MS;
    break;
  case 3:
    fate->drop = 1;
    break;
  case 5:
    fate->duplicate = 1;
    break;
  case 6:
    fate->corrupt = 1;
    fate->bit = 64; /* the MSB of the IPv4 TTL */
    break;
  case 7:
    fate->corrupt = 1;
    fate->bit = 320; /* in the TCP header */
    fate->duplicate = 1;
    break;
  default:
    break; /* a zeroed fate: nothing happens */
  }
}

START_TEST(test_link_fate_hook) {
  /* The outcome of test_link_script, decided packet by packet. */
  static const struct {
    uint32_t id;
    ptcp_time at;
    int ok;
  } want[] = {
      {1, 1 * MS, 1}, {4, 4 * MS, 1}, {5, 5 * MS, 1}, {5, 5 * MS, 1}, {6, 6 * MS, 0},
      {2, 7 * MS, 1}, {7, 7 * MS, 0}, {7, 7 * MS, 1}, {8, 8 * MS, 1},
  };
  psim_link_cfg cfg = plain_cfg();
  fate_log fl;
  world w;

  world_init(&w, &cfg);
  memset(&fl, 0, sizeof(fl));
  fl.w = &w;
  psim_link_set_fate(w.link, fate_fn, &fl);
  for (uint32_t i = 1; i <= 8; i++) {
    ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, i, 60), 0);
    ck_assert_int_eq(send_pkt(&w, PSIM_LINK_B, 100 + i, 60), 0);
    ck_assert_int_eq(psim_sched_run_until(w.sched, i * MS), 0);
  }
  ck_assert_int_eq(psim_sched_run(w.sched), 0);
  ck_assert(!fl.bad_call);
  /* Asked once per packet, both directions, in order. */
  ck_assert_uint_eq(fl.calls[0], 8);
  ck_assert_uint_eq(fl.calls[1], 8);
  for (uint32_t i = 0; i < 8; i++) {
    ck_assert_uint_eq(fl.id[i], i + 1);
    ck_assert_uint_eq(fl.when[i], i * MS);
  }
  ck_assert_uint_eq(count_kind(&w, PSIM_LINK_EV_DELIVER),
                    sizeof(want) / sizeof(want[0]) + 8);
  for (size_t i = 0, k = 0; i < w.nev; i++) {
    const rec *rx = &w.ev[i];

    if (rx->kind != PSIM_LINK_EV_DELIVER || rx->dir != PSIM_LINK_A)
      continue;
    ck_assert_uint_eq(rx->id, want[k].id);
    ck_assert_uint_eq(rx->now + 1 * MS, want[k].at);
    ck_assert_int_eq(rx->ok, want[k].ok);
    /* A packet the hook left alone carries no mark. */
    ck_assert_uint_eq(
        rx->marks & PSIM_LINK_MARK_SCRIPTED,
        rx->id == 2 || (rx->id >= 5 && rx->id <= 7) ? PSIM_LINK_MARK_SCRIPTED : 0);
    if (rx->id == 6)
      ck_assert_uint_eq(rx->first, 64);
    k++;
  }
  {
    const psim_link_stats *st = psim_link_get_stats(w.link, 0);

    /* Packets changed, not rules: 2, 3, 5, 6, 7. */
    ck_assert_uint_eq(st->scripted, 5);
    ck_assert_uint_eq(st->lost, 1);
    ck_assert_uint_eq(st->duplicated, 2);
    ck_assert_uint_eq(st->corrupted, 2);
    ck_assert_uint_eq(psim_link_get_stats(w.link, 1)->scripted, 0);
  }
  {
    const rec *drop = nth_kind(&w, PSIM_LINK_EV_DROP, 0);

    ck_assert_int_eq(drop->reason, PSIM_LINK_REASON_SCRIPT);
    ck_assert_uint_eq(drop->id, 3);
  }
  /* Removed, it is asked nothing more. */
  psim_link_set_fate(w.link, NULL, &fl);
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, 9, 60), 0);
  ck_assert_int_eq(psim_sched_run(w.sched), 0);
  ck_assert_uint_eq(fl.calls[0], 8);
  world_free(&w);
}
END_TEST

/* Adds 3 ms to every packet and flips bit 168 of every second one. */
static void fate_add_fn(void *ctx, const psim_link_event *ev, psim_link_fate *fate) {
  unsigned *calls = ctx;

  (*calls)++;
  fate->delay = 3 * MS;
  if (ev->nth % 2 == 0) {
    fate->corrupt = 1;
    fate->bit = 168;
  }
}

START_TEST(test_link_fate_hook_with_script_and_queue) {
  static const psim_script_rule script[] = {
      {.nth = 1, .action = PSIM_SCRIPT_DELAY, .delay = 2 * MS},
      {.nth = 4, .action = PSIM_SCRIPT_CORRUPT, .bit = 0},
  };
  psim_link_cfg cfg = plain_cfg();
  unsigned calls = 0;
  world w;

  /* 100 bytes take 100 us at 8 Mbit/s; no queue: a packet sent while
   * the transmitter is busy is dropped before any fate is decided. */
  cfg.dir[0].rate_bps = 8000000;
  cfg.dir[0].queue_limit = 0;
  cfg.dir[0].script = script;
  cfg.dir[0].script_len = 2;
  world_init(&w, &cfg);
  psim_link_set_fate(w.link, fate_add_fn, &calls);
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, 1, 100), 0);
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, 2, 100), 1); /* queue full */
  ck_assert_int_eq(psim_sched_run(w.sched), 0);
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, 3, 100), 0);
  ck_assert_int_eq(psim_sched_run(w.sched), 0);
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, 4, 100), 0);
  ck_assert_int_eq(psim_sched_run(w.sched), 0);
  ck_assert_uint_eq(calls, 3);
  {
    const rec *r1 = nth_kind(&w, PSIM_LINK_EV_DELIVER, 0);
    const rec *r3 = nth_kind(&w, PSIM_LINK_EV_DELIVER, 1);
    const rec *r4 = nth_kind(&w, PSIM_LINK_EV_DELIVER, 2);

    /* The script's delay and the hook's add up. */
    ck_assert_uint_eq(r1->id, 1);
    ck_assert_uint_eq(r1->now, 100 * US + 5 * MS);
    ck_assert(r1->ok);
    /* nth counts the packet the queue took: 3 is odd, left intact. */
    ck_assert_uint_eq(r3->id, 3);
    ck_assert_uint_eq(r3->now, nth_kind(&w, PSIM_LINK_EV_TX, 1)->now + 100 * US + 3 * MS);
    ck_assert(r3->ok);
    ck_assert_int_eq(r3->flipped, 0);
    /* nth 4: the script's bit 0 and the hook's bit 168 both flip. */
    ck_assert_uint_eq(r4->id, 4);
    ck_assert_int_eq(r4->flipped, 2);
    ck_assert_uint_eq(r4->first, 0);
  }
  ck_assert_uint_eq(psim_link_get_stats(w.link, 0)->scripted, 3 + 2);
  world_free(&w);
}
END_TEST

/* ---- determinism ------------------------------------------------------ */

static psim_link_dir_cfg everything_on(void) {
  psim_link_dir_cfg dc;

  psim_link_dir_cfg_init(&dc);
  dc.loss = 0.02;
  dc.ge.p = 0.005;
  dc.ge.r = 0.4;
  dc.duplicate = 0.02;
  dc.reorder = 0.02;
  dc.corrupt = 0.01;
  dc.jitter = 50 * US;
  return dc;
}

static int same_events(const world *a, const world *b) {
  if (a->nev != b->nev)
    return 0;
  for (size_t i = 0; i < a->nev; i++) {
    const rec *x = &a->ev[i], *y = &b->ev[i];

    if (x->kind != y->kind || x->id != y->id || x->now != y->now ||
        x->arrival != y->arrival || x->marks != y->marks || x->ok != y->ok ||
        x->reason != y->reason)
      return 0;
  }
  return 1;
}

START_TEST(test_link_runs_are_deterministic) {
  psim_link_dir_cfg dc = everything_on();
  world a, b, c;

  run_impaired(&a, &dc, 42);
  run_impaired(&b, &dc, 42);
  run_impaired(&c, &dc, 43);
  ck_assert_uint_gt(a.nev, 3 * (size_t)NPKTS);
  ck_assert(same_events(&a, &b));
  ck_assert(!same_events(&a, &c));
  ck_assert_mem_eq(psim_link_get_stats(a.link, 0), psim_link_get_stats(b.link, 0),
                   sizeof(psim_link_stats));
  world_free(&a);
  world_free(&b);
  world_free(&c);
}
END_TEST

/* The ids lost on direction A -> B, as a bitmap. */
static void lost_ids(const world *w, uint8_t *bits) {
  memset(bits, 0, NPKTS / 8 + 1);
  for (size_t i = 0; i < w->nev; i++)
    if (w->ev[i].kind == PSIM_LINK_EV_DROP)
      bits[w->ev[i].id / 8] |= (uint8_t)(1u << (w->ev[i].id % 8));
}

START_TEST(test_link_stages_do_not_disturb_each_other) {
  static uint8_t base[NPKTS / 8 + 1], more[NPKTS / 8 + 1];
  psim_link_dir_cfg dc;
  world a, b;

  /* The same losses whether or not duplication and corruption run... */
  psim_link_dir_cfg_init(&dc);
  dc.loss = 0.05;
  run_impaired(&a, &dc, 9);
  dc.duplicate = 0.3;
  dc.corrupt = 0.3;
  dc.jitter = 3 * US;
  run_impaired(&b, &dc, 9);
  lost_ids(&a, base);
  lost_ids(&b, more);
  ck_assert_mem_eq(base, more, sizeof(base));
  world_free(&a);
  world_free(&b);
  /* ...and a higher loss rate loses a superset. */
  psim_link_dir_cfg_init(&dc);
  dc.loss = 0.1;
  run_impaired(&b, &dc, 9);
  lost_ids(&b, more);
  for (size_t i = 0; i < sizeof(base); i++)
    ck_assert_uint_eq(base[i] & more[i], base[i]);
  world_free(&b);
}
END_TEST

/* ---- tracing, ownership, clean-up, configuration ---------------------- */

START_TEST(test_link_trace_sequence) {
  psim_link_cfg cfg = plain_cfg();
  world w;

  cfg.dir[0].rate_bps = 8000000;
  cfg.dir[0].delay = 1 * MS;
  world_init(&w, &cfg);
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, 1, 100), 0);
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, 2, 100), 0);
  ck_assert_int_eq(psim_sched_run(w.sched), 0);
  {
    static const struct {
      psim_link_event_kind kind;
      uint32_t id;
      ptcp_time now;
    } want[] = {
        {PSIM_LINK_EV_ENQUEUE, 1, 0},         {PSIM_LINK_EV_TX, 1, 0},
        {PSIM_LINK_EV_ENQUEUE, 2, 0},         {PSIM_LINK_EV_TX, 2, 100 * US},
        {PSIM_LINK_EV_DELIVER, 1, 1100 * US}, {PSIM_LINK_EV_DELIVER, 2, 1200 * US},
    };

    ck_assert_uint_eq(w.nev, 6);
    for (size_t i = 0; i < 6; i++) {
      ck_assert_int_eq(w.ev[i].kind, want[i].kind);
      ck_assert_uint_eq(w.ev[i].id, want[i].id);
      ck_assert_uint_eq(w.ev[i].nth, want[i].id);
      ck_assert_uint_eq(w.ev[i].now, want[i].now);
      ck_assert_uint_eq(w.ev[i].dir, PSIM_LINK_A);
      ck_assert_uint_eq(w.ev[i].len, 100);
    }
  }
  /* Detaching the hook stops the events. */
  psim_link_set_trace(w.link, NULL, NULL);
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, 3, 100), 0);
  ck_assert_int_eq(psim_sched_run(w.sched), 0);
  ck_assert_uint_eq(w.nev, 6);
  world_free(&w);
}
END_TEST

typedef struct echo {
  psim_link *link;
  uint64_t count;
} echo;

/* Receives at B and sends the packet straight back from B. */
static void echo_fn(void *ctx, psim_pkt *pkt, ptcp_time now) {
  echo *e = ctx;

  (void)now;
  e->count++;
  ck_assert_int_eq(psim_link_send(e->link, PSIM_LINK_B, pkt), 0);
}

START_TEST(test_link_receiver_owns_and_may_resend) {
  psim_link_cfg cfg = plain_cfg();
  world w;
  echo e;

  cfg.dir[0].delay = 1 * MS;
  cfg.dir[1].delay = 2 * MS;
  world_init(&w, &cfg);
  e.link = w.link;
  e.count = 0;
  ck_assert_int_eq(psim_link_attach(w.link, PSIM_LINK_B, echo_fn, &e), 0);
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, 1, 100), 0);
  ck_assert_int_eq(psim_sched_run(w.sched), 0);
  ck_assert_uint_eq(e.count, 1);
  ck_assert_uint_eq(w.rx_count[PSIM_LINK_A], 1);
  ck_assert_uint_eq(psim_sched_now(w.sched), 3 * MS);
  world_free(&w);
}
END_TEST

START_TEST(test_link_undeliverable_and_delete_in_flight) {
  psim_link_cfg cfg = plain_cfg();
  world w;

  cfg.dir[0].rate_bps = 8000000;
  cfg.dir[0].delay = 10 * MS;
  world_init(&w, &cfg);
  ck_assert_int_eq(psim_link_attach(w.link, PSIM_LINK_B, NULL, NULL), 0);
  ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, 1, 100), 0);
  ck_assert_int_eq(psim_sched_run(w.sched), 0);
  ck_assert_uint_eq(psim_link_get_stats(w.link, 0)->undeliverable, 1);
  ck_assert_int_eq(nth_kind(&w, PSIM_LINK_EV_DROP, 0)->reason,
                   PSIM_LINK_REASON_NO_RECEIVER);
  ck_assert_uint_eq(psim_pool_get_stats(w.pool)->in_use, 0);
  /* Packets queued and on the wire when the link goes away are freed and
   * its events cancelled (world_free checks the pool). */
  for (uint32_t i = 2; i <= 20; i++)
    ck_assert_int_eq(send_pkt(&w, PSIM_LINK_A, i, 1000), 0);
  ck_assert_int_eq(psim_sched_run_until(w.sched, psim_sched_now(w.sched) + 5 * MS), 0);
  ck_assert_uint_gt(psim_link_in_flight(w.link, 0), 0);
  ck_assert_uint_gt(psim_link_queued(w.link, 0), 0);
  ck_assert_uint_gt(psim_sched_size(w.sched), 0);
  world_free(&w);
  memset(&w, 0, sizeof(w));
}
END_TEST

START_TEST(test_link_delete_cancels_events) {
  psim_sched *s = NULL;
  psim_pool *pool = NULL;
  psim_link *l = NULL;
  psim_link_cfg cfg = plain_cfg();
  psim_pkt *p = NULL;

  cfg.dir[0].rate_bps = 1000;
  cfg.dir[0].delay = 1 * MS;
  ck_assert_int_eq(psim_sched_new(&s, NULL, 0), 0);
  ck_assert_int_eq(psim_pool_new(&pool, NULL, NULL), 0);
  ck_assert_int_eq(psim_link_new(&l, s, pool, &cfg, NULL), 0);
  ck_assert_int_eq(psim_pkt_alloc(pool, 100, &p), 0);
  ck_assert_int_eq(psim_link_send(l, PSIM_LINK_A, p), 0);
  ck_assert_int_eq(psim_pkt_alloc(pool, 100, &p), 0);
  ck_assert_int_eq(psim_link_send(l, PSIM_LINK_A, p), 0);
  ck_assert_uint_eq(psim_sched_size(s), 2); /* transmitter + arrival */
  psim_link_del(l);
  ck_assert_uint_eq(psim_sched_size(s), 0);
  ck_assert_uint_eq(psim_pool_get_stats(pool)->in_use, 0);
  psim_link_del(NULL);
  psim_pool_del(pool);
  psim_sched_del(s);
}
END_TEST

START_TEST(test_link_duplicate_when_pool_is_exhausted) {
  psim_sched *s = NULL;
  psim_pool *pool = NULL;
  psim_link *l = NULL;
  psim_link_cfg cfg = plain_cfg();
  psim_pool_cfg pc = {.limit = 1};
  psim_pkt *p = NULL;

  cfg.dir[0].duplicate = 1.0;
  ck_assert_int_eq(psim_sched_new(&s, NULL, 0), 0);
  ck_assert_int_eq(psim_pool_new(&pool, NULL, &pc), 0);
  ck_assert_int_eq(psim_link_new(&l, s, pool, &cfg, NULL), 0);
  ck_assert_int_eq(psim_pkt_alloc(pool, 100, &p), 0);
  ck_assert_int_eq(psim_link_send(l, PSIM_LINK_A, p), 0);
  ck_assert_uint_eq(psim_link_get_stats(l, 0)->dup_failed, 1);
  ck_assert_uint_eq(psim_link_get_stats(l, 0)->duplicated, 0);
  ck_assert_int_eq(psim_sched_run(s), 0);
  ck_assert_uint_eq(psim_link_get_stats(l, 0)->undeliverable, 1);
  psim_link_del(l);
  psim_pool_del(pool);
  psim_sched_del(s);
}
END_TEST

static void count_rx(void *ctx, psim_pkt *pkt, ptcp_time now) {
  (void)now;
  (*(uint64_t *)ctx)++;
  psim_pkt_free(pkt);
}

static void noop_fn(psim_sched *s, ptcp_time now, void *a, void *b) {
  (void)s;
  (void)now;
  (void)a;
  (void)b;
}

START_TEST(test_link_send_without_scheduler_memory) {
  test_counting_mem cm;
  psim_sched *s = NULL;
  psim_pool *pool = NULL;
  psim_link *l = NULL;
  psim_link_cfg cfg = plain_cfg();
  psim_pkt *p = NULL;
  int rv;

  test_counting_mem_init(&cm);
  ck_assert_int_eq(psim_sched_new(&s, &cm.mem, 0), 0);
  ck_assert_int_eq(psim_pool_new(&pool, NULL, NULL), 0);
  ck_assert_int_eq(psim_link_new(&l, s, pool, &cfg, NULL), 0);
  /* Fill the scheduler's first arrays, then forbid growth. */
  cm.fail_after = 2;
  while ((rv = psim_sched_after(s, 1, noop_fn, NULL, NULL, NULL)) == 0)
    ;
  ck_assert_int_eq(rv, PTCP_ERR_NOMEM);
  ck_assert_int_eq(psim_pkt_alloc(pool, 100, &p), 0);
  ck_assert_int_eq(psim_link_send(l, PSIM_LINK_A, p), PTCP_ERR_NOMEM);
  /* The packet is still the caller's, and the link unchanged. */
  ck_assert_uint_eq(psim_link_get_stats(l, 0)->offered, 0);
  psim_pkt_free(p);
  ck_assert_uint_eq(psim_pool_get_stats(pool)->in_use, 0);
  psim_link_del(l);
  psim_pool_del(pool);
  psim_sched_del(s);
}
END_TEST

START_TEST(test_link_transmitter_out_of_scheduler_memory) {
  test_counting_mem cm;
  psim_sched *s = NULL;
  psim_pool *pool = NULL;
  psim_link *l = NULL;
  psim_link_cfg cfg = plain_cfg();
  uint64_t rx = 0;
  int rv;

  cfg.dir[0].rate_bps = 8000000;
  test_counting_mem_init(&cm);
  ck_assert_int_eq(psim_sched_new(&s, &cm.mem, 0), 0);
  ck_assert_int_eq(psim_pool_new(&pool, NULL, NULL), 0);
  ck_assert_int_eq(psim_link_new(&l, s, pool, &cfg, NULL), 0);
  ck_assert_int_eq(psim_link_attach(l, PSIM_LINK_B, count_rx, &rx), 0);
  for (uint32_t i = 0; i < 2; i++) {
    psim_pkt *p = NULL;

    ck_assert_int_eq(psim_pkt_alloc(pool, 100, &p), 0);
    ck_assert_int_eq(psim_link_send(l, PSIM_LINK_A, p), 0);
  }
  /* Fill the scheduler and forbid growth: when the first transmission
   * ends, the second cannot start, and the run stops with the error. */
  cm.fail_after = 0;
  while ((rv = psim_sched_after(s, 1000 * MS, noop_fn, NULL, NULL, NULL)) == 0)
    ;
  ck_assert_int_eq(rv, PTCP_ERR_NOMEM);
  ck_assert_int_eq(psim_sched_run(s), PTCP_ERR_NOMEM);
  ck_assert_uint_eq(psim_link_queued(l, 0), 1);
  /* With memory again, the next send restarts the transmitter. */
  cm.fail_after = -1;
  {
    psim_pkt *p = NULL;

    ck_assert_int_eq(psim_pkt_alloc(pool, 100, &p), 0);
    ck_assert_int_eq(psim_link_send(l, PSIM_LINK_A, p), 0);
  }
  ck_assert_int_eq(psim_sched_run(s), 0);
  ck_assert_uint_eq(rx, 3);
  ck_assert_uint_eq(psim_link_get_stats(l, 0)->delivered, 3);
  psim_link_del(l);
  psim_pool_del(pool);
  psim_sched_del(s);
}
END_TEST

START_TEST(test_link_rejects_bad_configs) {
  static const psim_script_rule nth0[] = {{.nth = 0, .action = PSIM_SCRIPT_DROP}};
  static const psim_script_rule badact[] = {{.nth = 1, .action = (psim_script_action)9}};
  psim_sched *s = NULL;
  psim_pool *pool = NULL;
  psim_link *l = NULL;
  psim_link_cfg good = plain_cfg(), cfg;
  char longname[PSIM_LINK_NAME_MAX + 2];

  ck_assert_int_eq(psim_sched_new(&s, NULL, 0), 0);
  ck_assert_int_eq(psim_pool_new(&pool, NULL, NULL), 0);
#define REJECT(mutation)                                                                 \
  do {                                                                                   \
    cfg = good;                                                                          \
    mutation;                                                                            \
    ck_assert_int_eq(psim_link_new(&l, s, pool, &cfg, NULL), PTCP_ERR_INVALID_ARGUMENT); \
    ck_assert_ptr_null(l);                                                               \
  } while (0)
  REJECT(cfg.dir[0].loss = 1.5);
  REJECT(cfg.dir[1].loss = -0.1);
  REJECT(cfg.dir[0].duplicate = NAN);
  REJECT(cfg.dir[0].reorder = 2);
  REJECT(cfg.dir[0].corrupt = -1);
  REJECT(cfg.dir[0].ge.r = 1.01);
  /* On (p > 0) but unable to lose. */
  REJECT((cfg.dir[0].ge.p = 0.1, cfg.dir[0].ge.loss_bad = 0));
  REJECT((cfg.dir[0].script = nth0, cfg.dir[0].script_len = 1));
  REJECT((cfg.dir[0].script = badact, cfg.dir[0].script_len = 1));
  REJECT((cfg.dir[0].script = NULL, cfg.dir[0].script_len = 1));
  memset(longname, 'x', sizeof(longname) - 1);
  longname[sizeof(longname) - 1] = '\0';
  REJECT(cfg.name = longname);
  REJECT((cfg.dir[1].delay_profile.shape = PSIM_DELAY_SQUARE,
          cfg.dir[1].delay_profile.period = 1));
  REJECT((cfg.dir[0].delay_profile.shape = (psim_delay_shape)9,
          cfg.dir[0].delay_profile.period = PTCP_SECONDS));
#undef REJECT
  ck_assert_int_eq(psim_link_new(&l, NULL, pool, &good, NULL), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(psim_link_new(NULL, s, pool, &good, NULL), PTCP_ERR_INVALID_ARGUMENT);
  /* A name of exactly the maximum length, and no name, are fine. */
  longname[PSIM_LINK_NAME_MAX] = '\0';
  cfg = good;
  cfg.name = longname;
  ck_assert_int_eq(psim_link_new(&l, s, pool, &cfg, NULL), 0);
  ck_assert_int_eq(psim_link_attach(l, 2, NULL, NULL), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(psim_link_send(l, 2, NULL), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(psim_link_get_stats(l, 2));
  psim_link_del(l);
  cfg.name = NULL;
  ck_assert_int_eq(psim_link_new(&l, s, pool, &cfg, NULL), 0);
  psim_link_del(l);
  psim_pool_del(pool);
  psim_sched_del(s);
}
END_TEST

Suite *psim_link_suite(void) {
  Suite *s = suite_create("link");
  TCase *timing = tcase_create("timing");
  TCase *imp = tcase_create("impairments");
  TCase *misc = tcase_create("misc");

  tcase_add_test(timing, test_link_serialization_and_propagation_exact);
  tcase_add_test(timing, test_link_serialization_rounds_up);
  tcase_add_test(timing, test_link_infinite_rate);
  tcase_add_test(timing, test_link_queue_overflow_drops_exactly);
  tcase_add_test(timing, test_link_queue_limit_zero);
  tcase_add_test(timing, test_link_directions_are_independent);
  suite_add_tcase(s, timing);

  /* 10^5-packet runs: slower under the sanitizers. */
  tcase_set_timeout(imp, 120);
  tcase_add_test(imp, test_link_bernoulli_loss_rate);
  tcase_add_test(imp, test_link_duplicate_rate);
  tcase_add_test(imp, test_link_reorder_rate_and_delay);
  tcase_add_test(imp, test_link_corruption_rate_and_detection);
  tcase_add_test(imp, test_link_gilbert_elliott_bursts);
  tcase_add_test(imp, test_link_gilbert_elliott_good_state_loss);
  tcase_add_test(imp, test_link_jitter_never_reorders);
  tcase_add_test(imp, test_link_jitter_with_reorder_only_reordered_overtaken);
  tcase_add_test(imp, test_link_delay_profile_values);
  tcase_add_test(imp, test_link_delay_profile_shifts_arrivals_in_order);
  tcase_add_test(imp, test_link_runs_are_deterministic);
  tcase_add_test(imp, test_link_stages_do_not_disturb_each_other);
  suite_add_tcase(s, imp);

  tcase_add_test(misc, test_link_script);
  tcase_add_test(misc, test_link_script_corrupt_flips_exactly_that_bit);
  tcase_add_test(misc, test_link_script_skips_queue_dropped_packets);
  tcase_add_test(misc, test_link_fate_hook);
  tcase_add_test(misc, test_link_fate_hook_with_script_and_queue);
  tcase_add_test(misc, test_link_trace_sequence);
  tcase_add_test(misc, test_link_receiver_owns_and_may_resend);
  tcase_add_test(misc, test_link_undeliverable_and_delete_in_flight);
  tcase_add_test(misc, test_link_delete_cancels_events);
  tcase_add_test(misc, test_link_duplicate_when_pool_is_exhausted);
  tcase_add_test(misc, test_link_send_without_scheduler_memory);
  tcase_add_test(misc, test_link_transmitter_out_of_scheduler_memory);
  tcase_add_test(misc, test_link_rejects_bad_configs);
  suite_add_tcase(s, misc);
  return s;
}

/*
 * gen-e2e-corpus: records every plugtcp-sim scenario (libplugsim's
 * scenario table) as an input of the e2e fuzz target that reproduces
 * it, packet for packet.
 *
 *   gen-e2e-corpus [--check] OUTDIR
 *
 * For each scenario it
 *   1. runs it with psim_run (the seed and link plugtcp-sim uses by
 *      default, at most RECORD_BYTES of data, so that the fuzzer's
 *      mutations of a seed run quickly) and requires the scenario's
 *      own expectation to hold;
 *   2. records what happened to every packet on the link (lost,
 *      duplicated, held back, corrupted: the scenario's script and its
 *      random impairments alike) and turns it into the per-direction
 *      fates of an e2e input, whose header and records start the same
 *      applications (or make the same socket calls) with the same
 *      settings;
 *   3. runs that input through the e2e driver (every oracle must hold)
 *      and requires every link event of the scenario's run (time,
 *      direction, bytes, arrival) to happen again, in the same order;
 *   4. writes it to OUTDIR/<scenario>.bin.
 * A scenario the table has and this tool has no recipe for is an error,
 * so a new scenario cannot be left out.
 *
 * With --check nothing is written: every file must exist and be what
 * the tool writes now (tests/fuzz-corpus.test).  Exit status: 0, 1 when
 * a scenario, a replay or a check failed, 2 for a usage or I/O error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plugsim/plugsim.h>

#include "seed_out.h"
#include "e2e_driver.h"
#include "e2e_format.h"

/* ------------------------------------------------------------------ */
/* What a link did, event by event                                     */

typedef struct lev {
  uint8_t kind, dir;
  ptcp_time now, arrival;
  uint64_t nth;
  size_t len;
  uint64_t hash;
} lev;

/* A packet's fate as the recording saw it. */
typedef struct pfate {
  uint64_t nth;
  uint8_t drop, dup, corrupt;
  uint32_t bit;
  ptcp_duration extra;
  uint8_t *sent; /* the bytes as sent, for a corrupted packet */
  size_t len;
} pfate;

typedef struct rec {
  lev *ev;
  size_t nev, cap;
  pfate *f[2];
  size_t nf[2], fcap[2];
  const psim_link_dir_cfg *link; /* to tell extra delay from the wire's own */
  int oom;
} rec;

static uint64_t hash_bytes(const uint8_t *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;

  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

static void add_ev(rec *r, const psim_link_event *ev) {
  lev *e;

  if (r->nev == r->cap) {
    size_t cap = r->cap ? 2 * r->cap : 1024;
    lev *n = realloc(r->ev, cap * sizeof(*n));
    if (n == NULL) {
      r->oom = 1;
      return;
    }
    r->ev = n;
    r->cap = cap;
  }
  e = &r->ev[r->nev++];
  e->kind = (uint8_t)ev->kind;
  e->dir = (uint8_t)ev->dir;
  e->now = ev->now;
  e->arrival = ev->kind == PSIM_LINK_EV_TX ? ev->arrival : 0;
  e->nth = ev->nth;
  e->len = ev->len;
  e->hash = hash_bytes(ev->data, ev->len);
}

static uint64_t ceil_div(uint64_t a, uint64_t b) { return a / b + (a % b != 0); }

/* The scenario's run: every event, and each transmission's fate. */
static void on_scenario_link(void *ctx, unsigned link, const psim_link_event *ev) {
  rec *r = ctx;
  unsigned d = ev->dir & 1u;

  if (link != 0 || r->oom)
    return;
  add_ev(r, ev);
  if (ev->kind == PSIM_LINK_EV_TX) {
    pfate *f;
    if (r->nf[d] == r->fcap[d]) {
      size_t cap = r->fcap[d] ? 2 * r->fcap[d] : 256;
      pfate *n = realloc(r->f[d], cap * sizeof(*n));
      if (n == NULL) {
        r->oom = 1;
        return;
      }
      r->f[d] = n;
      r->fcap[d] = cap;
    }
    f = &r->f[d][r->nf[d]++];
    memset(f, 0, sizeof(*f));
    f->nth = ev->nth;
    if (ev->arrival == PTCP_TIME_NONE) {
      f->drop = 1;
    } else {
      ptcp_duration ser =
          r->link->rate_bps == 0
              ? 0
              : ceil_div((uint64_t)ev->len * 8u * PTCP_SECONDS, r->link->rate_bps);
      f->extra = ev->arrival - ev->now - ser - r->link->delay;
    }
    f->dup = (ev->marks & PSIM_LINK_MARK_DUPLICATED) != 0;
    if (ev->marks & PSIM_LINK_MARK_CORRUPTED) {
      f->corrupt = 1;
      f->sent = malloc(ev->len);
      if (f->sent == NULL) {
        r->oom = 1;
        return;
      }
      memcpy(f->sent, ev->data, ev->len);
      f->len = ev->len;
    }
  } else if (ev->kind == PSIM_LINK_EV_DELIVER && (ev->marks & PSIM_LINK_MARK_CORRUPTED) &&
             !(ev->marks & PSIM_LINK_MARK_DUPLICATE)) {
    /* The corrupted original arrives: which bit flipped? */
    for (size_t i = r->nf[d]; i-- > 0;) {
      pfate *f = &r->f[d][i];
      if (f->nth != ev->nth)
        continue;
      for (size_t b = 0; b < f->len && b < ev->len; b++)
        if (f->sent[b] != ev->data[b]) {
          uint8_t x = f->sent[b] ^ ev->data[b];
          unsigned j = 0;
          while (!(x & (0x80u >> j)))
            j++;
          f->bit = (uint32_t)(8 * b + j);
          break;
        }
      break;
    }
  }
}

static void on_replay_link(void *ctx, const psim_link_event *ev) {
  rec *r = ctx;

  if (!r->oom)
    add_ev(r, ev);
}

static void rec_free(rec *r) {
  free(r->ev);
  for (int d = 0; d < 2; d++) {
    for (size_t i = 0; i < r->nf[d]; i++)
      free(r->f[d][i].sent);
    free(r->f[d]);
  }
  memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------------ */
/* Writing the input                                                   */

static void put_op(cf_buf *b, unsigned op, unsigned side, unsigned slot) {
  cf_u8(b, (uint8_t)(op | (side ? EF_OP_SIDE : 0u) | slot << EF_OP_SLOT_SHIFT));
}

/* WAIT records that move the input's clock by at least |t|. */
static void put_wait(cf_buf *b, ptcp_duration t) {
  static const struct {
    unsigned unit;
    ptcp_duration len;
  } units[] = {{7, 60 * PTCP_SECONDS}, {3, PTCP_SECONDS}, {0, PTCP_MILLISECONDS}};

  for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
    uint64_t n = t / units[i].len;
    if (i + 1 == sizeof(units) / sizeof(units[0]))
      n = ceil_div(t, units[i].len);
    while (n > 0) {
      uint8_t v = n > 255 ? 255 : (uint8_t)n;
      cf_u8(b, (uint8_t)(EF_OP_WAIT | units[i].unit << 4));
      cf_u8(b, v);
      n -= v;
      t -= (ptcp_duration)v * units[i].len < t ? (ptcp_duration)v * units[i].len : t;
    }
  }
}

/* One direction's fates, run-length coded, in FATES records of at most
 * 256 entries.  Returns -1 for a fate the format cannot say (a delayed
 * corrupted packet; a delay that is no whole number of microseconds). */
static int put_fates(cf_buf *b, unsigned dir, const pfate *f, size_t n,
                     const char *name) {
  cf_buf ent = {0};
  size_t nent = 0, i = 0, last = 0;
  int rv = 0;
  /* Where each entry starts in |ent|, to cut records at entry bounds. */
  size_t *starts = calloc(n + 1, sizeof(*starts));

  if (starts == NULL)
    return -1;
  /* Nothing after the last packet with a fate needs saying. */
  for (size_t k = 0; k < n; k++)
    if (f[k].drop || f[k].dup || f[k].corrupt || f[k].extra != 0)
      last = k + 1;
  while (i < last) {
    const pfate *p = &f[i];
    size_t run = 1;

    starts[nent++] = ent.len;
    if (!p->drop && !p->dup && !p->corrupt && p->extra == 0) {
      while (i + run < last && !f[i + run].drop && !f[i + run].dup &&
             !f[i + run].corrupt && f[i + run].extra == 0)
        run++;
      if (run >= EF_PAUSE_UNIT) {
        size_t k = run / EF_PAUSE_UNIT > 32 ? 32 : run / EF_PAUSE_UNIT;
        cf_u8(&ent, EF_FATE(EF_F_PAUSE, k - 1));
        run = k * EF_PAUSE_UNIT;
      } else {
        cf_u8(&ent, EF_FATE(EF_F_DELIVER, run - 1));
      }
    } else if (p->drop) {
      while (i + run < last && run < 32 && f[i + run].drop)
        run++;
      cf_u8(&ent, EF_FATE(EF_F_DROP, run - 1));
    } else if (p->corrupt && p->extra == 0 && p->bit < (32u << 8)) {
      cf_u8(&ent, EF_FATE(p->dup ? EF_F_CORDUP : EF_F_CORRUPT, p->bit >> 8));
      cf_u8(&ent, (uint8_t)p->bit);
    } else if (p->dup && !p->corrupt && p->extra % PTCP_MILLISECONDS == 0 &&
               p->extra / PTCP_MILLISECONDS <= 0xffff && p->extra > 0) {
      cf_u8(&ent, EF_FATE(EF_F_DELAY, EF_DELAY_DUP_MS16));
      cf_u16(&ent, (uint16_t)(p->extra / PTCP_MILLISECONDS));
    } else if (p->dup && p->extra == 0) {
      while (i + run < last && run < 32 && f[i + run].dup && !f[i + run].drop &&
             !f[i + run].corrupt && f[i + run].extra == 0)
        run++;
      cf_u8(&ent, EF_FATE(EF_F_DUP, run - 1));
    } else if (!p->dup && !p->corrupt && p->extra % PTCP_MILLISECONDS == 0 &&
               p->extra / PTCP_MILLISECONDS <= 0xffff) {
      cf_u8(&ent, EF_FATE(EF_F_DELAY, EF_DELAY_MS16));
      cf_u16(&ent, (uint16_t)(p->extra / PTCP_MILLISECONDS));
    } else if (!p->dup && !p->corrupt && p->extra % PTCP_MICROSECONDS == 0 &&
               p->extra <= EF_DELAY_MAX) {
      cf_u8(&ent, EF_FATE(EF_F_DELAY, EF_DELAY_US32));
      cf_u32(&ent, (uint32_t)(p->extra / PTCP_MICROSECONDS));
    } else {
      fprintf(stderr,
              "gen-e2e-corpus: %s: packet %llu of direction %u has a fate the e2e format "
              "cannot say (drop %u, dup %u, corrupt %u, extra delay %llu ns)\n",
              name, (unsigned long long)p->nth, dir, p->drop, p->dup, p->corrupt,
              (unsigned long long)p->extra);
      rv = -1;
      break;
    }
    i += run;
  }
  starts[nent] = ent.len;
  for (size_t k = 0; rv == 0 && k < nent; k += 256) {
    size_t m = nent - k < 256 ? nent - k : 256;
    put_op(b, EF_OP_FATES, dir, 0);
    cf_u8(b, (uint8_t)(m - 1));
    cf_put(b, ent.p + starts[k], starts[k + m] - starts[k]);
  }
  free(starts);
  free(ent.p);
  return rv;
}

/* ------------------------------------------------------------------ */
/* Recipes: each scenario as an e2e program                            */

/* Seeds move at most this much data (the scenarios' own defaults go up
 * to 10 MB; every scenario's expectation holds with this much). */
#define RECORD_BYTES 20000u

typedef struct recipe {
  const char *name;
  uint32_t conns; /* many */
  /* Fills the header's program fields and writes the user calls at
   * time 0 (the scenario's later calls come after the WAIT to them). */
  void (*program)(uint8_t *h, cf_buf *calls, uint64_t bytes);
} recipe;

static void put_u16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void set_bytes(uint8_t *h, uint64_t bytes) {
  uint32_t v = ef_bytes_field(bytes);

  h[EF_H_BYTES] = (uint8_t)(v >> 24);
  h[EF_H_BYTES + 1] = (uint8_t)(v >> 16);
  h[EF_H_BYTES + 2] = (uint8_t)(v >> 8);
  h[EF_H_BYTES + 3] = (uint8_t)v;
}

/* The client's initial RTO (rfc6298's 1 s) and the link's one-way delay
 * (10 ms), as psim_scenarios.c computes its times from them. */
#define RTO_INIT PTCP_SECONDS
#define ONE_WAY (10 * PTCP_MILLISECONDS)
#define MS(t) ((uint32_t)((t) / PTCP_MILLISECONDS))

static void prog_bulk(uint8_t *h, cf_buf *c, uint64_t bytes) {
  (void)c;
  h[1] = EF_PROG_BULK;
  set_bytes(h, bytes);
}

static void prog_old_dup_syn(uint8_t *h, cf_buf *c, uint64_t bytes) {
  /* Data waits until the old SYN has come and gone. */
  ptcp_duration old_syn = RTO_INIT + 4 * ONE_WAY + 500 * PTCP_MILLISECONDS;
  prog_bulk(h, c, bytes);
  put_u16(h + EF_H_T1, MS(old_syn + 2 * ONE_WAY + PTCP_SECONDS));
}

static void prog_lost_ack(uint8_t *h, cf_buf *c, uint64_t bytes) {
  prog_bulk(h, c, bytes);
  put_u16(h + EF_H_T2, MS(4 * RTO_INIT + PTCP_SECONDS));
}

static void prog_time_wait(uint8_t *h, cf_buf *c, uint64_t bytes) {
  prog_bulk(h, c, bytes);
  h[EF_H_PFLAGS] = EF_P_CLOSE_AT_END;
}

static void prog_refused(uint8_t *h, cf_buf *c, uint64_t bytes) {
  prog_bulk(h, c, bytes);
  h[EF_H_PFLAGS] = EF_P_NO_SINK;
}

static void prog_rst(uint8_t *h, cf_buf *c, uint64_t bytes) {
  prog_bulk(h, c, bytes);
  h[EF_H_PFLAGS] = EF_P_ABORT;
}

static void prog_bind_in_use(uint8_t *h, cf_buf *c, uint64_t bytes) {
  prog_bulk(h, c, bytes);
  h[EF_H_PFLAGS] = EF_P_BIND_PORT;
}

static void prog_zero_window(uint8_t *h, cf_buf *c, uint64_t bytes) {
  prog_bulk(h, c, bytes);
  h[8] = 2u << 4; /* B's receive buffer: ef_bufs[2], 16 KiB */
  put_u16(h + EF_H_T3, 5000);
}

static void prog_echo(uint8_t *h, cf_buf *c, uint64_t bytes) {
  (void)c;
  h[1] = EF_PROG_ECHO;
  set_bytes(h, bytes);
}

static void prog_half_close(uint8_t *h, cf_buf *c, uint64_t bytes) {
  prog_echo(h, c, bytes);
  h[EF_H_PFLAGS] = EF_P_HALF_CLOSE;
}

static void prog_reqresp(uint8_t *h, cf_buf *c, uint64_t bytes) {
  (void)c;
  h[1] = EF_PROG_REQRESP;
  set_bytes(h, bytes);
  h[EF_H_COUNT] = (10u - 1u) << 4; /* one connection, ten exchanges */
}

#define MANY_CONNS 4u

static void prog_many(uint8_t *h, cf_buf *c, uint64_t bytes) {
  (void)c;
  h[1] = EF_PROG_REQRESP;
  set_bytes(h, bytes);
  h[EF_H_COUNT] = MANY_CONNS - 1u; /* one exchange each */
  h[EF_H_PFLAGS] = EF_P_HOLD;
}

static void put_auto(cf_buf *c, unsigned side, unsigned slot, uint8_t flags, uint16_t tx,
                     uint16_t rx) {
  put_op(c, EF_OP_AUTO, side, slot);
  cf_u8(c, flags);
  cf_u16(c, tx);
  cf_u16(c, rx);
}

/* Port indices into ef_ports. */
#define P5000 0u
#define P6000 1u
#define P80 2u

static void prog_simultaneous_open(uint8_t *h, cf_buf *c, uint64_t bytes) {
  uint8_t a = EF_A_READ | EF_A_PUMP | EF_A_SHUT;

  h[1] = EF_PROG_USER;
  /* Each sends N bytes, reads N, then shuts down; both connect at once,
   * A from port 5000 to B's 6000 and B from 6000 to A's 5000. */
  put_auto(c, 0, 0, a, (uint16_t)bytes, (uint16_t)bytes);
  put_auto(c, 1, 0, a, (uint16_t)bytes, (uint16_t)bytes);
  put_op(c, EF_OP_CONNECT, 0, 0);
  cf_u8(c, (uint8_t)(P6000 | EF_C_BIND | P5000 << 3));
  put_op(c, EF_OP_CONNECT, 1, 0);
  cf_u8(c, (uint8_t)(P5000 | EF_C_BIND | P6000 << 3));
}

static void prog_simultaneous_close(uint8_t *h, cf_buf *c, uint64_t bytes) {
  (void)bytes;
  h[1] = EF_PROG_USER;
  /* B listens on port 80 (backlog 8) and accepts into slot 1; A
   * connects; neither shuts down by itself ... */
  put_auto(c, 1, 0, EF_A_ACCEPT, 0, 0);
  put_auto(c, 1, 1, EF_A_READ, 0, 0);
  put_op(c, EF_OP_LISTEN, 1, 0);
  cf_u8(c, (uint8_t)(P80 | (8u - 1u) << 2));
  put_auto(c, 0, 0, EF_A_READ, 0, 0);
  put_op(c, EF_OP_CONNECT, 0, 0);
  cf_u8(c, P80);
  /* ... until both do at 1 s, B first, as the scenario schedules it. */
  put_wait(c, PTCP_SECONDS);
  put_op(c, EF_OP_SHUTDOWN, 1, 1);
  cf_u8(c, PSIM_SHUT_WR);
  put_op(c, EF_OP_SHUTDOWN, 0, 0);
  cf_u8(c, PSIM_SHUT_WR);
}

static const recipe recipes[] = {
    {"bulk", 0, prog_bulk},
    {"handshake", 0, prog_bulk},
    {"old-dup-syn", 0, prog_old_dup_syn},
    {"lost-ack", 0, prog_lost_ack},
    {"lost-data", 0, prog_bulk},
    {"simultaneous-open", 0, prog_simultaneous_open},
    {"simultaneous-close", 0, prog_simultaneous_close},
    {"half-close", 0, prog_half_close},
    {"time-wait", 0, prog_time_wait},
    {"refused", 0, prog_refused},
    {"rst", 0, prog_rst},
    {"bind-in-use", 0, prog_bind_in_use},
    {"zero-window", 0, prog_zero_window},
    {"echo", 0, prog_echo},
    {"reqresp", 0, prog_reqresp},
    {"many", MANY_CONNS, prog_many},
};

static const recipe *recipe_for(const char *name) {
  for (size_t i = 0; i < sizeof(recipes) / sizeof(recipes[0]); i++)
    if (strcmp(recipes[i].name, name) == 0)
      return &recipes[i];
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Recording one scenario                                              */

/* The impaired variant's link, in both directions. */
#define IMPAIR_LOSS 0.05
#define IMPAIR_DUP 0.03
#define IMPAIR_REORDER 0.03
#define IMPAIR_CORRUPT 0.03

/* Records scenario |info| into |b|, on plugtcp-sim's clean link or,
 * with |impaired|, one that loses, duplicates, reorders and corrupts
 * packets at random.  Returns 0, 1 when the scenario or its replay
 * failed, 2 for an internal error, 3 when an impaired run is no seed
 * (the scenario's expectation needs a clean link). */
static int record(const psim_scenario_info *info, int impaired, cf_buf *b) {
  const recipe *rc = recipe_for(info->name);
  psim_run_cfg cfg;
  psim_result res;
  rec run, replay;
  e2e_observer obs;
  e2e_summary sum;
  uint8_t h[EF_HDR_LEN];
  cf_buf calls = {0};
  char err[256];
  int rv = 0;

  if (rc == NULL) {
    fprintf(stderr, "gen-e2e-corpus: scenario '%s' has no recipe: add one to %s\n",
            info->name, __FILE__);
    return 1;
  }
  memset(&run, 0, sizeof(run));
  memset(&replay, 0, sizeof(replay));
  psim_run_cfg_init(&cfg);
  cfg.scenario = info->name;
  cfg.bytes = info->default_bytes < RECORD_BYTES ? info->default_bytes : RECORD_BYTES;
  cfg.set = PSIM_SET_BYTES;
  cfg.conns = rc->conns;
  cfg.on_link = on_scenario_link;
  cfg.ctx = &run;
  if (impaired) {
    cfg.link.loss = IMPAIR_LOSS;
    cfg.link.duplicate = IMPAIR_DUP;
    cfg.link.reorder = IMPAIR_REORDER;
    cfg.link.corrupt = IMPAIR_CORRUPT;
    cfg.set |= PSIM_SET_LOSS;
  }
  run.link = &cfg.link;
  if (cfg.bytes > EF_BYTES_MAX) {
    fprintf(stderr,
            "gen-e2e-corpus: %s: %llu bytes is more than the e2e format carries\n",
            info->name, (unsigned long long)cfg.bytes);
    return 2;
  }
  if (psim_run(&cfg, &res, err, sizeof(err)) != 0) {
    fprintf(stderr, "gen-e2e-corpus: %s: %s\n", info->name, err);
    return 2;
  }
  if (run.oom) {
    fprintf(stderr, "gen-e2e-corpus: out of memory\n");
    rec_free(&run);
    return 2;
  }
  if (!res.ok) {
    if (impaired)
      printf("gen-e2e-corpus: %-18s %-8s the scenario's expectation needs a clean link "
             "here (%s): no seed\n",
             info->name, "impaired", res.nfailures ? res.failures[0] : "?");
    else
      fprintf(stderr, "gen-e2e-corpus: %s: the scenario failed: %s\n", info->name,
              res.nfailures ? res.failures[0] : "?");
    psim_result_free(&res);
    rec_free(&run);
    return impaired ? 3 : 1;
  }

  /* The header: plugtcp-sim's defaults (seed 1; a 100 Mbit/s, 10 ms,
   * 100-packet link; the stack's buffers, MSS, MSL and policies), then
   * the program. */
  memset(h, 0, sizeof(h));
  h[3] = (uint8_t)cfg.seed;
  rc->program(h, &calls, cfg.bytes);
  cf_put(b, h, sizeof(h));
  if (put_fates(b, PSIM_LINK_A, run.f[0], run.nf[0], info->name) != 0 ||
      put_fates(b, PSIM_LINK_B, run.f[1], run.nf[1], info->name) != 0) {
    /* Random impairments may combine beyond what the format says: that
     * run is no seed.  A scenario's own script must always fit. */
    rv = impaired ? 3 : 1;
    goto out;
  }
  cf_put(b, calls.p, calls.len);
  /* The input's phase (and the fates) last until the scenario was over. */
  put_wait(b, res.sim_time + PTCP_MILLISECONDS);
  if (b->oom || calls.oom) {
    fprintf(stderr, "gen-e2e-corpus: out of memory\n");
    rv = 2;
    goto out;
  }

  /* The replay must do it all again.  An oracle failure aborts here. */
  memset(&obs, 0, sizeof(obs));
  obs.ctx = &replay;
  obs.link = on_replay_link;
  e2e_run(b->p, b->len, &obs, 1, &sum);
  if (replay.oom) {
    rv = 2;
    goto out;
  }
  if (sum.setup_failed) {
    fprintf(stderr, "gen-e2e-corpus: %s: the e2e driver refused the settings\n",
            info->name);
    rv = 1;
    goto out;
  }
  for (size_t i = 0; i < run.nev; i++) {
    const lev *a = &run.ev[i], *r = i < replay.nev ? &replay.ev[i] : NULL;
    if (r == NULL || a->kind != r->kind || a->dir != r->dir || a->now != r->now ||
        a->arrival != r->arrival || a->nth != r->nth || a->len != r->len ||
        a->hash != r->hash) {
      fprintf(stderr,
              "gen-e2e-corpus: %s%s: the replay departs from the scenario at link event "
              "%zu of %zu (scenario: kind %u dir %u at %llu ns, packet %llu, %zu bytes; "
              "replay: %s)\n",
              info->name, impaired ? " (impaired)" : "", i, run.nev, a->kind, a->dir,
              (unsigned long long)a->now, (unsigned long long)a->nth, a->len,
              r == NULL ? "ended" : "differs");
      if (r != NULL)
        fprintf(stderr, "  replay: kind %u dir %u at %llu ns, packet %llu, %zu bytes\n",
                r->kind, r->dir, (unsigned long long)r->now, (unsigned long long)r->nth,
                r->len);
      rv = 1;
      goto out;
    }
  }
  printf(
      "gen-e2e-corpus: %-18s %-8s %5zu bytes, %4zu link events reproduced (%llu + %llu "
      "packets given a fate)\n",
      info->name, impaired ? "impaired" : "clean", b->len, run.nev,
      (unsigned long long)sum.fated[0], (unsigned long long)sum.fated[1]);

out:
  free(calls.p);
  psim_result_free(&res);
  rec_free(&run);
  rec_free(&replay);
  return rv;
}

int main(int argc, char **argv) {
  const char *dir;
  int check, bad = 0;
  cf_buf clean = {0};

  if (seed_args("gen-e2e-corpus", argc, argv, &dir, &check) != 0)
    return 2;
  for (size_t i = 0; i < 2 * psim_scenario_count(); i++) {
    const psim_scenario_info *info = psim_scenario_get(i / 2);
    int impaired = (int)(i % 2);
    cf_buf b = {0};
    char path[4096];
    int rv = record(info, impaired, &b);

    if (rv == 2) {
      free(b.p);
      free(clean.p);
      return 2;
    }
    /* A short run the impairments left alone is its clean seed again. */
    if (rv == 0 && impaired && b.len == clean.len && memcmp(b.p, clean.p, b.len) == 0) {
      printf("gen-e2e-corpus: %-18s %-8s no packet was impaired: no seed\n", info->name,
             "impaired");
      rv = 3;
    }
    if (rv == 0) {
      snprintf(path, sizeof(path), "%s/%s%s.bin", dir, info->name,
               impaired ? "-impaired" : "");
      int put = seed_put("gen-e2e-corpus", path, b.p, b.len, check, 1);

      if (put == 2) {
        free(b.p);
        free(clean.p);
        return 2;
      }
      bad |= put;
    }
    bad |= rv == 1;
    if (!impaired) {
      /* Kept to compare its impaired variant with. */
      free(clean.p);
      clean = b;
      if (rv != 0)
        clean.len = 0;
    } else {
      free(b.p);
    }
  }
  free(clean.p);
  return bad ? 1 : 0;
}

/*
 * Every named scenario of plugsim/scenario.h, in-process, under every
 * combination of the policies registered by ptcp_registry_add_builtins,
 * enumerated from the registry when the test runs (so a policy added
 * later is covered without touching this file).
 *
 * How many combinations: while the full product of every registered
 * policy stays at or below COMBOS_FULL_MAX, all of it.  Beyond that the
 * full product of the first built-ins (BASE_SET below: isn rfc6528 and
 * counter, rto rfc6298 and fixed, dupfilter rfc9293, close rfc9293, cc
 * newreno and none) runs, and every other registered policy runs one
 * slot at a time with the other slots at their defaults, which keeps
 * `make check` fast as variants land.  PLUGTCP_ALL_COMBINATIONS=1 in the
 * environment runs the full product whatever its size (CI does; up to
 * COMBOS_MAX combinations).  docs/sim.md says the same.
 *
 * Also here: runs are deterministic (identical pcap and JSON-lines
 * trace bytes for one seed, different ones for another), the ladder of
 * the handshake reads like RFC 9293's figures, a hang is reported as
 * one, and bad settings are refused with a message.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <plugsim/scenario.h>

#include "sim_test_util.h"

Suite *psim_scenarios_suite(void);

#define COMBOS_FULL_MAX 64
#define COMBOS_MAX 4096
#define SLOT_NAMES_MAX 64

static const char *const BASE_SET[PTCP_SLOT_COUNT][3] = {
    [PTCP_SLOT_ISN] = {"rfc6528", "counter", NULL},
    [PTCP_SLOT_RTO] = {"rfc6298", "fixed", NULL},
    [PTCP_SLOT_DUPFILTER] = {"rfc9293", NULL, NULL},
    [PTCP_SLOT_CLOSE] = {"rfc9293", NULL, NULL},
    [PTCP_SLOT_CC] = {"newreno", "none", NULL},
};

typedef struct combo {
  const char *name[PTCP_SLOT_COUNT];
} combo;

static ptcp_registry *reg;
static combo combos[COMBOS_MAX];
static size_t ncombos;

static int in_base(int slot, const char *name) {
  for (int i = 0; BASE_SET[slot][i] != NULL; i++)
    if (strcmp(BASE_SET[slot][i], name) == 0)
      return 1;
  return 0;
}

/* PLUGTCP_ALL_COMBINATIONS=1: the full product, however large. */
static int all_combinations(void) {
  const char *v = getenv("PLUGTCP_ALL_COMBINATIONS");
  return v != NULL && strcmp(v, "1") == 0;
}

/* Adds the product of |names| (per slot) to the list. */
static void add_product(const char *names[PTCP_SLOT_COUNT][SLOT_NAMES_MAX],
                        const size_t n[PTCP_SLOT_COUNT]) {
  size_t idx[PTCP_SLOT_COUNT] = {0};

  for (;;) {
    ck_assert_uint_lt(ncombos, COMBOS_MAX);
    for (int s = 0; s < PTCP_SLOT_COUNT; s++)
      combos[ncombos].name[s] = names[s][idx[s]];
    ncombos++;
    int s = 0;
    while (s < PTCP_SLOT_COUNT && ++idx[s] == n[s])
      idx[s++] = 0;
    if (s == PTCP_SLOT_COUNT)
      return;
  }
}

static void build_combos(void) {
  const char *names[PTCP_SLOT_COUNT][SLOT_NAMES_MAX];
  size_t n[PTCP_SLOT_COUNT], product = 1;

  ck_assert_int_eq(ptcp_registry_new(&reg, NULL), 0);
  ck_assert_int_eq(ptcp_registry_add_builtins(reg), 0);
  ncombos = 0;
  for (int s = 0; s < PTCP_SLOT_COUNT; s++) {
    n[s] = ptcp_registry_count(reg, (ptcp_slot)s);
    ck_assert_uint_gt(n[s], 0);
    ck_assert_uint_le(n[s], SLOT_NAMES_MAX);
    for (size_t i = 0; i < n[s]; i++)
      names[s][i] = ptcp_registry_get(reg, (ptcp_slot)s, i)->name;
    product *= n[s];
  }
  if (product <= COMBOS_FULL_MAX || all_combinations()) {
    add_product(names, n);
    return;
  }
  /* The full product of the base set ... */
  {
    const char *base[PTCP_SLOT_COUNT][SLOT_NAMES_MAX];
    size_t nb[PTCP_SLOT_COUNT];
    for (int s = 0; s < PTCP_SLOT_COUNT; s++) {
      nb[s] = 0;
      for (int i = 0; BASE_SET[s][i] != NULL; i++)
        if (ptcp_registry_find(reg, (ptcp_slot)s, BASE_SET[s][i]) != NULL)
          base[s][nb[s]++] = BASE_SET[s][i];
      ck_assert_uint_gt(nb[s], 0);
    }
    add_product(base, nb);
  }
  /* ... and every other policy alone, the rest at the defaults. */
  for (int s = 0; s < PTCP_SLOT_COUNT; s++) {
    for (size_t i = 0; i < n[s]; i++) {
      if (in_base(s, names[s][i]))
        continue;
      ck_assert_uint_lt(ncombos, COMBOS_MAX);
      for (int t = 0; t < PTCP_SLOT_COUNT; t++)
        combos[ncombos].name[t] = BASE_SET[t][0];
      combos[ncombos].name[s] = names[s][i];
      ncombos++;
    }
  }
}

static void setup(void) { build_combos(); }
static void teardown(void) { ptcp_registry_free(reg); }

static void cfg_for(psim_run_cfg *cfg, const char *scenario, const combo *c) {
  psim_run_cfg_init(cfg);
  cfg->scenario = scenario;
  cfg->registry = reg;
  for (int s = 0; s < PTCP_SLOT_COUNT; s++)
    cfg->policy[s] = c != NULL ? c->name[s] : NULL;
}

/* One scenario under every combination; reports each failing one. */
START_TEST(test_scenario_under_every_policy_combination) {
  const psim_scenario_info *info = psim_scenario_get((size_t)_i);
  char report[4096];
  size_t len = 0, failed = 0;

  ck_assert_ptr_nonnull(info);
  report[0] = '\0';
  for (size_t k = 0; k < ncombos; k++) {
    psim_run_cfg cfg;
    psim_result res;
    char err[256];
    int rv;

    cfg_for(&cfg, info->name, &combos[k]);
    rv = psim_run(&cfg, &res, err, sizeof(err));
    ck_assert_msg(rv == 0, "%s: %s", info->name, err);
    if (!res.ok) {
      failed++;
      if (len < sizeof(report))
        len += (size_t)snprintf(report + len, sizeof(report) - len,
                                "\n  [%s %s %s %s %s] %s", combos[k].name[0],
                                combos[k].name[1], combos[k].name[2], combos[k].name[3],
                                combos[k].name[4], res.nfailures ? res.failures[0] : "?");
    }
    psim_result_free(&res);
  }
  ck_assert_msg(failed == 0, "scenario %s failed under %zu of %zu policy combinations:%s",
                info->name, failed, ncombos, report);
}
END_TEST

/* The enumeration covers every registered policy in every slot. */
START_TEST(test_scenario_combinations_cover_the_registry) {
  for (int s = 0; s < PTCP_SLOT_COUNT; s++) {
    for (size_t i = 0; i < ptcp_registry_count(reg, (ptcp_slot)s); i++) {
      const char *name = ptcp_registry_get(reg, (ptcp_slot)s, i)->name;
      size_t k;
      for (k = 0; k < ncombos; k++)
        if (strcmp(combos[k].name[s], name) == 0)
          break;
      ck_assert_msg(k < ncombos, "%s policy %s is never run", ptcp_slot_name((ptcp_slot)s),
                    name);
    }
  }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Determinism                                                         */

static char tmpdir[256];

static void make_tmpdir(void) {
  const char *base = getenv("TMPDIR");

  snprintf(tmpdir, sizeof(tmpdir), "%s/psim-scen-XXXXXX", base ? base : "/tmp");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void) {
  char cmd[300];

  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
  ck_assert_int_eq(system(cmd), 0);
}

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf;
  long n;

  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
  n = ftell(f);
  ck_assert_int_ge(n, 0);
  rewind(f);
  buf = malloc((size_t)n + 1);
  ck_assert_ptr_nonnull(buf);
  ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *len = (size_t)n;
  return buf;
}

/* Runs bulk over an impaired link with |seed|, writing <tag>-link0.pcap
 * and <tag>.jsonl. */
static void lossy_run(const char *tag, uint64_t seed) {
  psim_run_cfg cfg;
  psim_result res;
  char prefix[400], tpath[400], err[256];
  FILE *tf;

  snprintf(prefix, sizeof(prefix), "%s/%s", tmpdir, tag);
  snprintf(tpath, sizeof(tpath), "%s/%s.jsonl", tmpdir, tag);
  tf = fopen(tpath, "w");
  ck_assert_ptr_nonnull(tf);
  cfg_for(&cfg, "bulk", NULL);
  cfg.seed = seed;
  cfg.bytes = 300000;
  cfg.link.loss = 0.02;
  cfg.link.duplicate = 0.01;
  cfg.link.reorder = 0.01;
  cfg.link.corrupt = 0.01;
  cfg.link.jitter = 200 * PTCP_MICROSECONDS;
  cfg.set = PSIM_SET_LOSS;
  cfg.pcap_prefix = prefix;
  cfg.trace = tf;
  ck_assert_int_eq(psim_run(&cfg, &res, err, sizeof(err)), 0);
  ck_assert_msg(res.ok, "%s", res.nfailures ? res.failures[0] : "");
  ck_assert_uint_gt(res.links.lost, 0);
  ck_assert_uint_gt(res.links.corrupted, 0);
  psim_result_free(&res);
  ck_assert_int_eq(fclose(tf), 0);
}

static int same_file(const char *a, const char *b) {
  char pa[400], pb[400];
  size_t la, lb;
  uint8_t *ba, *bb;
  int same;

  snprintf(pa, sizeof(pa), "%s/%s", tmpdir, a);
  snprintf(pb, sizeof(pb), "%s/%s", tmpdir, b);
  ba = slurp(pa, &la);
  bb = slurp(pb, &lb);
  ck_assert_uint_gt(la, 100);
  same = la == lb && memcmp(ba, bb, la) == 0;
  free(ba);
  free(bb);
  return same;
}

START_TEST(test_scenario_runs_are_deterministic) {
  make_tmpdir();
  lossy_run("one", 42);
  lossy_run("two", 42);
  lossy_run("other", 43);
  ck_assert_msg(same_file("one-link0.pcap", "two-link0.pcap"), "pcaps differ for one seed");
  ck_assert_msg(same_file("one.jsonl", "two.jsonl"), "traces differ for one seed");
  ck_assert_msg(!same_file("one-link0.pcap", "other-link0.pcap"), "another seed, same pcap");
  ck_assert_msg(!same_file("one.jsonl", "other.jsonl"), "another seed, same trace");
  remove_tmpdir();
}
END_TEST

/* ------------------------------------------------------------------ */
/* Ladder, hang, bad settings                                          */

START_TEST(test_scenario_handshake_ladder) {
  psim_run_cfg cfg;
  psim_result res;
  char err[256], *text = NULL;
  size_t len = 0;
  FILE *f;

  cfg_for(&cfg, "handshake", NULL);
  cfg.ladder = 1;
  ck_assert_int_eq(psim_run(&cfg, &res, err, sizeof(err)), 0);
  ck_assert(res.ok);
  ck_assert_ptr_nonnull(res.ladder);
  f = open_memstream(&text, &len);
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(psim_ladder_write_text(res.ladder, f, 0, 0), 0);
  fclose(f);
  /* RFC 9293 figure 6, with relative sequence numbers and times. */
  ck_assert_ptr_nonnull(strstr(text, "LISTEN"));
  ck_assert_ptr_nonnull(
      strstr(text, "0.010004  SYN-SENT     --> <SEQ=0><CTL=SYN>                               "
                   "--> SYN-RECEIVED"));
  ck_assert_ptr_nonnull(strstr(text, "ESTABLISHED  <-- <SEQ=0><ACK=1><CTL=SYN,ACK>"));
  ck_assert_ptr_nonnull(strstr(text, "--> <SEQ=1><ACK=1><CTL=ACK>"));
  ck_assert_ptr_nonnull(strstr(text, "FIN-WAIT-1   --> <SEQ=1><ACK=1><CTL=FIN,ACK>"));
  ck_assert_ptr_nonnull(strstr(text, "TIME-WAIT"));
  ck_assert_ptr_nonnull(strstr(text, "LAST-ACK"));
  free(text);
  psim_result_free(&res);
}
END_TEST

/* What the link observer saw, per direction. */
typedef struct link_seen {
  uint64_t tx[2], lost[2], delivered[2], other_link;
  uint64_t last_nth[2];
  int out_of_order;
} link_seen;

static void count_link(void *ctx, unsigned link, const psim_link_event *ev) {
  link_seen *s = ctx;

  if (link != 0) {
    s->other_link++;
    return;
  }
  switch (ev->kind) {
  case PSIM_LINK_EV_TX:
    /* Transmissions start in the order the packets were offered. */
    if (ev->nth <= s->last_nth[ev->dir])
      s->out_of_order = 1;
    s->last_nth[ev->dir] = ev->nth;
    s->tx[ev->dir]++;
    if (ev->arrival == PTCP_TIME_NONE)
      s->lost[ev->dir]++;
    break;
  case PSIM_LINK_EV_DELIVER:
    s->delivered[ev->dir]++;
    break;
  default:
    break;
  }
}

/* The observer sees every transmission and every loss, each packet's
 * fate included, and agrees with the run's counters. */
START_TEST(test_scenario_link_observer) {
  psim_run_cfg cfg;
  psim_result res;
  link_seen seen;
  char err[256];

  memset(&seen, 0, sizeof(seen));
  cfg_for(&cfg, "lost-data", NULL);
  cfg.on_link = count_link;
  cfg.ctx = &seen;
  ck_assert_int_eq(psim_run(&cfg, &res, err, sizeof(err)), 0);
  ck_assert_msg(res.ok, "%s", res.nfailures ? res.failures[0] : "");
  ck_assert_uint_eq(seen.other_link, 0);
  ck_assert(!seen.out_of_order);
  ck_assert_uint_eq(seen.tx[0] + seen.tx[1], res.links.sent);
  ck_assert_uint_eq(seen.lost[0] + seen.lost[1], res.links.lost);
  /* lost-data drops exactly one client segment. */
  ck_assert_uint_eq(seen.lost[0], 1);
  ck_assert_uint_eq(seen.lost[1], 0);
  ck_assert_uint_eq(seen.delivered[0] + seen.delivered[1], res.links.delivered);
  psim_result_free(&res);
}
END_TEST

/* On a lossy link (seed 1) the client's ACK of the SYN,ACK is lost: the
 * server's connection is accepted only when the client's FIN completes
 * the handshake, after the 1 s its peer meant to shut down at.  It must
 * shut down then, not wait in CLOSE-WAIT forever, and the FINs that did
 * not cross make an ordinary close. */
START_TEST(test_scenario_simultaneous_close_on_a_lossy_link) {
  psim_run_cfg cfg;
  psim_result res;
  char err[256];

  cfg_for(&cfg, "simultaneous-close", NULL);
  cfg.link.loss = 0.05;
  cfg.link.duplicate = 0.03;
  cfg.link.reorder = 0.03;
  cfg.link.corrupt = 0.03;
  cfg.set = PSIM_SET_LOSS;
  ck_assert_int_eq(psim_run(&cfg, &res, err, sizeof(err)), 0);
  ck_assert_uint_eq(res.links.lost, 1);
  ck_assert_msg(res.ok, "%s", res.nfailures ? res.failures[0] : "");
  ck_assert(!res.hung);
  ck_assert_int_eq(res.final_client, PTCP_CLOSED);
  ck_assert_int_eq(res.final_server, PTCP_CLOSED);
  psim_result_free(&res);
}
END_TEST

START_TEST(test_scenario_hang_is_reported) {
  psim_run_cfg cfg;
  psim_result res;
  char err[256];

  cfg_for(&cfg, "bulk", NULL);
  cfg.time_limit = PTCP_SECONDS; /* 10 MB cannot make it */
  ck_assert_int_eq(psim_run(&cfg, &res, err, sizeof(err)), 0);
  ck_assert(!res.ok);
  ck_assert(res.hung);
  ck_assert(!res.verified);
  ck_assert_uint_eq(res.sim_time, PTCP_SECONDS);
  ck_assert_ptr_nonnull(strstr(res.failures[0], "hang"));
  psim_result_free(&res);
}
END_TEST

START_TEST(test_scenario_bad_settings_refused) {
  psim_run_cfg cfg;
  psim_result res;
  char err[256];

  cfg_for(&cfg, "nosuch", NULL);
  ck_assert_int_eq(psim_run(&cfg, &res, err, sizeof(err)), PTCP_ERR_NOT_FOUND);
  ck_assert_ptr_nonnull(strstr(err, "no scenario named 'nosuch'; available: bulk,"));
  cfg_for(&cfg, "bulk", NULL);
  cfg.policy[PTCP_SLOT_RTO] = "rfc6298:mn=1s";
  ck_assert_int_eq(psim_run(&cfg, &res, err, sizeof(err)), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(err, "has no parameter 'mn'"));
  cfg_for(&cfg, "bulk", NULL);
  cfg.link.loss = 2.0;
  cfg.set = PSIM_SET_LOSS;
  ck_assert_int_eq(psim_run(&cfg, &res, err, sizeof(err)), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(err, "probabilities"));
  cfg_for(&cfg, "bulk", NULL);
  cfg.pcap_prefix = "/nonexistent-dir/x";
  ck_assert_int_eq(psim_run(&cfg, &res, err, sizeof(err)), PSIM_ERR_IO);
  ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/x-link0.pcap"));
}
END_TEST

/* The scenario table is what the docs promise. */
START_TEST(test_scenario_table) {
  static const char *const names[] = {
      "bulk",      "handshake", "old-dup-syn", "lost-ack",    "lost-data",
      "simultaneous-open", "simultaneous-close", "half-close", "time-wait",
      "refused",   "rst",       "bind-in-use", "zero-window", "echo",
      "reqresp",   "many"};

  ck_assert_uint_eq(psim_scenario_count(), sizeof(names) / sizeof(names[0]));
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    const psim_scenario_info *s = psim_scenario_get(i);
    ck_assert_str_eq(s->name, names[i]);
    ck_assert_ptr_eq(psim_scenario_find(names[i]), s);
    ck_assert_uint_gt(strlen(s->summary), 10);
    ck_assert_uint_gt(strlen(s->expectation), 10);
  }
  ck_assert_ptr_null(psim_scenario_get(psim_scenario_count()));
  ck_assert_ptr_null(psim_scenario_find("nosuch"));
}
END_TEST

Suite *psim_scenarios_suite(void) {
  Suite *s = suite_create("scenarios");
  TCase *all = tcase_create("all");
  TCase *misc = tcase_create("misc");

  tcase_add_checked_fixture(all, setup, teardown);
  tcase_set_timeout(all, 120);
  tcase_add_loop_test(all, test_scenario_under_every_policy_combination, 0,
                      (int)psim_scenario_count());
  tcase_add_test(all, test_scenario_combinations_cover_the_registry);
  suite_add_tcase(s, all);
  tcase_add_checked_fixture(misc, setup, teardown);
  tcase_set_timeout(misc, 60);
  tcase_add_test(misc, test_scenario_runs_are_deterministic);
  tcase_add_test(misc, test_scenario_handshake_ladder);
  tcase_add_test(misc, test_scenario_link_observer);
  tcase_add_test(misc, test_scenario_simultaneous_close_on_a_lossy_link);
  tcase_add_test(misc, test_scenario_hang_is_reported);
  tcase_add_test(misc, test_scenario_bad_settings_refused);
  tcase_add_test(misc, test_scenario_table);
  suite_add_tcase(s, misc);
  return s;
}

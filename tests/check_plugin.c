/*
 * Tests for the plugin loader (core/loader/ptcp_plugin.c): every error of
 * ptcp_plugin_load with its code and sentence, against the deliberately
 * broken plugins in tests/plugins/; all-or-nothing loads; and the example
 * plugin (plugins/examples/rto_pto.c) from the build tree: its hooks'
 * arithmetic, a transfer that runs on it, and the experiment it exists
 * for (a lost segment on a short path, against RFC 6298's 1 s floor).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <plugtcp/plugin.h>

#include "policy_test_helper.h"
#include "tcp_harness.h"

Suite *ptcp_plugin_suite(void);

/* libtool keeps the built modules in LT_OBJDIR (".libs/") of their
 * directory; modules are .so on every system this builds on. */
#define TEST_PLUGIN(name) TEST_PLUGIN_DIR "/" LT_OBJDIR name ".so"
#define EXAMPLE_PLUGIN EXAMPLE_PLUGIN_DIR "/" LT_OBJDIR "rto_pto.so"

/* A registry of the built-ins, freed by the test. */
static ptcp_registry *builtin_registry(void) {
  ptcp_registry *reg = NULL;

  ck_assert_int_eq(ptcp_registry_new(&reg, NULL), 0);
  ck_assert_int_eq(ptcp_registry_add_builtins(reg), 0);
  return reg;
}

/* Every slot's names and ops pointers, to compare before and after. */
static void snapshot(const ptcp_registry *reg, char *buf, size_t cap) {
  size_t len = 0;

  buf[0] = '\0';
  for (int slot = 0; slot < PTCP_SLOT_COUNT; slot++) {
    for (size_t i = 0; i < ptcp_registry_count(reg, (ptcp_slot)slot); i++) {
      const ptcp_policy_info *ops = ptcp_registry_get(reg, (ptcp_slot)slot, i);
      int n = snprintf(buf + len, cap - len, "%s/%s@%p ", ptcp_slot_name(ops->slot),
                       ops->name, (const void *)ops);

      ck_assert_int_gt(n, 0);
      len += (size_t)n;
      ck_assert_uint_lt(len, cap);
    }
  }
}

/*
 * Loads |path| into |reg|, expecting failure with |code| and the registry
 * unchanged; returns the error sentence (static).
 */
static const char *load_fails(ptcp_registry *reg, const char *path, int code) {
  static char err[512];
  char before[4096], after[4096];
  ptcp_plugin *p = (ptcp_plugin *)&err; /* must come back NULL */
  int rv;

  snapshot(reg, before, sizeof(before));
  rv = ptcp_plugin_load(reg, path, &p, err, sizeof(err));
  ck_assert_msg(rv == code, "loading %s returned %s, want %s (%s)", path,
                ptcp_err_name(rv), ptcp_err_name(code), err);
  ck_assert_ptr_null(p);
  snapshot(reg, after, sizeof(after));
  ck_assert_str_eq(after, before);
  return err;
}

static int starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */

START_TEST(test_plugin_missing_file) {
  ptcp_registry *reg = builtin_registry();
  const char *path = TEST_PLUGIN_DIR "/no-such-plugin.so";
  const char *err = load_fails(reg, path, PTCP_ERR_NOT_FOUND);

  ck_assert_msg(starts_with(err,
                            "plugin '" TEST_PLUGIN_DIR "/no-such-plugin.so': no such "
                            "file ("),
                "%s", err);
  /* dlopen's own words follow. */
  ck_assert_msg(strstr(err, "No such file or directory") != NULL, "%s", err);
  ptcp_registry_free(reg);
}
END_TEST

START_TEST(test_plugin_bare_name_is_a_file) {
  /* Without a '/', the name is a file in the current directory, never a
   * library looked up along the library path. */
  ptcp_registry *reg = builtin_registry();
  ptcp_plugin *p = NULL;
  char err[256];
  const char *e;

  e = load_fails(reg, "libc.so.6", PTCP_ERR_NOT_FOUND);
  ck_assert_msg(starts_with(e, "plugin 'libc.so.6': no such file (./libc.so.6: "), "%s",
                e);
  ck_assert_int_eq(chdir(EXAMPLE_PLUGIN_DIR "/" LT_OBJDIR), 0);
  ck_assert_int_eq(ptcp_plugin_load(reg, "rto_pto.so", &p, err, sizeof(err)), 0);
  ck_assert_str_eq(ptcp_plugin_path(p), "rto_pto.so");
  ck_assert_ptr_nonnull(ptcp_registry_find(reg, PTCP_SLOT_RTO, "pto"));
  ptcp_plugin_unload(p);
  ptcp_registry_free(reg);
}
END_TEST

START_TEST(test_plugin_not_a_shared_object) {
  ptcp_registry *reg = builtin_registry();
  const char *err;

  /* A C source file. */
  err = load_fails(reg, TEST_SRCDIR "/plugins/empty.c", PTCP_ERR_PLUGIN);
  ck_assert_msg(starts_with(err, "plugin '" TEST_SRCDIR "/plugins/empty.c' cannot be "
                                 "loaded: "),
                "%s", err);
  ck_assert_msg(strstr(err, "ELF") != NULL, "%s", err);
  /* A directory exists, but is no plugin either. */
  err = load_fails(reg, TEST_PLUGIN_DIR, PTCP_ERR_PLUGIN);
  ck_assert_msg(starts_with(err, "plugin '" TEST_PLUGIN_DIR "' cannot be loaded: "), "%s",
                err);
  ptcp_registry_free(reg);
}
END_TEST

START_TEST(test_plugin_unresolved_symbol) {
  ptcp_registry *reg = builtin_registry();
  const char *err = load_fails(reg, TEST_PLUGIN("undefined"), PTCP_ERR_PLUGIN);

  ck_assert_msg(
      starts_with(err, "plugin '" TEST_PLUGIN("undefined") "' cannot be loaded: "), "%s",
      err);
  ck_assert_msg(strstr(err, "ptcp_no_such_function") != NULL, "%s", err);
  ptcp_registry_free(reg);
}
END_TEST

START_TEST(test_plugin_missing_symbols) {
  ptcp_registry *reg = builtin_registry();

  /* no_abi's entry point aborts: reaching it would crash this test. */
  ck_assert_str_eq(
      load_fails(reg, TEST_PLUGIN("no_abi"), PTCP_ERR_PLUGIN),
      "plugin '" TEST_PLUGIN("no_abi") "' lacks the symbol plugtcp_plugin_abi "
                                       "(PTCP_PLUGIN() from <plugtcp/plugin.h> "
                                       "defines it)");
  ck_assert_str_eq(
      load_fails(reg, TEST_PLUGIN("no_entry"), PTCP_ERR_PLUGIN),
      "plugin '" TEST_PLUGIN("no_entry") "' lacks the symbol "
                                         "plugtcp_plugin_register (PTCP_PLUGIN() "
                                         "from <plugtcp/plugin.h> defines it)");
  ptcp_registry_free(reg);
}
END_TEST

START_TEST(test_plugin_wrong_abi) {
  ptcp_registry *reg = builtin_registry();

  /* Refused on the stamp: the entry point aborts if it is ever called. */
  ck_assert_str_eq(
      load_fails(reg, TEST_PLUGIN("wrong_abi"), PTCP_ERR_ABI),
      "plugin '" TEST_PLUGIN("wrong_abi") "' was built for policy ABI 2, but "
                                          "this libplugtcp has ABI 1; rebuild it "
                                          "against this version's headers");
  ptcp_registry_free(reg);
}
END_TEST

START_TEST(test_plugin_incomplete_ops) {
  ptcp_registry *reg = builtin_registry();

  ck_assert_str_eq(
      load_fails(reg, TEST_PLUGIN("incomplete"), PTCP_ERR_OPS_INCOMPLETE),
      "plugin '" TEST_PLUGIN("incomplete") "': rto policy 'notimeout' lacks the "
                                           "required hook 'on_timeout'");
  /* The good policy registered before it did not come through either. */
  ck_assert_ptr_null(ptcp_registry_find(reg, PTCP_SLOT_RTO, "okfirst"));
  ptcp_registry_free(reg);
}
END_TEST

START_TEST(test_plugin_duplicate_of_builtin) {
  ptcp_registry *reg = builtin_registry();
  const ptcp_policy_info *builtin = ptcp_registry_find(reg, PTCP_SLOT_RTO, "rfc6298");

  ck_assert_str_eq(
      load_fails(reg, TEST_PLUGIN("dup_builtin"), PTCP_ERR_EXISTS),
      "plugin '" TEST_PLUGIN("dup_builtin") "': rto policy 'rfc6298' is already "
                                            "registered");
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_RTO, "rfc6298"), builtin);
  ptcp_registry_free(reg);
}
END_TEST

START_TEST(test_plugin_rollback) {
  ptcp_registry *reg = NULL;
  ptcp_plugin *p = NULL;
  char err[256];

  /* Into an empty registry the plugin loads, and shows the order of the
   * move: isn, rto, then close ... */
  ck_assert_int_eq(ptcp_registry_new(&reg, NULL), 0);
  ck_assert_int_eq(ptcp_plugin_load(reg, TEST_PLUGIN("rollback"), &p, err, sizeof(err)),
                   0);
  ck_assert_uint_eq(ptcp_plugin_count(p), 3);
  ck_assert_str_eq(ptcp_plugin_get(p, 0)->name, "rbisn");
  ck_assert_str_eq(ptcp_plugin_get(p, 1)->name, "rbrto");
  ck_assert_str_eq(ptcp_plugin_get(p, 2)->name, "rfc9293");
  ck_assert_ptr_null(ptcp_plugin_get(p, 3));
  ptcp_plugin_unload(p);
  for (int slot = 0; slot < PTCP_SLOT_COUNT; slot++)
    ck_assert_uint_eq(ptcp_registry_count(reg, (ptcp_slot)slot), 0);
  ptcp_registry_free(reg);

  /* ... so next to the built-ins, rbisn and rbrto are in before the
   * close policy clashes, and must be taken back out. */
  reg = builtin_registry();
  ck_assert_str_eq(
      load_fails(reg, TEST_PLUGIN("rollback"), PTCP_ERR_EXISTS),
      "plugin '" TEST_PLUGIN("rollback") "': close policy 'rfc9293' is already "
                                         "registered");
  ck_assert_ptr_null(ptcp_registry_find(reg, PTCP_SLOT_ISN, "rbisn"));
  ck_assert_ptr_null(ptcp_registry_find(reg, PTCP_SLOT_RTO, "rbrto"));
  ptcp_registry_free(reg);
}
END_TEST

START_TEST(test_plugin_entry_point_failures) {
  ptcp_registry *reg = builtin_registry();

  ck_assert_str_eq(load_fails(reg, TEST_PLUGIN("empty"), PTCP_ERR_PLUGIN),
                   "plugin '" TEST_PLUGIN("empty") "' registered no policy");
  /* 42 is no PTCP_ERR_* code: PTCP_ERR_PLUGIN stands in for it, and what
   * it registered before failing is dropped. */
  ck_assert_str_eq(
      load_fails(reg, TEST_PLUGIN("fails"), PTCP_ERR_PLUGIN),
      "plugin '" TEST_PLUGIN("fails") "': plugtcp_plugin_register failed with "
                                      "42 (unknown error)");
  ck_assert_ptr_null(ptcp_registry_find(reg, PTCP_SLOT_RTO, "fails"));
  ptcp_registry_free(reg);
}
END_TEST

START_TEST(test_plugin_bad_arguments) {
  ptcp_registry *reg = builtin_registry();
  ptcp_plugin *p = (ptcp_plugin *)&reg;
  char err[128];

  ck_assert_int_eq(ptcp_plugin_load(NULL, EXAMPLE_PLUGIN, &p, err, sizeof(err)),
                   PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_str_eq(err, "invalid arguments to ptcp_plugin_load (no registry)");
  ck_assert_ptr_null(p);
  ck_assert_int_eq(ptcp_plugin_load(reg, NULL, &p, err, sizeof(err)),
                   PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_str_eq(err, "invalid arguments to ptcp_plugin_load (no path)");
  ck_assert_int_eq(ptcp_plugin_load(reg, "", &p, err, sizeof(err)),
                   PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_str_eq(err, "invalid arguments to ptcp_plugin_load (empty path)");
  ck_assert_int_eq(ptcp_plugin_load(reg, EXAMPLE_PLUGIN, NULL, err, sizeof(err)),
                   PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_str_eq(err,
                   "invalid arguments to ptcp_plugin_load (no place for the result)");
  ck_assert_ptr_null(ptcp_registry_find(reg, PTCP_SLOT_RTO, "pto"));

  /* NULL and zero-length error buffers; a short one is cut, terminated. */
  ck_assert_int_eq(ptcp_plugin_load(reg, TEST_PLUGIN("wrong_abi"), &p, NULL, 0),
                   PTCP_ERR_ABI);
  err[0] = 'x';
  ck_assert_int_eq(ptcp_plugin_load(reg, TEST_PLUGIN("wrong_abi"), &p, err, 0),
                   PTCP_ERR_ABI);
  ck_assert_int_eq(err[0], 'x');
  ck_assert_int_eq(ptcp_plugin_load(reg, TEST_PLUGIN("wrong_abi"), &p, err, 10),
                   PTCP_ERR_ABI);
  ck_assert_str_eq(err, "plugin '/");

  /* The accessors and unload take NULL. */
  ptcp_plugin_unload(NULL);
  ck_assert_ptr_null(ptcp_plugin_path(NULL));
  ck_assert_uint_eq(ptcp_plugin_count(NULL), 0);
  ck_assert_ptr_null(ptcp_plugin_get(NULL, 0));
  ptcp_registry_free(reg);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Loading and unloading                                               */

START_TEST(test_plugin_load_find_unload) {
  ptcp_registry *reg = builtin_registry();
  const ptcp_policy_info *pto;
  ptcp_plugin *p = NULL;
  ptcp_policy_sel sel;
  char err[256] = "stale", before[4096], after[4096], spec[256];

  snapshot(reg, before, sizeof(before));
  ck_assert_int_eq(ptcp_plugin_load(reg, EXAMPLE_PLUGIN, &p, err, sizeof(err)), 0);
  ck_assert_str_eq(err, "");
  ck_assert_ptr_nonnull(p);
  ck_assert_str_eq(ptcp_plugin_path(p), EXAMPLE_PLUGIN);
  ck_assert_uint_eq(ptcp_plugin_count(p), 1);
  pto = ptcp_registry_find(reg, PTCP_SLOT_RTO, "pto");
  ck_assert_ptr_nonnull(pto);
  ck_assert_ptr_eq(ptcp_plugin_get(p, 0), pto);
  ck_assert_uint_eq(ptcp_registry_count(reg, PTCP_SLOT_RTO), 7);
  ck_assert_uint_eq(pto->abi, PTCP_POLICY_ABI);

  /* Its specs parse like a built-in's, defaults and bounds included. */
  ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_RTO, "pto:max_ack_delay=40ms",
                                     err, sizeof(err)),
                   0);
  ck_assert_int_gt(ptcp_policy_format(spec, sizeof(spec), &sel), 0);
  ck_assert_str_eq(spec,
                   "pto:max_ack_delay=40ms,granularity=1ms,initial_rtt=333ms,max=60s");
  ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_RTO, "pto:max_ack_delay=1s",
                                     err, sizeof(err)),
                   PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_str_eq(err,
                   "rto policy 'pto': parameter 'max_ack_delay' must be between 0s and "
                   "500ms, not 1s");

  /* Unload takes it out again, and nothing else. */
  ptcp_plugin_unload(p);
  ck_assert_ptr_null(ptcp_registry_find(reg, PTCP_SLOT_RTO, "pto"));
  snapshot(reg, after, sizeof(after));
  ck_assert_str_eq(after, before);
  ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_RTO, "pto", err, sizeof(err)),
                   PTCP_ERR_NOT_FOUND);
  ptcp_registry_free(reg);
}
END_TEST

START_TEST(test_plugin_load_twice) {
  ptcp_registry *reg = builtin_registry(), *other = builtin_registry();
  ptcp_plugin *p = NULL, *q = NULL;
  const ptcp_rto_ops *ops;
  ptcp_policy_sel sel;
  policy_state st;
  char err[256];

  ck_assert_int_eq(ptcp_plugin_load(reg, EXAMPLE_PLUGIN, &p, err, sizeof(err)), 0);
  /* Twice into one registry: the name is taken, the first load stays. */
  ck_assert_str_eq(load_fails(reg, EXAMPLE_PLUGIN, PTCP_ERR_EXISTS),
                   "plugin '" EXAMPLE_PLUGIN "': rto policy 'pto' is already registered");
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_RTO, "pto"), ptcp_plugin_get(p, 0));

  /* Into a second registry it loads; unloading the first must leave the
   * shared object mapped for the second (dlopen counts references). */
  ck_assert_int_eq(ptcp_plugin_load(other, EXAMPLE_PLUGIN, &q, err, sizeof(err)), 0);
  ptcp_plugin_unload(p);
  ck_assert_ptr_null(ptcp_registry_find(reg, PTCP_SLOT_RTO, "pto"));
  ops = (const ptcp_rto_ops *)ptcp_registry_find(other, PTCP_SLOT_RTO, "pto");
  ck_assert_ptr_nonnull(ops);
  ck_assert_int_eq(ptcp_policy_parse(&sel, other, PTCP_SLOT_RTO, "pto", err, sizeof(err)),
                   0);
  policy_state_zero(&st, &ops->info);
  ck_assert_int_eq(ops->init(&st, sel.params, 0), 0);
  ck_assert_uint_eq(ops->rto(&st, sel.params), 999 * MS);

  /* A policy the caller removed itself is skipped at unload. */
  ck_assert_int_eq(ptcp_registry_remove(other, &ops->info), 0);
  ptcp_plugin_unload(q);
  ck_assert_uint_eq(ptcp_registry_count(other, PTCP_SLOT_RTO), 6);
  ptcp_registry_free(other);
  ptcp_registry_free(reg);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The example policy                                                  */

static ptcp_rtt_sample sample(ptcp_duration rtt, int retransmitted, int from_ts) {
  ptcp_rtt_sample s;

  memset(&s, 0, sizeof(s));
  s.rtt = rtt;
  s.retransmitted = (uint8_t)retransmitted;
  s.from_timestamp = (uint8_t)from_ts;
  return s;
}

START_TEST(test_plugin_pto_arithmetic) {
  ptcp_registry *reg = builtin_registry();
  ptcp_plugin *p = NULL;
  const ptcp_rto_ops *ops;
  ptcp_policy_sel sel;
  ptcp_rtt_sample s;
  policy_state st;
  char err[256];
  int i;

  ck_assert_int_eq(ptcp_plugin_load(reg, EXAMPLE_PLUGIN, &p, err, sizeof(err)), 0);
  ops = (const ptcp_rto_ops *)ptcp_registry_find(reg, PTCP_SLOT_RTO, "pto");
  ck_assert_ptr_nonnull(ops);
  ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_RTO, "pto", err, sizeof(err)),
                   0);
  policy_state_zero(&st, &ops->info);
  ck_assert_int_eq(ops->init(&st, sel.params, 0), 0);

  /* RFC 9002 §6.2.2: 333 ms + 4 * 166.5 ms, no ACK delay: 999 ms. */
  ck_assert_uint_eq(ops->rto(&st, sel.params), 999 * MS);
  ck_assert_uint_eq(ops->srtt(&st), PTCP_TIME_NONE);
  /* §6.2.1, first sample 100 ms: SRTT 100, RTTVAR 50, PTO = 100 + 200 +
   * 200 (max_ack_delay). */
  s = sample(100 * MS, 0, 0);
  ops->on_rtt_sample(&st, sel.params, &s);
  ck_assert_uint_eq(ops->srtt(&st), 100 * MS);
  ck_assert_uint_eq(ops->rto(&st, sel.params), 500 * MS);
  /* Doubling per expiry. */
  ops->on_timeout(&st, sel.params, 0);
  ck_assert_uint_eq(ops->rto(&st, sel.params), 1000 * MS);
  ops->on_timeout(&st, sel.params, 0);
  ck_assert_uint_eq(ops->rto(&st, sel.params), 2000 * MS);
  /* Karn: an ambiguous sample changes nothing, the backoff stays. */
  s = sample(10 * MS, 1, 0);
  ops->on_rtt_sample(&st, sel.params, &s);
  ck_assert_uint_eq(ops->srtt(&st), 100 * MS);
  ck_assert_uint_eq(ops->rto(&st, sel.params), 2000 * MS);
  /* With timestamps it counts, and ends the backoff: RTTVAR = 3/4 * 50
   * = 37.5 ms, SRTT 100: PTO = 100 + 150 + 200. */
  s = sample(100 * MS, 1, 1);
  ops->on_rtt_sample(&st, sel.params, &s);
  ck_assert_uint_eq(ops->rto(&st, sel.params), 450 * MS);
  /* 450 ms * 2^7 = 57.6 s; the next doubling stops at max (60 s). */
  for (i = 0; i < 7; i++)
    ops->on_timeout(&st, sel.params, 0);
  ck_assert_uint_eq(ops->rto(&st, sel.params), 57600 * MS);
  ops->on_timeout(&st, sel.params, 0);
  ck_assert_uint_eq(ops->rto(&st, sel.params), 60 * SEC);
  for (i = 0; i < 100; i++)
    ops->on_timeout(&st, sel.params, 0);
  ck_assert_uint_eq(ops->rto(&st, sel.params), 60 * SEC);

  /* No floor but kGranularity: 1 us RTT, no ACK delay -> 1.001 ms. */
  ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_RTO, "pto:max_ack_delay=0", err,
                                     sizeof(err)),
                   0);
  policy_state_zero(&st, &ops->info);
  ck_assert_int_eq(ops->init(&st, sel.params, 0), 0);
  s = sample(1000, 0, 0);
  ops->on_rtt_sample(&st, sel.params, &s);
  ck_assert_uint_eq(ops->rto(&st, sel.params), 1001000);
  /* A 2^63 ns sample is taken as 600 s, without overflow: PTO = 600 +
   * 4 * 300 s, over max. */
  s = sample(UINT64_MAX / 2, 0, 0);
  policy_state_zero(&st, &ops->info);
  ck_assert_int_eq(ops->init(&st, sel.params, 0), 0);
  ops->on_rtt_sample(&st, sel.params, &s);
  ck_assert_uint_eq(ops->srtt(&st), PTCP_RTO_CEIL);
  ck_assert_uint_eq(ops->rto(&st, sel.params), 60 * SEC);
  ptcp_plugin_unload(p);
  ptcp_registry_free(reg);
}
END_TEST

/* Drops every |every|th packet the client sends, from the |from|th on. */
typedef struct drop_every {
  unsigned from, every, dropped;
} drop_every;

static tpair_fate fate_drop_every(tpair *p, int side, unsigned n, const ptcp_seg *seg,
                                  ptcp_duration *extra, void *ctx) {
  drop_every *d = ctx;

  (void)p;
  (void)seg;
  (void)extra;
  if (side == 0 && n >= d->from && (n - d->from) % d->every == 0) {
    d->dropped++;
    return FATE_DROP;
  }
  return FATE_DELIVER;
}

/*
 * A pair whose client sends with |rto_spec|, resolved in |reg|, the
 * server ACKing within 40 ms (the max_ack_delay the pto specs assume).
 */
static void pair_with_rto(tpair *p, ptcp_registry *reg, const char *rto_spec) {
  tpair_opts o;

  memset(&o, 0, sizeof(o));
  o.registry = reg;
  o.side[0].policy[PTCP_SLOT_RTO] = rto_spec;
  o.side[1].delack = 40 * MS;
  tpair_init(p, &o);
  ck_assert(tpair_connect(p, 1 * SEC));
}

START_TEST(test_plugin_pto_transfer) {
  enum { BYTES = 1000000 };
  ptcp_registry *reg = builtin_registry();
  ptcp_plugin *plug = NULL;
  drop_every d = {.from = 20, .every = 97};
  ptcp_conn_status c;
  char err[256];
  size_t sent = 0;
  tpair p;

  ck_assert_int_eq(ptcp_plugin_load(reg, EXAMPLE_PLUGIN, &plug, err, sizeof(err)), 0);
  pair_with_rto(&p, reg, "pto:max_ack_delay=40ms");
  p.fate = fate_drop_every;
  p.fate_ctx = &d;
  while (sent < BYTES && p.now < 600 * SEC) {
    sent += tpair_send_pattern(&p, 0, sent, BYTES - sent);
    tpair_run_until(&p, p.now + 10 * MS);
  }
  tpair_run_idle(&p, p.now + 60 * SEC);
  ck_assert_uint_eq(sent, BYTES);
  ck_assert_uint_gt(d.dropped, 5);
  ck_assert(tpair_rx_is_pattern(&p, 1, BYTES));

  ptcp_conn_status_get(p.conn[0], &c);
  ck_assert_str_eq(c.policy[PTCP_SLOT_RTO], "pto");
  ck_assert_uint_gt(c.rtt_samples, 10);
  ck_assert_uint_gt(c.retransmits, 0);
  /* PTO = SRTT + max(4 RTTVAR, 1 ms) + 40 ms: above SRTT + 40 ms, and far
   * below RFC 6298's 1 s floor on this 20 ms path. */
  ck_assert_uint_ne(c.srtt, PTCP_TIME_NONE);
  ck_assert_uint_ge(c.rto, c.srtt + 41 * MS);
  ck_assert_uint_lt(c.rto, 500 * MS);
  /* Stacks first, then the plugin (plugin.h). */
  tpair_free(&p);
  ptcp_plugin_unload(plug);
  ptcp_registry_free(reg);
}
END_TEST

/*
 * The experiment the example exists for: one lone segment is lost on a
 * 20 ms path, so only the retransmission timer can recover it.  Returns
 * how long after the send the receiver had it.
 */
static ptcp_duration tail_loss_recovery(ptcp_registry *reg, const char *rto_spec) {
  drop_every d = {.every = 1000000};
  ptcp_conn_status c;
  ptcp_time start;
  ptcp_duration took;
  tpair p;

  pair_with_rto(&p, reg, rto_spec);
  d.from = p.sent[0] + 1;
  p.fate = fate_drop_every;
  p.fate_ctx = &d;
  start = p.now;
  ck_assert_uint_eq(tpair_send_pattern(&p, 0, 0, 100), 100);
  while (p.rx_len[1] < 100 && p.now < start + 30 * SEC)
    tpair_run_until(&p, p.now + 1 * MS);
  ck_assert_uint_eq(d.dropped, 1);
  ck_assert(tpair_rx_is_pattern(&p, 1, 100));
  ptcp_conn_status_get(p.conn[0], &c);
  ck_assert_uint_eq(c.timeouts, 1);
  ck_assert_str_eq(c.policy[PTCP_SLOT_RTO], rto_spec[0] == 'p' ? "pto" : "rfc6298");
  took = p.now - start;
  tpair_free(&p);
  return took;
}

START_TEST(test_plugin_pto_recovers_a_tail_loss_sooner) {
  ptcp_registry *reg = builtin_registry();
  ptcp_plugin *plug = NULL;
  ptcp_duration pto, rfc;
  char err[256];

  ck_assert_int_eq(ptcp_plugin_load(reg, EXAMPLE_PLUGIN, &plug, err, sizeof(err)), 0);
  pto = tail_loss_recovery(reg, "pto:max_ack_delay=40ms");
  rfc = tail_loss_recovery(reg, "rfc6298");
  /* The handshake's 20 ms sample gives PTO = 20 + 40 + 40 = 100 ms; the
   * resent segment lands 10 ms later.  RFC 6298 waits its 1 s minimum. */
  ck_assert_uint_eq(pto, 110 * MS);
  ck_assert_uint_eq(rfc, 1010 * MS);
  ptcp_plugin_unload(plug);
  ptcp_registry_free(reg);
}
END_TEST

Suite *ptcp_plugin_suite(void) {
  Suite *s = suite_create("plugin");
  TCase *errors = tcase_create("errors");
  TCase *load = tcase_create("load");
  TCase *pto = tcase_create("pto");

  tcase_add_test(errors, test_plugin_missing_file);
  tcase_add_test(errors, test_plugin_bare_name_is_a_file);
  tcase_add_test(errors, test_plugin_not_a_shared_object);
  tcase_add_test(errors, test_plugin_unresolved_symbol);
  tcase_add_test(errors, test_plugin_missing_symbols);
  tcase_add_test(errors, test_plugin_wrong_abi);
  tcase_add_test(errors, test_plugin_incomplete_ops);
  tcase_add_test(errors, test_plugin_duplicate_of_builtin);
  tcase_add_test(errors, test_plugin_rollback);
  tcase_add_test(errors, test_plugin_entry_point_failures);
  tcase_add_test(errors, test_plugin_bad_arguments);
  suite_add_tcase(s, errors);

  tcase_add_test(load, test_plugin_load_find_unload);
  tcase_add_test(load, test_plugin_load_twice);
  suite_add_tcase(s, load);

  tcase_add_test(pto, test_plugin_pto_arithmetic);
  tcase_add_test(pto, test_plugin_pto_transfer);
  tcase_add_test(pto, test_plugin_pto_recovers_a_tail_loss_sooner);
  tcase_set_timeout(pto, 60);
  suite_add_tcase(s, pto);
  return s;
}

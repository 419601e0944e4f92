/*
 * Tests for the policy registry (core/tcp/ptcp_registry.c): validation of
 * ops, lookups and listings, policy specs ("rfc6298:min=200ms") with
 * their exact error codes and sentences, and durations as text.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <plugtcp/plugtcp.h>
#include <plugtcp/policy.h>

#include "builtins.h"
#include "policy_test_helper.h"

Suite *ptcp_registry_suite(void);

/* A registry with every built-in, freed by the test. */
static ptcp_registry *builtin_registry(void) {
  ptcp_registry *reg = NULL;

  ck_assert_int_eq(ptcp_registry_new(&reg, NULL), 0);
  ck_assert_ptr_nonnull(reg);
  ck_assert_int_eq(ptcp_registry_add_builtins(reg), 0);
  return reg;
}

/* ------------------------------------------------------------------ */
/* Slots                                                               */

START_TEST(test_registry_slot_names) {
  static const char *const names[PTCP_SLOT_COUNT] = {"isn", "rto", "dupfilter", "close",
                                                     "cc"};
  int i;

  for (i = 0; i < PTCP_SLOT_COUNT; i++) {
    ck_assert_str_eq(ptcp_slot_name((ptcp_slot)i), names[i]);
    ck_assert_int_eq(ptcp_slot_from_name(names[i]), i);
  }
  ck_assert_int_eq(ptcp_slot_from_name("tcp"), -1);
  ck_assert_int_eq(ptcp_slot_from_name("RTO"), -1);
  ck_assert_int_eq(ptcp_slot_from_name(""), -1);
  ck_assert_int_eq(ptcp_slot_from_name(NULL), -1);
  ck_assert_str_eq(ptcp_slot_name(PTCP_SLOT_COUNT), "unknown");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Allocation                                                          */

static void *failing_calloc(size_t nmemb, size_t size, void *user_data) {
  (void)nmemb;
  (void)size;
  (*(int *)user_data)++;
  return NULL;
}

START_TEST(test_registry_new_free) {
  ptcp_registry *reg = (ptcp_registry *)&reg;
  ptcp_mem mem = *ptcp_mem_default();
  int calls = 0;
  int i;

  ck_assert_int_eq(ptcp_registry_new(NULL, NULL), PTCP_ERR_INVALID_ARGUMENT);

  ck_assert_int_eq(ptcp_registry_new(&reg, NULL), 0);
  for (i = 0; i < PTCP_SLOT_COUNT; i++) {
    ck_assert_uint_eq(ptcp_registry_count(reg, (ptcp_slot)i), 0);
    ck_assert_ptr_null(ptcp_registry_get(reg, (ptcp_slot)i, 0));
  }
  ptcp_registry_free(reg);
  ptcp_registry_free(NULL);

  /* An incomplete allocator is refused and *preg is cleared. */
  mem.calloc = NULL;
  reg = (ptcp_registry *)&reg;
  ck_assert_int_eq(ptcp_registry_new(&reg, &mem), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(reg);

  /* The registry is allocated through the caller's allocator. */
  mem = *ptcp_mem_default();
  mem.calloc = failing_calloc;
  mem.user_data = &calls;
  ck_assert_int_eq(ptcp_registry_new(&reg, &mem), PTCP_ERR_NOMEM);
  ck_assert_ptr_null(reg);
  ck_assert_int_eq(calls, 1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Built-ins, lookup and listing                                       */

START_TEST(test_registry_builtins) {
  ptcp_registry *reg = builtin_registry();

  ck_assert_uint_eq(ptcp_registry_count(reg, PTCP_SLOT_ISN), 5);
  ck_assert_uint_eq(ptcp_registry_count(reg, PTCP_SLOT_RTO), 6);
  ck_assert_uint_eq(ptcp_registry_count(reg, PTCP_SLOT_DUPFILTER), 3);
  ck_assert_uint_eq(ptcp_registry_count(reg, PTCP_SLOT_CLOSE), 5);
  ck_assert_uint_eq(ptcp_registry_count(reg, PTCP_SLOT_CC), 3);

  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_ISN, "rfc6528"),
                   &ptcp_isn_rfc6528.info);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_ISN, "counter"),
                   &ptcp_isn_counter.info);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_ISN, "fixed"), &ptcp_isn_fixed.info);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_ISN, "random"), &ptcp_isn_random.info);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_ISN, "rfc793"), &ptcp_isn_rfc793.info);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_RTO, "rfc6298"),
                   &ptcp_rto_rfc6298.info);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_RTO, "fixed"), &ptcp_rto_fixed.info);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_RTO, "rfc793"), &ptcp_rto_rfc793.info);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_RTO, "jacobson88"),
                   &ptcp_rto_jacobson88.info);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_RTO, "linux"), &ptcp_rto_linux.info);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_RTO, "freebsd"), &ptcp_rto_freebsd.info);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_DUPFILTER, "rfc9293"),
                   &ptcp_dupfilter_rfc9293.info);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_DUPFILTER, "paws"),
                   &ptcp_dupfilter_paws.info);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_DUPFILTER, "rfc793"),
                   &ptcp_dupfilter_rfc793.info);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_CLOSE, "rfc9293"),
                   &ptcp_close_rfc9293.info);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_CLOSE, "abort"), &ptcp_close_abort.info);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_CLOSE, "rfc6191"),
                   &ptcp_close_rfc6191.info);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_CLOSE, "rfc793"),
                   &ptcp_close_rfc793.info);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_CLOSE, "short"), &ptcp_close_short.info);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_CC, "newreno"),
                   &ptcp_cc_newreno.info);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_CC, "none"), &ptcp_cc_none.info);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_CC, "cubic"), &ptcp_cc_cubic.info);

  /* Names are per slot. */
  ck_assert_ptr_null(ptcp_registry_find(reg, PTCP_SLOT_RTO, "newreno"));
  ck_assert_ptr_null(ptcp_registry_find(reg, PTCP_SLOT_COUNT, "newreno"));
  ck_assert_ptr_null(ptcp_registry_find(reg, PTCP_SLOT_CC, NULL));
  ck_assert_ptr_null(ptcp_registry_find(NULL, PTCP_SLOT_CC, "none"));

  /* Listing is in name order. */
  ck_assert_str_eq(ptcp_registry_get(reg, PTCP_SLOT_ISN, 0)->name, "counter");
  ck_assert_str_eq(ptcp_registry_get(reg, PTCP_SLOT_ISN, 1)->name, "fixed");
  ck_assert_str_eq(ptcp_registry_get(reg, PTCP_SLOT_ISN, 2)->name, "random");
  ck_assert_str_eq(ptcp_registry_get(reg, PTCP_SLOT_ISN, 3)->name, "rfc6528");
  ck_assert_str_eq(ptcp_registry_get(reg, PTCP_SLOT_ISN, 4)->name, "rfc793");
  ck_assert_ptr_null(ptcp_registry_get(reg, PTCP_SLOT_ISN, 5));
  ck_assert_str_eq(ptcp_registry_get(reg, PTCP_SLOT_CC, 0)->name, "cubic");
  ck_assert_str_eq(ptcp_registry_get(reg, PTCP_SLOT_CC, 1)->name, "newreno");
  ck_assert_str_eq(ptcp_registry_get(reg, PTCP_SLOT_CC, 2)->name, "none");

  /* A second call changes nothing and says why. */
  ck_assert_int_eq(ptcp_registry_add_builtins(reg), PTCP_ERR_EXISTS);
  ck_assert_uint_eq(ptcp_registry_count(reg, PTCP_SLOT_ISN), 5);
  ck_assert_uint_eq(ptcp_registry_count(reg, PTCP_SLOT_CC), 3);
  ck_assert_int_eq(ptcp_registry_add_builtins(NULL), PTCP_ERR_INVALID_ARGUMENT);
  ptcp_registry_free(reg);
}
END_TEST

START_TEST(test_registry_builtins_after_user_policy) {
  ptcp_registry *reg = NULL;
  ptcp_cc_ops mine = ptcp_cc_none; /* a user's "none", registered first */

  ck_assert_int_eq(ptcp_registry_new(&reg, NULL), 0);
  ck_assert_int_eq(ptcp_registry_add(reg, &mine.info), 0);
  /* The clash is found before anything is added. */
  ck_assert_int_eq(ptcp_registry_add_builtins(reg), PTCP_ERR_EXISTS);
  ck_assert_uint_eq(ptcp_registry_count(reg, PTCP_SLOT_ISN), 0);
  ck_assert_uint_eq(ptcp_registry_count(reg, PTCP_SLOT_CC), 1);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_CC, "none"), &mine.info);
  ptcp_registry_free(reg);
}
END_TEST

START_TEST(test_registry_sorted_insert_and_find) {
  static const char *const order[] = {"m", "b", "z", "a", "bb", "b-", "0"};
  static const char *const sorted[] = {"0", "a", "b", "b-", "bb", "m", "z"};
  ptcp_rto_ops ops[sizeof(order) / sizeof(order[0])];
  ptcp_registry *reg = NULL;
  size_t i;

  ck_assert_int_eq(ptcp_registry_new(&reg, NULL), 0);
  for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
    ops[i] = ptcp_rto_fixed;
    ops[i].info.name = order[i];
    ck_assert_int_eq(ptcp_registry_add(reg, &ops[i].info), 0);
  }
  ck_assert_uint_eq(ptcp_registry_count(reg, PTCP_SLOT_RTO), 7);
  for (i = 0; i < sizeof(sorted) / sizeof(sorted[0]); i++) {
    ck_assert_str_eq(ptcp_registry_get(reg, PTCP_SLOT_RTO, i)->name, sorted[i]);
    ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_RTO, sorted[i]),
                     ptcp_registry_get(reg, PTCP_SLOT_RTO, i));
  }
  /* Prefixes and extensions of registered names are different names. */
  ck_assert_ptr_null(ptcp_registry_find(reg, PTCP_SLOT_RTO, "bbb"));
  ck_assert_ptr_null(ptcp_registry_find(reg, PTCP_SLOT_RTO, "b-x"));
  ck_assert_ptr_null(ptcp_registry_find(reg, PTCP_SLOT_RTO, ""));
  ck_assert_ptr_null(ptcp_registry_find(reg, PTCP_SLOT_ISN, "a"));
  ptcp_registry_free(reg);
}
END_TEST

START_TEST(test_registry_duplicate) {
  ptcp_registry *reg = NULL;
  ptcp_rto_ops a = ptcp_rto_fixed, b = ptcp_rto_rfc6298;
  ptcp_cc_ops c = ptcp_cc_none;

  ck_assert_int_eq(ptcp_registry_new(&reg, NULL), 0);
  a.info.name = "same";
  b.info.name = "same";
  c.info.name = "same";
  ck_assert_int_eq(ptcp_registry_add(reg, &a.info), 0);
  ck_assert_int_eq(ptcp_registry_add(reg, &b.info), PTCP_ERR_EXISTS);
  ck_assert_int_eq(ptcp_registry_add(reg, &a.info), PTCP_ERR_EXISTS);
  /* Same name, other slot: fine. */
  ck_assert_int_eq(ptcp_registry_add(reg, &c.info), 0);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_RTO, "same"), &a.info);
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_CC, "same"), &c.info);
  ptcp_registry_free(reg);
}
END_TEST

START_TEST(test_registry_limit) {
  enum { N = 65 };
  static char names[N][8];
  ptcp_cc_ops ops[N];
  ptcp_registry *reg = NULL;
  int i;

  ck_assert_int_eq(ptcp_registry_new(&reg, NULL), 0);
  for (i = 0; i < N; i++) {
    snprintf(names[i], sizeof(names[i]), "cc%02d", i);
    ops[i] = ptcp_cc_none;
    ops[i].info.name = names[i];
  }
  for (i = 0; i < N - 1; i++)
    ck_assert_int_eq(ptcp_registry_add(reg, &ops[i].info), 0);
  ck_assert_int_eq(ptcp_registry_add(reg, &ops[N - 1].info), PTCP_ERR_LIMIT);
  ck_assert_uint_eq(ptcp_registry_count(reg, PTCP_SLOT_CC), 64);
  /* A full slot still reports duplicates as such. */
  ck_assert_int_eq(ptcp_registry_add(reg, &ops[0].info), PTCP_ERR_EXISTS);
  /* Other slots are not affected. */
  ck_assert_int_eq(ptcp_registry_add(reg, &ptcp_rto_fixed.info), 0);
  ptcp_registry_free(reg);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Validation                                                          */

START_TEST(test_registry_incomplete_ops) {
  ptcp_registry *reg = NULL;
  ptcp_isn_ops isn;
  ptcp_rto_ops rto;
  ptcp_dupfilter_ops df;
  ptcp_close_ops cl;
  ptcp_cc_ops cc;
  char want[128];

  ck_assert_int_eq(ptcp_registry_new(&reg, NULL), 0);

#define EXPECT_INCOMPLETE(var, proto, hook)                                           \
  do {                                                                               \
    var = proto;                                                                     \
    var.hook = NULL;                                                                 \
    ck_assert_msg(ptcp_registry_add(reg, &var.info) == PTCP_ERR_OPS_INCOMPLETE,      \
                  "%s without " #hook " was accepted", var.info.name);               \
    snprintf(want, sizeof(want), "%s policy '%s' lacks the required hook '%s'",       \
             ptcp_slot_name(var.info.slot), var.info.name, #hook);                   \
    ck_assert_str_eq(ptcp_registry_errmsg(reg), want);                               \
  } while (0)

  EXPECT_INCOMPLETE(isn, ptcp_isn_rfc6528, generate);
  EXPECT_INCOMPLETE(rto, ptcp_rto_rfc6298, init);
  EXPECT_INCOMPLETE(rto, ptcp_rto_rfc6298, on_rtt_sample);
  EXPECT_INCOMPLETE(rto, ptcp_rto_rfc6298, rto);
  EXPECT_INCOMPLETE(rto, ptcp_rto_rfc6298, on_timeout);
  EXPECT_INCOMPLETE(df, ptcp_dupfilter_rfc9293, check_seq);
  EXPECT_INCOMPLETE(df, ptcp_dupfilter_rfc9293, check_rst);
  EXPECT_INCOMPLETE(df, ptcp_dupfilter_rfc9293, check_syn);
  EXPECT_INCOMPLETE(df, ptcp_dupfilter_rfc9293, check_ack);
  EXPECT_INCOMPLETE(cl, ptcp_close_rfc9293, time_wait);
  EXPECT_INCOMPLETE(cl, ptcp_close_rfc9293, time_wait_segment);
  EXPECT_INCOMPLETE(cc, ptcp_cc_newreno, init);
  EXPECT_INCOMPLETE(cc, ptcp_cc_newreno, cwnd);
  EXPECT_INCOMPLETE(cc, ptcp_cc_newreno, on_ack);
  EXPECT_INCOMPLETE(cc, ptcp_cc_newreno, on_enter_recovery);
  EXPECT_INCOMPLETE(cc, ptcp_cc_newreno, on_exit_recovery);
  EXPECT_INCOMPLETE(cc, ptcp_cc_newreno, on_timeout);
#undef EXPECT_INCOMPLETE
  ck_assert_uint_eq(ptcp_registry_count(reg, PTCP_SLOT_CC), 0);

  /* Optional hooks may be missing. */
  isn = ptcp_isn_rfc6528;
  isn.init = NULL;
  isn.release = NULL;
  ck_assert_int_eq(ptcp_registry_add(reg, &isn.info), 0);
  rto = ptcp_rto_rfc6298;
  rto.srtt = NULL;
  rto.on_new_ack = NULL;
  rto.on_spurious_timeout = NULL;
  rto.release = NULL;
  ck_assert_int_eq(ptcp_registry_add(reg, &rto.info), 0);
  df = ptcp_dupfilter_rfc9293;
  df.init = NULL;
  df.challenge_allowed = NULL;
  df.release = NULL;
  ck_assert_int_eq(ptcp_registry_add(reg, &df.info), 0);
  cl = ptcp_close_rfc9293;
  cl.close_action = NULL;
  cl.fin_wait_2_timeout = NULL;
  ck_assert_int_eq(ptcp_registry_add(reg, &cl.info), 0);
  cc = ptcp_cc_newreno;
  cc.ssthresh = NULL;
  cc.on_recovery_dupack = NULL;
  cc.on_partial_ack = NULL;
  cc.on_spurious = NULL;
  cc.on_idle = NULL;
  cc.release = NULL;
  ck_assert_int_eq(ptcp_registry_add(reg, &cc.info), 0);
  ptcp_registry_free(reg);
}
END_TEST

START_TEST(test_registry_bad_names) {
  static const char *const bad[] = {
      "",          "Rfc6298",          "rfc 6298",         "rfc6298:x", "a,b",
      "a=b",       "caf\xc3\xa9",      "sixteen-chars-xx", "tab\t",     "dot.name",
  };
  static const char *const good[] = {"a", "0", "fifteen-chars-x", "snake_case", "x-y"};
  /* Each good name needs its own ops: the registry keeps the pointer. */
  static ptcp_rto_ops kept[sizeof(good) / sizeof(good[0])];
  ptcp_registry *reg = NULL;
  ptcp_rto_ops ops;
  size_t i;

  ck_assert_int_eq(ptcp_registry_new(&reg, NULL), 0);
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    ops = ptcp_rto_fixed;
    ops.info.name = bad[i];
    ck_assert_msg(ptcp_registry_add(reg, &ops.info) == PTCP_ERR_INVALID_ARGUMENT,
                  "name '%s' was accepted", bad[i]);
  }
  ops = ptcp_rto_fixed;
  ops.info.name = NULL;
  ck_assert_int_eq(ptcp_registry_add(reg, &ops.info), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_uint_eq(ptcp_registry_count(reg, PTCP_SLOT_RTO), 0);

  for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    kept[i] = ptcp_rto_fixed;
    kept[i].info.name = good[i];
    ck_assert_msg(ptcp_registry_add(reg, &kept[i].info) == 0, "name '%s' was refused",
                  good[i]);
  }
  ck_assert_int_eq(ptcp_registry_add(NULL, &ptcp_rto_fixed.info),
                   PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(ptcp_registry_add(reg, NULL), PTCP_ERR_INVALID_ARGUMENT);
  ptcp_registry_free(reg);
}
END_TEST

START_TEST(test_registry_abi_and_slot) {
  ptcp_registry *reg = NULL;
  ptcp_rto_ops ops = ptcp_rto_fixed;

  ck_assert_int_eq(ptcp_registry_new(&reg, NULL), 0);
  ops.info.abi = PTCP_POLICY_ABI + 1;
  ck_assert_int_eq(ptcp_registry_add(reg, &ops.info), PTCP_ERR_ABI);
  ops.info.abi = 0;
  ck_assert_int_eq(ptcp_registry_add(reg, &ops.info), PTCP_ERR_ABI);
  /* The ABI is checked before anything else: a future struct layout may
   * put a bad name where the name used to be. */
  ops.info.name = "BAD NAME";
  ck_assert_int_eq(ptcp_registry_add(reg, &ops.info), PTCP_ERR_ABI);

  ops = ptcp_rto_fixed;
  ops.info.slot = PTCP_SLOT_COUNT;
  ck_assert_int_eq(ptcp_registry_add(reg, &ops.info), PTCP_ERR_INVALID_ARGUMENT);
  ops.info.slot = (ptcp_slot)-1;
  ck_assert_int_eq(ptcp_registry_add(reg, &ops.info), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_uint_eq(ptcp_registry_count(reg, PTCP_SLOT_RTO), 0);
  ptcp_registry_free(reg);
}
END_TEST

/* A params struct for the descriptor tests: 8 + 4 + 1 bytes, padded. */
typedef struct test_params {
  ptcp_duration d;
  uint32_t u;
  uint8_t b;
} test_params;

static const test_params test_defaults = {.d = PTCP_SECONDS, .u = 7, .b = 1};

static int desc_add(ptcp_registry *reg, const ptcp_param_desc *descs, size_t n,
                    size_t params_size, const void *defaults) {
  /* Static: the registry keeps the pointer if the add succeeds. */
  static ptcp_cc_ops ops;

  ops = ptcp_cc_none;
  ops.info.name = "params";
  ops.info.params = descs;
  ops.info.nparams = n;
  ops.info.params_size = params_size;
  ops.info.params_default = defaults;
  return ptcp_registry_add(reg, &ops.info);
}

START_TEST(test_registry_param_descriptors) {
  ptcp_param_desc d[3] = {
      {.name = "d", .type = PTCP_PARAM_DURATION, .offset = offsetof(test_params, d),
       .min = 0, .max = UINT64_MAX},
      {.name = "u", .type = PTCP_PARAM_U32, .offset = offsetof(test_params, u),
       .min = 0, .max = UINT32_MAX},
      {.name = "b", .type = PTCP_PARAM_BOOL, .offset = offsetof(test_params, b),
       .min = 0, .max = 1},
  };
  ptcp_param_desc e[3];
  ptcp_registry *reg = NULL;
  const size_t size = sizeof(test_params);

  ck_assert_int_eq(ptcp_registry_new(&reg, NULL), 0);

  /* params_size above PTCP_PARAMS_MAX. */
  ck_assert_int_eq(desc_add(reg, NULL, 0, PTCP_PARAMS_MAX + 1, NULL),
                   PTCP_ERR_INVALID_ARGUMENT);
  /* Descriptors announced but missing. */
  ck_assert_int_eq(desc_add(reg, NULL, 1, size, NULL), PTCP_ERR_INVALID_ARGUMENT);
  /* More descriptors than bytes. */
  ck_assert_int_eq(desc_add(reg, d, PTCP_PARAMS_MAX + 1, size, NULL),
                   PTCP_ERR_INVALID_ARGUMENT);

  /* A duration that would end past params_size (offset + 8 > size). */
  memcpy(e, d, sizeof(e));
  e[0].offset = size - sizeof(ptcp_duration) + 1;
  ck_assert_int_eq(desc_add(reg, e, 3, size, NULL), PTCP_ERR_INVALID_ARGUMENT);
  /* ... and one whose offset + size overflows size_t. */
  e[0].offset = SIZE_MAX - 2;
  ck_assert_int_eq(desc_add(reg, e, 3, size, NULL), PTCP_ERR_INVALID_ARGUMENT);
  /* A field bigger than the whole struct. */
  memcpy(e, d, sizeof(e));
  ck_assert_int_eq(desc_add(reg, e, 1, sizeof(uint32_t), NULL),
                   PTCP_ERR_INVALID_ARGUMENT);
  /* Exactly at the end is fine. */
  e[1].offset = size - sizeof(uint32_t);
  ck_assert_int_eq(desc_add(reg, &e[1], 1, size, NULL), 0);
  ck_assert_ptr_nonnull(ptcp_registry_find(reg, PTCP_SLOT_CC, "params"));
  ptcp_registry_free(reg);
  ck_assert_int_eq(ptcp_registry_new(&reg, NULL), 0);

  /* Bounds: min > max, or max beyond what the type holds. */
  memcpy(e, d, sizeof(e));
  e[1].min = 5;
  e[1].max = 4;
  ck_assert_int_eq(desc_add(reg, e, 3, size, NULL), PTCP_ERR_INVALID_ARGUMENT);
  memcpy(e, d, sizeof(e));
  e[1].max = (uint64_t)UINT32_MAX + 1;
  ck_assert_int_eq(desc_add(reg, e, 3, size, NULL), PTCP_ERR_INVALID_ARGUMENT);
  memcpy(e, d, sizeof(e));
  e[2].max = 2;
  ck_assert_int_eq(desc_add(reg, e, 3, size, NULL), PTCP_ERR_INVALID_ARGUMENT);

  /* A default outside its own bounds (NULL defaults are all zero). */
  memcpy(e, d, sizeof(e));
  e[1].min = 8;
  ck_assert_int_eq(desc_add(reg, e, 3, size, &test_defaults), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(desc_add(reg, e, 3, size, NULL), PTCP_ERR_INVALID_ARGUMENT);
  e[1].min = 7;
  e[1].max = 7;
  ck_assert_int_eq(desc_add(reg, e, 3, size, NULL), PTCP_ERR_INVALID_ARGUMENT);

  /* Unknown type, unusable or repeated keys. */
  memcpy(e, d, sizeof(e));
  e[0].type = (ptcp_param_type)0;
  ck_assert_int_eq(desc_add(reg, e, 3, size, NULL), PTCP_ERR_INVALID_ARGUMENT);
  memcpy(e, d, sizeof(e));
  e[0].name = "Key";
  ck_assert_int_eq(desc_add(reg, e, 3, size, NULL), PTCP_ERR_INVALID_ARGUMENT);
  e[0].name = "a=b";
  ck_assert_int_eq(desc_add(reg, e, 3, size, NULL), PTCP_ERR_INVALID_ARGUMENT);
  e[0].name = NULL;
  ck_assert_int_eq(desc_add(reg, e, 3, size, NULL), PTCP_ERR_INVALID_ARGUMENT);
  e[0].name = "b";
  ck_assert_int_eq(desc_add(reg, e, 3, size, NULL), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_uint_eq(ptcp_registry_count(reg, PTCP_SLOT_CC), 0);

  /* And the good table goes in. */
  ck_assert_int_eq(desc_add(reg, d, 3, size, &test_defaults), 0);
  ptcp_registry_free(reg);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Error sentences and removal                                         */

/* ptcp_registry_add(reg, ops) must fail with |code| and say |want|. */
static void expect_add(ptcp_registry *reg, const ptcp_policy_info *ops, int code,
                       const char *want) {
  size_t before[PTCP_SLOT_COUNT];
  int rv, i;

  for (i = 0; i < PTCP_SLOT_COUNT; i++)
    before[i] = ptcp_registry_count(reg, (ptcp_slot)i);
  rv = ptcp_registry_add(reg, ops);
  ck_assert_msg(rv == code, "add returned %s, want %s (%s)", ptcp_err_name(rv),
                ptcp_err_name(code), ptcp_registry_errmsg(reg));
  ck_assert_str_eq(ptcp_registry_errmsg(reg), want);
  for (i = 0; i < PTCP_SLOT_COUNT; i++)
    ck_assert_uint_eq(ptcp_registry_count(reg, (ptcp_slot)i), before[i]);
}

START_TEST(test_registry_errmsg) {
  static const char long_name[] = "this-name-is-far-too-long-for-any-policy-slot-at-all";
  static char names[65][8];
  static ptcp_cc_ops many[65];
  ptcp_registry *reg = NULL;
  ptcp_rto_ops rto;
  ptcp_cc_ops cc;
  ptcp_param_desc bad[2] = {
      {.name = "min", .type = PTCP_PARAM_DURATION, .offset = 0, .min = 5, .max = 10},
      {.name = "min", .type = PTCP_PARAM_DURATION, .offset = 0, .min = 0, .max = 10},
  };
  int i;

  ck_assert_str_eq(ptcp_registry_errmsg(NULL), "no registry (NULL)");
  ck_assert_int_eq(ptcp_registry_new(&reg, NULL), 0);
  ck_assert_str_eq(ptcp_registry_errmsg(reg), "");

  expect_add(reg, NULL, PTCP_ERR_INVALID_ARGUMENT, "no policy ops given (NULL)");
  rto = ptcp_rto_fixed;
  rto.info.abi = PTCP_POLICY_ABI + 1;
  rto.info.name = NULL; /* never read under another ABI */
  expect_add(reg, &rto.info, PTCP_ERR_ABI,
             "policy ops built for policy ABI 2; this library has ABI 1");
  rto = ptcp_rto_fixed;
  rto.info.slot = PTCP_SLOT_COUNT;
  expect_add(reg, &rto.info, PTCP_ERR_INVALID_ARGUMENT,
             "policy ops name slot 5, which does not exist (0 to 4)");
  rto = ptcp_rto_fixed;
  rto.info.name = NULL;
  expect_add(reg, &rto.info, PTCP_ERR_INVALID_ARGUMENT, "rto policy ops have no name (NULL)");
  rto.info.name = "Fixed";
  expect_add(reg, &rto.info, PTCP_ERR_INVALID_ARGUMENT,
             "rto policy name 'Fixed' is not 1-15 characters of [a-z0-9_-]");
  /* User text is quoted at most 40 bytes long. */
  rto.info.name = long_name;
  expect_add(reg, &rto.info, PTCP_ERR_INVALID_ARGUMENT,
             "rto policy name 'this-name-is-far-too-long-for-any-policy' is not 1-15 "
             "characters of [a-z0-9_-]");

  /* Parameter tables: which parameter, and what is wrong with it. */
  cc = ptcp_cc_none;
  cc.info.name = "tbl";
  cc.info.params_size = PTCP_PARAMS_MAX + 1;
  expect_add(reg, &cc.info, PTCP_ERR_INVALID_ARGUMENT,
             "cc policy 'tbl': params_size 65 is above PTCP_PARAMS_MAX (64)");
  cc.info.params_size = sizeof(ptcp_duration);
  cc.info.params = bad;
  cc.info.nparams = 1;
  expect_add(reg, &cc.info, PTCP_ERR_INVALID_ARGUMENT,
             "cc policy 'tbl': parameter 'min' defaults to 0s, outside its bounds 5ns to "
             "10ns");
  cc.info.params = &bad[1];
  cc.info.params_size = sizeof(uint32_t);
  expect_add(reg, &cc.info, PTCP_ERR_INVALID_ARGUMENT,
             "cc policy 'tbl': parameter 'min' (8 bytes at offset 0) is beyond "
             "params_size 4");
  bad[0].min = 0;
  cc.info.params = bad;
  cc.info.nparams = 2;
  cc.info.params_size = sizeof(ptcp_duration);
  expect_add(reg, &cc.info, PTCP_ERR_INVALID_ARGUMENT,
             "cc policy 'tbl': parameter 'min' appears twice");
  bad[1].name = "max";
  bad[1].min = 11;
  expect_add(reg, &cc.info, PTCP_ERR_INVALID_ARGUMENT,
             "cc policy 'tbl': parameter 'max' has bounds [11, 10] that cross");

  /* A success clears the sentence; a duplicate names the policy. */
  ck_assert_int_eq(ptcp_registry_add(reg, &ptcp_rto_fixed.info), 0);
  ck_assert_str_eq(ptcp_registry_errmsg(reg), "");
  rto = ptcp_rto_rfc6298;
  rto.info.name = "fixed";
  expect_add(reg, &rto.info, PTCP_ERR_EXISTS, "rto policy 'fixed' is already registered");
  expect_add(reg, &ptcp_rto_fixed.info, PTCP_ERR_EXISTS,
             "rto policy 'fixed' is already registered");

  /* A full slot. */
  for (i = 0; i < 65; i++) {
    snprintf(names[i], sizeof(names[i]), "cc%02d", i);
    many[i] = ptcp_cc_none;
    many[i].info.name = names[i];
    if (i < 64)
      ck_assert_int_eq(ptcp_registry_add(reg, &many[i].info), 0);
  }
  expect_add(reg, &many[64].info, PTCP_ERR_LIMIT,
             "the cc slot is full (64 policies); cc policy 'cc64' does not fit");
  ptcp_registry_free(reg);

  /* ptcp_registry_add_builtins says which built-in was already there. */
  reg = builtin_registry();
  ck_assert_int_eq(ptcp_registry_add_builtins(reg), PTCP_ERR_EXISTS);
  ck_assert_str_eq(ptcp_registry_errmsg(reg), "isn policy 'rfc6528' is already registered");
  ptcp_registry_free(reg);
}
END_TEST

/* The names of |slot| in listing order, comma-separated. */
static const char *slot_list(const ptcp_registry *reg, ptcp_slot slot) {
  static char buf[512];
  size_t i, len = 0;

  buf[0] = '\0';
  for (i = 0; i < ptcp_registry_count(reg, slot); i++) {
    int n = snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? "," : "",
                     ptcp_registry_get(reg, slot, i)->name);
    ck_assert_int_gt(n, 0);
    len += (size_t)n;
    ck_assert_uint_lt(len, sizeof(buf));
  }
  return buf;
}

START_TEST(test_registry_remove) {
  ptcp_registry *reg = builtin_registry();
  ptcp_rto_ops impostor = ptcp_rto_fixed; /* same name, other ops */
  ptcp_rto_ops noname = ptcp_rto_fixed, noslot = ptcp_rto_fixed;
  ptcp_policy_sel sel;
  char err[256];

  ck_assert_str_eq(slot_list(reg, PTCP_SLOT_RTO),
                   "fixed,freebsd,jacobson88,linux,rfc6298,rfc793");

  /* From the middle, the front and the end: the rest stays sorted. */
  ck_assert_int_eq(ptcp_registry_remove(reg, &ptcp_rto_linux.info), 0);
  ck_assert_str_eq(ptcp_registry_errmsg(reg), "");
  ck_assert_ptr_null(ptcp_registry_find(reg, PTCP_SLOT_RTO, "linux"));
  ck_assert_str_eq(slot_list(reg, PTCP_SLOT_RTO), "fixed,freebsd,jacobson88,rfc6298,rfc793");
  ck_assert_int_eq(ptcp_registry_remove(reg, &ptcp_rto_fixed.info), 0);
  ck_assert_int_eq(ptcp_registry_remove(reg, &ptcp_rto_rfc793.info), 0);
  ck_assert_str_eq(slot_list(reg, PTCP_SLOT_RTO), "freebsd,jacobson88,rfc6298");
  ck_assert_ptr_null(ptcp_registry_get(reg, PTCP_SLOT_RTO, 3));
  for (int i = 0; i < 3; i++)
    ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_RTO,
                                        ptcp_registry_get(reg, PTCP_SLOT_RTO, (size_t)i)->name),
                     ptcp_registry_get(reg, PTCP_SLOT_RTO, (size_t)i));

  /* A removed name no longer resolves in specs. */
  ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_RTO, "linux", err, sizeof(err)),
                   PTCP_ERR_NOT_FOUND);
  ck_assert_str_eq(err, "no rto policy named 'linux'; available: freebsd, jacobson88, rfc6298");

  /* Twice, or by name with other ops: NOT_FOUND, nothing changes. */
  ck_assert_int_eq(ptcp_registry_remove(reg, &ptcp_rto_linux.info), PTCP_ERR_NOT_FOUND);
  ck_assert_str_eq(ptcp_registry_errmsg(reg), "rto policy 'linux' is not registered");
  impostor.info.name = "rfc6298";
  ck_assert_int_eq(ptcp_registry_remove(reg, &impostor.info), PTCP_ERR_NOT_FOUND);
  ck_assert_str_eq(ptcp_registry_errmsg(reg),
                   "rto policy 'rfc6298' is not registered with these ops (other ops hold "
                   "the name)");
  ck_assert_ptr_eq(ptcp_registry_find(reg, PTCP_SLOT_RTO, "rfc6298"), &ptcp_rto_rfc6298.info);
  ck_assert_str_eq(slot_list(reg, PTCP_SLOT_RTO), "freebsd,jacobson88,rfc6298");

  /* Bad arguments. */
  ck_assert_int_eq(ptcp_registry_remove(NULL, &ptcp_rto_rfc6298.info),
                   PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(ptcp_registry_remove(reg, NULL), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_str_eq(ptcp_registry_errmsg(reg), "no policy ops given (NULL)");
  noname.info.name = NULL;
  ck_assert_int_eq(ptcp_registry_remove(reg, &noname.info), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_str_eq(ptcp_registry_errmsg(reg), "rto policy ops have no name (NULL)");
  noslot.info.slot = (ptcp_slot)7;
  ck_assert_int_eq(ptcp_registry_remove(reg, &noslot.info), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_str_eq(ptcp_registry_errmsg(reg),
                   "policy ops name slot 7, which does not exist (0 to 4)");
  ck_assert_uint_eq(ptcp_registry_count(reg, PTCP_SLOT_RTO), 3);

  /* Removed policies can come back; emptying a slot works too. */
  ck_assert_int_eq(ptcp_registry_add(reg, &ptcp_rto_linux.info), 0);
  ck_assert_str_eq(slot_list(reg, PTCP_SLOT_RTO), "freebsd,jacobson88,linux,rfc6298");
  ck_assert_int_eq(ptcp_registry_remove(reg, &ptcp_cc_cubic.info), 0);
  ck_assert_int_eq(ptcp_registry_remove(reg, &ptcp_cc_none.info), 0);
  ck_assert_int_eq(ptcp_registry_remove(reg, &ptcp_cc_newreno.info), 0);
  ck_assert_uint_eq(ptcp_registry_count(reg, PTCP_SLOT_CC), 0);
  ck_assert_ptr_null(ptcp_registry_get(reg, PTCP_SLOT_CC, 0));
  ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_CC, "newreno", err, sizeof(err)),
                   PTCP_ERR_NOT_FOUND);
  ck_assert_str_eq(err, "no cc policy named 'newreno'; available: none");
  ck_assert_uint_eq(ptcp_registry_count(reg, PTCP_SLOT_ISN), 5);
  ptcp_registry_free(reg);
}
END_TEST

static int discard_emit(void *user, const uint8_t *pkt, size_t len) {
  (void)user;
  (void)pkt;
  (void)len;
  return 0;
}

START_TEST(test_registry_remove_in_use) {
  /* A stack keeps what it resolved; only new lookups see the removal. */
  ptcp_registry *reg = builtin_registry();
  ptcp_rto_ops mine = ptcp_rto_fixed;
  ptcp_stack_cfg cfg;
  ptcp_conn_cfg ccfg;
  ptcp_conn_status st;
  ptcp_stack *stack = NULL;
  ptcp_conn *a = NULL, *b = NULL;
  test_rand rnd = {.x = 1};

  mine.info.name = "mine";
  ck_assert_int_eq(ptcp_registry_add(reg, &mine.info), 0);
  ptcp_stack_cfg_default(&cfg);
  cfg.registry = reg;
  cfg.rand = test_rand_fill;
  cfg.rand_ctx = &rnd;
  cfg.callbacks.emit = discard_emit;
  cfg.policy[PTCP_SLOT_RTO] = "mine";
  ck_assert_int_eq(ptcp_stack_new(&stack, &cfg, 0), 0);

  ck_assert_int_eq(ptcp_registry_remove(reg, &mine.info), 0);
  /* The stack's default was resolved when it was created. */
  ck_assert_int_eq(ptcp_conn_new(stack, NULL, &a), 0);
  ptcp_conn_status_get(a, &st);
  ck_assert_str_eq(st.policy[PTCP_SLOT_RTO], "mine");
  /* A spec that names it now fails. */
  ptcp_conn_cfg_default(&ccfg);
  ccfg.policy[PTCP_SLOT_RTO] = "mine:value=2s";
  ck_assert_int_eq(ptcp_conn_new(stack, &ccfg, &b), PTCP_ERR_NOT_FOUND);
  ck_assert_ptr_null(b);
  ptcp_stack_free(stack);
  ptcp_registry_free(reg);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Specs                                                               */

/* Formats |sel| into a static buffer (one at a time). */
static const char *fmt(const ptcp_policy_sel *sel) {
  static char buf[256];
  int n = ptcp_policy_format(buf, sizeof(buf), sel);

  ck_assert_int_gt(n, 0);
  ck_assert_uint_lt((size_t)n, sizeof(buf));
  ck_assert_uint_eq(strlen(buf), (size_t)n);
  return buf;
}

START_TEST(test_parse_defaults) {
  ptcp_registry *reg = builtin_registry();
  ptcp_policy_sel sel;
  char err[256];

  ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_RTO, "rfc6298", err,
                                     sizeof(err)),
                   0);
  ck_assert_ptr_eq(sel.ops, &ptcp_rto_rfc6298.info);
  ck_assert_str_eq(fmt(&sel), "rfc6298:min=1s,max=60s,initial=1s,granularity=1ms,"
                              "backoff_cap=16,eifel=off");
  ck_assert_str_eq(err, "");

  ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_ISN, "counter", NULL, 0), 0);
  ck_assert_str_eq(fmt(&sel), "counter:start=0,step=64000");
  ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_CC, "none", NULL, 0), 0);
  ck_assert_str_eq(fmt(&sel), "none");
  ptcp_registry_free(reg);
}
END_TEST

START_TEST(test_parse_keys) {
  ptcp_registry *reg = builtin_registry();
  ptcp_policy_sel sel;
  char err[256];

  ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_RTO,
                                     "rfc6298:min=200ms,max=120s,backoff_cap=0x10,"
                                     "granularity=40us",
                                     err, sizeof(err)),
                   0);
  ck_assert_str_eq(fmt(&sel), "rfc6298:min=200ms,max=120s,initial=1s,granularity=40us,"
                              "backoff_cap=16,eifel=off");
  ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_RTO,
                                     "fixed:backoff_cap=0,value=1.5", err, sizeof(err)),
                   0);
  ck_assert_str_eq(fmt(&sel), "fixed:value=1500ms,max=60s,backoff_cap=0");
  ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_RTO, "rfc6298:eifel=yes", err,
                                     sizeof(err)),
                   0);
  ck_assert_str_eq(fmt(&sel), "rfc6298:min=1s,max=60s,initial=1s,granularity=1ms,"
                              "backoff_cap=16,eifel=on");
  ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_RTO, "rfc6298:eifel=0", err,
                                     sizeof(err)),
                   0);
  ck_assert_str_eq(fmt(&sel), "rfc6298:min=1s,max=60s,initial=1s,granularity=1ms,"
                              "backoff_cap=16,eifel=off");
  ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_ISN,
                                     "counter:start=0xFFFFFFFF,step=4294967295", err,
                                     sizeof(err)),
                   0);
  ck_assert_str_eq(fmt(&sel), "counter:start=4294967295,step=4294967295");
  ptcp_registry_free(reg);
}
END_TEST

/* Parses |spec| expecting failure |code| and an exact |msg|. */
static void expect_error(ptcp_registry *reg, ptcp_slot slot, const char *spec, int code,
                         const char *msg) {
  ptcp_policy_sel sel, before;
  char err[512];
  int rv;

  memset(&sel, 0x5a, sizeof(sel));
  before = sel;
  rv = ptcp_policy_parse(&sel, reg, slot, spec, err, sizeof(err));
  ck_assert_msg(rv == code, "spec '%s': got %d (%s), want %d", spec, rv, err, code);
  ck_assert_str_eq(err, msg);
  /* A failed parse leaves the selection alone. */
  ck_assert_mem_eq(&sel, &before, sizeof(sel));
}

START_TEST(test_parse_errors) {
  ptcp_registry *reg = builtin_registry();

  expect_error(reg, PTCP_SLOT_RTO, "rfc6298:mn=1s", PTCP_ERR_INVALID_ARGUMENT,
               "rto policy 'rfc6298' has no parameter 'mn'; it takes: min, max, "
               "initial, granularity, backoff_cap, eifel");
  expect_error(reg, PTCP_SLOT_RTO, "nosuch", PTCP_ERR_NOT_FOUND,
               "no rto policy named 'nosuch'; available: fixed, freebsd, jacobson88, linux, rfc6298, rfc793");
  expect_error(reg, PTCP_SLOT_RTO, "newreno", PTCP_ERR_NOT_FOUND,
               "no rto policy named 'newreno'; available: fixed, freebsd, jacobson88, linux, rfc6298, rfc793");
  expect_error(reg, PTCP_SLOT_RTO, "nosuch:min=1s", PTCP_ERR_NOT_FOUND,
               "no rto policy named 'nosuch'; available: fixed, freebsd, jacobson88, linux, rfc6298, rfc793");
  expect_error(reg, PTCP_SLOT_RTO, "RFC6298", PTCP_ERR_NOT_FOUND,
               "no rto policy named 'RFC6298'; available: fixed, freebsd, jacobson88, linux, rfc6298, rfc793");
  expect_error(reg, PTCP_SLOT_RTO, "", PTCP_ERR_INVALID_ARGUMENT,
               "rto policy spec '' has no policy name");
  expect_error(reg, PTCP_SLOT_RTO, ":min=1s", PTCP_ERR_INVALID_ARGUMENT,
               "rto policy spec ':min=1s' has no policy name");
  expect_error(reg, PTCP_SLOT_RTO, "rfc6298:", PTCP_ERR_INVALID_ARGUMENT,
               "rto policy 'rfc6298': nothing after ':'; it takes: min, max, initial, "
               "granularity, backoff_cap, eifel");
  expect_error(reg, PTCP_SLOT_RTO, "rfc6298:min=1s,", PTCP_ERR_INVALID_ARGUMENT,
               "rto policy 'rfc6298': empty parameter (two commas, or a comma at the "
               "end)");
  expect_error(reg, PTCP_SLOT_RTO, "rfc6298:min=1s,,max=2s", PTCP_ERR_INVALID_ARGUMENT,
               "rto policy 'rfc6298': empty parameter (two commas, or a comma at the "
               "end)");
  expect_error(reg, PTCP_SLOT_RTO, "rfc6298:min", PTCP_ERR_INVALID_ARGUMENT,
               "rto policy 'rfc6298': parameter 'min' needs a value (min=...)");
  expect_error(reg, PTCP_SLOT_RTO, "rfc6298:=1s", PTCP_ERR_INVALID_ARGUMENT,
               "rto policy 'rfc6298' has no parameter ''; it takes: min, max, initial, "
               "granularity, backoff_cap, eifel");
  expect_error(reg, PTCP_SLOT_RTO, "rfc6298:min=abc", PTCP_ERR_INVALID_ARGUMENT,
               "rto policy 'rfc6298': parameter 'min' wants a duration such as 200ms, "
               "1.5s, 40us or 100ns, not 'abc'");
  expect_error(reg, PTCP_SLOT_RTO, "rfc6298:min=", PTCP_ERR_INVALID_ARGUMENT,
               "rto policy 'rfc6298': parameter 'min' wants a duration such as 200ms, "
               "1.5s, 40us or 100ns, not ''");
  expect_error(reg, PTCP_SLOT_RTO, "rfc6298:min=0s", PTCP_ERR_INVALID_ARGUMENT,
               "rto policy 'rfc6298': parameter 'min' must be between 1ms and 600s, "
               "not 0s");
  expect_error(reg, PTCP_SLOT_RTO, "rfc6298:max=601s", PTCP_ERR_INVALID_ARGUMENT,
               "rto policy 'rfc6298': parameter 'max' must be between 1ms and 600s, "
               "not 601s");
  expect_error(reg, PTCP_SLOT_RTO, "rfc6298:backoff_cap=65", PTCP_ERR_INVALID_ARGUMENT,
               "rto policy 'rfc6298': parameter 'backoff_cap' must be between 0 and "
               "64, not 65");
  expect_error(reg, PTCP_SLOT_RTO, "rfc6298:min=1s,min=2s", PTCP_ERR_INVALID_ARGUMENT,
               "rto policy 'rfc6298': parameter 'min' is given twice");
  expect_error(reg, PTCP_SLOT_RTO, "rfc6298:eifel=maybe", PTCP_ERR_INVALID_ARGUMENT,
               "rto policy 'rfc6298': parameter 'eifel' wants on/off, yes/no or 1/0, "
               "not 'maybe'");
  expect_error(reg, PTCP_SLOT_ISN, "counter:start=4294967296", PTCP_ERR_INVALID_ARGUMENT,
               "isn policy 'counter': parameter 'start' wants an unsigned 32-bit "
               "integer (decimal or 0x hex), not '4294967296'");
  expect_error(reg, PTCP_SLOT_ISN, "counter:start=0x100000000",
               PTCP_ERR_INVALID_ARGUMENT,
               "isn policy 'counter': parameter 'start' wants an unsigned 32-bit "
               "integer (decimal or 0x hex), not '0x100000000'");
  expect_error(reg, PTCP_SLOT_ISN, "counter:step=-1", PTCP_ERR_INVALID_ARGUMENT,
               "isn policy 'counter': parameter 'step' wants an unsigned 32-bit "
               "integer (decimal or 0x hex), not '-1'");
  expect_error(reg, PTCP_SLOT_ISN, "counter:step=0x", PTCP_ERR_INVALID_ARGUMENT,
               "isn policy 'counter': parameter 'step' wants an unsigned 32-bit "
               "integer (decimal or 0x hex), not '0x'");
  expect_error(reg, PTCP_SLOT_DUPFILTER, "rfc9293:limit=0", PTCP_ERR_INVALID_ARGUMENT,
               "dupfilter policy 'rfc9293': parameter 'limit' must be between 1 and "
               "1000, not 0");
  expect_error(reg, PTCP_SLOT_CC, "none:x=1", PTCP_ERR_INVALID_ARGUMENT,
               "cc policy 'none' has no parameter 'x'; it takes no parameters");
  /* Keys are matched whole: a prefix or an extension is not a key. */
  expect_error(reg, PTCP_SLOT_CC, "newreno:i=1", PTCP_ERR_INVALID_ARGUMENT,
               "cc policy 'newreno' has no parameter 'i'; it takes: iw, ssthresh");
  expect_error(reg, PTCP_SLOT_CC, "newreno:iww=1", PTCP_ERR_INVALID_ARGUMENT,
               "cc policy 'newreno' has no parameter 'iww'; it takes: iw, ssthresh");
  /* Long user text is quoted shortened. */
  expect_error(reg, PTCP_SLOT_CC,
               "newreno:iw=1234567890123456789012345678901234567890123456789",
               PTCP_ERR_INVALID_ARGUMENT,
               "cc policy 'newreno': parameter 'iw' wants an unsigned 32-bit integer "
               "(decimal or 0x hex), not '1234567890123456789012345678901234567890'");
  ptcp_registry_free(reg);
}
END_TEST

START_TEST(test_parse_error_buffer) {
  ptcp_registry *reg = builtin_registry();
  ptcp_policy_sel sel;
  char err[16];

  /* A short buffer gets a truncated, terminated sentence. */
  memset(err, 'x', sizeof(err));
  ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_RTO, "nosuch", err,
                                     sizeof(err)),
                   PTCP_ERR_NOT_FOUND);
  ck_assert_str_eq(err, "no rto policy n");
  memset(err, 'x', sizeof(err));
  ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_RTO, "nosuch", err, 1),
                   PTCP_ERR_NOT_FOUND);
  ck_assert_int_eq(err[0], '\0');
  ck_assert_int_eq(err[1], 'x');
  ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_RTO, "nosuch", NULL, 0),
                   PTCP_ERR_NOT_FOUND);
  ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_RTO, "nosuch", err, 0),
                   PTCP_ERR_NOT_FOUND);

  /* Bad arguments. */
  ck_assert_int_eq(ptcp_policy_parse(NULL, reg, PTCP_SLOT_RTO, "fixed", NULL, 0),
                   PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(ptcp_policy_parse(&sel, NULL, PTCP_SLOT_RTO, "fixed", NULL, 0),
                   PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_RTO, NULL, NULL, 0),
                   PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_COUNT, "fixed", NULL, 0),
                   PTCP_ERR_INVALID_ARGUMENT);
  ptcp_registry_free(reg);

  /* An empty slot lists "none". */
  ck_assert_int_eq(ptcp_registry_new(&reg, NULL), 0);
  {
    char big[128];

    ck_assert_int_eq(ptcp_policy_parse(&sel, reg, PTCP_SLOT_CC, "newreno", big,
                                       sizeof(big)),
                     PTCP_ERR_NOT_FOUND);
    ck_assert_str_eq(big, "no cc policy named 'newreno'; available: none");
  }
  ptcp_registry_free(reg);
}
END_TEST

START_TEST(test_format_round_trip) {
  static const struct {
    ptcp_slot slot;
    const char *spec;
  } specs[] = {
      {PTCP_SLOT_RTO, "rfc6298"},
      {PTCP_SLOT_RTO, "rfc6298:min=1ms,max=600s,initial=3s,granularity=0,backoff_cap=0"},
      {PTCP_SLOT_RTO, "rfc6298:initial=1.000000001s"},
      {PTCP_SLOT_RTO, "fixed:value=123456789ns,backoff_cap=0"},
      {PTCP_SLOT_RTO, "rfc6298:eifel=no"},
      {PTCP_SLOT_RTO, "rfc793:alpha_milli=0,beta_milli=10000,karn=off"},
      {PTCP_SLOT_RTO, "jacobson88:k=2"},
      {PTCP_SLOT_RTO, "linux:min=5ms"},
      {PTCP_SLOT_RTO, "freebsd:slop=0,granularity=10ms"},
      {PTCP_SLOT_ISN, "rfc793:tick=1ms,offset=4294967295"},
      {PTCP_SLOT_DUPFILTER, "paws:ts_recent_life=1s,require_ts=off"},
      {PTCP_SLOT_CLOSE, "short:time_wait=250ms"},
      {PTCP_SLOT_ISN, "counter:start=0xdeadbeef,step=1"},
      {PTCP_SLOT_ISN, "rfc6528"},
      {PTCP_SLOT_DUPFILTER, "rfc9293:limit=1000"},
      {PTCP_SLOT_CLOSE, "rfc9293:time_wait=1.5,fin_wait_2=0"},
      {PTCP_SLOT_CC, "newreno:iw=10,ssthresh=65535"},
      {PTCP_SLOT_CC, "none"},
  };
  ptcp_registry *reg = builtin_registry();
  size_t i;

  for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
    ptcp_policy_sel a, b;
    char text[256], again[256], small[8];
    int n;

    memset(&a, 0, sizeof(a));
    memset(&b, 0xff, sizeof(b));
    ck_assert_int_eq(ptcp_policy_parse(&a, reg, specs[i].slot, specs[i].spec, NULL, 0),
                     0);
    n = ptcp_policy_format(text, sizeof(text), &a);
    ck_assert_int_gt(n, 0);
    ck_assert_msg(ptcp_policy_parse(&b, reg, specs[i].slot, text, NULL, 0) == 0,
                  "'%s' formatted as '%s', which does not parse", specs[i].spec, text);
    ck_assert_ptr_eq(a.ops, b.ops);
    ck_assert_mem_eq(a.params, b.params, a.ops->params_size);
    ck_assert_int_eq(ptcp_policy_format(again, sizeof(again), &b), n);
    ck_assert_str_eq(again, text);

    /* snprintf-style: the needed length whatever the room. */
    ck_assert_int_eq(ptcp_policy_format(NULL, 0, &a), n);
    ck_assert_int_eq(ptcp_policy_format(small, sizeof(small), &a), n);
    ck_assert_uint_eq(strlen(small), (size_t)n < sizeof(small) ? (size_t)n : 7);
    ck_assert_int_eq(strncmp(small, text, sizeof(small) - 1), 0);
  }
  ptcp_registry_free(reg);
  {
    ptcp_policy_sel none;

    memset(&none, 0, sizeof(none));
    ck_assert_int_eq(ptcp_policy_format(NULL, 0, &none), PTCP_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(ptcp_policy_format(NULL, 0, NULL), PTCP_ERR_INVALID_ARGUMENT);
    none.ops = &ptcp_cc_none.info;
    ck_assert_int_eq(ptcp_policy_format(NULL, 4, &none), PTCP_ERR_INVALID_ARGUMENT);
  }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Durations                                                           */

START_TEST(test_duration_parse_good) {
  static const struct {
    const char *text;
    ptcp_duration want;
  } cases[] = {
      {"250ms", 250 * PTCP_MILLISECONDS},
      {"1.5s", 1500 * PTCP_MILLISECONDS},
      {"40us", 40 * PTCP_MICROSECONDS},
      {"100ns", 100},
      {"2", 2 * PTCP_SECONDS},
      {"0.5", 500 * PTCP_MILLISECONDS},
      {"0", 0},
      {"0ns", 0},
      {"007s", 7 * PTCP_SECONDS},
      {"1.25ms", 1250 * PTCP_MICROSECONDS},
      {"1.000000001s", PTCP_SECONDS + 1},
      {"0.0000000010s", 1},
      {"2.500us", 2500},
      {"1.0ns", 1},
      {"18446744073709551615ns", UINT64_MAX},
      {"18446744073.709551615s", UINT64_MAX},
      {"18446744073709551.615us", UINT64_MAX},
      {"18446744073s", 18446744073ULL * PTCP_SECONDS},
  };
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    ptcp_duration d = 12345;

    ck_assert_msg(ptcp_duration_parse(cases[i].text, &d) == 0, "'%s' refused",
                  cases[i].text);
    ck_assert_msg(d == cases[i].want, "'%s' parsed as %llu", cases[i].text,
                  (unsigned long long)d);
  }
}
END_TEST

START_TEST(test_duration_parse_bad) {
  static const char *const bad[] = {
      "",        "ms",     "s",           ".5s",      "1.s",
      "-1s",     "+1s",    " 1s",         "1s ",      "1 s",
      "1sec",    "1m",     "1h",          "1..5s",    "1.5.5s",
      "0x10",    "1e3",    "1.5ns",       "0.0000000001s", "1.0001us",
      "1,5s",    "1S",     "1MS",         "1µs",
      /* Overflow, in every place it can happen. */
      "18446744073709551616ns", "18446744074s", "18446744073.709551616s",
      "99999999999999999999999", "18446744073709552us",
  };
  size_t i;

  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    ptcp_duration d = 12345;

    ck_assert_msg(ptcp_duration_parse(bad[i], &d) == PTCP_ERR_INVALID_ARGUMENT,
                  "'%s' accepted as %llu", bad[i], (unsigned long long)d);
    ck_assert_uint_eq(d, 12345); /* untouched */
  }
  ck_assert_int_eq(ptcp_duration_parse(NULL, NULL), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(ptcp_duration_parse("1s", NULL), PTCP_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_duration_format) {
  static const struct {
    ptcp_duration d;
    const char *want;
  } cases[] = {
      {0, "0s"},
      {1, "1ns"},
      {999, "999ns"},
      {1000, "1us"},
      {1500, "1500ns"},
      {40 * PTCP_MICROSECONDS, "40us"},
      {200 * PTCP_MILLISECONDS, "200ms"},
      {1500 * PTCP_MILLISECONDS, "1500ms"},
      {60 * PTCP_SECONDS, "60s"},
      {PTCP_SECONDS + 1, "1000000001ns"},
      {UINT64_MAX, "18446744073709551615ns"},
      {18446744073ULL * PTCP_SECONDS, "18446744073s"},
  };
  char buf[32], tiny[4];
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    ck_assert_int_eq(ptcp_duration_format(buf, sizeof(buf), cases[i].d),
                     (int)strlen(cases[i].want));
    ck_assert_str_eq(buf, cases[i].want);
  }
  /* snprintf-style truncation and sizing. */
  ck_assert_int_eq(ptcp_duration_format(tiny, sizeof(tiny), 200 * PTCP_MILLISECONDS), 5);
  ck_assert_str_eq(tiny, "200");
  ck_assert_int_eq(ptcp_duration_format(NULL, 0, 200 * PTCP_MILLISECONDS), 5);
  ck_assert_int_eq(ptcp_duration_format(NULL, 1, 1), PTCP_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_duration_round_trip) {
  test_rand r = {.x = 42};
  int i;

  /* Random values of every magnitude, and the shape of real settings
   * (a few significant digits in some unit). */
  for (i = 0; i < 10000; i++) {
    uint64_t v = test_rand_next(&r);
    ptcp_duration d, back = 0;
    char buf[32];

    switch (i % 4) {
    case 0:
      d = v;
      break;
    case 1:
      d = v >> (v % 64);
      break;
    case 2:
      d = (v % 100000) * PTCP_MILLISECONDS;
      break;
    default:
      d = (v % 1000) * PTCP_MICROSECONDS;
      break;
    }
    ck_assert_int_gt(ptcp_duration_format(buf, sizeof(buf), d), 0);
    ck_assert_msg(ptcp_duration_parse(buf, &back) == 0, "'%s' does not parse", buf);
    ck_assert_msg(back == d, "%llu -> '%s' -> %llu", (unsigned long long)d, buf,
                  (unsigned long long)back);
  }
}
END_TEST

Suite *ptcp_registry_suite(void) {
  Suite *s = suite_create("registry");
  TCase *reg = tcase_create("registry");
  TCase *spec = tcase_create("spec");
  TCase *dur = tcase_create("duration");

  tcase_add_test(reg, test_registry_slot_names);
  tcase_add_test(reg, test_registry_new_free);
  tcase_add_test(reg, test_registry_builtins);
  tcase_add_test(reg, test_registry_builtins_after_user_policy);
  tcase_add_test(reg, test_registry_sorted_insert_and_find);
  tcase_add_test(reg, test_registry_duplicate);
  tcase_add_test(reg, test_registry_limit);
  tcase_add_test(reg, test_registry_incomplete_ops);
  tcase_add_test(reg, test_registry_bad_names);
  tcase_add_test(reg, test_registry_abi_and_slot);
  tcase_add_test(reg, test_registry_param_descriptors);
  tcase_add_test(reg, test_registry_errmsg);
  tcase_add_test(reg, test_registry_remove);
  tcase_add_test(reg, test_registry_remove_in_use);
  suite_add_tcase(s, reg);

  tcase_add_test(spec, test_parse_defaults);
  tcase_add_test(spec, test_parse_keys);
  tcase_add_test(spec, test_parse_errors);
  tcase_add_test(spec, test_parse_error_buffer);
  tcase_add_test(spec, test_format_round_trip);
  suite_add_tcase(s, spec);

  tcase_add_test(dur, test_duration_parse_good);
  tcase_add_test(dur, test_duration_parse_bad);
  tcase_add_test(dur, test_duration_format);
  tcase_add_test(dur, test_duration_round_trip);
  suite_add_tcase(s, dur);
  return s;
}

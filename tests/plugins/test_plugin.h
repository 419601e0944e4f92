/*
 * plugtcp tests: the pieces of the deliberately broken plugins under
 * tests/plugins/, which tests/check_plugin.c loads to see each error of
 * ptcp_plugin_load.  Like a real plugin, each sees the public headers
 * only.  Header-only: every plugin is one file.
 */
#ifndef PTCP_TEST_PLUGIN_H
#define PTCP_TEST_PLUGIN_H

#include <plugtcp/plugin.h>

/* A fixed 1 s timeout: the smallest rto policy the registry accepts. */
static inline int test_rto_init(void *state, const void *params, ptcp_time now) {
  (void)state;
  (void)params;
  (void)now;
  return 0;
}

static inline void test_rto_sample(void *state, const void *params,
                                   const ptcp_rtt_sample *s) {
  (void)state;
  (void)params;
  (void)s;
}

static inline ptcp_duration test_rto_rto(const void *state, const void *params) {
  (void)state;
  (void)params;
  return PTCP_SECONDS;
}

static inline void test_rto_timeout(void *state, const void *params, ptcp_time now) {
  (void)state;
  (void)params;
  (void)now;
}

/** TEST_RTO(var, "name") defines a complete rto policy |var|. */
#define TEST_RTO(var, nm)                                                                \
  static const ptcp_rto_ops var = {                                                      \
      .info = {.abi = PTCP_POLICY_ABI,                                                   \
               .slot = PTCP_SLOT_RTO,                                                    \
               .name = nm,                                                               \
               .summary = "test: fixed 1 s"},                                            \
      .init = test_rto_init,                                                             \
      .on_rtt_sample = test_rto_sample,                                                  \
      .rto = test_rto_rto,                                                               \
      .on_timeout = test_rto_timeout,                                                    \
  }

#endif /* PTCP_TEST_PLUGIN_H */

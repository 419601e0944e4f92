/*
 * plugtcp tests: helpers shared by the policy suites.  Header-only
 * (static inline), so each Check program stays one source file plus the
 * runner.
 */
#ifndef PTCP_POLICY_TEST_HELPER_H
#define PTCP_POLICY_TEST_HELPER_H

#include <check.h>
#include <string.h>

#include <plugtcp/policy.h>

/* Bytes of policy state the tests provide; the built-ins need <= 64. */
#define TEST_STATE_BYTES 256u

/** Policy state storage, aligned for any member, zeroed before init. */
typedef union policy_state {
  uint64_t u64[TEST_STATE_BYTES / sizeof(uint64_t)];
  void *ptr;
  long double ld;
} policy_state;

/**
 * policy_select parses |spec| for |slot| against a fresh registry of the
 * built-ins and fails the test if it does not parse.  The ops live in the
 * library, so the selection outlives the registry.
 */
static inline ptcp_policy_sel policy_select(ptcp_slot slot, const char *spec) {
  ptcp_registry *reg = NULL;
  ptcp_policy_sel sel;
  char err[256];
  int rv;

  ck_assert_int_eq(ptcp_registry_new(&reg, NULL), 0);
  ck_assert_int_eq(ptcp_registry_add_builtins(reg), 0);
  memset(&sel, 0, sizeof(sel));
  rv = ptcp_policy_parse(&sel, reg, slot, spec, err, sizeof(err));
  ck_assert_msg(rv == 0, "spec '%s' did not parse: %s", spec, err);
  ptcp_registry_free(reg);
  return sel;
}

/** policy_state_zero zeroes |st| and checks that |info|'s state fits. */
static inline void policy_state_zero(policy_state *st, const ptcp_policy_info *info) {
  ck_assert_uint_le(info->state_size, sizeof(*st));
  memset(st, 0, sizeof(*st));
}

/**
 * A deterministic randomness source (splitmix64): each stream is its
 * seed, so a test can make two stacks with different secrets on purpose.
 */
typedef struct test_rand {
  uint64_t x;
  unsigned calls;
} test_rand;

#define SPLITMIX_GAMMA 0x9e3779b97f4a7c15ULL
#define SPLITMIX_M1 0xbf58476d1ce4e5b9ULL
#define SPLITMIX_M2 0x94d049bb133111ebULL

static inline uint64_t test_rand_next(test_rand *r) {
  uint64_t z = (r->x += SPLITMIX_GAMMA);

  z = (z ^ (z >> 30)) * SPLITMIX_M1;
  z = (z ^ (z >> 27)) * SPLITMIX_M2;
  return z ^ (z >> 31);
}

static inline int test_rand_fill(void *ctx, uint8_t *dest, size_t len) {
  test_rand *r = ctx;
  size_t i;

  r->calls++;
  for (i = 0; i < len; i++)
    dest[i] = (uint8_t)test_rand_next(r);
  return 0;
}

#endif /* PTCP_POLICY_TEST_HELPER_H */

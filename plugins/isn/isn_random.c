/*
 * isn "random": an unpredictable ISN for every connection, with no clock
 * term (smoltcp's choice, there from a plain PRNG).
 *
 * Policies get randomness only when they start (policy.h), so the stack's
 * 128-bit secret key is drawn in init, and each connection's ISN is a
 * keyed pseudorandom permutation of a per-stack connection counter:
 *
 *   ISN_n = P_key(n),  n = 0, 1, 2, ... (modulo 2^32)
 *
 * P is an 8-round balanced Feistel network on 32 bits whose round
 * function is SipHash-2-4 under the key (the Luby-Rackoff construction;
 * small-domain ciphers use 8 or more rounds).  Being a permutation, it
 * never repeats an ISN within 2^32 connections of a stack, which a
 * truncated PRF output would (by the birthday bound, after about 2^16);
 * being keyed, the ISNs of other connections cannot be predicted from
 * the ones an attacker sees.  Round r maps (L, R) to (R, L ^ F_r(R)) with
 *
 *   F_r(R) = low 16 bits of SipHash-2-4(key, r || R)
 *
 * hashing 3 bytes: the round number (0..7) and R big-endian.  ISN_n is
 * L || R after the last round, with n = L || R before the first.
 *
 * Unlike RFC 6528 there is no 4 us clock M: ISNs are not monotonic in
 * time for a 4-tuple, so RFC 9293 §3.4.1's protection of a new
 * incarnation against old duplicates rests on TIME-WAIT alone (the
 * engine still starts a connection reopened from TIME-WAIT above the old
 * sequence space).  That is the price of "random per connection".
 *
 * Like rfc6528 it fails closed without randomness (hardening rule 8),
 * and release wipes the key.
 */
#include <plugtcp/policy.h>
#include <plugtcp/seq.h>

#include "../builtins.h"
#include "siphash.h"

#define FEISTEL_ROUNDS 8u
#define HALF_BITS 16u
#define HALF_MASK 0xffffu
#define ROUND_MSG_LEN 3u
#define BITS_PER_BYTE 8u

typedef struct isn_random_state {
  uint8_t key[PTCP_SIPHASH_KEY_LEN];
  uint32_t next; /* the counter value of the next connection */
} isn_random_state;

_Static_assert(sizeof(isn_random_state) <= PTCP_BUILTIN_STATE_MAX,
               "isn random state must fit the built-in budget");

/* Overwrites |len| bytes through a volatile pointer, so the compiler
 * cannot drop the stores as dead (the state is freed right after). */
static void wipe(void *p, size_t len) {
  volatile uint8_t *v = p;
  size_t i;

  for (i = 0; i < len; i++)
    v[i] = 0;
}

static uint32_t round_fn(const uint8_t *key, unsigned round, uint32_t half) {
  uint8_t msg[ROUND_MSG_LEN];

  msg[0] = (uint8_t)round;
  msg[1] = (uint8_t)(half >> BITS_PER_BYTE);
  msg[2] = (uint8_t)half;
  return (uint32_t)ptcp_siphash24(key, msg, sizeof(msg)) & HALF_MASK;
}

static uint32_t permute(const uint8_t *key, uint32_t x) {
  uint32_t l = x >> HALF_BITS, r = x & HALF_MASK, t;
  unsigned i;

  for (i = 0; i < FEISTEL_ROUNDS; i++) {
    t = l ^ round_fn(key, i, r);
    l = r;
    r = t;
  }
  return l << HALF_BITS | r;
}

static int random_init(void *state, const void *params, const ptcp_policy_env *env) {
  isn_random_state *st = state;

  (void)params;
  if (env == NULL || env->rand == NULL)
    return -1;
  if (env->rand(env->rand_ctx, st->key, sizeof(st->key)) != 0) {
    wipe(st, sizeof(*st));
    return -1;
  }
  st->next = 0;
  return 0;
}

static uint32_t random_generate(void *state, const void *params,
                                const ptcp_isn_ctx *ctx) {
  isn_random_state *st = state;
  uint32_t isn = permute(st->key, st->next);

  (void)params;
  (void)ctx;
  /* After 2^32 connections the sequence starts over: the permutation
   * guarantees distinct ISNs within one pass, not beyond. */
  st->next = ptcp_seq_add(st->next, 1);
  return isn;
}

static void random_release(void *state) { wipe(state, sizeof(isn_random_state)); }

const ptcp_isn_ops ptcp_isn_random = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_ISN,
            .name = "random",
            .summary = "random per connection, no clock: a keyed permutation "
                       "(SipHash Feistel) of a connection counter",
            .state_size = sizeof(isn_random_state),
        },
    .init = random_init,
    .generate = random_generate,
    .release = random_release,
};

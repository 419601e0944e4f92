/*
 * isn "rfc6528": initial sequence numbers per RFC 6528 §3 (and RFC 9293
 * §3.4.1):
 *
 *   ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
 *
 * M is a timer that ticks every 4 microseconds, taken from the |now| the
 * engine passes in (the policy reads no clock).  F is SipHash-2-4 keyed
 * with a 128-bit secret drawn from the environment's randomness when the
 * stack starts; RFC 6528 §3 asks for a PRF with a secret key that an
 * off-path attacker cannot guess, and this is what Linux uses too.
 *
 * Fail closed (hardening rule 8): without randomness there is no secret,
 * and init refuses, so the stack refuses to start rather than hand out
 * guessable ISNs.
 *
 * The tuple is hashed in this fixed byte order:
 *   local address  (4 bytes for IPv4, 16 for IPv6, network order)
 *   remote address (4 or 16 bytes, network order)
 *   local port     (2 bytes, big-endian)
 *   remote port    (2 bytes, big-endian)
 *   family         (1 byte: PTCP_AF_INET or PTCP_AF_INET6 of the local address)
 */
#include <string.h>

#include <plugtcp/policy.h>
#include <plugtcp/seq.h>

#include "../builtins.h"
#include "siphash.h"

/* RFC 6528 §3: "M is the 4 microsecond timer". */
#define ISN_TICK (4 * PTCP_MICROSECONDS)

#define IPV4_LEN 4u
#define IPV6_LEN 16u
#define PORT_LEN 2u
#define FAMILY_LEN 1u
#define BITS_PER_BYTE 8u
#define TUPLE_MAX (2 * IPV6_LEN + 2 * PORT_LEN + FAMILY_LEN)

typedef struct isn_rfc6528_state {
  uint8_t key[PTCP_SIPHASH_KEY_LEN];
} isn_rfc6528_state;

_Static_assert(sizeof(isn_rfc6528_state) <= PTCP_BUILTIN_STATE_MAX,
               "isn rfc6528 state must fit the built-in budget");

static size_t put_be16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> BITS_PER_BYTE);
  p[1] = (uint8_t)v;
  return PORT_LEN;
}

static size_t addr_len(const ptcp_addr *a) {
  return a->family == PTCP_AF_INET ? IPV4_LEN : IPV6_LEN;
}

/* Overwrites |len| bytes through a volatile pointer, so the compiler
 * cannot drop the stores as dead (the state is freed right after). */
static void wipe(void *p, size_t len) {
  volatile uint8_t *v = p;
  size_t i;

  for (i = 0; i < len; i++)
    v[i] = 0;
}

static int rfc6528_init(void *state, const void *params, const ptcp_policy_env *env) {
  isn_rfc6528_state *st = state;

  (void)params;
  if (env == NULL || env->rand == NULL)
    return -1;
  if (env->rand(env->rand_ctx, st->key, sizeof(st->key)) != 0) {
    wipe(st->key, sizeof(st->key));
    return -1;
  }
  return 0;
}

static uint32_t rfc6528_generate(void *state, const void *params,
                                 const ptcp_isn_ctx *ctx) {
  const isn_rfc6528_state *st = state;
  uint8_t msg[TUPLE_MAX];
  size_t n = 0, len;
  uint32_t m, f;

  (void)params;
  len = addr_len(ctx->local);
  memcpy(msg + n, ctx->local->bytes, len);
  n += len;
  len = addr_len(ctx->remote);
  memcpy(msg + n, ctx->remote->bytes, len);
  n += len;
  n += put_be16(msg + n, ctx->local_port);
  n += put_be16(msg + n, ctx->remote_port);
  msg[n++] = ctx->local->family;

  /* M: the clock modulo 2^32 ticks; F: the low 32 bits of the PRF. */
  m = (uint32_t)(ctx->now / ISN_TICK);
  f = (uint32_t)ptcp_siphash24(st->key, msg, n);
  return ptcp_seq_add(m, f);
}

static void rfc6528_release(void *state) {
  wipe(state, sizeof(isn_rfc6528_state));
}

const ptcp_isn_ops ptcp_isn_rfc6528 = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_ISN,
            .name = "rfc6528",
            .summary = "RFC 6528: 4 us clock + SipHash-2-4 of the 4-tuple under a "
                       "random 128-bit key",
            .state_size = sizeof(isn_rfc6528_state),
        },
    .init = rfc6528_init,
    .generate = rfc6528_generate,
    .release = rfc6528_release,
};

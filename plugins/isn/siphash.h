/*
 * plugtcp: SipHash-2-4, the keyed pseudorandom function of Aumasson and
 * Bernstein, "SipHash: a fast short-input PRF" (INDOCRYPT 2012).  The isn
 * rfc6528 policy uses it as the F() of RFC 6528 §3.
 */
#ifndef PTCP_SIPHASH_H
#define PTCP_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The key is 128 bits: k0 is bytes 0..7, k1 bytes 8..15, little-endian. */
#define PTCP_SIPHASH_KEY_LEN 16u

/**
 * ptcp_siphash24 returns SipHash-2-4 of the |len| bytes at |msg| under
 * |key|.  The reference implementation writes this value out as 8
 * little-endian bytes; the paper's example (key 00..0f, message 00..0e)
 * is 0xa129ca6149be45e5.  |msg| may be NULL when |len| is 0.
 */
uint64_t ptcp_siphash24(const uint8_t key[PTCP_SIPHASH_KEY_LEN], const uint8_t *msg,
                        size_t len);

#ifdef __cplusplus
}
#endif

#endif /* PTCP_SIPHASH_H */

/*
 * plugtcp tools: SHA-256 (FIPS 180-4), small and self-contained, so the
 * tools can fingerprint the byte streams they move without a crypto
 * library.  Not constant-time; it hashes test traffic, not secrets.
 */
#ifndef PTCP_TOOLS_SHA256_H
#define PTCP_TOOLS_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32u
#define SHA256_BLOCK_LEN 64u
/* Hex digest plus NUL. */
#define SHA256_HEX_LEN (2u * SHA256_DIGEST_LEN + 1u)

typedef struct sha256_ctx {
  uint32_t h[8];
  uint64_t bytes; /* message length so far */
  uint8_t buf[SHA256_BLOCK_LEN];
  size_t nbuf;
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t len);
/* Finishes the hash; |c| must be re-initialised before further use. */
void sha256_final(sha256_ctx *c, uint8_t out[SHA256_DIGEST_LEN]);
/* Lowercase hex of |digest| into |hex| (SHA256_HEX_LEN bytes). */
void sha256_hex(const uint8_t digest[SHA256_DIGEST_LEN], char hex[SHA256_HEX_LEN]);
/* The hex digest of what |c| has seen so far, leaving |c| usable. */
void sha256_peek_hex(const sha256_ctx *c, char hex[SHA256_HEX_LEN]);

#endif /* PTCP_TOOLS_SHA256_H */

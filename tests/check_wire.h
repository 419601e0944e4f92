/*
 * plugtcp tests: helpers shared by the wire codec suites (check_seg.c,
 * check_cksum.c, check_ip.c).  Header-only, so each suite stays one
 * program built from its own .c and tests/check_main.c.
 */
#ifndef PTCP_CHECK_WIRE_H
#define PTCP_CHECK_WIRE_H

#include <check.h>
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <plugtcp/plugtcp.h>

/*
 * Decodes the hex text |hex| (spaces and '|' ignored, so vectors can be
 * grouped by field) into |out| and returns the byte count.  A malformed
 * vector fails the calling test.
 */
static inline size_t wire_hex(uint8_t *out, size_t cap, const char *hex) {
  size_t n = 0;
  int hi = -1;

  for (const char *p = hex; *p != '\0'; p++) {
    int v;
    if (*p == ' ' || *p == '|' || *p == '\n')
      continue;
    ck_assert_msg(isxdigit((unsigned char)*p), "bad hex digit '%c' in vector", *p);
    v = isdigit((unsigned char)*p) ? *p - '0' : tolower((unsigned char)*p) - 'a' + 10;
    if (hi < 0) {
      hi = v;
    } else {
      ck_assert_msg(n < cap, "hex vector longer than %zu bytes", cap);
      out[n++] = (uint8_t)(hi << 4 | v);
      hi = -1;
    }
  }
  ck_assert_msg(hi < 0, "odd number of hex digits in vector");
  return n;
}

/* The documentation addresses used throughout (RFC 5737, RFC 3849). */
static inline ptcp_pseudo wire_ph4(void) {
  ptcp_pseudo ph = {ptcp_addr_v4(192, 0, 2, 1), ptcp_addr_v4(198, 51, 100, 7)};
  return ph;
}

static inline ptcp_pseudo wire_ph6(void) {
  ptcp_pseudo ph;
  memset(&ph, 0, sizeof(ph));
  ph.src.family = ph.dst.family = PTCP_AF_INET6;
  ph.src.bytes[0] = ph.dst.bytes[0] = 0x20;
  ph.src.bytes[1] = ph.dst.bytes[1] = 0x01;
  ph.src.bytes[2] = ph.dst.bytes[2] = 0x0d;
  ph.src.bytes[3] = ph.dst.bytes[3] = 0xb8;
  ph.src.bytes[15] = 0x01;
  ph.dst.bytes[15] = 0xfe;
  return ph;
}

/*
 * Asserts that ptcp_seg_parse rejects |buf| with exactly |code| and
 * leaves the input bytes untouched (the codec's const contract, and
 * hardening.md §4.2: a rejection has no side effect).  The input is
 * copied into a heap block of exactly |len| bytes, so a sanitizer build
 * also catches a read one past the end.
 */
static inline void wire_expect_seg_reject(const uint8_t *buf, size_t len,
                                          const ptcp_pseudo *ph, int code) {
  uint8_t *copy = malloc(len > 0 ? len : 1);
  ptcp_seg seg;
  int rv;

  ck_assert_ptr_nonnull(copy);
  if (len > 0)
    memcpy(copy, buf, len);
  rv = ptcp_seg_parse(&seg, copy, len, ph);
  ck_assert_msg(rv == code, "ptcp_seg_parse returned %d (%s), expected %d (%s)", rv,
                ptcp_err_name(rv), code, ptcp_err_name(code));
  ck_assert_msg(len == 0 || memcmp(copy, buf, len) == 0, "rejected input was modified");
  free(copy);
}

/* The same for ptcp_ip_parse. */
static inline void wire_expect_ip_reject(const uint8_t *buf, size_t len, unsigned flags,
                                         int code) {
  uint8_t *copy = malloc(len > 0 ? len : 1);
  ptcp_ip ip;
  int rv;

  ck_assert_ptr_nonnull(copy);
  if (len > 0)
    memcpy(copy, buf, len);
  rv = ptcp_ip_parse(&ip, copy, len, flags);
  ck_assert_msg(rv == code, "ptcp_ip_parse returned %d (%s), expected %d (%s)", rv,
                ptcp_err_name(rv), code, ptcp_err_name(code));
  ck_assert_msg(len == 0 || memcmp(copy, buf, len) == 0, "rejected input was modified");
  free(copy);
}

/* The same for ptcp_packet_parse. */
static inline void wire_expect_packet_reject(const uint8_t *buf, size_t len,
                                             unsigned flags, int code) {
  uint8_t *copy = malloc(len > 0 ? len : 1);
  ptcp_ip ip;
  ptcp_seg seg;
  int rv;

  ck_assert_ptr_nonnull(copy);
  if (len > 0)
    memcpy(copy, buf, len);
  rv = ptcp_packet_parse(&ip, &seg, copy, len, flags);
  ck_assert_msg(rv == code, "ptcp_packet_parse returned %d (%s), expected %d (%s)", rv,
                ptcp_err_name(rv), code, ptcp_err_name(code));
  ck_assert_msg(len == 0 || memcmp(copy, buf, len) == 0, "rejected input was modified");
  free(copy);
}

/* A deterministic PRNG (SplitMix64) so random tests repeat exactly. */
static inline uint64_t wire_rand(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

#endif /* PTCP_CHECK_WIRE_H */

/*
 * plugtcp: the parts of the Internet checksum (RFC 1071) that the
 * per-segment paths inline: the final fold, the IPv4 pseudo-header and
 * the 20-byte IPv4 header.  ptcp_cksum.c has the bulk loop and the
 * public functions, which use these same helpers.
 *
 * Running sums are in host memory order (RFC 1071 §2(C)), as for
 * ptcp_cksum_add.
 */
#ifndef PTCP_CKSUM_H
#define PTCP_CKSUM_H

#include <stdint.h>
#include <string.h>

#include <plugtcp/wire.h>

/* Folds a 64-bit one's-complement sum into 32 bits, carries included. */
static inline uint32_t ptcp_cksum_fold64(uint64_t acc) {
  acc = (acc & 0xffffffffu) + (acc >> 32);
  acc = (acc & 0xffffffffu) + (acc >> 32);
  return (uint32_t)acc;
}

/* ptcp_cksum_finish: fold to 16 bits, complement, back to wire order. */
static inline uint16_t ptcp_cksum_finish_inline(uint32_t sum) {
  uint16_t r;

  sum = (sum & 0xffffu) + (sum >> 16);
  sum = (sum & 0xffffu) + (sum >> 16);
  r = (uint16_t)~sum;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  return r;
#else
  return (uint16_t)(r << 8 | r >> 8);
#endif
}

/* The IPv4 pseudo-header (RFC 9293 §3.1): source, destination, zero,
 * protocol and length.  The addresses are summed as stored; protocol and
 * length are added as the 16-bit words they would be on the wire, in the
 * native order the running sum uses. */
static inline uint32_t ptcp_cksum_pseudo_v4(const uint8_t *src, const uint8_t *dst,
                                            uint8_t proto, uint16_t len) {
  uint8_t tail[4] = {0, proto, (uint8_t)(len >> 8), (uint8_t)len};
  uint32_t s4, d4, w;

  memcpy(&s4, src, 4);
  memcpy(&d4, dst, 4);
  memcpy(&w, tail, 4);
  return ptcp_cksum_fold64((uint64_t)s4 + d4 + w);
}

/* The checksum of a 20-byte IPv4 header (no options) as stored: 0 when
 * it verifies, the value to store when its checksum field is zero. */
static inline uint16_t ptcp_cksum_ipv4_hdr(const uint8_t *h) {
  uint64_t a, b;
  uint32_t c;

  memcpy(&a, h, 8);
  memcpy(&b, h + 8, 8);
  memcpy(&c, h + 16, 4);
  /* Three words fit in 66 bits: sum two 32-bit halves each, no carry. */
  return ptcp_cksum_finish_inline(ptcp_cksum_fold64((a & 0xffffffffu) + (a >> 32) +
                                                    (b & 0xffffffffu) + (b >> 32) + c));
}

#endif /* PTCP_CKSUM_H */

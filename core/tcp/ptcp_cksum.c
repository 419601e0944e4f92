/*
 * plugtcp: the Internet checksum (RFC 1071).
 *
 * The one's-complement sum does not care how the 16-bit words are grouped
 * (RFC 1071 §2(B)) nor in which byte order they are added, as long as the
 * result is swapped back (§2(C)).  So the bulk loop adds native 64-bit
 * words with an end-around carry, eight bytes per step, whatever the
 * alignment (memcpy loads compile to plain unaligned loads), and the
 * running sum stays in native order until ptcp_cksum_finish.
 */
#include <string.h>

#include <plugtcp/wire.h>

#include "ptcp_bytes.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_IS_BIG_ENDIAN 1
#else
#define HOST_IS_BIG_ENDIAN 0
#endif

static inline uint64_t add_carry(uint64_t acc, uint64_t w) {
  acc += w;
  return acc + (acc < w);
}

static inline uint32_t fold64(uint64_t acc) {
  acc = (acc & 0xffffffffu) + (acc >> 32);
  acc = (acc & 0xffffffffu) + (acc >> 32);
  return (uint32_t)acc;
}

uint32_t ptcp_cksum_add(uint32_t sum, const void *buf, size_t len) {
  const uint8_t *p = buf;
  uint64_t acc = sum;
  uint64_t w0, w1, w2, w3;

  while (len >= 32) {
    memcpy(&w0, p, 8);
    memcpy(&w1, p + 8, 8);
    memcpy(&w2, p + 16, 8);
    memcpy(&w3, p + 24, 8);
    acc = add_carry(acc, w0);
    acc = add_carry(acc, w1);
    acc = add_carry(acc, w2);
    acc = add_carry(acc, w3);
    p += 32;
    len -= 32;
  }
  while (len >= 8) {
    memcpy(&w0, p, 8);
    acc = add_carry(acc, w0);
    p += 8;
    len -= 8;
  }
  if (len >= 4) {
    uint32_t w;
    memcpy(&w, p, 4);
    acc = add_carry(acc, w);
    p += 4;
    len -= 4;
  }
  if (len >= 2) {
    uint16_t w;
    memcpy(&w, p, 2);
    acc = add_carry(acc, w);
    p += 2;
    len -= 2;
  }
  if (len == 1) {
    /* The odd byte is the high half of a zero-padded 16-bit word. */
    uint8_t pad[2] = {p[0], 0};
    uint16_t w;
    memcpy(&w, pad, 2);
    acc = add_carry(acc, w);
  }
  return fold64(acc);
}

uint16_t ptcp_cksum_finish(uint32_t sum) {
  uint16_t r;

  sum = (sum & 0xffffu) + (sum >> 16);
  sum = (sum & 0xffffu) + (sum >> 16);
  r = (uint16_t)~sum;
#if HOST_IS_BIG_ENDIAN
  return r;
#else
  return (uint16_t)(r << 8 | r >> 8);
#endif
}

uint32_t ptcp_cksum_pseudo(const ptcp_pseudo *ph, uint8_t proto, uint32_t len) {
  uint8_t b[40];

  /* RFC 9293 §3.1 (IPv4) and RFC 8200 §8.1 (IPv6) pseudo-headers. */
  if (ph->src.family == PTCP_AF_INET6) {
    memcpy(b, ph->src.bytes, 16);
    memcpy(b + 16, ph->dst.bytes, 16);
    ptcp_put32(b + 32, len);
    b[36] = b[37] = b[38] = 0;
    b[39] = proto;
    return ptcp_cksum_add(0, b, 40);
  }
  memcpy(b, ph->src.bytes, 4);
  memcpy(b + 4, ph->dst.bytes, 4);
  b[8] = 0;
  b[9] = proto;
  ptcp_put16(b + 10, (uint16_t)len);
  return ptcp_cksum_add(0, b, 12);
}

uint16_t ptcp_cksum(const void *buf, size_t len) {
  return ptcp_cksum_finish(ptcp_cksum_add(0, buf, len));
}

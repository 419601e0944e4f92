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

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <x86intrin.h>
#define HAVE_ADDCARRY 1
#endif

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

#ifdef HAVE_ADDCARRY
/* One carry chain through 64 bytes: the CPU's add-with-carry does the
 * end-around carry for free, about one instruction per 8 bytes. */
static uint64_t sum_blocks(uint64_t acc, const uint8_t **pp, size_t *plen) {
  const uint8_t *p = *pp;
  size_t len = *plen;
  unsigned long long a = acc, w0, w1, w2, w3, w4, w5, w6, w7;
  unsigned char c = 0;

  /* Scalar loads (not one 64-byte copy) keep the words in registers. */
  while (len >= 64) {
    memcpy(&w0, p, 8);
    memcpy(&w1, p + 8, 8);
    memcpy(&w2, p + 16, 8);
    memcpy(&w3, p + 24, 8);
    memcpy(&w4, p + 32, 8);
    memcpy(&w5, p + 40, 8);
    memcpy(&w6, p + 48, 8);
    memcpy(&w7, p + 56, 8);
    c = _addcarry_u64(c, a, w0, &a);
    c = _addcarry_u64(c, a, w1, &a);
    c = _addcarry_u64(c, a, w2, &a);
    c = _addcarry_u64(c, a, w3, &a);
    c = _addcarry_u64(c, a, w4, &a);
    c = _addcarry_u64(c, a, w5, &a);
    c = _addcarry_u64(c, a, w6, &a);
    c = _addcarry_u64(c, a, w7, &a);
    p += 64;
    len -= 64;
  }
  c = _addcarry_u64(c, a, 0, &a);
  a += c; /* cannot carry again: a is at most 2^64 - 2 after the wrap */
  *pp = p;
  *plen = len;
  return a;
}
#else
static uint64_t sum_blocks(uint64_t acc, const uint8_t **pp, size_t *plen) {
  const uint8_t *p = *pp;
  size_t len = *plen;
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
  *pp = p;
  *plen = len;
  return acc;
}
#endif

uint32_t ptcp_cksum_add(uint32_t sum, const void *buf, size_t len) {
  const uint8_t *p = buf;
  uint64_t acc = sum;
  uint64_t w0;

  acc = sum_blocks(acc, &p, &len);
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
  /* RFC 9293 §3.1 (IPv4) and RFC 8200 §8.1 (IPv6) pseudo-headers.  The
   * addresses are summed as stored; protocol and length are added as the
   * 16-bit words they would be on the wire, in the native order the
   * running sum uses. */
  uint8_t tail[8] = {0, 0, 0, 0, 0, 0, 0, proto};
  uint32_t sum;

  if (ph->src.family == PTCP_AF_INET6) {
    sum = ptcp_cksum_add(0, ph->src.bytes, 16);
    sum = ptcp_cksum_add(sum, ph->dst.bytes, 16);
    ptcp_put32(tail, len);
    return ptcp_cksum_add(sum, tail, 8);
  }
  {
    uint32_t s4, d4, w;
    uint64_t acc;
    memcpy(&s4, ph->src.bytes, 4);
    memcpy(&d4, ph->dst.bytes, 4);
    tail[0] = 0;
    tail[1] = proto;
    ptcp_put16(tail + 2, (uint16_t)len);
    memcpy(&w, tail, 4);
    acc = (uint64_t)s4 + d4 + w;
    return fold64(acc);
  }
}

uint16_t ptcp_cksum(const void *buf, size_t len) {
  return ptcp_cksum_finish(ptcp_cksum_add(0, buf, len));
}

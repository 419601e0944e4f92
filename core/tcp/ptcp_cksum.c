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
#include "ptcp_cksum.h"

/* x86-64 adds with carry straight from memory, and neither lea nor dec
 * touches the carry flag, so one carry chain can run through the whole
 * buffer: 19 instructions per 128 bytes.  Compilers do not keep a carry
 * in the flags across loop iterations (gcc 12 spills it, 16 per 64
 * bytes), hence the asm.  Sanitizer builds take the C loop, whose loads
 * the sanitizers see. */
#if defined(__x86_64__) && defined(__GNUC__)
#define SUM_ASM 1
#if defined(__SANITIZE_ADDRESS__)
#undef SUM_ASM
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#undef SUM_ASM
#endif
#endif
#endif

static inline uint64_t add_carry(uint64_t acc, uint64_t w) {
  acc += w;
  return acc + (acc < w);
}

#ifdef SUM_ASM
/* Adds the len / 8 whole 64-bit words at |p| to |acc|: 128-byte blocks,
 * then one 64-byte block if there is one, then single words (a 1500-byte
 * packet: eleven, one, one). */
static inline uint64_t sum_words(uint64_t acc, const uint8_t *p, size_t len) {
  size_t blocks = len / 128, half = len / 64 % 2, words = len / 8 % 8;

  /* Each chain ends with two adc $0: the first can wrap the sum to 0
   * and carry again, the second cannot. */
  __asm__("testq %[blocks], %[blocks]\n\t" /* clears CF */
          "jz 2f\n"
          "1:\n\t"
          "adcq 0(%[p]), %[acc]\n\t"
          "adcq 8(%[p]), %[acc]\n\t"
          "adcq 16(%[p]), %[acc]\n\t"
          "adcq 24(%[p]), %[acc]\n\t"
          "adcq 32(%[p]), %[acc]\n\t"
          "adcq 40(%[p]), %[acc]\n\t"
          "adcq 48(%[p]), %[acc]\n\t"
          "adcq 56(%[p]), %[acc]\n\t"
          "adcq 64(%[p]), %[acc]\n\t"
          "adcq 72(%[p]), %[acc]\n\t"
          "adcq 80(%[p]), %[acc]\n\t"
          "adcq 88(%[p]), %[acc]\n\t"
          "adcq 96(%[p]), %[acc]\n\t"
          "adcq 104(%[p]), %[acc]\n\t"
          "adcq 112(%[p]), %[acc]\n\t"
          "adcq 120(%[p]), %[acc]\n\t"
          "leaq 128(%[p]), %[p]\n\t"
          "decq %[blocks]\n\t"
          "jnz 1b\n\t"
          "adcq $0, %[acc]\n\t"
          "adcq $0, %[acc]\n"
          "2:\n\t"
          "testq %[half], %[half]\n\t"
          "jz 3f\n\t"
          "adcq 0(%[p]), %[acc]\n\t"
          "adcq 8(%[p]), %[acc]\n\t"
          "adcq 16(%[p]), %[acc]\n\t"
          "adcq 24(%[p]), %[acc]\n\t"
          "adcq 32(%[p]), %[acc]\n\t"
          "adcq 40(%[p]), %[acc]\n\t"
          "adcq 48(%[p]), %[acc]\n\t"
          "adcq 56(%[p]), %[acc]\n\t"
          "leaq 64(%[p]), %[p]\n\t"
          "adcq $0, %[acc]\n\t"
          "adcq $0, %[acc]\n"
          "3:\n\t"
          "testq %[words], %[words]\n\t"
          "jz 5f\n"
          "4:\n\t"
          "adcq (%[p]), %[acc]\n\t"
          "leaq 8(%[p]), %[p]\n\t"
          "decq %[words]\n\t"
          "jnz 4b\n\t"
          "adcq $0, %[acc]\n\t"
          "adcq $0, %[acc]\n"
          "5:"
          : [acc] "+r"(acc), [p] "+r"(p), [blocks] "+r"(blocks), [half] "+r"(half),
            [words] "+r"(words)
          :
          : "cc", "memory");
  return acc;
}
#else
static inline uint64_t sum_words(uint64_t acc, const uint8_t *p, size_t len) {
  uint64_t w0, w1, w2, w3;

  for (; len >= 32; p += 32, len -= 32) {
    memcpy(&w0, p, 8);
    memcpy(&w1, p + 8, 8);
    memcpy(&w2, p + 16, 8);
    memcpy(&w3, p + 24, 8);
    acc = add_carry(acc, w0);
    acc = add_carry(acc, w1);
    acc = add_carry(acc, w2);
    acc = add_carry(acc, w3);
  }
  for (; len >= 8; p += 8, len -= 8) {
    memcpy(&w0, p, 8);
    acc = add_carry(acc, w0);
  }
  return acc;
}
#endif

uint32_t ptcp_cksum_add(uint32_t sum, const void *buf, size_t len) {
  const uint8_t *p = buf;
  uint64_t acc = sum_words(sum, p, len);

  p += len & ~(size_t)7;
  len &= 7;
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
  return ptcp_cksum_fold64(acc);
}

uint16_t ptcp_cksum_finish(uint32_t sum) { return ptcp_cksum_finish_inline(sum); }

uint32_t ptcp_cksum_pseudo(const ptcp_pseudo *ph, uint8_t proto, uint32_t len) {
  /* RFC 9293 §3.1 (IPv4) and RFC 8200 §8.1 (IPv6) pseudo-headers. */
  uint8_t tail[8] = {0, 0, 0, 0, 0, 0, 0, proto};
  uint32_t sum;

  if (ph->src.family == PTCP_AF_INET6) {
    sum = ptcp_cksum_add(0, ph->src.bytes, 16);
    sum = ptcp_cksum_add(sum, ph->dst.bytes, 16);
    ptcp_put32(tail, len);
    return ptcp_cksum_add(sum, tail, 8);
  }
  return ptcp_cksum_pseudo_v4(ph->src.bytes, ph->dst.bytes, proto, (uint16_t)len);
}

uint16_t ptcp_cksum(const void *buf, size_t len) {
  return ptcp_cksum_finish_inline(ptcp_cksum_add(0, buf, len));
}

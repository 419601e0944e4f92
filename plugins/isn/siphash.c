/*
 * plugtcp: SipHash-2-4, written from the description in Aumasson and
 * Bernstein, "SipHash: a fast short-input PRF", §2:
 *
 *   Initialization: four 64-bit words of state from the key and four
 *   constants ("somepseudorandomlygeneratedbytes").
 *   Compression: the message is cut into 64-bit little-endian words; the
 *   last one holds the 0..7 remaining bytes and, in its top byte, the
 *   message length mod 256.  Each word m is absorbed as v3 ^= m, c = 2
 *   SipRounds, v0 ^= m.
 *   Finalization: v2 ^= 0xff, d = 4 SipRounds, and the result is
 *   v0 ^ v1 ^ v2 ^ v3.
 *
 * Additions are modulo 2^64, which unsigned arithmetic gives in C.
 */
#include "siphash.h"

/* The initialization constants of §2 (the ASCII of
 * "somepseudorandomlygeneratedbytes", as four big-endian words). */
#define SIP_C0 0x736f6d6570736575ULL
#define SIP_C1 0x646f72616e646f6dULL
#define SIP_C2 0x6c7967656e657261ULL
#define SIP_C3 0x7465646279746573ULL

/* SipHash-c-d with c = 2 compression and d = 4 finalization rounds. */
#define SIP_C_ROUNDS 2
#define SIP_D_ROUNDS 4

/* The constant XORed into v2 before finalization. */
#define SIP_FINAL_XOR 0xffu

#define WORD_BYTES 8u
#define BITS_PER_BYTE 8u
/* The message length mod 256 goes into the top byte of the last word. */
#define LEN_MOD_MASK 0xffu
#define LEN_SHIFT 56u

typedef struct sip_state {
  uint64_t v0, v1, v2, v3;
} sip_state;

static uint64_t rotl(uint64_t x, unsigned b) { return (x << b) | (x >> (64u - b)); }

static uint64_t load_le64(const uint8_t *p) {
  uint64_t v = 0;
  unsigned i;

  for (i = 0; i < WORD_BYTES; i++)
    v |= (uint64_t)p[i] << (BITS_PER_BYTE * i);
  return v;
}

/* One SipRound (§2, figure 2.1): two ARX half-rounds in parallel. */
static void sip_round(sip_state *s) {
  s->v0 += s->v1;
  s->v1 = rotl(s->v1, 13);
  s->v1 ^= s->v0;
  s->v0 = rotl(s->v0, 32);
  s->v2 += s->v3;
  s->v3 = rotl(s->v3, 16);
  s->v3 ^= s->v2;
  s->v0 += s->v3;
  s->v3 = rotl(s->v3, 21);
  s->v3 ^= s->v0;
  s->v2 += s->v1;
  s->v1 = rotl(s->v1, 17);
  s->v1 ^= s->v2;
  s->v2 = rotl(s->v2, 32);
}

static void sip_absorb(sip_state *s, uint64_t m) {
  int i;

  s->v3 ^= m;
  for (i = 0; i < SIP_C_ROUNDS; i++)
    sip_round(s);
  s->v0 ^= m;
}

uint64_t ptcp_siphash24(const uint8_t key[PTCP_SIPHASH_KEY_LEN], const uint8_t *msg,
                        size_t len) {
  uint64_t k0 = load_le64(key), k1 = load_le64(key + WORD_BYTES), last;
  sip_state s = {k0 ^ SIP_C0, k1 ^ SIP_C1, k0 ^ SIP_C2, k1 ^ SIP_C3};
  size_t full = len - len % WORD_BYTES, i;
  int r;

  for (i = 0; i < full; i += WORD_BYTES)
    sip_absorb(&s, load_le64(msg + i));

  /* The final word: the remaining bytes, little-endian, and len mod 256
   * in the most significant byte. */
  last = (uint64_t)(len & LEN_MOD_MASK) << LEN_SHIFT;
  for (i = 0; i < len % WORD_BYTES; i++)
    last |= (uint64_t)msg[full + i] << (BITS_PER_BYTE * i);
  sip_absorb(&s, last);

  s.v2 ^= SIP_FINAL_XOR;
  for (r = 0; r < SIP_D_ROUNDS; r++)
    sip_round(&s);
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

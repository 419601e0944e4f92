/*
 * plugtcp-tun: the byte pattern that --source sends.  Byte i of the
 * stream is the top byte of (i mod 65521) * 2654435761 mod 2^32
 * (Knuth's multiplicative hash), so the stream repeats only every 65521
 * bytes, a prime that no segment, window or buffer size divides.  The
 * interop tests' kernel side (tests/interop/kpeer.py) builds the same
 * stream.
 */
#ifndef PTCP_TUN_PATTERN_H
#define PTCP_TUN_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#define TUN_PATTERN_PERIOD 65521u

static inline uint8_t tun_pattern_byte(uint64_t i) {
  return (uint8_t)(((uint32_t)(i % TUN_PATTERN_PERIOD) * 2654435761u) >> 24);
}

/* Fills |out| with bytes [off, off + len) of the pattern. */
static inline void tun_pattern_fill(uint8_t *out, uint64_t off, size_t len) {
  uint32_t j = (uint32_t)(off % TUN_PATTERN_PERIOD);

  for (size_t k = 0; k < len; k++) {
    out[k] = (uint8_t)((j * 2654435761u) >> 24);
    if (++j == TUN_PATTERN_PERIOD)
      j = 0;
  }
}

#endif /* PTCP_TUN_PATTERN_H */

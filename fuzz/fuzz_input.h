/*
 * plugtcp fuzzing: a small deterministic consumer over the fuzz input,
 * in C so the harnesses build with the same toolchain as the library.
 * Reading past the end yields zeros; it never fails.
 */
#ifndef PTCP_FUZZ_INPUT_H
#define PTCP_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The entry point every harness defines (libFuzzer's contract). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fuzz_input {
  const uint8_t *p;
  size_t n;
} fuzz_input;

static inline int fuzz_empty(const fuzz_input *in) { return in->n == 0; }

static inline uint8_t fuzz_u8(fuzz_input *in) {
  uint8_t v = 0;
  if (in->n > 0) {
    v = in->p[0];
    in->p++;
    in->n--;
  }
  return v;
}

static inline uint16_t fuzz_u16(fuzz_input *in) {
  uint16_t hi = fuzz_u8(in);
  return (uint16_t)(hi << 8 | fuzz_u8(in));
}

static inline uint32_t fuzz_u32(fuzz_input *in) {
  uint32_t hi = fuzz_u16(in);
  return hi << 16 | fuzz_u16(in);
}

/* A value in [0, n), for n > 0. */
static inline uint32_t fuzz_below(fuzz_input *in, uint32_t n) {
  if (n <= 256)
    return fuzz_u8(in) % n;
  if (n <= 65536)
    return fuzz_u16(in) % n;
  return fuzz_u32(in) % n;
}

/* Up to |max| bytes; returns how many were taken. */
static inline size_t fuzz_bytes(fuzz_input *in, const uint8_t **out, size_t max) {
  size_t n = in->n < max ? in->n : max;
  *out = in->p;
  in->p += n;
  in->n -= n;
  return n;
}

/* A failed oracle: print it and abort, so every engine sees a crash. */
#define FUZZ_CHECK(cond)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: fuzz oracle failed: %s\n", __FILE__, __LINE__,   \
              #cond);                                                          \
      abort();                                                                 \
    }                                                                          \
  } while (0)

#endif /* PTCP_FUZZ_INPUT_H */

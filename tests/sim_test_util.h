/*
 * Helpers shared by the simulator's Check programs: a counting (and
 * failing, on request) allocator, a tiny deterministic generator for
 * test inputs, and builders for valid IPv4/TCP packets.
 */
#ifndef SIM_TEST_UTIL_H
#define SIM_TEST_UTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include <plugtcp/common.h>

/*
 * Check's ck_assert_msg, on which every ck_assert_* is built, records
 * each passing assertion with _mark_point(), a write() to a temporary
 * file, so that a crash can be located.  The simulator suites assert
 * inside loops over 10^5 packets, where those writes take most of the
 * run time; here a passing assertion costs nothing, and a crash is
 * located by the sanitizers' or the debugger's stack trace instead.
 */
#undef ck_assert_msg
#define ck_assert_msg(expr, ...)                                                         \
  ((expr) ? (void)0                                                                      \
          : _ck_assert_failed(__FILE__, __LINE__, "Assertion '" #expr "' failed",        \
                              ##__VA_ARGS__))

/*
 * An allocator that counts calls and live blocks and, once |fail_after|
 * more allocations have succeeded, fails every further one (-1: never).
 */
typedef struct test_counting_mem {
  ptcp_mem mem;
  int allocs;     /* successful malloc/calloc/realloc calls */
  int live;       /* blocks allocated and not yet freed */
  int fail_after; /* -1: never fail */
} test_counting_mem;

void test_counting_mem_init(test_counting_mem *cm);

/* Marsaglia's xorshift64 (J. Stat. Softw. 8(14), 2003): test inputs
 * only, independent of the library's own generator. */
static inline uint64_t test_xorshift(uint64_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  return *x;
}

/*
 * test_build_tcp4 writes an IPv4 packet carrying a TCP segment from
 * 10.0.0.1:|sport| to 10.0.0.2:80 with sequence number |seq|, flags
 * |flags| and |payload_len| bytes of payload whose byte i is
 * (seq + i) & 0xff, both checksums valid.  Returns its length; aborts
 * the test on error.
 */
size_t test_build_tcp4(uint8_t *out, size_t cap, uint16_t sport, uint32_t seq,
                       uint8_t flags, size_t payload_len);

/* test_packet_ok returns nonzero when both checksums of the IPv4/TCP
 * packet verify. */
int test_packet_ok(const uint8_t *pkt, size_t len);

#endif /* SIM_TEST_UTIL_H */

/*
 * Tests for plugtcp/seq.h: comparisons and arithmetic modulo 2^32
 * (RFC 9293 §3.4), around 0, 2^31 and 2^32-1.
 */
#include <check.h>

#include <plugtcp/seq.h>

Suite *ptcp_seq_suite(void);

START_TEST(test_seq_lt_simple) {
  ck_assert(ptcp_seq_lt(1, 2));
  ck_assert(!ptcp_seq_lt(2, 1));
  ck_assert(!ptcp_seq_lt(5, 5));
  ck_assert(ptcp_seq_le(5, 5));
  ck_assert(ptcp_seq_ge(5, 5));
  ck_assert(!ptcp_seq_gt(5, 5));
}
END_TEST

START_TEST(test_seq_wrap_at_2_32) {
  /* 2^32-1 comes right before 0. */
  ck_assert(ptcp_seq_lt(0xffffffffu, 0));
  ck_assert(ptcp_seq_gt(0, 0xffffffffu));
  ck_assert(ptcp_seq_lt(0xfffffff0u, 0x10));
  ck_assert(ptcp_seq_le(0xfffffff0u, 0x10));
  ck_assert_uint_eq(ptcp_seq_add(0xffffffffu, 1), 0);
  ck_assert_uint_eq(ptcp_seq_add(0xfffffffeu, 5), 3);
  ck_assert_uint_eq(ptcp_seq_dist(0xfffffffeu, 3), 5);
}
END_TEST

START_TEST(test_seq_around_2_31) {
  /* Less than 2^31 apart: ordered by the short way round. */
  ck_assert(ptcp_seq_lt(0, 0x7fffffffu));
  ck_assert(ptcp_seq_gt(0x7fffffffu, 0));
  ck_assert(ptcp_seq_lt(0x7fffffffu, 0x80000000u));
  ck_assert(ptcp_seq_lt(0x80000001u, 0));
  /* Exactly 2^31 apart: each is before the other (documented). */
  ck_assert(ptcp_seq_lt(0, 0x80000000u));
  ck_assert(ptcp_seq_lt(0x80000000u, 0));
}
END_TEST

START_TEST(test_seq_in_window) {
  /* [lo, lo+len) with the window straddling the wrap. */
  ck_assert(ptcp_seq_in(0xfffffff0u, 0xfffffff0u, 32));
  ck_assert(ptcp_seq_in(0, 0xfffffff0u, 32));
  ck_assert(ptcp_seq_in(0xf, 0xfffffff0u, 32));
  ck_assert(!ptcp_seq_in(0x10, 0xfffffff0u, 32));
  ck_assert(!ptcp_seq_in(0xffffffefu, 0xfffffff0u, 32));
  /* An empty window holds nothing, not even its left edge. */
  ck_assert(!ptcp_seq_in(100, 100, 0));
}
END_TEST

START_TEST(test_seq_min_max) {
  ck_assert_uint_eq(ptcp_seq_max(0xffffffffu, 2), 2);
  ck_assert_uint_eq(ptcp_seq_min(0xffffffffu, 2), 0xffffffffu);
  ck_assert_uint_eq(ptcp_seq_max(7, 7), 7);
}
END_TEST

Suite *ptcp_seq_suite(void) {
  Suite *s = suite_create("seq");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_seq_lt_simple);
  tcase_add_test(tc, test_seq_wrap_at_2_32);
  tcase_add_test(tc, test_seq_around_2_31);
  tcase_add_test(tc, test_seq_in_window);
  tcase_add_test(tc, test_seq_min_max);
  suite_add_tcase(s, tc);
  return s;
}

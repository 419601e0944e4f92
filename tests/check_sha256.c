/*
 * Tests for the tools' SHA-256 (tools/tun/sha256.c): the FIPS 180-4
 * example vectors from NIST's "Cryptographic Standards and Guidelines"
 * examples (SHA256.pdf, SHA2_Additional.pdf), every padding boundary
 * around 55/56/64 bytes (values from Python's hashlib), and that the
 * digest does not depend on how the input is split.
 */
#include <check.h>
#include <string.h>

#include "sha256.h"

Suite *ptcp_sha256_suite(void);

static void hash_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN]) {
  sha256_ctx c;
  uint8_t d[SHA256_DIGEST_LEN];

  sha256_init(&c);
  sha256_update(&c, data, len);
  sha256_final(&c, d);
  sha256_hex(d, hex);
}

START_TEST(test_sha256_nist_vectors) {
  static const struct {
    const char *msg;
    const char *hex;
  } v[] = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqk"
       "lm"
       "nopqrlmnopqrsmnopqrstnopqrstu",
       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
  };
  char hex[SHA256_HEX_LEN];

  for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
    hash_hex(v[i].msg, strlen(v[i].msg), hex);
    ck_assert_str_eq(hex, v[i].hex);
  }
}
END_TEST

START_TEST(test_sha256_million_a) {
  static uint8_t a[1000];
  sha256_ctx c;
  uint8_t d[SHA256_DIGEST_LEN];
  char hex[SHA256_HEX_LEN];

  memset(a, 'a', sizeof(a));
  sha256_init(&c);
  for (int i = 0; i < 1000; i++)
    sha256_update(&c, a, sizeof(a));
  sha256_final(&c, d);
  sha256_hex(d, hex);
  ck_assert_str_eq(hex,
                   "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

START_TEST(test_sha256_padding_boundaries) {
  /* One block of padding or two: the length field fits after 55 bytes
   * of message, not after 56 (FIPS 180-4 §5.1.1). */
  static const struct {
    size_t n;
    const char *hex;
  } v[] = {
      {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
      {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
      {57, "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6"},
      {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
      {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
      {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
      {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
      {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
  };
  uint8_t a[128];
  char hex[SHA256_HEX_LEN];

  memset(a, 'a', sizeof(a));
  for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
    hash_hex(a, v[i].n, hex);
    ck_assert_msg(strcmp(hex, v[i].hex) == 0, "%zu bytes of 'a': %s", v[i].n, hex);
  }
}
END_TEST

START_TEST(test_sha256_split_invariant) {
  uint8_t msg[1000];
  char whole[SHA256_HEX_LEN], parts[SHA256_HEX_LEN], peek[SHA256_HEX_LEN];

  for (size_t i = 0; i < sizeof(msg); i++)
    msg[i] = (uint8_t)(i * 31 + 7);
  hash_hex(msg, sizeof(msg), whole);
  /* Every chunk size from 1 to 130 bytes gives the same digest. */
  for (size_t step = 1; step <= 130; step++) {
    sha256_ctx c;
    uint8_t d[SHA256_DIGEST_LEN];
    sha256_init(&c);
    for (size_t off = 0; off < sizeof(msg); off += step)
      sha256_update(&c, msg + off, off + step <= sizeof(msg) ? step : sizeof(msg) - off);
    sha256_peek_hex(&c, peek);
    sha256_final(&c, d);
    sha256_hex(d, parts);
    ck_assert_msg(strcmp(whole, parts) == 0, "chunks of %zu bytes", step);
    /* Peeking does not disturb the running hash. */
    ck_assert_str_eq(peek, whole);
  }
}
END_TEST

Suite *ptcp_sha256_suite(void) {
  Suite *s = suite_create("sha256");
  TCase *tc = tcase_create("fips180-4");

  tcase_add_test(tc, test_sha256_nist_vectors);
  tcase_add_test(tc, test_sha256_million_a);
  tcase_add_test(tc, test_sha256_padding_boundaries);
  tcase_add_test(tc, test_sha256_split_invariant);
  suite_add_tcase(s, tc);
  return s;
}

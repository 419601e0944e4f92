/*
 * Tests for the TCP segment codec (core/tcp/ptcp_seg.c): the fixed
 * header and every option kind (RFC 9293 §3.1-3.2, RFC 7323, RFC 2018),
 * each parse and write error by a minimal input, round trips over every
 * option combination, the option layouts, equality, formatting, and the
 * error names.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plugtcp/plugtcp.h>

#include "check_wire.h"

Suite *ptcp_seg_suite(void);

/*
 * Builds a segment 49152 > 80, seq 1, ack 2, win 512, checksum 0, urgent
 * 0, with the given flags, options area (hex; its length must be a
 * multiple of 4: the data offset is computed from it) and payload (hex).
 */
static size_t mkseg_bytes(uint8_t *out, size_t cap, uint8_t flags, const uint8_t *opts,
                          size_t olen, const uint8_t *payload, size_t plen) {
  size_t n;

  ck_assert_msg(olen % 4 == 0 && olen <= 40, "options area of %zu bytes", olen);
  ck_assert_uint_ge(cap, 20 + olen + plen);
  n = wire_hex(out, cap, "c000 0050 00000001 00000002 00 00 0200 0000 0000");
  out[12] = (uint8_t)(((20 + olen) / 4) << 4);
  out[13] = flags;
  if (olen > 0)
    memcpy(out + n, opts, olen);
  if (plen > 0)
    memcpy(out + n + olen, payload, plen);
  return n + olen + plen;
}

static size_t mkseg(uint8_t *out, size_t cap, uint8_t flags, const char *opts,
                    const char *payload) {
  uint8_t o[64], p[256];
  size_t olen = wire_hex(o, sizeof(o), opts);
  size_t plen = wire_hex(p, sizeof(p), payload);

  return mkseg_bytes(out, cap, flags, o, olen, p, plen);
}

/* Parses a segment built by mkseg and asserts it was accepted. */
static ptcp_seg parse_ok(const uint8_t *buf, size_t len) {
  ptcp_seg seg;
  int rv = ptcp_seg_parse(&seg, buf, len, NULL);

  ck_assert_msg(rv == 0, "ptcp_seg_parse returned %s", ptcp_err_name(rv));
  return seg;
}

/* Asserts that the options area |opts| is rejected with |code|. */
static void opts_rejected(const char *opts, int code) {
  uint8_t buf[64];
  size_t n = mkseg(buf, sizeof(buf), PTCP_SYN, opts, "");

  wire_expect_seg_reject(buf, n, NULL, code);
}

/* A segment carrying everything, for the writer tests. */
static ptcp_seg sample_seg(void) {
  static const uint8_t payload[] = "odd payload";
  ptcp_seg s;

  memset(&s, 0, sizeof(s));
  s.src_port = 49152;
  s.dst_port = 80;
  s.seq = 0xfffffff0u;
  s.ack = 0x80000000u;
  s.flags = PTCP_PSH | PTCP_ACK;
  s.window = 502;
  s.payload = payload;
  s.payload_len = sizeof(payload) - 1;
  return s;
}

/* ------------------------------------------------------------------ */
/* Fixed header                                                        */

START_TEST(test_seg_parse_fixed_header_fields) {
  /* RFC 9293 §3.1 figure 1, every field with a distinctive value. */
  uint8_t buf[20];
  size_t n = wire_hex(buf, sizeof(buf),
                      "1f90 c350 | 12345678 | 9abcdef0 | 5a 3f | ffff | beef | 0102");
  ptcp_seg seg = parse_ok(buf, n);

  ck_assert_uint_eq(seg.src_port, 8080);
  ck_assert_uint_eq(seg.dst_port, 50000);
  ck_assert_uint_eq(seg.seq, 0x12345678u);
  ck_assert_uint_eq(seg.ack, 0x9abcdef0u);
  ck_assert_uint_eq(seg.hdr_len, 20);
  ck_assert_uint_eq(seg.reserved, 0xa);
  ck_assert_uint_eq(seg.flags, 0x3f);
  ck_assert_uint_eq(seg.window, 0xffff);
  ck_assert_uint_eq(seg.checksum, 0xbeef);
  ck_assert_uint_eq(seg.urgent, 0x0102);
  ck_assert_uint_eq(seg.opts.present, 0);
  ck_assert_uint_eq(seg.opts.unknown, 0);
  ck_assert_uint_eq(seg.payload_len, 0);
}
END_TEST

START_TEST(test_seg_parse_payload_is_zero_copy) {
  uint8_t buf[64];
  size_t n = mkseg(buf, sizeof(buf), PTCP_PSH | PTCP_ACK, "01010101", "6869 21");
  ptcp_seg seg = parse_ok(buf, n);

  ck_assert_uint_eq(seg.hdr_len, 24);
  ck_assert_ptr_eq(seg.payload, buf + 24);
  ck_assert_uint_eq(seg.payload_len, 3);
  ck_assert_mem_eq(seg.payload, "hi!", 3);
}
END_TEST

START_TEST(test_seg_parse_max_data_offset) {
  /* Data offset 15: a 60-byte header, 40 bytes of NOPs. */
  uint8_t buf[64];
  size_t n = mkseg(buf, sizeof(buf), PTCP_ACK,
                   "01010101 01010101 01010101 01010101 01010101"
                   "01010101 01010101 01010101 01010101 01010101",
                   "ff");
  ptcp_seg seg = parse_ok(buf, n);

  ck_assert_uint_eq(seg.hdr_len, 60);
  ck_assert_uint_eq(seg.payload_len, 1);
  ck_assert_uint_eq(seg.opts.present, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Options                                                             */

START_TEST(test_seg_opt_eol_ends_list) {
  uint8_t buf[64];
  size_t n = mkseg(buf, sizeof(buf), PTCP_ACK, "00 020405b4 000000", "");
  ptcp_seg seg = parse_ok(buf, n);

  /* The MSS after EOL is not an option: RFC 9293 §3.2, "End of Option
   * List ... used at the end of all options". */
  ck_assert_uint_eq(seg.opts.present, 0);
}
END_TEST

START_TEST(test_seg_opt_after_eol_ignored) {
  /* After EOL even a length-0 option (which would be rejected) and an
   * unknown kind are padding, not options. */
  uint8_t buf[64];
  size_t n = mkseg(buf, sizeof(buf), PTCP_SYN, "020405b4 00 0200ff fe00 0000", "");
  ptcp_seg seg = parse_ok(buf, n);

  ck_assert_uint_eq(seg.opts.present, PTCP_OPT_MSS);
  ck_assert_uint_eq(seg.opts.mss, 1460);
  ck_assert_uint_eq(seg.opts.unknown, 0);
}
END_TEST

START_TEST(test_seg_opt_nop_skipped) {
  uint8_t buf[64];
  size_t n = mkseg(buf, sizeof(buf), PTCP_SYN, "010101 020405b4 01", "");
  ptcp_seg seg = parse_ok(buf, n);

  ck_assert_uint_eq(seg.opts.present, PTCP_OPT_MSS);
  ck_assert_uint_eq(seg.opts.mss, 1460);
}
END_TEST

START_TEST(test_seg_opt_mss) {
  uint8_t buf[64];
  size_t n = mkseg(buf, sizeof(buf), PTCP_SYN, "0204ffff", "");
  ptcp_seg seg = parse_ok(buf, n);

  ck_assert_uint_eq(seg.opts.present, PTCP_OPT_MSS);
  ck_assert_uint_eq(seg.opts.mss, 65535);
  /* MSS 0 is what the wire carried: flooring it is the engine's job
   * (hardening.md rule 3), not the codec's. */
  n = mkseg(buf, sizeof(buf), PTCP_SYN, "02040000", "");
  seg = parse_ok(buf, n);
  ck_assert_uint_eq(seg.opts.present, PTCP_OPT_MSS);
  ck_assert_uint_eq(seg.opts.mss, 0);
}
END_TEST

START_TEST(test_seg_opt_window_scale) {
  uint8_t buf[64];
  size_t n = mkseg(buf, sizeof(buf), PTCP_SYN, "01 03030e", "");
  ptcp_seg seg = parse_ok(buf, n);

  ck_assert_uint_eq(seg.opts.present, PTCP_OPT_WSCALE);
  ck_assert_uint_eq(seg.opts.wscale, 14);
  /* Above RFC 7323's 14 is reported as sent; the engine clamps. */
  n = mkseg(buf, sizeof(buf), PTCP_SYN, "01 0303ff", "");
  seg = parse_ok(buf, n);
  ck_assert_uint_eq(seg.opts.wscale, 255);
}
END_TEST

START_TEST(test_seg_opt_sack_permitted) {
  uint8_t buf[64];
  size_t n = mkseg(buf, sizeof(buf), PTCP_SYN, "0101 0402", "");
  ptcp_seg seg = parse_ok(buf, n);

  ck_assert_uint_eq(seg.opts.present, PTCP_OPT_SACK_PERM);
}
END_TEST

START_TEST(test_seg_opt_sack_1_to_4_blocks) {
  for (unsigned blocks = 1; blocks <= 4; blocks++) {
    uint8_t opts[40], buf[64];
    ptcp_seg seg;
    size_t n = 0;

    /* NOP NOP SACK(8n + 2), blocks straddling the 2^32 wrap. */
    opts[n++] = 1;
    opts[n++] = 1;
    opts[n++] = 5;
    opts[n++] = (uint8_t)(2 + 8 * blocks);
    for (unsigned i = 0; i < blocks; i++) {
      uint32_t left = 0xfffffff0u + 0x100u * i, right = left + 0x80u;
      for (int b = 3; b >= 0; b--)
        opts[n++] = (uint8_t)(left >> (8 * b));
      for (int b = 3; b >= 0; b--)
        opts[n++] = (uint8_t)(right >> (8 * b));
    }
    seg = parse_ok(buf, mkseg_bytes(buf, sizeof(buf), PTCP_ACK, opts, n, NULL, 0));
    ck_assert_uint_eq(seg.opts.present, PTCP_OPT_SACK);
    ck_assert_uint_eq(seg.opts.sack_count, blocks);
    for (unsigned i = 0; i < blocks; i++) {
      ck_assert_uint_eq(seg.opts.sack[i].left, 0xfffffff0u + 0x100u * i);
      ck_assert_uint_eq(seg.opts.sack[i].right, 0xfffffff0u + 0x100u * i + 0x80u);
    }
  }
}
END_TEST

START_TEST(test_seg_opt_timestamps) {
  uint8_t buf[64];
  size_t n = mkseg(buf, sizeof(buf), PTCP_ACK, "0101 080a 00000001 fffffffe", "");
  ptcp_seg seg = parse_ok(buf, n);

  ck_assert_uint_eq(seg.opts.present, PTCP_OPT_TS);
  ck_assert_uint_eq(seg.opts.ts_val, 1);
  ck_assert_uint_eq(seg.opts.ts_ecr, 0xfffffffeu);
}
END_TEST

START_TEST(test_seg_opt_unknown_skipped_and_counted) {
  /* MPTCP (30), Fast Open with a cookie (34), an experimental kind
   * (254) of minimal length, then an MSS that must still be found. */
  uint8_t buf[64];
  size_t n = mkseg(buf, sizeof(buf), PTCP_SYN,
                   "1e04 0000 | 220a a0a1a2a3a4a5a6a7 | fe02 | 020405b4 | 0000 0000", "");
  ptcp_seg seg = parse_ok(buf, n);

  ck_assert_uint_eq(seg.opts.unknown, 3);
  ck_assert_uint_eq(seg.opts.present, PTCP_OPT_MSS);
  ck_assert_uint_eq(seg.opts.mss, 1460);
}
END_TEST

START_TEST(test_seg_opt_linux_syn_all_known) {
  /* A Linux SYN: MSS, SACK-permitted, TS, NOP, WS. */
  uint8_t buf[64];
  size_t n = mkseg(buf, sizeof(buf), PTCP_SYN,
                   "020405b4 0402 080a 0a1b2c3d 00000000 01 030307", "");
  ptcp_seg seg = parse_ok(buf, n);

  ck_assert_uint_eq(seg.opts.present,
                    PTCP_OPT_MSS | PTCP_OPT_SACK_PERM | PTCP_OPT_TS | PTCP_OPT_WSCALE);
  ck_assert_uint_eq(seg.opts.mss, 1460);
  ck_assert_uint_eq(seg.opts.ts_val, 0x0a1b2c3du);
  ck_assert_uint_eq(seg.opts.ts_ecr, 0);
  ck_assert_uint_eq(seg.opts.wscale, 7);
  ck_assert_uint_eq(seg.opts.unknown, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* ptcp_seg_parse errors, one minimal input each                      */

START_TEST(test_seg_err_invalid_argument) {
  uint8_t buf[20] = {0};
  ptcp_seg seg;

  buf[12] = 0x50;
  ck_assert_int_eq(ptcp_seg_parse(NULL, buf, sizeof(buf), NULL),
                   PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(ptcp_seg_parse(&seg, NULL, 20, NULL), PTCP_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_seg_err_truncated) {
  uint8_t buf[64];
  size_t n = mkseg(buf, sizeof(buf), PTCP_ACK, "", "");

  ck_assert_uint_eq(n, 20);
  wire_expect_seg_reject(buf, 19, NULL, PTCP_ERR_TRUNCATED);
  wire_expect_seg_reject(buf, 0, NULL, PTCP_ERR_TRUNCATED);
}
END_TEST

START_TEST(test_seg_err_data_offset_below_5) {
  uint8_t buf[64];
  size_t n = mkseg(buf, sizeof(buf), PTCP_ACK, "", "61626364");

  buf[12] = 0x40; /* 16-byte header: smaller than the fixed part */
  wire_expect_seg_reject(buf, n, NULL, PTCP_ERR_DATA_OFFSET);
  buf[12] = 0x00;
  wire_expect_seg_reject(buf, n, NULL, PTCP_ERR_DATA_OFFSET);
}
END_TEST

START_TEST(test_seg_err_data_offset_beyond_length) {
  uint8_t buf[64];
  size_t n = mkseg(buf, sizeof(buf), PTCP_ACK, "", "");

  buf[12] = 0x60; /* 24-byte header in a 20-byte segment */
  wire_expect_seg_reject(buf, n, NULL, PTCP_ERR_DATA_OFFSET);
  /* Data offset 15 with the options cut short (56 of 60 bytes). */
  n = mkseg(buf, sizeof(buf), PTCP_ACK,
            "01010101 01010101 01010101 01010101 01010101"
            "01010101 01010101 01010101 01010101 01010101",
            "");
  wire_expect_seg_reject(buf, n - 4, NULL, PTCP_ERR_DATA_OFFSET);
}
END_TEST

START_TEST(test_seg_err_opt_len_zero) {
  /* CVE-2020-24337: kind 255, length 0 would loop forever. */
  opts_rejected("ff00 0000", PTCP_ERR_OPT_LEN);
  /* A known kind with length 0 is the same malformation. */
  opts_rejected("0200 0000", PTCP_ERR_OPT_LEN);
}
END_TEST

START_TEST(test_seg_err_opt_len_one) {
  /* smoltcp 3f43be8d: kind 12, length 1. */
  opts_rejected("0c01 0000", PTCP_ERR_OPT_LEN);
}
END_TEST

START_TEST(test_seg_err_opt_kind_is_last_byte) {
  /* lwIP 3d896ba0: the length byte would be read past the header.  The
   * payload's first byte (0 or 1) is what a parser reading one byte too
   * far would take for the length, and answer OPT_LEN instead. */
  uint8_t buf[64];
  size_t n;

  opts_rejected("010101 02", PTCP_ERR_OPT_OVERRUN);
  opts_rejected("010101 fe", PTCP_ERR_OPT_OVERRUN);
  n = mkseg(buf, sizeof(buf), PTCP_SYN, "010101 02", "00");
  wire_expect_seg_reject(buf, n, NULL, PTCP_ERR_OPT_OVERRUN);
  n = mkseg(buf, sizeof(buf), PTCP_SYN, "010101 08", "01 0a");
  wire_expect_seg_reject(buf, n, NULL, PTCP_ERR_OPT_OVERRUN);
}
END_TEST

START_TEST(test_seg_err_opt_length_past_header) {
  /* A timestamp claiming 10 bytes with 4 left. */
  opts_rejected("020405b4 080a 0000", PTCP_ERR_OPT_OVERRUN);
  /* An unknown kind is walked with the same bound. */
  opts_rejected("fe05 0000", PTCP_ERR_OPT_OVERRUN);
}
END_TEST

START_TEST(test_seg_err_opt_size_mss) {
  opts_rejected("0203 00 00", PTCP_ERR_OPT_SIZE);
  opts_rejected("0205 05b4 00 000000", PTCP_ERR_OPT_SIZE);
}
END_TEST

START_TEST(test_seg_err_opt_size_window_scale) {
  opts_rejected("0302 0000", PTCP_ERR_OPT_SIZE);
  opts_rejected("0304 0700", PTCP_ERR_OPT_SIZE);
}
END_TEST

START_TEST(test_seg_err_opt_size_sack_permitted) {
  opts_rejected("0403 0000", PTCP_ERR_OPT_SIZE);
}
END_TEST

START_TEST(test_seg_err_opt_size_timestamps) {
  opts_rejected("0808 000000000000 00000000", PTCP_ERR_OPT_SIZE);
  opts_rejected("080b 0000000000000000 00 00", PTCP_ERR_OPT_SIZE);
}
END_TEST

START_TEST(test_seg_err_opt_size_sack) {
  /* RFC 2018 §3: 8n + 2 bytes, n >= 1. */
  opts_rejected("0502 0000", PTCP_ERR_OPT_SIZE);
  opts_rejected("050b 000000000000000000 00", PTCP_ERR_OPT_SIZE);
  /* 40 bytes: (40 - 2) is not a multiple of 8. */
  opts_rejected("0528 0000000000000000 0000000000000000 0000000000000000"
                "0000000000000000 000000000000",
                PTCP_ERR_OPT_SIZE);
}
END_TEST

START_TEST(test_seg_err_opt_dup) {
  opts_rejected("020405b4 02040218", PTCP_ERR_OPT_DUP);
  opts_rejected("01030307 01030308", PTCP_ERR_OPT_DUP);
  opts_rejected("0402 0402", PTCP_ERR_OPT_DUP);
  opts_rejected("080a 0000000100000002 080a 0000000300000004 0000 0000",
                PTCP_ERR_OPT_DUP);
  opts_rejected("050a 0000000100000002 050a 0000000300000004 0000 0000",
                PTCP_ERR_OPT_DUP);
}
END_TEST

START_TEST(test_seg_err_checksum) {
  ptcp_pseudo ph4 = wire_ph4(), ph6 = wire_ph6();
  ptcp_seg s = sample_seg(), back;
  uint8_t buf[128];
  ptcp_ssize n = ptcp_seg_write(buf, sizeof(buf), &s, &ph4);

  ck_assert_int_gt(n, 0);
  ck_assert_int_eq(ptcp_seg_parse(&back, buf, (size_t)n, &ph4), 0);
  /* Right bytes, wrong pseudo-header. */
  wire_expect_seg_reject(buf, (size_t)n, &ph6, PTCP_ERR_CHECKSUM);
  /* One bit of payload flipped. */
  buf[n - 1] ^= 0x80;
  wire_expect_seg_reject(buf, (size_t)n, &ph4, PTCP_ERR_CHECKSUM);
  /* Without a pseudo-header the checksum is not the parser's business. */
  ck_assert_int_eq(ptcp_seg_parse(&back, buf, (size_t)n, NULL), 0);
}
END_TEST

START_TEST(test_seg_err_checksum_ipv4_over_64k) {
  /* IPv4 cannot carry a segment above 65535 bytes (its pseudo-header
   * length is 16 bits); IPv6 jumbo-length pseudo-headers can (RFC 8200
   * §8.1 uses 32 bits). */
  size_t len = 70000;
  uint8_t *buf = calloc(1, len);
  ptcp_pseudo ph4 = wire_ph4(), ph6 = wire_ph6();
  ptcp_seg seg;

  ck_assert_ptr_nonnull(buf);
  buf[12] = 0x50;
  buf[13] = PTCP_ACK;
  ptcp_seg_fill_checksum(buf, len, &ph6);
  ck_assert_int_eq(ptcp_seg_parse(&seg, buf, len, &ph6), 0);
  ck_assert_uint_eq(seg.payload_len, len - 20);
  wire_expect_seg_reject(buf, len, &ph4, PTCP_ERR_CHECKSUM);
  /* Even when the checksum matches an IPv4 pseudo-header whose length
   * wrapped to 16 bits (70000 - 65536), the segment is refused. */
  ptcp_seg_fill_checksum(buf, len, &ph4);
  wire_expect_seg_reject(buf, len, &ph4, PTCP_ERR_CHECKSUM);
  free(buf);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Writer errors                                                       */

START_TEST(test_seg_opts_len_err_invalid_argument) {
  ptcp_seg s = sample_seg();
  uint8_t buf[128];

  ck_assert_int_eq(ptcp_seg_opts_len(NULL), PTCP_ERR_INVALID_ARGUMENT);
  s.opts.present = PTCP_OPT_SACK;
  s.opts.sack_count = 0;
  ck_assert_int_eq(ptcp_seg_opts_len(&s), PTCP_ERR_INVALID_ARGUMENT);
  s.opts.sack_count = PTCP_SACK_MAX_BLOCKS + 1;
  ck_assert_int_eq(ptcp_seg_opts_len(&s), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(ptcp_seg_encode_header(buf, sizeof(buf), &s),
                   PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(ptcp_seg_write(buf, sizeof(buf), &s, NULL), PTCP_ERR_INVALID_ARGUMENT);
  /* Without the SACK bit, sack_count means nothing. */
  s.opts.present = 0;
  ck_assert_int_eq(ptcp_seg_opts_len(&s), 0);
}
END_TEST

START_TEST(test_seg_opts_len_err_unknown_present_bit) {
  /* A present bit no writer knows would be dropped silently, and the
   * parse of the output would not be what the caller asked for. */
  ptcp_seg s = sample_seg();
  uint8_t buf[128];

  s.opts.present = PTCP_OPT_MSS | 0x20;
  ck_assert_int_eq(ptcp_seg_opts_len(&s), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(ptcp_seg_write(buf, sizeof(buf), &s, NULL), PTCP_ERR_INVALID_ARGUMENT);
  s.opts.present = 0x8000;
  ck_assert_int_eq(ptcp_seg_opts_len(&s), PTCP_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_seg_opts_len_err_opt_space) {
  ptcp_seg s = sample_seg();
  uint8_t buf[128];

  /* Everything plus 3 SACK blocks: 48 bytes aligned, 45 packed. */
  s.opts.present =
      PTCP_OPT_MSS | PTCP_OPT_WSCALE | PTCP_OPT_SACK_PERM | PTCP_OPT_TS | PTCP_OPT_SACK;
  s.opts.sack_count = 3;
  ck_assert_int_eq(ptcp_seg_opts_len(&s), PTCP_ERR_OPT_SPACE);
  ck_assert_int_eq(ptcp_seg_encode_header(buf, sizeof(buf), &s), PTCP_ERR_OPT_SPACE);
  ck_assert_int_eq(ptcp_seg_write(buf, sizeof(buf), &s, NULL), PTCP_ERR_OPT_SPACE);
  /* Timestamps and 4 SACK blocks: 44 bytes even packed. */
  s.opts.present = PTCP_OPT_TS | PTCP_OPT_SACK;
  s.opts.sack_count = 4;
  ck_assert_int_eq(ptcp_seg_opts_len(&s), PTCP_ERR_OPT_SPACE);
}
END_TEST

START_TEST(test_seg_encode_header_err_nobuf) {
  ptcp_seg s = sample_seg();
  uint8_t buf[64];

  s.opts.present = PTCP_OPT_MSS;
  s.opts.mss = 1460;
  memset(buf, 0xee, sizeof(buf));
  ck_assert_int_eq(ptcp_seg_encode_header(buf, 23, &s), PTCP_ERR_NOBUF);
  ck_assert_int_eq(ptcp_seg_encode_header(buf, 0, &s), PTCP_ERR_NOBUF);
  /* Nothing written at all, least of all past the capacity. */
  for (size_t i = 0; i < sizeof(buf); i++)
    ck_assert_uint_eq(buf[i], 0xee);
  ck_assert_int_eq(ptcp_seg_encode_header(buf, 24, &s), 24);
}
END_TEST

START_TEST(test_seg_encode_header_err_invalid_argument) {
  ptcp_seg s = sample_seg();

  ck_assert_int_eq(ptcp_seg_encode_header(NULL, 64, &s), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(ptcp_seg_encode_header((uint8_t[64]){0}, 64, NULL),
                   PTCP_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_seg_write_err_nobuf) {
  ptcp_seg s = sample_seg();
  uint8_t buf[64];
  size_t total = 20 + s.payload_len;

  memset(buf, 0xee, sizeof(buf));
  /* Room for the header but not the whole payload. */
  ck_assert_int_eq(ptcp_seg_write(buf, total - 1, &s, NULL), PTCP_ERR_NOBUF);
  for (size_t i = total - 1; i < sizeof(buf); i++)
    ck_assert_uint_eq(buf[i], 0xee);
  ck_assert_int_eq(ptcp_seg_write(buf, 19, &s, NULL), PTCP_ERR_NOBUF);
  ck_assert_int_eq(ptcp_seg_write(buf, total, &s, NULL), (ptcp_ssize)total);
}
END_TEST

START_TEST(test_seg_write_err_invalid_argument) {
  static uint8_t big[65536 + 64];
  ptcp_seg s = sample_seg();
  uint8_t buf[64];

  ck_assert_int_eq(ptcp_seg_write(NULL, sizeof(buf), &s, NULL),
                   PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(ptcp_seg_write(buf, sizeof(buf), NULL, NULL),
                   PTCP_ERR_INVALID_ARGUMENT);
  s.payload = NULL;
  ck_assert_int_eq(ptcp_seg_write(buf, sizeof(buf), &s, NULL), PTCP_ERR_INVALID_ARGUMENT);
  /* 65535 bytes in all is the most an IP length field describes. */
  s = sample_seg();
  s.payload = big;
  s.payload_len = 65535 - 20;
  ck_assert_int_eq(ptcp_seg_write(big, sizeof(big), &s, NULL), 65535);
  s.payload_len = 65536 - 20;
  ck_assert_int_eq(ptcp_seg_write(big, sizeof(big), &s, NULL), PTCP_ERR_INVALID_ARGUMENT);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Round trips and layout                                              */

/*
 * The documented layout rule, restated independently of the writer:
 * aligned (MSS 4, SACK-permitted+TS 12 or TS 12 or SACK-permitted 4,
 * WS 4, SACK 4+8n) when it fits in 40 bytes, else packed and rounded
 * up to 4, else no room.
 */
static long expected_opts_len(unsigned present, unsigned n, int *packed) {
  long aligned = 0, dense = 0;

  *packed = 0;
  aligned += (present & PTCP_OPT_MSS) ? 4 : 0;
  aligned += (present & PTCP_OPT_TS) ? 12 : (present & PTCP_OPT_SACK_PERM) ? 4 : 0;
  aligned += (present & PTCP_OPT_WSCALE) ? 4 : 0;
  aligned += (present & PTCP_OPT_SACK) ? 4 + 8 * (long)n : 0;
  if (aligned <= 40)
    return aligned;
  dense += (present & PTCP_OPT_MSS) ? 4 : 0;
  dense += (present & PTCP_OPT_WSCALE) ? 3 : 0;
  dense += (present & PTCP_OPT_SACK_PERM) ? 2 : 0;
  dense += (present & PTCP_OPT_TS) ? 10 : 0;
  dense += (present & PTCP_OPT_SACK) ? 2 + 8 * (long)n : 0;
  dense = (dense + 3) & ~3L;
  *packed = dense <= 40;
  return dense <= 40 ? dense : PTCP_ERR_OPT_SPACE;
}

START_TEST(test_seg_roundtrip_every_option_subset) {
  ptcp_pseudo ph = wire_ph6();
  unsigned fitted = 0, packed = 0, refused = 0;

  for (unsigned present = 0; present < 32; present++) {
    unsigned nmax = (present & PTCP_OPT_SACK) ? PTCP_SACK_MAX_BLOCKS : 0;
    for (unsigned n = (nmax ? 1 : 0); n <= nmax; n++) {
      ptcp_seg s = sample_seg(), back;
      uint8_t buf[128];
      int dense;
      long want = expected_opts_len(present, n, &dense);
      ptcp_ssize len;

      s.opts.present = (uint16_t)present;
      s.opts.mss = (uint16_t)(1000 + present);
      s.opts.wscale = (uint8_t)(present % 15);
      s.opts.ts_val = 0xfffffff0u + present;
      s.opts.ts_ecr = 0x7fffffffu + n;
      s.opts.sack_count = (uint8_t)n;
      for (unsigned i = 0; i < n; i++) {
        s.opts.sack[i].left = 0xffffff00u + 0x40u * i;
        s.opts.sack[i].right = s.opts.sack[i].left + 0x20u + present;
      }
      ck_assert_int_eq(ptcp_seg_opts_len(&s), want);
      len = ptcp_seg_write(buf, sizeof(buf), &s, &ph);
      if (want < 0) {
        ck_assert_int_eq(len, PTCP_ERR_OPT_SPACE);
        refused++;
        continue;
      }
      ck_assert_int_eq(len, 20 + want + (long)s.payload_len);
      ck_assert_int_eq(ptcp_seg_parse(&back, buf, (size_t)len, &ph), 0);
      ck_assert_msg(ptcp_seg_equal(&s, &back), "present 0x%x sack %u", present, n);
      ck_assert_uint_eq(back.hdr_len, 20 + want);
      ck_assert_uint_eq(back.opts.unknown, 0);
      if (dense)
        packed++;
      else
        fitted++;
    }
  }
  /* 16 subsets without SACK plus 16 x 4 with: 62 aligned, 4 packed
   * (MSS|SACKOK or WS|SACKOK with 4 blocks, MSS|TS or WS|TS with 3),
   * 14 that do not fit. */
  ck_assert_uint_eq(fitted, 62);
  ck_assert_uint_eq(packed, 4);
  ck_assert_uint_eq(refused, 14);
}
END_TEST

START_TEST(test_seg_layout_linux_syn) {
  /* Linux tcp_options_write(): MSS, then SACK-permitted in the two bytes
   * before the timestamps, then NOP + window scale. */
  ptcp_seg s = sample_seg();
  uint8_t buf[64], want[20];

  s.flags = PTCP_SYN;
  s.payload_len = 0;
  s.opts.present = PTCP_OPT_MSS | PTCP_OPT_SACK_PERM | PTCP_OPT_TS | PTCP_OPT_WSCALE;
  s.opts.mss = 1460;
  s.opts.ts_val = 0x0a1b2c3d;
  s.opts.ts_ecr = 0;
  s.opts.wscale = 7;
  ck_assert_int_eq(ptcp_seg_write(buf, sizeof(buf), &s, NULL), 40);
  wire_hex(want, sizeof(want), "020405b4 0402080a 0a1b2c3d 00000000 01030307");
  ck_assert_uint_eq(buf[12], 0xa0);
  ck_assert_mem_eq(buf + 20, want, 20);
}
END_TEST

START_TEST(test_seg_layout_syn_without_timestamps) {
  /* Linux with timestamps off: MSS, NOP NOP SACK-permitted, NOP WS. */
  ptcp_seg s = sample_seg();
  uint8_t buf[64], want[12];

  s.payload_len = 0;
  s.opts.present = PTCP_OPT_MSS | PTCP_OPT_SACK_PERM | PTCP_OPT_WSCALE;
  s.opts.mss = 1460;
  s.opts.wscale = 7;
  ck_assert_int_eq(ptcp_seg_write(buf, sizeof(buf), &s, NULL), 32);
  wire_hex(want, sizeof(want), "020405b4 01010402 01030307");
  ck_assert_mem_eq(buf + 20, want, 12);
}
END_TEST

START_TEST(test_seg_layout_ack_with_ts_and_sack) {
  /* An established-state ACK: NOP NOP TS, NOP NOP SACK. */
  ptcp_seg s = sample_seg();
  uint8_t buf[64], want[24];

  s.payload_len = 0;
  s.opts.present = PTCP_OPT_TS | PTCP_OPT_SACK;
  s.opts.ts_val = 1;
  s.opts.ts_ecr = 2;
  s.opts.sack_count = 1;
  s.opts.sack[0].left = 3;
  s.opts.sack[0].right = 4;
  ck_assert_int_eq(ptcp_seg_write(buf, sizeof(buf), &s, NULL), 44);
  wire_hex(want, sizeof(want), "0101080a 00000001 00000002 0101050a 00000003 00000004");
  ck_assert_mem_eq(buf + 20, want, 24);
}
END_TEST

START_TEST(test_seg_layout_dense_fallback) {
  /* TS + WS + 3 SACK blocks: 44 bytes aligned, so packed without NOPs
   * (MSS, WS, SACK-permitted, TS, SACK) and padded with one EOL. */
  ptcp_seg s = sample_seg(), back;
  uint8_t buf[80], want[40];

  memset(buf, 0xee, sizeof(buf)); /* so the EOL padding is seen written */
  s.payload_len = 0;
  s.opts.present = PTCP_OPT_TS | PTCP_OPT_WSCALE | PTCP_OPT_SACK;
  s.opts.wscale = 9;
  s.opts.ts_val = 0x11111111;
  s.opts.ts_ecr = 0x22222222;
  s.opts.sack_count = 3;
  for (unsigned i = 0; i < 3; i++) {
    s.opts.sack[i].left = 0xa0 + i;
    s.opts.sack[i].right = 0xb0 + i;
  }
  ck_assert_int_eq(ptcp_seg_write(buf, sizeof(buf), &s, NULL), 60);
  wire_hex(want, sizeof(want),
           "030309 080a 11111111 22222222 051a 000000a0 000000b0 000000a1 000000b1"
           "000000a2 000000b2 00");
  ck_assert_uint_eq(buf[12], 0xf0);
  ck_assert_mem_eq(buf + 20, want, 40);
  ck_assert_int_eq(ptcp_seg_parse(&back, buf, 60, NULL), 0);
  ck_assert(ptcp_seg_equal(&s, &back));
}
END_TEST

START_TEST(test_seg_layout_dense_fallback_without_padding) {
  /* MSS + SACK-permitted + 4 SACK blocks: 44 aligned, exactly 40 packed. */
  ptcp_seg s = sample_seg();
  uint8_t buf[80], want[8];

  s.payload_len = 0;
  s.opts.present = PTCP_OPT_MSS | PTCP_OPT_SACK_PERM | PTCP_OPT_SACK;
  s.opts.mss = 536;
  s.opts.sack_count = 4;
  ck_assert_int_eq(ptcp_seg_write(buf, sizeof(buf), &s, NULL), 60);
  wire_hex(want, sizeof(want), "02040218 0402 0522");
  ck_assert_mem_eq(buf + 20, want, 8);
}
END_TEST

START_TEST(test_seg_write_is_canonical) {
  /* A segment parsed from a non-canonical layout (options in another
   * order, extra NOPs, an unknown option) writes the canonical bytes,
   * which parse to the same meaning. */
  uint8_t in[64], out[64];
  size_t n =
      mkseg(in, sizeof(in), PTCP_SYN,
            "01 030307 01 fe02 0402 020405b4 01 080a 00000005 00000000 000000 00", "");
  ptcp_seg a = parse_ok(in, n), b;
  ptcp_ssize m;
  uint8_t want[20];

  ck_assert_uint_eq(a.opts.unknown, 1);
  m = ptcp_seg_write(out, sizeof(out), &a, NULL);
  ck_assert_int_eq(m, 40);
  wire_hex(want, sizeof(want), "020405b4 0402080a 00000005 00000000 01030307");
  ck_assert_mem_eq(out + 20, want, 20);
  b = parse_ok(out, (size_t)m);
  ck_assert(ptcp_seg_equal(&a, &b));
}
END_TEST

START_TEST(test_seg_write_payload_may_alias_output) {
  /* The payload may already sit where it belongs (memmove). */
  uint8_t buf[64];
  ptcp_seg s = sample_seg(), back;

  memcpy(buf + 20, "in place", 8);
  s.payload = buf + 20;
  s.payload_len = 8;
  ck_assert_int_eq(ptcp_seg_write(buf, sizeof(buf), &s, NULL), 28);
  back = parse_ok(buf, 28);
  ck_assert_mem_eq(back.payload, "in place", 8);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Equality and text                                                   */

START_TEST(test_seg_equal_semantics) {
  static const uint8_t p1[] = "abc", p2[] = "abc", p3[] = "abd";
  ptcp_seg a = sample_seg(), b;

  a.payload = p1;
  a.payload_len = 3;
  a.opts.present = PTCP_OPT_MSS;
  a.opts.mss = 1460;
  b = a;
  ck_assert(ptcp_seg_equal(&a, &b));
  /* Layout fields and absent option values do not count. */
  b.hdr_len = 60;
  b.checksum = 0x1234;
  b.opts.unknown = 7;
  b.opts.wscale = 14;
  b.opts.ts_val = 99;
  b.payload = p2; /* same bytes elsewhere */
  ck_assert(ptcp_seg_equal(&a, &b));
  /* Every meaningful field does. */
  b = a;
  b.src_port++;
  ck_assert(!ptcp_seg_equal(&a, &b));
  b = a;
  b.dst_port++;
  ck_assert(!ptcp_seg_equal(&a, &b));
  b = a;
  b.seq++;
  ck_assert(!ptcp_seg_equal(&a, &b));
  b = a;
  b.ack++;
  ck_assert(!ptcp_seg_equal(&a, &b));
  b = a;
  b.reserved = 1;
  ck_assert(!ptcp_seg_equal(&a, &b));
  b = a;
  b.flags ^= PTCP_FIN;
  ck_assert(!ptcp_seg_equal(&a, &b));
  b = a;
  b.window++;
  ck_assert(!ptcp_seg_equal(&a, &b));
  b = a;
  b.urgent++;
  ck_assert(!ptcp_seg_equal(&a, &b));
  b = a;
  b.opts.mss++;
  ck_assert(!ptcp_seg_equal(&a, &b));
  b = a;
  b.opts.present |= PTCP_OPT_SACK_PERM;
  ck_assert(!ptcp_seg_equal(&a, &b));
  b = a;
  b.payload = p3;
  ck_assert(!ptcp_seg_equal(&a, &b));
  b = a;
  b.payload_len = 2;
  ck_assert(!ptcp_seg_equal(&a, &b));
}
END_TEST

START_TEST(test_seg_equal_compares_present_options) {
  ptcp_seg a = sample_seg(), b;

  a.opts.present = PTCP_OPT_WSCALE | PTCP_OPT_TS | PTCP_OPT_SACK;
  a.opts.wscale = 7;
  a.opts.ts_val = 1;
  a.opts.ts_ecr = 2;
  a.opts.sack_count = 2;
  a.opts.sack[0].left = 10;
  a.opts.sack[0].right = 20;
  a.opts.sack[1].left = 30;
  a.opts.sack[1].right = 40;
  /* Blocks past sack_count do not count. */
  b = a;
  b.opts.sack[2].left = 5;
  ck_assert(ptcp_seg_equal(&a, &b));
  b = a;
  b.opts.wscale = 8;
  ck_assert(!ptcp_seg_equal(&a, &b));
  b = a;
  b.opts.ts_ecr = 3;
  ck_assert(!ptcp_seg_equal(&a, &b));
  b = a;
  b.opts.sack_count = 1;
  ck_assert(!ptcp_seg_equal(&a, &b));
  b = a;
  b.opts.sack[1].right = 41;
  ck_assert(!ptcp_seg_equal(&a, &b));
}
END_TEST

START_TEST(test_seg_format_syn) {
  uint8_t buf[64];
  size_t n = mkseg(buf, sizeof(buf), PTCP_SYN,
                   "020405b4 0402 080a 00000001 00000000 01 030307", "");
  ptcp_seg seg = parse_ok(buf, n);
  char text[256];
  const char *want = "49152 > 80 [S] seq 1 win 512 <mss 1460,sackOK,TS val 1 ecr 0,"
                     "wscale 7> len 0";

  ck_assert_int_eq(ptcp_seg_format(text, sizeof(text), &seg), (int)strlen(want));
  ck_assert_str_eq(text, want);
}
END_TEST

START_TEST(test_seg_format_ack_urg_sack_unknown) {
  uint8_t buf[64];
  size_t n = mkseg(buf, sizeof(buf), PTCP_ACK | PTCP_URG | PTCP_PSH,
                   "0101 0512 00000064 000000c8 0000012c 00000190 fe02 0000", "41");
  ptcp_seg seg;
  char text[256];

  buf[18] = 0;
  buf[19] = 9;
  seg = parse_ok(buf, n);
  ptcp_seg_format(text, sizeof(text), &seg);
  ck_assert_str_eq(text, "49152 > 80 [PU.] seq 1 ack 2 win 512 urg 9 "
                         "<sack 100:200 300:400,unknown x1> len 1");
}
END_TEST

START_TEST(test_seg_format_truncates_like_snprintf) {
  uint8_t buf[64];
  size_t n = mkseg(buf, sizeof(buf), PTCP_FIN | PTCP_ACK, "", "");
  ptcp_seg seg = parse_ok(buf, n);
  const char *full = "49152 > 80 [F.] seq 1 ack 2 win 512 len 0";
  char text[8];

  memset(text, 'x', sizeof(text));
  ck_assert_int_eq(ptcp_seg_format(text, sizeof(text), &seg), (int)strlen(full));
  ck_assert_str_eq(text, "49152 >");
  /* cap 0: nothing written, the needed length still returned. */
  ck_assert_int_eq(ptcp_seg_format(NULL, 0, &seg), (int)strlen(full));
}
END_TEST

START_TEST(test_seg_flags_str) {
  char b[12];

  ck_assert_str_eq(ptcp_seg_flags_str(PTCP_SYN, b, sizeof(b)), "S");
  ck_assert_str_eq(ptcp_seg_flags_str(PTCP_SYN | PTCP_ACK, b, sizeof(b)), "S.");
  ck_assert_str_eq(ptcp_seg_flags_str(PTCP_FIN | PTCP_ACK, b, sizeof(b)), "F.");
  ck_assert_str_eq(ptcp_seg_flags_str(PTCP_RST, b, sizeof(b)), "R");
  ck_assert_str_eq(ptcp_seg_flags_str(PTCP_RST | PTCP_ACK, b, sizeof(b)), "R.");
  ck_assert_str_eq(ptcp_seg_flags_str(PTCP_PSH | PTCP_ACK, b, sizeof(b)), "P.");
  ck_assert_str_eq(ptcp_seg_flags_str(PTCP_ACK, b, sizeof(b)), ".");
  ck_assert_str_eq(ptcp_seg_flags_str(0, b, sizeof(b)), "none");
  ck_assert_str_eq(ptcp_seg_flags_str(0xff, b, sizeof(b)), "SFRPUEW.");
  ck_assert_str_eq(ptcp_seg_flags_str(PTCP_SYN | PTCP_ECE | PTCP_CWR, b, sizeof(b)),
                   "SEW");
}
END_TEST

START_TEST(test_seg_flags_str_small_buffer) {
  char b[4];

  memset(b, 'x', sizeof(b));
  ck_assert_str_eq(ptcp_seg_flags_str(0xff, b, 3), "SF");
  ck_assert_str_eq(ptcp_seg_flags_str(0, b, 4), "");
  ck_assert_str_eq(ptcp_seg_flags_str(PTCP_ACK, b, 1), "");
  /* cap 0: the buffer is not touched. */
  b[0] = 'x';
  ptcp_seg_flags_str(PTCP_ACK, b, 0);
  ck_assert_int_eq(b[0], 'x');
}
END_TEST

/* ------------------------------------------------------------------ */
/* Error codes                                                         */

START_TEST(test_seg_error_strings_distinct) {
  /*
   * Every PTCP_ERR_* in common.h, read from the installed-to-be header
   * itself so that a code added later without a string fails here.
   */
  const char *top = getenv("abs_top_srcdir");
  char path[4096], line[512];
  FILE *f;
  int codes[128];
  const char *names[128], *texts[128];
  size_t n = 0;

  ck_assert_msg(top != NULL, "abs_top_srcdir is not set (run through make check)");
  snprintf(path, sizeof(path), "%s/core/tcp/include/plugtcp/common.h", top);
  f = fopen(path, "r");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  while (fgets(line, sizeof(line), f) != NULL) {
    char name[64];
    int code;
    if (sscanf(line, "#define PTCP_ERR_%63s (%d)", name, &code) != 2)
      continue;
    ck_assert_uint_lt(n, 128);
    ck_assert_int_lt(code, 0);
    codes[n] = code;
    names[n] = ptcp_err_name(code);
    texts[n] = ptcp_strerror(code);
    ck_assert_msg(strcmp(names[n], name) == 0, "ptcp_err_name(%d) = %s, want %s", code,
                  names[n], name);
    ck_assert_msg(strcmp(texts[n], "unknown error") != 0, "no text for PTCP_ERR_%s",
                  name);
    n++;
  }
  fclose(f);
  /* 9 codec + 8 IP + 18 API + 3 fatal when this test was written. */
  ck_assert_uint_ge(n, 38);
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++) {
      ck_assert_int_ne(codes[i], codes[j]);
      ck_assert_str_ne(names[i], names[j]);
      ck_assert_str_ne(texts[i], texts[j]);
    }
  /* Not an error code: the fallbacks. */
  ck_assert_str_eq(ptcp_strerror(-1), "unknown error");
  ck_assert_str_eq(ptcp_err_name(-1), "UNKNOWN");
  ck_assert_str_eq(ptcp_err_name(0), "OK");
  ck_assert(ptcp_err_is_fatal(PTCP_ERR_NOMEM));
  ck_assert(!ptcp_err_is_fatal(PTCP_ERR_CHECKSUM));
}
END_TEST

Suite *ptcp_seg_suite(void) {
  Suite *s = suite_create("seg");
  TCase *hdr = tcase_create("header");
  TCase *opt = tcase_create("options");
  TCase *err = tcase_create("parse_errors");
  TCase *werr = tcase_create("write_errors");
  TCase *rt = tcase_create("round_trip");
  TCase *text = tcase_create("text");

  tcase_add_test(hdr, test_seg_parse_fixed_header_fields);
  tcase_add_test(hdr, test_seg_parse_payload_is_zero_copy);
  tcase_add_test(hdr, test_seg_parse_max_data_offset);
  suite_add_tcase(s, hdr);

  tcase_add_test(opt, test_seg_opt_eol_ends_list);
  tcase_add_test(opt, test_seg_opt_after_eol_ignored);
  tcase_add_test(opt, test_seg_opt_nop_skipped);
  tcase_add_test(opt, test_seg_opt_mss);
  tcase_add_test(opt, test_seg_opt_window_scale);
  tcase_add_test(opt, test_seg_opt_sack_permitted);
  tcase_add_test(opt, test_seg_opt_sack_1_to_4_blocks);
  tcase_add_test(opt, test_seg_opt_timestamps);
  tcase_add_test(opt, test_seg_opt_unknown_skipped_and_counted);
  tcase_add_test(opt, test_seg_opt_linux_syn_all_known);
  suite_add_tcase(s, opt);

  tcase_add_test(err, test_seg_err_invalid_argument);
  tcase_add_test(err, test_seg_err_truncated);
  tcase_add_test(err, test_seg_err_data_offset_below_5);
  tcase_add_test(err, test_seg_err_data_offset_beyond_length);
  tcase_add_test(err, test_seg_err_opt_len_zero);
  tcase_add_test(err, test_seg_err_opt_len_one);
  tcase_add_test(err, test_seg_err_opt_kind_is_last_byte);
  tcase_add_test(err, test_seg_err_opt_length_past_header);
  tcase_add_test(err, test_seg_err_opt_size_mss);
  tcase_add_test(err, test_seg_err_opt_size_window_scale);
  tcase_add_test(err, test_seg_err_opt_size_sack_permitted);
  tcase_add_test(err, test_seg_err_opt_size_timestamps);
  tcase_add_test(err, test_seg_err_opt_size_sack);
  tcase_add_test(err, test_seg_err_opt_dup);
  tcase_add_test(err, test_seg_err_checksum);
  tcase_add_test(err, test_seg_err_checksum_ipv4_over_64k);
  suite_add_tcase(s, err);

  tcase_add_test(werr, test_seg_opts_len_err_invalid_argument);
  tcase_add_test(werr, test_seg_opts_len_err_unknown_present_bit);
  tcase_add_test(werr, test_seg_opts_len_err_opt_space);
  tcase_add_test(werr, test_seg_encode_header_err_nobuf);
  tcase_add_test(werr, test_seg_encode_header_err_invalid_argument);
  tcase_add_test(werr, test_seg_write_err_nobuf);
  tcase_add_test(werr, test_seg_write_err_invalid_argument);
  suite_add_tcase(s, werr);

  tcase_add_test(rt, test_seg_roundtrip_every_option_subset);
  tcase_add_test(rt, test_seg_layout_linux_syn);
  tcase_add_test(rt, test_seg_layout_syn_without_timestamps);
  tcase_add_test(rt, test_seg_layout_ack_with_ts_and_sack);
  tcase_add_test(rt, test_seg_layout_dense_fallback);
  tcase_add_test(rt, test_seg_layout_dense_fallback_without_padding);
  tcase_add_test(rt, test_seg_write_is_canonical);
  tcase_add_test(rt, test_seg_write_payload_may_alias_output);
  suite_add_tcase(s, rt);

  tcase_add_test(text, test_seg_equal_semantics);
  tcase_add_test(text, test_seg_equal_compares_present_options);
  tcase_add_test(text, test_seg_format_syn);
  tcase_add_test(text, test_seg_format_ack_urg_sack_unknown);
  tcase_add_test(text, test_seg_format_truncates_like_snprintf);
  tcase_add_test(text, test_seg_flags_str);
  tcase_add_test(text, test_seg_flags_str_small_buffer);
  tcase_add_test(text, test_seg_error_strings_distinct);
  suite_add_tcase(s, text);
  return s;
}

/*
 * Tests for the Internet checksum (RFC 1071) in core/tcp/ptcp_cksum.c:
 * known answers, odd lengths, alignment, chaining, a naive reference on
 * random buffers, the IPv4/IPv6 pseudo-headers, and packets whose
 * checksums an independent tool (scapy) computed.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include <plugtcp/plugtcp.h>

#include "check_wire.h"

Suite *ptcp_cksum_suite(void);

/*
 * The reference: RFC 1071 §4.1's loop, literally.  Big-endian 16-bit
 * words, an odd last byte padded with zero on the right, carries folded
 * at the end.  No word-size tricks, so it shares no idea with the 64-bit
 * implementation except the definition.
 */
static uint16_t ref_sum(const uint8_t *p, size_t n) {
  uint32_t sum = 0;
  size_t i;

  for (i = 0; i + 1 < n; i += 2)
    sum += (uint32_t)p[i] << 8 | p[i + 1];
  if (n & 1)
    sum += (uint32_t)p[n - 1] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

static uint16_t ref_cksum(const uint8_t *p, size_t n) { return (uint16_t)~ref_sum(p, n); }

static void fill_random(uint8_t *p, size_t n, uint64_t *state) {
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)wire_rand(state);
}

/* ------------------------------------------------------------------ */
/* Known answers                                                       */

START_TEST(test_cksum_rfc1071_example) {
  /* RFC 1071 §3, "Numerical examples": the one's-complement sum of
   * 0001 f203 f4f5 f6f7 is ddf2, so the checksum is its complement. */
  static const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  uint8_t with[10];

  ck_assert_uint_eq(ptcp_cksum(data, sizeof(data)), 0x220d);
  ck_assert_uint_eq((uint16_t)~ptcp_cksum_finish(ptcp_cksum_add(0, data, 8)), 0xddf2);
  ck_assert_uint_eq(ref_sum(data, sizeof(data)), 0xddf2);
  /* A receiver sums data and checksum together and gets all ones. */
  memcpy(with, data, 8);
  with[8] = 0x22;
  with[9] = 0x0d;
  ck_assert_uint_eq(ptcp_cksum(with, sizeof(with)), 0);
}
END_TEST

START_TEST(test_cksum_empty_is_all_ones) {
  /* Nothing summed: sum 0, complement ffff. */
  ck_assert_uint_eq(ptcp_cksum("", 0), 0xffff);
  ck_assert_uint_eq(ptcp_cksum_add(0x1234, "", 0), 0x1234);
}
END_TEST

START_TEST(test_cksum_odd_lengths) {
  /* The odd byte is the high half of a word padded with zero. */
  static const uint8_t one[] = {0x01};
  static const uint8_t three[] = {0xab, 0xcd, 0xef};
  static const uint8_t five[] = {0x00, 0x01, 0xf2, 0x03, 0xf4};

  ck_assert_uint_eq(ptcp_cksum(one, 1), 0xfeff);
  /* abcd + ef00 = 19acd -> 9ace -> 6531 */
  ck_assert_uint_eq(ptcp_cksum(three, 3), 0x6531);
  /* 0001 + f203 + f400 = 1e604 -> e605 -> 19fa */
  ck_assert_uint_eq(ptcp_cksum(five, 5), 0x19fa);
}
END_TEST

START_TEST(test_cksum_end_around_carry) {
  /* ffff + 0001 carries out of 16 bits and wraps back in as 1. */
  static const uint8_t carry[] = {0xff, 0xff, 0x00, 0x01};
  uint8_t ones[1500];

  ck_assert_uint_eq(ptcp_cksum(carry, sizeof(carry)), 0xfffe);
  /* 750 words of ffff overflow every accumulator width on the way; in
   * one's complement their sum is ffff ("negative zero"), checksum 0. */
  memset(ones, 0xff, sizeof(ones));
  ck_assert_uint_eq(ptcp_cksum(ones, sizeof(ones)), 0x0000);
  ck_assert_uint_eq(ptcp_cksum(ones, 1499), ref_cksum(ones, 1499));
}
END_TEST

START_TEST(test_cksum_finish_folds_any_sum) {
  /* A 32-bit partial sum may hold several carries; finish folds them. */
  ck_assert_uint_eq(ptcp_cksum_finish(0xffffffffu), 0x0000);
  ck_assert_uint_eq(ptcp_cksum_finish(0), 0xffff);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Alignment, chaining, reference                                      */

START_TEST(test_cksum_alignment_offsets_agree) {
  static const size_t lens[] = {1, 2, 3, 7, 8, 9, 31, 32, 33, 63, 64, 65, 1499, 1500};
  uint8_t data[1500], shifted[1500 + 8];
  uint64_t state = 1071;

  fill_random(data, sizeof(data), &state);
  for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
    uint16_t want = ref_cksum(data, lens[k]);
    for (size_t off = 0; off < 8; off++) {
      memset(shifted, 0xa5, sizeof(shifted));
      memcpy(shifted + off, data, lens[k]);
      ck_assert_msg(ptcp_cksum(shifted + off, lens[k]) == want,
                    "len %zu at offset %zu differs", lens[k], off);
    }
  }
}
END_TEST

START_TEST(test_cksum_chained_equals_one_shot) {
  uint8_t data[300];
  uint64_t state = 42;

  fill_random(data, sizeof(data), &state);
  for (size_t len = 0; len <= sizeof(data); len++) {
    uint16_t once = ptcp_cksum(data, len);
    /* Two pieces, the first of even length (the documented rule). */
    for (size_t k = 0; k <= len; k += 2) {
      uint32_t s = ptcp_cksum_add(0, data, k);
      ck_assert_msg(ptcp_cksum_finish(ptcp_cksum_add(s, data + k, len - k)) == once,
                    "len %zu split at %zu", len, k);
    }
    /* Many small pieces: 2 bytes at a time, then the rest. */
    {
      uint32_t s = 0;
      size_t k = 0;
      for (; k + 2 <= len; k += 2)
        s = ptcp_cksum_add(s, data + k, 2);
      s = ptcp_cksum_add(s, data + k, len - k);
      ck_assert_uint_eq(ptcp_cksum_finish(s), once);
    }
  }
}
END_TEST

START_TEST(test_cksum_matches_reference_random) {
  /* Every length 0..2000, random contents at a random alignment. */
  static uint8_t buf[2000 + 8];
  uint64_t state = 0x5eed;

  for (size_t len = 0; len <= 2000; len++) {
    size_t off = (size_t)(wire_rand(&state) & 7);
    uint8_t *p = buf + off;
    fill_random(p, len, &state);
    /* Every seventh buffer is mostly ones, where carries pile up. */
    if (len % 7 == 0)
      memset(p, 0xff, len / 2);
    ck_assert_msg(ptcp_cksum(p, len) == ref_cksum(p, len), "len %zu offset %zu", len,
                  off);
  }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Pseudo-headers                                                      */

START_TEST(test_cksum_pseudo_ipv4_matches_reference) {
  /* RFC 9293 §3.1: src, dst, zero, protocol, TCP length. */
  ptcp_pseudo ph = wire_ph4();
  uint8_t seg[57], all[12 + 57];
  uint64_t state = 4;

  fill_random(seg, sizeof(seg), &state);
  memcpy(all, ph.src.bytes, 4);
  memcpy(all + 4, ph.dst.bytes, 4);
  all[8] = 0;
  all[9] = 6;
  all[10] = 0;
  all[11] = sizeof(seg);
  memcpy(all + 12, seg, sizeof(seg));
  ck_assert_uint_eq(ptcp_cksum_finish(ptcp_cksum_add(
                        ptcp_cksum_pseudo(&ph, 6, sizeof(seg)), seg, sizeof(seg))),
                    ref_cksum(all, sizeof(all)));
}
END_TEST

START_TEST(test_cksum_pseudo_ipv6_matches_reference) {
  /* RFC 8200 §8.1: src, dst, 32-bit upper-layer length, 3 zero bytes,
   * next header. */
  ptcp_pseudo ph = wire_ph6();
  uint8_t seg[43], all[40 + 43];
  uint64_t state = 6;

  fill_random(seg, sizeof(seg), &state);
  memset(all, 0, 40);
  memcpy(all, ph.src.bytes, 16);
  memcpy(all + 16, ph.dst.bytes, 16);
  all[35] = sizeof(seg);
  all[39] = 6;
  memcpy(all + 40, seg, sizeof(seg));
  ck_assert_uint_eq(ptcp_cksum_finish(ptcp_cksum_add(
                        ptcp_cksum_pseudo(&ph, 6, sizeof(seg)), seg, sizeof(seg))),
                    ref_cksum(all, sizeof(all)));
}
END_TEST

START_TEST(test_cksum_zero_result_verifies) {
  /* A segment whose checksum computes to 0000 (sum ffff): TCP sends 0000
   * as is (only UDP maps it to ffff), and it must verify. */
  ptcp_pseudo ph = wire_ph4();
  uint8_t seg[20] = {0xc0, 0x00, 0x00, 0x50, 0,    0,    0,    1,
                     0,    0,    0,    0,    0x50, 0x10, 0x01, 0x00};
  ptcp_seg parsed;
  uint16_t c;

  ptcp_seg_fill_checksum(seg, sizeof(seg), &ph);
  c = (uint16_t)(seg[16] << 8 | seg[17]);
  ck_assert_uint_ne(c, 0);
  /* Put the checksum into the (unused) urgent pointer: the sum becomes
   * S + ~S = ffff, and the new checksum 0000. */
  seg[18] = seg[16];
  seg[19] = seg[17];
  ptcp_seg_fill_checksum(seg, sizeof(seg), &ph);
  ck_assert_uint_eq(seg[16], 0);
  ck_assert_uint_eq(seg[17], 0);
  ck_assert_int_eq(ptcp_seg_parse(&parsed, seg, sizeof(seg), &ph), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Packets checksummed by scapy                                        */

/*
 * Produced with scapy 2.5.0 (Debian 12 python3-scapy), by
 *   /usr/bin/python3 -c 'from scapy.all import *; print(raw(EXPR).hex())'
 * with EXPR as in the comment above each array; the expected checksums
 * are scapy's own, read back as IP(raw(EXPR))[TCP].chksum (and
 * IP(...).chksum for the IPv4 header).
 */

/* IP(src="192.0.2.1", dst="198.51.100.7", id=0x1c46, flags="DF", ttl=64)/
 * TCP(sport=49152, dport=80, seq=0x9a3c5e71, flags="S", window=64240,
 *     options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1000, 0)),
 *              ("NOP", None), ("WScale", 7)]) */
static const uint8_t scapy_v4_syn[] = {
    0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0x32, 0x3a,
    0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33, 0x64, 0x07, 0xc0, 0x00, 0x00, 0x50,
    0x9a, 0x3c, 0x5e, 0x71, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0,
    0xa3, 0xec, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
    0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};

/* IP(src="192.0.2.1", dst="198.51.100.7", id=0x1c47, flags="DF", ttl=64)/
 * TCP(sport=49152, dport=80, seq=0x9a3c5e72, ack=0x1f2e3d4d, flags="PA",
 *     window=502, options=[("NOP", None), ("NOP", None),
 *                          ("Timestamp", (1010, 2000))])/
 * Raw(b"hello, odd world!") */
static const uint8_t scapy_v4_data_odd[] = {
    0x45, 0x00, 0x00, 0x45, 0x1c, 0x47, 0x40, 0x00, 0x40, 0x06, 0x32, 0x30, 0xc0, 0x00,
    0x02, 0x01, 0xc6, 0x33, 0x64, 0x07, 0xc0, 0x00, 0x00, 0x50, 0x9a, 0x3c, 0x5e, 0x72,
    0x1f, 0x2e, 0x3d, 0x4d, 0x80, 0x18, 0x01, 0xf6, 0x81, 0x15, 0x00, 0x00, 0x01, 0x01,
    0x08, 0x0a, 0x00, 0x00, 0x03, 0xf2, 0x00, 0x00, 0x07, 0xd0, 0x68, 0x65, 0x6c, 0x6c,
    0x6f, 0x2c, 0x20, 0x6f, 0x64, 0x64, 0x20, 0x77, 0x6f, 0x72, 0x6c, 0x64, 0x21,
};

/* IP(src="192.0.2.1", dst="198.51.100.7", id=0x1c48, flags="DF", ttl=64)/
 * TCP(sport=49152, dport=80, seq=0x9a3c5e83, ack=0x1f2e3d4d, flags="FA",
 *     window=502) */
static const uint8_t scapy_v4_fin_ack[] = {
    0x45, 0x00, 0x00, 0x28, 0x1c, 0x48, 0x40, 0x00, 0x40, 0x06, 0x32, 0x4c, 0xc0, 0x00,
    0x02, 0x01, 0xc6, 0x33, 0x64, 0x07, 0xc0, 0x00, 0x00, 0x50, 0x9a, 0x3c, 0x5e, 0x83,
    0x1f, 0x2e, 0x3d, 0x4d, 0x50, 0x11, 0x01, 0xf6, 0xac, 0x15, 0x00, 0x00,
};

/* IPv6(src="2001:db8::1", dst="2001:db8::fe", hlim=64, fl=0x12345)/
 * TCP(sport=49152, dport=443, seq=0xfffffff0, flags="S", window=64800,
 *     options=[("MSS", 1440), ("SAckOK", b""), ("Timestamp", (4000, 0)),
 *              ("NOP", None), ("WScale", 10)]) */
static const uint8_t scapy_v6_syn[] = {
    0x60, 0x01, 0x23, 0x45, 0x00, 0x28, 0x06, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xfe, 0xc0, 0x00,
    0x01, 0xbb, 0xff, 0xff, 0xff, 0xf0, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfd, 0x20,
    0x1d, 0x33, 0x00, 0x00, 0x02, 0x04, 0x05, 0xa0, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x00,
    0x0f, 0xa0, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
};

/* IPv6(src="2001:db8::1", dst="2001:db8::fe", hlim=64)/
 * TCP(sport=49152, dport=443, seq=0xfffffff1, ack=0x7fffffff, flags="PA",
 *     window=1024)/Raw(b"odd-length IPv6 payload") */
static const uint8_t scapy_v6_data_odd[] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x2b, 0x06, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xfe, 0xc0, 0x00,
    0x01, 0xbb, 0xff, 0xff, 0xff, 0xf1, 0x7f, 0xff, 0xff, 0xff, 0x50, 0x18, 0x04, 0x00,
    0x86, 0xc1, 0x00, 0x00, 0x6f, 0x64, 0x64, 0x2d, 0x6c, 0x65, 0x6e, 0x67, 0x74, 0x68,
    0x20, 0x49, 0x50, 0x76, 0x36, 0x20, 0x70, 0x61, 0x79, 0x6c, 0x6f, 0x61, 0x64,
};

/* IPv6(src="2001:db8::fe", dst="2001:db8::1", hlim=64)/
 * TCP(sport=443, dport=49152, seq=0x80000000, ack=0x00000008, flags="FA",
 *     window=0) */
static const uint8_t scapy_v6_fin_ack[] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x14, 0x06, 0x40, 0x20, 0x01, 0x0d, 0xb8,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xfe,
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x01, 0xbb, 0xc0, 0x00, 0x80, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x08, 0x50, 0x11, 0x00, 0x00, 0x11, 0x9f, 0x00, 0x00,
};

/*
 * For one scapy packet: ptcp_packet_parse accepts it with both checksums
 * verified; recomputing the TCP checksum (and the IPv4 header checksum)
 * with plugtcp gives scapy's value; one flipped payload or header bit
 * makes verification fail.
 */
static void check_scapy_packet(const uint8_t *pkt, size_t len, uint16_t tcp_ck,
                               int ip_ck) {
  uint8_t copy[128];
  ptcp_ip ip;
  ptcp_seg seg;
  ptcp_pseudo ph;
  size_t off;

  ck_assert_uint_le(len, sizeof(copy));
  ck_assert_int_eq(ptcp_packet_parse(&ip, &seg, pkt, len, 0), 0);
  ck_assert_uint_eq(seg.checksum, tcp_ck);
  off = ip.hdr_len;

  /* Recompute the TCP checksum from scratch over our pseudo-header. */
  memcpy(copy, pkt, len);
  ph.src = ip.src;
  ph.dst = ip.dst;
  ptcp_seg_fill_checksum(copy + off, len - off, &ph);
  ck_assert_uint_eq((uint16_t)(copy[off + 16] << 8 | copy[off + 17]), tcp_ck);
  ck_assert_mem_eq(copy, pkt, len);

  if (ip_ck >= 0) {
    copy[10] = copy[11] = 0;
    ck_assert_uint_eq(ptcp_cksum(copy, 20), (uint16_t)ip_ck);
  }

  /* The last byte flipped: the TCP checksum no longer verifies. */
  memcpy(copy, pkt, len);
  copy[len - 1] ^= 0x01;
  wire_expect_packet_reject(copy, len, 0, PTCP_ERR_CHECKSUM);
}

START_TEST(test_cksum_scapy_v4_syn) {
  check_scapy_packet(scapy_v4_syn, sizeof(scapy_v4_syn), 0xa3ec, 0x323a);
}
END_TEST

START_TEST(test_cksum_scapy_v4_data_odd_length) {
  check_scapy_packet(scapy_v4_data_odd, sizeof(scapy_v4_data_odd), 0x8115, 0x3230);
}
END_TEST

START_TEST(test_cksum_scapy_v4_fin_ack) {
  check_scapy_packet(scapy_v4_fin_ack, sizeof(scapy_v4_fin_ack), 0xac15, 0x324c);
}
END_TEST

START_TEST(test_cksum_scapy_v6_syn) {
  check_scapy_packet(scapy_v6_syn, sizeof(scapy_v6_syn), 0x1d33, -1);
}
END_TEST

START_TEST(test_cksum_scapy_v6_data_odd_length) {
  check_scapy_packet(scapy_v6_data_odd, sizeof(scapy_v6_data_odd), 0x86c1, -1);
}
END_TEST

START_TEST(test_cksum_scapy_v6_fin_ack) {
  check_scapy_packet(scapy_v6_fin_ack, sizeof(scapy_v6_fin_ack), 0x119f, -1);
}
END_TEST

START_TEST(test_cksum_scapy_v4_syn_rebuilt_identical) {
  /* The same SYN built with plugtcp's writers is byte-for-byte scapy's
   * packet: IPv4 header with its checksum, the TCP options in the same
   * (Linux) order, and the TCP checksum. */
  ptcp_ip ip;
  ptcp_seg syn;
  ptcp_pseudo ph = wire_ph4();
  uint8_t out[64];
  ptcp_ssize h, n;

  memset(&ip, 0, sizeof(ip));
  ip.version = 4;
  ip.proto = PTCP_IPPROTO_TCP;
  ip.ttl = 64;
  ip.id = 0x1c46;
  ip.dont_frag = 1;
  ip.src = ph.src;
  ip.dst = ph.dst;
  memset(&syn, 0, sizeof(syn));
  syn.src_port = 49152;
  syn.dst_port = 80;
  syn.seq = 0x9a3c5e71;
  syn.flags = PTCP_SYN;
  syn.window = 64240;
  syn.opts.present = PTCP_OPT_MSS | PTCP_OPT_SACK_PERM | PTCP_OPT_TS | PTCP_OPT_WSCALE;
  syn.opts.mss = 1460;
  syn.opts.ts_val = 1000;
  syn.opts.wscale = 7;

  n = ptcp_seg_write(out + 20, sizeof(out) - 20, &syn, &ph);
  ck_assert_int_eq(n, 40);
  h = ptcp_ip_encode_header(out, sizeof(out), &ip, (size_t)n);
  ck_assert_int_eq(h, 20);
  ck_assert_mem_eq(out, scapy_v4_syn, sizeof(scapy_v4_syn));
}
END_TEST

Suite *ptcp_cksum_suite(void) {
  Suite *s = suite_create("cksum");
  TCase *known = tcase_create("known_answers");
  TCase *props = tcase_create("properties");
  TCase *scapy = tcase_create("scapy");

  tcase_add_test(known, test_cksum_rfc1071_example);
  tcase_add_test(known, test_cksum_empty_is_all_ones);
  tcase_add_test(known, test_cksum_odd_lengths);
  tcase_add_test(known, test_cksum_end_around_carry);
  tcase_add_test(known, test_cksum_finish_folds_any_sum);
  suite_add_tcase(s, known);

  tcase_add_test(props, test_cksum_alignment_offsets_agree);
  tcase_add_test(props, test_cksum_chained_equals_one_shot);
  tcase_add_test(props, test_cksum_matches_reference_random);
  tcase_add_test(props, test_cksum_pseudo_ipv4_matches_reference);
  tcase_add_test(props, test_cksum_pseudo_ipv6_matches_reference);
  tcase_add_test(props, test_cksum_zero_result_verifies);
  suite_add_tcase(s, props);

  tcase_add_test(scapy, test_cksum_scapy_v4_syn);
  tcase_add_test(scapy, test_cksum_scapy_v4_data_odd_length);
  tcase_add_test(scapy, test_cksum_scapy_v4_fin_ack);
  tcase_add_test(scapy, test_cksum_scapy_v6_syn);
  tcase_add_test(scapy, test_cksum_scapy_v6_data_odd_length);
  tcase_add_test(scapy, test_cksum_scapy_v6_fin_ack);
  tcase_add_test(scapy, test_cksum_scapy_v4_syn_rebuilt_identical);
  suite_add_tcase(s, scapy);
  return s;
}

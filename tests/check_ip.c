/*
 * Tests for the IPv4 (RFC 791) and IPv6 (RFC 8200) framing in
 * core/tcp/ptcp_ip.c: field decoding, options and extension headers,
 * link-layer padding, every ptcp_ip_parse and ptcp_ip_encode_header
 * error by a minimal input, and parse/build round trips through
 * ptcp_packet_parse.
 */
#include <check.h>
#include <string.h>

#include <plugtcp/plugtcp.h>

#include "check_wire.h"

Suite *ptcp_ip_suite(void);

/* A bare ACK, 49152 > 80, seq 1, ack 2, win 512 (checksum filled later). */
#define TCP_ACK_HEX "c000 0050 00000001 00000002 5010 0200 0000 0000"

/* IPv4 next-header / IPv6 next-header values used below. */
enum {
  NH_HOPOPTS = 0,
  NH_TCP = 6,
  NH_UDP = 17,
  NH_ROUTING = 43,
  NH_FRAGMENT = 44,
  NH_ICMPV6 = 58,
  NH_NONE = 59,
  NH_DSTOPTS = 60
};

/* Recomputes the IPv4 header checksum after a test edits a field. */
static void fix_v4_cksum(uint8_t *pkt) {
  size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
  uint16_t c;

  pkt[10] = pkt[11] = 0;
  c = ptcp_cksum(pkt, ihl);
  pkt[10] = (uint8_t)(c >> 8);
  pkt[11] = (uint8_t)c;
}

/*
 * A valid IPv4 packet 192.0.2.1 > 198.51.100.7 (id 0x1c48, DF, ttl 64)
 * with |opts_hex| as IPv4 options and the bare ACK as payload, both
 * checksums right.  Returns its length.
 */
static size_t mk_v4(uint8_t *out, size_t cap, const char *opts_hex) {
  uint8_t opts[40];
  size_t olen = wire_hex(opts, sizeof(opts), opts_hex);
  size_t ihl = 20 + olen, n;
  ptcp_pseudo ph = wire_ph4();

  ck_assert_uint_eq(olen % 4, 0);
  ck_assert_uint_ge(cap, ihl + 20);
  wire_hex(out, cap, "45 00 0000 1c48 4000 40 06 0000 c0000201 c6336407");
  out[0] = (uint8_t)(0x40 | ihl / 4);
  memcpy(out + 20, opts, olen);
  n = ihl + wire_hex(out + ihl, cap - ihl, TCP_ACK_HEX);
  out[2] = (uint8_t)(n >> 8);
  out[3] = (uint8_t)n;
  fix_v4_cksum(out);
  ptcp_seg_fill_checksum(out + ihl, n - ihl, &ph);
  return n;
}

/*
 * A valid IPv6 packet 2001:db8::1 > 2001:db8::fe (traffic class 0xb8,
 * flow label 0x12345, hop limit 64) whose first next header is |nh|,
 * followed by the extension headers |ext_hex| and the bare ACK (whose
 * checksum is filled in).  Returns its length.
 */
static size_t mk_v6(uint8_t *out, size_t cap, uint8_t nh, const char *ext_hex) {
  ptcp_pseudo ph = wire_ph6();
  size_t elen, n;

  ck_assert_uint_ge(cap, 40 + 64 + 20);
  wire_hex(out, cap,
           "6b 81 2345 0000 00 40 20010db8000000000000000000000001"
           "20010db80000000000000000000000fe");
  out[6] = nh;
  elen = wire_hex(out + 40, cap - 40, ext_hex);
  n = 40 + elen + wire_hex(out + 40 + elen, cap - 40 - elen, TCP_ACK_HEX);
  out[4] = (uint8_t)((n - 40) >> 8);
  out[5] = (uint8_t)(n - 40);
  ptcp_seg_fill_checksum(out + 40 + elen, n - 40 - elen, &ph);
  return n;
}

static ptcp_ip ip_parse_ok(const uint8_t *buf, size_t len, unsigned flags) {
  ptcp_ip ip;
  int rv = ptcp_ip_parse(&ip, buf, len, flags);

  ck_assert_msg(rv == 0, "ptcp_ip_parse returned %s", ptcp_err_name(rv));
  return ip;
}

/* ------------------------------------------------------------------ */
/* Decoding                                                            */

START_TEST(test_ip_v4_parse_fields) {
  uint8_t pkt[128];
  size_t n = mk_v4(pkt, sizeof(pkt), "");
  ptcp_ip ip = ip_parse_ok(pkt, n, 0);
  ptcp_addr src = ptcp_addr_v4(192, 0, 2, 1), dst = ptcp_addr_v4(198, 51, 100, 7);

  ck_assert_uint_eq(ip.version, 4);
  ck_assert_uint_eq(ip.proto, PTCP_IPPROTO_TCP);
  ck_assert_uint_eq(ip.ttl, 64);
  ck_assert_uint_eq(ip.tos, 0);
  ck_assert_uint_eq(ip.id, 0x1c48);
  ck_assert_uint_eq(ip.dont_frag, 1);
  ck_assert(ptcp_addr_equal(&ip.src, &src));
  ck_assert(ptcp_addr_equal(&ip.dst, &dst));
  ck_assert_uint_eq(ip.hdr_len, 20);
  ck_assert_ptr_eq(ip.payload, pkt + 20);
  ck_assert_uint_eq(ip.payload_len, 20);
}
END_TEST

START_TEST(test_ip_v4_options_skipped) {
  /* IHL 6: router alert (RFC 2113) before TCP. */
  uint8_t pkt[128];
  size_t n = mk_v4(pkt, sizeof(pkt), "94040000");
  ptcp_ip ip;
  ptcp_seg seg;

  ck_assert_int_eq(ptcp_packet_parse(&ip, &seg, pkt, n, 0), 0);
  ck_assert_uint_eq(ip.hdr_len, 24);
  ck_assert_ptr_eq(ip.payload, pkt + 24);
  ck_assert_uint_eq(seg.src_port, 49152);
}
END_TEST

START_TEST(test_ip_v4_link_padding_ignored) {
  /* Ethernet pads a 40-byte packet to 46: the padding is not TCP data,
   * and including it would break the TCP checksum. */
  uint8_t pkt[128];
  size_t n = mk_v4(pkt, sizeof(pkt), "");
  ptcp_ip ip;
  ptcp_seg seg;

  memset(pkt + n, 0x5a, 6);
  ck_assert_int_eq(ptcp_packet_parse(&ip, &seg, pkt, n + 6, 0), 0);
  ck_assert_uint_eq(ip.payload_len, 20);
  ck_assert_uint_eq(seg.payload_len, 0);
}
END_TEST

START_TEST(test_ip_v6_parse_fields) {
  uint8_t pkt[160];
  size_t n = mk_v6(pkt, sizeof(pkt), NH_TCP, "");
  ptcp_ip ip = ip_parse_ok(pkt, n, 0);
  ptcp_pseudo ph = wire_ph6();

  ck_assert_uint_eq(ip.version, 6);
  ck_assert_uint_eq(ip.proto, PTCP_IPPROTO_TCP);
  ck_assert_uint_eq(ip.ttl, 64);
  ck_assert_uint_eq(ip.tos, 0xb8);
  ck_assert_uint_eq(ip.flow_label, 0x12345);
  ck_assert(ptcp_addr_equal(&ip.src, &ph.src));
  ck_assert(ptcp_addr_equal(&ip.dst, &ph.dst));
  ck_assert_uint_eq(ip.hdr_len, 40);
  ck_assert_ptr_eq(ip.payload, pkt + 40);
  ck_assert_uint_eq(ip.payload_len, 20);
}
END_TEST

START_TEST(test_ip_v6_link_padding_ignored) {
  uint8_t pkt[160];
  size_t n = mk_v6(pkt, sizeof(pkt), NH_TCP, "");
  ptcp_ip ip;
  ptcp_seg seg;

  memset(pkt + n, 0xa5, 4);
  ck_assert_int_eq(ptcp_packet_parse(&ip, &seg, pkt, n + 4, 0), 0);
  ck_assert_uint_eq(ip.payload_len, 20);
}
END_TEST

START_TEST(test_ip_v6_extension_headers_skipped) {
  /* Hop-by-hop (PadN) -> routing (type 0, segments left 0) ->
   * destination options (16 bytes) -> TCP. */
  uint8_t pkt[160];
  size_t n = mk_v6(pkt, sizeof(pkt), NH_HOPOPTS,
                   "2b 00 0104 00000000 | 3c 00 00 00 00000000 |"
                   "06 01 0106 000000000000 0104 00000000");
  ptcp_ip ip;
  ptcp_seg seg;

  ck_assert_int_eq(ptcp_packet_parse(&ip, &seg, pkt, n, 0), 0);
  ck_assert_uint_eq(ip.hdr_len, 40 + 8 + 8 + 16);
  ck_assert_uint_eq(ip.proto, PTCP_IPPROTO_TCP);
  ck_assert_uint_eq(ip.payload_len, 20);
  ck_assert_uint_eq(seg.ack, 2);
}
END_TEST

START_TEST(test_ip_v6_eight_extension_headers_accepted) {
  uint8_t pkt[160];
  size_t n = mk_v6(pkt, sizeof(pkt), NH_DSTOPTS,
                   "3c00 010400000000 3c00 010400000000 3c00 010400000000"
                   "3c00 010400000000 3c00 010400000000 3c00 010400000000"
                   "3c00 010400000000 0600 010400000000");
  ptcp_ip ip = ip_parse_ok(pkt, n, 0);

  ck_assert_uint_eq(ip.hdr_len, 40 + 8 * 8);
}
END_TEST

/* ------------------------------------------------------------------ */
/* ptcp_ip_parse errors, one minimal input each                       */

START_TEST(test_ip_err_invalid_argument) {
  uint8_t pkt[128];
  size_t n = mk_v4(pkt, sizeof(pkt), "");
  ptcp_ip ip;

  ck_assert_int_eq(ptcp_ip_parse(NULL, pkt, n, 0), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(ptcp_ip_parse(&ip, NULL, n, 0), PTCP_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_ip_err_truncated) {
  uint8_t v4[128], v6[160];
  mk_v4(v4, sizeof(v4), "");
  mk_v6(v6, sizeof(v6), NH_TCP, "");

  wire_expect_ip_reject(v4, 0, 0, PTCP_ERR_IP_TRUNCATED);
  wire_expect_ip_reject(v4, 19, 0, PTCP_ERR_IP_TRUNCATED);
  wire_expect_ip_reject(v6, 39, 0, PTCP_ERR_IP_TRUNCATED);
}
END_TEST

START_TEST(test_ip_err_version) {
  uint8_t pkt[128];
  size_t n = mk_v4(pkt, sizeof(pkt), "");

  pkt[0] = 0x55;
  wire_expect_ip_reject(pkt, n, 0, PTCP_ERR_IP_VERSION);
  pkt[0] = 0x05;
  wire_expect_ip_reject(pkt, n, 0, PTCP_ERR_IP_VERSION);
  pkt[0] = 0xf5;
  wire_expect_ip_reject(pkt, 1, 0, PTCP_ERR_IP_VERSION);
}
END_TEST

START_TEST(test_ip_err_hdr_len) {
  uint8_t pkt[128];
  size_t n = mk_v4(pkt, sizeof(pkt), "");

  pkt[0] = 0x44; /* IHL 4: 16 bytes, below the fixed header */
  wire_expect_ip_reject(pkt, n, PTCP_IP_NO_CHECKSUM, PTCP_ERR_IP_HDR_LEN);
  pkt[0] = 0x4f; /* IHL 15: 60 bytes, beyond the 40-byte total */
  wire_expect_ip_reject(pkt, n, PTCP_IP_NO_CHECKSUM, PTCP_ERR_IP_HDR_LEN);
}
END_TEST

START_TEST(test_ip_err_total_len) {
  uint8_t v4[128], v6[160];
  size_t n4 = mk_v4(v4, sizeof(v4), "");
  size_t n6 = mk_v6(v6, sizeof(v6), NH_TCP, "");

  /* The packet claims one byte more than it has. */
  wire_expect_ip_reject(v4, n4 - 1, 0, PTCP_ERR_IP_TOTAL_LEN);
  wire_expect_ip_reject(v6, n6 - 1, 0, PTCP_ERR_IP_TOTAL_LEN);
}
END_TEST

START_TEST(test_ip_err_jumbogram) {
  /* RFC 2675: payload length 0 and a hop-by-hop jumbo payload option
   * (type 0xc2) carrying the real length.  Not supported: rejected. */
  uint8_t pkt[160];
  size_t n = mk_v6(pkt, sizeof(pkt), NH_HOPOPTS, "06 00 c204 0000001c");

  pkt[4] = pkt[5] = 0;
  wire_expect_ip_reject(pkt, n, 0, PTCP_ERR_IP_TOTAL_LEN);
  /* A zero payload length without anything after is no segment either. */
  pkt[6] = NH_TCP;
  wire_expect_ip_reject(pkt, 40, 0, PTCP_ERR_IP_TOTAL_LEN);
}
END_TEST

START_TEST(test_ip_err_checksum) {
  uint8_t pkt[128];
  size_t n = mk_v4(pkt, sizeof(pkt), "");
  ptcp_ip ip;

  pkt[8] = 63; /* the TTL changed, the checksum did not */
  wire_expect_ip_reject(pkt, n, 0, PTCP_ERR_IP_CHECKSUM);
  /* The caller may have verified it already (offload). */
  ck_assert_int_eq(ptcp_ip_parse(&ip, pkt, n, PTCP_IP_NO_CHECKSUM), 0);
  ck_assert_uint_eq(ip.ttl, 63);
}
END_TEST

START_TEST(test_ip_err_fragment_v4_more_fragments) {
  uint8_t pkt[128];
  size_t n = mk_v4(pkt, sizeof(pkt), "");

  pkt[6] = 0x20; /* MF, offset 0: the first fragment */
  fix_v4_cksum(pkt);
  wire_expect_ip_reject(pkt, n, 0, PTCP_ERR_IP_FRAGMENT);
}
END_TEST

START_TEST(test_ip_err_fragment_v4_offset) {
  uint8_t pkt[128];
  size_t n = mk_v4(pkt, sizeof(pkt), "");

  pkt[6] = 0x00; /* no MF, offset 1 (8 bytes): the last fragment */
  pkt[7] = 0x01;
  fix_v4_cksum(pkt);
  wire_expect_ip_reject(pkt, n, 0, PTCP_ERR_IP_FRAGMENT);
  /* The reserved bit and DF alone are not fragmentation. */
  pkt[6] = 0xc0;
  pkt[7] = 0x00;
  fix_v4_cksum(pkt);
  ck_assert_int_eq(ip_parse_ok(pkt, n, 0).dont_frag, 1);
}
END_TEST

START_TEST(test_ip_err_fragment_v6_header) {
  /* RFC 8200 §4.5 fragment header, even an atomic one (offset 0, M 0),
   * directly and after a destination options header. */
  uint8_t pkt[160];
  size_t n = mk_v6(pkt, sizeof(pkt), NH_FRAGMENT, "06 00 0000 0000cafe");

  wire_expect_ip_reject(pkt, n, 0, PTCP_ERR_IP_FRAGMENT);
  n = mk_v6(pkt, sizeof(pkt), NH_DSTOPTS, "2c 00 010400000000 | 06 00 0001 0000cafe");
  wire_expect_ip_reject(pkt, n, 0, PTCP_ERR_IP_FRAGMENT);
}
END_TEST

START_TEST(test_ip_err_proto) {
  uint8_t v4[128], v6[160];
  size_t n4 = mk_v4(v4, sizeof(v4), "");
  size_t n6;
  ptcp_ip ip;

  v4[9] = NH_UDP;
  fix_v4_cksum(v4);
  wire_expect_ip_reject(v4, n4, 0, PTCP_ERR_IP_PROTO);
  ck_assert_int_eq(ptcp_ip_parse(&ip, v4, n4, 0), PTCP_ERR_IP_PROTO);
  ck_assert_uint_eq(ip.proto, NH_UDP);

  n6 = mk_v6(v6, sizeof(v6), NH_NONE, "");
  wire_expect_ip_reject(v6, n6, 0, PTCP_ERR_IP_PROTO);
  /* Behind an extension header too. */
  n6 = mk_v6(v6, sizeof(v6), NH_DSTOPTS, "3a 00 010400000000");
  wire_expect_ip_reject(v6, n6, 0, PTCP_ERR_IP_PROTO);
  ck_assert_int_eq(ptcp_ip_parse(&ip, v6, n6, 0), PTCP_ERR_IP_PROTO);
  ck_assert_uint_eq(ip.proto, NH_ICMPV6);
}
END_TEST

START_TEST(test_ip_err_ext_hdr_past_payload) {
  uint8_t pkt[160];
  size_t n = mk_v6(pkt, sizeof(pkt), NH_DSTOPTS, "06 03 010400000000");

  /* Length 3: 32 bytes claimed, 28 in the payload. */
  wire_expect_ip_reject(pkt, n, 0, PTCP_ERR_IP_EXT_HDR);
  /* Fewer than the 8 bytes every extension header has. */
  n = mk_v6(pkt, sizeof(pkt), NH_DSTOPTS, "");
  pkt[4] = 0;
  pkt[5] = 4;
  wire_expect_ip_reject(pkt, 44, 0, PTCP_ERR_IP_EXT_HDR);
}
END_TEST

START_TEST(test_ip_err_ext_hdr_chain_too_long) {
  uint8_t pkt[200];
  size_t n = mk_v6(pkt, sizeof(pkt), NH_DSTOPTS,
                   "3c00 010400000000 3c00 010400000000 3c00 010400000000"
                   "3c00 010400000000 3c00 010400000000 3c00 010400000000"
                   "3c00 010400000000 3c00 010400000000 0600 010400000000");

  wire_expect_ip_reject(pkt, n, 0, PTCP_ERR_IP_EXT_HDR);
}
END_TEST

START_TEST(test_ip_err_ext_hdr_hop_by_hop_not_first) {
  /* RFC 8200 §4.1: hop-by-hop only right after the IPv6 header. */
  uint8_t pkt[160];
  size_t n =
      mk_v6(pkt, sizeof(pkt), NH_DSTOPTS, "00 00 010400000000 | 06 00 010400000000");

  wire_expect_ip_reject(pkt, n, 0, PTCP_ERR_IP_EXT_HDR);
}
END_TEST

START_TEST(test_ip_err_ext_hdr_routing_segments_left) {
  /* RFC 8200 §4.4: an unknown routing type with segments left > 0 means
   * we are not the final destination; the packet is discarded. */
  uint8_t pkt[160];
  size_t n = mk_v6(pkt, sizeof(pkt), NH_ROUTING, "06 00 00 01 00000000");

  wire_expect_ip_reject(pkt, n, 0, PTCP_ERR_IP_EXT_HDR);
  pkt[43] = 0; /* segments left 0: skipped (the TCP checksum still holds) */
  ck_assert_int_eq(ip_parse_ok(pkt, n, 0).hdr_len, 48);
}
END_TEST

/* ------------------------------------------------------------------ */
/* ptcp_packet_parse                                                   */

START_TEST(test_ip_packet_passes_tcp_errors) {
  uint8_t pkt[128];
  size_t n = mk_v4(pkt, sizeof(pkt), "");
  ptcp_ip ip;
  ptcp_seg seg;

  /* Flip the TCP window: the TCP checksum no longer verifies. */
  pkt[20 + 15] ^= 1;
  wire_expect_packet_reject(pkt, n, 0, PTCP_ERR_CHECKSUM);
  ck_assert_int_eq(ptcp_packet_parse(&ip, &seg, pkt, n, PTCP_TCP_NO_CHECKSUM), 0);
  /* An IP packet whose TCP part is 19 bytes. */
  n = mk_v4(pkt, sizeof(pkt), "");
  pkt[3] = (uint8_t)(n - 1);
  fix_v4_cksum(pkt);
  wire_expect_packet_reject(pkt, n, 0, PTCP_ERR_TRUNCATED);
  /* And IP errors come first. */
  pkt[0] = 0x75;
  wire_expect_packet_reject(pkt, n, PTCP_TCP_NO_CHECKSUM, PTCP_ERR_IP_VERSION);
}
END_TEST

START_TEST(test_ip_packet_err_invalid_argument) {
  uint8_t pkt[128];
  size_t n = mk_v4(pkt, sizeof(pkt), "");
  ptcp_ip ip;
  ptcp_seg seg;

  ck_assert_int_eq(ptcp_packet_parse(&ip, NULL, pkt, n, 0), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(ptcp_packet_parse(NULL, &seg, pkt, n, 0), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(ptcp_packet_parse(&ip, &seg, NULL, n, 0), PTCP_ERR_INVALID_ARGUMENT);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Building and round trips                                            */

static void roundtrip(const ptcp_ip *hdr, const ptcp_seg *seg) {
  uint8_t pkt[256];
  ptcp_pseudo ph = {hdr->src, hdr->dst};
  ptcp_ssize h, n;
  ptcp_ip ip;
  ptcp_seg back;

  n = ptcp_seg_opts_len(seg);
  ck_assert_int_ge(n, 0);
  h = ptcp_ip_encode_header(pkt, sizeof(pkt), hdr,
                            PTCP_HDR_MIN + (size_t)n + seg->payload_len);
  ck_assert_int_eq(h, hdr->version == 4 ? 20 : 40);
  n = ptcp_seg_write(pkt + h, sizeof(pkt) - (size_t)h, seg, &ph);
  ck_assert_int_gt(n, 0);
  ck_assert_int_eq(ptcp_packet_parse(&ip, &back, pkt, (size_t)(h + n), 0), 0);
  ck_assert_uint_eq(ip.version, hdr->version);
  ck_assert_uint_eq(ip.proto, PTCP_IPPROTO_TCP);
  ck_assert_uint_eq(ip.ttl, hdr->ttl);
  ck_assert_uint_eq(ip.tos, hdr->tos);
  ck_assert(ptcp_addr_equal(&ip.src, &hdr->src));
  ck_assert(ptcp_addr_equal(&ip.dst, &hdr->dst));
  if (hdr->version == 4) {
    ck_assert_uint_eq(ip.id, hdr->id);
    ck_assert_uint_eq(ip.dont_frag, hdr->dont_frag);
  } else {
    ck_assert_uint_eq(ip.flow_label, hdr->flow_label);
  }
  ck_assert_uint_eq(ip.payload_len, (size_t)n);
  ck_assert(ptcp_seg_equal(seg, &back));
}

static ptcp_seg rt_seg(void) {
  static const uint8_t data[] = "round trip, odd";
  ptcp_seg s;

  memset(&s, 0, sizeof(s));
  s.src_port = 443;
  s.dst_port = 65535;
  s.seq = 0x7fffffffu;
  s.ack = 0xffffffffu;
  s.flags = PTCP_PSH | PTCP_ACK;
  s.window = 1024;
  s.opts.present = PTCP_OPT_TS | PTCP_OPT_SACK;
  s.opts.ts_val = 5;
  s.opts.ts_ecr = 6;
  s.opts.sack_count = 2;
  s.opts.sack[0].left = 1;
  s.opts.sack[0].right = 2;
  s.opts.sack[1].left = 3;
  s.opts.sack[1].right = 4;
  s.payload = data;
  s.payload_len = sizeof(data) - 1;
  return s;
}

START_TEST(test_ip_v4_roundtrip) {
  ptcp_ip hdr;
  ptcp_seg s = rt_seg();

  memset(&hdr, 0, sizeof(hdr));
  hdr.version = 4;
  hdr.proto = PTCP_IPPROTO_TCP;
  hdr.ttl = 1;
  hdr.tos = 0xb8;
  hdr.id = 0xffff;
  hdr.dont_frag = 1;
  hdr.src = ptcp_addr_v4(10, 0, 0, 1);
  hdr.dst = ptcp_addr_v4(255, 255, 255, 254);
  roundtrip(&hdr, &s);
  hdr.dont_frag = 0;
  hdr.id = 0;
  roundtrip(&hdr, &s);
}
END_TEST

START_TEST(test_ip_v6_roundtrip) {
  ptcp_pseudo ph = wire_ph6();
  ptcp_ip hdr;
  ptcp_seg s = rt_seg();

  memset(&hdr, 0, sizeof(hdr));
  hdr.version = 6;
  hdr.proto = PTCP_IPPROTO_TCP;
  hdr.ttl = 255;
  hdr.tos = 0xa5;
  hdr.flow_label = 0xfffff;
  hdr.src = ph.src;
  hdr.dst = ph.dst;
  roundtrip(&hdr, &s);
  hdr.flow_label = 0x12345;
  hdr.tos = 0x0f;
  roundtrip(&hdr, &s);
}
END_TEST

START_TEST(test_ip_encode_v6_known_bytes) {
  /* The header of scapy's IPv6(src="2001:db8::1", dst="2001:db8::fe",
   * hlim=64, fl=0x12345)/TCP(...) with a 40-byte TCP segment (see
   * check_cksum.c). */
  ptcp_pseudo ph = wire_ph6();
  ptcp_ip hdr;
  uint8_t out[40], want[40];

  memset(&hdr, 0, sizeof(hdr));
  hdr.version = 6;
  hdr.proto = PTCP_IPPROTO_TCP;
  hdr.ttl = 64;
  hdr.flow_label = 0x12345;
  hdr.src = ph.src;
  hdr.dst = ph.dst;
  ck_assert_int_eq(ptcp_ip_encode_header(out, sizeof(out), &hdr, 40), 40);
  wire_hex(want, sizeof(want),
           "60012345 0028 06 40 20010db8000000000000000000000001"
           "20010db80000000000000000000000fe");
  ck_assert_mem_eq(out, want, 40);
}
END_TEST

START_TEST(test_ip_encode_err_invalid_argument) {
  ptcp_pseudo ph6 = wire_ph6();
  ptcp_ip v4, v6;
  uint8_t out[64];

  memset(&v4, 0, sizeof(v4));
  v4.version = 4;
  v4.src = ptcp_addr_v4(192, 0, 2, 1);
  v4.dst = ptcp_addr_v4(192, 0, 2, 2);
  memset(&v6, 0, sizeof(v6));
  v6.version = 6;
  v6.src = ph6.src;
  v6.dst = ph6.dst;

  ck_assert_int_eq(ptcp_ip_encode_header(NULL, 64, &v4, 0), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(ptcp_ip_encode_header(out, 64, NULL, 0), PTCP_ERR_INVALID_ARGUMENT);
  /* Sizes: the IPv4 total length and the IPv6 payload length are 16 bits. */
  ck_assert_int_eq(ptcp_ip_encode_header(out, 64, &v4, 65515), 20);
  ck_assert_int_eq(ptcp_ip_encode_header(out, 64, &v4, 65516), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(ptcp_ip_encode_header(out, 64, &v6, 65535), 40);
  ck_assert_int_eq(ptcp_ip_encode_header(out, 64, &v6, 65536), PTCP_ERR_INVALID_ARGUMENT);
  /* Family mismatches, either address. */
  v4.dst = ph6.dst;
  ck_assert_int_eq(ptcp_ip_encode_header(out, 64, &v4, 20), PTCP_ERR_INVALID_ARGUMENT);
  v4.dst = v4.src;
  v4.src = ph6.src;
  ck_assert_int_eq(ptcp_ip_encode_header(out, 64, &v4, 20), PTCP_ERR_INVALID_ARGUMENT);
  v6.src = ptcp_addr_v4(192, 0, 2, 1);
  ck_assert_int_eq(ptcp_ip_encode_header(out, 64, &v6, 20), PTCP_ERR_INVALID_ARGUMENT);
  /* No such version. */
  v6.src = ph6.src;
  v6.version = 5;
  ck_assert_int_eq(ptcp_ip_encode_header(out, 64, &v6, 20), PTCP_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_ip_encode_err_nobuf) {
  ptcp_pseudo ph6 = wire_ph6();
  ptcp_ip v4, v6;
  uint8_t out[64];

  memset(&v4, 0, sizeof(v4));
  v4.version = 4;
  v4.src = v4.dst = ptcp_addr_v4(192, 0, 2, 1);
  memset(&v6, 0, sizeof(v6));
  v6.version = 6;
  v6.src = ph6.src;
  v6.dst = ph6.dst;
  memset(out, 0xee, sizeof(out));
  ck_assert_int_eq(ptcp_ip_encode_header(out, 19, &v4, 20), PTCP_ERR_NOBUF);
  ck_assert_int_eq(ptcp_ip_encode_header(out, 39, &v6, 20), PTCP_ERR_NOBUF);
  for (size_t i = 0; i < sizeof(out); i++)
    ck_assert_uint_eq(out[i], 0xee);
  ck_assert_int_eq(ptcp_ip_encode_header(out, 20, &v4, 20), 20);
  ck_assert_int_eq(ptcp_ip_encode_header(out, 40, &v6, 20), 40);
}
END_TEST

Suite *ptcp_ip_suite(void) {
  Suite *s = suite_create("ip");
  TCase *dec = tcase_create("decode");
  TCase *err = tcase_create("parse_errors");
  TCase *pkt = tcase_create("packet");
  TCase *enc = tcase_create("encode");

  tcase_add_test(dec, test_ip_v4_parse_fields);
  tcase_add_test(dec, test_ip_v4_options_skipped);
  tcase_add_test(dec, test_ip_v4_link_padding_ignored);
  tcase_add_test(dec, test_ip_v6_parse_fields);
  tcase_add_test(dec, test_ip_v6_link_padding_ignored);
  tcase_add_test(dec, test_ip_v6_extension_headers_skipped);
  tcase_add_test(dec, test_ip_v6_eight_extension_headers_accepted);
  suite_add_tcase(s, dec);

  tcase_add_test(err, test_ip_err_invalid_argument);
  tcase_add_test(err, test_ip_err_truncated);
  tcase_add_test(err, test_ip_err_version);
  tcase_add_test(err, test_ip_err_hdr_len);
  tcase_add_test(err, test_ip_err_total_len);
  tcase_add_test(err, test_ip_err_jumbogram);
  tcase_add_test(err, test_ip_err_checksum);
  tcase_add_test(err, test_ip_err_fragment_v4_more_fragments);
  tcase_add_test(err, test_ip_err_fragment_v4_offset);
  tcase_add_test(err, test_ip_err_fragment_v6_header);
  tcase_add_test(err, test_ip_err_proto);
  tcase_add_test(err, test_ip_err_ext_hdr_past_payload);
  tcase_add_test(err, test_ip_err_ext_hdr_chain_too_long);
  tcase_add_test(err, test_ip_err_ext_hdr_hop_by_hop_not_first);
  tcase_add_test(err, test_ip_err_ext_hdr_routing_segments_left);
  suite_add_tcase(s, err);

  tcase_add_test(pkt, test_ip_packet_passes_tcp_errors);
  tcase_add_test(pkt, test_ip_packet_err_invalid_argument);
  suite_add_tcase(s, pkt);

  tcase_add_test(enc, test_ip_v4_roundtrip);
  tcase_add_test(enc, test_ip_v6_roundtrip);
  tcase_add_test(enc, test_ip_encode_v6_known_bytes);
  tcase_add_test(enc, test_ip_encode_err_invalid_argument);
  tcase_add_test(enc, test_ip_encode_err_nobuf);
  suite_add_tcase(s, enc);
  return s;
}

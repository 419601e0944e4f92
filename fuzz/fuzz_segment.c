/*
 * plugtcp fuzz target "segment": the wire codec.
 *
 * Oracles (shared/notes/hardening.md §4.1):
 *   - any input parses or is rejected with a codec error, never more;
 *   - an accepted segment serializes, parses back with a valid checksum,
 *     and means the same thing (ptcp_seg_equal);
 *   - serialization is canonical: writing the reparsed segment gives the
 *     same bytes again;
 *   - a segment built from fuzz bytes serializes (or needs too much
 *     option space) and parses back to the same segment;
 *   - an accepted IP packet's payload lies inside the input.
 */
#include <string.h>

#include <plugtcp/plugtcp.h>

#include "fuzz_input.h"

#define OUT_CAP (65535 + 64)

static uint8_t out1[OUT_CAP];
static uint8_t out2[OUT_CAP];

static int is_codec_error(int rv) {
  return rv <= PTCP_ERR_TRUNCATED && rv >= PTCP_ERR_NOBUF;
}

static int is_ip_error(int rv) {
  return rv <= PTCP_ERR_IP_TRUNCATED && rv >= PTCP_ERR_IP_EXT_HDR;
}

static void pseudo_from(ptcp_pseudo *ph, fuzz_input *in) {
  int v6 = fuzz_u8(in) & 1;
  memset(ph, 0, sizeof(*ph));
  ph->src.family = ph->dst.family = v6 ? PTCP_AF_INET6 : PTCP_AF_INET;
  for (int i = 0; i < (v6 ? 16 : 4); i++) {
    ph->src.bytes[i] = fuzz_u8(in);
    ph->dst.bytes[i] = fuzz_u8(in);
  }
}

/* Serialize an accepted segment, parse it back, and compare. */
static void round_trip(const ptcp_seg *seg, const ptcp_pseudo *ph) {
  ptcp_seg again, third;
  ptcp_ssize n1, n2;
  int rv;

  /* Anything the parser accepts fits when packed densely, so the only
   * way to fail is a segment too long for the 16-bit IP length. */
  if (seg->payload_len > UINT16_MAX - PTCP_HDR_MAX)
    return;
  n1 = ptcp_seg_write(out1, sizeof(out1), seg, ph);
  FUZZ_CHECK(n1 >= (ptcp_ssize)PTCP_HDR_MIN);
  FUZZ_CHECK((size_t)n1 == (size_t)(PTCP_HDR_MIN + ptcp_seg_opts_len(seg)) + seg->payload_len);

  rv = ptcp_seg_parse(&again, out1, (size_t)n1, ph);
  FUZZ_CHECK(rv == 0);
  FUZZ_CHECK(ptcp_seg_equal(seg, &again));
  FUZZ_CHECK(again.opts.unknown == 0);

  /* Canonical: the second serialization is byte-identical. */
  n2 = ptcp_seg_write(out2, sizeof(out2), &again, ph);
  FUZZ_CHECK(n2 == n1);
  FUZZ_CHECK(memcmp(out1, out2, (size_t)n1) == 0);
  rv = ptcp_seg_parse(&third, out2, (size_t)n2, NULL);
  FUZZ_CHECK(rv == 0 && ptcp_seg_equal(&again, &third));
}

static void fuzz_parse(const uint8_t *data, size_t size) {
  ptcp_seg seg;
  ptcp_pseudo ph;
  fuzz_input in = {data, size};
  char text[512];
  int rv;

  rv = ptcp_seg_parse(&seg, data, size, NULL);
  if (rv != 0) {
    FUZZ_CHECK(is_codec_error(rv));
    return;
  }
  FUZZ_CHECK(seg.hdr_len >= PTCP_HDR_MIN && seg.hdr_len <= size);
  FUZZ_CHECK(seg.payload == data + seg.hdr_len);
  FUZZ_CHECK(seg.payload_len == size - seg.hdr_len);
  FUZZ_CHECK(!(seg.opts.present & PTCP_OPT_SACK) ||
             (seg.opts.sack_count >= 1 && seg.opts.sack_count <= PTCP_SACK_MAX_BLOCKS));

  ptcp_seg_format(text, sizeof(text), &seg);
  ptcp_seg_format(text, 7, &seg);

  pseudo_from(&ph, &in);
  round_trip(&seg, &ph);

  /* The same bytes with checksum verification: either it verifies or
   * the only complaint is the checksum. */
  rv = ptcp_seg_parse(&seg, data, size, &ph);
  FUZZ_CHECK(rv == 0 || rv == PTCP_ERR_CHECKSUM);
}

static void fuzz_packet(const uint8_t *data, size_t size) {
  ptcp_ip ip;
  ptcp_seg seg;
  int rv = ptcp_ip_parse(&ip, data, size, PTCP_IP_NO_CHECKSUM);

  if (rv != 0) {
    FUZZ_CHECK(is_ip_error(rv) || rv == PTCP_ERR_IP_PROTO);
    return;
  }
  FUZZ_CHECK(ip.payload >= data && ip.payload_len <= size);
  FUZZ_CHECK((size_t)(ip.payload - data) + ip.payload_len <= size);
  rv = ptcp_packet_parse(&ip, &seg, data, size, PTCP_IP_NO_CHECKSUM | PTCP_TCP_NO_CHECKSUM);
  FUZZ_CHECK(rv == 0 || is_codec_error(rv));
}

/* A segment whose every field comes from the input. */
static void fuzz_build(const uint8_t *data, size_t size) {
  fuzz_input in = {data, size};
  ptcp_seg seg, back;
  ptcp_pseudo ph;
  ptcp_ssize n;
  int rv;

  memset(&seg, 0, sizeof(seg));
  seg.src_port = fuzz_u16(&in);
  seg.dst_port = fuzz_u16(&in);
  seg.seq = fuzz_u32(&in);
  seg.ack = fuzz_u32(&in);
  seg.flags = fuzz_u8(&in);
  seg.reserved = fuzz_u8(&in) & 0x0f;
  seg.window = fuzz_u16(&in);
  seg.urgent = fuzz_u16(&in);
  seg.opts.present = fuzz_u8(&in) & 0x1f;
  seg.opts.mss = fuzz_u16(&in);
  seg.opts.wscale = fuzz_u8(&in);
  seg.opts.ts_val = fuzz_u32(&in);
  seg.opts.ts_ecr = fuzz_u32(&in);
  if (seg.opts.present & PTCP_OPT_SACK) {
    seg.opts.sack_count = (uint8_t)(1 + fuzz_below(&in, PTCP_SACK_MAX_BLOCKS));
    for (unsigned i = 0; i < seg.opts.sack_count; i++) {
      seg.opts.sack[i].left = fuzz_u32(&in);
      seg.opts.sack[i].right = fuzz_u32(&in);
    }
  }
  pseudo_from(&ph, &in);
  seg.payload_len = fuzz_bytes(&in, &seg.payload, 4096);

  n = ptcp_seg_write(out1, sizeof(out1), &seg, &ph);
  if (n < 0) {
    FUZZ_CHECK(n == PTCP_ERR_OPT_SPACE);
    return;
  }
  rv = ptcp_seg_parse(&back, out1, (size_t)n, &ph);
  FUZZ_CHECK(rv == 0);
  FUZZ_CHECK(ptcp_seg_equal(&seg, &back));

  /* Too small an output buffer is refused, never overrun. */
  if (n > 0)
    FUZZ_CHECK(ptcp_seg_write(out2, (size_t)n - 1, &seg, &ph) == PTCP_ERR_NOBUF);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_parse(data, size);
  fuzz_packet(data, size);
  fuzz_build(data, size);
  return 0;
}

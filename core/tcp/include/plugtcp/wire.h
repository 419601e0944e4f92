/*
 * plugtcp: the wire codec.  TCP segments (RFC 9293 §3.1), their options
 * (RFC 9293 §3.2, RFC 7323, RFC 2018), the Internet checksum (RFC 1071)
 * over the IPv4 and IPv6 pseudo-headers, and minimal IPv4 (RFC 791) and
 * IPv6 (RFC 8200) framing.
 *
 * Contract, for every function here and every possible input:
 *   - nothing is read at or past the given length;
 *   - nothing is written at or past the given capacity;
 *   - nothing is allocated, no global state is touched;
 *   - input buffers are const and never modified;
 *   - each kind of malformation has its own PTCP_ERR_* code.
 *
 * Parsing is zero-copy: the decoded payload points into the input.
 */
#ifndef PLUGTCP_WIRE_H
#define PLUGTCP_WIRE_H

#include <plugtcp/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Segment layout                                                      */

#define PTCP_HDR_MIN 20u          /* fixed header, data offset 5 */
#define PTCP_HDR_MAX 60u          /* data offset 15 */
#define PTCP_OPTS_MAX 40u         /* option space */
#define PTCP_SACK_MAX_BLOCKS 4u   /* what fits in a 34-byte SACK option */
#define PTCP_WSCALE_MAX 14u       /* RFC 7323 §2.3 */

/* Control bits (RFC 9293 §3.1, RFC 3168 for ECE and CWR). */
#define PTCP_FIN 0x01u
#define PTCP_SYN 0x02u
#define PTCP_RST 0x04u
#define PTCP_PSH 0x08u
#define PTCP_ACK 0x10u
#define PTCP_URG 0x20u
#define PTCP_ECE 0x40u
#define PTCP_CWR 0x80u

/* Option kinds (IANA "TCP Option Kind Numbers"). */
#define PTCP_OPT_KIND_EOL 0u
#define PTCP_OPT_KIND_NOP 1u
#define PTCP_OPT_KIND_MSS 2u
#define PTCP_OPT_KIND_WSCALE 3u
#define PTCP_OPT_KIND_SACK_PERM 4u
#define PTCP_OPT_KIND_SACK 5u
#define PTCP_OPT_KIND_TS 8u

/* Bits of ptcp_opts.present. */
#define PTCP_OPT_MSS (1u << 0)
#define PTCP_OPT_WSCALE (1u << 1)
#define PTCP_OPT_SACK_PERM (1u << 2)
#define PTCP_OPT_SACK (1u << 3)
#define PTCP_OPT_TS (1u << 4)

/** One SACK block: the bytes [left, right) were received (RFC 2018 §3). */
typedef struct ptcp_sack_block {
  uint32_t left;
  uint32_t right;
} ptcp_sack_block;

/**
 * Decoded options.  A field is meaningful only when its bit is set in
 * |present|.  Values are exactly what the wire carried: clamping (a
 * window scale above 14, an MSS below the floor) is the engine's job.
 */
typedef struct ptcp_opts {
  uint16_t present;     /* PTCP_OPT_* bits */
  uint16_t mss;         /* PTCP_OPT_MSS */
  uint8_t wscale;       /* PTCP_OPT_WSCALE: shift count as sent */
  uint8_t sack_count;   /* PTCP_OPT_SACK: 1..PTCP_SACK_MAX_BLOCKS */
  uint8_t unknown;      /* options of unknown kind skipped (parse only) */
  uint32_t ts_val;      /* PTCP_OPT_TS */
  uint32_t ts_ecr;      /* PTCP_OPT_TS */
  ptcp_sack_block sack[PTCP_SACK_MAX_BLOCKS];
} ptcp_opts;

/** A decoded TCP segment, in host byte order. */
typedef struct ptcp_seg {
  uint16_t src_port;
  uint16_t dst_port;
  uint32_t seq;
  uint32_t ack;
  uint8_t hdr_len;      /* header length in bytes (data offset * 4); parse only */
  uint8_t reserved;     /* the 4 reserved bits, kept for round trips */
  uint8_t flags;        /* PTCP_FIN | PTCP_SYN | ... */
  uint16_t window;      /* unscaled, as on the wire */
  uint16_t checksum;    /* as on the wire */
  uint16_t urgent;      /* as on the wire; never trusted by the engine */
  ptcp_opts opts;
  const uint8_t *payload;
  size_t payload_len;
} ptcp_seg;

/** The addresses of the pseudo-header (RFC 9293 §3.1, RFC 8200 §8.1). */
typedef struct ptcp_pseudo {
  ptcp_addr src;
  ptcp_addr dst;
} ptcp_pseudo;

/* ------------------------------------------------------------------ */
/* Segment codec                                                       */

/**
 * ptcp_seg_parse decodes the segment of |len| bytes at |buf| into |seg|.
 * When |ph| is not NULL, the checksum over the pseudo-header and the
 * segment is verified; with NULL it is not (verification is the
 * caller's choice, e.g. after checksum offload).
 *
 * Options are walked per RFC 9293 §3.2: EOL ends the list, NOP is
 * skipped, every other kind carries a length that must be at least 2
 * and must stay inside the header (MUST-68, MUST-7).  Unknown kinds are
 * skipped and counted in seg->opts.unknown.
 *
 * On failure |seg| is left in an unspecified state.  Returns 0, or one
 * of the following negative error codes:
 *   PTCP_ERR_INVALID_ARGUMENT  |seg| or |buf| is NULL;
 *   PTCP_ERR_TRUNCATED         |len| < 20;
 *   PTCP_ERR_DATA_OFFSET       data offset < 5, or header longer than |len|;
 *   PTCP_ERR_OPT_LEN           an option length byte of 0 or 1;
 *   PTCP_ERR_OPT_OVERRUN       an option (or its length byte) past the header;
 *   PTCP_ERR_OPT_SIZE          a known option with the wrong length;
 *   PTCP_ERR_OPT_DUP           a known option kind seen twice;
 *   PTCP_ERR_CHECKSUM          |ph| given and the checksum is wrong.
 */
int ptcp_seg_parse(ptcp_seg *seg, const uint8_t *buf, size_t len,
                   const ptcp_pseudo *ph);

/**
 * ptcp_seg_opts_len returns the length of the options area (a multiple
 * of 4) that ptcp_seg_encode_header writes for |seg|, or:
 *   PTCP_ERR_INVALID_ARGUMENT  |seg| is NULL, opts.present has a bit that
 *                              is no PTCP_OPT_*, or sack_count is 0 or
 *                              above 4 with SACK set;
 *   PTCP_ERR_OPT_SPACE         the options need more than 40 bytes.
 *
 * The layout is the one most stacks send: MSS, then SACK-permitted and
 * timestamps aligned with NOPs, window scale, SACK blocks.  When that
 * does not fit, the options are packed without NOPs and padded with EOL.
 */
ptcp_ssize ptcp_seg_opts_len(const ptcp_seg *seg);

/**
 * ptcp_seg_encode_header writes the header and options of |seg| (not the
 * payload) to |out| and returns the header length.  The checksum field
 * is written as seg->checksum; see ptcp_seg_fill_checksum.  hdr_len and
 * opts.unknown are ignored.  Errors: those of ptcp_seg_opts_len, and
 *   PTCP_ERR_NOBUF  |cap| is smaller than the header.
 */
ptcp_ssize ptcp_seg_encode_header(uint8_t *out, size_t cap, const ptcp_seg *seg);

/**
 * ptcp_seg_fill_checksum computes the checksum of the |len|-byte segment
 * at |tcp| (header, options and payload) over the pseudo-header |ph| and
 * stores it in the segment's checksum field.  |len| must be >= 20.
 */
void ptcp_seg_fill_checksum(uint8_t *tcp, size_t len, const ptcp_pseudo *ph);

/**
 * ptcp_seg_write writes the whole segment (header, options, payload) to
 * |out| and returns its length.  With |ph| the checksum is computed;
 * without, seg->checksum is written as is (for crafting bad segments).
 * Errors: those of ptcp_seg_encode_header, and
 *   PTCP_ERR_INVALID_ARGUMENT  payload_len > 0 with a NULL payload, or a
 *                              total length above 65535.
 */
ptcp_ssize ptcp_seg_write(uint8_t *out, size_t cap, const ptcp_seg *seg,
                          const ptcp_pseudo *ph);

/**
 * ptcp_seg_equal returns nonzero when |a| and |b| carry the same TCP
 * meaning: every header field, every present option, and the same
 * payload bytes.  Wire layout (hdr_len, checksum, NOP placement, unknown
 * options) is not compared.
 */
int ptcp_seg_equal(const ptcp_seg *a, const ptcp_seg *b);

/**
 * ptcp_seg_format writes a one-line, tcpdump-like description of |seg|
 * into |buf| ("1234 > 80 [S.] seq 1 ack 2 win 512 <mss 1460,...> len 0")
 * and returns the length it needed, as snprintf does.
 */
int ptcp_seg_format(char *buf, size_t cap, const ptcp_seg *seg);

/**
 * ptcp_seg_flags_str writes the flags of |flags| as packetdrill/tcpdump
 * letters ("S.", "F.", "R", "P.", "." for a bare ACK) into |buf| (at
 * least 12 bytes) and returns |buf|.
 */
const char *ptcp_seg_flags_str(uint8_t flags, char *buf, size_t cap);

/* ------------------------------------------------------------------ */
/* Internet checksum (RFC 1071)                                        */

/**
 * ptcp_cksum_add adds |len| bytes at |buf| to the running one's-
 * complement sum |sum| and returns the new sum.  Any alignment works.
 * Only the last piece of a chain may have an odd length.  The running
 * sum is opaque: it holds the words in host memory order (byte-swapped
 * on little-endian hosts, RFC 1071 §2(C)), so pass it only to
 * ptcp_cksum_add and ptcp_cksum_finish; start a chain with 0.
 */
uint32_t ptcp_cksum_add(uint32_t sum, const void *buf, size_t len);

/** ptcp_cksum_finish folds |sum| and returns its complement. */
uint16_t ptcp_cksum_finish(uint32_t sum);

/**
 * ptcp_cksum_pseudo returns the partial sum of the pseudo-header for a
 * |len|-byte upper-layer packet of protocol |proto| between the
 * addresses in |ph| (IPv4 or IPv6, per src.family).
 */
uint32_t ptcp_cksum_pseudo(const ptcp_pseudo *ph, uint8_t proto, uint32_t len);

/** ptcp_cksum returns the Internet checksum of |len| bytes at |buf|. */
uint16_t ptcp_cksum(const void *buf, size_t len);

/* ------------------------------------------------------------------ */
/* IP framing                                                          */

#define PTCP_IPPROTO_TCP 6u
#define PTCP_IPV4_HDR_LEN 20u
#define PTCP_IPV6_HDR_LEN 40u

/* ptcp_ip_parse flags. */
#define PTCP_IP_NO_CHECKSUM 0x1u   /* skip the IPv4 header checksum */

/** A decoded IPv4 or IPv6 header. */
typedef struct ptcp_ip {
  uint8_t version;      /* 4 or 6 */
  uint8_t proto;        /* IPv4 protocol / final IPv6 next header */
  uint8_t ttl;          /* IPv4 TTL / IPv6 hop limit */
  uint8_t tos;          /* IPv4 TOS / IPv6 traffic class */
  uint8_t dont_frag;    /* IPv4 DF bit */
  uint16_t id;          /* IPv4 identification */
  uint32_t flow_label;  /* IPv6 */
  ptcp_addr src;
  ptcp_addr dst;
  size_t hdr_len;       /* including IPv4 options / IPv6 extension headers */
  const uint8_t *payload;
  size_t payload_len;
} ptcp_ip;

/**
 * ptcp_ip_parse decodes the IP packet of |len| bytes at |buf|.  Bytes
 * beyond the IP total length (link-layer padding) are ignored.  IPv4
 * options and the IPv6 hop-by-hop, routing and destination options
 * headers are skipped (at most 8 extension headers).
 * Returns 0, or one of the following negative error codes:
 *   PTCP_ERR_INVALID_ARGUMENT  |ip| or |buf| is NULL;
 *   PTCP_ERR_IP_TRUNCATED      shorter than the version's fixed header;
 *   PTCP_ERR_IP_VERSION        version is neither 4 nor 6;
 *   PTCP_ERR_IP_HDR_LEN        IPv4 IHL < 5 or beyond the total length;
 *   PTCP_ERR_IP_TOTAL_LEN      total (or payload) length beyond |len|, or
 *                              an IPv6 jumbogram;
 *   PTCP_ERR_IP_CHECKSUM       the IPv4 header checksum is wrong;
 *   PTCP_ERR_IP_FRAGMENT       an IPv4 or IPv6 fragment;
 *   PTCP_ERR_IP_EXT_HDR        an IPv6 extension header runs past the
 *                              payload, the chain is too long, a
 *                              hop-by-hop header is not first, or a
 *                              routing header has segments left;
 *   PTCP_ERR_IP_PROTO          the upper layer is not TCP.
 */
int ptcp_ip_parse(ptcp_ip *ip, const uint8_t *buf, size_t len, unsigned flags);

/**
 * ptcp_ip_encode_header writes a 20-byte IPv4 header (with checksum) or a
 * 40-byte IPv6 header for a |payload_len|-byte payload, using |ip|'s
 * version, addresses, proto, ttl, tos, id, dont_frag and flow_label.
 * Returns the header length, or
 *   PTCP_ERR_INVALID_ARGUMENT  unknown version, address family mismatch,
 *                              or a payload too long for the version;
 *   PTCP_ERR_NOBUF             |cap| too small.
 */
ptcp_ssize ptcp_ip_encode_header(uint8_t *out, size_t cap, const ptcp_ip *ip,
                                 size_t payload_len);

/* ptcp_packet_parse flags (with PTCP_IP_NO_CHECKSUM). */
#define PTCP_TCP_NO_CHECKSUM 0x2u  /* skip the TCP checksum */

/**
 * ptcp_packet_parse decodes an IP packet carrying TCP: the IP header
 * into |ip| and the segment into |seg|, verifying both checksums unless
 * |flags| says otherwise.  Returns 0 or any error of ptcp_ip_parse and
 * ptcp_seg_parse.
 */
int ptcp_packet_parse(ptcp_ip *ip, ptcp_seg *seg, const uint8_t *buf, size_t len,
                      unsigned flags);

#ifdef __cplusplus
}
#endif

#endif /* PLUGTCP_WIRE_H */

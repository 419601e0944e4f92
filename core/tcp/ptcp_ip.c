/*
 * plugtcp: minimal IPv4 (RFC 791) and IPv6 (RFC 8200) framing, so an
 * embedder can hand the core a whole IP packet.  No fragment reassembly:
 * fragments are rejected with their own code.
 */
#include <string.h>

#include <plugtcp/wire.h>

#include "ptcp_bytes.h"

enum {
  IPV4_MF = 0x2000,
  IPV4_DF = 0x4000,
  IPV4_FRAG_OFFSET = 0x1fff,
  IPV6_NH_HOPOPTS = 0,
  IPV6_NH_ROUTING = 43,
  IPV6_NH_FRAGMENT = 44,
  IPV6_NH_DSTOPTS = 60,
  IPV6_MAX_EXT_HDRS = 8,
};

static int parse_v4(ptcp_ip *ip, const uint8_t *buf, size_t len, unsigned flags) {
  size_t ihl, total;
  uint16_t frag;

  if (len < PTCP_IPV4_HDR_LEN)
    return PTCP_ERR_IP_TRUNCATED;
  ihl = (size_t)(buf[0] & 0x0f) * 4;
  total = ptcp_get16(buf + 2);
  if (total > len)
    return PTCP_ERR_IP_TOTAL_LEN;
  if (ihl < PTCP_IPV4_HDR_LEN || ihl > total)
    return PTCP_ERR_IP_HDR_LEN;
  if (!(flags & PTCP_IP_NO_CHECKSUM) && ptcp_cksum(buf, ihl) != 0)
    return PTCP_ERR_IP_CHECKSUM;
  frag = ptcp_get16(buf + 6);
  if (frag & (IPV4_MF | IPV4_FRAG_OFFSET))
    return PTCP_ERR_IP_FRAGMENT;

  ip->version = 4;
  ip->tos = buf[1];
  ip->id = ptcp_get16(buf + 4);
  ip->dont_frag = (frag & IPV4_DF) != 0;
  ip->ttl = buf[8];
  ip->proto = buf[9];
  ip->src.family = ip->dst.family = PTCP_AF_INET;
  memcpy(ip->src.bytes, buf + 12, 4);
  memcpy(ip->dst.bytes, buf + 16, 4);
  ip->hdr_len = ihl;
  ip->payload = buf + ihl;
  ip->payload_len = total - ihl;
  return ip->proto == PTCP_IPPROTO_TCP ? 0 : PTCP_ERR_IP_PROTO;
}

static int parse_v6(ptcp_ip *ip, const uint8_t *buf, size_t len) {
  size_t end, off = PTCP_IPV6_HDR_LEN;
  uint8_t nh;

  if (len < PTCP_IPV6_HDR_LEN)
    return PTCP_ERR_IP_TRUNCATED;
  /* A payload length of 0 with a hop-by-hop header is a jumbogram
   * (RFC 2675); TCP over it is not supported, and an empty IPv6 packet
   * carries no segment either. */
  end = PTCP_IPV6_HDR_LEN + ptcp_get16(buf + 4);
  if (end > len || end == PTCP_IPV6_HDR_LEN)
    return PTCP_ERR_IP_TOTAL_LEN;

  ip->version = 6;
  ip->tos = (uint8_t)((buf[0] & 0x0f) << 4 | buf[1] >> 4);
  ip->flow_label = (uint32_t)(buf[1] & 0x0f) << 16 | ptcp_get16(buf + 2);
  ip->ttl = buf[7];
  ip->src.family = ip->dst.family = PTCP_AF_INET6;
  memcpy(ip->src.bytes, buf + 8, 16);
  memcpy(ip->dst.bytes, buf + 24, 16);

  nh = buf[6];
  for (int i = 0; i <= IPV6_MAX_EXT_HDRS; i++) {
    size_t hlen;

    switch (nh) {
    case PTCP_IPPROTO_TCP:
      ip->proto = nh;
      ip->hdr_len = off;
      ip->payload = buf + off;
      ip->payload_len = end - off;
      return 0;
    case IPV6_NH_FRAGMENT:
      return PTCP_ERR_IP_FRAGMENT;
    case IPV6_NH_HOPOPTS:
    case IPV6_NH_ROUTING:
    case IPV6_NH_DSTOPTS:
      /* RFC 8200 §4.1: hop-by-hop options may only come first, right
       * after the fixed header; anywhere else the chain is malformed. */
      if (nh == IPV6_NH_HOPOPTS && off != PTCP_IPV6_HDR_LEN)
        return PTCP_ERR_IP_EXT_HDR;
      /* RFC 8200 §4.3-4.6: next header, then length in 8-octet units
       * not counting the first 8. */
      if (end - off < 8)
        return PTCP_ERR_IP_EXT_HDR;
      hlen = ((size_t)buf[off + 1] + 1) * 8;
      if (hlen > end - off)
        return PTCP_ERR_IP_EXT_HDR;
      /* RFC 8200 §4.4: we implement no routing type, and a routing
       * header with segments left means this node is not the final
       * destination, so the packet must be discarded, not handed to
       * TCP (the RH0 source-routing hazard of RFC 5095). */
      if (nh == IPV6_NH_ROUTING && buf[off + 3] != 0)
        return PTCP_ERR_IP_EXT_HDR;
      nh = buf[off];
      off += hlen;
      break;
    default:
      ip->proto = nh;
      return PTCP_ERR_IP_PROTO;
    }
  }
  return PTCP_ERR_IP_EXT_HDR;
}

int ptcp_ip_parse(ptcp_ip *ip, const uint8_t *buf, size_t len, unsigned flags) {
  if (ip == NULL || buf == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  if (len < 1)
    return PTCP_ERR_IP_TRUNCATED;
  memset(ip, 0, sizeof(*ip));
  switch (buf[0] >> 4) {
  case 4:
    return parse_v4(ip, buf, len, flags);
  case 6:
    return parse_v6(ip, buf, len);
  default:
    return PTCP_ERR_IP_VERSION;
  }
}

ptcp_ssize ptcp_ip_encode_header(uint8_t *out, size_t cap, const ptcp_ip *ip,
                                 size_t payload_len) {
  if (out == NULL || ip == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  if (ip->version == 4) {
    if (ip->src.family != PTCP_AF_INET || ip->dst.family != PTCP_AF_INET ||
        payload_len > UINT16_MAX - PTCP_IPV4_HDR_LEN)
      return PTCP_ERR_INVALID_ARGUMENT;
    if (cap < PTCP_IPV4_HDR_LEN)
      return PTCP_ERR_NOBUF;
    out[0] = 0x45;
    out[1] = ip->tos;
    ptcp_put16(out + 2, (uint16_t)(PTCP_IPV4_HDR_LEN + payload_len));
    ptcp_put16(out + 4, ip->id);
    ptcp_put16(out + 6, ip->dont_frag ? IPV4_DF : 0);
    out[8] = ip->ttl;
    out[9] = ip->proto;
    out[10] = out[11] = 0;
    memcpy(out + 12, ip->src.bytes, 4);
    memcpy(out + 16, ip->dst.bytes, 4);
    ptcp_put16(out + 10, ptcp_cksum(out, PTCP_IPV4_HDR_LEN));
    return PTCP_IPV4_HDR_LEN;
  }
  if (ip->version == 6) {
    if (ip->src.family != PTCP_AF_INET6 || ip->dst.family != PTCP_AF_INET6 ||
        payload_len > UINT16_MAX)
      return PTCP_ERR_INVALID_ARGUMENT;
    if (cap < PTCP_IPV6_HDR_LEN)
      return PTCP_ERR_NOBUF;
    out[0] = (uint8_t)(0x60 | ip->tos >> 4);
    out[1] = (uint8_t)((ip->tos & 0x0f) << 4 | ((ip->flow_label >> 16) & 0x0f));
    ptcp_put16(out + 2, (uint16_t)ip->flow_label);
    ptcp_put16(out + 4, (uint16_t)payload_len);
    out[6] = ip->proto;
    out[7] = ip->ttl;
    memcpy(out + 8, ip->src.bytes, 16);
    memcpy(out + 24, ip->dst.bytes, 16);
    return PTCP_IPV6_HDR_LEN;
  }
  return PTCP_ERR_INVALID_ARGUMENT;
}

int ptcp_packet_parse(ptcp_ip *ip, ptcp_seg *seg, const uint8_t *buf, size_t len,
                      unsigned flags) {
  ptcp_pseudo ph;
  int rv;

  if (seg == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  rv = ptcp_ip_parse(ip, buf, len, flags);
  if (rv != 0)
    return rv;
  ph.src = ip->src;
  ph.dst = ip->dst;
  return ptcp_seg_parse(seg, ip->payload, ip->payload_len,
                        (flags & PTCP_TCP_NO_CHECKSUM) ? NULL : &ph);
}

/*
 * plugtcp: TCP segment parse and serialize (RFC 9293 §3.1-3.2).
 *
 * Parsing checks every length before it reads: the fixed header, then
 * the data offset against the buffer, then each option against the end
 * of the header.  Nothing is subtracted before it is compared.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <plugtcp/wire.h>

#include "ptcp_bytes.h"

/* Field offsets in the fixed header (RFC 9293 §3.1, figure 1). */
enum {
  OFF_SRC_PORT = 0,
  OFF_DST_PORT = 2,
  OFF_SEQ = 4,
  OFF_ACK = 8,
  OFF_DATA_OFFSET = 12,
  OFF_FLAGS = 13,
  OFF_WINDOW = 14,
  OFF_CHECKSUM = 16,
  OFF_URGENT = 18,
};

/* Exact option lengths (RFC 9293 §3.2, RFC 7323 §2.2 and §3.2, RFC 2018). */
enum {
  LEN_MSS = 4,
  LEN_WSCALE = 3,
  LEN_SACK_PERM = 2,
  LEN_TS = 10,
  LEN_SACK_BASE = 2,
  LEN_SACK_BLOCK = 8,
};

static int parse_option(ptcp_opts *o, uint8_t kind, const uint8_t *p, uint8_t olen) {
  uint16_t bit;

  switch (kind) {
  case PTCP_OPT_KIND_MSS:
    bit = PTCP_OPT_MSS;
    if (olen != LEN_MSS)
      return PTCP_ERR_OPT_SIZE;
    break;
  case PTCP_OPT_KIND_WSCALE:
    bit = PTCP_OPT_WSCALE;
    if (olen != LEN_WSCALE)
      return PTCP_ERR_OPT_SIZE;
    break;
  case PTCP_OPT_KIND_SACK_PERM:
    bit = PTCP_OPT_SACK_PERM;
    if (olen != LEN_SACK_PERM)
      return PTCP_ERR_OPT_SIZE;
    break;
  case PTCP_OPT_KIND_TS:
    bit = PTCP_OPT_TS;
    if (olen != LEN_TS)
      return PTCP_ERR_OPT_SIZE;
    break;
  case PTCP_OPT_KIND_SACK:
    bit = PTCP_OPT_SACK;
    /* RFC 2018 §3: 8n + 2 bytes; at most 4 blocks fit in 40 bytes. */
    if (olen < LEN_SACK_BASE + LEN_SACK_BLOCK ||
        (olen - LEN_SACK_BASE) % LEN_SACK_BLOCK != 0 ||
        olen > LEN_SACK_BASE + PTCP_SACK_MAX_BLOCKS * LEN_SACK_BLOCK)
      return PTCP_ERR_OPT_SIZE;
    break;
  default:
    if (o->unknown < UINT8_MAX)
      o->unknown++;
    return 0;
  }
  if (o->present & bit)
    return PTCP_ERR_OPT_DUP;
  o->present |= bit;

  switch (kind) {
  case PTCP_OPT_KIND_MSS:
    o->mss = ptcp_get16(p + 2);
    break;
  case PTCP_OPT_KIND_WSCALE:
    o->wscale = p[2];
    break;
  case PTCP_OPT_KIND_TS:
    o->ts_val = ptcp_get32(p + 2);
    o->ts_ecr = ptcp_get32(p + 6);
    break;
  case PTCP_OPT_KIND_SACK: {
    unsigned n = (unsigned)(olen - LEN_SACK_BASE) / LEN_SACK_BLOCK;
    for (unsigned i = 0; i < n; i++) {
      o->sack[i].left = ptcp_get32(p + 2 + i * 8);
      o->sack[i].right = ptcp_get32(p + 6 + i * 8);
    }
    o->sack_count = (uint8_t)n;
    break;
  }
  default:
    break;
  }
  return 0;
}

/*
 * Walks the options area [PTCP_HDR_MIN, hdr_len).  Every iteration
 * advances by at least one byte, so the loop runs at most 40 times.
 */
static int parse_options(ptcp_opts *o, const uint8_t *buf, size_t hdr_len) {
  size_t i = PTCP_HDR_MIN;

  while (i < hdr_len) {
    uint8_t kind = buf[i];
    uint8_t olen;
    int rv;

    if (kind == PTCP_OPT_KIND_EOL)
      break;
    if (kind == PTCP_OPT_KIND_NOP) {
      i++;
      continue;
    }
    /* The length byte itself must be inside the header. */
    if (hdr_len - i < 2)
      return PTCP_ERR_OPT_OVERRUN;
    olen = buf[i + 1];
    /* RFC 9293 MUST-7: a length of 0 or 1 would never advance. */
    if (olen < 2)
      return PTCP_ERR_OPT_LEN;
    if (olen > hdr_len - i)
      return PTCP_ERR_OPT_OVERRUN;
    rv = parse_option(o, kind, buf + i, olen);
    if (rv != 0)
      return rv;
    i += olen;
  }
  return 0;
}

int ptcp_seg_parse(ptcp_seg *seg, const uint8_t *buf, size_t len,
                   const ptcp_pseudo *ph) {
  size_t hdr_len;
  int rv;

  if (seg == NULL || buf == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  if (len < PTCP_HDR_MIN)
    return PTCP_ERR_TRUNCATED;

  hdr_len = (size_t)(buf[OFF_DATA_OFFSET] >> 4) * 4;
  if (hdr_len < PTCP_HDR_MIN || hdr_len > len)
    return PTCP_ERR_DATA_OFFSET;

  memset(seg, 0, sizeof(*seg));
  seg->src_port = ptcp_get16(buf + OFF_SRC_PORT);
  seg->dst_port = ptcp_get16(buf + OFF_DST_PORT);
  seg->seq = ptcp_get32(buf + OFF_SEQ);
  seg->ack = ptcp_get32(buf + OFF_ACK);
  seg->hdr_len = (uint8_t)hdr_len;
  seg->reserved = buf[OFF_DATA_OFFSET] & 0x0f;
  seg->flags = buf[OFF_FLAGS];
  seg->window = ptcp_get16(buf + OFF_WINDOW);
  seg->checksum = ptcp_get16(buf + OFF_CHECKSUM);
  seg->urgent = ptcp_get16(buf + OFF_URGENT);

  rv = parse_options(&seg->opts, buf, hdr_len);
  if (rv != 0)
    return rv;

  seg->payload = buf + hdr_len;
  seg->payload_len = len - hdr_len;

  if (ph != NULL) {
    uint32_t sum;
    if (len > UINT16_MAX && ph->src.family != PTCP_AF_INET6)
      return PTCP_ERR_CHECKSUM;
    sum = ptcp_cksum_pseudo(ph, PTCP_IPPROTO_TCP, (uint32_t)len);
    if (ptcp_cksum_finish(ptcp_cksum_add(sum, buf, len)) != 0)
      return PTCP_ERR_CHECKSUM;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Serialization                                                       */

/* The |present| bits the serializer knows how to write. */
#define OPT_KNOWN                                                              \
  (PTCP_OPT_MSS | PTCP_OPT_WSCALE | PTCP_OPT_SACK_PERM | PTCP_OPT_SACK | PTCP_OPT_TS)

/*
 * A writable option set: no bit the serializer would silently drop (the
 * parse of the result would then differ from what the caller asked for),
 * and a SACK block count that fits the option (RFC 2018 §3).
 */
static int opts_valid(const ptcp_opts *o) {
  if (o->present & ~OPT_KNOWN)
    return 0;
  return !(o->present & PTCP_OPT_SACK) ||
         (o->sack_count >= 1 && o->sack_count <= PTCP_SACK_MAX_BLOCKS);
}

/* Options laid out on 4-byte boundaries with NOPs, as most stacks send. */
static size_t aligned_len(const ptcp_opts *o) {
  size_t n = 0;

  if (o->present & PTCP_OPT_MSS)
    n += 4;
  if (o->present & PTCP_OPT_TS)
    n += 12; /* SACK-permitted, when also present, replaces the two NOPs */
  else if (o->present & PTCP_OPT_SACK_PERM)
    n += 4;
  if (o->present & PTCP_OPT_WSCALE)
    n += 4;
  if (o->present & PTCP_OPT_SACK)
    n += 4 + (size_t)o->sack_count * LEN_SACK_BLOCK;
  return n;
}

/* Options packed back to back, then EOL padding to a 4-byte boundary. */
static size_t dense_len(const ptcp_opts *o) {
  size_t n = 0;

  if (o->present & PTCP_OPT_MSS)
    n += LEN_MSS;
  if (o->present & PTCP_OPT_WSCALE)
    n += LEN_WSCALE;
  if (o->present & PTCP_OPT_SACK_PERM)
    n += LEN_SACK_PERM;
  if (o->present & PTCP_OPT_TS)
    n += LEN_TS;
  if (o->present & PTCP_OPT_SACK)
    n += LEN_SACK_BASE + (size_t)o->sack_count * LEN_SACK_BLOCK;
  return (n + 3) & ~(size_t)3;
}

ptcp_ssize ptcp_seg_opts_len(const ptcp_seg *seg) {
  size_t n;

  if (seg == NULL || !opts_valid(&seg->opts))
    return PTCP_ERR_INVALID_ARGUMENT;
  n = aligned_len(&seg->opts);
  if (n <= PTCP_OPTS_MAX)
    return (ptcp_ssize)n;
  n = dense_len(&seg->opts);
  if (n <= PTCP_OPTS_MAX)
    return (ptcp_ssize)n;
  return PTCP_ERR_OPT_SPACE;
}

static uint8_t *put_sack(uint8_t *p, const ptcp_opts *o) {
  *p++ = PTCP_OPT_KIND_SACK;
  *p++ = (uint8_t)(LEN_SACK_BASE + o->sack_count * LEN_SACK_BLOCK);
  for (unsigned i = 0; i < o->sack_count; i++) {
    p = ptcp_put32(p, o->sack[i].left);
    p = ptcp_put32(p, o->sack[i].right);
  }
  return p;
}

static uint8_t *put_ts(uint8_t *p, const ptcp_opts *o) {
  *p++ = PTCP_OPT_KIND_TS;
  *p++ = LEN_TS;
  p = ptcp_put32(p, o->ts_val);
  return ptcp_put32(p, o->ts_ecr);
}

static void write_aligned(uint8_t *p, const ptcp_opts *o) {
  if (o->present & PTCP_OPT_MSS) {
    *p++ = PTCP_OPT_KIND_MSS;
    *p++ = LEN_MSS;
    p = ptcp_put16(p, o->mss);
  }
  if (o->present & PTCP_OPT_TS) {
    if (o->present & PTCP_OPT_SACK_PERM) {
      *p++ = PTCP_OPT_KIND_SACK_PERM;
      *p++ = LEN_SACK_PERM;
    } else {
      *p++ = PTCP_OPT_KIND_NOP;
      *p++ = PTCP_OPT_KIND_NOP;
    }
    p = put_ts(p, o);
  } else if (o->present & PTCP_OPT_SACK_PERM) {
    *p++ = PTCP_OPT_KIND_NOP;
    *p++ = PTCP_OPT_KIND_NOP;
    *p++ = PTCP_OPT_KIND_SACK_PERM;
    *p++ = LEN_SACK_PERM;
  }
  if (o->present & PTCP_OPT_WSCALE) {
    *p++ = PTCP_OPT_KIND_NOP;
    *p++ = PTCP_OPT_KIND_WSCALE;
    *p++ = LEN_WSCALE;
    *p++ = o->wscale;
  }
  if (o->present & PTCP_OPT_SACK) {
    *p++ = PTCP_OPT_KIND_NOP;
    *p++ = PTCP_OPT_KIND_NOP;
    put_sack(p, o);
  }
}

static void write_dense(uint8_t *p, uint8_t *end, const ptcp_opts *o) {
  if (o->present & PTCP_OPT_MSS) {
    *p++ = PTCP_OPT_KIND_MSS;
    *p++ = LEN_MSS;
    p = ptcp_put16(p, o->mss);
  }
  if (o->present & PTCP_OPT_WSCALE) {
    *p++ = PTCP_OPT_KIND_WSCALE;
    *p++ = LEN_WSCALE;
    *p++ = o->wscale;
  }
  if (o->present & PTCP_OPT_SACK_PERM) {
    *p++ = PTCP_OPT_KIND_SACK_PERM;
    *p++ = LEN_SACK_PERM;
  }
  if (o->present & PTCP_OPT_TS)
    p = put_ts(p, o);
  if (o->present & PTCP_OPT_SACK)
    p = put_sack(p, o);
  while (p < end)
    *p++ = PTCP_OPT_KIND_EOL;
}

ptcp_ssize ptcp_seg_encode_header(uint8_t *out, size_t cap, const ptcp_seg *seg) {
  ptcp_ssize olen = ptcp_seg_opts_len(seg);
  size_t hdr_len;

  if (olen < 0)
    return olen;
  if (out == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  hdr_len = PTCP_HDR_MIN + (size_t)olen;
  if (cap < hdr_len)
    return PTCP_ERR_NOBUF;

  ptcp_put16(out + OFF_SRC_PORT, seg->src_port);
  ptcp_put16(out + OFF_DST_PORT, seg->dst_port);
  ptcp_put32(out + OFF_SEQ, seg->seq);
  ptcp_put32(out + OFF_ACK, seg->ack);
  out[OFF_DATA_OFFSET] = (uint8_t)((hdr_len / 4) << 4 | (seg->reserved & 0x0f));
  out[OFF_FLAGS] = seg->flags;
  ptcp_put16(out + OFF_WINDOW, seg->window);
  ptcp_put16(out + OFF_CHECKSUM, seg->checksum);
  ptcp_put16(out + OFF_URGENT, seg->urgent);

  if ((size_t)olen == aligned_len(&seg->opts))
    write_aligned(out + PTCP_HDR_MIN, &seg->opts);
  else
    write_dense(out + PTCP_HDR_MIN, out + hdr_len, &seg->opts);
  return (ptcp_ssize)hdr_len;
}

void ptcp_seg_fill_checksum(uint8_t *tcp, size_t len, const ptcp_pseudo *ph) {
  uint32_t sum;

  tcp[OFF_CHECKSUM] = 0;
  tcp[OFF_CHECKSUM + 1] = 0;
  sum = ptcp_cksum_pseudo(ph, PTCP_IPPROTO_TCP, (uint32_t)len);
  ptcp_put16(tcp + OFF_CHECKSUM, ptcp_cksum_finish(ptcp_cksum_add(sum, tcp, len)));
}

ptcp_ssize ptcp_seg_write(uint8_t *out, size_t cap, const ptcp_seg *seg,
                          const ptcp_pseudo *ph) {
  ptcp_ssize hdr;

  if (seg == NULL || out == NULL || (seg->payload_len > 0 && seg->payload == NULL))
    return PTCP_ERR_INVALID_ARGUMENT;
  hdr = ptcp_seg_encode_header(out, cap, seg);
  if (hdr < 0)
    return hdr;
  if (seg->payload_len > UINT16_MAX - (size_t)hdr)
    return PTCP_ERR_INVALID_ARGUMENT;
  if (seg->payload_len > cap - (size_t)hdr)
    return PTCP_ERR_NOBUF;
  if (seg->payload_len > 0)
    memmove(out + hdr, seg->payload, seg->payload_len);
  if (ph != NULL)
    ptcp_seg_fill_checksum(out, (size_t)hdr + seg->payload_len, ph);
  return hdr + (ptcp_ssize)seg->payload_len;
}

/* ------------------------------------------------------------------ */
/* Comparison and formatting                                           */

int ptcp_seg_equal(const ptcp_seg *a, const ptcp_seg *b) {
  const ptcp_opts *x = &a->opts, *y = &b->opts;

  if (a->src_port != b->src_port || a->dst_port != b->dst_port || a->seq != b->seq ||
      a->ack != b->ack || a->reserved != b->reserved || a->flags != b->flags ||
      a->window != b->window || a->urgent != b->urgent)
    return 0;
  if (x->present != y->present)
    return 0;
  if ((x->present & PTCP_OPT_MSS) && x->mss != y->mss)
    return 0;
  if ((x->present & PTCP_OPT_WSCALE) && x->wscale != y->wscale)
    return 0;
  if ((x->present & PTCP_OPT_TS) && (x->ts_val != y->ts_val || x->ts_ecr != y->ts_ecr))
    return 0;
  if (x->present & PTCP_OPT_SACK) {
    if (x->sack_count != y->sack_count)
      return 0;
    for (unsigned i = 0; i < x->sack_count && i < PTCP_SACK_MAX_BLOCKS; i++)
      if (x->sack[i].left != y->sack[i].left || x->sack[i].right != y->sack[i].right)
        return 0;
  }
  if (a->payload_len != b->payload_len)
    return 0;
  return a->payload_len == 0 || memcmp(a->payload, b->payload, a->payload_len) == 0;
}

const char *ptcp_seg_flags_str(uint8_t flags, char *buf, size_t cap) {
  static const struct {
    uint8_t bit;
    char c;
  } letters[] = {
      {PTCP_SYN, 'S'}, {PTCP_FIN, 'F'}, {PTCP_RST, 'R'}, {PTCP_PSH, 'P'},
      {PTCP_URG, 'U'}, {PTCP_ECE, 'E'}, {PTCP_CWR, 'W'}, {PTCP_ACK, '.'},
  };
  size_t n = 0;

  if (cap == 0)
    return buf;
  for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]) && n + 1 < cap; i++)
    if (flags & letters[i].bit)
      buf[n++] = letters[i].c;
  if (n == 0 && cap > 4) {
    memcpy(buf, "none", 4);
    n = 4;
  }
  buf[n] = '\0';
  return buf;
}

/* Appends with snprintf semantics: |*used| counts what would be needed. */
static void appendf(char *buf, size_t cap, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void appendf(char *buf, size_t cap, size_t *used, const char *fmt, ...) {
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(*used < cap ? buf + *used : NULL, *used < cap ? cap - *used : 0, fmt, ap);
  va_end(ap);
  if (n > 0)
    *used += (size_t)n;
}

int ptcp_seg_format(char *buf, size_t cap, const ptcp_seg *seg) {
  const ptcp_opts *o = &seg->opts;
  char flags[12];
  size_t used = 0;
  const char *sep = "";

  if (cap > 0)
    buf[0] = '\0';
  appendf(buf, cap, &used, "%u > %u [%s] seq %u", seg->src_port, seg->dst_port,
          ptcp_seg_flags_str(seg->flags, flags, sizeof(flags)), seg->seq);
  if (seg->flags & PTCP_ACK)
    appendf(buf, cap, &used, " ack %u", seg->ack);
  appendf(buf, cap, &used, " win %u", seg->window);
  if (seg->flags & PTCP_URG)
    appendf(buf, cap, &used, " urg %u", seg->urgent);
  if (o->present || o->unknown) {
    appendf(buf, cap, &used, " <");
    if (o->present & PTCP_OPT_MSS) {
      appendf(buf, cap, &used, "%smss %u", sep, o->mss);
      sep = ",";
    }
    if (o->present & PTCP_OPT_SACK_PERM) {
      appendf(buf, cap, &used, "%ssackOK", sep);
      sep = ",";
    }
    if (o->present & PTCP_OPT_TS) {
      appendf(buf, cap, &used, "%sTS val %u ecr %u", sep, o->ts_val, o->ts_ecr);
      sep = ",";
    }
    if (o->present & PTCP_OPT_WSCALE) {
      appendf(buf, cap, &used, "%swscale %u", sep, o->wscale);
      sep = ",";
    }
    if (o->present & PTCP_OPT_SACK) {
      appendf(buf, cap, &used, "%ssack", sep);
      for (unsigned i = 0; i < o->sack_count && i < PTCP_SACK_MAX_BLOCKS; i++)
        appendf(buf, cap, &used, " %u:%u", o->sack[i].left, o->sack[i].right);
      sep = ",";
    }
    if (o->unknown)
      appendf(buf, cap, &used, "%sunknown x%u", sep, o->unknown);
    appendf(buf, cap, &used, ">");
  }
  appendf(buf, cap, &used, " len %zu", seg->payload_len);
  return used > INT32_MAX ? INT32_MAX : (int)used;
}

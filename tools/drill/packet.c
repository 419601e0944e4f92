/*
 * plugtcp-drill: segments.
 *
 * Inbound ('<'): built exactly as written (the options in the order and
 * padding the script gives), sequence numbers offset by the peer's
 * origin, ACK numbers and SACK blocks by our ISN, the echoed timestamp
 * translated to the value the stack really sent, then wrapped in IPv4 or
 * IPv6 with valid checksums and handed to ptcp_stack_input.
 *
 * Outbound ('>'): the emitted packet must parse with valid checksums (an
 * oracle on every segment), then flags, sequence, length, ACK, window,
 * options and IP fields are compared with the script.  A SYN sets our
 * ISN, as in packetdrill.  TS val is never compared (no tick rate is
 * given); TS ecr is.
 *
 * Portable mode (the default) reads two things loosely, because they are
 * FreeBSD's choices rather than TCP's: the window (only "zero" versus
 * "open" must agree) and the option layout (the same options with the
 * same values, NOPs and order aside; on SYN and SYN,ACK the window scale
 * shift too).  Strict mode compares window and option bytes exactly.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

static uint32_t translate_ecr(drill_run *r, uint32_t ecr) {
  if (ecr == 0)
    return 0;
  for (unsigned i = r->nts; i > 0; i--)
    if (r->ts_script[i - 1] == ecr)
      return r->ts_live[i - 1];
  if (r->nts > 0)
    return r->ts_live[r->nts - 1] + (ecr - r->ts_script[r->nts - 1]);
  return ecr;
}

static void remember_ts(drill_run *r, uint32_t script, uint32_t live) {
  if (r->nts == DRILL_TS_MAP) {
    memmove(r->ts_script, r->ts_script + 1, (DRILL_TS_MAP - 1) * sizeof(uint32_t));
    memmove(r->ts_live, r->ts_live + 1, (DRILL_TS_MAP - 1) * sizeof(uint32_t));
    r->nts--;
  }
  r->ts_script[r->nts] = script;
  r->ts_live[r->nts] = live;
  r->nts++;
}

static void put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* Writes the script's options as written.  |live_tsval| (when not NULL)
 * replaces the TS val: outbound TS vals are not compared.  |sack_base|
 * offsets SACK blocks, |ecr_map| translates an inbound echo.  Returns the
 * length, padded with EOL to a multiple of 4, or -1 if it exceeds 40. */
static int encode_opts(drill_run *r, const drill_packet *pk, uint8_t *out,
                       const uint32_t *live_tsval, uint32_t sack_base, int ecr_map) {
  size_t n = 0;

  for (unsigned i = 0; i < pk->nopts; i++) {
    const drill_opt *o = &pk->opts[i];
    size_t need;
    switch (o->kind) {
    case DOPT_EOL:
    case DOPT_NOP:
      need = 1;
      break;
    case DOPT_MSS:
      need = 4;
      break;
    case DOPT_WSCALE:
      need = 3;
      break;
    case DOPT_SACKOK:
      need = 2;
      break;
    case DOPT_SACK:
      need = 2 + 8u * o->nsack;
      break;
    case DOPT_TS:
      need = 10;
      break;
    case DOPT_MD5:
      need = 18;
      break;
    default:
      return -1;
    }
    if (n + need > PTCP_OPTS_MAX)
      return -1;
    switch (o->kind) {
    case DOPT_EOL:
    case DOPT_NOP:
      out[n] = o->kind;
      break;
    case DOPT_MSS:
      out[n] = 2;
      out[n + 1] = 4;
      put16(out + n + 2, o->v1);
      break;
    case DOPT_WSCALE:
      out[n] = 3;
      out[n + 1] = 3;
      out[n + 2] = (uint8_t)o->v1;
      break;
    case DOPT_SACKOK:
      out[n] = 4;
      out[n + 1] = 2;
      break;
    case DOPT_SACK:
      out[n] = 5;
      out[n + 1] = (uint8_t)need;
      for (unsigned b = 0; b < o->nsack; b++) {
        put32(out + n + 2 + 8 * b, sack_base + o->sack[b][0]);
        put32(out + n + 6 + 8 * b, sack_base + o->sack[b][1]);
      }
      break;
    case DOPT_TS:
      out[n] = 8;
      out[n + 1] = 10;
      put32(out + n + 2, live_tsval ? *live_tsval : o->v1);
      put32(out + n + 6, ecr_map ? translate_ecr(r, o->v2) : o->v2);
      break;
    case DOPT_MD5:
      out[n] = 19;
      out[n + 1] = 18;
      memset(out + n + 2, 0, 16);
      break;
    }
    n += need;
  }
  while (n % 4 != 0)
    out[n++] = DOPT_EOL;
  return (int)n;
}

/* ------------------------------------------------------------------ */
/* Inbound                                                             */

int drill_inject(drill_run *r, const drill_event *ev) {
  const drill_packet *pk = &ev->pkt;
  uint8_t pkt[PTCP_IPV6_HDR_LEN + PTCP_HDR_MAX + 65535];
  size_t iphl = r->v6 ? PTCP_IPV6_HDR_LEN : PTCP_IPV4_HDR_LEN;
  uint8_t *tcp = pkt + iphl;
  uint8_t opts[PTCP_OPTS_MAX + 4];
  int olen = 0;
  size_t hl, total;
  ptcp_ip ip;
  ptcp_pseudo ph;
  uint32_t seq, ack;
  int rv;

  if (pk->seq_ignore)
    return drill_fail(r, ev, r->now, NULL, NULL,
                      "an inbound segment needs a sequence number");
  if (pk->opts_mode == OPTS_ANY)
    return drill_fail(r, ev, r->now, NULL, NULL, "<...> is for outbound segments only");
  if (pk->opts_mode == OPTS_LIST) {
    olen = encode_opts(r, pk, opts, NULL, r->local_isn, 1);
    if (olen < 0)
      return drill_fail(r, ev, r->now, NULL, NULL, "the options need more than 40 bytes");
  }
  seq = pk->seq_absolute ? pk->seq : r->cfg->remote_isn + pk->seq;
  ack = pk->has_ack ? r->local_isn + pk->ack : 0;
  hl = PTCP_HDR_MIN + (size_t)olen;

  memset(tcp, 0, hl);
  put16(tcp, pk->has_ports ? pk->sport : r->rport);
  put16(tcp + 2, pk->has_ports ? pk->dport : r->lport);
  put32(tcp + 4, seq);
  put32(tcp + 8, ack);
  tcp[12] = (uint8_t)((hl / 4) << 4);
  tcp[13] = pk->flags;
  put16(tcp + 14, pk->has_win ? pk->win : 65535);
  memcpy(tcp + PTCP_HDR_MIN, opts, (size_t)olen);
  memset(tcp + hl, 0, pk->len); /* packetdrill's payload: zero bytes */
  ph.src = r->remote;
  ph.dst = r->local;
  ptcp_seg_fill_checksum(tcp, hl + pk->len, &ph);

  memset(&ip, 0, sizeof(ip));
  ip.version = r->v6 ? 6 : 4;
  ip.proto = PTCP_IPPROTO_TCP;
  ip.ttl = pk->has_ttl ? pk->ttl : 64;
  ip.tos = (uint8_t)((pk->has_tos ? pk->tos : 0) | (pk->has_ecn ? pk->ecn : 0));
  ip.src = r->remote;
  ip.dst = r->local;
  if (ptcp_ip_encode_header(pkt, iphl, &ip, hl + pk->len) < 0)
    return drill_fail(r, ev, r->now, NULL, NULL, "segment too long for IP");
  total = iphl + hl + pk->len;
  if (r->cfg->trace) {
    char d[256];
    drill_describe_expected(r, pk, d, sizeof(d));
    drill_trace(r, "inject  %s", d);
  }
  rv = ptcp_stack_input(r->stack, pkt, total, r->now);
  if (rv != 0 && rv < PTCP_ERR_FATAL)
    return drill_fail(r, ev, r->now, NULL, ptcp_strerror(rv),
                      "the stack failed on input");
  return 0;
}

/* ------------------------------------------------------------------ */
/* Descriptions, in the script's terms                                 */

static void flags_text(uint8_t f, char *buf, size_t cap) {
  size_t n = 0;

  if (f & PTCP_SYN)
    buf[n++] = 'S';
  if (f & PTCP_FIN)
    buf[n++] = 'F';
  if (f & PTCP_RST)
    buf[n++] = 'R';
  if (f & PTCP_PSH)
    buf[n++] = 'P';
  if (f & PTCP_URG)
    buf[n++] = 'U';
  if (f & PTCP_ECE)
    buf[n++] = 'E';
  if (f & PTCP_CWR)
    buf[n++] = 'W';
  if (f & PTCP_ACK)
    buf[n++] = '.';
  if (n == 0)
    buf[n++] = '-';
  buf[n < cap ? n : cap - 1] = '\0';
}

static void append(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t cap, const char *fmt, ...) {
  size_t n = strlen(buf);
  va_list ap;

  if (n + 1 >= cap)
    return;
  va_start(ap, fmt);
  (void)vsnprintf(buf + n, cap - n, fmt, ap);
  va_end(ap);
}

void drill_describe_expected(drill_run *r, const drill_packet *pk, char *buf,
                             size_t cap) {
  char f[12];

  (void)r;
  flags_text(pk->flags, f, sizeof(f));
  buf[0] = '\0';
  append(buf, cap, "%s ", f);
  if (pk->seq_ignore)
    append(buf, cap, "...(%u)", pk->len);
  else
    append(buf, cap, "%u:%u(%u)%s", pk->seq, pk->seq + pk->len, pk->len,
           pk->seq_absolute ? "!" : "");
  if (pk->has_ack)
    append(buf, cap, " ack %u", pk->ack);
  if (pk->has_win)
    append(buf, cap, " win %u", pk->win);
  if (pk->opts_mode == OPTS_ANY) {
    append(buf, cap, " <...>");
  } else if (pk->opts_mode == OPTS_LIST) {
    append(buf, cap, " <");
    for (unsigned i = 0; i < pk->nopts; i++) {
      const drill_opt *o = &pk->opts[i];
      if (i > 0)
        append(buf, cap, ",");
      switch (o->kind) {
      case DOPT_EOL:
        append(buf, cap, "eol");
        break;
      case DOPT_NOP:
        append(buf, cap, "nop");
        break;
      case DOPT_MSS:
        append(buf, cap, "mss %u", o->v1);
        break;
      case DOPT_WSCALE:
        append(buf, cap, "wscale %u", o->v1);
        break;
      case DOPT_SACKOK:
        append(buf, cap, "sackOK");
        break;
      case DOPT_TS:
        append(buf, cap, "TS val %u ecr %u", o->v1, o->v2);
        break;
      case DOPT_MD5:
        append(buf, cap, "md5");
        break;
      case DOPT_SACK:
        append(buf, cap, "sack");
        for (unsigned b = 0; b < o->nsack; b++)
          append(buf, cap, " %u:%u", o->sack[b][0], o->sack[b][1]);
        break;
      default:
        break;
      }
    }
    append(buf, cap, ">");
  }
}

/* The raw options of a parsed segment, tcpdump style. */
static void raw_opts_text(const uint8_t *o, size_t n, uint32_t sack_base, char *buf,
                          size_t cap) {
  size_t i = 0;
  int first = 1;

  append(buf, cap, " <");
  while (i < n) {
    uint8_t k = o[i];
    uint8_t l;
    if (!first)
      append(buf, cap, ",");
    first = 0;
    if (k == 0 || k == 1) {
      append(buf, cap, k ? "nop" : "eol");
      i++;
      continue;
    }
    if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n) {
      append(buf, cap, "?");
      break;
    }
    l = o[i + 1];
    if (k == 2 && l == 4)
      append(buf, cap, "mss %u", (unsigned)(o[i + 2] << 8 | o[i + 3]));
    else if (k == 3 && l == 3)
      append(buf, cap, "wscale %u", o[i + 2]);
    else if (k == 4 && l == 2)
      append(buf, cap, "sackOK");
    else if (k == 8 && l == 10)
      append(buf, cap, "TS val %u ecr %u",
             (unsigned)((uint32_t)o[i + 2] << 24 | (uint32_t)o[i + 3] << 16 |
                        (uint32_t)o[i + 4] << 8 | o[i + 5]),
             (unsigned)((uint32_t)o[i + 6] << 24 | (uint32_t)o[i + 7] << 16 |
                        (uint32_t)o[i + 8] << 8 | o[i + 9]));
    else if (k == 5 && l >= 10 && (l - 2) % 8 == 0) {
      append(buf, cap, "sack");
      for (size_t b = i + 2; b + 8 <= i + l; b += 8) {
        uint32_t left = (uint32_t)o[b] << 24 | (uint32_t)o[b + 1] << 16 |
                        (uint32_t)o[b + 2] << 8 | o[b + 3];
        uint32_t right = (uint32_t)o[b + 4] << 24 | (uint32_t)o[b + 5] << 16 |
                         (uint32_t)o[b + 6] << 8 | o[b + 7];
        append(buf, cap, " %u:%u", left - sack_base, right - sack_base);
      }
    } else
      append(buf, cap, "kind%u", k);
    i += l;
  }
  append(buf, cap, ">");
}

void drill_describe_out(drill_run *r, const drill_out *o, char *buf, size_t cap) {
  ptcp_ip ip;
  ptcp_seg seg;
  char f[12];
  const uint8_t *tcp;
  uint32_t base = r->local_isn;

  buf[0] = '\0';
  if (ptcp_packet_parse(&ip, &seg, o->pkt, o->len, 0) != 0) {
    drill_fmt(buf, cap, "(%zu bytes that do not parse)", o->len);
    return;
  }
  tcp = o->pkt + ip.hdr_len;
  if (seg.flags & PTCP_SYN)
    base = seg.seq; /* a SYN defines the ISN: show it as 0 */
  flags_text(seg.flags, f, sizeof(f));
  append(buf, cap, "%s %u:%u(%zu)", f, seg.seq - base,
         seg.seq - base + (uint32_t)seg.payload_len, seg.payload_len);
  if (seg.flags & PTCP_ACK)
    append(buf, cap, " ack %u", seg.ack - r->cfg->remote_isn);
  append(buf, cap, " win %u", seg.window);
  if (seg.hdr_len > PTCP_HDR_MIN)
    raw_opts_text(tcp + PTCP_HDR_MIN, seg.hdr_len - PTCP_HDR_MIN, r->cfg->remote_isn, buf,
                  cap);
  if (seg.src_port != r->lport || seg.dst_port != r->rport)
    append(buf, cap, " (ports %u > %u)", seg.src_port, seg.dst_port);
}

/* ------------------------------------------------------------------ */
/* Outbound                                                            */

static uint32_t opt_kinds(const drill_packet *pk) {
  uint32_t k = 0;

  for (unsigned i = 0; i < pk->nopts; i++)
    if (pk->opts[i].kind > DOPT_NOP)
      k |= 1u << pk->opts[i].kind;
  return k;
}

static uint32_t seg_kinds(const ptcp_seg *s) {
  uint32_t k = 0;

  if (s->opts.present & PTCP_OPT_MSS)
    k |= 1u << DOPT_MSS;
  if (s->opts.present & PTCP_OPT_WSCALE)
    k |= 1u << DOPT_WSCALE;
  if (s->opts.present & PTCP_OPT_SACK_PERM)
    k |= 1u << DOPT_SACKOK;
  if (s->opts.present & PTCP_OPT_SACK)
    k |= 1u << DOPT_SACK;
  if (s->opts.present & PTCP_OPT_TS)
    k |= 1u << DOPT_TS;
  return k;
}

static void kinds_text(uint32_t k, char *buf, size_t cap) {
  static const struct {
    uint8_t kind;
    const char *name;
  } names[] = {{DOPT_MSS, "mss"},   {DOPT_WSCALE, "wscale"}, {DOPT_SACKOK, "sackOK"},
               {DOPT_SACK, "sack"}, {DOPT_TS, "TS"},         {DOPT_MD5, "md5"}};
  buf[0] = '\0';
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (k & (1u << names[i].kind))
      append(buf, cap, "%s%s", buf[0] ? "," : "", names[i].name);
  if (buf[0] == '\0')
    drill_fmt(buf, cap, "none");
}

/* Portable comparison: the same options with the same values. */
static int opts_loose(drill_run *r, const drill_packet *pk, const ptcp_seg *seg,
                      char *why, size_t cap) {
  uint32_t want = opt_kinds(pk), have = seg_kinds(seg);
  int syn = (pk->flags & PTCP_SYN) != 0;

  if (want != have || seg->opts.unknown != 0) {
    char a[64], b[64];
    kinds_text(want, a, sizeof(a));
    kinds_text(have, b, sizeof(b));
    drill_fmt(why, cap, "options: expected %s, got %s%s", a, b,
              seg->opts.unknown ? " and unknown kinds" : "");
    return -1;
  }
  for (unsigned i = 0; i < pk->nopts; i++) {
    const drill_opt *o = &pk->opts[i];
    switch (o->kind) {
    case DOPT_MSS:
      if (o->v1 != seg->opts.mss) {
        drill_fmt(why, cap, "mss: expected %u, got %u", o->v1, seg->opts.mss);
        return -1;
      }
      break;
    case DOPT_WSCALE:
      /* The shift on a SYN follows from buffer sizes: FreeBSD's choice. */
      if (!syn && o->v1 != seg->opts.wscale) {
        drill_fmt(why, cap, "wscale: expected %u, got %u", o->v1, seg->opts.wscale);
        return -1;
      }
      break;
    case DOPT_TS:
      if (o->v2 != seg->opts.ts_ecr) {
        drill_fmt(why, cap, "TS ecr: expected %u, got %u", o->v2, seg->opts.ts_ecr);
        return -1;
      }
      break;
    case DOPT_SACK:
      if (o->nsack != seg->opts.sack_count) {
        drill_fmt(why, cap, "sack: expected %u blocks, got %u", o->nsack,
                  seg->opts.sack_count);
        return -1;
      }
      for (unsigned b = 0; b < o->nsack; b++) {
        uint32_t l = r->cfg->remote_isn + o->sack[b][0],
                 rr = r->cfg->remote_isn + o->sack[b][1];
        if (seg->opts.sack[b].left != l || seg->opts.sack[b].right != rr) {
          drill_fmt(why, cap, "sack block %u: expected %u:%u, got %u:%u", b + 1,
                    o->sack[b][0], o->sack[b][1],
                    seg->opts.sack[b].left - r->cfg->remote_isn,
                    seg->opts.sack[b].right - r->cfg->remote_isn);
          return -1;
        }
      }
      break;
    default:
      break;
    }
  }
  return 0;
}

int drill_match(drill_run *r, const drill_event *ev, const drill_out *o, char *why,
                size_t cap) {
  const drill_packet *pk = &ev->pkt;
  ptcp_ip ip;
  ptcp_seg seg;
  int rv = ptcp_packet_parse(&ip, &seg, o->pkt, o->len, 0);
  uint32_t want;

  if (rv != 0) {
    drill_fmt(why, cap, "the emitted packet does not parse: %s", ptcp_strerror(rv));
    return -1;
  }
  if ((ip.version == 6) != (r->v6 != 0)) {
    drill_fmt(why, cap, "IPv%u, expected IPv%u", ip.version, r->v6 ? 6 : 4);
    return -1;
  }
  if (!ptcp_addr_equal(&ip.src, &r->local) || !ptcp_addr_equal(&ip.dst, &r->remote)) {
    drill_fmt(why, cap, "addressed to another host");
    return -1;
  }
  if (!r->lport_known) {
    r->lport = seg.src_port;
    r->lport_known = 1;
  }
  if (pk->has_ports ? (seg.src_port != pk->sport || seg.dst_port != pk->dport)
                    : (seg.src_port != r->lport || seg.dst_port != r->rport)) {
    drill_fmt(why, cap, "ports %u > %u, expected %u > %u", seg.src_port, seg.dst_port,
              pk->has_ports ? pk->sport : r->lport, pk->has_ports ? pk->dport : r->rport);
    return -1;
  }
  if (seg.flags != pk->flags) {
    char a[12], b[12];
    flags_text(pk->flags, a, sizeof(a));
    flags_text(seg.flags, b, sizeof(b));
    drill_fmt(why, cap, "flags: expected %s, got %s", a, b);
    return -1;
  }
  if ((seg.flags & PTCP_SYN) && !pk->seq_absolute) {
    /* Our SYN (or SYN,ACK) numbers the rest: it defines the ISN. */
    r->local_isn = seg.seq - (pk->seq_ignore ? 0 : pk->seq);
    r->local_isn_known = 1;
  }
  if (!pk->seq_ignore) {
    want = pk->seq_absolute ? pk->seq : r->local_isn + pk->seq;
    if (seg.seq != want) {
      drill_fmt(why, cap, "seq: expected %u, got %u", pk->seq,
                pk->seq_absolute ? seg.seq : seg.seq - r->local_isn);
      return -1;
    }
  }
  if (seg.payload_len != pk->len) {
    drill_fmt(why, cap, "length: expected %u, got %zu", pk->len, seg.payload_len);
    return -1;
  }
  if (pk->has_ack && (seg.flags & PTCP_ACK)) {
    want = r->cfg->remote_isn + pk->ack;
    if (seg.ack != want) {
      drill_fmt(why, cap, "ack: expected %u, got %u", pk->ack,
                seg.ack - r->cfg->remote_isn);
      return -1;
    }
  }
  if (pk->has_win) {
    int bad =
        r->cfg->strict ? seg.window != pk->win : (seg.window == 0) != (pk->win == 0);
    if (bad) {
      drill_fmt(why, cap, "window: expected %u, got %u%s", pk->win, seg.window,
                r->cfg->strict ? "" : " (portable mode compares zero/open only)");
      return -1;
    }
  }
  if (pk->has_ttl && ip.ttl != pk->ttl) {
    drill_fmt(why, cap, "ttl: expected %u, got %u", pk->ttl, ip.ttl);
    return -1;
  }
  if (pk->has_tos && ip.tos != pk->tos) {
    drill_fmt(why, cap, "tos: expected 0x%02x, got 0x%02x", pk->tos, ip.tos);
    return -1;
  }
  if (pk->has_ecn && (ip.tos & 3) != pk->ecn) {
    drill_fmt(why, cap, "ECN field: expected %u, got %u", pk->ecn, ip.tos & 3u);
    return -1;
  }
  if (pk->opts_mode != OPTS_ANY) {
    const uint8_t *raw = o->pkt + ip.hdr_len + PTCP_HDR_MIN;
    size_t rawlen = seg.hdr_len - PTCP_HDR_MIN;
    uint32_t script_ts = 0;
    int has_ts = 0;
    for (unsigned i = 0; i < pk->nopts; i++)
      if (pk->opts[i].kind == DOPT_TS) {
        has_ts = 1;
        script_ts = pk->opts[i].v1;
      }
    if (pk->opts_mode == OPTS_NONE) {
      if (rawlen != 0) {
        char d[160] = "";
        raw_opts_text(raw, rawlen, r->cfg->remote_isn, d, sizeof(d));
        drill_fmt(why, cap, "options: expected none, got%s", d);
        return -1;
      }
    } else if (r->cfg->strict) {
      uint8_t exp[PTCP_OPTS_MAX + 4];
      uint32_t live = seg.opts.ts_val;
      int n = encode_opts(r, pk, exp, (seg.opts.present & PTCP_OPT_TS) ? &live : NULL,
                          r->cfg->remote_isn, 0);
      if (n < 0 || (size_t)n != rawlen || memcmp(exp, raw, rawlen) != 0) {
        char d[160] = "";
        raw_opts_text(raw, rawlen, r->cfg->remote_isn, d, sizeof(d));
        drill_fmt(why, cap, "options (strict, byte for byte): got%s", d);
        return -1;
      }
    } else if (opts_loose(r, pk, &seg, why, cap) != 0) {
      return -1;
    }
    if (has_ts && (seg.opts.present & PTCP_OPT_TS))
      remember_ts(r, script_ts, seg.opts.ts_val);
  }
  return 0;
}

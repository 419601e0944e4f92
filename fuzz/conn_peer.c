/*
 * plugtcp fuzzing: the peer of the "conn" driver (see conn_driver.c;
 * what the driver's files share is in conn_driver_int.h).
 *
 * What the peer knows of each 4-tuple (what the stack put on the wire,
 * and the sequence ranges the peer itself sent), what it sees of the
 * stack's output (every emitted segment is checked as it leaves), and
 * the segments and raw packets it injects, each with the verdict
 * oracles (exactly one verdict, the output a verdict allows).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <plugtcp/plugtcp.h>

#include "conn_driver_int.h"

/* ------------------------------------------------------------------ */
/* Tuples                                                              */

void cd_peer_reset(peer *p, uint16_t lport, uint16_t rport) {
  memset(p, 0, sizeof(*p));
  p->used = 1;
  p->lport = lport;
  p->rport = rport;
}

int cd_tuple_find(cd *d, uint16_t lport, uint16_t rport) {
  for (unsigned i = 0; i < CF_TUPLES; i++)
    if (d->p[i].used && d->p[i].lport == lport && d->p[i].rport == rport)
      return (int)i;
  return -1;
}

/* A new active open shows its tuple with its SYN: tuples 6 and 7 take
 * turns (tuple 0 is the set-up's connection). */
static int tuple_learn(cd *d, uint16_t lport, uint16_t rport) {
  int t = cd_tuple_find(d, lport, rport);

  if (t >= 0)
    return t;
  if (!d->p[0].used) {
    t = 0;
  } else {
    t = 6 + (int)(d->next_dyn++ % 2);
  }
  cd_peer_reset(&d->p[t], lport, rport);
  return t;
}

int cd_handle_tuple(cd *d, const handle *h) {
  ptcp_conn_status st;

  if (h->c == NULL || h->listener)
    return -1;
  ptcp_conn_status_get(h->c, &st);
  if (st.state == PTCP_CLOSED && !h->opened)
    return -1;
  return cd_tuple_find(d, st.local_port, st.remote_port);
}

/* Sequence ranges the peer has sent on a tuple (SYN and FIN count),
 * kept merged, so an ACK can be checked against them. */
static int touch(const interval *a, const interval *b) {
  return ptcp_seq_le(a->start, b->start + b->len) &&
         ptcp_seq_le(b->start, a->start + a->len);
}

static void peer_sent(peer *p, uint32_t seq, uint32_t len) {
  int merged = 1;

  if (len == 0 || p->iv_overflow)
    return;
  if (p->niv == MAX_INTERVALS) {
    p->iv_overflow = 1;
    return;
  }
  p->iv[p->niv].start = seq;
  p->iv[p->niv].len = len;
  p->niv++;
  /* Merge touching ranges while the union stays far below 2^31. */
  while (merged) {
    merged = 0;
    for (unsigned i = 0; i < p->niv && !merged; i++) {
      for (unsigned j = i + 1; j < p->niv && !merged; j++) {
        interval *a = &p->iv[i], *b = &p->iv[j];
        uint32_t s0, e0;
        if (!touch(a, b))
          continue;
        s0 = ptcp_seq_min(a->start, b->start);
        e0 = ptcp_seq_max(a->start + a->len, b->start + b->len);
        if (e0 - s0 >= (1u << 30))
          continue;
        a->start = s0;
        a->len = e0 - s0;
        *b = p->iv[--p->niv];
        merged = 1;
      }
    }
  }
}

/* Is every sequence number in [from, to) one the peer sent? */
static int peer_covers(const peer *p, uint32_t from, uint32_t to) {
  uint32_t x = from;

  for (unsigned n = 0; n <= MAX_INTERVALS + 1; n++) {
    int found = 0;
    if (x == to)
      return 1;
    for (unsigned i = 0; i < p->niv; i++) {
      if (ptcp_seq_in(x, p->iv[i].start, p->iv[i].len)) {
        x = p->iv[i].start + p->iv[i].len;
        found = 1;
        break;
      }
    }
    if (!found)
      return 0;
    if (ptcp_seq_ge(x, to))
      return 1;
  }
  return 0;
}

/* The peer puts a segment on the wire: remember what it covers. */
static void peer_sends(peer *p, const ptcp_seg *seg, int from_pattern) {
  uint32_t len = (uint32_t)seg->payload_len + ((seg->flags & PTCP_SYN) ? 1u : 0u) +
                 ((seg->flags & PTCP_FIN) ? 1u : 0u);

  /* A SYN with RST is never taken as a SYN (the RST is checked first). */
  if ((seg->flags & (PTCP_SYN | PTCP_RST)) == PTCP_SYN) {
    if (p->nsyn == MAX_SYNS) {
      memmove(p->syn, p->syn + 1, (MAX_SYNS - 1) * sizeof(p->syn[0]));
      p->nsyn--;
      p->syn_overflow = 1;
    }
    p->syn[p->nsyn++] = seg->seq;
    p->isn_known = 1;
    p->isn = seg->seq;
    p->nxt = seg->seq + len;
  } else if (!p->isn_known) {
    p->nxt = seg->seq + len;
  } else if (ptcp_seq_gt(seg->seq + len, p->nxt) &&
             seg->seq + len - p->nxt < (1u << 30)) {
    p->nxt = seg->seq + len;
  }
  if (!(seg->flags & PTCP_RST))
    peer_sent(p, seg->seq, len);
  if (seg->payload_len > 0 && !from_pattern)
    p->tainted = 1;
}

/* ------------------------------------------------------------------ */
/* The stack's output, as the peer sees it                             */

int cd_emit(void *user, const uint8_t *pkt, size_t len) {
  cd *d = user;
  ptcp_ip ip;
  ptcp_seg seg;
  int rv, t, rtx;
  peer *p;
  uint32_t seg_len;
  outseg *o;

  d->sum->packets_out++;
  d->sum->digest = cd_fnv(d->sum->digest, pkt, len);
  if (d->tr != NULL && d->tr->packet != NULL)
    d->tr->packet(d->tr->ctx, d->now, FT_TO_RIGHT, NULL, pkt, len);

  /* Everything the stack sends parses, checksums included. */
  rv = ptcp_packet_parse(&ip, &seg, pkt, len, 0);
  CK(rv == 0, "emitted packet does not parse: %s", ptcp_err_name(rv));
  CK(ip.version == (d->v6 ? 6 : 4));
  CK(ptcp_addr_equal(&ip.src, &d->local), "emitted from a foreign address");
  CK(seg.src_port != 0 && seg.dst_port != 0);
  /* RFC 9293 §3.10.7: a RST is never answered with a RST. */
  CK(!(d->in_rst && (seg.flags & PTCP_RST)), "RST answered with a RST");

  seg_len = (uint32_t)seg.payload_len + ((seg.flags & PTCP_SYN) ? 1u : 0u) +
            ((seg.flags & PTCP_FIN) ? 1u : 0u);
  t = -1;
  if (ptcp_addr_equal(&ip.dst, &d->remote)) {
    t = cd_tuple_find(d, seg.src_port, seg.dst_port);
    if (t < 0 && (seg.flags & (PTCP_SYN | PTCP_ACK | PTCP_RST)) == PTCP_SYN)
      t = tuple_learn(d, seg.src_port, seg.dst_port);
  }
  rtx = d->pending_rtx;
  d->nout_all++;
  if (d->nout < MAX_OUT) {
    o = &d->out[d->nout++];
    o->tuple = t;
    o->flags = seg.flags;
    o->seq = seg.seq;
    o->ack = seg.ack;
    o->len = (uint32_t)seg.payload_len;
    o->seg_len = seg_len;
    o->window = seg.window;
    o->rtx = rtx;
  }
  d->pending_rtx = 0;
  if (t < 0)
    return 0;
  p = &d->p[t];

  if (seg.flags & PTCP_SYN) {
    /* A new connection may start on a tuple: a SYN or SYN,ACK sent for
     * the first time, or a new ISS (the ISS alone does not tell: one
     * tuple at one instant gets the same ISN from rfc6528). */
    if (!p->iss_known || p->our_iss != seg.seq || !rtx) {
      p->iss_known = 1;
      p->our_iss = seg.seq;
      p->max_known = 0;
      p->irs_pinned = 0;
      p->nchal = 0; /* a new connection: its own challenge allowance */
    }
    /* A SYN,ACK names the SYN it answers, which the peer must have sent;
     * from then on ACKs count from there.  (One sent again may carry
     * RCV.NXT as it is by then; a first one of a passive open may not.) */
    if (seg.flags & PTCP_ACK) {
      int sent = 0;
      for (unsigned i = 0; i < p->nsyn; i++)
        sent |= p->syn[i] == seg.ack - 1u;
      CK(sent || rtx || p->syn_overflow, "SYN,ACK for a SYN at %u the peer never sent",
         seg.ack - 1u);
      if (sent) {
        p->irs_pinned = 1;
        p->irs = seg.ack - 1u;
      }
    }
  }
  if (!(seg.flags & PTCP_RST)) {
    if (!p->max_known || ptcp_seq_gt(seg.seq + seg_len, p->our_max)) {
      p->max_known = 1;
      p->our_max = seg.seq + seg_len;
    }
    if (seg.opts.present & PTCP_OPT_TS) {
      p->ts_known = 1;
      p->our_tsval = seg.opts.ts_val;
    }
  }
  if ((seg.flags & PTCP_ACK) && !(seg.flags & PTCP_RST)) {
    p->ack_known = 1;
    p->our_ack = seg.ack;
    p->our_wnd = seg.window;
    /* No ACK for data never received: [IRS, SEG.ACK) must be made of
     * sequence numbers the peer sent, from one of its SYNs on. */
    if (!p->iv_overflow && p->irs_pinned) {
      CK(!ptcp_seq_lt(p->irs, seg.ack) || seg.ack - p->irs >= (1u << 30) ||
             peer_covers(p, p->irs, seg.ack),
         "ACK %u covers bytes the peer never sent after IRS %u (tuple %d)", seg.ack,
         p->irs, t);
    } else if (!p->iv_overflow && !p->syn_overflow && p->nsyn > 0) {
      int ok = 0, after_any = 0;
      for (unsigned i = 0; i < p->nsyn && !ok; i++) {
        if (ptcp_seq_lt(p->syn[i], seg.ack) && seg.ack - p->syn[i] < (1u << 30)) {
          after_any = 1;
          ok = peer_covers(p, p->syn[i], seg.ack);
        }
      }
      CK(ok || !after_any, "ACK %u covers bytes the peer never sent (tuple %d)", seg.ack,
         t);
    }
  }
  /* Our payload is what the user wrote at that stream offset. */
  if (seg.payload_len > 0 && p->iss_known && ptcp_seq_gt(seg.seq, p->our_iss)) {
    uint32_t off = seg.seq - p->our_iss - 1;
    for (size_t i = 0; i < seg.payload_len; i++)
      CK(seg.payload[i] == cf_local_byte(off + (uint32_t)i),
         "payload byte at stream offset %u is not what was written", off + (unsigned)i);
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Injecting segments                                                  */

static ptcp_ssize build_packet(cd *d, ptcp_seg *seg, int badsum) {
  ptcp_ip ip;
  ptcp_pseudo ph;
  size_t iphl = d->v6 ? PTCP_IPV6_HDR_LEN : PTCP_IPV4_HDR_LEN;
  ptcp_ssize n;

  ph.src = d->remote;
  ph.dst = d->local;
  n = ptcp_seg_write(d->pkt + iphl, sizeof(d->pkt) - iphl, seg, &ph);
  if (n < 0)
    return n;
  if (badsum)
    d->pkt[iphl + 16] ^= 0x01;
  memset(&ip, 0, sizeof(ip));
  ip.version = d->v6 ? 6 : 4;
  ip.proto = PTCP_IPPROTO_TCP;
  ip.ttl = 64;
  ip.src = d->remote;
  ip.dst = d->local;
  if (ptcp_ip_encode_header(d->pkt, iphl, &ip, (size_t)n) < 0)
    return PTCP_ERR_INVALID_ARGUMENT;
  return (ptcp_ssize)iphl + n;
}

static int is_input_error(int rv) {
  return (rv <= PTCP_ERR_TRUNCATED && rv >= PTCP_ERR_NOBUF) ||
         (rv <= PTCP_ERR_IP_TRUNCATED && rv >= PTCP_ERR_IP_EXT_HDR);
}

/* Hands a packet (or bare segment) to the stack and checks the verdict
 * oracles.  |seg| is the segment as parsed, or NULL if it did not. */
static void inject(cd *d, const uint8_t *buf, size_t len, int bare, int verify,
                   const ptcp_seg *seg) {
  snap before[CF_SLOTS];
  int rv;

  cd_snapshot(d, before);
  d->injecting = 1;
  d->in_rst = seg != NULL && (seg->flags & PTCP_RST);
  d->sum->packets_in++;
  d->sum->digest = cd_fnv(d->sum->digest, buf, len);
  if (bare)
    rv = ptcp_stack_input_segment(d->stack, &d->remote, &d->local, buf, len, verify,
                                  d->now);
  else
    rv = ptcp_stack_input(d->stack, buf, len, d->now);
  d->injecting = 0;
  d->in_rst = 0;
  cd_result(d, "input", rv);
  CK(rv == 0 || is_input_error(rv), "input returned %s", ptcp_err_name(rv));
  if (rv != 0) {
    /* Rejected by the codec: no verdict, nothing sent, nothing changed. */
    CK(d->seg_in == 0 && d->nout_all == 0,
       "malformed input drew %u verdicts, %u segments", d->seg_in, d->nout_all);
    return;
  }
  /* Exactly one verdict per segment; a SYN that ends TIME-WAIT is one
   * for the old connection and one at the listener. */
  CK(d->seg_in == 1 || (d->seg_in == 2 && d->reason[0] == PTCP_R_TIME_WAIT_REOPEN),
     "%u verdicts for one segment", d->seg_in);
  if (d->seg_in == 1)
    cd_check_rejected(d, before, seg);
}

/* Reads a delta per the mode byte's bits 3-5. */
static int64_t rel_delta(cd *d, uint8_t mode) {
  int64_t v;

  switch (mode & 0x18u) {
  case CF_D_8:
    v = fuzz_u8(&d->in);
    break;
  case CF_D_16:
    v = fuzz_u16(&d->in);
    break;
  case CF_D_32:
    v = fuzz_u32(&d->in);
    break;
  default:
    v = 0;
    break;
  }
  return (mode & CF_D_NEG) ? -v : v;
}

/* STATUS of the live connection the user holds on tuple |t|, if any. */
static int tuple_handle_status(cd *d, int t, ptcp_conn_status *st) {
  for (unsigned i = 0; i < CF_SLOTS; i++) {
    handle *h = &d->h[i];
    if (h->c == NULL || h->listener || cd_handle_tuple(d, h) != t)
      continue;
    ptcp_conn_status_get(h->c, st);
    if (st->state != PTCP_CLOSED)
      return 1;
  }
  return 0;
}

static uint32_t seq_base(cd *d, int t, unsigned base) {
  peer *p = &d->p[t];
  ptcp_conn_status st;

  switch (base % CF_SEQ_BASES) {
  case CF_SEQ_PEER_NXT:
    return p->isn_known ? p->nxt : 1000u + 0x01000000u * (uint32_t)t;
  case CF_SEQ_OUR_ACK:
    return p->ack_known ? p->our_ack : p->nxt;
  case CF_SEQ_RCV_NXT:
    if (tuple_handle_status(d, t, &st))
      return st.rcv_nxt;
    return p->ack_known ? p->our_ack : p->nxt;
  case CF_SEQ_WND_EDGE:
    if (tuple_handle_status(d, t, &st))
      return st.rcv_nxt + st.rcv_wnd;
    return (p->ack_known ? p->our_ack : p->nxt) + p->our_wnd;
  case CF_SEQ_PEER_ISN:
    return p->isn;
  default:
    return 0;
  }
}

static uint32_t ack_base(cd *d, int t, unsigned base) {
  peer *p = &d->p[t];
  ptcp_conn_status st;
  int have = tuple_handle_status(d, t, &st);

  switch (base % CF_ACK_BASES) {
  case CF_ACK_OUR_MAX:
    return p->max_known ? p->our_max : p->our_iss + 1;
  case CF_ACK_SND_UNA:
    return have ? st.snd_una : (p->max_known ? p->our_max : p->our_iss + 1);
  case CF_ACK_SND_NXT:
    return have ? st.snd_nxt : (p->max_known ? p->our_max : p->our_iss + 1);
  case CF_ACK_ISS1:
    return p->our_iss + 1;
  case CF_ACK_ISS:
    return p->our_iss;
  default:
    return 0;
  }
}

void cd_op_seg(cd *d) {
  ptcp_seg seg;
  int t = (int)(fuzz_u8(&d->in) % CF_TUPLES);
  peer *p = &d->p[t];
  uint8_t mode, opts;
  uint32_t len, ts_now;
  ptcp_ssize n;
  static uint8_t payload[CF_SEG_MAX];
  char line[256];

  if (!p->used) {
    /* A tuple no connection has shown yet: the ports it would use. */
    uint16_t lport = t == 0   ? 49152u
                     : t >= 6 ? (uint16_t)(49152u + (unsigned)t)
                              : CF_LISTEN_PORT;
    uint16_t rport =
        t == 0 ? CF_PEER_PORT_ACTIVE : (uint16_t)(CF_PEER_PORT_BASE + (unsigned)t);
    cd_peer_reset(p, lport, rport);
  }
  memset(&seg, 0, sizeof(seg));
  seg.src_port = p->rport;
  seg.dst_port = p->lport;
  seg.flags = fuzz_u8(&d->in);
  mode = fuzz_u8(&d->in);
  seg.seq = seq_base(d, t, mode & 7u) + (uint32_t)rel_delta(d, mode);
  mode = fuzz_u8(&d->in);
  seg.ack = ack_base(d, t, mode & 7u) + (uint32_t)rel_delta(d, mode);
  seg.window = fuzz_u16(&d->in);
  opts = fuzz_u8(&d->in);
  if (opts & CF_O_MSS) {
    seg.opts.present |= PTCP_OPT_MSS;
    seg.opts.mss = fuzz_u16(&d->in);
  }
  if (opts & CF_O_WS) {
    seg.opts.present |= PTCP_OPT_WSCALE;
    seg.opts.wscale = fuzz_u8(&d->in);
  }
  if (opts & CF_O_SACK_PERM)
    seg.opts.present |= PTCP_OPT_SACK_PERM;
  /* The peer's timestamp clock ticks with ours (1 ms), from its own
   * offset, so TSval is monotone unless the input says otherwise. */
  ts_now = (uint32_t)(d->now / PTCP_MILLISECONDS) + 0x10000000u * (uint32_t)(t + 1);
  if (opts & CF_O_TS) {
    uint8_t tm = fuzz_u8(&d->in);
    seg.opts.present |= PTCP_OPT_TS;
    switch (tm & 3u) {
    case CF_TSV_CLOCK:
      seg.opts.ts_val = ts_now;
      break;
    case CF_TSV_ABS:
      seg.opts.ts_val = fuzz_u32(&d->in);
      break;
    case CF_TSV_OLD:
      seg.opts.ts_val = ts_now - fuzz_u16(&d->in);
      break;
    default:
      seg.opts.ts_val = 0;
      break;
    }
    switch ((tm >> 2) & 3u) {
    case CF_TSE_ECHO:
      seg.opts.ts_ecr = p->our_tsval;
      break;
    case CF_TSE_ABS:
      seg.opts.ts_ecr = fuzz_u32(&d->in);
      break;
    case CF_TSE_ZERO:
      seg.opts.ts_ecr = 0;
      break;
    default:
      seg.opts.ts_ecr = p->our_tsval - fuzz_u8(&d->in);
      break;
    }
  }
  if (opts & CF_O_SACK) {
    unsigned cnt = 1u + fuzz_u8(&d->in) % PTCP_SACK_MAX_BLOCKS;
    seg.opts.present |= PTCP_OPT_SACK;
    seg.opts.sack_count = (uint8_t)cnt;
    for (unsigned i = 0; i < cnt; i++) {
      uint8_t m = fuzz_u8(&d->in);
      uint32_t left = ack_base(d, t, m & 7u) + (uint32_t)rel_delta(d, m);
      seg.opts.sack[i].left = left;
      seg.opts.sack[i].right = left + fuzz_u16(&d->in);
    }
  }
  if (opts & CF_O_URG)
    seg.urgent = fuzz_u16(&d->in);
  len = fuzz_u16(&d->in);
  if (len > CF_SEG_MAX)
    len = CF_SEG_MAX;
  if (opts & CF_O_DATA) {
    const uint8_t *src;
    len = (uint32_t)fuzz_bytes(&d->in, &src, len);
    memcpy(payload, src, len);
  } else {
    uint32_t first = seg.seq + ((seg.flags & PTCP_SYN) ? 1u : 0u);
    for (uint32_t i = 0; i < len; i++)
      payload[i] = cf_peer_byte(first + i);
  }
  seg.payload = payload;
  seg.payload_len = len;

  n = build_packet(d, &seg, (opts & CF_O_BADSUM) != 0);
  while (n == PTCP_ERR_OPT_SPACE && (seg.opts.present & PTCP_OPT_SACK) &&
         seg.opts.sack_count > 1) {
    seg.opts.sack_count--;
    n = build_packet(d, &seg, (opts & CF_O_BADSUM) != 0);
  }
  if (n == PTCP_ERR_OPT_SPACE) {
    seg.opts.present &= (uint16_t)~PTCP_OPT_SACK;
    n = build_packet(d, &seg, (opts & CF_O_BADSUM) != 0);
  }
  if (d->tr != NULL) {
    ptcp_seg_format(line, sizeof(line), &seg);
    cd_say(d, "SEG tuple %d%s: %s", t, (opts & CF_O_BADSUM) ? " (bad checksum)" : "",
           line);
  }
  if (n < 0)
    return;
  if (d->tr != NULL && d->tr->packet != NULL)
    d->tr->packet(d->tr->ctx, d->now, FT_TO_LEFT, NULL, d->pkt, (size_t)n);
  if (!(opts & CF_O_BADSUM))
    peer_sends(p, &seg, !(opts & CF_O_DATA));
  inject(d, d->pkt, (size_t)n, 0, 1, (opts & CF_O_BADSUM) ? NULL : &seg);
}

/* The pcap wants IP packets: give a bare segment its header. */
static void trace_bare(cd *d, const uint8_t *tcp, size_t len) {
  ptcp_ip ip;
  uint8_t *buf;
  size_t iphl = d->v6 ? PTCP_IPV6_HDR_LEN : PTCP_IPV4_HDR_LEN;

  if (d->tr == NULL || d->tr->packet == NULL)
    return;
  buf = malloc(iphl + len + 1);
  if (buf == NULL)
    return;
  memset(&ip, 0, sizeof(ip));
  ip.version = d->v6 ? 6 : 4;
  ip.proto = PTCP_IPPROTO_TCP;
  ip.ttl = 64;
  ip.src = d->remote;
  ip.dst = d->local;
  if (ptcp_ip_encode_header(buf, iphl, &ip, len) >= 0) {
    memcpy(buf + iphl, tcp, len);
    d->tr->packet(d->tr->ctx, d->now, FT_TO_LEFT, NULL, buf, iphl + len);
  }
  free(buf);
}

void cd_op_raw(cd *d) {
  uint8_t mode = fuzz_u8(&d->in);
  size_t len = fuzz_u16(&d->in) % (CF_RAW_MAX + 1u);
  const uint8_t *src;
  static uint8_t buf[CF_RAW_MAX + PTCP_IPV6_HDR_LEN];
  size_t iphl = d->v6 ? PTCP_IPV6_HDR_LEN : PTCP_IPV4_HDR_LEN;
  uint8_t *tcp = buf + iphl;
  ptcp_seg seg;
  int parsed = 0, t = -1;
  unsigned how = mode & 3u;

  len = fuzz_bytes(&d->in, &src, len);
  memcpy(tcp, src, len);
  if (how != CF_RAW_IP && (mode & CF_RAW_PORTS) && len >= 4) {
    peer *p = &d->p[(mode >> 3) % CF_TUPLES];
    if (p->used) {
      tcp[0] = (uint8_t)(p->rport >> 8);
      tcp[1] = (uint8_t)p->rport;
      tcp[2] = (uint8_t)(p->lport >> 8);
      tcp[3] = (uint8_t)p->lport;
    }
  }
  cd_say(d, "RAW mode %u, %zu bytes%s", how, len,
         (mode & CF_RAW_PORTS) ? ", ports patched" : "");
  if (how == CF_RAW_IP) {
    ptcp_ip ip;
    if (ptcp_packet_parse(&ip, &seg, tcp, len,
                          PTCP_IP_NO_CHECKSUM | PTCP_TCP_NO_CHECKSUM) == 0 &&
        ptcp_addr_equal(&ip.src, &d->remote))
      parsed = 1;
  } else if (ptcp_seg_parse(&seg, tcp, len, NULL) == 0) {
    parsed = 1;
  }
  if (parsed) {
    t = cd_tuple_find(d, seg.dst_port, seg.src_port);
    if (t >= 0)
      peer_sends(&d->p[t], &seg, 0);
  }
  switch (how) {
  case CF_RAW_TCP_FIXSUM: {
    ptcp_ip ip;
    ptcp_pseudo ph;
    if (len >= PTCP_HDR_MIN) {
      ph.src = d->remote;
      ph.dst = d->local;
      tcp[16] = tcp[17] = 0;
      ptcp_seg_fill_checksum(tcp, len, &ph);
    }
    memset(&ip, 0, sizeof(ip));
    ip.version = d->v6 ? 6 : 4;
    ip.proto = PTCP_IPPROTO_TCP;
    ip.ttl = 64;
    ip.src = d->remote;
    ip.dst = d->local;
    if (ptcp_ip_encode_header(buf, iphl, &ip, len) < 0)
      return;
    if (d->tr != NULL && d->tr->packet != NULL)
      d->tr->packet(d->tr->ctx, d->now, FT_TO_LEFT, NULL, buf, iphl + len);
    /* The parse above ran on the bytes before the checksum was fixed;
     * everything else is the same. */
    inject(d, buf, iphl + len, 0, 1, parsed ? &seg : NULL);
    break;
  }
  case CF_RAW_TCP_NOSUM:
  case CF_RAW_TCP_ASIS:
    trace_bare(d, tcp, len);
    inject(d, tcp, len, 1, how == CF_RAW_TCP_ASIS,
           parsed && how == CF_RAW_TCP_NOSUM ? &seg : NULL);
    break;
  default:
    if (d->tr != NULL && d->tr->packet != NULL && len > 0)
      d->tr->packet(d->tr->ctx, d->now, FT_TO_LEFT, NULL, tcp, len);
    /* A packet from some other source: its RST, if any, goes elsewhere,
     * so the RST-generation check only holds for the peer's address. */
    inject(d, tcp, len, 0, 1, parsed ? &seg : NULL);
    break;
  }
}

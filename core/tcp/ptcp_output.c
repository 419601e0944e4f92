/*
 * plugtcp engine: what to send, when, and how it is built.
 *
 *   ptcp_output           data and FIN as the windows allow (RFC 9293
 *                         §3.8.6: send window, congestion window, Nagle
 *                         §3.7.4, sender SWS avoidance §3.8.6.2.1), then a
 *                         pure ACK if one is owed
 *   ptcp_output_syn       SYN or SYN,ACK with our options
 *   ptcp_output_retransmit_first   the oldest unacknowledged segment
 *   ptcp_output_probe     zero-window probe or SWS override (§3.8.6.1)
 *
 * Every segment is built in the stack's packet buffer: IP header, TCP
 * header and options, then the payload copied once from the send ring.
 */
#include "ptcp_conn.h"

uint32_t ptcp_ts_now(uint32_t offset, ptcp_time now) {
  /* RFC 7323 §5.4: a 1 ms timestamp clock, offset per connection. */
  return (uint32_t)(now / PTCP_MILLISECONDS) + offset;
}

/* Builds and emits one segment for |key|.  The payload (|seg|'s
 * payload_len bytes) comes from |ring| at |off| when |ring| is given. */
static void emit_raw(ptcp_stack *s, const ptcp_conn *c, const ptcp_pcb *key,
                     ptcp_seg *seg, const ptcp_ring *ring, uint32_t off, int rtx,
                     ptcp_time now) {
  ptcp_ip ip;
  ptcp_pseudo ph;
  size_t iphl = key->laddr.family == PTCP_AF_INET6 ? PTCP_IPV6_HDR_LEN : PTCP_IPV4_HDR_LEN;
  uint8_t *tcp = s->pkt + iphl;
  ptcp_ssize hdr;
  size_t len = seg->payload_len;

  hdr = ptcp_seg_encode_header(tcp, PTCP_PKT_CAP - iphl, seg);
  if (hdr < 0)
    return; /* cannot happen: our own options always fit */
  if (len > 0)
    ptcp_ring_read_at(ring, off, tcp + hdr, (uint32_t)len);
  ph.src = key->laddr;
  ph.dst = key->raddr;
  ptcp_seg_fill_checksum(tcp, (size_t)hdr + len, &ph);

  memset(&ip, 0, sizeof(ip));
  ip.version = key->laddr.family == PTCP_AF_INET6 ? 6 : 4;
  ip.proto = PTCP_IPPROTO_TCP;
  ip.ttl = s->ttl;
  ip.id = s->ip_id++;
  ip.dont_frag = 1;
  ip.src = key->laddr;
  ip.dst = key->raddr;
  if (ptcp_ip_encode_header(s->pkt, iphl, &ip, (size_t)hdr + len) < 0)
    return;

  if (s->cb.on_trace) {
    ptcp_trace ev;
    memset(&ev, 0, sizeof(ev));
    seg->payload = tcp + hdr;
    ev.kind = PTCP_TRACE_SEG_OUT;
    ev.now = now;
    ev.conn = c;
    ev.seg = seg;
    ev.retransmit = (uint8_t)rtx;
    if (c != NULL)
      ev.old_state = ev.new_state = (ptcp_state)c->state;
    ptcp_stack_trace(s, &ev, key);
  }
  ptcp_stack_emit(s, s->pkt, iphl + (size_t)hdr + len);
}

void ptcp_stack_send_rst(ptcp_stack *s, const ptcp_addr *laddr, uint16_t lport,
                         const ptcp_addr *raddr, uint16_t rport, uint32_t seq,
                         uint32_t ack, uint8_t flags, ptcp_time now) {
  ptcp_pcb key;
  ptcp_seg seg;

  memset(&key, 0, sizeof(key));
  key.laddr = *laddr;
  key.raddr = *raddr;
  key.lport = lport;
  key.rport = rport;
  memset(&seg, 0, sizeof(seg));
  seg.src_port = lport;
  seg.dst_port = rport;
  seg.seq = seq;
  seg.ack = ack;
  seg.flags = flags;
  emit_raw(s, NULL, &key, &seg, NULL, 0, 0, now);
}

/* The window field to send, per RFC 9293 §3.8.6.2.2 (receiver SWS
 * avoidance: move the right edge only by min(RCV.BUFF/2, MSS) or more)
 * and RFC 7323 §2.3 (scaled, never shrinking the offered edge). */
static uint16_t window_field(ptcp_conn *c, int syn) {
  uint32_t space = ptcp_ring_space(&c->rbuf);
  uint32_t edge, step, wnd, field;

  if (syn) {
    /* RFC 7323 §2.2: the window on a SYN is not scaled. */
    wnd = space < UINT16_MAX ? space : UINT16_MAX;
    c->rcv_adv = c->rcv_nxt + wnd;
    return (uint16_t)wnd;
  }
  edge = c->rcv_nxt + space;
  step = c->rbuf.cap / 2 < c->rcv_mss ? c->rbuf.cap / 2 : c->rcv_mss;
  if (ptcp_seq_gt(edge, c->rcv_adv) && edge - c->rcv_adv < step)
    edge = c->rcv_adv;
  if (ptcp_seq_lt(edge, c->rcv_adv))
    edge = c->rcv_adv;
  wnd = edge - c->rcv_nxt;
  field = wnd >> c->rcv_wscale;
  if (field > UINT16_MAX)
    field = UINT16_MAX;
  edge = c->rcv_nxt + (field << c->rcv_wscale);
  if (ptcp_seq_gt(edge, c->rcv_adv))
    c->rcv_adv = edge;
  return (uint16_t)field;
}

/* Builds a segment of |c| (header fields and options) and emits it with
 * |len| payload bytes from the send ring at sequence number |seq|. */
static void emit(ptcp_conn *c, uint8_t flags, uint32_t seq, uint32_t len, int rtx,
                 ptcp_time now) {
  const ptcp_conn_cfg *cfg = &c->prof->cfg;
  ptcp_seg seg;

  memset(&seg, 0, sizeof(seg));
  seg.src_port = c->pcb.lport;
  seg.dst_port = c->pcb.rport;
  seg.seq = seq;
  seg.flags = flags;
  if (flags & PTCP_ACK)
    seg.ack = c->rcv_nxt;
  if (!(flags & PTCP_RST))
    seg.window = window_field(c, (flags & PTCP_SYN) != 0);

  if (flags & PTCP_SYN) {
    int active = c->state == PTCP_SYN_SENT;
    seg.opts.present = PTCP_OPT_MSS;
    seg.opts.mss = c->rcv_mss;
    /* A SYN offers what we are configured for; a SYN,ACK only what the
     * peer offered (RFC 7323 §1.3, RFC 2018 §2). */
    if (active ? cfg->window_scaling : (c->flags & CF_WS) != 0) {
      seg.opts.present |= PTCP_OPT_WSCALE;
      seg.opts.wscale = c->rcv_wscale;
    }
    if (active ? cfg->sack : (c->flags & CF_SACK) != 0)
      seg.opts.present |= PTCP_OPT_SACK_PERM;
    if (active ? cfg->timestamps : (c->flags & CF_TS) != 0) {
      seg.opts.present |= PTCP_OPT_TS;
      seg.opts.ts_val = ptcp_ts_now(c->ts_offset, now);
      seg.opts.ts_ecr = (flags & PTCP_ACK) ? c->ts_recent : 0;
    }
  } else if (!(flags & PTCP_RST)) {
    if (c->flags & CF_TS) {
      seg.opts.present |= PTCP_OPT_TS;
      seg.opts.ts_val = ptcp_ts_now(c->ts_offset, now);
      seg.opts.ts_ecr = c->ts_recent;
    }
    if ((c->flags & CF_SACK) && c->reasm.n > 0 && (flags & PTCP_ACK)) {
      /* RFC 2018 §3: three blocks fit next to a timestamp, four without. */
      uint32_t l[PTCP_SACK_MAX_BLOCKS], r[PTCP_SACK_MAX_BLOCKS];
      unsigned n = ptcp_reasm_sack(&c->reasm, l, r, (c->flags & CF_TS) ? 3 : 4);
      seg.opts.present |= PTCP_OPT_SACK;
      seg.opts.sack_count = (uint8_t)n;
      for (unsigned i = 0; i < n; i++) {
        seg.opts.sack[i].left = l[i];
        seg.opts.sack[i].right = r[i];
      }
    }
  }
  seg.payload_len = len;
  emit_raw(c->stack, c, &c->pcb, &seg, &c->sbuf, seq - c->snd_una, rtx, now);

  c->segs_out++;
  if (rtx)
    c->retransmits++;
  else
    c->bytes_out += len;
  if (flags & PTCP_ACK) {
    c->last_ack_sent = c->rcv_nxt;
    c->flags &= ~(uint32_t)CF_ACK_NOW;
    c->t_delack = PTCP_TIME_NONE;
  }
}

void ptcp_output_syn(ptcp_conn *c, ptcp_time now) {
  uint8_t flags = c->state == PTCP_SYN_SENT ? PTCP_SYN : PTCP_SYN | PTCP_ACK;
  int rtx = c->snd_max != c->iss;

  emit(c, flags, c->iss, 0, rtx, now);
  c->snd_nxt = c->snd_max = c->iss + 1;
  if (!rtx) {
    c->flags |= CF_TIMING;
    c->flags &= ~(uint32_t)CF_TIMED_RTX;
    c->timed_seq = c->iss;
    c->timed_at = now;
  } else {
    c->flags |= CF_TIMED_RTX;
  }
  if (c->rtx_mode != RTX_SYN)
    ptcp_timer_arm_rtx(c, RTX_SYN, now);
}

/* The sequence number of a segment without data: RFC 9293's SND.NXT,
 * the next new sequence number.  The engine's snd_nxt goes back to
 * SND.UNA after a timeout (go-back-N) while SND.MAX remembers how far
 * the peer may have received; an ACK or RST sent from below that lies
 * left of the peer's window and is dropped with its ACK field, which
 * can leave both ends retransmitting at each other until they time
 * out.  So SND.MAX, as BSD does; but while probing a zero window the
 * probe byte sent past the window is not yet in the peer's space, and
 * SND.UNA is what it expects (RFC 9293 §3.10.7.4, zero window). */
static uint32_t next_seq(const ptcp_conn *c) {
  return c->rtx_mode == RTX_PERSIST ? c->snd_una : c->snd_max;
}

void ptcp_output_ack(ptcp_conn *c, ptcp_time now) {
  emit(c, PTCP_ACK, next_seq(c), 0, 0, now);
}

/* RFC 9293 §3.10.5 and §3.10.7.4: <SEQ=SND.NXT><CTL=RST>. */
void ptcp_output_rst(ptcp_conn *c, ptcp_time now) {
  emit(c, PTCP_RST, next_seq(c), 0, 0, now);
}

void ptcp_output_keepalive(ptcp_conn *c, ptcp_time now) {
  /* RFC 9293 §3.8.4: SEG.SEQ = SND.NXT-1 draws an ACK from a live peer. */
  emit(c, PTCP_ACK, c->snd_nxt - 1, 0, 0, now);
}

/* Marks the RTT measurement ambiguous when its segment is sent again. */
static void karn(ptcp_conn *c, uint32_t seq, uint32_t len) {
  if ((c->flags & CF_TIMING) && ptcp_seq_in(c->timed_seq, seq, len ? len : 1))
    c->flags |= CF_TIMED_RTX;
}

/* RFC 6691 (RFC 9293 §3.7.1): the sender reduces a segment's data by
 * the options it carries.  snd_mss already leaves room for the
 * timestamps every segment carries; SACK blocks, sent with every
 * segment while out-of-order data waits (RFC 2018 §4), take theirs from
 * the data: NOP, NOP, kind, length and 8 bytes per block, as emit()
 * lays them out. */
static uint32_t payload_max(const ptcp_conn *c) {
  uint32_t most = (c->flags & CF_TS) ? 3 : 4; /* as emit() asks ptcp_reasm_sack */
  uint32_t blocks, opt;

  if (!(c->flags & CF_SACK) || c->reasm.n == 0)
    return c->snd_mss;
  blocks = c->reasm.n < most ? c->reasm.n : most;
  opt = 4 + 8 * blocks;
  return c->snd_mss > opt ? c->snd_mss - opt : 1;
}

uint32_t ptcp_output_retransmit_first(ptcp_conn *c, ptcp_time now) {
  uint32_t end = ptcp_data_end(c);
  /* Only bytes sent before are sent again: queued bytes never sent wait
   * for the send window like any new data (RFC 9293 §3.8.6), and SND.MAX
   * stays the highest sequence number sent. */
  uint32_t left = (ptcp_seq_lt(c->snd_max, end) ? c->snd_max : end) - c->snd_una;
  uint32_t mss = payload_max(c);
  uint32_t len = left < mss ? left : mss;
  /* Our FIN went out before if SND.MAX is past the data. */
  int fin = (c->flags & CF_SHUT_WR) && len == left && ptcp_seq_gt(c->snd_max, end);
  uint8_t flags = PTCP_ACK;

  if (len == 0 && !fin)
    return 0;
  if (fin)
    flags |= PTCP_FIN;
  if (len > 0 && len == left)
    flags |= PTCP_PSH;
  karn(c, c->snd_una, len);
  emit(c, flags, c->snd_una, len, 1, now);
  return len + (fin ? 1u : 0u);
}

static uint32_t cwnd_of(ptcp_conn *c) {
  uint32_t w;

  if (!(c->flags & CF_CC_STARTED))
    return c->snd_mss;
  w = PTCP_CC_OPS(c)->cwnd(ptcp_cpstate(c, PTCP_SLOT_CC));
  return w < c->snd_mss ? c->snd_mss : w; /* a policy cannot stall the core */
}

/* Sends queued data and the FIN while the windows allow.  With |force|
 * the first segment goes out even if Nagle or SWS avoidance would wait
 * (the override timeout of RFC 9293 §3.8.6.2.1). */
static void send_data(ptcp_conn *c, int force, ptcp_time now) {
  const ptcp_conn_cfg *cfg = &c->prof->cfg;
  uint32_t cwnd = cwnd_of(c);
  uint32_t mss = payload_max(c);
  uint32_t unsent = 0;
  int sent = 0, fin_pending = 0;

  for (;;) {
    uint32_t end = ptcp_data_end(c);
    uint32_t flight = c->snd_nxt - c->snd_una;
    uint32_t wnd = c->snd_wnd < cwnd ? c->snd_wnd : cwnd;
    uint32_t avail = wnd > flight ? wnd - flight : 0;
    uint32_t len;
    int fin, rtx;
    uint8_t flags = PTCP_ACK;

    unsent = ptcp_seq_lt(c->snd_nxt, end) ? end - c->snd_nxt : 0;
    fin_pending = (c->flags & CF_SHUT_WR) && ptcp_seq_le(c->snd_nxt, end);
    len = unsent < avail ? unsent : avail;
    if (len > mss)
      len = mss;
    fin = fin_pending && len == unsent;
    if (len == 0 && !(fin && unsent == 0))
      break;
    if (len > 0 && len < mss && !fin && !(force && !sent)) {
      if (len < unsent) {
        /* More data waits behind a window too small for a full segment:
         * wait unless it is a real share of what the peer offers. */
        if (len < c->max_snd_wnd / 2)
          break;
      } else if (cfg->nagle && flight > 0) {
        break; /* Nagle: one small segment in flight at a time */
      }
    }
    rtx = ptcp_seq_lt(c->snd_nxt, c->snd_max);
    if (fin)
      flags |= PTCP_FIN;
    if (len > 0 && len == unsent)
      flags |= PTCP_PSH;
    if (rtx)
      karn(c, c->snd_nxt, len);
    emit(c, flags, c->snd_nxt, len, rtx, now);
    if (len > 0 && !rtx && !(c->flags & CF_TIMING)) {
      c->flags |= CF_TIMING;
      c->flags &= ~(uint32_t)CF_TIMED_RTX;
      c->timed_seq = c->snd_nxt;
      c->timed_at = now;
    }
    c->snd_nxt += len + (fin ? 1u : 0u);
    if (ptcp_seq_gt(c->snd_nxt, c->snd_max))
      c->snd_max = c->snd_nxt;
    if (c->rtx_mode != RTX_DATA)
      ptcp_timer_arm_rtx(c, RTX_DATA, now);
    sent = 1;
    if (fin)
      break;
  }
  /* Nothing in flight and nothing could go: without a timer nobody
   * would ever try again (RFC 9293 §3.8.6.1, zero-window probing). */
  if (!sent && c->snd_nxt == c->snd_una && (unsent > 0 || fin_pending) &&
      c->rtx_mode != RTX_PERSIST && c->rtx_mode != RTX_DATA) {
    c->probes = 0;
    ptcp_timer_arm_rtx(c, RTX_PERSIST, now);
  }
}

void ptcp_output_probe(ptcp_conn *c, ptcp_time now) {
  uint32_t end = ptcp_data_end(c);

  if (c->snd_wnd > 0) {
    send_data(c, 1, now);
    return;
  }
  /* One byte past the window: it is accepted if the window has opened,
   * and draws an ACK with the current window either way. */
  if (c->snd_nxt != c->snd_una) {
    karn(c, c->snd_una, 1);
    emit(c, PTCP_ACK, c->snd_una, 1, 1, now);
  } else if (ptcp_seq_lt(c->snd_nxt, end)) {
    emit(c, PTCP_ACK, c->snd_nxt, 1, 0, now);
    c->snd_nxt++;
    if (ptcp_seq_gt(c->snd_nxt, c->snd_max))
      c->snd_max = c->snd_nxt;
  } else {
    send_data(c, 1, now); /* only a FIN is left: windows do not hold it */
  }
}

void ptcp_output(ptcp_conn *c, ptcp_time now) {
  if (c->flags & CF_DEAD)
    return;
  switch (c->state) {
  case PTCP_CLOSED:
  case PTCP_LISTEN:
  case PTCP_SYN_SENT:
    c->flags &= ~(uint32_t)CF_ACK_NOW;
    return;
  default:
    break;
  }
  if ((c->flags & CF_SYN_ACKED) && c->state != PTCP_TIME_WAIT &&
      c->state != PTCP_FIN_WAIT_2)
    send_data(c, 0, now);
  if (c->flags & CF_ACK_NOW)
    ptcp_output_ack(c, now);
}

void ptcp_output_tw_ack(ptcp_stack *s, const ptcp_tw *tw, ptcp_time now) {
  ptcp_seg seg;

  memset(&seg, 0, sizeof(seg));
  seg.src_port = tw->pcb.lport;
  seg.dst_port = tw->pcb.rport;
  seg.seq = tw->snd_nxt;
  seg.ack = tw->rcv_nxt;
  seg.flags = PTCP_ACK;
  seg.window = tw->window;
  if (tw->ts_ok) {
    seg.opts.present = PTCP_OPT_TS;
    seg.opts.ts_val = ptcp_ts_now(tw->ts_offset, now);
    seg.opts.ts_ecr = tw->ts_recent;
  }
  emit_raw(s, NULL, &tw->pcb, &seg, NULL, 0, 0, now);
}

uint16_t ptcp_output_window_field(ptcp_conn *c) { return window_field(c, 0); }
